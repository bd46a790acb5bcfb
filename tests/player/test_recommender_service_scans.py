"""The learning recommender while the library keeps changing (a long scan, an import, the
scanner's own notes): it reads a new catalogue when what it holds changed, not once per
call after each write, and never offers a song the library lost meanwhile."""

from __future__ import annotations

import inspect
import shutil
import sys
import threading
import time

from player.library.scanner import Scanner
from tests.player.test_recommender_service import listen
from tests.player.test_songs_newer_than_the_models import _album, _ids, trained  # noqa: F401


def _offered(service, seed) -> set[int]:
    got = {r.track_id for r in service.radio(seed, 20, exclude=[seed])}
    got |= {r.track_id for r in service.up_next([seed], 20)}
    return got | {r.track_id for row in service.discover(6).values() for r in row}


def test_a_long_scan_reads_a_new_catalogue_once_a_while_and_never_offers_a_song_it_lost(store, trained):  # noqa: F811
    # A scan writes an album at a time, and Up next and Discover are asked between writes:
    # each call read the whole library again (2.6 s at 100,000 tracks) for the whole scan.
    service, music = trained
    service.settle_s = 3600.0        # (the scan is quicker than any wait: the clock plays no part)
    seed = _ids(store, "Jazz Album 0")[0]
    builds = service._builds
    for n in range(4):
        _album(music / f"Band {n}" / f"Record {n}", f"Band {n}", f"Record {n}", "Jazz", freq=900.0 + 40 * n)
        Scanner(store).scan([str(music)])
        assert len(service.up_next([seed], 10)) == 10
        assert service.discover(4)
    assert service._builds == builds + 1        # the first change's at once; the others wait
    # Radio from a song of the latest album has its station at once.
    new = _ids(store, "Record 3")
    station = [r.track_id for r in service.radio(new[0], 6, exclude=[new[0]])]
    assert len(station) == 6 and set(new[1:]) & set(station)
    assert service._builds == builds + 2
    # An album deleted while the scan goes on: the catalogue served meanwhile still holds
    # its songs, and none of them is offered.
    gone = _ids(store, "Jazz Album 1")
    assert set(gone) & _offered(service, seed)
    shutil.rmtree(music / "Jazz Artist 1")
    Scanner(store).scan([str(music)])
    got = _offered(service, seed)
    assert service._builds == builds + 2 and set(gone) <= set(service._rec.catalog.track_ids.tolist())
    playable = {r["id"] for r in store.tracks() if not r["missing"] and not r["last_error"]}
    assert got and got <= playable and not set(gone) & got
    # The scan ends: the next call reads the library as it is, once.
    service.library_settled()
    assert service.discover(4)
    assert service._builds == builds + 3 and not set(gone) & set(service._rec.catalog.track_ids.tolist())
    # A scan that changed nothing reads nothing again at its end.
    Scanner(store).scan([str(music)])
    service.library_settled()
    assert service.discover(4) and len(service.up_next([seed], 10)) == 10
    assert service._builds == builds + 3


def test_noting_the_files_status_change_times_reads_no_new_catalogue(store, trained):  # noqa: F811
    # The first scan after the times were kept notes each file's: the library's stamp moved
    # for each folder, and the catalogue (the same songs, the same tags) was read again.
    service, music = trained
    service.settle_s = 0.0          # (each change read at once: only the stamp decides here)
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET ctime_ns = NULL")     # (tracks stored before they were kept)
    seed = _ids(store, "Jazz Album 0")[0]
    assert service.up_next([seed], 5)
    builds, stamp = service._builds, store.library_stamp()
    Scanner(store).scan([str(music)])
    assert all(r["ctime_ns"] is not None for r in store.tracks())
    assert store.library_stamp() == stamp and store.library_changed_ids(stamp) == []
    assert len(service.up_next([seed], 5)) == 5
    assert service._builds == builds
    # A change of a song still moves it, and is read.
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET genre = 'Rock' WHERE id = ?", (seed,))
    assert store.library_stamp() != stamp and store.library_changed_ids(stamp) == [seed]
    service.up_next([seed], 5)
    assert service._builds == builds + 1


def _waits_for_the_lock(thread: threading.Thread, service, timeout: float = 30.0) -> bool:
    """Whether ``thread`` came, within ``timeout``, to wait for ``service``'s lock in ``_serving``
    (the line that takes it: the wait itself is no Python frame of its own)."""
    lines, first = inspect.getsourcelines(type(service)._serving)
    at = first + next(i for i, line in enumerate(lines) if "with self._lock:" in line)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread.ident)
        while frame is not None and frame.f_code is not type(service)._serving.__code__:
            frame = frame.f_back
        if frame is not None and frame.f_lineno == at:
            return True
        time.sleep(0.005)
    return False


def test_a_call_that_waited_while_an_import_was_read_builds_no_other(store, trained, tmp_path, monkeypatch):  # noqa: F811
    # Radio reads the imports' stamp and waits for the lock; an import lands and Up next
    # builds a catalogue with it: Radio then built another, the same.
    from player.history.importer import import_file
    from tests.player.test_trainer import _spotify_plays

    service, music = trained
    seed = _ids(store, "Jazz Album 0")[0]
    listen(store, seed, now=1_800_000_000.0)      # (a song ended: the next call reads again)
    read, stamp, here = threading.Event(), store.imports_stamp, threading.current_thread()

    def noted():
        got = stamp()
        if threading.current_thread() is not here:
            read.set()
        return got

    with service._lock:
        monkeypatch.setattr(store, "imports_stamp", noted)
        other = threading.Thread(target=service.recommender)
        other.start()
        assert read.wait(30)                   # Radio read the imports' stamp, and waits
        # ... for the lock, past the count of builds begun it read after the stamps: the import
        # landing before that read (a loaded box left the thread between the two), Radio rightly
        # built again, as a build begun then may have read the stamps before its own.
        assert _waits_for_the_lock(other, service), "Radio never came to wait for the lock"
        import_file(store, _spotify_plays(tmp_path / "jazz.json", "Jazz", 6, 1_600_000_000.0))
        builds = service._builds
        service.recommender()                  # Up next reads the import
        assert service._builds == builds + 1
    other.join(30)
    assert not other.is_alive()
    assert service._builds == builds + 1


def test_a_song_scanned_in_while_the_library_keeps_changing_is_offered_soon(store, trained):  # noqa: F811
    # The wait while the scan goes on is a bound, not a stop: the catalogue read after it
    # holds the songs written meanwhile, with no call naming them and no end of the scan.
    import time

    service, music = trained
    service.settle_s = 0.5
    seed = _ids(store, "Jazz Album 0")[0]
    _album(music / "Band 0" / "Record 0", "Band 0", "Record 0", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])
    assert service.up_next([seed], 5)                      # read for the first album, at once
    _album(music / "Band 1" / "Record 1", "Band 1", "Record 1", "Jazz", freq=940.0)
    Scanner(store).scan([str(music)])
    later = _ids(store, "Record 1")
    deadline = time.monotonic() + 120
    while not set(later) <= set(service.recommender().catalog.track_ids.tolist()):
        assert time.monotonic() < deadline, "the songs scanned in meanwhile never came"
        time.sleep(0.05)                                   # (polled: the wait is the service's)


def test_a_scan_that_ends_while_a_catalogue_is_read_has_its_last_songs_read_at_once(store, trained, monkeypatch):  # noqa: F811
    # The scan writes its last album while a catalogue is read for its first, and ends (the
    # window says so, from the GUI thread) before that one lands: the catalogue then served on
    # as though the scan went on, and the last album waited out a whole window.
    from player import recommender_service

    service, music = trained
    service.settle_s = 3600.0        # (a window no test outlasts: only the scan's end lifts it)
    seed = _ids(store, "Jazz Album 0")[0]
    build = recommender_service.build_catalog

    def scan_ends_meanwhile(*args, **kwargs):
        got = build(*args, **kwargs)
        monkeypatch.setattr(recommender_service, "build_catalog", build)
        _album(music / "Band 1" / "Record 1", "Band 1", "Record 1", "Jazz", freq=940.0)
        Scanner(store).scan([str(music)])
        service.library_settled()
        return got

    _album(music / "Band 0" / "Record 0", "Band 0", "Record 0", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])
    monkeypatch.setattr(recommender_service, "build_catalog", scan_ends_meanwhile)
    assert service.up_next([seed], 5)                      # read for the first album; the scan ends meanwhile
    assert set(_ids(store, "Record 0")) <= set(service._rec.catalog.track_ids.tolist())
    assert service.discover(4)
    assert set(_ids(store, "Record 1")) <= set(service._rec.catalog.track_ids.tolist())


def test_a_call_serves_the_catalogue_it_read_with_that_ones_stamp(store, trained, monkeypatch):  # noqa: F811
    # Radio takes the catalogue it serves, then reads the stamps; another call lands a new one
    # (read after an album was deleted) in between: Radio served the older catalogue as read
    # at the newer stamp, so nothing it holds counted as lost, and it offered the deleted songs.
    service, music = trained
    seed = _ids(store, "Jazz Album 0")[0]
    gone = _ids(store, "Jazz Album 1")
    assert set(gone) & {r.track_id for r in service.radio(seed, 20, exclude=[seed])}
    stamp = store.imports_stamp

    def another_call_lands():
        monkeypatch.setattr(store, "imports_stamp", stamp)
        shutil.rmtree(music / "Jazz Artist 1")
        Scanner(store).scan([str(music)])
        service.recommender()
        return stamp()

    monkeypatch.setattr(store, "imports_stamp", another_call_lands)
    got = {r.track_id for r in service.radio(seed, 20, exclude=[seed])}
    assert got and not set(gone) & got


def test_after_a_bulk_change_each_write_reads_only_its_own_tracks_for_the_songs_lost(store, trained, monkeypatch):  # noqa: F811
    # Most of the library rewritten inside one wait (a tag reader that reads every file
    # again): the songs lost since the catalogue were found by reading every track written
    # since it, and the whole library's order, again at each later write (seconds apiece at
    # 100,000 tracks, about the build the wait spares). Each write now reads its own tracks.
    service, music = trained
    service.settle_s = 3600.0
    seed = _ids(store, "Jazz Album 0")[0]
    _album(music / "Band 0" / "Record 0", "Band 0", "Record 0", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])
    assert service.up_next([seed], 5)                  # read for that change: the next ones wait
    builds = service._builds
    held = service._rec.catalog.track_ids.tolist()
    with store.transaction() as conn:                  # every track written again
        conn.execute("UPDATE tracks SET title = title || ' (remastered)'")
    assert _offered(service, seed) and service._builds == builds
    asked = []
    real = store.library_order_of

    def order_of(track_ids):
        asked.append(len(list(track_ids)))
        return real(track_ids)

    monkeypatch.setattr(store, "library_order_of", order_of)
    lost = _ids(store, "Jazz Album 1")[0]
    store.mark_missing([lost])
    got = _offered(service, seed)
    assert got and lost not in got and service._builds == builds
    assert asked and max(asked) <= 1, f"read {asked} tracks for one lost"
    # Found again (a disk connected back): offered again, still from the same catalogue.
    store.mark_present([lost])
    assert lost not in service._gone_since(service._rec, service._library_seen)
    assert max(asked) <= 1 and service._builds == builds and service._rec.catalog.track_ids.tolist() == held
