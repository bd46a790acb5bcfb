"""A share or disk mounted inside a library folder (the library is /music, a share is mounted at
/music/nas): a scan while it is not connected finds its mount point there but empty. Its songs
are not deleted: they keep their plays and stay themselves, while a folder the person emptied
or removed loses its songs as any deleted file does.

The mount is real: a memory file system mounted in a mount namespace of the scan's own (Linux's
``unshare``), which is gone, as a share unmounted, once that scan ends."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from player.library.scanner import Scanner
from player.ui.library_tasks import _unreadable_notes
from tests.audiogen import write_track

ROOT = Path(__file__).resolve().parents[3]


def _unshare() -> str:
    """``unshare``, where it may mount a file system of its own here; the test is skipped elsewhere."""
    unshare = shutil.which("unshare")
    if sys.platform != "linux" or unshare is None:
        pytest.skip("mounting a file system needs Linux's unshare")
    probe = subprocess.run([unshare, "-rm", "sh", "-c", "mount -t tmpfs segue-probe /mnt"], capture_output=True,
                           timeout=60)
    if probe.returncode:
        pytest.skip(f"this machine lets no mount namespace be made: {probe.stderr.decode(errors='replace')}")
    return unshare


def _scan_while_mounted(unshare: str, mount_point: Path, songs: list[Path]) -> str:
    """``segue scan`` of the library with a file system mounted at ``mount_point`` holding copies of
    ``songs`` (their times kept); unmounted when the scan ends. What it said."""
    script = " && ".join([f"mount -t tmpfs segue-test {shlex.quote(str(mount_point))}",
                          *(f"cp -p {shlex.quote(str(s))} {shlex.quote(str(mount_point))}/" for s in songs),
                          f"{shlex.quote(sys.executable)} -m player scan"])
    done = subprocess.run([unshare, "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def music(tmp_path):
    """A library folder with a song of its own and an empty folder to mount a share on, and two
    songs for the share, made apart."""
    root = tmp_path / "music"
    write_track(root / "Local", "here", tags={"title": "Here", "artist": "Local Band"})
    (root / "nas").mkdir()
    share = [write_track(tmp_path / "made", f"s{i}", seconds=1.0 + i * 0.5, freq=300.0 + 50 * i,
                         tags={"title": f"Shared {i}", "artist": "Share Band"}) for i in range(2)]
    return root, share


def test_songs_on_a_share_mounted_inside_the_library_keep_their_history_while_it_is_not_connected(store, music):
    root, share = music
    unshare = _unshare()
    store.add_folder(str(root))
    _scan_while_mounted(unshare, root / "nas", share)
    shared = {t["id"]: t["path"] for t in store.tracks() if t["artist"] == "Share Band"}
    assert sorted(shared.values()) == [str(root / "nas" / "s0.flac"), str(root / "nas" / "s1.flac")]
    played = next(iter(shared))
    store.end_play(store.start_play(played), "finished", 1000)

    # The share is not connected now: /music/nas is there, empty, beside the song of /music.
    result = Scanner(store).scan()
    assert result.missing == 0
    assert [folder for folder, _ in result.unreadable_folders] == [str(root / "nas")]
    assert _unreadable_notes(result.unreadable_folders) == [
        f"Empty, its songs kept: {root / 'nas'} (a disk or share not connected? Delete the empty folder if the "
        "songs are gone for good)"]
    assert {t["id"] for t in store.tracks() if t["artist"] == "Share Band"} == set(shared)
    assert all(store.track(i)["missing"] == 0 for i in shared)
    # (kept, but away as a disk's not connected: greyed, said where they are, never offered)
    assert store.away_tracks() == {i: str(root / "nas") for i in shared}
    assert store.left_out_ids() >= set(shared)
    away_at = store.away_stamp()
    said = subprocess.run([sys.executable, "-m", "player", "scan"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert f"  empty, its songs kept: {root / 'nas'} (a disk or share not connected?" in said.stdout, said.stdout
    assert "cannot read folder" not in said.stdout
    assert store.away_stamp() == away_at                    # (still away: nothing for readers to read again)

    # Connected again: the same tracks, with their plays, no second copy of either, and said.
    said = _scan_while_mounted(unshare, root / "nas", share)
    assert f"  connected again: {root / 'nas'}\n" in said, said
    assert {t["id"]: t["path"] for t in store.tracks() if t["artist"] == "Share Band"} == shared
    assert [p["track_id"] for p in store.plays()] == [played]
    assert store.away_tracks() == {} and store.away_stamp() != away_at


def test_songs_of_a_mount_point_the_person_removed_are_missing_and_no_longer_reported(store, music):
    root, share = music
    unshare = _unshare()
    store.add_folder(str(root))
    _scan_while_mounted(unshare, root / "nas", share)
    assert Scanner(store).scan().unreadable_folders      # not connected: kept

    assert len(store.away_tracks()) == 2
    (root / "nas").rmdir()                                  # the person took the share away for good
    result = Scanner(store).scan()
    assert result.unreadable_folders == []
    assert result.missing == 2
    assert store.away_tracks() == {}
    assert Scanner(store).scan().unreadable_folders == []


def test_an_album_folder_the_person_emptied_loses_its_songs(store, music):
    root, share = music
    album = root / "Album"
    album.mkdir()
    for song in share:
        shutil.copy2(song, album)
    Scanner(store).scan([str(root)])
    for song in album.iterdir():
        song.unlink()                                       # deleted in a file manager, the folder left
    result = Scanner(store).scan()
    assert result.unreadable_folders == []
    assert result.missing == 2


def test_the_songs_below_a_mount_point_away_are_away_and_no_others(store):
    # (by name: "/music/nas" away is not "/music/nas2", nor "/music/nas.old")
    store.add_folder("/music")
    folder_id = store.folders()[0]["id"]
    ids = {}
    for path in ["/music/nas/a.flac", "/music/nas/deep/b.flac", "/music/nas2/c.flac", "/music/nas.old/d.flac",
                 "/music/e.flac"]:
        store.upsert_tracks([{"path": path, "folder_id": folder_id, "size": 1, "mtime_ns": 1, "title": path}])
        ids[path] = store.track_by_path(path)["id"]
    store.note_mount_points(folder_id, ["/music/nas", "/music/nas2"])
    assert store.away_tracks() == {}
    store.note_mount_points(folder_id, [], away=["/music/nas"])
    assert store.away_tracks() == {ids["/music/nas/a.flac"]: "/music/nas", ids["/music/nas/deep/b.flac"]: "/music/nas"}
    store.note_mount_points(folder_id, ["/music/nas"])      # mounted again
    assert store.away_tracks() == {}


def test_a_playlist_says_which_of_its_songs_are_on_a_share_not_connected(store, music):
    # (the same songs away as the library shows greyed: the playlist read its own, a library
    # folder's only, and counted those of a share inside one as there)
    root, share = music
    unshare = _unshare()
    store.add_folder(str(root))
    _scan_while_mounted(unshare, root / "nas", share)
    here = store.track_by_path(str(root / "Local" / "here.flac"))["id"]
    shared = [store.track_by_path(str(root / "nas" / f"s{i}.flac"))["id"] for i in range(2)]
    pid = store.create_playlist("Road trip", [shared[0], here, shared[1]])
    Scanner(store).scan()                                   # the share not connected
    assert set(store.away_tracks()) == set(shared)

    assert [(r["entries"], r["playable"], r["away"]) for r in store.playlists()] == [(3, 3, 2)]
    assert [(e["track_id"], e["playable"], e["away"]) for e in store.playlist_entries(pid)] == [
        (shared[0], 1, str(root / "nas")), (here, 1, None), (shared[1], 1, str(root / "nas"))]


def _segue(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "player", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_segue_library_and_play_say_which_songs_are_on_a_share_not_connected(store, music):
    # `segue library` said nothing of them, and `segue play` tried each in turn: "file not
    # found", where the window leaves them out and says where they are.
    root, share = music
    unshare = _unshare()
    store.add_folder(str(root))
    _scan_while_mounted(unshare, root / "nas", share)
    Scanner(store).scan()                                   # the share not connected
    assert len(store.away_tracks()) == 2

    said = _segue("library")
    assert said.returncode == 0, said.stderr
    assert "away:      2 (on a disk or share not connected at the last scan: kept, they play once it is back)" \
        in said.stdout, said.stdout
    assert f"  {root / 'nas'}: 2 tracks" in said.stdout

    said = _segue("play", "--null", "--seconds", "10", "Shared")
    assert said.returncode == 1
    assert "playing:" not in said.stdout and "file not found" not in said.stderr, said.stderr
    assert f"segue play: nothing to play: the 2 tracks found are on {root / 'nas'}, not connected now" \
        in said.stderr, said.stderr
    said = _segue("play", "--null", "--seconds", "10", "Band")     # the song here, and the two away
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines() == ["playing: Local Band - Here"]
    assert f"segue play: 2 tracks not played: on {root / 'nas'}, not connected now" in said.stderr, said.stderr
    # Its path given: said where it is, not taken for a mistyped name or a search.
    said = _segue("play", "--null", "--seconds", "10", str(root / "nas" / "s0.flac"))
    assert said.returncode == 1
    assert f"segue play: nothing to play: {root / 'nas' / 's0.flac'} is on {root / 'nas'}, not connected now" \
        in said.stderr, said.stderr
    said = _segue("play", "--null", "--seconds", "10", str(root / "nas" / "s1.flac"), str(root / "Local" / "here.flac"))
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines() == ["playing: Local Band - Here"]
    assert f"cannot play {root / 'nas' / 's1.flac'}: on {root / 'nas'}, not connected now" in said.stderr, said.stderr
    # A playlist file naming one of them plays the others, as the window's playlist does.
    (root.parent / "trip.m3u").write_text(f"{root / 'nas' / 's0.flac'}\n{root / 'Local' / 'here.flac'}\n")
    said = _segue("play", "--null", "--seconds", "10", str(root.parent / "trip.m3u"))
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines() == ["playing: Local Band - Here"]
    assert f"segue play: 1 track not played: on {root / 'nas'}, not connected now" in said.stderr, said.stderr
