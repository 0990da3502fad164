"""Training speed of the LSTM-GRU on the CPU: 10k windows x 50 steps, 20 epochs (target < 60 s).

Competitor for the ratio: the same number of gradient steps of a plain single-layer GRU of the same
width (the cheapest recurrent model one would consider), so the figure says what the LSTM->GRU stack
costs, not how fast this machine is.

    python bench/behavior_train_speed.py [--windows 10000] [--steps 50] [--epochs 20] [--device cpu]
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401  (puts the repo on sys.path)
import numpy as np
import pandas as pd
import torch
from torch import nn

from retail_desktop.behavior.dataset import WindowSet
from retail_desktop.behavior.features import FeatureSettings
from retail_desktop.behavior.training import TrainConfig, train_model


def synthetic(n: int, steps: int, seed: int = 0) -> WindowSet:
    rng = np.random.default_rng(seed)
    settings = FeatureSettings(window_s=steps / 10.0, rate_hz=10.0)
    X = rng.normal(size=(n, steps, settings.n_features)).astype(np.float32)
    y = rng.integers(0, 4, n)
    X[:, :, 4] += y[:, None] * 0.5  # learnable: speed level differs by class
    labels = np.array(["a", "b", "c", "d"])[y]
    groups = np.array([f"t{i // 20}" for i in range(n)])
    meta = pd.DataFrame({"camera": "c", "run_id": 0, "track": 0, "start_frame": 0, "end_frame": 0}, index=range(n))
    return WindowSet(X, labels, groups, meta, settings)


def plain_gru(ws: WindowSet, epochs: int, batch: int, hidden: int) -> float:
    torch.manual_seed(0)
    gru = nn.GRU(ws.X.shape[2], hidden, batch_first=True)
    head = nn.Linear(hidden, 4)
    opt = torch.optim.AdamW(list(gru.parameters()) + list(head.parameters()), lr=3e-3)
    X = torch.from_numpy(ws.X)
    y = torch.from_numpy(np.searchsorted(np.array(["a", "b", "c", "d"]), ws.labels))
    n_train = int(len(X) * 0.8)
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n_train)
        for i in range(0, n_train, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            _, h = gru(X[idx])
            loss = nn.functional.cross_entropy(head(h[-1]), y[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()
    ws = synthetic(args.windows, args.steps)
    cfg = TrainConfig(epochs=args.epochs, patience=args.epochs + 1, batch_size=args.batch_size, device=args.device)
    print(f"{args.windows} windows x {args.steps} steps x {ws.X.shape[2]} features, {args.epochs} epochs, "
          f"batch {cfg.batch_size}, LSTM {cfg.lstm_hidden} -> GRU {cfg.gru_hidden} -> dense {cfg.dense}, "
          f"device {args.device}, torch threads {torch.get_num_threads()}")
    t0 = time.perf_counter()
    res = train_model(ws, ["a", "b", "c", "d"], cfg)
    ours = time.perf_counter() - t0
    print(f"LSTM-GRU: {ours:.1f} s for {len(res.history)} epochs incl. validation "
          f"({ours / len(res.history):.2f} s/epoch), val accuracy {res.val_scores.accuracy:.3f}  (target < 60 s)")
    if args.device == "cpu":
        base = plain_gru(ws, len(res.history), cfg.batch_size, cfg.lstm_hidden)
        print(f"plain GRU({cfg.lstm_hidden}) same steps, no validation: {base:.1f} s; ratio LSTM-GRU / GRU = "
              f"{ours / base:.2f}")


if __name__ == "__main__":
    main()
