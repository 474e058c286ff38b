"""Lowering: a quantised graph → the Lava network spec (both tags). Maps, never quantises.

Each layer of the :class:`~snncompile_loihi.qgraph.LoihiProgram` becomes one
spec layer (connection + population). The ``floating_pt`` set holds the IR's float
values; the ``fixed_pt`` set holds the quantiser's integers, copied unchanged:

| IR | spec connection | spec neuron |
|---|---|---|
| Affine / Linear | ``dense`` [N_out, N_in] over the C-order flattened input (*) | |
| Conv2d | ``conv`` OIHW, stride/padding/dilation/groups | |
| (none: a neuron right after the input or another neuron) | ``identity`` | |
| LIF (SoftLIF soft), PLIF, DA-LIF soft | | ``soft_lif`` (β, θ, b; β one or per neuron) |
| SoftLIF / DA-LIF with hard reset to 0 | | ``lif_builtin``: du = 1, dv = 1 − β, vth = θ⁻ |
| the same with β varying per neuron, or to v_r ≠ 0 | | ``hard_lif`` (β per neuron, θ, b, v_r, c) |
| NIR CubaLIF, reset to 0 (``cuba_form``) | | ``lif_builtin``: du = 1 − α_u, vth = (θ/g)⁻ |
| NIR CubaLIF: bias into u, or refractory (**) | | ``cuba_lif``: α_u, β, θ/g, b, c, r |
| NIR LIF / IF, multi-spike, same-step subtract (***) | | ``multi_spike_lif``: β, θ/g, b, D, floor |
| CLIF / ILIF | | ``clif`` / ``ilif`` |
| Affine/Conv feeding the Output (readout) | dense/conv | memoryless ``soft_lif``, read via V |
| Flatten | absorbed: dense reads the flattened input | |
| recurrent Affine/Linear (N → R ⇝ N) | layer ``recurrent``: a second Dense into the population | |

(***) an NIR LIF/IF under ``spike_mode="multi"`` (sinabs) runs on ``multi_spike_lif``
(β, θ' = θ/g, b, the cap ``max_spikes``, ``floor`` for ``membrane_floor="-threshold"``);
it sends its spike count, and every connection reading it is graded (spec
``GRADED_NEURONS``).

(**) and an NIR LIF/IF with a refractory period and a reset to 0, snnTorch's next-step
subtract reset or a leak toward v_leak ≠ 0 (α_u = 0): snncompile's current-based LIF, b
into the current u, c = a·v_leak/g into V, a refractory counter r or the next-step
subtraction n = θ/g.
An NIR LIF/IF resetting to v_r ≠ 0 runs on ``hard_lif`` (v_r/g, c = 0); a SoftLIF's
hard reset to v_r ≠ 0 too, with its leak c = (1 − β)·v_r.

(*) ``sparse`` (the same matrix, stored CSR) when at most ``sparse_density`` of its
quantised weights are non-zero: Loihi then stores only the non-zero synapses.

The readout population has β = 0 (dv = 4096) and an unreachable θ. It is exact: with no
memory and no spike, V[t] = H[t] = X[t] = W·s[t] + b, in float (0·V + X = X) and in
fixed point (the integer X in state units, divided by U on the host).
θ⁻ = nextafter(θ, −∞) makes Lava's float ``v > vth`` equal to ``v ≥ θ`` (docs/lava.md §21).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import nir
import numpy as np
from snncompile_loihi.models import (
    CLIF_FIXED,
    CUBA_LIF,
    HARD_LIF,
    ILIF_FIXED,
    LIF_BUILTIN,
    MULTI_SPIKE_LIF,
    READOUT,
    SOFT_LIF,
    FixedModel,
)
from snncompile_loihi.params import effective_float
from snncompile_loihi.qgraph import LoihiProgram, QuantizedBranch, QuantizedLayer

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile_lava.spec import FORMAT, RECORDABLE, VERSION

#: Dense layers with at most this fraction of non-zero quantised weights lower to Sparse.
SPARSE_DENSITY = 0.25
#: Float threshold of the readout population: never reached.
UNREACHABLE = float(np.finfo(np.float64).max)
FLOAT_DTYPE = "float64"


def _connection(q: QuantizedLayer, sparse_density: float | None) -> dict[str, Any]:
    src = q.source
    if src.connection == "identity":
        return {"type": "identity"}
    w_float, _ = effective_float(src)
    kind = src.connection
    nonzero = np.count_nonzero(q.weights)
    if (
        kind == "dense"
        and sparse_density is not None
        and nonzero <= sparse_density * q.weights.size
    ):
        kind = "sparse"
    conn: dict[str, Any] = {
        "type": kind,
        "floating_pt": {"weights": np.asarray(w_float, dtype=np.float64)},
        "fixed_pt": {
            "weights": np.asarray(q.weights, dtype=np.int64),
            "weight_exp": int(q.scale.weight_exp),
            "num_weight_bits": 8,
            "sign_mode": q.sign_mode,
        },
    }
    if src.connection == "conv":
        conn.update(
            {k: list(v) if isinstance(v, list | tuple) else v for k, v in src.geometry.items()}
        )
    return conn


def _branch(qb: QuantizedBranch, alpha: float, sparse_density: float | None) -> dict[str, Any]:
    """A branch's spec connection: dense/sparse/conv as the own connection; an identity
    becomes a ``scale`` connection (one weight, the unit conversion U/(64·S_in)). A
    DA-LIF α still in the neuron is folded into the float weights, as for the own one."""
    b = qb.branch
    fixed = {
        "weights": np.asarray(qb.weights, dtype=np.int64),
        "weight_exp": int(qb.weight_exp),
        "num_weight_bits": 8,
        "sign_mode": qb.sign_mode,
    }
    if b.connection == "identity":
        float_w = {"weights": np.asarray(alpha, dtype=np.float64)}
        return {"type": "scale", "floating_pt": float_w, "fixed_pt": fixed}
    kind = b.connection
    dense = kind == "dense" and sparse_density is not None
    if dense and np.count_nonzero(qb.weights) <= (sparse_density or 0.0) * qb.weights.size:
        kind = "sparse"
    conn: dict[str, Any] = {
        "type": kind,
        "floating_pt": {"weights": np.asarray(b.weight * alpha, dtype=np.float64)},
        "fixed_pt": fixed,
    }
    if b.connection == "conv":
        conn.update(
            {k: list(v) if isinstance(v, list | tuple) else v for k, v in b.geometry.items()}
        )
    return conn


def align_delays(qgraph: LoihiProgram) -> dict[str, list[int]]:
    """Per layer, the extra delay of its own connection and of each branch, so that every
    path into a population arrives at the same Lava step.

    A connection from a source at depth d (the input: 0) arrives at d + hop (hop 1, or 0
    for an unweighted identity); the population's depth is the latest arrival, and each
    connection waits depth − arrival extra steps (relay populations or a delayed input
    source, :mod:`snncompile_lava.network`).
    """
    depth: dict[str | None, int] = {None: 0}
    delays: dict[str, list[int]] = {}
    for q in qgraph.layers:
        src = q.source
        arrivals = [depth[src.source] + (src.connection != "identity")]
        arrivals += [depth[b.source] + 1 for b in src.branches]
        top = max(arrivals)
        delays[q.name] = [top - a for a in arrivals]
        if src.neuron_node is not None:
            depth[src.neuron_node] = top
        depth[q.name] = top
    return delays


def _recurrent(q: QuantizedLayer) -> dict[str, Any] | None:
    loop, src = q.recurrent, q.source
    if loop is None or src.recurrent is None:
        return None
    return {
        "floating_pt": {"weights": np.asarray(src.recurrent * src.alpha, dtype=np.float64)},
        "fixed_pt": {
            "weights": np.asarray(loop.weights, dtype=np.int64),
            "weight_exp": int(loop.weight_exp),
            "num_weight_bits": 8,
            "sign_mode": loop.sign_mode,
        },
    }


def _float_neuron(q: QuantizedLayer) -> dict[str, Any]:
    src = q.source
    _, bias = effective_float(src)
    b = np.asarray(bias, dtype=np.float64)
    if q.fixed is READOUT:
        beta = float(src.beta)  # 0: memoryless; an NIR LI readout leaks
        return {"beta": beta, "theta": UNREACHABLE, "bias": b, "float_dtype": FLOAT_DTYPE}
    if q.fixed is LIF_BUILTIN:
        vth = float(np.nextafter(np.float64(src.theta), -np.inf))
        du = float(1.0 - src.current_decay)  # 1: u is this step's input; CubaLIF: 1 − α_u
        return {"du": du, "dv": float(1.0 - src.beta), "vth": vth, "bias_mant": b}
    params: dict[str, Any] = {"beta": src.beta, "theta": src.theta, "bias": b}
    if q.fixed is CUBA_LIF:  # b charges the current, c = a·v_leak/g the potential
        c = np.zeros(src.shape) if src.voltage_bias is None else src.voltage_bias
        params |= {
            "alpha": float(src.current_decay),
            "bias_v": np.asarray(c, dtype=np.float64),
            "refractory": int(src.refractory),
            "next_subtract": float(src.next_subtract),
        }
    if q.fixed is HARD_LIF:  # the reset value and the leak toward it, per neuron
        zero = np.zeros(src.shape)
        params |= {
            "v_reset": np.asarray(zero if src.v_reset is None else src.v_reset, dtype=np.float64),
            "bias_v": np.asarray(
                zero if src.voltage_bias is None else src.voltage_bias, dtype=np.float64
            ),
        }
    if q.fixed is MULTI_SPIKE_LIF:  # the count's cap (0: none) and the floor at −θ
        cap = 0 if src.max_spikes is None else int(src.max_spikes)
        params |= {"max_spikes": cap, "floor": int(src.membrane_floor)}
    if src.neuron is CLIF:
        params["tau"] = float(src.tau or 1.0)
    if src.neuron is ILIF:
        params |= {"c": float(src.c or 0.0), "k_m": float(1.0 if src.k_m is None else src.k_m)}
    return params | {"float_dtype": FLOAT_DTYPE}


def _fixed_neuron(q: QuantizedLayer) -> dict[str, Any]:
    return {
        k: (np.asarray(v, dtype=np.int64) if np.ndim(v) else int(v))
        for k, v in q.neuron_params.items()
    }


#: The Loihi integer model → the network spec's neuron ``type`` (the Lava process the
#: worker builds: spec.NEURON_KEYS). The readout is a memoryless soft-reset population.
SPEC_TYPES: Mapping[FixedModel, str] = MappingProxyType(
    {
        LIF_BUILTIN: "lif_builtin",
        SOFT_LIF: "soft_lif",
        HARD_LIF: "hard_lif",
        CUBA_LIF: "cuba_lif",
        MULTI_SPIKE_LIF: "multi_spike_lif",
        READOUT: "soft_lif",
        CLIF_FIXED: "clif",
        ILIF_FIXED: "ilif",
    }
)


def _spec_neuron_type(q: QuantizedLayer) -> str:
    if q.fixed not in SPEC_TYPES:  # pragma: no cover - only netx makes other models
        raise UnsupportedNodeError(
            f"layer {q.name!r}: integer model {q.neuron!r} has no Lava process",
            node=q.name,
            hint="quantise for target 'lava' (quantize_loihi(..., target='lava'))",
        )
    return SPEC_TYPES[q.fixed]


#: IR node class → what it lowers to (documentation and the supported-type list). A new
#: node type adds its entry here or in :data:`REFUSED` (docs/extending.md); a coverage test
#: checks that every NODE_TYPES class is in one of them.
LOWERINGS: Mapping[type, str] = MappingProxyType(
    {
        nir.Input: "RingBuffer source (binary, or graded 24-bit payloads)",
        nir.Flatten: "absorbed into the next dense connection",
        nir.Affine: "dense connection (+ bias in the population)",
        nir.Linear: "dense connection",
        nir.Conv2d: "conv connection (+ per-channel bias in the population)",
        nir.SumPool2d: "folded into the next dense/conv connection (exact)",
        nir.AvgPool2d: "folded into the next dense/conv connection (exact)",
        MaxPool2d: "of spikes only: a depthwise conv into a relay population (one more hop)",
        SoftLIF: "soft_lif (soft reset) or lif_builtin (hard reset to 0; hard_lif when beta "
        "varies per neuron or the reset value is not 0)",
        PLIF: "soft_lif",
        DALIF: "soft_lif (soft reset) or lif_builtin (hard reset; hard_lif when beta varies), "
        "alpha folded into the connections",
        CLIF: "clif (custom process, table sigmoid)",
        ILIF: "ilif (custom process, table sigmoid)",
        nir.LIF: "as SoftLIF under its node profile where exact: lif_builtin (reset to 0) or "
        "soft_lif (subtract reset); with a refractory period and reset to 0, a next-step "
        "subtract reset or a leak toward v_leak != 0, cuba_lif (alpha 0); a reset to "
        "v_reset != 0 hard_lif; "
        "under spike_mode=multi multi_spike_lif; snncompile_loihi.nir_neurons",
        nir.IF: "as SoftLIF with beta 1 under its node profile where exact (nir.LIF's rule); "
        "under spike_mode=multi (sinabs) both run on multi_spike_lif, sending spike counts",
        nir.CubaLIF: "lif_builtin under its node profile where exact (reset to 0): du = "
        "1 - alpha_syn, dv = 1 - beta, threshold theta/g; cuba_lif (the own process) for a "
        "synapse bias into the current, a refractory period or a next-step subtract reset; "
        "snncompile_loihi.nir_neurons.cuba_form",
        nir.LI: "only as the Output's only input: the readout population with the LI's leak "
        "(V = beta*V + g*X + a*v_leak, read through V)",
        nir.Output: "spikes of the last population, or the readout population's V",
    }
)

_NIR_NEURON = "no Loihi neuron process; use a native neuron (SoftLIF, PLIF, DA-LIF, CLIF, ILIF)"

#: IR node classes the Lava target refuses, with the reason (an explicit refusal).
REFUSED: Mapping[type, str] = MappingProxyType(
    {
        nir.Scale: "no elementwise-scale connection",
        nir.Conv1d: "no 1-D convolution connection",
        nir.Delay: "no synaptic delays",
        nir.Threshold: "no stateless threshold process",
        BatchNorm: "fold it into the preceding synapse (fold_batchnorm) first",
        nir.I: _NIR_NEURON,
        nir.CubaLI: _NIR_NEURON,
    }
)


def supported_types() -> frozenset[str]:
    """The type names of the IR node types this target lowers."""
    return frozenset(cls.__name__ for cls in LOWERINGS)


def check_lowerable(nodes: Mapping[str, Any]) -> None:
    """Raise UnsupportedNodeError for the first node whose type has no lowering.

    Args:
        nodes: node name → IR node.
    """
    for name, node in nodes.items():
        if type(node) not in LOWERINGS:
            type_name = type(node).__name__
            raise UnsupportedNodeError(
                f"target 'lava' has no lowering for node {name!r} of type {type_name}",
                node=name,
                hint=f"supported node types: {', '.join(c.__name__ for c in LOWERINGS)}",
            )


def output_record(q: QuantizedLayer) -> str:
    """What the output layer records: the readout's V, or the last population's spikes."""
    return "spikes" if q.fixed.spiking else "v"


def rerecord(spec: dict[str, Any], record: str) -> dict[str, Any]:
    """``spec`` with every layer also recording its spikes (``"spikes"``) or spikes and
    every state (``"all"``), for conformance runs; what it recorded is kept."""
    for layer in spec["layers"]:
        kind = layer["neuron"]["type"]
        extra = ["spikes"] if record == "spikes" else ["spikes", *RECORDABLE[kind]]
        layer["record"] = list(dict.fromkeys([*layer.get("record", []), *extra]))
    return spec


def lower_to_spec(
    qgraph: LoihiProgram,
    *,
    record: str | None = None,
    sparse_density: float | None = SPARSE_DENSITY,
) -> dict[str, Any]:
    """The network spec of ``qgraph`` (both tags).

    Args:
        qgraph: the quantised graph.
        record: None (only the output: the readout's V or the last spikes), ``"spikes"``
            (every population's spikes) or ``"all"`` (spikes and every state).
        sparse_density: dense layers with at most this fraction of non-zero quantised
            weights become ``sparse`` connections; None keeps every one dense.
    """
    spec = _lower(qgraph, sparse_density)
    return spec if record is None else rerecord(spec, record)


def _lower(qgraph: LoihiProgram, sparse_density: float | None) -> dict[str, Any]:
    shape = list(qgraph.input_shape)
    first = qgraph.layers[0].source
    if len(shape) not in (1, 3):
        if first.connection != "dense":
            raise UnsupportedNodeError(
                f"input shape {shape} needs a dense first layer on Lava",
                node=qgraph.input_name,
                hint="use [N] or [C, H, W] inputs",
            )
        shape = [int(np.prod(shape))]
    layers = []
    delays = align_delays(qgraph)
    names = {lay.source.neuron_node: lay.name for lay in qgraph.layers}
    names[None] = None
    for index, q in enumerate(qgraph.layers):
        last = index == len(qgraph.layers) - 1
        own, *rest = delays[q.name]
        connection = _connection(q, sparse_density)
        if own:
            connection["delay"] = own
        layer = {
            "name": q.name,
            "source": names[q.source.source],
            "connection": connection,
            "neuron": {
                "type": _spec_neuron_type(q),
                "floating_pt": _float_neuron(q),
                "fixed_pt": _fixed_neuron(q),
            },
            "record": [output_record(q)] if last else [],
        }
        recurrent = _recurrent(q)
        if recurrent is not None:
            layer["recurrent"] = recurrent
        if q.branches:
            layer["branches"] = [
                {
                    "source": names[qb.branch.source],
                    "connection": _branch(qb, q.source.alpha, sparse_density)
                    | ({"delay": d} if d else {}),
                }
                for qb, d in zip(q.branches, rest, strict=True)
            ]
        layers.append(layer)
    return {
        "format": FORMAT,
        "version": VERSION,
        "input": {"shape": shape, "graded": bool(qgraph.input_graded)},
        "layers": layers,
    }
