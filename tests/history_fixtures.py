"""Tiny synthetic listening-history exports in each format people download.

The shapes follow the services' own files: Spotify account data (``StreamingHistory*.json``:
``endTime`` "YYYY-MM-DD HH:MM" UTC, ``artistName``, ``trackName``, ``msPlayed``; podcast
files use ``podcastName``/``episodeName``), Spotify's extended history
(``Streaming_History_Audio_*.json``: ``ts`` ISO UTC end, ``ms_played``,
``master_metadata_*`` names, ``episode_*``/``audiobook_*`` for other rows, ``reason_end``,
``skipped``), Last.fm CSVs (headerless ``artist,album,track,date`` with "20 Nov 2020 09:35"
dates, and ``uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid``) and
ListenBrainz's export (a zip of ``user.json``, ``listens/<year>/<month>.jsonl`` with one
``{"inserted_at", "listened_at", "recording_msid", "track_metadata": {"artist_name",
"track_name", "release_name", "additional_info", "mbid_mapping"}}`` per line, and
``feedback.jsonl``; older exports and the API give a JSON array of the same objects).

A play here is ``(artist, title, album, start unix seconds, ms played, skipped)``, and
optionally a seventh item: seconds it was paused, which the services leave out of ms
played (Spotify's end is then start + pause + ms played; the extended history writes the
real start in ``offline_timestamp``).
"""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

Play = tuple  # (artist, title, album, start, ms, skipped[, paused seconds])


def _end(p: Play) -> float:
    """When a play ended: its start, the time it was paused and the time heard."""
    return p[3] + (p[6] if len(p) > 6 else 0) + p[4] / 1000


def _utc(t: float, fmt: str) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime(fmt)


def spotify(path: Path, plays: list[Play], *, podcasts: list[tuple[str, str, float, int]] = ()) -> Path:
    """Account data: the end time to the minute (so ends are rounded down), ms played."""
    rows = [{"endTime": _utc(_end(p), "%Y-%m-%d %H:%M"), "artistName": p[0], "trackName": p[1], "msPlayed": p[4]}
            for p in plays]
    rows += [{"endTime": _utc(s + ms / 1000, "%Y-%m-%d %H:%M"), "podcastName": show, "episodeName": ep,
              "msPlayed": ms} for show, ep, s, ms in podcasts]
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def spotify_extended(path: Path, plays: list[Play], *, podcasts: list[tuple[str, str, float, int]] = (),
                     audiobooks: list[tuple[str, str, float, int]] = ()) -> Path:
    empty = {"episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
             "audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
             "audiobook_chapter_title": None}
    rows = []
    for p in plays:
        a, t, al, s, ms, sk = p[:6]
        rows.append({"ts": _utc(_end(p), "%Y-%m-%dT%H:%M:%SZ"), "platform": "linux", "ms_played": ms,
                     "conn_country": "ZZ", "ip_addr": None, "master_metadata_track_name": t,
                     "master_metadata_album_artist_name": a, "master_metadata_album_album_name": al,
                     "spotify_track_uri": "spotify:track:x", **empty, "reason_start": "trackdone",
                     "reason_end": "fwdbtn" if sk else "trackdone", "shuffle": False, "skipped": sk,
                     "offline": False, "offline_timestamp": int(s), "incognito_mode": False})
    for show, ep, s, ms in podcasts:
        rows.append({"ts": _utc(s + ms / 1000, "%Y-%m-%dT%H:%M:%SZ"), "ms_played": ms,
                     "master_metadata_track_name": None, "master_metadata_album_artist_name": None,
                     "master_metadata_album_album_name": None, **empty, "episode_name": ep,
                     "episode_show_name": show, "spotify_episode_uri": "spotify:episode:x",
                     "reason_end": "endplay", "skipped": False})
    for book, chapter, s, ms in audiobooks:
        rows.append({"ts": _utc(s + ms / 1000, "%Y-%m-%dT%H:%M:%SZ"), "ms_played": ms,
                     "master_metadata_track_name": None, "master_metadata_album_artist_name": None,
                     "master_metadata_album_album_name": None, **empty, "audiobook_title": book,
                     "audiobook_uri": "spotify:show:x", "audiobook_chapter_title": chapter,
                     "reason_end": "endplay", "skipped": False})
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def lastfm_headerless(path: Path, plays: list[Play]) -> Path:
    """Newest first, as the exporters write it, plus a "now playing" row without a date."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        if plays:
            a, t, al = plays[-1][:3]
            w.writerow([a, al or "", t, ""])
        for a, t, al, s, *_ in sorted(plays, key=lambda p: -p[3]):
            w.writerow([a, al or "", t, _utc(s, "%d %b %Y %H:%M")])
    return path


def lastfm_mbids(path: Path, plays: list[Play]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(["uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid"])
        for a, t, al, s, *_ in sorted(plays, key=lambda p: -p[3]):
            w.writerow([int(s), _utc(s, "%d %b %Y, %H:%M"), a, "", al or "", "", t, ""])
    return path


def listen(a: str, t: str, al: str | None, s: float, *, duration_ms: int | None = None) -> dict:
    info = {"submission_client": "test", "media_player": "test"}
    if duration_ms:
        info["duration_ms"] = duration_ms
    return {"inserted_at": int(s) + 5, "listened_at": float(s), "recording_msid": "00000000-0000",
            "track_metadata": {"artist_name": a, "track_name": t, "release_name": al,
                               "additional_info": info, "mbid_mapping": None}}


def listenbrainz_zip(path: Path, plays: list[Play]) -> Path:
    by_month: dict[str, list[str]] = {}
    for a, t, al, s, *_ in plays:
        when = datetime.fromtimestamp(s, timezone.utc)
        by_month.setdefault(f"listens/{when.year}/{when.month}.jsonl", []).append(json.dumps(listen(a, t, al, s)))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("user.json", json.dumps({"user_id": 1, "username": "someone"}) + "\n")
        for name, lines in by_month.items():
            z.writestr(name, "\n".join(lines) + "\n")
        z.writestr("feedback.jsonl", json.dumps({"recording_msid": "x", "recording_mbid": None,
                                                 "score": 1, "created": 1}) + "\n")
    return path


def listenbrainz_json(path: Path, plays: list[Play]) -> Path:
    path.write_text(json.dumps([listen(a, t, al, s) for a, t, al, s, *_ in plays]), encoding="utf-8")
    return path


def listenbrainz_jsonl(path: Path, plays: list[Play]) -> Path:
    path.write_text("".join(json.dumps(listen(a, t, al, s)) + "\n" for a, t, al, s, *_ in plays),
                    encoding="utf-8")
    return path
