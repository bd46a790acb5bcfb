"""Tags are text: a title of ``<img src=...>`` reads as exactly that, everywhere.

The whole window is filled with such tags (library, now playing, Up next, Discover,
Listening, window title, status bar), then every label is checked to render its text
literally and every tooltip is raised, as a person hovering would, and checked the same.
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextDocument
from PySide6.QtGui import Qt as QtGui_Qt          # mightBeRichText lives in QtGui
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QToolTip, QWidget

from tests.audiogen import write_track

# The real attack reads /dev/zero (the window grew to 978 MB in a second and died); a missing
# image shows the same thing (HTML taken for a tag) without taking the machine down if it regresses.
BOMB = '<img src="/no/such/dir/zero.png">'
HOSTILE = [
    (f"{BOMB}Title", f"<b>Artist</b>{BOMB}", f"<i>Album{BOMB}</i>", f"Rock{BOMB}"),
    (f"<h1>Big</h1>{BOMB}", f"<a href='x'>Band</a>{BOMB}", f"Album<br>two{BOMB}", "Jazz"),
    (f"<table><tr><td>{BOMB}", f"&lt;Escaped&gt;{BOMB}", f"{BOMB}", f"<u>Folk</u>{BOMB}"),
]


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _literal(text: str, fmt_is_plain: bool) -> str:
    """What a person sees for ``text``."""
    if fmt_is_plain:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def _hover(widget: QWidget, pos: QPoint) -> str:
    QToolTip.hideText()
    event = QHelpEvent(QHelpEvent.ToolTip, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
    return QToolTip.text() if QToolTip.isVisible() else ""


@pytest.fixture
def hostile(store, tmp_path):
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    for i, (title, artist, album, genre) in enumerate(HOSTILE * 2):
        write_track(root / f"d{i}", f"t{i}", fmt="flac", seconds=2.0, freq=300.0 + 20 * i,
                    tags={"title": title, "artist": artist, "album": album, "genre": genre,
                          "tracknumber": str(i + 1)})
    Scanner(store).scan([str(root)])
    return store


def test_every_widget_shows_tags_as_plain_text(qtbot, hostile, make_window):
    before = _rss_mb()
    window = make_window(hostile)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    window.play_ids(ids[:1], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.enqueue(ids[1:])
    qtbot.waitUntil(lambda: len(window.up_next.track_ids()) == len(ids) - 1, timeout=5000)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) >= 1, timeout=10000)
    window.tabs.setCurrentWidget(window.listening)
    qtbot.wait(500)
    window.statusBar().showMessage(f"Radio from “{HOSTILE[0][0]}”")
    qtbot.waitUntil(lambda: BOMB in window.transport.title.text(), timeout=5000)
    assert BOMB in window.windowTitle()

    # Labels: whatever holds a tag renders it literally.
    labels = [w for w in QApplication.allWidgets() if isinstance(w, QLabel) and any(
        part in w.text() for part in ("zero.png", "<b>", "<h1>", "<a href", "<table>", "<u>", "<i>"))]
    assert any(BOMB in label.text() for label in labels)
    for label in labels:
        plain = label.textFormat() == Qt.PlainText or (
            label.textFormat() == Qt.AutoText and not QtGui_Qt.mightBeRichText(label.text()))
        shown = _literal(label.text(), plain)
        name = label.objectName() or type(label.parent()).__name__
        assert "zero.png" in shown or "<" in shown, f"{name} renders {label.text()!r} as HTML"

    # Tooltips of widgets, and of every row of every list and table: hovered, shown as written.
    hovered = set()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        qtbot.wait(200)
        hovered |= _hover_everything()
    assert {"LibraryView", "BucketRow"} <= hovered, hovered     # the table and Discover's tiles
    assert _rss_mb() - before < 300


def _hover_everything() -> set[str]:
    """Raise every visible tooltip that holds a tag; returns the kinds of widget hovered."""
    hovered = set()
    for w in QApplication.allWidgets():
        if w.isVisible() and BOMB in (w.toolTip() or ""):
            tip = _hover(w, w.rect().center())
            assert BOMB in _literal(tip, False), f"{type(w).__name__} tooltip {w.toolTip()!r} shown as {tip!r}"
            hovered.add(type(w.parentWidget()).__name__)
    for view in [w for w in QApplication.allWidgets() if isinstance(w, QAbstractItemView) and w.isVisible()]:
        model = view.model()
        for row in range(min(model.rowCount(QModelIndex()), 20)):
            for col in range(_columns(model)):
                index = model.index(row, col)
                tip = index.data(Qt.ToolTipRole)
                if not (isinstance(tip, str) and BOMB in tip):
                    continue
                rect = view.visualRect(index)
                if rect.isEmpty() or not view.viewport().rect().intersects(rect):
                    continue
                shown = _hover(view.viewport(), rect.center())
                assert BOMB in _literal(shown, False), f"{type(view).__name__} row tooltip shown as {shown!r}"
                hovered.add(type(view.parentWidget()).__name__)
    return hovered


def _columns(model) -> int:
    try:
        return model.columnCount(QModelIndex())
    except TypeError:                                    # a list widget's model hides it: one column
        return 1


def test_a_tooltip_with_line_breaks_keeps_them():
    from player.ui.plain_text import escaped_tooltip

    assert _literal(escaped_tooltip(f"{BOMB}\nsecond line & more"), False) == f"{BOMB}\nsecond line & more"

