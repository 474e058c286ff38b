"""Generate SpikingJelly NIR fixtures: the graph, its input and SpikingJelly's own outputs.

Run in a side environment with SpikingJelly installed (never in CI), from the repository:

    pip install --no-deps --target /tmp/fw-sj spikingjelly==2.0.0 "nirtorch>=2.6,<2.7" loguru
    PYTHONPATH=/tmp/fw-sj .venv/bin/python tests/generators/spikingjelly_fixtures.py

SpikingJelly 2.0.0's exporter (``spikingjelly.activation_based.nir_exchange.
export_to_nir``) maps ``IFNode`` (nir.IF), ``LIFNode`` and ``ParametricLIFNode``
(nir.LIF, r = 1 with ``decay_input=True``, else τ/dt), ``CUBALIFNode`` (nir.CubaLIF),
Linear, Conv1d/Conv2d, AvgPool2d and Flatten. Each of these neuron classes gets a network
``Linear -> neuron -> Linear -> neuron`` (LIF with and without ``decay_input``), plus a
convolutional one (Conv2d on 4x4 -> LIF -> AvgPool2d -> Flatten -> Linear -> LIF). What it
cannot export, and so is not here:

- soft reset (``v_reset=None``): the exporter raises ``NotImplementedError("NIR does not
  distinguish soft reset.")``;
- recurrent networks: no recurrent container (``layer.LinearRecurrentContainer``,
  ``ElementWiseRecurrentContainer``) is in its module map, and a back edge cannot be
  expressed by nirtorch's trace of a feed-forward module call (the fx trace of a
  ``LinearRecurrentContainer`` fails: "Proxy object cannot be iterated"; ``main`` prints
  what the exporter does with both on every run).

Every network runs single-step (``step_mode="s"``, the mode ``CUBALIFNode`` has), one
time step and one layer at a time, with ``functional.reset_net`` before each run; the
membrane each neuron compares with its threshold is recomputed from the state before the
step (SpikingJelly's CPU update equations) so that inputs can be redrawn until none comes
within ``TIE_MARGIN`` of its threshold. Written as
``tests/data/frameworks/spikingjelly_<name>.nir`` (the exporter's graph, ``nir.write``)
plus ``.npz`` with the time-major input ``x``, ``dialect``, ``nir``, every layer output
``out:<module index>`` (the NIR node ``_<index>``: the exporter's fx names), ``settings``
and ``versions`` (the layout of ``snntorch_fixtures.py``). Initial membranes equal
``v_reset`` in SpikingJelly, so every neuron keeps the default ``v_reset = 0`` (snncompile
starts from zero).
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from collections.abc import Callable
from pathlib import Path

import nir
import numpy as np
import torch
from spikingjelly.activation_based import functional, layer, neuron
from spikingjelly.activation_based.nir_exchange import export_to_nir

T, B = 24, 3
TIE_MARGIN = 1e-3
DT = 1e-4


def _neuron(kind: str) -> torch.nn.Module:
    if kind == "if":
        return neuron.IFNode()
    if kind == "lif":
        return neuron.LIFNode(tau=2.0, decay_input=True)
    if kind == "lif_nodecay":
        return neuron.LIFNode(tau=4.0, decay_input=False)
    if kind == "plif":  # learnable w = -log(init_tau - 1): 1/sigmoid(w) = init_tau
        return neuron.ParametricLIFNode(init_tau=3.0, decay_input=True)
    if kind == "cubalif":
        return neuron.CUBALIFNode(c_decay=0.5, v_decay=0.75, v_threshold=0.5)
    raise ValueError(kind)


def mlp(kind: str, gain: float, shift: float = 0.0) -> torch.nn.Sequential:
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 7), _neuron(kind), torch.nn.Linear(7, 4), _neuron(kind)
    )
    with torch.no_grad():  # sparse hidden spikes: a gain keeps the last layer active
        net[0].weight += shift  # more excitatory weights where too few hidden neurons fire
        net[2].weight *= gain
    return net


def conv() -> torch.nn.Sequential:
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1),
        _neuron("lif"),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(2 * 2 * 2, 4),
        _neuron("lif"),
    )
    with torch.no_grad():
        net[0].weight += 0.1  # excitatory kernels: a random one leaves most LIFs silent
        net[4].weight *= 8  # pooled spikes are sparse: a larger gain keeps the last LIF active
    return net


#: name -> (network builder, input shape without [T, B], input scale)
NETWORKS: dict[str, tuple[Callable[[], torch.nn.Sequential], tuple[int, ...], float]] = {
    "if": (lambda: mlp("if", 2.0), (5,), 1.5),
    "lif": (lambda: mlp("lif", 6.0), (5,), 5.0),
    "lif_nodecay": (lambda: mlp("lif_nodecay", 8.0, 0.1), (5,), 3.0),
    "plif": (lambda: mlp("plif", 8.0), (5,), 7.0),
    "cubalif": (lambda: mlp("cubalif", 1.5), (5,), 1.0),
    "conv_lif": (conv, (1, 4, 4), 8.0),
}


def _charged(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The membrane ``module`` compares with its threshold this step, from its state
    before the step (SpikingJelly 2.0.0's CPU equations, v_reset = 0)."""
    v = module.v if isinstance(module.v, torch.Tensor) else torch.full_like(x, module.v)
    if isinstance(module, neuron.CUBALIFNode):
        c = module.c if isinstance(module.c, torch.Tensor) else torch.full_like(x, module.c)
        return v * module.v_decay + (c * module.c_decay + x)
    if isinstance(module, neuron.IFNode):
        return v + x
    if isinstance(module, neuron.ParametricLIFNode):
        q = module.w.detach().sigmoid()
        return v + (x - v) * q if module.decay_input else v - v * q + x
    if isinstance(module, neuron.LIFNode):
        return v + (x - v) / module.tau if module.decay_input else v - v / module.tau + x
    raise TypeError(type(module).__name__)


def run(net: torch.nn.Sequential, x: torch.Tensor) -> tuple[dict[int, list], float]:
    """SpikingJelly's own single-step run: per layer index, its output per step; the
    closest tie."""
    functional.reset_net(net)
    outputs: dict[int, list] = {}
    closest = np.inf
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = x[t]
            for i, module in enumerate(net):
                if isinstance(module, neuron.BaseNode):
                    charged = _charged(module, h)
                    closest = min(closest, float((charged - module.v_threshold).abs().min()))
                    h = module(h)
                    fired = (charged >= module.v_threshold).to(h.dtype)
                    assert torch.equal(h, fired), "charge recomputed differently"
                else:
                    h = module(h)
                outputs.setdefault(i, []).append(h.numpy().copy())
    functional.reset_net(net)
    return outputs, closest


def _not_exportable() -> dict[str, str]:
    """What the exporter does with a soft reset and a recurrent layer (the docstring's
    claims, checked on every run): its error, or the graph it wrote."""
    probes = {
        "soft reset": torch.nn.Sequential(torch.nn.Linear(5, 4), neuron.IFNode(v_reset=None)),
        "recurrent": torch.nn.Sequential(
            torch.nn.Linear(5, 4),
            layer.LinearRecurrentContainer(neuron.LIFNode(), in_features=4, out_features=4),
        ),
    }
    found = {}
    for name, net in probes.items():
        try:
            graph = export_to_nir(net, torch.zeros(B, 5), dt=DT)
        except Exception as error:  # any refusal is the answer
            found[name] = f"refused: {type(error).__name__}: {str(error).splitlines()[0]}"
        else:
            found[name] = f"exported as nodes {list(graph.nodes)}, edges {graph.edges}"
    return found


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    versions = {
        "spikingjelly": importlib.metadata.version("spikingjelly"),
        "nirtorch": importlib.metadata.version("nirtorch"),
        "torch": torch.__version__,
        "nir": nir.__version__,
    }
    for name, (build, shape, scale) in NETWORKS.items():
        torch.manual_seed(sum(map(ord, name)))
        net = build()
        for seed in range(100):
            gen = torch.Generator().manual_seed(seed)
            x = torch.rand((T, B, *shape), generator=gen) * scale
            outputs, closest = run(net, x)
            if closest > TIE_MARGIN:
                break
        else:
            raise RuntimeError(f"{name}: no input without threshold ties")
        graph = export_to_nir(net, x[0], dt=DT)
        nir.write(out_dir / f"spikingjelly_{name}.nir", graph)
        arrays = {
            "x": x.numpy(),
            "dialect": np.array("spikingjelly"),
            "nir": np.array(f"spikingjelly_{name}.nir"),
        }
        for i in outputs:  # the exporter names each node _<index> of its module
            arrays[f"out:{i}"] = np.stack(outputs[i])
        arrays["settings"] = np.array(json.dumps({}))
        arrays["versions"] = np.array(json.dumps(versions))
        np.savez_compressed(out_dir / f"spikingjelly_{name}.npz", **arrays)
        rates = [
            f"{np.stack(outputs[i]).mean():.2f}"
            for i, module in enumerate(net)
            if isinstance(module, neuron.BaseNode)
        ]
        print(f"{name}: nodes {list(graph.nodes)}, closest tie {closest:.2e}, rates {rates}")
    for name, outcome in _not_exportable().items():
        print(f"{name}: {outcome}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/frameworks"))
