"""``segue library``: what the library holds, and the files it could not read."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("library", help="show library counts and unreadable files")
    p.add_argument("--errors", action="store_true", help="list every unreadable file with its error")
    p.add_argument("--restore-backup", nargs="?", const="newest", metavar="BACKUP",
                   help="replace a damaged library with its newest backup (or BACKUP); the damaged file is kept")
    p.add_argument("--new-library", action="store_true",
                   help="set a damaged library aside and start an empty one (your music files are not touched)")
    return p


def _window_is_open(data_dir) -> bool:
    """Whether a Segue window holds this library (its lock file is taken by a live process)."""
    from PySide6.QtCore import QLockFile

    lock = QLockFile(str(data_dir / "window.lock"))
    lock.setStaleLockTime(0)
    if lock.tryLock(0):
        lock.unlock()
        return False
    return lock.error() == QLockFile.LockFailedError


def _recover(args) -> int:
    import sys

    from player import paths
    from player.store import Store, recovery
    from segue_common.text import shown

    db = paths.db_path()
    if _window_is_open(db.parent):
        # Renaming the file under an open window would split the library in two.
        print("segue library: Segue is open on this library; close its window first", file=sys.stderr)
        return 2
    if args.new_library:
        aside = recovery.start_new_library(db)
        print(f"the old library was kept as {shown(str(aside))}" if aside else "there was no library yet")
    else:
        aside, backup = recovery.restore_backup(db, None if args.restore_backup == "newest" else args.restore_backup)
        print(f"restored {shown(str(backup))}" + (f"; the damaged library was kept as {shown(str(aside))}"
                                                  if aside else ""))
    Store.open().close()              # migrate the restored copy (or create the new one) now
    print(f"library: {shown(str(db))} (rescan with: segue scan)")
    return 0


def run(args) -> int:
    from collections import Counter

    from player import paths
    from player.store import Store
    from segue_common.text import in_path_order, shown

    if args.restore_backup or args.new_library:
        return _recover(args)
    store = Store.open()
    c = store.library_counts()
    hours = c["seconds"] / 3600
    print(f"database:  {paths.db_path()}")
    print(f"folders:   {c['folders']}")
    folders = store.folders()
    # (in the order people sort names, as the library lists them: the store's is by code point)
    for row in (folders[i] for i in in_path_order([f["path"] for f in folders])):
        away = " (not there or empty at the last scan: a disk or share not connected?)" if row["away_since"] else ""
        print(f"  {shown(row['path'])}{away}")
    print(f"tracks:    {c['tracks']} ({hours:.1f} hours)")
    # (a library folder's own disk, or a share mounted inside one: the folder's line says only the first)
    away = Counter(store.away_tracks().values())
    if away:
        print(f"away:      {sum(away.values())} (on a disk or share not connected at the last scan: kept, "
              "they play once it is back)")
        homes = list(away)
        for home in (homes[i] for i in in_path_order(homes)):
            print(f"  {shown(home)}: {away[home]} track{'s' * (away[home] != 1)}")
    print(f"missing:   {c['missing']}")
    print(f"errors:    {c['errors']}")
    print(f"plays:     {c['plays']}")
    imported, kept = store.imported_play_count(), store.unmatched_count()
    if imported or kept:
        files = len(store.history_imports())
        print(f"  imported: {imported} play{'s' * (imported != 1)} from {files} file{'s' * (files != 1)}; "
              f"{kept} row{'s' * (kept != 1)} kept for songs not in the library")
    errors = store.track_errors()
    for row in errors if args.errors else errors[:10]:
        print(f"  {shown(row['path'])}: {row['last_error']}")
    if not args.errors and len(errors) > 10:
        print(f"  ... {len(errors) - 10} more (segue library --errors)")
    store.close()
    return 0
