"""The library's search, Qt-free (player.library.search), read from more than one thread."""

from __future__ import annotations

import sys
import threading

from benchmarks.library_gen import library_rows
from player.library.search import LibraryData, query_track_ids


def test_the_window_and_a_worker_search_one_library_at_once():
    # The playlists' worker works out the saved searches' songs from the library the window
    # searches as the person types (the GUI thread), and the GUI thread looks tracks up by id
    # meanwhile: both share its words' cache and its lazily made id lookup. Both threads
    # putting the oldest word out of a full cache at once raised KeyError in one of them, and
    # the id lookup was seen half made (AttributeError).
    rows = library_rows(800, seed=3)
    for i, r in enumerate(rows):
        r["id"] = 10 + i
    words = [a + b for a in "aeiou" for b in "nrstl"]          # more than the cache keeps
    expected = {w: query_track_ids(LibraryData.from_rows(rows), w)[0] for w in words}
    errors, wrong = [], []

    def search(data, start, k):
        try:
            start.wait()
            for i in range(120):
                word = words[(i * 7 + k) % len(words)]
                if query_track_ids(data, word)[0] != expected[word]:
                    wrong.append(word)
                if data.position(int(data.ids[i])) != i:
                    wrong.append(i)
        except Exception as error:          # (any: each one is a defect of the sharing)
            errors.append(repr(error))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)             # (the threads take turns between any two steps)
    try:
        for _ in range(80):
            data = LibraryData.from_rows(rows)
            start = threading.Barrier(4)
            threads = [threading.Thread(target=search, args=(data, start, k)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == [] and wrong == []


def _classical_shelf(music):
    """Movements named three ways: a FLAC's WORK tag (Vorbis comments, as foobar2000 and
    Picard write it) beside a plain movement title, an MP3's grouping (TIT1) with its movement
    name and number (MVNM, MVIN, as iTunes writes a work), and a title alone in the shape
    "Work: II. Movement". Plus a pop song whose grouping is a mood, not a work."""
    from mutagen import id3

    from tests.audiogen import write_tags, write_track

    flac = write_track(music / "eroica", "01", seconds=0.3, tags={
        "title": "Allegro con brio", "artist": "Berliner Philharmoniker", "album": "Symphonies 3 & 5",
        "tracknumber": "1"})
    write_tags(flac, work="Symphony No. 3 in E-flat major, Op. 55 \u201cEroica\u201d", composer="Ludwig van Beethoven",
               movementname="Allegro con brio", movement="1")
    mp3 = write_track(music / "pathetique", "02", fmt="mp3", seconds=0.3, tags={
        "title": "Adagio cantabile", "artist": "Maurizio Pollini", "album": "Piano Sonatas", "tracknumber": "2"})
    tags = id3.ID3(str(mp3))
    tags.add(id3.TIT1(encoding=3, text=["Piano Sonata No. 8 \u201cPath\u00e9tique\u201d"]))
    tags.add(id3.MVNM(encoding=3, text=["Adagio cantabile"]))
    tags.add(id3.MVIN(encoding=3, text=["2/3"]))
    tags.save()
    write_track(music / "goldberg", "01", fmt="ogg", seconds=0.3, tags={
        "title": "Cello Suite No. 1 in G major, BWV 1007: II. Allemande", "artist": "Yo-Yo Ma",
        "album": "Six Suites", "tracknumber": "2"})
    write_track(music / "pop", "01", seconds=0.3, tags={
        "title": "Sunny Day", "artist": "Band", "album": "Summer", "grouping": "Suite feelings"})


def test_a_works_movements_are_found_by_the_works_name_and_by_work(store, tmp_path):
    # A classical library names the work in WORK (or iTunes' grouping with a movement beside
    # it) and the movement in the title: "eroica" and "pathetique" found nothing, and the
    # query language had no work: field (foobar2000's %work%, MusicBee's Work, Quod Libet's
    # work). A grouping that is a mood ("Suite feelings") is no work and is not found by work:.
    from player.library.scanner import Scanner
    from player.library.search import load_library

    _classical_shelf(tmp_path / "music")
    Scanner(store).scan([str(tmp_path / "music")])
    data = load_library(store)
    titles = {r["id"]: r["title"] for r in store.tracks()}
    for text, found in [("eroica", ["Allegro con brio"]), ("pathetique cantabile", ["Adagio cantabile"]),
                        ("work:eroica", ["Allegro con brio"]), ('work:"op. 55"', ["Allegro con brio"]),
                        ("work:sonata", ["Adagio cantabile"]),
                        ("work:bwv", ["Cello Suite No. 1 in G major, BWV 1007: II. Allemande"]),
                        ("work:suite", ["Cello Suite No. 1 in G major, BWV 1007: II. Allemande"]),
                        ("work:allemande", []), ("-work:symphony beethoven", [])]:
        ids, problem = query_track_ids(data, text)
        assert problem == "", text
        assert sorted(titles[i] for i in ids) == sorted(found), text


def test_a_work_stored_as_a_number_or_as_bytes_by_another_program_is_searched_as_its_text(store, tmp_path):
    # The library may hold what another program wrote into it: a work column holding 5 or a
    # grouping holding bytes that are not UTF-8 must not stop the library loading or `segue
    # play`'s search (asked in SQL) from answering.
    from player.library.scanner import Scanner
    from player.library.search import load_library

    _classical_shelf(tmp_path / "music")
    Scanner(store).scan([str(tmp_path / "music")])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    store.execute("UPDATE tracks SET work = 1812, movement = 'x' WHERE id = ?", (ids["Allegro con brio"],))
    store.execute("UPDATE tracks SET grouping = CAST(x'ff536f6e617461' AS TEXT) WHERE id = ?",
                  (ids["Adagio cantabile"],))
    data = load_library(store)
    assert query_track_ids(data, "work:1812")[0] == [ids["Allegro con brio"]]
    assert query_track_ids(data, "work:sonata")[0] == [ids["Adagio cantabile"]]
    assert [r["id"] for r in store.tracks_matching("1812")] == [ids["Allegro con brio"]]
    assert [r["id"] for r in store.tracks_matching("sonata")] == [ids["Adagio cantabile"]]


def test_a_search_read_alone_finds_what_the_window_finds_in_its_order(store):
    # ``segue play``'s search reads the library without what only the table uses (its
    # columns' ranks, the index typing in it searches, the tooltips): the same tracks in the
    # same order, untagged files named by their paths and accented names placed as the
    # window places them.
    from player.library.search import load_library

    rows = library_rows(1200, seed=3)
    for k, r in enumerate(rows[:40]):
        r["title"] = r["artist"] = r["album"] = None          # named by their files and folders
        r["path"] = f"/generated/Untagged Band {k % 3}/Some Album/{k:02d} Song of Love.flac"
    for r in rows[40:80]:
        r["artist"] = r["albumartist"] = "\u00c9mile Zola Love"
    store.upsert_tracks(rows)
    whole, alone = load_library(store), load_library(store, shown=False)
    assert whole.guessed and whole.typed and whole._sort_keys            # (what the window uses, made)
    assert not alone.typed and not alone._sort_keys and "file" not in alone.text
    assert alone.ids.tolist() == whole.ids.tolist()
    for text in ("love", "title:love", "artist:emile", "title:\"song of love\"", "year:1990-2000",
                 "love -artist:emile", "plays:0 genre:jazz", "albumartist:zola"):
        found = query_track_ids(alone, text)
        assert found == query_track_ids(whole, text) and found[0], text
