"""A folder that can be listed but not entered: read permission without execute, as
``chmod -R 644 ~/Music`` leaves every folder below it. Its files' names are listed, yet
none of them can be opened or even looked at (stat fails with "Permission denied")."""

from __future__ import annotations

import os
import sys

import pytest

from tests import unprivileged
from tests.hostile import generate
from tests.hostile.conftest import segue

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions"),
    pytest.mark.skipif(unprivileged.prefix() is None, reason=unprivileged.SKIP_REASON),
]


def _library(root):
    for folder in ("open", "no-execute"):
        for i in range(2):
            generate.vorbis_tags(generate.write(root / folder / f"{i}.flac", freq=300.0 + 40 * i),
                                 title=f"{folder} {i}")
    return root / "no-execute"


def _tracks(home):
    from player.store import Store

    store = Store(home / "library.db")
    try:
        return {t["path"]: t["missing"] for t in store.tracks(include_missing=True)}
    finally:
        store.close()


def test_a_folder_that_lists_but_cannot_be_entered_keeps_its_tracks_and_is_named(tmp_path):
    root, home = tmp_path / "music", tmp_path / "segue-data"
    locked = _library(root)
    assert segue("scan", root, home=home).returncode == 0
    assert len(_tracks(home)) == 4
    home.chmod(0o777)                  # (the scan below runs without root's power over permissions)
    for p in (home, *home.iterdir()):
        p.chmod(0o777 if p.is_dir() else 0o666)
    locked.chmod(0o644)
    try:
        out = segue("scan", home=home, prefix=unprivileged.prefix())
    finally:
        locked.chmod(0o755)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    # Its songs were not deleted: the scan could not look, and says so.
    assert _tracks(home) == {str(locked / "0.flac"): 0, str(locked / "1.flac"): 0,
                             str(root / "open" / "0.flac"): 0, str(root / "open" / "1.flac"): 0}
    assert f"cannot read folder {locked}" in out.stdout, out.stdout


def test_a_first_scan_names_the_folder_it_could_not_enter(tmp_path):
    root, home = tmp_path / "music", tmp_path / "segue-data"
    locked = _library(root)
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    locked.chmod(0o644)
    try:
        out = segue("scan", root, home=home, prefix=unprivileged.prefix())
    finally:
        locked.chmod(0o755)
    assert out.returncode == 0, out.stderr[-3000:]
    assert sorted(_tracks(home)) == [str(root / "open" / "0.flac"), str(root / "open" / "1.flac")]
    # Not left out without a word: the person learns which folder to fix.
    assert f"cannot read folder {locked}" in out.stdout, out.stdout
    assert os.access(locked / "0.flac", os.R_OK)


def _open_to_all(home):
    home.chmod(0o777)                  # (the scans below run without root's power over permissions)
    for p in (home, *home.iterdir()):
        p.chmod(0o777 if p.is_dir() else 0o666)


def test_once_the_folder_can_be_entered_again_its_tracks_are_there_once(tmp_path):
    root, home = tmp_path / "music", tmp_path / "segue-data"
    locked = _library(root)
    inner = locked / "inner"
    generate.vorbis_tags(generate.write(inner / "2.flac", freq=500.0), title="inner 2")
    assert segue("scan", root, home=home).returncode == 0
    _open_to_all(home)
    locked.chmod(0o644)                # (its subfolder cannot be reached either)
    try:
        out = segue("scan", home=home, prefix=unprivileged.prefix())
    finally:
        locked.chmod(0o755)
    assert out.returncode == 0 and f"cannot read folder {locked}" in out.stdout, out.stdout + out.stderr[-3000:]
    assert all(missing == 0 for missing in _tracks(home).values())
    out = segue("scan", home=home, prefix=unprivileged.prefix())
    assert out.returncode == 0 and "cannot read folder" not in out.stdout, out.stdout + out.stderr[-3000:]
    assert _tracks(home) == {str(locked / "0.flac"): 0, str(locked / "1.flac"): 0, str(inner / "2.flac"): 0,
                             str(root / "open" / "0.flac"): 0, str(root / "open" / "1.flac"): 0}


def test_a_link_into_a_folder_that_cannot_be_entered_keeps_only_its_own_track(tmp_path):
    # The link's own folder can be entered: the songs deleted from it are gone, the link's
    # song is not (its target cannot be looked at), and the person hears where it leads.
    root, home = tmp_path / "music", tmp_path / "segue-data"
    locked = _library(tmp_path / "elsewhere")
    album = root / "open"
    _library(root)
    (album / "linked.flac").symlink_to(locked / "0.flac")
    assert segue("scan", root, home=home).returncode == 0
    assert len(_tracks(home)) == 5
    _open_to_all(home)
    (album / "1.flac").unlink()
    locked.chmod(0o644)
    try:
        out = segue("scan", home=home, prefix=unprivileged.prefix())
    finally:
        locked.chmod(0o755)
    assert out.returncode == 0, out.stderr[-3000:]
    tracks = _tracks(home)
    assert tracks[str(album / "linked.flac")] == 0
    assert tracks[str(album / "1.flac")] == 1, "a song deleted beside the link was kept"
    assert str(locked) in out.stdout, out.stdout
