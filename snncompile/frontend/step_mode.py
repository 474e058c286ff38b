"""Which time layout a model is written for: time-major or per-step.

A **time-major** model (neurons in ``step_mode="m"``, the default) takes the whole
sequence ``[T, B, ...]``; its per-step layers sit in ``TimeDistributed``. A **per-step**
model (snnTorch style: every neuron in ``step_mode="s"``, plain ``nn.Conv2d``/
``nn.Flatten``/``nn.Linear``) takes one step ``[B, ...]`` and the caller loops over time,
the neurons carrying their state between calls. Both mean the same network: the per-step
model called at t = 0 … T−1 from reset state computes, step by step, what the time-major
model computes on the stacked sequence, so both trace to one IR graph.

A model is per-step iff it has neurons and all of them are in ``step_mode="s"``; a model
without neurons is time-major (the rule before per-step models existed). Mixing the modes
is refused: such a model runs neither way.
"""

from __future__ import annotations

import copy
from typing import Literal

from torch import nn

from snncompile.errors import TraceError

StepMode = Literal["m", "s"]

#: How each mode reads a tensor between modules.
LAYOUTS: dict[str, str] = {"m": "time-major [T, B, ...]", "s": "one step [B, ...]"}

MIXED_HINT = (
    "give every neuron the same step_mode: either step_mode='m' (the default) everywhere, "
    "with per-step layers inside snncompile.neurons.TimeDistributed and a [T, B, ...] "
    "example, or step_mode='s' everywhere, with plain layers, a one-step [B, ...] example "
    "and the loop over time outside the model"
)


def neuron_step_modes(model: nn.Module) -> dict[str, list[tuple[str, str]]]:
    """``{"m": [...], "s": [...]}``: the ``(module path, type name)`` of the neurons in
    each step mode; neurons are the modules with ``to_ir`` and a ``step_mode``."""
    found: dict[str, list[tuple[str, str]]] = {"m": [], "s": []}
    for path, module in model.named_modules():
        mode = getattr(module, "step_mode", None)
        if callable(getattr(module, "to_ir", None)) and mode in found:
            found[str(mode)].append((path or "<root>", type(module).__name__))
    return found


def listed(modules: list[tuple[str, str]], limit: int = 8) -> str:
    """``'path' (Type), ...`` of at most ``limit`` modules, then how many more."""
    shown = ", ".join(f"'{path}' ({kind})" for path, kind in modules[:limit])
    return shown + (f" and {len(modules) - limit} more" if len(modules) > limit else "")


def model_step_mode(model: nn.Module) -> StepMode:
    """``"s"`` for a per-step model, ``"m"`` for a time-major one (module docstring).

    Raises:
        TraceError: the neurons mix both modes; the message lists the modules in each.
    """
    modes = neuron_step_modes(model)
    if modes["m"] and modes["s"]:
        raise TraceError(
            f"{type(model).__name__} mixes neuron step modes, so it runs neither time-major "
            f"nor one step at a time: step_mode='m' ({LAYOUTS['m']}): "
            f"{listed(modes['m'])}; step_mode='s' ({LAYOUTS['s']}): {listed(modes['s'])}",
            node=modes["s"][0][0],
            hint=MIXED_HINT,
        )
    return "s" if modes["s"] else "m"


def as_multistep(neuron: nn.Module) -> nn.Module:
    """A shallow copy of a ``step_mode="s"`` neuron in ``step_mode="m"`` (same parameter
    tensors), for ``to_ir``.

    ``to_ir`` refuses single-step modules on their own because their state outlives a
    call; inside a per-step model traced as a whole the state lives exactly for one
    sequence (the caller resets between sequences), which is what the IR node means.
    The user's module is not modified.
    """
    twin = copy.copy(neuron)
    twin.__dict__["step_mode"] = "m"  # a plain attribute: the copy has its own __dict__
    return twin
