"""Analysis throughput, end to end: Segue's job against whole-file decoding, same run, same files.

    python benchmarks/bench_analysis.py [--tracks 8] [--repeat 2] [--device auto|cpu|cuda|mps]
                                        [--cnn-workers N] [--all-patches] [--librosa]
    python benchmarks/bench_analysis.py --formats m4a,mp3,flac [--tracks 4] [--repeat 2]

Generates 3-4-minute music-like files (44.1 kHz stereo, sections of drum patterns at
various tempi, chords, both), half ogg/vorbis and half mp3, then times, in interleaved rounds:

- ``whole-file (before)``: what analysis did before excerpts -- each file decoded whole,
  mixed to mono and resampled whole to 16 kHz and 22,050 Hz, then the same log-mel, CNN
  (the same 16 evenly spaced patches on a CPU) and MFCC/tempo/loudness, one track at a time;
- ``segue job``: the real ``AnalysisJob`` with its defaults on a scanned temporary library
  (excerpts decoded in blocks, tags, summaries and the SQLite writes);
- with ``--cnn-workers N``: the job with N CNN threads instead of its default (1: as before
  two CNN workers on a small CPU);
- with ``--all-patches``: the job tagging every patch (the GPU's mode, whole file in chunks);
- with ``--librosa``: musicnn's own recipe (librosa.load + librosa mel, every patch).

Prints tracks per second, the ratio to whole-file decoding, CPU seconds per track (all
threads of this process: less sensitive to other people's load than the clock; the job's
includes the scan of its temporary library), the machine's load average
before and after each round, and how far the job's tags, embeddings and summaries are from
the whole-file path's (embedding cosine, max tag difference; the same patches are tagged,
so differences come from the decoders and float16 storage).

With ``--formats``, the same audio (``--tracks`` files, the same seeds) is written in each
format (m4a is AAC at 256 kbit/s by ffmpeg, as iTunes rips are; also wma, opus.mka, wv, ...),
and the job (decoding in this process) is timed on each, in interleaved rounds, as a table
of seconds per track with ratios to the first format's. For every format that ffmpeg
decodes, the job is timed a second time with ffmpeg's reader forced forward only (its
length counted by a decoding pass, the excerpts reached by reading on): what analysis did
before that reader seeked. Its tags and embeddings are compared with the seeking run's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def music_like(seconds: float, *, sr: int, seed: int) -> np.ndarray:
    """Stereo float32 [n, 2]: 30 s sections of drums, chords or both, tempo and key changing."""
    from tools.make_tagger_reference import chord, drum_pulses

    section, parts = 30.0, []
    for j in range(int(np.ceil(seconds / section))):
        kind = (seed + j) % 3
        d = drum_pulses(section, sr=sr, bpm=90 + 10 * ((seed + j) % 8), seed=seed * 100 + j)
        c = chord(section, sr=sr, root=110 * 2 ** (((seed * 5 + j * 7) % 12) / 12))
        parts.append(d if kind == 0 else c if kind == 1 else 0.6 * d + 0.6 * c)
    y = np.concatenate(parts)[: int(seconds * sr)]
    return np.stack([y, np.roll(y, 200)], axis=1).astype(np.float32)


def write_blocks(path: Path, data: np.ndarray, sr: int, **kw) -> None:
    """Written a second at a time: libsndfile 1.2.2 crashes writing a minute of vorbis at once."""
    import soundfile as sf

    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    with sf.SoundFile(str(tmp), "w", sr, data.shape[1], **kw) as f:
        for i in range(0, len(data), sr):
            f.write(data[i: i + sr])
    os.replace(tmp, path)


def make_tracks(folder: Path, n: int) -> list[Path]:
    """n files of 180-240 s, alternately ogg/vorbis and mp3, cached in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sr, paths = 44100, []
    for i in range(n):
        seconds = 180 + (37 * i) % 61
        ext = ("ogg", "mp3")[i % 2]
        path = folder / f"track{i:03d}_{seconds}s.{ext}"
        if not path.exists():
            kw = {"format": "OGG", "subtype": "VORBIS"} if ext == "ogg" else {"format": "MP3"}
            write_blocks(path, music_like(seconds, sr=sr, seed=i), sr, **kw)
        paths.append(path)
    return paths


#: how each ``--formats`` format is written (a WAV of the audio, encoded by ffmpeg)
FFMPEG_CODECS = {
    "m4a": ["-c:a", "aac", "-b:a", "256k"], "aac": ["-c:a", "aac", "-b:a", "256k", "-f", "adts"],
    "alac.m4a": ["-c:a", "alac"], "wma": ["-c:a", "wmav2", "-b:a", "192k"], "opus.mka": ["-c:a", "libopus"],
    "wv": ["-c:a", "wavpack"], "tta": ["-c:a", "tta"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "256k"], "flac": ["-c:a", "flac"], "ogg": ["-c:a", "libvorbis"],
}


def make_format_tracks(folder: Path, n: int, fmt: str) -> list[Path]:
    """n files of 180-240 s in ``fmt`` (a key of FFMPEG_CODECS), the same audio whatever the
    format, cached in ``folder``."""
    import subprocess

    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    sr, paths = 44100, []
    for i in range(n):
        seconds = 180 + (37 * i) % 61
        path = folder / f"track{i:03d}_{seconds}s.{fmt}"
        if not path.exists():
            wav = folder / f"track{i:03d}.tmp.wav"
            sf.write(str(wav), music_like(seconds, sr=sr, seed=i), sr, subtype="PCM_16")
            tmp = path.with_name(path.stem + ".tmp." + fmt)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *FFMPEG_CODECS[fmt], str(tmp)], check=True)
            os.replace(tmp, path)
            wav.unlink()
        paths.append(path)
    return paths


def forward_only():
    """What ffmpeg's reader did before it seeked: forward only, its length unknown (so
    counted by a decoding pass). ffprobe's verdict on exact seeks is turned down, which
    leaves the reader as it was; the job must decode in this process (``workers=0``)."""
    import contextlib

    from segue_common import audio_io

    @contextlib.contextmanager
    def patched():
        real = audio_io._ffprobe

        def probe(*a, **kw):
            rate, channels, _, *rest = real(*a, **kw)
            return (rate, channels, False, *rest)

        audio_io._ffprobe = probe
        try:
            yield
        finally:
            audio_io._ffprobe = real

    return patched()


def cpu_with_children() -> float:
    """CPU seconds of this process and of the processes it started and waited for (ffmpeg)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def format_comparison(args, device, threads) -> int:
    """``--formats``: the job on the same audio in several formats (see the module docstring)."""
    import shutil

    from segue_common import audio_io

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FFMPEG_CODECS]
    if unknown or shutil.which("ffmpeg") is None:
        raise SystemExit(f"--formats needs ffmpeg and formats among {', '.join(FFMPEG_CODECS)}")
    t0 = time.perf_counter()
    tracks = {fmt: make_format_tracks(Path(args.audio_dir) / f"formats{args.tracks}" / fmt.replace(".", "-"),
                                      args.tracks, fmt) for fmt in formats}
    minutes = sum(int(p.stem.rsplit("_", 1)[1][:-1]) for p in tracks[formats[0]]) / 60
    print(f"{args.tracks} tracks per format ({minutes:.1f} min each) in {', '.join(formats)} "
          f"({time.perf_counter() - t0:.0f} s to make); device {device}; torch threads {threads}; "
          f"cores {os.cpu_count()}; the job decodes in this process", flush=True)
    pipelines = {}
    for fmt in formats:
        def run(home, paths=tracks[fmt]):
            return segue_job(paths, home, device=device, workers=0, max_patches="auto", threads=threads)

        pipelines[fmt] = run
        with audio_io.open_blocks(tracks[fmt][0]) as reader:
            via_ffmpeg = isinstance(reader, audio_io._FallbackReader)
        if via_ffmpeg:
            def before(home, run=run):
                with forward_only():
                    return run(home)

            pipelines[f"{fmt}, forward only (before)"] = before
    runs: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):  # interleaved, best of each: the machine's load drifts
            load_before = os.getloadavg()[0]
            line = []
            for k, (name, fn) in enumerate(pipelines.items()):
                cpu0 = cpu_with_children()
                r = fn(Path(tmp) / f"home-{rep}-{k}")
                r["cpu"] = cpu_with_children() - cpu0
                line.append(f"{name} {r['seconds'] / r['n']:.2f}")
                if name not in runs or r["seconds"] < runs[name]["seconds"]:
                    runs[name] = r
            print(f"round {rep + 1}/{args.repeat}, s/track: {'; '.join(line)}; load average {load_before:.1f} "
                  f"before, {os.getloadavg()[0]:.1f} after", flush=True)
    base = runs[formats[0]]
    print(f"\n{'format (best round)':<32} {'s/track':>8} {'vs ' + formats[0]:>10} {'decode s/track':>15} "
          f"{'CPU s/track (ffmpeg too)':>25}")
    for name, r in runs.items():
        n = r["n"]
        print(f"{name:<32} {r['seconds'] / n:>8.2f} {r['seconds'] / base['seconds']:>9.2f}x "
              f"{r['timings']['decode'] / n:>15.2f} {r['cpu'] / n:>25.2f}")
    print()
    for fmt in formats:
        before = runs.get(f"{fmt}, forward only (before)")
        if before is not None:
            after = runs[fmt]
            print(f"{fmt}: {before['seconds'] / after['seconds']:.2f}x the tracks per second of before "
                  f"(decoding {before['timings']['decode'] / max(after['timings']['decode'], 1e-9):.2f}x faster); "
                  + compare(f"{fmt} seeking", after, before).replace("vs whole-file", "vs forward only"))
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


def whole_file_pipeline(paths: list[Path], tagger, *, max_patches) -> dict:
    """Analysis as it was before excerpts: decode, mix and resample the whole file at once."""
    import soxr

    from recommender.audio_features import MFCC_MEL, TAGGER_MEL, describe, tagger_logmel
    from segue_common.audio_io import load_audio

    t = dict.fromkeys(("decode", "resample", "mel", "cnn", "mfcc"), 0.0)
    start = time.perf_counter()
    tags, emb, mfcc, loud, tempo = [], [], [], [], []
    for path in paths:
        t0 = time.perf_counter()
        y, sr = load_audio(path, mono=True)
        t1 = time.perf_counter()
        y16 = soxr.resample(y, sr, TAGGER_MEL.sr, quality="HQ").astype(np.float32)
        y22 = soxr.resample(y, sr, MFCC_MEL.sr, quality="HQ").astype(np.float32)
        t2 = time.perf_counter()
        mel = tagger_logmel([y16], device=tagger.device)
        t3 = time.perf_counter()
        tt = tagger.tag_tracks(mel, max_patches=max_patches)[0]
        t4 = time.perf_counter()
        d = describe([y22], device=tagger.device)[0]
        t5 = time.perf_counter()
        for k, dt in zip(t, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            t[k] += dt
        tags.append(tt.tags)
        emb.append(tt.embedding)
        mfcc.append(d.mfcc)
        loud.append(np.nan if d.loudness is None else d.loudness)
        tempo.append(np.nan if d.tempo is None else d.tempo)
    return {"seconds": time.perf_counter() - start, "timings": t, "tags": np.stack(tags),
            "embedding": np.stack(emb), "mfcc": np.stack(mfcc), "loudness": np.array(loud),
            "tempo": np.array(tempo)}


def librosa_pipeline(paths: list[Path], tagger) -> dict:
    """musicnn's own recipe with librosa on the CPU; the CNN is the same torch model."""
    import librosa
    import torch

    from recommender.tagger import patches_from_logmel

    t = dict.fromkeys(("decode+resample", "mel", "cnn"), 0.0)
    start = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        y, sr = librosa.load(str(path), sr=16000)
        t1 = time.perf_counter()
        mel = librosa.feature.melspectrogram(y=y, sr=sr, hop_length=256, n_fft=512, n_mels=96).T
        logmel = np.log10(10000 * mel + 1).astype(np.float32)
        t2 = time.perf_counter()
        tagger.predict_patches(patches_from_logmel(torch.from_numpy(logmel)))
        t3 = time.perf_counter()
        t["decode+resample"] += t1 - t0
        t["mel"] += t2 - t1
        t["cnn"] += t3 - t2
    return {"seconds": time.perf_counter() - start, "timings": t}


def segue_job(paths: list[Path], home: Path, *, device, workers, max_patches, threads,
              cnn_workers="auto") -> dict:
    from player.analysis import AnalysisJob
    from player.library.scanner import Scanner
    from player.store import Store

    os.environ["SEGUE_HOME"] = str(home)
    store = Store.open()
    Scanner(store).scan([str(paths[0].parent)])
    job = AnalysisJob(store, device=device, workers=workers, max_patches=max_patches, threads=threads,
                      cnn_workers=cnn_workers)
    result = job.run()
    feats = store.features(job.tagger.version)
    names = {r["id"]: Path(r["path"]).name for r in store.tracks()}
    order = np.argsort([names[t] for t in feats.track_ids])
    store.close()
    if result.errors:
        raise SystemExit(f"the job failed on {result.error_paths}")
    return {"seconds": result.seconds, "timings": result.timings, "n": result.analysed,
            "cnn": (job.cnn_workers, job.cnn_parallelism, job.cnn_alone),
            "tags": feats.tags[order], "embedding": feats.embedding[order], "mfcc": feats.mfcc[order],
            "loudness": feats.loudness[order], "tempo": feats.tempo[order]}


def compare(name: str, job: dict, ref: dict) -> str:
    cos = np.sum(job["embedding"] * ref["embedding"], axis=1) / (
        np.linalg.norm(job["embedding"], axis=1) * np.linalg.norm(ref["embedding"], axis=1))
    mfcc_rel = np.abs(job["mfcc"] - ref["mfcc"]).max(axis=1) / np.abs(ref["mfcc"]).max(axis=1)
    dl = np.nanmax(np.abs(job["loudness"] - ref["loudness"]))
    both = ~np.isnan(job["tempo"]) & ~np.isnan(ref["tempo"])
    dt = np.abs(job["tempo"][both] - ref["tempo"][both])
    tempo = f"{dt.max():.1f} BPM max ({both.sum()}/{len(both)} with a tempo in both)" if both.any() else "none in both"
    return (f"{name} vs whole-file: embedding cosine min {cos.min():.4f} (mean {cos.mean():.4f}); "
            f"tags max |diff| {np.abs(job['tags'] - ref['tags']).max():.4f}; MFCC summary max diff "
            f"{mfcc_rel.max():.1%} of its largest value; loudness {dl:.2f} dB max; tempo {tempo}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracks", type=int, default=8)
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads for both pipelines (default: what the job uses here)")
    p.add_argument("--audio-dir", default=os.path.join(tempfile.gettempdir(), "segue-bench-audio"))
    p.add_argument("--cnn-workers", type=int, default=None,
                   help="also time the job with this many CNN threads (its default: default_cnn_workers)")
    p.add_argument("--all-patches", action="store_true", help="also time the job tagging every patch")
    p.add_argument("--librosa", action="store_true", help="also time musicnn's librosa recipe")
    p.add_argument("--repeat", type=int, default=2, help="interleaved rounds; the best of each is shown")
    p.add_argument("--formats", default=None,
                   help="comma-separated formats (m4a,mp3,flac,...): the job on the same audio in each")
    args = p.parse_args(argv)
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "segue-numba-cache"))
    import torch

    from player.analysis import CPU_MAX_PATCHES, cnn_threads, default_cnn_workers
    from recommender.audio_features import best_device
    from recommender.tagger import Tagger

    device = best_device(args.device)
    threads = args.threads or cnn_threads(device, os.cpu_count() or 2)
    if threads:
        torch.set_num_threads(threads)
    if args.formats:
        return format_comparison(args, device, threads or torch.get_num_threads())
    max_patches = CPU_MAX_PATCHES if device.type == "cpu" else None
    folder = Path(args.audio_dir) / f"mixed{args.tracks}"
    t0 = time.perf_counter()
    paths = make_tracks(folder, args.tracks)
    minutes = sum(int(p.stem.rsplit("_", 1)[1][:-1]) for p in paths) / 60
    threads = threads or torch.get_num_threads()
    print(f"{len(paths)} tracks ({minutes:.1f} min; ogg and mp3) in {folder} ({time.perf_counter() - t0:.0f} s "
          f"to make); device {device}; torch threads {torch.get_num_threads()}; job's CNN workers "
          f"{default_cnn_workers(device, os.cpu_count() or 2)}; cores {os.cpu_count()}", flush=True)

    tagger = Tagger(device=device)
    pipelines = {"whole-file (before)": lambda home: whole_file_pipeline(paths, tagger, max_patches=max_patches),
                 "segue job": lambda home: segue_job(paths, home, device=device, workers=args.workers,
                                                     max_patches="auto", threads=threads)}
    if args.cnn_workers:
        pipelines[f"segue job, {args.cnn_workers} CNN worker(s)"] = lambda home: segue_job(
            paths, home, device=device, workers=args.workers, max_patches="auto", threads=threads,
            cnn_workers=args.cnn_workers)
    if args.all_patches:
        pipelines["segue job, all patches"] = lambda home: segue_job(
            paths, home, device=device, workers=args.workers, max_patches=None, threads=threads)
        pipelines["whole-file, all patches"] = lambda home: whole_file_pipeline(paths, tagger, max_patches=None)
    if args.librosa:
        import librosa

        librosa.load(str(paths[0]), sr=16000, duration=1.0)  # warm numba/caches outside the timing
        pipelines["librosa (CPU), all patches"] = lambda home: librosa_pipeline(paths, tagger)
    runs: dict = {}
    rounds: dict = {name: [] for name in pipelines}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):  # interleaved, best of each: the machine's load drifts
            load_before = os.getloadavg()[0]
            for k, (name, fn) in enumerate(pipelines.items()):
                cpu0 = time.process_time()
                r = fn(Path(tmp) / f"home-{rep}-{k}")  # a fresh library per run
                r["cpu"] = time.process_time() - cpu0  # all threads of this process (scan included for the job)
                rounds[name].append(r["seconds"])
                if name not in runs or r["seconds"] < runs[name]["seconds"]:
                    runs[name] = r
            ratio = rounds["whole-file (before)"][-1] / rounds["segue job"][-1]
            others = "".join(f"; {name} {len(paths) / rounds[name][-1]:.2f}" for name in rounds
                             if name not in ("whole-file (before)", "segue job"))
            print(f"round {rep + 1}/{args.repeat}: job {len(paths) / rounds['segue job'][-1]:.2f} tracks/s, "
                  f"{ratio:.2f}x whole-file{others}; load average {load_before:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after", flush=True)

    base = runs["whole-file (before)"]
    print(f"\n{'pipeline':<28} {'tracks/s':>9} {'vs whole-file':>13} {'CPU s/track':>11}   "
          "where the time goes (s, summed)")
    for name, r in runs.items():
        rate = len(paths) / r["seconds"]
        where = ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items() if v > 0.005)
        print(f"{name:<28} {rate:>9.2f} {base['seconds'] / r['seconds']:>12.2f}x {r['cpu'] / len(paths):>11.2f}   "
              f"total {r['seconds']:.1f}: {where}")
    print()
    for name, r in runs.items():
        if r.get("cnn", (1,))[0] > 1:
            workers, shares, alone = r["cnn"]
            print(f"{name} (best round): {workers} CNN workers shared {len(shares)} tagger calls, CPU/wall "
                  f"{' '.join(f'{x:.2f}' for x in shares)}; {alone} ran in one thread after a share "
                  "found no second core free")
    print(compare("segue job", runs["segue job"], base))
    if args.cnn_workers:
        name = f"segue job, {args.cnn_workers} CNN worker(s)"
        print(compare(name, runs[name], base))
    if args.all_patches:
        print(compare("segue job, all patches", runs["segue job, all patches"], runs["whole-file, all patches"]))
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
