"""player.analysis: the analysis job on a real library (generated audio, real scan, real SQLite)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from player import paths
from player.analysis import SILENT_ERROR, AnalysisJob
from player.library.scanner import Scanner
from recommender.msd_tags import MSD_LABELS
from tests.audiogen import path_without_ffmpeg, write_audio, write_tags
from tools.make_tagger_reference import chord, drum_pulses

SR = 22050


@pytest.fixture(scope="module")
def _library_made(tmp_path_factory):
    """The library's files, written once for the module: each test gets a copy of its own."""
    music = tmp_path_factory.mktemp("library-made")
    made = []
    for i, bpm in enumerate((100, 120, 140)):
        made.append(write_audio(music / f"drums{i}.flac", drum_pulses(4.6, sr=SR, bpm=bpm, seed=i), SR))
        write_tags(made[-1], title=f"drums {i}", artist="Kit")
    for i, root in enumerate((196.0, 261.6)):
        made.append(write_audio(music / f"chord{i}.ogg", chord(4.6, sr=SR, root=root), SR))
        write_tags(made[-1], title=f"chord {i}", artist="Keys", genre="Jazz" if i else "")
    made.append(write_audio(music / "broken.wav", chord(2.0, sr=SR), SR))
    return made


@pytest.fixture
def library(tmp_path, store, _library_made):
    """Three drum tracks, two chord tracks (one tagged Jazz), one file broken after the scan."""
    music = tmp_path / "music"
    music.mkdir()
    for path in _library_made:          # in the order they were written, with the time of the copy
        shutil.copyfile(path, music / path.name)
    broken = music / "broken.wav"
    Scanner(store).scan([str(music)])
    broken.write_bytes(b"RIFF" + b"\x00" * 64)  # damaged after the scan: the scan saw a good file
    return music


def _by_name(store, feats):
    names = {r["id"]: r["title"] or r["path"] for r in store.tracks()}
    index = feats.index()
    return {names[t]: index[t] for t in feats.track_ids}


def test_analyses_every_track_stores_errors_and_resumes(store, library):
    seen = []
    job = AnalysisJob(store, workers=0, batch_tracks=2, progress=seen.append)
    result = job.run()
    assert (result.total, result.analysed, result.errors) == (6, 5, 1)
    assert "broken.wav" in result.error_paths[0][0]
    assert seen[-1].done == 6 and seen[-1].total == 6
    assert all(result.timings[k] > 0 for k in ("decode", "mel", "cnn", "mfcc"))

    errors = store.feature_errors(job.tagger.version)
    assert len(errors) == 1 and errors[0]["path"].endswith("broken.wav") and errors[0]["error"].startswith("damaged")
    feats = store.features()
    assert feats.model_version == job.tagger.version and len(feats) == 5
    assert feats.tags.shape == (5, 50) and feats.embedding.shape == (5, 200) and feats.mfcc.shape == (5, 78)
    np.testing.assert_allclose(np.linalg.norm(feats.embedding, axis=1), 1.0, atol=2e-3)  # float16
    rows = _by_name(store, feats)
    drums, keys = [rows[f"drums {i}"] for i in range(3)], [rows[f"chord {i}"] for i in range(2)]
    electronic = MSD_LABELS.index("electronic")
    assert feats.tags[drums, electronic].min() > feats.tags[keys, electronic].max()
    emb = feats.embedding
    assert emb[drums[0]] @ emb[drums[1]] > emb[drums[0]] @ emb[keys[0]] + 0.3
    assert feats.bucket[rows["chord 1"]] == "jazz"  # the file's genre tag, blended in
    assert feats.bucket[rows["drums 0"]] in ("electronic", "dance")
    assert abs(feats.tempo[rows["drums 1"]] - 120) < 4
    assert np.all(feats.loudness < 0) and np.isnan(feats.tempo[keys]).all()

    again = AnalysisJob(store, workers=0).run()  # resumable: nothing left, the bad file not retried
    assert (again.total, again.analysed, again.errors) == (0, 0, 0)
    assert store.feature_counts(job.tagger.version) == {"analysed": 5, "errors": 1, "pending": 0}


def test_a_new_model_reanalyses(store, library, tmp_path):
    from recommender.tagger import model_version

    old = model_version(paths.shipped_models_dir() / "musicnn" / "msd_musicnn.npz")
    store.save_features([{"track_id": r["id"], "model_version": old, "tags": np.full(50, 0.1),
                          "embedding": np.eye(200)[0]} for r in store.tracks()])
    assert len(store.features()) == 6 and store.tracks_to_analyse(old) == []
    models = tmp_path / "models"
    shutil.copytree(paths.shipped_models_dir() / "musicnn", models / "musicnn")
    with np.load(models / "musicnn" / "msd_musicnn.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["out.bias"] = arrays["out.bias"] - 0.5  # a "retrained" model: new checksum
    np.savez(models / "musicnn" / "msd_musicnn.npz", **arrays)
    job = AnalysisJob(store, workers=0, batch_tracks=8, models_dir=models)
    result = job.run()
    assert result.total == 6 and result.analysed == 5
    assert job.tagger.version != old and store.features().model_version == job.tagger.version
    assert len(store.features(old)) == 0  # rows are replaced, not duplicated


def test_cancel_keeps_finished_batches_and_pause_waits(store, library):
    holder = {}

    def cancel_after_first(progress):
        if progress.done >= 2:
            holder["job"].cancel()

    holder["job"] = AnalysisJob(store, workers=0, batch_tracks=2, progress=cancel_after_first)
    result = holder["job"].run()
    assert result.cancelled and 2 <= result.analysed < 5
    first = result.analysed

    job = AnalysisJob(store, workers=0, batch_tracks=2)
    job.pause()
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("r", job.run()))
    thread.start()
    time.sleep(0.5)
    assert job.paused and "r" not in out and len(store.features()) == first
    job.resume()
    thread.join(60)
    assert out["r"].analysed + first == 5 and out["r"].errors + result.errors == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_lowered_priority_reaches_torch_worker_threads_only():
    """The analysis thread and the OpenMP workers it starts run at nice 19; the rest keep theirs."""
    import torch

    from player.priority import lower_thread_priority

    def nice_of(tid):
        with open(f"/proc/self/task/{tid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[16])

    main_nice = nice_of(threading.get_native_id())
    if main_nice == 19:
        pytest.skip("the test runner already runs at nice 19")
    before = {int(t) for t in os.listdir("/proc/self/task")}
    out = {}

    def work():
        out["lowered"] = lower_thread_priority()
        out["tid"] = threading.get_native_id()
        torch.set_num_threads(2)
        x = torch.randn(2, 1, 193, 96)
        torch.nn.functional.conv2d(x, torch.randn(64, 1, 7, 38))   # starts this thread's team
        new = {int(t) for t in os.listdir("/proc/self/task")} - before - {out["tid"]}
        out["nice"] = nice_of(out["tid"])
        out["workers_at_19"] = sum(nice_of(t) == 19 for t in new)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert out["lowered"] and out["nice"] == 19
    assert out["workers_at_19"] >= 1          # its OpenMP worker inherited it
    assert nice_of(threading.get_native_id()) == main_nice    # the rest of the process did not


@pytest.mark.slow
def test_decodes_in_worker_processes(store, library):
    result = AnalysisJob(store, workers=2, batch_tracks=4).run()
    assert (result.analysed, result.errors) == (5, 1)
    assert len(store.features()) == 5


def test_segue_analyse_command(store, library, capsys):
    from player.cli import main

    assert main(["analyse", "--workers", "0", "--device", "cpu"]) == 0
    out = capsys.readouterr()
    assert "analysed 5 tracks on cpu" in out.err and "1 errors" in out.err and "broken.wav" in out.err
    assert "cnn" in out.out
    assert main(["analyse", "--workers", "0"]) == 0
    assert "all 5 tracks analysed" in capsys.readouterr().out


def test_a_failing_batch_is_retried_track_by_track(store, library):
    class FailsOnChord0(AnalysisJob):  # fault injection: one track breaks the tagging step
        def _process(self, batch, genres, result):
            if any(d["path"].endswith("chord0.ogg") for d in batch):
                raise ValueError("synthetic failure")
            super()._process(batch, genres, result)

    result = FailsOnChord0(store, workers=0, batch_tracks=8).run()
    assert (result.analysed, result.errors) == (4, 2)
    errors = {row["path"].rsplit("/", 1)[-1]: row["error"] for row in store.feature_errors()}
    assert errors["chord0.ogg"] == "analysis failed: ValueError: synthetic failure"
    assert "broken.wav" in errors


def test_non_finite_samples_are_cleaned(store, tmp_path):
    import soundfile as sf

    music = tmp_path / "nan"
    music.mkdir()
    y = drum_pulses(4.0, sr=SR)
    y[1000:2000] = np.nan
    y[5000] = np.inf
    sf.write(str(music / "nan.wav"), y, SR, subtype="FLOAT")
    Scanner(store).scan([str(music)])
    result = AnalysisJob(store, workers=0).run()
    assert result.analysed == 1
    feats = store.features()
    assert np.all(np.isfinite(feats.tags)) and np.all(np.isfinite(feats.embedding))


def test_damaged_cut_and_unmeasured_flacs_are_analysed_for_what_they_hold(store, tmp_path):
    # A damaged stretch is silence in its place, a file cut short ends where its data does,
    # one whose header leaves its length out is measured by the scan: none is an error.
    from tests.audiogen import cut_to_half, forget_flac_length, zero_middle

    music = tmp_path / "harmed"
    music.mkdir()
    for harm in (zero_middle, cut_to_half, forget_flac_length):
        harm(write_audio(music / f"{harm.__name__}.flac", chord(6.0, sr=SR), SR))
    Scanner(store).scan([str(music)])
    assert len(store.tracks()) == 3
    result = AnalysisJob(store, workers=0).run()
    assert result.analysed == 3 and store.feature_errors() == []


def crash_on_drums1(path, max_patches, first=0):
    """Runs in a worker process: dies like a decoder crashing in native code on one file."""
    import os

    from player.analysis import decode_part

    if path.endswith("drums1.flac"):
        os._exit(134)
    return decode_part(path, max_patches, first)


class CrashingDecoder(AnalysisJob):
    decode = staticmethod(crash_on_drums1)


class _SlowGate(threading.Event):
    """The job's pause gate, answered only after a while: the worker that crashes has
    broken the pool before the job hands it the next file."""

    def wait(self, timeout=None):
        time.sleep(0.5)
        return super().wait(timeout)


@pytest.mark.slow
@pytest.mark.parametrize("slow_hand", [False, True])
def test_a_crashed_decoder_process_is_an_error_for_its_file_only(store, library, slow_hand):
    job = CrashingDecoder(store, workers=2, batch_tracks=2)
    if slow_hand:
        job._running = _SlowGate()
        job._running.set()
    result = job.run()
    assert (result.analysed, result.errors) == (4, 2)
    crashed = dict(result.error_paths)
    assert [p for p, e in crashed.items() if e == "decoder crashed"] == [str(library / "drums1.flac")]
    errors = {r["path"].rsplit("/", 1)[-1]: r["error"] for r in store.feature_errors(result.model_version)}
    assert errors.keys() == {"drums1.flac", "broken.wav"} and errors["drums1.flac"] == "decoder crashed"
    again = CrashingDecoder(store, workers=2).run()  # stored: not retried on the next start
    assert (again.total, again.analysed, again.errors) == (0, 0, 0)


def _whole_file_reference(path, tagger, max_patches):
    """Analysis as it was before excerpts: the whole file decoded and resampled at once."""
    import soxr

    from recommender.audio_features import describe, tagger_logmel
    from segue_common.audio_io import load_audio

    y, sr = load_audio(path)
    tags = tagger.tag_tracks(tagger_logmel([soxr.resample(y, sr, 16000, quality="HQ")], device=tagger.device),
                             max_patches=max_patches)[0]
    return tags, describe([soxr.resample(y, sr, 22050, quality="HQ")], device=tagger.device)[0]


@pytest.mark.parametrize("max_patches", [4, None])
def test_excerpts_give_the_whole_files_tags_and_embedding(store, tmp_path, max_patches):
    from tests.recommender.test_excerpts import music, write

    music_dir = tmp_path / "m"
    music_dir.mkdir()
    paths = [write(music_dir / "a.ogg", music(25.0, 44100, seed=1), 44100, format="OGG", subtype="VORBIS"),
             write(music_dir / "b.mp3", music(25.0, 44100, seed=2), 44100, format="MP3")]
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        # AAC in an M4A, whose excerpts ffmpeg gives from one pass (its noise substitution on,
        # as the encoder leaves it: that noise, made up by the decoder, differed where it jumped)
        wav = write(tmp_path / "c.wav", music(25.0, 44100, seed=3), 44100, format="WAV")
        paths.append(music_dir / "c.m4a")
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "192k", str(paths[-1])],
                       check=True)
    Scanner(store).scan([str(music_dir)])
    job = AnalysisJob(store, workers=0, device="cpu", max_patches=max_patches)
    result = job.run()
    assert (result.analysed, result.errors) == (len(paths), 0)
    feats = store.features()
    index = {r["path"]: feats.index()[r["id"]] for r in store.tracks()}
    for path in paths:
        tags, desc = _whole_file_reference(path, job.tagger, max_patches)
        i = index[str(path)]
        assert float(feats.embedding[i] @ tags.embedding) > 0.999          # float16 storage
        assert np.abs(feats.tags[i] - tags.tags).max() < 0.005
        if max_patches is None:   # the whole file in chunks: the whole file's summaries
            np.testing.assert_allclose(feats.mfcc[i], desc.mfcc, rtol=0.02, atol=0.05)
            assert abs(feats.loudness[i] - desc.loudness) < 0.05
        else:                     # 4 excerpts of 3 s: estimates of them
            np.testing.assert_allclose(feats.mfcc[i][:13], desc.mfcc[:13], rtol=0.2, atol=3.0)
            assert abs(feats.loudness[i] - desc.loudness) < 1.5


def test_a_memory_error_while_resampling_is_stored_and_not_retried_until_the_file_changes(
        store, tmp_path, monkeypatch):
    import soxr

    music_dir = tmp_path / "m"
    music_dir.mkdir()
    write_audio(music_dir / "fine.flac", drum_pulses(4.0, sr=SR, bpm=120), SR)
    big = write_audio(music_dir / "big.flac", chord(4.0, sr=48000), 48000)
    Scanner(store).scan([str(music_dir)])
    real = soxr.resample

    def resample(x, sr_in, sr_out, **kw):   # the allocation a huge file would fail on
        if sr_in == 48000:
            raise MemoryError("Unable to allocate 5.1 GiB for an array")
        return real(x, sr_in, sr_out, **kw)

    monkeypatch.setattr(soxr, "resample", resample)
    result = AnalysisJob(store, workers=0).run()
    assert (result.analysed, result.errors) == (1, 1)
    errors = {r["path"]: r["error"] for r in store.feature_errors()}
    assert errors == {str(big): "MemoryError: Unable to allocate 5.1 GiB for an array"}
    monkeypatch.setattr(soxr, "resample", real)
    assert AnalysisJob(store, workers=0).run().total == 0       # not retried at the next start
    Scanner(store).scan([str(music_dir)])
    assert AnalysisJob(store, workers=0).run().total == 0       # nor after a rescan of the same file
    write_audio(big, chord(5.0, sr=48000), 48000)                # the file changes
    Scanner(store).scan([str(music_dir)])
    again = AnalysisJob(store, workers=0).run()
    assert (again.total, again.analysed, again.errors) == (1, 1, 0) and store.feature_errors() == []


def test_a_long_file_streamed_whole_holds_one_chunk_at_a_time(store, tmp_path, monkeypatch):
    """Every patch tagged (a GPU's mode): the file goes through in chunks, never all at once."""
    import tracemalloc

    import scipy.signal  # noqa: F401 - imported before measuring: its import is tens of MB
    import soundfile as sf

    import recommender.excerpts as ex

    monkeypatch.setattr(ex, "CHUNK_NATIVE_SAMPLES", 1 << 17)   # 6 s chunks at 22,050 Hz
    music_dir = tmp_path / "m"
    music_dir.mkdir()
    beat = drum_pulses(30.0, sr=SR, bpm=120)
    write_audio(music_dir / "warm.flac", beat[: 5 * SR], SR)   # a first pass does the lazy imports
    Scanner(store).scan([str(music_dir)])
    AnalysisJob(store, workers=0, device="cpu", max_patches=None).run()
    with sf.SoundFile(str(music_dir / "long.flac"), "w", SR, 1, format="FLAC") as f:
        for _ in range(6):   # 3 minutes: 27 MB at 16 kHz and 22,050 Hz as float32, 16 MB native
            f.write(beat)
    Scanner(store).scan([str(music_dir)])
    job = AnalysisJob(store, workers=0, device="cpu", max_patches=None, batch_tracks=2)
    tracemalloc.start()
    try:
        result = job.run()
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert result.analysed == 1
    assert peak_mb < 10, peak_mb     # a few 6 s chunks (batch, queue, the one decoding)
    assert abs(store.features().tempo.max() - 120) < 4


def test_a_file_that_kills_the_process_twice_gets_its_error(store, library):
    """A decoder crash in this process (no worker to catch it) leaves no exception to store."""
    import subprocess

    dies_on_drums1 = (
        "import os, sys\n"
        "import recommender.excerpts as ex\n"
        "real = ex.decode_pieces\n"
        "def dying(path, *a, **k):\n"
        "    if path.endswith('drums1.flac'):\n"
        "        os._exit(134)\n"
        "    return real(path, *a, **k)\n"
        "ex.decode_pieces = dying\n"
        "from player.store import Store\n"
        "from player.analysis import AnalysisJob\n"
        "AnalysisJob(Store.open(), workers=0, device='cpu').run()\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for _ in range(2):
        died = subprocess.run([sys.executable, "-c", dies_on_drums1], cwd=root, capture_output=True, text=True)
        assert died.returncode == 134, died.stderr[-2000:]
    job = AnalysisJob(store, workers=0)
    job.run()   # the tracks after drums1 in library order, and never drums1 again
    errors = {r["path"].rsplit("/", 1)[-1]: r["error"] for r in store.feature_errors()}
    assert errors.keys() == {"drums1.flac", "broken.wav"} and "stopped" in errors["drums1.flac"]
    assert store.feature_counts(job.tagger.version) == {"analysed": 4, "errors": 2, "pending": 0}


# The note of the tracks in flight as an older Segue, a person or a damaged copy may leave it
# ({v}: the tagger's version).
ODD_IN_FLIGHT = {
    "a list": '[1, 2]',
    "a strike infinite": '{{"version": {v}, "tracks": [], "strikes": {{"1": Infinity}}}}',
    "a track infinite": '{{"version": {v}, "tracks": [Infinity, 1e400]}}',
    "the decoding one past SQLite": '{{"version": {v}, "decoding": 1{z}}}',
    # (and the CNN's threads asked for in the settings: the job raised as it was made)
    "the CNN's threads infinite": ("analysis.cnn_workers", "Infinity"),
    "the CNN's threads 1e400": ("analysis.cnn_workers", "1e400"),
    "the CNN's threads a word": ("analysis.cnn_workers", '"two"'),
    "the CNN's threads past SQLite": ("analysis.cnn_workers", "1{z}"),
}


@pytest.mark.parametrize("kind", ODD_IN_FLIGHT)
def test_an_odd_note_of_the_tracks_in_flight_is_left_out_and_the_analysis_runs(store, library, kind):
    # It raised as every pass began: nothing was analysed again, and the note was never rewritten.
    import json

    from player.analysis import IN_FLIGHT_SETTING

    job = AnalysisJob(store, workers=0)
    key, text = ODD_IN_FLIGHT[kind] if isinstance(ODD_IN_FLIGHT[kind], tuple) else (IN_FLIGHT_SETTING,
                                                                                   ODD_IN_FLIGHT[kind])
    with store.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (
            key, text.format(v=json.dumps(job.tagger.version), z="0" * 30)))
    job = AnalysisJob(store, workers=0)
    assert 1 <= job.cnn_workers <= job.cores
    job.run()
    assert store.feature_counts(job.tagger.version) == {"analysed": 5, "errors": 1, "pending": 0}


def test_cnn_workers_share_the_batches_and_change_no_result(store, tmp_path, monkeypatch):
    import player.analysis as analysis
    from player.store import Store
    from tests.recommender.test_excerpts import music, write

    music_dir = tmp_path / "m"
    music_dir.mkdir()
    for i in range(2):   # 20 s: 6 patches each, three CNN batches
        write(music_dir / f"{i}.flac", music(20.0, 22050, seed=i), 22050, format="FLAC")

    def run(db, workers, parallel_min):
        monkeypatch.setattr(analysis, "PARALLEL_MIN", parallel_min)
        Scanner(db).scan([str(music_dir)])
        job = AnalysisJob(db, workers=0, device="cpu", cnn_workers=workers)
        calls = []
        predict = job.tagger.predict_patches
        job.tagger.predict_patches = lambda x: (calls.append(threading.current_thread().name), predict(x))[1]
        others = set(threading.enumerate())      # (any that another test left running are not this job's)
        assert job.run().analysed == 2
        assert not [t for t in threading.enumerate() if t.name.startswith("analysis-cnn") and t not in others]
        feats = db.features()
        order = np.argsort([r["path"] for r in db.tracks()])
        return job, calls, feats.tags[order], feats.embedding[order]

    _, calls, tags, emb = run(store, 1, 1.5)
    assert calls == ["MainThread"] * 6                  # a batch at a time (a cancel is looked at between)
    others = [Store.open(tmp_path / f"{i}.db") for i in range(2)]
    try:
        job, calls, tags3, emb3 = run(others[0], 3, 0.0)
        assert len(calls) == 6 and len(set(calls)) > 1   # each batch of two, in several threads
        np.testing.assert_array_equal(tags3, tags)       # bit for bit
        np.testing.assert_array_equal(emb3, emb)
        assert len(job.cnn_parallelism) == 2
        # Threads that could not work side by side (as if another program had the other
        # core): once warmed up, the next track is tagged in one thread.
        monkeypatch.setattr(analysis, "WARMUP_SHARES", 0)
        job, calls, _, _ = run(others[1], 3, 100.0)
        assert len(calls) == 3 + 3 and calls[-3:] == ["MainThread"] * 3
    finally:
        for db in others:
            db.close()
    assert analysis.default_cnn_workers("cpu", 2) == 2 and analysis.default_cnn_workers("cpu", 16) == 1
    assert analysis.default_cnn_workers("cpu", 1) == 1


def test_a_file_not_there_when_its_turn_comes_is_analysed_when_it_is_back(store, library, tmp_path):
    # Its disk or share went away during a pass of hours: nothing is wrong with the file,
    # so no error is stored that would keep it out of every later pass.
    away = tmp_path / "away.flac"
    shutil.move(library / "drums1.flac", away)
    first = AnalysisJob(store, workers=0).run()
    assert (first.analysed, first.errors, first.unavailable) == (4, 1, 1)
    assert [r["path"].rsplit("/", 1)[-1] for r in store.feature_errors()] == ["broken.wav"]
    shutil.move(away, library / "drums1.flac")
    again = AnalysisJob(store, workers=0).run()
    assert (again.total, again.analysed, again.errors) == (1, 1, 0)


def test_silence_is_kept_out_of_what_sound_drives(store, tmp_path):
    # The tagger names a genre and an embedding for silence too, the same for every silent
    # track: they filled a Discover row of their own and came up in Radio beside music.
    music = tmp_path / "music"
    music.mkdir()
    write_audio(music / "pregap.flac", np.zeros(int(4.6 * SR), np.float32), SR)
    write_audio(music / "hiss.flac", (1e-6 * np.random.default_rng(0).standard_normal(int(4.6 * SR))).astype(
        np.float32), SR)
    write_audio(music / "song.flac", drum_pulses(4.6, sr=SR, bpm=120, seed=0), SR)
    Scanner(store).scan([str(music)])
    result = AnalysisJob(store, workers=0).run()
    assert (result.analysed, result.errors) == (1, 2)
    errors = {r["path"].rsplit("/", 1)[-1]: r["error"] for r in store.feature_errors()}
    assert set(errors) == {"pregap.flac", "hiss.flac"} and all("silent" in e for e in errors.values())
    assert len(store.features()) == 1


def test_a_file_whose_audio_changed_is_analysed_again_and_a_retag_is_not(store, library):
    job = AnalysisJob(store, workers=0)
    job.run()
    path = library / "drums0.flac"
    tid = store.track_by_path(str(path))["id"]
    before = store.features(track_ids=[tid]).embedding[0]
    write_tags(path, title="drums 0 (retagged)")              # the same audio: the analysis stays
    Scanner(store).scan()
    assert store.tracks_to_analyse(job.tagger.version) == []
    whole = path.read_bytes()
    path.write_bytes(whole[:40])        # cut short (copied back half-way): unreadable, no song to offer
    Scanner(store).scan()
    assert store.track(tid)["last_error"] and store.track(tid)["title"] == "drums 0 (retagged)"
    assert len(store.features(track_ids=[tid])) == 0 and tid not in store.map_points().track_ids
    path.write_bytes(whole)             # whole again: its analysis was kept for it
    Scanner(store).scan()
    assert store.track(tid)["last_error"] is None and store.tracks_to_analyse(job.tagger.version) == []
    np.testing.assert_array_equal(store.features(track_ids=[tid]).embedding[0], before)
    assert tid in store.map_points().track_ids
    write_audio(path, chord(9.0, sr=SR, root=220.0), SR)       # a longer, other recording saved over it
    write_tags(path, title="drums 0 (retagged)", artist="Kit")   # the same song, as far as the tags say
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    Scanner(store).scan()
    assert [r["path"] for r in store.tracks_to_analyse(job.tagger.version)] == [str(path)]
    assert AnalysisJob(store, workers=0).run().analysed == 1
    after = store.features(track_ids=[tid]).embedding[0]
    assert float(before @ after) < 0.95


def test_a_cancel_does_not_wait_for_a_long_decode_nor_count_against_its_file(store, library, monkeypatch):
    # Quitting while a three-hour mix decodes (through ffmpeg, no seeking: seconds before
    # its next part) waited for it, past the window's patience, which then ended the
    # process: twice, and the mix was marked as a file that crashes the analysis.
    import player.analysis as analysis
    from tests.player.test_playback import wait_for

    real, release = analysis._stream_parts, threading.Event()

    def slow(path, max_patches):
        if path.endswith("drums1.flac"):
            release.wait(30)
        yield from real(path, max_patches)

    monkeypatch.setattr(analysis, "_stream_parts", slow)
    job = AnalysisJob(store, workers=0, batch_tracks=1)
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("r", job.run()))
    thread.start()
    assert wait_for(lambda: (store.get_setting(analysis.IN_FLIGHT_SETTING) or {}).get("decoding") is not None
                 and store.track(store.get_setting(analysis.IN_FLIGHT_SETTING)["decoding"])["path"].endswith(
                     "drums1.flac"), timeout=30)
    t0 = time.monotonic()
    job.cancel()
    thread.join(10)
    took = time.monotonic() - t0
    release.set()
    assert not thread.is_alive() and out["r"].cancelled and took < 5
    assert not (store.get_setting(analysis.IN_FLIGHT_SETTING) or {}).get("tracks")



@pytest.mark.parametrize("cnn_workers", [1, 2])
def test_a_cancel_while_a_long_part_is_tagged_stops_between_its_batches_and_blames_no_file(
        store, tmp_path, cnn_workers):
    # Every patch tagged (a GPU's mode, or the max_patches setting): a part of a long file is
    # a minute and a half of audio, seconds of CNN at the learner's priority. A cancel waited
    # for all of it, and the app quitting ended the learner past the window's patience.
    from tests.recommender.test_excerpts import music, write

    music_dir = tmp_path / "m"
    music_dir.mkdir()
    write(music_dir / "long.flac", music(60.0, 22050), 22050, format="FLAC")   # one part, 20 patches
    Scanner(store).scan([str(music_dir)])
    job = AnalysisJob(store, workers=0, device="cpu", max_patches=None, cnn_workers=cnn_workers)
    tagged = []
    predict = job.tagger.predict_patches

    def cancel_after_the_first_batch(patches):
        out = predict(patches)
        tagged.append(len(patches))
        job.cancel()
        return out

    job.tagger.predict_patches = cancel_after_the_first_batch
    result = job.run()
    assert result.cancelled and (result.analysed, result.errors) == (0, 0)
    assert sum(tagged) <= cnn_workers * job.tagger.batch_patches < 20   # a batch per thread, not the part
    assert len(store.features()) == 0 and store.feature_errors() == []
    assert not (store.get_setting("analysis.in_flight") or {}).get("tracks")
    assert AnalysisJob(store, workers=0, device="cpu", max_patches=None).run().analysed == 1   # left whole


def test_while_a_new_tagger_reanalyses_the_old_analysis_still_serves_most_tracks(store, library, tmp_path):
    # A new model version replaces each track's row as it goes: with two of five done, the
    # old version still describes three, and Radio and Discover read those.
    first = AnalysisJob(store, workers=0)
    first.run()
    old = first.tagger.version
    models = tmp_path / "models"
    shutil.copytree(paths.shipped_models_dir() / "musicnn", models / "musicnn")
    with np.load(models / "musicnn" / "msd_musicnn.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["out.bias"] = arrays["out.bias"] - 0.5
    np.savez(models / "musicnn" / "msd_musicnn.npz", **arrays)
    holder = {}

    def stop_after_two(progress):
        if progress.done >= 2:
            holder["job"].cancel()

    holder["job"] = AnalysisJob(store, workers=0, batch_tracks=1, models_dir=models, progress=stop_after_two)
    holder["job"].run()
    new = holder["job"].tagger.version
    assert new != old and 1 <= len(store.features(new)) < len(store.features(old))
    served = store.features()
    assert served.model_version == old and len(served) == len(store.features(old))


def _song(seconds: float = 60.0) -> np.ndarray:
    """A minute of drums over a chord: more patches than a CPU analysis keeps (its excerpts)."""
    y = 0.6 * drum_pulses(seconds, sr=SR, bpm=120, seed=3) + 0.1 * chord(seconds, sr=SR, root=220.0)
    return np.clip(y, -0.9, 0.9).astype(np.float32)


def _side_decodes(monkeypatch) -> list:
    """The files decoded on the difference of their channels, as analysis asks for them."""
    from player import analysis

    asked, real = [], analysis._stream_parts

    def spy(path, max_patches, mix="mean"):
        if mix == "mean":
            return real(path, max_patches)
        asked.append((os.path.basename(path), max_patches, mix))
        return real(path, max_patches, mix)

    monkeypatch.setattr(analysis, "_stream_parts", spy)
    return asked


def _features_by_file(store) -> dict:
    feats, paths = store.features(), {r["id"]: r["path"] for r in store.tracks()}
    index = feats.index()
    return {os.path.basename(paths[t]): {"tags": feats.tags[i], "embedding": feats.embedding[i], "mfcc": feats.mfcc[i],
                                         "loudness": feats.loudness[i], "tempo": feats.tempo[i],
                                         "bucket": feats.bucket[i]}
            for t, i in index.items()}


@pytest.mark.parametrize("max_patches", [16, None])   # a CPU's excerpts, a GPU's whole file
def test_a_stereo_song_with_one_channel_inverted_is_analysed_on_the_difference(store, tmp_path, monkeypatch,
                                                                               max_patches):
    # L = x, R = -x (a mastering or cable fault) plays loud but cancels to nothing in the
    # mean of the channels: it was called silent and kept out of Radio and Discover.
    music = tmp_path / "music"
    music.mkdir()
    y = _song()
    write_audio(music / "mono.flac", y, SR)
    write_audio(music / "inverted.flac", np.stack([y, -y], axis=1), SR)
    write_audio(music / "silent-stereo.flac", np.zeros((int(4.6 * SR), 2), np.float32), SR)
    write_audio(music / "silent-mono.flac", np.zeros(int(4.6 * SR), np.float32), SR)
    Scanner(store).scan([str(music)])
    asked = _side_decodes(monkeypatch)
    result = AnalysisJob(store, workers=0, max_patches=max_patches).run()
    assert (result.analysed, result.errors) == (2, 2)
    errors = {os.path.basename(r["path"]): r["error"] for r in store.feature_errors()}
    assert errors == {"silent-stereo.flac": SILENT_ERROR, "silent-mono.flac": SILENT_ERROR}
    feats = _features_by_file(store)
    mono, inverted = feats["mono.flac"], feats["inverted.flac"]
    assert abs(mono["loudness"] - inverted["loudness"]) < 0.1
    assert float(mono["embedding"] @ inverted["embedding"]) > 0.99
    assert abs(mono["tempo"] - inverted["tempo"]) < 1
    # tried once each, on the CPU's excerpts; the mono file never
    assert sorted(asked) == [("inverted.flac", 16, "side"), ("silent-stereo.flac", 16, "side")]


def test_an_ordinary_stereo_file_keeps_the_mean_of_its_channels(store, tmp_path, monkeypatch):
    # The difference of the channels is only ever tried on a file silent in their mean:
    # any other stereo file is analysed on the mean, bit for bit as a mono file of it.
    music = tmp_path / "music"
    music.mkdir()
    y = _song(20.0)
    stereo = np.stack([y, 0.5 * np.roll(y, 441)], axis=1)
    sf.write(str(music / "stereo.wav"), stereo, SR, subtype="FLOAT")
    sf.write(str(music / "mean.wav"), stereo.mean(axis=1, dtype=np.float32), SR, subtype="FLOAT")
    Scanner(store).scan([str(music)])
    asked = _side_decodes(monkeypatch)
    result = AnalysisJob(store, workers=0).run()
    assert (result.analysed, result.errors) == (2, 0) and asked == []
    feats = _features_by_file(store)
    for key, value in feats["stereo.wav"].items():
        np.testing.assert_array_equal(value, feats["mean.wav"][key], err_msg=key)


def test_silent_stereo_tracks_stored_before_are_tried_once_more(store, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    y = _song(4.6)
    write_audio(music / "inverted.flac", np.stack([y, -y], axis=1), SR)
    write_audio(music / "silent-stereo.flac", np.zeros((int(4.6 * SR), 2), np.float32), SR)
    write_audio(music / "silent-mono.flac", np.zeros(int(4.6 * SR), np.float32), SR)
    write_audio(music / "broken.wav", y, SR)
    Scanner(store).scan([str(music)])
    (music / "broken.wav").write_bytes(b"RIFF" + b"\x00" * 64)
    job = AnalysisJob(store, workers=0)
    # as an analysis on the mean of the channels alone left them
    ids = {os.path.basename(r["path"]): r["id"] for r in store.tracks()}
    for name in ("inverted.flac", "silent-stereo.flac", "silent-mono.flac"):
        store.save_feature_error(ids[name], job.tagger.version, SILENT_ERROR)
    store.save_feature_error(ids["broken.wav"], job.tagger.version, "LibsndfileError: damaged")
    assert store.get_setting("analysis.mix_version") is None

    first = job.run()       # the stereo ones only: the mono file is silent whatever the mix
    assert (first.total, first.analysed, first.errors) == (2, 1, 1)
    errors = {os.path.basename(r["path"]): r["error"] for r in store.feature_errors()}
    assert errors == {"silent-stereo.flac": SILENT_ERROR, "silent-mono.flac": SILENT_ERROR,
                      "broken.wav": "LibsndfileError: damaged"}
    assert len(store.features()) == 1 and store.get_setting("analysis.mix_version") == 3

    store.save_feature_error(ids["inverted.flac"], job.tagger.version, SILENT_ERROR)
    again = AnalysisJob(store, workers=0).run()     # once: stored errors stay from now on
    assert (again.total, again.analysed, again.errors) == (0, 0, 0)


def test_tracks_of_more_than_two_channels_analysed_before_are_analysed_once_more(store, tmp_path):
    # They were heard as the plain mean of all their channels (the LFE as loud as a front);
    # analysis now hears the stereo mix they play as, so what was stored of them goes once.
    music = tmp_path / "music"
    music.mkdir()
    y = _song(4.6)
    write_audio(music / "surround.flac", np.stack([y, y, y, 0.5 * y, 0.3 * y, 0.3 * y], axis=1), SR)
    write_audio(music / "stereo.flac", np.stack([y, 0.5 * y], axis=1), SR)
    Scanner(store).scan([str(music)])
    first = AnalysisJob(store, workers=0).run()
    assert (first.analysed, first.errors) == (2, 0) and store.get_setting("analysis.mix_version") == 3
    store.set_setting("analysis.mix_version", 2)             # as a Segue before this mix left it
    again = AnalysisJob(store, workers=0).run()
    assert (again.total, again.analysed) == (1, 1)
    assert len(store.features()) == 2 and store.get_setting("analysis.mix_version") == 3
    assert AnalysisJob(store, workers=0).run().total == 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_a_file_that_failed_only_for_want_of_ffmpeg_is_analysed_once_ffmpeg_is_installed(
        store, tmp_path, monkeypatch, capsys):
    """An m4a analysed where ffmpeg was missing got an error that was kept for good: once
    ffmpeg was installed, ``segue analyse`` said "all analysed" and skipped it (the window
    never retries), so it was never analysed. Now the next pass analyses it by itself."""
    from player.cli import main

    music = tmp_path / "music"
    music.mkdir()
    wav = tmp_path / "song.wav"
    sf.write(str(wav), chord(4.6, sr=SR, root=220.0), SR)
    subprocess.run([shutil.which("ffmpeg"), "-v", "error", "-i", str(wav), "-c:a", "aac", str(music / "tone.m4a")],
                   check=True)
    write_audio(music / "drums.flac", drum_pulses(4.6, sr=SR, bpm=120, seed=0), SR)
    Scanner(store).scan([str(music)])
    with_ffmpeg = os.environ["PATH"]
    monkeypatch.setenv("PATH", path_without_ffmpeg(tmp_path / "bin"))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    assert main(["analyse", "--workers", "0", "--device", "cpu"]) == 0
    assert "tone.m4a: UnsupportedAudioError: format not supported (m4a): install ffmpeg to play it" \
        in capsys.readouterr().err
    assert main(["analyse", "--workers", "0", "--device", "cpu"]) == 0    # still missing: not tried again
    assert "all 1 tracks analysed" in capsys.readouterr().out

    monkeypatch.setenv("PATH", with_ffmpeg)                               # ffmpeg installed
    assert main(["analyse", "--workers", "0", "--device", "cpu"]) == 0
    out = capsys.readouterr()
    assert "analysed 1 tracks on cpu" in out.err and "0 errors" in out.err
    assert store.feature_errors() == [] and len(store.features()) == 2
    # the window's pass, a plain one, does the same
    tone = next(r["id"] for r in store.tracks() if r["path"].endswith("tone.m4a"))
    store.save_feature_error(tone, AnalysisJob(store, workers=0).tagger.version,
                             "UnsupportedAudioError: format not supported (m4a): install ffmpeg to play it")
    assert (AnalysisJob(store, workers=0).run().analysed, len(store.features())) == (1, 2)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_cue_sheets_track_is_analysed_over_its_own_stretch_of_the_albums_file(store, tmp_path, workers):
    # The album's file holds the drums then the chord; each of its tracks is analysed as the
    # same audio in a file of its own is (in this process, and in decoding workers).
    music = tmp_path / "music"
    drums, keys = drum_pulses(4.6, sr=SR, bpm=120, seed=0), chord(4.6, sr=SR)
    (music / "alone").mkdir(parents=True)
    (music / "album").mkdir()
    write_tags(write_audio(music / "alone" / "drums.flac", drums, SR), title="drums alone", artist="Kit")
    write_tags(write_audio(music / "alone" / "chord.flac", keys, SR), title="chord alone", artist="Keys")
    write_audio(music / "album" / "Album.flac", np.concatenate([drums, keys]), SR)
    (music / "album" / "Album.cue").write_text(
        'PERFORMER "Band"\nFILE "Album.flac" WAVE\n'
        'TRACK 01 AUDIO\nTITLE "drums"\nINDEX 01 00:00:00\n'
        'TRACK 02 AUDIO\nTITLE "chord"\nINDEX 01 00:04:45\n', encoding="utf-8")
    Scanner(store).scan([str(music)])
    assert len(store.tracks()) == 4
    result = AnalysisJob(store, workers=workers).run()
    assert (result.analysed, result.errors, result.unavailable) == (4, 0, 0)
    feats = store.features()
    rows = _by_name(store, feats)
    emb = feats.embedding.astype(np.float32)
    np.testing.assert_allclose(emb[rows["drums"]], emb[rows["drums alone"]], atol=0.01)
    np.testing.assert_allclose(emb[rows["chord"]], emb[rows["chord alone"]], atol=0.01)
    assert emb[rows["drums"]] @ emb[rows["chord"]] < 0.9
