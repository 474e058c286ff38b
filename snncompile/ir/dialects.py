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
rockpool      1e-3    s         exact    jump_decay  subtract same   >=    multi  unit   1
lava-dl       1e-4    s         euler    syn_first   to_value same   >     binary nir    1
============= ======= ========= ======== =========== ======== ====== ===== ====== ====== =====

Files written by snncompile carry their own profile in metadata, which the
``snncompile`` dialect reads; user overrides win over both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import nir
import numpy as np

from snncompile.errors import ConfigError
from snncompile.ir.profile import ExecutionProfile

Check = Callable[[str, Any, float], list[str]]


@dataclass(frozen=True)
class Dialect:
    """A framework's execution profile and parameter convention."""

    name: str
    profile: Mapping[str, Any]
    check: Check
    note: str


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


def _spikingjelly(name: str, node: Any, dt: float) -> list[str]:
    if isinstance(node, nir.LIF):
        # decay_input=True writes r = 1, decay_input=False writes r = tau/dt.
        unit = _mismatch("spikingjelly", name, node, "r", 1.0, "1 with decay_input")
        scaled = _mismatch("spikingjelly", name, node, "r", node.tau / dt, "tau/dt")
        found = [scaled] if unit and scaled else []
        found.append(_mismatch("spikingjelly", name, node, "v_leak", node.v_reset, "v_reset"))
        return [m for m in found if m]
    return _rules(
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
            {"dt": 1e-4, "reset_timing": "next_step", "compare": ">"},
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
            "snnTorch 1.0.0: dt hard-coded to 1e-4; resets act on the next step; export "
            "always writes v_reset = 0 (a subtract reset is lost)",
        ),
        "spikingjelly": Dialect(
            "spikingjelly",
            {"dt": 1e-4, "compare": ">="},
            _spikingjelly,
            "SpikingJelly 2.0.0: hard reset only, fires on >=",
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
            "Norse 1.1.0: files store dt*tau (tau_scale = 1/dt); CubaLIF input is a current jump",
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
            hint=f"choose one of: {', '.join(DIALECTS)}",
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
