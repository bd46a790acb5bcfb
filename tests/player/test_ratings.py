"""The stars a person gave their songs in another player (MusicBee, foobar2000, Quod Libet,
Windows Media Player), read from the files by a real scan: on a library with no plays, Up next
and Radio open with the five-star songs, and a one-star song is never suggested until the
person plays it through; it stays in the library, for them to play."""

from __future__ import annotations

import os

import pytest

from player.library.scanner import Scanner
from player.recommendations import LibraryRecommendations
from player.recommender_service import RecommenderService
from tests.audiogen import write_track
from tests.player.test_recommender_service import listen

ARTISTS = ("Amber", "Basalt", "Cinder", "Dune", "Ember")
PER = 4


def _rate(path, fmt: str, stars: int) -> None:
    """Stars as each player writes them: MusicBee's POPM in an MP3, its 0-100 RATING in a
    FLAC, Quod Libet's FMPS_RATING in an Ogg Vorbis file."""
    from mutagen import File
    from mutagen.id3 import ID3, POPM

    if fmt == "mp3":
        tags = ID3(str(path))
        tags.add(POPM(email="MusicBee", rating=(0, 1, 64, 128, 196, 255)[stars], count=0))
        tags.save(str(path))
        return
    audio = File(str(path))
    if fmt == "flac":
        audio["RATING"] = [str(stars * 20)]
    else:
        audio["FMPS_RATING"] = [str(stars / 5)]
    audio.save()


@pytest.fixture
def rated(store, tmp_path):
    """A library scanned from real files, five artists of one genre, four songs each: one
    five-star song by each of three artists (three formats), a one-star song, the rest not rated."""
    fmts = ("flac", "mp3", "ogg")
    stars = {("Basalt", 2): (5, "flac"), ("Cinder", 1): (5, "mp3"), ("Dune", 3): (5, "ogg"),
             ("Ember", 0): (1, "mp3")}
    for a, artist in enumerate(ARTISTS):
        for i in range(PER):
            given, fmt = stars.get((artist, i), (None, fmts[(a + i) % 3]))
            path = write_track(tmp_path / "music" / artist, f"{i + 1:02d}", fmt=fmt, seconds=1.0,
                               freq=220.0 + 40 * a + 5 * i,
                               tags={"title": f"{artist} {i}", "artist": artist, "album": f"{artist} LP",
                                     "genre": "Rock", "tracknumber": i + 1})
            if given:
                _rate(path, fmt, given)
    Scanner(store).scan([str(tmp_path / "music")])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    assert len(ids) == len(ARTISTS) * PER and not store.plays()
    return ids


def _files_say_one_star(store, rated, tmp_path) -> set[int]:
    """Seven of the twenty files rated one star (Amber's and Basalt's but their first), as a
    tagger's scale read wrongly would give, and scanned: their ids."""
    for artist in ("Amber", "Basalt"):
        for i in range(1, PER):
            path = next((tmp_path / "music" / artist).glob(f"{i + 1:02d}.*"))
            _rate(path, path.suffix[1:], 1)
    Scanner(store).scan([str(tmp_path / "music")])
    ones = {r["id"] for r in store.tracks() if r["rating"] == 1}
    assert len(ones) == 7 > len(rated) / 4
    return ones


def test_the_ratings_are_read_by_the_scan(store, rated):
    got = {r["title"]: r["rating"] for r in store.tracks() if r["rating"] is not None}
    assert got == {"Basalt 2": 5, "Cinder 1": 5, "Dune 3": 5, "Ember 0": 1}


def test_up_next_on_a_library_with_no_plays_opens_with_the_five_star_songs(store, rated):
    # With no plays logged, the stars are all Segue knows of the person's taste: it went by
    # library order and sound alone, and their favourites came no sooner than any other song.
    service = RecommenderService(store, priors=None)
    favourites = {rated["Basalt 2"], rated["Cinder 1"], rated["Dune 3"]}
    got = [r.track_id for r in service.up_next([rated["Amber 0"]], 3)]
    assert set(got) == favourites, [store.track(t)["title"] for t in got]


def test_radio_on_a_library_with_no_plays_opens_with_the_five_star_songs(store, rated):
    # A station keeps its pull towards the seed's own artist (it is what the person asked for);
    # of every other artist's songs the favourites come first.
    service = RecommenderService(store, priors=None)
    seed = rated["Amber 0"]
    favourites = {rated["Basalt 2"], rated["Cinder 1"], rated["Dune 3"]}
    got = [r.track_id for r in service.radio(seed, len(rated) - 1, exclude={seed})]
    others = [t for t in got if store.track(t)["artist"] != "Amber"]
    assert set(others[:3]) == favourites and favourites <= set(got[:4]), [store.track(t)["title"] for t in got]


def test_a_one_star_song_is_never_suggested_until_the_person_plays_it(store, rated):
    service = RecommenderService(store, priors=None)
    hated, seed = rated["Ember 0"], rated["Amber 0"]
    everything = len(rated) - 1
    up_next = [r.track_id for r in service.up_next([seed], everything)]
    radio = [r.track_id for r in service.radio(seed, everything, exclude={seed})]
    discover = [r.track_id for row in service.discover(everything).values() for r in row]
    assert up_next and radio and discover
    assert hated not in up_next + radio + discover
    # (a station from it, which the person asked for by name, plays)
    assert service.radio(hated, 3, exclude={hated})
    # Played through here: what the person does now outweighs the star they gave long ago.
    listen(store, hated, now=1_000_000)
    service.invalidate()
    assert hated in [r.track_id for r in service.up_next([seed], everything)]


def test_a_song_lifted_by_its_stars_says_so(store, rated):
    # On a library with no plays the favourites open Up next for their stars alone: without
    # saying so they read as chance ("Rock, from your library").
    service = RecommenderService(store, priors=None)
    favourites = {rated["Basalt 2"], rated["Cinder 1"], rated["Dune 3"]}
    got = service.up_next([rated["Amber 0"]], len(rated) - 1)
    said = {r.track_id: r.reason for r in got}
    assert all("you gave it five stars" in said[t] for t in favourites), said
    # (and never of a song not rated so)
    assert not any("stars" in why for t, why in said.items() if t not in favourites), said
    assert "you gave it five stars" in service.explain(rated["Cinder 1"])
    assert "stars" not in service.explain(rated["Cinder 2"])


def test_the_plain_provider_keeps_a_one_star_song_out_until_the_person_plays_it(store, rated):
    # The window serves from the plain provider until the recommender is ready (and for good
    # where it cannot be built): a one-star song came up in its Up next, Radio and Discover.
    plain = LibraryRecommendations(store)
    hated, seed = rated["Ember 0"], rated["Amber 0"]
    everything = len(rated) - 1
    up_next = [r.track_id for r in plain.up_next([seed], everything)]
    radio = [r.track_id for r in plain.radio(seed, everything, exclude={seed})]
    discover = [r.track_id for row in plain.discover(everything).values() for r in row]
    # (all the others: the seed itself is in Discover)
    assert len(up_next) == len(radio) == len(discover) - 1 == everything - 1
    assert hated not in up_next + radio + discover
    # (a station from it, which the person asked for by name, plays; Up next after it goes on)
    assert plain.radio(hated, 3, exclude={hated}) and plain.up_next([hated], 3)
    listen(store, hated, now=1_000_000)
    assert hated in [r.track_id for r in plain.up_next([seed], everything)]
    assert hated in [r.track_id for r in plain.radio(seed, everything, exclude={seed})]


def test_the_plain_provider_ignores_one_star_on_a_quarter_of_the_library(store, rated, tmp_path):
    # As the recommender: a scale read wrongly (every value one star) must not empty the lists.
    ones = _files_say_one_star(store, rated, tmp_path)
    plain = LibraryRecommendations(store)
    got = [r.track_id for r in plain.up_next([rated["Cinder 0"]], len(rated))]
    assert ones <= set(got)


def test_the_plain_providers_radio_opens_with_the_five_star_songs(store, rated):
    # Before the recommender is ready a station goes by the tags alone: of the songs they hold
    # as close as each other (one genre, other artists, no years), the favourites come first.
    plain = LibraryRecommendations(store)
    favourites = {rated["Basalt 2"], rated["Cinder 1"], rated["Dune 3"]}
    for seed in (rated["Amber 0"], rated["Amber 3"]):
        got = [r.track_id for r in plain.radio(seed, len(rated) - 1, exclude=[seed])]
        others = [t for t in got if store.track(t)["artist"] != "Amber"]
        assert set(others[:3]) == favourites, [store.track(t)["title"] for t in got]
    # and says why, there and asked again; never of a song not rated so
    said = {r.track_id: r.reason for r in plain.radio(seed, len(rated) - 1, exclude=[seed])}
    assert all(said[t] == "rock, like Amber 3 · you gave it five stars" for t in favourites), said
    assert not any("stars" in why for t, why in said.items() if t not in favourites), said
    assert plain.explain(rated["Dune 3"], f"radio:{seed}") == "rock, like Amber 3 · you gave it five stars"


def test_the_quarter_is_of_the_whole_library_not_of_the_rated_songs(store, rated, tmp_path):
    # Three one-star songs among six rated, in a library of twenty: a seventh of the library,
    # each kept out (half of what was rated is no sign of a scale read wrongly).
    for artist, i in (("Amber", 2), ("Basalt", 1)):
        path = next((tmp_path / "music" / artist).glob(f"{i + 1:02d}.*"))
        _rate(path, path.suffix[1:], 1)
    Scanner(store).scan([str(tmp_path / "music")])
    ones = {r["id"] for r in store.tracks() if r["rating"] == 1}
    assert len(ones) == 3 and len([r for r in store.tracks() if r["rating"]]) == 6
    got = [r.track_id for r in LibraryRecommendations(store).up_next([rated["Cinder 0"]], len(rated))]
    assert len(got) == len(rated) - 1 - 3 and not ones & set(got)
    service = RecommenderService(store, priors=None)
    assert not ones & {r.track_id for r in service.up_next([rated["Cinder 0"]], len(rated))}


def test_the_plain_providers_radio_says_stars_only_of_the_songs_they_put_first(store, tmp_path):
    # The stars lift a song among the station's own (its genre's) songs; the songs of another
    # genre it is topped up with come in library order, whatever their stars, and a work's
    # other movements come with the one picked: said of those, "you gave it five stars"
    # gave a reason that had nothing to do with their place.
    music = tmp_path / "music"
    for i in range(2):
        write_track(music / "Amber", f"{i + 1:02d}", seconds=1.0, freq=220.0 + 5 * i,
                    tags={"title": f"Amber {i}", "artist": "Amber", "album": "Amber LP", "genre": "Rock",
                          "tracknumber": i + 1})
    for i in range(3):
        path = write_track(music / "Basalt", f"{i + 1:02d}", fmt="flac", seconds=1.0, freq=330.0 + 5 * i,
                           tags={"title": f"Basalt {i}", "artist": "Basalt", "album": "Basalt LP", "genre": "Jazz",
                                 "tracknumber": i + 1})
        if i == 1:
            _rate(path, "flac", 5)
    for m, name in enumerate(("I. Allegro", "II. Adagio", "III. Presto")):
        path = write_track(music / "Cinder", f"{m + 1:02d}", fmt="flac", seconds=1.0, freq=440.0 + 5 * m,
                           tags={"title": f"Sonata in A: {name}", "artist": "Cinder", "album": "Cinder Sonatas",
                                 "genre": "Rock", "tracknumber": m + 1})
        if m == 1:
            _rate(path, "flac", 5)
    Scanner(store).scan([str(music)])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    starred = {ids["Basalt 1"], ids["Sonata in A: II. Adagio"]}
    seed = ids["Amber 0"]
    plain = LibraryRecommendations(store)
    said = {r.track_id: r.reason for r in plain.radio(seed, len(ids) - 1, exclude=[seed])}
    assert set(said) == set(ids.values()) - {seed}, said
    # (the Adagio, one of the station's own songs, is lifted by them; the jazz song is not)
    assert "you gave it five stars" in said[ids["Sonata in A: II. Adagio"]], said
    assert not any("stars" in why for t, why in said.items() if t != ids["Sonata in A: II. Adagio"]), said
    assert "stars" not in plain.explain(ids["Basalt 1"], f"radio:{seed}")
    assert "stars" in plain.explain(ids["Sonata in A: II. Adagio"], f"radio:{seed}")
    assert starred <= set(said)


def _file_of(tmp_path, title: str):
    artist, i = title.split()
    return next((tmp_path / "music" / artist).glob(f"{int(i) + 1:02d}.*"))


def test_stars_given_here_are_shown_and_outlast_a_rescan_of_the_files_own(store, rated, tmp_path):
    # Segue never writes into the files: the person's stars are kept in the library, and a
    # scan that reads the file's stars again (changed by another player) must not undo them.
    stamp = store.library_stamp()
    assert store.rate([rated["Cinder 1"], rated["Amber 0"]], 2) == 2
    assert store.library_stamp() != stamp          # (the recommender reads its catalogue again)
    store.rate([rated["Dune 3"]], 0)                # "No rating": the file's five stars are not shown
    got = {r["title"]: r["rating"] for r in store.tracks() if r["rating"] is not None}
    assert got == {"Basalt 2": 5, "Cinder 1": 2, "Amber 0": 2, "Ember 0": 1}
    for title in ("Cinder 1", "Dune 3", "Basalt 2"):
        path = _file_of(tmp_path, title)
        _rate(path, path.suffix[1:], 4)             # another player wrote four stars since
        os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    Scanner(store).scan([str(tmp_path / "music")])
    got = {r["title"]: r["rating"] for r in store.tracks() if r["rating"] is not None}
    # (the file's new stars count where the person gave none here)
    assert got == {"Basalt 2": 4, "Cinder 1": 2, "Amber 0": 2, "Ember 0": 1}
    # Rated again, or as it already was: the library is written only for a change.
    stamp = store.library_stamp()
    assert store.rate([rated["Cinder 1"]], 2) == 0 and store.library_stamp() == stamp
    with pytest.raises(ValueError):
        store.rate([rated["Cinder 1"]], 6)


def test_a_song_rated_one_star_here_leaves_up_next(store, rated):
    service = RecommenderService(store, priors=None)
    seed, everything = rated["Amber 0"], len(rated) - 1
    song = rated["Cinder 2"]
    assert song in [r.track_id for r in service.up_next([seed], everything)]
    store.rate([song], 1)
    assert song not in [r.track_id for r in service.up_next([seed], everything)]
    assert song not in [r.track_id for r in LibraryRecommendations(store).up_next([seed], everything)]
    # and the song rated one star in its file, given four here, comes back (a second change
    # soon after the first: the window tells the service the library is settled, as after a scan)
    store.rate([rated["Ember 0"]], 4)
    service.library_settled()
    assert rated["Ember 0"] in [r.track_id for r in service.up_next([seed], everything)]


def test_stars_given_here_follow_the_song_to_a_moved_file(store, rated, tmp_path):
    store.rate([rated["Cinder 1"]], 3)
    path = _file_of(tmp_path, "Cinder 1")
    moved = tmp_path / "music" / "Cinder" / "moved" / path.name
    moved.parent.mkdir()
    path.rename(moved)
    Scanner(store).scan([str(tmp_path / "music")])
    row = store.track_by_path(str(moved))
    assert row is not None and row["rating"] == 3 and row["own_rating"] == 3


def test_read_tags_again_keeps_the_stars_given_here_and_counts_no_change_for_them(store, rated):
    # A song rated here holds other stars than its file: read again, it is the same song.
    store.rate([rated["Cinder 1"]], 3)
    got = Scanner(store).read_again([rated["Cinder 1"], rated["Basalt 2"]])
    assert (got.read, got.same) == (2, 2)
    assert store.track(rated["Cinder 1"])["rating"] == 3 and store.track(rated["Basalt 2"])["rating"] == 5


def _suggested(provider, seed: int, everything: int) -> tuple[list[int], list[int]]:
    """What ``provider`` suggests after ``seed`` in Up next and on a station from it."""
    return ([r.track_id for r in provider.up_next([seed], everything)],
            [r.track_id for r in provider.radio(seed, everything, exclude={seed})])


def test_a_song_heard_then_rated_one_star_here_leaves_both_providers(store, rated):
    # The person hears a song through, dislikes it, and gives it one star here: the star is
    # what they say now, given after the play, so the play must not bring it back (as it does
    # for a star a file carries from long ago).
    service, plain = RecommenderService(store, priors=None), LibraryRecommendations(store)
    song, seed, everything = rated["Cinder 2"], rated["Amber 0"], len(rated) - 1
    listen(store, song, now=1_000_000)
    service.invalidate()
    for provider in (service, plain):
        up_next, radio = _suggested(provider, seed, everything)
        assert song in up_next and song in radio
    store.rate([song], 1)
    service.library_settled()
    for provider in (service, plain):
        up_next, radio = _suggested(provider, seed, everything)
        discover = [r.track_id for row in provider.discover(everything).values() for r in row]
        assert up_next and radio and discover and song not in up_next + radio + discover, type(provider).__name__
        # (asked for by name it plays: a station from it, and Up next after it)
        assert provider.radio(song, 3, exclude={song}) and provider.up_next([song], 3)
    # Its stars taken back ("No rating"), it is offered again.
    store.rate([song], 0)
    service.library_settled()
    for provider in (service, plain):
        assert song in _suggested(provider, seed, everything)[0], type(provider).__name__


def test_a_files_one_star_song_played_through_here_comes_back_to_both_providers(store, rated):
    # The star another player gave long ago still gives way to a play through here.
    service, plain = RecommenderService(store, priors=None), LibraryRecommendations(store)
    hated, seed, everything = rated["Ember 0"], rated["Amber 0"], len(rated) - 1
    for provider in (service, plain):
        up_next, radio = _suggested(provider, seed, everything)
        assert up_next and radio and hated not in up_next + radio, type(provider).__name__
    listen(store, hated, now=1_000_000)
    service.invalidate()
    for provider in (service, plain):
        up_next, radio = _suggested(provider, seed, everything)
        assert hated in up_next and hated in radio, type(provider).__name__


def test_one_star_given_here_counts_where_a_quarter_of_the_files_say_one_star(store, rated, tmp_path):
    # Seven files of twenty say one star: read as a tagger's scale gone wrong, so the files'
    # one star leaves nothing out. One star given here is the person's own choice and does.
    ones = _files_say_one_star(store, rated, tmp_path)
    song, seed, everything = rated["Dune 1"], rated["Cinder 0"], len(rated) - 1
    store.rate([song], 1)
    service, plain = RecommenderService(store, priors=None), LibraryRecommendations(store)
    for provider in (service, plain):
        up_next, radio = _suggested(provider, seed, everything)
        assert song not in up_next + radio, type(provider).__name__
        # (the files' one-star songs are still offered: their scale is still read as wrong)
        assert ones <= set(up_next), type(provider).__name__
