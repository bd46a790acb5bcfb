"""Songs that came after the catalogue the learning recommender read: an album scanned in (a
scan still under way, or one in a terminal), a folder renamed, a file deleted. A new song
gets a station at once, its plays count at once, and a song gone is never offered."""

from __future__ import annotations

import shutil

import pytest

from player.library.scanner import Scanner
from player.recommender_service import RecommenderService
from player.trainer import Trainer
from tests.audiogen import write_track
from tests.player.test_recommender_service import listen

GENRES = ("Jazz", "Rock", "Ambient")


def _album(folder, artist, album, genre, n=4, freq=330.0):
    for i in range(n):
        write_track(folder, f"{i + 1:02d} {album} {i + 1}", seconds=0.3, freq=freq + 20 * i,
                    tags={"title": f"{album} {i + 1}", "artist": artist, "album": album, "genre": genre,
                          "tracknumber": str(i + 1)})


def _ids(store, album) -> list[int]:
    return sorted(r["id"] for r in store.tracks() if r["album"] == album and not r["missing"])


@pytest.fixture
def trained(store, tmp_path):
    """A scanned library of three genres, a person who plays its jazz, a training run, and
    the service built from it: ``(service, music folder)``."""
    music = tmp_path / "music"
    for g, genre in enumerate(GENRES):
        for a in range(3):
            _album(music / f"{genre} Artist {a}" / f"{genre} Album {a}", f"{genre} Artist {a}",
                   f"{genre} Album {a}", genre, freq=200.0 + 100 * g + 30 * a)
    Scanner(store).scan([str(music)])
    jazz = [r["id"] for r in store.tracks() if r["genre"] == "Jazz"]
    t = 1_700_000_000.0
    for s in range(8):
        for i in range(6):
            listen(store, jazz[(s + i) % len(jazz)], now=t)
            t += 210
        t += 3600
    service = RecommenderService(store, priors=None)
    Trainer(store, service, every_n_plays=10, session_model=False).train_now()
    assert service.recommender().models.person is not None       # the learned models serve
    return service, music


def test_a_song_scanned_in_after_the_catalogue_was_read_gets_a_station_at_once(store, trained):
    # The album is scanned in while the window's recommender keeps the catalogue it read (a
    # scan in a terminal, or one still under way): Radio from one of its songs had nothing.
    service, music = trained
    _album(music / "New Jazz Band" / "New Record", "New Jazz Band", "New Record", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])
    new = _ids(store, "New Record")
    assert len(new) == 4
    got = [r.track_id for r in service.radio(new[0], 8, exclude=[new[0]])]
    assert len(got) == 8 and new[0] not in got
    assert set(new[1:]) & set(got)                       # its album-mates are on its station
    jazz = {r["id"] for r in store.tracks() if r["genre"] == "Jazz"}
    assert sum(t in jazz for t in got) >= 6


def test_plays_of_a_new_song_count_at_once(store, trained):
    service, music = trained
    _album(music / "New Jazz Band" / "New Record", "New Jazz Band", "New Record", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])
    song = _ids(store, "New Record")[0]
    for n in range(3):
        listen(store, song, now=1_800_000_000.0 + 300 * n)
    assert "you played it 3 times" in service.explain(song, f"radio:{song}")


def test_a_song_deleted_or_renamed_away_is_never_offered(store, trained):
    service, music = trained
    seed = _ids(store, "Jazz Album 0")[0]
    before = {r.track_id for r in service.radio(seed, 20, exclude=[seed])}
    gone = _ids(store, "Jazz Album 1")
    assert set(gone) & before                       # the album was on the station
    # One album deleted, another's folder renamed (its tracks may take new ids).
    shutil.rmtree(music / "Jazz Artist 1")
    (music / "Jazz Artist 2" / "Jazz Album 2").rename(music / "Jazz Artist 2" / "Jazz Album 2 (2019)")
    Scanner(store).scan([str(music)])
    playable = {r["id"] for r in store.tracks() if not r["missing"] and not r["last_error"]}
    got = {r.track_id for r in service.radio(seed, 20, exclude=[seed])}
    got |= {r.track_id for r in service.up_next([seed], 20)}
    got |= {r.track_id for row in service.discover(6).values() for r in row}
    assert got and got <= playable and not set(gone) & got
    renamed = _ids(store, "Jazz Album 2")
    station = [r.track_id for r in service.radio(renamed[0], 8, exclude=[renamed[0]])]
    assert len(station) == 8 and set(station) <= playable


def test_a_call_that_waited_for_a_catalogue_of_the_library_as_it_is_now_builds_no_other(store, trained, monkeypatch):
    # A scan writes while Radio waits for the lock and Up next builds the catalogue: Radio
    # then finds it made from the library as it is now, and does not build it again (a few
    # seconds of a large library's, for every song ended during a scan).
    import threading

    service, music = trained
    read, stamp, here = threading.Event(), store.library_stamp, threading.current_thread()

    def noted():
        if threading.current_thread() is not here:
            read.set()                        # (the other call has read it)
        return stamp()

    _album(music / "New Jazz Band" / "New Record", "New Jazz Band", "New Record", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])         # the scan writes a first album
    with service._lock:
        monkeypatch.setattr(store, "library_stamp", noted)
        other = threading.Thread(target=service.recommender)
        other.start()
        assert read.wait(30)                  # Radio read the library with it, and waits
        _album(music / "Second Band" / "Second Record", "Second Band", "Second Record", "Rock", freq=700.0)
        Scanner(store).scan([str(music)])     # then a second
        builds = service._builds
        service.recommender()                 # Up next builds from the library with both
        assert service._builds == builds + 1
    other.join(30)
    assert not other.is_alive()
    assert service._builds == builds + 1
    assert len(service.radio(_ids(store, "Second Record")[0], 4)) == 4


def test_a_call_that_waited_takes_a_catalogue_begun_after_it_asked_though_the_scan_wrote_during_it(
        store, trained, monkeypatch):
    # Radio waits for the lock while Up next builds the catalogue, and the scan writes once Up
    # next has read the library: the catalogue Radio gets was read after Radio asked, so Radio
    # takes it. Had it built again, each call queued behind another during a long scan (one
    # that writes every second) would wait for a build of its own.
    import threading

    from player import recommender_service

    service, music = trained
    read, stamp, here = threading.Event(), store.library_stamp, threading.current_thread()
    build = recommender_service.build_catalog

    def noted():
        if threading.current_thread() is not here:
            read.set()                        # (the other call has read it)
        return stamp()

    def scan_writes_meanwhile(*args, **kwargs):
        got = build(*args, **kwargs)
        if threading.current_thread() is here:
            _album(music / "Second Band" / "Second Record", "Second Band", "Second Record", "Rock", freq=700.0)
            Scanner(store).scan([str(music)])
        return got

    _album(music / "New Jazz Band" / "New Record", "New Jazz Band", "New Record", "Jazz", freq=900.0)
    Scanner(store).scan([str(music)])
    with service._lock:
        monkeypatch.setattr(store, "library_stamp", noted)
        other = threading.Thread(target=service.recommender)
        other.start()
        assert read.wait(30)                  # Radio read the library with the first album, and waits
        monkeypatch.setattr(recommender_service, "build_catalog", scan_writes_meanwhile)
        builds = service._builds
        service.recommender()                 # Up next builds; the second album comes meanwhile
        monkeypatch.setattr(recommender_service, "build_catalog", build)
        assert service._builds == builds + 1
    other.join(30)
    assert not other.is_alive()
    assert service._builds == builds + 1
    assert _ids(store, "New Record")[0] in service._rec.catalog.track_ids
    # The next call finds the second album and builds for it.
    assert len(service.radio(_ids(store, "Second Record")[0], 4)) == 4
    assert service._builds == builds + 2
