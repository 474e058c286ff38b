"""The execution profile: how a graph's continuous-time NIR primitives are discretised.

NIR leaves dt, the integrator, the update order, the reset style and timing, the
threshold comparison and graded spikes undefined (docs/nir.md §3-§4). snncompile makes
them explicit, per graph, with optional per-node overrides.

Scope. The profile governs the **NIR primitive** nodes (``LI``, ``LIF``, ``I``, ``IF``,
``CubaLI``, ``CubaLIF``, ``Threshold``, ``Delay``). Native nodes (``SoftLIF``, ``PLIF``,
``DALIF``, ``CLIF``, ``ILIF``) carry their own exact discrete-time equations, always fire
on ``>=`` and ignore the profile; ``dt`` is still recorded for export.

Discretisation of a leaky state with time constant τ (true τ = file τ · ``tau_scale``),
with a = dt/τ (``euler``) or a = 1 − exp(−dt/τ) (``exact``) and β = 1 − a::

    input_gain="nir":  v[t] = β·v[t−1] + a·(v_leak + r·x[t])
    input_gain="unit": v[t] = β·v[t−1] + a·v_leak + x[t]
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from snncompile.errors import ConfigError

Integrator = Literal["euler", "exact"]
SynapseOrder = Literal["syn_first", "jump", "jump_decay"]
ResetMode = Literal["to_value", "subtract", "none"]
ResetTiming = Literal["same_step", "next_step"]
Compare = Literal[">", ">="]
SpikeMode = Literal["binary", "multi"]
InputGain = Literal["nir", "unit"]
TimeUnit = Literal["s", "steps"]
RecurrentStart = Literal["zero", "bias"]
MembraneFloor = Literal["none", "-threshold"]

#: Legal values of every enumerated profile field (the single source for validation).
CHOICES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "time_unit": ("s", "steps"),
        "integrator": ("euler", "exact"),
        "synapse_order": ("syn_first", "jump", "jump_decay"),
        "reset": ("to_value", "subtract", "none"),
        "reset_timing": ("same_step", "next_step"),
        "compare": (">", ">="),
        "spike_mode": ("binary", "multi"),
        "input_gain": ("nir", "unit"),
        "recurrent_t0": ("zero", "bias"),
        "membrane_floor": ("none", "-threshold"),
    }
)


@dataclass(frozen=True)
class ExecutionProfile:
    """Discrete-time semantics of the NIR primitives in a graph.

    Attributes:
        dt: time step, in ``time_unit``. Default 1e-4 s (snnTorch/SpikingJelly).
        time_unit: ``"s"`` (seconds) or ``"steps"`` (sinabs: τ counted in steps, dt = 1).
        integrator: ``"euler"`` (β = 1 − dt/τ) or ``"exact"`` (β = exp(−dt/τ)).
        synapse_order: CubaLIF update order. With α_s, a_s the synaptic decay and rate:
            ``syn_first``: i = α_s·i + a_s·w_in·x, then v integrates the new i;
            ``jump`` (Norse): i' = i + w_in·x, v integrates i', then i = α_s·i';
            ``jump_decay`` (Rockpool): i = α_s·(i + w_in·x), then v integrates i.
            (``input_gain="unit"`` replaces a_s·w_in and w_in by 1.)
        reset: ``"to_value"`` (v = v_reset), ``"subtract"`` (v −= θ·n) or ``"none"``.
        reset_timing: ``"same_step"``, or ``"next_step"`` (snnTorch): the reset of a spike
            at t is applied at t+1, to_value before the charge, subtract after it.
        compare: spike condition ``v > θ`` or ``v >= θ`` for binary spikes.
        spike_mode: ``"binary"`` (s ∈ {0, 1}) or ``"multi"``: n = clip(floor(v/θ), 0,
            max_spikes), i.e. inclusive at v = θ whatever ``compare`` says.
        max_spikes: upper bound D of a multi-spike count (None: unbounded).
        refractory: steps after a spike during which v is held and no spike is emitted.
        input_gain: ``"nir"`` uses the file's r and w_in; ``"unit"`` ignores them.
        tau_scale: factor from the stored τ to the true τ (Norse stores dt·τ: 1/dt).
        recurrent_t0: what a back edge into the node carries at t = 0: ``"zero"``, or
            ``"bias"``: its source's output for zero input from its initial state (a
            recurrent Affine's bias, which snnTorch's RLeaky/RSynaptic deliver at t = 0).
        membrane_floor: ``"none"``, or ``"-threshold"``: after the reset the potential is
            floored at f = −θ as V = max(V − f, 0) + f (computed so, as sinabs does; it
            can differ from max(V, f) in the last bit). ``sinabs.from_nir`` builds every
            IAF layer so.
        overrides: per-node field overrides, ``{node name: {field: value}}``.
    """

    dt: float = 1e-4
    time_unit: TimeUnit = "s"
    integrator: Integrator = "euler"
    synapse_order: SynapseOrder = "syn_first"
    reset: ResetMode = "to_value"
    reset_timing: ResetTiming = "same_step"
    compare: Compare = ">"
    spike_mode: SpikeMode = "binary"
    max_spikes: int | None = None
    refractory: int = 0
    input_gain: InputGain = "nir"
    tau_scale: float = 1.0
    recurrent_t0: RecurrentStart = "zero"
    membrane_floor: MembraneFloor = "none"
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        own = {name: getattr(self, name) for name in OVERRIDABLE}
        _check_fields(own, where="graph profile")
        frozen = {}
        for name, fields in self.overrides.items():
            bad = sorted(set(fields) - set(OVERRIDABLE))
            if bad:
                raise ConfigError(
                    f"profile override for node {name!r} sets unknown field(s) {bad}",
                    node=name,
                    hint=f"overridable fields: {', '.join(OVERRIDABLE)}",
                )
            _check_fields({**own, **fields}, where=name)
            frozen[name] = MappingProxyType(dict(fields))
        object.__setattr__(self, "overrides", MappingProxyType(frozen))

    def for_node(self, name: str) -> ExecutionProfile:
        """The profile that applies to node ``name`` (its overrides merged, none left)."""
        fields = self.overrides.get(name)
        return dataclasses.replace(self, overrides={}, **(fields or {}))

    def with_override(self, name: str, **fields: Any) -> ExecutionProfile:
        """A copy with ``fields`` overridden for node ``name`` (merged with existing ones)."""
        merged = {k: dict(v) for k, v in self.overrides.items()}
        merged.setdefault(name, {}).update(fields)
        return dataclasses.replace(self, overrides=merged)

    def without_node(self, name: str) -> ExecutionProfile:
        """A copy without the overrides of node ``name``."""
        kept = {k: v for k, v in self.overrides.items() if k != name}
        return dataclasses.replace(self, overrides=kept)

    def graph_fields(self) -> dict[str, Any]:
        """The graph-wide fields (everything except ``overrides``), in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)[:-1]}


#: Fields a per-node override may set (all but the override table itself).
OVERRIDABLE: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ExecutionProfile) if f.name != "overrides"
)


def _check_fields(fields: Mapping[str, Any], *, where: str) -> None:
    for name, allowed in CHOICES.items():
        value = fields[name]
        if value not in allowed:
            raise ConfigError(
                f"{where}: execution profile field {name!r} is {value!r}",
                node=None if where == "graph profile" else where,
                hint=f"use one of {', '.join(repr(a) for a in allowed)}",
            )
    for name in ("dt", "tau_scale"):
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(
                f"{where}: execution profile field {name!r} must be a number, "
                f"got {type(value).__name__} {value!r}",
                hint=f"pass a positive float, e.g. {name}=1e-4",
            )
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(
                f"{where}: execution profile field {name!r} is {value!r}, expected a "
                "finite value > 0",
                hint=f"pass a positive float, e.g. {name}={1e-4 if name == 'dt' else 1.0}",
            )
    _check_int(fields["refractory"], "refractory", where, minimum=0)
    if fields["max_spikes"] is not None:
        _check_int(fields["max_spikes"], "max_spikes", where, minimum=1)


def _check_int(value: object, name: str, where: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{where}: execution profile field {name!r} is {value!r}, expected an "
            f"integer >= {minimum}",
            hint=f"pass e.g. {name}={minimum}",
        )


def field_types() -> dict[str, Any]:
    """The resolved type annotation of every overridable field (``Literal[...]``, ``float``,
    ``int``, ``int | None``, ...), the single source for parsing ``--set`` values."""
    hints = typing.get_type_hints(ExecutionProfile)
    return {name: hints[name] for name in OVERRIDABLE}


def describe_type(annotation: Any) -> str:
    """A user-facing name of a field type: ``one of 'euler', 'exact'``, ``a number``..."""
    options = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in options)
    if type(None) in options:
        inner = [describe_type(a) for a in options if a is not type(None)]
        return " or ".join(inner) + " or none"
    if annotation is float:
        return "a number"
    if annotation is int:
        return "an integer"
    if annotation is bool:
        return "true or false"
    return getattr(annotation, "__name__", str(annotation))


def coerce_field(name: str, value: Any, *, where: str) -> Any:
    """``value`` as field ``name`` holds it; strings (from the command line) are parsed.

    Raises:
        ConfigError: unknown field (the valid ones listed), or a value of the wrong type
            (the field and its expected type named).
    """
    types = field_types()
    if name not in types:
        raise ConfigError(
            f"{where}: unknown execution profile field {name!r}",
            hint=f"profile fields: {', '.join(OVERRIDABLE)} (see docs/nir.md)",
        )
    annotation = types[name]
    parsed = _parse(annotation, value)
    if parsed is _BAD:
        shown = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise ConfigError(
            f"{where}: execution profile field {name!r} expects {describe_type(annotation)}, "
            f"got {shown}",
            hint=f"give {name} {describe_type(annotation)}, e.g. {name}={_example(annotation)}",
        )
    return parsed


_BAD = object()


def _parse(annotation: Any, value: Any) -> Any:
    """``value`` converted to ``annotation``, or ``_BAD``."""
    options = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return value if isinstance(value, str) and value in options else _BAD
    if type(None) in options:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        for inner in options:
            if inner is not type(None) and (parsed := _parse(inner, value)) is not _BAD:
                return parsed
        return _BAD
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower() if isinstance(value, str) else ""
        return {"true": True, "1": True, "false": False, "0": False}.get(text, _BAD)
    if annotation in (int, float) and isinstance(value, str):
        try:
            value = annotation(value)
        except ValueError:
            try:  # "1e3" or "2.0" for an integer field: only when integral
                number = float(value)
            except ValueError:
                return _BAD
            value = int(number) if annotation is int and number.is_integer() else _BAD
        return value
    if isinstance(value, bool):
        return _BAD
    if annotation is float and isinstance(value, (int, float)):
        return value
    if annotation is int and isinstance(value, int):
        return value
    return _BAD


def _example(annotation: Any) -> str:
    options = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return str(options[0])
    if type(None) in options:
        return _example(next(a for a in options if a is not type(None)))
    return {float: "1e-3", int: "1", bool: "true"}.get(annotation, "...")
