"""The "Add to playlist" submenu of a context menu, the same wherever songs are listed."""

from __future__ import annotations

from typing import Callable


def add_playlist_menu(menu, playlists: list[tuple[int, str]], ids: list[int],
                      add: Callable[[list, object], None]) -> None:
    """Put "Add to playlist" in ``menu``: "New playlist…", then each of ``playlists``
    (``(id, name)``); the one chosen calls ``add(ids, playlist id or None for a new one)``."""
    lists = menu.addMenu("Add to playlist")
    lists.addAction("New playlist…", lambda: add(list(ids), None))
    if playlists:
        lists.addSeparator()
    for playlist_id, name in playlists:
        # "&" marks a menu shortcut to Qt: doubled, "R&B" shows as itself.
        lists.addAction(name.replace("&", "&&"), lambda pid=playlist_id: add(list(ids), pid))
