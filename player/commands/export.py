"""``segue export plays|tracks|imports``: the database's rows as CSV or JSON.

``plays`` are every play with its track's names (imported ones have source "import"; an
untagged file's names are those its path gives, as the library shows them),
``tracks`` the library, ``imports`` every row of every imported file with the track it
matched (empty when none did yet) and, for a song heard in stretches, the row it began
with (``stretch_of``). Written to a file (atomically) or to stdout.
"""

from __future__ import annotations

import csv
import json
import os
import sys

FORMATS = ("csv", "json")


def add_parser(sub):
    p = sub.add_parser("export", help="export plays, tracks or imported history as CSV or JSON")
    p.add_argument("what", choices=("plays", "tracks", "imports"), help="which rows")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    p.add_argument("--format", choices=FORMATS,
                   help="csv or json (default: from the output's extension, else csv)")
    return p


def write_rows(rows, out, fmt: str, columns=()) -> int:
    """Write dict rows to the text stream ``out`` as CSV (with a header) or a JSON array.
    ``columns``: the CSV's header where there are no rows (an empty file is no table)."""
    count = 0
    if fmt == "json":
        out.write("[")
        for row in rows:
            text = json.dumps(row, ensure_ascii=False)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:   # a file name that is not UTF-8: its bytes as \u escapes
                text = json.dumps(row)
            out.write(("," if count else "") + "\n" + text)
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
        writer.writerow(row)
        count += 1
    if writer is None and columns:
        csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n").writeheader()
    return count


def export_rows(store, what: str):
    """The rows ``segue export WHAT`` writes: the store's, and plays with the names their
    tracks are shown by (see :func:`_named`)."""
    rows = store.export_rows(what)
    return _named(store, rows) if what == "plays" else rows


def _named(store, rows):
    """Plays with the names their tracks are shown by: an untagged file's, from its path
    (as the library shows it), so that its plays can be imported again elsewhere."""
    from player.library.names import Namer

    namer = None
    for row in rows:
        if not (row["artist"] and row["title"]):
            track = store.track(row["track_id"])
            if track is not None:
                namer = namer or Namer.of(store)
                names = namer(track)
                row = {**row, "artist": row["artist"] or names.artist, "title": row["title"] or names.title,
                       "album": row["album"] or names.album}
        yield row


def _segues_own(output: str) -> bool:
    """Whether ``output`` is one of the files Segue keeps in its data folder: the database
    and the files beside it (its journal, backups, damaged copies set aside), the models,
    the logs, the caches. An earlier export the person wrote there is theirs to replace."""
    from player import paths

    target = os.path.normcase(os.path.realpath(output))
    if not os.path.exists(target):
        return False
    data = os.path.normcase(os.path.realpath(paths.data_dir_location()))
    if target == data:
        return True
    for folder in ("models", "logs", "cache", "players"):
        inside = os.path.join(data, folder)
        if os.path.commonpath([inside, target]) == inside:
            return True
    name = os.path.basename(target)
    return os.path.dirname(target) == data and (name.startswith(os.path.normcase("library.db"))
                                                 or name.startswith("window."))


class _Utf8:
    """A binary stream written to as text in UTF-8 (a name that is not UTF-8 as its bytes)."""

    def __init__(self, buffer):
        self.buffer = buffer

    def write(self, text: str) -> int:
        return self.buffer.write(text.encode("utf-8", "surrogateescape"))


def _write_stdout(rows, fmt: str, columns) -> None:
    """The export to stdout in UTF-8, whatever the console's encoding: on Windows stdout sent to a
    file or a pipe is in the code page (cp1252), which has no CJK and would make the CSV or JSON
    something other than UTF-8 (and every other reader of it would get it wrong). The same bytes
    as ``-o FILE`` writes."""
    sys.stdout.flush()                  # anything written as text before comes first
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:                  # stdout replaced by a text-only stream
        write_rows(rows, sys.stdout, fmt, columns)
        sys.stdout.flush()
        return
    write_rows(rows, _Utf8(buffer), fmt, columns)
    buffer.flush()


def run(args) -> int:
    from player.store import Store
    from segue_common.atomic import atomic_open

    fmt = args.format or ("json" if (args.output or "").lower().endswith(".json") else "csv")
    if args.output and not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        # A folder mistyped in the path: said, rather than made (and the file left there).
        print(f"segue export: cannot write {args.output}: no folder {os.path.dirname(os.path.abspath(args.output))}",
              file=sys.stderr)
        return 2
    from player.console import NO_CONSOLE

    if not args.output and "stdout" in NO_CONSOLE:
        # Segue.exe (the windowed Windows bundle) has no console: the export would go nowhere
        # and look done. segue-cli.exe has one; a file needs no console.
        print("segue export: there is no console to write to here; give a file with -o FILE "
              "(or run segue-cli)", file=sys.stderr)
        return 2
    if args.output and _segues_own(args.output):
        # `-o library.db` typed in the data folder replaced the whole library with a CSV.
        print(f"segue export: will not write over {args.output}: it is one of Segue's own files "
              "(the library, its models or logs); choose another file", file=sys.stderr)
        return 2
    store = Store.open()
    try:
        rows = export_rows(store, args.what)
        columns = store.export_columns(args.what)
        if args.output:
            # A file name that is not UTF-8 goes into a CSV as the bytes the file system has.
            with atomic_open(args.output, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
                count = write_rows(rows, f, fmt, columns)
            print(f"wrote {count:,} {args.what} to {args.output}", file=sys.stderr)
        else:
            _write_stdout(rows, fmt, columns)
    except BrokenPipeError:
        # The reader stopped early (`segue export plays | head`): not an error. Point stdout
        # at nothing so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as exc:
        print(f"segue export: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0
