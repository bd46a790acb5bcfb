"""Keeping the window process small: how glibc's allocator is set up, and handing freed
memory back after a big build.

Two Python caches grow large in the window and are dropped after a build: ``linecache``
(PySide6's import hook reads the source of every module imported after it, about 20 MB
of lines by the time the recommender is built) and the name normalisation's memo (up to
65,536 entries per function, about 10 MB after a 100,000-track catalogue).

glibc keeps memory that Python and numpy freed for later reuse, in one heap per thread
that allocated it (up to eight per core), and serves large blocks from those heaps once
a large block was freed. In the window, whose worker threads build the recommender's
catalogue (arrays of tens of megabytes at 100,000 tracks) and rank with it again and
again, that memory piles up. :func:`tune_allocator` (called once at start-up) keeps
blocks of 1 MiB and more out of the heaps, so they go back to the system when freed,
and caps the heaps at two; :func:`release_free_memory` returns what the heaps hold free
after a build. On other systems or C libraries those two do nothing.

:func:`let_go` frees what a worker's job kept a piece at a time, so the window is not held
while it goes.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_FROM = 1 << 20
_libc = None


def _glibc():
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL("libc.so.6")
                libc.malloc_trim.argtypes = [ctypes.c_size_t]
                libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                _libc = libc
            except (OSError, AttributeError):          # not glibc
                pass
    return _libc


def tune_allocator() -> bool:
    """Large blocks straight from the system, at most two heaps; True where applied."""
    libc = _glibc()
    if not libc:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_FROM)) and bool(libc.mallopt(M_ARENA_MAX, 2))


def release_free_memory() -> bool:
    """Drop the caches above and give the heaps' free memory back to the system; True
    where the heaps could be trimmed."""
    import linecache

    from segue_common.normalize import clear_caches

    linecache.clearcache()
    clear_caches()
    libc = _glibc()
    if not libc:
        return False
    libc.malloc_trim(0)
    return True


def let_go(*containers) -> None:
    """Empty these lists, dicts and sets a piece at a time. A job on a worker thread that
    frees what it kept in one go, as it returns, does so in one step of the interpreter:
    it holds the interpreter lock, and so the window, all that time (about 50 ms for what
    a scan kept of 50,000 files, 30 to 40 ms for an import's 20,000 rows and the library's
    index). Between pieces the window gets its turn."""
    for container in containers:
        if isinstance(container, list):
            while container:
                del container[-1000:]
        else:
            drop = container.popitem if isinstance(container, dict) else container.pop
            while container:
                drop()
