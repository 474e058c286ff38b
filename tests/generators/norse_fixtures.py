"""Generate Norse NIR fixtures: the graph, its input and Norse's own layer outputs.

Run in a side environment with Norse installed (never in CI), from the repository:

    pip install --no-deps --target /tmp/fw norse==1.1.0 nirtorch
    PYTHONPATH=/tmp/fw .venv/bin/python tests/generators/norse_fixtures.py

Each network (``Linear -> cell -> Linear -> cell``, cells LIFBoxCell, LIFCell, IAFCell and
LIBoxCell as readout) is stepped by Norse, exported with ``norse.torch.utils.export_nir.
to_nir`` (an in-memory graph holding torch tensors, written with ``nir.write`` after
converting them) and saved as ``tests/data/frameworks/norse_<name>.nir`` plus ``.npz``
with the time-major input ``x``, ``dialect``, ``nir``, every layer output
``out:<module index>``, ``settings``
and ``versions`` (the layout of ``snntorch_fixtures.py``). Inputs are redrawn until no
membrane comes within ``TIE_MARGIN`` of its threshold.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import nir
import norse
import numpy as np
import torch
from norse.torch import IAFCell, LIBoxCell, LIFBoxCell, LIFCell
from norse.torch.utils.export_nir import to_nir

T, B = 30, 3
TIE_MARGIN = 1e-3
DT = 1e-3


def _cell(kind: str, n: int) -> torch.nn.Module:
    """A cell with per-neuron parameters: scalar ones export as 0-d arrays, which
    ``nir.write`` cannot store (h5py refuses to compress scalars)."""
    inv = torch.full((n,), 100.0)
    zero, one = torch.zeros(n), torch.ones(n)
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
        _cell(kind, 7),
        torch.nn.Linear(7, 4),
        _cell("libox" if readout else kind, 4),
    )
    with torch.no_grad():  # sparse hidden spikes: the same gain keeps the last layer active
        net[2].weight *= gain
    return net


NETWORKS = {
    "lifbox": ("lifbox", False, 12.0),
    "lif": ("lif", False, 12.0),
    "iaf": ("iaf", False, 1.0),
    "lifbox_readout": ("lifbox", True, 12.0),
}


def run(net: torch.nn.Sequential, x: torch.Tensor) -> tuple[dict[int, list], float]:
    """Norse's own run, layer by layer with one state per cell; the closest tie."""
    states: dict[int, object] = {}
    outputs: dict[int, list] = {}
    closest = np.inf
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = x[t]
            for i, layer in enumerate(net):
                if isinstance(layer, torch.nn.Linear):
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


def _numpy(graph: nir.NIRGraph) -> nir.NIRGraph:
    """``graph`` with torch tensors replaced by numpy arrays (nir.write needs them)."""
    nodes = {}
    for name, node in graph.nodes.items():
        fields = {
            f.name: value.detach().numpy()
            for f in dataclasses.fields(node)
            if f.init and isinstance(value := getattr(node, f.name), torch.Tensor)
        }
        nodes[name] = dataclasses.replace(node, **fields)
    return nir.NIRGraph(nodes=nodes, edges=graph.edges, metadata=graph.metadata, type_check=False)


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    versions = {"norse": norse.__version__, "torch": torch.__version__, "nir": nir.__version__}
    for name, (kind, readout, gain) in NETWORKS.items():
        torch.manual_seed(sum(map(ord, name)))
        net = network(kind, readout, gain)
        for seed in range(100):
            gen = torch.Generator().manual_seed(seed)
            x = (torch.rand((T, B, 5), generator=gen) < 0.4).float() * gain
            outputs, closest = run(net, x)
            if closest > TIE_MARGIN:
                break
        else:
            raise RuntimeError(f"{name}: no input without threshold ties")
        graph = to_nir(net, x[0], dt=DT)
        nir.write(out_dir / f"norse_{name}.nir", _numpy(graph))
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


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/frameworks"))
