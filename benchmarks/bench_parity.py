"""Does the player suggest what the evaluation measured? Up next and Radio both ways, in one run.

    python -m benchmarks.bench_parity [--logs DIR] [--people p1,p2] [--last 2000] [--points 300]

``python -m recommender.evaluate people`` replays a person's log through
:class:`recommender.rank.Recommender` directly (:class:`recommender.research.eval_upnext.UpNextRanker`).
The player goes another way: its plays are logged into a real store (``start_play`` /
``end_play``, as the player logs them), and :class:`player.recommender_service.RecommenderService`
builds the catalogue from the store, reads the plays and the session's skips back, and
leaves out what the person asked never to hear. This replays the same log both ways and,
at up to ``--points`` query points of the test period (the evaluation's: a listened play
with a listened play before it in its session, not heard earlier in the session), asks

- the evaluation's ranker for its list (untrained, with the shipped priors, as
  ``--no-train`` measures it), and
- the service for its Up next, as the queue's filler asks it (the session's tracks so
  far, oldest first; 20 tracks), over a library of the tracks played before the point
  (the evaluation's candidates: it never offers a track not yet played);

and what Up next's queue holds at the same points, filled as the player fills it (a batch of
ten when fewer than three are left, all re-ranked after an early skip; its "app" columns),
beside the evaluation's list ranked afresh after every play, two ways: "queue, picks keep
it", where a song the person picks leaves the suggestions queued (``Player.play_now``, a file
opened from the file manager), and "queue, picks refill it", where it replaces them and the
queue is filled afresh (a song played from the library: ``Player.play_tracks``, where the
rest of a list played from would come first, which the logs do not tell), the top ten of both
(their HR@20 and MRR@20 are of ten songs each side; overlap@20 is at most 0.5); and, at the
first play of up to ``--points`` test sessions, Radio from that track both
ways (the service as a station starts: the seed left out, nothing else heard).

Prints per person and surface: the share of points whose top 10 are the same (in order),
the mean overlap of the top 10 and of the top 20 (as sets), and HR@20 / MRR@20 (Radio:
Recall@20 of the rest of the session) of both lists against what the person really
played next. Everything runs in a throw-away SEGUE_HOME; no model is trained.

What differs by the evaluation's design, and stays: its play log ends where the session
began, its clock at the session's start, where the app's store holds the session's plays so
far and its clock is the latest play's (the taste, the recent plays and the genre and artist
counts differ within a session); its library also holds the tracks the session plays for
the first time later on (left out of its list, they still count in its averages); and its
station starts at the clock of the session's first play, where the app's is its latest play
(another day's order among equals).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also runs as a plain script

DEFAULT_PEOPLE = "pfa2c89,p7d1f65,p8de031"
FILL_BATCH = 10        # what the window's queue filler asks for at a time (player/ui/playback_mixin.py)


def query_points(log, sessions, cut: float) -> tuple[list[int], list[int]]:
    """Up next's query positions and Radio's seed positions in the test period (times >= cut)."""
    upnext, radio = [], []
    for pos in sessions:
        if log.times[pos[0]] < cut:
            continue
        if len(pos) > 1:
            radio.append(int(pos[0]))
        seen: set[int] = set()
        listened_before = False
        for p in pos:
            item = int(log.items[p])
            if not log.skipped[p]:
                if listened_before and item not in seen:
                    upnext.append(int(p))
                listened_before = True
            seen.add(item)
    return upnext, radio


def letters(n: int) -> str:
    """``n`` written in letters (a path's digits would be read as track numbers)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(97 + r) + out
        if n == 0:
            return out


def spread(points: list[int], n: int) -> list[int]:
    """At most ``n`` of ``points``, evenly through them."""
    if len(points) <= n:
        return points
    return [points[i] for i in np.linspace(0, len(points) - 1, n).round().astype(int)]


def compare(a: list[int], b: list[int], truth, *, radio: bool = False) -> dict:
    """Agreement of two ranked lists and the hit measures of each against ``truth``."""
    out = {"same10": float(a[:10] == b[:10]),
           "overlap10": len(set(a[:10]) & set(b[:10])) / 10.0,
           "overlap20": len(set(a[:20]) & set(b[:20])) / 20.0}
    for side, lst in (("eval", a[:20]), ("app", b[:20])):
        if radio:
            rest = set(truth)
            out[f"{side}_recall"] = len(rest & set(lst)) / len(rest) if rest else 0.0
        else:
            out[f"{side}_hr"] = float(truth in lst)
            out[f"{side}_mrr"] = 1.0 / (lst.index(truth) + 1) if truth in lst else 0.0
    return out


def replay(path: Path, *, last: int, points: int, priors, train_frac: float = 0.8, say=print) -> dict:
    """One person's log both ways; returns the per-point comparisons of each surface."""
    from player.playback import FILL_BELOW
    from player.recommender_service import RecommenderService
    from player.store import Store
    from recommender.models.session_base import ItemSpace
    from recommender.research.eval_upnext import UpNextRanker, app_play_log, track_lengths
    from recommender.research.logs import load_log_file
    from segue_common.listening import split_sessions

    log = load_log_file(path, last_listened=last or None)
    sessions = split_sessions(log.times)
    session_of = np.zeros(len(log), np.int64)
    for k, pos in enumerate(sessions):
        session_of[pos] = k
    t0, t1 = float(log.times[0]), float(log.times[-1])
    cut = t0 + train_frac * (t1 - t0)
    upnext, radio = query_points(log, sessions, cut)
    upnext, radio = set(spread(upnext, points)), set(spread(radio, points))
    ranker = UpNextRanker(log, priors=priors, retrain_plays=None)
    ranker.fit(None, ItemSpace(log.n_items, log.item_artist, log.n_artists))
    plays = app_play_log(log)
    lengths = track_lengths(log)
    known_after = np.maximum.accumulate(log.items) + 1

    def eval_list(scores: np.ndarray) -> list[int]:
        order = np.argsort(-scores, kind="stable")
        return [int(i) for i in order if np.isfinite(scores[i])]

    home = tempfile.mkdtemp(prefix="segue-parity-")
    os.environ["SEGUE_HOME"] = home
    store = Store.open(str(Path(home) / "library.db"))
    service = RecommenderService(store, models_dir=Path(home) / "models", priors=priors)
    track_of: dict[int, int] = {}        # log item -> store track id
    item_of: dict[int, int] = {}
    albums: dict[str, int] = {}
    rows_out = {"up next": [], "queue, picks keep it": [], "queue, picks refill it": [], "radio": []}
    queue: list[int] = []                # log items waiting in Up next, as the queue keeps them
    picks: list[int] = []                # the same where a song not next in the queue refills it

    def add_tracks(upto: int) -> None:
        """The library holds the tracks played before log position ``upto`` (and the one at it
        where that is a station's seed), as a scan would have found them."""
        new = [i for i in range(len(track_of), upto)]
        if not new:
            return
        rows = []
        for i in new:
            # A folder per album (per track where the log names none), with no digits that the
            # library would read as track or disc numbers: as a tidy library lies.
            album = log.item_album[i] if log.item_album else None
            folder = f"{letters(int(log.item_artist[i]) + 1)}/{letters(albums.setdefault(album, len(albums)))}" \
                if album else f"x/{letters(i)}"
            artist, _, title = log.keys[i].partition("\x1f") if "\x1f" in log.keys[i] else ("", "", log.keys[i])
            rows.append({"path": f"/music/{folder}/{letters(i)}.mp3", "size": 1000, "mtime_ns": 1, "title": title,
                         "artist": log.artists[log.item_artist[i]] if log.item_artist[i] >= 0 else None,
                         "album": album, "duration": float(lengths[i])})
        store.upsert_tracks(rows)
        by_path = {r["path"]: r["id"] for r in store.tracks()}
        for i, row in zip(new, rows):
            track_of[i] = by_path[row["path"]]
            item_of[track_of[i]] = i
        service.invalidate()          # as the scan tells it

    wall = time.perf_counter()
    last_point = max(upnext | radio, default=-1)
    for p in range(last_point + 1):
        s = int(session_of[p])
        if p in upnext:
            add_tracks(int(known_after[p - 1]))
            start = int(sessions[s][0])
            here = [track_of[int(i)] for i in log.items[start:p]]
            got = [item_of[r.track_id] for r in service.up_next(here, 20)]
            want = eval_list(ranker.score([], p))[:20]
            rows_out["up next"].append(compare(want, got, int(log.items[p])))
            # What the queue holds at this point (filled batch by batch, see below) against a
            # list ranked afresh after every play.
            # (Ten songs both sides: the queue holds about ten, and its hits against the
            # evaluation's twenty read as half of them.)
            rows_out["queue, picks keep it"].append(compare(want[:10], queue[:10], int(log.items[p])))
            rows_out["queue, picks refill it"].append(compare(want[:10], picks[:10], int(log.items[p])))
        if p in radio:
            add_tracks(max(int(known_after[p - 1]), int(log.items[p]) + 1))
            seed = int(log.items[p])
            got = [item_of[r.track_id] for r in service.radio(track_of[seed], 20, exclude={track_of[seed]})]
            want = eval_list(ranker.radio(p))[:20]
            pos = sessions[s]
            rest = [int(i) for i, sk in zip(log.items[pos[1:]], log.skipped[pos[1:]]) if not sk and i != seed]
            rows_out["radio"].append(compare(want, got, [i for i in dict.fromkeys(rest)
                                                         if i < int(known_after[p - 1])], radio=True))
        add_tracks(int(known_after[p]))
        pid = store.start_play(track_of[int(log.items[p])], source="library", track_ms=int(plays.track_ms[p]),
                               now=float(plays.started_at[p]))
        store.end_play(pid, str(plays.ended[p]), int(plays.ms_heard[p]),
                       now=float(plays.started_at[p]) + float(plays.ms_heard[p]) / 1000.0)
        service.on_player_event("track_ended", {})
        if log.times[p] >= cut:
            # The queue as the player fills it: a batch of FILL_BATCH when fewer than FILL_BELOW
            # are left, after the queue's songs (kept in their order); all of its suggestions
            # ranked again after an early skip; a session's first song starts it afresh.
            # (In the logs people chose their songs themselves: in "picks refill it" a song that
            # was not the queue's next replaces its suggestions with a fresh batch.)
            here = [track_of[int(i)] for i in log.items[int(sessions[s][0]):p + 1]]
            for kind, q in (("queue", queue), ("picks", picks)):
                item = int(log.items[p])
                moved = p == int(sessions[s][0]) or (kind == "picks" and bool(q) and q[0] != item)
                if p == int(sessions[s][0]):
                    q = []
                if item in q:
                    q.remove(item)
                if log.skipped[p] or moved:
                    q = [item_of[r.track_id] for r in service.up_next(here, max(FILL_BATCH, len(q)))]
                elif len(q) < FILL_BELOW:
                    q += [item_of[r.track_id] for r in service.up_next(here, FILL_BATCH,
                                                                      exclude=[track_of[i] for i in q])]
                if kind == "queue":
                    queue = q
                else:
                    picks = q
    store.close()
    ranker.close()
    say(f"  {log.person}: {len(log)} plays, {log.n_items} tracks, {len(rows_out['up next'])} Up next points, "
        f"{len(rows_out['radio'])} Radio points ({time.perf_counter() - wall:.0f} s)")
    return rows_out


def table(results: dict[str, dict]) -> str:
    lines = ["| person | surface | points | same top 10 | overlap@10 | overlap@20 | eval HR@20 | app HR@20 | "
             "eval MRR@20 | app MRR@20 |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for person, surfaces in results.items():
        for surface, rows in surfaces.items():
            if not rows:
                continue
            m = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            if surface == "radio":
                hit = f"{m['eval_recall']:.4f} (R@20) | {m['app_recall']:.4f} (R@20) | — | —"
            else:
                hit = f"{m['eval_hr']:.4f} | {m['app_hr']:.4f} | {m['eval_mrr']:.4f} | {m['app_mrr']:.4f}"
            lines.append(f"| {person} | {surface} | {len(rows)} | {m['same10']:.3f} | {m['overlap10']:.3f} | "
                         f"{m['overlap20']:.3f} | {hit} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_parity", description=__doc__.split("\n\n")[0])
    ap.add_argument("--logs", default=os.path.join(os.environ.get("SEGUE_SHARED_DATA", "../shared/data"),
                                                   "listening_logs"))
    ap.add_argument("--people", default=DEFAULT_PEOPLE, help="pseudonyms separated by commas")
    ap.add_argument("--last", type=int, default=2000, help="the latest N listened plays of each person (0: all)")
    ap.add_argument("--points", type=int, default=300, help="query points per person and surface, at most")
    ap.add_argument("--no-priors", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from recommender.research.eval_people import log_files
    from recommender.research.eval_upnext import load_priors_or_none

    files = log_files(Path(args.logs))
    priors = None if args.no_priors else load_priors_or_none()
    results = {}
    for person in [p for p in args.people.split(",") if p]:
        results[person] = replay(files[person], last=args.last, points=args.points, priors=priors)
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
