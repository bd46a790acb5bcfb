"""Matching another service's names to library tracks: tolerant where names differ in form, strict otherwise."""

from __future__ import annotations

import pytest

from player.history.match import TrackMatcher, other_takes, path_names
from segue_common.normalize import bare_title, loose_title, match_key, normalize_name, primary_artist

LIBRARY = [
    # id, artist, title, album, duration, path
    (1, "The Beatles", "Hey Jude", "Past Masters", 431.0, "/m/The Beatles/Past Masters/07 Hey Jude.flac"),
    (2, "Beyoncé", "Halo", "I Am... Sasha Fierce", 261.0, "/m/b/halo.flac"),
    (3, "Asees Kaur", "Jaan Ban Gaye (From \"Khuda Haafiz\")", "Khuda Haafiz", 220.0, "/m/a/jaan.flac"),
    (4, "Mark Ronson feat. Bruno Mars", "Uptown Funk", "Uptown Special", 270.0, "/m/u/uf.flac"),
    (5, "Nirvana", "Lithium", "Nevermind", 257.0, "/m/n/nevermind/lithium.flac"),
    (6, "Nirvana", "Lithium", "Live at Reading", 290.0, "/m/n/reading/lithium.flac"),
    (7, None, None, None, 200.0, "/m/Dave Owen/Outlaw EP/03 Night Of The Creeps.flac"),
    (8, None, None, None, 180.0, "/m/loose/Les Loups - Enough.mp3"),
    (9, "Pritam", "Sajde", "Kill Dil", 300.0, "/m/p/sajde.flac"),
    (10, "Bukkha & Guest", "Sekkle Tune - RDG Remix", "Singles", 300.0, "/m/k/remix.flac"),
    (11, "Bukkha & Orchestra", "Sekkle Tune", "Singles", 300.0, "/m/k/tune.flac"),
]


def matcher():
    return TrackMatcher({"id": i, "artist": a, "title": t, "album": al, "duration": d, "path": p}
                        for i, a, t, al, d, p in LIBRARY)


def test_loose_forms_leave_the_priors_keys_alone():
    # normalize_name / match_key key the shipped priors: the looser forms are separate functions.
    assert normalize_name("Hey Jude - Remastered 2009") == "hey jude remastered 2009"
    assert match_key("The Beatles", "Hey Jude (Remastered 2009)") == "the beatles\x1fhey jude"
    assert loose_title("Hey Jude - Remastered 2009") == "hey jude"
    assert loose_title("Les Loups - Enough (feat. YOSIE)", "Les Loups") == "enough"
    assert loose_title("Bateaux-Mouches - A COLORS ENCORE") == "bateaux mouches a colors encore"
    assert bare_title("Bateaux-Mouches - A COLORS ENCORE") == "bateaux mouches"
    assert bare_title("1979") == "1979" and bare_title("03 Night Of The Creeps") == "night of the creeps"
    assert bare_title("Shine On [Parts VI-IX]") == "shine on parts vi ix"
    assert primary_artist("Beatles, The") == primary_artist("The Beatles") == "beatles"
    assert primary_artist("Mark Ronson feat. Bruno Mars") == primary_artist("Mark Ronson & Bruno Mars")


def test_names_that_differ_only_in_form_find_the_track():
    m = matcher()
    assert m.match("The Beatles", "Hey Jude - Remastered 2015") == 1
    assert m.match("beatles, the", "HEY JUDE") == 1
    assert m.match("Beyonce", "Halo") == 2                           # accents
    assert m.match("Asees Kaur", 'Jaan Ban Gaye - From "Khuda Haafiz"') == 3
    assert m.match("Mark Ronson", "Uptown Funk (feat. Bruno Mars)") == 4
    assert m.match("Pritam", "Sajde - A COLORS SHOW") == 9           # bare title at the last level


def test_untagged_files_are_found_by_their_path():
    m = matcher()
    assert m.match("Dave Owen", "Night Of The Creeps") == 7
    assert m.match("Les Loups", "Enough (feat. YOSIE)") == 8
    assert path_names("/m/x/03 Artist - Title.ogg")[0] == ("Artist", "Title")
    assert path_names("/m/Future_Kings/Album/09 10_66.flac")[-1] == ("Future Kings", "09 10 66")


def test_album_then_length_break_ties():
    m = matcher()
    assert m.match("Nirvana", "Lithium", album="Live at Reading") == 6
    assert m.match("Nirvana", "Lithium", album="Nevermind") == 5
    assert m.match("Nirvana", "Lithium", duration_ms=291_000) == 6
    assert m.match("Nirvana", "Lithium") == 5                       # no hint: the lower id, every time
    # Loose levels join a remix and its original; the one with the row's very title wins.
    assert m.match("Bukkha", "Sekkle Tune") == 11
    assert m.match("Bukkha", "Sekkle Tune (RDG Remix)") == 10


def test_different_songs_are_not_matched():
    m = matcher()
    assert m.match("The Beatles", "Hey Bulldog") is None
    assert m.match("Nirvana", "Lithium Sunset") is None
    assert m.match("Someone Else", "Halo") is None
    assert m.match("Someone Else", "Night Of The Creeps") is None
    assert m.match("Pritam", "") is None
    # A tail naming another recording is not thrown away to find a match.
    assert m.match("Pritam", "Sajde - Lofi Flip") is None


def test_a_play_of_one_recording_is_never_credited_to_another_of_the_song():
    # The library holds only the live take (or only a remix): a play of the studio song
    # is not one of it, and the reverse; the same take in other words is.
    m = TrackMatcher([{"id": 1, "artist": "Odezenne", "title": "Hardcore (Live)", "album": "Au Cabaret",
                       "duration": 200.0, "path": "/m/o/hardcore.flac"},
                      {"id": 2, "artist": "J. Kong", "title": "First (Aztek Remix)", "album": "First",
                       "duration": 300.0, "path": "/m/j/first.flac"},
                      {"id": 3, "artist": "Oasis", "title": "Live Forever", "album": "Definitely Maybe",
                       "duration": 276.0, "path": "/m/oa/live.flac"},
                      {"id": 4, "artist": "Oasis", "title": "Supersonic (Demo)", "album": "Demos",
                       "duration": 270.0, "path": "/m/oa/supersonic-demo.flac"},
                      {"id": 5, "artist": "Oasis", "title": "Supersonic - Remastered", "album": "Definitely Maybe",
                       "duration": 283.0, "path": "/m/oa/supersonic.flac"}])
    assert m.match("Odezenne", "Hardcore") is None
    assert m.match("Odezenne", "Hardcore - Live") == 1
    assert m.match("J. Kong", "First") is None
    assert m.match("J. Kong", "First - Aztek Remix") == 2
    assert m.match("Oasis", "Live Forever") == 3                     # "live" in the song's own name
    assert m.match("Oasis", "Supersonic") == 5                       # not the demo the exact level finds first
    assert m.match("Oasis", "Supersonic - Demo") == 4
    # The same take in other words, or on the row's own album whatever its title says.
    m = TrackMatcher([{"id": 1, "artist": "KISS", "title": "Detroit Rock City", "album": "Alive II",
                       "duration": 300.0, "path": "/m/k/drc.flac"},
                      {"id": 2, "artist": "Nirvana", "title": "About a Girl (MTV Unplugged)", "album": "Unplugged",
                       "duration": 217.0, "path": "/m/n/girl.flac"},
                      {"id": 3, "artist": "Choir", "title": "Hymn (A Cappella)", "album": "Voices",
                       "duration": 120.0, "path": "/m/c/hymn.flac"}])
    assert m.match("KISS", "Detroit Rock City - Live", album="Alive II") == 1
    assert m.match("KISS", "Detroit Rock City - Live", album="Destroyer") is None
    assert other_takes("About a Girl (MTV Unplugged)") == other_takes("About a Girl - Live From MTV Unplugged")
    assert m.match("Choir", "Hymn - Acapella") == 3
    assert m.match("Pritam", "Sajde (Reprise)") is None


def test_an_arrangement_named_as_a_version_is_another_recording():
    # "Song - Qawwali Version", "Song (Female Version)", "Song - Trap Mix": another singer or
    # arrangement, which the loose levels joined to the studio song when the library held only
    # that, so its plays went to the wrong song. A version that only says which cut or
    # master it is ("Single Version", "2011 Remastered Version", "Original Mix") is the song.
    m = TrackMatcher([{"id": 1, "artist": "Josh Brar", "title": "Tere Bina Na Guzara E", "album": "Singles",
                       "duration": 240.0, "path": "/m/j/tere.flac"},
                      {"id": 2, "artist": "Jyotica Tangri", "title": "Ishq de Fanniyar", "album": "Fukrey Returns",
                       "duration": 250.0, "path": "/m/j/ishq.flac"},
                      {"id": 3, "artist": "BTS", "title": "Spring Day", "album": "You Never Walk Alone",
                       "duration": 274.0, "path": "/m/b/spring.flac"},
                      {"id": 4, "artist": "Tiga", "title": "Sunglasses at Night", "album": "Sunglasses",
                       "duration": 300.0, "path": "/m/t/sun.flac"},
                      {"id": 5, "artist": "Pritam", "title": "Te Amo (Duet)", "album": "Dum Maaro Dum",
                       "duration": 260.0, "path": "/m/p/teamo.flac"},
                      {"id": 6, "artist": "Dorian Concept", "title": "Eigendynamik (Elevator Version)",
                       "album": "Eigendynamik", "duration": 200.0, "path": "/m/d/eigen.flac"},
                      {"id": 7, "artist": "Mitraz", "title": "Akhiyaan", "album": "Akhiyaan",
                       "duration": 200.0, "path": "/m/m/akhiyaan.flac"}])
    assert m.match("Josh Brar", "Tere Bina Na Guzara E - Qawwali Version") is None
    assert m.match("Jyotica Tangri", "Ishq de Fanniyar - Female Version", album="Fukrey Returns") is None
    assert m.match("Jyotica Tangri", "Ishq de Fanniyar (Male)") is None
    assert m.match("BTS", "Spring Day - Japanese ver.") is None
    assert m.match("Tiga", "Sunglasses at Night - Deep House Mix") is None
    assert m.match("Pritam", "Te Amo") is None
    assert m.match("Dorian Concept", "Eigendynamik") is None
    assert m.match("Mitraz", "Akhiyaan - Acoustic Version") is None
    # The same arrangement in other words, and cuts or masters of the song itself.
    assert m.match("Dorian Concept", "Eigendynamik - Elevator Version") == 6
    assert m.match("Pritam", "Te Amo - Duet") == 5
    assert m.match("Josh Brar", "Tere Bina Na Guzara E - Single Version") == 1
    assert m.match("BTS", "Spring Day - 2017 Remastered Version") == 3
    assert m.match("Tiga", "Sunglasses at Night - Original Mix") == 4
    assert m.match("Tiga", "Sunglasses at Night (Extended Mix)") == 4
    assert m.match("Mitraz", "Akhiyaan (Album Version)") == 7
    for cut in ("Full Length Version", "Complete Version", "Uncut Version", "Unedited Version", "CD Version",
                "Vinyl Version"):
        assert m.match("Mitraz", f"Akhiyaan - {cut}") == 7, cut
    assert other_takes("Akhiyaan - Acoustic Version") == other_takes("Akhiyaan (Acoustic)")
    assert other_takes("Hardcore - Live Version") == other_takes("Hardcore (Live)")
    # A single named after its version holds the song under its plain title.
    assert m.match("Josh Brar", "Tere Bina Na Guzara E - Qawwali Version",
                   album="Tere Bina Na Guzara E (Qawwali Version)") is None
    single = TrackMatcher([{"id": 1, "artist": "Josh Brar", "title": "Tere Bina Na Guzara E",
                            "album": "Tere Bina Na Guzara E (Qawwali Version)", "duration": 240.0}])
    assert single.match("Josh Brar", "Tere Bina Na Guzara E - Qawwali Version",
                        album="Tere Bina Na Guzara E (Qawwali Version)") == 1


def test_a_collaboration_credited_the_east_asian_way_finds_its_first_artist_s_track():
    # "A、B" and "A × B" credit two artists as "A, B" and "A feat. B" do; the row of such a
    # credit went unmatched, kept as a song not in the library.
    m = TrackMatcher([{"id": 1, "artist": "米津玄師", "title": "灰色と青", "album": "BOOTLEG", "duration": 274.0},
                      {"id": 2, "artist": "YOASOBI", "title": "夜に駆ける", "album": "THE BOOK", "duration": 261.0},
                      {"id": 3, "artist": "菅田将暉", "title": "まちがいさがし", "album": "LOVE", "duration": 283.0}])
    assert m.match("米津玄師、菅田将暉", "灰色と青") == 1
    assert m.match("米津玄師 × 菅田将暉", "灰色と青") == 1
    assert m.match("YOASOBI、Ayase", "夜に駆ける") == 2
    assert m.match("米津玄師、菅田将暉", "まちがいさがし") is None      # the first artist's song only
    assert m.match("はるか2号[準備中]", "灰色と青") is None
    assert primary_artist("米津玄師、菅田将暉") == "米津玄師 菅田将暉"          # the stored key is not changed


def test_two_songs_that_differ_only_in_punctuation_each_get_their_own_plays():
    # "In the Flesh?" opens The Wall and "In the Flesh" comes near its end: one artist, one
    # album, and Spotify's rows give no length. Every level ignores punctuation, so only the
    # spelling tells them apart; spelled otherwise (a remaster's tail, curly quotes, case) the
    # song is still found, and where the library has one of them any spelling finds it.
    wall = [{"id": 1, "artist": "Pink Floyd", "title": "In the Flesh", "album": "The Wall", "duration": 255.0,
             "path": "/m/pf/21.flac"},
            {"id": 2, "artist": "Pink Floyd", "title": "In the Flesh?", "album": "The Wall", "duration": 196.0,
             "path": "/m/pf/01.flac"},
            {"id": 3, "artist": "Pink Floyd", "title": "Don\u2019t Leave Me Now", "album": "The Wall",
             "duration": 248.0, "path": "/m/pf/16.flac"}]
    for library in (wall, wall[::-1]):                  # whichever the scan stored first
        m = TrackMatcher(library)
        assert m.match("Pink Floyd", "In the Flesh?", album="The Wall") == 2
        assert m.match("Pink Floyd", "In the Flesh", album="The Wall") == 1
        assert m.match("Pink Floyd", "In The Flesh? - 2011 Remastered Version", album="The Wall") == 2
        assert m.match("PINK FLOYD", "in the flesh", album="The Wall") == 1
        assert m.match("Pink Floyd", "Don't Leave Me Now", album="The Wall") == 3
    alone = TrackMatcher([wall[1]])
    assert alone.match("Pink Floyd", "In the Flesh", album="The Wall") == 2
    assert alone.match("Pink Floyd", "In the Flesh!") == 2


def test_a_remix_on_the_row_s_own_single_is_still_another_recording():
    # A single or an EP holds the song and its remixes: the album the row names does not make
    # a play of the remix one of the original, nor the reverse. Only a live album's files,
    # which often do not say "Live", are that album's take whatever the titles say.
    m = TrackMatcher([{"id": 1, "artist": "J. Kong", "title": "First", "album": "Simple Pleasures",
                       "duration": 300.0, "path": "/m/j/first.flac"},
                      {"id": 2, "artist": "Høst", "title": "SURVIVE - Om Unit Remix", "album": "SURVIVE",
                       "duration": 330.0, "path": "/m/h/survive-remix.flac"},
                      {"id": 3, "artist": "KISS", "title": "Detroit Rock City (Live)", "album": "Alive II",
                       "duration": 300.0, "path": "/m/k/drc.flac"},
                      {"id": 4, "artist": "Tourist", "title": "Kin", "album": "Kin (Anthony Naples Remix)",
                       "duration": 400.0, "path": "/m/t/kin.flac"}])
    assert m.match("J. Kong", "First - Aztek Remix", album="Simple Pleasures") is None
    assert m.match("Høst", "SURVIVE", album="SURVIVE") is None
    assert m.match("J. Kong", "First", album="Simple Pleasures") == 1
    assert m.match("Høst", "SURVIVE (Om Unit Remix)", album="SURVIVE") == 2
    assert m.match("KISS", "Detroit Rock City", album="Alive II") == 3
    assert m.match("Tourist", "Kin (Anthony Naples Remix)", album="Kin (Anthony Naples Remix)") == 4
    assert m.match("Tourist", "Kin (Anthony Naples Remix)", album="Kin") is None


def test_another_take_s_single_is_not_the_single_of_the_song_it_shares_a_name_with():
    # "Kin (Anthony Naples Remix)" and "Kin" are one album name once its version words go:
    # a row of the remix on the remix single reached the original on the original single.
    # A file under its plain title is the album's take only where its own album names it.
    m = TrackMatcher([{"id": 1, "artist": "Tourist", "title": "Kin", "album": "Kin",
                       "duration": 400.0, "path": "/m/t/kin.flac"},
                      {"id": 2, "artist": "Josh Brar", "title": "Tere Bina Na Guzara E",
                       "album": "Tere Bina Na Guzara E", "duration": 240.0, "path": "/m/j/tere.flac"}])
    assert m.match("Tourist", "Kin (Anthony Naples Remix)", album="Kin (Anthony Naples Remix)") is None
    assert m.match("Josh Brar", "Tere Bina Na Guzara E - Qawwali Version",
                   album="Tere Bina Na Guzara E (Qawwali Version)") is None
    remix_single = TrackMatcher([{"id": 4, "artist": "Tourist", "title": "Kin",
                                  "album": "Kin (Anthony Naples Remix)", "duration": 400.0}])
    assert remix_single.match("Tourist", "Kin (Anthony Naples Remix)", album="Kin (Anthony Naples Remix)") == 4


def test_a_live_single_is_not_the_studio_single_of_the_song():
    # "Hardcore (Live)" is "Hardcore" once its version words go, and a live take was let
    # through on the row's own album whatever the file's album said (a live album's files
    # often do not say "Live"): a row of the live single reached the studio single's file.
    m = TrackMatcher([{"id": 1, "artist": "Odezenne", "title": "Hardcore", "album": "Hardcore",
                       "duration": 200.0, "path": "/m/o/hardcore.flac"},
                      {"id": 2, "artist": "KISS", "title": "Detroit Rock City", "album": "Alive II",
                       "duration": 300.0, "path": "/m/k/drc.flac"}])
    assert m.match("Odezenne", "Hardcore - Live", album="Hardcore (Live)") is None
    assert m.match("KISS", "Detroit Rock City - Live", album="Alive II") == 2
    live = TrackMatcher([{"id": 3, "artist": "Odezenne", "title": "Hardcore", "album": "Hardcore (Live)",
                          "duration": 210.0}])
    assert live.match("Odezenne", "Hardcore - Live", album="Hardcore (Live)") == 3


def test_a_live_album_named_live_holds_its_files_under_their_plain_titles():
    # Spotify names many live albums "Album (Live)", where the person's files say "Album" and
    # "Song": the album is not the song's single, so its live take is still that file.
    m = TrackMatcher([{"id": 1, "artist": "Talking Heads", "title": "Psycho Killer", "album": "Stop Making Sense",
                       "duration": 300.0, "path": "/m/t/pk.flac"}])
    assert m.match("Talking Heads", "Psycho Killer - Live", album="Stop Making Sense (Live)") == 1


@pytest.mark.xfail(strict=True, reason="on the row's own album a live take the album does not name is let "
                   "through for live albums whose files do not say Live; a studio album's deluxe edition with a "
                   "live bonus track looks the same, and Spotify and Last.fm rows give no length to tell them")
def test_a_live_bonus_track_of_a_deluxe_edition_is_not_the_studio_take():
    m = TrackMatcher([{"id": 1, "artist": "Queen", "title": "Somebody to Love", "album": "A Day at the Races",
                       "duration": 296.0, "path": "/m/q/stl.flac"}])
    assert m.match("Queen", "Somebody to Love - Live", album="A Day at the Races (Deluxe Edition)") is None


def test_a_show_named_after_a_bar_is_where_the_song_comes_from():
    # Spotify names a session's song "Song | Show", where the person's file says "Song"; the
    # bar's tail goes as a dash tail does, unless it names another recording.
    m = TrackMatcher([{"id": 1, "artist": "Anuv Jain", "title": "Arz Kiya Hai", "album": "Coke Studio Bharat",
                       "duration": 250.0, "path": "/m/a/arz.flac"},
                      {"id": 2, "artist": "Aditya Rikhari", "title": "Ae Ajnabee | Coke Studio Bharat",
                       "album": "Coke Studio Bharat", "duration": 240.0, "path": "/m/a/ae.flac"},
                      {"id": 3, "artist": "Atif Aslam", "title": "Tera Hua", "album": "Tera Hua",
                       "duration": 240.0, "path": "/m/a/tera.flac"}])
    assert m.match("Anuv Jain", "Arz Kiya Hai | Coke Studio Bharat") == 1
    assert m.match("Aditya Rikhari", "Ae Ajnabee") == 2
    assert m.match("Aditya Rikhari", "Ae Ajnabee - Coke Studio Bharat") == 2
    assert m.match("Anuv Jain", "Baarishein | Coke Studio Bharat") is None
    assert m.match("Atif Aslam", "Tera Hua | Unplugged") is None


def test_an_artist_spelled_with_other_punctuation_finds_their_tracks():
    # "Run DMC" / "Run-D.M.C.", "ACDC" / "AC/DC", "AR Rahman" / "A.R. Rahman": one artist,
    # spelled with and without the dots, dashes and slashes inside the name.
    m = TrackMatcher([{"id": 1, "artist": "Run-D.M.C.", "title": "It's Tricky", "album": "Raising Hell",
                       "duration": 183.0, "path": "/m/r/tricky.flac"},
                      {"id": 2, "artist": "AC/DC", "title": "Back in Black", "album": "Back in Black",
                       "duration": 255.0, "path": "/m/a/bib.flac"},
                      {"id": 3, "artist": "AR Rahman", "title": "Guzarish", "album": "Ghajini",
                       "duration": 300.0, "path": "/m/a/guz.flac"},
                      {"id": 4, "artist": "AC", "title": "Thunder", "album": "Other",
                       "duration": 200.0, "path": "/m/a/thunder.flac"}])
    assert m.match("Run DMC", "It's Tricky") == 1
    assert m.match("ACDC", "Back in Black - Remastered") == 2
    assert m.match("A.R. Rahman", "Guzarish") == 3
    assert m.match("ACDC", "Thunder") is None                       # another artist's song
    assert m.match("Run DMC", "Walk This Way") is None
    assert m.match("Rundmc Tribute", "It's Tricky") is None


def test_two_songs_of_one_show_named_before_a_bar_stay_two_songs():
    # Uploads name a show first and the song after a bar; the show is then no song's name,
    # and one of its songs is no play of another.
    m = TrackMatcher([{"id": 1, "artist": "Coke Studio", "title": "Coke Studio | Season 14 | Kana Yaari",
                       "album": "Coke Studio Season 14", "duration": 300.0, "path": "/m/c/kana.flac"},
                      {"id": 2, "artist": "Ali Sethi", "title": "Coke Studio - Rung", "album": "Rung",
                       "duration": 280.0, "path": "/m/a/rung.flac"},
                      {"id": 3, "artist": "Anuv Jain", "title": "Arz Kiya Hai | Coke Studio Bharat",
                       "album": "Coke Studio Bharat", "duration": 250.0, "path": "/m/a/arz.flac"}])
    assert m.match("Coke Studio", "Coke Studio | Season 14 | Pasoori") is None
    assert m.match("Ali Sethi", "Coke Studio | Pasoori") is None
    assert m.match("Anuv Jain", "Arz Kiya Hai | Coke Studio Bharat") == 3
    assert m.match("Anuv Jain", "Arz Kiya Hai - Coke Studio Bharat") == 3
    assert m.match("Anuv Jain", "Arz Kiya Hai") == 3
    assert m.match("Anuv Jain", "Arz Kiya Hai | Unplugged") is None
