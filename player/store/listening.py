"""Reads for the Listening view and the sound map: plays and embeddings as columns.

The statistics themselves are computed outside the store (numpy, no Qt); these methods
only hand over compact columns, so 100,000 plays or tracks cost one query each rather
than a Python object per row. :meth:`ListeningMixin.log_plays` writes finished plays in
bulk (generated histories in tests and benchmarks), numbering sessions by the same rule
as :meth:`player.store.plays.PlaysMixin.start_play`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from player.store.history import IMPORT_SOURCE
from player.store.plays import ENDINGS, SOURCES
from segue_common.listening import COUNTS_AS_PLAY, SESSION_GAP_S
from segue_common.normalize import stands_in

#: Codes of :attr:`PlayColumns.ended` and :attr:`PlayColumns.source` index these tuples.
ENDED_CODES: tuple[str, ...] = ("playing", *ENDINGS)
SOURCE_CODES: tuple[str, ...] = SOURCES


@dataclass
class PlayColumns:
    """Every play as parallel arrays (oldest first).

    ``track_ms`` is NaN where unknown; ``ended`` and ``source`` are int8 codes into
    :data:`ENDED_CODES` and :data:`SOURCE_CODES` (a source this code does not know reads
    as code 0); ``imported`` marks plays that came from an imported history (source
    ``'import'``) rather than from Segue's own player; ``counted`` the plays that count as
    plays (see :data:`~segue_common.listening.COUNTS_AS_PLAY`).
    """

    started_at: np.ndarray     # float64 [n] unix seconds
    ms_heard: np.ndarray       # float64 [n]
    track_ms: np.ndarray       # float64 [n]
    ended: np.ndarray          # int8 [n]
    source: np.ndarray         # int8 [n]
    track_id: np.ndarray       # int64 [n]
    imported: np.ndarray       # bool [n]
    counted: np.ndarray        # bool [n]

    def __len__(self) -> int:
        return len(self.started_at)


@dataclass
class MapPoints:
    """Analysed tracks for the sound map, row ``i`` belonging to ``track_ids[i]``."""

    track_ids: np.ndarray      # int64 [n]
    embedding: np.ndarray      # float32 [n, D]
    bucket: list               # [n] str or None: the analysed genre bucket
    genre: list                # [n] str or None: the file's own genre tag
    title: list                # [n] str or None
    artist: list               # [n] str or None

    def __len__(self) -> int:
        return len(self.track_ids)


def _tuples(conn: sqlite3.Connection, sql: str, params=()) -> list[tuple]:
    # Plain tuples: sqlite3.Row objects cost about twice as much per row at 100k rows.
    cur = conn.cursor()
    cur.row_factory = None
    return cur.execute(sql, params).fetchall()


class ListeningMixin:
    def play_columns(self, *, since: float | None = None) -> PlayColumns:
        """All plays (or those started at or after ``since``) as columns, oldest first."""
        ended_case = " ".join(f"WHEN '{e}' THEN {i}" for i, e in enumerate(ENDED_CODES))
        source_case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(SOURCE_CODES))
        rows = _tuples(
            self.conn,
            f"SELECT started_at, ms_heard, coalesce(track_ms, -1), CASE ended {ended_case} ELSE 0 END, "
            f"CASE source {source_case} ELSE 0 END, track_id, source = ?, {COUNTS_AS_PLAY} FROM plays "
            "WHERE started_at >= ? ORDER BY started_at, id",
            (IMPORT_SOURCE, -1e18 if since is None else since),
        )
        if not rows:
            table = np.zeros((0, 8), np.float64)
        else:
            table = np.array(rows, dtype=np.float64)
        track_ms = table[:, 2].copy()
        track_ms[track_ms < 0] = np.nan
        return PlayColumns(
            started_at=table[:, 0].copy(), ms_heard=table[:, 1].copy(), track_ms=track_ms,
            ended=table[:, 3].astype(np.int8), source=table[:, 4].astype(np.int8),
            track_id=table[:, 5].astype(np.int64), imported=table[:, 6] != 0, counted=table[:, 7] != 0,
        )

    def played_track_labels(self) -> dict[int, tuple[str | None, str | None, str | None, str | None, str,
                                                       float | None, bool | None]]:
        """``track_id -> (title, artist, genre, analysed bucket, path, duration, stand-in)`` for
        every track ever played (the bucket from the latest analysis, None where a track has
        none; stand-in: whether a CUE sheet's track's title only stands in for one, None for a
        file: see :func:`segue_common.normalize.stands_in`)."""
        rows = _tuples(
            self.conn,
            "SELECT t.id, t.title, coalesce(t.artist, t.albumartist), t.genre, f.bucket, t.path, t.duration, "
            "t.cue_sheet, t.match_key "
            "FROM tracks t LEFT JOIN track_features f ON f.track_id = t.id AND f.model_version = ? "
            "AND f.error IS NULL WHERE t.id IN (SELECT DISTINCT track_id FROM plays)",
            (self.served_feature_version(),))
        return {r[0]: (*r[1:7], None if r[7] is None else stands_in(r[1], r[7], r[8])) for r in rows}

    def map_points(self, model_version: str | None = None) -> MapPoints:
        """Present, readable tracks that have an embedding under ``model_version`` (default: the
        one served)."""
        version = model_version or self.served_feature_version()
        rows = _tuples(
            self.conn,
            "SELECT f.track_id, f.embedding, f.bucket, t.genre, t.title, coalesce(t.artist, t.albumartist) "
            "FROM track_features f JOIN tracks t ON t.id = f.track_id "
            "WHERE f.model_version = ? AND f.error IS NULL AND f.embedding IS NOT NULL AND t.missing = 0 "
            "AND t.last_error IS NULL "
            "ORDER BY f.track_id", (version,))
        if rows:
            width = len(rows[0][1]) // 2
            rows = [r for r in rows if len(r[1]) == 2 * width]      # a corrupt blob drops one point
        else:
            width = 0
        # One join and one conversion for all blobs instead of one array per track.
        emb = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f2").astype(np.float32)
        return MapPoints(
            track_ids=np.array([r[0] for r in rows], dtype=np.int64),
            embedding=emb.reshape(len(rows), width),
            bucket=[r[2] for r in rows], genre=[r[3] for r in rows],
            title=[r[4] for r in rows], artist=[r[5] for r in rows],
        )

    def log_plays(self, plays: Sequence[tuple[int, float, int, int | None, str, str]]) -> int:
        """Write finished plays in one transaction: ``(track_id, started_at, ms_heard, track_ms,
        ended, source)``, any order. Sessions follow the store's rule (a pause of
        ``SESSION_GAP_S`` after the last activity starts a new one); these plays never join
        a session already stored, which may lie anywhere in time. Returns how many."""
        rows = sorted(plays, key=lambda p: p[1])
        for p in rows:
            if p[4] not in ENDINGS:
                raise ValueError(f"unknown play ending {p[4]!r}; expected one of {ENDINGS}")
            if p[5] not in SOURCES:
                raise ValueError(f"unknown play source {p[5]!r}; expected one of {SOURCES}")
        with self.transaction() as conn:
            session, active = None, -1e18
            out = []
            for track_id, started, heard, track_ms, ended, source in rows:
                end = started + heard / 1000.0
                if session is None or started - active >= SESSION_GAP_S:
                    if session is not None:
                        conn.execute("UPDATE sessions SET last_active_at = max(last_active_at, ?) WHERE id = ?",
                                     (active, session))
                    session = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                           (started, end)).lastrowid
                active = max(active, end)
                out.append((track_id, session, started, int(heard), track_ms, ended, source, end))
            if session is not None:
                conn.execute("UPDATE sessions SET last_active_at = max(last_active_at, ?) WHERE id = ?",
                             (active, session))
            conn.executemany(
                "INSERT INTO plays (track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", out)
        return len(out)
