"""Audio output: decoding, the ring buffer, and the engines (null and PortAudio).

``create_engine`` picks the engine the settings ask for; ``import player.audio``
stays cheap (sounddevice loads only when the real engine is created).
"""

from __future__ import annotations

from player.audio.base import AudioEngineError, Engine, PlaybackState, Source

__all__ = ["AudioEngineError", "Engine", "PlaybackState", "Source", "create_engine",
           "DEVICE_SETTING", "CROSSFADE_SETTING"]

DEVICE_SETTING = "output_device"  # None: the system default; "null": no sound
CROSSFADE_SETTING = "crossfade_s"


def create_engine(store=None, *, device: str | None = None, null: bool = False) -> Engine:
    """The output engine for this machine: the device named in the settings.

    ``null=True`` (or the device "null") gives a :class:`NullEngine`.

    Raises
    ------
    AudioEngineError
        No device can be opened (PortAudio missing, no sound card, device gone).
    """
    crossfade = 0.0
    if store is not None:
        device = device or store.get_setting(DEVICE_SETTING)
        crossfade = crossfade_setting(store)
    if null or device == "null":
        from player.audio.null_engine import NullEngine

        return NullEngine(crossfade_s=crossfade)
    from player.audio.sd_engine import SoundDeviceEngine

    return SoundDeviceEngine(device=device, crossfade_s=crossfade)


def crossfade_setting(store) -> float:
    """The crossfade in seconds the settings hold, within what the engine takes; 0 (gapless)
    where the stored value is no number."""
    from player.audio.buffered import MAX_CROSSFADE_S

    try:
        value = float(store.get_setting(CROSSFADE_SETTING, 0.0) or 0.0)
    except (TypeError, ValueError):
        return 0.0
    return min(MAX_CROSSFADE_S, max(0.0, value)) if value == value else 0.0
