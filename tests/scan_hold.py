"""A rescan held where it folds moved files into their old tracks, and again after that,
before it ends: a test acts while the scan runs (queues a row the merge is about to fold
away, plays it before the scan ends)."""

from __future__ import annotations

import threading
from typing import NamedTuple


class HeldScan(NamedTuple):
    at_merge: threading.Event    # the scan has come to the merge
    merge: threading.Event       # set: let it merge
    merged: threading.Event      # it has merged, and waits before it ends
    finish: threading.Event      # set: let it end


def hold_scan(monkeypatch, *, report: bool = False) -> HeldScan:
    """Every Scanner from now on stops at the merge until ``merge`` is set, and after it
    until ``finish`` is set (20 s at most each). ``report``: report progress on coming to
    the merge, as a large library's later files would, so the window shows the new rows."""
    from player.library.scanner import Scanner

    held = HeldScan(*(threading.Event() for _ in range(4)))
    adopt_moved, adopt_late = Scanner._adopt_moved, Scanner._adopt_late

    def held_at_merge(self, paths):
        if report:
            self._report(force=True)
        held.at_merge.set()
        assert held.merge.wait(20)
        return adopt_moved(self, paths)

    def held_after_merge(self):
        held.merged.set()
        assert held.finish.wait(20)
        return adopt_late(self)

    monkeypatch.setattr(Scanner, "_adopt_moved", held_at_merge)
    monkeypatch.setattr(Scanner, "_adopt_late", held_after_merge)
    return held
