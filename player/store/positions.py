"""Where the person left each long track, to go on from there when it is played again."""

from __future__ import annotations

import time


class ResumePositionsMixin:
    def resume_position(self, track_id: int) -> float | None:
        """Seconds into ``track_id`` where it was left part-way, or None."""
        row = self.execute("SELECT position_s FROM resume_positions WHERE track_id = ?", (int(track_id),)).fetchone()
        return None if row is None else float(row[0])

    def resume_position_ids(self) -> frozenset[int]:
        """The tracks left part-way, each with a place to go on from."""
        return frozenset(r[0] for r in self.execute("SELECT track_id FROM resume_positions"))

    def set_resume_position(self, track_id: int, position_s: float, *, now: float | None = None,
                            unless_forgotten: bool = False, forgotten_known: float | None = None) -> None:
        """Remember ``position_s`` for ``track_id`` (a track a scan merged into another is
        remembered for that one, which keeps its history). ``unless_forgotten``: a place kept
        while the library could not be written, left before the history was last forgotten,
        is not written: looked at in the transaction that would write it, as a forget made on
        another thread a moment before must hold (``forgotten_known``: see ``forgotten_since``)."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            if unless_forgotten and self.forgotten_since(forgotten_known, now, self._forgotten_at(conn)):
                return
            live = self._live_id(conn, int(track_id))
            if live is None:
                return
            conn.execute("INSERT OR REPLACE INTO resume_positions (track_id, position_s, saved_at) VALUES (?, ?, ?)",
                         (live, float(position_s), now))

    def forget_resume_position(self, track_id: int) -> None:
        with self.transaction() as conn:
            live = self._live_id(conn, int(track_id)) or int(track_id)
            conn.execute("DELETE FROM resume_positions WHERE track_id = ?", (live,))
