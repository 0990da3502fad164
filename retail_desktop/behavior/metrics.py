"""Classification scores reported for every run, evaluation and benchmark (one definition for all)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass
class Scores:
    classes: list[str]
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]   # precision, recall, f1, support
    confusion: list[list[int]]                # rows: true class, columns: predicted class

    def to_dict(self) -> dict[str, Any]:
        return {"classes": self.classes, "accuracy": self.accuracy, "macro_f1": self.macro_f1,
                "per_class": self.per_class, "confusion": self.confusion}

    def lines(self) -> list[str]:
        """Human-readable report ending with ``macro_f1=<value>`` (scripts grep for that line)."""
        out = [f"accuracy: {self.accuracy:.4f}", "per class:  precision  recall  f1      support"]
        for c in self.classes:
            m = self.per_class[c]
            out.append(f"  {c:<14} {m['precision']:.3f}     {m['recall']:.3f}   {m['f1']:.3f}   {int(m['support'])}")
        width = max(len(c) for c in self.classes) if self.classes else 4
        out.append("confusion matrix (rows true, columns predicted):")
        out.append(" " * (width + 2) + " ".join(f"{c[:8]:>8}" for c in self.classes))
        for c, row in zip(self.classes, self.confusion):
            out.append(f"  {c:<{width}}" + " ".join(f"{v:>8d}" for v in row))
        out.append(f"macro_f1={self.macro_f1:.4f}")
        return out


def score(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]) -> Scores:
    """Scores over ``classes``; macro-F1 averages the classes that occur in ``y_true`` (a class
    nobody labelled in this data cannot be scored, and counting it as 0 would only hide that)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    classes = list(classes)
    y_true = np.asarray(y_true, dtype=str)
    y_pred = np.asarray(y_pred, dtype=str)
    if len(y_true) == 0:
        raise ValueError("nothing to score")
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    present = [i for i, c in enumerate(classes) if s[i] > 0]
    cm = confusion_matrix(y_true, y_pred, labels=classes)
    return Scores(
        classes=classes,
        accuracy=float(np.mean(y_true == y_pred)),
        macro_f1=float(np.mean(f[present])) if present else 0.0,
        per_class={c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                   for i, c in enumerate(classes)},
        confusion=cm.astype(int).tolist(),
    )


def confusion_png(scores: Scores, path) -> None:
    """Confusion matrix as a PNG (matplotlib's Agg backend: no display, no Qt)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    cm = np.asarray(scores.confusion)
    n = len(scores.classes)
    fig = Figure(figsize=(1.2 + 0.9 * n, 1.0 + 0.8 * n), dpi=100)
    ax = fig.add_subplot(111)
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(n), scores.classes, rotation=45, ha="right")
    ax.set_yticks(range(n), scores.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                    color="white" if cm[i, j] > cm.max() / 2 else "black", fontsize=8)
    ax.set_title(f"accuracy {scores.accuracy:.3f}, macro-F1 {scores.macro_f1:.3f}")
    fig.tight_layout()
    fig.savefig(str(path))
