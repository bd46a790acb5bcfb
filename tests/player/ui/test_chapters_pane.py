"""The Chapters tab and the seek bar's marks follow the real player on an .m4b audiobook that
ffmpeg wrote with chapters: the list with their starts, a click that plays from one, the
chapter playing named beside the title; a file without chapters says so and shows no marks."""

from __future__ import annotations

import shutil
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionSlider

from player.audio.base import PlaybackState
from player.library.scanner import Scanner
from player.ui.chapters_pane import NO_CHAPTERS
from player.ui.transport import SeekSlider
from segue_common import audio_io
from tests.audiogen import with_chapters

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="no ffmpeg to write chapters with")


def _click_row(pane, row: int) -> None:
    item = pane.list.item(row)
    pane.list.scrollToItem(item)
    QTest.mouseClick(pane.list.viewport(), Qt.LeftButton, pos=pane.list.visualItemRect(item).center())


def test_an_audiobooks_chapters_are_listed_marked_on_the_bar_and_a_click_plays_one(qtbot, store, music,
                                                                                  make_window):
    book = with_chapters(music / "Books" / "book.m4b", "aac",
                         [(0, 1000, "Opening"), (1000, 2000, "The Storm"), (2000, 3000, "Coda")])
    Scanner(store).scan([str(music)])
    window = make_window(store)
    track = store.track_by_path(str(book))["id"]
    other = store.track_by_path(str(music / "Rock" / "r1.wav"))["id"]
    pane = window.chapters
    window.tabs.setCurrentWidget(pane)
    window.play_ids([track, other], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    qtbot.waitUntil(lambda: pane.list.count() == 3, timeout=10000)
    assert [pane.list.item(i).text() for i in range(3)] == ["0:00\tOpening", "0:01\tThe Storm", "0:02\tCoda"]
    assert [pane.list.item(i).data(Qt.AccessibleTextRole) for i in range(3)] == [
        "Opening, from 0:00", "The Storm, from 0:01", "Coda, from 0:02"]
    slider = window.transport.slider
    assert slider.marks == (1000, 2000)
    assert slider.mark_x(1000) < slider.mark_x(2000)
    slider.grab()               # (the marks drawn: a paint that fails raises here)

    _click_row(pane, 2)
    qtbot.waitUntil(lambda: abs(window.player.position - 2.0) < 0.05, timeout=5000)
    window._tick()
    qtbot.waitUntil(lambda: pane.current_chapter() == 2, timeout=5000)
    assert pane.list.item(2).font().bold() and not pane.list.item(0).font().bold()
    assert window.transport.chapter.text() == "· Coda" and not window.transport.chapter.isHidden()
    _click_row(pane, 1)
    qtbot.waitUntil(lambda: abs(window.player.position - 1.0) < 0.05, timeout=5000)
    window._tick()
    qtbot.waitUntil(lambda: window.transport.chapter.text() == "· The Storm", timeout=5000)

    # A song with no chapters: the tab says so, the bar has no marks and no chapter is named.
    window.next_track()
    qtbot.waitUntil(lambda: window.player.current_track_id == other, timeout=10000)
    qtbot.waitUntil(lambda: pane.hint.text() == NO_CHAPTERS and not pane.hint.isHidden(), timeout=10000)
    assert pane.list.isHidden() and slider.marks == ()
    assert window.transport.chapter.isHidden()


def test_the_chapter_keys_move_by_chapter_and_back_past_its_start_goes_to_its_own_start(qtbot, store, music,
                                                                                        make_window):
    book = with_chapters(music / "Books" / "book.m4b", "aac",
                         [(0, 4000, "One"), (4000, 9000, "Two"), (9000, 10000, "Three")], seconds=10.0)
    Scanner(store).scan([str(music)])
    window = make_window(store)
    track = store.track_by_path(str(book))["id"]
    window.play_ids([track], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    qtbot.waitUntil(lambda: len(window.chapters.chapters) == 3, timeout=10000)
    window.activateWindow()
    window.library.table.setFocus()

    def key(direction, expect: float) -> None:
        QTest.keyClick(window.library.table, direction, Qt.ControlModifier | Qt.ShiftModifier)
        qtbot.waitUntil(lambda: abs(window.player.position - expect) < 0.05, timeout=5000)

    window.seek_to(0.0)
    qtbot.waitUntil(lambda: window.player.position < 0.05, timeout=5000)
    key(Qt.Key_Right, 4.0)
    key(Qt.Key_Right, 9.0)
    key(Qt.Key_Right, 9.0)          # the last chapter: as far as it goes, the track plays on
    assert window.player.current_track_id == track
    key(Qt.Key_Left, 4.0)           # within the chapter's first seconds: the one before
    window.seek_to(8.5)
    qtbot.waitUntil(lambda: abs(window.player.position - 8.5) < 0.05, timeout=5000)
    key(Qt.Key_Left, 4.0)           # 4.5 s into it: its own start
    key(Qt.Key_Left, 0.0)

    # (A guard: the keys are also a text field's select-a-word, and typing in the search box they
    # select there, the song staying where it is.)
    window.seek_to(4.5)
    qtbot.waitUntil(lambda: abs(window.player.position - 4.5) < 0.05 and window._seeking is None, timeout=5000)
    box = window.library.search
    box.setFocus()
    QTest.keyClicks(box, "storm front")
    QTest.keyClick(box, Qt.Key_Left, Qt.ControlModifier | Qt.ShiftModifier)
    assert box.selectedText() == "front"
    QTest.keyClick(box, Qt.Key_Right, Qt.ControlModifier | Qt.ShiftModifier)
    assert not box.hasSelectedText() and box.text() == "storm front"
    assert window._seeking is None          # (a chapter key sends its seek at once)



def test_a_chapters_tick_stands_where_the_handle_stands_as_it_plays_there_on_the_length_the_player_plays(qtbot):
    # The library's stored length places the ticks only until the player gives its own: a
    # FLAC's frames counted, a length a rescan has yet to correct.
    slider = SeekSlider(Qt.Horizontal)
    qtbot.addWidget(slider)
    slider.resize(400, 24)
    slider.set_marks([1000, 2000, 5000], 6000)
    assert slider.marks == (1000, 2000, 5000)
    slider.follow(2000, 3000)
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    handle = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, slider)
    assert abs(slider.mark_x(2000) - handle.center().x()) <= 1
    slider.grab()               # (the mark past the length played is not drawn, and nothing fails)


def test_a_run_of_songs_shown_reads_one_files_chapters_at_a_time_and_shows_the_last_ones(qtbot, store, music,
                                                                                       make_window, monkeypatch):
    books = [with_chapters(music / "Books" / f"book{i}.m4b", "aac",
                           [(0, 1000, f"Opening {i}"), (1000, 3000, f"Coda {i}")]) for i in range(3)]
    Scanner(store).scan([str(music)])
    window = make_window(store)
    ids = [store.track_by_path(str(b))["id"] for b in books]
    # ffprobe on a share that does not answer yet: each read waits until the share answers.
    share_answers = threading.Event()
    running, most, calls = [0], [0], [0]
    lock = threading.Lock()
    real = audio_io.probe_chapters

    def probe(path):
        with lock:
            running[0] += 1
            calls[0] += 1
            most[0] = max(most[0], running[0])
        try:
            share_answers.wait(30)
            return real(path)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(audio_io, "probe_chapters", probe)
    try:
        window._read_chapters(ids[0])
        qtbot.waitUntil(lambda: calls[0] == 1, timeout=5000)
        # Next pressed again and again while the share keeps the first read waiting. (The gaps
        # only let a worker start a read before the next press, as one would before a person's:
        # what is checked below holds however long or short they are.)
        for n in range(1, 12):
            window._read_chapters(ids[n % 3])
            qtbot.wait(10)
    finally:
        share_answers.set()
    last = ids[11 % 3]
    qtbot.waitUntil(lambda: window.chapters.track_id == last and len(window.chapters.chapters) == 2, timeout=10000)
    assert [c.title for c in window.chapters.chapters] == ["Opening 2", "Coda 2"]
    qtbot.waitUntil(lambda: running[0] == 0, timeout=10000)
    assert most[0] == 1 and calls[0] <= 2       # (the one that was running, then the last one asked for)


def _book_and_its_copy(store, music):
    """An audiobook of three chapters, and a copy of it in another folder, both scanned:
    ``(its path, its track id, the copy's track id)``."""
    book = with_chapters(music / "Books" / "book.m4b", "aac",
                         [(0, 4000, "One"), (4000, 9000, "Two"), (9000, 60000, "Three")], seconds=60.0)
    Scanner(store).scan([str(music)])
    (music / "Copies").mkdir()
    shutil.copy2(book, music / "Copies" / book.name)
    Scanner(store).scan([str(music)])
    track = store.track_by_path(str(book))["id"]
    copy = store.track_by_path(str(music / "Copies" / book.name))["id"]
    return book, track, copy


def test_the_chapter_keys_go_on_working_on_a_book_a_rescan_merged_into_its_copy(qtbot, store, music, make_window):
    # The book playing moved to another folder and the library scanned again: the player plays
    # on as the copy, and the window names the copy, but its chapters stayed the merged track's:
    # the chapter keys did nothing, and were greyed once the actions were shown anew.
    book, track, copy = _book_and_its_copy(store, music)
    window = make_window(store)
    window.play_ids([track], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=10000)
    qtbot.waitUntil(lambda: len(window.chapters.chapters) == 3, timeout=10000)
    book.unlink()
    window.scan(None)
    qtbot.waitUntil(lambda: window.player.current_track_id == copy and window._scan is None, timeout=30000)
    qtbot.waitUntil(lambda: window._shown_track == copy, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    window._show_song_actions()     # (as a song's start or a stop has them shown anew)
    assert all(action.isEnabled() for action in window.act_chapters)
    assert window.chapters.track_id == copy and len(window.chapters.chapters) == 3
    assert window.transport.slider.marks == (4000, 9000)


def test_chapters_still_being_read_when_a_rescan_merges_the_book_are_read_for_its_copy(qtbot, store, music,
                                                                                       make_window, monkeypatch):
    # The book's file lies on a share slow to answer: its chapters are still being read when the
    # rescan merges it into its copy. That read, for the track gone, is not shown; the copy's is.
    book, track, copy = _book_and_its_copy(store, music)
    share_answers = threading.Event()
    asked: list[str] = []
    real = audio_io.probe_chapters

    def probe(path):
        asked.append(str(path))
        share_answers.wait(30)
        return real(path)

    monkeypatch.setattr(audio_io, "probe_chapters", probe)
    window = make_window(store)
    try:
        window.play_ids([track], 0, "library")
        qtbot.waitUntil(lambda: window.player.current_track_id == track and len(asked) == 1, timeout=10000)
        assert window.chapters.track_id == track and window.chapters.reading
        book.unlink()
        window.scan(None)
        qtbot.waitUntil(lambda: window.player.current_track_id == copy and window._scan is None, timeout=30000)
        qtbot.waitUntil(lambda: window._shown_track == copy, timeout=10000)
    finally:
        share_answers.set()
    qtbot.waitUntil(lambda: window.chapters.track_id == copy and len(window.chapters.chapters) == 3, timeout=10000)
    assert asked[-1] == str(music / "Copies" / book.name)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    window._show_song_actions()
    assert all(action.isEnabled() for action in window.act_chapters)
    assert window.transport.slider.marks == (4000, 9000)
