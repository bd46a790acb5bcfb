"""Output devices plugged in while Segue runs: the settings list them, and music moves there,
without a restart and without a break in what plays meanwhile."""

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from tests.player.audio import sink
from tests.player.audio.signals import sine
from tests.player.audio.test_sd_engine import wait_for

pytestmark = pytest.mark.audio
SR = sink.RATE
PLUGGED = "segue-test-headphones"
GONE = "USB DAC (unplugged)"


def plug_in(home) -> None:
    """A new output device, as ALSA sees one: a name for the null sink in ~/.asoundrc."""
    (home / ".asoundrc").write_text(
        f"pcm.{PLUGGED} {{\n type pulse\n device nullsink\n hint {{ show on; description \"Headphones\" }}\n}}\n")


@pytest.fixture
def playing(null_sink, tmp_path):
    from player.audio.sd_engine import SoundDeviceEngine

    path = tmp_path / "long.wav"
    sf.write(str(path), np.stack([sine(20 * SR, freq=440, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    engine = SoundDeviceEngine()
    src = Source(str(path))
    engine.play(src)
    assert wait_for(lambda: src.heard_frames > SR // 10)
    yield engine, src
    engine.close()


def test_a_device_plugged_in_while_music_plays_is_listed_and_the_music_goes_on(playing, tmp_path):
    from player.audio.sd_engine import current_output_devices

    engine, src = playing
    plug_in(tmp_path / "home")
    heard = src.heard_frames
    assert PLUGGED in current_output_devices()
    # Listed without starting PortAudio again under the stream that plays (that closes it).
    assert wait_for(lambda: src.heard_frames > heard + SR // 5)
    assert engine.state is PlaybackState.PLAYING


def test_the_settings_offer_a_device_plugged_in_after_the_start_and_music_moves_there(
        playing, tmp_path, qtbot):
    from player.ui.settings_dialog import DEFAULTS, KEY_DEVICE, SettingsDialog

    engine, src = playing
    plug_in(tmp_path / "home")
    dialog = SettingsDialog({**DEFAULTS, KEY_DEVICE: GONE}, [])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.device.findData(PLUGGED) >= 0, timeout=20000)
    assert dialog.device.itemText(dialog.device.findData(GONE)) == f"{GONE} (not connected)"
    assert dialog.device.currentData() == GONE      # still the choice, until another is made
    dialog.device.setCurrentIndex(dialog.device.findData(PLUGGED))
    engine.set_device(dialog.values()[KEY_DEVICE])
    heard = src.heard_frames
    assert wait_for(lambda: src.heard_frames > heard + SR // 5, timeout=8)
    assert engine.device == PLUGGED and engine.state is PlaybackState.PLAYING


def test_a_sound_server_that_never_answers_leaves_the_list_known_and_segue_can_quit(null_sink, tmp_path):
    """The sound server takes the connection and never replies: the listing gives up after its
    time, with the devices known since the start, and leaves nothing running (a listing process
    left alive held Segue open at quit, for good)."""
    import socket
    import subprocess
    import sys

    stuck = socket.socket(socket.AF_UNIX)
    stuck.bind(str(tmp_path / "stuck"))
    stuck.listen(5)
    code = (
        "import os, time\n"
        "from player.audio.sd_engine import current_output_devices, output_devices, output_devices_from_a_process\n"
        "known = output_devices()\n"
        f"os.environ['PULSE_SERVER'] = 'unix:{tmp_path / 'stuck'}'\n"
        "print(current_output_devices(timeout_s=1.0) == known, flush=True)\n"
        # (the self-test asks this one: a list known since the start proves no process answered)
        "print(output_devices_from_a_process(timeout_s=1.0) is None, flush=True)\n"
        "print('listed', flush=True)\n")
    try:
        run = subprocess.run([sys.executable, "-c", code], cwd=str(sink.ROOT), capture_output=True, text=True,
                             timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the process did not quit after listing the devices: {exc.stdout!r}")
    finally:
        stuck.close()
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "True", "listed"]


def test_the_self_test_lists_the_devices_from_a_process_as_the_settings_do(null_sink):
    """The settings read the output devices in a process of their own; a frozen bundle re-runs
    itself for it, and only the self-test runs the bundle without a person opening the settings."""
    import io
    import re

    from player import selftest

    out = io.StringIO()
    rc = selftest.run_selftest(out=out, only=["audio"])
    assert rc == 0 and re.search(r"^audio +ok .* output device\(s\): .*pulse.*; a listing process found [1-9]\d* "
                                 r"in [\d.]+ s$", out.getvalue(), re.M), out.getvalue()
