"""The window as people see it: a rendered PNG with painted rows, and a light start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from benchmarks.library_gen import fill_store

ROOT = Path(__file__).resolve().parents[3]


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB32)
    ptr = image.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes())
    return arr.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3]


def _embed_cover(path: Path) -> None:
    from mutagen.flac import FLAC, Picture
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QLinearGradient, QPainter

    image = QImage(300, 300, QImage.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, 300, 300)
    gradient.setColorAt(0, QColor("#1d3557"))
    gradient.setColorAt(1, QColor("#e76f51"))
    painter.fillRect(image.rect(), gradient)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", bytes(data)
    audio = FLAC(str(path))
    audio.add_picture(pic)
    audio.save()


def test_screenshot_shows_painted_library_rows(qtbot, qapp, store, music, make_window, tmp_path):
    from player.library.scanner import Scanner
    from player.ui.theme import apply_theme

    apply_theme(qapp)                    # as the app looks (Fusion, the system scheme, our style)
    fill_store(store, 2000)
    with_cover = music / "Jazz" / "j2.flac"
    _embed_cover(with_cover)
    Scanner(store).scan([str(music)])
    window = make_window(store)
    window.resize(1280, 780)
    assert window.model.rowCount() == 2008
    flac = store.track_by_path(str(with_cover))
    real = [t["id"] for t in store.tracks() if "/music/" in t["path"]]
    window.play_ids([flac["id"]] + [t for t in real if t != flac["id"]], 0, "library")
    qtbot.waitUntil(lambda: window.transport.title.text() == flac["title"], timeout=10000)
    qtbot.waitUntil(lambda: len(window.up_next.track_ids()) == len(real) - 1, timeout=10000)
    qtbot.waitUntil(lambda: window.transport.cover.toolTip() == "" and window._cover_task is not None
                    and window._cover_task.done, timeout=10000)
    qtbot.wait(50)
    image = window.grab().toImage()
    out = Path(os.environ.get("SEGUE_SCREENSHOT", tmp_path / "main-window.png"))
    assert image.save(str(out)) and out.stat().st_size > 10_000
    # The grab is in device pixels: on a scaled screen (a high-DPI desktop, or a font DPI
    # above 96 offscreen) a widget's place in the window is its place times the ratio.
    scale = image.devicePixelRatio()
    pixels = _pixels(image)
    table = window.library.table.viewport()
    top_left = table.mapTo(window, table.rect().topLeft())
    x0, y0 = round(top_left.x() * scale), round(top_left.y() * scale)
    width, height = round(table.width() * scale), round(table.height() * scale)
    gray = pixels[y0:y0 + height, x0:x0 + width].mean(axis=2)
    assert gray.std() > 10                        # text and alternating rows, not a blank fill
    rows_with_ink = (gray < 100).any(axis=1).sum()
    assert rows_with_ink > height // 4            # dark glyphs on many pixel rows: rows are painted
    cover = window.transport.cover
    c = cover.mapTo(window, cover.rect().center())
    r, g, b = pixels[round(c.y() * scale), round(c.x() * scale)]
    assert abs(int(r) - int(b)) > 40              # the embedded gradient, not the grey placeholder


def test_window_starts_without_torch(tmp_path):
    script = textwrap.dedent("""
        import sys
        from player.ui.main import create_app
        from player.store import Store
        from player.ui.main_window import MainWindow
        from player.workers import wait_all
        app = create_app()
        store = Store.open()
        window = MainWindow(store, engine_factory=None)
        loaded = []
        window.library_loaded.connect(lambda: loaded.append(1))
        window.show()
        while not loaded:
            app.processEvents()
        print("heavy:", sorted(m for m in ("torch", "librosa", "implicit", "mutagen") if m in sys.modules))
        # Closed as the app closes (ended with its workers still running, the interpreter's
        # exit crashed one run in five on a loaded machine).
        window.close()
        app.processEvents()
        wait_all(5000)
        store.close()
    """)
    env = {**os.environ, "SEGUE_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "heavy: []" in out.stdout
