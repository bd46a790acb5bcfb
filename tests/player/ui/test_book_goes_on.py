"""A book in chapter files, heard in the window with Keep it going on: after a chapter the
book goes on with its next one, from where that one was left (real files, a real scan, the
real window over the null engine)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from player.library.scanner import Scanner
from tests.audiogen import write_audio, write_tags

LONG_S = 21 * 60.0          # (longer than the player keeps a place for: its own threshold)


def test_after_a_chapter_keep_it_going_goes_on_with_the_next_chapter_from_its_place(qtbot, store, tmp_path,
                                                                                   make_window):
    # Chapter 4 begun and left at its tenth minute, chapter 3 heard again: Keep it going put
    # chapter 5 after it (chapter 4, with a place kept, was left out of suggestions), or a
    # song after the book's end, and a chapter that came next played from its start.
    folder = tmp_path / "music"
    (folder / "book").mkdir(parents=True)
    (folder / "songs").mkdir()
    sr = 8000
    quiet = np.zeros((int(LONG_S * sr), 1), np.float32)
    quiet[::sr // 10] = 0.01
    for n, seconds in ((3, 30.0), (4, LONG_S), (5, LONG_S)):
        path = folder / "book" / f"{n:02d} - Chapter {n}.flac"
        write_audio(path, quiet[:int(seconds * sr)], sr)
        write_tags(path, title=f"Chapter {n}", artist="A Reader", album="A Long Book", genre="Audiobook",
                   tracknumber=str(n))
    for i in range(3):
        path = folder / "songs" / f"s{i}.flac"
        write_audio(path, quiet[:int(5 * sr)], sr)
        write_tags(path, title=f"Song {i}", artist="Some Band", album="Songs", genre="Rock",
                   tracknumber=str(i + 1))
    Scanner(store).scan([str(folder)])
    three, four, five = (store.track_by_path(str(folder / "book" / f"{n:02d} - Chapter {n}.flac"))["id"]
                         for n in (3, 4, 5))
    store.set_resume_position(four, 600.0, now=time.time() - 86_400)
    window = make_window(store)
    window.play_ids([three], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == three, timeout=10_000)
    window.player.pause()               # (Keep it going fills the queue before chapter 3 ends)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue][:2] == [four, five], timeout=10_000)
    window.player.seek(27.0)
    window.player.resume()
    qtbot.waitUntil(lambda: window.player.current_track_id == four and window.player.position > 0, timeout=20_000)
    assert window.player.position == pytest.approx(600.0, abs=10.0)
    assert [e.track_id for e in window.player.queue][:1] == [five]
