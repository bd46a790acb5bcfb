"""The torch network and training loop behind :mod:`recommender.models.session_rnn`.

Imports torch at module level: only :class:`~recommender.models.session_rnn.SessionGRU`
imports this module, and only when it trains or scores.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recommender.stopping import ShouldStop, check


class ItemGRU(nn.Module):
    """GRU cell over item vectors = id embedding + artist embedding + projected side features.

    Artist index 0 is "unknown" (a zero row); catalog artist ids are shifted by one.
    """

    def __init__(self, n_items: int, n_artists: int, dim: int, side_dim: int, *,
                 use_artist: bool = True, dropout: float = 0.2) -> None:
        super().__init__()
        self.dim, self.side_dim, self.use_artist = dim, side_dim, use_artist
        self.item_id = nn.Embedding(n_items, dim)
        self.artist = nn.Embedding(n_artists + 1, dim, padding_idx=0)
        nn.init.normal_(self.item_id.weight, std=0.05)
        nn.init.normal_(self.artist.weight, std=0.05)
        with torch.no_grad():
            self.artist.weight[0] = 0.0
        self.side = nn.Linear(side_dim, dim, bias=False) if side_dim else None
        self.cell = nn.GRUCell(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def item_vectors(self, artist: torch.Tensor, side: torch.Tensor | None) -> torch.Tensor:
        """Item matrix [shape=(n_items, dim)] from artist ids + 1 [shape=(n_items,)] and side [shape=(n_items, d)]."""
        v = self.item_id.weight
        if self.use_artist:
            v = v + self.artist(artist)
        if self.side is not None and side is not None:
            v = v + self.side(side)
        return v

    def logits(self, h: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores [shape=(batch, n)] of states [shape=(batch, dim)] against item vectors [shape=(n, dim)]."""
        return self.out(h) @ items.T

    def grow(self, n_items: int, n_artists: int) -> bool:
        """Append zero rows so the tables hold ``n_items`` items and ``n_artists`` artists."""
        grown = False
        for name, n in (("item_id", n_items), ("artist", n_artists + 1)):
            table = getattr(self, name)
            extra = n - table.weight.shape[0]
            if extra > 0:
                w = table.weight.detach()
                new = nn.Embedding(n, self.dim, padding_idx=table.padding_idx).to(w.device)
                with torch.no_grad():
                    new.weight.zero_()
                    new.weight[: w.shape[0]] = w
                setattr(self, name, new)
                grown = True
        return grown


def train_epochs(net: ItemGRU, sessions: list[np.ndarray], catalog: tuple, pop: np.ndarray, *,
                 epochs: int, batch_size: int, lr: float, n_sample: int, sample_alpha: float,
                 seed: int, device: str, should_stop: ShouldStop = None) -> list[float]:
    """Session-parallel mini-batch training; returns the mean loss of each epoch.
    ``should_stop`` is asked before each step (:mod:`recommender.stopping`).

    Each of ``batch_size`` lanes walks one session, one transition (item → next item)
    per step; the hidden state is carried along the session (truncated backprop of
    one step, as in GRU4Rec) and reset when a lane takes a new session.
    """
    sessions = [s for s in sessions if len(s) > 1]
    if not sessions:
        return []
    torch.set_flush_denormal(True)  # Adam's tiny second moments otherwise run ~13x slower on x86
    rng = np.random.default_rng(seed)
    artist, side = catalog
    n_items = int(artist.shape[0])
    full = n_sample <= 0 or n_items <= n_sample
    if not full:
        p = (pop[:n_items] + 1.0) ** sample_alpha
        p /= p.sum()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(sessions))
        width = min(batch_size, len(sessions))
        lane_sess, lane_pos, nxt = order[:width].copy(), np.zeros(width, np.int64), width
        h = torch.zeros(width, net.dim, device=device)
        total, steps = 0.0, 0
        while lane_sess.size:
            check(should_stop)
            inp = np.fromiter((sessions[s][p] for s, p in zip(lane_sess, lane_pos)), np.int64, lane_sess.size)
            tgt = np.fromiter((sessions[s][p + 1] for s, p in zip(lane_sess, lane_pos)), np.int64, lane_sess.size)
            items = net.item_vectors(artist, side)
            tgt_t = torch.as_tensor(tgt, device=device)
            h = net.cell(net.drop(items[torch.as_tensor(inp, device=device)]), h)
            if full:
                loss = F.cross_entropy(net.logits(net.drop(h), items), tgt_t)
            else:
                neg = torch.as_tensor(rng.choice(n_items, size=n_sample, p=p), device=device)
                cand = torch.cat([tgt_t, neg])
                logits = net.logits(net.drop(h), items[cand])
                clash = cand[None, :] == tgt_t[:, None]
                clash[torch.arange(tgt.size), torch.arange(tgt.size)] = False
                loss = F.cross_entropy(logits.masked_fill(clash, float("-inf")),
                                       torch.arange(tgt.size, device=device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
            h = h.detach()
            lane_pos += 1
            keep = np.ones(lane_sess.size, bool)
            for lane in np.flatnonzero(lane_pos + 1 >= [len(sessions[s]) for s in lane_sess]):
                if nxt < len(order):
                    lane_sess[lane], lane_pos[lane], nxt = order[nxt], 0, nxt + 1
                    h[lane] = 0.0
                else:
                    keep[lane] = False
            if not keep.all():
                lane_sess, lane_pos = lane_sess[keep], lane_pos[keep]
                h = h[torch.as_tensor(keep, device=device)]
        losses.append(total / max(steps, 1))
    return losses
