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


def test_a_song_whose_output_cannot_start_is_shown_waiting_and_plays_at_play(qtbot, scanned, make_window):
    """The output cannot start as a song is played (its device gone since the last song): the
    window shows that song, paused at its start, says how to go on, and Play plays it once the
    output is back; no play of it is in the history until then."""
    from player.audio.base import AudioEngineError

    window = make_window(scanned)
    player = window.player
    track = scanned.tracks()[0]
    start = player.engine._output_start

    def gone():
        raise AudioEngineError("cannot start the audio output: Device unavailable")

    player.engine._output_start = gone  # what the sound card engine raises with its device gone
    window.play_ids([track["id"]], 0, "library")
    qtbot.waitUntil(lambda: "Sound output lost" in window.statusBar().currentMessage(), timeout=10000)
    qtbot.waitUntil(lambda: window.transport.title.text() == track["title"], timeout=5000)
    assert window.transport.play_btn.accessibleName() == "Play"
    assert scanned.plays() == [] and player.cued.entry.track_id == track["id"]
    player.engine._output_start = start
    window.toggle_play()
    qtbot.waitUntil(lambda: player.current_track_id == track["id"] and player.state is PlaybackState.PLAYING,
                    timeout=10000)
