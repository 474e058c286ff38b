"""Dialect presets: how each framework's NIR files are meant to be executed (docs/nir.md §5).

A preset is an execution profile plus the parameter convention the framework writes,
checked on import: a contradiction becomes a warning naming the node, the parameter,
the expected and the actual value.

============= ======= ========= ======== =========== ======== ====== ===== ====== ====== =====
dialect       dt      time unit integr.  synapse     reset    timing cmp   spikes gain   τ scl
============= ======= ========= ======== =========== ======== ====== ===== ====== ====== =====
snncompile    1e-4    s         euler    syn_first   to_value same   >     binary nir    1
snntorch      1e-4    s         euler    syn_first   to_value next   >     binary nir    1
spikingjelly  1e-4    s         euler    syn_first   to_value same   >=    binary nir    1
norse         1e-3    s         euler    jump        to_value same   >     binary nir    1/dt
sinabs        1       steps     exact    syn_first   subtract same   >=    multi  unit   1
sinabs-f.n.   1       steps     exact    syn_first   subtract same   >=    multi  unit   1
rockpool      1e-3    s         exact    jump_decay  subtract same   >=    multi  unit   1
lava-dl       1e-4    s         euler    syn_first   to_value same   >     binary nir    1
============= ======= ========= ======== =========== ======== ====== ===== ====== ====== =====

``snntorch`` also delivers a recurrent layer's bias at t = 0 (``recurrent_t0="bias"``).
Per-node rules (``Dialect.node_rules``) add what depends on the neuron class: snnTorch's
reset delay, Norse's unit-gain IF, ``sinabs.from_nir``'s membrane floor (docs/nir.md §5).

Files written by snncompile carry their own profile in metadata, which the
``snncompile`` dialect reads; user overrides win over both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import nir
import numpy as np

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.ir.profile import OVERRIDABLE, ExecutionProfile, coerce_field

Check = Callable[[str, Any, float], list[str]]
#: Per-node profile fields a framework's semantics imply for one graph (node types and
#: structure decide), given the graph under the graph-wide profile and user overrides.
NodeRules = Callable[[Graph], dict[str, dict[str, Any]]]


def _no_rules(graph: Graph) -> dict[str, dict[str, Any]]:
    return {}


@dataclass(frozen=True)
class Dialect:
    """A framework's execution profile and parameter convention."""

    name: str
    profile: Mapping[str, Any]
    check: Check
    note: str
    node_rules: NodeRules = _no_rules


def _snntorch_nodes(graph: Graph) -> dict[str, dict[str, Any]]:
    """snnTorch's Synaptic, RLeaky and RSynaptic (a CubaLIF, or a LIF with a recurrent
    back edge) resetting to zero discard the whole charge on the step after a spike
    (their ``reset_delay``: V[t+1] = 0 after the charge), where Leaky only zeroes V[t]
    before it. Those spikes equal a same-step reset followed by one refractory step."""
    recurrent = {dst for _, dst in graph.back_edges}
    rules: dict[str, dict[str, Any]] = {}
    for name, node in graph.nodes.items():
        delayed = isinstance(node, nir.CubaLIF) or (isinstance(node, nir.LIF) and name in recurrent)
        profile = graph.node_profile(name)
        if delayed and profile.reset == "to_value" and profile.reset_timing == "next_step":
            rules[name] = {"reset_timing": "same_step", "refractory": 1}
    return rules


def _sinabs_from_nir_nodes(graph: Graph) -> dict[str, dict[str, Any]]:
    """``sinabs.from_nir`` builds every IF as an IAF with ``min_v_mem = -v_threshold``."""
    return {
        name: {"membrane_floor": "-threshold"}
        for name, n in graph.nodes.items()
        if isinstance(n, nir.IF)
    }


def _norse_nodes(graph: Graph) -> dict[str, dict[str, Any]]:
    """Norse's IF integrates its input at unit gain (v += x), not at dt·r."""
    return {
        name: {"input_gain": "unit"} for name, n in graph.nodes.items() if isinstance(n, nir.IF)
    }


def _mismatch(dialect: str, name: str, node: Any, param: str, expected: Any, rule: str) -> str:
    actual = np.asarray(getattr(node, param), dtype=np.float64)
    expected = np.broadcast_to(np.asarray(expected, dtype=np.float64), actual.shape)
    if np.allclose(actual, expected, rtol=1e-5, atol=1e-12):
        return ""
    index = np.argmax(~np.isclose(actual, expected, rtol=1e-5, atol=1e-12))
    return (
        f"{dialect} dialect: node {name!r} ({type(node).__name__}) parameter {param!r} "
        f"expected {expected.ravel()[index].item()!r} ({rule}), actual "
        f"{actual.ravel()[index].item()!r}"
    )


Rule = tuple[str, Callable[[Any, float], Any], str]


def _rules(dialect: str, rules: dict[type, list[Rule]]) -> Check:
    def check(name: str, node: Any, dt: float) -> list[str]:
        found = []
        for param, expected, rule in rules.get(type(node), []):
            found.append(_mismatch(dialect, name, node, param, expected(node, dt), rule))
        return [m for m in found if m]

    return check


def _tau_over_dt(field: str) -> Callable[[Any, float], Any]:
    return lambda node, dt: getattr(node, field) / dt


def _one(node: Any, dt: float) -> Any:
    return 1.0


def _zero(node: Any, dt: float) -> Any:
    return 0.0


#: SpikingJelly starts every membrane at v_reset (``register_memory("v", v_reset)``);
#: snncompile starts at 0, so only v_reset = 0 runs as SpikingJelly runs it.
_SJ_START = "0: SpikingJelly starts the membrane at v_reset, snncompile at 0"


def _spikingjelly(name: str, node: Any, dt: float) -> list[str]:
    found = []
    if isinstance(node, (nir.IF, nir.LIF, nir.CubaLIF)):
        found.append(_mismatch("spikingjelly", name, node, "v_reset", 0.0, _SJ_START))
    if isinstance(node, nir.LIF):
        # decay_input=True writes r = 1, decay_input=False writes r = tau/dt.
        unit = _mismatch("spikingjelly", name, node, "r", 1.0, "1 with decay_input")
        scaled = _mismatch("spikingjelly", name, node, "r", node.tau / dt, "tau/dt")
        found += [scaled] if unit and scaled else []
        found.append(_mismatch("spikingjelly", name, node, "v_leak", node.v_reset, "v_reset"))
        return [m for m in found if m]
    return [m for m in found if m] + _rules(
        "spikingjelly",
        {
            nir.IF: [("r", lambda n, dt: 1.0 / dt, "1/dt")],
            nir.CubaLIF: [
                ("r", _tau_over_dt("tau_mem"), "tau_mem/dt"),
                ("w_in", _tau_over_dt("tau_syn"), "tau_syn/dt"),
            ],
        },
    )(name, node, dt)


def _rockpool_r(field: str) -> Callable[[Any, float], Any]:
    return lambda node, dt: getattr(node, field) * np.exp(-dt / getattr(node, field)) / dt


DIALECTS: Mapping[str, Dialect] = MappingProxyType(
    {
        "snncompile": Dialect(
            "snncompile", {}, lambda name, node, dt: [], "profile read from the file's metadata"
        ),
        "snntorch": Dialect(
            "snntorch",
            {"dt": 1e-4, "reset_timing": "next_step", "compare": ">", "recurrent_t0": "bias"},
            _rules(
                "snntorch",
                {
                    nir.LIF: [("r", _tau_over_dt("tau"), "tau/dt"), ("v_leak", _zero, "0")],
                    nir.CubaLIF: [
                        ("r", _tau_over_dt("tau_mem"), "tau_mem/dt"),
                        ("w_in", _tau_over_dt("tau_syn"), "tau_syn/dt"),
                    ],
                },
            ),
            "snnTorch 1.0.0: dt hard-coded to 1e-4; resets act on the next step (Synaptic, "
            "RLeaky, RSynaptic: the charge of that step is discarded); recurrent bias at "
            "t = 0; export always writes v_reset = 0 (a subtract reset is lost)",
            _snntorch_nodes,
        ),
        "spikingjelly": Dialect(
            "spikingjelly",
            {"dt": 1e-4, "compare": ">="},
            _spikingjelly,
            "SpikingJelly 2.0.0: hard reset only (export refuses soft reset), fires on >=; "
            "membranes start at v_reset (only v_reset = 0 is reproduced)",
        ),
        "norse": Dialect(
            "norse",
            {"dt": 1e-3, "synapse_order": "jump"},
            _rules(
                "norse",
                {
                    nir.LIF: [("r", _one, "1")],
                    nir.CubaLIF: [("r", _one, "1"), ("w_in", _one, "1")],
                },
            ),
            "Norse 1.1.0: files store dt*tau (tau_scale = 1/dt); CubaLIF input is a current "
            "jump; IF integrates at unit gain",
            _norse_nodes,
        ),
        "sinabs": Dialect(
            "sinabs",
            {
                "dt": 1,
                "time_unit": "steps",
                "integrator": "exact",
                "reset": "subtract",
                "compare": ">=",
                "spike_mode": "multi",
                "input_gain": "unit",
            },
            _rules("sinabs", {nir.LIF: [("r", _one, "1")], nir.IF: [("r", _one, "1")]}),
            "sinabs 2.0.3: tau in steps, exact decay, MembraneSubtract + MultiSpike defaults",
        ),
        "sinabs-from-nir": Dialect(
            "sinabs-from-nir",
            {
                "dt": 1,
                "time_unit": "steps",
                "integrator": "exact",
                "reset": "subtract",
                "compare": ">=",
                "spike_mode": "multi",
                "input_gain": "unit",
            },
            _rules("sinabs-from-nir", {nir.LIF: [("r", _one, "1")], nir.IF: [("r", _one, "1")]}),
            "sinabs.from_nir (sinabs 3.1.3): the sinabs preset, and every IF layer floored at "
            "-threshold (min_v_mem)",
            _sinabs_from_nir_nodes,
        ),
        "rockpool": Dialect(
            "rockpool",
            {
                "dt": 1e-3,
                "integrator": "exact",
                "synapse_order": "jump_decay",
                "reset": "subtract",
                "compare": ">=",
                "spike_mode": "multi",
                "input_gain": "unit",
            },
            _rules(
                "rockpool",
                {
                    nir.LIF: [("r", _rockpool_r("tau"), "tau*exp(-dt/tau)/dt")],
                    nir.CubaLIF: [("r", _rockpool_r("tau_mem"), "tau_mem*exp(-dt/tau_mem)/dt")],
                },
            ),
            "Rockpool 3.1.0: exact decays, file r and w_in ignored, subtract + multi-spike",
        ),
        "lava-dl": Dialect(
            "lava-dl",
            {"dt": 1e-4, "compare": ">"},
            _rules(
                "lava-dl",
                {
                    nir.LIF: [("r", _tau_over_dt("tau"), "tau/dt")],
                    nir.CubaLIF: [
                        ("r", _tau_over_dt("tau_mem"), "tau_mem/dt"),
                        ("v_leak", _zero, "0"),
                    ],
                },
            ),
            "lava-dl (NIR repo scripts): Loihi CUBA, requires r = tau_mem/dt and v_leak = 0",
        ),
    }
)


def get_dialect(name: str) -> Dialect:
    """The preset named ``name``.

    Raises:
        ConfigError: unknown dialect.
    """
    if name not in DIALECTS:
        raise ConfigError(
            f"unknown NIR dialect {name!r}",
            hint=f"choose one of: {', '.join(DIALECTS)} (`snncompile dialects` shows what each "
            "sets)",
        )
    return DIALECTS[name]


def dialect_profile(
    name: str, base: Mapping[str, Any] | None = None, **overrides: Any
) -> ExecutionProfile:
    """The execution profile of dialect ``name``: preset, then ``base``, then ``overrides``.

    Norse's ``tau_scale`` defaults to 1/dt of the resulting dt.
    """
    fields: dict[str, Any] = dict(get_dialect(name).profile)
    fields.update(base or {})
    fields.update(overrides)
    if name == "norse" and "tau_scale" not in overrides and "tau_scale" not in (base or {}):
        dt = fields.get("dt", 1e-3)
        fields["tau_scale"] = 1.0 / dt if isinstance(dt, (int, float)) and dt > 0 else 1.0
        if math.isclose(fields["tau_scale"], round(fields["tau_scale"]), rel_tol=1e-12):
            fields["tau_scale"] = float(round(fields["tau_scale"]))
    return ExecutionProfile(**fields)


#: Profile overrides as the API takes them: ``{"FIELD": value}`` (graph-wide),
#: ``{"NODE.FIELD": value}`` or ``{"NODE": {"FIELD": value}}`` (one node). Values may be
#: strings, parsed by the field's type (what ``--set FIELD=VALUE`` gives).
Overrides = Mapping[str, Any]


@dataclass(frozen=True)
class SplitOverrides:
    """Overrides checked and typed: graph-wide fields and per-node fields."""

    graph: dict[str, Any]
    nodes: dict[str, dict[str, Any]]


def split_overrides(
    overrides: Overrides | None, *, where: str = "profile override (--set/overrides=)"
) -> SplitOverrides:
    """Check and type ``overrides``; a dotted key ``NODE.FIELD`` splits at its last dot
    (node names may contain dots: flattened subgraphs are named ``outer.inner``).

    Raises:
        ConfigError: a key that is no profile field (the valid ones listed) or a value of
            the wrong type (the field and its type named).
    """
    graph: dict[str, Any] = {}
    nodes: dict[str, dict[str, Any]] = {}
    for key, value in (overrides or {}).items():
        if not isinstance(key, str) or not key:
            raise ConfigError(
                f"{where}: override key {key!r} is not a field name",
                hint="use 'FIELD' (graph-wide) or 'NODE.FIELD' (one node), e.g. 'dt'",
            )
        if isinstance(value, Mapping):
            node_fields = nodes.setdefault(key, {})
            for name, item in value.items():
                node_fields[name] = coerce_field(name, item, where=f"{where} of node {key!r}")
            continue
        node, dot, name = key.rpartition(".")
        if not dot:
            graph[name] = coerce_field(name, value, where=where)
        elif not node or not name:
            raise ConfigError(
                f"{where}: {key!r} names no node or no field",
                hint="use 'FIELD' (graph-wide) or 'NODE.FIELD' (one node), e.g. 'lif1.dt'",
            )
        else:
            nodes.setdefault(node, {})[name] = coerce_field(
                name, value, where=f"{where} of node {node!r}"
            )
    return SplitOverrides(graph, nodes)


def parse_settings(items: Sequence[str], *, option: str = "--set") -> dict[str, str]:
    """``["FIELD=VALUE", "NODE.FIELD=VALUE", ...]`` as an overrides mapping (strings).

    Raises:
        ConfigError: an item without ``=``, or with an empty key; the same key twice.
    """
    settings: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise ConfigError(
                f"{option} {item!r} is not FIELD=VALUE or NODE.FIELD=VALUE",
                hint=f"e.g. {option} dt=1e-3 or {option} lif1.reset=subtract; profile "
                f"fields: {', '.join(OVERRIDABLE)}",
            )
        if key in settings and settings[key] != value:
            raise ConfigError(
                f"{option} sets {key!r} twice ({settings[key]!r} and {value!r})",
                hint=f"give {option} {key}=... once",
            )
        settings[key] = value
    return settings


def preset_fields(name: str) -> dict[str, Any]:
    """Every graph-wide profile field of dialect ``name``, before any file or override."""
    return dialect_profile(name).graph_fields()


def describe_dialects() -> list[dict[str, Any]]:
    """Every preset as data: name, note, the fields it sets and its complete profile."""
    return [
        {
            "name": name,
            "note": dialect.note,
            "sets": sorted(set(dialect.profile) | ({"tau_scale"} if name == "norse" else set())),
            "profile": preset_fields(name),
        }
        for name, dialect in DIALECTS.items()
    ]
