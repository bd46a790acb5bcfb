"""A factor that moves to each new value in a straight line, carried from block to block.

A step in the level mid-wave is a click: the output's ReplayGain correction (a setting changed
while a song plays) moves over :data:`REGAIN_GLIDE_FRAMES` instead, as a player's preamp knob
does, long enough to be heard as a slide and short enough to be heard as at once.
"""

from __future__ import annotations

import numpy as np

#: ~70 ms at 44.1 kHz: a ReplayGain change (up to 48 dB) over this many frames has no click.
REGAIN_GLIDE_FRAMES = 3072
#: Where one track follows another without a gap at another ReplayGain, the level moves from
#: the one gain to the other over this many of the second track's first frames (~12 ms).
JOIN_GLIDE_FRAMES = 512


class Glide:
    """A factor (``level``) gliding to a target in a straight line, over ``frames`` frames
    unless told fewer."""

    def __init__(self, frames: int = REGAIN_GLIDE_FRAMES, level: float = 1.0):
        if frames <= 0:
            raise ValueError(f"a glide needs at least one frame, got {frames}")
        self.frames = frames
        self._steps = np.arange(1, frames + 1, dtype=np.float32)
        self._gains = np.empty(frames, np.float32)
        self.start = self.end = float(level)
        self.length = frames
        self.at = frames        # frames of the glide done (length or more: at the level)

    @property
    def level(self) -> float:
        """The factor the last frame was scaled by."""
        return self.start + (self.end - self.start) * min(1.0, self.at / self.length)

    def set(self, target: float, *, frames: int | None = None, at_once: bool = False) -> None:
        """Glide from where the level is to ``target`` over ``frames`` (at most the glide's
        own); ``at_once``: be there from the next frame (nothing heard to glide from)."""
        target = float(target)
        if at_once:
            self.start = self.end = target
            self.at = self.length = self.frames
        elif target != self.end:
            self.start, self.at, self.end = self.level, 0, target
            self.length = self.frames if frames is None else max(1, min(frames, self.frames))

    def apply(self, block: np.ndarray) -> None:
        """Scale ``block`` [shape=(n, channels)] in place, the glide moving on n frames.
        Allocates nothing (the output's thread calls it)."""
        at, start, end, length = self.at, self.start, self.end, self.length
        k = min(len(block), length - at)
        if k > 0:
            gains = self._gains[:k]
            np.multiply(self._steps[at:at + k], (end - start) / length, out=gains)
            np.add(gains, start, out=gains)
            np.multiply(block[:k], gains[:, None], out=block[:k])
            self.at = at + k
        else:
            k = 0
        if end != 1.0 and k < len(block):
            np.multiply(block[k:], end, out=block[k:])

    def curve(self, n: int) -> np.ndarray:
        """The next ``n`` factors [shape=(n,)], the glide moving on n frames."""
        out = np.ones((n, 1), np.float32)
        self.apply(out)
        return out[:, 0]
