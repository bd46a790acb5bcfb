"""Playlist files: M3U8 written with relative paths and read back from anywhere the folder
moves; M3U, PLS and XSPF as other players write them; files that are no playlist refused."""

from __future__ import annotations

import os
import shutil

import pytest

from player import playlist_files
from player.playlist_files import TITLE_CHARS, PlaylistFileError, read_playlist, write_playlist


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


def test_a_song_whose_name_starts_with_a_hash_is_not_read_as_a_comment(tmp_path):
    song = tmp_path / "#9 Dream.flac"
    song.write_bytes(b"x")
    out = write_playlist(tmp_path / "album.m3u8", [(str(song), "John Lennon - #9 Dream", 1.0)])
    assert out.read_text(encoding="utf-8").splitlines()[-1] == "./#9 Dream.flac"
    assert read_playlist(out).paths == [str(song)]


def test_a_name_that_is_not_utf8_is_written_as_a_file_url_and_read_back_as_itself(tmp_path):
    name = os.fsdecode(b"Caf\xe9 #1 100%.flac")                # Latin-1 bytes on disk
    out = write_playlist(tmp_path / "l.m3u8", [(str(tmp_path / name), name, None)])
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1] == "#EXTINF:-1,Café #1 100%.flac"
    assert lines[2].startswith("file:///") and lines[2].endswith("/Caf%E9%20%231%20100%25.flac")
    assert read_playlist(out).paths == [str(tmp_path / name)]


def test_a_playlist_in_a_linked_folder_names_its_files_through_the_link(tmp_path):
    real = tmp_path / "disk" / "Music"
    real.mkdir(parents=True)
    link = tmp_path / "me" / "Music"
    link.parent.mkdir()
    link.symlink_to(real)
    (link / "mix.m3u8").write_text("#EXTM3U\na.flac\nsub/b.flac\n", encoding="utf-8")
    assert read_playlist(link / "mix.m3u8").paths == [str(link / "a.flac"), str(link / "sub" / "b.flac")]


def test_file_urls_are_decoded_once_and_a_stray_code_page_byte_spoils_only_its_line(tmp_path):
    lines = ["file:///m/a%2520b.flac", "file:/m/one%20slash.flac", "file://localhost/m/Caf%C3%A9.flac",
             "file:///m/Caf%E9.flac", "file:///m/100%25 raw #2.flac"]
    data = ("\n".join(lines) + "\nBjörk - Jóga.flac\n").encode("utf-8") + "Motörhead.flac\n".encode("cp1252")
    (tmp_path / "u.m3u").write_bytes(data)
    assert read_playlist(tmp_path / "u.m3u").paths == [
        "/m/a%20b.flac", "/m/one slash.flac", "/m/Café.flac", "/m/Caf\udce9.flac", "/m/100% raw #2.flac",
        str(tmp_path / "Björk - Jóga.flac"), str(tmp_path / "Motörhead.flac")]


def test_a_stray_code_page_byte_spoils_only_its_line_where_lines_end_with_a_lone_cr(tmp_path):
    # iTunes on the Mac ends an exported M3U's lines with CR alone: read as one line, a single
    # byte of the old code page turned every name and title in the file to nonsense ("BjÃ¶rk").
    data = "#EXTM3U\r#EXTINF:241,Björk - Human Behaviour\r/m/Björk/01.mp3\r".encode("utf-8")
    (tmp_path / "itunes.m3u").write_bytes(data + "/m/Motörhead/02.mp3\r".encode("cp1252"))
    got = read_playlist(tmp_path / "itunes.m3u")
    assert got.paths == ["/m/Björk/01.mp3", "/m/Motörhead/02.mp3"]
    assert got.titles == {0: "Björk - Human Behaviour"}


def test_windows_paths_are_kept_as_given(tmp_path):
    data = ("#EXTM3U\r\nC:\\Users\\me\\Music\\Album\\01 Song.flac\r\nD:/Music/Album/02 Other.flac\r\n"
            "\\\\nas\\music\\Album\\03.flac\r\nfile:///C:/Users/me/Music/Album/04%20Four.flac\r\n"
            "Album\\05 Five.flac\r\n")
    (tmp_path / "winamp.m3u").write_bytes(data.encode("cp1252"))
    got = read_playlist(tmp_path / "winamp.m3u")
    assert got.paths == ["C:\\Users\\me\\Music\\Album\\01 Song.flac", "D:/Music/Album/02 Other.flac",
                         "\\\\nas\\music\\Album\\03.flac", "C:/Users/me/Music/Album/04 Four.flac",
                         str(tmp_path / "Album" / "05 Five.flac")]
    assert got.skipped == []
    # Written back out as they came, not made into paths under the playlist's folder.
    out = write_playlist(tmp_path / "back.m3u8", [(p, "x", None) for p in got.paths[:2]])
    assert out.read_text(encoding="utf-8").splitlines()[2::2] == got.paths[:2]


def test_pls_xspf_and_utf16_m3u_as_other_players_write_them(tmp_path):
    (tmp_path / "radio.pls").write_text(
        "[playlist]\nFile2=b.flac\nTitle2=Two\nFile1=/m/a.flac\nTitle1=One\nLength1=2\n"
        "File3=http://radio.example/live\nNumberOfEntries=3\nVersion=2\n", encoding="utf-8")
    got = read_playlist(tmp_path / "radio.pls")
    assert got.kind == "PLS" and got.paths == ["/m/a.flac", str(tmp_path / "b.flac")]
    assert got.titles == {0: "One", 1: "Two"} and got.skipped == ["http://radio.example/live"]
    assert got.lengths == {0: 2.0}
    (tmp_path / "vlc.xspf").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/">'
        "<title>Mix</title><trackList>"
        "<track><location>file:///m/a%20b.flac</location><title>A &amp; B</title><creator>X</creator>"
        "<duration>231400</duration></track>"
        "<track><location>sub/c%23.flac</location></track>"
        "<track><location>https://example.org/s.mp3</location></track>"
        "</trackList></playlist>\n", encoding="utf-8")
    got = read_playlist(tmp_path / "vlc.xspf")
    assert got.kind == "XSPF" and got.paths == ["/m/a b.flac", str(tmp_path / "sub" / "c#.flac")]
    assert got.titles == {0: "X - A & B"} and got.skipped == ["https://example.org/s.mp3"]
    assert got.lengths == {0: 231.4}
    (tmp_path / "notepad.m3u").write_bytes("#EXTM3U\r\n/m/Ünï.flac\r\n".encode("utf-16"))   # with its BOM
    assert read_playlist(tmp_path / "notepad.m3u").paths == ["/m/Ünï.flac"]


def test_wpl_and_asx_as_windows_media_player_writes_them(tmp_path):
    # WPL: SMIL, each song a <media src=> in the <seq>, paths as Windows writes them
    # (backslashes, relative to the playlist's folder or whole), "&" written as "&amp;".
    (tmp_path / "Lists").mkdir()
    (tmp_path / "Lists" / "Road trip.wpl").write_bytes(
        '<?wpl version="1.0"?>\r\n<smil>\r\n  <head>\r\n    <meta name="Generator" content="Microsoft Windows Media '
        'Player -- 12.0.19041.1"/>\r\n    <title>Road trip</title>\r\n  </head>\r\n  <body>\r\n    <seq>\r\n'
        '      <media src="..\\Music\\Simon &amp; Garfunkel\\01 Ünï.mp3" tid="{6E2F}"/>\r\n'
        '      <media src="C:\\Users\\me\\Music\\02 Two.wma"/>\r\n'
        '      <media src="http://radio.example/live"/>\r\n'
        '      <media src="/m/it&apos;s.flac"/>\r\n'
        '    </seq>\r\n  </body>\r\n</smil>\r\n'.encode("utf-8"))
    got = read_playlist(tmp_path / "Lists" / "Road trip.wpl")
    assert got.kind == "WPL" and got.name == "Road trip"
    assert got.paths == [str(tmp_path / "Music" / "Simon & Garfunkel" / "01 Ünï.mp3"),
                         "C:\\Users\\me\\Music\\02 Two.wma", "/m/it's.flac"]
    assert got.skipped == ["http://radio.example/live"] and got.titles == {}
    # ASX: names in any case, each <entry>'s first <ref> (the others are the same song
    # elsewhere), its author and title; a web entry is reported, never fetched.
    (tmp_path / "Lists" / "mix.asx").write_text(
        '<ASX version="3.0">\n<Title>Mix</Title>\n'
        '<Entry><Title>Song &amp; Dance</Title><Author>Band</Author>'
        '<Ref HREF="songs\\a.wma"/><Ref href="mms://backup.example/a.wma"/></Entry>\n'
        '<entry><ref href="file:///m/b%20c.mp3"/></entry>\n'
        '<entry><ref href="mms://radio.example/live"/></entry>\n'
        '<EntryRef href="http://radio.example/more.asx"/>\n'
        '<entry><title>no ref</title></entry>\n</ASX>\n', encoding="utf-8")
    got = read_playlist(tmp_path / "Lists" / "mix.asx")
    assert got.kind == "ASX"
    assert got.paths == [str(tmp_path / "Lists" / "songs" / "a.wma"), "/m/b c.mp3"]
    assert got.titles == {0: "Band - Song & Dance"}
    assert got.skipped == ["mms://radio.example/live", "http://radio.example/more.asx"]


def test_an_asx_in_the_windows_code_page_that_declares_none_is_read(tmp_path):
    # Written in Notepad, an ASX is in the code page and says nothing of it: XML without a
    # declaration is UTF-8, and the whole list was refused for one "ö".
    (tmp_path / "old.asx").write_bytes('<asx version="3.0"><entry><title>Jóga</title><author>Björk</author>'
                                       '<ref href="C:\\Music\\Björk\\Jóga.wma"/></entry></asx>'.encode("cp1252"))
    got = read_playlist(tmp_path / "old.asx")
    assert got.paths == ["C:\\Music\\Björk\\Jóga.wma"] and got.titles == {0: "Björk - Jóga"}
    # One that says its encoding is read in it.
    (tmp_path / "said.asx").write_bytes('<?xml version="1.0" encoding="ISO-8859-1"?><asx version="3.0"><entry>'
                                        '<ref href="/m/Sigur Rós.mp3"/></entry></asx>'.encode("latin-1"))
    assert read_playlist(tmp_path / "said.asx").paths == ["/m/Sigur Rós.mp3"]


def test_a_title_with_line_breaks_control_characters_or_no_end_is_kept_as_one_line(tmp_path):
    (tmp_path / "odd.xspf").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>'
        "<track><location>/m/a.flac</location><title>Line one\n  line\ttwo</title></track>"
        f"<track><location>/m/b.flac</location><title>{'x' * 10_000}</title></track>"
        "<track><location>/m/c.flac</location><title>\n \n</title></track>"
        "</trackList></playlist>\n", encoding="utf-8")
    got = read_playlist(tmp_path / "odd.xspf")
    assert got.paths == ["/m/a.flac", "/m/b.flac", "/m/c.flac"]
    assert got.titles == {0: "Line one line two", 1: "x" * TITLE_CHARS}
    (tmp_path / "bell.pls").write_text("[playlist]\nFile1=/m/a.flac\nTitle1=Ring\x07\x1b[31mRed\nNumberOfEntries=1\n",
                                       encoding="utf-8")
    assert read_playlist(tmp_path / "bell.pls").titles == {0: "Ring [31mRed"}


@pytest.mark.parametrize("name, data, why", [
    ("oops.m3u", b"fLaC\x00\x00\x00\x22" + bytes(range(256)) * 4, "binary data"),
    ("notes.txt", b"Things to buy\nmilk\n", "not M3U, PLS, XSPF, WPL or ASX"),
    ("page.m3u8", b"<!doctype html><html><body>Not found</body></html>", "a web page"),
    ("feed.xspf", b'<?xml version="1.0"?><rss><channel/></rss>', "not a playlist (XSPF, WPL or ASX)"),
    ("bomb.wpl", b'<?wpl version="1.0"?><!DOCTYPE smil [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                 b'<smil><body><seq><media src="&b;"/></seq></body></smil>', "DOCTYPE"),
    ("external.asx", b'<!DOCTYPE asx SYSTEM "file:///etc/passwd"><asx version="3.0"/>', "DOCTYPE"),
    ("broken.asx", b'<asx version="3.0"><entry><ref href="a & b.wma"/></entry></asx>', "not well-formed"),
    ("bomb.xspf", b'<?xml version="1.0"?><!DOCTYPE playlist [<!ENTITY a "aaaaaaaaaa">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                  b'<playlist><trackList><track><location>&b;</location></track></trackList></playlist>', "DOCTYPE"),
    ("external.xspf", b'<?xml version="1.0"?><!DOCTYPE p SYSTEM "file:///etc/passwd"><playlist/>', "DOCTYPE"),
    ("broken.xspf", b"<playlist><trackList>", "not well-formed"),
    ("video.m3u8", b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:9.0,\nseg0.ts\n", "HLS"),
    ("radio.pls", b"File1=x.flac\n", "PLS"),
])
def test_a_file_that_is_no_playlist_is_refused_with_the_reason(tmp_path, name, data, why):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(PlaylistFileError, match="not a playlist file") as refused:
        read_playlist(tmp_path / name)
    assert name in str(refused.value) and why in str(refused.value)


def test_a_file_sharing_only_the_root_with_the_playlist_is_written_absolute(tmp_path):
    # A playlist saved on a USB stick named the music "../../../home/me/Music/...", which names
    # nothing once the stick is mounted anywhere else.
    stick = tmp_path / "stick" / "Lists"
    home = os.path.join(os.sep, "nowhere-segue", "me", "Music")          # (only named: nothing is read)
    beside = tmp_path / "stick" / "Music" / "a.flac"
    out = write_playlist(stick / "mix.m3u8", [(os.path.join(home, "b.flac"), "B", None), (str(beside), "A", None)])
    assert [line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")] == [
        os.path.join(home, "b.flac"), "../Music/a.flac"]


@pytest.mark.parametrize("name", ["COM0", "lpt0.mix", "COM\u00b9", "CONIN$", "conout$"])
def test_every_device_name_windows_keeps_is_offered_with_a_mark_before_it(name):
    # Windows opens a device, not a file, for these too (with any suffix): the export failed there.
    from player.playlist_files import file_name

    assert file_name(name) == f"_{name}.m3u8"


def test_files_on_the_same_windows_drive_stay_relative_even_sharing_only_its_root():
    # A stick's own music (D:\Music, the list in D:\Lists) was written "D:/Music/...", which
    # names nothing on the next computer, where the stick is E:. A drive is one disk; "/" is not.
    import ntpath
    import posixpath

    from player.playlist_files import _as_written

    assert _as_written(r"D:\Music\a.flac", r"D:\Lists", ntpath) == r"..\Music\a.flac"
    assert _as_written(r"\\nas\music\Rock\a.flac", r"\\nas\music\Lists", ntpath) == r"..\Rock\a.flac"
    assert _as_written(r"C:\Music\a.flac", r"D:\Lists", ntpath) == r"C:\Music\a.flac"
    assert _as_written("/home/me/Music/a.flac", "/media/me/STICK/Lists", posixpath) == "/home/me/Music/a.flac"
    assert _as_written("/media/me/STICK/Music/a.flac", "/media/me/STICK/Lists", posixpath) == "../Music/a.flac"


def test_a_read_only_playlist_file_is_refused_and_kept_as_it_was(tmp_path):
    # Made read-only to keep it, a playlist file was replaced all the same: the rename that
    # makes the write atomic needs only the folder to be writable.
    song = tmp_path / "Music" / "01 Song.flac"
    song.parent.mkdir()
    song.write_bytes(b"x")
    out = write_playlist(tmp_path / "Music" / "kept.m3u8", [(str(song), "Kept", 1.0)])
    before = out.read_bytes()
    out.chmod(0o444)
    with pytest.raises(PlaylistFileError, match="kept.m3u8: the file there is read-only, and is kept as it was"):
        write_playlist(out, [(str(song), "Other", 2.0)] * 3)
    assert out.read_bytes() == before
    assert sorted(os.listdir(out.parent)) == ["01 Song.flac", "kept.m3u8"]      # no file half written beside it


def test_a_playlist_file_that_is_a_link_is_written_through_and_stays_a_link(tmp_path):
    # The file kept in a synced folder and linked from the music's: exporting over the link
    # replaced it with a new file, and the synced file stayed as it was.
    song = tmp_path / "Music" / "Band" / "01 Song.flac"
    song.parent.mkdir(parents=True)
    song.write_bytes(b"x")
    synced = tmp_path / "Sync" / "mix.m3u8"
    synced.parent.mkdir()
    synced.write_text("#EXTM3U\nold.flac\n", encoding="utf-8")
    link = tmp_path / "Music" / "Lists" / "mix.m3u8"
    link.parent.mkdir()
    link.symlink_to(synced)
    write_playlist(link, [(str(song), "Band - Song", 60.0)])
    assert link.is_symlink() and os.readlink(link) == str(synced)
    assert synced.read_text(encoding="utf-8").splitlines() == ["#EXTM3U", "#EXTINF:60,Band - Song",
                                                               "../Band/01 Song.flac"]
    assert read_playlist(link).paths == [str(song)]


@pytest.mark.skipif(os.name == "nt", reason="a file size limit stands in for a full disk")
def test_a_playlist_file_not_written_for_want_of_room_is_kept_whole_and_the_message_says_so(tmp_path):
    # The message gave the system's words ("No space left on device") and no more: whether the
    # playlist there was lost is what the person asks next.
    import subprocess
    import sys
    import textwrap

    out = write_playlist(tmp_path / "lists" / "kept.m3u8", [("/m/a.flac", "A", 1.0)])
    before = out.read_bytes()
    code = textwrap.dedent(f"""
        import resource, signal, sys
        from player.playlist_files import PlaylistFileError, write_playlist
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) + 10}, resource.RLIM_INFINITY))
        try:
            write_playlist(sys.argv[1], [("/m/a.flac", "A" * 100, 1.0)] * 100)
        except PlaylistFileError as exc:
            print(exc)
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, cwd=root,
                         timeout=120)
    assert run.stdout.strip() == "cannot write kept.m3u8: File too large; the file there is kept as it was"
    assert out.read_bytes() == before
    assert os.listdir(out.parent) == ["kept.m3u8"]            # nothing half written left beside it


def test_an_m3u_is_written_in_the_windows_code_page_that_players_read_it_in(tmp_path, monkeypatch):
    # Exported to a ".m3u" name, the file was UTF-8: Windows Media Player and car stereos read
    # .m3u in the Windows code page, as foobar2000 and Winamp write it there, and "Motörhead"
    # came out as "MotÃ¶rhead", a folder that is not there. (The code page is the system's;
    # Windows gives it, set here as a Western Windows has it.)
    monkeypatch.setattr(playlist_files, "M3U_ENCODING", "cp1252")
    song = tmp_path / "Motörhead" / "Ace of Spades.flac"
    out = write_playlist(tmp_path / "car.m3u", [(str(song), "Motörhead - Ace of Spades ♠", 169.4)])
    data = out.read_bytes()
    assert data == b"#EXTM3U\n#EXTINF:169,Mot\xf6rhead - Ace of Spades ?\nMot\xf6rhead/Ace of Spades.flac\n"
    got = read_playlist(out)
    assert got.paths == [str(song)] and got.titles == {0: "Motörhead - Ace of Spades ?"}
    # .m3u8 stays UTF-8, with no byte-order mark.
    assert write_playlist(tmp_path / "car.m3u8", [(str(song), "x", None)]).read_bytes().startswith(b"#EXTM3U\n")
    assert "Motörhead/Ace".encode("utf-8") in (tmp_path / "car.m3u8").read_bytes()
    # A name the code page cannot hold is refused, with the way out, and the file there is kept.
    with pytest.raises(PlaylistFileError, match=r"car\.m3u: .*ピアノ.*export as \.m3u8"):
        write_playlist(tmp_path / "car.m3u", [(str(song), "x", None), (str(tmp_path / "ピアノ.flac"), "y", None)])
    assert out.read_bytes() == data


def test_an_m3u_written_here_is_read_back_in_the_code_page_it_was_written_in(tmp_path, monkeypatch):
    # A Russian Windows writes .m3u in cp1251: read back as cp1252 (the Western code page),
    # "Кино" named no file, in Segue's own export.
    monkeypatch.setattr(playlist_files, "M3U_ENCODING", "cp1251")
    songs = [str(tmp_path / "Кино" / "Группа крови.flac"), str(tmp_path / "Björk" / "Jóga.flac")]
    out = write_playlist(tmp_path / "mix.m3u", [(songs[0], "Кино - Группа крови", 285.0)])
    assert "Кино".encode("cp1251") in out.read_bytes()
    assert read_playlist(out).paths == songs[:1]
    # Elsewhere the system's text is UTF-8, as the players there read .m3u: "Björk" and
    # "Sigur Rós" come back, and a name no Windows code page holds is written, not refused.
    monkeypatch.setattr(playlist_files, "M3U_ENCODING", "utf-8")
    songs.append(str(tmp_path / "Sigur Rós" / "Hoppípolla.flac"))
    songs.append(str(tmp_path / "坂本龍一" / "ピアノ.flac"))
    out = write_playlist(tmp_path / "mix.m3u", [(p, "x - y", None) for p in songs[1:]])
    assert out.read_bytes().decode("utf-8").splitlines()[2] == "Björk/Jóga.flac"
    assert read_playlist(out).paths == songs[1:]
