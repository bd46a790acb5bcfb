"""A generated library database for UI tests and benchmarks (``--tracks 100000``).

Rows look like a real collection: albums of 8-14 tracks by artists who each have a
few albums, one genre per artist, years and durations in realistic ranges. Paths
point nowhere (no audio is written), so use it for browsing, not playing.

    python -m benchmarks.library_gen --tracks 100000 --db /tmp/lib.db
"""

from __future__ import annotations

import argparse
import random
import sys
import time

GENRES = ["Rock", "Jazz", "Electronic", "Hip-Hop", "Classical", "Folk", "Metal", "Soul",
          "Pop", "Ambient", "Blues", "Reggae", "Punk", "Country"]
_SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "sel", "da", "rin", "bo", "shi", "ne", "vel",
              "qua", "zor", "pel", "ash", "mon", "tri", "lux", "fen", "gal", "hor", "ist"]
_WORDS = ["night", "river", "glass", "summer", "engine", "ghost", "paper", "silver", "electric",
          "slow", "blue", "golden", "north", "heavy", "quiet", "wild", "neon", "distant", "broken",
          "morning", "city", "ocean", "fire", "garden", "shadow", "velvet", "iron", "lonely", "echo",
          "static", "winter", "honey", "thunder", "little", "secret", "radio", "desert", "crystal"]


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).title()


def library_rows(n: int, *, seed: int = 7) -> list[dict]:
    """``n`` track dicts with :data:`player.store.TRACK_FIELDS` keys."""
    rng = random.Random(seed)
    rows: list[dict] = []
    while len(rows) < n:
        artist = f"{_name(rng, 2)} {_name(rng, rng.choice([2, 3]))}"
        genre = rng.choice(GENRES)
        for _album_no in range(rng.randint(1, 4)):
            album = _phrase(rng, rng.randint(1, 3))
            year = rng.randint(1965, 2025)
            for track_no in range(1, rng.randint(8, 14) + 1):
                if len(rows) >= n:
                    break
                title = _phrase(rng, rng.randint(1, 4))
                rows.append({
                    "path": f"/generated/{artist}/{album} ({year})/{track_no:02d} {title} {len(rows)}.flac",
                    "size": rng.randint(3_000_000, 40_000_000), "mtime_ns": 1_700_000_000_000_000_000,
                    "title": title, "artist": artist, "album": album, "albumartist": artist,
                    "genre": genre, "year": year, "track_no": track_no, "disc_no": 1,
                    "duration": round(rng.uniform(95, 420), 2), "codec": "flac",
                    "sample_rate": 44100, "channels": 2, "bitrate": 900_000,
                })
    return rows


def fill_store(store, n: int, *, seed: int = 7, batch: int = 5000) -> int:
    """Insert ``n`` generated tracks into ``store``; returns how many."""
    rows = library_rows(n, seed=seed)
    for i in range(0, len(rows), batch):
        store.upsert_tracks(rows[i:i + batch])
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--db", required=True, help="SQLite file to create or extend")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from player.store import Store

    t0 = time.perf_counter()
    store = Store.open(args.db)
    count = fill_store(store, args.tracks, seed=args.seed)
    store.close()
    print(f"wrote {count} tracks to {args.db} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
