"""Crossfade: the end of one source mixed with the start of the next (equal power)."""

from __future__ import annotations

import numpy as np

from player.audio.base import Source
from player.audio.decoder import Decoder, DecodeError
from player.audio.glide import Glide
from segue_common import audio_io


def _topped(dec: Decoder, got: np.ndarray, n: int, channels: int) -> np.ndarray:
    """``got`` [shape=(k, channels)] read on from ``dec`` up to ``n`` frames, never waiting:
    zero-padded past its end, and short (the rest asked again later) where the file is caught
    halfway through a rewrite as it is read."""
    if len(got) >= n:
        return got
    block = dec.read(n - len(got), wait=False)
    if len(got):
        block = np.concatenate([got, block])
    if len(block) < n and not dec.settling:
        block = np.concatenate([block, np.zeros((n - len(block), channels), np.float32)])
    return block


class Crossfade:
    """Mix ``length`` frames: source A fading out (cos) while B fades in (sin).

    Equal-power curves keep the loudness steady for uncorrelated music; the sum
    is clipped to full scale where a gain boosts either (bent smoothly where a file is mixed
    down from more channels), as outside a fade. A that cannot be read any further (a damaged frame in
    its last seconds) is silent for the rest of the fade: B is what is heard by then.
    B that cannot be read raises :class:`DecodeError` from :meth:`step`.

    ``a_head``: A's first frames of the fade as they were written already, its gain applied (a
    next track set late: A's end, in the buffer and not heard, is taken back to fade over); the
    rest of A is read from ``a_dec`` after them.
    """

    def __init__(self, a_src: Source, a_dec: Decoder, b_src: Source, b_dec: Decoder, length: int,
                 a_head: np.ndarray | None = None):
        if length <= 0:
            raise ValueError(f"crossfade length must be positive, got {length}")
        self.a_src, self.a_dec, self.b_src, self.b_dec = a_src, a_dec, b_src, b_dec
        self.length = length
        self.done_frames = 0
        head = 0 if a_head is None else len(a_head)
        self.a_start_frame = a_dec.frame - head  # where A resumes if the fade is taken back
        self.a_lost: str | None = None  # why A could not be read to the end of the fade
        # What was read of one side and not mixed yet: the other side's file was caught
        # halfway through a rewrite as it was read (see step).
        self._a_got = self._b_got = np.zeros((0, a_dec.channels), np.float32)
        if head:
            self._a_got = np.asarray(a_head, np.float32)
        self._a_gained = head   # frames at the front of _a_got with A's gain applied already
        # The output scales the fade by B's ``regain`` (it is B's in the buffer): A's part is
        # scaled by its own over B's, so each song is heard at its gain after a ReplayGain
        # change, gliding there as the output does.
        self._a_rel = Glide(level=self._rel())
        #: that factor at the fade's first frame: the output starts the fade from it (see
        #: RingBuffer.render), for A's part to go on at the level A was heard at just before
        self.a_rel_start = self._a_rel.level

    def step(self, n: int) -> tuple[np.ndarray, bool]:
        """The next mixed block [shape=(k, channels)], k <= n, and whether the fade is over.
        Nothing (k = 0, not over) while a file of the two is caught halfway through a rewrite
        (a tagger's): the caller asks again later, and what it buffered plays meanwhile. Read
        waiting, a rewrite of one over a second held the feeder's thread as long (1.13 s)."""
        k = min(n, self.length - self.done_frames)
        channels = self.a_dec.channels
        # Both are looked at, every time: B not looked at while A waits left B "settling" after
        # it was read again (a retag of the album), and B, fine, was the one given up where
        # A's open again never returned; both written, they are opened again side by side.
        a_ready = self.a_lost is not None or self.a_dec.ready()
        if not (self.b_dec.ready() and a_ready):
            return np.zeros((0, channels), np.float32), False
        # Read without waiting, even after ready(): a file written in place between the look and
        # the read (a tagger saving it then) held the feeder's thread in the read until it was
        # opened again, for good where its share stopped answering, and the output ran dry.
        # What one side gave beyond the other is kept for the next step.
        if self.a_lost is None:
            try:
                self._a_got = _topped(self.a_dec, self._a_got, k, channels)
            except DecodeError as exc:
                self.a_lost = str(exc)
        if self.a_lost is not None and len(self._a_got) < k:
            self._a_got = np.concatenate([self._a_got, np.zeros((k - len(self._a_got), channels), np.float32)])
        self._b_got = _topped(self.b_dec, self._b_got, k, channels)
        k = min(len(self._a_got), len(self._b_got))
        if not k:
            return np.zeros((0, channels), np.float32), False
        a, self._a_got = self._a_got[:k], self._a_got[k:]
        b, self._b_got = self._b_got[:k], self._b_got[k:]
        t = (self.done_frames + np.arange(k, dtype=np.float32)) / self.length * (np.pi / 2)
        a_gain = np.full(k, self.a_src.gain, np.float32)
        gained = min(k, self._a_gained)
        a_gain[:gained] = 1.0
        self._a_gained -= gained
        self._a_rel.set(self._rel())
        a_gain *= self._a_rel.curve(k)
        out = a * (np.cos(t) * a_gain)[:, None] + b * (np.sin(t) * self.b_src.gain)[:, None]
        out = out.astype(np.float32, copy=False)
        if self.a_dec.summed or self.b_dec.summed:
            audio_io.soft_clip(out)     # (a downmix's sum is bent, as outside a fade)
        elif self.a_src.gain > 1.0 or self.b_src.gain > 1.0:
            # (as outside a fade, only a boost's over is bent here: a file's own, or the sum's,
            # is left for the volume to bring back, and for the card to clip what still passes)
            if audio_io.bend_overs(out, self.a_src.bends or self.b_src.bends):
                for src in (self.a_src, self.b_src):
                    if src.gain > 1.0:
                        src.bends = True
        self.done_frames += k
        return out, self.done_frames >= self.length

    def _rel(self) -> float:
        return self.a_src.regain / self.b_src.regain if self.b_src.regain > 0 else 1.0
