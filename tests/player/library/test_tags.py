import os
import struct
from pathlib import Path

import numpy as np
import pytest

from player.library.tags import TagReadError, parse_float, read_tags
from tests.audiogen import FORMATS, start_ogg_late, wav_over_4gib, wav_without_pad_bytes, write_track

TAGS = dict(title="Blue in Green", artist="Miles Davis", album="Kind of Blue", albumartist="Miles Davis",
            genre="Jazz", date="1959-08-17", tracknumber="3/5", discnumber="1/1",
            replaygain_track_gain="-7.25 dB", replaygain_track_peak="0.891",
            musicbrainz_trackid="0b7c1c1a-0000-4000-8000-000000000001")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_reads_tags_and_stream_info_in_every_format(tmp_path, fmt):
    path = write_track(tmp_path, "t", fmt=fmt, seconds=1.5, tags=TAGS)
    info = read_tags(str(path))
    assert info["title"] == "Blue in Green"
    assert info["artist"] == "Miles Davis"
    assert info["album"] == "Kind of Blue"
    assert info["genre"] == "Jazz"
    assert info["year"] == 1959
    assert info["track_no"] == 3 and info["disc_no"] == 1
    assert info["rg_track_gain"] == pytest.approx(-7.25)
    assert info["rg_track_peak"] == pytest.approx(0.891)
    assert info["mb_track_id"] == TAGS["musicbrainz_trackid"]
    assert info["duration"] == pytest.approx(1.5, abs=0.08)
    assert info["sample_rate"] == FORMATS[fmt][2]
    assert info["channels"] == 2
    assert info["match_key"] == "miles davis\x1fblue in green"


def test_untagged_file_still_reads(tmp_path):
    info = read_tags(str(write_track(tmp_path, "plain", fmt="wav")))
    assert info.get("title") is None and info["match_key"] is None
    assert info["codec"] == "wav"


def test_wrong_extension_is_read_by_content(tmp_path):
    path = write_track(tmp_path, "real-flac", fmt="flac", tags={"title": "X", "artist": "Y"})
    renamed = path.with_suffix(".ogg")
    path.rename(renamed)
    info = read_tags(str(renamed))
    assert info["codec"] == "flac" and info["title"] == "X"


@pytest.mark.parametrize("content", [b"", b"\x00" * 10, b"this is not audio at all" * 100])
def test_broken_files_raise_tag_read_error(tmp_path, content):
    path = tmp_path / "broken.mp3"
    path.write_bytes(content)
    with pytest.raises(TagReadError):
        read_tags(str(path))


def test_truncated_header_raises(tmp_path):
    path = write_track(tmp_path, "cut", fmt="flac", tags={"title": "X"})
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(TagReadError) as got:
        read_tags(str(path))
    # Said in the person's words: the format, not the reader's exception class.
    assert str(got.value).startswith("damaged FLAC file: ") and "Error" not in str(got.value)


# -- hostile values: every tag container, numbers and text that do not fit -------------------
def _ffmpeg(tmp_path, name: str, *args: str, src=None):
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    src = src or write_track(tmp_path, "src-" + name.split(".")[0], fmt="wav", seconds=0.5)
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(out)], check=True)
    return out


def test_apev2_tags_of_wavpack_are_read(tmp_path):
    from mutagen.apev2 import APEv2

    path = _ffmpeg(tmp_path, "song.wv")
    ape = APEv2()
    ape.update({"Title": "Wave", "Artist": "Packer", "Album Artist": "Packers", "Track": "7/9",
                "Year": "2004", "REPLAYGAIN_TRACK_GAIN": "-3.5 dB"})
    ape.save(str(path))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["albumartist"]) == ("Wave", "Packer", "Packers")
    assert info["track_no"] == 7 and info["year"] == 2004 and info["rg_track_gain"] == pytest.approx(-3.5)
    assert info["codec"] == "wavpack"


def test_asf_tags_of_wma_are_read(tmp_path):
    path = _ffmpeg(tmp_path, "song.wma", "-c:a", "wmav2", "-metadata", "title=Windows", "-metadata",
                   "artist=Media", "-metadata", "album=Player", "-metadata", "track=4")
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"]) == ("Windows", "Media", "Player")
    assert info["track_no"] == 4


def test_a_g726_wav_is_listed_at_the_length_it_plays(tmp_path):
    """libsndfile does not read G.726 ADPCM in a WAV (ffmpeg plays it), and mutagen counts one
    sample a byte: 1 s of 4-bit G.726 was listed as 0.5 s."""
    from segue_common import audio_io
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("g726"):
        pytest.skip("ffmpeg with its G.726 encoder makes this file")
    src = write_track(tmp_path, "src", fmt="wav", seconds=1.0)
    path = _ffmpeg(tmp_path, "voice.wav", "-ar", "8000", "-ac", "1", "-c:a", "g726", "-b:a", "32k", src=src)
    frames = 0
    with audio_io.open_blocks(str(path)) as reader:
        while len(block := reader.read(8192)):
            frames += len(block)
    played = frames / 8000
    assert played == pytest.approx(1.0, abs=0.01)
    assert read_tags(str(path))["duration"] == pytest.approx(played, abs=0.01)


def _played_seconds(path, rate: int) -> float:
    from segue_common import audio_io

    frames = 0
    with audio_io.open_blocks(str(path)) as reader:
        while len(block := reader.read(8192)):
            frames += len(block)
    return frames / rate


def _ffprobe_seconds(path) -> float:
    import subprocess

    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


@pytest.mark.parametrize("rate", ["16k", "24k", "32k", "40k"])
def test_a_g726_wav_is_measured_from_its_header_at_every_bit_rate(tmp_path, monkeypatch, rate):
    """Every G.726 sample takes the same 2 to 5 bits, so its length follows from the header;
    running ffprobe for each file made a first scan of 10,000 voicemails take 27 minutes. With
    no ffprobe to be found the length is still the one played and the one ffprobe gives."""
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("g726"):
        pytest.skip("ffmpeg with its G.726 encoder makes this file")
    src = write_track(tmp_path, "src", fmt="wav", seconds=1.2347)
    path = _ffmpeg(tmp_path, "voice.wav", "-ar", "8000", "-ac", "1", "-c:a", "g726", "-b:a", rate, src=src)
    played, probed = _played_seconds(path, 8000), _ffprobe_seconds(path)
    # (ffprobe counts from the fact chunk; the decoder plays the last byte's codes whole)
    assert probed == pytest.approx(played, abs=0.002)
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    assert read_tags(str(path))["duration"] == pytest.approx(played, abs=1e-6)


def test_a_g726_wav_whose_data_size_was_never_written_is_still_measured(tmp_path):
    """A recorder killed before it wrote the data chunk's size (0xFFFFFFFF): the header cannot
    say the length, ffprobe's is used, bounded by what the file holds."""
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("g726"):
        pytest.skip("ffmpeg with its G.726 encoder makes this file")
    src = write_track(tmp_path, "src", fmt="wav", seconds=1.0)
    path = _ffmpeg(tmp_path, "voice.wav", "-ar", "8000", "-ac", "1", "-c:a", "g726", "-b:a", "24k", src=src)
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[at + 4:at + 8] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert read_tags(str(path))["duration"] == pytest.approx(_played_seconds(path, 8000), abs=0.01)


def test_mp4_tags_are_read(tmp_path):
    path = _ffmpeg(tmp_path, "song.m4a", "-c:a", "aac", "-metadata", "title=Apple", "-metadata",
                   "artist=Core", "-metadata", "track=2/10", "-metadata", "date=2011")
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["track_no"], info["year"]) == ("Apple", "Core", 2, 2011)


@pytest.mark.parametrize(("kind", "genre", "filed"), [
    (2, None, "Audiobook"), (21, ["News", "Talk"], "Podcast; News; Talk"), (2, ["audiobook"], "audiobook"),
    (1, ["Rock"], "Rock"), (None, None, None)])
def test_an_m4a_media_kind_files_it_as_an_audiobook_or_a_podcast(tmp_path, kind, genre, filed):
    """iTunes' media kind (``stik`` 2, audiobook; 21, podcast; 1, music) files an .m4a as speech
    whatever its genre tag says, so that it stays out of music's suggestions as a tagged one does."""
    from mutagen.mp4 import MP4

    from recommender.genres import is_spoken

    path = _ffmpeg(tmp_path, "talk.m4a", "-c:a", "aac")
    tags = MP4(str(path))
    if kind is not None:
        tags["stik"] = [kind]
    if genre is not None:
        tags["\xa9gen"] = genre
    tags.save()
    info = read_tags(str(path))
    assert info.get("genre") == filed
    assert is_spoken(info.get("genre")) == (kind in (2, 21))


def test_matroska_tags_are_read_through_ffprobe(tmp_path):
    """mutagen reads no Matroska: its stream info and tags come from ffprobe (there was an
    error row "not an audio format Segue recognises")."""
    path = _ffmpeg(tmp_path, "song.mka", "-c:a", "flac", "-metadata", "title=Matryoshka", "-metadata",
                   "artist=Doll", "-metadata", "album_artist=Dolls", "-metadata", "track=3/8",
                   "-metadata", "date=2019-05-01", "-metadata", "REPLAYGAIN_TRACK_GAIN=-4.5 dB")
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["albumartist"]) == ("Matryoshka", "Doll", "Dolls")
    assert (info["track_no"], info["year"], info["rg_track_gain"]) == (3, 2019, pytest.approx(-4.5))
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("flac", 44100, 2)
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


def test_a_matroska_file_without_audio_is_an_error(tmp_path):
    import os

    (tmp_path / "noise.mka").write_bytes(os.urandom(4000))
    with pytest.raises(TagReadError):
        read_tags(str(tmp_path / "noise.mka"))


def test_opus_r128_gain_written_as_a_decimal_is_read(tmp_path):
    path = write_track(tmp_path, "r128", fmt="opus", tags={"title": "Loud", "R128_TRACK_GAIN": "1.5"})
    info = read_tags(str(path))
    assert info["title"] == "Loud" and info["rg_track_gain"] == pytest.approx(1.5 / 256 + 5.0)


def test_replaygain_written_without_a_leading_zero_keeps_its_sign_and_size(tmp_path):
    # bc, which shell scripts tag their own loudness with, prints "-.50" and ".988": read as
    # the digits after the point, the gain read 50 dB (thrown out as no correction; "-.5" read
    # +5 dB) and the peak 988, so that clipping prevention held the song 60 dB down.
    path = write_track(tmp_path, "bc", fmt="flac", tags={
        "title": "Bc", "replaygain_track_gain": "-.50 dB", "replaygain_track_peak": ".988",
        "replaygain_album_gain": "+.5 dB", "replaygain_album_peak": ".5"})
    info = read_tags(str(path))
    assert info["rg_track_gain"] == pytest.approx(-0.5) and info["rg_track_peak"] == pytest.approx(0.988)
    assert info["rg_album_gain"] == pytest.approx(0.5) and info["rg_album_peak"] == pytest.approx(0.5)


@pytest.mark.parametrize("text, value", [("-,5 dB", -0.5), (",988", 0.988), ("+,5", 0.5), ("1,5", 1.5),
                                         (".5.5", 0.5), ("1.5.3", 1.5), ("-.", None), (".", None)])
def test_a_number_without_a_leading_zero_is_read_with_a_decimal_comma_too(text, value):
    # "-,5 dB" (a decimal comma, as "1,5" is read) read the 5 alone: a cut of half a decibel
    # became a boost of five
    assert parse_float(text) == (None if value is None else pytest.approx(value))


def test_numbers_are_clamped_to_what_the_store_and_the_window_hold(tmp_path):
    path = write_track(tmp_path, "nines", fmt="flac", tags={
        "title": "Nines", "tracknumber": "9" * 25, "discnumber": "9" * 5000, "date": "3000000000",
        "replaygain_track_gain": "+8000 dB", "replaygain_track_peak": "1e999"})
    info = read_tags(str(path))
    assert info["track_no"] == 2**31 - 1 and info["disc_no"] == 2**31 - 1
    assert info.get("year") is None                  # 3,000,000,000 is not a year
    assert info.get("rg_track_peak") is None         # infinite: no peak
    assert info.get("rg_track_gain") is None         # not a loudness correction: ignored


@pytest.mark.parametrize("raw,year", [("1959-08-17", 1959), ("c. 1999", 1999), ("20010502", 2001),
                                      ("[2003]", 2003), ("0", None), ("12345", None), ("soon", None),
                                      # a date written month or day first, as Windows taggers did
                                      ("05/01/2004", 2004), ("01.05.2004", 2004), ("05/01/04", None)])
def test_years_are_read_leniently(tmp_path, raw, year):
    path = write_track(tmp_path, "y", fmt="flac", tags={"title": "Y", "date": raw})
    assert read_tags(str(path)).get("year") == year


@pytest.mark.parametrize("raw,read", [
    # (spaces and zero-width marks mixed at the ends: a strip of one kind, then the other, left a mark)
    ("Daft Punk\u200b \u200b", "Daft Punk"), ("\u200b \ufeffHomework", "Homework"),
    # a zero-width joiner inside an emoji holds its people together: kept
    ("\U0001f468\u200d\U0001f469\u200d\U0001f467 Family", "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family")])
def test_invisible_marks_are_taken_from_a_names_ends_only(tmp_path, raw, read):
    path = write_track(tmp_path, "z", fmt="flac", tags={"title": raw})
    assert read_tags(str(path)).get("title") == read


def test_text_is_one_line_of_valid_utf8_and_bounded(tmp_path):
    path = write_track(tmp_path, "long", fmt="flac", tags={
        "title": "Line one\nline two\x00\x07 <b>bold</b>", "artist": "x" * 100_000})
    info = read_tags(str(path))
    assert info["title"] == "Line one line two  <b>bold</b>"
    assert len(info["artist"]) == 1000


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "x.mp3"
    os.mkfifo(fifo)
    with pytest.raises(TagReadError, match="not a regular file"):
        read_tags(str(fifo))


def test_id3_versions_are_all_read(tmp_path):
    from mutagen.id3 import ID3, TIT2, TPE1, TRCK

    for version in (3, 4):
        path = write_track(tmp_path, f"v2{version}", fmt="mp3")
        tags = ID3()
        tags.add(TIT2(encoding=1 if version == 3 else 3, text=[f"Title v2.{version}"]))
        tags.add(TPE1(encoding=0, text=["Artist"]))
        tags.add(TRCK(encoding=0, text=["05/12"]))
        tags.save(str(path), v2_version=version)
        info = read_tags(str(path))
        assert (info["title"], info["artist"], info["track_no"]) == (f"Title v2.{version}", "Artist", 5)


def test_every_artist_of_a_track_tagged_with_several_is_kept_and_its_key_goes_by_the_first(tmp_path):
    # Found by any of them in a search; the match key (and the priors') as with one artist.
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TIT2, TPE1

    from segue_common.normalize import match_key

    flac = write_track(tmp_path, "three", fmt="flac")
    tags = FLAC(str(flac))
    tags["title"], tags["artist"], tags["albumartist"] = ["Song"], ["One", "Two", "Three", "Two"], ["Band"]
    tags.save()
    info = read_tags(str(flac))
    assert (info["artist"], info["albumartist"]) == ("One; Two; Three", "Band")
    assert info["match_key"] == match_key("One", "Song") and "_first_artist" not in info
    mp3 = write_track(tmp_path, "two", fmt="mp3")
    tags = ID3()
    tags.add(TIT2(encoding=3, text=["Song"]))
    tags.add(TPE1(encoding=3, text=["Artist A", "Artist B"]))
    tags.save(str(mp3), v2_version=4)
    info = read_tags(str(mp3))
    assert info["artist"] == "Artist A; Artist B" and info["match_key"] == match_key("Artist A", "Song")


def _collector_tagged(tmp_path, fmt: str) -> Path:
    """A track of an iTunes-style compilation (a flag, no album artist) by "The Beatles", with
    their sort name and two composers, tagged as each format's taggers write it."""
    if fmt == "mp3":
        from mutagen.id3 import ID3, TCMP, TCOM, TPE1, TSO2, TSOP

        path = write_track(tmp_path, "song", fmt="mp3")
        tags = ID3()
        for frame in (TPE1(encoding=3, text=["The Beatles"]), TCMP(encoding=3, text=["1"]),
                      TCOM(encoding=3, text=["John Lennon", "Paul McCartney"]),
                      TSOP(encoding=3, text=["Beatles, The"]), TSO2(encoding=3, text=["Various"])):
            tags.add(frame)
        tags.save(str(path), v2_version=4)
    elif fmt == "flac":
        from mutagen.flac import FLAC

        path = write_track(tmp_path, "song", fmt="flac")
        tags = FLAC(str(path))
        tags["artist"], tags["compilation"] = ["The Beatles"], ["1"]
        tags["composer"] = ["John Lennon", "Paul McCartney"]
        tags["ARTISTSORT"], tags["ALBUMARTISTSORT"] = ["Beatles, The"], ["Various"]
        tags.save()
    elif fmt == "m4a":
        from mutagen.mp4 import MP4

        path = _ffmpeg(tmp_path, "song.m4a", "-c:a", "aac")
        tags = MP4(str(path))
        tags["\xa9ART"], tags["cpil"], tags["\xa9wrt"] = ["The Beatles"], True, ["John Lennon", "Paul McCartney"]
        tags["soar"], tags["soaa"] = ["Beatles, The"], ["Various"]
        tags.save()
    else:
        from mutagen.apev2 import APEv2

        path = _ffmpeg(tmp_path, "song.wv")
        ape = APEv2()
        ape.update({"Artist": "The Beatles", "Compilation": "1", "Composer": "John Lennon\0Paul McCartney",
                    "ArtistSort": "Beatles, The", "AlbumArtistSort": "Various"})
        ape.save(str(path))
    return path


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4a", "wv"])
def test_the_composer_the_compilation_flag_and_the_sort_names_are_read(tmp_path, fmt):
    # A classical collection is searched by composer; a compilation tagged as iTunes tags
    # them (a flag, each track its own artist) is one album only by its flag; "The Beatles"
    # file under B by their sort name. None of them was read.
    info = read_tags(str(_collector_tagged(tmp_path, fmt)))
    assert info["artist"] == "The Beatles"
    assert info["composer"] == "John Lennon; Paul McCartney"
    assert info["compilation"] == 1
    assert (info["artistsort"], info["albumartistsort"]) == ("Beatles, The", "Various")


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4a", "wv"])
def test_the_composers_sort_names_are_read(tmp_path, fmt):
    # The Composer column sorted "John Lennon" under J: the sort names a classical collector's
    # tagger writes beside the composers ("Lennon, John") were not read.
    path = _collector_tagged(tmp_path, fmt)
    names = ["Lennon, John", "McCartney, Paul"]
    if fmt == "mp3":
        from mutagen.id3 import ID3, TSOC

        tags = ID3(str(path))
        tags.add(TSOC(encoding=3, text=names))
        tags.save(str(path), v2_version=4)
    elif fmt == "flac":
        from mutagen.flac import FLAC

        tags = FLAC(str(path))
        tags["COMPOSERSORT"] = names
        tags.save()
    elif fmt == "m4a":
        from mutagen.mp4 import MP4

        tags = MP4(str(path))
        tags["soco"] = names
        tags.save()
    else:
        from mutagen.apev2 import APEv2

        tags = APEv2(str(path))
        tags["ComposerSort"] = "\0".join(names)
        tags.save(str(path))
    info = read_tags(str(path))
    assert info["composer"] == "John Lennon; Paul McCartney"
    assert info["composersort"] == "Lennon, John; McCartney, Paul"


@pytest.mark.parametrize("fmt", ["mp3", "m4a"])
def test_the_sort_names_of_a_matroska_file_ffmpeg_made_of_a_tagged_file_are_read(tmp_path, fmt):
    # ffprobe names them its own way ("sort_artist" from an MP4, "artist-sort" and "TSO2" from
    # ID3): a Matroska copy of a tagged track lost its sort names, and its place in the order.
    path = _ffmpeg(tmp_path, "copy.mka", "-c", "copy", src=_collector_tagged(tmp_path, fmt))
    info = read_tags(str(path))
    assert (info["artist"], info["compilation"]) == ("The Beatles", 1)
    assert (info["artistsort"], info["albumartistsort"]) == ("Beatles, The", "Various")


def test_a_compilation_flag_reads_as_people_write_it():
    from player.library.tags import parse_flag

    assert [parse_flag(t) for t in ("1", "01", "True", "yes", "0", "false", "No", "", "maybe", None)] == [
        1, 1, 1, 1, 0, 0, 0, None, None, None]


def test_every_genre_of_a_track_tagged_with_several_is_kept(tmp_path):
    # Only the first was kept (two GENRE comments, an ID3v2.4 list, ID3v1 numbers in TCON):
    # a search for the others did not find the track. The first keeps its place.
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TCON

    flac = write_track(tmp_path, "two", fmt="flac")
    tags = FLAC(str(flac))
    tags["genre"] = ["Rock", "Pop", "Rock"]
    tags.save()
    assert read_tags(str(flac))["genre"] == "Rock; Pop"
    for name, text in (("list", ["Jazz", "Funk"]), ("numbers", ["(13)(17)"])):
        mp3 = write_track(tmp_path, name, fmt="mp3")
        tags = ID3()
        tags.add(TCON(encoding=3, text=text))
        tags.save(str(mp3), v2_version=4)
        assert read_tags(str(mp3))["genre"] == {"list": "Jazz; Funk", "numbers": "Pop; Rock"}[name]


def test_a_wav_whose_header_gives_the_largest_size_is_as_long_as_the_file(tmp_path):
    # Recorders and streaming tools that cannot know the length when they start write
    # 0xFFFFFFFF as the RIFF and data sizes: the file itself is the limit.
    import numpy as np
    import soundfile as sf

    path = tmp_path / "rec.wav"
    sf.write(str(path), np.zeros((44100 * 3, 2), np.float32), 44100, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[4:8] = data[at + 4:at + 8] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert read_tags(str(path))["duration"] == pytest.approx(3.0, abs=0.01)


# -- files mutagen cannot read that the player plays: listed as its decoder opens them -----------
def _tone(seconds: float, sr: int = 44100):
    from tests.audiogen import tone

    return tone(seconds, sr=sr)


def _aiff_written_to_a_pipe(path, seconds: float):
    """An AIFF as ffmpeg writes one to a pipe: it cannot go back to fill in the sizes, so
    the FORM and SSND sizes and the frame count are all 0 (bytes written by hand)."""
    import struct

    import numpy as np

    pcm = (_tone(seconds)[:, :1] * 32767).astype(">i2").tobytes()
    rate_80bit = bytes.fromhex("400EAC44000000000000")          # 44100 Hz as an 80-bit float
    comm = b"COMM" + struct.pack(">IhIh", 18, 1, 0, 16) + rate_80bit
    path.write_bytes(b"FORM" + bytes(4) + b"AIFF" + comm + b"SSND" + bytes(12) + pcm)
    assert np.frombuffer(pcm, ">i2").size == int(seconds * 44100)
    return path


def test_an_rf64_recording_is_listed(tmp_path):
    # RF64: the WAV that broadcast recorders and tools writing over 4 GB use; mutagen wants "RIFF".
    import soundfile as sf

    path = tmp_path / "recording.wav"
    sf.write(str(path), _tone(2.0), 44100, format="RF64", subtype="PCM_24")
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(2.0, abs=0.001)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("wav", 44100, 2)
    assert info.get("title") is None and info["match_key"] is None     # shown by its file name


def test_an_aiff_written_to_a_pipe_is_listed_at_its_length(tmp_path):
    info = read_tags(str(_aiff_written_to_a_pipe(tmp_path / "piped.aiff", 2.0)))
    assert info["duration"] == pytest.approx(2.0, abs=0.001)
    assert (info["codec"], info["channels"]) == ("aiff", 1)


def test_an_mp3_named_flac_is_listed_as_mp3(tmp_path):
    path = write_track(tmp_path, "x", fmt="mp3", seconds=2.0)
    named = path.rename(tmp_path / "x.flac")
    info = read_tags(str(named))
    assert info["codec"] == "mp3" and info["duration"] == pytest.approx(2.0, abs=0.05)


def test_a_free_format_mp3_is_listed(tmp_path):
    # Free format (lame --freeformat): no bit rate in the frame headers, which mutagen needs.
    from tests.audiogen import lame_available, lame_mp3, tone

    if not lame_available():
        pytest.skip("libmp3lame is not installed")
    out = lame_mp3(tmp_path / "free.mp3", (tone(2.0) * 32767).astype("int16"), 44100, kbps=400, free_format=True)
    assert not out.read_bytes()[2] >> 4      # no bit rate in the headers
    info = read_tags(str(out))
    assert info["codec"] == "mp3" and info["duration"] == pytest.approx(2.0, abs=0.05)


def test_an_ogg_file_with_zeros_after_its_last_page_keeps_its_length_and_tags(tmp_path):
    # (a download or a recorder that wrote its buffer out whole): mutagen looks for the last
    # page near the end and finds only zeros
    path = write_track(tmp_path, "padded", fmt="ogg", seconds=2.0, tags={"title": "Padded", "artist": "Zero"})
    path.write_bytes(path.read_bytes() + bytes(65536))
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(2.0, abs=0.001)
    assert (info["codec"], info["title"], info["artist"]) == ("vorbis", "Padded", "Zero")
    assert info["match_key"] == "zero\x1fpadded"


def test_what_neither_mutagen_nor_the_decoder_reads_keeps_mutagens_reason(tmp_path):
    path = tmp_path / "notes.flac"
    path.write_text("track list\n" * 50)
    with pytest.raises(TagReadError, match="^damaged FLAC file: "):
        read_tags(str(path))
    cut = write_track(tmp_path, "cut", fmt="ogg", seconds=2.0)
    cut.write_bytes(cut.read_bytes()[:2000])
    with pytest.raises(TagReadError, match="^damaged Ogg Vorbis file: "):
        read_tags(str(cut))


def test_bytes_that_only_look_like_mpeg_frames_are_not_listed(tmp_path):
    """Frame headers in a row, nothing a decoder reads (one file of random bytes in about a
    thousand holds two or three so): mutagen reads them as a short MPEG-2.5 layer I stream,
    and the scan listed a song that never played."""
    import mutagen.mp3

    frame = bytes.fromhex("ffe71419") + b"\x11" * 124       # 32 kbit/s at 12,000 Hz: 128 bytes a frame
    path = tmp_path / "noise.mp3"
    path.write_bytes(b"\x22" * 64 + frame * 12)
    assert mutagen.mp3.MP3(str(path)).info.sketchy          # (what mutagen makes of it)
    with pytest.raises(TagReadError, match="^damaged MP3 file: can't sync to MPEG frame$"):
        read_tags(str(path))


def test_bytes_of_another_name_that_only_look_like_mpeg_frames_are_not_listed(tmp_path):
    """Neither mutagen nor libsndfile reads a damaged WAV; ffprobe, asked last, read the frame
    headers that one file of random bytes in a few hundred holds as an MPEG layer I stream,
    and the scan listed it as a song."""
    from segue_common import audio_io

    frame = bytes.fromhex("ffe71419") + b"\x11" * 124       # 32 kbit/s at 12,000 Hz: 128 bytes a frame
    path = tmp_path / "damaged.wav"
    path.write_bytes(b"\x22" * 64 + frame * 12)
    if audio_io.probe_stream(path) is None:
        pytest.skip("ffprobe reads the frames as a stream")
    assert audio_io.probe_stream(path)["container"] == "mp3"  # (what ffprobe makes of it)
    with pytest.raises(TagReadError):
        read_tags(str(path))


def test_mpeg_frames_of_another_name_behind_junk_are_as_long_as_they_play(tmp_path):
    """An MP3 behind 300 KB of junk, named .wav: only ffprobe reads it, and it guessed the
    length from the file's size (21.8 s for 3 s of sound); the player plays 3 s of it."""
    import numpy as np

    from segue_common import audio_io
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("libmp3lame"):
        pytest.skip("ffmpeg with libmp3lame makes this file")
    src = write_track(tmp_path, "src", fmt="wav", seconds=3.0)
    mp3 = _ffmpeg(tmp_path, "bare.mp3", "-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100",
                  "-id3v2_version", "0", "-write_xing", "0", src=src)
    junk = np.random.default_rng(0).integers(0, 255, 300_000, dtype=np.uint8).tobytes()   # no 0xff: no sync word
    path = tmp_path / "behind junk.wav"
    path.write_bytes(junk + mp3.read_bytes())
    probed = audio_io.probe_stream(path)
    if probed is None:
        pytest.skip("ffprobe does not find the frames behind the junk")
    assert probed["container"] == "mp3" and probed["duration"] > 10   # (what ffprobe makes of it)
    assert read_tags(str(path))["duration"] == pytest.approx(3.0, abs=0.1)


def test_an_mpeg_file_of_a_few_frames_is_listed(tmp_path):
    # Three frames of MPEG layer II are as few as mutagen doubts, and the player plays them.
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("mp2"):
        pytest.skip("ffmpeg with its MPEG layer II encoder makes this file")
    src = write_track(tmp_path, "src", fmt="wav", seconds=0.05)
    path = _ffmpeg(tmp_path, "short.mp3", "-c:a", "mp2", "-b:a", "64k", "-ar", "48000", "-f", "mp2", src=src)
    info = read_tags(str(path))
    assert info["codec"] == "mp2" and info["duration"] == pytest.approx(0.072, abs=0.001)


def _id3_tag(**frames) -> bytes:
    import io

    from mutagen import id3

    tag = id3.ID3()
    for frame, text in frames.items():
        tag.add(getattr(id3, frame)(encoding=3, text=[text]))
    out = io.BytesIO()
    tag.save(out, v2_version=3, padding=lambda info: 0)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["wav", "aiff"])
def test_a_wav_or_aiff_behind_an_id3_tag_is_listed_with_the_tags_of_it(tmp_path, fmt):
    # Some taggers write an ID3v2 tag in front of any file; the player's decoder passes over it.
    path = write_track(tmp_path, "tagged", fmt=fmt, seconds=2.0)
    path.write_bytes(_id3_tag(TIT2="In Front", TPE1="Tagger") + path.read_bytes())
    info = read_tags(str(path))
    assert (info["codec"], info.get("title"), info.get("artist")) == (fmt, "In Front", "Tagger")
    assert info["duration"] == pytest.approx(2.0, abs=0.001)


def test_a_flac_behind_an_id3_tag_is_listed_with_its_tags_and_its_own_comments_win(tmp_path):
    # Some rippers and taggers put an ID3v2 tag in front of a FLAC file, which the FLAC format
    # allows for: mutagen passes over it, and such a file was listed untitled, by its name.
    import mutagen

    path = write_track(tmp_path, "untagged", fmt="flac", seconds=2.0)
    path.write_bytes(_id3_tag(TIT2="In Front", TPE1="Tagger", TALB="Album", TRCK="3/9") + path.read_bytes())
    info = read_tags(str(path))
    assert (info["codec"], info.get("title"), info.get("artist"), info.get("album"), info.get("track_no")) == (
        "flac", "In Front", "Tagger", "Album", 3)
    assert info["duration"] == pytest.approx(2.0, abs=0.001)
    assert info["match_key"] == read_tags(str(_tagged_like(tmp_path, "Tagger", "In Front")))["match_key"]
    both = write_track(tmp_path, "both", fmt="flac", seconds=2.0)
    comments = mutagen.File(str(both))
    comments["title"], comments["artist"] = ["Own Title"], ["One", "Two"]
    comments.save()
    both.write_bytes(_id3_tag(TIT2="In Front", TPE1="Tagger", TALB="Album") + both.read_bytes())
    info = read_tags(str(both))
    assert (info.get("title"), info.get("artist"), info.get("album")) == ("Own Title", "One; Two", "Album")
    assert info["match_key"] == read_tags(str(_tagged_like(tmp_path, "One", "Own Title")))["match_key"]


def _tagged_like(tmp_path, artist: str, title: str):
    from tests.audiogen import write_tags

    path = write_track(tmp_path, f"like-{artist}", fmt="flac", seconds=0.5)
    write_tags(path, title=title, artist=artist)
    return path


def test_a_damaged_wav_behind_an_id3_tag_is_not_called_an_mp3(tmp_path):
    path = write_track(tmp_path, "cut", fmt="wav", seconds=2.0)
    path.write_bytes(_id3_tag(TIT2="Cut") + path.read_bytes()[:30])
    with pytest.raises(TagReadError) as got:
        read_tags(str(path))
    assert "MP3" not in str(got.value) and str(got.value).startswith("damaged ")


@pytest.mark.parametrize("subtype,rate", [("IMA_ADPCM", 44100), ("MS_ADPCM", 44100), ("GSM610", 8000)])
def test_a_compressed_wav_is_listed_at_the_length_it_plays(tmp_path, subtype, rate):
    # Each block holds hundreds of samples: counted as blocks, 3 s were listed as 0.0007 s.
    import soundfile as sf

    path = tmp_path / f"{subtype}.wav"
    sf.write(str(path), _tone(3.0, rate)[:, :1], rate, format="WAV", subtype=subtype)
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(3.0, abs=0.07)     # (up to a block of padding)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("wav", rate, 1)


def test_an_aifc_of_ima_adpcm_is_listed_at_the_length_it_plays(tmp_path):
    # Its header counts packets of 64 samples: 3 s were listed as 0.047 s.
    import soundfile as sf

    path = tmp_path / "ima.aifc"
    sf.write(str(path), _tone(3.0)[:, :1], 44100, format="AIFF", subtype="IMA_ADPCM")
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(3.0, abs=0.01)     # (up to a packet of padding)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("aiff", 44100, 1)


@pytest.mark.parametrize("fmt", ["wav", "aiff"])
def test_a_wav_or_aiff_cut_short_is_listed_at_the_length_it_plays(tmp_path, fmt):
    # An interrupted copy keeps the header of the whole file: the cut AIFF was listed at 3 s.
    from tests.audiogen import cut_to_half

    path = cut_to_half(write_track(tmp_path, "cut", fmt=fmt, seconds=3.0))
    assert read_tags(str(path))["duration"] == pytest.approx(1.5, abs=0.01)


@pytest.mark.parametrize("rate", [["-q:a", "4"], ["-b:a", "128k"]], ids=["vbr", "cbr"])
def test_an_mp3_without_a_xing_header_is_listed_at_the_length_it_plays(tmp_path, rate, monkeypatch):
    # Without a header that counts the frames, mutagen estimates the length from the file's
    # size at the first frame's bit rate: 10 s of near silence (a low bit rate) then 20 s of
    # noise at a variable bit rate were listed at 20 s of their 30. The frames at the start
    # tell the two apart, without a seek through the file (each a seek more on a first scan).
    import numpy as np
    import soundfile as sf

    from segue_common.mp3 import FrameIndex, Mp3Reader

    far = []
    measure = FrameIndex._mean_frame_bytes
    monkeypatch.setattr(FrameIndex, "_mean_frame_bytes", lambda self: far.append(self) or measure(self))

    noise = np.random.default_rng(3).uniform(-0.5, 0.5, (20 * 44100, 2))
    src = tmp_path / "src.wav"
    sf.write(str(src), np.concatenate([_tone(10.0) * 0.001, noise]), 44100)
    path = _ffmpeg(tmp_path, "vbr.mp3", "-c:a", "libmp3lame", *rate, "-write_xing", "0", src=src)
    with Mp3Reader(str(path)) as reader:
        plays = reader.frames / reader.samplerate
    assert plays == pytest.approx(30.0, abs=0.1)
    far.clear()
    assert read_tags(str(path))["duration"] == pytest.approx(plays, abs=0.01)
    assert not far


@pytest.mark.parametrize("fmt", ["ogg", "opus"])
def test_an_ogg_stream_captured_mid_way_is_listed_at_its_own_length(tmp_path, fmt):
    # Its granule positions start where the capture began (600 s in), not at 0.
    path = write_track(tmp_path, "capture", fmt=fmt, seconds=3.0, tags={"title": "On air"})
    start_ogg_late(path, 600 * FORMATS[fmt][2])
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(3.0, abs=0.05)
    assert info["title"] == "On air"


def test_a_flac_whose_header_leaves_its_length_out_is_listed_with_the_length_of_its_audio(tmp_path):
    # ffmpeg or flac encoding to a pipe write 0 ("unknown") as the count of samples; the
    # length is measured by decoding the file, also when it was cut short besides.
    from tests.audiogen import cut_to_half, forget_flac_length

    piped = forget_flac_length(write_track(tmp_path, "piped", seconds=3.0))
    assert read_tags(str(piped))["duration"] == pytest.approx(3.0, abs=0.002)
    cut = cut_to_half(forget_flac_length(write_track(tmp_path, "cut", seconds=3.0)))
    assert 1.3 < read_tags(str(cut))["duration"] <= 1.5


@pytest.mark.parametrize("kind", ["flac", "flac-seek-table", "mp3-vbr-xing", "mp3-cbr-info", "mp3-cbr-no-header"])
def test_a_file_cut_short_is_listed_at_the_length_it_plays(tmp_path, kind):
    # An interrupted download or copy keeps the header of the whole file: a FLAC's
    # STREAMINFO, an MP3's Xing/Info header. It was listed at the whole file's 8 s; it holds
    # about 4, which play. (An MP3 without such a header was listed by its size already.)
    import subprocess

    from player.audio.decoder import Decoder
    from segue_common.audio_io import ffmpeg_path
    from tests.audiogen import add_flac_seek_table, cut_to_half

    if kind in ("flac", "flac-seek-table", "mp3-vbr-xing"):    # (libsndfile writes a Xing header in its MP3s)
        path = write_track(tmp_path, "t", fmt="mp3" if kind.startswith("mp3") else "flac", seconds=8.0, tags=TAGS)
        if kind == "flac-seek-table":     # whose last point the cut leaves out
            add_flac_seek_table(path)
    else:
        if ffmpeg_path() is None:
            pytest.skip("ffmpeg makes these files")
        src = write_track(tmp_path, "src", fmt="wav", seconds=8.0)
        path = tmp_path / "t.mp3"
        header = ["-write_xing", "0"] if kind.endswith("no-header") else []
        subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(src), "-c:a", "libmp3lame", "-b:a", "192k",
                        *header, str(path)], check=True)
    assert read_tags(str(path))["duration"] == pytest.approx(8.0, abs=0.06)
    cut_to_half(path)
    dec = Decoder(str(path), out_rate=44100)
    plays = 0
    while len(block := dec.read(65536)):
        plays += len(block)
    dec.close()
    assert 3.5 < plays / 44100 < 4.5
    assert read_tags(str(path))["duration"] == pytest.approx(plays / 44100, abs=0.03)


def test_the_scan_reads_the_end_of_a_flac_file_only_where_its_seek_table_does_not_vouch_for_it(
        tmp_path, monkeypatch):
    # A seek table's last point lies within seconds of the end: bytes that reach it are a
    # whole file, or one cut within its last stretch (which the player finds on open).
    # Reading every FLAC file's end would be a seek more per file on a first scan.
    from segue_common import audio_io
    from tests.audiogen import add_flac_seek_table, cut_to_half

    looked = []
    real = audio_io.flac_frames_held
    monkeypatch.setattr(audio_io, "flac_frames_held",
                        lambda path, *a, **kw: looked.append(path) or real(path, *a, **kw))
    plain = write_track(tmp_path, "plain", fmt="flac", seconds=8.0)
    tabled = add_flac_seek_table(write_track(tmp_path, "tabled", fmt="flac", seconds=8.0))
    for path in (plain, tabled):
        assert read_tags(str(path))["duration"] == pytest.approx(8.0, abs=0.001)
    assert looked == [str(plain)]
    cut_to_half(tabled)
    assert read_tags(str(tabled))["duration"] < 4.5
    assert looked == [str(plain), str(tabled)]


def test_a_chained_ogg_is_listed_at_the_length_of_all_its_links(tmp_path):
    # mutagen measures the first of the files chained in one; the player plays them all
    from tests.audiogen import chain_oggs, tone

    path = chain_oggs(tmp_path / "chain.ogg", [(tone(2.0), 44100, "ogg"), (tone(3.0, sr=48000), 48000, "opus")])
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(5.0, abs=0.01)
    assert info["codec"] == "vorbis"


# -- text chunks: a WAV's RIFF INFO list, an AIFF's NAME and AUTH -----------------------------
def _info_list(*fields: tuple[bytes, bytes], pad: bool = True, kind: bytes = b"INFO") -> bytes:
    """A RIFF LIST chunk of ``kind`` holding ``fields`` ((id, value bytes) as written, with
    their pad byte after an odd length unless ``pad`` is False)."""
    body = kind
    for key, value in fields:
        body += key + struct.pack("<I", len(value)) + value + (b"\0" if len(value) % 2 and pad else b"")
    return b"LIST" + struct.pack("<I", len(body)) + body


def _wav_with(tmp_path, name: str, *chunks: bytes) -> Path:
    """An untagged WAV with ``chunks`` after its sound data, where Audacity and Windows put
    the INFO list (ffmpeg puts it before)."""
    path = write_track(tmp_path, name, fmt="wav", seconds=0.5)
    data = path.read_bytes() + b"".join(chunks)
    path.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    return path


def test_a_wav_titled_by_ffmpeg_in_its_info_list_is_read(tmp_path):
    """ffmpeg (and Explorer, foobar2000, Audacity) write a WAV's tags as a RIFF INFO list,
    which mutagen does not read: such files were listed by their file names."""
    path = _ffmpeg(tmp_path, "song.wav", "-metadata", "title=Jóga ✓", "-metadata", "artist=Björk",
                   "-metadata", "album=Homogenic", "-metadata", "date=1997-09-22", "-metadata", "track=3",
                   "-metadata", "genre=Electronic")
    assert b"LIST" in path.read_bytes()[:512]
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"]) == ("Jóga ✓", "Björk", "Homogenic")
    assert (info["year"], info["track_no"], info["genre"]) == (1997, 3, "Electronic")
    assert info["match_key"] == "bjork\x1fjoga"
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


def test_an_rf64_wav_titled_by_ffmpeg_in_its_info_list_is_read(tmp_path):
    path = _ffmpeg(tmp_path, "long.wav", "-rf64", "always", "-metadata", "title=Broadcast",
                   "-metadata", "artist=Recorder")
    assert path.read_bytes()[:4] == b"RF64"
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("Broadcast", "Recorder")
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


def test_an_info_list_after_the_sound_of_an_rf64_wav_is_found(tmp_path):
    """An RF64 file's data chunk says 0xFFFFFFFF bytes; its real size, in the ds64 chunk, says
    where the INFO list after it starts."""
    import soundfile as sf

    path = tmp_path / "broadcast.wav"
    sf.write(str(path), np.zeros((11025, 1)), 22050, format="RF64", subtype="PCM_16")
    path.write_bytes(path.read_bytes() + _info_list((b"INAM", b"After the sound"), (b"IART", b"Recorder")))
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("After the sound", "Recorder")
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("fields, pad, expected", [
    # UTF-8, as ffmpeg and tools of this century write it; an odd length, with its pad byte
    ([(b"INAM", "Motörhead ♠".encode()), (b"IART", b"Lemmy")], True, ("Motörhead ♠", "Lemmy")),
    # Windows-1252, as Explorer and older rippers wrote it (’ is 0x92, ö 0xF6)
    ([(b"INAM", "Don’t Stop".encode("cp1252")), (b"IART", "Motörhead".encode("cp1252"))], True,
     ("Don’t Stop", "Motörhead")),
    # odd lengths whose pad byte the writer left out
    ([(b"INAM", b"Odd"), (b"IART", b"Three"), (b"IPRD", b"Album")], False, ("Odd", "Three")),
    # NULs as terminator and padding
    ([(b"INAM", b"Padded\0\0\0\0"), (b"IART", b"Nul\0")], True, ("Padded", "Nul")),
])
def test_info_text_is_read_in_the_encoding_it_was_written_in(tmp_path, fields, pad, expected):
    path = _wav_with(tmp_path, "song", _info_list(*fields, (b"IPRD", b"Album"), pad=pad))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"]) == (*expected, "Album")


# (the data's size, 4 bytes a frame, ends in a byte that is no letter, and in "0")
@pytest.mark.parametrize("frames", [33075, 0x1000C])
def test_a_wav_whose_info_list_before_its_sound_leaves_out_pad_bytes_is_listed_at_its_length(tmp_path, frames):
    """A list of odd size before the sound data whose writer left out its pad byte: the player
    plays such a file (see the decoder's tests); it was listed as "no audio in file"."""
    path = wav_without_pad_bytes(tmp_path / "odd.wav", np.zeros((frames, 2)), 22050)
    info = read_tags(str(path))
    assert info["title"] == "Odd"
    assert info["duration"] == pytest.approx(frames / 22050)
    assert (info["sample_rate"], info["channels"]) == (22050, 2)


@pytest.mark.skipif(os.name == "nt", reason="needs a sparse file of 4 GiB")
@pytest.mark.parametrize("size", ["wrapped", "max", "zero"])
def test_a_wav_longer_than_its_32_bit_header_can_say_is_listed_at_its_length(sparse_dir, size):
    """The header of a WAV of more than 4 GiB from a writer that does not know RF64 keeps the
    lowest 32 bits of its data's size (listed at a few seconds), or says 0xFFFFFFFF, or 0 where
    the recorder stopped before writing it."""
    path = wav_over_4gib(sparse_dir / "long.wav", np.zeros((22050, 2)), 44100, size=size)
    info = read_tags(str(path))
    assert info["duration"] == pytest.approx(((1 << 30) + 22050) / 44100)


def test_a_damaged_info_list_gives_what_can_be_read(tmp_path):
    """A LIST of another kind (cue labels) is passed over; an INFO list whose last value runs
    past the end of the file (an interrupted copy) gives that value as far as it goes."""
    labels = _info_list((b"labl", b"\x01\0\0\0Cue one"), kind=b"adtl")
    info_list = _info_list((b"IART", b"Artist"), (b"INAM", b"A title cut short" * 10))
    path = _wav_with(tmp_path, "cut", labels, info_list[:-100])
    info = read_tags(str(path))
    assert info["artist"] == "Artist"
    assert info["title"] == ("A title cut short" * 10)[:170 - 100].strip()
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("chunk", [
    b"LIST" + struct.pack("<I", 0xFFFFFFF0) + b"INFO" + b"INAM",    # sizes past the end of the file
    _info_list((b"INAM", b"\xff" * 5000)),                           # 5000 bytes of no text
    b"LIST\x04\0\0\0INFO",                                           # empty
    b"LI",                                                           # cut inside its header
])
def test_a_broken_info_list_costs_nothing_but_itself(tmp_path, chunk):
    info = read_tags(str(_wav_with(tmp_path, "odd", _info_list((b"IART", b"Before")), chunk)))
    assert info["codec"] == "wav" and info["duration"] == pytest.approx(0.5, abs=0.01)
    assert info["artist"] == "Before"
    assert info.get("title") is None or len(info["title"]) <= 1000


def test_a_long_utf8_info_value_is_kept_as_utf8_where_it_is_cut_mid_character(tmp_path):
    title = "a" + "é" * 3000                # 6001 bytes: the 4000 kept end inside an é
    info = read_tags(str(_wav_with(tmp_path, "long", _info_list((b"INAM", title.encode())))))
    assert info["title"] == title[:1000]


def test_an_id3_chunk_wins_and_the_info_list_fills_what_it_lacks(tmp_path):
    path = write_track(tmp_path, "both", fmt="wav", seconds=0.5, tags={"title": "ID3 title"})
    data = path.read_bytes() + _info_list((b"INAM", b"INFO title"), (b"IART", b"INFO artist"))
    path.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("ID3 title", "INFO artist")


def test_an_aiff_titled_in_its_name_and_auth_chunks_is_read(tmp_path):
    """ffmpeg writes an AIFF's title and author as NAME and AUTH chunks, not as an ID3 chunk."""
    path = _ffmpeg(tmp_path, "song.aiff", "-metadata", "title=Tïtle ✓", "-metadata", "author=Author")
    assert path.read_bytes()[12:16] == b"NAME"
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("Tïtle ✓", "Author")


def test_an_aiff_text_chunk_of_classic_mac_os_is_read_as_mac_roman(tmp_path):
    path = write_track(tmp_path, "old", fmt="aiff", seconds=0.5)
    name = "Café".encode("mac_roman")       # é is 0x8E in Mac OS Roman (Ž in Windows-1252)
    data = path.read_bytes()
    data = data[:12] + b"NAME" + struct.pack(">I", len(name)) + name + b"AUTH" + struct.pack(">I", 3) + b"Who\0" \
        + data[12:]
    path.write_bytes(data[:4] + struct.pack(">I", len(data) - 8) + data[8:])
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("Café", "Who")
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("layout, channels", [("5.1", 6), ("4.1", 5), ("5.0", 5), ("mono", 1), ("stereo", 2),
                                              ("2.1", 3), ("quad", 4)])
def test_an_ac3_file_is_listed_with_the_channels_it_holds(tmp_path, layout, channels):
    """mutagen takes a centre or surround mix level's bit for the LFE bit (and in mono a bit
    of what follows): a 5.1 file was listed as 5 channels, a mono one as 2."""
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("ac3"):
        pytest.skip("ffmpeg with its AC-3 encoder makes these files")
    path = _ffmpeg(tmp_path, f"{layout}.ac3", "-af", f"aformat=channel_layouts={layout}", "-c:a", "ac3")
    info = read_tags(str(path))
    assert (info["codec"], info["channels"]) == ("ac3", channels)


@pytest.mark.parametrize("channels", [1, 2])
def test_an_aac_m4a_is_listed_with_the_channels_it_plays(tmp_path, channels):
    """mutagen counts a mono AAC configuration as unknown (it may hide parametric stereo) and
    takes the sample entry's count, which MP4 fixes at 2: a mono m4a was listed as stereo."""
    path = _ffmpeg(tmp_path, f"{channels}.m4a", "-ac", str(channels), "-c:a", "aac")
    assert read_tags(str(path))["channels"] == channels


def _asc(*fields) -> bytes:
    """An AAC AudioSpecificConfig from (value, bits) fields, padded to whole bytes."""
    bits = "".join(format(value, f"0{n}b") for value, n in fields)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


_SYNC_NO_SBR = ((0x2B7, 11), (5, 5), (0, 1))    # "no SBR", as ffmpeg's own encoder says after LC


# A configuration of one channel is mono only where it rules parametric stereo out: ffmpeg finds
# SBR signalled in the stream itself (implicit HE-AAC) in the first frame and decodes it as
# stereo, as it does where SBR is signalled and nothing is said of parametric stereo.
@pytest.mark.parametrize("fields, mono", [
    (((2, 5), (4, 4), (1, 4), (0, 3)) + _SYNC_NO_SBR, True),      # LC at 44.1 kHz, SBR said absent
    (((2, 5), (7, 4), (1, 4), (0, 3)) + _SYNC_NO_SBR, True),      # LC at 22.05 kHz, SBR said absent
    (((2, 5), (4, 4), (1, 4), (0, 3)), True),                     # LC at 44.1 kHz: no SBR at that core rate
    (((2, 5), (3, 4), (1, 4), (0, 3)), True),                     # ... nor at 48 kHz
    (((2, 5), (7, 4), (1, 4), (0, 3)), False),                    # LC at 22.05 kHz: may be implicit HE-AAC
    (((2, 5), (6, 4), (1, 4), (0, 3)), False),                    # ... 24 kHz
    (((5, 5), (7, 4), (1, 4), (4, 4), (2, 5), (0, 3)), False),    # HE-AAC, parametric stereo not ruled out
    (((29, 5), (7, 4), (1, 4), (4, 4), (2, 5), (0, 3)), False),   # HE-AAC v2
    (((2, 5), (7, 4), (1, 4), (0, 3), (0x2B7, 11), (5, 5), (1, 1), (4, 4), (0x548, 11), (0, 1)), True),  # PS absent
    (((2, 5), (4, 4), (2, 4), (0, 3)), False),                    # stereo
])
def test_a_mono_aac_configuration_is_mono_only_where_it_cannot_hide_parametric_stereo(fields, mono):
    from io import BytesIO

    from mutagen.mp4._as_entry import DecoderSpecificInfo

    from player.library.tags import _aac_config_mono

    asc = _asc(*fields)
    assert _aac_config_mono(DecoderSpecificInfo(BytesIO(asc), len(asc))) is mono


def test_a_mono_m4a_whose_configuration_may_be_implicit_he_aac_is_listed_as_stereo(tmp_path):
    """ffmpeg's LC encoder says "no SBR" after the configuration; a file that says nothing of
    it at a core rate SBR runs at (22.05 kHz) may be HE-AAC, which ffmpeg decodes as stereo."""
    path = _ffmpeg(tmp_path, "mono.m4a", "-ac", "1", "-ar", "22050", "-c:a", "aac")
    data = path.read_bytes()
    said = _asc((2, 5), (7, 4), (1, 4), (0, 3), *_SYNC_NO_SBR)
    assert data.count(said) == 1 and read_tags(str(path))["channels"] == 1
    path.write_bytes(data.replace(said, said[:2] + bytes(len(said) - 2)))   # (the same length: nothing said)
    assert read_tags(str(path))["channels"] == 2


@pytest.mark.parametrize("seconds, channels", [(6.0, 2), (1.2345, 1), (4096 * 20 / 44100, 2)])
def test_alac_in_a_caf_is_listed_at_the_length_it_plays(tmp_path, seconds, channels):
    """ffmpeg writes every packet's 4096 samples as the CAF header's count, and ffprobe's length
    is that: 6 s of audio were listed at 6.04 s. The last packet holds fewer (a whole number of
    packets, the last one included, plays in full)."""
    from segue_common import audio_io
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("alac"):
        pytest.skip("ffmpeg with its ALAC encoder makes these files")
    import soundfile as sf

    from tests.audiogen import tone

    src = tmp_path / "src.wav"
    sf.write(str(src), tone(seconds, channels=channels), 44100, subtype="PCM_16")
    path = _ffmpeg(tmp_path, "apple.caf", "-c:a", "alac", "-metadata", "title=Apple", src=src)
    with audio_io.open_fallback(path) as stream:
        plays = sum(len(block) for block in stream)
    info = read_tags(str(path))
    assert plays == round(seconds * 44100)
    assert info["duration"] == pytest.approx(plays / 44100, abs=1e-6)
    assert (info["codec"], info["channels"], info["title"]) == ("alac", channels, "Apple")


def test_a_tta_file_tagged_by_ffmpeg_is_listed_with_its_tags_and_channels(tmp_path):
    """ffmpeg writes a TTA file's tags as an APEv2 tag at its end, which mutagen's TTA reader
    does not read (it reads ID3 only): the file was listed untagged, and without its channels."""
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("tta"):
        pytest.skip("ffmpeg with its TTA encoder makes these files")
    path = _ffmpeg(tmp_path, "song.tta", "-c:a", "tta", "-metadata", "title=True", "-metadata", "artist=Audio",
                   "-metadata", "album=Lossless", "-metadata", "track=4/9", "-metadata", "date=2008")
    assert path.read_bytes()[:4] == b"TTA1" and b"APETAGEX" in path.read_bytes()[-32:]
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"], info["track_no"], info["year"]) \
        == ("True", "Audio", "Lossless", 4, 2008)
    assert (info["codec"], info["channels"], info["sample_rate"]) == ("trueaudio", 2, 44100)
    assert info["duration"] == pytest.approx(0.5, abs=0.01)


def test_an_id3_tag_in_front_of_a_tta_file_wins_and_its_apev2_tag_fills_what_it_lacks(tmp_path):
    from mutagen.id3 import ID3, TIT2

    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("tta"):
        pytest.skip("ffmpeg with its TTA encoder makes these files")
    path = _ffmpeg(tmp_path, "both.tta", "-c:a", "tta", "-metadata", "title=APE title",
                   "-metadata", "artist=APE artist")
    id3 = ID3()
    id3.add(TIT2(encoding=3, text="ID3 title"))
    id3.save(str(path))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["channels"]) == ("ID3 title", "APE artist", 2)


def test_a_raw_ac3_stream_tagged_with_apev2_is_listed_with_its_tags(tmp_path):
    """ffmpeg writes no tags into a raw AC-3 stream (nor into ADTS AAC or MP2); a tagger puts
    an APEv2 tag at its end (or an ID3v2 tag in front, which was read already). mutagen's
    AC-3 reader reads neither, and ffprobe not the APEv2 tag: it was listed untagged."""
    from mutagen.apev2 import APEv2

    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("ac3"):
        pytest.skip("ffmpeg with its AC-3 encoder makes these files")
    path = _ffmpeg(tmp_path, "film.ac3", "-c:a", "ac3", "-ac", "6", "-metadata", "title=Lost")
    assert b"Lost" not in path.read_bytes()
    ape = APEv2()
    ape.update({"Title": "Surround", "Artist": "Dolby", "Track": "2"})
    ape.save(str(path))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["track_no"]) == ("Surround", "Dolby", 2)
    assert (info["codec"], info["channels"]) == ("ac3", 6)


@pytest.mark.parametrize("name, encoder, listed_as", [("song.mp3", "libmp3lame", "mp3"), ("layer2.mp2", "mp2", "mp2")])
def test_an_mpeg_file_tagged_with_apev2_is_listed_with_its_tags_and_replaygain(tmp_path, name, encoder, listed_as):
    """MP3Gain writes its ReplayGain values as an APEv2 tag at an MP3's end, and some taggers
    write the whole tag there; mutagen's MP3 reader reads only ID3. Where both tags have a
    field, the ID3 tag's is kept."""
    from mutagen.apev2 import APEv2
    from mutagen.id3 import ID3, TIT2

    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes(encoder):
        pytest.skip(f"ffmpeg with its {encoder} encoder makes these files")
    path = _ffmpeg(tmp_path, name, "-c:a", encoder, "-map_metadata", "-1")
    ape = APEv2()
    ape.update({"Title": "APE title", "Artist": "APE artist", "Track": "3",
                "REPLAYGAIN_TRACK_GAIN": "-6.20 dB", "REPLAYGAIN_TRACK_PEAK": "0.912"})
    ape.save(str(path))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["track_no"]) == ("APE title", "APE artist", 3)
    assert (info["rg_track_gain"], info["rg_track_peak"]) == pytest.approx((-6.2, 0.912))
    assert info["duration"] == pytest.approx(0.5, abs=0.06)
    id3 = ID3()
    id3.add(TIT2(encoding=3, text="ID3 title"))
    id3.save(str(path))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["codec"]) == ("ID3 title", "APE artist", listed_as)


@pytest.mark.parametrize("name, codec, listed_as", [("adts.aac", "aac", "aac"), ("film.ac3", "ac3", "ac3"),
                                                    ("layer2.mp2", "mp2", "mp2")])
def test_a_raw_stream_with_an_id3_tag_in_front_is_listed_with_its_tags_and_plays(tmp_path, name, codec,
                                                                                   listed_as):
    """ffmpeg writes no tags into these; taggers put ID3v2 in front, as on an MP3."""
    from mutagen.id3 import ID3, TIT2, TPE1

    from segue_common import audio_io
    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes(codec):
        pytest.skip(f"ffmpeg with its {codec} encoder makes these files")
    path = _ffmpeg(tmp_path, name, "-c:a", codec, "-metadata", "title=Lost")
    assert b"Lost" not in path.read_bytes()
    id3 = ID3()
    id3.add(TIT2(encoding=3, text="Raw"))
    id3.add(TPE1(encoding=3, text="Stream"))
    id3.save(str(path))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["codec"], info["channels"]) == ("Raw", "Stream", listed_as, 2)
    assert info["duration"] == pytest.approx(0.5, abs=0.06)
    with audio_io.open_fallback(path) as stream:
        assert sum(len(block) for block in stream) == pytest.approx(0.5 * 44100, abs=0.06 * 44100)


def test_a_51_ac3_stream_with_an_id3_tag_in_front_is_listed_with_six_channels(tmp_path):
    """mutagen takes such a file for an MP3 it cannot sync to, and the stream is read as ffmpeg
    opens it: six channels, the tag in front read (a guard: this held before)."""
    from mutagen.id3 import ID3, TIT2

    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("ac3"):
        pytest.skip("ffmpeg with its AC-3 encoder makes these files")
    path = _ffmpeg(tmp_path, "film.ac3", "-af", "aformat=channel_layouts=5.1", "-c:a", "ac3")
    id3 = ID3()
    id3.add(TIT2(encoding=3, text="Surround"))
    id3.save(str(path))
    assert path.read_bytes()[:3] == b"ID3"
    info = read_tags(str(path))
    assert (info["title"], info["codec"], info["channels"]) == ("Surround", "ac3", 6)


@pytest.mark.parametrize("ext", ["mp3", "flac", "m4a", "ogg", "wav"])
def test_an_empty_file_says_it_is_empty(tmp_path, ext):
    # Each reader has its own words for it ("file said 4 bytes, read 0 bytes", "Header size < 8").
    path = tmp_path / f"song.{ext}"
    path.write_bytes(b"")
    with pytest.raises(TagReadError, match=r"empty file \(0 bytes\)"):
        read_tags(str(path))


def test_a_file_cut_short_in_its_id3_tag_says_so(tmp_path):
    # The first kilobytes of a download or copy still going on: mutagen stops at the end of
    # the file with an error of no words, listed as "damaged file: None".
    path = write_track(tmp_path, "song", fmt="mp3", seconds=1.0, tags={"title": "Song", "artist": "A"})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(TagReadError, match=r"^damaged ID3 tag: the file ends inside it, a copy or download"):
        read_tags(str(path))


def _into_first_audio_page(raw: bytes) -> int:
    """Where an Ogg file is cut 50 bytes into its first page that counts samples: its header
    pages whole, none of its audio."""
    at = 0
    while int.from_bytes(raw[at + 6:at + 14], "little") in (0, 2**64 - 1):
        at = raw.index(b"OggS", at + 4)
    return at + 50


def _flac_frames_start(raw: bytes) -> int:
    """Where a FLAC file's first frame begins: after its last metadata block."""
    at = 4
    while True:
        last, size = raw[at] & 0x80, int.from_bytes(raw[at + 1:at + 4], "big")
        at += 4 + size
        if last:
            return at


@pytest.mark.parametrize("fmt, name, cut", [("flac", "FLAC", 1000), ("flac", "FLAC", "headers"),
                                            ("flac", "FLAC", "first frame"), ("flac", "FLAC", "only frame"),
                                            ("ogg", "Ogg Vorbis", 1000),
                                            ("ogg", "Ogg Vorbis", "headers"), ("opus", "Opus", "headers"),
                                            ("wav", "WAV", 30), ("aiff", "AIFF", 30)])
def test_a_file_cut_short_says_so(tmp_path, fmt, name, cut):
    # Mutagen counts the bytes it was short of ("file said 34 bytes, read 2 bytes", "unable
    # to read full data"): words of its own reader that tell a listener nothing. Cut after
    # its header pages, an Ogg file's length is 0, and it was "no audio in file (length 0)";
    # a WAV or AIFF cut inside its header was "damaged file: InvalidChunk" or "damaged AIFF
    # file: error". A FLAC cut after its metadata, or inside its first frame, kept its
    # STREAMINFO's length: it was listed at 8 s, and playing it failed ("lost sync"). So was
    # a file of one frame (a short sound) cut anywhere in its audio: its one frame's header,
    # whole, was taken for the end of a whole file.
    seconds = 0.05 if cut == "only frame" else 8.0 if fmt == "flac" and isinstance(cut, str) else 1.0
    path = write_track(tmp_path, "song", fmt=fmt, seconds=seconds, tags={"title": "Song", "artist": "A"})
    raw = path.read_bytes()
    if cut == "headers":
        cut = _flac_frames_start(raw) if fmt == "flac" else _into_first_audio_page(raw)
    elif cut == "first frame":
        cut = _flac_frames_start(raw) + 300
    elif cut == "only frame":
        cut = (_flac_frames_start(raw) + len(raw)) // 2
    path.write_bytes(raw[:cut])
    with pytest.raises(TagReadError, match=rf"^damaged {name} file: it ends early, a copy or download"):
        read_tags(str(path))


def test_a_flac_cut_inside_its_last_frame_is_listed_as_long_as_it_plays(tmp_path):
    # Cut inside its last frame, the header of that frame whole: taken for a whole file, it
    # was listed at the whole file's length (0.28 s), where it plays to its frame before (0.19 s).
    import soundfile as sf

    from player.audio.decoder import Decoder

    path = tmp_path / "three.flac"
    wave = (0.3 * np.sin(np.arange(3 * 4096) / 10)).astype(np.float32)
    sf.write(str(path), np.stack([wave, wave], 1), 44100)
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) - 200])
    dec = Decoder(str(path), out_rate=44100)
    played = 0
    while len(block := dec.read(4096)):
        played += len(block)
    dec.close()
    assert played == 2 * 4096
    assert read_tags(str(path))["duration"] == pytest.approx(played / 44100)


def test_an_m4a_cut_short_before_its_tags_says_so_and_other_bytes_do_not(tmp_path):
    # ffmpeg writes the box mutagen reads after the audio: cut short, the file was "not a
    # MP4 file". A whole file without that box keeps saying so.
    path = _ffmpeg(tmp_path, "song.m4a", "-c:a", "aac", "-metadata", "title=Song")
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    with pytest.raises(TagReadError, match=r"^damaged MP4/M4A file: it ends early, a copy or download"):
        read_tags(str(path))
    path.write_bytes(b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00" + b"\x00\x00\x04\x08mdat" + bytes(1024))
    with pytest.raises(TagReadError) as raised:
        read_tags(str(path))
    assert "ends early" not in str(raised.value)


def _played_frames(path) -> tuple[int, int]:
    """The frames the player's decoder gives of ``path`` at its own rate, and that rate."""
    from mutagen import File

    from player.audio.decoder import Decoder

    rate = File(str(path)).info.sample_rate
    decoder = Decoder(str(path), out_rate=rate, channels=1)
    frames = 0
    try:
        while len(block := decoder.read(1 << 14)):
            frames += len(block)
    finally:
        decoder.close()
    return frames, rate


@pytest.mark.parametrize("name, args", [
    ("cbr.mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]),
    ("vbr.mp3", ["-c:a", "libmp3lame", "-q:a", "2"]),
    ("cbr-48k-mono.mp3", ["-c:a", "libmp3lame", "-b:a", "64k", "-ar", "48000", "-ac", "1"]),
    ("mpeg2-22k.mp3", ["-c:a", "libmp3lame", "-b:a", "48k", "-ar", "22050"]),
    ("aac.m4a", ["-c:a", "aac", "-b:a", "128k"]),
    ("aac-48k.m4a", ["-c:a", "aac", "-b:a", "96k", "-ar", "48000"]),
    ("aac-faststart.m4b", ["-c:a", "aac", "-movflags", "+faststart"]),
    ("alac.m4a", ["-c:a", "alac"]),
])
def test_mp3_and_m4a_are_listed_at_the_frames_they_play(tmp_path, name, args):
    # An MP3 plays without its encoder's delay and padding (its LAME tag gives them) and an
    # AAC track without its priming and past its edit list's end. They were listed with them:
    # mutagen takes them off only a tag that names LAME, and ffmpeg's names itself Lavc (a file
    # of 100,003 samples was listed at 101,376); an M4A was listed at its track's length, the
    # 1024 samples of priming in.
    import soundfile as sf

    src = tmp_path / "src.wav"
    sf.write(str(src), _tone(100003 / 44100), 44100)
    path = _ffmpeg(tmp_path, name, *args, src=src)
    frames, rate = _played_frames(path)
    assert frames == pytest.approx(100003 * rate / 44100, abs=0.03 * rate)     # (ms rounding, encoders)
    assert read_tags(str(path))["duration"] * rate == pytest.approx(frames, abs=0.5)


def test_an_m4a_giving_its_gapless_length_only_in_an_itunes_tag_is_listed_at_the_frames_it_plays(tmp_path):
    # iTunes gives an AAC file's length in samples in its iTunSMPB tag and writes no edit
    # list: it was listed 996 frames too long (priming and padding) and played 349 too long.
    import soundfile as sf

    from tests.audiogen import itunes_gapless_only

    src = tmp_path / "src.wav"
    sf.write(str(src), _tone(100003 / 44100), 44100)
    path = _ffmpeg(tmp_path, "itunes.m4a", "-c:a", "aac", "-b:a", "128k", src=src)
    itunes_gapless_only(path, 100003)
    frames, rate = _played_frames(path)
    assert frames == 100003
    assert read_tags(str(path))["duration"] * rate == pytest.approx(frames, abs=0.5)


@pytest.mark.parametrize("name, codec, lead, priming, samples", [
    ("itunes", "aac", 1088, 2112, 100003),    # iTunes' own priming: 2112 samples before the song
    ("none", "aac", 0, 0, 50001),             # ffmpeg drops no priming of 0 or of 16384 and more:
    ("huge", "aac", 0, 20000, 50001),         # the file plays whole
    ("alac", "alac", 0, 1024, 50001),         # nor any of ALAC
    ("longer", "aac", 0, 1024, 200006),       # a wrong tag: the file plays to its end
])
def test_an_m4a_whose_itunes_tag_the_player_does_not_follow_is_listed_at_the_frames_it_plays(
        tmp_path, name, codec, lead, priming, samples):
    # A length from the tag where the player plays more than it: the track was listed and
    # crossfaded up to a second and a half short of its end, or seconds past it.
    import numpy as np
    import soundfile as sf

    from tests.audiogen import itunes_gapless_only

    src = tmp_path / "src.wav"
    sf.write(str(src), np.concatenate([np.zeros((lead, 2), np.float32), _tone(100003 / 44100)]), 44100)
    args = ("-c:a", "alac") if codec == "alac" else ("-c:a", "aac", "-b:a", "128k")
    path = itunes_gapless_only(_ffmpeg(tmp_path, f"{name}.m4a", *args, src=src), samples, priming)
    frames, rate = _played_frames(path)
    if name == "itunes":
        assert frames == samples
    listed = read_tags(str(path))["duration"] * rate
    assert listed == pytest.approx(frames, abs=0.5 if name != "longer" else 1024)


def test_an_mp3_of_libmp3lame_itself_is_listed_at_the_frames_it_plays(tmp_path):
    from tests.audiogen import lame_available, lame_mp3

    if not lame_available():
        pytest.skip("no libmp3lame")
    pcm = (_tone(100003 / 44100) * 32767).astype(np.int16)
    for crc in (False, True):
        path = lame_mp3(tmp_path / f"lame-{crc}.mp3", pcm, 44100, crc=crc)
        frames, rate = _played_frames(path)
        assert read_tags(str(path))["duration"] * rate == pytest.approx(frames, abs=0.5)


def _latin1_frames(path: Path, version: int = 3, **frames) -> Path:
    """An ID3 tag whose frames declare Latin-1 but hold ``frames``' raw bytes, as old Windows
    rippers wrote names in their system's code page."""
    from mutagen import id3

    tags = id3.ID3()
    for name, raw in frames.items():
        tags.add(getattr(id3, name)(encoding=id3.Encoding.LATIN1, text=[raw.decode("latin-1")]))
    tags.save(str(path), v2_version=version)
    return path


def test_names_a_windows_ripper_wrote_in_its_code_page_are_read_as_it_meant_them(tmp_path):
    russian = _latin1_frames(write_track(tmp_path, "ru", fmt="mp3"), TIT2="Группа крови".encode("cp1251"),
                             TPE1="Кино".encode("cp1251"), TALB="Звезда по имени Солнце".encode("cp1251"))
    info = read_tags(str(russian))
    assert (info["title"], info["artist"], info["album"]) == ("Группа крови", "Кино", "Звезда по имени Солнце")
    assert info["match_key"] == "кино\x1fгруппа крови"
    japanese = _latin1_frames(write_track(tmp_path, "ja", fmt="mp3"), TIT2="ファーストラブ".encode("cp932"),
                              TPE1="宇多田ヒカル".encode("cp932"), TALB="Gacktの歌".encode("cp932"),
                              TCON="(17)J-Pop".encode("cp932"))
    info = read_tags(str(japanese))
    assert (info["title"], info["artist"], info["album"]) == ("ファーストラブ", "宇多田ヒカル", "Gacktの歌")
    assert info["genre"] == "Rock; J-Pop"
    # UTF-8 in a Latin-1 frame (many taggers today), and Windows-1252's quotes where Latin-1
    # has control codes
    other = _latin1_frames(write_track(tmp_path, "utf8", fmt="mp3"), TIT2="Björk’s Jóga".encode(),
                           TPE1="Don’t Stop".encode("cp1252"))
    info = read_tags(str(other))
    assert (info["title"], info["artist"]) == ("Björk’s Jóga", "Don’t Stop")


@pytest.mark.parametrize("fmt", ["flac", "ogg", "opus"])
def test_vorbis_comments_a_windows_tool_wrote_in_its_code_page_are_read_as_it_meant_them(tmp_path, fmt):
    # Vorbis comments are UTF-8; some old Windows tools wrote their system's code page, which
    # was listed as U+FFFD marks.
    from tests.audiogen import raw_comments

    path = raw_comments(write_track(tmp_path, "ru", fmt=fmt), title="Группа крови".encode("cp1251"),
                        artist="Кино".encode("cp1251"), album="Björk".encode("latin-1"),
                        genre="Рок".encode(), tracknumber=b"3")
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"], info["genre"], info["track_no"]) == (
        "Группа крови", "Кино", "Björk", "Рок", 3)
    assert info["match_key"] == "кино\x1fгруппа крови"
    assert info["duration"] == pytest.approx(1.0, abs=0.01)


def test_a_vorbis_comment_in_utf8_cut_short_in_a_character_is_not_read_as_a_code_page(tmp_path):
    # A tagger that cuts values to so many bytes can cut a character of UTF-8 in two; read
    # as a Windows code page, the whole value was listed garbled ("Ð“Ñ€ÑƒÐ¿Ð¿Ð° ÐºÑ€Ð¾Ð²Ð").
    from tests.audiogen import raw_comments

    path = raw_comments(write_track(tmp_path, "cut", fmt="flac"), title="Группа крови".encode()[:-1],
                        artist="Кино".encode("cp1251"), album="Björk".encode())
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"]) == ("Группа кров", "Кино", "Björk")


def test_an_id3v1_tag_in_a_windows_code_page_is_read_as_it_meant(tmp_path):
    path = write_track(tmp_path, "v1", fmt="mp3")
    with open(path, "ab") as f:
        f.write(b"TAG" + "Кукушка".encode("cp1251").ljust(30, b"\0") + "Кино".encode("cp1251").ljust(30, b" ")
                + b"Album".ljust(30, b"\0") + b"1990" + b"".ljust(28, b"\0") + b"\0\x05" + bytes([17]))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"], info["genre"]) == ("Кукушка", "Кино", "Album", "Rock")
    assert (info["year"], info["track_no"]) == (1990, 5)


def test_latin1_names_stay_as_they_are(tmp_path):
    # Accented letters of Western names sit beside plain ones; read in another code page they
    # would be nonsense ("Bjцrk", "M<kanji>lodie"), so they are never read as one.
    # Nor are words made of accented letters alone, read in Windows-1251 as Cyrillic without a
    # vowel ("ДЦЬ"), all capitals of three letters ("ЖШЕ") or one letter again ("ААА"), nor an
    # accented capital before a symbol whose bytes are also UTF-8 ("É»" for "ɻ").
    names = ["Björk", "Mötley Crüe", "Sigur Rós", "Mélodie éternelle", "Édith Piaf", "Ménage à trois", "Ó",
             "ÄÖÜ", "ÆØÅ", "ÀÀÀ", "ÉÉÉ", "Ä Ö Ü", "ÖÖÖÖ", "ßáß", "CAFÉ»", "Ò³"]
    for i, name in enumerate(names):
        path = _latin1_frames(write_track(tmp_path, f"w{i}", fmt="mp3"), TIT2=name.encode("latin-1"),
                              TPE1=name.encode("latin-1"))
        info = read_tags(str(path))
        assert (info["title"], info["artist"]) == (name, name)


def test_greek_in_a_latin1_frame_is_never_read_as_cyrillic(tmp_path):
    # Windows-1253's Greek letters sit where Windows-1251 has Cyrillic ones: read so, a Greek
    # name would turn into a Cyrillic nonsense word; as it cannot be told for sure, it is left
    # as the frame declares it. Russian beside it is still read as meant.
    names = ["Μάνος Χατζιδάκις", "Άννα Βίσση", "ΜΑΝΟΣ ΧΑΤΖΙΔΑΚΙΣ", "Ελευθερία Αρβανιτάκη"]
    for i, name in enumerate(names):
        raw = name.encode("cp1253")
        path = _latin1_frames(write_track(tmp_path, f"el{i}", fmt="mp3"), TIT2=raw, TPE1="Сплин".encode("cp1251"))
        info = read_tags(str(path))
        assert (info["title"], info["artist"]) == (raw.decode("latin-1"), "Сплин")


@pytest.mark.parametrize("year", ["c. 1975", "1975/2011", "1975 ", "05/01/1975"])
@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_the_year_of_an_id3v23_tag_written_with_more_than_its_digits_is_read(tmp_path, fmt, year):
    # (an ID3v2.3 TYER frame that is not four digits alone: an estimate, a reissue's two years)
    import mutagen
    from mutagen import id3

    audio = mutagen.File(str(write_track(tmp_path, "old", fmt=fmt)))
    audio.add_tags()
    audio.tags.add(id3.APIC(encoding=id3.Encoding.LATIN1, mime="image/jpeg", type=3, data=b"\xff\xd8" * 5000))
    audio.tags.add(id3.TYER(encoding=id3.Encoding.LATIN1, text=[year]))
    audio.tags.add(id3.TXXX(encoding=id3.Encoding.LATIN1, desc="note", text=["x" * 300]))
    audio.save(v2_version=3)
    assert read_tags(audio.filename)["year"] == 1975
    del audio.tags["TYER"]
    audio.save(v2_version=3)
    assert read_tags(audio.filename).get("year") is None


@pytest.mark.parametrize("version", [2, 3])
def test_the_year_after_other_frames_of_an_old_id3_tag_is_read(tmp_path, version):
    # (old iTunes wrote ID3v2.2: three-letter frames, three-byte sizes; a v2.3 tag's year
    # may come after its cover art)
    path = write_track(tmp_path, "itunes", fmt="mp3")
    if version == 2:
        named = ((b"TT2", b"\0Song"), (b"PIC", b"\0JPG\x03\0" + b"\xff" * 5000), (b"TYE", b"\0c. 1975"))
        frames = b"".join(name + len(body).to_bytes(3, "big") + body for name, body in named)
    else:
        named = ((b"TIT2", b"\0Song"), (b"PRIV", b"owner\0" + b"\xff" * 5000), (b"TYER", b"\0c. 1975"))
        frames = b"".join(name + len(body).to_bytes(4, "big") + b"\0\0" + body for name, body in named)
    frames += b"\0" * 100                                   # padding
    size = bytes((len(frames) >> shift) & 0x7F for shift in (21, 14, 7, 0))
    path.write_bytes(b"ID3" + bytes([version, 0, 0]) + size + frames + path.read_bytes())
    info = read_tags(str(path))
    assert (info["title"], info["year"]) == ("Song", 1975)


def test_a_vinyl_side_and_place_orders_the_side_as_a_disc_where_no_disc_is_tagged(tmp_path):
    from mutagen.flac import FLAC

    made = iter(range(100))

    def numbers(track, disc=None):
        path = write_track(tmp_path, f"t{next(made)}", fmt="flac")
        tags = FLAC(str(path))
        tags["tracknumber"] = [track]
        if disc:
            tags["discnumber"] = [disc]
        tags.save()
        info = read_tags(str(path))
        assert "_side" not in info
        return info.get("track_no"), info.get("disc_no")

    assert numbers("A1") == (1, 1) and numbers("b2") == (2, 2) and numbers("D 3/4") == (3, 4)
    assert numbers("B2", "1/2") == (2, 1)               # the disc tagged stays the disc
    assert numbers("3") == (3, None) and numbers("3/12") == (3, None) and numbers("Track 5") == (5, None)


def _append_cut_id3v1(path):
    # An ID3v1 tag of 30 Latin-1 bytes a field, as foobar2000 wrote it beside its APEv2 tag:
    # the title cut, the Cyrillic artist "????", an album, 1988, track 7, genre 43 (Punk).
    with open(path, "ab") as f:
        f.write(b"TAG" + b"A Title Far Longer Than Thirty" + b"????".ljust(30, b"\0") + b"Only in v1".ljust(30, b"\0")
                + b"1988" + b"".ljust(28, b"\0") + b"\0\x07" + bytes([43]))


def test_an_apev2_tag_beside_an_id3v1_tag_alone_wins_over_it(tmp_path):
    # foobar2000 tagged MP3s with APEv2 and ID3v1 for years: ID3v1 keeps 30 Latin-1 bytes a
    # field, so its title was cut short and its Cyrillic artist "????"
    from mutagen.apev2 import APEv2

    path = write_track(tmp_path, "foobar", fmt="mp3")
    ape = APEv2()
    ape["Title"], ape["Artist"], ape["Year"] = "A Title Far Longer Than Thirty Characters", "Кино", "1988"
    ape.save(str(path))
    _append_cut_id3v1(path)
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("A Title Far Longer Than Thirty Characters", "Кино")
    assert (info["album"], info["track_no"], info["genre"], info["year"]) == ("Only in v1", 7, "Punk", 1988)


def test_an_apev2_tag_wins_over_an_id3v1_tag_beside_an_id3v2_tag_too(tmp_path):
    # A player that later added a small ID3v2 tag (a genre, a rating) to a foobar2000 file:
    # the ID3v2 tag's fields win, then the APEv2 tag's whole names, and the ID3v1 tag's cut
    # ones only fill what both left empty.
    from mutagen import id3
    from mutagen.apev2 import APEv2

    path = write_track(tmp_path, "three", fmt="mp3")
    small = id3.ID3()
    small.add(id3.TCON(encoding=id3.Encoding.UTF8, text=["Jazz"]))
    small.save(str(path))
    ape = APEv2()
    ape["Title"], ape["Artist"], ape["Genre"] = "A Title Far Longer Than Thirty Characters", "Кино", "Rock"
    ape.save(str(path))
    _append_cut_id3v1(path)
    info = read_tags(str(path))
    assert (info["title"], info["artist"]) == ("A Title Far Longer Than Thirty Characters", "Кино")
    assert info["genre"] == "Jazz"
    assert (info["album"], info["track_no"], info["year"]) == ("Only in v1", 7, 1988)


def test_an_ogg_vorbis_file_of_no_samples_is_no_audio_not_a_song_of_milliseconds(tmp_path):
    # An Ogg file whose stream was closed before any sample went in (a recorder stopped at
    # once, an encoder given nothing): its pages are whole and marked as the end, and it plays
    # nothing. ffprobe, asked where mutagen and libsndfile found no length, gives one from its
    # start time, and it was listed as a 0.003 s track that never played.
    import soundfile as sf

    path = tmp_path / "empty.ogg"
    sf.write(path, np.zeros((0, 2), np.float32), 44100, format="OGG", subtype="VORBIS")
    with pytest.raises(TagReadError, match=r"^no audio in file"):
        read_tags(str(path))


def test_utf8_cut_short_in_a_latin1_id3_frame_or_an_id3v1_tag_is_read_as_utf8(tmp_path):
    # An ID3v1 tag keeps 30 bytes a field, and some taggers cut a frame to so many bytes: UTF-8
    # cut inside its last character was read in a code page whole, "Ð“Ñ€ÑƒÐ¿Ð¿Ð°" for "Группа",
    # where a Vorbis comment cut so was already read as the UTF-8 up to the cut.
    title, artist = "Группа крови", "夜に駆ける"
    framed = _latin1_frames(write_track(tmp_path, "v2", fmt="mp3"), TIT2=title.encode()[:-1],
                            TPE1=artist.encode()[:-2])
    info = read_tags(str(framed))
    assert (info["title"], info["artist"]) == ("Группа кров", "夜に駆け")

    v1 = write_track(tmp_path, "v1", fmt="mp3")
    field = "Звезда по имени Солнце".encode()[:30]          # (cut inside "С")
    with open(v1, "ab") as f:
        f.write(b"TAG" + field + b"Kino".ljust(30, b"\0") + b"\0" * 30 + b"1988" + b"\0" * 30 + b"\xff")
    info = read_tags(str(v1))
    assert (info["title"], info["artist"], info["year"]) == ("Звезда по имени", "Kino", 1988)


def test_latin1_names_ending_in_a_byte_that_begins_utf8_are_not_read_as_cut_utf8(tmp_path):
    # Only UTF-8 whole up to a cut in its last character is read as UTF-8: Latin-1 text that
    # ends in a byte beginning a UTF-8 character ("Ã", "Â"), with other accents before it or
    # none, is Latin-1, and keeps every letter.
    names = {"TIT2": "Café Ã", "TPE1": "Mañana Â", "TALB": "Â"}
    framed = _latin1_frames(write_track(tmp_path, "latin1", fmt="mp3"),
                            **{frame: name.encode("latin-1") for frame, name in names.items()})
    info = read_tags(str(framed))
    assert (info["title"], info["artist"], info["album"]) == ("Café Ã", "Mañana Â", "Â")

    v1 = write_track(tmp_path, "v1", fmt="mp3")
    with open(v1, "ab") as f:
        f.write(b"TAG" + "Déjà vu Ã".encode("latin-1").ljust(30, b"\0") + "Â".encode("latin-1").ljust(30, b"\0")
                + b"\0" * 30 + b"1988" + b"\0" * 30 + b"\xff")
    info = read_tags(str(v1))
    assert (info["title"], info["artist"]) == ("Déjà vu Ã", "Â")


def test_replaygain_an_mp3_keeps_only_in_rva2_frames_is_read(tmp_path):
    # Quod Libet, and taggers following the ID3v2.4 standard, write ReplayGain as RVA2 frames
    # ("track", "album"; the master volume's gain in dB and peak) and no TXXX frames: such an
    # MP3 was played at full level beside the quieter tracks around it. TXXX frames win where
    # both are written (the words most players read and write again).
    from mutagen import id3

    path = write_track(tmp_path, "rva2", fmt="mp3")
    tags = id3.ID3()
    tags.add(id3.RVA2(desc="track", channel=1, gain=-7.5, peak=0.875))
    tags.add(id3.RVA2(desc="album", channel=1, gain=-6.25, peak=0.96875))
    tags.add(id3.RVA2(desc="normalize", channel=1, gain=3.0, peak=0.5))   # (another tool's: not ReplayGain)
    tags.save(str(path))
    info = read_tags(str(path))
    assert (info["rg_track_gain"], info["rg_track_peak"]) == (pytest.approx(-7.5), pytest.approx(0.875, abs=1e-4))
    assert (info["rg_album_gain"], info["rg_album_peak"]) == (pytest.approx(-6.25), pytest.approx(0.96875, abs=1e-4))

    tags.add(id3.TXXX(encoding=3, desc="replaygain_track_gain", text=["-8.00 dB"]))
    tags.save(str(path))
    assert read_tags(str(path))["rg_track_gain"] == pytest.approx(-8.0)


def _id3v1(title: bytes, artist: bytes, album: bytes = b"", year: bytes = b"", track: int = 0) -> bytes:
    return (b"TAG" + title.ljust(30, b"\0") + artist.ljust(30, b"\0") + album.ljust(30, b"\0") + year.ljust(4, b"\0")
            + b"\0" * 28 + bytes([0, track]) + b"\xff")


def test_a_flac_tagged_only_by_an_id3v1_tag_at_its_end_is_listed_with_it(tmp_path):
    # Old rippers and taggers put an ID3v1 tag at the end of a FLAC (as of an MP3), and nothing
    # else: mutagen's FLAC reader passes over it, and the album was listed as untitled files.
    # Only a FLAC whose comments give no title or artist is looked at there: a tagged one costs
    # no read of its end.
    import soundfile as sf

    path = write_track(tmp_path, "old", fmt="flac", seconds=1.0)
    with open(path, "ab") as f:
        f.write(_id3v1(b"Kukushka", "Кино".encode("cp1251"), b"Chorny Albom", b"1990", 7))
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"], info["year"], info["track_no"]) \
        == ("Kukushka", "Кино", "Chorny Albom", 1990, 7)
    assert info["duration"] == pytest.approx(1.0, abs=0.01)
    with sf.SoundFile(path) as f:                       # (it plays as it did)
        assert f.frames == round(info["duration"] * f.samplerate)

    tagged = write_track(tmp_path, "tagged", fmt="flac", tags={"title": "Own", "artist": "Comments"})
    with open(tagged, "ab") as f:
        f.write(_id3v1(b"Other", b"Tag", b"Album"))
    info = read_tags(str(tagged))
    assert (info["title"], info["artist"], info.get("album")) == ("Own", "Comments", None)


def test_the_3gpp_tags_ffmpeg_and_phones_write_into_a_3ga_are_read(tmp_path):
    # A 3GPP file (.3ga, .3gp: a phone's recorder, ffmpeg's 3gp muxer) keeps its tags in 3GPP's
    # own boxes (titl, perf, albm, gnre, yrrc), which neither mutagen nor this ffprobe reads:
    # such a recording was listed untitled.
    path = _ffmpeg(tmp_path, "memo.3ga", "-c:a", "aac", "-metadata", "title=Встреча", "-metadata",
                   "artist=Dictaphone", "-metadata", "album=Memos", "-metadata", "genre=Speech",
                   "-metadata", "date=2021", "-f", "3gp")
    info = read_tags(str(path))
    assert (info["title"], info["artist"], info["album"], info["genre"], info["year"]) \
        == ("Встреча", "Dictaphone", "Memos", "Speech", 2021)
    assert info["duration"] == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("subtype", ["IMA_ADPCM", "MS_ADPCM", "GSM610"])
@pytest.mark.parametrize("cut", [0, 1000])      # whole blocks, or ending inside the last one
def test_an_adpcm_wav_whose_data_size_was_never_written_is_listed_at_what_plays(tmp_path, subtype, cut):
    """A recorder writing ADPCM or GSM killed before it went back to write the data size
    leaves it 0 (and its fact chunk's count as it guessed it): ffmpeg plays the blocks to the
    file's end, and the library listed IMA ADPCM at half of that (its fact chunk read so), so
    the seek bar and the crossfade ran out a second early."""
    import soundfile as sf

    from player.audio.decoder import Decoder
    from segue_common.audio_io import ffmpeg_complete

    if ffmpeg_complete() is None:
        pytest.skip("ffmpeg plays a WAV of unsized compressed data; none here")
    channels = 1 if subtype == "GSM610" else 2
    t = np.arange(2 * 44100) / 44100
    sf.write(tmp_path / "rec.wav", np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * channels, 1), 44100,
             subtype=subtype)
    data = bytearray((tmp_path / "rec.wav").read_bytes())
    at = data.index(b"data")
    data[at + 4:at + 8] = bytes(4)      # the data size never written
    data[4:8] = bytes(4)                # nor the RIFF size
    path = tmp_path / "unsized.wav"
    path.write_bytes(bytes(data[:len(data) - (cut if subtype != "GSM610" else cut // 40)]))
    dec = Decoder(str(path), out_rate=44100)
    try:
        played = 0
        while len(block := dec.read(8192)):
            played += len(block)
    finally:
        dec.close()
    assert played > 1.9 * 44100
    assert abs(read_tags(str(path))["duration"] * 44100 - played) <= 1


@pytest.mark.parametrize("subtype", ["IMA_ADPCM", "MS_ADPCM", "GSM610"])
def test_an_adpcm_wav_killed_before_its_first_block_is_listed_as_no_audio(tmp_path, subtype):
    """A recorder killed before it wrote a first whole block header (its data size never
    written) leaves no sample to play, and the decoder refuses it so; the scan listed it at
    ffprobe's guess from the bytes (a few milliseconds), a song that would never play."""
    import soundfile as sf

    from player.audio.decoder import DecodeError, Decoder
    from segue_common.audio_io import ffmpeg_complete

    if ffmpeg_complete() is None:
        pytest.skip("ffmpeg reads a WAV of unsized compressed data; none here")
    t = np.arange(44100) / 44100
    sf.write(tmp_path / "rec.wav", (0.3 * np.sin(2 * np.pi * 440 * t))[:, None], 44100, subtype=subtype)
    data = bytearray((tmp_path / "rec.wav").read_bytes())
    at = data.index(b"data")
    data[at + 4:at + 8] = data[4:8] = bytes(4)     # the sizes never written
    path = tmp_path / "killed.wav"
    path.write_bytes(bytes(data[:at + 8 + 3]))      # 3 bytes of its first block
    with pytest.raises(TagReadError, match=r"^no audio in file \(length 0\)$"):
        read_tags(str(path))
    with pytest.raises(DecodeError, match="no audio in file"):
        Decoder(str(path), out_rate=44100)


def _rated(tmp_path, name: str, fmt: str, **written) -> Path:
    """A tone whose tags hold a rating as the players that write ``written`` write it."""
    from mutagen import File
    from mutagen.id3 import ID3, POPM, TXXX

    path = write_track(tmp_path, name, fmt=fmt, tags={"title": name, "artist": "Someone"})
    if fmt == "mp3":
        tags = ID3(str(path))
        for email, rating in written.get("popm", ()):
            tags.add(POPM(email=email, rating=rating, count=0))
        for desc, text in written.get("txxx", ()):
            tags.add(TXXX(encoding=3, desc=desc, text=[text]))
        tags.save(str(path))
    else:
        audio = File(str(path))
        for key, value in written.items():
            audio[key] = [value]
        audio.save()
    return path


@pytest.mark.parametrize("fmt, written, stars", [
    # Windows Media Player, MusicBee and foobar2000 write one to five stars as 1, 64, 128, 196, 255
    ("mp3", {"popm": [("Windows Media Player 9 Series", 255)]}, 5),
    ("mp3", {"popm": [("MusicBee", 196)]}, 4),
    ("mp3", {"popm": [("Windows Media Player 9 Series", 128)]}, 3),
    ("mp3", {"popm": [("", 64)]}, 2),
    ("mp3", {"popm": [("Windows Media Player 9 Series", 1)]}, 1),
    ("mp3", {"popm": [("MusicBee", 242)]}, 5),                 # MusicBee's four and a half
    ("mp3", {"popm": [("MusicBee", 13)]}, 1),                  # ...and its half star
    ("mp3", {"popm": [("MusicBee", 54)]}, 2),
    # Quod Libet writes its rating as a fraction of 255 (four stars of five: 0.8)
    ("mp3", {"popm": [("quodlibet@lists.sacredchao.net", 204)]}, 4),
    # the first frame that holds a rating (one that says "not rated" is passed over)
    ("mp3", {"popm": [("Windows Media Player 9 Series", 0), ("MusicBee", 255)]}, 5),
    ("mp3", {"txxx": [("RATING", "4")]}, 4),                   # foobar2000's tag, written to a file
    ("mp3", {"txxx": [("FMPS_Rating", "0.2")]}, 1),
    ("flac", {"RATING": "100"}, 5),                            # MusicBee: 0-100
    ("flac", {"RATING": "80"}, 4),
    ("flac", {"RATING": "20"}, 1),
    ("flac", {"RATING": "5"}, 5),                              # foobar2000: 1-5
    ("flac", {"RATING": "1"}, 1),
    ("ogg", {"FMPS_RATING": "1.0"}, 5),                         # Quod Libet, Clementine: 0.0-1.0
    ("ogg", {"FMPS_RATING": "0.8"}, 4),
    ("ogg", {"FMPS_RATING": "0.2"}, 1),
    # a RATING and an FMPS_RATING: the RATING, which the person's last player wrote
    ("ogg", {"RATING": "20", "FMPS_RATING": "1.0"}, 1),
    # Quod Libet's own: a fraction under the person's e-mail address (1.0 five stars, not one)
    ("ogg", {"rating:quodlibet@lists.sacredchao.net": "0.8"}, 4),
    ("flac", {"RATING:me@example.org": "1.0"}, 5),
    ("flac", {"rating:quodlibet@lists.sacredchao.net": "0.2"}, 1),
    ("ogg", {"RATING": "60", "rating:quodlibet@lists.sacredchao.net": "1.0"}, 3),
    ("ogg", {"rating:quodlibet@lists.sacredchao.net": "0.6", "FMPS_RATING": "1.0"}, 3),
])
def test_the_stars_another_player_gave_a_song_are_read(tmp_path, fmt, written, stars):
    # A person who rated songs for years in MusicBee, foobar2000 or Quod Libet: none of those
    # stars was read, and Segue knew nothing of their taste until they had played for weeks.
    assert read_tags(str(_rated(tmp_path, "rated", fmt, **written)))["rating"] == stars


@pytest.mark.parametrize("fmt, written", [
    ("mp3", {}), ("mp3", {"popm": [("Windows Media Player 9 Series", 0)]}), ("flac", {"RATING": "0"}),
    ("flac", {"RATING": "great"}), ("flac", {"RATING": "250"}), ("ogg", {"FMPS_RATING": "0.0"}),
    ("ogg", {"FMPS_RATING": "-1"}), ("ogg", {"rating:quodlibet@lists.sacredchao.net": "0.0"}),
    # Not one star, though read as Windows Media Player's scale or as percent they are: a tagger
    # that writes the stars themselves into POPM (5: five stars), a scale of ten (8: good).
    # One star keeps a song out of every suggestion: a scale not known says nothing instead.
    ("mp3", {"popm": [("no@email", 5)]}), ("mp3", {"popm": [("", 20)]}), ("flac", {"RATING": "8"}),
])
def test_a_song_not_rated_or_rated_in_words_has_no_rating(tmp_path, fmt, written):
    # (0 is what players write for a song not rated; a number past any scale says nothing)
    assert read_tags(str(_rated(tmp_path, "unrated", fmt, **written))).get("rating") is None
