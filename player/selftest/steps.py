"""The self-test's steps, in order; each returns what it saw or raises :class:`SelfTestError`."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from player.selftest.base import Context, SelfTestError, Step, check, need
from player.selftest.clips import CLIP_S, CLIPS, make_clip, write_clip


def step_store(ctx: Context) -> str:
    from player import paths
    from player.store import SCHEMA_VERSION, Store

    check(paths.db_path().parent == ctx.workdir / "home", "SEGUE_HOME did not redirect the data folder")
    store = Store.open()
    ctx.values["store"] = store
    check(store.schema_version() == SCHEMA_VERSION,
          f"schema version {store.schema_version()}, expected {SCHEMA_VERSION}")
    store.set_setting("selftest", {"n": 3, "word": "ok"})
    check(store.get_setting("selftest") == {"n": 3, "word": "ok"}, "a setting did not read back")
    return f"schema v{SCHEMA_VERSION} at {paths.db_path()}"


def step_clips(ctx: Context) -> str:
    import soundfile as sf

    music = ctx.workdir / "music"
    music.mkdir()
    for i, (name, fmt, title, artist, genre, chord) in enumerate(CLIPS):
        path = write_clip(music / name, make_clip(chord, seed=i), fmt=fmt,
                          title=title, artist=artist, album="Segue Self-Test", genre=genre)
        info = sf.info(str(path))
        # mp3 encoders pad the start and end, so allow a little slack.
        check(abs(info.duration - CLIP_S) < 0.2, f"{name}: {info.duration:.2f} s written, wanted {CLIP_S}")
    ctx.values["music"] = music
    return f"{len(CLIPS)} clips of {CLIP_S:g} s ({', '.join(c[1] for c in CLIPS)}), tagged"


def step_scan(ctx: Context) -> str:
    from player.library.scanner import Scanner

    store = need(ctx, "store")
    result = Scanner(store).scan([str(need(ctx, "music"))])
    tracks = store.tracks()
    check(len(tracks) == len(CLIPS), f"{len(tracks)} tracks in the library, expected {len(CLIPS)} "
                                      f"(errors: {[dict(r) for r in store.track_errors()]})")
    by_title = {r["title"]: r for r in tracks}
    for _, fmt, title, artist, genre, _ in CLIPS:
        check(title in by_title, f"tag title {title!r} was not read ({sorted(by_title)})")
        row = by_title[title]
        check(row["artist"] == artist and row["genre"] == genre, f"{title}: tags read as {dict(row)}")
        check(abs((row["duration"] or 0) - CLIP_S) < 0.2, f"{title}: duration {row['duration']}")
    ctx.values["tracks"] = tracks
    return f"{len(tracks)} tracks, tags and durations read ({result.errors} errors)"


def step_decode(ctx: Context) -> str:
    from segue_common.audio_io import load_audio

    decoded = {}
    for row in need(ctx, "tracks"):
        y, sr = load_audio(row["path"], sr=16000)
        check(sr == 16000 and y.ndim == 1, f"{row['path']}: got shape {y.shape} at {sr} Hz")
        check(abs(len(y) / sr - CLIP_S) < 0.2, f"{row['path']}: decoded {len(y) / sr:.2f} s")
        rms = float(np.sqrt(np.mean(y ** 2)))
        check(np.isfinite(y).all() and rms > 0.05, f"{row['path']}: rms {rms:.4f}")
        decoded[row["id"]] = y
    ctx.values["decoded"] = decoded
    return f"{len(decoded)} files to 16 kHz mono (soundfile + soxr)"


def step_analyse(ctx: Context) -> str:
    from player.analysis import AnalysisJob

    store = need(ctx, "store")
    titles = {r["id"]: r["title"] for r in need(ctx, "tracks")}
    # The app's analysis job, with one spawned decoder process: a frozen bundle must support
    # multiprocessing (freeze_support) for this to work at all.
    result = AnalysisJob(store, workers=1).run()
    check(result.errors == 0 and result.analysed == len(titles),
          f"analysed {result.analysed} of {len(titles)} tracks, errors: {result.error_paths}")
    feats = store.features(result.model_version)
    check(sorted(feats.track_ids.tolist()) == sorted(titles), f"features stored for {feats.track_ids}")
    check(np.isfinite(feats.tags).all() and feats.tags.min() >= 0 and feats.tags.max() <= 1,
          "tag probabilities outside [0, 1]")
    norms = np.linalg.norm(feats.embedding, axis=1)
    check(np.allclose(norms, 1, atol=1e-2), f"embeddings not unit norm: {norms}")
    emb = {titles[int(t)]: e for t, e in zip(feats.track_ids, feats.embedding)}
    low, mid, high = (emb[c[2]] for c in CLIPS)
    near, far = float(low @ mid), float(low @ high)
    # The two low drones share a register and an envelope; the high chord does not.
    check(near > far, f"the tagger hears {CLIPS[0][2]!r} closer to {CLIPS[2][2]!r} ({far:.3f}) than to "
                      f"{CLIPS[1][2]!r} ({near:.3f})")
    buckets = {titles[int(t)]: b for t, b in zip(feats.track_ids, feats.bucket)}
    return (f"{result.model_version} on {result.device}, 1 decoder process: {result.analysed} tracks in "
            f"{result.seconds:.1f} s; similarity {CLIPS[0][2]!r}~{CLIPS[1][2]!r} {near:.2f} > "
            f"~{CLIPS[2][2]!r} {far:.2f}; buckets {buckets}")


def step_models(ctx: Context) -> str:
    from player import paths

    root = paths.shipped_models_dir()
    covered, names = set(), []
    # A manifest is any JSON file naming a "file" (or "files") with its sha256: models/musicnn
    # uses manifest.json, models/priors one <name>.json per <name>.npz.
    for manifest in sorted(root.rglob("*.json")):
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        entries = meta.get("files") if isinstance(meta.get("files"), list) else [meta]
        for entry in entries:
            if not (isinstance(entry, dict) and "file" in entry and "sha256" in entry):
                continue
            path = manifest.parent / entry["file"]
            check(path.is_file(), f"{path} is listed in its manifest but missing")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            check(digest == entry["sha256"], f"{path}: sha256 {digest[:12]}..., manifest says "
                                             f"{entry['sha256'][:12]}...")
            covered.add(path.resolve())
            names.append(path.relative_to(root).as_posix())
    weights = [p for p in root.rglob("*") if p.suffix in (".npz", ".pt", ".pth", ".npy")]
    check(weights, f"no model files under {root}")
    stray = sorted(p.relative_to(root).as_posix() for p in weights if p.resolve() not in covered)
    check(not stray, f"model files without a manifest: {stray}")
    total = sum((root / n).stat().st_size for n in names) / 2**20
    return f"{len(names)} files ({total:.1f} MiB) match their manifests' sha256: {', '.join(names)}"


# Three listening sessions two hours apart (by clip index): enough history for every local model.
SESSIONS = [(0, 1), (1, 0), (0, 1, 2)]


def _log_sessions(store, by_title: dict) -> None:
    """Log :data:`SESSIONS` as finished plays of the clips (rows by title)."""
    rows = [by_title[c[2]] for c in CLIPS]
    ms = int(CLIP_S * 1000)
    start = time.time() - 2 * 3600 * len(SESSIONS)
    for k, session in enumerate(SESSIONS):
        for j, clip in enumerate(session):
            at = start + 2 * 3600 * k + 10 * j
            play = store.start_play(rows[clip]["id"], source="cli", track_ms=ms, now=at)
            store.end_play(play, "finished", ms, now=at + CLIP_S)


def step_plays(ctx: Context) -> str:
    store = need(ctx, "store")
    _log_sessions(store, {r["title"]: r for r in need(ctx, "tracks")})
    plays = store.plays()
    n = sum(len(s) for s in SESSIONS)
    check(len(plays) == n and all(p["ended"] == "finished" for p in plays),
          f"{len(plays)} plays logged, expected {n}: {[dict(p) for p in plays]}")
    sessions = len({p["session_id"] for p in plays})
    check(sessions == len(SESSIONS), f"plays fell into {sessions} sessions, expected {len(SESSIONS)}")
    return f"{len(plays)} plays in {sessions} listening sessions"


def step_train(ctx: Context) -> str:
    """The app's trainer, synchronously: WMF (implicit), AutoRec and the session GRU (torch)."""
    from player.recommender_service import RecommenderService
    from player.trainer import Trainer

    store = need(ctx, "store")
    service = ctx.values.setdefault("service", RecommenderService(store))
    result = Trainer(store, service).train_now()
    check(result is not None and result.path is not None, f"nothing trained: {result}")
    check(set(result.trained) >= {"wmf", "autorec", "session_gru"}, f"trained only {result.trained}")
    info = service.recommender().models.info
    check(info.get("run") == result.path.name, f"the service did not load the new run: {info}")
    return f"{', '.join(result.trained)} in {result.seconds:.1f} s from {result.n_plays} plays; loaded by the service"


def step_learner(ctx: Context) -> str:
    """The learner process, as the window runs it: spawned (a frozen bundle re-runs itself
    for it), on a store of its own, it analyses the clips, trains when told to, and says
    "models changed"; the run it wrote loads without torch (numpy session model)."""
    import os
    import queue

    from player.learner import messages as m
    from player.learner.client import LearnerProcess
    from player.library.scanner import Scanner
    from player.recommender_service import build_catalog
    from player.store import Store
    from recommender.local_models import load_models

    folder = ctx.workdir / "learner"
    store = Store.open(folder / "library.db")
    try:
        Scanner(store).scan([str(need(ctx, "music"))])
        _log_sessions(store, {r["title"]: r for r in store.tracks()})
        got: queue.Queue = queue.Queue()
        learner = LearnerProcess(store.path, models_dir=folder / "models", on_message=got.put,
                                 on_exit=lambda info: got.put(info))
        t0 = time.perf_counter()
        learner.start()
        seen: dict[type, object] = {}
        try:
            while not {m.AnalysisFinished, m.ModelsChanged} <= set(seen):
                try:
                    message = got.get(timeout=180)
                except queue.Empty:
                    raise SelfTestError(f"the learner went quiet; it said {sorted(t.__name__ for t in seen)}")
                check(not hasattr(message, "exitcode"), f"the learner process died: {message}")
                seen[type(message)] = message
                if isinstance(message, m.Ready):
                    pid = message.pid
                    nice = os.getpriority(os.PRIO_PROCESS, pid) if hasattr(os, "getpriority") else None
                    learner.send(m.TrainNow())
                check(not isinstance(message, m.TrainingFailed), f"training failed: {message}")
            seconds = time.perf_counter() - t0
        finally:
            learner.stop()
        done = seen[m.AnalysisFinished]
        check(done.error == "" and done.analysed == len(CLIPS), f"the learner analysed: {done}")
        check(len(store.features()) == len(CLIPS), "the learner's features are not in the store")
        cat, _ = build_catalog(store)
        models = load_models(folder / "models", cat)
        check(models.info.get("run") == seen[m.ModelsChanged].run, f"models changed to "
              f"{seen[m.ModelsChanged].run}, the folder holds {models.info.get('run')}")
        check(models.session is not None, "the run has no numpy session model")
    finally:
        store.close()
    return (f"process {pid} (nice {nice}) analysed {done.analysed} clips and trained "
            f"{', '.join(models.info.get('models', []))}; models changed to {models.info['run']} "
            f"in {seconds:.1f} s; the run loads without torch")


def step_radio(ctx: Context) -> str:
    from player.recommender_service import RecommenderService

    tracks = need(ctx, "tracks")
    # The app's recommender (shipped priors, and the local models if the train step ran).
    service = ctx.values.get("service") or RecommenderService(need(ctx, "store"))
    seed = next(r for r in tracks if r["title"] == CLIPS[0][2])
    station = service.radio(seed["id"], len(tracks) - 1)
    ids = [rec.track_id for rec in station]
    others = {r["id"] for r in tracks} - {seed["id"]}
    check(set(ids) == others and len(ids) == len(others),
          f"radio from {seed['title']!r} gave {ids}, expected the other tracks {sorted(others)}")
    check(all(rec.reason for rec in station), f"a radio pick has no reason: {station}")
    titles = {r["id"]: r["title"] for r in tracks}
    scores = {titles[rec.track_id]: rec.score for rec in station}
    near, far = CLIPS[1][2], CLIPS[2][2]
    # Artist spacing may reorder the station; the scores say whether it stays on topic.
    check(scores[near] > scores[far], f"radio from {seed['title']!r} scored {far!r} ({scores[far]:.2f}) above "
                                      f"the same-artist, same-genre {near!r} ({scores[near]:.2f})")
    local = service.recommender().models.info.get("models")
    used = ("shipped priors" if service.priors is not None else "no priors") + \
        (f" + local {', '.join(local)}" if local else ", no local models")
    return (f"radio from {seed['title']!r} ({used}): {' -> '.join(titles[t] for t in ids)}; "
            f"on-topic score {scores[near]:.2f} > {scores[far]:.2f}; why {titles[ids[0]]!r}: "
            f"{station[0].reason!r}")


def step_audio(ctx: Context) -> str:
    """PortAudio loads and answers (nothing is played; no device is fine, e.g. on a server), and
    the settings' list of devices comes from a process of its own, as the window reads it (a
    frozen bundle re-runs itself for that process)."""
    from player.audio.sd_engine import _sd, output_devices, output_devices_from_a_process

    sd = _sd()
    devices = output_devices()
    version = sd.get_portaudio_version()[1].split(",")[0]
    t0 = time.perf_counter()
    listed = output_devices_from_a_process()
    check(listed is not None, "no process could list the output devices (see the log)")
    return (f"{version} ({getattr(sd, '_libname', '?')}); {len(devices)} output device(s)"
            + (f": {', '.join(devices[:3])}" if devices else " (Segue would play through the null engine)")
            + f"; a listing process found {len(listed)} in {time.perf_counter() - t0:.1f} s")


def step_ffmpeg(ctx: Context) -> str:
    """Whether ffmpeg is found, and that it runs. Not finding it passes (the app runs without
    it, and the packaged app comes without it), but says what does not play without it."""
    import shutil
    import subprocess

    from segue_common.audio_io import ffmpeg_path, no_console_window
    from segue_common.environment import system_environment

    exe = ffmpeg_path()
    if exe is None:
        return ("not found: m4a/AAC, ALAC, WMA, WavPack, Matroska, WebM and the other formats only ffmpeg "
                "decodes will neither play nor be analysed (WAV, FLAC, Ogg, Opus, AIFF and MP3 need none); "
                "install ffmpeg, and they play from the next start, with nothing else to do")
    try:
        out = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL, env=system_environment(), **no_console_window())
    except (OSError, subprocess.SubprocessError) as exc:
        raise SelfTestError(f"ffmpeg at {exe} does not run: {exc}") from None
    first = (out.stdout.splitlines() or [""])[0]
    check(out.returncode == 0 and first.startswith("ffmpeg"),
          f"ffmpeg at {exe} does not run (exit {out.returncode}): {(out.stderr or first).strip()[:200]}")
    probe = shutil.which("ffprobe", path=os.path.dirname(exe)) or shutil.which("ffprobe")
    return (f"{' '.join(first.split()[:3])} at {exe}; "
            + (f"ffprobe at {probe}" if probe else "no ffprobe (Matroska and WebM files cannot be listed)"))


NATIVE_QPA = {"linux": "xcb", "darwin": "cocoa", "win32": "windows"}


def step_ui(ctx: Context) -> str:
    """The real main window, built offscreen and never shown, loads the library on its workers."""
    from PySide6.QtCore import QCoreApplication

    from player.ui import collector
    from player.ui.main import create_app

    tracks = need(ctx, "tracks")
    had_collector = getattr(QCoreApplication.instance(), "gui_collector", None) is not None
    app = create_app()
    try:
        return _window_step(ctx, app, tracks)
    finally:
        # The window's collector turns Python's off for the whole process: a step run inside
        # a test session or a command would leave the rest of it collecting only when an
        # event loop sleeps.
        if not had_collector:
            collector.uninstall(app)


def _window_step(ctx: Context, app, tracks) -> str:
    from PySide6.QtCore import QEventLoop, QLibraryInfo, QTimer

    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    check(app.platformName() == "offscreen", f"Qt platform {app.platformName()!r}, expected offscreen")
    window = MainWindow(need(ctx, "store"), settings_file=str(ctx.workdir / "window.ini"))
    loop = QEventLoop()
    window.library_loaded.connect(loop.quit)
    QTimer.singleShot(30_000, loop.quit)
    window.reload_library()
    loop.exec()
    rows = window.model.rowCount()
    window.close()
    window.deleteLater()
    wait_all(5000)
    check(rows == len(tracks), f"the window's library shows {rows} rows, expected {len(tracks)}")
    # The Listening tab's charts: pyqtgraph and the Qt modules it loads are imported only when
    # the tab is first opened, so nothing else here would find them missing from a bundle.
    from player.ui.listening_tab import _import_view

    view = _import_view()(need(ctx, "store"))
    pages = [view.pages.tabText(i) for i in range(view.pages.count())]
    view.deleteLater()
    wait_all(5000)
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    native = NATIVE_QPA.get(sys.platform)
    found = sorted(p.name for p in plugins.iterdir()) if plugins.is_dir() else []
    check(native is None or any(native in name for name in found),
          f"no {native!r} platform plugin in {plugins} (found {found}): the window could not open")
    return (f"main window built offscreen (not shown), library loaded on a worker: {rows} rows; "
            f"Listening tab built ({', '.join(pages)}); Qt platform plugins: {', '.join(found)}")


STEPS: list[tuple[str, Step, tuple[str, ...]]] = [
    ("store", step_store, ()),
    ("clips", step_clips, ()),
    ("scan", step_scan, ("store", "clips")),
    ("decode", step_decode, ("scan",)),
    ("models", step_models, ()),
    ("analyse", step_analyse, ("scan", "models")),
    ("plays", step_plays, ("scan",)),
    ("train", step_train, ("plays",)),
    ("learner", step_learner, ("scan", "models")),
    ("radio", step_radio, ("plays",)),
    ("audio", step_audio, ()),
    ("ffmpeg", step_ffmpeg, ()),
    ("ui", step_ui, ("scan",)),
]
