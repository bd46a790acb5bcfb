"""A store filled from one real listening log of ``../shared/data/listening_logs``.

The log names songs, not files, so the library is generated: one track per song the
log names (no audio; paths point nowhere), with a genre from the artist's most used
Last.fm tags in HetRec 2011 when the artist is there, else one chosen by a hash of the
name. Tagger embeddings are made up, deterministically: a direction per genre, one per
artist near it, one per track near that, so the sound map has real structure to show.

The log's plays become store plays at their real times (shifted by whole weeks so the
last one falls in the current week: weekdays and hours stay as lived), with the real
time heard; a play heard for less than 90 % of the song's length (the median of its
plays longer than a minute) ended in a skip.
The logs do not record who chose a track, so the split between Segue's picks and the
person's own is simulated: the first play of each session is the person's, and each
later one is Segue's with probability 0.4 (Up next, Radio or Discover), independent of
whether it was skipped.
"""

from __future__ import annotations

import calendar
import csv
import gzip
import hashlib
import io
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.genres import BUCKETS, file_genre_bucket
from segue_common.listening import MIN_LISTEN_MS, SESSION_GAP_S

ROOT = Path(__file__).resolve().parents[3]
LOG = "p0694b5"             # Spotify, 20,000 plays over 7 months, most artists found in HetRec
FEATURE_VERSION = "generated-from-log"
WEEK_S = 7 * 86400
SEGUE_SHARE = 0.4


def data_root() -> Path | None:
    """``$SEGUE_SHARED_DATA``, else ``shared/data`` beside the repository or beside its folder."""
    candidates = [os.environ.get("SEGUE_SHARED_DATA"), ROOT.parent / "shared" / "data",
                  ROOT.parent.parent / "shared" / "data"]
    for c in candidates:
        if c and (Path(c) / "listening_logs" / f"{LOG}.tsv.gz").exists():
            return Path(c)
    return None


def _unit(seed_text: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(seed_text.encode("utf-8")).digest()[:8], "little")
    v = np.random.default_rng(seed).normal(size=dim)
    return v / np.linalg.norm(v)


def _hetrec_genres(root: Path) -> dict[str, str]:
    """``artist name (case-folded) -> bucket`` from the artist's most used tags that name one."""
    base = root / "hetrec2011-lastfm-2k"
    try:
        artists = (base / "artists.dat").read_text(encoding="utf-8", errors="replace").splitlines()[1:]
        tags = (base / "tags.dat").read_bytes().decode("latin-1").replace("\r", "").splitlines()[1:]
        tagged = (base / "user_taggedartists.dat").read_text().replace("\r", "").splitlines()[1:]
    except OSError:
        return {}
    name_of = {int(p[0]): p[1].casefold() for p in (a.split("\t") for a in artists) if len(p) > 1}
    bucket_of_tag = {}
    for line in tags:
        tid, _, value = line.partition("\t")
        bucket = file_genre_bucket(value)
        if bucket:
            bucket_of_tag[int(tid)] = bucket
    votes: dict[int, Counter] = defaultdict(Counter)
    for line in tagged:
        p = line.split("\t")
        bucket = bucket_of_tag.get(int(p[2]))
        if bucket:
            votes[int(p[1])][bucket] += 1
    return {name_of[a]: c.most_common(1)[0][0] for a, c in votes.items() if a in name_of}


@dataclass
class FilledLog:
    plays: int
    tracks: int
    track_of_song: dict          # (artist, title) -> track id
    segue_plays: int
    now: float                   # a moment just after the last play
    genre_source: Counter        # "hetrec" / "hash" -> number of artists


def fill_from_log(store, root: Path, *, dim: int = 200) -> FilledLog:
    raw = gzip.decompress((root / "listening_logs" / f"{LOG}.tsv.gz").read_bytes()).decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(raw), delimiter="\t") if r["artist"] and r["track"]]
    heard_of: dict[tuple, list] = defaultdict(list)
    album: dict[tuple, str] = {}
    for r in rows:
        song = (r["artist"], r["track"])
        heard_of[song].append(int(r["ms_played"] or 0))
        album.setdefault(song, r["album"] or "")
    known = _hetrec_genres(root)
    genre_of, source_count = {}, Counter()
    for artist in sorted({a for a, _t in heard_of}):
        if artist.casefold() in known:
            genre_of[artist] = known[artist.casefold()]
            source_count["hetrec"] += 1
        else:
            genre_of[artist] = BUCKETS[int(hashlib.sha256(artist.encode()).hexdigest(), 16) % len(BUCKETS)]
            source_count["hash"] += 1

    songs = sorted(heard_of)
    # The song's length: the median of its plays longer than a minute (the longest play
    # overstates it: a stream paused or repeated can run for several lengths).
    duration = {}
    for s in songs:
        long = [ms for ms in heard_of[s] if ms >= 60_000]
        duration[s] = int(np.median(long)) if long else 180_000
    store.upsert_tracks([{
        "path": f"/log-library/{a.replace('/', '_')}/{t.replace('/', '_')}.flac", "size": 1, "mtime_ns": 1,
        "title": t, "artist": a, "album": album[(a, t)] or None, "genre": genre_of[a].title(),
        "duration": duration[(a, t)] / 1000.0,
    } for a, t in songs])
    ids = {(r["artist"], r["title"]): r["id"] for r in store.tracks()}
    features = []
    for a, t in songs:
        v = (_unit("genre:" + genre_of[a], dim) + 0.6 * _unit("artist:" + a, dim)
             + 0.3 * _unit(f"track:{a}\t{t}", dim))
        features.append({"track_id": ids[(a, t)], "model_version": FEATURE_VERSION,
                         "embedding": v / np.linalg.norm(v), "tags": np.zeros(50), "bucket": genre_of[a]})
    store.save_features(features)

    ends = np.array([_unix(r["time"]) for r in rows])
    heard = np.array([int(r["ms_played"] or 0) for r in rows])
    starts = ends - heard / 1000.0 if rows[0]["time_is"] == "end" else ends
    order = np.argsort(starts, kind="stable")
    shift = np.floor((time.time() - starts.max()) / WEEK_S) * WEEK_S
    rng = np.random.default_rng(17)
    plays, prev, segue = [], -np.inf, 0
    for i in order:
        if heard[i] < MIN_LISTEN_MS:
            continue            # (no listen, as the history importer leaves it out: no play)
        r = rows[i]
        song = (r["artist"], r["track"])
        start = float(starts[i] + shift)
        if start - prev >= SESSION_GAP_S:
            source = "library"                      # a session starts with the person's own pick
        else:
            u = rng.random()
            source = ("up_next" if u < 0.30 else "radio" if u < 0.36 else "discover" if u < SEGUE_SHARE
                      else ("library", "queue", "search")[int(u * 1000) % 3])
        segue += source in ("up_next", "radio", "discover")
        prev = start + heard[i] / 1000.0
        ended = "finished" if heard[i] >= 0.9 * duration[song] else "skipped"
        plays.append((ids[song], start, int(heard[i]), duration[song], ended, source))
    store.log_plays(plays)
    return FilledLog(plays=len(plays), tracks=len(songs), track_of_song=ids, segue_plays=segue,
                     now=float((starts + heard / 1000.0).max() + shift + 60), genre_source=source_count)


def _unix(iso: str) -> float:
    return float(calendar.timegm(time.strptime(iso.rstrip("Z"), "%Y-%m-%dT%H:%M:%S")))
