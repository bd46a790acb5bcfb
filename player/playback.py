"""The Player: queue, history and play logging on top of an audio :class:`Engine`.

Qt-free; the UI and the ``segue play`` command talk to it. Every track that starts is logged with ``store.start_play``,
updated every ``progress_interval_s`` with the milliseconds really heard (seeks
never add), and closed with how it ended:

- ``finished``: played to its end (after a jump to near its end, only with half of it heard);
- ``skipped``: the person moved on before the end (next, previous, another track);
- ``stopped``: stop, closing the player, a crash (``close_interrupted_plays``), or its file
  overwritten with another song as it played;
- ``error``: it could not be decoded (never counted as a skip).

Listeners get ``fn(event, data)`` from any thread; see :meth:`Player.add_listener`.

With ``keep_going`` on, a queue filler keeps Up next stocked with suggestions, and an
early skip (see :mod:`segue_common.listening`) has the filler re-rank the suggested
part of the queue at once, on a worker (what the person queued by hand stays put).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from functools import partial
from itertools import compress, islice, repeat
from operator import attrgetter, is_not
from typing import Callable

from player import kept_plays
from player.audio.base import AudioEngineError, Engine, PlaybackState, Source, follows_on
from player.audio.replaygain import PREAMP_SETTING, SETTING as RG_SETTING, UNTAGGED_SETTING, replaygain_factor
from player.audio.queue import FEW, PlayQueue, QueueEntry, before_sent_to_end, index_of, queued_of, shuffled
from player.failures import library_busy, refusal
from player.library.albums import is_compilation
from player.library.cue import audio_path
from player.library.identity import ESTIMATED_MTIME, moved_with_its_folder
from player.library.scanner import copy_of_missing
from player.library.names import NAME_COLUMNS, Namer, path_disc, path_numbers, release_folder, title_disc
from player.recommendations import AlbumIds, is_book, track_bucket
from player.store.owners import owner_alive, owners_folder
from player.saved_values import UNREADABLE, finite, on, row_id, row_id_or_none, whole
from player.store.plays import ENDINGS, SOURCES
from segue_common.listening import (EARLY_SKIP_CAP_MS, EARLY_SKIP_FRACTION, EARLY_SKIP_MS, SESSION_GAP_S,
                                    SUGGESTED_SOURCES, counts_as_play, early_skip_limit_ms)
from segue_common.normalize import FirstCopies

log = logging.getLogger(__name__)

__all__ = ["Player", "QueueEntry", "PlaybackState"]

RESTART_THRESHOLD_S = 3.0  # "previous" after this many seconds restarts the track
MAX_CONSECUTIVE_ERRORS = 5
FOLLOWING = 3  # songs after the armed one the engine is told of, to open short ones' successors early
FILL_BELOW = 3  # keep_going asks the filler when fewer entries remain
# What shuffling by album reads of a track to know its album and its place on it (AlbumIds).
_ALBUM_COLUMNS = (*NAME_COLUMNS, "mb_album_id", "compilation", "folder_compilation", "albumartistsort",
                  "track_no", "disc_no")
# The most tracks a round of repeat all shuffled by album reads again, the player's lock held
# (a few milliseconds): those retagged since their albums were read.
_ROUND_REREAD = 200
STATE_SETTING = "playback.state"  # the queue, Keep it going and the last track, for the next start
# The suggestions taken out of the queue in the session going on, and when the latest was:
# a restart within the session keeps them out (see ``Player.passed_over``).
PASSED_SETTING = "playback.passed_over"
_WAS = attrgetter("was")
MAX_SAVED_QUEUE = 1000
UNDO_STEPS = 50  # the moves and removals in Up next Ctrl+Z can take back, one by one
#: ... as long as the orders they keep (each step the whole queue as it was, and the order shuffle
#: off goes back to) hold no more entries than this in all (16 MiB of references): the oldest
#: steps go first. 50 steps of a whole library of 100,000 queued, shuffling, held 80 MiB; a queue
#: of up to 20,000 (40,000 not shuffling) keeps all 50 steps. The latest is kept whatever its size.
UNDO_ENTRIES = 2_000_000
#: while a song plays on, its place alone is saved every this many progress ticks (10 s at the
#: 2 s the window ticks at), not at each: killed, the next start resumes it at most that much
#: before where it was, and the play log (written every tick) still loses at most one tick
PLACE_SAVE_TICKS = 5
#: while a song plays on, its session is marked active this often (seconds), not at every tick
SESSION_TOUCH_S = 60.0
#: how often the progress thread looks whether a song's sound is under way before its first
#: tick: its time heard is then written once, so a kill in its first seconds (a tick is 2 s
#: in the window) leaves a play that was heard, not one of 0 ms that counts nowhere
FIRST_HEARD_LOOK_S = 0.1
REPEAT_MODES = ("off", "all", "one")
# A jump ahead to within this of the end leaves less to hear than a play must last to count
# as listened to (the early-skip rule's 30 s): the person moved past the song, and if it
# runs out from there it is judged by what they heard of it, as Next would be. It is wider
# than any crossfade (so a jump into the fade is one too) and depends on nothing armed.
END_ZONE_S = EARLY_SKIP_MS / 1000
#: A track this long or longer (an audiobook chapter, a podcast, a DJ mix) left part-way goes
#: on from there when it is played again. A plain length, not the recommender's "long" (four
#: times the person's typical length): it holds from the first play, before there is a typical
#: length, and a place kept does not come and go as the library changes. Songs are shorter:
#: a person playing a song again wants it from its start.
RESUME_LONGER_THAN_S = 20 * 60.0
#: ...left further than this from its start (it was only begun) and from its end (it was heard).
RESUME_MARGIN_S = 60.0
# A stop asked on the song still named reaches the player a moment after the next song is heard
# where the machine is busy: still meant for the song before, within this much.
UNHEARD_GRACE_S = 0.5
DURATION_TOLERANCE_S = 1.0  # a decoded length this far from the library's is the one a play is logged with
#: how long closing waits for a library another process holds to give a track to its copy (the
#: store's own wait is 30 s, on the GUI thread); past it, the next scan gives the track its plays
CLOSE_GIVE_WAIT_MS = 1000
#: how long each write at close waits for a library another process holds (the store's own
#: wait is 30 s, on the GUI thread: Quit froze for it once per write); what the library refuses
#: by then is kept in a file beside it for the next start (see ``player.kept_plays``)
CLOSE_WRITE_WAIT_MS = 1000
#: how long the progress thread's writes wait for a library another process holds: each is tried
#: again at the next tick, and one waiting the store's 30 s held closing (which waits for the
#: thread, and for the kept plays it was writing) as long
PROGRESS_WRITE_WAIT_MS = 1000
#: how long logging a play's start or end, where a long track was left, and the saved state wait
#: for a library another process holds (for a click, a skip, Pause: a second's wait was a Next
#: heard a second late); long enough for another process's usual short write to end. Refused by
#: then, the play and the place are kept and written later in order, as at close, and the state
#: is saved again at the next tick
BEGIN_WRITE_WAIT_MS = 20


class _OutputWaiting(Exception):
    """The engine took the play but its output did not start (see :meth:`Player._start`)."""


def _length_s(source: Source) -> float:
    """The song's length as the player knows it (0 unknown): the file's, else the library's,
    else the library's estimate (a song shown 0:00 long had no seek bar, and a jump to its
    end could not be told from hearing it through)."""
    return float(source.duration or source.duration_hint or source.estimate_s or 0.0)


def _to_end(to_s: float, reached_s: float, track_s: float, zone_s: float) -> bool:
    """A move to ``to_s`` is a jump to the end: within ``zone_s`` of it, and more than a
    second ahead of where listening had got the person (``reached_s``)."""
    return track_s > 0 and to_s >= track_s - zone_s and to_s > reached_s + 1.0


@dataclass(frozen=True)
class Cued:
    """The track to resume: shown as current, started at ``position`` by play/resume.
    ``credit``: how far into the song the person got by listening (``position`` unless
    they moved it ahead since): its resumed play is judged as if heard from there.
    ``heard``: how much of the song they had heard (``credit`` unless known), which moving
    the position back does not lower. ``to_end``: moved ahead to near its end (``END_ZONE_S``)
    while cued (a saved position near the end may have been reached by listening).
    ``play_id``: the row of its play in the last run, which resuming goes on with. A move to
    near the end, made while cued or while it played, is kept across a restart (``to_end``)."""

    entry: QueueEntry
    position: float
    duration: float
    credit: float | None = None
    heard: float | None = None
    to_end: bool = False
    play_id: int | None = None
    # Left before the history was forgotten: the place it is shown at is not saved for the
    # next start (the forget took where it was left, and its play).
    forgotten: bool = False
    # Paused by the sleep timer in the last run (see ``Player.sleep``): moving on from it after
    # a restart is no skip either.
    slept: bool = False
    # Moved by the person to within its first minute while cued (Previous, the seek bar): a
    # restart of it on purpose, as for a playing one (``_Playing.restarted``).
    restarted: bool = False

    @property
    def heard_to(self) -> float:
        return self.position if self.credit is None else min(self.credit, self.position)

    @property
    def heard_before(self) -> float:
        return self.heard_to if self.heard is None else max(self.heard, self.heard_to)


# A kept play refused with one of these is refused for good (see ``Player._write_unsaved``).
_NEVER_TAKEN = ("SQLITE_CONSTRAINT_FOREIGNKEY", "SQLITE_CONSTRAINT_NOTNULL", "SQLITE_CONSTRAINT_CHECK")


@dataclass(eq=False)
class _Unsaved:
    """A play the store refused (its disk full): kept here and written at the first tick the
    store takes writes again, with the time it really began and all that was heard of it. The
    plays after it wait behind it, so play ids still follow the order the plays began in."""
    track_id: int
    source: str
    track_ms: int | None
    started_at: float
    play_id: int | None = None      # its row, once written: never written twice
    ended: tuple | None = None      # (ended, ms heard, error, track ms, when), once it is over
    # The play of the last run it goes on with (see ``Player._begin``): reopened when written,
    # as it would have been, with the time heard that row held (``logged_ms``).
    reopen: int | None = None
    logged_ms: int = 0
    # When the history was last forgotten, as it stood when the play began (None: not known):
    # a forget since takes it (see ``Store.forgotten_since``).
    forgotten_known: float | None = None
    # Read from the file a close kept it in: the log may hold it already (the last start wrote
    # it and was killed before it removed the file), so it is looked for before it is written.
    journaled: bool = False
    # What its end said, as the player judged it: -1 an early skip, 1 heard, 0 neither (see
    # ``Player.ends_kept``).
    said: int = 0


#: what of a ``_Unsaved`` the file kept at close holds (see ``player.kept_plays``)
_KEPT_FIELDS = ("track_id", "source", "track_ms", "started_at", "play_id", "ended", "reopen", "logged_ms",
                "forgotten_known")


@dataclass(eq=False)
class _Playing:
    entry: QueueEntry
    play_id: int | None  # None until the database took the row (see ``unsaved``)
    source: Source
    # Added to the ms heard, how far into the song the person has got by listening
    # (``reached_ms``): a play resumed from the last run starts with where it was left.
    resumed_ms: int = 0
    # How much of the song was heard before this play (seeks never lower it).
    credit_ms: int = 0
    # Where the person's last move was a jump ahead to near the end: how much of the song
    # they had heard by then, and where they jumped to (ms). Run out from there, it was
    # heard for that and from there to its end (the fade out included): with less than
    # half of it heard, the person moved on from it, as Next would have been.
    jumped: tuple[int, int] | None = None
    # The time heard that the row held already: a play the last run left at its close and
    # this one goes on with (``reopened``; the source counts only what is heard from now on).
    logged_ms: int = 0
    reopened: bool = False
    unsaved: _Unsaved | None = None  # its start waits to be written
    # A play kept to go on in the last run's row (the library refused it then): the time heard
    # the saved state gave that row, for the counts until the row is written (then ``logged_ms``).
    kept_ms: int = 0
    # Begun before the history was forgotten (its row went with it): see ``Player._forget_session``.
    forgotten: bool = False
    # Paused by the sleep timer: the person fell asleep to it, and moving on from it later is
    # no skip (see ``Player.sleep``).
    slept: bool = False
    # Sent back to within its first minute by the person (Previous, the seek bar, asked for
    # again while playing): a long track then left there was restarted on purpose, and its
    # place from before goes (see ``Player._keep_place``).
    restarted: bool = False

    def logged_heard_ms(self) -> int:
        """The play's time heard, as its row keeps it: before the close and since."""
        return self.logged_ms + int(self.source.heard_s * 1000)

    def reached_ms(self) -> int:
        return int(self.source.heard_s * 1000) + self.resumed_ms

    def covered_ms(self) -> int:
        """How much of the song the person has heard, in this play or before it was resumed."""
        return int(self.source.heard_s * 1000) + self.credit_ms

    def moved_to(self, seconds: float, end_zone_s: float) -> None:
        """The person moved to ``seconds``: back, they are that far in (a restart: at 0);
        ahead, no further than they had listened. Within ``end_zone_s`` of the end, and
        ahead of where listening got them, it is a jump to the end."""
        heard, to = int(self.source.heard_s * 1000), int(max(0.0, seconds) * 1000)
        reached = self.reached_ms()
        track_s = _length_s(self.source)
        self.jumped = (self.covered_ms(), to) if _to_end(to / 1000, reached / 1000, track_s, end_zone_s) else None
        self.resumed_ms = min(reached, to) - heard

    def heard_to_end_ms(self, track_ms: int) -> int:
        """How much of the song the person heard when it ran out: all they listened to, or,
        after a jump to near its end, what they had heard then and the rest from there."""
        if self.jumped is None:
            return self.covered_ms()
        before, to = self.jumped
        return before + max(0, track_ms - to)


def _saved_seconds(value) -> float:
    """A place in seconds as saved, 0 where it is no finite number."""
    try:
        return finite(value)
    except UNREADABLE:
        return 0.0


def _saved_source(source, manual: bool) -> str:
    """Where a saved entry came from; one this Segue does not know (a newer one's) is the
    person's own or a suggestion, as it was queued: kept as it was, it could not be logged."""
    return source if source in SOURCES else "queue" if manual else "up_next"


def _saved_entry(q) -> tuple | None:
    """A saved queue entry, [track, source, manual(, lap(, placed(, sent to the end)))], as
    ``(track, source, manual, lap, placed, sent to the end)``; None where unreadable. The lap
    of a repeat-all copy, when it is one; whether the person moved it in Up next, and sent it
    to the end, when they did (a state saved before that was kept has neither)."""
    try:
        track, manual = row_id(q[0]), on(q[2])
    except UNREADABLE:
        return None
    return (track, _saved_source(q[1], manual), manual, _lap_of(q[3:4]), on(q[4]) if len(q) > 4 else False,
            on(q[5]) if len(q) > 5 else False)


def _lap_of(saved: list) -> int:
    """The lap of a repeat-all copy as saved (``[lap]``, or ``[]`` before laps were kept), 0
    where unreadable: the entry plays all the same."""
    try:
        return max(0, int(saved[0])) if saved else 0
    except UNREADABLE:
        return 0


def _saved_current(current) -> tuple | None:
    """The saved current track, [track, source, manual, position(, credit(, heard(, play(,
    to_end(, lap)))))], as a tuple of those; None where its track is unreadable. A state saved
    before the credit (or the time heard, the play's row, the move to the end, the lap) lacks
    it; one of them unreadable is taken as missing."""
    try:
        track, manual = row_id(current[0]), on(current[2])
    except UNREADABLE:
        return None
    more = list(current[3:9])
    position = _saved_seconds(more[0]) if more else 0.0
    credit = _saved_seconds(more[1]) if len(more) > 1 else position
    heard = _saved_seconds(more[2]) if len(more) > 2 and more[2] is not None else None
    play = row_id_or_none(more[3]) if len(more) > 3 and more[3] is not None else None
    return (track, _saved_source(current[1], manual), manual, position, credit, heard, play,
            on(more[4]) if len(more) > 4 else False, _lap_of(more[5:6]))


def _maybe(read, value):
    """``read(value)``, None where ``value`` is None."""
    return None if value is None else read(value)


def _maybe_time(value) -> float | None:
    return _maybe(finite, value)


def _kept_play(p: dict) -> _Unsaved:
    """A play as the file kept at a close holds it (see ``Player._kept_entry``); ValueError
    (or the like) where unreadable. A source or an ending this Segue does not know (a newer
    one's) is the person's own, stopped: the play is kept, where left as it was it could not
    be written, and the plays after it waited behind it."""
    ended = p.get("ended")
    if ended is not None:
        how, heard, error, track_ms, at = ended
        ended = (how if how in ENDINGS else "stopped", whole(heard), _maybe(str, error),
                 _maybe(whole, track_ms), finite(at))
    return _Unsaved(track_id=row_id(p["track_id"]), source=_saved_source(p.get("source"), True),
                    track_ms=_maybe(whole, p.get("track_ms")), started_at=finite(p["started_at"]),
                    play_id=_maybe(row_id, p.get("play_id")), ended=ended, reopen=_maybe(row_id, p.get("reopen")),
                    logged_ms=whole(p.get("logged_ms") or 0),
                    forgotten_known=_maybe_time(p.get("forgotten_known")), journaled=True)


def _only_moved(state: dict, saved) -> bool:
    """Whether ``state`` differs from ``saved`` only in the place of the same song (its
    position, credit and time heard: fields 3 to 5 of ``current``)."""
    if not isinstance(saved, dict) or state.keys() != saved.keys():
        return False
    now, then = state["current"], saved["current"]
    if now is None or then is None or len(now) != len(then) or now[:3] != then[:3] or now[6:] != then[6:]:
        return False
    return all(state[k] == saved[k] for k in state if k != "current")


def album_place(row) -> tuple | None:
    """A track's place on its album for :attr:`Source.album_place`: (album, album artist or
    else artist, release, disc (where untagged its title's, "The Wall (Disc 2)", else its path's:
    a "CD2" folder, a "2-01 Song" file, as the library orders it; else 1), track number), the
    text case-folded and the album's title without the disc it names, or
    None where it has no album title or track number (its tag's, else its file name's, "01 Intro").
    The release is ``(MusicBrainz release id or None, the album's folder (the one above a "CD2"
    folder, "The Wall" for a "The Wall (Disc 2)" folder))``, as the library tells releases apart
    (see :func:`follows_on`).

    A compilation tagged without an album artist (each track its own artist, as iTunes tags
    them, the flag on all of its tracks or on some, or no flag and found one by its folder:
    a soundtrack, see :func:`player.library.albums.is_compilation`) is one album by its
    release, as the library orders it: such a track's artist is None, which any artist on its
    release follows on from and into, as does a track of an album in one file with a CUE
    sheet (a DJ mix, each track its own performer): the file makes it one album. Otherwise
    tracks of other artists are other albums (a "Singles" folder holding one artist's
    "Greatest Hits" 3 and another's 4). Two releases of one title (two "Greatest Hits")
    are two albums."""
    album, number = (row["album"] or "").strip(), row["track_no"]
    # (a disc tagged as an album of its own, "The Wall (Disc 2)", is that disc of "The Wall")
    album, title_says = title_disc(album)
    if number is None:
        # A concert ripped without track numbers in its tags but with numbered files, "01 Intro",
        # "02 Jam", as the library lists it: without a number its joins were crossfaded.
        number = path_numbers(row["path"] or "")[0]
    if not album or number is None:
        return None
    by = (row["albumartist"] or "").strip()
    one_album = is_compilation(row) or row["cue_start_s"] is not None
    artist = by.casefold() if by else None if one_album else (row["artist"] or "").strip().casefold()
    release = (row["mb_album_id"] or None, release_folder(row["path"] or ""))
    disc = row["disc_no"] or title_says or path_disc(row["path"] or "", number) or 1
    return album.casefold(), artist, release, disc, number


def _lap(entry: QueueEntry) -> QueueEntry:
    """Another round of ``entry`` under repeat. The person set the repeat, so a lap of a
    song Segue suggested is their own queue's, not another offer of it kept (and a re-rank
    of the suggestions leaves it in place)."""
    if entry.source not in SUGGESTED_SOURCES:
        return QueueEntry(entry.track_id, entry.source, entry.manual, entry.lap + 1)
    return QueueEntry(entry.track_id, "queue", True, entry.lap + 1)


def _after_own(entries) -> int:
    """Just after the person's own entries in ``entries``: the last song queued by hand and the
    entries they moved there just after it (0, then past those moved to the top, when none is
    queued by hand). What is queued by hand next goes there, before the rest of the list
    played, a station's batch and suggestions. Not where the first other entry is: Previous
    puts the song gone back from in front of them, and a person may drag a suggestion above
    their own song; a song queued then went before the ones queued earlier, and before the
    dragged one. Nor before a song moved just after their own: it went ahead of what they had
    placed. Nor after one moved further down (Move to end), or after one of their own sent
    to the end (``sent_to_end``): the song queued went after the whole list."""
    at = next((i + 1 for i in range(len(entries) - 1, -1, -1)
               if entries[i].hand_queued and not entries[i].sent_to_end), 0)
    while at < len(entries) and entries[at].placed and not entries[at].sent_to_end:
        at += 1
    return at


def _undo_size(step: tuple[str, tuple | list]) -> int:
    """How many entries an undo step keeps (its orders, as they were, and the entries it names)."""
    kind, rec = step
    if kind == "taken":
        return len(rec[0]) + len(rec[1]) + len(rec[3])
    return sum(len(entries) + len(queue) + len(natural) for entries, queue, natural, *_ in rec)


def _undo_kept(undo: list) -> list:
    """``undo`` less its oldest steps, as many as go past :data:`UNDO_STEPS` steps or
    :data:`UNDO_ENTRIES` entries kept in all; never the latest."""
    sizes = list(map(_undo_size, undo))
    first, total = max(0, len(undo) - UNDO_STEPS), sum(sizes[-UNDO_STEPS:])
    while total > UNDO_ENTRIES and first < len(undo) - 1:
        total -= sizes[first]
        first += 1
    return undo[first:] if first else undo


def _in_places(queue: list[QueueEntry], entries: list[QueueEntry], before: list[QueueEntry], *,
               first: frozenset[int] = frozenset(), listed: frozenset[int] = frozenset()) -> list[QueueEntry]:
    """``queue`` with ``entries`` where they were in ``before``: each just before the entry that
    followed it there, if that one is in ``queue``, else at the end. Each of ``entries`` found
    in ``before`` goes there, wherever it is in ``queue`` now; the others stay as they are.
    ``first``: the ids of those that, with no entry after them still queued, go just after
    the person's own entries instead (see :func:`_after_own`); ``listed``: those that so go
    after the list's songs still queued, before the suggestions and the songs sent to the end."""
    going = {id(e) for e in entries} & {id(e) for e in before}
    rest = [e for e in queue if id(e) not in going]
    here = {id(e) for e in rest}
    at: dict[int | None, list[QueueEntry]] = {}
    anchor = None
    for e in reversed(before):
        if id(e) in going:
            at.setdefault(None if anchor is None else id(anchor), []).insert(0, e)
        elif id(e) in here:
            anchor = e
    out = [x for e in rest for x in (*at.pop(id(e), ()), e)]
    loose = at.pop(None, [])
    lead = [e for e in loose if id(e) in first]
    if lead:
        i = _after_own(out)
        out[i:i] = lead
    songs = [e for e in loose if id(e) in listed and id(e) not in first]
    if songs:
        i = next((i for i, e in enumerate(out) if not e.manual or e.sent_to_end), len(out))
        i = max(i, _after_own(out))
        out[i:i] = songs
    return out + [e for e in loose if id(e) not in first and id(e) not in listed]


def followed(renumbered: dict[int, int], track_id: int) -> int:
    """The track ``track_id`` is now, after a scan merged tracks into others (``{gone: now}``,
    in steps: a file moved twice)."""
    seen = set()
    while track_id in renumbered and track_id not in seen:
        seen.add(track_id)
        track_id = renumbered[track_id]
    return track_id


class Player:
    """Plays tracks from the store through ``engine`` and logs every play."""

    def __init__(self, store, engine: Engine, *, progress_interval_s: float = 2.0,
                 clock: Callable[[], float] | None = None):
        """``clock``: the wall clock plays are logged and pauses measured by (``time.time``);
        a test gives another to pause for hours in no time."""
        self.store = store
        self.engine = engine
        self._interval = progress_interval_s
        self._clock = clock or time.time
        self._lock = threading.RLock()
        self._listeners: list[Callable[[str, dict], None]] = []
        self._queue = PlayQueue()
        self._history: list[QueueEntry] = []
        self._history_times: list[list[float | None]] = []   # [started, ended] of each, wall clock
        # The plays of the session in progress the last run left, oldest first, as (track,
        # play, started, ended): see ``_carry_session``. Apart from ``_history``, which is this
        # run's own (what Previous walks back through, what repeat all's rounds count).
        self._carried: list[tuple[int, int, float, float]] = []
        self._carried_skips: list[int] = []    # the early skips among them, in order
        # For each track of those plays, how many of ``_carried_skips`` came before its latest
        # play: where a station around it began.
        self._carried_marks: dict[int, int] = {}
        self._carried_skip_plays: list[int] = []    # the rows of ``_carried_skips``, in order
        # Where this listening session begins in ``_history``: after "forget my listening
        # history", the song playing then (see ``_forget_session``); 0 until then.
        self._session_from = 0
        # How many early skips the forgets took out of :attr:`session_skips`: a station's mark
        # (``skip_count``) counts them, so that one started before a forget still finds its own.
        self._skips_forgotten = 0
        self._paused_at: float | None = None
        self._back: list[QueueEntry] = []  # what "previous" walks back through
        self._playing: _Playing | None = None
        # Above 0 while one play ends and the next begins (under the lock): see ``state``.
        self._changing = 0
        # The engine ended a track with the next one already under way (gapless): its
        # "started" event comes next, and until then the music has not stopped.
        self._handing_over = False
        self._armed: Source | None = None  # what the engine will continue with
        # Sources armed lately: the engine may already be playing one that the
        # queue no longer wants (replaced too late); whatever is heard is logged.
        self._armed_recent: list[Source] = []
        self._failed_in_row: list[int] = []  # the tracks that could not be played since one was heard
        self._filler = None
        self._filler_replaces = False  # the filler can re-rank suggestions (takes ``replacing``)
        self._filling = False
        self._queue_gen = 0  # counts queue replacements: a fill asked for an older queue is dropped
        self._reshape_wanted = False  # an early skip asked for the suggestions to be re-ranked
        # An early skip whose end the library refused: ranked at once, Up next did not see it
        # (it reads skips from the play log), so it is re-ranked again once this, the skip's kept
        # play, is written. Set and cleared under _unsaved_lock, with the kept plays.
        self._skip_kept: _Unsaved | None = None
        self._left_out: frozenset[int] = frozenset()  # tracks never to queue as suggestions (leave_out)
        self._list_from = 0                  # the first song of the list now playing, in _history
        self._passed_over: set[int] = set()  # suggestions the person took out of the queue (passed_over)
        self._passed_at = 0.0                # when the latest of them was taken out
        self._passed_mark: tuple = ()        # and the listening then (see ``_activity_mark``)
        # The passed over still to be saved, as (value,) (the library refused them: see
        # ``_save_passed``), None where all are; the lock is held as they are written.
        self._passed_pending: tuple | None = None
        self._passed_lock = threading.Lock()
        self._passed_failing = False
        # What Ctrl+Z in Up next takes back (undo, put_back), latest last: a removal
        # ("taken", (the entries taken out, the queue before, the suggestions it passed over
        # that were not passed over before, the order shuffle off goes back to then, [] where
        # shuffle was off)) or a move ("moved", its steps: one command may
        # move several stretches (Alt+Down on rows apart), each (the entries moved, the queue
        # and the order shuffle off goes back to before it, {id(own): (own, whether it was sent
        # to the end)} for those of theirs it sent there or back, {id(kept): (kept, the entry
        # it stands in for)})).
        self._undo: list[tuple[str, tuple | list]] = []
        # The steps of the latest move command not joined to the one before (see
        # move_queue_entries): where its next stretches go, None where it moved nothing.
        self._press: list | None = None
        #: the entries the latest :meth:`put_back` brought back (the window chooses their rows)
        self.last_put_back: list[QueueEntry] = []
        self._early_skips: list[int] = []  # track ids skipped early this run, in order
        self._early_skip_plays: list[QueueEntry] = []   # the plays of those, in ``_history``
        self._streak = 0  # early skips in a row, up to the last play that ended
        self._fill_lock = threading.Lock()  # guards _filling's check-and-set
        self._ran_out = False  # the last track ended with nothing queued after it
        self._stop_after = False  # stop when the song playing now ends (see set_stop_after)
        self._volume = engine.volume    # the person's volume; the engine plays it times the sleep fade
        self._sleep_fade = 1.0          # (see set_sleep_fade)
        # The slider sets the volume on the GUI thread while the fade, and the wake that ends it,
        # come on the command thread: each reads both factors and writes their product, and a
        # product worked out before the other's change and written after it stayed (Play in the
        # morning heard at the night's faded level). Held only for that multiply and write.
        self._volume_lock = threading.Lock()
        self._asleep = False            # the sleep timer paused the music, its volume still down (see sleep)
        self._keep_going = False
        self._cued: Cued | None = None
        self._shuffle = False
        self._shuffle_albums = False    # shuffle moves whole albums, each played in its order
        # (library stamp, track id -> (album, place on it)) of the tracks read for shuffling by
        # album, true at that stamp: the copies repeat all queues are dealt again by it at a
        # round's end (see :meth:`_album_places_now`).
        self._albums_read: tuple[int | None, dict] = (None, {})
        self._natural: list[QueueEntry] = []  # the queue's order before shuffling, for "shuffle off"
        # The entries Play next put at the top of Up next, in the order picked: the next one
        # picked goes after those of them still waiting there.
        self._played_next: list[QueueEntry] = []
        self._repeat = "off"
        self._repeat_copy: tuple[QueueEntry, QueueEntry] | None = None  # (playing entry, its repeat)
        # (entry, the copy repeat all queued for the next round when it started), latest last
        self._lap_copies: list[tuple[QueueEntry, QueueEntry]] = []
        self._rng = random.Random()
        self._remember = False  # save the state for the next start (the window's player)
        self._saved_state = None
        # The seed of the station playing (``start_station``), until a list of another kind
        # replaces it: saved with the queue, so that a station goes on after a restart.
        self.station_seed: int | None = None
        # The play its seed began it with (None where not written): saved with it, so that after
        # a restart its skips are told from the session's by where it began, not by its seed.
        self._station_play: int | None = None
        # The station the last run left playing, ended at this start (its seed no longer in the
        # library, or unreadable): the window says so. None where none ended.
        self.station_lost: int | None = None
        self._state_save_failing = False    # said once in the log until a save works again
        # Plays the store could not take (a full disk), oldest first: see ``_Unsaved``. Their
        # lock is held while they are written, so a play ends either before or after it.
        self._unsaved: list[_Unsaved] = []
        self._unsaved_lock = threading.Lock()
        # What the listeners were last told: how many plays and places are kept, the kind of the
        # last refusal, and whether the file beside the library holds them (see ``_tell_unsaved``)
        self._unsaved_told: tuple[int, int, str, bool] = (0, 0, "", True)
        self._unsaved_why = ""               # what the store said as it last refused one
        self._unsaved_kind = ""              # and what kind of refusal that was (see ``failures.refusal``)
        # Where long tracks were left, as the store refused it (the same full disk): track id
        # -> (seconds in, or None where there is nowhere to go on from; when; the last forget
        # of the history as it stood then, None if not known). Played again,
        # a track goes on from here, not from the place the store still holds; written with
        # the kept plays. Under ``_unsaved_lock`` too.
        self._unsaved_places: dict[int, tuple[float | None, float, float | None]] = {}
        self._state_lock = threading.Lock()
        self._closed = threading.Event()
        self._closing = False     # (from the start of close: its writes wait as long as the close's do)
        self._held_at_close = False   # (a write at close refused as another process holds the library)
        # Set by every change (an event emitted, a seek, Keep it going, closing): the progress
        # thread, resting while nothing plays and all is saved, waits for it instead of waking
        # every interval for nothing.
        self._nudged = threading.Event()
        # Tracks given to their copies as the engine opened them ({gone: copy}; by the progress
        # thread, see _copy_taking_over, or by a scan elsewhere, see _moved_to), for the progress
        # thread to follow: the engine's threads never take the player's lock, which the player
        # holds as it calls into the engine.
        self._taken_over: dict[int, int] = {}
        # Tracks the engine's threads found opened from their copies, not given to them yet
        # ({gone: copy}): the progress thread gives them (see _copy_taking_over).
        self._to_give: dict[int, int] = {}
        self._giving_failed: set[int] = set()     # of those, the ones said to wait for a busy library
        self._place_unsaved = 0      # progress ticks since the place was last saved
        self._first_heard: _Playing | None = None     # the last play whose first time heard was written early
        self._last_finished: int | None = None    # the track of the last play, if it ended finished
        self._ended_alone: list[QueueEntry] = []  # the latest entries whose plays ended on their own
        # (entry, heard_at, queued): the song the engine went on into without a gap, taken by the
        # output and first heard at ``heard_at`` (``time.monotonic()``), and whether it came from
        # Up next (not a repeat-one lap): see set_stop_after(ending=)
        self._taken_ahead: tuple[QueueEntry, float, bool] | None = None
        # Held while this player lives: another process starting now (``segue play`` beside
        # the window) must not take this player's plays for a killed one's and close them.
        self._owner = store.play_owner()
        self._crash_left_open = True
        self._close_interrupted(at_start=True)
        self._kept_file = kept_plays.journal_path(store.path)
        # Held while the kept file is brought in step with what the library refuses (see
        # ``_keep_unsaved``), by the GUI thread as a play is refused and by the progress thread.
        self._kept_lock = threading.Lock()
        self._kept_failing = False      # the kept file could not be written at the last try (said once)
        self._kept_read = self._read_kept()
        # What this player put in the kept file last (at first, what it took from it): replaced
        # there by what is left as the library takes it, or refuses more.
        self._kept_mine: tuple[list[dict], dict[int, list]] = self._kept_read or ([], {})
        # When the history was last forgotten, as this player's session knows it: a forget since
        # (the window's, or another process's) ends the session (see ``_forget_session``). Read
        # before the session is: a forget between the two is one since.
        self._forget_seen = self._last_forget()
        self._carry_session()
        engine.set_listener(self._on_engine)
        self._ticker = threading.Thread(target=self._progress_loop, name="play-progress", daemon=True)
        self._ticker.start()

    # -- listeners -------------------------------------------------------------
    def add_listener(self, fn: Callable[[str, dict], None]) -> None:
        """``fn(event, data)``: track_started, track_ended, state_changed, queue_changed,
        error, device_lost, stop_after_changed (``on``; ``stopped_after``: the track it
        stopped after, when that is why it went off), gave_up (``errors``: the plays in a row
        that could not be played, ``songs``: of how many songs, ``went_round``: repeating
        all, the list came round to one of them), plays_unsaved (``count``: the plays the
        store refused, a full disk, kept until it takes them; 0 once all are written;
        ``why``: what the store said, ``kind``: of which kind, see ``failures.refusal``;
        ``kept``: whether the file beside the library holds them too), heard_at (``track_id``,
        ``play_id``, ``heard_at``: the song started ahead of its sound is first heard at this
        other time, the output switched meanwhile); called from any thread.
        ``track_started`` names the queue ``entry`` that started: :meth:`next` takes it, to
        skip only that one; its ``heard_at`` (``time.monotonic()``, or None: now) is when its
        first frame is heard, after a gapless hand-over that the output took ahead of the sound."""
        self._listeners.append(fn)

    def _emit(self, event: str, **data) -> None:
        self._nudged.set()
        for fn in list(self._listeners):
            try:
                fn(event, data)
            except Exception:
                log.exception("player listener failed on %s", event)

    @property
    def keep_going(self) -> bool:
        return self._keep_going

    @keep_going.setter
    def keep_going(self, on: bool) -> None:
        self._keep_going = on
        self._nudged.set()          # saved with the state at the next tick
        # Filled now, not at the engine's next word: turned on while paused (no word comes
        # until play goes on), Up next stayed short however long the person waited.
        if on:
            self._maybe_fill()

    # -- queue -------------------------------------------------------------------
    @property
    def queue(self) -> list[QueueEntry]:
        """Upcoming entries (the current track is not in it)."""
        return self._queue.entries()

    @property
    def has_before(self) -> bool:
        """Whether a song of this run is there for Previous to go back to (with none playing:
        after a stop, or once Up next ran out)."""
        return bool(self._back)

    @property
    def history(self) -> list[int]:
        """Track ids played this run, oldest first."""
        with self._lock:
            return [e.track_id for e in self._history]

    def _mark_pause(self, state: PlaybackState) -> bool:
        """A song paused for longer than the session gap and then resumed starts a session
        again: for :attr:`session` it begins when it resumed, and in the play log it goes on
        in the session of now (see :meth:`player.store.plays.PlaysMixin.resume_paused_play`),
        so Up next, which reads the session in progress from the log, does not count the
        skips before the pause as today's; the run of early skips is over too. True then."""
        now = self._clock()
        with self._lock:
            if state is PlaybackState.PAUSED:
                self._paused_at = self._paused_at or now
                return False
            paused_at, self._paused_at = self._paused_at, None
            # (either way, as the log cuts sessions: a clock put back hours while paused too)
            if not (state is PlaybackState.PLAYING and paused_at is not None
                    and abs(now - paused_at) >= SESSION_GAP_S):
                return False
            return self._goes_on_now(now)

    def _woke(self, now: float) -> bool:
        """The computer slept while a song played (the wall clock moved on by the session gap
        or more between two progress ticks): the song went quiet then as if paused, so it goes
        on in the session of now as one resumed after so long a pause does. So does a song
        playing as the clock is put back that far: the log's session is over then (its next
        play begins another, see ``PlaysMixin._session_for``). True then."""
        with self._lock:
            if self._paused_at is not None or self.engine.state is not PlaybackState.PLAYING:
                return False        # a paused song is handled when it resumes
            return self._goes_on_now(now)

    def _goes_on_now(self, now: float) -> bool:
        """The song playing goes on at ``now`` after a break as long as the session gap:
        under the lock."""
        if not (self._history_times and self._history_times[-1][1] is None):
            return False
        self._history_times[-1][0] = now
        self._streak = 0
        self._passed_over.clear()   # (taken out in the session over now: a "not now" of then)
        playing = self._playing
        if playing is not None and playing.play_id is None:
            # Refused as it began (another process held the library), its play is kept to be
            # written: as begun now, in the session of now, as a play written is moved there.
            # Kept as begun before, it was written into the session it left, with that
            # session's run of skips, and the log read those as the session in progress.
            with self._unsaved_lock:
                kept = playing.unsaved
                if kept is not None and kept.play_id is None:
                    kept.started_at = now
            if kept is not None:
                self._keep_unsaved()        # (the kept file too: a kill now writes it so)
        if playing is not None and playing.play_id is not None:
            try:
                # (on the engine's thread, the lock held: a library another process holds made
                # the next song wait the store's 30 s; refused, the play stays in its session)
                with self._store_waits_at_most(self._write_wait_ms):
                    self.store.resume_paused_play(playing.play_id, now=now)
            except sqlite3.Error:  # a locked or broken database must not stop the music
                log.exception("could not move play %s to the session of now", playing.play_id)
        return True

    def _carry_session(self) -> None:
        """Go on with the session the play log holds in progress (the last run closed, or
        killed, within ``SESSION_GAP_S`` of now): a restart mid-evening forgot it, and Up
        next offered the songs heard minutes before, an album just heard backwards. One
        small read, as the player opens (the window opens it on a worker, never on the GUI
        thread); after the closing of the plays a crash left open, so theirs count as ended."""
        try:
            rows = self.store.session_in_progress(self._clock())
        except sqlite3.Error:   # a locked or broken database: the session begins here, as before
            log.exception("could not read the listening session in progress")
            return
        self._carried = [(int(r["track_id"]), int(r["id"]), float(r["started_at"]),
                          float(max(r["updated_at"] or r["started_at"], r["started_at"]))) for r in rows]
        self._carry_feedback(rows)
        self._carry_passed_over()

    def _carry_feedback(self, rows) -> None:
        """The early skips of the session carried, and the run of them it ended with, as the
        play log tells them (the rule Up next reads the log's by): a restart mid-station
        forgot the skips just made, and the station played the same kind of song again."""
        if not rows:
            return
        from recommender.catalog import PlayLog     # (numpy only: no torch)

        feedback = PlayLog.from_rows(rows).feedback()
        skips: list[int] = []
        streak = 0
        for r, f in zip(rows, feedback):
            track = int(r["track_id"])
            self._carried_marks[track] = len(skips)
            if f < 0:
                skips.append(track)
                self._carried_skip_plays.append(int(r["id"]))
                streak += 1
            elif f > 0:
                streak = 0      # listened to: the run of skips is over (errors say nothing)
        self._carried_skips, self._streak = skips, streak

    def _carry_passed_over(self) -> None:
        """The suggestions taken out of the queue in the session carried: a restart forgot
        them, and the filler offered them again at once. Kept by the rule of
        :attr:`passed_over`: until nothing was heard or taken out for ``SESSION_GAP_S``."""
        try:
            saved = self.store.get_setting(PASSED_SETTING)
        except sqlite3.Error:
            log.exception("could not read the suggestions passed over in the session")
            return
        try:
            at, ids = float(saved["at"]), list(saved["ids"])
        except UNREADABLE:
            return              # none saved, or not readable: nothing is kept out
        ids = set(map(row_id_or_none, ids)) - {None}      # (an odd one among them is left out)
        if self._carried and at <= self._carried[0][2] - SESSION_GAP_S:
            return              # taken out in a session over before the one carried began
        last = max([at, *(c[3] for c in self._carried)])
        if ids and abs(self._clock() - last) < SESSION_GAP_S:
            self._passed_over, self._passed_at, self._passed_mark = ids, last, self._activity_mark()

    def station_skip_mark(self) -> int:
        """Where the early skips of :attr:`station_seed`'s station begin (as a
        :attr:`skip_count`), for a station the last run left playing: at the play its seed
        began it with, as saved with it (none before it: it began in a session before, and
        all of this one's plays are the station's). A state saved without that play takes
        the latest play of its seed in the session carried over the restart, at the first
        where the seed is not among them. Read without the player's lock: the window asks as
        it opens, on the GUI thread, which a command holding the lock must not hold up."""
        seed, began = self.station_seed, self._station_play
        if seed is None:
            return self.skip_count
        if began is not None:
            # Where its seed's play was logged (the rows are in that order): its seed played
            # again since (Previous back to it, queued again) is no new start of the station.
            return self._skips_forgotten + sum(1 for play in self._carried_skip_plays if play < began)
        return self._skips_forgotten + self._carried_marks.get(seed, 0)

    @property
    def session(self) -> list[int]:
        """Track ids played in this listening session, oldest first: since the last time
        nothing played for ``SESSION_GAP_S`` (as the play log cuts sessions). What Up next
        and a station leave out and read as the context: the window may stay open for days,
        and yesterday's songs are neither this session's nor to be kept out of it. A session
        the last run left in progress goes on over the restart (see ``_carry_session``);
        "forget my listening history" begins one anew (see ``_forget_session``)."""
        with self._lock:
            carried, start = self._session_starts()
            return ([c[0] for c in self._carried[carried:]]
                    + [e.track_id for e in self._history[start:]])

    def _session_starts(self) -> tuple[int, int]:
        """Under the lock: where :attr:`session` begins in ``_carried`` and in ``_history``
        (``len(self._carried)`` where none of the last run's session is in it)."""
        now = self._clock()
        start, after = len(self._history), now
        for i in range(len(self._history) - 1, self._session_from - 1, -1):
            began, ended = self._history_times[i]
            if ended is None:                # playing, or paused since it was
                ended = self._paused_at or now
            # A gap either way ends a session, as in the log: a clock put back hours begins
            # another there, and so does one put back as this song played (it ended before it
            # began), which leaves the song in the session before.
            if abs(after - ended) >= SESSION_GAP_S or began - ended >= SESSION_GAP_S:
                break
            start, after = i, began
        else:               # nothing of this run's ended it: the last run's goes on before
            carried = len(self._carried)
            for i in range(len(self._carried) - 1, -1, -1):
                _track, _play, began, ended = self._carried[i]
                if abs(after - ended) >= SESSION_GAP_S:
                    break
                carried, after = i, began
            return carried, self._session_from
        return len(self._carried), start

    @property
    def passed_over(self) -> frozenset[int]:
        """Suggestions the person took out of the queue (Clear, or removed from it) in this
        listening session: not suggested again in it. With Keep it going on, Clear brought
        back the same songs a moment later. Another session (nothing heard or taken out for
        ``SESSION_GAP_S``) forgets them: it was a "not now", not a "never"."""
        with self._lock:
            if not self._passed_over:
                return frozenset()
            now, last = self._clock(), self._passed_at
            if self._history_times and (self._activity_mark() != self._passed_mark
                                        or (self._history_times[-1][1] is None and self._paused_at is None)):
                # A song began, ended, paused or resumed since (or plays now): that is the latest
                # of the listening. Taken by order, not the later time: with the clock put back
                # since a song ended, what is taken out now is later all the same.
                began, ended = self._history_times[-1]
                last = ended if ended is not None else (self._paused_at or now)
                if ended is None and began - last >= SESSION_GAP_S:
                    last = began    # the clock put back as it plays: its session is over
            # A gap either way ends the session, as in :attr:`session` and the log: a clock put
            # back hours begins another, where they were kept out until it caught up again.
            if abs(now - last) >= SESSION_GAP_S:
                self._passed_over.clear()
            return frozenset(self._passed_over)

    def _activity_mark(self) -> tuple:
        """Where the listening stands (the songs begun, the last one's times, the pause): a
        change means the person's latest activity came after what was marked. Under the lock."""
        last = tuple(self._history_times[-1]) if self._history_times else ()
        return len(self._history_times), last, self._paused_at

    def _pass_over(self, entries) -> None:
        """The person took ``entries`` out of the queue: the suggestions among them are passed over.
        Picked by source, not by ``manual``: a suggestion the person moved is theirs to keep from
        re-ranks, and taken out after all it is still Segue's offer turned down."""
        ids = {e.track_id for e in entries if e.source in SUGGESTED_SOURCES}
        if ids:
            self.passed_over                      # a session over by now forgets the older ones
            self._passed_over |= ids
            self._passed_at, self._passed_mark = self._clock(), self._activity_mark()
            # Kept for a restart within the session (see ``_carry_passed_over``); written on the
            # player's thread, where the person's commands run, never the GUI thread.
            self._save_passed()

    def _save_passed(self) -> None:
        """Save the suggestions passed over as they are now (none: the setting goes), under
        the lock. Another process holding the library (an import, a scan elsewhere) had this
        wait the store's 30 s with the lock held: the song's end and the next one's start, and
        every command after, waited as long. Now it waits as a play's start does; refused by
        then, the progress thread writes it at its next ticks (only the latest matters)."""
        self._passed_pending = ({"at": self._passed_at, "ids": sorted(self._passed_over)}
                                if self._passed_over else None,)
        self._nudged.set()
        self._write_passed()

    def _write_passed(self) -> bool:
        """Write the suggestions passed over that wait to be (see ``_save_passed``); whether
        none wait now."""
        with self._passed_lock:
            pending = self._passed_pending
            if pending is None:
                return True
            try:
                with self._store_waits_at_most(self._write_wait_ms):
                    self.store.set_setting(PASSED_SETTING, pending[0])
            except sqlite3.Error as exc:     # passed over in this run still; tried again at the next tick
                if not self._passed_failing:
                    log.warning("could not save the suggestions passed over (tried again at every tick: %s)", exc)
                self._passed_failing = True
                return False
            if self._passed_failing:
                log.info("the suggestions passed over are saved again")
            self._passed_failing = False
            if self._passed_pending is pending:
                self._passed_pending = None
            return self._passed_pending is None

    @property
    def early_skips(self) -> list[int]:
        """Track ids the person skipped early this run (heard under 30 s or half), oldest first."""
        return list(self._early_skips)

    @property
    def session_skips(self) -> list[int]:
        """:attr:`early_skips`, after those of the session the last run left going on, as the
        play log tells them (``_carry_session``): what a station steers away from, across a
        restart too. (A list only added to: a station marks where its own begin.)"""
        return self._carried_skips + self._early_skips

    @property
    def skip_count(self) -> int:
        """Where the next early skip will stand among all this player's session has had,
        those a forget took out included: the mark a station takes as it starts, for
        :meth:`skips_since`."""
        return self._skips_forgotten + len(self._carried_skips) + len(self._early_skips)

    @property
    def skips_this_session(self) -> list[int]:
        """The early skips of :attr:`session` alone, oldest first: a song skipped in a session
        before, in the same run, and heard through in this one was held back with the songs
        skipped now, once a small library came round again."""
        with self._lock:
            carried_from, start = self._session_starts()
            plays = {c[1] for c in self._carried[carried_from:]}
            mine = {id(e) for e in self._history[start:]}
            return ([t for t, play in zip(self._carried_skips, self._carried_skip_plays) if play in plays]
                    + [t for t, e in zip(self._early_skips, self._early_skip_plays) if id(e) in mine])

    def skips_since(self, mark: int) -> list[int]:
        """The early skips of :attr:`session_skips` made since ``skip_count`` was ``mark``
        (those before a forget since are gone with the history)."""
        return self.session_skips[max(0, mark - self._skips_forgotten):]

    def forget_session(self) -> None:
        """The listening history was just forgotten: the session this player holds goes
        with it (the songs heard, the early skips, the suggestions passed over, kept and
        saved: they say what was offered and turned down), and Up next goes on as for
        someone new from now; the song playing plays on. Off the GUI thread, after the
        store's forget: it reads and writes the store."""
        with self._lock:
            self._forget_session(self._last_forget())
            # (and the suggestions passed over, also where a play begun since ended the session)
            self._passed_over.clear()
            self._passed_at = 0.0
            self._save_passed()
        # The forget emptied the state saved for the next start; what this player holds now
        # (the song playing, Up next, Previous cut to that song) is written again at once.
        # Else, paused, nothing changed it again, and the next start had nothing to go on with.
        with self._state_lock:
            self._saved_state = None
        self._save_state()
        self._maybe_fill()      # the suggestions queued, ranked from the session gone, anew

    def _forget_session(self, forgotten: float | None) -> bool:
        """Under the lock: end the session this player holds if the history was forgotten
        since it last looked (``forgotten``: when, as the store has it now). The plays begun
        before the forget lost their rows: what they said goes too. The song playing stays
        in the session (Up next does not offer it again next), but its end counts for
        nothing: its play is gone from the log, and a skip kept here alone would steer a
        station that the log, read after a restart, would not. True where it ended one."""
        if forgotten is None or forgotten == self._forget_seen:
            return False
        if self._forget_seen is None:
            self._forget_seen = forgotten   # not known before (an unreadable store): nothing to compare
            return False
        self._forget_seen = forgotten
        self._skips_forgotten = self.skip_count
        self._carried, self._carried_skips, self._carried_marks = [], [], {}
        self._carried_skip_plays = []
        self._early_skips, self._early_skip_plays, self._streak = [], [], 0
        # The suggestions queued were ranked from the session gone (its songs kept out, its
        # skips steering): ranked anew at the next look, as for someone new, not played on.
        self._reshape_wanted = True
        self._passed_over.clear()
        self._passed_at = 0.0
        # So were the suggestions of the removals from Up next: put back, they brought the
        # forgotten session back into the queue. What the person queued, moved or played
        # as a list is not history, and a slip of Clear still loses none of it.
        self._narrow_taken(lambda e: e.manual, passed=False)
        playing = self._playing
        if playing is not None:
            playing.forgotten = True
        if self._cued is not None:      # (its play, left by the last run, went with the history)
            self._cued = replace(self._cued, play_id=None, credit=0.0, heard=0.0, forgotten=True)
        kept = playing is not None and bool(self._history) and self._history[-1] is playing.entry
        self._session_from = len(self._history) - kept
        # Previous walks back through the songs heard: those before the forget are history the
        # person asked to forget (only the song playing stays, to go back to from the next).
        self._back = [playing.entry] if playing is not None and self._back and self._back[-1] is playing.entry else []
        return True

    @property
    def skip_streak(self) -> int:
        """How many of the latest plays to end were early skips in a row (0 after a listen)."""
        return self._streak

    # Every change of the queue, and re-arming what follows the current track, happen in
    # one hold of the player's lock: an engine event handled between the two would find a
    # queue that no longer holds the track the engine was told comes next.
    def _queue_changed(self) -> None:
        with self._lock:
            self._arm_next()
        self._emit("queue_changed")
        self._maybe_fill()

    def enqueue(self, track_ids, *, source: str = "queue", before=None) -> None:
        """Add tracks queued by hand (``source`` "queue") after the person's own entries, before
        what the list played, a station or Keep it going put in Up next: the person's own picks
        come first, in the order they were queued (while shuffling, at random places among
        them). Any other ``source`` goes to the end of the queue (to random places after the
        person's own entries while shuffling).

        ``before``: the entries shown after the place the person put them (files dropped
        on Up next): they go before the first of those still queued, else at the end, where
        they were seen to go. While shuffling, the order shuffle off goes back to takes them
        as it takes rows dragged there (see :meth:`_natural_moved`): dropped below the last
        row they were last in both orders, not put back among the songs queued by hand, at
        the top, when shuffle went off."""
        entries = [QueueEntry(int(t), source, True) for t in track_ids]
        # (while shuffling, the works among them and in the queue: see :meth:`_read_works`; by
        # album, a song alone too, which must not go in between two songs of an album queued)
        albums = self._shuffle_albums
        works = self._read_works(self._shuffle and before is None and (len(entries) > 1 or albums), albums=albums)
        if works is not None:
            works.update(self._read_works(True, [e.track_id for e in entries], albums=albums))
        with self._lock:
            if before is not None:
                self._queue.extend(entries)
                self._queue.move_entries(entries, self._now_queued(before))
                self._natural_moved(entries)
                # Dropped below the last row, after the list or the suggestions, they are sent
                # to the end as songs moved there are. (Dropped after the person's own songs
                # only, or on an empty Up next, they are just added: queued later by hand, a
                # song goes after them.)
                queue = self._queue.entries()
                if entries and all(e.hand_queued for e in entries) and queue[-len(entries):] == entries \
                        and any(not e.own for e in queue[:-len(entries)]):
                    for e in entries:
                        e.send_to_end(True)
            elif all(e.hand_queued for e in entries):
                if self._shuffle:
                    self._natural_after_hand_queued(entries)
                    self._queue.insert_randomly(entries, self._rng, upto=_after_own, work=self._work_of(works))
                else:
                    self._queue.insert(_after_own(self._queue.entries()), entries)
            elif self._shuffle:
                self._natural.extend(entries)
                # (never before the person's own entries: they come first)
                self._queue.insert_randomly(entries, self._rng, _after_own, work=self._work_of(works))
            else:
                self._queue.extend(entries)
            self._queue_changed()

    def insert_next(self, track_ids, *, source: str = "queue") -> None:
        """Play ``track_ids`` next: before everything else in Up next, but after the songs an
        earlier Play next put there that still wait at its top. A DJ picking the next few songs
        one by one hears them in the order picked (as in Spotify and foobar2000); each put at
        the very top, the last picked played first and the first picked last."""
        entries = [QueueEntry(int(t), source, True) for t in track_ids]
        with self._lock:
            queue = self._queue.entries()
            # (by identity: the same song played next twice is two entries)
            run = {id(e) for e in self._played_next}
            at = next((i for i, e in enumerate(queue) if id(e) not in run), len(queue))
            natural_at = next((i for i, e in enumerate(self._natural) if id(e) not in run), len(self._natural)) \
                if self._shuffle else 0
            # The run ends once none of it leads Up next (played, taken out, another song put
            # first) nor, while shuffling, the order shuffle off goes back to: shuffle on may
            # deal another song of the person's first, and off puts the run back at the top,
            # where the next song picked still goes after it.
            self._played_next = [*self._played_next, *entries] if at or natural_at else entries
            if self._shuffle:
                self._natural[natural_at:natural_at] = entries
            self._queue.insert(at, entries)
            self._queue_changed()

    def remove_from_queue(self, index: int) -> None:
        with self._lock:
            before = self._queue.entries()
            self._took([self._queue.remove(index)], before)
            self._queue_changed()

    def play_queue_entry(self, entry: QueueEntry) -> bool:
        """Play queued ``entry`` now (the entries before it stay queued).

        False, and nothing changes, when it is no longer queued (it was played or removed).
        """
        with self._lock:
            entry = self._now_queued([entry])[0]
            if not self._queue.discard(entry):
                return False
            self._start(entry, ended="skipped", restart_stops=True)
        self._emit("queue_changed")
        return True

    def remove_queue_entries(self, entries) -> int:
        """Remove these queued entries (by identity, wherever they are now); how many were."""
        with self._lock:
            before = self._queue.entries()
            gone = self._queue.discard_all(self._now_queued(entries))
            if gone:
                self._took(gone, before)
                self._queue_changed()
        return len(gone)

    def _took(self, gone: list[QueueEntry], before: list[QueueEntry]) -> None:
        """Under the lock: the person took ``gone`` out of the queue (which was ``before``):
        the suggestions among them are passed over, and :meth:`put_back` can undo it."""
        passed = set(self.passed_over)     # (read so: those of a session over by now lapse first)
        self._pass_over(gone)
        self._undo = _undo_kept([*self._undo, ("taken", (list(gone), before, self._passed_over - passed,
                                                         list(self._natural)))])

    def _narrow_taken(self, keep, *, passed: bool = True) -> None:
        """Under the lock: each removal Ctrl+Z can put back brings back only the entries
        ``keep(entry)`` picks (one with none left is no longer one), and unpasses none of the
        suggestions it passed over unless ``passed``."""
        narrowed = []
        for kind, rec in self._undo:
            if kind == "taken":
                gone, before, unpassed, natural = rec
                gone = [e for e in gone if keep(e)]
                if not gone:
                    continue
                rec = (gone, before, unpassed if passed else set(), natural)
            narrowed.append((kind, rec))
        self._undo = narrowed

    def put_back(self) -> int:
        """Undo the latest removal from Up next (Remove, Delete, Clear): the entries taken out
        come back where they were, each before the entry that followed it then if that is still
        queued, else at the end, and the suggestions among them are no longer passed over.
        A slip of the Delete key or of Clear lost a queue built song by song for good. Each
        removal once, the latest first; a new list or station since ends them (what was taken
        out was Up next as it was then). Returns how many came back."""
        with self._lock:
            at = next((i for i in range(len(self._undo) - 1, -1, -1) if self._undo[i][0] == "taken"), None)
            if at is None:
                return 0
            gone, before, passed, natural = self._undo.pop(at)[1]
            # Each order takes them back as it was then, shuffle turned on or off since (as a
            # move taken back does): shuffle off's order then is ``natural``, or ``before``
            # itself where shuffle was off. Else a song deleted, shuffle turned on, Ctrl+Z, went
            # last once shuffle went off (the order it goes back to never had it), and one
            # deleted while shuffling and put back after shuffle went off went before the song
            # that followed it in the shuffled order.
            # (shuffle's own flag says which it is now: the order shuffle off goes back to is
            # empty while shuffling too, where shuffle came on with Up next empty)
            unshuffled = natural or before
            if natural and not self._shuffle:
                before = natural
            queue = self._queue.entries()
            here, out = {id(e) for e in queue}, {id(e) for e in gone}
            # Taken out as the engine went on into it, a song plays all the same (see
            # ``_on_engine``): put back, it was queued again while it played, and heard twice.
            heard = {id(e) for e in self._history}
            # (not a suggestion the person has said never to offer since)
            back = [e for e in gone if id(e) in out and id(e) not in here and id(e) not in heard
                    and not (e.source in SUGGESTED_SOURCES and e.track_id in self._left_out)]
            if not back:
                return 0
            self.last_put_back = back
            # The person's own songs that came first (queued by hand, or placed with them) still
            # come first where all that followed them is gone: cleared with Keep it going on,
            # Up next filled with suggestions at once, and theirs came back after all of those.
            # So do the list's songs that came before any suggestion: Up next refilled, the rest
            # of the album playing came back after the new suggestions, where it had never been.
            own = frozenset(id(e) for e in before[:_after_own(before)] if e.own)
            head = next((i for i, e in enumerate(before) if not e.manual or e.sent_to_end), len(before))
            songs = frozenset(id(e) for e in before[:head] if e.manual)
            self._queue.replace(_in_places(queue, back, before, first=own, listed=songs - own))
            if self._shuffle:
                known = {id(e) for e in self._natural}
                missing = [e for e in back if id(e) not in known]
                if missing:
                    self._natural = _in_places(self._natural, missing, unshuffled)
            if passed and self._passed_over & passed:
                self._passed_over -= passed
                self._save_passed()
            self._queue_changed()
        return len(back)

    def undo(self) -> tuple[str, int]:
        """Ctrl+Z in Up next: take back the latest move (a drag, Play next, Move to end,
        Alt+Up/Down), else put back the latest removal (:meth:`put_back`). What was done last
        is what is undone: a drag to the wrong place could not be taken back, and Ctrl+Z just
        after it brought back a song deleted before, the drag left as it was. Returns
        ``("moved", how many went back)`` or ``("put back", how many came back)``."""
        with self._lock:
            self.last_put_back = []
            while self._undo:
                if self._undo[-1][0] == "taken":
                    back = self.put_back()
                    if back:
                        return "put back", back
                    continue
                moved = sum(self._move_back(*step) for step in reversed(self._undo.pop()[1]))
                if moved:
                    self._queue_changed()
                    return "moved", moved
        return "put back", 0

    def _move_back(self, entries, queue, natural, sent, kept) -> int:
        """Under the lock: ``entries`` go back where they were in ``queue`` (see :func:`_in_places`),
        and in ``natural``, the order shuffle off goes back to, where shuffle was on then and
        is now. The ones the move made the person's (``kept``) are what they were again: a move
        taken back did not happen, and a suggestion is Segue's to re-rank once more. So are
        those of theirs it sent to the end or back from it (``sent``: ``{id: (entry, was it
        sent to the end)}``). How many of them are still queued."""
        for e, was_sent in sent.values():
            e.send_to_end(was_sent)
        if kept:
            self._swap({id(new): old for new, old in kept.values()})
        now = self._queue.entries()
        here = {id(e) for e in now}
        back = [e for e in entries if id(e) in here]
        if back:
            # Each order follows the same order as it was then, shuffle turned on or off since:
            # shuffle off's order then is ``natural``, or ``queue`` itself where shuffle was off.
            # Else shuffle off, turned on since, brought a song Played next and taken back to
            # the top again; and shuffle turned off since put a song back before the one that
            # followed it in the shuffled order, among songs it had never been near.
            self._queue.replace(_in_places(now, back, natural if natural and not self._shuffle else queue))
            if self._shuffle:
                self._natural = _in_places(self._natural, back, natural or queue)
        return len(back)

    def leave_out(self, track_ids) -> int:
        """Queue none of ``track_ids`` as a suggestion from now on (the whole set, in place of
        the one given last): their suggested entries leave the queue now, and a fill or a
        station asked for before they were left out adds none of them when it lands. What the
        person queued stays. Returns how many entries went.

        Picked by source, not by ``manual``: a suggestion the person moved is theirs to keep
        from re-ranks, but it is still Segue's offer of a song they now said never to offer."""
        left = frozenset(int(t) for t in track_ids)
        with self._lock:
            self._left_out = left
            return self._take_out(lambda e: e.source in SUGGESTED_SOURCES and e.track_id in left)

    def end_station(self, seed: int) -> bool:
        """End the station around ``seed``, if it is still the one going on (another may have
        started since): its seed is gone from the library and it found nothing, so Up next
        fills the queue from now on. The state saved says so: the station is not taken up
        again at the next start, nor here if the song comes back. True where it ended."""
        with self._lock:
            if self.station_seed != int(seed):
                return False
            self.station_seed = None
        self._save_state()
        return True

    def drop_list_entries(self, track_ids) -> int:
        """Take out of the queue the entries of ``track_ids`` that came with a list played (the
        rows after a double-click, a playlist, a Discover row) or were suggested: their disk
        is not connected now, and each would fail in turn. What the person queued song by
        song stays. Returns how many entries went."""
        gone = frozenset(int(t) for t in track_ids)
        return self._take_out(lambda e: e.track_id in gone and e.source != "queue")

    def _take_out(self, which) -> int:
        """Take the queued entries ``which(entry)`` picks out of the queue; how many went."""
        with self._lock:
            removed = sum(self._queue.discard(e) for e in self._queue.entries() if which(e))
            if removed:
                self._queue_changed()
        return removed

    def move_queue_entries(self, entries, before, *, joined: bool = False) -> int:
        """Move queued ``entries`` (by identity) before the first still-queued of ``before``
        (the entries that were shown after the drop point), else to the end; how many moved.
        A drag that crossed a track change or a queue refill still moves what was dragged.

        A suggestion moved becomes the person's to keep: re-ranks and refills replace only
        what Segue put there on its own, and one the person placed stays where they put it.
        It keeps its source, so its play is still logged as Segue's offer (the recommender
        learns from how its offers were taken, and a moved one was taken gladly). A song of
        the list played that the person moves is theirs the same way: a new list or station
        keeps both, as it keeps the songs queued by hand (see :meth:`_set_queue`).

        ``joined``: the move is another step of the one before (the next stretch of the rows
        one key press moves): :meth:`undo` takes them back together."""
        # Both read here, before any lock: ``before`` is read lazily further on, inside the
        # queue's own move with its lock held (only as far as the first still queued), and an
        # iterable of the caller's that read the queue there would wait for ever on that lock.
        # What is read under it is this list and the copy ``queue``, never the queue itself.
        entries, before = list(entries), list(before)
        with self._lock:
            queue, natural = self._queue.entries(), list(self._natural)
            if len(entries) <= FEW and all(index_of(queue, e) >= 0 for e in entries) \
                    and len(set(map(id, entries))) == len(entries):
                # Each queued as it is, none stands in for it: the stand-ins are not read (all
                # 100,000 entries of a shuffled queue read in Python took 80 ms per move).
                before = self._named_now(before, queue)
            else:
                stand_in = self._stand_ins()
                entries = self._now_queued(entries, stand_in)
                # (only the first of ``before`` still queued is looked for: each named as it is now,
                # as far as that one; "Play next" hands over the whole rest of the queue)
                before = (stand_in.get(id(x), x) for x in before)
            moved = self._queue.move_entries(entries, before)
            # Left at the end of Up next after the list or the suggestions (Move to end, a drag
            # below the last row, Alt+Down onto the last row), they are sent to the end; moved
            # anywhere else, no longer. Last among the person's own songs only, they are after
            # no list: a song queued by hand later goes after them, as after files dropped there.
            # (After one already sent to the end, they are sent there too: asked for later still.)
            ids = {id(e) for e in entries}
            now = self._queue.entries()
            to_end = bool(moved) and all(id(e) in ids for e in now[-moved:]) \
                and any(not e.own or e.sent_to_end for e in now[:-moved])
            if not joined:
                # A key press's first stretch starts its step even where it moved nothing (its
                # rows played, or were re-ranked away, just before): the press's next stretches
                # went into the step of the press before, and one Ctrl+Z took back both.
                self._press = None
            if moved:
                self._natural_moved(entries)
                kept = self._keep(entries, to_end=to_end)
                # The person's own entries are sent to the end, or no longer, in place (which
                # entry it is does not change: a list showing it still names it); Ctrl+Z sets
                # each back as it was.
                was_queued = queued_of(queue, entries)   # (not a set of the whole queue's ids)
                sent = {id(e): (e, e.sent_to_end) for e in was_queued if e.own and e.sent_to_end != to_end}
                for e, _ in sent.values():
                    e.send_to_end(to_end)
                step = (was_queued, queue, natural, sent, kept)
                if joined and self._press is not None and self._undo and self._undo[-1][1] is self._press:
                    self._press.append(step)
                    self._undo = _undo_kept(self._undo)
                else:
                    self._press = [step]
                    self._undo = _undo_kept([*self._undo, ("moved", self._press)])
                self._queue_changed()
        return moved

    def _named_now(self, entries, queue: list[QueueEntry]):
        """``entries`` each named as it is now (see :meth:`_now_queued`), one by one: those
        queued as they are found so at C speed, the stand-ins read only once one is not."""
        stand_in = None
        for n, x in enumerate(entries):
            if stand_in is None and n < FEW and index_of(queue, x) >= 0:
                yield x
                continue
            if stand_in is None:
                # (from ``queue``, not the queue's own: this runs inside its move, its lock held)
                stand_in = self._stand_ins(queue)
            yield stand_in.get(id(x), x)

    def _stand_ins(self, queue: list[QueueEntry] | None = None) -> dict[int, QueueEntry]:
        """``{id(was): entry}`` of the queued entries that stand in for another (see
        :meth:`_keep`), read at C speed: most have none, and a queue of 100,000 was read
        entry by entry in Python at every move and removal."""
        if queue is None:
            queue = self._queue.entries()
        was = list(map(_WAS, queue))
        if was.count(None) == len(was):
            return {}
        some = list(map(is_not, was, repeat(None)))
        return dict(zip(map(id, compress(was, some)), compress(queue, some)))

    def _now_queued(self, entries, stand_in: dict[int, QueueEntry] | None = None) -> list[QueueEntry]:
        """``entries`` with each moved suggestion the person keeps now (see :meth:`_keep`)
        named by the entry that stands in for it: a list not refreshed since still shows it.
        Once each (a list that named both would have it queued twice). ``stand_in``: what
        :meth:`_stand_ins` answers, where read already."""
        if stand_in is None:
            stand_in = self._stand_ins()
        if not stand_in:
            return list(entries)
        return list({id(e): e for e in (stand_in.get(id(x), x) for x in entries)}.values())

    def _keep(self, entries, *, to_end: bool) -> dict[int, tuple[QueueEntry, QueueEntry]]:
        """Under the lock: the suggestions and the list's songs among ``entries`` become the
        person's (``placed``), in their places, sent to the end or not as ``to_end`` says.
        Entries are not changed in place (the window's list and the engine share them): each
        is replaced, everywhere the player holds it while it is queued. A copy for the next
        round of repeat all stays the round's: the round goes with the list. Returns
        ``{id(old): (new, old)}``."""
        new = {id(e): QueueEntry(e.track_id, e.source, True, e.lap, was=e, placed=True, sent_to_end=to_end)
               for e in entries if not e.own and not (e.manual and e.lap)}
        self._swap(new)
        return {k: (n, n.was) for k, n in new.items()}

    def _swap(self, new: dict[int, QueueEntry]) -> None:
        """Under the lock: each entry whose ``id`` is a key of ``new`` becomes that entry,
        everywhere the player holds it while it is queued."""
        if not new:
            return
        self._queue.swap(new)
        if self._natural:
            self._natural = [new.get(id(e), e) for e in self._natural]
        # The song opened ahead to follow this one is known by its entry when it starts.
        for source in (self._armed, *self._armed_recent):
            if source is not None and id(source.token) in new:
                source.token = new[id(source.token)]

    def _natural_moved(self, entries) -> None:
        """Under the lock, just after ``entries`` moved: while shuffling, the order shuffle off
        goes back to follows the move, as it follows Play next. Moved to the top, they come
        first in it; to the end, last; else just before the entry that follows them now."""
        if not self._shuffle:
            return
        entries = list(entries)
        moving = {id(e) for e in entries}
        queue = self._queue.entries()
        if len(entries) <= FEW:
            # A few (a row moved to the top, Alt+Up), found by identity at C speed: a pass over
            # each order of 100,000 in Python held the player's lock a fifth of a second.
            where = sorted(i for i in map(partial(index_of, queue), entries) if i >= 0)
            if not where:
                return
            block = [queue[i] for i in where]
            natural = list(self._natural)
            for i in sorted((i for i in map(partial(index_of, natural), block) if i >= 0), reverse=True):
                del natural[i]
            first = where[0]
        else:
            block = [e for e in queue if id(e) in moving]
            if not block:
                return
            natural = [e for e in self._natural if id(e) not in moving]
            first = next(i for i, e in enumerate(queue) if id(e) in moving)
        after = next((e for e in islice(queue, first + len(block), None) if id(e) not in moving), None)
        if first == 0:
            at = 0
        elif after is None:
            at = len(natural)
        else:
            at = index_of(natural, after)
            at = len(natural) if at < 0 else at
        self._natural = natural[:at] + block + natural[at:]

    def _natural_refilled(self, fresh: list[QueueEntry]) -> None:
        """Under the lock, while shuffling, just after ``fresh`` replaced the suggestions queued
        (re-ranked): the order shuffle off goes back to takes them in the places of the ones
        gone, and any more at its end before the songs sent there, as the queue itself does
        with shuffle off (:meth:`PlayQueue.replace_suggestions`). Else they were in no place
        there, and went after all of it when shuffle went off: after the songs the person had
        sent to the end to hear last."""
        here = {id(e) for e in self._queue.entries()}
        known = {id(e) for e in self._natural}
        new = iter([e for e in fresh if id(e) in here and id(e) not in known])
        out: list[QueueEntry] = []
        for e in self._natural:
            if e.manual or id(e) in here:
                out.append(e)
                continue
            nxt = next(new, None)          # (a suggestion gone: the next new one in its place)
            if nxt is not None:
                out.append(nxt)
        at = before_sent_to_end(out)
        out[at:at] = new
        self._natural = out

    def renumber(self, renumbered: dict[int, int]) -> None:
        """Follow tracks a library scan merged into others (``{gone: now}``): a moved file
        the person queued or played while the scan still showed it as a track of its own."""
        def final(tid: int) -> int:
            return followed(renumbered, tid)

        with self._lock:
            # (and those taken out of Up next, which put_back may queue again, and those a move
            # made the person's, which Ctrl+Z brings back: the queue as it was before a move or
            # a removal is known by identity only)
            held = [*self._queue.entries(), *self._natural, *self._back, *self._history,
                    *(e for kind, rec in self._undo
                      for e in (rec[0] if kind == "taken" else [old for *_, kept in rec for _, old in kept.values()]))]
            for extra in (self._cued and self._cued.entry, self._playing and self._playing.entry,
                          *(self._repeat_copy or ())):
                if extra:
                    held.append(extra)
            changed = {id(e): e for e in held if e.track_id in renumbered}
            # What this run remembers of plays goes with them: the early skips (a station
            # moves away from them) and the last song heard whole (a lap of repeat-one).
            self._early_skips = [final(t) for t in self._early_skips]
            self._carried = [(final(t), *rest) for t, *rest in self._carried]
            self._carried_skips = [final(t) for t in self._carried_skips]
            # Two rows of one song (both heard in the session carried) merge into one: a
            # station from it began at the later of their plays, where more skips had been
            # made (a mark only grows), whichever of the two the dict happens to hold last.
            marks: dict[int, int] = {}
            for t, n in self._carried_marks.items():
                marks[final(t)] = max(n, marks.get(final(t), n))
            self._carried_marks = marks
            if self._last_finished is not None:
                self._last_finished = final(self._last_finished)
            # The station's seed too: the station asked around a track gone from the
            # library found nothing, and went quiet while its seed was still there.
            seed = self.station_seed
            if seed is not None:
                self.station_seed = final(seed)
            # The suggestions passed over too (and those a removal Ctrl+Z can undo passed over):
            # else the copy a suggestion taken out went to was offered again in the session.
            if self._passed_over & renumbered.keys():
                self._passed_over = {final(t) for t in self._passed_over}
                self._save_passed()
            self._undo = [(kind, (rec[0], rec[1], {final(t) for t in rec[2]}, rec[3]) if kind == "taken" else rec)
                          for kind, rec in self._undo]
            if not changed:
                if seed != self.station_seed:
                    self._save_state()
                return
            for entry in changed.values():
                entry.renumber(final(entry.track_id))
            self._save_state()
        self._emit("queue_changed")

    def clear_queue(self) -> int:
        """Empty Up next (:meth:`put_back` undoes it); how many entries went."""
        with self._lock:
            before = self._queue.entries()
            if before:
                self._took(before, before)
            self._queue.clear()
            self._queue_gen += 1
            self._queue_changed()
        return len(before)

    # -- shuffle and repeat ---------------------------------------------------------
    @property
    def shuffle(self) -> bool:
        return self._shuffle

    def _natural_after_hand_queued(self, entries: list[QueueEntry]) -> None:
        """While shuffling: ``entries`` take their place after the person's own entries (see
        :func:`_after_own`) in the order they were added, where shuffle off puts them back
        (under the lock)."""
        if self._shuffle:
            at = _after_own(self._natural)
            self._natural[at:at] = entries

    def _read_copies(self, shuffling: bool) -> dict[int, tuple[str, float | None]] | None:
        """The store's tracks that have copies (:meth:`_song_of` needs them), read where a
        shuffle may follow, before the player's lock is taken: at 100,000 tracks the read
        takes some 0.1 s, and the window waits for the lock when it asks what was heard."""
        return self.store.shared_recording_keys() if shuffling else None

    def _read_works(self, shuffling: bool, track_ids=None, albums: bool | None = None) -> dict | None:
        """The movements of classical works among the queued tracks (and the one playing), or
        ``track_ids``, read where a shuffle may follow, before the player's lock is taken (see
        :meth:`PlayerStore.work_movements`); shuffling by album (``albums``, else the player's
        mode), their albums too, each one piece (see :meth:`_read_album_places`)."""
        if not shuffling:
            return None
        if track_ids is None:
            playing = self._playing or self._cued
            track_ids = [e.track_id for e in self._queue.entries()]
            if playing is not None:
                track_ids.append(playing.entry.track_id)
        works = self.store.work_movements(track_ids)
        if self._shuffle_albums if albums is None else albums:
            # Shuffling by album: each album is one piece, played in disc and track order, as
            # a work is (a work on an album is in that order too, and a CUE sheet's album is
            # one album); a track without an album is a piece alone, or its work's.
            places = self._read_album_places(track_ids)
            works.update((t, w) for t, w in places.items() if w is not None)
        else:
            # Shuffled song by song, a book's chapters queued together stay one piece, in their
            # order, as a work's movements do (Apple's players never shuffle a book's chapters):
            # chapter 7 between two songs, then chapter 2, is no way to hear a book.
            rows = self.store.tracks_by_id(track_ids, columns=("genre", "path")).values()
            books = [r["id"] for r in rows if is_book(track_bucket(r["genre"], r["path"]))]
            if books:
                places = self._read_album_places(books)
                works.update((t, w) for t, w in places.items() if w is not None)
        return works

    def _read_album_places(self, track_ids) -> dict[int, tuple[tuple, tuple | None]]:
        """``id -> (("album", album), (disc, track))`` of ``track_ids`` (None for a track on no
        album), the album as the library groups it (:class:`player.recommendations.AlbumIds`: its
        album artist, title and release, one disc of a set tagged as an album of its own part of
        it); the place None where the track has no number (the album keeps the order queued)."""
        # What was read stays until its tracks change: shuffling again, switching modes or
        # adding to a long Up next reads only the tracks not read before (the first read of
        # 100,000 queued takes seconds on the player's command thread).
        stamp, kept = self._album_places_now()
        wanted = {int(t) for t in track_ids}
        out = {t: kept[t] for t in wanted if t in kept}
        if len(out) < len(wanted):
            out.update(self._read_album_rows([t for t in wanted if t not in out]))
            self._albums_read = (stamp, {**kept, **out})
        return out

    def _album_places_now(self) -> tuple[int, dict]:
        """``(stamp, places)``: the library's stamp now and what was read of albums still true
        at it, the tracks written since the read left out (a retag that merged, split or
        renumbered an album, a track deleted). Two quick reads of the store; none of the
        tracks' rows."""
        stamp = self.store.library_stamp()      # (before the changes: a write after it is read again)
        read_at, kept = self._albums_read
        if read_at != stamp:
            changed = set(self.store.library_changed_ids(read_at)) if read_at is not None and kept else ()
            kept = {t: w for t, w in kept.items() if t not in changed} if changed else kept
            self._albums_read = (stamp, kept)
        return stamp, kept

    def album_openers(self, track_ids: list[int]) -> list[int]:
        """The places in ``track_ids`` of each album's first song there (by disc and track; a
        song on no album, or without a number, is one of its own): where a list shuffled by
        album may begin. Reads the store: call it off the GUI thread."""
        places = self._read_album_places(track_ids)
        first: dict = {}
        for i, t in enumerate(track_ids):
            w = places.get(int(t))
            if w is None or w[1] is None:
                first[("song", i)] = i
            elif w[0] not in first or w[1] < places[int(track_ids[first[w[0]]])][1]:
                first[w[0]] = i
        return sorted(first.values())

    def _read_album_rows(self, track_ids: list[int]) -> dict[int, tuple[tuple, tuple | None] | None]:
        """:meth:`_read_album_places` of ``track_ids`` read from the store."""
        rows = list(self.store.tracks_by_id(track_ids, columns=_ALBUM_COLUMNS).values())
        if not rows:
            return {}
        # (as :func:`player.recommendations.album_ids`, with each track's numbers kept: read
        # whole and named twice, 20,000 queued took 0.7 s)
        namer, ids, numbers = Namer.of(self.store), AlbumIds(), []
        for r in rows:
            title = namer(r).album
            album, title_says = title_disc(title) if title else (None, None)
            numbers.append(AlbumIds.numbers(r, title_says))
            ids.add(r, album, *numbers[-1])
        # (one key per album, shared by its tracks: 100,000 read are kept while queued)
        keys: dict[str, tuple] = {}
        return {r["id"]: (keys.setdefault(album, ("album", album)), (disc or 1, track) if track else None)
                if album is not None else None for r, album, (track, disc) in zip(rows, ids.finish(), numbers)}

    @staticmethod
    def _work_of(works: dict[int, tuple[str, int | None]] | None):
        """``entry -> (performance, movement)`` for :func:`shuffled`, None where no movement is queued."""
        if not works:
            return None
        return lambda e: works.get(e.track_id)

    def _song_of(self, entries: list[QueueEntry], shared: dict[int, tuple[str, float | None]] | None):
        """``entry -> song`` for :func:`shuffled`: one song in several files (same normalised
        artist and title, lengths within ``SAME_RECORDING_S``) is one, whatever its album or
        format; a track without both names is a song of its own. None where no two are one.
        ``shared``: :meth:`_read_copies`'s (read now where shuffle came on meanwhile)."""
        queued = {e.track_id for e in entries}
        copies = FirstCopies()
        song: dict[int, int] = {}
        for t, (key, d) in (shared if shared is not None else self.store.shared_recording_keys()).items():
            if t in queued:
                song[t] = copies.first(key, d, t)
        if not song and len(queued) == len(entries):
            return None                 # (no copies among them: nothing to part)
        # (a track queued twice is one song too, kept apart as copies are, whether or not
        # other copies are queued with it)
        return lambda e: song.get(e.track_id, e.track_id)

    @property
    def shuffle_albums(self) -> bool:
        """Shuffle moves whole albums (kept while shuffle is off, for the next time it is on)."""
        return self._shuffle_albums

    def set_shuffle(self, on: bool, albums: bool | None = None) -> None:
        """Shuffle the queue now: the person's own entries among themselves, still first, and
        the rest after them (songs added later go to random places in their part), but for
        those they sent after the whole list, which stay last; turned off,
        the entries still queued go back to the order they were added in.

        ``albums``: shuffle whole albums (True) or songs (False), None for the mode as it is.
        By album, each album queued goes as one piece in disc and track order, and the rest
        of the album playing comes first: turned on mid-album, that album is finished before
        another begins. Changed while shuffling, the queue is shuffled again the new way from
        the order it was added in."""
        on = bool(on)
        albums = self._shuffle_albums if albums is None else bool(albums)
        again = on and (not self._shuffle or albums != self._shuffle_albums)
        shared = self._read_copies(again)
        works = self._read_works(again, albums=albums)
        with self._lock:
            if on == self._shuffle and albums == self._shuffle_albums:
                return
            self._shuffle_albums = albums
            if not (on or self._shuffle):
                on = None           # (the mode alone, for the next shuffle: the queue stays)
        if on is None:
            self._emit("queue_changed")     # (saved with the state, shown by the window)
            return
        with self._lock:
            if on and self._shuffle:
                self._queue.order_like(self._natural)     # (the new way from the order added)
            self._shuffle = on
            if on:
                # The person's own entries (queued by hand, or moved in Up next) stay first,
                # mixed among themselves: what the person asked for still comes before the
                # list played and the suggestions, and an Up next they filled by hand (an
                # album added) is shuffled too, not left as it was. (Wherever they are:
                # Previous or a drag may have put another song among them.) A song they moved
                # is theirs as one queued is, as a new list keeps it: mixed into the list, it
                # could go to the end of a long one. Those they sent to the end (Move to end, a
                # drag below the last row) they asked to hear last: they stay last, mixed
                # among themselves, whatever Keep it going has added after them since.
                self._natural = self._queue.entries()
                mine = [e for e in self._natural if e.own and not e.sent_to_end]
                rest = [e for e in self._natural if not e.own]
                last = [e for e in self._natural if e.sent_to_end]
                # (the song cued, paused at a start, is the one playing: what follows it goes on)
                held = self._playing or self._cued
                now = held.entry if held is not None else None
                song = self._song_of(mine + rest + last + ([now] if now is not None else []), shared)
                work = self._work_of(works)
                mine = shuffled(mine, self._rng, song, after=now, work=work)
                rest = shuffled(rest, self._rng, song, after=(mine or [now])[-1], work=work)
                last = shuffled(last, self._rng, song, after=(mine + rest or [now])[-1], work=work)
                self._queue.replace(mine + rest + last)
            else:
                self._queue.order_like(self._natural)
                self._natural = []
            self._queue_changed()
        # In album mode shuffle decides the gain (see _source_for): the song opened ahead took
        # the one of the order before, and one still next after the shuffle would keep it.
        self.replaygain_changed(heard_now=False)

    @property
    def repeat(self) -> str:
        """"off"; "all": each track goes back to the end of the queue when it starts, so the
        list plays round and round; "one": the current track plays again until Next."""
        return self._repeat

    def set_repeat(self, mode: str) -> None:
        if mode not in REPEAT_MODES:
            raise ValueError(f"repeat must be one of {REPEAT_MODES}, not {mode!r}")
        if mode == self._repeat:
            return
        with self._lock:
            if self._repeat == "all":
                self._drop_next_round()
            self._repeat = mode
            self._repeat_copy = None
            if mode == "all" and self._playing is not None:
                self._requeue(self._playing.entry)
            self._armed = None          # what follows the current track changed
            self._arm_next()
        self._emit("queue_changed")

    def replaygain_changed(self, *, heard_now: bool = True) -> None:
        """The ReplayGain setting changed (mode, preamp, level of untagged tracks). The song
        playing, and one fading out under it, take the new gain at once (``heard_now``): the
        engine glides their level there in a few hundredths of a second, with no gap and no
        restart, as mpv and Quod Libet do; someone who turns the preamp up hears it. Off for a
        shuffle turned on or off in album mode: the song playing was started in its album's order
        and keeps its album's level to its end.

        The song opened ahead of time to follow this one (and those after it) took the gain of
        the setting before: it is set again with the new gain. A next song whose gain stays the
        same (no ReplayGain tags, or track and album gains alike) is left as it is: opened
        again, it is decoded twice, and set in the last moments of the song playing it could
        start late. One the output has reached already is left too, at its new gain: set
        again, it would be heard twice."""
        with self._lock:
            if heard_now:
                self._regain_held()
            armed = self._armed
            if armed is not None and isinstance(armed.token, QueueEntry):
                again = self._source_for(armed.token)
                if self.engine.current is armed or (again is not None and again.gain == armed.gain):
                    self._arm_next()        # (it stays: only the songs after it are told again)
                    return
            self._armed = None
            self._arm_next()

    def _regain_held(self) -> None:
        """Tell the engine the gain each song it holds plays at now (see replaygain_changed)."""
        for source in self.engine.held():
            if not isinstance(source.token, QueueEntry):
                continue
            row = self.store.track(source.token.track_id)
            if row is not None:
                self.engine.set_gain(source, self._gain_of(row, source.token))

    def _drop_next_round(self) -> None:
        """Repeat all turned off: the copies queued for the round after the one playing now
        go, so the list plays to its end once more and stops (the song playing is not heard
        again, nor the ones before it in this round); songs queued by hand stay."""
        now = self._playing.entry if self._playing is not None else (
            self._cued.entry if self._cued is not None else None)
        # The round is the song's now, unless that is a song put in by hand (Play next, a
        # track started from the library: round 0) or nothing plays: then the latest round
        # among the songs started over the last turn of the list says it.
        recent = self._history[max(self._list_from, len(self._history) - len(self._queue) - 1):]
        this_round = max([now.lap if now is not None else 0, *(e.lap for e in recent)])
        gone = self._queue.drop(lambda e: e.lap > this_round)
        # Nor does a removal from Up next bring them back: put back, the list played round
        # again after the repeat was turned off.
        self._narrow_taken(lambda e: e.lap <= this_round)
        if gone and self._natural:
            ids = {id(e) for e in gone}
            self._natural = [e for e in self._natural if id(e) not in ids]

    def _requeue(self, entry: QueueEntry) -> None:
        """Repeat all: a copy of ``entry`` goes to the end of the queue."""
        again = _lap(entry)
        self._queue.extend([again])
        self._lap_copies = [*self._lap_copies[-199:], (entry, again)]
        if self._shuffle:
            self._natural.append(again)
            if self._shuffle_albums:
                self._next_round_by_album(entry)

    def _next_round_by_album(self, entry: QueueEntry) -> None:
        """Shuffling by album with repeat all, ``entry`` (just started) the last of its round:
        the next round's albums go in a new random order, as a player shuffling albums deals
        them again each time round, and not the album playing first (it would play twice in a
        row). By what was read of their albums (see :meth:`_album_places_now`): the few tracks
        retagged or rescanned since are read again here, so an album merged, split or
        renumbered meanwhile is dealt as it is now; where many are unread (after a restart with
        a long Up next) the round plays as it was. Under the lock."""
        queue = self._queue.entries()
        copies = [e for e in queue if e.lap == entry.lap + 1]
        if not copies or any(e.lap <= entry.lap and not e.own for e in queue):
            return          # (the round goes on, or nothing of it comes round again)
        places = self._album_places_now()[1]
        unread = {e.track_id for e in copies if e.track_id not in places}
        if unread:
            if len(unread) > _ROUND_REREAD:
                return
            places = {**places, **self._read_album_places(unread)}
            if any(e.track_id not in places for e in copies):
                return          # (gone from the library)
        work = self._work_of({e.track_id: places[e.track_id] for e in copies if places[e.track_id]})
        if work is None:
            return          # (no album among them: the songs' order of the last round stays)
        out = shuffled(copies, self._rng, work=work)
        playing = work(entry)
        if playing is not None:
            lead = 0
            while lead < len(out) and work(out[lead]) is not None and work(out[lead])[0] == playing[0]:
                lead += 1
            out = out[lead:] + out[:lead]
        dealt = iter(out)
        self._queue.replace([next(dealt) if e.lap == entry.lap + 1 else e for e in queue])

    def once_round(self, entries, shown: int | None = None) -> list:
        """Of ``entries`` (Up next, as the window shows it after the track ``shown``): those that
        make up the list once round, for a playlist saved from it. Under repeat all, each song
        queues a copy of itself for the next round as it starts: saved, the song playing was
        in the playlist twice, first and last. A copy goes where the song it repeats is playing
        or still ahead in ``entries``; the copies of the songs heard before it this round stay,
        in their places, as the list goes on round. After a restart the copies' songs are not
        known: the last copy of the song shown goes (its own, queued as it started)."""
        # (read without the player's lock, which a long queue's change can hold a while: the
        # window asks, and must not wait; each of these is replaced whole, never changed in place)
        repeats = {id(c): e for e, c in self._lap_copies}
        held = self._playing or self._cued
        ahead = {id(e) for e in entries}
        if held is not None:
            ahead.add(id(held.entry))
        gone = {id(e) for e in entries if e.lap and id(repeats.get(id(e))) in ahead}
        if not gone and shown is not None:
            own = next((e for e in reversed(entries) if e.lap and e.track_id == shown and id(e) not in repeats), None)
            if own is not None:
                gone.add(id(own))
        return [e for e in entries if id(e) not in gone]

    def _drop_copies_of(self, entries) -> None:
        """Repeat all: the copies queued for the next round when ``entries`` started go (each
        queues another when it starts again)."""
        copies = [c for e, c in self._lap_copies if any(e is x for x in entries)]
        self._lap_copies = [(e, c) for e, c in self._lap_copies if not any(e is x for x in entries)]
        gone = [c for c in copies if self._queue.discard(c)]
        if gone and self._natural:
            ids = {id(c) for c in gone}
            self._natural = [e for e in self._natural if id(e) not in ids]

    @property
    def stop_after(self) -> bool:
        """Playback stops when the song playing now ends (see :meth:`set_stop_after`)."""
        return self._stop_after

    def set_stop_after(self, on: bool, *, ending: bool = False) -> None:
        """Stop when the song playing now ends: it plays to its end (a finished play), and
        Up next stays as it is, its first song waiting for Play. Nothing is armed after the
        song while this is on (what was armed is taken back, or the engine would go on into
        it without a gap); turned off again, the next song is armed again and follows
        without a gap. Once it has stopped the music it turns itself off, as it does when
        the music stops otherwise; Next, Previous or a song started by hand keep it on, for
        the song that plays then. With no song playing or cued it is not turned on.

        ``ending``: asked on the song named in its last moments, the song after it taken by
        the output and not heard yet (a gapless hand-over). The person asked to stop after
        the song they hear: the one taken does not play on. The music stops, that song goes
        back to the head of Up next, and its play (nothing of it heard) ends as stopped, no
        skip. Where it has been heard a while already (the word came late), it is the song
        playing, and the music stops after it as usual."""
        on = bool(on)
        with self._lock:
            playing, taken = self._playing, self._taken_ahead
            if (on and ending and playing is not None and taken is not None and taken[0] is playing.entry
                    and time.monotonic() < taken[1] + UNHEARD_GRACE_S and self._ended_alone):
                stopped_after = self._ended_alone[-1].track_id
                self._stop_before(playing)
                self._emit("stop_after_changed", on=False, stopped_after=stopped_after)
                self._emit("queue_changed")
                return
            asked = on
            if on and self._playing is None and self._cued is None and not self._handing_over:
                # No song to stop after (nothing played yet, stopped, Up next ran out): kept,
                # it stopped the next song started, whenever that was, unasked. Said off, so
                # that what shows it ticked (the menu, the sleep timer) unticks. (Between the
                # engine's "finished" and "started" of a gapless hand-over the music goes on:
                # it is for the song heard next, as when asked a moment before.)
                on = False
            if on != self._stop_after:
                self._stop_after = on
                self._arm_next()
            elif on == asked:
                return
        self._emit("stop_after_changed", on=on, stopped_after=None)

    def _stop_before(self, playing: _Playing) -> None:
        """Stop the music before ``playing``, taken by the output and not heard yet: the song
        before it, still heard, plays out what the output holds of it, and ``playing`` goes
        back to the head of Up next as if it had never begun. Under the lock."""
        entry = playing.entry
        queued = self._taken_ahead is not None and self._taken_ahead[2]
        self._taken_ahead = None
        self._cued = None
        self._ran_out = False
        # The music first: ending the play writes to the library, which another writer (a
        # scan, the learner) can hold for up to a second, and the song not to be heard
        # played on meanwhile.
        self.engine.stop()
        self._end_current("stopped", unheard=True)
        self._armed, self._armed_recent = None, []  # the engine drops them too
        # Not heard: no part of this session, and not the song Previous goes back to.
        if self._history and self._history[-1] is entry:
            self._history.pop()
            self._history_times.pop()
        if self._back and self._back[-1] is entry:
            self._back.pop()
        self._drop_copies_of([entry])       # (repeat all: its copy for the next round, queued as it began)
        if not queued:
            # Repeat one's next lap of the song just heard, never in Up next: Up next stays as
            # it is, as a stop asked earlier in the song leaves it.
            return
        self._queue.insert(0, [entry])
        if self._shuffle and not any(e is entry for e in self._natural):
            self._natural.insert(0, entry)

    def _clear_stop_after(self, stopped_after: int | None = None) -> None:
        """The music stopped (``stopped_after``: the track it was asked to stop after, at its
        end): stopping after the song is done with. Under the lock."""
        if not self._stop_after:
            return
        self._stop_after = False
        self._emit("stop_after_changed", on=False, stopped_after=stopped_after)

    def set_queue_filler(self, fn) -> None:
        """``fn(player) -> [(track_id, source), ...]``, asked on a worker thread when
        ``keep_going`` is on and fewer than 3 entries remain.

        A filler that takes a keyword ``replacing`` is also asked after each early skip,
        with ``replacing=n``: the ``n`` suggested entries now queued are to be re-ranked, so
        it should leave out only what the person queued by hand (``manual`` entries) and
        return at least ``n`` tracks; they take the suggestions' places in the queue.
        """
        try:
            self._filler_replaces = "replacing" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            self._filler_replaces = False
        self._filler = fn
        self._maybe_fill()

    # -- state -------------------------------------------------------------------
    @property
    def current_track_id(self) -> int | None:
        playing = self._playing
        return playing.entry.track_id if playing else None

    @property
    def state(self) -> PlaybackState:
        # No lock: the GUI thread asks (Space, MPRIS) while a command may hold it for
        # a database write or an engine stop that drains the device (up to ~1 s).
        if self._playing is None:  # read once, like current_track_id
            # Between the end of one play and the start of the next (the next file being
            # opened, its row written) there is no play: that is no stop. Read then, "stopped"
            # flickered in the window and told whoever waits for the end of the queue that it
            # had come, with the next song's play already logged.
            # So is the moment of a gapless hand-over, between the engine's "finished" for one
            # song and its "started" for the next: that "started" is always on its way, whatever
            # the engine's state. Its word comes late on a busy machine, and short songs may all
            # have played out by then: "stopped" read at the end of the first told whoever waits
            # for the end of the queue that it had come, the next songs' plays not logged yet.
            if self._changing or self._handing_over:
                return PlaybackState.PLAYING
            return PlaybackState.STOPPED
        state = self.engine.state
        # The engine stops at the end of the stream a moment before its
        # "finished" event reaches us; until then the play is still going.
        return PlaybackState.PLAYING if state is PlaybackState.STOPPED else state

    @property
    def cued(self) -> Cued | None:
        """The track left playing at the last close, waiting to be resumed (None once
        anything plays, or after stop)."""
        return self._cued if self._playing is None else None

    @property
    def position(self) -> float:
        playing = self._playing
        if playing is not None:
            return self._position_in(playing)
        cued = self._cued
        return cued.position if cued is not None else 0.0

    def _gone_past(self, playing: _Playing) -> bool:
        """The engine has played ``playing`` to its end (and stopped, or gone on into the next
        song) a moment before its event reaches the player: the song ended on its own."""
        return self.engine.current is not playing.source and bool(playing.source.heard_frames)

    def _position_in(self, playing: _Playing, *, resumes: bool = False) -> float:
        """Where ``playing`` is, as heard; ``resumes``: where Play goes on from (see
        ``Engine.resumes_at``)."""
        source = playing.source
        if self.engine.current is not source:
            if source.heard_frames:
                # The engine has gone past it (its end reached, or the next track heard) a
                # moment before its event reaches the player: it is at its end, not at 0.
                return _length_s(source)
            # Not the engine's song yet (a next track armed ahead, not reached): the
            # engine's place is still another song's, and the state saved in that
            # moment would resume this one there.
            return source.start_s
        position = self.engine.resumes_at if resumes else self.engine.position
        if not position and not source.heard_frames:
            return source.start_s      # a resumed track before its first frame
        return position

    @property
    def duration(self) -> float:
        playing = self._playing
        if playing is None:
            cued = self._cued
            return cued.duration if cued is not None else 0.0
        return _length_s(playing.source)

    @property
    def volume(self) -> float:
        """The person's volume (0-1): the sleep timer's fade lowers what the engine plays, not this."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        with self._volume_lock:
            self._volume = min(1.0, max(0.0, float(value)))
            self.engine.volume = self._volume * self._sleep_fade

    def set_sleep_fade(self, factor: float) -> None:
        """Play at ``factor`` (0-1) of the person's volume: the sleep timer's fade out. The
        volume the person set is kept as it was, for the morning."""
        with self._volume_lock:
            self._sleep_fade = min(1.0, max(0.0, float(factor)))
            self._asleep = False
            self.engine.volume = self._volume * self._sleep_fade

    def sleep(self) -> bool:
        """The sleep timer ran out: pause (Up next and the song's place stay for Play). The
        volume stays down until the music plays again: given back now, it rose while the
        pause's last milliseconds still sounded, a blip loud enough to wake the sleeper. The
        song cut here was not turned down: whatever ends it later (Next in the morning, Stop,
        another song), its play ends as stopped, never as a skip. False where nothing played."""
        with self._lock:
            playing = self._playing
            if playing is None or self.state is not PlaybackState.PLAYING:
                self.set_sleep_fade(1.0)
                return False
            playing.slept = True
            self._asleep = True
            self.pause()
            return True

    def _wake(self) -> None:
        """Music plays again after the sleep timer paused it: at the person's volume."""
        if self._asleep:
            self.set_sleep_fade(1.0)

    # -- commands -----------------------------------------------------------------
    def play_tracks(self, track_ids, start_index: int = 0, *, source: str = "library",
                    suggested: bool = False) -> None:
        """Replace the queue with ``track_ids[start_index + 1:]`` and play ``track_ids[start_index]``.

        ``suggested``: the queued tracks were picked by the recommender (a station's first
        batch), so skips may re-rank them; otherwise they count as queued by hand.
        """
        ids = [int(t) for t in track_ids]
        if not 0 <= start_index < len(ids):
            raise IndexError(f"start_index {start_index} outside {len(ids)} tracks")
        shared = self._read_copies(self._shuffle)
        works = self._read_works(self._shuffle, ids)
        with self._lock:    # one step: a track change in between cannot end up skipped
            self._failed_in_row = []    # the person's new list: its failures are counted afresh
            if source != "radio":
                self.station_seed = None
            self._set_queue(ids[start_index + 1:], source, suggested, ids[start_index], shared, works)
            self._start(QueueEntry(ids[start_index], source, True), ended="skipped", restart_stops=True,
                        picked=True)
        self._emit("queue_changed")

    def start_station(self, seed: int, track_ids, *, source: str = "radio", seed_source: str = "library",
                      ending: bool = False) -> None:
        """A station: ``seed`` plays, ``track_ids`` (the recommender's) are queued after it.

        The seed is the person's pick, logged with ``seed_source``; the queued tracks are
        suggestions (``source``), which skips may re-rank. A seed that is the track playing
        now (or paused, or cued) goes on from where it is: starting it again would end the
        play so far as a skip of the very song the person wants more of. Decided under the
        player's lock, so a track change at that moment cannot make the seed start again
        over the station's first track.

        ``ending``: the seed was asked for in its last moments, still heard, the output having
        taken the song after it (a gapless hand-over). It has played whole: it is not started
        again, and the station follows the song the output took. Only while the seed is the
        latest song to have ended on its own and another plays; else it starts as any seed.
        """
        seed = int(seed)
        track_ids = [int(t) for t in track_ids]
        shared = self._read_copies(self._shuffle)
        works = self._read_works(self._shuffle, [seed, *track_ids])
        with self._lock:
            self._failed_in_row = []
            self.station_seed = seed
            self._set_queue([t for t in track_ids if t not in self._left_out], source, True, seed,
                            shared, works)
            playing, cued = self._playing, self._cued
            if playing is not None and playing.entry.track_id == seed:
                if self._repeat == "all":
                    self._requeue(playing.entry)     # the copy queued when it started was replaced
                self._arm_next()
                if self.engine.state is PlaybackState.PAUSED:
                    self.engine.resume()
            elif playing is None and cued is not None and cued.entry.track_id == seed:
                self._resume_cued(cued, source=seed_source)
            elif ending and playing is not None and self._ended_alone and self._ended_alone[-1].track_id == seed:
                if self._repeat == "all":
                    # (in the round as a seed playing is: its copy went with the queue replaced)
                    self._requeue(self._ended_alone[-1])
                self._arm_next()        # (the queue is the station's now: what follows is)
            else:
                self._start(QueueEntry(seed, seed_source, True), ended="skipped", picked=True)
            playing = self._playing
            self._station_play = playing.play_id if playing is not None and playing.entry.track_id == seed else None
        self._emit("queue_changed")
        self._maybe_fill()

    def _set_queue(self, ids: list[int], source: str, suggested: bool, starting: int,
                   shared: dict[int, tuple[str, float | None]] | None = None,
                   works: dict[int, tuple[str, int | None]] | None = None) -> None:
        """The queue becomes ``ids`` after the songs the person queued by hand or moved in Up
        next, which stay first (as they are, shuffled or not): something new started replaces
        the list played before and the suggestions, not the person's own picks for next (as
        a player's own queue outlives the playlist or station started after it). One of them
        that is ``starting`` now goes (radio from it in Up next): kept, it would be heard twice.
        ``shared``: the copies to keep apart where shuffle is on (see :meth:`_read_copies`);
        ``works``: the movements to keep together (see :meth:`_read_works`)."""
        rest = [QueueEntry(t, source, not suggested) for t in ids]
        with self._lock:
            kept = [e for e in self._queue.entries() if e.own]
            same = next((e for e in kept if e.track_id == starting), None)
            kept = [e for e in kept if e is not same]
            # (those they sent to the end stay after the new list too: asked for last)
            last = [e for e in kept if e.sent_to_end]
            kept = [e for e in kept if not e.sent_to_end]
            if self._shuffle:
                # (they are mixed among themselves: the order they were queued in is kept for
                # shuffle off, as it was)
                queued = {id(e) for e in kept + last}
                natural = [e for e in self._natural if id(e) in queued]
                known = {id(e) for e in natural}
                natural += [e for e in kept + last if id(e) not in known]
                self._natural = ([e for e in natural if not e.sent_to_end] + rest
                                 + [e for e in natural if e.sent_to_end])
                before = kept[-1] if kept else QueueEntry(starting)
                rest = shuffled(rest, self._rng, self._song_of([*rest, before], shared), after=before,
                                work=self._work_of(works))
            self._queue.replace(kept + rest + last)
            self._queue_gen += 1
            self._list_from = len(self._history)     # where this list's rounds begin
            self._undo = []

    def play_track(self, track_id: int, *, source: str = "library") -> None:
        """Play one track now; the queue stays as it is."""
        with self._lock:
            self._failed_in_row = []
        self._start(QueueEntry(int(track_id), source, True), ended="skipped", restart_stops=True, picked=True)

    def play_now(self, track_ids, *, source: str = "library") -> None:
        """Play ``track_ids[0]`` now and the others after the songs queued by hand, before the
        rest of what was queued, which stays: files opened from the file manager or dropped on
        the window play at once without throwing away the person's Up next. The suggestions
        in it are ranked again after the song, as after an early skip. One step under the
        lock, so a song that ends meanwhile cannot start the second of them."""
        ids = [int(t) for t in track_ids]
        if not ids:
            return
        with self._lock:
            self._failed_in_row = []
            # The suggestions queued were ranked for the song before: the person's own pick
            # says more of what they want next than that song did, and kept, the queue went
            # on with the song before's neighbours after it.
            self._reshape_wanted = True
            rest = [QueueEntry(t, source, True) for t in ids[1:]]
            if rest:
                self._natural_after_hand_queued(rest)
                self._queue.insert(_after_own(self._queue.entries()), rest)
            self._start(QueueEntry(ids[0], source, True), ended="skipped", restart_stops=True, picked=True)
        self._emit("queue_changed")

    def _resume_cued(self, cued: Cued, *, source: str | None = None) -> None:
        """Start the cued track where it was left (``source``: logged with it, default its own).
        Its new play is judged by how far into the song the person gets by listening."""
        entry = cued.entry if source is None else QueueEntry(cued.entry.track_id, source, True)
        with self._lock:
            self._start(entry, ended="skipped", at=cued.position, reopen=cued.play_id)
            if self._playing is not None:
                playing = self._playing
                playing.resumed_ms = int(cued.heard_to * 1000)
                playing.credit_ms = int(cued.heard_before * 1000)
                playing.slept = cued.slept
                playing.restarted = cued.restarted
                if cued.to_end:     # moved to near its end before it played
                    playing.jumped = (playing.credit_ms, int(cued.position * 1000))

    def pause(self) -> None:
        self.engine.pause()
        if self.engine.state is PlaybackState.PAUSED:
            self._mark_pause(PlaybackState.PAUSED)    # (the engine's event says so a moment later)
            # Where it paused is saved now, not at the next progress tick: the computer shut
            # down or the player killed in between, it came back seconds before that place.
            self._save_state()

    def resume(self) -> None:
        self._wake()
        if self._playing is None:
            cued = self._cued
            if cued is not None:
                self._resume_cued(cued)
                return
            with self._lock:
                entry = self._queue.pop_front()
                if entry is not None:
                    self._start(entry, ended="skipped")
            if entry is not None:
                self._emit("queue_changed")
            return
        self.engine.resume()

    def toggle(self) -> None:
        if self.state is PlaybackState.PLAYING:
            self.pause()
        else:
            self.resume()

    def stop(self) -> None:
        with self._lock:
            # The song left last time, let go of with nothing playing: the engine, stopped
            # already, says nothing, and the window and desktop went on showing it waiting.
            let_go = self._playing is None and self._cued is not None
            self._cued = None
            self._ran_out = False       # stopped by the person: Keep it going starts nothing now
            self._end_current("stopped")
            self._armed, self._armed_recent = None, []  # the engine drops them too
            self.engine.stop()
            self._clear_stop_after()
        if let_go:
            self._emit("state_changed", state=PlaybackState.STOPPED, new_session=False)

    def next(self, entry: QueueEntry | None = None) -> None:
        """Skip to the next queued track (where there is none, stops, Keep it going playing what it
        finds; a song only waiting, nothing playing, stays where it is).

        ``entry``: the song the person saw playing when they pressed Next (as the
        ``track_started`` event named it). If that song has ended on its own meanwhile (it
        ran out, or failed, as they pressed), the Next was meant for a song already over:
        the one that began in its place is not skipped unheard, and nothing happens. One
        moved on from by the person (a Next pressed twice quickly) does not hold the next
        press back.
        """
        with self._lock:
            playing = self._playing
            if (entry is not None and (playing is None or playing.entry is not entry)
                    and any(entry is e for e in self._ended_alone)):
                return
            if entry is not None and playing is not None and playing.entry is entry and self._gone_past(playing):
                # Ended on its own just now, the engine's word of it on its way: the song the
                # engine went on into is heard already, and is not started again for it.
                return
            if playing is None and self._cued is not None and not len(self._queue):
                # A song waiting where it was left (from the last run, or an output that did not
                # start) with nothing after it: nothing to go to, and the window greys Next. A
                # desktop's Next let go of it unsaid: the window and the desktop went on showing
                # it, and Play started the library from its top instead of going on with it.
                return
            self._cued = None
            entry = self._queue.pop_front()
            if entry is None:
                # Keep it going goes on from the song moved on from, as where the last song ended
                # by itself: its ranking may still be under way (a small library mostly skipped, a
                # slow ranking), and what it finds plays. (Stopped, Next does nothing.)
                self._ran_out = playing is not None and self.keep_going and not self._stop_after
                self._end_current("skipped")
                self._armed, self._armed_recent = None, []  # the engine drops them too
                self.engine.stop()
                self._clear_stop_after()
            else:
                self._start(entry, ended="skipped")
        if entry is None:
            self._maybe_fill()
            return
        self._emit("queue_changed")

    def previous(self) -> bool:
        """Restart the track after 3 s; otherwise go back to the one before it. The track
        cued from the last run goes back to its start. True where it went back to the start
        of the same track: no song starts, and only a seek tells where it is now."""
        with self._lock:
            if self._playing is not None and self.engine.position > RESTART_THRESHOLD_S:
                self.seek(0.0)
                return True
            if self._playing is None and self._cued is not None:
                # Left where the last run stopped, with nothing before it in this run: Previous
                # takes it back to its start, as it would playing (Play starts it there).
                self.seek(0.0)
                return True
            back_stack = self._back
            at = len(back_stack)    # taken off only when there is a song to go back to: a
            # restart of the first song kept it there, and Previous after Next found nothing
            if self._playing is not None and at and back_stack[at - 1] is self._playing.entry:
                at -= 1  # the current track goes back to the queue, not behind us
            # The same song heard again and again just before (repeat one, or queued twice in a
            # row): going back is to the song before those, not to an earlier lap of this one.
            while self._playing is not None and at and back_stack[at - 1].track_id == self._playing.entry.track_id:
                at -= 1
            if not at:
                if self._playing is not None:
                    self.seek(0.0)      # nothing before it: a restart
                    return True
                return False
            back = back_stack[at - 1]
            del back_stack[at - 1:]  # pushed again when it starts
            if self._repeat == "all":
                # Both songs had a copy queued for the next round when they started, and each
                # queues one again when it starts next: kept, every Previous would add songs
                # to the round.
                self._drop_copies_of([back, *([self._playing.entry] if self._playing is not None else [])])
            if self._playing is not None:
                # (next now: sent to the end once, it was heard there; at the top it is not last)
                self._playing.entry.send_to_end(False)
                self._queue.insert(0, [self._playing.entry])
                if self._shuffle and not any(e is self._playing.entry for e in self._natural):
                    # Playing when shuffle went on, it has no place in the order added: it is
                    # next there too, not put last when shuffle goes off.
                    self._natural.insert(0, self._playing.entry)
            # The person goes back to hear it again: their own pick, whoever offered it
            # first (in the same round of repeat all). The current track waits at the front
            # of the queue, so it ends as stopped, not as a skip of it.
            self._start(QueueEntry(back.track_id, "library", True, back.lap), ended="stopped")
        self._emit("queue_changed")
        return False

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` into the current track (or move where a cued one will start)."""
        try:
            self._seek(seconds)
        finally:
            # Only once it has moved: waiting for the lock (a command under way), a tick
            # in between saved the place before the move and counted the move as the song
            # playing on, or found nothing to save and rested.
            self._place_unsaved = PLACE_SAVE_TICKS     # a move the person made is saved at the next tick
            self._nudged.set()

    def _seek(self, seconds: float) -> None:
        with self._lock:
            playing = self._playing
            if playing is not None:
                playing.moved_to(float(seconds), END_ZONE_S)
                playing.restarted = playing.restarted or float(seconds) <= RESUME_MARGIN_S
                # Only that track moves: one the engine has gone on to meanwhile stays put.
                self.engine.seek(seconds, playing.source)
                return
            cued = self._cued
            if cued is not None:
                end = cued.duration or float("inf")
                to = min(max(0.0, float(seconds)), end)
                self._cued = Cued(cued.entry, to, cued.duration, credit=min(cued.heard_to, to),
                                  heard=cued.heard_before,
                                  to_end=_to_end(to, cued.heard_to, cued.duration, END_ZONE_S),
                                  play_id=cued.play_id, slept=cued.slept,
                                  restarted=cued.restarted or to <= RESUME_MARGIN_S)

    def close(self) -> None:
        """Stop (the current play ends as 'stopped') and release the engine. The window's
        player first saves what it was playing, where, and what was queued."""
        if self._closed.is_set():
            return
        self._closing = True
        # A seek sent a moment ago (the slider let go, then the window closed) is where the
        # song is: the engine's position says so only once its feeder has taken the seek.
        # Not the open of a song that has not started (this is the GUI thread: a file on a
        # share that does not answer froze the window for the whole timeout); its position
        # reads where it is going meanwhile.
        try:
            self.engine.sync(1.0, opened=False)
        except Exception:
            log.exception("the engine did not answer before closing")
        # Another process holding the library (an import, a scan elsewhere) had each write here
        # wait out the store's 30 s on the GUI thread: Quit froze for a minute or more. Each
        # waits a moment; what the library refuses by then is kept in a file for the next start.
        with self._store_waits_at_most(CLOSE_WRITE_WAIT_MS):
            self._save_state(final=True)
            with self._lock:    # (a command under way finishes first: its play ends as stopped)
                self.stop()
                self._closed.set()
            self._nudged.set()
            self._ticker.join(5)
            self._give_left_to_copies()
            self._write_unsaved()
            if not self._write_passed():    # (a setting, not a play: the next session starts without it)
                log.warning("the suggestions passed over could not be saved as the player closed")
        self._keep_unsaved(closing=True)
        self.engine.close()
        self._owner.release()       # its last play is closed: nothing of it is left open

    # -- remembering across starts ----------------------------------------------------
    def restore_state(self) -> Cued | None:
        """Bring back the queue, Keep it going and the last track (cued at its position, not
        playing) as the last run left them, and save them from now on (while playing, on
        every change and at close). The window's player does this; ``segue play`` does not,
        so a terminal play never replaces the window's queue. Tracks no longer in the
        library are left out; nothing is restored over something already playing or queued.
        """
        saved = self.store.get_setting(STATE_SETTING)
        self._remember = True
        if not isinstance(saved, dict):
            return None
        # One part unreadable is left out (and said), the rest comes back; an entry left out
        # keeps its place for the order and the count below, which go by places.
        queue = saved.get("queue") or []
        queue = [_saved_entry(q) for q in queue] if isinstance(queue, list) else [None]
        current = _saved_current(saved["current"]) if saved.get("current") else None
        left_out = None in queue or (current is None and bool(saved.get("current")))
        if left_out:
            log.warning("the saved playback state is partly unreadable: %d of the queue's entries%s left out",
                        queue.count(None), " and the last track" if current is None and saved.get("current") else "")
        # (saved as booleans: another value, "false" among them, is off)
        keep_going = on(saved.get("keep_going"))
        repeat = saved.get("repeat") if saved.get("repeat") in REPEAT_MODES else "off"
        shuffle = on(saved.get("shuffle"))
        shuffle_albums = on(saved.get("shuffle_albums"))
        try:
            order = [int(i) for i in saved.get("order") or []] if shuffle else []
        except UNREADABLE:
            order = []
        try:
            played_next = max(0, int(saved.get("next") or 0))
        except UNREADABLE:
            played_next = 0
        try:        # (a station unreadable ends; the queue is fine without it)
            station = row_id(saved["station"]) if saved.get("station") is not None else None
        except UNREADABLE:
            station = None
        try:        # (saved before it was: its seed's latest play in the session is taken instead)
            station_play = row_id(saved["station_play"]) if saved.get("station_play") is not None else None
        except UNREADABLE:
            station_play = None
        try:
            playable = self._playable({q[0] for q in queue if q is not None} | ({current[0]} if current else set())
                                      | ({station} if station is not None else set()))
        except Exception:
            # (a library that refuses the reading, busy or its disk away: nothing is saved in
            # this run, or the next save wrote the empty queue over the one not read)
            self._remember = False
            raise
        at_place = [QueueEntry(playable[q[0]][0], *q[1:4], placed=q[4], sent_to_end=q[5])
                    if q is not None and q[0] in playable else None for q in queue]
        entries = [e for e in at_place if e is not None]
        # Shuffled, the order they were added in; a state saved without it (or with it
        # damaged) takes the shuffled order for it, as the queue itself is fine.
        natural = list({id(e): e for e in (at_place[i] for i in order if 0 <= i < len(at_place))
                        if e is not None}.values())
        with self._lock:
            if self._playing is not None or len(self._queue) or self._cued is not None:
                return None
            self._queue.replace(entries)
            self._played_next = [e for e in at_place[:played_next] if e is not None]
            self.keep_going = keep_going
            self._repeat, self._shuffle, self._shuffle_albums = repeat, shuffle, shuffle_albums
            # (a station from a song no longer in the library ends: it has nothing to go by)
            self.station_seed = playable[station][0] if station in playable else None
            self._station_play = station_play if self.station_seed is not None else None
            self.station_lost = station if station is not None and station not in playable else None
            ordered = {id(e) for e in natural}
            self._natural = natural + [e for e in entries if id(e) not in ordered] if shuffle else []
            if current is not None and current[0] in playable:
                live, duration = playable[current[0]]
                duration = float(duration or 0.0)
                position = min(max(0.0, current[3]), duration) if duration else max(0.0, current[3])
                self._cued = Cued(QueueEntry(live, current[1], current[2], current[8]), position, duration,
                                  credit=max(0.0, current[4]),
                                  heard=None if current[5] is None else max(0.0, current[5]),
                                  play_id=current[6], to_end=current[7], slept=on(saved.get("slept")))
            # (a station ended here is saved ended at once: taken for saved, the store went on
            # naming it until something else changed, and each start ended it, and said so, again;
            # a part left out goes at the next save, not said again at every start)
            self._saved_state = self._state() if self.station_lost is None and not left_out else None
            cued = self._cued
        if self.station_lost is not None:
            self._save_state()
        if cued is not None and RESUME_MARGIN_S < cued.position < cued.duration - RESUME_MARGIN_S \
                and cued.duration >= RESUME_LONGER_THAN_S:
            # A long track left playing is also left there when another is played first (the
            # last run may have been killed before its play ended and kept its place).
            self._set_place(cued.entry.track_id, cued.position)
        self._emit("queue_changed")
        return self._cued

    def _playable(self, track_ids) -> dict[int, tuple[int, float | None]]:
        """``track_id -> (track, duration)`` of the given tracks still in the library and
        readable. A track a scan merged into another is that other one (the last run may
        have been closed or killed while a scan merged what it had queued)."""
        out = {}
        for t in track_ids:
            row = self.store.track(t)
            if row is None:
                live = self.store.live_track_id(t)
                row = self.store.track(live) if live is not None else None
            if row is not None and not row["missing"] and not row["last_error"]:
                out[t] = (row["id"], row["duration"])
        return out

    def _state(self) -> dict:
        playing, cued = self._playing, self._cued
        if playing is not None:
            # Paused, where the sound stops (the output plays out what it took first), which is
            # where Play goes on: saved as it is pressed, a kill before the next tick went back
            # up to the output's latency (0.7 s at 0.5 s).
            e = playing.entry
            position = self._position_in(playing, resumes=self.engine.state is PlaybackState.PAUSED)
            # How far into it the person got by listening (less, when they jumped ahead).
            credit = min(position, playing.reached_ms() / 1000)
            # A jump to near the end (``jumped``) is one still when resumed there: judged by
            # what was heard before it and from there to the end, as in this run.
            current = [e.track_id, e.source, e.manual, round(position, 1), round(credit, 1),
                       round(playing.covered_ms() / 1000, 1), playing.play_id, playing.jumped is not None, e.lap]
            if playing.forgotten:   # begun before the forget: cued again at the next start, with no place
                current[3:8] = [0.0, 0.0, 0.0, None, False]
        elif cued is not None and cued.forgotten:
            current = [cued.entry.track_id, cued.entry.source, cued.entry.manual, 0.0, 0.0, 0.0, None, False,
                       cued.entry.lap]
        elif cued is not None:
            current = [cued.entry.track_id, cued.entry.source, cued.entry.manual, round(cued.position, 1),
                       round(cued.heard_to, 1), round(cued.heard_before, 1), cued.play_id, cued.to_end,
                       cued.entry.lap]
        else:
            current = None
        entries = self._queue.entries()[:MAX_SAVED_QUEUE]
        queue = [[e.track_id, e.source, e.manual, *([e.lap, e.placed, True] if e.sent_to_end else [e.lap, True]
                                                     if e.placed else [e.lap] if e.lap else [])]
                 for e in entries]
        state = {"queue": queue, "keep_going": bool(self.keep_going), "current": current,
                 "shuffle": self._shuffle, "repeat": self._repeat}
        if self._shuffle_albums:
            state["shuffle_albums"] = True
        if (playing.slept if playing is not None else cued is not None and cued.slept):
            state["slept"] = True
        if self.station_seed is not None:
            state["station"] = self.station_seed
            if self._station_play is not None:
                state["station_play"] = self._station_play
        # How many of the first entries Play next put there: after a restart, the next song
        # played next still goes after them.
        run = {id(e) for e in self._played_next}
        played_next = next((i for i, e in enumerate(entries) if id(e) not in run), len(entries))
        if played_next:
            state["next"] = played_next
        if self._shuffle:
            # The order the entries were added in (as places in ``queue``), which turning
            # shuffle off brings back after a restart too.
            at = {id(e): i for i, e in enumerate(entries)}
            state["order"] = [at[id(e)] for e in self._natural if id(e) in at]
        return state

    def _save_state(self, *, final: bool = False, tick: bool = False) -> bool:
        """Write the state if it changed since the last write (a busy database only logs);
        ``final``: the last write (closing), nothing is saved after it. ``tick``: the progress
        thread's save, which leaves a place that alone moved on as the song plays until
        ``PLACE_SAVE_TICKS`` ticks have passed since it was last saved. True where it wrote."""
        with self._state_lock:
            if not self._remember:
                return False
            if final:
                self._remember = False
            state = self._state()
            if state == self._saved_state:
                return False
            # Only while the song plays on: paused by its output going away (which saves
            # nothing itself), the place is written at the next tick, or the thread would
            # rest with it unsaved, up to 10 s before where the song stopped.
            if (tick and self.engine.state is PlaybackState.PLAYING and _only_moved(state, self._saved_state)
                    and self._place_unsaved < PLACE_SAVE_TICKS - 1):
                self._place_unsaved += 1
                return False
            try:
                # Called on the GUI thread for a change (Pause, a station ended): another process
                # holding the library froze the window for the store's 30 s. Refused by then, the
                # progress thread tries it again at its next tick.
                with self._store_waits_at_most(self._write_wait_ms):
                    self.store.set_setting(STATE_SETTING, state)
                self._saved_state = state
                self._place_unsaved = 0
            except Exception:  # a busy, full or closed database must not stop playback
                # Every queue change tries again; a full disk would fill the log with the
                # same traceback, so it is written once, and the recovery once.
                if not self._state_save_failing:
                    log.exception("could not save the playback state (retried at every change; "
                                  "said again only once it works)")
                self._state_save_failing = True
                return False
            if self._state_save_failing:
                log.warning("the playback state is saved again")
                self._state_save_failing = False
            return True

    # -- internals ----------------------------------------------------------------
    def _follow(self, entry: QueueEntry) -> int | None:
        """The track ``entry`` names now. A scan that is still running may have merged its
        row into another (a moved file's new row into its old track): the entry, and all
        this run holds of that row, follow it at once, not only when the scan ends, so the
        song plays and its play is logged against the track that keeps its history."""
        live = self.store.live_track_id(entry.track_id)
        if live is not None and live != entry.track_id:
            self.renumber({entry.track_id: live})
            entry.renumber(live)       # one being started may be in none of the lists yet
        return live

    def _gain_of(self, row, entry: QueueEntry) -> float:
        """The ReplayGain factor ``entry`` (a queue entry of the track ``row``) plays at now."""
        mode = self.store.get_setting(RG_SETTING, "track")
        if mode == "album" and ((self._shuffle and not self._shuffle_albums) or entry.source in SUGGESTED_SOURCES
                                or (entry.track_id == self.station_seed and entry.source != "queue")):
            # An album's own levels are kept where the album is heard in its order (shuffled by
            # album too, each album played through, as foobar2000 keeps them). Shuffled, or
            # a station's and Keep it going's songs from anywhere, one song follows another of
            # another album: each at its own track gain, or a quiet album's song came 6 dB or
            # more below a loud one's (foobar2000's "by playback order", Quod Libet's automatic).
            # A station's seed is the first song of that mix, at the level of the rest; queued
            # by hand again (its album put in Up next while the station goes on), it is one of
            # the songs queued, heard among them at their level.
            mode = "track"
        levels = {"preamp_db": self.store.get_setting(PREAMP_SETTING, 0.0),
                  "untagged_db": self.store.get_setting(UNTAGGED_SETTING, 0.0)}
        try:
            gain = replaygain_factor(row, mode, **levels)
        except ValueError:
            gain = replaygain_factor(row, "track", **levels)
        return gain

    def _source_for(self, entry: QueueEntry, *, picked: bool = False, after: Source | None = None) -> Source | None:
        """What the engine plays for ``entry``. ``picked``: the person chose this track itself;
        ``after``: the track it comes after (see :meth:`_goes_on`)."""
        row = self.store.track(entry.track_id)
        if row is None and self._follow(entry) is not None:
            row = self.store.track(entry.track_id)
        if row is None:
            return None
        gain = self._gain_of(row, entry)
        path = audio_path(row)
        # Its folder renamed since the last scan (which follows such a move, keeping the
        # track's history): the file is found beside it as the engine opens it, else the
        # songs after those opened ahead of a renamed album all failed as "file not found"
        # until a scan. The row moves at the scan. Only within its library folder: that one
        # gone is a disk not connected, said as such.
        # A length the scan only estimated (a Shorten file listed first, counted after) is not
        # given as the file's: the crossfade began where an estimate short of it ended, and cut
        # the rest off. Unknown, the song plays to its end and the next follows without a fade.
        # It is shown, and the play judged, by the estimate meanwhile (see _length_s).
        estimated = row["mtime_ns"] == ESTIMATED_MTIME
        hint = None if estimated else row["duration"]
        source = Source(path, gain=gain, token=entry, duration_hint=hint,
                        estimate_s=row["duration"] if estimated else None,
                        album_place=album_place(row), begin_s=row["cue_start_s"] or 0.0, end_s=row["cue_end_s"],
                        find_moved=functools.partial(self._moved_to, entry.track_id, path, row["size"],
                                                     row["mtime_ns"], self.store.folder_path(row["folder_id"]),
                                                     row["ctime_ns"]))
        # A book's chapter goes on where it was left however it came (Keep it going after the
        # chapter before it, the book played through): the book is heard as one, its place
        # kept, as Apple Books and Audible keep it; from its start, the minutes already heard
        # were read again and the place kept moved back to them.
        if self._goes_on(entry, picked, after, source) or is_book(track_bucket(row["genre"], row["path"])):
            source.start_s = self._left_at(entry, row)
        return source

    def _moved_to(self, track_id: int, path: str, size: int | None, mtime_ns: int | None,
                  root: str | None, mark: int | None = None) -> tuple[str, bool] | None:
        """Where the file of ``track_id``, gone from ``path`` as the engine opens it, is now
        (asked from the engine's thread). A scan by another process (``segue scan`` in a
        terminal) may have moved its track to the file's new place, or given it to a copy made
        before, since its source was made: the song was "file not found" and skipped, though
        the library knew where it was. Else its folder may have been renamed, with no scan yet.
        With the path, whether the library gave the track to that file (the folder's look only
        finds a file like it: see Decoder._follow_move)."""
        live = self.store.live_track_id(track_id)
        row = self.store.track(live) if live is not None else None
        if live is not None and live != track_id:
            # That scan merged the track into another after the start looked (see _begin): the
            # player follows it as it follows one given to its copy here (``_taken_over``).
            self._taken_over[track_id] = live
            self._nudged.set()
        if row is not None and not row["missing"] and audio_path(row) != path and os.path.isfile(audio_path(row)):
            return audio_path(row), True
        if row is not None and row["missing"]:
            copy = self._copy_taking_over(live)
            if copy is not None:
                return copy, True
        moved = moved_with_its_folder(path, size, mtime_ns, root, mark)
        return None if moved is None else (moved, False)

    def _copy_taking_over(self, track_id: int) -> str | None:
        """The file of the copy that takes over the missing track ``track_id``, if it has one.
        The scan that saw its file go gives a track's history to a copy of its file, but
        this one had none yet: its play is logged as its output starts, just after the file
        is opened, and a scan in between left it missing and the song "file not found". It
        plays from the copy, and the track goes to the copy, as the scan would have done
        with the play seen (a play logged already goes with it).
        Asked from the engine's threads, this only reads: the merge waits for the library's
        write lock, up to the store's 30 s while a scan or an import writes, and the feeder's
        thread asks here too (at a seek in a file ffmpeg decodes, started afresh by name),
        where a wait is the output run dry and no Pause or Next obeyed; a file's open waited
        for longer than the feeder gives it (OPEN_WAIT_S) was the song given up, its disk said
        not to answer. The progress thread gives the track to its copy (see _give_to_copy)."""
        copy = copy_of_missing(self.store, track_id)
        if copy is None or not os.path.isfile(audio_path(copy)):
            return None
        self._to_give[track_id] = copy["id"]
        self._nudged.set()
        return audio_path(copy)

    def _give_to_copy(self, track_id: int, copy_id: int) -> bool:
        """Give the missing track ``track_id`` to its copy ``copy_id`` (see _copy_taking_over),
        on the progress thread; whether it was. The copy is looked for again and the track
        given to it in one write transaction: another process (a scan that found the file
        back, the disk reconnected) changing the library between a look and the merge had a
        track whose file is there merged away, for good."""
        with self.store.transaction():
            copy = copy_of_missing(self.store, track_id)
            if copy is None or copy["id"] != copy_id or not os.path.isfile(audio_path(copy)):
                return False
            self.store.merge_duplicate(track_id, copy_id)
        log.info("track %s went missing as it was opened: it plays from its copy %r", track_id, copy["path"])
        return True

    @property
    def progress_interval_s(self) -> float:
        """How often the plays still kept are tried again (and a play's progress written)."""
        return self._interval

    @property
    def _write_wait_ms(self) -> int:
        """How long a write for a click, or of the plays kept, waits for a library another
        process holds: a moment (``BEGIN_WRITE_WAIT_MS``); closing, as long as the close's own
        writes (the state refused then is not saved at all)."""
        if not self._closing:
            return BEGIN_WRITE_WAIT_MS
        # Once one write at close is refused as busy, the rest go to the kept file at once: each
        # waiting its own second, Quit took 3 s and more with the window still on screen.
        return 0 if self._held_at_close else CLOSE_WRITE_WAIT_MS

    @contextlib.contextmanager
    def _store_waits_at_most(self, wait_ms: int):
        """Within it, this thread's writes wait at most ``wait_ms`` for a library another
        process holds (its connection's own wait is put back after). A connection that cannot
        be asked (the library closed or broken) is left as it is: the writes within say so."""
        try:
            conn = self.store.conn
            (was,) = conn.execute("PRAGMA busy_timeout").fetchone()
            conn.execute(f"PRAGMA busy_timeout = {min(int(was), int(wait_ms))}")
        except sqlite3.Error:
            yield
            return
        try:
            yield
        except sqlite3.Error as exc:
            self._note_refused(exc)
            raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(was)}")

    def _note_refused(self, exc: sqlite3.Error) -> None:
        """A write refused with ``exc``: at close, one refused as busy spares the writes after it
        their wait (see ``_write_wait_ms``)."""
        if self._closing and library_busy(exc):
            self._held_at_close = True

    def _read_kept(self) -> tuple[list[dict], dict[int, list]] | None:
        """Take the plays and places a player before this one kept in a file (the library
        refused them; it closed, or was killed) to be written as the store takes them, before
        any of this run; what was taken (None: nothing), taken out of it once written (see
        ``_keep_unsaved``)."""
        plays, places = kept_plays.read(self._kept_file)
        # A player running now (the window, beside this ``segue play``) keeps there what the
        # library refuses it as it plays: its own to write, taken here they were written twice.
        folder = owners_folder(self.store.path)
        plays = [p for p in plays if not p.get("owner") or not owner_alive(folder, p["owner"])]
        # So with its places, owned as its plays are (``_keep_unsaved``): taken, this player
        # wrote a place that one had moved on from since, over the one it wrote itself.
        places = {t: v for t, v in places.items() if len(v) < 4 or not v[3] or not owner_alive(folder, v[3])}
        if not plays and not places:
            return None
        kept, odd_plays, odd_places = [], [], {}
        for p in plays:
            try:
                kept.append(_kept_play(p))
            except UNREADABLE:
                log.error("a play kept at the last close is unreadable, left out: %r", p)
                odd_plays.append(p)
        taken = {}
        for track_id, place in places.items():
            try:       # [where, when, the forget known then(, owner)]
                taken[row_id(track_id)] = (_maybe_time(place[0]), finite(place[1]), _maybe_time(place[2]))
            except UNREADABLE:
                log.error("a place kept at the last close is unreadable, left out: %r", place)
                odd_places[track_id] = place
        if odd_plays or odd_places:
            # (taken, they go from the file as it is next written: set aside first, to be read
            # by hand; where they cannot be, left in it, not taken)
            try:
                kept_plays.set_aside(self._kept_file, odd_plays, odd_places)
            except OSError as exc:
                log.error("the unreadable ones are left in %s (%s)", self._kept_file, exc)
                odd = {id(p) for p in odd_plays}
                plays = [p for p in plays if id(p) not in odd]
                places = {t: v for t, v in places.items() if t not in odd_places}
        with self._unsaved_lock:
            self._unsaved[:0] = kept
            for track_id, place in taken.items():
                self._unsaved_places.setdefault(track_id, place)
        log.info("%d plays kept at the last close are written once the library takes them", len(kept))
        return plays, places

    def _kept_entry(self, kept: _Unsaved) -> dict:
        """What the kept file holds of ``kept``: the play still playing as a kill now would
        leave it, stopped with what was heard so far (as the next start closes a play a kill
        left open in the library), its end replaced by the real one as it comes."""
        entry = {f: getattr(kept, f) for f in _KEPT_FIELDS}
        entry["ended"] = list(kept.ended) if kept.ended is not None else None
        entry["owner"] = self._owner.token
        playing = self._playing
        if kept.ended is None and playing is not None and playing.unsaved is kept:
            entry["ended"] = ["stopped", int(playing.source.heard_s * 1000), None, None, self._clock()]
        return entry

    def _keep_unsaved(self, *, closing: bool = False) -> None:
        """See ``_keep_in_file``; while playing, whether the file could be written is told with
        the plays kept (where it cannot, quitting loses them: the window says so)."""
        self._keep_in_file(closing=closing)
        if not closing:
            self._tell_unsaved()

    def _keep_in_file(self, *, closing: bool = False) -> None:
        """Keep what the library still refuses in the file beside it, for the next start: as
        soon as a play, its end or a place is refused, and again as that changes (killed, or
        the battery dead, while another process held the library, the plays kept only in
        memory until the close were lost). A full disk refuses the file too: tried again at
        the next change or tick; at ``closing``, lost, and said so. The file is tried whatever
        the library said last: a "disk is full" from earlier (a place refused then) kept it
        from being tried when the library was only busy now, and lost what it held."""
        with self._kept_lock:
            with self._unsaved_lock:
                plays = [self._kept_entry(k) for k in self._unsaved]
                places = {t: [*v, self._owner.token] for t, v in self._unsaved_places.items()}
            if (plays, places) != self._kept_mine:
                try:
                    # (at the close a moment's wait where Windows refuses the file, as the
                    # close's writes wait a moment for the library: a refusal then loses the
                    # plays; while playing none, the GUI thread never waits: tried at the next tick)
                    kept_plays.replace(self._kept_file, *self._kept_mine, plays, places,
                                       busy_wait_s=CLOSE_WRITE_WAIT_MS / 1000 if closing else 0.0)
                except OSError as exc:
                    if not closing:
                        # (tried at every tick while plays wait: a full disk said so once, not every two seconds)
                        if not self._kept_failing:
                            log.error("could not keep the plays the library refused in %s (kept in memory, "
                                      "tried again at every tick: %s)", self._kept_file, exc)
                        self._kept_failing = True
                        return
                    if plays:
                        log.error("%d %s could not be saved: the library's disk is full or cannot be written "
                                  "(lost with this close: %s)", len(plays), "play" if len(plays) == 1 else "plays",
                                  exc)
                    if places:
                        log.error("where %d long %s left could not be saved (lost with this close)",
                                  len(places), "track was" if len(places) == 1 else "tracks were")
                    return
                self._kept_mine = (plays, places)
                if self._kept_failing:
                    log.info("the plays the library refused are kept in %s again", self._kept_file)
                self._kept_failing = False
        if closing and (plays or places):
            log.warning("the library is busy or cannot be written: %d %s and %d %s kept in %s, written at "
                        "the next start", len(plays), "play" if len(plays) == 1 else "plays", len(places),
                        "place" if len(places) == 1 else "places", self._kept_file)

    def _give_left_to_copies(self) -> None:
        """At close: give the tracks still waiting for the progress thread's next tick to their
        copies (see _copy_taking_over). Left, the play just logged stayed on a missing track, the
        copy shown as never played, until a scan gave it. (A library busy past the store's wait
        leaves them to that scan, which gives a missing track's plays to its copy.)"""
        if not self._to_give:
            return
        with self._store_waits_at_most(min(CLOSE_GIVE_WAIT_MS, self._write_wait_ms)):
            while self._to_give:
                gone, copy = self._to_give.popitem()
                try:
                    self._give_to_copy(gone, copy)
                except sqlite3.Error as exc:
                    log.warning("track %s could not be given to its copy before closing (%s): "
                                "the next scan gives it its plays", gone, exc)
                    return

    def _follow_taken_over(self) -> None:
        """Give the tracks opened from their copies to them, and follow those given (see
        ``_taken_over``)."""
        while self._to_give:
            gone, copy = self._to_give.popitem()
            try:
                if self._give_to_copy(gone, copy):
                    # Its play may be logged already, on the track now gone: the song playing, Up
                    # next and the history follow it, else the window, the media keys and "never
                    # suggest" named a track that is no more for as long as it played.
                    self._taken_over[gone] = copy
                elif (live := self.store.live_track_id(gone)) not in (None, gone):
                    self._taken_over[gone] = live       # (given to it by a scan meanwhile)
            except sqlite3.Error as exc:   # (the library busy: tried again at the next tick)
                # Another process may hold the library for long (a scan, an import): each tick
                # waits out the store's wait and fails alike, and a traceback every 30 s said
                # nothing more than the first. One line, until the track is given.
                if gone not in self._giving_failed:
                    self._giving_failed.add(gone)
                    log.warning("could not give track %s to its copy yet: the library is busy or cannot be "
                                "written (%s); tried again at every tick", gone, exc)
                self._to_give.setdefault(gone, copy)
                self._nudged.set()
                break
            self._giving_failed.discard(gone)
        taken = {}
        while self._taken_over:
            gone, copy = self._taken_over.popitem()
            taken[gone] = copy
        if taken:
            self.renumber(taken)
            # (the window follows too: what it shows of the song playing, and its library)
            self._emit("tracks_followed", renumbered=taken)

    def _end_current(self, ended: str, error: str | None = None, *, handing_over: bool = False,
                     unheard: bool = False) -> None:
        """End the play of the current track as ``ended``; ``handing_over``: the engine goes on
        with the next track without a gap (see ``state``); ``unheard``: taken by the output and
        stopped before it was heard (the window never named it)."""
        playing = self._playing
        self._handing_over = handing_over
        if playing is None:
            return
        if ended == "skipped" and self._gone_past(playing):
            # Moved on from (a station, another song) as the engine played it out, before
            # its "finished" reached the player: it was heard to its end, no skip of it.
            ended = "finished"
        if ended == "finished" and playing.source.replaced:
            # Another song was copied over its file as it played: it ended there, unheard to
            # its end, and the person did not move on from it either. What was heard is logged.
            ended = "stopped"
        if ended in ("finished", "error"):      # ran out or failed, not moved on from
            self._ended_alone = [*self._ended_alone[-4:], playing.entry]
        # (stopped before it was heard: what the engine counts of it is still in the output's hands)
        heard = 0 if unheard else playing.logged_heard_ms()
        # Where it was left, read now: the writes below may wait a moment for a busy library,
        # the song playing on meanwhile (a place read after them was past where Next was pressed).
        left_at = self._position_in(playing)
        if ended != "error" and playing.source.heard_s > 0:
            self._failed_in_row = []    # a song was heard: the failures before it were not in a row with those after
        track_s = _length_s(playing.source)

        def short(ms: int) -> bool:
            # The store's early-skip rule (segue_common.listening), decided here too so the
            # queue can react before the next track has to be chosen.
            return ms < (early_skip_limit_ms(track_s * 1000) if track_s > 0 else EARLY_SKIP_MS)

        # Jumped to near its end with less than half of it (or four minutes) heard by the time it ran out:
        # the person moved on from it (the engine ran it out). Not under repeat-one, where
        # the end leads to the same song again; and a move to a point further from the end
        # is to hear the rest.
        if (ended == "finished" and playing.jumped is not None and self._repeat != "one"
                and playing.heard_to_end_ms(int(track_s * 1000))
                < min(EARLY_SKIP_FRACTION * track_s * 1000, EARLY_SKIP_CAP_MS)):
            ended = "skipped"
        # A play resumed where the last run left it is judged by how far into the song the
        # person got: moving on near its end is no early skip, though little was heard in
        # this run. The row then ends as stopped (its part was heard in the run before).
        reached = playing.reached_ms()
        if ended == "skipped" and short(heard) and not short(reached):
            ended = "stopped"
        # Moving on from a song heard whole just before (leaving repeat-one, or the same
        # song queued twice) is no rejection of it: the play ends as stopped, as a restart
        # does.
        if ended == "skipped" and short(heard) and self._last_finished == playing.entry.track_id:
            ended = "stopped"
        # Cut by the sleep timer: the person was asleep, not turning it down.
        if ended == "skipped" and playing.slept:
            ended = "stopped"
        self._last_finished = playing.entry.track_id if ended == "finished" else None
        early = ended == "skipped" and short(heard) and not playing.forgotten
        said = 0
        if playing.forgotten:
            pass        # begun before the history was forgotten: it says nothing (see ``_forget_session``)
        elif early:
            self._early_skips.append(playing.entry.track_id)
            self._early_skip_plays.append(playing.entry)
            self._streak += 1
            self._reshape_wanted = True
            said = -1
        elif ended == "finished" or (ended in ("skipped", "stopped") and not short(reached)):
            self._streak = 0     # listened to: the run of skips is over
            said = 1
        # The decoder's length is the file's; the library's came from the tags, which only
        # estimate some files (a VBR MP3 without a Xing header, by its first frame's bit
        # rate: minutes off). The play is judged by the decoder's, so it is logged with it.
        # (The library keeps the tags' length: a rescan compares lengths read from tags, and
        # one length of each kind would make a retag look like other audio.)
        decoded, listed = playing.source.duration, playing.source.duration_hint
        track_ms = None
        if ended != "error" and decoded and (not listed or abs(decoded - listed) > DURATION_TOLERANCE_S):
            track_ms = int(decoded * 1000)
        row_ended, row_error = ended, error
        if ended == "error" and playing.reopened:
            # Gone on with from the last run, and failing now (the file was damaged since):
            # what was heard before the close stands as it was; only this sitting failed.
            row_ended, row_error = "stopped", None
        ending = (row_ended, heard, row_error, track_ms, self._clock())
        counted_as = (row_ended, heard)
        with self._unsaved_lock:
            if playing.unsaved is not None:     # not written yet: it is written whole, ended
                # (what it said first: ``ends_kept``, read without the lock, takes an end as it finds it)
                playing.unsaved.said, playing.unsaved.ended = said, ending
                if playing.unsaved.reopen is not None:   # (to go on in the last run's row: as it will be written)
                    counted_as = ("stopped" if ended == "error" else row_ended, heard + playing.kept_ms)
            play_id, kept = playing.play_id, playing.unsaved is not None
            if early and kept:
                self._skip_kept = playing.unsaved
        refused = False     # the library refused the end just now: the place is kept without waiting again
        if not kept and play_id is not None:    # (None: a play the forgotten history took)
            written = False
            try:
                # A skip or Next runs on the GUI thread: another process holding the library froze
                # the window for the store's 30 s. Refused by then, the end is kept with its play
                # and written by the progress thread, after the plays before it.
                if not self._unsaved:   # (else plays before it wait to be written: its end comes after theirs)
                    with self._store_waits_at_most(self._write_wait_ms):
                        self.store.end_play(play_id, row_ended, heard, error=row_error, track_ms=track_ms,
                                            now=ending[4])
                    written = True
            except sqlite3.Error as exc:  # a locked, full or broken database must not stop the music
                with self._unsaved_lock:
                    self._refused_by(exc)
                refused = True
                log.exception("could not record the end of play %s (kept, written once the library "
                              "takes writes again)", play_id)
            if not written:
                with self._unsaved_lock:
                    self._unsaved.append(_Unsaved(playing.entry.track_id, playing.entry.source, None, ending[4],
                                                  play_id=play_id, ended=ending, said=said))
                    if early:
                        self._skip_kept = self._unsaved[-1]
                self._tell_unsaved()
        if kept or refused or (play_id is not None and self._unsaved):
            self._keep_unsaved()    # its end, in the kept file at once (a kill while the library is busy)
        if ended != "error":
            self._keep_place(playing, ended, left_at, write=not refused)
        if self._history and self._history[-1] is playing.entry:
            self._history_times[-1][1] = self._clock()
        # Cleared after the row is closed: state and current_track_id read _playing
        # without the lock, and whoever sees "stopped" must find the play ended.
        self._playing = None
        # ``counted``: its row, as it ended, counts as a play (it counted as one while it played).
        self._emit("track_ended", track_id=playing.entry.track_id, play_id=playing.play_id, ended=ended,
                   early_skip=early, reopened=playing.reopened, unheard=unheard,
                   counted=bool(counts_as_play(*counted_as)))

    def _keep_place(self, playing: _Playing, ended: str, at: float, *, write: bool = True) -> None:
        """Remember that a long track was left ``at`` seconds in, to go on from there when it is
        played again (see ``RESUME_LONGER_THAN_S``); finished, left near its end, or restarted
        by the person and left near its start, forget it; only begun and left near its start,
        keep the place from before. ``write``: False keeps it to write
        later (see ``_set_place``)."""
        track_s = _length_s(playing.source)
        # (long by the library's length, short by the file's: re-encoded since; its place goes)
        listed_long = (playing.source.duration_hint or playing.source.estimate_s or 0.0) >= RESUME_LONGER_THAN_S
        if track_s < RESUME_LONGER_THAN_S and not listed_long:
            return
        # Only begun as it came next in a list (not resumed: see ``_goes_on``) and passed over
        # within its first minute, it says nothing of where the person is in it: the place from
        # before stays, and a book left at 4:12:00 was not sent back to its start. Sent back to
        # its start by the person (Previous, the seek bar, asked for again while playing), it
        # was restarted on purpose, as a book is begun again: the place goes, as a player that
        # keeps where a book was left would keep 0:30 after half a minute of its start.
        if ended != "finished" and not playing.forgotten and not playing.restarted and at <= RESUME_MARGIN_S:
            return
        # Begun before the history was forgotten, its place would say what was listened to
        # then (as its play would, which is gone): it is not kept, as every place was not.
        self._set_place(playing.entry.track_id,
                        at if ended != "finished" and not playing.forgotten and track_s >= RESUME_LONGER_THAN_S
                        and RESUME_MARGIN_S < at < track_s - RESUME_MARGIN_S else None, write=write)

    def _set_place(self, track_id: int, at: float | None, *, write: bool = True) -> None:
        """Remember that ``track_id`` was left ``at`` seconds in (None: forget where). Refused
        (a full disk, a library another process holds), it is kept in ``_unsaved_places`` until
        the store takes it: the place still holding there was an earlier one, or one heard to
        the end since. ``write``: False keeps it so at once (the library refused the play's end
        a moment ago: on the GUI thread, a second wait for it doubled the freeze of a skip)."""
        now = self._clock()
        forgotten = self._last_forget() if at is not None else None
        with self._unsaved_lock:
            refused = None if write else self._unsaved_why
            if write:
                try:
                    # (as a play's end: on the GUI thread for a skip, kept where a busy library refuses it)
                    with self._store_waits_at_most(self._write_wait_ms):
                        if at is not None:
                            self.store.set_resume_position(track_id, at, now=now)
                        else:
                            self.store.forget_resume_position(track_id)
                    self._unsaved_places.pop(track_id, None)
                except sqlite3.Error as exc:  # a locked, full or broken database must not stop the music
                    refused = str(exc)
                    self._refused_by(exc)
                    if track_id not in self._unsaved_places:
                        log.exception("could not remember where track %s was left (kept, written once the "
                                      "library takes writes again)", track_id)
            if refused is not None:
                if write is False and track_id not in self._unsaved_places:
                    log.warning("where track %s was left is kept, written once the library takes writes "
                                "again (%s)", track_id, refused)
                self._unsaved_places[track_id] = (at, now, forgotten)
        # Said as the plays kept are: a place refused alone (its play written) was said nowhere
        # but the log, and quitting lost it.
        self._tell_unsaved()
        if refused is not None:
            self._keep_unsaved()

    @staticmethod
    def _goes_on(entry: QueueEntry, picked: bool, after: Source | None, source: Source) -> bool:
        """Whether a long track goes on where it was left: only where the person chose it on
        its own (clicked, or queued by hand in Up next). One that comes next in a list played
        through (an album's 23-minute side, a movement, a live jam; a playlist; the next round
        of repeat all), or after the track before it on its album (the album added to Up
        next), is heard in order from its start, and without a gap from the track before."""
        if picked:
            return True
        return entry.hand_queued and not (after is not None and follows_on(after, source))

    def _left_at(self, entry: QueueEntry, row) -> float:
        """Where a long track played again starts: where it was left, else 0. Not the song
        playing now (under repeat one it comes round from its start)."""
        duration = row["duration"] or 0.0
        if duration < RESUME_LONGER_THAN_S or (self._playing is not None
                                               and self._playing.entry.track_id == entry.track_id):
            return 0.0
        with self._unsaved_lock:
            kept = self._unsaved_places.get(entry.track_id)
        try:
            at = kept[0] if kept is not None else self.store.resume_position(entry.track_id)
        except sqlite3.Error:
            log.exception("could not read where track %s was left", entry.track_id)
            return 0.0
        return at if at is not None and RESUME_MARGIN_S < at < duration - RESUME_MARGIN_S else 0.0

    def _begin(self, entry: QueueEntry, source: Source, *, reopen: int | None = None,
               heard_at: float | None = None, heard_before: float | None = None) -> None:
        """Log the start of ``entry`` (now audible, or about to be); ``reopen``: the play of
        the last run that this one goes on with (its row, if it is still there). ``heard_at``:
        when (``time.monotonic()``) its first frame is heard, where that is still to come (the
        output took it and plays it a latency later): what is shown of it waits till then.
        ``heard_before``: the seconds the saved state says ``reopen`` was heard for."""
        hint = source.duration_hint or source.estimate_s
        track_ms = int(hint * 1000) if hint else None
        play_id, logged = None, None
        now = self._clock()
        forgotten = self._last_forget()     # (before the write: a forget after it takes the play)
        # Forgotten since the session began (by the window, whose own word may come later, or
        # by another process): this play begins the session anew, not after the plays forgotten.
        self._forget_session(forgotten)
        try:
            # Run on the GUI thread (a click): another process holding the library (an import, a
            # scan elsewhere) froze the window for the store's 30 s. Refused by then, the play
            # is kept and written by the progress thread as the library takes writes again.
            with self._store_waits_at_most(self._write_wait_ms):
                # Armed before a merge, heard after it: the entry may name a row gone since.
                self._follow(entry)
                if self._unsaved:
                    pass    # plays before it wait to be written: it is written after them, never before
                elif reopen is not None:
                    self._close_interrupted()
                    logged = self.store.resume_play(reopen, entry.track_id, source=entry.source,
                                                    owner=self._owner.token, now=now)
                if logged is not None:
                    play_id = reopen
                elif not self._unsaved:
                    play_id = self.store.start_play(entry.track_id, source=entry.source, track_ms=track_ms,
                                                    owner=self._owner.token, now=now)
        except sqlite3.Error as exc:  # played anyway; its play is kept until the store takes it
            with self._unsaved_lock:
                self._refused_by(exc)
            log.exception("could not record the start of track %s (kept, written once the library "
                          "takes writes again)", entry.track_id)
            play_id = None
        at_ms = int(source.start_s * 1000)
        reopened = play_id is not None and logged is not None
        if reopened:        # one play heard in two sittings: in the session once, where it goes on
            self._carried = [c for c in self._carried if c[1] != play_id]
        self._playing = _Playing(entry, play_id, source, resumed_ms=at_ms, credit_ms=at_ms,
                                 logged_ms=int(logged) if reopened else 0, reopened=reopened)
        if play_id is None:
            self._playing.unsaved = _Unsaved(entry.track_id, entry.source, track_ms, now, reopen=reopen,
                                             forgotten_known=forgotten)
            if reopen is not None:
                # (it goes on in the old row once written: told as a new play, the window counted
                # the song twice, that row read at the start and this play)
                self._playing.kept_ms = int(max(0.0, heard_before or 0.0) * 1000)
                logged, reopened = self._playing.kept_ms, True
            with self._unsaved_lock:
                self._unsaved.append(self._playing.unsaved)
            self._tell_unsaved()
            self._keep_unsaved()    # (a kill while the library is busy keeps it)
        if self._repeat == "all":
            self._requeue(entry)
        if entry.hand_queued:
            self._drop_list_copy(entry)
        self._history.append(entry)
        self._history_times.append([now, None])
        self._back = [*self._back[-199:], entry]
        # ``at``: where it started (a long track where it was left, the song left playing at
        # the last close where it was), 0 from its start. ``resumed_at``: the same for a long
        # track only (a song goes on at the last close's place as the seek bar showed it).
        long = (source.duration_hint or source.estimate_s or 0.0) >= RESUME_LONGER_THAN_S
        # ``reopened``: the play goes on in the last run's row (or will, kept); ``was_counted``: that
        # row, stopped, counted as a play already (not where nothing of it had been heard).
        self._emit("track_started", track_id=entry.track_id, play_id=play_id, source=entry.source, entry=entry,
                   at=source.start_s, resumed_at=source.start_s if long else 0.0, reopened=reopened,
                   was_counted=reopened and bool(counts_as_play("stopped", logged)), heard_at=heard_at)

    def _drop_list_copy(self, entry: QueueEntry) -> None:
        """A song queued by hand that is the song the list played (an album, a playlist, a
        station, the suggestions) goes on with next, begun: the list goes on after it, as
        it would have, not with that song again. (A copy for the next round of repeat all
        is not the list going on: the round is the person's, song for song.)"""
        following = self._list_copy(entry)
        if following is not None and self._queue.discard(following):
            if self._natural:
                self._natural = [e for e in self._natural if e is not following]

    def _list_copy(self, entry: QueueEntry) -> QueueEntry | None:
        """The list's own entry that :meth:`_drop_list_copy` takes out as ``entry`` begins, if any.
        The first entry that is not the person's own: one they moved (``placed``) is theirs as a
        song queued by hand is, and where the list goes on is after those. A copy they dragged
        just after their song is a second hearing they set up, not the list's turn to drop."""
        following = next((e for e in self._queue.entries() if not e.own), None)
        if following is not None and not following.lap and following.track_id == entry.track_id:
            return following
        return None

    def _start(self, entry: QueueEntry, *, ended: str, at: float | None = None, restart_stops: bool = False,
               reopen: int | None = None, picked: bool = False) -> None:
        """Play ``entry`` now, ending the current play as ``ended``. ``restart_stops``: the
        person asked for this song while it was playing (a restart, not a rejection of it):
        the current play then ends as stopped, and the song starts again from its start.
        ``at``: where it starts (default: its start, or where a long track was left).
        ``reopen``: see :meth:`_begin`. ``picked``: the person chose this track (see :meth:`_goes_on`)."""
        with self._lock:
            if self._closed.is_set():
                # A command on its way as the window closed (Next, then the window closed at
                # once): no play begins, or it would be logged as a song skipped unheard.
                return
            self._ran_out = False
            self._wake()
            cued, self._cued = self._cued, None
            playing = self._playing
            after = playing.source if playing is not None else None
            restarted = False
            if restart_stops and playing is not None and playing.entry.track_id == entry.track_id:
                ended = "stopped"
                at = 0.0
                restarted = True
            self._changing += 1
            failed = None
            try:
                self._end_current(ended)
                source = self._source_for(entry, picked=picked, after=after)
                if source is None:
                    source = Source(f"<missing track {entry.track_id}>", token=entry)
                if at is not None:
                    source.start_s = at
                self._armed, self._armed_recent = None, []  # the engine drops them too
                # Cued while the output starts, as it waits should the output not start: the
                # state saved meanwhile (the progress tick, the window's close) holds the song,
                # taken from the queue already, where the open of a sound server that does not
                # answer takes seconds; saved with none, a quit then lost it from the next start.
                kept = cued if reopen is not None and cued is not None else None
                self._cued = kept if kept is not None else Cued(entry, source.start_s, _length_s(source))
                # The output is started before the play is logged: where it cannot start (its
                # device gone, PortAudio refusing), nothing was heard, and a play logged first
                # stood in the history (as an error of a good file) and the window and the
                # media keys said the song was playing. (Its events wait for the lock held here.)
                try:
                    self.engine.play(source)
                except Exception as exc:  # no output open, a device that refuses: never a skip
                    failed = exc
                else:
                    if self.engine.state is PlaybackState.PAUSED:
                        # The sound card engine does not raise: it keeps the song paused at its
                        # start and says the output is lost itself. Begun, its play was logged
                        # unheard, and moving on from it logged an early skip of a song never heard.
                        failed = _OutputWaiting("the audio output did not start")
                    else:
                        self._cued = None
                        self._begin(entry, source, reopen=reopen, heard_before=kept.heard if kept else None)
                        if restarted and self._playing is not None:
                            self._playing.restarted = True
            finally:
                self._changing -= 1
            if failed is not None:
                self._play_failed(entry, source, failed, cued=kept)
                return
            self._arm_next()
        self._maybe_fill()

    def _play_failed(self, entry: QueueEntry, source: Source, exc: Exception, *, cued: Cued | None) -> None:
        """The engine could not start ``source`` (``exc``): no play of it was logged, and the
        song waits, cued where it was to start, for Play to try the output again (as a song
        whose device goes away as it plays waits paused). ``cued``: the song cued before, whose
        place and play of the last run this start went on with; kept as it was."""
        message = str(exc) or type(exc).__name__
        log.warning("cannot start track %s: %s", entry.track_id, message, extra={"console": False})
        try:
            self.engine.stop()
        except Exception:
            log.exception("could not stop the engine after a failed start")
        self._cued = cued if cued is not None else Cued(entry, source.start_s, _length_s(source))
        if isinstance(exc, _OutputWaiting):
            pass        # (the engine has said so)
        elif isinstance(exc, AudioEngineError):   # the output, not the song: said as a lost output
            self._emit("device_lost", message=message)
        else:
            self._emit("error", track_id=entry.track_id, message=message, path=source.path)

    def _arm_next(self) -> None:
        """Tell the engine what follows the current track (so it buffers it ahead)."""
        if self._playing is None:
            return
        if self._stop_after:
            # The song playing is the last: the engine goes on into whatever is armed without
            # a gap, so what was armed is taken back (the engine keeps one already heard).
            if self._armed is not None:
                self._armed = None
                self.engine.set_next(None)
            self._tell_following([])
            return
        head, following = self._upcoming(self._playing.entry, self._queue.entries())
        if self._armed is not None and head is not None and self._armed.token is head:
            self._tell_following(following)
            return
        self._armed = self._source_for(head, after=self._playing.source) if head is not None else None
        if head is not None and self._armed is None:
            self._armed = Source(f"<missing track {head.track_id}>", token=head)
        if self._armed is not None and self._armed.start_s > 0:
            # A long track going on where it was left: the engine goes on into the next track
            # from its start, so it is not told of this one. When the song playing ends, the
            # player starts it where it was left (the armed track the engine did not take).
            self.engine.set_next(None)
            self._tell_following([])
            return
        if self._armed is not None:
            self._armed_recent = [*self._armed_recent[-4:], self._armed]
        self.engine.set_next(self._armed)
        self._tell_following(following if self._armed is not None else [])

    def _upcoming(self, playing: QueueEntry, entries: list[QueueEntry]) -> tuple[QueueEntry | None, list[QueueEntry]]:
        """The entry to arm after ``playing`` and the few after it, of the queue's ``entries``."""
        if self._repeat == "one":
            if self._repeat_copy is None or self._repeat_copy[0] is not playing:
                self._repeat_copy = (playing, _lap(playing))
            return self._repeat_copy[1], []
        return (entries[0] if entries else None), entries[1:1 + FOLLOWING]

    def _arm_ahead(self, source: Source) -> None:
        """The engine has gone on into ``source`` without a gap: arm what follows it at once,
        before its play (and the end of the one before) is logged and the listeners are told.
        A slow disk or a busy window held that answer up, and a song of a few seconds (an
        album's interlude) could be written to where its fade begins, or to its end, before the
        engine knew what came next: a fade cut short, or a gap inside a gapless album. What
        logging the play does to the queue is foreseen here; whatever a listener changes after
        is armed again by :meth:`_arm_next`. A failure here leaves the arming to that call: the
        play is logged all the same."""
        entry = source.token
        if (self._armed is not None and self._armed is not source) or self._stop_after:
            return      # one armed already goes on after it; stopping after it, nothing follows
        try:
            copy = self._list_copy(entry) if entry.hand_queued else None
            head, following = self._upcoming(entry, [e for e in self._queue.entries()
                                                     if e is not entry and e is not copy])
            # (none queued: under repeat all the copy of this song queued as it is logged is next)
            armed = self._source_for(head, after=source) if head is not None else None
            if armed is None or armed.start_s > 0:
                return      # a missing file, or a long track going on where it was left: as before
            self._armed_recent = [*self._armed_recent[-4:], armed]
            self._armed = armed
            try:
                self.engine.set_next(armed)
            except Exception:
                self._armed = None
                raise
            self._tell_following(following)
        except Exception:
            log.exception("could not arm the track after track %s ahead of its play log", entry.track_id)

    def _tell_following(self, entries: list[QueueEntry]) -> None:
        """Tell the engine which songs come after the one armed. It arms each only once the one
        before it is heard; a song shorter than the time it takes to open the one after it (a
        clip of a fraction of a second before a song ffmpeg decodes) would run the output dry
        without these opened ahead of time (it opens only as many as that needs)."""
        sources, after = [], self._armed
        for e in entries:
            after = self._source_for(e, after=after)
            sources.append(after)
        self.engine.set_following([s for s in sources if s is not None])

    def _on_engine(self, event: str, data: dict) -> None:
        if event == "state":
            # ``new_session``: resumed after a pause of the session gap or more, the play
            # went on in the session of now (a reader of the play log reads it again).
            new_session = self._mark_pause(data["state"])
            self._emit("state_changed", state=data["state"] if self._playing else PlaybackState.STOPPED,
                       new_session=new_session)
            return
        if event == "device_lost":
            with self._lock:    # (said once a start under way is through: the song it cued is shown)
                self._emit("device_lost", message=data["message"])
            return
        if event == "heard_at":
            # The song taken ahead of its sound is first heard at another time than told (the
            # output switched meanwhile): what is shown of it waits till then instead.
            with self._lock:
                playing = self._playing
                if playing is not None and data.get("source") is playing.source:
                    if self._taken_ahead is not None and self._taken_ahead[0] is playing.entry:
                        self._taken_ahead = (playing.entry, data["heard_at"], self._taken_ahead[2])
                    self._emit("heard_at", track_id=playing.entry.track_id, play_id=playing.play_id,
                               heard_at=data["heard_at"])
            return
        with self._lock:
            self._handing_over = False      # whatever the engine says next, the hand-over is over
            src = data.get("source")
            playing = self._playing
            if event == "finished" and playing is not None and src is playing.source:
                armed = self._armed
                lap = self._repeat_copy is not None and armed is not None and armed.token is self._repeat_copy[1]
                # (the song armed too late for the engine is started below: its end is no stop
                # either, read by a listener of it; the word of it came late on a busy machine)
                goes_on = bool(data.get("last") and not self._stop_after and armed is not None
                               and (lap or any(e is armed.token for e in self._queue.entries())))
                self._changing += goes_on
                try:
                    self._end_current("finished", handing_over=not data.get("last"))
                finally:
                    self._changing -= goes_on
                armed = self._armed
                lap = self._repeat_copy is not None and armed is not None and armed.token is self._repeat_copy[1]
                if data.get("last") and self._stop_after:
                    # Asked to stop after this song: the engine has stopped, and what is
                    # queued stays for Play. No run-out: Keep it going neither refills nor
                    # starts anything now.
                    self._armed, self._armed_recent = None, []
                    self._ran_out = False
                    self._clear_stop_after(stopped_after=playing.entry.track_id)
                elif data.get("last") and armed is not None and (lap or self._queue.discard(armed.token)):
                    # Armed after the engine had ended its stream (a station started or a
                    # song added in the last moments of this one): the engine dropped it.
                    # Only while it is still queued: Next or a removal may have taken it.
                    self._start(armed.token, ended="finished")
                    self._emit("queue_changed")
                else:
                    # The engine stopped with nothing taken after it: the queue ran out
                    # (keep_going may refill it). Gone on into a song armed before, it plays
                    # that one, whatever the queue holds now (cleared, its head taken out as
                    # the song began): its "started" comes next, and a refill landing before
                    # it must not start a suggestion over the song heard.
                    # (Asked to stop after it too late, the engine has gone on into the song
                    # armed before: that one plays, and is the song to stop after.)
                    self._ran_out = bool(data.get("last"))
            elif (event == "started" and playing is not None and src is playing.source
                  and playing.resumed_ms and not src.start_s):
                # Where it was left lies past the file's end (re-encoded shorter since the
                # scan): the engine began it from its start, and so does its play.
                playing.resumed_ms = playing.credit_ms = 0
                self._emit("started_over", track_id=playing.entry.track_id, play_id=playing.play_id)
            elif (event == "started" and (playing is None or src is not playing.source)
                  and any(src is s for s in self._armed_recent)):
                # Gapless hand-over: the armed next track is heard now.
                self._armed_recent = [s for s in self._armed_recent if s is not src]
                self._changing += 1
                try:
                    self._arm_ahead(src)
                    self._end_current("finished")
                    queued = self._queue.discard(src.token)
                    # A track armed since (queued as this one became audible) is what the
                    # engine plays after it: it stays armed. Armed again as a new source, it
                    # would be heard twice where this one is short enough for the engine to
                    # have begun it already.
                    if self._armed is src:
                        self._armed = None
                    self._begin(src.token, src, heard_at=data.get("heard_at"))
                    heard_at = data.get("heard_at")
                    self._taken_ahead = (src.token, heard_at, queued) if heard_at is not None else None
                finally:
                    self._changing -= 1
                self._arm_next()
                self._emit("queue_changed")
            elif event == "error" and playing is not None and src is playing.source:
                self._on_error(data["message"])
        self._maybe_fill()

    def _on_error(self, message: str) -> None:
        track_id, path = self._playing.entry.track_id, self._playing.source.path
        # (to the log file only: whoever listens says it, a terminal's `segue play` named it twice)
        log.warning("cannot play track %s: %s", track_id, message, extra={"console": False})
        self._end_current("error", error=message)
        self._emit("error", track_id=track_id, message=message, path=path)
        failed = self._failed_in_row
        failed.append(track_id)
        # Too many songs in a row could not be played (a share gone, a folder of damaged
        # files): the player gives up, with what is queued kept for when the person has
        # looked. The songs Keep it going adds count too: a station of songs that fail does
        # not go on failing. Their next play counts afresh. Under repeat all, a list whose
        # every song failed since the last one heard would only fail again: one damaged
        # song on repeat is not tried five times (a list with the same song twice goes on
        # to its other songs).
        head = self._queue.peek()
        went_round = self._repeat == "all" and head is not None and all(
            e.track_id in failed for e in self._queue.entries())
        gave_up = len(failed) >= MAX_CONSECUTIVE_ERRORS or went_round
        # Paused (its file still opening as the person paused, then its disk pulled): the
        # person asked for silence. Going on, the next song started playing by itself, and the
        # songs of that disk after it failed one after another, emptying Up next. The music
        # stays stopped with Up next as it was, the song's error said; Play goes on from there.
        # (the player's own mark, not the engine's state: the engine has stopped at the end of
        # its stream by the time its word of the error is handled here)
        paused = self._paused_at is not None
        if head is not None and not gave_up and not self._stop_after and not paused:
            self._start(self._queue.pop_front(), ended="skipped")
            self._emit("queue_changed")
        else:
            # Given up, asked to stop after this song, paused, or nothing left: where Up next
            # ran out on a song that failed, as on one that ended, Keep it going goes on.
            if gave_up:
                self._failed_in_row = []
            self._ran_out = not gave_up and self._queue.peek() is None and not self._stop_after and not paused
            self._armed, self._armed_recent = None, []  # the engine drops them too
            self.engine.stop()
            self._clear_stop_after()
            if gave_up:
                self._emit("gave_up", errors=len(failed), songs=len(set(failed)), went_round=went_round)

    def _maybe_fill(self) -> None:
        if not self.keep_going or self._filler is None:
            return
        # Called from the player, engine-event and filler threads: check and set at once,
        # under a small lock of its own so the GUI thread never waits on a slow command.
        with self._fill_lock:
            if self._filling:
                return  # the running filler looks again when it is done
            idle = self._playing is None and not self._ran_out
            # Stopped by the person: don't start guessing. A song cued (left playing at the last
            # close) with suggestions after it that were ranked from a history just forgotten
            # has them ranked anew at once, as a song playing has: kept, Up next went on showing
            # the forgotten history's picks until play started, and changed under the person then.
            if idle and not (self._reshape_wanted and self._cued is not None):
                return
            gen = self._queue_gen     # read before the queue: a newer one drops the fill
            suggested = sum(not e.manual for e in self._queue.entries())
            replacing = suggested if (self._reshape_wanted and self._filler_replaces) else 0
            self._reshape_wanted = False
            if not replacing and (idle or len(self._queue) >= FILL_BELOW):
                return
            self._filling = True
        threading.Thread(target=self._fill, args=(replacing, gen), name="queue-filler", daemon=True).start()

    def _fill(self, replacing: int, gen: int) -> None:
        """Ask the filler for more (``replacing``: to re-rank that many suggestions) for the
        queue as it was at generation ``gen``."""
        entries: list[QueueEntry] = []
        changed = stale = False
        try:
            with self._lock:
                started = len(self._history)
                passed_before = self.passed_over
            got = self._filler(self, replacing=replacing) if replacing else self._filler(self)
            entries = [QueueEntry(int(t), s, False) for t, s in got]
            with self._lock:
                # The filler read what is left out when it began: a track left out since
                # (while it ranked) had no entry yet for leave_out to take away.
                # So is a suggestion taken out of the queue meanwhile (the ones taken out
                # before came back only where nothing else was left to offer).
                passed = self.passed_over - passed_before
                entries = [e for e in entries if e.track_id not in self._left_out and e.track_id not in passed]
                if self._queue_gen != gen:
                    # The queue was replaced while the filler ran (a new list, a station):
                    # what it picked followed the old one.
                    stale = True
                elif entries and replacing:
                    # Whatever started while the filler ran (it may have been one of the
                    # suggestions it was re-ranking) is not queued again.
                    now = {e.track_id for e in self._history[max(started - 1, 0):]}
                    fresh = [e for e in entries if e.track_id not in now]
                    changed = bool(fresh) and self._queue.replace_suggestions(fresh)
                    if changed and self._shuffle:
                        self._natural_refilled(fresh)
                elif entries:
                    self._queue.extend(entries)
                    changed = True
                    if self._shuffle:
                        self._natural.extend(entries)
        except Exception:
            log.exception("the queue filler failed")
        finally:
            # Only now: a filler started before the extend would pick the same tracks again.
            with self._fill_lock:
                self._filling = False
        if not changed:
            if self._reshape_wanted or stale:
                self._maybe_fill()   # an early skip came while it ran, or a new queue may be short
            return
        with self._lock:  # the playing/ran-out state may have changed while the filler ran
            if self._playing is None and self._ran_out and not self._closed.is_set():
                entry = self._queue.pop_front()
                if entry is not None:
                    self._start(entry, ended="skipped")
        self._queue_changed()

    @property
    def unsaved_plays(self) -> int:
        """How many plays wait to be written (the store refused them: its disk is full)."""
        return len(self._unsaved)

    @property
    def ends_kept(self) -> list[tuple[int, int, object]]:
        """The plays whose ends wait to be written (the library busy, or its disk full), oldest
        first, as ``(track id, what the end said, the play kept)``: -1 an early skip, 1 heard, 0
        neither. The play log does not hold them yet, and Up next, which reads the session's skips
        from it, reshapes with them at once, as a station does with :attr:`session_skips`. The
        play kept has the ``play_id`` its row was written with (None before): the library may
        take the end after this is read and before the log is read again. (Read without the
        lock, which a write holds as long as the library makes it wait.)"""
        return [(kept.track_id, kept.said, kept) for kept in list(self._unsaved) if kept.ended is not None]

    def unsaved_starts(self) -> dict[int, int]:
        """``track id -> how many`` of the plays kept that the library holds no row of yet (a
        row gone on with from the last run, or a play that failed, counts no play). Read
        without the lock, which a write holds as long as the library makes it wait: the
        window asks it, and never waits."""
        found: dict[int, int] = {}
        for kept in list(self._unsaved):
            if kept.play_id is None and kept.reopen is None and not (kept.ended and kept.ended[0] == "error"):
                found[kept.track_id] = found.get(kept.track_id, 0) + 1
        return found

    @property
    def unsaved_places(self) -> int:
        """How many long tracks' places (where they were left) wait to be written."""
        return len(self._unsaved_places)

    @property
    def unsaved_kind(self) -> str:
        """What kind of refusal the library last gave a play or place kept: "busy", "full",
        "read-only", "disk" or "other" (see ``failures.refusal``); "" before any."""
        return self._unsaved_kind

    @property
    def unsaved_why(self) -> str:
        """What the library said as it last refused a play or place kept ("" before any)."""
        return self._unsaved_why

    @property
    def unsaved_kept_aside(self) -> bool:
        """Whether the file beside the library holds what is kept (quitting leaves it there, for
        the next start): not where that file could not be written at the last try."""
        return not self._kept_failing

    def _refused_by(self, exc: sqlite3.Error) -> None:
        """The library refused a play or a place with ``exc``: kept, and said why. Called with
        ``_unsaved_lock`` held: refused on two threads at once (a skip, the progress thread's
        try), the words of one went out with the kind of the other."""
        self._unsaved_why, self._unsaved_kind = str(exc), refusal(exc)

    def _tell_unsaved(self) -> None:
        """Tell the listeners how many plays and places wait to be written, why, and whether the
        file beside the library holds them, when any of that changed (read and compared under
        the lock, told outside it)."""
        with self._unsaved_lock:
            told = (len(self._unsaved), len(self._unsaved_places), self._unsaved_kind, not self._kept_failing)
            if told == self._unsaved_told:
                return
            self._unsaved_told, why = told, self._unsaved_why
        self._emit("plays_unsaved", count=told[0], places=told[1], why=why, kind=told[2], kept=told[3])

    def _close_interrupted(self, *, at_start: bool = False) -> None:
        """Close the plays a crash left open, where the player's start could not (a full
        disk): as soon as there is room, not at the next start. The song left playing by the
        kill goes on with its play only once that play is closed (see ``store.resume_play``);
        still open, it began a second play of the song, and the part heard before the kill
        counted twice."""
        if not self._crash_left_open:
            return
        try:
            n = self.store.close_interrupted_plays()
        except sqlite3.Error as exc:
            self._note_refused(exc)
            # A full disk: the player still plays (and keeps its own plays until there is
            # room); the plays a crash left open stay so until then.
            if at_start:
                log.exception("could not close the plays left open by an earlier crash (closed once there is room)")
            return
        self._crash_left_open = False
        if n:
            log.info("closed %d plays left open by an earlier crash", n)

    def _last_forget(self) -> float | None:
        """When the history was last forgotten, as the store has it now (None where it cannot
        be read): kept with what the store refused, so that only a forget since takes it."""
        try:
            return self.store.history_forgotten_at()
        except sqlite3.Error:
            return None

    def _write_unsaved(self) -> int:
        """Write the plays the store refused, oldest first, as far as it takes them; how many
        are left. A play still playing is from then on written as any other."""
        forgotten = None
        # (at close, as the close's other writes: once one was refused as busy, not waited for again)
        with self._store_waits_at_most(self._write_wait_ms) if self._closing else contextlib.nullcontext():
            self._close_interrupted()
        # (a skip or a pick waits for this lock to keep its play: the writes under it wait for a
        # busy library only as a play's start does, not the progress thread's second)
        with self._unsaved_lock, (self._store_waits_at_most(self._write_wait_ms)
                                  if self._unsaved or self._unsaved_places else contextlib.nullcontext()):
            while self._unsaved:
                kept = self._unsaved[0]
                playing = self._playing
                before = kept.play_id, kept.logged_ms
                try:
                    # Read from the file a close kept it in, another player on the library (the window
                    # and ``segue play``) may be writing it too: looked for and written in one
                    # transaction, else one went on with a play between the other's resume and end
                    # (found open, it began a second row) or after them (counted its time twice).
                    with self.store.transaction() if kept.journaled else contextlib.nullcontext():
                        if forgotten is None:
                            forgotten = self.store.history_forgotten_at()
                        if kept.play_id is None and self.store.forgotten_since(kept.forgotten_known,
                                                                               kept.started_at, forgotten):
                            # Begun before the person forgot the history: it goes with the rest,
                            # as the row of a play written before the forget went.
                            if playing is not None and playing.unsaved is kept:
                                playing.unsaved = None
                            self._unsaved.pop(0)
                            continue
                        if (kept.journaled and kept.play_id is None and kept.reopen is not None and kept.ended
                                is not None and self.store.play_ended_at(kept.reopen, kept.ended[4])):
                            self._unsaved.pop(0)        # (gone on with and closed by a start since killed)
                            continue
                        if kept.play_id is None and kept.reopen is not None:
                            logged = self.store.resume_play(kept.reopen, kept.track_id, source=kept.source,
                                                            owner=self._owner.token, now=kept.started_at)
                            if logged is not None:
                                kept.play_id, kept.logged_ms = kept.reopen, int(logged)
                        if kept.play_id is None:
                            # The forget read above may be a moment old: the store looks again in
                            # the transaction that writes the play.
                            kept.play_id = self.store.start_play(kept.track_id, source=kept.source,
                                                                 track_ms=kept.track_ms, owner=self._owner.token,
                                                                 now=kept.started_at, unless_forgotten=True,
                                                                 forgotten_known=kept.forgotten_known,
                                                                 once=kept.journaled)
                            if kept.play_id is None:
                                if playing is not None and playing.unsaved is kept:
                                    playing.unsaved = None
                                self._unsaved.pop(0)
                                continue
                        if kept.ended is not None:
                            ended, heard, error, track_ms, at = kept.ended
                            if ended == "error" and kept.play_id == kept.reopen:
                                # Gone on with from the last run and failing now: what was heard
                                # before the close stands, only this sitting failed (see ``_end_current``).
                                ended, error = "stopped", None
                            # (one from the file may be older than the row: the library took the
                            # play, and the file could not be rewritten before a kill)
                            self.store.end_play(kept.play_id, ended, kept.logged_ms + heard, error=error,
                                                track_ms=track_ms, now=at, never_shorter=kept.journaled)
                        elif playing is not None and playing.unsaved is kept:
                            playing.logged_ms, playing.reopened = kept.logged_ms, kept.play_id == kept.reopen
                            self.store.update_play(kept.play_id, playing.logged_heard_ms(), now=self._clock())
                            playing.play_id, playing.unsaved = kept.play_id, None
                except sqlite3.IntegrityError as exc:
                    if kept.journaled:      # (its transaction rolled back: the row it named is not there)
                        kept.play_id, kept.logged_ms = before
                    if exc.sqlite_errorname not in _NEVER_TAKEN:
                        self._refused_by(exc)
                        break
                    # The schema refuses the row, and would every time (its song left the
                    # library meanwhile): waiting for it would hold back every play after it.
                    log.error("a kept play of track %s can never be saved (%s): given up", kept.track_id, exc)
                    if playing is not None and playing.unsaved is kept:
                        playing.unsaved = None
                except sqlite3.Error as exc:
                    if kept.journaled:
                        kept.play_id, kept.logged_ms = before
                    self._refused_by(exc)
                    self._note_refused(exc)
                    break
                self._unsaved.pop(0)
                if not self._unsaved:
                    log.warning("the plays kept while the library could not be written are written now")
            for track_id, (at, when, known) in list(self._unsaved_places.items()):
                try:
                    if forgotten is None:
                        forgotten = self.store.history_forgotten_at()
                    # (one left before the history was forgotten went with it)
                    if not self.store.forgotten_since(known, when, forgotten):
                        if at is not None:      # (looked at again as it is written, as a play is)
                            self.store.set_resume_position(track_id, at, now=when, unless_forgotten=True,
                                                           forgotten_known=known)
                        else:
                            self.store.forget_resume_position(track_id)
                except sqlite3.Error as exc:    # (said with what refused it now, as a play is)
                    self._refused_by(exc)
                    self._note_refused(exc)
                    break
                del self._unsaved_places[track_id]
            # (looked at with the plays it is written with: a skip kept as they were written is
            # not missed, nor ranked again later for plays kept after it)
            rerank = (self._skip_kept is not None and not any(k is self._skip_kept for k in self._unsaved)
                      and not self._closed.is_set())
            if rerank:
                self._skip_kept = None
        self._tell_unsaved()
        if rerank:
            self._reshape_wanted = True
            self._maybe_fill()
        # What the library took goes from the kept file (a kill before this leaves it there,
        # and the next start finds each such play in the log by its identity and skips it);
        # the time heard of a play still refused is brought up to date there, a tick at most behind.
        self._keep_unsaved()
        return len(self._unsaved)

    def _wait_tick(self, last: tuple | None) -> tuple[bool, tuple | None]:
        """Wait one progress interval: ``(closed meanwhile, last)``, ``last`` the progress
        thread's last write of a play's progress, ``(play id, ms heard, playing on)``.

        A song playing with nothing heard in its row (or its kept play) yet is looked at every
        :data:`FIRST_HEARD_LOOK_S` meanwhile: once its sound is under way, the time heard is
        written, once (a tick later, it was written every tick as before). A change meanwhile
        (a song starting) wakes the wait to look; it is left set for the loop's rest."""
        end, nudged = time.monotonic() + self._interval, False
        try:
            while True:
                left = end - time.monotonic()
                if self._closed.is_set():
                    return True, last
                if left <= 0:
                    return False, last
                playing = self._playing
                if (left <= FIRST_HEARD_LOOK_S or playing is None or playing.logged_ms or self._first_heard is playing
                        or (playing.play_id is None and playing.unsaved is None)
                        or (last and last[0] == playing.play_id and last[1])
                        or self.engine.state is not PlaybackState.PLAYING):
                    if self._nudged.wait(left):
                        self._nudged.clear()
                        nudged = True
                    continue
                if self._closed.wait(FIRST_HEARD_LOOK_S):
                    return True, last
                last = self._write_first_heard(playing, last)
        finally:
            if nudged:
                self._nudged.set()

    def _write_first_heard(self, playing: _Playing, last: tuple | None) -> tuple | None:
        """Write the time heard of ``playing`` once its sound is under way (tried once): in its
        row, or, refused by the library, in the file its play is kept in (kept there with 0 ms
        as it began, a kill before the tick left a play that counts nowhere)."""
        heard = playing.logged_heard_ms()
        if heard <= 0 or self._closing or playing is not self._playing:
            return last
        self._first_heard = playing     # (a busy library waits for the tick, which says why)
        if playing.play_id is None:
            self._keep_in_file()        # (its entry there is what was heard so far: ``_kept_entry``)
            return last
        try:
            self.store.update_play(playing.play_id, heard, now=self._clock(), session_every_s=SESSION_TOUCH_S)
        except Exception:
            return last
        return playing.play_id, heard, True

    def _progress_loop(self) -> None:
        try:
            conn = self.store.conn
            (was,) = conn.execute("PRAGMA busy_timeout").fetchone()
            conn.execute(f"PRAGMA busy_timeout = {min(int(was), PROGRESS_WRITE_WAIT_MS)}")
        except sqlite3.Error:   # (a library that cannot be read now: the ticks say so)
            log.exception("could not set how long play progress waits for a busy library")
        last, ticked = None, self._clock()
        resting = progress_failing = False
        while True:
            if resting:
                # Nothing plays and all is saved: sleep until something changes.
                self._nudged.wait()
                ticked = self._clock()      # a long rest is no sleep of the computer mid-song
            self._nudged.clear()
            # (closing writes all of it itself: a tick's writes begun meanwhile, each waiting for
            # a library another process holds, held the close that waits for this thread)
            closed, last = self._wait_tick(last)
            if closed or self._closing:
                return
            try:
                self._follow_taken_over()
            except Exception:   # (the song plays on; its play is the copy's in the library already)
                log.exception("could not follow a track given to its copy")
            now = self._clock()
            if abs(now - ticked) >= SESSION_GAP_S and self._woke(now):     # (slept, or the clock put back)
                self._emit("state_changed", state=PlaybackState.PLAYING, new_session=True)
            ticked = now
            wrote = self._save_state(tick=True)
            unsaved = self._write_unsaved()
            passed_saved = self._write_passed()
            # A save that failed (the library busy or full) is tried again at every tick, not
            # left for the next change: killed meanwhile, the change would be lost. So are
            # plays the store refused.
            resting = (not wrote and not self._state_save_failing and not unsaved and not self._unsaved_places
                       and passed_saved
                       and self.state is not PlaybackState.PLAYING)
            playing = self._playing
            if playing is None or playing.play_id is None:
                continue
            heard = playing.logged_heard_ms()
            # Whether it plays on is part of what was written: an output that stalled before
            # it went away (and paused) heard nothing more, and its session must still be
            # marked active when it stopped, not up to a minute before.
            playing_on = self.engine.state is PlaybackState.PLAYING
            if (playing.play_id, heard, playing_on) == last:
                continue  # paused: nothing new, and a long pause should end the session
            resting = False     # (once more, to find it unchanged)
            if self._closing:   # (the play's end at close says what was heard)
                return
            # A song playing on marks its session active once a minute; paused (or at its
            # end), exactly when it stopped, as a long pause is measured from there.
            every = SESSION_TOUCH_S if playing_on else 0.0
            try:
                self.store.update_play(playing.play_id, heard, now=self._clock(), session_every_s=every)
                last = (playing.play_id, heard, playing_on)
            except Exception:  # a busy, full or closed database must not stop playback
                # Tried again at every tick; a full disk said the same traceback every two
                # seconds in the log and the terminal for as long as it stayed full. Once,
                # then once more when it works again.
                if not progress_failing:
                    log.exception("could not record play progress (retried at every tick; "
                                  "said again only once it works)")
                progress_failing = True
                continue
            if progress_failing:
                log.warning("play progress is recorded again")
                progress_failing = False
