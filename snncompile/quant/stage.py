"""Quantisation as a typed stage: one quantised-graph type for every target.

    quantize(graph, request, calibration, quantizer) -> QuantizedGraph

A :class:`QuantizedGraph` is an IR graph whose nodes carry typed precisions: per node
and field (``weight``, ``threshold``, ``decay``, ``bias``, ``state``, …) a
:class:`QuantizedField` with its :class:`~snncompile.quant.precision.FixedPoint` and,
for parameters, the integer values and the scale that maps them back to real values
(real ≈ values · scale). States carry a precision only.

The stage is target-neutral: the request names a rule set (``scheme``) and options as
data, and the quantiser that applies them is handed in by the caller (a backend's
``quantize`` hook); the core never names a target. Invariant after :func:`quantize`:
every field's integers lie in their FixedPoint range (:meth:`QuantizedGraph.check`), and
every precision is within the limits the target declares (``check_precisions``).

Targets that need more than fields (e.g. a per-layer schedule) attach it as ``view``:
data derived from the same quantisation, never a second quantised graph type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from snncompile.errors import ConfigError, QuantizationError
from snncompile.ir.graph import Graph
from snncompile.quant.precision import FixedPoint


@dataclass(frozen=True)
class QuantizationRequest:
    """What to quantise to, as data.

    Attributes:
        scheme: the rule set, e.g. ``"int8"`` (per-layer symmetric weights) or a
            target's own scheme; the quantiser handed to :func:`quantize` checks it.
        options: scheme options (e.g. ``allow_clamp``, ``search``), JSON-able values.
    """

    scheme: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.scheme:
            raise ConfigError("a quantisation request needs a scheme", hint="e.g. 'int8'")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


@dataclass(frozen=True)
class QuantizedField:
    """One quantised field of one node.

    Attributes:
        precision: the integer format of the field.
        values: the integers (int64, any shape), or None for a state (format only).
        scale: real value per integer unit (real ≈ values · scale); None when the field
            has no single real scale (states, exponents, fixed-point fractions).
    """

    precision: FixedPoint
    values: NDArray[np.int64] | None = None
    scale: float | None = None

    def describe(self) -> str:
        """``s9/2 nearest sat, [-254, 250], scale 0.0123`` (range and scale when known)."""
        text = self.precision.describe()
        if self.values is not None and np.size(self.values):
            text += f", [{int(np.min(self.values))}, {int(np.max(self.values))}]"
        if self.scale is not None:
            text += f", scale {self.scale:.6g}"
        return text


Fields = Mapping[str, Mapping[str, QuantizedField]]


@dataclass(frozen=True)
class QuantizedGraph:
    """An IR graph with typed precisions per node and field (module docstring).

    Attributes:
        graph: the IR graph the target lowers (for weight-only schemes: with the
            dequantised weights, so the reference simulator gives the target's semantics).
        fields: node name → field name → :class:`QuantizedField`.
        request: the request that produced it.
        summary: Markdown for people (per-layer decisions), or None.
        view: target-specific data derived from this quantisation (opaque to the core).
    """

    graph: Graph
    fields: Fields
    request: QuantizationRequest
    summary: str | None = None
    view: Any = None

    def __post_init__(self) -> None:
        frozen = {n: MappingProxyType(dict(f)) for n, f in self.fields.items()}
        object.__setattr__(self, "fields", MappingProxyType(frozen))
        unknown = sorted(set(self.fields) - set(self.graph.nodes))
        if unknown:
            raise QuantizationError(
                f"quantised fields name nodes that are not in the graph: {unknown}",
                node=unknown[0],
                hint="the quantiser must key fields by IR node name",
            )

    def check(self) -> None:
        """Every field's integers lie in its FixedPoint range (and on its step grid).

        Raises:
            QuantizationError: naming the node, the field, the range and the offending
                values (a quantiser bug, or a hand-edited graph).
        """
        for node, fields in self.fields.items():
            for name, f in fields.items():
                if f.values is None:
                    continue
                ints = np.asarray(f.values)
                p = f.precision
                if not np.issubdtype(ints.dtype, np.integer):
                    raise QuantizationError(
                        f"node {node!r}, field {name!r}: values of dtype {ints.dtype} are not "
                        "integers",
                        node=node,
                        hint="store the quantised integers, not the real values",
                    )
                off_grid = p.step > 1 and bool(np.any(ints % p.step))
                if not p.fits(ints) or off_grid:
                    raise QuantizationError(
                        f"node {node!r}, field {name!r}: values in "
                        f"[{int(ints.min())}, {int(ints.max())}] do not fit "
                        f"{p.describe()} (range [{p.lo}, {p.hi}], step {p.step})",
                        node=node,
                        hint="the quantiser must round, clip or refuse before recording the "
                        "field; report this as a bug",
                    )

    def precisions(self) -> dict[str, dict[str, str]]:
        """node → field → short precision text (``FieldPrecision.describe``)."""
        return {n: {k: f.describe() for k, f in fs.items()} for n, fs in self.fields.items()}

    def describe(self) -> str:
        """Markdown: one row per node and field (``snncompile inspect``)."""
        lines = [
            f"## Precisions ({self.request.scheme})",
            "",
            "| node | field | precision |",
            "|---|---|---|",
        ]
        for node, fields in self.fields.items():
            for name, f in fields.items():
                lines.append(f"| {node} | {name} | {f.describe()} |")
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """The quantiser's summary, or the precision table."""
        return self.summary if self.summary is not None else self.describe()


#: A target's quantiser: (graph, request, calibration or None) → QuantizedGraph.
Quantizer = Callable[[Graph, QuantizationRequest, "np.ndarray | None"], QuantizedGraph]


def quantize(
    graph: Graph,
    request: QuantizationRequest,
    calibration: np.ndarray | None = None,
    *,
    quantizer: Quantizer,
) -> QuantizedGraph:
    """The quantisation stage: apply ``quantizer`` and check the typed result.

    Pure: ``graph`` is not modified; the same inputs give the same QuantizedGraph.

    Raises:
        QuantizationError: a value the request's precisions cannot represent, or a
            result whose integers leave their declared FixedPoint range.
    """
    result = quantizer(graph, request, calibration)
    if not isinstance(result, QuantizedGraph):
        raise ConfigError(
            f"the quantiser for scheme {request.scheme!r} returned {type(result).__name__}, "
            "not a QuantizedGraph",
            hint="a backend's quantiser must build snncompile.quant.stage.QuantizedGraph",
        )
    result.check()
    return result


def check_precisions(qgraph: QuantizedGraph, limits: Mapping[str, FixedPoint]) -> None:
    """Every field whose name has a declared limit uses a format within it.

    ``limits`` maps field name → the widest FixedPoint the target accepts (a backend's
    ``Capabilities.precisions``). A field fits when its range lies within the limit's
    range and its fraction bits do not exceed the limit's.

    Raises:
        QuantizationError: naming the node, the field, its format and the limit.
    """
    for node, fields in qgraph.fields.items():
        for name, f in fields.items():
            limit = limits.get(name)
            if limit is None:
                continue
            p = f.precision
            if p.lo < limit.lo or p.hi > limit.hi or p.frac > limit.frac:
                raise QuantizationError(
                    f"node {node!r}, field {name!r}: format {p.describe()} exceeds the "
                    f"target's {limit.describe()} (range [{limit.lo}, {limit.hi}])",
                    node=node,
                    hint="quantise for this target (its backend's quantize hook)",
                )


def verify_quantized(qgraph: QuantizedGraph, limits: Mapping[str, FixedPoint]) -> None:
    """``verify`` for the quantised stage: the integers fit their declared formats
    (:meth:`QuantizedGraph.check`) and the formats fit the target's declared limits
    (:func:`check_precisions`, ``limits`` = ``Capabilities.precisions``).

    Raises:
        QuantizationError: naming the node and the field.
    """
    qgraph.check()
    check_precisions(qgraph, limits)
