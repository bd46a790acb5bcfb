"""AutoRec for implicit feedback (Sedhain et al. 2015, on play counts), in torch.

- :class:`UAutoRec` (user-based): a row of binarised plays ``x`` [n_items] is encoded
  ``h = sigmoid(W x + b)`` [hidden] and decoded to item logits ``V h + c``. Trained
  as a denoising autoencoder (input dropout) with either a multinomial
  log-likelihood over all items (``loss="multinomial"``, as Mult-DAE) or binary
  cross-entropy (``loss="bce"``). Fold-in of a new row is one forward pass.
- :class:`IAutoRec` (item-based): each item's column over training users is
  encoded to ``h_j`` and decoded back. A new user is not an input dimension, so
  fold-in fits that user's decoder row by confidence-weighted ridge regression on
  the fixed item codes ``[h_j, 1]`` (the WMF fold-in with AutoRec item factors).

Training runs on CUDA, then MPS, then CPU; ``import torch`` happens inside methods
so importing this module stays cheap. Weights are saved as numpy arrays in ``.npz``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.data import confidence
from recommender.device import pick_device
from recommender.models.base import CFModel, binarize
from recommender.stopping import ShouldStop, check


def _train_autoencoder(x: sp.csr_matrix, *, hidden: int, epochs: int, lr: float, l2: float,
                       dropout: float, loss: str, batch: int, seed: int, device: str | None,
                       should_stop: ShouldStop = None):
    """Train a one-hidden-layer denoising autoencoder on the rows of ``x``; numpy weights.
    ``should_stop`` is asked before each batch (:mod:`recommender.stopping`)."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = pick_device(device)
    if dev == "cpu":
        # One thread: on a small shared machine two threads were 2x slower, not faster.
        torch.set_num_threads(1)
    n, d = x.shape
    enc = torch.nn.Linear(d, hidden).to(dev)
    dec = torch.nn.Linear(hidden, d).to(dev)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=lr, weight_decay=l2)
    drop = torch.nn.Dropout(dropout)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            check(should_stop)
            idx = order[start:start + batch]
            xb = torch.from_numpy(x[idx].toarray()).to(dev)
            logits = dec(torch.sigmoid(enc(drop(xb))))
            if loss == "multinomial":
                nll = -(torch.log_softmax(logits, dim=1) * xb).sum(1).mean()
            else:
                nll = torch.nn.functional.binary_cross_entropy_with_logits(logits, (xb > 0).float(),
                                                                           reduction="sum") / len(idx)
            opt.zero_grad()
            nll.backward()
            opt.step()
    return {
        "w_enc": enc.weight.detach().cpu().numpy(), "b_enc": enc.bias.detach().cpu().numpy(),
        "w_dec": dec.weight.detach().cpu().numpy(), "b_dec": dec.bias.detach().cpu().numpy(),
    }


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class UAutoRec(CFModel):
    """User-based AutoRec. Params: hidden, epochs, lr, l2, dropout, loss, batch, seed, device."""

    kind = "autorec_u"

    def __init__(self, *, hidden: int = 256, epochs: int = 60, lr: float = 1e-3, l2: float = 0.0,
                 dropout: float = 0.5, loss: str = "multinomial", batch: int = 128, seed: int = 0,
                 device: str | None = None, should_stop: ShouldStop = None) -> None:
        super().__init__(hidden=hidden, epochs=epochs, lr=lr, l2=l2, dropout=dropout, loss=loss,
                         batch=batch, seed=seed, device=device)
        self.should_stop = should_stop      # not a hyper-parameter: never saved with the weights
        self.w: dict[str, np.ndarray] = {}

    def _fit(self, x: sp.csr_matrix) -> None:
        p = dict(self.params)
        self.w = _train_autoencoder(binarize(x), **p, should_stop=self.should_stop)

    def _score(self, rows: sp.csr_matrix) -> np.ndarray:
        h = _sigmoid(np.asarray(binarize(rows) @ self.w["w_enc"].T) + self.w["b_enc"])
        return h @ self.w["w_dec"].T + self.w["b_dec"]

    def _arrays(self) -> dict[str, np.ndarray]:
        return dict(self.w)

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.w = {k: arrays[k] for k in ("w_enc", "b_enc", "w_dec", "b_dec")}


class IAutoRec(CFModel):
    """Item-based AutoRec with ridge fold-in. Params as UAutoRec plus fold_l2, alpha, eps."""

    kind = "autorec_i"

    def __init__(self, *, hidden: int = 128, epochs: int = 20, lr: float = 1e-3, l2: float = 0.0,
                 dropout: float = 0.5, loss: str = "bce", batch: int = 512, seed: int = 0,
                 device: str | None = None, fold_l2: float = 1.0, alpha: float = 2.0,
                 eps: float = 1.0) -> None:
        super().__init__(hidden=hidden, epochs=epochs, lr=lr, l2=l2, dropout=dropout, loss=loss,
                         batch=batch, seed=seed, device=device, fold_l2=fold_l2, alpha=alpha, eps=eps)
        self.codes: np.ndarray | None = None  # [n_items, hidden + 1]

    def _fit(self, x: sp.csr_matrix) -> None:
        p = {k: v for k, v in self.params.items() if k not in ("fold_l2", "alpha", "eps")}
        xt = sp.csr_matrix(binarize(x).T)
        w = _train_autoencoder(xt, **p)
        h = _sigmoid(np.asarray(xt @ w["w_enc"].T) + w["b_enc"])
        self.codes = np.hstack([h, np.ones((h.shape[0], 1))]).astype(np.float32)

    def fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        """Decoder rows [shape=(n_rows, hidden + 1)] by confidence-weighted ridge on the codes."""
        y = self.codes.astype(np.float64)
        yty = y.T @ y
        reg = self.params["fold_l2"] * np.eye(y.shape[1])
        c = confidence(rows, alpha=self.params["alpha"], eps=self.params["eps"])
        out = np.zeros((rows.shape[0], y.shape[1]))
        for u in range(rows.shape[0]):
            lo, hi = c.indptr[u], c.indptr[u + 1]
            items, cu = c.indices[lo:hi], c.data[lo:hi].astype(np.float64)
            yi = y[items]
            a = yty + (yi * (cu - 1.0)[:, None]).T @ yi + reg
            out[u] = np.linalg.solve(a, yi.T @ cu)
        return out

    def _score(self, rows: sp.csr_matrix) -> np.ndarray:
        return self.fold_in(rows) @ self.codes.T

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"codes": self.codes}

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.codes = arrays["codes"]
