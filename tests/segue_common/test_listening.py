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
