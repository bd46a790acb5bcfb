"""``segue library``: what the library holds, and the files it could not read."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("library", help="show library counts and unreadable files")
    p.add_argument("--errors", action="store_true", help="list every unreadable file with its error")
    return p


def run(args) -> int:
    from player import paths
    from player.store import Store

    store = Store.open()
    c = store.library_counts()
    hours = c["seconds"] / 3600
    print(f"database:  {paths.db_path()}")
    print(f"folders:   {c['folders']}")
    for row in store.folders():
        print(f"  {row['path']}")
    print(f"tracks:    {c['tracks']} ({hours:.1f} hours)")
    print(f"missing:   {c['missing']}")
    print(f"errors:    {c['errors']}")
    print(f"plays:     {c['plays']}")
    errors = store.track_errors()
    for row in errors if args.errors else errors[:10]:
        print(f"  {row['path']}: {row['last_error']}")
    if not args.errors and len(errors) > 10:
        print(f"  ... {len(errors) - 10} more (segue library --errors)")
    store.close()
    return 0
