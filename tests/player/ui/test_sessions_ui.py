"""What Up next and a station leave out is this listening session's, and reasons stay true."""

from __future__ import annotations

from player.ui.two_line import REASON_ROLE


def _play_through(qtbot, window, ids):
    window.play_ids(ids, 0, "library")
    for tid in ids:
        qtbot.waitUntil(lambda: window.player.current_track_id == tid, timeout=10000)
        window.next_track()


def test_a_session_that_heard_the_whole_library_still_gets_suggestions(qtbot, scanned, make_window):
    # A small library, or a long evening: every song was heard in this session. Up next
    # left them all out, and Keep it going went silent for good.
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    _play_through(qtbot, window, ids)
    qtbot.waitUntil(lambda: set(window.player.session) == set(ids), timeout=10000)
    got = [t for t, _source in window._fill_queue(window.player)]
    assert got and set(got) <= set(ids)
    assert ids[-1] not in got[:1]                  # not the song just heard


def test_a_station_leaves_out_what_was_heard_this_session(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    heard, seed = ids[:4], ids[4]
    _play_through(qtbot, window, heard)
    qtbot.waitUntil(lambda: set(window.player.session) >= set(heard), timeout=10000)
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 1,
                    timeout=10000)
    assert not {e.track_id for e in window.player.queue} & set(heard)


def test_after_forgetting_the_history_no_reason_cites_plays(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    ids = [window.model.track_id(i) for i in range(8)]
    t = 1_700_000_000.0
    for _ in range(4):
        for tid in ids:
            p = scanned.start_play(tid, source="library", track_ms=3000, now=t)
            scanned.end_play(p, "finished", 3000, now=t + 3)
            t += 4
    window.up_next.keep_going.setChecked(True)
    window.play_ids([ids[0]], 0, "library")
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=15000)
    window.pause()

    def reasons():
        rows = window.up_next.rows
        return [rows.index(i).data(REASON_ROLE) or "" for i in range(rows.rowCount())]

    qtbot.waitUntil(lambda: any("you played" in r for r in reasons()), timeout=10000)
    window.forget_history()
    qtbot.waitUntil(lambda: "forgotten" in window.statusBar().currentMessage(), timeout=15000)
    qtbot.waitUntil(lambda: not any("you played" in r for r in reasons()), timeout=10000)
    # The reasons given again come in their place: checked once they are all there, not after
    # a set time, by which a slow machine may not have given them yet.
    suggested = {e.track_id for e in window.player.queue if not e.manual}
    qtbot.waitUntil(lambda: suggested <= set(window.reasons), timeout=10000)
    assert not any("you played" in r for r in reasons()), reasons()


def test_reasons_given_again_twice_quickly_are_the_newest(qtbot, scanned, make_window, monkeypatch):
    # Taking out one imported history and then another gives the reasons again after each.
    # The first run read the history as it was; landing after the second had begun, its
    # reasons filled the rows, and the second's, newer, were kept out as already given.
    # (The library's provider words a reason from the genre tag: a new tag stands for the
    # plays taken out.)
    import threading

    window = make_window(scanned)
    window.up_next.keep_going.setChecked(True)
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=15000)
    window.pause()
    qtbot.wait(300)
    suggested = list(dict.fromkeys(e.track_id for e in window.player.queue if not e.manual))
    n = len(suggested)
    calls, landed, gates = [], [threading.Event(), threading.Event()], [threading.Event(), threading.Event()]
    explain = window.provider.explain

    def held(track_id, context=""):
        reason = explain(track_id, context)
        calls.append(track_id)
        if len(calls) % n == 0:                         # a run's last reason: held until let go
            run = len(calls) // n - 1
            landed[run].set()
            assert gates[run].wait(10)
        return reason

    monkeypatch.setattr(window.provider, "explain", held)
    window._explain_again()
    qtbot.waitUntil(landed[0].is_set, timeout=5000)
    with scanned.transaction() as conn:
        conn.execute("UPDATE tracks SET genre = 'Polka' WHERE id = ?", (suggested[0],))
    window._explain_again()
    qtbot.wait(300)
    gates[0].set()                                      # the first lands while the second runs
    qtbot.wait(300)
    gates[1].set()
    qtbot.waitUntil(lambda: len(calls) == 2 * n, timeout=5000)
    qtbot.waitUntil(lambda: suggested[0] in window.reasons, timeout=5000)
    qtbot.wait(300)
    assert window.reasons[suggested[0]] == "Tagged Polka in your library"
    assert window.up_next.rows.index(window.up_next.track_ids().index(suggested[0]), 0).data(
        REASON_ROLE) == "Suggested: Tagged Polka in your library"


def test_removing_the_last_library_folder_empties_the_library_shown(qtbot, scanned, make_window):
    window = make_window(scanned)
    assert window.model.rowCount() > 0
    for row in scanned.folders():
        scanned.remove_folder(row["path"])
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.rescan()
    assert window.model.rowCount() == 0
