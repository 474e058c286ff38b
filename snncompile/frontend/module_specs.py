"""Supported torch layers: "config from a module" and "module from config".

A :class:`ModuleSpec` turns a layer into plain data (its constructor keywords, JSON-able)
and back. Wrappers (``nn.Sequential``, snncompile's ``TimeDistributed``) also name their
child modules, which are described recursively. The checkpoint format stores these
descriptions instead of pickled classes, and the torch.fx → IR tracer reads the same
table to know which layers it supports.

:data:`BUILTIN_SPECS` covers the torch layers; callers merge their own entries on top
(``{**BUILTIN_SPECS, MyLayer: spec}``), e.g. the snncompile neuron modules, which this
package cannot import (layering: ``frontend`` imports only torch, ``ir`` and errors).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from snncompile.errors import ConfigError, TraceError

Config = dict[str, Any]


@dataclass(frozen=True)
class ModuleSpec:
    """How one module type becomes plain data and back.

    Attributes:
        name: the type's name in files (e.g. ``"Conv2d"``, ``"LIF"``).
        to_config: module → constructor keywords (JSON-able values only).
        from_config: (keywords, children by name) → a new module.
        children: module → its child modules that are described recursively
            (``None`` for plain layers).
    """

    name: str
    to_config: Callable[[nn.Module], Config]
    from_config: Callable[[Config, dict[str, nn.Module]], nn.Module]
    children: Callable[[nn.Module], dict[str, nn.Module]] | None = None


SpecTable = Mapping[type[nn.Module], ModuleSpec]


def _plain(value: Any) -> Any:
    """Tuples to lists (recursively), so configs are JSON-shaped."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _tupled(value: Any) -> Any:
    """Lists back to tuples (recursively), as torch layers store them."""
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


def _fields(*names: str) -> Callable[[nn.Module], Config]:
    def to_config(module: nn.Module) -> Config:
        return {n: _plain(getattr(module, n)) for n in names}

    return to_config


def _build(cls: type[nn.Module]) -> Callable[[Config, dict[str, nn.Module]], nn.Module]:
    def from_config(config: Config, children: dict[str, nn.Module]) -> nn.Module:
        return cls(**{k: _tupled(v) for k, v in config.items()})

    return from_config


def _with_bias(*names: str) -> Callable[[nn.Module], Config]:
    base = _fields(*names)

    def to_config(module: nn.Module) -> Config:
        return {**base(module), "bias": getattr(module, "bias", None) is not None}

    return to_config


def _simple(cls: type[nn.Module], to_config: Callable[[nn.Module], Config]) -> ModuleSpec:
    return ModuleSpec(cls.__name__, to_config, _build(cls))


def _sequential_children(module: nn.Module) -> dict[str, nn.Module]:
    return OrderedDict(module.named_children())


def _sequential_from(config: Config, children: dict[str, nn.Module]) -> nn.Module:
    return nn.Sequential(OrderedDict(children))


_CONV = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "padding_mode",
)
_BN = ("num_features", "eps", "momentum", "affine", "track_running_stats")

#: Torch layers the checkpoint format and the tracer support, by exact type.
BUILTIN_SPECS: dict[type[nn.Module], ModuleSpec] = {
    nn.Linear: _simple(nn.Linear, _with_bias("in_features", "out_features")),
    nn.Conv1d: _simple(nn.Conv1d, _with_bias(*_CONV)),
    nn.Conv2d: _simple(nn.Conv2d, _with_bias(*_CONV)),
    nn.BatchNorm1d: _simple(nn.BatchNorm1d, _fields(*_BN)),
    nn.BatchNorm2d: _simple(nn.BatchNorm2d, _fields(*_BN)),
    nn.AvgPool2d: _simple(
        nn.AvgPool2d,
        _fields(
            "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"
        ),
    ),
    nn.MaxPool2d: _simple(
        nn.MaxPool2d,
        _fields("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    ),
    nn.Flatten: _simple(nn.Flatten, _fields("start_dim", "end_dim")),
    nn.Unflatten: _simple(nn.Unflatten, _fields("dim", "unflattened_size")),
    nn.Dropout: _simple(nn.Dropout, _fields("p", "inplace")),
    nn.Identity: _simple(nn.Identity, _fields()),
    nn.ReLU: _simple(nn.ReLU, _fields("inplace")),
    nn.Sequential: ModuleSpec("Sequential", _fields(), _sequential_from, _sequential_children),
}


def supported_names(specs: SpecTable) -> str:
    """Comma-separated sorted type names of a spec table (for error messages)."""
    return ", ".join(sorted(spec.name for spec in specs.values()))


def _check_plain(value: Any, where: str) -> None:
    """Raise :class:`TraceError` unless ``value`` is JSON-shaped plain data."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if math.isfinite(value):
            return
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
        return
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TraceError(f"{where}: dict key {k!r} is not a string")
            _check_plain(v, f"{where}.{k}")
        return
    raise TraceError(
        f"{where} = {value!r} ({type(value).__name__}) is not plain data "
        "(None, bool, int, finite float, str, list, dict)",
        hint="a module's config must hold only JSON-able constructor arguments",
    )


def module_to_spec(module: nn.Module, path: str, specs: SpecTable) -> Config:
    """Describe ``module`` (found at ``path``) as ``{"type", "config"[, "children"]}``.

    Raises:
        TraceError: the module's exact type is not in ``specs``, or its config is not
            plain data. The message names the path, the type and the supported types.
    """
    spec = specs.get(type(module))
    where = path or "<root>"
    if spec is None:
        raise TraceError(
            f"unsupported module at '{where}': {type(module).__module__}."
            f"{type(module).__qualname__}; supported: {supported_names(specs)}",
            node=where,
            hint="replace it with a supported layer, or wrap per-step layers in "
            "snncompile.neurons.TimeDistributed",
        )
    config = spec.to_config(module)
    _check_plain(config, f"config of '{where}' ({spec.name})")
    described: Config = {"type": spec.name, "config": config}
    if spec.children is not None:
        described["children"] = {
            name: module_to_spec(child, f"{path}.{name}" if path else name, specs)
            for name, child in spec.children(module).items()
        }
    return described


def module_from_spec(described: Any, path: str, specs: SpecTable) -> nn.Module:
    """Rebuild a module from :func:`module_to_spec`'s output (fresh parameters).

    Raises:
        ConfigError: unknown type name, malformed description, or a config the
            layer's constructor rejects; the message names the path.
    """
    where = path or "<root>"
    if not (
        isinstance(described, dict)
        and isinstance(described.get("type"), str)
        and isinstance(described.get("config"), dict)
    ):
        raise ConfigError(
            f"module description at '{where}' is malformed: {described!r}",
            node=where,
            hint="the file is damaged; save the model again",
        )
    by_name = {spec.name: spec for spec in specs.values()}
    spec = by_name.get(described["type"])
    if spec is None:
        raise ConfigError(
            f"module at '{where}' has unknown type {described['type']!r}; this snncompile "
            f"knows: {supported_names(specs)}",
            node=where,
            hint="load it with the snncompile version that saved it (or a newer one)",
        )
    raw_children = described.get("children", {})
    if not isinstance(raw_children, dict):
        raise ConfigError(
            f"children of '{where}' are malformed",
            node=where,
            hint="the file is damaged; save the model again",
        )
    children = {
        name: module_from_spec(child, f"{path}.{name}" if path else name, specs)
        for name, child in raw_children.items()
    }
    try:
        return spec.from_config(dict(described["config"]), children)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"cannot build {spec.name} at '{where}' from config {described['config']!r}: {exc}",
            node=where,
            hint="the file was written by an incompatible snncompile or torch version",
        ) from exc
