"""Named pipes beside the songs, under the names of what a player reads besides audio: a
CUE sheet, a folder's cover picture. Opened the ordinary way, a pipe waits for a writer for
ever, and whatever opened it (the scan, a cover worker) with it."""

from __future__ import annotations

import errno
import os
import sys
import threading

import pytest

from tests.hostile import generate

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="named pipes are POSIX")

#: generous: each call takes well under a second; only a call blocked on the pipe takes longer
WITHIN_S = 60


def _within(fn, *pipes):
    """``fn()``'s result, called on a thread that must end within :data:`WITHIN_S` (a call
    blocked on a pipe fails the test instead of stalling the suite, and is let go after)."""
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("result", fn()), daemon=True)
    t.start()
    t.join(WITHIN_S)
    blocked = t.is_alive()
    for pipe in pipes:                  # a writer, for a reader that waits on it, to be let go
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            assert exc.errno == errno.ENXIO     # (no reader waits: nothing to let go)
    t.join(WITHIN_S)
    assert not blocked, f"{fn} waited on a named pipe"
    return out.get("result")


def test_a_named_pipe_called_album_cue_costs_the_scan_only_itself(store, tmp_path):
    from player.library.scanner import Scanner

    folder = tmp_path / "music" / "Album"
    song = generate.vorbis_tags(generate.write(folder / "01.flac"), title="Beside a pipe")
    pipe = folder / "album.cue"
    os.mkfifo(pipe)
    result = _within(lambda: Scanner(store).scan([str(tmp_path / "music")]), pipe)
    assert result.finished
    assert store.track_by_path(str(song))["title"] == "Beside a pipe"
    # Listed with the files that cannot be read, saying what it is.
    assert "not a regular file" in store.track_by_path(str(pipe))["last_error"]


def test_a_named_pipe_called_cover_jpg_leaves_the_song_without_a_cover(tmp_path, qapp):
    from player.ui.cover import load_cover

    song = generate.write(tmp_path / "Album" / "01.flac")
    pipe = tmp_path / "Album" / "cover.jpg"
    os.mkfifo(pipe)
    assert _within(lambda: load_cover(str(song)), pipe) is None
    # A picture that is a file is still found beside it.
    os.unlink(pipe)
    generate.write(tmp_path / "Album" / "x.flac")
    from PySide6.QtGui import QColor, QImage

    image = QImage(64, 64, QImage.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(tmp_path / "Album" / "cover.png"))
    cover = _within(lambda: load_cover(str(song)))
    assert cover is not None and cover.pixelColor(10, 10) == QColor("red")


def test_a_named_pipe_called_cover_jpg_does_not_hide_folder_jpg(tmp_path, qapp):
    from PySide6.QtGui import QColor, QImage

    from player.ui.cover import load_cover

    song = generate.write(tmp_path / "Album" / "01.flac")
    pipe = tmp_path / "Album" / "cover.jpg"
    os.mkfifo(pipe)
    image = QImage(64, 64, QImage.Format_RGB32)
    image.fill(QColor("blue"))
    assert image.save(str(tmp_path / "Album" / "folder.jpg"))
    # cover.jpg comes first among the names looked for: a pipe under it is passed over.
    cover = _within(lambda: load_cover(str(song)), pipe)
    assert cover is not None and cover.pixelColor(10, 10).blue() > 200


def test_a_named_pipe_opened_as_a_playlist_is_refused_at_once(tmp_path):
    from player.playlist_files import PlaylistFileError, read_playlist

    pipe = tmp_path / "mix.m3u"
    os.mkfifo(pipe)

    def read():
        try:
            return read_playlist(pipe)
        except PlaylistFileError as exc:
            return exc

    refused = _within(read, pipe)
    assert isinstance(refused, PlaylistFileError)
    assert str(refused) == "not a playlist file: mix.m3u (not a regular file (a named pipe))"
