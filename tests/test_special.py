"""The special functions written without SciPy agree with SciPy's.

`normal_quantile` must equal `scipy.special.ndtri` bit for bit: a lognormal's sigma is
computed with it and feeds the simulation's draws. The others feed analytic estimates
only, and are held to relative tolerances a little above the worst error measured over
the shapes a scenario reaches (the regularised incomplete gamma loses digits with the
shape, as its prefactor e^(a log x − x − log Γ(a)) cancels large terms).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special as scipy_special

from conductor.special import gamma_p, gamma_p_inverse, normal_cdf, normal_cdfs, normal_quantile

ROOT = Path(__file__).resolve().parents[1]


def test_normal_quantile_is_scipys_ndtri_to_the_last_bit():
    rng = np.random.default_rng(7)
    levels = np.concatenate(
        [
            rng.random(100_000),
            10.0 ** -rng.uniform(0, 300, 20_000),  # the far lower tail, past exp(-32)
            1.0 - 10.0 ** -rng.uniform(1, 16, 20_000),  # the upper tail
            [0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.135335, 1e-300, 5e-324],
        ]
    )
    ours = np.array([normal_quantile(float(q)) for q in levels])
    assert np.array_equal(ours, scipy_special.ndtri(levels))


def test_normal_quantile_edges():
    assert normal_quantile(0.0) == -np.inf
    assert normal_quantile(1.0) == np.inf
    assert np.isnan(normal_quantile(1.5))
    assert np.isnan(normal_quantile(-0.1))


def test_normal_cdf_agrees_with_ndtr():
    x = np.linspace(-37.0, 9.0, 100_001)
    reference = scipy_special.ndtr(x)
    ours = normal_cdfs(x)
    assert ours.shape == x.shape
    assert np.max(np.abs(ours - reference) / reference) < 1e-13  # measured 5.7e-14
    assert normal_cdf(0.0) == 0.5
    assert normal_cdfs(np.array([[0.0, 1.0]])).shape == (1, 2)


# shape: relative tolerance (about twice the worst error measured on this grid)
GAMMA_TOLERANCE = {
    0.05: 5e-15,
    0.3: 5e-15,
    0.69: 1e-14,
    1.0: 5e-15,
    2.8: 1e-14,
    10.0: 2e-14,
    100.0: 2e-13,
    1000.0: 4e-12,
    10000.0: 5e-11,
}


@pytest.mark.parametrize(("shape", "tolerance"), GAMMA_TOLERANCE.items())
def test_gamma_p_agrees_with_gammainc(shape, tolerance):
    x = np.concatenate(
        [np.linspace(0.0, 10.0 * shape + 50.0, 16_384), shape * np.geomspace(1e-6, 1.0, 1000)]
    )
    reference = scipy_special.gammainc(shape, x)
    ours = gamma_p(shape, x)
    positive = reference > 1e-300
    assert np.max(np.abs(ours - reference)[positive] / reference[positive]) < tolerance
    assert gamma_p(shape, 0.0) == 0.0
    assert gamma_p(shape, np.inf) == 1.0


@pytest.mark.parametrize("shape", GAMMA_TOLERANCE)
def test_gamma_p_inverse_agrees_with_gammaincinv(shape):
    levels = np.concatenate(
        [np.random.default_rng(3).random(300), [1e-10, 1e-4, 0.5, 0.95, 0.9999, 1 - 1e-12]]
    )
    reference = scipy_special.gammaincinv(shape, levels)
    ours = gamma_p_inverse(shape, levels)
    # measured at most 1.8e-13 (shape 10 000), 6e-14 up to shape 1 000
    assert np.max(np.abs(ours - reference) / reference) < (1e-12 if shape > 1000 else 2e-13)
    assert gamma_p_inverse(shape, 0.0) == 0.0
    assert gamma_p_inverse(shape, 1.0) == np.inf


def test_check_of_the_starter_imports_no_scipy():
    """scipy costs more CPU to import than numpy itself: the common laws must not need it."""
    code = (
        "import sys, runpy; sys.argv = ['conductor', 'check', 'scenarios/starter.yaml'];"
        "\ntry:\n    runpy.run_module('conductor', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('scipy' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


def test_a_quantile_below_the_smallest_double_is_zero_without_warnings():
    levels = np.array([1e-10, 0.5, 0.9999])
    with np.errstate(divide="raise", over="raise", invalid="raise"):  # what numpy warns of
        for shape in (1e-4, 1e-3, 0.01):
            ours = gamma_p_inverse(shape, levels)
            reference = scipy_special.gammaincinv(shape, levels)
            # cv 10 to 100: far outside what a service time looks like; the upper tail
            # then comes from 1 − P of the series, 1.3e-11 off at shape 1e-4.
            assert np.allclose(ours, reference, rtol=5e-11, atol=0.0)
