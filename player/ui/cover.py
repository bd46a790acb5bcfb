"""Cover art: the picture embedded in the file's tags, else an image in its folder.

:func:`load_cover` runs on a worker thread (it opens files) and returns a scaled
:class:`QImage` (safe off the GUI thread, unlike QPixmap) or None.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import threading
from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageReader

from player.library.names import is_disc_folder
from segue_common.regular_file import open_regular_file

log = logging.getLogger(__name__)

# Names that say "this is the cover", best first (compared without case or extension).
FOLDER_IMAGES = ("cover", "folder", "front", "albumcover", "albumart", "album", "albumartlarge", "artwork", "art")
# Words that mark a cover inside a longer name ("Zelda - Front.jpg", "AlbumArt_{...}_Large.jpg").
COVER_WORDS = ("cover", "front", "folder", "albumart")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
#: the most of a picture file read from a folder: Qt decodes no image of more than 256 MB,
#: and a picture's file is no larger than the image it decodes to
MAX_PICTURE_BYTES = 256 << 20


def embedded_picture(path: str) -> bytes | None:
    """The picture in the file's tags (ID3 APIC, FLAC, MP4 covr, Vorbis/Opus): its front cover
    where one is marked so, else the first; or None."""
    import mutagen

    from player.library.tags import open_regular

    try:
        with open_regular(path) as f:       # never blocks on a named pipe, never reads a device
            audio = mutagen.File(f)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many types; a cover is optional
        log.debug("no cover from %s: %s", path, exc)
        return None
    if audio is None:
        return None
    pictures = getattr(audio, "pictures", None)      # FLAC
    if pictures:
        return _front(pictures).data
    tags = audio.tags
    if tags is None:
        return None
    if hasattr(tags, "getall"):                      # ID3
        apic = tags.getall("APIC")
        if apic:
            return _front(apic).data
    if "covr" in tags:                               # MP4
        return bytes(tags["covr"][0])
    blocks = tags.get("metadata_block_picture") if hasattr(tags, "get") else None
    if blocks:                                       # Ogg Vorbis / Opus
        from mutagen.flac import Picture

        found = []
        for block in blocks:
            try:
                found.append(Picture(base64.b64decode(block)))
            except Exception:  # noqa: BLE001 - a damaged picture is passed over, never the others
                continue
            if found[-1].type == _FRONT_COVER:
                break
        return _front(found).data if found else None
    return None


#: the picture type (ID3's and FLAC's) of the album's front cover
_FRONT_COVER = 3


def _front(pictures: list):
    # The front cover where the file has one: rippers and taggers (Picard, foobar2000) embed
    # the back, the booklet or the artist beside it, in whatever order, and an album shown
    # by its back cover is not the album a person looks for. Else the first picture.
    return next((p for p in pictures if p.type == _FRONT_COVER), pictures[0])


def _images(folder: str) -> dict[str, str]:
    """``stem (lower case) -> file name`` of the images in ``folder``."""
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    out = {}
    for name in sorted(names):
        stem, ext = os.path.splitext(name)
        # (only regular files: a named pipe called cover.jpg, picked, would hide folder.jpg)
        if (ext.lower() in IMAGE_EXTENSIONS and not name.startswith(".")
                and os.path.isfile(os.path.join(folder, name))):
            out.setdefault(stem.lower(), name)
    return out


def _pick(images: dict[str, str]) -> str | None:
    for stem in FOLDER_IMAGES:
        if stem in images:
            return images[stem]
    for word in COVER_WORDS:
        hit = next((name for stem, name in images.items() if word in stem.replace(" ", "")), None)
        if hit is not None:
            return hit
    if len(images) == 1:                 # the only picture in an album folder is its cover
        return next(iter(images.values()))
    return None


def folder_picture(path: str) -> str | None:
    """The cover image next to the file: ``cover.jpg``, ``folder.png``, ``AlbumCover.PNG``,
    ``front.jpg`` ... (any case), a name containing "cover" or "front", or the folder's only
    image; for a file in a disc folder ("CD1", "Disc 2") the album folder above it too."""
    folder = os.path.dirname(path)
    found = _pick(_images(folder))
    if found is not None:
        return os.path.join(folder, found)
    if is_disc_folder(os.path.basename(folder)):
        parent = os.path.dirname(folder)
        found = _pick(_images(parent))
        if found is not None:
            return os.path.join(parent, found)
    return None


def load_cover(path: str, size: int = 128) -> QImage | None:
    """The track's cover scaled to ``size`` px (worker thread)."""
    data = embedded_picture(path)
    image = _decoded(data, size) if data is not None else QImage()
    if image.isNull():
        other = folder_picture(path)
        data = _picture_file(other) if other is not None else None
        if data is not None:
            image = _decoded(data, size)
    if image.isNull():
        return None
    return image.scaled(size, size, Qt.KeepAspectRatio, Qt.SmoothTransformation)


def _decoded(data: bytes, size: int) -> QImage:
    """The picture in ``data``, decoded at about ``size`` px where its format allows (a JPEG
    does), or a null image. Decoded whole, a high-resolution scan (9000 px square) is more
    than Qt decodes at once (256 MB), and the song showed no cover; a picture that decodes
    to that much and cannot be decoded smaller (a PNG) is still refused."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)       # a phone's photo stands as it was taken (EXIF orientation)
    full = reader.size()
    if full.isValid() and (full.width() > size or full.height() > size):
        reader.setScaledSize(full.scaled(size, size, Qt.KeepAspectRatioByExpanding))
    return reader.read()


def _picture_file(path: str) -> bytes | None:
    """The bytes of the picture file ``path``, or None. Opened as the songs are (see
    :mod:`segue_common.regular_file`): a named pipe called cover.jpg, opened by the
    picture loader, held the cover's worker for ever."""
    try:
        with open_regular_file(path) as f:
            data = f.read(MAX_PICTURE_BYTES + 1)
    except OSError as exc:
        log.info("no cover from %s: %s", path, exc)
        return None
    if len(data) > MAX_PICTURE_BYTES:
        log.info("no cover from %s: larger than a picture Qt decodes", path)
        return None
    return data


#: the cover of the song playing, as a file, for the desktop's sound menu (MPRIS artUrl)
SHARED_PREFIX = "now-playing-"
# One song's cover written at a time: the worker of the song before, slower, must neither
# remove the next song's file nor leave its own behind in its place.
_sharing = threading.Lock()


def unshare_covers(folder: str | os.PathLike, keep: Callable[[], int | None] | None = None) -> None:
    """Remove the covers written for the desktop (see :func:`share_cover`), but that of the
    track ``keep()`` names (the song shown now): the file named by its track id stayed after
    the song, even across starts, and told which song was heard last. Asked once the covers
    are held (a song begun since the caller looked shares its own meanwhile, kept then)."""
    with _sharing:
        keep = keep() if keep is not None else None
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if name.startswith(SHARED_PREFIX) and (keep is None or name != f"{SHARED_PREFIX}{int(keep)}.png"):
                try:
                    os.remove(os.path.join(folder, name))
                except OSError as exc:
                    log.info("cannot remove the cover shared with the desktop %s: %s", name, exc)


def share_cover(image: QImage, track_id: int, folder: str | os.PathLike,
                wanted: Callable[[], bool] | None = None) -> str | None:
    """Write ``image`` as ``folder/now-playing-<track id>.png`` and remove the last song's
    (worker thread); the path, or None where it cannot be written or ``wanted()`` says the
    song is no longer the one playing. A file per song: a desktop keeps a picture by its
    address, and would go on showing the last song's. Written beside and then renamed into
    place, so a desktop reading the file (the same song again) never sees half a picture."""
    name = f"{SHARED_PREFIX}{int(track_id)}.png"
    path = os.path.join(folder, name)
    with _sharing:
        if wanted is not None and not wanted():
            return None
        part = path + ".part"
        try:
            if not image.save(part, "PNG"):
                raise OSError("the picture could not be written")
            os.replace(part, path)
        except OSError as exc:
            log.info("cannot write the cover for the desktop to %s: %s", path, exc)
            with contextlib.suppress(OSError):
                os.remove(part)
            return None
        try:
            for other in os.listdir(folder):
                if other.startswith(SHARED_PREFIX) and other != name:
                    os.remove(os.path.join(folder, other))
        except OSError as exc:
            log.debug("an older shared cover stays: %s", exc)
    return path
