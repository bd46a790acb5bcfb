"""LibraryModel: search (incremental narrowing equals a fresh scan), sort, selection kept."""

from __future__ import annotations

import random

import shiboken6

from PySide6.QtCore import QItemSelectionModel, Qt

from benchmarks.library_gen import library_rows
from player.library.search import LibraryData
from player.ui.library_model import COLUMNS, LibraryModel, format_duration
from segue_common.text import search_form


def _data(n=3000):
    rows = library_rows(n, seed=3)
    for i, r in enumerate(rows):
        r["id"] = 1000 + i
    return rows, LibraryData.from_rows(rows)


def _expected(rows, text):
    terms = search_form(text).split()
    hay = [search_form(f"{r['title']}\t{r['artist']}\t{r['album']}\t{r['genre']}") for r in rows]
    return [r["id"] for r, h in zip(rows, hay) if all(t in h for t in terms)]


def test_typing_narrows_to_the_same_rows_as_a_fresh_search(qapp):
    rows, data = _data()
    model = LibraryModel()
    model.set_library(data)
    rng = random.Random(5)
    for _ in range(20):
        word = rng.choice(rows)["title"].split()[0].lower()
        query = ""
        for ch in word + " " + rng.choice(["a", "e", "ro", ""]):
            query += ch
            model.set_filter(query)                     # incremental, one keystroke at a time
            assert model.visible_ids() == _expected(rows, query), query
        while query:                                    # and backspace it away again
            query = query[:-1]
            model.set_filter(query)
            assert model.visible_ids() == _expected(rows, query), query
        assert model.rowCount() == len(rows)


def test_sort_by_column_and_back(qapp):
    rows, data = _data(500)
    model = LibraryModel()
    model.set_library(data)
    artist = [k for k, _ in COLUMNS].index("artist")
    model.sort(artist, Qt.AscendingOrder)
    shown = [model.index(r, artist).data() for r in range(model.rowCount())]
    assert shown == sorted(shown, key=str.casefold)
    model.set_filter("rock")
    shown = [model.index(r, artist).data() for r in range(model.rowCount())]
    assert shown == sorted(shown, key=str.casefold) and set(model.visible_ids()) == set(_expected(rows, "rock"))
    duration = [k for k, _ in COLUMNS].index("duration")
    model.set_filter("")
    model.sort(duration, Qt.DescendingOrder)
    secs = [data.numbers["duration"][data.position(t)] for t in model.visible_ids()]
    assert secs == sorted(secs, reverse=True)



def test_a_text_column_sorts_numbers_as_numbers_and_accented_names_among_their_letters(qapp):
    # A collector's titles count up ("Track 2" before "Track 10", "Op. 9" before "Op. 27"),
    # and "Émile" or "Ólafur" belong among the E's and O's, not after "Zola" (where a
    # sort by character codes puts them); case and decomposed accents do not matter either.
    names = [("Track 10", "Zola"), ("Track 2", "Émile"), ("track 1", "Ólafur Arnalds"), ("Op. 27", "Oasis"),
             ("Op. 9", "E\u0301dith Piaf"), ("Track 02b", "earth"), ("Étude", "Pink"), ("Zebra", "Eels")]
    rows = [{"id": 90 + i, "title": t, "artist": a, "album": "", "genre": "", "track_no": 0, "year": 0,
             "duration": 1.0} for i, (t, a) in enumerate(names)]
    model = LibraryModel()
    model.set_library(LibraryData.from_rows(rows))
    keys = [k for k, _ in COLUMNS]

    def shown(key):
        return [model.index(r, keys.index(key)).data() for r in range(model.rowCount())]

    model.sort(keys.index("title"), Qt.AscendingOrder)
    assert shown("title") == ["Étude", "Op. 9", "Op. 27", "track 1", "Track 2", "Track 02b", "Track 10", "Zebra"]
    model.sort(keys.index("artist"), Qt.AscendingOrder)
    assert shown("artist") == ["earth", "E\u0301dith Piaf", "Eels", "Émile", "Oasis", "Ólafur Arnalds", "Pink", "Zola"]
    model.sort(keys.index("artist"), Qt.DescendingOrder)
    assert shown("artist")[0] == "Zola" and shown("artist")[-1] == "earth"


def _collection(music):
    """A collector's shelf as taggers leave it: an iTunes compilation (a flag, each track its
    own artist, no album artist), "The Beatles" and "David Bowie" with their sort names, a
    Bach suite played by Yo-Yo Ma and an album artist "Various Artists"."""
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TALB, TCMP, TIT2, TPE1, TRCK

    from tests.audiogen import write_track

    for n, artist in enumerate(["Zed", "Abba", "Moby"], 1):
        path = write_track(music / "Now", f"{n:02d}", fmt="mp3", seconds=0.3)
        tags = ID3()
        for frame in (TIT2(encoding=3, text=[f"Now {n}"]), TPE1(encoding=3, text=[artist]),
                      TALB(encoding=3, text=["Now That's Music"]), TRCK(encoding=3, text=[f"{n}/3"]),
                      TCMP(encoding=3, text=["1"])):
            tags.add(frame)
        tags.save(str(path))
    shelf = [("Help", "The Beatles", "Help!", {"artistsort": "Beatles, The", "albumartistsort": "Beatles, The",
                                               "albumartist": "The Beatles"}),
             ("Heroes", "David Bowie", "Heroes", {"artistsort": "Bowie, David"}),
             ("Top", "Carpenters", "Singles", {}),
             ("Abracadabra", "Steve Miller Band", "Abracadabra", {}),
             ("Prelude", "Yo-Yo Ma", "Cello Suites", {"composer": "Johann Sebastian Bach"}),
             ("Split", "Someone", "Split Set", {"albumartist": "Various Artists"})]
    for title, artist, album, more in shelf:
        path = write_track(music / title, "01", fmt="flac", seconds=0.3)
        tags = FLAC(str(path))
        tags["title"], tags["artist"], tags["album"], tags["tracknumber"] = [title], [artist], [album], ["1"]
        for key, value in more.items():
            tags[key] = [value]
        tags.save()


def test_a_collectors_library_is_ordered_by_sort_names_with_a_compilation_together_and_found_by_composer(
        qapp, store, tmp_path):
    # The compilation's tracks were scattered under Abba, Moby and Zed; "The Beatles" came
    # after "Steve Miller Band", "David Bowie" among the D's; the composer and an album
    # artist were found by no search. The compilation flagged without an album artist, listed
    # among the V's as Various Artists', was not found by "various" (only a tagged one was).
    from player.library.scanner import Scanner
    from player.library.search import load_library

    _collection(tmp_path / "music")
    Scanner(store).scan([str(tmp_path / "music")])
    model = LibraryModel()
    model.set_library(load_library(store))
    titles = [model.index(r, 1).data() for r in range(model.rowCount())]
    assert titles == ["Help", "Heroes", "Top", "Abracadabra", "Now 1", "Now 2", "Now 3", "Split", "Prelude"]
    for query, found in [("bach", ["Prelude"]), ("sebastian yo-yo", ["Prelude"]),
                         ("various", ["Now 1", "Now 2", "Now 3", "Split"]), ("beatles help", ["Help"])]:
        model.set_filter(query)
        assert [model.index(r, 1).data() for r in range(model.rowCount())] == found, query
    # Sorted by the Artist column, an artist goes by its sort name too (as tagged for the
    # artist, not the album artist: a compilation's tracks go by their own artists).
    model.set_filter("")
    model.sort([k for k, _ in COLUMNS].index("artist"), Qt.AscendingOrder)
    assert [model.index(r, 2).data() for r in range(model.rowCount())] == [
        "Abba", "The Beatles", "David Bowie", "Carpenters", "Moby", "Someone", "Steve Miller Band", "Yo-Yo Ma", "Zed"]


def test_the_composer_column_sorts_by_the_composers_sort_name_where_tagged(qapp, store, tmp_path):
    # "Johann Sebastian Bach" sorted under J and "Ludwig van Beethoven" under L: a classical
    # shelf tags their sort names (ID3 TSOC, Vorbis COMPOSERSORT), which were not read. A
    # composer without one goes by the name shown.
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TSOC

    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import write_track

    music = tmp_path / "music"
    shelf = [("Antonio Vivaldi", "Vivaldi, Antonio", "flac"), ("Claude Debussy", None, "flac"),
             ("Johann Sebastian Bach", "Bach, Johann Sebastian", "flac"),
             ("Ludwig van Beethoven", "Beethoven, Ludwig van", "mp3")]
    for n, (composer, sort_name, fmt) in enumerate(shelf, 1):
        path = write_track(music, f"{n:02d}", fmt=fmt, seconds=0.3,
                           tags={"title": f"Piece {n}", "artist": "Orchestra", "album": "Works", "tracknumber": n,
                                 "composer": composer})
        if sort_name and fmt == "flac":
            tags = FLAC(str(path))
            tags["COMPOSERSORT"] = [sort_name]
            tags.save()
        elif sort_name:
            tags = ID3(str(path))
            tags.add(TSOC(encoding=3, text=[sort_name]))
            tags.save(str(path))
    Scanner(store).scan([str(music)])
    model = LibraryModel()
    model.set_library(load_library(store))
    column = [k for k, _ in COLUMNS].index("composer")
    model.sort(column, Qt.AscendingOrder)
    assert [model.index(r, column).data() for r in range(model.rowCount())] == [
        "Johann Sebastian Bach", "Ludwig van Beethoven", "Claude Debussy", "Antonio Vivaldi"]
    model.sort(column, Qt.DescendingOrder)
    assert [model.index(r, column).data() for r in range(model.rowCount())] == [
        "Antonio Vivaldi", "Claude Debussy", "Ludwig van Beethoven", "Johann Sebastian Bach"]


def test_the_rating_column_shows_the_stars_the_files_carry_and_sorts_by_them(qapp, store, tmp_path):
    # Someone who rated their songs in MusicBee or Quod Libet saw no trace of it: no column
    # showed the stars, and the library could not be sorted to put the favourites together.
    from mutagen.id3 import ID3, POPM
    from mutagen.oggvorbis import OggVorbis

    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import write_track

    star = "\u2605"
    music = tmp_path / "music"
    for n, (stars, fmt) in enumerate([(3, "mp3"), (None, "flac"), (5, "ogg"), (1, "mp3")], 1):
        path = write_track(music, f"{n:02d}", fmt=fmt, seconds=0.3,
                           tags={"title": f"Song {n}", "artist": "Someone", "album": "Rated", "tracknumber": n})
        if stars and fmt == "mp3":
            tags = ID3(str(path))
            tags.add(POPM(email="Windows Media Player 9 Series", rating=(1, 64, 128, 196, 255)[stars - 1], count=0))
            tags.save(str(path))
        elif stars:
            tags = OggVorbis(str(path))
            tags["FMPS_RATING"] = [str(stars / 5)]
            tags.save()
    Scanner(store).scan([str(music)])
    model = LibraryModel()
    model.set_library(load_library(store))
    column = [k for k, _ in COLUMNS].index("rating")
    title = [k for k, _ in COLUMNS].index("title")
    shown = [(model.index(r, title).data(), model.index(r, column).data()) for r in range(model.rowCount())]
    assert shown == [("Song 1", star * 3), ("Song 2", ""), ("Song 3", star * 5), ("Song 4", star)]
    model.sort(column, Qt.DescendingOrder)
    assert [model.index(r, title).data() for r in range(model.rowCount())] == ["Song 3", "Song 1", "Song 4", "Song 2"]


def test_the_library_order_places_accented_names_among_their_letters(qapp, store, tmp_path):
    # SQLite's NOCASE folds only ASCII: "Émile" and "Ólafur Arnalds" came after "Zola", and an
    # untagged album in a folder "Ébène" followed them there. Each artist's tracks keep their
    # album's order.
    from mutagen.flac import FLAC

    from tests.audiogen import write_track

    music = tmp_path / "music"
    for artist in ("Zola", "Émile", "Eels", "Oasis", "Ólafur Arnalds", "Pink"):
        for n in (2, 1):
            path = write_track(music / artist, f"{n:02d}", fmt="flac", seconds=0.3)
            tags = FLAC(str(path))
            tags["title"], tags["artist"] = [f"{artist} {n}"], [artist]
            tags["album"], tags["tracknumber"] = ["A"], [str(n)]
            tags.save()
    write_track(music / "Ébène" / "Live", "01 Untagged", fmt="flac", seconds=0.3)
    assert _listed_titles(store, music) == [
        "01 Untagged", "Eels 1", "Eels 2", "Émile 1", "Émile 2", "Oasis 1", "Oasis 2", "Ólafur Arnalds 1",
        "Ólafur Arnalds 2", "Pink 1", "Pink 2", "Zola 1", "Zola 2"]


def test_an_album_artists_accented_sort_name_places_its_album_among_its_letters(qapp, store, tmp_path):
    # The library goes by the album artist's sort name first, but only the other names were
    # looked at for accents: an album filed by "Ólafur Arnalds" under a plain "Olafur Arnalds"
    # came after "Zola".
    from mutagen.flac import FLAC

    from tests.audiogen import write_track

    music = tmp_path / "music"
    for artist, sort_name in [("Zola", None), ("Olafur Arnalds", "Ólafur Arnalds"), ("Oasis", None), ("Pink", None)]:
        path = write_track(music / artist, "01", fmt="flac", seconds=0.3)
        tags = FLAC(str(path))
        tags["title"], tags["artist"], tags["albumartist"], tags["album"] = [artist], [artist], [artist], ["A"]
        if sort_name:
            tags["albumartistsort"] = [sort_name]
        tags.save()
    assert _listed_titles(store, music) == ["Oasis", "Olafur Arnalds", "Pink", "Zola"]


def test_a_click_on_a_text_columns_header_finds_its_order_made_on_the_worker(qapp, store, tmp_path, monkeypatch):
    # Each value of the clicked column was put in sort form on the GUI thread (numbers as
    # numbers, accents dropped): a quarter of a second of a frozen window at 100,000 titles
    # that carry numbers. The worker that reads the library makes every text column's order.
    from mutagen.flac import FLAC

    from player.library.scanner import Scanner
    from player.library import search
    from player.library.search import load_library
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for title, artist, album, genre in [("Track 10", "Zola", "Op. 27", "Rock"), ("Track 2", "Émile", "Op. 9", "Jazz"),
                                        ("Élan", "Abba", "Best", "Électro")]:
        path = write_track(music / title, "01", fmt="flac", seconds=0.3)
        tags = FLAC(str(path))
        tags["title"], tags["artist"], tags["album"], tags["genre"] = [title], [artist], [album], [genre]
        tags.save()
    Scanner(store).scan([str(music)])
    data = load_library(store)

    def on_the_gui_thread(values):
        raise AssertionError("a column put in sort form on the GUI thread")

    monkeypatch.setattr(search, "_sort_forms", on_the_gui_thread)
    model = LibraryModel()
    model.set_library(data)
    keys = [k for k, _ in COLUMNS]
    for key, first_to_last in [("title", ["Élan", "Track 2", "Track 10"]), ("artist", ["Abba", "Émile", "Zola"]),
                               ("album", ["Best", "Op. 9", "Op. 27"]), ("genre", ["Électro", "Jazz", "Rock"])]:
        model.sort(keys.index(key), Qt.AscendingOrder)
        column = keys.index(key)
        assert [model.index(r, column).data() for r in range(model.rowCount())] == first_to_last, key


def _in_a_view(n):
    """``n`` generated rows, their data, a model of them and a table view showing it."""
    from PySide6.QtWidgets import QTableView

    rows, data = _data(n)
    model = LibraryModel()
    model.set_library(data)
    view = QTableView()
    view.setModel(model)
    return rows, data, model, view


def test_selection_follows_the_tracks_through_a_filter(qapp):
    rows, data, model, view = _in_a_view(400)
    target = _expected(rows, "velvet")[2]
    row = model.row_of(target)
    view.selectionModel().select(model.index(row, 0), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
    model.set_filter("velvet")
    selected = {model.track_id(i.row()) for i in view.selectionModel().selectedRows()}
    assert selected == {target} and model.row_of(target) == 2
    model.set_filter("")
    assert {model.track_id(i.row()) for i in view.selectionModel().selectedRows()} == {target}


def test_positions_of_many_tracks_agree_with_one_at_a_time():
    rows, data = _data(500)
    wanted = [1000 + 499, 7, 1000, 1000 + 250, 1000 + 500, -1, 1000 + 3]
    assert data.positions(wanted).tolist() == [-1 if data.position(t) is None else data.position(t) for t in wanted]
    titles = [data.text["title"][i] for i in data.positions([1003, 1499]).tolist()]
    assert titles == [rows[3]["title"], rows[499]["title"]]
    assert LibraryData.from_rows([]).positions([1, 2]).tolist() == [-1, -1]


def test_format_duration():
    assert format_duration(0) == "" and format_duration(float("nan")) == ""
    assert format_duration(59.6) == "1:00" and format_duration(3725) == "1:02:05"


def test_numbers_the_window_cannot_hold_are_clamped_not_fatal():
    from player.library.search import LibraryData

    rows = [{"id": 1, "title": "Far future", "artist": 7, "album": None, "genre": "", "track_no": 10**15,
             "year": 3_000_000_000, "duration": float("inf")},
            {"id": 2, "title": "Text year", "artist": "A", "album": "B", "genre": "C", "track_no": "3",
             "year": "nineteen", "duration": "x"}]
    data = LibraryData.from_rows(rows)
    assert data.numbers["year"].tolist() == [2**31 - 1, 0]
    assert data.numbers["track_no"].tolist() == [2**31 - 1, 3]
    assert data.numbers["duration"].tolist() == [0.0, 0.0]
    assert data.text["artist"] == ["7", "A"]


def test_a_large_selection_and_the_current_cell_follow_their_tracks_through_sorts_and_a_filter(qapp):
    # The rows move as a vertical sort: Qt keeps one index per selected row, and the
    # model moves those; every selected row must stay whole and on its track.
    from PySide6.QtCore import QItemSelection
    from PySide6.QtWidgets import QTableView

    rows, data, model, view = _in_a_view(3000)
    view.setSelectionBehavior(QTableView.SelectRows)
    last = model.columnCount() - 1
    selection = QItemSelection()
    for row in list(range(100, 700)) + list(range(1000, 3000, 7)):
        selection.select(model.index(row, 0), model.index(row, last))
    selections = view.selectionModel()
    selections.select(selection, QItemSelectionModel.ClearAndSelect)
    selections.setCurrentIndex(model.index(1500, 3), QItemSelectionModel.NoUpdate)
    chosen = {model.track_id(i.row()) for i in selections.selectedRows()}
    current = model.track_id(1500)
    assert len(chosen) == 600 + len(range(1000, 3000, 7))

    def kept():
        return ({model.track_id(i.row()) for i in selections.selectedRows()},
                len(selections.selectedIndexes()), model.track_id(selections.currentIndex().row()),
                selections.currentIndex().column())

    names = [k for k, _ in COLUMNS]
    for column, order in (("artist", Qt.AscendingOrder), ("duration", Qt.DescendingOrder),
                          ("title", Qt.AscendingOrder)):
        model.sort(names.index(column), order)
        assert kept() == (chosen, len(chosen) * model.columnCount(), current, 3)
    word = rows[current - 1000]["title"].split()[0]
    model.set_filter(word)
    still = chosen & set(model.visible_ids())
    assert 0 < len(still) < len(chosen)
    assert kept() == (still, len(still) * model.columnCount(), current, 3)


def test_the_selected_songs_of_a_sorted_filtered_table_are_its_rows_in_order_each_once(qapp):
    # Ranges selected out of order and overlapping (a click, a Shift range over it, Ctrl+A
    # after a filter): each row once, top to bottom, and each row's own track.
    from PySide6.QtCore import QItemSelection

    from player.ui.library_view import LibraryTable

    rows, data = _data(3000)
    model = LibraryModel()
    model.set_library(data)
    view = LibraryTable()
    view.setModel(model)
    model.sort([k for k, _ in COLUMNS].index("title"), Qt.DescendingOrder)
    model.set_filter("e")
    n, last = model.rowCount(), model.columnCount() - 1
    assert 1500 < n < 3000
    picked = QItemSelection()
    for top, bottom in ((900, 1200), (5, 5), (1100, 1400), (n - 3, n - 1), (0, 2)):
        picked.select(model.index(top, 0), model.index(bottom, last))
    view.selectionModel().select(picked, QItemSelectionModel.ClearAndSelect)
    wanted = [0, 1, 2, 5, *range(900, 1401), n - 3, n - 2, n - 1]
    assert view.selected_rows() == wanted
    assert model.track_ids(wanted) == [model.track_id(r) for r in wanted]
    assert model.track_ids(wanted[::-1]) == [model.track_id(r) for r in wanted[::-1]]
    assert model.track_ids([]) == []
    view.selectAll()
    assert view.selected_rows() == list(range(n))
    assert model.track_ids(view.selected_rows()) == model.visible_ids()
    view.clearSelection()
    assert view.selected_rows() == [] and view.drag_mime() is None


def _edge_rows():
    """Names whose matches a byte-level search could get wrong: accents and other scripts
    (several bytes a character), casefolding that changes length, a word that would run
    from one field or track into the next, a newline inside a tag, a lone surrogate (a
    file name that is not valid UTF-8)."""
    names = [("Straße", "Ab", "Cd", "Pop"), ("Café Ñandú", "Éric", "Ёлка", "Jazz"),
             ("東京 Night", "ab", "cd\nef", "J-Pop"), ("Smile 😀 ok", "X", "Y", "Rock"),
             ("Tail ab", "cd Head", "", ""), ("bad \udce9 name", "", "Folder", ""), ("", "", "", ""),
             ("STRASSE", "ΣΊΣΥΦΟΣ", "σίσυφος", "Metal"), ("a", "b", "c", "d")]
    return [{"id": 50 + i, "title": t, "artist": a, "album": al, "genre": g, "track_no": i, "year": 2000,
             "duration": 100.0} for i, (t, a, al, g) in enumerate(names)]


def test_search_matches_every_script_and_never_across_fields_or_tracks(qapp):
    rows = _edge_rows()
    model = LibraryModel()
    model.set_library(LibraryData.from_rows(rows))
    queries = ["ß", "strasse", "STRASSE straße", "é", "café", "ñandú éric", "ёлка", "東京", "京", "😀", "😀 ok",
               "ab", "abcd", "tailcd", "popcafé", "rocktail", "metala", "jazz東京", "ab\tcd", "cdef", "ef",
               "popab", "jazzstraße", "\udce9", "bad \udce9",
               "σίσυφος", "ς", "a", "d", "p", "pop pop", "o", "zz", "-", "a b c d"]
    for q in queries:
        model.set_filter(q)
        assert model.visible_ids() == _expected(rows, q), q
    model.set_filter("")
    assert model.rowCount() == len(rows)
    empty = LibraryModel()
    empty.set_library(LibraryData.from_rows([]))
    empty.set_filter("a")
    assert empty.rowCount() == 0


def test_search_ignores_accents_and_finds_decomposed_names(qapp):
    # A word typed on a keyboard (composed accents, or none at all) finds names stored
    # decomposed, as macOS keeps file names and tags taken from them; a letter with a
    # stroke or a ligature is found by the plain letters people type for it.
    names = [("Cafe\u0301 del Mar", "Bjo\u0308rk"), ("Café Tacvba", "Ørjan Nilsen"), ("Hyperballad", "BJÖRK"),
             ("Łódź", "Æther Realm"), ("ｆｕｌｌ ｗｉｄｔｈ", "ﬁnale"), ("Cafe", "Plain"), ("ガイド", "Band"),
             ("カイト", "Other")]
    rows = [{"id": 70 + i, "title": t, "artist": a, "album": "", "genre": "", "track_no": i, "year": 2000,
             "duration": 100.0} for i, (t, a) in enumerate(names)]
    model = LibraryModel()
    model.set_library(LibraryData.from_rows(rows))
    for query, ids in [("café", [70, 71, 75]), ("Cafe\u0301", [70, 71, 75]), ("björk", [70, 72]), ("bjork", [70, 72]),
                       ("orjan", [71]), ("lodz", [73]), ("aether", [73]), ("full width", [74]), ("fin", [74]),
                       ("ガ", [76]), ("カ", [77])]:
        model.set_filter(query)
        assert model.visible_ids() == ids, query


def test_backspacing_through_many_words_and_a_new_library_show_the_right_rows(qapp):
    # Found words are remembered for backspacing: more words than are remembered, then a
    # library with other tracks, must still show exactly the rows that match.
    rows, data = _data(2000)
    model = LibraryModel()
    model.set_library(data)
    words = sorted({w.lower() for r in rows for w in r["title"].split()})[:40]
    for w in words + words[::-1] + ["e", "a", "e"]:
        model.set_filter(w)
        assert model.visible_ids() == _expected(rows, w), w
    other = library_rows(1500, seed=11)
    for i, r in enumerate(other):
        r["id"] = 5000 + i
    model.set_library(LibraryData.from_rows(other))
    for w in ["e", "a"] + words[:5]:
        model.set_filter(w)
        assert model.visible_ids() == _expected(other, w), w


def test_the_table_shows_the_rows_of_the_text_in_the_box_after_every_keystroke(qtbot):
    # Typed fast, one key after another, and deleted back: after each key the table holds
    # exactly the tracks that match what the box says, in the table's sort order.
    from player.ui.library_view import LibraryView

    rows, data = _data(3000)
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    qtbot.addWidget(view)
    view.show()
    title = [k for k, _ in COLUMNS].index("title")
    view.table.sortByColumn(title, Qt.AscendingOrder)
    order = {t: n for n, t in enumerate(sorted(range(1000, 4000), key=lambda t: rows[t - 1000]["title"].casefold()))}
    seen: list[tuple[str, list[int]]] = []
    view.search.textChanged.connect(lambda text: seen.append((text, model.visible_ids())))
    word = rows[17]["title"].split()[0]
    typed = f"{word} {rows[17]['artist'][:3]}"
    qtbot.keyClicks(view.search, typed)
    for _ in typed:
        qtbot.keyClick(view.search, Qt.Key_Backspace)
    assert [text for text, _ in seen] == [typed[:i] for i in range(1, len(typed) + 1)] + \
        [typed[:i] for i in range(len(typed) - 1, -1, -1)]
    for text, shown in seen:
        assert shown == sorted(_expected(rows, text), key=order.get), text
    assert view.search.text() == "" and model.rowCount() == len(rows)
    assert view.count.text() == f"{len(rows):,} tracks"


def test_a_descending_sort_keeps_each_albums_tracks_in_their_order(qapp, store, tmp_path):
    # Sorted by Year (or Artist) descending, each album's tracks came last-to-first: the
    # ties were turned round with the rest.
    from mutagen.flac import FLAC

    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for artist, album, year in (("Alpha", "Old", "1970"), ("Beta", "New", "1999")):
        for n in (3, 1, 2):
            path = write_track(music / album, f"{n:02d}", fmt="flac", seconds=0.3)
            tags = FLAC(str(path))
            tags["title"], tags["artist"], tags["album"] = [f"{album} {n}"], [artist], [album]
            tags["tracknumber"], tags["date"] = [str(n)], [year]
            tags.save()
    Scanner(store).scan([str(music)])
    model = LibraryModel()
    model.set_library(load_library(store))
    keys = [k for k, _ in COLUMNS]

    def titles():
        return [model.index(r, keys.index("title")).data() for r in range(model.rowCount())]

    for key in ("year", "artist"):
        model.sort(keys.index(key), Qt.DescendingOrder)
        assert titles() == ["New 1", "New 2", "New 3", "Old 1", "Old 2", "Old 3"], key
        model.sort(keys.index(key), Qt.AscendingOrder)
        assert titles() == ["Old 1", "Old 2", "Old 3", "New 1", "New 2", "New 3"], key



def _listed_titles(store, music) -> list[str]:
    """The titles of ``music`` in the library's order, as the window lists them once scanned."""
    from player.library.scanner import Scanner
    from player.library.search import load_library

    Scanner(store).scan([str(music)])
    model = LibraryModel()
    model.set_library(load_library(store))
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def _tagged_mp3(music, folder, n, title, artist, album, *, flag=False, albumartist=None, year=None, release=None,
                disc=None):
    """An MP3 tagged as taggers write them (ID3: a compilation flag TCMP, a release id)."""
    from mutagen.id3 import ID3, TALB, TCMP, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK, TXXX

    from tests.audiogen import write_track

    path = write_track(music / folder, f"{n:02d}", fmt="mp3", seconds=0.3)
    tags = ID3()
    for frame in (TIT2(encoding=3, text=[title]), TPE1(encoding=3, text=[artist]),
                  TALB(encoding=3, text=[album]), TRCK(encoding=3, text=[str(n)])):
        tags.add(frame)
    if flag:
        tags.add(TCMP(encoding=3, text=["1"]))
    if albumartist:
        tags.add(TPE2(encoding=3, text=[albumartist]))
    if year:
        tags.add(TDRC(encoding=3, text=[year]))
    if release:
        tags.add(TXXX(encoding=3, desc="MusicBrainz Album Id", text=[release]))
    if disc:
        tags.add(TPOS(encoding=3, text=[str(disc)]))
    tags.save(str(path))


def test_an_album_whose_names_are_written_decomposed_on_one_track_is_one_album(qapp, store, tmp_path):
    # macOS taggers write "Björk" as "Bjo" and a combining mark: the second track, tagged so,
    # was listed apart, before the album's first track, as though another artist's album.
    import unicodedata

    music = tmp_path / "music"
    for n, form in ((1, "NFC"), (2, "NFD"), (3, "NFC")):
        def written(name: str) -> str:
            return unicodedata.normalize(form, name)

        _tagged_mp3(music, "Homogenic", n, written(f"Jóga {n}"), written("Björk"), written("Homogénic"))
    assert _listed_titles(store, music) == ["Jóga 1", "Jóga 2", "Jóga 3"]


def test_an_album_whose_title_a_tagger_began_with_a_byte_order_mark_on_one_track_is_one_album(qapp, store, tmp_path):
    # A Windows tool wrote UTF-8 with its byte order mark into one track's album frame, and
    # another a zero-width space after the artist: unseen, but that track was listed apart,
    # after the artist's other album. A title of such marks alone is no title: the row is
    # named by its file, not left blank.
    music = tmp_path / "music"
    for n, album, artist in ((1, "Homework", "Daft Punk"), (2, "\ufeffHomework", "Daft Punk\u200b"),
                             (3, "Homework", "Daft Punk")):
        _tagged_mp3(music, "Homework", n, f"Homework {n}", artist, album)
    _tagged_mp3(music, "Discovery", 1, "\ufeff\u200b", "Daft Punk", "Discovery")
    assert _listed_titles(store, music) == ["01", "Homework 1", "Homework 2", "Homework 3"]


def test_a_compilation_flagged_on_some_of_its_tracks_is_one_album(qapp, store, tmp_path):
    # The flagged tracks went under Various Artists, the others under their own artists:
    # the album was split.
    music = tmp_path / "music"
    for n, artist, flag in ((1, "Zed", True), (2, "Abba", False), (3, "Moby", True), (4, "Kinks", False)):
        _tagged_mp3(music, "Now", n, f"Now {n}", artist, "Now That's Music", flag=flag)
    _tagged_mp3(music, "Solo", 1, "Mine", "Abba", "Arrival")
    assert _listed_titles(store, music) == [
        "Mine", "Now 1", "Now 2", "Now 3", "Now 4"]


def test_a_compilation_flagged_on_its_first_disc_only_is_one_album(qapp, store, tmp_path):
    # Its discs in "CD1" and "CD2" folders: the second disc's tracks, none of them flagged,
    # went under their own artists, as if another album.
    music = tmp_path / "music"
    for folder, disc, n, artist, flag in (("Now/CD1", 1, 1, "Zed", True), ("Now/CD1", 1, 2, "Abba", False),
                                          ("Now/CD2", 2, 1, "Moby", False), ("Now/CD2", 2, 2, "Blur", False)):
        _tagged_mp3(music, folder, n, f"Now {disc}-{n}", artist, "Now That's Music", flag=flag, disc=disc)
    _tagged_mp3(music, "Solo", 1, "Mine", "Abba", "Arrival")
    assert _listed_titles(store, music) == [
        "Mine", "Now 1-1", "Now 1-2", "Now 2-1", "Now 2-2"]


def test_a_soundtrack_tagged_without_album_artist_or_flag_is_one_album(qapp, store, tmp_path):
    # Each track its own artist, no album artist and no flag, one folder: its tracks were
    # listed under each artist, in the order 2, 1, 4, 3. A "Singles" folder holding one
    # artist's "Greatest Hits" track 3 and another's track 4 stays under each artist.
    music = tmp_path / "music"
    for n, artist in ((1, "Composer A"), (2, "Band B"), (3, "Singer C"), (4, "Composer A")):
        _tagged_mp3(music, "Film", n, f"Film {n}", artist, "Film Soundtrack")
    _tagged_mp3(music, "Singles", 3, "Waterloo", "Abba", "Greatest Hits")
    _tagged_mp3(music, "Singles", 4, "Zing", "Zed", "Greatest Hits")
    assert _listed_titles(store, music) == [
        "Waterloo", "Film 1", "Film 2", "Film 3", "Film 4", "Zing"]


def test_two_soundtracks_of_one_title_tagged_without_album_artist_or_flag_are_two_albums(qapp, store, tmp_path):
    # Two films' "Original Soundtrack", each found one album by its folder: their tracks took
    # turns by number, as one album's.
    music = tmp_path / "music"
    for film, artists in (("Heat", ("Moby", "Kronos Quartet")), ("Drive", ("Kavinsky", "College"))):
        for n, artist in enumerate(artists, 1):
            _tagged_mp3(music, film, n, f"{film} {n}", artist, "Original Soundtrack")
    titles = _listed_titles(store, music)
    assert sorted([titles[:2], titles[2:]]) == [["Drive 1", "Drive 2"], ["Heat 1", "Heat 2"]]


def test_two_compilations_of_one_title_are_two_albums(qapp, store, tmp_path):
    # Two "Greatest Hits" of Various Artists (other folders, years and release ids) were one
    # album, their tracks taking turns by number. One release over two disc folders stays one.
    music = tmp_path / "music"
    for folder, year, release in (("Hits 1990", "1990", "aaaa-1990"), ("Hits 2001", "2001", "bbbb-2001")):
        for n in (1, 2):
            _tagged_mp3(music, folder, n, f"Hits {year} {n}", f"Band {n}", "Greatest Hits",
                        albumartist="Various Artists", year=year, release=release)
    for folder, n in (("Hits 1970", 1), ("Hits 1970", 2), ("Hits 1970/CD2", 1)):
        two = "CD2" in folder
        _tagged_mp3(music, folder, n, f"Hits 1970 {n}{' disc 2' if two else ''}", "Band", "Greatest Hits",
                    flag=True, disc=2 if two else 1)
    titles = _listed_titles(store, music)
    assert titles == ["Hits 1990 1", "Hits 1990 2", "Hits 2001 1", "Hits 2001 2",
                      "Hits 1970 1", "Hits 1970 2", "Hits 1970 1 disc 2"]


def test_an_album_with_a_release_id_on_some_of_its_tracks_is_one_album(qapp, store, tmp_path):
    # A track of an album tagged by hand, or replaced by another rip, lacks the release id
    # the others carry: it went after the album's last track, as if another release.
    music = tmp_path / "music"
    for n in (1, 2, 3):
        _tagged_mp3(music, "Blue", n, f"Blue {n}", "Band", "Blue", albumartist="Band",
                    release=None if n == 2 else "aaaa-blue")
    for n in (1, 2):       # another release of that title, elsewhere: still its own album
        _tagged_mp3(music, "Blue (1999)", n, f"Blue 1999 {n}", "Band", "Blue", albumartist="Band",
                    release="bbbb-blue")
    titles = _listed_titles(store, music)
    blue, other = ["Blue 1", "Blue 2", "Blue 3"], ["Blue 1999 1", "Blue 1999 2"]
    assert titles in ([*blue, *other], [*other, *blue])      # (which release first is the store's)


def test_two_releases_of_one_title_written_in_other_cases_are_two_albums(qapp, store, tmp_path):
    # "Greatest Hits" of one release and "Greatest hits" of another: the store, ignoring
    # case, put their tracks in turns, one title; they were left taking turns.
    music = tmp_path / "music"
    for folder, album in (("Hits 1990", "Greatest Hits"), ("Hits 2001", "Greatest hits")):
        for n in (1, 2):
            _tagged_mp3(music, folder, n, f"{folder} {n}", "Band", album, albumartist="Band")
    titles = _listed_titles(store, music)
    one, other = ["Hits 1990 1", "Hits 1990 2"], ["Hits 2001 1", "Hits 2001 2"]
    assert titles in ([*one, *other], [*other, *one])      # (which release first is the store's)


def test_an_albums_disc_folders_without_disc_tags_are_its_discs_in_order(qapp, store, tmp_path):
    # Ripped into "CD1" and "CD2" (or "Disc 1", "disc2") with no disc number in the tags,
    # both discs numbered from 1: their tracks took turns, 1, 1, 2, 2, and played so.
    # A disc tag still wins over its folder's name.
    music = tmp_path / "music"
    for album, folders in (("Double", ("CD1", "CD2")), ("Live", ("Disc 1", "disc2"))):
        for disc, folder in enumerate(folders, 1):
            for n in (1, 2, 3):
                _tagged_mp3(music, f"{album}/{folder}", n, f"{album} {disc}-{n}", "Band", album, albumartist="Band")
    for folder, disc in (("Tagged/CD1", 2), ("Tagged/CD2", 1)):
        for n in (1, 2):
            _tagged_mp3(music, folder, n, f"Tagged {disc}-{n}", "Band", "Tagged", albumartist="Band", disc=disc)
    assert _listed_titles(store, music) == [
        "Double 1-1", "Double 1-2", "Double 1-3", "Double 2-1", "Double 2-2", "Double 2-3",
        "Live 1-1", "Live 1-2", "Live 1-3", "Live 2-1", "Live 2-2", "Live 2-3",
        "Tagged 1-1", "Tagged 1-2", "Tagged 2-1", "Tagged 2-2"]


def test_a_bonus_track_without_a_number_ends_its_album_and_one_numbered_0_starts_it(qapp, store, tmp_path):
    # A bonus track added by hand without a track number headed its album, before track 1;
    # a hidden track or intro numbered 0 goes before track 1, as its number says.
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for n in (0, 1, 2, 3):
        _tagged_mp3(music, "Blue", n, f"Blue {n}", "Band", "Blue", albumartist="Band")
    write_track(music / "Blue", "Bonus", fmt="mp3", seconds=0.3,
                tags={"title": "Blue bonus", "artist": "Band", "album": "Blue", "albumartist": "Band"})
    assert _listed_titles(store, music) == ["Blue 0", "Blue 1", "Blue 2", "Blue 3", "Blue bonus"]


def test_a_bonus_track_without_a_number_or_disc_ends_an_album_of_two_discs(qapp, store, tmp_path):
    # Added by hand beside two discs (disc tags, or "CD1" and "CD2" folders), with neither
    # number nor disc: it went between the first disc and the second, as if disc 1's last.
    from player.library.albums import in_album_order
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for disc in (1, 2):
        for n in (1, 2):
            write_track(music / "Two", f"{disc}-{n:02d}", fmt="mp3", seconds=0.3, tags={
                "title": f"Two {disc}-{n}", "artist": "Band", "album": "Two", "albumartist": "Band",
                "tracknumber": n, "discnumber": disc})
            _tagged_mp3(music, f"Box/CD{disc}", n, f"Box {disc}-{n}", "Band", "Box", albumartist="Band")
    for album in ("Two", "Box"):
        write_track(music / album, "Bonus", fmt="mp3", seconds=0.3,
                    tags={"title": f"{album} bonus", "artist": "Band", "album": album, "albumartist": "Band"})
    assert _listed_titles(store, music) == [
        "Box 1-1", "Box 1-2", "Box 2-1", "Box 2-2", "Box bonus",
        "Two 1-1", "Two 1-2", "Two 2-1", "Two 2-2", "Two bonus"]
    # `segue play` plays it so too.
    assert [r["title"] for r in in_album_order(store.tracks_matching("box"))][-1] == "Box bonus"


def test_an_album_numbered_only_by_unpadded_file_names_is_listed_and_played_in_their_order(qapp, store, tmp_path):
    # A concert tagged without track numbers, its files named "1 Intro" ... "11 Encore": the
    # library and `segue play` went by the path, 1, 10, 11, 2, while the player's gapless
    # joins and Up next go by the file name's number.
    from player.library.albums import in_album_order
    from tests.audiogen import write_track

    music = tmp_path / "music"
    titles = [f"Song {n}" for n in range(1, 12)]
    for n, title in enumerate(titles, 1):
        write_track(music / "Band - Live", f"{n} {title}", fmt="mp3", seconds=0.2,
                    tags={"title": title, "artist": "Band", "album": "Live"})
    assert _listed_titles(store, music) == titles
    assert [r["title"] for r in in_album_order(store.tracks_matching("live"))] == titles


def test_an_albums_discs_named_in_its_file_names_without_disc_tags_are_in_order(qapp, store, tmp_path):
    # One folder of "1-01 Song", "2-01 Song" files, numbered from 1 on each disc and without
    # disc tags: the discs took turns, 1-01, 2-01, 1-02, 2-02.
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for disc in (1, 2):
        for n in (1, 2):
            write_track(music / "Set", f"{disc}-{n:02d} Song", fmt="mp3", seconds=0.3, tags={
                "title": f"Set {disc}-{n}", "artist": "Band", "album": "Set", "tracknumber": n})
    assert _listed_titles(store, music) == ["Set 1-1", "Set 1-2", "Set 2-1", "Set 2-2"]


def test_a_file_named_by_a_title_that_looks_like_disc_and_track_stays_in_its_place(qapp, store, tmp_path):
    # Files named by title alone: "7-11" (track 2) and "5-15 Blues" (track 2) are no disc 7
    # or 5; they went to the end of their albums. A name's disc counts where its track
    # number is the track's ("2-01 Song", track 1).
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for album, names in (("Album", ("Intro", "7-11", "Outro")), ("Blues", ("Start", "5-15 Blues", "End"))):
        for n, name in enumerate(names, 1):
            write_track(music / album, name, fmt="mp3", seconds=0.3, tags={
                "title": f"{album} {n}", "artist": "Band", "album": album, "tracknumber": n})
    assert _listed_titles(store, music) == ["Album 1", "Album 2", "Album 3", "Blues 1", "Blues 2", "Blues 3"]
    # `segue play` plays them so too.
    from player.library.albums import in_album_order

    assert [r["title"] for r in in_album_order(store.tracks_matching("blues"))] == ["Blues 1", "Blues 2", "Blues 3"]


def test_two_copies_of_a_song_are_told_apart_by_their_files(qapp, store, tmp_path):
    # An album in FLAC and its phone copy in MP3, tagged alike: two rows the same in every
    # column; the title's tooltip says which file each one is.
    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import write_track

    tags = {"title": "Song", "artist": "A", "album": "First", "tracknumber": "1"}
    write_track(tmp_path / "music" / "A" / "First", "01 Song", fmt="flac", seconds=0.5, tags=tags)
    write_track(tmp_path / "phone" / "A" / "First", "01 Song", fmt="mp3", seconds=0.5, tags=tags)
    Scanner(store).scan([str(tmp_path / "music"), str(tmp_path / "phone")])
    model = LibraryModel()
    model.set_library(load_library(store))
    assert model.rowCount() == 2
    rows = [[model.index(r, c).data() for c in range(len(COLUMNS))] for r in range(2)]
    assert rows[0] == rows[1]
    tips = sorted(model.index(r, 1).data(Qt.ItemDataRole.ToolTipRole) for r in range(2))
    assert tips == [f"Song\nFLAC file in {tmp_path / 'music' / 'A' / 'First'}",
                    f"Song\nMP3 file in {tmp_path / 'phone' / 'A' / 'First'}"]


def test_a_file_tooltip_names_an_unplugged_disk_once_and_a_folder_on_one_line(qapp, store, tmp_path):
    # A file at the disk's top said "FLAC file in /media/disk" and "On /media/disk, not
    # connected now"; one deeper keeps both, as they say different things. A folder whose
    # name holds a line break is one line of the tooltip.
    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import write_track

    disk, odd = tmp_path / "disk", tmp_path / "odd\nname"
    for folder, title in ((disk, "Top"), (disk / "A" / "First", "Deep"), (odd, "Odd")):
        write_track(folder, title, fmt="flac", seconds=0.5, tags={"title": title, "artist": "A"})
    Scanner(store).scan([str(disk), str(odd)])
    model = LibraryModel()
    model.set_library(load_library(store))
    ids = {r["title"]: r["id"] for r in store.tracks()}
    model.set_away({ids["Top"]: str(disk), ids["Deep"]: str(disk)})

    def tip(title):
        return model.index(model.row_of(ids[title]), 1).data(Qt.ItemDataRole.ToolTipRole)

    assert tip("Top") == f"Top\nFLAC file in {disk}\nNot connected now"
    assert tip("Deep") == f"Deep\nFLAC file in {disk / 'A' / 'First'}\nOn {disk}, not connected now"
    assert tip("Odd") == f"Odd\nFLAC file in {tmp_path}/odd name"


def test_an_albums_discs_tagged_as_albums_of_their_own_are_listed_in_disc_order(qapp, store, tmp_path):
    # Many rips tag each disc's title with its disc, "Set (Disc One)", "Set (Disc Two)", with no
    # disc tag: each was an album of its own, in the order of their titles' letters ("Three"
    # before "Two", "CD 10" before "CD 2"). They are one album, in the order of their discs,
    # each disc in a folder of its own or all in one; the title shows as tagged.
    music = tmp_path / "music"
    for disc, word in ((1, "One"), (2, "Two"), (3, "Three")):
        for n in (1, 2):
            _tagged_mp3(music, "Words", n + 2 * disc, f"Words {disc}-{n}", "Band", f"Words (Disc {word})",
                        albumartist="Band")
    for disc in (2, 10):
        for n in (1, 2):
            _tagged_mp3(music, f"Box - CD {disc}", n, f"Box {disc}-{n}", "Band", f"Box - CD {disc}",
                        albumartist="Band")
    assert _listed_titles(store, music) == [
        "Box 2-1", "Box 2-2", "Box 10-1", "Box 10-2",
        "Words 1-1", "Words 1-2", "Words 2-1", "Words 2-2", "Words 3-1", "Words 3-2"]


def test_an_accented_albums_discs_tagged_as_albums_of_their_own_are_listed_in_disc_order(qapp, store, tmp_path):
    # A library with accents in its names is put in order once more by its names with the
    # accents left out: that put "Été (Disc Three)" back before "Été (Disc Two)".
    music = tmp_path / "music"
    for disc, word in ((1, "One"), (2, "Two"), (3, "Three")):
        _tagged_mp3(music, "Été", disc, f"Été {disc}", "Émile", f"Été (Disc {word})", albumartist="Émile")
    _tagged_mp3(music, "Zola", 1, "Zola 1", "Zola", "Zola", albumartist="Zola")
    assert _listed_titles(store, music) == ["Été 1", "Été 2", "Été 3", "Zola 1"]


def test_a_title_that_only_holds_a_disc_or_a_number_is_an_album_of_its_own(qapp, store, tmp_path):
    # "Disc 2 Love" and "Hits Vol. 2" name no disc of "Hits": each stays an album apart.
    music = tmp_path / "music"
    for album, first in (("Hits Vol. 2", "Hits V"), ("Hits", "Hits"), ("Disc 2 Love", "Love")):
        for n in (1, 2):
            _tagged_mp3(music, album, n, f"{first} {n}", "Band", album, albumartist="Band")
    assert _listed_titles(store, music) == ["Love 1", "Love 2", "Hits 1", "Hits 2", "Hits V 1", "Hits V 2"]


def test_the_number_column_names_the_disc_on_an_album_of_two_and_sorts_disc_then_track(qapp, store, tmp_path):
    # A two-disc set showed "1" twice in "#": which disc a row was on was nowhere to be read.
    # Its discs by tag or by "CD1"/"CD2" folders read "1-01" ... "2-02"; a one-disc album, even
    # tagged disc 1, keeps its plain numbers.
    music = tmp_path / "music"
    for disc in (1, 2):
        for n in (1, 2):
            # (the tag wins over the folder, as in the album's order)
            _tagged_mp3(music, f"Set/CD{3 - disc}", n, f"Set {disc}-{n}", "Band", "Set", albumartist="Band", disc=disc)
            _tagged_mp3(music, f"Double/CD{disc}", n, f"Double {disc}-{n}", "Band", "Double", albumartist="Band")
    for n in (1, 2, 10):
        _tagged_mp3(music, "Single", n, f"Single {n}", "Band", "Single", albumartist="Band", disc=1)
    assert _listed_titles(store, music)      # (scanned)
    from player.library.search import load_library

    model = LibraryModel()
    model.set_library(load_library(store))
    number, title = [k for k, _ in COLUMNS].index("track_no"), [k for k, _ in COLUMNS].index("title")

    def rows():
        return [(model.index(r, number).data(), model.index(r, title).data()) for r in range(model.rowCount())]

    assert rows() == [
        ("1-01", "Double 1-1"), ("1-02", "Double 1-2"), ("2-01", "Double 2-1"), ("2-02", "Double 2-2"),
        ("1-01", "Set 1-1"), ("1-02", "Set 1-2"), ("2-01", "Set 2-1"), ("2-02", "Set 2-2"),
        ("1", "Single 1"), ("2", "Single 2"), ("10", "Single 10")]
    # Sorted by "#": disc, then track (a one-disc album's tracks among the first discs'), each
    # number's rows in library order; turned round as a whole.
    model.sort(number, Qt.AscendingOrder)
    assert rows() == [
        ("1-01", "Double 1-1"), ("1-01", "Set 1-1"), ("1", "Single 1"),
        ("1-02", "Double 1-2"), ("1-02", "Set 1-2"), ("2", "Single 2"), ("10", "Single 10"),
        ("2-01", "Double 2-1"), ("2-01", "Set 2-1"), ("2-02", "Double 2-2"), ("2-02", "Set 2-2")]
    model.sort(number, Qt.DescendingOrder)
    assert [t for _, t in rows()] == [
        "Double 2-2", "Set 2-2", "Double 2-1", "Set 2-1", "Single 10",
        "Double 1-2", "Set 1-2", "Single 2", "Double 1-1", "Set 1-1", "Single 1"]


def test_the_composer_column_shows_the_tag_and_sorts_by_it(qapp, store, tmp_path):
    # The composer was searched but shown nowhere: a classical shelf could not be read or
    # ordered by who wrote the music.
    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for n, (title, composer) in enumerate((("Prelude", "Johann Sebastian Bach"), ("Asturias", "Isaac Albéniz"),
                                           ("Jam", None), ("Gymnopédie", "Erik Satie")), 1):
        tags = {"title": title, "artist": "Player", "album": "Recital", "tracknumber": str(n)}
        if composer:
            tags["composer"] = composer
        write_track(music, f"{n:02d}", fmt="flac", seconds=0.2, tags=tags)
    Scanner(store).scan([str(music)])
    model = LibraryModel()
    model.set_library(load_library(store))
    keys = [k for k, _ in COLUMNS]
    column = keys.index("composer")
    assert model.headerData(column, Qt.Horizontal) == "Composer"

    def shown():
        return [(model.index(r, keys.index("title")).data(), model.index(r, column).data())
                for r in range(model.rowCount())]

    assert shown() == [("Prelude", "Johann Sebastian Bach"), ("Asturias", "Isaac Albéniz"), ("Jam", ""),
                       ("Gymnopédie", "Erik Satie")]
    assert model.index(0, column).data(Qt.ToolTipRole) == "Johann Sebastian Bach"
    model.sort(column, Qt.AscendingOrder)
    assert [t for t, _ in shown()] == ["Jam", "Gymnopédie", "Asturias", "Prelude"]     # (by the name as tagged)
    model.sort(column, Qt.DescendingOrder)
    assert [t for t, _ in shown()] == ["Prelude", "Asturias", "Gymnopédie", "Jam"]
    # A library without a composer tag anywhere has the column, empty, and sorts by it.
    model.set_library(LibraryData.from_rows([dict(id=1, title="A", artist="B", album="C", genre="", track_no=1,
                                                  year=0, duration=1.0)]))
    assert model.index(0, column).data() == ""
    model.sort(column, Qt.AscendingOrder)
    assert model.rowCount() == 1


def test_typing_an_accent_in_the_table_finds_it_written_decomposed_and_composed(qtbot):
    # A Mac writes "é" in file names as "e" and a combining accent, and tags taken from them
    # keep it so; a keyboard types it composed. The same letter either way.
    import unicodedata

    from PySide6.QtWidgets import QApplication, QTableView

    rows = library_rows(6, seed=3)
    artists = ["Adele", "Édith Piaf", "Beyoncé", "Eels", "Björk", "Étienne Daho"]
    for i, (r, artist) in enumerate(zip(rows, artists)):
        r["id"], r["artist"] = 1000 + i, unicodedata.normalize("NFD" if i % 2 else "NFC", artist)
    model = LibraryModel()
    model.set_library(LibraryData.from_rows(rows))
    column = [k for k, _ in COLUMNS].index("artist")
    model.sort(column, Qt.AscendingOrder)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    view.setFocus()
    view.setCurrentIndex(model.index(0, column))
    interval = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(1)          # each word typed on its own, without waiting
    try:
        for typed, artist in (("é", "Édith Piaf"), ("ét", "Étienne Daho"), ("beyoncé", "Beyoncé"),
                              ("bjö", "Björk"), (unicodedata.normalize("NFD", "éd"), "Édith Piaf"),
                              ("z", "Édith Piaf")):
            qtbot.wait(20)
            view.keyboardSearch(typed)
            assert unicodedata.normalize("NFC", view.currentIndex().data()) == artist, typed
        # The Composer column too, where the library has one.
        composers = ["Bach", "Dvořák", "Satie", "Albéniz", "Élgar", "Brahms"]
        cols = {k: [r[k] for r in rows] for k in ("id", "title", "artist", "album", "genre", "track_no", "year",
                                                   "duration")}
        cols["composer"] = [unicodedata.normalize("NFD" if i % 2 else "NFC", c) for i, c in enumerate(composers)]
        model.set_library(LibraryData.from_columns(cols))
        column = [k for k, _ in COLUMNS].index("composer")
        view.setCurrentIndex(model.index(0, column))
        for typed, composer in (("dvořá", "Dvořák"), (unicodedata.normalize("NFD", "él"), "Élgar"), ("alb", "Albéniz")):
            qtbot.wait(20)
            view.keyboardSearch(typed)
            assert unicodedata.normalize("NFC", view.currentIndex().data()) == composer, typed
    finally:
        QApplication.setKeyboardInputInterval(interval)


def test_typing_to_find_a_row_finds_what_folding_each_row_finds_without_folding_them(qapp, monkeypatch):
    # Typing in the table found the next row starting with what was typed by folding every
    # row's text at each key: 40-50 ms at 100,000 tracks, the window waiting. Each column now
    # keeps its folded text from when the library loads; a key must find the very same rows,
    # in the same order from where the search starts, whatever the case, the accents' form,
    # the sort, the search box, the column, and however many hits are asked for.
    import unicodedata

    from player.library import search
    from player.ui import queue_panel

    fold = search.typed_form
    rng = random.Random(11)
    names = ["Édith Piaf", "Étienne Daho", "Beyoncé", "Björk", "Straße", "STRASSE", "ﬁne", "Fine", "Σίσυφος",
             "İstanbul", "Dvořák", "Albéniz", "Eels", "édith", "", "Ångström", "a\U0001f3b5b"]
    rows = library_rows(1000, seed=5)
    for i, r in enumerate(rows):
        r["id"] = 1000 + i
        for key in ("title", "artist", "album", "genre"):
            if rng.random() < 0.3:
                name = rng.choice(names) + rng.choice(["", " " + r[key]])
                r[key] = unicodedata.normalize(rng.choice(["NFC", "NFD"]), rng.choice([name, name.upper()]))
    cols = {k: [r[k] for r in rows] for k in ("id", "title", "artist", "album", "genre", "track_no", "year",
                                               "duration")}
    cols["composer"] = [unicodedata.normalize(rng.choice(["NFC", "NFD"]), rng.choice(names)) for _ in rows]
    model = LibraryModel()
    model.set_library(LibraryData.from_columns(cols))
    keys = [k for k, _ in COLUMNS]
    text_columns = [keys.index(k) for k in ("title", "artist", "album", "genre", "composer")]

    def expected(shown, start, typed, hits, flags):
        order = list(range(start.row(), model.rowCount()))
        if flags & Qt.MatchFlag.MatchWrap:
            order += list(range(start.row()))
        wanted = fold(typed)
        found = [r for r in order if shown[r].startswith(wanted)]
        return found if hits == -1 else found[:hits]

    folds = []

    def counted(text, sensitive=False):
        folds.append(text)
        return fold(text, sensitive)

    keystrokes = answered = 0
    for sort, query in [(None, ""), (("artist", Qt.AscendingOrder), ""), (("title", Qt.DescendingOrder), "a"),
                        (("composer", Qt.AscendingOrder), "e")]:
        if sort is not None:
            model.sort(keys.index(sort[0]), sort[1])
        model.set_filter(query)
        assert model.rowCount() > 50
        for column in text_columns:
            shown = [fold(model.index(r, column).data()) for r in range(model.rowCount())]    # as the table shows it
            for _ in range(20):
                start = model.index(rng.randrange(model.rowCount()), column)
                text = model.index(rng.randrange(model.rowCount()), column).data()
                typed = rng.choice([text[: rng.randint(0, len(text) + 1)], text.upper()[:3], "zzq", "É", "e\u0301",
                                    unicodedata.normalize("NFD", text)[:2], "ss", "stras", "fi"])
                hits = rng.choice([1, 3, -1])
                flags = Qt.MatchFlag.MatchStartsWith | rng.choice([Qt.MatchFlag.MatchWrap, Qt.MatchFlag(0)])
                want = expected(shown, start, typed, hits, flags)
                with monkeypatch.context() as spy:
                    spy.setattr(queue_panel, "typed_form", counted)
                    spy.setattr(search, "typed_form", counted)
                    found = [i.row() for i in model.match(start, Qt.DisplayRole, typed, hits, flags)]
                keystrokes += 1
                answered += bool(found)
                assert found == want, (sort, query, keys[column], start.row(), typed, hits, flags)
    assert answered > keystrokes // 2        # (most keys find something: the rows compared are not all empty)
    # Only what was typed was folded, never the rows' text (which a key once folded by the thousand).
    assert len(folds) <= keystrokes


def test_a_release_whose_discs_name_their_artists_sort_name_in_two_ways_stays_together(qapp, store):
    # Disc 1 of a release tagged with the album artist's sort name, disc 2 (another tagger)
    # with only the artist's, and an older rip of the same title beside them: the library
    # orders all three under "Beatles, The", but the window took disc 2 for another artist's
    # album and listed the older rip between the release's two discs, where `segue play` and
    # Up next go from disc 1 to disc 2.
    from player.library.albums import library_order
    from player.library.names import Namer
    from player.library.search import load_library

    folder = store.add_folder("/music")
    beatles = {"artist": "The Beatles", "albumartist": "The Beatles", "artistsort": "Beatles, The", "album": "1"}
    store.upsert_tracks([{"size": 10, "mtime_ns": 1, "duration": 200.0, "folder_id": folder, "track_no": 1, **r}
                         for r in (
        {**beatles, "path": "/music/Beatles/1/CD1/01.flac", "title": "Love Me Do", "disc_no": 1,
         "albumartistsort": "Beatles, The", "mb_album_id": "release-1"},
        {**beatles, "path": "/music/Beatles/1/CD2/01.flac", "title": "Yesterday", "disc_no": 2,
         "mb_album_id": "release-1"},
        {**beatles, "path": "/music/Beatles/1/old rip/01.flac", "title": "Love Me Do (old rip)", "disc_no": 1,
         "albumartistsort": "Beatles, The"},
    )])
    titles = {r["id"]: r["title"] for r in store.tracks()}
    window = [titles[t] for t in load_library(store).ids.tolist()]
    assert window == ["Love Me Do", "Yesterday", "Love Me Do (old rip)"]
    rows = store.library_rows(["id", "title", "path", "folder_id", "artist", "albumartist", "album", "track_no",
                               "disc_no", "mb_album_id", "compilation", "folder_compilation", "artistsort",
                               "albumartistsort"])
    assert [titles[r["id"]] for r in library_order(rows, Namer.of(store))] == window


def test_albums_found_compilations_by_their_folder_are_listed_in_the_librarys_order(qapp, tmp_path):
    # The store orders a compilation found by its folder (no flag in its tags: a soundtrack)
    # under "Various Artists" as a flagged one; the window must find the same runs of one
    # release in it, or Up next and `segue play` go another way than the rows. Random small
    # libraries of shared titles, spread over disc folders, some numbers and flags missing; the
    # folder's finding is one per album folder, as the scan writes it.
    import random

    from player.library.albums import library_order
    from player.library.names import Namer
    from player.store import Store
    from player.library.search import load_library

    columns = ["id", "title", "path", "folder_id", "artist", "albumartist", "album", "track_no", "disc_no",
               "mb_album_id", "compilation", "folder_compilation", "artistsort", "albumartistsort"]
    differ = []
    for seed in range(150):
        rng = random.Random(seed)
        store = Store.open(tmp_path / f"library-{seed}.db")
        folder = store.add_folder("/music")
        rows = []
        for a in range(rng.randint(2, 5)):
            album, where = rng.choice(["Hits", "OST", "Live"]), f"/music/{rng.choice('ABC')}{a}"
            flag, by = rng.choice([None, 0, 1]), rng.choice([None, None, "Zed", "Various Artists", "abba"])
            rows += [{"size": 10, "mtime_ns": 1, "duration": 200.0, "folder_id": folder, "album": album,
                      "path": f"{where}/{rng.choice(['', 'CD1/', 'CD2/'])}{n:02d} {a}.mp3", "title": f"{a}-{n}",
                      "artist": rng.choice(["Moby", "abba", "Zed", "Bj\u00f6rk", "The Band"]), "albumartist": by,
                      "track_no": rng.choice([n, n, None]), "disc_no": rng.choice([None, 1, 2]), "compilation": flag}
                     for n in range(1, rng.randint(2, 5))]
        store.upsert_tracks(rows)
        found: dict[str, int] = {}
        store.set_folder_compilations({r["id"]: found.setdefault(r["path"].split("/")[2], rng.choice([0, 0, 1]))
                                       for r in store.tracks()})
        window = load_library(store).ids.tolist()
        if window != [r["id"] for r in library_order(store.library_rows(columns), Namer.of(store))]:
            differ.append(seed)
        store.close()
    assert differ == []


def test_titles_differing_only_by_accents_sort_together_in_the_library_order(qapp, store):
    # "Éclair", "Eclair" and "eclair" are one title to a listener: sorted by title they come
    # together among the E's (not "Éclair" after "Zebra", where character codes and SQLite's
    # NOCASE put it), the tie kept in the order the window and Up next list the library,
    # whichever way the column is turned.
    from benchmarks.library_gen import library_rows
    from player.library.albums import library_order
    from player.library.names import Namer
    from player.library.search import load_library

    specs = [("Zebra", "Z", "\u00c9clair"), ("Abba", "A", "Eclair"), ("\u00c9mile", "E", "eclair"),
             ("Emile", "F", "Ecole"), ("Eels", "B", "E\u0301clair"), ("Moby", "M", "Zebra"), ("Moby", "N", "Abc")]
    template = library_rows(1)[0]
    store.upsert_tracks([{**template, "artist": a, "albumartist": a, "album": al, "title": t, "track_no": 1,
                          "path": f"/m/{a}/{al}/{i}.flac"} for i, (a, al, t) in enumerate(specs)])
    title_of = {r["id"]: r["title"] for r in store.tracks()}
    listed = [r["id"] for r in library_order(store.tracks(), Namer.of(store))]
    model = LibraryModel()
    model.set_library(load_library(store))
    assert model.visible_ids() == listed
    col = [k for k, _ in COLUMNS].index("title")
    eclairs = [t for t in listed if search_form(title_of[t]) == "eclair"]
    model.sort(col, Qt.AscendingOrder)
    assert [title_of[t] for t in model.visible_ids()] == ["Abc", *[title_of[t] for t in eclairs], "Ecole", "Zebra"]
    model.sort(col, Qt.DescendingOrder)
    assert [title_of[t] for t in model.visible_ids()] == ["Zebra", "Ecole", *[title_of[t] for t in eclairs], "Abc"]


def test_a_song_hidden_before_a_cds_first_track_is_numbered_0_and_a_track_without_a_number_blank(
        qapp, tmp_path, store):
    # An album in one file whose sheet starts track 1 at 0:12: the 12 s before it are a track
    # of its own, number 0 (as XLD and CUETools rip it). Its "#" was blank, as a file with no
    # number's is, so it looked unnumbered at the top of a numbered album.
    import numpy as np

    from player.library.scanner import Scanner
    from player.library.search import load_library
    from tests.audiogen import tone, write_audio, write_track

    music = tmp_path / "music"
    (music / "Album").mkdir(parents=True)
    sr = 44100
    write_audio(music / "Album" / "Album.flac",
                np.concatenate([tone(s, freq=f, sr=sr) for s, f in ((12.0, 330.0), (2.0, 440.0), (2.0, 660.0))]), sr)
    (music / "Album" / "Album.cue").write_text(
        'PERFORMER "The Band"\nTITLE "One File"\nFILE "Album.flac" WAVE\n'
        '  TRACK 01 AUDIO\n    TITLE "First"\n    INDEX 01 00:12:00\n'
        '  TRACK 02 AUDIO\n    TITLE "Second"\n    INDEX 01 00:14:00\n', encoding="utf-8")
    write_track(music / "Loose", "loose", seconds=0.3, tags={"title": "Loose", "artist": "Zed", "album": "Zed"})
    Scanner(store).scan([str(music)])
    model = LibraryModel()
    model.set_library(load_library(store))
    shown = {model.index(r, 1).data(): model.index(r, 0).data() for r in range(model.rowCount())}
    assert shown == {"Track 00": "0", "First": "1", "Second": "2", "Loose": ""}
    # sorted by "#", track 0 goes before track 1
    model.sort(0, Qt.AscendingOrder)
    titles = [model.index(r, 1).data() for r in range(model.rowCount())]
    assert titles.index("Track 00") < titles.index("First") < titles.index("Second")


def test_a_query_typed_fast_over_a_big_library_is_filtered_once_for_what_it_says_at_its_end(qtbot):
    # Over a big library every key filtered and drew the table again: the first keys of a
    # query, which nearly every song matches, each held the window for passes nobody looks at.
    # Keys faster than the pause: the table keeps what it showed, and filters once, at the end.
    from player.ui.library_view import PAUSE_FROM, LibraryView

    rows, data = _data(PAUSE_FROM)
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    qtbot.addWidget(view)
    view.show()
    passes: list[str] = []
    model.layoutChanged.connect(lambda: passes.append(model._filter_text))
    typed = f"{rows[17]['title'].split()[0]} {rows[17]['artist'][:3]}"
    expected = _expected(rows, typed)
    assert 0 < len(expected) < len(rows)
    qtbot.keyClicks(view.search, typed)                 # (no events between the keys: faster than any pause)
    assert model.rowCount() == len(rows) and passes == []
    qtbot.waitUntil(lambda: model.visible_ids() == expected, timeout=10000)
    assert passes == [typed]
    assert view.count.text() == f"{len(expected):,} of {len(rows):,} tracks"
    # Return before the pause plays the first song of what was typed, not of what was shown.
    played = []
    view.play_requested.connect(lambda ids, start, source: played.append((ids[start], source)))
    view.search.clear()                                 # (an emptied box shows the library at once)
    assert model.rowCount() == len(rows) and passes[-1] == ""
    word = rows[40]["album"].split()[0]
    qtbot.keyClicks(view.search, word)
    qtbot.keyClick(view.search, Qt.Key_Return)
    assert played == [(_expected(rows, word)[0], "search")]
    assert passes[-1] == word and model.visible_ids() == _expected(rows, word)


def test_a_row_played_during_the_typing_pause_is_told_by_the_rows_shown_not_the_box(qtbot, monkeypatch):
    # Over a big library the box's words filter only after a pause. A song double-clicked in
    # it is one of the rows shown (the library's), and was logged as a play from a search
    # because the box held words; the plays' source feeds the history and the learner.
    from player.ui import library_view
    from player.ui.library_view import PAUSE_FROM, LibraryView

    # (a pause longer than the test: a loaded machine must not end it between the keys and the click)
    monkeypatch.setattr(library_view, "TYPING_PAUSE_MS", 600_000)
    rows, data = _data(PAUSE_FROM)
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    qtbot.addWidget(view)
    view.show()
    played = []
    view.play_requested.connect(lambda ids, start, source: played.append((ids[start], source)))

    def double_click_first_row():
        rect = view.table.visualRect(model.index(0, 1))
        # (a real double-click is press, release, then a double-click event: QTest sends only the last)
        qtbot.mouseClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())

    word = rows[40]["album"].split()[0]
    qtbot.keyClicks(view.search, word)      # (no events between the keys: before the pause)
    assert view.search_pending() and model.rowCount() == len(rows)
    first = model.track_id(0)
    double_click_first_row()
    assert played == [(first, "library")]
    view.apply_search()                     # (the pause's end)
    assert model.visible_ids() == _expected(rows, word)
    double_click_first_row()
    assert played[-1] == (_expected(rows, word)[0], "search")


def test_a_column_a_query_names_first_over_a_big_library_is_searched_on_a_worker_once(qtbot, monkeypatch):
    # "title:l" made the title column's search on the window's thread: 0.1 to 0.75 s held at
    # 100,000 tracks. Now a worker makes it, the rows of the search before shown meanwhile,
    # and the window never makes it too while the worker does.
    import threading

    from player.library import search
    from player.ui.library_model import FIELDS_AWAY_FROM
    from player.ui.library_view import LibraryView

    rows, data = _data(FIELDS_AWAY_FROM)
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    qtbot.addWidget(view)
    view.show()
    made, real, go = [], search.ColumnSearch.__init__, threading.Event()

    def held(self, values):
        on_worker = threading.current_thread() is not threading.main_thread()
        made.append(on_worker)
        if on_worker:
            go.wait(20)             # (until the test has seen the window meanwhile)
        real(self, values)

    monkeypatch.setattr(search.ColumnSearch, "__init__", held)
    played = []
    view.play_requested.connect(lambda ids, start, source: played.append(ids[start]))
    word = rows[17]["title"].split()[0]
    typed = f"title:{word}"
    expected = [r["id"] for r in rows if search_form(word) in search_form(r["title"])]
    assert 0 < len(expected) < len(rows)
    qtbot.keyClicks(view.search, typed)
    qtbot.keyClick(view.search, Qt.Key_Return)
    qtbot.waitUntil(lambda: bool(made), timeout=10000)
    assert made == [True] and view.search_pending()
    assert model.rowCount() == len(rows) and played == []       # (the rows before, nothing played yet)
    qtbot.keyClick(view.search, Qt.Key_Backspace)
    qtbot.keyClicks(view.search, word[-1])                      # (the same column again: not made twice)
    qtbot.keyClick(view.search, Qt.Key_Return)                  # (filtered at once: no pause to wait for)
    assert made == [True] and model.rowCount() == len(rows) and played == []
    go.set()
    qtbot.waitUntil(lambda: not view.search_pending(), timeout=20000)
    assert made == [True] and model.visible_ids() == expected
    assert played == [expected[0]]      # (Return typed meanwhile plays once the songs show, not before)


def test_a_column_search_made_on_a_worker_after_the_window_is_gone_is_dropped(qtbot, monkeypatch):
    # The window closed (its model freed with it) while a worker made a column's search: what
    # the worker handed back filtered a model Qt had already deleted, an error at the exit.
    import threading

    from PySide6.QtWidgets import QApplication, QWidget

    from player.library import search
    from player.ui.library_model import FIELDS_AWAY_FROM
    from player.workers import wait_all

    rows, data = _data(FIELDS_AWAY_FROM)
    owner = QWidget()
    model = LibraryModel(owner)
    model.set_library(data)
    real, go, started = search.ColumnSearch.__init__, threading.Event(), threading.Event()

    def held(self, values):
        if threading.current_thread() is not threading.main_thread():
            started.set()
            go.wait(20)
        real(self, values)

    monkeypatch.setattr(search.ColumnSearch, "__init__", held)
    model.set_filter(f"title:{rows[17]['title'].split()[0]}")
    assert model.search_pending() and started.wait(10)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(model), timeout=5000)
    go.set()
    assert wait_all(20000)
    QApplication.processEvents()    # (the worker's result, posted as it ended, delivered here: an error fails the test)


def test_a_column_search_the_worker_failed_to_make_is_made_on_the_window_thread(qtbot, monkeypatch):
    # A worker that fails to make a column's search: it is made here, on the window's thread,
    # as before there was a worker, and the box's words show (asked of a worker again, it looped).
    import threading

    from player.library import search
    from player.ui.library_model import FIELDS_AWAY_FROM

    rows, data = _data(FIELDS_AWAY_FROM)
    model = LibraryModel()
    model.set_library(data)
    real, made = search.ColumnSearch.__init__, []

    def failing_away(self, values):
        on_worker = threading.current_thread() is not threading.main_thread()
        made.append(on_worker)
        if on_worker:
            raise MemoryError("no room on the worker")
        real(self, values)

    monkeypatch.setattr(search.ColumnSearch, "__init__", failing_away)
    word = rows[17]["title"].split()[0]
    model.set_filter(f"title:{word}")
    qtbot.waitUntil(lambda: not model.search_pending(), timeout=20000)
    assert made == [True, False]
    assert model.visible_ids() == [r["id"] for r in rows if search_form(word) in search_form(r["title"])]


def test_words_typed_just_before_a_big_library_is_read_again_filter_the_library_read(qtbot):
    # The pause that ends the typing over a big library can end after a reload landed: the
    # words then filter the library now shown, not the one they were typed over.
    from player.ui.library_view import PAUSE_FROM, LibraryView

    rows, data = _data(PAUSE_FROM)
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    qtbot.addWidget(view)
    typed = rows[17]["title"].split()[0]
    qtbot.keyClicks(view.search, typed)
    assert view.search_pending() and model.rowCount() == len(rows)
    again = rows[: len(rows) // 2] + [dict(rows[17], id=99_999_999)]     # (half gone, one song new)
    model.set_library(LibraryData.from_rows(again))
    qtbot.waitUntil(lambda: not view.search_pending(), timeout=10000)
    assert model.visible_ids() == _expected(again, typed) and 99_999_999 in model.visible_ids()
    assert view.count.text() == f"{model.rowCount():,} of {len(again):,} tracks"


def test_a_column_search_typed_after_a_big_library_was_asked_for_is_made_on_a_worker_when_it_lands(qtbot, monkeypatch):
    # A library asked for before "title:" was typed lands without that column's search: made
    # as the library replaced the one shown, it held the window as long as typing it did
    # before it was made on a worker. It is made on a worker too, the search before shown
    # meanwhile, and the box's words filter once it is made.
    import threading

    from player.library import search
    from player.ui.library_model import FIELDS_AWAY_FROM

    rows, data = _data(FIELDS_AWAY_FROM)
    model = LibraryModel()
    model.set_library(data)
    real, on_gui = search.ColumnSearch.__init__, []

    def noted(self, values):
        on_gui.append(threading.current_thread() is threading.main_thread())
        real(self, values)

    monkeypatch.setattr(search.ColumnSearch, "__init__", noted)
    word = rows[17]["title"].split()[0]
    model.set_filter(f"title:{word}")
    again = rows[: len(rows) - 1] + [dict(rows[17], id=99_999_999)]       # (one gone, one song new)
    model.set_library(LibraryData.from_rows(again))        # (read without the column's search)
    assert model.search_pending() and model.rowCount() == len(again)
    qtbot.waitUntil(lambda: not model.search_pending(), timeout=20000)
    assert on_gui and not any(on_gui)
    assert model.visible_ids() == [r["id"] for r in again if search_form(word) in search_form(r["title"])]
