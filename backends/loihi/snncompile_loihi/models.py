"""The integer population models of the Loihi 2 target, and which IR node becomes which.

One vocabulary: the rule tables are keyed by IR class (``snncompile.ir`` native
neurons and NIR classes); a :class:`FixedModel` is the integer arithmetic a population
runs (``fixed_neurons``), compared by identity, never by name. ``name`` is for reports
and manifests only; the Lava backend derives its process names from its own table keyed
by :class:`FixedModel`.

Coverage invariant (tests/test_models.py): every class of
``snncompile.ir.nodes.node_classes()`` is in exactly one of :data:`NEURON_TYPES`,
:data:`SYNAPSE_TYPES`, :data:`STRUCTURAL_TYPES` or :data:`REFUSED`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import nir
import numpy as np

from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile_loihi import fixed_neurons as fxn


@dataclass(frozen=True, eq=False)
class FixedModel:
    """One integer population model (identity-compared; ``name`` is a display label).

    Attributes:
        name: label in reports and manifests (``soft_lif``, ``lif_builtin``, …).
        step: the ``fixed_neurons`` step function.
        params: its parameter dataclass (range-checked on construction).
        state: its state dataclass.
        state_names: state field → Lava Var name.
        spiking: False for the analog readout (its output is v, not spikes).
        hard_reset: True when a spike resets the potential to 0 (Lava's built-in LIF;
            ``cuba_lif`` but where its ``next_subtract`` > 0).
        graded: True when the population sends spike counts (graded payloads, read by
            connections with ``num_message_bits`` > 0) instead of binary spikes.
    """

    name: str
    step: Callable[..., Any]
    params: type
    state: type
    state_names: Mapping[str, str]
    spiking: bool = True
    hard_reset: bool = False
    graded: bool = False

    def __repr__(self) -> str:
        return f"FixedModel({self.name})"


_UV = MappingProxyType({"u": "u", "v": "v"})
_V = MappingProxyType({"v": "v"})

#: Lava's built-in bit-accurate LIF (hard reset to 0; docs/lava.md §17.2).
LIF_BUILTIN = FixedModel(
    "lif_builtin", fxn.loihi_lif_step, fxn.LoihiLIFParams, fxn.LoihiLIFState, _UV, hard_reset=True
)
#: snncompile's soft-reset LIF (backends/lava/docs/fixed_point.md §3).
SOFT_LIF = FixedModel("soft_lif", fxn.soft_lif_step, fxn.SoftLIFParams, fxn.SoftLIFState, _V)
#: snncompile's hard-reset LIF, for a decay per neuron or a reset to v_reset ≠ 0
#: (backends/lava/docs/fixed_point.md §3).
HARD_LIF = FixedModel(
    "hard_lif", fxn.hard_lif_step, fxn.HardLIFParams, fxn.SoftLIFState, _V, hard_reset=True
)
#: snncompile's current-based LIF: a bias into the current, a refractory counter and
#: snnTorch's next-step subtract reset (backends/lava/docs/fixed_point.md §7), where
#: Lava's built-in LIF has none of them.
CUBA_LIF = FixedModel(
    "cuba_lif",
    fxn.cuba_lif_step,
    fxn.CubaLIFParams,
    fxn.CubaLIFState,
    MappingProxyType({"u": "u", "v": "v", "k": "k"}),
    hard_reset=True,
)
#: snncompile's multi-spike soft-reset LIF/IF (sinabs): sends the spike count n as a graded
#: payload, optional floor at −θ (backends/lava/docs/fixed_point.md §8).
MULTI_SPIKE_LIF = FixedModel(
    "multi_spike_lif",
    fxn.multi_spike_lif_step,
    fxn.MultiSpikeLIFParams,
    fxn.SoftLIFState,
    _V,
    graded=True,
)
#: CLIF in fixed point (backends/lava/docs/fixed_point.md §4).
CLIF_FIXED = FixedModel(
    "clif",
    fxn.clif_step,
    fxn.CLIFFixedParams,
    fxn.CLIFFixedState,
    MappingProxyType({"v": "v", "m": "m"}),
)
#: ILIF in fixed point (backends/lava/docs/fixed_point.md §5).
ILIF_FIXED = FixedModel(
    "ilif",
    fxn.ilif_step,
    fxn.ILIFFixedParams,
    fxn.ILIFFixedState,
    MappingProxyType(
        {"v": "v", "i": "i_inh", "m": "m_inh", "x_prev": "x_prev", "s_prev": "s_prev"}
    ),
)
#: The analog readout: a memoryless soft-reset population that never fires (V = X).
READOUT = FixedModel(
    "readout", fxn.soft_lif_step, fxn.SoftLIFParams, fxn.SoftLIFState, _V, spiking=False
)
#: netx's readout: Lava's LIF with a threshold above every reachable v, read through v.
LIF_ACCUMULATOR = FixedModel(
    "lif_accumulator",
    fxn.loihi_lif_step,
    fxn.LoihiLIFParams,
    fxn.LoihiLIFState,
    _UV,
    spiking=False,
    hard_reset=True,
)

MODELS: tuple[FixedModel, ...] = (
    LIF_BUILTIN,
    SOFT_LIF,
    HARD_LIF,
    CUBA_LIF,
    MULTI_SPIKE_LIF,
    CLIF_FIXED,
    ILIF_FIXED,
    READOUT,
    LIF_ACCUMULATOR,
)


def _reset_rule(node: Any) -> FixedModel:
    """Soft reset → snncompile's soft-reset LIF; hard reset → Lava's built-in LIF, or
    snncompile's hard-reset LIF when β varies across the population (one dv per neuron)
    or the reset value is not 0."""
    if getattr(node, "reset", "soft") != "hard":
        return SOFT_LIF
    beta = np.asarray(node.beta)
    v_reset = getattr(node, "v_reset", None)
    to_zero = v_reset is None or not np.any(np.asarray(v_reset) != 0)
    uniform = beta.size and np.all(beta == beta.flat[0])
    return LIF_BUILTIN if uniform and to_zero else HARD_LIF


#: IR neuron class → the integer model its population runs (the quantisation rule).
NEURON_TYPES: Mapping[type, Callable[[Any], FixedModel]] = MappingProxyType(
    {
        SoftLIF: _reset_rule,
        # read under its node profile (nir_neurons.cuba_form): u decays with the current
        # Lava's LIF; the chain moves it to CUBA_LIF for a bias into its current or a
        # refractory period (chain._cuba_biases)
        nir.CubaLIF: lambda _node: LIF_BUILTIN,
        # kept by nir_neurons for a refractory period (hard reset to 0) or a next-step
        # subtract reset (nir_neurons.kept_for_cuba_lif), or for spike_mode="multi"
        # (chain.FLOAT_PARAMS then picks MULTI_SPIKE_LIF)
        nir.LIF: lambda _node: CUBA_LIF,
        nir.IF: lambda _node: CUBA_LIF,
        PLIF: lambda _node: SOFT_LIF,
        DALIF: _reset_rule,
        CLIF: lambda _node: CLIF_FIXED,
        ILIF: lambda _node: ILIF_FIXED,
    }
)

#: IR synapse class → the Lava connection it becomes.
SYNAPSE_TYPES: Mapping[type, str] = MappingProxyType(
    {nir.Affine: "dense", nir.Linear: "dense", nir.Conv2d: "conv"}
)

#: IR classes that lower to no population or connection of their own.
STRUCTURAL_TYPES: Mapping[type, str] = MappingProxyType(
    {
        nir.Input: "RingBuffer source (binary, or graded 24-bit payloads)",
        nir.Output: "the last population's spikes, or the analog readout's v",
        nir.Flatten: "absorbed into the next dense connection",
        nir.SumPool2d: "folded into the next dense/conv connection (exact)",
        nir.AvgPool2d: "folded into the next dense/conv connection (exact)",
        MaxPool2d: "of spikes only: a depthwise all-ones conv into a memoryless relay "
        "population (snncompile_loihi.max_pool, one more hop)",
    }
)

#: IR classes the Loihi target refuses, with why (the refusal's message).
REFUSED: Mapping[type, str] = MappingProxyType(
    {
        nir.Scale: "no Loihi lowering for an elementwise Scale (fold it into the next synapse)",
        nir.Conv1d: "no Loihi lowering for Conv1d (reshape to Conv2d with a height of 1)",
        nir.Delay: "no Loihi lowering for synaptic delays",
        nir.Threshold: "no Loihi lowering for a bare Threshold (use a LIF population)",
        nir.I: "no Loihi lowering for a bare integrator without threshold",
        nir.LI: "no Loihi lowering for a non-spiking leaky integrator except as the readout",
        nir.CubaLI: "no Loihi lowering for a current-based leaky integrator",
        BatchNorm: "BatchNorm is folded into the preceding synapse by the pass pipeline",
    }
)


def rule_for(table: Mapping[type, Any], node: Any) -> Any:
    """The entry of ``table`` for ``node``'s class or its nearest base class (KeyError)."""
    for cls in type(node).__mro__:
        if cls in table:
            return table[cls]
    raise KeyError(type(node).__name__)


def fixed_model(node: Any) -> FixedModel:
    """The integer model of an IR neuron node (KeyError for a non-neuron class)."""
    return rule_for(NEURON_TYPES, node)(node)
