"""``segue import FILE...``: listening history from Spotify, Last.fm or ListenBrainz exports.

Rows that name a library song become plays (marked as imported); the rest are kept
and become plays when a scan adds their songs. Importing a file again adds nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "import", help="import listening history (Spotify StreamingHistory*.json or extended "
        "Streaming_History_Audio_*.json, Last.fm CSV, ListenBrainz JSON/JSONL or zip)")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="export files to import, or folders holding them (an unzipped download)")
    return p


def run(args) -> int:
    from player.history.importer import batch_text, history_files, import_file, shown_progress
    from player.history.match import TrackMatcher
    from player.progress import ProgressBar
    from player.store import Store

    files = history_files(args.files)
    empty = [p for p in args.files if os.path.isdir(p) and not any(f.is_relative_to(Path(p)) for f, _ in files)]
    store = Store.open()
    failed = passed_over = 0
    summaries = []
    try:
        matcher = TrackMatcher(store.tracks())     # the library does not change between files: index it once
        for path, named in files:
            bar = ProgressBar(f"importing {path.name}")

            def show(*at, bar=bar):
                done, total, stage = shown_progress(*at)
                bar.update(done, total, stage[:1].lower() + stage[1:])

            summary = import_file(store, path, matcher=matcher, progress=show)
            bar.close()
            if summary.not_history and not named:
                passed_over += 1          # a folder's playlists, account details, ...
                continue
            summaries.append(summary)
            # How long it took, as `segue scan` says: years of history is thousands of rows, and
            # the person judges from it whether a larger file is worth the wait.
            print(summary.text() if summary.error else f"{summary.text()} ({summary.seconds:.1f} s)")
            for line, why in summary.problems[:5]:
                print(f"  row {line}: {why}")
            listed = summary.unreadable + summary.now_playing        # (the rows the problems name)
            if listed > 5:
                print(f"  ... and {listed - 5} more rows that are no plays")
            if summary.error:
                failed += 1
        if len(summaries) > 1:
            print(batch_text(summaries))
        if passed_over:
            print(f"{passed_over} file{'s' * (passed_over != 1)} in the folders "
                  f"{'were' if passed_over != 1 else 'was'} not listening history and passed over")
        for folder in empty if files else ():
            print(f"{folder}: holds no .json, .jsonl, .csv, .tsv or .zip files")
        # Said only when some were kept: a file all of whose rows were there already kept none.
        if sum(s.unmatched for s in summaries if not s.error) and store.library_counts()["tracks"] == 0:
            print("The library has no tracks yet, so every row was kept for later: "
                  "`segue scan FOLDER` turns those naming your songs into plays.")
    finally:
        store.close()
    if not files:
        print("segue import: the folders given hold no .json, .jsonl, .csv, .tsv or .zip files", file=sys.stderr)
        return 2
    if failed:
        print(f"segue import: {failed} of {len(files) - passed_over} files could not be imported", file=sys.stderr)
        return 2
    return 0
