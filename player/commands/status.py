"""``segue status``: the library, its analysis, and the state of the local models.

``segue status --train`` also trains the local models now (what the app does in
the background after new plays) and prints the new run.
"""

from __future__ import annotations

import json
import time


def add_parser(sub):
    p = sub.add_parser("status", help="library, analysis and training state (last training, metrics)")
    p.add_argument("--train", action="store_true", help="train the local models from your plays now")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def _ago(t: float | None) -> str:
    if not t:
        return "never"
    s = max(0, time.time() - t)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(t))} ({s / size:.0f} {unit} ago)"
    return f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(t))} (just now)"


def _analysis(store) -> dict:
    """Analysed / failed counts from the analysis's store reader, when it exists."""
    counts = getattr(store, "feature_counts", None)
    if counts is None:
        return {"available": False}
    try:
        version = store.latest_feature_version()
        if version is None:
            return {"available": False}
        return {"available": True, "model": version, **dict(counts(version))}
    except Exception as exc:  # noqa: BLE001 - status must print even when analysis is mid-migration
        return {"available": False, "error": str(exc)}


def _dir_size(path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def collect(store) -> dict:
    """Everything ``segue status`` prints, as a dict."""
    from player import paths
    from recommender.local_models import current_run

    lib = store.library_counts()
    last = store.last_model_run(ok_only=False)
    last_ok = store.last_model_run()
    run = current_run(paths.local_models_dir())
    priors_dir = paths.shipped_models_dir() / "priors"
    done = last_ok["n_plays"] if last_ok is not None else 0
    return {
        "database": str(paths.db_path()),
        "library": lib,
        "analysis": _analysis(store),
        "priors": sorted(p.stem for p in priors_dir.glob("*.npz")) if priors_dir.exists() else [],
        "training": {
            "last_finished_at": last_ok["finished_at"] if last_ok is not None else None,
            "last_n_plays": done,
            "plays_since": max(0, lib["plays"] - (done or 0)),
            "metrics": json.loads(last_ok["metrics"]) if last_ok is not None and last_ok["metrics"] else {},
            "last_error": last["error"] if last is not None and last["error"] else None,
            "models_dir": str(paths.local_models_dir()),
            "current_run": run.name if run is not None else None,
            "models_bytes": _dir_size(paths.local_models_dir()),
        },
    }


def run(args) -> int:
    from player.store import Store

    store = Store.open()
    try:
        if args.train:
            from player.trainer import Trainer

            result = Trainer(store).train_now(progress=lambda stage, f: print(f"  training: {stage} ({f:.0%})"))
            if result is not None and result.path is None:
                print(f"  {result.metrics.get('note', 'nothing to train')}")
        info = collect(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return 0
    lib, tr, an = info["library"], info["training"], info["analysis"]
    print(f"database:   {info['database']}")
    print(f"library:    {lib['tracks']} tracks ({lib['seconds'] / 3600:.1f} h), {lib['missing']} missing, "
          f"{lib['errors']} unreadable, {lib['folders']} folders")
    if an.get("available"):
        print("analysis:   " + ", ".join(f"{k} {v}" for k, v in an.items() if k != "available"))
    else:
        print("analysis:   not available yet (segue analyse)")
    print(f"priors:     {', '.join(info['priors']) or 'none installed (audio-only cold start)'}")
    print(f"plays:      {lib['plays']} ({tr['plays_since']} since the last training)")
    print(f"trained:    {_ago(tr['last_finished_at'])}" + (f" on {tr['last_n_plays']} plays" if tr["last_finished_at"] else ""))
    if tr["metrics"]:
        shown = {k: v for k, v in tr["metrics"].items() if k not in ("n_plays",)}
        print("metrics:    " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                         for k, v in shown.items()))
    if tr["last_error"]:
        print(f"last error: {tr['last_error']}")
    print(f"models:     {tr['current_run'] or 'none (priors and audio only)'} in {tr['models_dir']} "
          f"({tr['models_bytes'] / 1e6:.1f} MB)")
    return 0
