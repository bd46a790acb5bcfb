"""The window's "Don't suggest this song" / "Don't suggest songs by …": the suggestions leave Up
next and Discover at once and never come back in a refill, a station or Discover's rows; what
the person queued stays; Playback → Never suggested… takes it back."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QItemSelectionModel

from player.audio.base import PlaybackState
from player.recommendations import LibraryRecommendations
from player.ui.library_tasks import DISCOVER_PER_BUCKET
from player.ui.queue_panel import ENTRY_ROLE


class _Held(LibraryRecommendations):
    """The real recommender, held once it has ranked while ``hold`` (as a slow ranking is)."""

    def __init__(self, store):
        super().__init__(store)
        self.hold = False
        self.ranked, self.go = threading.Event(), threading.Event()

    def _held(self, recs):
        if self.hold:
            self.ranked.set()
            assert self.go.wait(20)
        return recs

    def up_next(self, *args, **kwargs):
        return self._held(super().up_next(*args, **kwargs))

    def radio(self, *args, **kwargs):
        return self._held(super().radio(*args, **kwargs))


def _menu_action(panel, rect, text: str):
    """The action ``text`` of the context menu that ``panel`` opens on the row drawn in ``rect``."""
    panel._menu(rect.center())
    action = next((a for a in panel.last_menu.actions() if a.text() == text), None)
    panel.last_menu.close()
    assert action is not None, [a.text() for a in panel.last_menu.actions()]
    return action


def _window(qtbot, make_window, store, kind):
    window = make_window(store)
    if kind == "learning":
        from player.recommender_service import RecommenderService

        window.provider = RecommenderService(store, priors=None)
    return window


def _start_paused(qtbot, window, track_id) -> None:
    """``track_id`` playing, paused there (the 3 s tracks would otherwise play through the queue)."""
    window.play_ids([track_id], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == track_id, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)


def _refill(window) -> list[int]:
    """What the window's queue filler offers now, every suggestion queued ranked again."""
    player = window.player
    suggested = sum(not e.manual for e in player.queue)
    return [t for t, _ in window._fill_queue(player, replacing=max(suggested, 1))]


def _discover_ids(qtbot, window) -> set[int]:
    window.tabs.setCurrentWidget(window.discover)
    window.refresh_discover()
    qtbot.waitUntil(lambda: not window._discovering.running(), timeout=10000)
    return {t for _bucket, entries in window.discover.buckets for t, *_ in entries}


def _take_back(qtbot, window) -> None:
    """Playback → Never suggested…, every entry selected, Remove."""
    dialog = window.open_never_suggested()
    qtbot.waitUntil(lambda: dialog.list.count() > 0, timeout=5000)
    dialog.list.selectAll()
    with qtbot.waitSignal(dialog.removed, timeout=5000):
        dialog.remove_btn.click()
    qtbot.waitUntil(lambda: dialog.empty.isVisible(), timeout=5000)


@pytest.mark.parametrize("kind", ["plain", "learning"])
def test_a_suggestion_left_out_leaves_up_next_at_once_and_no_surface_offers_it_again(
        qtbot, scanned, make_window, kind):
    window = _window(qtbot, make_window, scanned, kind)
    _start_paused(qtbot, window, window.model.track_id(0))
    window.up_next.keep_going.setChecked(True)
    rows, view = window.up_next.rows, window.up_next.list
    qtbot.waitUntil(lambda: rows.rowCount() >= 3, timeout=10000)
    entry = rows.index(1).data(ENTRY_ROLE)
    assert not entry.manual
    song, title = entry.track_id, scanned.track(entry.track_id)["title"]
    assert song in _discover_ids(qtbot, window) | set(_refill(window))
    action = _menu_action(window.up_next, view.visualRect(rows.index(1)), "Don't suggest this song")
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        action.trigger()
    qtbot.waitUntil(lambda: song not in window.up_next.track_ids(), timeout=5000)
    assert song not in [e.track_id for e in window.player.queue]
    assert f"won't suggest “{title}” again; 1 suggestion left Up next" in window.statusBar().currentMessage()
    assert scanned.never_suggested_ids() == {song}
    # Not in a refill, not on a station of its own genre, not in Discover.
    assert song not in _refill(window)
    # Not the song paused now: a station from it goes on where it is, so a wait for the seed
    # to play would pass before the station had started and replaced the queue.
    seed = next(t["id"] for t in scanned.tracks()
                if t["genre"].casefold() == scanned.track(song)["genre"].casefold()
                and t["id"] not in (song, window.player.current_track_id))
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 1, timeout=10000)
    window.pause()
    assert song not in [e.track_id for e in window.player.queue]
    assert song not in _discover_ids(qtbot, window)
    # The person can still play it, and undo brings it back to the suggestions.
    window.enqueue([song])
    qtbot.waitUntil(lambda: song in window.up_next.track_ids(), timeout=5000)
    _take_back(qtbot, window)
    assert scanned.never_suggested_ids() == set()
    assert "may suggest" in window.statusBar().currentMessage()
    window.player.remove_queue_entries([e for e in window.player.queue if e.track_id == song])
    assert song in _refill(window)


def test_an_artist_left_out_from_the_library_leaves_the_suggestions_but_not_what_the_person_queued(
        qtbot, scanned, make_window):
    window = make_window(scanned)
    theirs = sorted(t["id"] for t in scanned.tracks() if t["artist"] == "Quartet Nine")
    suggested, queued = theirs
    _start_paused(qtbot, window, window.model.track_id(0))
    window.enqueue([queued])
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: suggested in window.up_next.track_ids(), timeout=10000)
    assert next(e for e in window.player.queue if e.track_id == suggested).manual is False
    table = window.library.table
    row = window.model.row_of(suggested)
    action = _menu_action(window.library, table.visualRect(window.model.index(row, 1)),
                          "Don't suggest songs by Quartet Nine")
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        action.trigger()
    qtbot.waitUntil(lambda: suggested not in window.up_next.track_ids(), timeout=5000)
    assert queued in window.up_next.track_ids()                   # the person's own pick stays
    assert "won't suggest songs by Quartet Nine" in window.statusBar().currentMessage()
    assert not set(theirs) & set(_refill(window))
    assert not set(theirs) & _discover_ids(qtbot, window)
    # Radio from one of their songs: the person's pick plays, the station has none of theirs.
    window.up_next.keep_going.setChecked(False)
    window.start_radio(suggested)
    qtbot.waitUntil(lambda: window.player.current_track_id == suggested and bool(window.player.queue),
                    timeout=10000)
    window.pause()
    # (the song of theirs queued by hand stays, before the station's)
    assert [e.track_id for e in window.player.queue if e.source == "queue"] == [queued]
    assert not set(theirs) & {e.track_id for e in window.player.queue if e.source != "queue"}
    _take_back(qtbot, window)
    qtbot.waitUntil(lambda: bool(set(theirs) & _discover_ids(qtbot, window)), timeout=10000)


def test_a_discover_tile_left_out_goes_at_once(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    jazz = next(r for r in window.discover.rows if r.bucket == "jazz")
    tile = jazz.ids[0]
    jazz._menu(jazz.list.visualItemRect(jazz.list.item(0)).center())
    menu_texts = [a.text() for a in jazz.last_menu.actions()]
    jazz.last_menu.close()
    assert f"Don't suggest songs by {scanned.track(tile)['artist']}" in menu_texts
    action = _menu_action(jazz, jazz.list.visualItemRect(jazz.list.item(0)), "Don't suggest this song")
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        action.trigger()
    assert tile not in {t for _bucket, entries in window.discover.buckets for t, *_ in entries}
    assert tile not in _discover_ids(qtbot, window)
    dialog = window.open_never_suggested()
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=5000)
    assert scanned.track(tile)["title"] in dialog.list.item(0).text()
    dialog.list.setCurrentRow(0, QItemSelectionModel.Select)
    with qtbot.waitSignal(dialog.removed, timeout=5000):
        dialog.remove_btn.click()
    assert tile in _discover_ids(qtbot, window)


def test_an_untagged_song_offers_no_artist_by_its_folder_name(qtbot, store, tmp_path, make_window):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    root = tmp_path / "music"
    write_track(root / "Game OSTs" / "Zelda", "01 Overworld", fmt="wav", seconds=2.0)
    write_track(root / "Tagged", "t", fmt="flac", seconds=2.0, freq=770.0,
                tags={"title": "Tagged Song", "albumartist": "Zed Band", "album": "Known"})
    Scanner(store).scan([str(root)])
    window = make_window(store)

    def offered(title):
        row = next(r for r in range(window.model.rowCount()) if window.model.index(r, 1).data() == title)
        window.library._menu(window.library.table.visualRect(window.model.index(row, 1)).center())
        texts = [a.text() for a in window.library.last_menu.actions() if a.text().startswith("Don't")]
        window.library.last_menu.close()
        return texts

    assert offered("01 Overworld") == ["Don't suggest this song"]          # "Game OSTs" is a folder
    assert offered("Tagged Song") == ["Don't suggest this song", "Don't suggest songs by Zed Band"]


def test_the_never_suggested_list_says_when_it_could_not_be_read(qtbot, scanned, make_window, monkeypatch):
    # An empty list would claim that nothing is left out.
    import player.ui.never_dialog as never_dialog

    real = never_dialog.read_entries

    def broken(store):
        raise OSError("database is locked")

    monkeypatch.setattr(never_dialog, "read_entries", broken)
    window = make_window(scanned)
    dialog = window.open_never_suggested()
    qtbot.waitSignal(dialog.loaded, timeout=10000).wait()
    assert dialog.empty.isVisible() and "could not be read: database is locked" in dialog.empty.text()
    monkeypatch.setattr(never_dialog, "read_entries", real)
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.reload()
    assert dialog.empty.text() == never_dialog.NOTHING_YET


def test_a_refill_asked_for_before_a_song_was_left_out_does_not_queue_it(qtbot, scanned, make_window, monkeypatch):
    # The refill read the list, the person left a song out while it ranked, and it landed after
    # the window had cleared the song out of Up next: it must not bring the song in after all.
    window = make_window(scanned)
    window.provider = held = _Held(scanned)
    _start_paused(qtbot, window, window.model.track_id(0))
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=10000)
    held.hold = True
    window._command(lambda p: p.clear_queue())          # an empty queue: the filler asks at once
    qtbot.waitUntil(held.ranked.is_set, timeout=10000)
    song = window.model.track_id(1)                     # the next in library order: in that refill
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        window.never_suggest(song, "song")
    # The window says so once the list is written; the player takes the song out on its own
    # thread after that. The refill is let go only once the player has: let go before, it could
    # land first, and the check below would see the song before the player had taken it out.
    qtbot.waitUntil(lambda: song in window.player._left_out, timeout=5000)
    held.go.set()
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=10000)
    assert song not in [e.track_id for e in window.player.queue]
    assert song not in window.up_next.track_ids()
    # Taken back, the next refill may queue it again, even one asked for before the window has
    # read the list again (its read, the first after the removal, is slow here, as on a busy disk).
    held.hold = False
    read, reads = scanned.never_suggested_ids, []

    def slow_first():
        if not reads:
            reads.append(1)
            time.sleep(1.0)
        return read()

    monkeypatch.setattr(scanned, "never_suggested_ids", slow_first)
    _take_back(qtbot, window)
    window._command(lambda p: p.clear_queue())
    qtbot.waitUntil(lambda: song in [e.track_id for e in window.player.queue], timeout=10000)


def test_a_station_asked_for_before_a_song_was_left_out_does_not_queue_it(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.provider = held = _Held(scanned)
    seed = window.model.track_id(0)
    first = [r.track_id for r in held.radio(seed, 5)]
    held.hold = True
    window.start_radio(seed)
    qtbot.waitUntil(held.ranked.is_set, timeout=10000)
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        window.never_suggest(first[0], "song")
    held.hold = False
    held.go.set()
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 3,
                    timeout=10000)
    window.pause()
    assert first[0] not in [e.track_id for e in window.player.queue]


def test_the_menus_and_leaving_an_artist_out_read_nothing_from_the_database_on_the_gui_thread(
        qtbot, scanned, make_window):
    window = make_window(scanned)
    _start_paused(qtbot, window, window.model.track_id(0))
    window.up_next.keep_going.setChecked(True)
    rows, view = window.up_next.rows, window.up_next.list
    qtbot.waitUntil(lambda: rows.rowCount() >= 3, timeout=10000)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    artist = scanned.track(rows.index(1).data(ENTRY_ROLE).track_id)["artist"]
    jazz = next(r for r in window.discover.rows if r.bucket == "jazz")
    tile_artist = scanned.track(jazz.ids[0])["artist"]
    first_artist = scanned.track(window.model.track_id(0))["artist"]
    gui_reads = []
    real = scanned.execute

    def watched(sql, params=()):
        if threading.current_thread() is threading.main_thread():
            gui_reads.append(sql)
        return real(sql, params)

    scanned.execute = watched          # the real store, its reads on the GUI thread noted
    _menu_action(jazz, jazz.list.visualItemRect(jazz.list.item(0)), f"Don't suggest songs by {tile_artist}")
    table = window.library.table
    _menu_action(window.library, table.visualRect(window.model.index(0, 1)), f"Don't suggest songs by {first_artist}")
    action = _menu_action(window.up_next, view.visualRect(rows.index(1)), f"Don't suggest songs by {artist}")
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        action.trigger()
    assert f"won't suggest songs by {artist}" in window.statusBar().currentMessage()
    assert gui_reads == []


def test_this_song_is_every_copy_of_it_in_the_library(qtbot, store, music, make_window):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    # "Pebble Song" again, on a best-of, in another format: one song to the person.
    write_track(music / "Best Of", "b1", fmt="ogg", seconds=3.0, freq=999.0,
                tags={"title": "Pebble Song (Remastered)", "artist": "Granite", "album": "Hits", "genre": "Rock"})
    Scanner(store).scan([str(music)])
    window = make_window(store)
    copies = sorted(t["id"] for t in store.tracks() if t["title"].startswith("Pebble Song"))
    assert len(copies) == 2
    _start_paused(qtbot, window, window.model.track_id(0))
    window.up_next.keep_going.setChecked(True)
    # Up next offers one copy of a song at most; said of the other copy, it leaves all the same.
    qtbot.waitUntil(lambda: bool(set(copies) & set(window.up_next.track_ids())), timeout=10000)
    offered = set(copies) & set(window.up_next.track_ids())
    assert len(offered) == 1
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        window.never_suggest(next(iter(set(copies) - offered)), "song")
    qtbot.waitUntil(lambda: not set(copies) & set(window.up_next.track_ids()), timeout=5000)
    assert "1 suggestion left Up next" in window.statusBar().currentMessage()
    assert not set(copies) & set(_refill(window))
    assert not set(copies) & _discover_ids(qtbot, window)


def test_discover_rows_read_before_a_song_was_left_out_do_not_show_it(qtbot, scanned, make_window):
    class HeldDiscover(_Held):
        def discover(self, *args, **kwargs):
            return self._held(super().discover(*args, **kwargs))

    window = make_window(scanned)
    window.provider = held = HeldDiscover(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    tile = next(r for r in window.discover.rows if r.bucket == "jazz").ids[0]
    shown = []
    real = window.discover.set_rows

    def watched(rows, captions=None):
        shown.append({t for entries in rows.values() for t, *_ in entries})
        real(rows, captions)

    window.discover.set_rows = watched
    held.hold = True
    window.refresh_discover()
    qtbot.waitUntil(held.ranked.is_set, timeout=10000)
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        window.never_suggest(tile, "song")
    held.hold = False
    held.go.set()
    qtbot.waitUntil(lambda: len(shown) >= 3 and not window._discovering.running(), timeout=10000)
    assert all(tile not in ids for ids in shown)     # the tiles dropped, the held read, the read after


def test_discover_left_open_past_midnight_refills_with_the_day_it_shows(qtbot, scanned, make_window):
    # A song left out after midnight: the refill reshuffled every row to the new day under the
    # person's eyes. It keeps the day shown; opening the tab again shows the new day's.
    import datetime

    from player.recommender_service import RecommenderService

    window = make_window(scanned)
    window.provider = service = RecommenderService(scanned, priors=None)
    evening, morning = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)
    day = [evening]
    window.today = lambda: day[0]

    def rows(on, without=()):
        return [(b, [r.track_id for r in recs if r.track_id not in without])
                for b, recs in service.discover(DISCOVER_PER_BUCKET, today=on).items()]

    def shown():
        return [(b, [t for t, *_ in entries]) for b, entries in window.discover.buckets]

    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: shown() == rows(evening), timeout=10000)
    jazz = next(r for r in window.discover.rows if r.bucket == "jazz")
    tile = jazz.ids[0]
    day[0] = morning
    action = _menu_action(jazz, jazz.list.visualItemRect(jazz.list.item(0)), "Don't suggest this song")
    with qtbot.waitSignal(window.never_suggested_changed, timeout=5000):
        action.trigger()
    qtbot.waitUntil(lambda: tile not in {t for _b, ids in shown() for t in ids}, timeout=5000)
    qtbot.waitUntil(lambda: not window._discovering.running(), timeout=10000)
    assert rows(evening, {tile}) != rows(morning, {tile})
    assert shown() == rows(evening, {tile})
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: shown() == rows(morning, {tile}), timeout=10000)
