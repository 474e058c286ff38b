"""The Loihi layer chain: an IR graph read as Input → (connection → population)* → Output.

Each :class:`ChainLayer` is one Lava population and the connection that feeds it, with
the **float** parameters of the IR (nothing is quantised here):

    X[t] = W·in[t] + b          (dense, over the C-order flattened input; conv: OIHW
                                 cross-correlation; identity: X = in, b = 0)
    SoftLIF, PLIF, DALIF, soft reset: H = β·V + X;  s = H ≥ θ;  V = H − θ·s
    SoftLIF, DALIF, hard reset:       H = β·V + X;  s = H ≥ θ;  V = H·(1 − s)   (to 0)
    CLIF, ILIF:  the equations of ``snncompile.ir.CLIF`` / ``snncompile.ir.ILIF``
    readout (neuron None): y = X  (an analog Affine/Conv feeding an Output: no neuron)

Each layer records the IR class of its neuron (``neuron``) and the integer model its
population runs (``model``, chosen by :data:`snncompile_loihi.models.NEURON_TYPES`).

A population may also have a recurrent connection: a bias-free Affine/Linear R from its
own spikes back into its input through a back edge, so X[t] = W·in[t] + b + R·s[t−1]
(s[−1] = 0), the reference simulator's back-edge semantics.

Accepted graphs (after the generic pass pipeline): a single chain without fan-out or
back edges other than such recurrent connections; ``Flatten`` anywhere (dense weights
read the flattened input, so it costs nothing); exactly one connection between two
populations; a sum or average pooling between a population (or the input) and the next
connection is folded into that connection (:mod:`~snncompile_loihi.pool_fold`).
Everything else raises
:class:`~snncompile.errors.UnsupportedNodeError` naming the node, its type and the
supported types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import nir
import numpy as np

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF, sigmoid
from snncompile.ir.shape_inference import infer_graph_shapes
from snncompile.ir.shapes import conv_geometry, conv_pads
from snncompile_loihi.models import (
    NEURON_TYPES,
    READOUT,
    REFUSED,
    SYNAPSE_TYPES,
    FixedModel,
    fixed_model,
    rule_for,
)
from snncompile_loihi.pool_fold import POOLS, Pool, fold_into_conv, fold_into_dense

Connection = Literal["dense", "conv", "identity"]

TARGET = "lava"
SYNAPSES: tuple[type, ...] = tuple(SYNAPSE_TYPES)
NEURONS: tuple[type, ...] = tuple(NEURON_TYPES)
SUPPORTED = (
    "Input",
    "Output",
    "Flatten",
    *(cls.__name__ for cls in SYNAPSES),
    "SumPool2d/AvgPool2d before a connection",
    *(cls.__name__ for cls in NEURONS),
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
        bias: float64 per-neuron bias, population shape (zeros when absent).
        geometry: conv stride, padding, dilation as (H, W) pairs and groups.
        beta, theta: leak factor and threshold (population-wide scalars).
        tau: CLIF/ILIF τ; c, k_m: ILIF current and membrane inhibition.
        alpha: DA-LIF input decay still applied in the neuron (1 after the pipeline).
        folded: IR names of pooling nodes folded into this layer's connection.
        recurrent: float64 [N, N] recurrent weights over the flattened population, or None.
        recurrent_synapse: IR name of the recurrent Affine/Linear, or None.
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
    beta: float = 0.0
    theta: float = 1.0
    tau: float | None = None
    c: float | None = None
    k_m: float | None = None
    alpha: float = 1.0
    folded: tuple[str, ...] = ()
    recurrent: np.ndarray | None = None
    recurrent_synapse: str | None = None

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
        f"target {TARGET!r} cannot lower node {name!r} ({type(node).__name__}): {why}",
        node=name,
        hint=hint or f"the Lava target supports {', '.join(SUPPORTED)} in a feed-forward chain",
    )


def _uniform(name: str, node: Any, field_name: str, value: Any) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or not np.all(arr == arr.flat[0]):
        raise _unsupported(
            name,
            node,
            f"{field_name} varies across the population (from {arr.min():g} to {arr.max():g}); "
            "a Lava population has one decay and one threshold (docs/lava.md §20 item 6)",
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


def _walk(graph: Graph, recurrent: Mapping[str, str]) -> list[str]:
    """Node names from the single Input to the single Output, refusing non-chains.

    The recurrent synapses (``recurrent``: neuron → synapse) are left out of the walk.
    """
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedNodeError(
            f"target {TARGET!r} needs exactly one Input and one Output, got inputs "
            f"{list(graph.inputs)} and outputs {list(graph.outputs)}",
            hint="export each input/output path as its own model",
        )
    loops = set(recurrent.values())
    order, name = [], graph.inputs[0]
    while True:
        order.append(name)
        succ = [n for n in graph.successors(name) if n not in loops]
        if not succ:
            break
        preds = [n for n in graph.predecessors(succ[0]) if n not in loops]
        if len(succ) > 1 or len(preds) > 1:
            node = succ[0] if len(succ) == 1 else name
            raise _unsupported(
                node,
                graph.nodes[node],
                "fan-out or summed fan-in (residual/skip connection)",
                hint="the Lava target lowers feed-forward chains only; residual and skip "
                "connections are not supported",
            )
        name = succ[0]
    if name != graph.outputs[0] or len(order) + len(loops) != len(graph.nodes):
        raise UnsupportedNodeError(
            f"target {TARGET!r}: the graph is not a single Input → … → Output chain",
            hint="remove dead or disconnected nodes (remove_dead_nodes pass)",
        )
    return order


def _recurrent_weight(graph: Graph, syn_name: str, shape: tuple[int, ...]) -> np.ndarray:
    syn = graph.nodes[syn_name]
    weight = np.asarray(syn.weight, dtype=np.float64)
    bias = getattr(syn, "bias", None)
    if bias is not None and np.any(np.asarray(bias) != 0):
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
    return weight


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


def _plif(name: str, node: PLIF) -> dict[str, Any]:
    w = _uniform(name, node, "w", np.asarray(node.w, dtype=np.float64))
    return {"beta": float(1.0 - sigmoid(np.float64(w)))}


def _softlif(name: str, node: SoftLIF) -> dict[str, Any]:
    if node.reset == "hard" and np.any(node.v_reset_or_zero != 0):
        raise _unsupported(
            name,
            node,
            "hard reset to v_reset != 0",
            hint="use v_reset = 0 (shift the potential and threshold)",
        )
    return {"beta": _uniform(name, node, "beta", node.beta)}


def _dalif(name: str, node: DALIF) -> dict[str, Any]:
    return {
        "beta": _uniform(name, node, "beta", node.beta),
        "alpha": _uniform(name, node, "alpha", node.alpha),
    }


def _clif(name: str, node: CLIF) -> dict[str, Any]:
    tau = _uniform(name, node, "tau", node.tau)
    return {"beta": float(1.0 - 1.0 / np.float64(tau)), "tau": tau}


def _ilif(name: str, node: ILIF) -> dict[str, Any]:
    return _clif(name, node) | {
        "c": float(node.current_inhibition),
        "k_m": float(node.membrane_inhibition),
    }


#: IR neuron class → its float population parameters (the keys of ``NEURON_TYPES``).
FLOAT_PARAMS: Mapping[type, Any] = {
    SoftLIF: _softlif,
    PLIF: _plif,
    DALIF: _dalif,
    CLIF: _clif,
    ILIF: _ilif,
}


def _neuron(name: str, node: Any) -> dict[str, Any]:
    """Population parameters of a neuron node (float64 scalars), its class and model."""
    theta = _uniform(name, node, "v_threshold", node.v_threshold)
    params = rule_for(FLOAT_PARAMS, node)(name, node)
    return {"neuron": type(node), "model": fixed_model(node), "theta": theta, **params}


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


def extract_chain(graph: Graph) -> Chain:
    """Read ``graph`` as a chain of Lava layers (float parameters, nothing quantised).

    Raises:
        UnsupportedNodeError: a node type or topology the Lava target cannot lower.
    """
    recurrent = _recurrent_synapses(graph)
    order = _walk(graph, recurrent)
    shapes = infer_graph_shapes(graph)
    layers: list[ChainLayer] = []
    # the synapse waiting for its population: (name, node, input shape, output shape)
    pending: tuple[str, Any, tuple[int, ...], tuple[int, ...]] | None = None
    # a pooling waiting for the next connection: (name, pool, input shape, pooled shape)
    pooling: tuple[str, Pool, tuple[int, ...], tuple[int, ...]] | None = None
    cur_in = tuple(int(n) for n in shapes[order[0]].output)
    input_shape = cur_in
    for name in order[1:]:
        node = graph.nodes[name]
        out = tuple(int(n) for n in shapes[name].output)
        if isinstance(node, nir.Flatten):
            if pending is not None:
                raise _unsupported(name, node, "Flatten between a synapse and its neuron")
            cur_in = out
            continue
        if isinstance(node, POOLS):
            if pending is not None or pooling is not None:
                raise _unsupported(
                    name,
                    node,
                    "pooling directly after a synapse or another pooling",
                    hint="pool the spikes of a population (neuron → pool → conv/dense)",
                )
            pooling, cur_in = (name, Pool.from_node(node), cur_in, out), out
            continue
        if isinstance(node, SYNAPSES):
            if pending is not None:
                raise _unsupported(
                    name,
                    node,
                    f"follows synapse {pending[0]!r} directly",
                    hint="put a neuron between two synapse layers (or fold them)",
                )
            pending = (name, node, cur_in, out)
            continue
        if isinstance(node, (*NEURONS, nir.Output)):
            is_out = isinstance(node, nir.Output)
            if is_out and pending is None:
                if pooling is not None:
                    raise _unsupported(pooling[0], graph.nodes[pooling[0]], "pooling at the output")
                break  # spiking output: the last population is the output
            if pending is not None:
                syn_name, syn, syn_in, syn_out = pending
                conn, weight, bias, geo = _synapse(syn_name, syn, syn_in, syn_out)
                if pooling is not None:
                    weight, geo, syn_in = _fold(graph, pooling, syn_name, conn, weight, geo)
            else:
                if pooling is not None:
                    raise _unsupported(pooling[0], graph.nodes[pooling[0]], "pooling into a neuron")
                syn_name, conn, weight, geo, syn_in = None, "identity", None, {}, cur_in
                bias = np.zeros(out)
            params = {"neuron": None, "model": READOUT} if is_out else _neuron(name, node)
            layers.append(
                ChainLayer(
                    name=syn_name if is_out else name,
                    synapse=syn_name,
                    neuron_node=None if is_out else name,
                    connection=conn,
                    in_shape=syn_in,
                    shape=out,
                    weight=weight,
                    bias=bias,
                    geometry=geo,
                    folded=() if pooling is None else (pooling[0],),
                    recurrent=None
                    if name not in recurrent
                    else _recurrent_weight(graph, recurrent[name], out),
                    recurrent_synapse=recurrent.get(name),
                    **params,
                )
            )
            pending, pooling, cur_in = None, None, out
            if is_out:
                break
            continue
        why = REFUSED.get(type(node), "")
        raise _unsupported(
            name, node, "no Lava lowering for this node type" + (f" ({why})" if why else "")
        )
    if not layers:
        raise UnsupportedNodeError(
            f"target {TARGET!r}: the graph has no synapse or neuron layer",
            hint="a Lava network needs at least one connection or population",
        )
    out_name = graph.outputs[0]
    out_shape = tuple(int(n) for n in shapes[out_name].output)
    return Chain(order[0], input_shape, tuple(layers), out_name, out_shape)
