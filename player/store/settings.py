"""Settings: small JSON values by key."""

from __future__ import annotations

import json
from typing import Any


class SettingsMixin:
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )
