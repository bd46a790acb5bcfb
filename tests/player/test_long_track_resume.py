"""A real 21-minute file (an audiobook chapter, a podcast, a DJ mix) stopped part-way goes on
from there when it is played again the next day, at the player's own lengths (none scaled down)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from player.audio.base import PlaybackState
from player.audio.null_engine import NullEngine
from player.playback import RESUME_LONGER_THAN_S, Player
from tests.audiogen import write_audio, write_tags
from tests.player.test_playback import wait_for

CHAPTER_S = 21 * 60.0
DAY_S = 86_400.0


@pytest.fixture
def library(store, tmp_path):
    from player.library.scanner import Scanner

    folder = tmp_path / "spoken"
    folder.mkdir()
    # 8 kHz mono and near silence: 21 minutes in a FLAC of a few hundred kilobytes.
    sr = 8000
    quiet = np.zeros((int(CHAPTER_S * sr), 1), np.float32)
    quiet[::sr // 10] = 0.01
    write_audio(folder / "chapter.flac", quiet, sr)
    write_tags(folder / "chapter.flac", title="Chapter 7", artist="Reader", album="A Long Book")
    write_audio(folder / "song.flac", np.zeros((int(20 * sr), 1), np.float32), sr)
    write_tags(folder / "song.flac", title="Short Song", artist="Band", album="Record")
    Scanner(store).scan([str(folder)])
    by_title = {store.track_by_path(str(p))["title"]: store.track_by_path(str(p))["id"]
                for p in folder.iterdir()}
    return by_title["Chapter 7"], by_title["Short Song"]


def test_a_21_minute_chapter_stopped_mid_way_goes_on_from_there_the_next_day(store, library):
    chapter, song = library
    assert CHAPTER_S > 20 * 60.0 >= RESUME_LONGER_THAN_S      # (the player's own threshold, not scaled down)
    today = time.time()
    first = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2, clock=lambda: today)
    try:
        first.play_track(chapter)
        assert wait_for(lambda: first.state is PlaybackState.PLAYING)
        first.seek(12 * 60.0)                       # (listened to the twelfth minute)
        assert wait_for(lambda: first.position > 12 * 60.0 + 1.0)
        first.stop()
    finally:
        first.close()
    left = store.resume_position(chapter)
    assert left is not None and 12 * 60.0 < left < 12 * 60.0 + 30.0
    [row] = store.plays()
    assert row["ended"] == "stopped"                # Stop is no skip

    tomorrow = today + DAY_S
    second = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2, clock=lambda: tomorrow)
    try:
        second.restore_state()                      # (as the window starts)
        second.play_track(song)                     # something else first: the place is kept
        assert wait_for(lambda: second.position > 1.0)
        second.play_track(chapter)
        assert wait_for(lambda: second.current_track_id == chapter and second.position > 0)
        assert second.position == pytest.approx(left, abs=10.0)
    finally:
        second.close()


@pytest.mark.parametrize("source", ["up_next", "library"])
def test_the_next_chapter_of_a_book_goes_on_from_its_place_after_the_chapter_before(store, tmp_path, source):
    # Chapter 4 begun and left at its tenth minute, chapter 3 heard again: after it the book
    # goes on with chapter 4 from its place, whether Keep it going put it there or the book
    # was played through. It came next on its album, so it played from its start, as an
    # album's long side does, and the ten minutes heard were read again.
    from player.library.scanner import Scanner

    folder = tmp_path / "book"
    folder.mkdir()
    sr = 8000
    quiet = np.zeros((int(CHAPTER_S * sr), 1), np.float32)
    quiet[::sr // 10] = 0.01
    for n, seconds in ((3, 6.0), (4, CHAPTER_S)):
        path = folder / f"{n:02d} - Chapter {n}.flac"
        write_audio(path, quiet[:int(seconds * sr)], sr)
        write_tags(path, title=f"Chapter {n}", artist="Reader", album="A Long Book", genre="Audiobook",
                   tracknumber=str(n))
    Scanner(store).scan([str(folder)])
    three, four = (store.track_by_path(str(folder / f"{n:02d} - Chapter {n}.flac"))["id"] for n in (3, 4))
    store.set_resume_position(four, 600.0, now=time.time() - DAY_S)
    player = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        if source == "library":
            player.play_tracks([three, four], 0)
        else:
            player.play_track(three)
            player.enqueue([four], source=source)
        assert wait_for(lambda: player.current_track_id == four and player.position > 0, timeout=30)
        assert player.position == pytest.approx(600.0, abs=10.0)
    finally:
        player.close()


def test_a_chapter_gone_on_with_and_sent_back_to_its_start_is_begun_again_next_time(store, tmp_path):
    # The book goes on with chapter 4 from its place after chapter 3; the person sends it back
    # to its first seconds (a restart, as the seek bar and Previous make one for any long
    # track) and moves on. The place from before goes: next time through the book, chapter 4
    # begins at its start, not at the place the person had moved away from.
    from player.library.scanner import Scanner

    folder = tmp_path / "book"
    folder.mkdir()
    sr = 8000
    quiet = np.zeros((int(CHAPTER_S * sr), 1), np.float32)
    quiet[::sr // 10] = 0.01
    for n, seconds in ((3, 6.0), (4, CHAPTER_S)):
        path = folder / f"{n:02d} - Chapter {n}.flac"
        write_audio(path, quiet[:int(seconds * sr)], sr)
        write_tags(path, title=f"Chapter {n}", artist="Reader", album="A Long Book", genre="Audiobook",
                   tracknumber=str(n))
    Scanner(store).scan([str(folder)])
    three, four = (store.track_by_path(str(folder / f"{n:02d} - Chapter {n}.flac"))["id"] for n in (3, 4))
    store.set_resume_position(four, 600.0, now=time.time() - DAY_S)
    player = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        player.play_tracks([three, four], 0)
        assert wait_for(lambda: player.current_track_id == four and player.position > 0, timeout=30)
        assert player.position == pytest.approx(600.0, abs=10.0)
        player.seek(2.0)
        assert wait_for(lambda: player.position < 60.0, timeout=10)
        player.stop()
        assert store.resume_position(four) is None
        player.play_tracks([three, four], 0)
        assert wait_for(lambda: player.current_track_id == four and player.position > 0, timeout=30)
        assert player.position < 60.0
    finally:
        player.close()
