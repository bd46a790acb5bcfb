"""The contract every next-track ("Up next") model follows.

A model sees sessions as int arrays of item ids and a :class:`ItemSpace` that
says how many items exist and what is known about each (artist, optional side
features such as the tagger embedding or prior CF factors). It must:

- ``fit(sessions, catalog)``: train from scratch;
- ``update(new_sessions, catalog)``: continue from the current state with new
  sessions (the catalog may have grown);
- ``extend_catalog(catalog)``: learn that new items exist without training, so
  they can be scored at once;
- ``score(prefix)``: a score per catalog item for the next play after
  ``prefix`` [shape=(n_items,)], higher is better;
- ``save(path)`` / ``load(path)``: ``.npz`` read with ``allow_pickle=False``
  (or a torch state dict read with ``weights_only=True``), written atomically.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from segue_common import atomic


class SessionModelError(ValueError):
    """Raised for input a session model cannot use (bad ids, shapes, unfitted model)."""


@dataclass
class ItemSpace:
    """What the models know about the items.

    Attributes
    ----------
    n_items : number of items; ids are ``range(n_items)``.
    item_artist : np.ndarray [shape=(n_items,)] int64 artist id, -1 unknown.
    n_artists : number of artist ids.
    side : np.ndarray [shape=(n_items, d)] float32 side features, or None.
    side_mask : np.ndarray [shape=(n_items,)] bool, True where ``side`` holds a real row.
    """

    n_items: int
    item_artist: np.ndarray
    n_artists: int
    side: np.ndarray | None = None
    side_mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.item_artist = np.asarray(self.item_artist, dtype=np.int64)
        if self.item_artist.shape != (self.n_items,):
            raise SessionModelError(f"item_artist must have shape ({self.n_items},), got {self.item_artist.shape}")
        if self.item_artist.size and self.item_artist.max() >= self.n_artists:
            raise SessionModelError("item_artist holds an id >= n_artists")
        if self.side is not None:
            self.side = np.asarray(self.side, dtype=np.float32)
            if self.side.ndim != 2 or self.side.shape[0] != self.n_items:
                raise SessionModelError(f"side must have shape ({self.n_items}, d), got {self.side.shape}")
            mask = np.ones(self.n_items, bool) if self.side_mask is None else np.asarray(self.side_mask, bool)
            if mask.shape != (self.n_items,):
                raise SessionModelError(f"side_mask must have shape ({self.n_items},), got {mask.shape}")
            self.side_mask = mask

    @classmethod
    def plain(cls, n_items: int) -> "ItemSpace":
        """A catalog with no artist or side information."""
        return cls(n_items, np.full(n_items, -1, np.int64), 0)

    def head(self, n: int) -> "ItemSpace":
        """The catalog of the first ``n`` items (the items known earlier in time)."""
        side = None if self.side is None else self.side[:n]
        mask = None if self.side_mask is None else self.side_mask[:n]
        return ItemSpace(n, self.item_artist[:n], self.n_artists, side, mask)


def check_sessions(sessions: Sequence[Sequence[int]], n_items: int) -> list[np.ndarray]:
    """Sessions as int64 arrays, each id checked against ``range(n_items)``."""
    out = []
    for s in sessions:
        arr = np.asarray(s, dtype=np.int64).reshape(-1)
        if arr.size and (arr.min() < 0 or arr.max() >= n_items):
            raise SessionModelError(f"session holds an item id outside [0, {n_items})")
        out.append(arr)
    return out


class SessionModel(ABC):
    """Base class of next-track models; see the module docstring for the contract."""

    name = "session-model"

    def __init__(self) -> None:
        self.catalog: ItemSpace | None = None

    @abstractmethod
    def fit(self, sessions: Sequence[Sequence[int]], catalog: ItemSpace) -> "SessionModel":
        """Train from scratch on ``sessions`` (lists of item ids)."""

    def update(self, new_sessions: Sequence[Sequence[int]], catalog: ItemSpace) -> "SessionModel":
        """Continue training from the current state with ``new_sessions``."""
        if self.catalog is None:
            return self.fit(new_sessions, catalog)
        self.extend_catalog(catalog)
        self._update(check_sessions(new_sessions, catalog.n_items))
        return self

    def _update(self, sessions: list[np.ndarray]) -> None:
        raise NotImplementedError

    def extend_catalog(self, catalog: ItemSpace) -> None:
        """Adopt a catalog that may hold more items than the current one (never fewer)."""
        if self.catalog is not None and catalog.n_items < self.catalog.n_items:
            raise SessionModelError(f"catalog shrank from {self.catalog.n_items} to {catalog.n_items} items")
        self.catalog = catalog

    @abstractmethod
    def score(self, prefix: Sequence[int]) -> np.ndarray:
        """Scores for the next item after ``prefix`` [shape=(n_items,)], higher is better."""

    def _require(self) -> ItemSpace:
        if self.catalog is None:
            raise SessionModelError(f"{self.name} is not fitted")
        return self.catalog

    def _prefix(self, prefix: Sequence[int]) -> np.ndarray:
        cat = self._require()
        arr = np.asarray(prefix, dtype=np.int64).reshape(-1)
        if arr.size and (arr.min() < 0 or arr.max() >= cat.n_items):
            raise SessionModelError(f"prefix holds an item id outside [0, {cat.n_items})")
        return arr


def save_npz(path: str | Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write ``arrays`` plus a JSON ``meta`` record to ``path`` atomically."""
    payload = dict(arrays)
    payload["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with atomic.atomic_open(path) as fh:
        np.savez(fh, **payload)


def load_npz(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read what :func:`save_npz` wrote (``allow_pickle=False``)."""
    with np.load(Path(path), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "__meta__"}
        meta = json.loads(bytes(z["__meta__"]).decode("utf-8")) if "__meta__" in z.files else {}
    return arrays, meta


def catalog_arrays(cat: ItemSpace) -> dict[str, np.ndarray]:
    out = {"cat_item_artist": cat.item_artist, "cat_n_artists": np.asarray(cat.n_artists)}
    if cat.side is not None:
        out["cat_side"], out["cat_side_mask"] = cat.side, cat.side_mask
    return out


def catalog_from_arrays(arrays: dict[str, np.ndarray]) -> ItemSpace:
    ia = arrays["cat_item_artist"]
    return ItemSpace(int(ia.shape[0]), ia, int(arrays["cat_n_artists"]),
                   arrays.get("cat_side"), arrays.get("cat_side_mask"))


def sessions_to_arrays(sessions: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    lens = np.asarray([len(s) for s in sessions], np.int64)
    flat = np.concatenate(sessions).astype(np.int64) if sessions else np.zeros(0, np.int64)
    return {"sess_flat": flat, "sess_lens": lens}


def sessions_from_arrays(arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    flat, lens = arrays["sess_flat"], arrays["sess_lens"]
    return list(np.split(flat, np.cumsum(lens)[:-1])) if lens.size else []
