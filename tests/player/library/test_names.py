"""Names for tracks without tags: file name as title, folders as album and artist."""

from __future__ import annotations

from player.library.names import Namer, path_names, path_numbers, track_names


def test_file_and_folders_inside_the_library_folder():
    assert path_names("/m/Game OSTs/Zelda/01 Overworld.mp3", "/m") == ("01 Overworld", "Game OSTs", "Zelda")
    assert path_names("/m/Zelda/01 Overworld.mp3", "/m") == ("01 Overworld", "", "Zelda")
    assert path_names("/m/Overworld.flac", "/m") == ("Overworld", "", "")         # the library folder says nothing
    assert path_names("/m/a/Zelda/Disc 2/x.ogg", "/m") == ("x", "a", "Zelda")      # a disc folder is skipped
    assert path_names("/m/a/Zelda/cd1/x.ogg", "/m/") == ("x", "a", "Zelda")
    assert path_names("/elsewhere/Album/x.y.wav", "/m") == ("x.y", "", "Album")    # not below it: own folder only
    assert path_names("/some/Album/song.mp3") == ("song", "", "Album")


def test_tags_win_and_what_was_guessed_is_known():
    row = {"path": "/m/Artist Folder/Album Folder/track.mp3", "title": None, "artist": None, "album": "Real"}
    names = track_names(row, "/m")
    assert (names.title, names.artist, names.album) == ("track", "Artist Folder", "Real")
    assert names.guessed == {"title", "artist"}
    tagged = track_names({**row, "title": "T", "artist": None, "albumartist": "AA"}, "/m")
    assert (tagged.title, tagged.artist, tagged.album, tagged.guessed) == ("T", "AA", "Real", frozenset())


def test_namer_uses_each_tracks_library_folder():
    namer = Namer([{"id": 1, "path": "/m"}, {"id": 2, "path": "/m/Inner"}])
    row = {"path": "/m/Inner/Album/t.mp3", "title": None, "artist": None, "album": None}
    assert (namer({**row, "folder_id": 1}).artist, namer({**row, "folder_id": 2}).artist) == ("Inner", "")
    assert namer({**row, "folder_id": 2}).album == "Album"


def test_numbers_from_file_names_and_disc_folders():
    assert path_numbers("/m/Zelda/CD2/07 - Boss.mp3") == (7, 2)
    assert path_numbers("/m/Zelda/01 Overworld.mp3") == (1, None)
    assert path_numbers("/m/Zelda/07. Song.ogg") == (7, None)
    assert path_numbers("/m/Zelda/1-03 Song.flac") == (3, 1)              # disc-track
    assert path_numbers("/m/Zelda/Disc 1/12_x.mp3") == (12, 1)
    # A year, a number inside the name, a 0: no track number.
    for name in ("1985 Demo.mp3", "Song 2.mp3", "00 Hidden.mp3", "Overworld.mp3"):
        assert path_numbers(f"/m/Zelda/{name}") == (None, None)


def test_disc_folders_as_rippers_and_shops_name_them_are_discs_of_one_album():
    # Only "CD2" or "Disc 2" were taken for a disc: "Disc One", "CD 2 - Bonus" or "CD1 of 2"
    # made each disc an album of its own (named after the folder), apart from its other discs.
    from player.library.names import album_folder

    for folder, disc in (("Disc One", 1), ("Disc Two", 2), ("CD1 of 2", 1), ("CD 2 - Bonus", 2),
                         ("Disc 1 (Live)", 1), ("Disc 2: The B-Sides", 2), ("CD 1 [Remastered]", 1),
                         ("disk-3", 3), ("CD10", 10)):
        path = f"/m/Band/Box/{folder}/03 Song.flac"
        assert path_numbers(path) == (3, disc), folder
        assert album_folder(path) == "/m/Band/Box", folder
        assert path_names(path, "/m")[1:] == ("Band", "Box"), folder
    # Albums that only begin like a disc folder stay albums.
    for folder in ("CD 2 Go", "Discography", "Disco 1", "CDs", "Disc Oneness"):
        path = f"/m/Band/{folder}/03 Song.flac"
        assert album_folder(path) == f"/m/Band/{folder}", folder
        assert path_names(path, "/m")[2] == folder, folder


def test_an_album_title_that_ends_with_its_disc_names_that_disc_of_the_album():
    # "The Wall (Disc 1)" and "The Wall (Disc 2)": one album, "The Wall", discs 1 and 2.
    from player.library.names import release_folder, title_disc

    for title, disc in (("The Wall (Disc 1)", 1), ("The Wall [CD2]", 2), ("The Wall - CD 2", 2),
                        ("The Wall (disc 2)", 2), ("The Wall, Disc 2", 2), ("The Wall (Disc One)", 1),
                        ("The Wall: Disc Two", 2), ("The Wall (CD 1 of 2)", 1), ("The Wall \u2013 Disk 3", 3)):
        assert title_disc(title) == ("The Wall", disc), title
    # Only a disc with its number, at the end, behind a bracket or a separator.
    for title in ("Disc 2 Love", "CD", "Hits Vol. 2", "Best of CD", "Album - CD 2 Go", "(Disc 1)",
                  "Album (Disc 0)", "Album Disc 2", "Greatest Hits 2", "The Disco 2", "Album (Discotheque 1)"):
        assert title_disc(title) == (title, None), title
    assert release_folder("/m/Band/The Wall (Disc 2)/01 Song.flac") == "/m/Band/The Wall"
    assert release_folder("/m/Band/The Wall/CD2/01 Song.flac") == "/m/Band/The Wall"
    assert release_folder("/m/Band/Disc 2 Love/01 Song.flac") == "/m/Band/Disc 2 Love"
