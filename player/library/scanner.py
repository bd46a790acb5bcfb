"""The incremental library scanner.

Walks the configured folders, reads tags of new or changed files (same size and
mtime means unchanged: the file is not reopened), upserts them in batches,
flags vanished files as missing (their plays stay), and re-attaches a file that
moved to its old track when its tags and duration identify it. A file that
cannot be read is stored with its error and not retried until it changes.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from player.history.importer import link_unmatched
from player.library.tags import AUDIO_EXTENSIONS, TagReadError, read_tags
from player.store import Store

log = logging.getLogger(__name__)

BATCH = 250
MOVE_DURATION_TOLERANCE_S = 1.0


@dataclass
class ScanProgress:
    """Counts reported while scanning (``seen`` grows as files are found)."""

    seen: int = 0
    done: int = 0
    read: int = 0
    unchanged: int = 0
    errors: int = 0
    missing: int = 0
    moved: int = 0
    linked: int = 0          # imported listens that became plays of the tracks this scan added
    folder: str = ""
    finished: bool = False
    error_paths: list[tuple[str, str]] = field(default_factory=list)


ProgressCallback = Callable[[ScanProgress], None]


class ScanCancelled(Exception):
    pass


def walk_audio(root: str) -> Iterator[os.DirEntry]:
    """Audio files below ``root`` in a stable order.

    Follows symlinked folders (people link music in from other disks) but visits
    each real folder once, so a link loop cannot hang the scan. Hidden files and
    folders are skipped (among them macOS "._name.mp3" resource forks, which look
    like broken audio).
    """
    stack = [root]
    visited: set[tuple[int, int]] = set()
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in visited:
                continue
            visited.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    subdirs.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
                    yield entry
            except OSError:
                continue
        stack.extend(reversed(subdirs))


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

    def cancel(self) -> None:
        self._cancelled = True

    def _report(self, force: bool = False) -> None:
        if self._progress_cb is None:
            return
        now = time.monotonic()
        if force or now - self._last_report >= self._interval:
            self._last_report = now
            self._progress_cb(self.progress)

    def scan(self, folders: list[str] | None = None) -> ScanProgress:
        """Scan the given folders (added to the library) or every library folder."""
        if folders:
            roots = [os.path.abspath(f) for f in folders]
            for root in roots:
                self.store.add_folder(root)
        else:
            roots = [row["path"] for row in self.store.folders()]
        folder_ids = {row["path"]: row["id"] for row in self.store.folders()}
        new_paths: list[str] = []
        started = time.time()
        try:
            for root in roots:
                self.progress.folder = root
                new_paths += self._scan_folder(root, folder_ids[root])
            self.progress.moved = self._adopt_moved(new_paths)
            if self.progress.read:
                # Imported history kept for songs the library lacked: new or retagged files may be them.
                self.progress.linked = link_unmatched(self.store, changed_since=started)
        finally:
            self.progress.finished = True
            self._report(force=True)
        return self.progress

    def _scan_folder(self, root: str, folder_id: int) -> list[str]:
        """Scan one folder; returns the paths that are new to the library."""
        known = self.store.file_index(folder_id)
        seen: set[str] = set()
        batch: list[dict] = []
        new_paths: list[str] = []
        returned: list[int] = []
        if not os.path.isdir(root):
            log.warning("library folder %s is not available; its tracks are left as they are", root)
            return []
        for entry in walk_audio(root):
            if self._cancelled:
                raise ScanCancelled()
            path = entry.path
            seen.add(path)
            self.progress.seen += 1
            try:
                st = entry.stat()
            except OSError as exc:
                log.warning("cannot stat %s: %s", path, exc)
                continue
            old = known.get(path)
            if old is not None and old[1] == st.st_size and old[2] == st.st_mtime_ns and not old[3]:
                self.progress.unchanged += 1
                self.progress.done += 1
                self._report()
                continue
            row = {"path": path, "folder_id": folder_id, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
            if old is not None and old[1] == st.st_size and old[2] == st.st_mtime_ns:
                # Came back unchanged after being missing: no need to reopen it either.
                returned.append(old[0])
                self.progress.unchanged += 1
                self.progress.done += 1
                continue
            try:
                row.update(read_tags(path))
                self.progress.read += 1
            except TagReadError as exc:
                row["last_error"] = str(exc)
                self.progress.errors += 1
                self.progress.error_paths.append((path, str(exc)))
                log.info("skipped %s: %s", path, exc)
            if old is None:
                new_paths.append(path)
            batch.append(row)
            self.progress.done += 1
            if len(batch) >= BATCH:
                self.store.upsert_tracks(batch)
                batch.clear()
            self._report()
        self.store.upsert_tracks(batch)
        self.store.mark_present(returned)
        vanished = [tid for path, (tid, _s, _m, missing) in known.items() if path not in seen and not missing]
        self.progress.missing += self.store.mark_missing(vanished)
        self.store.set_folder_scanned(folder_id)
        return new_paths

    def _adopt_moved(self, new_paths: list[str]) -> int:
        """Re-attach new files to missing tracks that their tags and duration identify."""
        if not new_paths:
            return 0
        candidates: dict[str, list] = {}
        for row in self.store.missing_with_key():
            candidates.setdefault(row["match_key"], []).append(row)
        if not candidates:
            return 0
        moved = 0
        for path in new_paths:
            new = self.store.track_by_path(path)
            if new is None or new["match_key"] is None or new["last_error"]:
                continue
            for old in candidates.get(new["match_key"], []):
                same_mbid = new["mb_track_id"] and new["mb_track_id"] == old["mb_track_id"]
                close = (new["duration"] is not None and old["duration"] is not None
                         and abs(new["duration"] - old["duration"]) <= MOVE_DURATION_TOLERANCE_S)
                if same_mbid or close:
                    self.store.adopt_moved(old["id"], new["id"])
                    candidates[new["match_key"]].remove(old)
                    log.info("%s moved to %s", old["path"], new["path"])
                    moved += 1
                    break
        return moved
