"""Discover in a library whose genre tags are a mess: thousands of distinct values.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_discover      # 50,000 tracks; 20, 1,000 and 2,000 genres
    python -m benchmarks.bench_discover --tracks 20000 --runs 1 --genres 20 500

Real libraries carry hundreds to thousands of distinct genre values, and Discover shows a
row of 14 tracks for each. For each number of genre values (the first, 20, is a tidy
library: the baseline, measured in the same run, that the ratios are against):

- ranker: ``Recommender.discover(14)`` and the reasons of every track it returns, as the
  window asks for them, on a catalogue shaped like an analysed one (``bench_rank``'s
  synthetic catalogue, its genres as buckets) with 400 plays; median of ``--runs``;
- window: a generated library (``library_gen``, one genre value per album) with 400 plays,
  its recommender built, in the real window offscreen: from switching to the Discover tab
  until its first rows show and until all of them do, and the longest gap of a 5 ms timer
  on the GUI thread from the switch until the rows are all there (how long the window
  could not react); then the same for Refresh;
- plain provider (the one used without trained models, on a worker): on the same generated
  library, one read of the library table, ``LibraryRecommendations.discover(14)`` and the
  window's whole worker job (that and the names of what it returns); median of ``--runs``;
- the worker job's track names: the job with the plain provider and with the learning one
  (the window's), and the part of it that names what ``discover`` found, reading the tracks
  one query each (as it did: the baseline) and in a few batched reads, taken in turns;
- resize and tab switch: with the rows all there, the window made narrower and wider again
  (``--resizes`` times), and the switch from the Library tab back to Discover: how long each
  held the window (the call and the layout and paint it queued), median and worst.

``--listener``: what the panel shows, not how fast, over a library tagged by many hands
(``--tracks``, each artist's genre on most songs and one of 600 niche tags on some: hundreds
of genres of one to three songs). A scripted listener plays their six genres for six
weeks and every other day plays the first tile of Discover's first five rows and of one
further down, hearing through those of their genres and a third of the others, skipping
the rest; then the rows of the last day, and how many songs skipped there over two weeks
before were offered again. The rules as they were (every genre a row, by plays; every song back after two
weeks) and as they are, each over its own store from the same seed, in the same run.

    python -m benchmarks.bench_discover --listener --tracks 20000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_discover.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PER_BUCKET = 14           # the window's DISCOVER_PER_BUCKET
PLAYS = 400


def ranker_times(tracks: int, genres: int, runs: int) -> dict:
    """``discover`` and every reason for what it returns: medians in ms, and how much it returned."""
    from benchmarks.bench_rank import synthetic_catalog
    from recommender.rank import Recommender

    rec = Recommender(synthetic_catalog(tracks, n_buckets=genres, n_plays=PLAYS))
    found, explained = [], []
    for _ in range(runs):
        t = time.perf_counter()
        got = rec.discover(PER_BUCKET)
        t1 = time.perf_counter()
        for bucket, row in got.items():
            for track_id, _ in row:
                rec.explain(track_id, f"discover:{bucket}")
        found.append(1000 * (t1 - t))
        explained.append(1000 * (time.perf_counter() - t1))
    return {"rows": len(got), "tiles": sum(map(len, got.values())),
            "discover": statistics.median(found), "reasons": statistics.median(explained)}


def messy_store(path: Path, tracks: int, genres: int):
    """A generated library whose albums carry ``genres`` distinct genre values (every value
    used), and 400 plays over the last two months, most of them of 40 favourite tracks."""
    from benchmarks.library_gen import library_rows
    from player.store import Store

    rows = library_rows(tracks)
    rng = random.Random(3)
    values = [f"Genre {i:04d}" for i in range(genres)]
    by_album: dict = {}
    for r in rows:
        key = (r["artist"], r["album"])
        if key not in by_album:
            by_album[key] = values[len(by_album)] if len(by_album) < genres else rng.choice(values)
        r["genre"] = by_album[key]
    store = Store.open(path)
    for i in range(0, len(rows), 5000):
        store.upsert_tracks(rows[i:i + 5000])
    with store.transaction() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM tracks ORDER BY id")]
    now = time.time()
    favourites = rng.sample(ids, 40)
    for i in range(PLAYS):
        track = rng.choice(favourites) if rng.random() < 0.6 else rng.choice(ids)
        at = now - 60 * 86400 + i * 13_000
        play = store.start_play(track, track_ms=200_000, now=at)
        heard = 200_000 if rng.random() < 0.8 else 4_000
        store.end_play(play, "finished" if heard > 4_000 else "skipped", heard, now=at + 200)
    return store


def plain_times(store, runs: int) -> dict:
    """The plain provider's Discover: medians in ms of reading the library, of ``discover``
    and of the window's worker job."""
    from player.recommendations import LibraryRecommendations
    from player.ui.library_tasks import discover_rows

    provider = LibraryRecommendations(store)

    def median_ms(fn) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(1000 * (time.perf_counter() - t))
        return statistics.median(times)

    return {"read": median_ms(store.tracks), "discover": median_ms(lambda: provider.discover(PER_BUCKET)),
            "job": median_ms(lambda: discover_rows(provider, store)), **job_times(provider, store, runs)}


def names_a_read_per_track(store, found) -> dict:
    """The worker job's naming of what ``discover`` found as it was: one query per track
    (the baseline)."""
    from player.library.names import Namer

    rows = {}
    namer = Namer.of(store)
    for bucket, recs in found.items():
        entries = []
        for rec in recs:
            t = store.track(rec.track_id)
            if t is not None:
                names = namer(t)
                entries.append((rec.track_id, names.title, names.artist, rec.reason))
        rows[bucket] = entries
    return rows


def job_times(provider, store, runs: int) -> dict:
    """The window's worker job (``discover_rows``) and the part of it that names the tracks
    ``discover`` found, with one read per track (as it was) and with the batched read, taken
    in turns: medians in ms of at least 3 each, how many tracks it named, and that both ways
    gave the same rows."""
    from player.ui import library_tasks

    class Found:                   # the provider's answer, asked for once
        def __init__(self):
            self.rows = provider.discover(PER_BUCKET)

        def discover(self, _per_bucket, *, today=None):
            return self.rows

    found = Found()
    ways = {"per_track": lambda p: names_a_read_per_track(store, p.discover(PER_BUCKET)),
            "batched": lambda p: library_tasks.discover_rows(p, store)}
    times: dict[str, list[float]] = {f"{k}_{part}": [] for k in ways for part in ("job", "names")}
    got = {}
    for i in range(max(runs, 3)):
        for name in (("per_track", "batched") if i % 2 == 0 else ("batched", "per_track")):
            for part, p in (("job", provider), ("names", found)):
                t = time.perf_counter()
                got[name] = ways[name](p)
                times[f"{name}_{part}"].append(1000 * (time.perf_counter() - t))
    out = {k: statistics.median(v) for k, v in times.items()}
    return {**out, "job_tracks": sum(map(len, got["batched"].values())), "job_same": got["per_track"] == got["batched"]}


def window_times(app, store, home: Path, resizes: int) -> dict:
    """Open the Discover tab, then Refresh: until the first rows show, until all do, and the
    longest GUI-thread gap meanwhile; then resizes and tab switches: how long each held the
    window. In ms."""
    from benchmarks.bench_ui import _heartbeat

    from player.recommender_service import RecommenderService
    from player.ui.main_window import MainWindow

    service = RecommenderService(store, priors=None)
    service.recommender()                  # built on a worker at start-up in the app
    jobs = job_times(service, store, 3)
    window = MainWindow(store, provider=service, settings_file=str(home / "window.ini"))
    window.resize(1280, 780)
    window.show()

    def spin(until, timeout_s: float) -> None:
        end = time.monotonic() + timeout_s
        while not until() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)

    spin(lambda: window.model.rowCount() > 0, 120)
    gaps, clock, last, ticker = _heartbeat()
    ticker.start()
    panel = window.discover
    shown_at: list[float] = []
    expected: list[int] = []
    set_rows = panel.set_rows

    def arrived(rows, captions=None):
        set_rows(rows, captions)
        expected.append(sum(1 for entries in rows.values() if entries))
        shown_at.append(time.perf_counter())

    panel.set_rows = arrived
    out = {}
    for name, start in (("open", lambda: window.tabs.setCurrentWidget(panel)), ("refresh", panel.refresh_btn.click)):
        spin(lambda: False, 0.5)           # what came before has settled
        shown_at.clear()
        expected.clear()
        gaps.clear()
        last[0] = clock.elapsed()
        t = time.perf_counter()
        start()
        spin(lambda: bool(shown_at) and len(panel.buckets) == expected[0], 300)
        out[f"{name}_first"] = 1000 * (shown_at[0] - t) if shown_at else float("nan")
        out[f"{name}_all"] = 1000 * (time.perf_counter() - t)
        spin(lambda: False, 0.3)           # the layout and paint that follow
        out[f"{name}_gap"] = max(gaps, default=0)
        out["rows"] = len(panel.buckets)
    ticker.stop()

    def held(action) -> float:
        """ms from ``action`` until the events it queued (layout, paint) are all handled."""
        t = time.perf_counter()
        action()
        app.processEvents()
        app.processEvents()
        return 1000 * (time.perf_counter() - t)

    resized = [held(lambda i=i: window.resize(1280 - 100 * (i % 2 == 0), 780)) for i in range(resizes)]
    library = window.tabs.widget(0)
    switched = []
    for _ in range(max(3, resizes // 2)):
        window.tabs.setCurrentWidget(library)
        spin(lambda: False, 0.2)
        shown_at.clear()
        switched.append(held(lambda: window.tabs.setCurrentWidget(panel)))
        spin(lambda: bool(shown_at), 300)  # the Refresh the switch asks for lands
    out.update(resize=statistics.median(resized), resize_max=max(resized),
               tab=statistics.median(switched), tab_max=max(switched), **jobs)
    window.close()
    from player.workers import wait_all

    wait_all(5000)
    return out


DAY = 86400.0
NICHE = ["Ska", "Zouk", "Cumbia", "Fado", "Polka", "Klezmer", "Mariachi", "Tango", "Flamenco", "Qawwali",
         "Highlife", "Afrobeat", "Calypso", "Soca", "Kizomba", "Bhangra", "Enka", "Chanson", "Schlager", "Gamelan"]
LIKED = ("Rock", "Jazz", "Folk", "Blues", "Soul", "Country")        # the scripted listener's genres


def many_hands_store(path: Path, tracks: int, seed: int = 11):
    """``library_gen``'s library, one song in seven retagged with one of 600 niche tags
    (Zipf-like: a few common, most on one to three songs)."""
    from benchmarks.library_gen import library_rows
    from player.store import Store

    rng = random.Random(seed)
    rows = library_rows(tracks)
    niche = [f"{base} {i}" for base in NICHE for i in range(30)]
    weights = [1.0 / (1 + i) ** 0.8 for i in range(len(niche))]
    rng.shuffle(niche)
    for r in rows:
        if rng.random() < 0.15:
            r["genre"] = rng.choices(niche, weights)[0]
    store = Store.open(path)
    for i in range(0, len(rows), 5000):
        store.upsert_tracks(rows[i:i + 5000])
    return store


def _play(store, track, at, *, source="library", skip=False):
    play = store.start_play(track, source=source, track_ms=200_000, now=at)
    store.end_play(play, "skipped" if skip else "finished", 3_000 if skip else 200_000, now=at + (3 if skip else 200))


def _rows(service, day: int, old: bool):
    """Discover's rows of ``day``: ``[(genre, [track ids])]``, by the rules as they were
    (``old``) or as they are."""
    from dataclasses import replace

    import recommender.rank as rank

    rec = service.recommender()
    arrange, config = rank.arrange_rows, rec.config
    if old:
        def as_it_was(heard, offered, **_):         # every genre a row, by plays, then size
            genres = (g for g in range(len(offered)) if offered[g] > 0)
            return sorted(genres, key=lambda g: (-heard[g], -offered[g], g)), []
        rank.arrange_rows = as_it_was
        rec.config = replace(config, skipped_rest_s=0.0)
    try:
        return [(b, [t for t, _ in row]) for b, row in rec.discover(PER_BUCKET, day=day).items()]
    finally:
        rank.arrange_rows, rec.config = arrange, config


def listener(tracks: int, old: bool, seed: int = 5) -> dict:
    """Six weeks of the scripted listener under the old or the new rules; the last day's rows."""
    from player.recommendations import genre_bucket
    from player.recommender_service import RecommenderService

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="segue-bench-listener-") as tmp:
        os.environ["SEGUE_HOME"] = tmp
        store = many_hands_store(Path(tmp) / "library.db", tracks)
        genre = {r["id"]: genre_bucket(r["genre"]) for r in store.tracks()}
        liked = {genre_bucket(g) for g in LIKED}
        mine = [t for t, g in genre.items() if g in liked]
        service = RecommenderService(store, priors=None)
        t0 = time.time() - 43 * DAY
        skipped: dict[int, float] = {}
        for day in range(42):
            at = t0 + day * DAY + 18 * 3600
            for _ in range(15):
                _play(store, rng.choice(mine), at)
                at += 240
            if day % 2:
                continue
            shown = _rows(service, day, old)
            # the first tile of the five rows in view, and of a row further down
            further = [rng.choice(shown[5:])] if len(shown) > 5 else []
            for _, ids in shown[:5] + further:
                t = ids[0]
                skip = genre[t] not in liked and rng.random() > 1 / 3
                _play(store, t, at, source="discover", skip=skip)
                if skip:
                    skipped[t] = at
                at += 240
        _play(store, rng.choice(mine), t0 + 42 * DAY)
        rows = _rows(service, 42, old)
        rec = service.recommender()
        cat = rec.catalog
        heard = {cat.bucket_names[b] for b in set(cat.bucket[cat.play_count > 0].tolist()) if b >= 0}
        tiles = [t for _, ids in rows for t in ids]
        never = sum(cat.last_played[cat.row(t)] == 0 for t in tiles)
        store.close()
    sizes = sorted(len(ids) for _, ids in rows)
    return {"genres": len(set(genre.values())), "rows": len(rows), "tiles": len(tiles),
            "median": statistics.median(sizes) if sizes else 0, "short": sum(n < 4 for n in sizes),
            "never": never / max(len(tiles), 1), "new5": sum(b not in heard for b, _ in rows[:5]),
            "first_new": next((i + 1 for i, (b, _) in enumerate(rows) if b not in heard), 0),
            "back": sum(t in skipped and 14 * DAY < time.time() - skipped[t] for t in tiles)}


def listener_table(tracks: int) -> None:
    print(f"\nDiscover's rows for a scripted listener, six weeks on a library of {tracks:,} tracks tagged by many "
          f"hands ({PER_BUCKET} per genre; the last day)")
    print(f"  {'rules':>10}  {'genres':>6}  {'rows':>5}  {'tiles':>6}  {'tiles/row':>9}  {'rows < 4':>8}  "
          f"{'never played':>12}  {'new genres in rows 1-5':>22}  {'first new row':>13}  {'skipped, back':>13}")
    for name, old in (("as it was", True), ("now", False)):
        r = listener(tracks, old)
        print(f"  {name:>10}  {r['genres']:>6,}  {r['rows']:>5,}  {r['tiles']:>6,}  {r['median']:>9.0f}  "
              f"{r['short']:>8,}  {r['never']:>11.0%}  {r['new5']:>22}  {r['first_new']:>13}  {r['back']:>13}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--genres", type=int, nargs="+", default=[20, 1000, 2000],
                        help="distinct genre values; the first is the baseline")
    parser.add_argument("--resizes", type=int, default=10, help="window resizes timed per library")
    parser.add_argument("--no-window", action="store_true", help="the ranker only (no Qt)")
    parser.add_argument("--listener", action="store_true",
                        help="only what the rows show a scripted listener, as it was and now")
    args = parser.parse_args(argv)
    if args.listener:
        listener_table(args.tracks)
        return 0

    print(f"Discover at {args.tracks:,} tracks, {PLAYS} plays, {PER_BUCKET} per genre; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    ranker = {g: ranker_times(args.tracks, g, args.runs) for g in args.genres}
    base = ranker[args.genres[0]]
    base_ms = base["discover"] + base["reasons"]
    base_us = 1000 * base_ms / max(base["tiles"], 1)
    print(f"\nranker (synthetic analysed catalogue, median of {args.runs}; per track: all of it over the tracks shown)")
    print(f"  {'genre values':>12}  {'rows':>5}  {'tracks':>6}  {'discover ms':>11}  {'reasons ms':>10}  "
          f"{'total ms':>9}  {'vs baseline':>11}  {'per track us':>12}  {'vs baseline':>11}")
    for g, r in ranker.items():
        total = r["discover"] + r["reasons"]
        per = 1000 * total / max(r["tiles"], 1)
        note = "  (baseline)" if g == args.genres[0] else ""
        print(f"  {g:>12,}  {r['rows']:>5,}  {r['tiles']:>6,}  {r['discover']:>11.0f}  {r['reasons']:>10.0f}  "
              f"{total:>9.0f}  {total / base_ms:>10.1f}x  {per:>12.1f}  {per / base_us:>10.2f}x{note}")
    if args.no_window:
        return 0

    from player.ui.main import create_app

    app = create_app()
    window, plain = {}, {}
    for g in args.genres:
        with tempfile.TemporaryDirectory(prefix="segue-bench-discover-") as tmp:
            os.environ["SEGUE_HOME"] = tmp            # never the person's own data folder
            t = time.perf_counter()
            store = messy_store(Path(tmp) / "library.db", args.tracks, g)
            made = time.perf_counter() - t
            plain[g] = plain_times(store, args.runs)
            window[g] = window_times(app, store, Path(tmp), args.resizes)
            store.close()
            print(f"  (library with {g:,} genre values generated in {made:.0f} s)", file=sys.stderr)
    base = plain[args.genres[0]]
    print(f"\nplain provider (generated library, on the worker; median of {args.runs}; ms)")
    print(f"  {'genre values':>12}  {'read library':>12}  {'discover':>8}  {'vs one read':>11}  "
          f"{'window job':>10}  {'vs baseline':>11}")
    for g, p in plain.items():
        note = "  (baseline)" if g == args.genres[0] else ""
        print(f"  {g:>12,}  {p['read']:>12.0f}  {p['discover']:>8.0f}  {p['discover'] / p['read']:>10.1f}x  "
              f"{p['job']:>10.0f}  {p['job'] / base['job']:>10.1f}x{note}")
    print("\nthe worker job, and its naming of the tracks discover found: a query per track (as it was: the "
          "baseline) or a few batched reads (median of at least 3, taken in turns; ms)")
    print(f"  {'genre values':>12}  {'recommender':>11}  {'tracks':>6}  {'job: a read each':>16}  {'batched':>7}  "
          f"{'names: a read each':>18}  {'batched':>7}  {'vs baseline':>11}  {'same rows':>9}")
    for g in args.genres:
        for name, r in (("plain", plain[g]), ("learning", window[g])):
            print(f"  {g:>12,}  {name:>11}  {r['job_tracks']:>6,}  {r['per_track_job']:>16.0f}  "
                  f"{r['batched_job']:>7.0f}  {r['per_track_names']:>18.0f}  {r['batched_names']:>7.0f}  "
                  f"{r['batched_names'] / r['per_track_names']:>10.2f}x  {str(r['job_same']):>9}")
    base = window[args.genres[0]]
    print("\nwindow (generated library, offscreen; ms from switching to the tab or clicking Refresh)")
    print(f"  {'genre values':>12}  {'rows':>5}  {'first rows':>10}  {'all rows':>9}  {'longest GUI gap':>15}  "
          f"{'Refresh: all':>12}  {'longest gap':>11}  {'gap vs baseline':>15}")
    for g, w in window.items():
        note = "  (baseline)" if g == args.genres[0] else ""
        print(f"  {g:>12,}  {w['rows']:>5,}  {w['open_first']:>10.0f}  {w['open_all']:>9.0f}  {w['open_gap']:>15.0f}  "
              f"{w['refresh_all']:>12.0f}  {w['refresh_gap']:>11.0f}  "
              f"{w['open_gap'] / max(base['open_gap'], 1):>14.1f}x{note}")
    print(f"\nresize and tab switch (rows all there; ms the window was held: median of {args.resizes} resizes, "
          "of the switches back from Library, and the worst)")
    print(f"  {'genre values':>12}  {'resize':>7}  {'worst':>6}  {'vs baseline':>11}  "
          f"{'tab switch':>10}  {'worst':>6}  {'vs baseline':>11}")
    for g, w in window.items():
        note = "  (baseline)" if g == args.genres[0] else ""
        print(f"  {g:>12,}  {w['resize']:>7.1f}  {w['resize_max']:>6.1f}  {w['resize'] / base['resize']:>10.1f}x  "
              f"{w['tab']:>10.1f}  {w['tab_max']:>6.1f}  {w['tab'] / base['tab']:>10.1f}x{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
