"""The shared research datasets as user x item play counts.

:func:`load_hetrec`, :func:`load_msd`: user x item play counts from ``../shared/data``
(see its README for sources and terms), for pretraining the shipped priors and for
the collaborative-model evaluation. Never used by the app.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from segue_common.normalize import match_key, normalize_name

# ``../shared/data`` next to the repository; SEGUE_SHARED_DATA overrides it.
DEFAULT_DATA_ROOT = Path(os.environ.get("SEGUE_SHARED_DATA")
                         or Path(__file__).resolve().parents[3] / "shared" / "data")


class DataError(ValueError):
    """Raised for a data file the loaders cannot read."""


@dataclass(frozen=True)
class Dataset:
    """User x item play counts [shape=(n_users, n_items)] with ids and display names.

    ``item_keys`` are the normalised matching keys (``normalize_name(artist)`` for
    artists, ``match_key(artist, title)`` for songs; "" when unknown).
    """

    name: str
    counts: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_names: np.ndarray
    item_keys: np.ndarray

    def filtered(self, *, min_users_per_item: int = 2, min_items_per_user: int = 5) -> "Dataset":
        """Items with at least ``min_users_per_item`` users, then users with enough items."""
        x = self.counts
        keep_i = np.flatnonzero(np.diff(x.tocsc().indptr) >= min_users_per_item)
        x = x[:, keep_i]
        keep_u = np.flatnonzero(np.diff(x.indptr) >= min_items_per_user)
        x = sp.csr_matrix(x[keep_u])
        return Dataset(self.name, x, self.user_ids[keep_u], self.item_ids[keep_i],
                       self.item_names[keep_i], self.item_keys[keep_i])


def _read_tsv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    if not path.exists():
        raise DataError(f"missing data file {path}")
    text = path.read_bytes().decode(encoding)
    lines = text.replace("\r\n", "\n").split("\n")
    return [ln.split("\t") for ln in lines[1:] if ln.strip()]


def _counts(users: list, items: list, values: list, name: str, names: dict, keys: dict) -> Dataset:
    uids, ui = np.unique(np.array(users), return_inverse=True)
    iids, ii = np.unique(np.array(items), return_inverse=True)
    m = sp.csr_matrix((np.asarray(values, np.float32), (ui, ii)), shape=(len(uids), len(iids)))
    m.sum_duplicates()
    return Dataset(name, m, uids, iids,
                   np.array([names.get(i, "") for i in iids.tolist()], dtype=str),
                   np.array([keys.get(i, "") for i in iids.tolist()], dtype=str))


def load_hetrec(root: Path | str | None = None) -> Dataset:
    """HetRec 2011 Last.fm 2K: user -> artist listening counts, artists keyed by name."""
    root = Path(root or DEFAULT_DATA_ROOT / "hetrec2011-lastfm-2k")
    ua = _read_tsv(root / "user_artists.dat")
    artists = {int(r[0]): r[1] for r in _read_tsv(root / "artists.dat") if len(r) >= 2}
    keys = {a: normalize_name(n) for a, n in artists.items()}
    return _counts([int(r[0]) for r in ua], [int(r[1]) for r in ua], [float(r[2]) for r in ua],
                   "hetrec", artists, keys)


def load_hetrec_tags(root: Path | str | None = None, *, users=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HetRec user tags on artists: ``(artist_ids, tag_names, counts)``.

    ``counts`` [shape=(n_artists, n_tags)] is a CSR matrix of how many users put each
    tag (lower-cased, stripped; ``tags.dat`` is Latin-1) on each artist. ``users``
    (HetRec user ids) keeps only those users' tags: an evaluation must not let the
    held-out users' own tags describe the artists they are asked to rank.
    """
    root = Path(root or DEFAULT_DATA_ROOT / "hetrec2011-lastfm-2k")
    tags = {int(r[0]): r[1].strip().lower() for r in _read_tsv(root / "tags.dat", "latin-1")}
    uta = _read_tsv(root / "user_taggedartists.dat", "latin-1")
    if users is not None:
        keep = {int(u) for u in users}
        uta = [r for r in uta if int(r[0]) in keep]
    names = sorted(set(tags.values()))
    tcol = {n: j for j, n in enumerate(names)}
    a = np.array([int(r[1]) for r in uta])
    t = np.array([tcol[tags[int(r[2])]] for r in uta])
    aids, ai = np.unique(a, return_inverse=True)
    m = sp.csr_matrix((np.ones(len(a), np.float32), (ai, t)), shape=(len(aids), len(names)))
    m.sum_duplicates()
    return aids, np.array(names, dtype=str), m


def load_msd(root: Path | str | None = None) -> Dataset:
    """MSD Taste Profile sample: user -> song counts (``taste_profile_head.txt``).

    Song names and match keys come from ``taste_profile_sample_with_songs.csv``
    where that file covers the song (about 70 % of the plays); others have "".
    """
    root = Path(root or DEFAULT_DATA_ROOT / "msd_taste_sample")
    path = root / "taste_profile_head.txt"
    if not path.exists():
        raise DataError(f"missing data file {path}")
    rows = [ln.split("\t") for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    names, keys = song_metadata(root)
    return _counts([r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows],
                   "msd", {s: f"{a} - {t}" for s, (a, t) in names.items()}, keys)


def song_metadata(root: Path | str | None = None) -> tuple[dict, dict]:
    """``({song_id: (artist, title)}, {song_id: match_key})`` from the MSD sample CSV."""
    root = Path(root or DEFAULT_DATA_ROOT / "msd_taste_sample")
    text = (root / "taste_profile_sample_with_songs.csv").read_bytes().decode("utf-8", "replace")
    names, keys = {}, {}
    for r in csv.DictReader(io.StringIO(text)):
        names[r["song_id"]] = (r["artist_name"], r["title"])
        keys[r["song_id"]] = match_key(r["artist_name"], r["title"]) or ""
    return names, keys
