"""The main window: now-playing bar, Library / Discover tabs, Up next, status bar.

Everything slow runs through :func:`player.workers.run_task`; the GUI thread reads
the library from memory and talks to the player through :class:`PlayerBridge`.
"""

from __future__ import annotations

import gc
import logging
import os
import struct

from PySide6.QtCore import QByteArray, QEvent, QPoint, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication, QLabel, QMainWindow, QSplitter, QStackedWidget, QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from player import paths
from player.library.skip import hidden_name
from player.recommendations import LibraryRecommendations, RecommendationProvider
from player.ui.opening import FileDropsMixin
from player.ui.discover_panel import DiscoverPanel
from player.ui.history_tasks import HistoryTasksMixin
from player.library.search import LibraryData, load_library, read_plays
from player.ui.library_model import LibraryModel
from player.ui.library_view import LibraryView
from player.ui.folder_watch import FOLLOW_SETTING, FolderWatch
from player.ui.library_tasks import LibraryTasksMixin
from player.ui.listening_tab import ListeningTab
from player.ui import menu_key, plain_text
from player.ui.menus import build_menus
from player.ui.playback_mixin import PlaybackMixin
from player.ui.playlist_tasks import PlaylistTasksMixin
from player.ui.playlists_panel import PLAYLIST_ROLE, PlaylistsPanel
from player.ui.chapters_pane import ChaptersPane
from player.ui.lyrics_pane import LyricsPane
from player.ui.queue_panel import UpNextPanel
from player.ui.status_tasks import TaskStatus
from player.ui.transport import EMPTY_HINT, IDLE_HINT, TransportBar, volume_percent
from player.ui.welcome import WelcomePage
from player.workers import OneAtATime, collector_is_paused, run_task

log = logging.getLogger(__name__)
SCAN_REFRESH_MS = 1000
#: The volume slider's position (0-100; see transport.volume_gain), as the slider shows it.
VOLUME_KEY = "volume_level"
#: What it was saved as when the slider's percent was the amplitude (converted once, then dropped).
OLD_VOLUME_KEY = "volume"
MUTED_KEY = "muted"
#: Whether Up next is shown beside the library (View → Up next).
UP_NEXT_KEY = "up_next_shown"
#: The window's size at the first start (or where the saved one is for a screen no longer there),
#: made smaller where the screen is.
DEFAULT_SIZE = QSize(1280, 780)
#: How much of the window's top edge, where it is taken to be moved, a screen must show for the
#: saved place to be kept.
GRIP = QSize(120, 30)


def _how_long(seconds: float) -> str:
    """A library's playing time as the status bar gives it: hours, or minutes below two
    hours ("0 hours" said nothing of a small library)."""
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:,.0f} hours"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes else "under a minute"


def _saved(settings: QSettings, key: str, kind: type):
    """The value ``settings`` hold for ``key`` as ``kind`` (``bytes``: a saved state, ``int``:
    a number); None where there is none, or it is not one (logged)."""
    value = settings.value(key)
    if value is None:
        return None
    if kind is bytes and isinstance(value, QByteArray):
        return value
    if kind is int and isinstance(value, (int, str)):
        try:
            return int(value)
        except ValueError:
            pass
    log.warning("window settings: %s = %r is not a value Segue wrote; it is left out", key, value)
    return None


def _saved_state(geometry: QByteArray) -> Qt.WindowState:
    """Whether the window was maximised or full screen when ``geometry`` (saveGeometry's) was
    saved, read from its header (the magic number and version, two rectangles, the screen's
    number, then a byte for each). Read here because where that screen is gone restoreGeometry
    refuses all of it, and a window left maximised came back as a small one. Only the versions
    Qt has written so far are read: a later one may put other bytes there."""
    data = bytes(geometry)
    if len(data) < 46:
        return Qt.WindowNoState
    magic, version = struct.unpack_from(">IH", data)
    if magic != 0x1D9D0CB or not 1 <= version <= 3:
        return Qt.WindowNoState
    maximized, full_screen = data[44], data[45]
    return Qt.WindowFullScreen if full_screen else Qt.WindowMaximized if maximized else Qt.WindowNoState


def _ffmpeg_look(store) -> tuple[str, bool]:
    """Where ffmpeg is missing, what to tell the person about the files that need it (else "");
    and whether it is found while files stored as unreadable for want of it wait for a scan."""
    from player.library.decoders import ffmpeg_need
    from segue_common.audio_io import INSTALL_FFMPEG

    need = ffmpeg_need(store)
    return need.words(), need.path is not None and bool(store.paths_with_error_containing(INSTALL_FFMPEG))


def _holds_anything(folder: str) -> bool:
    """Whether ``folder`` is there with something in it. The folder a disk or share is mounted
    on is there, empty, while nothing is mounted: a scan leaves it as it was (its tag reader's
    version too), and a start that read it again each time would start a scan each time."""
    try:
        with os.scandir(folder) as it:
            return any(not hidden_name(entry.name) for entry in it)
    except OSError:
        return False


class MainWindow(PlaybackMixin, LibraryTasksMixin, HistoryTasksMixin, PlaylistTasksMixin, FileDropsMixin,
                 QMainWindow):
    library_loaded = Signal()
    player_ready = Signal()
    state_restored = Signal()           # the last run's queue and track are back (or there were none)
    scan_finished = Signal(object)      # ScanProgress or the exception
    library_scanned = Signal()          # after scan_finished, where the scan may have changed the library
    ratings_changed = Signal()          # the person rated songs here: only the recommender's stars changed
    tags_changed = Signal()             # tags read again changed: the recommender's names, not its audio
    settings_opened = Signal(object)    # the settings dialog, open with the settings as stored
    settings_saved = Signal()
    history_imported = Signal(object)   # list of ImportSummary, or the exception
    history_removed = Signal(object)    # the removed import's row (None: gone already), or the exception
    playlists_changed = Signal()        # the Playlists tab shows the store's playlists
    playlists_imported = Signal(list)   # a line per file imported
    playlist_exported = Signal(str)     # the file written
    never_suggested_changed = Signal()  # a song or artist was left out of suggestions, or taken back
    names_read = Signal()               # names of tracks the library in memory does not hold were read
    cover_shared = Signal()             # the song's cover is in a file for the desktop (shared_cover)
    seeked = Signal(float)              # the player jumped to this place (s) in the song, asked in the window
    moves_changed = Signal()            # Play, Next and Previous were shown anew (moves(): what they can do)
    tags_read_again = Signal(object)    # "Read tags again" is done: its ScanProgress, or the exception
    station_ended = Signal(object)      # (Station, seed): it handed over to Up next, its seed gone (filler's thread)
    station_followed = Signal(object)   # (Station, seed, track now): a scan elsewhere merged its seed (filler's thread)

    def __init__(self, store, *, player=None, engine_factory=None,
                 provider: RecommendationProvider | None = None, settings_file: str | None = None):
        super().__init__()
        plain_text.install()            # tags are text in every widget (also when made without create_app)
        menu_key.install()              # Shift+F10 opens a menu on Linux too
        self.setWindowTitle("Segue")
        self.store = store
        self.provider = provider or LibraryRecommendations(store)
        self.engine_factory = engine_factory
        self.model = LibraryModel(self)
        self.library = LibraryView(self.model)
        self.discover = DiscoverPanel()
        self.up_next = UpNextPanel()
        self.transport = TransportBar()
        self.tasks = TaskStatus()
        self.welcome = WelcomePage()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # Songs dragged from the library over the Playlists tab's name open it, to be let go
        # on a playlist there.
        self.tabs.tabBar().setChangeCurrentOnDrag(True)
        self.tabs.tabBar().setAcceptDrops(True)
        self.tabs.addTab(self.library, "Library")
        self.tabs.addTab(self.discover, "Discover")
        self.listening = ListeningTab(store, current_track=lambda: self.shown_track_id())
        self.tabs.addTab(self.listening, "Listening")
        self.playlists = PlaylistsPanel()
        self.tabs.addTab(self.playlists, "Playlists")
        self.lyrics = LyricsPane()
        self.tabs.addTab(self.lyrics, "Lyrics")
        self.chapters = ChaptersPane()
        self.tabs.addTab(self.chapters, "Chapters")
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.up_next)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([900, 300])
        # Neither side is dragged away to nothing: no menu brings a pane back, and the size was
        # saved, so Up next dragged to the window's edge stayed gone at every start after.
        for i in range(self.splitter.count()):
            self.splitter.setCollapsible(i, False)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.transport)
        column.addWidget(self.splitter, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(body)
        self.stack.addWidget(self.welcome)
        self.setCentralWidget(self.stack)
        self._accept_file_drops()
        self.counts = QLabel()
        self.statusBar().addWidget(self.counts)
        self.problems_link = QToolButton(text="Show unreadable files…", autoRaise=True)
        self.problems_link.setToolTip("The files the library could not read, and why (File → Files with problems…)")
        self.problems_link.hide()       # shown with a scan's message while the library has unreadable files
        self._problems_note = None      # that message, while it is the status bar's
        self.statusBar().addPermanentWidget(self.problems_link)
        # Plays the library's disk refused (full): said for as long as it lasts, beside what
        # else the status bar says, as a message of its own would be replaced by the next one.
        self.unsaved_note = QLabel()
        self.unsaved_note.hide()
        self.statusBar().addPermanentWidget(self.unsaved_note)
        self.statusBar().addPermanentWidget(self.tasks)

        self._settings = QSettings(settings_file or str(paths.data_dir() / "window.ini"), QSettings.IniFormat)
        self._started = False
        self._closed = False
        self._loads = OneAtATime()      # library reads
        self._scan = None
        self.intelligence = None
        self._scan_timer = QTimer(self, interval=SCAN_REFRESH_MS)
        self._scan_timer.timeout.connect(self._scan_tick)
        self._scan_read = self._scan_shown = 0     # tracks read by the running scan; shown
        store = self.store
        self.folder_watch = FolderWatch(lambda: [row["path"] for row in store.folders()], self,
                                        mounts_away=store.mount_points_away)
        self.folder_watch.changed.connect(self.follow_rescan)
        self._build_actions()
        self._connect()
        self._init_playback(player)
        self._init_playlists()
        self.restore_layout()
        # The keyboard starts in the track list, where arrows, Enter and Space act on tracks, and
        # Tab goes on in reading order: Up next, then round to the top bar, the tabs, the search.
        # Left to Qt, the first control that takes the focus got it, and while the player starts
        # (its buttons greyed) that was the volume slider at the top bar's right end: the arrow
        # keys turned the volume, and Tab left the top bar to come back to its buttons last.
        self.library.table.setFocus(Qt.OtherFocusReason)

    # -- set-up ----------------------------------------------------------
    def _build_actions(self) -> None:
        build_menus(self)
        # Play starts the library's first song: with none shown (an empty library, a search
        # that finds nothing) it has nothing to start.
        self.model.modelReset.connect(self._show_moves)
        self.model.layoutChanged.connect(self._show_moves)
        # Beside the import's progress, where a person looks for a way to stop it.
        self.stop_import_btn = QToolButton(autoRaise=True)
        self.stop_import_btn.setDefaultAction(self.act_stop_import)
        self.stop_import_btn.hide()
        self.statusBar().addPermanentWidget(self.stop_import_btn)

    def show_about(self):
        from player.ui.about import show_about

        self.about_box = show_about(self)
        return self.about_box

    def show_shortcuts(self):
        from player.ui.about import show_shortcuts

        self.shortcuts_box = show_shortcuts(self)
        return self.shortcuts_box

    def _connect(self) -> None:
        self.welcome.start_scan.connect(self.start_first_scan)
        self.library.play_requested.connect(self.play_ids)
        self.library.radio_requested.connect(self.start_radio)
        self.library.enqueue_requested.connect(self.enqueue)
        self.library.play_next_requested.connect(self.play_next)
        self.library.add_to_playlist_requested.connect(lambda ids, pid: self.add_to_playlist(ids, pid))
        self.library.read_tags_again_requested.connect(self.read_tags_again)
        self.up_next.add_to_playlist_requested.connect(lambda ids, pid: self.add_to_playlist(ids, pid))
        self.discover.add_to_playlist_requested.connect(lambda ids, pid: self.add_to_playlist(ids, pid))
        self.discover.enqueue_requested.connect(self.enqueue)
        self.discover.play_next_requested.connect(self.play_next)
        self.playlists_changed.connect(self._offer_playlists)
        self.discover.play.connect(lambda bucket, ids, start: self.play_ids(ids[start:], 0, "discover"))
        self.discover.radio_requested.connect(lambda track_id: self.start_radio(track_id, "discover"))
        self.discover.refresh_requested.connect(lambda: self.refresh_discover(new_day=True))
        self.up_next.radio_requested.connect(self.start_radio)
        self.up_next.rating_of = self.discover.rating_of = self.library.rating_of
        self.up_next.length_of = self.library.length_of
        for view in (self.library, self.up_next, self.discover):
            view.artist_of = self.artist_to_leave_out
            view.path_of = self.track_file
            view.never_suggest.connect(self.never_suggest)
            view.rate_requested.connect(self.rate_tracks)
        self.playlists.path_of = self.entry_file
        self.playlists.rating_of = self.library.rating_of
        self.playlists.rate_requested.connect(self.rate_tracks)
        self.transport.radio.connect(self.radio_from_current)
        # The volume is saved as it is set, not only at close: after a crash the music comes
        # back as loud as it was left, not as at some earlier start. A drag is saved when let go.
        slider = self.transport.volume
        slider.valueChanged.connect(lambda v: None if slider.isSliderDown() else self._save_volume())
        slider.sliderReleased.connect(self._save_volume)
        self.transport.mute_changed.connect(self._mute_changed)
        self.listening.play_requested.connect(lambda ids: self.play_ids(ids, 0, "library"))
        self.listening.enqueue_requested.connect(self.enqueue)
        self.transport.shuffle_changed.connect(self.set_shuffle)
        self.transport.repeat_changed.connect(self.set_repeat)
        self.tabs.currentChanged.connect(lambda i: self.refresh_discover(new_day=True) if i == 1 else None)
        self.problems_link.clicked.connect(self.open_problems)
        self.statusBar().messageChanged.connect(self._status_message_changed)

    # -- keyboard focus ------------------------------------------------------
    def _offer_playlists(self) -> None:
        """The playlists as listed, offered by the library's and Up next's "Add to playlist"."""
        lists = self.playlists.lists
        # (not the saved searches: their songs are what they find)
        playlists = [(lists.item(i).data(PLAYLIST_ROLE), lists.item(i).toolTip()) for i in range(lists.count())
                     if self.playlists.query_of(lists.item(i).data(PLAYLIST_ROLE)) is None]
        self.library.set_playlists(playlists)
        self.up_next.set_playlists(playlists)
        self.discover.set_playlists(playlists)

    def focus_parts(self) -> list[QWidget]:
        """The window's parts in reading order: the top bar, the tabs, Up next, the status bar
        (the welcome page in place of the first three while it shows)."""
        if self.stack.currentWidget() is self.welcome:
            return [self.welcome, self.statusBar()]
        return [self.transport, self.tabs, self.up_next, self.statusBar()]

    def tab_stops(self) -> list[QWidget]:
        """The controls Tab visits, in order: part by part (see :meth:`focus_parts`), and in a
        part in the order of Qt's focus chain. Qt's chain alone puts a control made after the
        window at its end: Discover's rows and the Listening page came after Up next."""
        parts = self.focus_parts()
        found: list[list[QWidget]] = [[] for _ in parts]
        w = self.nextInFocusChain()
        while w is not None and w is not self:
            if (w.focusPolicy() & Qt.TabFocus) == Qt.TabFocus and w.focusProxy() is None \
                    and w.isVisible() and w.isEnabled():
                for i, part in enumerate(parts):
                    if part.isAncestorOf(w):
                        found[i].append(w)
                        break
            w = w.nextInFocusChain()
        return [w for stops in found for w in stops]

    def focusNextPrevChild(self, forward: bool) -> bool:
        """Tab and Shift+Tab go round the window in reading order (see :meth:`tab_stops`)."""
        stops = self.tab_stops()
        here = QApplication.focusWidget()
        at = next((i for i, w in enumerate(stops) if w is here), None)
        if not stops or (at is None and here is not None):
            return super().focusNextPrevChild(forward)     # the focus is where Tab never stops
        if at is None:
            at = -1 if forward else 0
        stops[(at + (1 if forward else -1)) % len(stops)].setFocus(
            Qt.TabFocusReason if forward else Qt.BacktabFocusReason)
        return True

    def library_search(self) -> None:
        self.tabs.setCurrentWidget(self.library)
        self.library.focus_search()

    # -- start-up and library loading -------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._started:
            # Start loading once the window has painted (workers compete for the GIL),
            # or after a moment if no paint comes (a minimised start).
            QTimer.singleShot(300, self._startup)

    def event(self, event) -> bool:
        # A menu item's status tip is shown in the status bar as the pointer or the keyboard
        # goes over it: marked so that it is not announced like Segue's own messages.
        if event.type() == QEvent.StatusTip:
            self._showing_tip = True
            try:
                return super().event(event)
            finally:
                self._showing_tip = False
        handled = super().event(event)
        if event.type() == QEvent.Paint and not self._started:
            QTimer.singleShot(0, self._startup)
        return handled

    def _startup(self) -> None:
        if self._started:
            return
        self._started = True
        store, sort_by = self.store, self.model.sort_column_key()

        def look():
            from player.library.reader_version import READER_VERSION

            folders = store.folders()
            # Folders last scanned by an older tag reader, which this one reads better
            # (those that are not there now wait for a scan that can see them).
            stale = [f["path"] for f in folders if f["last_scan_at"] is not None
                     and f["tag_reader"] < READER_VERSION and _holds_anything(f["path"])]
            follow = bool(store.get_setting(FOLLOW_SETTING, True))
            # The disks found not connected when Segue last looked (with following turned off,
            # no scan at the start looks again).
            return len(folders), stale, follow, load_library(store, sort_by), store.away_tracks()

        # (the player starts as the library is read: a song it starts meanwhile counts in it too)
        mark = self.model.plays_mark()
        self._loads.request(lambda: run_task(look, lambda result, error: self._first_load(result, error, mark),
                                             name="load-library"))
        self._start_player()

    def _first_load(self, result, error, mark: int | None = None) -> None:
        if error is not None:
            self.model.read_ended(mark)
            raise error
        n_folders, stale, follow, data, away = result
        if n_folders == 0 and len(data) == 0:
            self.stack.setCurrentWidget(self.welcome)
        self._set_library(data, mark)
        self._away_now(away)
        self.refresh_playlists()
        if self.intelligence is not None:
            self.intelligence.start()      # after the rows: its imports compete for the GIL
        if self._closed:
            return              # closed before the library came: no scan, no watching
        if stale:
            # Once after an update: the files' tags are read again, in the background; their
            # tracks keep their plays, playlists and analysis.
            log.info("reading the tags of %d folders again (scanned by an older tag reader)", len(stale))
            self.rescan()
            self.statusBar().showMessage("Reading your music's tags again: this version of Segue reads "
                                         "some files better", 15000)
        elif follow and n_folders:
            # Music copied in or deleted while Segue was closed: a look at the folders, on the
            # write thread once the library shows, silent unless something changed.
            self.follow_rescan()
        if follow:
            self.folder_watch.start()   # and while the window is open, what changes in them
        # Whether ffmpeg runs is asked after the library shows: starting it for the first
        # time takes half a second here, and seconds where a virus scanner looks at it first.
        store, scanning, rereading = self.store, bool(stale) or (follow and n_folders > 0), bool(stale)
        run_task(lambda: _ffmpeg_look(store),
                 lambda result, error: self._ffmpeg_looked(result, error, scanning, rereading), name="ffmpeg-look")

    def _ffmpeg_looked(self, result, error, scanning: bool, rereading: bool) -> None:
        if error is not None:
            log.error("could not tell whether ffmpeg is installed: %s", error)
            return
        if self._closed:
            return
        missing, found = result
        if found and not scanning:
            # ffmpeg was installed since files were found unreadable for want of it: a scan
            # reads them (the look at the folders at the start does, where one runs), so
            # that they play now.
            log.info("ffmpeg is found now: reading the files that need it")
            self.rescan()
        if missing and not rereading:
            # The packaged app comes without ffmpeg: without a word here, the m4a and WMA
            # files of the library would simply not play, and nothing would say why.
            log.warning("%s", missing)
            self._say_when_free(missing, 30000)

    def _say_when_free(self, words: str, timeout_ms: int) -> None:
        """Show ``words``, with the way to the files with problems beside them, in the status
        bar once it is free. Said after the library shows, they came after what was said
        meanwhile (the sound output opened beside the library: no device, a device missing)
        and took its place at once; they now follow it, once its time is up."""
        bar = self.statusBar()
        if bar.currentMessage():
            def free(text: str) -> None:
                if not text:
                    bar.messageChanged.disconnect(free)
                    self._say_when_free(words, timeout_ms)

            bar.messageChanged.connect(free)
        elif not self._closed:
            self._problems_note = words
            bar.showMessage(words, timeout_ms)

    def enable_intelligence(self, *, analyse: bool = True, learn: bool = True, options=None) -> None:
        """Use the learning recommender; with ``learn``, the learner process analyses (if
        ``analyse``) and trains (see intelligence.py; ``options``: its LearnerOptions)."""
        from player.ui.intelligence import Intelligence

        self.intelligence = Intelligence(self, analyse=analyse, learn=learn, options=options)
        # An open list of files with problems shows a track as soon as its analysis fails
        # (a pass over a large library runs for hours), and again when the pass ends.
        self.intelligence.analysis_failed.connect(self.reload_problems)
        self.intelligence.analysis_finished.connect(lambda _message: self.reload_problems())
        if self._started and not self._loads.running():
            self.intelligence.start()

    def reload_library(self) -> None:
        """Re-read the library on a worker (coalesced: one load at a time)."""
        self._loads.request(self._start_load)

    def recount_plays(self) -> None:
        """Read each song's play count again (on a worker) for the search's ``plays:``: the
        window counts a play as it starts, but plays imported, removed or forgotten were
        counted only by the next reload, and "plays:0" answered otherwise until then."""
        store, mark = self.store, self.model.plays_mark()

        def done(result, error) -> None:
            if error is not None:
                self.model.read_ended(mark)
                log.error("could not count the plays: %s", error)
            else:
                if self.model.set_plays(*result, mark=mark):
                    self.recount_plays()
                self.searches_changed("plays")

        run_task(lambda: read_plays(store), done, name="count-plays")

    def _start_load(self):
        store, sort_by, mark = self.store, self.model.sort_column_key(), self.model.plays_mark()
        fields = self.model.searched_fields()
        return run_task(lambda: load_library(store, sort_by, fields),
                        lambda result, error: self._loaded(result, error, mark), name="load-library")

    def _loaded(self, result, error, mark: int | None = None) -> None:
        if error is not None:
            self.model.read_ended(mark)
            log.error("could not load the library: %s", error)
        else:
            self._set_library(result, mark)

    def _set_library(self, data: LibraryData, mark: int | None = None) -> None:
        if self.model.set_library(data, mark):
            self.recount_plays()
        self.searches_changed()         # (a new album by the artist joins its saved search)
        self.outside_names.clear()      # read again where still needed: a scan may have renamed them
        # The library's objects live as long as the window: keep them out of the cyclic
        # collector, whose full passes otherwise stall the GUI when workers allocate a lot.
        # Cycles already garbage would be frozen with them, never freed: the young generations
        # are collected first (milliseconds; not while a job pauses the collector, whose young
        # objects are many and freed by counting).
        if not collector_is_paused():
            gc.collect(1)
        gc.freeze()
        self.model.set_playing(self.shown_track_id())
        self._name_shown_again()
        self.counts.setText(f"{len(data):,} tracks · {_how_long(float(data.numbers['duration'].sum()))}"
                            if len(data) else "No tracks yet")
        self.transport.set_idle_hint(IDLE_HINT if len(data) else EMPTY_HINT)
        self.refresh_up_next()
        if self.tabs.currentWidget() is self.discover:
            self.refresh_discover()
        self.library_loaded.emit()

    # -- layout memory ---------------------------------------------------------
    def restore_layout(self) -> None:
        """The window as it was left. A value that is not one this writes (the file edited by
        hand, or written by another version) is left out with a warning in the log, and the
        rest is used: the window starts whatever the file holds."""
        s = self._settings
        geometry = _saved(s, "geometry", bytes)
        if geometry is None or not self.restoreGeometry(geometry) or not self._reachable():
            self._place_anew(Qt.WindowNoState if geometry is None else _saved_state(geometry))
        if (splitter := _saved(s, "splitter", bytes)) is not None:
            self.splitter.restoreState(splitter)
        self.show_up_next(str(s.value(UP_NEXT_KEY, "true")).lower() != "false")
        if (columns := _saved(s, "columns", bytes)) is not None:
            self.library.columns.restore(columns, s.value("column_share"), _saved(s, "column_font", int),
                                         s.value("column_keys"))
        volume = self.transport.volume
        if (level := _saved(s, VOLUME_KEY, int)) is not None:
            volume.setValue(min(volume.maximum(), max(volume.minimum(), level)))
        elif (old := _saved(s, OLD_VOLUME_KEY, int)) is not None:
            # Saved when the slider's percent was the amplitude itself: the slider is put where
            # it plays as loud as it did (70 then is 89 now).
            volume.setValue(volume_percent(min(100, max(0, old)) / 100))
        self.transport.set_muted(str(s.value(MUTED_KEY, "false")).lower() == "true")

    def _reachable(self) -> bool:
        """Whether a screen there now shows enough of the window's top edge to take it by and
        fits the window. Saved on a monitor since unplugged (one placed left of a laptop's:
        x = -1900), or on a larger screen, the window would open where nobody can reach it, or
        larger than the screen, its status bar below the taskbar; some versions of Qt move it
        back themselves, others do not."""
        if self.windowState() & (Qt.WindowMaximized | Qt.WindowFullScreen):
            return True             # the screen's size whatever it was saved as
        frame = self.frameGeometry()
        grip = QRect(frame.topLeft(), QSize(frame.width(), GRIP.height()))
        for screen in QGuiApplication.screens():
            room = screen.availableGeometry()
            if room.intersected(grip).width() >= GRIP.width():
                return frame.width() <= room.width() and frame.height() <= room.height()
        return False

    def _place_anew(self, state: Qt.WindowState) -> None:
        """The window at its first-start size, or smaller to fit the screen with room for its
        title bar, in the middle of the screen; maximised or full screen again if it was."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        size = QSize(min(DEFAULT_SIZE.width(), room.width() * 95 // 100),
                     min(DEFAULT_SIZE.height(), room.height() * 90 // 100))
        self.setWindowState(Qt.WindowNoState)
        self.resize(size)
        self.move(room.center() - QPoint(size.width() // 2, size.height() // 2))
        if state != Qt.WindowNoState:
            self.setWindowState(state)

    def show_up_next(self, on: bool) -> None:
        """Up next beside the library, or hidden to give the library its room; the menu's mark
        follows, and it is written at once, as the mute is. Hidden with the keyboard in it, the
        keyboard goes where Shift+Tab from it goes (in the library, the track list): Qt put it
        on whatever came next in its own chain, a button of the top bar."""
        if not on and self.up_next.isAncestorOf(QApplication.focusWidget()):
            stops = self.tab_stops()
            first = next((i for i, w in enumerate(stops) if self.up_next.isAncestorOf(w)), 0)
            if first > 0:
                stops[first - 1].setFocus(Qt.BacktabFocusReason)
        self.up_next.setVisible(on)
        self.act_up_next.setChecked(on)
        self._settings.setValue(UP_NEXT_KEY, on)

    def _mute_changed(self, on: bool) -> None:
        """The menu's mark follows the mute, and it is written at once, as the volume is."""
        self.act_mute.setChecked(on)
        self._settings.setValue(MUTED_KEY, on)

    def _save_volume(self) -> None:
        """Write the volume to disk (QSettings writes from the event loop, a moment later)."""
        self._settings.setValue(VOLUME_KEY, self.transport.volume.value())
        self._settings.remove(OLD_VOLUME_KEY)

    def save_layout(self) -> None:
        s = self._settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("splitter", self.splitter.saveState())
        s.setValue("columns", self.library.columns.state())
        s.setValue("column_share", self.library.columns.share())
        s.setValue("column_keys", self.library.columns.keys())
        s.setValue("column_font", self.library.columns.font_height)
        s.setValue(VOLUME_KEY, self.transport.volume.value())
        s.remove(OLD_VOLUME_KEY)
        s.sync()

    def closeEvent(self, event) -> None:
        self.save_layout()
        # Off the screen at once: what closing still does (the player's last writes, each
        # waiting a moment where another process holds the library) left it there meanwhile.
        self.hide()
        self._closed = True
        self.folder_watch.close()
        if self._scan is not None:
            self._scan.cancel()
        if self._import is not None:
            self._import.cancel()   # the file being imported is left out whole, as a Cancel does
        for reading in self._reading_again:
            reading.cancel()        # a long one would hold the exit; asked again, it reads them all
        if self.intelligence is not None:
            self.intelligence.shutdown()
        self.shutdown_playback()
        super().closeEvent(event)
