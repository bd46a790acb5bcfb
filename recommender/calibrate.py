"""Up next fitted to one person: how much their own "what follows what" should count.

People differ. Some play albums and familiar sequences, so what followed a track
before is the best guess for what follows it now; others wander. On the shared
Last.fm 1K log, sequential rules alone reach HR@20 0.61; the ranker with its default
weights 0.37, calibrated as below 0.61 (``python -m recommender.evaluate upnext``,
recommender/SESSIONS.md).

:func:`calibrate_up_next` replays the person's latest 20% of sessions through
:meth:`recommender.rank.Recommender.up_next`, each ranked with every play before it
(as the app would), for a small grid of sequence weight x repeat push (x session-GRU
blend, given a GRU trained without those sessions; the other local models have seen
them and stay out), and keeps the setting with the best HR@20 + MRR@20 on the plays
the person chose themselves (the defaults on a tie; repeats removed, as Up next never
repeats a session track). The trainer stores it in the run's manifest and the ranker
reads it from there (:class:`recommender.rank.Recommender`). Too little history:
nothing is chosen and the defaults stay.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from recommender.metrics import hit_rate_at_k, mrr_at_k

SEQUENCE_WEIGHTS = (1.0, 2.0, 4.0, 8.0)
SESSION_BLENDS = (0.0, 0.5)
REPEAT_PUSHES = (2.0, 0.5)     # how hard Up next holds back tracks played in the last days
HELD_FRAC = 0.2


def held_out_sessions(cat, *, held_frac: float = HELD_FRAC, min_sessions: int = 5) -> set | None:
    """Ids of the latest ``held_frac`` of the person's sessions (at least one); None with
    fewer than ``min_sessions`` sessions. The trainer's held-out session model and this
    calibration leave out the same sessions."""
    p = cat.plays
    sids = list(dict.fromkeys(p.session_id.tolist()))      # plays are oldest first
    if len(p) < 2 or len(sids) < min_sessions:
        return None
    return set(sids[-max(1, int(len(sids) * held_frac)):])


def held_out_queries(cat, *, held_frac: float = HELD_FRAC, max_queries: int = 200, min_sessions: int = 5):
    """``(plays before the held-out sessions, [(prefix track ids, target id, session start), ...])``.

    Queries are every listened play with a listened predecessor in its held-out
    session, first plays of a track in the session only, that the person picked
    themselves (:meth:`recommender.catalog.PlayLog.chosen`: what Segue queued says how
    Segue ranks, not how the person listens; fitting to it would feed on itself), the
    latest ``max_queries`` of them. None without enough sessions (:func:`held_out_sessions`).
    """
    held = held_out_sessions(cat, held_frac=held_frac, min_sessions=min_sessions)
    if held is None:
        return None
    p = cat.plays
    in_held = np.isin(p.session_id, list(held))
    t_split = float(p.started_at[in_held].min())
    listened = p.feedback() > 0
    chosen = p.chosen()
    queries = []
    for sid in dict.fromkeys(p.session_id[in_held].tolist()):
        in_session = p.session_id == sid
        start = float(p.started_at[in_session].min())
        mask = in_session & listened
        seen: list[int] = []
        for t, own in zip(p.track_id[mask].tolist(), chosen[mask].tolist()):
            if t in seen:
                continue
            if seen and own:
                queries.append((list(seen), int(t), start))
            seen.append(int(t))
    return p.subset(p.started_at < t_split), queries[-max_queries:]


def calibrate_up_next(cat, *, session=None, session_weight: float = 1.0, weights=SEQUENCE_WEIGHTS,
                      blends=SESSION_BLENDS, pushes=REPEAT_PUSHES, min_queries: int = 30, **split) -> dict:
    """The sequence weight, hold on replays (and session-model blend) that best predict
    this person's held-out next plays.

    ``session``: a next-track scorer ``fn(prefix_rows) -> [n]`` over ``cat``'s rows,
    trained without the held-out sessions (the trainer's held-out GRU), with its
    held-out lift ``session_weight``; without one only the sequence weight is chosen.
    Returns ``{}`` without enough history, else ``upnext_sequence_weight``,
    ``upnext_session_blend``, ``upnext_repeat_push``, the held-out ``upnext_hr@20`` / ``upnext_mrr@20`` for
    them and for the defaults (``upnext_default_hr@20``, ``upnext_default_mrr@20``),
    and ``upnext_queries``.
    """
    from recommender.rank import Models, RankConfig, Recommender

    got = held_out_queries(cat, **split)
    if got is None or len(got[1]) < min_queries:
        return {}
    _, queries = got
    base = Recommender(cat, Models(session=session, weights={"session": session_weight}))
    # As in the app, each held-out session is ranked with every play before it (the
    # transitions and replays of the sessions just before count most for sequences);
    # with_plays recomputes everything the plays decide, so nothing later leaks in.
    plays = cat.plays
    by_start: dict[float, list] = {}
    for prefix, target, start in queries:
        by_start.setdefault(start, []).append((prefix, target))
    as_of = {start: base.with_plays(plays.subset(plays.started_at < start), now=start) for start in by_start}
    grid = [(float(w), float(b), float(r)) for w in weights for b in (blends if session is not None else (0.0,))
            for r in pushes]
    scores = {}
    for w, b, r in grid:
        hr, mrr = [], []
        for start, group in by_start.items():
            rec = copy.copy(as_of[start])
            rec.config = replace(rec.config, sequence_weight=w, session_blend=b, repeat_push=r)
            for prefix, target in group:
                ranked = [t for t, _ in rec.up_next(prefix, 20)]
                hr.append(hit_rate_at_k(ranked, [target], 20))
                mrr.append(mrr_at_k(ranked, [target], 20))
        scores[(w, b, r)] = (float(np.mean(hr)), float(np.mean(mrr)))
    default = RankConfig()
    key = (default.sequence_weight, default.session_blend, default.repeat_push)
    # Best HR@20 + MRR@20; on a tie the defaults (the held-out plays cannot tell), else
    # the smaller weight and blend and the stronger hold on replays.
    best = max(scores, key=lambda c: (round(sum(scores[c]), 6), c == key, -c[0], -c[1], c[2]))
    out = {"upnext_sequence_weight": best[0], "upnext_session_blend": best[1], "upnext_repeat_push": best[2],
           "upnext_hr@20": scores[best][0], "upnext_mrr@20": scores[best][1], "upnext_queries": len(queries)}
    if key in scores:
        out["upnext_default_hr@20"], out["upnext_default_mrr@20"] = scores[key]
    return out
