"""Running a command without the power to ignore file permissions, even as root.

Tests of unreadable folders and read-only data folders need permissions to bite. Root
(as in CI containers) passes every permission check, so there the command runs under
``setpriv`` with the two capabilities that bypass them dropped. Returns None when
neither works, and the test skips with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess

DROP = "-dac_override,-dac_read_search"


def prefix() -> list[str] | None:
    """What to put before a command so that file permissions apply to it, or None."""
    if os.name != "posix":
        return None
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    cmd = [setpriv, "--inh-caps=-all", f"--bounding-set={DROP}", "true"]
    try:
        ok = subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return cmd[:-1] if ok else None


SKIP_REASON = "running as root without setpriv: file permissions cannot be made to apply"
