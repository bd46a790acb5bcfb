"""The incremental library scanner.

Walks the configured folders, reads tags of new or changed files (same size and
mtime means unchanged: the file is not reopened, unless the tag reader's handling of its
type changed since the folder's last scan, or its change mark moved (see
``segue_common.file_stamp``): a tagger told to keep a file's modification time sets it back
after saving, and only that mark tells), upserts them in batches,
flags vanished files as missing (their plays stay), and re-attaches a file that
moved to its old track when it identifies it: the same file (size and modification
time), the same MusicBrainz recording, or the same tags, each within a second of its
length; or, moved with its artist tag corrected on the way, the same audio (title, album,
place and format as they were, its exact length, its size give or take a tag rewrite), when
it is the only such file for the only such track; likewise an untagged file tagged and moved
(its format, exact length and size; a compressed one, tagged since). A track that went missing after an
identical copy of its file was already scanned (a library copied to a new disk before the
old one was removed, a scan stopped half-way through a reorganisation) gives its history
to that copy at a later scan.

What the scan cannot see is not taken for gone: a library folder that is not there, or
that is there but empty (the mount point of a share or disk that is not connected), one
that goes away during the scan (a share that drops), a folder that cannot be read
(permissions, a share answering with errors), and a link that leads nowhere now (to a
share not mounted) leave their tracks as they were. The same disk or share mounted at another place
(/media/user/Drive1 for Drive, D: for E:) and that place added: where the old folder is not
there, each track moves to its file at the new place, with its history (the same file only:
its size and modification time). A file that now holds another song (other tags and another length
at the same path: a re-rip saved over it, two files that swapped names) is a new track;
the old one, with its plays, is missing until the file it went to is found.

One rule: every file is either a track or an error row, never an exception out
of the scan. A file that cannot be read (damaged, not audio, a named pipe, a
value the database cannot hold) is stored with its error and not retried until it
changes (or, where its error says it needs ffmpeg, until a scan finds ffmpeg); one bad
file costs only itself. One file is one track, whatever the paths
to it: symlinked folders and hard links are followed, and the same file (device and
inode; on Windows the volume and file id) is kept once, at its real path when the
library holds that path.
"""

from __future__ import annotations

import bisect
import filecmp
import logging
import os
import stat as stat_mod
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from player.history.importer import link_unmatched
from player.library import reader_version
from player.library.albums import RULE_COLUMNS, folder_compilations
from player.library.cue import CueError, albums_in_sheets, audio_files, audio_path, parse_sheet, read_sheet, track_rows
from player.library.identity import COUNTED_BEFORE_MTIME, ESTIMATED_MTIME, UNCOUNTED_MTIMES, file_identity
from player.library.skip import conflict_copy_of, extension, hidden_name, name_key, skipped_name
from player.library.tags import AUDIO_EXTENSIONS, MAX_DURATION_S, TagReadError, read_tags
from player.memory import let_go as _let_go
from player.store import Store
from player.store.tracks import TRACK_FIELDS
from segue_common.audio_io import INSTALL_FFMPEG, count_frames, ffmpeg_complete
from segue_common.file_stamp import change_mark, mark_moved
from segue_common.regular_file import kind
from segue_common.text import shown

log = logging.getLogger(__name__)

BATCH = 250
MOVE_DURATION_TOLERANCE_S = 1.0
#: a file moved with its artist tag corrected: its length as it was, to within this
SAME_AUDIO_LENGTH_S = 0.01
#: ...and its size, to within what a tagger's rewrite of the tags (new padding) moves it by
RETAG_SIZE_SLACK = 64 * 1024
RETAG_SIZE_FRACTION = 0.01
#: error paths kept in the progress for display (the store keeps every one)
MAX_ERROR_PATHS = 1000


@dataclass
class ScanProgress:
    """Counts reported while scanning: the folders are listed first, so ``total`` (the
    audio files found) is known before files are read and ``done`` counts up to it."""

    seen: int = 0
    total: int = 0
    done: int = 0
    read: int = 0
    reread: int = 0          # of ``read``: unchanged files read again by a newer tag reader
    #: of ``read``: unchanged files read again because ffmpeg, missing when they were read, is found now
    ffmpeg_found: int = 0
    #: of ``read``: files of the library read again that held what their track had (a file
    #: touched, its permissions changed, a reader that reads it as before): only their times
    #: were written, and nobody need hear of them
    same: int = 0
    unchanged: int = 0
    errors: int = 0
    missing: int = 0
    moved: int = 0
    linked: int = 0          # plays made of imported listens, of the tracks this scan added
    playlist_links: int = 0  # playlist entries that name a track this scan added
    duplicates: int = 0
    #: files listed at an estimated length being counted after every file is listed (see
    #: Scanner._count_lengths), and how many of them are counted so far: ``done`` stands at
    #: ``total`` meanwhile, and the count can take minutes
    counting: int = 0
    counted: int = 0
    folder: str = ""
    finished: bool = False
    error_paths: list[tuple[str, str]] = field(default_factory=list)
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)   # library folders not there (an unplugged disk)
    away_changed: bool = False      # a library folder went away or came back since the scan before
    back: list[str] = field(default_factory=list)          # library folders found again (a disk connected)
    #: tracks that no longer exist -> the track that holds their file and history now (a
    #: file new in this scan that was a moved one, a duplicate merged): a queue that took the
    #: new row while the scan ran follows it
    renumbered: dict[int, int] = field(default_factory=dict)


ProgressCallback = Callable[[ScanProgress], None]


class ScanCancelled(Exception):
    pass


@dataclass(slots=True)
class FoundFile:
    """One audio file found by :func:`find_audio`.

    ``st`` is its stat (following links); ``error`` says why it cannot be a track
    (not a regular file) and is None for ordinary files.
    """

    path: str
    root: str
    st: os.stat_result
    key: tuple[int, int | str]
    error: str | None = None


#: What a track takes from its file's tags, as against where the file is and its times: a file
#: read again that gives the same values changed nothing the person sees.
_TAG_FIELDS = tuple(f for f in TRACK_FIELDS if f not in ("path", "folder_id", "size", "mtime_ns", "ctime_ns"))


#: whether a file that cannot be looked at (its stat refused) means its folder cannot be entered:
#: so on POSIX, where a stat needs only the folder's execute permission and none of the file's
#: own; not on Windows, where a folder never bars the way and a refusal is the file's own.
STAT_DENIED_IS_THE_FOLDERS = os.name != "nt"


def find_audio(roots: Iterable[str], *, duplicate: Callable[[str, str], None] | None = None,
               unreadable: Callable[[str, str], None] | None = None,
               sheets: Callable[[str, str], None] | None = None,
               dangling: Callable[[str], None] | None = None,
               mounted: Callable[[str, str], None] | None = None) -> Iterator[FoundFile]:
    """Audio files below ``roots``, each real file once, in a stable order.

    Everything reachable without crossing a symlink comes first (all roots), then
    what symlinks lead to, so a file reachable both ways keeps its real path. A link
    loop cannot hang the walk (each real folder is visited once). Hidden files and
    folders are skipped (among them macOS "._name.mp3" resource forks, which look
    like broken audio), and so are the conflict copies sync programs keep beside a file
    (see :func:`conflict_copy_of`). ``duplicate(path, kept_path)`` hears of every other path to a
    file already yielded; ``unreadable(folder, reason)`` of folders that cannot be listed;
    ``sheets(root, path)`` of the CUE sheets (``.cue`` files) found on the way; ``dangling(path)``
    of the links that lead nowhere (a link to a disk or share not connected now); ``mounted(root,
    folder)`` of the folders on another disk than the folder they are in (a mount point, not a link).
    """
    visited: set[tuple[int, int | str]] = set()
    files: dict[tuple[int, int | str], str] = {}
    deferred_dirs: list[tuple[str, str]] = []
    deferred_files: list[tuple[str, os.DirEntry]] = []

    denied: set[str] = set()

    def cannot_enter(path: str, exc: OSError) -> None:
        if not STAT_DENIED_IS_THE_FOLDERS:
            # Windows lets anyone through a folder: a file that cannot be looked at is refused
            # for itself (its own permissions, or a program that holds it open), and its
            # folder's other songs were looked at. Only its own track is kept as it was.
            if unreadable is not None and path not in denied:
                denied.add(path)
                log.warning("cannot look at %r: %s", path, exc.strerror or exc)
                unreadable(path, f"{exc.strerror or exc}: the file cannot be looked at (its permissions,"
                                 " or a program that holds it)")
            return
        # A folder that can be listed but not entered (read permission without execute, as
        # ``chmod -R 644`` leaves every folder below): its names are there, yet none of its
        # files can be looked at. Its songs are not gone, and the person should hear which
        # folder to fix: reported as a folder that cannot be read, which keeps its tracks.
        # A link whose target lies in such a folder elsewhere is the one path kept back: the
        # link's own folder can be entered, and a song deleted from it is gone.
        folder = os.path.dirname(path)
        reason = "its files are listed but cannot be opened (the folder lacks execute permission)"
        try:
            os.lstat(path)
        except OSError:
            pass
        else:
            folder, reason = path, (f"it leads into {os.path.dirname(os.path.realpath(path))}, a folder"
                                    " that cannot be entered (it lacks execute permission)")
        if unreadable is not None and folder not in denied:
            denied.add(folder)
            log.warning("cannot open %r: %s", folder, exc.strerror or exc)
            unreadable(folder, f"{exc.strerror or exc}: {reason}")

    def emit(root: str, entry: os.DirEntry) -> Iterator[FoundFile]:
        try:
            st = entry.stat()                      # follows a link; fails if it dangles or vanished
            if st.st_ino == 0 and st.st_dev == 0:
                # (Windows: a listing's entry has no file id, which file_identity asks the
                # system for, and change_mark needs: that stat kept, for both)
                st = os.stat(entry.path)
            key = file_identity(entry.path, st)
        except PermissionError as exc:
            cannot_enter(entry.path, exc)
            return
        except OSError as exc:
            log.info("skipped %r: %s", entry.path, exc.strerror or exc)
            return
        if stat_mod.S_ISDIR(st.st_mode):
            return
        kept = files.get(key)
        if kept is not None:
            if duplicate is not None:
                duplicate(entry.path, kept)
            return
        files[key] = entry.path
        error = None if stat_mod.S_ISREG(st.st_mode) else f"not a regular file ({kind(st.st_mode)})"
        yield FoundFile(entry.path, root, st, key, error)

    def walk(root: str, top: str, *, linked: bool) -> Iterator[FoundFile]:
        # (each folder with the disk of the folder it was found in: None for where the walk starts)
        stack: list[tuple[str, int | None]] = [(top, None)]
        while stack:
            folder, outer = stack.pop()
            try:
                key = file_identity(folder)
                if key in visited:
                    continue
                visited.add(key)
                if outer is not None and key[0] != outer and mounted is not None:
                    mounted(root, folder)
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                log.warning("cannot list %r: %s", folder, exc.strerror or exc)
                if unreadable is not None:
                    unreadable(folder, exc.strerror or str(exc))
                continue
            subdirs = []
            names = {entry.name for entry in entries}
            keys = None     # their name_key, made once a conflict copy is met
            for entry in entries:
                if skipped_name(entry.name):
                    continue
                try:
                    is_link = entry.is_symlink()
                    if entry.is_dir():
                        if is_link and not linked:
                            deferred_dirs.append((root, entry.path))
                        else:
                            # (a link followed is no mount point, whatever disk it leads to)
                            subdirs.append((entry.path, None if is_link else key[0]))
                        continue
                except PermissionError as exc:
                    cannot_enter(entry.path, exc)    # (a listing that did not say what it is)
                    continue
                except OSError:
                    continue
                if is_link and dangling is not None and not os.path.exists(entry.path):
                    dangling(entry.path)
                ext = extension(entry.name)
                if ext == ".cue" and sheets is not None:
                    sheets(root, entry.path)
                if ext not in AUDIO_EXTENSIONS:
                    continue
                original = conflict_copy_of(entry.name)
                if original is not None and (original in names or name_key(original) in (
                        keys := keys if keys is not None else {name_key(name) for name in names})):
                    # The second copy a file-sync program kept of a song changed on two machines
                    # at once: listed, an album showed that song twice, and Up next could offer
                    # both. It is the person's to sort out, not another song: left out while
                    # the song it copies is beside it (alone, it is the song), and it still
                    # plays when opened by name. (Looked for as a Windows or Mac disk compares
                    # names: Dropbox's copy of a name that differs only in case is one.)
                    continue
                if is_link and not linked:
                    deferred_files.append((root, entry))
                else:
                    yield from emit(root, entry)
            stack.extend(reversed(subdirs))

    for root in roots:
        yield from walk(root, root, linked=False)
    for root, entry in deferred_files:
        yield from emit(root, entry)
    # Links found while following links are walked at once (linked=True): the real tree came first.
    for root, folder in deferred_dirs:
        yield from walk(root, folder, linked=True)


def walk_audio(root: str) -> Iterator[FoundFile]:
    """Audio files below one folder (see :func:`find_audio`)."""
    return find_audio([root])


@dataclass
class _Folder:
    """What the scan tracks for one library folder."""

    id: int
    known: dict
    #: extensions of the unchanged files to read again (their reading changed since the folder's last scan)
    reread: frozenset = frozenset()
    seen: set = field(default_factory=set)
    returned: list = field(default_factory=list)
    #: ``(ctime_ns, track id)`` of unchanged files whose status-change time was not recorded
    #: yet (a library from before it was): written as it is, the file is not read again
    ctimes: list = field(default_factory=list)


#: the reason given for a mount point found empty (see Scanner._mounts_not_connected)
NOT_CONNECTED = ("it is empty: the disk or share mounted there is not connected? Its songs are kept; delete the "
                 "empty folder if they are gone for good")


class Scanner:
    """Scans folders into a :class:`Store`. Call :meth:`cancel` from any thread to stop."""

    def __init__(self, store: Store, *, progress: ProgressCallback | None = None,
                 progress_interval_s: float = 0.1):
        self.store = store
        self._progress_cb = progress
        self._interval = progress_interval_s
        self._last_report = 0.0
        self._cancelled = False
        self.progress = ScanProgress()
        self._want_ffmpeg: set[str] = set()
        self._misread: set[str] = set()
        self._estimated: list[dict] = []        # rows listed at an estimated length, to count (see _count_lengths)
        #: of those, the tracks that were read and counted before (a count that fails keeps them),
        #: by path: their rows as listed (see _listed_at_estimate)
        self._counted_before: dict[str, dict] = {}
        #: of those, the lengths of the ones counted in ``same`` (their tags and track's length
        #: as they were): a count that gives another length, or none, is no longer the same
        self._same_until_counted: dict[str, float] = {}
        self._sheets_used: set[str] = set()     # CUE sheets that made tracks or need none, and those that could not
        self._sheets_failed: set[str] = set()
        #: ``(track id, path)``: a sheet's track whose song another number of its sheet holds
        #: now, and that number's path, to take once it is written (see _songs_renumbered)
        self._sheet_moves: list[tuple[int, str]] = []

    def cancel(self) -> None:
        self._cancelled = True

    def _report(self, force: bool = False) -> None:
        if self._progress_cb is None:
            return
        now = time.monotonic()
        if force or now - self._last_report >= self._interval:
            self._last_report = now
            try:
                self._progress_cb(self.progress)
            except BaseException:
                # Whoever follows the scan may stop it so: the window's task, cancelled (the
                # app closed, Cancel pressed), raises from its callback. That is a stop as
                # :meth:`cancel` is, not a failure.
                self._cancelled = True
                raise

    def scan(self, folders: list[str] | None = None) -> ScanProgress:
        """Scan the given folders (added to the library) or every library folder."""
        if folders:
            known = [row["path"] for row in self.store.folders()]
            roots = [os.path.abspath(f) for f in folders]
            for root in roots:
                self.store.add_folder(root)
            if any(_overlap(root, other) for root in roots for other in known if other not in roots):
                # A folder the library reaches already (through a link, under another
                # spelling, inside or around one of its folders): scanned with all of them,
                # each file is one track, not one per way to it.
                roots = [row["path"] for row in self.store.folders()]
        else:
            roots = [row["path"] for row in self.store.folders()]
        folders = {row["path"]: row for row in self.store.folders()}
        started = time.time()
        try:
            available = []
            for root in roots:
                if not os.path.isdir(root):
                    log.warning("library folder %r is not available; its tracks are left as they are", root)
                    self.progress.unavailable.append(root)
                elif self._empty_but_known(root, folders[root]["id"]):
                    log.warning("library folder %r is empty (a disk or share not connected?); its tracks are "
                                "left as they are", root)
                    self.progress.unavailable.append(root)
                else:
                    available.append(root)
            gone, self.progress.back = self.store.set_folders_away(self.progress.unavailable, available)
            self.progress.away_changed = bool(gone or self.progress.back)
            self.progress.moved = self._scan_roots(available, folders)
            self._link_history(started)
            if self.progress.read > self.progress.same or self.progress.moved:
                # Playlist entries kept for files the library lacked, the same way (every scan,
                # the command line's too, so an imported playlist fills in once its music is scanned).
                try:
                    self.progress.playlist_links = self.store.link_playlist_paths()
                except Exception:
                    log.exception("could not link playlist entries to the scanned tracks")
        finally:
            self.progress.finished = True
            self._report(force=True)
        return self.progress

    def read_again(self, track_ids: Iterable[int]) -> ScanProgress:
        """Read the files of these tracks again, whatever their size and times say: the person
        asked (a tag changed that no time shows: on Windows, or saved by a tool that sets
        every time back). ``read`` counts the files read and ``same`` those of them that held
        what their track had. A file that cannot be read now keeps its track as it was, and
        is listed in ``errors`` and ``error_paths`` as a scan lists unreadable files. A file
        that now holds another song is a new track, as for a scan."""
        started = time.time()
        ids = list(dict.fromkeys(track_ids))
        self.progress.total = len(ids)
        batch: list[dict] = []
        # (kept apart from the batch, which each write empties)
        folder_ids: set[int] = set()
        try:
            for track_id in ids:
                if self._cancelled:
                    raise ScanCancelled()
                row = self._read_one_again(track_id)
                self.progress.done += 1
                if row is not None:
                    batch.append(row)
                    folder_ids.add(row["folder_id"])
                    if len(batch) >= BATCH:
                        self._write(batch)
                self._report()
            self._write(batch)
            self._count_lengths(kept_is_error=True)
            self._find_compilations(folder_ids)
            self._link_history(started)
        finally:
            self.progress.finished = True
            self._report(force=True)
        return self.progress

    def _find_compilations(self, folder_ids: Iterable[int]) -> None:
        """Mark the tracks of these library folders that make one compilation by their folder
        (``player.library.albums``), once every file is read, moved and counted: the answer
        depends on all of the album's tracks, so it is made again for the whole folder (a
        track added to a soundtrack's folder joins it; one of another title there parts it).
        The files are read and stored by now: a failure here is logged, and costs only its
        folder the look, not the scan."""
        for folder_id in dict.fromkeys(folder_ids):
            if folder_id is None:
                continue
            try:
                rows = self.store.album_rule_rows(folder_id, RULE_COLUMNS)
                found = folder_compilations(rows)
                self.store.set_folder_compilations(
                    {r["id"]: int(r["id"] in found) for r in rows if r["folder_compilation"] != (r["id"] in found)})
            except Exception:
                log.exception("could not look for compilations in library folder %s", folder_id)

    def _link_history(self, started: float) -> None:
        """Imported history kept for songs the library lacked: files new or retagged since
        ``started`` may be them. The reading itself is done: a failure here is logged, not raised."""
        if self.progress.read > self.progress.same:
            try:
                self.progress.linked = link_unmatched(self.store, changed_since=started)
            except Exception:
                log.exception("could not link imported listening history to the tracks read")

    def _read_one_again(self, track_id: int) -> dict | None:
        stored = self.store.track(track_id)
        if stored is None:
            return None                 # gone from the library meanwhile (merged into another)
        if stored["cue_start_s"] is not None:
            return self._sheet_track_again(stored)
        # A missing track's file is looked for too: not there, it is listed as unreadable (the
        # person asked for it); there again, it is back in the library, tags as they are.
        path = stored["path"]
        try:
            st = os.stat(path)
            if not stat_mod.S_ISREG(st.st_mode):
                raise TagReadError(f"not a regular file ({kind(st.st_mode)})")
            tags = read_tags(path, estimate=True)
        except (OSError, TagReadError) as exc:
            self._error(path, getattr(exc, "strerror", None) or str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - a reader's own fault costs only this file
            log.warning("reading %r again failed", path, exc_info=True)
            self._error(path, f"could not be read ({type(exc).__name__}: {shown(str(exc))})")
            return None
        row = {"path": path, "folder_id": stored["folder_id"], "size": st.st_size, "mtime_ns": st.st_mtime_ns,
               "ctime_ns": change_mark(st), **tags}
        if row.pop("length_estimated", False):
            # Counted after the others are read, as a scan does: counted as it was read, a
            # selection of a hundred such files held every other read back for minutes, and
            # said nothing meanwhile. A count that fails keeps the track as it was, as here.
            self._listed_at_estimate(row, stored, keep=True)
        self.progress.read += 1
        if stored["last_error"] is None and not stored["missing"] and _holds_what_it_had(stored, row):
            self._same(row)
        elif holds_another_song(stored, row):
            # (a file that could not be read kept its song's names: they still tell)
            log.info("%r now holds another song: %r is a new track", path, row.get("title"))
            self.store.detach_replaced(track_id)
        return row

    def _sheet_track_again(self, stored) -> dict | None:
        """:meth:`_read_one_again` of a CUE sheet's track: its sheet and its audio file read
        again. A sheet that no longer names it, or cannot be used, keeps it as it was."""
        path, audio, sheet_path = stored["path"], audio_path(stored), stored["cue_sheet"]
        try:
            st = os.stat(audio)
            tags = read_tags(audio)
            if sheet_path == audio:         # the sheet inside the file's tags
                sheet = parse_sheet(tags.pop("cuesheet", None) or "")
                tracks = sheet.tracks
            else:
                sheet = read_sheet(sheet_path)
                tracks = {os.path.normpath(a): t for a, t in audio_files(sheet, sheet_path).items()}.get(audio, [])
            row = {r["path"]: r for r in track_rows(sheet, sheet_path, audio, tracks, tags)}.get(path)
            if row is None:
                raise CueError(f"{os.path.basename(sheet_path)} no longer names this track")
        except (OSError, TagReadError, CueError) as exc:
            self._error(path, getattr(exc, "strerror", None) or str(exc))
            return None
        row.update(folder_id=stored["folder_id"], size=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=change_mark(st))
        self.progress.read += 1
        if stored["last_error"] is None and not stored["missing"] and _holds_what_it_had(stored, row):
            self.progress.same += 1
        return row

    def _empty_but_known(self, root: str, folder_id: int) -> bool:
        """Whether ``root`` holds nothing at all while the library has tracks there: the
        folder a share or disk is mounted on, with nothing mounted."""
        try:
            with os.scandir(root) as it:
                if any(not hidden_name(entry.name) for entry in it):
                    return False
        except OSError:
            return False         # unreadable: the walk says so, and its tracks are kept
        return any(not known[3] for known in self.store.file_index(folder_id).values())

    def _error(self, path: str, error: str) -> None:
        self.progress.errors += 1
        if len(self.progress.error_paths) < MAX_ERROR_PATHS:
            self.progress.error_paths.append((path, error))
        log.info("skipped %r: %s", path, error)

    def _unreadable(self, folder: str, reason: str) -> None:
        self.progress.unreadable_folders.append((folder, reason))

    def _dangling(self, path: str, state: dict, known: list) -> None:
        """A link in a library folder that leads nowhere now, where the library has tracks
        through it (a link to a share or disk not connected): those tracks are not gone,
        and the person is told which link to look at. One that never led to a track is let be.
        ``known``: a list, empty or the sorted paths of the folders' tracks not missing, made
        here at the first link (a look through every track for each link took 30 ms a link at
        100,000 tracks: half a minute for a folder of a thousand album links to a share)."""
        if not known:
            known.append(sorted(p for folder in state.values() for p, row in folder.known.items() if not row[3]))
        paths = known[0]
        inside = path.rstrip(os.sep) + os.sep
        at = bisect.bisect_left(paths, path)
        if (at < len(paths) and paths[at] == path) or (
                (at := bisect.bisect_left(paths, inside)) < len(paths) and paths[at].startswith(inside)):
            try:
                target = os.readlink(path)
            except OSError:
                target = "a place"          # (the link itself removed meanwhile)
            log.warning("%r leads to %r, which is not there; its tracks are left as they are", path, target)
            self._unreadable(path, f"it leads to {target}, which is not there (a disk or share not connected?)")

    def _mounts_not_connected(self, state: dict, mounted: dict[str, set[str]], seen: set[str]) -> None:
        """Mount points inside the library folders (a share mounted at /music/nas beside the
        music kept in /music): one found mounted by a scan before and empty now, where the
        library has tracks below it that this scan did not find, is a disk or share not
        connected. Its tracks are not gone: it is reported as a folder that could not be read,
        which keeps them as they were (their plays, stars and playlist places stay theirs, and
        no copy elsewhere takes them over), and they are away until it is found mounted again
        (greyed, never offered: they would not play). One no longer there, or a plain folder
        with files of its own now, is forgotten: its tracks, if not found, are missing as any
        deleted file is. (An empty folder that was never a mount point is a folder emptied:
        its songs are gone.) One away before and found mounted now is connected again."""
        was_away = set(self.store.mount_points_away())
        for root, folder in state.items():
            found = mounted.get(root, set())
            gone, away = [], []
            for path in sorted(self.store.mount_points(folder.id) - found):
                empty = _empty_folder(path)
                if empty is None:
                    continue            # cannot be listed: the walk says so, and keeps its tracks
                if not empty:
                    gone.append(path)
                elif any(_inside(p, path) and p not in seen and not known[3] for p, known in folder.known.items()):
                    log.warning("%r is empty (a disk or share not connected?); its tracks are left as they are", path)
                    self._unreadable(path, NOT_CONNECTED)
                    away.append(path)
            self.store.note_mount_points(folder.id, found, gone, away)
            back = sorted(found & was_away)
            self.progress.back += back
            if back or set(away) - was_away:
                self.progress.away_changed = True

    def _scan_roots(self, roots: list[str], folders: dict) -> int:
        """Scan the available roots (``folders``: their rows by path); returns how many moved
        files were re-attached."""
        state = {}
        for root in roots:
            folder_id, reader = folders[root]["id"], folders[root]["tag_reader"]
            known = self.store.file_index(folder_id)
            if not known and reader != reader_version.READER_VERSION:
                # A folder of no tracks yet (its first scan): every track it gets is this
                # reader's. Noted now, so that a scan stopped before it ends (the app closed
                # in the count of a thousand Shorten lengths) does not leave them to the next
                # as an older reader's, all read and counted again.
                reader = reader_version.READER_VERSION
                self.store.set_folder_reader(folder_id, reader)
            state[root] = _Folder(folder_id, known, reader_version.changed_since(reader, AUDIO_EXTENSIONS))
        # Files that could not be read only because ffmpeg was missing (a Matroska file on a
        # machine without it): once it is found, they are read again though they did not change.
        self._want_ffmpeg = (self.store.paths_with_error_containing(INSTALL_FFMPEG)
                             if ffmpeg_complete() is not None else set())
        # Shorten files behind an ID3v2 tag that an older reader took for damaged MP3s (a tag
        # of a wrong size before the stream, or no ffmpeg to read them): read again once, they
        # play, or say what they need.
        self._misread = {path for path in self.store.paths_with_error_containing("damaged MP3 file")
                         if extension(os.path.basename(path)) == ".shn"}
        duplicates: list[tuple[str, str]] = []
        batch: list[dict] = []
        new_paths: list[str] = []
        by_key: dict[tuple[int, int | str], str] = {}
        # Listed first (fast: no file is opened), so progress can say "N of M".
        files: list[FoundFile] = []
        sheets: list[tuple[str, str]] = []
        known: list = []        # (see _dangling)
        mounted: dict[str, set[str]] = {}
        for found in find_audio(roots, duplicate=lambda p, kept: duplicates.append((p, kept)),
                                unreadable=self._unreadable, sheets=lambda root, p: sheets.append((root, p)),
                                dangling=lambda p: self._dangling(p, state, known),
                                mounted=lambda root, p: mounted.setdefault(root, set()).add(p)):
            if self._cancelled:
                raise ScanCancelled()
            files.append(found)
            self.progress.seen += 1
            self._report()
        self.progress.total = len(files)
        self._report(force=True)
        covered = self._read_sheets(sheets, state, batch)
        for found in files:
            if self._cancelled:
                raise ScanCancelled()
            folder = state[found.root]
            by_key[found.key] = found.path
            self.progress.folder = found.root
            rows = self._sheet_tracks(found, folder, covered[found.path], batch) if found.path in covered else None
            if rows is not None:
                # An album in one file with its sheet: the sheet's tracks, not the file.
                self._add_sheet_tracks(rows, folder, state, new_paths, batch)
                continue
            try:
                row = self._one(found, folder)
                sheet = self._embedded_sheet(found, row)
                rows = self._sheet_tracks(found, folder, sheet, batch, tags=row) if sheet is not None else None
                if rows is not None:
                    # (read as a file first: its own path is no track)
                    folder.seen.discard(found.path)
                    self.progress.read -= 1
                    self._add_sheet_tracks(rows, folder, state, new_paths, batch)
                    continue
            except Exception as exc:  # noqa: BLE001 - one file costs only itself
                row = {"path": found.path, "folder_id": folder.id, "size": found.st.st_size,
                       "mtime_ns": found.st.st_mtime_ns, "ctime_ns": change_mark(found.st),
                       "last_error": f"could not be read ({type(exc).__name__}: {shown(str(exc))})"}
                self._error(found.path, row["last_error"])
                log.warning("reading %r failed", found.path, exc_info=True)
            self.progress.done += 1
            if row is not None:
                if found.path not in folder.known and not any(found.path in f.known for f in state.values()):
                    new_paths.append(found.path)
                batch.append(row)
                if len(batch) >= BATCH:
                    self._write(batch)
            self._report()
        self._write(batch)
        self._count_lengths()
        # A sheet that was an error row and made tracks now is an error no more.
        self.store.forget_error_rows(self._sheets_used - self._sheets_failed)
        # Known paths not walked this time may still lead to a file that was (a link into a
        # folder already visited): those are duplicates too, not missing files.
        for folder in state.values():
            for path, known in folder.known.items():
                if path in folder.seen or known[3]:
                    continue
                try:
                    kept = by_key.get(file_identity(path))
                except OSError:
                    continue
                if kept is not None and kept != path:
                    duplicates.append((path, kept))
        self.progress.duplicates = len(duplicates)
        new_set = set(new_paths)
        merged = self._merge_duplicates(duplicates, new_set)
        new_paths = [p for p in new_paths if p in new_set]
        # A path is gone only if no library folder led to it (one folder may lie inside
        # another) and nothing kept the scan from looking (a folder it could not list).
        seen = set().union(*(folder.seen for folder in state.values()))
        self._mounts_not_connected(state, mounted, seen)
        blind = [folder for folder, _reason in self.progress.unreadable_folders]
        # A library folder gone by now (a share that dropped, a disk pulled while it was read)
        # is away, as one gone at the start is: the files it took along are not gone.
        lost = [root for root, folder in state.items()
                if not os.path.isdir(root) or self._empty_but_known(root, folder.id)]
        for root in lost:
            log.warning("library folder %r went away during the scan; its tracks are left as they are", root)
            self.progress.unavailable.append(root)
        blind += lost
        self.progress.back = [root for root in self.progress.back if root not in lost]
        if self.store.set_folders_away(lost, [])[0]:
            self.progress.away_changed = True
        vanished_now: list[int] = []
        for root, folder in state.items():
            self.store.mark_present(folder.returned)
            self.store.record_ctimes(folder.ctimes)
            vanished = [known[0] for path, known in folder.known.items()
                        if path not in seen and not known[3] and known[0] not in merged
                        and not any(_unseen_by(path, folder) for folder in blind)]
            self.store.mark_missing(vanished)
            vanished_now += vanished
            # A folder with tracks in a part the scan could not look into keeps its reader's
            # version: those files were not read by this one, and the next scan reads them
            # again. (A part that holds none, as a drive's lost+found, keeps nothing back.)
            read_all = not blind or not any(path not in seen and any(_unseen_by(path, b) for b in blind)
                                            for path in folder.known)
            self.store.set_folder_scanned(folder.id, tag_reader=reader_version.READER_VERSION if read_all else None)
        new_paths = self._take_renumbered(new_paths)
        # (a folder whose first scan was stopped, the app closed in it, holds the tracks written
        # then: new to it as much as the files found now, though known to this scan)
        first = [folders[root]["id"] for root in roots if folders[root]["last_scan_at"] is None]
        home, new_paths = self._back_home(new_paths)
        moved = home + self._adopt_moved(new_paths) + self._adopt_late() + self._adopt_from_away(new_paths, first)
        # Gone are those still missing: a file moved took its track along with it.
        self.progress.missing += self.store.still_missing(vanished_now)
        self._find_compilations(folder.id for folder in state.values())
        _let_go(files, by_key, seen, *(f.known for f in state.values()), *(f.seen for f in state.values()))
        return moved

    def _take_renumbered(self, new_paths: list[str]) -> list[str]:
        """Each sheet's track set aside for the number its song has now (see
        :meth:`_sheet_tracks`) takes that number's new row, plays and all; ``new_paths`` less
        those rows'."""
        taken = set()
        came = {r["id"]: r["added_at"] for r in self.store.tracks_by_id(
            [track_id for track_id, _ in self._sheet_moves], ["added_at"]).values()}
        had: dict[str, float] = {}      # a sheet's audio file -> when its songs came into the library
        for track_id, path in self._sheet_moves:
            new = self.store.track_by_path(path)
            if new is not None and new["id"] != track_id:
                self.store.adopt_moved(track_id, new["id"])
                self.progress.renumbered[new["id"]] = track_id
                taken.add(path)
                audio = path.rpartition("#")[0]
                if track_id in came:
                    had[audio] = min(had.get(audio, came[track_id]), came[track_id])
        self._sheet_moves = []
        # The tracks the new rip has more (its intro) came with the songs the library held: new
        # by the time they were written, a loved artist's album ripped again was offered for
        # weeks as if just added (Radio and Up next lift what came in lately). (Each of the
        # file's tracks: a scan stopped before this wrote the intro already.)
        for audio, when in had.items():
            self.store.sheet_dated_back(audio, when)
        return [p for p in new_paths if p not in taken]

    def _add_sheet_tracks(self, rows: list[dict], folder: _Folder, state: dict, new_paths: list[str],
                          batch: list[dict]) -> None:
        """One file done: its sheet's tracks to write (see :meth:`_sheet_tracks`)."""
        self.progress.done += 1
        for row in rows:
            if row["path"] not in folder.known and not any(row["path"] in f.known for f in state.values()):
                new_paths.append(row["path"])
            batch.append(row)
        if len(batch) >= BATCH:
            self._write(batch)
        self._report()

    def _read_sheets(self, sheets: list[tuple[str, str]], state: dict, batch: list[dict]) -> dict:
        """``audio file -> (sheet path, sheet, its tracks in that file)`` of the CUE sheets
        found. A sheet that cannot be used (broken, or naming a file that is not there) is
        an error row of its own, listed with the files that cannot be read, and its audio
        file stays one track; one that can be used again loses its error row. Of two sheets
        naming one file (a copy in another text encoding), the first by name is used. A file
        the sheet gives one track is left to be that track, with its own tags."""
        roots = {path: root for root, path in sheets}
        return albums_in_sheets(
            roots, per_track=self._sheets_used.add,
            unusable=lambda path, exc: self._sheet_error(path, state[roots[path]], f"CUE sheet not used: {exc}",
                                                         batch))

    def _sheet_error(self, path: str, folder: _Folder, error: str, batch: list[dict]) -> None:
        """Note a sheet that cannot be used as an error row (not again while it and its
        error stay as they were)."""
        folder.seen.add(path)
        self._sheets_failed.add(path)
        try:
            st = os.stat(path)
        except OSError:
            return
        old = folder.known.get(path)
        if old is not None and (old[1], old[2]) == (st.st_size, st.st_mtime_ns) and not old[3]:
            stored = self.store.track(old[0])
            if stored is not None and stored["last_error"] == error:
                return
        batch.append({"path": path, "folder_id": folder.id, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                      "ctime_ns": change_mark(st), "last_error": error})
        self._error(path, error)

    @staticmethod
    def _embedded_sheet(found: FoundFile, row: dict | None) -> tuple | None:
        """``(file, sheet, its tracks)`` of a file read with a CUE sheet in its tags (a FLAC
        with the rip's sheet inside), or None. A sheet there that cannot be used leaves the
        file one track (logged: no other row can show its error)."""
        text = row.pop("cuesheet", None) if row is not None else None
        if text is None or row.get("last_error") is not None:
            return None
        try:
            cue_sheet = parse_sheet(text)
        except CueError as exc:
            log.info("the CUE sheet inside %r is not used: %s", found.path, exc)
            return None
        return (found.path, cue_sheet, cue_sheet.tracks) if len(cue_sheet.tracks) > 1 else None

    def _sheet_tracks(self, found: FoundFile, folder: _Folder, sheet: tuple, batch: list[dict],
                      tags: dict | None = None) -> list[dict] | None:
        """The rows to write of the tracks a sheet makes of one audio file (none when every
        one holds what it had), or None when the file is to be one track after all: it
        cannot be read (it is then an error row as any file), or the sheet does not fit it.

        The sheet and the file's tags are read at every scan (a sheet is a few lines, the
        tags a few milliseconds), so an edited sheet is seen whatever its times say."""
        sheet_path, cue_sheet, tracks = sheet
        if found.error is not None:
            return None
        try:
            if tags is None:
                tags = read_tags(found.path)
            rows = track_rows(cue_sheet, sheet_path, found.path, tracks, tags)
        except TagReadError:
            return None
        except CueError as exc:
            if sheet_path == found.path:
                log.info("the CUE sheet inside %r is not used: %s", found.path, exc)
            else:
                self._sheet_error(sheet_path, folder, f"CUE sheet not used: {exc}", batch)
            return None
        self._sheets_used.add(sheet_path)
        st = found.st
        stamps = {"folder_id": folder.id, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                  "ctime_ns": change_mark(st)}
        out = []
        # Where each of the file's stored tracks started (read before any is set aside below):
        # a track removed from the sheet moves the numbers after it down, and a number then
        # names the song stored under the next one.
        prefix = f"{found.path}#"
        stored = list(self.store.tracks_by_id(
            [known[0] for path, known in folder.known.items() if path.startswith(prefix)],
            ["path", "cue_start_s", "duration", "match_key"]).values())
        stored_starts = [(r["id"], r["cue_start_s"]) for r in stored]
        # (with the tracks a stopped scan set aside below and could not pair with their rows:
        # missing outside any folder, they are no longer known, and kept their plays from them)
        moves = _songs_renumbered([r for r in stored if not folder.known[r["path"]][3]]
                                  + list(self.store.set_aside_of(found.path)), rows)
        if moves:
            # The album ripped again with a track more or less before its songs (an intro
            # made track 1): each song's number is another now. A track goes with its song,
            # and the number it leaves, another song's or none, is free for a new row.
            taken = set(moves.values())
            for r in stored:
                if r["id"] in moves or r["path"] in taken:
                    log.info("%r is now %r of its sheet", r["path"], moves.get(r["id"], "no track"))
                    self.store.detach_replaced(r["id"])
                    del folder.known[r["path"]]
            self._sheet_moves += list(moves.items())
        for row in rows:
            row.update(stamps)
            folder.seen.add(row["path"])
            old = folder.known.get(row["path"])
            stored = self.store.track(old[0]) if old is not None else None
            if stored is not None and _another_track_of_the_sheet(stored, row, rows, stored_starts):
                # The sheet was renumbered (a track split in two, one added before): its number
                # names another song now. The old track goes aside, missing, for the number
                # its song has now to take it back, plays and all (see _adopt_moved).
                log.info("%r is now %r of its sheet: a new track", row["path"], row["title"])
                self.store.detach_replaced(old[0])
                del folder.known[row["path"]]
                stored = None
            if (stored is not None and stored["last_error"] is None and _holds_what_it_had(stored, row)
                    and all(stored[k] == v for k, v in stamps.items())):
                if old[3]:
                    folder.returned.append(old[0])
                continue
            out.append(row)
        if out:
            self.progress.read += 1
        else:
            self.progress.unchanged += 1
        return out

    def _one(self, found: FoundFile, folder: _Folder) -> dict | None:
        """The row to write for one file, or None when it is unchanged or vanished."""
        path, st = found.path, found.st
        old = folder.known.get(path)
        ctime = change_mark(st)
        same = old is not None and old[1] == st.st_size and old[2] == st.st_mtime_ns
        # The same size and modification time, but written since: a tagger that keeps the
        # modification time set it back. (So do a change of permissions, a hard link: read
        # again, their tags come back as they were, and only the times are written.)
        saved = same and mark_moved(old[4], st)
        ffmpeg_found = same and path in self._want_ffmpeg
        newer_reader = same and not ffmpeg_found and (extension(os.path.basename(path)) in folder.reread
                                                      or path in self._misread)
        if ffmpeg_found:
            self.progress.ffmpeg_found += 1
        elif newer_reader:
            # Unchanged, but read by an older tag reader that missed or misread something in
            # files of its type: read again (its plays and analysis stay: the file is the same).
            self.progress.reread += 1
        elif same and not saved:
            folder.seen.add(path)
            self.progress.unchanged += 1
            if old[3]:
                folder.returned.append(old[0])   # back after being missing: no need to reopen it
            if ctime is not None and old[4] is None:
                folder.ctimes.append((ctime, old[0]))   # first seen since ctimes are kept
            return None
        row = {"path": path, "folder_id": folder.id, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
               "ctime_ns": ctime}
        if found.error is not None:
            row["last_error"] = found.error
            self._error(path, found.error)
            folder.seen.add(path)
            return row
        try:
            row.update(read_tags(path, estimate=True))
            self.progress.read += 1
            if row.pop("length_estimated", False):
                stored = self.store.track(old[0]) if old is not None else None
                self._listed_at_estimate(row, stored, keep=stored is not None and stored["mtime_ns"] != ESTIMATED_MTIME
                                         and stored["size"] == st.st_size)
        except Exception as exc:  # noqa: BLE001 - a reader's own fault is the scan's next concern
            if not isinstance(exc, TagReadError) and not same:
                raise                       # stored as an error row by the scan, the file being new or changed
            if not os.path.lexists(path):   # vanished since it was listed: it is simply gone
                log.info("%r vanished during the scan", path)
                return None
            if same and not self._was_unreadable(old[0]):
                # Read before and unchanged since: this time's failure to open it (a share
                # answering with errors, a permission lost for a while, a fault of the newer
                # reader itself) is no reason to drop the tags it has, and to take it out of
                # the library: it stays as it was.
                log.info("kept %r as it was: reading it again failed: %s", path, exc,
                         exc_info=not isinstance(exc, TagReadError))
                if newer_reader:
                    self.progress.reread -= 1
                self.progress.unchanged += 1
                folder.seen.add(path)
                if old[3]:
                    folder.returned.append(old[0])
                return None
            if not isinstance(exc, TagReadError):
                raise
            row["last_error"] = str(exc)
            self._error(path, str(exc))
        if old is not None and row.get("last_error") is None:
            stored = self.store.track(old[0])
            if stored is not None and not same and holds_another_song(stored, row):
                log.info("%r now holds another song: %r is a new track", path, row.get("title"))
                self.store.detach_replaced(old[0])
                del folder.known[path]
            elif stored is not None and not old[3] and _holds_what_it_had(stored, row):
                self._same(row)
        folder.seen.add(path)
        return row

    def _same(self, row: dict) -> None:
        """Count ``row``, read again, as holding what its track had; one still to be counted
        only until its count says otherwise (see :meth:`_count_lengths`)."""
        self.progress.same += 1
        if row["mtime_ns"] in UNCOUNTED_MTIMES:
            self._same_until_counted[row["path"]] = row["duration"]

    def _listed_at_estimate(self, row: dict, stored, *, keep: bool) -> None:
        """``row``, of a file whose length was only estimated (``length_estimated``), listed at
        once at its estimate and counted once every file is listed (see :meth:`_count_lengths`).
        Until then it is written with a modification time no file has: a scan stopped
        (cancelled, the app closed, the process killed) before it is counted reads it again
        next time. ``stored``: the file's track, if it has one; ``keep``: a count that fails
        keeps that track as it is.

        A track counted before is listed with a time of its own (``COUNTED_BEFORE_MTIME``) and
        the length counted before. Listed as a new file is (``ESTIMATED_MTIME``), a scan
        stopped before its count left it as a count that failed leaves it, and the next scan's
        first failure to count it made an error row of it at once, its plays out of the
        library: a stop is no failed count. Written so as it is listed, not put right when the
        scan stops: a killed scan runs nothing more. (Listed with the time it had before the
        scan, the file, touched since, was known by neither that time nor its name and size:
        its folder renamed, an untagged track was missing and the file a new track, the plays
        left behind.)"""
        self._estimated.append(dict(row))
        row["mtime_ns"] = ESTIMATED_MTIME
        # A track listed before keeps the length it has until the count: an estimate
        # seconds off would read to the store as other audio, and the track's
        # analysis would go with it (a file only touched since, a scan stopped in the count).
        if stored is not None and stored["last_error"] is None and stored["duration"]:
            row["duration"] = stored["duration"]
            if keep:
                row["mtime_ns"] = COUNTED_BEFORE_MTIME
                self._counted_before[row["path"]] = dict(row)

    def _count_lengths(self, *, kept_is_error: bool = False) -> None:
        """The files listed at an estimated length (a Shorten file whose header gives none:
        only decoding it all counts it, a second or two for ten minutes, half an hour for a
        thousand such files) counted, after every file is listed, and their rows written with
        the count. One ffmpeg fails on is an error row: it does not play to its end. But a track
        read and counted before, its file the size it was, keeps its row as it was listed (its
        length as counted before, its plays), as a scan keeps a known file it fails to read
        again: a file unreadable for a moment (a share answering with errors) was an error row,
        taken out of the library and not tried again until it changed. Listed with no
        modification time, it is counted again at the next scan; failing then too, it is an
        error row. ``kept_is_error``: a kept one is listed with the errors all the same (the
        person asked for it to be read: see :meth:`read_again`)."""
        todo, self._estimated = self._estimated, []
        kept, self._counted_before = self._counted_before, {}
        same, self._same_until_counted = self._same_until_counted, {}
        batch: list[dict] = []
        self.progress.counting, self.progress.counted = len(todo), 0
        for row in todo:
            try:
                self._report()
                if self._cancelled:
                    raise ScanCancelled()
            except BaseException:
                # (the counts made so far written: a thousand files take half an hour to count,
                # and the next scan counts only those left)
                self._write(batch)
                raise
            frames = count_frames(row["path"])
            self.progress.counted += 1
            # (counted in ``same`` on the length its track had: a change read as none, "0 changed",
            # and a count that failed as less than none, "-1 changed")
            listed = same.pop(row["path"], None)
            if frames:
                row["duration"] = min(frames / row["sample_rate"], MAX_DURATION_S)
                batch.append(row)
                if listed is not None and row["duration"] != listed:
                    self.progress.same -= 1
            elif row["path"] in kept:
                log.info("kept %r as it was: counting its length failed; counted again at the next scan", row["path"])
                if kept_is_error:
                    self.progress.read -= 1
                    self.progress.same -= listed is not None
                    self._error(row["path"], "its length could not be counted: ffmpeg could not decode it to its end")
                # (left with no time, as a new file is listed: the next scan's count failing too
                # makes it an error row)
                batch.append(kept.pop(row["path"]) | {"mtime_ns": ESTIMATED_MTIME})
            elif os.path.lexists(row["path"]):
                error = "damaged Shorten file: ffmpeg could not decode it to its end"
                batch.append({key: row[key] for key in ("path", "folder_id", "size", "mtime_ns", "ctime_ns")}
                             | {"last_error": error})
                self.progress.read -= 1
                self.progress.same -= listed is not None
                self._error(row["path"], error)
            if len(batch) >= BATCH:
                self._write(batch)
        self._write(batch)

    def _was_unreadable(self, track_id: int) -> bool:
        stored = self.store.track(track_id)
        return stored is None or stored["last_error"] is not None

    def _write(self, batch: list[dict]) -> None:
        for path, error in self.store.upsert_tracks(batch):
            self.progress.read -= 1
            self._error(path, error)
        batch.clear()

    def _merge_duplicates(self, duplicates: list[tuple[str, str]], new_paths: set[str]) -> set[int]:
        """Tracks stored under another path to a file that is already a track are merged into it.

        Returns the ids of rows no longer at the path the scan knew them by (gone, or moved
        to the kept path): their old paths are not missing files. When the kept path is
        new, the old row (its plays, its analysis) takes it over, as for a moved file, and
        the path leaves ``new_paths``.
        """
        gone: set[int] = set()
        for dup_path, kept_path in duplicates:
            dup = self.store.track_by_path(dup_path)
            kept = self.store.track_by_path(kept_path)
            if dup is None or kept is None or dup["id"] == kept["id"]:
                continue
            if kept_path in new_paths and not dup["last_error"]:
                self.store.adopt_moved(dup["id"], kept["id"])
                gone.update((kept["id"], dup["id"]))
                self.progress.renumbered[kept["id"]] = dup["id"]
                new_paths.discard(kept_path)
            else:
                self.store.merge_duplicate(dup["id"], kept["id"])
                gone.add(dup["id"])
                self.progress.renumbered[dup["id"]] = kept["id"]
            log.info("%r is the same file as %r: one track", dup_path, kept_path)
        return gone

    def _adopt_moved(self, new_paths: list[str]) -> int:
        """Re-attach new files to the missing tracks they are (see :func:`_same_recording`)."""
        if not new_paths:
            return 0
        missing = _Candidates(self.store.missing_tracks())
        if not missing:
            return 0
        moved = 0
        unknown = []
        news = [row for row in map(self.store.track_by_path, new_paths)
                if row is not None and not row["last_error"] and not row["missing"]]
        fitted = _fitted_alike(missing, news)
        for new in news:
            old = missing.best(new)
            if old is not None and old["id"] in fitted.get(new["id"], ()):
                # (two songs whose files tell them apart by nothing the library knows: which
                # history is whose cannot be told, and the merge cannot be undone)
                log.info("%r is left a new track: another song's file or missing track fits as well", new["path"])
                unknown.append(new)
            elif old is not None:
                self._moved(old, new)
                missing.remove(old)
                moved += 1
            else:
                unknown.append(new)
        return moved + self._adopt_retagged(unknown, list(missing.rows.values()))

    def _moved(self, old, new) -> None:
        self.store.adopt_moved(old["id"], new["id"])
        self.progress.renumbered[new["id"]] = old["id"]
        log.info("%r moved to %r", old["path"], new["path"])

    def _adopt_retagged(self, news: list, missing: list) -> int:
        """New files no other rule placed that are missing tracks moved with their artist
        tag corrected on the way (a reorganisation that fixes a misspelt name), or untagged
        tracks tagged and moved (a tagger filing a rip it named by its tags): the same
        audio (see :func:`_same_audio`), each the only one of its side that fits the other.
        Two files or two tracks that fit alike stay apart: the merge cannot be undone."""
        by_key: dict = {}
        for row in missing:
            key = _audio_key(row) or _untagged_key(row)
            if key is not None:
                by_key.setdefault(key, []).append(row)
        if not by_key:
            return 0
        fits = {}
        takers: dict[int, int] = {}
        for new in news:
            # (an untagged track goes only to a file a tagger wrote a title to: an untagged file
            # that comes as one goes is as likely another sample or interlude of that length)
            key = _audio_key(new)
            keys = [] if key is None else [key, _format_key(new)]
            fits[new["id"]] = [old for key in keys for old in by_key.get(key, ()) if _same_audio(new, old)]
            for old in fits[new["id"]]:
                takers[old["id"]] = takers.get(old["id"], 0) + 1
        moved = 0
        for new in news:
            if len(fits[new["id"]]) == 1 and takers[fits[new["id"]][0]["id"]] == 1:
                self._moved(fits[new["id"]][0], new)
                moved += 1
        return moved

    def _adopt_from_away(self, new_paths: list[str], first: list[int] = ()) -> int:
        """New files that are the files of tracks whose library folder is not connected now:
        the disk or share mounted at another place (/media/user/Drive1 for Drive, D: for E:)
        and that place added to the library. Each such track moves to its file, with its plays,
        stars and playlist places, rather than stay beside a twin without any. Only the same
        file (its size to the byte, its modification time to the nanosecond, its length), and
        only where one file and one track fit each other: a copy made without its times, or
        two copies of one file, are left as they are. A folder that is there keeps its tracks
        (two disks connected at once are two copies). ``first``: the folders whose first scan
        was stopped before it ended; their tracks with no history of their own are new too
        (stopped, the scan that found them left them beside their twins for good)."""
        taken = set(self.progress.renumbered.values())
        news = [row for row in map(self.store.track_by_path, new_paths)
                if row is not None and row["id"] not in taken and not row["last_error"] and not row["missing"]]
        if not news and not first:
            return 0
        # (a folder of the library is seldom away: most scans stop here)
        away = [row["id"] for row in self.store.folders()
                if not os.path.isdir(row["path"]) or self._empty_but_known(row["path"], row["id"])]
        if not away:
            return 0
        listed = {row["id"] for row in news}
        news += [row for row in self.store.playable_in_folders(first)
                 if row["id"] not in listed and row["id"] not in taken and not row["plays"] and not row["listed"]]
        new_ids = {row["id"] for row in news}
        files = {(row["size"], row["mtime_ns"]) for row in news}
        by_file: dict[tuple, list] = {}
        for row in self.store.playable_in_folders(away):
            file = (row["size"], row["mtime_ns"])
            if row["id"] not in new_ids and file in files and not os.path.lexists(row["path"]):
                by_file.setdefault(file, []).append(row)
        fits = {new["id"]: [old for old in by_file.get((new["size"], new["mtime_ns"]), ())
                            if _same_recording(new, old) == 3] for new in news}
        takers: dict[int, int] = {}
        for found in fits.values():
            for old in found:
                takers[old["id"]] = takers.get(old["id"], 0) + 1
        moved = 0
        for new in news:
            found = fits[new["id"]]
            if len(found) == 1 and takers[found[0]["id"]] == 1:
                self._moved(found[0], new)
                self.store.note_away_home(found[0]["id"], found[0]["path"])
                moved += 1
        if moved:
            self.store.set_folders_away([row["path"] for row in self.store.folders() if row["id"] in away], [])
        return moved

    def _back_home(self, new_paths: list[str]) -> tuple[int, list[str]]:
        """Tracks a copy took over while their library folder was away (see
        :meth:`_adopt_from_away`) whose own file is back where it was, the copy still there: the
        folder was only away for a while (a share that dropped while an album was copied to a
        stick), not mounted at the copy's place. Each goes back home with its history, and the
        copy is a track of its own, as two disks connected at once are two copies. Only the same
        file (size, modification time to the nanosecond, length). Returns how many went back,
        and ``new_paths`` without their paths (no longer new)."""
        homes = self.store.away_homes()
        if not homes:
            return 0, new_paths
        back = set()
        for path in new_paths:
            track = homes.get(path)
            if track is None or track["missing"] or track["last_error"] or not os.path.lexists(track["path"]):
                continue
            new = self.store.track_by_path(path)
            if (new is None or new["last_error"] or (new["size"], new["mtime_ns"]) != (track["size"], track["mtime_ns"])
                    or _same_recording(new, track) != 3):
                continue
            self.store.swap_files(track["id"], new["id"])
            back.add(path)
            log.info("%r is back: its track comes home from its copy %r", path, track["path"])
        return len(back), [p for p in new_paths if p not in back]

    def _adopt_late(self) -> int:
        """Missing tracks with a history whose copy was scanned before they went missing (a
        copy first, the original deleted or its folder removed later; a scan stopped before
        it could pair them): the copy, added later, takes their plays and playlist places.
        The copy keeps its own id, which the queue may hold by now."""
        gone = [row for row in self.store.missing_tracks() if row["plays"] or row["listed"]]
        if not gone:
            return 0
        present = _Candidates(self.store.copies_of_missing())
        merged = 0
        for old in gone:
            copy = _copy_of(present, old)
            if copy is not None:
                self.store.merge_duplicate(old["id"], copy["id"])
                self.progress.renumbered[old["id"]] = copy["id"]
                log.info("%r went missing: its history goes to its copy %r", old["path"], copy["path"])
                merged += 1
        return merged


def _fitted_alike(missing: _Candidates, news: list) -> dict[int, set[int]]:
    """For each new file, the missing tracks it may not take: those that it and another song
    fit by the same evidence. Files of one size, modification time and length (two untagged
    takes of one length, their times set alike by a sync tool) renamed together (``mv a.wav
    y.wav; mv b.wav x.wav``) fit each other's tracks as well as their own, and the one most
    played went to whichever new name came first. Rivals that are copies of one song do not
    count: of the same name and tags on the missing side (a track kept twice), of the same
    bytes on the new side. Nor may a file take a track that another file fits better."""
    tops: dict[int, tuple] = {}
    for new in news:
        ranked = missing.ranked(new)
        if ranked:
            best = ranked[0][0][:3]
            tops[new["id"]] = (best, [row for key, row in ranked if key[:3] == best])
    takers: dict[int, list] = {}
    for new in news:
        best, rows = tops.get(new["id"], (None, ()))
        for old in rows:
            takers.setdefault(old["id"], []).append((best, new))
    alike: dict[int, set[int]] = {}
    same: dict[frozenset, bool] = {}
    for new in news:
        best, rows = tops.get(new["id"], (None, []))
        if any(not _kept_twice(rows[0], row) for row in rows[1:]):
            alike.setdefault(new["id"], set()).update(row["id"] for row in rows)
            continue        # (none of them its: no file need be read to tell)
        for old in rows:
            # (a file that fits the track by less than another does is no rival to it: a moved
            # file, its size and time to the nanosecond, beside another recording of its song
            # tagged alike, is the track's; and the weaker fit never takes it, met first)
            rivals = [other for rank, other in takers[old["id"]] if other is not new and rank == best]
            if any(rank > best for rank, other in takers[old["id"]]) or any(
                    not _same_bytes(new, other, same) for other in rivals):
                alike.setdefault(new["id"], set()).add(old["id"])
    return alike


def _kept_twice(a, b) -> bool:
    """Whether two tracks of one size and time are one song kept twice: same name and tags."""
    return os.path.basename(a["path"]) == os.path.basename(b["path"]) and a["match_key"] == b["match_key"]


def _same_bytes(a, b, known: dict) -> bool:
    """Whether the files of two tracks hold the same bytes (copies of one file). ``known``: the
    pairs compared already, each read once (a copy's files are read whole to tell)."""
    # (a CUE sheet's track is named by its file's path and its number, a name no file has:
    # its file's bytes are compared, each file once for all the tracks of the album in it)
    pair = frozenset((audio_path(a), audio_path(b)))
    if pair not in known:
        try:
            known[pair] = filecmp.cmp(audio_path(a), audio_path(b), shallow=False)
        except OSError:
            known[pair] = False
    return known[pair]


def _copy_of(present: _Candidates, old):
    """The row of ``present`` that takes the history of the missing track ``old``, or None.
    Only the same file (size and modification time, as a copy that keeps dates makes),
    added after it: the merge cannot be undone, and a track only gone for a while (a folder
    moved out and back, a disk inside a library folder not connected) must not fold into
    another version of its song (a remaster, a compilation's). Nor another song whose file
    happens to be of that size and time (two WAV rips of one length, their times set by a sync
    tool): the copy is also of its length and has its tags or its file's name (see
    :func:`_same_song`)."""
    return present.best(old, added_after=old["added_at"], at_least=3, also=_same_song)


def _same_song(old, copy) -> bool:
    """Whether ``copy``, a file of the size and time of the file of ``old``, is its song: of its
    length (where one is an estimate, seconds off, the name and format tell: see
    :func:`_uncounted_same_file`) and with its tags or its file's name. A copy keeps both; a
    tagger that renamed it kept the tags, and a rename by hand the tags too where there are any."""
    if _uncounted_same_file(old, copy):
        return True
    if not _close(old, copy):
        return False
    tagged = bool(old["match_key"]) and old["match_key"] == copy["match_key"]
    return tagged or os.path.basename(old["path"]) == os.path.basename(copy["path"])


def copy_of_missing(store: Store, track_id: int):
    """The playable track a scan gives the history of the missing track ``track_id`` to (see
    :meth:`Scanner._adopt_late`), or None. For a track that gains its history only now: the
    player opening it as its file goes, where the scan that saw it go found no play to give."""
    old = next((row for row in store.missing_tracks() if row["id"] == track_id), None)
    return _copy_of(_Candidates(store.copies_of_missing()), old) if old is not None else None


def _empty_folder(path: str) -> bool | None:
    """Whether ``path`` is a folder that holds nothing (hidden names aside: a mount point may
    hold a ``.directory`` file); False where it is not there or holds something, None where it
    cannot be listed."""
    try:
        with os.scandir(path) as it:
            return not any(not hidden_name(entry.name) for entry in it)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return None


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (by name: links are not followed)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _unseen_by(path: str, blind: str) -> bool:
    """Whether the track stored as ``path`` is one the scan could not look at for ``blind``: a
    folder it could not list or enter, or (on Windows) a file whose status was refused, which
    is unknown for now, not gone. A CUE sheet's tracks are stored under their audio file's
    name and their number (see :func:`player.library.cue.track_path`): such a file, refused,
    keeps them too. (A file named as one of those tracks would be kept with them: kept, not lost.)"""
    return _inside(path, blind) or path.startswith(blind + "#")


def _overlap(a: str, b: str) -> bool:
    """Whether folders ``a`` and ``b`` hold files in common: one is the other, or inside it,
    once links are followed, or by the disk's own reckoning. Names alone miss a folder
    spelled otherwise on a disk that ignores case (macOS, Windows: ~/music for ~/Music)
    and a folder mounted in two places."""
    ra, rb = os.path.realpath(a), os.path.realpath(b)
    return _inside(ra, rb) or _inside(rb, ra) or _within(ra, rb) or _within(rb, ra)


def _within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies below it, going by what the disk says each folder
    on the way up is (not by names)."""
    try:
        target = os.stat(folder)
    except OSError:
        return False
    while True:
        try:
            if os.path.samestat(os.stat(path), target):
                return True
        except OSError:
            pass
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def _close(a, b) -> bool:
    return (a["duration"] is not None and b["duration"] is not None
            and abs(a["duration"] - b["duration"]) <= MOVE_DURATION_TOLERANCE_S)


def _same_recording(new, old) -> int:
    """How surely the file of ``new`` is the recording ``old`` was: 3 the same file (its size
    to the byte and its modification time to the nanosecond, as a move keeps them), 2 the
    same MusicBrainz recording (retagged by a tagger that also moved it), 1 the same artist
    and title; 0 not it. Each within a second of its length, where the lengths are known."""
    lengths = new["duration"] is not None and old["duration"] is not None
    if new["size"] == old["size"] and new["mtime_ns"] == old["mtime_ns"] and new["size"] and _same_range(new, old):
        return 3 if not lengths or _close(new, old) else 0
    if _uncounted_same_file(new, old):
        return 3
    if new["mb_track_id"] and new["mb_track_id"] == old["mb_track_id"]:
        return 2 if not lengths or _close(new, old) else 0
    if new["match_key"] and new["match_key"] == old["match_key"] and _close(new, old):
        return 1
    return 0


def _uncounted_same_file(a, b) -> bool:
    """Whether two rows, one of a file listed at an estimated length and not counted yet (its
    modification time not written: see ``ESTIMATED_MTIME``), are one file: of the same name,
    size to the byte and audio format. A scan stopped in the count, then the file's folder
    renamed: its track, time unknown, was paired with nothing, and the file was a new track
    without the plays logged on the old one meanwhile. (Their lengths are not compared: one is
    an estimate, seconds off.)"""
    if (a["mtime_ns"] not in UNCOUNTED_MTIMES and b["mtime_ns"] not in UNCOUNTED_MTIMES) or not a["size"] \
            or a["size"] != b["size"]:
        return False
    return (os.path.basename(a["path"]) == os.path.basename(b["path"]) and _same_range(a, b)
            and a["codec"] is not None and (a["codec"], a["sample_rate"], a["channels"])
            == (b["codec"], b["sample_rate"], b["channels"]))


def _same_range(a, b) -> bool:
    """Whether two rows of one file are the same part of it: the whole file both, or the same
    track of a CUE sheet (its start). The tracks of an album in one file share its size and
    time, and two of about one length are not the same song."""
    if a["cue_start_s"] is None or b["cue_start_s"] is None:
        return a["cue_start_s"] is None and b["cue_start_s"] is None
    return abs(a["cue_start_s"] - b["cue_start_s"]) < 0.01


def _as_written(text: str | None) -> str:
    """A tag as written, but for case, Unicode forms and spacing (no version words dropped:
    "Song (Live)" is not "Song" here)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split()) if text else ""


def _audio_key(row) -> tuple | None:
    """What a tag fix of a song's artist leaves as it was: its title, album, place on the
    album and audio format. None without a title to go by."""
    title = _as_written(row["title"])
    if not title or row["codec"] is None or not row["sample_rate"] or not row["channels"]:
        return None
    return (title, _as_written(row["album"]), row["disc_no"], row["track_no"],
            row["codec"], row["sample_rate"], row["channels"])


#: uncompressed formats, whose file size follows from the length alone
_SIZE_FROM_LENGTH = frozenset({"wav", "aiff", "au"})


def _format_key(row) -> tuple | None:
    """The audio format of ``row``'s file, keyed as :func:`_untagged_key` keys a track."""
    if row["codec"] is None or not row["sample_rate"] or not row["channels"]:
        return None
    return ("untagged", row["codec"], row["sample_rate"], row["channels"])


def _untagged_key(row) -> tuple | None:
    """What tagging an untagged track (listed by its file name: no title, album, place or
    MusicBrainz recording) leaves as it was: its audio format. None for a tagged one."""
    if row["title"] or row["album"] or row["track_no"] is not None or row["mb_track_id"]:
        return None
    if row["codec"] in _SIZE_FROM_LENGTH:
        return None     # (the size of any song of that length: nothing but the length to go by)
    return _format_key(row)


def _same_audio(new, old) -> bool:
    """Whether the file of ``new`` holds the audio ``old`` had, whatever its artist tag says:
    the same title, album, place on the album and format (:func:`_audio_key`), the same
    length to the hundredth of a second (the tags leave the audio as it was; another
    recording of a song is hardly ever that close), a file the size it was give or take what
    a rewrite of the tags moves it by, and no MusicBrainz recording of each that differs."""
    if new["duration"] is None or old["duration"] is None or not new["size"] or not old["size"]:
        return False
    if new["mb_track_id"] and old["mb_track_id"] and new["mb_track_id"] != old["mb_track_id"]:
        return False
    slack = RETAG_SIZE_SLACK + RETAG_SIZE_FRACTION * max(new["size"], old["size"])
    return (abs(new["duration"] - old["duration"]) <= SAME_AUDIO_LENGTH_S
            and abs(new["size"] - old["size"]) <= slack)


def _holds_what_it_had(stored, row: dict) -> bool:
    """Whether a file read again gave its track every value it has (its times aside). The
    stars the person gave here stand for the file's (the write keeps them): a song rated here
    is not changed for its file's own stars."""
    own = "own_rating" in stored.keys() and stored["own_rating"] is not None
    return all(stored[key] == row.get(key) for key in _TAG_FIELDS if not (own and key == "rating"))


def _another_track_of_the_sheet(stored, row: dict, rows: list[dict], stored_starts: list[tuple]) -> bool:
    """Whether a sheet's track (``row``, one of the file's ``rows``) now names another song
    than its stored track: not the same title, another start, and either the stored track's
    start is another track's now (a track split in two, one added) or the track starts where
    another stored track of the file did (one removed, the numbers after it moved down).
    ``stored_starts``: ``(id, start)`` of the file's stored tracks. (The same title with
    another start is an index put right; another title and another start, with no other
    track starting where either does, a title and an index put right together. A file's
    first track is listed from the file's start whatever its index says: that start tells
    nothing.)"""
    if stored["cue_start_s"] is None or row.get("cue_start_s") is None or _same_range(stored, row):
        return False
    if stored["match_key"] and stored["match_key"] == row.get("match_key"):
        return False
    return ((stored["cue_start_s"] > 0 and any(other is not row and _same_range(stored, other) for other in rows))
            or any(track_id != stored["id"] and start is not None and abs(start - row["cue_start_s"]) < 0.01
                   for track_id, start in stored_starts))


#: how near two of a sheet's tracks' lengths are for one song ripped twice: half a CD frame
#: (a sheet's times are whole frames; a rip of the same CD gives each track its frames again)
SHEET_LENGTH_S = 0.5 / 75


def _songs_renumbered(stored: list, rows: list[dict]) -> dict[int, str]:
    """``stored track id -> path`` of a sheet's stored tracks (of one file) whose song is
    another number of the sheet now: the one row of the same title (match key), or, where
    neither names one, the one row of its length to the frame, each the only stored track
    that fits that row. Tracks whose song keeps its number are not in it."""
    def key(r, named: bool):
        return r["match_key"] if named else round(r["duration"] / SHEET_LENGTH_S) if r["duration"] else None

    out = {}
    for named in (True, False):
        for r in stored:
            k = key(r, named)
            if k is None or bool(r["match_key"]) != named:
                continue
            fits = [row for row in rows if bool(row.get("match_key")) == named and _fits(key(row, named), k, named)]
            rivals = [o for o in stored if bool(o["match_key"]) == named and _fits(key(o, named), k, named)]
            if len(fits) == 1 and len(rivals) == 1 and fits[0]["path"] != r["path"]:
                out[r["id"]] = fits[0]["path"]
    return out


def _fits(a, b, named: bool) -> bool:
    return a is not None and (a == b if named else abs(a - b) <= 1)


def holds_another_song(stored, row: dict) -> bool:
    """Whether a changed file now holds another song than its track had: other artist and
    title and another length (a retag keeps the length; a better rip of it keeps the tags)."""
    if stored["duration"] is None or row.get("duration") is None:
        return False
    return bool(stored["match_key"] and row.get("match_key") and stored["match_key"] != row["match_key"]
                and not _close(stored, row))


class _Candidates:
    """Tracks to pair files with, looked up by what identifies them."""

    def __init__(self, rows):
        self.rows = {row["id"]: row for row in rows}
        self._by: dict = {}
        for row in self.rows.values():
            for key in self._keys(row):
                self._by.setdefault(key, []).append(row["id"])

    @staticmethod
    def _keys(row):
        keys = [("file", row["size"], row["mtime_ns"]), ("size", row["size"])]
        if row["mtime_ns"] in UNCOUNTED_MTIMES:
            keys.append(("uncounted", row["size"]))     # (its time not known: see _uncounted_same_file)
        if row["mb_track_id"]:
            keys.append(("mbid", row["mb_track_id"]))
        if row["match_key"]:
            keys.append(("tags", row["match_key"]))
        return keys

    def __bool__(self) -> bool:
        return bool(self.rows)

    def remove(self, row) -> None:
        self.rows.pop(row["id"], None)

    def best(self, target, *, added_after: float | None = None, at_least: int = 1, also=None):
        """The row most surely the recording of ``target`` (ties: the same file to the
        nanosecond, then the same file name, then the one with more plays, then the older), at
        least ``at_least`` sure (see :func:`_same_recording`), or None. (A track not counted yet
        is paired on its file's name and size alone: a copy of its file beside it, copied with
        new times, is as sure by those, and took the file of its own track, to the
        nanosecond, where it was played more.) ``also(target, row)``: what a row must pass besides."""
        ranked = self.ranked(target, added_after=added_after, at_least=at_least, also=also)
        return ranked[0][1] if ranked else None

    def ranked(self, target, *, added_after: float | None = None, at_least: int = 1, also=None) -> list:
        """The rows :meth:`best` chooses from, as ``(rank, row)``, the best first."""
        ranked, seen = [], set()
        # (a target not counted yet may be any row of its size: a row's own time is no help)
        near = [("size", target["size"])] if target["mtime_ns"] in UNCOUNTED_MTIMES else [("uncounted", target["size"])]
        for key in [*(key for key in self._keys(target) if key[0] != "size"), *near]:
            for tid in self._by.get(key, ()):
                row = self.rows.get(tid)
                if row is None or tid == target["id"] or tid in seen \
                        or (added_after is not None and row["added_at"] <= added_after):
                    continue
                seen.add(tid)
                sure = _same_recording(target, row)
                if sure >= at_least and (also is None or also(target, row)):
                    same_name = os.path.basename(row["path"]) == os.path.basename(target["path"])
                    same_file = (row["size"], row["mtime_ns"]) == (target["size"], target["mtime_ns"])
                    ranked.append(((sure, same_file, same_name, row["plays"], -tid), row))
        return sorted(ranked, key=lambda r: r[0], reverse=True)
