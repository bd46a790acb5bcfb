"""A Discover tile says why it is there on the tile itself, not only in a tooltip that a
touchpad or a keyboard never opens."""

from __future__ import annotations

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
    from player.ui.two_line import REASON_ROLE

    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    row = window.discover.rows[0]
    assert row.bucket == "Rock"
    item = row.list.item(0)
    assert item.toolTip().endswith("\nRock: not played yet")          # the tooltip keeps the full text
    qtbot.wait(50)
    image = row.list.viewport().grab().toImage()
    rect, (left, top, right, bottom) = _reason_line(row, 0)
    assert bottom <= rect.bottom() <= row.list.viewport().height()    # the tile holds three lines, all in view
    ground = image.pixelColor(rect.left() + 2, rect.top() + 2)
    assert _ink(image, left, top, right, bottom, ground) > 20        # the reason is drawn on its line
    assert item.data(REASON_ROLE) == "not played yet"      # without the row's own genre in front


def test_a_long_reason_is_cut_short_on_its_tile_at_the_smallest_window(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    window.discover.set_rows({"Rock": [(1, "Stone Road", "Granite", f"Rock: {LONG}"),
                                       (2, "Pebble Song", "Granite", f"Rock: {LONG}")]})
    window.resize(window.minimumSizeHint())
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint(), timeout=2000)
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
