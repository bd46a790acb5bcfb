"""A long file's chapters: an audiobook's, a podcast's, a DJ mix's marks, as other players show them.

Where they come from: an MP3's ID3v2 ``CHAP`` frames (read with mutagen, no process started),
and for every other file what ffprobe reads (an MP4's Nero ``chpl`` atom or QuickTime chapter
text track, Matroska's chapters, Ogg's ``CHAPTERxxx`` comments). ffprobe takes about a tenth
of a second a file, far too long to ask of every file at a scan, so they are read only when a
file plays, on a worker (no Qt here).

What a file says is not trusted: marks are sorted by their start, those that begin past the
end or at the same place as an earlier one are dropped, each ends where the next begins (the
last at the file's end), a title is one line of bounded length (a mark without one is
"Chapter 3"), and no more than :data:`MAX_CHAPTERS` are kept.

A track of a CUE sheet is a stretch of a longer file: it shows the marks that fall within
that stretch, timed from its own start, the one in force where it begins starting at 0.
"""

from __future__ import annotations

import logging
import math
import os
from bisect import bisect_right
from dataclasses import dataclass

from segue_common import audio_io
from segue_common.regular_file import open_regular_file

log = logging.getLogger(__name__)

#: the most marks kept: an audiobook has tens, a long one a few hundred; each is a row in the
#: Chapters tab and a tick on the seek bar, built on the GUI thread
MAX_CHAPTERS = 1000
#: the most characters of a title: a tab row and the now-playing bar show a few words
MAX_TITLE = 200


@dataclass(frozen=True)
class Chapter:
    """One mark: ``start`` and ``end`` in seconds from the track's start."""

    title: str
    start: float
    end: float


def read_chapters(path: str, *, length_s: float | None = None, cue_start_s: float | None = None,
                  cue_end_s: float | None = None) -> tuple[Chapter, ...]:
    """The chapters of the file at ``path`` (empty where it has none or cannot be read).
    ``length_s``: the file's length where the library knows it (marks past it are dropped).
    ``cue_start_s``/``cue_end_s``: the stretch a CUE sheet's track plays of the file."""
    marks = _id3_marks(path) if os.path.splitext(path)[1].lower() == ".mp3" else None
    if marks is None:
        marks = _probed_marks(path)
    if cue_start_s is not None:
        end = cue_end_s if cue_end_s is not None else (length_s + cue_start_s if length_s else None)
        return _in_stretch(tidy(marks, length_s=end), cue_start_s, end)
    return tidy(marks, length_s=length_s)


def tidy(marks, *, length_s: float | None = None) -> tuple[Chapter, ...]:
    """``marks`` (``(start, end, title)`` as a file gives them, in any order, any of them None)
    sorted, bounded and named plainly (see the module's docstring)."""
    from player.library.tags import clean_text     # (mutagen with it: see _id3_marks)

    limit = length_s if length_s is not None and math.isfinite(length_s) and length_s > 0 else None
    kept: dict[float, tuple[float | None, str | None]] = {}
    for start, end, title in marks:
        start = _seconds(start)
        if start is None:
            continue
        start = max(start, 0.0)
        if (limit is not None and start >= limit) or start in kept:
            continue
        kept[start] = (_seconds(end), title)
    starts = sorted(kept)[:MAX_CHAPTERS]
    out = []
    for i, start in enumerate(starts):
        end, title = kept[start]
        if i + 1 < len(starts):
            end = starts[i + 1]
        elif limit is not None:
            end = limit
        elif end is None or end <= start:
            end = start
        name = clean_text(title)
        name = name[:MAX_TITLE].rstrip() + "…" if name and len(name) > MAX_TITLE else name
        out.append(Chapter(name or f"Chapter {i + 1}", start, end))
    return tuple(out)


def chapter_at(chapters: tuple[Chapter, ...], seconds: float) -> int | None:
    """The index of the chapter playing at ``seconds``, or None (before the first, or none)."""
    at = bisect_right([c.start for c in chapters], seconds) - 1
    return at if at >= 0 else None


def _in_stretch(chapters: tuple[Chapter, ...], start: float, end: float | None) -> tuple[Chapter, ...]:
    """The chapters within ``start``..``end`` of the file, timed from ``start``."""
    first = chapter_at(chapters, start)
    out = []
    for i, c in enumerate(chapters):
        if (first is not None and i < first) or (end is not None and c.start >= end):
            continue
        out.append(Chapter(c.title, max(c.start - start, 0.0), (min(c.end, end) if end else c.end) - start))
    return tuple(out)


def _seconds(value) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None


def _id3_marks(path: str) -> list | None:
    """An MP3's ``CHAP`` frames as marks; None where its ID3v2 tag cannot be read (ffprobe is
    asked then), an empty list where it has none."""
    # (imported here: the window imports this module as it opens, and mutagen waits until a
    # chapter is read)
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        # (opened without blocking and checked: by its name, mutagen opened a named pipe there
        # and waited for a writer for ever)
        with open_regular_file(path) as f:
            tag = ID3(f)
    except ID3NoHeaderError:
        return []
    except Exception as exc:  # noqa: BLE001 - a damaged tag costs the chapters, never the song
        log.debug("no ID3 chapters read from %r: %s: %s", path, type(exc).__name__, exc)
        return None
    marks = []
    for chap in tag.getall("CHAP"):
        title = chap.sub_frames.get("TIT2")
        # (an unset time is 0xFFFFFFFF: "not given", the next mark's start ends it)
        end = None if chap.end_time in (None, 0xFFFFFFFF) else chap.end_time / 1000
        marks.append((chap.start_time / 1000, end, title.text[0] if title and title.text else None))
    return marks


def _probed_marks(path: str) -> list:
    """ffprobe's chapters of ``path`` as marks (none where it is not installed)."""
    probed = audio_io.probe_chapters(path)
    if probed is None:
        return []
    marks = []
    for c in probed:
        tags = c.get("tags")
        title = None
        if isinstance(tags, dict):
            title = next((v for k, v in tags.items() if str(k).lower() == "title"), None)
        marks.append((c.get("start_time"), c.get("end_time"), title))
    return marks
