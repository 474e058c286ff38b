"""NIR primitive neurons of foreign files as native populations (where exactly possible).

:func:`native_nir_neurons` rewrites every NIR ``LIF`` and ``IF`` node, under **its own**
execution profile (``graph.profile.for_node``, docs/nir.md §4), into the
:class:`~snncompile.ir.native_neurons.SoftLIF` the layer chain lowers. With the
profile's coefficients (:mod:`snncompile.ir.discretize`): β, the input gain g
(``LIF``: a·r or 1; ``IF``: β = 1, g = dt·r or 1) and the reference's charge
H = β·V + g·X, the node becomes, in the potential V' = V/g::

    H' = β·V' + X;   fire  H' >= θ'  with θ' = θ/g
    reset="to_value", v_reset = 0:  V' = 0 after a spike   -> SoftLIF hard (Lava's LIF)
    reset="subtract", same step:    V' = H' − θ'·s         -> SoftLIF soft (soft_lif)

``compare=">"`` (v > θ) becomes θ' = the next float32 above θ/g, so H' >= θ' ⇔ H' > θ/g
for every float32 H'. With g = 1 in float32 (snnTorch ``Leaky``, Norse ``IF``) the
rewritten charge is the reference's float32 charge operation for operation, so the
float32 spikes agree exactly; with g != 1 only the division θ/g is rounded. The integer
program is the quantiser's image of this graph: ``simulate_fixed`` and Lava fixed point
agree bit for bit as for every native chain.

``reset_timing="next_step"`` with ``to_value`` (snnTorch) replaces V[t−1] by 0 before
the next charge; V[t−1] feeds nothing else, so the spikes equal a same-step reset.

A refractory period r > 0 with a reset to 0 (snnTorch's reset delay reads as r = 1)
keeps the node: the reference holds a neuron whose counter runs (H = V[t−1], which a
reset to 0 makes 0 in either timing, no spike), which SoftLIF cannot; the chain reads
the kept ``LIF``/``IF`` as this SoftLIF form on snncompile's ``cuba_lif`` process with
α_u = 0 (u = X) and the counter (``chain._nir_lif``), ``--target lava`` only.

``reset_timing="next_step"`` with ``subtract`` (snnTorch's subtract reset) subtracts θ
from the charge of the step after a spike, H[t] = β·V[t−1] + g·X[t] − θ·s[t−1], and
keeps V = H. No same-step reset equals it (that would subtract β·θ); the node is kept
and runs on ``cuba_lif`` with ``next_subtract`` n = θ/g (:func:`next_step_subtract`,
without the ``>`` nudge of the threshold), ``--target lava`` only.

Multi-spike (sinabs: :func:`multi_spike_form`). Under ``spike_mode="multi"`` the
reference counts n = clip(floor(H/θ), 0, D), inclusive at θ whatever ``compare`` says,
subtracts V = H − θ·n in the same step, floors V = max(V + θ, 0) − θ under
``membrane_floor="-threshold"`` (``sinabs-from-nir``), and the next synapse reads n.
In V' = V/g (the same β and θ' = θ/g as above)::

    H' = β·V' + X;   n = clip(floor(H'/θ'), 0, D);   V' = H' − θ'·n;   floor at −θ'

The node stays in the graph; the chain reads it as ``models.MULTI_SPIKE_LIF``
(snncompile's ``multi_spike_lif`` Lava process, sending n as a graded payload). With
g = 1 (sinabs) the float counts are the reference's operation for operation. Refused
for multi-spikes: any reset but a same-step subtraction, a refractory period,
``max_spikes`` beyond 24 bits, ``--target netx``, and a ``CubaLIF``.

A reset to v_r ≠ 0 (``to_value``, v_leak = 0) is H' = β·V' + X, V' = v_r/g after a
spike (a next-step one gives the same spikes, as for 0). SoftLIF's hard reset leaks
toward v_r, the NIR LIF toward v_leak, so the node is kept and runs on ``hard_lif``
with v_r' = v_r/g per neuron (:func:`hard_reset_value`), ``--target lava`` only.

A leak toward v_leak ≠ 0 adds c = a·v_leak to the charge, H = (β·V + c) + g·X: in V'
the constant c' = c/g (:func:`leak_bias`) before the input, which is ``cuba_lif``'s
order (its ``bias_v``), so such a LIF is kept and runs there with α_u = 0, reset to 0
or subtracting on the next step.

Refused, naming the node and the field (no exact form): ``v_reset`` != 0 on netx, with
a refractory period or on a CubaLIF, ``v_leak`` != 0 on netx, with a same-step
subtract reset or with v_reset != 0, ``reset="none"``, a next-step subtract reset on netx,
``refractory`` > 0 with a subtract reset, beyond 255 steps or on netx,
``membrane_floor`` on binary spikes, the multi-spike cases above, a gain g <= 0 or one
that varies across the population.

An ``LI`` that is the Output's only input is the leaky readout
(:func:`leaky_readout`): the chain's readout population with decay β, its connection's
weights and bias multiplied by g and c = a·v_leak added to the bias, so
y[t] = β·y[t−1] + g·X[t] + c (``soft_lif`` with an unreachable threshold, read through
V). Any other ``LI``, and ``I`` and ``CubaLI``, stay refused by the chain
(:data:`snncompile_loihi.models.REFUSED`).

CubaLIF (:func:`cuba_form`). With α, β the current and voltage decays, g_s the
synaptic gain, g_m the membrane gain and a the membrane rate
(:mod:`snncompile.ir.discretize`), the reference
(``snncompile.reference.nir_neurons.CubaStep``) charges, by ``synapse_order``::

    syn_first:  i[t] = α·i[t−1] + g_s·X[t];   H = β·V + a·v_leak + g_m·i[t]
    jump:       d[t] = i[t−1] + g_s·X[t];     H = β·V + a·v_leak + g_m·d[t];  i[t] = α·d[t]
    jump_decay: i[t] = α·(i[t−1] + g_s·X[t]); H = β·V + a·v_leak + g_m·i[t]

In each the potential reads a current c with c[t] = α·c[t−1] + k·X[t] (``jump``: c = d,
since d[t] = α·d[t−1] + g_s·X[t]; k = g_s, or α·g_s for ``jump_decay``), computed
before the charge of the same step: Lava's LIF order, u[t] = (1 − du)·u[t−1] + a_in[t],
then v = (1 − dv)·v + u[t]. In u = c/k and V' = V/g with g = k·g_m (> 0, one per
population)::

    u[t] = α·u[t−1] + X[t];   H' = β·V' + a·v_leak/g + u[t];   fire H' >= θ' = θ/g;
    V' = 0 after a spike

(``compare=">"``: θ' the next float64 above θ/g), Lava's built-in LIF with
du = 1 − α, dv = 1 − β; a leak toward v_leak adds c = a·v_leak/g to H', which is Lava's
LIF bias (added to v). The current is never reset (neither by the reference nor by
Lava), and a next-step reset to 0 equals a same-step one as for ``LIF``. The synapse's
bias enters the current too: with α > 0 Lava's LIF cannot add it (its bias goes to v),
so the chain runs such a layer, one with a refractory period and one with a next-step
subtract reset (``CubaForm.next_subtract`` = θ/g) on snncompile's ``cuba_lif`` (b into
u, c into V' and the counter: ``chain._cuba_biases``). Refused, naming the node: the
``LIF`` refusals above but v_leak and the refractory period, any reset but to 0 or the
next-step subtraction (only Lava's LIF and ``cuba_lif`` have a current), a current
decay, voltage decay, gain or threshold that varies across the population (one du, dv,
vth per Lava LIF), α outside [0, 1), and ``--target netx``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np

from snncompile.errors import UnsupportedNodeError
from snncompile.ir import discretize
from snncompile.ir.graph import Graph
from snncompile.ir.lowering import Lowering
from snncompile.ir.native_neurons import SoftLIF
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.splice import splice
from snncompile_loihi.fixed_neurons import REFRACTORY_MAX
from snncompile_loihi.limits import STATE_MAX

#: NIR primitive neuron classes this module rewrites.
REWRITTEN: tuple[type, ...] = (nir.LIF, nir.IF)


def _refuse(target: str, name: str, node: Any, why: str, hint: str) -> UnsupportedNodeError:
    return UnsupportedNodeError(
        f"target {target!r} cannot lower NIR {type(node).__name__} node {name!r} exactly: {why}",
        node=name,
        hint=hint,
    )


def _gain(target: str, name: str, node: Any, gain: np.ndarray) -> float:
    """The population's one input gain g > 0 (float64)."""
    g = np.asarray(gain, dtype=np.float64)
    if g.size == 0 or not np.all(g == g.flat[0]) or not g.flat[0] > 0:
        raise _refuse(
            target,
            name,
            node,
            f"its input gain varies or is not positive (from {g.min():g} to {g.max():g})",
            "use one r (and tau) per population, r > 0, or input_gain='unit'",
        )
    return float(g.flat[0])


def _next_subtract(p: ExecutionProfile) -> bool:
    """snnTorch's subtract reset: θ subtracted on the step after a spike."""
    return p.reset == "subtract" and p.reset_timing == "next_step"


def kept_for_cuba_lif(node: Any, p: ExecutionProfile) -> bool:
    """An NIR LIF/IF that only ``cuba_lif`` runs: a refractory period, a next-step
    subtract reset, or a leak toward v_leak ≠ 0 (:func:`native_nir_neurons` keeps such a
    node)."""
    if p.refractory or _next_subtract(p):
        return True
    return isinstance(node, nir.LIF) and bool(np.any(np.asarray(node.v_leak, dtype=np.float64)))


def _resets_to_nonzero(node: Any, p: ExecutionProfile) -> bool:
    """A reset to a value v_reset ≠ 0 (for some neuron)."""
    return p.reset == "to_value" and bool(np.any(np.asarray(node.v_reset, dtype=np.float64)))


def _check_nonzero_reset(
    target: str, name: str, node: Any, p: ExecutionProfile, soft: bool
) -> None:
    """Refuse a reset to v_reset ≠ 0 that no Lava process runs: only ``hard_lif`` resets
    to a value, so an NIR LIF/IF on ``--target lava`` without a refractory period."""
    fix = "shift the potential and threshold so that v_reset = 0"
    if target != "lava":
        raise _refuse(
            target, name, node, "reset to v_reset != 0 (netx's LIF resets to 0)",
            f"export with --target lava (its hard_lif process resets to v_reset), or {fix}",
        )  # fmt: skip
    if not soft:
        raise _refuse(
            target, name, node, "reset to v_reset != 0; Lava's LIF and snncompile's "
            "cuba_lif, the processes with a synaptic current, reset the potential to 0", fix,
        )  # fmt: skip
    if p.refractory:
        raise _refuse(
            target, name, node, f"refractory={p.refractory} with a reset to v_reset != 0 "
            "(cuba_lif, the process with a refractory counter, resets to 0)",
            f"{fix}, or remove the refractory period (refractory=0) if the model has none",
        )  # fmt: skip


def _check_profile(
    target: str, name: str, node: Any, p: ExecutionProfile, soft: bool = True
) -> str:
    """The reset of the node's profile: "hard", "soft" (same-step subtraction) or
    "next_subtract" (snnTorch's, ``--target lava`` only: ``cuba_lif``), or the refusal;
    with ``soft`` False (a CubaLIF: only Lava's LIF and ``cuba_lif`` have a current) no
    same-step subtraction. A refractory period passes with a reset to 0 on ``--target
    lava`` (``cuba_lif`` holds the counter)."""
    where = f"--set {name}.FIELD=VALUE"
    if p.spike_mode != "binary":  # NIR LIF/IF: multi_spike_form; a CubaLIF has none
        raise _refuse(
            target, name, node, "multi-spike output (spike_mode='multi'): only NIR LIF "
            "and IF have a multi-spike Lava process (multi_spike_lif)",
            f"{where} with spike_mode=binary if the model was trained with binary spikes",
        )  # fmt: skip
    if p.refractory and target != "lava":
        raise _refuse(
            target, name, node, f"refractory={p.refractory} (netx's LIF has none; "
            "snnTorch's reset delay of Synaptic, RLeaky and RSynaptic reads as refractory=1)",
            "export with --target lava (its cuba_lif process holds a refractory counter)",
        )  # fmt: skip
    if p.refractory and p.reset != "to_value":
        raise _refuse(
            target, name, node, f"refractory={p.refractory} with reset={p.reset!r}: the one "
            "Lava process with a refractory counter (cuba_lif) resets the potential to 0",
            "remove the refractory period (refractory=0) if the model has none, or "
            f"--set {name}.reset=to_value if it was trained with a reset to 0",
        )  # fmt: skip
    if p.refractory > REFRACTORY_MAX:
        raise _refuse(
            target, name, node, f"refractory={p.refractory} beyond the {REFRACTORY_MAX} "
            "steps of cuba_lif's 8-bit counter",
            f"use a refractory period of at most {REFRACTORY_MAX} steps",
        )  # fmt: skip
    if p.membrane_floor != "none":
        raise _refuse(
            target, name, node, f"membrane_floor={p.membrane_floor!r} (no floor on Lava)",
            "use the preset without the floor (e.g. sinabs instead of sinabs-from-nir)",
        )  # fmt: skip
    if p.reset == "to_value":
        if _resets_to_nonzero(node, p):
            _check_nonzero_reset(target, name, node, p, soft)
        return "hard"
    if _next_subtract(p):
        if target != "lava":
            raise _refuse(
                target, name, node, "a subtract reset on the next step "
                "(reset_timing='next_step'; netx's neurons reset in the same step)",
                "export with --target lava (its cuba_lif process subtracts on the next step)",
            )  # fmt: skip
        return "next_subtract"
    if not soft:
        why = "no reset (reset='none')" if p.reset == "none" else "a same-step subtract reset"
        raise _refuse(
            target, name, node, f"{why}; Lava's LIF and snncompile's cuba_lif, the "
            "processes with a synaptic current, reset the potential to 0 or subtract the "
            "threshold on the next step",
            f"--set {name}.reset=to_value if the model was trained with a reset to 0",
        )  # fmt: skip
    if p.reset == "subtract":
        return "soft"
    raise _refuse(
        target, name, node, "no reset (reset='none')",
        "Lava lowers a reset to 0, or a subtraction of the threshold",
    )  # fmt: skip


def _lif_coefficients(
    target: str, name: str, node: nir.LIF | nir.IF, profile: ExecutionProfile
) -> tuple[np.ndarray, np.ndarray, float]:
    """(β, θ/g, g) of the rewrite in V' = V/g (module docstring), β as the reference
    rounds it and θ/g in float32, before any ``>`` nudge."""
    theta = np.asarray(node.v_threshold, dtype=np.float64)
    if isinstance(node, nir.LIF):
        k = discretize.leak(node.tau, profile, np.float64)
        beta = np.asarray(k.beta, dtype=np.float64)
        g = _gain(target, name, node, discretize.input_gain(k.rate, node.r, profile, np.float64))
    else:
        beta = np.ones(theta.shape)
        g = _gain(target, name, node, discretize.integrator_gain(node.r, profile, np.float64))
    # β as the reference rounds it (computed in float64, cast once to float32)
    beta = beta.astype(np.float32).astype(np.float64)
    scaled = theta if np.float32(g) == 1 else theta / g
    return np.broadcast_to(beta, theta.shape).copy(), scaled.astype(np.float32), g


def native_form(
    name: str, node: nir.LIF | nir.IF, profile: ExecutionProfile, target: str = "lava"
) -> SoftLIF:
    """The SoftLIF equal to ``node`` under its node ``profile`` (module docstring); for a
    node :func:`kept_for_cuba_lif` or resetting to v_r ≠ 0 its charge and threshold only
    (the chain adds the counter, the next-step subtraction or the reset value).

    Raises:
        UnsupportedNodeError: a parameter or profile field with no exact native form,
            naming the node and the fix.
    """
    reset = _check_profile(target, name, node, profile)
    if leak_bias(name, node, profile, target) is not None and reset not in (
        "hard",
        "next_subtract",
    ):
        raise _refuse(
            target, name, node, "a leak toward v_leak != 0 with a same-step subtract "
            "reset (cuba_lif, the process that adds it as the reference does, resets to 0 "
            "or subtracts on the next step)",
            "move v_leak into the preceding synapse's bias and set v_leak = 0",
        )  # fmt: skip
    beta, threshold, _ = _lif_coefficients(target, name, node, profile)
    if profile.compare == ">":  # H' > θ' ⇔ H' >= next float32 above θ'
        threshold = np.nextafter(threshold, np.float32(np.inf))
    return SoftLIF(
        beta,
        threshold.astype(np.float64),
        reset="hard" if reset == "hard" else "soft",
        v_reset=None,
    )


def next_step_subtract(
    name: str, node: nir.LIF | nir.IF, profile: ExecutionProfile, target: str = "lava"
) -> np.ndarray | None:
    """n = θ/g (float64 of the float32 value), what ``cuba_lif`` subtracts on the step
    after a spike under snnTorch's subtract reset; None for any other reset."""
    if _check_profile(target, name, node, profile) != "next_subtract":
        return None
    return _lif_coefficients(target, name, node, profile)[1].astype(np.float64)


def leak_bias(
    name: str, node: nir.LIF | nir.IF, profile: ExecutionProfile, target: str = "lava"
) -> np.ndarray | None:
    """c' = a·v_leak/g per neuron (float64), the constant an NIR LIF leaking toward
    v_leak ≠ 0 adds to H' = (β·V' + c') + X before its input (``cuba_lif``'s ``bias_v``,
    in the reference's order); None without a leak.

    Raises:
        UnsupportedNodeError: a leak on netx, or with a reset to v_r ≠ 0 (``hard_lif``
            adds its bias after the input, not in the reference's order).
    """
    if not isinstance(node, nir.LIF):
        return None
    k = discretize.leak(node.tau, profile, np.float64)
    c = discretize.leak_bias(k.rate, node.v_leak, np.float64)
    if not np.any(c != 0):
        return None
    fix = "move v_leak into the preceding synapse's bias and set v_leak = 0"
    if target != "lava":
        raise _refuse(
            target, name, node, "a leak toward v_leak != 0 (netx's LIF has no bias "
            "inside the neuron)", f"export with --target lava, or {fix}",
        )  # fmt: skip
    if _resets_to_nonzero(node, profile):
        raise _refuse(
            target, name, node, "a leak toward v_leak != 0 with a reset to v_reset != 0",
            fix,
        )  # fmt: skip
    _, _, g = _lif_coefficients(target, name, node, profile)
    c = np.broadcast_to(c, np.shape(node.v_threshold))
    return np.asarray(c if np.float32(g) == 1 else c / g, dtype=np.float64)


def hard_reset_value(
    name: str, node: nir.LIF | nir.IF, profile: ExecutionProfile, target: str = "lava"
) -> np.ndarray | None:
    """v_r' = v_r/g per neuron (float64 of the float32 value, as θ'), what ``hard_lif``
    resets an NIR LIF/IF to that resets to v_r ≠ 0; None for any other reset."""
    if not _resets_to_nonzero(node, profile):
        return None
    _check_profile(target, name, node, profile)  # refuses what hard_lif cannot run
    _, _, g = _lif_coefficients(target, name, node, profile)
    v_r = np.asarray(node.v_reset, dtype=np.float64)
    scaled = np.broadcast_to(v_r if np.float32(g) == 1 else v_r / g, np.shape(node.v_threshold))
    return scaled.astype(np.float32).astype(np.float64)


@dataclass(frozen=True)
class MultiSpikeForm:
    """An NIR ``LIF``/``IF`` under ``spike_mode="multi"`` (module docstring, "Multi-spike")
    in the potential V' = V/g (float64 coefficients)::

        H' = β·V' + X;   n = clip(floor(H'/θ'), 0, max_spikes);   V' = H' − θ'·n
        floor (membrane_floor="-threshold"):  V' = max(V' + θ', 0) − θ'

    Attributes:
        beta: β per neuron, as the reference rounds it (float32, held in float64).
        threshold: θ' = θ/g per neuron (float32, held in float64).
        max_spikes: the cap D of the count, None for none.
        floor: True for ``membrane_floor="-threshold"``.
    """

    beta: np.ndarray
    threshold: np.ndarray
    max_spikes: int | None
    floor: bool


def multi_spike_form(
    name: str, node: nir.LIF | nir.IF, profile: ExecutionProfile, target: str = "lava"
) -> MultiSpikeForm:
    """The multi-spike population equal to ``node`` under its ``profile`` (module
    docstring, "Multi-spike"): the SoftLIF rewrite of :func:`native_form` (β, θ/g, the
    gain and v_leak checks) with a count instead of a 0/1 spike.

    Raises:
        UnsupportedNodeError: multi-spike with no exact form on ``target`` (netx, a reset
            other than a same-step subtraction, a refractory period, a gain that varies),
            naming the node, the field and the fix.
    """
    where = f"--set {name}.FIELD=VALUE"
    if target != "lava":
        raise _refuse(
            target, name, node, "multi-spike output (spike_mode='multi'): netx files hold "
            "binary spikes only",
            "export with --target lava (its multi_spike_lif process sends spike counts)",
        )  # fmt: skip
    if profile.reset != "subtract" or profile.reset_timing != "same_step":
        why = (
            f"reset={profile.reset!r}"
            if profile.reset != "subtract"
            else "a subtract reset on the next step (reset_timing='next_step')"
        )
        raise _refuse(
            target, name, node, f"multi-spike output (spike_mode='multi') with {why}; "
            "Lava's multi_spike_lif subtracts θ·n in the same step",
            f"{where} with reset=subtract, reset_timing=same_step if the model was "
            "trained so, or spike_mode=binary",
        )  # fmt: skip
    if profile.refractory:
        raise _refuse(
            target, name, node, f"multi-spike output with refractory={profile.refractory} "
            "(multi_spike_lif has no refractory counter)",
            f"{where} with refractory=0 if the model has none",
        )  # fmt: skip
    if profile.max_spikes is not None and not 1 <= profile.max_spikes <= STATE_MAX:
        raise _refuse(
            target, name, node, f"max_spikes={profile.max_spikes} outside [1, {STATE_MAX}] "
            "(24-bit graded payloads)",
            f"{where} with max_spikes between 1 and {STATE_MAX}, or none",
        )  # fmt: skip
    # the same-step subtract SoftLIF rewrite (β, θ/g); the count is inclusive at θ
    binary = dataclasses.replace(
        profile, spike_mode="binary", compare=">=", membrane_floor="none", max_spikes=None
    )
    soft = native_form(name, node, binary, target)
    return MultiSpikeForm(
        np.asarray(soft.beta, dtype=np.float64),
        np.asarray(soft.v_threshold, dtype=np.float64),
        profile.max_spikes,
        profile.membrane_floor == "-threshold",
    )


def native_nir_neurons(graph: Graph, target: str = "lava") -> Graph:
    """``graph`` with every NIR ``LIF``/``IF`` node rewritten as its SoftLIF (module
    docstring), keeping its name; the graph itself when it has none. ``CubaLIF`` nodes,
    and ``LIF``/``IF`` nodes :func:`kept_for_cuba_lif` or with multi-spikes, stay (the
    chain reads them through :func:`cuba_form`, :func:`native_form` and
    :func:`multi_spike_form`) but are checked here.

    Raises:
        UnsupportedNodeError: a node whose profile or parameters have no exact form.
    """
    forms: dict[str, Lowering] = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.CubaLIF):
            cuba_form(name, node, graph.profile.for_node(name), target)
        elif isinstance(node, REWRITTEN):
            profile = graph.profile.for_node(name)
            if profile.spike_mode == "multi":  # kept: the chain reads it as a
                multi_spike_form(name, node, profile, target)  # multi_spike_lif population
                continue
            native = native_form(name, node, profile, target)
            if kept_for_cuba_lif(node, profile) or _resets_to_nonzero(node, profile):
                continue  # no such SoftLIF: the chain reads the node (chain._kept_nir_lif)
            forms[name] = Lowering(
                {"": native},
                note=f"NIR {type(node).__name__} as SoftLIF ({native.reset} reset)",
            )
    return splice(graph, forms) if forms else graph


@dataclass(frozen=True)
class LeakyReadout:
    """An NIR ``LI`` feeding the Output, as the readout's coefficients (float64):
    y[t] = β·y[t−1] + g·X[t] + c with X the readout connection's value and c = a·v_leak."""

    node: str
    beta: float
    gain: float
    bias: np.ndarray


def leaky_readout(graph: Graph, output: str, target: str = "lava") -> LeakyReadout | None:
    """The ``LI`` node that is the Output's only input, with its coefficients under its
    node profile; None when the Output is fed otherwise.

    Raises:
        UnsupportedNodeError: the LI's β or gain varies across the population, or the
            LI feeds anything besides the Output.
    """
    preds = graph.predecessors(output)
    if len(preds) != 1 or not isinstance(graph.nodes[preds[0]], nir.LI):
        return None
    name, node = preds[0], graph.nodes[preds[0]]
    if graph.successors(name) != (output,):
        raise _refuse(
            target, name, node, "a leaky readout that also feeds other nodes",
            "let the LI feed only the Output",
        )  # fmt: skip
    profile = graph.profile.for_node(name)
    k = discretize.leak(node.tau, profile, np.float64)
    beta = np.asarray(k.beta, dtype=np.float64)
    if beta.size == 0 or not np.all(beta == beta.flat[0]):
        raise _refuse(
            target, name, node, "its decay varies across the population",
            "use one tau per readout population",
        )  # fmt: skip
    gain = _gain(target, name, node, discretize.input_gain(k.rate, node.r, profile, np.float64))
    bias = discretize.leak_bias(k.rate, node.v_leak, np.float64)
    return LeakyReadout(name, float(beta.flat[0]), gain, np.asarray(bias, dtype=np.float64))


@dataclass(frozen=True)
class CubaForm:
    """An NIR ``CubaLIF`` as Lava's built-in LIF (float64 coefficients)::

        u[t] = α·u[t−1] + X[t];   H' = β·V' + c + u[t];   s = H' >= θ';   V' = 0 after it

    with X the node's summed input, V' = V/g the potential in input units and
    c = a·v_leak/g (``bias``, per neuron) Lava's LIF bias; under snnTorch's subtract
    reset ``next_subtract`` = θ/g (> 0): V' = H' at a spike and the next step's charge
    subtracts it (``cuba_lif``).
    """

    alpha: float
    beta: float
    gain: float
    threshold: float
    bias: np.ndarray
    next_subtract: float = 0.0


def _one_value(target: str, name: str, node: Any, what: str, value: np.ndarray, hint: str) -> float:
    """The population's one value of a coefficient (float64), or the refusal."""
    v = np.asarray(value, dtype=np.float64)
    if v.size == 0 or not np.all(v == v.flat[0]):
        raise _refuse(
            target,
            name,
            node,
            f"its {what} varies across the population (from {v.min():g} to {v.max():g}); "
            "Lava's LIF holds one du, dv and vth per population",
            hint,
        )
    return float(v.flat[0])


def cuba_form(
    name: str, node: nir.CubaLIF, profile: ExecutionProfile, target: str = "lava"
) -> CubaForm:
    """The Lava LIF equal to the CubaLIF ``node`` under its node ``profile`` (module
    docstring, "CubaLIF").

    Raises:
        UnsupportedNodeError: a parameter or profile field with no exact form, naming the
            node, the field and the fix.
    """
    if target == "netx":
        raise _refuse(
            target, name, node, "netx files hold no NIR CubaLIF lowering in this version",
            "export with --target lava",
        )  # fmt: skip
    reset = _check_profile(target, name, node, profile, soft=False)
    syn = discretize.leak(node.tau_syn, profile, np.float64)
    mem = discretize.leak(node.tau_mem, profile, np.float64)
    per_node = "use one tau_syn, tau_mem, r, w_in and v_threshold per population"
    alpha = _one_value(target, name, node, "current decay", syn.beta, per_node)
    beta = _one_value(target, name, node, "voltage decay", mem.beta, per_node)
    if not 0 <= alpha < 1:
        raise _refuse(
            target, name, node, f"a current decay alpha = {alpha:g} outside [0, 1) "
            "(Lava's du is a 12-bit fraction)",
            "use tau_syn >= dt (euler: alpha = 1 - dt/tau_syn)",
        )  # fmt: skip
    # the gain of X onto the current, as u carries it (module docstring)
    g_syn = discretize.synaptic_gain(syn.rate, node.w_in, profile, np.float64)
    if profile.synapse_order == "jump_decay":
        g_syn = syn.beta * g_syn
    g_mem = discretize.input_gain(mem.rate, node.r, profile, np.float64)
    g = _gain(target, name, node, np.asarray(g_syn) * np.asarray(g_mem))
    theta = _one_value(target, name, node, "threshold", node.v_threshold, per_node)
    scaled = np.float64(theta if g == 1 else theta / g)
    threshold = scaled
    if profile.compare == ">":  # H' > θ' ⇔ H' >= next float64 above θ' (H' in float64)
        threshold = np.nextafter(scaled, np.inf)
    bias = discretize.leak_bias(mem.rate, node.v_leak, np.float64)  # a·v_leak, then /g
    subtract = float(scaled) if reset == "next_subtract" else 0.0
    return CubaForm(alpha, beta, g, float(threshold), bias if g == 1 else bias / g, subtract)
