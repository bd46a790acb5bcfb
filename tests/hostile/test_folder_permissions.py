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
