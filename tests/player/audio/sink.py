"""A PulseAudio null sink for the real-device tests, and a recorder of its monitor.

``SEGUE_AUDIO_TESTS=1`` (CI) turns "no working device" into a failure instead of
a skip. A sink already named by ``PULSE_SERVER`` (scripts/test.sh starts one) is
reused; otherwise one is started with scripts/null-sink.sh and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "null-sink.sh"
RATE = 44100  # the null sink's default rate


def _required() -> bool:
    return os.environ.get("SEGUE_AUDIO_TESTS") == "1"


def unavailable(reason: str):
    """Fail in CI (SEGUE_AUDIO_TESTS=1), skip elsewhere."""
    if _required():
        pytest.fail(f"SEGUE_AUDIO_TESTS=1 but no audio device works: {reason}")
    pytest.skip(f"no audio device: {reason}")


def _has_null_sink(env: dict) -> bool:
    try:
        out = subprocess.run(["pactl", "list", "short", "sinks"], env=env, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "nullsink" in out.stdout


def start_sink() -> tuple[dict, str | None]:
    """Environment values of a running null sink, and its folder if we started it."""
    if shutil.which("pactl") is None or shutil.which("pulseaudio") is None:
        unavailable("pulseaudio/pactl not installed (scripts/setup-system.sh)")
    if os.environ.get("PULSE_SERVER") and _has_null_sink(dict(os.environ)):
        return {}, None
    values = _start({k: v for k, v in os.environ.items() if k != "SEGUE_NULL_SINK_DIR"})
    return values, values.get("SEGUE_NULL_SINK_DIR")


def _start(env: dict) -> dict:
    # A run that is killed before its teardown leaves no server behind for long.
    env = {**env, "SEGUE_NULL_SINK_EXIT_IDLE": "120"}
    out = subprocess.run([str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        unavailable(f"scripts/null-sink.sh start failed: {out.stderr.strip()[-500:]}")
    values = {}
    for line in out.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = value
    return values


def start_sink_private() -> tuple[dict, str]:
    """A new null sink of our own (whatever else runs); returns its exports and folder."""
    values = _start({k: v for k, v in os.environ.items() if k not in ("SEGUE_NULL_SINK_DIR", "PULSE_SERVER")})
    return values, values["SEGUE_NULL_SINK_DIR"]


def stop_sink(folder: str) -> None:
    subprocess.run([str(SCRIPT), "stop", folder], capture_output=True, timeout=30)


class PrivateServer:
    """A sound server of the test's own, started at once, its exports in ``os.environ`` while
    it runs: one the test can kill mid-play (a device or sound server gone) and start again.
    :meth:`close` stops every one started and puts back the exports it replaced."""

    started = 0     # how many were started in this session (PortAudio may have seen them)

    def __init__(self):
        self._saved: dict | None = None
        self._folders: list[str] = []
        self.start()

    def start(self) -> None:
        values, folder = start_sink_private()
        if self._saved is None:
            self._saved = {k: os.environ[k] for k in values if k in os.environ}
        os.environ.update(values)
        self._folders.append(folder)
        PrivateServer.started += 1

    def kill(self) -> None:
        """Kill the latest server at once, as a crash or an unplugged device would end it."""
        os.kill(int((Path(self._folders[-1]) / "pulse.pid").read_text()), 9)

    def close(self) -> None:
        os.environ.update(self._saved or {})
        for folder in self._folders:
            stop_sink(folder)


def hold(pid: int, at_most_s: int = 120) -> None:
    """Stop the sound server ``pid`` (SIGSTOP: a server that stops answering), and have it go
    on by itself after ``at_most_s`` whatever becomes of the test: a run killed while it held
    the server (a CI time limit) left it stopped for good, as a stopped server never gets to
    exit when idle. The test sends SIGCONT itself as soon as it is done with it."""
    # (still stopped: not another process given its id since)
    still = f"[ \"$(cut -d' ' -f3 /proc/{int(pid)}/stat 2>/dev/null)\" = T ]"
    subprocess.Popen(["sh", "-c", f"sleep {int(at_most_s)}; {still} && kill -CONT {int(pid)}"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    os.kill(pid, signal.SIGSTOP)


def reinit_portaudio() -> None:
    """PortAudio lists devices once; look again now that a sound server runs."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


class MonitorRecorder:
    """Records ``nullsink.monitor`` (what was played) with parecord, float32 stereo."""

    def __init__(self, path: Path, *, rate: int = RATE):
        self.path = path
        self.rate = rate
        path.unlink(missing_ok=True)    # (a recording left by an earlier try would read as this one begun)
        self.proc = subprocess.Popen(
            ["parecord", "--device=nullsink.monitor", "--raw", "--format=float32le",
             f"--rate={rate}", "--channels=2", "--latency-msec=20", str(path)],
            stderr=subprocess.PIPE)
        # Recording once its first samples are written (the null sink's monitor gives silence
        # all the time): a fixed 0.3 s wait was too short on a loaded machine (parecord took
        # 0.8 s with three busy loops on 2 cores), and the start of what was played was lost.
        if not self._wait(lambda: self._size() > 0):
            self.proc.kill()        # (still running: it recorded nothing)
            self.proc.wait(10)
            unavailable(f"parecord failed: {self.proc.stderr.read().decode()[-300:]}")

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _wait(self, cond, timeout: float = 15.0) -> bool:
        """Wait for ``cond``; False at once if parecord ended, or once ``timeout`` ran out."""
        end = time.monotonic() + timeout
        while not cond():
            if self.proc.poll() is not None or time.monotonic() > end:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> np.ndarray:
        """Stop and return the recording [shape=(n, 2)]."""
        # What was played last is still in the sink: stopped once 0.3 s more of the monitor
        # is recorded, not after 0.3 s of the clock (parecord, slow to be scheduled on a loaded
        # machine, had not yet written the end).
        more = self._size() + int(0.3 * self.rate) * 2 * 4
        self._wait(lambda: self._size() >= more)
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stderr.close()
        data = np.fromfile(self.path, dtype="<f4")
        return data[: len(data) - len(data) % 2].reshape(-1, 2)
