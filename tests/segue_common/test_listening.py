"""The shared session rule (segue_common.listening)."""

import numpy as np
import pytest

from segue_common.listening import SessionError, split_sessions


def test_split_at_thirty_idle_minutes_as_the_store_does():
    t = np.array([0, 60, 60 + 1799, 60 + 1799 + 1800, 10_000, 10_001], dtype=float)
    sessions = split_sessions(t)
    # 30 min less 1 s stays in the session; exactly 30 min starts a new one (as the store)
    assert [s.tolist() for s in sessions] == [[0, 1, 2], [3], [4, 5]]


def test_split_gap_is_configurable_and_checked():
    t = np.array([0.0, 100.0, 250.0])
    assert len(split_sessions(t, gap_s=120)) == 2
    assert split_sessions(np.zeros(0)) == []
    with pytest.raises(SessionError):
        split_sessions(np.array([5.0, 1.0]))
    with pytest.raises(SessionError):
        split_sessions(t, gap_s=0)


def test_split_sessions_with_ends_times_the_pause_from_the_last_activity():
    import numpy as np

    from segue_common.listening import SESSION_GAP_S, split_sessions

    starts = np.array([0.0, 2400.0, 2400.0 + 700 + SESSION_GAP_S])
    # A 40-minute piece: start to start the gap is over the rule, but nobody paused.
    assert [len(s) for s in split_sessions(starts)] == [1, 1, 1]
    ends = starts + np.array([2400.0, 600.0, 100.0])
    assert [s.tolist() for s in split_sessions(starts, ends=ends)] == [[0, 1], [2]]


def test_an_imported_play_ends_as_the_service_says_and_a_short_song_run_out_is_finished():
    from segue_common.listening import play_ending

    assert play_ending(20_000, False, "trackdone") == "finished"       # a 20 s interlude heard whole
    assert play_ending(20_000, None, "fwdbtn") == "skipped"
    assert play_ending(20_000, True, "trackdone") == "skipped"         # the service says skipped
    assert play_ending(200_000, None, None) == "finished"              # a scrobble
    assert play_ending(200_000, False, "endplay") == "stopped"
