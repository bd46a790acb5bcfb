import os
import shlex
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from player.library.identity import COUNTED_BEFORE_MTIME, ESTIMATED_MTIME
from player.library.scanner import Scanner, copy_of_missing
from tests import unprivileged
from tests.audiogen import (FORMATS, encoder_installed, ffmpeg_encodes, path_without_ffmpeg, step_frequency,
                            stepped_encoded, stepped_samples, stepped_tone, write_dff, write_dsf, write_shorten,
                            write_tags, write_tak, write_track)

ROOT = Path(__file__).resolve().parents[3]


def _bump_mtime(path, seconds=5):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def _permissions_apply() -> list[str]:
    """What to run a command with so that file permissions apply to it, as to a user (see
    :mod:`tests.unprivileged`); the test is skipped where nothing can."""
    prefix = unprivileged.prefix()
    if prefix is None:
        pytest.skip(unprivileged.SKIP_REASON)
    return prefix


def _scan_locked(prefix: list[str], locked, mode: int) -> subprocess.CompletedProcess:
    """``segue scan`` of the library while ``locked`` cannot be read (``prefix``: see
    :func:`_permissions_apply`); ``mode`` is given back to it afterwards."""
    os.chmod(locked, 0)
    try:
        return subprocess.run([*prefix, sys.executable, "-m", "player", "scan"], cwd=ROOT, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.chmod(locked, mode)


@pytest.fixture(scope="module")
def _songs_made(tmp_path_factory):
    """One song of each format, encoded and tagged once for the module (Opus and MP3 the
    slowest); each test gets copies of its own."""
    folder = tmp_path_factory.mktemp("songs-made")
    return [write_track(folder, f"{i:02d} song {fmt}", fmt=fmt, seconds=1.0 + i * 0.25,
                        tags={"title": f"Song {fmt}", "artist": "Artist", "album": "Album",
                              "tracknumber": str(i + 1), "genre": "Rock"})
            for i, fmt in enumerate(sorted(FORMATS))]


@pytest.fixture
def library(tmp_path, _songs_made):
    root = tmp_path / "music"
    (root / "Artist" / "Album").mkdir(parents=True)
    for path in _songs_made:            # in the order they were written, with the time of the copy
        shutil.copyfile(path, root / "Artist" / "Album" / path.name)
    broken = root / "broken"
    broken.mkdir()
    (broken / "zero.mp3").write_bytes(b"")
    (broken / "garbage.mp3").write_bytes(os.urandom(256) * 4)
    good = write_track(broken, "truncated", fmt="flac", tags={"title": "T"})
    good.write_bytes(good.read_bytes()[:40])
    (root / "cover.jpg").write_bytes(b"\xff\xd8not audio")  # ignored: not an audio extension
    return root


def test_first_scan_reads_every_format_and_records_broken_files(store, library):
    progress = []
    result = Scanner(store, progress=progress.append).scan([str(library)])
    assert result.read == len(FORMATS)
    assert result.errors == 3
    assert {os.path.basename(p) for p, _ in result.error_paths} == {"zero.mp3", "garbage.mp3", "truncated.flac"}
    assert progress[-1].finished and progress[-1].done == len(FORMATS) + 3
    tracks = store.tracks()
    assert sorted(t["codec"] for t in tracks) == sorted(["aiff", "flac", "mp3", "opus", "vorbis", "wav"])
    assert [t["track_no"] for t in tracks] == list(range(1, len(FORMATS) + 1))
    errors = store.track_errors()
    assert len(errors) == 3 and all(e["last_error"] for e in errors)
    assert store.library_counts()["tracks"] == len(FORMATS)


def test_progress_knows_the_total_before_reading(store, library):
    seen = []
    Scanner(store, progress=lambda p: seen.append((p.done, p.total)), progress_interval_s=0).scan([str(library)])
    reading = [(done, total) for done, total in seen if total]
    assert reading[0] == (0, len(FORMATS) + 3)                 # listed first: "0 of 9" before any is read
    assert reading[-1] == (len(FORMATS) + 3, len(FORMATS) + 3)
    assert all(done <= total for done, total in reading)


def test_rescan_of_unchanged_library_reopens_nothing(store, library):
    Scanner(store).scan([str(library)])
    before = {t["path"]: tuple(t) for t in store.tracks(include_errors=True)}
    result = Scanner(store).scan()
    assert result.read == 0 and result.errors == 0
    assert result.unchanged == len(FORMATS) + 3  # broken files are not retried either
    after = {t["path"]: tuple(t) for t in store.tracks(include_errors=True)}
    assert before == after


def test_a_newer_tag_reader_reads_unchanged_files_again_keeping_their_history(store, library):
    # A library scanned by an older Segue, whose reader missed the MP3's title (as it missed
    # an APEv2 tag at an MP3's end): the files have not changed, but the next scan reads them
    # again, once, and each stays the track it was, with its plays and its analysis.
    from player.library import reader_version

    Scanner(store).scan([str(library)])
    assert [f["tag_reader"] for f in store.folders()] == [reader_version.READER_VERSION]
    mp3 = next(t for t in store.tracks() if t["codec"] == "mp3")
    play = store.start_play(mp3["id"])
    store.end_play(play, "finished", 1000)
    store.save_features([{"track_id": mp3["id"], "model_version": "test", "bucket": "rock",
                          "embedding": np.ones(8, np.float32)}])
    ids = {t["path"]: t["id"] for t in store.tracks(include_errors=True)}
    store.execute("UPDATE tracks SET title = NULL WHERE codec = 'mp3'")
    store.execute("UPDATE folders SET tag_reader = 0")

    result = Scanner(store).scan()
    assert result.reread == result.done == len(FORMATS) + 3 and result.unchanged == 0
    assert (result.read, result.errors, result.missing, result.moved) == (len(FORMATS), 3, 0, 0)
    assert store.track(mp3["id"])["title"] == "Song mp3"
    assert {t["path"]: t["id"] for t in store.tracks(include_errors=True)} == ids
    assert [p["track_id"] for p in store.plays()] == [mp3["id"]]
    assert store.execute("SELECT count(*) FROM track_features WHERE track_id = ?", (mp3["id"],)).fetchone()[0] == 1
    again = Scanner(store).scan()
    assert (again.reread, again.read, again.unchanged) == (0, 0, len(FORMATS) + 3)


def test_a_reader_change_to_one_file_type_reads_only_those_files_again(store, library, monkeypatch):
    from player.library import reader_version

    Scanner(store).scan([str(library)])
    monkeypatch.setattr(reader_version, "READER_VERSION", reader_version.READER_VERSION + 1)
    monkeypatch.setitem(reader_version.READER_CHANGES, reader_version.READER_VERSION, frozenset({".mp3"}))
    result = Scanner(store).scan()
    mp3s = [p for p in store.tracks(include_errors=True) if p["path"].endswith(".mp3")]
    assert len(mp3s) == 3 and result.reread == 3                  # the good MP3 and the two broken ones
    assert (result.read, result.errors, result.unchanged) == (1, 2, len(FORMATS))
    assert [f["tag_reader"] for f in store.folders()] == [reader_version.READER_VERSION]
    assert Scanner(store).scan().reread == 0


def test_dsd_files_scanned_before_the_id3_reading_changed_are_read_again(store, tmp_path):
    """DSF and DSDIFF files both keep their tags in an ID3 tag, read alike. The reader's
    later changes to ID3 frames (reader 18: UTF-8 cut inside its last character in a frame that
    says Latin-1, as an ID3v1-minded tagger cuts it) named DSF files to read again, not DSDIFF
    ones: a library scanned before kept a .dff album's names garbled, as the older reader
    read them, until its files changed."""
    from mutagen import id3
    from mutagen.dsdiff import DSDIFF
    from mutagen.dsf import DSF

    cut = "Группа крови".encode()[:-1]                 # (cut inside "и")
    music = tmp_path / "music"
    for path, kind in ((write_dff(music / "a.dff", 0.25), DSDIFF), (write_dsf(music / "b.dsf", 0.25), DSF)):
        audio = kind(str(path))
        audio.add_tags()
        audio.tags.add(id3.TIT2(encoding=id3.Encoding.LATIN1, text=[cut.decode("latin-1")]))
        audio.save(v2_version=3)
    Scanner(store).scan([str(music)])
    assert {t["title"] for t in store.tracks()} == {"Группа кров"}
    # as a reader from before that change (17) left them: the bytes as Latin-1 says
    store.execute("UPDATE tracks SET title = ?", (cut.decode("latin-1"),))
    store.execute("UPDATE folders SET tag_reader = 17")

    result = Scanner(store).scan()
    assert (result.reread, result.read, result.errors) == (2, 2, 0)
    assert {Path(t["path"]).name: t["title"] for t in store.tracks()} == {"a.dff": "Группа кров",
                                                                         "b.dsf": "Группа кров"}

    # A folder scanned by reader 18 itself, whose lists lacked DSDIFF, reads its .dff files again too.
    store.execute("UPDATE tracks SET title = ?", (cut.decode("latin-1"),))
    store.execute("UPDATE folders SET tag_reader = 18")
    result = Scanner(store).scan()
    assert {Path(t["path"]).name: t["title"] for t in store.tracks()}["a.dff"] == "Группа кров"



@pytest.mark.parametrize("ext", ["w64", "au", "caf", "ac3", "dts"])
def test_files_behind_an_id3_tag_scanned_before_the_id3_reading_changed_are_read_again(store, tmp_path, ext):
    """A Wave64, AU, CAF, AC-3 or DTS file with an ID3v2 tag in front (as some taggers write
    one to any file) is read by the same ID3 reader as an MP3 or a WAV, but the reader's
    changes to ID3 frames (reader 18: UTF-8 cut inside its last character in a frame that says
    Latin-1) named only the other types: a library scanned before kept such a file's names
    garbled, as the older reader read them, until the file changed."""
    import soundfile as sf
    from mutagen import id3

    music = tmp_path / "music"
    music.mkdir()
    path = music / f"song.{ext}"
    sound = np.repeat(stepped_samples(1, 44100, 1), 2, axis=1)
    if ext in ("ac3", "dts"):
        if not ffmpeg_encodes({"ac3": "ac3", "dts": "dca"}[ext]):
            pytest.skip(f"ffmpeg does not encode {ext}")
        wav = tmp_path / "source.wav"
        sf.write(str(wav), sound, 44100, subtype="PCM_16")
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(wav), "-strict", "-2", str(path)], check=True)
    else:
        sf.write(str(path), sound, 44100, subtype="PCM_16", format=ext.upper())
    cut = "Группа крови".encode()[:-1]                 # (cut inside "и")
    tag = id3.ID3()
    tag.add(id3.TIT2(encoding=id3.Encoding.LATIN1, text=[cut.decode("latin-1")]))
    tag.save(str(tmp_path / "tag.id3"), v2_version=3)
    path.write_bytes((tmp_path / "tag.id3").read_bytes() + path.read_bytes())
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    assert track["title"] == "Группа кров" and track["duration"] == pytest.approx(1.0, abs=0.05)
    # as the reader before that change left it (the bytes as Latin-1 says), in a folder
    # scanned since by the reader whose lists lacked these types
    store.execute("UPDATE tracks SET title = ?", (cut.decode("latin-1"),))
    store.execute("UPDATE folders SET tag_reader = 20")

    result = Scanner(store).scan()
    assert (result.reread, result.read, result.errors) == (1, 1, 0)
    assert store.track(track["id"])["title"] == "Группа кров"


def test_an_empty_opus_file_listed_by_an_older_reader_as_cut_short_says_it_holds_no_audio(store, tmp_path):
    """An Opus file libsndfile closed with no sample given (its header pages alone) was listed
    as "damaged Opus file: it ends early (a copy or download that did not finish?)" by the
    readers up to 19. The reader says it holds no audio now, but an unchanged file is not read
    again unless a reader change names its type: the old error row kept sending the person
    looking for a whole copy."""
    import soundfile as sf

    if "OPUS" not in sf.available_subtypes("OGG"):
        pytest.skip("this libsndfile writes no Opus")
    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "empty.opus", np.zeros((0, 2), np.float32), 48000, format="OGG", subtype="OPUS")
    Scanner(store).scan([str(music)])
    # as reader 19 listed it
    store.execute("UPDATE tracks SET last_error = ?",
                  ("damaged Opus file: it ends early (a copy or download that did not finish?)",))
    store.execute("UPDATE folders SET tag_reader = 19")

    assert Scanner(store).scan().reread == 1
    assert [e["last_error"] for e in store.track_errors()] == ["no audio in file (length 0)"]

def test_an_unchanged_file_the_newer_reader_cannot_open_keeps_its_tags(store, tmp_path):
    # The one read again after an update meets a file it cannot open this time (a share
    # answering with errors, a permission lost for a while): the tags read before stay. Stored
    # as a problem file, the track left the library with its tags gone, and as the folder
    # counted as read, nothing read it again while the file was unchanged.
    prefix = _permissions_apply()
    root = tmp_path / "music"
    locked = write_track(root, "locked", fmt="flac", tags={"title": "Locked", "artist": "A", "album": "B"})
    write_track(root, "open", fmt="flac", tags={"title": "Open", "artist": "A", "album": "B"})
    Scanner(store).scan([str(root)])
    store.execute("UPDATE folders SET tag_reader = 0")

    out = _scan_locked(prefix, locked, 0o644)
    assert out.returncode == 0, out.stderr
    assert sorted((t["title"], t["album"]) for t in store.tracks()) == [("Locked", "B"), ("Open", "B")]
    assert store.track_errors() == []
    assert "1 unchanged files were read again" in out.stdout            # the one that could be read
    # Its permissions given back moved its status-change time: read once more, it holds what
    # its track has, and nothing changes.
    again = Scanner(store).scan()
    assert again.unchanged + again.same == 2 and again.read == again.same
    assert Scanner(store).scan().unchanged == 2
    assert sorted(t["title"] for t in store.tracks()) == ["Locked", "Open"]


def test_a_folder_that_could_not_be_listed_is_read_again_by_the_next_scan(store, tmp_path):
    # After an update every unchanged file is read again once. A folder the scan could not
    # look into then (a permission lost, a share answering with errors) had none of its files
    # read, but counted as read by the new reader: they kept the older reader's tags for good.
    prefix = _permissions_apply()
    root = tmp_path / "music"
    write_track(root / "Locked", "a", fmt="flac", tags={"title": "Locked", "artist": "A"})
    write_track(root / "Open", "b", fmt="flac", tags={"title": "Open", "artist": "A"})
    Scanner(store).scan([str(root)])
    store.execute("UPDATE tracks SET title = NULL")          # what an older reader missed
    store.execute("UPDATE folders SET tag_reader = 0")
    out = _scan_locked(prefix, root / "Locked", 0o755)
    assert out.returncode == 0, out.stderr
    assert "cannot read folder" in out.stdout
    assert sorted(str(t["title"]) for t in store.tracks()) == ["None", "Open"]
    result = Scanner(store).scan()
    assert result.reread == 2 and result.errors == 0
    assert sorted(t["title"] for t in store.tracks()) == ["Locked", "Open"]
    assert Scanner(store).scan().reread == 0
    # A folder that holds no track, and that no scan can look into (a drive's lost+found):
    # it holds nothing back, or every scan would read the whole folder again.
    store.execute("UPDATE folders SET tag_reader = 0")
    (root / "lost+found").mkdir()
    out = _scan_locked(prefix, root / "lost+found", 0o755)
    assert out.returncode == 0 and "cannot read folder" in out.stdout, out.stdout + out.stderr
    assert Scanner(store).scan().reread == 0


def test_an_unchanged_file_the_newer_reader_fails_on_keeps_its_tags(store, tmp_path, monkeypatch):
    # A fault of the newer reader itself (an exception it does not turn into a reading error)
    # costs a file read again after an update nothing: it stays the track it was. A new file
    # it fails on is an error row, as before.
    from player.library import scanner

    root = tmp_path / "music"
    kept = write_track(root, "kept", fmt="flac", tags={"title": "Kept", "artist": "A"})
    Scanner(store).scan([str(root)])
    store.execute("UPDATE folders SET tag_reader = 0")
    new = write_track(root, "new", fmt="flac", tags={"title": "New", "artist": "A"})
    real = scanner.read_tags

    def faulty(path, **kw):
        if path in (str(kept), str(new)):
            raise RuntimeError("a fault of the reader")
        return real(path, **kw)

    monkeypatch.setattr(scanner, "read_tags", faulty)
    result = Scanner(store).scan()
    assert [t["title"] for t in store.tracks()] == ["Kept"]
    assert [os.path.basename(e["path"]) for e in store.track_errors()] == ["new.flac"]
    assert (result.unchanged, result.errors) == (1, 1)


def test_edited_tag_is_picked_up(store, library):
    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.flac"))
    write_tags(path, title="Renamed")
    _bump_mtime(path)
    result = Scanner(store).scan()
    assert result.read == 1
    assert store.track_by_path(str(path))["title"] == "Renamed"


def test_fixed_broken_file_is_read_again(store, library):
    Scanner(store).scan([str(library)])
    broken = library / "broken" / "zero.mp3"
    write_track(library / "broken", "zero", fmt="mp3", tags={"title": "Fixed", "artist": "A"})
    _bump_mtime(broken)
    Scanner(store).scan()
    row = store.track_by_path(str(broken))
    assert row["last_error"] is None and row["title"] == "Fixed"


def test_known_file_unreadable_keeps_what_it_had_until_it_reads_again(store, library):
    """A played track whose file cannot be read now (a download overwritten half-way) keeps
    its names and facts: only its file's and its error change. It is no song to play, and
    reads afresh when the file is whole again."""
    from player.store.tracks import TRACK_FIELDS

    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.flac"))
    whole = path.read_bytes()
    before = store.track_by_path(str(path))
    store.end_play(store.start_play(before["id"]), "finished", 1000)
    path.write_bytes(whole[:40])
    _bump_mtime(path)
    assert Scanner(store).scan().errors == 1
    row = store.track_by_path(str(path))
    assert row["id"] == before["id"] and row["last_error"] and row["size"] == 40
    kept = [f for f in TRACK_FIELDS if f not in ("size", "mtime_ns", "ctime_ns", "last_error")]
    assert {f: row[f] for f in kept} == {f: before[f] for f in kept}
    assert row["title"] == "Song flac" and row["duration"] > 0
    assert store.gone_played_tags() == {before["id"]: ("Artist", "Rock", str(path))}
    assert before["id"] in {r["id"] for r in store.track_errors()}
    assert before["id"] not in {t["id"] for t in store.tracks()}
    assert str(path) not in {r[0] for r in store.library_rows(["path"], plain=True)}
    assert Scanner(store).scan().read == 0          # not read again while it stays as it is
    path.write_bytes(whole)
    _bump_mtime(path, 10)
    result = Scanner(store).scan()
    assert (result.read, result.same) == (1, 0)     # back in the library: a change, though its tags are the same
    row = store.track_by_path(str(path))
    assert row["last_error"] is None and {f: row[f] for f in kept} == {f: before[f] for f in kept}
    assert store.gone_played_tags() == {}
    path.write_bytes(whole[:40])                    # and once more, read afresh when whole
    _bump_mtime(path, 15)
    Scanner(store).scan()
    path.write_bytes(whole)
    write_tags(path, title="Whole again")
    _bump_mtime(path, 20)
    Scanner(store).scan()
    row = store.track_by_path(str(path))
    assert row["id"] == before["id"] and row["last_error"] is None and row["title"] == "Whole again"


def test_deleted_file_is_flagged_missing_keeps_plays_and_comes_back(store, library, tmp_path):
    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.ogg"))
    tid = store.track_by_path(str(path))["id"]
    store.end_play(store.start_play(tid), "finished", 1000)
    saved = tmp_path / "saved.ogg"
    shutil.move(path, saved)
    result = Scanner(store).scan()
    assert result.missing == 1
    assert store.track(tid)["missing"] == 1
    assert tid not in {t["id"] for t in store.tracks()}
    shutil.move(saved, path)
    Scanner(store).scan()
    assert store.track(tid)["missing"] == 0
    assert store.track_by_path(str(path))["id"] == tid
    assert [p["track_id"] for p in store.plays()] == [tid]


def test_moved_file_keeps_its_history(store, library):
    Scanner(store).scan([str(library)])
    path = next((library / "Artist").rglob("*.mp3"))
    tid = store.track_by_path(str(path))["id"]
    store.end_play(store.start_play(tid), "finished", 1000)
    new_path = library / "Elsewhere" / "moved.mp3"
    new_path.parent.mkdir()
    shutil.move(path, new_path)
    result = Scanner(store).scan()
    assert result.moved == 1 and result.missing == 0          # moved, not gone
    row = store.track_by_path(str(new_path))
    assert row["id"] == tid and row["missing"] == 0
    assert store.track_by_path(str(path)) is None
    assert [p["track_id"] for p in store.plays()] == [tid]


def test_different_song_with_same_name_is_not_taken_for_a_move(store, tmp_path):
    root = tmp_path / "m"
    a = write_track(root, "a", fmt="flac", seconds=1.0, tags={"title": "Intro", "artist": "X"})
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(a))["id"]
    a.unlink()
    b = write_track(root, "b", fmt="flac", seconds=3.0, tags={"title": "Intro", "artist": "X"})
    result = Scanner(store).scan()
    assert result.moved == 0
    assert store.track_by_path(str(b))["id"] != old_id


def test_cancel_stops_the_scan(store, library):
    scanner = Scanner(store, progress=lambda p: scanner.cancel(), progress_interval_s=0)
    from player.library.scanner import ScanCancelled

    with pytest.raises(ScanCancelled):
        scanner.scan([str(library)])


def test_symlinked_folders_are_followed_once_and_loops_do_not_hang(store, tmp_path):
    outside = tmp_path / "other-disk"
    write_track(outside, "linked", fmt="flac", tags={"title": "Linked", "artist": "L"})
    root = tmp_path / "music"
    write_track(root, "local", fmt="flac", tags={"title": "Local", "artist": "L"})
    (root / "from-other-disk").symlink_to(outside, target_is_directory=True)
    (outside / "loop").symlink_to(root, target_is_directory=True)
    result = Scanner(store).scan([str(root)])
    titles = sorted(t["title"] for t in store.tracks())
    assert titles == ["Linked", "Local"]
    assert result.errors == 0


def test_hidden_files_and_resource_forks_are_ignored(store, tmp_path):
    root = tmp_path / "music"
    write_track(root, "song", fmt="mp3", tags={"title": "Song", "artist": "A"})
    (root / "._song.mp3").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    write_track(root / ".trash", "deleted", fmt="mp3")
    result = Scanner(store).scan([str(root)])
    assert result.seen == 1 and result.errors == 0


def test_an_album_or_song_whose_title_begins_with_an_ellipsis_is_scanned_not_taken_for_hidden(store, tmp_path):
    # "...And Justice for All", "...Baby One More Time": folders and files named so by Windows
    # rippers were left out as hidden ones, the album missing from the library without a word.
    root = tmp_path / "music"
    write_track(root / "Metallica" / "...And Justice for All", "01 Blackened", fmt="flac",
                tags={"title": "Blackened", "artist": "Metallica", "album": "...And Justice for All"})
    write_track(root / "Britney Spears", "...Baby One More Time", fmt="mp3")
    write_track(root / ".trash", "deleted", fmt="mp3")
    write_track(root / "..data", "cached", fmt="mp3")
    result = Scanner(store).scan([str(root)])
    assert sorted(os.path.basename(t["path"]) for t in store.tracks()) == ["...Baby One More Time.mp3",
                                                                          "01 Blackened.flac"]
    assert result.seen == 2 and result.errors == 0


def test_a_song_named_only_dots_is_scanned_as_music(store, tmp_path):
    # A song titled "..." is saved as "....mp3": its extension was read as none (leading dots
    # never start one for os.path.splitext) and the song was left out as no music at all.
    root = tmp_path / "music"
    write_track(root / "Album", "...", fmt="mp3", tags={"title": "...", "artist": "Artist"})
    write_track(root / "Album", "..", fmt="flac", tags={"title": "..", "artist": "Artist"})
    result = Scanner(store).scan([str(root)])
    assert sorted((os.path.basename(t["path"]), t["title"]) for t in store.tracks()) == [
        ("....mp3", "..."), ("...flac", "..")]
    assert result.seen == 2 and result.errors == 0
    assert all(t["duration"] > 0 for t in store.tracks())
    # (and played by the decoders Segue has, not listed as a file that needs ffmpeg)
    from player.library.decoders import needs_ffmpeg

    assert not any(needs_ffmpeg(path, codec) for path, codec, _ in store.present_files())


def test_a_windows_drives_recycle_bin_and_system_folders_are_not_scanned(store, tmp_path):
    # Songs deleted on Windows keep their audio in the drive's recycle bin, under other names.
    drive = tmp_path / "E"
    write_track(drive / "Music", "song", fmt="flac", tags={"title": "Kept", "artist": "A"})
    for folder in ("$RECYCLE.BIN/S-1-5-21-1004", "$Recycle.Bin", "System Volume Information"):
        write_track(drive / folder, "$RZ3QX1A", fmt="flac", tags={"title": "Deleted", "artist": "A"})
    write_track(drive / "Recycled Songs", "old", fmt="flac", tags={"title": "Mine", "artist": "A"})
    # an album of that name (ZZ Top's, 1990) is music
    write_track(drive / "Music" / "ZZ Top" / "Recycler", "01", fmt="flac", tags={"title": "Concrete", "artist": "ZZ"})
    result = Scanner(store).scan([str(drive)])
    assert sorted(t["title"] for t in store.tracks()) == ["Concrete", "Kept", "Mine"]
    assert result.seen == 3 and result.errors == 0


def test_conflict_copies_sync_programs_keep_beside_a_song_are_not_listed_yet_play_when_opened(store, tmp_path,
                                                                                             _songs_made):
    # Syncthing, Dropbox, Nextcloud and OneDrive keep a second copy of a song changed on two
    # machines at once, beside it: each was listed, and the album showed the song four times.
    # A copy whose song is gone is the song; one opened by name plays.
    from player.library.open_files import tracks_for

    album = tmp_path / "music" / "Album"
    album.mkdir(parents=True)
    song = next(p for p in _songs_made if p.suffix == ".flac")
    copies = ["song.sync-conflict-20240101-120000-ABCDEFG.flac", "song (Laptop's conflicted copy 2024-01-01).flac",
              "song (conflicted copy 2024-01-01 120000).flac", "song (conflicted copy Jane Doe 2024-01-01 120000).flac",
              "song-DESKTOP-ABC1234.flac", "Song (Case Conflict).flac", "Cafe\u0301 (Unicode Encoding Conflict).flac"]
    # (Dropbox's copies of a name differing only in case, or in how its accent is encoded:
    # here a Mac's "e" and combining accent beside Windows' one "é")
    for name in ["song.flac", *copies, "alone.sync-conflict-20240101-120000-ABCDEFG.flac", "Jay-Z - Song.flac",
                 "Caf\u00e9.flac", "alone (Case Conflict).flac"]:
        shutil.copyfile(song, album / name)
    result = Scanner(store).scan([str(tmp_path / "music")])
    assert sorted(Path(t["path"]).name for t in store.tracks()) == [
        "Caf\u00e9.flac", "Jay-Z - Song.flac", "alone (Case Conflict).flac",
        "alone.sync-conflict-20240101-120000-ABCDEFG.flac", "song.flac"]
    assert result.errors == 0
    ids, refused = tracks_for(store, [str(album / copies[1])])
    assert len(ids) == 1 and not refused and store.track(ids[0])["path"] == str(album / copies[1])


def test_unavailable_folder_leaves_its_tracks_alone(store, tmp_path):
    root = tmp_path / "usb-disk"
    write_track(root, "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    Scanner(store).scan([str(root)])
    shutil.move(root, tmp_path / "unplugged")
    result = Scanner(store).scan()
    assert result.missing == 0 and result.unavailable == [str(root)]          # said, not silent
    assert [t["title"] for t in store.tracks()] == ["Song"]


def test_a_disk_mounted_at_another_place_keeps_its_tracks_history(store, tmp_path):
    # The same disk mounted at /media/user/Drive1 instead of Drive (or D: for E:), that
    # place added to the library: each file was a new track beside its old one, which kept
    # the plays, stars and playlist places, and was listed as away for good.
    drive, other = tmp_path / "media" / "Drive", tmp_path / "media" / "Drive1"
    played = write_track(drive / "Album", "played", fmt="flac", tags={"title": "Played", "artist": "A"})
    write_track(drive / "Album", "other", fmt="flac", seconds=2.0, tags={"title": "Other", "artist": "A"})
    Scanner(store).scan([str(drive)])
    ids = {t["title"]: t["id"] for t in store.tracks()}
    _play(store, ids["Played"], 3)
    store.rate([ids["Played"]], 4)
    playlist = store.create_playlist("Mine", [ids["Played"]])
    shutil.move(drive, other)
    result = Scanner(store).scan([str(other)])
    assert result.moved == 2
    assert {t["title"]: t["id"] for t in store.tracks()} == ids
    assert store.track(ids["Played"])["path"] == str(other / "Album" / "played.flac")
    assert _plays_of(store, ids["Played"]) == 3 and store.track(ids["Played"])["rating"] == 4
    assert store.playlist_track_ids(playlist) == [ids["Played"]]
    shutil.move(other, drive)                          # the next time, at its first place again
    Scanner(store).scan()
    assert {t["title"]: t["id"] for t in store.tracks()} == ids
    assert store.track(ids["Played"])["path"] == str(played) and _plays_of(store, ids["Played"]) == 3


def test_two_disks_connected_at_once_are_two_copies(store, tmp_path):
    # A backup disk with the same files (times kept) beside the first: both are there, so
    # neither is the other mounted elsewhere, and each keeps its own tracks.
    drive, backup = tmp_path / "Drive", tmp_path / "Backup"
    write_track(drive, "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    Scanner(store).scan([str(drive)])
    shutil.copytree(drive, backup)
    result = Scanner(store).scan([str(backup)])
    assert result.moved == 0
    assert sorted(Path(t["path"]).parent.name for t in store.tracks()) == ["Backup", "Drive"]


def test_a_track_taken_over_by_a_copy_while_its_folder_was_away_goes_home_when_it_is_back(store, tmp_path):
    # An album copied with its times (rsync -a) to a stick, added to the library while the
    # share it is on had dropped: the copy took the tracks over, as for a disk mounted at
    # another place. The share back, its files were new tracks with no plays, and the history
    # stayed on the stick for good.
    share, stick = tmp_path / "share", tmp_path / "stick"
    played = write_track(share / "Album", "played", fmt="flac", tags={"title": "Played", "artist": "A"})
    write_track(share / "Album", "other", fmt="flac", seconds=2.0, tags={"title": "Other", "artist": "A"})
    Scanner(store).scan([str(share)])
    ids = {t["title"]: t["id"] for t in store.tracks()}
    _play(store, ids["Played"], 3)
    shutil.copytree(share / "Album", stick / "Album")      # (copy2: the times kept to the nanosecond)
    shutil.move(share, tmp_path / "dropped")
    assert Scanner(store).scan([str(stick)]).moved == 2
    shutil.move(tmp_path / "dropped", share)                # the share is back
    result = Scanner(store).scan()
    assert result.moved == 2
    assert store.track(ids["Played"])["path"] == str(played) and _plays_of(store, ids["Played"]) == 3
    assert store.track(ids["Other"])["path"] == str(share / "Album" / "other.flac")
    copies = {t["path"]: t["id"] for t in store.tracks() if t["id"] not in ids.values()}
    assert sorted(copies) == [str(stick / "Album" / "other.flac"), str(stick / "Album" / "played.flac")]
    assert _plays_of(store, copies[str(stick / "Album" / "played.flac")]) == 0
    assert Scanner(store).scan().moved == 0                 # settled: nothing moves again
    assert store.track(ids["Played"])["path"] == str(played)


def test_a_disk_mounted_at_another_place_whose_first_scan_was_stopped_keeps_its_history(store, tmp_path):
    # The app closed in the first scan of the place the disk is mounted now: the tracks it
    # had written were known to the next scan, not new, and stayed beside their twins away,
    # which kept the plays.
    from player.library.scanner import BATCH, ScanCancelled

    drive, other = tmp_path / "media" / "Drive", tmp_path / "media" / "Drive1"
    for i in range(BATCH + 3):
        write_track(drive, f"s{i:03d}", fmt="flac", seconds=0.2, tags={"title": f"S{i}", "artist": "A"})
    Scanner(store).scan([str(drive)])
    ids = {t["title"]: t["id"] for t in store.tracks()}
    _play(store, ids["S0"], 2)
    shutil.move(drive, other)
    scanner = Scanner(store, progress=lambda p: p.done == BATCH + 1 and scanner.cancel(), progress_interval_s=0)
    with pytest.raises(ScanCancelled):
        scanner.scan([str(other)])
    assert len(store.tracks()) > len(ids)              # (the first batch written, as new tracks)
    Scanner(store).scan()
    assert {t["title"]: t["id"] for t in store.tracks()} == ids
    assert store.track(ids["S0"])["path"] == str(other / "s000.flac") and _plays_of(store, ids["S0"]) == 2


# -- one rule: a file is a track or an error row ---------------------------------------------
def test_a_named_pipe_is_an_error_row_and_does_not_hang_the_scan(store, tmp_path):
    root = tmp_path / "music"
    write_track(root, "good", fmt="flac", tags={"title": "Good"})
    os.mkfifo(root / "x.mp3")
    result = Scanner(store).scan([str(root)])
    assert [t["title"] for t in store.tracks()] == ["Good"]
    assert result.errors == 1 and "not a regular file" in store.track_errors()[0]["last_error"]


def test_a_name_that_is_not_utf8_is_kept_exactly(store, tmp_path):
    root = tmp_path / "music"
    good = write_track(root, "plain", fmt="flac", tags={"title": "Plain"})
    raw = os.path.join(os.fsencode(root), b"caf\xe9 \xff.flac")
    shutil.copy(good, raw)
    Scanner(store).scan([str(root)])
    paths = sorted(t["path"] for t in store.tracks())
    assert len(paths) == 2 and os.fsdecode(raw) in paths
    row = store.track_by_path(os.fsdecode(raw))
    assert row is not None and os.fsencode(row["path"]) == raw      # the same bytes come back
    assert Scanner(store).scan().unchanged == 2                      # and match on the next scan


def test_the_same_file_by_two_paths_is_one_track_at_its_real_path(store, tmp_path):
    root = tmp_path / "music"
    real = write_track(root / "Albums", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    (root / "Favourites").symlink_to(root / "Albums", target_is_directory=True)
    (root / "Albums" / "again.flac").symlink_to(real)
    (root / "Copies").mkdir()
    os.link(real, root / "Copies" / "hardlinked.flac")     # a real path too: the first in order wins
    result = Scanner(store).scan([str(root)])
    tracks = store.tracks()
    assert len(tracks) == 1 and result.duplicates == 2      # the folder link is not walked twice
    assert tracks[0]["path"] == str(root / "Albums" / "song.flac")


def test_duplicates_from_an_older_scan_merge_with_their_plays(store, tmp_path):
    root = tmp_path / "music"
    real = write_track(root / "Albums", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    (root / "Linked").symlink_to(root / "Albums", target_is_directory=True)
    # What earlier versions stored: one track per path, each with its own plays.
    folder = store.add_folder(str(root))
    st = os.stat(real)
    for p in (root / "Albums" / "song.flac", root / "Linked" / "song.flac"):
        store.upsert_tracks([{"path": str(p), "folder_id": folder, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                              "title": "Song", "artist": "A", "duration": 1.0}])
        store.start_play(store.track_by_path(str(p))["id"])
    playlist = store.create_playlist("Both", [store.track_by_path(str(root / "Linked" / "song.flac"))["id"]])
    Scanner(store).scan()
    tracks = store.tracks(include_missing=True)
    assert len(tracks) == 1 and store.play_count() == 2
    assert {p["track_id"] for p in store.plays()} == {tracks[0]["id"]}
    assert store.playlist_track_ids(playlist) == [tracks[0]["id"]]       # playlists follow too


def test_a_row_the_database_refuses_costs_only_itself(store, tmp_path):
    rows = [{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"T{i}", "duration": 1.0} for i in range(5)]
    rows[2]["track_no"] = 10**30                     # no 64-bit integer holds it
    failed = store.upsert_tracks(rows)
    assert [p for p, _ in failed] == ["/m/2.flac"]
    assert len(store.tracks()) == 4 and store.track_by_path("/m/2.flac")["last_error"].startswith("could not be stored")


def test_a_file_that_vanishes_mid_scan_is_simply_gone(store, tmp_path):
    root = tmp_path / "music"
    for i in range(6):
        write_track(root, f"{i:02d}", fmt="flac", tags={"title": f"T{i}"})
    Scanner(store).scan([str(root)])
    for i in range(6):
        _bump_mtime(root / f"{i:02d}.flac")            # all must be reread

    def vanish(progress):
        if progress.done == 2 and (root / "05.flac").exists():
            os.unlink(root / "05.flac")

    result = Scanner(store, progress=vanish, progress_interval_s=0).scan()
    assert result.errors == 0 and result.missing == 1
    assert sorted(t["title"] for t in store.tracks()) == [f"T{i}" for i in range(5)]


# -- a person's history follows their files as they reorganise them --------------------------

def _plays_of(store, track_id):
    return sum(p["track_id"] == track_id for p in store.plays())


def _play(store, track_id, times=1):
    for _ in range(times):
        store.end_play(store.start_play(track_id), "finished", 1000)


def test_a_library_folder_inside_another_changes_nothing(store, tmp_path):
    # Both folders lead to the file: it was taken for gone under one and new under the
    # other, then for a move onto itself, which deleted its row (or failed on its plays).
    root = tmp_path / "Music"
    played = write_track(root / "Rock", "played", fmt="flac", tags={"title": "Played", "artist": "A"})
    listed = write_track(root / "Rock", "listed", fmt="flac", seconds=2.0, tags={"title": "Listed", "artist": "A"})
    Scanner(store).scan([str(root)])
    ids = {p: store.track_by_path(str(p))["id"] for p in (played, listed)}
    _play(store, ids[played], 3)
    playlist = store.create_playlist("Mine", [ids[listed]])
    Scanner(store).scan([str(root / "Rock")])                 # the sub-folder added to the library
    for _ in range(2):
        result = Scanner(store).scan()
        assert result.missing == 0 and result.moved == 0
        assert {t["id"] for t in store.tracks()} == set(ids.values())
    assert _plays_of(store, ids[played]) == 3
    assert store.playlist_track_ids(playlist) == [ids[listed]]


def test_an_empty_library_folder_is_a_share_not_mounted(store, tmp_path):
    # Unmounted, a share leaves the empty folder it was mounted on: its tracks were all
    # marked missing, and the saved queue dropped them at the next start for good.
    mount = tmp_path / "media" / "nas"
    song = write_track(mount / "Album", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    Scanner(store).scan([str(mount)])
    away = tmp_path / "unmounted"
    shutil.move(mount / "Album", away)
    result = Scanner(store).scan()
    assert result.missing == 0 and result.unavailable == [str(mount)]        # said, not silent
    assert [t["title"] for t in store.tracks()] == ["Song"]
    shutil.move(away, mount / "Album")
    assert Scanner(store).scan().unavailable == []
    song.unlink()                                      # a folder with other things in it is looked at
    (mount / "Album" / "notes.txt").write_text("x")
    assert Scanner(store).scan().missing == 1


def test_a_link_to_a_share_not_mounted_leaves_its_tracks_alone(store, tmp_path):
    # ~/Music/NAS a link to /mnt/nas, the share not mounted: the link led nowhere, was
    # passed over in silence, and every track through it was marked missing.
    root, share = tmp_path / "Music", tmp_path / "mnt" / "nas"
    write_track(root / "Local", "local", fmt="flac", tags={"title": "Local", "artist": "A"})
    write_track(share / "Album", "song", fmt="flac", seconds=2.0, tags={"title": "Song", "artist": "A"})
    (root / "NAS").symlink_to(share, target_is_directory=True)
    (root / "Old").symlink_to(tmp_path / "never", target_is_directory=True)    # led to no track: let be
    Scanner(store).scan([str(root)])
    song = store.track_by_path(str(root / "NAS" / "Album" / "song.flac"))["id"]
    _play(store, song, 2)
    shutil.move(share, tmp_path / "unmounted")
    result = Scanner(store).scan()
    assert result.missing == 0 and store.missing_track_ids() == set()
    assert [folder for folder, _why in result.unreadable_folders] == [str(root / "NAS")]   # said, not silent
    assert "not there" in result.unreadable_folders[0][1]
    shutil.move(tmp_path / "unmounted", share)
    result = Scanner(store).scan()
    assert result.unreadable_folders == [] and _plays_of(store, song) == 2
    assert sorted(t["title"] for t in store.tracks()) == ["Local", "Song"]
    (root / "NAS").unlink()                                 # the link removed: its songs are gone
    shutil.rmtree(share)
    assert Scanner(store).scan().missing == 1


def test_a_folder_that_cannot_be_read_leaves_its_tracks_alone(store, tmp_path):
    # Permission lost on a folder, or a share answering with errors: what the scan cannot
    # look at is not gone (it was marked missing, and left the library and its playlists).
    prefix = _permissions_apply()
    root = tmp_path / "music"
    write_track(root / "Locked", "a", fmt="flac", tags={"title": "Locked", "artist": "A"})
    write_track(root / "Open", "b", fmt="flac", tags={"title": "Open", "artist": "A"})
    Scanner(store).scan([str(root)])
    out = _scan_locked(prefix, root / "Locked", 0o755)
    assert out.returncode == 0, out.stderr
    assert "0 now missing" in out.stdout + out.stderr
    assert "cannot read folder" in out.stdout and "left as they were" in out.stdout
    assert sorted(t["title"] for t in store.tracks()) == ["Locked", "Open"]


def test_a_file_saved_over_with_another_song_is_a_new_track(store, tmp_path):
    root = tmp_path / "music"
    path = write_track(root, "Track 01", fmt="flac", seconds=1.0, tags={"title": "Old Song", "artist": "Old"})
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(path))["id"]
    _play(store, old_id, 4)
    path.write_bytes(path.read_bytes()[:40])        # caught half-way through the save: unreadable a while
    Scanner(store).scan()
    write_track(root, "Track 01", fmt="flac", seconds=3.0, tags={"title": "New Song", "artist": "New"})
    _bump_mtime(path)
    Scanner(store).scan()
    new = store.track_by_path(str(path))
    assert new["id"] != old_id and new["title"] == "New Song" and _plays_of(store, new["id"]) == 0
    assert store.track(old_id)["missing"] == 1 and _plays_of(store, old_id) == 4
    assert [t["title"] for t in store.tracks()] == ["New Song"]
    # A retag (the same length) is the same song, as before.
    write_tags(path, title="New Song (Remastered)")
    _bump_mtime(path, 10)
    Scanner(store).scan()
    assert store.track_by_path(str(path))["id"] == new["id"]
    # The old song found whole elsewhere is its track again, with its plays.
    found = write_track(root / "kept", "Old Song", fmt="flac", seconds=1.0, tags={"title": "Old Song", "artist": "Old"})
    Scanner(store).scan()
    assert store.track_by_path(str(found))["id"] == old_id and _plays_of(store, old_id) == 4


def test_a_file_unreadable_a_while_then_another_song_is_a_new_track_when_read_again_by_hand(store, tmp_path):
    # Read again by hand, as by a scan: the track kept its song's names while its file could
    # not be read, so another song saved there since is a new track, not the old one's plays.
    root = tmp_path / "music"
    path = write_track(root, "Track 01", fmt="flac", seconds=1.0, tags={"title": "Old Song", "artist": "Old"})
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(path))["id"]
    _play(store, old_id, 4)
    path.write_bytes(path.read_bytes()[:40])
    _bump_mtime(path)
    Scanner(store).scan()
    assert store.track(old_id)["last_error"] and store.track(old_id)["title"] == "Old Song"
    write_track(root, "Track 01", fmt="flac", seconds=3.0, tags={"title": "New Song", "artist": "New"})
    Scanner(store).read_again([old_id])
    new = store.track_by_path(str(path))
    assert new["id"] != old_id and new["title"] == "New Song" and _plays_of(store, new["id"]) == 0
    assert store.track(old_id)["title"] == "Old Song" and _plays_of(store, old_id) == 4


def test_a_file_unreadable_then_gone_is_the_track_of_its_whole_copy_found_elsewhere(store, tmp_path):
    # A download cut short, then deleted and fetched whole into another folder: the track
    # kept its song's names while the file could not be read, so the whole file is that
    # track again, with its plays, as any moved file.
    root = tmp_path / "music"
    path = write_track(root / "Inbox", "a", fmt="flac", seconds=1.0, tags={"title": "Old Song", "artist": "Old"})
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(path))["id"]
    _play(store, old_id, 3)
    whole = path.read_bytes()
    path.write_bytes(whole[:40])
    _bump_mtime(path)
    Scanner(store).scan()
    assert store.track(old_id)["last_error"]
    path.unlink()
    found = root / "Old" / "a.flac"
    found.parent.mkdir()
    found.write_bytes(whole)
    assert Scanner(store).scan().moved == 1
    row = store.track_by_path(str(found))
    assert row["id"] == old_id and row["last_error"] is None and _plays_of(store, old_id) == 3
    assert [t["id"] for t in store.tracks()] == [old_id] and store.track_errors() == []


def test_two_files_that_swap_names_keep_their_histories(store, tmp_path):
    root = tmp_path / "album"
    one = write_track(root, "01", fmt="flac", seconds=1.0, tags={"title": "Loved", "artist": "A"})
    two = write_track(root, "02", fmt="flac", seconds=3.0, tags={"title": "Skipped", "artist": "A"})
    Scanner(store).scan([str(root)])
    loved, skipped = store.track_by_path(str(one))["id"], store.track_by_path(str(two))["id"]
    _play(store, loved, 5)
    os.rename(one, root / "tmp.flac")
    os.rename(two, one)
    os.rename(root / "tmp.flac", two)
    Scanner(store).scan()
    assert store.track_by_path(str(two))["id"] == loved and store.track_by_path(str(one))["id"] == skipped
    assert _plays_of(store, loved) == 5 and _plays_of(store, skipped) == 0
    assert len(store.tracks(include_missing=True)) == 2


def test_a_moved_file_is_known_by_its_musicbrainz_id_or_its_bytes_when_its_names_changed(store, tmp_path):
    root = tmp_path / "music"
    tagged = write_track(root / "in", "dont", fmt="flac", seconds=1.0,
                         tags={"title": "Dont Stop", "artist": "A", "musicbrainz_trackid": "0b7f2c3e-mbid"})
    bare = write_track(root / "in", "untagged", fmt="flac", seconds=2.0)
    Scanner(store).scan([str(root)])
    ids = {p: store.track_by_path(str(p))["id"] for p in (tagged, bare)}
    for tid in ids.values():
        _play(store, tid, 2)
    (root / "out").mkdir()
    moved_tagged, moved_bare = root / "out" / "Don't Stop.flac", root / "out" / "found.flac"
    shutil.move(tagged, moved_tagged)                 # a tagger fixed the title and moved it
    write_tags(moved_tagged, title="Don't Stop")
    shutil.move(bare, moved_bare)                     # no tags to know it by: moved as it is
    result = Scanner(store).scan()
    assert result.moved == 2 and result.missing == 0
    assert store.track_by_path(str(moved_tagged))["id"] == ids[tagged]
    assert store.track_by_path(str(moved_bare))["id"] == ids[bare]
    assert len(store.tracks(include_missing=True)) == 2


def test_of_two_identical_copies_the_moved_one_keeps_its_history(store, tmp_path):
    root = tmp_path / "music"
    stray = write_track(root / "0 Downloads", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    kept = root / "Album" / "song.flac"
    kept.parent.mkdir()
    shutil.copy2(stray, kept)
    Scanner(store).scan([str(root)])
    kept_id = store.track_by_path(str(kept))["id"]
    _play(store, kept_id, 6)
    stray.unlink()
    dest = root / "A" / "Album" / "song.flac"
    dest.parent.mkdir(parents=True)
    shutil.move(kept, dest)
    Scanner(store).scan()
    assert store.track_by_path(str(dest))["id"] == kept_id and _plays_of(store, kept_id) == 6


@pytest.mark.parametrize("how", ["copy, then delete", "a new disk, the old one removed later"])
def test_a_copy_scanned_before_the_original_went_missing_takes_its_history(store, tmp_path, how):
    old_root, new_root = tmp_path / "old", tmp_path / "new"
    song = write_track(old_root, "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    write_track(old_root / "keep", "other", fmt="flac", seconds=2.0, tags={"title": "Other", "artist": "B"})
    Scanner(store).scan([str(old_root)])
    old_id = store.track_by_path(str(song))["id"]
    _play(store, old_id, 5)
    playlist = store.create_playlist("Mine", [old_id])
    new_root.mkdir()
    shutil.copy2(song, new_root / "song.flac")
    Scanner(store).scan([str(new_root)])          # the copy is a track of its own for now
    copy = store.track_by_path(str(new_root / "song.flac"))
    assert copy["id"] != old_id
    if how == "copy, then delete":
        song.unlink()
    else:
        store.remove_folder(str(old_root))
    # Played before the scan (the player finds no file): the copy takes that play too, and
    # is not listed as failing to play, the old file's "file not found" beside it.
    store.end_play(store.start_play(old_id), "error", 0, error=f"file not found: {song}")
    Scanner(store).scan()
    assert store.track(old_id) is None and store.track(copy["id"])["missing"] == 0
    assert _plays_of(store, copy["id"]) == 6 and not store.play_errors(0)
    assert store.playlist_track_ids(playlist) == [copy["id"]]


def _padded_to(path, size: int) -> None:
    """``path``, a WAV, made ``size`` bytes long by a chunk of padding at its end (as tools that
    leave room for tags write it); its sound is untouched."""
    raw = path.read_bytes()
    n = size - len(raw) - 8
    assert n >= 0 and n % 2 == 0
    raw += b"JUNK" + struct.pack("<I", n) + bytes(n)
    path.write_bytes(raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:])


@pytest.mark.parametrize("tags", ["untagged", "tagged apart"])
def test_another_song_of_the_same_size_and_time_does_not_take_a_missing_tracks_history(store, tmp_path, tags):
    # Two different songs of one length in one format (a WAV rip of each, from one session, its
    # times copied by a sync tool) have files of one size and modification time. The one played
    # went missing: its plays are not the other's, though the file of the other was added later.
    # Only the same length and the same tags, or the same file name, make it its copy.
    root = tmp_path / "music"
    old = write_track(root / "A", "rain", fmt="wav", seconds=2.0, freq=330.0,
                      tags={"title": "Rain", "artist": "A"} if tags == "tagged apart" else None)
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(old))["id"]
    _play(store, old_id, 3)
    other = write_track(root / "B", "sunrise", fmt="wav", seconds=2.0, freq=550.0,
                        tags={"title": "Sunrise", "artist": "Bee"} if tags == "tagged apart" else None)
    size = max(old.stat().st_size, other.stat().st_size) + 16
    for path in (old, other):
        _padded_to(path, size)
        os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    Scanner(store).scan()
    other_id = store.track_by_path(str(other))["id"]
    assert (store.track(old_id)["size"], store.track(old_id)["mtime_ns"]) == \
        (store.track(other_id)["size"], store.track(other_id)["mtime_ns"])
    assert abs(store.track(old_id)["duration"] - store.track(other_id)["duration"]) < 0.01
    old.unlink()
    assert copy_of_missing(store, old_id) is None     # (not missing yet)
    Scanner(store).scan()
    assert store.track(old_id)["missing"] == 1 and _plays_of(store, old_id) == 3
    assert _plays_of(store, other_id) == 0
    assert copy_of_missing(store, old_id) is None     # (the player's look, as it opens the song)


def test_a_folder_added_again_through_a_link_doubles_nothing(store, tmp_path):
    # The welcome page offers the system's Music folder, often a link to where the music is.
    real = tmp_path / "disk" / "Music"
    write_track(real, "one", fmt="flac", tags={"title": "One", "artist": "A"})
    write_track(real, "two", fmt="flac", seconds=2.0, tags={"title": "Two", "artist": "A"})
    Scanner(store).scan([str(real)])
    link = tmp_path / "Music"
    link.symlink_to(real, target_is_directory=True)
    Scanner(store).scan([str(link)])
    assert sorted(t["title"] for t in store.tracks()) == ["One", "Two"]


def _in_mount_namespace(shell: str) -> subprocess.CompletedProcess:
    """``shell`` run where it may bind-mount folders (a mount namespace of its own, as an
    unprivileged user may make on Linux); the test is skipped where that cannot be made."""
    unshare = shutil.which("unshare")
    if sys.platform != "linux" or unshare is None:
        pytest.skip("needs Linux's unshare to mount a folder in a second place")
    probe = subprocess.run([unshare, "-rm", "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.decode(errors='replace').strip()}")
    return subprocess.run([unshare, "-rm", "sh", "-c", shell], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_folder_added_again_under_another_name_for_the_same_folder_doubles_nothing(store, tmp_path):
    # A disk that ignores case (macOS, Windows) takes ~/music for ~/Music, and a folder may be
    # mounted in two places: no link to follow, the names differ, the folder is the same.
    real = tmp_path / "disk" / "Music"
    write_track(real, "one", fmt="flac", tags={"title": "One", "artist": "A"})
    write_track(real / "Album", "two", fmt="flac", seconds=2.0, tags={"title": "Two", "artist": "A"})
    other = tmp_path / "music"
    other.mkdir()
    scan = f"{shlex.quote(sys.executable)} -m player scan"
    done = _in_mount_namespace(f"mount --bind {shlex.quote(str(real))} {shlex.quote(str(other))} && "
                               f"{scan} {shlex.quote(str(real))} && {scan} {shlex.quote(str(other))}")
    assert done.returncode == 0, done.stderr
    assert sorted(t["title"] for t in store.tracks()) == ["One", "Two"]


def test_a_track_gone_for_a_while_keeps_its_history_from_another_version_of_its_song(store, tmp_path):
    # The album folder moved out and back, with a remaster of one song on a best-of: the
    # song's history must come back with it, not fold into the remaster for good.
    root = tmp_path / "music"
    song = write_track(root / "Album", "song", fmt="flac", seconds=2.0, tags={"title": "Song", "artist": "A"})
    Scanner(store).scan([str(root)])
    tid = store.track_by_path(str(song))["id"]
    _play(store, tid, 4)
    write_track(root / "Best Of", "song", fmt="flac", seconds=2.3, tags={"title": "Song (Remastered)", "artist": "A"})
    Scanner(store).scan()
    shutil.move(root / "Album", tmp_path / "away")
    Scanner(store).scan()
    shutil.move(tmp_path / "away", root / "Album")
    Scanner(store).scan()
    assert store.track_by_path(str(song))["id"] == tid and _plays_of(store, tid) == 4


def test_adding_the_folder_around_a_library_folder_keeps_its_tracks(store, tmp_path):
    root = tmp_path / "Music"
    song = write_track(root / "Rock", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    Scanner(store).scan([str(root / "Rock")])
    tid = store.track_by_path(str(song))["id"]
    _play(store, tid, 2)
    result = Scanner(store).scan([str(root)])
    assert result.moved == 0 and result.missing == 0
    assert store.track_by_path(str(song))["id"] == tid and _plays_of(store, tid) == 2


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg"])
def test_an_album_moved_with_its_artist_corrected_keeps_its_history(store, tmp_path, fmt):
    # A reorganisation that also fixes a misspelt artist: no MusicBrainz id, new path, new
    # modification time, new artist and title key; the audio is what it was.
    root = tmp_path / "music"
    old_dir, new_dir = root / "Artst" / "Album", root / "Artist" / "Album"
    songs = [write_track(old_dir, f"0{n} {title}", fmt=fmt, seconds=seconds, freq=freq,
                         tags={"title": title, "artist": "Artst", "album": "Album", "tracknumber": str(n)})
             for n, title, seconds, freq in ((1, "Song", 3.0, 440.0), (2, "Other", 2.0, 550.0))]
    Scanner(store).scan([str(root)])
    ids = [store.track_by_path(str(p))["id"] for p in songs]
    _play(store, ids[0], 3)
    _play(store, ids[1], 1)
    playlist = store.create_playlist("Mine", ids)
    new_dir.mkdir(parents=True)
    names = ["Artist", "Artist & " + ", ".join(f"Guest Player Number {i}" for i in range(200))]
    for path, name in zip(songs, names):              # the second outgrows the tag's room
        shutil.move(path, new_dir / path.name)
        write_tags(new_dir / path.name, artist=name)
    result = Scanner(store).scan()
    assert result.moved == 2
    assert [store.track_by_path(str(new_dir / p.name))["id"] for p in songs] == ids
    assert store.track(ids[0])["artist"] == "Artist" and [_plays_of(store, t) for t in ids] == [3, 1]
    assert len(store.tracks(include_missing=True)) == 2 and store.playlist_track_ids(playlist) == ids


def test_untagged_rips_tagged_and_filed_by_a_tagger_keep_their_history(store, tmp_path):
    # A tagger (Picard, beets) given untagged files (listed by their names) writes every tag
    # and files each under its artist and album: no name, tag or time is left as it was, the
    # audio is. A file of another length that comes as one goes is another song.
    root = tmp_path / "music"
    rips = [write_track(root / "Incoming", f"track0{n}", fmt=fmt, seconds=seconds, freq=freq)
            for n, fmt, seconds, freq in ((1, "flac", 2.0, 440.0), (2, "mp3", 1.5, 550.0), (3, "flac", 1.0, 660.0))]
    Scanner(store).scan([str(root)])
    ids = [store.track_by_path(str(p))["id"] for p in rips]
    for tid, plays in zip(ids, (3, 1, 2)):
        _play(store, tid, plays)
    filed = []
    for n, path in enumerate(rips[:2], 1):
        write_tags(path, title=f"Song {n}", artist="Artist", album="Album", tracknumber=str(n),
                   musicbrainz_trackid=f"0000000{n}-0000-0000-0000-000000000000")
        filed.append(root / "Artist" / "Album" / f"0{n} Song {n}{path.suffix}")
        filed[-1].parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, filed[-1])
    rips[2].unlink()
    write_track(root / "Incoming", "other", fmt="flac", seconds=1.2, freq=660.0)
    result = Scanner(store).scan()
    assert result.moved == 2
    assert [store.track_by_path(str(p))["id"] for p in filed] == ids[:2]
    assert store.track(ids[0])["title"] == "Song 1" and [_plays_of(store, t) for t in ids] == [3, 1, 2]
    assert store.track(ids[2])["missing"] == 1
    assert store.track_by_path(str(root / "Incoming" / "other.flac"))["id"] not in ids


def test_an_untagged_file_gone_is_not_taken_for_another_of_its_length(store, tmp_path):
    # Samples, interludes and previews come at fixed lengths. One deleted and another added
    # the same day: an untagged file is no tagger's work, and an uncompressed file's size
    # follows from its length, so neither shows the audio is the same; the merge cannot be
    # undone.
    root = tmp_path / "music"
    gone = [write_track(root, "kick", fmt="flac", seconds=2.0, freq=440.0),
            write_track(root, "take 1", fmt="wav", seconds=2.0, freq=550.0)]
    Scanner(store).scan([str(root)])
    ids = [store.track_by_path(str(p))["id"] for p in gone]
    for tid in ids:
        _play(store, tid)
    for path in gone:
        path.unlink()
    added = [write_track(root, "snare", fmt="flac", seconds=2.0, freq=880.0),
             write_track(root, "take 2", fmt="wav", seconds=2.0, freq=660.0, tags={"title": "Take 2"})]
    assert Scanner(store).scan().moved == 0
    assert [store.track_by_path(str(p))["id"] in ids for p in added] == [False, False]
    assert [store.track(t)["missing"] for t in ids] == [1, 1]


def test_a_retagged_file_that_fits_two_missing_tracks_or_two_files_that_fit_one_merge_nothing(store, tmp_path):
    # The same song kept twice (two copies of an album), both gone, and one file with its
    # artist corrected: which history is its own cannot be told, so neither is given to it.
    root = tmp_path / "music"
    twins = [write_track(root / folder, "song", fmt="flac", seconds=2.0,
                         tags={"title": "Song", "artist": "Artst", "album": "Album"})
             for folder in ("one", "two")]
    Scanner(store).scan([str(root)])
    ids = [store.track_by_path(str(p))["id"] for p in twins]
    _play(store, ids[0], 2)
    _play(store, ids[1], 1)
    shutil.move(twins[0], root / "found.flac")
    twins[1].unlink()
    write_tags(root / "found.flac", artist="Artist")
    result = Scanner(store).scan()
    assert result.moved == 0 and store.track_by_path(str(root / "found.flac"))["id"] not in ids
    assert [store.track(t)["missing"] for t in ids] == [1, 1] and [_plays_of(store, t) for t in ids] == [2, 1]
    # One song gone and two files with its audio and a corrected artist: neither takes it.
    solo = write_track(root / "three", "solo", fmt="flac", seconds=1.5, tags={"title": "Solo", "artist": "Artst"})
    Scanner(store).scan()
    solo_id = store.track_by_path(str(solo))["id"]
    _play(store, solo_id, 2)
    for copy in ("a.flac", "b.flac"):
        shutil.copy(solo, root / copy)
        write_tags(root / copy, artist="Artist")
    solo.unlink()
    result = Scanner(store).scan()
    assert result.moved == 0 and store.track(solo_id)["missing"] == 1 and _plays_of(store, solo_id) == 2


def test_a_song_of_the_same_name_by_another_artist_is_not_taken_for_a_retagged_move(store, tmp_path):
    # Only the same audio is a move: another length (another recording), or the same length
    # on another album, is another song.
    root = tmp_path / "music"
    intro = write_track(root / "A", "intro", fmt="flac", seconds=2.0,
                        tags={"title": "Intro", "artist": "A", "album": "Live", "tracknumber": "1"})
    Scanner(store).scan([str(root)])
    old_id = store.track_by_path(str(intro))["id"]
    _play(store, old_id, 2)
    intro.unlink()
    for artist, album, seconds in (("B", "Live", 2.5), ("C", "Studio", 2.0)):     # one at a time
        write_track(root / artist, "intro", fmt="flac", seconds=seconds,
                    tags={"title": "Intro", "artist": artist, "album": album, "tracknumber": "1"})
        result = Scanner(store).scan()
        assert result.moved == 0 and store.track(old_id)["missing"] == 1 and _plays_of(store, old_id) == 2


def test_what_a_scan_kept_of_its_files_is_let_go_a_piece_at_a_time(store, library, monkeypatch):
    # Freed in one go as the scan returned, what it kept of 50,000 files held the interpreter
    # lock, and so the window, for about 50 ms: it is emptied piece by piece before it ends.
    from player.library import scanner

    kept = []
    let_go = scanner._let_go

    def noted(*containers):
        kept.append([len(c) for c in containers])
        let_go(*containers)
        kept.append([len(c) for c in containers])

    monkeypatch.setattr(scanner, "_let_go", noted)
    first = Scanner(store).scan([str(library)])
    again = Scanner(store).scan()
    files = first.seen
    assert again.unchanged + again.errors == files and again.read == 0
    assert len(kept) == 4
    assert max(kept[0]) >= files and max(kept[2]) >= files        # every file's entries...
    assert not any(kept[1]) and not any(kept[3])                   # ...all let go
    things = [list(range(5000)), {i: (i, str(i)) for i in range(5000)}, {str(i) for i in range(5000)}]
    let_go(*things)
    assert things == [[], {}, set()]


def _case(name: str, codec: list[str], listed_as: str, titled: bool, needs=()):
    """A file ffmpeg makes with ``codec``, skipped where ffmpeg lacks an encoder in ``needs``."""
    missing = [e for e in ("pcm_s16le", *needs) if not ffmpeg_encodes(e)]
    return pytest.param(name, codec, listed_as, titled, marks=pytest.mark.skipif(
        bool(missing), reason=f"ffmpeg and ffprobe with {', '.join(missing)} make this file"))


@pytest.mark.parametrize("name, codec, listed_as, titled", [
    _case("book.m4b", ["-c:a", "aac", "-f", "mp4"], "mp4", True, needs=("aac",)),            # audiobooks
    _case("layer2.mp2", ["-c:a", "mp2"], "mp2", False, needs=("mp2",)),
    _case("surround.ac3", ["-c:a", "ac3", "-ac", "6"], "ac3", False, needs=("ac3",)),
    _case("pcm.caf", ["-c:a", "pcm_s16le"], "caf", False),
    _case("apple.caf", ["-c:a", "alac"], "alac", True, needs=("alac",)),    # libsndfile refuses it
    _case("wave64.w64", ["-c:a", "pcm_s16le"], "wav", False),
    _case("sun.au", ["-c:a", "pcm_s16be"], "au", False, needs=("pcm_s16be",)),
    _case("opus.mka", ["-c:a", "libopus"], "opus", True, needs=("libopus",)),      # mutagen reads
    _case("vorbis.webm", ["-c:a", "libvorbis"], "vorbis", True, needs=("libvorbis",)),  # no Matroska
])
def test_a_format_the_player_plays_is_listed_at_its_length_and_plays(store, tmp_path, name, codec, listed_as,
                                                                      titled):
    """These were skipped by the scan (their extensions were not looked at), and Matroska,
    which mutagen does not read, was an error row: each is now a track, of the length and
    title ffmpeg wrote, which plays from its first second."""
    from player.audio.decoder import Decoder
    from tests.player.audio.signals import peak_frequency

    path = stepped_tone(tmp_path / "music" / name, *codec, "-metadata", "title=Stepped", seconds=3)
    result = Scanner(store).scan([str(tmp_path / "music")])
    assert result.errors == 0
    [track] = store.tracks()
    assert track["codec"] == listed_as
    assert track["duration"] == pytest.approx(3.0, abs=0.1)
    assert track["title"] == ("Stepped" if titled else None)
    dec = Decoder(str(path), out_rate=44100, duration_hint=track["duration"])
    first = np.concatenate([dec.read(4410) for _ in range(5)])
    dec.close()
    assert peak_frequency(first[4410:, 0], sr=44100) == pytest.approx(step_frequency(0), abs=10)


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg decodes DSD")
def test_a_dsd_file_is_listed_and_plays(store, tmp_path):
    from player.audio.decoder import Decoder
    from tests.player.audio.signals import peak_frequency

    path = write_dsf(tmp_path / "music" / "dsd.dsf", 2.0, title="One bit")
    Scanner(store).scan([str(tmp_path / "music")])
    [track] = store.tracks()
    assert (track["title"], track["codec"]) == ("One bit", "dsf")
    assert track["duration"] == pytest.approx(2.0, abs=0.01)
    dec = Decoder(str(path), out_rate=44100, duration_hint=track["duration"])
    first = np.concatenate([dec.read(4410) for _ in range(5)])
    dec.close()
    assert peak_frequency(first[4410:, 0], sr=44100) == pytest.approx(step_frequency(0), abs=10)


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg decodes DSD")
def test_a_dsdiff_file_is_listed_with_its_tags_plays_seeks_and_is_analysed(store, tmp_path):
    """DSDIFF (``.dff``), the other DSD file of SACD rips, was not looked at by the scan. No
    encoder here writes one: it is written by hand, and tagged as taggers do (an ID3 chunk)."""
    from mutagen.dsdiff import DSDIFF
    from mutagen.id3 import TIT2, TPE1

    from player.analysis import decode_part
    from player.audio.decoder import Decoder
    from tests.player.audio.signals import peak_frequency

    path = write_dff(tmp_path / "music" / "sacd.dff", 3.0)
    tagged = DSDIFF(str(path))
    tagged.add_tags()
    tagged.tags.add(TIT2(encoding=3, text="Super Audio"))
    tagged.tags.add(TPE1(encoding=3, text="Sony"))
    tagged.save()
    result = Scanner(store).scan([str(tmp_path / "music")])
    assert result.errors == 0
    [track] = store.tracks()
    assert (track["title"], track["artist"], track["codec"], track["channels"]) == ("Super Audio", "Sony", "dsdiff", 2)
    assert track["duration"] == pytest.approx(3.0, abs=0.01)
    dec = Decoder(str(path), out_rate=44100, duration_hint=track["duration"])
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    whole = np.concatenate(parts)
    assert len(whole) == pytest.approx(3 * 44100, abs=10)
    for second in (0, 1, 2):
        assert peak_frequency(whole[second * 44100 + 4410: (second + 1) * 44100 - 4410, 0], sr=44100) \
            == pytest.approx(step_frequency(second), abs=10)
    at = 2 * 44100 + 17
    dec.seek_frame(at)
    assert dec.frame == at
    # (the resampler, started afresh at the place, settles within its first samples)
    assert np.allclose(dec.read(4000)[200:], whole[at + 200: at + 4000], atol=1e-4)
    dec.close()
    part = decode_part(str(path), None)
    assert "error" not in part and part["pieces"]



def _encoded(ext: str, rate: int, channels: int):
    """A file of ``ext`` made by its own encoder, skipped where that or ffmpeg is not installed."""
    return pytest.param(ext, rate, channels, marks=pytest.mark.skipif(
        not encoder_installed(ext) or not ffmpeg_encodes("pcm_s16le"),
        reason=f"the .{ext} encoder (scripts/setup-system.sh installs it) and ffmpeg, which decodes it"))


@pytest.mark.parametrize("ext, rate, channels", [
    _encoded("ape", 44100, 2), _encoded("ape", 48000, 1),
    _encoded("mpc", 44100, 2), _encoded("mpc", 48000, 1),
])
def test_a_monkeys_audio_or_musepack_file_is_listed_with_its_tags_plays_in_place_seeks_and_is_analysed(
        store, tmp_path, ext, rate, channels):
    """Monkey's Audio and Musepack files, made by their own encoders (ffmpeg decodes both and
    writes neither) and tagged as their taggers do (an APEv2 tag at the end). Musepack's
    decoder puts out its synthesis filter's delay (481 samples) before the audio and whole
    frames of 1152 samples after it, which the file's header says to leave out: through ffmpeg
    every second of it played 11 ms late, and the track went on 34 ms after its length."""
    from mutagen.apev2 import APEv2

    from player.analysis import decode_part
    from player.audio.decoder import Decoder
    from segue_common import audio_io
    from tests.player.audio.signals import peak_frequency

    seconds = 5
    path = stepped_encoded(tmp_path / "music" / f"stepped.{ext}", seconds=seconds, sr=rate, channels=channels)
    tag = APEv2()
    tag.update({"Title": "Stepped", "Artist": "Encoder", "Album": "Formats", "Track": "4/9", "Year": "2009"})
    tag.save(str(path))
    result = Scanner(store).scan([str(tmp_path / "music")])
    assert result.errors == 0
    [track] = store.tracks()
    assert (track["title"], track["artist"], track["album"], track["track_no"], track["year"]) \
        == ("Stepped", "Encoder", "Formats", 4, 2009)
    assert (track["codec"], track["channels"], track["sample_rate"]) \
        == ({"ape": "monkeysaudio", "mpc": "musepack"}[ext], channels, rate)
    assert track["duration"] == pytest.approx(seconds, abs=0.001)

    dec = Decoder(str(path), out_rate=rate, duration_hint=track["duration"])
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    whole = np.concatenate(parts)
    assert len(whole) == seconds * rate
    # every sample in its place: Monkey's Audio gives back the 16-bit source, Musepack a lossy copy
    source = stepped_samples(seconds, rate, channels)
    assert np.abs(whole - source).max() < (1e-4 if ext == "ape" else 0.01)
    for second in range(seconds):
        assert peak_frequency(whole[second * rate + rate // 10: (second + 1) * rate - rate // 10, 0], sr=rate) \
            == pytest.approx(step_frequency(second), abs=10)
    for at in (3 * rate + 17, rate // 2):
        dec.seek_frame(at)
        assert dec.frame == at
        assert np.array_equal(dec.read(4000), whole[at: at + 4000])
    dec.close()

    y, sr = audio_io.load_audio(path, mono=False, offset_s=2.0, duration_s=1.0)
    assert sr == rate and np.array_equal(y.T, whole[2 * rate: 3 * rate, :channels])
    part = decode_part(str(path), None)
    assert "error" not in part and part["pieces"]


def _new_format(name: str, codec: list[str], listed_as: str, rate: int, channels: int, title: bool, needs=()):
    """A file of a format the scan did not look at, made by ffmpeg with ``codec`` (or, for a
    Musepack name, by mpcenc), skipped where the encoder is not installed."""
    if name.endswith((".mpp", ".mp+")):
        missing = [] if encoder_installed("mpc") and ffmpeg_encodes("pcm_s16le") else ["mpcenc"]
    else:
        missing = [e for e in ("pcm_s16le", *needs) if not ffmpeg_encodes(e)]
    return pytest.param(name, codec, listed_as, rate, channels, title, marks=pytest.mark.skipif(
        bool(missing), reason=f"ffmpeg and ffprobe, with {', '.join(missing)}, make this file"))


@pytest.mark.parametrize("name, codec, listed_as, rate, channels, title", [
    _new_format("ring.m4r", ["-c:a", "aac", "-f", "ipod"], "mp4", 44100, 2, True, needs=("aac",)),
    _new_format("memo.3ga", ["-c:a", "aac", "-f", "3gp", "-ar", "16000", "-ac", "1"], "mp4", 16000, 1, True,
                needs=("aac",)),
    _new_format("film.dts", ["-c:a", "dca", "-strict", "-2"], "dts", 44100, 2, False, needs=("dca",)),
    _new_format("old.mpp", [], "musepack", 44100, 2, True),
    _new_format("old.mp+", [], "musepack", 44100, 2, True),
])
def test_ringtones_dts_and_musepacks_other_names_are_listed_play_seek_and_are_analysed(
        store, tmp_path, name, codec, listed_as, rate, channels, title):
    """An iPhone ringtone (.m4r), a phone's recording in 3GPP (.3ga), DTS (.dts) and Musepack
    named .mpp or .mp+ were skipped by the scan: missing from the library, without a word.
    Each is now a track of its length (DTS to its last whole frame of 512 samples), which plays
    each second in its place, seeks to the sample and is analysed."""
    from mutagen.apev2 import APEv2

    from player.analysis import decode_part
    from player.audio.decoder import Decoder
    from tests.player.audio.signals import peak_frequency

    seconds = 3
    music = tmp_path / "music"
    if codec:
        path = stepped_tone(music / name, *codec, "-metadata", "title=Stepped", seconds=seconds)
    else:
        path = stepped_encoded(music / "musepack.mpc", seconds=seconds).rename(music / name)
        tag = APEv2()
        tag["Title"] = "Stepped"
        tag.save(str(path))
    result = Scanner(store).scan([str(music)])
    assert result.errors == 0
    [track] = store.tracks()
    assert (track["codec"], track["sample_rate"], track["channels"]) == (listed_as, rate, channels)
    assert track["title"] == ("Stepped" if title else None)
    assert track["duration"] == pytest.approx(seconds + (512 - seconds * rate % 512) / rate * (listed_as == "dts"),
                                              abs=0.001)

    dec = Decoder(str(path), out_rate=rate, duration_hint=track["duration"])
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    whole = np.concatenate(parts)
    assert len(whole) == pytest.approx(track["duration"] * rate, abs=1)
    for second in range(seconds):
        assert peak_frequency(whole[second * rate + rate // 10: (second + 1) * rate - rate // 10, 0], sr=rate) \
            == pytest.approx(step_frequency(second), abs=10)
    for at in (2 * rate + 17, rate // 2):
        dec.seek_frame(at)
        assert dec.frame == at
        assert np.abs(dec.read(4000) - whole[at: at + 4000]).max() < 1e-3
    dec.close()
    part = decode_part(str(path), None)
    assert "error" not in part and part["pieces"]


def _plays_seeks_and_is_analysed(path, rate: int, duration: float) -> np.ndarray:
    """Every frame ``path`` plays at ``rate``, after seeking twice lands on the very sample that
    plain decoding gives there, and the analysis decodes it too."""
    from player.analysis import decode_part
    from player.audio.decoder import Decoder

    dec = Decoder(str(path), out_rate=rate, duration_hint=duration)
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    whole = np.concatenate(parts)
    for at in (2 * rate + 17, rate // 2):
        dec.seek_frame(at)
        assert dec.frame == at
        assert np.array_equal(dec.read(4000), whole[at: at + 4000]), path
    dec.close()
    part = decode_part(str(path), None)
    assert "error" not in part and part["pieces"], path
    return whole


def _amr(path: Path, wideband: bool, kinds: list[int], seed: int = 0) -> Path:
    """A raw AMR file (as a phone's recorder writes it; nothing here encodes AMR) of frames of
    the types ``kinds`` (a negative one: that type, its frame marked bad), each of random bits:
    any bits are a frame of sound to its decoder."""
    rng = np.random.default_rng(seed)
    sizes = ((17, 23, 32, 36, 40, 46, 50, 58, 60) if wideband else (12, 13, 15, 17, 19, 20, 26, 31)) \
        + (5,) + (0,) * (6 if wideband else 7)
    frames = [bytes([abs(kind) << 3 | 4 * (kind >= 0)]) + rng.integers(0, 256, sizes[abs(kind)], dtype=np.uint8)
              .tobytes() for kind in kinds]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"#!AMR-WB\n" if wideband else b"#!AMR\n") + b"".join(frames))
    return path


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode AMR")
def test_a_phones_amr_recording_is_listed_at_the_length_it_plays_seeks_and_is_analysed(store, tmp_path):
    """Phone recordings, AMR raw (.amr, .awb) or in 3GPP (.3ga), were skipped by the scan. A raw
    AMR file has no length in its header: ffprobe guesses one from the first frames' bit rate
    (a recorder changes it as it goes), so the frames are counted. Frames of silence the encoder
    left out (no data, comfort noise) are skipped by ffmpeg's narrowband decoder and not counted;
    its wideband decoder plays a frame of no data, or one marked bad, as silence. AMR is one
    channel, though a 3GPP file's sample entry says two."""

    music = tmp_path / "music"
    # 150 frames played (3 s) at every bit rate, and 50 of silence left out among them
    narrow = [k for _ in range(19) for k in range(8)][:150]
    _amr(music / "call.amr", False, narrow[:60] + [15] * 20 + [8] * 20 + [-8] * 10 + narrow[60:])
    wide = [k for _ in range(16) for k in range(9)][:135]
    _amr(music / "wide.awb", True, wide[:70] + [9] * 20 + [15] * 5 + [-9] * 5 + [-11] * 5 + wide[70:] + [10] * 5)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(_amr(tmp_path / "src.amr", False, [7] * 150, seed=1)),
                    "-c", "copy", "-f", "3gp", str(music / "memo.3ga")], check=True)
    result = Scanner(store).scan([str(music)])
    assert result.errors == 0
    tracks = {Path(t["path"]).name: t for t in store.tracks()}
    assert {n: (t["codec"], t["sample_rate"], t["channels"]) for n, t in tracks.items()} == {
        "call.amr": ("amr_nb", 8000, 1), "wide.awb": ("amr_wb", 16000, 1), "memo.3ga": ("mp4", 8000, 1)}
    for name, track in tracks.items():
        assert track["duration"] == pytest.approx(3.0, abs=1e-6), name
        rate = track["sample_rate"]
        assert len(_plays_seeks_and_is_analysed(track["path"], rate, track["duration"])) == 3 * rate, name


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode AMR")
def test_an_amr_file_of_no_sound_is_an_error_row_not_a_song_of_hours(store, tmp_path):
    """An AMR file whose frames are all silence left out (a recorder's pause, or a damaged or
    hostile file of such bytes) plays nothing, while ffprobe guesses its length from its size
    at the first frame's rate: 400 KB of them were listed as a song of two hours and a quarter."""
    music = tmp_path / "music"
    _amr(music / "pause.amr", False, [15] * (400 * 1024))
    _amr(music / "comfort.awb", True, [10] * 2000)
    result = Scanner(store).scan([str(music)])
    assert store.tracks() == []
    assert result.errors == 2
    assert all("no audio" in row["last_error"] for row in store.track_errors())


def test_an_amr_file_longer_than_what_is_counted_keeps_ffprobes_length_not_its_starts(tmp_path, monkeypatch):
    """Only so much of a raw AMR file is read to count its frames: a longer one counted from
    its start alone would be listed as long as that start (an hour's recording as minutes)."""
    from player.library import tags

    path = _amr(tmp_path / "long.amr", False, [7] * 600)    # 12 s, 32 bytes a frame
    monkeypatch.setattr(tags, "AMR_COUNT_MAX", 600 * 32 + 6)
    assert tags._amr_frames(str(path)) == 600 * 160
    monkeypatch.setattr(tags, "AMR_COUNT_MAX", 300 * 32)
    assert tags._amr_frames(str(path)) is None


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_is_listed_at_its_length_plays_every_sample_seeks_and_is_analysed(store, tmp_path):
    """Shorten (``.shn``, live recordings traded for decades) was skipped by the scan. It has
    no tags and gives no length, nor does ffprobe: the length is the WAV header's it keeps of
    its source, or where that never said its size, ffmpeg's count of what it decodes. No
    encoder here writes one: it is written by hand, losslessly as Shorten does."""
    from segue_common.audio_io import shorten_frames

    rate, seconds = 44100, 3
    source = (stepped_samples(seconds, rate, 2) * 32767).astype(np.int16)
    music = tmp_path / "music"
    write_shorten(music / "live.shn", source, rate)
    write_shorten(music / "piped.shn", source[:2 * rate + 100], rate, sized=False)
    result = Scanner(store).scan([str(music)])
    assert result.errors == 0
    tracks = {Path(t["path"]).name: t for t in store.tracks()}
    assert {n: (t["codec"], t["sample_rate"], t["channels"], t["duration"]) for n, t in tracks.items()} == {
        "live.shn": ("shorten", rate, 2, seconds), "piped.shn": ("shorten", rate, 2, (2 * rate + 100) / rate)}
    # the first from its header, without decoding it (the count ffmpeg gives is the same: the
    # lengths above alone would not show the header read at all); a header cut short is none
    assert shorten_frames(music / "live.shn") == seconds * rate
    assert shorten_frames(music / "piped.shn") is None
    cut = tmp_path / "cut.shn"
    cut.write_bytes((music / "live.shn").read_bytes()[:40])
    assert shorten_frames(cut) is None

    whole = _plays_seeks_and_is_analysed(music / "live.shn", rate, tracks["live.shn"]["duration"])
    assert np.array_equal(whole, source / np.float32(32768))          # every sample, as it went in


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_behind_an_id3_tag_is_listed_with_its_tags_and_length_and_plays(store, tmp_path):
    """Some taggers put an ID3v2 tag in front of a Shorten file (a cover in it, larger than
    the first codes read for a length): the file was an error row, "damaged MP3 file: can't
    sync to MPEG frame", though ffmpeg plays it. It is listed as Shorten, its names from the
    tag, its length as a file without the tag gets it: the header's, or its codes walked."""
    from mutagen.id3 import APIC, ID3, TIT2, TPE1

    from segue_common import audio_io

    rate = 44100
    source = (stepped_samples(3, rate, 2) * 32767).astype(np.int16)
    music = tmp_path / "music"
    paths = {"sized": write_shorten(music / "sized.shn", source, rate),
             "piped": write_shorten(music / "piped.shn", source[:rate // 4], rate, sized=False)}
    for name, path in paths.items():
        tag = ID3()
        tag.add(TIT2(encoding=3, text=f"Set {name}"))
        tag.add(TPE1(encoding=3, text="Грейтфул Дэд"))
        tag.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=bytes(100_000)))
        tag.save(str(path))
        assert path.read_bytes()[:3] == b"ID3"
    result = Scanner(store).scan([str(music)])
    assert (result.errors, store.track_errors()) == (0, [])
    tracks = {Path(t["path"]).name: t for t in store.tracks()}
    assert {n: (t["codec"], t["sample_rate"], t["channels"], t["duration"], t["title"], t["artist"])
            for n, t in tracks.items()} == {
        "sized.shn": ("shorten", rate, 2, 3.0, "Set sized", "Грейтфул Дэд"),
        "piped.shn": ("shorten", rate, 2, (rate // 4) / rate, "Set piped", "Грейтфул Дэд")}
    # estimated from its first codes where it is longer, the tag is no part of its size
    bare = write_shorten(tmp_path / "bare.shn", source[:rate // 4], rate, sized=False)
    assert audio_io.shorten_walk(paths["piped"], 1024) == audio_io.shorten_walk(bare, 1024)
    whole = _plays_seeks_and_is_analysed(paths["sized"], rate, tracks["sized.shn"]["duration"])
    assert np.array_equal(whole, source / np.float32(32768))          # every sample, as it went in


def _unsized_shorten(tmp_path, monkeypatch):
    """A Shorten file whose header gives no length (``music/set.shn``): a quiet second, then
    two loud ones, so that an estimate from its first codes is seconds off. Its first 4 KB are
    walked for the estimate, so the short file is walked as a long one. Returns the rate, the
    loud part, all it holds, its folder and its path."""
    from segue_common import audio_io

    monkeypatch.setattr(audio_io, "SHORTEN_WALK_BYTES", 4096, raising=False)
    rate = 44100
    quiet = (stepped_samples(1, rate, 2) * 300).astype(np.int16)
    loud = (stepped_samples(3, rate, 2) * 32767).astype(np.int16)
    source = np.concatenate([quiet, loud])
    music = tmp_path / "music"
    return rate, loud, source, music, write_shorten(music / "set.shn", source, rate, sized=False)


def _scan_stopped_in_the_count(store, folders=None) -> None:
    """A scan of ``folders`` (by default the library's) cancelled once it begins counting the
    lengths of the files listed at an estimate (the app closed then)."""
    from player.library.scanner import ScanCancelled

    def stop_in_the_count(progress):
        if progress.counting:
            scanner.cancel()

    scanner = Scanner(store, progress=stop_in_the_count, progress_interval_s=0)
    with pytest.raises(ScanCancelled):
        scanner.scan(folders)


@pytest.mark.slow
@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_whose_header_gives_no_length_is_listed_first_and_counted_after(store, tmp_path,
                                                                                       monkeypatch):
    """Where the WAV header Shorten keeps gives no size, only decoding the whole file counts
    its samples (a second or two for ten minutes): the scan decoded each such file as it
    listed it, half an hour for a folder of a thousand. It lists them at an estimate from
    their first codes, then counts them once every file is listed; a scan stopped before the
    count reads the file again next time. Codes that cannot be Shorten's (a file of zeros
    after its header) are found in the first of them, where ffmpeg decoded all of it first."""
    import soundfile as sf

    from player.library.scanner import ScanCancelled
    from segue_common import audio_io

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    sf.write(music / "other.flac", loud, rate)
    bare = write_shorten(tmp_path / "bare.shn", source[:0], rate).read_bytes()     # (its header, and its end)
    (music / "zeros.shn").write_bytes(bare[:-2] + bytes(8 << 20))

    seen = []

    def stop_once_listed(progress):
        if progress.total and progress.done == progress.total and store.tracks():
            seen.append({Path(t["path"]).name: t["duration"] for t in store.tracks()})
            scanner.cancel()

    scanner = Scanner(store, progress=stop_once_listed, progress_interval_s=0)
    with pytest.raises(ScanCancelled):
        scanner.scan([str(music)])
    # every file listed before any is counted, the set at its estimate
    estimate = audio_io.shorten_walk(path)
    assert estimate is not None and not estimate[1] and estimate[0] != len(source)
    assert seen[0] == {"set.shn": estimate[0] / rate, "other.flac": 3.0}
    [bad] = store.track_errors()
    assert (Path(bad["path"]).name, bad["last_error"]) == ("zeros.shn", "damaged Shorten file: its audio is not "
                                                                        "Shorten's codes")

    # the count shows itself (every file listed, ``done`` stands at ``total`` meanwhile)
    counts = []
    result = Scanner(store, progress=lambda p: counts.append((p.done, p.total, p.counted, p.counting)),
                     progress_interval_s=0).scan([str(music)])
    assert (3, 3, 0, 1) in counts and counts[-1][2:] == (1, 1)
    # (the damaged file, read by this reader before the stop, is not read again: still an error)
    assert (result.errors, result.unchanged, len(store.track_errors())) == (0, 2, 1)
    tracks = {Path(t["path"]).name: t for t in store.tracks()}
    assert tracks["set.shn"]["duration"] == len(source) / rate
    assert tracks["set.shn"]["mtime_ns"] == path.stat().st_mtime_ns
    assert Scanner(store).scan([str(music)]).unchanged == 3


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_not_counted_yet_whose_folder_is_renamed_keeps_its_plays_and_is_counted(store, tmp_path,
                                                                                              monkeypatch):
    """A scan stopped in the count leaves a Shorten file's track with no modification time
    (listed at an estimate, to be read again). Its album's folder renamed before the next
    scan, the track was paired with nothing: the file came back as a new track, and the play
    logged meanwhile stayed with the old one, missing."""
    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    album = music / "Live 1977"
    album.mkdir()
    path.rename(album / "set.shn")

    _scan_stopped_in_the_count(store, [str(music)])
    [track] = store.tracks()
    assert track["duration"] != len(source) / rate          # (listed at its estimate, not counted)
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    album.rename(music / "Live 1977 (2024)")

    result = Scanner(store).scan([str(music)])
    assert (result.moved, result.missing) == (1, 0)
    [moved] = store.tracks()
    assert (moved["id"], moved["path"]) == (track["id"], str(music / "Live 1977 (2024)" / "set.shn"))
    assert (moved["duration"], moved["mtime_ns"]) == (len(source) / rate, (music / "Live 1977 (2024)" /
                                                                           "set.shn").stat().st_mtime_ns)
    assert [play["track_id"] for play in store.plays()] == [track["id"]]


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_moved_file_goes_to_its_own_track_before_a_copy_not_counted_yet(store, tmp_path, monkeypatch):
    """An album copied beside itself (new times), the scan stopped in the copy's count, then
    the folder above both renamed: the original's file is its track's to the nanosecond, and
    also of the copy's track's name and size, which has no time to go by. The copy's track,
    played more, took the original's file, and the original's track and its plays stayed
    missing, the copy's file a new track."""
    import shutil

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    album, copy = music / "Artist" / "Album", music / "Artist" / "Album (copy)"
    album.mkdir(parents=True)
    copy.mkdir()
    path.rename(album / "set.shn")
    Scanner(store).scan([str(music)])
    shutil.copyfile(album / "set.shn", copy / "set.shn")
    _bump_mtime(copy / "set.shn")

    _scan_stopped_in_the_count(store)
    ids = {Path(t["path"]).parent.name: t["id"] for t in store.tracks()}
    assert store.track(ids["Album (copy)"])["mtime_ns"] == ESTIMATED_MTIME
    for name, plays in (("Album", 1), ("Album (copy)", 2)):
        for _ in range(plays):
            store.end_play(store.start_play(ids[name]), "finished", 1000)
    (music / "Artist").rename(music / "The Artist")

    result = Scanner(store).scan()
    assert (result.moved, result.missing) == (2, 0)
    assert {t["id"]: t["path"] for t in store.tracks()} == {
        ids[name]: str(music / "The Artist" / name / "set.shn") for name in ("Album", "Album (copy)")}
    assert sorted(play["track_id"] for play in store.plays()) == sorted([ids["Album"]] + [ids["Album (copy)"]] * 2)


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_scan_stopped_in_the_count_keeps_the_lengths_it_counted(store, tmp_path, monkeypatch):
    """Counting the lengths of a thousand Shorten files takes half an hour. A scan stopped
    part way through it (the app closed) threw away every count not yet written (up to a
    batch of them): those files stayed at their estimates and were decoded all over again by
    the next scan. What was counted is written; the next scan counts only the rest."""
    import shutil

    from player.library.scanner import ScanCancelled

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    added = ["encore.shn", "bonus.shn"]
    for name in added:
        shutil.copyfile(path, music / name)

    def stop_after_the_first_count(progress):
        if progress.counting and progress.counted == 1:
            scanner.cancel()

    scanner = Scanner(store, progress=stop_after_the_first_count, progress_interval_s=0)
    with pytest.raises(ScanCancelled):
        scanner.scan()
    rows = {Path(t["path"]).name: t for t in store.tracks()}
    counted = [name for name in added if rows[name]["mtime_ns"] == (music / name).stat().st_mtime_ns]
    assert len(counted) == 1 and rows[counted[0]]["duration"] == len(source) / rate
    [uncounted] = set(added) - set(counted)
    assert rows[uncounted]["mtime_ns"] == ESTIMATED_MTIME

    result = Scanner(store).scan()
    assert (result.read, result.unchanged, result.counting) == (1, 2, 1)
    assert {t["duration"] for t in store.tracks()} == {len(source) / rate}


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_first_scan_stopped_in_the_count_leaves_the_next_only_what_it_did_not_read(store, tmp_path, monkeypatch):
    """A folder's first scan stopped in the count (the app closed half an hour into a
    thousand Shorten files): its tracks were taken for an older reader's, as the folder had
    no reader noted yet, and the next scan read every file again and counted every length
    again. They are this reader's: the next scan counts only the files left uncounted."""
    import shutil

    from player.library.scanner import ScanCancelled

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    shutil.copyfile(path, music / "encore.shn")

    def stop_after_the_first_count(progress):
        if progress.counting and progress.counted == 1:
            scanner.cancel()

    scanner = Scanner(store, progress=stop_after_the_first_count, progress_interval_s=0)
    with pytest.raises(ScanCancelled):
        scanner.scan([str(music)])
    result = Scanner(store).scan()
    assert (result.read, result.reread, result.unchanged, result.counting) == (1, 0, 1, 1)
    assert {t["duration"] for t in store.tracks()} == {len(source) / rate}


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_played_shorten_file_stopped_in_its_count_then_deleted_gives_its_plays_to_its_copy(store, tmp_path,
                                                                                          monkeypatch):
    """A played Shorten file copied into another folder (new times) and touched; the scan that
    lists both stopped in the count (the app closed): the track is written back with no time
    of its file, the copy's listed at its estimate. Then the first folder is deleted: the
    track, missing with its plays, and the copy were never paired, as they are where both
    have their file's time: the history stayed with a track of no file."""
    import shutil

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    first, second = music / "First", music / "Second"
    first.mkdir()
    second.mkdir()
    path = path.rename(first / path.name)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    shutil.copyfile(path, second / path.name)
    _bump_mtime(path)

    _scan_stopped_in_the_count(store)
    shutil.rmtree(first)

    result = Scanner(store).scan()
    assert result.missing == 0
    [copy] = store.tracks()
    assert copy["path"] == str(second / path.name) and copy["duration"] == len(source) / rate
    assert [play["track_id"] for play in store.plays()] == [copy["id"]]
    assert store.missing_tracks() == []


def _shorten_behind_an_id3_tag(path: Path, fault: str | None = None, *, sized: bool = True) -> tuple[np.ndarray, int]:
    """A Shorten file at ``path`` (its header gives its length where ``sized``) with an ID3v2
    tag in front (a title and a cover), whose size is given wrong as ``fault`` says: "short"
    (the stream starts after where the tag says it ends), "long" (before), "padded" (zeros
    written after the tag, outside its size), or right (None). Returns what it holds and its
    rate."""
    from mutagen import id3

    rate = 22050
    source = (stepped_samples(1, rate, 2) * 20000).astype(np.int16)
    write_shorten(path, source, rate, sized=sized)
    tag = id3.ID3()
    tag.add(id3.TIT2(encoding=id3.Encoding.UTF8, text=["Tagged"]))
    tag.add(id3.APIC(encoding=id3.Encoding.UTF8, mime="image/jpeg", type=3, desc="", data=b"\xff\xd8" + bytes(3000)))
    tag.save(str(path.with_suffix(".id3")), v2_version=3, padding=lambda info: 0)
    head = bytearray(path.with_suffix(".id3").read_bytes())
    path.with_suffix(".id3").unlink()
    size = len(head) - 10 + {None: 0, "padded": 0, "short": -100, "long": 100}[fault]
    head[6:10] = bytes(size >> shift & 0x7F for shift in (21, 14, 7, 0))      # (its size, 7 bits a byte)
    path.write_bytes(bytes(head) + bytes(500 if fault == "padded" else 0) + path.read_bytes())
    return source, rate


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
@pytest.mark.parametrize("fault", ["short", "long", "padded"])
def test_a_shorten_file_behind_an_id3_tag_of_a_wrong_size_is_listed_and_plays(store, tmp_path, fault):
    """A tagger that writes the size of its ID3v2 tag wrong (or pads it outside that size)
    leaves the Shorten stream elsewhere than the tag says: the file was listed as a "damaged
    MP3 file", and ffmpeg, passing over the tag by its size, found no audio in it. The
    stream is looked for near there, and the file listed and played from it."""
    from player.audio.decoder import Decoder

    music = tmp_path / "music"
    source, rate = _shorten_behind_an_id3_tag(music / "live.shn", fault)
    result = Scanner(store).scan([str(music)])
    assert (result.errors, store.track_errors()) == (0, [])
    [track] = store.tracks()
    assert (track["title"], track["codec"], track["duration"]) == ("Tagged", "shorten", len(source) / rate)
    dec = Decoder(track["path"], out_rate=rate, duration_hint=track["duration"])
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    dec.close()
    assert np.abs(np.concatenate(parts) * 32768 - source).max() < 1


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_behind_an_id3_tag_is_not_called_a_damaged_mp3(store, tmp_path, monkeypatch):
    """The ID3v2 tag in front made the reader take a Shorten file for an MP3: where ffmpeg is
    not installed, or its codes are damaged, it was listed as a "damaged MP3 file", and the
    first did not say that ffmpeg plays it (nor was it read again once ffmpeg was found)."""
    from segue_common import audio_io

    music = tmp_path / "music"
    _shorten_behind_an_id3_tag(music / "whole.shn")
    damaged = music / "damaged.shn"
    _shorten_behind_an_id3_tag(damaged, sized=False)
    raw = damaged.read_bytes()
    start = raw.index(b"ajkg") + 200
    damaged.write_bytes(raw[:start] + bytes(len(raw) - start))     # (its header whole, its codes zeros)
    Scanner(store).scan([str(music)])
    assert [(Path(r["path"]).name, r["last_error"]) for r in store.track_errors()] == [
        ("damaged.shn", "damaged Shorten file: its audio is not Shorten's codes")]

    damaged.unlink()
    monkeypatch.setenv("PATH", path_without_ffmpeg(tmp_path / "bin"))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    audio_io._COMPLETE.clear()
    (music / "whole.shn").rename(music / "moved.shn")
    Scanner(store).scan()
    assert [(Path(r["path"]).name, r["last_error"]) for r in store.track_errors()] == [
        ("moved.shn", "format not supported (shn): install ffmpeg to play it")]


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_an_older_reader_called_a_damaged_mp3_is_read_again(store, tmp_path):
    """The error row an older reader left of a Shorten file behind an ID3v2 tag of a wrong
    size ("damaged MP3 file") stayed, the file unchanged, though it plays now: it is read
    again once."""
    music = tmp_path / "music"
    source, rate = _shorten_behind_an_id3_tag(music / "live.shn", "short")
    write_track(music, "other", fmt="flac", seconds=1.0)
    Scanner(store).scan([str(music)])
    # as the older reader left it
    store.execute("UPDATE tracks SET last_error = ?, title = NULL, duration = NULL, codec = NULL "
                  "WHERE path LIKE '%.shn'", ("damaged MP3 file: can't sync to MPEG frame",))

    result = Scanner(store).scan()
    assert (result.reread, result.unchanged, result.errors) == (1, 1, 0)
    assert store.track_errors() == []
    assert {t["title"]: t["duration"] for t in store.tracks()}["Tagged"] == len(source) / rate
    assert Scanner(store).scan().unchanged == 2


def _count_fails_once_then_counted(store, music, path, track_id, length) -> None:
    """A scan of ``music`` whose count of the Shorten file at ``path`` (the one track,
    ``track_id``, counted before at ``length``) fails (the share answers with errors), then
    one with the file whole again: the track stays as it was, its plays with it, and is
    counted by the second."""
    whole, st = path.read_bytes(), path.stat()

    def unreadable_in_the_count(progress):
        if progress.counting and progress.counted == 0:
            path.write_bytes(bytes(len(whole)))         # (what a share answering with errors gives)

    result = Scanner(store, progress=unreadable_in_the_count, progress_interval_s=0).scan([str(music)])
    path.write_bytes(whole)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (result.errors, store.track_errors()) == (0, [])
    [kept] = store.tracks()
    assert (kept["id"], kept["duration"]) == (track_id, length)
    assert [play["track_id"] for play in store.plays()] == [track_id]

    assert Scanner(store).scan([str(music)]).read == 1              # counted again, the file whole
    [counted] = store.tracks()
    assert (counted["id"], counted["duration"], counted["mtime_ns"]) == (track_id, length, st.st_mtime_ns)


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_known_shorten_file_whose_count_fails_once_keeps_its_track_and_is_counted_next_time(store, tmp_path,
                                                                                             monkeypatch):
    """A Shorten file counted by a scan and played, then touched: the next scan lists it at an
    estimate and counts it again. That count failing once (the file unreadable for a moment,
    as a share answering with errors) made it an error row: the song and its plays left the
    library, and the file, the same size and time since, was not tried again. A scan keeps a
    known file it fails to read again; so it keeps this one, and counts it at the next scan."""
    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)

    _count_fails_once_then_counted(store, music, path, track["id"], len(source) / rate)
    assert Scanner(store).scan([str(music)]).unchanged == 1


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_known_shorten_file_whose_count_fails_at_two_scans_in_a_row_is_an_error_row(store, tmp_path, monkeypatch):
    """The first failed count keeps the track; a second, at the next scan, makes it an error
    row (it does not play to its end). The first failure must leave the track as a new file is
    listed, not as a track counted before: so listed, every later failure kept it too, and a
    damaged file stayed in the library for good at a length no decoder reaches."""
    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)
    whole, st = path.read_bytes(), path.stat()

    def unreadable_in_the_count(progress):
        if progress.counting and progress.counted == 0:
            path.write_bytes(bytes(len(whole)))         # (what a share answering with errors gives)

    errors = []
    for _scan in range(2):
        errors.append(Scanner(store, progress=unreadable_in_the_count, progress_interval_s=0).scan([str(music)]).errors)
        path.write_bytes(whole)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert errors == [0, 1]
    assert [(row["id"], row["path"]) for row in store.track_errors()] == [(track["id"], str(path))]
    assert [play["track_id"] for play in store.plays()] == [track["id"]]


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_scan_stopped_in_the_count_leaves_a_known_shorten_file_its_one_failed_count(store, tmp_path,
                                                                                       monkeypatch):
    """A known Shorten file touched, and the scan that lists it stopped before its count (the
    app closed): the track was left as a count that failed leaves it, so the next scan's count
    failing once (a share answering with errors) made it an error row at once, its plays out
    of the library. A stop is no failed count: the first failure since it was counted keeps it."""
    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)

    _scan_stopped_in_the_count(store)
    [stopped] = store.tracks()
    assert (stopped["id"], stopped["duration"], stopped["last_error"]) == (track["id"], len(source) / rate, None)

    _count_fails_once_then_counted(store, music, path, track["id"], len(source) / rate)


@pytest.mark.slow
@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le") or sys.platform == "win32",
                    reason="ffmpeg and ffprobe decode Shorten; SIGKILL is POSIX")
def test_a_scan_killed_in_the_count_leaves_known_shorten_files_their_one_failed_count(store, tmp_path):
    """``segue scan`` killed as it counts known Shorten files touched since (the computer shut
    down, the process killed): none of a stop's own clean-up runs, and the tracks not counted
    yet were left as a count that failed leaves them, so the next scan's count failing once (a
    share answering with errors) made error rows of them at once, their plays out of the library."""
    import signal

    from player.library.identity import UNCOUNTED_MTIMES

    rate = 44100
    music = tmp_path / "music"
    first = write_shorten(music / "set0.shn", (stepped_samples(4, rate, 2) * 32767).astype(np.int16), rate,
                          sized=False)
    paths = [first] + [Path(shutil.copyfile(first, music / f"set{i}.shn")) for i in (1, 2)]
    Scanner(store).scan([str(music)])
    tracks = {t["path"]: t for t in store.tracks()}
    assert len(tracks) == 3 and not any(t["mtime_ns"] in UNCOUNTED_MTIMES for t in tracks.values())
    for track in tracks.values():
        store.end_play(store.start_play(track["id"]), "finished", 1000)
    for path in paths:
        _bump_mtime(path)

    uncounted = f"SELECT count(*) FROM tracks WHERE mtime_ns IN {UNCOUNTED_MTIMES}"
    scan = subprocess.Popen([sys.executable, "-m", "player", "scan"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while scan.poll() is None and time.monotonic() < deadline and not store.execute(uncounted).fetchone()[0]:
            time.sleep(0.005)           # (listed: counting now, a file about every half second)
        assert scan.poll() is None, "the scan ended before it could be killed in its count"
        scan.send_signal(signal.SIGKILL)
        scan.wait(30)
    finally:
        if scan.poll() is None:
            scan.kill()
    assert store.execute(uncounted).fetchone()[0] > 0

    wholes = {path: (path.read_bytes(), path.stat()) for path in paths}

    def unreadable_in_the_count(progress):
        if progress.counting and progress.counted == 0:
            for path, (whole, _st) in wholes.items():
                path.write_bytes(bytes(len(whole)))     # (what a share answering with errors gives)

    result = Scanner(store, progress=unreadable_in_the_count, progress_interval_s=0).scan()
    for path, (whole, st) in wholes.items():
        path.write_bytes(whole)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (result.errors, store.track_errors()) == (0, [])
    assert {t["path"]: (t["id"], t["duration"]) for t in store.tracks()} == {
        path: (t["id"], t["duration"]) for path, t in tracks.items()}
    assert sorted(p["track_id"] for p in store.plays()) == sorted(t["id"] for t in tracks.values())
    Scanner(store).scan()
    assert {t["path"]: (t["id"], t["mtime_ns"]) for t in store.tracks()} == {
        str(path): (tracks[str(path)]["id"], st.st_mtime_ns) for path, (_whole, st) in wholes.items()}


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_scan_stopped_by_ctrl_c_in_the_count_leaves_a_known_shorten_file_its_one_failed_count(store, tmp_path,
                                                                                             monkeypatch):
    """Ctrl-C in ``segue scan`` as it counts a known Shorten file touched since: the interrupt
    comes in the count itself, not in the progress callback that notes a cancel, and the track
    was left as a count that failed leaves it, so the next scan's count failing once (a share
    answering with errors) made it an error row at once, its plays out of the library."""
    import signal

    from player.library import scanner

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)

    count_frames = scanner.count_frames

    def interrupted_as_it_counts(counted):
        signal.raise_signal(signal.SIGINT)      # (Python raises it at once, in the count)
        return count_frames(counted)

    monkeypatch.setattr(scanner, "count_frames", interrupted_as_it_counts)
    with pytest.raises(KeyboardInterrupt):
        Scanner(store).scan()
    monkeypatch.setattr(scanner, "count_frames", count_frames)
    [stopped] = store.tracks()
    assert (stopped["id"], stopped["duration"], stopped["last_error"]) == (track["id"], len(source) / rate, None)

    _count_fails_once_then_counted(store, music, path, track["id"], len(source) / rate)


def _scan_stopped_by_the_window(store, qtbot, when) -> None:
    """A scan of the library stopped as the window stops it (the app closed, Cancel pressed):
    run as the window's task, on a worker, its handle cancelled once ``when(progress)``; the
    task's report, which the scan calls with its progress, then raises."""
    import threading

    from player.workers import TaskCancelled, run_task

    handed_out = threading.Event()      # the handle is the test's before the scan may stop it

    def scan(report):
        def stopped_when(progress):
            if when(progress):
                task.cancel()
            report(progress)

        handed_out.wait()
        return Scanner(store, progress=stopped_when, progress_interval_s=0).scan()

    task = run_task(scan, progress=lambda progress: None, name="scan")
    handed_out.set()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert isinstance(task.error, TaskCancelled)


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_scan_the_window_stops_in_the_count_keeps_the_one_failed_count_and_the_counts_made(store, tmp_path,
                                                                                           monkeypatch, qtbot):
    """The window stops a scan through its task (the app closed, Cancel pressed), whose
    report raises inside the scan, not through the scan's own cancel: a known Shorten file
    touched and stopped in its count was left as a failed count leaves it (the next count
    failing once made it an error row, its plays out of the library), and the counts made
    before the stop were thrown away. A stop is a stop, whoever makes it."""
    import shutil

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)

    _scan_stopped_by_the_window(store, qtbot, lambda progress: progress.counting)
    [stopped] = store.tracks()
    assert (stopped["id"], stopped["duration"], stopped["last_error"]) == (track["id"], len(source) / rate, None)
    _count_fails_once_then_counted(store, music, path, track["id"], len(source) / rate)

    added = ["encore.shn", "bonus.shn"]
    for name in added:
        shutil.copyfile(path, music / name)
    _scan_stopped_by_the_window(store, qtbot, lambda progress: progress.counting and progress.counted == 1)
    rows = {Path(t["path"]).name: t for t in store.tracks()}
    assert sum(rows[name]["mtime_ns"] == (music / name).stat().st_mtime_ns for name in added) == 1
    assert Scanner(store).scan().counting == 1


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_known_shorten_file_whose_scan_stopped_in_the_count_keeps_its_plays_when_its_folder_is_renamed(
        store, tmp_path, monkeypatch):
    """A scan stopped in the count writes a known Shorten file's track back with the time it had,
    while the file has a newer one: its folder renamed before the next scan, the track still goes
    with the file (the file is listed uncounted again, paired by its name, size and format), its
    plays with it, not a new track beside a missing one."""
    from player.library.identity import moved_with_its_folder

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    old = music / "Live 1994"
    old.mkdir()
    path = path.rename(old / path.name)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)

    _scan_stopped_in_the_count(store, [str(music)])
    [stopped] = store.tracks()
    assert (stopped["id"], stopped["duration"]) == (track["id"], len(source) / rate)
    assert stopped["mtime_ns"] != path.stat().st_mtime_ns       # (so that the next scan counts it)
    moved = (old.rename(music / "Live 1994 (remaster)")) / path.name
    # the player, asked for it before the next scan, finds it beside its renamed folder
    assert moved_with_its_folder(stopped["path"], stopped["size"], stopped["mtime_ns"], str(music)) == str(moved)

    result = Scanner(store).scan([str(music)])
    assert (result.moved, result.missing, result.errors) == (1, 0, 0)
    [kept] = store.tracks()
    assert (kept["id"], kept["path"], kept["duration"]) == (track["id"], str(moved), len(source) / rate)
    assert kept["mtime_ns"] == moved.stat().st_mtime_ns
    assert [play["track_id"] for play in store.plays()] == [track["id"]]


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_scan_killed_in_the_count_leaves_a_known_shorten_file_to_be_counted_next_time(store, tmp_path,
                                                                                       monkeypatch):
    """A scan process killed in the count (not stopped: nothing of it runs after) leaves a known
    Shorten file's track listed with no time, its id and plays kept: the next scan counts it."""
    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.end_play(store.start_play(track["id"]), "finished", 1000)
    _bump_mtime(path)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from player.library.scanner import Scanner\n"
        "from player.store import Store\n"
        "def killed(progress):\n"
        "    if progress.counting:\n"
        "        os._exit(9)\n"
        "Scanner(Store.open(), progress=killed, progress_interval_s=0).scan([sys.argv[1]])\n"),
        str(music)], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert killed.returncode == 9, killed.stderr
    [left] = store.tracks()
    assert (left["id"], left["mtime_ns"], left["duration"], left["last_error"]) == (
        track["id"], COUNTED_BEFORE_MTIME, len(source) / rate, None)

    assert Scanner(store).scan([str(music)]).read == 1
    [counted] = store.tracks()
    assert (counted["id"], counted["duration"], counted["mtime_ns"]) == (track["id"], len(source) / rate,
                                                                         path.stat().st_mtime_ns)
    assert [play["track_id"] for play in store.plays()] == [track["id"]]


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_read_again_lists_every_file_first_and_counts_a_shorten_files_length_after(store, tmp_path, monkeypatch):
    """"Read tags again" decoded a Shorten file whose header gives no length as it read it
    (on the worker, not the window's thread): the other files of the selection waited behind
    the count, and the status said nothing of it. It reads them all first, as a scan lists
    them, then counts, and says so; a count that fails keeps the track as it was and is
    listed as a file that could not be read, as a read that fails is."""
    import soundfile as sf

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    sf.write(music / "other.flac", loud, rate)
    Scanner(store).scan([str(music)])
    ids = {Path(t["path"]).name: t["id"] for t in store.tracks()}
    write_tags(music / "other.flac", title="Retitled")

    seen = []

    def at_the_count(progress):
        if progress.counting and not seen:
            seen.append((progress.done, progress.total, {Path(t["path"]).name: (t["title"], t["duration"])
                                                         for t in store.tracks()}))

    result = Scanner(store, progress=at_the_count, progress_interval_s=0).read_again(ids.values())
    assert seen == [(2, 2, {"set.shn": (None, len(source) / rate), "other.flac": ("Retitled", 3.0)})]
    assert (result.read, result.errors, result.counted) == (2, 0, 1)
    shn = store.track(ids["set.shn"])
    assert (shn["duration"], shn["mtime_ns"]) == (len(source) / rate, path.stat().st_mtime_ns)

    whole = path.read_bytes()

    def unreadable_in_the_count(progress):
        if progress.counting and progress.counted == 0:
            path.write_bytes(bytes(len(whole)))

    result = Scanner(store, progress=unreadable_in_the_count, progress_interval_s=0).read_again([ids["set.shn"]])
    assert (result.read, result.errors, [p for p, _ in result.error_paths]) == (0, 1, [str(path)])
    assert store.track(ids["set.shn"])["duration"] == len(source) / rate and not store.track_errors()


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_read_again_counts_a_shorten_file_whose_recounted_length_changed_as_changed(store, tmp_path, monkeypatch):
    """Read again, a Shorten file is listed with its track's length until it is counted: its
    tags as they were, it was counted as unchanged there, and a count that gave another
    length than the track had said "0 changed", so the window did not show the new length."""
    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    store.execute("UPDATE tracks SET duration = 2.5 WHERE id = ?", (track["id"],))    # (as it was counted before)

    result = Scanner(store).read_again([track["id"]])
    assert store.track(track["id"])["duration"] == len(source) / rate
    assert (result.read, result.same, result.errors) == (1, 0, 0)
    assert Scanner(store).read_again([track["id"]]).same == 1           # (counted the same: unchanged)

    # Its count failing, it is one file that could not be read, not "-1 changed".
    whole = path.read_bytes()

    def unreadable_in_the_count(progress):
        if progress.counting and progress.counted == 0:
            path.write_bytes(bytes(len(whole)))

    result = Scanner(store, progress=unreadable_in_the_count, progress_interval_s=0).read_again([track["id"]])
    assert (result.read, result.same, result.errors) == (0, 0, 1)


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_counted_shorten_file_read_again_keeps_its_length_and_analysis_until_counted(store, tmp_path,
                                                                                      monkeypatch):
    """A Shorten file whose header gives no length, counted by a scan and analysed, then only
    touched (its times changed, its audio not): read again, it is listed at an estimate until
    counted. Written over the track's counted length, that estimate (seconds off) read to the
    store as other audio, and the track's analysis was thrown away. Audio that did change
    still loses it, once counted."""
    from segue_common import audio_io

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    assert abs(audio_io.shorten_walk(path)[0] - len(source)) > 2 * rate          # (an estimate seconds off)
    Scanner(store).scan([str(music)])
    [track] = store.tracks()
    assert track["duration"] == len(source) / rate
    store.save_features([{"track_id": track["id"], "model_version": "test", "bucket": "rock",
                          "tags": np.ones(4, np.float32)}])

    listed = []
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    result = Scanner(store, progress=lambda p: listed.extend(t["duration"] for t in store.tracks()),
                     progress_interval_s=0).scan([str(music)])
    assert result.read == 1
    assert set(listed) == {len(source) / rate}          # never the estimate, while it was counted
    [track] = store.tracks()
    assert (track["duration"], track["mtime_ns"]) == (len(source) / rate, path.stat().st_mtime_ns)
    assert len(store.features("test")) == 1

    write_shorten(path, source[:rate], rate, sized=False)           # other audio now: its analysis goes
    Scanner(store).scan([str(music)])
    assert store.tracks()[0]["duration"] == 1.0
    assert len(store.features("test")) == 0


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode TAK")
@pytest.mark.parametrize("rate, channels", [(44100, 2), (48000, 1)])
def test_a_tak_file_is_listed_with_its_tags_plays_every_sample_seeks_and_is_analysed(store, tmp_path, rate,
                                                                                     channels):
    """TAK (``.tak``), a lossless format of CD rips, was skipped by the scan. No encoder here
    writes one: it is written by hand, losslessly as TAK does, and tagged as its taggers do (an
    APEv2 tag at the end)."""
    from mutagen.apev2 import APEv2


    seconds = 3
    source = (stepped_samples(seconds, rate, channels) * 32767).astype(np.int16)
    path = write_tak(tmp_path / "music" / "rip.tak", source, rate)
    tag = APEv2()
    tag.update({"Title": "Lossless", "Artist": "Becker", "Track": "2/10"})
    tag.save(str(path))
    result = Scanner(store).scan([str(tmp_path / "music")])
    assert result.errors == 0
    [track] = store.tracks()
    assert (track["title"], track["artist"], track["track_no"]) == ("Lossless", "Becker", 2)
    assert (track["codec"], track["sample_rate"], track["channels"], track["duration"]) \
        == ("tak", rate, channels, seconds)

    whole = _plays_seeks_and_is_analysed(path, rate, track["duration"])
    assert np.array_equal(whole[:, :channels], source / np.float32(32768))     # every sample, as it went in


@pytest.mark.skipif(not ffmpeg_encodes("dca"), reason="ffmpeg and ffprobe with the DTS encoder (dca)")
def test_a_5_1_dts_rip_is_listed_and_mixed_down_with_its_centre(store, tmp_path):
    """A 5.1 DTS file (CD and DVD rips) was skipped by the scan. It is listed with its six
    channels and played in stereo as every 5.1 file is: the fronts as they are, the centre
    (dialogue, vocals) on both sides and the surrounds on theirs at -3 dB, the LFE left out,
    and its sum marked to be bent, not cut, where it passes full scale."""
    import soundfile as sf

    from player.audio.decoder import Decoder

    rate, n = 48000, 48000 * 2
    t = np.arange(n) / rate
    source = np.zeros((n, 6), np.float32)      # FL FR FC LFE SL SR, a tone of its own in each
    for channel, freq in enumerate((330, 550, 440, 60, 770, 990)):
        source[:, channel] = 0.2 * np.sin(2 * np.pi * freq * t)
    wav = tmp_path / "six.wav"
    sf.write(str(wav), source, rate, subtype="PCM_16")
    path = tmp_path / "music" / "film.dts"
    path.parent.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-af", "aformat=channel_layouts=5.1(side)",
                    "-c:a", "dca", "-strict", "-2", str(path)], check=True)
    Scanner(store).scan([str(tmp_path / "music")])
    [track] = store.tracks()
    assert (track["codec"], track["channels"]) == ("dts", 6)
    # what the file holds, channel by channel, as ffmpeg decodes it (the encoder is lossy)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    held = np.frombuffer(raw, "<f4").reshape(-1, 6)
    h = 0.7071
    expected = held @ np.array([[1, 0], [0, 1], [h, h], [0, 0], [h, 0], [0, h]], np.float32)
    dec = Decoder(str(path), out_rate=rate, duration_hint=track["duration"])
    parts = []
    while len(block := dec.read(8192)):
        parts.append(block)
    assert dec.summed
    dec.close()
    heard = np.concatenate(parts)
    assert heard.shape == expected.shape
    assert np.abs(heard - expected).max() < 1e-3
    centre = np.abs(np.fft.rfft(heard[rate // 2: rate * 3 // 2], axis=0))[440]     # (1 Hz a bin)
    assert centre[0] == pytest.approx(centre[1], rel=0.01) and centre.min() > 0.05 * rate / 2


def test_a_wav_tagged_in_its_info_list_is_listed_by_its_tags_and_an_untagged_one_by_its_name(store, tmp_path):
    """Explorer, foobar2000, Audacity and ffmpeg tag a WAV with a RIFF INFO list: the scan
    listed such a file by its file and folder names, as if it had no tags."""
    from player.library.names import track_names

    folder = tmp_path / "music" / "Folder artist" / "Folder album"
    write_track(folder, "02 untagged", fmt="wav", seconds=0.5)
    tagged = write_track(folder, "01 tagged", fmt="wav", seconds=0.5)
    body = b"INFO"
    for key, value in ((b"INAM", "Jóga".encode()), (b"IART", "Björk".encode("cp1252")), (b"IPRD", b"Homogenic")):
        body += key + len(value).to_bytes(4, "little") + value + b"\0" * (len(value) % 2)
    data = tagged.read_bytes() + b"LIST" + len(body).to_bytes(4, "little") + body
    tagged.write_bytes(data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:])
    result = Scanner(store).scan([str(tmp_path / "music")])
    assert result.errors == 0
    rows = {Path(t["path"]).name: t for t in store.tracks()}
    assert (rows["01 tagged.wav"]["title"], rows["01 tagged.wav"]["artist"], rows["01 tagged.wav"]["album"]) \
        == ("Jóga", "Björk", "Homogenic")
    untagged = track_names(rows["02 untagged.wav"], str(tmp_path / "music"))
    assert (untagged.title, untagged.artist, untagged.album) == ("02 untagged", "Folder artist", "Folder album")
    assert rows["02 untagged.wav"]["title"] is None


def test_tags_written_in_place_within_the_same_second_and_size_are_read_again(store, tmp_path):
    # A tagger saving a corrected title into the file: the same size (FLAC keeps padding for
    # this), the modification time moved less than a second. The scan compares times to the
    # nanosecond.
    root = tmp_path / "music"
    path = write_track(root, "a", fmt="flac", tags={"title": "Brushes", "artist": "Quartet Nine"})
    second = 1_700_000_000 * 1_000_000_000
    os.utime(path, ns=(second, second + 100))
    Scanner(store).scan([str(root)])
    size = path.stat().st_size
    write_tags(path, title="Brushez")
    os.utime(path, ns=(second, second + 200))
    assert path.stat().st_size == size and path.stat().st_mtime_ns // 10**9 == second // 10**9
    progress = Scanner(store).scan([str(root)])
    assert progress.read == 1
    assert store.track_by_path(str(path))["title"] == "Brushez"


def _retag_keeping_times(path, **tags):
    """A tagger told to keep the file's modification time: the tags written in place (the
    same size: the padding takes the edit), then the times set back as they were."""
    st = os.stat(path)
    write_tags(path, **tags)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)


@pytest.mark.skipif(os.name == "nt", reason="Windows keeps no status-change time: size and mtime decide there")
@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_a_title_fixed_by_a_tagger_that_keeps_the_modification_time_is_read_again(store, tmp_path, fmt):
    root = tmp_path / "music"
    path = write_track(root, "a", fmt=fmt, tags={"title": "Brushes", "artist": "Quartet Nine"})
    Scanner(store).scan([str(root)])
    tid = store.track_by_path(str(path))["id"]
    store.end_play(store.start_play(tid), "finished", 1000)
    _retag_keeping_times(path, title="Brushez")
    progress = Scanner(store).scan()
    row = store.track_by_path(str(path))
    assert (row["id"], row["title"], row["artist"]) == (tid, "Brushez", "Quartet Nine")
    assert (progress.read, progress.same, progress.unchanged) == (1, 0, 0)
    assert [p["track_id"] for p in store.plays()] == [tid]
    again = Scanner(store).scan()
    assert (again.read, again.unchanged) == (0, 1)


@pytest.mark.skipif(os.name == "nt", reason="Windows keeps no status-change time: size and mtime decide there")
def test_a_file_whose_permissions_or_links_changed_is_read_again_and_counted_as_the_same(store, tmp_path):
    root = tmp_path / "music"
    path = write_track(root, "a", fmt="flac", tags={"title": "Brushes", "artist": "Quartet Nine"})
    other = write_track(root, "b", fmt="mp3", tags={"title": "Reeds", "artist": "Quartet Nine"})
    Scanner(store).scan([str(root)])
    before = {t["path"]: {k: t[k] for k in t.keys() if k not in ("ctime_ns", "updated_at")} for t in store.tracks()}
    os.chmod(path, 0o600)
    os.link(other, tmp_path / "elsewhere.mp3")       # outside the library: one more link to the file
    progress = Scanner(store).scan()
    assert (progress.read, progress.same, progress.errors, progress.unchanged) == (2, 2, 0, 0)
    after = {t["path"]: {k: t[k] for k in t.keys() if k not in ("ctime_ns", "updated_at")} for t in store.tracks()}
    assert after == before
    assert store.track_by_path(str(path))["ctime_ns"] == os.stat(path).st_ctime_ns
    assert Scanner(store).scan().read == 0


def test_a_moved_file_keeps_its_track_and_plays_and_is_not_read_again_after(store, tmp_path):
    # A rename moves the file's status-change time: the track that took the moved file's
    # row keeps that time with its size and modification time, or every moved file would be
    # read once more at the next scan.
    from player.audio.decoder import Decoder

    root = tmp_path / "music"
    path = write_track(root / "Old", "a", fmt="flac", seconds=1.0, tags={"title": "Brushes", "artist": "Q"})
    Scanner(store).scan([str(root)])
    tid = store.track_by_path(str(path))["id"]
    store.end_play(store.start_play(tid), "finished", 1000)
    moved = root / "New" / "a.flac"
    moved.parent.mkdir()
    os.rename(path, moved)
    progress = Scanner(store).scan()
    assert progress.moved == 1
    row = store.track_by_path(str(moved))
    assert (row["id"], row["missing"], row["title"]) == (tid, 0, "Brushes")
    assert [p["track_id"] for p in store.plays()] == [tid]
    again = Scanner(store).scan()
    assert (again.read, again.unchanged, again.missing) == (0, 1, 0)
    dec = Decoder(row["path"], out_rate=44100, duration_hint=row["duration"])
    assert np.abs(np.concatenate([dec.read(4410) for _ in range(5)])).max() > 0.1     # the tone, not silence
    dec.close()


def test_reading_tracks_again_reads_their_files_whatever_their_times_and_keeps_what_cannot_be_read(
        store, tmp_path):
    root = tmp_path / "music"
    fixed = write_track(root, "fixed", fmt="flac", tags={"title": "Brushes", "artist": "Q"})
    as_was = write_track(root, "as_was", fmt="mp3", tags={"title": "Reeds", "artist": "Q"})
    broken = write_track(root, "broken", fmt="flac", tags={"title": "Strings", "artist": "Q"})
    gone = write_track(root, "gone", fmt="ogg", tags={"title": "Drums", "artist": "Q"})
    other = write_track(root, "other", fmt="flac", tags={"title": "Horns", "artist": "Q"})
    Scanner(store).scan([str(root)])
    ids = {p.stem: store.track_by_path(str(p))["id"] for p in (fixed, as_was, broken, gone, other)}
    store.end_play(store.start_play(ids["fixed"]), "finished", 1000)
    write_tags(fixed, title="Brushez")
    write_tags(other, title="Hornz")                  # not asked for: left as it was
    broken.write_bytes(os.urandom(4096))
    gone.unlink()

    progress = Scanner(store).read_again([ids[k] for k in ("fixed", "as_was", "broken", "gone")])
    assert (progress.done, progress.read, progress.same, progress.errors) == (4, 2, 1, 2)
    assert sorted(os.path.basename(p) for p, _why in progress.error_paths) == ["broken.flac", "gone.ogg"]
    titles = {t["path"]: (t["id"], t["title"]) for t in store.tracks()}
    assert titles == {str(fixed): (ids["fixed"], "Brushez"), str(as_was): (ids["as_was"], "Reeds"),
                      str(broken): (ids["broken"], "Strings"), str(gone): (ids["gone"], "Drums"),
                      str(other): (ids["other"], "Horns")}
    assert store.track_errors() == []
    assert [p["track_id"] for p in store.plays()] == [ids["fixed"]]
    assert Scanner(store).scan().read == 1            # only "other": the one read again is in step


def test_reading_a_missing_track_again_names_its_file_and_a_file_back_brings_the_track_back(store, tmp_path):
    root = tmp_path / "music"
    song = write_track(root, "song", fmt="flac", tags={"title": "Brushes", "artist": "Q"})
    write_track(root, "stays", fmt="flac", tags={"title": "Reeds", "artist": "Q"})
    Scanner(store).scan([str(root)])
    track = store.track_by_path(str(song))["id"]
    kept = song.read_bytes()
    song.unlink()
    assert Scanner(store).scan().missing == 1
    progress = Scanner(store).read_again([track])
    assert (progress.read, progress.errors) == (0, 1)                   # named, not passed over
    assert progress.error_paths[0][0] == str(song)
    assert store.track(track)["missing"]
    song.write_bytes(kept)
    progress = Scanner(store).read_again([track])
    assert (progress.read, progress.same, progress.errors) == (1, 0, 0)  # back: a change to show
    assert not store.track(track)["missing"] and store.track(track)["title"] == "Brushes"


@pytest.mark.parametrize("no_file_ids", [False, True], ids=["windows", "windows-drive-without-file-ids"])
def test_a_scan_on_windows_finds_every_file_once(store, tmp_path, monkeypatch, no_file_ids):
    # On Windows a listing's entries carry no file ids, and on some network shares and FAT
    # drives even os.stat gives a file id of 0: every folder then looked visited and every
    # file a duplicate of the first, and such a library scanned as empty.
    from tests.windows_stat import windows_listing

    root = tmp_path / "music"
    for folder, name in (("A", "one"), ("A", "two"), ("B", "three"), ("B/Disc 2", "four")):
        write_track(root / folder, name, fmt="flac", tags={"title": name, "artist": folder[0]})
    (root / "C").symlink_to(root / "A", target_is_directory=True)      # one folder reached twice
    windows_listing(monkeypatch, str(tmp_path), no_file_ids=no_file_ids)
    Scanner(store).scan([str(root)])
    titles = sorted(r["title"] for r in store.execute("SELECT title FROM tracks WHERE missing = 0"))
    assert titles == ["four", "one", "three", "two"]
    Scanner(store).scan([str(root)])                                    # and a rescan keeps them
    assert store.execute("SELECT count(*) FROM tracks WHERE missing = 0").fetchone()[0] == 4


@pytest.mark.skipif(not ffmpeg_encodes("libopus") or not ffmpeg_encodes("alac"),
                    reason="ffmpeg with libopus and alac makes the files")
def test_files_that_need_ffmpeg_say_so_and_are_read_once_ffmpeg_is_installed(store, tmp_path, monkeypatch, capsys):
    """Scanned where ffmpeg is missing, a Matroska, a WebM and an ALAC CAF file were error rows
    "not an audio format Segue recognises" (they are, with ffmpeg), and stayed errors after
    ffmpeg was installed until the files themselves changed. Now their error says ffmpeg is
    needed, and the first scan that finds ffmpeg reads them, unchanged as they are."""
    from player.cli import main

    def said() -> str:
        return "".join(capsys.readouterr())      # (the progress bar's last line is on stderr)

    music = tmp_path / "music"
    for name, codec in (("a.mka", ["-c:a", "libopus"]), ("b.webm", ["-c:a", "libopus"]),
                        ("c.caf", ["-c:a", "alac"])):
        stepped_tone(music / name, *codec, seconds=2)
    write_track(music, "d", fmt="flac", seconds=1.0)
    with_ffmpeg = os.environ["PATH"]
    monkeypatch.setenv("PATH", path_without_ffmpeg(tmp_path / "bin"))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    assert main(["scan", str(music)]) == 0
    out = said()
    for name, ext in (("a.mka", "mka"), ("b.webm", "webm"), ("c.caf", "caf")):
        assert f"{name}: format not supported ({ext}): install ffmpeg to play it" in out, out
    assert len(store.track_errors()) == 3
    assert main(["scan"]) == 0                  # still missing: nothing to read again
    assert "0 read, 4 unchanged, 0 errors" in said()

    monkeypatch.setenv("PATH", with_ffmpeg)     # ffmpeg installed
    assert main(["scan"]) == 0
    out = said()
    assert "3 read, 1 unchanged, 0 errors" in out, out
    assert "3 unchanged files were read again: ffmpeg, which they need, is found now" in out
    assert store.track_errors() == []
    tracks = {os.path.basename(r["path"]): r for r in store.tracks()}
    assert {n: tracks[n]["codec"] for n in ("a.mka", "b.webm", "c.caf")} == \
        {"a.mka": "opus", "b.webm": "opus", "c.caf": "alac"}
    assert all(abs(tracks[n]["duration"] - 2.0) < 0.05 for n in ("a.mka", "b.webm", "c.caf"))
    assert main(["scan"]) == 0                  # once: from now on they are unchanged files
    assert "0 read, 4 unchanged, 0 errors" in said()


@pytest.mark.skipif(not ffmpeg_encodes("libopus"), reason="ffmpeg with libopus makes the file")
def test_a_file_waiting_for_ffmpeg_keeps_waiting_while_ffmpeg_cannot_read_it(store, tmp_path, monkeypatch, capsys):
    # An ffmpeg without its ffprobe, or one that does not run, was taken for ffmpeg found:
    # the file was read again and stored with an error that no longer said what it waits
    # for, so a working ffmpeg installed later never read it.
    import shutil as sh

    from player.cli import main
    from segue_common import audio_io

    music = tmp_path / "music"
    stepped_tone(music / "a.mka", "-c:a", "libopus", seconds=2)
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    with_ffmpeg = os.environ["PATH"]
    monkeypatch.setenv("PATH", path_without_ffmpeg(tmp_path / "bin"))
    assert main(["scan", str(music)]) == 0
    waiting = "format not supported (mka): install ffmpeg to play it"
    assert [r["last_error"] for r in store.track_errors()] == [waiting]
    alone = tmp_path / "only-ffmpeg"
    alone.mkdir()
    (alone / "ffmpeg").symlink_to(sh.which("ffmpeg", path=with_ffmpeg))
    broken = tmp_path / "broken" / "ffmpeg"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    (broken.parent / "ffprobe").symlink_to(sh.which("ffprobe", path=with_ffmpeg))
    for env in ({"PATH": os.pathsep.join([str(alone), path_without_ffmpeg(tmp_path / "bin2")])},
                {"PATH": os.environ["PATH"], "SEGUE_FFMPEG": str(broken)}):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        audio_io._COMPLETE.clear()
        assert main(["scan"]) == 0
        assert "were read again" not in "".join(capsys.readouterr())
        assert [r["last_error"] for r in store.track_errors()] == [waiting]
    monkeypatch.delenv("SEGUE_FFMPEG")
    monkeypatch.setenv("PATH", with_ffmpeg)                      # a working ffmpeg at last
    assert main(["scan"]) == 0
    assert store.track_errors() == []


def test_a_gone_file_waiting_for_ffmpeg_is_not_waited_for(store, tmp_path):
    # Its row stays (missing, with its error), but no scan can read it: taking it for a file
    # to read again made the window rescan the whole library at every start.
    from segue_common.audio_io import INSTALL_FFMPEG

    store.upsert_tracks([{"path": "/gone/a.mka", "size": 1, "mtime_ns": 1,
                          "last_error": f"format not supported (mka): {INSTALL_FFMPEG}"},
                         {"path": "/here/b.mka", "size": 1, "mtime_ns": 1,
                          "last_error": f"format not supported (mka): {INSTALL_FFMPEG}"}])
    store.execute("UPDATE tracks SET missing = 1 WHERE path = '/gone/a.mka'")
    assert store.paths_with_error_containing(INSTALL_FFMPEG) == {"/here/b.mka"}


def test_a_name_a_windows_ripper_wrote_in_its_code_page_is_listed_and_found_as_meant(store, tmp_path, qapp):
    # An old rip's ID3v2.3 frames say Latin-1 and hold Windows-1251: the library lists "Кино",
    # not "Êèíî", and a search for the word typed on a Russian keyboard finds it.
    from mutagen import id3

    from player.library.search import load_library

    from player.ui.library_model import COLUMNS, LibraryModel

    path = write_track(tmp_path / "music" / "Kino", "01", fmt="mp3")
    tags = id3.ID3()
    for frame, text in ((id3.TIT2, "Группа крови"), (id3.TPE1, "Кино"), (id3.TALB, "Группа крови")):
        tags.add(frame(encoding=id3.Encoding.LATIN1, text=[text.encode("cp1251").decode("latin-1")]))
    tags.save(str(path), v2_version=3)
    Scanner(store).scan([str(tmp_path / "music")])
    model = LibraryModel()
    model.set_library(load_library(store))
    model.set_filter("кино")
    assert model.rowCount() == 1
    shown = {key: model.index(0, c).data() for c, (key, _) in enumerate(COLUMNS)}
    assert (shown["title"], shown["artist"], shown["album"]) == ("Группа крови", "Кино", "Группа крови")


def test_a_vinyl_rip_numbered_by_side_is_listed_side_after_side(store, tmp_path, qapp):
    # Discogs numbers a record's tracks by side: "A1", "A2", "B1". Both sides' first tracks
    # were track 1, and the album was listed (and played) A1, B1, A2, B2, A3.
    from mutagen.flac import FLAC

    from player.library.search import load_library

    from player.ui.library_model import COLUMNS, LibraryModel

    for place in ("B2", "A3", "B1", "A1", "A2"):
        path = write_track(tmp_path / "music" / "LP", place, fmt="flac")
        tags = FLAC(str(path))
        tags["title"], tags["artist"], tags["album"], tags["tracknumber"] = [f"Song {place}"], ["Band"], ["LP"], [place]
        tags.save()
    Scanner(store).scan([str(tmp_path / "music")])
    model = LibraryModel()
    model.set_library(load_library(store))
    title = [key for key, _ in COLUMNS].index("title")
    assert [model.index(r, title).data() for r in range(model.rowCount())] == [
        "Song A1", "Song A2", "Song A3", "Song B1", "Song B2"]


@pytest.mark.skipif(not ffmpeg_encodes("pcm_s16le"), reason="ffmpeg and ffprobe decode Shorten")
def test_a_renamed_folder_of_an_uncounted_shorten_file_and_dff_files_read_by_reader_18_keeps_both(store, tmp_path,
                                                                                                   monkeypatch):
    """One album folder holding a Shorten file left uncounted (a scan stopped in the count) and
    a .dff file whose ID3 title reader 18 garbled, renamed before the next scan: that one scan
    pairs both with their tracks (plays kept), counts the Shorten file and reads the .dff's
    title as meant, with nothing listed twice or left missing."""
    from mutagen import id3
    from mutagen.dsdiff import DSDIFF

    rate, loud, source, music, path = _unsized_shorten(tmp_path, monkeypatch)
    album = music / "Live 1977"
    album.mkdir()
    path.rename(album / "set.shn")
    cut = "Группа крови".encode()[:-1]
    dff = DSDIFF(str(write_dff(album / "a.dff", 0.25)))
    dff.add_tags()
    dff.tags.add(id3.TIT2(encoding=id3.Encoding.LATIN1, text=[cut.decode("latin-1")]))
    dff.save(v2_version=3)

    _scan_stopped_in_the_count(store, [str(music)])
    ids = {Path(t["path"]).name: t["id"] for t in store.tracks()}
    assert store.track(ids["set.shn"])["mtime_ns"] == ESTIMATED_MTIME
    # as reader 18 left the .dff: the bytes as Latin-1 says
    store.execute("UPDATE tracks SET title = ? WHERE id = ?", (cut.decode("latin-1"), ids["a.dff"]))
    store.execute("UPDATE folders SET tag_reader = 18")
    for tid in ids.values():
        store.end_play(store.start_play(tid), "finished", 1000)
    album.rename(music / "Live 1977 (2024)")

    result = Scanner(store).scan([str(music)])
    assert (result.moved, result.missing, result.errors) == (2, 0, 0)
    moved = music / "Live 1977 (2024)"
    tracks = {t["id"]: t for t in store.tracks()}
    assert {tid: t["path"] for tid, t in tracks.items()} == {ids[name]: str(moved / name) for name in ids}
    shn = tracks[ids["set.shn"]]
    assert (shn["duration"], shn["mtime_ns"]) == (len(source) / rate, (moved / "set.shn").stat().st_mtime_ns)
    assert tracks[ids["a.dff"]]["title"] == "Группа кров"
    assert sorted(play["track_id"] for play in store.plays()) == sorted(ids.values())
    assert Scanner(store).scan([str(music)]).unchanged == 2


@pytest.mark.parametrize("seconds", [0.25, 2.0])
@pytest.mark.parametrize("size", [0, 0xFFFFFFFF])
@pytest.mark.parametrize("fmt", ["WAV", "RF64"])
def test_a_wav_whose_header_gives_no_data_size_is_listed_and_played_to_the_end_of_its_file(
        store, tmp_path, fmt, size, seconds):
    # A streaming recorder or a converter stopped before it went back to fix the header leaves
    # the data's size 0 (or the largest there is); in an RF64 file that size is in its ds64
    # chunk. The audio is all there: a short one played as 0 s (libsndfile read no frame), an
    # RF64 one was refused, and one of the largest size was listed as long as its whole file.
    import struct

    import soundfile as sf

    from player.audio.decoder import Decoder

    rate = 8000
    rng = np.random.default_rng(7)
    sound = (rng.integers(-20000, 20000, (int(rate * seconds), 2)) / 32768).astype(np.float32)
    music = tmp_path / "music"
    music.mkdir()
    path = music / "recording.wav"
    sf.write(str(path), sound, rate, subtype="PCM_16", format=fmt)
    raw = bytearray(path.read_bytes())
    if fmt == "RF64":
        struct.pack_into("<Q", raw, raw.index(b"ds64") + 16, size)
    else:
        struct.pack_into("<I", raw, raw.index(b"data") + 4, size)
    path.write_bytes(bytes(raw))

    assert Scanner(store).scan([str(music)]).errors == 0
    [track] = store.tracks()
    assert track["duration"] == pytest.approx(seconds, abs=1e-4)
    dec = Decoder(str(path), out_rate=rate, duration_hint=track["duration"])
    assert dec.duration == pytest.approx(seconds, abs=1e-4)
    parts = []
    while len(block := dec.read(4096)):
        parts.append(block)
    dec.close()
    heard = np.concatenate(parts)
    assert heard.shape == sound.shape and np.abs(heard - sound).max() < 1e-4


def test_a_wav_of_no_audio_with_a_chunk_after_its_data_does_not_play_the_chunk(tmp_path):
    # A data size of 0 is read as a recorder's that never wrote it, the audio running to the
    # file's end; but where a whole chunk follows (a tag list), the data is as empty as it
    # says: the tag's bytes are no sound to play.
    import struct

    import soundfile as sf

    from player.audio.decoder import DecodeError, Decoder

    path = tmp_path / "silent.wav"
    sf.write(str(path), np.zeros((0, 2), np.float32), 8000, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    raw += b"LIST" + struct.pack("<I", 20) + b"INFO" + b"INAM" + struct.pack("<I", 8) + b"Nothing\0"
    struct.pack_into("<I", raw, 4, len(raw) - 8)
    path.write_bytes(bytes(raw))
    with pytest.raises(DecodeError, match="no audio in file"):   # (the chunk is not played as sound)
        Decoder(str(path), out_rate=8000)


@pytest.mark.parametrize("chunk_bytes", [12, 20000])
def test_a_wav_of_no_audio_with_a_chunk_after_its_data_is_listed_as_no_audio(store, tmp_path, chunk_bytes):
    # A data size of 0 with a whole chunk after it (a tag list, a cover) is empty as it says.
    # The scan's ffprobe read the chunk as sound: it was listed as a song of its bytes' length
    # (1 ms; 0.6 s for a 20 KB one), and one of more than 8 KB played them as noise.
    import struct

    import soundfile as sf

    from player.audio.decoder import DecodeError, Decoder

    music = tmp_path / "music"
    music.mkdir()
    path = music / "silent.wav"
    sf.write(str(path), np.zeros((0, 2), np.float32), 8000, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    body = b"INFO" + b"ICMT" + struct.pack("<I", chunk_bytes) + bytes(i % 251 + 1 for i in range(chunk_bytes))
    raw += b"LIST" + struct.pack("<I", len(body)) + body
    struct.pack_into("<I", raw, 4, len(raw) - 8)
    path.write_bytes(bytes(raw))

    assert Scanner(store).scan([str(music)]).errors == 1
    assert [r["last_error"] for r in store.track_errors()] == ["no audio in file (length 0)"]
    with pytest.raises(DecodeError, match="no audio in file"):   # (the chunk is not played as sound)
        Decoder(str(path), out_rate=8000)


@pytest.mark.parametrize("how", ["crossed", "one renamed"])
def test_untagged_songs_of_one_size_and_time_renamed_never_trade_their_histories(store, tmp_path, how):
    # Two untagged WAV takes of one length, their times set alike by a sync tool: files of one
    # size and modification time, nothing in a tag or a name to tell them apart. Renamed with
    # mv (``a.wav`` to ``y.wav``, ``b.wav`` to ``x.wav``), the scan paired each new file with
    # the missing track most played, whichever it was: the new name that came first took the
    # played song's history. One renamed alone is its own song's: it keeps its history.
    root = tmp_path / "music"
    a = write_track(root, "a", fmt="wav", seconds=2.0, freq=330.0)
    b = write_track(root, "b", fmt="wav", seconds=2.0, freq=550.0)
    for path in (a, b):
        os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    Scanner(store).scan([str(root)])
    a_id, b_id = store.track_by_path(str(a))["id"], store.track_by_path(str(b))["id"]
    assert (store.track(a_id)["size"], store.track(a_id)["mtime_ns"]) == \
        (store.track(b_id)["size"], store.track(b_id)["mtime_ns"])
    _play(store, a_id, 3)
    if how == "crossed":
        os.rename(a, root / "y.wav")
        os.rename(b, root / "x.wav")
    else:
        os.rename(a, root / "x.wav")
    Scanner(store).scan()
    holds = {name: store.track_by_path(str(root / name)) for name in ("x.wav", "y.wav")}
    if how == "crossed":
        # (which one is which cannot be told: neither takes a history that may be the other's)
        assert holds["x.wav"]["id"] != a_id and _plays_of(store, holds["x.wav"]["id"]) == 0
        assert holds["y.wav"]["id"] != b_id and _plays_of(store, a_id) == 3
    else:
        assert holds["x.wav"]["id"] == a_id and _plays_of(store, a_id) == 3
        assert store.track_by_path(str(b))["id"] == b_id


@pytest.mark.parametrize("beside", ["another song", "a copy"])
def test_a_missing_untagged_track_two_new_files_fit_alike_goes_to_neither_unless_they_are_copies(
        store, tmp_path, beside):
    # ``a.wav`` renamed to ``x.wav`` as another untagged take of its size and time comes in as
    # ``y.wav``: both fit the missing track alike, and the first new name scanned took its
    # history, the other song's as likely as its own. Two copies of its file (cp -p, then mv)
    # are both its song: one takes it.
    root = tmp_path / "music"
    a = write_track(root, "a", fmt="wav", seconds=2.0, freq=330.0)
    os.utime(a, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    Scanner(store).scan([str(root)])
    a_id = store.track_by_path(str(a))["id"]
    _play(store, a_id, 3)
    if beside == "a copy":
        shutil.copy2(a, root / "y.wav")
    else:
        other = write_track(tmp_path / "elsewhere", "b", fmt="wav", seconds=2.0, freq=550.0)
        os.utime(other, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
        shutil.copy2(other, root / "y.wav")
    os.rename(a, root / "x.wav")
    assert (root / "x.wav").stat().st_size == (root / "y.wav").stat().st_size
    Scanner(store).scan()
    taken = [store.track_by_path(str(root / name))["id"] == a_id for name in ("x.wav", "y.wav")]
    assert _plays_of(store, a_id) == 3
    assert sorted(taken) == ([False, True] if beside == "a copy" else [False, False])


def test_a_moved_file_keeps_its_history_as_another_take_of_its_song_comes_in(store, tmp_path):
    # A folder renamed as another recording of one of its songs (same artist and title, other
    # bytes) is added elsewhere: the moved file is its track's to the byte and time, the other
    # fits it by its tags alone. The weaker fit is no rival: the moved file keeps the history,
    # and the other recording takes none of it, whichever path the scan meets first.
    root = tmp_path / "music"
    song = write_track(root / "old", "song", seconds=2.0, freq=330.0, tags={"artist": "Ann", "title": "Tune"})
    Scanner(store).scan([str(root)])
    song_id = store.track_by_path(str(song))["id"]
    _play(store, song_id, 3)
    os.rename(root / "old", root / "new")
    write_track(root / "live", "tune", seconds=2.0, freq=550.0, tags={"artist": "Ann", "title": "Tune"})
    write_track(root / "zlive", "tune", seconds=2.0, freq=660.0, tags={"artist": "Ann", "title": "Tune"})
    Scanner(store).scan()
    assert store.track_by_path(str(root / "new" / "song.flac"))["id"] == song_id
    assert _plays_of(store, song_id) == 3
    for other in (root / "live" / "tune.flac", root / "zlive" / "tune.flac"):
        assert store.track_by_path(str(other))["id"] != song_id


def test_on_windows_a_file_that_cannot_be_looked_at_keeps_back_only_itself(tmp_path):
    """A stat refused means, on POSIX, a folder that cannot be entered; on Windows, where any
    folder can be entered, the refusal is the file's own. The rule is the module's, chosen by
    system; Windows' is chosen here by hand (no Windows to run on), and the refusals are the
    system's own, from a folder a user may list but not enter."""
    prefix = _permissions_apply()
    folder = tmp_path / "Album"
    folder.mkdir()
    for name in ("01.flac", "02.flac"):
        (folder / name).write_bytes(b"fLaC")
    folder.chmod(0o755)
    code = ("import json, sys, player.library.scanner as s; s.STAT_DENIED_IS_THE_FOLDERS = sys.argv[2] == 'posix'; "
            "told = []; list(s.find_audio([sys.argv[1]], unreadable=lambda p, r: told.append([p, r]))); "
            "print(json.dumps(told))")
    import json

    def told(system):
        folder.chmod(0o644)         # listed, not entered: each file's stat is refused
        try:
            out = subprocess.run([*prefix, sys.executable, "-c", code, str(tmp_path), system], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        finally:
            folder.chmod(0o755)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    # POSIX: the folder is the one to fix, and its songs are kept as they were.
    (posix,) = told("posix")
    assert posix[0] == str(folder) and "execute permission" in posix[1]
    # Windows: each file alone, in no words about execute permission, which Windows has not.
    windows = told("nt")
    assert [path for path, _ in windows] == [str(folder / "01.flac"), str(folder / "02.flac")]
    for _path, reason in windows:
        assert reason == ("Permission denied: the file cannot be looked at (its permissions, "
                          "or a program that holds it)")


def test_on_windows_the_tracks_of_a_sheet_whose_audio_cannot_be_looked_at_are_kept_not_missing(store, tmp_path):
    """A stat refused is a file unknown for now (on Windows: its permissions, a program that
    holds it), never a file gone. A CUE sheet's tracks are named after their audio file with
    the track's number ("Album.flac#2"), and only a track named as the file itself, or lying
    below it, was kept: the sheet's tracks were marked missing, their plays given away to
    whatever a later scan took for their copies. Windows' rule is chosen by hand, the refusal
    is the system's own (a folder listed but not entered)."""
    from player.library.cue import track_path

    prefix = _permissions_apply()
    folder = tmp_path / "music" / "Album"
    audio = write_track(folder, "Album", seconds=4.0, fmt="flac", tags={"artist": "Band", "album": "One File"})
    (folder / "Album.cue").write_text('PERFORMER "Band"\nTITLE "One File"\nFILE "Album.flac" WAVE\n'
                                      '  TRACK 01 AUDIO\n    TITLE "First"\n    INDEX 01 00:00:00\n'
                                      '  TRACK 02 AUDIO\n    TITLE "Second"\n    INDEX 01 00:02:00\n')
    Scanner(store).scan([str(tmp_path / "music")])
    sheet_tracks = [track_path(str(audio), n) for n in (1, 2)]
    assert [store.track_by_path(p)["title"] for p in sheet_tracks] == ["First", "Second"]

    code = ("import runpy, sys, player.library.scanner as s; s.STAT_DENIED_IS_THE_FOLDERS = False; "
            "sys.argv = ['segue', 'scan']; runpy.run_module('player', run_name='__main__')")
    folder.chmod(0o644)             # listed, not entered: each file's stat is refused
    try:
        out = subprocess.run([*prefix, sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        folder.chmod(0o755)
    assert out.returncode == 0, out.stderr
    assert f"cannot look at {audio}" in out.stdout, out.stdout
    for path in sheet_tracks:
        assert not store.track_by_path(path)["missing"], path
    # Looked at again, they are as they were.
    Scanner(store).scan()
    assert [(store.track_by_path(p)["title"], store.track_by_path(p)["missing"]) for p in sheet_tracks] == \
        [("First", 0), ("Second", 0)]
