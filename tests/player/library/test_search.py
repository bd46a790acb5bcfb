"""The library's search, Qt-free (player.library.search), read from more than one thread."""

from __future__ import annotations

import sys
import threading

from benchmarks.library_gen import library_rows
from player.library.search import LibraryData, query_track_ids


def test_the_window_and_a_worker_search_one_library_at_once():
    # The playlists' worker works out the saved searches' songs from the library the window
    # searches as the person types (the GUI thread), and the GUI thread looks tracks up by id
    # meanwhile: both share its words' cache and its lazily made id lookup. Both threads
    # putting the oldest word out of a full cache at once raised KeyError in one of them, and
    # the id lookup was seen half made (AttributeError).
    rows = library_rows(800, seed=3)
    for i, r in enumerate(rows):
        r["id"] = 10 + i
    words = [a + b for a in "aeiou" for b in "nrstl"]          # more than the cache keeps
    expected = {w: query_track_ids(LibraryData.from_rows(rows), w)[0] for w in words}
    errors, wrong = [], []

    def search(data, start, k):
        try:
            start.wait()
            for i in range(120):
                word = words[(i * 7 + k) % len(words)]
                if query_track_ids(data, word)[0] != expected[word]:
                    wrong.append(word)
                if data.position(int(data.ids[i])) != i:
                    wrong.append(i)
        except Exception as error:          # (any: each one is a defect of the sharing)
            errors.append(repr(error))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)             # (the threads take turns between any two steps)
    try:
        for _ in range(80):
            data = LibraryData.from_rows(rows)
            start = threading.Barrier(4)
            threads = [threading.Thread(target=search, args=(data, start, k)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == [] and wrong == []
