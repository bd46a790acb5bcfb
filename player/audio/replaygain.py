"""ReplayGain: one linear factor per track from its stored gains and peaks.

Modes: ``"track"`` (every track at the same loudness), ``"album"`` (an album keeps
its internal dynamics; falls back to the track gain; the player asks for track gain where
songs are not heard in their album's order: shuffled, a station, or suggested), ``"off"``. Clipping
prevention: the factor never lifts the stored peak above full scale (the gain's own peak, the
other one where that is missing).

Tags are written by anyone: the gain is clamped to ±24 dB (real corrections stay well
inside). A gain that is not a finite number is ignored.

Without any stored peak the gain still applies, a boost up to :data:`NO_PEAK_MAX_DB`: an Opus
file's R128 gain has no peak beside it (the format has no place for one), and held to unity
every quiet Opus track played as much as 5 to 10 dB below the rest, its tag read and ignored.
foobar2000 applies such a gain whole (it has no peak to prevent clipping by); whatever the
boost takes past full scale the feeder bends below it, as for a peak that understates the
samples. The bound keeps a nonsense gain from lifting a loud track far into that bend.

A track with no gain at all plays at ``untagged_db`` (0 dB unless the person sets another,
never above unity): most such files were mastered louder than ReplayGain's level, and
foobar2000's "preamp without RG info" is there to bring them down to it.
"""

from __future__ import annotations

import math
from typing import Mapping

MODES = ("track", "album", "off")
SETTING = "replaygain_mode"  # store setting holding one of MODES
PREAMP_SETTING = "replaygain_preamp_db"
UNTAGGED_SETTING = "replaygain_untagged_db"  # the gain of a track that has none (dB)
MAX_GAIN_DB = 24.0
#: The most a gain with no peak stored beside it lifts a track: a track quieter than -30 LUFS,
#: ReplayGain's -18 less this, is rare enough to be left a little quiet.
NO_PEAK_MAX_DB = 12.0


def replaygain_factor(track: Mapping, mode: str = "track", *, preamp_db: float = 0.0,
                      untagged_db: float = 0.0) -> float:
    """Linear gain for ``track`` (a tracks row or dict with rg_* fields).

    Parameters
    ----------
    track : mapping with ``rg_track_gain``, ``rg_track_peak``, ``rg_album_gain``, ``rg_album_peak``
        (gains in dB, peaks as linear sample peaks; any may be None).
    mode : "track", "album" or "off".
    preamp_db : added to the stored gain.
    untagged_db : the gain of a track with none stored (the preamp is not added: it is the
        level of the files without ReplayGain, set on its own).

    Returns
    -------
    float
        1.0 when the mode is off; ``10 ** (untagged_db / 20)``, at most 1.0, when the track has
        no gain; otherwise
        ``10 ** ((gain + preamp) / 20)`` with ``gain + preamp`` clamped to ±24 dB, lowered so
        that ``peak * factor <= 1``, and at most ``NO_PEAK_MAX_DB`` up when the track has no peak.

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
            value = float(track[key])
        except (KeyError, IndexError, TypeError, ValueError, OverflowError):
            return None
        return value if math.isfinite(value) else None

    preamp_db, untagged_db = _db(preamp_db), _db(untagged_db)
    order = ("album", "track") if mode == "album" else ("track", "album")
    for kind in order:
        gain = get(f"rg_{kind}_gain")
        if gain is not None:
            # Without its own peak, the other one still says how loud the samples are: an
            # album gain with only track peaks (a tagger that wrote those alone) was held to
            # unity, a quiet album's boost lost. The track's peak bounds the samples of the track
            # played, the only ones scaled; the album's, never below it, is safe for a track gain.
            peak = get(f"rg_{kind}_peak")
            if peak is None or peak <= 0:
                peak = get(f"rg_{'track' if kind == 'album' else 'album'}_peak")
            db = min(max(gain + preamp_db, -MAX_GAIN_DB), MAX_GAIN_DB)
            factor = 10.0 ** (db / 20.0)
            ceiling = 1.0 / peak if peak is not None and peak > 0 else 10.0 ** (NO_PEAK_MAX_DB / 20.0)
            return max(min(factor, ceiling), 10.0 ** (-MAX_GAIN_DB / 20.0))
    return 10.0 ** (min(max(untagged_db, -MAX_GAIN_DB), 0.0) / 20.0)


def _db(value) -> float:
    """``value`` as a number of decibels; 0.0 for anything that is not a finite number (a
    setting edited by hand)."""
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return value if math.isfinite(value) else 0.0
