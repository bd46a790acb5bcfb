"""M3U8 files: written with relative paths, read back from anywhere the folder moves."""

from __future__ import annotations

import shutil

import pytest

from player.playlist_files import PlaylistFileError, read_playlist, write_playlist


def test_relative_paths_survive_moving_the_music_with_its_playlist(tmp_path):
    music = tmp_path / "Music"
    (music / "Ünïcode Band").mkdir(parents=True)
    songs = [music / "Ünïcode Band" / "01 First, Song.flac", music / "02 #hash.mp3"]
    for s in songs:
        s.write_bytes(b"x")
    out = write_playlist(music / "Lists" / "mine.m3u8",
                         [(str(songs[0]), "Band - First\nSong", 61.4), (str(songs[1]), "Second", None)])
    text = out.read_text(encoding="utf-8")
    assert text.splitlines() == ["#EXTM3U", "#EXTINF:61,Band - First Song", "../Ünïcode Band/01 First, Song.flac",
                                 "#EXTINF:-1,Second", "../02 #hash.mp3"]
    moved = tmp_path / "elsewhere" / "Music"
    shutil.copytree(music, moved)
    back = read_playlist(moved / "Lists" / "mine.m3u8")
    assert back.name == "mine"
    assert back.paths == [str(moved / "Ünïcode Band" / "01 First, Song.flac"), str(moved / "02 #hash.mp3")]
    assert back.titles == {0: "Band - First Song", 1: "Second"} and back.skipped == []


def test_reading_what_other_players_write(tmp_path):
    (tmp_path / "sub").mkdir()
    data = ("\ufeff#EXTM3U\r\n#PLAYLIST:x\r\n#EXTINF:10,A - B\r\nsub\\song one.mp3\r\n\r\n"
            "file:///abs/with%20space.ogg\r\nhttp://radio.example/stream\r\n/abs/plain.flac\r\n")
    (tmp_path / "win.m3u8").write_bytes(data.encode("utf-8"))
    got = read_playlist(tmp_path / "win.m3u8")
    assert got.paths == [str(tmp_path / "sub" / "song one.mp3"), "/abs/with space.ogg", "/abs/plain.flac"]
    assert got.titles == {0: "A - B"} and got.skipped == ["http://radio.example/stream"]
    (tmp_path / "old.m3u").write_bytes("Caf\xe9.mp3\n".encode("cp1252"))      # not UTF-8: a Windows code page
    assert read_playlist(tmp_path / "old.m3u").paths == [str(tmp_path / "Café.mp3")]
    with pytest.raises(PlaylistFileError):
        read_playlist(tmp_path / "missing.m3u8")
