"""The play queue: what the Player feeds the engine next (thread-safe)."""

from __future__ import annotations

import bisect
import itertools
from itertools import compress, filterfalse
import random
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class QueueEntry:
    """One upcoming track. ``manual``: the person queued it or placed it (not only the
    recommender), so re-ranks and refills leave it where it is.
    ``lap``: how many rounds of repeat-all this copy is past the song first queued (0 for
    anything queued otherwise), so that turning repeat off can take the next round back.
    ``was``: the suggestion this entry stands in for, where the person moved one and it
    became theirs to keep: a list showing the old entry keeps its row (and its selection)
    on this one, and a command naming the old entry acts on this one.
    ``placed``: the person moved it in Up next (a suggestion, or a song of the list played),
    so it is theirs as a song queued by hand is, and a new list or station keeps it too.
    ``sent_to_end``: the person sent this entry of theirs to the end of Up next (Move to end,
    a drag below the last row): asked for last, not next, it stays after the rest however
    much Keep it going adds after it, until they move it elsewhere.

    Entries compare by identity, so the same track queued twice is two entries.
    """

    track_id: int
    source: str = "queue"
    manual: bool = True
    lap: int = 0
    was: QueueEntry | None = field(default=None, repr=False)
    placed: bool = False
    sent_to_end: bool = False

    @property
    def hand_queued(self) -> bool:
        """The person queued it song by song (Play next, Add to Up next), not a list played, a
        suggestion or a copy repeat all made for the next round."""
        return self.source == "queue" and not self.lap

    @property
    def own(self) -> bool:
        """The person's own entry: queued by hand or moved by them in Up next. Something new
        played replaces the list and the suggestions, never these."""
        return self.hand_queued or self.placed

    def send_to_end(self, sent: bool) -> None:
        """The person sent it to the end of Up next, or moved it back from there (``sent``). The
        entry stays the same object, as in :meth:`renumber`: the window's list names it."""
        object.__setattr__(self, "sent_to_end", bool(sent))

    def renumber(self, track_id: int) -> None:
        """The track became ``track_id`` (a library scan merged it into another). The entry
        stays the same object: the engine's sources and the player's lists know it by that."""
        object.__setattr__(self, "track_id", int(track_id))


def shuffled(entries: list, rng: random.Random, song: Callable[[object], Hashable] | None = None,
             after=None, work: Callable[[object], tuple[Hashable, int | None] | None] | None = None) -> list:
    """A random order of ``entries`` other than the given one (when there are two or more
    pieces).

    ``song(entry)``: the song an entry is a copy of (None where nothing is known). Two copies
    of one song (an album and a best-of shuffled together, a FLAC and its MP3) are moved
    apart where another entry can go between them: shuffled as they came, one song played
    twice in a row about as often as it had a copy in the list. ``after``: the entry that
    plays before them (the song playing), whose copy does not come first either.

    ``work(entry)``: ``(performance, movement)`` of an entry that is a movement of a work
    (None for any other). The movements of one performance queued together go as one piece,
    in their order: a symphony is heard from its first movement to its last, never its third
    alone between two songs; the rest of the work of ``after`` (the movement playing) comes first."""
    if work is None:
        # (no work queued: entries shuffled as they are, the 100,000 of a library paying
        # nothing for the pieces below)
        out = list(entries)
        rng.shuffle(out)
        if len(out) > 1 and all(a is b for a, b in zip(out, entries)):
            out = out[1:] + out[:1]
        joined: set[int] = set()
    else:
        units = _units(entries, work)
        out_units = list(units)
        rng.shuffle(out_units)
        if len(out_units) > 1 and all(a is b for a, b in zip(out_units, units)):
            out_units = out_units[1:] + out_units[:1]
        playing = work(after) if after is not None else None
        if playing is not None:
            # The rest of the work playing now comes next, before any other piece: what comes
            # after it in the work. Its parts before the one playing, queued too, stay a piece
            # of their own in their shuffled place (after the third movement, the first is not
            # heard next; started mid-album, the album goes on from there).
            rest, out_units = _rest_of(out_units, work, playing)
            out_units = rest + out_units
        out = [e for u in out_units for e in u]
        # (a movement stays in its place in its work: only the other entries are swapped)
        joined = {id(e) for u in units if len(u) > 1 for e in u}
    if song is not None:
        ahead = [] if after is None else [after]
        out = ahead + out
        _part_copies(out, [None if id(e) in joined else song(e) for e in out] if joined else [song(e) for e in out],
                     fixed=len(ahead))
        out = out[len(ahead):]
    return out


def _rest_of(units: list[list], work, playing) -> tuple[list[list], list[list]]:
    """``(rest, others)``: the pieces of ``units`` of the work ``playing`` (its ``work`` value)
    that come after it, and the other pieces in their order, those of the work before it
    (where the numbers say so) one piece in the place of the work's."""
    def played_first(u) -> int:
        numbers = [work(e)[1] for e in u]
        return 0 if playing[1] is None or None in numbers else sum(not n > playing[1] for n in numbers)

    # (the work queued twice: the time of it playing goes on, the one with the fewest of its
    # parts before the one playing left, and the other stays whole in its place)
    mine = [u for u in units if work(u[0]) is not None and work(u[0])[0] == playing[0]]
    going = min(mine, key=played_first) if mine else None
    rest, others = [], []
    for u in units:
        if u is not going:
            others.append(u)
            continue
        numbers = [work(e)[1] for e in u]
        if playing[1] is None or None in numbers:
            rest.append(u)
            continue
        later = [e for e, n in zip(u, numbers) if n > playing[1]]
        earlier = [e for e, n in zip(u, numbers) if not n > playing[1]]
        if later:
            rest.append(later)
        if earlier:
            others.append(earlier)
    return rest, others


def _one_piece(a, b) -> bool:
    """Whether two neighbours' ``work`` values are movements of one performance."""
    return a is not None and b is not None and a[0] == b[0]


def _units(entries: list, work) -> list[list]:
    """``entries`` as the pieces a shuffle moves: each alone, but the movements of one
    performance, together in their order (those without a number where they were) at the
    place of the first of them."""
    if work is None:
        return [[e] for e in entries]
    units: list[list] = []
    pieces: dict = {}
    for e in entries:
        w = work(e)
        if w is None:
            units.append([e])
        elif w[0] in pieces:
            pieces[w[0]].append(e)
        else:
            pieces[w[0]] = [e]
            units.append(pieces[w[0]])
    twice = {}
    for u in pieces.values():
        # (stable: movements without a number keep their order)
        numbers = [work(e)[1] for e in u]
        if None not in numbers:
            order = sorted(range(len(u)), key=numbers.__getitem__)
            u[:] = [u[i] for i in order]
            if len(set(numbers)) < len(numbers):
                # A work or album queued twice on purpose is heard twice through, each time
                # in order, as two pieces: merged, each of its songs played twice in a row.
                copies: list[list] = []
                seen: dict = {}
                for e in u:
                    n = seen[work(e)[1]] = seen.get(work(e)[1], -1) + 1
                    if n == len(copies):
                        copies.append([])
                    copies[n].append(e)
                twice[id(u)] = copies
    return [c for u in units for c in twice.get(id(u), (u,))] if twice else units


# The swaps tried in all, per entry. Where most of a queue is one song (one track queued
# hundreds of times) the pairs cannot all be parted, and trying every entry for each pair
# held the player's lock for 7 s at 10,000 entries; where they can be (up to some 40% of
# the queue one song), some 5 swaps per entry part them.
_PART_TRIES = 20


def _part_copies(out: list, keys: list, fixed: int = 0) -> None:
    """Swap entries (in place, ``keys`` with them; the first ``fixed`` stay) so that no two
    neighbours share a key, where a swap does it without putting another pair together."""
    n = len(out)

    def clashes(i: int) -> bool:
        k = keys[i]
        return k is not None and ((i > 0 and keys[i - 1] == k) or (i + 1 < n and keys[i + 1] == k))

    tries = _PART_TRIES * n + 1000
    for i in range(1, n):
        if keys[i] is None or keys[i] != keys[i - 1]:
            continue
        # The second of the pair moves, else the first: at the end of the list ("Hit, Song,
        # Song" after the song playing) only the first can go where it parts them.
        for a in (i, i - 1) if i - 1 >= fixed else (i,):
            for j in itertools.chain(range(i + 1, n), range(i - 2, fixed - 1, -1)):
                tries -= 1
                if tries < 0:
                    return              # (what is parted so far stays)
                out[a], out[j], keys[a], keys[j] = out[j], out[a], keys[j], keys[a]
                if not (clashes(a) or clashes(j) or clashes(i - 1) or clashes(i)):
                    break
                out[a], out[j], keys[a], keys[j] = out[j], out[a], keys[j], keys[a]
            else:
                continue
            break


def before_sent_to_end(entries) -> int:
    """Where the entries the person sent to the end (``sent_to_end``) with nothing else after
    them begin in ``entries`` (its length where none are). More suggestions than a re-rank
    replaced go there: it is no refill of an Up next running out (that one adds after them,
    or they would never come), and the song asked for last stayed where it was, before them.
    """
    at = len(entries)
    while at and entries[at - 1].sent_to_end:
        at -= 1
    return at


#: up to this many entries are looked for in a queue one by one, by identity at C speed
#: (``list.index``: an entry has no ``==`` of its own); more, by a set of the queue's ids.
#: The set of a whole library of 100,000 queued took 35 ms, each look a fraction of one.
FEW = 16


def by_identity(entries) -> bool:
    """Whether each of ``entries`` is equal to itself alone and hashed as itself (no ``==`` or
    hash of its own, as a :class:`QueueEntry`): then a set of them, and ``list.index``, go by
    identity at C speed, with no id() of each made (those of 100,000 took a tenth of a second)."""
    return all(t.__eq__ is object.__eq__ and t.__hash__ is object.__hash__ for t in set(map(type, entries)))


def index_of(items: list, entry, start: int = 0) -> int:
    """Where ``entry`` (itself, not an equal one) is in ``items`` from ``start`` on; -1 if it is not."""
    try:
        return items.index(entry, start)
    except ValueError:
        return -1


def queued_of(items: list, entries) -> list:
    """Those of ``entries`` that are in ``items`` (by identity), in the order given."""
    entries = list(entries)
    if len(entries) <= FEW:
        return [e for e in entries if index_of(items, e) >= 0]
    queued = set(map(id, items))
    return [e for e in entries if id(e) in queued]


class PlayQueue:
    """A list of :class:`QueueEntry` guarded by a lock; the UI names entries, not positions."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: list[QueueEntry] = []

    def __len__(self) -> int:
        return len(self._items)

    def entries(self) -> list[QueueEntry]:
        with self._lock:
            return list(self._items)

    def peek(self) -> QueueEntry | None:
        with self._lock:
            return self._items[0] if self._items else None

    def pop_front(self) -> QueueEntry | None:
        with self._lock:
            return self._items.pop(0) if self._items else None

    def replace(self, entries: list[QueueEntry]) -> None:
        with self._lock:
            self._items = list(entries)

    def extend(self, entries: list[QueueEntry]) -> None:
        with self._lock:
            self._items.extend(entries)

    def insert(self, index: int, entries: list[QueueEntry]) -> None:
        with self._lock:
            self._items[index:index] = entries

    def remove(self, index: int) -> QueueEntry:
        """Remove the entry at ``index``; IndexError when there is none."""
        with self._lock:
            return self._items.pop(index)

    def move_entries(self, entries, before) -> int:
        """Move ``entries`` (by identity, in the order given) to just before the first of
        ``before`` that is still queued and not moved itself, or to the end if none is.
        Entries no longer queued are skipped; returns how many moved. By ids in sets, in
        one pass over the queue: compared each with each, a move in a queue of 100,000 held
        the lock (and the window, waiting for its turn to run) for a fifth of a second."""
        entries = list(entries)
        with self._lock:
            if len(entries) <= FEW:
                moved = self._move_few(entries, before)
                if moved is not None:
                    return moved
            queued = set(map(id, self._items))
            moving = [e for e in entries if id(e) in queued]
            if not moving:
                return 0
            gone = set(map(id, moving))
            rest = [item for item in self._items if id(item) not in gone]
            at = len(rest)
            anchor = next((a for a in before if id(a) in queued and id(a) not in gone), None)
            if anchor is not None:
                at = next(i for i, item in enumerate(rest) if item is anchor)
            self._items = rest[:at] + moving + rest[at:]
            return len(moving)

    def _move_few(self, entries: list, before) -> int | None:
        """Under the lock: :meth:`move_entries` for a few ``entries`` (a row moved to the top,
        Alt+Up), each found where it is and taken out and put back in place, at C speed:
        the ids of all 100,000 of a queue, a set of them and a pass over it in Python took a
        tenth of a second on the player's thread, and the window waited on it for its turn.
        None, and nothing done, where one of them is named twice or queued twice (the plain
        way takes out every copy)."""
        items = self._items
        where = [index_of(items, e) for e in entries]
        moving = [e for e, i in zip(entries, where) if i >= 0]
        if not moving:
            return 0
        cuts = sorted(i for i in where if i >= 0)
        if len(set(cuts)) < len(cuts) or any(index_of(items, items[i], i + 1) >= 0 for i in cuts):
            return None
        at, misses = len(items) - len(cuts), 0
        before = iter(before)
        for a in before:
            if any(a is m for m in moving):
                continue
            i = index_of(items, a)
            if i >= 0:
                at = i - bisect.bisect_left(cuts, i)
                break
            misses += 1
            if misses > FEW:        # many gone since (a refill): the rest looked for by ids
                queued = set(map(id, items))
                gone = set(map(id, moving))
                anchor = next((a for a in before if id(a) in queued and id(a) not in gone), None)
                if anchor is not None:
                    at = index_of(items, anchor)
                    at -= bisect.bisect_left(cuts, at)
                break
        # (in place: the list is the queue's own, handed out only as copies)
        for i in reversed(cuts):
            del items[i]
        items[at:at] = moving
        return len(moving)

    def replace_suggestions(self, entries: list[QueueEntry]) -> bool:
        """Put ``entries`` in the places of the entries the person did not queue by hand.

        Hand-queued entries keep their places; suggested ones are replaced in order by
        ``entries``, the rest of which go at the end, before the person's entries they sent
        there to hear last (:func:`before_sent_to_end`). Returns whether anything changed.
        """
        with self._lock:
            new = iter(entries)
            out: list[QueueEntry] = []
            for item in self._items:
                if item.manual:
                    out.append(item)
                else:
                    nxt = next(new, None)
                    if nxt is not None:
                        out.append(nxt)
            at = before_sent_to_end(out)
            out[at:at] = new
            changed = [id(e) for e in out] != [id(e) for e in self._items]
            self._items = out
            return changed

    def swap(self, new: dict[int, QueueEntry]) -> None:
        """Each entry whose ``id`` is a key of ``new`` becomes that entry, in its place."""
        with self._lock:
            self._items = [new.get(id(e), e) for e in self._items]

    def discard(self, entry: QueueEntry) -> bool:
        """Remove ``entry`` (by identity) if it is still queued."""
        with self._lock:
            return self._discard(entry)

    def _discard(self, entry: QueueEntry) -> bool:
        for i, item in enumerate(self._items):
            if item is entry:
                del self._items[i]
                return True
        return False

    def discard_all(self, entries) -> list[QueueEntry]:
        """Remove ``entries`` (by identity) that are still queued, in one pass over the queue
        (one :meth:`discard` each went through it once per entry); returns them, in the order
        given."""
        with self._lock:
            queued = set(map(id, self._items))
            if len(queued) < len(self._items):    # one queued twice: each naming takes one of them
                return [e for e in entries if self._discard(e)]
            gone = list({id(e): e for e in entries if id(e) in queued}.values())
            if gone:
                ids = set(map(id, gone))
                self._items = [item for item in self._items if id(item) not in ids]
            return gone

    def drop(self, unwanted) -> list[QueueEntry]:
        """Remove the entries for which ``unwanted(entry)`` is true; returns them."""
        with self._lock:
            gone = [e for e in self._items if unwanted(e)]
            self._items = [e for e in self._items if not unwanted(e)]
            return gone

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def insert_randomly(self, entries: list[QueueEntry], rng: random.Random, after=lambda items: 0,
                        upto=None, work=None) -> None:
        """Each entry at a random place among the queued ones, not before ``after(items)`` and,
        given ``upto``, not after ``upto(items)`` (each read under the lock, with the entries as
        they are then, once: read again for each entry, it went through a long queue thousands
        of times; what goes in after the first place does not move it, and the last moves on by
        one with each entry put in before it). ``work``: as :func:`shuffled`'s: the movements of
        one performance go in together, in their order, and never between two movements of
        one queued already (a symphony added while shuffling is heard as one piece)."""
        with self._lock:
            items = self._items
            first = after(items)
            last = None if upto is None else upto(items)
            for unit in _units(entries, work):
                end = len(items) if last is None else last
                place = rng.randint(first, end)
                if work is not None:
                    while first < place < end and _one_piece(work(items[place - 1]), work(items[place])):
                        place += 1
                items[place:place] = unit
                if last is not None:
                    last += len(unit)

    def order_like(self, reference: list[QueueEntry]) -> None:
        """Entries found in ``reference`` (by identity) take its order; the others keep
        their places relative to each other, after them."""
        with self._lock:
            items = self._items
            if by_identity(items) and by_identity(reference):
                # Sets of the entries themselves, filtered at C speed: shuffle off with 100,000
                # queued ranked and sorted them in Python for a third of a second, the lock held.
                here, ref = set(items), set(reference)
                if len(here) == len(items) and len(ref) == len(reference):     # (none twice)
                    self._items = [*compress(reference, map(here.__contains__, reference)),
                                   *filterfalse(ref.__contains__, items)]
                    return
            rank = {id(e): i for i, e in enumerate(reference)}
            known = sorted((e for e in items if id(e) in rank), key=lambda e: rank[id(e)])
            self._items = known + [e for e in items if id(e) not in rank]
