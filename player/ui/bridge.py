"""Brings the Qt-free :class:`player.playback.Player` onto the GUI thread.

Player events arrive on any thread; :class:`PlayerBridge` re-emits them as Qt
signals, which Qt queues to the GUI thread. Commands go the other way through
:meth:`PlayerBridge.command`, on a single-thread pool: starting a track opens a
file and writes the play to the database, which the GUI thread never waits for.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal

from player.workers import player_pool, run_task

log = logging.getLogger(__name__)


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
        player.add_listener(self._on_event)

    def _on_event(self, event: str, data: dict) -> None:   # any thread
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
