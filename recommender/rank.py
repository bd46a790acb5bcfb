"""The three surfaces (Up next, Radio, Discover) and their reasons, over a :class:`Catalog`.

Pure numpy, no Qt and no player imports. Every call is a handful of
matrix-vector products over precomputed unit-norm matrices plus one
``argpartition``, so it stays within milliseconds at 50,000 tracks.

Scores from different sources (audio similarity, CF similarity, the person's
models, the session model) are standardised over the catalogue before they are
blended. The blend moves from priors + audio to the person's own models as
listened plays accumulate: ``trust = plays / (plays + trust_half)``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from recommender.catalog import Catalog, _of_rows, _unit_rows
from recommender.explain import explain_row
from recommender.genres import (
    DISCOVER_RECENT_S, DISCOVER_SKIPPED_REST_S, MIN_ROW, UNTAGGED, arrange_rows, is_spoken, pooled_heading,
)
from recommender.stars import one_star_unwanted
from recommender.whole_works import whole_works
from segue_common.listening import FUTURE_SLACK_S, LONG_FACTOR, LONG_FLOOR_S, SHORT_FRACTION
from segue_common.normalize import SAME_RECORDING_S, known_copy_order, recording_key, same_length

log = logging.getLogger(__name__)

RUN_PULL = 0.75    # Up next: extra pull towards the current artist, times the person's run rate above the prior
RUN_FOLLOW = 0.15  # Up next: from this run rate on, an artist may follow itself
# Someone who keeps offers by the artist they are listening to more readily than others
# (``Recommender.artist_stay``, log-odds) gets, per unit of it, this much more pull towards
# the current artist at full trust, and runs as if this much more of their moves stayed.
STAY_PULL = 8.0
STAY_RUN = 0.5
# Someone who skips Segue's offers of songs they listened to lately more than its other
# offers (``Recommender.replay_keep``, log-odds) gets this much more push against what they
# just played, per unit of it.
REPLAY_PUSH = 2.0
# Someone who mostly lets Segue choose tells it what they love by what they still pick
# themselves: Up next pulls towards the artists they pick (log 1 + such plays) and,
# more, towards the ones they picked in this session, times the share of their latest
# plays that Segue offered (nothing for someone who picks everything: for them every
# play is a pick, and their artists are already the taste).
CHOSEN_ARTISTS = 1.0
CHOSEN_NOW = 2.0
# Up next: how many times one batch is scored again where an album played in order ends or
# begins inside it (each costs one more scoring of the catalogue).
ALBUM_TURNS = 4
# ...and someone who goes on to an album's next track at least this share of the times they
# stay on it (``Recommender.album_order``) plays albums in order: where Up next goes on with
# the album of the track before, its tracks come in the album's order, none passed over.
ALBUM_IN_ORDER = 0.5
FALLBACK_FULL_TRUST = 0.02   # Up next: share of the cold-start blend (sound, taste...) at full trust
# Up next, when the session has gone to a genre the person had never listened to before
# it and their taste ranks low (a Rock song put on by someone who has played only Jazz):
# what they chose now says more than their past, and taste keeps this share of its
# weight, a tie-breaker...
AWAY_TASTE = 0.05
# ...and where nothing the person did before speaks of the session, its sound, factors
# and genre weigh as they do before any play, up to this many times their weight.
AWAY_LIFT_MAX = 4.0
# Up next's signals from the person's own past around the session's tracks.
OWN_EVIDENCE = ("sequence", "neighbours", "together", "artists_together")
# Up next's signals that speak of the person whatever the session plays (what they love,
# play lately, put on themselves, just heard): after a song by an artist they had never
# played that they just put on, its genre outweighs all of them together, and their own
# evidence around the session too (``_new_artist_lead``).
PERSON_EVIDENCE = ("taste", "recent", "artist_taste", "chosen_artists", "fresh")
# Up next and Radio take the person's habit of hearing an artist several times an hour as
# if this many listened plays of the default limit came first.
HABIT_PRIOR_PLAYS = 50
RADIO_OWN = 4.0    # Radio: weight of the person's own evidence around the seed (Up next's blend of it)
RADIO_STEER_SKIPS = 12   # Radio: its latest picks whose skips count towards its steer (``radio``)
# Radio: an artist comes back only after this many songs by others while others are left (a
# station that played its two best artists in turns, A B A B, sounded stuck from the start)...
RADIO_APART = 2
# ...but in its first few songs one other song is enough, as long as no two artists take
# turns (A B A, never A B A B): people's own sessions often go back to the seed's artist
# at once, and keeping it two songs off put the songs they did play lower.
RADIO_OPENING = 4
# Radio: the most of a station's latest songs its hourly limit per artist looks back over
# (an hour of songs a minute long; ``_pick`` counts back an hour of them by their lengths).
RADIO_HOUR_SONGS = 60
# Radio for someone who stays with an artist (runs, several plays of one an hour): a station
# still mixes. An artist other than the seed's follows itself at most once (two in a row) and
# comes at most ``RADIO_HABIT_HOUR`` times an hour whatever the habit; the seed's artist, what
# was asked for, up to three in a row (the seed's album going on after it) and as often an
# hour as the habit says. Their long album runs are Keep it going's (Up next keeps the whole
# habit). With the habit's eight an hour for every artist and no limit on runs, a station from
# one artist's song, for someone who plays albums, played their favourite four times in a row
# and then the seed's artist five times. Held tighter (the seed's artist to two in a row or
# six an hour, or every artist to three or four an hour), the stations found fewer of the
# songs people went on to play, and found them later.
RADIO_RUN = 2
RADIO_HABIT_HOUR = 3
# Listening in other players (an imported history), by artist (``_outside_taste``): its
# weight in the taste beside the artists played here, and in Discover and Radio while
# the plays are few (they lean on taste only as far as they trust the plays).
OUTSIDE_ARTIST = 0.3
OUTSIDE_DISCOVER = 0.5
OUTSIDE_RADIO = 0.25
DAY = 86400.0
#: A song just added to the library, never heard, by one of the artists the person plays
#: most (``Recommender.new_release``): a new album of theirs is news the person wants to
#: hear. Without a lift, the plays of the albums they already know outweighed it wherever
#: their past counts (Radio and Up next from one of that artist's songs offered none of it).
NEW_RELEASE_S = 28 * DAY          # new for four weeks after it came in (or until heard)
NEW_RELEASE_AFTER_FIRST_S = DAY   # the tracks of the library's first scan are not news
NEW_RELEASE_TOP_ARTISTS = 10      # among the person's ten most played artists...
NEW_RELEASE_MIN_PLAYS = 10        # ...with this many listened plays at least
NEW_RELEASE_SKIPS = 2             # the artist's new songs skipped this often, more than heard: no more
# A track Segue offered and the person skipped early n times since they last heard it is
# pushed down in their taste by this much of log(1 + n - 1) (a single skip says little)...
TIRED = 0.8
#: The listened plays a song's stars count as, where the person rated it in another player
#: (4 and 5 stars; 1-3 say nothing either way): taste before Segue has heard a play, as the
#: person's own favourites. Each also lifts the song itself (``RATED_LIFT`` standard
#: deviations of taste per log1p of those plays), as a song played through is lifted.
RATED_PLAYS = {4: 2.0, 5: 4.0}
RATED_LIFT = 1.0
#: ...all the stars together count as this many listened plays at most: someone who gave half
#: their library five stars (many rate only what they love) said less of each song than one
#: who gave it to a few, and at full weight those songs were the whole of Up next...
RATED_TOTAL = 60.0
#: ...and they weigh half once the person has listened to this many plays here (a third at
#: twice that): what they play now outweighs stars given years ago, in another player.
RATED_FADE_PLAYS = 200.0
# ...and from this many on, Radio plays it only when nothing else is left.
TIRED_SKIPS = 3
# After how many half-lives a play weighs nothing in what the person plays lately: 2 ** -1100
# is zero as a double (the least is 2 ** -1074), so leaving such plays out changes no sum.
RECENT_LIMIT = 1100
# How a skip reshapes what follows (``_skip_penalty``), in units of ``RankConfig.skip_push``.
ARTIST_SKIP = 0.5      # per early skip of the artist in this session (counted up to SKIP_CAP)
ALBUM_SKIP = 0.4       # per early skip of the album, on top of the artist's
SKIP_CAP = 6
STREAK_GROWTH = 0.5    # each skip in a row after the first adds half the push again (times the person's)...
STREAK_MAX = 6         # ...up to this many in a row
STREAK_SAME = 3        # ...and this many skips of one artist (album) in it push that artist fully, for anyone
STREAK_AWAY = 0.6      # a streak also pushes away from what its skips have in common (sound, genre)
# Skips whose neighbourhood push is kept (``Recommender._skip_penalty``): the six latest
# skips in two spaces, for Up next and a station at once, with room to spare; about 25 kB
# each at 100,000 tracks. 0 keeps none: each worked out where it is used, as before they
# were kept (the baseline benchmarks/bench_refill.py times beside them).
SKIP_PUSHES_KEPT = 64
# A genre whose last STREAK_SAME songs in this session were all skipped early, listened songs
# of other genres between them, is pushed down as a streak of that many would push it.
GENRE_REFUSED = STREAK_AWAY * (STREAK_SAME - 1)
#: A track this long is never a stinger, whatever the person plays: someone whose first
#: plays are hour-long mixes would otherwise have every ordinary song called short.
SHORT_CAP_S = 90.0
MIN_PLAYS_FOR_LENGTH = 10   # listened plays before the person's own lengths replace the library's
#: Up next's order-free session vote (``Recommender._vote_scores``): of the this many most
#: recent past sessions that share a track with the session, this many most alike vote.
VOTE_SAMPLE = 500
VOTE_K = 100
#: Up next's evidence, each a score per track (:meth:`Recommender.up_next_signals`),
#: blended with weights that follow the trust in the person's plays, or with the weights
#: the last training fitted to this person (recommender/calibrate.py).
SIGNALS = ("sound", "factors", "taste", "genre", "sequence", "neighbours", "together", "session", "recent", "fresh",
           "artist", "artists_together", "album", "artist_taste", "chosen_artists", "chosen_now")


class RankError(ValueError):
    """A surface was called with arguments it cannot use (e.g. k < 0)."""


@dataclass
class Models:
    """What trained models contribute, aligned with the catalogue's rows.

    item_factors : [shape=(n, f)] WMF item factors (local where trained, priors elsewhere):
        they score the person's WMF taste only; similarity stays on the catalogue's priors
    person : [shape=(f,)] the person's WMF factor vector (aggregate row folded in)
    autorec : [shape=(n,)] AutoRec's reconstruction of the person's row
    session : ``fn(prefix_rows [shape=(m,)]) -> scores [shape=(n,)]`` next-track model
    """

    item_factors: np.ndarray | None = None
    person: np.ndarray | None = None
    autorec: np.ndarray | None = None
    session: Callable[[np.ndarray], np.ndarray] | None = None
    info: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)   # per model 0..1 (held-out lift); missing = 1

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, 1.0))


@dataclass
class RankConfig:
    trust_half: float = 30.0          # listened plays at which own models weigh half
    max_per_artist_hour: int = 2      # Up next: same artist at most this often per hour
    follow_rate: float = RUN_FOLLOW   # Up next: from this run rate on, an artist may follow itself
    habit_spacing: bool = True        # Up next and Radio: an artist as often an hour as the person plays one
    radio_own: float = RADIO_OWN      # Radio: weight of the person's own evidence around the seed
    recent_s: float = DISCOVER_RECENT_S  # Discover: "not played recently"
    skipped_rest_s: float = DISCOVER_SKIPPED_REST_S  # Discover: a song skipped early there, not heard since
    radio_drift: float = 0.3          # how far the station centre follows what was kept
    # A station's listener can only answer it by skipping. Its steer is this much per early
    # skip in a row just now, plus this much per skip among its latest ``RADIO_STEER_SKIPS``
    # picks (so it fades as picks are kept): what ties a pick to the seed (its sound and
    # factors, genre, artist, album) then weighs 1 + steer times as much, and the person's
    # overall taste and own evidence around the seed 1 / (1 + steer) times. A station nobody
    # skips is unchanged.
    radio_streak_steer: float = 1.0
    radio_skip_steer: float = 0.5
    skip_push: float = 2.0            # weight of "away from skipped neighbourhoods"
    # A skip pushes the skipped track's artist and album down as much as this person's skips
    # say: by how much less often the artist comes back in the next few listened plays of
    # the session after a skip than after a listen (``Catalog.artist_returns``), their
    # skips counted with this many more after which it never does (a full push at first).
    skip_return_prior_n: float = 20.0
    neighbourhood: float = 0.02       # share of the library that is a skip's neighbourhood
    repeat_push: float = 0.06         # Up next: weight against tracks played lately...
    repeat_half_life_s: float = 2 * DAY   # ...halving every two days
    candidates: int = 400             # shortlist size before spacing rules
    # Up next's default weights (before a training fits them to the person, calibrate.py),
    # found on validation periods carved from the training part of half of the shared
    # people's logs (recommender/SESSIONS.md): at full trust, what past sessions like this
    # one played near its tracks counts most, then what followed these tracks before and
    # the current artist; replays of the last days a little; taste, sound and CF factors
    # break ties (they move what the person plays next little once their sessions speak).
    sequence_weight: float = 1.0      # Up next: weight of what follows what (sequential rules)
    session_blend: float = 0.0        # Up next: the session model's weight, relative to the transitions'
    neighbour_weight: float = 2.0     # Up next: weight of what past sessions like this one played next
    neighbour_k: int = 100            # ...from this many of the most similar past sessions
    neighbour_step: float = 4.0       # ...a play this many places further weighs 1/e as much
    neighbour_age_s: float = 60 * DAY  # ...a session this much older weighs 1/e as much
    together_weight: float = 0.25     # Up next: weight of what those sessions held anywhere in them
    artists_together_weight: float = 0.2   # Up next: weight of the artists played in sessions with this one's
    # Up next: pull towards the tail's album, times how often this person stays on an album
    # from one track to the next (``Recommender.album_run``): people who play albums through.
    album_weight: float = 4.0
    album_run_prior_n: float = 20.0   # ...that share counts this many transitions of another album first
    # ...and, where the album's order is known (track numbers), towards the tracks after the
    # tail in that order, the next one most, as much more as the person goes on to an album's
    # next track when they stay on it (``Recommender.album_order``).
    album_order_prior_n: float = 5.0  # ...that share counts this many transitions elsewhere on the album first
    neighbour_idf: bool = True        # ...votes for tracks in fewer sessions count more (inverse session frequency)
    recent_weight: float = 0.06       # Up next: weight of what the person has been playing lately...
    recent_half_life_s: float = 2 * DAY   # ...each play counting half after this long
    artist_weight: float = 0.25       # Up next: pull towards the tail's artist at full trust
    # Up next's places after its first ``tail_head`` follow a reciprocal-rank fusion of its
    # own order with the order-free session vote's (``Recommender._vote_scores``): a place
    # counts ``1 / (tail_rrf + place)`` in each list, the vote's times ``tail_vote`` for
    # someone with no past sessions, fading in a straight line to nothing at
    # ``tail_sessions`` of them. While a person's sessions are few Up next's first picks
    # are its best guesses, but further down the songs that recur with these in their
    # sessions, whatever the order, find the next song more often than its own later
    # places; blending the vote into the scores themselves moved the first picks too.
    # The first places, and everyone past ``tail_sessions``, rank exactly as without it.
    # (The app fills its queue ten at a time: with a head of 8 the last two of each batch
    # come from the fusion; a head of 10 or more would never reach the queue.)
    tail_head: int = 8
    tail_rrf: float = 3.0
    tail_vote: float = 1.0
    tail_sessions: float = 300.0
    weights: dict | None = None       # Up next: signal weights fitted to this person (replace the defaults)
    # Up next: corrections to the default weights learned from what this person kept or
    # skipped of Segue's offers (recommender/personal.py), added to them.
    weight_deltas: dict | None = None
    # How often this person follows a track with one by the same artist is learned from
    # their sessions (``Recommender.artist_run``), starting from this prior worth this
    # many transitions; Up next follows that habit (see ``up_next``).
    artist_run_prior: float = 0.1
    artist_run_prior_n: float = 20.0
    # How much more readily this person keeps an offer by the artist they are listening to
    # than another offer (``Recommender.artist_stay``): both keep rates start from this many
    # offers at their overall keep rate, and the difference is taken this many standard
    # errors nearer 0, so a handful of offers moves it little.
    stay_prior_n: float = 10.0
    stay_margin: float = 0.5


def _z(x: np.ndarray | None) -> np.ndarray | float:
    """Standardise scores over the catalogue (0 where there is no signal)."""
    if x is None:
        return 0.0
    x = np.asarray(x, np.float32)
    if x.size == 0:
        return x
    sd = float(x.std())
    # Clipped: one model's outliers (AutoRec's reconstruction of tracks already played)
    # must not outvote every other signal.
    return np.clip((x - float(x.mean())) / sd, -3.0, 3.0) if sd > 1e-9 else np.zeros_like(x)


def _alternate(score: np.ndarray, first: np.ndarray, group: np.ndarray,
               last: np.ndarray | None = None) -> np.ndarray:
    """Scores that order each ``group`` (a genre's rows) as ``first`` and the others taken in
    turns, each in its own order of ``score``, ``first`` leading: the best of one kind, the
    best of the other, the second of the one... Where a group holds one kind only, its order
    is that of ``score``. Rows of ``last`` (of neither kind) come after all of both, in their
    order of ``score``. Rows scored -inf stay out. [shape=(n,)] float32"""
    n = len(score)
    kind = np.where(np.asarray(first, bool), 0, 1)
    if last is not None:
        kind[np.asarray(last, bool)] = 2
    order = np.lexsort((-np.asarray(score, np.float64), kind, group))
    g, o = group[order], kind[order]
    starts = np.r_[True, (g[1:] != g[:-1]) | (o[1:] != o[:-1])] if n else np.zeros(0, bool)
    idx = np.arange(n)
    rank = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    out = np.empty(n, np.float32)
    out[order] = -np.where(o < 2, 2.0 * rank + o, 2.0 * n + rank)
    out[~np.isfinite(score)] = -np.inf
    return out


def _place_in_group(score: np.ndarray, group: np.ndarray, artist: np.ndarray) -> np.ndarray:
    """Each row's place among its artist's rows of its ``group`` by ``score``, best first (0);
    0 for a row of no known artist. [shape=(n,)] int64"""
    n = len(score)
    order = np.lexsort((-np.asarray(score, np.float64), artist, group))
    g, a = group[order], artist[order]
    starts = np.r_[True, (g[1:] != g[:-1]) | (a[1:] != a[:-1])] if n else np.zeros(0, bool)
    idx = np.arange(n)
    place = np.empty(n, np.int64)
    place[order] = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    place[artist < 0] = 0
    return place


def _context(m: np.ndarray, rows: np.ndarray, decay: float = 0.6) -> np.ndarray:
    """Recency-weighted mean of rows of ``m`` (newest last), unit norm. [shape=(d,)]"""
    if len(rows) == 0:
        return np.zeros(m.shape[1], np.float32)
    w = decay ** np.arange(len(rows))[::-1]
    v = (w[:, None] * m[rows]).sum(0)
    nv = np.linalg.norm(v)
    return (v / nv).astype(np.float32) if nv > 0 else v.astype(np.float32)


class Recommender:
    """Up next, Radio, Discover and explanations for one person's catalogue.

    Parameters
    ----------
    catalog : Catalog (its play log is the person's history)
    models : Models trained from that history, or None (priors + audio only)
    """

    def __init__(self, catalog: Catalog, models: Models | None = None, *,
                 config: RankConfig | None = None, now: float | None = None):
        self.catalog = catalog
        self.models = models or Models()
        if config is None:   # what the last training fitted to this person (recommender/calibrate.py)
            fitted = self.models.info.get("metrics") or {}
            config = RankConfig()
            if fitted.get("upnext_sequence_weight") is not None:
                config = replace(config, sequence_weight=float(fitted["upnext_sequence_weight"]),
                                 session_blend=float(fitted.get("upnext_session_blend", config.session_blend)),
                                 repeat_push=float(fitted.get("upnext_repeat_push", config.repeat_push)))
            if isinstance(fitted.get("upnext_weight_deltas"), dict):
                config = replace(config, weight_deltas={k: float(v) for k, v in fitted["upnext_weight_deltas"].items()
                                                        if k in SIGNALS})
            if isinstance(fitted.get("upnext_weights"), dict):
                config = replace(config, weights={k: float(v) for k, v in fitted["upnext_weights"].items()
                                                  if k in SIGNALS})
        self.config = config
        self.E = catalog.embedding
        # Which tracks are alike is read from the prior factors (learned from many people).
        # Factors a local WMF fitted to one person's few hundred plays place every track
        # they never played by chance, so as similarity they make Up next worse the more
        # often it trains. The local WMF's part is its score of the person's taste,
        # computed once here (n floats, not an n x f array).
        raw = np.asarray(catalog.factors, np.float32)
        self.F = _unit_rows(raw)
        items = self.models.item_factors
        if items is not None and items.shape[0] != catalog.n:
            raise RankError(f"item_factors has {items.shape[0]} rows for {catalog.n} tracks")
        self._wmf = None
        if self.models.person is not None and items is not None:
            self._wmf = np.asarray(items, np.float32) @ np.asarray(self.models.person, np.float32)
        # Cold-start popularity: tracks matched to a pretrained item carry a larger prior factor.
        self.prior_pop = _z(np.sqrt(np.einsum("ij,ij->i", catalog.factors, catalog.factors)))
        # Both by space, track and neighbourhood size: a copy given other settings (the research
        # tools rank one recommender's copies under each variant) shares them.
        self._neighbourhoods: dict[tuple[str, int, int], tuple[float, float]] = {}
        # Each recent skip's push on its neighbourhood, as (rows, push) of the rows it reaches:
        # a skip's push is the same on every refill after it (the tracks do not change while
        # this is shared), and working it out again took a pass over the whole library per
        # skip and per space, a third of Up next after a skip at 100,000 tracks.
        self._skip_pushes: dict[tuple[str, int, int], tuple[np.ndarray, np.ndarray]] = {}
        # Derived from the tracks (shared with the copies ``with_plays`` makes, whose tracks
        # are the same): recording keys, and the short tracks for the current plays.
        self._derived: dict = {}
        self._sample = np.sort(np.random.default_rng(0).permutation(catalog.n)[:4096])
        self.bucket_rows = [np.flatnonzero(catalog.bucket == b) for b in range(len(catalog.bucket_names))]
        # Each track's genre for ranking: its bucket, but -1 (not known) for the songs of no
        # genre tag. Discover gives them a row of their own, yet they share no sound or kind:
        # taken for one genre, an untagged song made every other untagged song "the same
        # genre" to stay in, three untagged skips refused them all, and the fall-backs to a
        # song's artist where its genre is not known never ran in the app.
        # An untagged song on a tagged album (or by an artist whose other songs are tagged)
        # takes the genre they are tagged with (``_inferred_genre``), wherever a genre is read:
        # the genre signal alone after it pulled towards its album's genre while the "new
        # ground" check and the taste figures went by its artist, and over-boosted it.
        self.genre = catalog.bucket
        if UNTAGGED in catalog.bucket_names:
            self.genre = self._inferred_genre(catalog)
        self.refresh(now=now)

    def _gone_parts(self, codes: np.ndarray, known: np.ndarray, col: int, size: int) -> tuple:
        """Per code, the plays heard of the songs gone from the library and their taste
        (``Catalog.gone`` from column ``col``): the most its tracks say, as a song without a
        genre tag ranks in its album's genre but has no count of its own. They change only
        with the tracks, so they are worked out once and shared with the copies
        ``with_plays`` makes (at 100,000 tracks, 27 ms of every refresh otherwise)."""
        key = ("gone", col)
        cached = self._derived.get(key)
        if cached is None or cached[0] is not codes:
            gone = self.catalog.gone[known]
            heard, up, down = np.zeros(size), np.zeros(size), np.zeros(size)
            np.maximum.at(heard, codes[known], gone[:, col])
            np.maximum.at(up, codes[known], np.maximum(gone[:, col + 1], 0))
            np.minimum.at(down, codes[known], np.minimum(gone[:, col + 1], 0))
            cached = self._derived[key] = (codes, heard, up + down)
        return cached[1], cached[2]

    @staticmethod
    def _inferred_genre(cat: Catalog) -> np.ndarray:
        """Per track, the genre bucket it ranks as: its own; for a song of no genre tag, the
        genre most of the other songs of its album are tagged with, else those of its artist
        (on an album of several artists, a compilation, its artist's first: a jazz band's song
        on a mostly soul compilation is still jazz); -1 where none of them is tagged. Ties go
        to the first genre bucket."""
        untagged = cat.bucket == cat.bucket_names.index(UNTAGGED)
        genre = np.where(untagged, -1, cat.bucket).astype(cat.bucket.dtype)
        if not untagged.any():
            return genre
        tagged = genre >= 0
        n_genres = len(cat.bucket_names)

        def majority(codes: np.ndarray) -> np.ndarray:
            # Each group's most tagged genre (-1: none), by group code (-1 last: no group).
            m = int(codes.max(initial=-1)) + 1
            out = np.full(m + 1, -1, np.int64)
            on = tagged & (codes >= 0)
            if on.any():
                pairs, counts = np.unique(codes[on].astype(np.int64) * n_genres + genre[on], return_counts=True)
                group, g = pairs // n_genres, pairs % n_genres
                best = np.lexsort((g, -counts, group))
                first = np.ones(len(best), bool)
                first[1:] = group[best][1:] != group[best][:-1]
                out[group[best][first]] = g[best][first]
            return out[codes]

        by_album, by_artist = majority(cat.album), majority(cat.artist)
        # An album of several artists: its artist codes differ (an unknown artist counts as one).
        m = int(cat.album.max(initial=-1)) + 1
        on = cat.album >= 0
        low = np.full(m + 1, np.iinfo(np.int64).max)
        high = np.full(m + 1, np.iinfo(np.int64).min)
        np.minimum.at(low, cat.album[on], cat.artist[on])
        np.maximum.at(high, cat.album[on], cat.artist[on])
        mixed = on & (cat.artist >= 0) & (low[cat.album] != high[cat.album])
        first, then = np.where(mixed, by_artist, by_album), np.where(mixed, by_album, by_artist)
        return np.where(untagged, np.where(first >= 0, first, then), genre).astype(cat.bucket.dtype)

    def genre_plays(self, counts: np.ndarray) -> np.ndarray:
        """``counts`` (per track) summed per genre bucket by the genre each track ranks as
        (``genre``): an untagged song on a tagged album counts for its album's genre; one whose
        genre is not known, for the bucket of no genre tag, whose row Discover keeps."""
        cat = self.catalog
        codes = np.where(self.genre >= 0, self.genre, cat.bucket)
        known = codes >= 0
        return np.bincount(codes[known], weights=counts[known], minlength=len(cat.bucket_names))

    def compact(self) -> "Recommender":
        """Let go of the raw factor arrays (the catalogue's priors, the WMF item factors) now
        that they are folded into ``F``, the WMF taste score and ``prior_pop``: a process that holds
        the recommender for hours keeps one n x f array instead of three. Ranking is
        unchanged; a compacted recommender cannot take new models (build a new one from a
        fresh catalogue). Returns self."""
        import copy

        catalog = copy.copy(self.catalog)
        catalog.factors = None
        models = copy.copy(self.models)
        models.item_factors = None
        self.catalog, self.models = catalog, models
        return self

    def with_plays(self, plays, *, now: float | None = None) -> "Recommender":
        """This recommender over another play log, as a new object; this one is untouched.

        For a service whose other threads may be ranking with this one: the catalogue and
        the recommender are shallow copies whose play-derived fields are replaced, never
        edited in place (``Catalog.set_plays`` and :meth:`refresh` assign new arrays), so
        the embeddings, factors and models stay shared. Milliseconds, as :meth:`refresh`.
        """
        import copy

        catalog = copy.copy(self.catalog)
        catalog.set_plays(plays)
        new = copy.copy(self)
        new.catalog = catalog
        new.refresh(now=now)
        return new

    # -- the person's taste -------------------------------------------------
    def refresh(self, *, now: float | None = None) -> None:
        """Recompute taste vectors after the catalogue's plays changed (milliseconds)."""
        cat, cfg = self.catalog, self.config
        if now is None:
            # The latest play, but none ahead of the clock: one logged under a clock set years
            # ahead (kept in the store, left out of the Listening charts) made every real play
            # years old, and nothing was recent any more.
            t = cat.plays.started_at
            now = t[t <= time.time() + FUTURE_SLACK_S].max(initial=0) or 0.0
        self.now = float(now)
        pos, neg = cat.play_count, cat.skip_count
        rated = self._rated_plays()
        listened = cat.n_listened + float(rated.sum())
        self.trust = float(listened / (listened + cfg.trust_half))
        w = np.log1p(pos + rated) - 1.5 * np.log1p(neg)
        idx = np.flatnonzero(w)
        wi = w[idx].astype(np.float32)
        self.taste_e = _unit_rows((wi @ self.E[idx])[None])[0]
        self.taste_f = _unit_rows((wi @ self.F[idx])[None])[0]
        personal = 0.6 * _z(self.E @ self.taste_e) + 0.4 * _z(self.F @ self.taste_f)
        # Genre bucket and artist affinity: what the person plays minus what they skip.
        # The artists' part is also a signal of its own (``artist_taste``).
        self.artist_taste = np.zeros(cat.n, np.float32)
        # What the person turns away from: tracks skipped more than heard, and those of a
        # genre or an artist whose skips outweigh its plays. And how far they have been
        # where a track is: the listened plays of its genre (where that is not known, of its
        # artist).
        self.shunned = neg > pos
        genre = self.genre
        # What only the listened plays decide (how far the person has been in each genre and
        # artist) is kept for the counts it came from: a skip leaves them as they were
        # (``Catalog.set_plays`` keeps the same array), and each refresh after one counted
        # them over the whole library again.
        charted = self._derived.get("charted")
        charted = charted[1] if charted is not None and charted[0] is pos else None
        fill_charted = charted is None
        self.charted = np.zeros(cat.n, np.float32) if fill_charted else charted
        for codes, weight in ((genre, 0.5), (cat.artist, 0.3)):
            of = self._code_parts(codes)
            if of is not None:
                known, at, size, fill, filled, _ = of
                aff = np.bincount(at, weights=w[known], minlength=size)
                if fill_charted:
                    heard = np.bincount(at, weights=pos[known], minlength=size)
                if cat.gone is not None:
                    # The plays of the genre's and artist's songs the library no longer has
                    # (deleted, unreadable) are the person's taste still: without them, someone
                    # whose played songs all went got Up next from anywhere in the library.
                    gh, gt = self._gone_parts(codes, known, 0 if codes is cat.artist else 2, len(aff))
                    aff = aff + gt
                    if fill_charted:
                        heard = heard + gh
                spread = aff[np.maximum(codes, 0)]
                self.shunned |= known & (spread < 0)
                if fill_charted:
                    self.charted[fill] = heard[filled]
                part = np.asarray(_z(np.where(known, spread, 0.0)), np.float32)
                personal = personal + weight * part
                if codes is cat.artist:
                    self.artist_taste = part
        if fill_charted:
            self._derived["charted"] = (pos, self.charted)
        self.outside = self._outside_taste()
        personal = personal + OUTSIDE_ARTIST * self.outside
        self.elsewhere_trust = self._elsewhere_trust()
        if self._wmf is not None:
            personal = personal + self.models.weight("wmf") * self._fixed_z("wmf", self._wmf)
        if self.models.autorec is not None:
            personal = personal + 0.5 * self.models.weight("autorec") * self._fixed_z("autorec", self.models.autorec)
        # A track the person skipped early more often than they heard it is pushed down itself,
        # and so is one skipped each time Segue offered it since it was last heard: a song once
        # loved, now turned away from whenever it comes up, whatever its plays of old. A
        # station (whose pull comes from the seed and the plays around it, old ones too) keeps
        # such a song for when nothing else is left.
        tired = np.log1p(np.maximum(cat.skips_since_heard - 1, 0))
        self.tired_of = cat.skips_since_heard >= TIRED_SKIPS
        # ...both pushed down in Up next's own order; the session vote of its later places,
        # which counts only sessions, would lift them back (``up_next``): it gives them nothing.
        worn = (neg >= TIRED_SKIPS) & (neg > pos)
        self.skipped_out = self.tired_of | (worn & ~self._heard_since_skip(worn))
        # A track skipped early the last two times or more it came up, and more often than heard:
        # an album played in order goes on past it, as the person does ("never track 7"). One
        # skip says little; heard through since (put on by hand, say), it is one they listen to
        # again; and one heard once long ago and skipped every time since is skipped as surely
        # as one never heard. Skipped early the last three times or more, with no listen
        # between, it goes whatever its plays of old: a favourite of years they are now tired
        # of is passed over as they pass it over, where one or two hurried skips are not.
        often = (neg >= 2) & (neg > pos)
        since = cat.any_skips_since_heard
        self.always_skipped = (often & (since >= 2)) | (since >= TIRED_SKIPS)
        personal = _z(personal) - 0.8 * np.log1p(np.maximum(neg - pos, 0)) - TIRED * tired
        if rated.any():
            personal = personal + RATED_LIFT * np.log1p(rated)
        self.personal = personal.astype(np.float32)
        # How the taste ranks what is where a track is: the mean taste of its genre's tracks
        # (where that is not known, of its artist's).
        self.ground_taste = np.zeros(cat.n, np.float32)
        for codes in (genre, cat.artist):
            of = self._code_parts(codes)
            if of is not None and len(of[4]):
                _, _, size, fill, filled, count = of
                total = np.bincount(filled, weights=self.personal[fill], minlength=size)
                self.ground_taste[fill] = (total / count)[filled]
        # The artists the person puts on themselves (``CHOSEN_ARTISTS``), where plays say who chose.
        self.chosen_artists = np.log1p(cat.chosen_artist_plays) if cat.offered_share > 0 else None
        # A person whose offers say they welcome runs of an artist gets them, though their
        # own moves (which follow what was offered) do not show it yet.
        self.artist_run = self._artist_run_rate()
        self.artist_hour = self._artist_hour()
        self.artist_stay = self._artist_stay()
        self.replay_keep = self._replay_keep()
        if self.artist_stay > 0:
            self.artist_run = max(self.artist_run, min(0.9, cfg.artist_run_prior + STAY_RUN * self.artist_stay))
        same, pairs = cat.album_runs
        self.album_run = float(same / (pairs + cfg.album_run_prior_n))
        # What goes beyond chance: someone who shuffles within an album goes on to its
        # next track now and then, without following its order.
        same, pairs, chance = cat.album_order_runs
        self.album_order = float(max(0.0, same - chance) / (pairs - chance + cfg.album_order_prior_n))
        self.skip_artist_push = self._skip_artist_push()
        self.new_release = self._new_release()
        last = self._last_played()
        # Discover's "played" and "played lately" are of the song, in any of its files: one
        # played last month from its single took a never-played song's turn on its album.
        self.heard_last = cat.by_recording(last)
        self.recently_played = (self.heard_last > 0) & (self.now - self.heard_last < cfg.recent_s)
        # 1 just played, fading with a half-life: Up next keeps replays for later.
        played = np.flatnonzero(last > 0)
        self.freshness = np.zeros(cat.n, np.float32)
        age = np.maximum(self.now - last[played], 0.0)
        self.freshness[played] = np.exp2(-age / cfg.repeat_half_life_s)
        # What the person has been playing lately: every listened play, halving with age.
        p = cat.plays
        rows, fb = cat.play_rows, cat.play_feedback
        # (not the plays older than 1,100 half-lives: each weighs exactly 0.0, below the least
        # double, and in a long history they were most of the 25 ms this took each song)
        # (nor those ahead of now: no age can be given them, and as of none they weighed as
        # plays of this moment until the clock caught up, as they did for "just played")
        heard = ((rows >= 0) & (fb > 0) & (p.started_at > self.now - RECENT_LIMIT * cfg.recent_half_life_s)
                 & (p.started_at <= self.now + FUTURE_SLACK_S))
        decay = np.exp2(-np.maximum(self.now - p.started_at[heard], 0.0) / cfg.recent_half_life_s)
        self.recent = np.log1p(np.bincount(rows[heard], weights=decay, minlength=cat.n)).astype(np.float32)

    def _rated_plays(self) -> np.ndarray:
        """Per row, the listened plays its stars count as (``RATED_PLAYS``, within ``RATED_TOTAL`` and
        fading by ``RATED_FADE_PLAYS``). [shape=(n,)] float32"""
        stars = self.catalog.rating
        out = np.zeros(self.catalog.n, np.float32)
        if stars is not None:
            for given, plays in RATED_PLAYS.items():
                out[np.round(np.nan_to_num(stars)) == given] = plays
            total = float(out.sum())
            if total > 0:
                out *= min(1.0, RATED_TOTAL / total) * RATED_FADE_PLAYS / (RATED_FADE_PLAYS + self.catalog.n_listened)
        return out

    def _unwanted(self, never: Sequence[int]) -> np.ndarray:
        """The rows no suggestion may hold: ``never`` (the tracks the person asked never to be
        suggested), and before them the songs rated one star in another player that the person
        has not listened to here since, and those rated one star here. Their one star says they
        do not want it offered; a play through here says that has changed, unless the star was
        given here (after the play). Nothing else leaves them out: they are listed, searched
        and played as any other. [shape=(m,)] int64"""
        rows = self._rows(never)
        hated = one_star_unwanted(self.catalog.rating, self.catalog.play_count, own_one=self.catalog.rated_here_one)
        return np.concatenate([hated, rows]) if len(hated) else rows

    def _code_parts(self, codes: np.ndarray) -> tuple | None:
        """For genre or artist ``codes`` (per track, -1 unknown), what each refresh reads of
        them: which tracks have one, their codes, how many codes, and the tracks whose
        ``charted`` they fill (every one with a genre; for the artist, those without) with
        their codes, and how many tracks it fills per code (at least 1). None where no track
        has one. They change only with the tracks, so they are worked out once and shared
        with the copies ``with_plays`` makes."""
        key = ("code parts", codes is self.catalog.artist)
        cached = self._derived.get(key)
        if cached is None or cached[0] is not codes or cached[1] is not self.genre:
            known = codes >= 0
            parts = None
            if known.any():
                fill = known if codes is self.genre else known & (self.genre < 0)
                size = int(codes.max()) + 1
                parts = (known, codes[known], size, fill, codes[fill],
                         np.maximum(np.bincount(codes[fill], minlength=size), 1))
            cached = self._derived[key] = (codes, self.genre, parts)
        return cached[2]

    def _fixed_z(self, name: str, scores: np.ndarray) -> np.ndarray:
        """``_z(scores)`` for a model's scores, which change only with the models: kept for them."""
        cached = self._derived.get(("z", name))
        if cached is None or cached[0] is not scores:
            cached = self._derived[("z", name)] = (scores, _z(scores))
        return cached[1]

    def _heard_since_skip(self, rows: np.ndarray) -> np.ndarray:
        """Per track, True where ``rows`` [shape=(n,)] bool holds it and its latest play with
        a signal was listened: a song skipped more often than heard, that the person then put
        on and heard through, is not one they are turning away from now. A listen Segue
        offered says nothing either way (it may have played to an empty room, as for the
        skips an artist's later listens take back); a skip of it still counts. Reads only
        the plays of those rows."""
        cat = self.catalog
        out = np.zeros(cat.n, bool)
        if not rows.any():
            return out
        r, fb = cat.play_rows, cat.play_feedback
        signal = (fb < 0) | ((fb > 0) & cat.play_chosen)
        at = np.flatnonzero((r >= 0) & rows[np.maximum(r, 0)] & signal)
        latest = np.full(cat.n, -1, np.int64)
        np.maximum.at(latest, r[at], at)        # plays are in time order
        has = latest >= 0
        out[has] = fb[latest[has]] > 0
        return out

    def _outside_taste(self) -> np.ndarray:
        """Per track, how much the person listens to its artist in other players: the rows
        heard minus those skipped, log-scaled (log(1 + heard - skipped), or -1.5 log(1 +
        skipped - heard) for an artist skipped more than heard, whom the person turns away
        from as from a track skipped more than heard), standardised over the catalogue;
        zeros without an imported history. [shape=(n,)] float32

        Not the logs of each count apart, as a track's own plays and skips are weighed: over
        all of an artist's rows, a share of skips that is only the habit of skipping on a
        streaming service (848 heard, 332 skipped) came out below an artist never heard.

        It weighs ``trust_half / (trust_half + plays)``, plays being the listened plays
        logged in Segue itself: what the person plays here is better evidence than another
        player's history, so the history fades as those grow. Imported plays do not make
        it fade (they are that same history).
        """
        cat = self.catalog
        heard, skipped = cat.outside_listened, cat.outside_skipped
        if heard is None or not (heard.any() or skipped.any()):
            return np.zeros(cat.n, np.float32)
        # (the imported flags the log keeps: comparing every source string again took 12 ms
        # each song at 500,000 plays)
        own = (cat.play_rows >= 0) & (cat.play_feedback > 0) & ~cat.plays.imported()
        half = self.config.trust_half
        fade = half / (half + float(own.sum()))
        # Kept for the history and the fade: a skip changes neither, and each refresh after
        # one worked it out over the whole library again.
        cached = self._derived.get("outside")
        if cached is not None and cached[0] is heard and cached[1] is skipped and cached[2] == fade:
            return cached[3]
        net = np.asarray(heard, np.float64) - np.asarray(skipped, np.float64)
        affinity = np.where(net >= 0, np.log1p(np.maximum(net, 0)), -1.5 * np.log1p(np.maximum(-net, 0)))
        out = (fade * _z(affinity)).astype(np.float32)
        self._derived["outside"] = (heard, skipped, fade, out)
        return out

    def _elsewhere_trust(self) -> float:
        """``trust`` counting the listening in other players as well: the listened plays
        logged here plus those of an imported history by the library's artists (heard, not
        skipped; each artist once), the history's plays the log holds counted once (with
        the history); never below ``trust``, which is what it is without a history."""
        cat = self.catalog
        heard = cat.outside_listened
        if heard is None or not heard.any():
            return self.trust
        # (the history's sum changes only with the tracks or a new import: kept for it)
        cached = self._derived.get("elsewhere")
        if cached is None or cached[0] is not heard or cached[1] is not cat.artist:
            known = np.flatnonzero(cat.artist >= 0)
            _, first = np.unique(cat.artist[known], return_index=True)
            cached = self._derived["elsewhere"] = (heard, cat.artist,
                                                   float(np.maximum(heard[known[first]], 0).sum()))
        here = float(np.count_nonzero((cat.play_rows >= 0) & (cat.play_feedback > 0) & ~cat.plays.imported()))
        n = here + cached[2]
        return max(self.trust, float(n / (n + self.config.trust_half)))

    def _popular(self, weight: float) -> np.ndarray:
        """The well-known songs' lift, ``weight`` at most, for Up next, Radio and Discover: they
        stand in for a taste not known yet and give way as it becomes known, to the plays here
        and to the listening in other players (``elsewhere_trust``). Given way to the plays
        here only, Radio and Discover for someone who had just imported years of another
        player's history leaned on the famous songs as for someone who had never played
        anything. [shape=(n,)] float32"""
        return weight * (1 - self.elsewhere_trust) * self.prior_pop

    # -- surfaces -----------------------------------------------------------
    def up_next(self, session_track_ids: Sequence[int], k: int, *, exclude: Sequence[int] = (),
                skipped: Sequence[int] = (), streak: int | None = None,
                never: Sequence[int] = (), heard_through: Sequence[int] | None = None,
                why: dict | None = None) -> list[tuple[int, float]]:
        """Next ``k`` tracks for the session (oldest first) as ``(track_id, score)``.

        Never repeats a session track or an excluded one (the queue, including what the
        user queued by hand; give it in queue order so spacing continues after its last
        track), keeps the same artist apart, and moves away from tracks skipped in this
        session (``skipped``, in the order they were skipped). ``streak``: early skips in a
        row just now (see ``_skip_penalty``); by default the session's own tail of skipped
        tracks (the app, whose session ends with the track now playing, says it). ``never``:
        tracks the person asked never to be suggested; left out, and nothing else.
        ``heard_through``: the session's tracks the person heard through and chose, in play order, which take
        back their artist's (album's) earlier skips (see ``_skip_penalty``); by default every
        session track not skipped. The app's session ends with the track playing now, not
        heard yet, so the app gives it.
        ``why``: where given, filled with ``{track id: evidence}`` for the picks of the later
        places that the fusion with the session vote chose (see ``_fused_evidence``), for
        their reasons; the picks are the same with it or without it.
        """
        self._check_k(k)
        cat = self.catalog
        sess = cat.rows(session_track_ids)
        sess = sess[sess >= 0]
        skip_rows = cat.rows(skipped)
        skip_rows = skip_rows[skip_rows >= 0]
        kept = sess[~np.isin(sess, skip_rows)]
        queued = self._rows(exclude)
        if streak is None:
            streak = 0
            for r in sess[::-1]:
                if not np.isin(r, skip_rows):
                    break
                streak += 1
        # ``never`` first: the picks remember the recordings of the last banned rows (their
        # other copies are not picked either), and the session's and queue's must stay among them.
        unwanted = self._unwanted(never)
        banned = np.concatenate([unwanted, sess, skip_rows, queued])
        history = np.concatenate([sess, queued])
        # An ordered ``exclude`` is the queue ahead: the new tracks follow it, so spacing does too.
        # Spacing follows the person: at the prior's 10% same-artist moves, at most two
        # tracks an hour per artist and never one after itself; someone who stays with an
        # artist for ``follow_rate`` of their moves or more gets runs, and up to twenty times
        # that share of plays of one an hour (a third: seven).
        run = self.artist_run
        # ...and one who plays an artist several times an hour may hear it that often here too.
        habit = self.artist_hour
        per_artist = max(self.config.max_per_artist_hour, int(round(run * 20)), habit)
        # Stingers and sound effects only when nothing else is left (unless the session is on
        # one), nor hour-long mixes and audiobook chapters between songs (unless on one).
        short = self._off_length(int(sess[-1]) if len(sess) else -1)
        # The new tracks follow the queue's tail, else the session's last kept one.
        tail = queued[-1] if len(queued) else (kept[-1] if len(kept) else -1)
        heard, out, turns = kept, [], ALBUM_TURNS

        refused = self._genres_refused(sess, skip_rows)

        # An artist or album skipped three times in the streak going on now, a genre the
        # session refuses, and a song skipped each time it was offered lately or skipped
        # more than heard: the session vote in Up next's later places lifts none of them.
        heard_rows = None if heard_through is None else self._rows(heard_through)
        skip_push = self._skip_penalty(skip_rows, streak, session=sess, heard=heard_rows)
        pushed = (np.asarray(refused) > 0) | self.skipped_out
        new_genre = self._new_artist_turn(kept, after=int(queued[-1]) if len(queued) else -1)
        if new_genre is not None:
            # (nor, after a song by a new artist the person put on, what the vote of the
            # session's earlier songs brings from outside its genre: see ``_new_artist_lead``)
            pushed = pushed | ~new_genre
        if streak >= STREAK_SAME:
            for codes in (cat.artist, cat.album):
                hit = codes[skip_rows[-streak:]]
                hit = np.unique(hit[hit >= 0], return_counts=True)
                pushed = pushed | np.isin(codes, hit[0][hit[1] >= STREAK_SAME])

        seen: dict = {}
        # (a name of its own: ``over`` below becomes the rows an album playing now leaves out,
        # before the scoring that reads this set of album codes runs)
        albums_over = self._albums_over(np.concatenate([sess, queued]))

        def score_for(heard: np.ndarray, tail: int) -> np.ndarray:
            signals = self.up_next_signals(heard, tail)
            if tail >= 0 and cat.album[tail] in albums_over:
                # An album the session played to its end is over: its pull (to the rest of it,
                # by its order) started it again from its first track, a replay nobody asked
                # for. What the person played after it before (sequence, sessions like this
                # one) still speaks, so someone who replays albums straight away gets it.
                signals.pop("album", None)
                if "artist" in signals:     # nor its artist's pull, which put its first track first
                    signals["artist"] = signals["artist"] & (cat.album != cat.album[tail])
            if why is not None:         # kept for the reasons of the fused picks: no second scoring
                seen["signals"] = signals
            # (the session's own latest song says it, for the whole batch: scored again after
            # an album played in order now, or after an album's turn, the tail is a pick not
            # played yet, and Up next went back to the favourites of other genres)
            score = self._blend(signals) + self._new_artist_lead(new_genre, signals)
            if not len(heard):
                # (given way to the plays here only, someone who had just imported years of
                # another player's history got the library's famous artists first, above the
                # ones that history was full of: see ``_popular``)
                score = score + self._popular(0.3)
            return self._new_in_turns(score - skip_push - refused, banned)

        # An album being played in order right now goes on to its end first, in its order
        # and with its interludes, whatever the spacing: that is what the person is doing,
        # whatever their habits say. The rest of the batch follows on from its last track.
        taken_back = self._resumed(cat.album, sess, skip_rows, heard_rows) if len(sess) else ()
        rest, playing, done = self._album_playing(np.concatenate([sess, queued]), skip_rows, banned, k,
                                                  taken_back=taken_back, always_skipped=self.always_skipped)
        if playing >= 0:
            # The album's tracks the person always skips stay out of the rest of the batch too:
            # once the album is over, its next track by the album's order was the closing one
            # they never hear; where it hands the batch back at once, the ranker's album order
            # offered the very tracks they skip each time. Where it stops at them (``done``),
            # the whole album does: the ranker went on with its disc never played, or back to
            # its first tracks, right after the ones they stop at. (First: the picks remember
            # the recordings of the last banned rows.)
            over = (cat.album == playing) if done else self.always_skipped & (cat.album == playing)
            banned = np.concatenate([np.flatnonzero(over), banned])
        if len(rest):
            score = score_for(heard, tail)
            out = [(int(cat.track_ids[r]), float(score[r])) for r in rest]
            heard = np.concatenate([kept, queued, rest])
            banned, history = np.concatenate([banned, rest]), np.concatenate([history, rest])
            tail, turns = int(rest[-1]), turns - 1
        for turn in range(turns + 1):
            if len(out) >= k:
                break
            # (the batch so far counts: an album it went on with to its end is over too)
            albums_over = self._albums_over(history)
            ended = tail >= 0 and cat.album[tail] in albums_over
            before = np.concatenate([heard, queued]) if len(heard) == len(kept) else heard
            if ended and not self._replays_after_end(tail, before, banned):
                # An album heard to its end is over, and the person does not go back into it
                # right after its end: past sessions that held more of it (their votes fading
                # with the distance from its last track) offered its other tracks backwards,
                # the one before the end first, as the next thing to hear.
                banned = np.concatenate([np.flatnonzero(cat.album == cat.album[tail]), banned])
            elif self._plays_in_order(tail):
                # Its picks come in its order: where that reaches a run of tracks the person
                # always skips and is done with the album at, it hands over there, as the
                # album played in order now does (first: the picks remember the last banned).
                banned = np.concatenate([self._album_handed_over(tail), banned])
            last = short
            if short is not None and self._plays_in_order(tail):
                # An album's interludes still to come are no stingers: its picks come in its
                # order, each in its place. One before the tail is: an album entered at its
                # fourth track went on past its end and back, its two-second intro after
                # four of its songs.
                last = short.copy()
                last[self._album_after(tail)] = False
            score = score_for(heard, tail)
            got = self._pick_fused(score, heard, k - len(out), self.config.tail_head - len(out),
                                   banned, history=history, per_artist=per_artist,
                                   follow=run >= self.config.follow_rate, last=last,
                                   follow_album=self.album_run >= self.config.follow_rate, pushed=pushed,
                                   why=why, signals=seen.get("signals"), said_of=kept)
            got = self._album_in_order(tail, got, score, banned, before, over=ended, why=why)
            cut = self._album_turn(tail, got) if turn < turns else len(got)
            out += got[:cut]
            if cut >= len(got):
                break
            # The batch is scored against one tail. Where an album played in order ends (or
            # another begins) inside it, the rest is scored again as if what comes before
            # had been heard: what the person plays after that album, then the next
            # album's order, rather than the finished album's earlier tracks.
            taken = cat.rows([t for t, _ in got[:cut]])
            if len(heard) == len(kept):
                heard = np.concatenate([heard, queued])
            heard, banned, history = (np.concatenate([a, taken]) for a in (heard, banned, history))
            tail = taken[-1]
        return self._whole_works(out, np.concatenate([sess, queued]), unwanted)

    def _pick_fused(self, score: np.ndarray, heard: np.ndarray, k: int, head: int, banned: np.ndarray, *,
                    history: np.ndarray, pushed: np.ndarray | None = None, why: dict | None = None,
                    signals: dict | None = None, said_of: np.ndarray | None = None,
                    **rules) -> list[tuple[int, float]]:
        """``_pick``'s ``k`` rows for Up next, the first ``head`` of them by ``score`` and the
        rest by its fusion with the order-free session vote around ``heard`` (``tail_head``).

        The rest are picked by ``_pick`` too, after the first ones, with the same bans,
        spacing and short-track rules, so the fused places never repeat a recording nor
        bring a stinger that ``score`` alone would not. Each pick keeps its ``score``.
        ``pushed`` [shape=(n,)] bool: what the session's skips push down in ``score``; the
        vote, which knows nothing of them, gives these nothing (else a song by an artist
        just skipped three times in a row came back at the vote's top place). ``why``: filled
        with the evidence of each fused pick (``_fused_evidence``), from ``signals`` (those
        ``score`` was blended from) where Up next's own order put it there, and told of the
        songs ``said_of`` (those of the session heard; by default ``heard``): past an album's
        turn ``heard`` also holds the queue and the batch's earlier picks, not heard yet, and a
        reason naming one would speak of a song the person has not played this session."""
        share = self._tail_vote_share()
        if share <= 0 or head >= k or not len(heard):
            return self._pick(score, k, banned, history=history, **rules)
        vote = self._vote_scores(heard)
        if not (vote > 0).any():
            return self._pick(score, k, banned, history=history, **rules)
        # (the first ones as the whole list would have them: ``_pick`` shortlists by ``k``,
        # so asking it for ``head`` alone may pick others)
        got = self._pick(score, k, banned, history=history, **rules)[:head] if head > 0 else []
        taken = self.catalog.rows([t for t, _ in got])
        banned, history = np.concatenate([banned, taken]), np.concatenate([history, taken])
        c = float(self.config.tail_rrf)
        tie = self._tiebreak()
        s = np.array(score, np.float64, copy=True)
        s[banned.astype(np.int64)] = -np.inf
        fused = np.zeros(self.catalog.n, np.float64)
        # Up next's places beyond a few times what ``_pick`` shortlists count nothing (a
        # full sort of a large library took longer than the rest of the call).
        order = np.flatnonzero(np.isfinite(s))
        m = max(4 * self.config.candidates, 20 * (k - len(got)))
        if m < len(order):
            order = order[np.argpartition(-s[order], m - 1)[:m]]
        order = order[np.lexsort((tie[order], -s[order]))]
        fused[order] = 1.0 / (c + np.arange(1, len(order) + 1))
        own = fused.copy() if why is not None else None
        voted = (vote > 0) & np.isfinite(s)
        if pushed is not None:
            voted &= ~pushed
        voted = np.flatnonzero(voted)
        voted = voted[np.lexsort((tie[voted], -vote[voted]))]
        fused[voted] += share / (c + np.arange(1, len(voted) + 1))
        fused[~np.isfinite(s)] = -np.inf
        # (the vote knows only songs played before: a new one of a loved artist keeps its
        # turns with the artist's known ones in the fused order too)
        fused = self._new_in_turns(fused, banned)
        rest = self._pick(fused, k - len(got), banned, history=history, **rules)
        if why is not None:
            w = self.up_next_weights()
            for t, _ in rest:
                r = self.catalog.row(t)
                # The larger of its two parts put it there: the vote's, or Up next's own order.
                from_vote = fused[r] - own[r] > own[r]
                evidence = self._fused_evidence(r, heard if said_of is None else said_of,
                                                None if from_vote else signals, w)
                if evidence is not None:
                    why[t] = evidence
        return got + [(t, float(score[self.catalog.row(t)])) for t, _ in rest]

    def _fused_evidence(self, row: int, heard: np.ndarray, signals: dict | None,
                        weights: dict | None = None) -> tuple | None:
        """What put ``row`` in one of Up next's fused places, for its reason, as
        ``(kind, session row, count)``; None where it is nothing the person's plays show.

        ``signals`` None: the session vote, so the session's track (of its last 20 heard)
        it shared the most past sessions with: ``("sessions", that row, sessions)``.
        Otherwise the strongest of Up next's own weighted signals for it: the sequential
        rules, ``("after", the one of the last three heard it followed most, times it
        came right after)``; the neighbour sessions as the vote; what the person has been
        playing lately, ``("lately", row, 0)``. Any other strongest signal (sound, taste,
        its album or artist...) is left to the reasons that speak of those. Only counts
        of plays are read here, for the few fused picks of a refill. ``weights``: the
        signals' (``up_next_weights``), where the caller has them."""
        cat = self.catalog
        kind = "sessions"
        if signals is not None:
            w = weights if weights is not None else self.up_next_weights()
            best, kind = 0.0, None
            for name, v in signals.items():
                part = float(w.get(name, 0.0)) * float(v[row])
                if part > best:
                    best, kind = part, name
            kind = {"sequence": "after", "neighbours": "sessions", "together": "sessions",
                    "recent": "lately"}.get(kind)
            if kind is None:
                return None
        if kind == "lately":
            return ("lately", int(row), 0)
        if kind == "after":
            last = heard[-3:][::-1]
            f = cat.follows
            weight = [float(f[int(a), int(row)]) for a in last]
            if not weight or max(weight) <= 0:
                return None
            a = int(last[int(np.argmax(weight))])
            n = int(cat.transitions[a, int(row)]) if cat.transitions is not None else 0
            return ("after", a, n)
        S = cat.sessions
        recent = heard[-20:][::-1]
        if S is None or not S.shape[0] or not len(recent):
            return None
        cols = self._session_columns()
        with_row = cols.indices[cols.indptr[row]:cols.indptr[row + 1]]
        if not len(with_row):
            return None
        shared = np.asarray(self._session_binary()[with_row][:, recent].sum(axis=0)).ravel()
        best = int(np.argmax(shared))          # ties: the latest heard
        if shared[best] <= 0 or int(recent[best]) == row:
            return None
        return ("sessions", int(recent[best]), int(shared[best]))

    def _session_columns(self) -> sp.csc_matrix:
        """``Catalog.sessions`` as 0/1 by track (the sessions each track is in), made when a
        reason first asks and cached for the catalogue's current plays."""
        S = self.catalog.sessions
        cached = getattr(self, "_columns", None)
        if cached is None or cached[0] is not S:
            self._columns = (S, self._session_binary().tocsc())
        return self._columns[1]

    def _tail_vote_share(self) -> float:
        """Weight of the order-free session vote in Up next's fused places for this person:
        ``tail_vote`` with no past sessions, falling in a straight line to 0 at
        ``tail_sessions`` of them (0 too where the weight is 0: the vote is then never
        computed)."""
        cfg, s = self.config, self.catalog.sessions
        if cfg.tail_vote <= 0 or cfg.tail_sessions <= 0:
            return 0.0
        n = 0 if s is None else s.shape[0]
        return cfg.tail_vote * max(0.0, 1.0 - n / cfg.tail_sessions)

    def _genres_refused(self, sess: np.ndarray, skip_rows: np.ndarray) -> np.ndarray | float:
        """The push down of the genres the person keeps refusing in this session: those whose
        last ``STREAK_SAME`` songs in ``sess`` were all skipped early. A skip's own push reaches
        only its neighbourhood, and a streak's its genre, so someone who listens on and skips
        every song of one genre as it comes was offered it again all evening (each skip
        followed by a listen ends the streak). [shape=(n,)] float32, or 0.0"""
        cat = self.catalog
        if len(skip_rows) < STREAK_SAME:
            return 0.0
        buckets = self.genre[sess]
        was_skipped = self._skipped_plays(sess, skip_rows)
        refused = np.zeros(len(cat.bucket_names), bool)
        for b in np.unique(buckets[was_skipped & (buckets >= 0)]):
            last = was_skipped[buckets == b][-STREAK_SAME:]
            refused[b] = len(last) == STREAK_SAME and bool(last.all())
        if not refused.any():
            return 0.0
        hit = np.where(self.genre >= 0, refused[np.maximum(self.genre, 0)], False)
        return (self.config.skip_push * GENRE_REFUSED * hit).astype(np.float32)

    @staticmethod
    def _skipped_plays(sess: np.ndarray, skip_rows: np.ndarray) -> np.ndarray:
        """Which plays of ``sess`` were skipped, the skips matched to them in their order: a
        song skipped early and played again and heard through later in the session counts
        as heard then. Skips out of the session's order mark every play of their songs."""
        out = np.zeros(len(sess), bool)
        j = 0
        for i, r in enumerate(sess.tolist()):
            if j < len(skip_rows) and r == skip_rows[j]:
                out[i], j = True, j + 1
        return out if j == len(skip_rows) else np.isin(sess, skip_rows)

    def _album_playing(self, order: np.ndarray, skip_rows: np.ndarray, banned: np.ndarray, k: int, *,
                       taken_back=(), always_skipped: np.ndarray | None = None) -> tuple[np.ndarray, int, bool]:
        """The rest of the album (up to ``k`` rows, by disc and track number, skipping what
        is ``banned`` and the tracks the person always skips, ``always_skipped`` [shape=(n,)]
        bool) when the last three of ``order`` (the session, then the queue) are tracks of
        one album one after another in its order (passing over those tracks, which the
        batch before left out) and none of that album was skipped in the session (but those
        tracks, skipped as always), or none of those three was and the person heard the album
        through after its last skip (its code in ``taken_back``: they skipped its opening song
        and played on); else none. It stops at a track they always skip where most of the
        album's tracks they ever played from there on are ones they always skip.
        ``(rows [shape=(m,)] int64, the album's code, whether it stopped there)``: the code is
        -1 where no album is being played in order, and the album's where one is though no row
        is left (it ended, or stopped at once)."""
        nxt = self.catalog.album_next

        def follows(a: int, b: int) -> bool:
            r = int(nxt[a])
            while r >= 0 and r != b and always_skipped is not None and always_skipped[r]:
                r = int(nxt[r])
            return r == b

        if len(order) < 3 or not all(follows(a, b) for a, b in zip(order[-3:-1], order[-2:])):
            return np.zeros(0, np.int64), -1, False
        album = self.catalog.album[order[-1]]
        # Skipping a track they always skip is playing the album as they do: no turn away.
        if always_skipped is not None:
            skip_rows = skip_rows[~always_skipped[skip_rows]]
        if np.any(self.catalog.album[skip_rows] == album) and (
                album not in np.asarray(taken_back) or np.isin(order[-3:], skip_rows).any()):
            return np.zeros(0, np.int64), -1, False
        rest = self._album_after(int(order[-1]))
        # Where what is left of the album, from a track they always skip on, is mostly tracks
        # they always skip (of those they ever played), they are done with it there: passing
        # over them all jumped to a disc never played as if they were playing the album
        # through. The album stops there and the batch goes on as for any other song.
        skips = always_skipped[rest] if always_skipped is not None else np.zeros(len(rest), bool)
        mostly = self._done_with(rest, skips)
        out = []
        gone = set(banned.tolist())
        for r, skip, done in zip(rest.tolist(), skips, mostly):
            if len(out) >= k:
                break
            if done:
                return np.array(out, np.int64), int(album), True
            if not skip and r not in gone:
                out.append(r)
        return np.array(out, np.int64), int(album), False

    def _album_after(self, r: int) -> np.ndarray:
        """The rows of row ``r``'s album after it, in the album's order (by disc and track
        number). [shape=(m,)] int64"""
        nxt, rest = self.catalog.album_next, []
        r = int(nxt[r])
        while r >= 0:                           # the album's order has no cycles (Catalog.album_next)
            rest.append(r)
            r = int(nxt[r])
        return np.array(rest, np.int64)

    def _album_left(self, tail: int, banned: np.ndarray) -> np.ndarray:
        """The rows of row ``tail``'s album that are not ``banned``. [shape=(m,)] int64"""
        again = np.flatnonzero(self.catalog.album == self.catalog.album[tail])
        return again[~np.isin(again, banned)]

    def _done_with(self, rest: np.ndarray, skips: np.ndarray) -> np.ndarray:
        """Per row of ``rest`` (an album's tracks in its order), whether the person is done with
        the album there: it is one they always skip (``skips`` [shape=(m,)] bool) and most of
        the album's tracks they ever played from there on are ones they always skip.
        [shape=(m,)] bool"""
        played = (self.catalog.play_count[rest] + self.catalog.skip_count[rest]) > 0
        mostly = 2 * np.cumsum((skips & played)[::-1])[::-1] > np.cumsum(played[::-1])[::-1]
        return skips & mostly

    def _album_handed_over(self, tail: int) -> np.ndarray:
        """The rows of row ``tail``'s album to leave out of the batch where its order from
        ``tail`` on reaches a track the person is done with it at (``_done_with``): all but
        its tracks between ``tail`` and that one. Picks of it come in its order
        (``_album_in_order``), passing over the tracks they always skip; without this they
        went on past the run of them to a disc never played, where the album played in order
        now (``_album_playing``) hands the batch back. [shape=(m,)] int64"""
        cat, rest = self.catalog, self._album_after(tail)
        stop = np.flatnonzero(self._done_with(rest, self.always_skipped[rest]))
        if not len(stop):
            return np.zeros(0, np.int64)
        album = np.flatnonzero(cat.album == cat.album[tail])
        return album[~np.isin(album, rest[:stop[0]])]

    def _albums_over(self, order: np.ndarray) -> set[int]:
        """The albums (codes) whose end ``order`` (the session, then the queue) reached in
        their order: the last three of its tracks of the album are the album's last three
        (passing over the tracks the person always skips), heard or skipped early. Heard
        through, or heard to its last tracks and those skipped: either way it is over."""
        nxt = self.catalog.album_next

        def after(r: int) -> int:               # the next track they hear, in the album's order
            r = int(nxt[r])
            while r >= 0 and self.always_skipped[r]:
                r = int(nxt[r])
            return r

        latest: dict[int, list[int]] = {}
        for r, a in zip(order.tolist(), self.catalog.album[order].tolist()):
            # (a track they always skip is passed over here too: where it came up in the album's
            # order and was skipped again, it stood between the last three and the album was not over)
            if a >= 0 and not self.always_skipped[r]:
                latest.setdefault(a, []).append(r)
        return {a for a, rows in latest.items() if len(rows) >= 3 and after(rows[-3]) == rows[-2]
                and after(rows[-2]) == rows[-1] and after(rows[-1]) < 0}

    def _replays_after_end(self, tail: int, heard: np.ndarray, banned: np.ndarray) -> bool:
        """Whether the person goes on from row ``tail``, where its album ended, to another of its
        tracks not ``banned`` at least half the times they went on from it to anything
        (``Catalog.transitions``, the next song heard): they play it again straight after its
        end. Not any play of it within ten plays of its end (``Catalog.follows``): one return
        to a favourite of it, among many endings that went elsewhere, brought it all back."""
        again = self._album_left(tail, banned)
        t = self.catalog.transitions
        if not len(again) or not len(heard) or t is None:
            return False
        lo, hi = t.indptr[tail], t.indptr[tail + 1]
        went, times = t.indices[lo:hi], t.data[lo:hi]
        return bool(2 * times[np.isin(went, again)].sum() >= times.sum() > 0)

    def _plays_in_order(self, tail: int) -> bool:
        """Whether the picks of row ``tail``'s album come in its order (``_album_in_order``):
        it has an album and the person plays albums in order."""
        return tail >= 0 and self.catalog.album[tail] >= 0 and self.album_order >= ALBUM_IN_ORDER \
            and self.up_next_weights().get("album", 0.0) > 0

    def _album_in_order(self, tail: int, got: list[tuple[int, float]], score: np.ndarray, banned: np.ndarray,
                        heard: np.ndarray, *, over: bool = False, why: dict | None = None) -> list[tuple[int, float]]:
        """``got`` (picked against row ``tail``) with the picks of ``tail``'s album in its
        order, for someone who plays albums in order: the picks go on from ``tail`` to the
        album's next tracks, passing over only what is ``banned`` and the tracks the person
        always skips; sound and taste chose how many, not which (they passed over track 3
        for track 4, and track 3 never came). Where the album is ``over`` (heard to its end
        in the session) and offered again, its picks come in its order from the track the
        person's sequences from ``heard`` go back to most. Each keeps its score."""
        cat = self.catalog
        if not self._plays_in_order(tail):
            return got
        rows = cat.rows([t for t, _ in got])
        mine = np.flatnonzero(cat.album[rows] == cat.album[tail])
        if not len(mine):
            return got
        nxt, gone = cat.album_next, set(banned.tolist())
        r = int(nxt[tail])
        if over:
            # Offered again after its end (the person's own sequences go back into it): from
            # the track those sequences lead to most, in its order.
            again = self._album_left(tail, banned)
            seq = self._sequence_scores(heard)[again] if len(heard) and len(again) else np.zeros(0)
            r = int(again[np.argmax(seq)]) if len(seq) and seq.max() > 0 else -1
        ordered = []
        while r >= 0 and len(ordered) < len(mine):  # the album's order has no cycles (Catalog.album_next)
            if r not in gone and not self.always_skipped[r]:
                ordered.append(r)
            r = int(nxt[r])
        # (more picks of it than tracks left in its order: those beyond stay as picked)
        ordered += [r for r in rows[mine].tolist() if r not in ordered][:len(mine) - len(ordered)]
        out = list(got)
        for j, r in zip(mine.tolist(), ordered):
            t = int(cat.track_ids[r])
            if t != out[j][0] and why is not None:
                why.pop(out[j][0], None)        # its reason was for the track it replaces
            out[j] = (t, float(score[r]))
        return out

    def _album_turn(self, tail: int, got: list[tuple[int, float]]) -> int:
        """How many of ``got`` (picked against row ``tail``) to keep before scoring again:
        for someone who plays albums in order, up to the last track of the album they
        follow, or up to the first track of an album begun in order; all of them otherwise."""
        if self.album_order <= 0 or self.up_next_weights().get("album", 0.0) <= 0 or len(got) < 2:
            return len(got)
        nxt = self.catalog.album_next
        prev = tail
        for j, r in enumerate(self.catalog.rows([t for t, _ in got[:-1]])):
            if prev >= 0 and nxt[prev] == r:
                if nxt[r] < 0:                  # that album is over
                    return j + 1
            elif nxt[r] >= 0:                   # another album, begun in order
                return j + 1
            prev = r
        return len(got)

    def up_next_signals(self, kept: np.ndarray, tail: int = -1) -> dict[str, np.ndarray]:
        """Up next's evidence per catalogue row for a session whose listened rows are
        ``kept`` (oldest first), the new tracks to follow row ``tail`` (-1: none).

        sound, factors: near the session's latest tracks in audio and in CF factors;
        taste: the person's taste; genre: the latest track's genre; sequence: what the
        person played after these tracks before (sequential rules, ``Catalog.follows``);
        neighbours: what past sessions like this one played near the shared tracks;
        together: what those sessions held, anywhere in them; artists_together: the
        artists played in past sessions with this session's artists; session: the session
        model's lift over uniform; recent: what the person has been playing lately; fresh:
        just played (1) fading with a half-life; artist: the tail's artist; album: the
        tail's album (more for the tracks after it, for someone who plays albums in
        order; ``_album_scores``); artist_taste: how much the person plays the track's
        artist (plays minus skips, standardised; also a part of taste). Signals without
        evidence are left out; genre, artist and album are 0/1 (bool), album float where
        its order counts. Where the session has gone to a genre the person had never
        listened to (``_new_ground``), taste shrinks (``AWAY_TASTE``), and sound, factors and
        genre grow where the person's past says nothing about the session
        (``AWAY_LIFT_MAX``; genre then float).
        """
        cat = self.catalog
        out = {"sound": _z(self.E @ _context(self.E, kept[-5:])),
               "factors": _z(self.F @ _context(self.F, kept[-5:])),
               "taste": self.personal, "recent": self.recent, "fresh": self.freshness,
               "artist_taste": self.artist_taste}
        if self.chosen_artists is not None:
            out["chosen_artists"] = self.chosen_artists
            now = self._chosen_now(kept)
            if now is not None:
                out["chosen_now"] = now
        if len(kept):
            out["sequence"] = self._sequence_scores(kept)
            out["neighbours"], out["together"] = self._neighbour_scores(kept)
            artists = self._artist_session_scores(kept)
            if artists is not None:
                out["artists_together"] = artists
            lift = self._session_lift(kept)
            if lift is not None:
                out["session"] = lift
            if self.genre[kept[-1]] >= 0:       # stay in the current genre unless taste says otherwise
                out["genre"] = self.genre == self.genre[kept[-1]]
            if self._new_ground(kept):
                out["taste"] = self.personal * np.float32(AWAY_TASTE)
                # (Evidence for the session's own tracks is the session itself, logged as it plays.)
                if not any(np.count_nonzero(out[name]) > np.count_nonzero(out[name][kept])
                           for name in OWN_EVIDENCE if name in out):
                    share = 1.0 - (1.0 - FALLBACK_FULL_TRUST) * self.trust
                    boost = np.float32(min(AWAY_LIFT_MAX, 1.0 / share))
                    for name in ("sound", "factors", "genre"):
                        if name in out:
                            out[name] = out[name] * boost
        if tail >= 0 and cat.artist[tail] >= 0:
            out["artist"] = cat.artist == cat.artist[tail]
        if tail >= 0 and cat.album[tail] >= 0:
            out["album"] = self._album_scores(tail)
        return out

    def _new_artist_turn(self, heard: np.ndarray, *, after: int = -1) -> np.ndarray | None:
        """Where the person has just put on a song by an artist they had never listened to
        (the latest of ``heard``, picked by them in the session in progress, its artist with
        no more listened plays than ``heard`` holds of its songs) and its genre is known: the
        songs of that genre Up next leads with (``_new_artist_lead``); None otherwise. Songs
        the person turns away from (``shunned``, but the artist's own; ``skipped_out``) are
        not among them. Such a song that Segue offered and they kept is a turn the session
        took, not a change of mind: following each one into its genre, an evening of Up next
        wandered from genre to genre, away from the person's favourites. ``after``: the queue's
        last song, which the batch follows (-1: none); one of another genre, queued after it,
        is where the person goes next, and there is no lead. [shape=(n,)] bool"""
        cat = self.catalog
        if not len(heard):
            return None
        tail = int(heard[-1])
        genre, artist = self.genre[tail], cat.artist[tail]
        if genre < 0 or artist < 0:
            return None
        if after >= 0 and self.genre[after] != genre:
            # (a song put in the queue by hand after the new artist's: led back to the new
            # artist's genre, the whole batch after it ignored the person's latest choice)
            return None
        by = cat.artist == artist
        if float(cat.play_count[by].sum()) > np.count_nonzero(cat.artist[heard] == artist):
            return None
        p = cat.plays
        if not len(p):
            return None
        # (its latest play in the session in progress, the one playing now where the app
        # logs it; none there: nothing says the person chose it)
        mine = np.flatnonzero((p.session_id == p.session_now()) & (cat.play_rows == tail))
        if not len(mine) or not cat.play_chosen[mine[-1]]:
            return None
        # (the artist just picked keeps it, though the skips of its songs before outweigh
        # their plays: else the album going on from it gave way to others of its genre)
        return (self.genre == genre) & (~self.shunned | by) & ~self.skipped_out

    def _new_artist_lead(self, on: np.ndarray | None, signals: dict[str, np.ndarray]) -> np.ndarray | float:
        """A lead for ``on``, the songs of the genre of a song by a new artist the person has
        just put on (``_new_artist_turn``; None: none), over Up next's ``signals``: as large
        as the most the person's own signals and their past around the session
        (``PERSON_EVIDENCE``, ``OWN_EVIDENCE``, the session model's lift; with Up next's
        weights) can set two songs apart, so the genre comes first and the person's taste
        orders within it.

        Nothing the person did before speaks of such a song, so their favourites of every
        genre outweighed its genre, a tie-breaker at their trust, and so did what they had
        played with the session's earlier songs: after a folk song just picked, Up next went
        on with their rock. A listener who just put on something new wants more like it,
        their own favourites of that kind first. A song of a known artist needs none: their
        past sessions around that artist say where to go.
        [shape=(n,)] float32, or 0.0 where there is none"""
        if on is None:
            return 0.0
        w = self.up_next_weights()
        names = PERSON_EVIDENCE + OWN_EVIDENCE + ("session",)
        span = sum(abs(float(w.get(name, 0.0))) * float(np.ptp(signals[name]))
                   for name in names if name in signals and len(signals[name]))
        return on * np.float32(span) if span > 0 else 0.0

    def _new_ground(self, kept: np.ndarray) -> bool:
        """Whether the latest of ``kept`` is of a genre the person had not listened to before
        this session (no more listened plays of it than the session's own kept tracks of
        it) and that their taste ranks below average (``ground_taste``), and not one their
        skips say they do not go to (``shunned``: that is for the taste to steer away from).
        Where the genre is not known, the same of its artist. For someone who mostly lets
        Segue choose, only where they went there themselves: a song of it they picked in
        this session (an offer they kept is not a change of mind)."""
        cat, tail = self.catalog, kept[-1]
        if self.shunned[tail] or self.ground_taste[tail] >= 0:
            return False
        codes = self.genre if self.genre[tail] >= 0 else cat.artist
        if codes[tail] < 0:
            return False
        here = kept[codes[kept] == codes[tail]]
        if float(self.charted[tail]) > len(here):
            return False
        if cat.offered_share < 0.5:
            return True
        p = cat.plays
        mine = (p.session_id == p.session_now()) & cat.play_chosen & (cat.play_feedback > 0)
        return bool(np.isin(cat.play_rows[mine], here).any())

    def _new_release(self) -> np.ndarray:
        """True for the songs new in the library by an artist the person loves: added within
        ``NEW_RELEASE_S`` of now (or after it), not with the library's first tracks (a whole
        library scanned on the first day is no news), never heard nor skipped, by one of the
        person's ``NEW_RELEASE_TOP_ARTISTS`` most played artists with at least
        ``NEW_RELEASE_MIN_PLAYS`` listened plays and more plays than skips, whose new songs the
        person has not skipped more often than heard (``NEW_RELEASE_SKIPS`` times at least).
        All False where the catalogue does not say when its tracks came in. [shape=(n,)] bool"""
        cat = self.catalog
        out = np.zeros(cat.n, bool)
        if cat.added is None or not cat.n:
            return out
        came = cat.added
        known = np.isfinite(came)
        if not known.any():
            return out
        first = float(came[known].min())
        with np.errstate(invalid="ignore"):
            recent = known & (came > first + NEW_RELEASE_AFTER_FIRST_S) & (self.now - came < NEW_RELEASE_S)
        recent &= cat.artist >= 0
        new = recent & (cat.play_count == 0) & (cat.skip_count == 0)
        if not new.any():
            return out
        art = cat.artist
        has = art >= 0
        size = int(art.max()) + 1
        heard = np.bincount(art[has], weights=cat.play_count[has], minlength=size)
        skipped = np.bincount(art[has], weights=cat.skip_count[has], minlength=size)
        top = np.argsort(-heard, kind="stable")[:NEW_RELEASE_TOP_ARTISTS]
        loved = top[(heard[top] >= NEW_RELEASE_MIN_PLAYS) & (heard[top] > skipped[top])]
        # How the person took the artist's new songs so far: skipped more often than heard (twice
        # at least: one skip says little), the rest of them is not what they want now either,
        # however much they love the artist's older albums.
        tried = np.bincount(art[recent], weights=cat.play_count[recent], minlength=size)
        turned = np.bincount(art[recent], weights=cat.skip_count[recent], minlength=size)
        loved = loved[(turned[loved] < NEW_RELEASE_SKIPS) | (turned[loved] <= tried[loved])]
        new &= np.isin(art, loved)
        # A song the library already held is no news in another file: a copy of the folder
        # on a new drive (scanned before the old one goes), a best-of or a deluxe edition of
        # albums the person has. Only the loved artists' songs are looked at.
        # (this runs after every play: only the keys of the new songs are collected)
        fresh = np.flatnonzero(new)
        keys = {self._recording(int(r)) for r in fresh} - {None}
        if keys:
            had: dict[str, list[float]] = {}
            for r in np.flatnonzero(np.isin(art, art[fresh]) & ~new).tolist():
                if self._recording(r) in keys:
                    self._remember(r, had)
            if had:
                new[[r for r in fresh if self._same_recording(int(r), had)]] = False
        return new

    def _new_in_turns(self, score: np.ndarray, banned: np.ndarray) -> np.ndarray:
        """``score`` with the songs new from a loved artist (``new_release``) taking turns
        with that artist's songs the person knows: the best new one just ahead of the best
        known one (not ``banned``), the second new one just ahead of the second, and so on.
        Where the surface wants that artist (its sound, its seed, the person's own sessions
        around it) the new album comes with it, first; where it does not, the new songs stay
        as far down as their artist. A bonus of a fixed size could do neither: the weight of
        the person's own plays around a song grows with their history (a long one put the
        known songs ten points ahead). [shape=(n,)] float32"""
        new = self.new_release
        if not new.any():
            return score
        cat = self.catalog
        score = score.copy()
        out = np.zeros(cat.n, bool)
        out[banned[banned >= 0]] = True
        for a in np.unique(cat.artist[new]):
            mine = cat.artist == a
            fresh = np.flatnonzero(mine & new & ~out & np.isfinite(score))
            known = score[mine & ~new & ~out & np.isfinite(score)]
            if not len(fresh) or not len(known):
                continue
            known = np.sort(known)[::-1]
            fresh = fresh[np.argsort(-score[fresh], kind="stable")][:len(known)]
            lift = known[:len(fresh)] + np.float32(1e-3) * np.maximum(np.abs(known[:len(fresh)]), 1.0)
            score[fresh] = np.maximum(score[fresh], lift)
        return score

    def _chosen_now(self, kept: np.ndarray) -> np.ndarray | None:
        """True for the tracks by the artists of the session's kept tracks that the person
        picked themselves, the one playing now included (the plays of the log's latest
        session, where the app logs the session in progress); None when there are none.
        [shape=(n,)] bool"""
        cat = self.catalog
        p = cat.plays
        if not len(kept) or not len(p):
            return None
        mine = (p.session_id == p.session_now()) & cat.play_chosen
        codes = cat.artist[kept[np.isin(kept, cat.play_rows[mine])]]
        codes = codes[codes >= 0]
        return np.isin(cat.artist, codes) if len(codes) else None

    def _album_scores(self, tail: int) -> np.ndarray:
        """1 for the tracks of the tail's album; where its order is known and the person
        follows albums in order, the tracks after the tail score more, the next one most
        (``1 + album_order * 0.8 ** (places after it - 1)``); once its last track is the
        tail, the album's pull shrinks by that share: they seldom start it over.
        [shape=(n,)] bool or float32"""
        cat = self.catalog
        mates = cat.album == cat.album[tail]
        nxt = cat.album_next
        if self.album_order <= 0:
            return mates
        if nxt[tail] < 0:
            if not np.any(nxt == tail):         # the tail has no place in the album's order
                return mates
            return mates * np.float32(1.0 - self.album_order)
        out = mates.astype(np.float32)
        r, bonus = int(nxt[tail]), float(self.album_order)
        while r >= 0:                           # the album's order has no cycles (Catalog.album_next)
            out[r] += bonus
            r, bonus = int(nxt[r]), bonus * 0.8
        return out

    def _own_evidence(self, rows: np.ndarray) -> np.ndarray | float:
        """What the person played around ``rows`` before (sequences, sessions like them), with
        Up next's weights: Radio from a song the person knows follows where they took it."""
        if not len(rows) or self.trust == 0:
            return 0.0
        w = self.up_next_weights(personal=False)
        near, anywhere = self._neighbour_scores(rows)
        return w["sequence"] * self._sequence_scores(rows) + w["neighbours"] * near + w["together"] * anywhere

    def up_next_weights(self, personal: bool = True) -> dict[str, float]:
        """Weight per signal: defaults that move from priors and sound to the person's own
        plays as trust grows (someone who plays artists in runs more than the prior says
        gets a pull towards the tail's artist, and someone who stays on albums a pull
        towards the tail's album, as strong as that habit), plus the corrections the last
        training learned for this person (``personal``; recommender/personal.py)."""
        t, cfg = self.trust, self.config
        own = 0.2 + 0.8 * t
        # Sound, CF factors, taste and genre: the cold-start blend, whose share shrinks as
        # the person's own sessions take over (at full trust they break ties).
        fallback = 1.0 - (1.0 - FALLBACK_FULL_TRUST) * t
        w = {"sound": fallback * (0.9 - 0.5 * t), "factors": fallback * (0.5 - 0.25 * t),
             "taste": fallback * (0.3 + 1.2 * t), "genre": fallback * (0.5 - 0.3 * t),
             "sequence": cfg.sequence_weight * own, "neighbours": cfg.neighbour_weight * own,
             "together": cfg.together_weight * own, "artists_together": cfg.artists_together_weight * own,
             "album": cfg.album_weight * self.album_run,
             "session": cfg.session_blend * self.models.weight("session") * own,
             "recent": cfg.recent_weight * t,
             "fresh": -cfg.repeat_push - REPLAY_PUSH * max(0.0, -self.replay_keep),
             # The person's artists beyond their share of the taste: nothing by default.
             # Some people keep what is by the artists they play whatever the sound; others
             # tire of an artist they just heard and keep what sounds like it. Only what
             # they keep of Segue's offers tells them apart, so the weight is learned
             # (recommender/personal.py): a default either way costs the others dearly.
             "artist_taste": 0.0,
             "chosen_artists": CHOSEN_ARTISTS * self.catalog.offered_share,
             "chosen_now": CHOSEN_NOW * self.catalog.offered_share,
             "artist": (cfg.artist_weight + STAY_PULL * max(0.0, self.artist_stay)) * t
             + RUN_PULL * max(0.0, self.artist_run - cfg.artist_run_prior)}
        if cfg.weights:
            w.update(cfg.weights)
        if personal and cfg.weight_deltas:
            for name, d in cfg.weight_deltas.items():
                w[name] = w.get(name, 0.0) + d
        return w

    def _blend(self, signals: dict[str, np.ndarray]) -> np.ndarray:
        w = self.up_next_weights()
        score = np.zeros(self.catalog.n, np.float32)
        tmp = np.empty_like(score)
        for name, v in signals.items():
            if not w.get(name):
                continue
            if v.dtype == bool:
                score[v] += np.float32(w[name])
            else:
                np.multiply(v, np.float32(w[name]), out=tmp)
                score += tmp
        return score

    def radio(self, seed_track_id: int, k: int, *, exclude: Sequence[int] = (),
              skipped: Sequence[int] = (), streak: int = 0, never: Sequence[int] = ()) -> list[tuple[int, float]]:
        """``k`` more tracks for a station around ``seed_track_id`` as ``(track_id, score)``.

        ``exclude`` is everything the station already played or queued, in that order
        (never repeated; where it holds the seed, the songs after it are the station's own);
        its centre drifts slowly towards the latest kept ones; ``skipped`` tracks (in the
        order they were skipped) push the station away from their neighbourhood, artist
        and album at once, and ``streak`` (early skips in a row just
        now) pushes harder and away from what those skips share; both move the station's
        weight from the person's past towards the seed (``RankConfig.radio_streak_steer``).
        ``never``: tracks the person asked never to be suggested; left out, and nothing else.

        Without audio analysis the station still mixes by what is known: the seed's artist,
        album, genre tag and release year, the person's plays and the priors; ties are broken
        by a shuffle drawn per seed and day, never by library order. Tracks far shorter than
        what the person plays and a second copy of one recording are left out.
        """
        self._check_k(k)
        cat, cfg = self.catalog, self.config
        seed = cat.row(seed_track_id)
        if seed < 0:
            raise RankError(f"track {seed_track_id} is not in the catalogue")
        skip_rows = self._rows(skipped)
        station = self._rows(exclude)
        kept = station[~np.isin(station, skip_rows) & (station != seed)]
        # The seed says what the person asked for; skips say that what else the station leans
        # on (their favourites overall, what they played around the seed before) is not it
        # now. The skip push alone cannot say it for someone whose skipped artists come back
        # in their own listening as often as the others (it is as small as their skips say an
        # artist is unwanted): so a station's skips also shift its weight from the person's
        # past to the seed, at once and more with each skip in a row.
        run = int(min(max(streak, 0), STREAK_MAX, len(skip_rows)))
        # (the skips among the station's latest picks: a long station mostly kept, its skips
        # long behind it, leans on the person's past again)
        lately = int(np.isin(station[-RADIO_STEER_SKIPS:], skip_rows).sum()) if len(station) else len(skip_rows)
        steer = cfg.radio_streak_steer * run + cfg.radio_skip_steer * min(lately, RADIO_STEER_SKIPS)
        near, past = 1.0 + steer, 1.0 / (1.0 + steer)
        ce = self.E[seed] + cfg.radio_drift * _context(self.E, kept[-8:], decay=0.85)
        cf = self.F[seed] + cfg.radio_drift * _context(self.F, kept[-8:], decay=0.85)
        ce, cf = _unit_rows(ce[None])[0], _unit_rows(cf[None])[0]
        score = near * (1.0 * _z(self.E @ ce) + 0.6 * _z(self.F @ cf)) + past * 0.25 * self.trust * self.personal
        genre = self._station_genre(seed)
        if genre >= 0:
            score = score + near * 0.4 * (self.genre == genre)
        by = self._composer_of_work(seed)
        if by >= 0:
            # A movement of a classical work: the listener asked for its composer's music (and
            # that of the composers who share records with them), not for the orchestra's
            # other records, which its "artist" names.
            score = score + near * (0.5 * (cat.composer == by) + 0.25 * self._kin_composers(by))
        elif cat.artist[seed] >= 0:
            score = score + near * 0.3 * (cat.artist == cat.artist[seed])
        if cat.album[seed] >= 0:
            score = score + near * 0.2 * (cat.album == cat.album[seed])
        if cat.year is not None and np.isfinite(cat.year[seed]):
            # Records of the same years sit together (an unknown year is neither near nor far).
            score = score + 0.4 * np.nan_to_num(np.exp(-np.abs(cat.year - cat.year[seed]) / 8.0))
        score = score + self._popular(0.2) + (1 - self.trust) * OUTSIDE_RADIO * self.outside
        score = score + 0.08 * self._shuffle(seed_track_id)
        if cfg.radio_own:
            score = score + past * cfg.radio_own * self._own_evidence(
                np.concatenate([[seed], kept[-2:]]).astype(np.int64))
        score = score - self._skip_penalty(skip_rows, streak)
        unwanted = self._unwanted(never)
        banned = np.concatenate([unwanted, [seed], station, skip_rows])
        score = self._new_in_turns(score, banned)
        # ``exclude`` in station order (played, then queued): no artist follows the tail's, nor
        # comes back after one other song across batches (the player asks ten at a time).
        # The hourly cap counts the seed, the station's last hour and this batch. When the next song allowed is of
        # another genre, a lower one of the station's genre that the cap and spacing allow
        # comes first; only when none is left do they give way to one of the genre: a station
        # may stay on a kind with few artists (staying on topic matters more here than in
        # Up next).
        # A station from a short track (a jingle radio) may play short tracks, and one from a
        # long mix long ones.
        # Someone who stays with an artist (runs, several plays of one an hour) keeps some of
        # that habit on a station: pairs, and a little more of an artist an hour
        # (``RADIO_RUN``, ``RADIO_HABIT_HOUR``, the seed's artist as often as the habit says);
        # a station still mixes.
        # A seed not analysed yet has no sound to go by: its genre tag is all that says what
        # was asked for, so the station keeps to it while a song of it is allowed, the
        # person's taste choosing among them. Their taste outweighed the genre before: a
        # soul listener's jazz station opened with soul, and came back to it. Two early
        # skips in a row say that it is not what they want now: the genre then only leans.
        # The station's own songs: those after the seed where ``exclude`` holds it (the player
        # passes the whole session, with the seed where the station began), else all of it.
        # Its opening and spacing count from the seed: a station started after a few songs
        # took the session's tail for its own, and opened with the seed's artist again.
        # All of them go to the hour (``_pick`` counts back an hour of them; its spacing reads
        # the last three): with the tail alone, a station asked ten songs at a time played an
        # artist four times an hour where two was the limit.
        # The songs skipped early count there too, as songs between: someone who keeps one
        # artist's songs and skips the others hears that artist again two songs on. Counted as
        # not heard, the skips kept it away for as long as the person went on skipping.
        at = np.flatnonzero(station == seed)
        own = station[at[-1] + 1:] if len(at) else station
        # A station asked ten songs at a time that left its genre only for the spacing (A B,
        # a soul song) comes back to it in the next ten as within these: there the songs of
        # it passed over were not known yet, and a genre of two bands was left for good after
        # ten songs, half of its own left, the soul songs having pulled the centre away.
        mine = own[~np.isin(own, skip_rows)][-max(RADIO_APART, 3):]
        on_lately = genre >= 0 and bool((self.genre[mine] == genre).any())
        got = self._pick(score, k, banned, history=np.concatenate([[seed], own[-RADIO_HOUR_SONGS:]]).astype(np.int64),
                       per_artist=max(cfg.max_per_artist_hour, min(self.artist_hour, RADIO_HABIT_HOUR)),
                       own_artist=(int(cat.artist[seed]), max(cfg.max_per_artist_hour, self.artist_hour)),
                       follow=cfg.habit_spacing and self.artist_run >= cfg.follow_rate, run=RADIO_RUN,
                       last=self.tired_of | self._off_length(seed),
                       topic=(self.genre == genre) if genre >= 0
                       and cat.bucket_names[genre] != UNTAGGED else None,
                       stay=run < 2 and not self.E[seed].any(), was_on=run < 2 and on_lately,
                       apart=RADIO_APART,
                       opening=max(RADIO_OPENING - len(own), 0))
        # (the station's tail is its last song played or queued, the seed where it has none)
        return self._whole_works(got, np.concatenate([[seed], station[station != seed]]).astype(np.int64),
                                 unwanted)

    def _composer_of_work(self, row: int) -> int:
        """The composer's code of catalogue row ``row`` where it is a movement of a work, else -1."""
        cat = self.catalog
        if cat.work is None or cat.composer is None or cat.work[row] < 0:
            return -1
        return int(cat.composer[row])

    def _kin_composers(self, composer: int) -> np.ndarray:
        """float [n], 0 to 1: how near the composer of each track is to ``composer`` by the
        records they share (a disc coupling Beethoven and Brahms makes them kin). A record of
        ``k`` composers gives each of the others ``1 / (k - 1)``, summed over the records and
        capped at 1: a coupling of two says they go together, a "best of the classics" of
        forty says next to nothing of any of them (counted whole, it made every composer on
        it kin, and a station from a movement spread over all of them)."""
        cat = self.catalog
        known = (cat.composer >= 0) & (cat.album >= 0)
        n_composers = int(cat.composer.max()) + 1
        pairs = np.unique(cat.album[known].astype(np.int64) * n_composers + cat.composer[known])
        album, by = pairs // n_composers, pairs % n_composers
        shared = np.isin(album, album[by == composer]) & (by != composer)
        if not shared.any():
            return np.zeros(cat.n)
        others = np.bincount(album, minlength=int(album.max()) + 1) - 1     # per record: its other composers
        near = np.bincount(by[shared], weights=1.0 / others[album[shared]], minlength=n_composers)
        near = np.minimum(near, 1.0)
        return np.where(cat.composer >= 0, near[np.maximum(cat.composer, 0)], 0.0)

    def _whole_works(self, got: list[tuple[int, float]], before: np.ndarray,
                     never: np.ndarray) -> list[tuple[int, float]]:
        """The picks with each classical work whole and in order (:func:`whole_works`); ``never``:
        the rows no suggestion may hold (``_unwanted``: a movement given one star too), left out
        of the works they belong to, as the album played in order passes over them."""
        cat = self.catalog
        if cat.work is None:
            return got
        return whole_works(got, before, never, work=cat.work, album=cat.album, movement=cat.movement,
                           track_ids=cat.track_ids, row_of=cat.row)

    def _station_genre(self, seed: int) -> int:
        """The genre bucket a station from catalogue row ``seed`` keeps to: the seed's own; for a
        song without a genre tag (and not analysed yet), the genre most of the other songs of
        its album are tagged with, else those of its artist. A song just added untagged to a
        folk singer's albums played their listener's soul and jazz, the singer twice in twenty.
        On an album of several artists (a compilation, a soundtrack) its artist's songs go
        first: a jazz band's song on a mostly soul compilation is still jazz.
        -1: none."""
        own = int(self.catalog.bucket[seed])
        return int(self.genre[seed]) if self.genre[seed] >= 0 else own

    def discover(self, k_per_bucket: int, *, never: Sequence[int] = (),
                 day: int | None = None) -> dict[str, list[tuple[int, float]]]:
        """Per genre bucket, a personalised row of tracks not played recently.

        Rows come as :func:`recommender.genres.arrange_rows` orders them: the person's two
        favourite genres, then genres new to them and theirs in turns; the genres too small
        for a row, and those past the last row, share one, :data:`MORE_TO_DISCOVER`, a
        genre's best song before a second of any. A row takes songs never played and songs
        heard before but not lately in turns, the best never-played first (songs only ever
        skipped after both): a heavy listener's favourites, not heard for two weeks, would otherwise fill every row and
        leave nothing to discover. Never-played tracks whose sound fits the person's taste
        come first among them.
        At most two tracks per artist while other artists are left; a genre with few
        artists still fills its row, alternating them. ``never``: tracks the person asked
        never to be suggested; left out, and nothing else. ``day``: the day the rows are for
        (any whole number that changes once a day; by default the day of ``now``, the latest
        play): the rows change with it and stay within it.
        """
        self._check_k(k_per_bucket)
        cat = self.catalog
        fit = _z(self.E @ self.taste_e) if self.taste_e.any() else np.zeros(cat.n, np.float32)
        unplayed = self.heard_last == 0
        score = self.personal * self.trust + self._popular(0.5) + (1 - self.trust) * OUTSIDE_DISCOVER * self.outside
        score = score + 0.6 * (unplayed & (fit > 0)) * fit + 0.2 * unplayed
        day = int(self.now // DAY) if day is None else int(day)
        day_jitter = np.random.default_rng(day).random(cat.n).astype(np.float32)
        score = score + 0.3 * day_jitter          # a fresh row each day, stable within the day
        rows = {}
        # The person's plays of a genre count those of its untagged songs on its albums, as
        # Up next and Radio count them: someone who played the untagged songs of rock albums
        # saw rock last, "new to you", behind genres they had played less.
        affinity = self.genre_plays(cat.play_count)
        score[self.recently_played] = -np.inf
        # A song the person skipped when it was offered (and has not listened to since) is
        # no song to offer again two weeks on, as one they heard through is: in a small
        # genre's row it came straight back. It stays out for longer.
        score[self._skipped_in_discover()] = -np.inf
        # Stingers and sound effects are no discovery: left out (a genre of nothing but
        # them gets no row), as is a second copy of a recording already in a row.
        score[self.short_rows] = -np.inf
        # Nor is a two-hour mix or an audiobook chapter among songs (one the person played is
        # no longer "long" for them).
        score[self.long_rows] = -np.inf
        # Left out before the rows are picked, so a song the person never wants takes no
        # place in a row, nor one of its artist's two there.
        score[self._unwanted(never)] = -np.inf
        # A row holds two songs of an artist: each artist's third and later songs of a genre
        # come after every other artist's first two, of both kinds. In turns without this, the
        # best never-played songs were a few favourite artists' and were passed over once
        # those had two, while the songs heard before went in: a one-genre library's row of
        # 14 held 10 songs the person had played.
        score = score - 1e3 * (_place_in_group(score, cat.bucket, cat.artist) >= 2)
        ranked = score
        # (a song only ever skipped is no favourite to come back to: after both kinds)
        heard = cat.by_recording(cat.play_count, np.add)
        score = _alternate(score, unplayed, cat.bucket, last=~unplayed & (heard == 0))
        shown: dict[str, list[float]] = {}
        for r in np.flatnonzero(self.recently_played):
            self._remember(int(r), shown)       # its other copies are no discovery either
        tagged = (cat.bucket >= 0) & np.isfinite(score)
        offered = np.bincount(cat.bucket[tagged], minlength=len(cat.bucket_names))
        names = cat.bucket_names
        # (songs of no artist tag count as one more artist: nothing says they are the others')
        pairs = np.unique(np.stack([cat.bucket[tagged], cat.artist[tagged]]), axis=1)
        artists = np.bincount(pairs[0], minlength=len(names))
        who: list[list] = [[] for _ in names]
        for b, a in pairs.T:
            who[b].append(int(a) if a >= 0 else None)
        order, pooled = arrange_rows(affinity, offered, min_row=min(MIN_ROW, max(k_per_bucket, 1)),
                                     untagged=names.index(UNTAGGED) if UNTAGGED in names else None,
                                     artists=artists)
        known = self._known_copies(np.isfinite(score))
        for b in order:
            picked = self._pick(score, k_per_bucket, np.zeros(0, np.int64), history=np.zeros(0, np.int64),
                                per_artist=2, among=self.bucket_rows[b], recordings=shown,
                                timeline=False)
            if picked:
                rows[names[b]] = known(picked)
        if pooled and k_per_bucket:
            # The small genres' songs in one row, a genre's best first (as its own row would
            # lead) and one of each genre before a second of any, the best of them first.
            among = np.flatnonzero(np.isin(cat.bucket, pooled) & np.isfinite(score))
            place = _place_in_group(score[among], np.zeros(len(among), np.int64), cat.bucket[among])
            pool = np.full(cat.n, -np.inf, np.float32)
            pool[among] = ranked[among] - 1e4 * place
            picked = self._pick(pool, k_per_bucket, np.zeros(0, np.int64), history=np.zeros(0, np.int64),
                                per_artist=2, among=among, recordings=shown, timeline=False)
            if picked:
                rows[pooled_heading(pooled, names, who)] = known(picked)
        return rows

    def _known_copies(self, allowed: np.ndarray):
        """A function giving a row of picks (track id, score) each in the copy of its recording
        people know it by (:func:`known_copy_order`: from its first release, not a best-of's
        remaster, on its album, not its single; lossless), of the rows ``allowed`` in the pick's genre (a
        Rock row showed the album's copy tagged Pop); the pick itself where it is as good.
        Which copy a row took was the day's shuffle's choice, and any copy's score is the
        song's."""
        cat = self.catalog
        sizes = np.bincount(cat.album[cat.album >= 0], minlength=len(cat.album_names))
        year = np.where(np.isfinite(cat.year), cat.year, np.inf) if cat.year is not None else np.full(cat.n, np.inf)
        by_artist = self._derived.get("rows_by_artist")
        if by_artist is None:
            by_artist = self._derived["rows_by_artist"] = np.argsort(cat.artist, kind="stable")
        artists = cat.artist[by_artist]

        def known(row: int) -> int:
            key, a = self._recording(row), cat.artist[row]
            if key is None or a < 0:
                return row
            lo, hi = np.searchsorted(artists, a), np.searchsorted(artists, a, side="right")
            near = by_artist[lo:hi]
            # (a length not known is no evidence against, as :func:`same_length` has it)
            near = near[allowed[near] & ~(np.abs(cat.duration[near] - cat.duration[row]) > SAME_RECORDING_S)
                        & (cat.bucket[near] == cat.bucket[row])]
            copies = [int(r) for r in near if self._recording(int(r)) == key]
            if not copies:
                return row
            first = min(year[r] for r in [row, *copies])

            def order(r: int) -> tuple:
                a = cat.album[r]
                album = cat.album_names[a].split("\x1e")[0] if a >= 0 else None
                # (then lossless before a lossy copy: the album's FLAC, not the phone's MP3 of it)
                return (*known_copy_order(year[r], first, sizes[a] if a >= 0 else 0, album, cat.titles[r]),
                        cat.lossy is not None and bool(cat.lossy[r]), r != row)

            return min([row, *copies], key=order)

        return lambda picked: [(int(cat.track_ids[known(cat.row(t))]), s) for t, s in picked]

    def _skipped_in_discover(self) -> np.ndarray:
        """Per track: skipped early when Discover offered it, within ``skipped_rest_s``, and
        not listened to since. Only Discover's own offers: a skip on the radio or in Up
        next says "not now, not here" (the only way to steer a station), and one such skip
        kept a song out of Discover for eight weeks. [shape=(n,)] bool"""
        cat, plays = self.catalog, self.catalog.plays
        out = np.zeros(cat.n, bool)
        rows, fb = cat.play_rows, cat.play_feedback
        if plays.source is None or rows is None or not len(rows):
            return out
        at = np.arange(len(rows))
        heard = (rows >= 0) & (fb > 0)
        last_heard = np.full(cat.n, -1, np.int64)
        np.maximum.at(last_heard, rows[heard], at[heard])
        skipped = ((rows >= 0) & (fb < 0) & (plays.source.astype(str) == "discover")
                   & (self.now - plays.started_at < self.config.skipped_rest_s)
                   & (plays.started_at <= self.now + FUTURE_SLACK_S))
        skipped &= at > _of_rows(last_heard, rows, -1)
        out[rows[skipped]] = True
        return out

    def explain(self, track_id: int, context: str = "", evidence: tuple | None = None) -> str:
        """A short reason for a recommendation, e.g. "sounds like X" or "often after Y";
        ``evidence``: what put it in Up next's fused places (``up_next``'s ``why``)."""
        row = self.catalog.row(track_id)
        if row < 0:
            return ""
        return explain_row(self, row, context, evidence)

    # -- internals ----------------------------------------------------------
    def _rows(self, ids) -> np.ndarray:
        r = self.catalog.rows(list(ids))
        return r[r >= 0]

    @staticmethod
    def _check_k(k: int) -> None:
        if not isinstance(k, (int, np.integer)) or k < 0:
            raise RankError(f"k must be a non-negative integer, got {k!r}")

    def _sequence_scores(self, kept: np.ndarray) -> np.ndarray:
        """What follows the session so far: the person's own sequential rules
        (``Catalog.follows``, from the last three kept tracks; fresh from every play)."""
        t = self.catalog.follows
        v = np.zeros(self.catalog.n, np.float32)
        touched = []
        for lag, r in enumerate(kept[::-1][:3]):
            lo, hi = t.indptr[int(r)], t.indptr[int(r) + 1]
            idx = t.indices[lo:hi]
            v[idx] += t.data[lo:hi] / (1 + lag)
            touched.append(idx)
        if touched:
            idx = np.concatenate(touched)
            v[idx] = np.log1p(v[idx]) * 2.0 if len(idx) else v[idx]
        return v

    def _session_lift(self, kept: np.ndarray) -> np.ndarray | None:
        """The session model's log-probability lift over uniform, or None without one.

        It sits beside the transitions and never replaces them: the model is retrained
        every few dozen plays, the transitions know the latest session.
        """
        if self.models.session is None:
            return None
        try:
            g = np.asarray(self.models.session(kept[-20:]), np.float64)
            if not np.isfinite(g).all():
                raise ValueError("the session model returned non-finite scores")
            p = np.exp(g - g.max())
            p /= p.sum()
            return (2.0 * np.log1p(p * len(p))).astype(np.float32)
        except Exception:           # a broken model must not break the queue
            log.exception("session model failed; disabled, using sequential rules")
            self.models.session = None
            return None

    def _neighbour_scores(self, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What past sessions like this one played near the tracks they share with it, and
        what they held anywhere.

        A past session is like this one by the tracks it shares, the session's latest
        ones counting most (``exp(-steps back / neighbour_step)``), over the square root of
        both lengths, and fades with its age (``neighbour_age_s``); the ``neighbour_k``
        most alike vote for their other tracks. Near: each vote fades with its distance in
        that session from the latest track it shares (a session-kNN aware of order and
        time); anywhere: every track of the session gets the whole vote (a plain session
        kNN, better for people who play the same sets in any order). ``2 log(1 + votes)``
        each, as the sequential rules.
        """
        cat, cfg = self.catalog, self.config
        near = np.zeros(cat.n, np.float32)
        S = cat.sessions
        if S is None or S.shape[0] == 0 or not len(kept):
            return near, near.copy()
        recent = kept[-20:]
        q = np.zeros(cat.n, np.float32)
        steps = np.arange(len(recent))[::-1]
        np.maximum.at(q, recent, np.exp(-steps / cfg.neighbour_step).astype(np.float32))
        binary = self._session_binary()
        overlap = binary @ q
        cand = np.flatnonzero(overlap > 0)
        if not cand.size:
            return near, near.copy()
        sims = overlap[cand] / np.sqrt(len(recent) * np.maximum(cat.session_len[cand], 1.0))
        sims = sims * np.exp(-np.maximum(self.now - cat.session_end[cand], 0.0) / cfg.neighbour_age_s)
        if cand.size > cfg.neighbour_k:
            top = np.argpartition(-sims, cfg.neighbour_k - 1)[:cfg.neighbour_k]
            cand, sims = cand[top], sims[top]
        nb = S[cand]
        shared = nb[:, recent[::-1]].toarray()          # [k, len(recent)] positions, 0 = absent
        latest = np.argmax(shared > 0, axis=1)
        anchor = shared[np.arange(len(cand)), latest]
        row = np.repeat(np.arange(len(cand)), np.diff(nb.indptr))
        gap = np.abs(nb.data - anchor[row])
        votes = np.where(gap > 0, sims[row] * np.exp(-gap / cfg.neighbour_step), 0.0)
        flat = sims[row]
        if cfg.neighbour_idf:
            idf = self._session_idf()[nb.indices]
            votes, flat = votes * idf, flat * idf
        hit = np.unique(nb.indices)
        near = np.bincount(nb.indices, weights=votes, minlength=cat.n).astype(np.float32)
        near[hit] = np.log1p(near[hit]) * 2.0
        anywhere = np.bincount(nb.indices, weights=flat, minlength=cat.n).astype(np.float32)
        anywhere[hit] = np.log1p(anywhere[hit]) * 2.0
        return near, anywhere

    def _vote_scores(self, kept: np.ndarray) -> np.ndarray:
        """What past sessions sharing tracks with this one held anywhere in them, order left
        aside (a session kNN over the whole session so far, as V-SKNN counts it).

        A past session's likeness is the sum, over the session's tracks it holds, of
        1 / (steps back + 1): the latest track counts most, but unlike the neighbours'
        likeness it is not divided by the sessions' lengths nor faded by age or by how
        common a track is, so long sessions and the person's staples that recur in many of
        them vote in full. Of the ``VOTE_SAMPLE`` most recent such sessions the ``VOTE_K``
        most alike each give their tracks their likeness; ``2 log(1 + votes)``, as the
        other session signals. [shape=(n,)] float32"""
        cat = self.catalog
        out = np.zeros(cat.n, np.float32)
        if cat.sessions is None or cat.sessions.shape[0] == 0 or not len(kept):
            return out
        q = np.zeros(cat.n, np.float64)
        np.maximum.at(q, kept[::-1], 1.0 / np.arange(1, len(kept) + 1))
        binary = self._session_binary()
        sims = binary @ q
        cand = np.flatnonzero(sims > 0)[-VOTE_SAMPLE:]     # sessions are stored oldest first
        if cand.size > VOTE_K:
            cand = cand[np.argsort(-sims[cand], kind="stable")[:VOTE_K]]
        if not cand.size:
            return out
        out = np.asarray(binary[cand].T @ sims[cand]).ravel().astype(np.float32)
        return np.log1p(out) * np.float32(2.0)

    def _artist_session_scores(self, kept: np.ndarray) -> np.ndarray | None:
        """Per track, how much its artist was played in past sessions with this session's
        artists (None without such sessions or known artists).

        Track-level evidence needs the very tracks to recur; many people keep sets of
        artists (for a mood, a time of day) and play different songs of them each time.
        The session's latest artists count most (``0.8 ** steps back``); a past session
        votes for each of its artists with its overlap over the square root of its number
        of artists, and an artist scores ``log(1 + votes)``. The session in progress is no
        past session: where the log already holds it (the app logs every play at once),
        its row is left out, so the evidence is the same whenever it is asked.
        """
        cat = self.catalog
        codes = cat.artist
        recent = codes[kept[-10:]]
        known = recent >= 0
        if not known.any() or cat.sessions is None or cat.sessions.shape[0] == 0:
            return None
        by_artist, size = self._session_artists()
        n_art = by_artist.shape[1]
        q = np.zeros(n_art, np.float32)
        steps = np.arange(len(recent))[::-1]
        np.maximum.at(q, recent[known], (0.8 ** steps[known]).astype(np.float32))
        sims = np.asarray(by_artist @ q).ravel()
        last = cat.sessions.indices[cat.sessions.indptr[-2]:cat.sessions.indptr[-1]]
        if len(last) and np.isin(last, kept).all():
            sims[-1] = 0.0
        if not sims.any():
            return None
        votes = np.asarray(by_artist.T @ (sims / np.sqrt(size + 1.0))).ravel()
        per_artist = np.log1p(votes).astype(np.float32)
        return np.where(codes >= 0, per_artist[np.maximum(codes, 0)], 0.0).astype(np.float32)

    def _session_artists(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """``Catalog.sessions`` by artist: [sessions, artists] 0/1, and each session's number
        of artists (cached as the sessions)."""
        S = self.catalog.sessions
        cached = getattr(self, "_by_artist", None)
        if cached is None or cached[0] is not S:
            codes = self.catalog.artist
            n_art = int(codes.max()) + 1 if codes.size and codes.max() >= 0 else 1
            known = np.flatnonzero(codes >= 0)
            onehot = sp.csr_matrix((np.ones(len(known), np.float32), (known, codes[known])),
                                   shape=(self.catalog.n, n_art))
            m = (self._session_binary() @ onehot).tocsr()
            m.data = np.ones_like(m.data)
            self._by_artist = (S, m, np.diff(m.indptr).astype(np.float32))
        return self._by_artist[1], self._by_artist[2]

    def _session_idf(self) -> np.ndarray:
        """log((sessions + 1) / (sessions with the track + 1)) + 1 per track (cached as the sessions)."""
        S = self.catalog.sessions
        cached = getattr(self, "_idf", None)
        if cached is None or cached[0] is not S:
            df = np.bincount(S.indices, minlength=self.catalog.n)
            self._idf = (S, np.log((S.shape[0] + 1.0) / (df + 1.0)) + 1.0)
        return self._idf[1]

    def _session_binary(self) -> sp.csr_matrix:
        """``Catalog.sessions`` as 0/1 (cached for the catalogue's current plays)."""
        S = self.catalog.sessions
        cached = getattr(self, "_binary", None)
        if cached is None or cached[0] is not S:
            b = S.copy()
            b.data = np.ones_like(b.data)
            self._binary = (S, b)
        return self._binary[1]

    def _skip_penalty(self, skip_rows: np.ndarray, streak: int = 0, *,
                      session: np.ndarray | None = None, heard: np.ndarray | None = None) -> np.ndarray | float:
        """How far each track is pushed down by this session's early skips (oldest first).

        A skip is noisy evidence: the person may like the genre and not this song. So the
        close neighbourhood of each of the latest skips (the ``neighbourhood`` most similar
        tracks in audio and CF space, the closest most) is pushed down, not its genre. The
        artist and the album of every skipped track are pushed down once per skip of them
        in the session (up to ``SKIP_CAP``), so twenty skips of one soundtrack weigh more
        than one; this needs no analysis, so it works on a library not yet analysed. That
        push is as strong as the person's skips say an artist is unwanted
        (``skip_artist_push``), and full for an artist or album skipped ``STREAK_SAME``
        times in a streak ("not this artist, not now", whoever the person).

        ``session``: the session's plays in order, skips included (Up next gives it). An
        artist (album) the person went on to hear through after their last skip of it is
        not pushed for those skips: they said "not this song", and the song they kept says
        the artist is wanted now, whatever their skips usually mean. ``heard``: which of
        the session's tracks were heard through (in play order); by default every one not
        skipped. A song still playing has not been heard through.

        ``streak``: how many early skips in a row just happened. Skips in a row say "not
        this, not now" more loudly than the same skips spread out: the whole push grows with
        the streak, and from the second skip in a row on, whatever the streak's tracks share
        (their mean sound and CF direction, their genres) is pushed down too, so the queue
        leaves the neighbourhood it was in rather than offering its next-nearest tracks.
        Both as much as the person's skips say an artist is unwanted: in people's own
        listening, a run of skips is often a search through an album or a playlist that
        settles on something near it, and someone whose skipped artists come back as
        often as the ones they listened to is moved by each skip's own neighbourhood.
        """
        if len(skip_rows) == 0:
            return 0.0
        cat = self.catalog
        m = max(5, int(cat.n * self.config.neighbourhood))
        out = np.zeros(cat.n, np.float32)
        for r in skip_rows[-6:]:            # the latest skips say the most
            for key, mat, w in (("e", self.E, 1.0), ("f", self.F, 0.5)):
                if not mat[r].any() or m >= cat.n:
                    continue
                pushed = self._skip_pushes.get((key, int(r), m)) if SKIP_PUSHES_KEPT else None
                if pushed is not None:
                    at, push = pushed
                    out[at] = np.maximum(out[at], push)
                    continue
                sims = mat @ mat[r]
                bounds = self._neighbourhoods.get((key, int(r), m))
                if bounds is None:              # a station passes the same skips on every refill
                    # The neighbourhood's edge, estimated on a fixed sample (a full partition
                    # of 50,000 scores costs 2 ms per skip).
                    sample = sims[self._sample]
                    q = len(sample) - max(1, int(round(len(sample) * m / cat.n)))
                    bounds = (float(np.partition(sample, q)[q]), float(sims.max()))
                    if len(self._neighbourhoods) > 512:
                        self._neighbourhoods.clear()
                    self._neighbourhoods[(key, int(r), m)] = bounds
                thr, top = bounds
                at, push = np.zeros(0, np.int64), np.zeros(0, np.float32)
                if top > thr:
                    if not SKIP_PUSHES_KEPT:
                        full = w * np.clip((sims - thr) / (top - thr), 0, 1)
                        np.maximum(out, full, out=out)
                        continue
                    # Worked out and kept for the rows it reaches alone, those past the edge:
                    # elsewhere it is 0, which the maximum with ``out``, never below 0, leaves
                    # as it is (four passes over the whole library each new skip, for the
                    # tenth of it that is pushed).
                    at = np.flatnonzero(sims > thr)
                    push = w * np.clip((sims[at] - thr) / (top - thr), 0, 1)
                    out[at] = np.maximum(out[at], push)
                if not SKIP_PUSHES_KEPT:
                    continue
                if len(self._skip_pushes) >= SKIP_PUSHES_KEPT:
                    self._skip_pushes.clear()
                self._skip_pushes[(key, int(r), m)] = (at, push)
        streak = int(min(max(streak, 0), STREAK_MAX, len(skip_rows)))
        loud = self.skip_artist_push
        for codes, w in ((cat.artist, ARTIST_SKIP), (cat.album, ALBUM_SKIP)):
            hit = codes[skip_rows]
            hit = hit[hit >= 0]
            if len(hit):
                per = np.minimum(np.bincount(hit, minlength=int(codes.max()) + 1), SKIP_CAP).astype(np.float32)
                # As much as this person's skips say an artist is unwanted; fully for an
                # artist (album) skipped a third time within the streak going on now.
                scale = np.full(len(per), loud, np.float32)
                if streak >= STREAK_SAME:
                    now = codes[skip_rows[-streak:]]
                    scale[np.bincount(now[now >= 0], minlength=len(per)) >= STREAK_SAME] = 1.0
                if session is not None and len(session):
                    scale[self._resumed(codes, session, skip_rows, heard)] = 0.0
                per = per * scale
                # (looked up with a 0 after the last code, where the unknown one, -1, lands:
                # one pass over the library, not four)
                out += w * np.append(per, np.float32(0))[codes]
        if streak >= 2:
            run = skip_rows[-streak:]
            for mat, w in ((self.E, 1.0), (self.F, 0.5)):
                centre = _context(mat, run, decay=1.0)
                if centre.any():
                    out += loud * STREAK_AWAY * w * (streak - 1) * np.maximum(_z(mat @ centre), 0.0)
            b = self.genre[run]
            b = b[b >= 0]
            if len(b):
                share = np.bincount(b, minlength=len(cat.bucket_names)) / len(run)
                out += loud * STREAK_AWAY * (streak - 1) * np.append(share, 0.0)[self.genre]
        grow = 1.0 + loud * STREAK_GROWTH * max(streak - 1, 0)
        return self.config.skip_push * grow * out

    def _resumed(self, codes: np.ndarray, session: np.ndarray, skip_rows: np.ndarray,
                 heard: np.ndarray | None = None) -> np.ndarray:
        """The ``codes`` (artists or albums) of ``skip_rows`` that a play heard through in
        ``session`` (its plays in order; those of ``heard``, matched in order, else every
        one not skipped) came after the last skip of. [shape=(m,)] int64"""
        was_skipped = self._skipped_plays(session, skip_rows)
        was_heard = ~was_skipped if heard is None else self._skipped_plays(session, heard) & ~was_skipped
        c = codes[session]
        out = [a for a in np.unique(c[was_skipped & (c >= 0)]).tolist()
               if (np.flatnonzero(was_heard & (c == a))[-1:] > np.flatnonzero(was_skipped & (c == a))[-1]).any()]
        return np.array(out, np.int64)

    @property
    def short_rows(self) -> np.ndarray:
        """Tracks far shorter than what this person plays (stingers, sound effects). [shape=(n,)] bool

        The typical length is the median length of the person's listened plays (each play
        counts), or before ``MIN_PLAYS_FOR_LENGTH`` of them the library's (each track counting
        by its length); "far shorter" is under ``SHORT_FRACTION`` of it, or under the shortest
        lengths the person does listen to where those are shorter still. A track the person
        listened to is never short for them; one of unknown length is not short either.
        """
        cache = self._derived.get("short")
        if cache is not None and cache[0] is self.catalog.play_count:
            return cache[1]
        cat = self.catalog
        dur = np.nan_to_num(cat.duration.astype(np.float64), nan=np.inf)
        heard = cat.play_count > 0
        known = np.isfinite(dur) & (dur > 0)
        n_plays = float(cat.play_count[heard & known].sum())
        if n_plays >= MIN_PLAYS_FOR_LENGTH:
            rows = np.flatnonzero(heard & known)
            order = np.argsort(dur[rows])
            cum = np.cumsum(cat.play_count[rows][order])
            at = lambda q: float(dur[rows][order][np.searchsorted(cum, q * cum[-1])])  # noqa: E731
            limit = min(SHORT_FRACTION * at(0.5), 0.8 * at(0.05))
        elif known.any():
            # The length half the library's playing time is in: a folder of a thousand
            # two-second effects beside the songs does not make every song look long.
            d = np.sort(dur[known])
            cum = np.cumsum(d)
            limit = SHORT_FRACTION * float(d[np.searchsorted(cum, 0.5 * cum[-1])])
        else:
            limit = 0.0
        limit = min(limit, SHORT_CAP_S)
        short = known & (dur < limit) & ~heard
        self._derived["short"] = (cat.play_count, short)
        return short

    @property
    def long_rows(self) -> np.ndarray:
        """Tracks far longer than what this person plays (DJ mixes, audiobook chapters, sleep
        tracks). [shape=(n,)] bool

        Over ``LONG_FACTOR`` times the typical length (the median length of the person's
        listened plays, or before ``MIN_PLAYS_FOR_LENGTH`` of them the library's median track:
        by playing time a few ten-hour files would make the typical length theirs; never under
        the library's median, so a library of mostly mixes keeps them offered) and over
        ``LONG_FLOOR_S``. A track the person listened to is never long for them; one of
        unknown length is not long either. A track tagged as speech (:meth:`_spoken`) is
        left out with them, whatever its length.
        """
        cat = self.catalog
        return (self._long_length() & (cat.play_count <= 0)) | self._spoken()

    def _spoken(self) -> np.ndarray:
        """Tracks whose genre tag says speech (audiobooks, podcasts, spoken word), whatever
        their length or plays: left out between songs as the long ones are. [shape=(n,)] bool"""
        cat = self.catalog
        cache = self._derived.get("spoken")
        if cache is not None and cache[0] is cat.bucket:
            return cache[1]
        by_name = np.array([is_spoken(name) for name in cat.bucket_names] + [False], bool)   # (-1: none)
        spoken = by_name[cat.bucket]
        self._derived["spoken"] = (cat.bucket, spoken)
        return spoken

    def _long_length(self) -> np.ndarray:
        """Tracks over the length :attr:`long_rows` calls long, played or not: a session or
        station on a mix the person has heard before is still on a mix. [shape=(n,)] bool"""
        cache = self._derived.get("long")
        if cache is not None and cache[0] is self.catalog.play_count:
            return cache[1]
        cat = self.catalog
        dur = np.nan_to_num(cat.duration.astype(np.float64), nan=0.0)
        heard = cat.play_count > 0
        known = np.isfinite(dur) & (dur > 0)
        rows = np.flatnonzero(heard & known)
        typical = float(np.median(dur[known])) if known.any() else np.inf
        if float(cat.play_count[rows].sum()) >= MIN_PLAYS_FOR_LENGTH:
            # Never under the library's typical track: where most of it is mixes, symphonies
            # or chapters they are the person's music, though the first plays were of its few
            # songs (else they would all drop out of Discover on the tenth play).
            order = np.argsort(dur[rows])
            cum = np.cumsum(cat.play_count[rows][order])
            typical = max(typical, float(dur[rows][order][np.searchsorted(cum, 0.5 * cum[-1])]))
        long_ = known & (dur > max(LONG_FACTOR * typical, LONG_FLOOR_S))
        self._derived["long"] = (cat.play_count, long_)
        return long_

    def _off_length(self, row: int) -> np.ndarray:
        """Tracks taken only when nothing else is left after ``row`` (-1: none): the short
        ones unless ``row`` is short, the long ones unless it is long. [shape=(n,)] bool

        Long here is by length alone, played or not: a two-hour mix the person heard through
        last week is their music (Discover may bring it back), but offered between two songs
        it still takes the evening, so it waits for a session or station on a mix.
        """
        short = self.short_rows
        long_ = self._long_length() | self._spoken()
        on_short = row >= 0 and bool(short[row])
        on_long = row >= 0 and bool(long_[row])
        return (short if not on_short else np.zeros_like(short)) | (long_ if not on_long else np.zeros_like(long_))

    def _tiebreak(self) -> np.ndarray:
        """A random order of the tracks, fixed for a day (see ``_pick``). [shape=(n,)]"""
        day = int(self.now // DAY)
        cached = self._derived.get("tiebreak")
        if cached is None or cached[0] != day:
            cached = self._derived["tiebreak"] = (day, np.random.default_rng(day).random(self.catalog.n))
        return cached[1]

    def _shuffle(self, seed_track_id: int) -> np.ndarray:
        """A tie-breaker in [0, 1) per track, fixed for one seed on one day."""
        rng = np.random.default_rng([int(seed_track_id) & 0x7FFFFFFF, int(self.now // DAY)])
        return rng.random(self.catalog.n).astype(np.float32)

    def _recording(self, row: int) -> str | None:
        """The normalised artist + title of a row (one song, whatever its spelling), or None."""
        keys = self._derived.setdefault("recording", {})
        key = keys.get(row, "")
        if key == "":
            cat = self.catalog
            a = cat.artist[row]
            # (a title that reads as a stand-in, "Track 10", is a song's name where its sheet says so)
            named = cat.titles_named is not None and bool(cat.titles_named[row])
            key = keys[row] = recording_key(cat.artist_names[a] if a >= 0 else None, cat.titles[row],
                                            stand_in=False if named else None)
        return key

    def _same_recording(self, row: int, seen: dict[str, list[float]]) -> bool:
        """True when ``seen`` (recording key -> lengths) holds this song at about this length."""
        key = self._recording(row)
        if key is None or key not in seen:
            return False
        d = float(self.catalog.duration[row])
        return any(same_length(d, o) for o in seen[key])

    def _remember(self, row: int, seen: dict[str, list[float]]) -> None:
        key = self._recording(row)
        if key is not None:
            seen.setdefault(key, []).append(float(self.catalog.duration[row]))

    def _pick(self, score: np.ndarray, k: int, banned: np.ndarray, *, history: np.ndarray,
              per_artist: int | None = None, strict: bool = False, follow: bool = False,
              among: np.ndarray | None = None, last: np.ndarray | None = None,
              recordings: dict[str, list[float]] | None = None,
              follow_album: bool = False, timeline: bool = True,
              topic: np.ndarray | None = None, stay: bool = False, was_on: bool = False, apart: int = 1,
              opening: int = 0, run: int = 0, own_artist: tuple[int, int] | None = None) -> list[tuple[int, float]]:
        """Best ``k`` rows (of ``among``, default all) with artist/album spacing.

        ``follow``: an artist or album may follow itself (only the per-hour limit holds);
        ``follow_album``: an album may (a compilation, whose artists change, played through).
        ``timeline``: the rows play one after another, so ``per_artist`` counts the hour
        before each one; otherwise (a row of choices) it counts the whole row.
        Spacing is relaxed (unless ``strict``) when the library is too small for it.
        ``last`` [shape=(n,)] bool: rows taken only when nothing else is left (short tracks).
        One recording (same normalised artist and title, about the same length) is never
        picked twice, nor again when it is banned or in ``history``; ``recordings`` carries
        what was picked across calls (Discover's rows) and is updated.
        ``topic`` [shape=(n,)] bool: rows on the list's topic (a station's genre). When the
        next row allowed is off it, one on it that the hour and ``apart`` allow goes first,
        though it scores lower; when none is left, one held back only by the hour: a station
        on a genre with few artists comes back to one of them rather than leave for another
        genre while songs of its own are left, but keeps them ``apart`` (a genre of two bands
        plays A B, another genre's song, A B, never A B A B for as long as they last).
        ``stay``: no row off ``topic`` while one on it is allowed, however much higher it
        scores (without it, a row on topic jumps ahead only once one was passed over, or
        from the start where ``was_on``: the list goes on from one on topic, left only for
        the spacing).
        ``apart``: an artist comes back only after this many songs by others (the tail of
        ``history``, then the picks) while others are allowed (unless ``follow``; 1: never
        twice in a row).
        ``opening``: the first this many picks hold ``apart`` as 1, and no two artists take
        turns (A B A may be picked, A B A B not; the last three of ``history`` count).
        ``run``: with ``follow``, an artist follows itself only until this many of its songs
        are in a row (the tail of ``history`` counts) while others are allowed; 0: no limit.
        ``own_artist``: ``(artist code, limit)``, that artist's own hourly limit in place of
        ``per_artist``, and one more song in a row than ``run`` (a station's seed's artist).
        """
        cat = self.catalog
        if len(banned):
            s = np.array(score, np.float32, copy=True)
            s[banned.astype(np.int64)] = -np.inf
        else:       # read only: Discover bans nothing, and would copy every score once per genre
            s = np.asarray(score, np.float32)
        pool = np.arange(cat.n) if among is None else among
        m = min(len(pool), max(self.config.candidates, 20 * k))
        limit = per_artist or self.config.max_per_artist_hour
        if m < len(pool):
            # Half of it stays open to one artist: someone who plays one artist for hours does
            # find its songs there when spacing gives way.
            cand = self._shortlist(s, pool, m, max(limit + k, m // 2))
            if topic is not None:
                # and the topic's best, so that a song on it within its artist's hour is there
                # to come before the hour gives way: a metal station for someone who plays
                # jazz found three metal artists among the best 400, and played two in turns.
                on = pool[topic[pool]]
                if len(on) > m:
                    on = self._shortlist(s, on, m, max(limit + k, m // 2))
                cand = np.union1d(cand, on)
        else:
            cand = pool
        # Equal scores (a library not analysed yet ties a whole genre) in a daily shuffled
        # order, never in library order (which is alphabetical).
        cand = cand[np.lexsort((self._tiebreak()[cand], -s[cand]))]
        cand = cand[np.isfinite(s[cand])]
        held: list[int] = []
        if last is not None and len(cand):
            held = [int(r) for r in cand[last[cand]]]
            cand = cand[~last[cand]]
        seen = recordings if recordings is not None else {}
        for r in np.concatenate([banned[-500:], history]).astype(np.int64):
            self._remember(int(r), seen)
        # "At most so many an hour" is an hour of listening: a pick starts when the ones
        # before it end, so a long list lets an artist come back once its plays near the
        # top (or just heard) are more than an hour behind.
        recent, start = self._last_hour(history)
        heard: dict[int, list[float]] = {}        # artist -> start times, seconds from now
        for a, t0 in zip(cat.artist[recent], start):
            heard.setdefault(int(a), []).append(float(t0))
        clock = 0.0

        def full(a: int) -> bool:
            times = heard.get(a)
            if not times:
                return False
            cap = own_artist[1] if own_artist is not None and a == own_artist[0] else limit
            return sum(1 for t0 in times if clock - t0 < 3600.0) >= cap
        prev_artist = cat.artist[history[-1]] if len(history) and not follow else -1
        prev_album = cat.album[history[-1]] if len(history) and not (follow or follow_album) else -1
        # the artists of the latest picks, from the end of ``history`` on
        lately = [int(a) for a in cat.artist[history[-max(apart, 3):]]] if len(history) and not follow else []
        tail = len(lately)
        # the artists of the latest picks whatever ``follow`` says: an artist may follow
        # itself only within its hour, and a song on topic let past its hour (``on_topic``)
        # does not follow its own artist. Without this, a station for someone who plays
        # albums through (``follow``) played the seed's artist eight times in a row once the
        # genre's other artists had had their hour, as the hour gave way to the genre.
        picked = [int(a) for a in cat.artist[history[-max(apart, run + 1):]]] if len(history) else []

        def past_hour_apart(a) -> bool:
            return a < 0 or not full(int(a)) or int(a) not in picked[-apart:]

        def close(a) -> bool:
            if a < 0:
                return False
            a = int(a)
            r = run + 1 if run and own_artist is not None and a == own_artist[0] else run
            if r and len(picked) >= r and picked[-r:] == [a] * r:
                return True
            if len(lately) - tail >= opening:
                return a in lately[-apart:]
            # (back after one other song, unless the one between came back the same way)
            return lately[-1:] == [a] or len(lately) >= 3 and lately[-3:] == [lately[-1], a, lately[-1]]

        def allowed(r) -> bool:
            """``r`` may follow the picks so far: its artist has room this hour and neither
            its artist nor its album follows itself, and no copy of it is picked."""
            a, al = cat.artist[r], cat.album[r]
            return not (a >= 0 and (close(a) or full(int(a)))) and not (al >= 0 and al == prev_album) \
                and not self._same_recording(int(r), seen)
        out, deferred = [], []   # deferred: blocked by the previous pick or, for now, the hourly limit
        it = iter(cand)
        while len(out) < k:
            pick = None
            for j, r in enumerate(deferred):   # scored above every candidate not yet seen
                if self._same_recording(int(r), seen):
                    continue                        # (a copy of it was picked meanwhile)
                a = cat.artist[r]
                if a >= 0 and full(int(a)):
                    continue
                if not close(a) and (cat.album[r] < 0 or cat.album[r] != prev_album):
                    pick = deferred.pop(j)
                    break
            while pick is None:
                r = next(it, None)
                if r is None:
                    break
                a, al = cat.artist[r], cat.album[r]
                if self._same_recording(int(r), seen):
                    continue                        # another copy of a song already there
                if a >= 0 and full(int(a)):
                    deferred.append(r)              # this artist is done for the hour, for now
                elif close(a) or (al >= 0 and al == prev_album):
                    deferred.append(r)
                else:
                    pick = r
            if pick is not None and topic is not None and not topic[pick]:
                # (``deferred`` is in score order: the first one on topic that the spacing
                # allows is the best of them, held back only by its artist's hour. Staying on
                # the genre gives the hour way, never the spacing: a genre of two bands with
                # soul around played them in turns, B A B A B A, for as long as they lasted,
                # which sounds stuck however well they fit)
                def on_topic() -> int | None:
                    return next((j for j, r in enumerate(deferred)
                                 if topic[r] and not close(cat.artist[r]) and past_hour_apart(cat.artist[r])
                                 and not (cat.album[r] >= 0 and cat.album[r] == prev_album)
                                 and not self._same_recording(int(r), seen)), None)
                j = on_topic()
                passed = j is not None or was_on or any(topic[r] for r in deferred)   # one on topic held back
                if (j is None and (stay or passed)) or (j is not None and not allowed(deferred[j])):
                    # Before the hour gives way (or the spacing sends the station off topic), a
                    # song on topic that both allow, though it scores lower: a jazz station for someone who plays
                    # more soul than jazz played two jazz artists in turns, eight songs each
                    # in twenty (then A B A B from the start), with a dozen other jazz
                    # artists left.
                    other = next((i for i, r in enumerate(deferred) if topic[r] and allowed(r)), None)
                    if other is None:
                        for r in it:
                            deferred.append(r)      # passed over for now, in score order
                            if topic[r] and allowed(r):
                                other = len(deferred) - 1
                                break
                    if other is None and j is None:
                        # (or one passed over just now, held back by the hour too)
                        j = on_topic()
                    j = j if other is None else other
                if j is not None:
                    pick, deferred[j] = deferred[j], pick
                    deferred.sort(key=lambda r: -s[r])
            if pick is None:
                break
            out.append(pick)
            self._remember(int(pick), seen)
            a = cat.artist[pick]
            heard.setdefault(int(a), []).append(clock)
            picked.append(int(a))
            if timeline:
                clock += float(self._seconds(pick))
            if not follow:
                prev_artist, prev_album = a, (-1 if follow_album else cat.album[pick])
                lately.append(int(a))
        if len(out) < k and not strict:
            # A small library: drop the per-hour limit, but still keep one artist from
            # following itself while another is left (else a 3-artist library clumps), and
            # ``apart`` where the others allow it: a station from a 3-artist library played
            # its seed's artist every other song, one of the others three times in twenty.
            rest = [r for r in sorted(deferred, key=lambda r: -s[r]) if not self._same_recording(int(r), seen)]
            rest += [r for r in held if not self._same_recording(r, seen)]
            while rest and len(out) < k:
                j = None if follow else next((i for i, r in enumerate(rest) if not close(cat.artist[r])), None)
                if j is None:
                    j = next((i for i, r in enumerate(rest) if cat.artist[r] < 0 or cat.artist[r] != prev_artist), 0)
                pick = rest.pop(j)
                if self._same_recording(int(pick), seen):
                    continue
                out.append(pick)
                self._remember(int(pick), seen)
                prev_artist = cat.artist[pick]
                lately.append(int(prev_artist))
        return [(int(cat.track_ids[r]), float(s[r])) for r in out]

    def _shortlist(self, s: np.ndarray, pool: np.ndarray, m: int, cap: int) -> np.ndarray:
        """The ``m`` best-scored rows of ``pool``, at most ``cap`` of them by one artist when
        one artist would hold more: in a library where one artist has hundreds of tracks
        (and the priors know them all), the best few hundred may all be theirs, and artist
        spacing then has nothing else to choose from. [shape=(m,)] int64"""
        cat = self.catalog
        sp = s[pool]
        cand = pool[np.argpartition(-sp, m - 1)[:m]]
        kth = s[cand].min()
        if not np.isnan(kth):
            # Which of the scores equal to the m-th make the cut was the partition's choice: a
            # block of the library in its own (alphabetical) order that numpy's build and the
            # processor pick, the same every day, where a library not analysed yet ties
            # everything. They are taken in the day's shuffled order, as ``_pick`` sorts them.
            above, tied = pool[sp > kth], pool[sp == kth]
            need = m - len(above)
            if len(tied) > need:
                tied = tied[np.argpartition(self._tiebreak()[tied], need - 1)[:need]]
            cand = np.concatenate([above, tied])
        a = cat.artist[cand]
        if not (a >= 0).any() or np.bincount(a[a >= 0]).max() <= cap:
            return cand
        order = pool[np.lexsort((self._tiebreak()[pool], -sp))]
        a = cat.artist[order]
        by_artist = np.lexsort((np.arange(len(order)), a))     # each artist's rows, best first
        grp = a[by_artist]
        starts = np.r_[0, np.flatnonzero(grp[1:] != grp[:-1]) + 1]
        place = np.empty(len(order), np.int64)
        place[by_artist] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        return order[(a < 0) | (place < cap)][:m]

    def _skip_artist_push(self) -> float:
        """How much of the artist and album push a skip gets for this person, 0..1: one
        minus the rate at which a skipped track's artist comes back among the next listened
        plays of the session, over the same rate after a listened track (skips shrunk
        towards never coming back, ``config.skip_return_prior_n``). Someone who skips one
        song and goes on with the artist says "not this song"; someone whose skips keep
        the artist away says "not this artist"."""
        back_s, skips, back_l, heard = self.catalog.artist_returns
        n = skips + self.config.skip_return_prior_n
        if not back_l or n <= 0:
            return 1.0
        ratio = (back_s / n) / (back_l / heard)
        return float(np.clip(1.0 - ratio, 0.0, 1.0))

    def _artist_run_rate(self) -> float:
        """Share of this person's in-session moves from one listened play to the next (early
        skips between them aside) that stay with the same artist (``Catalog.artist_runs``),
        shrunk towards ``config.artist_run_prior``."""
        cfg = self.config
        same, n = self.catalog.artist_runs
        return float((same + cfg.artist_run_prior * cfg.artist_run_prior_n) / (n + cfg.artist_run_prior_n))

    def _last_played(self) -> np.ndarray:
        """When each track was last played, for how recent it is [shape=(n,)] (0: never, or
        only ahead of now): the catalogue's, but from its latest play not ahead of
        ``now``. A play logged while the clock ran a year ahead, then put right, has no
        time that can be placed; taken as it was, the song stayed "just played" (held back
        by Up next, not "not played lately" for Discover) until the clock caught up."""
        cat = self.catalog
        limit = self.now + FUTURE_SLACK_S
        if not (cat.last_played > limit).any():
            return cat.last_played
        t, rows = cat.plays.started_at, cat.play_rows
        ok = (rows >= 0) & (t <= limit)
        last = np.zeros(cat.n, np.float64)
        np.maximum.at(last, rows[ok], t[ok])
        return np.where(cat.last_played > limit, last, cat.last_played)

    def _artist_hour(self) -> int:
        """How many plays of one artist an hour the person's habit allows
        (``Catalog.artist_hour``; 0 without ``config.habit_spacing``), taken towards the
        default limit while their listened plays are few: one album played through is one
        evening, not yet a habit of hearing an artist ten times an hour."""
        cfg, cat = self.config, self.catalog
        if not cfg.habit_spacing or not cat.artist_hour:
            return 0
        n, base = cat.n_listened, cfg.max_per_artist_hour
        return int(round(base + (cat.artist_hour - base) * n / (n + HABIT_PRIOR_PLAYS)))

    def _artist_stay(self) -> float:
        """How much more readily this person keeps an offer by the artist of the track they
        just kept than an offer by another artist (``Catalog.artist_stays``): the log-odds of
        keeping the one minus the other's, both keep rates shrunk towards the person's
        overall one (``config.stay_prior_n`` offers' worth), taken ``config.stay_margin``
        standard errors nearer 0. 0 without offers.

        The person's own moves cannot tell this: someone who would gladly hear an artist's
        songs one after another, but is only offered other artists, never makes a run. Their
        keeps and skips of Segue's offers do, at once. Only a positive one is used (the
        defaults keep an artist apart already)."""
        return self._keep_contrast(*self.catalog.artist_stays)

    def _replay_keep(self) -> float:
        """How much more readily this person keeps Segue's offer of a song they listened to
        lately than an offer of another (``Catalog.replay_answers``), as ``_artist_stay``
        measures runs. Real listening logs are full of replays, so the person's own evidence
        leans on them; someone who tires of what they just heard says so by skipping them
        when offered. Only a negative one is used (``REPLAY_PUSH``)."""
        return self._keep_contrast(*self.catalog.replay_answers)

    def _keep_contrast(self, n_s: int, k_s: int, n_o: int, k_o: int) -> float:
        """The log-odds of keeping one kind of offer (``k_s`` of ``n_s``) minus the other's
        (``k_o`` of ``n_o``), both keep rates shrunk towards the person's overall one
        (``config.stay_prior_n`` offers' worth), taken ``config.stay_margin`` standard
        errors nearer 0. 0 without offers."""
        cfg = self.config
        if n_s + n_o == 0:
            return 0.0
        rate = (k_s + k_o + 1.0) / (n_s + n_o + 2.0)
        a = cfg.stay_prior_n
        p_s, p_o = (k_s + a * rate) / (n_s + a), (k_o + a * rate) / (n_o + a)
        delta = np.log(p_s / (1 - p_s)) - np.log(p_o / (1 - p_o))
        # Its standard error with the counts the shrunk rates stand for.
        spread = np.sqrt(1 / (p_s * (n_s + a)) + 1 / ((1 - p_s) * (n_s + a))
                         + 1 / (p_o * (n_o + a)) + 1 / ((1 - p_o) * (n_o + a)))
        return float(np.sign(delta) * max(0.0, abs(delta) - cfg.stay_margin * spread))

    def _seconds(self, rows):
        """How long ``rows`` play, in seconds (4 minutes where the length is unknown)."""
        return np.nan_to_num(self.catalog.duration[rows], nan=240.0)

    def _last_hour(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The tail of ``history`` that fits in the last hour of listening, latest first,
        and when each started, in seconds before now (negative)."""
        if not len(history):
            return history, np.zeros(0)
        rows = history[::-1]
        ends = np.cumsum(self._seconds(rows))
        n = int(np.searchsorted(ends, 3600.0, side="right")) + 1
        return rows[:n], -ends[:n]
