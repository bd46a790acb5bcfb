"""The learner process, measured: the window's memory and torch-freedom with a big library under
analysis, a ``kill -9`` of the learner, and search and underruns with and without it.

    python -m benchmarks.bench_learner                  # 100,000 tracks; 300 analysed
    python -m benchmarks.bench_learner --tracks 20000 --analyse 40 --measure-s 15

The library: ``--tracks`` rows written straight into the store (benchmarks/library_gen.py),
each pointing at a symbolic link to one of ``--pool`` generated mp3 files of ``--seconds``
(so every track decodes and analysis has real work). The window is the real app (the
``MainWindow`` with the recommender and the learner process, ``run_gui``'s path) in a
child process, under Xvfb when it is installed (else offscreen), playing through a
PulseAudio null sink when one can be started (else the null engine). The parent reads
``/proc`` for the window and its learner.

Part 1, one window:

- analysis running (the learner's first progress): the window's RSS, whether any torch
  library is mapped into it (``/proc/PID/maps``), the learner's RSS, torch maps and CPU time;
- ``kill -9`` of the learner: the status-bar note, playback position before and after,
  the time until a new learner says Ready and until analysis resumes;
- after ``--analyse`` tracks are analysed (the parent then has the window cancel the pass),
  the window rebuilds its catalogue with their features: its RSS then, and its peak.

Part 2, two windows one after the other, music playing in both: ``--measure-s`` seconds of
searches (``LibraryModel.set_filter`` over every track, on the GUI thread, every 150 ms; its
remembered words forgotten first, so each is searched for anew)
without a learner, then with the learner analysing at full speed (``analysis.while_playing``
= ``run``: it never steps aside). Search latency p50/p95/max and audio underruns, with the
ratio of the second run to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

QUERIES = ["night", "blue", "rock", "ka", "velvet river", "zzzz", "golden", "2"]
RSS_LIMIT_MB = 300


# -- /proc ---------------------------------------------------------------------------------
def proc_status(pid: int) -> dict:
    """VmRSS and VmHWM in MB of ``pid`` ({} once it is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def torch_maps(pid: int) -> int:
    """How many mappings of ``pid`` come from a file under a ``torch`` folder or named libtorch*."""
    try:
        with open(f"/proc/{pid}/maps") as fh:
            return sum(1 for line in fh if "/torch/" in line or "libtorch" in line)
    except OSError:
        return -1


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return float("nan")


def nice_of(pid: int) -> int | None:
    try:
        return os.getpriority(os.PRIO_PROCESS, pid)
    except OSError:
        return None


# -- the library -----------------------------------------------------------------------------
def make_pool(folder: Path, n: int, seconds: float) -> list[Path]:
    """``n`` mp3 files of ``seconds``: a chord per file with a pulse and a little noise (cached)."""
    import numpy as np
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    sr, out = 44100, []
    for i in range(n):
        path = folder / f"pool{i:03d}_{int(seconds)}s.mp3"
        if not path.exists():
            rng = np.random.default_rng(i)
            t = np.arange(int(seconds * sr)) / sr
            root = 110.0 * 2 ** ((i * 5 % 12) / 12)
            y = sum(np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.25, 1.5)) / 3
            y = 0.3 * y * (0.6 + 0.4 * np.abs(np.sin(np.pi * (1.5 + i % 4 * 0.5) * t)))
            y = y + 0.02 * rng.standard_normal(len(t))
            sf.write(str(path) + ".tmp", np.stack([y, y], 1).astype(np.float32), sr, format="MP3")
            os.replace(str(path) + ".tmp", path)
        out.append(path)
    return out


def build_home(home: Path, tracks: int, pool: int, seconds: float) -> None:
    """A data folder whose store holds ``tracks`` rows, each a link to one of ``pool`` mp3 files."""
    from benchmarks.library_gen import library_rows
    from player.store import Store

    db = home / "library.db"
    if db.exists():
        return
    t0 = time.perf_counter()
    files = make_pool(home / "pool", pool, seconds)
    links = home / "music"
    links.mkdir(parents=True, exist_ok=True)
    rows = library_rows(tracks)
    for i, row in enumerate(rows):
        link = links / f"{i:06d}.mp3"
        if not link.is_symlink():
            link.symlink_to(files[i % len(files)])
        row.update(path=str(link), codec="mp3", duration=float(seconds))
    store = Store.open(db)
    for i in range(0, len(rows), 5000):
        store.upsert_tracks(rows[i:i + 5000])
    store.close()
    print(f"generated {tracks:,} tracks over {pool} mp3 files of {seconds:g} s in "
          f"{time.perf_counter() - t0:.1f} s ({home})", flush=True)


def analysed_count(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM track_features WHERE error IS NULL").fetchone()[0]
    finally:
        conn.close()


# -- display and sound -------------------------------------------------------------------------
def start_xvfb() -> subprocess.Popen | None:
    """Xvfb on a free display, if installed and no display is set; None otherwise."""
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return None
    for n in range(99, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(50):
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    os.environ["DISPLAY"] = f":{n}"
                    return proc
                time.sleep(0.1)
            proc.kill()
    return None


def start_sink() -> str | None:
    """A PulseAudio null sink for the window's output (its folder), or None (null engine)."""
    if os.environ.get("PULSE_SERVER"):
        return None
    out = subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "start"], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    for line in out.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ[key] = value
    return os.environ["SEGUE_NULL_SINK_DIR"]


# -- the window (child process) ------------------------------------------------------------------
def child(learn: bool, full_speed: bool) -> int:
    """The real window; events as JSON lines on stdout; commands on stdin."""
    from PySide6.QtCore import QObject, QTimer, Signal

    from player.learner import messages as m
    from player.store import Store
    from player.ui.main import create_app, default_engine_factory
    from player.ui.main_window import MainWindow
    from player.workers import run_task

    t0 = time.monotonic()

    def emit(event: str, **data) -> None:
        print(json.dumps({"ev": event, "t": round(time.monotonic() - t0, 3), **data}, default=str), flush=True)

    app = create_app()
    store = Store.open()
    if full_speed:
        store.set_setting("analysis.while_playing", "run")
    window = MainWindow(store, engine_factory=default_engine_factory(store))
    if learn:
        window.enable_intelligence(analyse=True)
    else:
        window.enable_intelligence(analyse=False, learn=False)
    intelligence = window.intelligence

    class Commands(QObject):
        got = Signal(str)

    commands = Commands()

    def read_stdin() -> None:
        for line in sys.stdin:
            commands.got.emit(line.strip())
        commands.got.emit("quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    analysed_seen = {"n": 0, "pids": set()}

    def on_learner(message) -> None:
        pid = intelligence.learner.pid if intelligence.learner else None
        if isinstance(message, m.AnalysisProgress):
            analysed_seen["n"] += 1
            if analysed_seen["n"] % 20 and pid in analysed_seen["pids"]:
                return                        # the first of each process, then one in 20
            analysed_seen["pids"].add(pid)
        emit("learner", kind=type(message).__name__, pid=pid, msg=repr(message))
        if isinstance(message, m.AnalysisFinished):
            # The pass ended (the parent cancels it): rebuild the catalogue with every feature
            # stored so far, as the app does on its next Up next / Radio call after "features changed".
            def rebuild():
                window.provider.invalidate()
                window.provider.recommender()

            run_task(rebuild, lambda result, error: emit("rebuilt", error=str(error or "")), name="rebuild")

    intelligence.learner_message.connect(on_learner)
    intelligence.learner_exited.connect(lambda info: emit("learner_exit", code=info.exitcode,
                                                          restart_in=info.restart_in))
    intelligence.ready.connect(lambda: emit("ready"))
    window.statusBar().messageChanged.connect(lambda text: emit("status", text=text) if text else None)

    def tick() -> None:
        player = window.player
        if player is not None:
            emit("tick", track=player.current_track_id, pos=round(player.position, 2),
                 underruns=player.engine.underruns, state=str(player.state))

    ticker = QTimer(interval=1000)
    ticker.timeout.connect(tick)
    ticker.start()

    def start_music() -> None:
        ids = [window.model.track_id(i) for i in range(min(60, window.model.rowCount()))]
        window.play_ids(ids)
        emit("library", rows=window.model.rowCount())

    waiting = {"library", "player"}

    def arrived(what: str) -> None:          # music starts once both the rows and the player are there
        if what in waiting:
            waiting.discard(what)
            if not waiting:
                QTimer.singleShot(0, start_music)

    window.library_loaded.connect(lambda: arrived("library"))
    window.player_ready.connect(lambda: arrived("player"))
    if window.player is not None:
        arrived("player")

    def search(seconds: float) -> None:
        model, times = window.model, []
        player = window.player
        before = player.engine.underruns if player else 0
        end = time.monotonic() + seconds
        progress0 = analysed_seen["n"]

        def one(i=[0]) -> None:
            if time.monotonic() >= end:
                model.set_filter("")
                emit("search", ms=times, underruns=(player.engine.underruns - before) if player else -1,
                     progress_messages=analysed_seen["n"] - progress0)
                return
            q = QUERIES[i[0] % len(QUERIES)]
            i[0] += 1
            # The search remembers its latest words; forgetting them times each search as
            # the first of its words, which is what a person typing something new waits for.
            model.data_.search._cache.clear()
            t = time.perf_counter()
            model.set_filter(q)
            times.append((time.perf_counter() - t) * 1000)
            QTimer.singleShot(150, one)

        one()

    def command(line: str) -> None:
        if line == "cancel":
            intelligence.send(m.Cancel())
        elif line.startswith("search"):
            search(float(line.split()[1]))
        elif line == "quit":
            window.close()
            app.quit()

    commands.got.connect(command)
    window.show()
    emit("window", pid=os.getpid())
    app.exec()
    store.close()
    emit("bye")
    return 0


class Window:
    """A child window process and its events."""

    def __init__(self, home: Path, *, learn: bool, full_speed: bool = False):
        env = {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT)}
        if not env.get("PULSE_SERVER"):
            env["SEGUE_ENGINE"] = "null"
        env.setdefault("QT_QPA_PLATFORM", "xcb" if env.get("DISPLAY") else "offscreen")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_learner", "--child", "learn" if learn else "plain",
             *(["--full-speed"] if full_speed else [])],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1)
        self.events: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.seen.append(event)
            self.events.put(event)
        self.events.put({"ev": "eof"})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, test, timeout: float) -> dict:
        """The first event from now on for which ``test(event)`` holds."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no such event within {timeout:.0f} s; last events: {self.seen[-8:]}\n"
                                   + "".join(self.stderr[-20:]))
            try:
                event = self.events.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if event["ev"] == "eof":
                raise RuntimeError("the window exited:\n" + "".join(self.stderr[-40:]))
            if test(event):
                return event

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def learner_event(kind: str):
    return lambda e: e["ev"] == "learner" and e["kind"] == kind


# -- part 1 -------------------------------------------------------------------------------------
class Table(list):
    """Rows printed as they are added (a long run shows its results as it goes)."""

    def __iadd__(self, rows):
        for name, value, note in rows:
            print(f"  {name:<50}  {value:>22}  {note}", flush=True)
        self.extend(rows)
        return self


class Sampler:
    """The window's RSS once a second, in a thread: the largest value seen."""

    def __init__(self, pid: int):
        self.pid, self.top, self.stop = pid, 0.0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stop.wait(1.0):
            self.top = max(self.top, proc_status(self.pid).get("VmRSS", 0.0))


def part_one(home: Path, analyse: int) -> list[tuple[str, str, str]]:
    print("\nPart 1: the window with its learner process", flush=True)
    rows = Table()
    win = Window(home, learn=True)
    sampler = Sampler(win.pid)
    try:
        win.wait(lambda e: e["ev"] == "ready", 300)
        ready = win.wait(learner_event("Ready"), 120)
        learner = ready["pid"]
        win.wait(lambda e: learner_event("AnalysisProgress")(e) and "done=0," not in e["msg"], 300)
        time.sleep(5)                               # analysis in full swing
        w, lr = proc_status(win.pid), proc_status(learner)
        rows += [
            ("window RSS, analysis running", f"{w.get('VmRSS', 0):.0f} MB", f"< {RSS_LIMIT_MB} MB"),
            ("torch mappings in the window (/proc/PID/maps)", str(torch_maps(win.pid)), "must be 0"),
            ("learner RSS / torch mappings", f"{lr.get('VmRSS', 0):.0f} MB / {torch_maps(learner)}",
             "the analysis runs here"),
            ("CPU seconds so far: window / learner", f"{cpu_seconds(win.pid):.1f} / {cpu_seconds(learner):.1f}",
             f"learner nice {nice_of(learner)}"),
        ]
        before = [e for e in win.seen if e["ev"] == "tick"][-1]
        t_kill = time.monotonic()
        os.kill(learner, signal.SIGKILL)
        note = win.wait(lambda e: e["ev"] == "status" and "killed" in e["text"], 30)
        t_note = time.monotonic()
        back = win.wait(lambda e: learner_event("Ready")(e) and e["pid"] != learner, 60)
        t_ready = time.monotonic()
        win.wait(lambda e: learner_event("AnalysisProgress")(e) and e["pid"] == back["pid"], 300)
        t_resume = time.monotonic()
        after = [e for e in win.seen if e["ev"] == "tick"][-1]
        alive = win.proc.poll() is None
        rows += [
            ("kill -9 learner: window still running", str(alive), "must be True"),
            ("  status-bar note", f"after {t_note - t_kill:.2f} s", repr(note["text"])),
            ("  playback: track/position before -> after",
             f"{before['track']}@{before['pos']:.0f}s -> {after['track']}@{after['pos']:.0f}s",
             after["state"].rsplit(".", 1)[-1]),
            ("  new learner Ready after", f"{t_ready - t_kill:.2f} s", "1 s back-off + start"),
            ("  analysis resumed after", f"{t_resume - t_kill:.2f} s", "+ torch import, tagger load"),
        ]
        db = home / "library.db"
        t0 = time.monotonic()
        while analysed_count(db) < analyse:
            time.sleep(2)
            if time.monotonic() - t0 > 3600:
                raise TimeoutError(f"only {analysed_count(db)} tracks analysed after an hour")
        top_before = sampler.top
        win.send("cancel")
        win.wait(lambda e: e["ev"] == "rebuilt", 600)
        time.sleep(2)
        w = proc_status(win.pid)
        rows += [
            ("largest window RSS while analysing (1 s samples)", f"{top_before:.0f} MB", ""),
            (f"window RSS after {analysed_count(db)} analysed, catalogue rebuilt", f"{w.get('VmRSS', 0):.0f} MB",
             f"< {RSS_LIMIT_MB} MB"),
            ("window peak RSS (VmHWM) over the whole run", f"{w.get('VmHWM', 0):.0f} MB", "the rebuild's peak"),
            ("torch mappings in the window at the end", str(torch_maps(win.pid)), "must be 0"),
        ]
    finally:
        sampler.stop.set()
        win.close()
    return rows


# -- part 2 -------------------------------------------------------------------------------------
def measure_search(home: Path, learn: bool, seconds: float) -> dict:
    win = Window(home, learn=learn, full_speed=learn)
    try:
        win.wait(lambda e: e["ev"] == "ready", 300)
        win.wait(lambda e: e["ev"] == "tick" and e["track"] is not None and e["pos"] > 1, 120)
        if learn:
            win.wait(lambda e: learner_event("AnalysisProgress")(e) and "done=0," not in e["msg"], 300)
        learner = [e["pid"] for e in win.seen if e["ev"] == "learner"]
        cpu0 = cpu_seconds(learner[-1]) if learner else 0.0
        db = home / "library.db"
        n0 = analysed_count(db)
        win.send(f"search {seconds}")
        result = win.wait(lambda e: e["ev"] == "search", seconds + 120)
        result["analysed"] = analysed_count(db) - n0
        result["learner_cpu"] = (cpu_seconds(learner[-1]) - cpu0) if learner else 0.0
        return result
    finally:
        win.close()


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--analyse", type=int, default=300, help="tracks to analyse before the last RSS reading")
    parser.add_argument("--pool", type=int, default=40, help="distinct audio files behind the tracks")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each audio file")
    parser.add_argument("--measure-s", type=float, default=30.0, help="seconds of searching per condition")
    parser.add_argument("--home", help="data folder to reuse (default: a temporary one)")
    parser.add_argument("--skip", choices=["1", "2"], help="skip part 1 or part 2")
    parser.add_argument("--child", choices=["learn", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--full-speed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child == "learn", args.full_speed)

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="segue-bench-learner-"))
    build_home(home, args.tracks, args.pool, args.seconds)
    xvfb = start_xvfb()
    sink = start_sink()
    display = (f"Xvfb {os.environ['DISPLAY']}" if xvfb else
               f"display {os.environ['DISPLAY']}" if os.environ.get("DISPLAY") else "offscreen (no Xvfb)")
    sound = "PulseAudio null sink" if os.environ.get("PULSE_SERVER") else "null engine"
    print(f"{args.tracks:,} tracks, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {display}; "
          f"{sound}", flush=True)
    try:
        if args.skip != "1":
            part_one(home, args.analyse)
        if args.skip != "2":
            plain = measure_search(home, False, args.measure_s)
            busy = measure_search(home, True, args.measure_s)
            print(f"\nPart 2: searching {args.tracks:,} tracks every 150 ms for {args.measure_s:g} s while music "
                  f"plays ({sound})")
            head = f"  {'':<34} {'no learner':>12} {'learner, full speed':>20} {'ratio':>7}"
            print(head)
            for name, fn in (("search p50 (ms)", lambda r: statistics.median(r["ms"])),
                             ("search p95 (ms)", lambda r: quantile(r["ms"], 0.95)),
                             ("search max (ms)", lambda r: max(r["ms"])),
                             ("searches", lambda r: len(r["ms"])),
                             ("audio underruns", lambda r: r["underruns"]),
                             ("tracks analysed meanwhile", lambda r: r["analysed"]),
                             ("learner CPU seconds meanwhile", lambda r: r["learner_cpu"])):
                a, b = fn(plain), fn(busy)
                ratio = f"{b / a:.2f}x" if isinstance(a, float) and a else ""
                print(f"  {name:<34} {a:>12.1f} {b:>20.1f} {ratio:>7}")
    finally:
        if sink:
            subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "stop", sink], capture_output=True)
        if xvfb is not None:
            xvfb.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
