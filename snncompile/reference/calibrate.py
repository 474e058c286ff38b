"""Calibrating the lossy CLIF/ILIF -> hard-reset LIF lowerings on data (torch-free).

``calibrate_approximations(graph, inputs)`` chooses, for every CLIF and ILIF node, the
reset value v_r of its hard-reset LIF stand-in (the form of
:mod:`snncompile.passes.approximate_neurons`: same τ and θ, charge toward and reset to
v_r) that maximises **spike agreement with the exact model**, and reports it.

Method (greedy, layer by layer in execution order, all with the reference simulator):

1. simulate the exact graph once and keep every approximated layer's spikes;
2. for each approximated layer L in turn: simulate the graph in which the layers before
   L are already replaced (with their chosen v_r), take L's summed input X, run the
   stand-in on X for every candidate v_r (one vectorised run) and keep the v_r whose
   spikes agree best with the exact graph's spikes at L (ties: the candidate closest to
   the documented default);
3. simulate the fully approximated graph: ``agreement`` is each layer's fraction of equal
   spike values against the exact graph (closed loop: upstream errors included);
   ``isolated_agreement`` drives the layer with its exact input instead.

Agreement counts every (t, b, neuron) entry, so it is inflated at low firing rates; the
report lists both firing rates. Each approximated layer also raises a
:class:`~snncompile.ir.LossyConversionWarning` naming the layer, v_r and the agreement.
The returned graph carries v_r and the agreement in each node's metadata, where
``decompose_neurons(graph, approximate=("CLIF", "ILIF"))`` reads them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from snncompile.errors import ConfigError
from snncompile.ir.diagnostics import LossyConversionWarning
from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import (
    AGREEMENT_KEY,
    CLIF,
    DEFAULT_V_RESET,
    ILIF,
    V_RESET_KEY,
    SoftLIF,
)
from snncompile.ir.nodes import replace_node, type_name
from snncompile.reference.native_neurons import SoftLIFStep
from snncompile.reference.progress import ProgressHook, resolve, silent
from snncompile.reference.simulator import simulate

#: Candidate v_r per type: CLIF the authors' range [−0.2, 0] in steps of 0.005; ILIF a
#: wider [−0.5, 0] (steps of 0.0125), since sigmoid(M) removes 0.5-1 θ per spike.
DEFAULT_GRIDS: Mapping[str, np.ndarray] = {
    "CLIF": np.round(np.linspace(-0.2, 0.0, 41), 6),
    "ILIF": np.round(np.linspace(-0.5, 0.0, 41), 6),
}
_TYPES = {"CLIF": CLIF, "ILIF": ILIF}
_CHUNK_ELEMENTS = 1 << 24  # candidates x T x B x population per vectorised run


@dataclass(frozen=True)
class LayerCalibration:
    """Calibration result of one approximated layer.

    Attributes:
        node: node name; type: ``"CLIF"`` or ``"ILIF"``.
        v_reset: the chosen v_r.
        agreement: fraction of equal spikes, fully approximated graph vs exact graph.
        isolated_agreement: the same with the layer driven by its exact input.
        exact_rate, approx_rate: firing rates (closed loop) of the exact and approximated
            layer.
    """

    node: str
    type: str
    v_reset: float
    agreement: float
    isolated_agreement: float
    exact_rate: float
    approx_rate: float


@dataclass(frozen=True)
class CalibrationReport:
    """Per-layer results, the annotated graph and the approximated graph.

    Attributes:
        layers: one entry per approximated node, in execution order.
        graph: the input graph with ``approximation.v_reset`` / ``.agreement`` metadata on
            each approximated node (feed it to ``decompose_neurons(approximate=...)``).
        approximated: the graph with those nodes replaced by hard-reset ``SoftLIF`` nodes
            of the same name (what the lossy lowering computes).
        samples: the calibration batch size; steps: the number of time steps.
    """

    layers: tuple[LayerCalibration, ...]
    graph: Graph
    approximated: Graph
    samples: int
    steps: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "samples": self.samples,
            "steps": self.steps,
            "layers": [dict(vars(layer)) for layer in self.layers],
        }

    def __str__(self) -> str:
        head = f"{'layer':<24}{'type':<6}{'v_reset':>9}{'agree':>9}{'isolated':>10}{'rates':>16}"
        rows = [
            f"{x.node:<24}{x.type:<6}{x.v_reset:>9.3f}{x.agreement:>9.2%}"
            f"{x.isolated_agreement:>10.2%}{x.exact_rate:>8.3f}/{x.approx_rate:.3f}"
            for x in self.layers
        ]
        return "\n".join([head, *rows])


def calibrate_approximations(
    graph: Graph,
    inputs: np.ndarray | Mapping[str, np.ndarray],
    *,
    types: Sequence[str] = ("CLIF", "ILIF"),
    grids: Mapping[str, Sequence[float]] | None = None,
    dtype: type[np.floating[Any]] = np.float64,
    warn: bool = True,
    progress: ProgressHook | None = None,
) -> CalibrationReport:
    """Choose v_r for every CLIF/ILIF node of ``graph`` (see the module docstring).

    Args:
        graph: a well-formed graph (e.g. from ``snncompile.trace``).
        inputs: calibration data ``[T, B, ...]`` (or one array per Input node).
        types: which node types to approximate (``"CLIF"``, ``"ILIF"``).
        grids: candidate v_r per type (default :data:`DEFAULT_GRIDS`).
        dtype: simulation dtype.
        warn: emit one LossyConversionWarning per approximated layer.
        progress: called as ``progress(done, total)`` over the reference runs (one
            per approximated layer plus the exact and the final run).

    Raises:
        ConfigError: an unknown type, an empty grid, or no node of the requested types.
    """
    grid_of = _check_options(types, grids)
    targets = [n for n in graph.topological_order if type_name(graph.nodes[n]) in types]
    if not targets:
        raise ConfigError(
            f"the graph has no node of type {list(types)} to approximate",
            hint="calibration is only needed for graphs with CLIF or ILIF nodes",
        )
    feeds = {p for n in targets for p in graph.predecessors(n)}
    hook = resolve(progress, "calibrate") or silent
    total = len(targets) + 2
    hook(0, total)
    exact = simulate(
        graph, inputs, dtype=dtype, record=sorted(set(targets) | feeds), progress=silent
    )
    hook(1, total)
    exact_inputs = {n: _summed_input(graph, n, exact) for n in targets}
    current, chosen = graph, {}
    for index, name in enumerate(targets, start=2):
        if name == targets[0]:
            x = exact_inputs[name]
        else:
            preds = list(graph.predecessors(name))
            run = simulate(current, inputs, dtype=dtype, record=preds, progress=silent)
            x = _summed_input(current, name, run)
        kind = type_name(graph.nodes[name])
        chosen[name] = _best(graph.nodes[name], x, exact[name], grid_of[kind], kind, dtype)
        current = _replace(current, name, chosen[name])
        hook(index, total)
    final = simulate(current, inputs, dtype=dtype, record=targets, progress=silent)
    hook(total, total)
    layers = tuple(
        _layer(graph, name, chosen[name], exact, final, exact_inputs[name], dtype)
        for name in targets
    )
    if warn:
        for layer in layers:
            warnings.warn(
                f"layer {layer.node!r} ({layer.type}) lowered as a hard-reset LIF with "
                f"v_reset={layer.v_reset:.4g} is lossy: spike agreement with the exact model "
                f"{layer.agreement:.2%} on the calibration data (isolated "
                f"{layer.isolated_agreement:.2%})",
                LossyConversionWarning,
                stacklevel=2,
            )
    steps, batch = next(iter(exact.values())).shape[:2]
    return CalibrationReport(layers, _annotate(graph, layers), current, int(batch), int(steps))


def _check_options(
    types: Sequence[str], grids: Mapping[str, Sequence[float]] | None
) -> dict[str, np.ndarray]:
    unknown = sorted(set(types) - set(_TYPES))
    if unknown or not types:
        raise ConfigError(
            f"cannot calibrate node types {unknown or list(types)}",
            hint=f"choose among {sorted(_TYPES)}",
        )
    out = {k: np.asarray(v, dtype=np.float64) for k, v in DEFAULT_GRIDS.items()}
    for kind, grid in (grids or {}).items():
        values = np.asarray(grid, dtype=np.float64).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise ConfigError(
                f"candidate grid for {kind!r} must be a non-empty list of finite numbers",
                hint="pass e.g. grids={'CLIF': numpy.linspace(-0.2, 0, 21)}",
            )
        out[kind] = values
    return out


def _summed_input(graph: Graph, name: str, traces: Mapping[str, np.ndarray]) -> np.ndarray:
    """X[t] of node ``name``: forward predecessors at t plus back-edge ones at t − 1."""
    total: np.ndarray | None = None
    for pred in graph.predecessors(name):
        value = traces[pred]
        if (pred, name) in graph.back_edges:
            value = np.concatenate([np.zeros_like(value[:1]), value[:-1]])
        total = value if total is None else total + value
    if total is None:
        raise ConfigError(f"node {name!r} has no input to calibrate on", node=name)
    return total


def _standin(node: Any, v_reset: np.ndarray) -> SoftLIF:
    """Hard-reset LIF for ``node``, one population copy per candidate (leading axis)."""
    tau = np.asarray(node.tau, dtype=np.float64)
    pop = (len(v_reset), *tau.shape)
    shape = (len(v_reset),) + (1,) * tau.ndim
    return SoftLIF(
        beta=np.broadcast_to(1.0 - 1.0 / tau, pop).copy(),
        v_threshold=np.broadcast_to(np.asarray(node.v_threshold, np.float64), pop).copy(),
        reset="hard",
        v_reset=np.broadcast_to(v_reset.reshape(shape), pop).copy(),
    )


def _run_standin(node: Any, x: np.ndarray, v_reset: np.ndarray, dtype: Any) -> np.ndarray:
    """Spikes [G, T, B, *pop] of the stand-in for each candidate (reference arithmetic)."""
    stepper = SoftLIFStep(_standin(node, v_reset), None, x.shape[1], np.dtype(dtype))  # type: ignore[arg-type]
    xs = x.astype(dtype, copy=False)
    out = np.stack([stepper.step(xs[t][:, None]) for t in range(x.shape[0])])
    return np.moveaxis(out, 2, 0)  # [T, B, G, ...] -> [G, T, B, ...]


def _best(
    node: Any, x: np.ndarray, target: np.ndarray, grid: np.ndarray, kind: str, dtype: Any
) -> float:
    per = max(1, _CHUNK_ELEMENTS // max(x.size, 1))
    scores = []
    for start in range(0, len(grid), per):
        spikes = _run_standin(node, x, grid[start : start + per], dtype)
        scores.extend(np.mean(spikes == target[None], axis=tuple(range(1, spikes.ndim))))
    score = np.asarray(scores)
    best = np.flatnonzero(score == score.max())
    return float(grid[best[np.argmin(np.abs(grid[best] - DEFAULT_V_RESET[kind]))]])


def _replace(graph: Graph, name: str, v_reset: float) -> Graph:
    node = graph.nodes[name]
    standin = _standin(node, np.array([v_reset]))
    flat = SoftLIF(
        beta=standin.beta[0],
        v_threshold=standin.v_threshold[0],
        reset="hard",
        v_reset=standin.v_reset[0],
    )
    return graph.replace(nodes={**graph.nodes, name: flat})


def _layer(
    graph: Graph,
    name: str,
    v_reset: float,
    exact: Mapping[str, np.ndarray],
    final: Mapping[str, np.ndarray],
    x_exact: np.ndarray,
    dtype: Any,
) -> LayerCalibration:
    isolated = _run_standin(graph.nodes[name], x_exact, np.array([v_reset]), dtype)[0]
    return LayerCalibration(
        node=name,
        type=type_name(graph.nodes[name]),
        v_reset=v_reset,
        agreement=float(np.mean(final[name] == exact[name])),
        isolated_agreement=float(np.mean(isolated == exact[name])),
        exact_rate=float(np.mean(exact[name])),
        approx_rate=float(np.mean(final[name])),
    )


def _annotate(graph: Graph, layers: Sequence[LayerCalibration]) -> Graph:
    nodes = dict(graph.nodes)
    for layer in layers:
        node = nodes[layer.node]
        meta = {**(node.metadata or {}), V_RESET_KEY: layer.v_reset, AGREEMENT_KEY: layer.agreement}
        nodes[layer.node] = replace_node(node, metadata=meta)
    return graph.replace(nodes=nodes)
