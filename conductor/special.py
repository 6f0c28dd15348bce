"""Special functions of the laws, without importing SciPy.

`scipy.special` costs a quarter of a second of CPU to import, more than numpy itself, and
the laws of nearly every scenario (lognormal by its quantiles, gamma by mean and cv) need
one of these four: so every command would pay it. Here they are in numpy and the math
module:

- `normal_quantile`: Cephes' `ndtri` (S. L. Moshier), the algorithm and coefficients
  SciPy uses, evaluated in the same order, so that it returns SciPy's value to the last
  bit (a lognormal's sigma computed from a quantile feeds the simulation's draws);
- `normal_cdf`: from the C library's erf/erfc, as Cephes' `ndtr` splits them;
- `gamma_p` and `gamma_p_inverse`: the regularised lower incomplete gamma function by its
  series below a + 1 and its continued fraction above (Numerical Recipes 6.2), and its
  inverse by Halley's method from the Wilson-Hilferty start.

tests/test_special.py compares each with SciPy over the ranges scenarios reach.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_2PI = 2.50662827463100050242e0
_EXP_MINUS_2 = 0.13533528323661269189

# ndtri: |q - 0.5| <= 3/8, then z = sqrt(-2 log q) in [2, 8) and [8, 64].
_P0 = (
    -5.99633501014107895267e1,
    9.80010754185999661536e1,
    -5.66762857469070293439e1,
    1.39312609387279679503e1,
    -1.23916583867381258016e0,
)
_Q0 = (
    1.95448858338141759834e0,
    4.67627912898881538453e0,
    8.63602421390890590575e1,
    -2.25462687854119370527e2,
    2.00260212380060660359e2,
    -8.20372256168333339912e1,
    1.59056225126211695515e1,
    -1.18331621121330003142e0,
)
_P1 = (
    4.05544892305962419923e0,
    3.15251094599893866154e1,
    5.71628192246421288162e1,
    4.40805073893200834700e1,
    1.46849561928858024014e1,
    2.18663306850790267539e0,
    -1.40256079171354495875e-1,
    -3.50424626827848203418e-2,
    -8.57456785154685413611e-4,
)
_Q1 = (
    1.57799883256466749731e1,
    4.53907635128879210584e1,
    4.13172038254672030440e1,
    1.50425385692907503408e1,
    2.50464946208309415979e0,
    -1.42182922854787788574e-1,
    -3.80806407691578277194e-2,
    -9.33259480895457427372e-4,
)
_P2 = (
    3.23774891776946035970e0,
    6.91522889068984211695e0,
    3.93881025292474443415e0,
    1.33303460815807542389e0,
    2.01485389549179081538e-1,
    1.23716634817820021358e-2,
    3.01581553508235416007e-4,
    2.65806974686737550832e-6,
    6.23974539184983293730e-9,
)
_Q2 = (
    6.02427039364742014255e0,
    3.67983563856160859403e0,
    1.37702099489081330271e0,
    2.16236993594496635890e-1,
    1.34204006088543189037e-2,
    3.28014464682127739104e-4,
    2.89247864745380683936e-6,
    6.79019408009981274425e-9,
)


def _polynomial(x: float, coefficients: tuple[float, ...], monic: bool = False) -> float:
    # Horner's rule from the highest power, as Cephes' polevl (and p1evl, whose leading
    # coefficient 1 is implicit) evaluates it: the order decides the last bit.
    result = x + coefficients[0] if monic else coefficients[0]
    for coefficient in coefficients[1:]:
        result = result * x + coefficient
    return result


def normal_quantile(q: float) -> float:
    """The q-quantile of the standard normal (SciPy's `ndtri`, bit for bit)."""
    if q == 0.0:
        return -math.inf
    if q == 1.0:
        return math.inf
    if not 0.0 < q < 1.0:
        return math.nan
    upper = q > 1.0 - _EXP_MINUS_2
    y = 1.0 - q if upper else q
    if y > _EXP_MINUS_2:
        y = y - 0.5
        y2 = y * y
        x = y + y * (y2 * _polynomial(y2, _P0) / _polynomial(y2, _Q0, monic=True))
        return x * _SQRT_2PI
    x = math.sqrt(-2.0 * math.log(y))
    x0 = x - math.log(x) / x
    z = 1.0 / x
    if x < 8.0:
        x1 = z * _polynomial(z, _P1) / _polynomial(z, _Q1, monic=True)
    else:
        x1 = z * _polynomial(z, _P2) / _polynomial(z, _Q2, monic=True)
    x = x0 - x1
    return x if upper else -x


def normal_cdf(x: float) -> float:
    """P(Z <= x) for a standard normal Z."""
    scaled = x * math.sqrt(0.5)
    if abs(scaled) < math.sqrt(0.5):
        return 0.5 + 0.5 * math.erf(scaled)
    tail = 0.5 * math.erfc(abs(scaled))
    return 1.0 - tail if scaled > 0 else tail


def normal_cdfs(x: np.ndarray) -> np.ndarray:
    """`normal_cdf` of each element of an array."""
    flat = np.asarray(x, dtype=np.float64).ravel()
    out = np.fromiter((normal_cdf(v) for v in flat.tolist()), np.float64, flat.size)
    return out.reshape(np.shape(x))


_EPSILON = 2.0**-52  # one ulp of 1: a ratio can get no closer to 1 without being 1
_TINY = 1e-300
_MOST_TERMS = 100_000


def gamma_p(a: float, x: np.ndarray | float) -> np.ndarray:
    """The regularised lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), for a
    shape a > 0, elementwise over x (SciPy's gammainc(a, x))."""
    return _gamma_pq(a, np.asarray(x, dtype=np.float64))[0]


def _gamma_pq(a: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # P and Q = 1 − P, each from the side where it is computed directly: below a + 1 the
    # series gives P, above it the continued fraction gives Q, so the small one of the
    # two keeps its relative precision (the inverse needs Q in the upper tail).
    lower = np.zeros(x.shape)
    upper = np.ones(x.shape)
    lower[np.isnan(x)] = upper[np.isnan(x)] = np.nan
    lower[np.isposinf(x)], upper[np.isposinf(x)] = 1.0, 0.0
    inside = np.isfinite(x) & (x > 0)
    low = inside & (x < a + 1.0)
    high = inside & ~low
    if low.any():
        lower[low] = _series(a, x[low])
        upper[low] = 1.0 - lower[low]
    if high.any():
        upper[high] = _continued_fraction(a, x[high])
        lower[high] = 1.0 - upper[high]
    return lower, upper


def _prefactor(a: float, x: np.ndarray) -> np.ndarray:
    return np.exp(a * np.log(x) - x - math.lgamma(a))


def _series(a: float, x: np.ndarray) -> np.ndarray:
    # P = e^-x x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n)): positive terms, converging fast
    # below a + 1.
    term = np.full(x.shape, 1.0 / a)
    total = term.copy()
    denominator = a
    for _ in range(_MOST_TERMS):
        denominator += 1.0
        term *= x / denominator
        total += term
        if np.all(term <= total * _EPSILON):
            break
    return np.minimum(total * _prefactor(a, x), 1.0)


def _continued_fraction(a: float, x: np.ndarray) -> np.ndarray:
    # Q = 1 − P by Legendre's continued fraction, evaluated by modified Lentz.
    b = x + 1.0 - a
    c = np.full(x.shape, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, _MOST_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d[np.abs(d) < _TINY] = _TINY
        c = b + an / c
        c[np.abs(c) < _TINY] = _TINY
        d = 1.0 / d
        step = d * c
        h *= step
        # A few ulps: the last factors wobble around 1 by one or two.
        if np.all(np.abs(step - 1.0) <= 4 * _EPSILON):
            break
    return np.minimum(h * _prefactor(a, x), 1.0)


def gamma_p_inverse(a: float, p: np.ndarray | float) -> np.ndarray:
    """The x with P(a, x) = p, elementwise over p in [0, 1] (SciPy's gammaincinv(a, p))."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    out[p == 0.0] = 0.0
    out[p == 1.0] = np.inf
    inside = (p > 0.0) & (p < 1.0)
    if inside.any():
        out[inside] = _halley(a, p[inside])
    return out


def _halley(a: float, p: np.ndarray) -> np.ndarray:
    # Numerical Recipes' invgammp: Wilson-Hilferty (a > 1) or the small-x power law as a
    # start, then Halley steps on P(a, x) − p with its exact derivative.
    log_gamma = math.lgamma(a)
    if a > 1.0:
        below = np.minimum(p, 1.0 - p)
        t = np.sqrt(-2.0 * np.log(below))
        z = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t
        z = np.where(p < 0.5, z, -z)
        x = np.maximum(1e-3, a * (1.0 - 1.0 / (9.0 * a) - z / (3.0 * math.sqrt(a))) ** 3)
    else:
        t = 1.0 - a * (0.253 + a * 0.12)
        x = np.where(p < t, (p / t) ** (1.0 / a), 1.0 - np.log1p(-(p - t) / (1.0 - t)))
    for _ in range(100):
        lower, upper = _gamma_pq(a, x)
        error = np.where(p < 0.5, lower - p, (1.0 - p) - upper)
        # A quantile below the smallest double (a tiny shape) is 0, where the density is
        # 0 or infinite: no step from there.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            density = np.exp((a - 1.0) * np.log(x) - x - log_gamma)
            ratio = error / density
            step = ratio / (1.0 - 0.5 * np.minimum(1.0, ratio * ((a - 1.0) / x - 1.0)))
        step = np.where(np.isfinite(step) & (x > 0.0), step, 0.0)
        moved = x - step
        x = np.where(moved <= 0.0, 0.5 * x, moved)
        if np.all(np.abs(step) <= 4 * _EPSILON * x):
            break
    return x
