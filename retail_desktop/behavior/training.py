"""Training loop: class-weighted, seeded, early-stopped on a validation split grouped by track.

Why grouped: windows of one track overlap and look alike, so a split that puts a track on both sides
measures memory, not behaviour. Why the best checkpoint is kept: validation scores wobble, and a
cancel (from the dialog or Ctrl+C) should leave the best model seen so far, not the last one.
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from retail_desktop.errors import UserError
from retail_desktop.tasks import Cancelled, Task

from .dataset import WindowSet
from .metrics import Scores, score
from .model import BehaviorNet, ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    patience: int = 8
    val_fraction: float = 0.2
    seed: int = 0
    class_weighting: str = "balanced"   # balanced | sqrt | none
    lstm_hidden: int = 64
    gru_hidden: int = 32
    dense: int = 32
    dropout: float = 0.2
    log_inputs: bool = False
    device: str = "auto"                # auto | cpu | cuda | cuda:N

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UserError(f"unknown training settings {sorted(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**data)


@dataclass
class TrainResult:
    net: BehaviorNet                  # best checkpoint, on the CPU
    classes: list[str]
    history: list[dict[str, float]]   # one dict per finished epoch
    best_epoch: int
    val_scores: Scores | None         # of the best checkpoint on the validation split
    config: TrainConfig
    cancelled: bool = False
    seconds: float = 0.0
    split: dict[str, Any] = field(default_factory=dict)


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        raise UserError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise UserError(f"device {name!r} is not supported here: use auto, cpu, cuda or cuda:N")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"device {name!r} asked for, but Apple's MPS is not available here")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name!r} asked for, but CUDA is not available here")
    return dev


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def grouped_split(groups: np.ndarray, labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of validation windows: whole groups, about ``fraction`` of the windows, chosen
    so that every class with at least two groups has a group on the validation side when possible."""
    uniq = np.unique(groups)
    if len(uniq) < 2:
        raise UserError("training needs labelled windows from at least two tracks (one is kept for validation)")
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(uniq))
    sizes = {g: int(np.sum(groups == g)) for g in uniq}
    target = max(1, int(round(fraction * len(groups))))
    val: list[str] = []
    # First one group per class (rarest class first), then fill up to the target size.
    classes, counts = np.unique(labels, return_counts=True)
    for c in classes[np.argsort(counts)]:
        owners = [g for g in order if np.any((groups == g) & (labels == c))]
        if len(owners) >= 2 and not any(g in val for g in owners) and sum(sizes[g] for g in val) < target:
            val.append(owners[0])
    for g in order:
        if sum(sizes[v] for v in val) >= target:
            break
        if g not in val:
            val.append(g)
    if len(val) == len(uniq):
        val = val[:-1]
    return np.isin(groups, val)


def class_weights(y: np.ndarray, n_classes: int, mode: str) -> torch.Tensor:
    counts = np.bincount(y, minlength=n_classes).astype(float)
    if mode == "none":
        w = np.ones(n_classes)
    else:
        base = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(1, np.count_nonzero(counts)), 0.0)
        w = np.sqrt(base) if mode == "sqrt" else base
    return torch.tensor(w, dtype=torch.float32)


def _predict(net: BehaviorNet, X: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    net.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(X), batch):
            outs.append(net(X[i:i + batch]))
    return torch.cat(outs) if outs else torch.zeros((0, net.config.n_classes))


def train_model(
    train: WindowSet,
    classes: Sequence[str],
    config: TrainConfig = TrainConfig(),
    task: Task | None = None,
    *,
    val: WindowSet | None = None,
) -> TrainResult:
    """Train on labelled windows; ``val`` defaults to a grouped split of ``train``.

    Reports ``task.progress(epoch)`` and ``task.partial(epoch metrics dict)``; on cancel returns the
    best checkpoint so far with ``cancelled=True`` (or raises Cancelled if no epoch finished)."""
    task = task or Task()
    classes = list(classes)
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(train.labels.tolist()) - set(index))
    if unknown:
        raise UserError(f"labels {unknown} are not classes of the taxonomy ({', '.join(classes)})")
    if len(train) == 0:
        raise UserError("no labelled windows to train on (label some track segments first)")
    seed_everything(config.seed)
    if val is None:
        mask = grouped_split(train.groups, train.labels, config.val_fraction, config.seed)
        train, val = train.subset(~mask), train.subset(mask)
    device = pick_device(config.device)
    Xtr = torch.from_numpy(train.X)
    ytr = torch.tensor([index[c] for c in train.labels], dtype=torch.long)
    Xva = torch.from_numpy(val.X).to(device)
    yva = np.array([index[c] for c in val.labels], dtype=np.int64)

    net = BehaviorNet(ModelConfig(train.X.shape[2], len(classes), config.lstm_hidden, config.gru_hidden,
                                  config.dense, config.dropout, config.log_inputs))
    flat = net.squash(Xtr.reshape(-1, Xtr.shape[2]))
    net.set_normalisation(flat.mean(0), flat.std(0))
    net.to(device)
    weights = class_weights(ytr.numpy(), len(classes), config.class_weighting).to(device)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    val_loss_fn = nn.CrossEntropyLoss(weight=weights)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    gen = torch.Generator().manual_seed(config.seed)

    history: list[dict[str, float]] = []
    best_state, best_epoch, best_key = None, -1, (-np.inf, -np.inf)
    since_best = 0
    cancelled = False
    t0 = time.perf_counter()
    task.start(total=config.epochs, message="epochs")
    try:
        for epoch in range(1, config.epochs + 1):
            net.train()
            perm = torch.randperm(len(Xtr), generator=gen)
            total, correct, seen = 0.0, 0, 0
            for i in range(0, len(perm), config.batch_size):
                task.check_cancelled()
                idx = perm[i:i + config.batch_size]
                xb, yb = Xtr[idx].to(device), ytr[idx].to(device)
                opt.zero_grad(set_to_none=True)
                logits = net(xb)
                loss = loss_fn(logits, yb)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                total += float(loss.detach()) * len(idx)
                correct += int((logits.argmax(1) == yb).sum())
                seen += len(idx)
            logits_va = _predict(net, Xva)
            vloss = float(val_loss_fn(logits_va, torch.from_numpy(yva).to(device))) if len(yva) else float("nan")
            pred = logits_va.argmax(1).cpu().numpy()
            vs = score([classes[i] for i in yva], [classes[i] for i in pred], classes) if len(yva) else None
            row = {"epoch": epoch, "train_loss": total / max(seen, 1), "train_accuracy": correct / max(seen, 1),
                   "val_loss": vloss, "val_accuracy": vs.accuracy if vs else float("nan"),
                   "val_macro_f1": vs.macro_f1 if vs else float("nan")}
            history.append(row)
            key = (row["val_macro_f1"], -vloss)
            if best_state is None or key > best_key:
                best_key, best_epoch, since_best = key, epoch, 0
                best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()})
            else:
                since_best += 1
            task.partial(row)
            task.progress(epoch, force=True)
            if since_best >= config.patience:
                break
    except Cancelled:
        if best_state is None:
            raise
        cancelled = True
    net.cpu()
    net.load_state_dict(best_state)
    net.eval()
    logits_va = _predict(net, Xva.cpu())
    vscores = (score([classes[i] for i in yva], [classes[i] for i in logits_va.argmax(1).numpy()], classes)
               if len(yva) else None)
    return TrainResult(net, classes, history, best_epoch, vscores, config, cancelled, time.perf_counter() - t0,
                       split={"train_windows": len(train), "val_windows": len(val),
                              "val_groups": sorted(set(val.groups.tolist()))})


def predict_proba(net: BehaviorNet, X: np.ndarray) -> np.ndarray:
    """Class probabilities for raw windows, on the CPU."""
    net = net.cpu().eval()
    with torch.no_grad():
        return torch.softmax(_predict(net, torch.from_numpy(np.ascontiguousarray(X, np.float32))), -1).numpy()
