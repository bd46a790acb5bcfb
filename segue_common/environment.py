"""The environment to start a program of the system with (ffmpeg, ffprobe, gdbus, dbus-send...).

A PyInstaller bundle on Linux runs with its own folder first on ``LD_LIBRARY_PATH`` (on AIX
``LIBPATH``), the value it found kept in ``LD_LIBRARY_PATH_ORIG`` (none kept where there was
none). A program of the system started with that environment loads the bundle's copies of
the libraries it shares with the app (zlib, GLib, libdbus, libstdc++: copied from the
machine that built the bundle) in place of its own; where they do not match, it fails to
start or misbehaves, and every song only ffmpeg decodes would be unplayable in the packaged
app alone. The bundle's own child processes (the learner, the analysis workers: the bundle
started again) need its folder and must keep the environment as it is.

The bundle's Qt is named in the environment too: PyInstaller's start-up code for PySide6 sets
``QT_PLUGIN_PATH`` (and ``QML2_IMPORT_PATH``) to folders inside the bundle, on every system. A
Qt program of the system started with them (a file manager such as Dolphin, or ``kde-open``)
may load the bundle's plugins, built against another Qt than its own, and fail to start.
Those variables lose their entries inside the bundle; entries elsewhere, the person's own, stay.

On macOS PyInstaller rewrites the bundle's library paths (``@rpath``) instead of setting
``DYLD_*`` variables, so no variable there needs undoing. On Windows the bundle adds its folder
to the DLL search with ``SetDllDirectoryW``, not with a variable, and PyInstaller documents
that the processes it starts inherit that: a program of the system still finds the DLLs in
its own folder first, but one it loads from the system folder or ``PATH`` may come from the
bundle's folder instead. Whether that troubles the programs the app starts there (Explorer,
ffmpeg) has not been checked, and it is not undone here: PyInstaller's remedy, calling
``SetDllDirectoryW(None)`` through ``ctypes``, changes the search for the app itself too (a
module imported later may no longer find its DLLs in the bundle), so it waits until it can be
tried on Windows. Undoing it only while a program starts, and setting it back after, is no safer:
the setting is the whole process's, programs are started from worker threads (ffprobe for each
file a scan reads, ffmpeg for a song), and a DLL another thread loads meanwhile (a lazy import,
a library opened through ``ctypes``) would be looked for without the bundle's folder and could
fail, rarely and beyond reproducing. PyInstaller's start-up code for PySide6 also puts the
bundle's folder first on ``PATH`` there; that too is left as it is.
"""

from __future__ import annotations

import os
import sys

#: each variable of the library search path a bundle sets, and the one it keeps its first value in
_SEARCH_PATHS = (("LD_LIBRARY_PATH", "LD_LIBRARY_PATH_ORIG"), ("LIBPATH", "LIBPATH_ORIG"))
#: the variables that tell a Qt program where to find its plugins and QML modules
_QT_PATHS = ("QT_PLUGIN_PATH", "QML2_IMPORT_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH")


def system_environment() -> dict[str, str]:
    """A copy of this process's environment, fit for a program of the system: in a bundle
    (``sys.frozen``) its library search path is the one the person's session had, without the
    bundle's folder, and Qt's search paths hold no folder of the bundle. Outside a bundle the
    environment unchanged."""
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):
        return env
    bundle = getattr(sys, "_MEIPASS", None)
    for name in _QT_PATHS:
        if name not in env:
            continue
        entries = [p for p in env[name].split(os.pathsep) if p and not _inside(p, bundle)]
        if entries:
            env[name] = os.pathsep.join(entries)
        else:
            del env[name]
    if sys.platform in ("win32", "darwin"):
        return env
    for name, kept in _SEARCH_PATHS:
        original = env.pop(kept, None)
        if name not in env:
            continue
        # (the bundle started again from itself, as its own child processes are, may have
        # kept a value that already had its folder first: that is left out too)
        entries = [p for p in (original or "").split(os.pathsep) if p and not _inside(p, bundle)]
        if entries:
            env[name] = os.pathsep.join(entries)
        else:
            del env[name]
    return env


def _inside(path: str, folder: str | None) -> bool:
    if not folder:
        return False
    path, folder = os.path.normpath(path), os.path.normpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
