"""A track that is slow to open never holds up the one playing.

The engine opens the track set to follow the one playing (and those after a short one) ahead of
time. ffmpeg-decoded files start with an ffprobe and an ffmpeg: 0.3 to 1.4 s on a busy machine,
seconds from a disk waking up or a share, or where a virus scanner looks at the programs first.
Opened on the thread that keeps the output fed, that time was time the output went unfed: a
wait longer than the buffer (1.5 s) was a gap in the middle of the song playing.

Here ffprobe is the real one, started by a script that first waits a set time (the slow start),
or that fails after it; the output is the null engine at a few times real time, so the buffer
lasts a fraction of the wait.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from player.audio.null_engine import NullEngine
from tests.audiogen import tone, write_audio
from tests.null_pacing import SlowOpensInRealTimeNearTheJoin
from tests.player.audio import sink
from tests.player.audio.signals import active_region
from tests.player.audio.test_null_engine import Recorder
from tests.player.audio.test_sd_engine import sd_engine, wait_for  # noqa: F401 - a fixture

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg makes the files and decodes them")

SR = 44100
SPEED = 4.0     # the 1.5 s buffer lasts 0.375 s of the test's time
PROBE_WAIT_S = 0.8
WAIT_S = 20.0   # (for a slow open and the song before it, on a busy machine)
FIRST_S = 10.0  # (the output reaches where a 1 s fade begins 2.25 s after the start: the open's time and more)


def slow_ffmpeg(tmp_path, monkeypatch, *, wait_s: float, fail: bool = False):
    """Make the engine's ffmpeg the real one, and its ffprobe the real one started ``wait_s``
    late (or failing then, where ``fail``); the file each ffprobe run adds a line to."""
    folder = tmp_path / "slow-ffmpeg"
    folder.mkdir()
    (folder / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    runs = folder / "ffprobe-runs"
    run = "exit 1" if fail else f'exec "{shutil.which("ffprobe")}" "$@"'
    (folder / "ffprobe").write_text(f"#!/bin/sh\necho run >> '{runs}'\nsleep {wait_s}\n{run}\n")
    (folder / "ffprobe").chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(folder / "ffmpeg"))
    return runs


def held_ffprobe(tmp_path, monkeypatch, *, ends: bool = False):
    """Make the engine's ffmpeg the real one, and its ffprobe the real one held, once the file
    ``hold`` is made, until the file ``release`` is (a disk waking up, a busy machine); those
    two files' paths, and the file each ffprobe run adds a line to ("run"; with ``ends``,
    "start" and, once it is over, "end")."""
    folder = tmp_path / "held-ffmpeg"
    folder.mkdir()
    (folder / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    hold, release, runs = folder / "hold", folder / "release", folder / "ffprobe-runs"
    probe = shutil.which("ffprobe")
    run = (f'"{probe}" "$@"\nrc=$?\necho end >> \'{runs}\'\nexit $rc\n' if ends else f'exec "{probe}" "$@"\n')
    (folder / "ffprobe").write_text(
        f"#!/bin/sh\necho {'start' if ends else 'run'} >> '{runs}'\n"
        f"if [ -e '{hold}' ]; then while [ ! -e '{release}' ]; do sleep 0.01; done; fi\n" + run)
    (folder / "ffprobe").chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(folder / "ffmpeg"))
    return hold, release, runs


def m4a(path, seconds: float, freq: float):
    wav = path.with_suffix(".wav")
    sf.write(str(wav), tone(seconds, freq=freq), SR, subtype="FLOAT")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", str(path)], check=True)
    wav.unlink()
    return path


@pytest.fixture
def engine():
    engines = []

    def make(paced=NullEngine, **kw):
        e = paced(capture=True, speed=SPEED, **kw)
        engines.append(e)
        return e

    yield make
    for e in engines:
        e.close()


def play_then_set_next(e, first: Source, following: Source) -> Recorder:
    """Play ``first``; once it is heard, set ``following`` to come next, as the player does."""
    ev = Recorder(e)
    e.play(first)
    assert wait_for(lambda: ("started", first.path.rsplit("/", 1)[-1]) in ev.names(), timeout=WAIT_S)
    e.set_next(following)
    return ev


@pytest.mark.slow
@pytest.mark.parametrize("crossfade_s", [0.0, 1.0])
def test_a_next_track_slow_to_open_leaves_the_one_playing_unbroken(engine, tmp_path, monkeypatch, crossfade_s):
    """The song playing goes on without a gap while the next one's ffprobe takes longer than
    the buffer lasts, and the next one then follows it as ever: gaplessly, or mixed in over
    exactly the crossfade."""
    a = write_audio(tmp_path / "a.flac", tone(FIRST_S, freq=440), SR)
    b = m4a(tmp_path / "b.m4a", 2.0, 660)
    slow_ffmpeg(tmp_path, monkeypatch, wait_s=PROBE_WAIT_S)
    for _attempt in range(3):
        # (the output plays in real time near the join while the open goes on, as a sound
        # card gives it the song's length: fast, it is over before a slow open on a busy machine)
        e = engine(SlowOpensInRealTimeNearTheJoin, crossfade_s=crossfade_s)
        # (the library's length, as the player gives it)
        src_a, src_b = Source(str(a)), Source(str(b), duration_hint=2.0)
        ev = play_then_set_next(e, src_a, src_b)
        assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("finished", "b.m4a") in ev.names(),
                        timeout=WAIT_S)
        if e.underruns == 0:
            break
        # An underrun the machine made (the feeder's thread held back longer than the buffer
        # lasts at this speed, 0.375 s) says nothing of the open: tried again a few times at
        # most. An open that holds up the song playing runs it dry in its middle every time.
        e.close()
    assert e.underruns == 0
    assert ev.names() == [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.m4a"), ("finished", "b.m4a")]
    out = e.captured()[:, 0]
    played = active_region(out, threshold=1e-7)
    zero = np.concatenate([[False], played == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    assert not len(edges) or (edges[1::2] - edges[::2]).max() < 4, "the output ran dry"
    # Gapless: one after the other, every frame; crossfaded: the fade into the next began
    # exactly its length before the end.
    assert src_a.heard_frames == int((FIRST_S - crossfade_s) * SR)
    assert abs(src_b.heard_frames - 2.0 * SR) <= 2048
    assert abs(len(played) - (src_a.heard_frames + src_b.heard_frames)) <= 2     # (each tone starts at 0)


@pytest.mark.slow
def test_a_next_track_whose_open_fails_slowly_is_its_error_after_the_one_playing(engine, tmp_path, monkeypatch):
    """An ffprobe that fails after its wait: the song playing is heard whole, unbroken, and
    the next one is said to have failed when the output gets to it, as before."""
    a = write_audio(tmp_path / "a.flac", tone(FIRST_S, freq=440), SR)
    b = m4a(tmp_path / "b.m4a", 2.0, 660)
    slow_ffmpeg(tmp_path, monkeypatch, wait_s=PROBE_WAIT_S, fail=True)
    for _attempt in range(3):
        e = engine()
        src_a = Source(str(a))
        ev = play_then_set_next(e, src_a, Source(str(b)))
        assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("error", "b.m4a") in ev.names(), timeout=WAIT_S)
        if e.underruns == 0:
            break
        e.close()   # (see the test before)
    assert e.underruns == 0
    assert ev.names()[:4] == [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.m4a"), ("error", "b.m4a")]
    assert src_a.heard_frames == FIRST_S * SR


def test_a_skip_to_the_next_track_takes_its_file_open_already(engine, tmp_path, monkeypatch):
    """The person skips to the track set to come next, opened already: it starts from that
    open, not from another ffprobe and ffmpeg (the time of which was silence after the skip)."""
    a = write_audio(tmp_path / "a.flac", tone(FIRST_S, freq=440), SR)
    b = m4a(tmp_path / "b.m4a", 1.0, 660)
    runs = slow_ffmpeg(tmp_path, monkeypatch, wait_s=0.0)
    e = engine()
    ev = play_then_set_next(e, Source(str(a)), Source(str(b), duration_hint=1.0))
    assert wait_for(lambda: e._ndec is not None)    # (open, timeout=WAIT_S)
    skipped_to = Source(str(b), duration_hint=1.0, gain=0.5)   # (the player makes a Source of its own)
    e.play(skipped_to)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("finished", "b.m4a") in ev.names(), timeout=WAIT_S)
    assert ev.names()[-2:] == [("started", "b.m4a"), ("finished", "b.m4a")]
    assert abs(skipped_to.heard_frames - SR) <= 2048
    assert runs.read_text().count("run") == 1
    # (played at its own gain: the end of the output is the 660 Hz tone at half its level)
    assert np.abs(e.captured()[-SR // 2:-SR // 4, 0]).max() == pytest.approx(0.15, abs=0.01)


def longest_silence(out: np.ndarray) -> tuple[int, float]:
    """The longest run of exact silence in what was played (in frames) and where it began (in
    seconds): every track is a tone, so more than a few frames is the output run dry."""
    zero = np.concatenate([[False], out == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    if not len(edges):
        return 0, 0.0
    lengths = edges[1::2] - edges[::2]
    return int(lengths.max()), edges[::2][np.argmax(lengths)] / SR


def song_short_m4a(engine, tmp_path, song_s: float, short_s: float):
    """A song, a short FLAC and a 1 s M4A, over a null output the test drives itself, block by
    block (nothing goes by the clock): the song played, the short track set next and the M4A
    set to follow, as the player does. The engine, its Recorder, the song's and the short
    track's sources, and what is called after each block to set the M4A next (a Source of its
    own: the player makes a new one) once the short track is heard, as the player does."""
    from tests.player.audio.test_null_engine import hold_output

    a = write_audio(tmp_path / "a.flac", tone(song_s, freq=440), SR)
    b = write_audio(tmp_path / "b.flac", tone(short_s, freq=550), SR)
    c = m4a(tmp_path / "c.m4a", 1.0, 660)
    e = engine()
    hold_output(e)          # the test is the output: it reads block by block
    ev = Recorder(e)
    src_a, src_b = Source(str(a), duration_hint=song_s), Source(str(b), duration_hint=short_s)
    e.play(src_a)
    e.set_next(src_b)
    e.set_following([Source(str(c), duration_hint=1.0)])
    armed = []

    def arm_once_heard():
        if not armed and e.current is src_b:
            armed.append(Source(str(c), duration_hint=1.0))
            e.set_next(armed[0])
            e.set_following([])

    return e, ev, src_a, src_b, arm_once_heard


def assert_played_through(e, ev, out: np.ndarray, runs, seconds: float) -> None:
    """The three tracks were heard in order, ``seconds`` in all, without a gap, the M4A from
    the one open made ahead."""
    assert wait_for(lambda: ("finished", "c.m4a") in ev.names())
    assert ev.names() == [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.flac"),
                          ("finished", "b.flac"), ("started", "c.m4a"), ("finished", "c.m4a")]
    played = active_region(out[:, 0], threshold=1e-7)
    gap, at = longest_silence(played)
    assert gap < 4 and e.underruns == 0, f"the output ran dry: {1000 * gap / SR:.0f} ms of silence at {at:.2f} s"
    assert runs.read_text().count("run") == 1     # (the open made ahead is the one played)
    assert abs(len(played) - int(seconds * SR)) <= 2048


def test_the_file_after_a_track_shorter_than_its_open_is_opened_before_that_track_plays(engine, tmp_path,
                                                                                         monkeypatch):
    """A 2 s song, a 1.6 s track (longer than the buffer), then an M4A whose ffprobe does not
    answer till let go (a busy machine, a disk waking up). The player sets the M4A to come
    next only once the short track is heard; opened only then, its open outlasted the short
    track and the output ran dry before it. Its open begins while the song still plays, before
    anything is heard here, and the M4A follows the short track without a gap, from that open."""
    from tests.player.audio.test_null_engine import render_to_the_end

    hold, release, runs = held_ffprobe(tmp_path, monkeypatch)
    hold.touch()
    e, ev, _, _, arm_once_heard = song_short_m4a(engine, tmp_path, 2.0, 1.6)
    # (the song, the short track: 3.6 s before the M4A, less than an open is given)
    assert wait_for(runs.exists, timeout=WAIT_S), "the M4A's open did not begin before the short track played"
    release.touch()
    assert wait_for(lambda: e.sync() and bool(e._prepared) and e._prepared[0].done, timeout=WAIT_S)
    assert_played_through(e, ev, render_to_the_end(e, 400, after_each=arm_once_heard), runs, 4.6)


def test_the_file_after_a_clip_is_opened_as_long_before_it_as_a_slow_disk_is_waited_for(engine, tmp_path,
                                                                                         monkeypatch):
    """A 30 s song, a 0.6 s clip, then an M4A: the M4A's open begins once the output has
    OPEN_WAIT_S to play before it (the time a file on a disk spinning up or a share
    reconnecting is waited for), counted from where the output is (what the buffer holds
    included). Begun 4 s before, a disk that took 4.5 s to answer ran the output dry after the
    clip, where opened as the song began it had not; begun as the song begins, an ffmpeg is
    kept waiting all through it. The M4A follows the clip without a gap, from that open."""
    from player.audio.feeder import OPEN_WAIT_S
    from tests.player.audio.test_null_engine import render_to_the_end

    _, _, runs = held_ffprobe(tmp_path, monkeypatch)
    e, ev, src_a, _, arm_once_heard = song_short_m4a(engine, tmp_path, 30.0, 0.6)
    assert wait_for(lambda: e.sync() and e._ring.free() < 4096)   # (the buffer full of the song)
    opened_at = []

    def after_each():
        if not opened_at and e._prepared:
            opened_at.append(src_a.heard_frames / SR)
            # (given the time it has in real time: the output takes seconds to reach the M4A,
            # and this output as long as the test takes to render them)
            assert wait_for(lambda: e._prepared[0].done, timeout=WAIT_S)
        arm_once_heard()

    out = render_to_the_end(e, 2000, after_each=after_each)
    assert opened_at
    # (a block or two late at most: the feeder looks after each block the test takes)
    assert OPEN_WAIT_S - 0.25 < 30.6 - opened_at[0] <= OPEN_WAIT_S, \
        f"opened {30.6 - opened_at[0]:.2f} s before it played"
    assert_played_through(e, ev, out, runs, 31.6)

@pytest.mark.audio
@pytest.mark.slow
def test_the_sound_card_plays_on_while_the_next_track_takes_seconds_to_open(sd_engine, tmp_path, monkeypatch):  # noqa: F811
    """The same through PortAudio into the null sink, in real time: an ffprobe 3 s late (a
    disk waking up) is longer than the buffer and the sound server's own latency together."""
    a = write_audio(tmp_path / "a.flac", tone(6.0, freq=440), sink.RATE)
    b = m4a(tmp_path / "b.m4a", 1.0, 660)
    slow_ffmpeg(tmp_path, monkeypatch, wait_s=3.0)
    for _attempt in range(3):
        e = sd_engine()
        recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
        src_a = Source(str(a))
        ev = play_then_set_next(e, src_a, Source(str(b), duration_hint=1.0))
        assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("finished", "b.m4a") in ev.names(),
                        timeout=WAIT_S)
        heard = active_region(recorder.stop()[:, 0], threshold=1e-4)
        if e.underruns == 0:
            break
        # An underrun the engine counted on a machine loaded past its cores (the audio
        # thread late, or the open's tools slow to start) says nothing of where the open is
        # made: tried again a few times at most. An open that holds up the song playing, 3 s
        # against a buffer of 1.5 s, runs it dry in its middle every time, and fails.
        e.close()
    assert e.underruns == 0
    assert src_a.heard_frames == 6 * sink.RATE
    # (nothing silent longer than a few samples where a sine crosses zero, from the first
    # track's start to the next one's end)
    quiet = np.concatenate([[False], np.abs(heard) < 1e-4, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    assert not len(edges) or (edges[1::2] - edges[::2]).max() < 0.005 * sink.RATE, "the output ran dry"



def test_a_skip_is_obeyed_while_the_song_playing_is_opened_again_after_a_retag(engine, tmp_path, monkeypatch):
    """A tagger saves the playing M4A in place: the decoder opens it again to read on, which
    starts an ffprobe and an ffmpeg (here the ffprobe is held until the test lets it go: a disk
    waking up, a busy machine; a 30-minute WebM took 4.5 s). Made on the thread that keeps the
    output fed, every command waited for it: a skip to another song was that long unheard.
    The other song now plays at once, while the open still waits."""
    from mutagen.mp4 import MP4

    a = m4a(tmp_path / "a.m4a", FIRST_S, 440)
    b = write_audio(tmp_path / "b.flac", tone(2.0, freq=660), SR)
    hold, release, runs = held_ffprobe(tmp_path, monkeypatch)
    e = engine()
    src_a, src_b = Source(str(a), duration_hint=FIRST_S), Source(str(b))
    ev = Recorder(e)
    e.play(src_a)
    try:
        assert wait_for(lambda: src_a.heard_frames > SR, timeout=WAIT_S)
        hold.touch()
        probes = len(runs.read_text().splitlines())
        tags = MP4(str(a))
        tags["\xa9cmt"] = ["x" * 300_000]      # (too big for the padding: the file is written again)
        tags.save()
        assert wait_for(lambda: len(runs.read_text().splitlines()) > probes, timeout=WAIT_S), "not opened again"
        e.play(src_b)
        assert wait_for(lambda: src_b.heard_frames > 0, timeout=WAIT_S), "the skip waited for the open"
        assert not release.exists()
    finally:
        release.touch()
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("finished", "b.flac") in ev.names(), timeout=WAIT_S)
    assert ("error", "a.m4a") not in ev.names() and src_b.heard_frames == 2 * SR


def test_a_file_written_again_while_it_is_opened_again_is_opened_once_at_a_time(tmp_path, monkeypatch):
    """A file written in pieces a little apart (a tagger on a slow disk) is opened again at
    each pause. An open no longer wanted cannot be stopped (its ffmpeg decodes on up to the
    place), so the next one waits for it to end: started at once, the opens of every pause
    decoded side by side, beside the song playing. Here the first open's ffprobe is held
    while the file is written again; the song plays on whole once it is let go."""
    import time

    from player.audio.decoder import REWRITE_QUIET_S, Decoder

    path = m4a(tmp_path / "a.m4a", 3.0, 440)
    hold, release, runs = held_ffprobe(tmp_path, monkeypatch, ends=True)
    first = Decoder(str(path), out_rate=SR)
    reference = first.read(10 * SR)
    first.close()
    dec = Decoder(str(path), out_rate=SR)
    got = [dec.read(4096) for _ in range(8)]
    runs.write_text("")
    hold.touch()

    def read_on() -> None:
        block = dec.read(4096, wait=False)
        if len(block):
            got.append(block)

    try:
        path.write_bytes(path.read_bytes())     # (the same song, written in place)
        assert wait_for(lambda: read_on() or "start" in runs.read_text(), timeout=WAIT_S), "not opened again"
        path.write_bytes(path.read_bytes())     # (written again while that open waits)
        # (long enough past the pause after which the file is opened again for a second open
        # to have started: polled, as the feeder does)
        until = time.monotonic() + 4 * REWRITE_QUIET_S + 0.5
        while time.monotonic() < until:
            read_on()
            time.sleep(0.01)
    finally:
        release.touch()
    while len(block := dec.read(4096, wait=False)) or dec.settling:
        if len(block):
            got.append(block)
        else:
            time.sleep(0.01)
    dec.close()
    marks = runs.read_text().split()
    assert marks[:2] == ["start", "end"], marks    # (the second open waited for the first's end)
    got = np.concatenate(got)
    assert not dec.replaced and len(got) == len(reference) and np.allclose(got, reference, atol=1e-4)


def test_a_skip_is_obeyed_while_a_file_that_keeps_changing_is_opened_again(engine, tmp_path, monkeypatch):
    """A playing M4A whose time stamp keeps moving (a share that touches it every moment, a
    sync tool) is opened again as it is once it has kept changing for REWRITE_GIVE_UP_S.
    That open was waited for on the thread that keeps the output fed: with the ffprobe it
    starts held (a disk waking up, a busy machine), a skip to another song was not obeyed
    until the open ended, or for ever where it never did. The other song now plays at once."""
    import os
    import threading

    import player.audio.decoder as decoder

    monkeypatch.setattr(decoder, "REWRITE_GIVE_UP_S", 0.3)
    a = m4a(tmp_path / "a.m4a", FIRST_S, 440)
    b = write_audio(tmp_path / "b.flac", tone(2.0, freq=660), SR)
    hold, release, runs = held_ffprobe(tmp_path, monkeypatch)
    e = engine()
    src_a, src_b = Source(str(a), duration_hint=FIRST_S), Source(str(b))
    ev = Recorder(e)
    e.play(src_a)
    stop = threading.Event()

    def touch() -> None:    # (the time stamp moved every 50 ms, the file's bytes left as they are)
        t = os.stat(a).st_mtime_ns
        while not stop.is_set():
            t += 1_000_000
            os.utime(a, ns=(t, t))
            stop.wait(0.05)

    toucher = threading.Thread(target=touch, daemon=True)
    try:
        assert wait_for(lambda: src_a.heard_frames > SR, timeout=WAIT_S)
        hold.touch()
        probes = len(runs.read_text().splitlines())
        toucher.start()
        assert wait_for(lambda: len(runs.read_text().splitlines()) > probes, timeout=WAIT_S), "not opened again"
        e.play(src_b)
        assert wait_for(lambda: src_b.heard_frames > 0, timeout=WAIT_S), "the skip waited for the open"
        assert not release.exists()
    finally:
        stop.set()
        release.touch()
    toucher.join()
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("finished", "b.flac") in ev.names(), timeout=WAIT_S)
    assert ("error", "a.m4a") not in ev.names() and src_b.heard_frames == 2 * SR


def test_a_song_waiting_for_its_next_file_plays_on_unbroken_through_an_output_of_large_blocks(
        engine, tmp_path, monkeypatch):
    """Held where its crossfade would begin for the next file to open, a song plays on once
    the buffer runs low. An output that takes blocks longer than that low mark (16384 frames,
    0.37 s: a sound server with a large latency) found less than a block there at each take:
    the song's last seconds stuttered, a hole in every block. What is kept in the buffer as it
    plays on covers what such an output takes at once."""
    from tests.player.audio.test_null_engine import hold_output

    block_frames = 16384
    a = write_audio(tmp_path / "a.flac", tone(4.0, freq=440), SR)
    b = m4a(tmp_path / "b.m4a", 1.0, 660)
    hold, release, _ = held_ffprobe(tmp_path, monkeypatch)
    hold.touch()            # the next file does not open while the song plays (a disk asleep)
    e = engine(crossfade_s=2.0, blocksize=block_frames)
    hold_output(e)          # the test is the output: it takes a block, then the feeder has a pass
    src_a = Source(str(a), duration_hint=4.0)
    e.play(src_a)
    e.set_next(Source(str(b), duration_hint=1.0))
    assert wait_for(lambda: e.sync() and e._ring.free() < 4096)    # (the buffer full of the song)
    block, got = np.zeros((block_frames, 2), np.float32), []
    try:
        for _ in range(40):
            if src_a.heard_frames >= 4 * SR:
                break
            e._render(block)
            got.append(block[:, 0].copy())
            assert e.sync()
        assert src_a.heard_frames >= 4 * SR
    finally:
        release.touch()
    heard = active_region(np.concatenate(got), threshold=1e-7)[:4 * SR]
    zero = np.concatenate([[False], heard == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    holes = [(int(at), int(n)) for at, n in zip(edges[::2], edges[1::2] - edges[::2]) if n > 3]
    assert holes == [], f"holes (where, frames) in the song as it played on: {holes[:4]}"
