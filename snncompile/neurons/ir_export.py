"""Helpers the neuron modules' ``to_ir(shape)`` methods share.

Invariants of every ``to_ir`` built on these helpers:

- the returned IR node's per-neuron arrays have exactly the **population shape** ``shape``
  (one time step of one sample: batch and time excluded), except DA-LIF's α/β, which keep
  their per-layer ``(1,)`` or per-channel ``(C,)`` form;
- arrays are fresh numpy copies of the detached parameters (later training does not
  change an exported graph), in the parameter's dtype (Python-float hyperparameters
  become float64);
- options that only affect training (surrogate, ``detach_reset``, backend) are ignored;
  options without an IR form raise :class:`~snncompile.errors.TraceError` naming the
  module type and the option.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from snncompile.errors import TraceError


def population(module: Any, shape: Sequence[int]) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints, after checking ``module`` is exportable.

    Raises:
        TraceError: ``shape`` is not a non-empty sequence of positive ints, or the module
            runs in single-step mode (its state would carry across calls, which a
            graph of whole sequences cannot express).
    """
    name = type(module).__name__
    items = tuple(shape) if isinstance(shape, (tuple, list, torch.Size)) else ()
    ints = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in items)
    dims = tuple(int(d) for d in items) if ints else ()
    if not dims or any(d < 1 for d in dims):
        raise TraceError(
            f"{name}.to_ir: population shape {shape!r} must be a non-empty sequence of "
            "positive ints (one sample of one time step: no batch or time axis)",
            hint="pass e.g. (128,) for a dense layer or (C, H, W) after a convolution",
        )
    if getattr(module, "step_mode", "m") != "m":
        raise TraceError(
            f"{name} with step_mode={module.step_mode!r} cannot be exported: single-step "
            "modules carry state across calls, and a compiled graph runs whole sequences",
            hint="construct the neuron with step_mode='m' (the default) before tracing",
        )
    return dims


def full(shape: tuple[int, ...], value: Any, dtype: Any = np.float64) -> np.ndarray:
    """A fresh array of ``shape`` filled with ``value`` (a float or a 0-dim array)."""
    return np.full(shape, np.asarray(value, dtype=dtype), dtype=dtype)


def numpy_of(tensor: torch.Tensor) -> np.ndarray:
    """A detached numpy copy of ``tensor`` in its own dtype (on the CPU)."""
    return tensor.detach().cpu().numpy().copy()
