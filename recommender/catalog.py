"""The catalogue the ranker works on: every playable track as rows of plain arrays.

Built from plain arrays (no database, no Qt), so the app, the benchmarks and the
tests build it the same way. Row ``i`` of every array describes ``track_ids[i]``.

>>> cat = Catalog.build(track_ids=[10, 11], artists=["A", "B"], albums=["x", "y"])
>>> cat.rows([11, 10, 99]).tolist()
[1, 0, -1]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp

from recommender.data import EARLY_SKIP_MS
from segue_common.listening import SUGGESTED_SOURCES, counts_as_play, early_skip_limit_ms
from segue_common.normalize import FirstCopies, normalize_name


class CatalogError(ValueError):
    """The arrays given to :meth:`Catalog.build` do not describe one set of tracks."""


#: How many plays ahead Catalog.follows looks (the SR baseline's 10 steps).
FOLLOW_STEPS = 10
#: How many listened plays ahead Catalog.artist_returns looks for the artist again.
RETURN_AHEAD = 5
#: How many of Segue's latest offers Catalog.artist_stays (and replay_answers) counts.
STAY_OFFERS = 1200
#: An offer is a replay when the person listened to the track within this long before it
#: (two half-lives of Up next's push against what was just played).
REPLAY_HORIZON_S = 4 * 86400.0
#: Over how many of the latest plays heard in Segue Catalog.offered_share is counted: how
#: the person listens now (someone who picked every song for a year and lately lets Up
#: next go on is someone who lets it choose).
SHARE_PLAYS = 500

#: The play source of rows imported from another player's history (not heard in Segue).
IMPORTED_SOURCE = "import"
#: How many of the latest rows of a play log may differ from the one a catalogue holds for
#: Catalog.set_plays to rework only them (a song logged, or one that ended, or one logged
#: with the clock set back a day, among that day's plays): more are read again in full.
TAIL_ROWS = 256


class _PlayState(NamedTuple):
    """What Catalog.set_plays keeps besides the fields, to update them from a few new rows."""
    of: tuple                       # the track-side arrays it was worked out with
    sorted: bool                    # the plays are in time order (what artist_hour's count takes)
    follow_units: sp.csr_matrix     # int64 [n, n] follows in whole parts (_follow_units)
    stays_by_size: np.ndarray       # int64: album stays by (album tracks - 1), for album_order_runs
    within: np.ndarray              # int64: listened plays by how many of their artist's came within the hour
    session_ids: np.ndarray         # int64 [s] session id of each row of Catalog.sessions
    session_first: np.ndarray       # int64 [s] index of each session's first listened play


@dataclass
class PlayLog:
    """Plays as parallel arrays, oldest first (the store's ``plays`` table).

    ``ended`` holds the store's strings (finished / skipped / stopped / error / playing);
    ``source`` (optional) where the play came from (library / up_next / radio / discover /
    search / queue / cli): :meth:`chosen` tells the person's own picks from Segue's.
    ``play_id`` (optional) the store's ids, in the order the plays were logged: see
    :meth:`session_now`.
    """

    track_id: np.ndarray
    session_id: np.ndarray
    started_at: np.ndarray
    ms_heard: np.ndarray
    track_ms: np.ndarray
    ended: np.ndarray
    source: np.ndarray | None = None
    play_id: np.ndarray | None = None

    @classmethod
    def from_rows(cls, rows: Sequence) -> "PlayLog":
        """From ``sqlite3.Row`` objects or dicts with the ``plays`` columns."""
        def col(name, dtype, default=0):
            return np.array([default if r[name] is None else r[name] for r in rows], dtype=dtype)

        keys = (rows[0].keys() if hasattr(rows[0], "keys") else rows[0]) if rows else ()
        return cls(col("track_id", np.int64), col("session_id", np.int64), col("started_at", np.float64),
                   col("ms_heard", np.float64), col("track_ms", np.float64),
                   np.array([r["ended"] for r in rows], dtype=object),
                   np.array([r["source"] for r in rows], dtype=object) if "source" in keys else None,
                   col("id", np.int64) if "id" in keys else None)

    @classmethod
    def empty(cls) -> "PlayLog":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0),
                   np.zeros(0, dtype=object))

    def __len__(self) -> int:
        return len(self.track_id)

    _FIELDS = ("track_id", "session_id", "started_at", "ms_heard", "track_ms", "ended")

    #: What :meth:`feedback`, :meth:`chosen` and :meth:`imported` worked out, kept per log.
    #: Each is a function of a play's own row, so :meth:`subset` and :meth:`concat` carry it
    #: over: Up next after a play re-reads only the last hours of a long history and joins
    #: them to the rest, and working feedback and picks out again over every play cost 0.2 s
    #: each song at 500,000 plays.
    _PER_PLAY = ("_feedback", "_chosen", "_imported")

    def _carry(self, new: "PlayLog", parts) -> "PlayLog":
        for name in self._PER_PLAY:
            got = [p.__dict__.get(name) for p, _ in parts]
            if all(g is not None for g in got):
                new.__dict__[name] = np.concatenate([g if how is None else g[how] for g, (_, how) in zip(got, parts)])
        return new

    def subset(self, mask: np.ndarray) -> "PlayLog":
        new = PlayLog(*(getattr(self, f)[mask] for f in self._FIELDS),
                      None if self.source is None else self.source[mask],
                      None if self.play_id is None else self.play_id[mask])
        return self._carry(new, [(self, mask)])

    def before(self, t: float) -> "PlayLog":
        """The plays started before ``t``. Where they are the log's first ones (the store
        reads plays in time order) they are views of this log's arrays, not copies: copying
        each of them cost 20 ms each song at 500,000 plays. (A log is never changed in place.)"""
        kept = self.started_at < t
        n = int(np.count_nonzero(kept))
        return self.subset(slice(0, n) if kept[:n].all() else kept)

    def concat(self, other: "PlayLog") -> "PlayLog":
        source = None
        if self.source is not None or other.source is not None:
            source = np.concatenate([s.source if s.source is not None else np.full(len(s), None, dtype=object)
                                     for s in (self, other)])
        play_id = None
        if self.play_id is not None and other.play_id is not None:
            play_id = np.concatenate([self.play_id, other.play_id])
        new = PlayLog(*(np.concatenate([getattr(self, f), getattr(other, f)]) for f in self._FIELDS), source,
                      play_id)
        if (self.source is None) == (other.source is None):      # chosen() reads the sources
            other.feedback(), other.chosen(), other.imported()   # the new part: a few rows
            self._carry(new, [(self, None), (other, None)])
        return new

    def session_now(self) -> int | None:
        """The session in progress: that of the play logged last (the highest ``play_id``),
        imported plays aside; None without plays. Not the session of the latest play in time:
        once the computer's clock was set back (a wrong clock corrected), the plays logged
        before lie ahead of the ones logged now, and the session before read as the one in
        progress, with its skips, until the clock caught up. Without ids, the latest in time.
        Worked out once per log (a log is replaced, never changed: see ``Recommender.with_plays``),
        as Up next asks several times a call."""
        return self._session_now

    @cached_property
    def _session_now(self) -> int | None:
        if not len(self):
            return None
        if self.play_id is None:
            return int(self.session_id[-1])
        # The imported flags are carried over a re-read tail: reading every source string
        # again took 65 ms at 500,000 plays, twice each song.
        logged = np.where(self.imported(), -1, self.play_id)
        last = int(np.argmax(logged))
        return int(self.session_id[last if logged[last] >= 0 else -1])

    def chosen(self) -> np.ndarray:
        """Per play: True where the person picked it (library, search, their queue, the
        command line), False where Segue did (Up next, Radio, Discover). Without sources,
        every play counts as chosen. Worked out once per log (never to be changed in place)."""
        return self._chosen

    @cached_property
    def _chosen(self) -> np.ndarray:
        if self.source is None:
            return np.ones(len(self), bool)
        return ~np.isin(self.source.astype(str), SUGGESTED_SOURCES)

    def imported(self) -> np.ndarray:
        """Per play: True where it came from another player's history (``IMPORTED_SOURCE``).
        Worked out once per log (never to be changed in place)."""
        return self._imported

    @cached_property
    def _imported(self) -> np.ndarray:
        if self.source is None:
            return np.zeros(len(self), bool)
        return self.source == IMPORTED_SOURCE

    def feedback(self) -> np.ndarray:
        """Per play: +1 listened, -1 early skip, 0 no signal (errors, still playing, tiny stops).

        The early-skip rule is :func:`recommender.data.play_weight`'s (same constants):
        a play is listened to when it is finished, or stopped/skipped after
        ``EARLY_SKIP_MS`` and half the track, or four minutes of a longer one.

        Worked out once per log (never to be changed in place).

        Returns
        -------
        np.ndarray [shape=(n_plays,)] float32
        """
        return self._feedback

    @cached_property
    def _feedback(self) -> np.ndarray:
        limit = np.where(self.track_ms > 0, early_skip_limit_ms(self.track_ms), EARLY_SKIP_MS)
        ended = self.ended.astype(str)
        early = self.ms_heard < limit
        out = np.zeros(len(self), np.float32)
        out[ended == "finished"] = 1.0
        listened = np.isin(ended, ("skipped", "stopped")) & ~early
        out[listened] = 1.0
        out[(ended == "skipped") & early] = -1.0
        return out


@dataclass
class Catalog:
    """Tracks as aligned arrays; see :meth:`build`."""

    track_ids: np.ndarray                 # int64 [n], sorted ascending
    artist: np.ndarray                    # int32 [n] codes into artist_names (-1 unknown)
    album: np.ndarray                     # int32 [n] codes into album_names (-1 unknown)
    artist_names: list[str]
    album_names: list[str]
    titles: list[str]
    duration: np.ndarray                  # float32 [n] seconds
    embedding: np.ndarray                 # float32 [n, d] L2-normalised, zero rows where unknown
    tags: np.ndarray | None               # float32 [n, n_tags] or None
    bucket: np.ndarray                    # int32 [n] codes into bucket_names (-1 none)
    bucket_names: list[str]
    factors: np.ndarray                   # float32 [n, f] prior CF factors, zero rows where none
    year: np.ndarray = None               # float32 [n] release year, NaN unknown
    # bool [n]: no artist tag, the "artist" is the album or its folder (reasons then speak
    # of songs from it, not of an artist by that name); None: every artist is a tag
    artist_guessed: np.ndarray = None
    # bool [n]: a title that reads as one standing in for a title ("Track 10") but is a song's
    # name (its CUE sheet's TITLE says so); None: none is
    titles_named: np.ndarray = None
    album_next: np.ndarray = None         # int64 [n] row of the album's next track (disc, track number), -1 none
    # float64 [n] unix seconds each track came into the library, NaN unknown; None: not known of any
    added: np.ndarray = None
    # float32 [n] the stars (1-5) the person gave each track in the player they used before,
    # NaN not rated; None: none is rated
    rating: np.ndarray = None
    # bool [n] True where ``rating``'s one star was given in this app, not read from a file:
    # such a song is never offered, played or not; None: none is
    rated_here_one: np.ndarray = None
    plays: PlayLog = field(default_factory=PlayLog.empty)
    play_count: np.ndarray = None         # float32 [n] listened plays
    skip_count: np.ndarray = None         # float32 [n] early skips
    skips_since_heard: np.ndarray = None  # float32 [n] early skips of offers since its last listened play
    any_skips_since_heard: np.ndarray = None  # float32 [n] the same of every early skip, whoever put it on
    last_played: np.ndarray = None        # float64 [n] unix seconds, 0 = never
    transitions: sp.csr_matrix = None     # [n, n] counts of "row j listened right after row i"
    # [n, n] sequential rules: "j listened g <= FOLLOW_STEPS plays after i", 1/g each
    follows: sp.csr_matrix = None
    artist_runs: tuple = (0, 0)           # (same-artist, all) in-session listened play -> next listened play
    album_runs: tuple = (0, 0)            # (same-album, all) of those with both albums known and two different tracks
    # (to the album's next track, all, how many of all would go to it by chance) of the
    # same-album ones, its order known
    album_order_runs: tuple = (0, 0, 0.0)
    # (skips, listened plays) by a known artist whose artist comes back among the next few
    # listened plays of the session, and how many of each have any listened play after them
    artist_returns: tuple = (0, 0, 0, 0)
    # (stays, stays kept, moves, moves kept) of Segue's offers right after a kept play
    artist_stays: tuple = (0, 0, 0, 0)
    # (replays, replays kept, new, new kept) of Segue's offers (Recommender.replay_keep)
    replay_answers: tuple = (0, 0, 0, 0)
    artist_hour: int = 0                  # plays of one artist within an hour that the person reaches (98th percentile)
    # Where the plays say who picked them: per row, the listened plays of its artist that
    # the person picked themselves here (not Segue's offers, not imported), and the share of
    # the latest plays heard here (listened or skipped early) that were Segue's offers.
    chosen_artist_plays: np.ndarray = None   # float32 [n]
    offered_share: float = 0.0
    play_chosen: np.ndarray = None        # bool [n_plays] PlayLog.chosen() of the plays
    play_rows: np.ndarray = None          # int64 [n_plays] row of each play's track (-1 not in the catalogue)
    play_feedback: np.ndarray = None      # float32 [n_plays] PlayLog.feedback() of the plays
    # [s, n] past sessions: 1 + last position of the track among its listened plays
    sessions: sp.csr_matrix = None
    session_end: np.ndarray = None        # float64 [s] start of each session's last listened play
    session_len: np.ndarray = None        # float64 [s] listened plays per session
    # The person's listening in other players (an imported history), by the track's artist:
    # every imported row, whether or not the library has its song, so an artist heard
    # elsewhere counts even where the library holds none of the songs heard.
    outside_listened: np.ndarray = None   # float32 [n] rows of the artist heard (not skipped)
    outside_skipped: np.ndarray = None    # float32 [n] rows of the artist skipped
    # The plays of the songs that the library no longer plays (deleted, unreadable): [n, 4] per
    # track, the plays heard of its artist's and the taste they add up to (each song weighed as
    # a track's own plays are), then the same of its genre's; None where there are none.
    gone: np.ndarray = None               # float32 [n, 4]
    # Classical works (see segue_common.works): the composer of each track (codes into
    # composer_names, -1 none), the work it is a movement of (a code shared by every
    # performance of one work, -1 for a piece of its own) and its movement number (0 unknown);
    # work None: the library holds no work.
    composer: np.ndarray = None           # int32 [n]
    composer_names: list = None
    work: np.ndarray = None               # int32 [n]
    movement: np.ndarray = None           # int32 [n]
    # One song in several files (its album, a single, a best-of's remaster, an MP3 copy): per
    # row the row of the first copy of its recording (itself where it has none), and the rows
    # that have a copy; None: no song is in several files, or none were told.
    recording: np.ndarray = None          # int64 [n]
    copy_rows: np.ndarray = None          # int64 [m]
    lossy: np.ndarray = None              # bool [n] an MP3 or other lossy file; None: none is, or not known
    _play_state = None                    # _PlayState of the plays (not a field: shared by copies, never edited)
    _album_size = None                    # (album, tracks per album code) (not a field: shared by copies)

    @property
    def n(self) -> int:
        return len(self.track_ids)

    @classmethod
    def build(cls, *, track_ids: Sequence[int], artists: Sequence[str | None] | None = None,
              albums: Sequence[str | None] | None = None, titles: Sequence[str | None] | None = None,
              durations: Sequence[float | None] | np.ndarray | None = None,
              embedding: np.ndarray | None = None, tags: np.ndarray | None = None,
              buckets: Sequence[str | None] | None = None, factors: np.ndarray | None = None,
              plays: PlayLog | None = None, embedding_dims: int = 64,
              years: Sequence[float | None] | np.ndarray | None = None,
              album_artists: Sequence[str | None] | None = None,
              track_numbers: Sequence[int | None] | None = None, disc_numbers: Sequence[int | None] | None = None,
              album_places: Sequence[str | None] | None = None,
              album_ids: Sequence[str | None] | None = None,
              outside: np.ndarray | None = None, gone: np.ndarray | None = None,
              artists_guessed: Sequence[bool] | np.ndarray | None = None,
              added: Sequence[float | None] | np.ndarray | None = None,
              titles_named: Sequence[bool] | np.ndarray | None = None,
              ratings: Sequence[float | None] | np.ndarray | None = None,
              own_ratings: Sequence[int | None] | np.ndarray | None = None,
              composers: Sequence[str | None] | None = None,
              works: Sequence[tuple[str, int | None] | None] | None = None,
              recordings: Sequence[str | None] | None = None,
              lossy: Sequence[bool] | None = None) -> "Catalog":
        """Build a catalogue; every array is aligned with ``track_ids``.

        Parameters
        ----------
        track_ids : sequence of int [shape=(n,)], unique
        artists, albums, titles, buckets : sequences of str or None [shape=(n,)]
        durations : [shape=(n,)] seconds (None/NaN unknown)
        embedding : np.ndarray [shape=(n, d)] content embedding; rows of zeros or NaN = not analysed
        tags : np.ndarray [shape=(n, n_tags)] tag probabilities, or None
        factors : np.ndarray [shape=(n, f)] prior CF item factors; zero rows = none
        plays : PlayLog; plays of tracks not in ``track_ids`` are ignored
        years : [shape=(n,)] release year (None/NaN/0 unknown)
        album_artists : [shape=(n,)] album artist tags; where given, an album is keyed by it
            (a soundtrack or compilation with a different artist per track is one album)
        track_numbers, disc_numbers : [shape=(n,)] place on the album (None or < 1 unknown;
            no disc number is disc 1): the album's order (``album_next``)
        album_places : [shape=(n,)] where each track's album lies (a release id, else its
            folder): tells apart two albums of one name by one artist, and holds together a
            compilation whose tracks name no album artist (``_album_keys``)
        album_ids : [shape=(n,)] each track's album as the app's library groups them (None:
            none); where given, tracks are one album exactly where their ids are equal, and
            the rule above from titles, artists and places is not used: Up next then goes on
            with the album the person sees in the library
        outside : np.ndarray [shape=(n, 2)] per track, how often its artist was heard and
            skipped in another player's history (see ``outside_listened``); None: no history
        gone : np.ndarray [shape=(n, 4)] per track, the plays heard of its artist's songs no
            longer in the catalogue and their taste, then of its genre's (see ``gone``); None: none
        artists_guessed : [shape=(n,)] True where ``artists`` holds no artist tag but the
            album or its folder (an untagged track); None: all are tags
        added : [shape=(n,)] unix seconds each track came into the library (None/NaN
            unknown): tells the songs the person just added from those they have had all
            along (``Recommender.new_release``); None: not known of any
        titles_named : [shape=(n,)] True where ``titles`` reads as one that only stands in for
            a title ("Track 10") but is a song's name (a CUE sheet's own TITLE); None: none is
        ratings : [shape=(n,)] the stars (1-5) the person gave each track in another player
            (None/NaN/0 not rated): taste where no plays say it yet (``Recommender.refresh``)
        own_ratings : [shape=(n,)] the stars (1-5) the person gave each track in this app
            (None/NaN/0 none): where given they are its ``ratings`` too; this tells which one
            star was given here (``rated_here_one``), which keeps a song out of suggestions
            even after it was listened to
        recordings : [shape=(n,)] each track's recording key
            (:func:`segue_common.normalize.recording_key`) where another track has it too, else
            None: one song in several files (``recording``), played in any of them; None: none is
        lossy : [shape=(n,)] True where the file is of a lossy format (MP3, AAC...): of two copies
            of a song otherwise as good, the other is the one to show; None: not known
        embedding_dims : wider embeddings are projected on their top principal
            components (the ranker is memory-bound: 200 float32 columns at 50,000
            tracks cost 8 ms per similarity on this machine, 64 cost under 3)

        Raises
        ------
        CatalogError
            On duplicate ids or arrays whose length differs from ``track_ids``.
        """
        ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        n = len(ids)
        if len(np.unique(ids)) != n:
            raise CatalogError("track_ids must be unique")
        order = np.argsort(ids, kind="stable")
        ids = ids[order]

        def aligned(values, name, *, matrix=False, dtype=np.float32):
            if values is None:
                return None
            arr = np.asarray(values, dtype=dtype) if matrix else list(values)
            if len(arr) != n:
                raise CatalogError(f"{name} has {len(arr)} rows for {n} tracks")
            if matrix and arr.ndim != 2:
                raise CatalogError(f"{name} must be 2-d [n, d], got shape {arr.shape}")
            return arr[order] if matrix else [arr[i] for i in order]

        artist_codes, artist_names = _codes(aligned(artists, "artists"), n)
        album_keys = aligned(albums, "albums")
        tracks, discs = aligned(track_numbers, "track_numbers"), aligned(disc_numbers, "disc_numbers")
        ids_given = aligned(album_ids, "album_ids")
        if ids_given is not None:
            album_codes, album_names = _exact_codes(ids_given, album_keys or [None] * n)
        else:
            if album_keys is not None:
                album_keys = _album_keys(album_keys, [artist_names[c] if c >= 0 else "" for c in artist_codes],
                                         aligned(album_artists, "album_artists") or [None] * n,
                                         aligned(album_places, "album_places"), _places(tracks, discs, n))
            album_codes, album_names = _codes(album_keys, n)
        bucket_codes, bucket_names = _codes(aligned(buckets, "buckets"), n)
        dur = aligned(durations, "durations", matrix=False)
        duration = np.array([np.nan if d is None else d for d in dur], np.float32) if dur is not None \
            else np.full(n, np.nan, np.float32)
        emb = aligned(embedding, "embedding", matrix=True)
        emb = np.zeros((n, 1), np.float32) if emb is None else _unit_rows(_reduce(np.nan_to_num(emb), embedding_dims))
        tag = aligned(tags, "tags", matrix=True)
        if tag is not None:
            tag = np.nan_to_num(tag)
        fac = aligned(factors, "factors", matrix=True)
        fac = np.zeros((n, 1), np.float32) if fac is None else np.nan_to_num(fac).astype(np.float32)
        title_list = aligned(titles, "titles") or [None] * n
        yrs = aligned(years, "years")
        year = np.full(n, np.nan, np.float32) if yrs is None else \
            np.array([np.nan if not y or not np.isfinite(float(y)) else float(y) for y in yrs], np.float32)
        cat = cls(ids, artist_codes, album_codes, artist_names, album_names,
                  [t or "" for t in title_list], duration, emb, tag, bucket_codes, bucket_names, fac, year)
        out = aligned(outside, "outside", matrix=True)
        out = np.zeros((n, 2), np.float32) if out is None else np.maximum(np.nan_to_num(out), 0)
        if out.shape[1] != 2:
            raise CatalogError(f"outside must be [n, 2] (heard, skipped), got shape {out.shape}")
        cat.outside_listened, cat.outside_skipped = out[:, 0].copy(), out[:, 1].copy()
        gone = aligned(gone, "gone", matrix=True)
        if gone is not None:
            if gone.shape[1] != 4:
                raise CatalogError(f"gone must be [n, 4] (artist's, genre's heard and taste), got shape {gone.shape}")
            # (the plays heard are never below none; the taste is, where skips outweigh them)
            cat.gone = np.nan_to_num(gone)
            cat.gone[:, 0::2] = np.maximum(cat.gone[:, 0::2], 0)
        guessed = aligned(artists_guessed, "artists_guessed")
        cat.artist_guessed = None if guessed is None else np.array(guessed, bool)
        came = aligned(added, "added")
        if came is not None:
            cat.added = np.array([np.nan if a is None else a for a in came], np.float64)
        named = aligned(titles_named, "titles_named")
        cat.titles_named = np.array(named, bool) if named is not None and any(named) else None
        stars = aligned(ratings, "ratings")
        if stars is not None:
            stars = np.array([_stars(s) for s in stars], np.float64)
            stars[~(np.isfinite(stars) & (stars >= 1))] = np.nan
            cat.rating = np.minimum(stars, 5).astype(np.float32) if np.isfinite(stars).any() else None
        own = aligned(own_ratings, "own_ratings")
        if own is not None and cat.rating is not None:
            here = np.array([_stars(s) == 1 for s in own], bool) & (cat.rating == 1)
            cat.rated_here_one = here if here.any() else None
        cat.album_next = _album_order(album_codes, _places(tracks, discs, n))
        cat._set_works(aligned(composers, "composers"), aligned(works, "works"))
        cat._set_recordings(aligned(recordings, "recordings"))
        lossy = aligned(lossy, "lossy")
        cat.lossy = np.array(lossy, bool) if lossy is not None and any(lossy) else None
        cat.set_plays(plays or PlayLog.empty())
        return cat

    def _set_recordings(self, keys: list | None) -> None:
        """``recording`` and ``copy_rows`` from each row's recording key (None: of no song in
        several files); copies of one key are one recording where their lengths are."""
        if keys is None:
            return
        copies = FirstCopies()
        first = np.arange(self.n, dtype=np.int64)
        for i in [i for i, k in enumerate(keys) if k]:
            d = float(self.duration[i])
            first[i] = copies.first(keys[i], d if np.isfinite(d) else None, i)
        moved = first != np.arange(self.n)
        if moved.any():
            self.recording = first
            self.copy_rows = np.flatnonzero(moved | np.isin(np.arange(self.n), first[moved]))

    def by_recording(self, values: np.ndarray, ufunc=np.maximum) -> np.ndarray:
        """``values`` per row (none below 0), each row's taken over every copy of its recording
        with ``ufunc`` (``np.maximum``: the latest of them; ``np.add``: their sum): a song
        played from its single was played, on its album too."""
        if self.recording is None:
            return values
        rows = self.copy_rows
        to = self.recording[rows]
        whole = np.zeros(self.n, values.dtype)
        ufunc.at(whole, to, values[rows])
        out = values.copy()
        out[rows] = whole[to]
        return out

    def _set_works(self, composers: list | None, works: list | None = None) -> None:
        """The composers, and the works the tracks are movements of: ``works``' ``(key,
        movement)`` where given (the app reads them from the tags too), else from the titles
        ("Symphony No. 5 in C minor, Op. 67: I. Allegro con brio") and the composers."""
        from segue_common.works import composer_key, may_name_a_work, work_of

        n = self.n
        if composers is not None and any(composers):
            # (one person however the name is written: "Beethoven, Ludwig van" is Ludwig van Beethoven)
            self.composer, self.composer_names = _codes(composers, n, key=composer_key)
        if works is None:
            works = [None] * n
            for i, title in enumerate(self.titles):
                if not may_name_a_work(title):
                    continue        # (most titles cannot name a work: not read further)
                artist = self.artist_names[self.artist[i]] if self.artist[i] >= 0 else None
                w = work_of(title, composers[i] if composers is not None else None, artist=artist)
                works[i] = None if w is None else (w.key, w.movement)
        keys: dict[str, int] = {}
        code = np.full(n, -1, np.int32)
        number = np.zeros(n, np.int32)
        for i, w in enumerate(works):
            if w is not None:
                code[i] = keys.setdefault(w[0], len(keys))
                number[i] = w[1] or 0
        if keys:
            self.work, self.movement = code, number

    def rows(self, track_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row index of each id, -1 where the id is not in the catalogue. [shape=(m,)] int64"""
        ids = np.asarray(list(track_ids) if not isinstance(track_ids, np.ndarray) else track_ids,
                         dtype=np.int64).reshape(-1)
        if self.n == 0 or len(ids) == 0:
            return np.full(len(ids), -1, np.int64)
        pos = np.searchsorted(self.track_ids, ids).clip(0, self.n - 1)
        return np.where(self.track_ids[pos] == ids, pos, -1)

    def row(self, track_id: int) -> int:
        """Row index of one id, -1 where it is not in the catalogue (as :meth:`rows`, without
        its arrays: reasons look up one row per track shown, thousands for Discover)."""
        key = np.int64(track_id)
        pos = int(np.searchsorted(self.track_ids, key))
        return pos if pos < self.n and self.track_ids[pos] == key else -1

    def set_plays(self, plays: PlayLog, *, whole: bool = False) -> None:
        """Recompute play counts, skips, last played and transitions from ``plays``.

        Where ``plays`` is the log this catalogue holds with its last few rows replaced or a
        few appended (a song logged or ended), only what those rows touch is worked out again:
        Up next after each song read the whole of a long history (0.7 s at 500,000 plays).
        The result is the same, field for field, as working it all out (``whole``: do that)."""
        kept = None if whole else self._kept_rows(plays)
        if kept is None:
            self._set_all_plays(plays)
        else:
            self._set_tail_plays(plays, kept)

    def _set_all_plays(self, plays: PlayLog) -> None:
        n = self.n
        self.plays = plays
        rows = self.rows(plays.track_id)
        fb = plays.feedback()
        self.play_rows, self.play_feedback = rows, fb
        ok = rows >= 0
        self.play_count = np.bincount(rows[ok & (fb > 0)], minlength=n).astype(np.float32)
        self.skip_count = np.bincount(rows[ok & (fb < 0)], minlength=n).astype(np.float32)
        self.skips_since_heard, self.any_skips_since_heard, self.last_played = self._recency(
            plays, rows, np.arange(len(rows)))
        art = _of_rows(self.artist, rows, -1)
        listened = (fb > 0) & (art >= 0)
        heard = np.flatnonzero(listened)
        pairs = self._pairs(rows, fb, plays.session_id)
        for name in ("transitions", "follow_units"):
            pairs[name] = _csr(pairs[name], n)
        self.artist_returns = _artist_returns(art, fb, plays.session_id, heard)
        self._set_latest(plays, rows, fb, art)
        # How many plays of one artist this person lets come within an hour: for every
        # listened play, the plays of its artist in the hour up to it (Up next's spacing).
        a, t = art[listened], plays.started_at[listened]
        within = np.zeros(0, np.int64)
        if len(a):
            order = np.argsort(a, kind="stable")        # plays are oldest first: time order kept
            key = a[order].astype(np.float64) * 1e11 + t[order]
            within = np.arange(len(key)) - np.searchsorted(key, key - 3600.0) + 1
        within = np.bincount(within)
        self._set_pairs(pairs, within)
        ids, first = self._set_sessions(rows, ok & (fb > 0))
        self._play_state = _PlayState(self._track_side(), _in_order(plays.started_at), pairs["follow_units"],
                                      pairs["stays_by_size"], within, ids, first)

    def _recency(self, plays: PlayLog, rows: np.ndarray,
                 at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(skips_since_heard, any_skips_since_heard, last_played)`` from the plays at
        indices ``at`` (every play of the tracks wanted, in log order)."""
        n = self.n
        rows, fb = rows[at], plays.feedback()[at]
        ok = rows >= 0
        # The early skips of Segue's offers of each track since it was last listened to
        # (plays are in time order): a song once loved that Segue keeps offering and the
        # person skips each time. Skips of their own picks do not count: in people's own
        # listening, a song skipped a few times in a shuffle is often played through again.
        last_heard = np.full(n, -1, np.int64)
        np.maximum.at(last_heard, rows[ok & (fb > 0)], at[ok & (fb > 0)])
        since_any = ok & (fb < 0) & (at > _of_rows(last_heard, rows, -1))
        since = since_any & ~plays.chosen()[at]
        # (played: by the plays that count, not one that failed or was ended before it was heard)
        played = ok & counts_as_play(plays.ended[at], plays.ms_heard[at])
        last = np.zeros(n, np.float64)
        np.maximum.at(last, rows[played], plays.started_at[at][played])
        return (np.bincount(rows[since], minlength=n).astype(np.float32),
                np.bincount(rows[since_any], minlength=n).astype(np.float32), last)

    def _pairs(self, rows: np.ndarray, fb: np.ndarray, session: np.ndarray, start: int = 0) -> dict:
        """What the in-session pairs of plays say, counting the pairs whose later play is at
        ``start`` or after (so that a few plays appended are counted from a short stretch
        of the log: ``rows``, ``fb`` and ``session`` may be its last part). The transitions
        and follows come as ``(values, rows, columns)``, one entry per pair (``_csr``)."""
        ok = rows >= 0
        # Artist runs: of the in-session pairs of one listened play and the next, both by
        # known artists, how many stay with the artist (Recommender.artist_run). Early skips
        # between them do not break a pair: someone who skips a song and settles on another
        # by the artist they were listening to is staying with that artist.
        art = _of_rows(self.artist, rows, -1)
        listened = (fb > 0) & (art >= 0)
        heard = np.flatnonzero(listened)
        a_heard, s_heard = art[heard], session[heard]
        run_pair = (s_heard[1:] == s_heard[:-1]) & (heard[1:] >= start)
        out = {"artist_runs": np.array([int((a_heard[1:] == a_heard[:-1])[run_pair].sum()), int(run_pair.sum())])}
        pair = (session[1:] == session[:-1]) & listened[1:] & listened[:-1] & (np.arange(1, len(rows)) >= start)
        # Album runs: of consecutive in-session pairs, both listened, with both albums known
        # and the track changing, how many stay on the album (Recommender.album_run).
        alb = _of_rows(self.album, rows, -1)
        apair = pair & (alb[1:] >= 0) & (alb[:-1] >= 0) & (rows[1:] != rows[:-1])
        out["album_runs"] = np.array([int((alb[1:] == alb[:-1])[apair].sum()), int(apair.sum())])
        # ...and of those that stay on an album whose order is known, how many go on to its
        # next track (Recommender.album_order), and how many would if the person picked the
        # album's other tracks at random: one in (its tracks - 1), kept as how many stays
        # there were on albums of each size so that the sum comes out the same however the
        # pairs were counted.
        nxt = _of_rows(self.album_next, rows, -1)
        stay = apair & (alb[1:] == alb[:-1]) & (nxt[:-1] >= 0)
        size = self._album_sizes()
        out["album_order_runs"] = np.array([int((nxt[:-1] == rows[1:])[stay].sum()), int(stay.sum())])
        # (one entry per size up to the largest album's, whatever the pairs: the counts of a few
        # plays are added to those of the whole log, and an album longer than the library has
        # albums gave them different lengths, so a song logged failed to update the catalogue)
        out["stays_by_size"] = np.bincount(np.maximum(size[alb[1:][stay]] - 1, 1),
                                           minlength=max(int(size.max(initial=0)), 1) + 1)
        # Transitions: consecutive plays in one session, the second one listened to. Follows:
        # the same within FOLLOW_STEPS plays, weighted 1/gap (sequential rules, as the SR
        # baseline of recommender/SESSIONS.md: what comes a few plays later counts too),
        # counted in whole parts of 1/_follow_units() so that sums are exact in any order.
        units = _follow_units()
        a_all, b_all, w_all = [], [], []
        for gap in range(1, FOLLOW_STEPS + 1):
            if len(rows) <= gap:
                break
            same = (session[gap:] == session[:-gap]) & ok[gap:] & ok[:-gap] & (fb[gap:] > 0)
            same &= np.arange(gap, len(rows)) >= start
            a_all.append(rows[:-gap][same])
            b_all.append(rows[gap:][same])
            w_all.append(np.full(int(same.sum()), units // gap, np.int64))
        a_all, b_all = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (a_all, b_all))
        first = len(w_all[0]) if w_all else 0
        out["transitions"] = (np.ones(first, np.float32), a_all[:first], b_all[:first])
        out["follow_units"] = (np.concatenate(w_all) if w_all else np.zeros(0, np.int64), a_all, b_all)
        return out

    def _album_sizes(self) -> np.ndarray:
        """Tracks per album code. They change only with the tracks: kept for them (counting them
        was a pass over the whole library twice for every song logged)."""
        cached = self._album_size
        if cached is None or cached[0] is not self.album:
            size = np.bincount(self.album[self.album >= 0], minlength=int(self.album.max(initial=-1)) + 1)
            cached = self._album_size = (self.album, size)
        return cached[1]

    def _set_pairs(self, pairs: dict, within: np.ndarray) -> None:
        """The fields read from ``_pairs``' counts and from ``within``, how many listened plays
        had each number of plays of their artist in the hour up to them."""
        self.artist_runs = tuple(int(v) for v in pairs["artist_runs"])
        self.album_runs = tuple(int(v) for v in pairs["album_runs"])
        by_size = pairs["stays_by_size"]
        chance = float((by_size[1:] / np.arange(1, len(by_size))).sum())
        self.album_order_runs = (*(int(v) for v in pairs["album_order_runs"]), chance)
        self.transitions = pairs["transitions"]
        units = pairs["follow_units"]
        if self._play_state is None or units is not self._play_state.follow_units:
            # (the same counts: the follows worked out from them before)
            weights = (units.data / _follow_units()).astype(np.float32)
            self.follows = sp.csr_matrix((weights, units.indices, units.indptr), shape=units.shape)
        if within.sum():
            self.artist_hour = int(np.ceil(np.quantile(np.repeat(np.arange(len(within)), within), 0.98)))
        else:
            self.artist_hour = 0

    def _set_latest(self, plays: PlayLog, rows: np.ndarray, fb: np.ndarray, art: np.ndarray) -> None:
        # Segue's offers right after a kept play of the session: how many stayed with its
        # artist, and how many of those were kept; how many moved on, and how many of those
        # were kept (Recommender.artist_stay).
        self.play_chosen = plays.chosen()
        self.artist_stays = _artist_stays(plays, rows, fb, art, self.play_chosen)
        # Segue's offers of a song the person listened to lately, and of the rest: how many
        # of each were kept (Recommender.replay_keep).
        self.replay_answers = _replay_answers(plays, rows, fb, self.play_chosen)
        self.chosen_artist_plays, self.offered_share = _chosen_artists(plays, self.play_chosen, fb, art, self.artist)

    def _track_side(self) -> tuple:
        return self.track_ids, self.artist, self.album, self.album_next

    def _kept_rows(self, plays: PlayLog) -> int | None:
        """How many rows at the start of ``plays`` are those of the log held now, where only
        its last few rows differ (replaced, or more appended) and the plays are in time
        order; None where everything is to be worked out again."""
        old, state = self.plays, self._play_state
        if state is None or not state.sorted or any(a is not b for a, b in zip(state.of, self._track_side())):
            return None
        if (old.source is None) != (plays.source is None):
            return None
        if abs(len(plays) - len(old)) > TAIL_ROWS:
            return None
        # The first row that differs, wherever it is: a play logged under a clock set back a
        # day lands among the plays of that day (the store keeps them in time order), some
        # ninety rows before the end, and everything after it moves down a row.
        same = np.ones(min(len(old), len(plays)), bool)
        for a, b in ((old.track_id, plays.track_id), (old.session_id, plays.session_id),
                     (old.started_at, plays.started_at), (old.feedback(), plays.feedback()),
                     (old.chosen(), plays.chosen()), (old.imported(), plays.imported())):
            same &= a[:len(same)] == b[:len(same)]
        p = int(np.argmin(same)) if not same.all() else len(same)
        if max(len(old), len(plays)) - p > TAIL_ROWS:
            return None
        if not _in_order(plays.started_at[max(p - 1, 0):]) or \
                (len(plays) and p and plays.started_at[-1] - plays.started_at[0] > 5e10):
            return None
        return p

    def _set_tail_plays(self, plays: PlayLog, p: int) -> None:
        """``set_plays`` where the first ``p`` plays are those held now: what the old rows
        after them counted is taken off, what the new ones count is added."""
        old, state, n = self.plays, self._play_state, self.n
        rows = np.concatenate([self.play_rows[:p], self.rows(plays.track_id[p:])])
        fb = plays.feedback()
        old_rows, old_fb = self.play_rows, self.play_feedback
        self.plays, self.play_rows, self.play_feedback = plays, rows, fb

        def tail_counts(r, f):
            r, f = r[p:], f[p:]
            return (np.bincount(r[(r >= 0) & (f > 0)], minlength=n).astype(np.float32),
                    np.bincount(r[(r >= 0) & (f < 0)], minlength=n).astype(np.float32))

        (old_heard, old_skips), (new_heard, new_skips) = tail_counts(old_rows, old_fb), tail_counts(rows, fb)
        # A count the changed rows leave as it was (a skip leaves the listened plays) stays the
        # same array, so what is worked out from it and kept for it (the tracks too short or
        # too long for this person, the sums the reasons read) is not worked out again: at
        # 100,000 tracks that was 5 ms of every refill after a skip. (Whole counts: the
        # difference taken off and added back would give the same values.)
        if (old_heard != new_heard).any():
            self.play_count = self.play_count - old_heard + new_heard
        if (old_skips != new_skips).any():
            self.skip_count = self.skip_count - old_skips + new_skips
        # Skips since heard and last played, again for the tracks of the old and new rows.
        touched = np.unique(np.concatenate([old_rows[p:], rows[p:]]))
        touched = touched[touched >= 0]
        since, since_any, last = self._recency(plays, rows, np.flatnonzero(np.isin(rows, touched)))
        self.skips_since_heard, self.any_skips_since_heard, self.last_played = (
            self.skips_since_heard.copy(), self.any_skips_since_heard.copy(), self.last_played.copy())
        self.skips_since_heard[touched], self.last_played[touched] = since[touched], last[touched]
        self.any_skips_since_heard[touched] = since_any[touched]
        # The pairs: counted from a stretch that begins early enough for every pair whose
        # later play is a row that changed, and every play whose artist is looked for among
        # the next few listened plays that may be such a row.
        back = _heard_before(old_rows, old_fb, self.artist, p, RETURN_AHEAD)
        w = max(0, min(back, p - FOLLOW_STEPS))

        def counted(log, r, f):
            return self._pairs(r[w:], f[w:], log.session_id[w:], p - w)

        before, after = counted(old, old_rows, old_fb), counted(plays, rows, fb)
        # The change first (a few entries: the new pairs, and the old ones taken off, summed in
        # one matrix), then added to the whole matrix once. (Whole counts: the order they are
        # summed in changes nothing.)
        def changed(whole, name):
            (new, a, b), (gone, c, d) = after[name], before[name]
            change = _csr((np.concatenate([new, -gone]), np.concatenate([a, c]), np.concatenate([b, d])), n)
            # Where the new pairs are those taken off (a skip, a song begun: pairs count only
            # listened plays), the whole matrix as it was, not a copy made by a pass over every
            # row of it.
            return whole + change if change.data.any() else whole

        pairs = {"transitions": changed(self.transitions, "transitions"),
                 "follow_units": changed(state.follow_units, "follow_units"),
                 "stays_by_size": state.stays_by_size - before["stays_by_size"] + after["stays_by_size"]}
        current = {"artist_runs": self.artist_runs, "album_runs": self.album_runs,
                   "album_order_runs": self.album_order_runs[:2]}
        for name, value in current.items():
            pairs[name] = np.array(value) - before[name] + after[name]

        def returns(log, r, f):
            art = _of_rows(self.artist, r[back:], -1)
            return np.array(_artist_returns(art, f[back:], log.session_id[back:],
                                            np.flatnonzero((f[back:] > 0) & (art >= 0))))

        self.artist_returns = tuple(int(v) for v in np.array(self.artist_returns) - returns(old, old_rows, old_fb)
                                    + returns(plays, rows, fb))
        gone, come = _within_hour(old, old_rows, old_fb, self.artist, p), _within_hour(plays, rows, fb, self.artist, p)
        within = np.zeros(max(len(state.within), len(come)), np.int64)
        within[:len(state.within)] += state.within
        within[:len(gone)] -= gone
        within[:len(come)] += come
        within = np.trim_zeros(within, "b")
        self._set_pairs(pairs, within)
        art = _of_rows(self.artist, rows, -1)
        self._set_latest(plays, rows, fb, art)
        ids, first = self._set_tail_sessions(old, old_rows, old_fb, rows, fb, p)
        self._play_state = _PlayState(state.of, True, pairs["follow_units"], pairs["stays_by_size"], within,
                                      ids, first)

    def _set_sessions(self, rows: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The listened sessions as a sparse [sessions, tracks] matrix of positions, in the
        order they began, for the neighbour-session evidence of Up next. Returns each row's
        session id and its first play's index."""
        self.sessions, self.session_end, self.session_len, ids, first = _sessions(
            self.n, self.plays, rows, np.flatnonzero(keep))
        return ids, first

    def _set_tail_sessions(self, old: PlayLog, old_rows: np.ndarray, old_fb: np.ndarray, rows: np.ndarray,
                           fb: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
        """``_set_sessions`` where the rows from ``p`` on changed: the sessions of the old and
        new rows, and every session begun after the first of them, are worked out again."""
        sid = self.plays.session_id
        ids, first = self._play_state.session_ids, self._play_state.session_first
        tail = np.concatenate([old.session_id[p:][(old_rows[p:] >= 0) & (old_fb[p:] > 0)],
                               sid[p:][(rows[p:] >= 0) & (fb[p:] > 0)]])
        if not len(tail):
            # No listened play among the rows (a skip, a song begun): the sessions are as they
            # were, and so is what is worked out from them and kept for them (``Recommender``'s
            # session weights), which a copy of the same matrix made it work out again.
            return ids, first
        hit = np.flatnonzero(np.isin(ids, tail))
        r0 = int(hit.min()) if len(hit) else len(ids)
        f0 = min(int(first[r0]) if r0 < len(ids) else p, p)
        keep = (rows[f0:] >= 0) & (fb[f0:] > 0) & np.isin(sid[f0:], np.concatenate([ids[r0:], tail]))
        m, end, length, new_ids, new_first = _sessions(self.n, self.plays, rows, f0 + np.flatnonzero(keep))
        head = self.sessions[:r0]
        self.sessions = sp.csr_matrix((np.concatenate([head.data, m.data]),
                                       np.concatenate([head.indices, m.indices]),
                                       np.concatenate([head.indptr, m.indptr[1:] + head.indptr[-1]])),
                                      shape=(r0 + m.shape[0], self.n))
        self.session_end = np.concatenate([self.session_end[:r0], end])
        self.session_len = np.concatenate([self.session_len[:r0], length])
        return np.concatenate([ids[:r0], new_ids]), np.concatenate([first[:r0], new_first])

    @property
    def n_listened(self) -> int:
        return int(self.play_count.sum())

    def label(self, row: int, name=lambda text: text) -> str:
        """``"Title — Artist"`` for reasons and logs (``"Title, from Album"`` where the
        artist is not known: a folder is not named as if it were one). ``name`` is applied to
        the title and the artist (see ``recommender.explain.isolate``)."""
        artist = name(self.artist_names[self.artist[row]]) if self.artist[row] >= 0 else ""
        title = name(self.titles[row] or f"track {self.track_ids[row]}")
        if artist and self.artist_is_guessed(row):
            return f"{title}, from {artist}"
        return f"{title} — {artist}" if artist else title

    def artist_is_guessed(self, row: int) -> bool:
        """Whether the row's "artist" is its album or folder rather than an artist tag."""
        return self.artist_guessed is not None and bool(self.artist_guessed[row])


def _stars(value) -> float:
    """A rating as a number of stars, NaN where it is none (or not a number another program left)."""
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError, OverflowError):
        return np.nan


def _follow_units() -> int:
    """What Catalog.follows is counted in whole parts of: the least number that every gap
    up to FOLLOW_STEPS divides (2520 for 10 steps), so that each weight is exactly 1/gap
    and a count updated a play at a time is the same number as one worked out whole. A
    fixed number would round the weights of gaps it does not divide once FOLLOW_STEPS
    grew past them."""
    return math.lcm(*range(1, FOLLOW_STEPS + 1))


def _of_rows(values: np.ndarray, rows: np.ndarray, missing) -> np.ndarray:
    """``values`` at each of ``rows``, ``missing`` where the row is -1 (a play of a song not in
    the catalogue). Plays outlive their songs: an empty library (every folder removed, the disk
    holding it unplugged) still holds its history, and there is no row 0 to read in its place."""
    if len(values) == 0:
        return np.full(len(rows), missing, values.dtype)
    return np.where(rows >= 0, values[np.maximum(rows, 0)], missing)


def _in_order(t: np.ndarray) -> bool:
    """Whether play times never go back and span less than the 1e11 s that keeps one
    artist's plays from another's in artist_hour's sort keys."""
    return bool(len(t) == 0 or (np.all(t[1:] >= t[:-1]) and t[-1] - t[0] < 5e10))


def _heard_before(rows: np.ndarray, fb: np.ndarray, artist: np.ndarray, p: int, k: int) -> int:
    """Index of the ``k``-th last play before ``p`` listened to and by a known artist; 0
    where there are fewer. Looks back over a stretch that doubles until it has them."""
    span = 256
    while True:
        lo = max(0, p - span)
        r = rows[lo:p]
        got = lo + np.flatnonzero((fb[lo:p] > 0) & (_of_rows(artist, r, -1) >= 0))
        if len(got) >= k:
            return int(got[-k])
        if lo == 0:
            return 0
        span *= 2


def _within_hour(plays: PlayLog, rows: np.ndarray, fb: np.ndarray, artist: np.ndarray, p: int) -> np.ndarray:
    """How many of the listened plays (by a known artist) from ``p`` on had each number of
    plays of their artist in the hour up to them, as ``np.bincount``: the count that
    Catalog.artist_hour's sorted keys give, for plays in time order."""
    if p >= len(rows):
        return np.zeros(0, np.int64)
    t = plays.started_at
    # Keys as artist_hour's (artist * 1e11 + time): a play's count is its artist's plays
    # before it whose key lies within 3600 of its own, all of them within the hour (and
    # a little more, for how the keys round) before the first of the plays from p on.
    lo = int(np.searchsorted(t, t[p] - 3600.0 - 64.0, side="left"))
    art = _of_rows(artist, rows[lo:], -1)
    near = np.flatnonzero((fb[lo:] > 0) & (art >= 0))
    key = art[near].astype(np.float64) * 1e11 + t[lo:][near]
    counts = [int(((art[near[:j]] == art[near[j]]) & (key[:j] >= key[j] - 3600.0)).sum()) + 1
              for j in range(int(np.searchsorted(near, p - lo)), len(near))]
    return np.bincount(counts) if counts else np.zeros(0, np.int64)


def _csr(entries: tuple, n: int) -> sp.csr_matrix:
    """An [n, n] matrix of ``(values, rows, columns)``, the values of one place summed."""
    values, a, b = entries
    return sp.csr_matrix((values, (a, b)), shape=(n, n))


def _sessions(n: int, plays: PlayLog, rows: np.ndarray, at: np.ndarray) -> tuple:
    """Catalog.sessions, session_end and session_len from the listened plays at indices
    ``at``, and each row's session id and the index of its first play."""
    sid, r, t = plays.session_id[at], rows[at], plays.started_at[at]
    if not len(sid):
        return (sp.csr_matrix((0, n), dtype=np.float32), np.zeros(0), np.zeros(0), np.zeros(0, np.int64),
                np.zeros(0, np.int64))
    uniq, first, inv = np.unique(sid, return_index=True, return_inverse=True)
    by_start = np.argsort(first, kind="stable")
    rank = np.empty(len(first), np.int64)
    rank[by_start] = np.arange(len(first))
    inv = rank[inv]                                   # session index in order of first play
    order = np.argsort(inv, kind="stable")
    length = np.bincount(inv, minlength=len(first))
    starts = np.cumsum(length) - length
    pos = np.empty(len(inv), np.int64)
    pos[order] = np.arange(len(inv)) - starts[inv[order]] + 1
    keys = inv.astype(np.int64) * n + r
    uniq_keys, last = np.unique(keys[::-1], return_index=True)   # the last play of a track in a session
    matrix = sp.csr_matrix((pos[::-1][last].astype(np.float32), (uniq_keys // n, uniq_keys % n)),
                           shape=(len(first), n))
    end = np.zeros(len(first))
    np.maximum.at(end, inv, t)
    return matrix, end, length.astype(np.float64), uniq[by_start].astype(np.int64), at[first[by_start]]


def _artist_returns(art: np.ndarray, fb: np.ndarray, session: np.ndarray, heard: np.ndarray,
                    ahead: int = RETURN_AHEAD) -> tuple:
    """``(skips whose artist comes back, skips, listened plays whose artist comes back,
    listened plays)``, counting plays by a known artist with at least one listened play
    after them in their session, "comes back" meaning among the next ``ahead`` listened
    plays of the session (``heard``: the indices of the listened plays by a known artist,
    in order; see ``Catalog.artist_returns``)."""
    if not len(heard):
        return 0, 0, 0, 0
    idx = np.flatnonzero(art >= 0)
    start = np.searchsorted(heard, idx, side="right")
    some = np.zeros(len(idx), bool)
    back = np.zeros(len(idx), bool)
    for k in range(ahead):
        at = start + k
        j = heard[np.minimum(at, len(heard) - 1)]
        same = (at < len(heard)) & (session[j] == session[idx])
        some |= same
        back |= same & (art[j] == art[idx])
    skip, listen = fb[idx] < 0, fb[idx] > 0
    return (int((back & skip).sum()), int((some & skip).sum()), int((back & listen).sum()),
            int((some & listen).sum()))


def _latest_offers(chosen: np.ndarray, latest: int, is_offer) -> np.ndarray:
    """The indices of the ``latest`` last plays Segue picked that ``is_offer`` (of an array of
    indices) takes, oldest first. ``chosen``: :meth:`PlayLog.chosen` of the plays.

    Looked for among the plays it picked alone, the latest first, twice as many each time
    until enough are found: over the whole of a long history the offers cost 25 ms each song
    at 500,000 plays, and over stretches of the log back to the latest of them several times
    the whole log where Segue's offers were all years ago."""
    picked = np.flatnonzero(~chosen)
    k = max(latest, 1)
    while True:
        some = picked[max(len(picked) - k, 0):]
        offer = some[is_offer(some)]
        if len(offer) >= latest or len(some) == len(picked):
            return offer[max(len(offer) - latest, 0):]
        k *= 2


def _artist_stays(plays: PlayLog, rows: np.ndarray, fb: np.ndarray, art: np.ndarray, chosen: np.ndarray,
                  latest: int = STAY_OFFERS) -> tuple[int, int, int, int]:
    """``(stays, stays kept, moves, moves kept)`` over the ``latest`` offers (plays Segue
    picked, listened to or skipped early) whose previous play in the session was kept: a
    stay is by that play's artist, a move by another. Only offers right after a keep
    count, so that both kinds are judged in like moments: once runs are offered, more of
    the moves come after a skip, and counting those made runs look better than they were
    to someone who did not want them. ``chosen``: :meth:`PlayLog.chosen` of the plays.
    Nothing without play sources."""
    if plays.source is None or len(plays) < 2:
        return 0, 0, 0, 0
    session = plays.session_id
    i = _latest_offers(chosen, latest, lambda j: (j >= 1) & (rows[j - 1] >= 0) & (fb[j - 1] > 0)
                       & (session[j] == session[np.maximum(j - 1, 0)]) & (rows[j] >= 0) & (fb[j] != 0))
    kept = fb[i] > 0
    stay = (art[i] >= 0) & (art[i] == art[i - 1])
    move = ~stay
    return int(stay.sum()), int((stay & kept).sum()), int(move.sum()), int((move & kept).sum())


def _replay_answers(plays: PlayLog, rows: np.ndarray, fb: np.ndarray, chosen: np.ndarray,
                    latest: int = STAY_OFFERS, horizon_s: float = REPLAY_HORIZON_S) -> tuple[int, int, int, int]:
    """``(replays, replays kept, new, new kept)`` over the ``latest`` offers (plays Segue
    picked, listened to or skipped early): a replay is an offer of a track the person
    listened to within ``horizon_s`` before it. Nothing without play sources."""
    if plays.source is None or not len(plays):
        return 0, 0, 0, 0
    # The latest offers, and the listened plays that may come before one of them within the
    # horizon (a second more: the keys below round to a fraction of one): sorting every
    # listened play of a long history cost 15 ms each song at 500,000 plays.
    offer = _latest_offers(chosen, latest, lambda j: (rows[j] >= 0) & (fb[j] != 0))
    if not len(offer):
        return 0, 0, 0, 0
    t = plays.started_at.astype(np.float64)
    heard = (rows >= 0) & (fb > 0) & (t >= t[offer].min() - horizon_s - 1.0)
    # Each listened play as one sortable key, track first and time second (times are
    # seconds, far below the 1e11 that separates tracks); the latest listened play of
    # the offered track before the offer is the key just below the offer's own.
    keys = np.sort(rows[heard].astype(np.float64) * 1e11 + t[heard])
    q = rows[offer].astype(np.float64) * 1e11 + t[offer]
    j = np.searchsorted(keys, q, side="left") - 1
    prev = keys[np.maximum(j, 0)] if len(keys) else np.zeros(len(q))
    replay = (j >= 0) & (np.floor(prev / 1e11) == rows[offer]) & (q - prev < horizon_s)
    kept = fb[offer] > 0
    return int(replay.sum()), int((replay & kept).sum()), int((~replay).sum()), int((~replay & kept).sum())


def _chosen_artists(plays: PlayLog, chosen: np.ndarray, fb: np.ndarray, art: np.ndarray,
                    artist: np.ndarray) -> tuple[np.ndarray, float]:
    """Per row, the listened plays of its artist that the person picked themselves, and the
    share of the latest ``SHARE_PLAYS`` plays heard in Segue (listened or skipped early)
    that Segue offered. Nothing without play sources, where no play says who picked it."""
    n = len(artist)
    if plays.source is None or not len(plays):
        return np.zeros(n, np.float32), 0.0
    here = (fb != 0) & ~plays.imported()
    if not here.any():
        return np.zeros(n, np.float32), 0.0
    mine = here & chosen & (fb > 0) & (art >= 0)
    per_artist = np.bincount(art[mine], minlength=max(1, int(artist.max(initial=-1)) + 1)).astype(np.float32)
    counts = np.where(artist >= 0, per_artist[np.maximum(artist, 0)], 0.0).astype(np.float32)
    latest = np.flatnonzero(here)[-SHARE_PLAYS:]
    return counts, float((~chosen[latest]).mean())


def _places(tracks: list | None, discs: list | None, n: int) -> np.ndarray:
    """Per row, its place on its album (disc * 1e6 + track; no disc number is disc 1), NaN
    where the track number is unknown (None, not a number, or below 1). [shape=(n,)] float64"""
    if tracks is None:
        return np.full(n, np.nan)

    def number(v) -> float:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return np.nan
        return x if np.isfinite(x) and x >= 1 else np.nan

    track = np.array([number(v) for v in tracks], np.float64)
    disc = np.ones(n) if discs is None else np.array([number(v) for v in discs], np.float64)
    return np.where(np.isnan(disc), 1.0, disc) * 1e6 + track


def _album_keys(albums: list, artists: list, album_by: list, places: list | None,
                order: np.ndarray) -> list[str | None]:
    """Per row, what identifies its album: its album artist (else its artist) and album
    title, so that two artists' "Greatest Hits" stay apart. Where the album ``places`` are
    known (a release id, else a folder):

    - an album title that one artist has several times ("Peter Gabriel", four albums) is
      split by place where its tracks take one disc and track number twice;
    - the tracks of one album title in one place that name no album artist, by several
      artists and numbered without a clash (a compilation or a duet tagged per track), are
      one album.
    """
    keys = [None if a is None else f"{by or art}\x1f{a}" for a, art, by in zip(albums, artists, album_by)]
    if places is None:
        return keys

    def groups(pairs) -> list[list[int]]:
        out: dict = {}
        for i, key in pairs:
            if key is not None:
                out.setdefault(key, []).append(i)
        return [rows for rows in out.values() if len(rows) > 1]

    def clash(rows: list[int]) -> bool:
        known = order[rows][np.isfinite(order[rows])]
        return len(np.unique(known)) < len(known)

    together = ((i, (places[i], a)) for i, a in enumerate(albums) if a is not None and places[i] and not album_by[i])
    for rows in groups(together):
        if len({artists[i] for i in rows}) > 1 and np.isfinite(order[rows]).all() and not clash(rows):
            for i in rows:
                keys[i] = f"\x1e{places[i]}\x1f{albums[i]}"
    for rows in groups(enumerate(keys)):
        if len({places[i] for i in rows}) > 1 and clash(rows):
            for i in rows:
                keys[i] = f"{keys[i]}\x1e{places[i] or ''}"
    return keys


def _album_order(album: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Per row, the row of the next track on its album by its ``place`` (``_places``); -1
    where the album, the number or a next track is unknown. Two tracks at one place (a song
    tagged twice, two editions merged into one album) follow each other in row order."""
    n = len(album)
    nxt = np.full(n, -1, np.int64)
    if not n:
        return nxt
    known = np.flatnonzero((album >= 0) & np.isfinite(place))
    order = known[np.lexsort((known, place[known], album[known]))]
    same = album[order[1:]] == album[order[:-1]]
    nxt[order[:-1][same]] = order[1:][same]
    return nxt


def _codes(values: list | None, n: int, *, key=normalize_name) -> tuple[np.ndarray, list[str]]:
    """Integer codes for string values (case- and space-insensitive, as ``key`` compares
    them: the first value of each is its name); None/"" -> -1."""
    if values is None:
        return np.full(n, -1, np.int32), []
    names: list[str] = []
    index: dict[str, int] = {}
    codes = np.full(n, -1, np.int32)
    for i, v in enumerate(values):
        if not v:
            continue
        same = key(str(v)) or " ".join(str(v).casefold().split())
        code = index.get(same)
        if code is None:
            code = index[same] = len(names)
            names.append(str(v).split("\x1f")[-1])
        codes[i] = code
    return codes, names


def _exact_codes(ids: list, titles: list) -> tuple[np.ndarray, list[str]]:
    """Integer codes for album ids taken as they are (None/"" -> -1), each named by the title
    of its first track: an id is not a name, and folding it as one would join two releases
    whose folders differ only by what a name's folding drops ("Hits", "Hits (Remastered)")."""
    names: list[str] = []
    index: dict = {}
    codes = np.full(len(ids), -1, np.int32)
    for i, v in enumerate(ids):
        if not v:
            continue
        code = index.get(v)
        if code is None:
            code = index[v] = len(names)
            names.append(str(titles[i] or ""))
        codes[i] = code
    return codes, names


def _unit_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def _reduce(m: np.ndarray, dims: int) -> np.ndarray:
    """Project rows of ``m`` [shape=(n, d)] on their top ``dims`` principal directions (d > dims)."""
    m = np.asarray(m, np.float32)
    if m.shape[1] <= dims or m.shape[0] <= dims:
        return m
    known = m[np.abs(m).sum(1) > 0]
    sample = known[np.random.default_rng(0).permutation(len(known))[:5000]]
    if len(sample) <= dims:
        return m
    _, _, vt = np.linalg.svd(_unit_rows(sample), full_matrices=False)
    return m @ vt[:dims].T.astype(np.float32)
