"""The window opens where it can be reached on the screens there are now (a monitor unplugged
since, a smaller screen, a maximised window), and with both its panes in sight."""

from __future__ import annotations

import json
import textwrap

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.player.ui.conftest import run_window_script

LAPTOP = {"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768}
#: A monitor placed left of the laptop's screen.
LEFT = {"name": "monitor", "x": -1920, "y": 0, "width": 1920, "height": 1080}
LARGE = {"name": "large", "x": 0, "y": 0, "width": 2560, "height": 1440}

CHILD = textwrap.dedent("""
    import json
    from PySide6.QtCore import Qt
    from player.store import Store
    from player.ui.main import create_app
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    place, maximise = ASKED
    app = create_app()
    store = Store.open()
    window = MainWindow(store, engine_factory=None)
    window.show()
    app.processEvents()
    out = {}
    if place is not None:           # the last run: the window put there, then closed
        window.setWindowState(Qt.WindowNoState)
        window.setGeometry(*place)
        if maximise:
            window.showMaximized()
        app.processEvents()
    frame = window.frameGeometry()
    out["frame"] = [frame.x(), frame.y(), frame.width(), frame.height()]
    out["maximised"] = window.isMaximized()
    out["screens"] = [[r.x(), r.y(), r.width(), r.height()] for r in (s.availableGeometry() for s in app.screens())]
    window.close()
    wait_all(10_000)
    store.close()
    print(json.dumps(out))
""")


def _run(tmp_path, home, screens, place=None, maximise=False) -> dict:
    config = tmp_path / f"screens{len(list(tmp_path.glob('screens*')))}.json"
    config.write_text(json.dumps({"synchronousWindowSystem": True, "windowFrameMargins": False, "screens": [
        {**s, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1} for s in screens]}))
    script = f"ASKED = {[place, maximise]!r}\n" + CHILD
    out, _ = run_window_script(script, home, timeout=120, platform=f"offscreen:configfile={config}")
    return out


def _inside(frame, room) -> bool:
    x, y, w, h = frame
    rx, ry, rw, rh = room
    return rx <= x and ry <= y and x + w <= rx + rw and y + h <= ry + rh


@pytest.mark.parametrize("before, place", [
    ([LEFT, LAPTOP], [-1900, 50, 1600, 1000]),      # on the monitor, since unplugged
    ([LARGE], [100, 100, 2400, 1300]),              # on a larger screen
    ([LARGE], [1500, 900, 1000, 500]),              # at the bottom right of a larger screen
], ids=["monitor-unplugged", "larger-screen", "far-corner"])
def test_a_window_saved_on_a_screen_no_longer_there_opens_whole_on_the_one_there_is(tmp_path, before, place):
    home = tmp_path / "home"
    saved = _run(tmp_path, home, before, place)
    assert saved["frame"] == place
    now = _run(tmp_path, home, [LAPTOP])
    assert _inside(now["frame"], now["screens"][0]), now
    assert now["frame"][2] >= 1000 and not now["maximised"]       # a useful size, not Qt's smallest


def test_a_maximised_window_stays_maximised_on_another_screen_and_a_kept_place_is_kept(tmp_path):
    home = tmp_path / "home"
    _run(tmp_path, home, [LARGE], [100, 100, 2000, 1200], maximise=True)
    now = _run(tmp_path, home, [LAPTOP])
    assert now["maximised"] and now["frame"] == [0, 0, 1366, 768]
    # Both screens there as they were: the window where it was left, on the monitor at the left.
    _run(tmp_path, home, [LEFT, LAPTOP], [-1900, 50, 1600, 1000])
    assert _run(tmp_path, home, [LEFT, LAPTOP])["frame"] == [-1900, 50, 1600, 1000]


def test_the_first_start_fits_a_small_laptop_screen(tmp_path):
    now = _run(tmp_path, tmp_path / "home", [LAPTOP])
    assert _inside(now["frame"], now["screens"][0]), now


def test_up_next_dragged_to_the_windows_edge_stays_in_sight_and_comes_back(qtbot, scanned, make_window):
    from PySide6.QtTest import QTest

    window = make_window(scanned)
    window.resize(1280, 780)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=2000)
    handle = window.splitter.handle(1)
    QTest.mousePress(handle, Qt.LeftButton, Qt.NoModifier, handle.rect().center())
    for x in range(0, 1400, 50):        # dragged right, out past the window's edge
        QTest.mouseMove(handle, handle.rect().center() + QPoint(x, 0))
    QTest.mouseRelease(handle, Qt.LeftButton, Qt.NoModifier, handle.rect().center() + QPoint(1400, 0))
    least = window.up_next.minimumSizeHint().width()
    assert window.splitter.sizes()[1] >= least > 0
    window.close()
    window.player.close()
    again = make_window(scanned)
    assert again.up_next.isVisible() and again.splitter.sizes()[1] >= least
    again.splitter.setCollapsible(1, True)      # saved away, as a version that let it go saved it
    again.splitter.setSizes([1280, 0])
    assert again.splitter.sizes()[1] == 0
    again.close()
    again.player.close()
    third = make_window(scanned)
    assert third.up_next.isVisible() and third.splitter.sizes()[1] >= least


def test_only_a_saved_geometry_qt_wrote_says_the_window_was_maximised(qtbot):
    from PySide6.QtCore import QByteArray
    from PySide6.QtWidgets import QMainWindow

    from player.ui.main_window import _saved_state

    window = QMainWindow()
    qtbot.addWidget(window)
    window.showMaximized()
    qtbot.waitUntil(window.isMaximized, timeout=5000)
    saved = bytes(window.saveGeometry())
    assert _saved_state(QByteArray(saved)) == Qt.WindowMaximized
    # A later version of the layout, cut short, or not Qt's at all: the bytes there mean nothing.
    later = saved[:4] + (4).to_bytes(2, "big") + saved[6:]
    for other in (later, saved[:45], b"\xff" * len(saved), b""):
        assert _saved_state(QByteArray(other)) == Qt.WindowNoState, other


def test_up_next_is_hidden_and_shown_again_from_the_view_menu_and_stays_as_left(qtbot, scanned, make_window):
    window = make_window(scanned)
    wide = window.library.width()
    assert window.act_up_next.isChecked() and window.act_up_next.shortcut().toString() == "F9"
    assert window.act_up_next in window.view_menu.actions()
    window.act_up_next.trigger()
    qtbot.waitUntil(lambda: window.library.width() > wide, timeout=5000)     # the library has its room
    assert not window.up_next.isVisible() and not window.act_up_next.isChecked()
    window.close()
    window.player.close()
    again = make_window(scanned)
    assert not again.up_next.isVisible() and not again.act_up_next.isChecked()
    again.act_up_next.trigger()
    assert again.up_next.isVisible() and again.act_up_next.isChecked()
    qtbot.waitUntil(lambda: again.splitter.sizes()[1] >= again.up_next.minimumSizeHint().width() > 0, timeout=5000)
    again.close()
    again.player.close()
    assert make_window(scanned).up_next.isVisible()
