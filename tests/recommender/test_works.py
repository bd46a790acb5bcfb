"""Up next and Radio over a classical library: a work is suggested whole and in order, one
performance of it, and a station from a movement goes by its composer, not its orchestra."""

from __future__ import annotations

import numpy as np

from recommender.catalog import Catalog
from recommender.rank import Recommender
from segue_common.works import work_of

_MOVEMENTS = ["I. Allegro", "II. Andante", "III. Scherzo", "IV. Finale"]
# (composer, work, movements, orchestra, album)
_WORKS = [
    ("Ludwig van Beethoven", "Symphony No. 5 in C minor, Op. 67", 4, "Berliner Philharmoniker", "Beethoven 5 (BPO)"),
    ("Ludwig van Beethoven", "Symphony No. 5 in C minor, Op. 67", 4, "Wiener Philharmoniker", "Beethoven 5 (VPO)"),
    ("Ludwig van Beethoven", "Symphony No. 7 in A major, Op. 92", 4, "Wiener Philharmoniker", "Beethoven 7 (VPO)"),
    ("Ludwig van Beethoven", "Piano Sonata No. 14, Op. 27 No. 2", 3, "Maurizio Pollini", "Sonatas"),
    ("Ludwig van Beethoven", "Piano Sonata No. 8, Op. 13", 3, "Maurizio Pollini", "Sonatas"),
    ("Johannes Brahms", "Symphony No. 4 in E minor, Op. 98", 4, "Wiener Philharmoniker", "Beethoven 7 (VPO)"),
    ("Gustav Mahler", "Symphony No. 1 in D major", 4, "Berliner Philharmoniker", "Mahler 1 (BPO)"),
    ("Gustav Mahler", "Symphony No. 5", 4, "Berliner Philharmoniker", "Mahler 5 (BPO)"),
    ("Anton Bruckner", "Symphony No. 4", 4, "Berliner Philharmoniker", "Bruckner 4 (BPO)"),
]


def _library(rated=None, works=_WORKS):
    """The works' library; ``rated``: {track id: stars} given in another player."""
    ids, artists, albums, titles, composers, numbers = [], [], [], [], [], []
    for composer, work, count, orchestra, album in works:
        at = sum(1 for a in albums if a == album)
        for m in range(count):
            ids.append(len(ids) + 1)
            artists.append(orchestra)
            albums.append(album)
            titles.append(f"{work}: {_MOVEMENTS[m]}")
            composers.append(composer)
            numbers.append(at + m + 1)
    cat = Catalog.build(track_ids=ids, artists=artists, albums=albums, titles=titles, composers=composers,
                        buckets=["Classical"] * len(ids), durations=[600.0] * len(ids), track_numbers=numbers,
                        ratings=[(rated or {}).get(t) for t in ids])
    return cat, dict(zip(ids, zip(titles, albums, composers)))


def _broken(order, tracks) -> list[str]:
    """The performances whose movements in ``order`` are not together, complete from the first
    one given and in order."""
    seen: dict[str, list[tuple[int, int]]] = {}
    for pos, t in enumerate(order):
        title, album, composer = tracks[t]
        w = work_of(title, composer)
        seen.setdefault(f"{w.key}/{album}", []).append((pos, w.movement))
    out = []
    for name, places in seen.items():
        positions, numbers = [p for p, _ in places], [n for _, n in places]
        if positions != list(range(positions[0], positions[0] + len(places))) or numbers != sorted(numbers):
            out.append(name)
    return out


def _works(order, tracks) -> list[str]:
    keys = [work_of(tracks[t][0], tracks[t][2]).key for t in order]
    return [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]


def test_up_next_suggests_whole_works_in_order_and_one_performance_of_each():
    cat, tracks = _library()
    rec = Recommender(cat)
    ids = list(tracks)
    # The person played Mahler's First through; its last movement is the session's tail.
    session = [t for t in ids if tracks[t][1] == "Mahler 1 (BPO)"]
    got = [t for t, _ in rec.up_next(session, 10)]
    assert len(got) >= 10
    assert _broken(got, tracks) == []
    works = _works(got, tracks)
    assert len(works) == len(set(works))          # no work twice: two orchestras' Fifth are one work
    # each work starts at its first movement
    starts = [t for i, t in enumerate(got) if i == 0 or tracks[got[i - 1]][1:] != tracks[t][1:]
              or work_of(tracks[got[i - 1]][0]).key != work_of(tracks[t][0]).key]
    assert [tracks[t][0].split(": ")[1][:3] for t in starts] == ["I. "] * len(starts)


def test_up_next_after_a_movement_goes_on_with_its_work():
    cat, tracks = _library()
    rec = Recommender(cat)
    ids = list(tracks)
    brahms = [t for t in ids if tracks[t][2] == "Johannes Brahms"]
    got = [t for t, _ in rec.up_next(brahms[:2], 6)]
    assert got[:2] == brahms[2:]
    assert _broken(got, tracks) == []


def test_radio_from_a_movement_plays_its_composer_not_its_orchestras_other_records():
    cat, tracks = _library()
    rec = Recommender(cat)
    ids = list(tracks)
    seed = next(t for t in ids if tracks[t][1] == "Beethoven 5 (BPO)" and ": I. " in tracks[t][0])
    got = [t for t, _ in rec.radio(seed, 10)]
    assert _broken([seed, *got], tracks) == []
    # the seed's work goes on, and the Vienna Fifth, the same work, is not offered
    assert [tracks[t][0] for t in got[:3]] == [tracks[t][0] for t in ids[1:4]]
    assert not any(tracks[t][1] == "Beethoven 5 (VPO)" for t in got)
    # Beethoven's other works (and Brahms, who shares a record with him) come before the Berlin
    # orchestra's Mahler and Bruckner
    composers = [tracks[t][2] for t in got[3:]]
    assert composers[0] in ("Ludwig van Beethoven", "Johannes Brahms")
    assert sum(c in ("Gustav Mahler", "Anton Bruckner") for c in composers[:7]) == 0


def test_a_composer_written_surname_first_on_some_records_is_one_composer_and_one_work():
    # Vienna's records and the sonatas were ripped from a CD database, "Beethoven, Ludwig
    # van"; Berlin's from MusicBrainz, "Ludwig van Beethoven". Radio from Berlin's Fifth
    # offered Vienna's Fifth (another work, by another composer), and Mahler and Bruckner
    # (Berlin's) before Beethoven's own sonatas.
    inverted = [("Beethoven, Ludwig van" if composer.endswith("Beethoven") and orchestra != "Berliner Philharmoniker"
                 else composer, work, count, orchestra, album) for composer, work, count, orchestra, album in _WORKS]
    cat, tracks = _library(works=inverted)
    rec = Recommender(cat)
    ids = list(tracks)
    seed = next(t for t in ids if tracks[t][1] == "Beethoven 5 (BPO)" and ": I. " in tracks[t][0])
    got = [t for t, _ in rec.radio(seed, 10)]
    assert [tracks[t][0] for t in got[:3]] == [tracks[t][0] for t in ids[1:4]]
    assert not any(tracks[t][1] == "Beethoven 5 (VPO)" for t in got)
    composers = [tracks[t][2] for t in got[3:]]
    assert sum(c in ("Gustav Mahler", "Anton Bruckner") for c in composers[:7]) == 0
    assert work_of("Symphony No. 5: I. Allegro", "Beethoven, Ludwig van") == \
        work_of("Symphony No. 5: I. Allegro", "Ludwig van Beethoven")


def test_a_library_of_songs_has_no_works_and_its_picks_are_untouched():
    cat = Catalog.build(track_ids=[1, 2, 3], artists=["A", "B", "C"], titles=["Live: Side A", "Hey", "Intro: Part 1"])
    assert cat.work is None and cat.composer is None
    assert np.array_equal(cat.track_ids, [1, 2, 3])


def _roman(n: int) -> str:
    out = ""
    for v, s in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + s, n - v
    return out


def test_a_pop_song_with_a_grouping_or_a_songs_own_work_keeps_its_title():
    # iTunes' grouping holds moods and playlists on pop ("Summer 2019"), and Picard writes a
    # song's own work ("Yesterday"): none of them is a work the song is a movement of, and
    # the player names what plays by its tag's title, "Part II" and "Chapter II:" included.
    from segue_common.works import composer_key, headed, work_name

    for title, tags in [("Another Brick in the Wall, Part II", {"grouping": "Summer 2019"}),
                        ("Chapter II: The Return", {"grouping": "Road trip"}),
                        ("Part II - Live", {"grouping": "Favourites"}),
                        ("Yesterday - Remastered 2009", {"work": "Yesterday"}),
                        ("Sunny Day", {"grouping": "Summer 2019", "movement_name": "Live"})]:
        named = work_name(title, **tags)
        assert named is None or headed(title, named) == title, title
    assert headed("Allegro con brio", work_name("Allegro con brio", work="Symphony No. 3", movement=1)) == \
        "Symphony No. 3: Allegro con brio"
    # Names of bands and of several writers are no "Surname, Given": each stays one key of its own
    keys = [composer_key(n) for n in ("Earth, Wind & Fire", "Crosby, Stills & Nash", "Crosby, Stills, Nash & Young",
                                      "Lennon, McCartney", "McCartney, Lennon", "Mozart; S\u00fcssmayr")]
    assert len(set(keys)) == len(keys) and keys[0] == composer_key("Earth Wind & Fire")
    assert composer_key("Bach, J.S.") == composer_key("J.S. Bach")


def test_a_long_work_is_offered_piece_by_piece_not_all_from_one_pick():
    """Bach's Goldberg Variations in 32 tracks: one pick, or its first variations heard, must
    not fill Up next with an hour of one work; a symphony still comes whole."""
    from recommender.whole_works import WHOLE_WORK_MOST

    ids, titles, albums = [], [], []
    for m in range(1, 33):
        ids.append(len(ids) + 1)
        titles.append(f"Goldberg Variations, BWV 988: {_roman(m)}. Variatio {m}")
        albums.append("Goldberg (Gould)")
    for m in range(1, 5):
        ids.append(len(ids) + 1)
        titles.append(f"Cello Suite No. 1, BWV 1007: {_roman(m)}. Dance")
        albums.append("Cello Suites")
    cat = Catalog.build(track_ids=ids, artists=["Glenn Gould"] * 32 + ["Yo-Yo Ma"] * 4, albums=albums, titles=titles,
                        composers=["Johann Sebastian Bach"] * len(ids), buckets=["Classical"] * len(ids),
                        durations=[120.0] * len(ids), track_numbers=list(range(1, 33)) + [1, 2, 3, 4])
    rec = Recommender(cat)
    for session in (ids[:2], ids[32:]):         # two variations heard; the suite heard through
        got = [t for t, _ in rec.up_next(session, 4)]
        assert 0 < len(got) <= 4 + WHOLE_WORK_MOST
        assert not set(got) & set(session)
    # the suite, picked after a variation, still comes whole and in order
    got = [t for t, _ in rec.up_next([ids[0]], 6)]
    if set(got) & set(ids[32:]):
        at = got.index(ids[32])
        assert got[at:at + 4] == ids[32:]


def test_a_movement_rated_one_star_is_left_out_of_its_work_as_a_never_suggested_one_is():
    """The work a pick brings, and the work the session is in, come whole but for a movement the
    person gave one star elsewhere and has not played here: its star keeps it out of every
    suggestion, and a work brought whole around it must not put it back."""
    _, tracks = _library()
    ids = list(tracks)
    brahms = [t for t in ids if tracks[t][2] == "Johannes Brahms"]
    fifth = [t for t in ids if tracks[t][1] == "Beethoven 5 (BPO)"]
    hated = {brahms[2], fifth[2]}
    cat, _ = _library({t: 1 for t in hated})
    rec = Recommender(cat)
    got = [t for t, _ in rec.up_next(brahms[:2], 6)]
    assert got[0] == brahms[3] and brahms[2] not in got
    got = [t for t, _ in rec.radio(fifth[0], 10)]
    assert got[:2] == [fifth[1], fifth[3]] and not hated & set(got)


def test_a_movement_named_by_a_superscript_or_circled_numeral_is_read_without_failing():
    # "²" and "①" pass str.isdigit() and fail int(): a movement tag written so raised in the
    # library's load, which reads every movement's work, and in the store's work search.
    from segue_common.works import work_name, work_of

    for odd in ("①", "²", "③/4", "٣"):
        assert work_name("Adagio", work="Symphony", movement_name=odd) == "Symphony"
        assert work_name("Adagio", work="Symphony", movement=odd) == "Symphony"
        assert work_of("Adagio", "Composer", work="Symphony", movement=odd) is not None
    assert work_of("Adagio", "Composer", work="Symphony", movement="٣").movement == 3     # (Arabic-Indic 3)
