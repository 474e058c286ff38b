"""A toy neuron model, built the way docs/extending.md says, through every layer.

GainIF, a non-leaky integrate-and-fire neuron with an input gain g (per neuron):

    H[t] = V[t−1] + g·X[t],   s[t] = [H[t] >= θ],   V[t] = H[t] − θ·s[t]

One piece per layer, each in the form the real neurons use: the torch module (``to_ir``),
the IR node class, the reference stepper, the NIR form, the energy cost and the ONNX
lowering. :func:`registered` adds them to the tables through the real registration
points and removes them afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from snncompile.energy.from_ir import LAYER_SPECS, neuron
from snncompile.energy.neuron_costs import NeuronCost, OpCounts, register_cost, unregister_cost
from snncompile.ir.lowering import NIR_FORMS, Lowering, NirForm, lif_form
from snncompile.ir.native_neurons import as_param
from snncompile.ir.nodes import register_node_type, unregister_node_type
from snncompile.ir.profile import ExecutionProfile
from snncompile.reference.simulator import STEPPERS, neuron_stepper


# -- torch (snncompile/neurons/<model>.py) ---------------------------------------------------
class GainIFModule(nn.Module):
    """The torch module: time-major ``[T, B, ...]`` in, spikes out."""

    def __init__(self, gain: float = 1.5, v_threshold: float = 1.0) -> None:
        super().__init__()
        self.gain = float(gain)
        self.v_threshold = float(v_threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = torch.zeros_like(x[0])
        spikes = []
        for t in range(x.shape[0]):
            h = v + self.gain * x[t]
            s = (h >= self.v_threshold).to(x.dtype)
            v = h - self.v_threshold * s
            spikes.append(s)
        return torch.stack(spikes)

    def to_ir(self, shape: tuple[int, ...]) -> GainIF:
        """The IR node over the population ``shape`` (exact)."""
        return GainIF(gain=np.full(shape, self.gain), v_threshold=np.full(shape, self.v_threshold))


# -- IR (snncompile/ir/native_neurons.py + its register_node_type line in ir/nodes.py) -------
@dataclass(frozen=True, eq=False)
class GainIF:
    r"""Non-leaky IF with an input gain: H = V + g·X, s = [H >= θ], V = H − θ·s.

    Attributes:
        gain: g (population shape).
        v_threshold: θ (population shape).
    """

    gain: np.ndarray
    v_threshold: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain", as_param(self.gain))
        object.__setattr__(self, "v_threshold", as_param(self.v_threshold))
        object.__setattr__(self, "metadata", dict(self.metadata))


# -- reference (snncompile/reference/native_neurons.py + STEPPERS entry) ---------------------
class GainIFStep:
    """The stepper: exactly the node's equations, float32 or float64."""

    def __init__(self, node: GainIF, profile: ExecutionProfile, batch: int, dtype: np.dtype):
        self.gain = np.asarray(node.gain, dtype=dtype)
        self.theta = np.asarray(node.v_threshold, dtype=dtype)
        self.v = np.zeros((batch, *node.v_threshold.shape), dtype=dtype)
        self.states: dict[str, np.ndarray] = {}

    def step(self, x: np.ndarray) -> np.ndarray:
        h = self.v + self.gain * x
        s = (h >= self.theta).astype(h.dtype)
        self.v = h - self.theta * s
        self.states = {"v_pre": h, "v": self.v}
        return s


# -- NIR (snncompile/ir/lowering.py, NIR_FORMS entry) ----------------------------------------
def gain_if_form(name: str, node: GainIF, profile: ExecutionProfile, in_shape: Any) -> Lowering:
    """Exact: I (r = g/dt) -> Threshold(θ) -> Scale(−θ/g) back to I (β = 1)."""
    beta = np.ones_like(node.gain)
    dt = float(profile.dt)
    return lif_form(name, node, beta, node.gain, node.v_threshold, None, "soft", dt)


NIR_FORM = NirForm(gain_if_form, True, lambda node: "I + Threshold + Scale feedback")

# -- energy (snncompile/energy/neuron_costs.py row + from_ir.py LAYER_SPECS entry) -----------
COST = NeuronCost(
    "GainIF", OpCounts(1, 1, 1), OpCounts(1), 1, 1, 1, True, "H = V + g·X; V = H − θs"
)


# -- ONNX (backends/onnx/snncompile_onnx/lower_native.py + lowerings.py entry) --------------
def lower_gain_if_onnx(ctx: Any, name: str, node: GainIF, x: str) -> str:
    """H = V + g·X; s = [H >= θ]; V = H − θ·s, in the reference's operation order."""
    from snncompile_onnx.lower_native import fire

    theta = ctx.const(name, "v_threshold", node.v_threshold)
    gain = ctx.const(name, "gain", node.gain)
    v = ctx.state(name, "v", ctx.in_shape(name))
    h = ctx.add(v, ctx.mul(gain, x, f"{name}/drive"), f"{name}/h")
    s = fire(ctx, name, h, theta)
    ctx.set_state(name, "v", ctx.sub(h, ctx.mul(theta, s, f"{name}/theta_s"), f"{name}/v"))
    return s


@contextmanager
def _entry(table: dict[type, Any], value: Any) -> Iterator[None]:
    table[GainIF] = value
    try:
        yield
    finally:
        del table[GainIF]


@contextmanager
def registered(*, onnx: bool = False) -> Iterator[None]:
    """GainIF in every table (the ONNX one with ``onnx``), removed again on exit."""
    with ExitStack() as stack:
        register_node_type(
            GainIF,
            "neuron",
            population=("gain", "v_threshold"),
            native=True,
            spiking=True,
            stateful=True,
        )
        stack.callback(unregister_node_type, GainIF)
        stack.enter_context(_entry(STEPPERS, neuron_stepper(GainIFStep)))
        stack.enter_context(_entry(NIR_FORMS, NIR_FORM))
        register_cost(COST)
        stack.callback(unregister_cost, COST.model)
        stack.enter_context(_entry(LAYER_SPECS, neuron(COST.model)))
        if onnx:
            from snncompile_onnx.lowerings import LOWERINGS

            stack.enter_context(_entry(LOWERINGS, lower_gain_if_onnx))
        yield
