"""``segue status``: the library, its analysis, and the state of the local models.

``segue status --train`` also trains the local models now, in this process, with the
learner's own training (:meth:`player.learner.core.Learner.train`, what the app's
learner process does after new plays), and prints the new run.
"""

from __future__ import annotations

import json


def add_parser(sub):
    p = sub.add_parser("status", help="library, analysis and training state (last training, metrics)")
    p.add_argument("--train", action="store_true", help="train the local models from your plays now")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


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
    from player.library.decoders import ffmpeg_need
    from player.plain_words import measured
    from player.trainer import Trainer
    from recommender.local_models import current_run

    # (the tracks on a disk or share not connected at the last scan, as `segue library` counts them)
    lib = {**store.library_counts(), "away": len(store.away_tracks())}
    last = store.last_model_run(ok_only=False)
    last_ok = store.last_model_run()
    run = current_run(paths.local_models_dir())
    priors_dir = paths.shipped_models_dir() / "priors"
    done = last_ok["n_plays"] if last_ok is not None else 0
    need = ffmpeg_need(store)
    return {
        "database": str(paths.db_path()),
        "library": lib,
        "ffmpeg": {"path": need.path, "tracks_needing": need.tracks, "unreadable_needing": need.unreadable,
                   "kinds": need.kinds},
        "analysis": _analysis(store),
        "priors": sorted(p.stem for p in priors_dir.glob("*.npz")) if priors_dir.exists() else [],
        "training": {
            "last_finished_at": last_ok["finished_at"] if last_ok is not None else None,
            "last_n_plays": done,
            # (the rows the learner reads, as it counts them: a failed play's too)
            "plays_since": max(0, store.play_count() - (done or 0)),
            # As the learner judges it (due "now", "quiet" or None): the count alone said
            # nothing of an imported file taken out or swapped for one of as many plays.
            **Trainer(store, models_dir=paths.local_models_dir()).behind(),
            "metrics": measured(json.loads(last_ok["metrics"])) if last_ok is not None and last_ok["metrics"] else {},
            "last_error": last["error"] if last is not None and last["error"] else None,
            "models_dir": str(paths.local_models_dir()),
            "current_run": run.name if run is not None else None,
            "models_bytes": _dir_size(paths.local_models_dir()),
        },
    }


MODEL_NAMES = {"wmf": "taste model (WMF)", "autorec": "second taste model (AutoRec)",
               "session_gru": "next-song model (GRU)"}


def describe(info: dict) -> list[str]:
    """``segue status`` in plain words (``--json`` keeps every number under its own name)."""
    from player.plain_words import behind, learned_from, training_summary, when

    lib, tr, an = info["library"], info["training"], info["analysis"]
    out = [f"Library:    {lib['tracks']:,} tracks ({lib['seconds'] / 3600:.1f} hours) in "
           f"{lib['folders']} folder{'s' if lib['folders'] != 1 else ''}"]
    if lib.get("away"):
        out.append(f"            {lib['away']:,} of them on a disk or share not connected at the last scan "
                   "(kept: they play once it is back; segue library says where)")
    if lib["errors"] or lib["missing"]:
        out.append(f"            {lib['errors']:,} files could not be read (segue library --errors), "
                   f"{lib['missing']:,} are missing from their folders")
    ff = info.get("ffmpeg") or {}
    if ff.get("path"):
        out.append(f"ffmpeg:     {ff['path']} (plays m4a/AAC, ALAC, WMA, Matroska, WebM and the other formats)")
    else:
        from player.library.decoders import FfmpegNeed

        need = FfmpegNeed(None, ff.get("tracks_needing", 0), ff.get("unreadable_needing", 0), ff.get("kinds", []))
        out.append("ffmpeg:     " + (need.words().removeprefix("ffmpeg is ")
                                     or "not installed (no file of the library needs it)"))
    if an.get("available"):
        done, total = an.get("analysed", 0), an.get("analysed", 0) + an.get("errors", 0) + an.get("pending", 0)
        line = f"Sound:      {done:,} of {total:,} tracks analysed for how they sound"
        if an.get("errors"):
            line += f" ({an['errors']:,} could not be decoded)"
        if an.get("pending"):
            line += f"; {an['pending']:,} still to do (segue analyse, or leave the window open)"
        out.append(line)
    else:
        out.append("Sound:      not analysed yet (segue analyse, or leave the window open)")
    # Before any training (a fresh install, a history forgotten) there is no "last training".
    # (every song started, as the learner counts what is new to it: a skip and a failure tell it
    # something too, where the plays counted are those heard)
    since = [f"{tr['plays_since']:,} song{'s' * (tr['plays_since'] != 1)} started since the last training"
             if tr["last_finished_at"]
             else "none learned from yet" if lib["plays"] else "", behind(tr)]
    if tr["last_error"] and not tr["due"]:
        # The failed run read these plays: the learner tries again once another comes. Without
        # this, plays not learned from went with no word of when they would be.
        since.append("the last training failed: it tries again after your next song")
    since = "; ".join(part for part in since if part)
    out.append(f"Plays:      {lib['plays']:,}" + (f" ({since})" if since else ""))
    if tr["last_finished_at"]:
        out.append(f"Learned:    {when(tr['last_finished_at'])} from "
                   f"{learned_from(tr['metrics'], tr['last_n_plays'])}")
        for line in training_summary(tr["metrics"]):
            out.append(f"            {line}")
    else:
        out.append("Learned:    nothing yet; until then Up next, Radio and Discover go by the shipped "
                   "knowledge and the sound of your tracks")
    if tr["last_error"]:
        out.append(f"Last error: {tr['last_error']}")
    kinds = ", ".join(MODEL_NAMES.get(k, k) for k in tr["metrics"].get("models", []))
    if tr["current_run"]:
        out.append(f"Models:     {kinds or 'trained'}: {tr['current_run']} ({tr['models_bytes'] / 1e6:.1f} MB) "
                   f"in {tr['models_dir']}")
    else:
        out.append(f"Models:     none yet (shipped knowledge and sound only); they will be in {tr['models_dir']}")
    shipped = ", ".join(info["priors"]) or "none installed (sound only for a cold start)"
    out.append(f"Shipped:    what many listeners play, from public data: {shipped}")
    out.append(f"Database:   {info['database']}")
    return out


def run(args) -> int:
    from player.store import Store

    store = Store.open()
    try:
        if args.train:
            from player.learner.core import Learner

            from player.plain_words import stage

            result = Learner(store).train(progress=lambda name, f: print(f"  learning: {stage(name)} ({f:.0%})"))
            if result is not None and result.path is None:
                print(f"  {result.metrics.get('note', 'nothing to train')}")
        info = collect(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return 0
    for line in describe(info):
        print(line)
    return 0
