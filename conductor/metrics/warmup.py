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
    # Everything below is one number per batch, a fifth of the series, and is cut to the
    # candidates d <= n/2 as soon as the sums over the tails are known.
    batches = latency[: count * BATCH].reshape(count, BATCH).mean(axis=1)
    limit = count // 2 + 1
    # Sums over each tail b[d:], from the end, so every d costs O(1).
    tail_sum = np.cumsum(batches[::-1])[::-1][:limit]
    batches *= batches
    tail_squares = np.cumsum(batches[::-1])[::-1][:limit]
    del batches
    left = np.arange(count, count - limit, -1, dtype=float)
    spread = tail_sum * tail_sum
    spread /= left
    np.subtract(tail_squares, spread, out=spread)
    np.maximum(spread, 0.0, out=spread)
    left *= left
    spread /= left
    return int(np.argmin(spread)) * BATCH


def settling_time(arrival: np.ndarray, latency: np.ndarray, low: float, high: float) -> float:
    """When the series has settled by MSER-5: the arrival time of the first request kept,
    or `low` when it has settled from the start (or cuts under 5 % of the window)."""
    cut = mser_cut(latency)
    if cut == 0 or cut >= arrival.size:
        return low
    return _beyond_noise(float(arrival[cut]), low, high)


def settling_of(
    arrival: np.ndarray, latency: np.ndarray, ok: np.ndarray, low: float, high: float
) -> float:
    """`settling_time` of the successful requests that arrived before `high`, from
    per-request columns in arrival order; copies nothing when every one of them
    succeeded (a prefix is a view), else only their latencies."""
    end = int(np.searchsorted(arrival, high, side="left"))
    arrival, latency, ok = arrival[:end], latency[:end], ok[:end]
    if ok.all():
        return settling_time(arrival, latency, low, high)
    cut = mser_cut(latency[ok])
    if cut == 0:
        return low
    position = _success_at(ok, cut)
    return low if position is None else _beyond_noise(float(arrival[position]), low, high)


def _beyond_noise(settled: float, low: float, high: float) -> float:
    return settled if settled - low > NEGLIGIBLE * (high - low) else low


def _success_at(ok: np.ndarray, rank: int, block: int = 1 << 16) -> int | None:
    """The index of the success of that rank (0-based), counted block by block so as to
    hold no index array the size of the series; None when there are not that many."""
    seen = 0
    for start in range(0, ok.size, block):
        part = ok[start : start + block]
        here = int(np.count_nonzero(part))
        if seen + here > rank:
            return start + int(np.flatnonzero(part)[rank - seen])
        seen += here
    return None


def suggested_warmup(warmup: float, settled: float) -> float:
    """A round warm-up at least as long as the settling time found (two significant
    digits, rounded up)."""
    if settled <= warmup:
        return warmup
    scale = 10.0 ** (math.floor(math.log10(settled)) - 1)
    return math.ceil(settled / scale) * scale
