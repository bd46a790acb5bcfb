"""Seeking by click, drag and keys; volume keys; shuffle and repeat; Help → About."""

from __future__ import annotations

import math
import threading

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionSlider

from player import __version__
from player.audio.base import PlaybackState


def _groove_x(slider, fraction: float) -> QPoint:
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    groove = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, slider)
    handle = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, slider)
    span = groove.width() - handle.width()
    return QPoint(int(groove.x() + handle.width() / 2 + fraction * span), slider.height() // 2)


def _start_paused(qtbot, window, ids):
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    qtbot.waitUntil(lambda: window.transport.slider.maximum() > 0, timeout=5000)


def test_a_click_on_the_seek_bar_jumps_there(qtbot, scanned, make_window):
    window = make_window(scanned)
    _start_paused(qtbot, window, [window.model.track_id(0)])
    slider = window.transport.slider
    qtbot.mouseClick(slider, Qt.LeftButton, pos=_groove_x(slider, 0.75))
    qtbot.waitUntil(lambda: abs(window.player.position - 2.25) < 0.2, timeout=5000)


def test_the_seek_bar_stays_where_it_was_let_go_until_the_player_is_there(qtbot, scanned, make_window):
    # Seeks run on the player's thread, and until one has, the player tells the old place:
    # the bar jumped back to it for a moment after a click, and a key pressed meanwhile
    # moved from the old place, not from where the bar showed. The player's seek is held
    # here as a busy player thread holds it.
    window = make_window(scanned)
    _start_paused(qtbot, window, [window.model.track_id(0)])
    player, slider = window.player, window.transport.slider
    seek, go, inside = player.seek, threading.Event(), threading.Event()

    def held(seconds):
        inside.set()
        assert go.wait(10)
        return seek(seconds)

    player.seek = held
    try:
        qtbot.mouseClick(slider, Qt.LeftButton, pos=_groove_x(slider, 0.75))
        assert inside.wait(10)                      # on the player's thread, not done yet
        target = slider.value()
        assert 2000 < target < 2500 and player.position < 1.0
        for _ in range(3):
            window._tick()                          # what the position timer does
            assert slider.value() == target
        window.seek_by(-1.0)                        # Shift+Left, pressed before the player got there
        assert abs(slider.value() - (target - 1000)) <= 1
        window._tick()
        assert abs(slider.value() - (target - 1000)) <= 1
    finally:
        go.set()
    qtbot.waitUntil(lambda: window._seeking is None, timeout=5000)
    assert abs(player.position - (target / 1000 - 1.0)) < 0.2
    window._tick()
    assert abs(slider.value() - (target - 1000)) < 200


def test_a_seek_key_pressed_while_a_next_is_on_its_way_moves_nothing_in_the_next_song(qtbot, scanned,
                                                                                     make_window):
    # Seeks and Next run in turn on the player's thread: a key pressed after Next but before the
    # player had gone on was done in the next song, at the place meant for the one left.
    window = make_window(scanned)
    ids = [window.model.track_id(0), window.model.track_id(1)]
    _start_paused(qtbot, window, ids)
    gate, after = threading.Event(), threading.Event()
    try:
        window._command(lambda p: gate.wait(30))       # the player is busy: what follows waits its turn
        window.next_track()
        window.seek_by(2.0)
        window._command(lambda p: None, lambda result, error: after.set())
        gate.set()
        qtbot.waitUntil(after.is_set, timeout=10000)
    finally:
        gate.set()
    assert window.player.current_track_id == ids[1]
    assert window.player.position < 1.0


def test_keys_seek_and_change_the_volume(qtbot, scanned, make_window):
    window = make_window(scanned)
    _start_paused(qtbot, window, [window.model.track_id(0)])
    window.activateWindow()
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_Right, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: window.player.position >= 2.4, timeout=5000)        # +5 s, held before the end
    qtbot.keyClick(window.library.table, Qt.Key_Left, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: window.player.position < 0.1, timeout=5000)
    volume = window.transport.volume.value()
    qtbot.keyClick(window.library.table, Qt.Key_Up, Qt.ControlModifier)
    assert window.transport.volume.value() == volume + 5
    assert abs(window.player.volume - ((volume + 5) / 100) ** 3) < 1e-6
    qtbot.keyClick(window.library.table, Qt.Key_Down, Qt.ControlModifier)
    qtbot.keyClick(window.library.table, Qt.Key_Down, Qt.ControlModifier)
    assert window.transport.volume.value() == volume - 5


def test_the_volume_slider_goes_by_loudness(qtbot, scanned, make_window):
    # Linear in amplitude, the top half of the slider changed the loudness by 6 dB and the
    # bottom tenth by as much again: a step near the top did next to nothing.
    window = make_window(scanned)
    _start_paused(qtbot, window, [window.model.track_id(0)])
    levels = {}
    for value in (100, 95, 50, 45, 0):
        window.transport.volume.setValue(value)
        levels[value] = window.player.volume
    assert levels[100] == 1.0 and levels[0] == 0.0
    assert abs(levels[50] - 0.125) < 1e-6                       # -18 dB halfway
    top, middle = (20 * math.log10(levels[a] / levels[b]) for a, b in ((100, 95), (50, 45)))
    assert 1.0 < top < middle < 4.0, (top, middle)              # (linear: 0.45 dB, then 0.9 dB)


def test_the_seek_bar_follows_the_next_track_even_during_a_drag(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(2)]
    # Paused while the button goes down: on a loaded machine both 3-second tracks could
    # otherwise be over before the press, with nothing left to drag.
    _start_paused(qtbot, window, ids)
    slider = window.transport.slider
    qtbot.mousePress(slider, Qt.LeftButton, pos=_groove_x(slider, 0.9))       # held over the change
    assert slider.isSliderDown()
    window.toggle_play()
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[1], timeout=10000)   # plays on to its end
    qtbot.waitUntil(lambda: 0 < slider.value() < 1500, timeout=5000)          # the new track, from its start
    moved = slider.value()
    qtbot.waitUntil(lambda: slider.value() > moved + 200, timeout=5000)       # and moving with it
    qtbot.mouseRelease(slider, Qt.LeftButton, pos=_groove_x(slider, 0.9))
    qtbot.wait(300)
    assert window.player.position < 2.5                                        # the old drag seeks nothing


def test_next_pressed_as_a_song_ends_is_for_that_song_not_the_one_after(qtbot, scanned, make_window):
    import time

    from player.workers import wait_all

    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(3)]
    titles = [window.model.data_.info(t)[0] for t in ids]
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window.transport.title.text() == titles[0], timeout=10000)
    # The first song ends and the second begins; the window has not been told yet (its
    # event loop is busy) and still shows the first when the person presses Next.
    window.player.engine.speed = 4.0            # (the first song is only heard to its end)
    deadline = time.monotonic() + 10
    while window.player.current_track_id != ids[1] and time.monotonic() < deadline:
        time.sleep(0.01)
    window.player.engine.speed = 1.0            # (the second still plays as Next reaches the player)
    assert window.player.current_track_id == ids[1] and window.transport.title.text() == titles[0]
    window.transport.next_btn.click()
    assert wait_all(5000)                    # the Next has reached the player
    assert window.player.current_track_id == ids[1]
    qtbot.waitUntil(lambda: window.transport.title.text() == titles[1], timeout=5000)
    # Once the window shows the second song, Next is for it.
    window.transport.next_btn.click()
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[2], timeout=5000)
    assert [(r["track_id"], r["ended"]) for r in window.store.plays()][:2] == [(ids[0], "finished"),
                                                                               (ids[1], "skipped")]


def test_shuffle_and_repeat_controls(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(6)]
    _start_paused(qtbot, window, ids)
    t = window.transport
    window.act_shuffle.trigger()
    qtbot.waitUntil(lambda: window.player.shuffle and t.shuffle_btn.isChecked(), timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids() != ids[1:], timeout=5000)
    assert sorted(window.up_next.track_ids()) == sorted(ids[1:])
    t.shuffle_btn.click()
    qtbot.waitUntil(lambda: not window.player.shuffle and not window.act_shuffle.isChecked(), timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[1:], timeout=5000)
    assert t.repeat_btn.text() == "Repeat"
    t.repeat_btn.click()
    qtbot.waitUntil(lambda: window.player.repeat == "all" and t.repeat_btn.text() == "Repeat all", timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[1:] + ids[:1], timeout=5000)  # goes round
    t.repeat_btn.click()
    qtbot.waitUntil(lambda: window.player.repeat == "one", timeout=5000)
    qtbot.waitUntil(lambda: window.act_repeat["one"].isChecked(), timeout=5000)


def test_help_about_says_offline_and_the_version(qtbot, scanned, make_window):
    window = make_window(scanned)
    titles = [a.text() for a in window.help_menu.actions()]
    assert "&About Segue" in titles
    box = window.show_about()
    assert __version__ in box.text() and "offline" in box.text() and "never opens a network" in box.text()
    box.close()
    shortcuts = window.show_shortcuts()
    assert "Shift+Right" in shortcuts.text()
    shortcuts.close()


def test_the_shortcuts_list_names_every_key_the_menus_answer_to(qtbot, scanned, make_window):
    from PySide6.QtGui import QAction

    window = make_window(scanned)
    keys = {a.shortcut().toString() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}
    assert {"Space", "Ctrl+Shift+S", "Ctrl+U", "Ctrl+R", "Ctrl+F"} <= keys
    shortcuts = window.show_shortcuts()
    missing = [k for k in keys if k not in shortcuts.text()]
    shortcuts.close()
    assert not missing


def test_every_button_with_a_key_names_it_in_its_tooltip(qtbot, scanned, make_window):
    window = make_window(scanned)
    save = next(a for a in window.file_menu.actions() if "Save Up next" in a.text().replace("&", ""))
    assert save.shortcut().toString() in window.up_next.save_btn.toolTip()
    assert window.act_shuffle.shortcut().toString() in window.transport.shuffle_btn.toolTip()
    assert window.act_play.shortcut().toString() in window.transport.play_btn.toolTip()


def test_stop_after_this_song_from_its_key_stops_at_the_end_says_so_and_unchecks(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(3)]
    title = window.model.data_.info(ids[0])[0]
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window.transport.title.text() == title, timeout=10000)     # (named: one to stop after)
    window.activateWindow()
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_Period, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.player.stop_after, timeout=5000)
    assert window.act_stop_after.isChecked()
    window.player.engine.speed = 4.0                        # (the rest of the song is only heard)
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.STOPPED, timeout=10000)
    qtbot.waitUntil(lambda: not window.act_stop_after.isChecked(), timeout=5000)
    assert window.statusBar().currentMessage() == f"Stopped after “{title}”"
    qtbot.wait(500)
    assert window.player.current_track_id is None and window.up_next.track_ids() == ids[1:]
    assert [(r["track_id"], r["ended"]) for r in window.store.plays()] == [(ids[0], "finished")]
    window.player.engine.speed = 1.0                        # (time to press the key while it plays)
    window.toggle_play()                                    # Space: the next song, as queued
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[1], timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[2:], timeout=5000)
    # From the menu too, and off again: the songs go on.
    window.act_stop_after.trigger()
    qtbot.waitUntil(lambda: window.player.stop_after, timeout=5000)
    window.act_stop_after.trigger()
    qtbot.waitUntil(lambda: not window.player.stop_after and not window.act_stop_after.isChecked(), timeout=5000)
    window.player.engine.speed = 4.0
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[2], timeout=10000)


def test_actions_on_the_song_playing_are_greyed_while_none_plays_and_their_keys_work_once_one_does(
        qtbot, scanned, make_window):
    # Nothing playing, Stop after this song was there to pick and kept itself for a song
    # started later, and the seek and chapter keys did nothing, unsaid.
    window = make_window(scanned)
    menu = {a.text(): a for a in window.playback_menu.actions()}
    on_the_song = [menu["Stop after this song"], menu["Forward 5 s"], menu["Back 5 s"],
                   window.sleep_menu.act_end_of_song]
    chapters = [menu["Next chapter"], menu["Previous chapter"]]
    assert not any(a.isEnabled() for a in on_the_song + chapters)
    ids = [window.model.track_id(r) for r in range(2)]
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    qtbot.waitUntil(lambda: all(a.isEnabled() for a in on_the_song), timeout=5000)
    assert not any(a.isEnabled() for a in chapters)         # (a song without chapters)
    window.activateWindow()
    window.library.table.setFocus()
    with qtbot.waitSignal(window.seeked, timeout=5000):      # its key, as soon as it can
        qtbot.keyClick(window.library.table, Qt.Key_Right, Qt.ShiftModifier)
    window.stop()
    qtbot.waitUntil(lambda: not any(a.isEnabled() for a in on_the_song), timeout=5000)


def test_next_previous_and_play_are_offered_only_where_they_can_do_something(qtbot, store, make_window):
    # With nothing to go to (nothing played yet, nothing queued) Next and Previous were there
    # to pick and did nothing; with an empty library Play did nothing either.
    empty = make_window(store)
    qtbot.waitUntil(lambda: empty.player is not None and empty.restored, timeout=10000)
    bar = empty.transport
    menu = {a.text(): a for a in empty.playback_menu.actions()}
    moves = [menu["Next"], menu["Previous"], empty.act_play, bar.next_btn, bar.prev_btn, bar.play_btn]
    assert not any(a.isEnabled() for a in moves)


def test_next_and_previous_follow_the_queue_and_their_keys_work_as_soon_as_they_can(qtbot, scanned, make_window):
    # Next with nothing queued and nothing playing, and Previous with nothing played before,
    # did nothing; after Stop they start a song, and are offered there.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.player is not None and window.restored, timeout=10000)
    window.up_next.keep_going.setChecked(False)         # (no suggestions queued after the song)
    bar = window.transport
    menu = {a.text(): a for a in window.playback_menu.actions()}
    nexts, previous = [menu["Next"], bar.next_btn], [menu["Previous"], bar.prev_btn]
    assert window.act_play.isEnabled() and bar.play_btn.isEnabled()      # (the library's first song)
    assert not any(a.isEnabled() for a in nexts + previous)
    ids = [window.model.track_id(r) for r in range(3)]
    window.enqueue([ids[0]])
    qtbot.waitUntil(lambda: all(a.isEnabled() for a in nexts), timeout=5000)
    assert not any(a.isEnabled() for a in previous)
    window.activateWindow()
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_Right, Qt.ControlModifier)     # its key, as soon as it can
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    qtbot.waitUntil(lambda: all(a.isEnabled() for a in previous), timeout=5000)     # (restarts it)
    assert all(a.isEnabled() for a in nexts)        # (skips it, the last one)
    window.stop()
    # (the player lets go of the song before its word of the stop reaches the window)
    qtbot.waitUntil(lambda: not any(a.isEnabled() for a in nexts), timeout=5000)   # nothing queued after it
    assert window.shown_track_id() is None
    assert all(a.isEnabled() for a in previous)     # back to the song stopped
    qtbot.keyClick(window.library.table, Qt.Key_Left, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)


def test_play_is_offered_once_a_first_scan_fills_the_library_and_again_when_a_search_is_cleared(
        qtbot, store, music, make_window):
    # Greyed with an empty library, Play must come back as the library fills while the window
    # is open, and after a search that showed nothing is cleared: else nothing starts the music.
    window = make_window(store)
    qtbot.waitUntil(lambda: window.player is not None and window.restored, timeout=10000)
    window.up_next.keep_going.setChecked(False)
    plays = [window.act_play, window.transport.play_btn]
    assert not any(a.isEnabled() for a in plays)
    with qtbot.waitSignal(window.library_loaded, timeout=20000):
        window.scan([str(music)])
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10000)
    assert all(a.isEnabled() for a in plays)
    window.library.search.setText("nothing is called this")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=5000)
    assert not any(a.isEnabled() for a in plays)
    window.library.search.setText("")
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=5000)
    assert all(a.isEnabled() for a in plays)
    window.activateWindow()
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_Space)
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)


def test_previous_while_paused_shows_the_song_back_at_its_start(qtbot, store, make_window, tmp_path):
    # Paused, the seek bar's timer rests: Previous restarting the song (past its first 3 s)
    # changes no state and starts no song, and the bar went on showing where it was paused.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    write_track(tmp_path / "long", "l1", fmt="wav", seconds=12.0, tags={"title": "Long Road", "artist": "Granite"})
    Scanner(store).scan([str(tmp_path / "long")])
    window = make_window(store)
    _start_paused(qtbot, window, [window.model.track_id(0)])
    slider = window.transport.slider
    window.seek_to(8.0)
    qtbot.waitUntil(lambda: window._seeking is None and abs(window.player.position - 8.0) < 0.2, timeout=5000)
    assert slider.value() > 7500
    window.previous_track()
    qtbot.waitUntil(lambda: window.player.position < 0.2, timeout=5000)
    assert window.player.state == PlaybackState.PAUSED
    qtbot.waitUntil(lambda: slider.value() < 200, timeout=5000)


def test_the_seek_bar_rests_while_the_window_is_minimised_and_follows_the_song_again_once_shown(
        qtbot, store, make_window, tmp_path):
    # Minimised, the window still woke four times a second to move a seek bar nobody saw,
    # for as long as the music played in the background.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    write_track(tmp_path / "long", "l1", fmt="wav", seconds=30.0, tags={"title": "Long Road", "artist": "Granite"})
    Scanner(store).scan([str(tmp_path / "long")])
    window = make_window(store)
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=10000)
    qtbot.waitUntil(lambda: window._position_timer.isActive(), timeout=5000)
    window.showMinimized()
    qtbot.waitUntil(lambda: not window._position_timer.isActive(), timeout=5000)
    slider = window.transport.slider
    shown = slider.value()
    at = window.player.position
    qtbot.waitUntil(lambda: window.player.position > at + 1.0, timeout=5000)    # the music plays on
    assert slider.value() == shown
    window.showNormal()
    qtbot.waitUntil(lambda: window._position_timer.isActive(), timeout=5000)
    qtbot.waitUntil(lambda: slider.value() >= (at + 1.0) * 1000, timeout=5000)
    window.hide()                                                              # hidden, too
    qtbot.waitUntil(lambda: not window._position_timer.isActive(), timeout=5000)
    window.show()
    qtbot.waitUntil(lambda: window._position_timer.isActive(), timeout=5000)
    window.pause()                                                             # and paused, as before
    qtbot.waitUntil(lambda: not window._position_timer.isActive(), timeout=5000)


def test_the_seek_bar_shows_where_the_song_is_as_soon_as_the_window_is_shown_again(
        qtbot, store, make_window, tmp_path):
    # Shown again, the bar stayed where it was when the window was hidden (the place in the
    # song before, or in another song) until the timer's first tick.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    write_track(tmp_path / "long", "l1", fmt="wav", seconds=30.0, tags={"title": "Long Road", "artist": "Granite"})
    write_track(tmp_path / "long", "l2", fmt="wav", seconds=20.0, tags={"title": "Short Road", "artist": "Granite"})
    Scanner(store).scan([str(tmp_path / "long")])
    window = make_window(store)
    ids = [window.model.track_id(i) for i in range(2)]
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window._position_timer.isActive(), timeout=10000)
    window.showMinimized()
    qtbot.waitUntil(lambda: not window._position_timer.isActive(), timeout=5000)
    window.player.next()                                                       # another song, unseen
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[1] and window.player.position > 1.0,
                    timeout=10000)
    slider = window.transport.slider
    window._position_timer.setInterval(3_600_000)      # (no tick of the timer comes to help)
    window.showNormal()
    qtbot.waitUntil(lambda: window._position_timer.isActive(), timeout=5000)
    assert slider.maximum() == pytest.approx(window.player.duration * 1000, abs=100)
    assert slider.value() >= 1000


def test_once_the_music_ends_the_bar_says_how_to_start_again(qtbot, scanned, make_window):
    from player.ui.transport import IDLE_HINT

    window = make_window(scanned)
    bar = window.transport
    assert (bar.title.text(), bar.subtitle.text()) == ("Nothing playing", IDLE_HINT)
    track_id = window.model.track_id(0)
    window.player.engine.speed = 8.0                        # (the song is only heard to its end)
    window.play_ids([track_id], 0, "library")
    qtbot.waitUntil(lambda: bar.title.text() == window.model.data_.info(track_id)[0], timeout=10000)
    assert bar.subtitle.text() != IDLE_HINT
    qtbot.waitUntil(lambda: bar.title.text() == "Nothing playing", timeout=10000)
    # As at the start: "Nothing playing" over an empty line read as a name gone missing.
    assert bar.subtitle.text() == IDLE_HINT
    window.player.engine.speed = 1.0
    window.activateWindow()
    window.library.table.setFocus()
    qtbot.keyClick(window.library.table, Qt.Key_Space)      # and what it says works
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)


def test_with_no_tracks_the_bar_says_how_to_get_some_not_to_press_space(qtbot, store, music, tmp_path, make_window):
    from player.ui.transport import IDLE_HINT

    (tmp_path / "empty").mkdir()
    store.add_folder(str(tmp_path / "empty"))       # a folder, but nothing in it: the window, not the welcome page
    window = make_window(store)
    bar = window.transport
    assert window.model.rowCount() == 0
    # Space plays nothing here, and there is no track to double-click: the bar says where music comes from.
    assert bar.title.text() == "Nothing playing"
    assert "Space" not in bar.subtitle.text() and "Settings" in bar.subtitle.text()
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(music)])
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10000)
    assert bar.subtitle.text() == IDLE_HINT         # now it does


def test_the_wheel_on_the_seek_bar_moves_it_from_where_the_song_is(qtbot):
    # The clock moves the handle without setting the slider's value (a set value is told to a
    # screen reader), and Qt's wheel scrolls from that value: a song at 1:30 after a seek to
    # 0:10 showed the handle thrown back to 0:25 on a turn of the wheel, not on at 1:45.
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from player.ui.transport import TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_track("Song", "Artist")
    bar.set_position(10.0, 200.0, sought=True)
    bar.set_position(90.0, 200.0)                                # the clock, 80 s on
    slider = bar.slider
    assert slider.sliderPosition() == 90000
    sought = []
    bar.seek.connect(sought.append)
    at = QPointF(slider.width() / 2, slider.height() / 2)
    QApplication.sendEvent(slider, QWheelEvent(at, slider.mapToGlobal(at), QPoint(0, 0), QPoint(0, 120), Qt.NoButton,
                                               Qt.NoModifier, Qt.NoScrollPhase, False))
    assert slider.sliderPosition() > 90000 and slider.value() == slider.sliderPosition()
    # and the song goes there, as for a key: the handle moved alone, and the next tick of
    # the clock put it back where the song had gone on playing.
    assert sought == [slider.sliderPosition() / 1000]


def test_shuffle_by_album_from_the_play_menu_keeps_albums_whole_and_is_kept_at_the_next_start(
        qtbot, scanned, make_window):
    window = make_window(scanned)
    rows = {r["id"]: (r["album"], r["track_no"]) for r in scanned.tracks()}
    # The list in no album's order: each album's last song first.
    ids = sorted(rows, key=lambda t: rows[t][1], reverse=True)
    _start_paused(qtbot, window, ids)
    t = window.transport
    assert t.shuffle_btn.text() == "Shuffle" and not window.act_shuffle_albums.isChecked()
    window.act_shuffle_albums.trigger()
    qtbot.waitUntil(lambda: window.player.shuffle and window.player.shuffle_albums and t.shuffle_btn.isChecked()
                    and window.act_shuffle.isChecked() and window.act_shuffle_albums.isChecked(), timeout=5000)
    assert t.shuffle_btn.text() == "Shuffle albums" and "by album" in t.shuffle_btn.toolTip()

    def albums_whole(order):
        runs = []
        for tid in order:
            if not runs or runs[-1][0] != rows[tid][0]:
                runs.append((rows[tid][0], []))
            runs[-1][1].append(rows[tid][1])
        return len({a for a, _ in runs}) == len(runs) and all(n == sorted(n) for _, n in runs)

    qtbot.waitUntil(lambda: sorted(window.up_next.track_ids()) == sorted(ids[1:])
                    and albums_whole(window.up_next.track_ids()), timeout=5000)
    # The button turns shuffle off and on again, by album as chosen.
    t.shuffle_btn.click()
    qtbot.waitUntil(lambda: not window.player.shuffle and window.up_next.track_ids() == ids[1:], timeout=5000)
    assert window.act_shuffle_albums.isChecked() and t.shuffle_btn.text() == "Shuffle albums"
    window.close()
    window.player.close()

    again = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: again.restored, timeout=10000)
    qtbot.waitUntil(lambda: again.act_shuffle_albums.isChecked() and again.transport.shuffle_btn.text()
                    == "Shuffle albums", timeout=5000)
    assert not again.player.shuffle and again.player.shuffle_albums
    again.act_shuffle.trigger()                                   # Ctrl+U: shuffle, by album
    qtbot.waitUntil(lambda: again.player.shuffle and again.up_next.track_ids() != ids[1:]
                    and albums_whole(again.up_next.track_ids()), timeout=5000)
    # Unchecked in the menu, shuffle goes on by song.
    again.act_shuffle_albums.trigger()
    qtbot.waitUntil(lambda: again.player.shuffle and not again.player.shuffle_albums
                    and again.transport.shuffle_btn.text() == "Shuffle", timeout=5000)
