"""What the LSTM-GRU has to beat: a speed-threshold rule and gradient boosting on hand features.

Both see exactly the windows the network sees (same resampling, same labels), so a benchmark that
reports all three in one run compares models, not data pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .features import BASE_FEATURES

_I = {n: i for i, n in enumerate(BASE_FEATURES)}


def hand_features(X: np.ndarray) -> np.ndarray:
    """Per-window summary: mean / std / max speed, start-to-end displacement, stop share, heading
    change, box-shape change (limb movement shows there when the feet stay put)."""
    speed = X[:, :, _I["speed"]]
    vx, vy = X[:, :, _I["vx"]], X[:, :, _I["vy"]]
    acc = np.hypot(X[:, :, _I["ax"]], X[:, :, _I["ay"]])
    net = np.hypot(vx.mean(1), vy.mean(1))
    cols = [
        speed.mean(1), speed.std(1), speed.max(1), np.median(speed, 1), net,
        net / np.maximum(speed.mean(1), 1e-3),
        X[:, :, _I["stop"]].mean(1), X[:, :, _I["heading_change"]].mean(1), acc.mean(1),
        np.abs(X[:, :, _I["dlog_h"]]).mean(1), np.abs(X[:, :, _I["dlog_w"]]).mean(1),
        X[:, :, _I["aspect"]].std(1), X[:, :, _I["aspect"]].mean(1),
    ]
    return np.stack(cols, axis=1).astype(np.float32)


@dataclass
class SpeedRule:
    """running above ``run``, walking above ``walk``, else active when the box moves/changes more
    than ``active`` (mean |dlog w| + |dlog h| + speed), else inactive. Thresholds fitted by grid
    search on the training windows only."""

    walk: float = 0.3
    run: float = 1.5
    active: float = 0.1

    @staticmethod
    def _signals(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        speed = X[:, :, _I["speed"]].mean(1)
        motion = np.abs(X[:, :, _I["dlog_h"]]).mean(1) + np.abs(X[:, :, _I["dlog_w"]]).mean(1) + speed
        return speed, motion

    def predict(self, X: np.ndarray) -> np.ndarray:
        speed, motion = self._signals(X)
        return np.where(speed >= self.run, "running", np.where(
            speed >= self.walk, "walking", np.where(motion >= self.active, "active", "inactive"))).astype(object)

    def fit(self, X: np.ndarray, y: Sequence[str]) -> "SpeedRule":
        from .metrics import score

        y = np.asarray(y, dtype=str)
        classes = sorted(set(y.tolist()))
        speed, motion = self._signals(X)
        best = (-1.0, self)
        walks = np.quantile(speed, np.linspace(0.1, 0.9, 17))
        runs = np.quantile(speed, [0.9, 0.95, 0.98, 0.99, 0.995])
        acts = np.quantile(motion, np.linspace(0.05, 0.6, 12))
        for w in walks:
            for r in runs:
                if r <= w:
                    continue
                for a in acts:
                    rule = SpeedRule(float(w), float(r), float(a))
                    f = score(y, rule.predict(X).astype(str), classes).macro_f1
                    if f > best[0]:
                        best = (f, rule)
        self.walk, self.run, self.active = best[1].walk, best[1].run, best[1].active
        return self
