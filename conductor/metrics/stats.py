"""Statistics over replications: the Stat object of the JSON result.

Each replication gives one independent observation of every figure; a Stat is their mean
with a Student-t 95 % confidence interval (null when fewer than two replications).
Figures that do not exist in a replication (no successful request, say) are NaN there
and left out; a Stat with no observation at all is null. A figure that is infinite in a
replication (a percentile counting failures that falls among them) has a Stat whose mean
is null: "failed".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np


@cache
def t_quantile(n: int, level: float = 0.95) -> float:
    """Two-sided Student-t critical value for n observations."""
    from scipy.special import stdtrit  # a run of one replication never needs scipy

    return float(stdtrit(n - 1, 0.5 + level / 2.0))


def stat(values: Iterable[float], level: float = 0.95) -> dict | None:
    """Mean, t confidence interval, standard deviation and count of finite values.

    A figure that is infinite in some replication (a latency percentile that falls among
    failed requests) has no mean: its Stat is `{"mean": None, ...}` with `n` counting
    every replication that has the figure.
    """
    data = np.asarray([v for v in values if v is not None], dtype=float)
    data = data[~np.isnan(data)]
    if np.isinf(data).any():
        return {"mean": None, "ci95": None, "sd": None, "n": int(data.size)}
    n = int(data.size)
    if n == 0:
        return None
    mean = float(data.mean())
    if n < 2:
        return {"mean": mean, "ci95": None, "sd": None, "n": n}
    sd = float(data.std(ddof=1))
    half = t_quantile(n, level) * sd / math.sqrt(n)
    return {"mean": mean, "ci95": [mean - half, mean + half], "sd": sd, "n": n}


def relative_differences(values: Sequence[float], baseline: Sequence[float]) -> dict | None:
    """Paired relative change against a baseline, replication by replication, as a Stat
    (None where either side is infinite in any replication: there is no finite change)."""
    if any(v is not None and math.isinf(v) for v in (*values, *baseline)):
        return None
    pairs = [
        (v - b) / abs(b)
        for v, b in zip(values, baseline, strict=True)
        if v is not None and b is not None and math.isfinite(v) and math.isfinite(b) and b != 0
    ]
    return stat(pairs)
