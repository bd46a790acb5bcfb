"""The first Discover in a large library: every song keyed as one recording, from nothing kept.

    python -m benchmarks.bench_first_discover                    # 100,000 tracks
    python -m benchmarks.bench_first_discover --tracks 20000 --runs 5

A generated library (benchmarks/library_gen.py) in a real store, a third of its albums made
compilations (as benchmarks/bench_discover_pool.py does), read once by the plain provider.
Then its Discover pool is worked out as the first Discover after start-up does: no track's
recording key known and the name caches empty. The baseline, in the same run, keys names
as before, each one walked a character at a time for accents to take off, plain ASCII too;
then ASCII names not walked but every title put through each rewrite (brackets, dashes,
"feat.", ", The"); then a plain ASCII title, one no rewrite touches, keyed by its words alone.
The best of ``--runs`` each (the ways taking turns), the time to key every track alone, and
whether each offered the same songs as the baseline.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    import player.recommendations as recs
    import segue_common.normalize as normalize
    from benchmarks.bench_discover_pool import _compilations
    from benchmarks.library_gen import fill_store
    from player.store import Store

    now = normalize.normalize_name
    plain = normalize._plain_words

    def never_plain(text):
        return None

    @functools.lru_cache(maxsize=65536)
    def walked(text):
        if not text:
            return ""
        text = unicodedata.normalize("NFKC", text).strip()
        text = normalize._BRACKETS.sub("", text)
        text = normalize._FEAT.sub("", text)
        if normalize._THE_SUFFIX.search(text):
            text = "the " + normalize._THE_SUFFIX.sub("", text)
        text = unicodedata.normalize("NFKD", text.replace("&", " and "))
        text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
        return " ".join(normalize._NON_WORD.sub(" ", text).split())

    with tempfile.TemporaryDirectory(prefix="segue-first-discover-") as tmp:
        store = Store.open(Path(tmp) / "library.db")
        fill_store(store, args.tracks)
        on_compilations = _compilations(store, 1 / 3)
        library = recs.LibraryRecommendations(store)._library()
        tagged = [(r["artist"], r["title"]) for r in library.rows.values()]
        ways = (("walk every name (baseline)", walked, never_plain), ("ASCII names not walked", now, never_plain),
                ("plain titles not rewritten", now, plain))
        results = {name: [float("inf"), float("inf"), None] for name, _, _ in ways}

        def fresh():
            for cached in (walked, now, normalize.loose_title, normalize.primary_artist, normalize.credited_artists):
                cached.cache_clear()

        # (the ways take turns in each run, so that a busy spell of the machine falls on all alike)
        for _ in range(args.runs):
            for name, keyer, shortcut in ways:
                normalize.normalize_name, normalize._plain_words = keyer, shortcut
                fresh()
                library._keys.clear()
                library._pool = None
                t0 = time.perf_counter()
                pool = library.discover_pool(frozenset())
                pool_s = time.perf_counter() - t0
                fresh()
                t0 = time.perf_counter()
                for artist, title in tagged:
                    normalize.recording_key(artist, title)
                keys_s = time.perf_counter() - t0
                best = results[name]
                best[0], best[1], best[2] = min(best[0], pool_s), min(best[1], keys_s), pool
        normalize.normalize_name, normalize._plain_words = now, plain
        fresh()
        store.close()
    base_s, base_keys, base_pool = results["walk every name (baseline)"]
    print(f"{args.tracks:,} tracks, {on_compilations:,} on compilations")
    print(f"{'names keyed':<28} {'first pool ms':>13} {'ratio':>6} {'keys alone ms':>13} {'ratio':>6} "
          f"{'same songs':>10}")
    for name, (s, keys_s, pool) in results.items():
        print(f"{name:<28} {s * 1000:>13.0f} {s / base_s:>6.2f} {keys_s * 1000:>13.0f} {keys_s / base_keys:>6.2f} "
              f"{str(pool == base_pool):>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
