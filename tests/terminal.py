"""A terminal (a pseudo-terminal) for a subprocess's stderr, as when a person types the
command: ``segue FILE...`` says what is not there only where someone reads it. Linux and macOS
(the ``pty`` module); tests that need it skip elsewhere."""

from __future__ import annotations

import os
import threading


class TerminalStderr:
    """``Popen(..., stderr=t.slave)``, then ``t.started()``; ``t.text()`` once the child has
    ended. Read on a thread, so a child that says much never blocks on a full terminal."""

    def __init__(self):
        import pty

        self.master, self.slave = pty.openpty()
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:             # Linux: every copy of the terminal's other end closed
                return
            if not data:                # macOS
                return
            self._chunks.append(data)

    def started(self) -> None:
        """Close this process's copy of the child's end, so the reading ends with the child."""
        os.close(self.slave)

    def text(self, timeout: float = 30) -> str:
        """What the child wrote, lines ending in \\n (a terminal writes \\r\\n)."""
        self._reader.join(timeout)
        return b"".join(self._chunks).decode(errors="replace").replace("\r\n", "\n")
