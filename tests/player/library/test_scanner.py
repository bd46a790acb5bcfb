import os
import shutil

import pytest

from player.library.scanner import Scanner
from tests.audiogen import FORMATS, write_tags, write_track


def _bump_mtime(path, seconds=5):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "music"
    for i, fmt in enumerate(sorted(FORMATS)):
        write_track(root / "Artist" / "Album", f"{i:02d} song {fmt}", fmt=fmt, seconds=1.0 + i * 0.25,
                    tags={"title": f"Song {fmt}", "artist": "Artist", "album": "Album",
                          "tracknumber": str(i + 1), "genre": "Rock"})
    broken = root / "broken"
    broken.mkdir()
    (broken / "zero.mp3").write_bytes(b"")
    (broken / "garbage.mp3").write_bytes(os.urandom(256) * 4)
    good = write_track(broken, "truncated", fmt="flac", tags={"title": "T"})
    good.write_bytes(good.read_bytes()[:40])
    (root / "cover.jpg").write_bytes(b"\xff\xd8not audio")  # ignored: not an audio extension
    return root


def test_first_scan_reads_every_format_and_records_broken_files(store, library):
    progress = []
    result = Scanner(store, progress=progress.append).scan([str(library)])
    assert result.read == len(FORMATS)
    assert result.errors == 3
    assert {os.path.basename(p) for p, _ in result.error_paths} == {"zero.mp3", "garbage.mp3", "truncated.flac"}
    assert progress[-1].finished and progress[-1].done == len(FORMATS) + 3
    tracks = store.tracks()
    assert sorted(t["codec"] for t in tracks) == sorted(["aiff", "flac", "mp3", "opus", "vorbis", "wav"])
    assert [t["track_no"] for t in tracks] == list(range(1, len(FORMATS) + 1))
    errors = store.track_errors()
    assert len(errors) == 3 and all(e["last_error"] for e in errors)
    assert store.library_counts()["tracks"] == len(FORMATS)


def test_rescan_of_unchanged_library_reopens_nothing(store, library):
    Scanner(store).scan([str(library)])
    before = {t["path"]: tuple(t) for t in store.tracks(include_errors=True)}
    result = Scanner(store).scan()
    assert result.read == 0 and result.errors == 0
    assert result.unchanged == len(FORMATS) + 3  # broken files are not retried either
    after = {t["path"]: tuple(t) for t in store.tracks(include_errors=True)}
    assert before == after


def test_edited_tag_is_picked_up(store, library):
    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.flac"))
    write_tags(path, title="Renamed")
    _bump_mtime(path)
    result = Scanner(store).scan()
    assert result.read == 1
    assert store.track_by_path(str(path))["title"] == "Renamed"


def test_fixed_broken_file_is_read_again(store, library):
    Scanner(store).scan([str(library)])
    broken = library / "broken" / "zero.mp3"
    write_track(library / "broken", "zero", fmt="mp3", tags={"title": "Fixed", "artist": "A"})
    _bump_mtime(broken)
    Scanner(store).scan()
    row = store.track_by_path(str(broken))
    assert row["last_error"] is None and row["title"] == "Fixed"


def test_deleted_file_is_flagged_missing_keeps_plays_and_comes_back(store, library, tmp_path):
    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.ogg"))
    tid = store.track_by_path(str(path))["id"]
    store.end_play(store.start_play(tid), "finished", 1000)
    saved = tmp_path / "saved.ogg"
    shutil.move(path, saved)
    result = Scanner(store).scan()
    assert result.missing == 1
    assert store.track(tid)["missing"] == 1
    assert tid not in {t["id"] for t in store.tracks()}
    shutil.move(saved, path)
    Scanner(store).scan()
    assert store.track(tid)["missing"] == 0
    assert store.track_by_path(str(path))["id"] == tid
    assert [p["track_id"] for p in store.plays()] == [tid]


def test_moved_file_keeps_its_history(store, library):
    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.mp3"))
    tid = store.track_by_path(str(path))["id"]
    store.end_play(store.start_play(tid), "finished", 1000)
    new_path = library / "Elsewhere" / "moved.mp3"
    new_path.parent.mkdir()
    shutil.move(path, new_path)
    result = Scanner(store).scan()
    assert result.moved == 1
    row = store.track_by_path(str(new_path))
    assert row["id"] == tid and row["missing"] == 0
    assert store.track_by_path(str(path)) is None
    assert [p["track_id"] for p in store.plays()] == [tid]


def test_different_song_with_same_name_is_not_taken_for_a_move(store, tmp_path):
    root = tmp_path / "m"
    a = write_track(root, "a", fmt="flac", seconds=1.0, tags={"title": "Intro", "artist": "X"})
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(a))["id"]
    a.unlink()
    b = write_track(root, "b", fmt="flac", seconds=3.0, tags={"title": "Intro", "artist": "X"})
    result = Scanner(store).scan()
    assert result.moved == 0
    assert store.track_by_path(str(b))["id"] != old_id


def test_cancel_stops_the_scan(store, library):
    scanner = Scanner(store, progress=lambda p: scanner.cancel(), progress_interval_s=0)
    from player.library.scanner import ScanCancelled

    with pytest.raises(ScanCancelled):
        scanner.scan([str(library)])


def test_symlinked_folders_are_followed_once_and_loops_do_not_hang(store, tmp_path):
    outside = tmp_path / "other-disk"
    write_track(outside, "linked", fmt="flac", tags={"title": "Linked", "artist": "L"})
    root = tmp_path / "music"
    write_track(root, "local", fmt="flac", tags={"title": "Local", "artist": "L"})
    (root / "from-other-disk").symlink_to(outside, target_is_directory=True)
    (outside / "loop").symlink_to(root, target_is_directory=True)
    result = Scanner(store).scan([str(root)])
    titles = sorted(t["title"] for t in store.tracks())
    assert titles == ["Linked", "Local"]
    assert result.errors == 0


def test_hidden_files_and_resource_forks_are_ignored(store, tmp_path):
    root = tmp_path / "music"
    write_track(root, "song", fmt="mp3", tags={"title": "Song", "artist": "A"})
    (root / "._song.mp3").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    write_track(root / ".trash", "deleted", fmt="mp3")
    result = Scanner(store).scan([str(root)])
    assert result.seen == 1 and result.errors == 0


def test_unavailable_folder_leaves_its_tracks_alone(store, tmp_path):
    root = tmp_path / "usb-disk"
    write_track(root, "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    Scanner(store).scan([str(root)])
    shutil.move(root, tmp_path / "unplugged")
    result = Scanner(store).scan()
    assert result.missing == 0
    assert [t["title"] for t in store.tracks()] == ["Song"]
