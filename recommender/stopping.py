"""Asking a training to stop between its steps.

The learner process trains at the lowest priority and must leave within a fraction
of a second when the app quits, so every long loop of a training (ALS iterations,
AutoRec and GRU batches, Up next's held-out queries, the sessions replayed to learn its
corrections) calls :func:`check` with the ``should_stop`` it was given. The stop
surfaces as :class:`TrainingStopped`, which unwinds the training like any error: the
run folder it was writing is removed and the models already published stay in use.
"""

from __future__ import annotations

from typing import Callable, Optional

ShouldStop = Optional[Callable[[], bool]]


class TrainingStopped(Exception):
    """The training was asked to stop before it ended; nothing it made is kept."""


def check(should_stop: ShouldStop) -> None:
    """Raise :class:`TrainingStopped` if ``should_stop`` (None: never) says so."""
    if should_stop is not None and should_stop():
        raise TrainingStopped("the training was asked to stop")
