"""Start-up always explains itself: a damaged library, a read-only data folder, any failure.

Every ``segue`` command answers with one line and a non-zero exit, never a traceback; the
window answers with a dialog.
"""

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import unprivileged
from tests.audiogen import write_track

ROOT = Path(__file__).resolve().parents[2]


def segue(*args, home, prefix=()):
    env = {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([*prefix, sys.executable, "-m", "player", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _damage(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[:100] = b"\x00" * 100                       # the header: SQLite no longer knows the file
    db.write_bytes(bytes(data))


@pytest.fixture
def scanned(segue_home, tmp_path):
    music = tmp_path / "music"
    write_track(music, "one", fmt="flac", tags={"title": "One", "artist": "A"})
    out = segue("scan", str(music), home=segue_home)
    assert out.returncode == 0, out.stderr
    return segue_home / "library.db"


@pytest.mark.parametrize("command", [["library"], ["status"], ["scan"], ["play", "anything", "--null"]])
def test_every_command_names_a_damaged_library_in_one_line(scanned, segue_home, command):
    _damage(scanned)
    out = segue(*command, home=segue_home)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert str(scanned) in out.stderr and "damaged" in out.stderr
    assert "--new-library" in out.stderr and "no backup" in out.stderr


def test_restore_the_newest_backup_from_the_command_line(scanned, segue_home):
    from player.store import Store

    store = Store.open()
    store.backup(segue_home / "library.db.v3.1000.bak")
    store.close()
    _damage(scanned)
    out = segue("library", home=segue_home)
    assert out.returncode == 2 and "library.db.v3.1000.bak" in out.stderr and "--restore-backup" in out.stderr
    out = segue("library", "--restore-backup", home=segue_home)
    assert out.returncode == 0, out.stderr
    assert [p.name for p in segue_home.glob("library.db.damaged-*")]          # the damaged file is kept
    out = segue("library", home=segue_home)
    assert out.returncode == 0 and "tracks:    1" in out.stdout


def test_start_a_new_library_keeps_the_damaged_file(scanned, segue_home):
    _damage(scanned)
    damaged = scanned.read_bytes()
    out = segue("library", "--new-library", home=segue_home)
    assert out.returncode == 0, out.stderr
    kept = list(segue_home.glob("library.db.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes()[:200] == damaged[:200]
    out = segue("library", home=segue_home)
    assert out.returncode == 0 and "tracks:    0" in out.stdout


def test_a_read_only_data_folder_is_refused_clearly(tmp_path):
    prefix = unprivileged.prefix()
    if prefix is None:
        pytest.skip(unprivileged.SKIP_REASON)
    home = tmp_path / "ro-home"
    home.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(home, 0o555)
    try:
        for command in (["library"], ["scan", str(tmp_path)]):
            out = segue(*command, home=home, prefix=prefix)
            assert out.returncode == 2, out.stderr
            assert "Traceback" not in out.stderr and f"cannot write its data folder {home}" in out.stderr
    finally:
        os.chmod(home, 0o755)


def test_a_data_folder_that_is_a_file_is_named_as_one(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    for home in (afile, afile / "below"):
        out = segue("library", home=home)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert f"{afile} is a file, not a folder" in out.stderr and "writable" not in out.stderr


def test_the_window_offers_restore_new_or_quit(scanned, segue_home, qtbot):
    from PySide6.QtCore import QTimer

    from player.store import DatabaseCorruptError, Store
    from player.ui import main

    store = Store.open()
    store.backup(segue_home / "library.db.v3.1000.bak")
    store.close()
    _damage(scanned)
    with pytest.raises(DatabaseCorruptError) as info:
        Store.open()
    box, choices = main.damaged_library_box(info.value)
    assert sorted(choices.values()) == sorted([main.RESTORE, main.NEW_LIBRARY, main.QUIT])
    assert str(scanned) in box.text() and "library.db.v3.1000.bak" in box.text()
    box.deleteLater()

    def click(choice):
        from PySide6.QtWidgets import QApplication, QMessageBox

        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                for button in w.buttons():
                    if button.text() == choice:
                        button.click()
                        return
        QTimer.singleShot(50, lambda: click(choice))

    QTimer.singleShot(50, lambda: click("Restore the backup"))
    restored = main._open_store()
    try:
        assert restored is not None and len(restored.tracks()) == 1
    finally:
        restored.close()


def test_connections_of_ended_threads_are_closed(store):
    # Only descriptors on this library's files count: other tests' threads open and close
    # files of their own while the loop runs, which a count of the whole process would see.
    mine = os.path.realpath(store.path)

    def fd_count():
        if not os.path.isdir("/proc/self/fd"):
            return 0
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):          # (closed since it was listed)
                found += os.readlink(f"/proc/self/fd/{fd}").startswith(mine)
        return found

    store.execute("SELECT 1")
    before = fd_count()
    for _ in range(40):
        t = threading.Thread(target=lambda: store.execute("SELECT count(*) FROM tracks").fetchone())
        t.start()
        t.join()
    t = threading.Thread(target=lambda: store.execute("SELECT 1"))
    t.start()
    t.join()
    assert store.open_connections() <= 3
    if os.path.isdir("/proc/self/fd"):
        assert before >= 1                             # (the count sees the library's own files)
        assert fd_count() <= before + 6                # 40 threads would have left 80+ files open


def test_recovery_waits_for_an_open_window(scanned, segue_home):
    from PySide6.QtCore import QLockFile

    lock = QLockFile(str(segue_home / "window.lock"))       # what a running window holds
    assert lock.tryLock(0)
    try:
        out = segue("library", "--new-library", home=segue_home)
        assert out.returncode == 2 and "close its window first" in out.stderr
        assert scanned.exists() and not list(segue_home.glob("library.db.damaged-*"))
    finally:
        lock.unlock()
    assert segue("library", "--new-library", home=segue_home).returncode == 0
