"""What Windows's ``os`` says of files, on any system: a directory listing's entries have
no device or file id (0 and 0; ``os.stat`` has them), and on a drive with no file ids at all
(some network shares and FAT drives) ``os.stat`` gives the volume with a file id of 0.

These cannot be had from a Linux file system, so the answers are rewritten; everything
else (the files, their sizes and times, the listing itself) is real."""

from __future__ import annotations

import os


class _Stat:
    def __init__(self, st, dev: int, ino: int):
        self._st, self.st_dev, self.st_ino = st, dev, ino

    def __getattr__(self, name):
        return getattr(self._st, name)


class _Entry:
    def __init__(self, entry):
        self._entry = entry
        self.name, self.path = entry.name, entry.path

    def stat(self, *, follow_symlinks=True):
        return _Stat(self._entry.stat(follow_symlinks=follow_symlinks), 0, 0)

    def __getattr__(self, name):
        return getattr(self._entry, name)


class _Listing:
    def __init__(self, it):
        self._it = it

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._it.close()

    def __iter__(self):
        return (_Entry(e) for e in self._it)

    def close(self):
        self._it.close()


def windows_listing(monkeypatch, below: str, *, no_file_ids: bool = False, volume: int = 4242) -> None:
    """Make ``os.scandir`` and (with ``no_file_ids``) ``os.stat`` answer as Windows would for
    paths below ``below``."""
    real_scandir, real_stat = os.scandir, os.stat
    below = os.path.realpath(below)

    def inside(path) -> bool:
        return os.path.realpath(os.fspath(path)).startswith(below)

    def scandir(path="."):
        it = real_scandir(path)
        return _Listing(it) if inside(path) else it

    def stat(path, *args, **kwargs):
        st = real_stat(path, *args, **kwargs)
        return _Stat(st, volume, 0) if no_file_ids and not isinstance(path, int) and inside(path) else st

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
