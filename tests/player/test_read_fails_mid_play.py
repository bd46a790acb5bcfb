"""A song whose file stops being readable as it plays (a USB drive pulled out, a network share
dropped): reads of it fail in the system ("Input/output error") from some point on.

The player read on past the failure as past damage: the rest of the song was silence, or it
ended there as if heard to its end, and the play was logged as finished. It must end as an
error that says so plainly, log only what was heard, and go on to the next song.

(An MP3 is read by dr_mp3 through C's stdio, which takes a failed read for the end of the
file: the song ended there, logged as heard to its end.)

The failure is a real one: the file's open descriptors are made to read /proc/self/mem, whose
reads fail with EIO where nothing is mapped (each process's memory from address 0 on), as the
kernel fails a read from a drive that is gone. The engine is the real null engine.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from player.audio import decoder
from player.audio.crossfade import Crossfade
from player.audio.decoder import READ_RETRY_S, DecodeError, Decoder
from player.audio.null_engine import NullEngine
from player.library.tags import read_tags
from player.playback import Player
from segue_common import faults
from tests.player.test_playback import Events, add_tracks, ended, wait_for

SONG_S = 20.0
RATE = 22050


def _memory_reads_fail_up_to(size: int) -> bool:
    """Whether reading /proc/self/mem fails with EIO at each offset a file of ``size`` bytes
    is read at (nothing mapped there). A sandboxed kernel may refuse it otherwise."""
    try:
        fd = os.open("/proc/self/mem", os.O_RDONLY)
    except OSError:
        return False
    try:
        for at in (0, size // 2, size):
            try:
                os.pread(fd, 16, at)
            except OSError as exc:
                if exc.errno != errno.EIO:
                    return False
            else:
                return False
        return True
    finally:
        os.close(fd)


def _cut_off(path: str) -> int:
    """Make every descriptor of this process open on ``path`` read /proc/self/mem from where it
    stood: its reads fail from now on, as a drive's do once it is gone. How many there were."""
    real, mem, count = os.path.realpath(path), os.open("/proc/self/mem", os.O_RDONLY), 0
    try:
        for name in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{name}") != real:
                    continue
                fd = int(name)
                os.lseek(mem, os.lseek(fd, 0, os.SEEK_CUR), os.SEEK_SET)
                os.dup2(mem, fd)
                count += 1
            except OSError:
                pass        # (closed meanwhile)
    finally:
        os.close(mem)
    return count


def _song(store, folder, fmt, subtype, seconds, rate):
    """A song of noise (a FLAC or MP3 of it stays large) in the store: its path, its id."""
    song = folder / f"a.{fmt.lower()}"
    noise = np.random.default_rng(7).uniform(-0.3, 0.3, int(seconds * rate)).astype(np.float32)
    sf.write(song, noise, rate, format=fmt, subtype=subtype)
    if not _memory_reads_fail_up_to(song.stat().st_size):
        pytest.skip("reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")
    st = song.stat()
    store.upsert_tracks([{"path": str(song), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(song))}])
    return song, store.track_by_path(str(song))["id"]


def _drive_gone(song) -> None:
    """The song's drive gone as it plays: the file open, and the file opened again by its path
    (a symlink to /proc/self/mem in its place), both fail to read."""
    away = song.with_name("away-" + song.name)
    song.rename(away)
    song.symlink_to("/proc/self/mem")
    assert _cut_off(str(away)) > 0


def _drive_back(song) -> None:
    song.unlink()
    song.with_name("away-" + song.name).rename(song)


def _played_on_through_a_drop(store, song, a, seconds, caplog, gone) -> np.ndarray:
    """Play ``a`` (``song``, ``seconds`` long); once a second is heard its drive goes
    (``gone``), and comes back once the failure is said: it plays on to its end, logged heard
    whole, and says it read again. What the output was given."""
    p = Player(store, NullEngine(speed=4.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([a])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        gone(song)
        assert wait_for(lambda: any("failed as it played" in r.getMessage() for r in caplog.records), timeout=30.0)
        _drive_back(song)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=60.0)
        heard = p.engine.captured()
    finally:
        p.close()
    assert ended(store) == [(a, "finished")]
    assert store.plays()[0]["ms_heard"] >= seconds * 1000 - 100
    assert any("reads again" in r.getMessage() for r in caplog.records)
    return heard


def _played_into_a_drive_gone_for_good(store, folder, song, a, gone, timeout) -> tuple[dict, list]:
    """Play ``a`` (``song``) then a short song; once a second of ``a`` is heard its drive
    goes for good (``gone``: opened again and again, it never reads): ``a`` ends as an error
    and the next song plays. ``a``'s play and the errors said."""
    (b,) = add_tracks(store, folder, [("b", 0.6)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    ev = Events(p)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        gone(song)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=timeout)
    finally:
        p.close()
    assert ended(store) == [(a, "error"), (b, "finished")]
    return store.plays()[0], ev.of("error")


@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("MP3", "MPEG_LAYER_III")])
def test_a_song_whose_reads_fail_mid_way_ends_as_an_error_with_what_was_heard(store, tmp_path, fmt, subtype):
    folder = tmp_path / "music"
    folder.mkdir()
    song, a = _song(store, folder, fmt, subtype, SONG_S, RATE)
    first, errors = _played_into_a_drive_gone_for_good(store, folder, song, a, _drive_gone, 30.0)
    message = f"cannot play a.{fmt.lower()}: {faults.READ_FAILED}"
    # (what was read before the failure is heard: dr_mp3 reads ahead further than the others)
    assert first["error"] == message and 1000 <= first["ms_heard"] < SONG_S * 1000 - 2000
    assert [(d["track_id"], d["message"]) for d in errors] == [(a, message)]


def test_a_usb_disk_pulled_mid_song_ends_it_tries_a_few_more_then_waits_with_the_rest_queued(store, tmp_path):
    """The disk the album is on is pulled as its first song plays (the mount point goes with
    it). That song ends as an error saying the disk may be disconnected, logged with what was
    heard; the songs after it, on the same disk, are tried and fail as not found; after a few
    in a row the player stops there, the rest of Up next kept (a song from the computer's own
    disk among it), not run through in a burst of failures. The disk back, Play goes on with
    the first song kept."""
    from player.playback import MAX_CONSECUTIVE_ERRORS

    disk = tmp_path / "usb-disk"
    disk.mkdir()
    song, a = _song(store, disk, "FLAC", "PCM_16", SONG_S, RATE)
    on_disk = add_tracks(store, disk, [(n, 0.6) for n in "bcdefg"])
    store.add_folder(str(disk))
    home = tmp_path / "home-disk"
    home.mkdir()
    (h,) = add_tracks(store, home, [("h", 0.6)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    ev = Events(p)
    try:
        p.play_tracks([a, *on_disk, h])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        _drive_gone(song)
        away = tmp_path.with_name(tmp_path.name + "-unplugged")     # (outside the library: not a move)
        disk.rename(away)
        assert wait_for(lambda: ev.of("gave_up") and p.state is PlaybackState.STOPPED, timeout=30.0)
        tried = [a, *on_disk[:MAX_CONSECUTIVE_ERRORS - 1]]
        assert ended(store) == [(t, "error") for t in tried]
        first = store.plays()[0]
        assert first["error"] == f"cannot play a.flac: {faults.READ_FAILED}"
        assert 1000 <= first["ms_heard"] < SONG_S * 1000 - 2000
        assert [d["track_id"] for d in ev.of("error")] == tried
        assert all(d["message"].startswith("file not found") for d in ev.of("error")[1:])
        assert [e.track_id for e in p.queue] == [*on_disk[MAX_CONSECUTIVE_ERRORS - 1:], h]
        assert p.current_track_id is None
        away.rename(disk)                                               # plugged in again
        (song.with_name("away-" + song.name)).rename(song)              # (its file as it was)
        p.resume()
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == len(tried) + 3,
                        timeout=30.0)
        assert ended(store)[len(tried):] == [(t, "finished") for t in [*on_disk[MAX_CONSECUTIVE_ERRORS - 1:], h]]
    finally:
        p.close()


@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("MP3", "MPEG_LAYER_III")])
def test_a_song_whose_drive_drops_for_a_moment_plays_on_whole(store, tmp_path, caplog, fmt, subtype):
    """A network share that drops for a moment (Wi-Fi) and comes back: the song is read on
    where it failed, once the file opens again, and heard whole, not ended as an error."""
    caplog.set_level(logging.INFO, logger="player.audio.decoder")
    folder = tmp_path / "music"
    folder.mkdir()
    # (the output's rate: its frames are the file's, as they are; dr_mp3 reads far ahead)
    seconds, rate = (SONG_S if fmt == "MP3" else 6.0), 44100
    song, a = _song(store, folder, fmt, subtype, seconds, rate)
    original = sf.read(song, dtype="float32")[0]
    heard = _played_on_through_a_drop(store, song, a, seconds, caplog, _drive_gone)
    if fmt != "MP3":    # (lossless: every frame heard as the file holds it, none twice, none lost)
        played = heard[np.any(heard != 0.0, axis=1)][:, 0]
        assert len(played) == np.count_nonzero(original)
        np.testing.assert_allclose(played, original[original != 0.0], atol=1e-6)


def test_a_song_plays_on_though_the_open_made_while_its_drive_was_away_is_slow_to_fail(
        store, tmp_path, caplog, monkeypatch):
    """The file opened again while the drive is still away can take longer to fail than the
    whole wait (a WAV that does not read there is tried through ffmpeg: its ffprobe, started
    on a busy machine or on a share that stopped answering, takes seconds). The drive, back
    meanwhile, was not tried again until that open was over: too late, the song ended as an
    error. Here that first ffprobe is held until the song is over."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("the open made while the drive is away goes through ffmpeg's ffprobe")
    caplog.set_level(logging.INFO, logger="player.audio.decoder")
    folder = tmp_path / "music"
    folder.mkdir()
    seconds = 6.0
    song, a = _song(store, folder, "WAV", "PCM_16", seconds, 44100)
    tools = tmp_path / "ffmpeg"
    tools.mkdir()
    (tools / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    first, release = tools / "first-probe", tools / "release"
    # (the first ffprobe run waits for the test to let it go; any other runs at once)
    (tools / "ffprobe").write_text(
        f"#!/bin/sh\nif mkdir '{first}' 2>/dev/null; then while [ ! -e '{release}' ]; do sleep 0.01; done; fi\n"
        f'exec "{shutil.which("ffprobe")}" "$@"\n')
    (tools / "ffprobe").chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(tools / "ffmpeg"))
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        _drive_gone(song)
        assert wait_for(first.exists, timeout=30.0), "not opened again while the drive was away"
        _drive_back(song)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=60.0)
        # (that open, held, was still under way as the song played on)
        assert any(t.name == "audio-file-reopen" and t.is_alive() for t in threading.enumerate())
    finally:
        release.touch()
        p.close()
    assert ended(store) == [(a, "finished")]
    assert store.plays()[0]["ms_heard"] >= seconds * 1000 - 100
    assert any("reads again" in r.getMessage() for r in caplog.records)


def test_a_place_that_never_reads_ends_the_song_though_the_file_opens_again(tmp_path):
    """A bad sector mid-song: the file opens again, and reads up to there, but never past it.
    Each open again that read the last block counted as healed, and the next read failing
    there started a new wait: the song never ended, and the output was silent for good."""
    song = tmp_path / "a.wav"
    sf.write(song, np.random.default_rng(3).uniform(-0.3, 0.3, 44100 * 4).astype(np.float32), 44100)
    if not _memory_reads_fail_up_to(song.stat().st_size):
        pytest.skip("reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")
    dec = Decoder(str(song), out_rate=44100)
    try:
        assert len(dec.read(44100)) == 44100
        give_up = time.monotonic() + 10 * READ_RETRY_S
        with pytest.raises(DecodeError, match="could not be read"):
            while time.monotonic() < give_up:
                _cut_off(str(song))     # (every open of it, the ones made again too, fails from where it is)
                dec.read(4096, wait=False)
                time.sleep(0.01)
        assert time.monotonic() < give_up
    finally:
        dec.close()


def test_a_song_fading_out_whose_reads_fail_is_silent_and_the_next_fades_in(tmp_path):
    """The song fading out stops reading under a crossfade and does not read again: it is
    silent for the rest of the fade, and the song fading in plays on. Its failure, said once
    its time to read again was up as the fade asked whether it was ready, was taken for the
    song fading in's: that one, fine, ended as an error."""
    rate = 44100
    a_path, b_path = tmp_path / "a.wav", tmp_path / "b.wav"
    noise = np.random.default_rng(5).uniform(-0.3, 0.3, rate * 4).astype(np.float32)
    sf.write(a_path, noise, rate)
    sf.write(b_path, noise[::-1].copy(), rate)
    if not _memory_reads_fail_up_to(a_path.stat().st_size):
        pytest.skip("reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")
    a_dec, b_dec = Decoder(str(a_path), out_rate=rate), Decoder(str(b_path), out_rate=rate)
    try:
        a_dec.seek_frame(rate * 2)
        fade = Crossfade(Source(str(a_path)), a_dec, Source(str(b_path)), b_dec, rate)
        away = a_path.with_name("away.wav")
        a_path.rename(away)
        a_path.symlink_to("/proc/self/mem")     # (opened again, it does not read either)
        assert _cut_off(str(away)) > 0
        mixed, done, give_up = 0, False, time.monotonic() + 10 * READ_RETRY_S
        while not done and time.monotonic() < give_up:
            block, done = fade.step(4096)
            mixed += len(block)
            time.sleep(0.005)
        assert done and mixed == rate and fade.a_lost is not None and "could not be read" in fade.a_lost
        assert len(b_dec.read(rate)) == rate
    finally:
        a_dec.close()
        b_dec.close()


@pytest.mark.parametrize("let_go", [False, True], ids=["output-held", "output-let-go"])
def test_a_drive_that_drops_and_comes_back_while_paused_plays_on_after_play(
        store, tmp_path, caplog, let_go):
    """The share drops as the song plays, the person pauses, it stays away for longer than the
    wait for it and is back before Play. The wait counted on through the pause: Play ended the
    song at once as an error (or it ended during the pause), its file readable again. It counts
    only while the output needs the audio, so the song plays on whole. ``let_go``: a long pause,
    the output released and the feeder resting until Play, looks at the file only then."""
    caplog.set_level(logging.INFO, logger="player.audio.decoder")
    # The app's own wait for the file: what is left of it after Play must hold the file's opening
    # again on a busy machine, and the pause below outlasts it.
    assert decoder.READ_RETRY_S >= 2.0
    folder = tmp_path / "music"
    folder.mkdir()
    seconds, rate = 4.0, 44100
    song, a = _song(store, folder, "WAV", "PCM_16", seconds, rate)
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    if let_go:
        p.engine.pause_release_s = 0.0

    class PauseAtTheFailure(logging.Handler):
        """The person pauses the moment the failure is said, on the thread that says it: paused
        from the test's own thread once it saw the message, the wait could run out first on a
        busy machine, however long it was made."""

        def emit(self, record: logging.LogRecord) -> None:
            if "failed as it played" in record.getMessage():
                p.engine.pause()

    pauser = PauseAtTheFailure()
    logging.getLogger("player.audio.decoder").addHandler(pauser)
    try:
        p.play_tracks([a])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        _drive_gone(song)
        assert wait_for(lambda: any("failed as it played" in r.getMessage() for r in caplog.records))
        p.pause()
        assert wait_for(lambda: p.state is PlaybackState.PAUSED)
        away_until = time.monotonic() + decoder.READ_RETRY_S + 1.0
        assert wait_for(lambda: time.monotonic() > away_until)
        _drive_back(song)
        p.resume()
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=30.0)
    finally:
        logging.getLogger("player.audio.decoder").removeHandler(pauser)
        p.close()
    assert ended(store) == [(a, "finished")]
    assert store.plays()[0]["ms_heard"] >= seconds * 1000 - 100
    assert any("reads again" in r.getMessage() for r in caplog.records)


def test_a_next_song_whose_first_read_fails_as_it_is_joined_on_is_read_again_and_plays_whole(tmp_path):
    """A gapless album resampled: the next file's start is read to end the one before it (see
    Decoder.join). Its share dropping for a moment then ended the next song as an error at
    once, never opened again as any other read that fails is. It is read again once it opens,
    and what is heard is what a join with no failure gives, frame for frame."""
    rate, out_rate = 44100, 48000
    a_path, b_path = tmp_path / "a.wav", tmp_path / "b.wav"
    noise = np.random.default_rng(11).uniform(-0.3, 0.3, rate * 2).astype(np.float32)
    sf.write(a_path, noise[:rate], rate)
    sf.write(b_path, noise[rate:], rate)
    if not _memory_reads_fail_up_to(b_path.stat().st_size):
        pytest.skip("reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")

    def played(cut: bool) -> np.ndarray:
        a_dec, b_dec = Decoder(str(a_path), out_rate=out_rate), Decoder(str(b_path), out_rate=out_rate)
        try:
            heard = []
            while not a_dec.end_held:
                heard.append(a_dec.read(4096, hold_end=True))
            if cut:
                assert _cut_off(str(b_path)) > 0    # (its path opens again at once: the drive is back)
            give_up, tail = time.monotonic() + 10 * READ_RETRY_S, None
            while tail is None and time.monotonic() < give_up:
                if b_dec.settling and not b_dec.ready():
                    time.sleep(0.01)
                    continue
                assert a_dec.can_join(b_dec)
                tail = a_dec.join(b_dec)
            assert tail is not None
            heard.append(tail)
            while len(block := b_dec.read(4096)):
                heard.append(block)
            return np.concatenate(heard)
        finally:
            a_dec.close()
            b_dec.close()

    whole = played(cut=False)
    assert len(whole) == out_rate * 2
    np.testing.assert_array_equal(played(cut=True), whole)


# Songs ffmpeg decodes (AAC in an M4A here): ffmpeg reads the file in a process of its own, and
# took a read that failed mid-file for the file's end (it exits 0 then, saying "Input/output
# error"): the song ended there, logged as heard to its end, and was never read again.

#: how each version of a song is written: by libsndfile (a PCM or Vorbis subtype; its MP3 has
#: a Xing/Info header), or by ffmpeg with these options (an AAC M4A with its moov after the
#: audio or in front of it, or in fragments of a second, or beside a track that lists no
#: sample; an MP3 of one bit rate with no header that counts its frames; WavPack, WMA, Opus in
#: WebM, Vorbis in Matroska)
_WRITERS = {"WAV": "PCM_16", "FLAC": "PCM_16", "OGG": "VORBIS", "MP3": "MPEG_LAYER_III",
            "MP3-no-xing": ["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"],
            "M4A": ["-c:a", "aac", "-b:a", "128k"], "M4A-moov-first": ["-c:a", "aac", "-movflags", "+faststart"],
            "M4A-empty-track": ["-map", "0:a", "-map", "0:a", "-c:a", "aac"],
            "M4A-fragmented": ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov", "-frag_duration", "1000000"],
            "AIFF": "PCM_16", "WV": ["-c:a", "wavpack"], "WV-small-blocks": ["-c:a", "wavpack", "-frame_size", "128"],
            "WMA": ["-c:a", "wmav2"],
            "WEBM": ["-c:a", "libopus"], "MKA": ["-c:a", "libvorbis"]}
#: ffmpeg's name of the container of each kind it writes
_MUXERS = {"M4A": "ipod", "MP3": "mp3", "WV": "wv", "WMA": "asf", "WEBM": "webm", "MKA": "matroska"}


def _write_version(path, audio, rate, kind) -> None:
    """``audio`` written to ``path`` as ``kind`` (see :data:`_WRITERS`)."""
    import shutil
    import subprocess

    how = _WRITERS[kind]
    if isinstance(how, str):
        sf.write(path, audio, rate, format=kind, subtype=how)
        return
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    wav = path.with_name(path.stem + "-src.wav")
    sf.write(wav, audio, rate)
    fmt = _MUXERS[kind.split("-")[0]]
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(wav), *how, "-f", fmt, str(path)],
                   check=True)
    wav.unlink()
    if kind == "M4A-empty-track":
        from tests.audiogen import empty_second_track

        path.write_bytes(empty_second_track(path.read_bytes()))


def _glide(seconds, rate):
    """Stereo tones that glide (AAC codes noise as made-up noise, different at each decode);
    the same song's shorter version is its start."""
    t = np.arange(int(seconds * rate)) / rate
    glide = 2 * np.pi * np.cumsum(300.0 + 40.0 * t) / rate
    return (0.3 * np.stack([np.sin(glide), np.sin(1.5 * glide)], axis=1)).astype(np.float32)


def _ffmpeg_song(store, folder, seconds, rate, kind="M4A"):
    """A song ffmpeg encodes (an AAC M4A by default; see :data:`_WRITERS`) in the store: its
    path, its id. Tones that glide, not noise: AAC's encoder codes noise as made-up noise,
    which decodes differently each time, and a block of it read again does not show it is the
    same song."""
    song = folder / f"a.{kind.split('-')[0].lower()}"
    _write_version(song, _glide(seconds, rate), rate, kind)
    st = song.stat()
    store.upsert_tracks([{"path": str(song), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(song))}])
    return song, store.track_by_path(str(song))["id"]


def _needs_gdb(song) -> None:
    """Skip where ffmpeg's reads of ``song`` cannot be made to fail (see :func:`_cut_off_in_children`);
    only those tests need gdb: a song cut short is cut by the test itself."""
    import shutil

    if shutil.which("gdb") is None:
        pytest.skip("needs gdb to make ffmpeg's reads fail")
    if not _memory_reads_fail_up_to(song.stat().st_size):
        pytest.skip("reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")


def _cut_off_in_children(path: str) -> int:
    """Make each descriptor open on ``path`` in this process's children (ffmpeg) read
    /proc/self/mem, as :func:`_cut_off` does here: gdb has the child call dup2. How many."""
    import subprocess

    real, count = os.path.realpath(path), 0
    for pid in (n for n in os.listdir("/proc") if n.isdigit()):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) != os.getpid():
                    continue
            fds = [int(n) for n in os.listdir(f"/proc/{pid}/fd") if os.readlink(f"/proc/{pid}/fd/{n}") == real]
        except (OSError, ValueError):
            continue        # (ended meanwhile)
        calls = [a for fd in fds for a in ("-ex", f'call (int)dup2((int)open("/proc/self/mem", 0), {fd})')]
        if calls:
            said = subprocess.run(["gdb", "-p", pid, "-batch", "-nx", *calls], stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=60).stdout
            # (each dup2 that took says the descriptor: "$1 = 3"; ffmpeg may end at once after)
            count += sum(f"= {fd}\n" in said for fd in fds)
    if not count:
        pytest.skip("gdb could not make ffmpeg's reads fail here (ptrace not allowed?)")
    return count


def _ffmpeg_drive_gone(song) -> None:
    away = song.with_name("away-" + song.name)
    song.rename(away)
    song.symlink_to("/proc/self/mem")
    _cut_off_in_children(str(away))


@pytest.mark.slow
def test_a_song_through_ffmpeg_whose_reads_fail_mid_way_ends_as_an_error_with_what_was_heard(store, tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    seconds = 30.0
    song, a = _ffmpeg_song(store, folder, seconds, 44100)
    _needs_gdb(song)
    first, _ = _played_into_a_drive_gone_for_good(store, folder, song, a, _ffmpeg_drive_gone, 60.0)
    assert first["error"] == f"cannot play a.m4a: {faults.READ_FAILED}"
    assert 1000 <= first["ms_heard"] < seconds * 1000 - 5000


@pytest.mark.slow
def test_a_song_through_ffmpeg_whose_drive_drops_for_a_moment_plays_on_whole(store, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="player.audio.decoder")
    folder = tmp_path / "music"
    folder.mkdir()
    seconds, rate = 30.0, 44100
    song, a = _ffmpeg_song(store, folder, seconds, rate)
    _needs_gdb(song)
    heard = _played_on_through_a_drop(store, song, a, seconds, caplog, _ffmpeg_drive_gone)
    # (every frame heard once: none lost where it failed, none twice where it read on)
    assert abs(np.count_nonzero(np.any(heard != 0.0, axis=1)) - seconds * rate) < rate * 0.05


# A file cut short as it plays (a sync tool truncating it to write it again, a copy of it still
# coming in): the song ran out where the file then ended, and was logged as heard to its end,
# with the cut length for its own. It is waited on to grow back as a read that failed is, then
# read on; one that stays cut ends as an error, and only what was heard is logged. (ffmpeg says
# a WavPack file cut inside a block failed to read: it was said to be on a drive that may be
# disconnected.)

def _truncatable_song(store, folder, fmt, seconds, rate):
    if not isinstance(_WRITERS[fmt], str):
        return _ffmpeg_song(store, folder, seconds, rate, fmt)
    return _song(store, folder, fmt, _WRITERS[fmt], seconds, rate)


def _cut_to_half_as_it_plays(store, tmp_path, fmt: str, next_s: float, **engine) -> None:
    """A 20 s song of ``fmt`` followed by one of ``next_s``, cut to half its size once a
    second of it was heard: it ends as an error, cut short, about half of it heard, and
    the next song plays to its end."""
    folder = tmp_path / "music"
    folder.mkdir()
    seconds = 20.0
    song, a = _truncatable_song(store, folder, fmt, seconds, 44100)
    (b,) = add_tracks(store, folder, [("b", next_s)])
    p = Player(store, NullEngine(speed=4.0, **engine), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        os.truncate(song, song.stat().st_size // 2)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=30.0)
    finally:
        p.close()
    assert ended(store) == [(a, "error"), (b, "finished")]
    first = store.plays()[0]
    assert first["error"] == f"cannot play {song.name}: {faults.CUT_SHORT}"
    # (about half was heard: the file held that much)
    assert 1000 <= first["ms_heard"] < seconds * 1000 * 0.6


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "MP3", "MP3-no-xing", "M4A", "M4A-moov-first", "OGG",
                                 "M4A-fragmented", "AIFF", "WV", "WMA", "WEBM", "MKA"])
def test_a_song_cut_short_as_it_plays_is_no_finished_play_and_logs_what_was_heard(store, tmp_path, fmt):
    _cut_to_half_as_it_plays(store, tmp_path, fmt, 0.6)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "AIFF", "OGG", "MP3", "WV"])
def test_a_song_cut_short_as_it_plays_under_a_crossfade_is_no_finished_play(store, tmp_path, fmt):
    # Opened again at its change, the file's reader holds only what is left: taken for the
    # song's length, the crossfade into the next song was set at the cut, the song was read up
    # to there and no further, never found cut short, and logged as heard to its end.
    _cut_to_half_as_it_plays(store, tmp_path, fmt, 3.0, crossfade_s=2.0)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["WAV", "M4A"])
def test_a_song_cut_short_as_it_plays_whose_copy_comes_in_plays_on_whole(store, tmp_path, caplog, fmt):
    caplog.set_level(logging.INFO, logger="player.audio.decoder")
    folder = tmp_path / "music"
    folder.mkdir()
    seconds, rate = 20.0, 44100
    song, a = _truncatable_song(store, folder, fmt, seconds, rate)
    whole = song.read_bytes()
    p = Player(store, NullEngine(speed=4.0, capture=True), progress_interval_s=0.2)

    class RestComesIn(logging.Handler):
        """The rest of the copy comes in as the cut is said, on the thread that says it: written
        from the test's own thread once it saw the message, the wait could run out first on a
        busy machine."""

        def emit(self, record: logging.LogRecord) -> None:
            if "cut short as it played" in record.getMessage():
                with open(song, "r+b") as f:
                    f.seek(len(whole) // 2)
                    f.write(whole[len(whole) // 2:])

    coming = RestComesIn()
    logging.getLogger("player.audio.decoder").addHandler(coming)
    try:
        p.play_tracks([a])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        os.truncate(song, len(whole) // 2)
        assert wait_for(lambda: any("cut short as it played" in r.getMessage() for r in caplog.records))
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=30.0)
        heard = p.engine.captured()
    finally:
        logging.getLogger("player.audio.decoder").removeHandler(coming)
        p.close()
    assert ended(store) == [(a, "finished")]
    assert store.plays()[0]["ms_heard"] >= seconds * 1000 - 100
    # (every frame heard once: none lost where it ran out, none twice where it read on)
    assert abs(np.count_nonzero(np.any(heard != 0.0, axis=1)) - seconds * rate) < rate * 0.05


# A file written over in place with a whole, shorter version of the same song as it plays (a
# trim or re-encode tool that writes into the file it read): read on from where it was, it ran
# out at the new end, before the length of the file as first opened, and was taken for one cut
# short: waited on to grow back, and ended as an error. Its header says it is whole: that end is
# the song's, and the play is finished.

@pytest.mark.parametrize("kind", ["WAV", "FLAC", "OGG", "MP3", "MP3-no-xing", "M4A", "M4A-moov-first",
                                  "M4A-empty-track", "M4A-fragmented", "AIFF", "WV", "WMA", "WEBM", "MKA"])
def test_a_song_rewritten_in_place_whole_and_shorter_as_it_plays_is_a_finished_play(store, tmp_path, kind):
    folder = tmp_path / "music"
    folder.mkdir()
    seconds, shorter, rate = 10.0, 6.0, 22050
    ext = kind.split("-")[0].lower()
    song = folder / f"a.{ext}"
    audio = _glide(seconds, rate)
    _write_version(song, audio, rate, kind)
    st = song.stat()
    store.upsert_tracks([{"path": str(song), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(song))}])
    a = store.track_by_path(str(song))["id"]
    trimmed = tmp_path / f"trimmed.{ext}"
    _write_version(trimmed, audio[:int(shorter * rate)], rate, kind)
    (b,) = add_tracks(store, folder, [("b", 0.6)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 1.0)
        inode = song.stat().st_ino
        with open(song, "r+b") as f:    # (written into the same file: the same inode, smaller)
            f.write(trimmed.read_bytes())
            f.truncate()
        assert song.stat().st_ino == inode
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=30.0)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "finished")]
    first = store.plays()[0]
    assert first["error"] is None
    # (the shorter version heard to its end, not the length the file was first opened with)
    assert (shorter - 0.5) * 1000 <= first["ms_heard"] <= (shorter + 0.5) * 1000



def test_a_song_rewritten_in_place_shorter_and_larger_takes_its_new_length(tmp_path):
    # A whole, shorter version written over a song in more bytes than it had (a re-encode at
    # more bits a sample): no larger file is cut short, so its length is its own, not the
    # length of the file as first opened (the seek bar and a crossfade's start are set by it).
    from tests.player.audio.test_decoder import read_on

    rate = 22050
    song, trimmed = tmp_path / "a.wav", tmp_path / "trimmed.wav"
    audio = _glide(10.0, rate)
    sf.write(song, audio, rate, subtype="PCM_16")
    sf.write(trimmed, audio[:8 * rate], rate, subtype="PCM_24")
    assert trimmed.stat().st_size > song.stat().st_size
    dec = Decoder(str(song), out_rate=rate)
    try:
        got = [dec.read(rate)]
        with open(song, "r+b") as f:    # (in place: the same inode, larger)
            f.write(trimmed.read_bytes())
        got.append(dec.read(rate))     # (waits for the file to be opened again)
        assert dec._opened == decoder._stamp(str(song))
        assert dec.total_frames == 8 * rate
        read_on(dec, got)
    finally:
        dec.close()
    assert sum(len(b) for b in got) == 8 * rate


def test_a_retag_that_grows_a_playing_mp3_does_not_read_all_its_frames_again(tmp_path, monkeypatch):
    # Whether a file rewritten in place is whole (audio_io.holds_whole) matters only where it is
    # smaller than it was opened: only then may it be taken for cut short. For an MP3 that look
    # reads every frame header (all of a 2-hour mix, on the thread that opens it again, while the
    # output plays out its buffer); a retag that grew its tag looked at it each time.
    from mutagen import id3

    from segue_common import audio_io
    from tests.player.audio.test_decoder import read_on

    rate = 22050
    song, trimmed = tmp_path / "a.mp3", tmp_path / "trimmed.mp3"
    audio = _glide(6.0, rate)
    _write_version(song, audio, rate, "MP3")
    _write_version(trimmed, audio[:3 * rate], rate, "MP3")
    looked, real_holds_whole = [], audio_io.holds_whole

    def holds_whole(path):      # (the real look, counted)
        looked.append(real_holds_whole(path))
        return looked[-1]

    monkeypatch.setattr(audio_io, "holds_whole", holds_whole)
    dec = Decoder(str(song), out_rate=rate)
    try:
        got = [dec.read(rate)]
        tags = id3.ID3()
        tags.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=os.urandom(200_000)))
        tags.save(str(song))    # (in place, the file grown by the cover)
        got.append(dec.read(rate))     # (waits for the file to be opened again)
        assert dec._opened == decoder._stamp(str(song))
        assert looked == []
        inode = song.stat().st_ino
        with open(song, "r+b") as f:    # (a whole, shorter version written over it: smaller)
            f.write(trimmed.read_bytes())
            f.truncate()
        assert song.stat().st_ino == inode
        read_on(dec, got)
    finally:
        dec.close()
    assert looked == [True]
    assert abs(sum(len(b) for b in got) - 3 * rate) < 0.1 * rate


# The same for the next song, opened ahead while the one before it plays (gaplessly joined to
# it where both are resampled alike): its file cut short after it was opened is no finished
# play either, as for the first song.

@pytest.mark.slow
@pytest.mark.parametrize("rate", [44100, 22050], ids=["handed-over", "joined-in-the-resampler"])
@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "MP3", "M4A", "M4A-moov-first", "WV"])
def test_a_next_song_cut_short_once_opened_ahead_is_no_finished_play(store, tmp_path, fmt, rate):
    folder = tmp_path / "music"
    (folder / "one").mkdir(parents=True)
    (folder / "two").mkdir()
    seconds = 20.0
    _, a = _truncatable_song(store, folder / "one", fmt, 3.0, rate)
    song, b = _truncatable_song(store, folder / "two", fmt, seconds, rate)
    (c,) = add_tracks(store, folder, [("c", 0.6)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.engine._ndec is not None and p.engine._ndec.path == str(song))
        assert p.engine.current is not None and p.engine.current.path != str(song)    # (the first one plays)
        os.truncate(song, song.stat().st_size // 2)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=60.0)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
    second = store.plays()[1]
    assert second["error"] == f"cannot play {song.name}: {faults.CUT_SHORT}"
    # (about half was heard: the file held that much; of an M4A whose index was after its
    # audio, nothing where ffmpeg had not read that index before the cut)
    assert (0 if fmt == "M4A" else 1000) <= second["ms_heard"] < seconds * 1000 * 0.6


def _audio_start(song) -> int:
    """Where the audio of a WAV or FLAC file begins: its headers end there."""
    from segue_common import audio_io

    with open(song, "rb") as f:
        if song.suffix == ".wav":
            return audio_io._riff_data(f)[0]
        return audio_io._flac_streaminfo(f, song.stat().st_size)[0]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_a_next_song_cut_to_its_headers_before_the_join_is_no_finished_play(store, tmp_path, fmt):
    # (resampled alike, the two are joined in one resampler: the join reads the next file's
    # first block, and a file cut to less ran out there, taken for a song of nothing heard whole)
    folder = tmp_path / "music"
    (folder / "one").mkdir(parents=True)
    (folder / "two").mkdir()
    _, a = _truncatable_song(store, folder / "one", fmt, 3.0, 22050)
    song, b = _truncatable_song(store, folder / "two", fmt, 20.0, 22050)
    (c,) = add_tracks(store, folder, [("c", 0.6)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.engine._ndec is not None and p.engine._ndec.path == str(song))
        os.truncate(song, _audio_start(song))
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=60.0)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
    assert store.plays()[1]["error"] == f"cannot play {song.name}: {faults.CUT_SHORT}"


@pytest.mark.slow
def test_a_next_song_cut_short_as_it_is_opened_ahead_is_no_finished_play(store, tmp_path, monkeypatch):
    # Cut once libsndfile has read its header (which gave the whole length) and before the
    # open was over: taken then as the file as it was opened, it ran out at the cut and was
    # logged heard to its end.
    from segue_common import audio_io

    folder = tmp_path / "music"
    (folder / "one").mkdir(parents=True)
    (folder / "two").mkdir()
    seconds = 20.0
    _, a = _truncatable_song(store, folder / "one", "WAV", 3.0, 44100)
    song, b = _truncatable_song(store, folder / "two", "WAV", seconds, 44100)
    (c,) = add_tracks(store, folder, [("c", 0.6)])
    real_open, cut = audio_io.open_soundfile, []

    def open_then_cut(path):
        opened = real_open(path)
        if path == str(song) and not cut:       # (a sync tool truncates it just then)
            cut.append(song.stat().st_size)
            os.truncate(song, cut[0] // 2)
        return opened

    monkeypatch.setattr(audio_io, "open_soundfile", open_then_cut)
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=60.0)
    finally:
        p.close()
    assert cut
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
    second = store.plays()[1]
    assert second["error"] == f"cannot play {song.name}: {faults.CUT_SHORT}"
    assert 1000 <= second["ms_heard"] < seconds * 1000 * 0.6


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "MP3"])
def test_a_next_song_cut_short_once_opened_ahead_under_a_crossfade_is_no_finished_play(store, tmp_path, fmt):
    # (its length dropped to the cut as it was opened again: see the crossfade test above)
    folder = tmp_path / "music"
    (folder / "one").mkdir(parents=True)
    (folder / "two").mkdir()
    seconds = 20.0
    _, a = _truncatable_song(store, folder / "one", fmt, 5.0, 44100)
    song, b = _truncatable_song(store, folder / "two", fmt, seconds, 44100)
    (c,) = add_tracks(store, folder, [("c", 0.6)])
    p = Player(store, NullEngine(speed=4.0, crossfade_s=2.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.engine._ndec is not None and p.engine._ndec.path == str(song))
        os.truncate(song, song.stat().st_size // 2)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=60.0)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
    second = store.plays()[1]
    assert second["error"] == f"cannot play {song.name}: {faults.CUT_SHORT}"
    assert 1000 <= second["ms_heard"] < seconds * 1000 * 0.6


@pytest.mark.slow
def test_a_next_wavpack_song_cut_short_before_the_join_is_waited_on_as_cut(store, tmp_path, monkeypatch):
    # ffmpeg says a WavPack file that ends inside a block failed to read ("Input/output
    # error"). Cut as it is opened ahead (once ffprobe has read its header, before ffmpeg read
    # its audio), the join reads past the cut (its blocks of 128 samples hold less than the
    # join reads): taken there for a drive's hiccup, the file was opened again at once, and
    # again at each try of the join, as if its drive had come back ("reads again"), to fail at
    # the cut each time. Waited on as cut, it is opened again only once it grows.
    from segue_common import audio_io

    rate = 22050        # (resampled, the two are joined in one resampler)
    folder = tmp_path / "music"
    (folder / "one").mkdir(parents=True)
    (folder / "two").mkdir()
    seconds = 20.0
    _, a = _truncatable_song(store, folder / "one", "WV", 3.0, rate)     # (stereo, as the next one)
    song, b = _truncatable_song(store, folder / "two", "WV-small-blocks", seconds, rate)
    (c,) = add_tracks(store, folder, [("c", 0.6)])
    data = song.read_bytes()
    second_block = data.index(b"wvpk", 4)
    real_probe, cut, opened = audio_io._ffprobe, [], []

    def probe_then_cut(exe, path):
        probed = real_probe(exe, path)
        if path == str(song):
            opened.append(path)
            if not cut:         # (a sync tool truncates it just then)
                cut.append(second_block + 100)
                os.truncate(song, cut[0])
        return probed

    monkeypatch.setattr(audio_io, "_ffprobe", probe_then_cut)
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=60.0)
    finally:
        p.close()
    assert cut
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
    assert store.plays()[1]["error"] == f"cannot play {song.name}: {faults.CUT_SHORT}"
    # (waited on as cut, never opened again as a file whose drive came back: it did not grow)
    assert opened == [str(song)]


@pytest.mark.slow
@pytest.mark.parametrize("rate", [44100, 22050], ids=["handed-over", "joined-in-the-resampler"])
def test_a_next_song_cut_short_once_opened_ahead_whose_copy_comes_in_plays_on_whole(store, tmp_path, rate):
    # Waited on as the song playing is (see above): the rest of the copy, come in meanwhile, is
    # read on where the next song ran out, every frame once, and the play is finished.
    folder = tmp_path / "music"
    (folder / "one").mkdir(parents=True)
    (folder / "two").mkdir()
    seconds = 12.0
    _, a = _truncatable_song(store, folder / "one", "WAV", 3.0, rate)
    song, b = _truncatable_song(store, folder / "two", "WAV", seconds, rate)
    whole = song.read_bytes()
    p = Player(store, NullEngine(speed=4.0, capture=True), progress_interval_s=0.2)

    class RestComesIn(logging.Handler):
        """The rest comes in as the cut is said, on the thread that says it (see above)."""

        def emit(self, record: logging.LogRecord) -> None:
            if "cut short as it played" in record.getMessage():
                with open(song, "r+b") as f:
                    f.seek(_audio_start(song))
                    f.write(whole[_audio_start(song):])

    coming = RestComesIn()
    logging.getLogger("player.audio.decoder").addHandler(coming)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.engine._ndec is not None and p.engine._ndec.path == str(song))
        os.truncate(song, _audio_start(song))
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=60.0)
        heard = p.engine.captured()
    finally:
        logging.getLogger("player.audio.decoder").removeHandler(coming)
        p.close()
    assert ended(store) == [(a, "finished"), (b, "finished")]
    assert store.plays()[1]["ms_heard"] >= seconds * 1000 - 100
    # (every frame heard once, at the output's rate: none lost where it ran out, none twice)
    out = p.engine.rate
    assert abs(np.count_nonzero(np.any(heard != 0.0, axis=1)) - (3.0 + seconds) * out) < out * 0.05


def _children() -> list[int]:
    """This process's child processes, zombies among them."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        found.append(int(name))
            except (OSError, IndexError, ValueError):
                pass        # (gone meanwhile)
    return found


def _open_on(path) -> list[str]:
    """This process's descriptors open on ``path``."""
    real, found = os.path.realpath(path), []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == real:
                found.append(fd)
        except OSError:
            pass        # (closed meanwhile)
    return found


def test_opens_made_again_on_a_share_that_hangs_are_capped_and_left_behind_at_the_end(tmp_path, monkeypatch):
    """Every open made again hangs (its ffprobe, on a share that stopped answering): no more
    than a few are under way at once, the song still ends as an error once its time to read
    again is up, and its close waits on none of them. Let go, each ends: no thread, child
    process or open file of the song is left."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("the opens made while the drive is away go through ffmpeg's ffprobe")
    folder = tmp_path / "music"
    folder.mkdir()
    song = folder / "a.wav"
    sf.write(song, np.random.default_rng(5).uniform(-0.3, 0.3, 44100 * 6).astype(np.float32), 44100)
    if not _memory_reads_fail_up_to(song.stat().st_size):
        pytest.skip("reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")
    tools, release = tmp_path / "ffmpeg", tmp_path / "release"
    tools.mkdir()
    (tools / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    (tools / "ffprobe").write_text(f"#!/bin/sh\nwhile [ ! -e '{release}' ]; do sleep 0.01; done\n"
                                   f'exec "{shutil.which("ffprobe")}" "$@"\n')
    (tools / "ffprobe").chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(tools / "ffmpeg"))
    children, memory = set(_children()), len(_open_on("/proc/self/mem"))
    threads = {t for t in threading.enumerate() if t.name == "audio-file-reopen"}

    def reopens():
        return [t for t in threading.enumerate() if t.name == "audio-file-reopen" and t not in threads and t.is_alive()]

    dec = Decoder(str(song), out_rate=44100)
    try:
        assert len(dec.read(44100)) == 44100
        _drive_gone(song)
        began, most = time.monotonic(), 0
        with pytest.raises(DecodeError, match="could not be read"):
            while time.monotonic() < began + 10 * READ_RETRY_S:
                dec.read(4096, wait=False)
                most = max(most, len(reopens()))
                time.sleep(0.01)
        assert time.monotonic() - began < READ_RETRY_S + 1.0
        assert most == decoder.READ_RETRIES_AT_ONCE
        assert len(reopens()) == decoder.READ_RETRIES_AT_ONCE     # (still hanging, dropped)
        closing = time.monotonic()
    finally:
        dec.close()
    assert time.monotonic() - closing < 0.5
    release.touch()
    assert wait_for(lambda: not reopens() and set(_children()) <= children, timeout=30.0)
    # (the file where it was, and what its path opens now: this process's memory, which what
    # other tests left running may hold open too)
    assert not _open_on(song.with_name("away-" + song.name))
    assert len(_open_on(song)) <= memory
