"""Generate sinabs NIR fixtures: the graph, its input and sinabs' own layer outputs.

Run in a side environment with sinabs installed (never in CI), from the repository:

    pip install --no-deps --target /tmp/fw sinabs==3.1.3 nirtorch pbr
    PYTHONPATH=/tmp/fw .venv/bin/python tests/generators/sinabs_fixtures.py

Each network (``*Squeeze`` layers, so torch's Sequential runs it on [B·T, ...]) is run
twice on the same input: as built here (the ``sinabs`` preset) and as
``sinabs.from_nir`` rebuilds it from the exported graph (the ``sinabs-from-nir`` preset:
every IAF layer gets ``min_v_mem = -threshold``). Written as
``tests/data/frameworks/sinabs_<name>.nir`` plus ``sinabs_<name>.npz`` and
``sinabs_<name>.from_nir.npz``, each with the time-major input ``x``, every layer output
``out:<module index>``, ``dialect``, ``nir`` (the graph's file name), ``settings`` and
``versions`` (the layout of ``snntorch_fixtures.py``).

sinabs 3.1.3's exporter (``sinabs.to_nir``, nirtorch's ``extract_nir_graph`` with
``_extract_sinabs_module``) maps ``IAF``/``IAFSqueeze`` (nir.IF), ``LIF``/``LIFSqueeze``
(nir.LIF), ``ExpLeak``/``ExpLeakSqueeze`` (nir.LI), ``Linear``, ``Conv1d``, ``Conv2d``,
``SumPool2d`` and ``Flatten``, matching the neuron classes by exact type. It refuses
every other module with its "Module <class> not supported" error, so it exports no
recurrent network: ``IAFRecurrent``, ``LIFRecurrent`` and ``ALIFRecurrent`` (subclasses,
not the exact types) are refused, and so are ``ALIF`` and ``SpikingMaxPooling2dLayer``
(``main`` prints what the exporter does with each on every run).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import nir
import numpy as np
import sinabs
import sinabs.layers as sl
import torch

T, B = 20, 3


def _neuron(kind: str, n: tuple[int, ...]) -> torch.nn.Module:
    if kind == "iaf":
        return sl.IAFSqueeze(batch_size=B, spike_threshold=torch.ones(n))
    if kind == "lif":  # norm_input=False: the export writes r = 1 (unit gain) either way
        tau = torch.full(n, 8.0)
        return sl.LIFSqueeze(
            tau_mem=tau, batch_size=B, norm_input=False, spike_threshold=torch.ones(n)
        )
    if kind == "expleak":
        return sl.ExpLeakSqueeze(tau_mem=torch.full(n, 6.0), batch_size=B)
    raise ValueError(kind)


def mlp(hidden: str, last: str, offset: float) -> torch.nn.Sequential:
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 7), _neuron(hidden, (7,)), torch.nn.Linear(7, 4), _neuron(last, (4,))
    )
    with torch.no_grad():  # negative biases drive potentials below -threshold at times,
        net[0].weight *= 2.0  # where sinabs.from_nir's membrane floor acts
        net[2].weight *= 2.0
        net[0].bias -= offset
        net[2].bias -= offset
    return net


def conv() -> torch.nn.Sequential:
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        _neuron("iaf", (3, 6, 6)),
        sl.SumPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(27, 4),
        _neuron("iaf", (4,)),
    )
    with torch.no_grad():
        net[0].weight *= 3.0
        net[4].weight *= 4.0
        net[0].bias -= 0.2
        net[4].bias -= 0.2
    return net


NETWORKS = {
    "iaf": (lambda: mlp("iaf", "iaf", 0.4), (5,)),
    "lif": (lambda: mlp("lif", "lif", 0.0), (5,)),
    "iaf_expleak": (lambda: mlp("iaf", "expleak", 0.4), (5,)),
    "conv_iaf": (conv, (1, 6, 6)),
}


def run(net: torch.nn.Module, x: torch.Tensor) -> dict[int, np.ndarray]:
    """sinabs' own run of time-major ``x``: each layer's output [T, B, ...]."""
    for layer in net.modules():
        if isinstance(layer, sl.StatefulLayer):
            layer.reset_states()
    h = x.transpose(0, 1).reshape(B * T, *x.shape[2:])  # [B·T, ...], batch-major
    outputs: dict[int, np.ndarray] = {}
    with torch.no_grad():
        for i, layer in enumerate(net):
            h = layer(h)
            outputs[i] = h.reshape(B, T, *h.shape[1:]).transpose(0, 1).numpy().copy()
    return outputs


def _numpy(graph: nir.NIRGraph, spatial: tuple[int, ...]) -> nir.NIRGraph:
    """``graph`` with torch tensors replaced by numpy arrays and the Conv2d input shape
    that sinabs 3.1.3 leaves None filled in (``nir.write`` can store neither)."""
    nodes = {}
    for name, node in graph.nodes.items():
        fields = {
            f.name: value.detach().numpy()
            for f in dataclasses.fields(node)
            if f.init and isinstance(value := getattr(node, f.name), torch.Tensor)
        }
        if isinstance(node, nir.Conv2d) and node.input_shape is None:
            fields["input_shape"] = spatial
        nodes[name] = dataclasses.replace(node, **fields)
    return nir.NIRGraph(nodes=nodes, edges=graph.edges, metadata=graph.metadata, type_check=False)


def _save(path: Path, x: torch.Tensor, outputs: dict, dialect: str, nir_name: str) -> None:
    versions = {"sinabs": sinabs.__version__, "torch": torch.__version__, "nir": nir.__version__}
    arrays = {"x": x.numpy(), "dialect": np.array(dialect), "nir": np.array(nir_name)}
    for i, value in outputs.items():
        arrays[f"out:{i}"] = value
    arrays["settings"] = np.array(json.dumps({}))
    arrays["versions"] = np.array(json.dumps(versions))
    np.savez_compressed(path, **arrays)


def _not_exportable() -> dict[str, str]:
    """What ``sinabs.to_nir`` does with the layers it has no mapping for (the module
    docstring's claims, checked on every run): its error, or the nodes it wrote."""
    n = 4
    probes = {
        "IAFRecurrent": sl.IAFRecurrent(rec_connect=torch.nn.Linear(n, n, bias=False)),
        "LIFRecurrent": sl.LIFRecurrent(
            tau_mem=torch.full((n,), 8.0), rec_connect=torch.nn.Linear(n, n, bias=False)
        ),
        "ALIF": sl.ALIF(tau_mem=torch.full((n,), 8.0), tau_adapt=torch.full((n,), 8.0)),
        "SpikingMaxPooling2dLayer": sl.SpikingMaxPooling2dLayer(pool_size=2),
    }
    found = {}
    for name, layer in probes.items():
        spatial = name == "SpikingMaxPooling2dLayer"
        first = torch.nn.Conv2d(1, 1, 1) if spatial else torch.nn.Linear(n, n)
        sample = torch.zeros(1, 1, n, n) if spatial else torch.zeros(1, 2, n)  # [B, T, N]
        try:
            graph = sinabs.to_nir(torch.nn.Sequential(first, layer), sample)
        except Exception as error:  # any refusal is the answer
            found[name] = f"to_nir raised {type(error).__name__}: {error}"
        else:
            found[name] = f"exported as nodes {list(graph.nodes)}, edges {sorted(graph.edges)}"
    return found


def main(out_dir: Path) -> None:
    for name, what in _not_exportable().items():
        print(f"not exported: {name}: {what}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (build, shape) in NETWORKS.items():
        torch.manual_seed(sum(map(ord, name)))
        net = build()
        gen = torch.Generator().manual_seed(0)
        x = (torch.rand((T, B, *shape), generator=gen) < 0.5).float()
        outputs = run(net, x)
        graph = sinabs.to_nir(net, x[0].reshape(B, *shape))
        graph.infer_types()  # sinabs leaves pooling and flatten types None
        nir_name = f"sinabs_{name}.nir"
        nir.write(out_dir / nir_name, _numpy(graph, shape[1:]))
        _save(out_dir / f"sinabs_{name}.npz", x, outputs, "sinabs", nir_name)
        rebuilt = sinabs.from_nir(nir.read(out_dir / nir_name), batch_size=B)
        rebuilt_out = run_graph(rebuilt, x)
        _save(out_dir / f"sinabs_{name}.from_nir.npz", x, rebuilt_out, "sinabs-from-nir", nir_name)
        rates = {i: f"{o.mean():.2f}" for i, o in outputs.items() if i % 2}
        print(f"{name}: nodes {list(graph.nodes)}, rates {rates}")


def run_graph(model: torch.nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """The outputs of a ``sinabs.from_nir`` model's layers, keyed by NIR node name."""
    for layer in model.modules():
        if isinstance(layer, sl.StatefulLayer):
            layer.reset_states()
    recorded: dict[str, np.ndarray] = {}
    hooks = []
    for node_name, module in model.named_children():
        for sub_name, sub in module.named_modules():
            key = sub_name or node_name
            if isinstance(sub, torch.nn.Identity) or list(sub.children()):
                continue

            def hook(_m, _i, out, key=key):
                recorded[key] = out.reshape(B, T, *out.shape[1:]).transpose(0, 1).numpy().copy()

            hooks.append(sub.register_forward_hook(hook))
    with torch.no_grad():
        model(x.transpose(0, 1).reshape(B * T, *x.shape[2:]))
    for handle in hooks:
        handle.remove()
    return recorded


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/frameworks"))
