"""Local model trainings (``model_runs``): when, on how many plays, where, how well."""

from __future__ import annotations

import json
import sqlite3
import time


class ModelRunsMixin:
    def start_model_run(self, kind: str, *, n_plays: int, now: float | None = None) -> int:
        """Record that a training of ``kind`` started; returns the run id."""
        with self.transaction() as conn:
            return conn.execute(
                "INSERT INTO model_runs (kind, started_at, n_plays) VALUES (?, ?, ?)",
                (kind, time.time() if now is None else now, int(n_plays)),
            ).lastrowid

    def count_model_run_plays(self, run_id: int, n_plays: int) -> None:
        """The plays a run read (its record is made before it reads them: see
        :meth:`model_run_exists`)."""
        with self.transaction() as conn:
            conn.execute("UPDATE model_runs SET n_plays = ? WHERE id = ?", (int(n_plays), run_id))

    def finish_model_run(self, run_id: int, *, path: str | None = None, metrics: dict | None = None,
                         error: str | None = None, now: float | None = None) -> None:
        """Close a run with its output folder and metrics, or with the error that stopped it."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE model_runs SET finished_at = ?, path = ?, metrics = ?, error = ? WHERE id = ?",
                (time.time() if now is None else now, path,
                 None if metrics is None else json.dumps(metrics, default=float), error, run_id),
            )

    def drop_model_run(self, run_id: int) -> None:
        """Forget a run that was stopped before it ended: it wrote nothing, and the plays it
        read are still to be learned from (a run that failed is kept, with its error)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM model_runs WHERE id = ?", (run_id,))

    def model_run_exists(self, run_id: int) -> bool:
        """Whether the run's record is still there: forgetting the history deletes them all,
        which tells a training running meanwhile (in another process too) that its plays
        are gone."""
        return self.execute("SELECT 1 FROM model_runs WHERE id = ?", (run_id,)).fetchone() is not None

    def model_runs(self, *, limit: int = 20) -> list[sqlite3.Row]:
        """The latest runs, newest first."""
        return self.execute("SELECT * FROM model_runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()

    def last_model_run(self, *, ok_only: bool = True) -> sqlite3.Row | None:
        """The latest finished run (without an error unless ``ok_only`` is False)."""
        clause = "finished_at IS NOT NULL" + (" AND error IS NULL" if ok_only else "")
        return self.execute(f"SELECT * FROM model_runs WHERE {clause} ORDER BY id DESC LIMIT 1").fetchone()
