"""The tag reader's version, apart from the reader (mutagen and the decoders take a while to
import), so that the window can tell at start-up whether the library needs reading again.

A change to what the reader takes from files a library already holds adds one to
``READER_VERSION`` and names, in ``READER_CHANGES``, the file types it changed (None: every
type). A library keeps the version each folder was last scanned with, and the next scan reads
the unchanged files of those types again. A folder scanned before versions were kept (0)
reads every file again once.
"""

from __future__ import annotations

READER_VERSION = 28
READER_CHANGES: dict[int, frozenset | None] = {
    1: None,
    2: None,        # every artist of a track tagged with several, not only the first
    3: None,        # every genre of a track tagged with several (and ID3v1 genre numbers)
    # MP3 and MP4 at the length they play: an MP3's encoder delay and padding taken off
    # whatever encoder wrote its LAME tag, an AAC track's priming and padding cut at its edit list
    4: frozenset({".mp3", ".m4a", ".m4b", ".mp4", ".alac"}),
    5: frozenset({".m4a", ".m4b", ".mp4", ".alac"}),     # a mono AAC track as one channel, not two
    6: None,        # the composer, the compilation flag and the artists' sort names
    7: frozenset({".mka", ".webm", ".caf"}),   # sort names by ffprobe's names for them
    # a CUE sheet inside the tags: the album's tracks (a FLAC's Vorbis comment, WavPack's and
    # Monkey's Audio's APEv2 tag)
    8: frozenset({".flac", ".ogg", ".oga", ".wv", ".ape", ".tta"}),
    9: frozenset({".flac"}),     # a FLAC's CUESHEET metadata block: the album's tracks too
    # names an old Windows ripper wrote in its code page (Cyrillic, Japanese) or in UTF-8 into
    # ID3 frames that say Latin-1, read as meant, not as "Êèíî"
    10: frozenset({".mp3", ".mp2", ".aac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".dsf", ".dff", ".tta"}),
    # the year of an ID3v2.3 or v2.2 tag that says more than four digits ("c. 1975", "1975/2011")
    11: frozenset({".mp3", ".mp2", ".aac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".dsf", ".dff", ".tta"}),
    # a vinyl rip's side ("A1", "B2") ordered as a disc: every type whose track number is text
    # (an MP4's is a number)
    12: frozenset({".mp3", ".mp2", ".aac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".dsf", ".tta", ".flac",
                   ".ogg", ".oga", ".opus", ".spx", ".wma", ".wv", ".ape", ".mpc", ".ac3", ".dff", ".caf", ".w64",
                   ".au", ".mka", ".webm"}),
    13: frozenset({".mp3", ".mp2", ".aac", ".tta"}),   # an APEv2 tag beside an ID3v1 tag alone wins over it
    # Greek (Windows-1253) and Latin-1 words of accented letters alone ("ÄÖÜ") in ID3 frames
    # that say Latin-1 left as they are, no longer read as Cyrillic; an MP3's APEv2 tag wins
    # over its ID3v1 tag beside an ID3v2 tag too
    14: frozenset({".mp3", ".mp2", ".aac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".dsf", ".dff", ".tta"}),
    # an AAC track without an edit list at the length iTunes gives in its iTunSMPB tag
    15: frozenset({".m4a", ".m4b", ".mp4", ".alac"}),
    16: frozenset({".flac"}),    # an ID3v2 tag in front of a FLAC file fills what its comments leave empty
    # Vorbis comments written in a Windows code page, not UTF-8, read as meant, not as U+FFFD marks
    17: frozenset({".flac", ".ogg", ".oga", ".opus"}),
    # UTF-8 cut inside its last character in ID3 frames that say Latin-1 (an ID3v1 tag's 30
    # bytes) read as UTF-8; ReplayGain in RVA2 frames alone read; an Ogg Vorbis file of no
    # samples an error row, not a song of 0.002 s; a FLAC's ID3v1 tag alone and a 3GPP file's own tags read
    18: frozenset({".mp3", ".mp2", ".aac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".dsf", ".dff", ".tta", ".flac",
                   ".3ga", ".ogg", ".oga"}),
    # DSDIFF files, whose ID3 tag is read as a DSF file's, were left out of the lists of the ID3
    # changes above: a folder already scanned by reader 18 reads its .dff files again once
    19: frozenset({".dff"}),
    # an Ogg Opus file of header pages alone (libsndfile's, given no sample) says it holds no
    # audio, not that it is a copy that did not finish: an older reader's error row kept saying so
    20: frozenset({".opus", ".ogg", ".oga"}),
    # Wave64, AU, CAF, AC-3 and DTS files with an ID3v2 tag in front, whose tag is read as an
    # MP3's, were left out of the lists of the ID3 changes above: read again once
    21: frozenset({".w64", ".au", ".caf", ".ac3", ".dts"}),
    # an IMA ADPCM, MS ADPCM or GSM WAV whose data size was never written (a recorder killed) at
    # the length it plays, counted from its blocks, not ffprobe's (half of it for IMA ADPCM)
    22: frozenset({".wav", ".wave"}),
    23: None,       # the composer's sort name ("Bach, Johann Sebastian"), which the Composer column sorts by
    # the year of a date written month or day first ("05/01/2004", a tag or a CUE sheet's); names
    # with accents written decomposed (macOS: "o" and a combining mark) read composed; byte order
    # marks and zero-width spaces a tagger left in a name taken out
    24: None,
    25: None,       # the stars another player gave the song (POPM, RATING, FMPS_RATING, rate, WM rating), and
                    # a classical work's tags: WORK, GROUPING (ID3 TIT1/GRP1), MOVEMENT (MVIN) and MOVEMENTNAME
    # the stars Quod Libet keeps in Vorbis comments under the person's e-mail address ("RATING:<email>")
    26: frozenset({".flac", ".ogg", ".oga", ".opus", ".spx"}),
    # an MP4's media kind (stik) of audiobook or podcast episode filed under that genre
    27: frozenset({".m4a", ".m4b", ".mp4", ".alac"}),
    # numbers written without a leading zero (".988", "-.5 dB", as bc prints them) read whole:
    # a ReplayGain peak or gain, or a rating, in any type's tags; a CUE sheet's ReplayGain read
    # as a tag's
    28: None,
}


def changed_since(version: int, every: frozenset) -> frozenset:
    """The file extensions (lower case, with the dot) whose reading changed after reader
    ``version``, ``every`` standing for a change to every type: the files a folder scanned
    with that version should read again."""
    out: set = set()
    for v in range(max(version, 0) + 1, READER_VERSION + 1):
        changed = READER_CHANGES.get(v)
        out |= every if changed is None else changed
    return frozenset(out)
