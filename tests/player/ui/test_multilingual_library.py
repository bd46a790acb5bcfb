"""A library of many languages, tagged on a Mac (names decomposed) and on Windows (composed),
as its owner searches it: names typed without their accents, on any keyboard."""

from __future__ import annotations

import unicodedata

import pytest
from PySide6.QtCore import Qt

from player.ui.library_model import COLUMNS
from tests.audiogen import write_track

# (title, artist, album, the form its tags and folder are written in)
_SONGS = [
    ("Jóga", "Björk", "Homogénic", "NFC"),
    ("Hunter", "Björk", "Homogénic", "NFD"),
    ("Hoppípolla", "Sigur Rós", "Takk...", "NFD"),
    ("Symphony No. 9", "Antonín Dvořák", "Новый свет", "NFD"),
    ("Kickstart My Heart", "Mötley Crüe", "Dr. Feelgood", "NFC"),
    ("Halo", "Beyoncé", "I Am... Sasha Fierce", "NFD"),
    ("Near Light", "Ólafur Arnalds", "...and They Have Escaped", "NFD"),
    ("Straße", "Rammstein", "Rosenrot", "NFC"),
    ("夜に駆ける", "YOASOBI", "ＴＨＥ　ＢＯＯＫ", "NFC"),
    ("Группа крови", "Кино", "Группа крови", "NFC"),
    ("Track １２", "Émile Parisien", "Ærøskøbing", "NFD"),
    ("Zebra", "Zola Jesus", "Okovi", "NFC"),
    ("Orinoco Flow", "Enya", "Watermark", "NFC"),
]


@pytest.fixture
def polyglot(store, tmp_path):
    """A store holding ``_SONGS`` scanned from real files, each written in its own form."""
    from player.library.scanner import Scanner

    music = tmp_path / "music"
    for i, (title, artist, album, form) in enumerate(_SONGS):
        def written(text: str, form=form) -> str:
            return unicodedata.normalize(form, text)

        write_track(music / written(artist) / written(album), f"{i:02d}", fmt=("flac", "mp3", "ogg")[i % 3],
                    freq=220.0 + 20 * i, tags={"title": written(title), "artist": written(artist),
                                               "album": written(album), "tracknumber": str(i + 1)})
    Scanner(store).scan([str(music)])
    return store


_TYPED = [("bjork", ["Hunter", "Jóga"]), ("dvorak", ["Symphony No. 9"]), ("sigur ros", ["Hoppípolla"]),
          ("strasse", ["Straße"]), ("motley crue", ["Kickstart My Heart"]), ("beyonce", ["Halo"]),
          ("olafur arnalds", ["Near Light"]), ("the book", ["夜に駆ける"]), ("track 12", ["Track １２"]),
          ("кино", ["Группа крови"]), ("новыи свет", ["Symphony No. 9"]), ("aeroskobing", ["Track １２"]),
          ("BJÖRK", ["Hunter", "Jóga"]), (unicodedata.normalize("NFD", "björk"), ["Hunter", "Jóga"]),
          ("ｂｊｏｒｋ", ["Hunter", "Jóga"])]


def test_names_typed_without_accents_find_them_in_the_window_and_the_store(qtbot, polyglot, make_window):
    # Everyone's player (foobar2000, MusicBee, Spotify, Quod Libet) finds Björk by "bjork" and
    # Straße by "strasse"; and a name a Mac wrote decomposed is the same name as one Windows
    # wrote composed: one artist, one album.
    window = make_window(polyglot, with_player=False)
    title = [k for k, _ in COLUMNS].index("title")
    for typed, titles in _TYPED:
        window.library.search.clear()
        window.library.search.setText(typed)           # (key clicks type ASCII alone; it filters at once)
        assert sorted(window.model.index(r, title).data() for r in range(window.model.rowCount())) == titles, typed
        assert sorted(t["title"] for t in polyglot.tracks_matching(typed)) == titles, typed      # (`segue play`)
    tracks = polyglot.tracks()
    assert all(unicodedata.is_normalized("NFC", t[k]) for t in tracks for k in ("title", "artist", "album"))
    assert len({t["artist"] for t in tracks}) == len({a for _, a, _, _ in _SONGS})
    assert len({(t["artist"], t["album"]) for t in tracks}) == len({(a, b) for _, a, b, _ in _SONGS})


def test_typing_in_the_table_finds_a_name_typed_without_its_accents(qtbot, polyglot, make_window):
    # The table sorts "Émile" among the E's, accents aside; typing "emile" there found no row,
    # and typing "e" from the top went past Émile to Enya: only "é" found it.
    from PySide6.QtWidgets import QApplication

    window = make_window(polyglot, with_player=False)
    view, keys = window.library.table, [k for k, _ in COLUMNS]
    artist, title = keys.index("artist"), keys.index("title")
    window.model.sort(artist, Qt.AscendingOrder)
    shown = [window.model.index(r, artist).data() for r in range(window.model.rowCount())]
    assert shown.index("Émile Parisien") < shown.index("Enya") < shown.index("Mötley Crüe") < shown.index("Zola Jesus")
    view.setFocus()
    interval = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(1)          # each word typed on its own, without waiting
    try:
        for column, typed, found in ((artist, "emile", "Émile Parisien"), (artist, "e", "Émile Parisien"),
                                     (artist, "olafur", "Ólafur Arnalds"), (artist, "motley", "Mötley Crüe"),
                                     (artist, "antonin dvorak", "Antonín Dvořák"), (artist, "ｙｏａ", "YOASOBI"),
                                     (title, "strasse", "Straße"), (title, "hoppip", "Hoppípolla"),
                                     (title, "track 12", "Track １２")):
            view.setCurrentIndex(window.model.index(0, column))
            qtbot.wait(20)
            view.keyboardSearch(typed)
            assert view.currentIndex().data() == found, typed
    finally:
        QApplication.setKeyboardInputInterval(interval)


def test_names_guessed_from_a_macs_folders_are_the_names_its_tags_give(qtbot, store, tmp_path, make_window):
    # Files copied from a Mac keep its folder and file names decomposed; a song without tags
    # is shown by them. The artist a folder named was another string than the one its tagged
    # songs gave ("Sigur Rós" twice, alike to see, unequal to compare, copy or look up).
    from player.library.names import path_names
    from player.library.scanner import Scanner

    music, mac = tmp_path / "music", unicodedata.normalize("NFD", "Sigur Rós")
    write_track(music / "Sigur Rós" / "Takk", "01 Glósóli", tags={"title": "Glósóli", "artist": "Sigur Rós",
                                                                  "album": "Takk", "tracknumber": "1"})
    write_track(music / mac / unicodedata.normalize("NFD", "Ágætis byrjun"),
                unicodedata.normalize("NFD", "02 Svefn-g-englar"))
    Scanner(store).scan([str(music)])
    window = make_window(store, with_player=False)
    keys = [k for k, _ in COLUMNS]
    shown = {k: {window.model.index(r, keys.index(k)).data() for r in range(window.model.rowCount())}
             for k in ("title", "artist", "album")}
    assert shown == {"title": {"Glósóli", "02 Svefn-g-englar"}, "artist": {"Sigur Rós"},
                     "album": {"Takk", "Ágætis byrjun"}}
    assert path_names(f"{music}/{mac}/Takk/01 Gl\u006f\u0301so\u0301li.flac", str(music)) == (
        "01 Glósóli", "Sigur Rós", "Takk")


def test_the_album_column_files_a_ligature_and_full_width_letters_among_their_plain_letters(qtbot, polyglot,
                                                                                            make_window):
    # "Ærøskøbing" sorts as "Aeroskobing", among the A's (as Windows' and iTunes' sorting
    # files it), not after Z as in a Danish alphabet; "ＴＨＥ　ＢＯＯＫ" among the T's.
    window = make_window(polyglot, with_player=False)
    album = [k for k, _ in COLUMNS].index("album")
    window.model.sort(album, Qt.AscendingOrder)
    shown = list(dict.fromkeys(window.model.index(r, album).data() for r in range(window.model.rowCount())))
    assert shown.index("...and They Have Escaped") < shown.index("Ærøskøbing") < shown.index("Dr. Feelgood")
    assert shown.index("Takk...") < shown.index("ＴＨＥ\u3000ＢＯＯＫ") < shown.index("Watermark")
