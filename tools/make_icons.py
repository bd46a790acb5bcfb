"""Render resources/icons/segue.svg into every icon file the three desktop platforms want.

    python tools/make_icons.py [--out resources/icons]

Writes ``png/segue-<n>.png`` for n in 16..512 (Linux hicolor sizes, also used by Qt's window
icon), ``segue.ico`` (Windows: PNG-compressed entries 16..256) and ``segue.icns`` (macOS:
PNG entries 16..1024 including the @2x variants). Rendering uses Qt's own SVG renderer
(QtSvg, part of PySide6-Essentials), so no other image library is needed; the ico and
icns containers are written here (both are a short header plus PNG blobs).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "segue.svg"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns type codes and the pixel size of the PNG each holds (Apple's "icns" format).
ICNS_TYPES = (
    (b"icp4", 16), (b"ic11", 32), (b"icp5", 32), (b"ic12", 64), (b"icp6", 64), (b"ic07", 128),
    (b"ic13", 256), (b"ic08", 256), (b"ic14", 512), (b"ic09", 512), (b"ic10", 1024),
)


class IconError(ValueError):
    """The SVG could not be rendered, or a size is not one an icon container can hold."""


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(sys.argv[:1])


def render_png(svg: Path, size: int) -> bytes:
    """The SVG rendered to a ``size`` x ``size`` RGBA PNG (transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if size < 1 or size > 4096:
        raise IconError(f"icon size must be in 1..4096, got {size}")
    _app()
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise IconError(f"Qt cannot render {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise IconError(f"Qt could not encode a {size}px PNG")
    buffer.close()
    return bytes(data.data())


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise IconError("not a PNG")
    return struct.unpack(">II", png[16:24])


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG per size (sizes up to 256; 256 is stored as 0)."""
    if not pngs or any(not 1 <= s <= 256 for s in pngs):
        raise IconError(f"ico sizes must be 1..256, got {sorted(pngs)}")
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        blob = pngs[s]
        entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(blob), offset + len(blobs))
        blobs += blob
    return header + entries + blobs


def read_ico(data: bytes) -> dict[int, bytes]:
    """Size -> PNG for every entry of an .ico written by :func:`build_ico`."""
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1:
        raise IconError("not an .ico file")
    out = {}
    for i in range(count):
        w, _, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i: 22 + 16 * i])
        out[w or 256] = data[offset: offset + length]
    return out


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns with one PNG element per type in :data:`ICNS_TYPES`."""
    missing = sorted({s for _, s in ICNS_TYPES} - set(pngs))
    if missing:
        raise IconError(f"icns needs PNGs of sizes {missing}")
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for kind, s in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_icns(data: bytes) -> dict[bytes, bytes]:
    """Type code -> payload for every element of an .icns file."""
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise IconError("not an .icns file (bad magic or length)")
    out, pos = {}, 8
    while pos < len(data):
        if pos + 8 > len(data):
            raise IconError(f"truncated icns element header at byte {pos}")
        kind, length = data[pos:pos + 4], struct.unpack(">I", data[pos + 4:pos + 8])[0]
        if length < 8 or pos + length > len(data):
            raise IconError(f"icns element {kind!r} claims {length} bytes at byte {pos}")
        out[kind] = data[pos + 8: pos + length]
        pos += length
    return out


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())          # the bytes are on disk before the name points at them
    os.replace(tmp, path)


def make_icons(out: Path, *, svg: Path = SVG) -> list[Path]:
    """Write every png, the ico and the icns into ``out``; returns the paths written."""
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {s for _, s in ICNS_TYPES})
    pngs = {s: render_png(svg, s) for s in sizes}
    (out / "png").mkdir(parents=True, exist_ok=True)
    written = []
    for s in PNG_SIZES:
        written.append(out / "png" / f"segue-{s}.png")
        _write(written[-1], pngs[s])
    written.append(out / "segue.ico")
    _write(written[-1], build_ico({s: pngs[s] for s in ICO_SIZES}))
    written.append(out / "segue.icns")
    _write(written[-1], build_icns(pngs))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SVG.parent, help="folder to write (default: resources/icons)")
    parser.add_argument("--svg", type=Path, default=SVG)
    args = parser.parse_args(argv)
    for path in make_icons(args.out, svg=args.svg):
        print(f"{path.stat().st_size:>8} bytes  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
