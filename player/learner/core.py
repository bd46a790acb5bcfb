"""The learner's work, Qt-free and process-agnostic: analyse the library, train the local models.

:class:`Learner` is what the learner process runs (:mod:`player.learner.process`), and
what ``segue analyse`` and ``segue status --train`` call in their own process: one
copy of the logic. It turns the analysis job's and the trainer's progress into
:mod:`player.learner.messages` for ``emit``, and holds analysis between tracks
whenever :class:`Gate` says so (training, a pause, music that must not stutter), so
training never runs at the same time as the tagger.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from player.learner import messages as m

log = logging.getLogger(__name__)


class Gate:
    """Holds the analysis thread between tracks while any reason to hold is set.

    ``hold``/``release`` from any thread; the analysis thread calls :meth:`wait_open`
    after each track. :meth:`wait_parked` lets a caller wait until analysis really
    stopped (parked at the gate, or not running at all) before it starts training.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._holds: set[str] = set()
        self._parked = False

    def hold(self, reason: str) -> None:
        with self._cond:
            self._holds.add(reason)
            self._cond.notify_all()

    def release(self, reason: str) -> None:
        with self._cond:
            self._holds.discard(reason)
            self._cond.notify_all()

    def set(self, reason: str, on: bool) -> None:
        (self.hold if on else self.release)(reason)

    @property
    def reasons(self) -> set[str]:
        with self._cond:
            return set(self._holds)

    def wait_open(self, on_park: Callable[[set], None] | None = None, cancelled=lambda: False) -> None:
        """Analysis thread: return at once if nothing holds, else park until nothing does."""
        with self._cond:
            told: set | None = None
            while self._holds and not cancelled():
                if on_park is not None and told != self._holds:
                    told = set(self._holds)
                    on_park(told)
                self._parked = True
                self._cond.notify_all()
                self._cond.wait(0.5)
            self._parked = False

    def wait_parked(self, running: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until the analysis thread is parked or ``running()`` is false; True if so."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while running() and not self._parked:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.2 if left is None else min(0.2, left))
            return True


PROGRESS_EVERY_S = 0.25

#: what the person reads for each reason analysis is held (AnalysisProgress.paused)
HOLD_WORDS = {"paused": "paused", "playing": "paused while music plays",
              "backoff": "paused for a while: the sound stuttered", "training": ""}


class Learner:
    """Analysis and training on one store.

    Parameters
    ----------
    store : player.store.Store (opened by this process)
    emit : ``fn(message)`` for every :mod:`player.learner.messages` it produces (default: drop)
    models_dir : the local models folder (default: the data folder's)
    every_n_plays, idle_s : when training is due (:class:`player.trainer.Trainer`)
    features_every_s : during a long analysis pass, say "features changed" this often (the
        window rebuilds its catalogue then, so Radio and Discover use what is analysed so far)
    """

    def __init__(self, store, *, emit: Callable[[m.Message], None] | None = None,
                 models_dir: str | Path | None = None, every_n_plays: int = 20, idle_s: float = 300.0,
                 session_model: bool = True, features_every_s: float = 600.0):
        from player.trainer import Trainer

        self.store = store
        self.emit = emit or (lambda message: None)
        self.trainer = Trainer(store, models_dir=models_dir, every_n_plays=every_n_plays, idle_s=idle_s,
                               session_model=session_model)
        self.gate = Gate()
        self.features_every_s = features_every_s
        self._job = None
        self._job_lock = threading.Lock()
        self._cancelled = threading.Event()

    @property
    def models_dir(self) -> Path:
        return self.trainer.models_dir

    # -- analysis -----------------------------------------------------------------------
    def new_job(self, *, progress: Callable | None = None, **options):
        """An :class:`player.analysis.AnalysisJob` on this store that reports to ``emit`` (and
        ``progress``) and waits at the gate after each track. ``options`` go to the job."""
        from player.analysis import AnalysisJob

        last = {"progress": 0.0, "features": time.monotonic(), "analysed": 0}

        def report(p) -> None:
            now = time.monotonic()
            # At most a few messages a second: a burst of unreadable files would otherwise
            # flood the window's event loop.
            if now - last["progress"] >= PROGRESS_EVERY_S or p.done in (0, p.total):
                last["progress"] = now
                self.emit(m.AnalysisProgress(p.done, p.total, p.errors, self._hold_words(self.gate.reasons)))
            analysed = p.done - p.errors
            if analysed > last["analysed"] and now - last["features"] >= self.features_every_s:
                self.emit(m.FeaturesChanged(analysed - last["analysed"]))   # a long pass: use what is done
                last["features"], last["analysed"] = now, analysed
            if progress is not None:
                progress(p)
            self.gate.wait_open(
                on_park=lambda reasons: self.emit(m.AnalysisProgress(p.done, p.total, p.errors,
                                                                     self._hold_words(reasons))),
                cancelled=self._cancelled.is_set)

        return AnalysisJob(self.store, progress=report, **options)

    @staticmethod
    def _hold_words(reasons: set) -> str:
        words = [HOLD_WORDS.get(r, r) for r in sorted(reasons)]
        return ", ".join(w for w in words if w)

    def run_job(self, job):
        """Run ``job`` to the end (or until cancelled); says what it did. Returns its result."""
        with self._job_lock:
            self._job = job
            if self._cancelled.is_set():      # cancelled before it started: stop at the first track
                job.cancel()
        try:
            result = job.run()
        except Exception as exc:
            log.exception("analysis failed")
            self.emit(m.AnalysisFinished(0, 0, 0, error=f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            with self._job_lock:
                self._job = None
        if result.analysed:
            self.emit(m.FeaturesChanged(result.analysed))
        self.emit(m.AnalysisFinished(result.analysed, result.errors, result.total, result.cancelled,
                                     round(result.seconds, 2), result.device))
        return result

    def analyse(self, **options):
        """One analysis pass over the tracks without features (see :meth:`new_job`)."""
        return self.run_job(self.new_job(**options))

    def pending(self) -> bool:
        """Whether tracks wait for analysis under the shipped tagger's version."""
        from player import paths
        from recommender.tagger import model_version, weights_path

        try:
            version = model_version(weights_path(paths.shipped_models_dir()))
        except (OSError, ValueError) as exc:
            log.warning("cannot tell the tagger version: %s", exc)
            return False
        return self.store.feature_counts(version)["pending"] > 0

    def cancel_analysis(self) -> None:
        """Stop the pass under way after its current track (a parked one at once), and any
        pass that starts before :meth:`allow_analysis`."""
        with self._job_lock:
            self._cancelled.set()
            if self._job is not None:
                self._job.cancel()

    def use_gpu_changed(self, use_gpu: bool) -> bool:
        """The GPU setting is now ``use_gpu``: a pass made with the other one stops after its
        current track (True: it was, and a new pass should go on where it stopped). Its device,
        decoders and batches are chosen as it starts; left running, a first pass over a big
        library stayed for hours on the device the person had just turned off."""
        with self._job_lock:
            job = self._job
            if job is None or job.use_gpu is None or job.use_gpu == bool(use_gpu):
                return False
            log.info("the GPU setting changed during an analysis pass: it goes on in a new pass")
            job.cancel()
            return True

    def allow_analysis(self) -> None:
        """Analysis was asked for again after a cancel."""
        self._cancelled.clear()

    @property
    def analysing(self) -> bool:
        return self._job is not None

    # -- training ------------------------------------------------------------------------
    def train(self, progress: Callable[[str, float], None] | None = None, *,
              should_stop: Callable[[], bool] | None = None):
        """Train now (holding analysis between tracks meanwhile). Returns the TrainResult, or
        None when a training is already running or ``should_stop`` stopped it (between two
        steps; the models in use stay); a failure is reported and raised."""
        from recommender.stopping import TrainingStopped

        def report(stage: str, fraction: float) -> None:
            self.emit(m.TrainingProgress(stage, round(float(fraction), 3)))
            if progress is not None:
                progress(stage, fraction)

        self.gate.hold("training")
        try:
            stopping = should_stop or (lambda: False)
            self.gate.wait_parked(lambda: self.analysing and not stopping())
            if stopping():
                return None
            result = self.trainer.train_now(progress=report, should_stop=should_stop)
        except TrainingStopped:
            return None
        except Exception as exc:
            from player.failures import describe, no_room

            # A full disk in the person's words, as the window says it elsewhere; not
            # "OperationalError: database or disk is full".
            self.emit(m.TrainingFailed(describe(exc)[0] if no_room(exc) else f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            self.gate.release("training")
        if result is not None and result.path is not None:
            self.emit(m.ModelsChanged(result.path.name, result.n_plays, time.time(),
                                      {k: v for k, v in result.metrics.items()
                                       if isinstance(v, (int, float, str, bool))}))
        return result

    def export_old_run(self, *, should_stop: Callable[[], bool] | None = None) -> bool:
        """Write the numpy session model of a run trained before the export existed; True if
        the window should reload its models. ``should_stop`` (the app quitting) ends it
        between its steps with nothing written: the next start does it."""
        from recommender.local_models import export_session_serving
        from recommender.stopping import TrainingStopped

        try:
            done = export_session_serving(self.models_dir, should_stop=should_stop)
        except TrainingStopped:
            return False
        except Exception:           # an unreadable old run: the next training replaces it
            log.exception("could not export the session model of the current run")
            return False
        if done:
            last = self.store.last_model_run()
            self.emit(m.ModelsChanged(Path(last["path"]).name if last is not None and last["path"] else "",
                                      last["n_plays"] if last is not None else 0,
                                      last["finished_at"] if last is not None else time.time()))
        return done
