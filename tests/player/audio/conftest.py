"""Fixtures for the audio tests: the null sink (session-wide) and signal helpers."""

from __future__ import annotations

import os
import sys
import time

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


def _portaudio_view(sd):
    """The devices PortAudio lists and its default output (None: it cannot say)."""
    try:
        return [d["name"] for d in sd.query_devices()], sd._lib.Pa_GetDefaultOutputDevice()
    except Exception:  # noqa: BLE001 - not initialised, or in a state it cannot list: looked at anew
        return None


@pytest.fixture(autouse=True)
def _portaudio_as_found():
    """Each test leaves PortAudio as it found it. PortAudio reads its list of devices as it
    starts, under the sound server named at that moment: a test that started it again under a
    server of its own (killed since) left it with no default device, and every later test in
    the session that opened the default failed, so that the order of the tests decided."""
    sd = sys.modules.get("sounddevice")     # (never imported here: most tests have no use for it)
    before = _portaudio_view(sd) if sd is not None else None
    servers = sink.PrivateServer.started
    yield
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return
    if sink.PrivateServer.started != servers or _portaudio_view(sd) != before:
        # (not while a stream left to stop on its own is still being stopped: ending PortAudio
        # would close it under that stop)
        engine = sys.modules.get("player.audio.sd_engine")
        end = time.monotonic() + 10
        while engine is not None and engine._left_to_stop and time.monotonic() < end:
            time.sleep(0.05)
        sink.reinit_portaudio()
