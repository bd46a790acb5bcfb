"""Reading a file's tags and stream info with mutagen, errors turned into values.

:func:`read_tags` returns the track columns of :data:`player.store.TRACK_FIELDS`
that a file itself defines, or raises :class:`TagReadError` with a message fit to
show the user. Nothing mutagen raises escapes this module.

Where mutagen cannot read a file's stream info (an RF64 recording, an AIFF written to a
pipe, an MP3 named .flac, an Ogg file with zeros after its last page) or finds no length,
the player may still play it: the stream info is then taken as the player's decoder opens
the file (libsndfile's header, dr_mp3 for MP3), and the track keeps whatever tags can be
read. Only a file the decoder cannot open either is an error, with mutagen's reason.

Every value that leaves here fits where it goes: text is valid UTF-8 without
control characters and at most :data:`MAX_TEXT` characters; whole numbers fit a
32-bit column (the window's table keeps them as int32, SQLite would take 64 bits);
floats are finite. Each tag container is read by its own mapper (ID3, Vorbis
comments, MP4, APEv2, ASF, and a WAV's RIFF INFO list and an AIFF's NAME and AUTH
chunks, which mutagen does not read), and a mapper that fails on odd data costs the
tags, never the track.
"""

from __future__ import annotations

import codecs
import logging
import math
import os
import re
import struct
import unicodedata
from collections import namedtuple

import mutagen
import soundfile as sf
from mutagen.ac3 import AC3
from mutagen.aiff import AIFF
from mutagen._vorbis import VComment
from mutagen.apev2 import TEXT as APE_TEXT
from mutagen.apev2 import APEv2
from mutagen.asf import ASF, ASFTags
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCON, Encoding, ParseID3v1
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Tags
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus, OggOpusInfo, OggOpusVComment
from mutagen.oggvorbis import OggVCommentDict, OggVorbis, OggVorbisInfo
from mutagen.trueaudio import TrueAudio
from mutagen.wave import WAVE

from player.library.skip import extension
from segue_common import audio_io, faults
from segue_common.mp3 import FrameIndex, Mp3Reader, constant_bit_rate_at_start, frame_header, xing_tag
from segue_common.mp4 import boxes as mp4_boxes
from segue_common.normalize import ARTISTS_JOINED_BY, match_key
from segue_common.regular_file import NotRegularFile, open_regular_file

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset({
    ".mp3", ".flac", ".ogg", ".oga", ".opus", ".wav", ".wave", ".aif", ".aiff", ".aifc",
    ".m4a", ".mp4", ".aac", ".alac", ".wma", ".wv", ".ape", ".mpc", ".spx", ".tta",
    # audiobooks (AAC in MP4), MPEG layer II (broadcast, DVD), AC-3, DSD (DSF and DSDIFF), the
    # PCM containers libsndfile reads, and Matroska/WebM (Opus or Vorbis, mutagen reads neither:
    # ffprobe does)
    ".m4b", ".mp2", ".ac3", ".dsf", ".dff", ".caf", ".w64", ".au", ".mka", ".webm",
    # iPhone ringtones (AAC in MP4), Musepack's other names, TAK, Shorten, DTS (5.1 CD and DVD
    # rips), and phone recordings (AMR narrow- and wideband, raw or in 3GPP; or AAC in 3GPP):
    # ffmpeg decodes each. (OptimFROG, .ofr and .ofs, is left out: ffmpeg has no decoder for it.)
    ".m4r", ".mpp", ".mp+", ".tak", ".shn", ".dts", ".amr", ".awb", ".3ga",
})

#: longest text kept per tag: more is not a title anyone reads, and a 10 MB "title"
#: would be copied into every list and label that shows it
MAX_TEXT = 1000
INT32_MAX = 2**31 - 1
#: a stream claiming to last longer than this is damaged (the seek bar counts milliseconds in 32 bits)
MAX_DURATION_S = 7 * 24 * 3600.0
#: |gain| beyond this is not a loudness correction but garbage; the player clamps further (±24 dB)
MAX_GAIN_DB = 1000.0


#: the error of a file neither mutagen nor a decoder here knows as audio
NOT_RECOGNISED = faults.NOT_RECOGNISED


class TagReadError(Exception):
    """A file that could not be read as audio; the message says why."""


_DIGITS = re.compile(r"\d+")
# (".988" and "-.5" too, as bc and some scripts print them: without the point they read 988
# and 5, a peak that held the song 60 dB down and a cut turned into a boost; the decimal
# comma likewise, "-,5" as "-0,5")
_FLOAT = re.compile(r"[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][-+]?\d{1,3})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# (the spaces and zero-width marks at a name's ends, however mixed: "Daft Punk\u200b \u200b")
_BLANK_ENDS = re.compile(r"^[\s\u200b\u200c\u200d\u2060]+|[\s\u200b\u200c\u200d\u2060]+$")

_COMMON_KEYS = {
    "title": "title", "artist": "artist", "album": "album", "albumartist": "albumartist",
    "album artist": "albumartist", "album_artist": "albumartist", "genre": "genre", "date": "year",
    "year": "year", "tracknumber": "track_no", "track": "track_no", "discnumber": "disc_no",
    "disc": "disc_no",
    "replaygain_track_gain": "rg_track_gain", "replaygain_track_peak": "rg_track_peak",
    "replaygain_album_gain": "rg_album_gain", "replaygain_album_peak": "rg_album_peak",
    "musicbrainz_trackid": "mb_track_id", "musicbrainz_albumid": "mb_album_id",
    "musicbrainz_artistid": "mb_artist_id",
    "musicbrainz track id": "mb_track_id", "musicbrainz album id": "mb_album_id",
    "musicbrainz artist id": "mb_artist_id",
    # A classical collection is searched by composer; a compilation's tracks name their own
    # artists and only this flag says they make one album; the sort names file "The Beatles"
    # under B and "David Bowie" under Bowie, as the collector tagged them.
    "composer": "composer", "compilation": "compilation", "artistsort": "artistsort",
    "albumartistsort": "albumartistsort", "album artist sort": "albumartistsort",
    "album_artist_sort": "albumartistsort",
    # (and "Bach, Johann Sebastian" files the composer under B)
    "composersort": "composersort",
    # The stars the person gave a song in another player: foobar2000 and MusicBee write RATING
    # (1-5, or 0-100), Quod Libet and Clementine FMPS_RATING (0.0-1.0); see parse_rating
    "rating": "rating", "fmps_rating": "_fmps_rating",
    # A classical work's movements: the work they make up (or the grouping an older tagger
    # wrote it in), and each one's number and name, so that they are played together and in
    # their order
    "work": "work", "grouping": "grouping", "movement": "movement", "movementnumber": "movement",
    "movementname": "movementname",
}
_ID3_KEYS = {
    "TIT2": "title", "TPE1": "artist", "TALB": "album", "TPE2": "albumartist", "TCON": "genre",
    "TDRC": "year", "TYER": "year", "TRCK": "track_no", "TPOS": "disc_no",
    "TCOM": "composer", "TCMP": "compilation", "TSOP": "artistsort", "TSO2": "albumartistsort",
    "TSOC": "composersort", "TIT1": "grouping", "GRP1": "grouping", "MVIN": "movement", "MVNM": "movementname",
}
_MP4_KEYS = {
    "\xa9nam": "title", "\xa9ART": "artist", "\xa9alb": "album", "aART": "albumartist",
    "\xa9gen": "genre", "\xa9day": "year", "\xa9wrt": "composer", "cpil": "compilation", "soar": "artistsort",
    "soaa": "albumartistsort", "soco": "composersort", "\xa9wrk": "work", "\xa9grp": "grouping",
    "\xa9mvn": "movementname",
    # (MediaMonkey's and MusicBee's rating in an MP4 file, 0-100)
    "rate": "rating",
}
_ASF_KEYS = {
    "title": "title", "author": "artist", "wm/albumtitle": "album", "wm/albumartist": "albumartist",
    "wm/genre": "genre", "wm/year": "year", "wm/tracknumber": "track_no", "wm/partofset": "disc_no",
    "musicbrainz/track id": "mb_track_id", "musicbrainz/album id": "mb_album_id",
    "musicbrainz/artist id": "mb_artist_id", "wm/composer": "composer", "wm/iscompilation": "compilation",
    "wm/artistsortorder": "artistsort", "wm/albumartistsortorder": "albumartistsort",
    "wm/composersortorder": "composersort", "wm/contentgroupdescription": "grouping",
    # Windows Media Player's stars: 1, 25, 50, 75 and 99 for one to five
    "wm/shareduserrating": "_wm_rating",
}
_INT_FIELDS = {"year", "track_no", "disc_no", "movement"}
_GAIN_FIELDS = {"rg_track_gain", "rg_album_gain"}
_PEAK_FIELDS = {"rg_track_peak", "rg_album_peak"}
_FLAG_FIELDS = {"compilation"}
#: the scales a rating comes in, as they are read into stars (see parse_rating)
_RATING_SCALES = {"rating": "stars", "_ql_rating": "fraction", "_fmps_rating": "fraction", "_wm_rating": "wmp"}
#: the stars a song can be given
MAX_STARS = 5
#: the POPM ratings below 32 that are one star as the players write it: 1, and 13 (half a star)
_POPM_ONE_STAR = (1, 13)


# -- values ---------------------------------------------------------------------------------
def clean_text(value) -> str | None:
    """Valid UTF-8, one line, at most :data:`MAX_TEXT` characters; None when empty."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value[:4 * MAX_TEXT]).decode("utf-8", "replace")
    else:
        text = str(value)[:4 * MAX_TEXT]
    # Lone surrogates (from a decoder's error handler) cannot be stored as UTF-8.
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    text = _CONTROL.sub(" ", text).strip()
    if not text.isascii():
        # A byte order mark inside the text (Windows tools write one at the start of UTF-8,
        # and a second one after a UTF-16 frame's own) and zero-width spaces at its ends show
        # as nothing, but made "\ufeffHomework" another album than "Homework", listed apart
        # from its other tracks after every other title, and a title of them alone a blank row.
        text = _BLANK_ENDS.sub("", text.replace("\ufeff", ""))
        # One form of each accented letter: macOS taggers (and names copied from its file
        # names) write "ö" as "o" and a combining mark, others as one character. Kept as
        # written, the two spellings of one artist or album were two names to the library's
        # order, and a track so tagged was listed apart from the rest of its album.
        text = unicodedata.normalize("NFC", text)
    return text[:MAX_TEXT].rstrip() or None


def parse_int(text: str | None, field: str = "track_no") -> int | None:
    """The first run of digits ("3/12" -> 3, "c. 1999" -> 1999), clamped to int32.

    A year must be 1-9999 (an 8-digit "20010502" is read as its first four); any other
    number above int32 is clamped to it.
    """
    if text is None:
        return None
    if field == "year":
        return _parse_year(text)
    m = _DIGITS.search(text)
    if m is None:
        return None
    digits = m.group(0).lstrip("0") or "0"
    # int() of thousands of digits is refused by Python (and pointless): count them first.
    return INT32_MAX if len(digits) > 10 else min(int(digits), INT32_MAX)


def _parse_year(text: str) -> int | None:
    """The year of a date as taggers write it: its four-digit number wherever it stands, as
    a date written month or day first ("05/01/2004", "01.05.2004") puts it last; an 8-digit
    "20010502" is read as its first four. A date of several numbers none of which has four
    digits ("05/01/04") names no year that can be told, and gives none."""
    runs = _DIGITS.findall(text)
    if not runs:
        return None
    four = next((run for run in runs if len(run) == 4), None)
    if four is None and len(runs[0]) == 8:
        four = runs[0][:4]
    if four is None and len(runs) > 1:
        return None
    digits = (four or runs[0]).lstrip("0") or "0"
    if len(digits) > 4:
        return None
    year = int(digits)
    return year if 1 <= year <= 9999 else None


def parse_float(text: str | None) -> float | None:
    """The first decimal number ("-7.25 dB", "+1,5"), or None if there is none or it is not finite."""
    if text is None:
        return None
    m = _FLOAT.search(text)
    if m is None:
        return None
    try:
        value = float(m.group(0).replace(",", "."))
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def parse_flag(text: str | None) -> int | None:
    """1 for a tag that says yes ("1", "true", an MP4 flag), 0 for no ("0", "false"), else None."""
    if text is None:
        return None
    word = text.strip().casefold()
    if word in ("true", "yes"):
        return 1
    if word in ("false", "no"):
        return 0
    number = parse_int(text)
    return None if number is None else int(number > 0)


def parse_rating(text: str | None, scale: str = "stars") -> int | None:
    """Whole stars (1-5) of a rating as a tag writes it, or None for no rating.

    ``scale``: "stars" for a RATING tag, 1-5 as foobar2000 writes it, 6-100 as MusicBee writes
    it (20 a star), below 1 a fraction; "fraction" for FMPS_RATING (0.0-1.0); "wmp" for
    Windows Media Player's WM/SharedUserRating (1, 25, 50, 75, 99). Half stars (MusicBee's)
    count as the whole star above. 0 is no rating: players write it for a song not rated.

    >>> parse_rating("100"), parse_rating("4"), parse_rating("0.2", "fraction"), parse_rating("0")
    (5, 4, 1, None)
    """
    value = parse_float(text)
    if value is None or value <= 0:
        return None
    if scale == "fraction" or (scale == "stars" and value < 1):
        stars = value * MAX_STARS if value <= 1 else None
    elif scale == "wmp":
        stars = 1 + value / 25 if value <= 100 else None
    elif 2 * MAX_STARS > value > MAX_STARS:
        # (past five stars and below MusicBee's half star, 10: a scale of ten, say, where 8 is
        # good; read as percent it was one star, and kept the song out of every suggestion)
        stars = None
    else:
        stars = value if value <= MAX_STARS else value / 20 if value <= 100 else None
    return None if stars is None else min(MAX_STARS, max(1, math.floor(stars + 0.5)))


def popm_stars(rating: int, email: str = "") -> int | None:
    """Whole stars of an ID3 POPM frame's rating (0-255, 0 no rating).

    Windows Media Player, MusicBee, foobar2000 and MediaMonkey write 1, 64, 128, 196 and 255
    for one to five stars (MusicBee's half stars between them, 13 the half star), and read the
    ranges around those; Quod Libet writes its rating as a fraction of 255. Below 32 only those
    two are one star: one star keeps a song out of every suggestion, and the other small
    values are other scales' (some taggers write the stars themselves, 0-5, so 5 is five).
    """
    if not 0 < rating <= 255:
        return None
    if email.casefold().startswith("quodlibet"):
        return parse_rating(str(rating / 255), "fraction")
    if rating < 32 and rating not in _POPM_ONE_STAR:
        return None
    return 1 + sum(rating >= edge for edge in (32, 96, 160, 224))


def tag_value(field: str, value):
    """``value``, as a tag gives it, as the store keeps ``field``: a number read and bounded (a
    ReplayGain gain past MAX_GAIN_DB is garbage, a peak must be above 0), a name cleaned;
    None for nothing usable. A CUE sheet's values go through here too, so that both read alike."""
    text = clean_text(value)
    if text is None:
        return None
    if field in _RATING_SCALES:
        return parse_rating(text, _RATING_SCALES[field])
    if field in _FLAG_FIELDS:
        return parse_flag(text)
    if field in _INT_FIELDS:
        return parse_int(text, field)
    if field in _GAIN_FIELDS:
        gain = parse_float(text)
        return gain if gain is not None and abs(gain) <= MAX_GAIN_DB else None
    if field in _PEAK_FIELDS:
        peak = parse_float(text)
        return peak if peak is not None and 0.0 < peak <= 1e6 else None
    return text


#: Fields whose several values (three ARTIST comments, an ID3v2.4 list) are all kept,
#: joined by "; ", as players show them: the track is found by any of its artists,
#: genres or composers. The first is the one its match key (and the shipped priors' keys)
#: go by, and a genre's grouping goes by its first value too.
_ALL_VALUES = ("artist", "albumartist", "genre", "composer", "composersort")
_FIRST = {field: f"_first_{field}" for field in ("artist", "albumartist")}


# A record's or a tape's side and place on it, as vinyl rips are numbered ("A1", "B2"): a
# side is ordered as a disc where no disc is tagged, or side B's first track (1) went before
# side A's second.
_SIDE_POSITION = re.compile(r"^([A-Za-z])\s*(\d{1,3})(?:\s*/\s*\d+)?$")
_SIDE = "_side"


def _set(out: dict, field: str | None, value, *, override: bool = False) -> None:
    if field is None or (not override and out.get(field) is not None):
        return
    if field == "track_no":
        side = _SIDE_POSITION.match(clean_text(value) or "")
        out[_SIDE] = ord(side.group(1).upper()) - ord("A") + 1 if side else None
    if field in _ALL_VALUES and isinstance(value, (list, tuple)) and len(value) > 1:
        names = list(dict.fromkeys(t for t in map(clean_text, value) if t))
        if len(names) > 1:
            if field in _FIRST:
                out[_FIRST[field]] = names[0]
            value = ARTISTS_JOINED_BY.join(names)
    coerced = tag_value(field, value)
    if coerced is not None:
        out[field] = coerced


# -- one mapper per tag container ------------------------------------------------------------
def _vorbis(tags, out: dict) -> None:
    # A VComment is a list of (key, value) pairs; its dict-style accessors rescan the
    # list per key, so one pass over the pairs is several times faster on big tags.
    r128 = {}
    several: dict[str, list] = {}          # a field given in several comments (ARTIST=One, ARTIST=Two)
    for key, value in list.__iter__(tags):
        lower = str(key).lower()
        field = _COMMON_KEYS.get(lower)
        if field in _ALL_VALUES:
            several.setdefault(field, []).append(value)
        elif field:
            _set(out, field, value)
        elif lower.startswith("r128_"):
            r128.setdefault(lower, value)
        elif lower.startswith("rating:"):
            # Quod Libet keeps each person's stars under their e-mail address
            # ("rating:quodlibet@lists.sacredchao.net=0.8"), as a fraction: its 1.0 is five
            # stars, where a plain RATING of 1 is one. (The first such comment is read.)
            _set(out, "_ql_rating", value)
        elif lower == "cuesheet" and isinstance(value, str) and len(value) < (1 << 20):
            # an album ripped as one file with its CUE sheet inside (see player.library.cue):
            # kept whole (it is no text to show), for the scan to make the sheet's tracks of
            out.setdefault("cuesheet", value)
    for field, values in several.items():
        _set(out, field, values)
    # Opus stores loudness as R128 gain (Q7.8 dB relative to -23 LUFS; ReplayGain is -18).
    for key, field in (("r128_track_gain", "rg_track_gain"), ("r128_album_gain", "rg_album_gain")):
        raw = parse_float(clean_text(r128.get(key)))
        if out.get(field) is None and raw is not None and abs(raw) <= 256 * MAX_GAIN_DB:
            out[field] = raw / 256.0 + 5.0


# Old Windows rippers and taggers wrote names in the system's code page into ID3 frames that
# declare Latin-1 (an ID3v1 tag has no way to say otherwise): a Russian "Кино" then reads
# "Êèíî", a Japanese name a run of symbols and control codes. The bytes are read again as
# UTF-8 (what most such frames hold today), as Windows-1251 or as Shift-JIS (CP932), where
# that reading is one no Latin-1 text makes: every accented letter of real Latin-1 text sits
# in a word beside plain letters ("Björk", "Ménage"), while a Cyrillic or Japanese word read
# as Latin-1 is made of accented letters and symbols alone. Where both code pages could be
# meant, or neither, the text stays as the frame declares it.
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_JAPANESE = re.compile("[\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]+")
_C1 = re.compile("[\x80-\x9f]")
# Greek written in Windows-1253 reads as Cyrillic in Windows-1251 too, but as nonsense: its
# accented vowels fall on capitals in mid-word ("МЬнпт" for "Μάνος") and its plain vowels on
# consonants, where Russian or Ukrainian words are a third vowels or more.
_CYRILLIC_VOWEL = re.compile("[аеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄ]")
# (Greek's "Ά" falls on "ў", which Belarusian writes after a vowel only, never first in a word)
_CAPITAL_IN_WORD = re.compile("[\u0430-\u045f][\u0400-\u042f]|(?<![^\\W\\d_])[\u040e\u045e]")
# A two-byte UTF-8 character whose second byte is a Latin-1 symbol ("«", "»", "°", "²") may be
# an accented capital and that symbol ("É»" is UTF-8 for "ɻ"): such a pair is read as UTF-8
# only where it makes a letter of a living alphabet (Western and Central European, Greek,
# Cyrillic, Hebrew, Arabic), not a phonetic sign, an accent mark or an old letter.
_UTF8_AMBIGUOUS = re.compile("[\u00a0-\u07ff]")
_UTF8_LETTER = re.compile("[\u00a0-\u017f\u0386-\u03ce\u0400-\u045f\u05d0-\u05ea\u0620-\u064a]")
_SJIS_KANA = re.compile(rb"\x82[\x9f-\xf1]|\x83[\x40-\x96]")


def _only_script(text: str, script: re.Pattern, *, beside_latin: bool = False) -> int:
    """How many of ``text``'s characters are of ``script``, where every character not plain
    ASCII is of it (or is no letter, as the symbols both code pages share), no symbol is
    wedged between two of its letters, and no word mixes it with plain letters (unless
    ``beside_latin``); else 0."""
    for ch in text:
        if not ch.isascii() and not script.match(ch) and ch.isalpha():
            return 0
    for before, ch, after in zip(text, text[1:], text[2:]):
        if not ch.isascii() and not ch.isalnum() and script.match(before) and script.match(after) \
                and not script.match(ch):
            return 0
    if not beside_latin and any(script.search(w) and _LATIN_LETTER.search(w) for w in _WORD.findall(text)):
        return 0
    return len(script.findall(text))


def _cyrillic_words(text: str) -> bool:
    """Whether ``text``, read in Windows-1251, is Cyrillic as it is written: vowels among its
    letters, no capital after a small letter in a word, and more than a few letters where
    they are all capitals or all one letter (a Latin-1 "ÄÖÜ", "ÆØÅ" or "ÀÀÀ" is such a run)."""
    letters = _CYRILLIC.findall(text)
    vowels = len(_CYRILLIC_VOWEL.findall(text))
    if not letters or vowels < 1 or vowels < 0.2 * len(letters) or _CAPITAL_IN_WORD.search(text):
        return False
    if len({c.lower() for c in letters}) < 3:
        return False
    return len(letters) >= 4 or any(c.islower() for c in letters)


def legacy_latin1(text: str) -> str:
    """``text`` from an ID3 frame declared Latin-1, read as what it was written in: UTF-8,
    Windows-1251 or Shift-JIS where its bytes can only be that, else as it is, its control
    codes read as Windows-1252.

    >>> legacy_latin1("\xca\xe8\xed\xee"), legacy_latin1("Bj\xf6rk")
    ('Кино', 'Björk')
    """
    if text.isascii():
        return text
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text
    try:
        utf8 = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # UTF-8 up to a character cut short at the end (an ID3v1 field keeps 30 bytes, and
        # taggers cut a frame to so many bytes) is UTF-8 without that character: read in a
        # code page it came out garbled whole, "Ð“Ñ€ÑƒÐ¿Ð¿Ð°" for "Группа"
        cut = exc.reason == "unexpected end of data" and not raw[:exc.start].isascii()
        utf8 = raw[:exc.start].decode("utf-8") if cut else None
    if utf8 is not None:
        if all(ord(c) & 0x3F < 0x20 or _UTF8_LETTER.match(c) for c in _UTF8_AMBIGUOUS.findall(utf8)):
            return utf8
    # (a kana in Shift-JIS begins with a byte that is a control code in Latin-1, never text:
    # Japanese with kana may sit beside plain letters, as in "Gacktの歌")
    kana = _SJIS_KANA.search(raw) is not None
    found = []
    for code_page, script, least, beside_latin in (("cp1251", _CYRILLIC, 3, False), ("cp932", _JAPANESE, 2, kana)):
        try:
            guess = raw.decode(code_page)
        except UnicodeDecodeError:
            continue
        if _only_script(guess, script, beside_latin=beside_latin) >= least \
                and (script is not _CYRILLIC or _cyrillic_words(guess)):
            found.append(guess)
    if len(found) == 1:
        return found[0]
    # Latin-1's control codes 0x80-0x9f are no text: Windows taggers put their own code
    # page's quotes, dashes and euro sign there ("Don\x92t" for "Don’t").
    return _C1.sub(lambda m: m.group(0).encode("latin-1").decode("cp1252", "ignore"), text)


def _id3_values(frame, name: str) -> list[str]:
    if getattr(frame, "encoding", None) == Encoding.LATIN1:
        texts = [legacy_latin1(str(t)) for t in getattr(frame, "text", [])]
        frame = TCON(encoding=Encoding.UTF8, text=texts) if name == "TCON" else None
        if frame is None:
            return texts
    # TCON's genres: "(13)(17)" (ID3v1 numbers) and a v2.4 list are several genres
    return [str(t) for t in getattr(frame, "genres" if name == "TCON" else "text", [])]


def _id3(tags, out: dict) -> None:
    for frame, field in _ID3_KEYS.items():
        if frame in tags:
            _set(out, field, _id3_values(tags[frame], frame))
    for frame in tags.getall("TXXX"):
        _set(out, _COMMON_KEYS.get(str(frame.desc).lower()), _id3_values(frame, "TXXX"), override=True)
    # ReplayGain as ID3v2.4's relative volume frames (Quod Libet writes it so, and no TXXX):
    # the master volume's (channel 1) of the "track" and "album" frames, where no TXXX gave it
    for frame in tags.getall("RVA2"):
        kind = str(frame.desc).lower()
        if frame.channel == 1 and kind in ("track", "album"):
            _set(out, f"rg_{kind}_gain", f"{frame.gain}")
            _set(out, f"rg_{kind}_peak", f"{frame.peak}")
    # The stars another player gave the song; where several players wrote a frame, the first
    # that holds a rating (a TXXX:RATING, above, comes first)
    for frame in tags.getall("POPM"):
        stars = popm_stars(int(getattr(frame, "rating", 0) or 0), str(getattr(frame, "email", "")))
        if stars is not None:
            _set(out, "rating", str(stars))
    for frame in tags.getall("UFID"):
        if frame.owner == "http://musicbrainz.org":
            _set(out, "mb_track_id", frame.data, override=True)


def _old_id3_year_frame(f) -> bool:
    """Whether the ID3v2.3 or v2.2 tag at the start of ``f`` may hold a year frame (TYER, TYE),
    by its frames' headers alone; True where they cannot be walked (an unsynchronised tag)."""
    f.seek(0)
    head = f.read(10)
    if len(head) < 10 or head[:3] != b"ID3" or head[5] & 0x80:
        return True
    end = 10 + sum((b & 0x7F) << shift for b, shift in zip(head[6:10], (21, 14, 7, 0)))
    pos, width = 10, (4 if head[3] >= 3 else 3)
    if head[3] >= 3 and head[5] & 0x40:         # an extended header, of the size it gives
        pos += 4 + int.from_bytes(f.read(4), "big")
    for _ in range(1024):
        if pos + 2 * width + 2 > end:
            return False
        f.seek(pos)
        frame = f.read(2 * width + (2 if width == 4 else 0))
        name = frame[:width]
        if name in (b"TYER", b"TYE"):
            return True
        if not name.strip(b"\0") or len(frame) < 2 * width:
            return False                         # padding, or the file's end
        pos += len(frame) + int.from_bytes(frame[width:2 * width], "big")
    return True


def _old_id3_year(f, tags) -> int | None:
    """The year of an ID3v2.3 or v2.2 tag's TYER frame that mutagen drops as it reads the tag
    as v2.4: it keeps four digits alone, so "c. 1975", "1975/2011" or "1975 " were no year."""
    if not isinstance(tags, ID3) or tags.version >= (2, 4, 0) or "TDRC" in tags:
        return None
    if type(tags) is ID3 and not _old_id3_year_frame(f):
        # (an MP3's tag is at its start: most without a TDRC have no year frame at all, and a
        # look at the frames' headers costs less than reading their cover art again)
        return None
    f.seek(0)
    try:
        old = type(tags)(f, translate=False)
    except Exception as exc:  # noqa: BLE001 - the year is lost, never the track
        log.debug("could not read the ID3 tag again for its year: %s", exc)
        return None
    for frame in (*old.getall("TYER"), *old.getall("TYE")):
        year = tag_value("year", _id3_values(frame, "TYER"))
        if year is not None:
            return year
    return None


def _mp4_number(value) -> int | None:
    try:
        n = int(value[0][0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(n, INT32_MAX) if n > 0 else None


#: an MP4's media kind (its ``stik`` atom) that says speech, and the genre that files it so
_SPOKEN_KINDS = {2: "Audiobook", 21: "Podcast"}


def _mp4_kind(value) -> int | None:
    """The number of an MP4's ``stik`` atom as mutagen gives it (``[2]``), or None."""
    try:
        return int(value[0]) if isinstance(value, (list, tuple)) and value else None
    except (TypeError, ValueError, OverflowError):
        return None


def _mp4(tags, out: dict) -> None:
    for key, field in _MP4_KEYS.items():
        if key in tags:
            _set(out, field, tags[key])
    for key, field in (("trkn", "track_no"), ("disk", "disc_no")):
        if key in tags and tags[key]:
            out[field] = _mp4_number(tags[key])
    if tags.get("\xa9mvi"):
        # (the movement's number, a plain integer where the track's is a pair)
        out["movement"] = _mp4_number([tags["\xa9mvi"]])
    for key, value in tags.items():
        if key.startswith("----:com.apple.iTunes:"):
            _set(out, _COMMON_KEYS.get(key.split(":", 2)[2].lower()), value, override=True)
    # iTunes files an .m4a as an audiobook or a podcast episode by its media kind, whatever its
    # genre says ("Fantasy", "News", or none): so is it here, its kind put first among its
    # genres, which is the genre that keeps speech out of music's suggestions and radio.
    kind = _SPOKEN_KINDS.get(_mp4_kind(tags.get("stik")))
    genres = [g for g in (out.get("genre") or "").split(ARTISTS_JOINED_BY) if g]
    if kind is not None and (not genres or genres[0].casefold() != kind.casefold()):
        _set(out, "genre", [kind, *(g for g in genres if g.casefold() != kind.casefold())], override=True)


def _ape(tags, out: dict) -> None:
    # APEv2 (WavPack, Monkey's Audio, Musepack, TTA, OptimFROG): case-insensitive keys,
    # text values are \0-separated lists; cover art is a binary value and is skipped.
    for key, value in tags.items():
        field = _COMMON_KEYS.get(str(key).lower())
        if field and getattr(value, "kind", None) == APE_TEXT:
            _set(out, field, list(value))
        elif (str(key).lower() == "cuesheet" and getattr(value, "kind", None) == APE_TEXT
              and len(str(value)) < (1 << 20)):
            # a WavPack or Monkey's Audio album with its CUE sheet inside, as foobar2000 embeds
            # it: kept whole, as a FLAC's (see _vorbis)
            out.setdefault("cuesheet", str(value))


def _read_ape(path: str, tags, out: dict) -> None:
    """An APEv2 tag found at the end of a file whose format has another tag (an MP3's ID3)."""
    try:
        _ape(tags, out)
    except Exception as exc:  # noqa: BLE001 - odd data in one tag costs that tag, never the track
        log.warning("ignored the APEv2 tag of %r: %s: %s", path, type(exc).__name__, exc)


def _asf(tags, out: dict) -> None:
    # ASF (WMA): a list of (name, attribute) pairs; WM/TrackNumber may be text or a number.
    for key, attr in list.__iter__(tags):
        lower = str(key).lower()
        field = _ASF_KEYS.get(lower) or _COMMON_KEYS.get(lower)
        if field:
            value = getattr(attr, "value", attr)
            _set(out, field, str(value) if isinstance(value, int) else value)


# ffprobe's own names of the sort names, as ffmpeg carries them over from an MP4 or an MP3's
# ID3 tag into the Matroska file it makes of one.
_PROBED_KEYS = {"sort_artist": "artistsort", "artist-sort": "artistsort", "sort_album_artist": "albumartistsort",
                "tso2": "albumartistsort", "sort_composer": "composersort", "tsoc": "composersort"}


def _probed(tags: dict, out: dict) -> None:
    # ffprobe's tags (Matroska, CAF): its own lower-case names, ID3's and Vorbis comments' words
    for key, value in tags.items():
        _set(out, _COMMON_KEYS.get(key) or _PROBED_KEYS.get(key), value)


def _map_tags(tags, out: dict) -> None:
    if isinstance(tags, dict):
        _probed(tags, out)
    elif isinstance(tags, ID3):
        _id3(tags, out)
    elif isinstance(tags, MP4Tags):
        _mp4(tags, out)
    elif isinstance(tags, APEv2):
        _ape(tags, out)
    elif isinstance(tags, ASFTags):
        _asf(tags, out)
    elif isinstance(tags, VComment):
        _vorbis(tags, out)
    else:
        log.debug("tags of type %s are not read", type(tags).__name__)


# -- opening ----------------------------------------------------------------------------------
def _past_id3v2(f, head: bytes) -> tuple[int, bytes]:
    """Where the ID3v2 tags at the start of a file end (0 where it has none), and the first
    bytes after them (``head`` itself where there are none). A few tags are passed over (some
    files carry two), not a file made of tag headers."""
    end = 0
    for _ in range(4):
        if head[:3] != b"ID3" or len(head) < 10:
            break
        end += 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9] & 0x7F)
        end += 10 if head[5] & 0x10 else 0      # a footer
        f.seek(end)
        head = f.read(64)
    return end, head


def _sniff(head: bytes):
    """The mutagen class for a file's first bytes (those after its ID3v2 tags in front), or
    None to let mutagen guess.

    ``mutagen.File`` scores every format it knows for every file; the magic
    numbers of the common ones settle it at once.
    """
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"OggS"):
        if b"\x01vorbis" in head:
            return OggVorbis
        if b"OpusHead" in head:
            return OggOpus
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAVE
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return AIFF
    if head[4:8] == b"ftyp":
        return MP4
    return None


def open_regular(path: str | os.PathLike):
    """A binary file object for ``path`` if it is a regular file; TagReadError otherwise.

    Opened without blocking, then checked (see :mod:`segue_common.regular_file`): opening
    a named pipe (a FIFO named x.mp3) the ordinary way waits for a writer for ever, and a
    device can be endless.
    """
    try:
        f = open_regular_file(path)
    except NotRegularFile as exc:
        raise TagReadError(str(exc)) from None
    except OSError as exc:
        raise TagReadError(f"cannot open: {exc.strerror or exc}") from None
    try:
        if os.fstat(f.fileno()).st_size == 0:
            # (each reader says it in its own words: "file said 4 bytes, read 0 bytes")
            raise TagReadError("no audio: an empty file (0 bytes), a copy or download that did not finish?")
        return f
    except BaseException:
        f.close()
        raise


def _parse(f):
    tagged, head = _past_id3v2(f, f.read(64))
    kind = _sniff(head)
    if tagged:
        # Some taggers put an ID3v2 tag in front of a WAV, an AIFF or a FLAC file too: what
        # follows it says what the file holds. mutagen's own guess goes by the tag, and would
        # call a WAV it cannot read a damaged MP3.
        if kind is not None:
            f.seek(0)
            return kind(f)
        kind = MP3
    if kind is not None:
        f.seek(0)
        try:
            return kind(f)
        except mutagen.MutagenError:
            pass  # fall through to mutagen's own guess
    f.seek(0)
    return mutagen.File(f)


def _int_info(info, name: str) -> int | None:
    value = getattr(info, name, None)
    try:
        value = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(value, INT32_MAX) if value > 0 else None


def _mp3_length(path: str, info, length: float) -> float:
    """The length of an MP3 as the player plays it, where mutagen's is clearly wrong: the
    player's count of its frames.

    A Xing header that counts more or fewer frames than the file holds: fewer where files
    joined one after the other keep the first one's header or an encoder wrote a count of 0,
    more where a file cut short (an interrupted download or copy) keeps the header of the
    whole file. Asked only where mutagen's length is 0 or the file holds clearly more or fewer
    bytes than that length at the header's bit rate. And no header that counts the frames:
    mutagen estimates the length from the file's size at the first frame's bit rate, which at
    a variable bit rate can be anything (a 300 s file was listed at 98 s). The frames at its
    start (or, where they are all at the lowest rate, at a few places through it) tell a
    constant bit rate, which keeps the estimate, from a variable one. A file with a Xing, Info
    or VBRI header costs nothing more."""
    bitrate = _int_info(info, "bitrate") or 0
    try:
        audio_bytes = os.path.getsize(path) - (getattr(info, "frame_offset", 0) or 0)
    except OSError:
        return length
    expected = bitrate * length / 8
    cut = length > 0.0 and audio_bytes + 8192 < 0.95 * expected
    # (exactly mutagen's estimate, which it makes only where no header gives a count)
    estimated = bitrate > 0 and length == 8 * audio_bytes / float(bitrate)
    if estimated:
        try:
            with open_regular_file(path) as f:
                # (the frames at the start, read already, most often tell; else a look through the file)
                constant = constant_bit_rate_at_start(f, getattr(info, "frame_offset", 0) or 0)
                if constant is None:
                    constant = not FrameIndex(f, os.fstat(f.fileno()).st_size).frame_lengths_vary()
                if constant:
                    return length
        except Exception as exc:  # (odd bytes keep mutagen's estimate)
            log.debug("could not read the frames of %r: %s", path, exc)
            return length
    elif length > 0.0 and not cut and audio_bytes <= 1.05 * expected + 8192:
        return length
    try:
        with Mp3Reader(path) as reader:
            counted = reader.count_exactly() / reader.samplerate
    except Exception as exc:  # (a file the player cannot read either keeps mutagen's length)
        log.debug("could not count the frames of %r: %s", path, exc)
        return length
    if estimated:
        return counted if counted > 0.0 else length
    if cut:
        return counted if 0.0 < counted < length - 1.0 else length
    return counted if counted > (length + 1.0 if length > 0.0 else 0.0) else length


def _xing_length(f, info) -> float | None:
    """The length the Xing/Info header in an MP3's first frame gives, as the player plays
    it: its frames less the encoder's delay and padding its LAME tag gives (and the
    decoder's delay of 529 samples, moved from the end to the start). mutagen subtracts
    these only from a tag that names LAME: ffmpeg's names itself Lavc, and its files were
    listed with the delay and padding in (a 2.27 s file 31 ms too long). None where the first
    frame holds no such count (mutagen's length stays). Reads the frame mutagen has just
    read (2 KB at most)."""
    offset = getattr(info, "frame_offset", None)
    if offset is None or getattr(info, "layer", 3) != 3:
        return None
    f.seek(offset)
    buf = f.read(2048)
    tag = xing_tag(buf)
    hdr = frame_header(int.from_bytes(buf[:4], "big")) if len(buf) >= 4 else None
    rate = _int_info(info, "sample_rate")
    if tag is None or tag.frames is None or hdr is None or not rate:
        return None
    return max(0, tag.frames * hdr[1] - tag.delay - tag.padding) / rate


def _boxes(f, start: int, end: int):
    """The MP4 boxes from ``start`` to ``end``: (name, where its body starts, where it ends),
    up to the first that does not fit."""
    for name, body, stop, fits in mp4_boxes(f, start, end):
        if not fits:
            return
        yield name, body, stop


def _box(f, start: int, end: int, name: bytes) -> tuple[int, int] | None:
    return next(((body, stop) for found, body, stop in _boxes(f, start, end) if found == name), None)


def _body(f, span: tuple[int, int] | None, limit: int = 64) -> bytes:
    if span is None:
        return b""
    f.seek(span[0])
    return f.read(min(limit, span[1] - span[0]))


#: 3GPP's boxes of text (each its version and flags, a language, the text) and their fields
_3GPP_TEXT = {b"titl": "title", b"perf": "artist", b"auth": "composer", b"albm": "album", b"gnre": "genre"}


def _3gpp_tags(f) -> dict:
    """The tags of a 3GPP file (``.3ga``, ``.3gp``: a phone's recorder, ffmpeg's 3gp muxer), in
    3GPP's own boxes in the movie's user data, which neither mutagen nor ffprobe reads: {field:
    text}. Empty where the file is no 3GPP file or has none. An album's box may end in the
    track's number; a year's box holds a number."""
    f.seek(0, 2)
    end = f.tell()
    ftyp = _box(f, 0, end, b"ftyp")
    if ftyp is None or not _body(f, ftyp, 4).startswith(b"3g"):
        return {}
    moov = _box(f, 0, end, b"moov")
    udta = moov and _box(f, *moov, b"udta")
    out: dict = {}
    for name, body, stop in _boxes(f, *udta) if udta else ():
        data = _body(f, (body, stop), 4096)
        if name == b"yrrc" and len(data) >= 6:
            out["year"] = str(struct.unpack_from(">H", data, 4)[0])
        elif name in _3GPP_TEXT and len(data) > 6:
            raw = data[6:]
            if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
                text = raw.decode("utf-16", "replace").split("\0")[0]
            else:
                text, _, rest = raw.partition(b"\0")
                text = text.decode("utf-8", "replace")
                if name == b"albm" and len(rest) == 1 and rest[0]:
                    out["track_no"] = str(rest[0])
            out[_3GPP_TEXT[name]] = text
    return out


def _mp4_edit_length(f, audio) -> float | None:
    """The length of an MP4's sound track as its edit list cuts it, as the player plays it:
    ffmpeg drops the encoder's priming (1024 samples of AAC) before the edit and the player
    ends where the edit ends (its length in the movie's clock, often milliseconds, rounded
    to the track's samples as ffmpeg rounds it). mutagen gives the whole track's length,
    priming and padding in. Without an edit list, the length iTunes gives in its iTunSMPB
    tag. None where the player does not cut it so (no edit list nor that tag, more than one
    edit, an empty edit before it, or a track whose clock does not count whole samples):
    mutagen's length stays. Reads a few box headers of those mutagen has just
    read (the sample tables and the tags are passed over)."""
    rate = _int_info(audio.info, "sample_rate")
    moov = _box(f, 0, os.fstat(f.fileno()).st_size, b"moov") if rate else None
    if moov is None:
        return None
    for name, body, stop in _boxes(f, *moov):      # (the first sound track, as mutagen takes it)
        mdia = _box(f, body, stop, b"mdia") if name == b"trak" else None
        if mdia is not None and _body(f, _box(f, *mdia, b"hdlr"))[8:12] == b"soun":
            edts = _box(f, body, stop, b"edts")
            break
    else:
        return None
    mvhd, mdhd = _body(f, _box(f, *moov, b"mvhd")), _body(f, _box(f, *mdia, b"mdhd"))
    elst = _body(f, _box(f, *edts, b"elst") if edts is not None else None)
    if len(mvhd) < 24 or len(mdhd) < (20 if mdhd[:1] == b"\0" else 32) or (edts is not None and len(elst) < 8):
        return None
    movie_scale = struct.unpack_from(">I", mvhd, 12 if mvhd[0] == 0 else 20)[0]
    track_scale, track_length = struct.unpack_from(">II" if mdhd[0] == 0 else ">IQ", mdhd, 12 if mdhd[0] == 0 else 20)
    # (the player cuts at the edit only where the track's clock counts whole samples)
    if not movie_scale or not track_scale or track_scale % rate:
        return None
    if edts is None:
        # iTunes gives the song's samples in its iTunSMPB tag instead, where the player ends
        # it (see audio_io.itunes_gapless): ffmpeg drops the tag's priming of AAC alone, and
        # plays an ALAC track whole
        # (mutagen's names of MPEG-4 AAC and of MPEG-2 AAC's three profiles)
        aac = str(getattr(audio.info, "codec", "")).startswith(("mp4a.40", "mp4a.66", "mp4a.67", "mp4a.68"))
        tag = audio.tags.get("----:com.apple.iTunes:iTunSMPB") if aac and isinstance(audio.tags, MP4Tags) else None
        gapless = audio_io.itunes_gapless(bytes(tag[0]).decode("ascii", "replace")) if tag else None
        if not gapless:
            return None
        # (a tag giving more than the track holds, by more than an AAC frame, is wrong: the
        # player plays the track to its end)
        priming, samples = gapless
        held = track_length * rate // track_scale - priming
        kept = samples if samples <= held + 1024 else held
        return kept / rate if kept > 0 else None
    entry = ">IiI" if elst[0] == 0 else ">QqI"
    if struct.unpack_from(">I", elst, 4)[0] != 1 or 8 + struct.calcsize(entry) > len(elst):
        return None
    duration, media_time, _ = struct.unpack_from(entry, elst, 8)
    if media_time < 0 or duration <= 0:
        return None
    # ffmpeg rescales the edit's length to the track's clock to the nearest tick, and takes
    # the lesser of that and the track's whole length (the priming not taken off: an edit that
    # runs past the last sample plays the decoder's output on into the encoder's padding)
    ticks = (2 * duration * track_scale + movie_scale) // (2 * movie_scale)
    return min(ticks, track_length) / track_scale


def _mp4_aac_mono(f) -> bool:
    """Whether an MP4's first sound track is AAC that ffmpeg decodes (and the player plays) as
    mono (see :func:`_aac_config_mono`). mutagen counts a mono configuration's channels as
    unknown (it may hide parametric stereo) and falls back to the sample entry's count, which
    ISO MP4 fixes at 2."""
    from io import BytesIO

    from mutagen.mp4._as_entry import ES_Descriptor

    node = _box(f, 0, os.fstat(f.fileno()).st_size, b"moov")
    if node is None:
        return False
    for name, body, stop in _boxes(f, *node):      # (the first sound track, as mutagen takes it)
        mdia = _box(f, body, stop, b"mdia") if name == b"trak" else None
        if mdia is not None and _body(f, _box(f, *mdia, b"hdlr"))[8:12] == b"soun":
            break
    else:
        return False
    for inner in (b"minf", b"stbl", b"stsd"):
        node = _box(f, *mdia, inner) if inner == b"minf" else _box(f, *node, inner)
        if node is None:
            return False
    # stsd: version, flags and a count, then the first sample entry; mp4a's own fields take 28
    # bytes, its boxes (esds) follow
    entry = next(_boxes(f, node[0] + 8, node[1]), None)
    esds = _box(f, entry[1] + 28, entry[2], b"esds") if entry is not None and entry[0] == b"mp4a" else None
    data = _body(f, esds, limit=256)
    if len(data) < 6 or data[4] != ES_Descriptor.TAG:
        return False
    config = ES_Descriptor.parse(BytesIO(data[5:])).decConfigDescr.decSpecificInfo
    return _aac_config_mono(config)


def _aac_config_mono(config) -> bool:
    """Whether an AAC decoder configuration (mutagen's parse of it) is one ffmpeg decodes as
    mono: one channel, and no parametric stereo possible. Where the configuration says
    nothing of SBR, HE-AAC may be signalled implicitly, in the stream: ffmpeg then finds SBR
    in the first frame and decodes it as stereo, taking parametric stereo to come with it (a
    mono HE-AAC v2 file says one channel). Where it signals SBR and says nothing of parametric
    stereo, ffmpeg takes it to come, as well. So only a configuration that rules it out is
    mono: parametric stereo said absent, SBR said absent, or a core rate above 24 kHz, which
    no SBR stream has (SBR doubles a core rate of 24 kHz at most to the output's 48 kHz)."""
    if (config is None or getattr(config, "channelConfiguration", None) != 1 or hasattr(config, "pce_channels")
            or getattr(config, "extensionChannelConfiguration", 1) != 1):
        return False
    ps, sbr = getattr(config, "psPresentFlag", -1), getattr(config, "sbrPresentFlag", -1)
    if ps != -1:
        return ps == 0
    if sbr != -1:
        return sbr == 0
    return (getattr(config, "samplingFrequency", 0) or 0) > 24000


def _flac_reaches_its_seek_table(audio, info) -> bool:
    """Whether the bytes of a FLAC file reach the last point of its seek table (the reference
    encoder and most rippers write one, a point every 10 s). Such a file is whole, or cut
    within its last stretch, which the player finds when it opens it; the scan then reads
    nothing more of it (the end of every FLAC file is a seek more per file on a first scan of
    a disk or a network share). A file with no seek table is looked at to its end."""
    table = getattr(audio, "seektable", None)
    offsets = [p.byte_offset for p in (table.seekpoints if table is not None else ())
               if p.first_sample != _NO_SEEK_POINT]
    if not offsets:
        return False
    # (mutagen's bit rate is the bytes after the metadata over the length: the frames' bytes)
    frames_bytes = (_int_info(info, "bitrate") or 0) * (info.length or 0.0) / 8
    return max(offsets) + 64 < frames_bytes


_NO_SEEK_POINT = 0xFFFFFFFFFFFFFFFF     # a placeholder point of a FLAC seek table


def _flac_held(path: str, f, info) -> int | None:
    """The samples a FLAC file cut short (an interrupted download or copy) holds, as the player
    plays them: it keeps the header of the whole file, and was listed at its length. None for
    a whole file, which costs a read of its last frame's header, nothing decoded."""
    stream = {"max_block": info.max_blocksize, "max_frame": info.max_framesize, "min_frame": info.min_framesize,
              "rate": info.sample_rate, "channels": info.channels, "bits": info.bits_per_sample,
              "total": info.total_samples}
    try:
        return audio_io.flac_frames_held(path, fileobj=f, stream=stream)
    except Exception as exc:  # noqa: BLE001 - the header's length is still a length
        log.debug("could not look for the end of %r: %s: %s", path, type(exc).__name__, exc)
        return None


# What a person calls the format whose reader gave up, by mutagen's module name; a
# class name such as "MusepackHeaderError" means nothing to them.
_FORMAT_NAMES = {
    "aac": "AAC", "ac3": "AC-3", "aiff": "AIFF", "apev2": "APEv2 tag", "asf": "WMA/ASF", "dsdiff": "DSDIFF",
    "dsf": "DSF", "flac": "FLAC", "id3": "ID3 tag", "m4a": "M4A", "monkeysaudio": "Monkey's Audio",
    "mp3": "MP3", "mp4": "MP4/M4A", "musepack": "Musepack", "ogg": "Ogg", "oggflac": "Ogg FLAC",
    "oggopus": "Opus", "oggspeex": "Speex", "oggtheora": "Ogg Theora", "oggvorbis": "Ogg Vorbis",
    "optimfrog": "OptimFROG", "smf": "MIDI", "tak": "TAK", "trueaudio": "TrueAudio", "wave": "WAV",
    "wavpack": "WavPack",
}


#: main channels of each AC-3 audio coding mode (acmod): 1+1 (two mono programmes), 1/0, 2/0,
#: 3/0, 2/1, 3/1, 2/2, 3/2 (front/surround), the LFE channel counted apart
_AC3_MAIN_CHANNELS = (2, 1, 2, 3, 3, 4, 4, 5)


def _ac3_channels(f) -> int | None:
    """The channels of an AC-3 file as its first frame's header gives them, or None where it
    is not a plain AC-3 frame (E-AC-3, which mutagen reads right, or odd bytes).

    mutagen passes over two bits between the coding mode and the LFE bit, but those modes with
    a centre and surrounds (3/1 and 3/2) carry four there (the centre and surround mix levels):
    it takes a mix level's bit for the LFE, and listed a 5.1 file as 5 channels."""
    f.seek(0)
    head = f.read(8)
    if len(head) < 8 or head[:2] != b"\x0b\x77" or head[5] >> 3 > 10:
        return None
    bits = int.from_bytes(head[6:8], "big")          # acmod, its mix levels, then lfeon
    acmod = bits >> 13
    used = 3 + (2 if acmod & 1 and acmod != 1 else 0) + (2 if acmod & 4 else 0) + (2 if acmod == 2 else 0)
    return _AC3_MAIN_CHANNELS[acmod] + (bits >> (15 - used) & 1)


def _tta_channels(f) -> int | None:
    """The channels a TTA file's header gives (mutagen reads only its rate and length)."""
    f.seek(0)
    _, head = _past_id3v2(f, f.read(64))
    return struct.unpack_from("<H", head, 6)[0] or None if head[:4] == b"TTA1" and len(head) >= 8 else None


def _ape_at_end(f):
    """The APEv2 tag at the end of a file (before an ID3v1 tag, where there is one), or None.

    ffmpeg tags a TTA file with one, taggers put one on a raw AC-3 stream, which has no tags of
    its own, and MP3Gain and some taggers write one on MP3 and MP2 files (MP3Gain keeps its
    ReplayGain values there); mutagen's readers of those formats read only ID3, and such a file
    was listed without its tags or its loudness."""
    try:
        f.seek(0)
        return APEv2(f)
    except Exception:  # noqa: BLE001 - no tag, or one too damaged to read: the track keeps the rest
        return None


#: the most of a Vorbis comment block read again (a FLAC's block holds at most 16 MiB)
_MAX_COMMENTS = 1 << 24


def _comment_block(f, audio) -> bytes | None:
    """The Vorbis comment block of a FLAC, Ogg Vorbis or Opus file as written (from its vendor
    string on), or None where it is not found."""
    f.seek(0)
    if isinstance(audio, FLAC):
        at, head = _past_id3v2(f, f.read(64))
        if head[:4] != b"fLaC":
            return None
        at += 4
        for _ in range(1024):
            f.seek(at)
            block = f.read(4)
            if len(block) < 4:
                return None
            size = int.from_bytes(block[1:4], "big")
            if block[0] & 0x7F == 4:
                return f.read(size)
            if block[0] & 0x80:
                return None
            at += 4 + size
        return None
    # Ogg: the second packet of the first stream, over as many pages as it takes
    pages, done, held = [], 0, 0
    while done < 2 and held < _MAX_COMMENTS:
        page = OggPage(f)
        if pages and page.serial != pages[0].serial:
            continue
        pages.append(page)
        held += sum(map(len, page.packets))
        done += len(page.packets) - (0 if page.complete else 1)
    packets = OggPage.to_packets(pages, strict=False)
    magic = b"\x03vorbis" if isinstance(audio, OggVorbis) else b"OpusTags"
    return packets[1][len(magic):] if len(packets) > 1 and packets[1].startswith(magic) else None


def _comments_as_written(path: str, audio) -> VComment | None:
    """The Vorbis comments of ``audio`` with the values that are not UTF-8 read as what they
    were written in (see :func:`legacy_latin1`), or None where they cannot be read again.

    Vorbis comments are UTF-8, and mutagen puts U+FFFD for bytes that are not; some old
    Windows tools wrote their system's code page (Windows-1251, Shift-JIS, Latin-1) there:
    such a track was listed as U+FFFD marks. Read again only for a file where mutagen put them."""
    try:
        with open_regular(path) as f:
            block = _comment_block(f, audio)
        if block is None:
            return None
        at = 4 + struct.unpack_from("<I", block)[0]
        count = struct.unpack_from("<I", block, at)[0]
        at += 4
        comments = VComment()
        for _ in range(count):
            size = struct.unpack_from("<I", block, at)[0]
            entry = block[at + 4:at + 4 + size]
            at += 4 + size
            key, sep, raw = entry.partition(b"=")
            if not sep or len(entry) < size:
                continue
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                # (UTF-8 up to a character cut short at the end, a tagger having cut the value
                # to so many bytes, is kept as UTF-8: read as a code page it was garbled whole,
                # "Ð“Ñ€ÑƒÐ¿Ð¿Ð°" for "Группа")
                cut = exc.reason == "unexpected end of data" and not raw[:exc.start].isascii()
                value = raw[:exc.start].decode("utf-8") if cut else legacy_latin1(raw.decode("latin-1"))
            comments.append((key.decode("ascii", "replace"), value))
        return comments
    except Exception as exc:  # noqa: BLE001 - the comments stay as mutagen read them
        log.debug("could not read the comments of %r again: %s", path, exc)
        return None


def _id3_in_front(f) -> ID3 | None:
    """The ID3v2 tag in front of a FLAC file, or None. Some rippers and taggers put one there
    (the FLAC format allows for it); mutagen passes over it, and a file tagged there alone was
    listed untitled. Only the first bytes are looked at: the end of a FLAC file is not read
    for an ID3v1 tag (see _flac_held)."""
    f.seek(0)
    if f.read(3) != b"ID3":
        return None
    f.seek(0)
    try:
        return ID3(f, load_v1=False)
    except Exception:  # noqa: BLE001 - a tag too damaged to read: the track keeps its comments
        return None


def _id3v1_at_end(path: str) -> ID3 | None:
    """The ID3v1 tag at the end of a file whose own reader passes over it (a FLAC's: old
    rippers and taggers put one there, as at an MP3's end, and nothing else), or None."""
    try:
        with open_regular(path) as f:
            f.seek(-128, 2)
            frames = ParseID3v1(f.read(128)) or {}
    except Exception:  # noqa: BLE001 - a file shorter than a tag, or one too damaged: no tag
        return None
    tags = ID3()
    for frame in frames.values():
        tags.add(frame)
    return tags if tags else None


def _fill_from_id3(path: str, tags: ID3, out: dict) -> None:
    """Fill what a file's own tags left empty from the ID3 ``tags`` beside them: where both
    have a field, the file's own is kept (a FLAC's comments were written by its ripper for it)."""
    extra: dict = {}
    try:
        _id3(tags, extra)
    except Exception as exc:  # noqa: BLE001 - odd data in one tag costs that tag, never the track
        log.warning("ignored the ID3 tag of %r: %s: %s", path, type(exc).__name__, exc)
        return
    for field, value in extra.items():
        if field.startswith("_") or value is None or out.get(field) is not None:
            continue
        out[field] = value
        # (the first of several artists, and a vinyl side, go with the field they came with)
        for hidden in (_FIRST.get(field), _SIDE if field == "track_no" else None):
            if hidden is not None and hidden in extra:
                out[hidden] = extra[hidden]


def _id3v1_apart(f, tags) -> ID3 | None:
    """The frames mutagen took from an ID3v1 tag at the end of ``f`` into the ID3v2 ``tags``
    (where the v2 tag had none of their kind), moved out of ``tags`` into an ID3 of their own,
    or None where there are none."""
    if not isinstance(tags, ID3) or tags.version < (2, 0, 0):
        return None
    try:
        f.seek(-128, 2)
        frames = ParseID3v1(f.read(128), 4 if tags.version[1] == 4 else 3) or {}
    except Exception:  # noqa: BLE001 - a file shorter than a tag, or one too damaged: nothing moved
        return None
    v1 = ID3()
    for frame in frames.values():
        held = tags.getall(frame.HashKey)
        if len(held) == 1 and held[0] == frame:
            del tags[frame.HashKey]
            v1.add(frame)
    return v1 if v1 else None


def _format_name(exc: Exception) -> str:
    parts = type(exc).__module__.split(".")
    # (the ID3 reader's errors come from a module of its package: mutagen.id3._util)
    name = _FORMAT_NAMES.get(parts[-1]) or _FORMAT_NAMES.get(parts[1] if len(parts) > 2 else "")
    return f"{name} file" if name and not name.endswith(" tag") else name or "file"


#: what is said of a .mp3 holding no MPEG audio (mutagen's words)
_NO_MPEG_FRAMES = "damaged MP3 file: can't sync to MPEG frame"
#: what is said of a file cut short, after where it ends
_UNFINISHED = audio_io.UNFINISHED
#: what is said of a file whose header holds bytes where its format has names (see _reason)
GARBLED_HEADER = "its header is garbled (it holds bytes where names should be)"
#: Python's words for bytes that are not text, which mutagen passes on as its reason
_GARBLED = re.compile(r"codec can't decode|ordinal not in range")
#: what mutagen's FLAC and Ogg readers say of a block or page the file ends inside
_READ_SHORT = re.compile(r"file said \d+ bytes, read \d+ bytes|unable to read (full data|\d+ lacing bytes)")


def _boxes_run_past_end(path: str) -> bool:
    """Whether an MP4 file's top-level boxes say it is longer than it is: cut short before
    the box that mutagen reads (written after the audio by ffmpeg and many encoders)."""
    try:
        with open_regular_file(path) as f:
            size, at = os.fstat(f.fileno()).st_size, 0
            while at + 8 <= size:
                f.seek(at)
                box, kind = struct.unpack(">I4s", f.read(8))
                if not at and kind != b"ftyp":
                    return False    # (no MP4 file: the bytes say nothing of its length)
                if box == 1:
                    box = struct.unpack(">Q", f.read(8))[0] if at + 16 <= size else 16
                if box < 8:     # (0: up to the end of the file; less than a header: not boxes)
                    return False
                at += box
            return at > size
    except (OSError, struct.error):
        return False


def _chunks_run_past_end(path: str) -> str | None:
    """"WAV file" or "AIFF file" where a RIFF or FORM file's header says it is longer than it
    is: cut short, as a download or copy that stopped leaves it. None for a whole file (or
    another kind)."""
    found = audio_io.file_head(path, 12)
    if found is None:
        return None
    head, size = found
    order = {b"RIFF": "little", b"FORM": "big"}.get(head[:4])
    if order is None or len(head) < 8 or 8 + int.from_bytes(head[4:8], order) <= size:
        return None
    return "WAV file" if order == "little" else "AIFF file"


def _reason(exc: Exception, name: str, path: str) -> str:
    """What a reader's error of a ``name`` says, in words. A file cut short, as a download or a
    copy in progress is, says so: mutagen reading past the end of the file raises a bare
    OSError (from the ID3 reader: a tag with a cover takes the first hundreds of kilobytes),
    counts the bytes it was short of, or finds no MP4 tags box."""
    text = clean_text(str(exc)) or ""
    if (_READ_SHORT.fullmatch(text)
            or not text and exc.args and isinstance(exc.args[0], (OSError, EOFError)) and not str(exc.args[0])
            or name.startswith("MP4") and _boxes_run_past_end(path)
            or name in ("WAV file", "AIFF file") and _chunks_run_past_end(path)):
        where = "the file ends inside it" if name.endswith(" tag") else "it ends early"
        return f"{where}, {_UNFINISHED}"
    if _GARBLED.search(text) or any(isinstance(arg, UnicodeError) for arg in exc.args):
        # A name in the header (a RIFF file's form type, a chunk's id) is bytes that are no
        # text: Python's own words ("'ascii' codec can't decode byte 0x95 in position 0:
        # ordinal not in range(128)") tell a listener nothing.
        return GARBLED_HEADER
    return text or type(exc).__name__


#: libsndfile's frame count for a stream whose length it cannot tell is near 2**63: no length
_UNKNOWN_FRAMES = 2**62
#: the codec column for a libsndfile format, where its name is not it
_SF_CODECS = {"RF64": "wav", "WAVEX": "wav", "W64": "wav"}
#: WAV formats whose blocks hold one frame each, which mutagen counts right: PCM, float,
#: A-law, mu-law, and the extensible header that PCM and float of more than two channels use
_WAVE_FRAME_BLOCKS = {1, 3, 6, 7, 0xFFFE}
#: WAV format tags ffmpeg decodes as G.726 ADPCM (G.723 and G.721 name its 24/40 and 32 kbit/s
#: rates; libsndfile reads G.721's 0x40 itself)
_G726_WAVE_TAGS = {0x14, 0x40, 0x45, 0x64}
#: the most samples one packet decodes to: an Opus packet holds up to 120 ms at 48 kHz, a
#: Vorbis packet half its long block (at most 8192; the stream's own is read when it is known)
_OPUS_PACKET_SAMPLES = 5760
_VORBIS_PACKET_SAMPLES = 4096
#: an Ogg stream's info and tags readers, to read the tags of a file whose end mutagen cannot find
_OGG_TAGS = {OggVorbis: (OggVorbisInfo, OggVCommentDict), OggOpus: (OggOpusInfo, OggOpusVComment)}
#: AIFF-C compression types whose frames mutagen counts right (PCM of either byte order,
#: float, A-law, mu-law); a plain AIFF is "NONE"
_AIFF_FRAME_BLOCKS = {b"NONE", b"sowt", b"twos", b"raw ", b"in24", b"in32", b"fl32", b"FL32", b"fl64", b"FL64",
                      b"alaw", b"ALAW", b"ulaw", b"ULAW"}


def _aiff_layout(f) -> tuple[bytes, int | None]:
    """An AIFF file's compression type (b"NONE" for a plain AIFF) and where the sound data
    in its SSND chunk starts (None where no SSND chunk is found). Only chunk headers are
    read: the chunks before the sound data (a cover art in an ID3 chunk) are passed over."""
    f.seek(0)
    head = f.read(12)
    compression, pos = b"NONE", 12
    for _ in range(64):
        f.seek(pos)
        chunk = f.read(8)
        if len(chunk) < 8:
            break
        name, size = chunk[:4], int.from_bytes(chunk[4:], "big")
        if name == b"COMM" and head[8:12] == b"AIFC" and size >= 22:
            f.seek(pos + 8 + 18)
            compression = f.read(4)
        elif name == b"SSND":
            f.seek(pos + 8)
            return compression, pos + 16 + int.from_bytes(f.read(4), "big")
        pos += 8 + size + (size & 1)
    return compression, None


#: RIFF INFO fields (WAV, RF64) that are track columns; ffmpeg writes the track number as
#: IPRT, other taggers as ITRK. ffmpeg and libsndfile write these where they
#: write no ID3 chunk, which is all mutagen reads of a WAV.
_RIFF_INFO_KEYS = {b"INAM": "title", b"IART": "artist", b"IPRD": "album", b"ICRD": "year",
                   b"IGNR": "genre", b"ITRK": "track_no", b"IPRT": "track_no"}
#: AIFF's own text chunks that are track columns (ANNO and "(c) " are not)
_AIFF_TEXT_KEYS = {b"NAME": "title", b"AUTH": "artist"}
#: chunks looked at in one list before giving up: real files hold a handful
_MAX_CHUNKS = 64
#: most of an INFO list read: real ones hold a few hundred bytes (what follows is not read)
_MAX_INFO_BYTES = 1 << 20


def _chunk_id(name: bytes) -> bool:
    return len(name) == 4 and all(0x20 <= c < 0x7F for c in name)


def _pad(after: bytes) -> int:
    """1 where the bytes after a chunk of odd size start with its pad byte, 0 where the writer
    left it out (a chunk's name comes right after its last byte)."""
    return 0 if _chunk_id(after[:4]) and not _chunk_id(after[1:5]) else 1


def _chunk_text(data: bytes, cut: bool, legacy: str) -> str | None:
    """The text of a RIFF INFO or AIFF text chunk: UTF-8 where it is that (ffmpeg and most
    tools today write it), else the ``legacy`` code page older tools wrote in; up to its first
    NUL (the terminator and padding). A value cut at the bytes kept may end mid-character."""
    data = data.split(b"\0", 1)[0]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            if not cut:
                raise
            text = codecs.getincrementaldecoder("utf-8")().decode(data)
        except UnicodeDecodeError:
            text = data.decode(legacy, "replace")
    return text.strip() or None


def _walk_chunks(f, pos: int, end: int, order: str):
    """(name, where its body starts, its size, its first 16 bytes) of each chunk from ``pos``
    up to ``end``, for a RIFF (``order`` "little") or an AIFF ("big") list of chunks. The
    chunk after one of odd size is looked for after its pad byte, and where that holds no
    chunk, right after its last byte (some writers leave the pad out). An RF64 file's data
    chunk says 0xFFFFFFFF: its size is in the ds64 chunk before it."""
    rf64_data = None
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > end:
            return
        f.seek(pos)
        head = f.read(24)
        if len(head) < 8:
            return
        name, size = head[:4], int.from_bytes(head[4:8], order)
        if name == b"ds64" and len(head) == 24:
            rf64_data = int.from_bytes(head[16:24], "little")
        elif name == b"data" and size == 0xFFFFFFFF and rf64_data is not None:
            size = rf64_data
        yield name, pos + 8, size, head[8:]
        pos += 8 + size
        if size & 1:
            f.seek(pos)
            pos += _pad(f.read(5))


def _read_value(f, pos: int, size: int, end: int, legacy: str) -> str | None:
    """A text chunk's value, of at most what the file holds and a tag keeps."""
    size = max(0, min(size, end - pos))
    f.seek(pos)
    data = f.read(min(size, 4 * MAX_TEXT))
    return _chunk_text(data, len(data) < size, legacy)


def _riff_info(f, start: int, end: int, found: dict) -> None:
    for name, pos, size, head in _walk_chunks(f, start + 12, end, "little"):
        if name == b"LIST" and head[:4] == b"INFO":
            f.seek(pos + 4)
            _info_fields(f.read(max(0, min(size - 4, _MAX_INFO_BYTES))), found)


def _info_fields(body: bytes, found: dict) -> None:
    """The fields of an INFO list's body (read whole: a seek per field costs more than its
    few hundred bytes), as far as it goes."""
    pos = 0
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > len(body):
            return
        size = int.from_bytes(body[pos + 4:pos + 8], "little")
        field = _RIFF_INFO_KEYS.get(body[pos:pos + 4])
        if field is not None and found.get(field) is None:
            value = body[pos + 8:pos + 8 + min(size, 4 * MAX_TEXT)]
            found[field] = _chunk_text(value, len(value) < size, "cp1252")
        pos += 8 + size
        if size & 1:
            pos += _pad(body[pos:pos + 5])


def _aiff_text(f, start: int, end: int, found: dict) -> None:
    for name, pos, size, _ in _walk_chunks(f, start + 12, end, "big"):
        field = _AIFF_TEXT_KEYS.get(name)
        if field is not None and found.get(field) is None:
            found[field] = _read_value(f, pos, size, end, "mac_roman")


def _chunk_tags(f) -> dict:
    """Title, artist, album, year, genre and track number in a WAV's (or RF64's) RIFF INFO
    list, and title and artist in an AIFF's NAME and AUTH chunks: text fields by column, read
    where mutagen reads no tag but an ID3 chunk. Only chunk headers and these values are read.

    Their text is nominally ASCII; what is not UTF-8 is read as what the tools that wrote it
    wrote: Windows-1252 in a WAV, Mac OS Roman in an AIFF. A damaged list (a size past the
    end of the file, a pad byte left out) gives what can be read of it, never an error.
    """
    found: dict = {}
    try:
        end = os.fstat(f.fileno()).st_size
        f.seek(0)
        start, head = _past_id3v2(f, f.read(64))
        if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
            _riff_info(f, start, end, found)
        elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            _aiff_text(f, start, end, found)
    except Exception as exc:  # noqa: BLE001 - a damaged chunk costs what is after it, never the track
        log.debug("stopped reading text chunks: %s: %s", type(exc).__name__, exc)
    return {field: text for field, text in found.items() if text is not None}


def _ogg_start(f, audio) -> int:
    """The granule position an Ogg Vorbis or Opus stream starts at where it was cut from a
    longer one (a radio stream captured mid-way), else 0.

    mutagen takes the last page's granule position for the length, as if every stream
    started at 0: a capture begun 600 s in was listed at 610 s instead of 10. A first audio
    page that ends later than its packets can decode to says the stream started late. Only
    page headers are read, up to that page.
    """
    serial = getattr(audio.info, "serial", None)
    per_packet = _OPUS_PACKET_SAMPLES if isinstance(audio, OggOpus) else _VORBIS_PACKET_SAMPLES
    pos = 0
    while True:
        f.seek(pos)
        head = f.read(27 + 255 + 29)
        if len(head) < 27 or head[:4] != b"OggS":
            return 0
        segments = head[27:27 + head[26]]
        granule, page_serial = struct.unpack_from("<qI", head, 6)
        if page_serial == serial:
            body = head[27 + len(segments):]
            if body[:7] == b"\x01vorbis" and len(body) > 28:
                per_packet = (1 << (body[28] >> 4)) // 2        # half the stream's long block
            elif granule > 0:
                packets = len(segments) - segments.count(255)   # the packets that end on this page
                return granule if granule > packets * per_packet else 0
        pos += 27 + len(segments) + sum(segments)


#: what libsndfile says of a file's stream
_SoundInfo = namedtuple("_SoundInfo", "format subtype samplerate channels frames")


def _wav_data_start(path: str) -> int:
    """Where a WAV's sound data starts (0 where its data chunk is not found)."""
    with open_regular_file(path) as f:
        for name, start, _size, _head in _walk_chunks(f, 12, os.fstat(f.fileno()).st_size, "little"):
            if name == b"data":
                return start
    return 0


def _fixed_rate_wav_length(path: str, info) -> float | None:
    """The seconds ffmpeg plays of a WAV in G.726 ADPCM (and the tags of the G.721 and G.723
    rates before it, which ffmpeg reads as G.726), counted from its header, or None where the
    header cannot say (another codec, values ffmpeg's decoder refuses, a data chunk whose size
    was never written or that runs past the file's end).

    Every sample of G.726 takes the same bits, 2 to 5 as the fmt chunk says, so its samples are
    the data chunk's bits over that (ffmpeg's decoder plays mono only, each byte's codes whole).
    """
    bits, rate = _int_info(info, "bits_per_sample"), _int_info(info, "sample_rate")
    if (getattr(info, "audio_format", None) not in _G726_WAVE_TAGS or _int_info(info, "channels") != 1
            or bits not in (2, 3, 4, 5) or not rate):
        return None
    try:
        with open_regular_file(path) as f:
            end = os.fstat(f.fileno()).st_size
            for name, start, size, _head in _walk_chunks(f, 12, end, "little"):
                if name == b"data":
                    if not 0 < size <= end - start:
                        return None
                    return min(size * 8 // bits / rate, MAX_DURATION_S)
    except OSError:
        pass
    return None


def _over_4gib(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0xFFFFFFFF
    except OSError:
        return False


def _decoded_stream(path: str) -> dict | None:
    """Length, codec, sample rate and channels of ``path`` as the player's decoder opens it
    (:class:`player.audio.decoder.Decoder`), or None where it cannot open it.

    Only headers are read, nothing is decoded whole: libsndfile's for what it plays, and for
    MP3 dr_mp3's reader, which the player plays them with (the length a Xing header gives,
    else the frames counted, or in a long file estimated from its size, as for playback).
    A .mp3 goes to dr_mp3 alone: libsndfile's MPEG reader writes its complaints about a
    damaged one to the terminal, through a scan's progress.
    """
    info = None
    if extension(os.path.basename(path)) != ".mp3":
        try:
            # (opened as the player opens it: a WAV whose writer left out a pad byte too)
            with audio_io.open_soundfile(path) as f:
                info = _SoundInfo(f.format, f.subtype, f.samplerate, f.channels, f.frames)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, ZeroDivisionError, MemoryError):
            return None     # (a sample rate of 0 divides by zero; a huge header can exhaust memory)
    if info is not None and info.format == "OGG" and _chained(path):
        try:    # each link's headers, as the player opens them
            with audio_io.open_blocks(path) as reader:
                rate, channels, frames = reader.samplerate, reader.channels, reader.frames
        except (audio_io.AudioError, OSError, MemoryError):
            return None
        codec = info.subtype.lower()
    elif info is not None and info.format != "MP3":
        rate, channels, frames = info.samplerate, info.channels, info.frames
        codec = info.subtype.lower() if info.format == "OGG" else _SF_CODECS.get(info.format, info.format.lower())
    else:
        try:
            with audio_io.open_mp3(path, exact_length=False) as mp3:
                rate, channels, frames = mp3.samplerate, mp3.channels, mp3.frames
        except ImportError:     # no miniaudio: the player streams MP3 through ffmpeg, as libsndfile counts it
            if info is None:
                return None
            rate, channels, frames = info.samplerate, info.channels, info.frames
        except (audio_io.AudioError, OSError):
            return None
        codec = "mp3"
    if rate <= 0 or channels <= 0 or not 0 < frames < _UNKNOWN_FRAMES:
        return None
    return {"duration": min(frames / rate, MAX_DURATION_S), "codec": codec,
            "sample_rate": min(rate, INT32_MAX), "channels": min(channels, INT32_MAX)}


def _bad_shorten(path: str) -> bool:
    """Whether ``path`` begins as a Shorten file and its first codes cannot be Shorten's."""
    try:
        audio_io.shorten_walk(path)
    except ValueError:
        return True
    except OSError:
        pass
    return False


def _sound_frames(path: str) -> int | None:
    """The frames libsndfile counts in ``path`` (None where it does not open it)."""
    try:
        with audio_io.open_soundfile(path) as f:
            return f.frames
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, ZeroDivisionError, MemoryError):
        return None


def _probed_stream(path: str, *, count: bool = True) -> dict | None:
    """Length, codec, rate, channels and tags of a file as ffprobe reads them, or None (no
    ffmpeg, no audio in it as ffmpeg sees it). An MP3 is left to dr_mp3, which plays it (a
    .mp3 that ffprobe finds to be another format, an ADTS AAC stream, is that format); the
    values are bounded as everything leaving this module is."""
    probed = audio_io.probe_stream(path, count=count)
    if probed is None:
        return None
    if extension(os.path.basename(path)) == ".mp3" and (probed["codec"] or "mp3") in ("mp3", "mp2", "mp1"):
        return None
    if probed["container"] == "mp3":
        # ffprobe takes two or three MPEG frame headers in a row for a stream, and about one
        # file of random bytes in a thousand holds that: a damaged WAV was listed as a 0.05 s
        # "mp1" song. A file of MPEG frames alone is a song where dr_mp3 opens it, whatever
        # its name, as a .mp3 is, and as long as dr_mp3 finds it: ffprobe guesses the length
        # from the file's size, so an MP3 behind 300 KB of junk was listed 7 times too long.
        seconds = _dr_mp3_seconds(path, probed["duration"])
        if seconds is None:
            return None
        probed["duration"] = seconds
    return {**probed, "duration": min(probed["duration"], MAX_DURATION_S), "codec": clean_text(probed["codec"]),
            "sample_rate": min(probed["sample_rate"], INT32_MAX), "channels": min(probed["channels"], INT32_MAX)}


def _dr_mp3_seconds(path: str, without: float) -> float | None:
    """How long dr_mp3, which plays MPEG audio, finds ``path``, or None where it cannot open it
    (``without`` where it is not installed: then ffmpeg plays it)."""
    try:
        with audio_io.open_mp3(path, exact_length=False) as mp3:
            return mp3.frames / mp3.samplerate if mp3.frames > 0 else None
    except ImportError:
        return without
    except (audio_io.AudioError, OSError):
        return None


def _chained(path: str) -> bool:
    """Whether ``path`` is a chained Ogg file (Ogg files written one after another)."""
    try:
        return len(audio_io.ogg_links(path)) > 1
    except (OSError, ValueError):
        return False


def _ogg_unfinished(path: str) -> bool:
    """Whether an Ogg file's last page is cut in two or not marked as its stream's end: a
    download or copy that stopped before the end (the largest page, about 64 KB, is all that
    is read)."""
    try:
        with open_regular(path) as f:
            return audio_io.ogg_ends_unfinished(f)
    except OSError:
        return False


def _ogg_headers_only(path: str) -> bool:
    """Whether an Ogg file holds its header pages whole and nothing after them: no audio, not
    a file cut short (see :func:`audio_io.ogg_headers_only`)."""
    try:
        with open_regular(path) as f:
            return audio_io.ogg_headers_only(f)
    except OSError:
        return False


def _salvaged_tags(path: str):
    """The tags of a file whose stream info mutagen could not read: an ID3v2 tag in front (of
    a WAV or an AIFF, of an MP3 whose frames it did not find), or the Vorbis comments of an
    Ogg stream whose last page it did not find. None where there are none."""
    try:
        with open_regular(path) as f:
            head = f.read(64)
            f.seek(0)
            if head.startswith(b"ID3"):
                return ID3(f)
            readers = _OGG_TAGS.get(_sniff(head))
            if readers is not None:
                info_reader, tags_reader = readers
                return tags_reader(f, info_reader(f))
    except Exception as exc:  # noqa: BLE001 - odd tags cost the tags, never the track
        log.debug("no tags read from %r: %s: %s", path, type(exc).__name__, exc)
    return None


def _salvaged_chunk_tags(path: str) -> dict:
    """What :func:`_chunk_tags` reads of a file mutagen could not read."""
    try:
        with open_regular(path) as f:
            return _chunk_tags(f)
    except (TagReadError, OSError):
        return {}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """A CAF packet table's number (seven bits a byte, the first byte the highest, the high bit
    set in all but the last) at ``at``, and where the next one starts."""
    value = 0
    while True:
        byte = data[at]
        value = value << 7 | byte & 0x7F
        at += 1
        if not byte & 0x80:
            return value, at


def _caf_alac_frames(path: str) -> int | None:
    """The samples ALAC in a CAF file decodes to, or None where it is not that or cannot be told.

    The header's counts take every packet as whole (ffmpeg writes its packets' count times
    4096 as the valid frames), and ffprobe's length is that: 6.04 s for 6.00 s of audio. The
    last packet says how many samples it holds (ALAC's partial frame), which is what plays.
    Reads the chunk headers, the packet table and the last packet's first bytes."""
    try:
        with open_regular(path) as f:
            if f.read(8)[:4] != b"caff":
                return None
            pos, size = 8, os.fstat(f.fileno()).st_size
            desc = table = data_start = None
            while pos + 12 <= size and (desc is None or table is None or data_start is None):
                f.seek(pos)
                kind, length = struct.unpack(">4sq", f.read(12))
                if kind == b"desc":
                    desc = f.read(32)
                elif kind == b"pakt" and 24 <= length <= 64 * 1024 * 1024:
                    table = f.read(length)
                elif kind == b"data":
                    data_start = pos + 12 + 4           # (after its count of edits)
                if length < 0:                          # (the data chunk of a file written to a pipe)
                    break
                pos += 12 + length
            if desc is None or table is None or data_start is None or len(desc) < 32 or len(table) < 24:
                return None
            _rate, codec, _flags, packet_bytes, per_packet = struct.unpack_from(">d4sIII", desc)
            packets = struct.unpack_from(">q", table)[0]
            if codec != b"alac" or packet_bytes or not per_packet or not 0 < packets <= len(table):
                return None
            at, offset = 24, data_start
            for _ in range(packets - 1):
                packet, at = _varint(table, at)
                offset += packet
            f.seek(offset)
            head = int.from_bytes(f.read(7).ljust(7, b"\0"), "big")
    except (TagReadError, OSError, IndexError, struct.error):
        return None
    # The frame's header: element (3 bits), its tag (4), 12 unused, "partial" (1), shift (2),
    # uncompressed (1), then where partial, the frame's samples (32 bits).
    last = head >> 1 & 0xFFFFFFFF if head >> 36 & 1 else per_packet
    return (packets - 1) * per_packet + last if 0 < last <= per_packet else None


#: an AMR file's first bytes -> each frame's bytes (its header's included) by the frame's type
#: (4 bits of its header), the types ffmpeg's decoder puts out a frame for whatever the frame's
#: quality bit says, and the samples of a frame (narrowband at 8 kHz, wideband at 16 kHz). It
#: skips the other frames, silence the encoder left out (comfort noise, no data), but for a
#: wideband frame marked bad, which it plays as silence: they add nothing to what plays.
_AMR_FRAMES = {
    b"#!AMR\n": ((13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1), frozenset(range(8)), False, 160),
    b"#!AMR-WB\n": ((18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1), frozenset({*range(9), 15}), True,
                    320),
}
#: the sample entries of AMR (narrowband, wideband) in an MP4 or 3GPP file: AMR is one channel
#: whatever the entry says, and 3GPP fixes the entry's count at 2
_AMR_IN_MP4 = ("samr", "sawb")


#: the largest raw AMR file whose frames are counted (hours of a phone's recording: an AMR-WB
#: one of 5.8 hours is 64 MB); a longer one keeps the length ffprobe guesses
AMR_COUNT_MAX = 64 * 1024 * 1024


def _amr_frames(path: str) -> int | None:
    """The samples a raw AMR file (a phone's recording, ``.amr``) plays, by counting its frames
    (0: none plays); None where it is not one. ffprobe guesses the length from the file's size at the first
    frames' bit rate: 3.10 s for a file of 3.00 s, further off where the rate changes. Reads
    the whole file (about 1.5 KB a second of sound)."""
    try:
        with open_regular(path) as f:
            data = f.read(AMR_COUNT_MAX + 1)
    except (TagReadError, OSError):
        return None
    magic = next((m for m in _AMR_FRAMES if data.startswith(m)), None)
    if magic is None or len(data) > AMR_COUNT_MAX:
        return None     # (longer than that: ffprobe's guess, rather than the length of its start)
    sizes, played, bad_played, per_frame = _AMR_FRAMES[magic]
    at, frames = len(magic), 0
    while at < len(data):
        kind, good = data[at] >> 3 & 0x0F, data[at] & 0x04
        # (a last frame cut short is dropped)
        frames += (kind in played or bad_played and not good) and at + sizes[kind] <= len(data)
        at += sizes[kind]
    return frames * per_frame


def _decoded_length(path: str) -> float:
    """Seconds of audio in ``path``, counted by decoding it all (FLAC decodes hundreds of times
    faster than it plays: about a second for ten minutes); 0.0 when it cannot be decoded."""
    try:
        with audio_io.open_blocks(path) as reader:
            frames = 0
            while len(block := reader.read(1 << 16)):
                frames += len(block)
            return frames / reader.samplerate
    except (audio_io.AudioError, OSError, MemoryError):
        return 0.0


def read_tags(path: str, *, estimate: bool = False) -> dict:
    """Tags and stream info of one audio file.

    ``estimate``: a length that only decoding the whole file gives (a Shorten file whose
    header gives none) is estimated instead, and ``length_estimated`` is then True in what is
    returned: the scan lists such files at once and counts them after (see
    :func:`segue_common.audio_io.count_frames`).

    Raises
    ------
    TagReadError
        When the path is not a regular file, or neither mutagen nor the player's decoder
        reads it as audio: not audio, damaged, or holding no audio.
    """
    audio = info = aiff = old_year = None
    ogg_start = 0
    flac_held = channels = ape_tags = played = flac_sheet = v1_tags = flac_id3 = None
    chunk_tags: dict = {}
    gpp_tags: dict = {}
    try:
        with open_regular(path) as f:
            audio = _parse(f)
            if isinstance(audio, (WAVE, AIFF)):
                chunk_tags = _chunk_tags(f)
            info = audio.info if audio is not None else None
            old_year = _old_id3_year(f, getattr(audio, "tags", None))
            if isinstance(audio, (OggVorbis, OggOpus)):
                ogg_start = _ogg_start(f, audio)
            if isinstance(audio, FLAC):
                flac_id3 = _id3_in_front(f)
            if isinstance(audio, FLAC) and getattr(info, "total_samples", None) \
                    and not _flac_reaches_its_seek_table(audio, info):
                flac_held = _flac_held(path, f, info)
            if isinstance(audio, AIFF):
                aiff = _aiff_layout(f)
            if isinstance(audio, AC3):
                channels = _ac3_channels(f)
            elif isinstance(audio, TrueAudio):
                channels = _tta_channels(f)
            if isinstance(audio, (AC3, TrueAudio, MP3)):
                ape_tags = _ape_at_end(f)
                if ape_tags is not None:
                    v1_tags = _id3v1_apart(f, audio.tags)
            if isinstance(audio, MP3):
                played = _xing_length(f, info)
            elif isinstance(audio, MP4):
                try:
                    gpp_tags = _3gpp_tags(f)
                except Exception as exc:  # noqa: BLE001 - odd boxes cost those tags, never the track
                    log.debug("could not read the 3GPP tags of %r: %s", path, exc)
                try:
                    played = _mp4_edit_length(f, audio)
                except Exception as exc:  # noqa: BLE001 - odd boxes keep mutagen's length
                    log.debug("could not read the edit list of %r: %s", path, exc)
                try:
                    if getattr(info, "codec", None) in _AMR_IN_MP4:
                        channels = 1
                    elif _int_info(info, "channels") == 2 and _mp4_aac_mono(f):
                        channels = 1
                except Exception as exc:  # noqa: BLE001 - odd boxes keep mutagen's count
                    log.debug("could not read the AAC configuration of %r: %s", path, exc)
    except TagReadError:
        raise
    except mutagen.MutagenError as exc:
        # (mutagen's WAV and AIFF readers share a module of chunks, whose errors name neither)
        name = _format_name(exc) if type(exc).__module__ != "mutagen._iff" else _chunks_run_past_end(path) or "file"
        error = f"damaged {name}: {_reason(exc, name, path)}"
    except OSError as exc:
        raise TagReadError(f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # mutagen raises a few plain errors on hostile input
        error = f"damaged file ({type(exc).__name__}: {clean_text(str(exc))})"
    else:
        error = None if audio is not None else NOT_RECOGNISED
    if isinstance(audio, WAVE) or audio is None:
        # A WAV that ends where its sound data begins is said as the player says it: ffprobe
        # guessed frames from an ADPCM header, and mutagen refused a header whose RIFF size
        # is 0 ("Container chunk data size < 4"), where the player found no sample.
        missing = audio_io.wav_sound_missing(path)
        if missing:
            raise TagReadError(missing)
    if isinstance(audio, ASF) or audio is None:
        # (a WMA whose header is whole and no packet of sound follows: see asf_sound_missing)
        missing = audio_io.asf_sound_missing(path)
        if missing:
            raise TagReadError(missing)
    if error is None and isinstance(audio, MP3) and getattr(info, "sketchy", False) \
            and _decoded_stream(path) is None:
        # mutagen found two or three frame headers in a row and nothing else: about one file
        # of random bytes in a thousand holds that (it was listed as a 0.2 s "MP1" song that
        # never played). The player's decoder wants more frames in a row; what it cannot open
        # is said as mutagen says a file with no frame at all.
        error = _NO_MPEG_FRAMES
    length = 0.0
    if error is None:
        try:
            length = float(getattr(info, "length", 0.0) or 0.0)
        except (TypeError, ValueError, OverflowError):
            length = 0.0
        if isinstance(audio, FLAC) and getattr(info, "total_samples", None) == 0:
            # 0 samples is FLAC's "unknown", written by ffmpeg or flac encoding to a pipe
            length = _decoded_length(path)
        elif flac_held == 0:
            length = 0.0
        elif flac_held and _int_info(info, "sample_rate"):
            length = flac_held / _int_info(info, "sample_rate")
        if played is not None and length > 0.0:
            length = played
        if isinstance(audio, MP3) and math.isfinite(length):
            length = _mp3_length(path, info, length)
        if ogg_start and length > 0.0:
            # libsndfile counts what the player decodes; where it cannot tell, the stream is
            # at most a page longer than from its first audio page on
            stream = _decoded_stream(path)
            rate = 48000 if isinstance(audio, OggOpus) else _int_info(info, "sample_rate") or 1
            length = stream["duration"] if stream is not None else length - ogg_start / rate
        if isinstance(audio, (OggVorbis, OggOpus)) and length > 0.0 and _chained(path):
            # mutagen measures the first of the files chained in one (a stream recording, or
            # files joined end to end); the player plays them all
            stream = _decoded_stream(path)
            if stream is not None:
                length = stream["duration"]
        if not length > 0.0 or not math.isfinite(length):
            error = "no audio in file (length 0)"
            if isinstance(audio, (OggVorbis, OggOpus)) and _ogg_unfinished(path) and not _ogg_headers_only(path):
                # Its header pages are whole, its audio cut off before the first page that
                # counts its samples: said as a file that ends inside its tags is.
                name = "Opus file" if isinstance(audio, OggOpus) else "Ogg Vorbis file"
                error = f"damaged {name}: it ends early, {_UNFINISHED}"
            elif flac_held == 0:
                # Its STREAMINFO whole, its audio cut off inside the first frame: it was listed
                # at the whole file's length (ffprobe, asked below, reads that too), and playing
                # it failed with "flac decoder lost sync".
                raise TagReadError(f"damaged FLAC file: it ends early, {_UNFINISHED}")
    if error is not None:
        # The player may play what mutagen cannot read: what its decoder opens is listed.
        stream = _decoded_stream(path)
        tags = audio.tags if audio is not None else _salvaged_tags(path)
        if audio is None:       # (an RF64 file, a WAV behind an ID3 tag)
            chunk_tags = _salvaged_chunk_tags(path)
        if stream is None and error == "no audio in file (length 0)" and isinstance(audio, OggVorbis) \
                and _sound_frames(path) == 0:
            # Whole, ended, and of no samples as mutagen and libsndfile both count them (a
            # recorder stopped at once): it plays nothing. ffprobe gives a length from its
            # start time all the same, and it was listed as a song of 0.002 s.
            raise TagReadError(error)
        if stream is None and _sound_frames(path) == 0 and audio_io.wav_data_empty(path):
            # A WAV whose data is empty, as its size says, a whole chunk after it (a tag
            # list): it plays nothing. ffprobe reads to the file's end all the same, and it
            # was listed as a song of the chunk's bytes.
            raise TagReadError("no audio in file (length 0)")
        if stream is None:
            # What neither reads, the player plays through ffmpeg (Matroska, ALAC in a CAF).
            # (Asked only here: ffprobe takes about 90 ms a file, a scan of an RF64 library
            # that libsndfile reads would pay it for every file.)
            probed = _probed_stream(path, count=not estimate)
            if probed is None:
                if error.startswith("damaged MP3 file") and extension(os.path.basename(path)) == ".shn":
                    # (taken for an MP3 by the ID3 tag in front alone: a Shorten file, as
                    # its name says, needs ffmpeg, or is damaged as a Shorten file is)
                    error = NOT_RECOGNISED
                if error == NOT_RECOGNISED and audio_io.ffmpeg_complete() is None:
                    # Matroska, WebM, ALAC in a CAF: what mutagen and libsndfile do not know, ffmpeg
                    # may, and it is not installed (or cannot read it: no ffprobe, or it does not
                    # run). Said so (not "not an audio format", which
                    # sent people looking for a fault in the file), the words also tell the scan
                    # to read the file again once ffmpeg is found.
                    error = audio_io.needs_ffmpeg(path)
                elif error == NOT_RECOGNISED and _bad_shorten(path):
                    # (its header Shorten's, its codes not: the reason said, not "not an audio format")
                    error = "damaged Shorten file: its audio is not Shorten's codes"
                raise TagReadError(error)
            stream = {key: probed[key] for key in ("duration", "codec", "sample_rate", "channels")}
            if probed["estimated"]:
                stream["length_estimated"] = True
            frames = _caf_alac_frames(path) if stream["codec"] == "alac" else None
            if probed["container"] == "wav":
                # (an ADPCM or GSM recording whose data size was never written: ffprobe's length
                # came from its fact chunk, half the sound for IMA ADPCM)
                frames = audio_io.wav_unsized_block_frames(path)
                if frames == 0:
                    # (killed before its first block's header was whole: the decoder finds no
                    # sample in it, where ffprobe guessed a few from its bytes)
                    raise TagReadError("no audio in file (length 0)")
            if probed["container"] == "amr":
                frames = _amr_frames(path)
                if frames == 0:
                    # (frames of silence left out alone: ffprobe's length is its size over
                    # their rate, hours for a file that plays nothing)
                    raise TagReadError("no audio in file (length 0)")
            if frames:
                stream["duration"] = min(frames / stream["sample_rate"], MAX_DURATION_S)
            tags = tags if tags is not None or not probed["tags"] else probed["tags"]
        log.debug("%r read as the decoder opens it (mutagen: %s)", path, error)
        out: dict = {**stream, "bitrate": None}
    else:
        out = _stream_columns(path, audio, info, length, aiff)
        if not out["duration"] > 0.0:
            # A WAV or AIFF cut short before its first whole frame of sound (its length is
            # what the bytes after its header hold): it was listed as a song of 0 seconds.
            cut = _chunks_run_past_end(path)
            raise TagReadError(f"damaged {cut}: it ends early, {_UNFINISHED}" if cut else "no audio in file (length 0)")
        if channels:
            out["channels"] = channels
        tags = audio.tags
        if isinstance(tags, VComment) and any("\ufffd" in str(value) for _, value in list.__iter__(tags)):
            tags = _comments_as_written(path, audio) or tags
        if isinstance(audio, FLAC) and getattr(audio, "cuesheet", None) is not None:
            try:
                flac_sheet = _flac_cuesheet(audio.cuesheet, tags, _int_info(info, "sample_rate"))
            except Exception as exc:  # noqa: BLE001 - an odd block costs the sheet, never the track
                log.warning("ignored the CUESHEET block of %r: %s: %s", path, type(exc).__name__, exc)
                flac_sheet = None
    # An APEv2 tag beside an ID3v1 tag alone (foobar2000 tagged MP3s so for years) is read
    # first: ID3v1 keeps 30 Latin-1 bytes a field, a long title cut short and a Russian name
    # as "????", where the APEv2 tag holds them whole. Beside an ID3v2 tag it fills what that
    # left empty, before an ID3v1 tag there too (a player that later added a small ID3v2 tag,
    # a rating or a genre, did not make the cut title win).
    ape_first = ape_tags is not None and isinstance(tags, ID3) and tags.version < (2, 0, 0)
    if ape_first:
        _read_ape(path, ape_tags, out)
    if tags is not None:
        try:
            _map_tags(tags, out)
        except Exception as exc:  # odd data in one tag costs the tags, never the track
            log.warning("ignored the tags of %r: %s: %s", path, type(exc).__name__, exc)
            for key in list(out):
                if key not in ("duration", "codec", "sample_rate", "channels", "bitrate"):
                    del out[key]
            if ape_first:
                _read_ape(path, ape_tags, out)
    if out.get("year") is None and old_year is not None:
        out["year"] = old_year
    if error is None and isinstance(audio, FLAC) and flac_sheet is not None:
        # (a CUESHEET comment, the sheet as the ripper wrote it, wins over the block)
        out.setdefault("cuesheet", flac_sheet)
    if ape_tags is not None and not ape_first:
        # (it fills what an ID3v2 tag left empty: where both have a field, the ID3 tag's is kept)
        _read_ape(path, ape_tags, out)
        if v1_tags is not None:
            _id3(v1_tags, out)
    if flac_id3 is not None:
        _fill_from_id3(path, flac_id3, out)
    if isinstance(audio, FLAC) and out.get("title") is None and out.get("artist") is None:
        # (looked for only where nothing named the song: a tagged FLAC's end is not read)
        v1 = _id3v1_at_end(path)
        if v1 is not None:
            _fill_from_id3(path, v1, out)
    # A WAV's INFO list or an AIFF's text chunks fill what an ID3 chunk left empty. Where both
    # have a field the ID3 chunk's is kept: it declares its text's encoding, where an INFO
    # value's is guessed, and holds fields INFO has none for (album artist, disc, MusicBrainz).
    for field, text in chunk_tags.items():
        _set(out, field, text)
    for field, text in gpp_tags.items():     # (what an MP4 tag of its own left empty)
        _set(out, field, text)
    # (a RATING tag wins over Quod Libet's, FMPS_RATING and Windows Media Player's, where a file
    # has several)
    for scale in ("_ql_rating", "_fmps_rating", "_wm_rating"):
        stars = out.pop(scale, None)
        if out.get("rating") is None and stars is not None:
            out["rating"] = stars
    side = out.pop(_SIDE, None)
    if side is not None and out.get("disc_no") is None:
        out["disc_no"] = side
    first = {field: out.pop(key, None) or out.get(field) for field, key in _FIRST.items()}
    out["match_key"] = match_key(first["artist"] or first["albumartist"], out.get("title"))
    return out


_CUE_TRACK_KEY = re.compile(r"^cue_track(\d{1,3})_(title|performer)$")


def _flac_cuesheet(block, tags, rate: int | None) -> str | None:
    """The text of the sheet in a FLAC's CUESHEET metadata block (``flac --cuesheet``, CUETools),
    for the scan to read as any sheet inside a file (see :mod:`player.library.cue`), or None
    where it gives no audio track. The block has no titles: they come from the file's
    per-track comments (``CUE_TRACK03_TITLE``), else the track is "Track 03". Its offsets are
    in samples; a sheet counts in CD frames (1/75 s), which a CD's offsets are whole ones of."""
    if not rate:
        return None
    named: dict[tuple[int, str], str] = {}
    if isinstance(tags, VComment):
        for key, value in list.__iter__(tags):
            m = _CUE_TRACK_KEY.match(str(key).lower())
            text = clean_text(value)
            if m and text:
                named.setdefault((int(m.group(1)), m.group(2).upper()), text)
    lines = ['FILE "CUESHEET" WAVE']
    for track in block.tracks:
        # the lead-out (170 on a CD, 255 elsewhere) marks the end; a data track has no sound
        starts = [i.index_offset for i in track.indexes if i.index_number == 1]
        if track.track_number in (170, 255) or track.type != 0 or not starts:
            continue
        frames = round((track.start_offset + starts[0]) * 75 / rate)
        lines.append(f"  TRACK {track.track_number:02d} AUDIO")
        for field in ("TITLE", "PERFORMER"):
            if (value := named.get((track.track_number, field))) is not None:
                # (a sheet's value runs from its line's first quote to its last: no escapes)
                lines.append(f'    {field} "{" ".join(value.split())}"')
        lines.append(f"    INDEX 01 {frames // 4500:02d}:{frames // 75 % 60:02d}:{frames % 75:02d}")
    return "\n".join(lines) + "\n" if len(lines) > 1 else None


def _stream_columns(path: str, audio, info, length: float, aiff: tuple[bytes, int | None] | None = None) -> dict:
    """Length, codec, sample rate, channels and bit rate as mutagen read them (``aiff``: an
    AIFF's compression type and where its sound data starts, :func:`_aiff_layout`)."""
    codec = type(audio).__name__.lower().replace("ogg", "").replace("wave", "wav") or None
    if codec == "mp3" and getattr(info, "layer", 3) in (1, 2):
        codec = f"mp{info.layer}"       # (mutagen's MP3 reads MPEG layers I and II too)
    if (codec == "wav" and (getattr(info, "audio_format", None) not in _WAVE_FRAME_BLOCKS or _over_4gib(path))
            or aiff is not None and aiff[0] not in _AIFF_FRAME_BLOCKS):
        # Compressed WAV (IMA and MS ADPCM, GSM 6.10) packs hundreds of samples into each
        # block, which mutagen counts as one: 3 s were listed as 0.0007 s. libsndfile counts
        # them (from the fact chunk) as the player decodes them. So does AIFF-C with IMA
        # ADPCM, whose header counts its packets of 64 samples: 4 s were listed as 0.06 s.
        # And a WAV of more than 4 GiB, whose 32-bit header cannot say its length, is
        # measured as the player measures it (from the file's size).
        stream = _decoded_stream(path)
        if stream is not None:
            return {**stream, "bitrate": _int_info(info, "bitrate")}
        if codec == "wav" and getattr(info, "audio_format", None) not in _WAVE_FRAME_BLOCKS:
            # A codec libsndfile does not read (G.726 ADPCM, as written by ffmpeg): the player
            # plays it through ffmpeg, and mutagen counts one sample a byte whatever a sample
            # packs into, so 3 s of 4-bit G.726 were listed as 1.5 s. ffprobe's length is the
            # one ffmpeg plays. Where the header says it (G.726 spends the same bits on every
            # sample) it is counted from there: ffprobe takes 160 ms a file, the header 0.5 ms,
            # and a folder of 10,000 voicemails took 27 minutes to scan the first time.
            counted = _fixed_rate_wav_length(path, info)
            if counted is not None:
                length = counted
            else:
                probed = _probed_stream(path)
                if probed is not None and probed["container"] == "wav":
                    length = probed["duration"]
    # The sound data the file holds bounds its length. A WAV recorder or streaming tool that
    # cannot know the length when it starts writes the largest size (0xFFFFFFFF) in the
    # header: 30 s were listed as 27 hours (its file's size is the limit). An AIFF cut short
    # (an interrupted copy or download) keeps its header's length (the limit is the bytes
    # after the start of its sound data).
    data_start = 0 if codec == "wav" else aiff[1] if aiff is not None else None
    if data_start is not None:
        frame_bytes = (_int_info(info, "bits_per_sample") or 0) * (_int_info(info, "channels") or 0) / 8
        rate = _int_info(info, "sample_rate")
        if frame_bytes > 0 and rate:
            try:
                size = os.path.getsize(path)
                if codec == "wav" and size / (frame_bytes * rate) < length:
                    # (the bytes before a WAV's data are its header, no sound: a 0.19 s
                    # recording was listed 1.4 ms longer than it plays, more behind a long
                    # header)
                    data_start = _wav_data_start(path)
                held = max(0, size - data_start) // frame_bytes
                length = min(length, held / rate)
            except OSError:
                pass
    return {
        "duration": min(length, MAX_DURATION_S),
        "codec": codec,
        # Opus always decodes at 48 kHz; mutagen reports no rate for it.
        "sample_rate": _int_info(info, "sample_rate") or (48000 if codec == "opus" else None),
        "channels": _int_info(info, "channels"),
        "bitrate": _int_info(info, "bitrate"),
    }
