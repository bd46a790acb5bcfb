"""What Segue has learned, in words a listener reads: for ``segue status`` and the window.

The trainer records its numbers under short technical names (``gru_hr@20``,
``n_listened``); people should not have to decode them. :func:`training_summary` turns a
training run's numbers into a few sentences, each saying what was measured and on what:
the held-out checks run on the person's latest listening sessions, which the models did
not learn from. Numbers it does not know are left to ``--json``.
"""

from __future__ import annotations

import math
import time
from datetime import date, timedelta


# The trainer's stages, as the progress shows them.
STAGES = {"reading plays": "reading your plays", "sessions": "finding your listening sessions",
          "wmf": "taste model", "autorec": "second taste model", "session": "next-song model",
          "calibrate": "fitting Up next to your habits", "written": "saved"}


# Month names in the window's language, English. ``strftime``'s ``%b`` is the system's: once
# Qt has set the locale, a German system read "on 3 Dez at 14:03", half in one language.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def month(t: float, short: bool = False) -> str:
    """The month of ``t`` by the local clock: ``December``, or ``Dec`` where ``short``."""
    name = MONTHS[time.localtime(t).tm_mon - 1]
    return name[:3] if short else name


def stage(name: str | None) -> str:
    return STAGES.get(name or "", name or "learning")


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _n(value) -> str:
    return f"{int(value):,}"


def when(t: float | None, now: float | None = None) -> str:
    """``2026-12-01 14:03 (2 hours ago)``, or ``never``. A time ahead of the clock (written
    while it ran ahead, and since put right) says so: "just now" read as this minute's."""
    if not t:
        return "never"
    s = (time.time() if now is None else now) - t
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
    if s < -60:
        return f"{stamp} (ahead of this computer's clock)"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if s >= size:
            k = round(s / size)
            return f"{stamp} ({k} {unit}{'s' if k != 1 else ''} ago)"
    return f"{stamp} (just now)"


def clock_time(t: float, now: float | None = None) -> str:
    """When ``t`` was, by the local clock, as short as it can be said without being
    mistaken for another day: ``at 14:03`` today, ``yesterday at 14:03``, ``on 3 Dec at
    14:03`` this year, ``on 3 Dec 2025 at 14:03`` before it or ahead of the clock. A time of
    day alone read as today's a day later, and a week or a year later."""
    clock = time.strftime("%H:%M", time.localtime(t))
    day, today = date.fromtimestamp(t), date.fromtimestamp(time.time() if now is None else now)
    if day == today:
        return f"at {clock}"
    if day == today - timedelta(days=1):
        return f"yesterday at {clock}"
    shown = f"{day.day} {MONTHS[day.month - 1][:3]}" + (f" {day.year}" if day.year != today.year or day > today else "")
    return f"on {shown} at {clock}"


def learned_from(metrics: dict, n_plays: int | None = None) -> str:
    """``1,234 plays in 96 listening sessions (980 heard through)``."""
    plays = metrics.get("n_plays", n_plays)
    parts = [f"{_n(plays or 0)} plays"]
    if metrics.get("n_sessions"):
        parts.append(f"in {_n(metrics['n_sessions'])} listening sessions")
    text = " ".join(parts)
    if metrics.get("n_listened") is not None:
        text += f" ({_n(metrics['n_listened'])} heard through rather than skipped)"
    return text


def behind(state: dict) -> str:
    """What :meth:`player.trainer.Trainer.behind` says of the models, in words ("" when they
    learned from the plays as they are). The count of new plays alone said "0 since the last
    training" after an imported file was taken out or swapped, with a training due."""
    if state.get("files_taken_out"):
        changed = "an imported history was taken out since then"
    elif state.get("read_unknown"):
        # (a run recorded before runs noted what they read: nothing is known to have changed)
        changed = "the last training was by an earlier version of Segue"
    elif state.get("history_changed"):
        changed = "your plays changed since then"
    else:
        changed = ""
    due = {"now": "a training is due", "quiet": "waiting for a quiet moment to learn"}.get(state.get("due"), "")
    return ": ".join(part for part in (changed, due) if part)


def why_stopped(gave_up: dict) -> str:
    """What the player's ``gave_up`` event says, in words: "5 songs in a row could not be
    played", or, repeating all, "none of the 3 songs repeated could be played"."""
    if gave_up["went_round"]:
        return f"none of the {gave_up['songs']} songs repeated could be played"
    return f"{gave_up['errors']} songs in a row could not be played"


def measured(metrics: dict | None) -> dict:
    """``metrics`` without the numbers a training could not take (NaN where no held-out
    session was long enough to measure on): not a measurement, and no JSON reader's value."""
    return {k: v for k, v in (metrics or {}).items() if not (isinstance(v, float) and not math.isfinite(v))}


def training_summary(metrics: dict) -> list[str]:
    """Sentences about how well the learned models guess this person's listening."""
    m = measured(metrics)
    lines = []
    if "upnext_hr@20" in m:
        tries = f" in {_n(m['upnext_queries'])} tries" if m.get("upnext_queries") else ""
        line = f"Up next: the song you played next was among its 20 picks {_pct(m['upnext_hr@20'])} of the time{tries}"
        if "upnext_default_hr@20" in m:
            line += f" (before fitting it to your habits: {_pct(m['upnext_default_hr@20'])})"
        lines.append(line)
    if m.get("upnext_artist_stay", 0) > 0 and m.get("upnext_stay_offers"):
        lines.append(f"Up next: of the songs it offered right after one you kept, you kept "
                     f"{_n(m['upnext_stay_kept'])} of {_n(m['upnext_stay_offers'])} by the same artist and "
                     f"{_n(m['upnext_move_kept'])} of {_n(m['upnext_move_offers'])} by others, "
                     f"so it lets an artist play on")
    if "gru_hr@20" in m:
        line = f"Next-song model: your next song was in its top 20 guesses {_pct(m['gru_hr@20'])} of the time"
        if "popularity_hr@20" in m:
            line += f" (guessing your most played songs: {_pct(m['popularity_hr@20'])})"
        lines.append(line)
    if "wmf_recall@20" in m:
        line = f"Taste model: it found {_pct(m['wmf_recall@20'])} of a session's songs among its top 20"
        if "popularity_recall@20" in m:
            line += f" (your most played songs: {_pct(m['popularity_recall@20'])})"
        lines.append(line)
    if "autorec_recall@20" in m:
        line = f"Second taste model: {_pct(m['autorec_recall@20'])} of a session's songs in its top 20"
        if "autorec_popularity_recall@20" in m:
            line += f" (most played: {_pct(m['autorec_popularity_recall@20'])})"
        lines.append(line)
    if lines:
        lines.append("These checks use your latest listening sessions, which the models did not learn from.")
    if m.get("seconds") is not None:
        lines.append(f"Learning took {float(m['seconds']):.1f} s.")
    if m.get("note"):
        lines.append(str(m["note"]).capitalize() + ".")
    return lines
