"""The sound output goes away mid-song: the window shows the song paused and says what to do."""

from player.audio.base import PlaybackState


def test_a_lost_output_pauses_the_song_and_says_how_to_go_on(qtbot, scanned, make_window):
    window = make_window(scanned)
    player = window.player
    player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: player.state is PlaybackState.PLAYING and player.position > 0.1, timeout=10000)
    player.engine._watchdog_s = 0.3
    player.engine.simulate_device_loss()
    qtbot.waitUntil(lambda: "Sound output lost" in window.statusBar().currentMessage(), timeout=10000)
    message = window.statusBar().currentMessage()
    assert "paused" in message and "Press Play" in message and "Settings" in message
    assert player.state is PlaybackState.PAUSED and player.current_track_id is not None
    qtbot.waitUntil(lambda: window.transport.play_btn.accessibleName() == "Play", timeout=5000)
