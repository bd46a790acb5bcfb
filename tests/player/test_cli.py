import os
import subprocess
import sys
from pathlib import Path

from player import __version__
from tests.audiogen import write_track

ROOT = Path(__file__).resolve().parents[2]


def segue(*args, home):
    env = {**os.environ, "SEGUE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "player", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version_and_help(segue_home):
    out = segue("--version", home=segue_home)
    assert out.returncode == 0 and out.stdout.strip() == f"segue {__version__}"
    out = segue("--help", home=segue_home)
    assert out.returncode == 0
    assert "scan" in out.stdout and "library" in out.stdout and "network" in out.stdout


def test_scan_then_library_report(segue_home, tmp_path):
    music = tmp_path / "music"
    write_track(music, "one", fmt="flac", tags={"title": "One", "artist": "A"})
    write_track(music, "two", fmt="mp3", tags={"title": "Two", "artist": "A"})
    (music / "bad.mp3").write_bytes(b"nope")
    out = segue("scan", str(music), home=segue_home)
    assert out.returncode == 0, out.stderr
    assert "2 read" in out.stderr and "1 errors" in out.stderr
    assert "bad.mp3" in out.stdout
    out = segue("library", home=segue_home)
    assert out.returncode == 0, out.stderr
    assert "tracks:    2" in out.stdout and "errors:    1" in out.stdout
    assert str(music) in out.stdout
    assert (segue_home / "library.db").exists()
    assert (segue_home / "logs" / "segue.log").exists()


def test_scan_rejects_a_missing_folder(segue_home, tmp_path):
    out = segue("scan", str(tmp_path / "nowhere"), home=segue_home)
    assert out.returncode == 2 and "not a folder" in out.stderr
