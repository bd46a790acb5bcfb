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
