"""Atomic replacement where the system refuses it for a while.

On Windows a file another process has open cannot be replaced (PermissionError) until that
process lets go: the trainer's swap of the models' pointer while the window reads it. That
refusal is made real on each system (see :mod:`tests.replace_refused`), and lifted while the
replacement waits. The Windows branch is chosen by passing the platform in.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from segue_common import atomic
from tests.replace_refused import busy_noted, ran_elsewhere, refused

WAIT_S = 60.0       # generous: the machine may be loaded


def _files(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "models"
    folder.mkdir()
    dst, src = folder / "current.json", folder / "new.json"
    dst.write_text("old")
    src.write_text("new")
    return src, dst


def test_windows_replacement_waits_for_the_file_to_be_let_go(tmp_path, request):
    if ran_elsewhere(request, tmp_path):
        return
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


def test_windows_atomic_write_waits_for_the_file_to_be_let_go(tmp_path, request):
    if ran_elsewhere(request, tmp_path):
        return
    _, dst = _files(tmp_path)
    written, go, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with atomic.atomic_open(dst, "w", platform="win32", busy_wait_s=WAIT_S) as fh:
                fh.write("written")
                # (refused only once its temporary file is there: a read-only folder refuses
                # that too, and the rename that waits would never be tried)
                written.set()
                assert go.wait(WAIT_S)
        except BaseException as exc:        # noqa: BLE001 (checked below)
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=write)
    worker.start()
    try:
        assert written.wait(WAIT_S)
        with refused(dst) as lift, busy_noted() as noted:
            go.set()
            assert noted.wait(WAIT_S), f"the replacement was never refused: {errors}"
            assert dst.read_text() == "old"
            lift()
            assert done.wait(WAIT_S)
    finally:
        go.set()
        worker.join(WAIT_S)
    assert errors == []
    assert dst.read_text() == "written"
    assert sorted(p.name for p in dst.parent.iterdir()) == ["current.json", "new.json"]    # no temporary file left


def test_windows_gives_the_refusal_after_its_wait_and_keeps_both_files(tmp_path, request):
    if ran_elsewhere(request, tmp_path):
        return
    src, dst = _files(tmp_path)
    with refused(dst), busy_noted() as noted:
        with pytest.raises(PermissionError):
            atomic.replace(src, dst, platform="win32", busy_wait_s=0.2)
        assert noted.is_set()
        with pytest.raises(PermissionError):
            atomic.write_text(dst, "lost?", platform="linux")     # (refused at once)
    assert dst.read_text() == "old"
    assert src.read_text() == "new"
    assert sorted(p.name for p in dst.parent.iterdir()) == ["current.json", "new.json"]


def test_elsewhere_a_refusal_is_given_at_once(tmp_path, request):
    if ran_elsewhere(request, tmp_path):
        return
    src, dst = _files(tmp_path)
    with refused(dst), busy_noted() as noted:
        with pytest.raises(PermissionError):
            atomic.replace(src, dst, platform="linux", busy_wait_s=WAIT_S)
        assert not noted.is_set()
    assert dst.read_text() == "old"
    assert src.read_text() == "new"
