"""A file opened ahead of time is held open only while the output nears it.

The engine opens the file after a short next track OPEN_AHEAD_S before the output reaches it
(see FeederMixin._prepare_following). A seek back in the song playing puts it far off again:
held open all that while, an ffmpeg waited for nothing and, on Windows, a tagger could not save
the file. Here the output is the null engine driven by the test, block by block, and the files
are FLACs, whose open file the process lists in /proc/self/fd (where there is one).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from player.audio import feeder
from player.audio.base import PlaybackState, Source
from player.audio.null_engine import NullEngine
from tests.audiogen import tone, write_audio
from tests.player.audio.signals import active_region, peak_frequency
from tests.player.audio.test_null_engine import Recorder, hold_output, render_to_the_end
from tests.player.audio.test_slow_open import held_ffprobe, m4a
from tests.player.audio.test_sd_engine import sd_engine, wait_for  # noqa: F401 - a fixture

#: (only the test that looks at the process's open files needs /proc: macOS and Windows have none)
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="the open files are read from /proc")

SR = 44100
SONG_S = 32.0   # (the output has more than OPEN_AHEAD_S and the margin to play at its start)


def held_open(path: Path) -> bool:
    """Whether this process has ``path`` open (the file itself, whatever its name now)."""
    want = os.stat(path)
    for fd in os.listdir("/proc/self/fd"):
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
            return True
    return False


@pytest.fixture
def song_clip_after(tmp_path):
    """A 32 s song playing, a 0.5 s clip set next and a 1 s track (c.flac) expected after it,
    over a null output the test drives itself; the engine, its Recorder, the song's source,
    c's path, and what the test calls after each block to set c next once the clip is heard
    (a Source of its own, as the player makes), which returns the open it was set from."""
    assert feeder.OPEN_AHEAD_S + feeder.CLOSE_AHEAD_MARGIN_S < SONG_S - 1.5
    a = write_audio(tmp_path / "a.flac", tone(SONG_S, freq=440), SR)
    b = write_audio(tmp_path / "b.flac", tone(0.5, freq=550), SR)
    c = write_audio(tmp_path / "c.flac", tone(1.0, freq=660), SR)
    e = NullEngine(capture=True, speed=1.0)
    hold_output(e)
    ev = Recorder(e)
    src_a, src_b = Source(str(a), duration_hint=SONG_S), Source(str(b), duration_hint=0.5)
    e.play(src_a)
    e.set_next(src_b)
    e.set_following([Source(str(c), duration_hint=1.0)])
    assert wait_for(lambda: e.current is src_a)
    armed = []

    def arm_once_heard():
        if not armed and e.current is src_b:
            armed.append(list(e._prepared))     # (what was open ahead for c as the clip began)
            e.set_next(Source(str(c), duration_hint=1.0))
            e.set_following([])
        return armed[0] if armed else None

    yield e, ev, src_a, c, arm_once_heard
    e.close()


def events_end_with(ev, want: list) -> bool:
    """Whether the engine's events come to end with ``want``: they reach the listener on a
    thread of their own, some after the output has played its last block."""
    return wait_for(lambda: ev.names()[-len(want):] == want)


def opened_ahead(e) -> bool:
    return e.sync() and len(e._prepared) == 1 and e._prepared[0].done


@needs_proc
def test_a_file_opened_ahead_is_closed_by_a_seek_back_and_opened_again_as_the_output_nears_it(
        song_clip_after, tmp_path):
    """Near the song's end c.flac is opened ahead; a seek back to the song's start closes it
    (its decoder and the OS's file released), so it can be renamed and another written in its
    place meanwhile, as a tagger saving it does. Played on to, c is opened again ahead of the
    clip, and the new file is heard right after it, without a gap."""
    e, ev, src_a, c, arm_once_heard = song_clip_after
    assert not e._prepared and not held_open(c)     # (32 s before it: too far to open)
    e.seek(SONG_S - 1.5, src_a)
    assert wait_for(lambda: opened_ahead(e))
    assert held_open(c)
    e.seek(0.0, src_a)
    assert wait_for(lambda: e.sync() and not e._prepared), "the file opened ahead stayed open after a seek back"
    assert not held_open(c)
    os.rename(c, tmp_path / "c-old.flac")
    write_audio(c, tone(1.0, freq=880), SR)
    e.seek(SONG_S - 2.0, src_a)
    assert wait_for(lambda: opened_ahead(e))
    out = render_to_the_end(e, 400, after_each=arm_once_heard)
    assert [p.source.path for p in arm_once_heard()] == [str(c)]    # (opened again before the clip)
    assert events_end_with(ev, [("started", "b.flac"), ("finished", "b.flac"), ("started", "c.flac"),
                                ("finished", "c.flac")]), ev.names()
    played = active_region(out[:, 0], threshold=1e-7)
    zero = np.concatenate([[False], played == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    assert e.underruns == 0 and (not len(edges) or (edges[1::2] - edges[::2]).max() < 4), "the output ran dry"
    assert abs(len(played) - int(3.5 * SR)) <= 2048
    assert peak_frequency(played[-SR // 2:], sr=SR) == pytest.approx(880, abs=5)    # (the file written since)


def test_a_seek_back_of_a_few_seconds_keeps_the_file_opened_ahead(song_clip_after):
    """A seek back that leaves the output less than OPEN_AHEAD_S and the margin to play before
    c keeps it open: the one open made ahead is the one c is played from, not closed and made
    again moments later."""
    e, ev, src_a, c, arm_once_heard = song_clip_after
    e.seek(SONG_S - 1.5, src_a)
    assert wait_for(lambda: opened_ahead(e))
    opening = e._prepared[0]
    back_s = feeder.OPEN_AHEAD_S + feeder.CLOSE_AHEAD_MARGIN_S / 2 - 2.0    # (the buffer and the clip: 2 s)
    e.seek(SONG_S - back_s, src_a)
    render_to_the_end(e, int((back_s + 1.5) * SR / 1024) + 200, after_each=arm_once_heard)
    assert arm_once_heard() == [opening]
    assert events_end_with(ev, [("started", "c.flac"), ("finished", "c.flac")]), ev.names()


@pytest.mark.audio
@pytest.mark.slow
def test_on_the_sound_card_the_file_after_a_clip_opens_as_long_before_it_as_on_the_null_output(
        sd_engine, tmp_path, monkeypatch):  # noqa: F811 - a fixture
    """The same open ahead through PortAudio into the null sink, in real time, the lead made
    3 s to keep the test short: the sound card takes its audio in blocks of its own, and the
    sound server holds some of it before it is heard; counted from where the output has read
    (as the device's clock takes it), the open still begins the lead before the file plays, not
    a device's buffer later or earlier, and the file is heard right after the clip."""
    from tests.player.audio import sink

    lead_s = 3.0
    monkeypatch.setattr(feeder, "OPEN_AHEAD_S", lead_s)
    rate = sink.RATE
    song_s = lead_s + 1.5      # (the output has more than the lead to play before c as it starts)
    a = write_audio(tmp_path / "a.flac", tone(song_s, freq=440, sr=rate), rate)
    b = write_audio(tmp_path / "b.flac", tone(0.5, freq=550, sr=rate), rate)
    c = write_audio(tmp_path / "c.flac", tone(1.0, freq=660, sr=rate), rate)
    for _attempt in range(3):
        e = sd_engine()
        assert e.rate == rate
        recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
        ev = Recorder(e)
        src_a, src_b = Source(str(a), duration_hint=song_s), Source(str(b), duration_hint=0.5)
        e.play(src_a)
        e.set_next(src_b)
        e.set_following([Source(str(c), duration_hint=1.0)])
        opened_at, armed = None, None
        end = time.monotonic() + song_s + 15.0
        while e.state is not PlaybackState.STOPPED and time.monotonic() < end:
            if opened_at is None and e._prepared:
                opened_at = src_a.heard_frames / rate
            if armed is None and e.current is src_b:
                armed = list(e._prepared)
                e.set_next(Source(str(c), duration_hint=1.0))
                e.set_following([])
            time.sleep(0.002)
        heard = active_region(recorder.stop()[:, 0], threshold=1e-4)
        if e.underruns == 0:
            break
        # (a machine loaded past its cores runs a real-time output dry now and then, with
        # nothing wrong here: tried again a few times at most)
        e.close()
    assert events_end_with(ev, [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.flac"),
                                ("finished", "b.flac"), ("started", "c.flac"), ("finished", "c.flac")])
    assert len(ev.names()) == 6, ev.names()
    assert armed is not None and [p.source.path for p in armed] == [str(c)]
    assert opened_at is not None
    lead = song_s + 0.5 - opened_at     # (a block or two late at most: the feeder looks at every tick)
    assert lead_s - 0.25 < lead <= lead_s, f"opened {lead:.2f} s before it played"
    assert e.underruns == 0
    assert abs(len(heard) - int((song_s + 1.5) * rate)) <= 2048


def test_a_file_twice_in_what_follows_keeps_the_one_open_made_ahead_for_it(song_clip_after):
    """The file after the clip is queued again two songs later (the song playing between):
    its one open ahead serves the first time it is expected, near, and is not closed for the
    second, far off. Closed for it, it was opened again at once for the first, at every feeder
    pass (an ffprobe and an ffmpeg each, for ffmpeg's formats), and none was open when needed."""
    e, ev, src_a, c, arm_once_heard = song_clip_after
    e.set_following([Source(str(c), duration_hint=1.0), Source(src_a.path, duration_hint=SONG_S),
                     Source(str(c), duration_hint=1.0)])
    e.seek(SONG_S - 1.5, src_a)

    def open_for_c():
        return next((p for p in e._prepared if p.source.path == str(c) and p.done), None) if e.sync() else None

    found = []
    assert wait_for(lambda: found.append(open_for_c()) or found[-1] is not None)
    opening = found[-1]
    render_to_the_end(e, int(3.5 * SR / 1024) + 200, after_each=arm_once_heard)
    assert opening in arm_once_heard(), "the open made ahead for the file was closed and made again"
    assert events_end_with(ev, [("started", "c.flac"), ("finished", "c.flac")]), ev.names()


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="needs ffmpeg")
def test_a_seek_back_while_the_file_ahead_is_still_opening_leaves_that_one_open_to_go_on(
        song_clip_after, tmp_path, monkeypatch):
    """The file after the clip (one ffmpeg decodes) is still opening, its ffprobe held (a disk
    waking up), when a seek back puts it far off, and a seek forward near again: the one open
    goes on and is the one the file is played from; dropped at the seek back, its thread and
    ffprobe stayed stuck as long as the disk did, and the seek forward started a second."""
    e, ev, src_a, _, _ = song_clip_after
    hold, release, runs = held_ffprobe(tmp_path, monkeypatch, ends=True)
    c = m4a(tmp_path / "c.m4a", 1.0, 660)
    hold.touch()
    e.set_following([Source(str(c), duration_hint=1.0)])
    e.seek(SONG_S - 1.5, src_a)
    assert wait_for(lambda: runs.exists() and runs.read_text().split() == ["start"])
    e.seek(0.0, src_a)
    for _ in range(5):      # (feeder passes with c far off)
        assert e.sync()
    e.seek(SONG_S - 1.5, src_a)
    for _ in range(5):
        assert e.sync()
    release.touch()
    assert wait_for(lambda: opened_ahead(e) and runs.read_text().split()[-1:] == ["end"])
    opening, armed = e._prepared[0], []

    def arm_once_heard():
        if not armed and e.current is not None and e.current.path.endswith("b.flac"):
            armed.append(list(e._prepared))
            e.set_next(Source(str(c), duration_hint=1.0))
            e.set_following([])

    render_to_the_end(e, 400, after_each=arm_once_heard)
    assert runs.read_text().split() == ["start", "end"], "the file was opened twice"
    assert armed == [[opening]]
    assert events_end_with(ev, [("started", "c.m4a"), ("finished", "c.m4a")]), ev.names()


def as_after_a_long_piece(monkeypatch) -> None:
    """The 32 s song is made to count as a long piece (a mix, a chapter): the next track's file
    is put off till the output has less than OPEN_AHEAD_S to play before it, as one after a song
    longer than NEXT_OPEN_AHEAD_S is, without writing minutes of audio."""
    monkeypatch.setattr(feeder, "NEXT_OPEN_AHEAD_S", feeder.OPEN_AHEAD_S)


@pytest.fixture
def song_then_next(tmp_path, monkeypatch):
    """A 32 s song playing, counted as a long piece (see :func:`as_after_a_long_piece`), and a
    3 s track (b.flac) set next, over a null output the test drives itself; the engine, its
    Recorder, the song's source and b's path."""
    as_after_a_long_piece(monkeypatch)
    e, ev, src_a, b = play_song_then_next(tmp_path)
    yield e, ev, src_a, b
    e.close()


def play_song_then_next(tmp_path, crossfade_s: float = 0.0):
    """What :func:`song_then_next` gives, with ``crossfade_s``; the caller closes the engine."""
    a = write_audio(tmp_path / "a.flac", tone(SONG_S, freq=440), SR)
    b = write_audio(tmp_path / "b.flac", tone(3.0, freq=550), SR)
    e = NullEngine(capture=True, speed=1.0, crossfade_s=crossfade_s)
    hold_output(e)
    ev = Recorder(e)
    src_a = Source(str(a), duration_hint=SONG_S)
    e.play(src_a)
    e.set_next(Source(str(b), duration_hint=3.0))
    assert wait_for(lambda: e.current is src_a)
    return e, ev, src_a, b


def next_open(e) -> bool:
    return e.sync() and e._ndec is not None


def played_without_a_gap(e, out: np.ndarray, seconds: float, last_s: float | None = None) -> np.ndarray:
    """What was heard of ``out``, asserted to run ``seconds`` with no hole in its last ``last_s``
    seconds (all of it, by default)."""
    played = active_region(out[:, 0], threshold=1e-7)
    looked = played if last_s is None else played[-int(last_s * SR):]
    zero = np.concatenate([[False], looked == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    assert e.underruns == 0 and (not len(edges) or (edges[1::2] - edges[::2]).max() < 4), "the output ran dry"
    assert abs(len(played) - int(seconds * SR)) <= 2048
    return played


@needs_proc
def test_the_next_file_is_opened_only_as_the_output_nears_it_and_closed_again_by_a_seek_back(song_then_next):
    """The next track's file is not held open through the long song before it (an ffmpeg
    waiting, a file a tagger cannot save on Windows): it is opened as the song's end nears,
    closed again by a seek back to the song's start, opened again near its end, and heard
    right after the song, without a gap."""
    e, ev, src_a, b = song_then_next
    for _ in range(5):      # (feeder passes with b 32 s off)
        assert e.sync()
    assert e._ndec is None and not held_open(b), "the next file was opened 32 s before it plays"
    e.seek(SONG_S - 1.5, src_a)
    assert wait_for(lambda: next_open(e))
    assert held_open(b)
    e.seek(0.0, src_a)
    assert wait_for(lambda: e.sync() and e._ndec is None), "the next file stayed open after a seek back"
    assert not held_open(b)
    e.seek(SONG_S - 2.0, src_a)
    assert wait_for(lambda: next_open(e))
    out = render_to_the_end(e, 400)
    assert events_end_with(ev, [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.flac"),
                                ("finished", "b.flac")]), ev.names()
    played = played_without_a_gap(e, out, 5.0)
    assert peak_frequency(played[-SR:], sr=SR) == pytest.approx(550, abs=5)


def test_a_next_file_saved_anew_during_the_long_song_before_it_plays_as_saved(song_then_next, tmp_path):
    """A tagger saves the next track's file (a new file renamed over it) while the long song
    before it plays: the saved file is the one heard, right after the song. Opened as it was
    set, the file from before the save was read on (its old audio, its old tags' length)."""
    e, ev, src_a, b = song_then_next
    for _ in range(5):
        assert e.sync()
    os.rename(b, tmp_path / "b-old.flac")
    write_audio(b, tone(3.0, freq=880), SR)
    e.seek(SONG_S - 2.0, src_a)
    assert wait_for(lambda: next_open(e))
    out = render_to_the_end(e, 400)
    assert events_end_with(ev, [("started", "b.flac"), ("finished", "b.flac")]), ev.names()
    played = played_without_a_gap(e, out, 5.0)
    assert peak_frequency(played[-SR:], sr=SR) == pytest.approx(880, abs=5)


def test_the_next_file_after_a_song_is_opened_open_ahead_before_it_plays(tmp_path, monkeypatch):
    """Played through, block by block, the next track's file after a long piece opens
    NEXT_OPEN_AHEAD_S (made 3 s here, as OPEN_AHEAD_S) before the output reaches it, not as it
    is set at the song's start, nor later, and follows the song without a gap."""
    lead_s = 3.0
    monkeypatch.setattr(feeder, "OPEN_AHEAD_S", lead_s)
    monkeypatch.setattr(feeder, "NEXT_OPEN_AHEAD_S", lead_s)
    song_s = lead_s + feeder.CLOSE_AHEAD_MARGIN_S / 2 + 2.0
    a = write_audio(tmp_path / "a.flac", tone(song_s, freq=440), SR)
    b = write_audio(tmp_path / "b.flac", tone(1.0, freq=550), SR)
    e = NullEngine(capture=True, speed=1.0)
    try:
        hold_output(e)
        ev = Recorder(e)
        src_a = Source(str(a), duration_hint=song_s)
        e.play(src_a)
        e.set_next(Source(str(b), duration_hint=1.0))
        assert wait_for(lambda: e.current is src_a and e.sync() and e._ring.free() < feeder.BLOCK)
        taken, opened_at = [0], []

        def look():
            # When the open is begun, not when it is done: the open runs on a thread of its
            # own, which a loaded machine starves while these blocks are taken faster than
            # real time (done 0.94 s of the song later than begun, once).
            taken[0] += 1024
            opening = e._nopen
            if not opened_at and (e._ndec is not None or opening is not None and not opening.deferred):
                opened_at.append(taken[0] / SR)

        out = render_to_the_end(e, int((song_s + 1.0) * SR / 1024) + 200, after_each=look)
    finally:
        e.close()
    assert events_end_with(ev, [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.flac"),
                                ("finished", "b.flac")]), ev.names()
    assert opened_at, "the next file was never seen open"
    lead = song_s - opened_at[0]
    assert lead_s - 0.5 < lead <= lead_s, f"opened {lead:.2f} s before it played"
    # (from before the open to the end: the join, and the output while the file opened)
    played_without_a_gap(e, out, song_s + 1.0, last_s=lead_s + 2.0)


def test_a_long_song_crossfades_into_the_next_file_opened_as_its_end_nears(tmp_path, monkeypatch):
    """With a crossfade, the next track's file, not open through the long song, opens as its end
    nears and is faded into as ever: the two overlap for the fade, with no gap."""
    as_after_a_long_piece(monkeypatch)
    e, ev, src_a, _ = play_song_then_next(tmp_path, crossfade_s=2.0)
    try:
        for _ in range(5):
            assert e.sync()
        assert e._ndec is None, "the next file was opened 32 s before it plays"
        e.seek(SONG_S - 4.0, src_a)
        assert wait_for(lambda: next_open(e) or e._fade is not None)
        out = render_to_the_end(e, 400)
    finally:
        e.close()
    assert events_end_with(ev, [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.flac"),
                                ("finished", "b.flac")]), ev.names()
    played = played_without_a_gap(e, out, 4.0 + 3.0 - 1.5)     # (a fade is half the shorter track at most)
    assert peak_frequency(played[-SR // 2:], sr=SR) == pytest.approx(550, abs=5)


def test_a_skip_to_the_next_track_not_opened_yet_plays_it_from_its_start(song_then_next):
    """The person skips to the track set next while the long song before it plays, its file
    not opened yet (put off till the output nears it): it is opened then, and heard whole, not
    left waiting as an open that never began (the output silent, then the track given up)."""
    e, ev, src_a, b = song_then_next
    for _ in range(5):      # (feeder passes with b 32 s off)
        assert e.sync()
    assert e._ndec is None, "the next file was opened 32 s before it plays"
    skipped_to = Source(str(b), duration_hint=3.0)     # (the player makes a Source of its own)
    e.play(skipped_to)
    assert e.sync(5.0), "the skipped-to track's file did not open"    # (returns once it is open)
    out = render_to_the_end(e, 400)
    assert events_end_with(ev, [("started", "b.flac"), ("finished", "b.flac")]), ev.names()
    assert abs(skipped_to.heard_frames - 3 * SR) <= 2048
    played = active_region(out[:, 0], threshold=1e-7)
    assert peak_frequency(played[-SR:], sr=SR) == pytest.approx(550, abs=5)


def test_the_next_file_after_a_song_of_ordinary_length_is_open_from_the_start(tmp_path):
    """After a 32 s song (any song well under NEXT_OPEN_AHEAD_S) the next track's file is open
    as soon as it is set, and stays open through a seek back to the song's start: Next pressed
    anywhere in the song takes it open already (a fifth of a second of silence saved for an
    M4A), and a slow open is hidden behind the song. The song then plays into it without a gap."""
    e, ev, src_a, b = play_song_then_next(tmp_path)
    try:
        assert wait_for(lambda: next_open(e)), "the next file was not opened as it was set"
        opened = e._ndec
        e.seek(0.0, src_a)
        for _ in range(5):      # (feeder passes with b 32 s off)
            assert e.sync()
        assert e._ndec is opened, "a seek back in a song of ordinary length closed the next file"
        e.seek(SONG_S - 2.0, src_a)
        assert wait_for(lambda: next_open(e) and e._ndec is opened)   # (the seek taken, the file still open)
        out = render_to_the_end(e, 400)
    finally:
        e.close()
    assert events_end_with(ev, [("started", "a.flac"), ("finished", "a.flac"), ("started", "b.flac"),
                                ("finished", "b.flac")]), ev.names()
    played = played_without_a_gap(e, out, 5.0)
    assert peak_frequency(played[-SR:], sr=SR) == pytest.approx(550, abs=5)
