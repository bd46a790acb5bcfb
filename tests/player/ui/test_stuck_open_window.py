"""A song on a share that does not answer, played from the window: the window goes on
answering, and once the wait for the file is over it names the song and says why."""

from __future__ import annotations

import player.audio.feeder as feeder
from tests.player.test_stuck_open import BOUND_S, HeldOpen


def test_a_song_whose_file_does_not_open_is_named_with_why(qtbot, scanned, music, make_window, monkeypatch):
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    stuck = HeldOpen(monkeypatch, "f1")                     # "River Song", on the share
    try:
        window = make_window(scanned)
        window.play_ids([scanned.track_by_path(str(music / "Folk" / "f1.flac"))["id"]], 0, "library")
        said = (f"Could not play “River Song” by Hollow Pines: did not open in {BOUND_S:g} s: "
                "the disk or share does not answer")
        qtbot.waitUntil(lambda: window.statusBar().currentMessage() == said, timeout=10000)
        assert stuck.waiting == 1 and not stuck.opened      # (said while the open is still held)
    finally:
        stuck.release()
