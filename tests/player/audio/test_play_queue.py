"""The player's queue moves and removes entries by identity, in one pass however many."""

from __future__ import annotations

import random

from player.audio.queue import PlayQueue, QueueEntry, shuffled


def test_the_queue_moves_and_removes_entries_by_identity_as_one_at_a_time_did():
    entries = [QueueEntry(i % 7) for i in range(2000)]      # the same songs many times, each its own entry
    q = PlayQueue()
    q.replace(entries)
    assert q.move_entries([entries[1500], entries[10]], [entries[500], entries[3]]) == 2
    rest = [e for e in entries if e is not entries[1500] and e is not entries[10]]
    at = rest.index(entries[500])
    assert q.entries() == rest[:at] + [entries[1500], entries[10]] + rest[at:]
    before = q.entries()
    assert q.move_entries([entries[7]], [entries[7], QueueEntry(1)]) == 1     # the anchor moved itself: to the end
    assert q.entries() == [e for e in before if e is not entries[7]] + [entries[7]]
    assert q.move_entries([QueueEntry(3)], [entries[0]]) == 0                 # no longer queued
    gone = q.discard_all([entries[1999], QueueEntry(5), entries[4], entries[1999]])
    assert gone == [entries[1999], entries[4]]
    assert len(q) == 1998 and all(e is not entries[1999] and e is not entries[4] for e in q.entries())
    q.replace([entries[0], entries[1], entries[0]])                           # one queued twice
    assert q.discard_all([entries[0]]) == [entries[0]] and q.entries() == [entries[1], entries[0]]


def _moved_one_at_a_time(items: list, entries: list, before: list) -> list:
    """What the queue held after a move compared each entry with each (the plain way)."""
    moving = [e for e in entries if any(e is item for item in items)]
    if not moving:
        return list(items)
    rest = [item for item in items if not any(item is e for e in moving)]
    at = len(rest)
    for anchor in before:
        hit = next((i for i, item in enumerate(rest) if item is anchor), None)
        if hit is not None:
            at = hit
            break
    return rest[:at] + moving + rest[at:]


def test_moves_and_removals_of_random_entries_end_as_one_at_a_time_did():
    rng = random.Random(11)
    for case in range(1000):
        pool = [QueueEntry(i % 5) for i in range(rng.randint(1, 40))]
        items = [rng.choice(pool) for _ in range(rng.randint(0, 30))] if case % 3 == 0 else list(pool)
        rng.shuffle(items)
        strays = [QueueEntry(99) for _ in range(3)]           # never queued
        named = pool + strays
        # (a few moved are looked for one by one, more by a set of ids; a long run of entries
        # named after the drop point and gone since ends the looks one by one too)
        entries = [rng.choice(named) for _ in range(rng.randint(0, 8 if case % 2 else 24))] if named else []
        before = [rng.choice(named) for _ in range(rng.randint(0, 5))] if named else []
        if case % 5 == 0:
            before = [QueueEntry(98) for _ in range(rng.randint(10, 30))] + before
        q = PlayQueue()
        q.replace(items)
        expected = _moved_one_at_a_time(items, entries, before)
        moved = q.move_entries(entries, iter(before))      # the player hands over a one-pass iterable
        assert q.entries() == expected and moved == sum(any(e is i for i in items) for e in entries)
        q.replace(items)
        plain = PlayQueue()
        plain.replace(items)
        assert q.discard_all(entries) == [e for e in entries if plain.discard(e)]
        assert q.entries() == plain.entries()


def test_ordering_like_another_order_ends_as_ranking_and_sorting_did():
    rng = random.Random(13)
    for case in range(500):
        pool = [QueueEntry(i % 5) for i in range(rng.randint(0, 30))]
        items = list(pool)
        rng.shuffle(items)
        if case % 4 == 0 and pool:
            items += [rng.choice(pool) for _ in range(2)]        # one queued twice
        reference = [e for e in pool if rng.random() < 0.8] + [QueueEntry(99)]   # some gone since, one never here
        rng.shuffle(reference)
        if case % 7 == 0 and pool:
            reference.append(rng.choice(pool))                   # named twice
        rank = {id(e): i for i, e in enumerate(reference)}
        expected = (sorted((e for e in items if id(e) in rank), key=lambda e: rank[id(e)])
                    + [e for e in items if id(e) not in rank])
        q = PlayQueue()
        q.replace(items)
        q.order_like(reference)
        got = q.entries()
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected))


def test_shuffled_goes_on_from_the_movement_playing_and_leaves_the_earlier_ones_a_piece_apart():
    # Movement 3 of a symphony playing, the whole symphony queued with it: the rest is its
    # fourth movement; its first two, not heard yet, are one piece among the others, in order
    # (put straight after the third, they were heard out of order).
    work = {1: ("sym", 1), 2: ("sym", 2), 3: ("sym", 3), 4: ("sym", 4)}
    playing = QueueEntry(3)
    entries = [QueueEntry(t) for t in (4, 2, 10, 1, 11, 12)]
    for seed in range(20):
        out = [e.track_id for e in shuffled(entries, random.Random(seed), after=playing,
                                            work=lambda e: work.get(e.track_id))]
        assert out[0] == 4 and sorted(out) == [1, 2, 4, 10, 11, 12]
        assert out[out.index(1) + 1] == 2
