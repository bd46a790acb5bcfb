"""The window's menus and keyboard shortcuts (File, Playback, View, Help).

Other parts add to them through the window's attributes: ``window.file_menu``,
``window.playback_menu``, ``window.view_menu``, ``window.help_menu``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QPushButton, QToolButton

from player.ui.sleep_menu import SleepMenu

SEEK_STEP_S = 5.0
VOLUME_STEP = 5          # percent


def build_menus(window) -> None:
    """Menus, actions and shortcuts of ``window`` (a :class:`player.ui.main_window.MainWindow`)."""
    bar = window.menuBar()
    file = window.file_menu = bar.addMenu("&File")
    file.addAction("&Rescan library", window.rescan)
    window.act_read_again = file.addAction("Read &tags of selected tracks again",
                                           lambda: window.read_tags_again(window.library.selected_ids()))
    window.act_read_again.setStatusTip("Read the files of the tracks selected in the library again, for tags a "
                                       "rescan does not see changed")
    window.act_problems = file.addAction("Files with &problems…", window.open_problems)
    window.act_problems.setStatusTip("The files the library could not read, analyse or play, and why")
    window.act_import = file.addAction("&Import listening history…", window.choose_history_files)
    window.act_import.setStatusTip("Spotify, Last.fm or ListenBrainz exports: your plays there teach Segue")
    window.act_stop_import = file.addAction("St&op importing", window.stop_import)
    window.act_stop_import.setStatusTip("The file being imported is left out whole; the files imported before it stay")
    window.act_stop_import.setEnabled(False)        # while an import runs
    window.act_imports = file.addAction("Imported &histories…", window.open_imports)
    window.act_imports.setStatusTip("The listening histories imported so far: one imported by mistake can be "
                                    "taken out")
    file.addAction("Import p&laylist (M3U8, PLS, XSPF, WPL, ASX)…", window.import_playlists)
    file.addAction("Save Up &next as playlist…", window.save_up_next_as_playlist, QKeySequence("Ctrl+Shift+S"))
    file.addAction("&Settings…", window.open_settings, QKeySequence.Preferences)
    window.file_separator = file.addSeparator()     # imports and exports go above it
    file.addAction("&Quit", window.close, QKeySequence.Quit)

    play = window.playback_menu = bar.addMenu("&Playback")
    window.act_play = play.addAction("Play / pause", window.toggle_play)
    window.act_play.setShortcut(Qt.Key_Space)
    window.act_next = play.addAction("Next", window.next_track, QKeySequence("Ctrl+Right"))
    window.act_previous = play.addAction("Previous", window.previous_track, QKeySequence("Ctrl+Left"))
    play.addAction("Stop", window.stop)
    # One-shot: the player turns it off once it has stopped the music (the mark follows it).
    window.act_stop_after = QAction("Stop after this song", window, checkable=True, shortcut=QKeySequence("Ctrl+."))
    window.act_stop_after.setStatusTip("Stop when the song playing now ends; Up next stays for Play")
    window.act_stop_after.triggered.connect(lambda checked: window.set_stop_after(checked))
    play.addAction(window.act_stop_after)
    window.sleep_menu = SleepMenu(window, play)
    play.addSeparator()
    window.act_forward = play.addAction(f"Forward {SEEK_STEP_S:g} s", lambda: window.seek_by(SEEK_STEP_S),
                                        QKeySequence("Shift+Right"))
    window.act_back = play.addAction(f"Back {SEEK_STEP_S:g} s", lambda: window.seek_by(-SEEK_STEP_S),
                                     QKeySequence("Shift+Left"))
    # Chapters of a long file (an audiobook, a mix) have keys of their own, as in mpv: Next and
    # Previous stay with the tracks, as a person who skips a song expects.
    window.act_chapters = (
        play.addAction("Next chapter", lambda: window.chapter_by(1), QKeySequence("Ctrl+Shift+Right")),
        play.addAction("Previous chapter", lambda: window.chapter_by(-1), QKeySequence("Ctrl+Shift+Left")))
    play.addAction("Volume up", lambda: window.volume_by(VOLUME_STEP), QKeySequence("Ctrl+Up"))
    play.addAction("Volume down", lambda: window.volume_by(-VOLUME_STEP), QKeySequence("Ctrl+Down"))
    window.act_mute = QAction("Mute", window, checkable=True, shortcut=QKeySequence("Ctrl+M"))
    window.act_mute.setStatusTip("Silence the music; the volume comes back as it was")
    window.act_mute.triggered.connect(lambda checked: window.transport.set_muted(checked))
    play.addAction(window.act_mute)
    play.addSeparator()
    window.act_shuffle = QAction("Shuffle", window, checkable=True, shortcut=QKeySequence("Ctrl+U"))
    window.act_shuffle.triggered.connect(lambda checked: window.set_shuffle(checked))
    play.addAction(window.act_shuffle)
    # Shuffling whole albums is a way of shuffling, chosen here and kept for the next time
    # (Ctrl+U and the button then shuffle that way): checked, shuffle starts by album now, as
    # foobar2000's "Shuffle (albums)" does when picked; unchecked, it goes on by song.
    window.act_shuffle_albums = QAction("Shuffle by album", window, checkable=True)
    window.act_shuffle_albums.setStatusTip("Shuffle plays whole albums, each in its track order, the albums at random")
    window.act_shuffle_albums.triggered.connect(
        lambda checked: window.set_shuffle(True if checked else window.shuffling(), albums=checked))
    play.addAction(window.act_shuffle_albums)
    repeat = play.addMenu("Repeat")
    group = QActionGroup(window)
    window.act_repeat = {}
    for mode, text in (("off", "Off"), ("all", "All (the list goes round)"), ("one", "One (this track)")):
        action = QAction(text, window, checkable=True)
        action.triggered.connect(lambda _checked=False, m=mode: window.set_repeat(m))
        group.addAction(action)
        repeat.addAction(action)
        window.act_repeat[mode] = action
    window.act_repeat["off"].setChecked(True)
    cycle = QAction("Repeat: next mode", window, shortcut=QKeySequence("Ctrl+R"))
    cycle.triggered.connect(lambda: window.set_repeat({"off": "all", "all": "one", "one": "off"}[window.repeat_mode()]))
    window.addAction(cycle)
    play.addSeparator()
    window.act_radio = play.addAction("Start radio from this song", window.radio_from_current)
    # Only with a song to start it from, as the now-playing bar's Radio button: with nothing
    # playing it was there to pick, and did nothing. So the others on the song playing; the
    # window shows them anew as songs start and stop (nothing plays yet).
    # Play, Next and Previous likewise only where they do something (none before the player is there).
    for action in (window.act_stop_after, window.act_forward, window.act_back, window.act_radio,
                   window.sleep_menu.act_end_of_song, *window.act_chapters, window.act_play, window.act_next,
                   window.act_previous):
        action.setEnabled(False)
    window.act_never = play.addAction("Never suggested…", window.open_never_suggested)
    window.act_never.setStatusTip("The songs and artists Up next, Radio and Discover leave out, and a way to undo")
    window.addActions(play.actions())

    view = window.view_menu = bar.addMenu("&View")
    # Up next's pane can no longer be dragged away to nothing: here it is hidden and shown
    # again, for more room for the library on a small screen.
    window.act_up_next = QAction("&Up next", window, checkable=True, checked=True, shortcut=QKeySequence("F9"))
    window.act_up_next.setStatusTip("Show or hide Up next beside the library")
    window.act_up_next.triggered.connect(lambda checked: window.show_up_next(checked))
    view.addAction(window.act_up_next)
    window.addActions(view.actions())
    # The library's header sorts and chooses columns by mouse only (a header takes no focus):
    # the same, from the keyboard.
    view.addSeparator()
    window.sort_menu = view.addMenu("&Sort library by")
    window.sort_menu.aboutToShow.connect(lambda: window.library.fill_sort_menu(window.sort_menu))
    window.columns_menu = view.addMenu("Library &columns")
    window.columns_menu.aboutToShow.connect(lambda: window.library.fill_column_menu(window.columns_menu))

    help_menu = window.help_menu = bar.addMenu("&Help")
    help_menu.addAction("&Keyboard shortcuts", window.show_shortcuts)
    help_menu.addAction("&About Segue", window.show_about)

    find = QAction("Search", window, shortcut=QKeySequence.Find, triggered=window.library_search)
    window.addAction(find)
    media = {Qt.Key_MediaTogglePlayPause: window.toggle_play, Qt.Key_MediaPlay: window.toggle_play,
             Qt.Key_MediaPause: window.pause, Qt.Key_MediaNext: window.next_track,
             Qt.Key_MediaPrevious: window.previous_track, Qt.Key_MediaStop: window.stop}
    window._media_shortcuts = [QShortcut(QKeySequence(k), window, fn) for k, fn in media.items()]
    window._control_keys = ControlKeys(window)


class ControlKeys(QObject):
    """Space and Enter press the button that has the keyboard, as in any application.

    Space is the window's play/pause key, and a window shortcut goes before the key presses
    of the control that has the focus: Space on a focused button or check box (Keep it going,
    Shuffle, Next, Clear, ...) played or paused instead of pressing it, so those controls could
    not be used from the keyboard at all. A control that takes the focus is asked first (Qt's
    shortcut override): a button, a check box or a drop-down list keeps Space for itself, and
    Space plays and pauses everywhere else (the track lists, the tab bar, the window).
    Enter or Return on a focused push or tool button presses it too: outside a dialog Qt leaves
    those keys unused there, where a keyboard user expects them to press the button."""

    def __init__(self, window):
        super().__init__(window)
        self._window = window
        # Watched when they first take the focus: Discover's rows and the pages' controls are
        # made and remade long after the window.
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old, now) -> None:
        try:
            ours = now is not None and now.window() is self._window
        except RuntimeError:            # the window is gone (an application with several)
            return
        if ours and isinstance(now, (QAbstractButton, QComboBox)):
            now.installEventFilter(self)     # (once: installed again, a filter is not doubled)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind not in (QEvent.ShortcutOverride, QEvent.KeyPress) or event.modifiers() & ~Qt.KeypadModifier:
            return False
        key = event.key()
        if kind == QEvent.ShortcutOverride:
            if key == Qt.Key_Space and not (isinstance(obj, QComboBox) and obj.isEditable()):
                event.accept()          # the control's own key press, not the shortcut
                return True
            return False
        if key in (Qt.Key_Return, Qt.Key_Enter) and isinstance(obj, (QPushButton, QToolButton)) \
                and obj.isEnabled() and not (isinstance(obj, QPushButton) and (obj.autoDefault() or obj.isDefault())):
            obj.animateClick()
            return True
        return False
