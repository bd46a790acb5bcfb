"""A null output, faster than real time, that plays in real time while the next track's file
opens, or while the player has yet to say which track comes next.

The files of the tracks to come open on threads of their own, in real time, while a null
output at eight times real time plays the song before it in an eighth of the time a sound card
would. On a loaded machine the song could end before the next file was open, and the test saw
a gap (or a fade that never came) that a sound card, paced by the clock, would never have
played. This output gives each open the time it would have had in real time, and plays fast
again once it is done: what comes out is the same, sample for sample.

The player says which track follows one only once that one is heard, and a sound card gives it
the whole song to answer. Eight times faster, it had an eighth of that: a track of 3.4 s left it
0.4 s, and on a loaded machine the answer came after the song before had played out, the next
track then started after a gap (silence at the join, no underrun counted) that a sound card
would not have played (or, where the next track is to fade in, a fade cut short). Once the
song playing is written to within a second of its fade, or to its end, with nothing set after
it but tracks expected after it, the output plays in real time until the answer comes.

So it does while its buffer is less than half full with more to come: the decoder's thread held
back on a loaded machine, a sound card plays its 1.5 s buffer in 1.5 s, this output in a fifth
of a second, and it played silence mid-album that no sound card would have.
"""

from __future__ import annotations

from player.audio.null_engine import NullEngine


class _Paced(NullEngine):
    """:class:`NullEngine` whose output runs at real time while :meth:`_in_real_time` says so,
    at the speed the test set otherwise."""

    def _in_real_time(self) -> bool:
        raise NotImplementedError

    @property
    def _speed(self) -> float:
        # (read by the output's clock at each block)
        return min(1.0, self._fast) if self._in_real_time() else self._fast

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


class OpensInRealTime(_Paced):
    """:class:`NullEngine` whose output runs at real time while the next track's file opens."""

    def _in_real_time(self) -> bool:
        # (the open is set and taken on the feeder; one put off till the output nears the
        # file is not opening yet)
        opening = getattr(self, "_nopen", None)
        return (opening is not None and not opening.deferred) or self._answer_awaited() or self._running_low()

    def _running_low(self) -> bool:
        """The buffer holds less than half of what it can, more still to be written: the
        decoder's thread is held back (a busy machine). A sound card plays the whole buffer in
        real time meanwhile (1.5 s); eight times faster, it ran dry in a fifth of a second and
        played silence in the middle of a song, which no sound card would have."""
        ring = getattr(self, "_ring", None)
        return ring is not None and not ring.end_of_stream and ring.buffered() < ring.capacity // 2

    def _answer_awaited(self) -> bool:
        """The player has said that tracks follow the song playing but not yet which one is
        next (its answer is on its way), and the song is written to within a second of where
        its crossfade would begin, or to its end: from there on, a late answer joins it with
        a fade cut short, or after a gap. (The last track's answer is that nothing follows:
        the player clears what follows with it.)"""
        if getattr(self, "_next", True) is not None or not getattr(self, "_following", None):
            return False
        return _written_near_the_join(self)


def _written_near_the_join(engine: NullEngine) -> bool:
    """The song playing is written to within a second of where its crossfade would begin, or
    to its end: from there on the output plays the last of it, and then the next track."""
    ring, dec = getattr(engine, "_ring", None), getattr(engine, "_wdec", None)
    if dec is None:
        return ring is not None and ring.end_of_stream and getattr(engine, "_writing", True) is None
    total = dec.total_frames
    return total is not None and total - dec.frame <= (engine.crossfade_s + 1.0) * engine.rate


class SlowOpensInRealTimeNearTheJoin(_Paced):
    """:class:`NullEngine` whose output runs in real time while the next track's file still
    opens once the song playing is written to within a second of where the next joins it.

    A test of an open slower than the buffer lasts needs the output fast while the open goes
    on: it runs dry, where the open holds up the writing, in the middle of the song. Fast to
    the end, the song was over, on a loaded machine, before an open of a second or two was
    (an ffprobe alone can take 1.5 s there), and the output waited for the next track: a gap
    that a sound card, giving the open the song's whole length, would never have played. Paced
    so, the output plays the last second and what is buffered in the time a sound card would,
    until the next track is read from (an ffmpeg-decoded file's ffmpeg starts at its first
    read); what comes out is the same, sample for sample."""

    def _in_real_time(self) -> bool:
        # (the open is set and taken on the feeder. An ffmpeg-decoded file's ffmpeg starts at
        # its first read: opened, and not read from yet, its open is not over)
        opening, opened = getattr(self, "_nopen", None), getattr(self, "_ndec", None)
        return ((opening is not None and not opening.deferred or opened is not None and opened.untouched)
                and _written_near_the_join(self))
