"""The window process never imports torch: a real window, its learner analysing, a trained run ranked."""

from __future__ import annotations

import textwrap

from tests.player.ui.conftest import run_window_script

CHILD = textwrap.dedent("""
    import json, os, sys
    from PySide6.QtCore import QTimer
    from player.store import Store
    from player.ui.main import create_app, default_engine_factory
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    app = create_app()
    store = Store.open()
    window = MainWindow(store, engine_factory=default_engine_factory(store))
    window.enable_intelligence(analyse=True)
    out = {}

    def finished(message):
        rec = window.provider.recommender()
        ids = [int(t) for t in rec.catalog.track_ids[:3]]
        out["up_next"] = [r.track_id for r in window.provider.up_next(ids, 3)]
        out["session_model"] = rec.models.session is not None
        out["analysed"] = message.analysed
        out["learner_pid"] = window.intelligence.learner.pid
        QTimer.singleShot(0, app.quit)

    window.intelligence.analysis_finished.connect(finished)
    window.show()
    QTimer.singleShot(180_000, app.quit)
    app.exec()
    window.close()
    wait_all(10_000)            # as the app ends: the interpreter's exit with workers running can crash
    with open("/proc/self/maps" if os.path.exists("/proc/self/maps") else os.devnull) as maps:
        out["torch_mapped"] = [line.split()[-1] for line in maps if "torch" in line.rsplit("/", 1)[-1]][:3]
    out["torch_modules"] = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))[:5]
    out["pid"] = os.getpid()
    store.close()
    print(json.dumps(out))
""")


def test_window_ranks_with_trained_models_while_the_learner_analyses_and_never_loads_torch(scanned, segue_home):
    from player.learner.core import Learner

    ids = [r["id"] for r in scanned.tracks()]
    t = 1_700_000_000.0
    for k, track_id in enumerate(ids * 2):     # two sessions: enough for every local model
        play = scanned.start_play(track_id, source="library", track_ms=3000, now=t + 10 * k + 5000 * (k // 8))
        scanned.end_play(play, "finished", 3000, now=t + 10 * k + 3 + 5000 * (k // 8))
    result = Learner(scanned).train()       # in this (test) process: torch is fine here
    assert "session_gru" in result.trained and (result.path / "session_gru.npz").exists()
    out, _ = run_window_script(CHILD, segue_home, timeout=240)
    assert out["analysed"] == len(ids) and len(scanned.features()) == len(ids)   # the learner did it
    assert out["learner_pid"] != out["pid"]
    assert out["session_model"] and len(out["up_next"]) == 3                     # the GRU ranked, in numpy
    assert out["torch_modules"] == [] and out["torch_mapped"] == []
