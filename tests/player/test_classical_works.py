"""A classical listener's library: symphonies and sonatas, each work in three or four tracks,
two orchestras' recordings of one symphony. Shuffled, a work goes as one piece, its movements
in their order (real files, a real scan, the player over the null engine)."""

from __future__ import annotations

from player.library.scanner import Scanner
from segue_common.works import work_of
from tests.audiogen import write_tags, write_track

# (composer, work, movements, orchestra)
_WORKS = [
    ("Ludwig van Beethoven", "Symphony No. 5 in C minor, Op. 67",
     ["Allegro con brio", "Andante con moto", "Scherzo. Allegro", "Allegro"], "Berliner Philharmoniker"),
    ("Ludwig van Beethoven", "Symphony No. 5 in C minor, Op. 67",
     ["Allegro con brio", "Andante con moto", "Scherzo. Allegro", "Allegro"], "Wiener Philharmoniker"),
    ("Johannes Brahms", "Symphony No. 4 in E minor, Op. 98",
     ["Allegro non troppo", "Andante moderato", "Allegro giocoso", "Allegro energico e passionato"],
     "Berliner Philharmoniker"),
    ("Ludwig van Beethoven", "Piano Sonata No. 14 in C-sharp minor, Op. 27 No. 2",
     ["Adagio sostenuto", "Allegretto", "Presto agitato"], "Maurizio Pollini"),
    ("Antonín Dvořák", "Symphony No. 9 in E minor, Op. 95",
     ["Adagio - Allegro molto", "Largo", "Scherzo. Molto vivace", "Allegro con fuoco"], "Czech Philharmonic"),
]
_ROMAN = ["I", "II", "III", "IV"]


def _library(tmp_path, seconds=30.0):
    """The works' files (titles "Work: I. Allegro", as most classical rips name them) and a few
    songs of their own, scanned for real. Returns the music folder."""
    music = tmp_path / "music"
    for w, (composer, work, movements, orchestra) in enumerate(_WORKS):
        album = f"{work} ({orchestra})"
        sep = ": " if w % 2 == 0 else " - "       # (both shapes rips use)
        for m, name in enumerate(movements):
            write_track(music / f"w{w}", f"{m + 1:02d}", seconds=seconds, freq=220.0 + 20 * m,
                        tags={"title": f"{work}{sep}{_ROMAN[m]}. {name}", "artist": orchestra, "album": album,
                              "tracknumber": str(m + 1)})
            write_tags(music / f"w{w}" / f"{m + 1:02d}.flac", composer=composer)
    for i in range(6):
        write_track(music / "zz songs", f"s{i}", seconds=seconds, freq=500.0 + 10 * i,
                    tags={"title": f"Interlude: Part {i}", "artist": "Some Band", "album": "Songs"})
    return music


def _scanned(store, tmp_path):
    Scanner(store).scan([str(_library(tmp_path))])
    rows = store.execute("SELECT id, title, artist, album FROM tracks ORDER BY path").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _broken_works(order, tracks) -> list[str]:
    """The performances (album) whose movements in ``order`` are not together and in order."""
    seen: dict[str, list[tuple[int, int]]] = {}
    for pos, t in enumerate(order):
        title, _, album = tracks[t]
        w = work_of(title)
        if w is not None:
            seen.setdefault(album, []).append((pos, w.movement))
    broken = []
    for album, places in seen.items():
        positions = [p for p, _ in places]
        numbers = [n for _, n in places]
        if positions != list(range(positions[0], positions[0] + len(positions))) or numbers != sorted(numbers):
            broken.append(album)
    return broken


def test_shuffle_keeps_each_performance_of_a_work_together_and_in_order(store, tmp_path, make_player):
    tracks = _scanned(store, tmp_path)
    ids = list(tracks)
    assert len(ids) == 25
    p = make_player(speed=0.5)
    for _ in range(4):
        p.set_shuffle(False)
        p.play_tracks(ids, source="library")     # (the first movement of the first work plays)
        p.set_shuffle(True)
        order = [p.current_track_id, *[e.track_id for e in p.queue]]
        assert sorted(order) == sorted(ids)
        assert _broken_works(order[:20], tracks) == []
        # the work playing goes on: its second, third and fourth movements are next
        assert order[1:4] == ids[1:4]


def test_a_list_started_while_shuffling_plays_each_work_through_in_order(store, tmp_path, make_player):
    tracks = _scanned(store, tmp_path)
    ids = list(tracks)
    p = make_player(speed=0.5)
    p.set_shuffle(True)
    for start in (0, 5, 13):
        p.play_tracks(ids, start_index=start, source="library")
        order = [p.current_track_id, *[e.track_id for e in p.queue]]
        assert order[0] == ids[start]
        # The work whose movement was started goes on from it; each other work plays through
        # in order (the movements before the one started, after it, as a piece of their own).
        later = [t for t in ids if tracks[t][2] == tracks[ids[start]][2] and ids.index(t) > start]
        assert order[1:1 + len(later)] == later
        assert _broken_works(order[1 + len(later):], tracks) == []


def test_songs_with_a_colon_are_shuffled_as_songs(store, tmp_path, make_player):
    # "Interlude: Part 1" names no movement: the six songs are not glued into one piece.
    tracks = _scanned(store, tmp_path)
    songs = [t for t, (title, _, _) in tracks.items() if title.startswith("Interlude")]
    assert store.work_movements(songs) == {}
    p = make_player(speed=0.5)
    p.play_tracks(songs, source="library")
    p.set_shuffle(True)
    orders = set()
    for _ in range(6):
        p.set_shuffle(False)
        p.set_shuffle(True)
        orders.add(tuple(e.track_id for e in p.queue))
    assert len(orders) > 1


def test_radio_from_a_movement_plays_the_work_on_then_its_composer_not_its_orchestra(store, tmp_path):
    from player.recommender_service import RecommenderService

    tracks = _scanned(store, tmp_path)
    ids = list(tracks)
    service = RecommenderService(store, priors=None)
    seed = ids[0]                      # Beethoven's Fifth, Berlin, I. Allegro con brio
    got = [r.track_id for r in service.radio(seed, 10, exclude={seed})]
    assert got[:3] == ids[1:4]        # its work goes on, in order
    assert _broken_works([seed, *got], tracks) == []
    # the Vienna Fifth is the same work: not offered back to back (nor at all in this batch)
    assert not any(tracks[t][2].endswith("(Wiener Philharmoniker)") for t in got)
    # then Beethoven's sonata, whole, before the Berlin orchestra's Brahms
    albums = [tracks[t][2] for t in got[3:]]
    assert albums[:3] == ["Piano Sonata No. 14 in C-sharp minor, Op. 27 No. 2 (Maurizio Pollini)"] * 3


def test_a_work_added_while_shuffling_goes_in_whole_and_in_order(store, tmp_path, make_player):
    tracks = _scanned(store, tmp_path)
    ids = list(tracks)
    songs = [t for t in ids if tracks[t][0].startswith("Interlude")]
    p = make_player(speed=0.5)
    p.set_shuffle(True)
    p.play_tracks(songs, source="library")
    for w in range(4):
        # the person adds the works one by one (an album each), by hand and as a list would
        work = ids[4 * w:4 * w + 4] if w < 3 else ids[12:15]
        p.enqueue(list(reversed(work)) if w == 1 else work, source="queue" if w % 2 else "library")
        order = [e.track_id for e in p.queue]
        at = [order.index(t) for t in work]
        assert at == list(range(at[0], at[0] + len(work)))
        assert _broken_works(order, tracks) == []


def test_works_named_by_their_tags_alone_are_shuffled_whole(store, tmp_path, make_player):
    """Titles that name only the movement ("Allegro con brio"): the work is in WORK and
    MOVEMENT (a FLAC tagged by MusicBrainz Picard), or in the grouping, ID3 TIT1, with MVIN
    and MVNM (an MP3 tagged by iTunes)."""
    from mutagen import id3

    music = tmp_path / "music"
    names = ["Allegro con brio", "Andante con moto", "Scherzo", "Allegro"]
    for m, name in enumerate(names):
        write_track(music / "flac", f"{m + 1:02d}", seconds=30.0, freq=220.0 + 20 * m,
                    tags={"title": name, "artist": "Berliner Philharmoniker", "album": "Beethoven 5",
                          "tracknumber": str(m + 1)})
        write_tags(music / "flac" / f"{m + 1:02d}.flac", composer="Ludwig van Beethoven",
                   work="Symphony No. 5 in C minor, Op. 67", movement=f"{m + 1}/4", movementname=name)
        path = write_track(music / "mp3", f"{m + 1:02d}", fmt="mp3", seconds=30.0, freq=300.0 + 20 * m,
                           tags={"title": name, "artist": "Wiener Philharmoniker", "album": "Beethoven 5 (Wien)",
                                 "tracknumber": str(m + 1)})
        tags = id3.ID3(str(path))
        tags.add(id3.TIT1(encoding=3, text=["Symphony No. 5 in C minor, Op. 67"]))
        tags.add(id3.MVIN(encoding=3, text=[f"{m + 1}/4"]))
        tags.add(id3.MVNM(encoding=3, text=[name]))
        tags.add(id3.TCOM(encoding=3, text=["Ludwig van Beethoven"]))
        tags.save()
    for i in range(8):
        write_track(music / "zz songs", f"s{i}", seconds=30.0, freq=500.0 + 10 * i,
                    tags={"title": f"Song {i}", "artist": f"Band {i % 3}", "album": "Songs"})
    Scanner(store).scan([str(music)])
    rows = store.execute("SELECT id, title, album, work, grouping, movement, movementname FROM tracks "
                         "ORDER BY path").fetchall()
    assert [(r[3], r[5]) for r in rows[:4]] == [("Symphony No. 5 in C minor, Op. 67", m) for m in (1, 2, 3, 4)]
    assert [(r[4], r[5], r[6]) for r in rows[4:8]] == [("Symphony No. 5 in C minor, Op. 67", m, n)
                                                      for m, n in zip((1, 2, 3, 4), names)]
    ids = [r[0] for r in rows]
    works = store.work_movements(ids)
    assert sorted(works) == ids[:8] and len({works[t][0] for t in ids[:8]}) == 2
    p = make_player(speed=0.5)
    p.play_tracks(ids[8:] + ids[:8], source="library")
    p.set_shuffle(True)
    for _ in range(4):
        p.set_shuffle(False)
        p.set_shuffle(True)
        order = [e.track_id for e in p.queue]
        for perf in (ids[:4], ids[4:8]):
            at = order.index(perf[0])
            assert order[at:at + 4] == perf
    # and a station from its first movement plays the work on, never the Vienna performance
    from player.recommender_service import RecommenderService

    got = [r.track_id for r in RecommenderService(store, priors=None).radio(ids[0], 6, exclude={ids[0]})]
    assert got[:3] == ids[1:4] and not set(got) & set(ids[4:8])


def test_a_long_queues_works_are_read_once_until_the_library_changes(store, tmp_path, monkeypatch):
    """A long queue's works (a library of 100,000 movements took 4 s to read) are kept, and read
    again only for the tracks written since."""
    import player.store.tracks as tracks_module

    tracks = _scanned(store, tmp_path)
    ids = list(tracks)
    monkeypatch.setattr(tracks_module, "_FEW_WORK_IDS", 2)      # (25 tracks make a long queue here)
    reads: list[str] = []
    store.conn.set_trace_callback(lambda sql: reads.append(sql) if "movementname FROM tracks" in sql else None)
    first = store.work_movements(ids)
    assert len(first) == 19 and len(reads) == 1
    assert store.work_movements(ids[:10]) == {t: first[t] for t in ids[:10]} and len(reads) == 1
    store.execute("UPDATE tracks SET title = 'Allegro con brio' WHERE id = ?", (ids[0],))
    store.conn.commit()
    again = store.work_movements(ids)
    assert ids[0] not in again and again == {t: w for t, w in first.items() if t != ids[0]}
    assert len(reads) == 2 and reads[-1].endswith(f"id IN ({ids[0]})")
    store.conn.set_trace_callback(None)


def test_radio_from_a_movement_is_not_spread_over_a_big_compilations_composers(store, tmp_path):
    """A "best of the classics" disc of forty composers says nothing of which composers go
    together: a station from Beethoven's Fifth, one of the forty, leans to the composer who
    shares a record of two pieces with him, and no more to the other thirty-nine than to the
    composers of a like disc he is not on (real files, a real scan)."""
    from player.recommender_service import RecommenderService

    music = tmp_path / "music"

    def track(folder, n, title, composer, album, artist, freq, seconds=2.0):
        path = write_track(music / folder, f"{n:02d}", seconds=seconds, freq=freq,
                           tags={"title": title, "artist": artist, "album": album, "tracknumber": str(n)})
        write_tags(path, composer=composer)

    for m, name in enumerate(["Allegro con brio", "Andante con moto", "Scherzo. Allegro", "Allegro"]):
        track("fifth", m + 1, f"Symphony No. 5 in C minor, Op. 67: {_ROMAN[m]}. {name}", "Ludwig van Beethoven",
              "Beethoven: Symphony No. 5", "Berliner Philharmoniker", 220.0 + 20 * m, seconds=4.0)
    # two discs alike, forty composers each, one track apiece (their tones interleaved): he is on
    # the first alone
    for i in range(40):
        track("best", i + 1, f"Piece {i + 1}", "Ludwig van Beethoven" if i == 0 else f"Composer {i:02d}",
              "The Best Classics... Ever!", "Various Orchestras", 400.0 + 6 * i)
        track("light", i + 1, f"Light piece {i + 1}", f"Light composer {i:02d}", "Light Classics",
              "Various Orchestras", 403.0 + 6 * i)
    # a record coupling Beethoven's Romance with Dvořák's
    track("romances", 1, "Romance No. 1 in G, Op. 40", "Ludwig van Beethoven", "Romances", "Gil Shaham", 700.0)
    track("romances", 2, "Romance in F minor, Op. 11", "Antonín Dvořák", "Romances", "Gil Shaham", 710.0)
    Scanner(store).scan([str(music)])
    rows = store.execute("SELECT id, title, album, composer FROM tracks ORDER BY path").fetchall()
    tracks = {r[0]: (r[1], r[2], r[3]) for r in rows}
    seed = next(t for t in tracks if tracks[t][0].endswith(": I. Allegro con brio"))
    got = [r.track_id for r in RecommenderService(store, priors=None).radio(seed, 30, exclude={seed})]
    shown = [tracks[t][:2] for t in got]
    assert got[:3] == [seed + 1, seed + 2, seed + 3]            # its work goes on, in order
    assert any(tracks[t][2] == "Antonín Dvořák" for t in got), shown
    # of the two discs' pieces the station took, a fair share are from the one he is not on
    # (counted as his kin, the thirty-nine of his disc took them all, 24 of 24; the station
    # still leans to the disc of a piece it played, as to any record)
    discs = [tracks[t][1] for t in got if tracks[t][1] in ("The Best Classics... Ever!", "Light Classics")
             and tracks[t][2] != "Ludwig van Beethoven"]
    assert len(discs) >= 10, shown
    assert discs.count("Light Classics") >= len(discs) // 4, shown


def test_the_plain_providers_radio_and_up_next_keep_works_whole_and_in_order(store, tmp_path):
    # The window serves from the plain provider until the recommender is ready (and for good
    # where it cannot be built): its station from a movement played the orchestra's other
    # movements in any order, and the rest of the work after them.
    from player.recommendations import LibraryRecommendations

    tracks = _scanned(store, tmp_path)
    ids = list(tracks)
    plain = LibraryRecommendations(store)
    for at in (1, 5, 9):               # the second movement of Beethoven's Fifth (Berlin, Vienna), Brahms' Fourth
        seed = ids[at]
        got = [r.track_id for r in plain.radio(seed, 10, exclude=[seed])]
        assert got[:2] == ids[at + 1:at + 3]     # its work goes on, in order
        assert _broken_works([seed, *got], tracks) == []
        assert len(got) >= 10 and len(set(got)) == len(got) and seed not in got
    # Up next after a movement goes on with its work; a work's movement picked brings it whole
    got = [r.track_id for r in plain.up_next([ids[5]], 8)]
    assert got[:2] == ids[6:8] and _broken_works([ids[5], *got], tracks) == []
    # and every suggestion says why, as the pick that brought it does
    assert all(r.reason for r in plain.radio(ids[1], 10, exclude=[ids[1]]))


def test_shuffle_keeps_a_books_chapters_together_and_in_order(store, tmp_path, make_player):
    # A book in chapter files queued with songs, then shuffle on: its chapters came between
    # the songs in any order (chapter 5, a song, chapter 2). Shuffled song by song, a book
    # goes as one piece, in its order, as a work does; the songs are shuffled around it.
    music = tmp_path / "music"
    for n in range(1, 7):
        write_track(music / "book", f"{n:02d} - Chapter {n}", seconds=30.0, freq=200.0 + 10 * n,
                    tags={"title": f"Chapter {n}", "artist": "A Reader", "album": "A Long Book",
                          "genre": "Audiobook", "tracknumber": str(n)})
    for i in range(8):
        write_track(music / "songs", f"s{i}", seconds=30.0, freq=500.0 + 10 * i,
                    tags={"title": f"Song {i}", "artist": "Some Band", "album": f"Single {i}", "genre": "Rock"})
    Scanner(store).scan([str(music)])
    rows = store.execute("SELECT id, title FROM tracks ORDER BY path").fetchall()
    chapters = [r[0] for r in rows if r[1].startswith("Chapter")]
    songs = [r[0] for r in rows if r[1].startswith("Song")]
    p = make_player(speed=0.5)
    orders = set()
    for _ in range(4):
        p.set_shuffle(False)
        p.play_tracks(songs + chapters, source="library")       # (a song plays)
        p.set_shuffle(True)
        order = [e.track_id for e in p.queue]
        assert sorted(order) == sorted(songs[1:] + chapters)
        at = order.index(chapters[0])
        assert order[at:at + len(chapters)] == chapters, order
        orders.add(tuple(t for t in order if t in songs))
    assert len(orders) > 1                                      # (the songs are still shuffled)
