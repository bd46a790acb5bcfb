"""The recommender's background life in the window: service, analysis, training.

Nothing here runs at start-up: :meth:`Intelligence.start` builds the
:class:`player.recommender_service.RecommenderService` on a worker after the window
shows (its imports take about a second), then swaps it in for the plain library
provider. Audio analysis (torch) runs on the training pool after scans, and the
trainer's progress shows in the status bar.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from player.workers import run_task, training_pool

log = logging.getLogger(__name__)


class Intelligence(QObject):
    trainer_state = Signal(dict)      # from the training thread
    ready = Signal()
    analysis_finished = Signal(object)

    def __init__(self, window, *, analyse: bool = True):
        super().__init__(window)
        self.window = window
        self.service = None
        self.trainer = None
        self._analyse_enabled = analyse
        self._analysis = None
        self._job = None
        self._again = False
        self.trainer_state.connect(self._on_trainer)

    def start(self) -> None:
        store = self.window.store

        def build():
            from player.recommender_service import RecommenderService
            from player.trainer import Trainer

            service = RecommenderService(store)
            service.recommender()      # build the catalogue now, not on the first Radio click
            return service, Trainer(store, service)

        run_task(build, self._built, name="recommender")

    def _built(self, result, error) -> None:
        if error is not None:
            log.error("recommender unavailable, staying with library order: %s", error)
            self.window.statusBar().showMessage(f"Recommendations use library order only: {error}", 10000)
            return
        self.service, self.trainer = result
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

            self._job = job = AnalysisJob(store, progress=lambda p: report((p.done, p.total, p.errors)))
            return job.run()

        self.window.tasks.start("analyse", "Analysing")
        self._analysis = run_task(work, self._analysed, pool=training_pool(), name="analysis",
                                  progress=lambda v: self.window.tasks.update("analyse", v[0], v[1], "Analysing"))

    def _analysed(self, result, error) -> None:
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
    def _on_trainer(self, state: dict) -> None:
        if state.get("state") == "training":
            stage = state.get("stage") or "training"
            self.window.tasks.update("train", int(100 * float(state.get("fraction") or 0.0)), 100,
                                     f"Learning your taste ({stage})")
        else:
            self.window.tasks.finish("train")

    def forget_history(self) -> bool:
        """Forget through the service (it also drops its cached models); False if none yet."""
        if self.service is None:
            return False
        self.service.forget_history()
        return True

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancel()
        if self._analysis is not None:
            self._analysis.cancel()
