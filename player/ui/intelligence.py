"""The recommender's life in the window: the service that ranks, and the learner process.

Nothing here runs at start-up: :meth:`Intelligence.start` builds the
:class:`player.recommender_service.RecommenderService` on a worker after the window
shows (its imports take about a second), swaps it in for the plain library provider,
and starts the learner process (:mod:`player.learner`), which analyses the audio and
trains the local models at the lowest priority. The window never runs torch: it tells
the learner what happens (plays logged, music playing, an audio underrun, settings),
shows its progress in the status bar, and loads each finished model run when the
learner says "models changed". If the learner dies, a note says so, the music goes
on, and the learner comes back by itself.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from player.learner import messages as m
from player.workers import OneAtATime, run_task

log = logging.getLogger(__name__)
PLAYBACK_CHECK_MS = 500   # while analysing: watch the output for underruns
NOTE_MS = 15_000


def _metrics(text) -> dict | None:
    """A model run's recorded metrics (JSON), or None when unreadable."""
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class Intelligence(QObject):
    ready = Signal()
    analysis_finished = Signal(object)   # the learner's AnalysisFinished
    analysis_failed = Signal()           # tracks whose analysis failed were written (more than last said)
    models_loaded = Signal(dict)         # the service swapped in a new run (its info)
    learner_message = Signal(object)     # from the learner's monitor thread
    learner_exited = Signal(object)      # LearnerExit, from the monitor thread
    _played = Signal()                   # a track ended (from the player's threads)

    def __init__(self, window, *, analyse: bool = True, learn: bool = True, options=None):
        super().__init__(window)
        self.window = window
        self.service = None
        self.learner = None
        self._analyse_enabled = analyse
        self._learn = learn
        self._options = options
        self.analysis: m.AnalysisProgress | None = None     # the pass under way, as last reported
        self._underruns_seen: int | None = None
        self.learner_message.connect(self._on_learner)
        self.learner_exited.connect(self._on_learner_exit)
        self._playback_timer = QTimer(self, interval=PLAYBACK_CHECK_MS)
        self._playback_timer.timeout.connect(self._watch_output)
        self.learned = QLabel()
        window.statusBar().addPermanentWidget(self.learned)
        self._learned: tuple | None = None   # the run that serves, as shown: (when, n_plays, metrics)
        self._behind = ""                    # how the models stand against the plays, in words
        self._behind_reads = OneAtATime()
        self._played.connect(self.refresh_learned)

    def start(self) -> None:
        store = self.window.store

        def build():
            from player.recommender_service import RecommenderService

            service = RecommenderService(store)
            service.recommender()      # build the catalogue now, not on the first Radio click
            last = store.last_model_run()
            return service, (dict(last) if last is not None else None)

        run_task(build, self._built, name="recommender")

    def _built(self, result, error) -> None:
        if error is not None:
            log.error("recommender unavailable, staying with library order: %s", error)
            self.window.statusBar().showMessage(f"Recommendations use library order only: {error}", 10000)
            return
        self.service, last = result
        if last is not None:
            self._show_learned(last.get("finished_at"), last.get("n_plays"), _metrics(last.get("metrics")))
        self.window.provider = self.service
        if self.window.player is not None:
            self._listen(self.window.player)
        else:
            self.window.player_ready.connect(lambda: self._listen(self.window.player))
        # Not after a look at the folders that found them as they were (every start): the
        # recommender would build its catalogue again for nothing.
        self.window.library_scanned.connect(self.library_changed)
        self.window.ratings_changed.connect(self.ratings_changed)
        self.window.tags_changed.connect(self.tags_changed)
        self.window.scan_finished.connect(self._scan_ended)
        self.refresh_learned()
        self.ready.emit()
        if self._learn:
            self._start_learner()

    # -- the learner process --------------------------------------------------------------
    def _start_learner(self) -> None:
        from player import paths
        from player.learner.client import LearnerProcess
        from player.learner.process import LearnerOptions

        options = self._options or LearnerOptions(analyse=self._analyse_enabled)
        self.learner = LearnerProcess(self.window.store.path, models_dir=paths.local_models_dir(), options=options,
                                      on_message=self.learner_message.emit, on_exit=self.learner_exited.emit)
        player = self.window.player
        if player is not None:
            from player.audio.base import PlaybackState

            self.learner.send(m.Playback(player.state == PlaybackState.PLAYING))
        run_task(self.learner.start, name="start-learner")     # spawning takes tens of ms

    def send(self, message: m.Message) -> bool:
        """Tell the learner (any thread); False when it is not running."""
        return self.learner is not None and self.learner.send(message)

    def _on_learner(self, message: m.Message) -> None:
        """A message from the learner process (GUI thread)."""
        tasks = self.window.tasks
        if isinstance(message, m.AnalysisProgress):
            if self.analysis is None:
                self._underruns_seen = None
                self._playback_timer.start()
            failed_before = self.analysis.errors if self.analysis is not None else 0
            self.analysis = message
            if message.errors > failed_before:
                self.analysis_failed.emit()
            text = f"Analysis {message.paused}" if message.paused else "Analysing"
            tasks.update("analyse", message.done, message.total, text)
        elif isinstance(message, m.AnalysisFinished):
            self.analysis = None
            self._playback_timer.stop()
            tasks.finish("analyse")
            if message.error:
                self.window.statusBar().showMessage(f"Audio analysis stopped: {message.error}", 10000)
            elif message.total:
                self.window.statusBar().showMessage(
                    f"Analysed {message.total - message.errors:,} tracks ({message.errors} could not be decoded)",
                    10000)
            self.analysis_finished.emit(message)
        elif isinstance(message, m.FeaturesChanged):
            if self.service is not None:
                self.service.invalidate()      # rebuilt with the new features on the next call
        elif isinstance(message, m.TrainingProgress):
            from player.plain_words import stage

            tasks.update("train", int(100 * message.fraction), 100, f"Learning your taste ({stage(message.stage)})",
                         percent=True)
        elif isinstance(message, m.ModelsChanged):
            tasks.finish("train")
            self._reload_models(message)
        elif isinstance(message, m.TrainingFailed):
            tasks.finish("train")
            self.window.statusBar().showMessage(f"Learning from your plays failed: {message.error}", 10000)

    def _reload_models(self, changed: m.ModelsChanged) -> None:
        """Load the run the learner finished; the status bar says it learned once that run
        serves. Said when the learner finished it, it named a run that had not taken over yet
        (seconds at a large library), or never did: one unreadable, the run before it (or
        none) serving, or a load that failed."""
        service = self.service
        if service is None:
            return

        def loaded(result, error):
            if error is not None:
                log.error("could not load the new models: %s", error)
                self.window.statusBar().showMessage(
                    f"What Segue learned from your plays could not be loaded ({error}); "
                    "the recommendations before it go on", 10000)
                return
            if result.get("run") == changed.run:
                self._behind = ""         # it learned from the plays as they were; read again below
                self._show_learned(changed.finished_at, changed.n_plays, changed.metrics)
            self.refresh_learned()
            self.models_loaded.emit(result)

        run_task(service.reload_models, loaded, name="load-models")

    def _on_learner_exit(self, info) -> None:
        """The learner died (GUI thread): say so; the music and the rankings go on."""
        self.analysis = None
        self._playback_timer.stop()
        self.window.tasks.finish("analyse")
        self.window.tasks.finish("train")
        if info.restart_in is not None:
            note = f"{info.describe()}. The music goes on; it restarts in {info.restart_in:g} s."
        else:
            note = (f"{info.describe()}, {info.crashes} times in a short while; analysis and learning "
                    "stay off until Segue restarts. The music and recommendations go on.")
            self.learned.setToolTip(note)
        self.window.statusBar().showMessage(note, NOTE_MS)

    # -- what the window tells the learner -----------------------------------------------
    def _listen(self, player) -> None:
        player.add_listener(self.service.on_player_event)
        player.add_listener(self._on_player_event)

    def _on_player_event(self, event: str, data: dict) -> None:
        """Player listener (its threads)."""
        if event == "state_changed":
            from player.audio.base import PlaybackState

            self.send(m.Playback(data.get("state", self.window.player.state) == PlaybackState.PLAYING))
        elif event == "track_ended":
            self.send(m.PlaysLogged())
            self._played.emit()

    def _watch_output(self) -> None:
        """Twice a second while analysing (GUI thread): an underrun while analysis runs makes
        the learner back off."""
        player, progress = self.window.player, self.analysis
        if player is None or progress is None:
            return
        from player.audio.base import PlaybackState

        underruns = player.engine.underruns
        if (player.state == PlaybackState.PLAYING and not progress.paused and self._underruns_seen is not None
                and underruns > self._underruns_seen):
            self.send(m.Underrun())
        self._underruns_seen = underruns

    def _scan_ended(self, _result) -> None:
        """Any scan of the window ended (read through, failed, or a look at the folders that
        found them as they were): the library is as the scan left it, so the recommender's
        wait while it kept changing ends. A look that changed nothing says no library change
        (see library_changed), and songs a scan in a terminal wrote meanwhile waited out the
        whole wait after it. Its stamp tells whether a new catalogue is read: none when the
        library is as the catalogue was read."""
        if self.service is not None:
            self.service.library_settled()

    def library_changed(self) -> None:
        if self.service is not None:
            # (the library's stamp says whether the scan changed what the catalogue holds: a
            # forced build here read 100,000 tracks again after every scan, changed or not)
            self.service.library_settled()
        self.analyse()
        self.refresh_learned()            # a scan may have moved plays onto other tracks

    def ratings_changed(self) -> None:
        """The person rated songs here: the recommender's next answer goes by the new stars
        (its catalogue holds them), and nothing else. No song is new to analyse and no play
        changed, and an analysis the person cancelled stays cancelled."""
        if self.service is not None:
            self.service.library_settled()

    def tags_changed(self) -> None:
        """Tags read again changed: the next answer names the songs as they are now (the
        catalogue is read again), and plays of imported listens the new tags matched count.
        Their audio is as it was, so no analysis is asked for; one the person cancelled stays
        cancelled. (A file that now holds another song is analysed at the next scan or start.)"""
        if self.service is not None:
            self.service.library_settled()
        self.refresh_learned()

    def analyse(self) -> None:
        """Ask the learner to analyse tracks without features (a no-op when all are done)."""
        if self._analyse_enabled:
            self.send(m.Analyse())

    def plays_changed(self) -> bool:
        """Plays were added outside the player (an imported history): a training may be due."""
        self.refresh_learned()
        return self.send(m.PlaysLogged())

    def train_now(self) -> bool:
        return self.send(m.TrainNow())

    def apply_settings(self, values: dict) -> None:
        """New settings from the dialog: the learner follows ``analysis.while_playing`` at once."""
        self.send(m.Settings(dict(values)))

    def refresh_learned(self) -> None:
        """Read again how the models stand against the plays (on a worker: the database and
        the models' folder), as the learner judges it (:meth:`player.trainer.Trainer.behind`),
        and say it beside what they learned from. "Learned from 22 plays" alone was all the
        window said after an imported file was taken out or swapped, the models still holding
        its listening; and it stayed after the history was forgotten."""
        store = self.window.store
        every = self._options.every_n_plays if self._options is not None else None

        def read():
            from player import paths
            from player.trainer import Trainer

            kwargs = {"every_n_plays": every} if every is not None else {}
            trainer = Trainer(store, models_dir=paths.local_models_dir(), **kwargs)
            return store.last_model_run(ok_only=False) is not None, trainer.behind()

        self._behind_reads.request(lambda: run_task(read, self._learned_read, name="learned-state"))

    def _learned_read(self, result, error) -> None:
        if error is not None:
            log.warning("could not read how the models stand against the plays: %s", error)
            return
        from player.plain_words import behind

        any_run, state = result
        self._behind = behind(state)
        if not any_run and self._learned is not None:
            # The history forgotten: the run named is gone with it.
            self._learned = None
            self.learned.setText("")
            self.learned.setToolTip("")
        elif self._learned is not None:
            self._show_learned(*self._learned)

    def _show_learned(self, when: float | None, n_plays: int | None, metrics: dict | None = None) -> None:
        if not when:
            return
        from player.plain_words import clock_time, learned_from, training_summary

        self._learned = (when, n_plays, metrics)
        text = f"Learned from {n_plays or 0:,} plays {clock_time(when)}"
        self.learned.setText(f"{text} ({self._behind})" if self._behind else text)
        if metrics:
            lines = [f"Learned from {learned_from(metrics, n_plays)}.", *training_summary(metrics)]
            self.learned.setToolTip("\n".join(lines))

    def forget_history(self) -> bool:
        """Forget through the service with the learner stopped meanwhile, so no training that
        read the plays writes models after they are gone (a worker thread). False if no service yet."""
        if self.service is None:
            return False
        if self.learner is None:
            self.service.forget_history()
        else:
            with self.learner.stopped():
                self.service.forget_history()
        return True

    def shutdown(self) -> None:
        """The window closes: the learner finishes its track and exits (ended after 5 s);
        the window does not wait for it."""
        self._playback_timer.stop()
        if self.learner is not None:
            # What it says from now on has no one to go to: one still starting says Ready after
            # the window, and this object, may be gone, and handing it on here failed.
            self.learner.on_message = lambda message: None
            self.learner.on_exit = lambda info: None
            self.learner.close(timeout=5.0, wait=False)
