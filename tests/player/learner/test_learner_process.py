"""The learner process's mechanics with real processes: messages both ways, kill → restart → resume."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import pytest

from player.learner import messages as m
from player.learner.client import LearnerProcess
from player.learner.core import Gate
from player.learner.process import LearnerOptions
from tests import full_disk
from tests.audiogen import write_track
from tests.play_history import fill_history, leftovers
from tests.wakeups import COUNTED, quiet_stretch, wakeups

QUIET = LearnerOptions(analyse=False, train=False)      # starts in about a second: no torch


class Inbox:
    """Collects what the learner says; ``wait_for`` a message that matches."""

    def __init__(self):
        self.got: list = []
        self.exits: list = []
        self._cond = threading.Condition()

    def __call__(self, message):
        with self._cond:
            self.got.append(message)
            self._cond.notify_all()

    def on_exit(self, info):
        with self._cond:
            self.exits.append(info)
            self._cond.notify_all()

    def wait_for(self, test, timeout=60.0, *, after=0):
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [x for x in self.got[after:] if test(x)]
                if hits:
                    return hits[0]
                left = end - time.monotonic()
                assert left > 0, f"timed out; got {self.got[after:]} exits {self.exits}"
                self._cond.wait(left)


def test_every_message_pickles_and_only_known_ones_pass():
    samples = [m.Analyse(True), m.PlaysLogged(), m.TrainNow(), m.Playback(True), m.Underrun(), m.Pause(),
               m.Resume(), m.Cancel(), m.Settings({"analysis.while_playing": "pause"}), m.Ping(3), m.Shutdown(),
               m.Ready(1), m.Pong(3), m.AnalysisProgress(1, 2, 0, "paused"), m.AnalysisFinished(1, 0, 1),
               m.FeaturesChanged(1), m.TrainingProgress("wmf", 0.5), m.ModelsChanged("run-1", 3, 1.0, {"a": 1.0}),
               m.TrainingFailed("boom")]
    assert {type(s) for s in samples} == set(m.TO_LEARNER) | set(m.TO_WINDOW)
    for sample in samples:
        assert pickle.loads(pickle.dumps(sample)) == sample
    assert m.checked(m.Ping(1), m.TO_LEARNER) == m.Ping(1)
    assert m.checked(m.Pong(1), m.TO_LEARNER) is None             # wrong direction
    assert m.checked({"cmd": "train"}, m.TO_LEARNER) is None      # not a message at all
    with pytest.raises(TypeError):
        LearnerProcess("x.db").send(m.Ready(1))


def test_gate_parks_analysis_until_every_hold_is_released():
    gate, parked, passed = Gate(), [], threading.Event()
    gate.hold("training")
    gate.hold("paused")
    worker = threading.Thread(target=lambda: (gate.wait_open(on_park=parked.append), passed.set()))
    worker.start()
    assert gate.wait_parked(lambda: True, timeout=5)
    gate.release("training")
    assert not passed.wait(0.3)                   # still paused
    gate.release("paused")
    assert passed.wait(5)
    worker.join(5)
    assert parked[0] == {"training", "paused"}
    assert gate.wait_parked(lambda: False, timeout=0)     # nothing running: nothing to wait for


def test_messages_round_trip(store):
    inbox = Inbox()
    learner = LearnerProcess(store.path, options=QUIET, on_message=inbox, on_exit=inbox.on_exit)
    learner.start()
    try:
        ready = inbox.wait_for(lambda x: isinstance(x, m.Ready), 60)
        assert ready.pid == learner.pid != os.getpid()
        for token in (1, 2, 3):
            assert learner.send(m.Ping(token))
        assert [inbox.wait_for(lambda x, t=t: x == m.Pong(t)).token for t in (1, 2, 3)] == [1, 2, 3]
        if hasattr(os, "getpriority"):     # the tests' learner keeps their priority (tests/conftest.py)
            assert os.getpriority(os.PRIO_PROCESS, learner.pid) == os.getpriority(os.PRIO_PROCESS, 0)
        # Ctrl-C in the window's terminal (and its closing) signal the learner too: it goes
        # on until the window stops it, rather than dying mid-step with a traceback.
        if hasattr(signal, "SIGHUP"):
            for sig in (signal.SIGINT, signal.SIGHUP):
                os.kill(learner.pid, sig)
            time.sleep(0.5)
            assert learner.send(m.Ping(4)) and inbox.wait_for(lambda x: x == m.Pong(4)).token == 4
            assert learner.alive and inbox.exits == []
    finally:
        learner.stop()
    assert not learner.alive and inbox.exits == []          # asked to stop: not a crash


def test_what_the_learner_said_before_it_was_stopped_is_all_heard_and_its_pipe_closed_after(store):
    """Stopping the learner while the window is still busy with one of its messages: the
    rest of what it sent is read, and only then is the pipe closed. Closed under the reader,
    a read cut in half raised inside the monitor thread, which showed a crash dialog."""
    inbox, busy, go_on = Inbox(), threading.Event(), threading.Event()

    def on_message(message):
        if message == m.Pong(1):
            busy.set()
            go_on.wait(30)
        inbox(message)

    learner = LearnerProcess(store.path, options=QUIET, on_message=on_message, on_exit=inbox.on_exit)
    learner.start()
    try:
        inbox.wait_for(lambda x: isinstance(x, m.Ready), 60)
        conn = learner._conn
        for token in (1, 2, 3):
            assert learner.send(m.Ping(token))
        assert busy.wait(30)
        time.sleep(0.3)                     # the answers to 2 and 3 are in the pipe by now
        learner.stop()
        assert not learner.alive and not conn.closed     # the monitor is still reading
    finally:
        go_on.set()
    assert [inbox.wait_for(lambda x, t=t: x == m.Pong(t), 10).token for t in (1, 2, 3)] == [1, 2, 3]
    monitors = [t for t in threading.enumerate() if t.name == "learner-monitor"]
    for thread in monitors:
        thread.join(10)
    assert conn.closed and inbox.exits == []


def test_a_message_sent_as_the_learner_dies_is_refused_not_raised_and_the_pipe_closed_after(store):
    """The window tells the learner something (from the window's thread, or the player's)
    just as the process dies: the monitor reads its end and closes the pipe. Closed in the
    middle of the send, the write found the handle gone and raised a TypeError from inside
    multiprocessing, on the sender's thread (the window's: a crash dialog). The moment
    cannot be caught on purpose, so the connection here stops in the middle of its send
    (after the checks that it is open, before the write) while the process is killed, and
    is otherwise the real one: the send says the learner is not there, and the pipe is
    closed once it is over."""
    from multiprocessing.reduction import ForkingPickler

    inbox, sending = Inbox(), threading.Event()

    class DyingMeanwhile:
        def __init__(self, conn):
            self._conn = conn

        def send(self, obj):
            conn = self._conn
            conn._check_closed()
            conn._check_writable()
            sending.set()
            end = time.monotonic() + 3          # the monitor closes it now, if it may
            while not conn.closed and time.monotonic() < end:
                time.sleep(0.01)
            conn._send_bytes(ForkingPickler.dumps(obj))

        def __getattr__(self, name):
            return getattr(self._conn, name)

    learner = LearnerProcess(store.path, options=QUIET, on_message=inbox, on_exit=inbox.on_exit, max_restarts=0)
    learner.start()
    try:
        pid = inbox.wait_for(lambda x: isinstance(x, m.Ready), 60).pid
        with learner._lock:
            real = learner._conn
            learner._conn = DyingMeanwhile(real)
        sent = []
        sender = threading.Thread(target=lambda: sent.append(learner.send(m.PlaysLogged())))
        sender.start()
        assert sending.wait(10)
        os.kill(pid, signal.SIGKILL)
        sender.join(20)
        assert sent == [False]
        deadline = time.monotonic() + 20
        while not (real.closed and inbox.exits) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert real.closed and inbox.exits[0].exitcode == -signal.SIGKILL
    finally:
        learner.stop()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no nice values to read")
def test_the_app_runs_the_learner_at_the_lowest_priority(store, monkeypatch):
    """As the app starts it (without the tests' setting): lowered first thing, before its
    imports, so the check waits for that and not for the process's first message, which at
    the lowest priority on a busy machine can take a minute."""
    from player.learner.process import PRIORITY_ENV

    monkeypatch.delenv(PRIORITY_ENV, raising=False)
    learner = LearnerProcess(store.path, options=QUIET)
    learner.start()
    try:
        deadline = time.monotonic() + 60
        while os.getpriority(os.PRIO_PROCESS, learner.pid) != 19 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert os.getpriority(os.PRIO_PROCESS, learner.pid) == 19
    finally:
        learner.stop()


def test_repeated_crashes_restart_with_a_pause_then_stop(store):
    inbox = Inbox()
    learner = LearnerProcess(store.path, options=QUIET, on_message=inbox, on_exit=inbox.on_exit,
                             max_restarts=1, backoff_s=(0.2,))
    learner.start()
    try:
        first = inbox.wait_for(lambda x: isinstance(x, m.Ready)).pid
        os.kill(first, signal.SIGKILL)
        second = inbox.wait_for(lambda x: isinstance(x, m.Ready) and x.pid != first).pid
        assert inbox.exits[0].restart_in == 0.2 and inbox.exits[0].exitcode == -signal.SIGKILL
        assert "killed" in inbox.exits[0].describe()
        os.kill(second, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(inbox.exits) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox.exits[1].restart_in is None and learner.gave_up   # the second crash in a row: give up
        time.sleep(0.5)
        assert not learner.alive and learner.starts == 2
    finally:
        learner.stop()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc (Linux)")
def test_a_learner_that_cannot_be_started_again_after_a_crash_says_so_and_gives_up(store):
    """The learner crashed, and no new process can be had: here the window has every file it
    may open in use (a low limit, or a leak), and the pipe to a new process cannot be made.
    The failed start ended the restart's thread with a crash dialog, and the learner stayed
    off for good with nothing in the window saying so; it now counts as a crash: tried again
    after the pause, then given up, and the window is told each time."""
    import resource

    inbox = Inbox()
    learner = LearnerProcess(store.path, options=QUIET, on_message=inbox, on_exit=inbox.on_exit,
                             max_restarts=2, backoff_s=(0.2, 0.2))
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    taken: list[int] = []
    learner.start()
    try:
        pid = inbox.wait_for(lambda x: isinstance(x, m.Ready)).pid
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(map(int, os.listdir("/proc/self/fd"))) + 2, limits[1]))
        while True:                     # every file number left is taken
            try:
                taken.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not learner.gave_up and time.monotonic() < deadline:
            time.sleep(0.05)
        for fd in taken:
            os.close(fd)
        taken = []
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
        assert learner.gave_up and not learner.alive
        assert [e.restart_in for e in inbox.exits] == [0.2, 0.2, None]
        assert "killed" in inbox.exits[0].describe()
        assert "could not be started again" in inbox.exits[2].describe()
        learner.start()                 # files to be had again (the window restarted it)
        assert inbox.wait_for(lambda x: isinstance(x, m.Ready) and x.pid != pid).pid
    finally:
        for fd in taken:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
        learner.stop()


def test_killed_while_analysing_it_comes_back_resumes_and_trains_before_analysis_ends(store, tmp_path):
    from player.library.scanner import Scanner

    for i in range(6):
        write_track(tmp_path / "music", f"t{i}", fmt="flac", seconds=3.0, freq=200.0 + 50 * i,
                    tags={"title": f"Tone {i}", "artist": f"Tones {i % 2}", "genre": "Ambient"})
    Scanner(store).scan([str(tmp_path / "music")])
    ids = [r["id"] for r in store.tracks()]
    inbox = Inbox()
    options = LearnerOptions(every_n_plays=4, session_model=False, analysis={"batch_tracks": 1})
    learner = LearnerProcess(store.path, options=options, on_message=inbox, on_exit=inbox.on_exit,
                             backoff_s=(0.5,))
    learner.send(m.Pause())          # standing: the first track, then hold (sent again after a restart)
    learner.start()
    try:
        first = inbox.wait_for(lambda x: isinstance(x, m.Ready)).pid
        inbox.wait_for(lambda x: isinstance(x, m.AnalysisProgress) and x.paused == "paused", 120)
        assert len(store.features()) == 1
        os.kill(first, signal.SIGKILL)                       # killed in the middle of its pass
        seen = len(inbox.got)
        second = inbox.wait_for(lambda x: isinstance(x, m.Ready) and x.pid != first, 30, after=seen).pid
        assert inbox.exits and inbox.exits[0].exitcode == -signal.SIGKILL
        # The new process resumes the pass and holds it after a track; a batch of plays is
        # logged meanwhile: training runs at once, while the analysis pass is still under way.
        inbox.wait_for(lambda x: isinstance(x, m.AnalysisProgress) and x.paused == "paused", 120, after=seen)
        assert learner.pid == second
        now = time.time()
        for k, track_id in enumerate(ids[:4]):
            play = store.start_play(track_id, source="library", track_ms=3000, now=now - 100 + 10 * k)
            store.end_play(play, "finished", 3000, now=now - 97 + 10 * k)
        learner.send(m.PlaysLogged())
        trained = inbox.wait_for(lambda x: isinstance(x, m.ModelsChanged), 120, after=seen)
        assert trained.n_plays == 4
        assert not any(isinstance(x, m.AnalysisFinished) for x in inbox.got[seen:])
        learner.send(m.Resume())
        done = inbox.wait_for(lambda x: isinstance(x, m.AnalysisFinished), 120, after=seen)
        assert done.error == "" and done.total == done.analysed == 5     # only what was left
        feats = store.features()
        assert sorted(feats.track_ids.tolist()) == sorted(ids)
        assert store.last_model_run()["n_plays"] == 4
    finally:
        learner.stop()


def test_while_music_plays_analysis_goes_on_backs_off_after_underruns_or_holds_if_asked(store):
    """The ``analysis.while_playing`` policy, applied by the learner's loop to its gate."""
    from multiprocessing import Pipe

    from player.analysis import WHILE_PLAYING_SETTING
    from player.learner.core import Learner
    from player.learner.process import LearnerLoop
    from player.ui.settings_dialog import KEY_WHILE_PLAYING

    assert KEY_WHILE_PLAYING == WHILE_PLAYING_SETTING   # the dialog writes what the learner reads
    mine, _theirs = Pipe()
    loop = LearnerLoop(Learner(store), mine, LearnerOptions(backoff_s=60, backoff_max_s=150))
    gate = loop.learner.gate
    assert loop.mode == "auto"
    loop._act_now(m.Playback(True))
    assert gate.reasons == set()                        # auto: analysis goes on while music plays
    loop._act_now(m.Underrun())
    assert gate.reasons == {"backoff"} and loop.backoff_s == 120   # ... until the output underruns
    loop._act_now(m.Underrun())
    assert loop.backoff_s == 150                        # each further underrun holds longer, up to a cap
    loop._act_now(m.Playback(False))
    assert gate.reasons == set()                        # nothing to protect when nothing plays
    loop.backoff_until = 0.0
    loop._act_now(m.Playback(True))
    assert gate.reasons == set()                        # the back-off ran out
    loop._act_now(m.Settings({WHILE_PLAYING_SETTING: "pause"}))
    assert gate.reasons == {"playing"}
    loop._act_now(m.Pause())
    assert gate.reasons == {"playing", "paused"}
    loop._act_now(m.Resume())
    loop._act_now(m.Settings({WHILE_PLAYING_SETTING: "run"}))
    loop._act_now(m.Underrun())
    assert gate.reasons == set()                        # run: never held
    store.set_setting(WHILE_PLAYING_SETTING, "sometimes")
    assert LearnerLoop(Learner(store), mine, LearnerOptions()).mode == "auto"   # unknown: the default


@pytest.mark.skipif(not COUNTED, reason="counts wake-ups in /proc (Linux)")
def test_with_nothing_to_do_the_learner_sleeps_until_a_message_or_its_next_look(store):
    """Weeks with the window open and nothing to analyse or train: the learner's loop wakes
    for a message or to see whether a training is due (every ``check_s``), not every second."""
    from multiprocessing import Pipe

    from player.learner.core import Learner
    from player.learner.process import LearnerLoop

    mine, theirs = Pipe()
    loop = LearnerLoop(Learner(store), mine, LearnerOptions(analyse=False, check_s=30.0))
    thread = threading.Thread(target=loop.run, name="learner-loop", daemon=True)
    thread.start()
    try:
        assert theirs.poll(30) and isinstance(theirs.recv(), m.Ready)
        # Its first look (nothing is due) takes longer on a loaded machine: three quiet
        # seconds are waited for, not a fixed time. A loop woken every second never gives them.
        woken = quiet_stretch(3.0, lambda: wakeups([thread.native_id]), most=1, within=20)
        assert woken <= 1
        theirs.send(m.Shutdown())                        # a message still wakes it at once
        thread.join(5)
        assert not thread.is_alive()
    finally:
        loop._stop("the test ended")
        thread.join(5)


def test_a_cancel_that_arrives_before_the_pass_starts_still_stops_it(store, tmp_path):
    from player.learner.core import Learner
    from player.library.scanner import Scanner

    for i in range(2):
        write_track(tmp_path / "music", f"c{i}", fmt="wav", seconds=1.0, freq=300.0 + 100 * i)
    Scanner(store).scan([str(tmp_path / "music")])
    said = []
    learner = Learner(store, emit=said.append)
    learner.cancel_analysis()                  # the window's Cancel, while the learner was still starting
    result = learner.analyse(workers=0)
    assert result.cancelled and result.analysed == 0 and len(store.features()) == 0
    assert said[-1] == m.AnalysisFinished(0, 0, 2, True, said[-1].seconds, "cpu")
    learner.allow_analysis()                   # asked for again
    assert learner.analyse(workers=0).analysed == 2 and isinstance(said[-1], m.AnalysisFinished)
    assert m.FeaturesChanged(2) in said


@pytest.mark.slow
def test_asked_to_stop_in_the_middle_of_a_training_it_leaves_at_once_and_keeps_the_published_models(store, tmp_path):
    """A shutdown during a long training: the learner leaves on its own between two training
    steps, long before the training would have ended, with the last published run still the
    one in use and no partial run, temporary file or unfinished ``model_runs`` row behind."""
    from player.recommender_service import build_catalog
    from player.trainer import Trainer
    from recommender.local_models import current_run, load_models

    models = tmp_path / "models"
    fill_history(store, 300)
    Trainer(store, models_dir=models, session_model=False).train_now()    # the published models
    published = current_run(models).name
    fill_history(store, 5000)           # a history whose training runs for many seconds
    inbox = Inbox()
    options = LearnerOptions(analyse=False, every_n_plays=10**9, idle_s=10**9, check_s=10**9)
    learner = LearnerProcess(store.path, models_dir=models, options=options, on_message=inbox,
                             on_exit=inbox.on_exit)
    learner.start()
    try:
        inbox.wait_for(lambda x: isinstance(x, m.Ready), 60)
        learner.send(m.TrainNow())
        inbox.wait_for(lambda x: isinstance(x, m.TrainingProgress) and x.stage == "autorec", 120)
        time.sleep(1.0)                 # into AutoRec's batches
        proc = learner._proc
    finally:
        learner.stop(timeout=60)
    assert proc.exitcode == 0           # it left by itself: neither terminated nor killed
    # Had it trained to the end, the new run would be current and the window told so.
    assert not any(isinstance(x, (m.ModelsChanged, m.TrainingFailed)) for x in inbox.got)
    assert current_run(models).name == published
    cat, _ = build_catalog(store)
    assert load_models(models, cat).info["run"] == published
    assert leftovers(models) == []
    assert [p.name for p in models.iterdir() if p.name.startswith("run-")] == [published]
    assert store.execute("SELECT count(*) FROM model_runs WHERE finished_at IS NULL").fetchone()[0] == 0
    assert inbox.exits == []            # asked to stop: not a crash


@pytest.mark.slow
def test_a_window_closed_as_it_opens_does_not_wait_for_the_old_runs_export(store, tmp_path):
    """At its start the learner exports the session model of a run trained before the
    numpy export existed (torch imported and the model loaded: seconds at the lowest
    priority). A window closed at once waited for that; now the export stops between its
    steps with nothing written, and the next start does it."""
    from player.recommender_service import build_catalog
    from player.trainer import Trainer
    from recommender.local_models import SESSION_SERVING, current_run, load_models

    models = tmp_path / "models"
    fill_history(store, 300)
    Trainer(store, models_dir=models).train_now()
    run = current_run(models)
    (run / SESSION_SERVING).unlink()                # as a run from before the export
    options = LearnerOptions(analyse=False, every_n_plays=10**9, idle_s=10**9, check_s=10**9)
    inbox = Inbox()
    learner = LearnerProcess(store.path, models_dir=models, options=options, on_message=inbox,
                             on_exit=inbox.on_exit)
    learner.start()
    proc = learner._proc
    learner.stop(timeout=60)        # the shutdown waits in the pipe as the process starts
    assert proc.exitcode == 0 and inbox.exits == []
    assert not (run / SESSION_SERVING).exists()     # it stopped before writing
    assert leftovers(models) == [] and not [p for p in run.iterdir() if p.name.startswith(".")]
    assert not any(isinstance(x, m.ModelsChanged) for x in inbox.got)
    learner.start()
    try:
        changed = inbox.wait_for(lambda x: isinstance(x, m.ModelsChanged), 120)
    finally:
        learner.stop(timeout=60)
    assert changed.run == run.name and (run / SESSION_SERVING).exists()
    cat, _ = build_catalog(store)
    assert load_models(models, cat).session is not None


def _learner_with_exit_work(conn, db_path, marker):
    """A learner process with work left for the interpreter's exit, as torch leaves it: an
    exit handler, and a thread that never ends and is not a daemon."""
    import atexit

    from player.learner.process import learner_main

    atexit.register(lambda: open(marker, "w").close())
    threading.Thread(target=threading.Event().wait, name="never-ends", daemon=False).start()
    learner_main(conn, db_path, None, QUIET)


def test_once_its_work_is_saved_the_learner_leaves_without_the_interpreters_teardown(store, tmp_path):
    # That teardown (torch freeing its modules one by one) cost most of a second of CPU at
    # the lowest priority, and the window ended learners that had finished their work.
    from multiprocessing import get_context

    ctx = get_context("spawn")
    marker = tmp_path / "exit-handlers-ran"
    mine, theirs = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=_learner_with_exit_work, args=(theirs, store.path, str(marker)))
    proc.start()
    theirs.close()
    try:
        while not isinstance(mine.recv(), m.Ready):
            pass
        mine.send(m.Shutdown())
        proc.join(60)
        assert proc.exitcode == 0           # the thread that never ends did not hold it
        assert not marker.exists()          # nor did exit handlers run
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        mine.close()


def test_waits_beside_each_other_for_a_process_that_leaves_by_itself_all_see_it_gone():
    # The monitor (its pipe closed) and a stop (seeing the process out) wait for the learner
    # at once. The first wait to find it ended reaps it; one beside it found nothing, took it
    # for running, warned that it would not stop and tried to end it.
    from multiprocessing import get_context

    from player.learner.client import _alive, _join

    ctx = get_context("spawn")
    for _ in range(15):     # (the old waits went wrong for about one process in 15)
        proc = ctx.Process(target=time.sleep, args=(0.2,))
        proc.start()
        seen = []

        def wait(proc=proc, seen=seen):
            _join(proc, 30.0)
            seen.append((_alive(proc), proc.exitcode))

        threads = [threading.Thread(target=wait) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert seen == [(False, 0)] * 4


def test_a_store_that_cannot_say_whether_a_training_is_due_is_asked_again_later(store, tmp_path, caplog):
    """Another process holding the library locked as the learner looks whether a training is
    due: the look is logged and made again at the next one; the learner's loop goes on (the
    error ended it, and the learner process with it)."""
    import logging
    import sqlite3
    from multiprocessing import Pipe

    from player.learner.core import Learner
    from player.learner.process import LearnerLoop
    from player.store import Store

    store.close()
    mine = Store(store.path, busy_timeout_s=0.2)
    mine_end, window_end = Pipe()
    loop = LearnerLoop(Learner(mine, models_dir=tmp_path / "models"), mine_end,
                       LearnerOptions(analyse=False, check_s=0.3))
    mine.close()        # (its connections are opened again by the threads that use them)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    thread = threading.Thread(target=loop.run, name="learner-loop", daemon=True)
    caplog.set_level(logging.WARNING, logger="player.learner.process")
    try:
        thread.start()
        assert window_end.poll(30) and isinstance(window_end.recv(), m.Ready)
        end = time.monotonic() + 30
        while sum("training is due" in r.getMessage() for r in caplog.records) < 2:
            assert thread.is_alive(), "the learner's loop ended on the store's error"
            assert time.monotonic() < end, "the learner never looked whether a training was due"
            time.sleep(0.1)
        holder.execute("ROLLBACK")
        holder.close()
        time.sleep(1.0)     # (a look or more with the store free again)
        failed = sum("training is due" in r.getMessage() for r in caplog.records)
        time.sleep(1.0)
        assert sum("training is due" in r.getMessage() for r in caplog.records) == failed
        assert thread.is_alive()
        window_end.send(m.Shutdown())
        thread.join(10)
        assert not thread.is_alive()
    finally:
        loop._stop("the test ended")
        thread.join(5)
        mine.close()


def test_a_training_a_full_disk_refuses_is_tried_again_ever_later_in_one_line_and_comes_back_with_room(
        store, tmp_path, caplog):
    """The disk too full for a training's record: each try says so in one line, to the log and
    to the window in the person's words, and the tries come further and further apart, not at
    every look (each of which logged a traceback). Once there is room, the training is tried,
    and one that ends puts the looks back as they were."""
    import logging
    from multiprocessing import Pipe

    from player.learner.core import Learner
    from player.learner.process import LearnerLoop

    fill_history(store, 30)
    full_disk.refuse(store, "INSERT", "model_runs")
    got = []

    def emit(message):
        got.append(message)
        if isinstance(message, m.TrainingProgress) and message.stage == "sessions":
            loop.stopping.set()                         # a whole training takes seconds

    mine, _window = Pipe()
    learner = Learner(store, emit=emit, models_dir=tmp_path / "models", session_model=False)
    loop = LearnerLoop(learner, mine, LearnerOptions(analyse=False, check_s=30.0, no_room_max_s=100.0))
    caplog.set_level(logging.INFO, logger="player.learner.process")
    waits = []
    for _ in range(4):
        loop._train()
        waits.append(round(loop.no_room_until - time.monotonic()))
        assert learner.trainer.due() and not loop._due()
    assert waits == [30, 60, 100, 100]
    failed = [x for x in got if isinstance(x, m.TrainingFailed)]
    assert len(failed) == 4 and all("is full; free some space" in x.error for x in failed)
    said = [r for r in caplog.records if r.name == "player.learner.process" and r.levelno >= logging.WARNING]
    assert len(said) == 4 and not any(r.exc_info for r in said)
    full_disk.allow(store, "INSERT", "model_runs")
    loop.no_room_until = time.monotonic()                  # the wait over
    assert loop._due()
    room = len(got)
    loop._train()
    # Its record written and its plays read, the training was stopped at its next step.
    assert [x.stage for x in got[room:] if isinstance(x, m.TrainingProgress)][:2] == ["reading plays", "sessions"]
    assert store.execute("SELECT count(*) FROM model_runs").fetchone()[0] == 0
    assert loop.no_room_s == 30.0


def test_a_play_written_after_a_full_disk_refused_a_training_tries_it_again_without_waiting(store, tmp_path):
    """The person made room (a play is written again): the training is tried at the next
    look, not at the end of a wait that had grown to 30 minutes; nothing written, it waits on."""
    from multiprocessing import Pipe

    from player.learner.core import Learner
    from player.learner.process import LearnerLoop

    fill_history(store, 30)
    full_disk.refuse(store, "INSERT", "model_runs")
    mine, _window = Pipe()
    learner = Learner(store, emit=lambda message: None, models_dir=tmp_path / "models", session_model=False)
    loop = LearnerLoop(learner, mine, LearnerOptions(analyse=False, check_s=1800.0))
    loop._train()                                       # refused: the next try in 30 minutes
    assert learner.trainer.due() and not loop._due()
    full_disk.allow(store, "INSERT", "model_runs")
    assert not loop._due()                              # no sign of room yet
    track = store.tracks()[0]["id"]
    store.end_play(store.start_play(track, source="library", track_ms=200_000), "finished", 200_000)
    assert loop._due()


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="no way to freeze a process")
def test_a_learner_that_stops_reading_never_holds_up_whoever_tells_it_something(store):
    """A learner process frozen (stopped, or held by a debugger) reads nothing: the pipe to
    it filled after a few hundred messages, and every later send waited until it read again,
    the window's thread too. Sends now go on at once, saying the message was not taken; once
    it reads again it hears where things stand and what it is told from then on."""
    inbox = Inbox()
    learner = LearnerProcess(store.path, options=QUIET, on_message=inbox, on_exit=inbox.on_exit)
    learner.start()
    pid = None
    try:
        pid = inbox.wait_for(lambda x: isinstance(x, m.Ready), 60).pid
        os.kill(pid, signal.SIGSTOP)
        sent = []
        flood = threading.Thread(target=lambda: sent.extend(learner.send(m.PlaysLogged()) for _ in range(3000)),
                                 name="flood", daemon=True)
        flood.start()
        flood.join(60)
        assert not flood.is_alive(), "a send waited for the frozen learner"
        assert len(sent) == 3000 and True in sent and False in sent
        assert learner.send(m.Playback(True)) is False       # (while it is frozen: not taken)
        os.kill(pid, signal.SIGCONT)
        pid = None
        deadline = time.monotonic() + 30
        while not learner.send(m.Ping(7)):      # (until what filled the pipe is read)
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert inbox.wait_for(lambda x: x == m.Pong(7), 30).token == 7
        assert learner.alive and inbox.exits == []
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGCONT)
        learner.stop()


def test_the_gpu_setting_changed_during_a_pass_applies_from_the_next_track(store, tmp_path):
    """Turning the GPU off (or on) in the settings while a pass runs: the pass stops after its
    current track and a new one, made with the new setting, goes on with the rest. The pass
    kept the device it began with to its end (hours, the first time). Checked on a CPU: the
    new pass is made with the setting, whichever device that gives here."""
    from multiprocessing import Pipe

    from player.analysis import USE_GPU_SETTING
    from player.learner.core import Learner
    from player.learner.process import LearnerLoop
    from player.library.scanner import Scanner

    for i in range(3):
        write_track(tmp_path / "music", f"g{i}", fmt="wav", seconds=1.0, freq=300.0 + 100 * i)
    Scanner(store).scan([str(tmp_path / "music")])
    store.set_setting(USE_GPU_SETTING, True)
    mine, window = Pipe()
    learner = Learner(store, emit=None, models_dir=tmp_path / "models")
    made = []
    new_job = learner.new_job
    learner.new_job = lambda **options: made.append(new_job(**options)) or made[-1]   # (to see each pass)
    loop = LearnerLoop(learner, mine, LearnerOptions(train=False, analysis={"workers": 0, "cnn_workers": 1}))
    learner.emit = loop.send
    learner.gate.set("paused", True)             # the pass waits after its first look at its tracks
    thread = threading.Thread(target=loop.run, name="learner-loop", daemon=True)
    heard = []

    def hear(test, timeout=120):
        end = time.monotonic() + timeout
        while True:
            hits = [x for x in heard if test(x)]
            if hits:
                return hits[0]
            assert window.poll(max(0.0, end - time.monotonic())), f"timed out; heard {heard}"
            heard.append(window.recv())

    try:
        thread.start()
        hear(lambda x: isinstance(x, m.AnalysisProgress) and x.paused)
        assert [job.use_gpu for job in made] == [True]
        store.set_setting(USE_GPU_SETTING, False)                  # (the window saves, then tells the learner)
        window.send(m.Settings({USE_GPU_SETTING: False, "analysis.while_playing": "auto"}))
        window.send(m.Resume())
        stopped = hear(lambda x: isinstance(x, m.AnalysisFinished))
        assert stopped.cancelled and stopped.analysed < 3
        rest = hear(lambda x: isinstance(x, m.AnalysisFinished) and x is not stopped)
        assert not rest.cancelled and stopped.analysed + rest.analysed == 3
        assert [job.use_gpu for job in made] == [True, False]
        assert len(store.features()) == 3
        window.send(m.Settings({USE_GPU_SETTING: False}))           # the same again: nothing to redo
        window.send(m.Ping(1))
        hear(lambda x: x == m.Pong(1))
        time.sleep(1.5)
        assert len(made) == 2
    finally:
        loop._stop("the test ended")
        thread.join(30)


def test_what_was_asked_while_the_learner_did_not_read_reaches_it_once_it_reads_again(store):
    """Requests asked once (analyse the tracks just added, train now, plays imported) were
    dropped while the learner's pipe was full, and never came again: the new tracks stayed
    unanalysed until the next change to the library. They go, in the order asked, with the
    first message that goes once it reads again. Here the test is the learner that stops
    reading, on a real pipe."""
    from multiprocessing import Pipe

    learner = LearnerProcess(store.path, options=QUIET)
    mine, theirs = Pipe(duplex=True)
    learner._conn = mine
    try:
        filled = 0
        while learner.send(m.Underrun()):
            filled += 1
            assert filled < 100_000
        asked = [m.Analyse(), m.TrainNow(), m.PlaysLogged(), m.Analyse()]
        assert [learner.send(x) for x in asked] == [False] * 4
        got = []
        while theirs.poll(0.5):         # (read: it reads again)
            got.append(theirs.recv())
        assert len(got) == filled and not any(x in asked for x in got)
        assert learner.send(m.Ping(3))
        got = []
        while theirs.poll(0.5):
            got.append(theirs.recv())
        assert got == [m.TrainNow(), m.PlaysLogged(), m.Analyse(), m.Ping(3)]
    finally:
        learner._conn = None
        mine.close()
        theirs.close()
