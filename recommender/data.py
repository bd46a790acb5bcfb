"""The app's plays as sparse matrices for the collaborative models.

:func:`session_matrix`: one person, many listening sessions. Rows are sessions plus
one aggregate row for the person (the last row); columns are tracks. A play adds to
``r`` by how much of it was heard; early skips (< 30 s or < 50 % of the track) add
nothing to ``r`` and are counted apart; errors count as neither.

Confidence is ``c = 1 + alpha * log(1 + r / eps)`` (:func:`confidence`): a log scale,
so the hundredth play of a favourite adds far less certainty than the second play
of a new track.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from segue_common.listening import EARLY_SKIP_MS, SESSION_GAP_S, early_skip_limit_ms


class DataError(ValueError):
    """Raised for input the matrix builders cannot use."""


def confidence(r, *, alpha: float = 2.0, eps: float = 1.0):
    """Confidence of implicit feedback, ``1 + alpha * log(1 + r / eps)``.

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

    A finished play adds 1. A play stopped or skipped after 30 s and half the track (or
    four minutes of a longer one, see :func:`~segue_common.listening.early_skip_limit_ms`)
    adds the fraction heard. Earlier skips add 0 to ``r`` and are flagged as early
    skips; errors (and still-playing rows) add nothing and are never skips.
    """
    if ended in ("error", "playing"):
        return 0.0, False
    if ended == "finished":
        return 1.0, False
    heard = float(ms_heard or 0)
    if heard < (early_skip_limit_ms(track_ms) if track_ms else EARLY_SKIP_MS):
        return 0.0, ended == "skipped"
    return float(min(heard / track_ms, 1.0)) if track_ms else 1.0, False


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
        """Confidence of ``plays`` (stored entries only)."""
        m = self.plays.copy()
        m.eliminate_zeros()
        return confidence(m, alpha=alpha, eps=eps)


def _field(row, name, default=None):
    try:
        return row[name]
    except (KeyError, IndexError):
        return getattr(row, name, default)


def session_matrix(plays: Iterable[Mapping], *, item_ids: Iterable[int] | None = None,
                   idle_s: float = SESSION_GAP_S) -> SessionMatrix:
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
