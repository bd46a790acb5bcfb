"""The Qt binding itself: PySide6 6.12.0 drops a reference to True on every emit().

Each ``signal.emit()`` returned ``True`` without a new reference, so after a few
thousand emits CPython aborts with "deallocating True or False". pyproject.toml
excludes that release; this test fails on any binding with the same bug.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ping = Signal(object)


def test_emit_keeps_reference_counts_balanced(qapp):
    emitter = _Emitter()
    got = []
    emitter.ping.connect(got.append)
    before = sys.getrefcount(True)
    for i in range(200):
        emitter.ping.emit(i)
    assert got == list(range(200))
    assert sys.getrefcount(True) - before >= -5     # 6.12.0: -200
