"""``segue play PATH_OR_QUERY``: play files, a folder, or library tracks from the terminal.

A path (file or folder) plays those files, adding them to the database as
tracks outside any library folder so the plays are logged like any other. Any
other text is a search of the library in the window's search language
(:mod:`player.library.query`: plain words, ``artist:``, ``year:1965-1972``,
``rating:>=4``, ``-live``), finding what the window's search box finds. Playback
goes through the real sound card engine (``--null`` plays silently in real time).
"""

from __future__ import annotations

import os
import sys
import threading
import time


# How many tracks a search plays at most, the first of its matches in library order (a word
# most of the library matches, "the", queued it all).
SEARCH_PLAYS = 500


def add_parser(sub):
    p = sub.add_parser("play", help="play a file, a folder, or library tracks matching a search")
    p.add_argument("what", nargs="*", help="a file or folder path, or a search of the library as the window's "
                   "search box reads it (artist:beatles year:1965-1972 rating:>=4; put -- before a search "
                   "with -word)")
    p.add_argument("--device", help="output device (default: the one in settings, else the system's)")
    p.add_argument("--null", action="store_true", help="play into nothing, in real time (no sound card)")
    p.add_argument("--seconds", type=_seconds, help="stop after this many seconds")
    p.add_argument("--list-devices", action="store_true", help="list output devices and exit")
    return p


def _seconds(text: str) -> float:
    """``--seconds``: a number of seconds above 0 (a day's worth or a year's, not infinity)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (0 < value and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return min(value, 10 * 365 * 86400.0)        # (a wait past the system's clock's end fails)


def _looks_like_a_path(text: str) -> bool:
    """Whether ``text`` is written as a file's path (a folder in it, or a file's extension),
    not as a word to search for."""
    from player.library.skip import extension
    from player.library.tags import AUDIO_EXTENSIONS
    from player.playlist_files import EXTENSIONS

    # (the extension read as the scanner reads it: "....mp3" is a song called "...")
    return (os.sep in text or (os.altsep or os.sep) in text
            or extension(text) in (*AUDIO_EXTENSIONS, *EXTENSIONS))


def _describe(row, namer) -> str:
    if row is None:
        return "?"
    from segue_common.works import headed, work_name

    names = namer(row)
    # (a movement titled by its tempo alone is named after its work, as the window names it)
    title = headed(names.title, work_name(row["title"], work=row["work"], grouping=row["grouping"],
                                          movement=row["movement"], movement_name=row["movementname"]))
    return f"{names.artist} - {title}" if names.artist else title


def _found_as_the_window_finds(store, what: str) -> list[int]:
    """The library's tracks a field search (``artist:x year:>=2000 -live``) finds, in library
    order: the library read as the window reads it and the query matched by the window's own
    matcher, so that the command and the search box never disagree. Plain words keep the
    store's search, which reads only the matching rows."""
    from player.library.search import load_library, query_track_ids

    return query_track_ids(load_library(store, shown=False), what)[0]


def _without_away(store, ids: list[int], away: dict[int, str]) -> list[int]:
    """``ids`` less the tracks on a disk or share not connected at the last scan (``away``:
    :meth:`Store.away_tracks`) whose file is not there now, said with where they are, as the
    window leaves them out of a list played: tried, each failed as "file not found". An empty
    list where that left nothing, said."""
    from player.library.cue import audio_path
    from segue_common.text import shown

    if not away or not any(t in away for t in ids):
        return ids
    gone = {t for t in ids if t in away and not os.path.exists(audio_path(store.track(t)))}
    if not gone:
        return ids
    kept = [t for t in ids if t not in gone]
    where = f"on {', '.join(shown(h) for h in sorted({away[t] for t in gone}))}, not connected now"
    if not kept:
        many = len(ids) != 1
        print(f"segue play: nothing to play: the {len(ids)} track{'s' * many} found {'are' if many else 'is'} "
              f"{where}", file=sys.stderr)
    else:
        n = len(ids) - len(kept)
        print(f"segue play: {n} track{'s' * (n != 1)} not played: {where}", file=sys.stderr)
    return kept


def _away_below(store, folders: list[str], away: dict[int, str]) -> list[int]:
    """The library's tracks inside ``folders`` that are on a disk or share not connected at the
    last scan (``away``): the folder read from the disk holds none of them, and they went
    without a word."""
    if not away or not folders:
        return []
    tops = tuple(os.path.join(os.path.abspath(folder), "") for folder in folders)
    return [t for t, row in store.tracks_by_id(away, ["path"]).items() if row["path"].startswith(tops)]


def _away_home(store, path: str, away: dict[int, str]) -> str | None:
    """Where the library's track at ``path`` is, if it is on a disk or share not connected at
    the last scan (``away``), else None: its path given is then no mistyped name, though no
    file is there."""
    row = store.track_by_path(os.path.abspath(path))
    return away.get(row["id"]) if row is not None else None


def run(args) -> int:
    from player.audio import AudioEngineError, create_engine
    from player.playback import Player
    from player.store import Store
    from segue_common import faults
    from segue_common.text import shown

    if args.list_devices:
        from player.audio.sd_engine import output_devices

        try:
            names = output_devices()
        except AudioEngineError as exc:
            print(f"segue play: {exc}", file=sys.stderr)
            return 1
        for name in names:
            print(name)
        if not names:
            print("segue play: no output devices found (--null plays without a sound card)", file=sys.stderr)
            return 1
        return 0
    if not args.what:
        print("segue play: say what to play: a file, a folder, or words to search the library for",
              file=sys.stderr)
        return 2
    store = Store.open()
    what = " ".join(args.what)
    given = [p for p in args.what if os.path.exists(p)]
    if given and all(p in given or _looks_like_a_path(p) for p in args.what):
        # Paths, one of them mistyped: the others play, and it is named (not all of them
        # taken for words to search for). Words of a search that happen to name a folder
        # here ("night") stay a search.
        from player.library.open_files import tracks_for

        ids, problems = tracks_for(store, given)
        known = set(ids)
        away = store.away_tracks()      # (read once: each path not found is looked up in it)
        ids += [t for t in _away_below(store, [p for p in given if os.path.isdir(p)], away) if t not in known]
        problems = [(p, f"on {shown(home)}, not connected now" if (home := _away_home(store, p, away)) else
                     "no such file or folder") for p in args.what if p not in given] + problems
        if not ids and not problems:
            print(f"segue play: no audio files in {what}", file=sys.stderr)
            return 1
        for path, why in problems:
            print(f"  cannot play {shown(path)}: {why}", file=sys.stderr)
        if not ids:
            print(f"segue play: nothing playable in {what}", file=sys.stderr)
            return 1
        ids = _without_away(store, ids, away)
        if not ids:
            return 1
    else:
        from player.library.albums import LIBRARY_ORDER_COLUMNS, library_order
        from player.library.names import Namer
        from player.library.query import parse

        query = parse(what)
        if query.problem:
            print(f"segue play: {query.problem}", file=sys.stderr)
        if not query.plain or '"' in what:      # (a quoted phrase too: the store's search reads words)
            found = _found_as_the_window_finds(store, what)
        else:
            # (as the window lists them: each album's discs in "CD1" and "CD2" folders without disc
            # tags, and a bonus track without a number, in their places; a track without tags
            # among the others by its folders' names, not first)
            # Every match put in that order before the first are kept: kept in the store's order,
            # the files without tags (which it puts first) took the places of the window's first.
            found = [row["id"] for row in library_order(
                store.tracks_matching(what, limit=None, columns=LIBRARY_ORDER_COLUMNS), Namer.of(store))]
        home = _away_home(store, what, store.away_tracks()) if not found and _looks_like_a_path(what) else None
        if home:
            print(f"segue play: nothing to play: {shown(what)} is on {shown(home)}, not connected now",
                  file=sys.stderr)
            return 1
        if not found and all(_looks_like_a_path(p) for p in args.what):
            # Written as paths (a folder in each, or a file's extension) with no file there:
            # each is named as a path not found, not the whole line as a search ("AC/DC" too
            # was searched for, and is said to be).
            for p in args.what:
                print(f"  cannot play {shown(p)}: no such file or folder", file=sys.stderr)
            print(f"segue play: nothing to play (nor does anything in the library match {what!r})", file=sys.stderr)
            return 1
        if not found:
            print(f"segue play: nothing in the library matches {what!r}",
                  file=sys.stderr)
            return 1
        found = _without_away(store, found, store.away_tracks())
        if not found:
            return 1
        ids = found[:SEARCH_PLAYS]
        if len(found) > len(ids):
            print(f"segue play: {len(found)} tracks match {what!r}: playing the first {len(ids)} in library "
                  f"order, {len(found) - len(ids)} more not played (more words find fewer)", file=sys.stderr)
    try:
        engine = create_engine(store, device=args.device, null=args.null)
    except AudioEngineError as exc:
        print(f"segue play: {exc} (--null plays without a sound card)", file=sys.stderr)
        return 1
    if engine.notice:
        print(f"segue play: {engine.notice}", file=sys.stderr)
    from player.library.names import Namer

    player = Player(store, engine)
    namer = Namer.of(store)
    done = threading.Event()
    results = {"finished": 0, "error": 0}
    gave_up = []
    # The song started whose sound is not heard yet, and its line: said once it is heard, as a
    # file that then cannot be opened or decoded was said to be playing, then not to play.
    starting: list[tuple[object, str]] = []
    said_lock = threading.Lock()        # (looked at from here and from the player's events)

    def quietly(fn, *args) -> None:
        try:
            fn(*args)
        except BrokenPipeError:
            # The reader went away (`segue play … | head -1`): nobody hears of the rest.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            done.set()

    def say_once_heard() -> None:
        with said_lock:
            if starting:
                entry, line = starting[0]
                source = engine.current
                if source is not None and source.token is entry and source.heard_frames:
                    starting.clear()
                    print(line, flush=True)

    def said(event: str, data: dict) -> None:
        with said_lock:
            tell(event, data)

    def tell(event: str, data: dict) -> None:
        if event == "track_started":
            starting[:] = [(data.get("entry"), f"playing: {_describe(store.track(data['track_id']), namer)}")]
        elif event == "track_ended":
            results[data["ended"]] = results.get(data["ended"], 0) + 1
            if starting and data.get("counted") and getattr(starting[0][0], "track_id", None) == data["track_id"]:
                print(starting.pop()[1], flush=True)        # (heard and over between two looks)
        elif event == "error":
            starting.clear()
            # (named once: the decoder's reason starts "cannot play <its name>: " itself)
            name = os.path.basename(data.get("path") or "")
            print(f"  cannot play {shown(name) or 'a track'}{shown(faults.after_name(data['message'], name))}",
                  file=sys.stderr, flush=True)
        elif event == "device_lost":
            print(f"segue play: {data['message']}", file=sys.stderr, flush=True)
            done.set()
        elif event == "gave_up":
            from player.plain_words import why_stopped

            print(f"segue play: stopped, {why_stopped(data)}", file=sys.stderr, flush=True)
            gave_up.append(data)
            done.set()
        if event in ("track_ended", "state_changed") and player.current_track_id is None and not player.queue:
            done.set()

    player.add_listener(lambda event, data: quietly(said, event, data))
    player.play_tracks(ids, source="cli")
    stop_at = None if args.seconds is None else time.monotonic() + args.seconds
    try:
        while not done.wait(0.05 if stop_at is None else min(0.05, max(0.0, stop_at - time.monotonic()))):
            quietly(say_once_heard)
            if stop_at is not None and time.monotonic() >= stop_at:
                break
    except KeyboardInterrupt:
        print()
    finally:
        player.close()
        store.close()
    # A failure only where nothing was heard (stopped by --seconds or Ctrl-C while a song
    # played, it was heard), or where the player gave up.
    heard = sum(n for ended, n in results.items() if ended != "error")
    return 1 if gave_up or (results["error"] and not heard) else 0
