"""A compilation tagged without saying so, found by the scanner by its folder."""

from __future__ import annotations

from player.library.scanner import Scanner
from tests.audiogen import write_track


def _song(folder, n, title, artist, album, **tags):
    return write_track(folder, f"{n:02d} {title}", seconds=0.2,
                       tags={"title": title, "artist": artist, "album": album, "tracknumber": str(n), **tags})


def _found(store) -> dict[str, int | None]:
    return {r["title"]: r["folder_compilation"] for r in store.tracks()}


def _soundtrack(music):
    # As files from the web come: the album title and each track's own artist, no album
    # artist and no compilation flag.
    for n, title, artist in ((1, "Main Theme", "Composer A"), (2, "Opening", "Band B"),
                             (3, "Love Song", "Singer C"), (4, "Finale", "Composer A")):
        _song(music / "Film Soundtrack", n, title, artist, "Film Soundtrack")


def test_a_soundtrack_without_album_artist_or_flag_is_one_album_in_the_library_order(store, tmp_path):
    # Its tracks were filed under each artist (Band B, Composer A twice, Singer C): the
    # library listed them 2, 1, 4, 3 between other artists' albums.
    music = tmp_path / "music"
    _soundtrack(music)
    _song(music / "Abba", 1, "Waterloo", "Abba", "Waterloo")
    _song(music / "Zed", 1, "Zing", "Zed", "Zed Album")
    Scanner(store).scan([str(music)])
    assert [r["title"] for r in store.library_rows(["title"])] == [
        "Waterloo", "Main Theme", "Opening", "Love Song", "Finale", "Zing"]
    assert _found(store) == {"Main Theme": 1, "Opening": 1, "Love Song": 1, "Finale": 1, "Waterloo": 0, "Zing": 0}


def test_loose_songs_that_share_a_title_stay_apart(store, tmp_path):
    # A "Singles" folder: one artist's "Greatest Hits" track 3 and another's track 4 (no first
    # track). Two artists' "Greatest Hits" in one folder, each numbered from 1 (a number
    # taken twice). A folder of one artist's songs of several titles. One artist's album with a
    # guest on a song. An album with its album artist. None is a compilation.
    music = tmp_path / "music"
    _song(music / "Singles", 3, "Waterloo", "Abba", "Greatest Hits")
    _song(music / "Singles", 4, "Lola", "Kinks", "Greatest Hits")
    for artist in ("Abba", "Kinks"):
        for n in (1, 2):
            _song(music / "Hits", n, f"{artist} {n}", artist, "Greatest Hits")
    _song(music / "Mixed", 1, "One", "Abba", "Arrival")
    _song(music / "Mixed", 2, "Two", "Kinks", "Arrival")
    _song(music / "Mixed", 3, "Three", "Kinks", "Lola Versus Powerman")
    _song(music / "Guest", 1, "Solo", "Moby", "Play")
    _song(music / "Guest", 2, "Duet", "Moby feat. Gwen Stefani", "Play")
    _song(music / "Tagged", 1, "Tagged 1", "Abba", "Duets", albumartist="Abba")
    _song(music / "Tagged", 2, "Tagged 2", "Kinks", "Duets", albumartist="Abba")
    Scanner(store).scan([str(music)])
    assert set(_found(store).values()) == {0}
    # The store's order keeps each artist's songs under that artist.
    titles = [r["title"] for r in store.library_rows(["title"])]
    assert titles.index("Waterloo") < titles.index("Kinks 1") < titles.index("Lola")


def test_a_soundtrack_on_two_discs_in_disc_folders_is_one_album(store, tmp_path):
    # No disc number in the tags: each disc's folder ("CD1", "CD2") numbers its tracks from 1.
    music = tmp_path / "music"
    for disc in (1, 2):
        for n, artist in ((1, "Composer A"), (2, "Band B")):
            _song(music / "Score" / f"CD{disc}", n, f"Cue {disc}-{n}", artist, "The Score")
    Scanner(store).scan([str(music)])
    assert set(_found(store).values()) == {1}


def test_the_next_scan_finds_the_album_again_when_its_folder_changes(store, tmp_path):
    # A track of another title put in the folder: the folder is no one album any more, and
    # its songs go back to their artists; taken out, the soundtrack is one again. A track
    # added to it later joins it.
    music = tmp_path / "music"
    _soundtrack(music)
    Scanner(store).scan([str(music)])
    stray = _song(music / "Film Soundtrack", 5, "Stray", "Band B", "Another Album")
    Scanner(store).scan([str(music)])
    assert set(_found(store).values()) == {0}
    stray.unlink()
    _song(music / "Film Soundtrack", 5, "End Credits", "Singer C", "Film Soundtrack")
    Scanner(store).scan([str(music)])
    assert {k: v for k, v in _found(store).items() if k != "Stray"} == {
        "Main Theme": 1, "Opening": 1, "Love Song": 1, "Finale": 1, "End Credits": 1}


def test_reading_tags_again_finds_the_album_again(store, tmp_path):
    # "Read tags again" on one track that now names an album artist: its folder is no
    # compilation any more, and its songs go back to their artists at once, not at the next scan.
    music = tmp_path / "music"
    _soundtrack(music)
    Scanner(store).scan([str(music)])
    assert set(_found(store).values()) == {1}
    _song(music / "Film Soundtrack", 2, "Opening", "Band B", "Film Soundtrack", albumartist="Band B")
    opening = next(r["id"] for r in store.tracks() if r["title"] == "Opening")
    Scanner(store).read_again([opening])
    assert set(_found(store).values()) == {0}


def test_playing_a_search_plays_the_soundtrack_in_its_order(store, tmp_path):
    # `segue play "film soundtrack"` goes by the library's order: by artist, the soundtrack
    # played 2, 1, 4, 3 (Band B, Composer A twice, Singer C).
    music = tmp_path / "music"
    _soundtrack(music)
    Scanner(store).scan([str(music)])
    assert [r["title"] for r in store.tracks_matching("film soundtrack")] == [
        "Main Theme", "Opening", "Love Song", "Finale"]


def test_a_soundtrack_numbered_on_from_disc_to_disc_is_one_album(store, tmp_path):
    # Some rips number the second disc on from the first (3 and 4, not 1 and 2), in disc
    # folders or with the disc number in the tags: its tracks are still one album's.
    music = tmp_path / "music"
    for disc, n, artist in ((1, 1, "Composer A"), (1, 2, "Band B"), (2, 3, "Composer A"), (2, 4, "Singer C")):
        _song(music / "Score" / f"CD{disc}", n, f"Cue {n}", artist, "The Score")
        _song(music / "Tagged", n, f"Track {n}", artist, "Tagged Score", discnumber=str(disc))
    Scanner(store).scan([str(music)])
    assert set(_found(store).values()) == {1}


def test_a_soundtrack_opened_from_outside_the_library_is_one_album(store, tmp_path):
    # Its folder opened from a file manager, never scanned: it plays as the library's would,
    # its joins without a crossfade. Only a folder opened is looked at: one of its files
    # opened alone later keeps what the folder showed.
    from player.audio.base import Source, follows_on
    from player.library.open_files import tracks_for
    from player.playback import album_place

    _soundtrack(tmp_path)
    ids, problems = tracks_for(store, [str(tmp_path / "Film Soundtrack")])
    assert problems == [] and len(ids) == 4
    assert set(_found(store).values()) == {1}
    places = [Source(r["path"], album_place=album_place(r)) for r in map(store.track, ids)]
    assert all(follows_on(a, b) for a, b in zip(places, places[1:]))
    tracks_for(store, [store.track(ids[2])["path"]])
    assert set(_found(store).values()) == {1}


def test_a_track_the_rule_cannot_read_costs_only_its_library_folder(store, tmp_path):
    # An album title stored as bytes (a database written by hand or by another tool): the
    # scan still ends as it did before the rule, and another library folder is looked at.
    first, second = tmp_path / "first", tmp_path / "second"
    _soundtrack(first)
    Scanner(store).scan([str(first)])
    store.execute("UPDATE tracks SET album = ? WHERE title = 'Opening'", (b"Film Soundtrack\xff",))
    store.conn.commit()
    _soundtrack(second)
    store.add_folder(str(second))
    Scanner(store).scan()
    assert [r["folder_compilation"] for r in store.tracks() if r["path"].startswith(str(second))] == [1] * 4


def test_an_artists_album_with_a_guest_named_first_stays_the_artists(store, tmp_path):
    # "Everlast & Santana" on Santana's album names another artist first, yet Santana is
    # credited on every track: the album is Santana's, not one of various artists.
    music = tmp_path / "music"
    for n, title, artist in ((1, "Yaleo", "Santana"), (2, "Put Your Lights On", "Everlast & Santana"),
                             (3, "Smooth", "Santana feat. Rob Thomas")):
        _song(music / "Supernatural", n, title, artist, "Supernatural")
    _soundtrack(music)
    Scanner(store).scan([str(music)])
    found = _found(store)
    assert {found[t] for t in ("Yaleo", "Put Your Lights On", "Smooth")} == {0}
    assert {found[t] for t in ("Main Theme", "Opening", "Love Song", "Finale")} == {1}


def test_a_soundtrack_with_a_bonus_track_without_a_number_or_an_intro_numbered_0_is_one_album(store, tmp_path):
    # One track without a number (a bonus track added by hand) or numbered 0 (an intro) made
    # the rule give up: the whole soundtrack was scattered under each of its artists.
    music = tmp_path / "music"
    _soundtrack(music)
    write_track(music / "Film Soundtrack", "Bonus", seconds=0.2,
                tags={"title": "Bonus", "artist": "Zed", "album": "Film Soundtrack"})
    for n, title, artist in ((0, "Intro", "Narrator"), (1, "Overture", "Composer A"), (2, "Duet", "Band B")):
        _song(music / "Musical", n, title, artist, "Musical")
    # Loose songs of one title stay apart however few are numbered: a "Singles" folder
    # holding one artist's "Greatest Hits" track 1 and another's without a number.
    _song(music / "Singles", 1, "Waterloo", "Abba", "Greatest Hits")
    write_track(music / "Singles", "Lola", seconds=0.2, tags={"title": "Lola", "artist": "Kinks",
                                                              "album": "Greatest Hits"})
    Scanner(store).scan([str(music)])
    found = _found(store)
    assert {title: found[title] for title in ("Main Theme", "Finale", "Bonus", "Intro", "Overture", "Duet")} == {
        "Main Theme": 1, "Finale": 1, "Bonus": 1, "Intro": 1, "Overture": 1, "Duet": 1}
    assert found["Waterloo"] == found["Lola"] == 0


def test_a_soundtrack_with_its_discs_named_in_its_file_names_is_one_album(store, tmp_path):
    # "1-01 Cue", "2-01 Cue" in one folder without disc tags, each disc numbered from 1: the
    # rule read one disc numbered 1, 1, 2, 2 and gave up, as the library orders two discs.
    music = tmp_path / "music"
    for disc in (1, 2):
        for n, artist in ((1, "Zed"), (2, "Amy"), (3, "Moe")):
            write_track(music / "Game OST", f"{disc}-{n:02d} Cue", seconds=0.2, tags={
                "title": f"Cue {disc}-{n}", "artist": artist, "album": "Game OST", "tracknumber": str(n)})
    Scanner(store).scan([str(music)])
    assert set(_found(store).values()) == {1}


def test_a_soundtracks_discs_tagged_as_albums_of_their_own_in_one_folder_are_one_album(store, tmp_path):
    # "Film (Disc 1)" and "Film (Disc 2)" in one folder, each disc numbered from 1, each track
    # its own artist: two titles in the folder, so no compilation, and its tracks went under
    # each artist apart. "Film" and "Film Extras" in one folder are still two titles.
    music = tmp_path / "music"
    for disc, songs in ((1, (("Theme", "Composer A"), ("Opening", "Band B"))),
                        (2, (("Love Song", "Singer C"), ("Finale", "Composer A")))):
        for n, (title, artist) in enumerate(songs, 1):
            write_track(music / "Film", f"{disc}{n:02d} {title}", seconds=0.2,
                        tags={"title": title, "artist": artist, "album": f"Film (Disc {disc})", "tracknumber": str(n)})
    _song(music / "Other", 1, "One", "Abba", "Other")
    _song(music / "Other", 2, "Two", "Kinks", "Other Extras")
    Scanner(store).scan([str(music)])
    assert _found(store) == {"Theme": 1, "Opening": 1, "Love Song": 1, "Finale": 1, "One": 0, "Two": 0}
    assert [r["title"] for r in store.library_rows(["title"])] == [
        "One", "Two", "Theme", "Opening", "Love Song", "Finale"]


def test_the_order_artist_worked_out_of_a_row_is_the_stores(store):
    # Up next and `segue play` put the store's rows in the window's order by the artist the
    # store orders by, worked out of each row: every way of tagging one must give the store's.
    import itertools

    from player.library.albums import order_artist

    names = (None, "The Band", "Band, The")
    rows = [{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": "t", "artist": artist,
             "albumartist": albumartist, "artistsort": artistsort, "albumartistsort": albumartistsort,
             "compilation": compilation}
            for i, (artist, albumartist, artistsort, albumartistsort, compilation)
            in enumerate(itertools.product(("The Band", "Other", None), names, names, (None, "Sorted"), (None, 0, 1)))]
    store.upsert_tracks(rows)
    store.set_folder_compilations({r["id"]: 1 for r in store.tracks()[::4]})
    columns = ["artist", "albumartist", "artistsort", "albumartistsort", "compilation", "folder_compilation"]
    got = [order_artist(r) or "" for r in store.library_rows(columns)]
    assert got == store.library_order_artists()
    assert {"The Band", "Band, The", "Various Artists", "Sorted", "Other", ""} <= set(got)


def test_an_albums_tracks_in_two_folders_go_by_folder_with_windows_paths_too(monkeypatch):
    # One album's tracks in two folders, numbered so that the store's order alternates them:
    # the window lists each folder's together. The check that an album is in its order
    # already split paths at "/" alone: on Windows every track was in one folder, and Up next
    # and `segue play` played them 1, 2, 3 where the window listed 1, 3, 2.
    import ntpath

    from player.library import albums

    def row(path, n):
        return {"path": path, "album": "Album", "mb_album_id": None, "disc_no": None, "track_no": n,
                "order_artist": "Band"}

    for sep, module in (("/", None), ("\\", ntpath)):
        if module is not None:
            monkeypatch.setattr(albums.os, "sep", sep)
            monkeypatch.setattr(albums.os, "path", module)
        m = sep.join(("C:" if module else "", "Music", "Band"))
        rows = [row(sep.join((m, "A", "01.flac")), 1), row(sep.join((m, "B", "02.flac")), 2),
                row(sep.join((m, "A", "03.flac")), 3)]
        got = [r["track_no"] for r in albums.in_album_order(rows)]
        monkeypatch.undo()
        assert got == [1, 3, 2], sep
