"""How long typing to find a row in the library table keeps the window waiting.

    python -m benchmarks.bench_type_find                  # 100,000 tracks, best of 5
    python -m benchmarks.bench_type_find --tracks 20000

Qt asks the table's model for the next row whose text in the current column starts with
what was typed (``match``), on the GUI thread, at each key. A third of the artists are
written with their accents decomposed ("É" as "E" and a combining accent, as a Mac names
files); the table is sorted by artist and the search starts at its first row. Each case is
timed with the model's own ``match`` and, in the same run, Qt's (``QAbstractItemModel.match``,
which asks ``data`` row by row and compares the characters as they are) and folding each row's
text in turn (the model's search before each column kept an index of its folded text), beside the
rows each found; then what making those indexes costs (on the loader's worker) in time and memory,
beside making them with case alone folded (accents kept), as they were made before.
"""

from __future__ import annotations

import argparse
import os
import time
import unicodedata

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _best_ms(fn, runs: int):
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000, [i.row() for i in out]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from PySide6.QtCore import QAbstractItemModel, Qt
    from PySide6.QtWidgets import QApplication

    from benchmarks.library_gen import library_rows
    from player.library.search import LibraryData
    from player.ui.library_model import COLUMNS, LibraryModel

    app = QApplication.instance() or QApplication([])     # noqa: F841 (a model needs one)
    rows = library_rows(args.tracks, seed=3)
    for i, r in enumerate(rows):
        r["id"] = 1000 + i
        if i % 3 == 0:
            r["artist"] = unicodedata.normalize("NFD", f"Édith {r['artist']}")
    model = LibraryModel()
    model.set_library(LibraryData.from_rows(rows))
    column = [k for k, _ in COLUMNS].index("artist")
    model.sort(column, Qt.AscendingOrder)
    start = model.index(0, column)
    flags = Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap
    cases = [("nothing starts so ('zzq')", "zzq"), ("the first row", start.data()[:3]),
             ("past the middle ('m')", "m"), ("an accent typed composed ('éd')", "éd"),
             ("an accent left out ('ed')", "ed")]
    print(f"{args.tracks} tracks, best of {args.runs}")
    print(f"{'typed':34} {'model ms':>9} {'by row ms':>9} {'Qt ms':>9} {'row/model':>9} {'Qt/model':>9}"
          "  row found (model / by row / Qt)")
    for name, typed in cases:
        ours = _best_ms(lambda: model.match(start, Qt.DisplayRole, typed, 1, flags), args.runs)
        by_row = _best_ms(lambda: model._match_row_by_row(start, "artist", typed, 1, flags), args.runs)
        qts = _best_ms(lambda: QAbstractItemModel.match(model, start, Qt.DisplayRole, typed, 1, flags), args.runs)
        print(f"{name:34} {ours[0]:9.2f} {by_row[0]:9.2f} {qts[0]:9.2f} {by_row[0] / max(ours[0], 1e-6):9.1f}"
              f" {qts[0] / max(ours[0], 1e-6):9.1f}  {ours[1]} / {by_row[1]} / {qts[1]}")
    print(f"\n{'index of':10} {'made in ms':>10} {'kept ms':>8} {'ratio':>6} {'MB':>6}  (when the library loads, on "
          "its worker; kept: folding case alone, accents kept, as the index did before it folded them)")
    from player.library import search

    def accents_kept(text: str, sensitive: bool = False) -> str:
        text = text if sensitive else text.casefold()
        return text if text.isascii() else unicodedata.normalize("NFC", text)

    for key, index in model.data_.typed.items():
        t0 = time.perf_counter()
        type(index)(model.data_.text[key])
        made = time.perf_counter() - t0
        folded, search.typed_form = search.typed_form, accents_kept
        try:
            t0 = time.perf_counter()
            type(index)(model.data_.text[key])
            kept = time.perf_counter() - t0
        finally:
            search.typed_form = folded
        print(f"{key:10} {made * 1000:10.1f} {kept * 1000:8.1f} {made / max(kept, 1e-9):6.2f}"
              f" {index.nbytes / 1e6:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
