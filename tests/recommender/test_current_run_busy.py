"""The models' pointer read while Windows refuses it for a moment.

On Windows the window's read of ``current.json`` is refused (PermissionError) for a moment
while the trainer replaces it or a virus scanner holds the new one. That refusal is made real
here as a file the reader may not read (mode 000, in a process without the power to ignore
permissions, even as root), lifted once the reader has said it will try again; the Windows
branch is chosen by passing the platform in.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import unprivileged

pytestmark = pytest.mark.skipif(unprivileged.prefix() is None, reason=unprivileged.SKIP_REASON)

WAIT_S = 60.0       # generous: the machine may be loaded
REPO = Path(__file__).resolve().parents[2]

READER = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s: %(message)s")
from segue_common import atomic
atomic.BUSY_WAIT_S = float(sys.argv[3])
from recommender.local_models import current_run
run = current_run(sys.argv[1], platform=sys.argv[2])
print(run.name if run is not None else "NONE", flush=True)
"""


POINTER = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s: %(message)s")
from pathlib import Path
from segue_common import atomic
atomic.BUSY_WAIT_S = float(sys.argv[3])
from recommender.local_models import point_current, previous_run
root = Path(sys.argv[1])
(root / "run-2-2").mkdir()
point_current(root, root / "run-2-2", platform=sys.argv[2])
print(previous_run(root), flush=True)
"""


def _models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    run = root / "run-1-1"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text("{}")
    (root / "current.json").write_text(json.dumps({"run": run.name, "previous": None}))
    return root


def _reader(root: Path, platform: str, script: str = READER) -> subprocess.Popen:
    return subprocess.Popen([*unprivileged.prefix(), sys.executable, "-c", script, str(root), platform, str(WAIT_S)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def _lines(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_once_let_go(tmp_path, script: str) -> str:
    """What ``script`` prints, the pointer refused to it until it has said it will try again."""
    root = _models(tmp_path)
    pointer = root / "current.json"
    pointer.chmod(0)
    proc = _reader(root, "win32", script)
    try:
        errors = _lines(proc.stderr)
        said = []
        while True:
            line = errors.get(timeout=WAIT_S)
            assert line is not None, f"the reader ended without waiting: {''.join(said)}"
            said.append(line)
            if "in use" in line:
                break
        pointer.chmod(0o644)
        out = proc.stdout.read()
        assert proc.wait(WAIT_S) == 0
    finally:
        pointer.chmod(0o644)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out.strip()


def test_windows_reads_the_pointer_once_it_is_let_go(tmp_path):
    assert _read_once_let_go(tmp_path, READER) == "run-1-1"


def test_windows_keeps_the_current_run_as_the_previous_one_when_the_pointer_is_refused(tmp_path):
    # (taken for no pointer, the new one named no previous run, and the prune after training
    # deleted the run the person's models fall back to)
    assert _read_once_let_go(tmp_path, POINTER) == "run-1-1"


def test_elsewhere_an_unreadable_pointer_is_no_run_at_once(tmp_path):
    root = _models(tmp_path)
    pointer = root / "current.json"
    pointer.chmod(0)
    try:
        proc = _reader(root, "linux")
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        pointer.chmod(0o644)
    assert out.strip() == "NONE"
    assert "in use" not in err
