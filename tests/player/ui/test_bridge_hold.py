"""The bridge over an engine that plays what it takes at once (the null engine): a song is
shown as it starts, in the order the player says it, never held for a sound still to come."""

import threading

from player.audio.base import PlaybackState
from player.audio.null_engine import NullEngine
from player.playback import Player
from player.ui.bridge import PlayerBridge
from tests.player.test_playback import add_tracks


def test_with_no_latency_to_wait_for_each_song_is_shown_as_it_starts(store, qtbot, tmp_path):
    ids = add_tracks(store, tmp_path, [("a", 1.0), ("b", 1.0), ("c", 1.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    bridge = PlayerBridge(p)
    logged, shown, lock = [], [], threading.Lock()

    def note_logged(event, data):
        if event == "track_started":
            with lock:
                logged.append((data["track_id"], data["heard_at"]))

    p.add_listener(note_logged)
    # (the signal comes from the player's threads: a queued call, on the GUI thread)
    bridge.track_started.connect(lambda data: shown.append((data["track_id"], bridge.holding)))
    try:
        p.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: p.state is PlaybackState.STOPPED and len(shown) == 3, timeout=20000)
    finally:
        bridge.shutdown()
        p.close()
    assert logged == [(t, None) for t in ids]     # the null engine has no latency to tell of
    assert shown == [(t, False) for t in ids]
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(t, "finished") for t in ids]
