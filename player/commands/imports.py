"""``segue imports [--remove ID]`` (or ``segue imports remove ID``): the listening histories
imported so far, and taking one out.

The list gives each file's number, name, kind, when it was imported, its rows and the
plays they are now. ``--remove ID`` takes that file's rows and plays out of the history
(as File → Imported histories… does); the models trained on them are retrained when
the learner next looks (the window's, running or at its next start).
"""

from __future__ import annotations

import argparse
import sys
import time


def add_parser(sub):
    p = sub.add_parser("imports", help="list the imported listening histories, or remove one")
    p.add_argument("--remove", type=int, metavar="ID", help="take this imported file (its number in the list) "
                   "and the plays it became out of the history (also: segue imports remove ID)")
    # `segue imports remove 3` and `segue imports list` are what people type after other tools'
    # commands (git remote remove): taken as --remove 3 and the list, not refused with the
    # usage of `segue` itself.
    p.add_argument("words", nargs="*", metavar="list | remove ID", help=argparse.SUPPRESS)
    return p


def _words(args) -> str | None:
    """Read ``remove ID`` or ``list`` into ``args``; what is wrong with other words, or None."""
    words = args.words
    if not words or words == ["list"]:
        return None
    if words == ["remove"]:
        return "remove which? `segue imports` lists the imported files with their numbers: `segue imports remove ID`"
    if words[0] == "remove" and len(words) == 2 and args.remove is None:
        try:
            args.remove = int(words[1])
            return None
        except ValueError:
            return f"'{words[1]}' is no number of an imported file (`segue imports` lists them with their numbers)"
    return (f"does not know '{' '.join(words)}': `segue imports` lists the imported files, "
            "`segue imports remove ID` takes one out")


def run(args) -> int:
    from player.history.importer import no_plays_text, removed_text
    from player.store import Store
    from segue_common.listen_exports import FORMAT_NAMES

    wrong = _words(args)
    if wrong:
        print(f"segue imports: {wrong}", file=sys.stderr)
        return 2
    store = Store.open()
    try:
        if args.remove is not None:
            gone = store.remove_import(args.remove)
            if gone is None:
                print(f"segue imports: no imported file numbered {args.remove} (`segue imports` lists them)",
                      file=sys.stderr)
                return 2
            print(f"removed {removed_text(gone)}")
            return 0
        rows, counts, fills = store.history_imports(), store.import_counts(), store.import_fill_in_counts()
        if not rows:
            print("no listening history imported (`segue import FILE...` imports one)")
            return 0
        for r in rows:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["imported_at"]))
            stored, plays = counts.get(r["id"], (0, 0))
            why = f": {no_plays_text(r, stored, fills.get(r['id'], (0, 0, 0)))}" if not plays else ""
            print(f"{r['id']:>4}  {r['name']}  ({FORMAT_NAMES.get(r['format'], r['format'])}, imported {when}): "
                  f"{r['rows']:,} rows, {plays:,} plays" + why)
        return 0
    finally:
        store.close()
