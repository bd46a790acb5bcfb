"""Why a file cannot be played or read, in one set of words wherever it is said.

The same fault reads the same in the library's "Files with problems" list, in the status
bar when the song is played and in ``segue scan``'s output. The kinds, in the words the
library's scan uses:

- no audio: the file's headers are whole and it holds no sample (:data:`NO_AUDIO`), or it
  is empty (:data:`EMPTY_FILE`);
- damaged: ``damaged <format> file: <what is wrong>`` (``it ends early, …`` for a file cut
  short), or :data:`DAMAGED` where nothing more can be told;
- not a format Segue knows (:data:`NOT_RECOGNISED`), or one that needs ffmpeg
  (``format not supported (ext): install ffmpeg to play it``);
- unreadable for now (:data:`READ_FAILED`): reading it failed in the system, not in its content;
- missing (``file not found``), no permission (``cannot open: Permission denied``), not a
  regular file (``not a regular file (a named pipe)``).

:func:`plain` turns a decoding library's own words (libsndfile, dr_mp3, ffmpeg) into these;
its caller logs the library's words, for whoever looks into a fault. Qt-free.
"""

from __future__ import annotations

import re

from segue_common.text import shown

NO_AUDIO = "no audio in file (length 0)"
EMPTY_FILE = "no audio: an empty file (0 bytes), a copy or download that did not finish?"
NOT_RECOGNISED = "not an audio format Segue recognises"
#: the system could not read the file (an input/output error: a drive unplugged, a network
#: share dropped); no fault of the file's, and it may play once the drive is back
READ_FAILED = "it could not be read: the drive or network share it is on may be disconnected"
#: the file was made shorter as it played (a sync tool rewriting it, a copy of it still coming in)
#: and did not grow back: what it held was played
CUT_SHORT = "the file was cut short as it played: a copy or sync of it may not have finished"
#: a file of a known format whose contents do not read as that format's should
DAMAGED = "damaged file: its contents do not read as its format's should"

#: a decoding library's words for a file it does not know the format of
_UNKNOWN = re.compile(r"Format not recognised|File contains data in an unknown format|"
                      r"no audio stream ffmpeg can read|not an MP3 stream dr_mp3 reads", re.IGNORECASE)
#: ... and for one of a format it knows that it cannot read: said with no more detail, as
#: libsndfile's own words ("Unspecified internal error.", "Supported file format but file is
#: malformed.") tell the person nothing they can act on
_DAMAGED = re.compile(r"malformed|internal error|flac decoder|lost sync|Error in (WAV|AIFF) file|"
                      r"No 'data' chunk|bad (header|data)|unexpected end|Invalid data found|"
                      r"codec can't decode", re.IGNORECASE)
#: the file's name some libraries' messages start with ("cannot decode x.mp3: …"), where the
#: name is not known: up to the first ": ", which may cut a name holding one ("Live: 1979.flac")
_NAMED = re.compile(r"^cannot (decode|play|open) [^:]*: ")


def _named(text: str, name: str) -> tuple[str, str] | None:
    """``(verb, rest)`` where ``text`` starts "cannot <verb> <name>" (the name as given or as
    shown on one line), ``rest`` what follows the name; else None."""
    for verb in ("play", "decode", "open"):
        for written in dict.fromkeys((name, shown(name), " ".join(shown(name).split()))):
            head = f"cannot {verb} {written}"
            if written and text.startswith(head):
                return verb, text[len(head):]
    return None


def after_name(message: str, name: str) -> str:
    """What a refusal ``message`` says after the file ``name`` it starts with ("cannot play
    x.flac: no audio in file (length 0)" gives ": no audio in file (length 0)", "cannot play
    x.flac at 0 Hz: …" gives " at 0 Hz: …"), for a caller that names the file itself: said
    after its own "Could not play x.flac", the name and "cannot play" read twice. A message
    that does not start with the name is returned after ": "; one of a file not opened keeps
    that it was not ("cannot open x.flac: Permission denied" gives ": cannot open: Permission
    denied", as the library's scan says it)."""
    message = str(message)
    found = _named(message, name) if name else None
    if found is None:
        return f": {message}"
    verb, rest = found
    if not rest.startswith((":", " ")):
        return f": {message}"       # (another file whose name begins with this one's)
    return f": cannot open{rest}" if verb == "open" else rest


def plain(raw: str, name: str | None = None) -> str:
    """``raw``, a decoding library's reason for refusing a file, in the words above; words of
    no kind known here are kept as they are (the file's ``name`` they start with stripped:
    exactly where it is given, else up to the first ": ")."""
    text = " ".join(str(raw).split())
    found = _named(text, name) if name else None
    if found is not None and found[1].startswith(": "):
        text = found[1][2:]
    else:
        text = _NAMED.sub("", text, count=1)
    if _UNKNOWN.search(text):
        return NOT_RECOGNISED
    if _DAMAGED.search(text):
        return DAMAGED
    return text
