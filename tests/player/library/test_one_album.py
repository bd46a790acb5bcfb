"""One album stays one album in the library and in Discover, whatever its tracks' tags lack.

Each test scans real files and reads what the window lists (``load_library``), what plays the
library in that order without the window (``library_order``: Up next, ``segue play``) and the
album Discover and the recommenders put each track on (``album_ids``)."""

from __future__ import annotations

from player.library.albums import LIBRARY_ORDER_COLUMNS, library_order
from player.library.names import Namer
from player.library.scanner import Scanner
from player.recommendations import album_ids
from player.library.search import load_library
from tests.audiogen import write_track

_ALBUM_COLUMNS = ("id", "path", "album", "artist", "albumartist", "albumartistsort", "compilation",
                  "folder_compilation", "mb_album_id", "track_no", "disc_no", "title", "folder_id")


def _song(folder, n, title, artist, album, **tags):
    tags = {"title": title, "artist": artist, "album": album, **tags}
    if n:
        tags["tracknumber"] = str(n)
    return write_track(folder, f"{n:02d} {title}" if n else title, seconds=0.2, tags=tags)


def _listed(store) -> list[str]:
    titles = {r["id"]: r["title"] for r in store.tracks()}
    window = [titles[t] for t in load_library(store).ids]
    played = [r["title"] for r in library_order(store.library_rows(LIBRARY_ORDER_COLUMNS), Namer.of(store))]
    assert played == window
    return window


def _albums(store) -> dict[str, str | None]:
    rows = store.library_rows(_ALBUM_COLUMNS)
    found = album_ids(rows, Namer.of(store))
    return {r["title"]: found[r["id"]] for r in rows}


def _scan(store, music):
    _song(music / "Pink Floyd", 1, "Dogs", "Pink Floyd", "Animals")
    Scanner(store).scan([str(music)])


def test_an_album_with_the_album_artists_sort_name_on_some_tracks_is_listed_once(store, tmp_path):
    # Picard wrote "Beatles, The" on the two tracks it matched: the album was listed under B
    # for those and again under T, after Pink Floyd, for the rest.
    music = tmp_path / "music"
    for n in (1, 2, 3, 4):
        sort = {"albumartistsort": "Beatles, The"} if n <= 2 else {}
        _song(music / "Abbey Road", n, f"Abbey {n}", "The Beatles", "Abbey Road", albumartist="The Beatles", **sort)
    _scan(store, music)
    assert _listed(store) == ["Abbey 1", "Abbey 2", "Abbey 3", "Abbey 4", "Dogs"]
    assert len({_albums(store)[f"Abbey {n}"] for n in (1, 2, 3, 4)}) == 1


def test_an_album_with_the_artists_sort_name_on_one_track_is_listed_once(store, tmp_path):
    # No album artist; one track edited by hand to sort as "Doors, The".
    music = tmp_path / "music"
    for n in (1, 2, 3):
        sort = {"artistsort": "Doors, The"} if n == 2 else {}
        _song(music / "L.A. Woman", n, f"Woman {n}", "The Doors", "L.A. Woman", **sort)
    _scan(store, music)
    assert _listed(store) == ["Woman 1", "Woman 2", "Woman 3", "Dogs"]


def test_an_artists_album_with_a_guest_named_first_is_one_album(store, tmp_path):
    # "Everlast & Santana" on Santana's album without an album artist: the window listed
    # that song under E, before Pink Floyd, and Discover took it for Everlast's album.
    music = tmp_path / "music"
    for n, title, artist in ((1, "Yaleo", "Santana"), (2, "Put Your Lights On", "Everlast & Santana"),
                             (3, "Smooth", "Santana feat. Rob Thomas")):
        _song(music / "Supernatural", n, title, artist, "Supernatural")
    _scan(store, music)
    assert _listed(store) == ["Dogs", "Yaleo", "Put Your Lights On", "Smooth"]
    albums = _albums(store)
    assert albums["Yaleo"] == albums["Put Your Lights On"] == albums["Smooth"] != albums["Dogs"]


def test_an_album_with_a_guest_named_first_and_its_album_artists_sort_name_on_some_tracks_groups_alike(
        store, tmp_path):
    # No album artist, the album artist's sort name on two tracks only and a guest named first
    # on one: the window leaves the tracks under the names they carry (the guest's song under
    # E), so Discover keeps that song apart too, where it took the whole album for Santana's.
    music = tmp_path / "music"
    for n, title, artist in ((1, "Yaleo", "Santana"), (2, "Put Your Lights On", "Everlast & Santana"),
                             (3, "Smooth", "Santana"), (4, "Maria Maria", "Santana")):
        sort = {"albumartistsort": "Santana"} if n >= 3 else {}
        _song(music / "Supernatural", n, title, artist, "Supernatural", **sort)
    _scan(store, music)
    listed = _listed(store)
    albums = _albums(store)
    # (each run of one album in the window's list is one album in Discover's, and the other way round)
    runs = [[listed[0]]]
    for before, title in zip(listed, listed[1:]):
        if albums[title] == albums[before]:
            runs[-1].append(title)
        else:
            runs.append([title])
    assert len(runs) == len({albums[t] for t in listed})
    assert albums["Yaleo"] == albums["Smooth"] == albums["Maria Maria"] != albums["Put Your Lights On"]


def test_a_compilation_without_track_numbers_or_album_artist_is_one_album_of_various_artists(store, tmp_path):
    # Files named "Song" with neither a track number nor an album artist: each song was an
    # album of its artist's, in the window and in Discover.
    music = tmp_path / "music"
    for title, artist in (("Alpha", "Zed"), ("Beta", "Abba"), ("Gamma", "Queen")):
        _song(music / "Party Mix", 0, title, artist, "Party Mix")
    _scan(store, music)
    data = load_library(store)
    assert [data.album_artist(t) for t in data.ids] == ["", "Various Artists", "Various Artists", "Various Artists"]
    assert _listed(store)[0] == "Dogs" and sorted(_listed(store)[1:]) == ["Alpha", "Beta", "Gamma"]
    albums = _albums(store)
    assert albums["Alpha"] == albums["Beta"] == albums["Gamma"] != albums["Dogs"]


def test_two_artists_albums_of_one_title_in_two_folders_stay_two_albums(store, tmp_path):
    # Abba's and Queen's "Greatest Hits", no album artist, one track of each with its sort
    # name: two albums, each under its own artist.
    music = tmp_path / "music"
    for artist in ("Abba", "Queen"):
        for n in (1, 2):
            sort = {"artistsort": f"{artist} (sort)"} if n == 1 else {}
            _song(music / artist / "Greatest Hits", n, f"{artist} {n}", artist, "Greatest Hits", **sort)
    _scan(store, music)
    assert _listed(store) == ["Abba 1", "Abba 2", "Dogs", "Queen 1", "Queen 2"]
    albums = _albums(store)
    assert albums["Abba 1"] == albums["Abba 2"] != albums["Queen 1"] == albums["Queen 2"]
    data = load_library(store)
    assert {data.album_artist(t) for t in data.ids} == {""}


def test_a_box_set_in_disc_folders_with_its_sort_name_on_one_disc_is_listed_once(store, tmp_path):
    # "CD1" tagged by a tagger with "Beatles, The", "CD2" by hand without: one release folder,
    # one album, listed under the one name.
    music = tmp_path / "music"
    for disc in (1, 2):
        sort = {"albumartistsort": "Beatles, The"} if disc == 1 else {}
        for n in (1, 2):
            _song(music / "White Album" / f"CD{disc}", n, f"White {disc}-{n}", "The Beatles", "The White Album",
                  albumartist="The Beatles", **sort)
    _scan(store, music)
    assert _listed(store) == ["White 1-1", "White 1-2", "White 2-1", "White 2-2", "Dogs"]
    assert len({_albums(store)[f"White {d}-{n}"] for d in (1, 2) for n in (1, 2)}) == 1


def test_two_artists_unnumbered_albums_of_one_title_in_two_folders_stay_two_albums(store, tmp_path):
    # Without numbers either: the rule for an unnumbered compilation looks at one folder only.
    music = tmp_path / "music"
    for artist in ("Abba", "Queen"):
        for title in ("One", "Two"):
            _song(music / artist / "Greatest Hits", 0, f"{artist} {title}", artist, "Greatest Hits")
    _scan(store, music)
    assert _listed(store) == ["Abba One", "Abba Two", "Dogs", "Queen One", "Queen Two"]
    albums = _albums(store)
    assert albums["Abba One"] == albums["Abba Two"] != albums["Queen One"] == albums["Queen Two"]
    assert {load_library(store).album_artist(t) for t in load_library(store).ids} == {""}


def test_a_folder_of_singles_without_an_album_or_with_a_placeholder_album_is_no_compilation(store, tmp_path):
    # A downloads folder of unnumbered songs by several artists: no album tag, or the
    # "Unknown Album" a ripper or downloader writes where it knows none, says nothing of one
    # album; each song stays its artist's (a real title, "Party Mix", is one compilation).
    music = tmp_path / "music"
    for title, artist in (("Alpha", "Zed"), ("Beta", "Abba")):
        _song(music / "Downloads", 0, title, artist, "Unknown Album")
    for title, artist in (("Gamma", "Queen"), ("Delta", "Muse")):
        _song(music / "Inbox", 0, title, artist, "")
    _scan(store, music)
    data = load_library(store)
    assert {data.album_artist(t) for t in data.ids} == {""}
    albums = _albums(store)
    assert albums["Alpha"] != albums["Beta"] and albums["Gamma"] != albums["Delta"]


def _full_sort(monkeypatch):
    # The plain order: each album under its one name sorted into the whole library again, as
    # the order does where an album has no row under that name; what moving each album's own
    # rows must come to.
    from player.library import albums
    from player.library import search

    monkeypatch.setattr(albums, "moved_together", lambda order, anchored, in_order: None)
    monkeypatch.setattr(search, "anchored", lambda named, artists: [(rows, None) for rows, _ in named])


def _orders(store) -> tuple[list[int], list[int]]:
    # (the window's rows, and library_order's)
    window = load_library(store).ids.tolist()
    return window, [r["id"] for r in library_order(store.library_rows(LIBRARY_ORDER_COLUMNS), Namer.of(store))]


def _stored(store, rows, **common) -> None:
    # ``rows`` in the one library folder "/music", each with ``common`` and a file's stamps
    folder = store.add_folder("/music")
    base = {"size": 10, "mtime_ns": 1, "duration": 200.0, "folder_id": folder, **common}
    store.upsert_tracks([{**base, **r} for r in rows])


def _releases_go_as_a_full_sort_puts_them(store, monkeypatch) -> None:
    # the window lists what library_order plays, and its releases come in the turns sorting
    # the whole library again gives them
    window, played = _orders(store)
    assert window == played
    _full_sort(monkeypatch)
    rows = {r["id"]: r for r in store.tracks()}
    assert _releases_in_turn(played, rows) == _releases_in_turn(_orders(store)[1], rows)


def test_an_album_without_a_row_under_its_one_name_is_sorted_into_the_library(store, monkeypatch):
    # Its album artist in two cases, and an empty sort tag (written by no scan, but a row the
    # store holds) on the tracks of one: every track goes by a name other than the one the
    # album goes by, so there is no row to move it to and the whole library is sorted again.
    _stored(store, (
        {"path": "/music/B/01.flac", "title": "Abbey 1", "track_no": 1, "album": "Abbey Road",
         "artist": "the beatles", "albumartist": "the beatles", "albumartistsort": ""},
        {"path": "/music/B/02.flac", "title": "Abbey 2", "track_no": 2, "album": "Abbey Road",
         "artist": "The Beatles", "albumartist": "The Beatles"},
        {"path": "/music/A/01.flac", "title": "Dogs", "track_no": 1, "album": "Animals", "artist": "Pink Floyd",
         "albumartist": "Pink Floyd"},
        {"path": "/music/Z/01.flac", "title": "Zed 1", "track_no": 1, "album": "Zed", "artist": "Zed"},
    ))
    titles = {r["id"]: r["title"] for r in store.tracks()}
    from player.library import albums

    reached = []
    moved_together = albums.moved_together
    monkeypatch.setattr(albums, "moved_together", lambda *a: reached.append(moved_together(*a)) or reached[-1])
    window, played = _orders(store)
    assert reached == [None]
    assert [titles[t] for t in played] == ["Dogs", "Abbey 1", "Abbey 2", "Zed 1"]
    assert window == played
    _full_sort(monkeypatch)
    assert _orders(store) == (played, played)


def test_a_track_without_a_release_id_moved_under_its_albums_one_name_goes_as_a_full_sort_puts_it(
        store, monkeypatch):
    # Two releases of "Live" in one folder, one under its album artist, one without an album
    # artist whose guest track carries no release id: moved under "Santana", that track went
    # on the release the moved rows alone carry, where sorting the library (and the window)
    # finds two in the folder, which tells nothing, and lists it apart after them.
    _stored(store, (
        {"path": "/music/Santana/Live/01 a.mp3", "title": "A1", "track_no": 1, "artist": "Santana",
         "albumartist": "Santana", "mb_album_id": "release-a"},
        {"path": "/music/Santana/Live/CD2/02 b.mp3", "title": "B2", "track_no": 2, "artist": "Santana",
         "mb_album_id": "release-b"},
        {"path": "/music/Santana/Live/CD2/01 b.mp3", "title": "B1", "track_no": 1, "artist": "Santana feat. Rob"},
    ), album="Live")
    _releases_go_as_a_full_sort_puts_them(store, monkeypatch)


def test_a_track_without_a_release_id_beside_an_album_moved_under_its_name_goes_as_a_full_sort_puts_it(
        store, monkeypatch):
    # The other way round: the album artist's track without a release id, beside the album
    # moved under that name whose guest track carries another release id in the same folder.
    # Its run under that name has two release ids in the folder with the moved album, which
    # tells nothing; without it, one, which it went on.
    _stored(store, (
        {"path": "/music/abba/Hits/CD1/01 a.mp3", "title": "A1", "track_no": 1, "artist": "abba",
         "albumartist": "abba", "mb_album_id": "release-a"},
        {"path": "/music/abba/Hits/CD1/03 a.mp3", "title": "A3", "track_no": 3, "disc_no": 1, "artist": "abba",
         "albumartist": "abba"},
        {"path": "/music/abba/Hits/CD2/04 a.mp3", "title": "A4", "track_no": 4, "artist": "abba",
         "albumartist": "abba", "mb_album_id": "release-a"},
        {"path": "/music/abba/Hits/02 b.mp3", "title": "B2", "track_no": 2, "artist": "abba"},
        {"path": "/music/abba/Hits/05 b.mp3", "title": "B5", "track_no": 5, "artist": "abba feat. Rob",
         "mb_album_id": "release-b"},
    ), album="Hits")
    _releases_go_as_a_full_sort_puts_them(store, monkeypatch)


def _releases_in_turn(order: list[int], rows: dict) -> list:
    # ``order`` with the releases of each run of one title in the order of their first track's
    # id: which of two releases of a title under one name comes first goes by where the
    # store's order puts the tracks under that name when an album is moved, and by its tracks
    # under the other name when the library is sorted again; each goes by one rule, in the
    # window and in library_order alike.
    from player.library.names import release_folder, title_disc

    def release(t):
        return rows[t]["mb_album_id"] or release_folder(rows[t]["path"])

    runs: list[list[list[int]]] = []
    for t in order:
        title = title_disc(rows[t]["album"])[0].casefold()
        if runs and runs[-1][0] == title:
            for held in runs[-1][1:]:
                if release(held[0]) == release(t):
                    held.append(t)
                    break
            else:
                runs[-1].append([t])
        else:
            runs.append([title, [t]])
    return [sorted(run[1:], key=min) for run in runs]


def test_albums_under_two_names_in_random_libraries_are_listed_as_a_full_sort_lists_them(tmp_path, monkeypatch):
    # Small libraries of shared titles, one artist's title in two folders, sort names on some
    # tracks only, guests named first, discs in tags or folders, some numbers and release ids
    # missing: each album under two names moved to its rows under its one name must give
    # what sorting the whole library again gives, and the window must list what library_order
    # plays.
    import random

    from player.store import Store

    cases = []
    for seed in range(150):
        rng = random.Random(seed)
        store = Store.open(tmp_path / f"library-{seed}.db")
        folder = store.add_folder("/music")
        rows = []
        for a in range(rng.randint(2, 6)):
            title = rng.choice(["Hits", "Live", "Abbey Road"])
            lead = rng.choice(["The Beatles", "Santana", "abba", "Zed", "Bj\u00f6rk"])
            by = rng.choice([None, None, lead])
            by_sort = rng.choice([None, lead[::-1], "Beatles, The"])
            own_sort = rng.choice([None, f"{lead}, sorted"])
            discs = rng.choice([[""], ["CD1/", "CD2/"]])
            for n in range(1, rng.randint(2, 6)):
                rows.append({
                    "size": 10, "mtime_ns": 1, "duration": 200.0, "folder_id": folder, "album": title,
                    "path": f"/music/{lead}/{a}/{title}/{rng.choice(discs)}{n:02d} {a}.mp3", "title": f"{a}-{n}",
                    "artist": rng.choice([lead, lead, lead, f"Everlast & {lead}", f"{lead} feat. Rob"]),
                    "albumartist": by, "albumartistsort": by_sort if rng.random() < 0.4 else None,
                    "artistsort": own_sort if rng.random() < 0.4 else None,
                    "track_no": rng.choice([n, n, n, None]), "disc_no": rng.choice([None, None, 1, 2]),
                    "mb_album_id": rng.choice([None, None, f"release-{a}"])})
        store.upsert_tracks(rows)
        cases.append((seed, store, _orders(store)))
    _full_sort(monkeypatch)
    differ = []
    for seed, store, (window, played) in cases:
        _, full_played = _orders(store)
        rows = {r["id"]: r for r in store.tracks()}
        store.close()
        if window != played or _releases_in_turn(played, rows) != _releases_in_turn(full_played, rows):
            differ.append(seed)
    assert differ == []
