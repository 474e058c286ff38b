"""Incremental construction of an IR graph while walking an fx graph.

A traced tensor is a :class:`Value`: the IR nodes whose outputs **sum** to it (NIR's
summed fan-in, docs/nir.md §2) and its sample shape (batch and time excluded). A layer fed a
Value gets one edge from each source; a Value with several sources that must exist as
one signal (it feeds several consumers, or an Output) becomes an explicit identity node,
``Scale(1)``, by :meth:`GraphBuilder.materialise`.

Invariants:

- node names are unique, deterministic (derived from module paths and fx call order) and
  valid IR names; :meth:`GraphBuilder.unique` appends ``_1``, ``_2``… on collisions;
- a Value's sources are distinct node names (``x + x`` becomes ``Scale(2)`` of ``x``), so
  the graph never holds duplicate edges;
- every node is added with the sample shape of its input and its output shape is
  computed with the IR's own shape rules, so the built graph passes ``verify``'s shape
  checks whenever the torch model itself runs on the example input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np

from snncompile.errors import TraceError
from snncompile.ir.graph import Graph
from snncompile.ir.nodes import kind_of, type_name
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shape_inference import output_shape
from snncompile.ir.shapes import Shape


@dataclass(frozen=True)
class Value:
    """A traced tensor: the sum of the outputs of ``sources``, of sample shape ``shape``."""

    sources: tuple[str, ...]
    shape: Shape


class GraphBuilder:
    """Collects nodes and edges; see the module docstring for the invariants."""

    def __init__(self) -> None:
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self._used: set[str] = set()

    def fresh(self, base: str) -> str:
        """``base`` or ``base_1``, ``base_2``…, the first not yet used (not reserved)."""
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        return name

    def unique(self, base: str) -> str:
        """:meth:`fresh` of ``base``, reserved."""
        name = self.fresh(base)
        self._used.add(name)
        return name

    def add(
        self, base: str, node: Any, value: Value | None, where: str, *, reserved: bool = False
    ) -> Value:
        """Add ``node`` under a unique name derived from ``base``, fed by ``value``.

        ``where`` names the torch module or call for error messages. With ``reserved``,
        ``base`` is a name already taken with :meth:`unique` and used as it is. Returns
        the node's output Value.

        Raises:
            TraceError: the node rejects the input shape (the message names ``where``).
        """
        in_shape = value.shape if value is not None else _declared(node)
        kind = kind_of(node)
        if kind is None:  # a lowering built something outside the IR: a bug
            raise TypeError(f"{where}: {type_name(node)} is not an IR node type")
        declared = kind.declared_input(node)
        if declared is not None and tuple(declared) != tuple(in_shape):
            raise TraceError(
                f"{where}: the layer expects samples of shape {list(declared)} but receives "
                f"{list(in_shape)} (batch and time excluded)",
                node=where,
                hint="check the layer's size against the example input and the layers before it",
            )
        out = output_shape(
            kind,
            node,
            in_shape,
            lambda why: TraceError(
                f"{where}: the IR {type_name(node)} node {why}",
                node=where,
                hint="check the layer's configuration against the example input shape",
            ),
        )
        if reserved and (base not in self._used or base in self.nodes):
            raise ValueError(f"name {base!r} is not reserved or already has a node")  # bug
        name = base if reserved else self.unique(base)
        self.nodes[name] = node
        if value is not None:
            self.edges.extend((src, name) for src in value.sources)
        return Value((name,), out)

    def identity(
        self, base: str, value: Value, gain: float = 1.0, *, reserved: bool = False
    ) -> Value:
        """A ``Scale(gain)`` node summing ``value`` (``gain`` 1: a pure sum node)."""
        scale = np.full(value.shape, gain, dtype=np.float64)
        return self.add(base, nir.Scale(scale=scale), value, base, reserved=reserved)

    def materialise(self, value: Value, base: str, *, reserved: bool = False) -> Value:
        """``value`` as one node: unchanged with one source, else an identity node."""
        if len(value.sources) == 1:
            return value
        return self.identity(base, value, reserved=reserved)

    def combine(self, values: Iterable[Value], base: str, where: str) -> Value:
        """The sum of ``values`` (shapes must agree); repeated sources become Scale(k)."""
        values = list(values)
        shapes = {v.shape for v in values}
        if len(shapes) != 1:
            raise TraceError(
                f"{where}: adds tensors of different sample shapes "
                f"{[list(v.shape) for v in values]}; the IR sums equal shapes only (no "
                "broadcasting)",
                node=where,
                hint="make both operands the same shape (e.g. a 1x1 convolution on the shortcut)",
            )
        counts = Counter(src for v in values for src in v.sources)
        sources: list[str] = []
        for src, count in counts.items():
            if count == 1:
                sources.append(src)
            else:  # x + x: no duplicate edges, scale the source instead
                sources.extend(
                    self.identity(f"{base}.x{count}", Value((src,), values[0].shape), count).sources
                )
        return Value(tuple(sources), values[0].shape)

    def graph(self, profile: ExecutionProfile, metadata: dict[str, Any]) -> Graph:
        """The collected graph (not yet verified)."""
        return Graph(dict(self.nodes), tuple(self.edges), profile=profile, metadata=metadata)


def _declared(node: Any) -> Shape:
    if isinstance(node, nir.Input):
        return tuple(int(d) for d in node.input_type["input"])
    raise TypeError(f"{type_name(node)} needs an input Value")  # internal: only Inputs are roots
