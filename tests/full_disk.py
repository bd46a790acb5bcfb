"""A full disk as the tests make one: a real SQLite trigger that refuses one kind of write to a
table with the words SQLite says when the disk is full. No root, no filesystem to fill; the
player and the store meet the same sqlite3 error they meet on a full disk."""

from __future__ import annotations


def refuse(store, op: str, table: str = "plays") -> None:
    """From now on every ``op`` (INSERT, UPDATE, DELETE) on ``table`` fails: the disk is full."""
    store.execute(f"CREATE TRIGGER no_room_{table}_{op} BEFORE {op} ON {table} "
                  "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")


def allow(store, op: str, table: str = "plays") -> None:
    """Room again for what :func:`refuse` refused."""
    store.execute(f"DROP TRIGGER no_room_{table}_{op}")
