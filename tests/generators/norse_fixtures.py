"""Generate Norse NIR fixtures: the graph, its input and Norse's own layer outputs.

Run in a side environment with Norse installed (never in CI), from the repository:

    pip install --no-deps --target /tmp/fw norse==1.1.0 nirtorch
    PYTHONPATH=/tmp/fw .venv/bin/python tests/generators/norse_fixtures.py

Norse 1.1.0's exporter (``norse.torch.utils.export_nir.to_nir``, nirtorch's deprecated
``extract_nir_graph`` with a module map) maps exactly ``LIFBoxCell`` (nir.LIF),
``LIFCell`` (nir.CubaLIF), ``IAFCell`` (nir.IF), ``LIBoxCell`` (nir.LI), ``Linear``
(nir.Affine) and ``Conv2d`` (nir.Conv2d with ``input_shape=None``). Each cell gets a
network ``Linear -> cell -> Linear -> cell`` (LIBoxCell as the readout of a LIFBoxCell
network), plus a convolutional one, ``conv_lifbox``: Conv2d on 1x4x4 -> LIFBoxCell ->
Conv2d (stride 2) -> LIFBoxCell. Every other module maps to ``None`` and stays in the
graph as a ``None`` node, so ``nir.write`` fails on it (``AttributeError: 'NoneType'
object has no attribute 'to_dict'``). What it therefore cannot export, and so is not
here (``main`` prints what the exporter does with each on every run):

- ``Flatten`` and pooling (``AvgPool2d``, ``MaxPool2d``): ``None`` nodes, so the
  convolutional network ends in a convolution, not in ``Flatten -> Linear``;
- the other cells (``LICell``, ``LIFRefracCell``, ``LIFAdExCell``, ``LIFExCell``,
  ``LSNNCell``, ``IzhikevichCell``, ...): ``None`` nodes;
- recurrent networks: ``LIFRecurrentCell`` (and every ``*RecurrentCell``) is a ``None``
  node, its input and recurrent weights dropped with it; ``RecurrentSequential`` (a
  sequential whose output is fed back next step) makes the trace itself fail
  (``AttributeError: 'list' object has no attribute 'shape'``: nirtorch records the
  shape of its inner ``SequentialState(return_hidden=True)``, which returns a list),
  and one traced step with no state has no back edge to record anyway.

Each network is stepped by Norse, exported with ``to_nir`` (an in-memory graph holding
torch tensors, written with ``nir.write`` after converting them, filling in the Conv2d
input shape and sorting the edges) and saved as ``tests/data/frameworks/norse_<name>.nir``
plus ``.npz`` with the time-major input ``x``, ``dialect``, ``nir``, every layer output
``out:<module index>``, ``settings`` and ``versions`` (the layout of
``snntorch_fixtures.py``). Inputs are redrawn until no membrane comes within
``TIE_MARGIN`` of its threshold. The ``.npz`` files of the four MLP networks rewrite the
same bytes; their ``.nir`` files were written before the edges were sorted and hold
nirtorch's edge list in ``set`` order (the same edges, ordered by the process's string
hash), so a rerun writes them with the same nodes and edges in another order.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import nir
import norse
import numpy as np
import torch
from norse.torch import IAFCell, LIBoxCell, LICell, LIFBoxCell, LIFCell, LIFRecurrentCell
from norse.torch.utils.export_nir import to_nir

T, B = 30, 3
TIE_MARGIN = 1e-3
DT = 1e-3


def _cell(kind: str, shape: tuple[int, ...]) -> torch.nn.Module:
    """A cell with per-neuron parameters: scalar ones export as 0-d arrays, which
    ``nir.write`` cannot store (h5py refuses to compress scalars)."""
    inv = torch.full(shape, 100.0)
    zero, one = torch.zeros(shape), torch.ones(shape)
    if kind == "lifbox":
        return LIFBoxCell(
            norse.torch.LIFBoxParameters(tau_mem_inv=inv, v_leak=zero, v_th=one, v_reset=zero)
        )
    if kind == "lif":
        return LIFCell(
            norse.torch.LIFParameters(
                tau_mem_inv=inv, tau_syn_inv=2 * inv, v_leak=zero, v_th=one, v_reset=zero
            )
        )
    if kind == "iaf":
        return IAFCell(norse.torch.IAFParameters(v_th=one, v_reset=zero))
    if kind == "libox":
        return LIBoxCell(norse.torch.LIBoxParameters(tau_mem_inv=inv, v_leak=zero))
    raise ValueError(kind)


def network(kind: str, readout: bool, gain: float) -> norse.torch.SequentialState:
    net = norse.torch.SequentialState(
        torch.nn.Linear(5, 7),
        _cell(kind, (7,)),
        torch.nn.Linear(7, 4),
        _cell("libox" if readout else kind, (4,)),
    )
    with torch.no_grad():  # sparse hidden spikes: the same gain keeps the last layer active
        net[2].weight *= gain
    return net


def conv() -> norse.torch.SequentialState:
    """Conv2d on 1x4x4 -> LIFBoxCell -> Conv2d (stride 2) -> LIFBoxCell: the exporter
    has no Flatten or pooling, so a strided convolution downsamples. 4x4, not larger:
    the more membranes, the rarer an input that keeps all of them off their threshold."""
    net = norse.torch.SequentialState(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        _cell("lifbox", (3, 4, 4)),
        torch.nn.Conv2d(3, 4, 3, stride=2, padding=1),
        _cell("lifbox", (4, 2, 2)),
    )
    with torch.no_grad():  # zero-mean weights leave most neurons silent: excite both layers
        net[0].weight += 0.1
        net[2].weight += 0.1
        net[2].weight *= 8.0
    return net


#: name -> (network builder, input shape per sample, input spike amplitude)
NETWORKS: dict[str, tuple[Callable[[], torch.nn.Module], tuple[int, ...], float]] = {
    "lifbox": (lambda: network("lifbox", False, 12.0), (5,), 12.0),
    "lif": (lambda: network("lif", False, 12.0), (5,), 12.0),
    "iaf": (lambda: network("iaf", False, 1.0), (5,), 1.0),
    "lifbox_readout": (lambda: network("lifbox", True, 12.0), (5,), 12.0),
    "conv_lifbox": (conv, (1, 4, 4), 12.0),
}

_STATELESS = (torch.nn.Linear, torch.nn.Conv2d)


def run(net: torch.nn.Sequential, x: torch.Tensor) -> tuple[dict[int, list], float]:
    """Norse's own run, layer by layer with one state per cell; the closest tie."""
    states: dict[int, object] = {}
    outputs: dict[int, list] = {}
    closest = np.inf
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = x[t]
            for i, layer in enumerate(net):
                if isinstance(layer, _STATELESS):
                    h = layer(h)
                else:
                    charged = _charged(layer, states.get(i), h)
                    h, states[i] = layer(h, states.get(i))
                    if charged is not None:
                        closest = min(closest, float((charged - layer.p.v_th).abs().min()))
                outputs.setdefault(i, []).append(h.numpy().copy())
    return outputs, closest


def _charged(layer: torch.nn.Module, state: object, x: torch.Tensor) -> torch.Tensor | None:
    """The membrane a spiking cell compares with its threshold this step (Norse's update
    equations for the three spiking cells; None for the non-spiking readout)."""
    p = layer.p
    v = torch.zeros_like(x) if state is None else state.v
    if isinstance(layer, IAFCell):
        return v + x
    if isinstance(layer, LIFBoxCell):
        return v + DT * p.tau_mem_inv * ((p.v_leak - v) + x)
    if isinstance(layer, LIFCell):
        i = torch.zeros_like(x) if state is None else state.i
        return v + DT * p.tau_mem_inv * ((p.v_leak - v) + i)
    return None


def _conv_inputs(net: torch.nn.Sequential, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """The spatial input shape of each Conv2d, by node name (the exporter leaves it None)."""
    shapes = {}
    with torch.no_grad():
        h = x
        for i, layer in enumerate(net):
            if isinstance(layer, torch.nn.Conv2d):
                shapes[str(i)] = tuple(h.shape[2:])
            h = layer(h) if isinstance(layer, _STATELESS) else layer(h)[0]
    return shapes


def _numpy(graph: nir.NIRGraph, conv_inputs: dict[str, tuple[int, ...]]) -> nir.NIRGraph:
    """``graph`` with torch tensors replaced by numpy arrays and the Conv2d input shapes
    filled in (``nir.write`` can store neither), its edges sorted (nirtorch lists them
    in ``set`` order, which changes with the process's string hash)."""
    nodes = {}
    for name, node in graph.nodes.items():
        fields = {
            f.name: value.detach().numpy()
            for f in dataclasses.fields(node)
            if f.init and isinstance(value := getattr(node, f.name), torch.Tensor)
        }
        if isinstance(node, nir.Conv2d) and node.input_shape is None:
            fields["input_shape"] = np.array(conv_inputs[name])
        nodes[name] = dataclasses.replace(node, **fields)
    edges = sorted(graph.edges)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=graph.metadata, type_check=False)


def _not_exportable() -> dict[str, str]:
    """What the exporter does with the modules it has no mapping for (the docstring's
    claims, checked on every run): its error, the ``None`` nodes, or ``nir.write``'s error."""
    lifbox = _cell("lifbox", (4,))
    probes = {
        "Flatten": (torch.nn.Flatten(), torch.nn.Linear(16, 4)),
        "AvgPool2d": (torch.nn.AvgPool2d(2), torch.nn.Flatten()),
        "LICell": (torch.nn.Linear(5, 4), LICell()),
        "LIFRecurrentCell": (torch.nn.Linear(5, 4), LIFRecurrentCell(4, 4)),
        "RecurrentSequential": (
            torch.nn.Linear(5, 4),
            norse.torch.RecurrentSequential(torch.nn.Linear(4, 4), lifbox),
        ),
    }
    samples = {"Flatten": torch.zeros(B, 4, 4), "AvgPool2d": torch.zeros(B, 1, 4, 4)}
    found = {}
    for name, modules in probes.items():
        net = norse.torch.SequentialState(*modules)
        try:
            graph = to_nir(net, samples.get(name, torch.zeros(B, 5)), dt=DT)
        except Exception as error:  # any refusal is the answer
            found[name] = f"to_nir raised {type(error).__name__}: {error}"
            continue
        dropped = [k for k, v in graph.nodes.items() if v is None]
        try:
            with tempfile.TemporaryDirectory() as tmp:
                nir.write(Path(tmp) / "probe.nir", graph)
        except Exception as error:
            found[name] = f"None nodes {dropped}; nir.write raised {type(error).__name__}: {error}"
        else:
            found[name] = f"exported as nodes {list(graph.nodes)}, edges {sorted(graph.edges)}"
    return found


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore", DeprecationWarning)  # nirtorch's extract_nir_graph
    versions = {"norse": norse.__version__, "torch": torch.__version__, "nir": nir.__version__}
    for name, (build, shape, amplitude) in NETWORKS.items():
        torch.manual_seed(sum(map(ord, name)))
        net = build()
        for seed in range(100):
            gen = torch.Generator().manual_seed(seed)
            x = (torch.rand((T, B, *shape), generator=gen) < 0.4).float() * amplitude
            outputs, closest = run(net, x)
            if closest > TIE_MARGIN:
                break
        else:
            raise RuntimeError(f"{name}: no input without threshold ties")
        graph = to_nir(net, x[0], dt=DT)
        nir.write(out_dir / f"norse_{name}.nir", _numpy(graph, _conv_inputs(net, x[0])))
        arrays = {
            "x": x.numpy(),
            "dialect": np.array("norse"),
            "nir": np.array(f"norse_{name}.nir"),
        }
        for i in outputs:  # nirtorch names each node by its module's index in the Sequential
            arrays[f"out:{i}"] = np.stack(outputs[i])
        arrays["settings"] = np.array(json.dumps({}))
        arrays["versions"] = np.array(json.dumps(versions))
        np.savez_compressed(out_dir / f"norse_{name}.npz", **arrays)
        rates = [f"{np.stack(outputs[i]).mean():.2f}" for i in (1, 3)]
        print(f"{name}: nodes {list(graph.nodes)}, closest tie {closest:.2e}, rates {rates}")
    for name, outcome in _not_exportable().items():
        print(f"{name}: {outcome}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/frameworks"))
