"""The window fits a small screen whatever has been opened: no page holds it wider than a laptop's."""

from __future__ import annotations

from tests.player.ui.conftest import to_smallest

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


def test_the_top_lists_kinds_show_whole_in_a_small_window(qtbot, scanned, make_window):
    from PySide6.QtCore import QPoint, QRect

    # 800 px wide (a laptop at twice the scale), the Top list's kinds were squeezed behind
    # scroll arrows beside the period's list: "Tra" of Tracks showed, and Genres not at all.
    window = make_window(scanned)
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    page = window.listening.view.overview
    qtbot.waitUntil(lambda: all(p.isVisible() for p in page.plots()), timeout=20000)
    kinds, period = page.kind, page.period

    def at(widget):
        return QRect(widget.mapTo(page, QPoint(0, 0)), widget.size())

    for width, beside in ((800, False), (1280, True), (800, False)):
        window.resize(width, 600)
        qtbot.waitUntil(lambda: window.width() == width, timeout=2000)
        # Beside the kinds where there is room for both, below them where not (laid out anew
        # on the next turn of the event loop).
        qtbot.waitUntil(lambda: (at(period).top() < at(kinds).bottom()) is beside, timeout=2000)
        assert kinds.width() >= kinds.sizeHint().width(), width
        assert [kinds.tabRect(i).right() < kinds.width() for i in range(kinds.count())] == [True] * 3
        assert period.isVisible() and not at(period).intersects(at(kinds))


def test_the_listening_charts_titles_show_whole_in_a_small_window(qtbot, scanned, make_window):
    # 800 px wide, the time of day's title was cut to "Time of day (plays per hour, a". The
    # narrowest window is the test that bites: there the column of the time of day is at its
    # narrowest (about 220 px, now that the Top list's period may go below its kinds).
    window = make_window(scanned)
    window.resize(800, 600)
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    page = window.listening.view.overview
    qtbot.waitUntil(lambda: all(p.isVisible() for p in page.plots()), timeout=20000)
    qtbot.waitUntil(lambda: window.width() == 800, timeout=2000)

    def cut() -> list[str]:
        titles = [(plot.getPlotItem().titleLabel, plot.width()) for plot in page.plots()]
        return [title.text for title, room in titles if title.text and title.item.boundingRect().width() > room]

    assert cut() == []
    to_smallest(qtbot, window)
    qtbot.waitUntil(lambda: page.hour_plot.width() < 250, timeout=2000)       # (laid out anew)
    assert cut() == []


LONG_TITLE = "An Extremely Long Title That No Top Bar Has Room For (Extended Twelve Inch Remix)"


def _shown(label) -> str:
    """What the label draws (``text()`` of an elided label is its whole text)."""
    from PySide6.QtWidgets import QLabel

    return QLabel.text(label)


def test_the_top_bar_cuts_long_names_short_with_an_ellipsis_at_the_smallest_window(qtbot, store, music, make_window,
                                                                                   qapp):
    from player.library.scanner import Scanner
    from player.ui.theme import apply_theme
    from tests.audiogen import write_track

    write_track(music / "Long", "long", fmt="flac", seconds=3.0,
                tags={"title": LONG_TITLE, "artist": "The Band With A Name As Long As A Sentence",
                      "album": "And An Album Called Something Equally Long", "genre": "Rock"})
    Scanner(store).scan([str(music)])
    sheet = qapp.styleSheet()
    apply_theme(qapp)                   # the bar's title in the font it is shown in (larger, bold)
    try:
        window = make_window(store)
        bar = window.transport
        to_smallest(qtbot, window)
        qtbot.wait(50)
        hint = bar.subtitle                         # the hint under "Nothing playing" does not fit either
        assert _shown(hint).endswith("…") and hint.toolTip() == hint.text(), _shown(hint)
        assert hint.fontMetrics().horizontalAdvance(_shown(hint)) <= hint.contentsRect().width()
        row = next(r for r in range(window.model.rowCount()) if window.model.index(r, 1).data() == LONG_TITLE)
        window.play_ids([window.model.track_id(row)], 0, "library")
        qtbot.waitUntil(lambda: bar.title.text() == LONG_TITLE, timeout=10000)
        qtbot.wait(50)
        assert _shown(bar.title).endswith("…") and bar.title.toolTip() == LONG_TITLE
        assert bar.title.fontMetrics().horizontalAdvance(_shown(bar.title)) <= bar.title.contentsRect().width()
        assert bar.subtitle.toolTip() == bar.subtitle.text() != _shown(bar.subtitle)
        assert window.minimumSizeHint().width() <= SMALL[0]     # a long name holds the window no wider
        window.resize(2400, 780)                                # room for all of it: shown whole, no tooltip
        qtbot.waitUntil(lambda: window.width() == 2400, timeout=2000)
        qtbot.wait(50)
        assert _shown(bar.title) == LONG_TITLE and bar.title.toolTip() == ""
    finally:
        qapp.setStyleSheet(sheet)


def test_hovering_a_long_titled_point_on_the_sound_map_leaves_the_window_its_size(qtbot, store, tmp_path,
                                                                                  make_window):
    import numpy as np
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QLabel

    from player.library.scanner import Scanner
    from tests.audiogen import write_track
    from tests.player.ui.real_log import FEATURE_VERSION, _unit

    # Every point has a long title: at the smallest window the points crowd, and the one
    # nearest to the pixel the pointer lands on may be a neighbour of the point aimed at.
    music = tmp_path / "long music"
    for i, genre in enumerate(["Rock", "Rock", "Jazz", "Jazz", "Folk", "Folk"]):
        write_track(music / genre, f"long{i}", fmt="flac", seconds=3.0,
                    tags={"title": f"{LONG_TITLE} {i}", "artist": "The Band With A Name As Long As A Sentence",
                          "genre": genre})
    Scanner(store).scan([str(music)])
    store.save_features([{"track_id": r["id"], "model_version": FEATURE_VERSION, "bucket": r["genre"].lower(),
                          "embedding": _unit("genre:" + r["genre"].lower(), 200) + 0.3 * _unit(r["path"], 200)}
                         for r in store.tracks()])
    window = make_window(store)
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    view = window.listening.view
    qtbot.waitUntil(lambda: view.sound_map.map is not None, timeout=10000)
    page = view.sound_map
    view.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.plot.isVisible() and bool(page.point_items), timeout=5000)
    to_smallest(qtbot, window)
    qtbot.wait(50)
    size = window.size()
    x, y = page.map.xy[int(np.flatnonzero(np.array(page.map.title) == f"{LONG_TITLE} 0")[0])]
    qtbot.mouseMove(page.plot.viewport(), page.plot.mapFromScene(page.view.mapViewToScene(QPointF(x, y))))
    qtbot.waitUntil(lambda: page.hover.text().startswith(LONG_TITLE), timeout=5000)
    qtbot.wait(50)
    assert window.size() == size        # (it grew from 705 to 1186 px to show the name whole)
    shown = QLabel.text(page.hover)
    assert shown.endswith("…") and page.hover.toolTip() == page.hover.text()


SONG_TITLE = "Thirty Characters of Song Name"     # a song title of a usual length


def test_the_top_bar_keeps_room_for_the_first_words_of_a_title_at_the_smallest_window(qtbot, store, music,
                                                                                     make_window, qapp):
    from player.library.scanner import Scanner
    from player.ui.theme import apply_theme
    from tests.audiogen import write_track

    assert len(SONG_TITLE) == 30
    write_track(music / "Usual", "usual", fmt="flac", seconds=3.0,
                tags={"title": SONG_TITLE, "artist": "Granite", "album": "Quarry", "genre": "Rock"})
    Scanner(store).scan([str(music)])
    sheet = qapp.styleSheet()
    apply_theme(qapp)                   # the title in the font it is shown in (larger, bold)
    try:
        window = make_window(store)
        bar = window.transport
        to_smallest(qtbot, window)
        qtbot.wait(50)
        # The title had what the buttons beside it left over: "No…", "Th…".
        assert _shown(bar.title) == "Nothing playing" and bar.title.toolTip() == ""
        row = next(r for r in range(window.model.rowCount()) if window.model.index(r, 1).data() == SONG_TITLE)
        window.play_ids([window.model.track_id(row)], 0, "library")
        qtbot.waitUntil(lambda: bar.title.text() == SONG_TITLE, timeout=10000)
        to_smallest(qtbot, window)
        qtbot.wait(50)
        shown = _shown(bar.title)
        assert SONG_TITLE.startswith(shown.rstrip("…")) and len(shown.rstrip("…")) >= 12, shown
        assert bar.title.fontMetrics().horizontalAdvance(shown) <= bar.title.contentsRect().width()
        assert window.minimumSizeHint().width() <= SMALL[0]
    finally:
        qapp.setStyleSheet(sheet)
