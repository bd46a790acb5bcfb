"""A Discover tile says why it is there on the tile itself, not only in a tooltip that a
touchpad or a keyboard never opens."""

from __future__ import annotations

from tests.player.ui.conftest import to_smallest

LONG = "because you played Stone Road by Granite and three other songs from that album last week"


def _ink(image, left: int, top: int, right: int, bottom: int, ground) -> int:
    """How many pixels in the box differ from the tile's ``ground`` colour."""
    return sum(image.pixelColor(x, y) != ground for x in range(left, right) for y in range(top, bottom))


def _reason_line(row, i: int):
    """The tile's rectangle in its list's viewport and the box its third line is drawn in."""
    rect = row.list.visualRect(row.list.model().index(i, 0))
    h = row.list.fontMetrics().height()
    top = rect.top() + 5 + 2 * (h + 2)
    return rect, (rect.left() + 8, top, rect.right() - 8, top + h)


def test_a_discover_tile_shows_its_reason_under_the_title_and_the_artist(qtbot, scanned, make_window):
    import time

    from player.ui.two_line import REASON_ROLE

    # Granite's Stone Road heard three times a month ago (and a folk song today): its album's
    # other song says so, as the learning recommender's tile does.
    ids = {t["title"]: t["id"] for t in scanned.tracks()}
    month = time.time() - 30 * 86400
    scanned.log_plays([(ids["Stone Road"], month + 600 * i, 3000, 3000, "finished", "library") for i in range(3)]
                      + [(ids["River Song"], time.time() - 600, 3000, 3000, "finished", "library")])
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 2, timeout=5000)     # (folk's one song was played)
    row = window.discover.rows[0]
    assert row.bucket == "rock" and row.title.text() == "Rock"
    i = next(i for i in range(row.list.count()) if row.list.item(i).toolTip().startswith("Pebble Song"))
    item = row.list.item(i)
    assert item.toolTip().endswith("\nyou played Granite 3 times")     # the tooltip keeps the full text
    qtbot.wait(50)
    image = row.list.viewport().grab().toImage()
    rect, (left, top, right, bottom) = _reason_line(row, i)
    assert bottom <= rect.bottom() <= row.list.viewport().height()    # the tile holds three lines, all in view
    ground = image.pixelColor(rect.left() + 2, rect.top() + 2)
    assert _ink(image, left, top, right, bottom, ground) > 20        # the reason is drawn on its line
    assert item.data(REASON_ROLE) == "you played Granite 3 times"


def test_a_long_reason_is_cut_short_on_its_tile_at_the_smallest_window(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    window.discover.set_rows({"Rock": [(1, "Stone Road", "Granite", f"Rock: {LONG}"),
                                       (2, "Pebble Song", "Granite", f"Rock: {LONG}")]})
    to_smallest(qtbot, window)
    qtbot.wait(50)
    row = window.discover.rows[0]
    assert row.list.item(0).toolTip().endswith(LONG)
    image = row.list.viewport().grab().toImage()
    first, (left, top, right, bottom) = _reason_line(row, 0)
    second, _ = _reason_line(row, 1)
    assert bottom <= first.bottom() <= row.list.viewport().height()
    ground = image.pixelColor(first.left() + 2, first.top() + 2)
    assert _ink(image, left, top, right, bottom, ground) > 20
    # Elided inside its own tile: nothing drawn in the padding up to the next tile.
    assert _ink(image, right + 1, top, min(second.left(), image.width()), bottom, ground) == 0


def _room_below_tiles(row) -> int:
    """Height of the list's viewport left over under its tiles (each with its spacing above and below)."""
    return row.list.viewport().height() - (row.tile.height() + 2 * row.list.spacing())


def test_discover_rows_are_as_tall_as_their_tiles_when_no_row_needs_a_scroll_bar(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.resize(1280, 780)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    qtbot.wait(50)
    for row in window.discover.rows:          # four tiles at most: they all fit across
        assert not row.list.horizontalScrollBar().isVisible()
        assert _room_below_tiles(row) == 0, row.bucket     # (an empty band of 18 px was kept under them)


def _stacked(panel) -> None:
    """The rows shown lie one under the other, each a layout spacing below the one above."""
    rows = panel.rows
    gap = panel._layout.spacing()
    for above, below in zip(rows, rows[1:]):
        assert below.geometry().top() == above.geometry().bottom() + 1 + gap, (above.bucket, below.bucket)


def test_a_scroll_bar_showing_in_a_discover_row_neither_covers_its_tiles_nor_moves_the_rows(qtbot, scanned,
                                                                                          make_window):
    window = make_window(scanned)
    window.resize(1280, 780)
    panel = window.discover
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: len(panel.rows) == 3, timeout=5000)
    many = [(1, f"Song {i}", "Granite", "why") for i in range(14)]
    panel.set_rows({"Rock": many, "Jazz": many[:1], "Folk": many[:2]})
    qtbot.wait(50)
    rock, jazz, folk = panel.rows
    bar = rock.list.horizontalScrollBar()
    assert bar.isVisible() and _room_below_tiles(rock) >= 0           # the bar under the tiles, not on them
    # Only the row with more tiles than fit has room for its bar: the others are as tall as
    # their tiles (each grew by a bar's height, empty, when one row had a bar).
    assert not jazz.list.horizontalScrollBar().isVisible() and _room_below_tiles(jazz) == 0
    assert not folk.list.horizontalScrollBar().isVisible() and _room_below_tiles(folk) == 0
    assert rock.height() > jazz.height() == folk.height()
    _stacked(panel)
    where = [r.geometry() for r in panel.rows]
    rock.list.horizontalScrollBar().setValue(rock.list.horizontalScrollBar().maximum())
    qtbot.wait(50)
    assert [r.geometry() for r in panel.rows] == where
    # The window made narrower a step at a time: a row starts to need its bar at some width,
    # and at every width its tiles stay whole above the bar.
    panel.set_rows({"Rock": many[:5], "Jazz": many[:1]})
    seen = set()
    for width in range(1300, 880, -20):
        window.resize(width, 780)
        qtbot.waitUntil(lambda: window.width() == width, timeout=2000)
        qtbot.wait(20)
        rock, jazz = panel.rows
        bar = rock.list.horizontalScrollBar().isVisible()
        seen.add(bar)
        assert _room_below_tiles(rock) >= 0, width
        assert _room_below_tiles(jazz) == 0, width            # a row of one tile never needs a bar
        _stacked(panel)
        if not bar:
            assert _room_below_tiles(rock) == 0, width
    assert seen == {True, False}


GENRE = "Progressive Psychedelic Post-Rock and Experimental Ambient Drone"


def _shown(label) -> str:
    """What the label draws (``text()`` of an elided label is its whole text)."""
    from PySide6.QtWidgets import QLabel

    return QLabel.text(label)


def test_a_long_genre_name_is_cut_short_with_an_ellipsis_and_shown_whole_in_its_tooltip(qtbot, scanned,
                                                                                       make_window, qapp):
    from player.ui.theme import apply_theme

    sheet = qapp.styleSheet()
    apply_theme(qapp)                   # the genre in the font it is shown in (larger, bold)
    try:
        window = make_window(scanned)
        panel = window.discover
        window.tabs.setCurrentWidget(panel)
        qtbot.waitUntil(lambda: len(panel.rows) == 3, timeout=5000)
        tracks = [(1, "Stone Road", "Granite", "why"), (2, "Pebble Song", "Granite", "why")]
        panel.set_rows({GENRE: tracks, "Rock": tracks})
        to_smallest(qtbot, window)
        qtbot.wait(50)
        long, short = panel.rows
        title = long.title
        assert title.text() == GENRE and title.toolTip() == GENRE
        shown = _shown(title)
        assert shown.endswith("…") and GENRE.startswith(shown[:-1]), shown       # (it was clipped mid-letter)
        assert title.fontMetrics().horizontalAdvance(shown) <= title.contentsRect().width()
        # The name and its play button both fit in the row, side by side.
        assert title.geometry().right() < long.play_btn.geometry().left()
        assert long.play_btn.geometry().right() < long.width()
        assert long.play_btn.toolTip() == f"Play {GENRE}"
        assert _shown(short.title) == "Rock" and short.title.toolTip() == ""
        window.resize(2400, 780)        # room for all of it: shown whole, no tooltip
        qtbot.waitUntil(lambda: window.width() == 2400, timeout=2000)
        qtbot.wait(50)
        assert _shown(long.title) == GENRE and long.title.toolTip() == ""
    finally:
        qapp.setStyleSheet(sheet)


def test_rows_of_two_heights_are_all_there_in_order_as_the_panel_scrolls(qtbot):
    # Rows with more tiles than fit across are taller (room for their bar) than the others:
    # the panel still has a widget only for the rows in view, each at its place.
    from player.ui.discover_panel import DiscoverPanel
    from tests.player.ui.test_main_window import _scroll_through

    panel = DiscoverPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    genres = [f"tag {i}" for i in range(300)]
    tiles = {g: 14 if i % 3 == 0 else 1 + i % 2 for i, g in enumerate(genres)}
    panel.set_rows({g: [(100 * i + j, f"{g} song {j}", "band", "why") for j in range(tiles[g])]
                    for i, g in enumerate(genres)})

    def laid_out():
        _stacked(panel)
        heights = {len(r.ids) > 2: r.height() for r in panel.rows}
        assert len(set(heights.values())) == len(heights)        # long rows taller than short ones
        assert all(_room_below_tiles(r) == 0 for r in panel.rows if len(r.ids) <= 2)

    for width in (700, 450):
        panel.resize(width, 400)
        qtbot.waitUntil(lambda: panel.width() == width, timeout=5000)
        seen: list[str] = []
        for bucket, ids, _titles, _width in _scroll_through(qtbot, panel):
            assert ids == [100 * genres.index(bucket) + j for j in range(tiles[bucket])]
            # A row widget given to a row of another height lays its list out on the next
            # turns of the event loop (a busy machine may not have had them yet): what is
            # checked is the panel once those are done.
            qtbot.waitUntil(laid_out, timeout=5000)
            if bucket not in seen:
                seen.append(bucket)
        assert seen == genres


def test_a_tiles_reason_leaves_out_its_rows_genre_however_the_heading_writes_it():
    from player.ui.discover_panel import tile_reason

    assert tile_reason("rock", "Rock: not played yet") == "not played yet"
    assert tile_reason("soul & rnb", "Soul & R&B: last played 3 days ago") == "last played 3 days ago"
    assert tile_reason("soul & rnb", "soul & rnb: not played yet") == "not played yet"
    assert tile_reason("jazz", "sounds like Blue in Green") == "sounds like Blue in Green"
    assert tile_reason("", "Rock: x") == "Rock: x"


def test_a_discover_row_says_once_in_its_heading_how_much_of_its_genre_was_played(qtbot, scanned, make_window):
    # Its tiles leave the genre to the row: with nothing else to say they are blank, where each
    # said "jazz, which you played 5 times". The row's heading says it once, and so does a
    # screen reader, without the dot that is there to the eye.
    from PySide6.QtGui import QAccessible

    from player.recommender_service import RecommenderService
    from player.ui.discover_panel import GENRE_CHARS

    jazz = [t["id"] for t in scanned.tracks() if t["genre"] == "Jazz"]
    for i in range(5):      # two of its three songs: the third is the row's
        scanned.end_play(scanned.start_play(jazz[i % 2]), "finished", 3000)
    window = make_window(scanned)
    window.provider = RecommenderService(scanned, priors=None)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: {r.bucket: r.caption.text() for r in window.discover.rows} == {
        "jazz": "· you played it 5 times", "rock": "· new to you", "folk": "· new to you"}, timeout=10000)
    row = next(r for r in window.discover.rows if r.bucket == "jazz")
    assert row.caption.isVisible() and row.caption.y() == row.title.y()    # beside the heading
    # right after "Jazz", not after the room a long genre's name keeps in a narrow window
    assert row.caption.x() < row.title.x() + GENRE_CHARS * row.title.fontMetrics().averageCharWidth()
    assert row.caption.accessibleName() == "you played it 5 times"
    said = QAccessible.queryAccessibleInterface(row.list)
    assert said.text(QAccessible.Name) == "Jazz" and said.text(QAccessible.Description) == "you played it 5 times"


def test_a_library_of_many_tiny_genres_shows_a_few_full_rows_and_one_of_the_small_genres(qtbot, store,
                                                                                          make_window):
    # Tagged by many hands: three genres of six songs and forty of one or two. Forty rows of
    # one or two tiles each were a wall nobody scrolled; the small genres share one row, its
    # tiles named by their genre (the row's heading names none).
    from player.recommender_service import RecommenderService
    from player.ui.two_line import REASON_ROLE
    from recommender.genres import MORE_TO_DISCOVER

    genres = [g for g in ("Rock", "Jazz", "Folk") for _ in range(6)] + [f"Tag {i:02d}" for i in range(40)
                                                                         for _ in range(1 + i % 2)]
    store.upsert_tracks([{"path": f"/music/{i:03d}.flac", "size": 1000, "mtime_ns": 1, "title": f"Song {i}",
                          "artist": f"Band {i}", "album": f"Album {i}", "genre": g, "duration": 200.0}
                         for i, g in enumerate(genres)])
    window = make_window(store, with_player=False)
    window.provider = RecommenderService(store, priors=None)
    window.resize(1280, 800)
    panel = window.discover
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: MORE_TO_DISCOVER in dict(panel.buckets), timeout=10000)
    qtbot.waitUntil(panel.is_filled, timeout=5000)                   # (its row widgets made a turn each)
    assert len(panel.buckets) == 4 and {b for b, _ in panel.buckets[:3]} == {"rock", "jazz", "folk"}
    assert panel.buckets[-1][0] == MORE_TO_DISCOVER
    assert panel.verticalScrollBar().maximum() == 0                 # all of it in view
    row = next(r for r in panel.rows if r.bucket == MORE_TO_DISCOVER)
    assert row.list.count() == 14 and row.caption.text() == "· songs of the genres with no row of their own"
    reasons = [row.list.item(i).data(REASON_ROLE) for i in range(row.list.count())]
    assert all(r.startswith("Tag ") for r in reasons), reasons


def test_a_discover_rows_heading_is_whole_where_it_has_room_after_its_widget_showed_another_row(qtbot):
    # Row widgets are taken for the rows that scroll into view: one that had shown "R3" and
    # then "Flamenco 36" was as wide as the new name rounded to the nearest pixel, and cut it
    # short, "Flamenco …", in a row with room to spare.
    from player.ui.discover_panel import DiscoverPanel

    panel = DiscoverPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    names = [f"R{i}" for i in range(8)] + [f"{w} {i:02d}" for w in ("Flamenco", "Zouk Bass") for i in range(20)]
    panel.set_rows({b: [(100 * i + j, f"s{j}", "a", "why") for j in range(5)] for i, b in enumerate(names)},
                   {b: "new to you" for b in names})
    qtbot.wait(20)
    panel.verticalScrollBar().setValue(panel.verticalScrollBar().maximum())
    qtbot.waitUntil(lambda: panel.rows[-1].bucket == names[-1], timeout=5000)
    qtbot.wait(20)
    assert [r.bucket for r in panel.rows if r.title.is_elided()] == []


def test_discover_rows_are_made_a_turn_at_a_time_and_the_newest_rows_win(qtbot):
    # The rows in view were made all at once when they arrived, seven lists of tiles at the
    # window's usual size, and held the window over a tenth of a second: they are made one a
    # turn of the event loop, and rows that arrive meanwhile take the place of those before.
    from PySide6.QtCore import QTimer

    from player.ui.discover_panel import BucketRow, DiscoverPanel

    panel = DiscoverPanel()
    qtbot.addWidget(panel)
    panel.resize(1280, 700)
    panel.show()
    qtbot.waitExposed(panel)

    def rows(name, first):
        return {f"{name} {i}": [(first + 100 * i + j, f"{name} {i} song {j}", "band", "why") for j in range(14)]
                for i in range(25)}
    seen = []                           # the row widgets there are at each turn of the event loop

    def turn():
        seen.append(len(panel.rows))
        if seen[-1] == 2 and not panel.buckets[0][0].startswith("New"):
            assert not panel.is_filled()
            panel.set_rows(rows("New", 5000))      # arrives while the rows in view are being made
    turns = QTimer(interval=0)
    turns.timeout.connect(turn)
    turns.start()
    panel.set_rows(rows("Old", 0))
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=5000)
    assert seen[0] <= 1, seen           # (all seven at once, before the window could do anything else)
    qtbot.waitUntil(lambda: panel.buckets[0][0] == "New 0" and panel.is_filled(), timeout=5000)
    qtbot.wait(20)
    turns.stop()
    made = len(panel.rows)
    assert made >= 6                    # (as many rows as the panel has in view, and one below)
    assert seen[0] <= 1 and max(b - a for a, b in zip(seen, seen[1:])) == 1 and seen[-1] == made
    # Every row in view, top down, shows the newest rows' genre and tracks, each at its place.
    assert [r.bucket for r in panel.rows] == [f"New {i}" for i in range(made)]
    for i, row in enumerate(panel.rows):
        assert row.ids == [5000 + 100 * i + j for j in range(14)] and row.list.count() == 14
        assert row.list.item(0).text() == f"New {i} song 0" and row.list.accessibleName() == f"New {i}"
    _stacked(panel)
    assert len([r for r in panel.findChildren(BucketRow) if r.isVisible()]) == made
    # Tab visits the rows top down, in the order they are shown, not the one they were made in.
    order, widget = [], panel.refresh_btn
    for _ in range(10 * made):
        widget = widget.nextInFocusChain()
        if isinstance(widget.parentWidget(), BucketRow) and widget is widget.parentWidget().play_btn:
            order.append(widget.parentWidget().bucket)
    assert order[:made] == [r.bucket for r in panel.rows]


def test_a_discover_row_scrolled_into_view_is_there_at_once(qtbot):
    # Row widgets are made a turn each, but a page down from the top brought more rows into
    # view than the page before had (rows of a few tiles are shorter), and one of them was
    # drawn blank until the next turn.
    from PySide6.QtCore import QPoint

    from player.ui.discover_panel import BucketRow, DiscoverPanel

    rows = {f"Genre {i}": [(100 * i + j, f"Song {j}", "band", "why") for j in range(14 if i % 3 else 4)]
            for i in range(40)}
    blank = []
    for height in range(600, 800, 20):
        panel = DiscoverPanel()
        qtbot.addWidget(panel)
        panel.resize(1280, height)
        panel.show()
        qtbot.waitExposed(panel)
        panel.set_rows(rows)
        qtbot.waitUntil(panel.is_filled, timeout=5000)
        bar, view = panel.verticalScrollBar(), panel.viewport()
        while bar.value() < bar.maximum():
            bar.setValue(bar.value() + view.height() - 10)
            # At once, before the event loop takes another turn: each row in view is drawn.
            top, tops, gap = bar.value() - panel._area.y(), panel._tops, panel._layout.spacing()
            due = {panel.buckets[i][0] for i in range(len(panel.buckets))
                   if tops[i] < top + view.height() and tops[i + 1] - gap > top}
            there = {row.bucket for row in panel.findChildren(BucketRow)
                     if row.isVisible() and -row.height() < row.mapTo(view, QPoint(0, 0)).y() < view.height()}
            if due - there:
                blank.append((height, bar.value(), sorted(due - there)))
        panel.close()
    assert blank == []


def test_a_tiles_menu_plays_the_tracks_it_was_opened_on_after_other_rows_arrive(qtbot):
    # Rows arriving fill the row widgets shown anew in place; a tile's menu left open across
    # that played, and started a radio from, the new rows' tracks at the same place.
    from player.ui.discover_panel import BucketRow

    row = BucketRow("rock", [(10 + i, f"Old {i}", "band", "") for i in range(4)])
    qtbot.addWidget(row)
    row.resize(900, 200)
    row.show()
    qtbot.waitExposed(row)
    row._menu(row.list.visualItemRect(row.list.item(2)).center())
    actions = {a.text(): a for a in row.last_menu.actions()}
    row.set_bucket("jazz")
    row.set_entries([(90 + i, f"New {i}", "band", "") for i in range(4)])
    with qtbot.waitSignal(row.play) as played:
        actions["Play from here"].trigger()
    assert played.args == ["rock", [10, 11, 12, 13], 2]
    with qtbot.waitSignal(row.radio_requested) as radio:
        actions["Start radio from this song"].trigger()
    assert radio.args == [12]
    row.last_menu.close()
