"""The behaviour network: LSTM -> GRU -> dense -> softmax over a window of per-step features.

Input normalisation (per-feature mean and spread of the training windows) lives inside the network as
buffers, so a saved model needs nothing else to turn raw features into a prediction, and MLflow's
copy of it takes the same raw windows as the app does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    n_features: int
    n_classes: int
    lstm_hidden: int = 64
    gru_hidden: int = 32
    dense: int = 32
    dropout: float = 0.2
    log_inputs: bool = False   # sign(x)*log1p(|x|) before normalising: tames heavy-tailed accelerations

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class BehaviorNet(nn.Module):
    """``forward(x)`` takes raw windows ``(batch, steps, features)`` and returns class logits;
    :meth:`probabilities` applies the softmax."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.register_buffer("mean", torch.zeros(config.n_features))
        self.register_buffer("std", torch.ones(config.n_features))
        self.lstm = nn.LSTM(config.n_features, config.lstm_hidden, batch_first=True)
        self.gru = nn.GRU(config.lstm_hidden, config.gru_hidden, batch_first=True)
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(config.gru_hidden * 2, config.dense),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.dense, config.n_classes),
        )

    def set_normalisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(mean)
        self.std.copy_(torch.clamp(std, min=1e-3))

    def squash(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sign(x) * torch.log1p(torch.abs(x)) if self.config.log_inputs else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (self.squash(x) - self.mean) / self.std
        h, _ = self.lstm(x)
        h, last = self.gru(h)
        # Last state for order, mean over steps for the window's overall level (stops, speed).
        pooled = torch.cat([last[-1], h.mean(dim=1)], dim=1)
        return self.head(pooled)

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.forward(x), dim=-1)


class SoftmaxModel(nn.Module):
    """The network with its softmax attached: what MLflow stores, so that serving it returns
    class probabilities rather than logits."""

    def __init__(self, net: BehaviorNet):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=-1)
