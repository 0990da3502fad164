"""Plane geometry for zones and count lines, vectorised over many track points at once.

Metrics ask "is this anchor inside that polygon" for every point of every track, so the tests run on
numpy arrays. The rules at the edges are fixed here, once, so that GUI and CLI agree:

* Inside a polygon: the even-odd (crossing number) rule with half-open edges, so a point lying
  exactly on a shared edge of two adjacent zones belongs to exactly one of them.
* Side of a line A->B: the signed distance along the normal ``n = (-(By-Ay), Bx-Ax) / |AB|``. In
  image coordinates (y grows downwards) ``n`` points to the right-hand side of someone walking from
  A to B as seen on the screen (A left, B right: ``n`` points down). Crossing from the negative to
  the positive side is "in"; the editor draws ``n`` as an arrow.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

Point = tuple[float, float]


def as_points(points: Sequence[Sequence[float]]) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected a list of [x, y] pairs, got shape {arr.shape}")
    return arr


def points_in_polygon(x: np.ndarray, y: np.ndarray, polygon: Sequence[Sequence[float]]) -> np.ndarray:
    """Boolean mask: which of the points (x[i], y[i]) lie inside ``polygon`` (even-odd rule).

    An edge counts for a horizontal ray to the right when ``(yi > y) != (yj > y)``: the lower end is
    included, the upper excluded, so vertices are never counted twice.
    """
    poly = as_points(polygon)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    inside = np.zeros(x.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        xi, yi = poly[i]
        xj, yj = poly[i - 1]
        straddles = (yi > y) != (yj > y)
        if not straddles.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = xi + (y - yi) * (xj - xi) / (yj - yi)
        inside ^= straddles & (x < x_cross)
    return inside


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))


def _on_segment(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(p1: Sequence[float], p2: Sequence[float], q1: Sequence[float], q2: Sequence[float]) -> bool:
    """Whether closed segments p1-p2 and q1-q2 share at least one point (touching counts)."""
    a, b, c, d = (np.asarray(v, dtype=np.float64) for v in (p1, p2, q1, q2))
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def self_intersection(polygon: Sequence[Sequence[float]]) -> tuple[int, int] | None:
    """The first pair of edges (indices; edge i runs from vertex i to i+1) that cross or touch
    although they are not neighbours, or None for a simple polygon. Repeated vertices count too."""
    poly = as_points(polygon)
    n = len(poly)
    for i in range(n):
        for j in range(i + 1, n):
            if np.array_equal(poly[i], poly[j]):
                return (i, j)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a vertex by construction
            if segments_intersect(poly[i], poly[(i + 1) % n], poly[j], poly[(j + 1) % n]):
                return (i, j)
    return None


def polygon_area(polygon: Sequence[Sequence[float]]) -> float:
    poly = as_points(polygon)
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def signed_distance(x: np.ndarray, y: np.ndarray, a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    """Signed distance of points to the infinite line through a and b, positive along
    ``n = (-(by-ay), bx-ax) / |ab|`` (see the module docstring)."""
    ax, ay = float(a[0]), float(a[1])
    dx, dy = float(b[0]) - ax, float(b[1]) - ay
    length = float(np.hypot(dx, dy))
    if length == 0:
        raise ValueError("a line needs two distinct points")
    return ((np.asarray(x, dtype=np.float64) - ax) * -dy + (np.asarray(y, dtype=np.float64) - ay) * dx) / length


def line_normal(a: Sequence[float], b: Sequence[float]) -> Point:
    """Unit vector pointing to the "in" side of line a->b."""
    dx, dy = float(b[0]) - float(a[0]), float(b[1]) - float(a[1])
    length = float(np.hypot(dx, dy))
    return (-dy / length, dx / length)
