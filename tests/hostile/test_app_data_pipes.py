"""Named pipes in the app's own data folder, under the names of the files it reads at start:
the plays kept at the last close, the key a later launch hands its files over with. Opened
the ordinary way, each waited for a writer (or a reader) for ever, and the start with it."""

from __future__ import annotations

import os
import sys

import pytest

from tests.hostile.test_decoders_read_the_file_checked import _refusal
from tests.hostile.test_named_pipes import _within

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="named pipes are POSIX")


def test_a_named_pipe_as_the_kept_plays_is_read_as_none_at_once(tmp_path):
    from player import kept_plays

    pipe = kept_plays.journal_path(tmp_path / "library.db")
    os.mkfifo(pipe)
    assert _within(lambda: kept_plays.read(pipe), pipe) == ([], {})
    # Read to be changed, it says it cannot be read rather than be taken for none (and written over).
    error = _within(lambda: _refusal(lambda: kept_plays.read(pipe, changing=True)), pipe)
    assert isinstance(error, OSError) and "named pipe" in str(error)
    assert os.path.exists(pipe)


def test_a_named_pipe_as_the_windows_key_leaves_the_window_starting(segue_home, qapp):
    from player.ui.single_instance import SingleInstance

    window = SingleInstance(segue_home)
    key = window.data_dir / "window.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(key)
    try:
        # The first window: it starts, without listening for later launches (they wait for it).
        assert _within(lambda: window.claim({"argv": [], "cwd": str(segue_home), "open": []})) is True
    finally:
        window.release()
