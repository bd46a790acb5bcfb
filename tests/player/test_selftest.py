"""``segue --self-test``: passes on a complete installation, fails loudly on a broken one."""

from __future__ import annotations

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


def test_every_step_passes_and_leaves_the_real_library_alone(segue_home):
    rc, text = _run()
    assert rc == 0, text
    lines = text.splitlines()
    for name, _, _ in selftest.STEPS:
        line = next(ln for ln in lines if ln.startswith(name + " "))
        assert " ok " in line, line
    assert lines[-1].endswith("all passed")
    assert "3 tracks, tags and durations read" in text and "radio from 'Low Hum'" in text
    assert os.environ["SEGUE_HOME"] == str(segue_home)
    assert not (segue_home / "library.db").exists(), "the self-test used its own data folder"
    db = Path(re.search(r"schema v\d+ at (\S+library\.db)", text).group(1))
    assert db.parents[1].name.startswith("segue-selftest-")
    assert not db.parents[1].exists(), "the temporary folder is removed"


def test_keep_leaves_the_files_for_inspection():
    rc, text = _run(keep=True)
    assert rc == 0, text
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
    rc, text = _run()
    assert rc == 1
    line = next(ln for ln in text.splitlines() if ln.startswith("models "))
    assert "FAILED" in line and "sha256" in line
    assert text.splitlines()[-1].endswith("FAILED: models")


def test_a_missing_model_file_fails_the_run(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    manifest = next(models.glob("*/manifest.json"))
    (manifest.parent / json.loads(manifest.read_text())["file"]).unlink()
    monkeypatch.setenv("SEGUE_MODELS", str(models))
    rc, text = _run()
    assert rc == 1 and "is listed in its manifest but missing" in text


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


def test_segue_self_test_flag_and_subcommand(segue_home):
    env = {**os.environ, "SEGUE_HOME": str(segue_home)}
    for args in (["--self-test"], ["self-test"]):
        out = subprocess.run([sys.executable, "-m", "player", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.splitlines()[-1].endswith("all passed")
        assert "frozen: no" in out.stdout.splitlines()[0]
