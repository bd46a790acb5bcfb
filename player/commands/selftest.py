"""``segue self-test`` (also ``segue --self-test``): check this installation without a window."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("self-test", help="check this installation end to end (no window) and exit")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    return p


def run(args) -> int:
    from player.selftest import run_selftest

    return run_selftest(keep=getattr(args, "keep", False))
