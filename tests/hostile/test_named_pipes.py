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


def _opened(path, fn):
    """Whether ``fn()`` opened ``path``, as the kernel tells it (an inotify open event):
    what opening does of itself (a writer of a named pipe let on, a tape rewound) is done
    however soon the opener closes it again."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    assert fd >= 0, os.strerror(ctypes.get_errno())
    try:
        assert libc.inotify_add_watch(fd, os.fsencode(path), 0x20) >= 0     # IN_OPEN
        fn()
        try:
            return len(os.read(fd, 4096)) > 0
        except BlockingIOError:
            return False
    finally:
        os.close(fd)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify tells of an open")
def test_a_cue_sheet_that_links_to_no_regular_file_is_refused_without_opening_it(tmp_path):
    from player.library.cue import CueError, read_sheet

    pipe = tmp_path / "elsewhere"
    os.mkfifo(pipe)
    sheet = tmp_path / "album.cue"
    sheet.symlink_to(pipe)
    refused = []

    def read():
        try:
            read_sheet(str(sheet))
        except CueError as exc:
            refused.append(str(exc))

    assert not _opened(pipe, lambda: _within(read, pipe))
    assert refused == ["cannot read it: not a regular file (a named pipe)"]
    # The check does not hide a sheet that is a file, through a link or not.
    os.unlink(pipe)
    (tmp_path / "real.cue").write_text('FILE "a.flac" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n')
    os.unlink(sheet)
    sheet.symlink_to(tmp_path / "real.cue")
    assert _opened(tmp_path / "real.cue", lambda: read_sheet(str(sheet)))
    assert read_sheet(str(sheet)).tracks[0].file == "a.flac"


def test_a_song_swapped_for_a_named_pipe_as_it_opens_is_refused_at_once(tmp_path, monkeypatch):
    from player.audio.decoder import DecodeError, Decoder

    song = str(generate.write(tmp_path / "01.flac"))
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    real_stat = os.stat
    swapped = []

    def stat_then_swap(path, *args, **kwargs):
        # The song is looked at while it is still a file; then, before the decoder opens it,
        # a named pipe takes its name (as a sync tool or another program could, any time).
        st = real_stat(path, *args, **kwargs)
        if os.fspath(path) == song and not swapped:
            swapped.append(path)
            os.replace(pipe, song)
        return st

    monkeypatch.setattr(os, "stat", stat_then_swap)

    def play():
        try:
            Decoder(song, out_rate=44100)
        except DecodeError as exc:
            return str(exc)

    refused = _within(play, song)
    assert swapped
    assert refused == "cannot play 01.flac: not a regular file (a named pipe)"


def test_a_named_pipe_imported_as_listening_history_is_refused_at_once(store, tmp_path):
    from player.history.importer import import_file

    pipe = tmp_path / "StreamingHistory0.json"
    os.mkfifo(pipe)
    for progress in (None, lambda done, total, stage: None):     # (read whole, or metered for a bar)
        summary = _within(lambda: import_file(store, pipe, progress=progress), pipe)
        assert summary.error == "cannot read it (not a regular file (a named pipe))"
    assert store.execute("SELECT count(*) FROM plays").fetchone()[0] == 0
