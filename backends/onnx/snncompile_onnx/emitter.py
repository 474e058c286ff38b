"""Low-level ONNX graph assembly: unique names, constants and nodes.

Invariants:

- Every tensor and node name produced here is unique within the model. Internal names
  contain ``/``, which IR node names never do (``verify``), so they cannot clash with the
  model's input, output or state names.
- Constants are graph initializers, deduplicated by name: asking twice for the same
  name with equal contents returns the same initializer (unrolled steps share weights).
- Construction order is deterministic (lists, insertion-ordered dicts, never sets), so
  the same calls give byte-identical models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import NodeProto, TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT


@dataclass
class ConstantStore:
    """The model's initializers, shared by the main graph and any ``Scan`` body."""

    tensors: dict[str, TensorProto] = field(default_factory=dict)
    _arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, name: str, array: np.ndarray) -> str:
        """Register ``array`` under ``name`` (or a suffixed name if taken by other data)."""
        array = np.array(array, order="C")  # ascontiguousarray would make 0-d arrays 1-d
        candidate, k = name, 1
        while candidate in self._arrays:
            known = self._arrays[candidate]
            same_kind = known.dtype == array.dtype and known.shape == array.shape
            if same_kind and known.tobytes() == array.tobytes():
                return candidate
            k += 1
            candidate = f"{name}~{k}"
        self._arrays[candidate] = array
        self.tensors[candidate] = numpy_helper.from_array(array, candidate)
        return candidate


@dataclass
class Emitter:
    """Appends nodes to one graph body; names are unique across the whole model.

    Attributes:
        constants: the shared initializer store.
        nodes: the node list of the graph being built.
        names: every tensor/node name handed out so far (shared with sibling emitters).
        scope: prefix of generated names (``"t3/"`` for step 3 of an unrolled model).
        local_ints: emit int64 constants as ``Constant`` nodes of this body rather than
            initializers (a ``Scan`` body: ONNX shape inference cannot read the values of
            outer-scope initializers, e.g. ``Unsqueeze`` axes).
    """

    constants: ConstantStore
    nodes: list[NodeProto] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    scope: str = ""
    local_ints: bool = False
    _local: dict[str, str] = field(default_factory=dict)

    def fresh(self, hint: str) -> str:
        """A new unique name ``<scope><hint>`` (suffixed ``~k`` on collisions)."""
        base = f"{self.scope}{hint}"
        candidate, k = base, 1
        while candidate in self.names:
            k += 1
            candidate = f"{base}~{k}"
        self.names.add(candidate)
        return candidate

    def const(self, name: str, value: Any, dtype: type = np.float32) -> str:
        """An initializer holding ``value`` as ``dtype`` (unscoped: shared across steps)."""
        return self.constants.add(name, np.asarray(value, dtype=dtype))

    def int_const(self, name: str, value: Any) -> str:
        """An int64 constant: an initializer, or a body-local ``Constant`` node."""
        array = np.asarray(value, dtype=np.int64)
        if not self.local_ints:
            return self.const(name, array, np.int64)
        if name not in self._local:
            tensor = numpy_helper.from_array(array, name)
            self._local[name] = self.op("Constant", [], name, value=tensor)
        return self._local[name]

    def op(self, op_type: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        """Append one single-output node and return the name of its output."""
        return self.multi(op_type, inputs, hint, 1, **attrs)[0]

    def multi(
        self, op_type: str, inputs: Sequence[str], hint: str, n_out: int, **attrs: Any
    ) -> list[str]:
        """Append a node with ``n_out`` outputs and return their names."""
        outputs = [self.fresh(hint if n_out == 1 else f"{hint}.{i}") for i in range(n_out)]
        node_name = self.fresh(f"{hint}:{op_type}")
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=node_name, **attrs))
        return outputs

    def identity(self, source: str, target: str) -> None:
        """Copy ``source`` into the (externally chosen, unique) name ``target``."""
        self.names.add(target)
        self.nodes.append(
            helper.make_node("Identity", [source], [target], name=self.fresh(f"{target}:Identity"))
        )

    def child(
        self, scope: str, nodes: list[NodeProto] | None = None, *, local_ints: bool = False
    ) -> Emitter:
        """An emitter sharing constants and names, with another scope and/or node list."""
        target = self.nodes if nodes is None else nodes
        return Emitter(self.constants, target, self.names, scope, local_ints)
