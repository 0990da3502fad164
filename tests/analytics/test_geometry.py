import numpy as np
import pytest

from retail_desktop.analytics.geometry import (
    line_normal, points_in_polygon, polygon_area, segments_intersect, self_intersection, signed_distance,
)

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10]]
# A "U": the notch x in (3, 7), y in (0, 7) is outside.
U_SHAPE = [[0, 0], [3, 0], [3, 7], [7, 7], [7, 0], [10, 0], [10, 10], [0, 10]]


def test_inside_square_and_concave():
    x = np.array([5, 15, -1, 5, 1, 5, 9])
    y = np.array([5, 5, 5, 11, 1, 3, 3])
    assert points_in_polygon(x, y, SQUARE).tolist() == [True, False, False, False, True, True, True]
    assert points_in_polygon(x, y, U_SHAPE).tolist() == [False, False, False, False, True, False, True]


def test_shared_edge_belongs_to_exactly_one_zone():
    left = [[0, 0], [5, 0], [5, 10], [0, 10]]
    right = [[5, 0], [10, 0], [10, 10], [5, 10]]
    ys = np.linspace(0.5, 9.5, 10)
    xs = np.full_like(ys, 5.0)
    a, b = points_in_polygon(xs, ys, left), points_in_polygon(xs, ys, right)
    assert (a ^ b).all()


def test_self_intersection():
    assert self_intersection(SQUARE) is None
    assert self_intersection(U_SHAPE) is None
    assert self_intersection([[0, 0], [10, 10], [10, 0], [0, 10]]) is not None  # bow tie
    assert self_intersection([[0, 0], [10, 0], [10, 10], [10, 0], [0, 10]]) is not None  # repeated vertex
    # touching: a vertex lying on a non-adjacent edge
    assert self_intersection([[0, 0], [10, 0], [5, 5], [10, 10], [0, 10], [5, 0]]) is not None


def test_area_and_segments():
    assert polygon_area(SQUARE) == 100
    assert segments_intersect((0, 0), (10, 10), (0, 10), (10, 0))
    assert not segments_intersect((0, 0), (1, 1), (2, 2), (3, 0))
    assert segments_intersect((0, 0), (2, 0), (1, 0), (1, 5))  # touching counts


def test_signed_distance_direction():
    # A left, B right on screen: "in" side (positive) is below the line (y grows down).
    d = signed_distance(np.array([5, 5]), np.array([3, -3]), (0, 0), (10, 0))
    assert d.tolist() == [3.0, -3.0]
    assert line_normal((0, 0), (10, 0)) == (-0.0, 1.0)
    with pytest.raises(ValueError):
        signed_distance(np.array([0]), np.array([0]), (1, 1), (1, 1))
