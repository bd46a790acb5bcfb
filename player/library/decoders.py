"""Which tracks of the library need ffmpeg, for the places that tell the person it is missing.

Segue decodes WAV, FLAC, Ogg, Opus, AIFF and MP3 itself (libsndfile, dr_mp3); m4a/AAC, ALAC,
WMA, WavPack, Matroska, WebM and the other formats only through ffmpeg, which the packaged
app does not include. Where it is not installed, those tracks are listed (their tags read
where mutagen reads them) but do not play and are not analysed; a scan stores the files it
could not read at all with an error that says ffmpeg is needed
(:data:`segue_common.audio_io.INSTALL_FFMPEG`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from player.library.skip import extension
from segue_common.audio_io import INSTALL_FFMPEG, SOUNDFILE_EXTENSIONS, ffmpeg_complete

#: codecs in a file libsndfile's extensions name that libsndfile refuses (ALAC in a CAF,
#: FLAC in Ogg): ffmpeg plays them
_REFUSED = {("caf", "alac"), ("ogg", "flac"), ("oga", "flac")}


def needs_ffmpeg(path: str, codec: str | None) -> bool:
    """Whether a track of this file and codec plays only through ffmpeg."""
    ext = extension(os.path.basename(path)).lstrip(".")
    if ext not in SOUNDFILE_EXTENSIONS:
        return True
    return (ext, (codec or "").lower()) in _REFUSED


@dataclass
class FfmpegNeed:
    """ffmpeg's path (None: not found, or it does not run or has no ffprobe) and, where it is
    not found, the present tracks and unreadable files that need it, and their kinds
    (extensions, sorted)."""

    path: str | None
    tracks: int = 0
    unreadable: int = 0
    kinds: list[str] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        """ffmpeg is not found and some of the library needs it."""
        return self.path is None and (self.tracks + self.unreadable) > 0

    def words(self) -> str:
        """What to tell the person, where :attr:`missing` (else "")."""
        if not self.missing:
            return ""
        n = self.tracks + self.unreadable
        return (f"ffmpeg is not installed: {n:,} file{'s' * (n != 1)} of your library "
                f"({', '.join(self.kinds)}) need{'s' * (n == 1)} it to play and to be analysed. "
                f"Install ffmpeg: they play from the next start or scan, with nothing else to do.")


def ffmpeg_need(store) -> FfmpegNeed:
    """:class:`FfmpegNeed` of the library in ``store`` (reads every present track's path and
    codec where ffmpeg is missing, a few hundred milliseconds for a large library; nothing
    where it is found)."""
    exe = ffmpeg_complete()
    if exe is not None:
        return FfmpegNeed(exe)
    need = FfmpegNeed(None)
    kinds = set()
    for path, codec, error in store.present_files():
        if error is not None:
            if INSTALL_FFMPEG not in error:
                continue
            need.unreadable += 1
        elif needs_ffmpeg(path, codec):
            need.tracks += 1
        else:
            continue
        kinds.add(extension(os.path.basename(path)).lstrip(".") or "no extension")
    need.kinds = sorted(kinds)
    return need
