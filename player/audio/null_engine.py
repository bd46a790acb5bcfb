"""An engine that plays into nothing, in real time (tests, headless runs).

It runs exactly the code the sound card engine runs -- decoder thread, ring
buffer, gapless hand-over, play accounting -- with a clock thread standing in
for the device. ``speed`` > 1 plays faster than real time (for quick tests);
``capture=True`` keeps every frame it "played" so tests can inspect the output.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from player.audio.buffered import BufferedEngine


class NullEngine(BufferedEngine):
    """Real-time pacing into nothing.

    Parameters
    ----------
    rate : output sample rate.
    blocksize : frames per simulated device callback.
    speed : playback speed relative to real time (1.0 = real time).
    capture : keep the output frames (see :meth:`captured`).
    """

    def __init__(self, *, rate: int = 44100, channels: int = 2, blocksize: int = 1024,
                 speed: float = 1.0, capture: bool = False, buffer_s: float = 1.5,
                 crossfade_s: float = 0.0, watchdog_s: float = 2.0):
        if speed <= 0 or blocksize <= 0:
            raise ValueError(f"bad null engine pacing: speed={speed}, blocksize={blocksize}")
        self._blocksize = blocksize
        self._speed = speed
        self._capture = capture
        self._captured: list[np.ndarray] = []
        self._out = np.zeros((blocksize, channels), dtype=np.float32)
        self._running = threading.Event()
        self._stop_clock = False
        self._lost = False
        super().__init__(rate=rate, channels=channels, buffer_s=buffer_s, crossfade_s=crossfade_s,
                         watchdog_s=watchdog_s)
        self._clock = threading.Thread(target=self._clock_loop, name="null-output", daemon=True)
        self._clock.start()

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, speed: float) -> None:
        """Change the pace from the next block on (a test that wants one song heard slowly)."""
        if speed <= 0:
            raise ValueError(f"bad null engine pacing: speed={speed}")
        self._speed = speed

    def _clock_loop(self) -> None:
        deadline = time.monotonic()
        while not self._stop_clock:
            period = self._blocksize / self.rate / self._speed
            if not self._running.is_set():
                # Until playback starts or the engine closes (both set it): a device that
                # is not playing takes no blocks, and a poll woke the process 20 times a second.
                self._running.wait()
                deadline = time.monotonic()
                continue
            if self._lost:
                time.sleep(0.05)    # (unplugged: it takes nothing until another device is set)
                deadline = time.monotonic()
                continue
            self._render(self._out)
            if self._capture:
                self._captured.append(self._out.copy())
            deadline += period
            delay = deadline - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.5:  # fell far behind (suspended?): don't try to catch up
                deadline = time.monotonic()

    def _output_start(self) -> None:
        self._running.set()

    def _output_stop(self, *, drain: bool = False) -> None:
        self._running.clear()

    def _output_running(self) -> bool:
        return self._running.is_set()

    def _output_reach_s(self) -> float | None:
        # (no latency: a block taken is "played" at once)
        return 2 * self._blocksize / self.rate

    def _output_close(self) -> None:
        self._stop_clock = True
        self._running.set()
        self._clock.join(2)

    def devices(self) -> list[str]:
        return ["null"]

    @property
    def device(self) -> str | None:
        return "null"

    def set_device(self, name: str | None) -> None:
        """Any name works: the null output is everywhere. Clears a simulated loss."""
        self._lost = False

    def simulate_device_loss(self) -> None:
        """Make the output stop consuming, as an unplugged device does (the watchdog notices)."""
        self._lost = True

    def captured(self) -> np.ndarray:
        """Every frame sent to the (null) device while it ran, silences included [shape=(n, channels)]."""
        if not self._captured:
            return np.zeros((0, self.channels), np.float32)
        return np.concatenate(self._captured)
