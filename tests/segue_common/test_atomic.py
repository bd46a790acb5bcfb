"""Atomic replacement where the system refuses it for a while.

On Windows a file another process has open cannot be replaced (PermissionError) until that
process lets go: the trainer's swap of the models' pointer while the window reads it. That
refusal is made real here with what Linux has: the target made immutable (as root, where
permissions do not bite) or its folder made read-only (as anyone else); both give the same
PermissionError from ``os.replace``, and are lifted while the replacement waits. The Windows
branch is chosen by passing the platform in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from segue_common import atomic

WAIT_S = 60.0       # generous: the machine may be loaded


@contextlib.contextmanager
def refused(target: Path):
    """While inside, replacing ``target`` is refused with PermissionError; yields the call
    that lifts the refusal early (lifted on the way out in any case)."""
    folder = target.parent
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(target)], capture_output=True).returncode:
            pytest.skip("as root, and the file system cannot make a file immutable (chattr +i)")
        lifted = []

        def lift() -> None:
            if not lifted:
                lifted.append(subprocess.run([chattr, "-i", str(target)], capture_output=True).returncode == 0)
    else:
        mode = folder.stat().st_mode
        folder.chmod(0o555)

        def lift() -> None:
            folder.chmod(mode)
    try:
        probe = folder / ".probe"
        try:
            shutil.copyfile(target, probe)      # (as root the folder can still be written)
        except PermissionError:
            probe = None
        if probe is not None:
            try:
                os.replace(probe, target)       # (the same bytes: nothing changes where it is not refused)
            except PermissionError:
                pass
            else:
                pytest.skip("replacing a file could not be refused here")
        yield lift
    finally:
        lift()
        with contextlib.suppress(OSError):
            (folder / ".probe").unlink()


@contextlib.contextmanager
def busy_noted():
    """An event set when the replacement notes the target in use and is about to try again."""
    noted = threading.Event()

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "in use" in record.getMessage():
                noted.set()

    handler = Handler(logging.DEBUG)
    logger = logging.getLogger(atomic.__name__)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield noted
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "models"
    folder.mkdir()
    dst, src = folder / "current.json", folder / "new.json"
    dst.write_text("old")
    src.write_text("new")
    return src, dst


def test_windows_replacement_waits_for_the_file_to_be_let_go(tmp_path):
    src, dst = _files(tmp_path)
    errors: list[BaseException] = []

    def swap() -> None:
        try:
            atomic.replace(src, dst, platform="win32", busy_wait_s=WAIT_S)
        except BaseException as exc:        # noqa: BLE001 (checked below)
            errors.append(exc)

    with refused(dst) as lift, busy_noted() as noted:
        worker = threading.Thread(target=swap)
        worker.start()
        assert noted.wait(WAIT_S), "the replacement was never refused"
        assert dst.read_text() == "old"
        lift()
        worker.join(WAIT_S)
    assert not worker.is_alive()
    assert errors == []
    assert dst.read_text() == "new"
    assert not src.exists()


def test_windows_atomic_write_waits_for_the_file_to_be_let_go(tmp_path):
    _, dst = _files(tmp_path)
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with atomic.atomic_open(dst, "w", platform="win32", busy_wait_s=WAIT_S) as fh:
                fh.write("written")
        except BaseException as exc:        # noqa: BLE001 (checked below)
            errors.append(exc)
        finally:
            done.set()

    with refused(dst) as lift, busy_noted() as noted:
        worker = threading.Thread(target=write)
        worker.start()
        assert noted.wait(WAIT_S), "the replacement was never refused"
        lift()
        assert done.wait(WAIT_S)
    worker.join(WAIT_S)
    assert errors == []
    assert dst.read_text() == "written"
    assert sorted(p.name for p in dst.parent.iterdir()) == ["current.json", "new.json"]    # no temporary file left


def test_windows_gives_the_refusal_after_its_wait_and_keeps_both_files(tmp_path):
    src, dst = _files(tmp_path)
    with refused(dst), busy_noted() as noted:
        with pytest.raises(PermissionError):
            atomic.replace(src, dst, platform="win32", busy_wait_s=0.2)
        assert noted.is_set()
        with pytest.raises(PermissionError):
            atomic.write_text(dst, "lost?")     # (this system's own branch: refused at once)
    assert dst.read_text() == "old"
    assert src.read_text() == "new"
    assert sorted(p.name for p in dst.parent.iterdir()) == ["current.json", "new.json"]


def test_elsewhere_a_refusal_is_given_at_once(tmp_path):
    src, dst = _files(tmp_path)
    with refused(dst), busy_noted() as noted:
        with pytest.raises(PermissionError):
            atomic.replace(src, dst, platform="linux", busy_wait_s=WAIT_S)
        assert not noted.is_set()
    assert dst.read_text() == "old"
    assert src.read_text() == "new"
