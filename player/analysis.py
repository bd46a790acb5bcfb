"""The audio analysis job (Qt-free): tags, embedding, bucket, MFCC summary, loudness, tempo.

Finds tracks without features for the current tagger checksum, decodes them in worker
processes (decode + resample to 16 kHz and 22,050 Hz: the CPU-heavy part, niced), and runs
mel + CNN in batches on the best torch device in this process. Resumable because finished
tracks are skipped; a file that cannot be decoded gets its error stored and is skipped
after. Cancellable and pausable from another thread (the app pauses it while music plays on
a slow machine); progress goes to a callback.

Settings: ``analysis.use_gpu`` (bool, default True; ``SEGUE_DEVICE`` overrides),
``analysis.max_patches`` (int or None; default 16 evenly spaced 3 s patches on the CPU,
every patch on a GPU) and ``analysis.while_playing`` (see :meth:`AnalysisJob.yields_to_playback`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)

CPU_MAX_PATCHES = 16
WHILE_PLAYING_SETTING = "analysis.while_playing"
WHILE_PLAYING_CHOICES = ("auto", "pause", "run")
#: "auto" pauses while music plays on a machine with no GPU and at most this many cores
SLOW_MACHINE_CORES = 4


@dataclass
class AnalysisProgress:
    done: int
    total: int
    errors: int
    path: str | None = None


@dataclass
class AnalysisResult:
    analysed: int = 0
    errors: int = 0
    total: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    model_version: str = ""
    device: str = ""
    timings: dict = field(default_factory=lambda: dict.fromkeys(
        ("decode", "resample", "mel", "cnn", "mfcc", "store"), 0.0))
    error_paths: list = field(default_factory=list)


def decode_for_analysis(path: str) -> dict:
    """Worker: decode, mix to mono, resample to both front-end rates. Errors become a value."""
    from recommender.audio_features import MFCC_MEL, TAGGER_MEL
    from segue_common.audio_io import load_audio

    t0 = time.perf_counter()
    try:
        y, sr = load_audio(path, mono=True)
    except Exception as exc:  # a bad file is a value, not a crash (all of audio_io's errors and OSError)
        return {"path": path, "error": f"{type(exc).__name__}: {exc}"}
    t1 = time.perf_counter()
    import soxr

    if not np.all(np.isfinite(y)):  # float files can hold NaN/inf; they would poison the batch
        y = np.nan_to_num(y, nan=0.0, posinf=1.0, neginf=-1.0)
    y16 = y if sr == TAGGER_MEL.sr else soxr.resample(y, sr, TAGGER_MEL.sr, quality="HQ")
    y22 = y if sr == MFCC_MEL.sr else soxr.resample(y, sr, MFCC_MEL.sr, quality="HQ")
    return {"path": path, "y16": y16.astype(np.float32, copy=False), "y22": y22.astype(np.float32, copy=False),
            "decode_s": t1 - t0, "resample_s": time.perf_counter() - t1}


def _worker_init() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass


class AnalysisJob:
    """One analysis pass over the library. ``run()`` blocks; ``cancel``/``pause``/``resume`` from elsewhere."""

    def __init__(self, store, *, models_dir=None, device=None, workers: int | None = None,
                 batch_tracks: int | None = None, max_patches: int | None | str = "auto",
                 retry_errors: bool = False,
                 progress: Callable[[AnalysisProgress], None] | None = None):
        from player import paths
        from recommender.audio_features import best_device
        from recommender.tagger import Tagger, weights_path

        self.store = store
        if device is None:
            use_gpu = store.get_setting("analysis.use_gpu", True)
            device = best_device("auto" if use_gpu else "cpu")
        on_gpu = getattr(device, "type", str(device)) != "cpu"
        self.tagger = Tagger(weights_path(models_dir or paths.shipped_models_dir()), device=device)
        self.device = self.tagger.device
        if max_patches == "auto":
            default = CPU_MAX_PATCHES if self.device.type == "cpu" else None
            max_patches = store.get_setting("analysis.max_patches", default)
        self.max_patches = max_patches
        # Decode + resample is ~0.5 s of one core per 3-minute track: a GPU needs many decoders.
        # On the CPU the CNN's threads want the cores: a decoder beside them on a 2-core machine
        # made the CNN ~35% slower (bench_analysis), so there it decodes inline.
        cores = os.cpu_count() or 2
        if workers is None:
            workers = cores - 1 if on_gpu else (0 if cores <= 2 else cores // 4)
        self.workers = workers
        # A GPU wants big batches; on a CPU small ones let decoding overlap the CNN.
        self.batch_tracks = batch_tracks or (8 if on_gpu else 2)
        self.retry_errors = retry_errors
        mode = store.get_setting(WHILE_PLAYING_SETTING, "auto")
        self.while_playing = mode if mode in WHILE_PLAYING_CHOICES else "auto"
        self.cores = cores
        self.progress = progress
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._pool: ProcessPoolExecutor | None = None

    #: what decodes one path (a picklable module-level function: it runs in the workers)
    decode = staticmethod(decode_for_analysis)

    # -- control (any thread) ---------------------------------------
    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def yields_to_playback(self, *, underran: bool = False) -> bool:
        """Whether this job should pause while music plays (``analysis.while_playing``).

        ``"pause"``: always; ``"run"``: never; ``"auto"`` (default): on a slow machine --
        the CNN on the CPU with at most :data:`SLOW_MACHINE_CORES` cores, where it takes
        every core -- or once the output underran while this job was running.
        """
        if self.while_playing != "auto":
            return self.while_playing == "pause"
        return underran or (self.device.type == "cpu" and self.cores <= SLOW_MACHINE_CORES)

    # -- the pass -----------------------------------------------------
    def run(self) -> AnalysisResult:
        start = time.perf_counter()
        todo = self.store.tracks_to_analyse(self.tagger.version, retry_errors=self.retry_errors)
        result = AnalysisResult(total=len(todo), model_version=self.tagger.version, device=str(self.device))
        genres = {row["path"]: (row["id"], row["genre"]) for row in todo}
        paths_left = [row["path"] for row in todo]
        batch: list[dict] = []
        self._pool = self._new_pool() if self.workers > 0 and paths_left else None
        try:
            for decoded in self._decoded(paths_left):
                if self._cancel.is_set():
                    result.cancelled = True
                    break
                if "error" in decoded:
                    track_id = genres[decoded["path"]][0]
                    self.store.save_feature_error(track_id, self.tagger.version, decoded["error"])
                    result.errors += 1
                    result.error_paths.append((decoded["path"], decoded["error"]))
                    log.info("analysis: %s: %s", decoded["path"], decoded["error"])
                else:
                    result.timings["decode"] += decoded["decode_s"]
                    result.timings["resample"] += decoded["resample_s"]
                    batch.append(decoded)
                if len(batch) >= self.batch_tracks:
                    self._process_safely(batch, genres, result)
                    batch = []
                self._report(result, decoded["path"])
            if batch and not self._cancel.is_set():
                self._process_safely(batch, genres, result)
                self._report(result, None)
            result.cancelled = result.cancelled or self._cancel.is_set()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        result.seconds = time.perf_counter() - start
        return result

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_worker_init)

    def _decoded(self, paths: list[str]):
        """Decoded tracks in library order, with at most ~2 per worker decoded ahead."""
        if self._pool is None:
            for path in paths:
                self._running.wait()
                yield self.decode(path)
            return
        ahead = max(2 * self.workers, self.batch_tracks)
        pending: list[tuple[str, object]] = []
        for path in paths:
            while len(pending) >= ahead:
                yield from self._take(pending)
            self._running.wait()
            if self._cancel.is_set():
                break
            pending.append((path, self._pool.submit(self.decode, path)))
        while pending:
            if self._cancel.is_set():
                for _, future in pending:
                    future.cancel()
                return
            yield from self._take(pending)

    def _take(self, pending: list):
        """The oldest pending decode; after a worker crash, the in-flight tracks one by one."""
        path, future = pending.pop(0)
        try:
            yield future.result()
            return
        except BrokenProcessPool:
            pass
        # A worker process died (a decoder crashing in native code): the pool is
        # unusable and every unfinished decode failed with it. Decode those again,
        # each alone in a fresh pool, so only the file that crashes it gets the error
        # (stored, so the next start does not retry it forever).
        in_flight = [(path, future), *pending]
        pending.clear()
        self._replace_pool()
        for path, future in in_flight:
            if future.done() and not future.cancelled() and future.exception() is None:
                yield future.result()  # finished before the crash
                continue
            if self._cancel.is_set():
                return
            try:
                yield self._pool.submit(self.decode, path).result()
            except BrokenProcessPool:
                log.warning("analysis: the decoder crashed on %s", path)
                self._replace_pool()
                yield {"path": path, "error": "decoder crashed"}

    def _replace_pool(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._new_pool()

    def _process_safely(self, batch: list[dict], genres: dict, result: AnalysisResult) -> None:
        """A batch that fails is retried track by track; a track that still fails gets its error."""
        try:
            self._process(batch, genres, result)
        except Exception as exc:
            if len(batch) > 1:
                log.warning("analysis: a batch failed (%s); retrying its tracks one by one", exc)
                for d in batch:
                    self._process_safely([d], genres, result)
                return
            path = batch[0]["path"]
            error = f"analysis failed: {type(exc).__name__}: {exc}"
            log.warning("analysis: %s: %s", path, error)
            self.store.save_feature_error(genres[path][0], self.tagger.version, error)
            result.errors += 1
            result.error_paths.append((path, error))

    def _process(self, batch: list[dict], genres: dict, result: AnalysisResult) -> None:
        from recommender.audio_features import describe, tagger_logmel
        from recommender.genres import assign_bucket

        t0 = time.perf_counter()
        mels = tagger_logmel([d["y16"] for d in batch], device=self.device)
        t1 = self._sync()
        tagged = self.tagger.tag_tracks(mels, max_patches=self.max_patches)
        t2 = self._sync()
        described = describe([d["y22"] for d in batch], device=self.device)
        t3 = self._sync()
        rows = []
        for d, tags, desc in zip(batch, tagged, described):
            track_id, genre = genres[d["path"]]
            rows.append({"track_id": track_id, "model_version": self.tagger.version, "tags": tags.tags,
                         "embedding": tags.embedding, "bucket": assign_bucket(tags.tags, genre),
                         "mfcc": desc.mfcc, "loudness": desc.loudness, "tempo": desc.tempo})
        self.store.save_features(rows)
        t4 = time.perf_counter()
        result.analysed += len(rows)
        for key, dt in (("mel", t1 - t0), ("cnn", t2 - t1), ("mfcc", t3 - t2), ("store", t4 - t3)):
            result.timings[key] += dt

    def _sync(self) -> float:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    def _report(self, result: AnalysisResult, path: str | None) -> None:
        if self.progress is not None:
            self.progress(AnalysisProgress(result.analysed + result.errors, result.total, result.errors, path))
