"""Lyrics read from real files: a ``.lrc`` beside the song and the song's own tags."""

from __future__ import annotations

import pytest

from player.library.lyrics import lrc_beside, parse_lrc, read_lyrics
from tests.audiogen import write_track


def test_timed_lines_in_order_with_several_stamps_and_words_stamps_dropped():
    lyr = parse_lrc("[ti:Song]\n[ar:Someone]\n[00:10.50][01:02.00]Chorus\n"
                    "[00:05.00]<00:05.00>First <00:05.80>line\n[00:20]Verse two\n")
    assert lyr.synced
    assert lyr.lines == ("First line", "Chorus", "Verse two", "Chorus")
    assert lyr.times == (5.0, 10.5, 20.0, 62.0)
    assert lyr.line_at(4.9) is None
    assert lyr.line_at(10.5) == 1
    assert lyr.line_at(30.0) == 2


def test_offset_moves_every_line_a_positive_one_sooner_never_before_the_start():
    assert parse_lrc("[offset:+500]\n[00:00.20]a\n[00:02.00]b").times == (0.0, 1.5)
    assert parse_lrc("[offset:-250]\n[00:02.00]b").times == (2.25,)
    assert parse_lrc("[offset:soon]\n[00:02.00]b").times == (2.0,)       # a bad offset is none


def test_bad_lines_among_timed_ones_are_skipped_and_crlf_is_read():
    lyr = parse_lrc("[00:01.00]one\r\ngarbage here\r\n[xx:yy]two\r\n[00:03:50]three\r\n")
    assert lyr.lines == ("one", "three")
    assert lyr.times == (1.0, 3.5)


def test_a_file_with_no_stamps_is_plain_text_as_written():
    lyr = parse_lrc("\n[ar:Someone]\nFirst line\n\n  Second, indented\n\n")
    assert not lyr.synced
    assert lyr.lines == ("First line", "", "  Second, indented")
    assert parse_lrc("[ar:Someone]\n\n") is None


@pytest.mark.parametrize("data", [
    "\ufeff[00:01.00]Café".encode("utf-8"),
    "[00:01.00]Café".encode("utf-8"),
    "\ufeff[00:01.00]Café".encode("utf-16-le"),
    "[00:01.00]Café".encode("cp1252"),
])
def test_lrc_bytes_with_a_mark_in_utf8_or_in_a_legacy_code_page(tmp_path, data):
    song = write_track(tmp_path, "song", fmt="flac")
    (tmp_path / "song.lrc").write_bytes(data)
    lyr = read_lyrics(str(song))
    assert lyr.lines == ("Café",) and lyr.times == (1.0,)


def test_the_lrc_is_found_whatever_the_case_of_its_extension(tmp_path):
    song = write_track(tmp_path, "song", fmt="flac")
    assert lrc_beside(str(song)) is None
    (tmp_path / "song.LRC").write_text("[00:01]x")
    assert lrc_beside(str(song)) == str(tmp_path / "song.LRC")


def test_flac_and_ogg_tags_and_a_timed_lrc_beside_wins_over_plain_tags(tmp_path):
    from mutagen.flac import FLAC
    from mutagen.oggvorbis import OggVorbis

    flac = write_track(tmp_path, "a", fmt="flac")
    f = FLAC(flac)
    f["LYRICS"] = "Plain words\nsecond line"
    f.save()
    assert read_lyrics(str(flac)).lines == ("Plain words", "second line")
    (tmp_path / "a.lrc").write_text("[00:01.00]Timed words")
    assert read_lyrics(str(flac)).lines == ("Timed words",)

    ogg = write_track(tmp_path, "b", fmt="ogg")
    o = OggVorbis(ogg)
    o["UNSYNCEDLYRICS"] = "[00:02.00]An lrc kept in a tag"
    o.save()
    lyr = read_lyrics(str(ogg))
    assert lyr.lines == ("An lrc kept in a tag",) and lyr.times == (2.0,)


def test_id3_uslt_and_sylt(tmp_path):
    from mutagen.id3 import ID3, SYLT, USLT

    mp3 = write_track(tmp_path, "c", fmt="mp3")
    tags = ID3()
    tags.add(USLT(encoding=3, lang="eng", desc="", text="Unsynced words"))
    tags.save(mp3)
    assert read_lyrics(str(mp3)).lines == ("Unsynced words",)
    tags.add(SYLT(encoding=3, lang="eng", format=2, type=1, desc="", text=[("Second", 2500), ("First", 500)]))
    tags.save(mp3)
    lyr = read_lyrics(str(mp3))
    assert lyr.lines == ("First", "Second") and lyr.times == (0.5, 2.5)


def test_mp4_lyr(tmp_path):
    from mutagen.mp4 import MP4

    m4a = tmp_path / "d.m4a"
    src = write_track(tmp_path, "d0", fmt="wav")
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg to write an MP4 with")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(src), "-c:a", "aac", str(m4a)], check=True)
    f = MP4(m4a)
    f["\xa9lyr"] = ["Words in an MP4"]
    f.save()
    assert read_lyrics(str(m4a)).lines == ("Words in an MP4",)


def test_nothing_found_is_none_and_a_damaged_file_is_none_not_a_crash(tmp_path):
    song = write_track(tmp_path, "e", fmt="flac")
    assert read_lyrics(str(song)) is None
    broken = tmp_path / "f.flac"
    broken.write_bytes(b"fLaC" + b"\x00" * 40)
    assert read_lyrics(str(broken)) is None


def test_a_cue_track_shows_the_lines_of_its_own_stretch_from_its_own_start(tmp_path):
    from mutagen.flac import FLAC

    image = write_track(tmp_path, "album", fmt="flac")
    f = FLAC(image)
    f["LYRICS"] = "the whole album's words"
    f.save()
    # the file's plain words are the album's, not one track's
    assert read_lyrics(str(image), cue_start_s=0.0, cue_end_s=60.0) is None
    (tmp_path / "album.lrc").write_text("[00:05]one\n[01:00]two\n[01:30]three\n[02:10]four\n")
    assert read_lyrics(str(image), cue_start_s=60.0, cue_end_s=120.0).times == (0.0, 30.0)
    last = read_lyrics(str(image), cue_start_s=120.0, cue_end_s=None)
    assert last.lines == ("four",) and last.times == (10.0,)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_called_song_lrc_is_passed_over_without_blocking(tmp_path):
    import os
    import threading

    from mutagen.flac import FLAC

    song = write_track(tmp_path, "song", fmt="flac")
    f = FLAC(song)
    f["LYRICS"] = "the words in the tags"
    f.save()
    fifo = tmp_path / "song.lrc"
    os.mkfifo(fifo)
    found = []
    reader = threading.Thread(target=lambda: found.append(read_lyrics(str(song))), daemon=True)
    reader.start()
    reader.join(10)         # (a bound on a hang, not a wait for something slow: the read is at once)
    blocked = reader.is_alive()
    if blocked:             # the plain open waits for a writer: be one, so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(10)
    assert not blocked, "reading lyrics waited on a named pipe"
    assert found[0].lines == ("the words in the tags",)


def test_more_lines_than_lyrics_hold_are_refused_from_a_file_and_from_a_tag(tmp_path):
    from mutagen.flac import FLAC

    from player.library.lyrics import MAX_LINES, MAX_LRC_BYTES

    song = write_track(tmp_path, "song", fmt="flac")
    # under the file's size limit, yet each line an item of the tab's list on the GUI thread
    (tmp_path / "song.lrc").write_text("".join(f"[00:{i % 60:02d}]x\n" for i in range(MAX_LINES + 1)))
    assert read_lyrics(str(song)) is None
    (tmp_path / "song.lrc").write_text("".join(f"[00:{i % 60:02d}]x\n" for i in range(MAX_LINES)))
    assert len(read_lyrics(str(song)).lines) == MAX_LINES
    (tmp_path / "song.lrc").unlink()
    f = FLAC(song)
    f["LYRICS"] = "la\n" * (MAX_LRC_BYTES // 3 + 1)           # a tag has no size limit of its own
    f.save()
    assert read_lyrics(str(song)) is None


def test_a_file_that_is_not_text_given_the_name_song_lrc_is_no_lyrics(tmp_path):
    song = write_track(tmp_path, "song", fmt="flac")
    # a picture or a song saved under the name: bytes that read as gibberish in any code page
    (tmp_path / "song.lrc").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert read_lyrics(str(song)) is None


def test_section_labels_from_lyric_sites_are_lines_and_only_lrcs_own_tags_are_dropped(tmp_path):
    song = write_track(tmp_path, "song", fmt="flac")
    (tmp_path / "song.lrc").write_text(
        "[ti:A Song]\n[Verse 1: Kendrick Lamar]\nFirst line of the verse\n\n"
        "[Hook: Drake]\nIt's a hook\n[Bridge: SZA & Drake]\nA bridge\n[length: 6:26]\n[by:someone]\n[#: a comment]\n")
    lyr = read_lyrics(str(song))
    assert not lyr.synced
    assert lyr.lines == ("[Verse 1: Kendrick Lamar]", "First line of the verse", "",
                         "[Hook: Drake]", "It's a hook", "[Bridge: SZA & Drake]", "A bridge")


def test_wma_lyrics_tag_is_read(tmp_path):
    import shutil
    import subprocess

    from mutagen.asf import ASF

    if shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg to write a WMA with")
    src = write_track(tmp_path, "w0", fmt="wav")
    wma = tmp_path / "w.wma"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(src), "-c:a", "wmav2", str(wma)], check=True)
    f = ASF(wma)
    f["WM/Lyrics"] = "Words in a WMA\nsecond line"
    f.save()
    assert read_lyrics(str(wma)).lines == ("Words in a WMA", "second line")
    f["WM/Lyrics"] = "[00:01.50]Timed in a WMA"
    f.save()
    lyr = read_lyrics(str(wma))
    assert lyr.lines == ("Timed in a WMA",) and lyr.times == (1.5,)


def test_an_lrc_named_after_the_whole_file_name_is_read_and_wins_over_the_stem_one(tmp_path):
    song = write_track(tmp_path, "song", fmt="flac")
    (tmp_path / "song.flac.lrc").write_text("[00:01.00]Named for song.flac")
    assert read_lyrics(str(song)).lines == ("Named for song.flac",)
    # song.lrc may be meant for a song.mp3 beside it too; song.flac.lrc names this file alone
    (tmp_path / "song.lrc").write_text("[00:02.00]Named for any song")
    assert read_lyrics(str(song)).lines == ("Named for song.flac",)
    # timed words still win over plain ones, wherever each lies
    (tmp_path / "song.flac.lrc").write_text("Plain, named for song.flac")
    assert read_lyrics(str(song)).lines == ("Named for any song",)
    (tmp_path / "song.lrc").unlink()
    assert read_lyrics(str(song)).lines == ("Plain, named for song.flac",)


def test_a_cue_tracks_line_begun_just_before_its_start_and_sung_across_it_is_its_first_line(tmp_path):
    image = write_track(tmp_path, "album", fmt="flac")
    (tmp_path / "album.lrc").write_text("[00:05]one\n[00:59.60]two begins a breath early\n[01:30]three\n"
                                        "[01:55]last words of track two\n[02:10]four\n")
    two = read_lyrics(str(image), cue_start_s=60.0, cue_end_s=120.0)
    assert two.lines == ("two begins a breath early", "three", "last words of track two")
    assert two.times == (0.0, 30.0, 55.0)
    # the previous song's last line, begun long before, is that song's, not this one's
    three = read_lyrics(str(image), cue_start_s=120.0, cue_end_s=None)
    assert three.lines == ("four",) and three.times == (10.0,)
    # a line that ended (the next one began) before the start is not this song's either
    (tmp_path / "album.lrc").write_text("[00:59.60]gone\n[00:59.90]\n[01:02]mine\n")
    assert read_lyrics(str(image), cue_start_s=60.0, cue_end_s=120.0).lines == ("mine",)
