"""A share mounted inside a library folder (/music/nas beside the music kept in /music) that is
connected, or taken off, while the window is open: its songs come back, or go away, by
themselves, within the watch's usual delay, and the status bar says so.

The mounts are real: the window's test runs again in a mount namespace of its own (Linux's
``unshare``), where it may mount a memory file system without being root; it is skipped where
no such namespace can be had."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from player.library.scanner import Scanner
from tests.audiogen import write_track
from tests.player.library.test_mount_points import _unshare
from tests.player.ui.test_away_folders import _greyed

ROOT = Path(__file__).resolve().parents[3]
#: set in the test run again inside the mount namespace
INSIDE = "SEGUE_TEST_IN_MOUNT_NAMESPACE"


def _mount(share: Path, songs: list[Path]) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "segue-share", str(share)], check=True)
    (share / "Album").mkdir()
    for song in songs:
        shutil.copy2(song, share / "Album")         # (their times kept: the same files as before)


def _unmount(share: Path) -> None:
    subprocess.run(["umount", str(share)], check=True)


def test_a_share_inside_a_library_folder_connected_or_taken_off_while_the_window_is_open():
    unshare = _unshare()
    inner = f"{Path(__file__).relative_to(ROOT)}::test_inside_a_mount_namespace_the_share_comes_and_goes"
    done = subprocess.run([unshare, "-rm", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", inner],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, INSIDE: "1", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and " passed" in done.stdout, done.stdout[-6000:] + done.stderr[-3000:]


def test_inside_a_mount_namespace_the_share_comes_and_goes(qtbot, scanned, music, make_window, tmp_path):
    if not os.environ.get(INSIDE):
        pytest.skip("run by the test above, inside a mount namespace")
    share = music / "nas"
    share.mkdir()
    songs = [write_track(tmp_path / "made", f"s{i}", seconds=1.0 + i * 0.5, freq=300.0 + 50 * i,
                         tags={"title": f"Shared {i}", "artist": "Share Band"}) for i in range(2)]
    _mount(share, songs)
    Scanner(scanned).scan()
    shared = {t["id"] for t in scanned.tracks() if t["artist"] == "Share Band"}
    assert len(shared) == 2
    _unmount(share)
    Scanner(scanned).scan()
    assert set(scanned.away_tracks()) == shared             # not connected: kept, away

    window = make_window(scanned, with_player=False, follow=True)
    qtbot.waitUntil(lambda: window._scan is None and str(music) in window.folder_watch.watched(), timeout=20000)
    window.folder_watch.quiet_ms = window.folder_watch.look_again_ms = 200
    assert _greyed(window) == shared

    # Connected while the window is open: nothing watched changes (a mount hides the folder it
    # lands on from the watch on it), and it is seen all the same.
    _mount(share, songs)
    qtbot.waitUntil(lambda: not _greyed(window), timeout=20000)
    assert scanned.away_tracks() == {}
    assert window.statusBar().currentMessage() == f"Connected again: {share} (its songs play, and are suggested, again)"
    assert {t["id"] for t in scanned.tracks() if t["artist"] == "Share Band"} == shared     # the same tracks

    # Taken off again (once the share's own folders are watched): its songs are away again, not missing.
    qtbot.waitUntil(lambda: str(share / "Album") in window.folder_watch.watched(), timeout=20000)
    _unmount(share)
    qtbot.waitUntil(lambda: _greyed(window) == shared, timeout=20000)
    assert set(scanned.away_tracks()) == shared
    assert all(scanned.track(i)["missing"] == 0 for i in shared)
    assert window.statusBar().currentMessage() == (f"Not there or empty, left as they were: {share} (a disk or share "
                                                   "not connected?)")
