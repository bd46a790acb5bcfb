"""The player's queue moves and removes entries by identity, in one pass however many."""

from __future__ import annotations

from player.audio.queue import PlayQueue, QueueEntry


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
