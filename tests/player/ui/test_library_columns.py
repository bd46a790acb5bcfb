"""The library's columns fill its table: title, artist and album share the width the others
leave, in the proportions the user gave them (empty space was left at the right of a wide
window, and the columns ran off a narrow one)."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from tests.player.ui.conftest import to_smallest

TITLE, ARTIST, ALBUM = 1, 2, 3
SHARING = (TITLE, ARTIST, ALBUM)


def _sizes(window) -> list[int]:
    header = window.library.table.horizontalHeader()
    return [header.sectionSize(c) for c in range(header.count())]


def _resize(qtbot, window, width: int, height: int) -> int:
    """Resize the window and wait for the table to follow; the table's width."""
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width, timeout=2000)
    qtbot.wait(50)
    return window.library.table.viewport().width()


def test_the_columns_fill_the_table_at_any_width_and_only_the_names_stretch(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    fitted = []
    for width, height in ((1280, 780), (1500, 800), (900, 600)):
        room = _resize(qtbot, window, width, height)
        sizes = _sizes(window)
        assert sum(sizes) == room, (width, sizes, room)           # no gap at the right, nothing cut off
        fitted.append(sizes)
    for column in (0, 4, 5, 6):                                     # #, genre, year, time keep their width
        assert len({sizes[column] for sizes in fitted}) == 1
    wide, wider, narrow = fitted
    for column in SHARING:
        assert narrow[column] < wide[column] < wider[column]
    # The smallest window: the names keep a readable width, year and genre make room for them
    # (see the test below), and nothing is left to scroll sideways to.
    to_smallest(qtbot, window)
    qtbot.wait(50)
    table = window.library.table
    sizes = _sizes(window)
    assert min(sizes[c] for c in SHARING) >= 80
    assert sum(sizes) == table.viewport().width() and table.horizontalScrollBar().maximum() == 0


GENRE, YEAR, TIME = 4, 5, 6
COMPOSER = 7        # (hidden until chosen from the header's menu: the columns up to it are the table's own)


def test_the_songs_length_stays_in_sight_in_a_small_window_with_up_next_shown(qtbot, scanned, music, make_window):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    # Enough songs for the table to scroll down: its scroll bar takes a little of its width.
    for i in range(30):
        write_track(music / "More", f"m{i}", fmt="wav", seconds=0.2,
                    tags={"title": f"Album 3 song {i}", "artist": "Granite", "album": "Quarry", "genre": "Rock",
                          "date": "1999", "tracknumber": str(i + 1)})
    Scanner(scanned).scan([str(music)])
    window = make_window(scanned, with_player=False)
    assert window.up_next.isVisible()
    table, header = window.library.table, window.library.table.horizontalHeader()

    def time_in_sight() -> bool:
        right = header.sectionViewportPosition(TIME) + header.sectionSize(TIME)
        return (not header.isSectionHidden(TIME) and header.sectionViewportPosition(TIME) >= 0
                and right <= table.viewport().width() and not table.horizontalScrollBar().isVisible())

    for width, height in ((800, 600), (window.minimumSizeHint().width(), 600)):
        _resize(qtbot, window, width, height)
        qtbot.waitUntil(lambda: table.verticalScrollBar().isVisible(), timeout=2000)
        # (the table scrolled sideways, the song's length past its right edge, the titles at 80 px)
        qtbot.waitUntil(time_in_sight, timeout=2000)
        sizes = _sizes(window)
        assert sizes[TITLE] > 80 and min(sizes[c] for c in SHARING) >= 80, (width, sizes)
        assert sum(sizes) == table.viewport().width(), (width, sizes)
    assert header.isSectionHidden(YEAR)               # (the first to make room)
    # Wide again: every column is back, at the width it had.
    _resize(qtbot, window, 1920, 1000)
    qtbot.waitUntil(lambda: not any(header.isSectionHidden(c) for c in range(COMPOSER)), timeout=2000)
    sizes = _sizes(window)
    assert sizes[GENRE] == 100 and sizes[YEAR] >= 52 and sum(sizes) == table.viewport().width()
    assert time_in_sight()


def test_a_column_the_user_widens_keeps_its_width_and_its_share_when_the_window_changes(
        qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    room = _resize(qtbot, window, 1280, 780)
    before = _sizes(window)
    header = window.library.table.horizontalHeader()
    header.resizeSection(TITLE, before[TITLE] + 120)                # as a drag of its right edge
    after = _sizes(window)
    assert after[TITLE] == before[TITLE] + 120
    assert sum(after) == room                                       # artist and album made room
    assert after[ARTIST] < before[ARTIST] and after[ALBUM] < before[ALBUM]
    share = after[TITLE] / sum(after[c] for c in SHARING)
    room = _resize(qtbot, window, 1000, 700)
    smaller = _sizes(window)
    assert sum(smaller) == room
    assert abs(smaller[TITLE] / sum(smaller[c] for c in SHARING) - share) < 0.01
    _resize(qtbot, window, 790, 590)               # (within the offscreen screen, where geometry is restored)
    smaller = _sizes(window)
    window.close()
    again = make_window(scanned, with_player=False)                 # the same size: the same widths
    qtbot.wait(100)
    assert _sizes(again) == smaller


def test_selecting_every_track_does_not_ask_the_model_about_every_row(qtbot):
    # The column headers drawn asked whether their whole column was selected, walking every
    # row (half a second for 40,000 tracks): they keep a selection of their own, always empty.
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

    from player.ui.library_view import LibraryTable

    asked = []

    class Rows(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: N802
            asked.append(1)
            return 0 if parent.isValid() else 20000

        def columnCount(self, parent=QModelIndex()):  # noqa: N802
            return 0 if parent.isValid() else 5

        def data(self, index, role=Qt.DisplayRole):
            return str(index.row()) if role == Qt.DisplayRole else None

    table = LibraryTable()
    qtbot.addWidget(table)
    model = Rows()
    table.setModel(model)
    table.setSelectionBehavior(LibraryTable.SelectRows)
    table.resize(600, 400)
    table.show()
    qtbot.waitExposed(table)
    asked.clear()
    table.selectAll()
    table.repaint()
    table.horizontalHeader().repaint()
    assert len(asked) < 2000
    assert table.selectionModel().isRowSelected(19999) and len(table.selectionModel().selection()) == 1
    assert table.horizontalHeader().selectionModel() is not table.selectionModel()
    table.setModel(Rows())                     # a new selection model: the headers' own again
    assert table.horizontalHeader().selectionModel() is not table.selectionModel()


def test_the_narrow_columns_widen_for_a_larger_desktop_font_now_and_at_the_next_start(qtbot, scanned, make_window,
                                                                                    qapp):
    from player.ui.library_model import COLUMNS

    keys = [key for key, _ in COLUMNS]

    def cut_off(window) -> list[str]:
        """The narrow columns whose header word or longest song length does not fit (at the
        width a column hidden for want of room comes back at)."""
        table, width = window.library.table, window.library.columns.width_of
        header, metrics = table.horizontalHeader(), table.fontMetrics()
        return [key for key in ("year", "duration") if width(keys.index(key)) < max(
            header.sectionSizeFromContents(keys.index(key)).width(), metrics.horizontalAdvance("8:88:88"))]

    window = make_window(scanned, with_player=False)
    assert cut_off(window) == []
    window.close()                      # the widths saved at the usual font
    font = qapp.font()
    try:
        large = qapp.font()
        large.setPointSizeF(font.pointSizeF() * 2)
        qapp.setFont(large)             # the desktop's text made larger
        again = make_window(scanned, with_player=False)
        assert cut_off(again) == []     # (the saved widths came back, "Year" and "Time" cut off)
        larger = qapp.font()
        larger.setPointSizeF(font.pointSizeF() * 3)
        qapp.setFont(larger)            # and again, while Segue is open
        table = again.library.table
        qtbot.waitUntil(lambda: table.fontMetrics().height() > QFontMetrics(large).height(), timeout=2000)
        qtbot.waitUntil(lambda: cut_off(again) == [], timeout=2000)
    finally:
        qapp.setFont(font)


def test_a_narrow_column_made_narrower_on_purpose_stays_so_while_the_font_is_the_same(qtbot, scanned, make_window,
                                                                                       qapp):
    from player.ui.library_model import COLUMNS

    year = [key for key, _ in COLUMNS].index("year")
    window = make_window(scanned, with_player=False)
    header = window.library.table.horizontalHeader()
    wide = header.sectionSize(year)
    header.resizeSection(year, 20)      # dragged out of the way: there is no hiding a column
    narrow = header.sectionSize(year)   # (as narrow as the header lets it)
    assert narrow < wide
    window.close()
    again = make_window(scanned, with_player=False)
    assert again.library.table.horizontalHeader().sectionSize(year) == narrow
    again.close()
    font = qapp.font()
    try:
        large = qapp.font()
        large.setPointSizeF(font.pointSizeF() * 2)
        qapp.setFont(large)             # the desktop's text made larger: whole in the new font
        third = make_window(scanned, with_player=False)
        assert third.library.columns.width_of(year) > wide     # (where hidden, the width it comes back at)
    finally:
        qapp.setFont(font)


def test_year_gives_way_before_genre_and_a_wider_table_never_hides_more(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    header = window.library.table.horizontalHeader()
    seen = []
    for width in range(window.minimumSizeHint().width(), 1000, 10):
        room = _resize(qtbot, window, width, 600)
        hidden = {c for c in range(COMPOSER) if header.isSectionHidden(c)}
        assert hidden in ({YEAR, GENRE}, {YEAR}, set()), (width, hidden)
        assert sum(_sizes(window)) == room, (width, _sizes(window), room)
        if not seen or seen[-1] != hidden:
            seen.append(hidden)
    # Narrowest first: each step wider shows one more, year last; none comes and goes again.
    assert seen[-1] == set() and {YEAR} in seen and len(seen) == len({frozenset(s) for s in seen}), seen


def test_asking_a_hidden_columns_width_leaves_the_names_as_they_were(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    header, columns = window.library.table.horizontalHeader(), window.library.columns
    header.resizeSection(TITLE, header.sectionSize(TITLE) + 60)     # the user's own proportions
    for width in range(window.minimumSizeHint().width(), 1000, 10):
        _resize(qtbot, window, width, 600)
        if header.isSectionHidden(YEAR):
            break
    assert header.isSectionHidden(YEAR)
    before = (_sizes(window), dict(columns.widths), columns.room, columns.share())
    assert columns.width_of(YEAR) >= 52
    # (showing it for a moment counted as the user resizing it: the names were fitted around
    # it and their proportions, saved at exit, became those of the narrow window)
    assert (_sizes(window), dict(columns.widths), columns.room, columns.share()) == before
    assert header.isSectionHidden(YEAR)



def test_the_column_the_library_is_sorted_by_is_never_hidden_for_want_of_room(qtbot, scanned, make_window):
    from PySide6.QtCore import Qt

    window = make_window(scanned, with_player=False)
    table, header = window.library.table, window.library.table.horizontalHeader()
    _resize(qtbot, window, 1280, 780)
    table.sortByColumn(YEAR, Qt.DescendingOrder)
    # The smallest window, where year is the first to go: sorted by it, it stays, with its mark.
    to_smallest(qtbot, window)
    qtbot.waitUntil(lambda: header.isSectionHidden(GENRE), timeout=2000)
    assert not header.isSectionHidden(YEAR) and header.sortIndicatorSection() == YEAR
    assert header.isSortIndicatorShown() and header.sectionSize(YEAR) >= 52
    sizes = _sizes(window)                           # (the names make its room: nothing runs off the right)
    assert sum(sizes) == table.viewport().width() and table.horizontalScrollBar().maximum() == 0, sizes
    assert min(sizes[c] for c in SHARING) >= 48, sizes
    # Sorted by another column, it makes room again at once; sorted by genre, genre shows.
    table.sortByColumn(TITLE, Qt.AscendingOrder)
    qtbot.waitUntil(lambda: header.isSectionHidden(YEAR), timeout=2000)
    table.sortByColumn(GENRE, Qt.AscendingOrder)
    qtbot.waitUntil(lambda: not header.isSectionHidden(GENRE), timeout=2000)
    assert header.isSectionHidden(YEAR)


def test_the_composer_column_is_hidden_until_chosen_from_the_headers_menu_and_kept(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    table, header = window.library.table, window.library.table.horizontalHeader()
    _resize(qtbot, window, 1280, 780)                   # (room for it: see the test below)
    assert header.isSectionHidden(COMPOSER)
    menu = window.library.column_menu()
    (choice,) = [a for a in menu.actions() if a.text() == "Composer"]
    assert choice.isCheckable() and not choice.isChecked()
    choice.trigger()
    assert not header.isSectionHidden(COMPOSER)
    assert header.visualIndex(COMPOSER) == header.visualIndex(ARTIST) + 1      # after the artist
    qtbot.waitUntil(lambda: sum(_sizes(window)) == table.viewport().width(), timeout=2000)   # the names made room
    window.close()
    again = make_window(scanned, with_player=False)
    assert not again.library.table.horizontalHeader().isSectionHidden(COMPOSER)
    menu = again.library.column_menu()
    (choice,) = [a for a in menu.actions() if a.text() == "Composer"]
    assert choice.isChecked()


def test_a_layout_saved_before_the_composer_column_comes_back_with_it_hidden(qtbot, scanned, make_window, tmp_path):
    # Qt restores a header saved with seven columns into eight by showing the new one at the
    # end: a person's layout from before came back with an empty Composer column on its right.
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView

    old = QTableView()
    old.setModel(QStandardItemModel(3, 7))          # the seven columns of the version before
    header = old.horizontalHeader()
    header.setSectionsMovable(True)
    header.moveSection(header.visualIndex(ARTIST), 0)
    header.resizeSection(GENRE, 150)
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.IniFormat)
    settings.setValue("columns", header.saveState())
    settings.sync()
    window = make_window(scanned, with_player=False)
    restored = window.library.table.horizontalHeader()
    # (the layout kept; genre maybe hidden for want of room, at its width)
    assert restored.logicalIndex(0) == ARTIST and window.library.columns.width_of(GENRE) == 150
    assert restored.isSectionHidden(COMPOSER)
    assert not any(restored.isSectionHidden(c) for c in (TITLE, ARTIST, ALBUM, TIME))
    choice = [a for a in window.library.column_menu().actions() if a.text() == "Composer"][0]
    _resize(qtbot, window, 1280, 780)                   # (room for it: see the test below)
    choice.trigger()
    assert restored.visualIndex(COMPOSER) == restored.visualIndex(ARTIST) + 1
    assert restored.sectionSize(COMPOSER) >= 100


def test_the_now_playing_title_names_a_tracks_composer_in_its_tooltip(qtbot, store, tmp_path, make_window):
    # On a classical album the artist is the one playing: who wrote the music was nowhere on
    # the now-playing bar. A composer who is the artist (a songwriter's own song) is not said twice.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for n, (title, artist, composer) in enumerate((("Prelude", "Yo-Yo Ma", "Johann Sebastian Bach"),
                                                   ("Own Song", "Writer", "Writer"), ("Plain", "Band", None)), 1):
        tags = {"title": title, "artist": artist, "album": "Mixed", "tracknumber": str(n)}
        if composer:
            tags["composer"] = composer
        write_track(music, f"{n:02d}", fmt="flac", seconds=2.0, tags=tags)
    Scanner(store).scan([str(music)])
    window = make_window(store)
    ids = {r["title"]: r["id"] for r in store.tracks()}
    label = window.transport.title
    for title, tip in (("Prelude", "Composer: Johann Sebastian Bach"), ("Own Song", ""), ("Plain", "")):
        window.play_ids([ids[title]], 0, "library")
        qtbot.waitUntil(lambda t=title: label.text() == t, timeout=10000)
        assert label.text() == title and label.toolTip() == tip, title


def test_a_movement_titled_by_its_tempo_alone_plays_named_after_its_work(qtbot, store, tmp_path, make_window):
    # A symphony tagged with WORK and movement titles (as Picard and foobar2000 tag it) showed
    # "Allegro con brio" on the now-playing bar and in the window's title (and the desktop's
    # media control): an Allegro of which work? A title that names its work already, and a
    # song, stay as tagged; the library's own Title column stays the tag.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    work = "Symphony No. 3 in E-flat major, Op. 55"
    for n, (title, more) in enumerate((("Allegro con brio", {"work": work, "movement": "1"}),
                                       (f"{work}: II. Marcia funebre", {}), ("Plain", {})), 1):
        write_track(music, f"{n:02d}", fmt="flac", seconds=2.0, tags={
            "title": title, "artist": "Berliner Philharmoniker", "album": "Eroica", "tracknumber": str(n),
            "composer": "Ludwig van Beethoven", **more})
    Scanner(store).scan([str(music)])
    window = make_window(store)
    ids = {r["title"]: r["id"] for r in store.tracks()}
    label = window.transport.title
    for title, shown in (("Allegro con brio", f"{work}: Allegro con brio"),
                         (f"{work}: II. Marcia funebre", f"{work}: II. Marcia funebre"), ("Plain", "Plain")):
        window.play_ids([ids[title]], 0, "library")
        qtbot.waitUntil(lambda t=shown: label.text() == t, timeout=10000)
        assert window.windowTitle() == f"{shown} — Berliner Philharmoniker · Segue"
    row = list(window.model.data_.ids).index(ids["Allegro con brio"])
    assert window.model.data_.text["title"][row] == "Allegro con brio"
    # Up next names its rows so too, and typing in it finds them by what they show: "sym"
    # found none of them, and "all" went to a row that reads "Symphony ...".
    from PySide6.QtCore import Qt

    window.enqueue([ids["Plain"], ids["Allegro con brio"]])
    rows = window.up_next.rows
    qtbot.waitUntil(lambda: [rows.index(r).data() for r in range(rows.rowCount())][-2:] == [
        "Plain", f"{work}: Allegro con brio"], timeout=5000)
    starts = Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap
    for typed, found in (("sym", [f"{work}: Allegro con brio"]), ("all", [])):
        hits = rows.match(rows.index(0), Qt.ItemDataRole.DisplayRole, typed, 1, starts)
        assert [h.data() for h in hits] == found, typed


def _choose_composer(window, on: bool = True) -> None:
    (choice,) = [a for a in window.library.column_menu().actions() if a.text() == "Composer"]
    if choice.isChecked() != on:
        choice.trigger()


def test_a_chosen_composer_column_gives_way_after_year_and_genre_and_stays_chosen(qtbot, scanned, make_window):
    # Chosen, it kept its 160 px at any width: at the smallest window the names went to 48 px
    # and the table scrolled sideways with the songs' lengths off its right edge.
    from PySide6.QtCore import Qt

    window = make_window(scanned, with_player=False)
    table, header = window.library.table, window.library.table.horizontalHeader()
    _resize(qtbot, window, 1280, 780)
    _choose_composer(window)
    to_smallest(qtbot, window)
    qtbot.waitUntil(lambda: header.isSectionHidden(COMPOSER), timeout=2000)
    sizes = _sizes(window)
    assert header.isSectionHidden(YEAR) and header.isSectionHidden(GENRE)        # (they went first)
    assert sum(sizes) == table.viewport().width() and table.horizontalScrollBar().maximum() == 0, sizes
    assert min(sizes[c] for c in SHARING) >= 80, sizes
    # Still chosen (the menu says so), and kept as chosen by a quit at this width.
    (choice,) = [a for a in window.library.column_menu().actions() if a.text() == "Composer"]
    assert choice.isChecked()
    # Sorted by it, it stays, with its mark (the names make what room they can).
    table.sortByColumn(COMPOSER, Qt.AscendingOrder)
    qtbot.waitUntil(lambda: not header.isSectionHidden(COMPOSER), timeout=2000)
    assert header.isSortIndicatorShown() and header.sectionSize(COMPOSER) > 0
    table.sortByColumn(-1, Qt.AscendingOrder)
    qtbot.waitUntil(lambda: header.isSectionHidden(COMPOSER), timeout=2000)
    window.close()
    again = make_window(scanned, with_player=False)
    _resize(qtbot, again, 1920, 1000)
    header = again.library.table.horizontalHeader()
    qtbot.waitUntil(lambda: not header.isSectionHidden(COMPOSER), timeout=2000)
    assert header.visualIndex(COMPOSER) == header.visualIndex(ARTIST) + 1


def test_unchoosing_the_composer_column_the_songs_are_sorted_by_goes_back_to_library_order(
        qtbot, scanned, make_window):
    # Hidden while the songs were sorted by it: an order no column showed the mark of.
    from PySide6.QtCore import Qt

    window = make_window(scanned, with_player=False)
    table, header = window.library.table, window.library.table.horizontalHeader()
    _choose_composer(window)
    table.sortByColumn(COMPOSER, Qt.DescendingOrder)
    _choose_composer(window, False)
    assert header.isSectionHidden(COMPOSER)
    assert header.sortIndicatorSection() != COMPOSER and window.model.sort_column_key() is None


def test_a_layout_left_by_an_older_version_after_a_newer_one_keeps_the_composer_hidden(
        qtbot, scanned, make_window, tmp_path):
    # Run again after going back to an older version: that version wrote its seven columns'
    # layout and left the newer one's list of columns, naming the composer, as it was; the
    # composer came back shown at the table's right end though no one had chosen it.
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView

    old = QTableView()
    old.setModel(QStandardItemModel(3, 7))
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.IniFormat)
    settings.setValue("columns", old.horizontalHeader().saveState())
    settings.setValue("column_keys", "track_no title artist album genre year duration composer")
    settings.sync()
    window = make_window(scanned, with_player=False)
    header = window.library.table.horizontalHeader()
    assert header.isSectionHidden(COMPOSER)
    assert header.visualIndex(COMPOSER) == header.visualIndex(ARTIST) + 1
