"""Warning categories of the IR layer (lossy or contradictory input, never silent)."""

from __future__ import annotations


class LossyConversionWarning(UserWarning):
    """A conversion that is not exact for some consumer (e.g. CLIF written as a LIF)."""


class DialectWarning(UserWarning):
    """A foreign NIR file contradicts the convention of the dialect it is read with."""


class NirCompatibilityWarning(UserWarning):
    """A written NIR file is correct but trips a known bug of the ``nir`` package."""
