"""One recording in several files of a real-shaped library (its album, a single, a best-of's
remaster, an MP3 copy, a backup of the album's folder), scanned from real tagged files."""

from __future__ import annotations

import shutil
import time
from datetime import date, timedelta

from player.library.scanner import Scanner
from player.recommendations import LibraryRecommendations
from player.recommender_service import RecommenderService
from tests.audiogen import write_track

DAY_S = 86400.0

_SONGS = [("Bicycle Race", 31.0), ("Fat Bottomed Girls", 34.0), ("Don't Stop Me Now", 29.0),
          ("Jealousy", 33.0), ("Mustapha", 30.0), ("Dreamers Ball", 32.0)]


def _library(music, single_year="1978", album_genre="Rock"):
    """The songs on their album (tagged ``album_genre``), three of them again on a best-of
    (remastered, 0.3 s longer), the first on its single (of ``single_year``), the album as an
    MP3 copy, and other artists of the genre."""
    tags = {"artist": "Queen", "albumartist": "Queen", "genre": "Rock"}
    on_album = {**tags, "genre": album_genre}
    for i, (title, s) in enumerate(_SONGS):
        freq = 300.0 + 30 * i           # (one recording: the same sound in every copy)
        write_track(music / "Queen" / "1978 - Jazz", f"{i + 1:02d} {title}", seconds=s, freq=freq,
                    tags={**on_album, "title": title, "album": "Jazz", "date": "1978", "tracknumber": i + 1})
        write_track(music / "Phone" / "Jazz", f"{i + 1:02d} {title}", fmt="mp3", seconds=s, freq=freq,
                    tags={**on_album, "title": title, "album": "Jazz", "date": "1978", "tracknumber": i + 1})
        if i < 3:
            write_track(music / "Queen" / "Greatest Hits", f"{i + 1:02d} {title}", seconds=s + 0.3, freq=freq,
                        tags={**tags, "title": f"{title} - Remastered 2011", "album": "Greatest Hits",
                              "date": "1981", "tracknumber": i + 1})
    write_track(music / "Queen" / "Bicycle Race", "01 Bicycle Race", seconds=31.0, freq=300.0,
                tags={**tags, "title": "Bicycle Race", "album": "Bicycle Race", "date": single_year,
                      "tracknumber": 1})
    for a, artist in enumerate(["Heart", "The Who"]):
        for i in range(4):
            write_track(music / artist / "Album", f"{i + 1:02d} Song", seconds=28.0 + i, freq=500.0 + 100 * a + 10 * i,
                        tags={"artist": artist, "albumartist": artist, "genre": "Rock", "album": f"{artist} Album",
                              "title": f"{artist} Song {i + 1}", "date": "1975", "tracknumber": i + 1})


def _where(store, track_ids) -> dict[str, str]:
    """Title -> album of each of ``track_ids`` by Queen."""
    rows = [store.track(t) for t in track_ids]
    return {r["title"]: r["album"] for r in rows if r["artist"] == "Queen"}


_ON_ALBUM = {title: "Jazz" for title, _ in _SONGS}


def _learning_rows(store, days: int) -> list[dict[str, str]]:
    """:func:`_where` of the learning Discover's Rock row on each of ``days`` days."""
    service = RecommenderService(store, priors=None)
    rows = (service.discover(30, today=date(2026, 3, 1) + timedelta(days=d))["rock"] for d in range(days))
    return [_where(store, [r.track_id for r in row]) for row in rows]


def test_discover_offers_a_song_on_its_album_not_on_its_single_or_a_best_of(store, tmp_path):
    # Discover's copy of a song was the first in library order: "Bicycle Race [Bicycle Race]"
    # (the single sorts before "Jazz") and "Fat Bottomed Girls - Remastered 2011 [Greatest
    # Hits]", where the album the person knows the songs by is in the library.
    music = tmp_path / "Music"
    _library(music)
    Scanner(store).scan([str(music)])
    row = LibraryRecommendations(store).discover(30)["rock"]
    assert _where(store, [r.track_id for r in row]) == _ON_ALBUM
    # each song once, in the album's own FLAC (not the phone's MP3 copy)
    assert all(store.track(r.track_id)["path"].endswith(".flac") for r in row)


def test_discover_offers_a_song_found_only_on_a_best_of_and_a_backup_once(store, tmp_path):
    # The album gone, its best-of's remaster is the song; a byte-identical backup of the
    # album's folder is the album again, one tile a song.
    music = tmp_path / "Music"
    _library(music)
    shutil.rmtree(music / "Queen" / "1978 - Jazz")
    shutil.rmtree(music / "Phone")
    shutil.copytree(music / "Queen" / "Greatest Hits", music / "Backup" / "Greatest Hits")
    Scanner(store).scan([str(music)])
    row = [r.track_id for r in LibraryRecommendations(store).discover(30)["rock"]]
    assert _where(store, row) == {"Bicycle Race": "Bicycle Race",
                                  "Fat Bottomed Girls - Remastered 2011": "Greatest Hits",
                                  "Don't Stop Me Now - Remastered 2011": "Greatest Hits"}
    assert len(row) == 11


def test_the_learning_discover_offers_a_song_on_its_album_every_day(store, tmp_path):
    # Before any play, the learning recommender's row took whichever copy the day's shuffle
    # put first: "Don't Stop Me Now - Remastered 2011 [Greatest Hits]" one day, the single
    # the next, with the album the songs are known by in the library.
    music = tmp_path / "Music"
    _library(music)
    Scanner(store).scan([str(music)])
    assert _learning_rows(store, 6) == [_ON_ALBUM] * 6


def test_discover_offers_a_song_on_its_album_not_on_its_lead_single_of_the_year_before(store, tmp_path):
    # A lead single is often tagged the year before its album ("Creep", 1992; "Pablo Honey",
    # 1993): both Discovers took the single, the earliest year, for the album's song.
    music = tmp_path / "Music"
    _library(music, single_year="1977")
    Scanner(store).scan([str(music)])
    row = LibraryRecommendations(store).discover(30)["rock"]
    assert _where(store, [r.track_id for r in row]) == _ON_ALBUM
    assert _learning_rows(store, 3) == [_ON_ALBUM] * 3


def test_the_learning_discover_offers_a_copy_of_the_rows_own_genre(store, tmp_path):
    # The album tagged Pop, its single and best-of Rock: the Rock row's single or remaster
    # became the album's Pop copy, a Pop song under the Rock heading.
    music = tmp_path / "Music"
    _library(music, album_genre="Pop")
    Scanner(store).scan([str(music)])
    service = RecommenderService(store, priors=None)
    for day in range(3):
        rows = service.discover(30, today=date(2026, 3, 1) + timedelta(days=day))
        for genre, row in rows.items():
            assert {store.track(r.track_id)["genre"].casefold() for r in row} == {genre}, (day, genre)


def _play(store, track_id: int, when: float, times: int = 1) -> None:
    """``times`` plays of ``track_id`` heard to their end, a minute apart from ``when``."""
    for i in range(times):
        play = store.start_play(track_id, now=when + 60 * i)
        store.end_play(play, "finished", 30_000, now=when + 60 * i + 30)


def test_the_learning_discover_counts_a_song_played_in_any_of_its_copies_as_played(store, tmp_path):
    # "Played" was of the file: a song played a month ago from its single (or its best-of)
    # was "never played" on its album, took a never-played song's turn, and led the row.
    music = tmp_path / "Music"
    _library(music)
    Scanner(store).scan([str(music)])
    ids = {}
    for t in store.library_order_ids():
        r = store.track(t)
        ids[r["title"], r["album"], r["path"].rsplit(".", 1)[-1]] = t
    now = time.time()
    _play(store, ids["Bicycle Race", "Bicycle Race", "flac"], now - 30 * DAY_S, times=3)
    _play(store, ids["Fat Bottomed Girls - Remastered 2011", "Greatest Hits", "flac"], now - 30 * DAY_S, times=3)
    _play(store, ids["Jealousy", "Jazz", "mp3"], now - 3 * DAY_S)        # lately, from the phone's copy
    _play(store, ids["Heart Song 1", "Heart Album", "flac"], now - 60)
    played = {"Bicycle Race", "Fat Bottomed Girls"}
    service = RecommenderService(store, priors=None)
    for day in range(6):
        row = service.discover(30, today=date(2026, 3, 1) + timedelta(days=day))["rock"]
        titles = [store.track(r.track_id)["title"] for r in row]
        assert played <= set(titles) and "Jealousy" not in titles, (day, titles)
        # never-played songs and songs heard before in turns, the best never-played first
        assert titles[0] not in played, (day, titles)


def test_the_learning_discover_offers_a_song_in_its_lossless_copy_not_the_phones_mp3(store, tmp_path):
    # The album in FLAC and its phone copy in MP3 are as good by release, album and size:
    # the learning row kept whichever the day's shuffle put first, often the MP3.
    music = tmp_path / "Music"
    _library(music)
    Scanner(store).scan([str(music)])
    service = RecommenderService(store, priors=None)
    for day in range(6):
        row = service.discover(30, today=date(2026, 3, 1) + timedelta(days=day))["rock"]
        paths = [store.track(r.track_id)["path"] for r in row]
        assert all(p.endswith(".flac") for p in paths), (day, [p for p in paths if not p.endswith(".flac")])
