"""What Loihi cannot represent: checks on the float layers before any scale is chosen.

Each check raises :class:`~snncompile.errors.QuantizationError` naming the layer, the
value and what to change. With ``allow_clamp=True`` the documented fallback is applied
instead, with a ``warnings.warn`` naming the parameter, expected and actual value:

| condition | fallback with ``allow_clamp`` |
|---|---|
| β < 0 (negative leak; CLIF/ILIF: τ < 1) | β := 0 (memoryless) |
| β > 1 (growing potential) | β := 1 (no leak) |
| DA-LIF α ≤ 0 (docs/neurons.md §6 export constraint) | α kept and folded into W, b (exact) |
| fan-in > 4096 (input axons per core) | kept: the CPU simulation has no such limit |
| ILIF c ∉ [0, 1), k_m ∉ [0, 16) | clamped into the range |
| θ ≤ 0 | never: no fallback (QuantizationError) |
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from snncompile.errors import QuantizationError
from snncompile_loihi.chain import ChainLayer
from snncompile_loihi.limits import KM12, MAX_FAN_IN
from snncompile_loihi.params import option_error

#: k_m's Q4.12 field (limits.KM12) as a real gain.
KM_MAX = KM12.hi / 2**KM12.frac


def _refuse_or_clamp(
    layer: ChainLayer, what: str, hint: str, allow_clamp: bool, clamp_note: str
) -> None:
    where = f"layer {layer.name!r} ({layer.neuron_node or layer.synapse})"
    if not allow_clamp:
        raise option_error(
            f"{where}: {what}, which Loihi fixed point cannot represent",
            layer.name,
            f"{hint}; or pass {{clamp}} to {clamp_note}",
        )
    warnings.warn(f"{where}: {what}; {clamp_note} (allow_clamp)", stacklevel=4)


def check_layer(layer: ChainLayer, *, allow_clamp: bool = False) -> ChainLayer:
    """Refuse (or, with ``allow_clamp``, clamp) what Loihi cannot represent.

    Returns:
        The layer, with clamped parameters where a fallback was applied.

    Raises:
        QuantizationError: naming the layer, the offending value and what to change.
    """
    changes: dict[str, Any] = {}
    if layer.fan_in > MAX_FAN_IN:
        _refuse_or_clamp(
            layer,
            f"fan-in {layer.fan_in} exceeds the {MAX_FAN_IN} input axons of a neurocore "
            "(Davies et al. 2018)",
            "reduce the layer's inputs (fewer input features or channels, smaller kernels)",
            allow_clamp,
            "keep it (the Lava CPU simulation runs it; it would not map onto one core)",
        )
    if not layer.spiking:
        return layer
    if layer.theta <= 0:
        raise QuantizationError(
            f"layer {layer.name!r}: threshold θ = {layer.theta!r} is not positive; Loihi "
            "thresholds are positive integers",
            node=layer.name,
            hint="train with a positive threshold",
        )
    tau_note = f" (τ = {layer.tau:g} < 1)" if layer.tau is not None else ""
    low, high = float(np.min(layer.beta)), float(np.max(layer.beta))
    if low < 0:
        _refuse_or_clamp(
            layer,
            f"negative leak factor β = {low:g}{tau_note}: an oscillating membrane",
            "constrain β to [0, 1) during training" + (" (τ >= 1)" if tau_note else ""),
            allow_clamp,
            "clamp β to 0 (no memory)",
        )
    if high > 1:
        _refuse_or_clamp(
            layer,
            f"leak factor β = {high:g} > 1: a growing membrane potential",
            "constrain β to [0, 1] during training",
            allow_clamp,
            "clamp β to 1 (no leak)",
        )
    if low < 0 or high > 1:
        clamped = np.clip(layer.beta, 0.0, 1.0)
        changes["beta"] = float(clamped) if np.ndim(clamped) == 0 else clamped
    if layer.alpha <= 0:
        _refuse_or_clamp(
            layer,
            f"DA-LIF input decay α = {layer.alpha:g} <= 0 (export needs α > 0, docs/neurons.md §6)",
            "constrain α > 0 during training (clamp its raw parameter)",
            allow_clamp,
            "fold α into the weights and bias as it is (exact, inverts the input)",
        )
    if layer.c is not None and not 0 <= layer.c < 1:
        _refuse_or_clamp(
            layer,
            f"ILIF current inhibition c = {layer.c:g} is outside [0, 1) (12-bit fraction)",
            "use 0 <= current_inhibition < 1",
            allow_clamp,
            "clamp c into [0, 4095/4096]",
        )
        changes["c"] = min(max(layer.c, 0.0), 4095 / 4096)
    if layer.k_m is not None and not 0 <= layer.k_m <= KM_MAX:
        _refuse_or_clamp(
            layer,
            f"ILIF membrane inhibition k_m = {layer.k_m:g} is outside [0, {KM_MAX:.4g}] "
            "(Q4.12 gain)",
            "use 0 <= membrane_inhibition < 16",
            allow_clamp,
            "clamp k_m into the range",
        )
        changes["k_m"] = min(max(layer.k_m, 0.0), KM_MAX)
    return dataclasses.replace(layer, **changes) if changes else layer
