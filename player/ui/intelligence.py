"""The recommender's background life in the window: service, analysis, training.

Nothing here runs at start-up: :meth:`Intelligence.start` builds the
:class:`player.recommender_service.RecommenderService` on a worker after the window
shows (its imports take about a second), then swaps it in for the plain library
provider. Audio analysis (torch) runs on the training pool after scans, at the
lowest CPU priority, and steps aside while music plays where the machine is slow
(:meth:`player.analysis.AnalysisJob.yields_to_playback`); the trainer's progress
shows in the status bar.
"""

from __future__ import annotations

import json
import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from player.workers import run_task, training_pool

log = logging.getLogger(__name__)
IDLE_CHECK_MS = 60_000
PLAYBACK_CHECK_MS = 500   # while analysing: watch for underruns, refresh "paused" in the status bar


def _metrics(text) -> dict | None:
    """A model run's recorded metrics (JSON), or None when unreadable."""
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class Intelligence(QObject):
    trainer_state = Signal(dict)      # from the training thread
    ready = Signal()
    analysis_finished = Signal(object)
    _train_request = Signal(object)   # a training run to queue, from any thread

    def __init__(self, window, *, analyse: bool = True):
        super().__init__(window)
        self.window = window
        self.service = None
        self.trainer = None
        self._analyse_enabled = analyse
        self._analysis = None
        self._job = None
        self._again = False
        self._training = None
        self.trainer_state.connect(self._on_trainer)
        self._train_request.connect(self._run_training)
        self._idle_timer = QTimer(self, interval=IDLE_CHECK_MS)
        self._idle_timer.timeout.connect(self._idle_check)
        self._playback_timer = QTimer(self, interval=PLAYBACK_CHECK_MS)
        self._playback_timer.timeout.connect(self._yield_to_playback)
        self._underran = False          # the output ran dry while analysis ran (this session)
        self._underruns_seen: int | None = None
        self.learned = QLabel()
        window.statusBar().addPermanentWidget(self.learned)

    def start(self) -> None:
        store = self.window.store

        def build():
            from player.recommender_service import RecommenderService
            from player.trainer import Trainer

            service = RecommenderService(store)
            service.recommender()      # build the catalogue now, not on the first Radio click
            # Runs go through a signal to the training pool (one thread, shared with
            # analysis, so torch work never runs twice at once); maybe_train is
            # called from the player's threads.
            trainer = Trainer(store, service, submit=self._train_request.emit)
            last = store.last_model_run()
            return service, trainer, (dict(last) if last is not None else None)

        run_task(build, self._built, name="recommender")

    def _built(self, result, error) -> None:
        if error is not None:
            log.error("recommender unavailable, staying with library order: %s", error)
            self.window.statusBar().showMessage(f"Recommendations use library order only: {error}", 10000)
            return
        self.service, self.trainer, last = result
        if last is not None:
            self._show_learned(last.get("finished_at"), last.get("n_plays"), _metrics(last.get("metrics")))
        self._idle_timer.start()
        self.window.provider = self.service
        self.trainer.add_listener(self.trainer_state.emit)
        if self.window.player is not None:
            self._listen(self.window.player)
        else:
            self.window.player_ready.connect(lambda: self._listen(self.window.player))
        self.window.scan_finished.connect(lambda _r: self.library_changed())
        self.ready.emit()
        self.analyse()

    def _listen(self, player) -> None:
        player.add_listener(self.service.on_player_event)
        player.add_listener(self.trainer.on_player_event)
        player.add_listener(self._on_player_event)

    def library_changed(self) -> None:
        if self.service is not None:
            self.service.invalidate()
        self.analyse()

    # -- analysis ----------------------------------------------------------
    def analyse(self) -> None:
        """Analyse tracks without features (a no-op when all are done)."""
        if not self._analyse_enabled:
            return
        if self._analysis is not None:
            self._again = True
            return
        store = self.window.store

        def work(report):
            from player.analysis import AnalysisJob
            from player.priority import lower_thread_priority

            lower_thread_priority()     # first: torch's OpenMP workers inherit it
            job = AnalysisJob(store, progress=lambda p: report((p.done, p.total, p.errors)))
            self._job = job
            self._step_aside(job)       # music may be playing already
            return job.run()

        self.window.tasks.start("analyse", "Analysing")
        self._analysis = run_task(work, self._analysed, pool=training_pool(), name="analysis",
                                  progress=lambda v: self.window.tasks.update("analyse", v[0], v[1],
                                                                              self._analysis_text()))
        self._underruns_seen = None
        self._playback_timer.start()

    def _analysis_text(self) -> str:
        job = self._job
        return "Analysis paused while music plays" if job is not None and job.paused else "Analysing"

    def _step_aside(self, job) -> None:
        """Pause ``job`` while music plays where it would compete with it; resume after (any thread)."""
        player = self.window.player
        if job is None or player is None:
            return
        from player.audio.base import PlaybackState

        playing = player.state == PlaybackState.PLAYING
        if playing and job.yields_to_playback(underran=self._underran):
            job.pause()
        else:
            job.resume()

    def _on_player_event(self, event: str, data: dict) -> None:
        """Player listener (its threads): analysis steps aside the moment music starts."""
        if event == "state_changed":
            self._step_aside(self._job)

    def _yield_to_playback(self) -> None:
        """Twice a second while analysing (GUI thread): watch for underruns, show the state."""
        job, player = self._job, self.window.player
        if job is None or player is None:
            return
        from player.audio.base import PlaybackState

        underruns = player.engine.underruns
        if (player.state == PlaybackState.PLAYING and not job.paused and self._underruns_seen is not None
                and underruns > self._underruns_seen):
            if not self._underran:
                log.warning("audio underran while analysing; analysis now pauses while music plays")
            self._underran = True
        self._underruns_seen = underruns
        self._step_aside(job)
        text = self._analysis_text()
        if "analyse" in self.window.tasks.running() and self.window.tasks.text("analyse") != text:
            self.window.tasks.update("analyse", *self.window.tasks.progress("analyse"), text)

    def apply_settings(self, values: dict) -> None:
        """New settings from the dialog: the running job follows ``analysis.while_playing`` at once."""
        from player.analysis import WHILE_PLAYING_SETTING

        job = self._job
        if job is not None and values.get(WHILE_PLAYING_SETTING) is not None:
            job.while_playing = values[WHILE_PLAYING_SETTING]
            self._yield_to_playback()

    def _analysed(self, result, error) -> None:
        self._playback_timer.stop()
        self._analysis = None
        self._job = None
        self.window.tasks.finish("analyse")
        if error is not None:
            log.error("analysis failed: %s", error)
            self.window.statusBar().showMessage(f"Audio analysis stopped: {error}", 10000)
        elif result.total:
            self.window.statusBar().showMessage(
                f"Analysed {result.total - result.errors:,} tracks ({result.errors} could not be decoded)", 10000)
            if self.service is not None:
                self.service.invalidate()
        self.analysis_finished.emit(error if error is not None else result)
        if self._again:
            self._again = False
            self.analyse()

    # -- training -------------------------------------------------------------
    def _run_training(self, fn) -> None:
        if self._training is None:
            self._training = run_task(fn, self._trained, pool=training_pool(), name="training")

    def _trained(self, result, error) -> None:
        self._training = None
        if error is not None:   # the trainer logged it and recorded it in model_runs
            self.window.statusBar().showMessage(f"Learning from your plays failed: {error}", 10000)

    def _idle_check(self) -> None:
        """Every minute: with new plays and the player idle for a while, train (off the GUI thread)."""
        if self.trainer is not None and self._training is None:
            run_task(self.trainer.maybe_train, name="idle-training-check")

    def _show_learned(self, when: float | None, n_plays: int | None, metrics: dict | None = None) -> None:
        if not when:
            return
        from player.plain_words import learned_from, training_summary

        self.learned.setText(f"Learned from {n_plays or 0:,} plays at "
                             f"{time.strftime('%H:%M', time.localtime(when))}")
        if metrics:
            lines = [f"Learned from {learned_from(metrics, n_plays)}.", *training_summary(metrics)]
            self.learned.setToolTip("\n".join(lines))

    def _on_trainer(self, state: dict) -> None:
        if state.get("state") == "training":
            from player.plain_words import stage

            self.window.tasks.update("train", int(100 * float(state.get("fraction") or 0.0)), 100,
                                     f"Learning your taste ({stage(state.get('stage'))})", percent=True)
        else:
            self.window.tasks.finish("train")
            if state.get("state") == "idle" and state.get("last_trained_at"):
                self._show_learned(state["last_trained_at"], state.get("n_plays"), state.get("metrics"))

    def forget_history(self) -> bool:
        """Forget through the service (it also drops its cached models); False if none yet."""
        if self.service is None:
            return False
        with self.trainer.held():       # a training under way finishes first, then is wiped too
            self.service.forget_history()
        return True

    def shutdown(self) -> None:
        self._idle_timer.stop()
        self._playback_timer.stop()
        if self._job is not None:
            self._job.cancel()
        if self._analysis is not None:
            self._analysis.cancel()
