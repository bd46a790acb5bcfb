"""The library by sound: tagger embeddings projected to 2-D (no Qt).

The projection is PCA: the two directions along which the library's embeddings vary
most. It is linear, deterministic, needs nothing beyond numpy and places 100,000
tracks in well under a second (the covariance is estimated on a fixed sample of at
most ``fit_rows`` tracks, then every track is projected). Non-linear maps (t-SNE,
UMAP) separate clusters better but cost minutes at this size or a large dependency,
and they move every point when one track is added; PCA moves points only as the
library's overall spread changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from player.listening_stats import genre_name, week_starts
from segue_common.listening import FUTURE_SLACK_S
from segue_common.text import in_name_order

#: Colours are given to this many genres, largest first; the rest share "Other".
MAX_GENRES = 11
OTHER = "Other"


def project(embedding: np.ndarray, *, fit_rows: int = 20_000, seed: int = 0) -> np.ndarray:
    """Coordinates [shape=(n, 2)] float32 of each row of ``embedding`` [shape=(n, d)].

    Rows with NaN are placed at the centre. Each axis's sign is fixed (its largest
    loading positive) so the same library always gives the same picture.
    """
    x = np.nan_to_num(np.asarray(embedding, dtype=np.float32))
    n = x.shape[0]
    if n == 0 or x.ndim != 2 or x.shape[1] == 0:
        return np.zeros((n, 2), np.float32)
    rng = np.random.default_rng(seed)
    sample = x if n <= fit_rows else x[np.sort(rng.choice(n, fit_rows, replace=False))]
    mean = sample.mean(axis=0)
    centred = sample - mean
    cov = (centred.T @ centred) / max(len(sample) - 1, 1)
    values, vectors = np.linalg.eigh(cov.astype(np.float64))
    top = vectors[:, np.argsort(values)[::-1][:2]]
    if top.shape[1] < 2:
        top = np.pad(top, ((0, 0), (0, 2 - top.shape[1])))
    signs = np.sign(top[np.abs(top).argmax(axis=0), [0, 1]])
    top = (top * np.where(signs == 0, 1, signs)).astype(np.float32)
    return (x - mean) @ top


def points_in_polygon(xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Which points [shape=(n, 2)] lie inside ``polygon`` [shape=(m, 2)] (even-odd rule).

    Vectorised over points, one pass per edge; points outside the polygon's bounding
    box are rejected first, so a small lasso over 100,000 points is cheap.
    """
    xy = np.asarray(xy, dtype=np.float64)
    poly = np.asarray(polygon, dtype=np.float64)
    inside = np.zeros(len(xy), dtype=bool)
    if len(poly) < 3 or len(xy) == 0:
        return inside
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    cand = np.flatnonzero((xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1]))
    px, py = xy[cand, 0], xy[cand, 1]
    result = np.zeros(len(cand), dtype=bool)
    x0, y0 = poly[-1]
    for x1, y1 in poly:
        crosses = (y1 > py) != (y0 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (x0 - x1) * (py - y1) / (y0 - y1) + x1
        result ^= crosses & (px < at)
        x0, y0 = x1, y1
    inside[cand] = result
    return inside


def nearest(xy: np.ndarray, point, *, scale=(1.0, 1.0), max_dist: float = np.inf) -> int:
    """Row of the point nearest ``point``, distances measured after multiplying x and y by
    ``scale`` (pixels per unit, so the hit radius is in pixels); -1 if none is within ``max_dist``."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) == 0:
        return -1
    d2 = ((xy[:, 0] - point[0]) * scale[0]) ** 2 + ((xy[:, 1] - point[1]) * scale[1]) ** 2
    i = int(np.argmin(d2))
    return i if d2[i] <= max_dist * max_dist else -1


@dataclass
class SoundMap:
    """What the sound map draws, row ``i`` belonging to ``track_ids[i]``."""

    track_ids: np.ndarray      # int64 [n]
    xy: np.ndarray             # float32 [n, 2]
    genre: np.ndarray          # int64 [n] codes into ``genre_names``
    genre_names: list          # most common first; "Other" last when present
    title: list                # [n] str or None
    artist: list               # [n] str or None
    this_week: np.ndarray      # bool [n]: played since this week's Monday

    def __len__(self) -> int:
        return len(self.track_ids)

    def row_of(self, track_id: int | None) -> int:
        """Row of ``track_id``, or -1 when it has no point."""
        if track_id is None or len(self.track_ids) == 0:
            return -1
        i = int(np.searchsorted(self.track_ids, track_id))
        return i if i < len(self.track_ids) and self.track_ids[i] == track_id else -1


def genre_codes(buckets: list, genres: list, *, max_genres: int = MAX_GENRES) -> tuple[np.ndarray, list]:
    """Colour codes: the ``max_genres`` most common genre names, the rest as "Other"."""
    names = [genre_name(b, g) for b, g in zip(buckets, genres)]
    if not names:
        return np.zeros(0, np.int64), []
    unique, inverse, counts = np.unique(np.array(names, dtype=object), return_inverse=True, return_counts=True)
    # (most common first, those of one count as the library sorts names)
    by_name = np.empty(len(unique), np.int64)
    by_name[in_name_order(unique.tolist())] = np.arange(len(unique))
    order = np.lexsort((by_name, -counts))
    kept = order[:max_genres] if len(order) > max_genres else order
    code_of = np.full(len(unique), len(kept), np.int64)
    code_of[kept] = np.arange(len(kept))
    labels = [str(unique[i]) for i in kept] + ([OTHER] if len(order) > len(kept) else [])
    return code_of[inverse.reshape(-1)], labels


def build_map(points, week_ids, *, seed: int = 0) -> SoundMap:
    """A :class:`SoundMap` from the store's :class:`player.store.MapPoints`."""
    codes, names = genre_codes(points.bucket, points.genre)
    ids = np.asarray(points.track_ids, dtype=np.int64)
    return SoundMap(track_ids=ids, xy=project(points.embedding, seed=seed), genre=codes, genre_names=names,
                    title=points.title, artist=points.artist,
                    this_week=np.isin(ids, np.fromiter(week_ids, np.int64)))


def week_track_ids(store, *, now: float | None = None) -> set[int]:
    """Tracks played since this week's Monday (local time), by the plays that count (not a
    failed one, nor one ended before it was heard). Not those of plays ahead of
    now: logged while the clock ran ahead (a year, say, and since put right), they were
    heard some other week, and would stay "this week" until that day came, as the
    Listening charts leave them out."""
    now = time.time() if now is None else now
    monday = float(week_starts(np.array([now]))[0])
    cols = store.play_columns(since=monday)
    return set(cols.track_id[cols.counted & (cols.started_at <= now + FUTURE_SLACK_S)].tolist())


def load_map(store, *, now: float | None = None) -> SoundMap:
    """Read embeddings and this week's plays, and project (call it on a worker)."""
    return build_map(store.map_points(), week_track_ids(store, now=now))
