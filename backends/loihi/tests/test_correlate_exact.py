"""The integer convolution is exact on both of its paths (float64 BLAS under 2^53, int64
above it)."""

from __future__ import annotations

import numpy as np
import pytest
from snncompile_loihi.kernels import _correlate, correlate2d

GEOMETRY = {"stride": (2, 1), "padding": (1, 1), "dilation": (1, 1), "groups": 2}


@pytest.mark.parametrize("magnitude", [1, 2**16, 2**45])
def test_integer_correlation_equals_the_int64_sum(magnitude):
    rng = np.random.default_rng(3)
    x = rng.integers(-magnitude, magnitude + 1, (3, 4, 7, 6), dtype=np.int64)
    w = rng.integers(-255, 256, (6, 2, 3, 3), dtype=np.int64)
    got = correlate2d(x, w, GEOMETRY)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, _correlate(x, w, GEOMETRY))
