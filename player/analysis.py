"""The audio analysis job (Qt-free): tags, embedding, bucket, MFCC summary, loudness, tempo.

Finds tracks without features for the current tagger checksum and decodes, of each file,
only what the tagger and the summaries use (:mod:`recommender.excerpts`: 16 evenly spaced
3 s excerpts on a CPU, the whole file in chunks on a GPU), read in blocks and resampled to
16 kHz and 22,050 Hz excerpt by excerpt: memory does not grow with the track's length. The
decoding runs in worker processes (niced) or, on a small CPU machine, in a thread of this
process one part ahead of the CNN (which then runs in two threads side by side, one torch
thread each, taking batches in turn: :func:`cnn_threads`, :func:`default_cnn_workers`); mel
and CNN run in batches on the best torch device in this process, adding each part of a
track to running sums. Resumable because finished tracks are skipped; a file whose
analysis fails in any way (undecodable, a decoder crash, MemoryError, a tagging error, or
twice ending the process itself) gets its error stored and is not tried again until the
file changes (or ``retry_errors``). Cancellable and pausable from another thread (the
app pauses it while music plays on a slow machine); progress goes to a callback.

Settings: ``analysis.use_gpu`` (bool, default True; ``SEGUE_DEVICE`` overrides),
``analysis.max_patches`` (int or None; default 16 evenly spaced 3 s patches on the CPU,
every patch on a GPU), ``analysis.cnn_workers`` (int; default :func:`default_cnn_workers`)
and ``analysis.while_playing`` (``auto``, ``pause`` or ``run``: whether analysis holds while
music plays; the learner process applies it, see :mod:`player.learner.process`).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable

import numpy as np

from player.library.cue import audio_path
from player.saved_values import UNREADABLE, row_id, whole

log = logging.getLogger(__name__)

CPU_MAX_PATCHES = 16
#: the tracks being analysed, noted so that a file that ends the process is known after
IN_FLIGHT_SETTING = "analysis.in_flight"
SILENT_ERROR = "silent: no sound to analyse (nothing louder than -70 dBFS)"
#: how analysis mixes a file's channels, noted in the store: 2 tries a stereo file that is
#: silent in the mean of its channels once more on their difference (:meth:`AnalysisJob._analyse_side`),
#: so the silent errors stored before that are forgotten once, to be tried that way; 3 hears a
#: file of more than two channels as the stereo mix it plays as (its centre louder than a
#: surround, its LFE left out) where it took the plain mean of them all, so such files are
#: analysed once more
MIX_VERSION_SETTING = "analysis.mix_version"
MIX_VERSION = 3
STOPPED_ERROR = "analysis stopped on this file twice (a decoder crash or running out of memory)"
#: whether analysis runs on a GPU when there is one (True by default; ``SEGUE_DEVICE`` overrides)
USE_GPU_SETTING = "analysis.use_gpu"
WHILE_PLAYING_SETTING = "analysis.while_playing"
WHILE_PLAYING_CHOICES = ("auto", "pause", "run")
#: a CPU with at most this many cores runs the tagger on one thread (cnn_threads)
SLOW_MACHINE_CORES = 4
CNN_WORKERS_SETTING = "analysis.cnn_workers"
#: CNN workers go on helping while their CPU time is at least this many times the wall time
#: (measured on the 2-core machine: 1.3-1.9 with it to themselves, the decoding thread beside
#: them; 0.8-1.0 while another program kept a core busy, when sharing was the slower way)
PARALLEL_MIN = 1.2
#: ... else this many tagger calls (tracks, on a CPU) run in one thread before they try again
SOLO_CALLS = 8
#: shared calls at the start of a pass that decide nothing (a fresh thread's first calls run
#: slow: 1.0-1.3 where later ones ran at 1.7-1.9, measured)
WARMUP_SHARES = 2


def cnn_threads(device, cores: int) -> int | None:
    """Torch threads for the tagger on this machine (None: leave torch's own choice).

    One on a CPU with at most :data:`SLOW_MACHINE_CORES` cores. The CNN runs on batches of
    two patches, too small to share between threads: measured on the 2-core machine,
    one thread took 49 ms of CPU per batch, two threads 240 ms (they wait on each other),
    and with other work on the machine (load average 9) the job went from 0.19 to 1.32
    tracks/s (bench_analysis --threads 1). One thread also leaves a core to the player.
    """
    if getattr(device, "type", str(device)) == "cpu" and cores <= SLOW_MACHINE_CORES:
        return 1
    return None


def default_cnn_workers(device, cores: int) -> int:
    """Threads that run the tagger side by side, each on its own batches (one intra-op thread
    each where :func:`cnn_threads` says one).

    Two on a CPU with 2 to :data:`SLOW_MACHINE_CORES` cores: torch lets go of the GIL inside
    its ops, so two threads tagging different batches use two cores with no barrier between
    them (unlike two intra-op threads on one batch). Measured on the 2-core machine: 16 patches
    in 0.22 s instead of 0.41 s, the same CPU time. Elsewhere one (torch's own threads, or a GPU).
    While other programs keep the second core busy, the job tags in one thread
    (:meth:`AnalysisJob._predict`).
    """
    if getattr(device, "type", str(device)) == "cpu" and 2 <= cores <= SLOW_MACHINE_CORES:
        return 2
    return 1


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
    unavailable: int = 0      # files not there when their turn came: tried again on a later pass
    total: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    model_version: str = ""
    device: str = ""
    timings: dict = field(default_factory=lambda: dict.fromkeys(
        ("decode", "resample", "mel", "cnn", "mfcc", "store"), 0.0))
    error_paths: list = field(default_factory=list)


class _Cancelled(Exception):
    """The pass was cancelled while a part was being tagged: the part is dropped unsaved,
    and its file is not at fault (no error is stored against it)."""


def _error_text(exc: BaseException, path: str | None = None) -> str:
    """What is stored against the file ``path`` for ``exc``. A file the decoder refuses is said
    in the library's scan's words, as the player says it: libsndfile's own ("CorruptAudioError:
    cannot decode x.flac: Error opening '/…/x.flac': Error : unknown error in flac decoder.")
    were stored where the scan listed "damaged FLAC file: it ends early, …". Those words go to
    the log. One for want of ffmpeg is kept as it is: its words tell a later pass to try it again.
    A read that failed in the system (a drive unplugged, a share dropped, a bad sector) is said as
    the system says it, "could not read x.flac: Input/output error": the file is not at fault, and
    the scan's words, read again from the drive that failed, called it empty or damaged."""
    from segue_common.audio_io import failed_in_system, for_want_of_ffmpeg

    text = f"{type(exc).__name__}: {exc}".strip()
    system = failed_in_system(exc) if path is not None and not for_want_of_ffmpeg(text) else None
    if system is not None:
        log.info("analysis: %s could not be read: %s", path, text)
        reason = system.error_string if not isinstance(system, OSError) else (
            os.strerror(system.errno) if system.errno else str(system))
        text = f"could not read {os.path.basename(path)}: {reason}"
    elif path is not None and _refused_file(exc) and not for_want_of_ffmpeg(text):
        log.info("analysis: %s does not decode: %s", path, text)
        text = _scan_words(path, str(exc))
    return text if len(text) < 500 else text[:497] + "..."


def _refused_file(exc: BaseException) -> bool:
    """Whether ``exc`` is a decoder's refusal of the file's contents (not the system's fault)."""
    import soundfile as sf

    from segue_common.audio_io import AudioError, failed_reading

    return (isinstance(exc, (AudioError, sf.LibsndfileError)) and not isinstance(exc, OSError)
            and not failed_reading(exc))


def _error_part(path: str, exc: BaseException) -> dict:
    """The part that says decoding ``path`` failed with ``exc``: its error, and ``unreadable``
    where reading the file failed in the system (a drive unplugged, a share dropped), which
    is no fault of the file's: see :meth:`AnalysisJob._fail`."""
    from segue_common.audio_io import failed_reading

    return {"path": path, "error": _error_text(exc, path), "unreadable": failed_reading(exc)}


def _scan_words(path: str, raw: str) -> str:
    """Why the file at ``path`` does not decode, as the library's scan says it (read again
    now), else a decoding library's words ``raw`` put plainly."""
    from player.library.tags import TagReadError, read_tags
    from segue_common import faults

    name = os.path.basename(path)
    try:
        if os.path.isfile(path):    # (not a CUE sheet's track, named after its sheet)
            read_tags(path, estimate=True)
    except TagReadError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - the reader's own fault leaves the decoder's words
        log.warning("reading %s to say why it does not decode failed: %s", path, exc)
    # (libsndfile's words name the whole path: "Error opening '/…/x.flac': …")
    raw = raw.replace(f"Error opening {path!r}: ", "").replace(f"Error opening '{path}': ", "")
    return faults.plain(raw, name)


def decode_part(path: str, max_patches: int | None, first: int = 0, span: tuple | None = None) -> dict:
    """Worker: decode one part of a file's excerpts, from excerpt ``first``.

    A part is what fits :data:`recommender.excerpts.CHUNK_NATIVE_SAMPLES` native samples
    (the 16 excerpts of a CPU analysis fit one part at ordinary rates; a whole-file
    analysis is one chunk per part). Returns ``{"path", "pieces", "next", "decode_s"}``,
    ``next`` the first excerpt of the following part or None after the last; any failure
    (a damaged file, MemoryError, a decoder's error) is returned as ``{"path", "error"}``.
    ``span``: a CUE sheet's track, ``(file, begin_s, end_s)`` (see :func:`_span_of`).
    """
    t0 = time.perf_counter()
    try:
        return {"path": path, **_collect_part(path, max_patches, first, span), "decode_s": time.perf_counter() - t0}
    except Exception as exc:  # a bad file is a value, not a crash: MemoryError and decoder errors too
        return _error_part(path, exc)


def _pieces(path: str, max_patches: int | None, span: tuple | None, **kw):
    """The pieces of ``path``; of a CUE sheet's track (``span``), those of its stretch of the
    album's file, under the track's own name."""
    from recommender.excerpts import decode_pieces

    if span is None:
        yield from decode_pieces(path, max_patches, **kw)
        return
    for piece in decode_pieces(span[0], max_patches, span=span[1:], **kw):
        piece.path = path
        yield piece


def _span_of(row) -> tuple | None:
    """What the decoder needs of a CUE sheet's track: ``(file, begin_s, end_s)``; None for a file."""
    if row["cue_start_s"] is None:
        return None
    return audio_path(row), row["cue_start_s"], row["cue_end_s"]


def _collect_part(path: str, max_patches: int | None, first: int, span: tuple | None = None) -> dict:
    gen = _pieces(path, max_patches, span, first=first)
    try:
        return _take_part(gen, first)
    finally:
        gen.close()


def _take_part(pieces, first: int) -> dict:
    """Pieces from an iterator over one file's pieces until a part's budget is used.

    ``next`` is None after the last excerpt, or when the file ended before its header said
    (the pieces so far are the file's analysis).
    """
    from recommender.excerpts import CHUNK_NATIVE_SAMPLES
    from segue_common.audio_io import CorruptAudioError

    out, used, exhausted = [], 0, True
    for piece in pieces:
        out.append(piece)
        used += (piece.excerpt.s1 - piece.excerpt.s0) * piece.grid.sr // 16000
        if used >= CHUNK_NATIVE_SAMPLES and piece.excerpt.index + 1 < piece.excerpt.count:
            exhausted = False
            break
    if not out:
        if first == 0:
            raise CorruptAudioError("no audio where the file's header says there is")
        return {"pieces": [], "next": None}
    return {"pieces": out, "next": None if exhausted else out[-1].excerpt.index + 1}


def _stream_parts(path: str, max_patches: int | None, mix: str = "mean", span: tuple | None = None):
    """In-process decoding: the parts of one file from a single pass over it (no re-opening)."""
    gen = _pieces(path, max_patches, span, mix=mix)
    first = 0
    try:
        while first is not None:
            t0 = time.perf_counter()
            try:
                part = _take_part(gen, first)
            except Exception as exc:  # MemoryError and decoder errors too: stored against the file
                yield _error_part(path, exc)
                return
            part.update(path=path, decode_s=time.perf_counter() - t0)
            first = part["next"]
            yield part
    finally:
        gen.close()


def _worker_init() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass


def torch_cat(tensors):
    import torch

    return torch.cat(tensors)


class _TrackState:
    """What a track's analysed parts add up to: tag and embedding sums over its patches,
    and its summaries (a few hundred numbers, whatever the track's length)."""

    def __init__(self):
        from recommender.audio_features import TrackSummary

        self.probs = None
        self.pens = None
        self.patches = 0
        self.summary = TrackSummary()

    def add(self, probs, pens, summary) -> None:
        if len(probs):
            p, e = probs.sum(0).double().cpu().numpy(), pens.sum(0).double().cpu().numpy()
            self.probs = p if self.probs is None else self.probs + p
            self.pens = e if self.pens is None else self.pens + e
            self.patches += len(probs)
        self.summary.add(summary)

    def result(self):
        if self.patches == 0:
            raise ValueError("no audio was tagged")
        tags = (self.probs / self.patches).astype(np.float32)
        emb = self.pens / self.patches
        emb = (emb / max(np.linalg.norm(emb), 1e-12)).astype(np.float32)
        return tags, emb, self.summary.result()


def forget_errors_ffmpeg_now_decodes(store) -> int:
    """Where ffmpeg is found now, forget the analysis errors stored because it was not (an
    m4a analysed before ffmpeg was installed): their tracks are analysed by the next pass, as
    if they had never been tried. Returns how many were forgotten."""
    from segue_common.audio_io import INSTALL_FFMPEG, ffmpeg_complete

    if ffmpeg_complete() is None:
        return 0
    forgotten = store.forget_feature_errors_containing(INSTALL_FFMPEG)
    if forgotten:
        log.info("analysis: ffmpeg is found now: %d tracks it decodes are analysed again", forgotten)
    return forgotten


class AnalysisJob:
    """One analysis pass over the library. ``run()`` blocks; ``cancel``/``pause``/``resume`` from elsewhere."""

    def __init__(self, store, *, models_dir=None, device=None, workers: int | None = None,
                 batch_tracks: int | None = None, max_patches: int | None | str = "auto",
                 retry_errors: bool = False, threads: int | None | str = "auto",
                 cnn_workers: int | str = "auto",
                 progress: Callable[[AnalysisProgress], None] | None = None):
        from player import paths
        from recommender.audio_features import best_device
        from recommender.tagger import Tagger, weights_path

        self.store = store
        self._spans: dict = {}
        # Before anything counts what is left to do (``segue analyse`` says "all analysed"
        # from the counts): files that failed only because ffmpeg was missing are tried again.
        forget_errors_ffmpeg_now_decodes(store)
        #: the GPU setting this pass was made with (None: its device was given)
        self.use_gpu: bool | None = None
        if device is None:
            self.use_gpu = use_gpu = bool(store.get_setting(USE_GPU_SETTING, True))
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
        # A GPU wants big batches. On a CPU the CNN's batches are two patches whatever this
        # is, and a batch of one track lets the next track decode while this one is tagged
        # (with two, every other decode waited: 0.8 of 5.8 s on 8 tracks).
        self.batch_tracks = batch_tracks or (8 if on_gpu else 1)
        self.retry_errors = retry_errors
        self.cores = cores
        self.threads = cnn_threads(self.device, cores) if threads == "auto" else threads
        if cnn_workers == "auto":
            # (more threads than cores only wait on each other; one unreadable, or none, is the default)
            try:
                cnn_workers = min(whole(store.get_setting(CNN_WORKERS_SETTING, None)), cores)
            except UNREADABLE:
                cnn_workers = 0
            cnn_workers = cnn_workers or default_cnn_workers(self.device, cores)
        self.cnn_workers = max(1, int(cnn_workers))
        self._cnn_pool: ThreadPoolExecutor | None = None
        self._solo_calls = 0
        #: CPU time / wall time of each call the CNN workers shared (about 2 with 2 free cores),
        #: and the calls this thread ran alone because the last share fell short of that
        self.cnn_parallelism: list[float] = []
        self.cnn_alone = 0
        self.progress = progress
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._pool: ProcessPoolExecutor | None = None

    #: what decodes one part of a file in a worker (a picklable module-level function)
    decode = staticmethod(decode_part)

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

    # -- the pass -----------------------------------------------------
    def run(self) -> AnalysisResult:
        threads = self.threads
        if threads is None:
            return self._run()
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return self._run()
        finally:
            torch.set_num_threads(before)

    def _run(self) -> AnalysisResult:
        start = time.perf_counter()
        self._in_flight: dict[str, int] = {}
        self._decoding: str | None = None
        self._strikes = self._strike_files_that_stopped_the_last_run()
        self._forget_older_mixes()
        todo = self.store.tracks_to_analyse(self.tagger.version, retry_errors=self.retry_errors)
        result = AnalysisResult(total=len(todo), model_version=self.tagger.version, device=str(self.device))
        genres = self._genres = {row["path"]: (row["id"], row["genre"]) for row in todo}
        self._channels = {row["path"]: row["channels"] for row in todo}
        #: the CUE sheets' tracks: their stretch of an album's file (a file has none)
        self._spans = {row["path"]: span for row in todo if (span := _span_of(row)) is not None}
        paths_left = [row["path"] for row in todo]
        self._tracks: dict[str, _TrackState] = {}
        self._failed: set[str] = set()
        batch: list[dict] = []
        self._pool = self._new_pool() if self.workers > 0 and paths_left else None
        if self.cnn_workers > 1 and paths_left:
            # (its threads inherit this one's priority: the learner's lowest)
            self._cnn_pool = ThreadPoolExecutor(self.cnn_workers - 1, thread_name_prefix="analysis-cnn")
        try:
            for part in self._parts(paths_left):
                if self._cancel.is_set():
                    result.cancelled = True
                    break
                path = part["path"]
                if path in self._failed:
                    continue
                if "error" in part:
                    self._fail(path, part["error"], genres, result, unreadable=part.get("unreadable", False))
                else:
                    result.timings["decode"] += part["decode_s"]
                    batch.append(part)
                    # A batch is batch_tracks parts (a part is a whole track but for a long
                    # file streamed in chunks, which must not gather in memory before tagging).
                    if len(batch) >= self.batch_tracks:
                        self._process_safely(batch, genres, result)
                        batch = []
            if batch and not self._cancel.is_set():
                self._process_safely(batch, genres, result)
                self._report(result, None)
        except _Cancelled:      # cancelled while tagging a part: that part is dropped
            pass
        finally:
            # Stopped on purpose or done: nothing in flight is a suspect. Noted before the
            # decoders are waited for: a quit that ends this process while a worker still
            # decodes a long file must not count against that file.
            self._tracks.clear()
            self._in_flight.clear()
            self._decoding = None
            self._save_in_flight()
            cancelled = self._cancel.is_set()
            if self._pool is not None:
                self._pool.shutdown(wait=not cancelled, cancel_futures=True)
                self._pool = None
            if self._cnn_pool is not None:
                self._cnn_pool.shutdown(wait=True)
                self._cnn_pool = None
        result.cancelled = result.cancelled or self._cancel.is_set()
        result.seconds = time.perf_counter() - start
        return result

    # -- files that end the process --------------------------------------
    # A decoder crashing in native code in this process, or the system killing it for
    # memory, leaves no exception to store: the file would stop every later start too.
    # So the tracks being worked on are written down as they start and crossed off as they
    # finish, with the one whose decoding started last in this process. A run that finds
    # tracks left from the run before gives a strike to that one (or, when the process
    # ended while tagging, to each track it held); a track with two strikes gets its error
    # stored (one alone may be a kill that had nothing to do with it, e.g. the app quitting).

    def _strike_files_that_stopped_the_last_run(self) -> dict:
        left = self.store.get_setting(IN_FLIGHT_SETTING) or {}
        try:
            if left.get("version") != self.tagger.version:
                return {}
            strikes = {row_id(k): whole(v) for k, v in (left.get("strikes") or {}).items()}
            suspects = [left["decoding"]] if left.get("decoding") is not None else left.get("tracks") or []
            suspects = [row_id(t) for t in suspects]
        except (*UNREADABLE, AttributeError):
            # (raised, no pass began again, and none rewrote it: the strikes in it are lost instead)
            log.warning("analysis: the note of the tracks in flight is unreadable, left out: %r", left)
            return {}
        for track_id in suspects:
            strikes[track_id] = strikes.get(track_id, 0) + 1
        for track_id, n in list(strikes.items()):
            if n >= 2:
                self.store.save_feature_error(track_id, self.tagger.version, STOPPED_ERROR)
                log.warning("analysis: track %s stopped the analysis twice; not trying it again", track_id)
                del strikes[track_id]
        return strikes

    def _forget_older_mixes(self) -> None:
        """What older mixes of the channels made is forgotten, once, so that this pass
        analyses those tracks again: stereo tracks called silent before the mix looked at the
        difference of the channels (they may be loud that way), and everything of tracks of
        more than two channels (heard before as the mean of all of them)."""
        done = self.store.get_setting(MIX_VERSION_SETTING, 1)
        if not isinstance(done, int):
            done = 1
        if done >= MIX_VERSION:
            return
        if done < 2:
            forgotten = self.store.forget_feature_errors(SILENT_ERROR, channels=2)
            if forgotten:
                log.info("analysis: %d silent stereo tracks are analysed again", forgotten)
        if done < 3:
            forgotten = self.store.forget_features_of_multichannel()
            if forgotten:
                log.info("analysis: %d tracks of more than two channels are analysed again", forgotten)
        self.store.set_setting(MIX_VERSION_SETTING, MIX_VERSION)

    def _save_in_flight(self) -> None:
        try:
            self.store.set_setting(IN_FLIGHT_SETTING, {
                "version": self.tagger.version, "tracks": sorted(self._in_flight.values()),
                "decoding": self._in_flight.get(self._decoding),
                "strikes": {str(k): v for k, v in self._strikes.items()}})
        except Exception as exc:  # bookkeeping only: never the reason analysis stops
            log.warning("analysis: could not note the tracks in flight: %s", exc)

    def _started(self, path: str, track_id: int, *, decoding_here: bool) -> None:
        if path not in self._in_flight or (decoding_here and self._decoding != path):
            self._in_flight[path] = track_id
            self._decoding = path if decoding_here else self._decoding
            self._save_in_flight()

    def _finished(self, paths) -> None:
        changed = False
        for path in paths:
            track_id = self._in_flight.pop(path, None)
            if path == self._decoding:
                self._decoding = None
            if track_id is not None:
                self._strikes.pop(track_id, None)
                changed = True
        if changed:
            self._save_in_flight()

    def _fail(self, path: str, error: str, genres: dict, result: AnalysisResult, *, unreadable: bool = False) -> None:
        """Store the error against the file: it is not tried again until ``--retry-errors``
        or until the file changes (a rescan of a changed file clears it), or, for a failure
        for want of ffmpeg, until a job finds ffmpeg (:func:`forget_errors_ffmpeg_now_decodes`).

        A file that is not there when its turn comes (its disk or share was disconnected
        during a pass of hours, or it moved since the scan) has nothing wrong with it: no
        error is stored, and a later pass analyses it when it is back. So too one whose read
        failed in the system as it was decoded (``unreadable``, or see :func:`_error_text`):
        stored, it stayed unanalysed for good, out of every suggestion made by sound."""
        from segue_common.audio_io import read_failed

        self._failed.add(path)
        self._tracks.pop(path, None)
        self._in_flight.pop(path, None)
        if path == self._decoding:
            self._decoding = None
        there = self._spans[path][0] if path in self._spans else path
        if unreadable or read_failed(error) or not os.path.exists(there):
            result.unavailable += 1
            log.info("analysis: %s is not there or not readable now (%s); it is analysed when it is back", path, error)
            self._report(result, path)
            return
        self.store.save_feature_error(genres[path][0], self.tagger.version, error)
        result.errors += 1
        result.error_paths.append((path, error))
        log.info("analysis: %s: %s", path, error)
        self._report(result, path)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_worker_init)

    def _parts(self, paths: list[str]):
        """Decoded parts in library order (a file's parts in order); in worker processes
        with at most ~2 parts per worker decoded ahead, else in this thread, streaming."""
        if self._pool is None:
            yield from self._parts_here(paths)
            return
        ahead = max(2 * self.workers, self.batch_tracks)
        pending: list[tuple[str, int, object]] = []
        todo = list(reversed(paths))
        while todo or pending:
            while todo and len(pending) < ahead and not self._cancel.is_set():
                self._running.wait()
                path = todo.pop()
                pending.append((path, 0, self._submit(path, 0)))
            if self._cancel.is_set():
                for *_, future in pending:
                    future.cancel()
                return
            for part in self._take(pending):
                if "error" not in part:
                    self._started(part["path"], self._genres[part["path"]][0], decoding_here=False)
                if part.get("next") is not None and part["path"] not in self._failed:
                    # the file's next part goes first: its track's state waits for it
                    pending.insert(0, (part["path"], part["next"], self._submit(part["path"], part["next"])))
                yield part

    def _span_kw(self, path: str) -> dict:
        """``span=`` for the decoding of a CUE sheet's track (nothing for a file: the decoding
        functions a test puts in their place need not know of it)."""
        span = self._spans.get(path)
        return {} if span is None else {"span": span}

    def _submit(self, path: str, first: int) -> Future:
        """Hand the decoding of ``path`` from part ``first`` to the pool. A worker that died
        since the last hand-over has broken the pool, which then refuses new work: the
        decode fails as those in flight did, and ``_take`` decodes it again alone."""
        try:
            return self._pool.submit(self.decode, path, self.max_patches, first, **self._span_kw(path))
        except BrokenProcessPool as exc:
            failed: Future = Future()
            failed.set_exception(exc)
            return failed

    def _parts_here(self, paths: list[str]):
        """Parts decoded in this process by one thread that stays a part ahead: it decodes
        the next track while this thread tags the last one (the decoders and the CNN release
        the GIL, so the two use two cores). At most two parts wait, whatever the lengths."""
        import queue

        ready: queue.Queue = queue.Queue(maxsize=1)
        wanted: queue.Queue = queue.Queue()
        stop = threading.Event()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    ready.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def decode() -> None:
            while (path := wanted.get()) is not None and not stop.is_set():
                try:
                    for part in _stream_parts(path, self.max_patches, **self._span_kw(path)):
                        while not self._running.wait(0.2):   # paused
                            if stop.is_set():
                                return
                        if stop.is_set() or not put(part):
                            return
                except Exception as exc:  # MemoryError included: it belongs to this file
                    if not put(_error_part(path, exc)):
                        return
            put(None)

        def ask(path: str | None) -> None:
            if path is not None:
                self._started(path, self._genres[path][0], decoding_here=True)
            wanted.put(path)

        todo = iter(paths)
        thread = threading.Thread(target=decode, name="analysis-decode", daemon=True)
        thread.start()
        try:
            ask(next(todo, None))
            while True:
                try:
                    part = ready.get(timeout=0.2)
                except queue.Empty:
                    if self._cancel.is_set():
                        return
                    continue
                if part is None:
                    break
                if "error" in part or part["next"] is None:
                    ask(next(todo, None))   # its decoding overlaps this part's tagging
                yield part
                self._running.wait()
                if self._cancel.is_set():
                    return
        finally:
            stop.set()
            wanted.put(None)
            # Cancelled (the app quitting), the pass does not wait for a decode that takes
            # seconds to reach its next part (a three-hour mix through ffmpeg): the thread
            # stops there on its own, and dies with the process if that comes first.
            thread.join(1.0 if self._cancel.is_set() else None)

    def _take(self, pending: list):
        """The oldest pending part; after a worker crash, the in-flight parts one by one.
        Nothing once the pass is cancelled (a long decode is not waited for)."""
        from concurrent.futures import wait

        path, first, future = pending.pop(0)
        while not wait([future], timeout=0.2).done:
            if self._cancel.is_set():
                future.cancel()
                return
        try:
            yield future.result()
            return
        except BrokenProcessPool:
            pass
        except Exception as exc:  # the result could not come back (MemoryError, pickling)
            yield _error_part(path, exc)
            return
        # A worker process died (a decoder crashing in native code): the pool is
        # unusable and every unfinished decode failed with it. Decode those again,
        # each alone in a fresh pool, so only the file that crashes it gets the error
        # (stored, so the next start does not retry it forever).
        in_flight = [(path, first, future), *pending]
        pending.clear()
        self._replace_pool()
        for path, first, future in in_flight:
            if future.done() and not future.cancelled() and future.exception() is None:
                yield future.result()  # finished before the crash
                continue
            if self._cancel.is_set():
                return
            try:
                yield self._pool.submit(self.decode, path, self.max_patches, first, **self._span_kw(path)).result()
            except BrokenProcessPool:
                log.warning("analysis: the decoder crashed on %s", path)
                self._replace_pool()
                yield {"path": path, "error": "decoder crashed"}
            except Exception as exc:
                yield _error_part(path, exc)

    def _replace_pool(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._new_pool()

    def _process_safely(self, batch: list[dict], genres: dict, result: AnalysisResult) -> None:
        """A batch that fails is retried part by part; a part that still fails is its file's error."""
        batch = [p for p in batch if p["path"] not in self._failed]
        if not batch:
            return
        try:
            self._process(batch, genres, result)
        except _Cancelled:
            raise
        except Exception as exc:  # MemoryError too: it is stored against the file
            if len(batch) > 1:
                log.warning("analysis: a batch failed (%s); retrying its parts one by one", exc)
                for part in batch:
                    self._process_safely([part], genres, result)
                return
            path = batch[0]["path"]
            self._fail(path, f"analysis failed: {_error_text(exc)}", genres, result)

    def _process(self, batch: list[dict], genres: dict, result: AnalysisResult) -> None:
        from recommender.audio_features import equal_length_groups, summarise_pieces, tagger_logmel
        from recommender.genres import assign_bucket
        from recommender.tagger import cut_patches

        pieces = [piece for part in batch for piece in part["pieces"]]
        t0 = time.perf_counter()
        mels = [None] * len(pieces)
        for idx in equal_length_groups([len(p.y16) for p in pieces]):  # one STFT per group
            for i, m in zip(idx, tagger_logmel([pieces[i].y16 for i in idx], device=self.device,
                                               center=False, batched=True)):
                mels[i] = m
        t1 = self._sync()
        cut = [cut_patches(m, p.excerpt.patches) for m, p in zip(mels, pieces)]
        probs, pens = self._predict(torch_cat(cut)) if cut else (None, None)
        t2 = self._sync()
        self._check_cancel()
        summaries = summarise_pieces(pieces, device=self.device) if pieces else []
        t3 = self._sync()
        # Only now, with the whole batch computed, do the tracks' states change: a batch
        # that failed above is retried part by part without counting anything twice.
        start = 0
        for piece, patches, summary in zip(pieces, cut, summaries):
            n = patches.shape[0]
            state = self._tracks.setdefault(piece.path, _TrackState())
            state.add(probs[start: start + n], pens[start: start + n], summary)
            start += n
        rows = []
        for part in batch:
            if part["next"] is not None:
                continue
            path = part["path"]
            state = self._tracks.pop(path, None) or _TrackState()
            track_id, genre = genres[path]
            try:
                tags, embedding, desc = state.result()
            except Exception as exc:
                self._fail(path, f"analysis failed: {_error_text(exc)}", genres, result)
                continue
            if desc.loudness is None:
                # Silence (a CD's pregap, a "silence" interlude): the tagger still names a
                # genre and an embedding for it, the same for every silent track, which would
                # put it in Discover and in Radio beside music. Kept out of what sound drives.
                # A stereo file with one channel's polarity inverted cancels to nothing in the
                # mean of its channels, though it plays loud: it is tried once on their difference.
                if not part.get("side") and self._analyse_side(path, genres, result):
                    continue
                self._fail(path, SILENT_ERROR, genres, result)
                continue
            rows.append({"track_id": track_id, "model_version": self.tagger.version, "tags": tags,
                         "embedding": embedding, "bucket": assign_bucket(tags, genre),
                         "mfcc": desc.mfcc, "loudness": desc.loudness, "tempo": desc.tempo})
        if rows:
            self.store.save_features(rows)
        self._finished([part["path"] for part in batch if part["next"] is None])
        t4 = time.perf_counter()
        result.analysed += len(rows)
        for key, dt in (("mel", t1 - t0), ("cnn", t2 - t1), ("mfcc", t3 - t2), ("store", t4 - t3)):
            result.timings[key] += dt
        for row in rows:
            self._report(result, None)

    def _analyse_side(self, path: str, genres: dict, result: AnalysisResult) -> bool:
        """Analyse ``path`` once more on (L - R) / 2, the difference of its two channels, after
        their mean came out silent; False (silent, as the mean said) where the file has not
        exactly two channels or does not decode now.

        Only files silent in the mean come here, so every other file keeps the features of
        the mean. Its parts go through the same pipeline as any part, marked ``side``: silent
        this way too, the file gets SILENT_ERROR there and is not tried a third time. Decoded
        here with the CPU's excerpts whatever the device: a long silent file costs 16 short
        excerpts, not a second decoding of all of it, and memory stays as bounded as ever.
        """
        if self._channels.get(path) not in (None, 2):   # (where the scan knows them)
            return False
        for part in _stream_parts(path, CPU_MAX_PATCHES, mix="side", **self._span_kw(path)):
            if "error" in part:
                self._tracks.pop(path, None)
                return False
            result.timings["decode"] += part["decode_s"]
            part["side"] = True
            self._process_safely([part], genres, result)
            if path in self._failed:
                break
        return True

    def _predict(self, patches):
        """The tagger on ``patches``: with CNN workers, this thread and each worker take the
        next batch until none is left (no thread waits for a slower one longer than a batch).

        The workers help only while the machine has cores to spare. When the threads' CPU
        time over a call falls short of :data:`PARALLEL_MIN` times its wall time, they were
        taking turns on one core (other programs have the rest: analysis runs at the lowest
        priority), which is slower than one thread alone (their batches no longer fit in the
        cache together); then the next :data:`SOLO_CALLS` calls run in this thread alone
        before the workers are tried again. The first :data:`WARMUP_SHARES` shared calls of a
        pass only warm the threads up.
        """
        size = self.tagger.batch_patches
        chunks = [patches[i: i + size] for i in range(0, patches.shape[0], size)]
        if self._cnn_pool is None or len(chunks) <= 1 or self._solo_calls > 0:
            if self._cnn_pool is not None and self._solo_calls > 0:
                self._solo_calls -= 1
                self.cnn_alone += 1
            out = []
            for chunk in chunks or [patches]:      # (none: the tagger says what is wrong)
                self._check_cancel()
                out.append(self.tagger.predict_patches(chunk))
            return (out[0] if len(out) == 1 else
                    (torch_cat([o[0] for o in out]), torch_cat([o[1] for o in out])))
        out: list = [None] * len(chunks)
        order = itertools.count()   # hands out each batch once (atomic under the GIL)

        def work() -> float:
            cpu = time.thread_time()
            while (i := next(order)) < len(chunks) and not self._cancel.is_set():
                out[i] = self.tagger.predict_patches(chunks[i])
            return time.thread_time() - cpu

        wall = time.perf_counter()
        futures = [self._cnn_pool.submit(work) for _ in range(self.cnn_workers - 1)]
        try:
            cpu = work()
        finally:
            for future in futures:
                future.exception()   # wait for it either way; its error surfaces below
        cpu += sum(future.result() for future in futures)
        self._check_cancel()
        wall = time.perf_counter() - wall
        self.cnn_parallelism.append(cpu / max(wall, 1e-9))
        if cpu < PARALLEL_MIN * wall and len(self.cnn_parallelism) > WARMUP_SHARES:
            self._solo_calls = SOLO_CALLS
        return torch_cat([o[0] for o in out]), torch_cat([o[1] for o in out])

    def _check_cancel(self) -> None:
        """Between two batches of a part's tagging: a part of a long file (every patch of
        a minute and a half of audio) takes seconds of CNN at the lowest priority, and the
        app quitting must not wait for it."""
        if self._cancel.is_set():
            raise _Cancelled

    def _sync(self) -> float:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    def _report(self, result: AnalysisResult, path: str | None) -> None:
        if self.progress is not None:
            self.progress(AnalysisProgress(result.analysed + result.errors + result.unavailable, result.total,
                                           result.errors, path))
