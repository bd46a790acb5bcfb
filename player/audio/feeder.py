"""The write side of the buffered engine: decoders, hand-over, seeking, events.

Everything here runs on the engine's feeder thread (:class:`FeederMixin` is mixed
into :class:`player.audio.buffered.BufferedEngine`, whose ``__init__`` creates
the state used below), but for opening the files of the tracks to come, which
runs on threads of their own (:class:`_Opening`). The feeder keeps the ring buffer full from the source
being written (``_writing``), writes the next source (``_next``) right after it
-- or mixed with it over ``crossfade_s`` -- and keeps the previous decoder
(``_prev``) until its successor is heard, so a hand-over can be taken back
(the next track changed) or a seek can return into it.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import numpy as np

from player.audio.base import PlaybackState, Source, follows_on
from player.audio.crossfade import Crossfade
from player.audio.decoder import Decoder, DecodeError, Opening
from player.audio.glide import JOIN_GLIDE_FRAMES
from segue_common import audio_io

BLOCK = 4096  # frames decoded per step
#: A resampled track's end, read with nothing set to follow it yet, waits for a next track
#: to join (see _join) until the buffer holds less than this (seconds) before it: the player
#: sets the next track once the current one is heard, and a track shorter than the buffer is
#: read to its end before that.
NEXT_WAIT_S = 0.5
#: A track waiting where its crossfade would begin for the next track's file to open plays on
#: (without the fade, or with what is left of it) once the buffer holds less than this (seconds):
#: held there, its last seconds were a hole before its end for as long as the open took. A
#: dozen feeder ticks and more, kept against a busy machine; not more, for the buffer of a
#: short song just started holds little more than its part before the fade, and that waits
#: for an open of a tenth of a second or two (an ffmpeg starting) rather than lose its fade.
#: More where the output takes more at once (see _play_on_frames).
PLAY_ON_S = 0.25
#: A next track set so late that the crossfade into it should have begun already (the person
#: pressed Play next in a song's last seconds; its file opened late) is faded into over the end
#: of the song playing that is in the buffer and not heard yet, but for this much (seconds) just
#: ahead of the output, which it may be playing as the fade is made: two blocks of the sound
#: card's (46 ms each) and more, for the fade's first block is written at once after. Where the
#: output says how far ahead it takes audio (its latency and two of its blocks, see
#: _late_fade_margin), and that is more, that is kept instead: on Windows and macOS a stream's
#: blocks can be 4096-8192 frames and its latency 100-200 ms, and such an output could read
#: past this tenth of a second, or run dry right after the take-back, before the fade is written.
LATE_FADE_MARGIN_S = 0.1
#: How long (seconds) the output is left silent, once it has played all it was given, for the
#: file of the track to come to open. A file on a network share or a disk that stopped
#: answering can take minutes to open, or never: the player would stay "playing" silence, the
#: song before it never said to have ended. Past this the track is given up as one that could
#: not be opened, and the one after it is played. Not shorter: an external disk asleep takes
#: seconds to spin up, a share seconds to reconnect, and an ffmpeg file of hours seconds to
#: probe on a busy machine; given up on, a song that would have played is logged as failing.
OPEN_WAIT_S = 20.0
#: A file expected after the next track is opened once the output has less than this (seconds)
#: to play before it starts (see _prepare_following), and the next track's file no later than
#: this (see NEXT_OPEN_AHEAD_S): as long as an open is waited for (OPEN_WAIT_S), since the file
#: may be on a disk spinning up or a share reconnecting, not only an ffprobe and an ffmpeg
#: starting on a busy machine; opened 4 s ahead, a disk that took 4.5 s to answer ran the
#: output dry after a clip. Not longer: each file opened ahead holds an ffmpeg waiting (of the
#: few the player lists).
OPEN_AHEAD_S = 20.0
#: The next track's file is opened once the output has less than this (seconds), or than
#: OPEN_AHEAD_S and the crossfades where that is longer, to play before it (see _next_opened).
#: A song of ordinary length keeps its next file open from the start, so Next answers at once
#: (put off, a skip to an M4A waited a fifth of a second in silence for ffmpeg to start) and a
#: slow open is hidden behind the song; only a long piece -- a mix, an audiobook chapter -- puts
#: it off to this far before its end, so its next file is not held open for an hour (an ffmpeg
#: waiting, a file a tagger cannot save on Windows, one saved anew meanwhile played as it was).
NEXT_OPEN_AHEAD_S = 300.0
#: A file opened ahead is closed again once the output has more than OPEN_AHEAD_S (for the next
#: track's, NEXT_OPEN_AHEAD_S) and this (seconds) to play before it (a seek back in the song
#: playing, to its start), and opened again as before once the output nears it: held open
#: meanwhile, for as long as an hour-long song played, it kept an ffmpeg waiting, and on Windows
#: an open file cannot be saved by a tagger. Not less: a seek back of a few seconds would close
#: a file only to open it again moments later.
CLOSE_AHEAD_MARGIN_S = 10.0
#: a song told started ahead of its sound is told again when the time it is first heard moves
#: by more than this (the output switched meanwhile); the host's own times for a block jitter less
HEARD_RETOLD_S = 0.02
#: ...for this long after the time told, where the new output plays it later than the old would
HEARD_WATCHED_S = 2.0

log = logging.getLogger(__name__)


class _Opening(Opening):
    """A source's file being opened (:meth:`FeederMixin._open`) on a thread of its own.

    Opening a file can take seconds: ffmpeg's formats start an ffprobe and an ffmpeg (up to
    1.4 s on a busy machine), and a disk that has gone to sleep or a network share has to
    answer first. The feeder keeps the output fed meanwhile and looks at :meth:`take` at
    every tick; opened on the feeder's thread, a wait longer than the buffer was a gap in
    the middle of the song playing."""

    def __init__(self, source: Source, open_file, woken, *, deferred: bool = False):
        super().__init__(lambda: open_file(source), name="audio-file-open", path=source.path, woken=woken)
        self.source = source
        self.silent_since: float | None = None  # when the output ran out waiting for it (see _open_given_up)
        #: not begun yet: the next track's file, opened once the output nears it (see
        #: FeederMixin._next_opened); until then it reads as one still opening
        self.deferred = deferred
        if not deferred:
            self.start()

    def begin(self) -> None:
        """Begin the open put off (see :attr:`deferred`); nothing where it is under way."""
        if self.deferred:
            self.deferred = False
            self.start()


class _Start:
    """A track played (:meth:`FeederMixin._play`) whose file is still opening: where it is to
    start, the play or seek the position reads until it does, and the syncs that wait for it
    (a sync after a play returns once the file is open, or has failed, as it did when the file
    was opened on the feeder's thread)."""

    __slots__ = ("opening", "source", "frame", "placed", "fade_in", "move", "since", "syncs", "played")

    def __init__(self, opening: _Opening, source: Source, frame: int, move):
        self.opening, self.source, self.frame, self.move = opening, source, frame, move
        self.played: int | None = None  # the play's count, told the output once it starts
        self.placed, self.fade_in = True, False     # (see FeederMixin._start_writing)
        self.since: float | None = time.monotonic()     # since when it is waited for playing (see _start_opened)
        self.syncs: list[threading.Event] = []

    def synced(self) -> None:
        for done in self.syncs:
            done.set()


class FeederMixin:
    """Feeder-thread methods of :class:`~player.audio.buffered.BufferedEngine`."""

    def _command(self, name: str, arg) -> None:
        if name == "play":
            source, move, n = arg
            self._plays_taken = n
            try:
                self._play(source, move)
            finally:
                start = self._starting
                if start is not None and start.source is source:
                    # (its file still opening: the output holds silence, at the level of
                    # silence, till it starts; a pause meanwhile would otherwise fade out
                    # from full level over the track's first frames, once it opened)
                    start.played = n
                else:
                    self._played = n    # (the buffer holds nothing of the old track any more)
                self._arrived_or_starting(move)
        elif name == "next":
            self._set_next(arg)
        elif name == "following":
            self._set_following(arg)
        elif name == "seek":
            seconds, source, move = arg
            try:
                self._seek(seconds, source)
            finally:
                self._arrived_or_starting(move)
        elif name == "stop":
            self._stops_taken = arg
            self._drop_all()
        elif name == "sync":
            done, opened = arg
            if self._starting is not None and opened:
                self._starting.syncs.append(done)   # (see _Start)
            else:
                done.set()

    def _play(self, source: Source, move) -> None:
        """Play ``source`` from its ``start_s``. Its file is opened on a thread of its own (see
        :class:`_Opening`), where it is not open already: a file on a share or a disk that
        stopped answering can take minutes to open, or never, and opened here the feeder took
        no command meanwhile (Stop, Next, another song: none was obeyed, the player stuck on
        silence). It starts once open (see :meth:`_start_opened`), or fails after OPEN_WAIT_S."""
        dec = self._open_already(source)
        opening = self._opening_of(source) if dec is None else None
        self._drop_all(keep_prepared=True)   # (what follows the new track may be the same)
        frame = int(max(0.0, source.start_s) * self.rate)
        if dec is not None:
            self._start_writing(source, frame, dec=dec, placed=True)
            return
        self._starting = _Start(opening or self._start_open(source), source, frame, move)

    def _opening_of(self, source: Source) -> _Opening | None:
        """An open of ``source``'s file under way (the track played was still opening as the
        next one, or is played again while it opens), taken out of where it was: opened again,
        a file that does not answer held one thread more, and the wait began anew."""
        start = self._starting
        if start is not None and _same_file(start.source, source):
            self._starting = None
            start.synced()
            return start.opening
        if self._nopen is not None and _same_file(self._nopen.source, source):
            opening, self._nopen = self._nopen, None
            opening.begin()     # (put off till the output neared it: the track is wanted now)
            return opening
        for opening in self._prepared:
            if not opening.done and _same_file(opening.source, source):
                self._prepared.remove(opening)
                return opening
        return None

    def _start_opened(self) -> None:
        """Start writing the track played once its file is open (or its error, where it could
        not be opened, or did not open in OPEN_WAIT_S: the output has been silent since the
        play, and the player goes on to the song after it)."""
        start = self._starting
        if start is None:
            return
        opening = start.opening
        result = opening.take()
        if result is None:
            if self._state is not PlaybackState.PLAYING:
                # (paused: the wait counts silence played, as for the next track; given up
                # while paused, the player went on to the song after it by itself. It starts
                # again at the first look once playing: the feeder at rest through a long
                # pause looks at nothing, and a time taken at its last look before that gave
                # the song up the moment Resume was pressed)
                start.since = None
                return
            now = time.monotonic()
            if start.since is None:
                start.since = now
            if now - start.since < OPEN_WAIT_S:
                return      # (still opening)
            opening.drop()
            log.warning("gave up opening %s: it did not open in %g s", start.source.path, OPEN_WAIT_S)
            result = (None, f"did not open in {OPEN_WAIT_S:g} s: the disk or share does not answer")
        self._starting = None
        dec, error = result
        if opening.source is not start.source:
            start.source.path = opening.source.path     # (where it was found, its folder renamed)
        try:
            if start.fade_in:
                self._ring.flush(fade_in=True)  # (sought while it opened: it starts mid-wave, after silence)
            self._start_writing(start.source, start.frame, dec=dec, error=error, placed=start.placed)
        except Exception as exc:    # (a seek into a damaged file): this track's error, never the feeder's end
            log.exception("starting %s failed", start.source.path)
            if dec is not None:
                dec.close()
            self._writing = self._wdec = None
            self._ring.mark(start.source, 0, error=f"playback failed: {exc}")
            self._ring.end_of_stream = True
        finally:
            if start.played is not None:
                self._played = start.played
            self._arrived(start.move)
            start.synced()

    def _arrived_or_starting(self, move) -> None:
        """A play or seek is done, or, for a track whose file is still opening, done once it is
        open: till then the position reads where it is going."""
        start = self._starting
        if start is not None and move is not None and move.source is start.source:
            start.move = move
        else:
            self._arrived(move)

    def _open_already(self, source: Source) -> Decoder | None:
        """A decoder of ``source``'s file open already and not read from, taken for a play of it:
        the next track's (the person skipped to it; open from the start of a song of ordinary
        length, see NEXT_OPEN_AHEAD_S) or one opened ahead. Opened again, an
        ffmpeg-decoded file started an ffprobe and an ffmpeg anew, and the skip was that much
        silence (0.2 s here, more than a second on a busy machine). None where there is none, or
        where its file changed since it was opened (often minutes before): that is opened again."""
        self._next_opened()
        if (self._next is not None and self._ndec is not None and self._nseg is None
                and _same_file(self._next, source) and self._ndec.untouched and self._ndec.unchanged):
            dec, self._ndec = self._ndec, None
            return dec
        for opening in self._prepared:
            if opening.done and opening.error is None and _same_file(opening.source, source):
                self._prepared.remove(opening)
                dec, _ = opening.take()
                if dec is not None and dec.untouched and dec.unchanged:
                    return dec
                if dec is not None:
                    dec.close()
                return None
        return None

    def _open(self, source: Source) -> tuple[Decoder | None, str | None]:
        moved = self._moved(source)
        dec, error = self._decoder(source)
        if error is not None and not moved and self._moved(source):
            # (its folder renamed as the file was opened, just after the look above)
            dec, error = self._decoder(source)
        return dec, error

    @staticmethod
    def _moved(source: Source) -> bool:
        """Where ``source``'s file is gone and its folder was renamed, ``source.path`` becomes
        where the file is now; whether it did."""
        if source.find_moved is None or os.path.exists(source.path):
            return False
        try:
            found = source.find_moved()
        except Exception:   # (not finding it leaves the file missing, as it is)
            log.exception("looking for %s failed", source.path)
            return False
        if found is None:
            return False
        source.path = found[0]
        return True

    def _decoder(self, source: Source) -> tuple[Decoder | None, str | None]:
        try:
            dec = Decoder(source.path, out_rate=self.rate, channels=self.channels,
                          duration_hint=source.duration_hint, begin_s=source.begin_s, end_s=source.end_s,
                          find_moved=source.find_moved, clock=self._played_clock)
        except DecodeError as exc:
            return None, str(exc)
        except Exception as exc:    # a decoder fault is this file's error, never the track playing now
            log.exception("opening %s failed", source.path)
            return None, f"playback failed: {exc}"
        source.duration = dec.duration
        return dec, None

    def _start_writing(self, source: Source, frame: int, dec: Decoder | None = None,
                       error: str | None = None, *, placed: bool = False) -> None:
        """Make ``source`` the one being written, from output frame ``frame``. ``placed``: the
        frame is ``source.start_s``, a place kept from before (where a long track was left):
        past the file's end (re-encoded shorter since) it starts from its start instead, and
        ``start_s`` says so, where a seek there goes to the end."""
        if dec is None and error is None:
            dec, error = self._open(source)
        if error is not None:
            self._ring.mark(source, 0, error=error)
            self._ring.end_of_stream = True
            self._writing, self._wdec = None, None
            return
        asked = frame
        total = dec.total_frames
        if total is not None and dec.length_exact:
            frame = 0 if placed and frame >= total else min(frame, max(0, total - 1))
        if frame != dec.frame:
            # (a person's seek, or a place kept from before: under 1 ms off is not
            # heard, where landing exactly in a long WebM took seconds; see Decoder.seek_frame)
            dec.seek_frame(frame, exact=False)
            # A length only estimated (a long MP3 without a Xing header) can be minutes short
            # or long; a far seek in an MP3 counts it, and the clamp goes by that count.
            total = dec.total_frames
            if total is not None and dec.frame >= total:
                dec.seek_frame(0 if placed else max(0, total - 1), exact=False)
        if placed and asked and not dec.frame:
            source.start_s = 0.0
        source.duration = dec.duration
        self._writing, self._wdec = source, dec
        self._faded_end = None      # (its end, written again, is not faded out: see _fill)
        self._join_glide = None     # (a play or seek: no join here; the ring fades it in)
        self._settling_silent_since = None  # (see _settling_given_up: a wait of the track before counts not)
        self._ring.mark(source, dec.frame)

    def _drop_all(self, *, keep_prepared: bool = False, fade_out: bool = True) -> None:
        """Forget every source; what the output is playing fades out (unless not ``fade_out``)."""
        if not keep_prepared:
            self._set_following([])
        self._drop_opening()
        if self._starting is not None:
            self._starting.opening.drop()
            self._arrived(self._starting.move)
            self._starting.synced()
            self._starting = None
        self._upcoming = None
        self._ring.flush(fade=fade_out)
        fade = (self._fade.a_dec, self._fade.b_dec) if self._fade else ()
        for dec in (self._wdec, self._ndec, self._prev[1] if self._prev else None, *fade):
            if dec is not None:
                dec.close()
        self._writing = self._wdec = self._next = self._ndec = self._nerr = self._nseg = None
        self._prev = self._fade = self._join_glide = self._prev_glide = None
        self._announced, self._announced_failed = None, False
        self._heard_told = None

    def _unwrite_next(self, *, heard_or_not: bool = False) -> bool:
        """Take back the next source's frames if none were heard; the current one resumes writing.
        ``heard_or_not``: even if the output has reached them (the caller flushes the ring)."""
        if self._nseg is None:
            return True
        # A track joined to the next in one resampler ends in frames made with the next's
        # first samples: those go too, while none of them is heard, and its end is made again.
        tail = self._prev[1].join_tail if self._prev is not None and self._fade is None else None
        rejoin = tail is not None and self._ring.retract(self._nseg, at=self._nseg.start - tail)
        if not rejoin and not self._ring.retract(self._nseg) and not heard_or_not:
            return False
        self._nseg = None
        if self._fade is not None:  # still writing A mixed with B
            self._wdec.seek_frame(self._fade.a_start_frame)
            self._faded_end = None  # (its end, written again, is not faded out: see _fill)
            self._fade.b_dec.seek_frame(0)
            self._fade = None
        elif self._prev is not None:
            if self._writing is not None and self._writing is not self._prev[0]:
                self._next, self._ndec = self._writing, self._wdec  # B goes back to "next"
                self._ndec.seek_frame(0)
            src, dec, frame = self._prev
            if rejoin:
                dec.unjoin()
            else:
                # (its end being heard already, made with the old next's start: it stays so)
                dec.seek_frame(frame)
            self._writing, self._wdec, self._prev = src, dec, None
            # The taken-back song's glide goes with it; the track written again goes on with
            # its own, where it had one left (shorter than the glide): set at its gain, the
            # join that follows it started from a level it never reached, a step.
            kept = self._prev_glide
            self._join_glide = kept if kept is not None and kept[0] is src else None
            self._prev_glide = None
        return True

    def _set_next(self, source: Source | None) -> None:
        # Once the hand-over is written the next source is no longer ``_next`` but the
        # segment in waiting: "nothing next" (a cleared queue) must still take that back.
        pending = self._nseg.source if self._nseg is not None else None
        if source is self._next and (pending is None or pending is source):
            return
        self._drop_opening()    # (still opening: the one it was for follows no more)
        if not self._unwrite_next():
            # Too late: the old next is already being heard and is the current one now.
            self._promote_next_to_current()
        if self._fade is not None and self._next is self._fade.b_src:
            # Heard already and fading in: the fade owns its decoder, and it is "next" no more.
            self._next = self._ndec = self._nerr = None
        if self._ndec is not None:
            self._ndec.close()
        self._next, self._ndec, self._nerr = source, None, None
        self._upcoming = source
        if source is None:
            return
        # Its file is opened at once after a song of ordinary length, and once the output nears
        # it after a long piece (see _next_opened): opened at once, it was held open through an
        # hour's mix or audiobook chapter, an ffmpeg waiting for nothing and, on Windows, the
        # file locked from a tagger; and a file saved since, the old one was played.
        self._nopen = self._take_prepared(source) or self._start_open(source, deferred=True)
        self._next_opened()

    def _start_open(self, source: Source, *, deferred: bool = False) -> _Opening:
        """Open ``source``'s file on a thread of its own (see :class:`_Opening`); the feeder is
        woken once it is open. ``deferred``: not yet, till :meth:`_Opening.begin`."""
        return _Opening(source, self._open, lambda: self._cmds.put(("wake", None)), deferred=deferred)

    def _drop_opening(self) -> None:
        if self._nopen is not None:
            self._nopen.drop()
            self._nopen = None

    def _next_opened(self, *, needed: bool = False) -> None:
        """Take the next source's decoder (or its error) once its file is open. Until then the
        source playing is written up to where what follows depends on the next one (its end,
        or where the longest crossfade would begin), and waits there.

        Its open is begun once the output has less than NEXT_OPEN_AHEAD_S (or OPEN_AHEAD_S and
        the crossfades, where longer) to play before it: at once after a song of ordinary
        length, near its end after a long piece (see :meth:`_next_open_ahead_bound`); at once
        where the length of what plays before it is not known (counted as nothing); and whatever
        is left where the writing waits for it (``needed``): a file cut short of the length its
        header gives ends before it was counted to."""
        opening = self._nopen
        if opening is None:
            return
        if opening.deferred:
            ahead, _ = self._audio_before_next()
            if needed or ahead < self._next_open_ahead_bound():
                opening.begin()
            return      # (just begun, or put off: not open yet)
        result = opening.take()
        if result is None:
            if not self._open_given_up(opening):
                return      # (still opening)
            # It fails as a file that cannot be decoded does: the song before it ends as ever.
            result = (None, f"did not open in {OPEN_WAIT_S:g} s: the disk or share does not answer")
        self._nopen = None
        self._ndec, self._nerr = result
        if self._ndec is not None:
            self._next.duration = self._ndec.duration   # (opened ahead for another Source of the file)
        ring = self._ring
        if (self._writing is None and self._prev is not None and ring.end_of_stream and ring.segments
                and ring.segments[-1].source is self._prev[0] and ring.segments[-1].error is None):
            # The current source was fully written with nothing after it: carry on from its end.
            src, dec, _ = self._prev
            self._prev = None
            ring.end_of_stream = False
            self._writing, self._wdec = src, dec
            # A resampled end written with nothing to follow it (the next track set in the
            # last half second) ends into silence: while its last frames are not heard, they
            # are made again, joined to the next file's start, as if it had been set in time.
            # Otherwise the join clicks.
            tail = dec.finish_tail
            if tail is not None and self._nerr is None and self._gapless(src) and ring.unwrite(ring.write - tail):
                dec.unfinish()

    def _set_following(self, sources: list[Source]) -> None:
        """What is expected after the next source; decoders opened for files no longer
        listed are closed (an ffmpeg each, possibly)."""
        self._following = list(sources)
        keep = []
        for opening in self._prepared:
            if any(_same_file(opening.source, s) for s in self._following):
                keep.append(opening)
            else:
                opening.drop()
        self._prepared = keep

    def _prepare_following(self) -> None:
        """Open the first source expected after the next one that is not open yet, once the
        audio the output has to play before it starts is shorter than OPEN_AHEAD_S.

        The player sets what follows a track only once that track is heard. A track shorter than
        the time it takes to open the one after it would run the output dry before it: ffmpeg's
        formats start an ffprobe and an ffmpeg, about a second with every core busy, and a disk
        asleep or a share takes seconds to answer. Counted from the output's place (what the
        buffer holds, the rest of the track being written, then the next one), the open starts
        OPEN_AHEAD_S before it is needed, however short the tracks before it; counted from the
        next track alone, a 0.6 s clip after a song opened its follower as the song began, but a
        2.5 s track (longer than the buffer) left its follower to open once it was heard, and an
        open under load outlasted it. One file at a time, each on a thread of its own (see
        :class:`_Opening`); a track of normal length needs nothing opened ahead, and no more
        files are kept open than OPEN_AHEAD_S of audio takes (an ffmpeg each, possibly): one
        that a seek back puts far off again is closed (see :meth:`_close_far_ahead`).
        """
        self._close_next_far_ahead()
        if self._upcoming is None or not self._following:
            return
        ahead = self._audio_before_following()
        bound = self._open_ahead_bound()
        if self._prepared:
            self._close_far_ahead(ahead, bound + CLOSE_AHEAD_MARGIN_S)
        for source in self._following:
            if ahead is None or ahead >= bound:
                return      # (of a length not known: taken to be long, as before)
            item = next((p for p in self._prepared if _same_file(p.source, source)), None)
            if item is None:
                self._prepared.append(self._start_open(source))
                return
            if not item.done:
                return      # (one at a time)
            if item.error is not None:
                return      # it cannot be opened: what is after it comes after an error anyway
            ahead += item.source.duration or item.source.duration_hint or 0.0

    def _close_far_ahead(self, ahead: float | None, far: float) -> None:
        """Close the files opened ahead that the output has more than ``far`` seconds to play
        before (``ahead``: before the first one expected), counted as :meth:`_prepare_following`
        counts them: the song playing was sought back, and they are opened again, as they were
        first, once the output nears them. Where the next track's length is not known yet
        (``ahead`` None: its file still opening) none is closed: it may be a clip."""
        if ahead is None:
            return
        near = []   # (a file listed twice is held by its first place: it is opened for that one)
        for source in self._following:
            item = next((p for p in self._prepared if _same_file(p.source, source)), None)
            if item is not None and item not in near:
                if ahead <= far:
                    near.append(item)
                elif item.done:
                    # (one still opening holds nothing yet, and dropped, its thread goes on,
                    # stuck as long as the disk or share is: a seek forward again started a
                    # second; it is closed at the first pass after it is open)
                    self._prepared.remove(item)
                    item.drop()
            known = item.source if item is not None else source
            ahead += known.duration or known.duration_hint or 0.0

    def _open_ahead_bound(self) -> float:
        """Seconds before it that the output nears a file opened ahead (see _prepare_following)."""
        # (each hand-over before the file may be a crossfade, which starts it that much earlier)
        return OPEN_AHEAD_S + 2 * max(0.0, self._crossfade_s)

    def _next_open_ahead_bound(self) -> float:
        """Seconds before it that the output nears the next track's file (see NEXT_OPEN_AHEAD_S)."""
        # (never less than a file after it gets: the next one is needed first)
        return max(NEXT_OPEN_AHEAD_S, self._open_ahead_bound())

    def _close_next_far_ahead(self) -> None:
        """Close the next source's file, open and not read from, once the output has more than
        the bound and CLOSE_AHEAD_MARGIN_S to play before it (the song playing sought back), as
        :meth:`_close_far_ahead` does for the files after it; it is opened again as the output
        nears it (see :meth:`_next_opened`). One still opening is left to go on (dropped, its
        thread stayed stuck as long as the disk did) and closed at the first pass once open."""
        dec = self._ndec
        if (dec is None or self._next is None or self._nseg is not None or self._fade is not None
                or self._nopen is not None or (self._wdec is not None and self._wdec.join_tail is not None)):
            return      # (being written, faded in or joined to: it is in use)
        ahead, _ = self._audio_before_next()
        if ahead <= self._next_open_ahead_bound() + CLOSE_AHEAD_MARGIN_S:
            return
        self._ndec = None
        dec.close()
        self._nopen = self._start_open(self._next, deferred=True)

    def _audio_before_next(self) -> tuple[float, bool]:
        """Seconds the output has to play before the next source starts -- what the buffer holds
        and what is left to write of the source being written -- and whether the next one is
        written already (counted in those seconds, then)."""
        seconds = self._ring.buffered() / self.rate
        if self._starting is not None:
            # (its file still opening: as long as the library lists it, or nothing where it is
            # not listed, as before; a song played that is shorter than an open still runs dry)
            start = self._starting.source
            seconds += start.duration or start.duration_hint or 0.0
        # (under a crossfade, the track being written is the one fading out: the one fading in
        # is written along with it)
        writing = [(self._writing, self._wdec)] if self._fade is None else [
            (self._fade.a_src, self._fade.a_dec), (self._fade.b_src, self._fade.b_dec)]
        for src, dec in writing:
            if src is None or dec is None or dec.total_frames is None or not dec.length_exact:
                continue    # (a length not known yet counts as nothing, as before: opened early)
            seconds += max(0, dec.total_frames - dec.frame) / self.rate
        upcoming = self._upcoming
        written = upcoming is not None and (any(src is upcoming for src, _ in writing) or any(
            seg.source is upcoming for seg in self._ring.segments) or (
            self._prev is not None and self._prev[0] is upcoming))
        return seconds, written

    def _audio_before_following(self) -> float | None:
        """Seconds the output has to play before the first source expected after the next one
        starts: what it has to play before the next one (see :meth:`_audio_before_next`), and
        the next source where it is not being written yet. None where the next one's length is
        not known (taken to be long)."""
        seconds, written = self._audio_before_next()
        if not written:
            upcoming = self._upcoming
            length = upcoming.duration or upcoming.duration_hint
            if length is None:
                return None
            seconds += length
        return seconds

    def _take_prepared(self, source: Source) -> _Opening | None:
        """The open made ahead of time for ``source``'s file (done or still under way), taken
        out of those kept; None when there is none."""
        for i, opening in enumerate(self._prepared):
            if _same_file(opening.source, source):
                del self._prepared[i]
                return opening
        return None

    def _promote_next_to_current(self) -> None:
        """Forget the old next as "next" (it is heard now; a running fade keeps it)."""
        self._drop_opening()
        self._close_prev()
        self._ndec = self._next = self._nseg = None

    def _close_prev(self) -> None:
        if self._prev is not None:
            self._prev[1].close()
            self._prev = None

    def _seek(self, seconds: float, source: Source | None = None) -> None:
        current = self._announced
        if current is None:
            self._seek_unheard(seconds, source)
            return
        if self._announced_failed or (source is not None and current is not source):
            return
        nseg = self._nseg
        if nseg is not None and not self._unwrite_next():
            # The output has reached the next source already, a few milliseconds the player
            # has not been told of: as far as the player knows the current track is still
            # on, so that is the one moved, and the next one goes back to waiting.
            self._unwrite_next(heard_or_not=True)
            self._ring.flush()
            if nseg.source is not current:
                nseg.source.heard_frames = 0
        fade = self._fade
        if fade is not None and current is fade.b_src:
            # Seeking the track that is fading in: the fade is cut short, the old track
            # is done, and the new one plays on alone from the new position.
            self._fade = None
            fade.a_dec.close()
            self._close_prev()
            self._writing, self._wdec = fade.b_src, fade.b_dec
            if self._next is fade.b_src:
                self._next = self._ndec = self._nerr = None
        if self._writing is not current:
            if self._prev is None or self._prev[0] is not current:
                return
            src, dec, _ = self._prev
            self._prev = None
            self._writing, self._wdec = src, dec
        self._close_prev()
        next_src, next_dec, next_err = self._next, self._ndec, self._nerr
        self._ring.flush()
        self._fade = self._nseg = None
        self._announced = current  # same source: no new "started"
        self._start_writing(current, int(seconds * self.rate), dec=self._wdec)  # clamped to the file there
        self._next, self._ndec, self._nerr = next_src, next_dec, next_err
        if next_dec is not None:
            next_dec.seek_frame(0)

    def _seek_unheard(self, seconds: float, source: Source | None) -> None:
        """A seek that came with the start of a track, before the feeder wrote any of it
        (the person clicked the seek bar while the file was opening): the track starts
        where it was moved to. Dropping it would play from the start while the seek bar
        and the player's count of what was heard say otherwise."""
        start = self._starting
        if start is not None and source in (None, start.source):
            start.frame, start.placed, start.fade_in = int(seconds * self.rate), False, seconds > 0
            return      # (its file still opening: it starts there)
        src, dec = self._writing, self._wdec
        if src is None or dec is None or (source is not None and source is not src):
            return      # nothing started (stopped, or it failed to open), or another track
        # (from the middle of the track, after silence: it fades in rather than starting mid-wave)
        self._ring.flush(fade_in=seconds > 0)
        self._start_writing(src, int(seconds * self.rate), dec=dec)   # announced as started when first heard

    def _fill(self) -> None:
        self._start_opened()
        self._next_opened()
        ring = self._ring
        while self._writing is not None and ring.free() >= BLOCK:
            dec, src = self._wdec, self._writing
            if self._fade is not None:
                try:
                    block, done = self._fade.step(BLOCK)
                except DecodeError as exc:
                    self._fade_failed(str(exc))
                    return
                if not done and not len(block):
                    # A file of the two is caught halfway through a rewrite (see the read below),
                    # and given up as there where its open again does not return: the one
                    # fading in ends as an error; the one fading out is silent for the rest
                    # of the fade, as one that cannot be read further. Waited for without a
                    # bound, the player sat "playing" silence for good.
                    if self._settling_given_up():
                        self._fade_settling_given_up()
                        continue
                    return
                self._settling_silent_since = None  # (no wait now: see _settling_given_up)
                ring.push(block)
                if done:
                    fade, self._fade = self._fade, None
                    if fade.a_lost is not None:
                        log.warning("the end of %s was silent under the crossfade: %s", fade.a_src.path, fade.a_lost)
                    self._fade_over(fade)
                    self._writing, self._wdec = fade.b_src, fade.b_dec
                continue
            n = BLOCK
            if not dec.length_exact:
                # An estimated length is counted on a thread of its own while the track plays:
                # the seek bar then shows the real length, and seeks go as far as that.
                dec.count_length()
            fade_len = self._fade_len(dec)
            total = dec.total_frames     # (after: the length may have become exact there)
            src.duration = dec.duration
            if (self._nopen is not None and self._crossfade_s > 0 and not self._gapless(src)
                    and dec.length_exact and total is not None):
                # The next track is still opening, and the fade into it depends on its length:
                # written up to where the longest fade would begin, and on once it is open.
                # Not held there once the buffer runs low: the song's last seconds held back
                # for a fade partner that does not come were a hole before its end for as long
                # as the open took (the whole bound for one that never does). It plays on to
                # its end, a block at a time, and the next one, open late, fades in over what
                # is left of it, or follows it after the silence of the wait, as without a fade.
                left, most = total - dec.frame, min(int(self._crossfade_s * self.rate), total // 2)
                if left <= most:
                    if self._next_open_over():
                        continue    # (opened or given up: faded into, or written on without a fade)
                    if ring.buffered() > self._play_on_frames():
                        return
                else:
                    n = min(n, left - most)
            if fade_len:
                left = total - dec.frame
                if left <= fade_len:
                    if self._nseg is not None:
                        return  # the previous hand-over is not heard yet (very short source)
                    # Shorter than what is left (down to nothing): the next source came late.
                    # What of this one is in the buffer and not heard yet is taken back and
                    # faded over too (see _late_fade_head): faded over only what was not
                    # written yet, a next track set in the last second and a half (the buffer)
                    # followed the end of this one hard, at full level, a click where both were
                    # loud. A source shorter than the buffer is written whole (the buffer is kept
                    # full) before the player hears it begin and arms what follows, so it joins
                    # that gaplessly: a second-long sound between songs is heard whole, not
                    # half faded away.
                    head = self._late_fade_head(src, dec, fade_len - left)
                    if head is not None or left > 0:
                        self._nseg = ring.mark(self._next, 0)
                        self._fade = Crossfade(src, dec, self._next, self._ndec, left + (
                            0 if head is None else len(head)), a_head=head)
                        self._nseg.mixed = self._fade.a_rel_start
                        continue
                    if self._ring.segments and dec.total_frames > ring.capacity:
                        # Too little left even for that: its last moment fades out and the
                        # next one fades in, as a seek does, rather than one cut into the other.
                        # Its end is faded once; what follows it fades in each time, for a next
                        # one changed again before it is heard (Play next pressed again) follows
                        # that end, at nothing, as well: it came in at full level, a click.
                        ring.fade_out_end(0 if self._faded_end is dec else ring.fade)
                        self._faded_end = dec
                    # Nothing of it left to fade over: the next follows on as without a fade
                    # (the read below finds the end and hands over). A fade of one frame there
                    # mixed the next track's first frame in at nothing (the fade's curve
                    # starts from silence) beside a frame of silence past this one's end: a
                    # sample of zero between the two, a click where the music is loud.
                else:
                    n = min(n, left - fade_len)
            try:
                # Played gaplessly, a resampled file's end waits in its resampler for the next
                # file's start to follow it there (see _join).
                block = dec.read(n, hold_end=self._gapless(src), wait=False)
            except DecodeError as exc:
                ring.mark(src, dec.frame, error=str(exc))
                ring.end_of_stream = True
                self._writing = self._wdec = None
                return
            if not dec.settling:
                self._settling_silent_since = None  # (no wait now: see _settling_given_up)
            if len(block):
                self._push(src, block, dec)
                continue
            if dec.settling:
                # The file is caught halfway through a rewrite (a tagger's): it is looked at
                # again at the next tick, while what is buffered plays, commands are obeyed
                # and what the output reached is announced.
                if self._settling_given_up():
                    log.warning("gave up opening %s again: it did not open in %g s", src.path, OPEN_WAIT_S)
                    ring.mark(src, dec.frame,
                              error=f"did not open again in {OPEN_WAIT_S:g} s: the disk or share does not answer")
                    ring.end_of_stream = True
                    self._writing = self._wdec = None
                    dec.close()     # (its open again, should it ever return, is closed then)
                return
            if dec.end_held:
                if self._nseg is not None or self._nopen is not None:
                    # (decided once the hand-over before is heard, the next may change; and
                    # once the next is open, joined to it or not)
                    if self._nseg is None and self._next_open_over():
                        continue
                    return
                if self._next is None and ring.buffered() > NEXT_WAIT_S * self.rate:
                    return
                joined = self._join(src, dec)
                if joined is None:
                    return      # (waiting for room in the buffer)
                if not joined:
                    dec.finish()
                    continue    # its last frames, then the hand-over as ever
            if not self._source_exhausted(src, dec):
                return

    def _push(self, src: Source, block: np.ndarray, dec: Decoder) -> None:
        glide = self._join_glide
        if glide is not None and glide[0] is not src:
            glide = self._join_glide = None     # (taken back, or another source written since)
        if glide is not None:
            _, start, done = glide
            k = min(len(block), JOIN_GLIDE_FRAMES - done)
            gains = self._join_ramp[done:done + k] * np.float32(src.gain - start) + np.float32(start)
            np.multiply(block[:k], gains[:, None], out=block[:k])
            if src.gain != 1.0:
                np.multiply(block[k:], src.gain, out=block[k:])
            self._join_glide = (src, start, done + k) if done + k < JOIN_GLIDE_FRAMES else None
        elif src.gain != 1.0:
            np.multiply(block, src.gain, out=block)
        if dec.summed:
            # A file of more channels mixed down: its sum may pass full scale where the
            # channels are loud together. Judged after ReplayGain (a gain that brings it
            # below is not bent), a peak beyond the knee is bent smoothly, not cut flat.
            audio_io.soft_clip(block)
        elif src.gain > 1.0 or (glide is not None and glide[1] > 1.0):
            # Only a boost can make an over; one the file holds already (a float file, a lossy
            # one decoded) is left, turned down or not, for the volume to bring back below full
            # scale, as it does at a gain of one, and for the card to clip what still passes.
            # A boost's overs (a gain with no peak to bound it, or a peak understated) are bent
            # smoothly below full scale, as a limiter after ReplayGain does; cut flat, every
            # drum hit past it crackled. Exact until the first over, bent alike from there on.
            if audio_io.bend_overs(block, src.bends):
                src.bends = True
        self._ring.push(block)

    def _join(self, src: Source, dec: Decoder) -> bool | None:
        """Run the resampler of ``dec``, whose end is read, on into the next source's decoder
        where both are resampled from the same format, and write the rest of ``dec`` (made
        with the next one's first samples): the album comes out as if resampled in one go,
        with no click where one file ends and the next begins. False where the next cannot
        follow so (nothing or an error next, other rates or channels, a crossfade); None
        while the buffer has no room for the rest yet. A seek, a new play, or taking the
        hand-over back (before any of the frames made with the next one is heard) gives
        the files resamplers of their own again."""
        ndec = self._ndec
        if self._next is None or self._nerr is not None or ndec is None or not self._gapless(src):
            return False
        if ndec.settling and not ndec.ready():
            # The next file is caught halfway through a rewrite (a tagger saving the album as
            # it plays) and cannot be joined to till it is read again: it is looked at again
            # at every tick while the buffer holds more than NEXT_WAIT_S. Given up at once, the
            # two were resampled apart, a click at the join (0.015 at 3 kHz); past that, they
            # are, rather than run the output dry.
            return None if self._ring.buffered() > NEXT_WAIT_S * self.rate else False
        if not dec.can_join(ndec) or dec.join_length() > self._ring.capacity:
            return False
        if self._ring.free() < dec.join_length():
            return None
        joined = dec.join(ndec)
        if joined is None:
            # Reading the next file failed (its share dropped for a moment): it is opened again
            # as after any failed read, and waited for as a file caught in a rewrite is (above).
            return None if self._ring.buffered() > NEXT_WAIT_S * self.rate else False
        self._push(src, joined, dec)
        return True

    def _late_fade_head(self, src: Source, dec: Decoder, want: int) -> np.ndarray | None:
        """The end of ``src`` that is in the buffer and not heard yet, up to ``want`` frames and
        but for LATE_FADE_MARGIN_S ahead of the output, taken out of the buffer to fade over
        (the next source set too late for the whole fade); None where there is none to take, or
        too little for a fade that does not click (under FADE frames with what is left to read).
        Not from a source shorter than the buffer (written whole before its next is set, it joins
        that gaplessly, see _fill), nor while the next one's file cannot be read at once."""
        ring = self._ring
        seg = ring.segments[-1] if ring.segments else None
        total = dec.total_frames
        if (want <= 0 or seg is None or seg.source is not src or seg.error is not None or total is None
                or total <= ring.capacity or self._ndec is None or not self._ndec.ready()):
            return None
        at = max(ring.write - want, ring.read + self._late_fade_margin(), seg.start, ring.tail_end)
        if ring.write - at + (total - dec.frame) < ring.fade or at >= ring.write:
            return None
        head = ring.frames(at)
        if not ring.unwrite(at):
            return None     # (the output reached it meanwhile)
        return head

    def _play_on_frames(self) -> int:
        """How low the buffer runs before a song held for its next file's open plays on (see
        PLAY_ON_S): at least as much as the output may take at once before the feeder writes
        again (its reach). An output of blocks longer than PLAY_ON_S (16384 frames at a time,
        0.37 s) found less than a block there at each take: the song's last seconds stuttered
        while the open went on."""
        reach = self._output_reach_s()
        return round(max(PLAY_ON_S, reach or 0.0) * self.rate)

    def _late_fade_margin(self) -> int:
        """Frames just ahead of the output left as they are by a late fade's take-back (see
        LATE_FADE_MARGIN_S): as many as the output may take before the fade is written, at
        least LATE_FADE_MARGIN_S."""
        reach = self._output_reach_s()
        return round(max(LATE_FADE_MARGIN_S, reach or 0.0) * self.rate)

    def _fade_over(self, fade: Crossfade) -> None:
        """A fade has ended (written whole, or cut short): the incoming track is "next" no
        more, and the outgoing one is kept, to return into from where the fade began, until
        the incoming one is heard."""
        if self._next is fade.b_src:
            self._next = self._ndec = self._nerr = None
        self._close_prev()
        if self._nseg is None:          # B is heard already: A is no longer needed
            fade.a_dec.close()
        else:
            self._prev = (fade.a_src, fade.a_dec, fade.a_start_frame)

    def _fade_failed(self, message: str) -> None:
        """The track fading in could not be read: it ends as an error where it stands, after
        what of it was mixed in, as one that fails after a gapless hand-over does. Until it
        is heard it can still be taken back; the fading track then plays on from where the
        fade began."""
        fade, self._fade = self._fade, None
        log.warning("crossfade into %s cut short: %s", fade.b_src.path, message)
        fade.b_dec.close()
        self._fade_over(fade)
        self._ring.mark(fade.b_src, 0, error=message)
        self._ring.end_of_stream = True
        self._writing = self._wdec = None

    def _fade_settling_given_up(self) -> None:
        """The file of the running fade waited on halfway through a rewrite (see
        :meth:`_settling_given_up`) is given up: the one fading in fails where it stands, the
        one fading out is silent for the rest of the fade."""
        fade = self._fade
        message = f"did not open again in {OPEN_WAIT_S:g} s: the disk or share does not answer"
        self._settling_silent_since = None
        if fade.b_dec.settling:
            log.warning("gave up opening %s again: it did not open in %g s", fade.b_src.path, OPEN_WAIT_S)
            self._fade_failed(message)
        else:
            log.warning("gave up opening %s again: it did not open in %g s", fade.a_src.path, OPEN_WAIT_S)
            fade.a_lost = message

    def _fail_writing(self, message: str) -> None:
        """Give up on the source being written: it ends as an error where it stands. Under
        a fade that is the track fading in: what is written last is its part."""
        if self._fade is not None:
            self._fade_failed(message)
            return
        src = self._writing
        if src is None:
            return
        if self._wdec is not None:
            self._wdec.close()
        self._ring.mark(src, 0, error=message)
        self._ring.end_of_stream = True
        self._writing = self._wdec = None

    def _gapless(self, src: Source) -> bool:
        """Whether ``src`` joins the next source without a crossfade: crossfade is off, or the
        next one is the following track of its album (or not set yet, crossfade off)."""
        return self._crossfade_s <= 0 or (self._next is not None and follows_on(src, self._next))

    def _fade_len(self, dec: Decoder) -> int:
        if self._crossfade_s <= 0 or (self._writing is not None and self._gapless(self._writing)):
            return 0        # (the next track of the same album joins on without a fade)
        if not dec.length_exact:
            # A length estimated from the file's size (a long MP3 without a Xing header) can
            # be minutes short, and a fade from there would cut the rest off. It is being
            # counted (see _fill), done long before the end; until then, and should the end
            # come first, the next track follows without a fade.
            return 0
        if self._ndec is None or dec.total_frames is None or self._ndec.total_frames is None:
            return 0
        return min(int(self._crossfade_s * self.rate), dec.total_frames // 2, self._ndec.total_frames // 2)

    def _source_exhausted(self, src: Source, dec: Decoder) -> bool:
        """Hand over to the next source; False while that has to wait."""
        # Its end is read: where that came before the length known so far (a file cut short
        # past what its header says), the seek bar and the log of the play take where it was.
        src.duration = dec.duration
        src.replaced = dec.replaced
        if self._nseg is not None:
            return False  # the previous hand-over is not heard yet (very short source)
        if self._nopen is not None:
            if not self._next_open_over():
                return False  # the next is still opening (see _next_opened)
            if self._fade_len(dec):
                # Open just now, with this one's end read: its end in the buffer is faded into
                # the next one first (see _fill), then handed over. Handed over at once, the
                # next one followed the end hard, at full level, a click.
                return True
        self._close_prev()
        if self._next is None:
            self._ring.end_of_stream = True
            self._prev = (src, dec, dec.frame)
            self._writing = self._wdec = None
            return False
        if self._nerr is not None:
            self._nseg = self._ring.mark(self._next, 0, error=self._nerr)
            self._ring.end_of_stream = True
            self._prev = (src, dec, dec.frame)
            self._writing = self._wdec = None
            return False
        self._prev = (src, dec, dec.frame)
        self._nseg = self._ring.mark(self._next, 0)
        # Joined without a gap at another ReplayGain (track mode, or another album's song
        # next): the level moves to the new gain over the next one's first few milliseconds.
        # Switched at one sample, mid-wave, a step of 6 dB on loud music was a click. It moves
        # from the level the last frame was written at: a track shorter than the glide ends
        # part way through its own, and the next one, from that track's gain, stepped there.
        level = src.gain
        self._prev_glide = None
        if self._join_glide is not None and self._join_glide[0] is src:
            self._prev_glide = self._join_glide
            _, start, done = self._join_glide
            level = start + (src.gain - start) * float(self._join_ramp[done - 1]) if done else start
        self._join_glide = (self._next, level, 0) if self._next.gain != level else None
        self._writing, self._wdec = self._next, self._ndec
        self._next = self._ndec = None
        return True

    def _open_given_up(self, opening: _Opening) -> bool:
        """Whether the next source's file, still opening where what is written waits for it,
        is given up: once the output has played all it was given and OPEN_WAIT_S more have
        passed playing (not paused). The thread opening it is left to itself (a daemon, never
        waited for: it may never return), and what it opens, should it return, is closed."""
        opening.silent_since = self._silent_since(opening.silent_since)
        if opening.silent_since is None or time.monotonic() - opening.silent_since < OPEN_WAIT_S:
            return False
        opening.drop()
        log.warning("gave up opening %s: it did not open in %g s", opening.source.path, OPEN_WAIT_S)
        return True

    def _settling_given_up(self) -> bool:
        """Whether the file being written, waited on since it was written in place (see
        :attr:`Decoder.settling`), is given up: once the output has played all it was given
        and OPEN_WAIT_S more have passed playing. A wait that long is one for its open again
        that does not return (its share stopped answering as it was opened): the player sat
        "playing" silence for good, the song never said to have ended. Only the wait under way
        counts: the time is forgotten once the file is read again (see _fill), for a wait that
        once ran the output dry, left counted, gave up a later one met with the output dry (a
        share that stalled a moment) at once, the song cut off and logged as an error, its
        file fine."""
        since = self._settling_silent_since = self._silent_since(self._settling_silent_since)
        return since is not None and time.monotonic() - since >= OPEN_WAIT_S

    def _silent_since(self, since: float | None) -> float | None:
        """Since when the output, playing, has had nothing to play (``since``, or now where it
        has just run out); None while it still has audio, or is paused: the wait for a file
        that does not open has not begun, for its silence is only heard then."""
        if self._ring.buffered() > 0 or self._state is not PlaybackState.PLAYING:
            return None
        return time.monotonic() if since is None else since

    def _next_open_over(self) -> bool:
        """Look again at the next source's open, where writing waits for it: whether it is over
        (opened, failed, or given up)."""
        self._next_opened(needed=True)
        return self._nopen is None

    def _retell_heard(self) -> None:
        """The song told started while the output still played the one before: where the time
        its first frame is heard moves (the output switched meanwhile: the new one plays it at
        its own time, not when the old one would have), it is told again (``heard_at``), so what
        the person sees changes as it is heard."""
        told = self._heard_told
        if told is None:
            return
        seg, at = told
        if seg.source is not self._announced or time.monotonic() > at + HEARD_WATCHED_S:
            self._heard_told = None     # heard long since, or gone: nothing more to tell
            return
        now_at = self._heard_from(seg.start)
        if now_at is not None and abs(now_at - at) > HEARD_RETOLD_S:
            self._heard_told = (seg, now_at)
            self._emit("heard_at", source=seg.source, heard_at=now_at)

    def _watch(self) -> None:
        """Turn what the output has consumed into events."""
        ring = self._ring
        segs = list(ring.segments)
        # Segments before the one reached last pass were dealt with then. They are still
        # listed when the output stopped exactly on the boundary after them (it moves into
        # the next segment only when it reads from it), and going over them again would
        # announce the track before the current one, and then the current one, once more.
        if self._reached in segs:
            segs = segs[segs.index(self._reached):]
        for seg in segs:
            if seg.start > ring.read:
                break
            self._reached = seg
            if seg.error is None and seg.source is self._announced:
                continue
            if seg.source is not self._announced:
                if self._announced is not None and not self._announced_failed:
                    self._emit("finished", source=self._announced, last=False)
                self._announced, self._announced_failed = seg.source, False
                with self._ctl:
                    # A play or stop asked since this pass took the commands sets the current
                    # track itself: the output reached the next track of the old buffer just
                    # before, and made current here, that track was the engine's again until the
                    # feeder took the play (the player took the song asked for as not reached).
                    if self._plays == self._plays_taken and self._stops == self._stops_taken:
                        self._current = seg.source
                # ``heard_at``: when its first frame is heard, the output playing a latency after
                # it takes: what the person sees changes then (the old song's last notes still
                # sound till then), while the play's start is counted now.
                heard_at = self._heard_at(seg.start)
                self._heard_told = (seg, heard_at) if heard_at is not None and heard_at > time.monotonic() else None
                self._emit("started", source=seg.source, heard_at=heard_at)
                if self._nseg is seg:
                    self._nseg = None
                if self._prev is not None and self._prev[0] is not seg.source:
                    self._close_prev()  # its successor is heard: no going back into it
            if seg.error is not None and not self._announced_failed:
                self._announced_failed = True
                self._emit("error", source=seg.source, message=seg.error)
        self._retell_heard()
        ring.prune()
        seg = ring.current_segment()
        if not (ring.end_of_stream and ring.read >= ring.write and self._writing is None and self._nopen is None
                and self._starting is None and seg is not None and seg.source is self._announced):
            return
        with self._ctl:
            if not self._cmds.empty():
                return  # a command (play, stop) is on its way and decides what happens
            if not self._announced_failed:
                self._emit("finished", source=self._announced, last=True)
            self._drop_all()
            self._current = None
            self._set_state(PlaybackState.STOPPED)
            # Not _output_stop() yet: the device still holds the last frames
            # (its latency); stopping now would cut off the end of the track.
            self._idle_since = time.monotonic()


def _same_file(a: Source, b: Source) -> bool:
    """Whether a decoder opened for ``a`` serves ``b`` (the player makes a new Source each
    time it sets one): the same file, decoded the same way, and the same range of it (the
    tracks of an album in one file share the file). The gain is applied apart."""
    return (a.path == b.path and a.duration_hint == b.duration_hint
            and (a.begin_s, a.end_s) == (b.begin_s, b.end_s))
