"""The sampling step engine: one LSTM step per character at close to the cost of reading the
weights once.

Why: sampling is sequential, one step per character, and at batch sizes of a few rows a step
through nn.LSTM spends most of its time in framework overhead, not arithmetic. The engine
packs each layer's input and hidden weights into one matrix (one matmul per layer per step; on
CPU through oneDNN with the weights pre-packed for the batch size), reorders the gates so one
in-place sigmoid covers three of them, preallocates every buffer,
and keeps the sampling draw on the device, so the loop never waits on the host. On CUDA the
whole per-character step (LSTM, head, draw) is captured in a CUDA graph, `chunk` steps at a
time, which removes the kernel-launch overhead that dominates small models on a Jetson.

    engine = StepEngine(model, batch=6)
    ids = engine.generate(logits, state, temperatures, length, seeds, top_k)

It computes exactly the model: tests hold its logits to nn.LSTM's within 1e-4 over 500 steps.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import repeats
from .subject import DECAY, MAX_DECAYS, MAX_STATES


class Draw:
    """Turns one step's logits into one character per row; shared by every sampling path.

    Greedy rows (temperature 0) take the argmax; the others invert the CDF of
    softmax(logits / T) at their uniform u. A row may not write more than `max_space_run`
    spaces in a row: the poetry corpus has right-margin line numbers behind long runs of
    spaces, which would spend a stanza's budget on blank paper. Nor may it end a content word
    it has written twice already (models/repeats.py). All state lives in tensors updated in
    place, so a CUDA graph can capture it.
    """

    def __init__(self, batch: int, vocab_size: int, device, space_id: int | None = None, chars: str = ""):
        # the subject's pull (models/subject.py), in fixed-size tables so a CUDA graph keeps them
        self.pull_trans = torch.zeros(MAX_STATES, vocab_size, dtype=torch.long, device=device)
        self.pull_bias = torch.zeros(MAX_STATES, vocab_size, device=device)
        self.pull_state = torch.zeros(batch, dtype=torch.long, device=device)
        self.pull_ends = torch.zeros(MAX_STATES, dtype=torch.long, device=device)
        self.pull_done = torch.zeros(batch, dtype=torch.long, device=device)   # caption words completed
        self.pull_scale = (DECAY ** torch.arange(MAX_DECAYS + 1, dtype=torch.float32)).to(device)
        self.pulling = False
        self.inv_temps = torch.ones(batch, 1, device=device)
        self.greedy = torch.zeros(batch, dtype=torch.bool, device=device)
        self.run = torch.zeros(batch, dtype=torch.long, device=device)
        self.ban = torch.zeros(batch, vocab_size, dtype=torch.bool, device=device)
        self.space_id = space_id
        self.max_run: int | None = None
        self.top_k: int | None = None
        self.no_repeat = False   # no loops (models/repeats.py): each row's count of the words it wrote
        self.words = repeats.WordCount(batch, chars, device)

    def set(self, temperatures: list[float], top_k: int | None = None, max_space_run: int | None = None,
            pull=None, no_repeat: bool = False) -> "Draw":
        self.pulling = pull is not None
        self.no_repeat = no_repeat
        self.words.reset()
        if pull is not None:
            for table, rows in ((self.pull_trans, pull.trans), (self.pull_bias, pull.bias), (self.pull_ends, pull.ends)):
                table.zero_()
                table[:len(rows)].copy_(rows)
            self.pull_state.fill_(pull.first)
            self.pull_done.zero_()
        temps = torch.tensor(temperatures, dtype=torch.float32).unsqueeze(1)
        self.inv_temps.copy_(1.0 / temps.clamp_min(1e-6))
        self.greedy.copy_((temps <= 0).squeeze(1))
        self.run.zero_()
        self.top_k = top_k
        self.max_run = max_space_run if self.space_id is not None else None
        return self

    def pull_nats(self) -> torch.Tensor:
        """(batch, vocab): the nats each row's pull adds to each character now."""
        return self.pull_bias[self.pull_state] * self.pull_scale[self.pull_done].unsqueeze(1)

    def __call__(self, logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        if self.max_run:
            self.ban[:, self.space_id] = self.run >= self.max_run
            logits = logits.masked_fill(self.ban, float("-inf"))
        if self.no_repeat:   # a word written twice may not end a third time: the row writes another
            key, full = self.words.said_twice()
            logits = logits.masked_fill(full.unsqueeze(1) & self.words.ender, float("-inf"))
        scaled = logits * self.inv_temps
        if self.pulling:   # nats toward the caption's words, the same at every temperature
            pull = self.pull_nats()
            scaled = scaled + pull
            logits = logits + pull
        if self.top_k:
            kth = scaled.topk(min(self.top_k, scaled.size(1)), dim=1).values[:, -1:]
            scaled = scaled.masked_fill(scaled < kth, float("-inf"))
        cdf = F.softmax(scaled, dim=1).cumsum(dim=1)
        drawn = (cdf < u.unsqueeze(1) * cdf[:, -1:]).sum(dim=1).clamp_max(cdf.size(1) - 1)
        nxt = torch.where(self.greedy, logits.argmax(dim=1), drawn)
        if self.max_run:
            is_space = nxt == self.space_id
            self.run.mul_(is_space).add_(is_space)
        if self.pulling:
            self.pull_state.copy_(self.pull_trans[self.pull_state, nxt])
            self.pull_done.add_(self.pull_ends[self.pull_state]).clamp_max_(MAX_DECAYS)
        if self.no_repeat:
            self.words.count(key, nxt)
        return nxt


def drawer_for(model, batch: int) -> Draw:
    return Draw(batch, len(model.vocab), model.device, model.vocab.index.get(" "), model.vocab.chars)


def uniforms_for(seeds: list[int], length: int, device) -> torch.Tensor:
    """Row i's random stream: torch.Generator seeded with seeds[i], drawn up front on the CPU
    (the same numbers on every device)."""
    return torch.stack([torch.rand(length, generator=torch.Generator().manual_seed(s)) for s in seeds]).to(device)


class StepEngine:
    def __init__(self, model, batch: int, dtype: torch.dtype = torch.float32, chunk: int = 32,
                 int8: bool = False):
        """dtype: of weights and buffers (float32; bfloat16 or float16 halve the bytes read).
        int8: CPU only, weights quantised per output channel, matmuls through PyTorch's dynamic
        quantised linear (fbgemm/onednn); a quarter of the bytes, some loss of accuracy."""
        if int8 and (dtype != torch.float32 or model.device.type != "cpu"):
            raise ValueError("int8 runs on the CPU with float32 activations")
        self.model, self.B, self.dtype, self.int8 = model, batch, dtype, int8
        dev = model.device
        self.device, self.chunk = dev, chunk
        lstm = model.lstm
        H, L = lstm.hidden_size, lstm.num_layers
        self.H, self.L = H, L
        order = torch.cat([torch.arange(0, H), torch.arange(H, 2 * H), torch.arange(3 * H, 4 * H),
                           torch.arange(2 * H, 3 * H)]).to(dev)      # i f g o -> i f o g
        self.w, self.b, self.xh = [], [], []
        with torch.no_grad():
            for layer in range(L):
                w_ih, w_hh = getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")
                bias = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
                packed = torch.cat([w_ih, w_hh], dim=1)[order]       # (4H, in + H)
                self.w.append(packed.t().contiguous().to(dtype))     # (in + H, 4H) for x @ W
                self.b.append(bias[order].to(dtype).expand(batch, -1).contiguous())
                self.xh.append(torch.zeros(batch, packed.size(1), dtype=dtype, device=dev))
            self.embed = model.embed.weight.detach().to(dtype)
            self.head_w = model.head.weight.detach().t().contiguous().to(dtype)
            self.head_b = model.head.bias.detach().to(dtype).expand(batch, -1).contiguous()
        self.E = self.embed.size(1)
        if int8:
            self.qw = [_prepack_int8(w.t(), b[0]) for w, b in zip(self.w, self.b)]
            self.qhead = _prepack_int8(self.head_w.t(), self.head_b[0])
        # On CPU, float32 matmuls go through oneDNN with weights packed once for this batch
        # size: at a handful of rows that runs several times faster than addmm (measured).
        self.onednn = None
        if dev.type == "cpu" and dtype == torch.float32 and not int8:
            self.onednn = _prepack_onednn(self.w + [self.head_w], [b[0] for b in self.b + [self.head_b]], batch)
        self.gates = [torch.empty(batch, 4 * H, dtype=dtype, device=dev) for _ in range(L)]
        self.c = [torch.zeros(batch, H, dtype=dtype, device=dev) for _ in range(L)]
        self.tmp = torch.empty(batch, H, dtype=dtype, device=dev)
        self.logits = torch.empty(batch, model.head.out_features, dtype=dtype, device=dev)
        self.draw = drawer_for(model, batch)
        self.graph = None

    def load(self, state) -> None:
        """Copy a primed (h, c) of batch 1 (or `batch`) into every row."""
        h, c = state
        for layer in range(self.L):
            self.xh[layer][:, -self.H:].copy_(h[layer].expand(self.B, -1))
            self.c[layer].copy_(c[layer].expand(self.B, -1))

    def state(self):
        h = torch.stack([x[:, -self.H:] for x in self.xh]).float()
        return h, torch.stack(self.c).float()

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """Feed one character id per row; returns the logits buffer (overwritten next step)."""
        H = self.H
        self.xh[0][:, :self.E].copy_(self.embed[ids])
        for layer in range(self.L):
            g = self.gates[layer]
            if self.int8:
                g = torch.ops.quantized.linear_dynamic(self.xh[layer], self.qw[layer])
            elif self.onednn:
                g = _onednn_linear(self.xh[layer], *self.onednn[layer])
            else:
                torch.addmm(self.b[layer], self.xh[layer], self.w[layer], out=g)
            g[:, :3 * H].sigmoid_()
            g[:, 3 * H:].tanh_()
            c = self.c[layer]
            c.mul_(g[:, H:2 * H]).addcmul_(g[:, :H], g[:, 3 * H:])
            h = self.xh[layer][:, -H:]
            torch.tanh(c, out=self.tmp)
            torch.mul(g[:, 2 * H:3 * H], self.tmp, out=h)
            if layer + 1 < self.L:
                self.xh[layer + 1][:, :H].copy_(h)
        if self.int8:
            return torch.ops.quantized.linear_dynamic(self.xh[-1][:, -H:].contiguous(), self.qhead)
        if self.onednn:
            return _onednn_linear(self.xh[-1][:, -H:].contiguous(), *self.onednn[-1])
        torch.addmm(self.head_b, self.xh[-1][:, -H:], self.head_w, out=self.logits)
        return self.logits

    def weight_bytes(self) -> int:
        """Bytes one step reads: the packed layer weights and the head."""
        if self.int8:
            return sum(w.numel() for w in self.w) + self.head_w.numel()
        return sum(w.numel() * w.element_size() for w in self.w + [self.head_w])

    @torch.inference_mode()
    def generate(self, logits, state, temperatures: list[float], length: int, seeds: list[int],
                 top_k: int | None = None, pull=None, no_repeat: bool = False) -> torch.Tensor:
        """The engine's version of CharLSTM.generate: same streams, same characters."""
        dev = self.device
        uniforms = uniforms_for(seeds, length, dev)
        self.load(state)
        self.draw.set(temperatures, top_k, self.model.max_space_run, pull, no_repeat)
        out = torch.empty(self.B, length, dtype=torch.long, device=dev)
        cur = logits.float().expand(self.B, -1)
        if dev.type == "cuda":
            return self._generate_graphed(cur, uniforms, out, top_k)
        for t in range(length):
            nxt = self.draw(cur, uniforms[:, t])
            out[:, t] = nxt
            cur = self.step(nxt).float()
        return out

    def _generate_graphed(self, cur, uniforms, out, top_k):
        """CUDA: draw the first character eagerly, then replay a graph of `chunk` steps."""
        length, K = out.size(1), self.chunk
        first = self.draw(cur, uniforms[:, 0])
        out[:, 0] = first
        if length == 1:
            return out
        key = (top_k, self.draw.max_run, self.draw.pulling, self.draw.no_repeat)   # all baked into the captured graph
        if self.graph is None or self.graph[0] != key:
            self._capture(key)
        _, graph, ids_in, u_in, ids_out = self.graph
        ids_in.copy_(first)
        for s in range(1, length, K):
            n = min(K, length - s)
            u_in[:, :n].copy_(uniforms[:, s:s + n])
            graph.replay()
            out[:, s:s + n] = ids_out[:, :n]
        return out

    def _capture(self, key):
        K, dev = self.chunk, self.device
        ids_in = torch.zeros(self.B, dtype=torch.long, device=dev)
        u_in = torch.zeros(self.B, K, device=dev)
        ids_out = torch.zeros(self.B, K, dtype=torch.long, device=dev)
        draw_state = [self.draw.run, self.draw.pull_state, self.draw.pull_done] + self.draw.words.state()
        saved = [t.clone() for t in self.xh + self.c + draw_state]

        def chunk():
            nxt = ids_in
            for k in range(K):
                logits = self.step(nxt).float()
                nxt = self.draw(logits, u_in[:, k])
                ids_out[:, k] = nxt
            ids_in.copy_(nxt)

        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            chunk()                      # warm-up outside the graph, as CUDA graphs require
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            chunk()
        for t, s in zip(self.xh + self.c + draw_state, saved):
            t.copy_(s)                   # the warm-up ran the steps: put the primed state back
        self.graph = (key, graph, ids_in, u_in, ids_out)


def _prepack_int8(weight: torch.Tensor, bias: torch.Tensor):
    """(out, in) float weight -> packed int8 weight with one scale per output channel."""
    import warnings
    scales = weight.abs().amax(dim=1).clamp_min(1e-8) / 127
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # quantised tensors are deprecated but still the fast path
        q = torch.quantize_per_channel(weight.float().contiguous(), scales, torch.zeros_like(scales, dtype=torch.long),
                                       0, torch.qint8)
    return torch.ops.quantized.linear_prepack(q, bias.float().contiguous())


def _prepack_onednn(weights_t: list[torch.Tensor], biases: list[torch.Tensor], batch: int):
    """[(packed weight, bias)] per matmul for oneDNN's linear, or None where this PyTorch build
    has no oneDNN (the engine then uses addmm)."""
    try:
        packed = [(torch.ops.mkldnn._reorder_linear_weight(w.t().contiguous(), batch_size=batch), b.contiguous())
                  for w, b in zip(weights_t, biases)]
        x = torch.zeros(batch, weights_t[0].size(0))
        _onednn_linear(x, *packed[0])           # fail here, not mid-poem
        return packed
    except (AttributeError, RuntimeError):
        return None


def _onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")
