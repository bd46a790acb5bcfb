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
