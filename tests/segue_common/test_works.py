"""Which tracks are movements of a classical work, and which movement."""

from __future__ import annotations

import pytest

from segue_common.works import roman, work_of

BEETHOVEN = "Ludwig van Beethoven"


@pytest.mark.parametrize("title,work,movement", [
    ("Symphony No. 5 in C minor, Op. 67: I. Allegro con brio", "symphony no 5 in c minor op 67", 1),
    ("Symphony No. 5 in C minor, Op. 67 - IV. Allegro", "symphony no 5 in c minor op 67", 4),
    ("Piano Sonata No. 14 \u2013 III. Presto agitato", "piano sonata no 14", 3),
    ("Cello Suite No. 1 in G major, BWV 1007: VI. Gigue", "cello suite no 1 in g major bwv 1007", 6),
])
def test_the_titles_shape_names_the_work_and_its_movement(title, work, movement):
    w = work_of(title, BEETHOVEN)
    assert w is not None and w.key.split("\x1f") == ["ludwig van beethoven", work] and w.movement == movement


@pytest.mark.parametrize("title", ["Hey Jude", "Live: Side A", "Interlude: Part 1", "Song - Remastered 2011",
                                   "Track: IIII. Four", "Blur - 2. Song", "Intro: I"])
def test_a_song_is_no_work(title):
    assert work_of(title, "Someone") is None


def test_two_performances_of_one_work_are_one_work():
    a = work_of("Symphony No. 5 in C minor, Op. 67: I. Allegro con brio", BEETHOVEN, artist="Berliner Philharmoniker")
    b = work_of("Symphony No. 5 in C minor, Op. 67 - II. Andante con moto", BEETHOVEN,
                artist="Wiener Philharmoniker")
    assert a.key == b.key and (a.movement, b.movement) == (1, 2)


def test_the_tags_name_the_work_first():
    assert work_of("Allegro con brio", BEETHOVEN, work="Symphony No. 5", movement="1/4").movement == 1
    assert work_of("Andante", BEETHOVEN, work="Symphony No. 5", movement_name="II. Andante").movement == 2
    # a grouping is a work only with a movement beside it, or a title that begins with it
    assert work_of("Andante", BEETHOVEN, grouping="Symphony No. 5", movement="2").key.endswith("symphony no 5")
    assert work_of("Symphony No. 5: III. Scherzo", BEETHOVEN, grouping="Symphony No. 5").movement == 3
    assert work_of("Party Song", "X", grouping="Party") is None
    assert work_of("Summer hit", "X", grouping="Summer") is None


def test_roman_numerals():
    assert [roman(s) for s in ("I", "IV", "IX", "XIV", "IIII", "VX", "")] == [1, 4, 9, 14, None, None, None]


def test_a_work_tag_naming_the_movement_or_the_song_itself():
    """MusicBrainz Picard writes WORK for every recording: a movement's is the movement's own
    work ("Symphony No. 5: I. Allegro"), which makes one work of its symphony; a song's is the
    song ("Yesterday"), which is no movement of anything."""
    work = "Symphony No. 5 in C minor, Op. 67"
    a = work_of("Allegro con brio", BEETHOVEN, work=f"{work}: I. Allegro con brio")
    b = work_of(f"{work}: II. Andante con moto", BEETHOVEN, work=f"{work}: II. Andante con moto")
    assert a.key == b.key and (a.movement, b.movement) == (1, 2)
    assert work_of("Yesterday", "Paul McCartney", work="Yesterday") is None
    assert work_of("Yesterday - Remastered 2009", "Paul McCartney", work="Yesterday") is None
    # (an opera's numbers name no movement and keep their work)
    assert work_of("Libiamo ne' lieti calici", "Giuseppe Verdi", work="La traviata") is not None
