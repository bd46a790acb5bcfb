"""The app's recommender: :class:`player.recommendations.RecommendationProvider` for real.

Builds a :class:`recommender.catalog.Catalog` from the store (tracks, the
analysis's tags/embedding/bucket, the shipped priors, the play log), wraps it in a
:class:`recommender.rank.Recommender` with the latest local models, and answers
Up next, Radio, Discover and explanations. Qt-free: the UI calls it through
``run_task`` on worker threads, so every method is thread-safe; a rebuild happens
under a lock and the new recommender is swapped in with one assignment, so
callers keep using the previous one until the new one is complete.
"""

from __future__ import annotations

import errno
import itertools
import logging
import shutil
import sys
import threading
import time
from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from player import paths
from player.memory import release_free_memory
from player.library.names import Namer, title_disc
from player.recommendations import (LOSSY_SUFFIXES, AlbumIds, Rec, book_goes_on, genre_title, is_book,
                                    one_spelling, track_bucket)
from recommender.catalog import Catalog, PlayLog
from recommender.explain import genre_captions
from recommender.genres import UNTAGGED, assign_buckets
from recommender.local_models import TrainError, load_models_or_fall_back
from recommender.models.priors import prior_factors
from recommender.rank import NEW_RELEASE_AFTER_FIRST_S, NEW_RELEASE_S, Models, Recommender
from segue_common.normalize import first_of_artists, primary_artist, same_length, stands_in
from segue_common.works import work_of_track

log = logging.getLogger(__name__)
#: the track columns the catalogue needs: reading only these, not every column of every
#: track, keeps the window's memory down (about 60 MB less at 100,000 tracks)
CATALOG_COLUMNS = ("id", "path", "folder_id", "title", "artist", "albumartist", "albumartistsort", "album", "duration",
                   "genre", "year", "track_no", "disc_no", "mb_album_id", "compilation", "folder_compilation",
                   "added_at", "cue_sheet", "match_key", "rating", "own_rating", "composer", "work", "grouping",
                   "movement", "movementname")


def delete_local_models(models_dir: str | Path) -> None:
    """Remove every model trained from this person's plays (part of forgetting the history).

    A training in another process may be writing a run folder meanwhile (it finds the
    history gone and removes its own): a file it takes away, or one it adds while a folder
    is being deleted, is no failure, and the deletion is tried again. Anything else that
    cannot be deleted (a file held open by another program) raises: the person is told,
    not told the models are gone."""
    models_dir = Path(models_dir)

    def gone_meanwhile(_func, _path, exc) -> None:
        exc = exc[1] if isinstance(exc, tuple) else exc
        if not isinstance(exc, FileNotFoundError):
            raise exc

    for attempt in range(3):
        try:
            for child in models_dir.iterdir() if models_dir.exists() else ():
                if child.is_dir() and not child.is_symlink():
                    if sys.version_info >= (3, 12):
                        shutil.rmtree(child, onexc=gone_meanwhile)
                    else:
                        shutil.rmtree(child, onerror=gone_meanwhile)
                else:
                    child.unlink(missing_ok=True)
            return
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY or attempt == 2:
                raise


def read_features(store, track_ids: np.ndarray):
    """``(tags [n, 50] | None, embedding [n, d] | None, buckets list | None)`` aligned with ``track_ids``.

    Uses the analysis's store reader when it exists; tracks not
    analysed get zero rows (the ranker treats them as unknown).
    """
    reader = getattr(store, "features", None)
    if reader is None:
        return None, None, None
    try:
        feats = reader()
    except Exception:                     # analysis not run / schema mid-migration
        log.exception("could not read track features")
        return None, None, None
    get = (lambda k: feats.get(k)) if isinstance(feats, dict) else (lambda k: getattr(feats, k, None))
    ids = get("track_ids")
    if ids is None or len(ids) == 0:
        return None, None, None
    ids = np.asarray(ids, np.int64)
    pos = {int(t): i for i, t in enumerate(ids)}
    where = np.array([pos.get(int(t), -1) for t in track_ids], np.int64)
    have = where >= 0

    def spread(arr):
        if arr is None:
            return None
        arr = np.nan_to_num(np.asarray(arr, np.float32))
        out = np.zeros((len(track_ids), arr.shape[1]), np.float32)
        out[have] = arr[where[have]]
        return out

    raw_buckets = get("buckets") if get("buckets") is not None else get("bucket")
    buckets = None
    if raw_buckets is not None:
        buckets = [raw_buckets[w] if w >= 0 else None for w in where]
    return spread(get("tags")), spread(get("embedding")), buckets


def build_catalog(store, *, priors=None) -> tuple[Catalog, np.ndarray | None]:
    """The catalogue of playable tracks with features, priors and plays; and the prior factors.

    Tracks without tags get the names the window shows (file name as title, folder as
    album; see :mod:`player.library.names`), so explanations name them as the person
    sees them. Their "artist" for spacing and artist taste is their album folder, and
    they are never looked up in the shipped priors by a guessed name: a folder called
    "Soundtracks" or "Music 2009" is not an artist, and a category folder taken as one
    would make Up next keep a whole category apart as if it were one artist.
    """
    namer = Namer.of(store)
    ids: list[int] = []
    tagged_artists, artists, albums, titles, tag_titles, durations, genre = [], [], [], [], [], [], []
    years, album_artists, track_numbers, disc_numbers, places, album_ids, added = [], [], [], [], [], [], []
    named: list[bool] = []
    ratings: list[int | None] = []      # the stars another player gave each song (taste before plays)
    own_ratings: list[int | None] = []  # those the person gave here (their one star outweighs any play)
    composers: list[str | None] = []
    lossy: list[bool] = []      # an MP3 or other lossy file: of two copies of one song, the lesser
    works: list = []            # (work key, movement) of the movements of classical works, else None
    lately: list[tuple[int, str, float | None]] = []    # (index, match key, length): added within NEW_RELEASE_S
    since = time.time() - NEW_RELEASE_S
    # A few values per row, in chunks, one object per repeated name: holding every row (and
    # every copy SQLite makes of a name) at once would leave the window's memory fragmented
    # long after they are gone.
    shared: dict = {}
    one = shared.setdefault
    albums_of = AlbumIds()
    for chunk in store.library_row_chunks(CATALOG_COLUMNS):
        for r in chunk:
            names = namer(r)
            # (the first of several artists: a duet goes by its first, as it did when only the
            # first was read)
            tagged = first_of_artists(r["artist"] or r["albumartist"])
            tagged = one(tagged, tagged) if tagged else None
            # (a disc tagged as an album of its own, "The Wall (Disc 2)", is that disc of "The
            # Wall": Up next's album goes on from its first disc into its second)
            album, title_says = title_disc(names.album) if names.album else (None, None)
            album = one(album, album) if album else None
            ids.append(r["id"])
            tagged_artists.append(tagged)
            artists.append(tagged or album)
            albums.append(album)
            titles.append(names.title)
            tag_titles.append(r["title"])
            # (a CUE sheet's own title "Track 10": a song's name, not the one we list an untitled track as)
            named.append(r["cue_sheet"] is not None and stands_in(r["title"]) and not stands_in(
                r["title"], r["cue_sheet"], r["match_key"]))
            durations.append(r["duration"])
            lossy.append(r["path"].lower().endswith(LOSSY_SUFFIXES))
            # (the first of several composers: a work goes by its first, "Mozart; Süssmayr")
            composer = (r["composer"] or "").split("; ")[0].strip() or None
            composers.append(one(composer, composer) if composer else None)
            work = work_of_track(r, tagged)
            works.append(None if work is None else (one(work.key, work.key), work.movement))
            genre.append(track_bucket(r["genre"], r["path"]))
            years.append(r["year"])
            album_by = first_of_artists(r["albumartist"])
            album_artists.append(one(album_by, album_by) if album_by else None)
            track, disc = AlbumIds.numbers(r, title_says)
            track_numbers.append(track)
            disc_numbers.append(disc)
            place = r["mb_album_id"] or albums_of.folder(r["path"])
            places.append(one(place, place))
            albums_of.add(r, album, track, disc)
            added.append(r["added_at"])
            ratings.append(r["rating"])
            own_ratings.append(r["own_rating"])
            if r["added_at"] is not None and r["added_at"] > since and r["match_key"]:
                lately.append((len(added) - 1, r["match_key"], r["duration"]))
    # A song added lately whose other copy the library had before is gone now (the drive the
    # folder was copied from, taken away) came in with that copy: the rows of the copy were new
    # to the library, not the songs, and a loved artist's albums the person has had for years
    # were offered for weeks as just added.
    # (the library's first tracks are no news anyway: a first scan's 100,000 are not looked up)
    first = min((a for a in added if a is not None), default=0.0) + NEW_RELEASE_AFTER_FIRST_S
    lately = [(i, key, length) for i, key, length in lately if added[i] > first]
    if lately:
        had = store.missing_added_at({key for _, key, _ in lately})
        for i, key, length in lately:
            older = [when for other, when in had.get(key, ()) if same_length(length, other)]
            if older:
                added[i] = min(added[i], *older)
    album_ids = [one(a, a) if a else None for a in albums_of.finish()]
    del albums_of
    ids = np.array(ids, np.int64)
    genre = one_spelling(genre)
    tags, emb, buckets = read_features(store, ids)
    if buckets is None:
        buckets = genre
    else:
        # A genre tag is the person's own word for a track's kind: it names the track's
        # bucket, analysed or not, as it is now (a retag keeps the analysis and counts at
        # once), so Discover's rows keep their names once analysis is done, "Bollywood" and
        # "Reggae" as much as "Rock" (a tag that names one of the tagger's genres outweighs
        # what it hears anyway). What the tagger heard names the bucket of an analysed track
        # without a genre tag.
        heard = np.array([b is not None and g == UNTAGGED for b, g in zip(buckets, genre)])
        heard &= tags.any(axis=1) if tags is not None else False
        buckets = list(genre)
        if heard.any():
            at = np.flatnonzero(heard)
            for i, b in zip(at, assign_buckets(tags[at], [None] * len(at))):
                buckets[i] = b
    prior = None
    if priors is not None and len(ids):
        prior, _ = prior_factors(priors, tagged_artists, tag_titles, tags)
    # The tags served the priors above; the ranker does not use them, so the catalogue
    # (which the window holds all along) does not keep them.
    plays = PlayLog.from_rows(store.plays())
    # (one song in several files, told as Up next and shuffle tell them: found by the stored
    # match key's index, not by keying every title again)
    recording_of = store.shared_recording_keys()
    cat = Catalog.build(track_ids=ids, artists=artists, albums=albums, titles=titles, durations=durations,
                        embedding=emb, tags=None, buckets=buckets, factors=prior,
                        plays=plays, years=years, album_artists=album_artists,
                        track_numbers=track_numbers, disc_numbers=disc_numbers, album_places=places,
                        album_ids=album_ids,
                        outside=outside_counts(store, tagged_artists),
                        gone=gone_counts(store, plays, tagged_artists, buckets),
                        artists_guessed=[t is None for t in tagged_artists], added=added, titles_named=named,
                        ratings=ratings, own_ratings=own_ratings, composers=composers, works=works,
                        recordings=[recording_of[t][0] if t in recording_of else None for t in ids.tolist()],
                        lossy=lossy)
    return cat, prior


def outside_counts(store, artists: list[str | None]) -> np.ndarray | None:
    """``[n, 2]`` per track: the plays of an imported history naming its artist that were
    heard and that were skipped (a song heard in stretches, several rows, is one), or None
    without a history.

    The artist is the track's tag, keyed as the importer keys each row's artist (its first
    credited artist, normalised), so "The Beatles" tagged here meets "Beatles" or "The
    Beatles feat. X" in the export. An untagged track has no artist to meet: its folder's
    name is no artist anyone listened to elsewhere.
    """
    counts = store.imported_artist_counts()
    if not counts:
        return None
    out = np.zeros((len(artists), 2), np.float32)
    by_name: dict[str, tuple[int, int]] = {}
    for i, name in enumerate(artists):
        if not name:
            continue
        got = by_name.get(name)
        if got is None:
            plays, skips = counts.get(primary_artist(name), (0, 0))
            got = by_name[name] = (plays - skips, skips)
        out[i] = got
    return out


def gone_counts(store, plays: PlayLog, artists: list[str | None], buckets: list[str]) -> np.ndarray | None:
    """``[n, 4]`` per track: the plays heard of its artist's songs that the library no longer
    plays (deleted, unreadable) and the taste they add up to, then the same of its genre's;
    None where none were played.

    Their plays leave the catalogue with them, and with them the person's taste: someone
    whose played songs were all deleted got Up next from anywhere in the library, though it
    still held other songs of the artists and genres they played. Each gone song weighs as
    it did in the library (``log1p(heard) - 1.5 * log1p(skipped)``, summed over the songs):
    counted over all of an artist's plays at once, an album re-ripped or moved off the
    library weighed a sixth of what it did (twelve songs heard ten times each, 4.8 against
    28.8), and a few songs of another genre heard since outweighed it. Artists are keyed as
    :func:`outside_counts` keys them (an untagged song has none to meet); genres by the
    bucket their tag falls in, a book's as a book (``buckets``: each track's, by :func:`track_bucket`).
    """
    gone = store.gone_played_tags()
    if not gone or not len(plays):
        return None
    at = np.flatnonzero(np.isin(plays.track_id, np.fromiter(gone, np.int64, len(gone))))
    fb = plays.feedback()
    songs: dict[int, list[int]] = {}
    for t, f in zip(plays.track_id[at].tolist(), fb[at].tolist()):
        if f:
            songs.setdefault(t, [0, 0])[f < 0] += 1
    by_artist: dict[str, list[float]] = {}
    by_genre: dict[str, list[float]] = {}
    for t, (heard, skipped) in songs.items():
        taste = float(np.log1p(heard) - 1.5 * np.log1p(skipped))
        artist, genre, path = gone[t]
        name = first_of_artists(artist) if artist else None
        keys = []
        if name:
            keys.append(by_artist.setdefault(primary_artist(name), [0.0, 0.0]))
        bucket = track_bucket(genre, path)     # (a book by its container, as the library's tracks are)
        if bucket != UNTAGGED:
            keys.append(by_genre.setdefault(bucket.casefold(), [0.0, 0.0]))
        for got in keys:
            got[0] += heard
            got[1] += taste
    if not by_artist and not by_genre:
        return None
    # Each artist and genre keyed once, then only the tracks of those the gone songs had are
    # written: a step per track, for every track, took a tenth of a second at 100,000 tracks.
    out = np.zeros((len(artists), 4), np.float32)
    for values, at, keys in ((artists, slice(0, 2), {name: by_artist.get(primary_artist(name))
                                                     for name in set(artists) if name}),
                             (buckets, slice(2, 4), {b: by_genre.get(b.casefold())
                                                     for b in set(buckets) if b and b != UNTAGGED})):
        keys = {k: v for k, v in keys.items() if v is not None}
        if keys:
            index = {k: i for i, k in enumerate(keys)}
            of = np.fromiter(map(index.get, values, itertools.repeat(-1)), np.int64, len(values))
            hit = of >= 0
            out[hit, at] = np.array(list(keys.values()), np.float32)[of[hit]]
    return out


def _first_changing(plays: PlayLog, none_before: int | None = None) -> int | None:
    """The smallest play id of ``plays`` that may still change: the latest logged (a song left
    playing at the close goes on in its row) or one still playing. ``none_before``: the log
    holds no such play below it (``plays`` are those read from there on; it is kept where
    they are none, a forget meanwhile). None without ids."""
    if plays.play_id is None:
        return None
    if not len(plays):
        return none_before
    return int(min(plays.play_id.max(), plays.play_id[plays.ended == "playing"].min(initial=plays.play_id.max())))


def load_shipped_priors():
    """The shipped CF priors, or None when they are not installed (audio-only cold start)."""
    try:
        from recommender.models.priors import PriorsError, load_priors
    except ImportError:
        return None
    try:
        return load_priors(paths.shipped_models_dir())
    except (PriorsError, OSError, ValueError) as exc:
        log.warning("no CF priors: %s", exc)
        return None


#: While the library keeps changing (a long scan writes every second or so), a new catalogue
#: is read at most this often, or ten times the last build's time, whichever is longer: a
#: build takes 2.6 s at 100,000 tracks, and built for every call after each write (each
#: Up next refill, Radio top-up and Discover) it kept a core busy for the whole of a
#: half-hour scan. Ten times its time keeps building to a tenth of one core at most, and
#: fifteen seconds is about how soon a person who just added an album looks for it in
#: Discover or Up next. A song asked for by name (Radio from it, the song just played,
#: its reasons) is built for at once, and a song the library lost meanwhile is never offered.
SETTLE_S = 15.0
SETTLE_BUILDS = 10.0


class RecommenderService:
    """Up next, Radio, Discover and reasons from the person's own library and plays.

    ``settle_s``: the least time between two catalogues read for changes of the library (see
    :data:`SETTLE_S`); 0 reads a new one on every call after a change."""

    def __init__(self, store, *, models_dir: str | Path | None = None, priors="shipped",
                 settle_s: float = SETTLE_S):
        self.store = store
        self.settle_s = settle_s
        self.models_dir = Path(models_dir) if models_dir else paths.local_models_dir()
        self._priors_arg = priors
        self._priors_loaded = priors != "shipped"
        self._lock = threading.RLock()
        self._rec: Recommender | None = None
        self._plays_seen = -1
        self._reread_from: int | None = None     # the plays from this id on may change: see _refresh_plays
        self._imports_seen: tuple[int, int, int] | None = None
        self._rewritten_seen = -1        # the store's rewritten_stamp as the plays were last read whole
        self._library_seen: int | None = None    # the store's library_stamp the catalogue was read at
        self._dirty = True
        self._builds = 0                # catalogues built: tracks may have come since the last one
        self._build_s = 0.0             # how long the last one took to read
        self._following: tuple | None = None    # (when a catalogue read for a library change landed, _settled then)
        self._settled = 0               # scans ended (library_settled): a catalogue begun before one follows none
        self._gone: tuple | None = None     # ((stamp read at, stamp now), songs it holds the library lost)
        # Each build takes a number as it starts; a build lands only if none started after it
        # landed first (it would swap older models or plays back in).
        self._numbers = threading.Lock()
        self._started = 0
        self._landed = 0
        self._heard = 0         # player events that changed the plays: one during a build is not in it
        self._reloading = threading.Lock()     # one reload at a time: each holds a catalogue
        self._never: tuple | None = None    # ((stamp, builds), track ids no suggestion offers)

    @property
    def priors(self):
        """The shipped priors (read on a worker: never on the GUI thread). Read again for each
        catalogue rather than kept: they are only needed while one is built, and holding
        them would cost the window about 20 MB for as long as it runs."""
        if not self._priors_loaded:
            return load_shipped_priors()
        return self._priors_arg

    # -- state ------------------------------------------------------------------
    def recommender(self, need: Collection[int] = ()) -> Recommender:
        """The current recommender, rebuilt first if the library or the plays changed (a
        change of the library's songs alone waits while they keep changing: see :data:`SETTLE_S`).
        ``need``: songs the call is about; one the library plays and the catalogue lacks is
        built for at once."""
        return self._serving(need)[0]

    def _serving(self, need: Collection[int] = ()) -> tuple[Recommender, int | None]:
        """:meth:`recommender` and the library stamp its catalogue was read at."""
        rec = self._rec
        # An import (from the window or from ``segue import`` in a terminal) may add only
        # rows the library has no song for: no new plays, yet new taste (build_catalog).
        imports = self.store.imports_stamp()
        # Tracks written since the catalogue was read (a scan still under way, one in a terminal,
        # a folder renamed and its tracks renumbered) make a new one: a song added since
        # the last training had no station, no place in Up next or Discover, and its plays and
        # skips counted for nothing until the scan ended, or until the next training.
        library = self.store.library_stamp()
        started = self._started     # (after the stamps: a build numbered above read them later)
        if rec is not None and not self._dirty and self.store.play_count() == self._plays_seen \
                and imports == self._imports_seen and self.store.rewritten_stamp() == self._rewritten_seen \
                and library == self._library_seen and self._rec is rec:
            # (the last test: a catalogue landed since ``rec`` was taken set the stamp compared,
            # and served with it ``rec`` counted nothing lost between the two as gone)
            return rec, library
        with self._lock:
            # A build that started after this call read the stamps and landed while it waited for
            # the lock read the library and the imports as they were when this call was made, or
            # later: this call takes it. Comparing the stamps again instead built once more
            # whenever the scan wrote (or an import landed) during that build, and so each call
            # queued behind the one before had to wait for a build of its own (seconds apiece
            # at 100,000 tracks).
            covered = self._landed > started
            stale = library != self._library_seen and not covered
            imported = imports != self._imports_seen and not covered
            if self._rec is None or self._dirty or imported or (stale and not self._may_wait(need)):
                for_change = not (self._rec is None or self._dirty or imported)
                # (read before the build reads the library: a scan that ends while it is read may
                # write after that, and its last songs must not wait for the next window)
                settled = self._settled
                self._rebuild()
                if for_change:
                    self._following = (time.monotonic(), settled)
            elif self.store.play_count() != self._plays_seen or self.store.rewritten_stamp() != self._rewritten_seen:
                self._refresh_plays()
            return self._rec, self._library_seen

    def _may_wait(self, need: Collection[int]) -> bool:
        """Whether the catalogue may serve on though the library changed since it was read: the
        one before was read for a change of the library too, not long ago (the library keeps
        changing: a scan under way), and it holds each song of ``need`` the library plays."""
        every = max(self.settle_s, SETTLE_BUILDS * self._build_s) if self.settle_s > 0 else 0.0
        following = self._following
        if following is None or following[1] != self._settled or time.monotonic() - following[0] >= every:
            return False
        cat = self._rec.catalog
        lacking = [t for t in need if cat.row(t) < 0]
        return not (lacking and self.store.library_order_of(lacking))

    def library_settled(self) -> None:
        """A scan ended: the next call reads a new catalogue if the library changed since the
        one it has was read, at once; if not, none (the library's stamp tells). The GUI thread
        calls it, with no lock (a build holds that for seconds): a build under way as the scan
        ends may have read the library before its last writes, and landing after this it set
        the catalogue as following again, so the scan's last songs waited out a whole window;
        a count read before each build tells it the scan ended meanwhile."""
        self._settled += 1
        self._following = None

    def _gone_since(self, rec: Recommender, seen: int | None) -> frozenset[int]:
        """The songs of ``rec`` (read at library stamp ``seen``) the library no longer plays:
        deleted, missing or unreadable since. Read again at each change of the stamp, for the
        tracks written since the last read alone: reading every track written since ``seen``
        each time cost about as much as the catalogue it spares once a bulk change (a folder
        renamed, every file's tags read again) had rewritten most of the library, and the
        wait goes on while the library keeps changing, so that was paid at every write."""
        now = self.store.library_stamp()        # (first: a write meanwhile reads them again)
        if seen is None or now == seen:
            return frozenset()
        kept = self._gone
        if kept is not None and kept[0] == (seen, now):
            return kept[1]
        if kept is not None and kept[0][0] == seen and seen < kept[0][1] < now:
            since, gone = kept[0][1], kept[1]
        else:                   # (another catalogue, or a stamp gone back: a database put back)
            since, gone = seen, frozenset()
        changed = {t for t in self.store.library_changed_ids(since) if rec.catalog.row(t) >= 0}
        if changed:
            # A song back since (a disk connected again, a file fixed) is offered again.
            gone = (gone - changed) | (changed - set(self.store.library_order_of(list(changed))))
        self._gone = ((seen, now), gone)
        return gone

    def _rebuild(self) -> None:
        self._land(*self._build())

    def _build(self) -> tuple:
        """A new recommender from the store and the latest models, not swapped in yet; any
        thread, with or without the lock (a reload builds without it)."""
        release_free_memory()       # first too: the build reuses what the caches held
        began = time.monotonic()
        with self._numbers:
            self._started += 1
            number, was_dirty, heard = self._started, self._dirty, self._heard
            # Changes from here on are not sure to be read: they leave it to rebuild again.
            self._dirty = False
        try:
            imports = self.store.imports_stamp()     # before reading: an import meanwhile rebuilds again
            library = self.store.library_stamp()     # (and so a scan meanwhile)
            rewritten = self.store.rewritten_stamp()  # (older plays changed meanwhile: see _refresh_plays)
            cat, _ = build_catalog(self.store, priors=self.priors)
            # Compact: the window holds this for as long as it runs (51 MB less at 100,000
            # tracks with trained models); new models mean a new catalogue (reload_models).
            rec = Recommender(cat, self._load_models(cat)).compact()
            self._build_s = time.monotonic() - began
        except BaseException:
            self._dirty = self._dirty or was_dirty
            raise
        return number, rec, imports, heard, rewritten, library

    def _land(self, number: int, rec: Recommender, imports, heard: int, rewritten: int, library: int) -> None:
        """Swap in a recommender :meth:`_build` made, unless a later build landed first."""
        with self._lock:
            if number > self._landed:
                self._rec, self._landed = rec, number
                # A song that ended while it was built (the same number of plays: a skip) is
                # read again on the next call, as it would have been without the build.
                self._plays_seen = len(rec.catalog.plays) if heard == self._heard else -1
                self._reread_from = _first_changing(rec.catalog.plays)
                self._imports_seen = imports
                self._rewritten_seen = rewritten
                self._library_seen = library
                self._builds += 1
                self._following = None      # (the caller that built it for a change says so)
        release_free_memory()       # what the build used and freed (tens of MB at 100,000 tracks)

    def _refresh_plays(self) -> None:
        """Bring the play log up to date: only the plays that may have changed since it was
        read are read again, by their ids (the store gives them in the order they were
        logged, whenever they began), so a skip costs milliseconds at 100k plays. Those are
        the plays logged since (the latest one read too: a song left at the close goes on in
        its row, moved to the session of now) and those still playing (their ending and time
        heard). A window of the last hours missed what changed before it: a play written
        late (kept in memory while the disk was full) began hours back, so each one read the
        whole log again (0.4 s at 100k plays); and once the clock was set back a week, each
        song read again every play since the new "now". A play older than those that changes
        (a song left at a close resumed after ``segue play`` logged plays; a scan in a
        terminal merging a track or linking imported plays) changes below them: the store
        says so (``rewritten_stamp``), and the whole log is read again."""
        rec = self._rec
        old = rec.catalog.plays
        rewritten = self.store.rewritten_stamp()     # before reading: a change meanwhile reads all again
        count = self.store.play_count()
        log_ = None
        if len(old) and count >= len(old) and old.play_id is not None and self._reread_from is not None \
                and rewritten == self._rewritten_seen:
            fresh = PlayLog.from_rows(self.store.plays(from_id=self._reread_from))
            kept = old.play_id < self._reread_from
            n = int(np.count_nonzero(kept))
            merged = old.subset(slice(0, n) if kept[:n].all() else kept).concat(fresh)
            if len(fresh) and n and float(fresh.started_at.min()) < float(merged.started_at[n - 1]):
                # Some began before plays kept (written late, or under a clock set back): into
                # their place in time, as the store orders a whole read.
                merged = merged.subset(np.lexsort((merged.play_id, merged.started_at)))
            if len(merged) == count:
                log_ = merged
        if log_ is None:
            log_ = PlayLog.from_rows(self.store.plays())
            self._reread_from = _first_changing(log_)
            self._rewritten_seen = rewritten
        else:
            self._reread_from = _first_changing(fresh, self._reread_from)
        # A new object, swapped in: a radio refill ranking with the old one on another
        # thread keeps a consistent view of the plays.
        self._rec = rec.with_plays(log_)
        self._plays_seen = len(log_)
        release_free_memory()

    def _load_models(self, cat: Catalog) -> Models:
        try:
            return load_models_or_fall_back(self.models_dir, cat)
        except TrainError:
            log.exception("local models unreadable; using priors and audio")
            return Models()

    def invalidate(self) -> None:
        """Something the store's stamps do not tell changed (the analysis's features): rebuild
        on the next call. A scan's end needs none: the library's stamp tells whether it changed
        what the catalogue holds (see :meth:`library_settled`)."""
        self._dirty = True

    def reload_models(self) -> dict:
        """Load the latest local models and swap them in; the old ones serve until then.

        Built outside the lock: under it, every Up next, Radio and Discover asked after a
        song started or ended waited for the whole catalogue to be built again (2.6 s at
        100,000 tracks), where the old recommender, its plays read again, could answer."""
        # (a new catalogue: the compacted one lost the priors the models are laid over)
        with self._reloading:
            built = self._build()
            self._land(*built)
            return (self._rec or built[1]).models.info

    def on_player_event(self, event: str, data: dict) -> None:
        """A :class:`player.playback.Player` listener: plays change the person's taste.

        A start counts too: a song resumed from the last run goes on in its old row, which
        adds no play to count, yet may move it to the session of now (see
        :meth:`player.store.plays.PlaysMixin.resume_play`); the session in progress is the
        latest play's, so until the plays are read again it would be the old one, its skips
        taken for today's. So does a song resumed after a pause as long as the session gap,
        which goes on in the session of now (``new_session``; see
        :meth:`player.store.plays.PlaysMixin.resume_paused_play`)."""
        if event in ("track_ended", "track_started") or (event == "state_changed" and data.get("new_session")):
            self._heard += 1
            self._plays_seen = -1          # next call refreshes the plays (cheap)

    def forget_history(self) -> bool:
        """Delete every play, session, training record and the local models trained from them.
        Returns whether the history is gone from the library's files too (see
        :meth:`player.store.plays.PlaysMixin.forget_history`)."""
        with self._lock:
            cleaned = self.store.forget_history()
            delete_local_models(self.models_dir)
            self._rec, self._dirty = None, True
            with self._numbers:
                self._landed = self._started     # a build that read the history before does not land
            return cleaned

    # -- the surfaces ------------------------------------------------------------
    def _session_skips(self, rec: Recommender, session_track_ids: list[int]) -> tuple[list[int], int]:
        """Tracks of this session the person skipped early, in play order, and how many of
        the latest ended plays were early skips in a row (the track playing now, not ended
        yet, and plays that say nothing, such as errors, neither count nor break the run)."""
        return self._session_plays(rec, session_track_ids)[:2]

    def _session_plays(self, rec: Recommender, session_track_ids: list[int]) -> tuple[list[int], int, list[int]]:
        """``_session_skips``, and the tracks of this session the person chose and heard
        through, in play order: not the track playing now, nor one Segue offered (it may
        have played to an empty room), which would take back the skips of its artist."""
        p = rec.catalog.plays
        if not len(p) or not session_track_ids:
            return [], 0, []
        mask = p.session_id == p.session_now()
        # The catalogue's feedback of its plays, worked out once per play log: working it out
        # again for each call cost 50 ms at 500,000 plays, most of an Up next with nothing new.
        fb = rec.catalog.play_feedback[mask]
        chosen = rec.catalog.play_chosen[mask]
        tracks = p.track_id[mask]
        if p.play_id is not None:
            # As they were logged, not as their times fall: a clock put back by minutes leaves
            # the session going on, and its plays of now before the ones it began with.
            order = np.argsort(p.play_id[mask], kind="stable")
            fb, chosen, tracks = fb[order], chosen[order], tracks[order]
        wanted = set(int(t) for t in session_track_ids)
        skipped = [int(t) for t, f in zip(tracks, fb) if f < 0 and int(t) in wanted]
        heard = [int(t) for t, f, c in zip(tracks, fb, chosen) if f > 0 and c and int(t) in wanted]
        streak = 0
        for f in fb[::-1]:
            if f > 0:
                break
            streak += int(f < 0)
        return skipped, streak, heard

    def _left_out(self) -> frozenset[int]:
        """``store.left_out_ids()``: never to suggest, or of a folder away; read again only
        when its stamp or the catalogue changed."""
        key = (self.store.left_out_stamp(), self._builds)
        kept = self._never
        if kept is None or kept[0] != key:
            kept = self._never = (key, frozenset(self.store.left_out_ids()))
        return kept[1]

    def _never_suggested(self, rec: Recommender | None = None, seen: int | None = None) -> frozenset[int]:
        """The tracks no suggestion offers: those the person asked never to be suggested,
        those of a library folder the last scan found away (an unplugged disk), which would not
        play, and those of ``rec`` (read at library stamp ``seen``) the library lost since. A
        stamp of the first two is read on every call, so a change holds at once, with no rebuild
        and no training; the tracks (a read of the whole library when an artist is named) are
        read again only when it changed or a new catalogue may hold new songs of an artist."""
        never = self._left_out()
        # A book or a mix the person is part-way through is theirs to go on with when they
        # pick it: a suggestion plays it from its start, between songs, and a long listen
        # there moves the place they left it at. (A few rows: read on every call.)
        never = never | self.store.resume_position_ids()
        return never | self._gone_since(rec, seen) if rec is not None else never

    def up_next(self, session_track_ids: list[int], k: int, *, exclude: set[int] = frozenset(),
                passed: Collection[int] = frozenset(), ends_kept: Sequence[tuple] = ()) -> list[Rec]:
        book = self._book_goes_on(session_track_ids, exclude, passed)
        if book:
            return book[:k] if k > 0 else []
        rec, seen = self._serving(list(session_track_ids)[-1:])      # (Up next follows the latest)
        skipped, streak, heard = self._session_plays(rec, list(session_track_ids))
        # The latest ends, kept while the library is busy, are not in the log yet: without them
        # Up next went on with the songs just skipped until the library took them, where the
        # station, which reads the player's memory, had moved away at once. (Kept plays are
        # written in order, after every play the log holds.)
        wanted = set(session_track_ids)
        for track, said, _ in self._ends_not_logged(rec, ends_kept):
            if said < 0 and track in wanted:
                skipped.append(track)
                streak += 1
            elif said > 0:
                streak = 0
        why: dict = {}          # what put each of the later places' songs there, for their reasons
        got = rec.up_next(list(session_track_ids), k, exclude=list(exclude), skipped=skipped, streak=streak,
                          never=sorted(self._never_suggested(rec, seen) | set(passed)), heard_through=heard, why=why)
        # (the reasons name the session's latest song the catalogue still has, as the picks
        # follow it: after a song deleted since it was heard they said only "from your library")
        last = next((t for t in reversed(session_track_ids) if rec.catalog.row(t) >= 0), None)
        ctx = f"after:{last}" if last is not None else ""
        return [Rec(t, rec.explain(t, ctx, why.get(t)), s) for t, s in got]

    @staticmethod
    def _ends_not_logged(rec: Recommender, ends_kept: Sequence[tuple]) -> list[tuple]:
        """The ends kept that the play log read for ``rec`` does not hold as ended: the library
        may have taken them after they were read and before the log was read again (a build
        holds that read for seconds), and each one then counted twice. Their ids are read now,
        after the log: the write gives a kept play its id before it writes the end."""
        p = rec.catalog.plays
        ids = {kept.play_id for _, _, kept in ends_kept if kept.play_id is not None}
        if not ids or not len(p) or p.play_id is None:
            return list(ends_kept)
        at = np.isin(p.play_id, list(ids))
        logged = {int(i) for i, e in zip(p.play_id[at], p.ended[at]) if e != "playing"}
        return [end for end in ends_kept if end[2].play_id not in logged]

    def _book_goes_on(self, session_track_ids, exclude, passed) -> list[Rec]:
        """Where the session's latest track is a chapter of a book, the book's chapters after
        it, in order (:func:`~player.recommendations.book_goes_on`): the learning recommender
        picks songs by taste, and a chapter left part-way, kept out of its suggestions, was
        passed over for the one after it."""
        last = next((t for t in reversed(session_track_ids) if t is not None), None)
        row = self.store.track(last) if last is not None else None
        if row is None or not is_book(track_bucket(row["genre"], row["path"])):
            return []       # (the latest track's row tells: nothing more is read after a song)
        got = book_goes_on(self.store, list(session_track_ids), skip={*exclude, *passed}, never=self._left_out())
        said = f"next in the book after {row['title'] or 'the last chapter'}"
        return [Rec(t, said, 1.0 / (1 + i)) for i, t in enumerate(got)]

    def radio(self, seed_track_id: int, k: int, *, exclude: Collection[int] = (),
              skipped: list[int] = (), streak: int = 0, passed: Collection[int] = frozenset()) -> list[Rec]:
        rec, seen = self._serving([seed_track_id])
        if rec.catalog.row(seed_track_id) < 0:
            return []
        got = rec.radio(seed_track_id, k, exclude=list(exclude), skipped=list(skipped), streak=streak,
                        never=sorted(self._never_suggested(rec, seen) | (set(passed) - {seed_track_id})))
        return [Rec(t, rec.explain(t, f"radio:{seed_track_id}"), s) for t, s in got]

    def discover(self, k_per_bucket: int, *, today: date | None = None) -> dict[str, list[Rec]]:
        """What the person asked never to suggest is left out as the rows are picked: they
        stay as long as asked for, and are asked for no longer (picking a longer row to
        filter it afterwards costs far more, with the square of its length).

        The rows are the day's by the clock, not by the latest play: someone who opened
        Discover on days they played nothing saw the same rows each day, for as long as
        they did not play. ``today``: the day to show, by default the clock's (local) day."""
        rec, seen = self._serving()
        day = (today or date.today()).toordinal()
        rows = rec.discover(k_per_bucket, never=sorted(self._never_suggested(rec, seen)), day=day)
        return {b: [Rec(t, self._discover_reason(rec, t, b), s) for t, s in row] for b, row in rows.items()}

    @staticmethod
    def _discover_reason(rec, track_id: int, bucket: str) -> str:
        """A Discover tile's reason; in the row of many small genres, with its own genre in
        front (the row's heading names none), and so in the row of one artist's genres for
        the songs of a genre other than the one that heads it."""
        why = rec.explain(track_id, f"discover:{bucket}")
        cat = rec.catalog
        b = cat.bucket[cat.row(track_id)]
        if b < 0 or cat.bucket_names[b] in (UNTAGGED, bucket):
            return why
        genre = genre_title(cat.bucket_names[b])
        return f"{genre} · {why}" if why else genre

    def discover_captions(self, buckets) -> dict[str, str]:
        """Discover's row captions: ``bucket -> what it says of the genre`` (see
        :func:`recommender.explain.genre_captions`)."""
        return genre_captions(self.recommender(), buckets)

    def explain(self, track_id: int, context: str = "") -> str:
        return self.recommender([track_id]).explain(track_id, context)
