"""A whole library in Up next: each change moves only the rows it touches, and the rows, the
current row, the selection and the place in the list stay with their songs."""

from __future__ import annotations

import random

from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView

from player.audio.queue import QueueEntry
from player.ui.queue_panel import alike

N = 20_000


def _choose_rows(panel, first: int, last: int) -> None:
    chosen = panel.list.selectionModel()
    chosen.setCurrentIndex(panel.rows.index(first), QItemSelectionModel.NoUpdate)
    chosen.select(QItemSelection(panel.rows.index(first), panel.rows.index(last)),
                  QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)


def _selected(panel) -> list:
    return panel._selected_entries()


def _current(panel):
    return panel.rows.entry(panel.list.currentIndex().row())


def test_a_song_ending_a_skip_a_move_a_removal_and_a_shuffle_keep_the_rows_on_their_songs(qtbot, shown_up_next):
    queue = [QueueEntry(i, "library", False) for i in range(N)]
    panel = shown_up_next(queue)
    _choose_rows(panel, 5000, 5002)
    panel.list.scrollTo(panel.rows.index(5000), QAbstractItemView.PositionAtTop)
    bar = panel.list.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() > 0)
    chosen, current = _selected(panel), _current(panel)
    inserted, removed = [], []
    panel.rows.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    panel.rows.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    resets = []
    panel.rows.modelReset.connect(lambda: resets.append(1))

    def shown(q: list) -> None:
        at = bar.value()
        panel.set_entries(q)
        assert panel.rows.entries() == q
        assert panel.rows.entry_ids() == set(map(id, q))
        assert _selected(panel) == [e for e in q if any(e is c for c in chosen)]
        assert _current(panel) is current
        assert bar.value() == at                 # the list does not jump as rows go or move

    queue = queue[1:]                            # a song ends
    shown(queue)
    assert removed == [(0, 0)] and not inserted  # one row, not the list
    queue = queue[1:]                            # a skip
    shown(queue)
    moving = queue[9000]                         # a row moved to the top (Play next)
    queue = [moving] + [e for e in queue if e is not moving]
    shown(queue)
    queue = queue[:100] + queue[1100:]           # 1,000 selected and removed
    shown(queue)
    assert removed[-1] == (100, 1099)
    natural = list(queue)
    random.Random(3).shuffle(queue)              # shuffle on, then off
    shown(queue)
    shown(natural)
    queue = natural + [QueueEntry(N + i) for i in range(3)]    # a refill at the end
    shown(queue)
    assert inserted[-1] == (len(queue) - 3, len(queue) - 1)
    assert not resets


def test_an_entry_shown_twice_and_then_once_again_is_told_apart_again(qtbot, shown_up_next):
    queue = [QueueEntry(i) for i in range(300)]
    panel = shown_up_next(queue)
    resets = []
    panel.rows.modelReset.connect(lambda: resets.append(1))
    twice = queue[:150] + [queue[3]] + queue[150:]          # one in the changed stretch is shown above too
    panel.set_entries(twice)
    assert panel.rows.entries() == twice and len(resets) == 1
    panel.set_entries(queue)
    assert panel.rows.entries() == queue and len(resets) == 2
    assert panel.rows.entry_ids() == set(map(id, queue))
    _choose_rows(panel, 10, 10)
    panel.set_entries(queue[1:])                 # told apart again: the rows move, not reset
    assert len(resets) == 2 and _selected(panel) == [queue[10]]
    again = queue[1:] + [QueueEntry(1000), QueueEntry(1001)]
    panel.set_entries(again + [again[-1]])       # one new entry twice
    assert panel.rows.entries() == again + [again[-1]] and len(resets) == 3


def test_alike_counts_the_shared_start_wherever_the_first_difference_is():
    a = [object() for _ in range(5000)]
    for at in (0, 1, 15, 16, 17, 79, 80, 81, 335, 336, 1360, 4999):
        b = list(a)
        b[at] = object()
        assert alike(a, b) == at
        assert alike(reversed(a), reversed(b)) == 4999 - at
    assert alike(a, a) == 5000
    assert alike(a, a[:4000]) == 4000 and alike(a[:16], a) == 16 and alike([], a) == 0


def test_alt_up_and_down_move_the_chosen_rows_one_place_as_a_list_does(qtbot, shown_up_next):
    rng = random.Random(7)
    queue = [QueueEntry(i) for i in range(400)]
    panel = shown_up_next(queue)
    asked = []
    panel.move.connect(lambda entries, before, joined: asked.append((list(entries), list(before), joined)))
    for _ in range(40):
        step = rng.choice([-1, 1])
        rows = sorted(rng.sample(range(400), rng.randint(1, 12)) + rng.choice([[], [0, 1], [398, 399]]))
        shown = panel.rows.entries()
        chosen = {id(shown[r]) for r in rows}
        expected = list(shown)                   # each chosen row swaps with an unchosen neighbour
        for i in (range(1, 400) if step < 0 else range(398, -1, -1)):
            if id(expected[i]) in chosen and id(expected[i + step]) not in chosen:
                expected[i], expected[i + step] = expected[i + step], expected[i]
        asked.clear()
        panel.move_selected(step, [shown[r] for r in set(rows)])
        assert panel.rows.entries() == expected
        if expected == shown:
            assert not asked
            continue
        for entries, before, _joined in asked:   # each stretch goes before the row after it
            at = next(i for i, e in enumerate(expected) if e is entries[0])
            assert expected[at:at + len(entries)] == entries and before == expected[at + len(entries):]
        assert [j for _e, _b, j in asked] == [False] + [True] * (len(asked) - 1)


def test_the_ids_handed_out_stay_as_they_were_when_up_next_changes(qtbot, shown_up_next):
    queue = [QueueEntry(i) for i in range(300)]
    panel = shown_up_next(queue)
    held = panel.rows.entry_ids()
    assert held == set(map(id, queue))
    panel.set_entries(queue[1:] + [QueueEntry(1000)])    # a song ends, a refill comes
    assert held == set(map(id, queue))           # what the caller holds is the rows it asked about
    assert panel.rows.entry_ids() == set(map(id, queue[1:])) | {id(panel.rows.entry(299))}
    assert panel.rows.shown_ids([id(queue[0]), id(queue[1])]) == {id(queue[1])}


def test_a_reorder_of_entries_equal_by_value_keeps_the_selection_on_each_one(qtbot, shown_up_next):
    # Entries with an == of their own (equal when their song is) are told apart by identity
    # still: a shuffle moving one of two equal entries moves its row, not the other's.
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Alike:
        track_id: int
        source: str = "queue"

    queue = [Alike(i % 50) for i in range(400)]                # each song twice, each its own entry
    panel = shown_up_next(queue)
    _choose_rows(panel, 60, 60)                                # the second copy of song 10
    chosen = queue[60]
    order = list(queue)
    random.Random(5).shuffle(order)
    panel.set_entries(order)
    assert all(a is b for a, b in zip(panel.rows.entries(), order))
    assert len(_selected(panel)) == 1 and _selected(panel)[0] is chosen and _current(panel) is chosen


def test_a_shuffle_keeps_a_selection_of_many_rows_apart_on_its_songs(qtbot, shown_up_next):
    # Rows chosen one by one (Ctrl+click), each its own stretch: the rows pointed at are found
    # in the new order in one pass, past a few found one by one; each stays on its song.
    queue = [QueueEntry(i) for i in range(2000)]
    panel = shown_up_next(queue)
    chosen = panel.list.selectionModel()
    for n, row in enumerate(range(7, 2000, 97)):
        chosen.select(panel.rows.index(row), (QItemSelectionModel.ClearAndSelect if n == 0
                                               else QItemSelectionModel.Select) | QItemSelectionModel.Rows)
    chosen.setCurrentIndex(panel.rows.index(1900), QItemSelectionModel.NoUpdate)
    picked, current = _selected(panel), _current(panel)
    assert len(picked) == 21
    for seed in (1, 2):
        order = list(queue)
        random.Random(seed).shuffle(order)
        panel.set_entries(order)
        assert all(a is b for a, b in zip(panel.rows.entries(), order))
        assert {id(e) for e in _selected(panel)} == {id(e) for e in picked} and _current(panel) is current
