#!/usr/bin/env bash
# The checks only a CUDA GPU can make (issue #11), as one short run of about 5 minutes:
#   1. the CUDA tests: graphed engine vs eager (float32/16, bfloat16), the subject pull through
#      the captured graph, the writer's synchronised timings, AMP training lowers the loss;
#   2. sample_bench on the GPU: the default job's writing (6 x 400 characters, pre-seed, subject
#      pull, originality guard) against the naive loop; target <= 0.1 s;
#   3. amp_bench: `train --amp` against float32 on the shipped voice's corpus (speed, val loss),
#      which decides whether --amp becomes the default on CUDA.
#
# Here, once, with ../shared beside the checkout:   bash benchmarks/gpu_check.sh prepare
#   (copies the poetry corpus into .gpu/, which git ignores locally and the device run carries)
# On the lent machine (device tool):  run(command="bash benchmarks/gpu_check.sh", carry=[".gpu"], timeout_s=480)
# Anywhere else with a GPU:          bash benchmarks/gpu_check.sh [OUT_DIR]
# Each step writes its own file under OUT_DIR ($OUT there); a failing step does not stop the rest.
# SAMPLE_ARGS / AMP_ARGS add flags to the two benchmarks (e.g. AMP_ARGS="--steps 800").
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = prepare ]; then
    mkdir -p .git/info
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
    mkdir -p .gpu && cp -r ../shared/data/poetry .gpu/ && du -sh .gpu/poetry
    exit
fi

out=${1:-${OUT:-/tmp/gpu_check}}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
corpus=.gpu/poetry
[ -d "$corpus" ] || corpus=../shared/data/poetry
status=0
step() {   # step NAME COMMAND...: run it, keep its output in $out/NAME.txt
    local name=$1; shift
    echo "== $name: $*"
    local t0=$SECONDS
    "$@" 2>&1 | tee "$out/$name.txt"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc after $((SECONDS - t0)) s"
    [ "$rc" = 0 ] || status=1
}

step env bash -c "nvidia-smi -L; $py -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(), \"bf16\", torch.cuda.is_bf16_supported())'"
step tests "$py" -m pytest -q -p no:cacheprovider -rs tests/test_engine.py tests/test_subject.py tests/test_sampler.py \
    "tests/test_train.py::test_amp_training_lowers_the_loss_on_cuda"
# shellcheck disable=SC2086   # the ARGS are lists of flags
step sample_bench "$py" benchmarks/sample_bench.py --reps 5 ${SAMPLE_ARGS:-}
step amp_bench "$py" benchmarks/amp_bench.py --corpus "$corpus" ${AMP_ARGS:-}
exit $status
