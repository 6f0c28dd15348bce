"""Has the system settled when the measured window starts? MSER-5 on one replication.

A queue that starts empty needs time to reach its steady state; requests measured before
then are faster than the steady state's and bias every figure. MSER-5 (White 1997;
White, Cobb & Spratt 2000; Hoad, Robinson & Davies 2010) looks at the latency series in
arrival order, averaged in batches of five, and picks the truncation point d that
minimises the squared standard error of the mean of what is left,

    MSER(d) = Σ_{i>d} (b_i − b̄_d)² / (n − d)²,    d ≤ n/2,

so it cuts the start of a series while the gain in bias outweighs the loss of data. On a
settled series it cuts (almost) nothing. conductor applies it to the successful
requests of the first replication and warns when the cut is more than a small share of
the window: the warm-up should then be longer by at least that much.
"""

from __future__ import annotations

import math

import numpy as np

BATCH = 5
MIN_BATCHES = 40  # fewer batches than this tell nothing reliable
NEGLIGIBLE = 0.05  # a cut within this share of the window is noise, not a warm-up


def mser_cut(latency: np.ndarray) -> int:
    """The number of leading observations MSER-5 discards (a multiple of five)."""
    count = latency.size // BATCH
    if count < MIN_BATCHES:
        return 0
    batches = latency[: count * BATCH].reshape(count, BATCH).mean(axis=1)
    # Sums over each tail b[d:], from the end, so every d costs O(1).
    tail_sum = np.cumsum(batches[::-1])[::-1]
    tail_squares = np.cumsum((batches * batches)[::-1])[::-1]
    left = np.arange(count, 0, -1, dtype=float)
    spread = np.maximum(tail_squares - tail_sum * tail_sum / left, 0.0)
    score = spread / (left * left)
    limit = count // 2 + 1
    return int(np.argmin(score[:limit])) * BATCH


def settling_time(arrival: np.ndarray, latency: np.ndarray, low: float, high: float) -> float:
    """When the series has settled by MSER-5: the arrival time of the first request kept,
    or `low` when it has settled from the start (or cuts under 5 % of the window)."""
    cut = mser_cut(latency)
    if cut == 0 or cut >= arrival.size:
        return low
    settled = float(arrival[cut])
    return settled if settled - low > NEGLIGIBLE * (high - low) else low


def suggested_warmup(warmup: float, settled: float) -> float:
    """A round warm-up at least as long as the settling time found (two significant
    digits, rounded up)."""
    if settled <= warmup:
        return warmup
    scale = 10.0 ** (math.floor(math.log10(settled)) - 1)
    return math.ceil(settled / scale) * scale
