"""How the window reads on other palettes, screens, fonts and writing directions."""

from __future__ import annotations

import unicodedata
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QImage, QPalette


def _lightest(widget) -> int:
    """The lightness (0-255) of the lightest pixel of ``widget`` as drawn."""
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    return max(image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height()))


def _darkest(widget) -> int:
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    return min(image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height()))


@contextmanager
def _dark(qapp):
    """Segue's theme, switched to dark as the desktop says it; light again afterwards."""
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    try:
        yield
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)


def test_transport_and_discover_icons_follow_a_dark_palette(qapp, qtbot):
    from player.ui.discover_panel import BucketRow
    from player.ui.transport import TransportBar

    with _dark(qapp):
        bar = TransportBar()
        qtbot.addWidget(bar)
        bar.set_ready(True)
        bar.set_track("Song", "Artist")
        row = BucketRow("rock", [(1, "Song", "Artist", "")])
        qtbot.addWidget(row)
        for widget in (bar.prev_btn, bar.play_btn, bar.next_btn, bar.radio_btn, bar.volume_icon, row.play_btn):
            # The icon (and Radio's text) is drawn light on the dark window, not near-black.
            assert _lightest(widget) > 150, widget
        bar.set_playing(True)
        assert _lightest(bar.play_btn) > 150
        # Back to light: the icons are drawn again, dark on the light window.
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert _darkest(bar.play_btn) < 80 and _lightest(bar.play_btn) > 200
        assert _darkest(row.play_btn) < 80


def test_a_disabled_transport_icon_is_greyed(qapp, qtbot):
    from player.ui.transport import TransportBar

    with _dark(qapp):
        bar = TransportBar()
        qtbot.addWidget(bar)
        disabled = _lightest(bar.next_btn)
        bar.set_ready(True)
        enabled = _lightest(bar.next_btn)
        window = qapp.palette().color(QPalette.Window).lightness()
        assert window < disabled < enabled


def _high_contrast_palette() -> QPalette:
    from PySide6.QtGui import QColor

    p = QPalette()
    for role, colour in [(QPalette.Window, "#000000"), (QPalette.WindowText, "#ffffff"),
                         (QPalette.Base, "#000000"), (QPalette.Text, "#ffffff"), (QPalette.Button, "#000000"),
                         (QPalette.ButtonText, "#ffffff"), (QPalette.Highlight, "#1aebff"),
                         (QPalette.HighlightedText, "#000000"), (QPalette.Mid, "#ffffff"),
                         (QPalette.Midlight, "#000000")]:
        p.setColor(role, QColor(colour))
    return p


def test_a_high_contrast_system_palette_is_kept(qapp, qtbot):
    from PySide6.QtWidgets import QToolButton

    from player.ui.theme import apply_theme

    qapp.setPalette(_high_contrast_palette())          # what a high-contrast desktop gives the app
    try:
        apply_theme(qapp)
        assert qapp.palette().color(QPalette.Window).name() == "#000000"
        assert qapp.palette().color(QPalette.Highlight).name() == "#1aebff"
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert qapp.palette().color(QPalette.Highlight).name() == "#1aebff"
        # No colour of Segue's own in the style sheet there: a checked Shuffle is drawn in the
        # palette's highlight colours, not teal on black.
        assert "#0e8f86" not in qapp.styleSheet().lower() and "#ffc857" not in qapp.styleSheet().lower()
        button = QToolButton()
        button.setText("Shuffle")
        button.setProperty("role", "button")
        button.setCheckable(True)
        button.setChecked(True)
        qtbot.addWidget(button)
        button.resize(100, 30)
        image = button.grab().toImage()
        centre = image.pixelColor(4, image.height() // 2)
        assert centre.name() == "#1aebff"
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)


def test_segues_own_palettes_still_apply_on_an_ordinary_system(qapp):
    from player.ui.theme import apply_theme, is_high_contrast

    assert not is_high_contrast(qapp.palette())
    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    try:
        assert qapp.palette().color(QPalette.Window).name() == "#1c1d22"
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)


def test_the_cover_is_sharp_on_a_hidpi_screen(qapp, qtbot, monkeypatch):
    from PySide6.QtGui import QColor

    from player.ui.transport import COVER_PX, TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    monkeypatch.setattr(bar, "ratio", lambda: 2.0)           # a screen at 200 %
    image = QImage(300, 300, QImage.Format_RGB32)
    image.fill(QColor("#2040d0"))
    bar.set_cover(image)
    pix = bar.cover_pixmap
    assert pix.devicePixelRatio() == 2.0
    assert pix.width() == 2 * COVER_PX                          # one image pixel to each screen pixel
    assert pix.deviceIndependentSize().width() == COVER_PX      # in the same box
    assert bar.cover_pixels() == 2 * COVER_PX
    bar.set_cover(None)
    assert bar.cover_pixmap.devicePixelRatio() == 2.0


def test_titles_headers_and_tiles_grow_with_a_large_font(qapp, qtbot):
    from PySide6.QtGui import QFontInfo

    from player.ui.discover_panel import TILE_WIDTH, BucketRow
    from player.ui.library_model import COLUMNS, LibraryModel
    from player.ui.library_view import LibraryView
    from player.ui.theme import apply_theme
    from player.ui.transport import TransportBar

    font = qapp.font()
    try:
        apply_theme(qapp)
        large = qapp.font()
        large.setPointSize(18)
        qapp.setFont(large)                 # after the theme, as a desktop's setting may come
        bar = TransportBar()
        qtbot.addWidget(bar)
        bar.title.ensurePolished()
        # The song's title is larger than the text around it, not the smallest in the window.
        assert QFontInfo(bar.title.font()).pointSizeF() > 18
        view = LibraryView(LibraryModel())
        qtbot.addWidget(view)
        hh = view.table.horizontalHeader()
        for key in ("year", "duration"):
            i = [k for k, _ in COLUMNS].index(key)
            # The header's word fits whole ("Year", "Time" were cut off at 52 and 60 px).
            assert hh.sectionSize(i) >= hh.sectionSizeFromContents(i).width(), key
        row = BucketRow("rock", [(1, "Song", "Artist", "")])
        qtbot.addWidget(row)
        assert row.tile.width() > 1.5 * TILE_WIDTH
    finally:
        qapp.setFont(font)


def test_the_library_rows_grow_when_the_desktops_font_grows_while_open(qapp, qtbot):
    from player.ui.library_model import LibraryModel
    from player.ui.library_view import LibraryView

    font = qapp.font()
    try:
        view = LibraryView(LibraryModel())
        qtbot.addWidget(view)
        view.show()
        rows = view.table.verticalHeader()
        assert rows.defaultSectionSize() >= view.table.fontMetrics().height()
        large = qapp.font()
        large.setPointSizeF(large.pointSizeF() * 2)
        qapp.setFont(large)                 # the desktop's text made larger while Segue is open
        qtbot.waitUntil(lambda: view.table.fontMetrics().height() >= 2 * QFontMetrics(font).height() - 2)
        # A row holds a line of the new font whole (it stayed sized for the old one, the names'
        # lower half cut off).
        assert rows.defaultSectionSize() >= view.table.fontMetrics().height() + 4
    finally:
        qapp.setFont(font)


def _ink_columns(image, top: int, bottom: int) -> list[int]:
    """The x of every column with dark pixels (text) between rows ``top`` and ``bottom``."""
    return [x for x in range(image.width())
            if any(image.pixelColor(x, y).lightness() < 128 for y in range(top, bottom))]


def test_right_to_left_names_are_drawn_from_the_right(qapp, qtbot):
    from PySide6.QtWidgets import QListWidget, QListWidgetItem

    from player.ui.two_line import SUBTITLE_ROLE, TwoLineDelegate

    listing = QListWidget()
    qtbot.addWidget(listing)
    listing.setItemDelegate(TwoLineDelegate(listing))
    listing.resize(400, 120)
    item = QListWidgetItem("שלום")                           # a Hebrew title, short
    item.setData(SUBTITLE_ROLE, "An artist")                 # an English artist
    listing.addItem(QListWidgetItem(item))
    long_title = "أغنية الحب الطويلة جدا في الليل " * 4       # an Arabic title that has to be cut short
    other = QListWidgetItem(long_title)
    other.setData(SUBTITLE_ROLE, "فيروز")
    listing.addItem(other)
    listing.show()
    qtbot.waitExposed(listing)
    image = listing.viewport().grab().toImage()
    h = listing.fontMetrics().height()
    first = listing.visualItemRect(listing.item(0))
    title = _ink_columns(image, first.top() + 5, first.top() + 5 + h)
    artist = _ink_columns(image, first.top() + 7 + h, first.top() + 7 + 2 * h)
    assert title and min(title) > image.width() // 2          # the Hebrew title from the right edge
    assert artist and max(artist) < image.width() // 2        # the English artist from the left
    second = listing.visualItemRect(listing.item(1))
    cut = _ink_columns(image, second.top() + 5, second.top() + 5 + h)
    # The long title starts at the right edge; its "…" is at its left end, where it is cut.
    assert max(cut) > image.width() - 20


def test_a_row_without_an_artist_has_no_empty_line_before_its_reason(qapp, qtbot):
    from PySide6.QtWidgets import QListWidget, QListWidgetItem

    from player.ui.two_line import REASON_ROLE, SUBTITLE_ROLE, TwoLineDelegate

    listing = QListWidget()
    qtbot.addWidget(listing)
    listing.setItemDelegate(TwoLineDelegate(listing, reasons=True))      # as Up next's rows
    listing.resize(400, 200)
    for artist in ("Trio Azul", ""):                      # an untagged file has no artist
        item = QListWidgetItem("untagged track")
        item.setData(SUBTITLE_ROLE, artist)
        item.setData(REASON_ROLE, "On the radio station")
        listing.addItem(item)
    listing.show()
    qtbot.waitExposed(listing)
    image = listing.viewport().grab().toImage()
    h = listing.fontMetrics().height()

    def lines(row: int) -> list[bool]:
        top = listing.visualItemRect(listing.item(row)).top() + 5
        return [any(image.pixelColor(x, y).lightness() < 200 for x in range(image.width())
                    for y in range(top + i * (h + 2) + 2, top + i * (h + 2) + h - 2)) for i in range(3)]

    assert lines(0) == [True, True, True]                 # title, artist, reason
    # Title, then the reason under it: an empty line between them read as a name gone missing.
    assert lines(1) == [True, True, False]


def test_right_to_left_sliders_fill_from_the_right_and_the_transport_stays_left_to_right(qapp, qtbot):
    from player.ui.theme import apply_theme
    from player.ui.transport import TransportBar

    apply_theme(qapp)
    highlight = qapp.palette().color(QPalette.Highlight)
    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.setLayoutDirection(Qt.RightToLeft)
    bar.resize(1000, 90)
    bar.set_ready(True)
    bar.set_track("Song", "Artist")
    bar.set_position(30, 100)
    bar.volume.setValue(30)
    bar.show()
    qtbot.waitExposed(bar)

    def teal(widget, fraction):
        image = widget.grab().toImage()
        colour = image.pixelColor(int(image.width() * fraction), image.height() // 2)
        return abs(colour.hue() - highlight.hue()) < 12 and colour.saturation() > 100

    # Volume at 30 %, right to left: filled from the right end to the handle, empty on the left.
    assert teal(bar.volume, 0.9) and not teal(bar.volume, 0.2)
    # Previous left of Play left of Next, and time going rightwards, as in a left-to-right window.
    assert bar.prev_btn.mapTo(bar, bar.prev_btn.rect().center()).x() \
        < bar.play_btn.mapTo(bar, bar.play_btn.rect().center()).x() \
        < bar.next_btn.mapTo(bar, bar.next_btn.rect().center()).x()
    assert teal(bar.slider, 0.1) and not teal(bar.slider, 0.8)


def test_a_switch_to_dark_while_open_recolours_what_the_style_sheet_draws(qapp, qtbot):
    # The sheet's palette(...) colours are taken when a widget is styled: after a switch while
    # the window was open, a Shuffle-like button kept its light background on the dark window.
    from PySide6.QtWidgets import QToolButton

    from player.ui.theme import apply_theme

    apply_theme(qapp)
    button = QToolButton()
    button.setText("Shuffle")
    button.setProperty("role", "button")
    qtbot.addWidget(button)
    button.show()

    def ground():
        image = button.grab().toImage()
        return image.pixelColor(image.width() // 2, 3).name()

    light = ground()
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    try:
        assert ground() == qapp.palette().color(QPalette.Button).name() != light
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert ground() == light


def test_windows_ordinary_themes_are_not_taken_for_high_contrast(qapp, monkeypatch):
    # Qt's palettes of Windows's ordinary themes (a #f0f0f0 window with black text; the dark
    # one black with white text) look like high contrast; there only the system's word counts.
    from PySide6.QtGui import QColor

    from player.ui import theme

    for window, text in (("#f0f0f0", "#000000"), ("#000000", "#ffffff")):
        pal = QPalette()
        for role, colour in ((QPalette.Window, window), (QPalette.Base, window if window == "#000000" else "#ffffff"),
                             (QPalette.WindowText, text), (QPalette.Text, text)):
            pal.setColor(role, QColor(colour))
        monkeypatch.setitem(theme._state, "system", pal)
        monkeypatch.setattr(theme, "_system_asks_high_contrast", lambda app: False)
        monkeypatch.setattr(theme.sys, "platform", "win32")
        assert not theme.high_contrast(qapp)
        monkeypatch.setattr(theme.sys, "platform", "linux")
        assert theme.high_contrast(qapp)


def test_a_reason_beginning_with_an_isolated_right_to_left_name_reads_left_to_right():
    # Unicode's paragraph rule passes over isolates: "<Arabic genre>, from your library" is an
    # English sentence, drawn from the left; taken for Arabic it read "library your from ,<...>".
    from player.ui.two_line import is_right_to_left

    assert not is_right_to_left("\u2068طرب\u2069, which you played 12 times")
    assert is_right_to_left("طرب, which you played 12 times")
    assert is_right_to_left("\u2068Rock\u2069 فيروز")
    assert not is_right_to_left("\u2068\u2068طرب\u2069 x\u2069 songs")


def test_the_window_title_of_an_arabic_song_reads_as_an_english_line(qtbot, store, tmp_path, make_window):
    from player.library.scanner import Scanner
    from player.ui.two_line import is_right_to_left
    from tests.audiogen import write_track

    write_track(tmp_path / "music", "arabic", seconds=3.0, tags={"title": "أغنية الليل", "artist": "Fairuz"})
    Scanner(store).scan([str(tmp_path / "music")])
    window = make_window(store)
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: "أغنية الليل" in window.windowTitle(), timeout=10000)
    # The title bar and the taskbar take the line's direction from its first letter: the
    # song's name set apart, it is the song, then its artist, then "Segue", from the left.
    title = window.windowTitle()
    assert not is_right_to_left(title), ascii(title)
    assert title.index("أغنية") < title.index("Fairuz") < title.index("Segue")
    # A bad tag's right-to-left override turns its name only, not the rest of the line.
    write_track(tmp_path / "music", "override", seconds=3.0, tags={"title": "Mirror", "artist": "\u202eevil"})
    Scanner(store).scan([str(tmp_path / "music")])
    window.reload_library()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10000)
    row = next(r for r in range(2) if window.model.index(r, 1).data() == "Mirror")
    window.play_ids([window.model.track_id(row)], 0, "library")
    qtbot.waitUntil(lambda: window.windowTitle().startswith("Mirror"), timeout=10000)
    assert window.windowTitle() == "Mirror — \u2068\u202eevil\u2069 · Segue"


def _open_at(text: str, end: int) -> list[str]:
    """The direction marks still in force at ``end`` of ``text``, as the bidirectional algorithm
    pairs them: an isolate's closing mark ends it and all opened inside it, one with no isolate
    open does nothing; the closing mark of an embedding or override does nothing across an
    isolate."""
    stack = []
    for ch in text[:end]:
        kind = unicodedata.bidirectional(ch)
        if kind in ("LRE", "RLE", "LRO", "RLO", "LRI", "RLI", "FSI"):
            stack.append(kind)
        elif kind == "PDF" and stack and stack[-1] not in ("LRI", "RLI", "FSI"):
            stack.pop()
        elif kind == "PDI" and any(k in ("LRI", "RLI", "FSI") for k in stack):
            while stack.pop() not in ("LRI", "RLI", "FSI"):
                pass
    return stack


@pytest.mark.parametrize("artist", [
    "\u2069\u202eevil",             # a closing mark with nothing open, then an override
    "\u2067evil",                   # an isolate left open
    "\u2069\u2069\u202bعربي\u2067evil",
])
def test_a_tags_unpaired_direction_marks_reach_no_further_than_its_name(qtbot, store, tmp_path, make_window,
                                                                         artist):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    write_track(tmp_path / "music", "odd", seconds=3.0, tags={"title": "Mirror", "artist": artist})
    Scanner(store).scan([str(tmp_path / "music")])
    window = make_window(store)
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: window.windowTitle().startswith("Mirror"), timeout=10000)
    title = window.windowTitle()
    assert title.endswith(" · Segue") and "evil" in title, ascii(title)
    assert _open_at(title, len(title) - len(" · Segue")) == [], ascii(title)
