"""The shipped collaborative priors in ``models/priors/`` and how the app reads them.

Built by ``python -m recommender.research.pretrain`` from ``../shared/data`` (HetRec 2011
Last.fm 2K and the MSD Taste Profile sample; research-use terms, see each
manifest). Every file is a ``.npz`` read with ``allow_pickle=False`` and has a
JSON manifest next to it (``<name>.json``: source data and terms, command,
held-out metrics, sha256).

Usage::

    from recommender.models.priors import load_priors
    pri = load_priors()                      # default: the repo's models/priors
    pri.artists.get(normalize_name("Björk")) # [f] float32 or None (HetRec space)
    pri.tag_regressor.predict_factors(tags)  # tags [n, 50] in VOCABULARY order -> [n, f]
    pri.songs.lookup([match_key(a, t), ...]) # (factors [n, f_msd], found [n] bool), MSD space
    vec, source = pri.factor_for(artist, title, tags=tag_vector)  # best prior, HetRec space

Factor spaces: ``artists`` and ``tag_regressor`` share the HetRec artist space
(``artist_dim`` factors). ``songs`` and ``msd_artists`` live in the MSD space;
``msd_to_artist_space`` maps an MSD factor into the HetRec space (a ridge map fitted
on artists present in both; ``None`` if it was not built). Scores in a space are dot
products of a user/session factor with these item factors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segue_common.normalize import match_key, normalize_name

# The 50 tags of the MSD musicnn tagger, in its output order (Last.fm tags).
VOCABULARY: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s",
    "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)


class PriorsError(RuntimeError):
    """Raised when the shipped priors are missing or malformed."""


@dataclass(frozen=True)
class FactorTable:
    """Item factors keyed by a normalised string. ``keys`` sorted [n]; ``factors`` [n, f]."""

    keys: np.ndarray
    factors: np.ndarray
    names: np.ndarray | None = None
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({k: i for i, k in enumerate(self.keys.tolist())})

    @property
    def dim(self) -> int:
        return int(self.factors.shape[1])

    def __len__(self) -> int:
        return int(self.factors.shape[0])

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def get(self, key: str | None) -> np.ndarray | None:
        """The factor vector [shape=(f,)] of ``key``, or None."""
        i = self._index.get(key) if key else None
        return None if i is None else self.factors[i].astype(np.float32)

    def lookup(self, keys) -> tuple[np.ndarray, np.ndarray]:
        """``(factors [shape=(n, f)], found [shape=(n,)] bool)``; missing rows are zero."""
        idx = np.array([self._index.get(k, -1) if k else -1 for k in keys], dtype=np.int64)
        found = idx >= 0
        out = np.zeros((len(idx), self.dim), dtype=np.float32)
        out[found] = self.factors[idx[found]]
        return out, found

    @classmethod
    def from_npz(cls, path: Path) -> "FactorTable":
        with np.load(path, allow_pickle=False) as z:
            names = z["names"] if "names" in z.files else None
            return cls(z["keys"], z["factors"].astype(np.float32), names)


@dataclass(frozen=True)
class Priors:
    """Everything in ``models/priors`` (see the module docstring)."""

    artists: FactorTable
    tag_regressor: "object"  # recommender.models.content_to_cf.TagToFactor
    songs: FactorTable | None
    msd_artists: FactorTable | None
    msd_to_artist_space: np.ndarray | None  # [f_msd + 1, f] (last row: bias)
    manifests: dict

    @property
    def vocabulary(self) -> tuple[str, ...]:
        return tuple(self.tag_regressor.vocabulary)

    def to_artist_space(self, msd_factors: np.ndarray) -> np.ndarray | None:
        """MSD-space factors [n, f_msd] -> HetRec artist space [n, f], or None without a map."""
        if self.msd_to_artist_space is None:
            return None
        m = self.msd_to_artist_space
        return np.atleast_2d(msd_factors) @ m[:-1] + m[-1]

    def factor_for(self, artist: str | None, title: str | None = None, *,
                   tags: np.ndarray | None = None) -> tuple[np.ndarray | None, str]:
        """Best available prior for one track, in the HetRec artist space.

        Tries, in order: the artist in HetRec (direct), the song in the MSD index
        (mapped), the artist in MSD (mapped), the tag regressor on ``tags``
        [shape=(50,)]. HetRec comes first because the MSD -> HetRec map is weak (see
        ``manifests["msd_to_artist_space"]["metrics"]``). Returns ``(vector [f] or
        None, source)`` with source in {"artist", "song", "msd_artist", "tags", "none"}.
        """
        v = self.artists.get(normalize_name(artist))
        if v is not None:
            return v, "artist"
        if self.msd_to_artist_space is not None:
            for table, key, source in ((self.songs, match_key(artist, title), "song"),
                                       (self.msd_artists, normalize_name(artist), "msd_artist")):
                v = table.get(key) if table is not None else None
                if v is not None:
                    return self.to_artist_space(v)[0].astype(np.float32), source
        if tags is not None:
            return self.tag_regressor.predict_factors(np.atleast_2d(tags))[0], "tags"
        return None, "none"


def default_priors_dir() -> Path:
    """``models/priors`` in the source tree (the app passes paths.shipped_models_dir())."""
    return Path(__file__).resolve().parents[2] / "models" / "priors"


def load_priors(models_dir: str | Path | None = None) -> Priors:
    """Load the shipped priors from ``models_dir`` (a ``models/`` or ``models/priors`` folder).

    Raises :class:`PriorsError` when the HetRec artist factors or the tag regressor
    are missing; the MSD parts are optional (None when absent).
    """
    from recommender.models.content_to_cf import TagToFactor

    d = Path(models_dir) if models_dir is not None else default_priors_dir()
    if (d / "priors").is_dir():
        d = d / "priors"
    need = [d / "hetrec_artists.npz", d / "tag_regressor.npz"]
    missing = [p.name for p in need if not p.exists()]
    if missing:
        raise PriorsError(f"priors missing in {d}: {', '.join(missing)} (run python -m recommender.research.pretrain)")
    opt = {n: d / f"{n}.npz" for n in ("msd_songs", "msd_artists", "msd_to_artist_space")}
    mapping = None
    if opt["msd_to_artist_space"].exists():
        with np.load(opt["msd_to_artist_space"], allow_pickle=False) as z:
            mapping = z["map"].astype(np.float32)
    manifests = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(d.glob("*.json"))}
    return Priors(
        artists=FactorTable.from_npz(need[0]),
        tag_regressor=TagToFactor.load(need[1]),
        songs=FactorTable.from_npz(opt["msd_songs"]) if opt["msd_songs"].exists() else None,
        msd_artists=FactorTable.from_npz(opt["msd_artists"]) if opt["msd_artists"].exists() else None,
        msd_to_artist_space=mapping,
        manifests=manifests,
    )


def prior_factors(priors, artists, titles, tags: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Prior CF factor per track (HetRec artist space) and where it came from.

    Parameters
    ----------
    priors : recommender.models.priors.Priors
    artists, titles : sequences of str or None [shape=(n,)]
    tags : np.ndarray [shape=(n, 50)] tagger tag probabilities (rows of zeros = not analysed), or None

    Returns
    -------
    factors : np.ndarray [shape=(n, f)] float32, zero rows where nothing is known
    source : np.ndarray [shape=(n,)] str in {"song", "artist", "msd_artist", "tags", "none"}
    """
    n = len(artists)
    dim = priors.artists.dim
    out = np.zeros((n, dim), np.float32)
    source = np.full(n, "none", dtype=object)
    for i in range(n):
        vec, src = priors.factor_for(artists[i], titles[i])
        if vec is not None:
            out[i], source[i] = vec, src
    if tags is not None:
        need = np.flatnonzero((source == "none") & (np.abs(tags).sum(1) > 0))
        if len(need):
            out[need] = priors.tag_regressor.predict_factors(np.asarray(tags[need], np.float32))
            source[need] = "tags"
    return out, source.astype(str)
