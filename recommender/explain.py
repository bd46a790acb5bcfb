"""Short human reasons for a recommended track ("sounds like X", "often after Y").

Reasons are facts about the person's own history and the catalogue, checked
against thresholds, never invented: a reason that does not hold is not shown.
Context strings: ``"radio:<track id>"``, ``"after:<track id>"``, ``"discover:<bucket>"``
or ``""``.
"""

from __future__ import annotations

import numpy as np

SOUNDS_LIKE = 0.75        # cosine of content embeddings above which "sounds like" holds


def _context_row(rec, context: str) -> int:
    kind, _, value = context.partition(":")
    if kind in ("radio", "after") and value.strip().lstrip("-").isdigit():
        return rec.catalog.row(int(value))
    return -1


def explain_row(rec, row: int, context: str = "") -> str:
    """The best one or two reasons for catalogue row ``row`` (see module doc)."""
    cat = rec.catalog
    reasons: list[str] = []
    ctx = _context_row(rec, context)
    if ctx >= 0 and ctx != row:
        after = cat.transitions[ctx, row] if cat.transitions is not None else 0
        if after >= 2:
            reasons.append(f"often played after {cat.label(ctx)}")
        elif float(rec.E[ctx] @ rec.E[row]) >= SOUNDS_LIKE:
            reasons.append(f"sounds like {cat.label(ctx)}")
        elif cat.bucket[ctx] >= 0 and cat.bucket[ctx] == cat.bucket[row]:
            reasons.append(f"{cat.bucket_names[cat.bucket[row]]}, like {cat.label(ctx)}")
    n_track = int(cat.play_count[row])
    if n_track >= 3:
        reasons.append(f"you played it {n_track} times")
    a = cat.artist[row]
    if a >= 0 and len(reasons) < 2:
        n_artist = int(cat.play_count[cat.artist == a].sum())
        if n_artist >= 3 and n_artist > n_track:
            reasons.append(f"you played {cat.artist_names[a]} {n_artist} times")
    if len(reasons) < 2 and rec.E[row].any():
        played = np.flatnonzero(cat.play_count > 0)
        played = played[played != row]
        if len(played):
            top = played[np.argsort(-cat.play_count[played], kind="stable")[:200]]
            sims = rec.E[top] @ rec.E[row]
            best = int(np.argmax(sims))
            if sims[best] >= SOUNDS_LIKE and top[best] != ctx:
                reasons.append(f"sounds like {cat.label(top[best])}, which you play")
    if not reasons and cat.last_played[row] == 0 and rec.taste_e.any() \
            and float(rec.E[row] @ rec.taste_e) > 0.5:
        reasons.append("new to you, and close to what you play")
    if not reasons and cat.bucket[row] >= 0:
        reasons.append(f"from your {cat.bucket_names[cat.bucket[row]]} tracks")
    return " · ".join(reasons[:2])
