"""segue status and the learned-tooltip speak plain words, not the trainer's metric names."""

from __future__ import annotations

import time

import pytest

from player.plain_words import clock_time, learned_from, stage, training_summary, when

METRICS = {"n_plays": 1234, "n_listened": 980, "n_sessions": 96, "gru_hr@20": 0.0, "popularity_hr@20": 0.12,
           "wmf_recall@20": 0.153, "popularity_recall@20": 0.101, "upnext_hr@20": 0.61, "upnext_queries": 40,
           "upnext_default_hr@20": 0.55, "upnext_sequence_weight": 0.5, "seconds": 3.21, "models": ["wmf"],
           "upnext_artist_stay": 1.2, "upnext_stay_offers": 110, "upnext_stay_kept": 71, "upnext_move_offers": 52,
           "upnext_move_kept": 18}


def test_training_numbers_become_sentences():
    text = "\n".join([learned_from(METRICS), *training_summary(METRICS)])
    assert "1,234 plays in 96 listening sessions (980 heard through rather than skipped)" in text
    assert "among its 20 picks 61% of the time in 40 tries (before fitting it to your habits: 55%)" in text
    assert "top 20 guesses 0% of the time (guessing your most played songs: 12%)" in text
    assert "15% of a session's songs" in text and "Learning took 3.2 s." in text
    assert "you kept 71 of 110 by the same artist and 18 of 52 by others, so it lets an artist play on" in text
    # Someone who keeps fewer of those runs than of the rest is told nothing: nothing changes for them.
    away = {**METRICS, "upnext_artist_stay": -0.4}
    assert not any("play on" in line for line in training_summary(away))
    for jargon in ("n_listened", "gru_hr", "@20", "recall", "=0.000", "upnext_"):
        assert jargon not in text
    assert training_summary({}) == [] and stage("wmf") == "taste model" and stage("new-stage") == "new-stage"



@pytest.fixture
def berlin(time_zone):
    time_zone("Europe/Berlin")


def _berlin(stamp: str) -> float:
    return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M"))


def test_a_time_not_of_today_names_its_day(berlin):
    # The morning after the clocks went forward (29 March 2026): the night before is
    # yesterday, 00:30 that night is today, though fewer than 24 hours lie between.
    now = _berlin("2026-03-29 10:00")
    assert clock_time(_berlin("2026-03-29 00:30"), now) == "at 00:30"
    assert clock_time(_berlin("2026-03-28 23:30"), now) == "yesterday at 23:30"
    assert clock_time(_berlin("2026-03-28 00:10"), now) == "yesterday at 00:10"
    assert clock_time(_berlin("2026-03-20 18:05"), now) == "on 20 Mar at 18:05"
    assert clock_time(_berlin("2025-03-29 10:00"), now) == "on 29 Mar 2025 at 10:00"
    # Trained while the clock ran a year ahead: its day, with the year, not a time of today.
    assert clock_time(_berlin("2027-03-29 09:00"), now) == "on 29 Mar 2027 at 09:00"
    assert clock_time(_berlin("2026-03-30 09:00"), now) == "on 30 Mar 2026 at 09:00"


def test_a_time_ahead_of_the_clock_is_not_just_now(berlin):
    now = _berlin("2026-03-29 10:00")
    assert when(_berlin("2026-03-29 08:00"), now) == "2026-03-29 08:00 (2 hours ago)"
    assert when(now + 5, now) == "2026-03-29 10:00 (just now)"      # a clock a few seconds behind
    # Learnt while the clock ran a year ahead, read after NTP put it right.
    assert when(_berlin("2027-03-29 09:00"), now) == "2027-03-29 09:00 (ahead of this computer's clock)"


@pytest.fixture
def in_german(tmp_path):
    """Runs Python code in a child whose system language is German; returns what it printed.

    Qt sets the C library's locale from the system's as it starts, and strftime's names follow
    it. A German locale is compiled here for the child (none is installed on a build box)."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("localedef") is None:
        pytest.skip("no localedef to compile a German locale with")
    subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", str(tmp_path / "de_DE.UTF-8")], capture_output=True)
    if not (tmp_path / "de_DE.UTF-8").exists():
        pytest.skip("the German locale's sources are not installed")
    env = dict(os.environ, LOCPATH=str(tmp_path), LC_ALL="de_DE.UTF-8", TZ="UTC", QT_QPA_PLATFORM="offscreen")

    def run(code: str) -> list[str]:
        code = ("import locale, time\n"
                "locale.setlocale(locale.LC_ALL, '')\n"
                "assert time.strftime('%b', time.gmtime(1764770580)) == 'Dez', 'the German locale did not take'\n"
                + code)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split("\n")[:-1]
    return run


def test_months_are_named_in_english_whatever_the_system_s_language(in_german):
    # The month names strftime gave were German on a German system: "on 3 Dez 2025 at 14:03".
    out = in_german("t = 1764770580.0\n"                        # 2025-12-03 14:03 UTC, a Wednesday
                    "from player.plain_words import clock_time\n"
                    "from player.ui.listening_pages import _week_label\n"
                    "print(clock_time(t, now=t + 200 * 86400)); print(_week_label(t - 2 * 86400))\n")
    assert out[:2] == ["on 3 Dec 2025 at 14:03", "week of 1 Dec 2025"]


def test_the_charts_date_axes_name_months_and_days_in_english_whatever_the_system_s_language(in_german):
    # pyqtgraph names them with strftime: the Listening charts read "Dez" and "Mi 03" on a German system.
    out = in_german("from PySide6.QtWidgets import QApplication\n"
                    "app = QApplication([])\n"
                    "from player.ui.charts import themed_plot\n"
                    "t = 1764770580.0\n"                        # 2025-12-03 14:03 UTC, a Wednesday
                    "for days in (120, 1):\n"                   # months, then days of the week
                    "    plot = themed_plot('Plays per week', date_axis=True)\n"
                    "    plot.resize(800, 300)\n"
                    "    plot.setXRange(t - days * 86400, t + days * 86400, padding=0)\n"
                    "    plot.grab()\n"                         # painted: the axis has chosen its scale
                    "    axis = plot.getAxis('bottom')\n"
                    "    ticks = axis.tickValues(*axis.range, axis.width())\n"
                    "    print('|'.join(s for spacing, at in ticks for s in axis.tickStrings(at, 1, spacing)))\n")
    months, days = (line.split("|") for line in out)
    assert {"Oct", "Nov", "Dec", "Feb"} <= set(months), months
    assert {"Dez", "Okt", "Mär", "Mai"}.isdisjoint(months), months
    assert "Wed 03" in days and not any(label.startswith("Mi ") for label in days), days

