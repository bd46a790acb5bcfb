"""Chapters read from real files ffmpeg and mutagen write: an .m4b audiobook, an MP3 with ID3
CHAP frames, and files whose marks are out of order, past the end, too many or too long."""

from __future__ import annotations

import shutil

import pytest
from mutagen.id3 import CHAP, ID3, TIT2

from player.library.chapters import MAX_CHAPTERS, MAX_TITLE, Chapter, _in_stretch, chapter_at, read_chapters, tidy
from tests.audiogen import tone, with_chapters, write_audio

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="no ffmpeg to write chapters with")


@needs_ffmpeg
def test_m4b_audiobook_chapters_read_with_titles_and_times(tmp_path):
    book = with_chapters(tmp_path / "book.m4b", "aac", [(0, 1000, "Opening"), (1000, 2500, "The Storm"),
                                                        (2500, 3000, "Coda")])
    chapters = read_chapters(str(book), length_s=3.0)
    assert [c.title for c in chapters] == ["Opening", "The Storm", "Coda"]
    assert [round(c.start, 2) for c in chapters] == [0.0, 1.0, 2.5]
    assert [round(c.end, 2) for c in chapters] == [1.0, 2.5, 3.0]


@needs_ffmpeg
def test_mp3_id3_chap_frames_read(tmp_path):
    mix = with_chapters(tmp_path / "mix.mp3", "libmp3lame", [(0, 1500, "Intro"), (1500, 3000, "Drop")])
    assert ID3(str(mix)).getall("CHAP"), "ffmpeg wrote ID3 CHAP frames"
    chapters = read_chapters(str(mix), length_s=3.0)
    assert [(c.title, round(c.start, 2)) for c in chapters] == [("Intro", 0.0), ("Drop", 1.5)]


def test_mp3_chapters_written_by_mutagen_out_of_order_untitled_and_past_the_end(tmp_path):
    mp3 = tmp_path / "podcast.mp3"
    # (an MP3's header: mutagen writes the tag in front of whatever follows)
    mp3.write_bytes(b"\xff\xfb\x90\x00" + b"\x00" * 413)
    tag = ID3()
    tag.add(CHAP(element_id="c2", start_time=60_000, end_time=120_000, sub_frames=[TIT2(text=["Second"])]))
    tag.add(CHAP(element_id="c1", start_time=0, end_time=0xFFFFFFFF, sub_frames=[]))
    tag.add(CHAP(element_id="c3", start_time=900_000, end_time=950_000, sub_frames=[TIT2(text=["Ghost"])]))
    tag.save(str(mp3))
    chapters = read_chapters(str(mp3), length_s=300.0)
    assert chapters == (Chapter("Chapter 1", 0.0, 60.0), Chapter("Second", 60.0, 300.0))


def test_a_file_without_chapters_has_none(tmp_path):
    flac = write_audio(tmp_path / "song.flac", tone(0.5), 44100)
    assert read_chapters(str(flac), length_s=0.5) == ()
    assert read_chapters(str(tmp_path / "missing.m4b")) == ()


def test_marks_bounded_sorted_and_plainly_named():
    huge = "x" * (1 << 20)
    marks = [(i, None, f"Part {i}") for i in range(10_000, 0, -1)] + [(0, 5, huge), (float("nan"), 1, "bad"),
                                                                      (-3, 1, "early"), (2, 3, "Part 2 again")]
    chapters = tidy(marks, length_s=20_000.0)
    assert len(chapters) == MAX_CHAPTERS
    assert [c.start for c in chapters[:3]] == [0.0, 1.0, 2.0]      # (-3 clamped to 0: the first at 0 kept)
    assert len(chapters[0].title) <= MAX_TITLE + 1 and chapters[0].title.startswith("xxx")
    assert chapters[2].title == "Part 2"
    assert all(a.end == b.start for a, b in zip(chapters, chapters[1:]))


def test_cue_track_shows_the_marks_within_its_stretch():
    chapters = tidy([(0, 10, "A"), (10, 20, "B"), (20, 30, "C"), (30, 40, "D")], length_s=40.0)
    assert _in_stretch(chapters, 15.0, 30.0) == (Chapter("B", 0.0, 5.0), Chapter("C", 5.0, 15.0))


def test_chapter_at():
    chapters = tidy([(5, 10, "A"), (10, 20, "B")], length_s=20.0)
    assert [chapter_at(chapters, s) for s in (0, 5, 9.9, 10, 19)] == [None, 0, 0, 1, 1]
    assert chapter_at((), 3.0) is None


@needs_ffmpeg
def test_a_real_files_marks_out_of_order_past_the_end_and_a_title_of_1_mb_come_out_plain(tmp_path):
    mix = with_chapters(tmp_path / "mix.mp3", "libmp3lame",
                        [(0, 1000, "T" * (1 << 20)), (2000, 2500, "Late"), (1000, 2000, "Mid"), (5000, 9000, "Past")])
    chapters = read_chapters(str(mix), length_s=3.0)
    assert [(c.title[:4], c.start, c.end) for c in chapters] == [("TTTT", 0.0, 1.0), ("Mid", 1.0, 2.0),
                                                                  ("Late", 2.0, 3.0)]
    assert len(chapters[0].title) == MAX_TITLE + 1 and chapters[0].title.endswith("…")
