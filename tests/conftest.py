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


#: The files of the tests that play through the sound card (the null sink in CI). scripts/test.sh
#: runs the suite in two processes (pytest-xdist, --dist loadfile, each file's tests in one
#: worker), and these files, together, in one of them, one after another, as in a run of one
#: process: their tests share the one null sink, record what it plays and time what they hear,
#: and another test playing into it at the same time would be heard in their recordings.
SOUND_FILES = frozenset({
    "tests/player/audio/test_cue_playback.py",
    "tests/player/audio/test_device_list.py",
    "tests/player/audio/test_heard_position.py",
    "tests/player/audio/test_kept_play_killed_early.py",
    "tests/player/audio/test_missing_device.py",
    "tests/player/audio/test_open_ahead.py",
    "tests/player/audio/test_sd_engine.py",
    "tests/player/audio/test_slow_open.py",
    "tests/player/audio/test_song_shown_when_heard.py",
})
#: what makes a test one of them: the ``audio`` mark, or one of these fixtures
SOUND_FIXTURES = frozenset({"null_sink", "sd_engine"})


def pytest_runtest_setup(item):
    """A test that plays through the sound card is in one of SOUND_FILES: one elsewhere would
    run beside them in the other worker, and be heard in their recordings."""
    sound = item.get_closest_marker("audio") is not None
    if sound or not SOUND_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
        path = item.nodeid.split("::", 1)[0]
        if path not in SOUND_FILES:
            pytest.fail(f"{item.nodeid} plays through the sound card: add {path} to SOUND_FILES in "
                        "tests/conftest.py, so that it never plays beside the others", pytrace=False)


@pytest.hookimpl(optionalhook=True)     # (a hook of pytest-xdist: without it, never called)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with SOUND_FILES as one file. (xdist's own way to put tests
    together, ``--dist loadgroup`` and the ``xdist_group`` mark, puts nothing together
    under pytest 9.2: it renames the tests in a way pytest no longer reads.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SoundFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "sound card" if path in SOUND_FILES else path

    return SoundFilesTogether(config, log)


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


def let_go_of_keys() -> None:
    """Qt's idea of the modifier keys held, put back to none held.

    ``QTest.keyClick(window, key, Qt.ShiftModifier)`` lets go of Shift with an event that
    still says Shift is held (as a keyboard reports it), and Qt keeps that as the keys held
    until the next key or mouse event. A test that ends so hands Shift on to the tests after
    it: ``selectRow`` with Shift held extends from a row a new view has not marked, and
    selects nothing, so the library's "Read tags again" of the next test found no selection."""
    gui = sys.modules.get("PySide6.QtGui")          # (a test without Qt does not import it)
    app = gui.QGuiApplication.instance() if gui else None
    if app is None:
        return
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    if app.keyboardModifiers() == Qt.KeyboardModifier.NoModifier:
        return

    # A window of its own, never shown: the let-go reaches no widget of the tests, and
    # Qt takes the keys held from any key event, whichever window it is for.
    QTest.keyRelease(gui.QWindow(), Qt.Key.Key_Shift, Qt.KeyboardModifier.NoModifier)


@pytest.fixture(autouse=True)
def _keys_let_go():
    """No test hands modifier keys held on to the next (see :func:`let_go_of_keys`)."""
    yield
    let_go_of_keys()


@pytest.fixture
def store(segue_home):
    from player.store import Store

    s = Store.open()
    yield s
    s.close()
