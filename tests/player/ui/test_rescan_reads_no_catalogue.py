"""In the real window with the learning recommender: a rescan that found the library as it
was reads no new catalogue at its end (100,000 tracks read again, seconds of a core, after
every File → Rescan and every look of the folders' watch that changed nothing)."""

from __future__ import annotations


def test_a_rescan_that_changed_nothing_reads_no_new_catalogue(qtbot, scanned, make_window):
    from player.recommender_service import RecommenderService

    window = make_window(scanned)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    service = window.provider
    assert isinstance(service, RecommenderService)
    service.recommender()
    builds, stamp = service._builds, scanned.library_stamp()
    with qtbot.waitSignal(window.library_scanned, timeout=30000):
        window.rescan()
    qtbot.waitUntil(lambda: window._scan is None, timeout=30000)
    assert scanned.library_stamp() == stamp            # (the scan changed nothing)
    assert service.discover(6)
    assert service._builds == builds
