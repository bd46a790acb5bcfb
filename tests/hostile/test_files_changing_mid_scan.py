"""Files that change between the scan's listing (its stat) and its read: a tagger's rewrite
caught with the file empty, a download still being written."""

from __future__ import annotations

from tests.hostile import generate


def _scan(store, root, progress=None):
    from player.library.scanner import Scanner

    return Scanner(store, progress=progress, progress_interval_s=0).scan([str(root)])


def test_a_song_emptied_between_listing_and_reading_keeps_its_plays(store, tmp_path):
    root = tmp_path / "music"
    songs = [generate.vorbis_tags(generate.write(root / f"{i:02d}.flac", seconds=1.0, freq=300.0 + 30 * i),
                                  title=f"Song {i}", artist="Artist") for i in range(4)]
    _scan(store, root)
    track = store.track_by_path(str(songs[2]))
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    generate.vorbis_tags(songs[2], comment="retagged")        # changed: read again by the next scan
    whole = songs[2].read_bytes()

    def empty_it(progress):
        if progress.total and progress.done == 1:             # listed already, not read yet
            songs[2].write_bytes(b"")

    result = _scan(store, root, empty_it)
    assert result.finished and result.missing == 0
    row = store.track_by_path(str(songs[2]))
    assert row["id"] == track["id"] and "empty file" in row["last_error"]
    assert [p["track_id"] for p in store.plays()] == [track["id"]]
    # Written in full again: the same track, its play with it.
    songs[2].write_bytes(whole)
    _scan(store, root)
    row = store.track_by_path(str(songs[2]))
    assert row["id"] == track["id"] and row["last_error"] is None and row["title"] == "Song 2"
    assert [p["track_id"] for p in store.plays()] == [track["id"]]


def test_a_download_finished_during_the_scan_is_read_whole_by_the_next(store, tmp_path):
    root = tmp_path / "music"
    for i in range(3):
        generate.write(root / f"{i:02d}.flac")
    full = generate.vorbis_tags(generate.write(tmp_path / "whole.flac", seconds=2.0), title="Downloaded")
    data = full.read_bytes()
    growing = root / "zz-download.flac"
    growing.write_bytes(data[: len(data) // 3])

    def finish(progress):
        if progress.total and progress.done == 1:
            growing.write_bytes(data)

    assert _scan(store, root, finish).finished
    assert store.track_by_path(str(growing))["size"] < len(data)     # the size it had when listed
    again = _scan(store, root)
    row = store.track_by_path(str(growing))
    assert again.read == 1 and row["size"] == len(data) and abs(row["duration"] - 2.0) < 0.01


def test_a_share_that_drops_during_the_scan_loses_no_track(store, tmp_path):
    # Retagged songs on a share, and the share drops while the scan reads them: the songs
    # not read yet were taken for deleted, marked missing, and left the queue and playlists.
    import shutil

    root = tmp_path / "nas"
    songs = [generate.vorbis_tags(generate.write(root / f"Album {i}" / "song.flac", seconds=1.0, freq=300.0 + 30 * i),
                                  title=f"Song {i}", artist="Artist") for i in range(6)]
    _scan(store, root)
    last = store.track_by_path(str(songs[5]))
    store.end_play(store.start_play(last["id"]), "finished", 1000)
    for song in songs:
        generate.vorbis_tags(song, comment="retagged")          # changed: read again by the next scan
    away = tmp_path / "unmounted"

    def drop(progress):
        if progress.total and progress.done == 2 and root.exists():
            shutil.move(root, away)

    result = _scan(store, root, drop)
    assert result.missing == 0 and result.unavailable == [str(root)]       # said, not silent
    assert store.missing_track_ids() == set()
    assert sorted(t["title"] for t in store.tracks()) == [f"Song {i}" for i in range(6)]
    assert store.away_track_ids() == {t["id"] for t in store.tracks()}
    shutil.move(away, root)                                    # the share back: read as ever
    result = _scan(store, root)
    assert result.missing == 0 and result.unavailable == [] and store.away_track_ids() == set()
    assert store.track_by_path(str(songs[5]))["id"] == last["id"]
    assert [p["track_id"] for p in store.plays()] == [last["id"]]
