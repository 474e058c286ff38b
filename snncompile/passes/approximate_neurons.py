"""Opt-in, lossy lowerings of CLIF and ILIF to a hard-reset LIF (neurons.md §9, §11).

Both models subtract more than θ per spike through a state-dependent reset (CLIF:
θ + sigmoid(m) ∈ [1.73θ, 2θ); ILIF: θ + sigmoid(M) ∈ [1.5θ, 2θ)) that NIR primitives
cannot compute. The deployable stand-in is the LIF with the same leak and threshold and a
**hard reset to a negative value v_r**, which also charges toward v_r:

    H[t] = β·V[t−1] + (1 − β)·v_r + X[t],   s[t] = [H[t] >= θ],   V[t] = v_r after a spike

with β = 1 − 1/τ. ``clif_as_lif`` is the CLIF authors' own deployment route (v_r ≈ −0.06
… −0.08 on CIFAR). ``ilif_as_lif`` additionally drops the current inhibition I (at most 3 %
of the previous input) and replaces sigmoid(M) by the same tuned reset; the constant-
extra-reset variant (soft reset by θ + c) is not offered because it has no native IR node.

v_r is read from the node's metadata key :data:`V_RESET_KEY`, written by the calibration
(:func:`snncompile.reference.calibrate.calibrate_approximations`), which picks the value
maximising per-layer spike agreement with the exact model; without it the documented
default applies. Every use warns (:class:`~snncompile.ir.LossyConversionWarning`) naming
the layer, v_r and the calibrated agreement. The result is exactly the LIF lowering of
:mod:`snncompile.ir.lowering` (NIR ``LIF`` with v_leak = v_reset), marked ``exact=False``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from snncompile.ir.diagnostics import LossyConversionWarning
from snncompile.ir.lowering import Lowering, lower_native
from snncompile.ir.native_neurons import AGREEMENT_KEY, DEFAULT_V_RESET, V_RESET_KEY, SoftLIF
from snncompile.ir.nodes import type_name
from snncompile.ir.profile import ExecutionProfile


def hard_reset_lif(node: Any, v_reset: float) -> SoftLIF:
    """The hard-reset LIF stand-in of a CLIF/ILIF ``node``: same τ and θ, reset to
    ``v_reset`` (float64 parameters of the node's population shape)."""
    tau = np.asarray(node.tau, dtype=np.float64)
    return SoftLIF(
        beta=1.0 - 1.0 / tau,
        v_threshold=np.asarray(node.v_threshold, dtype=np.float64),
        reset="hard",
        v_reset=np.full(tau.shape, float(v_reset)),
    )


def _approximate(name: str, node: Any, profile: ExecutionProfile) -> Lowering:
    kind = type_name(node)
    meta = node.metadata or {}
    v_reset = float(meta.get(V_RESET_KEY, DEFAULT_V_RESET[kind]))
    agreement = meta.get(AGREEMENT_KEY)
    quality = (
        f"calibrated spike agreement {float(agreement):.2%}"
        if agreement is not None
        else f"uncalibrated default v_reset (expected a calibrated {V_RESET_KEY!r} in the "
        "node metadata; run snncompile.reference.calibrate.calibrate_approximations)"
    )
    warnings.warn(
        f"node {name!r} ({kind}) is lowered approximately as a hard-reset LIF with "
        f"v_reset={v_reset:.4g}: {quality}",
        LossyConversionWarning,
        stacklevel=4,
    )
    form = lower_native(name, hard_reset_lif(node, v_reset), profile)
    if form is None:  # SoftLIF always has a primitive form
        raise TypeError("SoftLIF lowering returned None")
    dropped = "complementary state m" if kind == "CLIF" else "inhibition I and memory M"
    return Lowering(
        form.nodes,
        form.edges,
        form.entry,
        form.exit,
        form.pins,
        exact=False,
        note=f"APPROXIMATION: hard-reset LIF, v_reset={v_reset:.4g}; drops {dropped}",
    )


def clif_as_lif(name: str, node: Any, profile: ExecutionProfile) -> Lowering:
    """CLIF -> hard-reset LIF with the node's calibrated v_r (default −0.07). Lossy."""
    return _approximate(name, node, profile)


def ilif_as_lif(name: str, node: Any, profile: ExecutionProfile) -> Lowering:
    """ILIF -> hard-reset LIF (I dropped, sigmoid(M) replaced by the reset to v_r; default
    −0.05). Lossy."""
    return _approximate(name, node, profile)
