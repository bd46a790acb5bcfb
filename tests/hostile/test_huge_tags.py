"""Tags far larger than any song's words, as shown in the window."""

from __future__ import annotations

from mutagen import id3

from tests.hostile import generate


def test_lyrics_of_one_line_of_a_megabyte_are_shown_cut(tmp_path, qtbot):
    """A lyrics tag holding one line of nearly a megabyte (a tagger's garbage, an encoded
    picture pasted into the field): laid out whole, the Lyrics tab took about a second of
    the window's own thread for it, and again at every resize. Shown cut, with an ellipsis."""
    from player.library.lyrics import read_lyrics
    from player.ui.lyrics_pane import LyricsPane

    path = generate.write(tmp_path / "one-line.mp3")
    line = "la " * 330_000
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text=["One line"]))
    tags.add(id3.USLT(encoding=3, lang="eng", desc="", text="First verse\n" + line + "\nLast verse"))
    tags.save(str(path))
    lyrics = read_lyrics(str(path))
    assert lyrics is not None and len(lyrics.lines) == 3

    pane = LyricsPane()
    qtbot.addWidget(pane)
    pane.show_track(1)
    pane.set_lyrics(1, lyrics)
    shown = [pane.list.item(i).text() for i in range(pane.list.count())]
    assert shown[0] == "First verse" and shown[2] == "Last verse"
    # Cut, but not before a song's whole words written as one paragraph (no line breaks) end.
    assert 10_000 <= len(shown[1]) <= 50_000 and shown[1].endswith("…")
    assert line.startswith(shown[1][:-1])


def _jpeg(width: int, height: int) -> bytes:
    """A JPEG, red on its left half and blue on its right."""
    import numpy as np
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage

    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (220, 20, 20)
    pixels[:, width // 2:] = (20, 20, 220)
    image = QImage(pixels.data, width, height, width * 3, QImage.Format_RGB888)
    out = QByteArray()
    buffer = QBuffer(out)
    buffer.open(QIODevice.WriteOnly)
    assert image.save(buffer, "JPEG", 90)
    buffer.close()
    return bytes(out)


def _png_bomb(side: int) -> bytes:
    """A PNG of ``side`` x ``side`` grey pixels: a few hundred KB that decode to gigabytes."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * (side * 3)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def _with_cover(path, data: bytes, mime: str):
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text=["Big cover"]))
    tags.add(id3.APIC(encoding=3, mime=mime, type=3, desc="front", data=data))
    tags.save(str(path))
    return path


def test_a_cover_of_9000_pixels_square_is_shown(tmp_path, qapp):
    """A high-resolution scan (9000 x 9000: 1.3 MB of JPEG) decodes to 324 MB, more than Qt
    decodes at once (256 MB): the song showed no cover. Decoded at the size shown, it shows."""
    from player.ui.cover import load_cover

    song = _with_cover(generate.write(tmp_path / "big-cover.mp3"), _jpeg(9000, 9000), "image/jpeg")
    cover = load_cover(str(song), 128)
    assert cover is not None and (cover.width(), cover.height()) == (128, 128)
    left, right = cover.pixelColor(20, 64), cover.pixelColor(108, 64)
    assert left.red() > 150 > left.blue() and right.blue() > 150 > right.red(), (left.name(), right.name())


def test_a_cover_that_decodes_to_gigabytes_is_not_decoded(tmp_path, qapp):
    """A 12,000-pixel-square PNG of one colour (a few hundred KB; 576 MB decoded): refused
    (a PNG cannot be decoded at a smaller size), so no cover: a cover is never worth that."""
    from player.ui.cover import load_cover

    song = _with_cover(generate.write(tmp_path / "bomb.mp3"), _png_bomb(12_000), "image/png")
    assert load_cover(str(song), 128) is None


def test_a_cover_turned_by_its_exif_orientation_is_shown_upright(tmp_path, qapp):
    """A photo taken with the phone held upright is stored on its side, with an EXIF tag that
    says to turn it (6: a quarter turn clockwise); decoded at the size shown, it is turned."""
    import struct

    from player.ui.cover import load_cover

    data = _jpeg(1000, 500)
    tiff = b"II*\x00" + struct.pack("<IHHHIHHI", 8, 1, 0x0112, 3, 1, 6, 0, 0)
    exif = b"Exif\x00\x00" + tiff
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + data[2:]
    song = _with_cover(generate.write(tmp_path / "turned.mp3"), data, "image/jpeg")
    cover = load_cover(str(song), 128)
    assert cover is not None and (cover.width(), cover.height()) == (64, 128)
    top, bottom = cover.pixelColor(32, 20), cover.pixelColor(32, 108)
    assert top.red() > 150 > top.blue() and bottom.blue() > 150 > bottom.red(), (top.name(), bottom.name())
