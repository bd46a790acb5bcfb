"""A single-producer, single-consumer ring buffer of audio frames with source markers.

The producer (the decoder thread) appends decoded frames; the consumer (the
PortAudio callback, or the null engine's clock) copies them out. Positions are
absolute frame counters that only grow, so "where does the next source begin" is
one integer (a :class:`Segment`), and a gapless hand-over is simply the next
source's frames written right after the previous one's.

The consumer never allocates arrays and never waits long: the producer holds the
lock for a few microseconds while it rewrites positions (seek, flush, retracting
a buffered next source, forgetting segments heard), and the consumer waits for it
at most :data:`LOCK_WAIT_S`; if it is still held then, that one block is silence
(counted as an underrun).
"""

from __future__ import annotations

import threading

import numpy as np

from player.audio.glide import JOIN_GLIDE_FRAMES, Glide
from segue_common import audio_io

#: Frames bent at a time where a raised gain passes full scale (see render).
BEND_CHUNK = 4096

#: How long the consumer waits for the lock. The producer's work under it takes
#: microseconds, but a thread switch in the middle of it (the interpreter's, every few
#: milliseconds, and later on a busy machine) can leave the lock held when the output
#: asks for its block. Not waiting made that block silence inserted in the middle of a
#: song, a dropout; a few milliseconds give the producer the time to finish, well within
#: a device block (23-46 ms).
LOCK_WAIT_S = 0.005


class Segment:
    """From absolute frame ``start`` on, the buffer holds ``source`` from its frame ``offset``.

    ``error`` marks a source that could not be decoded: an empty segment whose
    arrival the engine reports as an error.

    ``mixed``: it begins with a crossfade into it, whose mix scales the source before it by this
    factor at its first frame (that one's ``regain`` over this one's as the mix began, see
    :meth:`RingBuffer.render`); None: it does not.
    """

    __slots__ = ("start", "source", "offset", "error", "mixed")

    def __init__(self, start: int, source, offset: int = 0, error: str | None = None):
        self.start = start
        self.source = source
        self.offset = offset
        self.error = error
        self.mixed: float | None = None


class RingBuffer:
    """Pre-allocated float32 frames [shape=(capacity, channels)] plus segment markers.

    ``fade``: frames over which a flush fades out what the output is playing, and fades in
    what is written after it (0: a flush cuts, as a splice mid-wave does, with a click).
    """

    def __init__(self, capacity: int, channels: int, *, fade: int = 0):
        if capacity <= 0 or channels <= 0 or fade < 0:
            raise ValueError(f"bad ring buffer size {capacity}x{channels} (fade {fade})")
        self.capacity = capacity
        self.channels = channels
        self.buf = np.zeros((capacity, channels), dtype=np.float32)
        self.lock = threading.Lock()
        self.read = 0  # frames consumed (absolute)
        self.write = 0  # frames produced (absolute)
        self.segments: list[Segment] = []
        self.seg_i = 0  # index of the segment the consumer is in
        self.end_of_stream = False  # nothing more will be written after ``write``
        self.underruns = 0
        self.flushes = 0
        self._flowing = False
        self._quiet = True     # the consumer's last block was silence (see render)
        self._held = False     # and it held this one back for the producer (see render)
        self.fade = fade
        # Set by the consumer: it is playing these frames out loud now (not paused or stopped),
        # so a flush leaves it a short tail to fade out on.
        self.audible = False
        # Frames before this (absolute) are such a tail: heard, but no source's and no place's.
        self.tail_end = 0
        self._fade_in_left = 0  # frames still to fade in of what is written after a tail
        # A source's ReplayGain changed after its frames were written (a setting changed while
        # it plays): the output scales them by its ``regain``, gliding from one to the next.
        self.regain = Glide()
        # (room for bending a raised gain's overs without allocating on the output's thread)
        self._bend_work = np.empty(2 * BEND_CHUNK * channels, np.float32)

    # -- producer side ----------------------------------------------------
    def free(self) -> int:
        return self.capacity - (self.write - self.read)

    def buffered(self) -> int:
        return self.write - self.read

    def push(self, frames: np.ndarray) -> int:
        """Append frames [shape=(n, channels)]; returns how many fitted."""
        n = min(len(frames), self.free())
        if n <= 0:
            return 0
        w = self.write % self.capacity
        first = min(n, self.capacity - w)
        self.buf[w:w + first] = frames[:first]
        if n > first:
            self.buf[:n - first] = frames[first:n]
        if self._fade_in_left > 0:
            k = min(n, self._fade_in_left)
            done = self.fade - self._fade_in_left
            self._scale(self.write, np.arange(done + 1, done + k + 1, dtype=np.float32) / self.fade)
            self._fade_in_left -= k
        self.write += n  # publish only after the copy
        return n

    def _scale(self, start: int, factors: np.ndarray) -> None:
        """Multiply the frames from absolute position ``start`` on by ``factors``, one each."""
        n = len(factors)
        s = start % self.capacity
        first = min(n, self.capacity - s)
        self.buf[s:s + first] *= factors[:first, None]
        if n > first:
            self.buf[:n - first] *= factors[first:, None]
        return n

    def mark(self, source, offset: int = 0, error: str | None = None) -> Segment:
        """Start a new segment at the current write position."""
        seg = Segment(self.write, source, offset, error)
        self.segments.append(seg)
        return seg

    def flush(self, *, fade: bool = True, fade_in: bool = False) -> None:
        """Drop everything buffered and every marker.

        While the output plays (``audible``), cutting it off mid-wave would click: the next
        ``fade`` frames it was going to play are kept, fading out to nothing, and what is
        written next fades in. They belong to no segment, so they count for no source, and
        the position is where the new audio begins. Without ``fade`` (stopping, the output is
        silenced anyway) nothing is kept. ``fade_in``: what is written next fades in even
        with nothing kept (it starts mid-wave, after silence).
        """
        with self.lock:
            keep = min(self.fade, self.write - self.read) if fade and self.audible else 0
            if keep:
                self._scale(self.read, np.arange(keep, 0, -1, dtype=np.float32) / (keep + 1))
            self.write = self.read + keep
            self.tail_end = self.write
            self._fade_in_left = self.fade if keep or fade_in else 0
            self.segments = []
            self.seg_i = 0
            self.end_of_stream = False
            self.flushes += 1
            self._flowing = False
            self._quiet = self._quiet or not keep   # (nothing kept: the new audio begins after silence)

    def retract(self, segment: Segment, at: int | None = None) -> bool:
        """Un-write ``segment`` and everything after it, if none of it was consumed yet.
        ``at``: from there on instead, a place before ``segment`` in the segment before it
        (the end of a track that depends on the next one's start)."""
        at = segment.start if at is None else at
        with self.lock:
            if self.read > at or segment not in self.segments:
                return False
            idx = self.segments.index(segment)
            del self.segments[idx:]
            self.write = at
            self.end_of_stream = False
            return True

    def unwrite(self, at: int) -> bool:
        """Un-write the frames from ``at`` on, a place in the last segment, if none of them
        was consumed yet (the end of a track to be made again)."""
        with self.lock:
            if self.read > at or at > self.write or not self.segments or self.segments[-1].start > at:
                return False
            self.write = at
            self.end_of_stream = False
            return True

    def frames(self, at: int) -> np.ndarray:
        """A copy of the frames written from absolute position ``at`` on, not yet consumed (the
        producer's: the consumer never changes frames it has not read)."""
        n = max(0, self.write - at)
        out = np.empty((n, self.channels), np.float32)
        s = at % self.capacity
        first = min(n, self.capacity - s)
        out[:first] = self.buf[s:s + first]
        out[first:] = self.buf[:n - first]
        return out

    def fade_out_end(self, frames: int) -> None:
        """Fade the last ``frames`` frames written (fewer where fewer are left to play) out to
        nothing, and what is written next in from nothing over ``fade`` frames: a track that
        ends mid-wave into another that starts mid-wave, with no time left to mix the two."""
        with self.lock:
            k = min(frames, self.write - self.read)
            if k > 0:
                self._scale(self.write - k, np.arange(k, 0, -1, dtype=np.float32) / (k + 1))
            self._fade_in_left = self.fade

    def prune(self) -> None:
        """Forget segments the consumer has left behind."""
        # The feeder calls this every tick. Taking the lock when there is nothing to forget
        # (all through a track) made the output wait on it for nothing, and on a loaded
        # machine the feeder can be held up with the lock in hand for longer than the output
        # waits: that block was silence mid-song, a click. Only the consumer raises seg_i, so
        # a 0 read here without the lock is at worst one tick out of date.
        if self.seg_i == 0:
            return
        with self.lock:
            if self.seg_i > 0:
                del self.segments[:self.seg_i]
                self.seg_i = 0

    def current_segment(self) -> Segment | None:
        """The segment holding the next frame to be heard (producer-side view)."""
        segs, read = self.segments, self.read
        cur = None
        for seg in segs:
            if seg.start <= read:
                cur = seg
            else:
                break
        return cur

    # -- consumer side ----------------------------------------------------
    def render(self, out: np.ndarray) -> int:
        """Fill ``out`` [shape=(n, channels)] with the next frames, silence for the rest.

        Adds the frames to each source's ``heard_frames``; counts an underrun when
        the stream ran dry before its end. Returns the number of audio frames.
        """
        if not self.lock.acquire(timeout=LOCK_WAIT_S):
            out.fill(0.0)
            if self._flowing:     # (silence mid-song: a dropout like any other)
                self.underruns += 1
                self._flowing = False
            return 0
        try:
            n = len(out)
            m = min(n, self.write - self.read)
            # A flush's tail fading out, and less of the new audio written than the rest of this
            # block: the tail alone, and the new audio from the next block (held there once if
            # need be, as below), rather than begun here and broken off by silence.
            tail_only = self.read < self.tail_end and m < n and not self.end_of_stream
            if tail_only:
                m = min(m, self.tail_end - self.read)
            elif self._quiet and 0 < m < n and not self._held and not self.end_of_stream:
                # Audio about to begin out of silence (a play, a seek, a dry spell) with less
                # than this block written yet: an output of large blocks (8192 frames, as
                # Windows and macOS ones can ask for) took the feeder's first few thousand
                # frames and then silence, a hole a tenth of a second into the song. Held one
                # block, the feeder has written on by the next: the music starts that much
                # later, whole. Once only, so a short sound with nothing after it yet plays.
                self._held = True
                out.fill(0.0)
                return 0
            self._held = False
            if m > 0:
                r = self.read % self.capacity
                first = min(m, self.capacity - r)
                out[:first] = self.buf[r:r + first]
                if m > first:
                    out[first:m] = self.buf[:m - first]
                read, pos, end, segs, i = self.read, self.read, self.read + m, self.segments, self.seg_i
                # (audio out of silence, or after a flush's tail: nothing heard to glide from)
                fresh = self._quiet
                while pos < end and segs:
                    if i + 1 < len(segs) and segs[i + 1].start <= pos:
                        i += 1
                        continue
                    if pos < segs[i].start:  # the tail a flush kept: nobody's
                        stop = min(end, segs[i].start)
                        self.regain.apply(out[pos - read:stop - read])
                        pos, fresh = stop, True
                        continue
                    stop = end if i + 1 >= len(segs) else min(end, segs[i + 1].start)
                    source = segs[i].source
                    source.heard_frames += stop - pos
                    # Each source at its regain: one following another without a gap glides
                    # there with the join's glide (its gain's, written), so the two make one
                    # move; a crossfade's mix scales the first one by its regain over this
                    # one's as they stood when it was written (see Crossfade): the fade starts
                    # where that leaves the first one at the level it was just heard at, and
                    # glides on. Taken at once, a regain changed in the second and a half
                    # between the mix being written and heard was a step in the first one.
                    target, joined = getattr(source, "regain", 1.0), pos == segs[i].start
                    mixed = segs[i].mixed if joined else None
                    if fresh:
                        self.regain.set(target, at_once=True)
                    elif mixed is not None:
                        self.regain.set(self.regain.level / mixed, at_once=True)
                        self.regain.set(target)
                    else:
                        self.regain.set(target, frames=JOIN_GLIDE_FRAMES if joined else None)
                    # The feeder kept a boost within full scale at the gain it wrote with; a
                    # gain raised since scales those frames on past it, and the card cut them
                    # wherever the volume did not bring them back: bent here as the feeder
                    # does. (A level of one or less leaves a file's own overs for the volume.)
                    over = self.regain.level > 1.0 or self.regain.end > 1.0
                    self.regain.apply(out[pos - read:stop - read])
                    if over:
                        # (read as the regain is: a segment's source is not always a Source, and
                        # an error here, on the output's thread, would silence the card)
                        bends = getattr(source, "bends", False)
                        for at in range(pos - read, stop - read, BEND_CHUNK):
                            chunk = out[at:min(at + BEND_CHUNK, stop - read)]
                            if audio_io.bend_overs(chunk, bends, self._bend_work) and not bends:
                                bends = True
                                if source is not None:
                                    source.bends = True
                    pos, fresh = stop, False
                if pos < end:   # (no segment: a flush's tail alone)
                    self.regain.apply(out[pos - read:end - read])
                self.seg_i = i
                self.read = end
            if m < n:
                out[m:] = 0.0
                # One underrun per dry spell that interrupts audio: audio flowing, or just begun
                # in this block past a flush's tail (not the silence before a freshly started
                # source's first block, nor a flush's tail fading out to nothing).
                begun = m > 0 and self.read > self.tail_end
                if (self._flowing or begun) and not self.end_of_stream and self.segments:
                    self.underruns += 1
            # (a block that ended in a flush's tail: the new audio may not be written yet)
            self._flowing = m == n and self.read > self.tail_end
            self._quiet = m == 0 or tail_only
            return m
        finally:
            self.lock.release()
