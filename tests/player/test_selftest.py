"""``segue --self-test``: passes on a complete installation, fails loudly on a broken one."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from player import selftest

ROOT = Path(__file__).resolve().parents[2]


def _run(**kw) -> tuple[int, str]:
    out = io.StringIO()
    rc = selftest.run_selftest(out=out, **kw)
    return rc, out.getvalue()


def _segue(*args, home):
    env = {**os.environ, "SEGUE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "player", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.mark.slow  # the whole app in a subprocess: analysis, training, window (13-25 s here)
def test_segue_self_test_passes_every_step_and_leaves_the_real_library_alone(segue_home):
    out = _segue("--self-test", home=segue_home)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "frozen: no" in lines[0] and len(lines) == len(selftest.STEPS) + 2
    for (name, _, _), line in zip(selftest.STEPS, lines[1:-1]):
        assert line.split()[:2] == [name, "ok"], line
    assert lines[-1].endswith("all passed")
    text = out.stdout
    assert "3 tracks, tags and durations read" in text and "radio from 'Low Hum'" in text
    assert "musicnn" in text and "priors/" in text
    assert not (segue_home / "library.db").exists(), "the self-test used its own data folder"
    db = Path(re.search(r"schema v\d+ at (\S+library\.db)", text).group(1))
    assert db.parents[1].name.startswith("segue-selftest-")
    assert not db.parents[1].exists(), "the temporary folder is removed"
    # The learner process leaves nothing for the window's process to clean up after it (its
    # decoder pool's semaphores): the window's exit said so in a warning.
    assert "leaked semaphore" not in out.stderr, out.stderr[-2000:]


def test_in_process_run_restores_segue_home(segue_home):
    rc, text = _run(only=["store"])
    assert rc == 0, text
    assert os.environ["SEGUE_HOME"] == str(segue_home)


def test_the_run_leaves_the_persons_log_as_it_was_but_for_one_line(tmp_path):
    import logging

    from player.log import LOG_FORMAT

    theirs = logging.FileHandler(tmp_path / "segue.log", encoding="utf-8")
    theirs.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(theirs)
    try:
        rc, text = _run(keep=True, only=["store"])
    finally:
        root.removeHandler(theirs)
        theirs.close()
        root.setLevel(level)
    assert rc == 0, text
    lines = (tmp_path / "segue.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "self-test ran: 1/1 steps ok; all passed" in lines[0], lines
    kept = Path(re.search(r"files kept in (\S+)\)", text).group(1))
    try:
        # Its own lines went to its own folder, with it.
        assert "migrated" in (kept / "home" / "logs" / "segue.log").read_text(encoding="utf-8")
    finally:
        shutil.rmtree(kept)


def test_keep_leaves_the_files_for_inspection():
    rc, text = _run(keep=True, only=["scan"])
    assert rc == 0, text
    assert [ln.split()[0] for ln in text.splitlines()[1:-1]] == ["store", "clips", "scan"]
    kept = Path(text.rsplit("files kept in ", 1)[1].rstrip(")\n"))
    try:
        assert (kept / "home" / "library.db").is_file()
        assert sorted(p.suffix for p in (kept / "music").iterdir()) == [".flac", ".mp3", ".ogg"]
    finally:
        shutil.rmtree(kept)


def test_a_corrupted_shipped_model_fails_the_run(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    manifest = next(models.glob("*/manifest.json"))
    target = manifest.parent / json.loads(manifest.read_text())["file"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    monkeypatch.setenv("SEGUE_MODELS", str(models))
    rc, text = _run(only=["models", "analyse"])
    assert rc == 1
    line = next(ln for ln in text.splitlines() if ln.startswith("models "))
    assert "FAILED" in line and "sha256" in line
    assert "not run: needs models" in text
    assert text.splitlines()[-1].endswith("FAILED: models, analyse")


def test_a_missing_model_file_fails_the_run(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    manifest = next(models.glob("*/manifest.json"))
    (manifest.parent / json.loads(manifest.read_text())["file"]).unlink()
    monkeypatch.setenv("SEGUE_MODELS", str(models))
    rc, text = _run(only=["models"])
    assert rc == 1 and "is listed in its manifest but missing" in text


def test_a_model_file_without_a_manifest_fails_the_run(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    np.savez(models / "musicnn" / "extra.npz", w=np.zeros(3))
    monkeypatch.setenv("SEGUE_MODELS", str(models))
    rc, text = _run(only=["models"])
    assert rc == 1 and "model files without a manifest: ['musicnn/extra.npz']" in text


def test_only_pulls_in_the_steps_it_needs():
    names = [name for name, _, _ in selftest.select_steps(["radio"])]
    assert names == ["store", "clips", "scan", "plays", "radio"]
    assert len(selftest.select_steps(None)) == len(selftest.STEPS)
    with pytest.raises(ValueError, match="unknown self-test steps"):
        selftest.select_steps(["nope"])


def test_a_failed_step_fails_the_steps_that_need_it(tmp_path):
    def broken(ctx):
        raise OSError("disk full")

    def fine(ctx):
        return "fine"

    steps = [("a", broken, ()), ("b", fine, ("a",)), ("c", fine, ())]
    out = io.StringIO()
    results = selftest.run_steps(steps, selftest.Context(tmp_path), out)
    assert [(r.name, r.ok) for r in results] == [("a", False), ("b", False), ("c", True)]
    assert "OSError: disk full" in results[0].detail
    assert results[1].detail == "not run: needs a"


def test_clip_is_audible_stereo_and_checks_its_arguments():
    y = selftest.make_clip((220.0, 330.0), seconds=1.0, sr=8000)
    assert y.shape == (8000, 2) and y.dtype == np.float32
    assert 0.05 < float(np.sqrt(np.mean(y ** 2))) < 0.5 and np.abs(y).max() <= 1
    with pytest.raises(ValueError):
        selftest.make_clip((), seconds=1.0)
    with pytest.raises(ValueError):
        selftest.make_clip((440.0,), seconds=0)


def test_subcommand_runs_a_subset_and_rejects_unknown_steps(segue_home):
    out = _segue("self-test", "--only", "decode", home=segue_home)
    assert out.returncode == 0 and "decode" in out.stdout and "radio" not in out.stdout, out.stdout
    out = _segue("self-test", "--only", "bogus", home=segue_home)
    assert out.returncode == 2 and "unknown self-test steps" in out.stderr


def test_the_self_test_says_whether_ffmpeg_is_found(tmp_path, monkeypatch):
    """The packaged app comes without ffmpeg: the self-test now says whether it is found, and
    what does not play where it is not (which still passes: the app runs without it). An
    ffmpeg named that does not run fails the step."""
    from tests.audiogen import path_without_ffmpeg

    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    if shutil.which("ffmpeg"):
        rc, text = _run(only=["ffmpeg"])
        assert rc == 0 and re.search(r"^ffmpeg +ok .*ffmpeg version \S+ at " + re.escape(shutil.which("ffmpeg")),
                                     text, re.M), text
    monkeypatch.setenv("PATH", path_without_ffmpeg(tmp_path / "bin"))
    rc, text = _run(only=["ffmpeg"])
    assert rc == 0 and re.search(r"^ffmpeg +ok .*not found: m4a/AAC, ALAC, WMA", text, re.M), text
    monkeypatch.setenv("SEGUE_FFMPEG", str(tmp_path / "not-a-program"))
    (tmp_path / "not-a-program").write_text("nothing to run")
    rc, text = _run(only=["ffmpeg"])
    assert rc == 1 and "does not run" in text, text


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ffmpeg") is None,
                    reason="LD_LIBRARY_PATH is how a bundle runs on Linux; ffmpeg is needed")
def test_the_bundles_self_test_runs_the_systems_ffmpeg(tmp_path, monkeypatch):
    # The bundle runs with its own folder first on LD_LIBRARY_PATH: ffmpeg started with it
    # loaded the bundle's libraries (here empty files that cannot load), and the self-test of
    # the packaged app said the person's working ffmpeg "does not run (exit 127)".
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name in ("libz.so.1", "liblzma.so.5", "libbz2.so.1.0", "libstdc++.so.6", "libgcc_s.so.1"):
        (bundle / name).write_bytes(b"")
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(bundle))
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    rc, text = _run(only=["ffmpeg"])
    assert rc == 0 and re.search(r"^ffmpeg +ok .*ffmpeg version", text, re.M), text


def test_the_ui_step_builds_the_listening_tab():
    """The Listening tab's charts import pyqtgraph, and it the Qt modules it draws with, only when
    the tab is first opened: a bundle that left one out passed every other step."""
    rc, text = _run(only=["ui"])
    assert rc == 0 and re.search(r"^ui +ok .*Listening tab built \(Your listening, Segue's report card, "
                                 r"Sound map\)", text, re.M), text
    # The window's own collector, on the GUI thread, is for the window's process: the rest of
    # this one (a test session, a command) has Python's back.
    assert gc.isenabled()


def test_with_no_console_the_self_test_writes_its_report_to_a_file(tmp_path):
    """Segue.exe (windowed, on Windows) has no stdout; `Segue.exe --self-test` writes its report
    to a file in the temporary folder, where it had gone to os.devnull."""
    code = ("import sys; sys.stdout = sys.stderr = None\n"
            "from player.cli import main\n"
            "rc = main(['self-test', '--only', 'store']); sys.__stdout__.write(f'exit {rc}')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240,
                         env={**os.environ, "TMPDIR": str(tmp_path), "TEMP": str(tmp_path), "TMP": str(tmp_path),
                              "SEGUE_HOME": str(tmp_path / "home")})
    assert out.stdout == "exit 0", (out.stdout, out.stderr[-2000:])
    report = (tmp_path / "segue-self-test.txt").read_text(encoding="utf-8")
    assert re.search(r"^store +ok", report, re.M), report
