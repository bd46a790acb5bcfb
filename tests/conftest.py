"""Shared test set-up: a fresh data folder and HOME per test, offscreen Qt, seeded randomness."""

from __future__ import annotations

import os
import random

# Before anything imports Qt or numba.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# The learner process keeps the tests' priority: at the lowest one, on a CI machine busy with
# other work, it got almost no CPU and the tests waiting for its analysis or training timed
# out. test_learner_process checks, without this, that the app does lower it.
os.environ.setdefault("SEGUE_LEARNER_PRIORITY", "normal")

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def segue_home(tmp_path, monkeypatch):
    """Every test gets its own SEGUE_HOME and HOME, so nothing touches the real library."""
    home = tmp_path / "segue-home"
    home.mkdir()
    monkeypatch.setenv("SEGUE_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return home


@pytest.fixture(autouse=True)
def _seeded():
    random.seed(1234)
    np.random.seed(1234)


@pytest.fixture
def store(segue_home):
    from player.store import Store

    s = Store.open()
    yield s
    s.close()
