"""Importing listening history: match rates on the real export samples, and speed at 20,000 rows.

    python benchmarks/bench_import.py [--rows 20000] [--library 10000] [--repeat 3]

Part 1 (when ``../shared/data/exports`` exists, or $SEGUE_SHARED_DATA/exports): for each
real export file, a library of tiny tagged FLAC files is generated from the songs it
names, the way a person's own files differ from a streaming service's names (see
:data:`VARIANTS`: changed case, versions and featured artists written differently,
accents dropped, "Beatles, The", files without tags named by folder or file name), with
:data:`ABSENT` of the songs left out so false matches show. The library is scanned and
the file imported with ``segue import`` itself, twice. Printed per file: rows naming
library songs and the share that became plays, the share matched to the right file,
rows naming absent songs that matched something (false matches), what the second
import added, and the import's time.

Part 2: a ``--rows``-row export in each format (Spotify extended JSON, Last.fm CSV,
ListenBrainz JSONL) generated from the listening logs' shape (how often a person
replays songs, session lengths, pauses, time heard, skips and end reasons of one real
log, ``../shared/data/listening_logs``; no names are taken from it: songs are
generated), imported into a ``--library``-track library. The baseline, measured in the
same run, is reading the same file (:func:`segue_common.listen_exports.read_export`)
alone; the target is a 20,000-row import in under 10 s.

Part 3: how long the window could be frozen by reading the Spotify JSON of part 2 on a
worker: the longest wait of a thread that wakes every millisecond (as the window's event
loop would) while another reads the file, against one ``json.loads`` of its text in the
same run (which holds Python's lock for the whole parse).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.library_gen import library_rows  # noqa: E402
from player.history.importer import import_file  # noqa: E402
from player.library.scanner import Scanner  # noqa: E402
from player.store import Store  # noqa: E402
from segue_common.listen_exports import read_export  # noqa: E402
from segue_common.listening import MIN_LISTEN_MS, SESSION_GAP_S  # noqa: E402
from tests import history_fixtures as fx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SEGUE_SHARED_DATA") or ROOT.parent / "shared" / "data")
#: How the library's copy of a song is named, and how often (the rest are left absent).
VARIANTS = (("as written", 0.40), ("other case", 0.10), ("version written differently", 0.15),
            ("featured artist in the artist tag", 0.08), ("accents and quotes plain", 0.05),
            ("'Artist, The'", 0.02), ("no tags: Artist/Album/NN Title", 0.10),
            ("no tags: Artist - Title", 0.05))
ABSENT = 0.05
_SAFE = re.compile(r'[/\\\x00:*?"<>|]')


# -- part 1: a library generated from an export's songs ---------------------------------
def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')


def library_names(artist: str, title: str, variant: str, rng: random.Random) -> tuple[str, str]:
    """``(artist, title)`` as the person's own file is tagged, for one of :data:`VARIANTS`."""
    if variant == "other case":
        return (artist.upper() if rng.random() < 0.5 else artist.lower()), title.lower()
    if variant == "version written differently":
        # Services write versions as " - X" where tags use "(X)"; a soundtrack's "(From ...)"
        # is often missing from the file; a plain title gets the remaster year a CD printed.
        m = re.search(r"\s+[-\u2013\u2014]\s+([^\(\)\[\]]+)$", title)
        if m:
            return artist, f"{title[:m.start()]} ({m.group(1)})"
        bare = re.sub(r"\s*[\(\[]from\s[^\)\]]*[\)\]]", "", title, flags=re.I)
        return artist, (bare if bare != title else f"{title} (Remastered {rng.randint(1995, 2020)})")
    if variant == "featured artist in the artist tag":
        m = re.search(r"\s*[\(\[](?:feat\.?|ft\.?|featuring)\s+([^\)\]]+)[\)\]]", title, re.I)
        if m:
            return f"{artist} feat. {m.group(1)}", title[:m.start()] + title[m.end():]
        return f"{artist} & {rng.choice(['Guest', 'Friends', 'Orchestra'])}", title
    if variant == "accents and quotes plain":
        return _plain(artist), _plain(title)
    if variant == "'Artist, The'" and artist.lower().startswith("the "):
        return f"{artist[4:]}, The", title
    return artist, title


def _safe(name: str) -> str:
    return (_SAFE.sub("_", name).strip(". ") or "_")[:100]


def write_library(songs: list[tuple[str, str, str | None]], root: Path, *, seed: int = 17) -> dict:
    """Tiny tagged FLAC files for ``songs`` (artist, title, album); returns
    ``{(artist, title): path}`` of the songs written (the absent ones are not)."""
    from mutagen.flac import FLAC

    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    template = root / ".template.flac"
    sf.write(str(template), np.zeros(800, np.int16), 8000, format="FLAC", subtype="PCM_16")
    names, weights = zip(*VARIANTS)
    written: dict[tuple[str, str], Path] = {}
    for i, (artist, title, album) in enumerate(songs):
        if rng.random() < ABSENT:
            continue
        variant = rng.choices(names, weights)[0]
        album = album or "Singles"
        if variant == "no tags: Artist/Album/NN Title":
            path = root / _safe(artist) / _safe(album) / f"{rng.randint(1, 14):02d} {_safe(title)}.flac"
        elif variant == "no tags: Artist - Title":
            path = root / "Loose" / f"{_safe(artist)} - {_safe(title)}.flac"
        else:
            path = root / "Tagged" / _safe(artist) / f"{i:05d}.flac"
        if path.exists():
            path = path.with_name(f"{path.stem} {i}.flac")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
        if not variant.startswith("no tags"):
            tag_artist, tag_title = library_names(artist, title, variant, rng)
            audio = FLAC(path)
            audio["artist"], audio["title"], audio["album"] = [tag_artist], [tag_title], [album]
            audio.save()
        written[(artist, title)] = path
    template.unlink()
    return written


def match_rates(path: Path, work: Path, *, limit: int | None = None) -> dict:
    """Generate the library for one export, scan it, ``segue import`` the file twice."""
    from player.cli import main as segue

    def listened(export) -> list:
        # (a row heard for under a second is no listen, and becomes no play: see MIN_LISTEN_MS)
        return [x for x in export.listens if x.kind == "music" and not x.private
                and not (x.ms_played is not None and x.ms_played < MIN_LISTEN_MS)]

    export = read_export(path)
    listens = listened(export)[:limit]
    if limit:                      # a shorter copy of the file, in the same format
        path = _shorter(path, work, limit)
        export = read_export(path)
        listens = listened(export)
    songs = list(dict.fromkeys((x.artist, x.title, x.album) for x in listens))
    songs = list({(a, t): (a, t, al) for a, t, al in songs}.values())
    written = write_library(songs, work / "music")
    home, old_home = work / "home", os.environ.get("SEGUE_HOME")
    os.environ["SEGUE_HOME"] = str(home)          # `segue import` opens the store of $SEGUE_HOME
    try:
        store = Store.open()
        Scanner(store).scan([str(work / "music")])
        with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
            t = time.perf_counter()
            rc1 = segue(["import", str(path)])
            first_s = time.perf_counter() - t
            plays_after_first = store.play_count()
            rc2 = segue(["import", str(path)])
    finally:
        if old_home is None:
            os.environ.pop("SEGUE_HOME", None)
        else:
            os.environ["SEGUE_HOME"] = old_home
    stored = {r["fingerprint"]: r for r in store.execute(
        "SELECT l.fingerprint, t.path FROM imported_listens l LEFT JOIN plays p ON p.id = l.play_id "
        "LEFT JOIN tracks t ON t.id = p.track_id")}
    named = [x for x in listens if (x.artist, x.title) in written]
    absent = [x for x in listens if (x.artist, x.title) not in written]
    played = [x for x in named if stored.get(x.fingerprint) and stored[x.fingerprint]["path"]]
    right = [x for x in played if stored[x.fingerprint]["path"] == str(written[(x.artist, x.title)])]
    false = [x for x in absent if stored.get(x.fingerprint) and stored[x.fingerprint]["path"]]
    out_text = out.getvalue()
    store.close()
    return {"file": path.name, "rows": export.rows, "songs": len(songs), "files": len(written),
            "named": len(named), "played": len(played), "right": len(right),
            "absent": len(absent), "false": len(false), "second_added": store_added(out_text),
            "first_s": first_s, "plays": plays_after_first, "rc": (rc1, rc2)}


def store_added(out_text: str) -> int:
    """Rows the second ``segue import`` stored, from its printed summary."""
    last = [ln for ln in out_text.splitlines() if " rows: " in ln][-1]
    m = re.search(r"rows: ([\d,]+) became plays, ([\d,]+) not in the library", last)
    return int(m.group(1).replace(",", "")) + int(m.group(2).replace(",", ""))


def _shorter(path: Path, work: Path, limit: int) -> Path:
    """The first ``limit`` rows of an export, in its own format (for the quick test)."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / path.name
    if path.suffix == ".json":
        import json

        out.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))[:limit]), encoding="utf-8")
    else:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        out.write_text("".join(lines[:limit + 1]), encoding="utf-8")
    return out


# -- part 2: an export of many rows with a real log's shape -------------------------------
def log_shape(log_dir: Path, person: str = "p44fde5") -> dict | None:
    """Numbers (no names) from one real log: how often each song was played, session
    lengths, pauses between sessions, and (time heard, skipped, end reason) of plays."""
    path = log_dir / f"{person}.tsv.gz"
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    from segue_common.listen_exports import parse_time

    times = np.array(sorted(parse_time(r["time"]) for r in rows))
    cuts = np.flatnonzero(np.diff(times) >= SESSION_GAP_S) + 1
    lengths = np.diff(np.concatenate([[0], cuts, [len(times)]]))
    songs: dict[tuple[str, str], int] = {}
    for r in rows:
        songs[(r["artist"], r["track"])] = songs.get((r["artist"], r["track"]), 0) + 1
    heard = [(int(r["ms_played"]), r["skipped"] == "true", r["reason_end"] or None)
             for r in rows if r["ms_played"]]
    return {"counts": sorted(songs.values(), reverse=True), "lengths": lengths.tolist(),
            "pauses": np.diff(times)[cuts - 1].tolist(), "heard": heard, "source": person}


def default_shape(rng: random.Random) -> dict:
    """Without the logs: a Zipf-like replay curve and plausible sessions (stated as such)."""
    return {"counts": [max(1, int(400 / (i + 1) ** 0.9)) for i in range(4000)],
            "lengths": [rng.randint(1, 40) for _ in range(500)],
            "pauses": [rng.uniform(SESSION_GAP_S, 3 * 86400) for _ in range(500)],
            "heard": [(rng.choice([5_000, 25_000, 180_000, 240_000]), False, "trackdone") for _ in range(100)],
            "source": "generated (logs absent)"}


def synthetic_history(n: int, shape: dict, library: list[dict], *, seed: int = 3, in_library: float = 0.85):
    """``n`` plays ``(artist, title, album, start, ms, skipped, reason)`` with ``shape``'s numbers;
    songs are library rows (``in_library`` of them, names varied as services write them) or new ones.
    A library smaller than the songs of ``shape`` holds the most played of them: the rest are
    songs heard elsewhere, as a long history names more songs than a small library holds."""
    rng = random.Random(seed)
    counts = np.asarray(shape["counts"], np.float64)
    songs = []
    for i in range(len(counts)):
        row = library[i] if i < len(library) else None
        if row is not None and rng.random() < in_library:
            title = row["title"]
            r = rng.random()
            if r < 0.15:
                title = f"{title} - Remastered {rng.randint(1995, 2020)}"
            elif r < 0.25:
                title = title.upper()
            songs.append((row["artist"], title, row["album"]))
        else:
            songs.append((f"Elsewhere {i % 300}", f"Unheard Song {i}", None))
    cum = np.cumsum(counts).tolist()
    order = range(len(songs))
    plays, t = [], 1_600_000_000.0
    while len(plays) < n:
        for _ in range(rng.choice(shape["lengths"])):
            song = songs[rng.choices(order, cum_weights=cum, k=1)[0]]
            ms, skipped, reason = rng.choice(shape["heard"])
            plays.append((*song, t, ms, skipped, reason))
            t += ms / 1000 + rng.uniform(1, 20)
            if len(plays) >= n:
                break
        t += rng.choice(shape["pauses"])
    return plays


def time_formats(rows: int, n_library: int, repeat: int, tmp: Path) -> list[dict]:
    rng = random.Random(5)
    shape = log_shape(SHARED / "listening_logs") or default_shape(rng)
    library = library_rows(n_library, seed=11)
    rng.shuffle(library)
    plays = synthetic_history(rows, shape, library)
    base_db = tmp / "library.db"
    store = Store(base_db)
    store.upsert_tracks(library)
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    as_fixture = [(a, t, al, s, ms, sk) for a, t, al, s, ms, sk, _r in plays]
    files = {"spotify_extended": fx.spotify_extended(tmp / "Streaming_History_Audio_big.json", as_fixture),
             "lastfm_csv": fx.lastfm_mbids(tmp / "scrobbles_big.csv", as_fixture),
             "listenbrainz": fx.listenbrainz_jsonl(tmp / "listens_big.jsonl", as_fixture)}
    out = []
    for fmt, path in files.items():
        read_s, first_s, again_s = [], [], []
        for k in range(repeat):
            t = time.perf_counter()
            read_export(path)
            read_s.append(time.perf_counter() - t)
            db = tmp / f"run-{fmt}-{k}.db"
            shutil.copyfile(base_db, db)
            store = Store(db)
            t = time.perf_counter()
            s = import_file(store, path)
            first_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            s2 = import_file(store, path)
            again_s.append(time.perf_counter() - t)
            store.close()
        out.append({"format": fmt, "rows": s.rows, "matched": s.matched, "unmatched": s.unmatched,
                    "too_short": s.too_short, "second_added": s2.added, "read_s": statistics.median(read_s),
                    "import_s": statistics.median(first_s), "again_s": statistics.median(again_s),
                    "shape": shape["source"]})
    return out


def longest_wait(work, repeat: int) -> float:
    """The median over ``repeat`` runs of the longest gap (s) between the wakings of a thread
    that sleeps 1 ms at a time while ``work`` runs on this one."""
    worst = []
    for _ in range(repeat):
        stop, gaps = threading.Event(), []

        def beat():
            last, most = time.perf_counter(), 0.0
            while not stop.is_set():
                time.sleep(0.001)
                now = time.perf_counter()
                most, last = max(most, now - last), now
            gaps.append(most)

        thread = threading.Thread(target=beat)
        thread.start()
        time.sleep(0.02)
        work()
        stop.set()
        thread.join()
        worst.append(gaps[0])
    return statistics.median(worst)


def gil_holds(rows: int, n_library: int, repeat: int, tmp: Path) -> dict:
    import json

    path = tmp / "Streaming_History_Audio_big.json"
    if not path.exists():
        time_formats(rows, n_library, 1, tmp)
    text = path.read_text(encoding="utf-8")
    return {"mb": path.stat().st_size / 1e6, "loads": longest_wait(lambda: json.loads(text), repeat),
            "read": longest_wait(lambda: read_export(path), repeat)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--library", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="part 1: only the first rows of each file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="segue-bench-import-") as tmp:
        tmp = Path(tmp)
        exports = SHARED / "exports"
        if exports.exists():
            print("Part 1: segue import on the real export samples, against a library generated from their songs")
            print(f"{'file':<52} {'rows':>5} {'files':>5} {'named':>6} {'plays':>7} {'right':>7} "
                  f"{'absent':>6} {'false':>5} {'2nd adds':>8} {'time s':>6}")
            for path in sorted(exports.iterdir()):
                r = match_rates(path, tmp / path.stem, limit=args.limit)
                print(f"{r['file']:<52} {r['rows']:>5} {r['files']:>5} {r['named']:>6} "
                      f"{100 * r['played'] / max(r['named'], 1):>6.1f}% {100 * r['right'] / max(r['named'], 1):>6.1f}% "
                      f"{r['absent']:>6} {r['false']:>5} {r['second_added']:>8} {r['first_s']:>6.2f}")
        else:
            print(f"Part 1 skipped: {exports} absent")
        print(f"\nPart 2: {args.rows:,}-row exports into a {args.library:,}-track library "
              f"(median of {args.repeat}; baseline = reading the file alone)")
        rows = time_formats(args.rows, args.library, args.repeat, tmp)
        print(f"shape of the generated history: {rows[0]['shape']}")
        print(f"{'format':<18} {'rows':>7} {'plays':>7} {'kept':>6} {'read s':>7} {'import s':>9} "
              f"{'x read':>7} {'again s':>8} {'2nd adds':>8} {'< 10 s':>6}")
        for r in rows:
            print(f"{r['format']:<18} {r['rows']:>7,} {r['matched']:>7,} {r['unmatched']:>6,} {r['read_s']:>7.2f} "
                  f"{r['import_s']:>9.2f} {r['import_s'] / r['read_s']:>7.1f} {r['again_s']:>8.2f} "
                  f"{r['second_added']:>8} {'yes' if r['import_s'] < 10 else 'NO':>6}")
        g = gil_holds(args.rows, args.library, max(args.repeat, 5), tmp)
        print(f"\nPart 3: the Spotify JSON of part 2 ({g['mb']:.1f} MB) read beside a thread waking every 1 ms "
              f"(median of {max(args.repeat, 5)})")
        print(f"{'reading':<28} {'longest wait ms':>15}")
        print(f"{'json.loads (baseline)':<28} {1000 * g['loads']:>15.1f}")
        print(f"{'read_export':<28} {1000 * g['read']:>15.1f}  ({g['read'] / g['loads']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
