"""The main window's library work: scanning, Discover rows, settings, forgetting history.

Mixed into :class:`player.ui.main_window.MainWindow`; every write runs on the
database-write pool and reports back on the GUI thread.
"""

from __future__ import annotations

import logging
import os
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from player import paths
from player.library.names import NAME_COLUMNS, Namer
from player.ui.announce import announce
from player.ui.folder_watch import FOLLOW_SETTING
from player.workers import OneAtATime, db_write_pool, run_task
from segue_common.listening import SUGGESTED_SOURCES
from segue_common.text import shown

log = logging.getLogger(__name__)
DISCOVER_PER_BUCKET = 14


class DiscoverRows(dict):
    """Discover's rows, ``bucket -> [(track_id, title, artist, reason), ...]``, and what each
    row says of its genre beside its heading (``captions``, ``bucket -> caption``; a
    provider with nothing to say has none)."""

    captions: dict[str, str]


def discover_rows(provider, store, today: date | None = None) -> DiscoverRows:
    """Discover's rows as the panel shows them (see :class:`DiscoverRows`), those of the day
    ``today`` (by default the clock's). Run on a worker: it reads the whole library."""
    rows = DiscoverRows()
    namer = Namer.of(store)
    found = provider.discover(DISCOVER_PER_BUCKET, today=today)
    # The tracks of every row in a few reads of the columns that name them: a query per
    # track, each reading every column, took twice as long at a thousand genre values.
    tracks = store.tracks_by_id((rec.track_id for recs in found.values() for rec in recs), NAME_COLUMNS)
    for bucket, recs in found.items():
        entries = []
        for rec in recs:
            t = tracks.get(rec.track_id)
            if t is not None:
                names = namer(t)
                entries.append((rec.track_id, names.title, names.artist, rec.reason))
        rows[bucket] = entries
    captions = getattr(provider, "discover_captions", None)
    rows.captions = captions(list(rows)) if captions is not None else {}
    return rows


def _changed(result, before: tuple, after: tuple) -> bool:
    """Whether a scan changed the library: files read, gone, moved or merged, or tracks back
    (a disk connected again brings its tracks back without reading them). A file read again
    that held what its track had (touched, its permissions changed) changed nothing."""
    return bool(result.read - result.same or result.errors or result.missing or result.moved or result.renumbered
                or result.linked or result.playlist_links or before != after)


def _follow_message(result, before: tuple, after: tuple) -> str:
    """What a rescan nobody asked for says when it changed the library: tracks added and gone
    (a moved file is neither), unreadable files found."""
    gone = result.missing
    added = max(0, after[0] - before[0] + gone)
    parts = []
    if added:
        parts.append(f"{added:,} track{'s' if added != 1 else ''} added")
    if gone:
        parts.append(f"{gone:,} gone")
    if result.errors:
        parts.append(f"{result.errors:,} unreadable file{'s' if result.errors != 1 else ''}")
    if not parts:
        read = result.read - result.same
        parts.append(f"{read:,} track{'s' if read != 1 else ''} read again" if read else "tracks updated")
    return "Music folders changed: " + ", ".join(parts)


def _two_folders(folders: list[str]) -> str:
    return ", ".join(map(shown, folders[:2])) + ("…" if len(folders) > 2 else "")


def _unavailable_note(folders: list[str]) -> str:
    return f"Not there or empty, left as they were: {_two_folders(folders)} (a disk or share not connected?)"


def _back_note(folders: list[str]) -> str:
    return (f"Connected again: {_two_folders(folders)} "
            f"({'their' if len(folders) > 1 else 'its'} songs play, and are suggested, again)")


def _not_connected(unreadable: list[tuple[str, str]]) -> list[str]:
    """The mount points among the places a scan could not look into that it found empty: a disk
    or share not connected there."""
    from player.library import scanner

    return [path for path, reason in unreadable if reason == scanner.NOT_CONNECTED]


def _unreadable_notes(unreadable: list[tuple[str, str]]) -> list[str]:
    """What the status says of the places a scan could not look into (``(path, reason)``):
    folders it could not list or enter, and, on Windows, where any folder can be entered, single
    files whose status was refused (their permissions, a program holding them). Each said as
    what it is: a file called a folder sent the person looking for a folder to fix."""
    from player.library import scanner

    files = [path for path, _ in unreadable if not scanner.STAT_DENIED_IS_THE_FOLDERS and not os.path.isdir(path)]
    # A mount point found empty is no folder to fix but a disk to connect, or a folder to
    # delete once its songs are gone for good: said so, as the only way to stop hearing of it.
    empty = _not_connected(unreadable)
    folders = [path for path, _ in unreadable if path not in files and path not in empty]
    notes = []
    if empty:
        n = len(empty)
        notes.append(f"Empty, {'their' if n > 1 else 'its'} songs kept: {_two_folders(empty)} (a disk or share not "
                     f"connected? Delete the empty folder{'s' if n > 1 else ''} if the songs are gone for good)")
    if folders:
        n = len(folders)
        notes.append(f"{n:,} folder{'s' if n > 1 else ''} could not be read, {'their' if n > 1 else 'its'} tracks"
                     f" left as they were: {shown(folders[0])}" + ("…" if n > 1 else ""))
    if files:
        n = len(files)
        kept = "their tracks left as they were" if n > 1 else "its track left as it was"
        notes.append(f"{n:,} file{'s' if n > 1 else ''} could not be looked at, {kept}: {shown(files[0])}"
                     + ("…" if n > 1 else ""))
    return notes


#: what a rescan nobody asked for gives when following the folders was turned off before it ran
_FOLLOW_OFF = object()


class LibraryTasksMixin:
    # -- scanning ------------------------------------------------------------
    def start_first_scan(self, folders: list[str]) -> None:
        if not folders:        # the welcome page says so itself; never a silent nothing
            return
        self.stack.setCurrentIndex(0)
        self.scan(folders)

    _scan_quiet = False         # the running scan is one nobody asked for (see follow_rescan)
    _scan_again = False         # a rescan nobody asked for waits for the running scan
    _scan_said = None           # what the last scan said in the status bar
    _scan_waiting: list[str] | None = None     # folders a scan was asked for while one ran
    _unavailable_said: frozenset = frozenset()  # library folders the last scans found not there
    _scan_some = False          # the running scan is of some folders (just added), not all
    _reading_again: frozenset = frozenset()     # the "Read tags again" tasks not done yet
    _reads_asked = 0            # how many were asked for: each has its own entry among the tasks
    #: track id -> its library folder, for the folders the last scans found away (a disk not connected)
    away_tracks: dict = {}
    #: the tracks whose files the last scan found gone (see :meth:`_missing_now`)
    missing_tracks: frozenset = frozenset()

    def rescan(self) -> None:
        self.scan(None)

    def follow_rescan(self) -> None:
        """A rescan nobody asked for, to keep the library in step with its folders (at start,
        and when they changed while the window is open). It says nothing and leaves the table
        as it is unless it changed the library. Asked while a scan runs, it runs once after
        that one, however often it was asked meanwhile."""
        if self._scan is not None:
            self._scan_again = True
            return
        self.scan(None, quiet=True)

    def scan(self, folders: list[str] | None, *, quiet: bool = False) -> None:
        """Scan on the database-write thread; tracks appear while it runs. ``quiet``: see
        :meth:`follow_rescan`."""
        if self._scan is not None:
            if not quiet and self._scan_quiet and not folders:
                # File → Rescan while a rescan nobody asked for runs: that one is the rescan
                # asked for, and says what it did. It may have passed a file changed just
                # before the person asked: a look after it (quiet, unless it finds something)
                # makes sure.
                self._scan_quiet = False
                self._scan_again = True
                self._scan_said_is_old()
                self.tasks.start("scan", "Scanning")
            elif folders and not quiet:
                # Folders just added (Settings) while a scan runs: scanned once it is done
                # (dropped, they waited for the next start or File → Rescan).
                self._scan_waiting = sorted({*(self._scan_waiting or []), *folders})
            return
        store = self.store

        def work(report):
            from player.library.scanner import Scanner

            if not folders and not store.folders():
                return None             # nothing to scan: said in _scan_done
            if quiet and not store.get_setting(FOLLOW_SETTING, True):
                # Following was turned off while this one waited (Settings are saved on this
                # thread, after the scan it waited for): the person no longer wants it.
                return _FOLLOW_OFF
            before = store.library_counts()
            # The scan also links playlist entries to the tracks it brings.
            result = Scanner(store, progress=lambda p: report((p.done, p.total, p.seen, p.errors, p.read - p.same,
                                                               p.counted, p.counting)),
                             progress_interval_s=0.2).scan(folders)
            # A scan reads only the files that changed: the unreadable ones left as they were
            # are not in its count, and the library still has them.
            after = store.library_counts()
            # A disk gone or back: what suggestions may offer changes with it.
            return result, after["errors"], (before["tracks"], before["missing"], before["errors"]), \
                (after["tracks"], after["missing"], after["errors"]), store.away_tracks(), \
                store.missing_track_ids()

        self._scan_quiet = quiet
        self._scan_some = bool(folders)
        if not quiet:
            self._scan_said_is_old()
            self.tasks.start("scan", "Scanning")
        self._scan_read = self._scan_shown = 0
        self._scan = run_task(work, self._scan_done, pool=db_write_pool(), progress=self._scan_progress,
                              name="scan")
        self._scan_timer.start()

    def _scan_said_is_old(self) -> None:
        """A new scan starts: what the last one said goes. Left for its fifteen seconds, it read
        "Scanned 91 files" beside the new one's "Scanning: 2,343 of 3,100", the two counts
        contradicting each other, and its way to the unreadable files pointed at a list the new
        scan was about to change."""
        if self._scan_said and self.statusBar().currentMessage() == self._scan_said:
            self.statusBar().clearMessage()

    def _scan_progress(self, value) -> None:
        done, total, seen, errors, self._scan_read, counted, counting = value
        if self._scan_quiet and not self._scan_read and not errors:
            return              # a rescan nobody asked for shows itself once it finds something to read
        if not total:           # still listing the folders
            self.tasks.update("scan", seen, None, "Looking for music files:")
            return
        if counting:            # every file listed; the lengths only a whole decode gives, counted
            self.tasks.update("scan", counted, counting, "Counting lengths:")
            return
        self.tasks.update("scan", done, total, f"Scanning ({errors} unreadable):" if errors else "Scanning:")

    def _scan_tick(self) -> None:
        """While a scan runs, the tracks it has read so far appear, once a second; a scan that
        has read nothing new yet (most rescans) leaves the library as it is: reloading it
        resets the table, a stall of a quarter of a second or more at 50,000 tracks."""
        if self._scan_read != self._scan_shown:
            self._scan_shown = self._scan_read
            self.reload_library()

    def _scan_done(self, result, error) -> None:
        self._scan = None
        self._scan_timer.stop()
        self.tasks.finish("scan")
        quiet, self._scan_quiet = self._scan_quiet, False
        try:
            if self._scan_landed(result, error, quiet):
                self.library_scanned.emit()
        finally:
            self.folder_watch.refresh()     # folders the scan found new, or gone, or the library's own changed
            if self._scan_waiting:
                folders, self._scan_waiting = self._scan_waiting, None
                self.scan(folders)
            elif self._scan_again:
                self._scan_again = False
                self.follow_rescan()

    def _scan_landed(self, result, error, quiet: bool) -> bool:
        """Say what the scan did; False where it changed nothing (a quiet one that found the
        folders as they were)."""
        if result is _FOLLOW_OFF:
            if not quiet:
                # File → Rescan took over a look that then found following turned off: the
                # rescan asked for runs now.
                self.scan(None)
            return False
        if error is not None:
            self._scan_said = f"Scan failed: {error}"
            self.statusBar().showMessage(self._scan_said, 10000)
            self.scan_finished.emit(error)
        elif result is None:
            if not quiet:
                self._scan_said = "No music folders to scan yet: add one in File → Settings…"
                self.statusBar().showMessage(self._scan_said, 15000)
                self.reload_library()        # the last folder may just have been removed: its tracks go
            self.scan_finished.emit(None)
            return True
        else:
            result, unreadable, before, after, away, missing = result
            if result.renumbered and self.player is not None:
                renumbered = result.renumbered
                # On the player's thread: it takes the player's lock, which a command holds
                # through a database write or an engine stop (up to a second), and saves the
                # state. What the window shows of the song playing follows once it is done (the
                # library read again meanwhile may have asked the player too early).
                self._command(lambda p: p.renumber(renumbered),
                              lambda result=None, error=None: self._shown_song_follows(renumbered))
                self._station_follows(renumbered)
            self._away_now(away)
            self._missing_now(missing)
            said = self._unavailable_said
            # (a share mounted inside a library folder, found empty, is away as a library folder is)
            away_now = [*result.unavailable, *_not_connected(result.unreadable_folders)]
            # A scan of the folders just added says nothing of the others: those it did not
            # look at stay as they were said.
            self._unavailable_said = frozenset(away_now) | (said if self._scan_some else frozenset())
            if quiet:
                # A disk not connected at the start leaves its tracks listed and unplayable:
                # the person hears of it once, not again at every look while it stays away.
                unavailable = [f for f in away_now if f not in said]
                notes = ([_unavailable_note(unavailable)] if unavailable else []) + \
                    ([_back_note(result.back)] if result.back else [])
                if not _changed(result, before, after):
                    # Most starts: the table stays as it is (reloading it resets it and stalls
                    # the window, see _scan_tick), the status bar says nothing, and the
                    # recommender keeps what it has built.
                    if notes:
                        self._scan_said = ". ".join(notes)
                        self.statusBar().showMessage(self._scan_said, 15000)
                    self.scan_finished.emit(result)
                    return False
                message = ". ".join([_follow_message(result, before, after), *notes])
                self._problems_note = message if result.errors else None
            else:
                message = f"Scanned {result.done:,} files: {result.read:,} read, {result.errors:,} unreadable"
                if unreadable > result.errors:
                    message += f" ({unreadable:,} unreadable file{'s' if unreadable > 1 else ''} in the library)"
                if result.unavailable:
                    message += ". " + _unavailable_note(result.unavailable)
                if result.back:
                    message += ". " + _back_note(result.back)
                if result.moved:
                    # (a disk mounted at another place and added: without a word, the person took
                    # the songs for new ones, and looked for their plays and stars at the old place)
                    message += (f". {result.moved:,} track{'s' if result.moved > 1 else ''} found at a new place,"
                                f" with {'their' if result.moved > 1 else 'its'} plays and stars")
                if result.unreadable_folders:
                    message += "".join(". " + note for note in _unreadable_notes(result.unreadable_folders))
                # The count alone leaves the person to guess which files: the way to their names
                # shows beside the message, as long as it does.
                self._problems_note = message if result.errors or unreadable else None
            self._scan_said = message
            self.statusBar().showMessage(message, 15000)
            self.scan_finished.emit(result)
        self.reload_problems()
        self.reload_library()
        self.refresh_playlists()
        return True

    def _station_follows(self, renumbered: dict[int, int]) -> None:
        """The station follows its seed, as the player does: asked around the track merged
        away, it found nothing and the music stopped."""
        if self.station is not None:
            from player.playback import followed

            self.station.seed = followed(renumbered, self.station.seed)

    def _tracks_followed(self, renumbered: dict[int, int]) -> None:
        """The player opened tracks that a scan elsewhere (``segue scan``), or the player
        itself, had merged into others, and has followed them (``{gone: now}``): the window
        follows as it does after its own scan's merges, and reads the library again, where
        the track gone was still listed, marked as the song playing."""
        self._shown_song_follows(renumbered)
        self._station_follows(renumbered)
        self.reload_library()

    def _shown_song_follows(self, renumbered: dict[int, int]) -> None:
        """The window shows the song playing as the player now has it: its library row, and
        the now-playing bar, the window's title, the listening tab's mark and the desktop's
        media controls. Left on the track merged away, the bar and the title were named
        "track N" once the library was read again, and the desktop lost the song's cover."""
        from player.playback import followed

        playing = self.model.playing_id
        if playing is not None and playing in renumbered:
            self.model.set_playing(followed(renumbered, playing))
        started = self._started_track
        if started is not None and started in renumbered:
            # (repeat one: the next lap comes as the copy's track, and is the song already said)
            self._started_track = followed(renumbered, started)
        shown = self._shown_track
        if shown is None or shown not in renumbered:
            return
        self._shown_track = now = followed(renumbered, shown)
        self.listening.set_playing(now)
        if self.chapters.track_id == shown and not self.chapters.renumber(now):
            self._read_chapters(now)    # (the read under way is for the track gone, and is not shown)
        if self.shared_cover is not None and self.shared_cover[0] == shown:
            self.shared_cover = (now, self.shared_cover[1])     # the same file, the same picture
        self._name_shown_again()
        mpris = getattr(self, "mpris", None)
        if mpris is not None:
            mpris.announce()        # its track id is the copy's now

    def _away_now(self, away: dict) -> None:
        """The tracks of library folders not connected now (``track id -> folder``), as the
        store has them after a scan or at the start.

        The songs of a disk not connected would fail one after another: where that changed,
        Segue's suggestions of them and the rest of a list played leave Up next (what the
        person queued song by song stays, and says where it is) and Discover, and none is
        offered until the disk is back. Their rows are greyed in the library."""
        if away.keys() != self.away_tracks.keys():
            gone = away.keys() - self.away_tracks.keys()
            self.away_tracks = away
            if gone and self.player is not None:
                # The rest of a list the person played (an album of the disk, after a
                # double-click) goes too; what they queued song by song stays.
                self._command(lambda p: p.drop_list_entries(gone))

            def read(result, error):
                if error is not None:
                    log.warning("could not read what suggestions leave out: %s", error)
                else:
                    self._drop_suggestions(result)

            # What no suggestion may offer now, read on the write thread: in turn with the
            # "Don't suggest" writes, so an older list never lands after a newer one.
            run_task(self.store.left_out_ids, read, pool=db_write_pool(), name="left-out-ids")
            self.refresh_up_next()
        self.model.set_away(away)

    def _missing_now(self, missing: set[int]) -> None:
        """The tracks whose files the scan found gone (deleted, or moved where it found no
        copy to give them to), as the store has them after a scan.

        Each would fail in turn with "file not found" where Up next reached it. As for a disk
        not connected: the suggestions of them and the rest of a list played leave Up next,
        and what the person queued song by song stays, saying its file is gone (they chose
        it, and see why it will not play). A moved file the scan followed is not among them:
        its entries follow it to its new row (see ``renumber``)."""
        missing = frozenset(missing)
        if missing == self.missing_tracks:
            return
        gone = missing - self.missing_tracks
        self.missing_tracks = missing
        if gone and self.player is not None:
            self._command(lambda p: p.drop_list_entries(gone))
        self.refresh_up_next()

    def _status_message_changed(self, text: str) -> None:
        self.problems_link.setVisible(bool(text) and text == self._problems_note)
        said, tip = getattr(self, "_status_tip", ("", ""))
        bar = self.statusBar()
        bar.setToolTip(tip if text and text == said else "")
        # The status bar paints its message; it is no label a screen reader could find or hear
        # change ("Could not play ...", "Removed 2 songs from Up next"): the message is said as
        # it comes, without taking the keyboard from where it is, and is the bar's description
        # while it shows, for a reader asked to read the status bar.
        bar.setAccessibleDescription(text)
        # Not a menu item's status tip: said at every arrow through a menu, these polite words
        # queued up behind the items' names and were still being read after the keyboard had
        # gone on (the item itself is what the reader says).
        if getattr(self, "_showing_tip", False):
            return
        # While another application is in use, only what went wrong with the music itself is
        # said (see show_trouble): a scan done or a playlist saved spoke over the other
        # application's words; it is still in the bar when the person comes back.
        if getattr(self, "_trouble_showing", False) or self._segue_in_use():
            announce(bar, text)

    def _segue_in_use(self) -> bool:
        """Whether the window in use is Segue's: this one or a dialog of it (Files with
        problems, Settings). Asked of this window alone, a scan a person started from such a
        dialog finished unsaid, as if another application were in use."""
        active = QApplication.activeWindow()
        while active is not None:
            if active is self:
                return True
            active = active.parentWidget()
        return False

    def show_trouble(self, text: str, timeout_ms: int) -> None:
        """Show ``text`` in the status bar as music gone wrong (a song that cannot play, the
        sound output lost, playback stopped): said to a screen reader even while another
        application is in use, as the silence it explains is heard there too."""
        bar = self.statusBar()
        again = bool(text) and bar.currentMessage() == text
        self._trouble_showing = True
        try:
            bar.showMessage(text, timeout_ms)
            if again:
                # The same words still showing make no new message, and so were not said: the
                # song tried again and failed again (Enter on it twice) went by in silence, as
                # if the key had done nothing.
                self._status_message_changed(text)
        finally:
            self._trouble_showing = False

    def reload_problems(self) -> None:
        """File → Files with problems…, while it is open, reads the problems again."""
        dialog = getattr(self, "problems_dialog", None)
        if dialog is not None and dialog.isVisible():
            dialog.reload()

    def open_problems(self):
        """File → Files with problems…: the files the library could not read, analyse or play."""
        from player.ui.problems_dialog import ProblemsDialog

        dialog = getattr(self, "problems_dialog", None)
        if dialog is not None and dialog.isVisible():
            dialog.reload()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = ProblemsDialog(self.store, self)
        self.problems_dialog = dialog
        dialog.show()           # not modal: fix a file, File → Rescan library, and watch its row go
        return dialog

    # -- reading tags again --------------------------------------------------------
    def read_tags_again(self, track_ids: list[int]) -> None:
        """The library's "Read tags again": the selected tracks' files are read on the
        database-write thread whatever their times (a scan goes by them), and the status bar
        says what came of it. Tracks whose tags changed show them everywhere once the library
        is loaded again (the playing song's name too)."""
        ids = list(dict.fromkeys(track_ids))
        if not ids:
            self.statusBar().showMessage("Select the tracks to read again in the library first", 10000)
            return
        store = self.store

        def work(report):
            from player.library.scanner import Scanner

            return Scanner(store, progress=lambda p: report((p.done, p.total, p.counted, p.counting)),
                           progress_interval_s=0.2).read_again(ids)

        # Each read is a task of its own: asked again while one runs (other tracks selected),
        # the first to end takes only its own entry away.
        self._reads_asked += 1
        key = f"read-tags-{self._reads_asked}"

        def progress(value):
            done, total, counted, counting = value
            if counting:        # every file read; the lengths only a whole decode gives, counted (as a scan's)
                self.tasks.update(key, counted, counting, "Counting lengths:")
            else:
                self.tasks.update(key, done, total)

        self.tasks.start(key, "Reading tags again")
        handle = run_task(work, lambda result, error: self._tags_read_again(handle, key, result, error),
                          pool=db_write_pool(), progress=progress, name="read-tags-again")
        self._reading_again |= {handle}

    def _tags_read_again(self, handle, key: str, result, error) -> None:
        self._reading_again -= {handle}
        self.tasks.finish(key)
        if error is not None:
            self.statusBar().showMessage(f"Could not read the tags again: {error}", 10000)
            self.tags_read_again.emit(error)
            return
        n, changed = result.read + result.errors, result.read - result.same
        message = f"Read the tags of {n:,} track{'s' if n != 1 else ''} again: {changed:,} changed"
        if result.errors:
            (path, why), many = result.error_paths[0], result.errors > 1
            message += (f", {result.errors:,} could not be read, kept as {'they were' if many else 'it was'}: "
                        f"{shown(path)} ({why})" + ("…" if many else ""))
        self.statusBar().showMessage(message, 15000)
        if changed:
            self.reload_library()
            self.refresh_playlists()
            # (the recommender goes by tags too. Not library_scanned, which also asks the
            # learner to analyse, lifting an analysis the person cancelled, for a change
            # that leaves every song's audio as it was)
            self.tags_changed.emit()
        self.tags_read_again.emit(result)

    # -- Discover --------------------------------------------------------------
    _discovering = None         # the Discover reads: one at a time (made on first use)
    _discover_day = None        # the day whose rows Discover shows (see refresh_discover)

    def today(self) -> date:
        """The clock's day, where the person is: the day Discover shows when it is opened."""
        return date.today()

    def refresh_discover(self, *, new_day: bool = False) -> None:
        """Discover's rows, read again on a worker. Asked while a read runs (every switch to
        the tab asks), it runs once more when that one lands, not once per ask: each takes a
        second or two at 100,000 tracks, and switching tabs quickly piled them up behind each
        other, holding the workers (and the recommender's first build) for a minute.

        ``new_day``: the person opened the tab or pressed Refresh, and sees the rows of the
        clock's day. A refill (a song left out, the library read again) keeps the day shown:
        open past midnight, it reshuffled every row to the new day under the person's eyes."""
        if new_day or self._discover_day is None:
            self._discover_day = self.today()
        if self._discovering is None:
            self._discovering = OneAtATime()
        self._discovering.request(self._start_discover)

    def _start_discover(self):
        provider, store, day = self.provider, self.store, self._discover_day  # (what is asked may have changed)
        return run_task(lambda: discover_rows(provider, store, day), self._discovered, name="discover")

    def _discovered(self, result, error) -> None:
        if error is None:
            captions = result.captions
            left = self.left_out
            if left:      # read before the person left a song out: it goes now, the next read fills up
                result = {bucket: [e for e in entries if e[0] not in left] for bucket, entries in result.items()}
            self.discover.set_rows(result, captions)
        else:
            log.error("discover failed: %s", error)

    # -- settings ----------------------------------------------------------------
    _reading_settings = None    # the read File → Settings… opens with, while it runs
    _saving_settings = 0        # saves of the settings on the write thread, not yet done
    _settings_wanted = False    # Settings… was asked for while one was

    def open_settings(self) -> None:
        """File → Settings…: the settings and folders are read on a worker, and the dialog
        opens with them (:attr:`settings_opened`); asked again meanwhile, nothing more. Asked
        while a save is on its way (it queues behind a scan on the write thread), the read
        waits for it: read at once, the dialog showed the values from before the save."""
        from player.ui.settings_dialog import read_settings

        if self._saving_settings:
            self._settings_wanted = True
            return
        if self._reading_settings is not None:
            return
        store = self.store
        self._reading_settings = run_task(lambda: read_settings(store), self._settings_read, name="read-settings")

    def _settings_read(self, result, error) -> None:
        from player.ui.settings_dialog import SettingsDialog

        self._reading_settings = None
        if error is not None:
            QMessageBox.warning(self, "Settings", f"Could not read the settings: {error}")
            return
        dialog = SettingsDialog(*result, parent=self)
        dialog.folders.mark_away(set(self.away_tracks.values()) | self._unavailable_said)
        dialog.forget_history.connect(self.forget_history)
        dialog.accepted.connect(lambda: self.save_settings(dialog))
        self.settings_dialog = dialog
        dialog.open()
        self.settings_opened.emit(dialog)

    def save_settings(self, dialog) -> None:
        from player.ui.settings_dialog import KEY_PREAMP, KEY_REPLAYGAIN, KEY_UNTAGGED

        store, values, changed = self.store, dialog.values(), dialog.changed()
        before, after = set(dialog.initial_folders), set(dialog.folders.folders())

        def work():
            # All or nothing: a removal that failed after the settings were written left them
            # saved but not in use (nor the folders rescanned) when the dialog that came back
            # was cancelled.
            with store.transaction():
                store.set_settings(changed)
                for folder in before - after:
                    store.remove_folder(folder)
            return sorted(after - before)

        def done(result, error):
            self._saving_settings -= 1
            if error is not None:
                self._settings_wanted = False       # the dialog comes back as it was left instead
                self._settings_not_saved(dialog, error)
                return
            if not self._saving_settings and self._settings_wanted:
                self._settings_wanted = False
                self.open_settings()
            self.apply_settings(values)
            if self.player is not None and any(values[key] != dialog.initial_values[key]
                                               for key in (KEY_REPLAYGAIN, KEY_PREAMP, KEY_UNTAGGED)):
                self._command(lambda p: p.replaygain_changed())
            if self.intelligence is not None:
                self.intelligence.apply_settings(values)
            if result or before - after:
                self.scan(result or None)
            follow = values.get(FOLLOW_SETTING, True)
            if follow and not self.folder_watch.on:
                self.folder_watch.start()
                self.follow_rescan()        # turned on: in step with the folders at once
            elif not follow and self.folder_watch.on:
                self.folder_watch.stop()
                self._scan_again = False    # a change seen before: no longer followed
            self.settings_saved.emit()

        self._saving_settings += 1
        run_task(work, done, pool=db_write_pool(), name="save-settings")

    def _settings_not_saved(self, dialog, error) -> None:
        """The save failed (the library locked by another program, a full disk): the dialog
        comes back with the choices as they were made, to try OK again or cancel, and says
        why (a warning alone left every choice to be made again)."""
        log.error("could not save the settings: %s", error)
        self.settings_dialog = dialog
        dialog.open()
        box = QMessageBox(QMessageBox.Warning, "Settings", f"Could not save the settings: {error}\n\n"
                          "Your choices are kept: click OK in Settings to try again.", QMessageBox.Ok, dialog)
        box.setTextFormat(Qt.PlainText)
        dialog.save_error = box
        box.open()

    def forget_history(self) -> None:
        store, intelligence, player = self.store, self.intelligence, self.player

        def work():
            # The last track and queue kept for the next start say what was played: they go
            # too (what is on screen now is saved again at the player's next save, with no
            # place in a song begun before the forget), as do the suggestions the person took
            # out of the queue in the session.
            from player.playback import PASSED_SETTING, STATE_SETTING

            store.set_setting(STATE_SETTING, None)
            if intelligence is None or not intelligence.forget_history():
                from player.recommender_service import delete_local_models

                store.forget_history()
                delete_local_models(paths.local_models_dir())
            # Once the plays are gone, not before: the session the player holds goes with them
            # (the songs heard, the skips, the suggestions passed over), else the next refill
            # of Up next still kept the forgotten songs out, and a play ending before the
            # forget landed would be kept here though its row went.
            if player is not None:
                player.forget_session()
            else:
                store.set_setting(PASSED_SETTING, None)
            # The cover of the last song, kept for the desktop's sound menu, is named by its track.
            from player.ui.cover import unshare_covers

            # (the song shown when it is done, not when asked: one begun meanwhile shared its own)
            unshare_covers(paths.cache_dir(), keep=lambda: self._shown_track)
            # (another program reading the library kept the forgotten plays' pages in its
            # files: the person is told, not left to think they are gone from the disk)
            return store.history_left_on_disk()

        self.tasks.start("forget", "Forgetting listening history")

        def done(result, error):
            self.tasks.finish("forget")
            self._show_moves()      # (Previous has no song of the run before the forget to go back to)
            self.listening.plays_changed()
            self.recount_plays()
            if intelligence is not None:
                intelligence.refresh_learned()         # "Learned from ..." named the models deleted
            if error is not None:
                said = f"Could not forget the history: {error}"
            elif result:
                said = ("Listening history forgotten; another program was reading the library, "
                        "so its file is cleaned fully at the next start")
            else:
                said = "Listening history forgotten"
            self.statusBar().showMessage(said, 10000)
            if error is None:
                self._explain_again()
                # Its captions and reasons were read from the plays forgotten ("you played it
                # 14 times"): read again, on the day it shows.
                self.refresh_discover()

        run_task(work, done, pool=db_write_pool(), name="forget-history")

    _explaining = None          # the reasons given again: one run at a time (made on first use)

    def _explain_again(self) -> None:
        """The reasons shown beside Up next's suggestions were given from the history just
        forgotten ("you played it 4 times"): they go at once, and what can be said without
        it comes in their place. Asked again while a run gives them (a second import taken
        out), one more run follows it and gives them all anew: the running one read the
        history as it was, and run beside a newer one, its reasons could land first and
        keep the newer ones out."""
        if self._explaining is None:
            self._explaining = OneAtATime()
        if self._explaining.request(self._start_explain) is None:
            self.reasons.clear()
            self.refresh_up_next()

    def _start_explain(self):
        self.reasons.clear()
        self.refresh_up_next()
        player, provider = self.player, self.provider
        if player is None:
            return None
        # By source, as the rows show reasons: a suggestion the person moved is theirs to keep,
        # and still Segue's offer, shown with why.
        # A station's songs are given their reasons on the station, as it gave them ("pop, like
        # ..."): asked without it, they said only their genre, as if from nowhere.
        # The seed is followed through the store, on the worker: a scan in another process
        # (``segue scan``) may have merged it into its copy while no fill ran to follow it (the
        # station stopped), and asked around the track merged away, every song of the station
        # lost it. The window and the player follow it too, as at a fill's word.
        station, store = self.station, self.store
        seed = station.seed if station is not None else None
        radio: list[int] = []
        suggested: dict[int, str] = {}
        for e in player.queue:
            if e.source == "radio":
                radio.append(e.track_id)
            elif e.source in SUGGESTED_SOURCES:
                suggested.setdefault(e.track_id, "")

        def work():
            live = (store.live_track_id(seed) or seed) if seed is not None else None
            asked = {**suggested, **{t: f"radio:{live}" if live is not None else "" for t in radio}}
            return {t: provider.explain(t, context) for t, context in asked.items()}, live

        def done(result, error):
            if error is None:
                said, live = result
                if live is not None and live != seed:
                    self._station_followed((station, seed, live))
                self.reasons.update({t: r for t, r in said.items() if t not in self.reasons})
                self.refresh_up_next()

        return run_task(work, done, name="explain-again")
