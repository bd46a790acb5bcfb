"""Shared test set-up: a fresh data folder and HOME per test, offscreen Qt, seeded randomness."""

from __future__ import annotations

import datetime
import os
import random
import shutil
import sys

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


@pytest.fixture
def sparse_dir(tmp_path):
    """A folder for sparse files of 4 GiB (tests.audiogen.wav_over_4gib), removed after the
    test: pytest keeps the folders of its last three runs, and each such file counts 4 GiB to
    whatever copies or archives them (a CI box keeping them as artifacts, a backup)."""
    folder = tmp_path / "sparse"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _seeded():
    random.seed(1234)
    np.random.seed(1234)


class _PinnedDate(datetime.date):
    @classmethod
    def today(cls):
        return cls(2026, 12, 5)


@pytest.fixture(autouse=True)
def _discover_day(monkeypatch):
    """Discover's rows are the clock's day's (each day shuffles them anew): the tests see one
    day's rows whatever day they run on, so a row that holds what a test expects today holds
    it tomorrow too. Tests of the change from day to day name their days."""
    import player.recommender_service

    monkeypatch.setattr(player.recommender_service, "date", _PinnedDate)


def _look(app) -> dict:
    """What :func:`player.ui.theme.apply_theme` changes in ``app``."""
    from PySide6.QtGui import QPalette

    return {"style": app.style().name(), "palette": QPalette(app.palette()), "sheet": app.styleSheet(),
            "icon": app.windowIcon()}


@pytest.fixture(scope="session")
def qapp_cls():
    """pytest-qt's application is Segue's own (it takes the files the system asks it to open)."""
    from player.ui.opening import SegueApplication

    return SegueApplication


@pytest.fixture(autouse=True)
def _theme_restored():
    """A test that themes the shared QApplication (Fusion, the shipped palette and style sheet,
    a scheme switched to dark) hands it back as it found it: the tests after it run under the
    look they have when run alone, whatever order they run in."""
    widgets = sys.modules.get("PySide6.QtWidgets")       # (a test without Qt does not import it)
    app = widgets.QApplication.instance() if widgets else None
    before = _look(app) if app is not None else None
    yield
    if before is None:
        return
    after = _look(app)
    if after["style"] != before["style"]:
        app.setStyle(before["style"])
    if after["palette"] != before["palette"] or app.palette() != before["palette"]:
        app.setPalette(before["palette"])
    if after["sheet"] != before["sheet"]:
        app.setStyleSheet(before["sheet"])
    if after["icon"].cacheKey() != before["icon"].cacheKey():
        app.setWindowIcon(before["icon"])


@pytest.fixture
def store(segue_home):
    from player.store import Store

    s = Store.open()
    yield s
    s.close()
