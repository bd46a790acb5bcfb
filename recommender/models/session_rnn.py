"""GRU4Rec-style session model for "Up next" (Hidasi et al. 2016; Hidasi & Czapp 2023).

A one-layer GRU reads the current session one track at a time; its state is
scored against every item vector by dot product. Item vectors are shared between
input and output (the "constrained embedding" of GRU4Rec) and are the sum of

- a learned id embedding (zero for items never trained on),
- a learned artist embedding (from ``ItemSpace.item_artist``),
- a linear projection of optional side features (``ItemSpace.side``: tagger
  embedding, prior CF factors), masked where an item has none,

so a track never played before still gets a meaningful score from its artist
and side features. Training uses session-parallel mini-batches (each lane of the
batch walks one session; a finished session is replaced by the next one and its
lane's state reset) and softmax cross-entropy: over all items when the catalog
has at most ``n_sample`` items, else over the batch's targets plus ``n_sample``
negatives drawn by popularity^``sample_alpha`` (duplicates of the target masked).

``update`` continues from the current weights: the item and artist tables grow
for new ids (new rows start at zero) and a few epochs run over the new sessions
plus a replay of recent old ones. Torch is imported lazily; :meth:`SessionGRU.export_serving`
writes the trained model as numpy arrays, which is what the window scores with.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from recommender.models.session_base import (
    ItemSpace,
    SessionModel,
    SessionModelError,
    catalog_arrays,
    catalog_from_arrays,
    check_sessions,
)
from recommender.stopping import ShouldStop, check
from segue_common import atomic


def pick_device(preferred: str | None = None) -> str:
    """The app-wide rule of :func:`recommender.device.pick_device` (SEGUE_DEVICE, then
    ``preferred``, then cuda, mps, cpu)."""
    from recommender.device import pick_device as app_rule

    return app_rule(preferred)


class SessionGRU(SessionModel):
    """Next-track GRU with id + artist + side-feature item vectors; see the module docstring."""

    name = "gru"

    def __init__(self, *, dim: int = 64, epochs: int = 20, batch_size: int = 32, lr: float = 0.005,
                 dropout: float = 0.1, n_sample: int = 2048, sample_alpha: float = 0.75,
                 update_epochs: int = 2, replay: int = 50, use_artist: bool = True, use_side: bool = True,
                 seed: int = 0, device: str | None = None, threads: int = 1,
                 should_stop: ShouldStop = None) -> None:
        super().__init__()
        if dim <= 0 or epochs < 0 or batch_size <= 0 or lr <= 0 or not 0 <= dropout < 1:
            raise SessionModelError("dim, batch_size, lr must be positive, epochs >= 0, 0 <= dropout < 1")
        self.params = dict(dim=dim, epochs=epochs, batch_size=batch_size, lr=lr, dropout=dropout,
                           n_sample=n_sample, sample_alpha=sample_alpha, update_epochs=update_epochs,
                           replay=replay, use_artist=use_artist, use_side=use_side, seed=seed)
        self.device, self.threads = device, threads
        self.should_stop = should_stop      # asked between training steps; not saved with the model
        self.net = None
        self.pop = np.zeros(0)
        self.history: list[np.ndarray] = []
        self.timings: dict[str, float] = {}
        self._cache: tuple[np.ndarray, object] | None = None
        self._items = None

    # ---- training -------------------------------------------------------------------------
    def fit(self, sessions: Sequence[Sequence[int]], catalog: ItemSpace) -> "SessionGRU":
        import torch

        from recommender.models.session_net import ItemGRU

        torch.set_num_threads(self.threads)
        self._n_trains = 0

        self.device = pick_device(self.device)
        sessions = check_sessions(sessions, catalog.n_items)
        self.catalog = catalog
        side_dim = 0 if self._side(catalog) is None else catalog.side.shape[1]
        with torch.random.fork_rng(devices=[]):  # own seed, untouched by other models in the process
            torch.manual_seed(self.params["seed"])
            self.net = ItemGRU(catalog.n_items, catalog.n_artists, self.params["dim"], side_dim,
                               use_artist=self.params["use_artist"], dropout=self.params["dropout"]).to(self.device)
        self.pop = np.zeros(catalog.n_items)
        for s in sessions:
            np.add.at(self.pop, s, 1.0)
        with torch.no_grad():  # items never trained on keep a zero id vector
            self.net.item_id.weight[torch.as_tensor(self.pop == 0, device=self.device)] = 0.0
        start = time.perf_counter()
        self._train(sessions, self.params["epochs"])
        self.timings["fit_s"] = time.perf_counter() - start
        self.history = [s for s in sessions if len(s) > 1][-self.params["replay"]:]
        return self

    def _update(self, sessions: list[np.ndarray]) -> None:
        start = time.perf_counter()
        for s in sessions:
            np.add.at(self.pop, s, 1.0)
        fresh = [s for s in sessions if len(s) > 1]
        self._train(self.history + fresh, self.params["update_epochs"])
        self.history = (self.history + fresh)[-self.params["replay"]:]
        self.timings["last_update_s"] = time.perf_counter() - start

    def _train(self, sessions: list[np.ndarray], epochs: int) -> None:
        import torch

        from recommender.models.session_net import train_epochs

        if epochs == 0 or not any(len(s) > 1 for s in sessions):
            return
        self._sync_catalog()
        run = getattr(self, "_n_trains", 0)
        self._n_trains = run + 1
        with torch.random.fork_rng(devices=[]):  # dropout masks depend only on this model's history
            torch.manual_seed(self.params["seed"] * 100_003 + run)
            self.losses = train_epochs(
                self.net, sessions, self._catalog_tensors(), self.pop, epochs=epochs,
                batch_size=self.params["batch_size"], lr=self.params["lr"], n_sample=self.params["n_sample"],
                sample_alpha=self.params["sample_alpha"], seed=self.params["seed"] * 100_003 + run,
                device=self.device, should_stop=self.should_stop)
        self._cache, self._items = None, None

    # ---- catalog ---------------------------------------------------------------------------
    def extend_catalog(self, catalog: ItemSpace) -> None:
        super().extend_catalog(catalog)
        self.pop = np.concatenate([self.pop, np.zeros(catalog.n_items - self.pop.shape[0])])
        self._sync_catalog()

    def _sync_catalog(self) -> None:
        cat = self._require()
        if self.net is None:
            raise SessionModelError("gru is not fitted")
        side = self._side(cat)
        if (side is None) != (self.net.side_dim == 0) or (side is not None and side.shape[1] != self.net.side_dim):
            raise SessionModelError("catalog side features do not match the ones the model was trained with")
        if self.net.grow(cat.n_items, cat.n_artists):
            self._cache, self._items = None, None
        elif self._items is not None and self._items.shape[0] != cat.n_items:
            self._items = None

    def _catalog_tensors(self):
        import torch

        cat = self._require()
        artist = torch.as_tensor(cat.item_artist + 1, device=self.device)
        if self._side(cat) is None:
            return artist, None
        side = torch.as_tensor(cat.side * cat.side_mask[:, None], device=self.device)
        return artist, side

    def _side(self, cat: ItemSpace):
        return cat.side if self.params.get("use_side", True) else None

    # ---- scoring ---------------------------------------------------------------------------
    def score(self, prefix: Sequence[int]) -> np.ndarray:
        import torch

        prefix = self._prefix(prefix)
        self._sync_catalog()
        self.net.eval()
        with torch.no_grad():
            if self._items is None:
                self._items = self.net.item_vectors(*self._catalog_tensors())
            h, done = None, 0
            if self._cache is not None:
                cached, hc = self._cache
                if 0 < cached.size <= prefix.size and np.array_equal(prefix[: cached.size], cached):
                    h, done = hc, cached.size
            for item in prefix[done:]:
                x = self._items[int(item)].unsqueeze(0)
                h = self.net.cell(x, h)
            self._cache = (prefix.copy(), h) if prefix.size else None
            if h is None:
                return self.pop / (self.pop.max() + 1.0)
            return self.net.logits(h, self._items).squeeze(0).cpu().numpy().astype(np.float64)

    # ---- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write a torch state dict (plain tensors and a JSON string) atomically."""
        import torch

        arrays = {**catalog_arrays(self._require()), "pop": self.pop}
        arrays["hist_flat"] = np.concatenate(self.history) if self.history else np.zeros(0, np.int64)
        arrays["hist_lens"] = np.asarray([len(s) for s in self.history], np.int64)
        payload = {"state": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
                   "arrays": {k: torch.as_tensor(np.asarray(v)) for k, v in arrays.items()},
                   "meta": json.dumps({"class": "SessionGRU", "params": self.params, "side_dim": self.net.side_dim})}
        with atomic.atomic_open(path) as fh:
            torch.save(payload, fh)

    def export_serving(self, path: str | Path, *, should_stop: ShouldStop = None) -> None:
        """Write what scoring needs as numpy arrays (:mod:`recommender.models.session_serving`),
        so the window ranks with this model without importing torch. ``should_stop`` is
        asked once more before the file is written (which is whole or not at all)."""
        import torch

        from recommender.models.session_serving import save_serving

        self._sync_catalog()
        with torch.no_grad():
            items = self.net.item_vectors(*self._catalog_tensors())
            cell, out = self.net.cell, self.net.out
            arrays = {"items": items, "w_ih": cell.weight_ih, "w_hh": cell.weight_hh, "b_ih": cell.bias_ih,
                      "b_hh": cell.bias_hh, "out_w": out.weight, "out_b": out.bias}
            arrays = {k: v.detach().cpu().numpy() for k, v in arrays.items()}
        check(should_stop)
        save_serving(path, {**arrays, "pop": self.pop})

    @classmethod
    def load(cls, path: str | Path, *, device: str | None = None) -> "SessionGRU":
        import torch

        from recommender.models.session_net import ItemGRU

        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        meta = json.loads(payload["meta"])
        if meta.get("class") != "SessionGRU":
            raise SessionModelError(f"{path} does not hold a SessionGRU")
        model = cls(**meta["params"], device=device)
        model.device = pick_device(device)
        arrays = {k: v.numpy() for k, v in payload["arrays"].items()}
        model.catalog = catalog_from_arrays(arrays)
        model.pop = arrays["pop"].astype(np.float64)
        lens = arrays["hist_lens"]
        model.history = list(np.split(arrays["hist_flat"], np.cumsum(lens)[:-1])) if lens.size else []
        state = payload["state"]
        model.net = ItemGRU(state["item_id.weight"].shape[0], state["artist.weight"].shape[0] - 1,
                            meta["params"]["dim"], meta["side_dim"], use_artist=meta["params"]["use_artist"],
                            dropout=meta["params"]["dropout"])
        model.net.load_state_dict(state)
        model.net.to(model.device)
        return model
