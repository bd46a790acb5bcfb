"""``segue imports [--remove ID]``: the listening histories imported so far, and taking one out.

The list gives each file's number, name, kind, when it was imported, its rows and the
plays they are now. ``--remove ID`` takes that file's rows and plays out of the history
(as File → Imported histories… does); the models trained on them are retrained when
the learner next looks (the window's, running or at its next start).
"""

from __future__ import annotations

import sys
import time


def add_parser(sub):
    p = sub.add_parser("imports", help="list the imported listening histories, or remove one")
    p.add_argument("--remove", type=int, metavar="ID", help="take this imported file (its number in the list) "
                   "and the plays it became out of the history")
    return p


def run(args) -> int:
    from player.history.importer import no_plays_text, removed_text
    from player.store import Store
    from segue_common.listen_exports import FORMAT_NAMES

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
        rows, counts = store.history_imports(), store.import_counts()
        if not rows:
            print("no listening history imported (`segue import FILE...` imports one)")
            return 0
        for r in rows:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["imported_at"]))
            stored, plays = counts.get(r["id"], (0, 0))
            print(f"{r['id']:>4}  {r['name']}  ({FORMAT_NAMES.get(r['format'], r['format'])}, imported {when}): "
                  f"{r['rows']:,} rows, {plays:,} plays" + (f": {no_plays_text(r, stored)}" if not plays else ""))
        return 0
    finally:
        store.close()
