"""Up next's rows, over a few hundred random changes of the queue (songs ending, removals,
refills, moves, shuffles, an entry queued twice, a moved suggestion standing in for itself),
keyboard moves and reorders: the model's signals hold together (Qt's own model tester checks
each), the rows show the queue, the selection stays on its songs and Alt+Up/Down moves as the
plain row-by-row swap does."""

from __future__ import annotations

import random

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QtMsgType
from PySide6.QtTest import QAbstractItemModelTester

from player.audio.queue import QueueEntry
from player.ui.queue_panel import alike


def _unique(entries) -> bool:
    return len(set(map(id, entries))) == len(entries)


def _select(panel, rows) -> None:
    chosen = panel.list.selectionModel()
    selection = QItemSelection()
    for r in rows:
        selection.select(panel.rows.index(r), panel.rows.index(r))
    chosen.select(selection, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)


def _changed(rng: random.Random, queue: list, fresh) -> tuple[list, bool]:
    """The queue after one random change, and whether an entry in it stands in for another."""
    n = len(queue)
    kind = rng.randrange(9)
    if kind == 0 or n < 2:                                   # a refill somewhere
        at = rng.randint(0, n)
        return queue[:at] + [fresh() for _ in range(rng.randint(1, 30))] + queue[at:], False
    a, b = sorted(rng.sample(range(n + 1), 2))
    if kind == 1:                                            # a song ending, a skip
        return queue[rng.randint(1, min(3, n)):], False
    if kind == 2:                                            # a stretch removed
        return queue[:a] + queue[b:], False
    if kind == 3:                                            # scattered rows removed
        return [e for e in queue if rng.random() > 0.2], False
    if kind == 4:                                            # one moved
        e = queue.pop(rng.randrange(n))
        queue.insert(rng.randint(0, n - 1), e)
        return queue, False
    if kind == 5:                                            # a stretch shuffled, or all
        part = queue[a:b] if rng.random() < 0.7 else queue
        rng.shuffle(part)
        return (queue[:a] + part + queue[b:]) if part is not queue else part, False
    if kind == 6:                                            # one queued a second time
        queue.insert(rng.randint(0, n), rng.choice(queue))
        return queue, False
    if kind == 7:                                            # a moved suggestion, now the person's
        at = rng.randrange(n)
        keep = QueueEntry(queue[at].track_id, "suggested", True, was=queue[at])
        rest = queue[:at] + queue[at + 1:]
        to = rng.randint(0, len(rest))
        return rest[:to] + [keep] + rest[to:], True
    mixed = queue[:a] + [fresh() for _ in range(rng.randint(0, 5))] + queue[b:]   # replaced
    return mixed, False


def test_random_changes_keep_the_rows_the_signals_and_the_selection_right(qtbot, shown_up_next, qtlog):
    rng = random.Random(2)
    made = iter(range(10**6))

    def fresh():
        return QueueEntry(next(made))

    queue = [fresh() for _ in range(60)]
    panel = shown_up_next(queue)
    QAbstractItemModelTester(panel.rows, QAbstractItemModelTester.FailureReportingMode.Warning, panel)
    resets = []
    panel.rows.modelReset.connect(lambda: resets.append(1))
    for _ in range(300):
        if len(queue) > 150:
            queue = queue[len(queue) - 60:]
        old = list(queue)
        shown = panel.rows.entries()
        chosen = rng.sample(range(len(shown)), min(len(shown), rng.randint(0, 4)))
        _select(panel, chosen)
        picked = {id(shown[r]) for r in chosen}
        queue, stood_in = _changed(rng, list(queue), fresh)
        resets.clear()
        panel.set_entries(queue)
        assert panel.rows.entries() == queue
        assert panel.rows.entry_ids() == set(map(id, queue))
        both_unique = _unique(old) and _unique(queue)
        assert bool(resets) == (not both_unique)              # a reset only where rows can't be told apart
        if both_unique and not stood_in:
            assert panel._selected_entries() == [e for e in queue if id(e) in picked]
        if rng.random() < 0.3:                                 # the same entries shown in another order
            order = list(queue)
            a, b = sorted(rng.sample(range(len(order) + 1), 2))
            part = order[a:b]
            rng.shuffle(part)
            order[a:b] = part
            panel.rows.show_order(order)
            assert panel.rows.entries() == order
            queue = order
            if rng.random() < 0.5:                             # another set of entries: left alone
                panel.rows.show_order(order[:-1] + [fresh()])
                assert panel.rows.entries() == order
    problems = [r.message for r in qtlog.records if r.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg)
                and "FAIL" in r.message]
    assert not problems


def _swapped(shown: list, chosen: set, step: int) -> list:
    """Each chosen row swapped with an unchosen neighbour, every row visited in turn."""
    order = list(shown)
    for i in (range(1, len(order)) if step < 0 else range(len(order) - 2, -1, -1)):
        if id(order[i]) in chosen and id(order[i + step]) not in chosen:
            order[i], order[i + step] = order[i + step], order[i]
    return order


def test_alt_up_and_down_with_an_entry_queued_twice_move_as_row_by_row_did(qtbot, shown_up_next):
    rng = random.Random(9)
    queue = [QueueEntry(i) for i in range(40)]
    panel = shown_up_next([])
    for _ in range(200):
        shown = [rng.choice(queue) for _ in range(rng.randint(1, 12))] + queue    # some twice
        rng.shuffle(shown)
        panel.set_entries(shown)
        rows = rng.sample(range(len(shown)), rng.randint(1, 6)) + rng.choice([[], [0], [len(shown) - 1]])
        step = rng.choice([-1, 1])
        expected = _swapped(shown, {id(shown[r]) for r in rows}, step)
        panel.move_selected(step, [shown[r] for r in rows])
        assert panel.rows.entries() == expected


def test_alike_is_the_shared_start_of_random_lists():
    rng = random.Random(4)
    items = [object() for _ in range(8)]
    for _ in range(500):
        a = [rng.choice(items) for _ in range(rng.choice([0, 3, 16, 17, 80, 81, 400]))]
        b = a[:rng.randint(0, len(a))] + [rng.choice(items) for _ in range(rng.randint(0, 400))]
        plain = next((i for i, (x, y) in enumerate(zip(a, b)) if x is not y), min(len(a), len(b)))
        assert alike(a, b) == plain and alike(iter(b), iter(a)) == plain
