"""A null output, faster than real time, that plays in real time while the next track's file
opens.

The files of the tracks to come open on threads of their own, in real time, while a null
output at eight times real time plays the song before it in an eighth of the time a sound card
would. On a loaded machine the song could end before the next file was open, and the test saw
a gap (or a fade that never came) that a sound card, paced by the clock, would never have
played. This output gives each open the time it would have had in real time, and plays fast
again once it is done: what comes out is the same, sample for sample.
"""

from __future__ import annotations

from player.audio.null_engine import NullEngine


class OpensInRealTime(NullEngine):
    """:class:`NullEngine` whose output runs at real time while the next track's file opens."""

    @property
    def _speed(self) -> float:
        # (read by the output's clock at each block; the open is set and taken on the feeder;
        # one put off till the output nears the file is not opening yet)
        opening = getattr(self, "_nopen", None)
        if opening is not None and not opening.deferred:
            return min(1.0, self._fast)
        return self._fast

    @_speed.setter
    def _speed(self, speed: float) -> None:
        self._fast = speed

    @property
    def speed(self) -> float:
        # The speed the test set, not the real time of an open under way: a test that saves
        # the speed, raises it and puts the saved one back must not leave it at real time.
        return self._fast

    @speed.setter
    def speed(self, speed: float) -> None:
        NullEngine.speed.fset(self, speed)
