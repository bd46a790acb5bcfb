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
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from player.library.names import (album_folder, file_disc, is_disc_folder, path_disc, path_numbers, release_folder,
                                  title_disc)
from segue_common.normalize import credited_artists, primary_artist

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
    out, at = list(rows), 0

    def run(r) -> tuple:
        # (by its title without the disc it names: "The Wall (Disc 1)" and "(Disc 2)" are one album)
        return (r["order_artist"] or "").casefold(), title_disc(r["album"] or "")[0].casefold()

    def key(i: int) -> tuple:
        r = out[i]
        # (the disc its title names, "The Wall (Disc 2)", else its folder, "CD2", else its file
        # name, "2-01 Song")
        disc = title_disc(r["album"] or "")[1] or path_disc(r["path"] or "", r["track_no"])
        # (a track without a number tag goes by its file name's, "1 Intro" ... "10 Outro", as the
        # window lists it and the player joins it)
        track = r["track_no"] if r["track_no"] is not None else path_numbers(r["path"] or "")[0]
        return album_slot(r["disc_no"], disc, track)

    for end in range(1, len(out) + 1):
        if end < len(out) and out[end]["album"] and run(out[end]) == run(out[at]):
            continue
        if end - at > 1 and out[at]["album"]:
            places: dict = {}
            keys = {i: (places.setdefault(out[i]["mb_album_id"] or release_folder(out[i]["path"] or ""), len(places)),
                        *key(i), i) for i in range(at, end)}
            out[at:end] = [out[i] for i in sorted(range(at, end), key=keys.__getitem__)]
        at = end
    return out


def _one_artist_on_every_track(rows: list) -> bool:
    # An artist's album whose guests are sometimes named first ("Everlast & Santana" on a
    # Santana album) has that artist credited on every track; a soundtrack has nobody so.
    return bool(set.intersection(*(credited_artists(r["artist"]) for r in rows)))


def _numbered_as_one_album(rows: list) -> bool:
    discs: dict = {}
    aside = 0
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
