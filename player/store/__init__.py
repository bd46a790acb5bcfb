"""The library database: the only package in Segue that contains SQL.

>>> store = Store.open()            # the default data folder (or $SEGUE_HOME)
>>> with store.transaction() as conn: ...
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from player import paths
from player.store.connection import (
    Database, DatabaseCorruptError, DatabaseTooNewError, DataFolderReadOnlyError, MigrationFailedError, StoreError,
    migration_pending,
)
from player.store.features import FeaturesMixin
from player.store.history import EXPORT_TABLES, IMPORT_SOURCE, HistoryMixin
from player.store.listening import ENDED_CODES, SOURCE_CODES, ListeningMixin, MapPoints, PlayColumns
from player.store.migrations import SCHEMA_VERSION
from player.store.model_runs import ModelRunsMixin
from player.store.never import NeverSuggestMixin
from player.store.playlists import PlaylistError, PlaylistsMixin
from player.store.positions import ResumePositionsMixin
from player.store.plays import ENDINGS, SESSION_GAP_S, SOURCES, PlaysMixin
from player.store.settings import SettingsMixin
from player.store.tracks import TRACK_FIELDS, TracksMixin

__all__ = [
    "Store", "StoreError", "PlaylistError", "DatabaseTooNewError", "DatabaseCorruptError", "DataFolderReadOnlyError",
    "MigrationFailedError", "migration_pending",
    "SCHEMA_VERSION", "TRACK_FIELDS",
    "ENDINGS", "SOURCES", "SESSION_GAP_S", "IMPORT_SOURCE", "EXPORT_TABLES",
    "ENDED_CODES", "SOURCE_CODES", "PlayColumns", "MapPoints",
]

log = logging.getLogger(__name__)


class Store(TracksMixin, PlaysMixin, PlaylistsMixin, HistoryMixin, SettingsMixin, ModelRunsMixin, FeaturesMixin,
            ListeningMixin, NeverSuggestMixin, ResumePositionsMixin, Database):
    """Segue's library database: tracks, folders, plays, sessions, imported history, settings, features,
    what never to suggest, and where long tracks were left."""

    @classmethod
    def open(cls, path: str | Path | None = None, *, progress=None) -> "Store":
        """The library at ``path`` (default: the data folder's); ``progress`` is told what an
        update of its schema is at (see :class:`~player.store.connection.Database`).

        Raises :class:`DatabaseCorruptError`, :class:`DataFolderReadOnlyError` or
        :class:`DatabaseTooNewError`, each with a message that says what to do.
        """
        if path is None:
            try:
                path = paths.db_path()
            except OSError as exc:          # the data folder cannot even be created
                raise DataFolderReadOnlyError(paths.data_dir_location(), exc.strerror or str(exc)) from None
        store = cls(path, progress=progress)
        try:
            # (a forget whose checkpoint another reader held off: its pages go now)
            store.finish_forgetting()
        except sqlite3.OperationalError as exc:     # another program writing: the next start tries again
            log.warning("could not clean the forgotten history out of %s yet: %s", path, exc)
        return store
