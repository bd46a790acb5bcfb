"""A generated person's listening history, for the learner's tests and benchmarks.

:func:`generated_history` is a catalogue with a year of plays (albums in order,
favourites, wandering; early skips; Up next's offers); :func:`fill_history` logs it
into a real store as the player logs plays; :func:`leftovers` lists what a stopped
training left in the models folder. ``benchmarks/bench_train.py`` and
``benchmarks/bench_learner_stop.py`` use them too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.catalog import Catalog, PlayLog


def generated_history(n_plays: int, *, n_tracks: int = 8000, seed: int = 0) -> Catalog:
    """A person: albums start to end, a few favourites again and again, and wandering."""
    rng = np.random.default_rng(seed)
    per_album = 10
    n_albums = n_tracks // per_album
    artist = (np.arange(n_tracks) // per_album) % 800          # 800 artists, one album or more each
    favourites = rng.choice(n_tracks, 60, replace=False)
    liked_albums = rng.choice(n_albums, 120, replace=False)
    tracks, sessions, times = [], [], []
    t, sid = 1.6e9, 0
    while len(tracks) < n_plays:
        mode = rng.random()
        if mode < 0.4:                    # an album in order
            a = int(rng.choice(liked_albums))
            chunk = list(range(a * per_album, (a + 1) * per_album))[: int(rng.integers(4, per_album + 1))]
        elif mode < 0.7:                  # favourites
            chunk = rng.choice(favourites, int(rng.integers(5, 20))).tolist()
        else:                             # wandering through the library
            chunk = rng.integers(0, n_tracks, int(rng.integers(3, 15))).tolist()
        for tr in chunk:
            tracks.append(int(tr))
            sessions.append(sid)
            times.append(t)
            t += 200.0
        sid += 1
        t += float(rng.exponential(86400 / 3))
    n = n_plays
    tracks, sessions, times = np.array(tracks[:n]), np.array(sessions[:n]), np.array(times[:n])
    skip = rng.random(n) < 0.1
    # Half the plays after a session's first came from Up next (the person let it keep
    # going), so the corrections learned from offers have their usual work to do.
    first = np.r_[True, sessions[1:] != sessions[:-1]]
    source = np.where(~first & (rng.random(n) < 0.5), "up_next", "library").astype(object)
    plays = PlayLog(tracks + 1, sessions, times, np.where(skip, 8_000.0, 200_000.0), np.full(n, 200_000.0),
                    np.where(skip, "skipped", "finished").astype(object), source)
    ids = np.arange(1, n_tracks + 1)
    return Catalog.build(track_ids=ids, artists=[f"artist {a}" for a in artist],
                         albums=[f"album {i // per_album}" for i in range(n_tracks)],
                         titles=[f"track {i}" for i in ids], durations=np.full(n_tracks, 200.0), plays=plays)


def fill_history(store, n_plays: int, *, n_tracks: int = 4000) -> int:
    """The generated person's plays, logged into ``store`` as the player logs them."""
    from benchmarks.library_gen import fill_store

    fill_store(store, n_tracks)
    ids = [r["id"] for r in store.tracks()]
    plays = generated_history(n_plays, n_tracks=n_tracks).plays
    for track, when, heard, ended, source in zip(plays.track_id, plays.started_at, plays.ms_heard, plays.ended,
                                                 plays.source):
        play = store.start_play(ids[int(track) - 1], source=str(source), track_ms=200_000, now=float(when))
        store.end_play(play, str(ended), int(heard), now=float(when) + heard / 1000)
    return len(plays.track_id)


def leftovers(models: Path) -> list[str]:
    """Anything in the models folder but complete runs and ``current.json``."""
    return sorted(p.relative_to(models).as_posix() for p in models.rglob("*")
                  if p.name.endswith((".partial", ".tmp")) or ".partial" in p.parent.name)
