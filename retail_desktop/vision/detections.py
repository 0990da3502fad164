"""The one container for a frame's person detections, shared by detector, trackers and the store."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detections:
    """Person boxes found in one frame.

    Validated on construction so that trackers and the store never see ragged or non-finite data.

    >>> d = Detections(np.array([[0, 0, 10, 20]]), np.array([0.9]))
    >>> len(d), d.xyxy.dtype
    (1, dtype('float32'))
    """

    xyxy: np.ndarray  # (N, 4) float32, pixels of the displayed frame
    scores: np.ndarray  # (N,) float32
    embeddings: np.ndarray | None = None  # (N, D) float32 appearance features, when a tracker uses them

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        if len(scores) != len(xyxy):
            raise ValueError(f"{len(xyxy)} boxes but {len(scores)} scores")
        if not np.isfinite(xyxy).all():
            raise ValueError("non-finite box coordinates")
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "scores", scores)
        if self.embeddings is not None:
            emb = np.asarray(self.embeddings, dtype=np.float32)
            if emb.ndim != 2 or len(emb) != len(xyxy):
                raise ValueError(f"{len(xyxy)} boxes but embeddings of shape {emb.shape}")
            object.__setattr__(self, "embeddings", emb)

    def __len__(self) -> int:
        return len(self.xyxy)

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))

    def select(self, mask: np.ndarray) -> "Detections":
        emb = None if self.embeddings is None else self.embeddings[mask]
        return Detections(self.xyxy[mask], self.scores[mask], emb)

    def with_embeddings(self, embeddings: np.ndarray) -> "Detections":
        return Detections(self.xyxy, self.scores, embeddings)
