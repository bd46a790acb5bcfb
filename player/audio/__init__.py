"""Audio output: decoding, the ring buffer, and the engines (null and PortAudio).

``create_engine`` picks the engine the settings ask for; ``import player.audio``
stays cheap (sounddevice loads only when the real engine is created).
"""

from __future__ import annotations

import logging

from player.audio.base import AudioEngineError, Engine, PlaybackState, Source

log = logging.getLogger(__name__)

__all__ = ["AudioEngineError", "Engine", "PlaybackState", "Source", "create_engine",
           "DEVICE_SETTING", "CROSSFADE_SETTING"]

DEVICE_SETTING = "output_device"  # None: the system default; "null": no sound
CROSSFADE_SETTING = "crossfade_s"


def create_engine(store=None, *, device: str | None = None, null: bool = False) -> Engine:
    """The output engine for this machine: the device named in the settings.

    ``null=True`` (or the device "null") gives a :class:`NullEngine`. A device from the
    settings that cannot be opened gives the system default, with a :attr:`Engine.notice`
    saying so; one passed as ``device`` must open.

    Raises
    ------
    AudioEngineError
        No device can be opened (PortAudio missing, no sound card, device gone).
    """
    crossfade = 0.0
    asked = device
    if store is not None:
        device = device or store.get_setting(DEVICE_SETTING)
        if not (device is None or isinstance(device, str)):
            # (a device is saved by its name: a number, say, went to PortAudio as the index of
            # whichever device had it, or raised; the settings dialog shows the default for it)
            log.warning("the output device setting holds %r, which is no name: using the default", device)
            device = None
        crossfade = crossfade_setting(store)
    if null or device == "null":
        from player.audio.null_engine import NullEngine

        return NullEngine(crossfade_s=crossfade)
    from player.audio.sd_engine import SoundDeviceEngine

    try:
        return SoundDeviceEngine(device=device, crossfade_s=crossfade)
    except AudioEngineError as exc:
        if not device or asked:
            raise
        # The device in the settings is not there now (headphones or a USB DAC unplugged
        # while Segue was closed): play on the system default rather than not at all, and
        # keep the setting, so that the device can be chosen again once it is back.
        log.warning("the output device %r from the settings cannot be opened (%s); using the default", device, exc)
        engine = SoundDeviceEngine(device=None, crossfade_s=crossfade)
        engine.notice = (f"The output device “{device}” is not connected: playing on the system "
                         "default. Choose it again in Settings once it is back.")
        return engine


def crossfade_setting(store) -> float:
    """The crossfade in seconds the settings hold, within what the engine takes; 0 (gapless)
    where the stored value is no finite number."""
    from player.audio.buffered import MAX_CROSSFADE_S
    from player.saved_values import UNREADABLE, finite

    try:
        value = finite(store.get_setting(CROSSFADE_SETTING, 0.0) or 0.0)
    except UNREADABLE:      # (Infinity and 1e400 as well: no length, as NaN is none)
        return 0.0
    return min(MAX_CROSSFADE_S, max(0.0, value))
