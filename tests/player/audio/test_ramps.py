"""Level changes that must not click: volume steps, seeks, a new track over the one playing.

The output is driven by hand here, a block at a time, so where each change falls is known."""

import time

import numpy as np
import pytest

from player.audio.base import Source
from player.audio.null_engine import NullEngine
from tests.player.audio.signals import sine_residual, write_sine_parts

SR = 44100
BLOCK = 256          # smaller than a ramp: a ramp has to carry over from one block to the next


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def engine():
    engines = []

    def make(**kw):
        e = NullEngine(speed=1.0, **kw)
        e.simulate_device_loss()        # the test is the output: it reads block by block
        e._watchdog_s = 60.0            # (a pause of the test's on a loaded machine is no lost device)
        engines.append(e)
        return e

    yield make
    for e in engines:
        e.close()


def filled(e):
    """Wait until the feeder has filled the buffer (nothing it writes later changes a test)."""
    assert e.sync()
    assert wait_for(lambda: e._ring.free() < 4096 or e._ring.end_of_stream)


def render(e, blocks):
    """Be the output for ``blocks`` blocks; the left channel of what it played."""
    got = []
    for _ in range(blocks):
        out = np.zeros((BLOCK, 2), np.float32)
        e._render(out)
        got.append(out[:, 0].copy())
    return np.concatenate(got)


def worst_jump(x):
    """The largest step in ``x`` that a 440 Hz sine does not make by itself (steady play: ~1e-7;
    a level cut mid-wave: of the order of the amplitude)."""
    return float(np.abs(sine_residual(x, freq=440.0, sr=SR)).max())


def test_a_volume_change_glides_instead_of_jumping(engine, tmp_path):
    (a,), whole = write_sine_parts(tmp_path, [3 * SR], amp=0.5)
    e = engine()
    e.play(Source(str(a)))
    filled(e)
    got = [render(e, 20)]
    for volume in (0.5, 1.0, 0.3, 0.95, 0.0, 0.8):
        e.volume = volume
        got.append(render(e, 9))
    out = np.concatenate(got)
    assert worst_jump(out) < 0.01
    # Each glide is over within a few milliseconds: the output is then the sine at the new level.
    at = len(out) - 9 * BLOCK
    assert np.allclose(out[at + 1024:], 0.8 * whole[at + 1024:len(out)], atol=1e-6)


def test_a_volume_set_while_nothing_plays_holds_from_the_first_frame(engine, tmp_path):
    (a,), whole = write_sine_parts(tmp_path, [SR], amp=0.5)
    e = engine()
    e.volume = 0.25
    e.play(Source(str(a)))
    filled(e)
    out = render(e, 10)
    assert np.allclose(out, 0.25 * whole[:len(out)], atol=1e-6)
