"""The SQLite connection layer: one connection per thread, WAL, transactions.

Readers never block the writer and vice versa (WAL). Writes go through
:meth:`Database.transaction`, which takes the write lock up front
(``BEGIN IMMEDIATE``) so two writers queue instead of deadlocking.

File names are stored exactly: a name that is not valid UTF-8 (normal on Linux)
is bound as its bytes and cast to TEXT (see :func:`sql_text`), and every
connection reads text back with undecodable bytes as lone surrogates, the form
``os.fsdecode`` gives, so the path read back opens the same file.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import operator
import os
import re
import shutil
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Callable, Iterator

from player.store.migrations import MIGRATIONS, SCHEMA_VERSION
from player.store.order_keys import fill_order_keys
from segue_common import atomic
from segue_common.text import search_form
from segue_common.works import work_name

log = logging.getLogger(__name__)

# A play's last progress and its end, as written: the time given, or its start where the
# clock was put back after it began (NTP correcting a clock that ran ahead, the person setting
# it): written as given, the play ended before it began, hours of negative length to whatever
# reads its span. Its time heard is what was played, whatever the clocks said. (Imported
# plays too: the importer takes rows up to a day ahead of the clock.)
NOT_BEFORE_START = "max(?, started_at)"

# C-level callable (no Python frame per value): about 1.7x the cost of plain str on reads.
_TEXT_FACTORY = operator.methodcaller("decode", "utf-8", "surrogateescape")

#: the WAL is cut back to this size when a checkpoint rewinds it (SQLite's automatic
#: checkpoint runs once it holds about 4 MiB: 1000 pages of 4 KiB)
WAL_LIMIT_BYTES = 4 * 1024 * 1024
#: backups taken before migrations that are kept (the newest): a way back from the last two
#: updates that changed the library's schema, without a full copy of it for every one since
KEPT_BACKUPS = 2
#: the name of a backup taken before a migration, after the database's own: the version it
#: was taken at and when (as ``_migrate`` names it)
_BACKUP_NAME = re.compile(r"\.v(\d+)\.(\d+)\.bak")


def _sql_search_form(text: bytes | str | None) -> str:
    """:func:`search_form` for SQL, given text as bytes: a file name that is not UTF-8 (kept as
    its bytes) cannot be handed to Python as text; its bad bytes become U+FFFD."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return search_form(text) if text else ""


def _sql_work_name(title, work, grouping, movement, movement_name) -> str:
    """:func:`~segue_common.works.work_name` for SQL ("" for none): the work a movement's
    tags name, as the library's search finds it (the title's own shape is in the title).
    Given as bytes, as :func:`_sql_search_form` is: text that is not UTF-8 cannot be handed
    to Python as text."""
    return work_name(title, work=work, grouping=grouping, movement=movement, movement_name=movement_name) or ""


def sql_text(value):
    """A value to bind where SQL says ``CAST(? AS TEXT)``: text that cannot be UTF-8
    (a file name with undecodable bytes) goes as its bytes, stored as the same TEXT."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape")
    return value


class StoreError(Exception):
    """Base class for database problems shown to the user."""


class DatabaseTooNewError(StoreError):
    """The database was written by a newer Segue than this one."""


class DatabaseCorruptError(StoreError):
    """The database file is damaged (or not a database at all).

    ``backup`` is the newest backup beside it (None when there is none).
    """

    def __init__(self, path: Path, detail: str):
        self.path = Path(path)
        self.detail = detail
        self.backup = newest_backup(self.path)
        if self.backup is not None:
            choice = (f"Restore its newest backup ({self.backup.name}, "
                      f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(self.backup.stat().st_mtime))}) "
                      "with `segue library --restore-backup`, or start a new library with "
                      "`segue library --new-library`")
        else:
            choice = "There is no backup of it; start a new library with `segue library --new-library`"
        super().__init__(f"{self.path} is damaged and cannot be read ({detail}). {choice}; "
                         "either way the damaged file is kept, renamed, beside it.")


class DataFolderReadOnlyError(StoreError):
    """Segue cannot write its data folder (a read-only disk, or the wrong owner)."""

    def __init__(self, folder: Path, detail: str = "permission denied", *, file: Path | None = None):
        self.folder = Path(folder)
        blocker = next((p for p in (self.folder, *self.folder.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            # SEGUE_HOME naming a file: "make it writable" would send the person the wrong way.
            super().__init__(f"Segue cannot make its data folder {self.folder}: {blocker} is a file, not a "
                             "folder. Point SEGUE_HOME at a folder (it is made if it does not exist).")
            return
        what = f"its library {file}" if file is not None else f"its data folder {self.folder}"
        super().__init__(
            f"Segue cannot write {what} ({detail}). Make it writable, "
            "or point SEGUE_HOME at a folder you can write.")


class MigrationFailedError(StoreError):
    """A step updating the library's schema failed (its data broke a rule of the new schema,
    or the step's own code failed): the step is undone, as the transaction it ran in."""

    def __init__(self, path: Path, version: int, detail: str, backup: Path | None, start: int | None = None):
        copy = (f" A copy of the library as it was before the update is {backup}." if backup is not None
                else "")
        if start is None or start == version:
            kept = f"the library is kept as it was, at schema {version}.{copy} Report this, " \
                "or go back to the Segue you had before."
        else:
            # Each step commits on its own: those before the failed one stay made, and the
            # Segue of the schema the library had refuses a library newer than it knows.
            kept = f"the steps before it were made, and the library is now at schema {version} (it was at " \
                f"{start}), which the Segue you had before cannot open.{copy} Report this, or go back to " \
                "the Segue you had before" + (" with that copy in the library's place." if backup is not None
                                              else ".")
        super().__init__(
            f"Segue could not update its library {path} to this version ({detail}). Nothing of the failed "
            f"step was written: {kept}")


class BackupFailedError(StoreError):
    """The copy taken before updating the library's schema could not be written (most often
    a disk without room for it); the library is left as it was."""

    def __init__(self, path: Path, detail: str, size: int | None = None):
        super().__init__(
            f"Segue could not copy {path} before updating it to this version ({detail}). The copy needs "
            f"{room_for_copy(path, path.parent, size)}: free some space and start Segue again. The library is "
            "left as it was.")


def room_for_copy(path: Path, folder: Path, size: int | None = None) -> str:
    """What a copy of ``path`` written into ``folder`` needs (``size``, else the file's), and what
    the disk holding ``folder`` has: "2.7 MB beside it, 1.5 MB free". The room is the folder's:
    a backup restored from another disk (a memory stick) is only read there."""
    def mb(n: int) -> str:
        return f"{n / 1e6:.1f} MB"

    if size is None:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
    try:
        free = f", {mb(shutil.disk_usage(folder).free)} free"
    except OSError:
        free = ""
    return f"{mb(size)} beside it{free}"


def is_corruption(exc: BaseException) -> bool:
    """True for SQLite's "file is not a database" and "database disk image is malformed"."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    return type(exc) is sqlite3.DatabaseError and any(
        m in str(exc) for m in ("not a database", "malformed", "encrypted"))


def migration_pending(path: str | Path) -> bool:
    """True when the file at ``path`` is a database of an older schema than this Segue's, so
    that opening it updates it (which takes seconds for a big library). Read from the file's
    header alone (its ``user_version``), in microseconds, without opening it: the window
    decides by it where the opening runs. A header not yet brought up to date (a library whose
    last update is still in its ``-wal``) says older, and the opening finds nothing to do."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError:
        return False
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return False
    return int.from_bytes(header[60:64], "big") < SCHEMA_VERSION


def newest_backup(db_path: Path) -> Path | None:
    """The most recent ``<name>.*.bak`` beside the database, or None: the newest migration
    backup by its name (see :func:`migration_backups`), else the newest other one by time."""
    db_path = Path(db_path)
    named = [p for p in migration_backups(db_path) if p.is_file()]
    if named:
        return named[-1]
    found = [Path(p) for p in glob.glob(glob.escape(str(db_path)) + ".*.bak")]
    found = [p for p in found if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def migration_backups(db_path: Path) -> list[Path]:
    """The backups taken before migrations, oldest first: by when their names say they were
    taken, then by version as a number (v9 before v10), not by the files' times: forgetting
    the history rewrites every backup, in the order of their names. A file not named as a
    migration's backup is not one."""
    prefix = Path(db_path).name
    found = []
    for p in backups(db_path):
        named = _BACKUP_NAME.fullmatch(p.name[len(prefix):])
        if named:
            found.append((int(named[2]), int(named[1]), p.name, p))
    return [p for *_, p in sorted(found)]


def backups(db_path: Path) -> list[Path]:
    """Every ``<name>.*.bak`` beside the database (backups taken before migrations)."""
    return sorted(Path(p) for p in glob.glob(glob.escape(str(Path(db_path))) + ".*.bak"))


def prune_backups(db_path: Path, keep: int = KEPT_BACKUPS, *, taken: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest backups beside the database (with any ``-wal`` and
    ``-shm`` of theirs); returns those deleted. Each is a whole copy of the library, taken
    before a migration: the newest give a way back from the latest versions, while older
    ones only piled up, one more at every update. ``taken``: the one this migration took,
    kept whatever the others say.

    Newest as :func:`migration_backups` orders them; a file not named as a migration's
    backup is left alone."""
    found = migration_backups(db_path)
    ordered = [p for p in found if p != taken] + [p for p in found if p == taken]
    gone = ordered[:-keep] if keep > 0 else ordered
    for old in gone:
        for path in (old, old.with_name(old.name + "-wal"), old.with_name(old.name + "-shm")):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
    return gone


class _Owner:
    """Lives in a thread's local storage: when the thread (or its Python state) ends, it is
    freed, and the weak reference to it tells :class:`Database` the connection is orphaned."""


class Database:
    """A SQLite file with per-thread connections and numbered migrations."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 30.0,
                 progress: Callable[[str, int, int], None] | None = None):
        """``progress(stage, done, total)`` is told what an update of the schema is at:
        ``"backup"`` before the copy taken first, ``"migrate"`` before each step (of ``total``)."""
        self.path = Path(path)
        self._progress = progress
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        # (weak reference to the owning thread's _Owner, connection): a connection whose
        # thread has ended is closed when the next one opens, so one-shot worker threads
        # (and Qt pool threads, whose Python state comes and goes) do not pile up open files.
        self._all: list[tuple[weakref.ref, sqlite3.Connection]] = []
        self._all_lock = threading.Lock()
        self._retired: list[threading.local] = []     # local storage of the connections before a close
        self._keyed = False     # the schema has the order keys (migration 31): each write fills them
        self._fill_failed = False   # a fill failed (said once in the log, not at every write)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataFolderReadOnlyError(self.path.parent, exc.strerror or str(exc)) from None
        if not os.access(self.path.parent, os.W_OK):
            raise DataFolderReadOnlyError(self.path.parent)
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise DataFolderReadOnlyError(self.path.parent, file=self.path)
        try:
            self._migrate()
        except MigrationFailedError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            if is_corruption(exc):
                raise DatabaseCorruptError(self.path, str(exc)) from None
            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).replace("-", ""):
                raise DataFolderReadOnlyError(self.path.parent, str(exc)) from None
            raise

    # -- connections -------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.text_factory = _TEXT_FACTORY
        # Turning a new (or old) file to WAL takes it whole, and SQLite does not wait for
        # that as for other locks: another process opening it at the same moment (two
        # commands started together) is waited for here.
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    conn.close()
                    raise
                time.sleep(0.02)
        # NORMAL is durable across application crashes and kills in WAL mode;
        # only a power loss can drop the last transactions.
        conn.execute("PRAGMA synchronous=NORMAL")
        # A checkpoint rewinds the WAL but leaves the file as long as it ever grew: one big
        # transaction (a library's features saved at once, a history imported) left it at
        # tens of megabytes for as long as any Segue process had the library open, weeks
        # for a window left running. Past this size it is cut back when it is rewound.
        conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
        conn.execute("PRAGMA foreign_keys=ON")
        # Searches compare text in one form (accents and case folded) on both sides; SQL's
        # LIKE alone folds only ASCII letters and tells composed from decomposed accents.
        conn.create_function("search_form", 1, _sql_search_form, deterministic=True)
        conn.create_function("work_name", 5, _sql_work_name, deterministic=True)
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            owner = _Owner()
            self._local.conn, self._local.owner = conn, owner
            with self._all_lock:
                ended = [c for ref, c in self._all if ref() is None]
                self._all = [(ref, c) for ref, c in self._all if ref() is not None]
                self._all.append((weakref.ref(owner), conn))
            for old in ended:
                with contextlib.suppress(sqlite3.Error):
                    old.close()
        return conn

    def open_connections(self) -> int:
        """How many per-thread connections are open (those of ended threads close lazily)."""
        with self._all_lock:
            return len(self._all)

    def close(self) -> None:
        """Close every thread's connection (call when the app exits).

        The connection of a thread still running (a worker the exit did not wait for: a
        long import, a read of a big library) is interrupted, not closed: closing it while
        it runs a statement crashed the process, as Python's sqlite3 module frees what the
        statement still uses. Its statement fails as interrupted (a write rolls back) and
        the connection goes with the process, or is closed as the next one opens once its
        thread has ended."""
        mine = getattr(self._local, "owner", None)
        with self._all_lock:
            running = []
            for ref, conn in self._all:
                owner = ref()
                if owner is None or owner is mine:
                    with contextlib.suppress(sqlite3.Error):
                        conn.close()
                else:
                    with contextlib.suppress(sqlite3.Error):
                        conn.interrupt()
                    running.append((ref, conn))
            self._all = running
            # Every thread opens a new connection after this; the running threads' owners stay
            # alive with the old local storage until those threads end. Dropped with it, they
            # were freed at once: the next connection opened took the still running threads'
            # connections for dead ones and closed them under a statement (a segmentation fault).
            self._retired.append(self._local)
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``with db.transaction() as conn:`` commits on success, rolls back on error.

        Nested use joins the outer transaction.
        """
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            if self._keyed:
                # (the order keys of tracks this write, or another program's, left without)
                self._fill_keys(conn)
            conn.execute("COMMIT")
        except BaseException:
            # Also when COMMIT itself fails (disk full, I/O error): a connection left
            # inside a transaction would hold the write lock and swallow every later
            # write on this thread as a "nested" one that never commits.
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("rollback failed")
            raise

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """``with db.snapshot():`` reads in it all see the database as it was at its start.

        A deferred read transaction: in WAL mode it takes no write lock, so writers on
        other threads or processes (a scan, the learner) go on while a long read runs.
        Nested in a transaction, it joins it.
        """
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN DEFERRED")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        """Run one read (or a single autocommitted write) on this thread's connection."""
        return self.conn.execute(sql, params)

    # -- schema ------------------------------------------------------
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        existed = self.path.exists() and self.path.stat().st_size > 0
        version = self.schema_version()
        # Reading the schema reads the first pages: a file that is not a database, or whose
        # header is damaged, fails here and not in the middle of the first real query.
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if version > SCHEMA_VERSION:
            self.close()
            raise DatabaseTooNewError(
                f"{self.path} was written by a newer version of Segue (schema {version}; "
                f"this version understands up to {SCHEMA_VERSION}). Update Segue, or move the "
                "file away to start a new library."
            )
        if version == SCHEMA_VERSION:
            self._keyed = True
            self._fill_left_keys()
            return
        dest = self.path.with_name(f"{self.path.name}.v{version}.{int(time.time())}.bak")
        # (Not where another process opening the library at once has begun migrating it, or
        # has just backed it up: a copy of its migrated file would take the old one's name.)
        taken = None
        steps = SCHEMA_VERSION - version
        if existed and version > 0 and not dest.exists() and self.schema_version() == version:
            if self._progress is not None:
                self._progress("backup", 0, steps)
            try:
                backup = taken = self.backup(dest)
            except (sqlite3.Error, OSError) as exc:
                # Not "the disk is full", which the person reads as "no room at all" with a
                # third of it free: what is missing is room for one copy of the library.
                # The copy holds all its pages, also those still in the -wal beside it (a
                # library left open when the computer went off): library.db alone is less.
                try:
                    size = self.conn.execute("PRAGMA page_count").fetchone()[0] * \
                        self.conn.execute("PRAGMA page_size").fetchone()[0]
                except sqlite3.Error:
                    size = None
                self.close()
                raise BackupFailedError(self.path, str(exc), size) from exc
            log.info("backed up %s to %s before migrating", self.path, backup)
        for target in range(version, SCHEMA_VERSION):
            if self._progress is not None:
                self._progress("migrate", target - version, steps)
            migration = MIGRATIONS[target]
            # One that rebuilds a table others refer to runs with the foreign keys off:
            # dropping the old table would otherwise act on every reference to its rows.
            loose = getattr(migration, "rebuilds", False)
            if loose:
                self.conn.execute("PRAGMA foreign_keys=OFF")
            try:
                with self.transaction() as conn:
                    # Read again under the write lock: another process opening the same
                    # library at the same moment (two commands started together) may have
                    # taken this step while this one waited for the lock.
                    if conn.execute("PRAGMA user_version").fetchone()[0] > target:
                        continue
                    broken = len(conn.execute("PRAGMA foreign_key_check").fetchall()) if loose else 0
                    migration(conn)
                    if loose and len(conn.execute("PRAGMA foreign_key_check").fetchall()) > broken:
                        raise sqlite3.IntegrityError(f"migrating to schema {target + 1} broke a reference")
                    conn.execute(f"PRAGMA user_version = {target + 1}")
            except sqlite3.OperationalError:
                raise           # a full disk, a busy or read-only file: the caller says which
            except Exception as exc:
                if isinstance(exc, sqlite3.DatabaseError) and is_corruption(exc):
                    raise
                # Data the new schema refuses, or a step's own code failing: without this the
                # person read "unexpected error (IntegrityError: ...)" and not that the library
                # is kept as it was.
                raise MigrationFailedError(self.path, target, f"step {target + 1}: {exc}", taken,
                                          version) from exc
            finally:
                if loose:
                    self.conn.execute("PRAGMA foreign_keys=ON")
            log.info("migrated %s to schema %d", self.path, target + 1)
        self._keyed = True
        # (a library that had the keys before this update may hold tracks another program wrote)
        self._fill_left_keys()
        try:
            for old in prune_backups(self.path, taken=taken):
                log.info("deleted the old backup %s (the newest %d are kept)", old, KEPT_BACKUPS)
        except OSError:     # the library is migrated; an old copy left is no reason to stop
            log.exception("could not delete the old backups of %s", self.path)

    def _fill_keys(self, conn: sqlite3.Connection) -> None:
        # The keys only order the library: one that cannot be made is no reason to lose the
        # write it follows (a logged play, a scan's batch). Its track sorts first until a
        # later write makes it. (An error that ended the transaction itself, as an interrupt
        # or a full disk does, still fails its COMMIT.)
        try:
            fill_order_keys(conn)
        except Exception:   # noqa: BLE001 - whatever it is, the write is kept
            if not self._fill_failed:
                log.exception("could not make the library order keys of %s", self.path)
            self._fill_failed = True

    def _fill_left_keys(self) -> None:
        # The order keys of tracks another program wrote (the sqlite3 tool; an older Segue
        # refuses this schema), made as the library opens, not at its first write: until
        # then they sorted first.
        conn = self.conn
        if not conn.execute("SELECT 1 FROM tracks WHERE order_artist_key IS NULL LIMIT 1").fetchone():
            return
        # Only where the write lock is free now: the window opens the library on its own
        # thread, and waiting here for a scan's or the learner's long transaction froze it for
        # up to the whole busy timeout. Whoever holds the lock is most often another Segue
        # process, whose commit makes these keys; otherwise this one's next write does.
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            with self.transaction():
                pass
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            log.info("the library order keys of %s are left to the next write: another one holds the lock",
                     self.path)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")

    def backup(self, dest: str | Path) -> Path:
        """A consistent copy of the database (safe while others write)."""
        dest = Path(dest)
        # Its own name per process and thread: two processes opening an old library at
        # once each back it up before migrating, under the same name.
        tmp = dest.with_name(f"{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            target = sqlite3.connect(tmp)
            try:
                self.conn.backup(target)
            finally:
                target.close()
            atomic.replace(tmp, dest)
        except BaseException:
            # A copy not finished (a full disk) is no backup: left behind, one more lay
            # beside the library after every start that tried again.
            for left in (tmp, tmp.with_name(tmp.name + "-journal")):
                with contextlib.suppress(OSError):
                    left.unlink()
            raise
        return dest
