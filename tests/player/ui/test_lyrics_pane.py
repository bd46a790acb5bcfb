"""The Lyrics tab follows the real player: the words of the song playing, the line sung now, a
click on a line to play from there."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from player.audio.base import PlaybackState
from player.library.scanner import Scanner
from player.ui.lyrics_pane import LOOKING, NO_LYRICS


def _click_line(qtbot, pane, row: int) -> None:
    item = pane.list.item(row)
    pane.list.scrollToItem(item)
    QTest.mouseClick(pane.list.viewport(), Qt.LeftButton, pos=pane.list.visualItemRect(item).center())


def _paused_on_lyrics(qtbot, store, music, make_window, lines: int):
    """The window on the Lyrics tab, Rock's r1 (its .lrc written by the test) begun and paused
    with its ``lines`` lines shown: the window, the track's id and the pane."""
    Scanner(store).scan([str(music)])
    window = make_window(store)
    track = store.track_by_path(str(music / "Rock" / "r1.wav"))["id"]
    pane = window.lyrics
    window.tabs.setCurrentWidget(pane)
    window.play_ids([track], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    qtbot.waitUntil(lambda: pane.list.count() == lines, timeout=10000)
    return window, track, pane


def test_timed_lines_follow_the_song_and_a_click_plays_from_that_line(qtbot, store, music, make_window):
    song = music / "Rock" / "r1.wav"
    (music / "Rock" / "r1.lrc").write_text("[ar:Granite]\n[00:00.00]First\n[00:01.00]Second\n[00:02.00]Third\n")
    Scanner(store).scan([str(music)])
    window = make_window(store)
    track = store.track_by_path(str(song))["id"]
    pane = window.lyrics
    window.tabs.setCurrentWidget(pane)
    window.set_repeat("one")            # the song comes round again rather than give way to the next
    window.play_ids([track], 0, "library")
    qtbot.waitUntil(lambda: pane.list.count() == 3, timeout=10000)
    assert [pane.list.item(i).text() for i in range(3)] == ["First", "Second", "Third"]
    # the line sung moves on as the song does, played by the real player
    qtbot.waitUntil(lambda: pane.current_line() == 1, timeout=10000)
    assert pane.list.item(1).font().bold() and not pane.list.item(0).font().bold()
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    window._tick()
    assert pane.current_line() == pane.lyrics.line_at(window.player.position)

    _click_line(qtbot, pane, 2)
    qtbot.waitUntil(lambda: abs(window.player.position - 2.0) < 0.05, timeout=5000)
    qtbot.waitUntil(lambda: pane.current_line() == 2, timeout=5000)
    _click_line(qtbot, pane, 0)
    qtbot.waitUntil(lambda: window.player.position < 0.05, timeout=5000)
    qtbot.waitUntil(lambda: pane.current_line() == 0, timeout=5000)
    assert pane.list.item(0).font().bold() and not pane.list.item(2).font().bold()


def test_words_in_the_tags_are_shown_and_a_song_without_any_says_so(qtbot, store, music, make_window):
    from mutagen.flac import FLAC

    with_words, without = music / "Rock" / "r2.flac", music / "Rock" / "r4.flac"
    tags = FLAC(with_words)
    tags["LYRICS"] = "Pebbles in the road\nand the road goes on"
    tags.save()
    Scanner(store).scan([str(music)])
    window = make_window(store)
    ids = [store.track_by_path(str(p))["id"] for p in (with_words, without)]
    pane = window.lyrics
    assert pane.hint.text() == "Nothing playing"
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: pane.list.count() == 2 and not pane.list.isHidden(), timeout=10000)
    assert pane.list.item(0).text() == "Pebbles in the road"
    assert pane.current_line() is None and pane.hint.isHidden()
    window.next_track()
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[1], timeout=10000)
    qtbot.waitUntil(lambda: pane.hint.text() == NO_LYRICS, timeout=10000)
    assert not pane.hint.isHidden() and pane.list.isHidden() and pane.list.count() == 0
    assert pane.hint.text() != LOOKING


def test_the_view_stays_where_the_person_scrolled_it_until_they_choose_a_line(qtbot, store, music, make_window):
    from PySide6.QtWidgets import QAbstractSlider

    lines = "".join(f"[00:{i * 0.025:05.2f}]Line {i}\n" for i in range(120))
    (music / "Rock" / "r1.lrc").write_text(lines)
    window, track, pane = _paused_on_lyrics(qtbot, store, music, make_window, 120)
    bar = pane.list.verticalScrollBar()
    assert bar.maximum() > 0
    bar.triggerAction(QAbstractSlider.SliderToMaximum)          # as the wheel or a drag would
    window.seek_to(0.5)
    qtbot.waitUntil(lambda: pane.current_line() == 20, timeout=5000)
    assert bar.value() == bar.maximum()                         # the line sung moved, the view did not
    _click_line(qtbot, pane, 119)
    qtbot.waitUntil(lambda: pane.current_line() == 119, timeout=5000)
    window.seek_to(0.5)                                         # chosen a line, the view follows again
    qtbot.waitUntil(lambda: pane.current_line() == 20, timeout=5000)
    assert bar.value() < bar.maximum()
    assert pane.list.visualItemRect(pane.list.item(20)).intersects(pane.list.viewport().rect())


def test_words_put_beside_the_song_playing_show_once_the_library_is_read_again(qtbot, store, music, make_window):
    song = music / "Jazz" / "j1.wav"
    Scanner(store).scan([str(music)])
    window = make_window(store)
    track = store.track_by_path(str(song))["id"]
    pane = window.lyrics
    window.play_ids([track], 0, "library")
    qtbot.waitUntil(lambda: pane.hint.text() == NO_LYRICS, timeout=10000)
    (music / "Jazz" / "j1.lrc").write_text("[00:00.00]Smoke rises\n[00:01.00]blue\n")
    with qtbot.waitSignal(window.library_loaded, timeout=20000):
        window.rescan()
    qtbot.waitUntil(lambda: pane.list.count() == 2, timeout=10000)
    assert pane.list.item(0).text() == "Smoke rises" and pane.hint.isHidden()


def test_the_line_sung_takes_the_new_themes_highlight_when_the_scheme_switches(qapp, qtbot):
    from PySide6.QtGui import QPalette

    from player.library.lyrics import Lyrics
    from player.ui.lyrics_pane import LyricsPane
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    hints = qapp.styleHints()
    try:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        pane = LyricsPane()
        qtbot.addWidget(pane)
        pane.show_track(1)
        pane.set_lyrics(1, Lyrics(("one", "two"), (0.0, 1.0)))
        pane.follow(1.5)
        light = pane.list.item(1).foreground().color()
        assert light == qapp.palette().color(QPalette.Highlight)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)     # as the desktop switches
        dark = qapp.palette().color(QPalette.Highlight)
        assert dark != light
        # (the window hears of the new palette by an event of its own, posted)
        qtbot.waitUntil(lambda: pane.list.item(1).foreground().color() == dark, timeout=5000)
        assert pane.list.item(0).data(Qt.ItemDataRole.ForegroundRole) is None     # follows by itself
    finally:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)


def test_reading_ahead_with_the_keys_holds_the_view_as_scrolling_does(qapp, qtbot):
    from player.library.lyrics import Lyrics
    from player.ui.lyrics_pane import LyricsPane

    pane = LyricsPane()
    qtbot.addWidget(pane)
    pane.resize(300, 200)
    pane.show()
    pane.show_track(1)
    pane.set_lyrics(1, Lyrics(tuple(f"Line {i}" for i in range(120)), tuple(i * 0.025 for i in range(120))))
    bar = pane.list.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    pane.activateWindow()
    pane.list.setFocus()
    qtbot.waitUntil(pane.list.hasFocus, timeout=5000)
    QTest.keyClick(pane.list, Qt.Key_End)                       # to the last line, by the keyboard
    assert bar.value() == bar.maximum()
    pane.follow(0.5)
    assert pane.current_line() == 20
    assert bar.value() == bar.maximum()                         # the line sung moved, the view did not
    QTest.keyClick(pane.list, Qt.Key_Return)                    # a line chosen: the view follows again
    pane.follow(1.0)
    assert pane.current_line() == 40 and bar.value() < bar.maximum()


def test_a_line_timed_past_the_songs_end_is_shown_and_a_click_on_it_plays_nothing(qtbot, store, music, make_window):
    # an .lrc timed for a longer cut of the song (the album version beside a radio edit): its last
    # lines fall after this recording ends, and a seek there only ended the song
    # (r1 is three seconds long)
    (music / "Rock" / "r1.lrc").write_text("[00:00.00]First\n[00:01.00]Second\n[00:09.00]Past the end\n")
    window, track, pane = _paused_on_lyrics(qtbot, store, music, make_window, 3)
    assert pane.list.item(2).text() == "Past the end"
    with qtbot.assertNotEmitted(pane.seek):
        _click_line(qtbot, pane, 2)
    assert not pane.list.item(2).flags() & Qt.ItemFlag.ItemIsEnabled         # shown greyed: not in this cut
    assert window.player.current_track_id == track
    _click_line(qtbot, pane, 1)                                  # a line within the song still plays from there
    qtbot.waitUntil(lambda: abs(window.player.position - 1.0) < 0.05, timeout=5000)


def test_a_click_or_enter_on_a_line_past_the_end_seeks_nowhere_and_without_a_length_every_line_seeks(qapp, qtbot):
    from player.library.lyrics import Lyrics
    from player.ui.lyrics_pane import LyricsPane

    pane = LyricsPane()
    qtbot.addWidget(pane)
    pane.resize(300, 300)
    pane.show()
    lyrics = Lyrics(("one", "two", "after"), (0.0, 1.0, 5.0))
    pane.show_track(1)
    pane.set_lyrics(1, lyrics, length_s=2.0)
    with qtbot.assertNotEmitted(pane.seek):
        pane.list.itemActivated.emit(pane.list.item(2))        # as Enter on it would
        _click_line(qtbot, pane, 2)
    with qtbot.waitSignal(pane.seek, timeout=1000) as sought:
        _click_line(qtbot, pane, 1)
    assert sought.args == [1.0]
    pane.show_track(2)
    pane.set_lyrics(2, lyrics)                                   # length not known: nothing held back
    with qtbot.waitSignal(pane.seek, timeout=1000) as sought:
        _click_line(qtbot, pane, 2)
    assert sought.args == [5.0]
