"""Which tracks make one album though their tags do not say so.

Many files from the web or old rippers carry the album title and each track's own artist,
but no album artist and no compilation flag: a film's soundtrack, a "Now That's What I Call
Music" disc. Going by the tags alone, each artist on it had an album of their own: its tracks
were listed apart under each artist and crossfaded into one another. The scanner finds them
with :func:`folder_compilations` and stores the answer with the tracks (the store's
``folder_compilation`` column), so that every part that groups albums (the library's order,
the gapless joins of an album, the album views) reads one answer cheaply; :func:`is_compilation`
is that answer for one track.

:func:`album_slot` is where a track goes on its album where its tags say less than its
path (discs in "CD1" and "CD2" folders, or "2-01 Song" files, without disc tags) or nothing
(a bonus track without a number): the window's library order and ``segue play``'s (:func:`in_album_order`) go by it.

:func:`library_order` is the order the window lists the library in, for what plays the
library in its order without the window (Up next, ``segue play``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from itertools import compress, groupby
from operator import attrgetter, itemgetter, lt, ne, or_

from player.library.names import (album_folder, file_disc, is_disc_folder, path_disc, path_numbers, release_folder,
                                  title_disc)
from segue_common.normalize import credited_artists, primary_artist
from segue_common.text import sort_form

# What the rule reads of each track (the store's column names).
RULE_COLUMNS = ("id", "path", "album", "artist", "albumartist", "albumartistsort", "track_no", "disc_no",
                "mb_album_id", "cue_start_s")


def is_compilation(row) -> bool:
    """Whether a track is on an album of several artists without an album artist to go by:
    flagged as a compilation in its tags, or found one by its folder (:func:`folder_compilations`)."""
    return row["compilation"] == 1 or row["folder_compilation"] == 1


def folder_compilations(rows: Iterable) -> set[int]:
    """The ids of the tracks (rows with :data:`RULE_COLUMNS`) that are one compilation by
    their folder: every track with an album title in the album's folder (the one above a
    "CD2" folder) has the same title, none has an album artist, they name at least two
    artists (the first each names) with none credited on every track, and their track
    numbers look like one album's, each disc's distinct and from 1, or all discs' on from
    one another (with no more than half of them left out: a few tracks deleted still leave
    the album; a few tracks without a number or numbered 0 beside them, a bonus track or an
    intro, are the album's too).

    That keeps apart what only shares a title: a "Singles" folder holding one artist's
    "Greatest Hits" track 3 and another's track 4 numbers no first track; two artists'
    "Greatest Hits" albums in one folder, each numbered from 1, take a number twice; a
    folder of one artist's albums holds more than one title. An album in one file with a
    CUE sheet is one album by its file already and is left out."""
    by_folder: dict[str, list] = {}
    for r in rows:
        if r["cue_start_s"] is None and r["path"]:
            by_folder.setdefault(album_folder(r["path"]), []).append(r)
    found: set[int] = set()
    for tracks in by_folder.values():
        titled = [r for r in tracks if (r["album"] or "").strip()]
        # (its discs tagged as albums of their own, "Film (Disc 1)" and "Film (Disc 2)", are one)
        if len(titled) < 2 or len({title_disc(r["album"].strip())[0].casefold() for r in titled}) > 1:
            continue
        if any(r["albumartist"] or r["albumartistsort"] for r in titled):
            continue
        # (by the first artist each names: one artist's album with a song "feat." a guest is theirs)
        if len({primary_artist(r["artist"]) for r in titled}) < 2 or _one_artist_on_every_track(titled):
            continue
        if len({r["mb_album_id"] for r in titled if r["mb_album_id"]}) > 1:
            continue
        if _numbered_as_one_album(titled):
            found.update(r["id"] for r in titled)
    return found


def album_slot(disc, path_disc: int | None, track) -> tuple[int, int]:
    """``(disc, track)``: where a track goes on its album. The disc is its tag's, else its
    path's (a "CD2" folder, a "2-01 Song" file: many rips of a set have no disc tags, and
    their folders or file names say which disc is which), else 1; a track without a number
    goes after the numbered ones of its disc (a bonus track added by hand), and one numbered
    0 before them (a hidden track in the first track's pregap, an intro), as its number says;
    one without a number or a disc goes after every disc (not between the first and second)."""
    if track is None or track == "":
        return _whole(disc) or path_disc or _UNNUMBERED, _UNNUMBERED
    return _whole(disc) or path_disc or 1, _whole(track)


def in_album_order(rows: list) -> list:
    """``rows`` (tracks with ``order_artist``, ``album``, ``path``, ``mb_album_id``, ``disc_no``
    and ``track_no``, in the store's library order) with each album's tracks in its order,
    each release (its release id, else its folder) together, as the window lists them. The
    store orders a disc without its tag, and a track without its number, first."""
    return [rows[i] for i in _album_order(rows, _columns(rows, ("album", "path", "mb_album_id", "disc_no", "track_no")),
                                          [r["order_artist"] for r in rows])]


def _columns(rows: list, names) -> dict[str, list]:
    # Each named column of ``rows`` as a list: read by name from a row of the store or a dict,
    # by attribute from a named tuple (whose lookup by name is a Python call: it made a
    # library's order of 100,000 tracks take twice as long).
    fields = getattr(type(rows[0]), "_fields", ()) if rows else ()
    pick = attrgetter if fields else itemgetter
    return {name: list(map(pick(name), rows)) for name in names}


def _album_order(rows: list, cols: dict[str, list], artists: list, carried_by_run: dict | None = None) -> list[int]:
    # in_album_order's order, as places in ``rows`` (``cols``: their columns it reads);
    # ``artists``: each row's order artist. (Worked out an album at a time, and each album's
    # key once: this orders a library of 100,000 tracks for Up next, again after each change.)
    # ``carried_by_run``: the release ids carried in the runs (order artist and title,
    # casefolded) that ``rows`` hold only part of (:func:`_carried_in_runs`).
    out = list(range(len(rows)))
    album, path, release, disc_no, track_no = (cols[k] for k in ("album", "path", "mb_album_id", "disc_no",
                                                                   "track_no"))
    runs: dict = {}
    for pair in set(zip(artists, album)):
        # (by its title without the disc it names: "The Wall (Disc 1)" and "(Disc 2)" are one album)
        runs[pair] = ((pair[0] or "").casefold(), title_disc(pair[1])[0].casefold()) if pair[1] else None
    albums = list(map(runs.__getitem__, zip(artists, album)))

    def key(i: int) -> tuple:
        # (the disc its title names, "The Wall (Disc 2)", else its folder, "CD2", else its file
        # name, "2-01 Song")
        disc = title_disc(album[i] or "")[1] or path_disc(path[i] or "", track_no[i])
        # (a track without a number tag goes by its file name's, "1 Intro" ... "10 Outro", as the
        # window lists it and the player joins it)
        track = track_no[i] if track_no[i] is not None else path_numbers(path[i] or "")[0]
        return album_slot(disc_no[i], disc, track)

    def in_place(lo: int, hi: int) -> bool:
        # Whether the store's order of one album's tracks is its order already, as it is on
        # most albums: one title in one folder of one release, each track numbered, disc and
        # track going up (discs without tags in "1-01 Song" files repeat their numbers).
        n, tracks, discs = hi - lo, track_no[lo:hi], disc_no[lo:hi]
        if None in tracks or album[lo:hi].count(album[lo]) != n or release[lo:hi].count(release[lo]) != n:
            return False
        if discs.count(None) == n:
            slots = tracks
        elif None in discs:
            return False
        else:
            slots = list(zip(discs, tracks))
        if not all(map(lt, slots, slots[1:])):
            return False
        folders = set(map(_folder, path[lo:hi]))
        return len(folders) == 1

    at = 0
    for run, rows_of in groupby(range(len(out)), albums.__getitem__):
        end = at + sum(1 for _ in rows_of)
        if end - at > 1 and run is not None and not in_place(at, end):
            places: dict = {}
            folders = {i: release_folder(path[i] or "") for i in range(at, end)}
            # (a track without the release id the others of its title in its folder carry, one
            # tagged by hand, is on their release, as the window lists it; a folder with two
            # release ids of the title tells nothing)
            carried = carried_by_run[run] if carried_by_run is not None and run in carried_by_run else _carried(
                range(at, end), album, release, folders)
            keys = {i: (places.setdefault(release[i] or carried.get((album[i], folders[i])) or folders[i],
                                          len(places)), *key(i), i)
                    for i in range(at, end)}
            out[at:end] = sorted(range(at, end), key=keys.__getitem__)
        at = end
    return out


def _carried(rows: Iterable[int], album: list, release: list, folders: dict) -> dict:
    # (title, release folder) -> the one release id ``rows`` of it carry, "" for two or more
    carried: dict = {}
    for i in rows:
        if release[i]:
            pair = (album[i], folders[i])
            carried[pair] = release[i] if carried.get(pair, release[i]) == release[i] else ""
    return carried


def _carried_in_runs(rows: Iterable[int], cols: dict[str, list], artists: list) -> dict:
    # The release ids carried (_carried) in each whole run (order artist and title, casefolded)
    # that ``rows`` are of, read over the library: an album moved under its one name is a part
    # of its run that the store's order keeps apart, and a track without a release id goes on
    # the one release the tracks of its title in its folder carry under that name, as sorting
    # the whole library finds it (a second release of the title in that folder, under the
    # name already, tells nothing of which is its).
    album, release, path = cols["album"], cols["mb_album_id"], cols["path"]
    keys = {pair: ((pair[0] or "").casefold(), title_disc(pair[1])[0].casefold()) if pair[1] else None
            for pair in set(zip(artists, album))}
    runs = {keys[artists[i], album[i]] for i in rows}
    folders: dict[int, str] = {}
    by_run: dict = {run: [] for run in runs}
    for i in [i for i, pair in enumerate(zip(artists, album)) if release[i] and keys[pair] in runs]:
        by_run[keys[artists[i], album[i]]].append(i)
        folders[i] = release_folder(path[i] or "")
    return {run: _carried(rows_of, album, release, folders) for run, rows_of in by_run.items()}


def _folder(path) -> str:
    # (on Windows a path's folders are split by either slash, as ``os.path`` and the window
    # take them: split at "/" alone, every track of an album was in one folder)
    path = path or ""
    return (path.replace("\\", "/") if os.sep == "\\" else path).rpartition("/")[0]


def order_form(name: str) -> str:
    """A name as the library order compares it, as people sort names and as the store orders
    its rows (its stored keys, ``player.store.order_keys``): case and accents ignored ("Émile"
    among the E's), numbers compared as numbers ("2Pac" before "10cc", "Vol. 2" before "Vol. 10")."""
    return sort_form(name)


def order_artist(row) -> str | None:
    """The artist the store orders a track by (``player.store.order_keys.ORDER_ARTIST``, which
    says why), from its row: the album artist's sort name, else the artist's where the album
    artist is the artist, else the album artist, else "Various Artists" for a compilation,
    else the artist's sort name, else the artist."""
    return _order_artist(*(row[k] for k in _ORDER_COLUMNS))


_ORDER_COLUMNS = ("albumartistsort", "artistsort", "albumartist", "artist", "compilation", "folder_compilation")

#: What :func:`library_order` reads of each track, with what its namer reads
#: (:data:`~player.library.names.NAME_COLUMNS`) and the id: a read of these is enough to order
#: a search's matches (a word most of a large library matches, each row's every column read
#: took about 140 MB for 100,000 tracks).
LIBRARY_ORDER_COLUMNS = ("id", *_ORDER_COLUMNS, "album", "path", "mb_album_id", "disc_no", "track_no", "title",
                         "folder_id")


def order_artists(albumartistsort: list, artistsort: list, albumartist: list, artist: list,
                  compilation: list) -> list:
    """:func:`order_artist` of each row, from its columns (``compilation``: 1 where flagged or
    found one by its folder)."""
    return list(map(_order_artist, albumartistsort, artistsort, albumartist, artist, compilation,
                    [None] * len(artist)))


def _order_artist(albumartistsort, artistsort, albumartist, artist, compilation, folder_compilation) -> str | None:
    for name in (albumartistsort, artistsort if albumartist is not None and albumartist == artist else None,
                 albumartist, "Various Artists" if compilation == 1 or folder_compilation == 1 else None, artistsort):
        if name is not None:
            return name
    return artist


def library_order(rows: list, namer) -> list:
    """``rows`` (tracks in the store's library order, with the columns :func:`order_artist`
    and :func:`in_album_order` read, ``title`` and ``folder_id``) in the order the window
    lists them: each album in its order (:func:`in_album_order`); artists and albums compared
    with case and accents ignored (:func:`order_form`); and a track with neither an artist nor
    an album artist tag placed by the names the window shows for it (``namer``'s: its
    folders'), after the tagged tracks of the same artist and album. The store puts those
    tracks first, so Up next and ``segue play`` began with them where the window lists them
    among the rest."""
    cols = _columns(rows, {*_ORDER_COLUMNS, "album", "path", "mb_album_id", "disc_no", "track_no"})
    artists = list(map(_order_artist, *(cols[k] for k in _ORDER_COLUMNS)))
    moved = _compilation_moved(cols, artists)
    folders: dict[str, str] = {}

    def place(i: int) -> str:
        # (each folder's once: an album's tracks share one)
        path = cols["path"][i] or ""
        where = _folder(path)
        found = folders.get(where)
        if found is None:
            found = folders[where] = release_folder(path)
        return found

    named = one_order_albums(cols["album"], place, cols, artists)
    if named and moved is None:
        # (each album under its one name moved to where its rows under that name are, the rest
        # of the library left in the store's order: a sort of the whole library, and a copy of
        # each of its columns, cost more than the rest of the order together)
        anchors = anchored(named, artists)
        own = artists.copy()
        for rows_of, name in named:
            for i in rows_of:
                artists[i] = name
        # (the library ordered under the names its tracks carry, which keeps each run of one
        # name and title together as the store's order has it; a track's release as the run it
        # goes in under the album's one name finds it)
        carried = _carried_in_runs((i for rows_of, _ in named for i in rows_of), cols, artists)
        order = _album_order(rows, cols, own, carried)
        spliced = moved_together(order, anchors, lambda albums: _each_in_album_order(albums, cols, artists, carried))
        if spliced is not None:
            order = spliced
        else:
            order = _album_order_moved(rows, cols, artists, _together(artists, cols["album"]))
    else:
        for rows_of, name in named:
            for i in rows_of:
                artists[i] = name
        if named:
            # (each album under its one name: its rows brought together, as a compilation's are)
            moved = _together(artists, cols["album"])
        order = _album_order(rows, cols, artists) if moved is None else _album_order_moved(rows, cols, artists, moved)
    forms: dict[str, str] = {}

    def form(name) -> str:
        name = name if isinstance(name, str) else str(name or "")
        found = forms.get(name)
        if found is None:
            found = forms[name] = order_form(name)
        return found

    # (each artist's album's key made once)
    tagged = {pair: (form(pair[0]), form(title_disc(pair[1] or "")[0]), 0) for pair in set(zip(artists, cols["album"]))}
    keys = list(map(tagged.__getitem__, zip(artists, cols["album"])))
    for i, (artist, albumartist) in enumerate(zip(cols["artist"], cols["albumartist"])):
        if not (artist or albumartist):
            names = namer(rows[i])
            keys[i] = (form(names.artist), form(names.album), 1)
    if any(keys[a] > keys[b] for a, b in zip(order, order[1:])):
        order.sort(key=keys.__getitem__)        # (stable: each album's tracks keep their order)
    return [rows[i] for i in order]


def _album_order_moved(rows: list, cols: dict[str, list], artists: list, moved: list[int]) -> list[int]:
    # _album_order of the rows in the order ``moved`` gives them (places in ``rows``)
    return [moved[j] for j in _album_order(moved, {k: [v[i] for i in moved] for k, v in cols.items()},
                                           [artists[i] for i in moved])]


def _each_in_album_order(albums: list[list[int]], cols: dict[str, list], artists: list,
                         carried: dict) -> list[list[int]]:
    # Each album's rows (places in the library) in album order, all albums ordered at once:
    # one at a time, copying the columns each reads cost as much as the rest of the order.
    # (``carried``: :func:`_carried_in_runs` of their runs)
    track_no, disc_no, release, path = (cols[k] for k in ("track_no", "disc_no", "mb_album_id", "path"))

    def by_number(rows: list[int]) -> list[int]:
        # (its tracks numbered, of one release in one folder: in the order of their numbers,
        # which _album_order finds in place without working out each track's disc from its
        # path; the store put the tracks under the other name after the rest)
        if all(type(track_no[i]) is int for i in rows) and len({release[i] for i in rows}) == 1 and len(
                {_folder(path[i]) for i in rows}) == 1:
            discs = [disc_no[i] for i in rows]
            if discs.count(None) == len(rows):
                return sorted(rows, key=track_no.__getitem__)
            if all(type(d) is int for d in discs):
                return sorted(rows, key=lambda i: (disc_no[i], track_no[i]))
        return rows

    at = [i for rows in albums for i in by_number(rows)]
    album_of = {i: k for k, rows in enumerate(albums) for i in rows}
    names = ("album", "path", "mb_album_id", "disc_no", "track_no")
    out: list[list[int]] = [[] for _ in albums]
    for j in _album_order(at, {k: [cols[k][i] for i in at] for k in names}, [artists[i] for i in at], carried):
        out[album_of[at[j]]].append(at[j])
    return out


def anchored(named: list[tuple[list[int], str]], artists: list) -> list[tuple[list[int], int | None]]:
    """Each album of ``named`` (:func:`one_order_albums`'s): its rows, and its first row under
    the one name it goes by (``artists``: each row's order artist), None for none: where
    :func:`moved_together` moves it."""
    return [(rows_of, next((i for i in rows_of if artists[i] == name), None)) for rows_of, name in named]


def moved_together(order: list[int], albums: list[tuple[list[int], int | None]], in_order) -> list[int] | None:
    """``order`` (places of rows, each album together) with each album of ``albums`` (its rows,
    and the row whose place it goes to) moved to that row's place, its rows in the order
    ``in_order`` gives them (called once with every album's rows, in the order of ``albums``,
    and answering each album's rows in order); the other rows keep their order. None where an
    album has no such row (nowhere to go but by sorting). An album that goes under one name of the two its
    tracks carry goes where its tracks under that name are, without sorting the library again."""
    if any(anchor is None for _, anchor in albums):
        return None
    anchors = dict(zip((anchor for _, anchor in albums), in_order([sorted(rows_of) for rows_of, _ in albums])))
    moving = {i for rows_of, _ in albums for i in rows_of}
    at = [p for p, i in enumerate(order) if i in moving]
    out: list[int] = []
    last = 0
    for p in at:
        out += order[last:p]
        last = p + 1
        if order[p] in anchors:
            out += anchors[order[p]]
    out += order[last:]
    return out


def library_key(row, namer, artist) -> tuple:
    """Where :func:`library_order` puts ``row``'s album among the others (it lists the library
    sorted by this key, each album's tracks keeping their order): ``artist`` (its order artist,
    "Various Artists" where it goes with a compilation flagged on its other tracks) and its
    album's title, else, without an artist or album artist tag, the names ``namer`` gives it.
    For placing a new track in a kept order without ordering the whole library again."""
    if not (row["artist"] or row["albumartist"]):
        names = namer(row)
        return _form(names.artist), _form(names.album), 1
    return _form(artist), _form(title_disc(row["album"] or "")[0]), 0


def _form(name) -> str:
    # (as library_order's own: a name that is not text compared as its text, none as "")
    return order_form(name if isinstance(name, str) else str(name or ""))


def compilation_flagged_in_part(row) -> bool:
    """Whether ``row`` is a compilation's track that makes its album's others without the
    flag go as the compilation (see :func:`_compilation_moved`)."""
    return ((row["compilation"] == 1 or row["folder_compilation"] == 1) and bool(row["album"])
            and not row["albumartist"] and not row["albumartistsort"])


def _compilation_moved(cols: dict[str, list], artists: list) -> list[int] | None:
    # A compilation flagged on some of its tracks only (no album artist): the store orders
    # those under "Various Artists" and the rest under each one's artist, and the window puts
    # the rest with them (tracks of its title in its folder, the one above a "CD2" folder).
    # Their order artists set so (in place), and the rows' places in an order that brings
    # each artist's album together; None where no album is flagged so.
    album, path = cols["album"], cols["path"]
    flag = [c == 1 or f == 1 for c, f in zip(cols["compilation"], cols["folder_compilation"])]
    plain = [not (a or s) for a, s in zip(cols["albumartist"], cols["albumartistsort"])]
    flagged = {(album[i], release_folder(path[i] or "")) for i in range(len(album))
               if flag[i] and plain[i] and album[i]}
    if not flagged:
        return None
    moving = [i for i in range(len(album)) if not flag[i] and plain[i] and album[i]
              and (album[i], release_folder(path[i] or "")) in flagged]
    if not moving:
        return None
    for i in moving:
        artists[i] = "Various Artists"
    return _together(artists, album)


def _together(artists: list, albums: list) -> list[int]:
    # The rows' places in an order that brings each artist's album together (each distinct
    # artist and album's key made once: a title read for each of 100,000 rows took 0.15 s).
    keys = {pair: ((pair[0] or "").casefold(), title_disc(pair[1] or "")[0].casefold())
            for pair in set(zip(artists, albums))}
    at = list(map(keys.__getitem__, zip(artists, albums)))
    return sorted(range(len(at)), key=at.__getitem__)


def one_order_albums(albums: list, place, cols: dict[str, list], artists: list) -> list[tuple[list[int], str]]:
    """Each album whose tracks go under more than one order artist (``artists``: each row's
    order artist, :func:`order_artist`): its rows (in the order of ``albums``) and the one name
    the whole album goes by. An album here is a title (without the disc it names, case
    ignored) in one release's place (``place(row)``: its release folder).

    Taggers often write the sort name on some tracks only (MusicBrainz Picard on the tracks it
    matched, a hand edit of one song): "Beatles, The" on two tracks of an album and "The
    Beatles" on the rest listed one album under B and again under T. The album goes by the
    sort name most of its tracks that carry one carry, as the album's own sort tag would, and
    the name is the same artist's (the album artist on every track, else the first artist on
    every track). An artist's album without an album artist whose guest is sometimes named
    first ("Everlast & Santana" on Santana's album, Santana credited on every track) goes by
    that artist, as the scanner's rule for compilations reads it (:func:`folder_compilations`).
    ``cols``: each row's ``albumartist``, ``albumartistsort``, ``artist``, ``artistsort``,
    ``compilation`` and ``folder_compilation`` (where given), whose rows of a compilation are
    left as they are."""
    n = len(albums)
    # Most titles are one artist's in the whole library: only the rows of a title under two
    # names by one album artist (or none) are looked at row by row, as an album under two
    # names has one album artist on every track or none. Rows come an album at a time: only
    # the first row of each run of one title, album artist and name is read, found in C loops
    # (this runs on every library order and window load of 100,000 tracks, where a look at
    # each row took as long as the rest of the order).
    if not n:
        return []
    by_of = cols["albumartist"]
    starts = [0, *compress(range(1, n), map(or_, map(ne, albums[1:], albums),
                                             map(or_, map(ne, by_of[1:], by_of), map(ne, artists[1:], artists))))]
    titles: dict = {}
    bys: dict = {}
    keys = []
    for i in starts:
        album, by = albums[i], by_of[i]
        title = titles.get(album)
        if title is None:
            title = titles[album] = title_disc(album)[0].casefold() if album else ""
        folded = bys.get(by)
        if folded is None:
            folded = bys[by] = (by or "").casefold()
        keys.append((title, folded))
    last = dict(zip(keys, map(artists.__getitem__, starts)))
    differ = {key for key, i in zip(keys, starts) if key[0] and last[key] != artists[i]}
    if not differ:
        return []
    groups: dict = {}
    for at, key, end in zip(starts, keys, [*starts[1:], n]):
        if key in differ:
            for i in range(at, end):
                groups.setdefault((key[0], place(i)), []).append(i)
    named = []
    for rows in groups.values():
        if len({(artists[i] or "").casefold() for i in rows}) > 1:
            name = _album_order_name(rows, cols, artists)
            if name is not None:
                named.append((rows, name))
    return named


def _album_order_name(rows: list[int], cols: dict[str, list], artists: list) -> str | None:
    # The one order artist of an album's ``rows`` (see one_order_albums), None to leave them.
    by, by_sort, artist, artist_sort = (cols[k] for k in ("albumartist", "albumartistsort", "artist", "artistsort"))
    flags = cols["compilation"], cols.get("folder_compilation") or cols["compilation"]
    if any(flags[0][i] == 1 or flags[1][i] == 1 for i in rows):
        return None
    album_artists = {(by[i] or "").casefold() for i in rows}
    if len(album_artists) > 1:
        return None
    if album_artists != {""}:
        # (the album artist on every track: its sort name where some tracks carry one)
        shown = by[rows[0]]
        return _most_common([artists[i] for i in rows if artists[i] != by[i]]) or shown
    names = [artist[i] for i in rows]
    if any(by_sort[i] for i in rows) or (len({primary_artist(a) for a in names}) > 1
                                          and guest_first_artist(names, ()) is None):
        return None
    credits = [credited_artists(a) for a in names]
    # (one artist, named first on every track or credited on every track: named as the tracks
    # that credit the fewest artists name it, by its sort name where some carry one)
    fewest = min(credits, key=len)
    own = [i for i, credit in zip(rows, credits) if credit == fewest]
    return _most_common([artist_sort[i] for i in own]) or _most_common([artist[i] for i in own])


def guest_first_artist(artists: list, album_artist_sorts: list) -> str | None:
    """Whose album the tracks of one album without an album artist are, where they name
    different artists first (``artists``: their artist tags): the one artist credited on every
    track ("Everlast & Santana" on Santana's album), as :func:`credited_artists` names it.
    None where they name one artist first (theirs already), none is credited on every track
    (a compilation), or some carry an album artist's sort name (``album_artist_sorts``: the
    album is left under the names its tracks carry). The library's order
    (:func:`one_order_albums`) and the albums Discover groups go by this one rule: else the
    window listed one album that Discover took for two, or the other way round."""
    if any(album_artist_sorts) or len({primary_artist(a) for a in artists}) < 2:
        return None
    common = frozenset.intersection(*map(credited_artists, artists))
    return next(iter(common)) if len(common) == 1 else None


def _most_common(names: list) -> str | None:
    # The name most of them carry (the first in order of its letters among as many), None for none.
    counts: dict = {}
    for name in names:
        if name:
            counts[name] = counts.get(name, 0) + 1
    return min(counts, key=lambda n: (-counts[n], n.casefold(), n)) if counts else None


def _one_artist_on_every_track(rows: list) -> bool:
    # An artist's album whose guests are sometimes named first ("Everlast & Santana" on a
    # Santana album) has that artist credited on every track; a soundtrack has nobody so.
    return bool(frozenset.intersection(*(credited_artists(r["artist"]) for r in rows)))


def _numbered_as_one_album(rows: list) -> bool:
    discs: dict = {}
    aside = 0
    if not any(_number(r["track_no"]) or path_numbers(r["path"])[0] for r in rows):
        # Nothing numbered, in the tags or the file names ("Artist - Song"): the folder and
        # the title are all there is to go by. Not the title a ripper or downloader writes
        # where it knows none: a downloads folder of singles all "Unknown Album" is no album.
        return title_disc(rows[0]["album"].strip())[0].casefold() not in _NO_ALBUM
    for r in rows:
        number = _number(r["track_no"])
        if number is None:
            # A bonus track without a number, an intro or a hidden track numbered 0: the
            # album's still, where the numbered tracks (twice as many at least) make one.
            aside += 1
            continue
        # A disc without its number in the tags goes by its title ("Film (Disc 2)"), else its
        # folder ("CD2"), else its file name ("2-01 Song"), as the library orders it.
        folder = os.path.dirname(r["path"])
        disc = _number(r["disc_no"]) or title_disc(r["album"].strip())[1] or (
            folder if is_disc_folder(os.path.basename(folder)) else file_disc(r["path"], number) or 1)
        discs.setdefault(disc, []).append(number)
    if len(rows) - aside < max(2, 2 * aside):
        return False
    if all(_one_run(numbers) for numbers in discs.values()):
        return True
    # Some rips number a set's discs on from one another (the second disc from 11, not 1).
    return len(discs) > 1 and _one_run([n for numbers in discs.values() for n in numbers])


# Album titles that say no album is known (Windows Media Player's and iTunes' rips, taggers
# and downloaders write them), casefolded.
_NO_ALBUM = frozenset({"unknown album", "unknown", "<unknown>", "[unknown album]", "untitled", "no album"})


def _one_run(numbers: list[int]) -> bool:
    # Each number once, from 1, with no more than half of them left out.
    return len(set(numbers)) == len(numbers) and min(numbers) == 1 and max(numbers) <= 2 * len(numbers)


# (after every number a tag can hold)
_UNNUMBERED = 2 ** 63


def _whole(value) -> int:
    # A number as the library orders it: text in a number column, or none, is 0.
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _number(value) -> int | None:
    # (the database may hold text in a number column)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
