"""Work cut into steps on the GUI thread (player.ui.steps)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Many short chains of steps, the garbage collector run between steps, as the Listening tab's
# plots are redrawn after every play while it shows (each redraw is a chain of a dozen steps,
# and the program's own allocations run the collector at any time).
CHAINS = """
import gc
from PySide6.QtCore import QCoreApplication, QObject
from player.ui.steps import Steps

app = QCoreApplication([])
context = QObject()
ran, chains = [0], 300

def steps(n):
    for i in range(n):
        ran[0] += 1
        if i % 4 == 0:
            gc.collect()
        yield

def chain(left):
    if left:
        Steps(context, steps(20), done=lambda: chain(left - 1))
    else:
        app.quit()

chain(chains)
app.exec()
print(ran[0])
"""


def test_many_chains_of_steps_with_the_collector_running_do_not_crash():
    # In a process of its own: the crash this guards against kills the process.
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", CHAINS], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == str(300 * 20)


def test_steps_run_in_turns_and_stop_when_cancelled_or_their_context_goes(qtbot):
    from PySide6.QtCore import QObject

    from player.ui.steps import Steps

    ran, finished = [], []

    def steps(name, n):
        for i in range(n):
            ran.append((name, i))
            yield

    context = QObject()
    whole = Steps(context, steps("whole", 3), done=lambda: finished.append("whole"))
    assert ran == [("whole", 0)]            # the first step at once, the rest in later turns
    cut = Steps(context, steps("cut", 10))
    cut.cancel()
    qtbot.waitUntil(lambda: finished == ["whole"], timeout=2000)
    assert not whole.active and not cut.active
    assert [r for r in ran if r[0] == "cut"] == [("cut", 0)]
    whole.cancel()                          # cancelling one that is done is nothing

    other = QObject()
    orphan = Steps(other, steps("orphan", 10))
    other.deleteLater()
    qtbot.wait(50)
    assert [r for r in ran if r[0] == "orphan"] == [("orphan", 0)]
    orphan.cancel()                         # its context gone: nothing to stop, no error
