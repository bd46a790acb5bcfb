"""The window fits a small screen whatever has been opened: no page holds it wider than a laptop's."""

from __future__ import annotations

SMALL = (900, 600)


def test_the_listening_pages_leave_the_window_small_enough_for_a_laptop(qtbot, scanned, make_window):
    window = make_window(scanned)
    assert window.minimumSizeHint().width() <= SMALL[0]
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    view = window.listening.view
    qtbot.waitUntil(lambda: view.overview.summary is not None and view.sound_map.map is not None, timeout=10000)
    for page in range(view.pages.count()):
        view.pages.setCurrentIndex(page)
        qtbot.wait(50)
        assert window.minimumSizeHint().width() <= SMALL[0], view.pages.tabText(page)
        window.resize(*SMALL)
        qtbot.waitUntil(lambda: window.width() == SMALL[0], timeout=2000)


def test_the_sound_maps_hint_keeps_to_one_line_in_a_window_of_the_usual_size(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.resize(1280, 780)
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    view = window.listening.view
    view.pages.setCurrentWidget(view.sound_map)
    hint = view.sound_map.hint
    qtbot.waitUntil(hint.isVisible, timeout=5000)
    qtbot.wait(50)
    assert hint.height() < 2 * hint.fontMetrics().lineSpacing()
