"""The library's default order is the order people sort names, the same through each path
that orders it: the store's SQL (its stored keys), the window's load, ``segue play``'s search,
and the Python order of the library (``player.library.albums.library_order``)."""

import sqlite3
import threading
import time

from player.library.albums import library_order
from player.library.names import Namer
from player.library.search import load_library
from player.store import Store
from segue_common.text import in_name_order

# In the order a person expects: signs, then numbers as numbers, then the Latin letters with
# case and accents aside, then other scripts (Cyrillic, then Japanese) at the end, by their
# Unicode blocks, as ``in_name_order`` keeps them.
ARTISTS = ["!!!", "'Til Tuesday", "2Pac", "10cc", "Björk", "dEUS", "Émilie Simon", "Ólafur Arnalds", "The The",
           "Кино", "坂本龍一"]


def _rows(folder: int) -> list[dict]:
    # (stored out of order, and with the names' numbers in the albums too)
    rows = [dict(path=f"/music/{i:02d}/01.flac", title=f"Song {i}", artist=name, album=f"{name} Live", track_no=1)
            for i, name in enumerate(reversed(ARTISTS))]
    rows += [dict(path=f"/music/vol/{album}.flac", title=album, artist="Various", album=album, track_no=1)
             for album in ("Vol. 10", "Vol. 2", "Vol. 1")]
    return [{"size": 10, "mtime_ns": 1, "duration": 200.0, "folder_id": folder, "genre": "Pop", **r} for r in rows]


EXPECTED = [(a, f"{a} Live") for a in ARTISTS[:9]] + [("Various", f"Vol. {n}") for n in (1, 2, 10)] + \
    [(a, f"{a} Live") for a in ARTISTS[9:]]


def test_the_default_order_is_natural_and_the_same_through_every_path(store):
    store.upsert_tracks(_rows(store.add_folder("/music")))
    names = [a for a, _ in EXPECTED]
    # (the expectation is the window's column sort's own order)
    assert [names[i] for i in in_name_order(names)] == names
    by_store = [(r["artist"], r["album"]) for r in store.library_rows(["artist", "album"])]
    assert by_store == EXPECTED
    by_search = [(r["artist"], r["album"]) for r in store.tracks_matching("pop", limit=None)]
    assert by_search == EXPECTED
    namer = Namer.of(store)
    by_python = [(r["artist"], r["album"]) for r in library_order(store.library_rows(_all(store)), namer)]
    assert by_python == EXPECTED
    data = load_library(store)
    titles = dict((r["id"], (r["artist"], r["album"])) for r in store.library_rows(["id", "artist", "album"]))
    assert [titles[int(i)] for i in data.ids] == EXPECTED
    ids = [r["id"] for r in store.library_rows(["id"])]
    assert store.library_order_ids() == ids
    assert store.library_order_of(list(reversed(ids))) == ids


def _all(store) -> list[str]:
    from player.library.albums import LIBRARY_ORDER_COLUMNS

    return list(LIBRARY_ORDER_COLUMNS)


def test_a_retag_moves_the_track_to_its_new_place(store):
    folder = store.add_folder("/music")
    store.upsert_tracks(_rows(folder))
    row = next(r for r in store.tracks() if r["artist"] == "10cc")
    store.upsert_tracks([{**{k: row[k] for k in ("path", "size", "mtime_ns", "duration", "folder_id", "genre",
                                                   "title", "album", "track_no")}, "artist": "Zz Top"}])
    artists = [r["artist"] for r in store.library_rows(["artist"])]
    assert artists.index("Zz Top") == artists.index("Various") + 3 == len(artists) - 3   # (before Кино)
    assert "10cc" not in artists


def test_another_programs_writes_work_and_are_ordered_at_the_next_open(tmp_path):
    # The sqlite3 tool knows none of Segue's functions: its writes still go through (the keys
    # are plain columns, the triggers plain SQL), and the tracks it wrote take their places.
    path = tmp_path / "library.db"
    store = Store(path)
    store.upsert_tracks(_rows(store.add_folder("/music")))
    store.close()
    plain = sqlite3.connect(path)
    plain.execute("UPDATE tracks SET artist = 'Zz Top' WHERE artist = '2Pac'")
    plain.execute("INSERT INTO tracks (path, size, mtime_ns, artist, album, added_at, updated_at) "
                  "VALUES ('/music/new.flac', 1, 1, 'Aphex Twin', 'Drukqs', 0, 0)")
    plain.commit()
    plain.close()
    store = Store(path)
    artists = [r["artist"] for r in store.library_rows(["artist"])]
    assert artists[:4] == ["!!!", "'Til Tuesday", "10cc", "Aphex Twin"]
    assert artists.index("Zz Top") == artists.index("Various") + 3 == len(artists) - 3
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == 0
    store.close()


def test_a_name_that_is_not_utf8_gets_a_key_and_the_library_still_opens_and_writes(tmp_path):
    # Another program's artist in bad bytes (read back as lone surrogates), and one as a BLOB:
    # a key that kept the bad bytes could not be written, and the store then failed to open
    # and every later write of it (a logged play too) was rolled back.
    path = tmp_path / "library.db"
    store = Store(path)
    store.upsert_tracks(_rows(store.add_folder("/music")))
    store.close()
    plain = sqlite3.connect(path)
    plain.execute("UPDATE tracks SET artist = CAST(x'426af6726b' AS TEXT) WHERE artist = 'Björk'")
    plain.execute("UPDATE tracks SET artist = x'446555d3' WHERE artist = 'dEUS'")
    plain.commit()
    plain.close()
    store = Store(path)
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == 0
    keys = dict(store.execute("SELECT album, order_artist_key FROM tracks WHERE album IN ('Björk Live', 'dEUS Live')"))
    assert keys == {"Björk Live": "bj\ufffdrk", "dEUS Live": "deu\ufffd"}
    store.set_setting("after", "1")
    assert store.get_setting("after") == "1"
    store.close()


def test_a_write_is_kept_where_the_order_keys_cannot_be_made(tmp_path):
    # Another program's trigger refuses every key: the writes of the store (a setting, a new
    # track) still commit, the track unkeyed (sorting first) rather than the write lost.
    path = tmp_path / "library.db"
    store = Store(path)
    folder = store.add_folder("/music")
    store.close()
    plain = sqlite3.connect(path)
    plain.execute("CREATE TRIGGER refuse_keys BEFORE UPDATE OF order_artist_key ON tracks "
                  "WHEN NEW.order_artist_key IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused'); END")
    plain.commit()
    plain.close()
    store = Store(path)
    store.upsert_tracks(_rows(folder))
    store.set_setting("after", "1")
    store.close()
    store = Store(path)
    assert store.get_setting("after") == "1"
    assert len(store.library_rows(["id"])) == len(EXPECTED)
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == len(EXPECTED)
    store.close()


def test_opening_does_not_wait_for_another_writer_to_make_the_left_keys(tmp_path):
    # Tracks another program wrote have no keys; opening the library makes them, but while a
    # scan or the learner holds the write lock the window (which opens it on its own thread)
    # waited for it, up to the whole busy timeout. Now it opens at once and the keys are made
    # by the next write once the lock is free.
    path = tmp_path / "library.db"
    store = Store(path)
    store.upsert_tracks(_rows(store.add_folder("/music")))
    store.close()
    plain = sqlite3.connect(path, isolation_level=None)
    plain.execute("INSERT INTO tracks (path, size, mtime_ns, artist, album, added_at, updated_at) "
                  "VALUES ('/music/new.flac', 1, 1, 'Aphex Twin', 'Drukqs', 0, 0)")
    plain.execute("BEGIN IMMEDIATE")
    opened: list = []
    done = threading.Event()

    def open_it():
        try:
            opened.append(Store(path))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            opened.append(exc)
        done.set()

    thread = threading.Thread(target=open_it, daemon=True)
    start = time.monotonic()
    thread.start()
    try:
        waited = done.wait(10.0)
        took = time.monotonic() - start
    finally:
        plain.execute("ROLLBACK")
        plain.close()
    thread.join(60)
    store = opened[0]
    assert isinstance(store, Store), store
    assert waited, f"opening waited {took:.1f} s for another connection's write lock"
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == 1
    store.add_folder("/more")       # the next write, the lock free again
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == 0
    assert [r["artist"] for r in store.library_rows(["artist"])][4] == "Aphex Twin"
    store.close()
