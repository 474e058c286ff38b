"""Per-update operation costs of each neuron model, stated exactly.

A neuron update is one neuron at one time step. Its work is split into the part done on
**every** update and the part done only when the neuron **spikes** (the reset path), so
the counter can charge the reset from the recorded spikes instead of assuming it:

    ops = updates · per_update + spikes · per_spike

Operation kinds: ``add`` (an add or subtract), ``mul`` (a multiply), ``cmp`` (a compare,
``max`` or clamp), ``sigmoid`` (one logistic-function evaluation; a lookup table or a
piecewise-linear unit in hardware). Constants that are fixed after training (β = 1 − 1/τ,
PLIF's 1 − sigmoid(w), 1/τ) are computed once per layer and cost nothing per update.
A multiply by a constant 1 (ILIF's k_m) is still counted: the hardware does not know it.

Per model: *every update* / *per spike (reset path)* / worst-case total / state words.

- **LIF** (``SoftLIF``, soft reset): H = βV + X: mul 1, add 1; fire: cmp 1 /
  V = H − θ: add 1 / 4 / 1 (V). A hard reset to 0 costs the same (the reset is a write,
  counted as an add).
- **LIF-hard** (hard reset to v_r ≠ 0): as LIF plus add 1 for the constant (1 − β)v_r /
  V = v_r: add 1 / 5 / 1.
- **IF**: H = V + X: add 1; cmp 1 / add 1 / 3 / 1.
- **PLIF**: as LIF; β = 1 − sigmoid(w) is a per-layer constant / add 1 / 4 / 1.
- **DA-LIF**: V′ = βV + αX: mul 2, add 1; cmp 1 / V = V′ − θ: add 1 / 5 / 1.
- **CLIF**: H = βV + X: mul 1, add 1; m′ = m·sigmoid(H·(1/τ)): mul 2, sigmoid 1; cmp 1 /
  m = m′ + 1: add 1; V = H − θ − sigmoid(m): add 2, sigmoid 1 / 10 / 2 (V, m).
- **ILIF**: I = k_c·(I + ·): mul 1; I⁺ = max(I, 0): cmp 1; H = βV + X − I⁺: mul 1,
  add 2; cmp 1 / I += x_prev at the next step: add 1; V′ = H − θ: add 1;
  M += k_m·V′: mul 1, add 1; V = V′ − sigmoid(M): add 1, sigmoid 1 / 12 /
  4 (V, I, M, x_prev; s_prev is one more bit).
- **LI** (non-spiking readout): V = βV + X: mul 1, add 1 / none / 2 / 1.
- **CubaLIF**: I = β_s·I + X: mul 1, add 1; V = β_m·V + I: mul 1, add 1; cmp 1 /
  add 1 / 6 / 2 (V, I).
- **CubaLI** (non-spiking): the CubaLIF charge without threshold / none / 4 / 2 (V, I).
- **I** (NIR integrator): V = V + X: add 1 / none / 1 / 1.
- **Threshold** (NIR, stateless): s = [X > θ]: cmp 1 / none / 1 / 0.

DA-LIF with α folded into the preceding weights (as lowering does) costs what LIF costs.

**NeuroBench equivalence.** NeuroBench charges a fixed cost per membrane update (snnTorch
``Leaky``: 4, both resets; ``Synaptic``: 6 subtract / 8 zero). snncompile's
``neurobench_cost`` is the worst-case total above (every update charged the reset path),
which equals NeuroBench's ``Leaky`` 4 for LIF and ``Synaptic`` 6 for CubaLIF (subtract).

**Neuron-update MACs** (papers that add neuron multiplies to the MAC count, docs/energy.md §2):

- ``"multiplies"`` (default): every ``mul`` counted above is one MAC.
- ``"paper"``: ``paper_macs`` MACs per update plus ``paper_acs`` ACs per output spike.
  CLIF's published script charges 3× the LIF figures (3 MACs per update, 3 ACs per
  spike; ``calculating_energy.py`` of HuuYuLong/Complementary-LIF); LIF/PLIF: 1 and 1;
  DA-LIF: 2 (β and α multiplies) and 1. IF: 0 and 1. ILIF has no published convention:
  snncompile charges its 2 per-update multiplies and 1 AC per spike (an extension, not a
  paper's figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from snncompile.errors import ConfigError

OP_KINDS: tuple[str, ...] = ("add", "mul", "cmp", "sigmoid")


@dataclass(frozen=True)
class OpCounts:
    """Elementary operation counts of one neuron update (or of one reset path)."""

    add: int = 0
    mul: int = 0
    cmp: int = 0
    sigmoid: int = 0

    @property
    def total(self) -> int:
        """All operations, each counted once."""
        return self.add + self.mul + self.cmp + self.sigmoid

    def as_dict(self) -> dict[str, int]:
        """``{"add": …, "mul": …, "cmp": …, "sigmoid": …}``."""
        return {kind: getattr(self, kind) for kind in OP_KINDS}


@dataclass(frozen=True)
class NeuronCost:
    """The cost model of one neuron type (see the module docstring for every row).

    Attributes:
        model: canonical model name.
        per_update: operations on every update (charge and threshold test).
        per_spike: extra operations when the neuron spikes (reset path).
        state_words: state values read and written per update.
        paper_macs: neuron MACs per update under the ``"paper"`` convention.
        paper_acs: neuron ACs per output spike under the ``"paper"`` convention.
        spiking: False for non-spiking readouts (LI).
        description: the update equations the counts refer to.
    """

    model: str
    per_update: OpCounts
    per_spike: OpCounts
    state_words: int
    paper_macs: int
    paper_acs: int
    spiking: bool
    description: str

    @property
    def neurobench_cost(self) -> int:
        """Worst-case operations per update (reset path always taken), NeuroBench-style."""
        return self.per_update.total + self.per_spike.total


_TABLE = (
    NeuronCost("LIF", OpCounts(1, 1, 1), OpCounts(1), 1, 1, 1, True, "H = βV + X; V = H − θs"),
    NeuronCost(
        "LIF-hard",
        OpCounts(2, 1, 1),
        OpCounts(1),
        1,
        1,
        1,
        True,
        "H = βV + (1 − β)v_r + X; V = v_r on spike",
    ),
    NeuronCost("IF", OpCounts(1, 0, 1), OpCounts(1), 1, 0, 1, True, "H = V + X; V = H − θs"),
    NeuronCost("PLIF", OpCounts(1, 1, 1), OpCounts(1), 1, 1, 1, True, "H = (1 − σ(w))V + X"),
    NeuronCost("DALIF", OpCounts(1, 2, 1), OpCounts(1), 1, 2, 1, True, "V′ = βV + αX; V = V′ − θs"),
    NeuronCost(
        "CLIF",
        OpCounts(1, 3, 1, 1),
        OpCounts(3, 0, 0, 1),
        2,
        3,
        3,
        True,
        "H = βV + X; m′ = m·σ(H/τ); m = m′ + s; V = H − θs − s·σ(m)",
    ),
    NeuronCost(
        "ILIF",
        OpCounts(2, 2, 2),
        OpCounts(4, 1, 0, 1),
        4,
        2,
        1,
        True,
        "I = k_c(I + x_prev·s_prev); H = βV + X − max(I, 0); V′ = H − θs; "
        "M = k_m·(M + s·V′); V = V′ − s·σ(M)",
    ),
    NeuronCost("LI", OpCounts(1, 1), OpCounts(), 1, 1, 0, False, "V = βV + X (no spikes)"),
    NeuronCost(
        "CubaLIF",
        OpCounts(2, 2, 1),
        OpCounts(1),
        2,
        2,
        1,
        True,
        "I = β_s·I + X; V = β_m·V + I; V = V − θs",
    ),
    NeuronCost(
        "CubaLI", OpCounts(2, 2), OpCounts(), 2, 2, 0, False, "I = β_s·I + X; V = β_m·V + I"
    ),
    NeuronCost("I", OpCounts(1), OpCounts(), 1, 0, 0, False, "V = V + X (no spikes)"),
    NeuronCost("Threshold", OpCounts(0, 0, 1), OpCounts(), 0, 0, 0, True, "s = [X > θ]"),
)

_COSTS: dict[str, NeuronCost] = {}

#: canonical model name -> cost (read-only live view; extend with :func:`register_cost`).
NEURON_COSTS = MappingProxyType(_COSTS)

#: accepted spellings (lower case) -> canonical name.
_ALIASES: dict[str, str] = {}

#: spellings besides each model's lower-cased name.
_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "LIF": ("softlif", "leaky"),
    "DALIF": ("da-lif",),
    "CubaLIF": ("synaptic",),
}


def register_cost(cost: NeuronCost, *aliases: str) -> None:
    """Add the cost row of a new neuron model (docs/extending.md); its name, lower-cased,
    and ``aliases`` become accepted spellings. IR nodes reach it through
    :data:`snncompile.energy.from_ir.LAYER_SPECS` (``neuron(cost.model)``).

    Raises:
        ConfigError: the model name or an alias is already taken.
    """
    spellings = {cost.model.lower(), *(a.lower() for a in aliases)}
    taken = sorted(a for a in spellings if a in _ALIASES) + (
        [cost.model] if cost.model in _COSTS else []
    )
    if taken:
        raise ConfigError(
            f"neuron cost model {cost.model!r}: {taken} already registered",
            hint="choose a model name and aliases of its own",
        )
    _COSTS[cost.model] = cost
    _ALIASES.update(dict.fromkeys(spellings, cost.model))


def unregister_cost(model: str) -> None:
    """Remove a row added with :func:`register_cost` and its spellings."""
    del _COSTS[model]
    for alias in [a for a, name in _ALIASES.items() if name == model]:
        del _ALIASES[alias]


for _cost in _TABLE:
    register_cost(_cost, *_EXTRA_ALIASES.get(_cost.model, ()))


def canonical_model(model: str) -> str:
    """The canonical name of a neuron model, case-insensitively (``"softlif"`` → ``"LIF"``).

    Raises:
        ConfigError: the model is unknown; the message lists the known ones.
    """
    key = str(model).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise ConfigError(
        f"unknown neuron model {model!r} for the operation counter",
        hint=f"use one of {sorted(NEURON_COSTS)} (aliases: {sorted(_ALIASES)})",
    )


def neuron_cost(model: str) -> NeuronCost:
    """The :class:`NeuronCost` of ``model`` (any accepted spelling)."""
    return NEURON_COSTS[canonical_model(model)]
