"""Research: a non-linear re-ranker of Up next's blend, learned from the person's own picks.

Up next blends per-signal scores linearly (:meth:`recommender.rank.Recommender._blend`).
Here small MLPs (three, averaged), fitted on the person's own earlier sessions, add a correction to the
blend of its top ``TOP`` candidates: ``score = blend + g(x)``, with ``x`` the candidate's
per-signal scores, the blend and its rank, the candidate's play and skip counts, the days
since it was last played, the session's length so far, and whether its artist is already
in the session. ``g`` is trained with a listwise (softmax) loss over each pick's top
``TOP`` (a pick: a listened play, with a listened track before it in its session, of a
track listened to before and not yet in the session, whose blend rank was within the
top), starting from ``g = 0`` (the last layer's weights are zero), and is used only where
a fit on the older 75 % of the picks ranks the latest 25 % better than the blend alone
(MRR@20 within the pools) by ``CONFIDENCE`` standard errors; the epoch count is chosen there too, then refitted on all.

Everything comes from the person's plays before the session being ranked: each past
session is replayed as of its start (:meth:`Recommender.with_plays`), as
``recommender/personal.py`` does, and what a session gives is cached (it depends only on
the plays before it). The evaluation's hook: ``evaluate people --rerank`` adds the
ranker "segue up next, reranked" (the untrained ranker plus this) beside the untrained one.
Settings for research runs come from ``RERANK_*`` environment variables (``_env``).

Measured on the dev people's validation periods only (latest 5,000 listened plays,
``--people dev --validation --no-radio --no-train --rerank --models ""``; untrained
0.3335 / 0.1642 on the same queries; refits every 200 plays):

| variant | HR@20 | MRR@20 |
|---|---:|---:|
| one MLP, used where its held-out MRR@20 beats the blend's at all | 0.3394 (1.018x) | 0.1653 (1.007x) |
| 3 MLPs averaged, used where 1 standard error ahead | 0.3418 (1.025x) | 0.1675 (1.020x) |
| the same, 2 standard errors (best) | 0.3434 (1.030x) | 0.1690 (1.030x) |
| the same, 400 past sessions and 5,000 picks (``RERANK_MAX_SESSIONS=400 RERANK_MAX_POOLS=5000``) | 0.3486 (1.045x) | 0.1698 (1.034x) |
| 2 standard errors, 150 sessions, a linear correction (``RERANK_LINEAR=1``) | 0.3455 (1.036x) | 0.1674 (1.020x) |
| 1 SE, re-ranking after the skip push, with skip features (``RERANK_SKIPS=1``) | 0.3402 (1.020x) | 0.1632 (0.994x) |
| item2vec (no re-ranker, ``RERANK_OFF=1``) at weight 0.05 / 0.15 / 0.3 / 0.5 / 1.5 | 0.3328 / 0.3314 / 0.3315 / 0.3244 / 0.2981 | 0.1641 / 0.1645 / 0.1638 / 0.1626 / 0.1528 |

Most of the gain is one person (p1f4d69, MRR@20 0.0655 -> 0.1067, 0.1206 with 400 sessions;
the other nine move +0.0001 on average), whose fit turns
against what was played lately (``recent``, ``fresh``) and against the session's artists;
a linear correction on the same pools finds most of it. Below the 1.05x that would have
justified a run on the test periods, so none was made.
"""

from __future__ import annotations

import time

import numpy as np

from recommender.calibrate import signal_matrix
from recommender.rank import SIGNALS, Recommender
from recommender.research.eval_upnext import UpNextRanker

RERANKED = "segue up next, reranked"
TOP = 100             # the blend's top that is re-ranked
MAX_SESSIONS = 150    # past sessions replayed at the first fit
MAX_POOLS = 3000      # the latest picks fitted on
MIN_POOLS = 60        # picks before anything is fitted
HOLDOUT = 0.25        # the latest share of picks that judges the fit
HIDDEN = 32
MAX_EPOCHS = 300
CHECK_EVERY = 10
PATIENCE = 60          # epochs without a better held-out MRR@20 before the search stops
WEIGHT_DECAY = 1e-3
LR = 0.01
CONFIDENCE = 2.0      # held-out MRR@20 gain must exceed this many standard errors for the fit to be used
DAY = 86400.0


def features(rec: Recommender, sig: dict, base: np.ndarray, top: np.ndarray, kept: np.ndarray,
             pen=None, skips: np.ndarray | None = None) -> np.ndarray:
    """``[len(top), f]`` float32 features of candidate rows ``top`` (ordered by ``base``, best first);
    with ``SKIPS`` (research), also the session's skip push ``pen`` and its skips' artists."""
    cat = rec.catalog
    X = signal_matrix(sig, SIGNALS, top)
    b = base[top].astype(np.float32)
    rank = np.log1p(np.arange(len(top), dtype=np.float32))
    pc = np.log1p(cat.play_count[top])
    sc = np.log1p(cat.skip_count[top])
    now = rec.now if getattr(rec, "now", None) is not None else float(cat.last_played.max())
    last = cat.last_played[top]
    days = np.where(last > 0, np.log1p(np.maximum(now - last, 0.0) / DAY), 10.0).astype(np.float32)
    n_kept = np.full(len(top), np.log1p(len(kept)), np.float32)
    arts = cat.artist[kept] if len(kept) else np.zeros(0, np.int64)
    in_sess = (np.isin(cat.artist[top], arts) & (cat.artist[top] >= 0)).astype(np.float32)
    gap = b - b[0]
    cols = [X, b, gap, rank, pc, sc, days, n_kept, in_sess]
    if _env("SKIPS", 0):
        sk = skips if skips is not None else np.zeros(0, np.int64)
        p = np.asarray(pen, np.float32)[top] if isinstance(pen, np.ndarray) else np.zeros(len(top), np.float32)
        sa = cat.artist[sk]
        n_art = np.array([(sa == a).sum() if a >= 0 else 0 for a in cat.artist[top]], np.float32)
        cols += [p, np.log1p(n_art), np.full(len(top), np.log1p(len(sk)), np.float32)]
    return np.column_stack(cols).astype(np.float32)


def _top(base: np.ndarray, banned: np.ndarray, k: int = TOP) -> np.ndarray:
    s = base.astype(np.float64).copy()
    s[banned] = -np.inf
    ok = np.isfinite(s).sum()
    k = min(k, int(ok))
    if k <= 0:
        return np.zeros(0, np.int64)
    top = np.argpartition(-s, k - 1)[:k]
    return top[np.argsort(-s[top], kind="stable")]


class Reranker:
    """``g(x)``: the mean of ``SEEDS`` standardised MLPs, added to the blend."""

    def __init__(self, mean, std, state, linear: bool = False):
        self.mean, self.std, self.state, self.linear = mean, std, state, linear

    def delta(self, X: np.ndarray) -> np.ndarray:
        W1, b1, W2, b2 = self.state                      # [S,f,H], [S,1,H], [S,H,1], [S,1,1]
        h = np.einsum("nf,sfh->snh", (X - self.mean) / self.std, W1) + b1
        h = h if self.linear else np.tanh(h)
        return (np.einsum("snh,sho->sno", h, W2) + b2).mean(0).ravel().astype(np.float32)


def _env(name, default):
    import os

    v = os.environ.get("RERANK_" + name)
    return type(default)(v) if v is not None else default


def _tensors(pools):
    import torch

    m = max(len(x) for x, _ in pools)
    f = pools[0][0].shape[1]
    X = np.zeros((len(pools), m, f), np.float32)
    mask = np.zeros((len(pools), m), bool)
    t = np.zeros(len(pools), np.int64)
    for i, (x, j) in enumerate(pools):
        X[i, :len(x)], mask[i, :len(x)], t[i] = x, True, j
    return torch.from_numpy(X), torch.from_numpy(mask), torch.from_numpy(t)


def _rr(logits, mask, t):
    """Reciprocal rank within the top 20 (0 beyond) of each pool's pick. [shape=(q,)]"""
    import torch

    s = logits.masked_fill(~mask, -float("inf"))
    rank = (s > s.gather(1, t[:, None])).sum(1)
    return torch.where(rank < 20, 1.0 / (rank + 1).float(), torch.zeros_like(rank, dtype=torch.float))


def _train(pools, epochs: int | None, base_col: int, hold=None):
    """Fit ``SEEDS`` MLPs on ``pools``; with ``hold``, return (best epoch, the held-out
    reciprocal ranks of the mean correction there, and of the blend alone)."""
    import torch

    seeds, hidden, linear = _env("SEEDS", 3), _env("HIDDEN", HIDDEN), bool(_env("LINEAR", 0))
    torch.manual_seed(0)
    X, mask, t = _tensors(pools)
    flat = X[mask]
    mean, std = flat.mean(0), flat.std(0) + 1e-4
    f = X.shape[2]
    W1 = (torch.randn(seeds, f, hidden) / np.sqrt(f)).requires_grad_()
    b1 = torch.zeros(seeds, 1, hidden, requires_grad=True)
    W2 = torch.zeros(seeds, hidden, 1, requires_grad=True)
    b2 = torch.zeros(seeds, 1, 1, requires_grad=True)
    opt = torch.optim.Adam([W1, b1, W2, b2], lr=_env("LR", LR), weight_decay=_env("WD", WEIGHT_DECAY))

    def deltas(Xb):             # [S, q, m]
        Z = ((Xb - mean) / std).reshape(-1, f)
        h = torch.einsum("nf,sfh->snh", Z, W1) + b1
        h = h if linear else torch.tanh(h)
        return (torch.einsum("snh,sho->sno", h, W2) + b2).reshape(seeds, *Xb.shape[:2])

    if hold is not None:
        Xh, mh, th = _tensors(hold)
        plain = _rr(Xh[..., base_col], mh, th)
        best = (0, float(plain.mean()), plain)
    n_ep = epochs if epochs is not None else MAX_EPOCHS
    for ep in range(1, n_ep + 1):
        opt.zero_grad()
        s = (X[..., base_col][None] + deltas(X)).masked_fill(~mask[None], -float("inf"))
        loss = torch.nn.functional.cross_entropy(s.reshape(-1, s.shape[-1]), t.repeat(seeds)) * seeds
        loss.backward()
        opt.step()
        if hold is not None and ep % CHECK_EVERY == 0:
            with torch.no_grad():
                rr = _rr(Xh[..., base_col] + deltas(Xh).mean(0), mh, th)
            if float(rr.mean()) > best[1]:
                best = (ep, float(rr.mean()), rr)
            elif ep - best[0] >= PATIENCE:
                break
    if hold is not None:
        return best[0], best[2].numpy(), plain.numpy()
    state = tuple(p.detach().numpy().copy() for p in (W1, b1, W2, b2))
    return Reranker(mean.numpy(), std.numpy(), state, linear)


def fit(pools: list) -> tuple[Reranker | None, dict]:
    """A re-ranker for these picks (oldest first), or None where it does not rank the latest
    better than the blend by ``CONFIDENCE`` standard errors (paired over the picks)."""
    import torch

    torch.set_num_threads(1)
    pools = pools[-_env("MAX_POOLS", MAX_POOLS):]
    info = {"pools": len(pools)}
    if len(pools) < MIN_POOLS:
        return None, info
    base_col = len(SIGNALS)
    k = len(pools) - int(round(HOLDOUT * len(pools)))
    ep, rr, plain = _train(pools[:k], None, base_col, hold=pools[k:])
    gain = rr - plain
    se = float(gain.std(ddof=1) / np.sqrt(len(gain)))
    info.update({"epochs": ep, "held_mrr": round(float(rr.mean()), 4), "held_mrr_blend": round(float(plain.mean()), 4),
                 "se": round(se, 4)})
    if ep == 0 or gain.mean() <= _env("CONFIDENCE", CONFIDENCE) * se:
        return None, info
    return _train(pools, ep, base_col), info


def item2vec(sessions: list[np.ndarray], n: int, *, dim: int = 32, window: int = 3, negatives: int = 5,
             epochs: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """Skip-gram with negative sampling over the person's own sessions (catalogue rows of their
    listened plays, in order; pairs within ``window`` steps either way, a repeat of one track
    left out). Returns (input vectors [n, dim], output vectors [n, dim]); rows never played
    keep zero output vectors (no score). None with too few pairs."""
    import torch

    torch.set_num_threads(1)
    a, b = [], []
    for seq in sessions:
        for d in range(1, window + 1):
            if len(seq) > d:
                x, y = seq[:-d], seq[d:]
                keep = x != y
                a += [x[keep], y[keep]]
                b += [y[keep], x[keep]]
    if not a:
        return None
    a, b = np.concatenate(a), np.concatenate(b)
    if len(a) < 200:
        return None
    counts = np.bincount(np.concatenate(sessions), minlength=n).astype(np.float64) ** 0.75
    noise = torch.from_numpy(counts / counts.sum())
    g = torch.Generator().manual_seed(seed)
    V = torch.nn.Embedding(n, dim)
    U = torch.nn.Embedding(n, dim)
    torch.nn.init.uniform_(V.weight, -0.5 / dim, 0.5 / dim, generator=g)
    torch.nn.init.zeros_(U.weight)
    opt = torch.optim.Adam(list(V.parameters()) + list(U.parameters()), lr=_env("I2V_LR", 0.02))
    A, B = torch.from_numpy(a), torch.from_numpy(b)
    batch = 2048
    for _ in range(_env("I2V_EPOCHS", epochs)):
        order = torch.randperm(len(A), generator=g)
        for k in range(0, len(A), batch):
            idx = order[k:k + batch]
            v, u = V(A[idx]), U(B[idx])
            neg = U(torch.multinomial(noise, len(idx) * negatives, replacement=True, generator=g)
                    .reshape(len(idx), negatives))
            pos = torch.nn.functional.logsigmoid((v * u).sum(1))
            ng = torch.nn.functional.logsigmoid(-(neg @ v[:, :, None]).squeeze(-1)).sum(1)
            loss = -(pos + ng).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return V.weight.detach().numpy().copy(), U.weight.detach().numpy().copy()


class RerankRecommender(Recommender):
    """Up next with the blend's top re-ranked by ``reranker`` (None: as the plain ranker)."""

    reranker: Reranker | None = None
    i2v: tuple | None = None          # (input, output) item2vec vectors of the catalogue's rows
    i2v_weight = 0.0
    _rr_kept = np.zeros(0, np.int64)

    _rr_skips = np.zeros(0, np.int64)
    _rr_streak = 0

    def up_next_signals(self, kept, tail=-1):
        self._rr_kept = np.asarray(kept, np.int64)
        return super().up_next_signals(kept, tail)

    def up_next(self, session_track_ids, k, *, exclude=(), skipped=(), streak=None, never=()):
        rows = self.catalog.rows(skipped)
        self._rr_skips = rows[rows >= 0]
        if streak is None:
            sess = self.catalog.rows(session_track_ids)
            streak = 0
            for r in sess[::-1]:
                if not np.isin(r, self._rr_skips):
                    break
                streak += 1
        self._rr_streak = streak
        return super().up_next(session_track_ids, k, exclude=exclude, skipped=skipped, streak=streak, never=never)

    def _skip_penalty(self, skip_rows, streak=0, **session):
        # With SKIPS the push is folded into the blend the re-ranker sees (``_blend``).
        if _env("SKIPS", 0) and self.reranker is not None:
            return 0.0
        return super()._skip_penalty(skip_rows, streak, **session)

    def i2v_scores(self, kept: np.ndarray) -> np.ndarray | None:
        """The item2vec score of every row after the session's latest kept rows (0.6 per step back)."""
        if self.i2v is None or not len(kept):
            return None
        V, U = self.i2v
        last = kept[-3:][::-1]
        ctx = (V[last] * (0.6 ** np.arange(len(last)))[:, None]).sum(0)
        from recommender.rank import _z

        return _z(U @ ctx)

    def _blend(self, signals):
        base = super()._blend(signals)
        kept = self._rr_kept
        if self.i2v_weight and self.i2v is not None:
            extra = self.i2v_scores(kept)
            if extra is not None:
                base = base + np.float32(self.i2v_weight * self.trust) * extra
        if self.reranker is None:
            return base
        pen = None
        if _env("SKIPS", 0):
            pen = Recommender._skip_penalty(self, self._rr_skips, self._rr_streak)
            base = base - pen
        top = _top(base, kept)
        if not len(top):
            return base
        out = base.copy()
        out[top] = base[top] + self.reranker.delta(features(self, signals, base, top, kept, pen, self._rr_skips))
        return out


class RerankedUpNext(UpNextRanker):
    """The untrained ranker, plus a re-ranker refitted from the person's own earlier sessions
    once ``refit_plays`` new plays have come (at a session's start)."""

    name = "segue-up-next-reranked"

    def __init__(self, log, *, refit_plays: int = 200, **kw):
        kw["retrain_plays"] = None
        super().__init__(log, **kw)
        self.refit_plays = refit_plays
        self._pools: dict[int, list] = {}      # session -> its picks' pools
        self._fitted_at = -1
        self._model: Reranker | None = None
        self.i2v_weight = _env("I2V", 0.0)   # research: item2vec as an extra signal (weight at full trust)
        self._i2v = None

    def _session_recommender(self, s: int):
        from recommender.local_models import load_models

        if s == self._session and self._rec is not None:
            return self._rec
        start, end = int(self._session_start[s]), int(self._session_end[s])
        n = int(self._known_after[end - 1])
        cat = self._catalog(n, start)
        rec = RerankRecommender(cat, load_models(self._root, cat), config=self.config,
                                now=float(self.log.times[start]))
        if self._fitted_at < 0 or start - self._fitted_at >= self.refit_plays:
            t0 = time.perf_counter()
            info = {}
            if self.i2v_weight:
                self._i2v = item2vec(self._own_sessions(cat, start), cat.n)
            if _env("OFF", 0):
                self._model = None
            else:
                self._gather(rec, s)
                pools = [p for k in sorted(self._pools) if k < s for p in self._pools[k]]
                self._model, info = fit(pools)
            info.update({"session": s, "used": self._model is not None, "s": round(time.perf_counter() - t0, 2)})
            self.fitted.append(info)         # reported as the trainings are
            self.trainings += 1
            self.train_s += time.perf_counter() - t0
            self._fitted_at = start
        rec.reranker = self._model
        if self.i2v_weight and self._i2v is not None:
            V, U = self._i2v
            pad = cat.n - len(V)
            rec.i2v = (V, U) if pad <= 0 else (np.pad(V, ((0, pad), (0, 0))), np.pad(U, ((0, pad), (0, 0))))
            rec.i2v_weight = self.i2v_weight
        self._rec, self._session = rec, s
        return rec

    def _own_sessions(self, cat, start: int) -> list[np.ndarray]:
        """Catalogue rows of the listened plays of every session that began before log position ``start``."""
        out = []
        for k in np.flatnonzero(self._session_start < start):
            a, b = int(self._session_start[k]), min(int(self._session_end[k]), start)
            pos = np.arange(a, b)
            pos = pos[~self.log.skipped[pos]]
            rows = cat.rows(self.log.items[pos] + 1)
            rows = rows[rows >= 0]
            if len(rows) > 1:
                out.append(rows)
        return out

    def _gather(self, rec: RerankRecommender, s: int) -> None:
        """Picks' pools of the sessions before ``s`` not yet replayed (the latest MAX_SESSIONS)."""
        log = self.log
        for k in range(max(0, s - _env("MAX_SESSIONS", MAX_SESSIONS)), s):
            if k in self._pools:
                continue
            a, b = int(self._session_start[k]), int(self._session_end[k])
            got: list = []
            self._pools[k] = got
            if a == 0 or b - a < 2:
                continue
            as_of = rec.with_plays(self.plays.subset(np.arange(len(self.plays)) < a), now=float(log.times[a]))
            as_of.reranker = None
            c = as_of.catalog
            kept: list[int] = []
            skipped: list[int] = []
            streak = 0
            for i in range(a, b):
                r = int(c.row(int(log.items[i]) + 1))
                if r < 0:
                    continue
                if log.skipped[i]:
                    skipped.append(r)
                    streak += 1
                    continue
                if kept and r not in kept and c.play_count[r] > 0:
                    k_rows = np.asarray(kept, np.int64)
                    sig = as_of.up_next_signals(k_rows, kept[-1])
                    base = Recommender._blend(as_of, sig)
                    pen, sk = None, np.asarray(skipped, np.int64)
                    if _env("SKIPS", 0):
                        pen = Recommender._skip_penalty(as_of, sk, streak)
                        base = base - pen
                    top = _top(base, np.asarray(kept + skipped, np.int64))
                    hit = np.flatnonzero(top == r)
                    if len(hit):
                        got.append((features(as_of, sig, base, top, k_rows, pen, sk), int(hit[0])))
                streak = 0
                if r not in kept:
                    kept.append(r)

    def close(self) -> None:
        super().close()


def summary(path: str) -> str:
    """Reranked against untrained, per group and per person, from ``evaluate people --rerank --json``."""
    import json

    from recommender.research.eval_upnext import UNTRAINED

    d = json.load(open(path, encoding="utf-8"))
    recs = {r["person"]: r for r in d["records"]}
    dev = set(d["dev_people"])
    lines = []
    groups = {"all": sorted(recs), "dev": sorted(p for p in recs if p in dev),
              "held out": sorted(p for p in recs if p not in dev)}
    for label, ps in groups.items():
        if not ps:
            continue
        m = {k: {name: float(np.mean([recs[p]["results"][name][k] for p in ps])) for name in (UNTRAINED, RERANKED)}
             for k in ("HR@20", "MRR@20")}
        lines.append(f"{label} ({len(ps)}): HR@20 {m['HR@20'][RERANKED]:.4f} / {m['HR@20'][UNTRAINED]:.4f} untrained "
                     f"({m['HR@20'][RERANKED] / m['HR@20'][UNTRAINED]:.3f}x); MRR@20 {m['MRR@20'][RERANKED]:.4f} / "
                     f"{m['MRR@20'][UNTRAINED]:.4f} ({m['MRR@20'][RERANKED] / m['MRR@20'][UNTRAINED]:.3f}x)")
    for p in sorted(recs):
        r = recs[p]
        fits = r["segue"][RERANKED]["fitted"]
        used = sum(f.get("used", False) for f in fits)
        a, b = r["results"][RERANKED], r["results"][UNTRAINED]
        lines.append(f"  {p}{'*' if p in dev else ' '} q={r['n_queries']:5d} HR {a['HR@20']:.4f}/{b['HR@20']:.4f} "
                     f"MRR {a['MRR@20']:.4f}/{b['MRR@20']:.4f} d={a['MRR@20'] - b['MRR@20']:+.4f} "
                     f"fits used {used}/{len(fits)} pools {fits[-1].get('pools', 0) if fits else 0} "
                     f"fit s {r['segue'][RERANKED]['train_s']:.0f} wall {r['wall_s']:.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(summary(sys.argv[1]))
