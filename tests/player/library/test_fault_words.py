"""One fault reads the same in the library's list of files with problems and when the song is
played: the scan's reason, after "cannot play <name>: " (the status bar adds the song's title)."""

import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from player.audio.decoder import DecodeError, Decoder
from player.library.scanner import Scanner
from segue_common import faults


def _tone(seconds=0.5, rate=44100):
    return (0.3 * np.sin(np.arange(int(seconds * rate)) * 0.05)).astype(np.float32)


def _cut(path, keep):
    path.write_bytes(path.read_bytes()[:keep])


def _faulty_files(folder):
    """name -> the kind of fault its scan and its play must both say."""
    (folder / "empty.flac").write_bytes(b"")                        # a download that never began
    (folder / "empty.mp3").write_bytes(b"")
    sf.write(folder / "silent.wav", np.zeros((0, 2), np.float32), 44100)     # whole headers, no sample
    for name, fmt in (("cut.wav", "WAV"), ("cut.aiff", "AIFF")):
        sf.write(folder / name, _tone(), 44100, format=fmt)
        _cut(folder / name, 30)                                     # cut inside its header
    (folder / "garbage.flac").write_bytes(b"fLaC but not really" * 10)
    sf.write(folder / "garbled.wav", _tone(), 44100, format="WAV")
    whole = (folder / "garbled.wav").read_bytes()           # its form type ("WAVE") no text: Python's
    (folder / "garbled.wav").write_bytes(whole[:8] + b"\x95AVE" + whole[12:])     # words were said
    (folder / "notes.ogg").write_bytes(b"these are notes, not audio\n" * 60)
    (folder / "notes.m4a").write_bytes(b"these are notes, not audio\n" * 60)
    return {"empty.flac": faults.EMPTY_FILE, "empty.mp3": faults.EMPTY_FILE, "silent.wav": faults.NO_AUDIO,
            "cut.wav": "damaged WAV file: it ends early", "cut.aiff": "damaged AIFF file: it ends early",
            "garbage.flac": "damaged FLAC file", "garbled.wav": "damaged file: its header is garbled",
            "notes.ogg": faults.NOT_RECOGNISED,
            "notes.m4a": faults.NOT_RECOGNISED}


def test_each_kind_of_fault_reads_the_same_in_the_scan_and_at_play(tmp_path, store):
    """libsndfile's own words were said at play ("Format not recognised.", "Unspecified internal
    error." of a WAV cut short, "Error : unknown error in flac decoder."), and "cannot decode"
    here, "cannot play" there, where the scan listed the file as "not an audio format Segue
    recognises", "damaged WAV file: it ends early, …", an empty file."""
    folder = tmp_path / "music"
    folder.mkdir()
    kinds = _faulty_files(folder)
    result = Scanner(store).scan([str(folder)])
    listed = {os.path.basename(row["path"]): row["last_error"] for row in store.track_errors()}
    assert set(listed) == set(kinds) and result.errors == len(kinds), listed
    for name, kind in kinds.items():
        assert listed[name].startswith(kind), (name, listed[name])
        with pytest.raises(DecodeError) as played:
            Decoder(str(folder / name), out_rate=44100)
        assert str(played.value) == f"cannot play {name}: {listed[name]}"


def test_a_decoding_librarys_words_are_put_plainly():
    """What libsndfile, dr_mp3 and ffmpeg say of a file, where the scan reads it all the same,
    is put in the scan's words for its kind; words of no known kind are kept."""
    assert faults.plain("Format not recognised.") == faults.NOT_RECOGNISED
    assert faults.plain("cannot decode x.mp3: not an MP3 stream dr_mp3 reads") == faults.NOT_RECOGNISED
    assert faults.plain("Supported file format but file is malformed.") == faults.DAMAGED
    assert faults.plain("Unspecified internal error.") == faults.DAMAGED
    assert faults.plain("'ascii' codec can't decode byte 0x95 in position 0: ordinal not in range(128)") == \
        faults.DAMAGED
    assert faults.plain("cannot decode x.flac: a reason   of its own") == "a reason of its own"


def test_a_file_name_holding_a_colon_is_stripped_whole_from_the_librarys_words():
    """The name was cut at its first ": ", and "1979.flac: a reason of its own" said as the reason."""
    name = "Live: 1979.flac"
    assert faults.plain(f"cannot decode {name}: a reason of its own", name) == "a reason of its own"
    assert faults.plain(f"cannot decode {name}: not an MP3 stream dr_mp3 reads", name) == faults.NOT_RECOGNISED
    # (a name said on one line, as the decoder shows it)
    assert faults.plain("cannot play a b.flac: a reason", "a\nb.flac") == "a reason"


def test_a_reason_after_the_file_named_by_its_caller_names_it_once():
    """The status bar and `segue play` name the file (or song) themselves: the decoder's
    reason, which starts with the file's name, read as "cannot play x: cannot play x: …"."""
    name = "Live: 1979.flac"
    assert faults.after_name(f"cannot play {name}: no audio in file (length 0)", name) == \
        ": no audio in file (length 0)"
    assert faults.after_name(f"cannot play {name} at 0 Hz: too low", name) == " at 0 Hz: too low"
    assert faults.after_name(f"cannot open {name}: Permission denied", name) == ": cannot open: Permission denied"
    assert faults.after_name("file not found: /music/x.flac", name) == ": file not found: /music/x.flac"
    # (another file whose name begins with this one's keeps its whole name)
    assert faults.after_name("cannot play Live: 1979.flac.bak: damaged", "Live: 1979.flac") == \
        ": cannot play Live: 1979.flac.bak: damaged"


def _unsized(path, subtype, keep):
    """An ADPCM WAV of its header and ``keep`` bytes of sound data, its data size left 0 (a
    recorder stopped before it went back to write it)."""
    import io

    buf = io.BytesIO()
    sf.write(buf, _tone(0.5, 8000), 8000, format="WAV", subtype=subtype)
    data = bytearray(buf.getvalue())
    at = data.find(b"data")
    data[at + 4:at + 8] = bytes(4)
    path.write_bytes(bytes(data[:at + 8 + keep]))


def _unsized_au(path):
    """An AU file of 16-bit PCM whose header gives its data a size of 0 (written to a pipe)."""
    import struct

    samples = (_tone(0.25, 8000) * 32767).astype(">i2")
    path.write_bytes(struct.pack(">4sIIIII", b".snd", 24, 0, 3, 8000, 1) + samples.tobytes())
    return len(samples)


def _flac_headers_then_id3v1(path):
    """A FLAC file of its metadata alone, its length left out (an encoder closed before any
    sample was given), then an ID3v1 tag a tagger put at its end."""
    import io

    buf = io.BytesIO()
    sf.write(buf, _tone(0.1, 8000), 8000, format="FLAC")
    data = buf.getvalue()
    at = 4
    while True:                                             # to the end of the metadata blocks
        last, size = data[at] & 0x80, int.from_bytes(data[at + 1:at + 4], "big")
        at += 4 + size
        if last:
            break
    head = bytearray(data[:at])
    head[8 + 13] &= 0xF0                                    # STREAMINFO's 36-bit sample count: 0
    head[8 + 14:8 + 18] = bytes(4)
    tag = b"TAG" + b"Title".ljust(30, b"\0") + b"Artist".ljust(30, b"\0") + bytes(30) + b"2001" + bytes(30) + b"\xff"
    path.write_bytes(bytes(head) + tag)


def _played_frames(path, rate):
    dec = Decoder(str(path), out_rate=rate)
    try:
        frames = 0
        while len(block := dec.read(4096)):
            frames += len(block)
        return frames
    finally:
        dec.close()


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
@pytest.mark.parametrize("kind", ["au", "ima", "ms"])
def test_a_file_whose_data_size_was_never_written_is_listed_at_what_it_plays(tmp_path, store, kind):
    """An AU file whose data size is 0 played, and was listed as "not an audio format Segue
    recognises"; an IMA or MS ADPCM WAV of a few bytes of sound was listed at the frames ffmpeg
    decodes from them, and refused at play as holding no audio."""
    folder = tmp_path / "music"
    folder.mkdir()
    path = folder / ("x.au" if kind == "au" else "x.wav")
    if kind == "au":
        _unsized_au(path)
    else:
        _unsized(path, {"ima": "IMA_ADPCM", "ms": "MS_ADPCM"}[kind], 40)     # less than one whole block
    Scanner(store).scan([str(folder)])
    assert store.track_errors() == []
    listed = round(store.track_by_path(str(path))["duration"] * 8000)
    assert listed > 0 and _played_frames(path, 8000) == listed


def test_a_flac_of_its_headers_and_an_id3v1_tag_says_it_holds_no_audio_when_played(tmp_path, store):
    """Listed as holding no audio, it was opened, and its play failed on "flac decoder lost
    sync": the check for a FLAC of no frame wanted the file to end with its metadata."""
    folder = tmp_path / "music"
    folder.mkdir()
    _flac_headers_then_id3v1(folder / "h.flac")
    Scanner(store).scan([str(folder)])
    assert [row["last_error"] for row in store.track_errors()] == [faults.NO_AUDIO]
    with pytest.raises(DecodeError) as played:
        Decoder(str(folder / "h.flac"), out_rate=44100)
    assert str(played.value) == f"cannot play h.flac: {faults.NO_AUDIO}"


@pytest.mark.parametrize("subtype", ["IMA_ADPCM", "MS_ADPCM", "PCM_16"])
@pytest.mark.parametrize("sizes", ["unsized", "riff size 0", "cut after its header"])
def test_a_wav_of_its_header_alone_reads_the_same_in_the_scan_and_at_play(tmp_path, store, subtype, sizes):
    """A WAV that ends where its sound data begins was listed at the frames ffprobe guessed from
    an ADPCM header, or as mutagen's "damaged file: Container chunk data size < 4" where its
    RIFF size is 0, and refused at play as holding no audio."""
    import io

    folder = tmp_path / "music"
    folder.mkdir()
    buf = io.BytesIO()
    sf.write(buf, _tone(0.5, 8000), 8000, format="WAV", subtype=subtype)
    data = bytearray(buf.getvalue())
    at = data.find(b"data")
    if sizes == "unsized":
        data[4:8] = data[at + 4:at + 8] = bytes(4)          # a recorder that wrote its header alone
    elif sizes == "riff size 0":
        data[4:8] = bytes(4)
    (folder / "h.wav").write_bytes(bytes(data[:at + 8]))
    Scanner(store).scan([str(folder)])
    listed = [row["last_error"] for row in store.track_errors()]
    assert listed == [faults.NO_AUDIO if sizes == "unsized" else
                      "damaged WAV file: it ends early, a copy or download that did not finish?"], listed
    with pytest.raises(DecodeError) as played:
        Decoder(str(folder / "h.wav"), out_rate=44100)
    assert str(played.value) == f"cannot play h.wav: {listed[0]}"


def _wma_without_packets(path, kept: str):
    """A WMA of ffmpeg's of 0.3 s of tone, whose packets are left out: its data object kept
    counting none ("none"), counting its packets ("cut"), or left out too ("header")."""
    import subprocess
    import struct

    src = path.with_name("src.wav")
    sf.write(src, _tone(0.3), 44100)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c:a", "wmav2", str(path)], check=True)
    src.unlink()
    whole = path.read_bytes()
    header = struct.unpack("<Q", whole[16:24])[0]
    data = bytearray(whole[header:header + 50])
    if kept == "none":
        data[16:24], data[40:48] = struct.pack("<Q", 50), struct.pack("<Q", 0)
    path.write_bytes(whole[:header] + (bytes(data) if kept != "header" else b""))


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg makes the file")
@pytest.mark.parametrize("kept, reason", [
    ("none", faults.NO_AUDIO),
    ("cut", "damaged WMA file: it ends early, a copy or download that did not finish?"),
    ("header", "damaged WMA file: it ends early, a copy or download that did not finish?")])
def test_a_wma_of_no_packet_reads_the_same_in_the_scan_and_at_play(tmp_path, store, kept, reason):
    """A WMA whose header is whole and no packet of sound follows was listed at its header's
    length, and played as nothing (a play of 0 s), or was refused as "not an audio format"."""
    folder = tmp_path / "music"
    folder.mkdir()
    _wma_without_packets(folder / "w.wma", kept)
    Scanner(store).scan([str(folder)])
    assert [row["last_error"] for row in store.track_errors()] == [reason]
    with pytest.raises(DecodeError) as played:
        Decoder(str(folder / "w.wma"), out_rate=44100)
    assert str(played.value) == f"cannot play w.wma: {reason}"


def _counted_probes(tmp_path, monkeypatch):
    """Have the decoder use ffmpeg through ``SEGUE_FFMPEG`` with ffprobe beside it, ffprobe
    itself each start of which is written down; returns how many starts there were so far."""
    log = tmp_path / "probes.log"
    programs = tmp_path / "bin"
    programs.mkdir()
    (programs / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    probe = programs / "ffprobe"
    probe.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{shutil.which("ffprobe")}" "$@"\n')
    probe.chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(programs / "ffmpeg"))
    return lambda: len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg reads the file")
def test_a_file_refused_once_is_refused_again_at_once_in_the_same_words(tmp_path, monkeypatch):
    """Play pressed again on a damaged song (or Previous back to it) read it again, ffprobe and
    all, to say what was said before. While the file is as it was, it is not read again; once
    it changes, it is."""
    started = _counted_probes(tmp_path, monkeypatch)
    song = tmp_path / "notes.mka"
    song.write_bytes(b"\x1aE\xdf\xa3" + b"these are notes, not audio\n" * 100)

    def refusal():
        with pytest.raises(DecodeError) as refused:
            Decoder(str(song), out_rate=44100)
        return str(refused.value), started()

    first, probes = refusal()
    assert first == f"cannot play notes.mka: {faults.NOT_RECOGNISED}" and probes > 0
    assert refusal() == (first, probes)                 # said again, ffprobe not asked
    song.write_bytes(song.read_bytes() + b"more notes\n")   # changed: read again
    again, more = refusal()
    assert again == first and more > probes


def _own_memory_read_fails_as_eio() -> bool:
    """Whether reading /proc/self/mem from its start fails as Linux's kernel makes it fail
    ("Input/output error": nothing is mapped at address 0). A sandbox's kernel (gVisor, a
    seccomp profile, a hardened /proc) may refuse it otherwise (permission denied) or have no
    such file: a refusal of the file's own, which is rightly remembered, and not what is tested."""
    import errno

    try:
        with open("/proc/self/mem", "rb", buffering=0) as f:
            f.read(16)
    except OSError as exc:
        return exc.errno == errno.EIO
    return False


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg reads the file")
@pytest.mark.skipif(not _own_memory_read_fails_as_eio(),
                    reason="reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")
@pytest.mark.parametrize("name", ["voice.mka", "voice.wav"])
def test_a_file_refused_as_a_read_failed_is_read_again_next_time(tmp_path, monkeypatch, name):
    """A read that failed in the system (a drive unplugged, a network share dropped) was kept as
    the file's refusal: the song stayed refused once the drive was back, until it changed. It
    was said as damage, or as an empty file, where the drive may be what is wrong.
    /proc/self/mem is a file whose read fails for real ("Input/output error", each program
    reading its own memory at address 0); a .wav is tried by libsndfile first, then ffmpeg."""
    started = _counted_probes(tmp_path, monkeypatch)
    song = tmp_path / name
    song.symlink_to("/proc/self/mem")

    def probes_at_refusal():
        with pytest.raises(DecodeError) as refused:
            Decoder(str(song), out_rate=44100)
        assert str(refused.value) == f"cannot play {name}: {faults.READ_FAILED}"
        return started()

    first = probes_at_refusal()
    assert first > 0
    assert probes_at_refusal() > first                  # read again, not refused from memory


@pytest.mark.slow       # (analysis loads its model: some seconds)
@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg reads the file")
@pytest.mark.skipif(not _own_memory_read_fails_as_eio(),
                    reason="reading /proc/self/mem does not fail with EIO here (not Linux, or a sandboxed kernel)")
@pytest.mark.parametrize("name", ["voice.wav", "voice.mka"])
def test_a_file_whose_read_failed_in_analysis_is_not_called_damaged_and_is_analysed_when_back(
        tmp_path, store, name):
    """Analysis said a read that failed in the system (a drive unplugged as it was read) in the
    scan's words, read again from the drive that failed ("no audio: an empty file (0 bytes)"),
    and stored it: the song was never analysed again, though nothing was wrong with it. It is
    tried again on a later pass, as a file not there when its turn came is."""
    from player.analysis import AnalysisJob

    folder = tmp_path / "music"
    folder.mkdir()
    song = folder / name
    sf.write(tmp_path / "voice.wav", _tone(2.0), 44100)
    if name.endswith(".mka"):
        import subprocess

        subprocess.run([shutil.which("ffmpeg"), "-v", "error", "-i", str(tmp_path / "voice.wav"), "-c:a", "flac",
                        str(song)], check=True, timeout=60)
    else:
        shutil.copyfile(tmp_path / "voice.wav", song)
    Scanner(store).scan([str(folder)])
    whole = song.read_bytes()
    song.unlink()
    song.symlink_to("/proc/self/mem")       # (a file whose every read fails: "Input/output error")
    result = AnalysisJob(store, workers=0).run()
    assert store.feature_errors() == [] and result.errors == 0 and result.unavailable == 1, (
        store.feature_errors(), result)
    song.unlink()
    song.write_bytes(whole)                 # the drive is back, the file as it was
    assert AnalysisJob(store, workers=0).run().analysed == 1


@pytest.mark.slow       # (analysis loads its model: some seconds)
@pytest.mark.parametrize("name", ["cut.wav", "garbage.flac", "garbled.wav", "notes.ogg"])
def test_a_damaged_file_reads_the_same_in_the_scan_at_play_and_in_analysis(tmp_path, store, name):
    """Analysis stored libsndfile's words ("CorruptAudioError: cannot decode cut.wav: Error
    opening '/…/cut.wav': Error in WAV file. No 'data' chunk marker.") where the scan listed
    "damaged WAV file: it ends early, …" and the player said so too."""
    from player.analysis import AnalysisJob

    folder = tmp_path / "music"
    folder.mkdir()
    sf.write(folder / name, _tone(), 44100, format="FLAC" if name.endswith(".flac") else "WAV")
    Scanner(store).scan([str(folder)])
    whole = (folder / name).read_bytes()
    _faulty_files(tmp_path)             # damaged after the scan: analysis meets it first
    (folder / name).write_bytes((tmp_path / name).read_bytes())
    assert (folder / name).read_bytes() != whole
    AnalysisJob(store, workers=0).run()
    analysed = [row["error"] for row in store.feature_errors()]
    Scanner(store).scan([str(folder)])
    listed = [row["last_error"] for row in store.track_errors()]
    with pytest.raises(DecodeError) as played:
        Decoder(str(folder / name), out_rate=44100)
    assert len(listed) == 1 and analysed == listed, (analysed, listed)
    assert str(played.value) == f"cannot play {name}: {listed[0]}"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is asked of the damaged file")
def test_a_damaged_file_put_right_in_place_as_it_was_plays(tmp_path):
    """A damaged file put right from a copy in place, its size and time kept (``cp -p`` over it,
    ``rsync -t --inplace``): its inode, size and modification time are as when it was refused,
    and Play kept saying it was damaged until Segue was started again."""
    song = tmp_path / "s.flac"
    sf.write(song, _tone(), 44100, format="FLAC")
    whole, was = song.read_bytes(), os.stat(song)
    with open(song, "r+b") as fh:          # zeros where it lies, as a crash leaves a file (its time kept)
        fh.write(bytes(len(whole)))
    os.utime(song, ns=(was.st_atime_ns, was.st_mtime_ns))
    with pytest.raises(DecodeError):
        Decoder(str(song), out_rate=44100)
    damaged = os.stat(song).st_ctime_ns
    with open(song, "r+b") as fh:          # put right from the copy, its time kept
        fh.write(whole)
    os.utime(song, ns=(was.st_atime_ns, was.st_mtime_ns))
    while os.stat(song).st_ctime_ns == damaged:     # (the file system's clock may tick coarsely)
        os.utime(song, ns=(was.st_atime_ns, was.st_mtime_ns))
    now = os.stat(song)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (was.st_ino, was.st_size, was.st_mtime_ns)
    dec = Decoder(str(song), out_rate=44100)
    try:
        assert len(dec.read(4096)) > 0
    finally:
        dec.close()
