"""`hf`: a neural captioner for real devices, through Hugging Face transformers.

Works with image-to-text checkpoints that AutoModelForImageTextToText loads: BLIP, GIT,
VisionEncoderDecoder (ViT-GPT2 and the like), and prompted models such as Florence-2 given their
task prompt. The model is read from a local folder or the local hub cache only, never
downloaded while the device runs:

    hf download Salesforce/blip-image-captioning-base               # once, with internet
    narrator caption photo.jpg --captioner hf --hf-model Salesforce/blip-image-captioning-base
    narrator caption photo.jpg --captioner hf --hf-model microsoft/Florence-2-base --hf-prompt "<CAPTION>"

In the config: `[hf] model = "..."`, `prompt = "<CAPTION>"`. Which models suit a Jetson: see
models/README.md ("Captioners").

Uses CUDA (fp16 by default there) when present. Install with: pip install "narrated-reality[hf]".
"""
from __future__ import annotations

import pickle

import numpy as np

from .base import Captioner


class HFCaptioner(Captioner):
    name = "hf"

    def __init__(self, model: str = "Salesforce/blip-image-captioning-base", max_new_tokens: int = 30,
                 num_beams: int = 3, device: str | None = None, fp16: bool = True, prompt: str = ""):
        import torch
        from transformers import AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = torch.float16 if (fp16 and self.device.type == "cuda") else torch.float32
        try:
            self.images = AutoImageProcessor.from_pretrained(model, local_files_only=True)
            self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
            self.model = AutoModelForImageTextToText.from_pretrained(model, local_files_only=True, dtype=dtype)
        except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as e:   # missing, corrupt, unsafe
            raise RuntimeError(f"captioner 'hf' could not load {model!r} from a local folder or the hub cache "
                               f"({e}). Download it once with `hf download {model}` or give a "
                               "folder path.") from None
        self.model.to(self.device).eval()
        self.dtype, self.model_name, self.prompt = dtype, model, prompt
        self.generate_options = {"max_new_tokens": max_new_tokens, "num_beams": num_beams}

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import transformers  # noqa: F401
        except ImportError:
            return False, 'transformers is not installed: pip install "narrated-reality[hf]"'
        return True, ""

    def describe(self, rgb: np.ndarray) -> tuple[str, dict]:
        import torch
        from PIL import Image
        if min(rgb.shape[:2]) < 4:  # image processors reject tiny images; upscale what little there is
            rgb = np.asarray(Image.fromarray(rgb).resize((32, 32), Image.NEAREST))
        pixels = self.images(images=Image.fromarray(rgb), return_tensors="pt")["pixel_values"]
        inputs = {"pixel_values": pixels.to(self.device, self.dtype)}
        if self.prompt:   # prompted models (Florence-2: "<CAPTION>") read the task as text
            inputs["input_ids"] = self.tokenizer(self.prompt, return_tensors="pt")["input_ids"].to(self.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **self.generate_options)
        text = self.tokenizer.batch_decode(out, skip_special_tokens=True)[0].strip()
        if self.prompt and text.startswith(self.prompt):
            text = text[len(self.prompt):].strip()
        return text or "a picture of something", {"model": self.model_name, "device": str(self.device),
                                                   "prompt": self.prompt}
