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


def test_screenshot_shows_painted_library_rows(qtbot, qapp, store, make_window, tmp_path):
    from player.ui.theme import apply_theme

    apply_theme(qapp)                    # as the app looks (Fusion, the system scheme, our style)
    fill_store(store, 2000)
    window = make_window(store)
    window.resize(1280, 780)
    qtbot.wait(50)
    assert window.model.rowCount() == 2000
    image = window.grab().toImage()
    out = Path(os.environ.get("SEGUE_SCREENSHOT", tmp_path / "main-window.png"))
    assert image.save(str(out)) and out.stat().st_size > 10_000
    table = window.library.table.viewport()
    top_left = table.mapTo(window, table.rect().topLeft())
    area = _pixels(image)[top_left.y():top_left.y() + table.height(), top_left.x():top_left.x() + table.width()]
    gray = area.mean(axis=2)
    assert gray.std() > 10                        # text and alternating rows, not a blank fill
    rows_with_ink = (gray < 100).any(axis=1).sum()
    assert rows_with_ink > table.height() // 4    # dark glyphs on many pixel rows: rows are painted


def test_window_starts_without_torch(tmp_path):
    script = textwrap.dedent("""
        import sys
        from player.ui.main import create_app
        from player.store import Store
        from player.ui.main_window import MainWindow
        app = create_app()
        window = MainWindow(Store.open(), engine_factory=None)
        loaded = []
        window.library_loaded.connect(lambda: loaded.append(1))
        window.show()
        while not loaded:
            app.processEvents()
        print("heavy:", sorted(m for m in ("torch", "librosa", "implicit", "mutagen") if m in sys.modules))
    """)
    env = {**os.environ, "SEGUE_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "heavy: []" in out.stdout
