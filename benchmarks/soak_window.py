"""A long evening with the real window: a seeded random mix of what a person does, then
the player's own account checked against the database.

    python -m benchmarks.soak_window --minutes 10 [--seed 1] [--tracks 300]

The window is the app's (offscreen Qt, the real store in a folder of its own, the player
made by the window on the null engine, following its folders as the app does by default)
over a generated library of short real files (1-4 s, several formats) in two folders, one
of them a "disk" that is unplugged (moved away) and plugged back. For ``--minutes`` it is
driven by a seeded random mix of: play from the library, Next, Previous, seek, pause and
resume, Keep it going, radio, queue and remove songs, "Don't suggest", tags rewritten in
place with mutagen (the song playing too), new albums copied in a folder at a time, the
playing file deleted, the disk unplugged and back, File → Rescan, "Read tags again" on a
selection, a switch of tab, and the window closed and opened again on the same store.

What the player said (its track_started / track_ended events) is kept, and checked at the
end against the database: each play started has one row, closed, its end the one the player
gave, none opened that the player did not start. After the folders have settled, the
library's table must hold the store's playable tracks with the tags last written, and the
store must hold every music file in the folders. No ERROR or traceback in the log, no task
left running, and the status bar never said the folders changed when nothing was changed in
them since the scan before. A table of what was done and what held is printed; the exit
status is 1 if a check failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FORMATS = ("flac", "ogg", "mp3", "wav")
ARTISTS = ["Granite", "Quartet Nine", "Hollow Pines", "Amplifier", "Trio Azul", "Velvet River", "Ashne",
           "Night Owls", "Blue Smoke", "Kestrel"]
GENRES = ["Rock", "Jazz", "Folk", "Electronic", "Ambient"]
AUDIO_EXT = {"." + f for f in FORMATS}


# -- the library ---------------------------------------------------------------------
def _album(folder: Path, artist: str, album: str, n: int, rng: random.Random, templates: dict,
           expected: dict) -> None:
    from tests.audiogen import write_tags

    folder.mkdir(parents=True, exist_ok=True)
    genre = rng.choice(GENRES)
    for i in range(n):
        fmt = rng.choice(FORMATS)
        secs = rng.choice(sorted(templates[fmt]))
        path = folder / f"{i + 1:02d} {album} {i + 1}.{fmt}"
        shutil.copyfile(templates[fmt][secs], path)
        title = f"{album} song {i + 1}"
        write_tags(path, title=title, artist=artist, album=album, genre=genre, tracknumber=str(i + 1))
        expected[str(path)] = title


def make_library(home: Path, n_tracks: int, seed: int) -> tuple[Path, Path, Path, dict]:
    """``(music, disk, spare albums, {path: title})``: two library folders and albums to copy in."""
    from tests.audiogen import FORMATS as AF, tone, write_audio

    rng = random.Random(seed)
    t = home / "_templates"
    t.mkdir(parents=True)
    templates = {}
    for fmt in FORMATS:
        sr = AF[fmt][2]
        templates[fmt] = {s: write_audio(t / f"{s}.{fmt}", tone(s, freq=220.0 + 50 * s, sr=sr), sr)
                          for s in (1.0, 2.0, 3.0, 4.0)}
    music, disk, spare = home / "music", home / "disk", home / "spare"
    expected: dict[str, str] = {}
    made, a = 0, 0
    while made < n_tracks:
        root = disk if a % 4 == 3 else music
        artist = ARTISTS[a % len(ARTISTS)]
        album = f"Album {a}"
        n = rng.randint(6, 12)
        _album(root / artist / album, artist, album, n, rng, templates, expected)
        made += n
        a += 1
    for s in range(30):         # albums to copy in later (their titles keyed by the path they will have)
        artist = ARTISTS[(a + s) % len(ARTISTS)]
        _album(spare / artist / f"New {s}", artist, f"New {s}", rng.randint(4, 8), rng, templates, expected)
    shutil.rmtree(t)
    return music, disk, spare, expected


# -- helpers ---------------------------------------------------------------------------
def spin(seconds: float, until=None) -> bool:
    """Turn the event loop for ``seconds``, or until ``until()`` holds. The timers are this
    call's own and stopped before it returns: a static single shot left pending would call
    into the loop after it was freed."""
    from PySide6.QtCore import QEventLoop, QTimer

    if until is not None and until():
        return True
    loop = QEventLoop()
    timers = [QTimer(singleShot=True, interval=int(seconds * 1000))]
    timers[0].timeout.connect(loop.quit)
    if until is not None:
        check = QTimer(interval=20)
        check.timeout.connect(lambda: until() and loop.quit())
        timers.append(check)
    for timer in timers:
        timer.start()
    loop.exec()
    for timer in timers:
        timer.stop()
        timer.timeout.disconnect()
    return bool(until()) if until is not None else True


class LogCatch(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, str]] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.records.append((record.levelname, f"{record.name}: {text}"))


class Soak:
    def __init__(self, home: Path, seed: int, minutes: float, tracks: int):
        self.home, self.seed, self.minutes = home, seed, minutes
        self.rng = random.Random(seed)
        self.actions: Counter = Counter()
        self.notes: list[str] = []
        self.events: list[tuple] = []           # (monotonic, event, track_id, play_id, ended, window no.)
        self.events_lock = threading.Lock()
        self.fs_changes: list[float] = []       # when the soak changed the folders
        self.scan_starts: list[float] = []
        self.scans_done: list[float] = []
        self.false_status: list[str] = []
        self.status_said: Counter = Counter()
        self.windows = 0
        self.excepthook_errors: list[str] = []
        self.tracks = tracks

    # -- the window --------------------------------------------------------------------
    def open_window(self):
        from player.audio.null_engine import NullEngine
        from player.ui.main_window import MainWindow

        self.windows += 1
        n = self.windows
        w = MainWindow(self.store, engine_factory=lambda: NullEngine(),
                       settings_file=str(self.home / "window.ini"))

        def ready():
            def listen(event, data):
                if event in ("track_started", "track_ended"):
                    with self.events_lock:
                        self.events.append((time.monotonic(), event, data.get("track_id"), data.get("play_id"),
                                            data.get("ended"), n))
            w.player.add_listener(listen)

        w.player_ready.connect(ready)
        w.statusBar().messageChanged.connect(lambda text: self._status(text))
        w.resize(1280, 780)
        w.show()
        self.window = w
        self.scan_running = False
        ok = spin(30, lambda: w.restored and w._started and w.model.rowCount() > 0)
        if not ok:
            self.notes.append(f"window {n}: not restored with rows within 30 s")
        return w

    def close_window(self):
        from tests.player.ui.conftest import settle_workers

        w = self.window
        w.close()
        settle_workers(10)
        w.deleteLater()
        spin(0.1)
        self.window = None

    def _status(self, text: str) -> None:
        if not text:
            return
        key = text.split(":")[0]
        if key.startswith("Could not play"):        # one key, not one per song named
            key = "Could not play (disk not connected)" if text.endswith("not connected now") else "Could not play"
        self.status_said[key] += 1
        if text.startswith("Music folders changed"):
            # The scan that said it began after the one before it ended: something the soak did
            # to the folders since that one began must be there to be seen.
            since = self.scan_starts[-2] if len(self.scan_starts) >= 2 else 0.0
            if not any(t >= since - 0.5 for t in self.fs_changes):
                self.false_status.append(f"{time.monotonic() - self.t0:.1f}s: {text!r} with no change "
                                         f"to the folders since {since - self.t0:.1f}s")

    def _poll_scan(self) -> None:
        w = self.window
        if w is None:
            return
        running = w._scan is not None
        if running and not self.scan_running:
            self.scan_starts.append(time.monotonic())
        elif not running and self.scan_running:
            self.scans_done.append(time.monotonic())
        self.scan_running = running

    # -- what a person does ------------------------------------------------------------
    def _ids(self) -> list[int]:
        return self.window.model.data_.ids.tolist()

    def _path(self, track_id: int) -> str | None:
        row = self.store.track(track_id)
        return row["path"] if row is not None else None

    def _music_files(self, *roots) -> list[Path]:
        out = []
        for root in roots or (self.music, self.disk):
            if root.exists():
                out.extend(p for p in root.rglob("*") if p.suffix in AUDIO_EXT and not p.name.startswith("."))
        return out

    def act_play(self):
        m = self.window.model
        if m.rowCount():
            self.window.library._play_from(self.rng.randrange(m.rowCount()))

    def act_next(self):
        self.window.next_track()

    def act_previous(self):
        self.window.previous_track()

    def act_seek(self):
        p = self.window.player
        if p is not None and p.duration:
            self.window.seek_to(self.rng.uniform(0, p.duration))

    def act_pause(self):
        self.window.toggle_play()

    def act_keep_going(self):
        box = self.window.up_next.keep_going
        box.setChecked(not box.isChecked())

    def act_radio(self):
        ids = self._ids()
        if self.rng.random() < 0.5 and self.window.current_track_id() is not None:
            self.window.radio_from_current()
        elif ids:
            self.window.library.radio_requested.emit(self.rng.choice(ids))

    def act_queue(self):
        ids = self._ids()
        if ids:
            self.window.library.enqueue_requested.emit(self.rng.sample(ids, min(len(ids), self.rng.randint(1, 4))))

    def act_remove(self):
        entries = self.window.up_next.list.model().entries()
        if entries:
            self.window.up_next.remove_entries.emit(self.rng.sample(entries, min(len(entries), 2)))

    def act_never(self):
        ids = self._ids()
        if ids:
            self.window.library.never_suggest.emit(self.rng.choice(ids), "song")

    def act_retag(self):
        from tests.audiogen import write_tags

        current = self.window.current_track_id()
        files = self._music_files()
        if current is not None and self.rng.random() < 0.5:
            path = self._path(current)
        else:
            path = str(self.rng.choice(files)) if files else None
        if path is None or not os.path.exists(path):
            return
        title = f"Retitled {self.rng.randrange(10**6)}"
        write_tags(Path(path), title=title)
        self.expected[path] = title
        self.fs_changes.append(time.monotonic())

    def act_copy_album(self):
        spares = sorted(p for p in self.spare.glob("*/*") if p.is_dir())
        if not spares:
            return
        src = self.rng.choice(spares)
        dest = self.music / src.parent.name / src.name
        dest.parent.mkdir(exist_ok=True)
        self.fs_changes.append(time.monotonic())
        shutil.copytree(src, dest)          # as a file manager copies: one file after another
        shutil.rmtree(src)
        self.fs_changes.append(time.monotonic())
        for p in dest.iterdir():
            self.expected[str(p)] = self.spare_titles[str(src / p.name)]

    def act_delete_playing(self):
        current = self.window.current_track_id()
        path = self._path(current) if current is not None else None
        if path is None or not os.path.exists(path):
            return
        os.remove(path)
        self.expected.pop(path, None)
        self.fs_changes.append(time.monotonic())

    def act_unplug(self):
        away = self.disk.with_name("disk-away")
        self.fs_changes.append(time.monotonic())
        if self.disk.exists():
            self.disk.rename(away)
        elif away.exists():
            away.rename(self.disk)
        self.fs_changes.append(time.monotonic())

    def act_rescan(self):
        self.window.rescan()

    def act_read_again(self):
        table, m = self.window.library.table, self.window.model
        n = m.rowCount()
        if not n:
            return
        start = self.rng.randrange(n)
        table.clearSelection()
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        end = min(n - 1, start + self.rng.randint(0, 5))
        table.selectionModel().select(QItemSelection(m.index(start, 0), m.index(end, m.columnCount() - 1)),
                                      QItemSelectionModel.ClearAndSelect)
        self.window.library.read_tags_again_requested.emit(self.window.library.selected_ids())

    def act_tab(self):
        self.window.tabs.setCurrentIndex(self.rng.randrange(self.window.tabs.count()))

    def act_reopen(self):
        self.close_window()
        self.open_window()

    KINDS = {  # kind: weight
        "play": 8, "next": 10, "previous": 4, "seek": 6, "pause": 5, "keep_going": 3, "radio": 3, "queue": 4,
        "remove": 3, "never": 1, "retag": 4, "copy_album": 1, "delete_playing": 1, "unplug": 1, "rescan": 1,
        "read_again": 2, "tab": 4, "reopen": 1,
    }

    # -- the run ------------------------------------------------------------------------
    def run(self) -> int:
        from PySide6.QtCore import QTimer

        from player.library.scanner import Scanner
        from player.store import Store
        from player.ui.main import create_app

        t = time.perf_counter()
        self.music, self.disk, self.spare, made = make_library(self.home, self.tracks, self.seed)
        self.spare_titles = {p: t for p, t in made.items() if p.startswith(str(self.spare))}
        self.expected = {p: t for p, t in made.items() if p not in self.spare_titles}
        gen_s = time.perf_counter() - t
        self.n_files = len(self.expected)
        self.store = Store.open(self.home / "library.db")
        for root in (self.music, self.disk):
            self.store.add_folder(str(root))
        Scanner(self.store).scan()
        app = create_app()
        catch = LogCatch()
        logging.getLogger().addHandler(catch)
        logging.getLogger().setLevel(logging.INFO)
        hook = sys.excepthook
        sys.excepthook = lambda *exc: self.excepthook_errors.append("".join(traceback.format_exception(*exc)))
        self.t0 = time.monotonic()
        self.window = None
        poll = QTimer(interval=50)
        poll.timeout.connect(self._poll_scan)
        poll.start()
        self.open_window()
        kinds, weights = zip(*self.KINDS.items())
        end = self.t0 + self.minutes * 60
        said_at = self.t0 + 60
        while time.monotonic() < end:
            kind = self.rng.choices(kinds, weights)[0]
            try:
                getattr(self, "act_" + kind)()
            except Exception:
                self.excepthook_errors.append(f"soak action {kind}:\n" + traceback.format_exc())
            self.actions[kind] += 1
            if time.monotonic() >= said_at:
                said_at += 60
                print(f"  {time.monotonic() - self.t0:.0f} s: {sum(self.actions.values())} actions, "
                      f"{len(self.events)} player events", flush=True)
            spin(self.rng.uniform(0.1, 1.5))
        # Settle: the disk back, the folders still for the watch's quiet time and its rescan done.
        if not self.disk.exists() and self.disk.with_name("disk-away").exists():
            self.act_unplug()
            self.actions["unplug"] += 1
        self.window.up_next.keep_going.setChecked(False)
        self.window.stop()
        last_change = self.fs_changes[-1] if self.fs_changes else 0
        spin(60, lambda: time.monotonic() - last_change > 12 and self.window._scan is None
             and (not self.scans_done or self.scans_done[-1] > last_change) and not self.window._loads.running())
        spin(2)
        results = self.check_library("following the folders")
        self.window.rescan()
        spin(60, lambda: self.window._scan is None and self.scans_done and self.scans_done[-1] > time.monotonic() - 30)
        spin(60, lambda: not self.window._loads.running())
        spin(1)
        results += self.check_library("after File → Rescan")
        self.close_window()
        results += self.check_plays()
        from player import workers

        results.append(("no task left running", not workers._live,
                        ", ".join(sorted(h.name for h in workers._live))))
        errors = [text for level, text in catch.records if level in ("ERROR", "CRITICAL") or "Traceback" in text]
        results.append(("no ERROR or Traceback in the log", not errors, "\n".join(errors[:5])))
        results.append(("no exception in a slot or action", not self.excepthook_errors,
                        "\n".join(self.excepthook_errors[:5])))
        results.append(("the status bar said nothing false", not self.false_status, "\n".join(self.false_status[:5])))
        sys.excepthook = hook
        poll.stop()
        self.store.close()
        wall = time.monotonic() - self.t0
        self.report(results, wall, gen_s, catch)
        del app
        return 0 if all(ok for _n, ok, _d in results) else 1

    def check_library(self, when: str) -> list:
        store, data = self.store, self.window.model.data_
        rows = store.execute("SELECT id, path, title FROM tracks WHERE missing = 0 AND last_error IS NULL").fetchall()
        db = {r["id"]: (r["path"], r["title"]) for r in rows}
        shown = dict(zip(data.ids.tolist(), data.text["title"]))
        out = []
        diff = sorted(set(db) ^ set(shown))
        out.append((f"{when}: the table's rows are the store's playable tracks", not diff,
                    f"{len(diff)} differ: " + ", ".join(f"{t} ({'store' if t in db else 'table'} only, "
                                                        f"{db.get(t, ('?',))[0]})" for t in diff[:5])))
        wrong = [(t, shown[t], db[t][1]) for t in set(db) & set(shown) if shown[t] != (db[t][1] or shown[t])]
        out.append((f"{when}: the table's titles are the store's", not wrong, str(wrong[:5])))
        files = {str(p) for p in self._music_files()}
        by_path = {p: title for p, title in db.values()}
        lost = sorted(files - set(by_path))
        extra = sorted(set(by_path) - files)
        out.append((f"{when}: every music file is a playable track, and no other", not lost and not extra,
                    f"files not in the store {lost[:3]} ({len(lost)}), tracks without a file {extra[:3]} "
                    f"({len(extra)})"))
        stale = [(p, by_path.get(p), title) for p, title in self.expected.items() if p in by_path
                 and by_path[p] != title]
        out.append((f"{when}: the store holds the tags last written", not stale, str(stale[:3])))
        return out

    def check_plays(self) -> list:
        with self.events_lock:
            events = list(self.events)
        started: Counter = Counter()
        ended: dict[int, list[str]] = {}
        unlogged = 0
        for _t, event, _track, play_id, how, _n in events:
            if play_id is None:
                unlogged += event == "track_started"
                continue
            if event == "track_started":
                started[play_id] += 1
            else:
                ended.setdefault(play_id, []).append(how)
        rows = {r["id"]: r for r in self.store.execute(
            "SELECT id, track_id, ended, ms_heard, started_at, updated_at FROM plays").fetchall()}
        out = []
        missing = [p for p in started if p not in rows]
        out.append(("every play started has its row", not missing, str(missing[:5])))
        extra = [p for p in rows if p not in started]
        out.append(("no row the player did not start", not extra, str([dict(rows[p]) for p in extra[:3]])))
        unbalanced = [(p, n, ended.get(p)) for p, n in started.items() if len(ended.get(p, [])) != n]
        out.append(("each start has exactly one end (a play gone on with after a reopen: one each time)",
                    not unbalanced, str(unbalanced[:5])))
        still = [p for p, r in rows.items() if r["ended"] == "playing"]
        out.append(("no play left open after the last close", not still, str(still[:5])))
        differs = [(p, rows[p]["ended"], ended[p][-1]) for p in started if p in rows and ended.get(p)
                   and rows[p]["ended"] != ended[p][-1]
                   and not (rows[p]["ended"] == "stopped" and ended[p][-1] == "error")]
        out.append(("each row ends as the player said", not differs, str(differs[:5])))
        # Time heard can not be more than the time the play lasted (1.5 s for the output's buffer).
        over = [(p, r["ms_heard"], round((r["updated_at"] - r["started_at"]) * 1000)) for p, r in rows.items()
                if r["ms_heard"] > (r["updated_at"] - r["started_at"]) * 1000 + 1500]
        out.append(("no play heard for longer than it lasted", not over, str(over[:5])))
        self.plays = (sum(started.values()), len(rows), unlogged, Counter(r["ended"] for r in rows.values()))
        return out

    def report(self, results, wall, gen_s, catch) -> None:
        print(f"\nsoak of the window: seed {self.seed}, {self.minutes:g} min asked, wall {wall:.0f} s "
              f"(library of {self.n_files} files made in {gen_s:.0f} s, {self.windows} windows opened)")
        print("\nactions done")
        for kind in self.KINDS:
            print(f"  {kind:<16} {self.actions[kind]:>5}")
        print(f"  {'all':<16} {sum(self.actions.values()):>5}")
        starts, rows, unlogged, how = self.plays
        print(f"\nplays: {starts} starts reported, {rows} rows in the store, {unlogged} starts without a row; "
              f"rows by end: {dict(how)}")
        print(f"status bar said: {dict(self.status_said.most_common(12))}")
        warnings = Counter(text.split("\n")[0][:100] for level, text in catch.records if level == "WARNING")
        if warnings:
            print("warnings logged:")
            for text, n in warnings.most_common(10):
                print(f"  {n:>4} x {text}")
        for note in self.notes:
            print("note:", note)
        print("\nchecks")
        for name, ok, detail in results:
            print(f"  {'pass' if ok else 'FAIL'}  {name}")
            if not ok:
                print("        " + detail.replace("\n", "\n        ")[:3000])
        print(f"\n{sum(ok for _n, ok, _d in results)} passed, {sum(not ok for _n, ok, _d in results)} failed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracks", type=int, default=300)
    parser.add_argument("--without", default="", help="kinds of action left out, by commas (e.g. reopen,tab)")
    parser.add_argument("--home", help="where the store and the music go (a new temporary folder if not given)")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="segue-soak-"))
    os.environ["SEGUE_HOME"] = str(home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"home: {home}")
    soak = Soak(home, args.seed, args.minutes, args.tracks)
    for kind in filter(None, args.without.split(",")):
        soak.KINDS = {k: w for k, w in soak.KINDS.items() if k != kind}
    return soak.run()


if __name__ == "__main__":
    sys.exit(main())
