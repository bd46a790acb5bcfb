"""A song's lyrics: from its own tags, or from a ``.lrc`` file beside it; never from the network.

Read on a worker (a file on a network share can take seconds to open); no Qt here.

Where they come from, the first that holds timed lines, else the first that holds any text:

1. ``song.flac.lrc``, then ``song.lrc``, beside ``song.flac`` (any case of the extension): the
   person put it there for this song; the first names this one file (a ``song.lrc`` may serve
   a ``song.mp3`` beside it too), as foobar2000 and some taggers save them;
2. the file's tags: ID3 ``SYLT`` (timed) and ``USLT``, Vorbis and FLAC ``LYRICS`` or
   ``UNSYNCEDLYRICS``, MP4 ``©lyr``, WMA ``WM/Lyrics``. Taggers often write a whole ``.lrc``
   into these, so the text of a tag is read as ``.lrc`` too, and is plain text where it has no
   time stamps.

A track of a CUE sheet is a stretch of one file that holds the whole album: the file's tags
and a plain ``.lrc`` beside it are the album's text, not this song's, and are not shown for it.
A timed ``.lrc`` beside the album's file is timed on that file, so each track shows the lines
that fall within its own stretch (and one begun a moment before it, sung across its start),
timed from its own start.
"""

from __future__ import annotations

import logging
import os
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from player.library.cue import decode_sheet

log = logging.getLogger(__name__)

#: the most of a ``.lrc`` read: a song's lyrics are a few KB; anything larger is not lyrics
MAX_LRC_BYTES = 1 << 20
#: the most lines shown: a song has a few dozen, a whole album's timed file a few thousand; the
#: tab puts each line in a list on the GUI thread, and 100,000 of them (a 1 MiB file of short
#: lines, or a tag of any size) froze the window for seconds
MAX_LINES = 10_000
#: seconds before a CUE track's start that a line sung across it may begin and still be its first
CUE_LEAD_S = 1.0
#: ``[mm:ss]``, ``[mm:ss.xx]``, ``[mm:ss:xx]`` (some editors write a colon), hours never
_STAMP = re.compile(r"\[(\d{1,3}):(\d{1,2}(?:[.:]\d{1,3})?)\]")
#: a word's own time in enhanced LRC (``<00:12.34>``): the line's time is enough to follow it
_WORD_STAMP = re.compile(r"<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")
#: ``[ar:Artist]``, ``[offset:+250]`` and the like: about the file, not lines to show
_ID_TAG = re.compile(r"^\[([a-zA-Z#]+):(.*)\]\s*$")
#: the format's own tags (and ``id``, ``la``, ``lr``, which the big lyric services add); any other
#: ``[Word: value]`` is a lyric site's section label (``[Hook: Drake]``), a line the person reads
_ID_TAGS = frozenset({"ar", "al", "ti", "au", "lr", "length", "by", "offset", "re", "tool", "ve", "#", "id", "la"})


@dataclass(frozen=True)
class Lyrics:
    """``lines``: the text, line by line; ``times``: where each line starts, in seconds of the
    track, in order (then ``synced``), or empty for plain text."""

    lines: tuple[str, ...]
    times: tuple[float, ...] = ()

    @property
    def synced(self) -> bool:
        return bool(self.times)

    def line_at(self, seconds: float) -> int | None:
        """The index of the line sung at ``seconds``: the last one started by then; None before
        the first, and for plain text."""
        # Asked at every tick of the clock (four times a second), on the GUI thread: a search
        # in the ordered times, not a walk through a long song's every line.
        at = bisect_right(self.times, seconds + 1e-6) - 1
        return at if at >= 0 else None


def parse_lrc(text: str) -> Lyrics | None:
    """Lyrics from the text of a ``.lrc`` file, or None where it holds no words.

    Tolerant, as files found beside songs are: a line may carry several stamps (a chorus sung
    three times is written once), lines need not be in order, ``[offset:±ms]`` moves every line
    (a positive offset shows them sooner, as the format's authors meant), a word's own stamps
    are dropped, and a line with no stamp among timed ones is skipped. A file without any stamp
    is plain text, shown as it is."""
    if len(text) > MAX_LRC_BYTES:
        log.info("lyrics not read: %d characters, more than lyrics hold", len(text))
        return None
    offset = 0.0
    timed: list[tuple[float, int, str]] = []
    plain: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip().lstrip("\ufeff")
        tag = _ID_TAG.match(line)
        if tag and tag.group(1).lower() in _ID_TAGS:
            if tag.group(1).lower() == "offset":
                try:
                    offset = int(tag.group(2).strip()) / 1000.0
                except ValueError:
                    log.debug("an offset that is no number: %r", line)
            continue
        stamps = []
        while (m := _STAMP.match(line)) is not None:
            seconds = int(m.group(1)) * 60 + float(m.group(2).replace(":", "."))
            stamps.append(seconds)
            line = line[m.end():].lstrip()
        words = " ".join(_WORD_STAMP.sub("", line).split())
        if stamps:
            timed.extend((s, len(timed), words) for s in stamps)
        else:
            plain.append(raw.rstrip())
    if len(timed) > MAX_LINES or len(plain) > MAX_LINES:
        log.info("lyrics not read: %d lines, more than lyrics hold", max(len(timed), len(plain)))
        return None
    if timed:
        timed.sort()
        return Lyrics(tuple(words for _s, _n, words in timed),
                      tuple(max(0.0, s - offset) for s, _n, _w in timed))
    while plain and not plain[-1].strip():
        plain.pop()
    while plain and not plain[0].strip():
        plain.pop(0)
    return Lyrics(tuple(plain)) if plain else None


def lrcs_beside(audio: str) -> list[str]:
    """The ``.lrc`` files named for the audio file, any case of their extension: the one named
    with the whole file name (``song.flac.lrc``) first, then the one with its stem (``song.lrc``)."""
    folder, name = os.path.split(audio)
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return []
    paths = []
    # (a file with no extension has one name for both)
    for wanted in dict.fromkeys((f"{name}.lrc", f"{os.path.splitext(name)[0]}.lrc")):
        found = [n for n in names if n.lower() == wanted.lower()]
        if found:
            paths.append(os.path.join(folder, wanted if wanted in found else found[0]))
    return paths


def lrc_beside(audio: str) -> str | None:
    """The ``.lrc`` the audio file's lyrics are first looked for in (see :func:`lrcs_beside`), or None."""
    paths = lrcs_beside(audio)
    return paths[0] if paths else None


def read_lrc(path: str) -> Lyrics | None:
    """A ``.lrc`` file's lyrics; None where it cannot be read or holds none (said in the log)."""
    from player.library.tags import TagReadError, open_regular

    # Opened as the tags reader opens a song: a named pipe called song.lrc opened the plain way
    # waits for a writer for ever, and held a worker of the shared pool with it.
    try:
        with open_regular(path) as f:
            data = f.read(MAX_LRC_BYTES + 1)
    except (OSError, TagReadError) as exc:
        log.info("lyrics not read from %s: %s", path, exc)
        return None
    if len(data) > MAX_LRC_BYTES:
        log.info("lyrics not read from %s: larger than %d bytes", path, MAX_LRC_BYTES)
        return None
    text = decode_sheet(data)
    if "\x00" in text:
        # No text file holds a NUL (UTF-16 with its mark is decoded above): this is some other
        # file given the name, whose bytes read as a code page fill the tab with gibberish.
        log.info("lyrics not read from %s: not a text file", path)
        return None
    return parse_lrc(text)


def embedded(path: str) -> Lyrics | None:
    """The lyrics in the file's own tags, timed where they are; None where it has none."""
    import mutagen
    from mutagen.asf import ASFTags
    from mutagen.mp4 import MP4Tags

    from player.library.tags import open_regular

    try:
        with open_regular(path) as f:
            audio = mutagen.File(f)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many types; lyrics are optional
        log.debug("no lyrics from %s: %s", path, exc)
        return None
    tags = getattr(audio, "tags", None)
    if tags is None:
        return None
    found: list[Lyrics] = []
    if isinstance(tags, ASFTags):                                 # WMA (before ID3: it has a getall too)
        texts = [str(t) for t in tags.get("WM/Lyrics") or []]
    elif hasattr(tags, "getall"):                                 # ID3
        for frame in tags.getall("SYLT"):
            ms = getattr(frame, "format", 2) == 2                 # 2: milliseconds; 1: MPEG frames
            if ms and frame.text and len(frame.text) <= MAX_LINES:
                pairs = sorted((t / 1000.0, s.strip()) for s, t in frame.text)
                found.append(Lyrics(tuple(s for _t, s in pairs), tuple(t for t, _s in pairs)))
        texts = [str(frame.text) for frame in tags.getall("USLT")]
    elif isinstance(tags, MP4Tags):
        texts = [str(t) for t in tags.get("\xa9lyr") or []]
    else:                                                         # Vorbis comments (FLAC, Ogg, Opus)
        texts = []
        for key in ("lyrics", "unsyncedlyrics"):
            try:
                texts += [str(t) for t in tags.get(key) or []]
            except (KeyError, ValueError, TypeError):
                pass
    found += [lyr for lyr in map(parse_lrc, texts) if lyr is not None]
    return _best(found)


def _best(found: list) -> Lyrics | None:
    found = [lyr for lyr in found if lyr is not None]
    return next((lyr for lyr in found if lyr.synced), found[0] if found else None)


def read_lyrics(audio: str, *, cue_start_s: float | None = None, cue_end_s: float | None = None) -> Lyrics | None:
    """The lyrics to show for the file ``audio`` (worker thread), or None. For a CUE sheet's
    track, ``cue_start_s``/``cue_end_s``: its stretch of the file (see the module's words)."""
    besides = [read_lrc(lrc) for lrc in lrcs_beside(audio)]
    if cue_start_s is None:
        return _best([*besides, embedded(audio)])
    beside = _best(besides)
    if beside is None or not beside.synced:
        return None
    end = float("inf") if cue_end_s is None else cue_end_s
    kept = [(t - cue_start_s, line) for t, line in zip(beside.times, beside.lines) if cue_start_s <= t < end]
    # A line stamped a moment before the track's start (the sheet's index a touch late, the line
    # timed a breath early) and still sung there is this track's first line, shown from its start.
    # Begun longer ago it is the last line of the song before, which holds until the next stamp.
    before = bisect_left(beside.times, cue_start_s) - 1
    if (before >= 0 and beside.lines[before].strip() and cue_start_s - beside.times[before] <= CUE_LEAD_S
            and not (kept and kept[0][0] <= 0.0)):
        kept.insert(0, (0.0, beside.lines[before]))
    if not kept:
        return None
    return Lyrics(tuple(line for _t, line in kept), tuple(t for t, _l in kept))
