"""The ffmpeg fallback: damaged files that flood stderr, and names that look like protocols."""

import random
import shutil
import subprocess
import threading

import numpy as np
import pytest

from segue_common import audio_io

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed")


def _aac(path, seconds: float) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-ac", "2", "-c:a", "aac", "-b:a", "64k", str(path)], check=True)


def _drain(stream, box):
    try:
        box["frames"] = sum(len(b) for b in stream)
    except audio_io.AudioError as exc:
        box["error"] = exc


def test_a_damaged_file_writing_more_errors_than_a_pipe_holds_does_not_block(tmp_path):
    path = tmp_path / "damaged.aac"
    _aac(path, 40)
    data = bytearray(path.read_bytes())
    rng = random.Random(1)
    for i in range(2000, len(data), 97):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))
    # It does write that much: well over the 64 KiB a pipe holds.
    err = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-"],
                         capture_output=True).stderr
    assert len(err) > 100_000
    box = {}
    with audio_io.open_fallback(path) as stream:
        t = threading.Thread(target=_drain, args=(stream, box), daemon=True)
        t.start()
        t.join(60)
        assert not t.is_alive(), "ffmpeg blocked on its own error messages"
    assert "frames" in box or isinstance(box.get("error"), audio_io.CorruptAudioError)


def test_a_file_named_like_a_protocol_is_read_as_a_file(tmp_path):
    good = tmp_path / "good.aac"
    _aac(good, 1)
    odd = tmp_path / "pipe:0.aac"
    shutil.copy(good, odd)
    with audio_io.open_fallback(odd) as stream:
        frames = np.concatenate(list(stream))
    assert abs(len(frames) / stream.samplerate - 1.0) < 0.1


def test_a_playlist_naming_a_url_never_reaches_the_network(tmp_path):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    playlist = tmp_path / "list.m4a"                 # an HLS playlist dressed as an m4a
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:{port}/a.aac\n"
                        "#EXT-X-ENDLIST\n")
    try:
        with pytest.raises(audio_io.AudioError):
            with audio_io.open_fallback(playlist) as stream:
                if not sum(len(b) for b in stream):
                    raise audio_io.CorruptAudioError("no audio")
        with pytest.raises(socket.timeout):
            server.accept()[0].close()               # nobody knocked
    finally:
        server.close()
