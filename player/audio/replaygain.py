"""ReplayGain: one linear factor per track from its stored gains and peaks.

Modes: ``"track"`` (every track at the same loudness), ``"album"`` (an album keeps
its internal dynamics; falls back to the track gain), ``"off"``. Clipping
prevention: the factor never lifts the stored peak above full scale.
"""

from __future__ import annotations

from typing import Mapping

MODES = ("track", "album", "off")
SETTING = "replaygain_mode"  # store setting holding one of MODES
PREAMP_SETTING = "replaygain_preamp_db"


def replaygain_factor(track: Mapping, mode: str = "track", *, preamp_db: float = 0.0) -> float:
    """Linear gain for ``track`` (a tracks row or dict with rg_* fields).

    Parameters
    ----------
    track : mapping with ``rg_track_gain``, ``rg_track_peak``, ``rg_album_gain``, ``rg_album_peak``
        (gains in dB, peaks as linear sample peaks; any may be None).
    mode : "track", "album" or "off".
    preamp_db : added to the stored gain.

    Returns
    -------
    float
        1.0 when the mode is off or the track has no gain; otherwise
        ``10 ** ((gain + preamp) / 20)``, lowered so that ``peak * factor <= 1``.

    Raises
    ------
    ValueError
        For an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown ReplayGain mode {mode!r}; expected one of {MODES}")
    if mode == "off":
        return 1.0

    def get(key):
        try:
            value = track[key]
        except (KeyError, IndexError):
            return None
        return None if value is None else float(value)

    order = ("album", "track") if mode == "album" else ("track", "album")
    for kind in order:
        gain = get(f"rg_{kind}_gain")
        if gain is not None:
            peak = get(f"rg_{kind}_peak")
            factor = 10.0 ** ((gain + preamp_db) / 20.0)
            if peak is not None and peak > 0 and peak * factor > 1.0:
                factor = 1.0 / peak
            return factor
    return 1.0
