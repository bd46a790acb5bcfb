"""Background work in the status bar: "Scanning: 1,200 of 5,000", "Analysing", "Learning 40%"."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget


class TaskStatus(QWidget):
    """Shows the most recent running task with a progress bar; hidden when idle."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self._tasks: dict[str, tuple[str, int, int | None]] = {}
        self._percent: set[str] = set()      # tasks whose progress is a share, not a count
        self.setVisible(False)

    def start(self, key: str, text: str) -> None:
        self._tasks[key] = (text, 0, None)
        self._show()

    def update(self, key: str, done: int, total: int | None = None, text: str | None = None, *,
               percent: bool = False) -> None:
        """``done`` of ``total`` items ("N of M"), or with ``percent`` ``done`` of ``total`` = 100 %."""
        if percent:
            self._percent.add(key)
        old = self._tasks.get(key, (key, 0, None))
        self._tasks[key] = (text or old[0], done, total)
        self._show()

    def finish(self, key: str) -> None:
        self._tasks.pop(key, None)
        self._percent.discard(key)
        self._show()

    def text(self, key: str) -> str:
        """The label of a running task ("" for one not running)."""
        return self._tasks.get(key, ("", 0, None))[0]

    def progress(self, key: str) -> tuple[int, int | None]:
        """(done, total) of a running task; (0, None) for one not running."""
        _text, done, total = self._tasks.get(key, ("", 0, None))
        return done, total

    def running(self) -> list[str]:
        return list(self._tasks)

    def describe(self, key: str) -> str:
        text, done, total = self._tasks[key]
        if total and key in self._percent:
            return f"{text} {100 * done // total}%"
        if total:
            return f"{text} {done:,} of {total:,}"
        return f"{text} {done:,}" if done else f"{text}…"

    def _show(self) -> None:
        if not self._tasks:
            self.setVisible(False)
            return
        key = next(reversed(self._tasks))
        _text, done, total = self._tasks[key]
        extra = f" (+{len(self._tasks) - 1} more)" if len(self._tasks) > 1 else ""
        self.label.setText(self.describe(key) + extra)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)      # busy indicator: the total is not known yet
        self.setVisible(True)
