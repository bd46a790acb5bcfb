"""Replacing a file refused for a while, made real on each system.

On Windows a file another process has open cannot be replaced (PermissionError) until it
lets go: there the target is held open, as a reader or a virus scanner holds it. Linux and
macOS have no such thing, and the same PermissionError comes from the target made immutable
(as root, where permissions do not bite, on a file system that allows it) or its folder made
read-only (as anyone else). Root where the file system or the container refuses ``chattr +i``
(overlayfs, a container without CAP_LINUX_IMMUTABLE) runs the test again in a child without
the power to ignore permissions, where the read-only folder bites: never skipped, unless that
child cannot be made either (:mod:`tests.unprivileged`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import unprivileged

#: set in the child a test runs again in (root without ``chattr +i``): the folder's mode bites there
_UNPRIVILEGED_CHILD = "SEGUE_TEST_REFUSED_UNPRIVILEGED"


def _chattr_works(folder: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    probe = folder / ".chattr-probe"
    probe.write_bytes(b"")
    try:
        if subprocess.run([chattr, "+i", str(probe)], capture_output=True).returncode:
            return False
        subprocess.run([chattr, "-i", str(probe)], capture_output=True, check=True)
        return True
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _how(folder: Path) -> str:
    if os.name == "nt":
        return "held open"
    if os.geteuid() != 0 or os.environ.get(_UNPRIVILEGED_CHILD):
        return "read-only folder"
    return "immutable" if _chattr_works(folder) else "again unprivileged"


def ran_elsewhere(request, folder: Path) -> bool:
    """Where a refusal cannot be made in this process (root without ``chattr +i``), run the
    test ``request`` names again in a child where it can, and say True once it passed there
    (the test then returns); False: run it here."""
    if _how(folder) != "again unprivileged":
        return False
    prefix = unprivileged.prefix()
    if prefix is None:
        pytest.skip("as root, without chattr +i or setpriv: a replacement cannot be refused here")
    child = subprocess.run([*prefix, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            request.node.nodeid], cwd=request.config.rootpath, capture_output=True, text=True,
                           timeout=300, env={**os.environ, _UNPRIVILEGED_CHILD: "1"})
    assert child.returncode == 0 and " passed" in child.stdout, child.stdout + child.stderr
    return True


@contextlib.contextmanager
def refused(target: Path):
    """While inside, replacing ``target`` is refused with PermissionError; yields the call
    that lifts the refusal early (lifted on the way out in any case). (A test calls
    :func:`ran_elsewhere` first.)"""
    folder = target.parent
    how = _how(folder)
    if how == "held open":
        held = open(target, "rb")       # (Python opens without FILE_SHARE_DELETE: no rename over it)

        def lift() -> None:
            held.close()
    elif how == "immutable":
        chattr = shutil.which("chattr")
        subprocess.run([chattr, "+i", str(target)], capture_output=True, check=True)
        lifted = []

        def lift() -> None:
            if not lifted:
                lifted.append(subprocess.run([chattr, "-i", str(target)], capture_output=True).returncode == 0)
    elif how == "read-only folder":
        mode = folder.stat().st_mode
        folder.chmod(0o555)

        def lift() -> None:
            folder.chmod(mode)
    else:
        raise AssertionError(f"call ran_elsewhere first: {how}")
    probe = folder / ".probe"
    try:
        try:
            shutil.copyfile(target, probe)      # (refused already with a read-only folder)
            os.replace(probe, target)           # (the same bytes: nothing changes where it is not refused)
        except PermissionError:
            pass
        else:
            pytest.fail(f"replacing a file was not refused ({how})")
        yield lift
    finally:
        lift()
        with contextlib.suppress(OSError):
            probe.unlink()


@contextlib.contextmanager
def busy_noted():
    """An event set when a replacement notes the target in use and is about to try again."""
    from segue_common import atomic

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
