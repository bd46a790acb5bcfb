"""File → Import listening history… in the real window: a file dialog, progress N of M, a summary, the plays."""

from __future__ import annotations

import gc
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from player.ui.imports_dialog import COLUMNS
from tests import history_fixtures as fx
from tests.player.ui.conftest import TRACKS

T0 = 1_600_000_000.0


def test_import_from_the_file_menu_shows_progress_and_a_summary(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned, with_player=False)
    titles = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Import listening history…" in titles

    # 1,200 rows over the library's songs (progress is reported every 500 rows) and one unknown song.
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    plays = [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(1199)]
    plays.append(("Nobody", "Unknown Song", None, T0 + 240 * 1200, 60_000, False))
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", plays)

    seen = []
    original = window._import_progress
    window._import_progress = lambda value, n: (seen.append((value[1], value[2])), original(value, n))
    window.act_import.trigger()
    dialog = window.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(window.history_imported, timeout=20000) as got:
        dialog.filesSelected.emit([str(path)])
        qtbot.waitUntil(lambda: window.tasks.running() == ["import"] or got.signal_triggered, timeout=5000)
    (summary,) = got.args[0]
    assert (summary.matched, summary.unmatched) == (1199, 1)
    assert (500, 1200) in seen and (1000, 1200) in seen               # N of M
    assert scanned.imported_play_count() == 1199 and scanned.unmatched_count() == 1
    assert window.tasks.running() == []
    box = window.findChild(QMessageBox)
    assert box.isVisible() and "1,199 became plays" in box.text() and "1 not in the library" in box.text()

    with qtbot.waitSignal(window.history_imported, timeout=20000) as again:       # a second time adds nothing
        window.import_history_files([str(path)])
    assert again.args[0][0].added == 0 and scanned.imported_play_count() == 1199


def test_the_import_runs_with_the_cyclic_collector_paused(qtbot, scanned, make_window, tmp_path, monkeypatch):
    # A full collection set off by the import's allocations would hold the window too;
    # the job's data has no cycles, so the collector waits until the job ends. The
    # library's index is let go a piece at a time before that.
    from player.history.match import TrackMatcher

    let_go, indexed = TrackMatcher.let_go, []

    def noted(matcher):
        indexed.append(len(matcher._exact))
        let_go(matcher)
        indexed.append(len(matcher._exact))

    monkeypatch.setattr(TrackMatcher, "let_go", noted)
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json",
                               [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(20)])
    enabled = []
    tracks = scanned.tracks
    scanned.tracks = lambda *a, **k: (enabled.append(gc.isenabled()), tracks(*a, **k))[1]   # on the worker
    assert gc.isenabled()
    with qtbot.waitSignal(window.history_imported, timeout=20000) as got:
        window.import_history_files([str(path)])
    assert got.args[0][0].matched == 20
    assert enabled and not any(enabled)     # the job read the library with the collector off
    assert gc.isenabled()                   # back on once the job is over
    assert indexed[0] == len(TRACKS) and indexed[1] == 0


def test_a_file_that_is_not_a_history_is_reported_in_plain_words(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned, with_player=False)
    bad = tmp_path / "photo.json"
    bad.write_text('{"camera": "x"}', encoding="utf-8")
    with qtbot.waitSignal(window.history_imported, timeout=20000) as got:
        window.import_history_files([str(bad)])
    assert got.args[0][0].error
    box = window.findChild(QMessageBox)
    assert "photo.json: not imported" in box.text() and "not a Spotify or ListenBrainz" in box.text()
    assert scanned.play_count() == 0


def test_a_batch_with_a_damaged_file_says_what_was_imported_and_what_was_not(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    good = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json",
                               [(*songs[0], T0, 180_000, False), (*songs[1], T0 + 600, 180_000, False)])
    damaged = tmp_path / "my_spotify_data.zip"
    damaged.write_bytes(b"PK\x03\x04" + b"\x00" * 100)          # a download cut short
    later = fx.spotify(tmp_path / "StreamingHistory0.json", [(*songs[2], T0 + 9000, 180_000, False)])
    with qtbot.waitSignal(window.history_imported, timeout=20000) as got:
        window.import_history_files([str(good), str(damaged), str(later)])
    assert [bool(s.error) for s in got.args[0]] == [False, True, False]
    box = window.findChild(QMessageBox)
    assert box.windowTitle() == "Listening history partly imported"
    assert box.text().startswith("Imported 2 of 3 files: 3 plays") and "Not imported: my_spotify_data.zip" in box.text()
    assert "my_spotify_data.zip: not imported: my_spotify_data.zip is a zip that was cut short" in box.text()
    assert scanned.imported_play_count() == 3


def test_a_file_imported_by_mistake_is_taken_out_from_the_file_menu(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    mine = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json",
                               [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(6)])
    theirs = fx.lastfm_mbids(tmp_path / "friend_scrobbles.csv",
                             [(*songs[i % len(songs)], T0 + 86400 + 240 * i, 180_000, False) for i in range(4)]
                             + [("Nobody", "Unknown Song", None, T0 + 90000, 60_000, False)])
    with qtbot.waitSignal(window.history_imported, timeout=20000):
        window.import_history_files([str(mine), str(theirs)])
    assert scanned.imported_play_count() == 10 and scanned.unmatched_count() == 1

    window.act_imports.trigger()
    dialog = window.imports_dialog
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 2, timeout=5000)
    rows = [[dialog.table.topLevelItem(i).text(c) for c in (0, 1, 3, 4)] for i in range(2)]
    assert rows == [["friend_scrobbles.csv", "Last.fm", "5", "4"],
                    ["Streaming_History_Audio_2020.json", "Spotify (extended history)", "6", "6"]]
    assert not dialog.remove_btn.isEnabled()
    dialog.table.setCurrentItem(dialog.table.topLevelItem(0))
    assert dialog.remove_btn.isEnabled()
    dialog.remove_btn.click()
    box = dialog.confirm_box
    assert box is not None and "friend_scrobbles.csv" in box.text()
    with qtbot.waitSignal(window.history_removed, timeout=20000) as removed, \
            qtbot.waitSignal(dialog.loaded, timeout=20000):
        next(b for b in box.buttons() if b.text() == "Remove").click()
    assert (removed.args[0]["name"], removed.args[0]["plays"]) == ("friend_scrobbles.csv", 4)
    assert scanned.imported_play_count() == 6 and scanned.unmatched_count() == 0
    assert [dialog.table.topLevelItem(i).text(0) for i in range(dialog.table.topLevelItemCount())] == \
        ["Streaming_History_Audio_2020.json"]
    assert "Removed friend_scrobbles.csv: 4 plays and 5 imported rows" in window.statusBar().currentMessage()


def test_taking_out_a_file_whose_listens_later_files_shared_names_them_in_a_box_that_stays(
        qtbot, scanned, make_window, tmp_path):
    # Spotify's yearly files of plays already scrobbled stored none of their rows: taking the
    # scrobbles out takes those listens too, and the files to import again are named whole.
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    plays = [(*songs[i % len(songs)], T0 + 86400 * 400 * (i // 3) + 240 * i, 180_000, False) for i in range(6)]
    scrobbles = fx.lastfm_mbids(tmp_path / "scrobbles.csv", plays)
    years = [fx.spotify_extended(tmp_path / f"Streaming_History_Audio_{2020 + y}_{'x' * 60}.json",
                                 plays[3 * y:3 * y + 3]) for y in range(2)]
    for path in (scrobbles, *years):
        with qtbot.waitSignal(window.history_imported, timeout=20000):
            window.import_history_files([str(path)])
    first = min(r["id"] for r in scanned.history_imports())
    with qtbot.waitSignal(window.history_removed, timeout=20000):
        window.remove_history_import(first, "scrobbles.csv")
    assert scanned.imported_play_count() == 0
    box = window._history_box
    assert box is not None and box.isVisible()
    assert all(p.name in box.text() for p in years) and "import those files again" in box.text()


def test_an_imported_file_with_no_plays_says_why(qtbot, scanned, make_window, tmp_path):
    # A file of songs the library lacks, and Spotify's copy of listens already scrobbled: both
    # were listed with 0 plays and nothing more, like imports that failed or files to take out
    # at no loss. Once the scrobbles are taken out, the copy says how to get its listens back.
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    heard = [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(3)]
    files = [fx.lastfm_mbids(tmp_path / "scrobbles.csv", heard),
             fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", heard),
             fx.lastfm_mbids(tmp_path / "radio.csv", [("Nobody", f"Unknown Song {i}", None, T0 + 9000 + 240 * i,
                                                       180_000, False) for i in range(2)])]
    for path in files:
        with qtbot.waitSignal(window.history_imported, timeout=20000):
            window.import_history_files([str(path)])
    window.act_imports.trigger()
    dialog = window.imports_dialog
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 3, timeout=5000)
    items = [dialog.table.topLevelItem(i) for i in range(3)]
    assert [[item.text(c) for c in (0, 3, 4)] for item in items] == [
        ["radio.csv", "2", "0"], ["Streaming_History_Audio_2020.json", "3", "0"], ["scrobbles.csv", "3", "3"]]
    lines = dialog.why.text().splitlines()
    assert not dialog.why.isHidden() and len(lines) == 2
    assert lines[0] == ("radio.csv: no plays: none of its 2 rows names a song in the library: they are kept, "
                        "and become plays when a scan adds the songs.")
    assert lines[1].startswith("Streaming_History_Audio_2020.json: no plays: its listens were already imported "
                               "from another file")
    assert "none of its 2 rows" in items[0].toolTip(4) and not items[2].toolTip(4)

    with qtbot.waitSignal(dialog.loaded, timeout=20000):
        window.remove_history_import(int(items[2].data(0, Qt.UserRole)[0]), "scrobbles.csv")
    assert [dialog.table.topLevelItem(i).text(0) for i in range(2)] == ["radio.csv",
                                                                      "Streaming_History_Audio_2020.json"]
    assert "import this file again to bring them back" in dialog.why.text().splitlines()[1]
    with qtbot.waitSignal(window.history_imported, timeout=20000), qtbot.waitSignal(dialog.loaded, timeout=20000):
        window.import_history_files([str(files[1])])
    assert [[dialog.table.topLevelItem(i).text(c) for c in (0, 4)] for i in range(2)] == [
        ["Streaming_History_Audio_2020.json", "3"], ["radio.csv", "0"]]
    assert dialog.why.text().splitlines() == [lines[0]]


def test_the_imported_histories_put_each_count_under_its_heading(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    path = fx.lastfm_mbids(tmp_path / "scrobbles.csv",
                           [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(3)])
    with qtbot.waitSignal(window.history_imported, timeout=20000):
        window.import_history_files([str(path)])
    window.act_imports.trigger()
    dialog = window.imports_dialog
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=5000)
    qtbot.waitExposed(dialog)
    table, header = dialog.table, dialog.table.header()
    item = table.topLevelItem(0)
    for column in (3, 4):       # Rows, Plays: the number ends where its heading ends
        cell = table.visualItemRect(item).intersected(table.visualRect(table.indexFromItem(item, column)))
        heading_right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert abs(cell.right() - heading_right) <= 2
        assert header.sectionSize(column) <= 100, COLUMNS[column]
    assert header.sectionSize(0) == max(header.sectionSize(c) for c in range(len(COLUMNS)))


def test_the_listening_tab_counts_the_plays_an_import_made(qtbot, scanned, make_window, tmp_path):
    # The tab was open before the import: its totals follow the history brought in, as they
    # follow a scan's or a removal's plays, without waiting for the window to be opened again.
    window = make_window(scanned, with_player=False)
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    overview = window.listening.view.overview
    qtbot.waitUntil(lambda: overview.summary is not None and overview.summary.empty, timeout=10000)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json",
                               [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(7)])
    with qtbot.waitSignal(window.history_imported, timeout=20000):
        window.import_history_files([str(path)])
    qtbot.waitUntil(lambda: overview.summary is not None and overview.summary.plays == 7, timeout=10000)
    assert overview.headline.text().startswith("7 plays")


def test_the_listening_tab_drops_the_plays_a_later_file_says_were_private(qtbot, scanned, make_window, tmp_path):
    # Spotify's account data does not say which plays were in a private session; its
    # extended history, imported after it, does, and those plays go. An import whose only
    # effect was taking plays away left the tab's totals counting them.
    import json

    from player.history.importer import import_file

    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    plays = [(*songs[i % len(songs)], T0 + 240 * i, 180_000, False) for i in range(7)]
    import_file(scanned, fx.spotify(tmp_path / "StreamingHistory0.json", plays))
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    overview = window.listening.view.overview
    qtbot.waitUntil(lambda: overview.summary is not None and overview.summary.plays == 7, timeout=10000)
    # (only the two private plays in it: an extended history of the others fills them in)
    extended = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", plays[:2])
    rows = json.loads(extended.read_text(encoding="utf-8"))
    for row in rows:
        row["incognito_mode"] = True
    extended.write_text(json.dumps(rows), encoding="utf-8")
    with qtbot.waitSignal(window.history_imported, timeout=20000) as got:
        window.import_history_files([str(extended)])
    (summary,) = got.args[0]
    assert (summary.matched, summary.filled_in, summary.made_private) == (0, 0, 2)
    assert scanned.play_count() == 5
    qtbot.waitUntil(lambda: overview.summary is not None and overview.summary.plays == 5, timeout=10000)


def _many(songs, n: int, start: float) -> list:
    return [(*songs[i % len(songs)], start + 240 * i, 180_000, False) for i in range(n)]


def test_an_import_stopped_keeps_the_files_done_and_nothing_of_the_one_stopped(qtbot, scanned, make_window,
                                                                                tmp_path):
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    first = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2019.json", _many(songs, 5, T0))
    big = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", _many(songs, 30_000, T0 + 86400))
    last = fx.lastfm_mbids(tmp_path / "scrobbles.csv", _many(songs, 3, T0 - 86400))
    assert not window.act_stop_import.isEnabled() and window.stop_import_btn.isHidden()
    original = window._import_progress

    def progress(value, n):         # stopped from the status bar once the big file is under way
        original(value, n)
        if value[0] == 1 and window.stop_import_btn.isVisible():
            window.stop_import_btn.click()

    window._import_progress = progress
    with qtbot.waitSignal(window.history_imported, timeout=60000) as got:
        window.import_history_files([str(first), str(big), str(last)])
        assert window.act_stop_import.isEnabled() and window.stop_import_btn.isVisible()
    assert [s.name for s in got.args[0]] == ["Streaming_History_Audio_2019.json"]
    assert scanned.imported_play_count() == 5 and scanned.unmatched_count() == 0
    assert [r["name"] for r in scanned.history_imports()] == ["Streaming_History_Audio_2019.json"]
    box = window.findChild(QMessageBox)
    assert box.windowTitle() == "Import stopped"
    assert box.text().startswith("The import was stopped. Imported 1 file: 5 plays")
    assert "Not imported, nothing of them kept: Streaming_History_Audio_2020.json, scrobbles.csv." in box.text()
    assert window.tasks.running() == [] and not window.act_stop_import.isEnabled()
    assert window.stop_import_btn.isHidden()

    with qtbot.waitSignal(window.history_imported, timeout=60000) as again:     # imported whole when asked again
        window.import_history_files([str(big)])
    assert again.args[0][0].matched == 30_000 and scanned.imported_play_count() == 30_005


def test_an_import_stopped_at_once_keeps_nothing_and_says_so(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    big = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", _many(songs, 30_000, T0))
    with qtbot.waitSignal(window.history_imported, timeout=60000) as got:
        window.import_history_files([str(big)])
        window.act_stop_import.trigger()
        assert window.tasks.text("import") == "Stopping the import:" and not window.act_stop_import.isEnabled()
    assert got.args[0] == [] and scanned.imported_play_count() == 0 and scanned.history_imports() == []
    box = window.findChild(QMessageBox)
    assert (box.windowTitle(), box.text()) == \
        ("Import stopped", "The import was stopped: nothing of Streaming_History_Audio_2020.json was kept.")


def test_closing_the_window_mid_import_stops_it_cleanly(qtbot, scanned, make_window, tmp_path, caplog):
    from player.workers import wait_all

    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    big = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", _many(songs, 30_000, T0))
    seen = []
    original = window._import_progress
    window._import_progress = lambda value, n: (seen.append(value), original(value, n))
    window.import_history_files([str(big)])
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    window.close()                  # as the app quits: the window closes, the workers are waited for
    assert wait_all(20000)
    qtbot.wait(50)                  # the job's end, delivered
    assert scanned.imported_play_count() == 0 and scanned.history_imports() == []
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
    assert window.findChild(QMessageBox) is None


def test_an_import_s_progress_never_goes_back_within_a_stage(qtbot, scanned, make_window, tmp_path):
    # Saving began at full, as if done, and went back to the start as the rows were written.
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", _many(songs, 12_000, T0))
    seen = []
    original = window._import_progress
    window._import_progress = lambda value, n: (seen.append(value), original(value, n))
    with qtbot.waitSignal(window.history_imported, timeout=60000):
        window.import_history_files([str(path)])
    saving = [done / total for _i, done, total, stage in seen if stage == "Saving"]
    assert len(saving) > 2 and saving == sorted(saving) and saving[-1] == 1.0
    matching = [done / total for _i, done, total, stage in seen if stage == "Matching"]
    assert matching == sorted(matching)


def test_a_large_file_says_how_far_its_read_got_and_a_stop_then_is_heard_before_its_rows_are_matched(
        qtbot, scanned, make_window, tmp_path):
    # Reading a large export stood still in the status bar, and Stop waited until it was read.
    window = make_window(scanned, with_player=False)
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    big = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", _many(songs, 30_000, T0))
    megabytes = -(-big.stat().st_size // 1_000_000)
    seen, labels = [], []
    original = window._import_progress

    def progress(value, n):
        seen.append(value)
        original(value, n)
        labels.append(window.tasks.describe("import"))
        if value[3] == "Reading" and value[1] > 0 and window.stop_import_btn.isVisible():
            window.stop_import_btn.click()

    window._import_progress = progress
    with qtbot.waitSignal(window.history_imported, timeout=60000) as got:
        window.import_history_files([str(big)])
    assert got.args[0] == [] and scanned.imported_play_count() == 0 and scanned.history_imports() == []
    assert {stage for *_, stage in seen} == {"Reading"}             # (what came after the stop is dropped)
    assert re.fullmatch(rf"Importing history, reading \(MB\): \d+ of {megabytes}", labels[-1]), labels[-1]
