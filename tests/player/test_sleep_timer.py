"""The sleep timer's count and fade, on a clock the test moves."""

from __future__ import annotations

import pytest

from player.sleep_timer import FADE_S, SleepTimer, SleepTimerError, time_left_text


def test_the_timer_counts_down_holds_full_volume_then_fades_to_nothing():
    now = [100.0]
    timer = SleepTimer(lambda: now[0])
    assert not timer.running and timer.left_s() is None and timer.gain() == 1.0 and not timer.due()
    timer.start(15 * 60)
    assert timer.running and timer.left_s() == 15 * 60
    now[0] += 15 * 60 - FADE_S
    assert timer.gain() == 1.0
    gains = []
    for _ in range(10):
        now[0] += 1.0
        gains.append(timer.gain())
    assert all(a > b for a, b in zip(gains, gains[1:]))
    assert gains[-1] == 0.0 and timer.due()
    now[0] += 60
    assert timer.left_s() == 0.0 and timer.gain() == 0.0
    timer.cancel()
    assert not timer.running and timer.gain() == 1.0 and not timer.due()


@pytest.mark.parametrize("seconds", [0, -5, float("nan"), float("inf")])
def test_a_timer_of_no_time_is_refused(seconds):
    with pytest.raises(SleepTimerError, match="time ahead"):
        SleepTimer().start(seconds)


def test_the_time_left_is_said_in_minutes_and_seconds_never_zero_before_the_pause():
    assert time_left_text(15 * 60) == "Sleep in 15:00"
    assert time_left_text(61.2) == "Sleep in 1:02"
    assert time_left_text(0.2) == "Sleep in 0:01"


def test_the_player_fades_under_the_persons_volume_and_sleeps_only_while_music_plays(store, make_player):
    p = make_player()
    p.volume = 0.5
    p.set_sleep_fade(0.2)
    assert p.engine.volume == pytest.approx(0.1) and p.volume == 0.5
    p.volume = 0.8                                  # the person turns it up mid-fade: still faded
    assert p.engine.volume == pytest.approx(0.16) and p.volume == 0.8
    assert p.sleep() is False                       # nothing plays: nothing to pause, the volume back
    assert p.engine.volume == pytest.approx(0.8)
