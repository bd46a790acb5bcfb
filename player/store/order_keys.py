"""The library's order as stored keys: each track's order artist and album in the form people
sort names (``segue_common.text.sort_form``: case and accents aside, numbers as numbers, so
"2Pac" before "10cc" and "Vol. 2" before "Vol. 10"), kept in two plain text columns.

SQLite's NOCASE folds only ASCII letters and compares digits one by one; a collation calling
Python would order the same way as these keys, but a connection without it (the sqlite3
command-line tool, a sync or tagging program) could then not write a track at all, its index
being in an order only Segue knows. (An older Segue opens no library of a newer schema.)
Plain columns are read, indexed and written by any connection.
A write by one that cannot compute them (a changed tag, a new track) leaves them NULL
(the trigger of migration 31, plain SQL), and the next transaction of this store fills them:
such a track sorts first until then, and nothing else is wrong.
"""

from __future__ import annotations

import sqlite3

from segue_common.text import sort_form

# The artist the library is ordered by: the album artist's sort name, else (where the album
# artist is the artist) the artist's sort name, else the album artist; for a compilation
# tagged without one (as iTunes tags them: a flag and each track's own artist; or a soundtrack
# without the flag, found one by its folder: see ``player.library.albums``) "Various Artists",
# so that its tracks stay together rather than scattered under every artist on it; else the
# artist's sort name, else the artist. (Taggers that write only the artist's sort
# name filed an album with an album artist under "The" and one without under the sort name.)
ORDER_ARTIST = ("coalesce(albumartistsort, CASE WHEN albumartist = artist THEN artistsort END, albumartist, "
                "CASE WHEN compilation = 1 OR folder_compilation = 1 THEN 'Various Artists' END, artistsort, artist)")

#: The columns the keys are made from: a write that changes one of them leaves the keys NULL.
KEYED_COLUMNS = ("albumartistsort", "artistsort", "albumartist", "artist", "compilation", "folder_compilation",
                 "album")

# Rows per UPDATE while filling: a migration of 100,000 tracks holds no list of them all.
_BATCH = 5000


def order_key(name) -> str:
    """The stored key of an order artist or album ("" for none): its :func:`sort_form`.

    A name that is not UTF-8 (written by another program: this store reads its bad bytes as
    lone surrogates, and a BLOB as bytes) is keyed with its bad bytes as U+FFFD: a key that
    kept them could not be written back, and every write of the store failed on that track."""
    if name is None:
        return ""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    elif not isinstance(name, str):
        name = str(name)
    else:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            try:
                name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            except UnicodeEncodeError:     # a lone surrogate of another kind
                name = name.encode("utf-8", "replace").decode("utf-8")
    return sort_form(name)


def fill_order_keys(conn: sqlite3.Connection) -> int:
    """Make the keys of the tracks that have none (new, or written since by another program);
    call inside the writing transaction. Returns how many. A few microseconds where none is
    missing: the library order's index begins with the key, so the rows without one are
    found through it."""
    forms: dict = {}

    def form(name) -> str:
        found = forms.get(name)
        if found is None:
            found = forms[name] = order_key(name)
        return found

    cur = conn.cursor()
    cur.row_factory = None
    cur.execute(f"SELECT id, {ORDER_ARTIST}, album FROM tracks WHERE order_artist_key IS NULL")
    n = 0
    while rows := cur.fetchmany(_BATCH):
        conn.executemany("UPDATE tracks SET order_artist_key = ?, order_album_key = ? WHERE id = ?",
                         [(form(artist), form(album), i) for i, artist, album in rows])
        n += len(rows)
    return n
