"""Cover art: the picture embedded in the file's tags, else an image in its folder.

:func:`load_cover` runs on a worker thread (it opens files) and returns a scaled
:class:`QImage` (safe off the GUI thread, unlike QPixmap) or None.
"""

from __future__ import annotations

import base64
import logging
import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

FOLDER_IMAGES = ("cover", "folder", "front", "album", "albumart")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def embedded_picture(path: str) -> bytes | None:
    """The first picture in the file's tags (ID3 APIC, FLAC, MP4 covr, Vorbis/Opus), or None."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many types; a cover is optional
        log.debug("no cover from %s: %s", path, exc)
        return None
    if audio is None:
        return None
    pictures = getattr(audio, "pictures", None)      # FLAC
    if pictures:
        return pictures[0].data
    tags = audio.tags
    if tags is None:
        return None
    if hasattr(tags, "getall"):                      # ID3
        apic = tags.getall("APIC")
        if apic:
            front = [p for p in apic if p.type == 3]
            return (front or apic)[0].data
    if "covr" in tags:                               # MP4
        return bytes(tags["covr"][0])
    blocks = tags.get("metadata_block_picture") if hasattr(tags, "get") else None
    if blocks:                                       # Ogg Vorbis / Opus
        from mutagen.flac import Picture

        try:
            return Picture(base64.b64decode(blocks[0])).data
        except Exception:  # noqa: BLE001
            return None
    return None


def folder_picture(path: str) -> str | None:
    """``cover.jpg``, ``folder.png`` ... next to the file (any case), or None."""
    folder = os.path.dirname(path)
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    by_lower = {n.lower(): n for n in names}
    for stem in FOLDER_IMAGES:
        for ext in IMAGE_EXTENSIONS:
            if stem + ext in by_lower:
                return os.path.join(folder, by_lower[stem + ext])
    return None


def load_cover(path: str, size: int = 128) -> QImage | None:
    """The track's cover scaled to ``size`` px (worker thread)."""
    image = QImage()
    data = embedded_picture(path)
    if data is not None:
        image.loadFromData(data)
    if image.isNull():
        other = folder_picture(path)
        if other is not None:
            image.load(other)
    if image.isNull():
        return None
    return image.scaled(size, size, Qt.KeepAspectRatio, Qt.SmoothTransformation)
