"""What a screen reader finds in the window: every control has a name (an icon-only button's
tooltip is no name), the play button says what it does now, the seek bar can be reached and
says where the song is, and the rows of Up next and Discover say whose song it is and why."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible


def _name(widget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Name)


def _bar_at(qtbot, position: float):
    """A now-playing bar shown, a 3:20 song ("Song" by "Artist") at ``position`` seconds."""
    from player.ui.transport import TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_track("Song", "Artist")
    bar.set_position(position, 200.0)
    return bar


def _said(widget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Description)


def _cells(view) -> list[tuple[str, str]]:
    """(name, description) of the rows of a list or a one-column table, as read out."""
    iface = QAccessible.queryAccessibleInterface(view)
    out = []
    for i in range(iface.childCount()):
        child = iface.child(i)
        if child.role() in (QAccessible.Cell, QAccessible.ListItem):
            out.append((child.text(QAccessible.Name), child.text(QAccessible.Description)))
    return out


def test_every_control_of_the_window_has_a_name(qtbot, scanned, make_window):
    window = make_window(scanned)
    bar = window.transport
    assert [_name(w) for w in (bar.prev_btn, bar.play_btn, bar.next_btn)] == ["Previous", "Play", "Next"]
    assert _name(bar.volume) == "Volume" and _name(bar.volume_icon) == "Volume"
    assert _name(bar.slider) == "Position in the song"
    assert bar.slider.focusPolicy() & Qt.TabFocus           # the keyboard (and a reader) reaches it
    assert _name(window.library.table) == "Library"
    assert _name(window.up_next.list) == "Up next"
    assert _name(window.playlists.lists) == "Playlists" and _name(window.playlists.entries) == "Songs of the playlist"

    first = window.model.track_id(0)
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: _name(bar.play_btn) == "Pause", timeout=10000)
    assert _said(bar.slider).endswith(" of 0:03")                         # minutes, not milliseconds
    window.pause()
    qtbot.waitUntil(lambda: _name(bar.play_btn) == "Play", timeout=5000)


def test_the_settings_dialog_from_a_screen_reader_and_the_keyboard(qtbot, scanned, make_window):
    # The folder list was read out as a nameless list (no label names it: the group's title is
    # not its parent's). The other controls are named by their labels.
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QDoubleSpinBox, QListWidget

    from tests.player.ui.conftest import open_settings

    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    assert _name(dialog.folders.list) == "Music folders"
    for box, label in ((dialog.device, "Output device:"), (dialog.replaygain, "ReplayGain:"),
                       (dialog.preamp, "Preamp:"), (dialog.untagged, "Untagged tracks:"),
                       (dialog.while_playing, "Analysis while music plays:")):
        iface = QAccessible.queryAccessibleInterface(box)
        assert [other.text(QAccessible.Name) for other, _ in iface.relations(QAccessible.Label)] == [label]
    controls = [w for kind in (QAbstractButton, QComboBox, QDoubleSpinBox, QListWidget)
                for w in dialog.findChildren(kind)]
    assert controls and all(_name(w) for w in controls)
    # Remove with no folder chosen did nothing and said nothing: it waits for a choice.
    folders = dialog.folders
    assert not folders.remove_btn.isEnabled()
    folders.list.item(0).setSelected(True)
    assert folders.remove_btn.isEnabled()
    # Delete in the list removes the folders chosen, as in a file manager.
    folders.list.setFocus()
    qtbot.keyClick(folders.list, Qt.Key_Delete)
    assert folders.folders() == [] and not folders.remove_btn.isEnabled()
    # Each setting of the form has a key of its own (Alt and the letter underlined).
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    from PySide6.QtWidgets import QApplication

    for key, box in ((Qt.Key_D, dialog.device), (Qt.Key_F, dialog.crossfade), (Qt.Key_A, dialog.while_playing),
                     (Qt.Key_R, dialog.replaygain), (Qt.Key_P, dialog.preamp), (Qt.Key_U, dialog.untagged)):
        qtbot.keyClick(QApplication.focusWidget(), key, Qt.AltModifier)
        assert QApplication.focusWidget() is box or QApplication.focusWidget().parent() is box
    dialog.reject()


def test_the_seek_bar_moves_from_the_keyboard(qtbot):
    bar = _bar_at(qtbot, 60.0)
    assert _said(bar.slider) == "1:00 of 3:20"                # minutes and seconds, not 60000
    assert _name(bar.slider) == "Position in the song"
    # Its value as Qt's accessibility layer hands it to a reader: as text, where the song is
    # in minutes; as a number (Orca, VoiceOver read and set it so), seconds, not milliseconds.
    iface = QAccessible.queryAccessibleInterface(bar.slider)
    assert iface.role() == QAccessible.Slider and iface.text(QAccessible.Value) == "1:00 of 3:20"
    value = iface.valueInterface()
    assert value is not None
    assert (value.minimumValue(), value.currentValue(), value.maximumValue()) == (0, 60, 200)
    with qtbot.waitSignal(bar.seek, timeout=1000) as seeked:
        qtbot.keyClick(bar.slider, Qt.Key_Right)
    assert seeked.args == [65.0]
    assert _said(bar.slider) == "1:05 of 3:20"               # a key's seek is heard at once
    assert iface.text(QAccessible.Value) == "1:05 of 3:20" and value.currentValue() == 65
    # End would be the end of the song, which is the next one: a skip nobody meant by it.
    with qtbot.assertNotEmitted(bar.seek, wait=100):
        qtbot.keyClick(bar.slider, Qt.Key_End)
    assert bar.slider.value() == 65000


@pytest.fixture
def qt_events():
    """Every accessibility event Qt sends, as (kind, object): those its widgets send from C++
    too (a slider's setValue tells of its value there, where no Python patch sees it), through
    Qt's own hook for watching them, QAccessible::installUpdateHandler. Offscreen no platform
    bridge listens, so holding them here takes nothing from anyone."""
    import ctypes
    from pathlib import Path

    import PySide6
    import shiboken6
    from PySide6.QtGui import QAccessibleEvent

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libQt6Gui.so*"))
    if not found:
        pytest.skip("Qt's GUI library is not a file by that name on this platform")
    handler = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
    # Its name as the Itanium ABI (gcc, clang) spells it; another compiler's is not looked for.
    gui = ctypes.CDLL(str(found[0]))
    install = getattr(gui, "_ZN11QAccessible20installUpdateHandlerEPFvP16QAccessibleEventE", None)
    if install is None:
        pytest.skip("Qt's GUI library names QAccessible::installUpdateHandler otherwise here")
    install.argtypes, install.restype = [handler], ctypes.c_void_p
    seen = []

    def record(address):
        event = shiboken6.wrapInstance(address, QAccessibleEvent)
        seen.append((event.type(), event.object()))

    hook = handler(record)
    before = install(hook)
    try:
        yield seen
    finally:
        install(ctypes.cast(before, handler) if before else handler())


def test_a_screen_reader_resting_on_the_seek_bar_hears_the_song_move_only_when_asked(qtbot, qt_events):
    # Qt's slider tells a reader of every value set, and the clock set the seek bar's ten
    # times a second: a reader resting on the bar while music played spoke all the time.
    bar = _bar_at(qtbot, 60.0)
    slider = bar.slider
    value = QAccessible.queryAccessibleInterface(slider).valueInterface()

    def told() -> list:
        return [kind for kind, obj in qt_events if obj is slider]

    qt_events.clear()
    for tenth in range(1, 31):                                   # three seconds of the clock
        bar.set_position(60 + tenth / 10, 200.0)
    assert told() == []
    # The handle went with the song, and a reader asking hears where it is.
    assert slider.sliderPosition() == slider.value() == 63000
    assert value.currentValue() == 63 and _said(slider) == "1:03 of 3:20"
    # A key moves it from where the song is, and that is told, once.
    with qtbot.waitSignal(bar.seek, timeout=1000) as seeked:
        qtbot.keyClick(slider, Qt.Key_Right)
    assert seeked.args == [68.0]
    assert told().count(QAccessible.ValueChanged) == 1 and value.currentValue() == 68
    assert QAccessible.DescriptionChanged in told() and _said(slider) == "1:08 of 3:20"
    qt_events.clear()
    for tenth in range(1, 31):
        bar.set_position(68 + tenth / 10, 200.0)
    bar.set_track("Shorter", "Artist")                           # the next song, a new length
    bar.set_position(0.1, 180.0)
    assert told() == [] and slider.value() == 100
    with qtbot.waitSignal(bar.seek, timeout=1000) as seeked:
        qtbot.keyClick(slider, Qt.Key_Left)
    assert seeked.args == [0.0] and told().count(QAccessible.ValueChanged) == 1
    # A seek from elsewhere in the window (Shift+Right, a media key) is told as a key's is.
    qt_events.clear()
    bar.set_position(30.0, 180.0, sought=True)
    assert told().count(QAccessible.ValueChanged) == 1 and value.currentValue() == 30


def test_the_volume_slider_says_when_the_music_is_muted(qtbot):
    # Muted (Ctrl+M), the slider, which is where the keyboard is, said only its level.
    from player.ui.transport import TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.set_muted(True)
    assert _name(bar.volume) == "Volume, muted"
    bar.set_muted(False)
    assert _name(bar.volume) == "Volume"


def test_up_next_rows_and_discover_tiles_say_the_artist_and_why(qtbot, scanned, make_window):
    import time

    from player.recommendations import genre_title

    # Granite's Stone Road heard three times a month ago (and the folk song today): Granite's
    # tiles say so; a tile of a song and an artist never played has nothing to say.
    played = {t["title"]: t["id"] for t in scanned.tracks()}
    month = time.time() - 30 * 86400
    scanned.log_plays([(played["Stone Road"], month + 600 * i, 3000, 3000, "finished", "library") for i in range(3)]
                      + [(played["River Song"], time.time() - 600, 3000, 3000, "finished", "library")])
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(2)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    titles = {row["id"]: (row["title"], row["artist"]) for row in scanned.tracks()}
    rows = _cells(window.up_next.list)
    assert rows == [(f"{titles[t][0]}, {titles[t][1]}", "You added it") for t in ids]

    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 2, timeout=5000)     # (folk's one song was played)
    names = [_name(row.list) for row in window.discover.rows]
    assert names == [genre_title(row.bucket) for row in window.discover.rows]
    assert len(set(names)) == 2
    said = {}
    for row in window.discover.rows:
        tiles = _cells(row.list)
        assert tiles and all(", " in name for name, _ in tiles), tiles
        by_id = {row.ids[i]: tiles[i] for i in range(len(tiles))}
        for track_id, (name, why) in by_id.items():
            assert name == f"{titles[track_id][0]}, {titles[track_id][1]}"
            said[titles[track_id][0]] = why
    assert said["Pebble Song"] == "you played Granite 3 times" and said["Stone Road"] == "you played it 3 times"


def test_every_tab_stop_of_every_page_has_a_name(qtbot, scanned, make_window):
    # Discover's scrolled area and the Listening page's charts were stops a reader said nothing
    # for; the charts answer no key either, so Tab no longer stops on them at all.
    import pyqtgraph as pg

    window = make_window(scanned)
    window.activateWindow()
    first = window.model.track_id(0)
    window.play_ids([first], 0, "library")
    window.enqueue([window.model.track_id(1)])
    qtbot.waitUntil(lambda: window.up_next.clear_btn.isEnabled() and window.transport.slider.isEnabled(),
                    timeout=10000)
    nameless, charts = [], []

    def look(where: str) -> None:
        stops = window.tab_stops()
        assert len(stops) > 8, where
        nameless.extend(f"{where}: {type(w).__name__}" for w in stops if not _name(w))
        charts.extend(f"{where}: {_name(w)}" for w in stops if isinstance(w, pg.PlotWidget))

    look("library")
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) >= 2, timeout=5000)
    look("discover")
    window.tabs.setCurrentWidget(window.playlists)
    look("playlists")
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    view = window.listening.view
    qtbot.waitUntil(lambda: all(p.isVisible() for p in view.overview.plots()), timeout=20000)
    pages = view.pages
    for i in range(pages.count()):
        pages.setCurrentIndex(i)
        qtbot.waitUntil(lambda: pages.currentWidget().isVisible(), timeout=5000)
        if pages.currentWidget() is view.sound_map:
            qtbot.waitUntil(view.sound_map.plot.isVisible, timeout=5000)
        look(pages.tabText(i))
    assert nameless == []
    assert charts == ["Sound map: Sound map"]           # the one chart that is worked by hand
    # Each chart keeps its title as its name, for a reader going over the page.
    assert [_name(p) for p in view.overview.plots()[:4]] == [
        "Plays per week", "Hours per week", "Skipped early, per week", "Plays by hour, all time"]


def test_the_list_dialogs_name_their_lists(qtbot, scanned, make_window):
    # Imported histories, Never suggested and Files with problems opened with the keyboard in
    # a list a reader called only "tree" or "list": no label names it.
    from PySide6.QtWidgets import QApplication

    scanned.never_suggest_track(scanned.tracks()[0]["id"])     # (with none, Never suggested shows no list)
    window = make_window(scanned)
    window.activateWindow()
    for open_it in (window.open_imports, window.open_never_suggested, window.open_problems):
        dialog = open_it()
        with qtbot.waitSignal(dialog.loaded, timeout=5000):
            dialog.reload()
        qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=5000)
        view = QApplication.focusWidget()
        assert _name(view) == dialog.windowTitle(), type(view).__name__
        dialog.close()


def test_the_seek_bar_says_where_the_song_is_after_a_seek_in_the_window(qtbot, scanned, make_window):
    window = make_window(scanned)
    bar = window.transport
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: _said(bar.slider).endswith(" of 0:03"), timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: _name(bar.play_btn) == "Play", timeout=5000)
    window.seek_to(2.0)
    qtbot.waitUntil(lambda: _said(bar.slider) == "0:02 of 0:03", timeout=5000)
    spoken = bar.slider.spoken
    bar.set_position(2.4, 3.0)                               # the same second shown: nothing new to say
    assert bar.slider.spoken is spoken


def test_a_screen_reader_seeks_by_setting_the_seek_bars_value(qtbot):
    # A reader's "set value" (AT-SPI SetCurrentValue) is in the seconds it reads; the slider
    # keeps the milliseconds a click can reach.
    import gc

    from player.ui.transport import TransportBar

    bar = _bar_at(qtbot, 10.0)
    value = QAccessible.queryAccessibleInterface(bar.slider).valueInterface()
    with qtbot.waitSignal(bar.seek, timeout=1000) as seeked:
        value.setCurrentValue(83.25)
    assert seeked.args == [83.25] and bar.slider.value() == 83250
    assert _said(bar.slider) == "1:23 of 3:20" and value.currentValue() == 83.25
    with qtbot.waitSignal(bar.seek, timeout=1000) as seeked:
        value.setCurrentValue(10_000)                        # past the end: kept within the song
    assert seeked.args == [200.0]
    # Nothing playing: there is nowhere to seek.
    bar.set_track(None)
    with qtbot.assertNotEmitted(bar.seek, wait=50):
        value.setCurrentValue(5)
    # Bars come and go with their windows: the interfaces Qt kept for the old ones go with them.
    import shiboken6

    for _ in range(3):
        other = TransportBar()
        kept = QAccessible.queryAccessibleInterface(other.slider)
        assert kept.valueInterface().maximumValue() == 0
        with qtbot.waitSignal(other.destroyed, timeout=5000):
            other.deleteLater()
        assert not shiboken6.isValid(kept)                   # Qt deleted it with its slider
        del other, kept
        gc.collect()
    assert QAccessible.queryAccessibleInterface(bar.slider).valueInterface().currentValue() == 0


def test_going_down_the_library_a_screen_reader_hears_the_titles(qtbot, scanned, make_window):
    # The first key into the list (Tab, or an arrow with no row chosen) landed on the track
    # number column: a reader going down the list heard "1", "2", "3". The rows' titles are
    # what it hears now, the cell saying whose column it is; Left and Right go over the others.
    from PySide6.QtWidgets import QApplication

    window = make_window(scanned)
    window.activateWindow()
    table = window.library.table
    qtbot.waitUntil(table.hasFocus, timeout=5000)
    assert not table.currentIndex().isValid()
    titles = [window.model.data_.info(window.model.track_id(r))[0] for r in range(3)]
    iface = QAccessible.queryAccessibleInterface(table)
    qtbot.keyClick(table, Qt.Key_Down)
    heard = [iface.focusChild().text(QAccessible.Name)]
    for _ in range(2):
        qtbot.keyClick(table, Qt.Key_Down)
        heard.append(iface.focusChild().text(QAccessible.Name))
    assert heard == titles
    cell = iface.focusChild().tableCellInterface()
    assert [h.text(QAccessible.Name) for h in cell.columnHeaderCells()] == ["Title"]
    qtbot.keyClick(table, Qt.Key_Right)
    assert iface.focusChild().tableCellInterface().columnHeaderCells()[0].text(QAccessible.Name) == "Artist"
    # Tab into the list with no row chosen (a reload empties it): the first title.
    table.selectionModel().clearCurrentIndex()
    qtbot.keyClick(table, Qt.Key_Backtab, Qt.ShiftModifier)
    assert QApplication.focusWidget() is window.library.search
    qtbot.keyClick(window.library.search, Qt.Key_Tab)
    assert QApplication.focusWidget() is table
    assert iface.focusChild().text(QAccessible.Name) == titles[0]


def _announcements(monkeypatch) -> list:
    """The announcements the window makes, as (words, politeness, role of the speaker). Qt
    hands its events to the platform's bridge, which offscreen has none: they are recorded
    on their way there (and still sent on)."""
    from PySide6.QtGui import QAccessibleAnnouncementEvent

    sent = []
    real = QAccessible.updateAccessibility

    def record(event):
        if isinstance(event, QAccessibleAnnouncementEvent):
            sent.append((event.message(), event.politeness(), event.accessibleInterface().role()))
        real(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", staticmethod(record))
    return sent


def test_a_status_bar_message_is_said_to_a_screen_reader(qtbot, scanned, make_window, monkeypatch):
    # The status bar paints its messages: a reader heard nothing of "Removed 1 song from Up
    # next" (or of a song that could not play), and found nothing in the bar either.
    sent = _announcements(monkeypatch)
    window = make_window(scanned)
    bar = window.statusBar()
    sent.clear()
    bar.showMessage("Removed 1 song from Up next", 5000)
    assert sent == [("Removed 1 song from Up next", QAccessible.AnnouncementPoliteness.Polite,
                     QAccessible.StatusBar)]
    assert _said(bar) == "Removed 1 song from Up next"
    bar.showMessage("Removed 1 song from Up next", 5000)         # the same words, still showing: said once
    assert len(sent) == 1
    bar.clearMessage()
    assert _said(bar) == "" and len(sent) == 1                  # nothing to say of a message gone


def test_going_through_a_menu_its_status_tips_are_not_announced(qtbot, scanned, make_window, monkeypatch):
    # A menu item's status tip goes to the status bar at each arrow key: announced, it queued
    # behind the items' names and was still being read after the keyboard had moved on.
    from PySide6.QtWidgets import QApplication

    sent = _announcements(monkeypatch)
    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    bar = window.menuBar()
    top = next(a for a in bar.actions() if a.menu() and window.act_problems in a.menu().actions())
    sent.clear()
    bar.setActiveAction(top)
    qtbot.waitUntil(top.menu().isVisible, timeout=5000)
    for _ in top.menu().actions():
        qtbot.keyClick(QApplication.activePopupWidget(), Qt.Key_Down)
    assert window.statusBar().currentMessage()                  # a tip is shown, as for the mouse
    assert sent == []
    top.menu().close()
    window.statusBar().showMessage("Removed 1 song from Up next", 5000)
    assert [m for m, _, _ in sent] == ["Removed 1 song from Up next"]     # Segue's own still are


def test_while_another_application_is_in_use_only_music_gone_wrong_is_said(qtbot, scanned, make_window, monkeypatch):
    # A scan finishing spoke over another application's words, where a song starting did not.
    # What is said from the background is what the person hears go wrong: a song that cannot
    # play (they hear the silence); the rest waits in the bar for them to come back.
    from PySide6.QtWidgets import QDialog, QWidget

    sent = _announcements(monkeypatch)
    window = make_window(scanned)
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: other.isActiveWindow() and not window.isActiveWindow(), timeout=5000)
    bar = window.statusBar()
    sent.clear()
    bar.showMessage("Scan done: 3 new songs", 10000)
    assert sent == [] and _said(bar) == "Scan done: 3 new songs"     # shown, and there when asked
    window.bridge.error.emit({"track_id": 987654, "path": "/far/away/x.mp3", "message": "no audio in it"})
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Could not play"), timeout=5000)
    assert [m for m, _, _ in sent] == [bar.currentMessage()]
    # Back in Segue, its messages are said again.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    sent.clear()
    bar.showMessage("Removed 1 song from Up next", 5000)
    assert [m for m, _, _ in sent] == ["Removed 1 song from Up next"]
    # A dialog of Segue's in use is Segue in use: a scan started from it is said as it ends.
    dialog = QDialog(window)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow() and not window.isActiveWindow(), timeout=5000)
    bar.showMessage("Scan done: 1 new song", 10000)
    assert [m for m, _, _ in sent][1:] == ["Scan done: 1 new song"]
    dialog.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    sent.clear()
    window.bridge.error.emit({"track_id": 987655, "path": "/far/away/y.mp3", "message": "no audio in it"})
    qtbot.waitUntil(lambda: "y.mp3" in bar.currentMessage(), timeout=5000)
    assert [m for m, _, _ in sent] == [bar.currentMessage()]             # said once
    # The same song tried again fails again: the same words, said again (else the second try
    # seemed to do nothing).
    window.bridge.error.emit({"track_id": 987655, "path": "/far/away/y.mp3", "message": "no audio in it"})
    qtbot.waitUntil(lambda: len(sent) == 2, timeout=5000)
    assert [m for m, _, _ in sent] == [bar.currentMessage()] * 2


def test_the_window_starts_on_a_qt_without_announcements():
    # Announcements came with Qt 6.8 and the PySide6 Segue installs with may be 6.6: there the
    # window must still start and show its messages, unsaid. A process of its own, whose
    # QtGui lacks the class as 6.6's does (looked up first: PySide6 makes its classes as asked).
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from PySide6 import QtGui; QtGui.QAccessibleAnnouncementEvent; del QtGui.QAccessibleAnnouncementEvent; "
        "from PySide6.QtWidgets import QApplication, QStatusBar; import player.ui.main_window; "
        "from player.ui.announce import announce; app = QApplication([]); "
        "announce(QStatusBar(), 'Removed 1 song from Up next'); print('started')"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "started", out.stderr[-2000:]


def test_the_song_a_key_starts_is_said_to_a_screen_reader(qtbot, scanned, make_window, monkeypatch):
    # Next (Ctrl+Right) changed only the painted title: a reader heard nothing of the song.
    sent = _announcements(monkeypatch)
    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    ids = [window.model.track_id(r) for r in range(2)]
    names = [window.model.data_.info(t)[:2] for t in ids]
    window.play_ids(ids, 0, "library")
    said = [f"{title}, {artist}" for title, artist in names]
    qtbot.waitUntil(lambda: [m for m, _, _ in sent if m in said] == said[:1], timeout=10000)
    qtbot.keyClick(window.library.table, Qt.Key_Right, Qt.ControlModifier)
    qtbot.waitUntil(lambda: [m for m, _, _ in sent if m in said] == said, timeout=10000)
    assert all(polite == QAccessible.AnnouncementPoliteness.Polite for m, polite, _ in sent if m in said)
    # A dialog of Segue's in use (Settings, Files with problems) is Segue in use: a song
    # started from there is said too.
    from PySide6.QtWidgets import QDialog

    dialog = QDialog(window)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow() and not window.isActiveWindow(), timeout=5000)
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: [m for m, _, _ in sent if m in said] == [*said, said[0]], timeout=10000)
    dialog.close()


def _first_song_said(qtbot, scanned, make_window, monkeypatch):
    """A window in use, what it says to a screen reader (see :func:`_announcements`), the first
    track of its library and the words that say it: (sent, window, track id, words)."""
    sent = _announcements(monkeypatch)
    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    first = window.model.track_id(0)
    title, artist = window.model.data_.info(first)[:2]
    return sent, window, first, f"{title}, {artist}"


def test_repeat_one_says_the_song_once_not_at_every_lap(qtbot, scanned, make_window, monkeypatch):
    # Repeating one song, its title and artist were said again each time it came round.
    # The song that comes round again after itself is the one already said; started again
    # by the person (Enter on it, or Stop, then Play), it is said again.
    sent, window, first, said = _first_song_said(qtbot, scanned, make_window, monkeypatch)
    starts = []
    window.bridge.track_started.connect(lambda data: starts.append(data["track_id"]))
    window.set_repeat("one")
    qtbot.waitUntil(lambda: window.repeat_mode() == "one", timeout=5000)
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: len(starts) >= 3, timeout=30000)        # two laps of a 3 s song
    assert set(starts) == {first}
    assert [m for m, _, _ in sent if m == said] == [said]
    # Enter on the song playing starts it again because the person asked: said, or a reader's
    # user has nothing to tell the key did anything.
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: [m for m, _, _ in sent if m == said] == [said] * 2, timeout=10000)
    window.stop()
    qtbot.waitUntil(lambda: window.current_track_id() is None, timeout=10000)
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: [m for m, _, _ in sent if m == said] == [said] * 3, timeout=10000)


def test_repeat_one_says_the_song_once_after_a_rescan_gives_it_to_its_copy(qtbot, scanned, music, make_window,
                                                                          monkeypatch):
    # Repeating one song whose file was deleted, a copy of it kept in the library: the rescan
    # gave the track to the copy, and the next lap, named by the copy's track, was said as a
    # new song, though it is the same song coming round.
    import shutil
    from pathlib import Path

    sent, window, first, said = _first_song_said(qtbot, scanned, make_window, monkeypatch)
    song = Path(scanned.track(first)["path"])
    (music / "Copies").mkdir()
    shutil.copy2(song, music / "Copies" / song.name)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    copy = scanned.track_by_path(str(music / "Copies" / song.name))["id"]
    starts = []
    window.bridge.track_started.connect(lambda data: starts.append(data["track_id"]))
    window.set_repeat("one")
    qtbot.waitUntil(lambda: window.repeat_mode() == "one", timeout=5000)
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: [m for m, _, _ in sent if m == said] == [said], timeout=10000)
    qtbot.waitUntil(lambda: len(scanned.plays()) == 1, timeout=10000)
    song.unlink()
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    assert scanned.live_track_id(first) == copy
    qtbot.waitUntil(lambda: starts.count(copy) >= 2, timeout=30000)      # two laps from the copy
    assert [m for m, _, _ in sent if m == said] == [said]


def test_a_song_whose_names_are_still_being_read_is_said_once_they_are(qtbot, scanned, make_window, monkeypatch):
    # A song outside the library is named by a worker after it starts: until then the bar
    # shows "…", which said nothing; its names are said when they come.
    sent = _announcements(monkeypatch)
    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    sent.clear()
    window.bridge.track_started.emit({"track_id": 987654})      # one the library does not hold
    qtbot.waitUntil(lambda: [m for m, _, _ in sent] == ["track 987654"], timeout=10000)


def test_the_playlists_page_says_whose_songs_and_how_many(qtbot, scanned, make_window):
    # A playlist's songs were read by title alone, and a playlist as "Evening (2)".
    window = make_window(scanned)
    panel = window.playlists
    window.tabs.setCurrentWidget(panel)
    ids = [window.model.track_id(r) for r in range(2)]
    window.add_to_playlist(ids, name="Evening")
    qtbot.waitUntil(lambda: panel.entries.count() == 2, timeout=5000)
    names = {row["id"]: (row["title"], row["artist"], row["album"]) for row in scanned.tracks()}
    assert [name for name, _ in _cells(panel.entries)] == [f"{t}, {a} — {al}" for t, a, al in map(names.get, ids)]
    assert [name for name, _ in _cells(panel.lists)] == ["Evening, 2 songs"]
