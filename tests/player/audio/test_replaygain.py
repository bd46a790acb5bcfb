import pytest

from player.audio import create_engine
from player.audio.null_engine import NullEngine
from player.audio.replaygain import replaygain_factor

TRACK = {"rg_track_gain": -7.5, "rg_track_peak": 0.95, "rg_album_gain": -5.0, "rg_album_peak": 0.99}


def test_track_and_album_modes_pick_their_gain():
    assert replaygain_factor(TRACK, "track") == pytest.approx(10 ** (-7.5 / 20))
    assert replaygain_factor(TRACK, "album") == pytest.approx(10 ** (-5.0 / 20))
    assert replaygain_factor(TRACK, "off") == 1.0


def test_missing_gains_fall_back_then_leave_the_track_alone():
    only_track = {"rg_track_gain": -3.0, "rg_track_peak": None, "rg_album_gain": None, "rg_album_peak": None}
    assert replaygain_factor(only_track, "album") == pytest.approx(10 ** (-3.0 / 20))
    assert replaygain_factor({"rg_track_gain": None}, "track") == 1.0
    assert replaygain_factor({}, "album") == 1.0


def test_clipping_prevention_uses_the_stored_peak():
    loud_peak = {"rg_track_gain": 6.0, "rg_track_peak": 0.8}
    factor = replaygain_factor(loud_peak, "track")
    assert factor == pytest.approx(1 / 0.8) and factor < 10 ** (6 / 20)
    assert replaygain_factor(loud_peak, "track", preamp_db=-6.0) == pytest.approx(1.0)


def test_unknown_mode_is_a_named_error():
    with pytest.raises(ValueError, match="ReplayGain mode"):
        replaygain_factor(TRACK, "loud")


def test_create_engine_follows_the_settings(store):
    store.set_setting("output_device", "null")
    store.set_setting("crossfade_s", 2.5)
    engine = create_engine(store)
    try:
        assert isinstance(engine, NullEngine) and engine.crossfade_s == 2.5
    finally:
        engine.close()


@pytest.mark.parametrize("gain,peak,expected", [
    (8000.0, None, 1.0),                        # garbage: never boosts without a peak
    (8000.0, 0.5, 2.0),                         # with a peak: up to the peak, no more
    (40.0, None, 1.0),                          # "+40 dB" without a peak used to be a full-scale blast
    (40.0, 0.001, 10 ** (24 / 20)),             # clamped to +24 dB even when the peak would allow more
    (-500.0, 0.9, 10 ** (-24 / 20)),            # clamped to -24 dB
    (float("inf"), 1.0, 1.0), (float("nan"), None, 1.0), ("+3 dB", None, 1.0),
])
def test_hostile_gains_are_bounded(gain, peak, expected):
    factor = replaygain_factor({"rg_track_gain": gain, "rg_track_peak": peak}, "track")
    assert factor == pytest.approx(expected)
    assert replaygain_factor({"rg_track_gain": gain, "rg_track_peak": peak}, "track", preamp_db=1e308) <= 10 ** (24 / 20)
