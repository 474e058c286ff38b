"""The Loihi layer chain: an IR graph read as Input → (connection → population)* → Output.

Each :class:`ChainLayer` is one Lava population and the connection that feeds it, with
the **float** parameters of the IR (nothing is quantised here):

    X[t] = W·in[t] + b          (dense, over the C-order flattened input; conv: OIHW
                                 cross-correlation; identity: X = in, b = 0)
    SoftLIF, PLIF, DALIF, soft reset: H = β·V + X;  s = H ≥ θ;  V = H − θ·s
    SoftLIF, DALIF, hard reset:       H = β·V + X;  s = H ≥ θ;  V = H·(1 − s)   (to 0)
    SoftLIF, hard reset to v_r ≠ 0 (snncompile's ``hard_lif``): H = (β·V + X) + c with
        c = (1 − β)·v_r (``voltage_bias``);  s = H ≥ θ;  V = v_r where s, else H
    NIR CubaLIF (``nir_neurons.cuba_form``, under its node profile; Lava's LIF with a
        current): u = α_u·u + W·x;  H = β·V + b + u;  s = H ≥ θ/g;  V = H·(1 − s),
        b = a·v_leak/g (Lava's LIF adds its bias to V)
    with a synapse bias into a leaky current or a refractory period r (snncompile's
        ``cuba_lif``, ``models.CUBA_LIF``): u = α_u·u + W·x + b;  H = β·V + c + u where
        k = 0, H = V where k > 0;  s = H ≥ θ/g ∧ k = 0;  V = H·(1 − s);  k = r after a
        spike, else max(k − 1, 0);  c = a·v_leak/g (``voltage_bias``). An NIR LIF/IF
        with a refractory period is the same with α_u = 0 and c = 0.
    with snnTorch's subtract reset (``next_subtract`` n = θ/g > 0, ``cuba_lif``): as
        above but H = β·V + c + u − n·s[t−1] and V = H (no reset at the spike)
    NIR LIF/IF under ``spike_mode="multi"`` (sinabs; ``nir_neurons.multi_spike_form``,
        snncompile's ``multi_spike_lif``, ``models.MULTI_SPIKE_LIF``): H = β·V + X;
        n = clip(floor(H/θ), 0, D);  V = H − θ·n;  with the floor V = max(V + θ, 0) − θ.
        The count n (not 0/1) is the population's output: X_next = W·n + b
    CLIF, ILIF:  the equations of ``snncompile.ir.CLIF`` / ``snncompile.ir.ILIF``
    readout (neuron None): y = X  (an analog Affine/Conv feeding an Output: no neuron);
        through an NIR LI (``nir_neurons.leaky_readout``): y = β·y[t−1] + X, X with
        the LI's gain and leak bias folded into the connection

Each layer records the IR class of its neuron (``neuron``) and the integer model its
population runs (``model``, chosen by :data:`snncompile_loihi.models.NEURON_TYPES`).

A population may also have a recurrent connection: a bias-free Affine/Linear R from its
own spikes back into its input through a back edge, so X[t] = W·in[t] + b + R·s[t−1]
(s[−1] = 0), the reference simulator's back-edge semantics.

Accepted graphs (after the generic pass pipeline): one Input, one Output, and any DAG
of populations (plus the recurrent connections above). Each population's input is the
sum of the values reaching it (the IR sums a node's inputs), expanded into *terms*, one
per path from a source population (or the input) through linear nodes:

    X = Σ_terms W_term·src_term + Σ_synapses b

- a Spiking-ResNet skip (``conv2 → n2`` and ``n0 → n2``) is two terms: conv2 from n1,
  identity from n0;
- a SEW spike addition feeding a synapse (``n2 → conv3``, ``n0 → conv3``) is
  W·(s2 + s0) = W·s2 + W·s0: two terms through the same synapse (its bias once);
- each term is ``[pooling] synapse`` or an identity (``Flatten`` anywhere before the
  synapse); a sum or average pooling is folded into the term's connection
  (:mod:`~snncompile_loihi.pool_fold`), so pooling may sit on any branch.

The first term through a synapse is the layer's own connection, the others are its
``branches`` (:class:`Branch`); the layers come in topological order with the output
layer last. Delays are no concern here: every layer is defined at lag 0 (``out[t]``
belongs to ``in[t]``), the Lava lowering aligns the paths. Everything else raises
:class:`~snncompile.errors.UnsupportedNodeError` naming the node, its type and the
supported types.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import nir
import numpy as np

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF, sigmoid
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shape_inference import infer_graph_shapes
from snncompile.ir.shapes import conv_geometry, conv_pads
from snncompile_loihi.models import (
    CUBA_LIF,
    HARD_LIF,
    MULTI_SPIKE_LIF,
    NEURON_TYPES,
    READOUT,
    REFUSED,
    SYNAPSE_TYPES,
    FixedModel,
    fixed_model,
    rule_for,
)
from snncompile_loihi.nir_neurons import (
    LeakyReadout,
    cuba_form,
    hard_reset_value,
    leak_bias,
    leaky_readout,
    multi_spike_form,
    native_form,
    next_step_subtract,
)
from snncompile_loihi.pool_fold import POOLS, Pool, fold_into_conv, fold_into_dense

Connection = Literal["dense", "conv", "identity"]

#: The target whose refusals the chain reader words (``extract_chain``'s ``target``):
#: the helpers deep in the reader raise without a target argument of their own.
_TARGET: ContextVar[str] = ContextVar("snncompile_loihi_chain_target", default="lava")
SYNAPSES: tuple[type, ...] = tuple(SYNAPSE_TYPES)
NEURONS: tuple[type, ...] = tuple(NEURON_TYPES)
SUPPORTED = (
    "Input",
    "Output",
    "Flatten",
    *(cls.__name__ for cls in SYNAPSES),
    "SumPool2d/AvgPool2d before a connection",
    *(cls.__name__ for cls in NEURONS),
    "summed fan-in and fan-out between them",
)


@dataclass(frozen=True)
class Branch:
    """One connection into a population: X += W·src (no bias: the layer holds the sum).

    Attributes:
        source: the layer whose spikes it reads (its neuron node's name), None for the
            network input.
        synapse: IR name of the Affine/Linear/Conv2d node, None for identity.
        connection: "dense", "conv" or "identity" (X += src, same shape).
        in_shape: shape of the connection's input (the source's, or the unpooled one
            when a pooling is folded in).
        weight: float64 weights as in :class:`ChainLayer`, None for identity.
        geometry: conv stride, padding, dilation and groups.
        folded: IR names of pooling nodes folded into the connection.
    """

    source: str | None
    synapse: str | None
    connection: Connection
    in_shape: tuple[int, ...]
    weight: np.ndarray | None
    geometry: Mapping[str, Any] = field(default_factory=dict)
    folded: tuple[str, ...] = ()

    @property
    def spatial(self) -> bool:
        """True for a connection on [C, H, W] activations (conv, or a spatial identity)."""
        return self.connection == "conv" or (
            self.connection == "identity" and len(self.in_shape) == 3
        )


@dataclass(frozen=True)
class ChainLayer:
    """One population and its incoming connection, float parameters (see module doc).

    Attributes:
        name: layer name: the neuron node's name, or the synapse's for a readout.
        synapse: IR name of the Affine/Linear/Conv2d node, None for identity.
        neuron_node: IR name of the neuron node, None for a readout.
        connection: "dense", "conv" or "identity".
        neuron: the IR class of the neuron node (``SoftLIF``, ``CLIF``, …), None for a
            readout.
        model: the integer model the population runs (``models.NEURON_TYPES``).
        in_shape: shape of the layer input (per sample; conv: [C, H, W]).
        shape: population shape.
        weight: float64, dense [N_out, prod(in_shape)], conv [C_out, C_in/g, kH, kW].
        bias: float64 per-neuron bias, population shape (zeros when absent), added to X;
            for a leaky current (``current_decay`` > 0) added to the potential instead
            (Lava's LIF bias: H = β·V + b + u), where the synapses have none and it is
            the CubaLIF's a·v_leak/g.
        geometry: conv stride, padding, dilation as (H, W) pairs and groups.
        beta: leak factor: a float, or per neuron (population shape) for the own LIF
            models (``models.SOFT_LIF``, ``models.HARD_LIF``).
        theta: threshold (population-wide scalar).
        tau: CLIF/ILIF τ; c, k_m: ILIF current and membrane inhibition.
        alpha: DA-LIF input decay still applied in the neuron (1 after the pipeline, and
            after :func:`_fold_alpha` folds a varying α into the connections).
        current_decay: α_u, the factor the synaptic current keeps per step (Lava's
            u[t] = α_u·u[t−1] + X[t], H = β·V + u[t]); 0 (u = X) but for an NIR CubaLIF.
        voltage_bias: for ``models.CUBA_LIF``, c added to the potential (H = β·V + c + u)
            while ``bias`` charges the current (u = α_u·u + X, X with b); for
            ``models.HARD_LIF``, the leak toward v_reset added after the charge,
            H = (β·V + X) + c.
        v_reset: for ``models.HARD_LIF`` only, the per-neuron reset value (None: 0).
        refractory: steps a ``models.CUBA_LIF`` neuron holds V (= 0) and cannot fire after
            a spike (the reference's refractory counter); 0 for every other model.
        next_subtract: for ``models.CUBA_LIF`` only, n > 0: V keeps H at a spike and the
            next step's charge subtracts n (snnTorch's subtract reset, n = θ/g without
            the ``>`` nudge of ``theta``); 0: reset to 0.
        max_spikes: for ``models.MULTI_SPIKE_LIF`` only, the cap D of the spike count
            (None: none).
        membrane_floor: for ``models.MULTI_SPIKE_LIF`` only, True to floor V at −θ.
        folded: IR names of pooling nodes folded into this layer's connection.
        recurrent: float64 [N, N] recurrent weights over the flattened population, or None.
        recurrent_synapse: IR name of the recurrent Affine/Linear, or None.
        source: the layer the own connection reads (a neuron node name), None for the
            network input.
        branches: further connections summed into the same input X (residual and SEW
            graphs): X[t] = W·src[t] + Σ_k W_k·src_k[t] + b.
    """

    name: str
    synapse: str | None
    neuron_node: str | None
    connection: Connection
    neuron: type | None
    model: FixedModel
    in_shape: tuple[int, ...]
    shape: tuple[int, ...]
    weight: np.ndarray | None
    bias: np.ndarray
    geometry: Mapping[str, Any] = field(default_factory=dict)
    beta: float | np.ndarray = 0.0
    theta: float = 1.0
    tau: float | None = None
    c: float | None = None
    k_m: float | None = None
    alpha: float | np.ndarray = 1.0
    current_decay: float = 0.0
    voltage_bias: np.ndarray | None = None
    v_reset: np.ndarray | None = None
    refractory: int = 0
    next_subtract: float = 0.0
    max_spikes: int | None = None
    membrane_floor: bool = False
    folded: tuple[str, ...] = ()
    recurrent: np.ndarray | None = None
    recurrent_synapse: str | None = None
    source: str | None = None
    branches: tuple[Branch, ...] = ()

    @property
    def own(self) -> Branch:
        """The layer's own connection as a :class:`Branch`."""
        return Branch(
            self.source,
            self.synapse,
            self.connection,
            self.in_shape,
            self.weight,
            self.geometry,
            self.folded,
        )

    @property
    def sources(self) -> tuple[str | None, ...]:
        """The source of the own connection, then of every branch."""
        return (self.source, *(b.source for b in self.branches))

    @property
    def spiking(self) -> bool:
        """False for the analog readout."""
        return self.model.spiking

    @property
    def fan_in(self) -> int:
        """Inputs per neuron: N_in (dense), C_in/groups·kH·kW (conv), 1 (identity)."""
        if self.weight is None:
            return 1
        return int(np.prod(self.weight.shape[1:]))


@dataclass(frozen=True)
class Chain:
    """The graph as a chain: input node and shape, layers in order, the Output node."""

    input_name: str
    input_shape: tuple[int, ...]
    layers: tuple[ChainLayer, ...]
    output_name: str
    output_shape: tuple[int, ...]


def _unsupported(name: str, node: Any, why: str, hint: str | None = None) -> UnsupportedNodeError:
    return UnsupportedNodeError(
        f"target {_TARGET.get()!r} cannot lower node {name!r} ({type(node).__name__}): {why}",
        node=name,
        hint=hint or f"the Lava target supports {', '.join(SUPPORTED)}",
    )


def _uniform(name: str, node: Any, field_name: str, value: Any) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or not np.all(arr == arr.flat[0]):
        raise _unsupported(
            name,
            node,
            f"{field_name} varies across the population (from {arr.min():g} to {arr.max():g}); "
            f"a Loihi population holds one {field_name} (docs/lava.md §20 item 6)",
            hint=f"train with a per-layer {field_name}, or split the layer into populations",
        )
    return float(arr.flat[0])


def _recurrent_synapses(graph: Graph) -> dict[str, str]:
    """{neuron: its recurrent synapse} for every back edge; anything else is refused.

    A recurrent connection is a synapse R with the neuron N as its only input and only
    output, the edge R → N being the back edge: N → R ⇝ N.
    """
    found: dict[str, str] = {}
    for src, dst in sorted(graph.back_edges):
        syn, neuron = graph.nodes[src], graph.nodes[dst]
        if not (
            isinstance(syn, nir.Affine | nir.Linear)
            and isinstance(neuron, NEURONS)
            and graph.predecessors(src) == (dst,)
            and graph.successors(src) == (dst,)
            and dst not in found
        ):
            raise _unsupported(
                dst,
                neuron,
                f"recurrent edge {src} -> {dst}",
                hint="the Lava target lowers recurrence as one Affine/Linear from a "
                "population's spikes back into the same population (N -> R ~> N)",
            )
        found[dst] = src
    return found


def _recurrent_weight(
    graph: Graph, syn_name: str, neuron: str, shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray | None]:
    """The recurrent weight R and, where the back edge starts from the synapse's output
    for zero input (the neuron's profile ``recurrent_t0="bias"``, snnTorch), its bias:
    then R·s[t−1] + b_r reaches the population at every step, t = 0 included, and b_r is
    one more constant summand of X."""
    syn = graph.nodes[syn_name]
    weight = np.asarray(syn.weight, dtype=np.float64)
    bias = getattr(syn, "bias", None)
    constant = graph.node_profile(neuron).recurrent_t0 == "bias"
    if bias is not None and np.any(np.asarray(bias) != 0) and not constant:
        # the back edge delivers zeros at t = 0, so its bias would be missing at step 0
        raise _unsupported(
            syn_name,
            syn,
            "a recurrent Affine with a non-zero bias",
            hint="use a bias-free recurrent Linear (move the bias to the feed-forward synapse)",
        )
    if len(shape) != 1 or weight.shape != (shape[0], shape[0]):
        raise _unsupported(
            syn_name,
            syn,
            f"recurrent weight {weight.shape} on a population of shape {list(shape)}: the "
            "Lava target lowers recurrence as [N, N] on flat populations only",
            hint="flatten the population before the recurrent layer",
        )
    if bias is None or not np.any(np.asarray(bias) != 0):
        return weight, None
    return weight, np.asarray(bias, dtype=np.float64).reshape(shape)


def _synapse(
    name: str, node: Any, in_shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> tuple[Connection, np.ndarray, np.ndarray, dict[str, Any]]:
    weight = np.asarray(node.weight, dtype=np.float64)
    bias_raw = getattr(node, "bias", None)
    if isinstance(node, nir.Conv2d):
        stride, pad, dilation, groups, kernel = conv_geometry(node, 2)
        pads = conv_pads(pad, kernel, dilation)
        if any(lo != hi for lo, hi in pads):
            raise _unsupported(
                name,
                node,
                f"asymmetric padding {pads}",
                hint="use symmetric padding (odd kernels with 'same')",
            )
        geo = {
            "stride": list(stride),
            "padding": [lo for lo, _ in pads],
            "dilation": list(dilation),
            "groups": int(groups),
        }
        bias = np.zeros(out_shape) if bias_raw is None else np.asarray(bias_raw, np.float64)
        bias = np.broadcast_to(bias.reshape(-1, 1, 1), out_shape).copy()
        return "conv", weight, bias, geo
    if weight.ndim != 2:
        raise _unsupported(
            name,
            node,
            f"weight of rank {weight.ndim}",
            hint="only 2-D Affine/Linear weights map onto Lava Dense",
        )
    if weight.shape[1] != int(np.prod(in_shape)):  # pragma: no cover - verify() forbids it
        raise _unsupported(name, node, f"weight {weight.shape} does not fit input {in_shape}")
    bias = np.zeros(out_shape) if bias_raw is None else np.asarray(bias_raw, np.float64)
    return "dense", weight, bias.reshape(out_shape), {}


def _plif(
    name: str, node: PLIF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    w = _uniform(name, node, "w", np.asarray(node.w, dtype=np.float64))
    return {"beta": float(1.0 - sigmoid(np.float64(w)))}


def _decay(name: str, node: Any, shape: tuple[int, ...]) -> float | np.ndarray:
    """β: a float when it is one per layer, else per neuron (population shape).

    snncompile's own LIF processes (soft and hard reset) hold a decay per neuron; lava-dl's
    netx LIF holds one (its ``dv`` Var has shape (1,))."""
    beta = np.asarray(node.beta, dtype=np.float64)
    if beta.size and np.all(beta == beta.flat[0]):
        return float(beta.flat[0])
    if _TARGET.get() == "netx":
        raise _unsupported(
            name,
            node,
            f"beta varies across the population (from {beta.min():g} to {beta.max():g}); "
            "netx's LIF has one decay per layer (docs/lava.md §20 item 6)",
            hint="export with --target lava (its own processes hold a decay per neuron), "
            "or train with a per-layer beta",
        )
    return _per_neuron(beta, shape)


def _per_neuron(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A per-layer (1,), per-channel (C,) or per-neuron parameter as a population array."""
    value = np.asarray(value, dtype=np.float64)
    if value.size == 1:
        return np.full(shape, float(value.flat[0]))
    if len(shape) == 3 and value.shape == (shape[0],):
        return np.broadcast_to(value.reshape(-1, 1, 1), shape).copy()
    return value.reshape(shape).copy()


def _softlif(
    name: str, node: SoftLIF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    beta = _decay(name, node, shape)
    v_r = np.asarray(node.v_reset_or_zero, dtype=np.float64)
    if node.reset != "hard" or not np.any(v_r != 0):
        return {"beta": beta}
    if _TARGET.get() != "lava":
        raise _unsupported(
            name,
            node,
            "hard reset to v_reset != 0 (netx's LIF resets to 0)",
            hint="export with --target lava (its hard_lif process resets to v_reset), or "
            "use v_reset = 0 (shift the potential and threshold)",
        )
    # H = (β·V + X) + (1 − β)·v_r: the reference's leak toward v_r, after the charge
    v_reset = _per_neuron(v_r, shape)
    return {"beta": beta, "v_reset": v_reset, "voltage_bias": (1.0 - beta) * v_reset}


def _dalif(
    name: str, node: DALIF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    alpha = np.asarray(node.alpha, dtype=np.float64)
    uniform = bool(alpha.size and np.all(alpha == alpha.flat[0]))
    return {
        "beta": _decay(name, node, shape),
        # a varying α is folded into every connection by _fold_alpha
        "alpha": float(alpha.flat[0]) if uniform else _per_neuron(alpha, shape),
    }


def _clif(
    name: str, node: CLIF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    tau = _uniform(name, node, "tau", node.tau)
    return {"beta": float(1.0 - 1.0 / np.float64(tau)), "tau": tau}


def _ilif(
    name: str, node: ILIF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    return _clif(name, node, shape, profile) | {
        "c": float(node.current_inhibition),
        "k_m": float(node.membrane_inhibition),
    }


def _cuba(
    name: str, node: nir.CubaLIF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    """Lava's LIF with a current (``nir_neurons.cuba_form``): θ' = θ/g, α_u, β."""
    form = cuba_form(name, node, profile, _TARGET.get())
    return {
        "beta": form.beta,
        "current_decay": form.alpha,
        "theta": form.threshold,
        "refractory": int(profile.refractory),
        "next_subtract": form.next_subtract,
    }


def _nir_charge(
    name: str, node: nir.LIF | nir.IF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    """β and θ' = θ/g of a kept NIR LIF/IF: its SoftLIF form (``native_form``)."""
    form = native_form(name, node, profile, _TARGET.get())
    return {
        "beta": _decay(name, form, shape),
        "theta": _uniform(name, node, "v_threshold", form.v_threshold),
    }


def _nir_lif(
    name: str, node: nir.LIF | nir.IF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    """An NIR LIF/IF kept by ``nir_neurons.native_nir_neurons`` for its refractory period,
    its next-step subtract reset or its leak toward v_leak ≠ 0: its charge on ``cuba_lif``
    with α_u = 0 (u = X), the counter, the subtraction n = θ/g and the leak's constant
    c' = a·v_leak/g (``voltage_bias``: H' = (β·V' + c') + X, the reference's order)."""
    subtract = next_step_subtract(name, node, profile, _TARGET.get())
    n = 0.0 if subtract is None else _uniform(name, node, "v_threshold", subtract)
    leak = leak_bias(name, node, profile, _TARGET.get())
    return _nir_charge(name, node, shape, profile) | {
        "refractory": int(profile.refractory),
        "next_subtract": n,
        "voltage_bias": None if leak is None else _per_neuron(leak, shape),
    }


def _multi_spike(
    name: str, node: nir.LIF | nir.IF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    """An NIR LIF/IF kept by ``nir_neurons.native_nir_neurons`` for its multi-spike
    output: its ``multi_spike_form`` (β, θ' = θ/g, cap, floor) on ``multi_spike_lif``."""
    form = multi_spike_form(name, node, profile, _TARGET.get())
    return {
        "model": MULTI_SPIKE_LIF,
        "beta": _decay(name, form, shape),
        "theta": _uniform(name, node, "v_threshold", form.threshold),
        "max_spikes": form.max_spikes,
        "membrane_floor": form.floor,
    }


def _kept_nir_lif(
    name: str, node: nir.LIF | nir.IF, shape: tuple[int, ...], profile: ExecutionProfile
) -> dict[str, Any]:
    """A kept NIR LIF/IF: multi-spike (:func:`_multi_spike`), a reset to v_r ≠ 0
    (``hard_lif``), else refractory or subtracting on the next step (:func:`_nir_lif`)."""
    if profile.spike_mode == "multi":
        return _multi_spike(name, node, shape, profile)
    v_reset = hard_reset_value(name, node, profile, _TARGET.get())
    if v_reset is not None:  # no leak toward it: the NIR LIF leaks to v_leak
        return _nir_charge(name, node, shape, profile) | {
            "model": HARD_LIF,
            "v_reset": _per_neuron(v_reset, shape),
        }
    return _nir_lif(name, node, shape, profile)


#: IR neuron class → its float population parameters (the keys of ``NEURON_TYPES``),
#: from the node and its execution profile (which only the NIR neurons read).
FLOAT_PARAMS: Mapping[type, Any] = {
    nir.CubaLIF: _cuba,
    nir.LIF: _kept_nir_lif,
    nir.IF: _kept_nir_lif,
    SoftLIF: _softlif,
    PLIF: _plif,
    DALIF: _dalif,
    CLIF: _clif,
    ILIF: _ilif,
}


def _neuron(graph: Graph, name: str, shape: tuple[int, ...]) -> dict[str, Any]:
    """Population parameters of a neuron node (float64 scalars, a per-neuron β where the
    model holds one), its class and model."""
    node = graph.nodes[name]
    params = rule_for(FLOAT_PARAMS, node)(name, node, shape, graph.profile.for_node(name))
    if "theta" not in params:  # the NIR CubaLIF's θ' = θ/g comes with its form
        params["theta"] = _uniform(name, node, "v_threshold", node.v_threshold)
    return {"neuron": type(node), "model": fixed_model(node), **params}


def _fold_alpha(graph: Graph, layer: ChainLayer) -> ChainLayer:
    """A DA-LIF α varying across the population folded into every connection (exact):
    α∘(Σ W_k·src_k + b + R·s) = Σ (α∘W_k)·src_k + α∘b + (α∘R)·s, rows scaled per neuron.

    An identity term becomes a 1x1 depthwise conv (spatial) or a diagonal dense
    connection (flat) holding α; a conv needs α to be one value per output channel."""
    if not isinstance(layer.alpha, np.ndarray):
        return layer
    alpha = layer.alpha
    per_neuron_alpha = alpha.reshape(-1)

    def per_channel() -> np.ndarray:
        rows = alpha.reshape(alpha.shape[0], -1)
        if not np.all(rows == rows[:, :1]):
            name = str(layer.neuron_node)
            raise _unsupported(
                name,
                graph.nodes[name],
                "alpha varies within a channel of a convolutional population",
                hint="train DA-LIF with one alpha per channel (DALIF(channels=C)) or per layer",
            )
        return rows[:, 0]

    def scaled(branch: Branch) -> Branch:
        if branch.connection == "dense":
            return replace(branch, weight=branch.weight * per_neuron_alpha[:, None])
        if branch.connection == "conv":
            return replace(branch, weight=branch.weight * per_channel().reshape(-1, 1, 1, 1))
        if not branch.spatial:
            return replace(branch, connection="dense", weight=np.diag(per_neuron_alpha))
        channels = layer.shape[0]
        return replace(
            branch,
            connection="conv",
            weight=per_channel().reshape(channels, 1, 1, 1).copy(),
            geometry={"stride": [1, 1], "padding": [0, 0], "dilation": [1, 1], "groups": channels},
        )

    own = scaled(layer.own)
    recurrent = layer.recurrent
    return replace(
        layer,
        connection=own.connection,
        weight=own.weight,
        geometry=own.geometry,
        bias=layer.bias * alpha,
        branches=tuple(scaled(b) for b in layer.branches),
        recurrent=None if recurrent is None else recurrent * per_neuron_alpha[:, None],
        alpha=1.0,
    )


def _fold(
    graph: Graph,
    pooling: tuple[str, Pool, tuple[int, ...], tuple[int, ...]],
    syn_name: str,
    conn: Connection,
    weight: np.ndarray,
    geo: dict[str, Any],
) -> tuple[np.ndarray, dict[str, Any], tuple[int, ...]]:
    """(weight, geometry, input shape) of ``syn_name`` with the pooling folded in."""
    pool_name, pool, pre, pooled = pooling
    if conn == "dense":
        return fold_into_dense(weight, pool, pre, pooled), geo, pre
    folded = fold_into_conv(weight, geo, pool, pre, pooled)
    if isinstance(folded, str):
        raise _unsupported(
            pool_name,
            graph.nodes[pool_name],
            f"cannot fold into {syn_name!r}: {folded}",
            hint="pad the conv after the pooling with 0, or pool with kernel = stride",
        )
    return folded[0], folded[1], pre


# ------------------------------------------------------------------ graph reading

#: One summand of a population's input: the source population (None: the network
#: input) and the IR nodes (pooling, synapse, Flatten) its value passes through, in order.
Term = tuple[str | None, tuple[str, ...]]


def _shape(shapes: Mapping[str, Any], name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in shapes[name].output)


def _terms(graph: Graph, loops: set[str]) -> Any:
    """A memoised ``terms(node)``: the node's value as a sum of :data:`Term`.

    Every node with several (forward) predecessors sums them, as the IR does, so a
    residual add or a spike add (SEW) is a node whose terms come from several sources.
    A linear node (pooling, synapse, Flatten) applies to each term of its input: W·(a + b)
    = W·a + W·b, which is how a spike addition feeding a synapse becomes two connections.
    """
    memo: dict[str, list[Term]] = {}

    def terms(name: str) -> list[Term]:
        if name in memo:
            return memo[name]
        node = graph.nodes[name]
        if isinstance(node, nir.Input):
            found: list[Term] = [(None, ())]
        elif isinstance(node, NEURONS):
            found = [(name, ())]
        elif isinstance(node, (nir.Flatten, *POOLS, *SYNAPSES)):
            found = [
                (src, (*ops, name))
                for pred in graph.predecessors(name)
                if pred not in loops
                for src, ops in terms(pred)
            ]
        else:
            why = REFUSED.get(type(node), "")
            raise _unsupported(
                name, node, "no Lava lowering for this node type" + (f" ({why})" if why else "")
            )
        memo[name] = found
        return found

    return terms


def _input_terms(graph: Graph, name: str, loops: set[str], terms: Any) -> list[Term]:
    """The summands of the input of population/Output node ``name`` (back edges left out)."""
    return [t for pred in graph.predecessors(name) if pred not in loops for t in terms(pred)]


def _branch(
    graph: Graph,
    shapes: Mapping[str, Any],
    owner: str,
    term: Term,
    out: tuple[int, ...],
    input_shape: tuple[int, ...],
) -> tuple[Branch, np.ndarray | None]:
    """The connection of one summand (float), and the bias of its synapse (None: none).

    Accepted paths: [Flatten] [pooling → [Flatten]] synapse, or nothing (identity, the
    source shape equal to the population's).
    """
    source, ops = term
    cur = input_shape if source is None else _shape(shapes, source)
    pooling: tuple[str, Pool, tuple[int, ...], tuple[int, ...]] | None = None
    syn_name: str | None = None
    for op in ops:
        node = graph.nodes[op]
        if isinstance(node, nir.Flatten):
            if syn_name is not None:
                raise _unsupported(op, node, "Flatten between a synapse and its neuron")
            cur = _shape(shapes, op)
        elif isinstance(node, POOLS):
            if syn_name is not None or pooling is not None:
                raise _unsupported(
                    op,
                    node,
                    "pooling directly after a synapse or another pooling",
                    hint="pool the spikes of a population (neuron → pool → conv/dense)",
                )
            pooling, cur = (op, Pool.from_node(node), cur, _shape(shapes, op)), _shape(shapes, op)
        else:
            if syn_name is not None:
                raise _unsupported(
                    op,
                    node,
                    f"follows synapse {syn_name!r} directly",
                    hint="put a neuron between two synapse layers (or fold them)",
                )
            syn_name = op
    if syn_name is None:
        if pooling is not None:
            raise _unsupported(
                pooling[0],
                graph.nodes[pooling[0]],
                "pooling into a neuron or the output without a synapse",
                hint="follow the pooling with a conv/dense layer",
            )
        if cur != out:
            raise _unsupported(
                owner,
                graph.nodes[owner],
                f"an identity input of shape {list(cur)} from "
                f"{source or 'the input'!r} into a population of shape {list(out)}",
                hint="give the shortcut a 1x1 conv or a dense layer, or flatten both branches",
            )
        return Branch(source, None, "identity", cur, None), None
    node = graph.nodes[syn_name]
    conn, weight, bias, geo = _synapse(syn_name, node, cur, out)
    folded: tuple[str, ...] = ()
    if pooling is not None:
        weight, geo, cur = _fold(graph, pooling, syn_name, conn, weight, geo)
        folded = (pooling[0],)
    return Branch(source, syn_name, conn, cur, weight, geo, folded), bias


def _population_order(graph: Graph, populations: list[str], last: str | None) -> list[str]:
    """Populations in topological order, the output population (if spiking) last."""
    order = [n for n in graph.topological_order if n in set(populations)]
    if last is not None:
        order.remove(last)
        order.append(last)
    return order


def extract_chain(graph: Graph, target: str = "lava") -> Chain:
    """Read ``graph`` as Lava layers (float parameters, nothing quantised); refusals
    name ``target`` (``lava`` or ``netx``).

    Each neuron node is one population; its input is the sum of the terms reaching it
    (:func:`_terms`): the first term through a synapse becomes the layer's own connection
    (``source``, ``synapse``, ``weight``…), the others its :attr:`ChainLayer.branches`,
    and the biases of every synapse involved are summed once each into ``bias``. An
    Output fed through a synapse becomes the readout layer, named after that synapse.

    Raises:
        UnsupportedNodeError: a node type or topology the Lava target cannot lower.
    """
    token = _TARGET.set(target)
    try:
        return _extract_chain(graph, target)
    finally:
        _TARGET.reset(token)


def _extract_chain(graph: Graph, target: str) -> Chain:
    recurrent = _recurrent_synapses(graph)
    loops = set(recurrent.values())
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedNodeError(
            f"target {target!r} needs exactly one Input and one Output, got inputs "
            f"{list(graph.inputs)} and outputs {list(graph.outputs)}",
            hint="export each input/output path as its own model",
        )
    shapes = infer_graph_shapes(graph)
    in_name, out_name = graph.inputs[0], graph.outputs[0]
    input_shape = _shape(shapes, in_name)
    terms = _terms(graph, loops)
    leaky = leaky_readout(graph, out_name, target)
    out_terms = _input_terms(graph, leaky.node if leaky else out_name, loops, terms)
    spiking_out: str | None = None
    only_flatten = len(out_terms) == 1 and all(
        isinstance(graph.nodes[op], nir.Flatten) for op in out_terms[0][1]
    )
    if only_flatten and out_terms[0][0] is not None and leaky is None:
        spiking_out = out_terms[0][0]  # the last population's spikes are the output
    elif not any(_ends_in_synapse(graph, ops) for _, ops in out_terms):
        for _, ops in out_terms:
            for op in ops:
                if isinstance(graph.nodes[op], POOLS):
                    raise _unsupported(op, graph.nodes[op], "pooling at the output")
        raise _unsupported(
            out_name,
            graph.nodes[out_name],
            "an output that is neither one population's spikes nor a synapse's value",
            hint="end the model with a readout Linear/Conv, or with one spiking population",
        )
    neurons = [n for n, node in graph.nodes.items() if isinstance(node, NEURONS)]
    layers: list[ChainLayer] = []
    for name in _population_order(graph, neurons, spiking_out):
        out = _shape(shapes, name)
        terms_in = _input_terms(graph, name, loops, terms)
        layers.append(
            _layer(
                graph,
                shapes,
                name,
                terms_in,
                out,
                input_shape,
                _neuron(graph, name, out),
            )
        )
        if name in recurrent:  # first: a recurrent bias charges a CubaLIF's current too
            layers[-1] = _with_recurrent(graph, layers[-1], recurrent[name], out)
        layers[-1] = _cuba_biases(graph, layers[-1])
        layers[-1] = _fold_alpha(graph, layers[-1])
    if spiking_out is None:
        out = _shape(shapes, out_name)
        readout = _layer(
            graph, shapes, out_name, out_terms, out, input_shape, {"neuron": None, "model": READOUT}
        )
        layers.append(readout if leaky is None else _leaky(graph, readout, leaky))
    if not layers:
        raise UnsupportedNodeError(
            f"target {target!r}: the graph has no synapse or neuron layer",
            hint="a Lava network needs at least one connection or population",
        )
    _check_sources(graph, layers)
    return Chain(in_name, input_shape, tuple(layers), out_name, _shape(shapes, out_name))


def _cuba_biases(graph: Graph, layer: ChainLayer) -> ChainLayer:
    """An NIR CubaLIF's layer with its voltage bias c = a·v_leak/g (``cuba_form``) placed
    where its model adds it; other layers unchanged.

    On Lava's LIF (``models.LIF_BUILTIN``) c is the LIF's bias, added to V, and a synapse
    bias can join it only when α_u = 0 (u = X). A synapse bias into a leaky current
    charges it, i[t] = α_u·i[t−1] + W·x[t] + b, so it reaches the potential as
    b·(1 − α_u^(t+1))/(1 − α_u), which no constant added to V equals: such a layer, and
    one with a refractory period or a next-step subtract reset, runs on
    ``models.CUBA_LIF`` with b in the current and c in ``voltage_bias``."""
    node = graph.nodes[str(layer.neuron_node)] if layer.neuron_node else None
    if not isinstance(node, nir.CubaLIF):
        return layer
    name = str(layer.neuron_node)
    form = cuba_form(name, node, graph.profile.for_node(name), _TARGET.get())
    c = _per_neuron(form.bias, layer.shape)
    current_bias = layer.current_decay != 0 and bool(np.any(layer.bias))
    if not current_bias and not layer.refractory and not layer.next_subtract:
        return replace(layer, bias=layer.bias + c)
    if _TARGET.get() != "lava":  # pragma: no cover - cuba_form refuses netx first
        raise _unsupported(name, node, "a bias into the synaptic current")
    return replace(layer, model=CUBA_LIF, voltage_bias=c)


def _leaky(graph: Graph, layer: ChainLayer, leaky: LeakyReadout) -> ChainLayer:
    """The readout with the LI's decay, every connection's weight times g, bias g·b + c."""
    g = leaky.gain
    if g != 1 and any(b.weight is None for b in layer.branches):
        raise _unsupported(
            leaky.node,
            graph.nodes[leaky.node],
            "an identity term into a leaky readout with input gain != 1",
            hint="feed the LI through one synapse, or use input_gain='unit'",
        )
    branches = tuple(
        b if b.weight is None else replace(b, weight=b.weight * g) for b in layer.branches
    )
    bias = layer.bias * g + np.broadcast_to(leaky.bias.reshape(-1), layer.bias.size).reshape(
        layer.bias.shape
    )
    weight = None if layer.weight is None else layer.weight * g
    return replace(layer, beta=leaky.beta, weight=weight, bias=bias, branches=branches)


def _ends_in_synapse(graph: Graph, ops: tuple[str, ...]) -> bool:
    return any(isinstance(graph.nodes[op], SYNAPSES) for op in ops)


def _layer(
    graph: Graph,
    shapes: Mapping[str, Any],
    name: str,
    terms_in: list[Term],
    out: tuple[int, ...],
    input_shape: tuple[int, ...],
    params: Mapping[str, Any],
) -> ChainLayer:
    """One population from its input terms (the first synapse term is its own connection)."""
    if not terms_in:  # pragma: no cover - verify() refuses nodes without input
        raise _unsupported(name, graph.nodes[name], "a population without input")
    found = [_branch(graph, shapes, name, t, out, input_shape) for t in terms_in]
    first = next((i for i, (b, _) in enumerate(found) if b.synapse is not None), 0)
    own = found[first][0]
    rest = tuple(b for i, (b, _) in enumerate(found) if i != first)
    bias = np.zeros(out)
    seen: set[str] = set()
    for branch, b in found:  # W·(a + b) + bias: a synapse's bias counts once
        if b is not None and branch.synapse not in seen:
            bias = bias + b
            seen.add(str(branch.synapse))
    readout = params.get("model") is READOUT
    return ChainLayer(
        name=str(own.synapse) if readout else name,
        synapse=own.synapse,
        neuron_node=None if readout else name,
        connection=own.connection,
        in_shape=own.in_shape,
        shape=out,
        weight=own.weight,
        bias=bias,
        geometry=own.geometry,
        folded=own.folded,
        source=own.source,
        branches=rest,
        **params,
    )


def _with_recurrent(graph: Graph, layer: ChainLayer, syn: str, out: tuple[int, ...]) -> ChainLayer:
    weight, bias = _recurrent_weight(graph, syn, str(layer.neuron_node), out)
    extra = {} if bias is None else {"bias": layer.bias + bias}
    return replace(layer, recurrent=weight, recurrent_synapse=syn, **extra)


def _check_sources(graph: Graph, layers: list[ChainLayer]) -> None:
    """Every source is an earlier layer (the order is topological; a bug otherwise)."""
    seen: set[str | None] = {None}
    for lay in layers:
        for src in lay.sources:
            if src not in seen:  # pragma: no cover - topological order guarantees it
                raise RuntimeError(f"layer {lay.name!r} reads {src!r} before it is computed")
        if lay.neuron_node is not None:
            seen.add(lay.neuron_node)
