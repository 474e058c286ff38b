"""Generate snnTorch NIR fixtures: the file, its input and snnTorch's own layer outputs.

Run in a side environment with snnTorch installed (never in CI), from the repository:

    pip install --no-deps --target /tmp/fw snntorch==1.0.0 nirtorch
    PYTHONPATH=/tmp/fw .venv/bin/python tests/generators/snntorch_fixtures.py

Each network is run by snnTorch step by step (``init_hidden=True`` neurons, the loop over
time here), exported with ``snntorch.export_nir.export_to_nir`` and written as
``tests/data/frameworks/snntorch_<name>.nir`` plus ``.npz`` holding the time-major input
``x`` [T, B, ...], ``dialect``, ``nir`` (the graph's file name), every recorded layer
output ``out:<module index>`` [T, B, ...] (the NIR node of that name, or
``<index>.lif`` inside a recurrent subgraph), the ``--set`` fields the run needs beyond
the preset as JSON ``settings``, and ``versions``. Inputs are redrawn until no membrane
comes within ``TIE_MARGIN`` of its threshold, so float32 and float64 runs cannot
disagree on a spike.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import snntorch.utils
import torch
from snntorch.export_nir import export_to_nir

T, B = 24, 3
TIE_MARGIN = 1e-3


def _neuron(kind: str, shape: tuple[int, ...], reset: str, output: bool = False) -> torch.nn.Module:
    """Per-neuron beta/alpha/threshold tensors: snnTorch exports scalars with shape (),
    which nir's type inference refuses."""
    common = {"init_hidden": True, "reset_mechanism": reset, "threshold": torch.ones(shape)}
    if output:
        common["output"] = True
    beta, alpha = torch.full(shape, 0.85), torch.full(shape, 0.6)
    if kind == "leaky":
        return snn.Leaky(beta=beta, **common)
    if kind == "synaptic":
        return snn.Synaptic(alpha=alpha, beta=beta, **common)
    (n,) = shape
    if kind == "rleaky":
        return snn.RLeaky(beta=beta, linear_features=n, all_to_all=True, **common)
    if kind == "rsynaptic":
        return snn.RSynaptic(alpha=alpha, beta=beta, linear_features=n, all_to_all=True, **common)
    raise ValueError(kind)


def mlp(kind: str, reset: str) -> torch.nn.Sequential:
    return torch.nn.Sequential(
        torch.nn.Linear(5, 7),
        _neuron(kind, (7,), reset),
        torch.nn.Linear(7, 4),
        _neuron(kind, (4,), reset, output=True),
    )


def conv(reset: str) -> torch.nn.Sequential:
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        _neuron("leaky", (3, 6, 6), reset),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(3 * 3 * 3, 4),
        _neuron("leaky", (4,), reset, output=True),
    )
    with torch.no_grad():
        net[4].weight *= 4  # sparse pooled spikes: a larger gain keeps the last layer active
    return net


NETWORKS: dict[str, tuple[Callable[[], torch.nn.Sequential], tuple[int, ...], dict]] = {
    f"{kind}_{reset}": (
        (lambda k=kind, r=reset: mlp(k, r)),
        (5,),
        {} if reset == "zero" else {"reset": "subtract"},
    )
    for kind in ("leaky", "synaptic", "rleaky", "rsynaptic")
    for reset in ("zero", "subtract")
}
NETWORKS["conv_leaky_zero"] = (lambda: conv("zero"), (1, 6, 6), {})


def run(net: torch.nn.Sequential, x: torch.Tensor) -> tuple[dict[int, list], float]:
    """snnTorch's own run: per layer index, its output per step; the closest tie."""
    snn.utils.reset(net)
    outputs: dict[int, list] = {}
    closest = np.inf
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = x[t]
            for i, layer in enumerate(net):
                h = layer(h)
                if isinstance(h, tuple):  # output=True neurons return (spk, mem, ...)
                    h = h[0]
                outputs.setdefault(i, []).append(h.numpy().copy())
                mem = getattr(layer, "mem", None)
                if isinstance(layer, snn.SpikingNeuron) and mem is not None:
                    closest = min(closest, float((mem - layer.threshold).abs().min()))
    return outputs, closest


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    versions = {"snntorch": snn.__version__, "torch": torch.__version__, "nir": nir.__version__}
    for name, (build, shape, settings) in NETWORKS.items():
        torch.manual_seed(sum(map(ord, name)))
        net = build()
        for seed in range(100):
            gen = torch.Generator().manual_seed(seed)
            x = torch.rand((T, B, *shape), generator=gen) * 1.5
            outputs, closest = run(net, x)
            if closest > TIE_MARGIN:
                break
        else:
            raise RuntimeError(f"{name}: no input without threshold ties")
        graph = export_to_nir(net, x[0], ignore_dims=[0])
        nir.write(out_dir / f"snntorch_{name}.nir", graph)
        arrays = {
            "x": x.numpy(),
            "dialect": np.array("snntorch"),
            "nir": np.array(f"snntorch_{name}.nir"),
        }
        for i in outputs:  # nirtorch names each node by its module's index in the Sequential
            arrays[f"out:{i}"] = np.stack(outputs[i])
        arrays["settings"] = np.array(json.dumps(settings))
        arrays["versions"] = np.array(json.dumps(versions))
        np.savez_compressed(out_dir / f"snntorch_{name}.npz", **arrays)
        rates = [
            f"{np.stack(outputs[i]).mean():.2f}"
            for i, layer in enumerate(net)
            if isinstance(layer, snn.SpikingNeuron)
        ]
        print(f"{name}: nodes {list(graph.nodes)}, closest tie {closest:.2e}, rates {rates}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/frameworks"))
