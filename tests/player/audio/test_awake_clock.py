"""The clock the wait for a failed read is counted by stands still while the computer sleeps."""

from __future__ import annotations

import ctypes
import time

from types import SimpleNamespace

from player.audio.awake import awake_clock_for, query_in, unbiased_clock
from player.audio.base import PlaybackState
from player.audio.null_engine import NullEngine
from tests.player.test_playback import wait_for


def test_the_clock_of_the_time_awake_is_chosen_per_system():
    # Linux's and macOS's monotonic clocks stand still in a suspend; Windows' (the performance
    # counter) counts it, so there the kernel's unbiased interrupt time is read: 100 ns units.
    assert awake_clock_for("linux") is time.monotonic
    assert awake_clock_for("darwin") is time.monotonic
    awake = {"units": 123_456_789}

    def query(pointer) -> int:
        ctypes.cast(pointer, ctypes.POINTER(ctypes.c_ulonglong)).contents.value = awake["units"]
        return 1

    clock = awake_clock_for("win32", windows_query=lambda: query)
    assert clock() == 12.3456789
    awake["units"] += 5 * 10_000_000
    assert abs(clock() - 17.3456789) < 1e-9
    assert unbiased_clock(query)() == awake["units"] / 10_000_000

    def missing():
        raise OSError("no such function")

    assert awake_clock_for("win32", windows_query=missing) is time.monotonic   # (as before, said)


def test_the_kernel_calls_are_read_by_their_own_prototypes():
    # The precise call returns nothing: read as a BOOL, a zero left in the register sent the
    # clock to its fallback (another clock) mid-wait. Real C calls stand in for kernel32's.
    awake = {"units": 30 * 10_000_000}

    def fill(pointer, result=None):
        pointer[0] = awake["units"]
        return result

    count_p = ctypes.POINTER(ctypes.c_ulonglong)
    precise = ctypes.CFUNCTYPE(None, count_p)(fill)
    plain = ctypes.CFUNCTYPE(ctypes.c_int, count_p)(lambda pointer: fill(pointer, 1))
    both = SimpleNamespace(QueryUnbiasedInterruptTimePrecise=precise, QueryUnbiasedInterruptTime=plain)
    clock = awake_clock_for("win32", windows_query=lambda: query_in(both))
    assert (precise.argtypes, precise.restype) == ([count_p], None)
    assert clock() == 30.0
    awake["units"] += 5_000_000
    assert clock() == 30.5
    # Before Windows 10 only the plain one is there: its BOOL is read, and a count comes back.
    older = SimpleNamespace(QueryUnbiasedInterruptTime=plain)
    assert awake_clock_for("win32", windows_query=lambda: query_in(older))() == 30.5
    assert (plain.argtypes, plain.restype) == ([count_p], ctypes.c_int)
    assert awake_clock_for("win32", windows_query=lambda: query_in(SimpleNamespace())) is time.monotonic


def test_the_time_played_stands_still_while_the_computer_sleeps():
    # The heal's wait counts the time played (Decoder._heal). Counted by a clock that runs on
    # in a suspend, a read that failed just before the laptop closed was given up on waking.
    # The sleep is modelled by the clock of the time awake standing still while time passes.
    awake = {"now": 100.0}
    engine = NullEngine()
    try:
        engine._awake = lambda: awake["now"]
        engine._set_state(PlaybackState.PLAYING)
        start = engine._played_clock()
        awake["now"] += 3.0
        assert engine._played_clock() == start + 3.0
        asleep_from = time.monotonic()
        assert wait_for(lambda: time.monotonic() > asleep_from + 0.2)
        assert engine._played_clock() == start + 3.0        # asleep: no time played
        engine._set_state(PlaybackState.PAUSED)
        awake["now"] += 60.0
        assert engine._played_clock() == start + 3.0        # paused: none either
        engine._set_state(PlaybackState.PLAYING)
        awake["now"] += 1.0
        assert engine._played_clock() == start + 4.0
    finally:
        engine._set_state(PlaybackState.STOPPED)
        engine.close()
