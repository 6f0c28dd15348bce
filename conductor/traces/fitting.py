"""Fitting measured times: a lognormal by median and p99 where it fits, else the samples.

The lognormal is pinned by the measured median and p99 (the figures an architect reads
off a dashboard), so those two always match. It is kept when it also fits the rest of
the measurements: the Kolmogorov–Smirnov distance between the measured and the fitted
CDF is at most `MAX_KS` (0.05: an effect size, since with thousands of spans a test
at a fixed significance would reject every real system), or at most the test's 5 %
critical value 1.36/√n where fewer samples make that larger (so that a hundred calls of
a true lognormal are not turned into samples by chance), and the fitted p90 and mean
are within `MAX_RELATIVE` (10 %) of the measured ones. Otherwise the times are kept as
an empirical distribution of at most `QUANTILES` evenly spaced quantiles, which
bootstraps from what was measured. Times that barely vary become a constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

MAX_KS = 0.05
MAX_RELATIVE = 0.10
QUANTILES = 400
_Z99 = 2.3263478740408408


@dataclass(frozen=True)
class Fit:
    """A fitted distribution as a scenario mapping, and how well it fits."""

    spec: dict[str, Any] | str
    kind: str
    samples: int
    median: float
    p90: float
    p99: float
    mean: float
    ks: float | None

    def describe(self) -> str:
        """One line of what was measured and what was fitted, for a scenario comment."""
        if self.kind == "lognormal":
            fitted = f"lognormal by median and p99 (KS distance {self.ks:.3f})"
        elif self.kind == "empirical":
            fitted = "empirical: the lognormal did not fit" + (
                f" (KS distance {self.ks:.3f})" if self.ks is not None else ""
            )
        else:
            fitted = "constant: the times barely vary"
        return (
            f"{self.samples} measured: p50 {milliseconds(self.median)}, p90 "
            f"{milliseconds(self.p90)}, p99 {milliseconds(self.p99)}, mean "
            f"{milliseconds(self.mean)}; {fitted}"
        )


def milliseconds(seconds: float) -> str:
    """A duration as a scenario string (ms, else us or s), four significant figures."""
    if seconds >= 10:
        return f"{seconds:.4g}s"
    if seconds >= 1e-4:
        return f"{seconds * 1e3:.4g}ms"
    return f"{seconds * 1e6:.4g}us"


def fit_times(values: list[float] | np.ndarray) -> Fit:
    """The distribution a component's measured times are written as."""
    samples = np.sort(np.asarray(values, dtype=np.float64))
    median, p90, p99 = (float(np.quantile(samples, q)) for q in (0.5, 0.9, 0.99))
    mean = float(samples.mean())

    def fit(spec, kind: str, ks: float | None = None) -> Fit:
        return Fit(spec, kind, samples.size, median, p90, p99, mean, ks)

    if samples[-1] - samples[0] <= 0.01 * max(median, 1e-9) or samples.size < 2:
        return fit(milliseconds(median) if median > 0 else 0, "constant")
    ks = None
    if median > 0 and p99 > median * 1.0001 and samples[0] > 0:
        sigma = (math.log(p99) - math.log(median)) / _Z99
        fitted = stats.lognorm(sigma, scale=median)
        ks = float(stats.kstest(samples, fitted.cdf).statistic)
        close = (
            abs(fitted.ppf(0.9) / p90 - 1) <= MAX_RELATIVE
            and abs(fitted.mean() / mean - 1) <= MAX_RELATIVE
        )
        if ks <= max(MAX_KS, 1.36 / math.sqrt(samples.size)) and close:
            spec = {"dist": "lognormal", "median": milliseconds(median), "p99": milliseconds(p99)}
            return fit(spec, "lognormal", ks)
    if samples.size > QUANTILES:
        levels = (np.arange(QUANTILES) + 0.5) / QUANTILES
        kept = np.quantile(samples, levels)
    else:
        kept = samples
    spec = {"dist": "empirical", "samples": [round(float(v), 7) for v in kept]}
    return fit(spec, "empirical", ks)
