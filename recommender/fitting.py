"""Fitting the person's local models: WMF from the priors, AutoRec, the session model's item space.

Bounded so that a long history trains in minutes on a laptop: AutoRec is dense over
its columns, so it sees only the most played tracks and the latest sessions.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.catalog import Catalog
from recommender.stopping import ShouldStop, check

AUTOREC_MAX_ITEMS = 4000
AUTOREC_MAX_SESSIONS = 3000
SESSION_MAX_SESSIONS = 3000     # the GRU learns from the latest sessions (recent habits)


def fit_wmf(counts: sp.csr_matrix, init: np.ndarray, *, iterations: int, should_stop: ShouldStop = None):
    from recommender.models.wmf import WMF

    model = WMF(factors=init.shape[1], regularization=1.0, iterations=iterations)
    als = model._new_als()
    rng = np.random.default_rng(0)
    start = init.copy()
    cold = np.abs(start).sum(1) == 0
    start[cold] = rng.normal(0, 0.01, size=(int(cold.sum()), init.shape[1]))
    als.item_factors = start.astype(np.float32)
    check(should_stop)
    # implicit calls this after each ALS sweep; what it raises ends the fit there.
    als.fit(model.conf(counts), show_progress=False, callback=lambda *_: check(should_stop))
    model._als, model.n_items = als, counts.shape[1]
    played = np.asarray(counts.sum(0)).ravel() > 0
    items = np.asarray(als.item_factors, np.float32)
    items[~played] = init[~played]          # no local evidence: keep the prior
    model.item_factors = items
    als.item_factors = items
    return model


def most_played(counts: sp.csr_matrix) -> np.ndarray:
    """Sorted columns played in ``counts``, at most AUTOREC_MAX_ITEMS (the most played)."""
    col_counts = np.asarray(counts.sum(0)).ravel()
    played = np.flatnonzero(col_counts > 0)
    if len(played) > AUTOREC_MAX_ITEMS:
        played = np.sort(played[np.argsort(-col_counts[played], kind="stable")[:AUTOREC_MAX_ITEMS]])
    return played


def fit_autorec(counts: sp.csr_matrix, *, hidden: int = 128, should_stop: ShouldStop = None):
    from recommender.models.autorec import UAutoRec

    work = counts.shape[0] * counts.shape[1] * hidden
    steps_per_epoch = -(-counts.shape[0] // 64)
    epochs = int(np.clip(min(3e10 / max(work, 1), 400 / steps_per_epoch), 3, 30))
    return UAutoRec(hidden=hidden, epochs=epochs, batch=64, should_stop=should_stop).fit(counts)


def item_space(cat: Catalog):
    from recommender.models.session_base import ItemSpace

    side_mask = np.abs(cat.embedding).sum(1) > 0
    return ItemSpace(cat.n, cat.artist.astype(np.int64), max(len(cat.artist_names), 1),
                          cat.embedding if side_mask.any() else None, side_mask if side_mask.any() else None)
