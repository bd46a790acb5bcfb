"""Playback → Sleep timer: the music fades out and pauses after 15 to 60 minutes, or at the
end of the song playing now; the time left shows in the status bar.

The count runs here, on the window's clock (a few ticks a second while it runs, none
otherwise); the player only hears the fade and, at the end, :meth:`Player.sleep`, each as a
command on its own thread, so the window never waits for it. "End of this song" is the
player's Stop after this song: Up next stays for Play, as it does after the timer's pause.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel

from player.sleep_timer import CHOICES_MIN, SleepTimer, time_left_text

TICK_MS = 250       # the fade moves this often (40 steps over ten seconds, each glided by the engine)


class SleepMenu(QObject):
    """The Sleep timer submenu of ``menu`` and its count; ``window`` runs the player's commands."""

    def __init__(self, window, menu, timer: SleepTimer | None = None):
        super().__init__(window)
        self._window = window
        self.timer = timer or SleepTimer()
        self._gain_sent = 1.0
        self._at_end_of_song = False    # Stop after this song was turned on from this menu
        self._stop_after_sent = 0       # Stop after on or off sent from this menu, counted (see stop_after_changed)
        self.menu = menu.addMenu("Sleep &timer")
        self.menu.setStatusTip("Fade the music out and pause it after a while, for falling asleep to it")
        group = QActionGroup(self)
        self.act_off = QAction("Off", self, checkable=True, checked=True)
        self.act_minutes: dict[int, QAction] = {}
        for minutes in CHOICES_MIN:
            action = QAction(f"{minutes} minutes", self, checkable=True)
            action.triggered.connect(lambda _checked=False, m=minutes: self.start(m * 60.0))
            self.act_minutes[minutes] = action
        self.act_end_of_song = QAction("End of this song", self, checkable=True)
        self.act_end_of_song.setStatusTip("Stop when the song playing now ends; Up next stays for Play")
        self.act_end_of_song.triggered.connect(lambda _checked=False: self._end_of_song())
        self.act_off.triggered.connect(lambda _checked=False: self.cancel())
        for action in (self.act_off, *self.act_minutes.values(), self.act_end_of_song):
            group.addAction(action)
            self.menu.addAction(action)
        self.label = QLabel()
        self.label.setAccessibleName("Sleep timer")
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)
        self._tick_timer = QTimer(self, interval=TICK_MS)
        self._tick_timer.timeout.connect(self.tick)

    def start(self, seconds: float) -> None:
        """Fade out and pause ``seconds`` from now (replacing a timer already set)."""
        if self._window.player is None:
            self._window.statusBar().showMessage("Playback is still starting…", 3000)
            self._show_off()
            return
        self._end_of_song_off()     # (chosen here before: the time replaces it)
        self.timer.start(seconds)
        self._tick_timer.start()
        self.tick()

    def cancel(self) -> None:
        """Off: the music goes on, at the person's volume if it had begun to fade."""
        running = self.timer.running
        self.timer.cancel()
        self._tick_timer.stop()
        self.label.hide()
        if running and self._gain_sent != 1.0:
            self._send_gain(1.0)
        self._end_of_song_off()
        self._show_off()

    def _end_of_song_off(self) -> None:
        """Stop after this song, if this menu turned it on, off again. Sent whatever the
        player's flag says now: the "on" may still wait on the player thread, and the "off"
        goes behind it (where it is off already, it changes nothing)."""
        if self._at_end_of_song and self._window.player is not None:
            self._set_stop_after(False)
        self._at_end_of_song = False

    def _set_stop_after(self, on: bool) -> None:
        self._stop_after_sent += 1
        self._window.set_stop_after(on)

    def _end_of_song(self) -> None:
        self._at_end_of_song = False    # (the cancel of a running timer leaves Stop after alone)
        self.cancel()
        self.act_end_of_song.setChecked(True)
        self._at_end_of_song = True
        self._set_stop_after(True)
        self.label.setText("Sleep at the end of this song")
        self.label.show()

    def stop_after_changed(self, on: bool) -> None:
        """The player's Stop after this song turned on or off (its own action, or it stopped).

        The event may be older than a choice made here since (60 minutes, then at once End of
        this song: the first one's "off" comes after the second was asked for): the player is
        asked again, behind the commands sent before, and the menu shows what it says then. An
        answer is as old as the question: where this menu sent Stop after on or off since it
        was asked, the answer is of the player before that choice and shows nothing (the
        choice's own event follows it). Taken as news, an "off" asked before End of this song
        was chosen again unticked the menu's hold on it, and Off then left the player stopping
        after the song while the menu said Off."""
        sent = self._stop_after_sent
        self._window._command(lambda p: p.stop_after,
                              lambda result, error: self._show_stop_after(result, error, sent))

    def _show_stop_after(self, result, error, sent: int) -> None:
        if error is not None or sent != self._stop_after_sent:
            return
        if result and not self.timer.running:
            self.act_end_of_song.setChecked(True)
            self.label.setText("Sleep at the end of this song")
            self.label.show()
        elif not result and self.act_end_of_song.isChecked():
            self._at_end_of_song = False
            self.label.hide()
            self._show_off()

    def _show_off(self) -> None:
        self.act_off.setChecked(True)

    def tick(self) -> None:
        """Show the time left, fade, and pause once it is up."""
        left = self.timer.left_s()
        if left is None:
            self._tick_timer.stop()
            return
        if self.timer.due():
            self.timer.cancel()
            self._tick_timer.stop()
            self.label.hide()
            self._show_off()
            self._gain_sent = 1.0       # (the player gives the volume back when the music plays again)
            self._window._command(lambda p: p.sleep(), self._slept)
            return
        self.label.setText(time_left_text(left))
        self.label.show()
        gain = self.timer.gain()
        if gain != self._gain_sent:
            self._send_gain(gain)

    def _send_gain(self, gain: float) -> None:
        self._gain_sent = gain
        self._window._command(lambda p: p.set_sleep_fade(gain))

    def _slept(self, result, error) -> None:
        if error is None and result:
            self._window.statusBar().showMessage("Paused by the sleep timer", 10000)
