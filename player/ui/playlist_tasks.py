"""The main window's playlist work: save Up next, import and export M3U8, play, edit.

Mixed into :class:`player.ui.main_window.MainWindow`. Reads run on a worker, writes on
the database-write pool; dialogs only ask, and every method can be given its answer
directly (``name=``, ``paths=``, ``path=``), which is how tests call them.
"""

from __future__ import annotations

import logging
import os
import random
import time

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from player import paths
from player.library.names import Namer
from player.workers import TaskHandle, db_write_pool, run_task

log = logging.getLogger(__name__)
FILTER = "Playlists (*.m3u8 *.m3u *.pls *.xspf *.wpl *.asx);;All files (*)"
EXPORT_FILTER = "M3U8 playlists (*.m3u8 *.m3u);;All files (*)"


def _file_name(path: str) -> str:
    """The file name of an entry's path, also of another system's (``C:\\Music\\x.flac``)."""
    return os.path.basename(path.replace("\\", "/")) if os.sep == "/" else os.path.basename(path)


def _import_note(name: str, entries, matches, skipped: list[str]) -> str:
    """What importing a playlist file did, for the status bar."""
    from player.playlist_files import is_web_address, readable

    note = f"“{name}”: {len(entries)} track{'' if len(entries) == 1 else 's'}"
    outside = sum(not e["playable"] for e in entries)
    if outside:
        note += f", {outside} not in the library (kept, linked when scanned)"
    by_name = [m for m in matches if m.how == "name"]
    if by_name:
        first = by_name[0]
        note += (f", {len(by_name)} found by file name and folder as the paths given are not in the library"
                 f" (“{readable(first.path)}” as “{readable(first.track_path)}”"
                 + (", …)" if len(by_name) > 1 else ")"))
        for m in by_name:
            log.info("playlist %r: %r matched by file name and folder to %r", name, m.path, m.track_path)
    by_tags = [m for m in matches if m.how == "tags"]
    if by_tags:
        note += f", {len(by_tags)} found by artist and title as neither path nor file name is in the library"
        for m in by_tags:
            log.info("playlist %r: %r matched by artist and title to %r", name, m.path, m.track_path)
    web = sum(is_web_address(s) for s in skipped)
    if web:
        note += f", {web} web addresses skipped"
    if len(skipped) > web:
        note += f", {len(skipped) - web} other addresses skipped (not local files)"
    return note


def _create(store, name: str, ids: list[int]) -> tuple[int, str]:
    """A new playlist of ``ids``, and the name it was given (a number after one taken)."""
    pid = store.create_playlist(name, ids)
    return pid, store.playlist(pid)["name"]


def _search_entries(store, data, away: dict[int, str], query: str) -> list[dict]:
    """A saved search's songs as :meth:`Store.playlist_entries` gives a playlist's: the library's
    tracks ``query`` finds in ``data`` now, in library order (on a worker: a query over 100,000
    tracks is no work for the GUI thread)."""
    from player.library.search import query_track_ids

    ids, _ = query_track_ids(data, query)
    tracks = store.tracks_by_id(ids)
    return [{"position": i, "track_id": t, "path": tracks[t]["path"], "title": None, "start_s": None,
             "playable": True, "away": away.get(t)} for i, t in enumerate(ids) if t in tracks]


def _streams_only_note(file: str, skipped: list[str]) -> str:
    """Why a playlist file that names only web addresses (a radio station's) is not imported."""
    from player.playlist_files import is_web_address

    what = "web streams" if all(is_web_address(s) for s in skipped) else "addresses that are no local files"
    return (f"not imported: {file} names only {what} ({len(skipped)}), and Segue plays files on this "
            "computer, without going online")


class PlaylistTasksMixin:
    def _init_playlists(self) -> None:
        self._playlists_asked = 0           # reads of the playlists asked for so far
        self._playlists_select = None       # the playlist the latest read is to select
        self._entries_asked = 0             # reads of a playlist's entries asked for so far
        self._removed = None                # (playlist id, entries before, paths after) of the last removal
        self._deleted = None                # what the playlist last deleted was (see Store.delete_playlist)
        p = self.playlists
        p.chosen.connect(self.show_playlist)
        p.play_requested.connect(self.play_playlist)
        p.play_all_requested.connect(lambda pid: self.play_playlist(pid, None))
        p.enqueue_requested.connect(self.enqueue_playlist)
        p.play_next_requested.connect(lambda pid: self.enqueue_playlist(pid, next_=True))
        p.queue_entries.connect(lambda pid, positions, next_: self.enqueue_playlist(pid, positions, next_=next_))
        p.rename_requested.connect(lambda pid: self.rename_playlist(pid))
        p.delete_requested.connect(lambda pid: self.delete_playlist(pid))
        p.export_requested.connect(lambda pid: self.export_playlist(pid))
        p.import_requested.connect(lambda: self.import_playlists())
        p.remove_entries.connect(self.remove_playlist_entries)
        p.reorder_entries.connect(self.reorder_playlist_entries)
        p.undo_requested.connect(self.undo_playlist_removal)
        self.up_next.save_requested.connect(lambda: self.save_up_next_as_playlist())
        p.save_search_requested.connect(lambda: self.save_search_as_playlist())
        p.edit_search_requested.connect(lambda pid: self.edit_saved_search(pid))
        self.library.save_search_requested.connect(lambda: self.save_search_as_playlist())

    # -- reading ----------------------------------------------------------------------
    def _entries_reader(self):
        """``read(playlist_id) -> (playlist row, entries)``, for a worker: a playlist's stored
        entries, or a saved search's songs as the library read now holds them."""
        store, data, away = self.store, self.model.data_, self.model.away_folders()

        def read(playlist_id: int):
            row = store.playlist(playlist_id)
            if row is None:
                return None, []
            if row["query"] is not None:
                return row, _search_entries(store, data, away, row["query"])
            return row, store.playlist_entries(playlist_id)

        return read

    def searches_changed(self, column: str | None = None) -> None:
        """The library, the ratings or the play counts changed (``column``: only that number
        column): the saved searches that may find other songs now are read again. Not at each
        key typed in the search box: the library's table alone follows that."""
        if self.playlists.has_searches(column):
            self.refresh_playlists()

    def refresh_playlists(self, select: int | None = None) -> TaskHandle:
        """Read the playlists on a worker and show them, selecting ``select``. The reads run
        on a pool of several threads and can end out of order: only the latest one asked for
        is shown (an earlier one, read before a playlist was saved, would hide it), with the
        playlist an earlier one was to select where this one names none."""
        self._playlists_asked = asked = self._playlists_asked + 1
        if select is None:
            select = self._playlists_select
        self._playlists_select = select
        store, data, away = self.store, self.model.data_, self.model.away_folders()

        def work():
            rows = []
            for r in store.playlists():
                if r["query"] is None:
                    rows.append((r["id"], r["name"], r["entries"], r["playable"], r["away"], None))
                else:
                    from player.library.search import query_track_ids

                    ids, _ = query_track_ids(data, r["query"])
                    rows.append((r["id"], r["name"], len(ids), len(ids), sum(t in away for t in ids), r["query"]))
            return rows

        return run_task(work, lambda result, error: self._playlists_read(result, error, select, asked),
                        name="playlists")

    def _playlists_read(self, rows, error, select, asked: int) -> None:
        if asked != self._playlists_asked:
            return              # a later read is on its way
        self._playlists_select = None
        if error is not None:
            log.error("could not read the playlists: %s", error)
            self.playlists.read_failed()
            return
        self.playlists.set_playlists(rows, select=select)
        self.playlists_changed.emit()

    def show_playlist(self, playlist_id: int) -> TaskHandle:
        """Read the entries of ``playlist_id`` on a worker and show them. The reads run on a
        pool of several threads and can end out of order: only the latest one asked for is
        shown (an earlier one, of the same playlist before an edit, would show the entries as
        they were)."""
        self._entries_asked = asked = self._entries_asked + 1
        store, read = self.store, self._entries_reader()

        def work():
            from player.playlist_files import readable
            from player.library.search import not_connected

            row, entries = read(playlist_id)
            if row is None:
                return playlist_id, "", []
            namer = Namer.of(store)
            out, track_ids = [], {}
            # (the tracks in a few reads, not one a song: the list is read again after every edit)
            tracks = store.tracks_by_id(e["track_id"] for e in entries if e["track_id"] is not None)
            for e in entries:
                track = tracks.get(e["track_id"])
                if track is not None and e["playable"]:
                    names = namer(track)
                    sub = " — ".join(x for x in (names.artist, names.album) if x)
                    if e["away"]:
                        sub = f"{not_connected(e['away'])}: {sub}" if sub else not_connected(e["away"])
                    out.append((e["position"], names.title, sub, True, e["path"]))
                    track_ids[e["position"]] = e["track_id"]
                else:
                    # The title its playlist file gave, where it gave one: the song it was.
                    out.append((e["position"], e["title"] or os.path.splitext(readable(_file_name(e["path"])))[0],
                                readable(e["path"]), False, e["path"]))
            return playlist_id, row["name"], out, track_ids

        return run_task(work, lambda result, error: self._entries_read(result, error, asked), name="playlist")

    def _entries_read(self, result, error, asked: int) -> None:
        if asked != self._entries_asked:
            return              # a later read is on its way
        if error is not None:
            log.error("could not read a playlist: %s", error)
            self.playlists.read_failed()
            return
        self.playlists.set_entries(*result)

    # -- playing ------------------------------------------------------------------------
    def play_playlist(self, playlist_id: int, position: int | None = 0) -> None:
        """Play the playlist from entry ``position`` (its playable tracks from there on).
        ``position`` None: the whole playlist (its Play button); while shuffling, from a song
        picked at random, the others after it in shuffled order, as other players do: the
        playlist's first song began every time. Under repeat all, the songs before ``position``
        follow the last one, as the playlist goes round: started halfway, they were never heard."""
        read, player = self._entries_reader(), self.player
        shuffling = position is None and player is not None and player.shuffle
        by_album = shuffling and player.shuffle_albums
        round_ = player is not None and player.repeat == "all"

        def work():
            playable = [e for e in read(playlist_id)[1] if e["playable"]]
            after = [e["track_id"] for e in playable if e["position"] >= (position or 0)]
            before = [e["track_id"] for e in playable if e["position"] < (position or 0)] if round_ else []
            ids = after + before
            # Shuffling by album, the list begins at the first song of an album picked at
            # random, as a player dealing albums does, not halfway through one.
            return ids, player.album_openers(ids) if by_album and ids else None

        def done(result, error):
            if error is not None or not result[0]:
                self.statusBar().showMessage("Nothing in this playlist is in the library", 5000)
                return
            ids, openers = result
            if shuffling:
                first = random.choice(openers) if openers else random.randrange(len(ids))
                ids = [ids[first], *ids[:first], *ids[first + 1:]]     # (the player shuffles the rest)
            self.play_ids(ids, 0, "library")

        run_task(work, done, name="play-playlist")

    def enqueue_playlist(self, playlist_id: int, positions: list[int] | None = None, *, next_: bool = False) -> None:
        """Queue the playlist's playable tracks (``positions``: those entries only, in the
        playlist's order; ``next_``: to play next); those on a disk not connected now are left
        out (queued, each would fail in turn), and the status bar says how many."""
        read = self._entries_reader()
        chosen = None if positions is None else set(positions)

        def work():
            entries = [e for e in read(playlist_id)[1]
                       if e["playable"] and (chosen is None or e["position"] in chosen)]
            return [e["track_id"] for e in entries if not e["away"]], sum(bool(e["away"]) for e in entries)

        def done(result, error):
            if error is not None:
                log.error("could not read a playlist: %s", error)
                return
            ids, away = result
            if ids:
                (self.play_next if next_ else self.enqueue)(ids)
            if away:
                self.statusBar().showMessage(
                    f"{away} {'song' if away == 1 else 'songs'} of this playlist not queued: "
                    "on a disk not connected now", 10000)

        run_task(work, done, name="enqueue-playlist")

    # -- writing --------------------------------------------------------------------------
    def _write(self, work, done, name: str) -> None:
        def finished(result, error):
            if error is not None:
                QMessageBox.warning(self, "Playlists", str(error))
                return
            done(result)

        run_task(work, finished, pool=db_write_pool(), name=name)

    def save_up_next_as_playlist(self, name: str | None = None) -> None:
        """The track playing and Up next, saved as a new playlist (asks for its name)."""
        shown = self.shown_track_id()     # (Up next as shown follows the song named, not the one taken)
        entries = self.up_next.rows.entries()
        if self.player is not None:
            # (under repeat all, without the copies queued for the next round of songs ahead)
            entries = self.player.once_round(entries, shown)
        ids = ([shown] if shown is not None else []) + [e.track_id for e in entries]
        if not ids:
            self.statusBar().showMessage("Up next is empty: nothing to save", 5000)
            return
        if name is None:
            name, ok = QInputDialog.getText(
                self, "Save as playlist", f"Save the track playing and Up next ({len(ids)} tracks) as:",
                text=time.strftime("Up next %Y-%m-%d %H.%M"))
            if not ok:
                return
        store = self.store

        def done(made) -> None:
            pid, given = made
            self.refresh_playlists(select=pid)
            self.statusBar().showMessage(f"Saved {len(ids)} tracks as the playlist “{given}”", 5000)
            self._say_if_renamed(name, given)

        self._write(lambda: _create(store, name, ids), done, "save-playlist")

    def save_search_as_playlist(self, query: str | None = None, name: str | None = None) -> None:
        """The library's search (``query``: else what its box holds) kept as a playlist whose
        songs follow the library (asks for its name, offering the search itself)."""
        query = " ".join((self.library.search.text() if query is None else query).split())
        if not query:
            self.statusBar().showMessage("Type a search in the library first: a saved search keeps "
                                         "what the search box holds", 8000)
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Save search as playlist",
                                            f"Keep the search “{query}” as a playlist named:", text=query)
            if not ok:
                return
        store = self.store

        def work():
            pid = store.save_search(name, query)
            return pid, store.playlist(pid)["name"]

        def done(made) -> None:
            pid, given = made
            self.refresh_playlists(select=pid)
            self.statusBar().showMessage(f"Saved the search as the playlist “{given}”: its songs follow the "
                                         "library", 8000)
            self._say_if_renamed(name, given)

        self._write(work, done, "save-search")

    def edit_saved_search(self, playlist_id: int, query: str | None = None) -> None:
        """Change what a saved search finds (asks, offering its query as it is)."""
        if query is None:
            query, ok = QInputDialog.getText(self, "Edit search", "Songs found by:",
                                             text=self.playlists.query_of(playlist_id) or "")
            if not ok:
                return
        store = self.store
        self._write(lambda: store.set_playlist_query(playlist_id, query),
                    lambda _: self.refresh_playlists(select=playlist_id), "edit-search")

    def add_to_playlist(self, ids: list[int], playlist_id: int | None = None, name: str | None = None,
                        before: tuple[int, str] | None = None, *, tell: bool = True) -> None:
        """Add library tracks to a playlist, or to a new one named ``name``; in front of the
        entry ``before`` (``(position, path)`` as read) where given, else at the end. ``tell``:
        the status bar says what was added, and how many were in the playlist already (a
        playlist not shown changed with no word, and a song added twice by mistake went unseen)."""
        store = self.store
        ids = list(ids)     # (the worker reads them later; a signal of Python objects hands over the sender's list)
        if playlist_id is None:
            if name is None:
                name, ok = QInputDialog.getText(self, "New playlist", "Name:")
                if not ok:
                    return
            work = lambda: _create(store, name, ids)  # noqa: E731
        else:
            def work():
                had = {e["track_id"] for e in store.playlist_entries(playlist_id)}
                added = store.add_to_playlist(playlist_id, ids, before)
                return playlist_id, store.playlist(playlist_id)["name"], added, sum(t in had for t in ids)

        def done(result) -> None:
            pid, given = result[:2]
            if playlist_id is None:
                self._say_if_renamed(name, given)
            elif tell:
                added, known = result[2:]
                words = f"Added {added} {'song' if added == 1 else 'songs'} to “{given}”"
                if known:
                    words += f" ({known} {'was' if known == 1 else 'were'} in it already)"
                self.statusBar().showMessage(words, 8000)
            self.refresh_playlists(select=pid)

        self._write(work, done, "add-to-playlist")

    def remove_playlist_entries(self, playlist_id: int, positions: list[int]) -> None:
        """Remove the entries at ``positions`` as shown, each named by the path read with it
        (see :meth:`reorder_playlist_entries`): a playlist changed meanwhile keeps its songs."""
        store = self.store
        paths = [p for _, p in self.playlists.with_paths(positions)] \
            if playlist_id == self.playlists.current_playlist() else None

        def work():
            was = [(e["track_id"], e["path"], e["title"], e["start_s"]) for e in store.playlist_entries(playlist_id)]
            if not store.remove_playlist_entries(playlist_id, positions, paths):
                return None
            return was, [e["path"] for e in store.playlist_entries(playlist_id)]

        def done(result):
            if result is None:
                self.statusBar().showMessage("The playlist was changed meanwhile: it is shown as it is now; "
                                             "nothing was removed", 8000)
            else:
                was, now = result
                self._removed, self._deleted = (playlist_id, was, now), None      # (Ctrl+Z undoes the latest)
                gone = len(was) - len(now)
                keys = QKeySequence(QKeySequence.Undo).toString(QKeySequence.NativeText)
                self.statusBar().showMessage(f"Removed {gone} {'song' if gone == 1 else 'songs'} from the playlist "
                                             f"({keys} puts them back)", 10000)
            self.refresh_playlists(select=playlist_id)

        self._write(work, done, "playlist-remove")

    def undo_playlist_removal(self, playlist_id: int | None) -> None:
        """Put back the songs last removed from ``playlist_id`` (Ctrl+Z in the Playlists tab), in
        their places; removed by mistake (Delete on a wide selection), they were gone for good.
        Refused, with a word, where the playlist was changed since. Where a playlist was deleted
        since, it comes back whole instead (see :meth:`undo_playlist_delete`)."""
        if self._deleted is not None:
            self.undo_playlist_delete()
            return
        removed, self._removed = self._removed, None
        if removed is None or removed[0] != playlist_id:
            self._removed = removed
            self.statusBar().showMessage("Nothing removed from this playlist to put back", 5000)
            return
        store, (_pid, was, now) = self.store, removed

        def done(restored):
            self.statusBar().showMessage(
                "The songs removed are back in their places" if restored else
                "The playlist was changed since the songs were removed: they were not put back", 8000)
            self.refresh_playlists(select=playlist_id)

        self._write(lambda: store.restore_playlist_entries(playlist_id, was, now), done, "playlist-undo")

    def reorder_playlist_entries(self, playlist_id: int, order: list[int]) -> None:
        """Put a playlist's songs in ``order`` (their positions as shown), each named by the
        path read with it: a playlist changed meanwhile (by another Segue, a command) keeps
        its order, the person is told, and the list shows it as it is."""
        store, entries = self.store, self.playlists.with_paths(order)

        def finished(result, error):
            stored = bool(result) and error is None
            if error is not None:
                log.error("could not reorder playlist %s: %s", playlist_id, error)
                self.statusBar().showMessage(f"The new order could not be stored: {error}", 8000)
            elif not stored:
                self.statusBar().showMessage("The playlist was changed meanwhile: it is shown as it is now; "
                                             "move the songs again", 8000)
            self.playlists.move_stored()
            # (another playlist chosen meanwhile stays chosen)
            self.refresh_playlists(select=playlist_id if self.playlists.current_playlist() == playlist_id else None)

        run_task(lambda: store.reorder_playlist(playlist_id, entries), finished, pool=db_write_pool(),
                 name="playlist-reorder")

    def rename_playlist(self, playlist_id: int, name: str | None = None) -> None:
        if name is None:
            # The name as listed: the dialog is asked on the GUI thread, which never reads the store.
            name, ok = QInputDialog.getText(self, "Rename playlist", "Name:",
                                            text=self.playlists.name_of(playlist_id) or "")
            if not ok:
                return
        store = self.store

        def done(given: str) -> None:
            self.refresh_playlists(select=playlist_id)
            self._say_if_renamed(name, given)

        self._write(lambda: store.rename_playlist(playlist_id, name), done, "playlist-rename")

    def _say_if_renamed(self, asked: str, given: str) -> None:
        """Tell the person when the name asked for was taken by another playlist and a number
        was put after it: the list showed "Mix (2)" with no word of why."""
        asked = " ".join(asked.split())
        if given != asked:
            self.statusBar().showMessage(f"There is a playlist named “{asked}” already: "
                                         f"this one is named “{given}”", 10000)

    def delete_playlist(self, playlist_id: int, *, confirm: bool = True) -> None:
        if confirm:
            # No by default: Delete on the list of playlists asks this, and the keyboard goes
            # there when a playlist's last song is removed; a Delete too many, then Enter,
            # took the playlist for good.
            answer = QMessageBox.question(self, "Delete playlist",
                                          f"Delete the playlist “{self.playlists.name_of(playlist_id) or ''}”? "
                                          "The music files are not touched.",
                                          QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return
        store = self.store

        def done(was) -> None:
            if was is not None:
                self._deleted, self._removed = was, None         # (Ctrl+Z undoes the latest)
                keys = QKeySequence(QKeySequence.Undo).toString(QKeySequence.NativeText)
                self.statusBar().showMessage(f"Deleted the playlist “{was[0]}” ({keys} brings it back)", 10000)
            self.refresh_playlists()

        self._write(lambda: store.delete_playlist(playlist_id), done, "playlist-delete")

    def undo_playlist_delete(self) -> None:
        """Make the playlist last deleted again, whole: its name, its songs in their order, those
        not in the library too (Ctrl+Z in the Playlists tab). Asked before it goes, with No by
        default, a playlist deleted by a wrong answer was still gone for good, as no other
        mistake in the tab is."""
        was, self._deleted = self._deleted, None
        if was is None:
            return
        store = self.store

        def done(made) -> None:
            pid, given = made
            self.refresh_playlists(select=pid)
            self.statusBar().showMessage(f"The playlist “{given}” is back", 8000)

        self._write(lambda: store.restore_playlist(*was), done, "playlist-undelete")

    # -- files --------------------------------------------------------------------------------
    def import_playlists(self, paths_: list[str] | None = None) -> None:
        """Import playlist files (M3U, PLS, XSPF, WPL, ASX) as playlists (asks which); files not in the
        library are kept, and a file that is no playlist is refused with a note. A file imported
        before and unchanged since (see ``Store.same_playlist``) is not made again: the
        playlist it made is shown, and the note says so."""
        if paths_ is None:
            paths_, _ = QFileDialog.getOpenFileNames(self, "Import playlists", str(paths.default_music_dir()), FILTER)
            if not paths_:
                return
        store = self.store

        def work():
            from player.playlist_files import PlaylistFileError, read_playlist

            made, notes, new = [], [], []     # (notes: of the files not imported)
            for path in paths_:
                try:
                    content = read_playlist(path)
                except PlaylistFileError as exc:
                    notes.append(str(exc))
                    continue
                if not content.paths and content.skipped:
                    # A radio station's file: an empty playlist made of it would only puzzle.
                    notes.append(_streams_only_note(os.path.basename(path), content.skipped))
                    continue
                args = (content.name, content.paths, content.starts, content.titles, content.lengths)
                same = store.same_playlist(*args)
                if same is not None:
                    # The same file imported again: a second copy, "Mix (2)", only doubles the
                    # list; the one there is shown instead, as a file opened twice is.
                    made.append(same)
                    notes.append(f"“{store.playlist(same)['name']}” is in the playlists already, as "
                                 f"{os.path.basename(path)} has it: shown, not imported again")
                    continue
                pid, matches = store.import_playlist(*args)
                made.append(pid)
                new.append(_import_note(store.playlist(pid)["name"], store.playlist_entries(pid), matches,
                                        content.skipped))
            return made, new + notes, new

        def done(result):
            made, notes, new = result
            self.refresh_playlists(select=made[-1] if made else None)
            if made:
                self.tabs.setCurrentWidget(self.playlists)
            self.statusBar().showMessage("; ".join((["Imported " + "; ".join(new)] if new else [])
                                                   + notes[len(new):]), 15000)
            self.playlists_imported.emit(notes)

        self._write(work, done, "import-playlists")

    def export_playlist(self, playlist_id: int, path: str | None = None) -> None:
        """Write the playlist as M3U8 (asks where), paths relative to the file's folder."""
        store, read = self.store, self._entries_reader()
        if path is None:
            from player.playlist_files import file_name

            # (a name like "AC/DC: Live" offered as is named a folder that is not there)
            start = os.path.join(str(paths.default_music_dir()), file_name(self.playlists.name_of(playlist_id) or ""))
            path, _ = QFileDialog.getSaveFileName(self, "Export playlist", start, EXPORT_FILTER)
            if not path:
                return
            if not path.lower().endswith((".m3u8", ".m3u")):
                path += ".m3u8"

        def work():
            from player.library.cue import audio_path
            from player.playlist_files import write_playlist

            namer = Namer.of(store)
            entries = []
            for e in read(playlist_id)[1]:
                track = store.track(e["track_id"]) if e["track_id"] is not None else None
                if track is None:
                    label = e["title"] or os.path.splitext(_file_name(e["path"]))[0]
                    # (a sheet's track not scanned yet: written with its start, as it came)
                    span = [(e["start_s"], None)] if e["start_s"] is not None else []
                    entries.append((e["path"], label, None, *span))
                    continue
                names = namer(track)
                label = f"{names.artist} - {names.title}" if names.artist else names.title
                if track["cue_start_s"] is not None:       # a stretch of its file: see write_playlist
                    entries.append((audio_path(track), label, track["duration"],
                                    (track["cue_start_s"], track["cue_end_s"])))
                else:
                    entries.append((track["path"], label, track["duration"]))
            write_playlist(path, entries)
            return len(entries)

        def done(result, error):
            if error is not None:
                QMessageBox.warning(self, "Export playlist", str(error))
                return
            self.statusBar().showMessage(f"Exported {result} tracks to {path}", 10000)
            self.playlist_exported.emit(path)

        run_task(work, done, name="export-playlist")
