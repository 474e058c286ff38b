"""The module table of the checkpoint format: torch layers plus snncompile's modules.

snncompile's neurons are described by ``get_config()`` and rebuilt with
``cls(**config)``; the table is built on each call from
``snncompile.neurons.NEURON_TYPES``, so a newly registered neuron is supported without
an edit here. ``TimeDistributed`` is a wrapper whose inner layer is described
recursively.
"""

from __future__ import annotations

from torch import nn

from snncompile.frontend import BUILTIN_SPECS, ModuleSpec
from snncompile.frontend.module_specs import Config
from snncompile.neurons import NEURON_TYPES, BaseNeuron, TimeDistributed

#: Module types the tracer keeps as leaves besides torch's own layers. Subclasses count
#: too, so a user's ``class MyLinear(nn.Linear)`` is refused by name (its type is not in
#: the table) instead of being traced into torch's internals.
LEAF_TYPES: tuple[type[nn.Module], ...] = (
    BaseNeuron,
    TimeDistributed,
    *(t for t in BUILTIN_SPECS if t is not nn.Sequential),
)


def _neuron_spec(name: str, cls: type[BaseNeuron]) -> ModuleSpec:
    def to_config(module: nn.Module) -> Config:
        return dict(module.get_config())  # type: ignore[operator]

    def from_config(config: Config, children: dict[str, nn.Module]) -> nn.Module:
        return cls(**config)

    return ModuleSpec(name, to_config, from_config)


def _time_distributed_from(config: Config, children: dict[str, nn.Module]) -> nn.Module:
    if set(children) != {"module"}:
        raise ValueError(f"TimeDistributed needs exactly one child 'module', got {list(children)}")
    return TimeDistributed(children["module"])


_TIME_DISTRIBUTED = ModuleSpec(
    "TimeDistributed",
    to_config=lambda module: {},
    from_config=_time_distributed_from,
    children=lambda module: {"module": module.module},  # type: ignore[dict-item]
)


def checkpoint_specs() -> dict[type[nn.Module], ModuleSpec]:
    """Every module type a checkpoint can hold, keyed by exact type."""
    specs: dict[type[nn.Module], ModuleSpec] = dict(BUILTIN_SPECS)
    specs.update({cls: _neuron_spec(name, cls) for name, cls in NEURON_TYPES.items()})
    specs[TimeDistributed] = _TIME_DISTRIBUTED
    return specs
