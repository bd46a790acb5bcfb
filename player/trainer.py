"""Training of the local models: when one is due (N new plays, or a quiet while) and one run.

Qt-free. :meth:`Trainer.train_now` does one run synchronously (catalogue from the
store, :func:`recommender.train.train_local`, a ``model_runs`` row, then a service
given to it swaps the new models in). The app runs it in the learner process
(:mod:`player.learner`), which asks :meth:`Trainer.due` and tells the window when
new models are ready; ``segue status --train`` runs it in its own process.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Callable

from player import paths

log = logging.getLogger(__name__)

KIND = "local"
#: The key of a run's metrics that keeps :meth:`Trainer.history_stamp` as the run read it.
TRAINED_ON = "trained_on"


class Trainer:
    """Decides when to retrain and runs trainings one at a time.

    Parameters
    ----------
    store : player.store.Store
    service : player.recommender_service.RecommenderService or None (its models are swapped after a run)
    every_n_plays : new plays that trigger a run
    idle_s : with at least one new play, a run is also due after this long without playback
        (whoever runs the trainer sets ``last_activity`` when music plays)
    """

    def __init__(self, store, service=None, *, every_n_plays: int = 20, idle_s: float = 300.0,
                 models_dir: str | Path | None = None, session_model: bool = True):
        self.store = store
        self.service = service
        self.every_n_plays = every_n_plays
        self.idle_s = idle_s
        self.models_dir = Path(models_dir) if models_dir else paths.local_models_dir()
        self.session_model = session_model
        self._running = threading.Lock()
        self._listeners: list[Callable[[dict], None]] = []
        self.last_activity = time.time()
        self.state: dict = {"state": "idle", "stage": "", "fraction": 0.0}

    # -- status ---------------------------------------------------------------
    def add_listener(self, fn: Callable[[dict], None]) -> None:
        """``fn(state)`` on every progress change, from the training thread."""
        self._listeners.append(fn)

    def _set(self, **state) -> None:
        self.state = {**self.state, **state}
        for fn in list(self._listeners):
            try:
                fn(dict(self.state))
            except Exception:
                log.exception("trainer listener failed")

    def plays_since_last_run(self) -> int:
        """New plays since the last run; plays taken out since (an imported file removed)
        count as changes too: the models still hold what was taken out."""
        last = self.store.last_model_run(ok_only=False)
        done = last["n_plays"] if last is not None and last["n_plays"] is not None else 0
        return abs(self.store.play_count() - done)

    def history_stamp(self) -> dict:
        """What the count of plays does not tell of them: the imported files' stamp (an import,
        a removal, a scan linking imported rows to tracks) and the plays rewritten (a scan
        moving plays from one track to another). The wrong file taken out and one of as many
        plays imported left the count as the last run left it, and the models kept the
        removed file's listening until enough new plays came."""
        # ``files``: each imported file by its id and when it came (an id is given again to the
        # next file once the newest is taken out), to tell a file taken out from one added.
        return {"imports": list(self.store.imports_stamp()), "rewritten": self.store.rewritten_stamp(),
                "files": [[r["id"], r["imported_at"]] for r in self.store.history_imports()]}

    def _trained_on(self):
        """The last run's :meth:`history_stamp`; None where there is no run, ``{}`` where its
        record does not say (written before runs kept it, or its metrics unreadable)."""
        last = self.store.last_model_run(ok_only=False)
        if last is None:
            return None
        try:
            trained_on = json.loads(last["metrics"]).get(TRAINED_ON) if last["metrics"] else None
        except (TypeError, ValueError, AttributeError):
            trained_on = None
        return trained_on if isinstance(trained_on, dict) else {}

    def history_changed(self) -> bool:
        """The plays changed since the last run read them in a way their count does not show.
        A record written before runs kept the stamp, or whose metrics cannot be read, says
        nothing of it: that counts as changed, so one run is due and records it."""
        trained_on = self._trained_on()
        return trained_on is not None and trained_on != self.history_stamp()

    def files_taken_out(self) -> bool:
        """An imported file the last run learned from was taken out since (removed, swapped
        for another, or its listening forgotten): the models hold listening the person said
        is not theirs."""
        trained_on = self._trained_on()
        if not trained_on or not isinstance(trained_on.get("files"), list):
            return False
        now = {(r["id"], r["imported_at"]) for r in self.store.history_imports()}
        return any(tuple(f) not in now for f in trained_on["files"] if isinstance(f, list))

    def behind(self) -> dict:
        """:meth:`pending` (as ``due``), and whether the plays changed since the last run in a
        way their count does not show (``history_changed``), an imported file it learned from
        taken out among them (``files_taken_out``): what ``segue status`` and the window say.
        ``read_unknown``: the last run's record does not say what it read (written by an
        earlier version of Segue): its ``history_changed`` is a guess, not a change seen, and
        after an update the words "your plays changed since" were untrue."""
        return {"due": self.pending(), "history_changed": self.history_changed(),
                "files_taken_out": self.files_taken_out(), "read_unknown": self._trained_on() == {}}

    @property
    def running(self) -> bool:
        return self._running.locked()

    # -- deciding -------------------------------------------------------------
    def models_damaged(self) -> bool:
        """The last run wrote models that are not the ones in use (set aside as damaged, deleted)."""
        from recommender.local_models import current_run

        last = self.store.last_model_run()
        if last is None or not last["path"]:
            return False
        run = current_run(self.models_dir)
        return run is None or run.name != Path(last["path"]).name

    def due(self, *, now: float | None = None) -> bool:
        """A run is due after ``every_n_plays`` new plays, or idle time with any new play,
        or at once when the models it made last are damaged or gone (it heals itself) or an
        imported file they learned from was taken out (:meth:`files_taken_out`: the person
        said that listening is not theirs, and is told the models follow). Plays changed
        without their count changing otherwise (:meth:`history_changed`: a scan merging
        tracks, a song resumed) wait as a new play does: made due at once, each scan that
        linked a few imported plays (one per album copied in, with the folders watched)
        started a run, and the new tracks' analysis held behind it."""
        pending = self.pending()
        if pending == "now":
            return True
        now = time.time() if now is None else now
        if now < self.last_activity:
            # The clock was put back since music last played (it ran ahead, or a time zone
            # was set wrong): the idle time is counted from now. Counted from the old time,
            # it stayed negative until the clock caught up, and the new plays were not learnt
            # from all that while.
            self.last_activity = now
        return pending == "quiet" and now - self.last_activity >= self.idle_s

    def pending(self) -> str | None:
        """How the models stand against the plays, as :meth:`due` judges it: ``"now"`` where a
        run is due at once (``every_n_plays`` new plays, the models damaged or gone, an
        imported file they learned from taken out), ``"quiet"`` where one waits for a while
        without playback (fewer new plays, or plays changed without their count changing),
        None where the models learned from the plays as they are. ``segue status`` and the
        window say it in words from this, so they cannot tell a story the learner does not follow."""
        if self.models_damaged() or self.files_taken_out():
            return "now"
        new = self.plays_since_last_run()
        if new >= self.every_n_plays:
            return "now"
        return "quiet" if new or self.history_changed() else None

    def train_now(self, progress: Callable[[str, float], None] | None = None, *,
                  should_stop: Callable[[], bool] | None = None):
        """One training run, synchronously. Returns the TrainResult, or None if one is running.

        ``should_stop`` is asked between the training's steps; when it says so the run
        raises :class:`recommender.stopping.TrainingStopped` within a step, leaving the
        models in use and no trace of itself (its plays stay due for the next run)."""
        if not self._running.acquire(blocking=False):
            return None
        try:
            return self._train(progress, should_stop)
        finally:
            self._running.release()

    def _forgotten(self, run_id: int) -> bool:
        try:
            return not self.store.model_run_exists(run_id)
        except Exception:                 # the database busy or gone: the run goes on
            log.exception("could not look whether the history was forgotten")
            return False

    def _drop_forgotten(self, run: Path) -> None:
        """A run trained on a history since forgotten was put in place: every model goes, as
        forgetting asks (the run before it was trained on the same forgotten plays)."""
        from player.recommender_service import delete_local_models

        log.info("the listening history was forgotten while %s was trained: its models are deleted", run.name)
        delete_local_models(self.models_dir)

    def _drop_run(self, run_id: int) -> None:
        """Forget a run that cannot go on. A record left behind stayed "running" for good: on a
        disk too full to count its plays, each look (every 30 s) left one more."""
        try:
            self.store.drop_model_run(run_id)
        except Exception as exc:          # the disk too full for that as well: the error raised says why
            log.warning("could not forget the unfinished training record %d: %s", run_id, exc)

    def _train(self, progress, should_stop):
        from player.recommender_service import build_catalog, load_shipped_priors
        from recommender.stopping import TrainingStopped
        from recommender.train import train_local

        def report(stage: str, fraction: float) -> None:
            self._set(state="training", stage=stage, fraction=fraction)
            if progress is not None:
                progress(stage, fraction)

        report("reading plays", 0.0)
        priors = self.service.priors if self.service is not None else load_shipped_priors()
        # The record first, then the plays: a history forgotten while they are read deletes
        # the record too, and the run sees it (read first, the plays could be the forgotten
        # ones under a record made after the forgetting).
        run_id = self.store.start_model_run(KIND, n_plays=0)
        try:
            # The stamp in the same snapshot as the plays: the run records exactly what it read.
            # Read before them in a snapshot of its own, a change landing between the two (plays
            # imported, a song resumed) was learnt from yet left the stamp behind, and one more
            # run, with nothing new to learn, was due; read after, such a change would be missed.
            with self.store.snapshot():
                trained_on = self.history_stamp()
                cat, prior = build_catalog(self.store, priors=priors)
            self.store.count_model_run_plays(run_id, len(cat.plays))
        except BaseException:
            self._drop_run(run_id)
            raise
        asked = [0.0]

        def stop() -> bool:
            if should_stop is not None and should_stop():
                return True
            # The history forgotten meanwhile (by the window while this runs in another
            # process): what this run learns from is gone. Asked at most every second:
            # the steps come thousands of times a run.
            now = time.monotonic()
            if now - asked[0] < 1.0:
                return False
            asked[0] = now
            return self._forgotten(run_id)

        try:
            result = train_local(self.models_dir, cat, prior=prior, progress=report,
                                 session_model=self.session_model, should_stop=stop)
            if result.path is not None and self._forgotten(run_id):
                # Forgotten between the last look and the run being put in place, and its
                # models maybe deleted before they were: they go now.
                self._drop_forgotten(result.path)
                raise TrainingStopped("the listening history was forgotten while the models were trained")
        except TrainingStopped:
            log.info("training stopped before it ended; the previous models stay in use")
            self._drop_run(run_id)
            self._set(state="idle", stage="stopped", fraction=0.0)
            raise
        except Exception as exc:
            from player.failures import no_room

            if no_room(exc):
                # The person's to mend, and said by whoever asked for the training (the
                # learner, in one warning line): each try on a full disk logged a 40-line
                # traceback of the models' write.
                log.info("training failed, the disk is full (%s); the previous models stay in use", exc)
            else:
                log.exception("training failed; the previous models stay in use")
            try:
                # (with what it read: the same plays do not make a run due again at each look)
                self.store.finish_model_run(run_id, error=f"{type(exc).__name__}: {exc}",
                                            metrics={TRAINED_ON: trained_on})
            except Exception:
                self._drop_run(run_id)
            self._set(state="error", stage=str(exc), fraction=0.0)
            raise
        try:
            self.store.finish_model_run(run_id, path=str(result.path) if result.path else None,
                                        metrics={**result.metrics, "models": result.trained,
                                                 TRAINED_ON: trained_on})
        except BaseException:
            # The models are in place but the record cannot say so (a full disk): it goes,
            # and the next run (due at once: the models are not the last recorded ones)
            # records them.
            self._drop_run(run_id)
            raise
        if self.service is not None and result.path is not None:
            report("loading", 0.95)
            self.service.reload_models()
        self._set(state="idle", stage="done", fraction=1.0, last_trained_at=time.time(),
                  metrics=result.metrics, n_plays=len(cat.plays))
        return result
