"""LibraryModel: search (incremental narrowing equals a fresh scan), sort, selection kept."""

from __future__ import annotations

import random

from PySide6.QtCore import QItemSelectionModel, Qt

from benchmarks.library_gen import library_rows
from player.ui.library_model import COLUMNS, LibraryData, LibraryModel, format_duration


def _data(n=3000):
    rows = library_rows(n, seed=3)
    for i, r in enumerate(rows):
        r["id"] = 1000 + i
    return rows, LibraryData.from_rows(rows)


def _expected(rows, text):
    terms = text.casefold().split()
    hay = [f"{r['title']}\t{r['artist']}\t{r['album']}\t{r['genre']}".casefold() for r in rows]
    return [r["id"] for r, h in zip(rows, hay) if all(t in h for t in terms)]


def test_typing_narrows_to_the_same_rows_as_a_fresh_search(qapp):
    rows, data = _data()
    model = LibraryModel()
    model.set_library(data)
    rng = random.Random(5)
    for _ in range(20):
        word = rng.choice(rows)["title"].split()[0].lower()
        query = ""
        for ch in word + " " + rng.choice(["a", "e", "ro", ""]):
            query += ch
            model.set_filter(query)                     # incremental, one keystroke at a time
            assert model.visible_ids() == _expected(rows, query), query
        while query:                                    # and backspace it away again
            query = query[:-1]
            model.set_filter(query)
            assert model.visible_ids() == _expected(rows, query), query
        assert model.rowCount() == len(rows)


def test_sort_by_column_and_back(qapp):
    rows, data = _data(500)
    model = LibraryModel()
    model.set_library(data)
    artist = [k for k, _ in COLUMNS].index("artist")
    model.sort(artist, Qt.AscendingOrder)
    shown = [model.index(r, artist).data() for r in range(model.rowCount())]
    assert shown == sorted(shown, key=str.casefold)
    model.set_filter("rock")
    shown = [model.index(r, artist).data() for r in range(model.rowCount())]
    assert shown == sorted(shown, key=str.casefold) and set(model.visible_ids()) == set(_expected(rows, "rock"))
    duration = [k for k, _ in COLUMNS].index("duration")
    model.set_filter("")
    model.sort(duration, Qt.DescendingOrder)
    secs = [data.numbers["duration"][data.position(t)] for t in model.visible_ids()]
    assert secs == sorted(secs, reverse=True)


def _in_a_view(n):
    """``n`` generated rows, their data, a model of them and a table view showing it."""
    from PySide6.QtWidgets import QTableView

    rows, data = _data(n)
    model = LibraryModel()
    model.set_library(data)
    view = QTableView()
    view.setModel(model)
    return rows, data, model, view


def test_selection_follows_the_tracks_through_a_filter(qapp):
    rows, data, model, view = _in_a_view(400)
    target = _expected(rows, "velvet")[2]
    row = model.row_of(target)
    view.selectionModel().select(model.index(row, 0), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
    model.set_filter("velvet")
    selected = {model.track_id(i.row()) for i in view.selectionModel().selectedRows()}
    assert selected == {target} and model.row_of(target) == 2
    model.set_filter("")
    assert {model.track_id(i.row()) for i in view.selectionModel().selectedRows()} == {target}


def test_positions_of_many_tracks_agree_with_one_at_a_time():
    rows, data = _data(500)
    wanted = [1000 + 499, 7, 1000, 1000 + 250, 1000 + 500, -1, 1000 + 3]
    assert data.positions(wanted).tolist() == [-1 if data.position(t) is None else data.position(t) for t in wanted]
    titles = [data.text["title"][i] for i in data.positions([1003, 1499]).tolist()]
    assert titles == [rows[3]["title"], rows[499]["title"]]
    assert LibraryData.from_rows([]).positions([1, 2]).tolist() == [-1, -1]


def test_format_duration():
    assert format_duration(0) == "" and format_duration(float("nan")) == ""
    assert format_duration(59.6) == "1:00" and format_duration(3725) == "1:02:05"


def test_numbers_the_window_cannot_hold_are_clamped_not_fatal():
    from player.ui.library_model import LibraryData

    rows = [{"id": 1, "title": "Far future", "artist": 7, "album": None, "genre": "", "track_no": 10**15,
             "year": 3_000_000_000, "duration": float("inf")},
            {"id": 2, "title": "Text year", "artist": "A", "album": "B", "genre": "C", "track_no": "3",
             "year": "nineteen", "duration": "x"}]
    data = LibraryData.from_rows(rows)
    assert data.numbers["year"].tolist() == [2**31 - 1, 0]
    assert data.numbers["track_no"].tolist() == [2**31 - 1, 3]
    assert data.numbers["duration"].tolist() == [0.0, 0.0]
    assert data.text["artist"] == ["7", "A"]


def test_a_large_selection_and_the_current_cell_follow_their_tracks_through_sorts_and_a_filter(qapp):
    # The rows move as a vertical sort: Qt keeps one index per selected row, and the
    # model moves those; every selected row must stay whole and on its track.
    from PySide6.QtCore import QItemSelection
    from PySide6.QtWidgets import QTableView

    rows, data, model, view = _in_a_view(3000)
    view.setSelectionBehavior(QTableView.SelectRows)
    last = model.columnCount() - 1
    selection = QItemSelection()
    for row in list(range(100, 700)) + list(range(1000, 3000, 7)):
        selection.select(model.index(row, 0), model.index(row, last))
    selections = view.selectionModel()
    selections.select(selection, QItemSelectionModel.ClearAndSelect)
    selections.setCurrentIndex(model.index(1500, 3), QItemSelectionModel.NoUpdate)
    chosen = {model.track_id(i.row()) for i in selections.selectedRows()}
    current = model.track_id(1500)
    assert len(chosen) == 600 + len(range(1000, 3000, 7))

    def kept():
        return ({model.track_id(i.row()) for i in selections.selectedRows()},
                len(selections.selectedIndexes()), model.track_id(selections.currentIndex().row()),
                selections.currentIndex().column())

    names = [k for k, _ in COLUMNS]
    for column, order in (("artist", Qt.AscendingOrder), ("duration", Qt.DescendingOrder),
                          ("title", Qt.AscendingOrder)):
        model.sort(names.index(column), order)
        assert kept() == (chosen, len(chosen) * model.columnCount(), current, 3)
    word = rows[current - 1000]["title"].split()[0]
    model.set_filter(word)
    still = chosen & set(model.visible_ids())
    assert 0 < len(still) < len(chosen)
    assert kept() == (still, len(still) * model.columnCount(), current, 3)
