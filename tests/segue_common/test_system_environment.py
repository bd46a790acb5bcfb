"""The programs of the system (ffmpeg, ffprobe) started from a PyInstaller bundle on Linux.

The bundle runs with its own folder first on LD_LIBRARY_PATH; ffmpeg and ffprobe started
with that environment loaded the libraries copied into it from the machine that built the
bundle in place of their own. Here the bundle's copies are empty files, which cannot load at
all: ffprobe exited 127 and every song only ffmpeg decodes was unplayable.
"""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from segue_common import audio_io
from segue_common.environment import system_environment

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="LD_LIBRARY_PATH is how a bundle runs on Linux")

# Libraries ffmpeg and ffprobe load (Debian's, at least) that a bundle of the app carries too:
# Python's zlib, lzma and bz2 modules and the C++ runtime of torch and Qt need them.
_SHARED = ("libz.so.1", "liblzma.so.5", "libbz2.so.1.0", "libstdc++.so.6", "libgcc_s.so.1")


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    """This process made to look like the bundled app: ``sys.frozen`` set and a folder of
    unloadable copies of ffmpeg's libraries first on LD_LIBRARY_PATH, as the bundle's
    launcher puts its own folder (there was no LD_LIBRARY_PATH before it)."""
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name in _SHARED:
        (folder / name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(folder), raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(folder))
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    monkeypatch.setattr(audio_io, "_COMPLETE", {})      # (whether ffmpeg runs is asked again)
    return folder


@pytest.fixture
def m4a(tmp_path):
    """Half a second of a 440 Hz tone in AAC, which only ffmpeg decodes here."""
    path = tmp_path / "tone.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5",
                    "-ac", "1", "-c:a", "aac", "-b:a", "64k", str(path)], check=True)
    return path


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_a_bundle_plays_what_only_ffmpeg_decodes(m4a, bundle):
    probe = subprocess.run([shutil.which("ffprobe"), "-version"], env={**os.environ, "LD_LIBRARY_PATH": str(bundle)},
                           capture_output=True)
    if probe.returncode == 0:
        pytest.skip("this ffprobe loads none of the libraries copied here")
    assert audio_io.ffmpeg_complete() is not None            # it was said not to run
    info = audio_io.probe_stream(m4a)
    assert info is not None and info["codec"] == "aac"
    audio, rate = audio_io.load_audio(m4a, mono=True)
    assert 0.45 < len(audio) / rate < 0.6
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * rate / len(audio) - 440) < 10
    # The bundle's own environment is untouched: the processes it starts of itself (the
    # learner, the analysis workers) need its folder to load its libraries.
    assert os.environ["LD_LIBRARY_PATH"] == str(bundle)


def test_the_search_path_the_session_had_is_given_back(bundle, tmp_path, monkeypatch):
    own = tmp_path / "own-libs"
    own.mkdir()
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{bundle}{os.pathsep}{own}")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", str(own))
    env = system_environment()
    assert env["LD_LIBRARY_PATH"] == str(own)
    assert "LD_LIBRARY_PATH_ORIG" not in env
    # the bundle started again from itself keeps, as the first value, one that has its folder
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", f"{bundle}{os.pathsep}{own}")
    assert system_environment()["LD_LIBRARY_PATH"] == str(own)
    # none kept: the session had none (the bundle's launcher keeps a value only where there was one)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(bundle))
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG")
    assert "LD_LIBRARY_PATH" not in system_environment()


def test_the_bundles_qt_is_not_named_to_a_program_of_the_system(bundle, tmp_path, monkeypatch):
    # PyInstaller's start-up code for PySide6 points Qt's plugin and QML paths into the bundle;
    # a Qt program of the system (a KDE file manager) given them loaded the bundle's plugins.
    own = tmp_path / "own-qml"
    beside = f"{bundle}-beside"                     # a folder whose name only starts as the bundle's does
    monkeypatch.setenv("QT_PLUGIN_PATH", str(bundle / "PySide6" / "Qt" / "plugins"))
    monkeypatch.setenv("QML2_IMPORT_PATH", os.pathsep.join([str(bundle / "PySide6" / "Qt" / "qml"), str(own)]))
    monkeypatch.setenv("QT_QPA_PLATFORM_PLUGIN_PATH", beside)
    env = system_environment()
    assert "QT_PLUGIN_PATH" not in env
    assert env["QML2_IMPORT_PATH"] == str(own)
    assert env["QT_QPA_PLATFORM_PLUGIN_PATH"] == beside
    # the bundle's own environment is untouched: the app itself still loads its own Qt
    assert os.environ["QT_PLUGIN_PATH"] == str(bundle / "PySide6" / "Qt" / "plugins")
    # the same on the systems where the library search path is left alone: Qt reads these everywhere
    monkeypatch.setattr(sys, "platform", "darwin")
    env = system_environment()
    assert "QT_PLUGIN_PATH" not in env and env["LD_LIBRARY_PATH"] == str(bundle)


def test_outside_a_bundle_the_environment_is_left_as_it_is(tmp_path, monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    monkeypatch.setenv("QT_PLUGIN_PATH", str(tmp_path))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert system_environment()["LD_LIBRARY_PATH"] == str(tmp_path)
    assert system_environment()["QT_PLUGIN_PATH"] == str(tmp_path)
