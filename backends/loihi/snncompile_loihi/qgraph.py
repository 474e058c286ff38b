"""The result of ``quantize_loihi``: per-layer integer parameters with typed precisions.

Scales (backends/lava/docs/fixed_point.md §6). For a layer with weight scale S_w, input scale S_in
(graded input: x_int = round(x·S_in); spikes: S_in = 1) and weight exponent e:

    w_int  = round(w·S_w)              8-bit mantissa (even values when mixed-sign)
    a_in   = (Σ w_int·x_int)·2^e       what Lava's Dense delivers (floor for e < 0)
    X      = (a_in << 6) + bias        state units
    U      = 64·2^e·S_w·S_in           state units per 1.0 of the float model (integer)
    theta  = round(θ·U),  bias = round(b·U),  dv = round((1 − β)·4096)

so X ≈ U·(W·x + b): every state of the float model is represented as U × its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from snncompile.errors import InputError
from snncompile.ir.graph import Graph
from snncompile.quant.precision import FixedPoint, round_half_away
from snncompile_loihi.chain import Branch, ChainLayer
from snncompile_loihi.compare import QuantizationComparison
from snncompile_loihi.models import FixedModel


@dataclass(frozen=True)
class LayerScale:
    """The scales of one layer (module docstring).

    Attributes:
        weight_scale: S_w, weight mantissa units per 1.0 of weight.
        input_scale: S_in, input payload units per 1.0 of input (1 for spikes).
        weight_exp: e, Lava Dense ``weight_exp`` (conv: always 0, folded into S_w).
        unit: U = 64·2^e·S_w·S_in, state units per 1.0 (an integer).
        clip: calibration factor c: S_w = c·(limit / max|w|); c > 1 clips the largest weights.
    """

    weight_scale: float
    input_scale: float
    weight_exp: int
    unit: int
    clip: float = 1.0


@dataclass(frozen=True)
class RecurrentWeights:
    """A population's quantised recurrent connection: a_rec = (R_eff·s[t−1])·2^weight_exp,
    in the population's state unit (R_eff: Lava's effective weights of ``weights``)."""

    weights: NDArray[np.int64]
    weight_exp: int
    sign_mode: str
    clipped: int = 0


@dataclass(frozen=True)
class QuantizedBranch:
    """A quantised branch (a further connection into a population), in the population's
    state unit U: a_k = (W_eff,k · in_k)·2^e_k with 64·2^e_k·S_w,k·S_in,k = U, so that
    every summand of the population's input X carries the same unit
    (``params.quantize_branch``). Identity branches have a scalar (0-d) ``weights``.
    """

    branch: Branch
    weights: NDArray[np.int64]
    weight_exp: int
    sign_mode: str
    weight_scale: float
    input_scale: float
    clipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary for manifests and reports."""
        return {
            "source": self.branch.source,
            "synapse": self.branch.synapse,
            "connection": self.branch.connection,
            "weight_exp": self.weight_exp,
            "weight_scale": self.weight_scale,
            "input_scale": self.input_scale,
            "sign_mode": self.sign_mode,
            "weight_range": [int(self.weights.min()), int(self.weights.max())],
            "clipped_weights": self.clipped,
        }


@dataclass(frozen=True)
class QuantizedLayer:
    """One quantised population: its float description and its integer parameters.

    Attributes:
        source: the float layer (:class:`~snncompile_loihi.chain.ChainLayer`).
        scale: the layer's scales.
        weights: int64 weight mantissas (same shape as the float weight), None for identity.
        sign_mode: "mixed", "excitatory" or "inhibitory" (Lava Dense ``sign_mode``).
        neuron_params: the ``fixed_pt`` neuron parameters (names of the Lava network spec).
        precisions: field name → :class:`FixedPoint` of every integer field.
        clipped: number of weights clipped by the calibration (c > 1) or ``allow_clamp``.
        notes: lossy decisions taken for this layer (clamps, approximations), for reports.
        model: the integer population model: the source's, or for netx's readout
            ``LIF_ACCUMULATOR`` (Lava's LIF read through v).
        recurrent: the quantised recurrent connection, or None.
        branches: the quantised branches (``source.branches``, same order).
    """

    source: ChainLayer
    scale: LayerScale
    weights: NDArray[np.int64] | None
    sign_mode: str
    neuron_params: Mapping[str, Any]
    precisions: Mapping[str, FixedPoint]
    clipped: int = 0
    notes: tuple[str, ...] = ()
    model: FixedModel | None = None
    recurrent: RecurrentWeights | None = None
    branches: tuple[QuantizedBranch, ...] = ()

    @property
    def name(self) -> str:
        """The layer name (neuron node, or the synapse of a readout)."""
        return self.source.name

    def __post_init__(self) -> None:
        if self.model is None:  # default: the model the chain chose for the source
            object.__setattr__(self, "model", self.source.model)

    @property
    def fixed(self) -> FixedModel:
        """The integer model this population runs (never None after construction)."""
        return self.model if self.model is not None else self.source.model

    @property
    def neuron(self) -> str:
        """Display name of the integer model (``soft_lif``, ``lif_builtin``, ``clif``,
        ``ilif``, ``readout``, ``lif_accumulator``), for reports and manifests only."""
        return self.fixed.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (no arrays) for manifests and reports."""
        src = self.source
        params = {
            k: (int(v) if np.ndim(v) == 0 else f"int[{list(np.shape(v))}]")
            for k, v in self.neuron_params.items()
        }
        return {
            "name": src.name,
            "synapse": src.synapse,
            "neuron_node": src.neuron_node,
            "connection": src.connection,
            "neuron": self.neuron,
            "in_shape": list(src.in_shape),
            "shape": list(src.shape),
            "float": {
                k: (v if np.ndim(v) == 0 else f"float[{list(np.shape(v))}]")
                for k in ("beta", "theta", "tau", "c", "k_m", "current_decay")
                for v in (getattr(src, k),)
            },
            "scale": {
                "weight_scale": self.scale.weight_scale,
                "input_scale": self.scale.input_scale,
                "weight_exp": self.scale.weight_exp,
                "unit": self.scale.unit,
                "clip": self.scale.clip,
            },
            "sign_mode": self.sign_mode,
            "weight_range": None
            if self.weights is None
            else [int(self.weights.min()), int(self.weights.max())],
            "fixed_params": params,
            "precisions": {k: p.describe() for k, p in self.precisions.items()},
            "clipped_weights": self.clipped,
            "recurrent": None
            if self.recurrent is None
            else {
                "weight_exp": self.recurrent.weight_exp,
                "sign_mode": self.recurrent.sign_mode,
                "weight_range": [
                    int(self.recurrent.weights.min()),
                    int(self.recurrent.weights.max()),
                ],
                "clipped_weights": self.recurrent.clipped,
            },
            "source": src.source,
            "branches": [b.to_dict() for b in self.branches],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class LoihiProgram:
    """A float IR graph plus everything needed to run it in Loihi fixed point.

    Attributes:
        graph: the float graph that was quantised (unchanged).
        input_name, input_shape: the Input node and its per-sample shape.
        input_graded: True when the input is graded (integer payloads), False for spikes.
        input_scale: S_in of the input layer: x_int = round(x·S_in).
        layers: the quantised layers in order.
        output_name, output_shape: the Output node and its per-sample shape.
        calibration: how the scales were chosen (method, samples, candidates).
        comparison: float-versus-fixed comparison on the calibration data, if any.
    """

    graph: Graph
    input_name: str
    input_shape: tuple[int, ...]
    input_graded: bool
    input_scale: int
    layers: tuple[QuantizedLayer, ...]
    output_name: str
    output_shape: tuple[int, ...]
    calibration: Mapping[str, Any] = field(default_factory=dict)
    comparison: QuantizationComparison | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "calibration", MappingProxyType(dict(self.calibration)))

    @property
    def output_layer(self) -> QuantizedLayer:
        """The last layer (its spikes, or the readout's value, form the output)."""
        return self.layers[-1]

    def layer(self, name: str) -> QuantizedLayer:
        """The layer called ``name``."""
        for lay in self.layers:
            if lay.name == name:
                return lay
        raise KeyError(name)

    def quantize_input(self, x: ArrayLike) -> NDArray[np.int64]:
        """Input payloads: round(x·S_in) (half away from zero), or the 0/1 spikes.

        Raises:
            InputError: spikes that are not 0/1, or payloads beyond 24 bits.
        """
        arr = np.asarray(x, dtype=np.float64)
        if not self.input_graded:
            if not np.all((arr == 0) | (arr == 1)):
                raise InputError(
                    "the quantised model expects binary (0/1) input spikes",
                    node=self.input_name,
                    hint="quantise with calibration data like the real inputs (graded inputs "
                    "make a graded input layer)",
                )
            return arr.astype(np.int64)
        ints = round_half_away(arr * self.input_scale)
        if ints.size and int(np.abs(ints).max()) > (1 << 23) - 1:
            raise InputError(
                f"input payloads up to {int(np.abs(ints).max())} exceed 24 bits "
                f"(input scale {self.input_scale})",
                node=self.input_name,
                hint="calibrate with data covering the input range",
            )
        return ints

    def to_markdown(self) -> str:
        """For people: the input rule, per-layer scales and notes, and the comparison."""
        calib = self.calibration
        rule = "binary spikes"
        if self.input_graded:
            rule = f"graded, x_int = round(x * {self.input_scale})"
        lines = [
            "# Quantisation (Loihi 2 fixed point)",
            "",
            f"Input: {rule}",
            f"Calibration: {calib.get('method')} on {calib.get('samples')} samples × "
            f"{calib.get('steps')} steps"
            if calib.get("samples")
            else "Calibration: none (scales from the weights alone; calibration data add a "
            "per-layer clip search and the float-vs-fixed comparison)",
            "",
            "| layer | model | S_w | weight_exp | unit U | clip | weights | notes |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for lay in self.layers:
            w = "—" if lay.weights is None else f"[{lay.weights.min()}, {lay.weights.max()}]"
            notes = list(lay.notes)
            if lay.recurrent is not None:
                r = lay.recurrent
                notes.append(
                    f"recurrent: [{r.weights.min()}, {r.weights.max()}], weight_exp {r.weight_exp}"
                )
            if lay.source.folded:
                notes.append(f"pooling {', '.join(lay.source.folded)} folded in")
            for qb in lay.branches:
                b = qb.branch
                what = b.synapse or "identity"
                notes.append(
                    f"+ {what} from {b.source or 'input'}: [{qb.weights.min()}, "
                    f"{qb.weights.max()}], weight_exp {qb.weight_exp}"
                )
            lines.append(
                f"| {lay.name} | {lay.neuron} | {lay.scale.weight_scale:.4g} | "
                f"{lay.scale.weight_exp} | {lay.scale.unit} | {lay.scale.clip:g} | {w} | "
                f"{'; '.join(notes) or '—'} |"
            )
        if self.comparison is not None:
            lines += ["", self.comparison.to_markdown().rstrip("\n")]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary for the manifest."""
        return {
            "scheme": "loihi2-fixed (backends/lava/docs/fixed_point.md §6, docs/lava.md)",
            "input": {
                "name": self.input_name,
                "shape": list(self.input_shape),
                "graded": self.input_graded,
                "scale": self.input_scale,
                "rule": "x_int = round(x * scale), half away from zero"
                if self.input_graded
                else "binary spikes",
            },
            "layers": [lay.to_dict() for lay in self.layers],
            "output": {
                "name": self.output_name,
                "shape": list(self.output_shape),
                "layer": self.output_layer.name,
            },
            "calibration": dict(self.calibration),
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
        }
