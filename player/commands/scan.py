"""``segue scan PATH...``: add folders to the library and scan them."""

from __future__ import annotations

import os
import sys


def add_parser(sub):
    p = sub.add_parser("scan", help="add music folders to the library and scan them")
    p.add_argument("paths", nargs="*", help="folders to add (default: rescan the library's folders)")
    return p


def run(args) -> int:
    from player.library.decoders import ffmpeg_need
    from player.library.scanner import NOT_CONNECTED, STAT_DENIED_IS_THE_FOLDERS, Scanner
    from player.progress import ProgressBar
    from player.store import Store
    from segue_common.text import shown

    for path in args.paths:
        if not os.path.isdir(path):
            print(f"segue scan: {path}: not a folder", file=sys.stderr)
            return 2
    store = Store.open()
    if not args.paths and not store.folders():
        print("segue scan: no library folders yet; name one: segue scan ~/Music", file=sys.stderr)
        return 2
    bar = ProgressBar("scanning")

    def some(n: int, thing: str) -> str:
        return f"{n} {thing}{'s' * (n != 1)}"

    def report(p) -> None:
        if p.total:
            bar.update(p.done, p.total, f"files read ({some(p.errors, 'error')})")
        else:
            bar.update(p.seen, None, f"audio {'file' if p.seen == 1 else 'files'} found so far")

    try:
        result = Scanner(store, progress=report).scan(args.paths or None)
    except KeyboardInterrupt:
        # Ctrl-C: what was read is in the library already, and the next scan reads only the rest.
        bar.close("interrupted: the files read so far are kept; `segue scan` again reads the rest")
        store.close()
        return 130
    bar.close(
        f"scanned {some(result.done, 'file')}: {result.read} read, {result.unchanged} unchanged, "
        f"{some(result.errors, 'error')}, {result.missing} now missing, {result.moved} moved"
    )
    if result.reread:
        print(f"{result.reread} unchanged files were read again: this version of Segue reads their tags better")
    if result.ffmpeg_found:
        print(f"{result.ffmpeg_found} unchanged files were read again: ffmpeg, which they need, is found now")
    if result.same:
        print(f"{result.same} of the files read held the tags their tracks had (written to, their permissions "
              f"or links changed, or read again)")
    if result.linked:
        print(f"imported listening history became {result.linked} plays of the new tracks")
    if result.playlist_links:
        print(f"{result.playlist_links} playlist entries now name tracks of the library")
    for path, error in result.error_paths[:20]:
        print(f"  error: {shown(path)}: {error}")
    if result.errors > 20:
        print(f"  ... and {result.errors - 20} more (segue library --errors)")
    # A scan reads only what changed: unreadable files left as they were are not in its count.
    unreadable = store.library_counts()["errors"]
    if unreadable > result.errors:
        print(f"{unreadable} unreadable file{'s' * (unreadable != 1)} in the library (segue library --errors)")
    # Said at every scan while it lasts: the packaged app comes without ffmpeg, and nothing
    # else tells why those files do not play.
    need = ffmpeg_need(store)
    if need.missing:
        print(need.words())
    for folder, reason in result.unreadable_folders[:20]:
        if reason == NOT_CONNECTED:
            # (a mount point found empty read well, not as a folder that "cannot be read")
            print(f"  empty, its songs kept: {shown(folder)} (a disk or share not connected? none of them is "
                  "suggested until it is back; delete the empty folder if they are gone for good)")
        elif os.path.islink(folder) and not os.path.exists(folder):
            # (a link to a disk or share not connected: neither a folder that would not list
            # nor one file, and on Windows it was named "its track", though it leads to many)
            print(f"  link {shown(folder)}: {reason} (its tracks are left as they were)")
        elif STAT_DENIED_IS_THE_FOLDERS or os.path.isdir(folder):
            print(f"  cannot read folder {shown(folder)}: {reason} (its tracks are left as they were)")
        else:   # (one file Windows would not let be looked at)
            print(f"  cannot look at {shown(folder)}: {reason} (its track is left as it was)")
    for folder in result.unavailable:
        print(f"  not there or empty, its tracks left as they were: {shown(folder)} (a disk or share not connected?)"
              "; none of them is suggested until it is back")
    for folder in result.back:
        print(f"  connected again: {shown(folder)}")
    if result.duplicates:
        print(f"  {result.duplicates} more paths led to files already in the library (links): one track each")
    store.close()
    return 0
