"""Record a torch model's activity during a normal forward, keyed like the reference.

:func:`record_torch` runs ``model(x)`` once with forward hooks on its layers and neuron
modules and returns ``{name: [T, B, *shape]}`` numpy arrays keyed exactly like
``snncompile.reference.simulate(trace(model, x), x, record="all")``:

- a layer or neuron module at path ``p`` → ``p`` (the IR node name of
  :func:`snncompile.frontend.ir_trace.trace`); a ``TimeDistributed`` wrapper is
  transparent (``TimeDistributed(Conv2d)`` at ``conv1`` → ``conv1``; the layers of a
  wrapped container at ``stem`` → ``stem.0``, ``stem.1``…, reshaped from [T·B, ...]
  back to [T, B, ...]);
- a neuron's membrane states → ``"<p>:v_pre"`` (H, before the threshold test) and
  ``"<p>:v"`` (V after the reset), plus the model's extra states under their names;
- the model input → ``"input"`` (``input_name``).

Tensor functions (``x + y``, ``torch.flatten``) have no module and are not recorded.
The dict can be passed to ``snncompile.energy.from_ir.count_ops`` with the traced graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from snncompile.errors import InputError
from snncompile.frontend.ir_trace import LEAF_TYPES
from snncompile.neurons import BaseNeuron, TimeDistributed

#: torch neuron state name → the reference simulator's state name.
_STATE_NAMES = {"h": "v_pre"}


def _array(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


@contextmanager
def _recording_states(neurons: list[BaseNeuron]) -> Iterator[None]:
    saved = [n.record_states for n in neurons]
    for n in neurons:
        n.record_states = True
    try:
        yield
    finally:
        for n, flag in zip(neurons, saved, strict=True):
            n.record_states = flag


def _leaves(model: nn.Module) -> Iterator[tuple[str, nn.Module, str | None]]:
    """(IR node name, module, path of the enclosing TimeDistributed or None) per leaf."""

    def walk(module: nn.Module, path: str, name: str, wrapper: str | None) -> Iterator[Any]:
        if isinstance(module, TimeDistributed):
            yield from walk(module.module, f"{path}.module", name, path)
        elif isinstance(module, LEAF_TYPES) or not list(module.children()):
            yield name, module, wrapper
        else:
            for child, sub in module.named_children():
                yield from walk(
                    sub,
                    f"{path}.{child}" if path else child,
                    f"{name}.{child}" if name else child,
                    wrapper,
                )

    yield from walk(model, "", "", None)


def record_torch(
    model: nn.Module, inputs: torch.Tensor, *, input_name: str = "input"
) -> dict[str, np.ndarray]:
    """Run ``model(inputs)`` (time-major [T, B, ...]) and return every layer's outputs.

    See the module docstring for the keys. The model runs under ``torch.no_grad()`` in
    its current mode (call ``model.eval()`` first); neuron modules record their states
    for this call only (``record_states`` is restored afterwards).

    Raises:
        InputError: ``inputs`` is not a time-major tensor of rank >= 3.
    """
    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 3:
        raise InputError(
            "record_torch: inputs must be a time-major tensor [T, B, ...]",
            hint="pass e.g. x of shape [T, B, C, H, W]",
        )
    steps, batch = int(inputs.shape[0]), int(inputs.shape[1])
    recorded: dict[str, np.ndarray] = {input_name: _array(inputs)}
    leaves = [(n, m, w) for n, m, w in _leaves(model) if n]
    if not leaves:  # the model is itself a leaf (a lone neuron or layer)
        leaves = [(type(model).__name__, model, None)]

    def hook(name: str, per_step: bool) -> Any:
        def record(_module: nn.Module, _args: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                y = _array(output)
                recorded[name] = y.reshape(steps, batch, *y.shape[1:]) if per_step else y

        return record

    neurons = [m for _, m, _ in leaves if isinstance(m, BaseNeuron)]
    handles = [m.register_forward_hook(hook(n, w is not None)) for n, m, w in leaves]
    try:
        with _recording_states(neurons), torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    for name, module, _ in leaves:
        if isinstance(module, BaseNeuron):
            for key, value in module.recorded.items():
                recorded[f"{name}:{_STATE_NAMES.get(key, key)}"] = _array(value)
    return recorded


__all__ = ["record_torch"]
