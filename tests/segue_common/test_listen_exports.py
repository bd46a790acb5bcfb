"""Reading every export format into the same listens, from tiny synthetic files (and the real samples when present)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from segue_common.listen_exports import NOW_PLAYING, ExportFormatError, UnreadableExportError, parse_time, read_export
from tests import history_fixtures as fx

T0 = 1_700_000_000.0          # 2023-11-14 22:13:20 UTC
PLAYS = [
    ("Björk", "Hyperballad", "Post", T0, 240_000, False),
    ("The Beatles", "Hey Jude - Remastered 2015", "1", T0 + 300, 12_000, True),
    ("Beyoncé", "Halo", "I Am... Sasha Fierce", T0 + 600, 200_500, False),
]
SHARED = Path(os.environ.get("SEGUE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


def test_parse_time_reads_every_way_the_services_write_time():
    assert parse_time("1771761015") == 1771761015.0
    assert parse_time(1771761015123) == pytest.approx(1771761015.123)      # unix milliseconds
    assert parse_time("2021-08-24 17:10") == 1629825000.0                     # naive = UTC
    assert parse_time("2026-01-19T14:06:50Z") == parse_time("2026-01-19T15:06:50+01:00")
    assert parse_time("20 Nov 2020 09:35") == parse_time("20 Nov 2020, 09:35") == 1605864900.0
    assert parse_time("20 November 2020 09:35:10") == 1605864910.0
    assert parse_time("20 Nov 2020 9:35 PM") == parse_time("2020-11-20 09:35 PM") == parse_time("2020-11-20 21:35")
    assert parse_time("20 Nov 2020 13:35 PM") is None
    for bad in ("", None, "yesterday", "32 Nov 2020 09:35", "20 Xyz 2020 09:35", True):
        assert parse_time(bad) is None


def test_spotify_account_data_starts_are_end_minus_ms_and_podcasts_are_told_apart(tmp_path):
    path = fx.spotify(tmp_path / "StreamingHistory0.json", PLAYS,
                      podcasts=[("A Show", "Episode 1", T0 + 900, 1_800_000)])
    e = read_export(path)
    assert e.format == "spotify" and e.rows == 4 and not e.problems
    music = [x for x in e.listens if x.kind == "music"]
    assert [(x.artist, x.title, x.ms_played) for x in music] == [(a, t, ms) for a, t, _al, _s, ms, _k in PLAYS]
    # The end is written to the minute: the start is within a minute before the real one.
    for x, p in zip(music, PLAYS):
        assert p[3] - 60 <= x.started_at <= p[3] and x.album is None
    assert [x.kind for x in e.listens].count("podcast") == 1


def test_spotify_extended_starts_a_paused_play_when_it_started(tmp_path):
    # ms_played leaves out the pause: the end minus it is as late as the pause was long.
    paused = [("Björk", "Hyperballad", "Post", T0, 240_000, False, 3600),
              ("Beyoncé", "Halo", None, T0 + 7200, 200_500, False)]
    e = read_export(fx.spotify_extended(tmp_path / "Streaming_History_Audio_2023.json", paused))
    assert [x.started_at for x in e.listens] == pytest.approx([T0, T0 + 7200], abs=1)
    assert [x.unpaused_start for x in e.listens] == pytest.approx([T0 + 3600, T0 + 7200], abs=1)
    assert [x.ended_at for x in e.listens] == pytest.approx([T0 + 3840, T0 + 7400], abs=1)
    # offline_timestamp in milliseconds reads the same; 0, null, a start after the end,
    # one later than the end minus the time heard, or one months before are not used.
    rows = json.loads((tmp_path / "Streaming_History_Audio_2023.json").read_text(encoding="utf-8"))[:1]
    end = T0 + 3840
    for offline, start in ((int(T0) * 1000, T0), (0, end - 240), (None, end - 240), (int(end) + 5, end - 240),
                           (int(end) - 200, end - 240), (int(T0) - 90 * 86400, end - 240), ("soon", end - 240)):
        rows[0]["offline_timestamp"] = offline
        (tmp_path / "one.json").write_text(json.dumps(rows), encoding="utf-8")
        assert read_export(tmp_path / "one.json").listens[0].started_at == pytest.approx(start, abs=1), offline


def test_spotify_extended_keeps_skips_reasons_and_albums(tmp_path):
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2023.json", PLAYS,
                               podcasts=[("A Show", "Ep", T0 + 900, 60_000)],
                               audiobooks=[("A Book", "Chapter 1", T0 + 2000, 90_000)])
    e = read_export(path)
    assert e.format == "spotify_extended" and e.rows == 5
    music = [x for x in e.listens if x.kind == "music"]
    assert [x.skipped for x in music] == [False, True, False]
    assert [x.reason_end for x in music] == ["trackdone", "fwdbtn", "trackdone"]
    assert [x.reason_start for x in music] == ["trackdone"] * 3
    assert music[2].album == "I Am... Sasha Fierce"
    assert music[0].started_at == pytest.approx(T0, abs=1)        # to the second
    assert sorted(x.kind for x in e.listens if x.kind != "music") == ["audiobook", "podcast"]


def test_lastfm_headerless_and_mbid_csvs(tmp_path):
    e = read_export(fx.lastfm_headerless(tmp_path / "scrobbles.csv", PLAYS))
    assert e.format == "lastfm_csv" and len(e.listens) == 3
    assert e.problems == [(1, NOW_PLAYING)]               # the "now playing" row is reported, as what it is
    assert {(x.artist, x.title, x.album, x.started_at) for x in e.listens} == \
        {(a, t, al, s - s % 60) for a, t, al, s, _ms, _k in PLAYS}
    e = read_export(fx.lastfm_mbids(tmp_path / "with_mbids.csv", PLAYS))
    assert e.format == "lastfm_csv" and not e.problems
    assert sorted(x.started_at for x in e.listens) == [p[3] for p in PLAYS]   # "uts" wins over "utc_time"


def test_a_headerless_lastfm_csv_whose_first_play_has_names_like_a_header(tmp_path):
    # "Artist 4" and "Song 16" read as the columns "artist" and "song": the file was taken
    # for one with a header naming no time, and refused whole.
    path = tmp_path / "lastfm_small.csv"
    path.write_text("Artist 4,Album 1,Song 16,14 Nov 2023 22:19\n"
                    "Artist,Track 01,Track 01,14 Nov 2023 22:23\n", encoding="utf-8")
    e = read_export(path)
    assert e.format == "lastfm_csv" and not e.problems
    assert [(x.artist, x.title) for x in e.listens] == [("Artist 4", "Song 16"), ("Artist", "Track 01")]
    # ...also when that first play is the "now playing" row, written with no time.
    path.write_text("Artist 4,Album 1,Song 16,\nArtist 4,Album 1,Song 15,14 Nov 2023 22:19\n", encoding="utf-8")
    e = read_export(path)
    assert e.format == "lastfm_csv" and [x.title for x in e.listens] == ["Song 15"] and e.problems == [(1, NOW_PLAYING)]
    # ...or a play of Last.fm's 1 Jan 1970, its time lost (the time 0, no less a time than another).
    path.write_text("Artist 4,Album 1,Song 16,01 Jan 1970 00:00\nArtist 4,Album 1,Song 15,14 Nov 2023 22:19\n",
                    encoding="utf-8")
    e = read_export(path)
    assert e.format == "lastfm_csv" and [x.title for x in e.listens] == ["Song 16", "Song 15"]
    # A header that names the columns stays one.
    path.write_text("artist,album,track,date\nA,B,C,14 Nov 2023 22:19\n", encoding="utf-8")
    assert [(x.artist, x.title) for x in read_export(path).listens] == [("A", "C")]


def test_any_csv_whose_header_names_artist_title_and_time_in_any_order(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Played At;Title;Album;Artist Name;ms_played\n"
                    "2023-11-14 22:13:20;Hyperballad;Post;Björk;240000\n"
                    "not a date;Halo;;Beyoncé;1000\n"
                    ";Nameless;;\n", encoding="utf-8")
    e = read_export(path)
    assert e.format == "csv"
    assert [(x.artist, x.title, x.album, x.started_at, x.ms_played) for x in e.listens] == \
        [("Björk", "Hyperballad", "Post", T0, 240000)]
    assert e.problems == [(3, "no time"), (4, "no artist or title")]
    unix = tmp_path / "unix.csv"
    unix.write_text("timestamp,track,artist\n1700000000,Halo,Beyoncé\n", encoding="utf-8")
    assert read_export(unix).listens[0].started_at == T0


def test_a_time_heard_that_cannot_be_is_a_row_reported_and_the_rest_are_read(tmp_path):
    # One broken value must neither refuse the file nor count as decades heard.
    rows = [{"ts": "2023-11-14T22:13:20Z", "ms_played": ms, "master_metadata_track_name": f"Song {i}",
             "master_metadata_album_artist_name": "Björk", "skipped": False}
            for i, ms in enumerate([240_000, 99999999999999999999, -5000, 10**12, "1e30", None, 3 * 3600 * 1000])]
    path = tmp_path / "Streaming_History_Audio_2023.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    e = read_export(path)
    assert [(x.title, x.ms_played) for x in e.listens] == [("Song 0", 240_000), ("Song 5", None),
                                                          ("Song 6", 3 * 3600 * 1000)]
    assert [line for line, _why in e.problems] == [2, 3, 4, 5]
    assert all("time heard" in why for _line, why in e.problems)
    csv = tmp_path / "mine.csv"
    csv.write_text("artist,title,timestamp,ms_played,duration_ms\n"
                   "Björk,Hyperballad,1700000000,-1,240000\n"
                   "Björk,Joga,1700000300,1e30,1e30\n"
                   "Björk,Isobel,1700000600,1000,-3\n"
                   'Björk,Bachelorette,1700000900,"200,000",1e400\n', encoding="utf-8")
    e = read_export(csv)
    assert [(x.title, x.ms_played, x.duration_ms) for x in e.listens] == [("Isobel", 1000, None),
                                                                          ("Bachelorette", 200_000, None)]
    assert [line for line, _why in e.problems] == [2, 3]


def test_a_csv_with_the_day_and_the_time_of_day_in_two_columns_reads_them_together(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("artist,track,date,time\n"
                    "A,T,2020-11-20,09:35\n"
                    "A,T,2020-11-20,14:00:30\n"
                    "A,T,20/11/2020,20:00\n"
                    "A,T,2020-11-21,\n", encoding="utf-8")
    e = read_export(path)
    day = parse_time("2020-11-20")
    assert [x.started_at - day for x in e.listens] == [9 * 3600 + 35 * 60, 14 * 3600 + 30, 20 * 3600, 86400]
    assert not e.problems
    # As a US spreadsheet writes them: month first, a 12-hour clock.
    path.write_text("artist,track,date,time\nA,T,11/20/2020,9:35 PM\nA,T,11/05/2020,12:10 AM\n"
                    "A,T,11/05/2020,12:10 p.m.\n", encoding="utf-8")
    e = read_export(path)
    assert [x.started_at for x in e.listens] == [parse_time("2020-11-20 21:35"), parse_time("2020-11-05 00:10"),
                                                 parse_time("2020-11-05 12:10")]


def _lastfm_rows(n: int) -> list[str]:
    return [f"The Band {i},Record,Tune {i},{20 - i % 20} Nov 2020 0{i % 10}:35" for i in range(n)]


def test_a_quotation_mark_left_open_loses_its_row_only(tmp_path):
    # A stray mark at a field's start would run the field on to the next mark, or to the
    # end of the file: every row after it lost, and nothing said.
    rows = _lastfm_rows(40)
    rows[10] = 'kercha,Broken Illusions,"Broken Illusions,16 Oct 2020 19:42'
    rows[30] = '"Crosby, Stills & Nash",Record,Tune 30,20 Nov 2020 09:35'      # a field quoted as it should be
    path = tmp_path / "scrobbles.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    e = read_export(path)
    assert e.problems == [(11, "a quotation mark left open")]
    assert len(e.listens) == 39 and e.listens[29].artist == "Crosby, Stills & Nash"
    # A field quoted as it should be that holds line breaks is one field, and the rows
    # after it keep their line numbers.
    path.write_text('artist,track,album,date\nA,"Title one\nsecond, part",Alb,2020-01-01 10:00\n'
                    'B,"Two ""quoted""\nlines\nthree",Alb,2020-01-01 11:00\nC,Three,Alb,\n', encoding="utf-8")
    e = read_export(path)
    assert [(x.artist, x.title) for x in e.listens] == [("A", "Title one\nsecond, part"),
                                                        ("B", 'Two "quoted"\nlines\nthree')]
    assert e.problems == [(7, "no time")]
    # Left open on the last rows, past the csv module's limit on one field, the same.
    path.write_text("\n".join(_lastfm_rows(3)) + '\n"' + "x" * 200_000 + ",A,B,20 Nov 2020 09:35\n",
                    encoding="utf-8")
    e = read_export(path)
    assert len(e.listens) == 3 and e.problems == [(4, "a quotation mark left open")]


def test_a_last_fm_csv_is_read_whatever_its_first_row_holds(tmp_path):
    # The newest scrobble decides nothing: an artist in brackets is no JSON, a title full
    # of "|" no other delimiter.
    for first in ("[Dunkelziffer],Album,Song,20 Nov 2020 09:35",
                  "Anuv Jain,Coke Studio Bharat | Season 2 | Ep 3,Arz Kiya Hai | Coke Studio | Live | 2023,"
                  "20 Nov 2020 09:35"):
        path = tmp_path / "scrobbles.csv"
        path.write_text("\n".join([first, *_lastfm_rows(10)]) + "\n", encoding="utf-8")
        e = read_export(path)
        assert (e.format, len(e.listens), e.problems) == ("lastfm_csv", 11, []), first
        assert e.listens[0].artist == first.split(",")[0]
    broken = tmp_path / "cut.json"
    broken.write_text('[{"ts": "2023-11-14T22:13:20Z", "ms_played": 1', encoding="utf-8")
    with pytest.raises(ExportFormatError, match=r"not valid JSON: .*cut short\?"):
        read_export(broken)


def test_listenbrainz_zip_json_and_jsonl(tmp_path):
    for e in (read_export(fx.listenbrainz_zip(tmp_path / "listenbrainz_someone_1.zip", PLAYS)),
              read_export(fx.listenbrainz_json(tmp_path / "listens.json", PLAYS)),
              read_export(fx.listenbrainz_jsonl(tmp_path / "listens.jsonl", PLAYS))):
        assert e.format == "listenbrainz" and not e.problems
        assert sorted((x.artist, x.title, x.album, x.started_at) for x in e.listens) == \
            sorted((a, t, al, s) for a, t, al, s, _ms, _k in PLAYS)
    api = tmp_path / "api.json"
    api.write_text('{"payload": {"count": 1, "listens": [%s]}}' % __import__("json").dumps(
        fx.listen("Björk", "Hyperballad", None, T0, duration_ms=241_000)), encoding="utf-8")
    (x,) = read_export(api).listens
    assert x.duration_ms == 241_000 and x.album is None


def test_the_same_row_has_the_same_fingerprint_and_different_rows_differ(tmp_path):
    a = read_export(fx.spotify_extended(tmp_path / "a.json", PLAYS)).listens
    b = read_export(fx.spotify_extended(tmp_path / "renamed.json", PLAYS)).listens
    assert [x.fingerprint for x in a] == [x.fingerprint for x in b]
    assert len({x.fingerprint for x in a}) == 3


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b'{"not": "listens"}', "not a Spotify or ListenBrainz"),
    (b"[1, 2, 3]", "no listening rows"),
    (b"name,size\nx,1\n", "no header naming an artist"),
    (b"artist,track,album\nA,B,C\n", "no time column"),
    (b"[{broken", "not valid JSON"),
    (b'{"payload": {"listens": "none"}}', "holds no list of listens"),
    (b'[1, 2, {"x": 1}]', "not a Spotify or ListenBrainz"),
    (b'{"payload": {"listens": []}}', "no listening rows"),
])
def test_files_that_are_not_histories_say_why(tmp_path, content, message):
    path = tmp_path / "file.json"
    path.write_bytes(content)
    with pytest.raises(ExportFormatError, match=message):
        read_export(path)


def test_a_text_file_that_is_not_a_history_is_not_called_a_csv(tmp_path):
    # A .txt of anything is read as comma-separated; the refusal names the file as what it is.
    path = tmp_path / "notes.txt"
    path.write_text("shopping,list\nmilk,2\n", encoding="utf-8")
    with pytest.raises(ExportFormatError, match="no header naming an artist") as err:
        read_export(path)
    assert "CSV" not in str(err.value)


def test_a_zip_without_history_says_so(tmp_path):
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("user.json", "{}")
    with pytest.raises(ExportFormatError, match="no listening history"):
        read_export(path)


def test_a_csv_is_read_in_the_encoding_it_was_saved_in(tmp_path):
    names = [("Björk", "Jóga"), ("Motörhead", "Ace of Spades"), ("Sigur Rós", "Hoppípolla"),
             ("Beyoncé", "Déjà Vu"), ("Françoise Hardy", "Tous les garçons et les filles"),
             ("Guns N’ Roses", "Sweet Child o’ Mine")]                   # ’ is 0x92 in Windows-1252
    text = "uts,utc_time,artist,track\n" + "".join(
        f"{int(T0) + 600 * i},{i},{a},{t}\n" for i, (a, t) in enumerate(names))
    for encoding, bom in (("cp1252", b""), ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
                          ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("utf-16-be", b"")):
        for pad in ("", " "):                # an even and an odd number of bytes
            path = tmp_path / f"scrobbles-{encoding}-{len(bom)}-{len(pad)}.csv"
            path.write_bytes(bom + (text + pad).encode(encoding))
            e = read_export(path)
            assert [(x.artist, x.title) for x in e.listens] == names, (encoding, bom, pad)
    # Latin-1 bytes that Windows-1252 leaves undefined still read, as Latin-1.
    (tmp_path / "latin1.csv").write_bytes("artist,track,time\nBjörk,Jóga,1700000000\n".encode("latin-1") + b"\x81")
    assert read_export(tmp_path / "latin1.csv").listens[0].artist == "Björk"


@pytest.mark.skipif(not (SHARED / "exports").exists(), reason="shared data absent")
def test_the_real_samples_read_whole():
    got = {p.name: read_export(p) for p in sorted((SHARED / "exports").iterdir())}
    assert {n: e.format for n, e in got.items()} == {
        "lastfm_export_headerless.csv": "lastfm_csv", "lastfm_export_with_mbids.csv": "lastfm_csv",
        "spotify_StreamingHistory0.json": "spotify",
        "spotify_extended_Streaming_History_Audio_2026.json": "spotify_extended"}
    for name, e in got.items():
        assert e.rows >= 1000 and len(e.problems) <= 5, name


def test_dates_as_a_spreadsheet_rewrites_them_are_read(tmp_path):
    # Opened and saved again in Excel, an export's dates follow the computer's region.
    from segue_common.listen_exports import parse_time

    t = 1605864900.0                                           # 20 Nov 2020 09:35 UTC
    assert parse_time("20.11.2020 09:35") == t
    assert parse_time("20/11/2020 9:35") == t
    assert parse_time("2020-11-20 09:35:00 UTC") == t
    us = tmp_path / "us.csv"                                   # headerless Last.fm, month first
    us.write_text("A,Album,Song,11/20/2020 9:35\nA,Album,Other,11/3/2020 18:00\n")
    export = read_export(us)
    assert [listen.started_at for listen in export.listens] == [t, 1604426400.0]
    eu = tmp_path / "eu.csv"                                   # with a header, day first
    eu.write_text("artist,track,date\nA,Song,20/11/2020 09:35\nA,Other,03/11/2020 18:00\n")
    assert [listen.started_at for listen in read_export(eu).listens] == [t, 1604426400.0]


@pytest.mark.parametrize("text", [
    '[]', '[ ]', '\n[\n]\n', '[{"a": 1}]', '[ {"a": [1, {"b": "ü\\u00e9"}]} ,\r\n\t{"c": null} ]  \n',
    '[1, "two", [3], {"four": 4.5e1}, true, false, null, NaN]',
])
def test_an_array_read_one_row_at_a_time_is_what_json_reads(text):
    # Rows are parsed one at a time so that the window is not frozen for the whole file;
    # what comes out must be what one json.loads gives (compared as text for NaN).
    from segue_common.listen_exports import _json_rows

    assert repr(list(_json_rows(text))) == repr(json.loads(text))


@pytest.mark.parametrize("text", ['[', '[1,]', '[1 2]', '[{"a": 1}] x', '[{"a": }]', '[1]]', '[,1]'])
def test_a_broken_array_read_one_row_at_a_time_fails_as_json_does(text):
    from segue_common.listen_exports import _json_rows

    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as ours:
        list(_json_rows(text))
    assert (ours.value.msg, ours.value.pos) == (theirs.value.msg, theirs.value.pos)


def test_a_spotify_export_broken_after_its_first_rows_says_where_and_reads_nothing(tmp_path):
    # (rows are read one at a time: those before the damage must not come out as the export)
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2024.json", PLAYS * 30)
    text = path.read_text()
    path.write_text(text[: len(text) * 2 // 3])
    with pytest.raises(ExportFormatError, match="is not valid JSON: .*line"):
        read_export(path)


def test_a_history_damaged_anywhere_is_told_and_other_rows_cut_short_are_no_history(tmp_path):
    # Damage is not only a cut at the end: a copy broken off leaves a tail of NUL bytes, a hand
    # edit a stray comma. Such a history was said to be no history, and a download folder's
    # import passed it over with its plays; a download's search queries cut short, on the
    # other hand, were said to be a history cut short.
    path = fx.spotify(tmp_path / "StreamingHistory_music_0.json", PLAYS * 30)
    text = path.read_text(encoding="utf-8")
    for damaged in (text[: len(text) // 2] + "\x00" * 512, text.rstrip()[:-1].rstrip() + ",\n]"):
        path.write_text(damaged, encoding="utf-8")
        with pytest.raises(UnreadableExportError, match="not valid JSON: .*line .*damaged there: download it again"):
            read_export(path)
    queries = tmp_path / "SearchQueries.json"
    whole = json.dumps([{"platform": "ANDROID", "searchTime": "2023-11-14T22:13:20Z", "searchQuery": f"song {i}"}
                        for i in range(40)], indent=2)
    queries.write_text(whole[: whole.index("song 30") + 3], encoding="utf-8")
    with pytest.raises(ExportFormatError, match="not valid JSON") as got:
        read_export(queries)
    assert not isinstance(got.value, UnreadableExportError)


@pytest.mark.parametrize("write", ["json", "jsonl", "csv", "zip"])
def test_reading_says_how_far_it_got_in_bytes_of_the_file(tmp_path, write):
    plays = [("Artist", f"Song {i}", None, T0 + 240 * i, 180_000, False) for i in range(3000)]
    path = {"json": lambda: fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", plays),
            "jsonl": lambda: fx.listenbrainz_jsonl(tmp_path / "listens.jsonl", plays),
            "csv": lambda: fx.lastfm_mbids(tmp_path / "scrobbles.csv", plays),
            "zip": lambda: fx.listenbrainz_zip(tmp_path / "listenbrainz.zip", plays)}[write]()
    size, seen = path.stat().st_size, []
    e = read_export(path, progress=lambda done, total, stage: seen.append((done, total, stage)))
    assert len(e.listens) == 3000
    assert {(total, stage) for _, total, stage in seen} == {(size, "Reading")}
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == size
    assert len(set(done)) >= 5                             # steps between (a zip's too, packed small)
