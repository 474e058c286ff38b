"""What a priced estimate is: pricing options, priced terms, unpriced terms, estimates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from snncompile.errors import ConfigError

#: Term categories, in the order plots stack them.
CATEGORIES: tuple[str, ...] = ("synaptic", "macs", "graded", "neuron", "spikes", "memory", "static")


@dataclass(frozen=True)
class PricingOptions:
    """What to price.

    Attributes:
        memory: include the memory term.
        static: include the static term.
        spikes: include spike traffic.
        neuron: ``"profile"`` (the profile's neuron constants), ``"macs"`` (papers: neuron
            multiplies as MACs, per-spike neuron ACs as ACs) or ``"none"``.
        hops_per_spike: NoC hops per spike message (None: the profile's default, else 1).
        messages_per_spike: messages leaving a core per spike (None: profile default, 1).
        t_step_s: overrides the profile's time-step duration (static term).
        chips: chips powered (static term).
    """

    memory: bool = True
    static: bool = True
    spikes: bool = True
    neuron: Literal["profile", "macs", "none"] = "profile"
    hops_per_spike: float | None = None
    messages_per_spike: float | None = None
    t_step_s: float | None = None
    chips: int = 1

    def __post_init__(self) -> None:
        if self.neuron not in ("profile", "macs", "none"):
            raise ConfigError(
                f"PricingOptions: neuron={self.neuron!r}", hint="use 'profile', 'macs' or 'none'"
            )
        if self.chips < 1:
            raise ConfigError(f"PricingOptions: chips={self.chips} < 1", hint="use 1 or more")

    @classmethod
    def paper(cls) -> PricingOptions:
        """The SNN-paper convention: E_MAC·MACs + E_AC·ACs only (docs/energy.md §2)."""
        return cls(memory=False, static=False, spikes=False, neuron="macs")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


@dataclass(frozen=True)
class Term:
    """One priced term: count × unit price = energy (per sample)."""

    name: str
    category: str
    count: float
    unit: str
    constant: str
    price: float
    price_unit: str
    energy_j: float
    basis: str
    source: str
    note: str = ""
    cite: str = ""


@dataclass(frozen=True)
class Unpriced:
    """A term with a non-zero count that the profile does not price, and why.

    ``included`` is True when the profile states that the term's energy is already inside
    another priced figure (an all-in figure, memory inside the per-op energies).
    """

    name: str
    category: str
    count: float
    unit: str
    reason: str
    included: bool = False


@dataclass(frozen=True)
class Estimate:
    """A profile's priced estimate of one network's counts (per sample, in J)."""

    profile: str
    title: str
    basis: str
    trust: str
    mode: str
    terms: tuple[Term, ...]
    unpriced: tuple[Unpriced, ...]
    per_layer_j: Mapping[str, float] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """True when some non-zero term is missing from the total (not merely included)."""
        return any(not u.included for u in self.unpriced)

    @property
    def total_j(self) -> float:
        """Sum of the priced terms (an estimate; unpriced terms are not in it)."""
        return float(sum(t.energy_j for t in self.terms))

    def by_category(self) -> dict[str, float]:
        """Energy per category (every category present, 0 when not priced)."""
        result = dict.fromkeys(CATEGORIES, 0.0)
        for term in self.terms:
            result[term.category] += term.energy_j
        return result

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "profile": self.profile,
            "title": self.title,
            "basis": self.basis,
            "trust": self.trust,
            "mode": self.mode,
            "label": "estimate",
            "total_j": self.total_j,
            "partial": self.partial,
            "by_category_j": self.by_category(),
            "terms": [asdict(t) for t in self.terms],
            "unpriced": [asdict(u) for u in self.unpriced],
            "per_layer_j": dict(self.per_layer_j),
            "options": dict(self.options),
        }
