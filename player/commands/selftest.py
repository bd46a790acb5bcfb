"""``segue self-test`` (also ``segue --self-test``): check this installation without a window."""

from __future__ import annotations

import sys


def add_parser(sub):
    p = sub.add_parser("self-test", help="check this installation end to end (no window) and exit")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    p.add_argument("--only", metavar="STEP[,STEP]", default="",
                   help="run only these steps and the ones they need (e.g. --only decode,radio)")
    return p


def run(args) -> int:
    from player.selftest import run_selftest

    only = [name for name in getattr(args, "only", "").split(",") if name]
    try:
        return run_selftest(keep=getattr(args, "keep", False), only=only)
    except ValueError as exc:
        print(f"segue self-test: {exc}", file=sys.stderr)
        return 2
