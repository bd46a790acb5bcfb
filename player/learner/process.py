"""The learner process: its entry point and the loop that decides what it does next.

The window starts :func:`learner_main` with the "spawn" start method (the same on
Linux, macOS, Windows and in the frozen bundle, where ``freeze_support`` in
:func:`player.cli.main` turns the re-run executable into this process). It lowers
its own priority to the lowest the system offers, opens the store itself, and then
:class:`LearnerLoop` runs:

- a reader thread takes the window's messages; pauses, playback changes, cancels and
  shutdowns act at once (analysis holds at its next track);
- the main thread trains whenever a training is due (after a batch of plays, or after
  a quiet while with new plays) or asked for: analysis holds between tracks meanwhile,
  so training never waits behind a long analysis pass;
- an analysis thread works through the tracks without features, one pass at a time.

While music plays, analysis goes on at that low priority. It holds only when the
person chose so (``analysis.while_playing`` = ``pause``) or for a while after the
window reports an audio underrun (``auto``: :attr:`LearnerOptions.backoff_s`, doubled
on each further underrun). When the window goes away (its end of the pipe closes) the
process exits.

Only the standard library is imported at module level: the window imports this module
to name the process target, and must not pull in torch by doing so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field

from player.learner import messages as m

log = logging.getLogger(__name__)

#: "normal": the learner keeps the priority it was started with (tests and benchmarks only)
PRIORITY_ENV = "SEGUE_LEARNER_PRIORITY"


@dataclass(frozen=True)
class LearnerOptions:
    """How the learner process behaves (picklable: handed to the spawned process)."""

    analyse: bool = True               # analyse the library (pending tracks at start, then on request)
    train: bool = True                 # train the local models when due
    every_n_plays: int = 20            # new plays that make a training due
    idle_s: float = 300.0              # ... or this long without playback, with any new play
    check_s: float = 30.0              # how often due-ness is checked without a message
    backoff_s: float = 60.0            # analysis holds this long while music plays after an underrun
    backoff_max_s: float = 1800.0      # ... doubling on each further underrun, up to this
    session_model: bool = True         # train the session GRU too
    features_every_s: float = 600.0    # during a long pass, "features changed" this often
    no_room_max_s: float = 1800.0      # a training the disk had no room for is tried again after check_s,
                                       # doubling on each further one, up to this
    analysis: dict = field(default_factory=dict)   # AnalysisJob options (workers, batch_tracks, max_patches)


class LearnerLoop:
    """What the learner process does, in order of urgency; see the module docstring."""

    def __init__(self, learner, conn, options: LearnerOptions):
        from player.analysis import USE_GPU_SETTING, WHILE_PLAYING_CHOICES, WHILE_PLAYING_SETTING

        self.setting, self.choices = WHILE_PLAYING_SETTING, WHILE_PLAYING_CHOICES
        self.gpu_setting = USE_GPU_SETTING
        self.learner = learner
        self.conn = conn
        self.options = options
        self.inbox: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self._send_lock = threading.Lock()
        self._policy_lock = threading.Lock()
        self._analysis: threading.Thread | None = None
        self._want_analysis = options.analyse
        self._retry_errors = False
        self._want_training = False
        self.playing = False
        mode = learner.store.get_setting(self.setting, "auto")
        self.mode = mode if mode in self.choices else "auto"
        self.backoff_until = 0.0
        self.backoff_s = options.backoff_s
        self.no_room_until = 0.0
        self.no_room_s = options.check_s
        self.no_room_plays = 0             # the plays there were when the disk last had no room

    # -- the channel ---------------------------------------------------------------------
    def send(self, message: m.Message) -> None:
        """To the window (any thread). A closed pipe means the window is gone: stop."""
        with self._send_lock:
            try:
                self.conn.send(message)
            except (OSError, ValueError, EOFError):
                self._stop("the window closed the channel")

    def _reader(self) -> None:
        while not self.stopping.is_set():
            try:
                raw = self.conn.recv()
            except (EOFError, OSError):
                self._stop("the window went away")
                return
            message = m.checked(raw, m.TO_LEARNER)
            if message is None:
                log.warning("learner: ignored a message it does not know: %r", type(raw).__name__)
                continue
            if isinstance(message, m.Shutdown):
                self._stop("asked to shut down")
                return
            self._act_now(message)
            self.inbox.put(message)

    def _act_now(self, message: m.Message) -> None:
        """What must not wait for a training to finish (reader thread)."""
        if isinstance(message, m.Ping):
            self.send(m.Pong(message.token))
        elif isinstance(message, m.Cancel):
            self._want_analysis = False
            self.learner.cancel_analysis()
        elif isinstance(message, (m.Pause, m.Resume)):
            self.learner.gate.set("paused", isinstance(message, m.Pause))
        elif isinstance(message, m.Playback):
            with self._policy_lock:
                self.playing = message.playing
                self.learner.trainer.last_activity = time.time()
        elif isinstance(message, m.Underrun):
            with self._policy_lock:
                if self.mode != "run":
                    self.backoff_until = time.monotonic() + self.backoff_s
                    log.warning("audio underran while analysing: analysis holds for %.0f s while music plays",
                                self.backoff_s)
                    self.backoff_s = min(2 * self.backoff_s, self.options.backoff_max_s)
        elif isinstance(message, m.Settings):
            mode = message.values.get(self.setting)
            if mode in self.choices:
                with self._policy_lock:
                    self.mode = mode
            use_gpu = message.values.get(self.gpu_setting)
            if isinstance(use_gpu, bool) and self.learner.use_gpu_changed(use_gpu):
                self._want_analysis = True      # (the loop starts it once the stopped pass has ended)
        self._apply_policy()

    def _apply_policy(self) -> None:
        with self._policy_lock:
            playing, mode = self.playing, self.mode
            backing_off = time.monotonic() < self.backoff_until
        self.learner.gate.set("playing", playing and mode == "pause")
        self.learner.gate.set("backoff", playing and mode == "auto" and backing_off)

    def _stop(self, why: str) -> None:
        if not self.stopping.is_set():
            log.info("learner stops: %s", why)
            self.stopping.set()
            self.learner.cancel_analysis()
            self.inbox.put(None)

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        threading.Thread(target=self._reader, name="learner-reader", daemon=True).start()
        self.send(m.Ready(os.getpid()))
        if self.options.train:
            # (a window closed right after it opened does not wait for torch to load)
            self.learner.export_old_run(should_stop=self.stopping.is_set)
        next_check = 0.0
        while not self.stopping.is_set():
            try:
                message = self.inbox.get(timeout=self._rest_s(next_check))
            except queue.Empty:
                message = None
            if isinstance(message, m.Analyse):
                self.learner.allow_analysis()
                self._want_analysis = True
                self._retry_errors = self._retry_errors or message.retry_errors
            elif isinstance(message, m.TrainNow):
                self._want_training = True
            elif isinstance(message, m.PlaysLogged):
                next_check = 0.0
            self._apply_policy()
            if self.stopping.is_set():
                break
            if self.options.train and (self._want_training or time.monotonic() >= next_check):
                next_check = time.monotonic() + self.options.check_s
                if self._want_training or self._due():
                    self._want_training = False
                    self._train()
            if self._want_analysis and (self._analysis is None or not self._analysis.is_alive()):
                self._want_analysis = False
                self._analysis = threading.Thread(target=self._analyse, args=(self._retry_errors,),
                                                  name="learner-analysis", daemon=True)
                self._retry_errors = False
                self._analysis.start()
        self._finish()

    def _rest_s(self, next_check: float) -> float:
        """How long the loop may wait for a message. What it looks at on its own is whether a
        training is due (every ``check_s``), and, while analysis is wanted or running or held
        back for a while, a pass ending and a back-off running out (a second at most then).
        Waking every second besides, it woke the machine for weeks with nothing to do."""
        with self._policy_lock:
            backing_off = time.monotonic() < self.backoff_until
        busy = self._want_analysis or backing_off or (self._analysis is not None and self._analysis.is_alive())
        if busy or not self.options.train:
            return 1.0 if busy else self.options.check_s
        return min(max(next_check - time.monotonic(), 0.0), self.options.check_s)

    def _due(self) -> bool:
        """Whether a training is due. A store that cannot say now (another process holding it
        locked, a disk error) is asked again at the next look: raised here, the error ended this
        loop and the learner process with it, and the window restarted it, to fail the same way."""
        try:
            if time.monotonic() < self.no_room_until and not self._room_again():
                return False
            return self.learner.trainer.due()
        except Exception:
            log.warning("could not look whether a training is due; looking again in %g s", self.options.check_s,
                        exc_info=True)
            return False

    def _room_again(self) -> bool:
        """Whether a play was written since the disk had no room for a training: the person
        made room. Waited out, the try came up to ``no_room_max_s`` (30 min) after that."""
        if self.learner.trainer.store.play_count() == self.no_room_plays:
            return False
        self.no_room_until = 0.0        # tried at this look; failing again, it waits longer still
        return True

    def _train(self) -> None:
        try:
            # A shutdown stops the training between two of its steps: the process leaves at
            # once, instead of after the training (minutes at the lowest priority).
            self.learner.train(should_stop=self.stopping.is_set)
        except Exception as exc:    # reported to the window (TrainingFailed) and in model_runs
            from player.failures import no_room

            if not no_room(exc):
                log.exception("training failed; the previous models stay in use")
                return
            # A full disk mends only when the person makes room: tried again at every look
            # (30 s), it logged a 17-line traceback each time, 2,000 lines an hour, and
            # told the window each time. Now one line, and the tries further and further apart.
            self.no_room_until = time.monotonic() + self.no_room_s
            with contextlib.suppress(Exception):
                self.no_room_plays = self.learner.trainer.store.play_count()
            log.warning("training failed, the disk is full (%s); the previous models stay in use, "
                        "trying again in %g s", exc, self.no_room_s)
            self.no_room_s = min(2 * self.no_room_s, self.options.no_room_max_s)
        else:
            self.no_room_s = self.options.check_s

    def _analyse(self, retry_errors: bool) -> None:
        try:
            self.learner.analyse(retry_errors=retry_errors, **self.options.analysis)
        except Exception:           # reported to the window (AnalysisFinished with an error)
            log.exception("analysis failed")

    def _finish(self) -> None:
        self.learner.cancel_analysis()
        for reason in list(self.learner.gate.reasons):
            self.learner.gate.release(reason)
        if self._analysis is not None:
            self._analysis.join(30)


def learner_main(conn, db_path: str, models_dir: str | None, options: LearnerOptions) -> None:
    """The learner process (spawned by :class:`player.learner.client.LearnerProcess`)."""
    import signal

    from player.priority import lower_process_priority

    # Ctrl-C in the window's terminal, and the terminal closing, signal every process of its
    # group: the window closes and stops this process between two steps of its work (and it
    # leaves by itself when the window is gone). Its own default ended it mid-step, with a
    # KeyboardInterrupt traceback in the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    # First: torch's threads and the decoders inherit it. PRIORITY_ENV=normal keeps the window's
    # priority instead, for tests and benchmarks that wait for the learner's work on a busy
    # machine: at the lowest priority beside two busy processes it analysed nothing in 90 s.
    # The app never sets it.
    lowered = False if os.environ.get(PRIORITY_ENV, "").lower() == "normal" else lower_process_priority()
    from player.log import setup_logging

    setup_logging(file_name="learner.log")
    log.info("learner process %d started (lowest priority: %s, switch interval %g ms)", os.getpid(), lowered,
             1000 * sys.getswitchinterval())
    from player.learner.core import Learner
    from player.store import Store

    store = Store.open(db_path)
    loop = None
    try:
        learner = Learner(store, emit=lambda message: loop.send(message), models_dir=models_dir,
                          every_n_plays=options.every_n_plays, idle_s=options.idle_s,
                          session_model=options.session_model, features_every_s=options.features_every_s)
        loop = LearnerLoop(learner, conn, options)
        loop.run()
    finally:
        store.close()
        conn.close()
    log.info("learner process %d exits", os.getpid())
    _leave_now()


def _leave_now() -> None:
    """End the process here, without the interpreter's teardown, when nothing is left to finish.

    With torch loaded that teardown costs most of a second of CPU (freeing torch's
    modules one by one); at the lowest priority on a busy machine it outlasted the
    window's grace period, and the learner was killed after its work was done. By now
    the store is closed and every run was written whole, so the teardown saves nothing.
    While a helper process (an analysis worker) is still there, the ordinary exit runs:
    it ends them.
    """
    import multiprocessing
    import multiprocessing.util

    if multiprocessing.active_children():
        return
    # What the ordinary exit does first, and costs nothing: the semaphores of the analysis's
    # decoder pool are unlinked (else the window's resource tracker finds them left over and
    # warns at its own exit).
    multiprocessing.util._run_finalizers(0)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(0)
