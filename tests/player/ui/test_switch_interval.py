"""The window's process hands the GIL over sooner than Python's default; the learner keeps its own."""

from __future__ import annotations

import re
import textwrap

from tests.player.ui.conftest import run_window_script

CHILD = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QTimer
    from player.learner import messages as m
    from player.store import Store
    from player.ui.main import create_app
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    default = sys.getswitchinterval()
    app = create_app()
    store = Store.open()
    window = MainWindow(store, engine_factory=None)
    window.enable_intelligence(analyse=False)
    out = {"default": default}

    def told(message):
        if isinstance(message, m.Ready):
            out["learner_pid"] = message.pid
            QTimer.singleShot(0, app.quit)

    window.intelligence.learner_message.connect(told)
    window.show()
    QTimer.singleShot(60_000, app.quit)
    app.exec()
    out["window"] = sys.getswitchinterval()
    window.close()
    wait_all(10_000)
    store.close()
    print(json.dumps(out))
""")


def test_the_window_switches_threads_sooner_and_the_learner_keeps_the_default(tmp_path):
    home = tmp_path / "home"
    out, proc = run_window_script(CHILD, home, timeout=120)
    assert "learner_pid" in out, proc.stderr[-3000:]
    # A worker's Python code keeps the GUI thread waiting for the GIL up to one interval at a time.
    assert out["window"] == 0.001 < out["default"]
    # The learner, spawned from the window, runs at Python's own interval: its throughput matters more.
    logged = (home / "logs" / "learner.log").read_text()
    started = re.search(rf"learner process {out['learner_pid']} started .*switch interval ([\d.]+) ms", logged)
    assert started is not None, logged[-2000:]
    assert float(started.group(1)) == 1000 * out["default"]
