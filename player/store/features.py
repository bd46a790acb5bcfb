"""Per-track audio features: tags, embedding, bucket, MFCC summary, loudness, tempo.

Vectors are stored as little-endian float16 blobs. Every row carries the tagger's
``model_version`` (a checksum of its weights), so shipping a new model makes every track
"not analysed" again; a row with ``error`` set records a file that could not be decoded
and is skipped until asked to retry (or, where it failed for want of ffmpeg, until an
analysis job finds ffmpeg: :func:`player.analysis.forget_errors_ffmpeg_now_decodes`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np


def to_blob(x) -> bytes | None:
    return None if x is None else np.asarray(x, dtype="<f2").tobytes()


def from_blob(b: bytes | None) -> np.ndarray | None:
    return None if b is None else np.frombuffer(b, dtype="<f2").astype(np.float32)


@dataclass
class TrackFeatures:
    """Features of analysed tracks, row ``i`` belonging to ``track_ids[i]`` (float32 arrays)."""

    model_version: str | None
    track_ids: np.ndarray                      # int64 [n]
    tags: np.ndarray                           # [n, 50]
    embedding: np.ndarray                      # [n, D], rows L2-normalised
    mfcc: np.ndarray                           # [n, 78]
    loudness: np.ndarray                       # [n] dBFS, nan where unknown
    tempo: np.ndarray                          # [n] BPM, nan where unknown
    bucket: list = field(default_factory=list)  # [n] str or None

    def __len__(self) -> int:
        return len(self.track_ids)

    def index(self) -> dict[int, int]:
        """``track_id -> row``."""
        return {int(t): i for i, t in enumerate(self.track_ids)}


def _stack(blobs: list, width: int | None) -> np.ndarray:
    arrays = [from_blob(b) for b in blobs]
    width = width or next((len(a) for a in arrays if a is not None), 0)
    out = np.full((len(arrays), width), np.nan, np.float32)
    for i, a in enumerate(arrays):
        if a is not None and len(a) == width:
            out[i] = a
    return out


class FeaturesMixin:
    def tracks_to_analyse(self, model_version: str, *, retry_errors: bool = False) -> list:
        """Present, readable tracks with no features for ``model_version`` (id, path, genre,
        duration, channels, and the range of a CUE sheet's track).

        Tracks whose analysis failed under this version are left out unless ``retry_errors``.
        """
        error_clause = "" if retry_errors else " OR f.error IS NOT NULL"
        return self.execute(
            "SELECT t.id, t.path, t.genre, t.duration, t.channels, t.cue_start_s, t.cue_end_s FROM tracks t "
            "LEFT JOIN track_features f ON f.track_id = t.id AND f.model_version = ? "
            "WHERE t.missing = 0 AND t.last_error IS NULL "
            f"AND NOT (f.track_id IS NOT NULL AND (f.tags IS NOT NULL{error_clause})) "
            "ORDER BY t.id", (model_version,),
        ).fetchall()

    def save_features(self, rows: Sequence[dict]) -> None:
        """Upsert analysed tracks in one transaction. Keys: track_id, model_version, tags,
        embedding, bucket, mfcc, loudness, tempo (arrays are stored as float16)."""
        now = time.time()
        params = [
            (r["track_id"], r["model_version"], to_blob(r.get("tags")), to_blob(r.get("embedding")),
             r.get("bucket"), to_blob(r.get("mfcc")), r.get("loudness"), r.get("tempo"), now)
            for r in rows
        ]
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO track_features (track_id, model_version, tags, embedding, bucket, "
                "mfcc, loudness, tempo, analysed_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)", params)

    def save_feature_error(self, track_id: int, model_version: str, error: str) -> None:
        """Record that a track could not be analysed (it is skipped from then on)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO track_features (track_id, model_version, analysed_at, error) "
                "VALUES (?, ?, ?, ?)", (track_id, model_version, time.time(), str(error)[:1000]))

    def forget_feature_errors(self, error: str, *, channels: int | None = None) -> int:
        """Forget the stored analysis errors that read exactly ``error`` (with ``channels``, only
        those of tracks with that many channels or whose channels are not known): the next
        pass analyses those tracks again. Returns how many were forgotten."""
        sql, params = "DELETE FROM track_features WHERE error = ?", [error]
        if channels is not None:
            sql += " AND track_id IN (SELECT id FROM tracks WHERE channels IS NULL OR channels = ?)"
            params.append(int(channels))
        with self.transaction() as conn:
            return conn.execute(sql, params).rowcount

    def forget_features_of_multichannel(self) -> int:
        """Forget everything analysis stored of tracks of more than two channels (features
        and errors): the next pass analyses them again. Returns how many rows went."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM track_features WHERE track_id IN "
                                "(SELECT id FROM tracks WHERE channels > 2)").rowcount

    def forget_feature_errors_containing(self, words: str) -> int:
        """Forget the stored analysis errors whose text holds ``words`` (of every model version):
        the next pass analyses those tracks again. Returns how many were forgotten."""
        where = "WHERE error IS NOT NULL AND instr(error, ?) > 0"
        if self.execute(f"SELECT 1 FROM track_features {where} LIMIT 1", (words,)).fetchone() is None:
            return 0                # (asked at every pass: no write, nothing to wait for, when none)
        with self.transaction() as conn:
            return conn.execute(f"DELETE FROM track_features {where}", (words,)).rowcount

    def latest_feature_version(self) -> str | None:
        row = self.execute(
            "SELECT model_version FROM track_features WHERE error IS NULL "
            "ORDER BY analysed_at DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def served_feature_version(self) -> str | None:
        """The version whose features the recommender reads: the one that describes the most
        tracks (the newest of equals). While a new tagger re-analyses the library (hours on
        a CPU), each track's row of the old version is replaced as it goes, and the old one
        still describes most of the library until half of it is done: serving the new one
        alone would leave Radio's "sounds like" and Discover's genres to a few tracks."""
        row = self.execute(
            "SELECT model_version FROM track_features WHERE error IS NULL "
            "GROUP BY model_version ORDER BY count(*) DESC, max(analysed_at) DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def features(self, model_version: str | None = None, *, track_ids: Sequence[int] | None = None) -> TrackFeatures:
        """Analysed tracks' features, aligned with ``track_ids`` of the result (ascending id):
        those of the present, readable tracks (one that cannot be read now keeps its analysis
        for when it reads again, but is no song to offer).

        ``model_version`` None means the version served (:meth:`served_feature_version`).
        ``track_ids`` limits the rows (ids without features are simply absent).
        """
        version = model_version or self.served_feature_version()
        sql = ("SELECT f.track_id, f.tags, f.embedding, f.mfcc, f.loudness, f.tempo, f.bucket "
               "FROM track_features f JOIN tracks t ON t.id = f.track_id "
               "WHERE f.model_version = ? AND f.error IS NULL AND t.missing = 0 AND t.last_error IS NULL")
        rows = self.execute(sql + " ORDER BY f.track_id", (version,)).fetchall()
        if track_ids is not None:
            wanted = set(int(t) for t in track_ids)
            rows = [r for r in rows if r[0] in wanted]
        return TrackFeatures(
            model_version=version,
            track_ids=np.array([r[0] for r in rows], dtype=np.int64),
            tags=_stack([r[1] for r in rows], 50),
            embedding=_stack([r[2] for r in rows], None),
            mfcc=_stack([r[3] for r in rows], None),
            loudness=np.array([np.nan if r[4] is None else r[4] for r in rows], dtype=np.float32),
            tempo=np.array([np.nan if r[5] is None else r[5] for r in rows], dtype=np.float32),
            bucket=[r[6] for r in rows],
        )

    def feature_errors(self, model_version: str | None = None, *, present: bool = False) -> list:
        """(track_id, path, error) of tracks whose analysis failed; with ``present`` only
        those whose file is there and readable (the ones a person can do something about)."""
        sql = ("SELECT f.track_id, t.path, f.error FROM track_features f JOIN tracks t ON t.id = f.track_id "
               "WHERE f.error IS NOT NULL")
        if present:
            sql += " AND t.missing = 0 AND t.last_error IS NULL"
        params: tuple = ()
        if model_version:
            sql, params = sql + " AND f.model_version = ?", (model_version,)
        return self.execute(sql + " ORDER BY t.path", params).fetchall()

    def feature_counts(self, model_version: str) -> dict[str, int]:
        """``{"analysed", "errors", "pending"}`` for the present, readable tracks."""
        row = self.execute(
            "SELECT coalesce(sum(f.tags IS NOT NULL AND f.error IS NULL), 0), "
            "coalesce(sum(f.error IS NOT NULL), 0), count(*) FROM tracks t "
            "LEFT JOIN track_features f ON f.track_id = t.id AND f.model_version = ? "
            "WHERE t.missing = 0 AND t.last_error IS NULL", (model_version,)).fetchone()
        return {"analysed": row[0], "errors": row[1], "pending": row[2] - row[0] - row[1]}
