"""Implicit feedback as sparse matrices: the app's plays and the shared research datasets.

Two sources feed the collaborative models:

- **The app's plays** (:func:`session_matrix`): one person, many listening sessions.
  Rows are sessions plus one aggregate row for the person (the last row); columns
  are tracks. A play adds to ``r`` by how much of it was heard; early skips
  (< 30 s or < 50 % of the track) add nothing to ``r`` and are counted apart;
  errors count as neither.
- **Research data** (:func:`load_hetrec`, :func:`load_msd`): user x item play
  counts from ``../shared/data`` (see its README for sources and terms).

Confidence follows the WMF paper of seed 004: ``c = 1 + alpha * log(1 + r / eps)``
(:func:`confidence`).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.normalize import match_key, normalize_name
from recommender.sessions import SESSION_GAP_S

SESSION_IDLE_S = SESSION_GAP_S   # the one session rule (recommender/sessions.py)
EARLY_SKIP_MS = 30_000
EARLY_SKIP_FRACTION = 0.5
# ``../shared/data`` next to the repository; SEGUE_SHARED_DATA overrides it.
DEFAULT_DATA_ROOT = Path(os.environ.get("SEGUE_SHARED_DATA")
                         or Path(__file__).resolve().parents[2] / "shared" / "data")


class DataError(ValueError):
    """Raised for input the loaders or matrix builders cannot use."""


def confidence(r, *, alpha: float = 2.0, eps: float = 1.0):
    """Seed-004 confidence ``1 + alpha * log(1 + r / eps)``.

    Parameters
    ----------
    r : np.ndarray or scipy.sparse matrix [shape=(n_users, n_items)]
        Non-negative play counts. For a sparse matrix only stored entries are
        transformed (implicit zeros stay zero), which is what ALS expects.
    alpha, eps : float
        Keyword-only hyper-parameters (alpha >= 0, eps > 0).

    Returns
    -------
    Same type and shape as ``r``, float32.
    """
    if alpha < 0 or eps <= 0:
        raise DataError(f"need alpha >= 0 and eps > 0, got alpha={alpha}, eps={eps}")
    if sp.issparse(r):
        out = sp.csr_matrix(r, dtype=np.float32, copy=True)
        if out.nnz and out.data.min() < 0:
            raise DataError("play counts must be non-negative")
        out.data = (1.0 + alpha * np.log1p(out.data / eps)).astype(np.float32)
        return out
    r = np.asarray(r, dtype=np.float32)
    if r.size and r.min() < 0:
        raise DataError("play counts must be non-negative")
    return (1.0 + alpha * np.log1p(r / eps)).astype(np.float32)


def play_weight(ms_heard: float | None, track_ms: float | None, ended: str) -> tuple[float, bool]:
    """What one play adds: ``(r, early_skip)``.

    A finished play adds 1. A play stopped or skipped after 30 s and half the track
    adds the fraction heard. Earlier skips add 0 to ``r`` and are flagged as early
    skips; errors (and still-playing rows) add nothing and are never skips.
    """
    if ended in ("error", "playing"):
        return 0.0, False
    if ended == "finished":
        return 1.0, False
    heard = float(ms_heard or 0)
    frac = heard / track_ms if track_ms else (1.0 if heard >= EARLY_SKIP_MS else 0.0)
    if heard < EARLY_SKIP_MS or frac < EARLY_SKIP_FRACTION:
        return 0.0, ended == "skipped"
    return float(min(frac, 1.0)), False


@dataclass(frozen=True)
class SessionMatrix:
    """Plays of one person as matrices [shape=(n_sessions + 1, n_items)].

    ``plays`` holds ``r`` (completion-weighted play counts), ``skips`` the early-skip
    counts; the last row aggregates all sessions (the person). ``session_ids`` are
    the row ids of the first ``n_sessions`` rows; ``item_ids`` the column ids.
    """

    plays: sp.csr_matrix
    skips: sp.csr_matrix
    session_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def person_row(self) -> int:
        return self.plays.shape[0] - 1

    def confidence(self, *, alpha: float = 2.0, eps: float = 1.0) -> sp.csr_matrix:
        """Seed-004 confidence of ``plays`` (stored entries only)."""
        m = self.plays.copy()
        m.eliminate_zeros()
        return confidence(m, alpha=alpha, eps=eps)


def _field(row, name, default=None):
    try:
        return row[name]
    except (KeyError, IndexError):
        return getattr(row, name, default)


def session_matrix(plays: Iterable[Mapping], *, item_ids: Iterable[int] | None = None,
                   idle_s: float = SESSION_IDLE_S) -> SessionMatrix:
    """Build :class:`SessionMatrix` from play rows (``store.plays()`` or dicts).

    Each row needs ``track_id``, ``started_at`` (unix s), ``ms_heard``, ``track_ms``,
    ``ended`` and optionally ``session_id``. Without a session id, a new session
    starts after ``idle_s`` seconds between play starts. ``item_ids`` fixes the
    columns (plays of other tracks are dropped); by default the tracks played, sorted.
    """
    rows = sorted(plays, key=lambda p: float(_field(p, "started_at", 0.0)))
    sessions: list = []
    last_t, auto = None, 0
    for p in rows:
        sid = _field(p, "session_id")
        t = float(_field(p, "started_at", 0.0))
        if sid is None:
            if last_t is None or t - last_t >= idle_s:
                auto += 1
            sid = f"auto{auto}"
        last_t = t
        sessions.append(sid)
    if item_ids is None:
        items = np.array(sorted({int(_field(p, "track_id")) for p in rows}), dtype=np.int64)
    else:
        items = np.asarray(list(item_ids), dtype=np.int64)
    col = {int(t): j for j, t in enumerate(items)}
    sess_order = list(dict.fromkeys(sessions))
    srow = {s: i for i, s in enumerate(sess_order)}
    person = len(sess_order)
    pr, pc, pv, kr, kc = [], [], [], [], []
    for p, sid in zip(rows, sessions):
        j = col.get(int(_field(p, "track_id")))
        if j is None:
            continue
        r, skip = play_weight(_field(p, "ms_heard"), _field(p, "track_ms"), str(_field(p, "ended", "")))
        if r > 0:
            pr += [srow[sid], person]
            pc += [j, j]
            pv += [r, r]
        if skip:
            kr += [srow[sid], person]
            kc += [j, j]
    shape = (person + 1, len(items))
    mplays = sp.csr_matrix((np.array(pv, np.float32), (pr, pc)), shape=shape, dtype=np.float32)
    mskips = sp.csr_matrix((np.ones(len(kr), np.float32), (kr, kc)), shape=shape, dtype=np.float32)
    mplays.sum_duplicates()
    mskips.sum_duplicates()
    return SessionMatrix(mplays, mskips, np.array([str(s) for s in sess_order]), items)


@dataclass(frozen=True)
class Dataset:
    """User x item play counts [shape=(n_users, n_items)] with ids and display names.

    ``item_keys`` are the normalised matching keys (``normalize_name(artist)`` for
    artists, ``match_key(artist, title)`` for songs; "" when unknown).
    """

    name: str
    counts: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_names: np.ndarray
    item_keys: np.ndarray

    def filtered(self, *, min_users_per_item: int = 2, min_items_per_user: int = 5) -> "Dataset":
        """Items with at least ``min_users_per_item`` users, then users with enough items."""
        x = self.counts
        keep_i = np.flatnonzero(np.diff(x.tocsc().indptr) >= min_users_per_item)
        x = x[:, keep_i]
        keep_u = np.flatnonzero(np.diff(x.indptr) >= min_items_per_user)
        x = sp.csr_matrix(x[keep_u])
        return Dataset(self.name, x, self.user_ids[keep_u], self.item_ids[keep_i],
                       self.item_names[keep_i], self.item_keys[keep_i])


def _read_tsv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    if not path.exists():
        raise DataError(f"missing data file {path}")
    text = path.read_bytes().decode(encoding)
    lines = text.replace("\r\n", "\n").split("\n")
    return [ln.split("\t") for ln in lines[1:] if ln.strip()]


def _counts(users: list, items: list, values: list, name: str, names: dict, keys: dict) -> Dataset:
    uids, ui = np.unique(np.array(users), return_inverse=True)
    iids, ii = np.unique(np.array(items), return_inverse=True)
    m = sp.csr_matrix((np.asarray(values, np.float32), (ui, ii)), shape=(len(uids), len(iids)))
    m.sum_duplicates()
    return Dataset(name, m, uids, iids,
                   np.array([names.get(i, "") for i in iids.tolist()], dtype=str),
                   np.array([keys.get(i, "") for i in iids.tolist()], dtype=str))


def load_hetrec(root: Path | str | None = None) -> Dataset:
    """HetRec 2011 Last.fm 2K: user -> artist listening counts, artists keyed by name."""
    root = Path(root or DEFAULT_DATA_ROOT / "hetrec2011-lastfm-2k")
    ua = _read_tsv(root / "user_artists.dat")
    artists = {int(r[0]): r[1] for r in _read_tsv(root / "artists.dat") if len(r) >= 2}
    keys = {a: normalize_name(n) for a, n in artists.items()}
    return _counts([int(r[0]) for r in ua], [int(r[1]) for r in ua], [float(r[2]) for r in ua],
                   "hetrec", artists, keys)


def load_hetrec_tags(root: Path | str | None = None, *, users=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HetRec user tags on artists: ``(artist_ids, tag_names, counts)``.

    ``counts`` [shape=(n_artists, n_tags)] is a CSR matrix of how many users put each
    tag (lower-cased, stripped; ``tags.dat`` is Latin-1) on each artist. ``users``
    (HetRec user ids) keeps only those users' tags: an evaluation must not let the
    held-out users' own tags describe the artists they are asked to rank.
    """
    root = Path(root or DEFAULT_DATA_ROOT / "hetrec2011-lastfm-2k")
    tags = {int(r[0]): r[1].strip().lower() for r in _read_tsv(root / "tags.dat", "latin-1")}
    uta = _read_tsv(root / "user_taggedartists.dat", "latin-1")
    if users is not None:
        keep = {int(u) for u in users}
        uta = [r for r in uta if int(r[0]) in keep]
    names = sorted(set(tags.values()))
    tcol = {n: j for j, n in enumerate(names)}
    a = np.array([int(r[1]) for r in uta])
    t = np.array([tcol[tags[int(r[2])]] for r in uta])
    aids, ai = np.unique(a, return_inverse=True)
    m = sp.csr_matrix((np.ones(len(a), np.float32), (ai, t)), shape=(len(aids), len(names)))
    m.sum_duplicates()
    return aids, np.array(names, dtype=str), m


def load_msd(root: Path | str | None = None) -> Dataset:
    """MSD Taste Profile sample: user -> song counts (``taste_profile_head.txt``).

    Song names and match keys come from ``taste_profile_sample_with_songs.csv``
    where that file covers the song (about 70 % of the plays); others have "".
    """
    root = Path(root or DEFAULT_DATA_ROOT / "msd_taste_sample")
    path = root / "taste_profile_head.txt"
    if not path.exists():
        raise DataError(f"missing data file {path}")
    rows = [ln.split("\t") for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    names, keys = song_metadata(root)
    return _counts([r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows],
                   "msd", {s: f"{a} - {t}" for s, (a, t) in names.items()}, keys)


def song_metadata(root: Path | str | None = None) -> tuple[dict, dict]:
    """``({song_id: (artist, title)}, {song_id: match_key})`` from the MSD sample CSV."""
    root = Path(root or DEFAULT_DATA_ROOT / "msd_taste_sample")
    text = (root / "taste_profile_sample_with_songs.csv").read_bytes().decode("utf-8", "replace")
    names, keys = {}, {}
    for r in csv.DictReader(io.StringIO(text)):
        names[r["song_id"]] = (r["artist_name"], r["title"])
        keys[r["song_id"]] = match_key(r["artist_name"], r["title"]) or ""
    return names, keys
