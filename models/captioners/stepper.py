"""Run a trained nn.TransformerDecoder one word at a time, remembering what it computed.

nn.Transformer's decoder recomputes every earlier position at each new word; writing a caption
with four beams then spent most of its time on work it had already done. The stepper keeps each
layer's self-attention keys and values (reordered when beams are pruned) and computes the
concepts' keys and values once. It reads the same weights (pre-norm layers, as PhraseModel
trains them), so its logits equal the full decoder's (a test holds this).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class DecoderStepper:
    def __init__(self, decoder: nn.TransformerDecoder, memory: torch.Tensor, memory_pad: torch.Tensor):
        """memory (1, C, d) from the encoder, memory_pad (1, C) True where a concept is padding."""
        self.layers, self.norm = list(decoder.layers), decoder.norm
        if not all(layer.norm_first for layer in self.layers):
            raise ValueError("DecoderStepper follows pre-norm layers (norm_first=True) only")
        attn = self.layers[0].self_attn
        self.heads, d = attn.num_heads, attn.embed_dim
        self.cross = []
        for layer in self.layers:
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            k = F.linear(memory, w[d:2 * d], b[d:2 * d])
            v = F.linear(memory, w[2 * d:], b[2 * d:])
            self.cross.append((self._split(k), self._split(v)))
        self.take = (~memory_pad)[:, None, None, :]     # (1, 1, 1, C): which concepts to attend
        self.past: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(self.layers)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        return x.view(B, T, self.heads, d // self.heads).transpose(1, 2)

    @staticmethod
    def _merge(x: torch.Tensor) -> torch.Tensor:
        B, H, T, hd = x.shape
        return x.transpose(1, 2).reshape(B, T, H * hd)

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 1, d): the newest word's embedding plus position -> the decoder's output for it."""
        B = x.shape[0]
        for i, layer in enumerate(self.layers):
            sa = layer.self_attn
            q, k, v = (self._split(t) for t in F.linear(layer.norm1(x), sa.in_proj_weight,
                                                        sa.in_proj_bias).chunk(3, -1))
            if self.past[i] is not None:
                k, v = torch.cat([self.past[i][0], k], 2), torch.cat([self.past[i][1], v], 2)
            self.past[i] = (k, v)
            x = x + sa.out_proj(self._merge(F.scaled_dot_product_attention(q, k, v)))
            ca = layer.multihead_attn
            d = ca.embed_dim
            q = self._split(F.linear(layer.norm2(x), ca.in_proj_weight[:d], ca.in_proj_bias[:d]))
            ck, cv = (t.expand(B, -1, -1, -1) for t in self.cross[i])
            a = F.scaled_dot_product_attention(q, ck, cv, attn_mask=self.take.expand(B, -1, -1, -1))
            x = x + ca.out_proj(self._merge(a))
            x = x + layer.linear2(layer.activation(layer.linear1(layer.norm3(x))))
        return self.norm(x) if self.norm is not None else x

    def keep(self, rows: list[int]) -> None:
        """Beams were pruned or copied: row r of the cache becomes the past of rows[r]."""
        index = torch.tensor(rows, dtype=torch.long, device=self.take.device)
        self.past = [(k[index], v[index]) for k, v in self.past]
