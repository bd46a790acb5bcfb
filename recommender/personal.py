"""Up next's weights learned from one person's own plays: what they keep or skip of what
Segue offers, and (for research) what they pick themselves.

Up next blends named evidence (:data:`recommender.rank.SIGNALS`) with default weights
that suit people on average. Two kinds of the person's plays say how much each kind
of evidence is worth *for them*:

- **Their own picks** (library, search, their own queue): the track they chose next is
  a choice among everything they could have played. A conditional-logit (softmax)
  model over a pool of candidates (the top of every signal, and the pick) fits how the
  signals should be weighed to put their picks first. Only picks of tracks they had
  listened to before count: the person's own evidence cannot point to a first listen.
- **Segue's offers** (Up next, Radio, Discover), kept or skipped early. What Segue
  offered says how Segue ranks, not what the person would pick, so an offer is never
  a "next track" target; but whether they kept it is evidence about them: among the
  tracks Segue offered, the signals of those they kept against those they skipped
  (each measured against the candidates Segue was choosing from at the time) say which
  evidence predicts a keep. A logistic model of keep vs skip fits that. This is what
  someone who only ever lets Up next keep going teaches Segue. A history without play
  sources (imported from another player) has picks only.

Both models share one set of corrections to the default weights, ``delta`` (per signal,
in the signal's own units; the ranker adds it to its defaults). The corrections start
at zero and are held there by a Gaussian prior (an L2 pull towards the defaults). Only
the direction of the weights matters for a ranking, so each model also fits how sharply
the default blend itself separates (a scale), and the corrections are what the person
shows beyond it.

A likelihood is not a ranking: a fit can buy the odd pick far down the list with the
top of it. So the strength of the prior (and how much of the fit to apply) is chosen by
fitting on all but the latest evidence and ranking the latest, and the corrections are
kept only where that beats the defaults clearly (offers alone, which are less easily
flattered, more loosely); otherwise the defaults stand (``{}``).

The trainer learns from offers only (``learn_weights(picks=False)``). Learning from picks
as well was measured on 21 real people's listening logs, where every play is a pick:
trained/untrained MRR@20 1.005x over all of them, 0.993x over the people it was not tuned
on (recommender/SESSIONS.md), so it costs a training's time for nothing the person would
notice; the research harness can still turn it on.

Every piece of evidence is ranked as the app would have ranked it: as of the start of
its session, with every play before it and the session's listened tracks and skips so
far. Local models are not used (the session GRU and WMF were trained on these very
plays, so their signals would look better here than on new plays); the ranker applies
the corrections to the signals it computes live. Pure numpy and scipy: the trainer runs
it, the window only reads the corrections from the run's manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.calibrate import signal_matrix, signal_tops
from recommender.metrics import top_k
from recommender.stopping import ShouldStop, check

#: Signals whose weight is learned (the session model's is not: see the module's note).
LEARNED = ("sequence", "neighbours", "together", "artists_together", "recent", "fresh", "artist", "album",
           "taste", "factors", "sound", "genre")
#: From Segue's offers alone (what the trainer learns from), also the weight of the person's
#: artists: whether they keep what is by the artists they play, or tire of them, is what
#: offers show and Up next's defaults cannot know (``rank.Recommender.up_next_weights``).
OFFER_LEARNED = LEARNED + ("artist_taste",)
MAX_SESSIONS = 150        # the latest sessions with evidence that are replayed
MAX_CHOICES = 600         # the latest picks kept
MAX_OFFERS = 1200         # the latest offers kept
POOL_PER_SIGNAL = 40      # a pick's pool: the top of every signal, the pick...
BACKGROUND = 60           # ...and this many other candidates drawn at random
OFFER_POOL = 50           # an offer is measured against the top of the blend it was chosen from
PRIOR = 30.0              # strength of the pull towards the defaults (precision, per standardised weight)
PRIORS = (30.0, 100.0, 300.0)   # the strengths tried against the person's latest evidence
SHRINK = (0.5, 1.0)       # ...and how much of each fit is applied
HOLDOUT = 0.3             # the latest share of the evidence that judges them
CONFIDENCE = 2.0          # ...and must beat the defaults there by this many standard errors to be used
# Offers alone are judged more loosely. A softmax over picks can flatter the odd pick far
# down the list, which is what the strong pull guards against; keeps and skips are each a
# yes or no about one track near the top. And a person who only lets Up next play gives
# a few hundred offers in their first weeks: a strong pull teaches Segue nothing they feel.
OFFER_PRIORS = (3.0, 10.0, 30.0)
OFFER_CONFIDENCE = 0.5
MIN_EVIDENCE = 20         # picks + offers (with at least one keep and one skip) before anything is fitted


@dataclass
class Evidence:
    """What was gathered from the plays, in the signals' own units.

    choices: list of (X [m, s] signals of a pick's pool, index of the pick in it)
    offers: O [o, s] an offer's signals minus the mean of its candidates'; y [o] 1 kept, 0 skipped
    base: the default weights [s] the evidence was gathered with
    """

    names: list[str]
    choices: list[tuple[np.ndarray, int]]
    offers: np.ndarray
    y: np.ndarray
    base: np.ndarray

    @property
    def n(self) -> int:
        return len(self.choices) + len(self.y)


def gather(rec, *, max_sessions: int = MAX_SESSIONS, picks: bool = True,
           should_stop: ShouldStop = None) -> Evidence:
    """Picks (with ``picks``) and offers from the person's latest sessions (``rec``: a
    recommender over their catalogue; its plays are the history, replayed as of each
    session's start).

    A play is a pick when :meth:`recommender.catalog.PlayLog.chosen` says the person chose
    it, it was listened to, and a listened track came before it in the session (a first
    track has no context to follow). It is an offer when Segue picked it and it was
    listened to or skipped early. A history without sources (imported from another
    player) has picks only: what another player queued says nothing about Segue's offers.

    Replaying the sessions takes seconds on a long history (5 s for the 150 sessions of a
    generated 20,000-play one): ``should_stop`` is asked before each session
    (:mod:`recommender.stopping`).
    """
    from recommender.rank import SIGNALS

    cat = rec.catalog
    plays = cat.plays
    names = list(SIGNALS)
    empty = Evidence(names, [], np.zeros((0, len(names)), np.float32), np.zeros(0, np.float32),
                     np.zeros(len(names)))
    if len(plays) < 2:
        return empty
    fb = cat.play_feedback
    chosen = cat.play_chosen
    offered = ~chosen
    if not picks:
        chosen = np.zeros(len(plays), bool)
    sid = plays.session_id
    useful = (fb != 0) & (chosen | offered)
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    ends = np.r_[starts[1:], len(plays)]
    sessions = [(a, b) for a, b in zip(starts, ends) if useful[a:b].any() and a > 0][-max_sessions:]
    w0 = rec.up_next_weights(personal=False)
    base = np.array([w0.get(n, 0.0) for n in names], np.float64)
    choices: list[tuple[np.ndarray, int]] = []
    rng = np.random.default_rng(0)
    offers, ys = [], []
    for a, b in sessions:
        check(should_stop)
        start = float(plays.started_at[a])
        as_of = rec.with_plays(plays.subset(np.arange(len(plays)) < a), now=start)
        c = as_of.catalog
        kept: list[int] = []
        skipped: list[int] = []
        for i in range(a, b):
            r = int(c.row(int(plays.track_id[i])))
            if r < 0 or fb[i] == 0:
                continue
            if r in kept or r in skipped:
                continue
            # A track never listened to before is a discovery: the person's own evidence
            # (what they played, after what) cannot point to it, so it says nothing about
            # how to weigh that evidence.
            pick = bool(chosen[i] and fb[i] > 0 and kept and c.play_count[r] > 0)
            offer = bool(offered[i] and (kept or not chosen[i]))
            if pick or offer:
                k = np.asarray(kept, np.int64)
                sig = as_of.up_next_signals(k, kept[-1] if kept else -1)
                allowed = np.ones(c.n, bool)
                allowed[k] = False
                allowed[np.asarray(skipped, np.int64)] = False
                allowed[r] = True
                cand = np.flatnonzero(allowed)
                if len(cand) > 1:
                    X = signal_matrix(sig, names)
                    if pick:
                        choices.append(_pick_pool(X, sig, cand, r, rng))
                    if offer:
                        blend = X[cand] @ base
                        # Tied blends (a library not analysed, nothing played yet) are taken
                        # in a fixed order, not the one the processor's partition leaves.
                        top = cand[top_k(blend, OFFER_POOL)]
                        offers.append(X[r] - X[top].mean(0))
                        ys.append(1.0 if fb[i] > 0 else 0.0)
            (kept if fb[i] > 0 else skipped).append(r)
    O = np.array(offers, np.float32).reshape(-1, len(names))[-MAX_OFFERS:]
    return Evidence(names, choices[-MAX_CHOICES:], O, np.array(ys, np.float32)[-MAX_OFFERS:], base)


def _pick_pool(X: np.ndarray, sig: dict, cand: np.ndarray, target: int, rng) -> tuple[np.ndarray, int]:
    # The tops of the signals alone would hide what a weight turned against a signal lifts:
    # the tracks low on everything, which are most of the library.
    pool = signal_tops(sig, cand, POOL_PER_SIGNAL)
    pool.update([int(target), *rng.choice(cand, min(BACKGROUND, len(cand)), replace=False).tolist()])
    rows = np.fromiter(sorted(pool), np.int64)
    return X[rows], int(np.searchsorted(rows, target))


def fit(ev: Evidence, *, prior: float = PRIOR, learned=LEARNED, temperature: bool = True) -> dict[str, float]:
    """Corrections to the default weights (signal -> delta in the signal's units) that
    maximise the likelihood of the picks (softmax over each pool) and of the keeps and
    skips (logistic over the offers) under a Gaussian prior of precision ``prior`` per
    standardised weight centred on no change. ``temperature``: the picks' model also fits
    a scale of the default blend, and the corrections are divided by it (a ranking only
    sees the direction of the weights). ``{}`` with too little evidence."""
    from scipy.optimize import minimize

    names = ev.names
    has_offers = len(ev.y) > 0 and 0 < ev.y.sum() < len(ev.y)
    if len(ev.choices) + (len(ev.y) if has_offers else 0) < MIN_EVIDENCE:
        return {}
    free = [k for k, n in enumerate(names) if n in learned]
    # Standardise each signal by its spread over the evidence, so that one prior fits all.
    parts = [x for x, _ in ev.choices] + ([ev.offers] if has_offers else [])
    stacked = np.concatenate(parts).astype(np.float64)
    scale = stacked.std(0)
    free = [k for k in free if scale[k] > 1e-6]
    if not free:
        return {}
    sc = scale[free]
    base = ev.base
    pools = []
    if ev.choices:
        m = max(len(x) for x, _ in ev.choices)
        Xc = np.zeros((len(ev.choices), m, len(names)))
        mask = np.zeros((len(ev.choices), m), bool)
        tgt = np.zeros(len(ev.choices), np.int64)
        for i, (x, t) in enumerate(ev.choices):
            Xc[i, :len(x)], mask[i, :len(x)], tgt[i] = x, True, t
        pools = [(Xc, mask, tgt)]
    O = ev.offers.astype(np.float64) if has_offers else np.zeros((0, len(names)))
    y = ev.y.astype(np.float64) if has_offers else np.zeros(0)
    o_base = O @ base
    Of = O[:, free] / sc
    nf = len(free)
    if pools:
        c_base = pools[0][0] @ base                     # the default blend of every pool member
        c_free = pools[0][0][..., free] / sc

    def objective(theta):
        beta = theta[:nf]
        nll, g = 0.0, np.zeros_like(theta)
        if pools:
            Xc, mask, tgt = pools[0]
            c = theta[nf + 2] if temperature else 1.0
            s = np.where(mask, c * c_base + c_free @ beta, -np.inf)
            smax = s.max(1, keepdims=True)
            e = np.exp(s - smax)
            z = e.sum(1, keepdims=True)
            p = e / z
            q = np.arange(len(tgt))
            nll -= float((s[q, tgt] - smax[:, 0] - np.log(z[:, 0])).sum())
            g[:nf] -= (c_free[q, tgt] - np.einsum("qm,qms->qs", p, np.where(mask[..., None], c_free, 0.0))).sum(0)
            if temperature:
                g[nf + 2] -= float((c_base[q, tgt] - (p * np.where(mask, c_base, 0.0)).sum(1)).sum())
        if len(y):
            a, tau = theta[nf], theta[nf + 1]
            logit = a + tau * o_base + Of @ beta
            pr = 1.0 / (1.0 + np.exp(-logit))
            nll -= float((y * _log_sig(logit) + (1 - y) * _log_sig(-logit)).sum())
            r = pr - y
            g[:nf] += Of.T @ r
            g[nf] += r.sum()
            g[nf + 1] += (r * o_base).sum()
        nll += 0.5 * prior * float(beta @ beta)
        g[:nf] += prior * beta
        return nll, g

    theta0 = np.zeros(nf + 3)
    theta0[nf + 2] = 1.0
    bounds = [(None, None)] * (nf + 2) + [(0.05, None)]
    got = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
    beta = got.x[:nf] / sc
    if pools and temperature:
        beta = beta / got.x[nf + 2]
    # A correction may silence a kind of evidence for this person, never turn it against a
    # track (the repeat push is a push either way).
    beta = np.array([d if names[k] == "fresh" else max(d, -base[k]) for k, d in zip(free, beta)])
    return {names[k]: round(float(d), 5) for k, d in zip(free, beta) if abs(d) > 1e-6}


def _log_sig(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _split(ev: Evidence, share: float) -> tuple[Evidence, Evidence]:
    """The evidence before and after its latest ``share`` (picks and offers each in time order)."""
    kc = len(ev.choices) - int(round(share * len(ev.choices)))
    ko = len(ev.y) - int(round(share * len(ev.y)))
    early = Evidence(ev.names, ev.choices[:kc], ev.offers[:ko], ev.y[:ko], ev.base)
    late = Evidence(ev.names, ev.choices[kc:], ev.offers[ko:], ev.y[ko:], ev.base)
    return early, late


def judge(ev: Evidence, deltas: dict[str, float]) -> np.ndarray:
    """How well the default weights plus ``deltas`` rank each piece of ``ev``, from 0 to 2:
    a pick's HR@20 + MRR@20 in its pool; an offer's share of the offers of the other kind
    (skipped for a kept one, kept for a skipped one) that it is ranked the right side of,
    doubled."""
    w = ev.base.copy()
    for name, d in deltas.items():
        w[ev.names.index(name)] += d
    parts = []
    if ev.choices:
        # Ties count half (a weight that lumps many tracks together with the pick gets no credit for it).
        ranks = np.array([float((s > s[t]).sum() + 0.5 * ((s == s[t]).sum() - 1))
                          for s, t in ((x @ w, t) for x, t in ev.choices)])
        parts.append((ranks < 20) + np.where(ranks < 20, 1.0 / (ranks + 1), 0.0))
    if len(ev.y) and 0 < ev.y.sum() < len(ev.y):
        s = ev.offers @ w
        kept, skipped = s[ev.y > 0], s[ev.y == 0]
        right = (kept[:, None] > skipped[None, :]) + 0.5 * (kept[:, None] == skipped[None, :])
        parts += [2 * right.mean(1), 2 * right.mean(0)]
    return np.concatenate(parts) if parts else np.zeros(0)


def choose(ev: Evidence) -> dict[str, float]:
    """Corrections for this person, or ``{}``. How strongly to pull towards the defaults
    (and how much of the fit to apply) is chosen by fitting on all but the latest evidence
    and ranking the latest with each choice, as Up next would have; the best is used, refit
    on everything, only if its gain over the defaults there is ``CONFIDENCE`` standard
    errors clear of nothing (offers alone: the ``OFFER_`` settings). A likelihood fit can
    flatter the odd picks far down the list at the expense of the top, and a few dozen
    picks are a noisy judge: this keeps only what ranks the person's next picks better,
    clearly."""
    early, late = _split(ev, HOLDOUT)
    if early.n < MIN_EVIDENCE or late.n < MIN_EVIDENCE // 2:
        return {}
    if ev.choices:
        priors, confidence, learned = PRIORS, CONFIDENCE, LEARNED
    else:
        priors, confidence, learned = OFFER_PRIORS, OFFER_CONFIDENCE, OFFER_LEARNED
    plain = judge(late, {})
    best, chosen = 0.0, None
    for prior in priors:
        d = fit(early, prior=prior, learned=learned)
        for f in SHRINK:
            gain = judge(late, {k: f * v for k, v in d.items()}) - plain
            if len(gain) < 2:
                continue                # nothing (or one piece) of the latest evidence to judge by
            spread = gain.std(ddof=1) / np.sqrt(len(gain))
            if gain.mean() > best and gain.mean() > confidence * spread:
                best, chosen = gain.mean(), (prior, f)
    if chosen is None:
        return {}
    d = fit(ev, prior=chosen[0], learned=learned)
    return {k: round(chosen[1] * v, 5) for k, v in d.items()}


def learn_weights(cat, *, picks: bool = False, should_stop: ShouldStop = None) -> dict:
    """What the trainer stores for Up next: ``upnext_weight_deltas`` (signal -> correction
    to the default weight) and how much evidence it came from (``upnext_picks``,
    ``upnext_offers``, ``upnext_offers_kept``), left out with too little evidence or when no
    correction ranks the person's latest keeps (and, with ``picks``, picks) better than the
    defaults; and, once Segue has offered anything right after a kept track, how readily
    the person keeps an offer that stays with its artist, as Up next measures it at every
    play (``upnext_artist_stay``, :attr:`recommender.rank.Recommender.artist_stay`, with its
    counts), for the window's summary of what was learned. ``should_stop``: as :func:`gather`."""
    from recommender.rank import Recommender

    rec = Recommender(cat)
    n_s, k_s, n_o, k_o = cat.artist_stays
    stay = {"upnext_artist_stay": round(rec.artist_stay, 4), "upnext_stay_offers": n_s, "upnext_stay_kept": k_s,
            "upnext_move_offers": n_o, "upnext_move_kept": k_o} if n_s + n_o else {}
    ev = gather(rec, picks=picks, should_stop=should_stop)
    deltas = choose(ev)
    if not deltas:
        return stay
    return {**stay, "upnext_weight_deltas": deltas, "upnext_picks": len(ev.choices),
            "upnext_offers": int(len(ev.y)), "upnext_offers_kept": int(ev.y.sum())}
