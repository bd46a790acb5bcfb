"""Up next fitted to one person: how much each kind of evidence counts for them.

People differ. Some play albums and familiar sequences, so what followed a track
before is the best guess for what follows it now; others play from a few playlists
in any order (what past sessions like this one held says more), replay what they
have been playing lately, or stay with an artist. :meth:`recommender.rank.Recommender.up_next`
blends that evidence (:data:`recommender.rank.SIGNALS`) with weights; the defaults
suit the people the ranker was tuned on, and this module fits them to one person.

:func:`calibrate_up_next` replays the person's latest 20% of sessions: each query
(a next play the person chose, with a listened predecessor in its session) is ranked
as of the start of its session, with every play before it, as the app would. The
local models it is given must not have seen those sessions (the trainer passes its
held-out session GRU and WMF factors). For each query the signals of a pool of
candidates (the top of every signal, and the target) are kept, and the weights are
searched one at a time on a grid around the defaults for the best HR@20 + MRR@20 of
the blend; a change must gain at least :data:`MIN_GAIN` to be taken and lose nothing
on the earlier or the later half of the sessions, so a few lucky queries do not move them. The trainer stores the weights in the run's manifest and
the ranker reads them from there (:class:`recommender.rank.Recommender`). Too little
history: nothing is fitted and the defaults stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.metrics import top_k
from recommender.stopping import ShouldStop, check

HELD_FRAC = 0.2
MAX_QUERIES = 600
POOL_PER_SIGNAL = 60          # candidates kept per signal and query
MIN_GAIN = 0.01               # HR@20 + MRR@20 a weight change must add on the held-out queries
MULTIPLIERS = (0.0, 0.25, 0.5, 2.0, 4.0)   # tried for each weight, times its current value
FITTED = ("sequence", "neighbours", "together", "session", "recent", "fresh", "artist", "factors", "taste")


def signal_tops(sig: dict, cand: np.ndarray, per_signal: int) -> set[int]:
    """The rows of ``cand`` at the top of every signal of ``sig`` (a pool of candidates worth
    ranking): ``per_signal + 1`` of each, or all of ``cand`` when it is shorter.

    Most signals are 0 for most of the library, so the cut falls among equal values;
    ``argpartition`` would leave which of them are taken to the processor (a block at one
    end of the library, another block on a machine without AVX-512) and the fitted weights
    would differ between machines. ``top_k`` takes the tied ones in a fixed scrambled order."""
    top = min(per_signal, len(cand) - 1)
    pool: set[int] = set()
    for v in sig.values():
        pool.update(cand[top_k(np.asarray(v[cand], np.float32), top + 1)].tolist())
    return pool


def signal_matrix(sig: dict, names, rows: np.ndarray | None = None) -> np.ndarray:
    """``[len(rows), len(names)]`` float32: the signals ``names`` of catalogue ``rows`` (every
    row when None); a signal missing from ``sig`` is 0."""
    n = len(next(iter(sig.values()))) if rows is None else len(rows)
    x = np.zeros((n, len(names)), np.float32)
    for k, name in enumerate(names):
        if name in sig:
            x[:, k] = sig[name] if rows is None else sig[name][rows]
    return x


def held_out_sessions(cat, *, held_frac: float = HELD_FRAC, min_sessions: int = 5) -> set | None:
    """Ids of the latest ``held_frac`` of the person's sessions (at least one); None with
    fewer than ``min_sessions`` sessions. The trainer's held-out session model and this
    calibration leave out the same sessions."""
    p = cat.plays
    sids = list(dict.fromkeys(p.session_id.tolist()))      # plays are oldest first
    if len(p) < 2 or len(sids) < min_sessions:
        return None
    return set(sids[-max(1, int(len(sids) * held_frac)):])


def held_out_queries(cat, *, held_frac: float = HELD_FRAC, max_queries: int = MAX_QUERIES, min_sessions: int = 5):
    """``(plays before the held-out sessions, [(prefix track ids, target id, session start, skipped ids), ...])``.

    Queries are every listened play with a listened predecessor in its held-out
    session, first plays of a track in the session only, that the person picked
    themselves (:meth:`recommender.catalog.PlayLog.chosen`: what Segue queued says how
    Segue ranks, not how the person listens; fitting to it would feed on itself), the
    latest ``max_queries`` of them. The prefix is the session's listened tracks before
    the target, the skips those skipped before it. None without enough sessions.
    """
    held = held_out_sessions(cat, held_frac=held_frac, min_sessions=min_sessions)
    if held is None:
        return None
    p = cat.plays
    in_held = np.isin(p.session_id, list(held))
    t_split = float(p.started_at[in_held].min())
    fb = cat.play_feedback
    chosen = cat.play_chosen
    queries = []
    for sid in dict.fromkeys(p.session_id[in_held].tolist()):
        idx = np.flatnonzero(p.session_id == sid)
        start = float(p.started_at[idx].min())
        seen: list[int] = []
        skipped: list[int] = []
        for i in idx:
            t = int(p.track_id[i])
            if fb[i] < 0:
                skipped.append(t)
                continue
            if fb[i] == 0 or t in seen:
                continue
            if seen and chosen[i]:
                queries.append((list(seen), t, start, list(skipped)))
            seen.append(t)
    return p.subset(p.started_at < t_split), queries[-max_queries:]


@dataclass
class SignalPools:
    """Per held-out query, the signals of a pool of candidates [q, m, s] (``mask``: real
    entries) and the pool index of the target (-1: not in the pool, a miss whatever
    the weights)."""

    names: list[str]
    X: np.ndarray
    mask: np.ndarray
    target: np.ndarray
    fold: np.ndarray | None = None     # 0/1 per query: the earlier and the later half of the sessions

    def metrics(self, w: np.ndarray, which: np.ndarray | None = None) -> tuple[float, float]:
        """HR@20 and MRR@20 of the blend with weights ``w`` (a tie goes against the target),
        over the queries ``which`` (bool, default all)."""
        X, mask, target = self.X, self.mask, self.target
        if which is not None:
            X, mask, target = X[which], mask[which], target[which]
        if not len(target):
            return 0.0, 0.0
        s = np.where(mask, X @ w, -np.inf)
        ok = target >= 0
        t = np.where(ok, s[np.arange(len(s)), np.maximum(target, 0)], np.inf)
        rank = (s >= t[:, None]).sum(1)
        hit = ok & (rank <= 20)
        return float(hit.mean()), float(np.where(hit, 1.0 / np.maximum(rank, 1), 0.0).mean())


def signal_pools(rec, queries, *, should_stop: ShouldStop = None) -> SignalPools:
    """Signal pools for ``queries`` (:func:`held_out_queries`), each ranked as of the start
    of its session by ``rec`` (a recommender over the person's catalogue; its plays are
    replaced by those before each session, so nothing later is seen). ``should_stop`` is
    asked before each query (:mod:`recommender.stopping`)."""
    from recommender.rank import SIGNALS

    plays = rec.catalog.plays
    by_start: dict[float, list] = {}
    for prefix, target, start, skipped in queries:
        by_start.setdefault(start, []).append((prefix, target, skipped))
    blocks, targets, folds = [], [], []
    for k_session, (start, group) in enumerate(by_start.items()):
        as_of = rec.with_plays(plays.subset(plays.started_at < start), now=start)
        cat = as_of.catalog
        for prefix, target, skipped in group:
            check(should_stop)
            kept = cat.rows(prefix)
            kept = kept[kept >= 0]
            sig = as_of.up_next_signals(kept, int(kept[-1]) if len(kept) else -1)
            allowed = np.ones(cat.n, bool)
            allowed[kept] = False
            allowed[cat.rows(skipped)[cat.rows(skipped) >= 0]] = False
            cand = np.flatnonzero(allowed)
            if not len(cand):
                continue
            pool = signal_tops(sig, cand, POOL_PER_SIGNAL)
            t_row = cat.row(target)
            if t_row >= 0 and allowed[t_row]:
                pool.add(t_row)
            rows = np.fromiter(sorted(pool), np.int64)
            blocks.append(signal_matrix(sig, SIGNALS, rows))
            folds.append(int(2 * k_session >= len(by_start)))
            targets.append(int(np.searchsorted(rows, t_row)) if t_row >= 0 and allowed[t_row] else -1)
    m = max((len(b) for b in blocks), default=1)
    X = np.zeros((len(blocks), m, len(SIGNALS)), np.float32)
    mask = np.zeros((len(blocks), m), bool)
    for i, b in enumerate(blocks):
        X[i, :len(b)] = b
        mask[i, :len(b)] = True
    return SignalPools(list(SIGNALS), X, mask, np.asarray(targets, np.int64), np.asarray(folds, np.int64))


def fit_weights(pools: SignalPools, w0: dict[str, float], *, fitted=FITTED, rounds: int = 2,
                min_gain: float = MIN_GAIN) -> tuple[dict[str, float], float, float]:
    """Coordinate search from the weights ``w0``: each weight in ``fitted`` tried at
    :data:`MULTIPLIERS` times its value (a zero weight at small absolute values); a change
    is kept when HR@20 + MRR@20 gains ``min_gain`` over all queries and loses nothing on
    either half of the sessions (``pools.fold``, the earlier and the later): a change
    only one half likes is chance, or a habit that has already changed. Returns
    (weights, start score, score)."""
    names = pools.names
    w = np.array([w0.get(n, 0.0) for n in names], np.float64)
    halves = [pools.fold == f for f in (0, 1)] if pools.fold is not None else []

    def score(v):
        v = v.astype(np.float32)
        return sum(pools.metrics(v)), [sum(pools.metrics(v, h)) for h in halves]

    start, start_halves = score(w)
    best, best_halves = start, start_halves
    for _ in range(rounds):
        changed = False
        for name in fitted:
            k = names.index(name)
            base = w[k] if w[k] != 0 else 0.5
            for mult in MULTIPLIERS + ((1.0,) if w[k] == 0 else ()):
                trial = w.copy()
                trial[k] = base * mult
                got, got_halves = score(trial)
                if got > best + min_gain and all(g >= b for g, b in zip(got_halves, best_halves)):
                    best, best_halves, w, changed = got, got_halves, trial, True
        if not changed:
            break
    return dict(zip(names, (float(x) for x in w))), start, best


def calibrate_up_next(cat, *, session=None, session_weight: float = 1.0, item_factors=None,
                      min_queries: int = 30, should_stop: ShouldStop = None, **split) -> dict:
    """The weights of Up next's evidence that best predict this person's held-out next plays.

    ``session``: a next-track scorer ``fn(prefix_rows) -> [n]`` over ``cat``'s rows and
    ``item_factors`` [shape=(n, f)]: local models trained without the held-out sessions
    (the trainer's held-out GRU and WMF), so they are judged on plays they never saw.
    Returns ``{}`` without enough history, else ``upnext_fitted_weights`` (signal -> weight),
    the held-out ``upnext_hr@20`` / ``upnext_mrr@20`` for them and for the defaults
    (``upnext_default_hr@20``, ``upnext_default_mrr@20``), and ``upnext_queries``.
    ``should_stop`` is asked before each held-out query (:mod:`recommender.stopping`).
    """
    from recommender.rank import Models, Recommender

    got = held_out_queries(cat, **split)
    if got is None or len(got[1]) < min_queries:
        return {}
    before, queries = got
    models = Models(session=session, weights={"session": session_weight}, item_factors=item_factors)
    rec = Recommender(cat, models)
    pools = signal_pools(rec, queries, should_stop=should_stop)
    # The defaults as they stand for this person just before the held-out sessions.
    w0 = rec.with_plays(before).up_next_weights()
    if session is not None and not w0.get("session"):
        w0["session"] = 0.0
    weights, start, best = fit_weights(pools, w0)
    hr, mrr = pools.metrics(np.array([weights[n] for n in pools.names], np.float32))
    dhr, dmrr = pools.metrics(np.array([w0.get(n, 0.0) for n in pools.names], np.float32))
    return {"upnext_fitted_weights": {k: round(v, 4) for k, v in weights.items()}, "upnext_hr@20": hr,
            "upnext_mrr@20": mrr, "upnext_default_hr@20": dhr, "upnext_default_mrr@20": dmrr,
            "upnext_queries": len(queries)}
