"""The shared people's listening logs (``person time time_is ...``), plain or gzipped."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import numpy as np
import pytest

from recommender.research.datasets import DEFAULT_DATA_ROOT
from recommender.research.logs import LogFormatError, last_plays, load_log_file, podcast_shows

PEOPLE = DEFAULT_DATA_ROOT / "listening_logs"
HEADER = "person\ttime\ttime_is\tartist\ttrack\talbum\tms_played\tskipped\treason_end"


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()


def _write(path, rows, *, gz=False):
    text = "\n".join([HEADER] + ["\t".join(r) for r in rows]) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


SPOTIFY = [  # person, end time, "end", artist, track, album, ms_played, skipped, reason
    ("p1", "2023-01-01T10:04:00Z", "end", "Band", "One", "", "240000", "", ""),
    ("p1", "2023-01-01T10:04:20Z", "end", "Band", "Two", "", "20000", "", ""),        # heard 20 s: a skip
    ("p1", "2023-01-01T10:08:20Z", "end", "Other", "Three", "", "240000", "", ""),
    ("p1", "2023-01-01T11:00:00Z", "end", "Long Talk", "Episode 1", "", "2400000", "", ""),   # a podcast
    ("p1", "2023-01-01T11:30:00Z", "end", "Long Talk", "Episode 2", "", "1800000", "", ""),
    ("p1", "2023-01-01T11:31:00Z", "end", "Band", "One", "", "60000", "true", "fwdbtn"),   # marked skipped
]


@pytest.mark.parametrize("gz", [False, True])
def test_spotify_rows_start_when_they_ended_minus_what_was_heard(tmp_path, gz):
    log = load_log_file(_write(tmp_path / ("p1.tsv.gz" if gz else "p1.tsv"), SPOTIFY, gz=gz))
    assert log.person == "p1" and log.podcasts == 2 and len(log) == 4
    starts = [_ts("2023-01-01T10:00:00Z"), _ts("2023-01-01T10:04:00Z"), _ts("2023-01-01T10:04:20Z"),
              _ts("2023-01-01T11:30:00Z")]
    assert log.times.tolist() == starts
    assert log.skipped.tolist() == [False, True, False, True]
    assert log.ms_played.tolist() == [240000, 20000, 240000, 60000]
    assert log.items.tolist() == [0, 1, 2, 0] and log.n_listened == 2
    assert log.artists == ["band", "other"] and log.item_artist.tolist() == [0, 0, 1]


def test_end_times_can_reorder_plays(tmp_path):
    """A long play that ended after a short one started before it."""
    rows = [("p2", "2023-01-01T10:10:00Z", "end", "A", "short", "", "60000", "", ""),
            ("p2", "2023-01-01T10:11:00Z", "end", "B", "long", "", "540000", "", "")]
    log = load_log_file(_write(tmp_path / "p2.tsv", rows))
    assert log.keys[log.items[0]].endswith("long") and np.all(np.diff(log.times) >= 0)


def test_lastfm_rows_are_starts_and_never_skips(tmp_path):
    rows = [("p3", "2022-05-10T08:10:00Z", "start", "gitarakuru", "sevenn", "sevenn", "", "", ""),
            ("p3", "2022-05-10T08:11:00Z", "start", "Kid Trash", "EXOTIC", "", "", "", ""),
            ("p3", "2022-05-10T08:13:00Z", "start", "", "no artist", "", "", "", "")]
    log = load_log_file(_write(tmp_path / "p3.tsv", rows))
    assert log.times.tolist() == [_ts("2022-05-10T08:10:00Z"), _ts("2022-05-10T08:11:00Z")]
    assert not log.skipped.any() and np.isnan(log.ms_played).all()
    assert log.dropped == 1 and log.podcasts == 0 and log.item_album == ["sevenn", None]


def test_the_last_listened_plays_keep_their_skips_and_renumber_items(tmp_path):
    log = load_log_file(_write(tmp_path / "p1.tsv", SPOTIFY), last_listened=1)
    # The last listened play is "Three"; the marked skip after it stays.
    assert len(log) == 2 and log.n_listened == 1 and log.skipped.tolist() == [False, True]
    assert log.items.tolist() == [0, 1] and log.keys[0].endswith("three")
    assert len(last_plays(log, 5)) == 2


def test_podcast_shows_by_name_or_by_length():
    rows = [("Talk Podcast", 200_000.0), ("Hour Show", 3_000_000.0), ("Hour Show", 10_000.0),
            ("Hour Show", 900_000.0), ("Song Band", 250_000.0), ("Song Band", 700_000.0), ("Song Band", 200_000.0)]
    assert podcast_shows(rows) == {"Talk Podcast", "Hour Show"}


def test_unreadable_people_logs_say_why(tmp_path):
    short = tmp_path / "short.tsv"
    short.write_text(HEADER + "\np1\t2023-01-01T10:00:00Z\tend\n", encoding="utf-8")
    with pytest.raises(LogFormatError, match="fewer than"):
        load_log_file(short)
    no_ms = _write(tmp_path / "noms.tsv", [("p1", "2023-01-01T10:00:00Z", "end", "A", "b", "", "", "", "")])
    with pytest.raises(LogFormatError, match="ms_played"):
        load_log_file(no_ms)
    broken = tmp_path / "broken.tsv.gz"
    broken.write_bytes(gzip.compress(b"x" * 100)[:20])
    with pytest.raises(LogFormatError):
        load_log_file(broken)


@pytest.mark.skipif(not PEOPLE.exists(), reason="shared data absent")
def test_the_shared_people_logs_read():
    files = sorted(PEOPLE.glob("*.tsv.gz"))
    assert len(files) == 21
    spotify = load_log_file(PEOPLE / "pdf3e01.tsv.gz", last_listened=5000)
    assert spotify.person == "pdf3e01" and spotify.n_listened == 5000 and spotify.skipped.any()
    assert spotify.podcasts > 100 and np.all(np.diff(spotify.times) >= 0)
