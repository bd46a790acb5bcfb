"""Which torch device the recommender computes on: one rule for analysis and training.

``SEGUE_DEVICE`` (cpu|cuda|mps|auto) wins, then the caller's preference (the app's
"use the GPU" setting, or a model's ``device=`` argument), then CUDA, then Apple MPS,
then the CPU. A device that is asked for but not present falls back to that order
rather than failing: a settings file copied from a machine with a GPU must not
stop analysis on one without.
"""

from __future__ import annotations

import os


def _available(name: str) -> bool:
    import torch

    if name == "cpu":
        return True
    if name == "cuda":
        return torch.cuda.is_available()
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    return False


def pick_device(preferred: str | None = None) -> str:
    """The device name to use ("cuda", "mps" or "cpu"); see the module docstring."""
    for choice in (os.environ.get("SEGUE_DEVICE"), preferred):
        choice = str(choice or "auto").strip().lower().split(":")[0]
        if choice != "auto" and _available(choice):
            return choice
    for name in ("cuda", "mps"):
        if _available(name):
            return name
    return "cpu"
