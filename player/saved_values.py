"""Values read back from what Segue saved (settings, the kept plays): each checked for its
kind. A state edited by hand, a sync tool's damaged copy or another Segue's may hold
anything, and Python's JSON reads NaN, Infinity and 1e400 as numbers: an odd one raised
OverflowError, or SQLite's "too large", past the readers' guards."""

from __future__ import annotations

import math

#: what reading an odd value raises
UNREADABLE = (TypeError, ValueError, IndexError, KeyError, OverflowError)


def whole(value, low: int = 0) -> int:
    """A whole number (a count, an id) from ``low``; ValueError (or the like) where it is
    none, or none SQLite can hold."""
    number = int(value)
    if not low <= number < 1 << 63:
        raise ValueError(f"out of range: {value!r}")
    return number


def row_id(value) -> int:
    """A track's or a play's id (see :func:`whole`)."""
    return whole(value, 1)


def row_id_or_none(value) -> int | None:
    """:func:`row_id`, None where unreadable."""
    try:
        return row_id(value)
    except UNREADABLE:
        return None


def finite(value) -> float:
    """A time or a place; ValueError where it is no finite number."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not finite: {value!r}")
    return number


def on(value) -> bool:
    """A flag saved as a boolean: any other value, the word "false" among them, is off."""
    return value is True
