"""The Pareto front, in one place: which points no other point beats on every objective.

Every objective is minimised (negate one to maximise it). A point is dominated when
another is at least as good on every objective and better on one; equal points do not
dominate each other, so duplicates are all kept. compare's front of strategies and
optimise's front of assignments are both this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

BLOCK = 256
"""Points compared at once: bounds the memory of a front over tens of thousands."""


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether a is at least as good as b on every objective and better on one."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def non_dominated(values: Sequence[Sequence[float]]) -> list[int]:
    """Indices of the points no other point dominates, in order (vectorised, in blocks)."""
    if not len(values):
        return []
    points = np.asarray(values, dtype=float).reshape(len(values), -1)
    keep = np.ones(len(points), dtype=bool)
    for start in range(0, len(points), BLOCK):
        block = points[start : start + BLOCK, None, :]
        no_worse = (points[None, :, :] <= block).all(axis=2)
        better = (points[None, :, :] < block).any(axis=2)
        keep[start : start + BLOCK] = ~(no_worse & better).any(axis=1)
    return [int(i) for i in np.flatnonzero(keep)]


def front(points: Mapping[str, Sequence[float]]) -> list[str]:
    """The names of the non-dominated points, in the mapping's order."""
    names = list(points)
    return [names[i] for i in non_dominated([points[n] for n in names])]
