"""Albums ripped as one file with a CUE sheet: the sheet read, and the scan listing the
album as the sheet's tracks."""

import os

import numpy as np
import pytest

from player.library.cue import CueError, audio_path, decode_sheet, parse_sheet
from player.library.scanner import Scanner
from tests.audiogen import tone, write_audio, write_tags, write_track

SR = 44100


def _sheet(audio_name: str = "Album.wav", *, second_title: str = "Second Song",
           starts=("00:00:00", "00:02:00", "00:03:37")) -> str:
    # (EAC names the WAV it ripped to; the file beside it is the FLAC it was encoded to)
    return (
        'REM GENRE "Art Rock"\n'
        "REM DATE 1999\n"
        "REM REPLAYGAIN_ALBUM_GAIN -4.50 dB\n"
        'PERFORMER "The Band"\n'
        'TITLE "One File Album"\n'
        f'FILE "{audio_name}" WAVE\n'
        "  TRACK 01 AUDIO\n"
        '    TITLE "First Song"\n'
        "    REM REPLAYGAIN_TRACK_GAIN -3.20 dB\n"
        f"    INDEX 01 {starts[0]}\n"
        "  TRACK 02 AUDIO\n"
        f'    TITLE "{second_title}"\n'
        '    PERFORMER "A Guest"\n'
        "    INDEX 00 00:01:70\n"
        f"    INDEX 01 {starts[1]}\n"
        "  TRACK 03 AUDIO\n"
        '    TITLE "Third Song"\n'
        f"    INDEX 01 {starts[2]}\n"
    )


def _album(folder, *, seconds: float = 5.0, sheet: str | None = None):
    """``folder/Album.flac``, three tones (440, 660, 880 Hz) one after another, tagged as a
    whole, and its sheet ``Album.cue``."""
    folder.mkdir(parents=True, exist_ok=True)
    cuts = [0, 2 * SR, 3 * SR + 37 * SR // 75, int(seconds * SR)]
    parts = [tone((b - a) / SR, freq=f, sr=SR) for a, b, f in zip(cuts, cuts[1:], (440.0, 660.0, 880.0))]
    audio = write_audio(folder / "Album.flac", np.concatenate(parts), SR)
    write_tags(audio, album="Tagged Album", artist="Tagged Artist", title="Whole Album", date="2001")
    (folder / "Album.cue").write_text(sheet if sheet is not None else _sheet(), encoding="utf-8")
    return audio


def rip_again_with_an_intro(folder, sheet: str, *, titled: bool) -> None:
    """The album of ``_album`` (its sheet ``sheet``) ripped again with 12 s before its first
    song as track 1 of the sheet ("Intro" where ``titled``): each song's number one up."""
    parts = [tone(s, freq=f, sr=SR) for s, f in ((12.0, 220.0), (2.0, 440.0), (1 + 37 / 75, 660.0),
                                                 (2 - 37 / 75, 880.0))]
    write_audio(folder / "Album.flac", np.concatenate(parts), SR)
    again = sheet.replace("TRACK 03", "TRACK 04").replace("TRACK 02", "TRACK 03").replace("TRACK 01", "TRACK 02")
    again = again.replace("00:03:37", "00:15:37").replace("00:02:00", "00:14:00").replace("00:01:70", "00:13:70")
    again = again.replace("INDEX 01 00:00:00", "INDEX 01 00:12:00").replace(
        "  TRACK 02 AUDIO\n", "  TRACK 01 AUDIO\n" + ('    TITLE "Intro"\n' if titled else "")
        + "    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n", 1)
    (folder / "Album.cue").write_text(again, encoding="utf-8")


def test_a_sheet_is_read_with_its_times_in_frames_and_its_rem_lines():
    sheet = parse_sheet(_sheet())
    assert (sheet.title, sheet.performer, sheet.rem["GENRE"], sheet.rem["DATE"]) == (
        "One File Album", "The Band", "Art Rock", "1999")
    assert [(t.number, t.file, t.title, t.performer) for t in sheet.tracks] == [
        (1, "Album.wav", "First Song", None), (2, "Album.wav", "Second Song", "A Guest"),
        (3, "Album.wav", "Third Song", None)]
    # INDEX 01 is where a track starts (75 frames a second); its INDEX 00 gap goes before it
    assert [t.start_s for t in sheet.tracks] == [0.0, 2.0, 3 + 37 / 75]


def test_a_sheet_in_the_windows_code_page_is_read():
    text = 'FILE "a.flac" WAVE\nTRACK 01 AUDIO\nTITLE "Café Müller"\nINDEX 01 00:00:00\n'
    assert parse_sheet(decode_sheet(text.encode("cp1252"))).tracks[0].title == "Café Müller"
    assert parse_sheet(decode_sheet(b"\xef\xbb\xbf" + text.encode())).tracks[0].title == "Café Müller"


@pytest.mark.parametrize("text, words", [
    ("", "names no audio track"),
    ('FILE "a.flac" WAVE\nTRACK 01 AUDIO\nTITLE "x"\n', "track 1 has no INDEX 01"),
    ('FILE "a.flac" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:61:00\n', "is not a time"),
    ('FILE "a.flac" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:05:00\nTRACK 02 AUDIO\nINDEX 01 00:04:00\n',
     "track 2 starts before track 1 ends"),
])
def test_a_broken_sheet_says_what_is_wrong(text, words):
    with pytest.raises(CueError, match=words):
        parse_sheet(text)


def _rows(store):
    return [(r["title"], r["artist"], r["album"], r["albumartist"], r["track_no"], round(r["duration"], 3))
            for r in store.tracks()]


def test_the_scan_lists_an_album_in_one_file_as_the_tracks_of_its_sheet(tmp_path, store):
    music = tmp_path / "music"
    audio = _album(music / "The Band")
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0
    assert _rows(store) == [
        ("First Song", "The Band", "One File Album", "The Band", 1, 2.0),
        ("Second Song", "A Guest", "One File Album", "The Band", 2, round(1 + 37 / 75, 3)),
        ("Third Song", "The Band", "One File Album", "The Band", 3, round(5 - 3 - 37 / 75, 3)),
    ]
    rows = store.tracks()
    # the big file itself is not a track besides them; each plays a range of it
    assert store.track_by_path(str(audio)) is None
    assert {audio_path(r) for r in rows} == {str(audio)}
    assert [(r["cue_start_s"], r["cue_end_s"]) for r in rows] == [
        (0.0, 2.0), (2.0, 3 + 37 / 75), (3 + 37 / 75, None)]
    first = rows[0]
    assert (first["genre"], first["year"], first["codec"], first["sample_rate"]) == ("Art Rock", 1999, "flac", SR)
    assert (first["rg_track_gain"], first["rg_album_gain"], rows[1]["rg_track_gain"]) == (-3.2, -4.5, None)
    assert first["cue_sheet"] == str(music / "The Band" / "Album.cue")
    assert store.library_counts()["tracks"] == 3


def test_a_sheets_replaygain_is_read_as_a_tags_is(tmp_path, store):
    # A sheet's gains went by a pattern of their own: ".988" and "-.5 dB" (as bc prints them)
    # were lost, and "+8000 dB", which the tag reader throws out as no loudness correction,
    # was kept, to play 24 dB up (all the player's clamp allows) beside a peak that let it.
    sheet = _sheet().replace("REM REPLAYGAIN_ALBUM_GAIN -4.50 dB\n",
                             "REM REPLAYGAIN_ALBUM_GAIN +8000 dB\nREM REPLAYGAIN_ALBUM_PEAK 0.05\n")
    sheet = sheet.replace("    REM REPLAYGAIN_TRACK_GAIN -3.20 dB\n",
                          "    REM REPLAYGAIN_TRACK_GAIN -.50 dB\n    REM REPLAYGAIN_TRACK_PEAK .988\n")
    music = tmp_path / "music"
    _album(music / "The Band", sheet=sheet)
    assert Scanner(store).scan([str(music)]).errors == 0
    first = store.tracks()[0]
    assert (first["rg_track_gain"], first["rg_track_peak"]) == (pytest.approx(-0.5), pytest.approx(0.988))
    assert first["rg_album_gain"] is None       # (and the file's tags have no gain to take its place)


@pytest.mark.parametrize("on_disk, in_sheet", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_sheet_finds_its_file_whose_accented_name_is_written_in_the_other_unicode_form(tmp_path, store, on_disk,
                                                                                         in_sheet):
    # A sheet written on Windows names "Homogénic.flac" with "é" as one character; the file,
    # copied from a Mac, has it as "e" and a combining accent (or the other way round). On
    # Linux the two are other names: the sheet was refused as naming a file not there, and
    # the album went unlisted.
    import unicodedata

    music = tmp_path / "music"
    audio = _album(music / "The Band")
    name = "Homogénic.flac"
    audio.rename(audio.with_name(unicodedata.normalize(on_disk, name)))
    (audio.parent / "Album.cue").write_text(_sheet(unicodedata.normalize(in_sheet, name)), encoding="utf-8")
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0
    assert [r["title"] for r in store.tracks()] == ["First Song", "Second Song", "Third Song"]


@pytest.mark.parametrize("date", ["1999", "1999-05-01", "05/01/1999", "01.05.1999"])
def test_the_year_of_a_sheets_date_is_read_as_a_tags_is(tmp_path, store, date):
    # A sheet dated month or day first was listed as year 5 or 1, sorted before every real year.
    music = tmp_path / "music"
    _album(music / "The Band", sheet=_sheet().replace("REM DATE 1999", f"REM DATE {date}"))
    Scanner(store).scan([str(music)])
    assert [r["year"] for r in store.tracks()] == [1999, 1999, 1999]


def test_a_sheets_names_written_decomposed_are_read_composed_as_tags_are(tmp_path, store):
    # A sheet written on a Mac names "Björk" with "o" and a combining mark: read as written,
    # its album stood apart from the artist's albums tagged in files, under another name.
    import unicodedata

    music = tmp_path / "music"
    sheet = _sheet().replace("The Band", "Björk").replace("One File Album", "Homogénic").replace("First", "Jóga")
    _album(music / "Bjork", sheet=unicodedata.normalize("NFD", sheet))
    Scanner(store).scan([str(music)])
    rows = store.tracks()
    assert {(r["albumartist"], r["album"]) for r in rows} == {("Björk", "Homogénic")}
    assert (rows[0]["artist"], rows[0]["title"]) == ("Björk", "Jóga Song")


def test_a_rescan_keeps_the_tracks_and_an_edited_or_removed_sheet_updates_them(tmp_path, store):
    music = tmp_path / "music"
    folder = music / "The Band"
    audio = _album(folder)
    Scanner(store).scan([str(music)])
    ids = [r["id"] for r in store.tracks()]

    progress = Scanner(store).scan()
    assert (progress.read, progress.unchanged, progress.missing) == (0, 1, 0)
    assert [r["id"] for r in store.tracks()] == ids

    (folder / "Album.cue").write_text(_sheet(second_title="Second Song (Edit)"), encoding="utf-8")
    progress = Scanner(store).scan()
    assert progress.read == 1
    assert [(r["id"], r["title"]) for r in store.tracks()] == [
        (ids[0], "First Song"), (ids[1], "Second Song (Edit)"), (ids[2], "Third Song")]

    # without its sheet the file is one track again; the sheet's tracks keep their plays, missing
    store.start_play(ids[1])
    (folder / "Album.cue").unlink()
    progress = Scanner(store).scan()
    assert progress.missing == 3
    assert [(r["path"], r["title"]) for r in store.tracks()] == [(str(audio), "Whole Album")]
    assert store.track(ids[1])["missing"] == 1

    # and back: the same tracks again, their plays with them
    (folder / "Album.cue").write_text(_sheet(), encoding="utf-8")
    Scanner(store).scan()
    assert [r["id"] for r in store.tracks()] == ids
    assert [p["track_id"] for p in store.plays()] == [ids[1]]


def test_a_sheet_in_a_japanese_code_page_names_its_file_and_titles(tmp_path, store):
    # EAC writes a sheet in the code page of the Windows it ran on: Shift-JIS in Japan. Read
    # as Western, the file it names is no file and the album would stay one track.
    music = tmp_path / "music"
    _album(music, sheet="")
    os.rename(music / "Album.flac", music / "東京.flac")
    sheet = _sheet("東京.wav").replace("First Song", "桜").replace("Second Song", "雪")
    (music / "Album.cue").write_bytes(sheet.encode("cp932"))
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0
    assert [r["title"] for r in store.tracks()] == ["桜", "雪", "Third Song"]
    assert {audio_path(r) for r in store.tracks()} == {str(music / "東京.flac")}


def test_a_japanese_sheet_naming_a_file_of_a_plain_name_is_read_in_shift_jis(tmp_path, store):
    # (read as Western, as its bytes may be too, "さくら" was "‚³‚­‚ç")
    music = tmp_path / "music"
    _album(music, sheet="")
    os.rename(music / "Album.flac", music / "CDImage.flac")
    sheet = _sheet("CDImage.wav").replace("First Song", "さくら").replace("Second Song", "ひかり")
    (music / "Album.cue").write_bytes(sheet.encode("cp932"))
    Scanner(store).scan([str(music)])
    assert [r["title"] for r in store.tracks()] == ["さくら", "ひかり", "Third Song"]
    # a Western sheet with its quotes and accents stays Western
    western = _sheet("CDImage.wav", second_title="Don’t “Stop” – Señor Ärger")
    (music / "Album.cue").write_bytes(western.encode("cp1252"))
    Scanner(store).scan()
    assert [r["title"] for r in store.tracks()][1] == "Don’t “Stop” – Señor Ärger"


def test_a_sheet_naming_its_file_by_the_rippers_path_finds_it_beside_the_sheet(tmp_path, store):
    music = tmp_path / "music"
    audio = _album(music, sheet=_sheet("C:\\Rips\\The Band\\Album.wav"))
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0
    assert [r["title"] for r in store.tracks()] == ["First Song", "Second Song", "Third Song"]
    assert {audio_path(r) for r in store.tracks()} == {str(audio)}


def test_a_file_that_was_one_track_becomes_the_tracks_of_the_sheet_added_beside_it(tmp_path, store):
    music = tmp_path / "music"
    audio = _album(music)
    (music / "Album.cue").unlink()
    Scanner(store).scan([str(music)])
    whole = store.track_by_path(str(audio))["id"]
    assert [r["title"] for r in store.tracks()] == ["Whole Album"]

    (music / "Album.cue").write_text(_sheet(), encoding="utf-8")
    progress = Scanner(store).scan()
    assert [r["title"] for r in store.tracks()] == ["First Song", "Second Song", "Third Song"]
    assert (progress.missing, store.track(whole)["missing"]) == (1, 1)


@pytest.mark.parametrize("sheet, words", [
    ('FILE "Album.flac" WAVE\nTRACK 01 AUDIO\nTITLE "x"\n', "track 1 has no INDEX 01"),
    (_sheet("Other Album.flac"), "'Other Album.flac', is not there"),
    (_sheet(starts=("00:00:00", "00:02:00", "09:00:00")), "track 3 starts at 9:00, after the end of Album.flac"),
])
def test_a_sheet_that_cannot_be_used_is_listed_and_its_file_stays_one_track(tmp_path, store, sheet, words):
    music = tmp_path / "music"
    audio = _album(music, sheet=sheet)
    progress = Scanner(store).scan([str(music)])
    assert [r["path"] for r in store.tracks()] == [str(audio)]
    errors = [(r["path"], r["last_error"]) for r in store.track_errors()]
    assert len(errors) == 1 and errors[0][0] == str(music / "Album.cue")
    assert errors[0][1].startswith("CUE sheet not used: ") and words in errors[0][1]
    assert progress.errors == 1

    # told once: the next scan of the same sheet says nothing new
    assert Scanner(store).scan().errors == 0
    # mended, it is no error any more and its tracks are listed
    (music / "Album.cue").write_text(_sheet(), encoding="utf-8")
    os.utime(music / "Album.cue")
    Scanner(store).scan()
    assert store.track_errors() == []
    assert [r["title"] for r in store.tracks()] == ["First Song", "Second Song", "Third Song"]


def test_reading_a_sheets_track_again_reads_its_sheet_and_file(tmp_path, store):
    music = tmp_path / "music"
    _album(music)
    Scanner(store).scan([str(music)])
    second = store.tracks()[1]
    st = os.stat(music / "Album.cue")
    (music / "Album.cue").write_text(_sheet(second_title="Renamed"), encoding="utf-8")
    os.utime(music / "Album.cue", ns=(st.st_atime_ns, st.st_mtime_ns))
    progress = Scanner(store).read_again([second["id"]])
    assert (progress.read, progress.errors) == (1, 0)
    assert store.track(second["id"])["title"] == "Renamed"


def test_a_sheet_inside_a_flacs_tags_makes_its_tracks_too(tmp_path, store):
    music = tmp_path / "music"
    audio = _album(music)
    (music / "Album.cue").unlink()
    write_tags(audio, cuesheet=_sheet("Album.flac"))
    progress = Scanner(store).scan([str(music)])
    rows = store.tracks()
    assert [r["title"] for r in rows] == ["First Song", "Second Song", "Third Song"]
    assert {r["cue_sheet"] for r in rows} == {str(audio)} and store.track_by_path(str(audio)) is None
    assert (progress.read, progress.errors) == (1, 0)
    ids = [r["id"] for r in rows]

    progress = Scanner(store).scan()
    assert (progress.read, progress.unchanged, progress.missing) == (0, 1, 0)
    assert [r["id"] for r in store.tracks()] == ids
    assert Scanner(store).read_again([ids[2]]).same == 1

    # a sheet beside the file wins over the one inside it
    (music / "Album.cue").write_text(_sheet(second_title="From Beside"), encoding="utf-8")
    Scanner(store).scan()
    assert [(r["id"], r["title"]) for r in store.tracks()][1] == (ids[1], "From Beside")


def test_a_sheet_inside_a_wavpack_files_ape_tag_makes_its_tracks_too(tmp_path, store):
    # foobar2000 embeds the sheet of a WavPack or Monkey's Audio album in its APEv2 tag
    import subprocess

    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("wavpack"):
        pytest.skip("ffmpeg with a WavPack encoder is not installed")
    music = tmp_path / "music"
    _album(music)
    (music / "Album.cue").unlink()
    audio = music / "Album.wv"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(music / "Album.flac"), "-c:a", "wavpack", str(audio)],
                   check=True)
    (music / "Album.flac").unlink()
    write_tags(audio, album="Tagged Album", Cuesheet=_sheet("Album.wv"))
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0
    rows = store.tracks()
    assert [r["title"] for r in rows] == ["First Song", "Second Song", "Third Song"]
    assert {audio_path(r) for r in rows} == {str(audio)}


def test_a_tak_image_beside_the_sheet_eac_wrote_for_its_wav_makes_the_sheets_tracks(tmp_path, store):
    # TAK is a common format of album images: EAC's sheet names the WAV it ripped to, and the
    # TAK file beside it was left one track, named by its file
    import soundfile as sf

    from player.audio.decoder import Decoder
    from tests.audiogen import ffmpeg_encodes, write_tak
    from tests.player.audio.signals import peak_frequency

    if not ffmpeg_encodes("pcm_s16le"):
        pytest.skip("ffmpeg and ffprobe decode TAK")
    music = tmp_path / "music"
    flac = _album(music)
    samples, _ = sf.read(str(flac), dtype="int16", always_2d=True)
    audio = write_tak(music / "Album.tak", samples, SR)
    flac.unlink()
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0
    rows = store.tracks()
    assert [(r["title"], r["codec"], round(r["duration"], 3)) for r in rows] == [
        ("First Song", "tak", 2.0), ("Second Song", "tak", round(1 + 37 / 75, 3)),
        ("Third Song", "tak", round(5 - 3 - 37 / 75, 3))]
    assert {audio_path(r) for r in rows} == {str(audio)}
    second = rows[1]
    dec = Decoder(str(audio), out_rate=SR, begin_s=second["cue_start_s"], end_s=second["cue_end_s"])
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    dec.close()
    heard = np.concatenate(parts)
    assert len(heard) == pytest.approx((1 + 37 / 75) * SR, abs=1)
    assert peak_frequency(heard[:, 0], sr=SR) == pytest.approx(660, abs=5)


def test_an_album_moved_and_renamed_keeps_each_tracks_history_with_it(tmp_path, store):
    # Its tracks share the file's size and time, and two of them are of one length: each
    # goes to its own track (by its place in the file), not to the one with plays.
    sheet = _sheet(starts=("00:00:00", "00:02:00", "00:04:00")).replace("INDEX 00 00:01:70\n", "")
    music = tmp_path / "music"
    _album(music / "Old", seconds=5.5, sheet=sheet)
    Scanner(store).scan([str(music)])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    assert [round(r["duration"], 2) for r in store.tracks()] == [2.0, 2.0, 1.5]
    store.start_play(ids["Second Song"])
    os.rename(music / "Old", music / "New")
    os.rename(music / "New" / "Album.flac", music / "New" / "Renamed.flac")
    (music / "New" / "Album.cue").write_text(sheet.replace("Album.wav", "Renamed.flac"), encoding="utf-8")
    progress = Scanner(store).scan()
    assert (progress.moved, progress.missing) == (3, 0)
    assert {r["title"]: r["id"] for r in store.tracks()} == ids
    assert [p["track_id"] for p in store.plays()] == [ids["Second Song"]]


def test_the_file_or_the_sheet_of_an_album_opened_plays_the_sheets_tracks(tmp_path, store):
    from player.library.open_files import track_ids_for_paths, tracks_for

    music = tmp_path / "music"
    audio = _album(music / "The Band")
    Scanner(store).scan([str(music)])
    ids = [r["id"] for r in store.tracks()]
    assert track_ids_for_paths(store, [str(audio)]) == (ids, [])
    assert tracks_for(store, [str(music / "The Band" / "Album.cue")]) == (ids, [])
    assert tracks_for(store, [str(music / "The Band")]) == (ids, [])
    assert len(store.tracks(include_missing=True)) == 3      # the file was not added as a track of its own


def test_an_album_in_one_file_opened_by_a_link_plays_its_sheets_tracks(tmp_path, store):
    # A file manager opens the album by the path it was reached by (a link to the music
    # folder): it is the library's album all the same, not a new track of the whole file.
    from player.library.open_files import tracks_for

    music = tmp_path / "music"
    _album(music / "The Band")
    Scanner(store).scan([str(music)])
    ids = [r["id"] for r in store.tracks()]
    os.symlink(music, tmp_path / "link")
    assert tracks_for(store, [str(tmp_path / "link" / "The Band" / "Album.flac")]) == (ids, [])
    assert tracks_for(store, [str(tmp_path / "link" / "The Band")]) == (ids, [])
    assert len(store.tracks(include_missing=True)) == 3


def test_a_file_opened_is_looked_for_among_sheets_tracks_by_the_index_of_paths(tmp_path, store):
    # Every file of a folder opened asks whether it is an album in one file: a read of the whole
    # library for each made a drop of a thousand files on a library of 200,000 tracks take 20 s.
    music = tmp_path / "music"
    audio = _album(music)
    Scanner(store).scan([str(music)])
    statements = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert len(store.sheet_track_ids(str(audio))) == 3
        assert store.sheet_track_ids(str(music / "Other.flac")) == []
    finally:
        store.conn.set_trace_callback(None)
    for sql in statements:
        plan = " ".join(row[3] for row in store.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "SCAN tracks" not in plan, (sql, plan)


def test_a_rip_of_a_file_per_track_with_its_sheet_stays_its_files(tmp_path, store):
    # EAC writes a sheet beside a rip of a file per track too (to burn it again): each file is
    # its track, with its own tags, and the sheet is no error.
    music = tmp_path / "music"
    music.mkdir()
    for name, seconds in (("01.flac", 2.0), ("02.flac", 3.0)):
        write_tags(write_audio(music / name, tone(seconds, sr=SR), SR), title=f"Tagged {name[:2]}")
    (music / "Album.cue").write_text(
        'FILE "01.flac" WAVE\nTRACK 01 AUDIO\nTITLE "One"\nINDEX 01 00:00:00\n'
        'FILE "02.flac" WAVE\nTRACK 02 AUDIO\nTITLE "Two"\nINDEX 00 00:00:00\nINDEX 01 00:01:00\n', encoding="utf-8")
    progress = Scanner(store).scan([str(music)])
    assert [(r["path"], r["title"], r["cue_start_s"]) for r in store.tracks()] == [
        (str(music / "01.flac"), "Tagged 01", None), (str(music / "02.flac"), "Tagged 02", None)]
    assert progress.errors == 0 and store.track_errors() == []

    # its files renamed by a tagger since, the sheet names files that are not there: it makes
    # no tracks all the same, so it is no error either
    for old, new in (("01.flac", "01 One.flac"), ("02.flac", "02 Two.flac")):
        os.rename(music / old, music / new)
    progress = Scanner(store).scan()
    assert [r["title"] for r in store.tracks()] == ["Tagged 01", "Tagged 02"]
    assert progress.errors == 0 and store.track_errors() == []


def test_audio_before_the_first_track_of_a_file_is_heard_with_it(tmp_path, store):
    # (a CD's hidden first track, or the gap before the first track of a file, is not lost)
    music = tmp_path / "music"
    _album(music, sheet=_sheet(starts=("00:01:00", "00:02:00", "00:03:37")))
    Scanner(store).scan([str(music)])
    assert [(r["cue_start_s"], r["duration"]) for r in store.tracks()][0] == (0.0, 2.0)


def test_a_song_hidden_before_the_first_track_is_a_track_of_its_own_and_the_first_starts_at_its_index(
        tmp_path, store):
    # A CD with a song hidden in the first track's gap (INDEX 01 at 0:12), ripped as an image:
    # "First Song" opened with the 12 s of the hidden song and was listed 12 s long too long.
    # foobar2000 starts the track at its INDEX 01; the hidden song stays heard, as track 0.
    music = tmp_path / "music"
    music.mkdir()
    parts = [tone(s, freq=f, sr=SR) for s, f in ((12.0, 330.0), (2.0, 440.0), (2.0, 660.0), (2.0, 880.0))]
    write_audio(music / "Album.flac", np.concatenate(parts), SR)
    (music / "Album.cue").write_text(_sheet(starts=("00:12:00", "00:14:00", "00:16:00")).replace(
        "INDEX 00 00:01:70", "INDEX 00 00:13:70"), encoding="utf-8")
    Scanner(store).scan([str(music)])
    assert [(r["track_no"], r["title"], r["artist"], r["cue_start_s"], r["cue_end_s"], round(r["duration"], 3))
            for r in store.tracks()] == [
        (0, "Track 00", "The Band", 0.0, 12.0, 12.0), (1, "First Song", "The Band", 12.0, 14.0, 2.0),
        (2, "Second Song", "A Guest", 14.0, 16.0, 2.0), (3, "Third Song", "The Band", 16.0, None, 2.0)]
    ids = [r["id"] for r in store.tracks()]
    Scanner(store).scan()
    assert [r["id"] for r in store.tracks()] == ids


def test_a_library_scanned_before_sheets_inside_files_were_read_finds_their_tracks(tmp_path, store):
    music = tmp_path / "music"
    audio = _album(music)
    (music / "Album.cue").unlink()
    write_tags(audio, cuesheet=_sheet("Album.flac"))
    Scanner(store).scan([str(music)])
    with store.transaction() as conn:       # (as a scan by the reader before it left the sheet there)
        conn.execute("DELETE FROM tracks")
    st = audio.stat()
    store.upsert_tracks([{"path": str(audio), "folder_id": store.folders()[0]["id"], "size": st.st_size,
                          "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "title": "Whole Album"}])
    # (the reader before 8, the first to read a FLAC's sheet: a later reader's change may be to other types)
    store.set_folder_scanned(store.folders()[0]["id"], tag_reader=7)
    progress = Scanner(store).scan()
    assert progress.reread == 1
    assert [r["title"] for r in store.tracks()] == ["First Song", "Second Song", "Third Song"]


def _flac_cuesheet_block(audio, starts_s, *, rate: int = SR) -> None:
    """Give ``audio`` a CUESHEET metadata block (as ``flac --cuesheet`` writes a CD's), its
    tracks starting at ``starts_s``; track 2 has a gap (INDEX 00) before its INDEX 01."""
    from mutagen.flac import FLAC, CueSheet, CueSheetTrack, CueSheetTrackIndex

    flac = FLAC(str(audio))
    block = CueSheet(None)
    for number, start in enumerate(starts_s, 1):
        track = CueSheetTrack(number, round(start * rate) - (588 * 75 if number == 2 else 0))
        if number == 2:
            track.indexes.append(CueSheetTrackIndex(0, 0))
        track.indexes.append(CueSheetTrackIndex(1, 588 * 75 if number == 2 else 0))
        block.tracks.append(track)
    block.tracks.append(CueSheetTrack(170, flac.info.total_samples))     # the lead-out
    flac.metadata_blocks.append(block)
    flac.save()


def test_a_flacs_cuesheet_block_makes_its_tracks_named_by_its_comments(tmp_path, store):
    # A CD ripped to one FLAC with its sheet as a metadata block: the titles, where there
    # are any, are in comments of their own (CUE_TRACKnn_TITLE); a track without is "Track NN".
    music = tmp_path / "music"
    audio = _album(music)
    (music / "Album.cue").unlink()
    _flac_cuesheet_block(audio, [0.0, 2.0, 3 + 36 / 75])
    write_tags(audio, CUE_TRACK01_TITLE="First Song", CUE_TRACK02_TITLE='Say "When"',
               CUE_TRACK02_PERFORMER="A Guest")
    progress = Scanner(store).scan([str(music)])
    assert progress.errors == 0 and store.track_by_path(str(audio)) is None
    assert sorted(_rows(store), key=lambda row: row[4]) == [
        ("First Song", "Tagged Artist", "Tagged Album", None, 1, 2.0),
        ('Say "When"', "A Guest", "Tagged Album", None, 2, round(1 + 36 / 75, 3)),
        ("Track 03", "Tagged Artist", "Tagged Album", None, 3, round(5 - 3 - 36 / 75, 3)),
    ]
    rows = sorted(store.tracks(), key=lambda r: r["track_no"])
    assert [(r["cue_start_s"], r["cue_sheet"]) for r in rows] == [
        (0.0, str(audio)), (2.0, str(audio)), (3 + 36 / 75, str(audio))]
    ids = [r["id"] for r in rows]
    assert Scanner(store).read_again([ids[2]]).same == 1

    # a CUESHEET comment (the ripper's own sheet, with its titles) wins over the block
    write_tags(audio, cuesheet=_sheet("Album.flac"))
    Scanner(store).scan()
    assert sorted(r["title"] for r in store.tracks()) == ["First Song", "Second Song", "Third Song"]


def test_an_album_in_one_file_outside_the_library_opened_plays_its_sheets_tracks(tmp_path, store):
    # Opened from a download folder (segue Album.cue, "Open with", a drop): its tracks are
    # added outside any library folder, as a file opened there is, each a range of the file.
    from player.library.open_files import tracks_for

    Scanner(store).scan([str(tmp_path / "music")])
    away = tmp_path / "Downloads" / "The Band"
    audio = _album(away)
    ids, problems = tracks_for(store, [str(away / "Album.cue")])
    assert problems == [] and len(ids) == 3
    rows = [store.track(i) for i in ids]
    assert [(r["title"], r["track_no"], r["folder_id"], r["cue_start_s"]) for r in rows] == [
        ("First Song", 1, None, 0.0), ("Second Song", 2, None, 2.0), ("Third Song", 3, None, 3 + 37 / 75)]
    assert {audio_path(r) for r in rows} == {str(audio)} and store.track_by_path(str(audio)) is None
    # the file, its folder or the sheet again: the same tracks, nothing added
    assert tracks_for(store, [str(audio)]) == (ids, [])
    assert tracks_for(store, [str(away)]) == (ids, [])
    assert tracks_for(store, [str(away / "Album.cue")]) == (ids, [])
    assert len(store.tracks(include_missing=True)) == 3

    # a FLAC with the sheet inside it (its CUESHEET block), opened alone
    other = tmp_path / "Other"
    inside = _album(other)
    (other / "Album.cue").unlink()
    _flac_cuesheet_block(inside, [0.0, 2.0, 3 + 36 / 75])
    ids, problems = tracks_for(store, [str(inside)])
    assert problems == [] and [store.track(i)["title"] for i in ids] == ["Track 01", "Track 02", "Track 03"]

    # a sheet that cannot be used says why, and stores nothing
    (other / "Broken.cue").write_text('FILE "Gone.flac" WAVE\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n', encoding="utf-8")
    assert tracks_for(store, [str(other / "Broken.cue")]) == (
        [], [(str(other / "Broken.cue"), "CUE sheet not used: the audio file it names, 'Gone.flac', is not there")])
    assert len(store.tracks(include_missing=True)) == 6


def test_an_album_file_opened_as_one_track_plays_its_sheets_tracks_once_the_sheet_is_beside_it(tmp_path, store):
    # Opened before its sheet was there (or before sheets were read outside the library), it
    # was one long track; unchanged, it was never looked at again.
    from player.library.open_files import tracks_for

    away = tmp_path / "Downloads"
    audio = _album(away)
    os.rename(away / "Album.cue", tmp_path / "Album.cue")
    (whole,), _ = tracks_for(store, [str(audio)])
    store.start_play(whole)
    os.rename(tmp_path / "Album.cue", away / "Album.cue")
    ids, problems = tracks_for(store, [str(audio)])
    assert problems == [] and [store.track(i)["title"] for i in ids] == ["First Song", "Second Song", "Third Song"]
    assert [p["track_id"] for p in store.plays()] == [whole]         # the old track keeps its play
    # and is missing, as a scan leaves it: not listed beside the sheet's tracks as a song of its own
    assert [r["title"] for r in store.tracks()] == ["First Song", "Second Song", "Third Song"]
    assert store.track(whole)["missing"] == 1
    assert tracks_for(store, [str(audio)]) == (ids, [])


def test_quotes_and_backslashes_inside_a_sheets_titles_and_names_are_kept(tmp_path, store):
    # A title that quotes a word, as taggers and EAC write it ("Say "Hello""), and a name with
    # a backslash outside quotes: foobar2000 takes the words between a line's first and last
    # quote, or the rest of the line, as they are.
    music = tmp_path / "music"
    text = _sheet().replace('TITLE "One File Album"', 'TITLE "Live "Unplugged" Album"')
    text = text.replace('TITLE "Second Song"', 'TITLE "Say "Hello" (Live)"')
    text = text.replace('PERFORMER "A Guest"', "PERFORMER AC\\DC  &  Friends")
    _album(music / "The Band", sheet=text)
    Scanner(store).scan([str(music)])
    second = store.tracks()[1]
    assert (second["title"], second["artist"], second["album"]) == (
        'Say "Hello" (Live)', "AC\\DC  &  Friends", 'Live "Unplugged" Album')


def test_spaces_inside_a_sheets_quotes_are_no_part_of_the_value():
    # ("   " as a title is no title: the track is listed as its number, as for TITLE "")
    sheet = parse_sheet(_sheet().replace('"First Song"', '"  First Song  "').replace('"Second Song"', '"   "'))
    assert [t.title for t in sheet.tracks] == ["First Song", None, "Third Song"]


def test_a_sheet_edited_to_move_a_track_has_the_moved_tracks_analysed_again(tmp_path, store):
    # A sheet whose second track started half a second late, fixed by hand: the two tracks
    # whose stretch of the file changed kept the analysis of the old stretch (the audio file
    # itself unchanged), so Radio judged them by what they no longer are.
    music = tmp_path / "music"
    folder = music / "The Band"
    _album(folder)
    Scanner(store).scan([str(music)])
    ids = [r["id"] for r in store.tracks()]
    tags = np.ones(4, dtype=np.float32)
    store.save_features([{"track_id": t, "model_version": "m1", "tags": tags, "bucket": "rock"} for t in ids])
    assert store.tracks_to_analyse("m1") == []
    (folder / "Album.cue").write_text(_sheet(starts=("00:00:00", "00:02:40", "00:03:37")), encoding="utf-8")
    Scanner(store).scan()
    assert [r["id"] for r in store.tracks()] == ids
    assert [r["id"] for r in store.tracks_to_analyse("m1")] == ids[:2]
    # a rescan of the sheet as it is leaves the new analysis be
    store.save_features([{"track_id": t, "model_version": "m1", "tags": tags, "bucket": "rock"} for t in ids[:2]])
    Scanner(store).scan()
    assert store.tracks_to_analyse("m1") == []


def test_untitled_tracks_of_two_shows_of_one_artist_are_not_taken_for_one_song(tmp_path, store):
    # Two concerts, each one file with a sheet that names no titles (a FLAC's CUESHEET block
    # without comments is the same): the tracks are "Track 01", "Track 02"... of one artist,
    # and the one of the second show as long as the first's was taken for the same song, so
    # Discover and Up next never offered the second show.
    from player.recommendations import LibraryRecommendations

    music = tmp_path / "music"
    for show in ("Live 1991", "Live 1992"):
        (music / show).mkdir(parents=True)
        write_audio(music / show / "Show.flac", np.concatenate([tone(3.0, freq=f, sr=SR) for f in (440.0, 660.0)]), SR)
        (music / show / "Show.cue").write_text(
            'PERFORMER "The Band"\nREM GENRE Rock\nFILE "Show.wav" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
            '  TRACK 02 AUDIO\n    INDEX 01 00:03:00\n', encoding="utf-8")
    Scanner(store).scan([str(music)])
    ids = {(r["path"].split(os.sep)[-2], r["title"]): r["id"] for r in store.tracks()}
    assert set(ids) == {(show, f"Track 0{n}") for show in ("Live 1991", "Live 1992") for n in (1, 2)}
    recs = LibraryRecommendations(store)
    assert {r.track_id for r in recs.discover(10)["rock"]} == set(ids.values())
    after = {r.track_id for r in recs.up_next([ids["Live 1991", "Track 01"]], 10)}
    assert after == set(ids.values()) - {ids["Live 1991", "Track 01"]}
    assert store.shared_recording_keys() == {}         # (nor kept apart in shuffle as copies)


def test_a_sheet_renumbered_by_a_track_split_in_two_keeps_each_songs_plays_with_it(tmp_path, store):
    # The second track was two songs: the sheet fixed by hand splits it, and the third is the
    # fourth now. Its plays stayed with the number: "Third Song" had none, and the second
    # half of the old second track had the third song's.
    music = tmp_path / "music"
    folder = music / "The Band"
    _album(folder)
    Scanner(store).scan([str(music)])
    first, second, third = (r["id"] for r in store.tracks())
    store.start_play(third)
    split = _sheet().replace("  TRACK 03 AUDIO\n", '  TRACK 03 AUDIO\n    TITLE "Hidden Half"\n    INDEX 01 00:02:50\n'
                             "  TRACK 04 AUDIO\n")
    (folder / "Album.cue").write_text(split, encoding="utf-8")
    Scanner(store).scan()
    rows = {r["title"]: r for r in store.tracks()}
    assert [(r["track_no"], r["title"]) for r in store.tracks()] == [
        (1, "First Song"), (2, "Second Song"), (3, "Hidden Half"), (4, "Third Song")]
    assert (rows["First Song"]["id"], rows["Second Song"]["id"], rows["Third Song"]["id"]) == (first, second, third)
    assert rows["Hidden Half"]["id"] not in (first, second, third)
    assert [p["track_id"] for p in store.plays()] == [third]
    # a title and an index put right together on one track (no track starts where it did) is
    # that track still
    half = rows["Hidden Half"]["id"]
    (folder / "Album.cue").write_text(split.replace('"Hidden Half"', '"Second Half"').replace("00:02:50", "00:02:55"),
                                      encoding="utf-8")
    Scanner(store).scan()
    assert [(r["id"], r["title"]) for r in store.tracks()] == [
        (first, "First Song"), (second, "Second Song"), (half, "Second Half"), (third, "Third Song")]


def test_a_sheet_with_a_track_taken_out_keeps_each_songs_plays_with_it(tmp_path, store):
    # The second track merged into the first by hand: the third is the second now. Its
    # number's old track, another song that started elsewhere, took the third song's place
    # with its own plays, and the third song's plays waited, missing.
    music = tmp_path / "music"
    folder = music / "The Band"
    _album(folder)
    Scanner(store).scan([str(music)])
    first, second, third = (r["id"] for r in store.tracks())
    store.start_play(second)
    store.start_play(third)
    store.start_play(third)
    merged = _sheet().replace('  TRACK 02 AUDIO\n    TITLE "Second Song"\n    PERFORMER "A Guest"\n'
                              "    INDEX 00 00:01:70\n    INDEX 01 00:02:00\n", "").replace("TRACK 03", "TRACK 02")
    (folder / "Album.cue").write_text(merged, encoding="utf-8")
    Scanner(store).scan()
    assert [(r["id"], r["track_no"], r["title"]) for r in store.tracks()] == [
        (first, 1, "First Song"), (third, 2, "Third Song")]
    assert sorted(p["track_id"] for p in store.plays()) == [second, third, third]
    assert [r["id"] for r in store.missing_tracks()] == [second]
    # the same done to untitled tracks ("Track 02" the third's audio now): they go by where they start
    folder2 = music / "Untitled"
    _album(folder2, sheet=_sheet().replace('    TITLE "First Song"\n', "").replace('    TITLE "Second Song"\n', "")
           .replace('    TITLE "Third Song"\n', ""))
    Scanner(store).scan()
    ids = [r["id"] for r in store.tracks() if "Untitled" in r["path"]]
    store.start_play(ids[2])
    (folder2 / "Album.cue").write_text(merged.replace('    TITLE "First Song"\n', "")
                                       .replace('    TITLE "Third Song"\n', ""), encoding="utf-8")
    Scanner(store).scan()
    assert [r["id"] for r in store.tracks() if "Untitled" in r["path"]] == [ids[0], ids[2]]
    assert sorted(p["track_id"] for p in store.plays()) == sorted([second, third, third, ids[2]])


@pytest.mark.parametrize("copies", [1, 2])
@pytest.mark.parametrize("titled", [True, False])
def test_an_album_in_one_file_moved_keeps_every_tracks_plays_and_so_do_two_copies_of_it(
        tmp_path, store, titled, copies):
    # Its tracks share the file's size and time. Kept twice (copied with its times) and both
    # folders renamed, each track of a copy fits its own track and the other copy's alike:
    # the copies' files are compared to tell them apart as copies, not the tracks' names,
    # which no file has (their plays went to the first copy's tracks, the second's were new).
    import shutil

    sheet = _sheet() if titled else "\n".join(
        line for line in _sheet().splitlines() if not line.strip().startswith('TITLE "')) + "\n"
    music = tmp_path / "music"
    _album(music / "Old 0", sheet=sheet)
    for n in range(1, copies):
        shutil.copytree(music / "Old 0", music / f"Old {n}")
    Scanner(store).scan([str(music)])
    ids = sorted(r["id"] for r in store.tracks())
    assert len(ids) == 3 * copies
    for tid in ids:
        store.start_play(tid)
    for n in range(copies):
        os.rename(music / f"Old {n}", music / f"New {n}")
    progress = Scanner(store).scan()
    assert (progress.moved, progress.missing) == (3 * copies, 0)
    assert sorted(r["id"] for r in store.tracks()) == ids
    assert sorted(p["track_id"] for p in store.plays()) == ids


def test_a_sheets_title_of_marks_alone_is_untitled_and_names_no_song(tmp_path, store):
    # A title of nothing a person sees (a zero-width space or a byte order mark a tool left)
    # is cleaned to none: the track is listed "Track 02", and, as a track the sheet gives no
    # title, has no match key ("Track 02" of two albums of one artist is not one song).
    music = tmp_path / "music"
    _album(music, sheet=_sheet(second_title="\ufeff\u200b"))
    Scanner(store).scan([str(music)])
    row = [r for r in store.tracks() if r["track_no"] == 2][0]
    assert (row["title"], row["match_key"]) == ("Track 02", None)


@pytest.mark.parametrize("titled, stopped", [(True, False), (False, False), (False, True)])
def test_an_album_ripped_again_with_an_intro_as_its_first_track_keeps_each_songs_plays(tmp_path, store, titled,
                                                                                        stopped):
    # The CD ripped again, this time with the 12 s before its first song (an intro the first
    # rip left out) as track 1 of the sheet: every song's number went up by one. The intro
    # took the first song's plays, as the track that starts the file, and each song the
    # plays of the one before it. The plays go with the songs: by title, or where the sheet
    # names none, by their lengths.
    music = tmp_path / "music"
    folder = music / "The Band"
    sheet = _sheet() if titled else "".join(
        line + "\n" for line in _sheet().splitlines() if not line.startswith('    TITLE "'))
    _album(folder, sheet=sheet)
    Scanner(store).scan([str(music)])
    first, second, third = (r["id"] for r in store.tracks())
    for tid, times in ((first, 1), (second, 2), (third, 3)):
        for _ in range(times):
            store.start_play(tid)
    rip_again_with_an_intro(folder, sheet, titled=titled)
    if stopped:
        # The scan stopped once the album's file was read, its songs' tracks set aside and
        # their new rows not yet written: the next scan pairs them all the same.
        from player.library.scanner import ScanCancelled

        write_track(music / "Zed", "later", seconds=0.3, tags={"title": "Later", "artist": "Zed"})
        scanner = Scanner(store, progress=lambda p: scanner.cancel() if p.done else None, progress_interval_s=0)
        with pytest.raises(ScanCancelled):
            scanner.scan()
        assert sorted(r["id"] for r in store.missing_tracks()) == [first, second, third]
    Scanner(store).scan()
    rows = [r for r in store.tracks() if r["cue_sheet"]]
    assert [(r["track_no"], round(r["cue_start_s"], 2), round(r["duration"], 2)) for r in rows] == [
        (1, 0.0, 12.0), (2, 12.0, 2.0), (3, 14.0, 1.49), (4, 15.49, 1.51)]
    assert [r["id"] for r in rows][1:] == [first, second, third]
    assert rows[0]["id"] not in (first, second, third)
    plays = {}
    for p in store.plays():
        plays[p["track_id"]] = plays.get(p["track_id"], 0) + 1
    assert plays == {first: 1, second: 2, third: 3}
    assert store.missing_tracks() == []


def test_a_song_its_sheet_titles_track_10_is_one_song_in_two_rips_as_any_titled_one(tmp_path, store):
    # "Track 10" is what a track with no title is listed as, and names no song; but here the
    # sheet names the song so (a band's own title). It lost its recording key with the
    # placeholders: its two rips were two songs to Discover, offered twice, where "Intro" of
    # the same two rips was one song.
    from player.listening_stats import load_summary
    from player.recommendations import LibraryRecommendations

    music = tmp_path / "music"
    for rip in ("First Rip", "Second Rip"):
        (music / rip).mkdir(parents=True)
        write_audio(music / rip / "Album.flac", np.concatenate([tone(3.0, freq=f, sr=SR) for f in (440.0, 660.0)]), SR)
        (music / rip / "Album.cue").write_text(
            'PERFORMER "The Band"\nREM GENRE Rock\nTITLE "Numbers"\nFILE "Album.wav" WAVE\n'
            '  TRACK 01 AUDIO\n    TITLE "Intro"\n    INDEX 01 00:00:00\n'
            '  TRACK 02 AUDIO\n    TITLE "Track 10"\n    INDEX 01 00:03:00\n', encoding="utf-8")
    Scanner(store).scan([str(music)])
    rows = store.tracks()
    assert sorted((r["title"], bool(r["match_key"])) for r in rows) == [("Intro", True)] * 2 + [("Track 10", True)] * 2
    offered = [store.track(r.track_id)["title"] for r in LibraryRecommendations(store).discover(10)["rock"]]
    assert sorted(offered) == ["Intro", "Track 10"]
    assert set(store.shared_recording_keys()) == {r["id"] for r in rows}
    # and to the trained ranker's Discover alike
    from player.recommender_service import build_catalog
    from recommender.rank import Recommender

    cat, _ = build_catalog(store, priors=None)
    ranked = [store.track(int(t))["title"] for row in Recommender(cat).discover(10).values() for t, _ in row]
    assert sorted(ranked) == ["Intro", "Track 10"]
    # played once in each rip, it is one song of two plays in the top tracks
    for r in rows:
        if r["title"] == "Track 10":
            store.end_play(store.start_play(r["id"]), "finished", 3000)
    top = load_summary(store).top["All time"]["tracks"]
    assert [(e.name.split(" — ")[0], e.plays) for e in top] == [("Track 10", 2)]
    # and never to suggest one rip's keeps the other's copy out too
    tens = sorted(r["id"] for r in rows if r["title"] == "Track 10")
    store.never_suggest_track(tens[0])
    assert store.never_suggested_ids() == set(tens)
