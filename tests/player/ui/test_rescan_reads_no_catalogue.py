"""In the real window with the learning recommender: a rescan that found the library as it
was reads no new catalogue at its end (100,000 tracks read again, seconds of a core, after
every File → Rescan and every look of the folders' watch that changed nothing)."""

from __future__ import annotations

from tests.player.ui.conftest import learning_window


def test_a_rescan_that_changed_nothing_reads_no_new_catalogue(qtbot, scanned, make_window):
    window, service = learning_window(qtbot, make_window, scanned)
    service.recommender()
    builds, stamp = service._builds, scanned.library_stamp()
    with qtbot.waitSignal(window.library_scanned, timeout=30000):
        window.rescan()
    qtbot.waitUntil(lambda: window._scan is None, timeout=30000)
    assert scanned.library_stamp() == stamp            # (the scan changed nothing)
    assert service.discover(6)
    assert service._builds == builds


def test_any_scan_that_ends_ends_the_recommenders_wait(qtbot, scanned, music, make_window):
    # The learning recommender serves on its catalogue while the library keeps changing,
    # until a scan ends. A look at the folders that found them as they were (the folders'
    # watch, every start) ended no wait: songs a scan in a terminal wrote meanwhile waited
    # out the whole wait after the window's scan had said the library was as it is.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    window, service = learning_window(qtbot, make_window, scanned, follow=True)
    qtbot.waitUntil(lambda: window._scan is None, timeout=30000)      # (the look at the start)
    service.settle_s = 3600.0            # (longer than the test: only a scan's end ends it)
    service.recommender()

    def terminal_scan(n: int) -> list[int]:
        write_track(music / f"Band {n}", f"Song {n}", seconds=0.3, freq=700.0 + 50 * n,
                    tags={"title": f"Song {n}", "artist": f"Band {n}", "album": f"Record {n}", "genre": "Jazz"})
        Scanner(scanned).scan([str(music)])
        return [r["id"] for r in scanned.tracks() if r["album"] == f"Record {n}"]

    terminal_scan(0)
    service.recommender()                # read for that change: the next change waits
    builds = service._builds
    later = terminal_scan(1)
    assert later and not set(later) & set(service.recommender().catalog.track_ids.tolist())
    assert service._builds == builds
    scanned_signals = []
    window.library_scanned.connect(lambda: scanned_signals.append(1))
    with qtbot.waitSignal(window.scan_finished, timeout=30000):
        window.follow_rescan()           # (the terminal's scans left it nothing to change)
    qtbot.waitUntil(lambda: window._scan is None, timeout=30000)
    assert not scanned_signals
    assert set(later) <= set(service.recommender().catalog.track_ids.tolist())
    assert service._builds == builds + 1


def test_each_tags_read_again_in_the_window_is_in_the_recommender_at_once(qtbot, scanned, music, make_window):
    # The person fixes a title and reads the file's tags again, then fixes another: each is
    # theirs, and Up next's reasons, Radio and Discover name the song as it is now, not after
    # the wait the recommender keeps while the library keeps changing.
    from tests.audiogen import write_tags

    window, service = learning_window(qtbot, make_window, scanned)
    service.settle_s = 3600.0            # (longer than the test)
    service.recommender()

    def title_in_catalogue(track_id: int) -> str:
        cat = service.recommender().catalog
        return cat.titles[cat.row(track_id)]

    for name, title in (("r2.flac", "Pebble Song (Demo)"), ("r4.flac", "Last Chord (Live)")):
        path = music / "Rock" / name
        write_tags(path, title=title)
        track = scanned.track_by_path(str(path))["id"]
        with qtbot.waitSignal(window.tags_read_again, timeout=20000):
            window.read_tags_again([track])
        assert title_in_catalogue(track) == title


def test_tags_read_again_ask_no_audio_analysis(qtbot, scanned, music, make_window):
    # A title fixed and read again changes no sound: the catalogue is read again, but the
    # learner is not asked to analyse, which lifted an analysis the person had cancelled and
    # set a pass over every track still waiting going again.
    from player.learner import messages as m
    from tests.audiogen import write_tags

    window = make_window(scanned)
    window.enable_intelligence(analyse=True, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    service = window.provider
    service.settle_s = 3600.0            # (longer than the test)
    service.recommender()
    sent = []
    real_send = window.intelligence.send
    window.intelligence.send = lambda message: sent.append(message) or real_send(message)
    path = music / "Rock" / "r2.flac"
    write_tags(path, title="Pebble Song (Demo)")
    track = scanned.track_by_path(str(path))["id"]
    with qtbot.waitSignal(window.tags_read_again, timeout=20000):
        window.read_tags_again([track])
    cat = service.recommender().catalog
    assert cat.titles[cat.row(track)] == "Pebble Song (Demo)"
    assert not [s for s in sent if isinstance(s, m.Analyse)]
