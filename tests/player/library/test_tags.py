import pytest

from player.library.tags import TagReadError, read_tags
from tests.audiogen import FORMATS, write_track

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
    with pytest.raises(TagReadError):
        read_tags(str(path))
