"""Faults of the machine, not of the files: a full disk, killed processes.

- the disk fills up while ``segue play`` records a play: the music plays, one line says
  why the play was not recorded, and nothing recorded before is lost;
- ``segue play`` is SIGKILLed 100 times at random moments: every play it announced is in
  the database, and the database is intact;
- an analysis worker is killed: only the file it held is affected, a rerun finishes;
- a training is killed mid-write: the models in use stay readable, the next one succeeds.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from segue_common.listening import COUNTS_AS_PLAY
from tests.hostile import generate
from tests.hostile.conftest import ROOT, segue

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, fork and rlimits are POSIX")


def _no_traceback(out) -> None:
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr[-3000:]


def _plays(db: Path) -> list:
    conn = sqlite3.connect(db, timeout=30)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT id, ended, ms_heard FROM plays ORDER BY id").fetchall()
    finally:
        conn.close()


def _music(folder: Path, n: int = 1, seconds: float = 1.0) -> list[Path]:
    return [generate.vorbis_tags(generate.write(folder / f"{i:02d}.flac", seconds=seconds, freq=200 + 40 * i),
                                 title=f"Song {i}", artist=f"Artist {i % 3}", genre=("Rock", "Jazz")[i % 2])
            for i in range(n)]


@contextlib.contextmanager
def _small_disk(folder: Path):
    """A 4 MB tmpfs at ``folder`` when this process may mount one, else None (the caller then
    limits file sizes with RLIMIT_FSIZE instead: the same refusal to grow a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                                 capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 1):                 # to the last byte
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * size)
    return filler


def test_a_full_disk_during_a_play_write_loses_nothing_and_says_so(tmp_path):
    music = _music(tmp_path / "music")
    home = tmp_path / "tiny-disk"
    with _small_disk(home) as mounted:
        assert segue("scan", tmp_path / "music", home=home).returncode == 0
        first = segue("play", "--null", "--seconds", "2", music[0], home=home)
        assert first.returncode == 0, first.stderr
        db = home / "library.db"
        before = _plays(db)
        assert len(before) == 1
        reader = sqlite3.connect(db)                   # like a window beside it: the WAL stays
        reader.execute("SELECT count(*) FROM tracks").fetchone()
        filler = None
        try:
            if mounted:
                filler = _fill(home)
                limit = None
            else:
                filler, limit = None, 4096

            def no_room():
                if limit is not None:
                    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            env = {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT)}
            full = subprocess.run([sys.executable, "-m", "player", "play", "--null", "--seconds", "2", str(music[0])],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=no_room)
            _no_traceback(full)
            assert full.returncode in (0, 1)
            assert "playing:" in full.stdout                           # the music played
            assert "full" in full.stderr or "disk" in full.stderr, full.stderr
            assert all(len(line) < 400 for line in full.stderr.splitlines())
        finally:
            reader.close()
            if filler is not None:
                filler.unlink()
        assert _plays(db)[:1] == before                                 # nothing recorded before was lost
        again = segue("play", "--null", "--seconds", "1.5", music[0], home=home)
        assert again.returncode == 0, again.stderr
        assert len(_plays(db)) >= 2                                     # and with room again, plays record


def test_a_hundred_sigkills_of_segue_play_lose_no_play(tmp_path):
    music = _music(tmp_path / "music", seconds=5.0)
    home = tmp_path / "home"
    assert segue("scan", tmp_path / "music", home=home).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tests.hostile.kill_play", str(home), str(music[0]), "100"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["integrity"] == "ok"
    assert result["rounds"] == 100 and result["announced"] >= 50
    assert result["plays"] >= result["announced"]                      # every announced play is there
    assert result["plays"] <= result["rounds"]
    after = segue("library", home=home)
    # Every row is kept (below); ``plays:`` counts those of them that count as plays (a play
    # killed before its first progress write has no time heard, and counts nowhere).
    conn = sqlite3.connect(home / "library.db")
    try:
        counted = conn.execute(f"SELECT count(*) FROM plays WHERE {COUNTS_AS_PLAY}").fetchone()[0]
    finally:
        conn.close()
    assert after.returncode == 0 and f"plays:     {counted}\n" in after.stdout
    from player.store import Store

    store = Store(home / "library.db")
    try:                                                               # what the next start does
        assert store.close_interrupted_plays() == result["still_playing"] <= 1
        assert store.play_count() == result["plays"]
    finally:
        store.close()
    print(json.dumps(result))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="finds the worker through /proc")
def test_a_killed_analysis_worker_costs_at_most_its_file(tmp_path):
    _music(tmp_path / "music", n=6, seconds=8.0)
    home = tmp_path / "home"
    assert segue("scan", tmp_path / "music", home=home).returncode == 0
    env = {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "player", "analyse", "--workers", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    try:
        deadline = time.monotonic() + 120
        while not killed and proc.poll() is None and time.monotonic() < deadline:
            # The decoding worker: a child of the analyse process (spawned Python).
            workers = [c for c in _children(proc.pid) if "python" in Path(f"/proc/{c}/exe").resolve().name]
            if workers:
                time.sleep(0.3)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(workers[0], signal.SIGKILL)
                    killed = True
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if not killed:
        pytest.skip("analysis finished before its worker could be killed")
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    again = segue("analyse", home=home)
    assert again.returncode == 0 and "Traceback" not in again.stderr
    from player.store import Store

    store = Store(home / "library.db")
    try:
        counts = store.feature_counts(store.latest_feature_version())
    finally:
        store.close()
    assert counts["pending"] == 0 and counts["analysed"] >= 5          # at most the file it held failed


def test_a_training_killed_mid_write_leaves_usable_models(tmp_path):
    from player.recommender_service import RecommenderService
    from player.store import Store
    from recommender.local_models import current_run

    _music(tmp_path / "music", n=24, seconds=0.5)
    home = tmp_path / "home"
    assert segue("scan", tmp_path / "music", home=home).returncode == 0
    store = Store(home / "library.db")
    ids = [t["id"] for t in store.tracks()]
    t = 1_700_000_000.0
    for i in range(240):                                # sessions of people listening
        pid = store.start_play(ids[(i * 7) % len(ids)], now=t)
        store.end_play(pid, "finished", 30_000, now=t + 30)
        t += 40 if i % 12 else 4000
    store.close()
    first = segue("status", "--train", home=home, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    models = home / "models"
    good_run = current_run(models)
    assert good_run is not None
    env = {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "player", "status", "--train"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if [p for p in models.glob("run-*") if p.name.endswith(".partial") and any(p.iterdir())]:
                break                                  # it is writing its run now
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert current_run(models) == good_run             # the run in use is untouched
    store = Store(home / "library.db")
    try:
        service = RecommenderService(store, models_dir=models, priors=None)
        assert service.reload_models().get("run") == good_run.name
        assert service.up_next([ids[0]], 5)
    finally:
        store.close()
    again = segue("status", "--train", home=home, timeout=600)
    assert again.returncode == 0 and "Traceback" not in again.stderr
    assert current_run(models) not in (None, good_run)
