"""Files opened by name (``segue play PATH``, ``segue --open PATH``): tracks for them.

A path may be a file, a playlist file (the files it names) or a folder (its audio files,
as the scanner finds them). Each file becomes a track if it is not one yet, outside any
library folder, so its plays are logged like any other; an audio file that cannot be
read is stored with its error (the decoder gives the final word when it is played). A
file of another kind is left out with its reason, and nothing is stored for it: an error
row outside every library folder would stay in the library's count for good.
"""

from __future__ import annotations

import os

from player.library.scanner import change_time, walk_audio
from player.library.tags import AUDIO_EXTENSIONS, TagReadError, read_tags


def files_in(path: str) -> list[str]:
    """The path itself unless it is a folder or a playlist file, else the audio files in
    the folder (each real file once) or the files the playlist names, in its order. A
    playlist that cannot be read gives itself (and its reason when it is played)."""
    from player.playlist_files import EXTENSIONS, PlaylistFileError, read_playlist

    if os.path.isdir(path):
        return [os.path.abspath(found.path) for found in walk_audio(path)]
    if os.path.splitext(path)[1].lower() in EXTENSIONS:
        try:
            return read_playlist(path).paths
        except PlaylistFileError:
            pass
    return [os.path.abspath(path)]


def track_ids_for_paths(store, paths: list[str]) -> tuple[list[int], list[tuple[str, str]]]:
    """``(track ids in the order of paths, [(path, why it was left out)])``; tracks are added as needed."""
    rows, problems = [], []
    for path in paths:
        if store.track_by_path(path) is not None:
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            problems.append((path, exc.strerror or str(exc)))
            continue
        row = {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": change_time(st)}
        try:
            row.update(read_tags(path))
        except TagReadError as exc:
            if os.path.splitext(path)[1].lower() not in AUDIO_EXTENSIONS:
                problems.append((path, f"not an audio file ({exc})"))
                continue
            row["last_error"] = str(exc)
        rows.append(row)
    store.upsert_tracks(rows)
    found = [store.track_by_path(p) for p in paths]
    return [row["id"] for row in found if row is not None], problems
