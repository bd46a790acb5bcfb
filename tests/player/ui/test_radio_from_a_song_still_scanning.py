"""Radio, in the window, from a song of an album still being scanned in, with the learning
recommender serving models trained before the album came."""

from __future__ import annotations

from tests.audiogen import write_track


def test_radio_from_a_new_song_while_its_scan_is_under_way_fills_the_station(qtbot, scanned, music, make_window,
                                                                             monkeypatch):
    # The person adds an album; the window lists its songs while the scan goes on, and they
    # start Radio from one of them. The learning recommender's catalogue, read before the scan,
    # did not hold it: the song played, the station had nothing, and the queue filled with
    # Up next's songs (whatever followed it in the library) until the scan ended.
    from player.recommender_service import RecommenderService
    from player.trainer import Trainer
    from tests.player.test_recommender_service import listen
    from tests.scan_hold import hold_scan

    store = scanned
    ids = [r["id"] for r in store.tracks()]
    t = 1_700_000_000.0
    for n in range(24):
        listen(store, ids[n % len(ids)], now=t)
        t += 210
    assert Trainer(store, None, session_model=False).train_now().path is not None
    window = make_window(store)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    assert isinstance(window.provider, RecommenderService)
    assert window.provider.recommender().models.person is not None      # the trained models serve
    for i in range(4):
        write_track(music / "New Band" / "First Light", f"{i + 1:02d} Dawn {i + 1}", seconds=3.0, freq=600.0 + 30 * i,
                    tags={"title": f"Dawn {i + 1}", "artist": "New Band", "album": "First Light",
                          "genre": "Rock", "tracknumber": str(i + 1)})
    at_merge, merge, merged, finish = hold_scan(monkeypatch, report=True)
    window._scan_timer.setInterval(1)
    model = window.model

    def new_song():
        return next((model.track_id(r) for r in range(model.rowCount()) if model.index(r, 1).data() == "Dawn 1"),
                    None)

    try:
        window.rescan()
        qtbot.waitUntil(lambda: at_merge.is_set() and new_song() is not None, timeout=15000)
        seed = new_song()
        window.start_radio(seed)
        qtbot.waitUntil(lambda: window.player.current_track_id == seed, timeout=10000)
        # (the scan still held: the station fills from what the library lists now)
        qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=15000)
        assert window._scan is not None
        queue = window.player.queue
        assert seed not in {e.track_id for e in queue} and all(e.source == "radio" for e in queue)
        assert {e.track_id for e in queue} <= {r["id"] for r in store.tracks() if not r["missing"]}
    finally:
        merge.set()
        finish.set()
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
