"""Settings: small JSON values by key."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


class SettingsMixin:
    def get_setting(self, key: str, default: Any = None) -> Any:
        """The value stored for ``key``, else ``default``; also ``default`` where what is
        stored is not JSON (edited by hand, or left by a damaged write), which is logged."""
        row = self.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except (TypeError, ValueError):
            log.warning("setting %r holds %r, which is not a value: the default is used", key, row[0])
            return default

    def set_setting(self, key: str, value: Any) -> None:
        self.set_settings({key: value})

    def set_settings(self, values: dict[str, Any]) -> None:
        """Store every one of ``values`` or, on an error, none: the settings chosen together
        (OK in Settings) are never found half old, half new after a crash or a full disk."""
        rows = [(key, json.dumps(value)) for key, value in values.items()]
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                rows,
            )
