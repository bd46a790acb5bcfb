"""What the window says when the learner ends by itself, for the ways each system ends it.

A crash on Windows ends a process with the system's status code (0xC0000005, a bad memory
access), which multiprocessing gives as the number 3221225477; on Linux and macOS the same
crash is a signal. The codes are the systems' own; the description is a pure function of them.
"""

from __future__ import annotations

import signal

import pytest

from player.learner.client import LearnerExit


def _said(code: int | None) -> str:
    return LearnerExit(exitcode=code, crashes=1, restart_in=1.0).describe()


@pytest.mark.parametrize("code", [0xC0000005, -1073741819])     # (as GetExitCodeProcess gives it, and signed)
def test_a_windows_access_violation_is_a_crash_named_as_windows_tools_show_it(code):
    said = _said(code)
    assert "crashed" in said
    assert "0xC0000005" in said
    assert "bad memory access" in said
    assert "3221225477" not in said and "signal" not in said


def test_a_windows_crash_code_without_a_name_is_still_shown_in_hexadecimal():
    said = _said(0xC0000135)        # a DLL not found
    assert "crashed" in said and "0xC0000135" in said


def test_out_of_memory_on_windows_says_so():
    assert "out of memory" in _said(0xC0000017)


@pytest.mark.parametrize("code, words", [
    (-signal.SIGKILL, "killed (SIGKILL, perhaps out of memory)"),
    (-signal.SIGSEGV, "killed (SIGSEGV)"),
    (1, "stopped (exit code 1)"),
    (None, "stopped answering"),
])
def test_linux_and_macos_endings_read_as_before(code, words):
    said = _said(code)
    assert words in said
    assert "0x" not in said
