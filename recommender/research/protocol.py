"""The time-ordered next-track protocol behind ``python -m recommender.evaluate sessions``.

Sessions that end before the cut time train the models. Every play at or after
the cut that has a predecessor in its session is a query: the prefix is the
session so far (including plays before the cut), the target is the play, the
candidates are all items first played before the query (the items "known at
that time"; a target never played before is a miss for every model). With
``update`` the models are updated with each test session once it has ended, as
the app's trainer would. With repeats removed, sessions keep only the first play
of each track and items already in the prefix are never recommended.

Metrics per query: HitRate@20 and MRR@20 of the target; Recall@10 of the rest of
the session (the target and every later play in it), as ``Up next`` fills a queue.
Each is its mean over every order of the model's tied scores (the ``expected_*``
metrics): a count baseline ties often, and which of its tied items a tie-break put
first moved one person's HR@20 by up to 0.02.
All models are scored in lockstep on the same queries, so blends of two models
are computed from the same score vectors. A model with ``wants_position = True``
(one that reads the log itself, such as the app's ranker with its skips and play
times) is also told the log position of the play it is asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from recommender.metrics import (
    expected_hit_rate_at_k,
    expected_mrr_at_k,
    expected_ndcg_at_k,
    expected_recall_at_k,
)
from recommender.models.session_base import ItemSpace, SessionModel
from recommender.research.splits import SessionSplit


@dataclass
class ModelResult:
    hr20: list[float] = field(default_factory=list)
    mrr20: list[float] = field(default_factory=list)
    rec10: list[float] = field(default_factory=list)
    radio_rec20: list[float] = field(default_factory=list)
    radio_ndcg20: list[float] = field(default_factory=list)
    fit_s: float = 0.0
    update_s: float = 0.0
    n_updates: int = 0

    def summary(self) -> dict[str, float]:
        mean = lambda xs: float(np.mean(xs)) if xs else float("nan")  # noqa: E731
        out = {"HR@20": mean(self.hr20), "MRR@20": mean(self.mrr20), "Recall@10": mean(self.rec10),
               "fit_s": self.fit_s, "update_s_total": self.update_s, "n_updates": self.n_updates}
        if self.radio_rec20:
            out.update({"Radio Recall@20": mean(self.radio_rec20), "Radio NDCG@20": mean(self.radio_ndcg20),
                        "radio_queries": len(self.radio_rec20)})
        return out


def _probabilities(scores: np.ndarray, kind: str) -> np.ndarray:
    if kind == "softmax":
        z = np.exp(scores - scores.max())
        return z / z.sum()
    s = np.maximum(scores, 0.0)
    return s / s.sum() if s.sum() > 0 else np.full_like(s, 1.0 / s.size)


def run(split: SessionSplit, catalog: ItemSpace, factories: dict[str, Callable[[], SessionModel]], *,
        update: bool, repeats: bool, blends: list[tuple[str, str, float]] = (),
        radio: tuple[str, ...] = (), log=print) -> dict[str, ModelResult]:
    """Fit every model, score every query in lockstep, return per-model (and per-blend) results.

    ``blends``: (neural model, baseline, weight w) → w·softmax(neural) + (1-w)·baseline/sum(baseline).

    ``radio``: models also asked for a station at the start of each test session: the
    session's first track is the seed, the rest of the session (its distinct other
    tracks) the targets; Recall@20 and NDCG@20 over the tracks known before the session.
    A baseline's station is its ranking after the seed alone (``score([seed])``); a model
    with ``wants_position`` is asked ``radio(position=...)`` (the seed's log position).
    """
    results = {name: ModelResult() for name in factories}
    models = {}
    fit_cat = catalog.head(split.n_known_at_fit)
    for name, make in factories.items():
        start = time.perf_counter()
        models[name] = make().fit(split.train, fit_cat)
        results[name].fit_s = time.perf_counter() - start
        log(f"  fitted {name} in {results[name].fit_s:.2f} s")
    blend_names = {f"{a}+{b}@{w:g}": (a, b, w) for a, b, w in blends}
    results.update({name: ModelResult() for name in blend_names})
    known = split.n_known_at_fit
    positioned = {name for name, model in models.items() if getattr(model, "wants_position", False)}
    for i, (items, is_query, n_known) in enumerate(split.test):
        known = max(known, int(n_known[0]))
        if update and i > 0:
            prev = split.updates[i - 1] if split.updates else split.test[i - 1][0]
            for name, model in models.items():
                start = time.perf_counter()
                model.update([prev], catalog.head(known))
                results[name].update_s += time.perf_counter() - start
                results[name].n_updates += 1
        rest = np.setdiff1d(items[1:], items[:1])
        if radio and rest.size:
            seed, known0 = int(items[0]), int(n_known[0])
            for name in radio:
                model = models[name]
                if model.catalog.n_items < known0:
                    model.extend_catalog(catalog.head(known0))
                if name in positioned:
                    s = model.radio(position=int(split.positions[i][0]))[:known0]
                else:
                    s = model.score([seed] if seed < model.catalog.n_items else [])[:known0]
                ex = [seed] if seed < known0 else ()
                results[name].radio_rec20.append(expected_recall_at_k(s, rest.tolist(), 20, exclude=ex))
                results[name].radio_ndcg20.append(expected_ndcg_at_k(s, rest.tolist(), 20, exclude=ex))
        for j in np.flatnonzero(is_query):
            known = max(known, int(n_known[j]))
            prefix, target, rest = items[:j], int(items[j]), set(items[j:].tolist())
            exclude = np.unique(prefix) if not repeats else ()
            scores = {}
            for name, model in models.items():
                if model.catalog.n_items < known:
                    model.extend_catalog(catalog.head(known))
                if name in positioned:
                    scores[name] = model.score(prefix, position=int(split.positions[i][j]))[:known]
                else:
                    scores[name] = model.score(prefix)[:known]
            for name, (a, b, w) in blend_names.items():
                scores[name] = w * _probabilities(scores[a], "softmax") + (1 - w) * _probabilities(scores[b], "sum")
            for name, s in scores.items():
                r = results[name]
                r.hr20.append(expected_hit_rate_at_k(s, [target], 20, exclude=exclude))
                r.mrr20.append(expected_mrr_at_k(s, [target], 20, exclude=exclude))
                r.rec10.append(expected_recall_at_k(s, rest, 10, exclude=exclude))
    return results
