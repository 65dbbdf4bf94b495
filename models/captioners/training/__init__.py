"""Training the eyes: the object head and the caption decoder, from ../shared's photos.

    python -m models.captioners.training --shared ../shared     # the one command, resumable

Everything here is for training and measuring only: the captioner the device runs imports
nothing from this package (a test holds it), and the teacher detectors are opened here alone.
"""
from pathlib import Path

CACHE = Path.home() / ".cache" / "narrator" / "eyes"   # features, teachers' boxes, checkpoints
