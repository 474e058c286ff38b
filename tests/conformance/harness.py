"""Run a torch model and its traced graph on the same input and compare spikes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.ir import Graph
from snncompile.reference.simulator import simulate


@dataclass
class Comparison:
    """Spikes of every neuron layer, torch and reference, plus the outputs."""

    graph: Graph
    torch_spikes: dict[str, np.ndarray]
    ref_spikes: dict[str, np.ndarray]
    torch_out: np.ndarray
    ref_out: np.ndarray

    def agreement(self) -> dict[str, float]:
        """Fraction of equal spike values per layer."""
        return {
            k: float(np.mean(self.torch_spikes[k] == self.ref_spikes[k])) for k in self.torch_spikes
        }

    def overall(self) -> float:
        equal = sum(
            int(np.sum(self.torch_spikes[k] == self.ref_spikes[k])) for k in self.torch_spikes
        )
        return equal / sum(v.size for v in self.torch_spikes.values())

    def rates(self) -> dict[str, float]:
        return {k: float(v.mean()) for k, v in self.torch_spikes.items()}


def torch_run(model: nn.Module, x: torch.Tensor) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Output and per-neuron-module spikes (keyed by module path) of ``model(x)``."""
    found: dict[str, np.ndarray] = {}
    handles = []
    for path, module in model.named_modules():
        if isinstance(module, sn.BaseNeuron):

            def hook(mod, inputs, out, path=path):
                found[path] = out.detach().numpy().copy()

            handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            out = model(x).detach().numpy()
    finally:
        for handle in handles:
            handle.remove()
    return found, out


def compare(model: nn.Module, x: torch.Tensor, graph: Graph | None = None) -> Comparison:
    """Trace ``model`` (unless ``graph`` is given) and run both in ``x``'s dtype."""
    dtype = np.float64 if x.dtype == torch.float64 else np.float32
    graph = graph if graph is not None else snncompile.trace(model, x)
    spikes, out = torch_run(model, x)
    result = simulate(graph, x.numpy(), dtype=dtype, record=list(spikes))
    (output,) = graph.outputs
    return Comparison(graph, spikes, {k: result[k] for k in spikes}, out, result[output])
