"""Seeks held inside the engine's feeder, where it has flushed the buffer and not yet
decoded anything from the new place: a test reads the position (or saves the player's
state) in that moment, which otherwise passes in a few milliseconds."""

from __future__ import annotations

import threading
from typing import NamedTuple


class HeldSeek(NamedTuple):
    inside: threading.Event    # a seek has come to the decoder (the buffer is flushed)
    go: threading.Event        # set: let it decode from there (cleared again for the next one)


def hold_seeks(monkeypatch, *, from_s: float = 10.0) -> HeldSeek:
    """Every decoder from now on stops each seek to ``from_s`` or further in until ``go``
    is set (20 s at most). A track started from its beginning seeks nothing: only the
    person's moves far into it are held. The seek itself is the decoder's own."""
    from player.audio.decoder import Decoder

    held = HeldSeek(threading.Event(), threading.Event())
    seek_frame = Decoder.seek_frame

    def held_seek(self, frame, **how):
        if frame >= from_s * self.out_rate:
            held.inside.set()
            assert held.go.wait(20)
        return seek_frame(self, frame, **how)

    monkeypatch.setattr(Decoder, "seek_frame", held_seek)
    return held
