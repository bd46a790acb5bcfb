"""The SQLite connection layer: one connection per thread, WAL, transactions.

Readers never block the writer and vice versa (WAL). Writes go through
:meth:`Database.transaction`, which takes the write lock up front
(``BEGIN IMMEDIATE``) so two writers queue instead of deadlocking.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

from player.store.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)


class StoreError(Exception):
    """Base class for database problems shown to the user."""


class DatabaseTooNewError(StoreError):
    """The database was written by a newer Segue than this one."""


class Database:
    """A SQLite file with per-thread connections and numbered migrations."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    # -- connections -------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes and kills in WAL mode;
        # only a power loss can drop the last transactions.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (call when the app exits)."""
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
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

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        """Run one read (or a single autocommitted write) on this thread's connection."""
        return self.conn.execute(sql, params)

    # -- schema ------------------------------------------------------
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        existed = self.path.exists() and self.path.stat().st_size > 0
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            self.close()
            raise DatabaseTooNewError(
                f"{self.path} was written by a newer version of Segue (schema {version}; "
                f"this version understands up to {SCHEMA_VERSION}). Update Segue, or move the "
                "file away to start a new library."
            )
        if version == SCHEMA_VERSION:
            return
        if existed and version > 0:
            backup = self.backup(self.path.with_name(f"{self.path.name}.v{version}.{int(time.time())}.bak"))
            log.info("backed up %s to %s before migrating", self.path, backup)
        for target in range(version, SCHEMA_VERSION):
            with self.transaction() as conn:
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target + 1}")
            log.info("migrated %s to schema %d", self.path, target + 1)

    def backup(self, dest: str | Path) -> Path:
        """A consistent copy of the database (safe while others write)."""
        dest = Path(dest)
        tmp = dest.with_name(dest.name + ".tmp")
        target = sqlite3.connect(tmp)
        try:
            self.conn.backup(target)
        finally:
            target.close()
        shutil.move(tmp, dest)
        return dest
