"""Files opened by name (``segue play PATH``, ``segue --open PATH``): tracks for them.

A path may be a file, a playlist file (the files it names) or a folder (its audio files,
as the scanner finds them). Each file becomes a track if it is not one yet (under any
path: a link to a library file is that file's track), outside any library folder, so its
plays are logged like any other; an audio file that cannot be
read is stored with its error (the decoder gives the final word when it is played). A
file of another kind is left out with its reason, and nothing is stored for it: an error
row outside every library folder would stay in the library's count for good.

An album in one file with its CUE sheet (beside it, or inside its tags) is the sheet's tracks
there too, as a scan lists it inside the library, and the sheet opened gives them as well.
"""

from __future__ import annotations

import os
import re

from player.library.cue import CueError, albums_in_sheets, audio_files, audio_path, parse_sheet, read_sheet, track_rows
from player.library.scanner import holds_another_song, walk_audio
from player.library.skip import extension, skipped_name
from player.library.tags import AUDIO_EXTENSIONS, TagReadError, read_tags
from segue_common.file_stamp import change_mark, mark_moved


#: why a web address in a playlist file opened is not played
WEB_ENTRY = "a web address: Segue plays files on this computer, without going online"


def files_in(path: str, store=None) -> list[str]:
    """The path itself unless it is a folder or a playlist file, else the audio files in
    the folder (each real file once) or the files the playlist names, in its order (a
    track of a CUE sheet, named by its file and where it starts, as ``store`` names it; a
    file not on this computer as the library track an import would take for it: a playlist
    made on another computer, or before the music moved). A playlist that cannot be read
    gives itself (and its reason when it is played)."""
    return _files_and_addresses(path, store)[0]


def _files_and_addresses(path: str, store=None) -> tuple[list[str], list[str]]:
    """:func:`files_in`, and the web addresses (and other URLs) a playlist file names."""
    from player.playlist_files import EXTENSIONS, PlaylistFileError, read_playlist

    if os.path.isdir(path):
        return [os.path.abspath(found.path) for found in walk_audio(path)], []
    if extension(os.path.basename(path)) in EXTENSIONS:      # ("....m3u8": a playlist called "...")
        try:
            content = read_playlist(path)
        except PlaylistFileError:
            pass
        else:
            if store is None:
                return content.paths, content.skipped
            # (an entry with a start is a sheet's track: sheet_tracks_named finds it, moved or not)
            here = store.files_named(content.paths, content.titles, skip=set(content.starts),
                                     lengths=content.lengths)
            return store.sheet_tracks_named(here, content.starts), content.skipped
    if path.lower().endswith(".cue"):
        # A CUE sheet: its audio files (each then the sheet's tracks in it, see
        # _tracks_of). One that cannot be used gives itself, and its reason.
        try:
            return [os.path.normpath(os.path.abspath(audio)) for audio in audio_files(read_sheet(path), path)], []
        except CueError:
            pass
    return [os.path.abspath(path)], []


def _sheets_beside(folder: str) -> dict:
    """``audio file -> (sheet path, sheet, its tracks in that file)`` of the CUE sheets in
    ``folder``, as a scan reads them: the first by name of two naming one file, a file
    given one track (a rip of a file per track) left to be that track, a sheet that cannot
    be used left out (its file stays one track)."""
    try:
        names = [name for name in os.listdir(folder) if name.lower().endswith(".cue") and not skipped_name(name)]
    except OSError:
        return {}
    return albums_in_sheets(os.path.join(folder, name) for name in names)


def _sheet_beside(path: str, beside: dict) -> tuple | None:
    """``(sheet path, sheet, its tracks)`` of the sheet beside the file ``path`` that makes
    tracks of it, or None; ``beside``: :func:`_sheets_beside` of each folder asked, kept over
    one opening of many files."""
    folder = os.path.dirname(path)
    if folder not in beside:
        beside[folder] = _sheets_beside(folder)
    return beside[folder].get(os.path.normpath(path))


def _sheet_rows(path: str, row: dict, beside: dict) -> list[dict] | None:
    """The rows of the tracks a CUE sheet makes of the file ``path`` opened (``row``: its
    file's row as read, its tags), the sheet beside it winning over one inside its tags; or
    None where it has none, or one that does not fit it (it is then one track). ``beside``:
    as for :func:`_sheet_beside`."""
    text = row.pop("cuesheet", None)
    if row.get("last_error") is not None:
        return None
    try:
        sheet_path, sheet, tracks = _sheet_beside(path, beside) or (path, parse_sheet(text or ""), None)
        rows = track_rows(sheet, sheet_path, path, tracks or sheet.tracks, row)
    except CueError:
        return None
    if len(rows) < 2:
        return None
    for track in rows:
        track.update({key: row[key] for key in ("size", "mtime_ns", "ctime_ns")})
    return rows


def _same_files(store, stats: dict[str, os.stat_result]) -> dict[str, list[int]]:
    """``path -> track ids`` for the files of ``stats`` that the library has under another
    path (a link to the file, or to its folder: one file is one track, as in a scan, or the
    tracks of its CUE sheet). One read for all of them: a folder of a thousand new files
    costs no thousand scans of the library's tracks."""
    by_file: dict[tuple[int, int], list] = {}
    for row in store.tracks_of_sizes({st.st_size for st in stats.values()}):
        by_file.setdefault((row["size"], row["mtime_ns"]), []).append(row)
    found = {}
    for path, st in stats.items():
        if not st.st_ino:
            continue        # no file ids here (some network and FAT drives): equal size and time prove nothing
        for row in by_file.get((st.st_size, st.st_mtime_ns), ()):
            # (a CUE sheet's track is named after its album's file: that file is the one compared)
            audio = audio_path(row)
            try:
                if os.path.samestat(os.stat(audio), st):
                    found[path] = [row["id"]] if row["cue_start_s"] is None else store.sheet_track_ids(audio)
                    break
            except (OSError, ValueError):
                continue
    return found


def track_ids_for_paths(store, paths: list[str]) -> tuple[list[int], list[tuple[str, str]]]:
    """``(track ids in the order of paths, [(path, why it was left out)])``; tracks are added as needed.

    A file the library has under another path is that track. A file outside the library
    folders that changed since it was last opened is read again (no scan looks at it):
    holding another song now, it is a new track, and the old one keeps its plays."""
    found, problems = _tracks_of(store, paths)
    return [track_id for _path, track_id in found], problems


def _tracks_of(store, paths: list[str]) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """``([(path, track id)] in the order of paths, problems)``: see :func:`track_ids_for_paths`."""
    rows, problems, todo, replaced = [], [], [], []
    sheets, beside, in_sheets = {}, {}, set()
    for path in paths:
        # An album in one file with its CUE sheet (the file, or the sheet, opened): its tracks.
        if ids := store.sheet_track_ids(path):
            sheets[path] = ids
            continue
        stored = store.track_by_path(path)
        try:
            st = os.stat(path)
        except OSError as exc:
            if stored is None:
                problems.append((path, exc.strerror or str(exc)))
            continue                     # (a track stays: the decoder says why it cannot play)
        if stored is not None and (stored["folder_id"] is not None
                                   or (stored["size"], stored["mtime_ns"]) == (st.st_size, st.st_mtime_ns)
                                   and not mark_moved(stored["ctime_ns"], st) and not _sheet_beside(path, beside)):
            # (an album in one file opened before its sheet was read there, or put beside it,
            # was one long track: its sheet's tracks now, the old track kept with its plays)
            continue
        todo.append((path, stored, st))
    known = _same_files(store, {path: st for path, stored, st in todo if stored is None})
    for path, stored, st in todo:
        if path in known:
            continue
        row = {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": change_mark(st)}
        try:
            row.update(read_tags(path))
        except TagReadError as exc:
            if path.lower().endswith(".cue"):
                try:
                    audio_files(read_sheet(path), path)
                except CueError as why:
                    problems.append((path, f"CUE sheet not used: {why}"))
                    continue
            if extension(os.path.basename(path)) not in AUDIO_EXTENSIONS:
                problems.append((path, f"not an audio file ({exc})"))
                continue
            row["last_error"] = str(exc)
        if (tracks := _sheet_rows(path, row, beside)) is not None:
            # An album in one file with its sheet: the sheet's tracks, not the file.
            rows += tracks
            in_sheets.add(path)
            if stored is not None:
                # The file's one long track of before is missing, with its plays, as a scan
                # leaves it: listed, it stood beside its own tracks as a song of its own.
                replaced.append(stored["id"])
            continue
        # (a file that could not be read kept its song's names: they still tell)
        if stored is not None and holds_another_song(stored, row):
            store.detach_replaced(stored["id"])
        rows.append(row)
    store.upsert_tracks(rows)
    store.mark_missing(replaced)
    for path in in_sheets:
        sheets[path] = store.sheet_track_ids(path)
    found = []
    for p in paths:
        if p in sheets:
            found += [(p, track_id) for track_id in sheets[p]]
        elif p in known:
            found += [(p, track_id) for track_id in known[p]]
        elif (row := store.track_by_path(p)) is not None:
            found.append((p, row["id"]))
    return found, problems


def _natural(name: str) -> list:
    """A file name as people sort it: "2 Song" before "10 Song"."""
    return [(0, int(part), "") if part.isdecimal() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", name)]


_LEADING = re.compile(r"\s*(\d{1,3})(?!\d)")


def _album_place(path: str, row) -> tuple:
    """Where the file ``path`` (its track ``row``, or None) plays in its folder: by disc and
    track number (the tags', else the file name's, as Up next reads an album; "00" is a
    number too, an intro before the first), then by file name as people sort it. By the
    path it was opened by: a folder of links plays in its own order."""
    from player.library.names import album_folder, path_disc, path_numbers, title_disc

    track = tagged = row["track_no"] if row is not None else None
    disc = row["disc_no"] if row is not None else None
    # (the disc its album title names, "The Wall (Disc 2)", where no disc tag says, as the
    # library orders such discs)
    disc = disc or (title_disc(row["album"] or "")[1] if row is not None else None)
    if track is None or disc is None:
        from_path = path_numbers(path)
        if track is None:
            lead = _LEADING.match(os.path.basename(path))
            track = from_path[0] if from_path[0] is not None else (int(lead.group(1)) if lead else None)
        # (a file named by its title, "7-11" track 2, names no disc: see path_disc)
        disc = disc or path_disc(path, tagged)
    return (album_folder(path), disc or 1, track if track is not None else 10 ** 9,
            _natural(os.path.basename(path)))


def tracks_for(store, paths: list[str]) -> tuple[list[int], list[tuple[str, str]]]:
    """``(track ids, problems)`` for what was asked to play (see :func:`track_ids_for_paths`):
    files in the order given, playlists in theirs, and each folder as its albums play."""
    ids, problems = [], []
    for path in paths:
        files, addresses = _files_and_addresses(path, store)
        found, bad = _tracks_of(store, files)
        # (left out with the reason, in the playlist's order: dropped without a word, a radio
        # station's playlist opened did nothing at all)
        problems += bad + [(address, WEB_ENTRY) for address in addresses]
        if os.path.isdir(path) and len(found) > 1:
            numbers = store.tracks_by_id([track_id for _path, track_id in found], ["track_no", "disc_no", "album"])
            found.sort(key=lambda pair: _album_place(pair[0], numbers.get(pair[1])))
            _find_compilations(store, [track_id for _path, track_id in found])
        ids += [track_id for _path, track_id in found]
    return ids, problems


def _find_compilations(store, track_ids: list[int]) -> None:
    """Mark the tracks outside the library of a folder opened that make one compilation by
    their folder, as a scan marks a library folder's (``player.library.albums``): a soundtrack
    opened from a file manager follows on without a crossfade, as it does in the library. Only
    a folder opened is looked at: a few of its files opened alone are not its whole album."""
    from player.library.albums import folder_compilations

    rows = [r for r in store.tracks_by_id(track_ids).values()
            if r["folder_id"] is None and not r["missing"] and r["last_error"] is None]
    found = folder_compilations(rows)
    store.set_folder_compilations(
        {r["id"]: int(r["id"] in found) for r in rows if r["folder_compilation"] != (r["id"] in found)})
