"""Fixtures for the audio tests: the null sink (session-wide) and signal helpers."""

from __future__ import annotations

import os

import pytest

from tests.player.audio import sink


@pytest.fixture(scope="session")
def null_sink():
    """Environment of a running PulseAudio null sink (started here if none is)."""
    values, started = sink.start_sink()
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        sink.reinit_portaudio()
    except OSError as exc:
        sink.unavailable(f"PortAudio missing: {exc}")
    yield values
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if started:
        sink.stop_sink(started)
