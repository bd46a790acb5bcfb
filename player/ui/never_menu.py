"""The right-click entries that keep a song, or every song of its artist, out of Up next,
Radio and Discover (the library, Up next and Discover all offer them)."""

from __future__ import annotations

from typing import Callable

SONG, ARTIST = "song", "artist"


def add_never_actions(menu, track_id: int, artist_of: Callable[[int], str | None] | None,
                      chosen: Callable[[int, str], None]) -> None:
    """Add "Don't suggest this song" and, when the track has an artist tag to name,
    "Don't suggest songs by <artist>" to ``menu``; either calls ``chosen(track_id, SONG or ARTIST)``."""
    menu.addAction("Don't suggest this song", lambda: chosen(track_id, SONG))
    artist = artist_of(track_id) if artist_of is not None else None
    if artist:
        # "&" marks a menu shortcut to Qt: doubled, "Simon & Garfunkel" shows as itself.
        menu.addAction(f"Don't suggest songs by {artist.replace('&', '&&')}", lambda: chosen(track_id, ARTIST))
