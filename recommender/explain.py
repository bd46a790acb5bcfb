"""Short human reasons for a recommended track ("sounds like X", "often after Y").

Reasons are facts about the person's own history and the catalogue, checked
against thresholds, never invented: a reason that does not hold is not shown.
Context strings: ``"radio:<track id>"``, ``"after:<track id>"``, ``"discover:<bucket>"``
or ``""``.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from recommender.genres import MORE_TO_DISCOVER, UNTAGGED, genre_in_sentence
from segue_common.listening import FUTURE_SLACK_S
from segue_common.normalize import same_length

SOUNDS_LIKE = 0.75        # cosine of content embeddings above which "sounds like" holds
SAME_YEARS = 3           # a station's song of another genre this many years from its seed is "from the same years"


_STARS = {4: "four", 5: "five"}


def stars_said(given) -> str:
    """The reason a song's stars from another player give (``given``: its stars, None or NaN
    for none): four and five count as plays of a favourite, and lift it; "" for the others."""
    try:
        stars = int(np.round(float(given))) if given is not None and np.isfinite(float(given)) else 0
    except (TypeError, ValueError, OverflowError):
        stars = 0
    return f"you gave it {_STARS[stars]} stars" if stars in _STARS else ""


def _context_row(rec, context: str) -> int:
    kind, _, value = context.partition(":")
    if kind in ("radio", "after") and value.strip().lstrip("-").isdigit():
        return rec.catalog.row(int(value))
    return -1


def _listened_taste(rec) -> np.ndarray:
    """Mean sound of what the person listened to (log-weighted by plays); zeros without plays.

    Not ``rec.taste_e``, which also points away from skipped tracks: a person who only
    skipped has no taste a reason may call "what you play".
    """
    cat = rec.catalog
    derived = getattr(rec, "_derived", {})
    cached = derived.get("listened_taste")
    if cached is not None and cached[0] is cat.play_count:
        return cached[1]
    played = np.flatnonzero(cat.play_count > 0)
    v = np.log1p(cat.play_count[played]).astype(np.float32) @ rec.E[played] if len(played) else \
        np.zeros(rec.E.shape[1], np.float32)
    norm = float(np.linalg.norm(v))
    v = v / norm if norm > 0 else np.zeros(rec.E.shape[1], np.float32)
    derived["listened_taste"] = (cat.play_count, v)
    return v


def _play_sums(rec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Listened plays per artist and per genre bucket, and the played rows, most played
    first (equal counts in row order), for the current plays.

    Every reason reads them; counting them over the whole catalogue for each one made
    Discover's reasons take seconds where a library has a thousand genre tags (a row of
    tracks per genre, each reason scanning every track two or three times). The counts
    are whole numbers, so these sums are the same as counting one artist's rows.
    """
    cat = rec.catalog
    derived = getattr(rec, "_derived", {})
    cached = derived.get("play_sums")
    if cached is not None and cached[0] is cat.play_count:
        return cached[1]
    count = cat.play_count
    played = np.flatnonzero(count > 0)
    sums = []
    for codes, names in ((cat.artist, cat.artist_names), (cat.bucket, cat.bucket_names)):
        known = played[codes[played] >= 0]
        sums.append(np.bincount(codes[known], weights=count[known], minlength=len(names)))
    if hasattr(rec, "genre_plays"):
        # A genre's plays count its untagged songs on its albums, as ranking and Discover's
        # rows count them: its caption said "new to you" of a genre played every day.
        sums[1] = rec.genre_plays(count)
    ranked = played[np.argsort(-count[played], kind="stable")]
    derived["play_sums"] = (count, (sums[0], sums[1], ranked))
    return sums[0], sums[1], ranked


def _song_plays(rec, row: int) -> int:
    """Listened plays of the song at ``row`` in any of its copies (same normalised artist and
    title, lengths within ``SAME_RECORDING_S``: an album's FLAC and its phone copy in MP3, its
    remaster on a best-of): "you played it" counts the song, not the file played."""
    cat = rec.catalog
    recording = getattr(rec, "_recording", None)
    derived = getattr(rec, "_derived", {})
    # The copies of each song among the tracks ever played, kept with the tracks (the
    # copies ``with_plays`` makes share it) and grown by the tracks played for the first
    # time: gathering them again over every played track each time a song was logged cost
    # 40 ms each Up next at 500,000 plays. The counts are read from the plays of now.
    seen, songs = derived.get("song_copies") or (np.zeros(cat.n, bool), {})
    new = np.flatnonzero((cat.play_count > 0) & ~seen)
    if len(new):
        seen, songs = seen.copy(), dict(songs)      # a new value: other threads read the old one
        seen[new] = True
        if recording is not None:
            for r in new.tolist():
                key = recording(r)
                if key is not None:
                    songs[key] = [*songs.get(key, ()), (float(cat.duration[r]), r)]
        derived["song_copies"] = (seen, songs)
    key = recording(row) if recording is not None else None
    if key is None or key not in songs:
        return int(cat.play_count[row])
    d = float(cat.duration[row])
    return sum(int(cat.play_count[r]) for o, r in songs[key] if same_length(d, o))


def isolate(name: str) -> str:
    """``name`` set apart for the Unicode bidirectional algorithm (FIRST STRONG ISOLATE ...
    POP DIRECTIONAL ISOLATE) where it has right-to-left letters. In "you played فيروز 12
    times" the number was taken in with the Arabic name and shown on its far side; isolated,
    the name reads right to left inside a sentence that stays in order. A name without such
    letters is left as it is."""
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in name):
        return f"\u2068{name}\u2069"
    return name


def _label(cat, row: int) -> str:
    return cat.label(row, isolate)


def _whose(cat, row: int) -> str:
    """The row's artist as a reason names it: "Nina Simone", or "songs from Soundtracks"
    where the track has no artist tag and its "artist" is the album or folder it is in."""
    name = isolate(cat.artist_names[cat.artist[row]])
    return f"songs from {name}" if cat.artist_is_guessed(row) else name


def _by(cat, row: int) -> str:
    name = isolate(cat.artist_names[cat.artist[row]])
    return f"from {name}" if cat.artist_is_guessed(row) else f"by {name}"


def _named(cat, bucket: int) -> bool:
    """Whether ``bucket`` is a genre a reason may name: "No genre tag" is none."""
    return bucket >= 0 and cat.bucket_names[bucket] != UNTAGGED


def _genre(cat, row: int) -> bool:
    """Whether the row's genre bucket is one a reason may name: "No genre tag" is none."""
    return _named(cat, int(cat.bucket[row]))


# "you played it n times in the last 7 days": the seven days up to the latest play, not the
# app's "this week" (from the local Monday), which a reason on a Monday would contradict.
LATELY_S = 7 * 86400


def _evidence_says(rec, row: int, evidence: tuple | None) -> str:
    """The reason a song in Up next's later places is there, from what put it there
    (``Recommender._fused_evidence``: ``(kind, session row, count)``), said only where the
    plays bear it out; "" otherwise. Said, the person sees the song the vote or the rules
    took it from, not only "rock, from your library"."""
    if not evidence:
        return ""
    cat = rec.catalog
    kind, other, n = evidence
    if kind == "lately":
        p = cat.plays
        now = float(getattr(rec, "now", 0.0) or p.started_at.max(initial=0.0))
        # (not a play logged under a clock set ahead, which ``now`` leaves out too)
        lately = int(np.count_nonzero((cat.play_rows == row) & (cat.play_feedback > 0)
                                      & (p.started_at > now - LATELY_S) & (p.started_at <= now + FUTURE_SLACK_S)))
        return f"you played it {lately} times in the last 7 days" if lately >= 2 else ""
    if other < 0 or other == row or int(cat.play_count[other]) <= 0:
        return ""
    if kind == "after":
        label = _label(cat, other)
        return f"often played after {label}" if n >= 2 else f"you played it soon after {label}"
    if kind == "sessions" and n >= 1:
        return f"played in the same sessions as {_label(cat, other)}" if n >= 2 \
            else f"played in a session with {_label(cat, other)}"
    return ""


def explain_row(rec, row: int, context: str = "", evidence: tuple | None = None) -> str:
    """The best one or two reasons for catalogue row ``row`` (see module doc).

    Every reason that speaks of the person's plays counts listened plays (an early skip
    is not one), so a library with no plays gets reasons about the music only.
    ``evidence``: what put the row in Up next's later places, said first where the plays
    bear it out (:func:`_evidence_says`).
    """
    cat = rec.catalog
    reasons: list[str] = []
    by_artist, by_bucket, ranked = _play_sums(rec)
    ctx = _context_row(rec, context)
    first = _evidence_says(rec, row, evidence)
    if first:
        reasons.append(first)
    # A loved artist's new song is offered for being new (``Recommender.new_release``): said
    # first, else it read as one more song of theirs, "also by X".
    new = getattr(rec, "new_release", None)
    if not first and new is not None and new[row]:
        reasons.append("new in your library")
    # (after what it followed, what came just before it is said already)
    if ctx >= 0 and ctx != row and not first.startswith(("often played after", "you played it soon after")):
        after = cat.transitions[ctx, row] if cat.transitions is not None else 0
        if after >= 2:
            reasons.append(f"often played after {_label(cat, ctx)}")
        elif cat.album_next is not None and cat.album_next[ctx] == row:
            reasons.append(f"next on the album after {_label(cat, ctx)}")
        elif float(rec.E[ctx] @ rec.E[row]) >= SOUNDS_LIKE:
            reasons.append(f"sounds like {_label(cat, ctx)}")
        elif cat.album[ctx] >= 0 and cat.album[ctx] == cat.album[row]:
            reasons.append(f"from the same album as {_label(cat, ctx)}")
        elif cat.artist[ctx] >= 0 and cat.artist[ctx] == cat.artist[row]:
            reasons.append(f"also {_by(cat, row)}")
        elif _genre(cat, ctx) and cat.bucket[ctx] == cat.bucket[row]:
            reasons.append(f"{isolate(genre_in_sentence(cat.bucket_names[cat.bucket[row]]))}, like {_label(cat, ctx)}")
        elif not _genre(cat, row) and _named(cat, _kin_genre(rec, row)) and _kin_genre(rec, row) == _ranked(rec, ctx):
            # A song of no genre tag on a rock album ranks as rock after a rock song (the genre
            # it is taken for, see ``Recommender.genre``); it said nothing of why it was there.
            # Said with what it is taken for by: its own tags name no genre.
            reasons.append(_kin_says(cat, row, _kin_genre(rec, row), _label(cat, ctx)))
        elif context.startswith("radio:") and _genre(cat, row) and cat.bucket[ctx] >= 0 and not _genre(cat, ctx) \
                and hasattr(rec, "_station_genre") and rec._station_genre(ctx) == cat.bucket[row]:
            # A station from a song of no genre tag keeps to the genre of its artist's or its
            # album's other songs; said so, the listener sees why it plays pop, and from what.
            genre = isolate(genre_in_sentence(cat.bucket_names[cat.bucket[row]]))
            a_ctx = cat.artist[ctx]
            if a_ctx >= 0 and (cat.bucket[cat.artist == a_ctx] == cat.bucket[row]).any():
                reasons.append(f"{genre}, like {_whose(cat, ctx)}'s other songs"
                               if not cat.artist_is_guessed(ctx) else f"{genre}, like the other {_whose(cat, ctx)}")
            else:
                reasons.append(f"{genre}, like the album {_label(cat, ctx)} is on")
        elif context.startswith("radio:") and cat.year is not None \
                and abs(float(cat.year[row]) - float(cat.year[ctx])) <= SAME_YEARS:
            # A station holds records of the same years together: a song of another genre it
            # plays (its own used up) is often there for that, and said only "Electronic,
            # from your library", nothing of the song the station is from.
            same = cat.year[row] == cat.year[ctx]
            reasons.append(f"from {int(cat.year[row])}, like {_label(cat, ctx)}" if same
                           else f"from the same years as {_label(cat, ctx)}")
        elif context.startswith("radio:") and _genre(cat, row) and hasattr(rec, "_station_genre") \
                and _named(cat, rec._station_genre(ctx)) and rec._station_genre(ctx) != cat.bucket[row]:
            # A song of another genre and another time than the station's seed: the station
            # plays it as a change, its own genre's songs used up or spaced out. It said only
            # "Folk, from your library", as if it had nothing to do with the station. (Not "a
            # change on the radio": Up next's line says "Radio: " before it already, and it
            # was the longest of the reasons that name the seed, whose name goes first when
            # the line is cut short. A station from a song of no genre tag, its artist's and
            # album's untagged too, keeps to no genre: nothing it plays is a change from one.)
            genre = isolate(genre_in_sentence(cat.bucket_names[cat.bucket[row]]))
            reasons.append(f"{genre}, for a change from {_label(cat, ctx)}")
    n_track = _song_plays(rec, row)
    if n_track >= 3:
        reasons.append(f"you played it {n_track} times")
    # Four or five stars given in another player count as plays of a favourite (the ranker's
    # ``RATED_PLAYS``): on a library with few plays here they are why it is suggested, and
    # without saying so the pick read as chance.
    starred = stars_said(cat.rating[row]) if cat.rating is not None else ""
    if starred and len(reasons) < 2:
        reasons.append(starred)
    a = cat.artist[row]
    named = False
    chosen = int(cat.chosen_artist_plays[row]) if cat.chosen_artist_plays is not None else 0
    if a >= 0 and len(reasons) < 2 and chosen >= 2 and cat.offered_share >= 0.5:
        # Someone who mostly lets Segue choose: the artists they still put on themselves
        # are why Up next comes back to them.
        reasons.append(f"you put on {_whose(cat, row)} yourself {chosen} times")
    elif a >= 0 and len(reasons) < 2:
        n_artist = int(by_artist[a])
        if n_artist >= 3 and n_artist > n_track:
            reasons.append(f"you played {_whose(cat, row)} {n_artist} times")
            named = True
    elsewhere = int(cat.outside_listened[row]) if cat.outside_listened is not None else 0
    # Not where the artist's plays were counted already: the imported plays of the library's
    # songs are among those, and "you played X 78 times · you played X 94 times in your
    # imported history" reads as two counts of one thing that disagree.
    if a >= 0 and len(reasons) < 2 and not named and elsewhere >= 3 and float(rec.outside[row]) > 0:
        reasons.append(f"you played {_whose(cat, row)} {elsewhere} times in your imported history")
    sound = bool(rec.E[row].any())
    # One "sounds like" is enough: "sounds like A · sounds like B, which you play" says the
    # same thing twice. Nor is it a song by the artist just named: "you played X 28 times ·
    # sounds like a song by X" adds nothing to the first reason.
    if len(reasons) < 2 and sound and not any(r.startswith("sounds like") for r in reasons):
        # The 200 most played rows other than this one (it is among the first 201 if at all).
        top = ranked[:201]
        top = top[top != row]
        if named:
            top = top[cat.artist[top] != a]
        top = top[:200]
        if len(top):
            sims = rec.E[top] @ rec.E[row]
            best = int(sims.argmax())
            if sims[best] >= SOUNDS_LIKE and top[best] != ctx:
                reasons.append(f"sounds like {_label(cat, top[best])}, which you play")
    heard = getattr(rec, "heard_last", cat.last_played)      # (of the song, in any of its files)
    if not reasons and heard[row] == 0 and sound \
            and float(rec.E[row] @ _listened_taste(rec)) > 0.5:
        reasons.append("new to you, and close to what you play")
    # A track of no genre tag is of no genre a reason can name ("No genre tag, which you played
    # 28 times"); and in Discover the row's heading names the genre already: on every tile of
    # it, "jazz, from your library" said nothing, fourteen times.
    if not reasons and _genre(cat, row) and not context.startswith("discover:"):
        b = cat.bucket[row]
        heard = int(by_bucket[b])
        name = isolate(genre_in_sentence(cat.bucket_names[b]))
        reasons.append(f"{name}, which you played {heard} times" if heard >= 3 else f"{name}, from your library")
    elif not reasons and _named(cat, _kin_genre(rec, row)) and not context.startswith("discover:"):
        reasons.append(_kin_says(cat, row, _kin_genre(rec, row)))
    if not reasons and not context.startswith("discover:"):
        # Nothing above speaks for it (no genre tag, an artist heard once or twice): a pick
        # with no reason at all looked like a mistake. What is true of it, then: the few
        # plays of it or its artist, here or in the imported history.
        n_artist = int(by_artist[a]) if a >= 0 else 0
        skipped = int(cat.outside_skipped[row]) if cat.outside_skipped is not None else 0
        if n_artist > n_track:
            reasons.append(f"you played {_whose(cat, row)} {_times(n_artist)}")
        elif a >= 0 and elsewhere > n_track and elsewhere > skipped:
            # (not an artist the history skipped more than it heard: those listens are the
            # person turning away from it, no reason it is here)
            reasons.append(f"you played {_whose(cat, row)} {_times(elsewhere)} in your imported history")
        elif n_track > 0:
            reasons.append(f"you played it {_times(n_track)}")
    return " · ".join(reasons[:2])


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _kin_genre(rec, row: int) -> int:
    """The genre bucket a song of no genre tag is taken for (its album's, else its artist's;
    ``Recommender.genre``); -1 for a tagged song, or where none is known."""
    genre = getattr(rec, "genre", None)
    if genre is None or _genre(rec.catalog, row):
        return -1
    return int(genre[row])


def _ranked(rec, row: int) -> int:
    """The genre bucket ``row`` ranks as: its own, or the one it is taken for."""
    genre = getattr(rec, "genre", None)
    return int(genre[row]) if genre is not None and genre[row] >= 0 else int(rec.catalog.bucket[row])


def _kin_says(cat, row: int, bucket: int, after: str = "") -> str:
    """Why a song of no genre tag is of genre ``bucket``: "rock, like its album", or "rock,
    like A's other songs" where it is taken for its artist's genre (its album's other
    songs are untagged too, or it is on a compilation and its artist's songs are tagged).
    After a song of the genre (``after``, its label) that song goes first, "rock, like
    Stone Road — Granite and its album": Up next's line is cut short at its end, and cut
    after "its album and" it no longer said which song."""
    genre = isolate(genre_in_sentence(cat.bucket_names[bucket]))
    a, album = cat.artist[row], cat.album[row]
    on_album = album >= 0 and bool((cat.bucket[cat.album == album] == bucket).any())
    by_artist = a >= 0 and bool((cat.bucket[cat.artist == a] == bucket).any())
    if by_artist and (not on_album or len(np.unique(cat.artist[cat.album == album])) > 1):
        kin = f"{_whose(cat, row)}'s other songs" if not cat.artist_is_guessed(row) else f"the other {_whose(cat, row)}"
    else:
        kin = "its album"
    return f"{genre}, like {after} and {kin}" if after else f"{genre}, like {kin}"


#: the caption of Discover's shared row: true of all it may hold (many genres of a song or
#: two, or two genres of one artist each with five songs apiece, which "a song or two from
#: each of many genres" misdescribed)
MORE_CAPTION = "songs of the genres with no row of their own"


def genre_captions(rec, buckets) -> dict[str, str]:
    """What Discover's row of each genre in ``buckets`` says of it beside its heading, once
    for the row: how often the person listened to it ("you played it 88 times", early skips
    not counted), or "new to you" where never. Its tiles leave the genre to it. None for a
    name that is no genre ("No genre tag") or not in the catalogue. The row of small genres
    says what it is."""
    cat = rec.catalog
    by_bucket = _play_sums(rec)[1]
    code = {name: b for b, name in enumerate(cat.bucket_names)}
    out = {}
    for bucket in buckets:
        b = code.get(bucket)
        if bucket == MORE_TO_DISCOVER and b is None:
            out[bucket] = MORE_CAPTION
            continue
        if b is None or bucket == UNTAGGED:
            continue
        out[bucket] = plays_caption(int(by_bucket[b]))
    return out


def plays_caption(heard: int) -> str:
    """A genre's caption by its listened plays (see :func:`genre_captions`)."""
    return "new to you" if not heard else "you played it once" if heard == 1 else f"you played it {heard:,} times"
