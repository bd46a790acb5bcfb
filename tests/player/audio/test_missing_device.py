"""The output device chosen in the settings is missing when Segue starts (headphones or a
USB DAC unplugged while it was closed): it plays on the system default and says so."""

import numpy as np
import pytest
import soundfile as sf

from player.audio import DEVICE_SETTING, create_engine
from player.audio.base import PlaybackState, Source
from tests.player.audio import sink
from tests.player.audio.signals import active_region, sine
from tests.player.audio.test_sd_engine import wait_for

pytestmark = pytest.mark.audio
SR = sink.RATE
GONE = "USB DAC (unplugged)"


def test_a_missing_device_from_the_settings_plays_on_the_default_and_says_so(null_sink, store, tmp_path):
    from player.audio.sd_engine import SoundDeviceEngine

    path = tmp_path / "tone.wav"
    sf.write(str(path), np.stack([sine(SR // 2, freq=440, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    store.set_setting(DEVICE_SETTING, GONE)
    engine = create_engine(store)
    try:
        assert isinstance(engine, SoundDeviceEngine) and engine.device is None
        assert GONE in engine.notice and "system default" in engine.notice
        recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
        engine.play(Source(str(path)))
        assert wait_for(lambda: engine.state is PlaybackState.STOPPED)
        heard = active_region(recorder.stop()[:, 0])
        assert abs(len(heard) - SR // 2) < 0.05 * SR      # heard, on the default device
    finally:
        engine.close()
    assert store.get_setting(DEVICE_SETTING) == GONE    # to be chosen again once it is back


@pytest.mark.parametrize("stored", ["0", "1", "true", "[1]", '{"name": "x"}'])
def test_a_device_setting_that_is_no_name_plays_on_the_default(null_sink, store, stored):
    # A number went to PortAudio as the index of whichever device had it (the settings dialog
    # showed "System default"), or raised: "Playback is not available" at every start.
    from player.audio.sd_engine import SoundDeviceEngine

    with store.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (DEVICE_SETTING, stored))
    engine = create_engine(store)
    try:
        assert isinstance(engine, SoundDeviceEngine) and engine.device is None and not engine.notice
    finally:
        engine.close()


def test_a_device_asked_for_by_name_must_open(null_sink, store):
    from player.audio.base import AudioEngineError

    with pytest.raises(AudioEngineError, match="USB DAC"):
        create_engine(store, device=GONE)


def test_the_window_says_the_device_chosen_is_missing(null_sink, store, qtbot, tmp_path, monkeypatch):
    from player.ui.main import default_engine_factory
    from player.ui.main_window import MainWindow
    from tests.player.ui.conftest import settle_workers

    monkeypatch.delenv("SEGUE_ENGINE", raising=False)
    store.set_setting(DEVICE_SETTING, GONE)
    window = MainWindow(store, engine_factory=default_engine_factory(store), settings_file=str(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.player_ready, timeout=15000):
            window.show()
        assert type(window.player.engine).__name__ == "SoundDeviceEngine"    # not the silent null engine
        message = window.statusBar().currentMessage()
        assert GONE in message and "system default" in message
    finally:
        window.close()
        settle_workers()


def test_the_window_says_when_the_device_chosen_cannot_be_opened(null_sink, store, qtbot, tmp_path, monkeypatch):
    from player.ui.main import default_engine_factory
    from player.ui.main_window import MainWindow
    from player.ui.settings_dialog import DEFAULTS, KEY_DEVICE
    from tests.player.ui.conftest import settle_workers

    monkeypatch.delenv("SEGUE_ENGINE", raising=False)
    window = MainWindow(store, engine_factory=default_engine_factory(store), settings_file=str(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.player_ready, timeout=15000):
            window.show()
        window.apply_settings({**DEFAULTS, KEY_DEVICE: GONE})
        qtbot.waitUntil(lambda: "Could not switch the sound output" in window.statusBar().currentMessage(),
                        timeout=10000)
        assert "system default" in window.statusBar().currentMessage()
        assert window.player.engine.device is None
    finally:
        window.close()
        settle_workers()
