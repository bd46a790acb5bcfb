"""Brings the Qt-free :class:`player.playback.Player` onto the GUI thread.

Player events arrive on any thread; :class:`PlayerBridge` re-emits them as Qt
signals, which Qt queues to the GUI thread. A song the output took ahead of the sound (a
gapless hand-over: the output plays a latency after it takes, a second or more over
Bluetooth) is shown when its first frame is heard, not while the last notes of the song
before still sound: its ``track_started``, and the Up next that goes with it, wait till then.

Commands go the other way through :meth:`PlayerBridge.command`, on a single-thread pool:
starting a track opens a file and writes the play to the database, which the GUI thread
never waits for.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from player.workers import player_pool, run_task

log = logging.getLogger(__name__)


#: the events that end the wait for a song held till it is heard: they are about the song
#: playing, and come after its start
_ENDS_HOLD = frozenset(("track_started", "track_ended", "state_changed", "error", "device_lost", "gave_up",
                        "started_over"))


class PlayerBridge(QObject):
    track_started = Signal(dict)
    track_ended = Signal(dict)
    state_changed = Signal(object)
    queue_changed = Signal()
    error = Signal(dict)
    device_lost = Signal(dict)
    stop_after_changed = Signal(dict)
    gave_up = Signal(dict)
    plays_unsaved = Signal(dict)
    started_over = Signal(dict)
    tracks_followed = Signal(dict)     # {"renumbered": {gone: now}}: merged as the player opened them
    _hold_begun = Signal(int, float)   # (which hold, its end as time.monotonic()): its timer, set on the GUI thread

    def __init__(self, player, parent=None):
        super().__init__(parent)
        self.player = player
        self._alive = True
        self._signals = {
            "track_started": self.track_started, "track_ended": self.track_ended,
            "queue_changed": self.queue_changed, "error": self.error, "device_lost": self.device_lost,
            "stop_after_changed": self.stop_after_changed, "gave_up": self.gave_up,
            "plays_unsaved": self.plays_unsaved, "started_over": self.started_over,
            "tracks_followed": self.tracks_followed,
        }
        # A song started ahead of the sound, and what came after it: [(event, data)], sent when
        # it is heard (see _hold); ``_holds`` counts them, for a timer of one already sent.
        self._held: list[tuple[str, dict]] = []
        self._holds = 0
        self._hold_lock = threading.Lock()
        self._hold_begun.connect(self._time_hold)
        player.add_listener(self._on_event)

    @property
    def holding(self) -> bool:
        """Whether a song has started that is not heard yet: what is shown is still the song
        before's (its title, its seek bar at its end)."""
        return bool(self._held)

    def _on_event(self, event: str, data: dict) -> None:   # any thread
        if not self._alive:
            return
        on_gui = QThread.currentThread() == self.thread()
        with self._hold_lock:
            if self._held and event == "queue_changed":
                # Up next as it is once the song held is heard: its head is the song after it.
                if ("queue_changed", {}) not in self._held:
                    self._held.append(("queue_changed", {}))
                return
            if event == "heard_at":
                # The song held is heard at another time than its start said (the output was
                # switched meanwhile): it is named then (a new hold's timer; the old one's is void).
                started = self._held[0][1] if self._held and self._held[0][0] == "track_started" else None
                if (started is not None and started.get("track_id") == data.get("track_id")
                        and started.get("play_id") == data.get("play_id")):
                    self._holds += 1
                    try:
                        self._hold_begun.emit(self._holds, data["heard_at"])
                    except RuntimeError:       # the bridge was deleted while the player still ran
                        self._alive = False
                return
            if self._held and event == "track_ended" and data.get("unheard"):
                # The song held was stopped before it was heard ("Stop after this song" asked
                # on the song before, still named): it is never named, its start nor its end.
                play_id = data.get("play_id")
                kept = [(e, d) for e, d in self._held
                        if not (e == "track_started" and d.get("track_id") == data.get("track_id")
                                and d.get("play_id") == play_id)]
                if len(kept) < len(self._held):
                    self._held = kept
                    return
                # (the end of a play not held: told as any other)
            # What changes the song or the playing ends the wait at once, in order (a skip cuts
            # the old song off; a pause shows what Play goes on with); the rest (a play kept
            # unsaved, tracks merged) says nothing of which song is heard and goes at once.
            now = self._take_held() if event in _ENDS_HOLD else []
            heard_at = data.get("heard_at") if event == "track_started" else None
            if heard_at is not None and heard_at > time.monotonic():
                self._held.append((event, data))
                self._holds += 1
                try:
                    self._hold_begun.emit(self._holds, heard_at)
                except RuntimeError:       # the bridge was deleted while the player still ran
                    self._alive = False
                    return
            else:
                now.append((event, data))
            if not on_gui:
                for sent in now:
                    self._send(*sent)     # (queued to the GUI thread, in order: no slot runs here)
                return
        # (on the GUI thread, sent with the lock let go: a slot may call the player, whose
        # thread may be waiting to tell the bridge something)
        for sent in now:
            self._send(*sent)

    def _take_held(self) -> list[tuple[str, dict]]:
        held, self._held = self._held, []
        return held

    def _time_hold(self, hold: int, heard_at: float) -> None:    # GUI thread
        # The wait is reckoned here, not as the song started: the queued call comes late on a
        # busy GUI thread, and a wait reckoned before it would name the song that much later.
        # (the bridge as the timer's context: gone with the window, the timer goes too)
        wait_s = heard_at - time.monotonic()
        QTimer.singleShot(max(1, int(wait_s * 1000) + 1), self, lambda: self._hold_over(hold))

    def _hold_over(self, hold: int) -> None:    # GUI thread
        with self._hold_lock:
            sent = self._take_held() if self._holds == hold else []
        for held in sent:
            self._send(*held)

    def _send(self, event: str, data: dict) -> None:
        if not self._alive:
            return
        try:
            if event == "state_changed":
                self.state_changed.emit(data.get("state"))
            elif event == "queue_changed":
                self.queue_changed.emit()
            elif event in self._signals:
                self._signals[event].emit(dict(data))
        except RuntimeError:       # the bridge was deleted while the player still ran
            self._alive = False

    def command(self, fn: Callable, done: Callable | None = None):
        """Run ``fn(player)`` on the player thread; ``done(result=, error=)`` on the GUI thread."""
        player = self.player

        def run():
            return fn(player)

        def finished(result, error):
            if error is not None:
                log.warning("player command failed: %s", error)
            if done is not None:
                done(result=result, error=error)

        return run_task(run, finished, pool=player_pool(), name="player-command")

    def shutdown(self) -> None:
        self._alive = False
