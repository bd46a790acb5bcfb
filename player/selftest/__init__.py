"""``segue --self-test``: prove an installation (or a frozen bundle) is complete, without a window.

Every step exercises the real code path on real data in a throw-away data folder:
the SQLite store, generated audio clips written and tagged in three formats, the
library scanner, the decoder, the shipped model files (sha256 against their
manifests), the MSD tagger on the decoded clips, the app's recommender (a radio
station), and the main window, built offscreen and never shown, loading the library
on its worker threads. Each step prints ``ok`` or ``FAILED`` with what it saw; the run
exits 0 only if every step passed. A step whose input came from a failed step fails
too ("not run: needs ...").

The user's own library is never touched: ``SEGUE_HOME`` points at a temporary
folder for the duration of the run (and ``QT_QPA_PLATFORM`` at ``offscreen``); both
are restored afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TextIO

from player.selftest.base import Context, SelfTestError, StepResult, check, need
from player.selftest.clips import CLIP_S, CLIPS, make_clip, write_clip
from player.selftest.steps import STEPS

__all__ = ["CLIPS", "CLIP_S", "Context", "STEPS", "SelfTestError", "StepResult", "check", "make_clip",
           "need", "run_selftest", "run_steps", "select_steps", "write_clip"]


def run_steps(steps, ctx: Context, out: TextIO) -> list[StepResult]:
    """Run ``steps`` in order, printing one line each; a failed step fails its dependants."""
    results: list[StepResult] = []
    passed: set[str] = set()
    width = max(len(name) for name, _, _ in steps)
    for name, fn, needs in steps:
        t0 = time.perf_counter()
        missing = [n for n in needs if n not in passed]
        if missing:
            ok, detail = False, f"not run: needs {', '.join(missing)}"
        else:
            try:
                ok, detail = True, fn(ctx)
            except Exception as exc:  # a self-test reports every failure, whatever its type
                ok = False
                detail = f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, SelfTestError):
                    detail += "\n" + "".join(traceback.format_exception(exc)[-3:]).rstrip()
        dt = time.perf_counter() - t0
        if ok:
            passed.add(name)
        results.append(StepResult(name, ok, detail, dt))
        print(f"{name:<{width}}  {'ok' if ok else 'FAILED'}  ({dt:.2f} s)  {detail}", file=out, flush=True)
    return results


@contextlib.contextmanager
def _logs_of_its_own(home: Path):
    """The run logs into its own data folder, not the person's: its throw-away database's
    migrations and its learner's words are no part of their history (and go with the
    folder unless kept). The person's log gets one line with the verdict, afterwards."""
    from player.log import LOG_FORMAT

    root = logging.getLogger()
    theirs = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
    for handler in theirs:
        root.removeHandler(handler)
    mine = None
    try:
        (home / "logs").mkdir(parents=True, exist_ok=True)
        mine = logging.FileHandler(home / "logs" / "segue.log", encoding="utf-8", errors="backslashreplace")
    except OSError:
        pass            # (nowhere to write: the run's log lines are simply lost)
    else:
        mine.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(mine)
    try:
        yield
    finally:
        if mine is not None:
            root.removeHandler(mine)
            mine.close()
        for handler in theirs:
            root.addHandler(handler)


def select_steps(only=None):
    """:data:`STEPS` restricted to the names in ``only`` and the steps they need (all if None)."""
    if not only:
        return list(STEPS)
    by_name = {name: needs for name, _, needs in STEPS}
    unknown = sorted(set(only) - set(by_name))
    if unknown:
        raise ValueError(f"unknown self-test steps {unknown}; known: {list(by_name)}")
    wanted, todo = set(), list(only)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(by_name[name])
    return [step for step in STEPS if step[0] in wanted]


def run_selftest(*, out: TextIO | None = None, keep: bool = False, only=None) -> int:
    """Run the steps (``only`` these and what they need; default all) in a temporary data
    folder; returns 0 only if every step run passed."""
    from player import __version__

    steps = select_steps(only)
    from player.console import NO_CONSOLE

    if out is None and (sys.stdout is None or "stdout" in NO_CONSOLE):
        # A windowed executable (Segue.exe on Windows) has no stdout (the command line put
        # os.devnull there, for what else prints): write a report file.
        out = open(Path(tempfile.gettempdir()) / "segue-self-test.txt", "w", encoding="utf-8")
    out = out or sys.stdout
    frozen = "yes" if getattr(sys, "frozen", False) else "no"
    print(f"segue {__version__} self-test: Python {platform.python_version()} on {platform.system()} "
          f"{platform.machine()}, frozen: {frozen}", file=out, flush=True)
    saved = {k: os.environ.get(k) for k in ("SEGUE_HOME", "QT_QPA_PLATFORM")}
    workdir = Path(tempfile.mkdtemp(prefix="segue-selftest-"))
    os.environ["SEGUE_HOME"] = str(workdir / "home")
    os.environ["QT_QPA_PLATFORM"] = "offscreen"     # never a window, even on a desktop
    ctx = Context(workdir)
    t0 = time.perf_counter()
    try:
        with _logs_of_its_own(workdir / "home"):
            results = run_steps(steps, ctx, out)
    finally:
        store = ctx.values.get("store")
        if store is not None:
            store.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = [r.name for r in results if not r.ok]
    verdict = "all passed" if not failed else f"FAILED: {', '.join(failed)}"
    logging.getLogger(__name__).info("self-test ran: %d/%d steps ok; %s", len(results) - len(failed),
                                     len(results), verdict)
    print(f"self-test: {len(results) - len(failed)}/{len(results)} steps ok in "
          f"{time.perf_counter() - t0:.1f} s; {verdict}"
          + (f" (files kept in {workdir})" if keep else ""), file=out, flush=True)
    return 0 if not failed else 1
