"""Where Segue keeps its files.

Everything lives in one data folder chosen by platformdirs (for example
``~/.local/share/Segue`` on Linux, ``~/Library/Application Support/Segue`` on
macOS, ``%LOCALAPPDATA%\\Segue`` on Windows). ``SEGUE_HOME`` overrides it, which
is how the tests and portable installs get a folder of their own.

``SEGUE_MODELS`` overrides where the shipped, pretrained weights are read from.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Segue"


def data_dir_location() -> Path:
    """Where the data folder is (nothing is created)."""
    override = os.environ.get("SEGUE_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The folder holding the database, local models, logs and caches (created)."""
    path = data_dir_location()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sub(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_path() -> Path:
    """The SQLite library database."""
    return data_dir() / "library.db"


def log_dir() -> Path:
    return _sub("logs")


def cache_dir() -> Path:
    return _sub("cache")


def local_models_dir() -> Path:
    """Models trained on this person's plays (deleted by "forget my history")."""
    return _sub("models")


def shipped_models_dir() -> Path:
    """The pretrained weights that ship with Segue (``models/`` in the source tree)."""
    override = os.environ.get("SEGUE_MODELS")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "models"
    return Path(__file__).resolve().parent.parent / "models"


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def default_music_dir() -> Path:
    return Path(platformdirs.user_music_dir())
