"""Numbered schema migrations.

``MIGRATIONS[i]`` takes the database from ``user_version`` i to i + 1. Never edit
a migration that has shipped: add a new one, and a test for it in
``tests/player/store/test_migrations.py``.
"""

from __future__ import annotations

import sqlite3

from player.store.order_keys import KEYED_COLUMNS, fill_order_keys

_V1 = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    added_at REAL NOT NULL,
    last_scan_at REAL
);

CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    folder_id INTEGER REFERENCES folders(id) ON DELETE SET NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    title TEXT,
    artist TEXT,
    album TEXT,
    albumartist TEXT,
    genre TEXT,
    year INTEGER,
    track_no INTEGER,
    disc_no INTEGER,
    duration REAL,
    codec TEXT,
    sample_rate INTEGER,
    channels INTEGER,
    bitrate INTEGER,
    rg_track_gain REAL,
    rg_track_peak REAL,
    rg_album_gain REAL,
    rg_album_peak REAL,
    mb_track_id TEXT,
    mb_album_id TEXT,
    mb_artist_id TEXT,
    match_key TEXT,
    added_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    missing INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX tracks_folder ON tracks(folder_id);
CREATE INDEX tracks_match_key ON tracks(match_key);
CREATE INDEX tracks_missing ON tracks(missing) WHERE missing = 1;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    last_active_at REAL NOT NULL
);

CREATE TABLE plays (
    id INTEGER PRIMARY KEY,
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    started_at REAL NOT NULL,
    ms_heard INTEGER NOT NULL DEFAULT 0,
    track_ms INTEGER,
    ended TEXT NOT NULL DEFAULT 'playing'
        CHECK (ended IN ('playing', 'finished', 'skipped', 'stopped', 'error')),
    source TEXT NOT NULL DEFAULT 'library'
        CHECK (source IN ('library', 'up_next', 'radio', 'discover', 'search', 'queue', 'cli')),
    error TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX plays_track ON plays(track_id);
CREATE INDEX plays_session ON plays(session_id);
CREATE INDEX plays_started ON plays(started_at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# v2: per-track audio analysis and a history of local model trainings.
_V2 = """
CREATE TABLE track_features (
    track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    tags BLOB,
    embedding BLOB,
    bucket TEXT,
    mfcc BLOB,
    loudness REAL,
    tempo REAL,
    analysed_at REAL NOT NULL,
    error TEXT
);
CREATE INDEX track_features_version ON track_features(model_version);

CREATE TABLE model_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    n_plays INTEGER,
    path TEXT,
    metrics TEXT,
    error TEXT
);
"""


# v3: the library view's order as an index, so loading 100k rows needs no sort
# (measured: 1.0-1.9 s -> 0.35-0.49 s for the window's columns at 100k tracks).
_V3 = """
CREATE INDEX tracks_library_order ON tracks(
    coalesce(albumartist, artist) COLLATE NOCASE, album COLLATE NOCASE, disc_no, track_no, path
)
"""


# v4: listening history imported from other services. ``plays.source`` gains 'import'
# (SQLite cannot alter a CHECK, so the table is rebuilt with the same columns and
# indexes); every row of an imported file is kept in ``imported_listens``, linked to
# the play it became or, when no library track matched yet, kept as taste evidence
# (``unmatched_listens``) until a scan adds the song. The current session is the one
# most recently active (imported sessions get new ids but lie in the past).
_V4 = """
CREATE TABLE plays_v4 (
    id INTEGER PRIMARY KEY,
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    started_at REAL NOT NULL,
    ms_heard INTEGER NOT NULL DEFAULT 0,
    track_ms INTEGER,
    ended TEXT NOT NULL DEFAULT 'playing'
        CHECK (ended IN ('playing', 'finished', 'skipped', 'stopped', 'error')),
    source TEXT NOT NULL DEFAULT 'library'
        CHECK (source IN ('library', 'up_next', 'radio', 'discover', 'search', 'queue', 'cli', 'import')),
    error TEXT,
    updated_at REAL NOT NULL
);
INSERT INTO plays_v4 (id, track_id, session_id, started_at, ms_heard, track_ms, ended, source, error, updated_at)
    SELECT id, track_id, session_id, started_at, ms_heard, track_ms, ended, source, error, updated_at FROM plays;
DROP TABLE plays;
ALTER TABLE plays_v4 RENAME TO plays;
CREATE INDEX plays_track ON plays(track_id);
CREATE INDEX plays_session ON plays(session_id);
CREATE INDEX plays_started ON plays(started_at);
CREATE INDEX plays_imported ON plays(started_at) WHERE source = 'import';
CREATE INDEX sessions_active ON sessions(last_active_at);

CREATE TABLE history_imports (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    imported_at REAL NOT NULL,
    rows INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    unmatched INTEGER NOT NULL,
    not_music INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    unreadable INTEGER NOT NULL
);

CREATE TABLE imported_listens (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES history_imports(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL UNIQUE,
    started_at REAL NOT NULL,
    artist TEXT NOT NULL,
    title TEXT NOT NULL,
    album TEXT,
    artist_key TEXT NOT NULL,
    song_key TEXT NOT NULL,
    ms_played INTEGER,
    duration_ms INTEGER,
    skipped INTEGER,
    reason_end TEXT,
    play_id INTEGER REFERENCES plays(id) ON DELETE SET NULL
);
CREATE INDEX imported_listens_song ON imported_listens(song_key, started_at);
CREATE INDEX imported_listens_artist ON imported_listens(artist_key);
CREATE INDEX imported_listens_play ON imported_listens(play_id);
CREATE INDEX imported_listens_unmatched ON imported_listens(import_id) WHERE play_id IS NULL;
CREATE VIEW unmatched_listens AS SELECT * FROM imported_listens WHERE play_id IS NULL
"""


def _script(sql: str):
    def apply(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return apply


# v5: playlists. An entry keeps its file's path beside the track it names, so a playlist
# imported before its files were scanned, or naming a file that went away, loses nothing.
_V5 = """
CREATE TABLE playlists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX playlists_name ON playlists(name COLLATE NOCASE);

CREATE TABLE playlist_entries (
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    track_id INTEGER REFERENCES tracks(id) ON DELETE SET NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (playlist_id, position)
);
CREATE INDEX playlist_entries_track ON playlist_entries(track_id);
"""


# v6: an imported row keeps the end time its file wrote (Spotify's exports write the end),
# NULL where the file writes the start. A paused play's start is not its end minus the
# time heard: the importer needs both to recognise the same play in another export.
_V6 = """
ALTER TABLE imported_listens ADD COLUMN ended_at REAL
"""


# v7: the tracks a scan merged into others (a moved file's new row folded into its old
# track, a second path to one file). The Up next list, a play about to start or the state
# saved for the next start may still name a merged-away row: its play goes to the track that
# took it over. New tracks are numbered above every merged-away row, so no such name ever
# comes to mean another song.
_V7 = """
CREATE TABLE track_merges (
    gone_id INTEGER PRIMARY KEY,
    into_id INTEGER NOT NULL,
    merged_at REAL NOT NULL
)
"""


# v8: each play still going names its owner, the player writing it (a random token whose
# lock file that player holds; see player/store/owners.py). At start, only plays whose owner
# is gone are closed: a terminal `segue play` beside the window no longer closes the window's
# play. Plays written before have none, and are closed as before. The index finds the open
# plays without reading the whole log.
_V8 = """
ALTER TABLE plays ADD COLUMN owner TEXT;
CREATE INDEX plays_open ON plays(owner) WHERE ended = 'playing'
"""


# v9: play ids are never given again. Without AUTOINCREMENT SQLite numbers a new row one past
# the largest id there is, so after "forget my listening history" new plays took the ids of
# forgotten ones, which the state saved for the next start (the play a resumed song goes on
# with) or a player still running may name. The table is rebuilt with AUTOINCREMENT (SQLite
# cannot add it to a table), the same columns and rows, and every index it had. Run with the
# foreign keys off (see ``rebuilds``): dropping the old table would otherwise set every
# imported listen's link to the play it became to NULL.
_V9_PLAYS = """
CREATE TABLE plays_v9 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    track_id INTEGER NOT NULL REFERENCES tracks(id),
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    started_at REAL NOT NULL,
    ms_heard INTEGER NOT NULL DEFAULT 0,
    track_ms INTEGER,
    ended TEXT NOT NULL DEFAULT 'playing'
        CHECK (ended IN ('playing', 'finished', 'skipped', 'stopped', 'error')),
    source TEXT NOT NULL DEFAULT 'library'
        CHECK (source IN ('library', 'up_next', 'radio', 'discover', 'search', 'queue', 'cli', 'import')),
    error TEXT,
    updated_at REAL NOT NULL,
    owner TEXT
)
"""
_PLAYS_COLUMNS = "id, track_id, session_id, started_at, ms_heard, track_ms, ended, source, error, updated_at, owner"


def _v9(conn: sqlite3.Connection) -> None:
    kept = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'plays' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name")]
    conn.execute(_V9_PLAYS)
    conn.execute(f"INSERT INTO plays_v9 ({_PLAYS_COLUMNS}) SELECT {_PLAYS_COLUMNS} FROM plays")
    conn.execute("DROP TABLE plays")
    conn.execute("ALTER TABLE plays_v9 RENAME TO plays")
    for sql in kept:
        conn.execute(sql)


#: A migration that rebuilds a table other tables refer to: the runner turns the foreign
#: keys off around it (they cannot be turned off inside its transaction) and checks, before
#: it commits, that it left no reference broken.
_v9.rebuilds = True


# v10: plays are numbered after the play named by the state saved for the next start. One saved
# before version 9 may name a play of a forgotten history whose id is above every id the table
# has held since: AUTOINCREMENT numbers from the largest id it has held, so that id could still
# be given once, to another play, and resuming the song left playing would reopen that one (its
# track may well be the same song, played since in `segue play`). Its key is the player's
# ``STATE_SETTING``; the play is the seventh field of ``current``.
_SAVED_STATE_KEY = "playback.state"


def _v10(conn: sqlite3.Connection) -> None:
    import json

    row = conn.execute("SELECT value FROM settings WHERE key = ?", (_SAVED_STATE_KEY,)).fetchone()
    try:
        play = int(json.loads(row[0])["current"][6])
    except (TypeError, ValueError, KeyError, IndexError):
        return                      # no state, no song in it, or one saved before plays were named
    if not 0 < play < 2 ** 62:
        return
    if conn.execute("SELECT 1 FROM sqlite_sequence WHERE name = 'plays'").fetchone() is None:
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('plays', 0)")
    conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?, coalesce((SELECT max(id) FROM plays), 0)) "
                 "WHERE name = 'plays'", (play,))


# v11: what the person asked never to be suggested: a song (by its track) or every song of an
# artist (by its key, the first credited artist normalised as ``primary_artist`` gives it, so
# "The Beatles" and "Beatles feat. X" are one artist; ``artist`` keeps the name as shown then).
# Up next, Radio and Discover leave them out; the person can still play them.
_V11 = """
CREATE TABLE never_suggest (
    id INTEGER PRIMARY KEY,
    track_id INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
    artist_key TEXT,
    artist TEXT,
    added_at REAL NOT NULL,
    CHECK ((track_id IS NULL) <> (artist_key IS NULL))
);
CREATE UNIQUE INDEX never_suggest_track ON never_suggest(track_id) WHERE track_id IS NOT NULL;
CREATE UNIQUE INDEX never_suggest_artist ON never_suggest(artist_key) WHERE artist_key IS NOT NULL
"""


# v12: an imported row that goes on with a song heard in stretches (Spotify's extended history
# writes a row per stretch when the app closes mid-song or another device takes over) names the
# row the song began with, ``stretch_of``; NULL on that first row and on a song heard in one go.
# Its stretches are one listen whether or not a library track matched: one play when the song
# is there, one count for its artist, one play when a scan adds it later. Before, only the rows
# of a matched song were joined, by the play they share: those are marked from it here (rows
# share a play only as stretches). What a kept row continued was not stored, so rows of a song
# not in the library imported before stay one listen each.
_V12 = """
ALTER TABLE imported_listens ADD COLUMN stretch_of INTEGER;
UPDATE imported_listens
    SET stretch_of = (SELECT min(f.id) FROM imported_listens f WHERE f.play_id = imported_listens.play_id)
    WHERE play_id IS NOT NULL;
UPDATE imported_listens SET stretch_of = NULL WHERE stretch_of = id
"""


# v13: the tag reader's version each folder was last scanned with (see
# ``player.library.reader_version``): a scan reads again the unchanged files whose reading
# changed since. 0 for folders scanned before: every file is read again once.
_V13 = "ALTER TABLE folders ADD COLUMN tag_reader INTEGER NOT NULL DEFAULT 0"


# v14: each track keeps its file's status-change time beside its size and modification time
# (on Linux and macOS; NULL on Windows, where that time is when the file was made). A tagger
# told to keep the modification time sets it back after saving, and only this time moves:
# the scan reads such a file again. NULL for the tracks there are: the next scan notes each
# file's time as it finds it, without reading the file again.
_V14 = "ALTER TABLE tracks ADD COLUMN ctime_ns INTEGER"


# v15: when a scan found a library folder not there, or empty where it had tracks (a disk or
# share not connected); NULL while it is there. Its tracks stay listed with their plays, and
# no suggestion offers them until a scan finds the folder again. NULL for the folders there
# are: the scan at the next start looks.
_V15 = "ALTER TABLE folders ADD COLUMN away_since REAL"


# v16: what a collector's tags say of the order and the search: the composer, the compilation
# flag and the artist's and album artist's sort names, and the library order by them (see
# ``player.store.tracks.ORDER_ARTIST``; the index is written out here, as it was then). NULL for
# the tracks there are: the tag reader's version went up with them, so the next scan reads
# every file again.
_V16 = """
ALTER TABLE tracks ADD COLUMN composer TEXT;
ALTER TABLE tracks ADD COLUMN compilation INTEGER;
ALTER TABLE tracks ADD COLUMN artistsort TEXT;
ALTER TABLE tracks ADD COLUMN albumartistsort TEXT;
DROP INDEX IF EXISTS tracks_library_order;
CREATE INDEX tracks_library_order ON tracks(
    coalesce(albumartistsort, albumartist, CASE WHEN compilation = 1 THEN 'Various Artists' END, artistsort, artist)
        COLLATE NOCASE,
    album COLLATE NOCASE, disc_no, track_no, path
)
"""


# v17: an album tagged with its album artist and the artist's sort name but no album
# artist's sort name (taggers that write a sort name for the artist only) goes by that sort
# name where the album artist is the artist: "The Beatles" filed an album with an album artist
# under T and one without under B. The order's index again (``ORDER_ARTIST``, as it was then).
_V17 = """
DROP INDEX IF EXISTS tracks_library_order;
CREATE INDEX tracks_library_order ON tracks(
    coalesce(albumartistsort, CASE WHEN albumartist = artist THEN artistsort END, albumartist,
             CASE WHEN compilation = 1 THEN 'Various Artists' END, artistsort, artist) COLLATE NOCASE,
    album COLLATE NOCASE, disc_no, track_no, path
)
"""


# v18: an album ripped as one file with a CUE sheet is listed as the sheet's tracks, each a
# range of the file, stored under the file's path with "#" and its number (see
# ``player.library.cue``): the sheet it came from, and where in the file it starts and ends
# (NULL: to the file's end). NULL for every other track, and for the tracks there are: the
# next scan finds the sheets beside them.
_V18 = """
ALTER TABLE tracks ADD COLUMN cue_sheet TEXT;
ALTER TABLE tracks ADD COLUMN cue_start_s REAL;
ALTER TABLE tracks ADD COLUMN cue_end_s REAL
"""


# v19: a compilation tagged without saying so (a soundtrack, each track its own artist, no
# album artist and no compilation flag) is one album: the scanner finds it by its folder and
# sets ``folder_compilation`` (1, else 0; see ``player.library.albums``), and the library order
# files it under "Various Artists" as a flagged one. NULL for the tracks there are: the next
# scan sets it for every folder. The order's index again (``ORDER_ARTIST``, as it is now).
_V19 = """
ALTER TABLE tracks ADD COLUMN folder_compilation INTEGER;
DROP INDEX IF EXISTS tracks_library_order;
CREATE INDEX tracks_library_order ON tracks(
    coalesce(albumartistsort, CASE WHEN albumartist = artist THEN artistsort END, albumartist,
             CASE WHEN compilation = 1 OR folder_compilation = 1 THEN 'Various Artists' END, artistsort, artist)
        COLLATE NOCASE,
    album COLLATE NOCASE, disc_no, track_no, path
)
"""


# v20: a playlist entry keeps the title its playlist file gave (``#EXTINF``, a PLS's or an
# XSPF's title), so an entry whose file is not here says what song it was, not just a path;
# and an entry that names a stretch of a file (a CUE sheet's track, by ``#EXTVLCOPT:start-time``)
# not yet in the library keeps where it starts, so that the scan that finds the sheet links it.
# NULL for the entries there are, and for songs added from the library.
_V20 = """
ALTER TABLE playlist_entries ADD COLUMN title TEXT;
ALTER TABLE playlist_entries ADD COLUMN start_s REAL
"""


# v21: where the person left a long track (an audiobook chapter, a podcast, a DJ mix), so that
# playing it again goes on from there (see ``player.playback``). One row a track, dropped with
# the track, when it is finished, and with the listening history.
_V21 = """
CREATE TABLE resume_positions (
    track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
    position_s REAL NOT NULL,
    saved_at REAL NOT NULL
)
"""


# v22: a number every write to the library's tracks or folders raises, by SQLite itself (a
# trigger), whichever code or process writes: a scan, a tag edit, a merge, a delete, a file
# marked missing, a folder added or removed, another process's ``segue scan``. A reader that
# keeps what it read of the library (the plain suggestions) reads it again only when the
# number moved; a column that tells when a row changed is not written by every one of those.
# A folder counts when it comes, goes or moves (its path names its untagged tracks), not each
# time a scan notes when it scanned it, nor when it goes away (``away_stamp`` tells that).
_COUNTED = (("tracks", "INSERT"), ("tracks", "UPDATE"), ("tracks", "DELETE"),
            ("folders", "INSERT"), ("folders", "UPDATE OF path"), ("folders", "DELETE"))


def _v22(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE library_changes (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)")
    conn.execute("INSERT INTO library_changes (id, n) VALUES (1, 0)")
    for table, event in _COUNTED:
        conn.execute(f"CREATE TRIGGER {table}_{event.split()[0].lower()}_counted AFTER {event} ON {table} "
                     "BEGIN UPDATE library_changes SET n = n + 1 WHERE id = 1; END")


# v23: which tracks changed, by the same number: each write to a track (inserted, updated,
# deleted) notes its id and the number it raised the count to, so a reader that kept the
# library as it was at one count reads again only the tracks written since (a scan's batch,
# a tag edit, a merge: milliseconds), not all of them (a second at 100,000 tracks). One row
# per track id, replaced at each write; no index (a scan writes each track, a reader reads
# these two numbers a row at most once per change). The tracks' counting triggers of v22 are
# made again to note the id in the same step.
def _v23(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE track_changes (track_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    # (no INSERT OR REPLACE: in a trigger the writing statement's own conflict rule overrides it,
    # and a scan's insert of an existing path failed on the track's earlier note)
    note = ("UPDATE track_changes SET n = (SELECT n FROM library_changes WHERE id = 1) WHERE track_id = {0}.id{1}; "
            "INSERT INTO track_changes (track_id, n) SELECT {0}.id, n FROM library_changes WHERE id = 1{1} "
            "AND NOT EXISTS (SELECT 1 FROM track_changes WHERE track_id = {0}.id);")
    for event, noted in (("INSERT", note.format("NEW", "")), ("DELETE", note.format("OLD", "")),
                         ("UPDATE", note.format("NEW", "") + note.format("OLD", " AND OLD.id IS NOT NEW.id"))):
        name = f"tracks_{event.lower()}_counted"
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(f"CREATE TRIGGER {name} AFTER {event} ON tracks "
                     f"BEGIN UPDATE library_changes SET n = n + 1 WHERE id = 1; {noted} END")


# v24: the composer's sort name (ID3 TSOC, Vorbis COMPOSERSORT, MP4 soco), which the window's
# Composer column sorts by: "Johann Sebastian Bach" sorted under J, where a classical shelf
# tagged "Bach, Johann Sebastian" looks for him under B. NULL for the tracks there are: the tag
# reader's version went up with it, so the next scan reads every file again.
_V24 = "ALTER TABLE tracks ADD COLUMN composersort TEXT"


# v25: what an import taught rows of files imported before it (a Spotify history giving
# Last.fm's scrobbles their time heard and skips): the row, the import, and the columns it
# filled in, which were empty, or that it joined the row to the play of the stretch before
# it ("stretch_of"). Taking that import out undoes them, so that nothing of a file taken out
# stays in the history. Fills made before this version are not known. The rows that go on
# with another are indexed: a join looks, for each row it would join, whether one goes on from it.
_V25 = """
CREATE TABLE imported_fill_ins (
    listen_id INTEGER NOT NULL REFERENCES imported_listens(id) ON DELETE CASCADE,
    import_id INTEGER NOT NULL REFERENCES history_imports(id) ON DELETE CASCADE,
    columns TEXT NOT NULL
);
CREATE INDEX imported_fill_ins_import ON imported_fill_ins(import_id);
CREATE INDEX imported_fill_ins_listen ON imported_fill_ins(listen_id);
CREATE INDEX imported_listens_stretch ON imported_listens(stretch_of) WHERE stretch_of IS NOT NULL
"""


# v26: a row an import took a play from: Spotify's extended history says a play that its
# account data gave (which does not say so) was heard in a private session, and the play
# goes ("private" in ``imported_fill_ins.columns``). The track it was a play of is noted,
# so that taking that import out gives the play back as it was.
_V26 = """
ALTER TABLE imported_fill_ins ADD COLUMN track_id INTEGER
"""


# v27: the stars the person gave each song in the player they used before (ID3 POPM, Vorbis
# RATING or FMPS_RATING, MP4 rate, WM/SharedUserRating), 1-5, NULL where the file gives none:
# with no plays logged yet they are the best word there is on the person's taste. NULL for the
# tracks there are: the tag reader's version went up with it, so the next scan reads them.
_V27 = "ALTER TABLE tracks ADD COLUMN rating INTEGER"


# v28: a classical work's tags (WORK or GROUPING, ID3 TIT1; MOVEMENT and MOVEMENTNAME, ID3
# MVIN and MVNM, MP4 \u00a9wrk/\u00a9mvi/\u00a9mvn): a work's movements are shuffled and
# suggested together, in their order. NULL for the tracks there are: the tag reader's version
# went up with it, so the next scan reads every file again.
# The tracks that may be movements (a title with a colon or a dash, or a work's tags), in a
# partial index: a shuffle of a long queue reads them alone, and in a library without them
# reads nothing (the whole table, at 100,000 tracks, took 0.2 to 0.6 s each time shuffle went
# on). Its text is the condition of the query that uses it, word for word (SQLite uses a
# partial index only where the query's WHERE holds its own); never edited once released.
# segue_common.works.may_name_a_work is the same rule in Python (a test holds them together).
WORK_CANDIDATES = ("(title LIKE '%:%' OR title LIKE '% - %' OR title LIKE '% \u2013 %' OR title LIKE '% \u2014 %' "
                   "OR work IS NOT NULL OR grouping IS NOT NULL)")
_V28 = f"""
ALTER TABLE tracks ADD COLUMN work TEXT;
ALTER TABLE tracks ADD COLUMN grouping TEXT;
ALTER TABLE tracks ADD COLUMN movement INTEGER;
ALTER TABLE tracks ADD COLUMN movementname TEXT;
CREATE INDEX tracks_work_candidates ON tracks(id) WHERE {WORK_CANDIDATES};
"""


# v29: the stars the person gives a song here (1-5; 0: they chose "No rating"; NULL: never
# rated here). Segue never writes into the music files, so this is kept apart from the
# file's own stars, which a scan reads again: ``rating`` stays the one shown and used, the
# person's where they gave one, else the file's, and a scan writes the file's only where the
# person gave none (player.store.tracks).
_V29 = "ALTER TABLE tracks ADD COLUMN own_rating INTEGER"


# v30: a saved search kept as a playlist (Quod Libet's saved searches, foobar2000's
# autoplaylists, iTunes' and MusicBee's smart playlists): the search box's query, as typed.
# Its songs are not stored: they are the library's tracks the query matches now, so a new
# album by the artist joins it after a scan and a song rated down leaves it. NULL: a
# playlist of songs the person put in it, as before.
_V30 = "ALTER TABLE playlists ADD COLUMN query TEXT"


# v31: the library ordered as people sort names (case and accents aside, "2Pac" before
# "10cc", "Vol. 2" before "Vol. 10"), where NOCASE put "Émilie" after "Zola" and counted
# digit by digit: two keys per track, made in Python (``player.store.order_keys``), in
# plain columns and a plain index, so that any connection still reads and writes the table
# (an index on a collation of Segue's own fails every write of one without it). A write that
# changes what a key is made of leaves it NULL (these triggers, plain SQL too: the sqlite3
# tool's edit as well), and the next transaction of the store makes it again; the rows
# without keys have an index of their own, so finding none costs nothing. Every track's
# keys are made here, in this one transaction.
def _v31(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE tracks ADD COLUMN order_artist_key TEXT")
    conn.execute("ALTER TABLE tracks ADD COLUMN order_album_key TEXT")
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in KEYED_COLUMNS)
    conn.execute(f"CREATE TRIGGER tracks_order_keys_stale AFTER UPDATE OF {', '.join(KEYED_COLUMNS)} ON tracks "
                 f"WHEN {changed} "
                 "BEGIN UPDATE tracks SET order_artist_key = NULL, order_album_key = NULL WHERE id = NEW.id; END")
    fill_order_keys(conn)
    conn.execute("DROP INDEX IF EXISTS tracks_library_order")
    conn.execute("CREATE INDEX tracks_library_order ON tracks(order_artist_key, order_album_key, disc_no, "
                 "track_no, path)")
    conn.execute("CREATE INDEX tracks_order_unkeyed ON tracks(id) WHERE order_artist_key IS NULL")


# v32: the index of the rows without order keys, which v31 made, goes. Nothing read it: the
# order's own index begins with the same key, and SQLite finds the rows without one (each
# write's check, the fill at opening) through it. Kept, it was one more index every scan's
# and retag's write updated for nothing.
_V32 = "DROP INDEX IF EXISTS tracks_order_unkeyed"


# v33: the folders inside a library folder that a scan found on another disk than the folder
# they are in (a share mounted at /music/nas, a disk at D:\Music\Old): when one is there
# but empty later, its disk is not connected, and its tracks are kept as they were rather
# than taken for deleted (see player.library.scanner). Forgotten with their library folder.
# ``away_since``: when a scan first found it empty, as a library folder's: its tracks are
# away until it is connected again (greyed, never offered), as those of a folder away are.
_V33 = """
CREATE TABLE mount_points (
    path TEXT PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    away_since REAL
);
CREATE INDEX mount_points_folder ON mount_points(folder_id);
"""


# v34: where a track was when a copy of its file at another place took it over, its library
# folder away (see player.library.scanner): a folder that was only away for a while (a share
# that dropped while an album was copied to a stick) has its files come back there, and the
# track goes back home with its history, leaving the copy a track of its own.
_V34 = """
ALTER TABLE tracks ADD COLUMN away_home TEXT;
CREATE INDEX tracks_away_home ON tracks(away_home) WHERE away_home IS NOT NULL;
"""


MIGRATIONS = [_script(_V1), _script(_V2), _script(_V3), _script(_V4), _script(_V5), _script(_V6), _script(_V7),
              _script(_V8), _v9, _v10, _script(_V11), _script(_V12), _script(_V13), _script(_V14),
              _script(_V15), _script(_V16), _script(_V17), _script(_V18),
              _script(_V19), _script(_V20), _script(_V21), _v22, _v23, _script(_V24), _script(_V25),
              _script(_V26), _script(_V27), _script(_V28), _script(_V29),
              _script(_V30), _v31, _script(_V32), _script(_V33), _script(_V34)]
SCHEMA_VERSION = len(MIGRATIONS)
