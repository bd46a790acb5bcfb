"""Files opened by name (``segue play PATH``, ``segue --open``): the tracks they are."""

from __future__ import annotations

import os

import pytest

from player.library.open_files import tracks_for
from player.library.scanner import Scanner
from tests.audiogen import write_tags, write_track


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symbolic links")
@pytest.mark.parametrize("scanned_through_link", [False, True])
def test_a_file_opened_through_a_link_is_the_library_track_it_is(store, tmp_path, scanned_through_link):
    # One file is one track (as in a scan): its plays go to the track the library has,
    # whichever path, real or linked, the library or the person used.
    music = tmp_path / "music"
    write_track(music / "album", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    link = tmp_path / "linked-music"
    link.symlink_to(music, target_is_directory=True)
    Scanner(store).scan([str(link if scanned_through_link else music)])
    (track,) = store.tracks()
    other = music if scanned_through_link else link
    for path in (other / "album", other / "album" / "song.flac"):
        ids, problems = tracks_for(store, [str(path)])
        assert (ids, problems) == ([track["id"]], [])
    assert len(store.tracks()) == 1


def test_a_file_outside_the_library_is_read_again_once_it_changed(store, tmp_path):
    downloads = tmp_path / "downloads"
    path = write_track(downloads, "x", fmt="flac", seconds=1.0, tags={"title": "Song A", "artist": "Alpha"})
    (first,), _ = tracks_for(store, [str(path)])
    store.end_play(store.start_play(first), "finished", 1000)
    # Retagged (the same length): the same track, its new names.
    write_track(downloads, "x", fmt="flac", seconds=1.0, tags={"title": "Song A (Live)", "artist": "Alpha"})
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    assert tracks_for(store, [str(path)])[0] == [first]
    assert store.track(first)["title"] == "Song A (Live)"
    # Saved over with another song: a new track, and the first keeps its play.
    write_track(downloads, "x", fmt="flac", seconds=3.0, tags={"title": "Song B", "artist": "Beta"})
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 2 * 10**9))
    (second,), _ = tracks_for(store, [str(path)])
    assert second != first
    assert (store.track(second)["title"], store.track(second)["duration"]) == ("Song B", pytest.approx(3.0, abs=0.01))
    assert [p["track_id"] for p in store.plays()] == [first]


@pytest.mark.skipif(os.name == "nt", reason="a file rewritten in place keeps its change mark on Windows")
def test_a_file_outside_the_library_retagged_keeping_its_time_is_read_again(store, tmp_path):
    # A tagger told to keep the modification time: the same size (the padding takes the
    # edit) and time, only the status-change time says it was written. Opened again, the
    # track showed the old title until the file's time moved.
    downloads = tmp_path / "downloads"
    path = write_track(downloads, "x", fmt="flac", seconds=1.0, tags={"title": "Song A", "artist": "Alpha"})
    (first,), _ = tracks_for(store, [str(path)])
    store.end_play(store.start_play(first), "finished", 1000)
    st = os.stat(path)
    write_tags(path, title="Song A (Live)")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    while os.stat(path).st_ctime_ns == store.track(first)["ctime_ns"]:     # (the clock may tick coarsely)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert tracks_for(store, [str(path)])[0] == [first]
    assert store.track(first)["title"] == "Song A (Live)"
    assert [p["track_id"] for p in store.plays()] == [first]


def test_a_file_outside_the_library_unreadable_a_while_then_another_song_is_a_new_track(store, tmp_path):
    # Opened while cut short, the track keeps its song's names; another song saved there
    # since is a new track, and the first keeps its play.
    downloads = tmp_path / "downloads"
    path = write_track(downloads, "x", fmt="flac", seconds=1.0, tags={"title": "Song A", "artist": "Alpha"})
    (first,), _ = tracks_for(store, [str(path)])
    store.end_play(store.start_play(first), "finished", 1000)
    path.write_bytes(path.read_bytes()[:40])
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    tracks_for(store, [str(path)])
    assert store.track(first)["last_error"] and store.track(first)["title"] == "Song A"
    write_track(downloads, "x", fmt="flac", seconds=3.0, tags={"title": "Song B", "artist": "Beta"})
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 2 * 10**9))
    (second,), _ = tracks_for(store, [str(path)])
    assert second != first and store.track(second)["title"] == "Song B"
    assert store.track(first)["title"] == "Song A" and [p["track_id"] for p in store.plays()] == [first]


def test_a_folder_plays_as_its_album_does_and_files_given_play_in_their_order(store, tmp_path):
    album = tmp_path / "album"
    for n in (1, 2, 3, 10, 11):
        # Named so that their names sort otherwise than their numbers.
        write_track(album, f"{12 - n} take", fmt="flac", seconds=0.2,
                    tags={"title": f"Song {n}", "artist": "A", "album": "B", "tracknumber": str(n)})
    loose = tmp_path / "loose"
    for name in ("10 x", "9 x", "1 x", "00 intro", "²x"):
        write_track(loose, name, fmt="flac", seconds=0.2, tags={"artist": "A"})
    ids, _ = tracks_for(store, [str(album)])
    assert [store.track(t)["title"] for t in ids] == [f"Song {n}" for n in (1, 2, 3, 10, 11)]
    ids, _ = tracks_for(store, [str(loose)])                     # no tags to number them: the names
    assert [os.path.basename(store.track(t)["path"]) for t in ids] == [
        "00 intro.flac", "1 x.flac", "9 x.flac", "10 x.flac", "²x.flac"]
    given = [str(loose / "9 x.flac"), str(loose / "1 x.flac")]
    ids, _ = tracks_for(store, given)
    assert [store.track(t)["path"] for t in ids] == given


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symbolic links")
def test_a_folder_of_links_plays_in_its_own_order_not_that_of_the_files_they_lead_to(store, tmp_path):
    lib = tmp_path / "lib"
    b = write_track(lib / "B", "y", fmt="flac", seconds=0.2, tags={"title": "B one", "artist": "A"})
    a = write_track(lib / "A", "x", fmt="flac", seconds=0.2, tags={"title": "A two", "artist": "A"})
    Scanner(store).scan([str(lib)])
    mix = tmp_path / "mix"
    mix.mkdir()
    (mix / "01 first.flac").symlink_to(b)
    (mix / "02 second.flac").symlink_to(a)
    ids, _ = tracks_for(store, [str(mix)])
    assert [store.track(t)["title"] for t in ids] == ["B one", "A two"]
    assert len(store.tracks()) == 2


def test_a_folder_plays_the_discs_of_an_album_tagged_as_albums_of_their_own_in_disc_order(store, tmp_path):
    # "Set (Disc 1)" and "Set (Disc 2)" ripped into one folder, numbered from 1 each, no disc
    # tags: they took turns, as the file names sort.
    album = tmp_path / "album"
    for disc in (1, 2):
        for n in (1, 2):
            write_track(album, f"{n:02d} d{disc}", fmt="flac", seconds=0.2, tags={
                "title": f"{disc}-{n}", "artist": "A", "album": f"Set (Disc {disc})", "tracknumber": str(n)})
    ids, _ = tracks_for(store, [str(album)])
    assert [store.track(t)["title"] for t in ids] == ["1-1", "1-2", "2-1", "2-2"]


def test_a_folder_plays_a_file_named_by_a_title_that_looks_like_disc_and_track_in_its_place(store, tmp_path):
    # "7-11" (track 2, named by its title) is no disc 7: it played last.
    album = tmp_path / "album"
    for n, name in ((1, "Intro"), (2, "7-11"), (3, "Outro")):
        write_track(album, name, fmt="flac", seconds=0.2,
                    tags={"title": name, "artist": "A", "album": "B", "tracknumber": str(n)})
    ids, _ = tracks_for(store, [str(album)])
    assert [store.track(t)["title"] for t in ids] == ["Intro", "7-11", "Outro"]


def test_a_playlist_from_another_computer_opened_plays_the_library_songs_it_names(store, tmp_path):
    # Opened (not imported), a foobar2000 playlist naming D:\Music\... played nothing: each
    # path was looked for on this disk only, and its web radio line was dropped without a word.
    music = tmp_path / "music"
    write_track(music / "Artist" / "Album", "01 Song", fmt="flac", tags={"title": "Song", "artist": "Artist"})
    write_track(music / "Sorted" / "Elsewhere", "other name", fmt="flac", tags={"title": "Moved", "artist": "Band"})
    Scanner(store).scan([str(music)])
    song = store.track_by_path(str(music / "Artist" / "Album" / "01 Song.flac"))["id"]
    moved = store.track_by_path(str(music / "Sorted" / "Elsewhere" / "other name.flac"))["id"]
    mix = tmp_path / "mix.m3u"
    mix.write_bytes("#EXTM3U\r\nD:\\Music\\Artist\\Album\\01 Song.flac\r\n"
                    "#EXTINF:200,Band - Moved\r\nD:\\Rips\\Band\\Moved.mp3\r\n"
                    "http://radio.example/live\r\nD:\\Music\\Gone\\Nowhere.flac\r\n".encode("cp1252"))
    ids, problems = tracks_for(store, [str(mix)])
    assert ids == [song, moved]
    assert problems[0][0] == "D:\\Music\\Gone\\Nowhere.flac"
    assert problems[1:] == [("http://radio.example/live",
                             "a web address: Segue plays files on this computer, without going online")]
    assert len(store.tracks()) == 2                     # nothing stored for what is not here


def test_a_playlist_named_only_with_dots_is_opened_as_a_playlist(store, tmp_path):
    # A mix called "..." is saved as "....m3u8": read as what follows the last dot, as a file
    # manager and the scanner read it, it is a playlist, where os.path.splitext saw no
    # extension and the file was taken for a song that could not be read.
    song = write_track(tmp_path / "music", "song", fmt="flac", seconds=0.2, tags={"title": "Song", "artist": "A"})
    mix = tmp_path / "....m3u8"
    mix.write_text(f"#EXTM3U\n{song}\n", encoding="utf-8")
    ids, problems = tracks_for(store, [str(mix)])
    assert problems == []
    assert [store.track(t)["path"] for t in ids] == [str(song)]
