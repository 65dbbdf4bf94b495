"""The step engine computes exactly the model, and the CUDA path where a GPU exists."""
import pytest
import torch

from models.charlstm import CharLSTM, CharLSTMConfig
from models.checkpoint import load_checkpoint
from models.engine import StepEngine
from models.text import Vocab


def random_model(layers=3, size=64, seed=0):
    torch.manual_seed(seed)
    vocab = Vocab.from_text("abcdefghijklmnopqrstuvwxyz ,.\n")
    return CharLSTM(CharLSTMConfig(layers, size, 16), vocab).eval()


@pytest.mark.parametrize("layers,size", [(1, 32), (2, 48), (3, 64)])
def test_engine_logits_match_nn_lstm_over_500_steps(layers, size):
    model = random_model(layers, size)
    temps = [0.0, 0.3, 0.7, 1.0, 1.5]
    logits, state = model.prime("the quick brown fox")
    engine = StepEngine(model, len(temps))
    engine.load(state)
    h, c = (s.expand(-1, len(temps), -1).contiguous() for s in state)
    ids = torch.randint(0, len(model.vocab), (len(temps), 500), generator=torch.Generator().manual_seed(1))
    worst = 0.0
    with torch.inference_mode():
        for t in range(500):
            mine = engine.step(ids[:, t]).clone()
            ref, (h, c) = model(ids[:, t:t + 1], (h, c))
            worst = max(worst, (mine - ref[:, -1]).abs().max().item())
    assert worst < 1e-4, worst
    eh, ec = engine.state()
    assert torch.allclose(eh, h, atol=1e-4) and torch.allclose(ec, c, atol=1e-4)


def test_engine_and_nn_lstm_write_the_same_text(tiny_checkpoint):
    model, _ = load_checkpoint(tiny_checkpoint, "cpu")
    logits, state = model.prime("The moon")
    seeds = [3, 4, 5]
    a = model.generate(logits, state, [0.0, 0.6, 1.0], 300, seeds, engine=True)
    b = model.generate(logits, state, [0.0, 0.6, 1.0], 300, seeds, engine=False)
    assert torch.equal(a, b)


def test_engine_state_does_not_leak_between_calls(tiny_checkpoint):
    model, _ = load_checkpoint(tiny_checkpoint, "cpu")
    logits, state = model.prime("Cold stone")
    first = model.generate(logits, state, [0.8, 0.8], 200, [1, 2])
    again = model.generate(logits, state, [0.8, 0.8], 200, [1, 2])
    assert torch.equal(first, again)


def test_bfloat16_engine_stays_close():
    model = random_model(2, 64)
    logits, state = model.prime("hello world")
    ids = torch.randint(0, len(model.vocab), (4, 50), generator=torch.Generator().manual_seed(2))
    e32, e16 = StepEngine(model, 4), StepEngine(model, 4, torch.bfloat16)
    e32.load(state)
    e16.load(state)
    worst = 0.0
    with torch.inference_mode():
        for t in range(50):   # every step, not only the last: an early blow-up must not hide
            worst = max(worst, (e32.step(ids[:, t]).float() - e16.step(ids[:, t]).float()).abs().max().item())
    assert 0 < worst < 0.15, worst   # bf16 keeps 8 bits of mantissa: close, but not the same


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_cuda_graph_engine_matches_eager(dtype):
    model = random_model(2, 128).cuda()
    logits, state = model.prime("the quick brown fox")
    temps, seeds = [0.0, 0.5, 0.9, 1.2], [7, 8, 9, 10]
    eager = model.generate(logits, state, temps, 200, seeds, engine=False)
    graphed = StepEngine(model, 4, dtype, chunk=16).generate(logits, state, temps, 200, seeds)
    if dtype == torch.float32:
        assert torch.equal(eager, graphed)
    else:   # half precision may part ways after a while; the greedy row's start must agree
        assert torch.equal(eager[0, :20], graphed[0, :20])


@cuda
def test_cuda_graph_keeps_the_subject_pull_of_each_caption():
    """The pull's tables and state live in buffers the graph reads: a second caption through
    the same captured graph must follow its own words, not the first caption's."""
    from models.subject import SubjectPull
    model = random_model(2, 128).cuda()
    engine = StepEngine(model, 3, chunk=16)
    temps, seeds = [0.0, 0.6, 1.0], [3, 4, 5]
    for caption in ("the quick brown fox", "a cold sea at dawn"):
        pull = SubjectPull(caption, model.vocab, 3.0)
        logits, state = model.prime(caption)
        for no_repeat in (False, True):   # the no-repeat counts live in the graph's buffers too
            eager = model.generate(logits, state, temps, 120, seeds, engine=False, pull=pull, no_repeat=no_repeat)
            assert torch.equal(engine.generate(logits, state, temps, 120, seeds, pull=pull, no_repeat=no_repeat), eager)


def test_cached_preseed_state_gives_the_same_poem_as_priming_everything(tiny_checkpoint):
    from models.writer import Writer
    writer = Writer.load(tiny_checkpoint, "cpu")
    preseed = "Softly the moon and a stone,\nGreen gold night over my river.\n"
    model = writer.model
    # the priming rule spelled out: the pre-seed paragraph, a blank line, the caption
    full_logits, full_state = model.prime(preseed.rstrip("\n") + "\n\n" + "The sea")
    logits, state = writer.prime("The sea", preseed)
    assert torch.allclose(logits, full_logits, atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(state, full_state))
    assert preseed in writer._preseed_states
    a = writer.write("The sea", [0.5, 0.9], 150, preseed=preseed, rng_seed=4)
    b = writer.write("The sea", [0.5, 0.9], 150, preseed=preseed, rng_seed=4)
    assert [s.text for s in a.stanzas] == [s.text for s in b.stanzas]


def test_int8_engine_stays_close_on_cpu():
    model = random_model(2, 64)
    logits, state = model.prime("hello world")
    ids = torch.randint(0, len(model.vocab), (3, 50), generator=torch.Generator().manual_seed(2))
    e32, e8 = StepEngine(model, 3), StepEngine(model, 3, int8=True)
    e32.load(state)
    e8.load(state)
    worst = 0.0
    with torch.inference_mode():
        for t in range(50):
            worst = max(worst, (e32.step(ids[:, t]) - e8.step(ids[:, t])).abs().max().item())
    assert 0 < worst < 0.1
    assert e8.weight_bytes() * 4 == e32.weight_bytes()
