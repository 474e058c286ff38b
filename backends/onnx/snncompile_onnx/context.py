"""The lowering context of one time step: states, parameters and helpers for lowerings.

A lowering is ``fn(ctx, name, node, x) -> y``: it reads the previous value of each of
its states with :meth:`StepContext.state`, emits the ops of one step on the summed input
tensor ``x`` (``[B, *input shape]``, float32) and records each new state value with
:meth:`StepContext.set_state`. Where a state's previous value comes from is the mode's
business (:mod:`snncompile_onnx.modes`): a graph input (step), the previous unrolled
step or zeros (unrolled), a ``Scan`` carried variable (loop).

Invariants:

- every state a lowering reads is also set in the same step (checked by the caller);
- parameters are float32, computed once in numpy at export time exactly as the float32
  reference simulator computes them, then stored as initializers (no float arithmetic
  on parameters happens inside onnxruntime, so they are bit-identical);
- parameter-only ops (``DequantizeLinear`` of int8 weights) go to the outer graph once
  and are shared by every step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import TensorProto, helper

from snncompile.ir.graph import Graph
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shape_inference import NodeShapes
from snncompile.quant.int8 import Int8Weight
from snncompile_onnx.emitter import FLOAT, Emitter

STATE_PREFIX = "state."
NEXT_SUFFIX = ".next"


@dataclass(frozen=True)
class StateSpec:
    """One neuron (or back-edge) state variable carried from step to step.

    Attributes:
        node: the IR node that owns the state.
        var: the variable name (``v``, ``m``, ``inhibition``, ``output`` …).
        shape: the per-sample shape (the batch dimension is implicit and leading).
    """

    node: str
    var: str
    shape: tuple[int, ...]

    @property
    def name(self) -> str:
        """The step-mode input name ``state.<node>.<var>``."""
        return f"{STATE_PREFIX}{self.node}.{self.var}"

    @property
    def next_name(self) -> str:
        """The step-mode output name ``state.<node>.<var>.next``."""
        return self.name + NEXT_SUFFIX


#: ``read(ctx, spec)`` returns the tensor holding a state's value from the previous step.
StateReader = Callable[["StepContext", StateSpec], str]


@dataclass
class Shared:
    """What every step of one export shares.

    Attributes:
        outer: emitter of the top-level graph (parameter ops go there).
        graph: the IR graph being lowered.
        shapes: IR shapes of every node.
        weights: int8 weights by node name (empty without ``quantize="int8"``).
        cache: parameter tensors already emitted, by key.
    """

    outer: Emitter
    graph: Graph
    shapes: Mapping[str, NodeShapes]
    weights: Mapping[str, Int8Weight] = field(default_factory=dict)
    cache: dict[str, str] = field(default_factory=dict)


def compact(value: Any) -> np.ndarray:
    """``value`` as float32, reduced to a 0-d array when all its elements are equal.

    Broadcasting a scalar gives the same element values as the full array, so the
    result of every elementwise op is unchanged; models just get smaller and faster.
    """
    array = np.asarray(value, dtype=np.float32)
    if array.size > 0 and np.all(array == array.flat[0]):
        return np.asarray(array.flat[0], dtype=np.float32)
    return array


class StepContext:
    """Helpers for lowering the nodes of one time step into one emitter."""

    def __init__(
        self,
        shared: Shared,
        emitter: Emitter,
        read: StateReader,
        batch_of: str,
        *,
        batch: str | None = None,
    ) -> None:
        """``batch_of``: a ``[B, ...]`` tensor of this step (its dim 0 is the batch size);
        ``batch``: an existing 1-element int64 batch-size tensor to use instead."""
        self.shared = shared
        self.em = emitter
        self._read = read
        self._batch_of = batch_of
        self._batch = batch
        self.specs: dict[str, StateSpec] = {}
        self.new_states: dict[str, str] = {}

    # ---- graph facts -----------------------------------------------------------------
    def profile(self, name: str) -> ExecutionProfile:
        """The execution profile that applies to node ``name``."""
        return self.shared.graph.node_profile(name)

    def in_shape(self, name: str) -> tuple[int, ...]:
        """The per-sample input shape of node ``name``."""
        shape = self.shared.shapes[name].input
        if shape is None:  # verify() guarantees known shapes
            raise RuntimeError(f"shape of {name!r} unknown after verify")
        return shape

    def out_shape(self, name: str) -> tuple[int, ...]:
        """The per-sample output shape of node ``name``."""
        shape = self.shared.shapes[name].output
        if shape is None:
            raise RuntimeError(f"shape of {name!r} unknown after verify")
        return shape

    # ---- states ----------------------------------------------------------------------
    def state(self, node: str, var: str, shape: tuple[int, ...]) -> str:
        """The tensor holding ``node``'s state ``var`` from the previous step."""
        spec = StateSpec(node, var, tuple(int(d) for d in shape))
        known = self.specs.setdefault(spec.name, spec)
        if known != spec:
            raise RuntimeError(f"state {spec.name} declared twice with different shapes")
        return self._read(self, spec)

    def set_state(self, node: str, var: str, tensor: str) -> None:
        """Record ``tensor`` as the new value of state ``state.<node>.<var>``."""
        self.new_states[f"{STATE_PREFIX}{node}.{var}"] = tensor

    # ---- constants and parameters ----------------------------------------------------
    def const(self, node: str, field_name: str, value: Any) -> str:
        """A float32 parameter of ``node`` (compacted to a scalar when uniform)."""
        return self.em.const(f"{node}.{field_name}", compact(value))

    def raw(self, node: str, field_name: str, value: Any, dtype: type = np.float32) -> str:
        """A parameter stored exactly as given (no compaction)."""
        return self.em.const(f"{node}.{field_name}", value, dtype)

    def scalar(self, value: float) -> str:
        """A shared float32 scalar constant."""
        return self.em.const(f"const.{np.float32(value)!r}", np.float32(value))

    def ints(self, hint: str, values: Any) -> str:
        """A shared int64 constant (shapes, axes, indices)."""
        return self.em.int_const(f"const.{hint}", values)

    def weight(self, node: str, field_name: str, array: np.ndarray) -> str:
        """A weight tensor: a float32 initializer, or int8 → ``DequantizeLinear`` if quantised.

        The int8 integers come from the quantisation pass (``shared.weights``); lowering
        only maps them. Their ``DequantizeLinear`` runs once, in the outer graph.
        """
        key = f"{node}.{field_name}"
        if key in self.shared.cache:
            return self.shared.cache[key]
        q = self.shared.weights.get(node)
        if q is None:
            tensor = self.em.const(key, np.asarray(array, dtype=np.float32))
        else:
            outer = self.shared.outer
            tensor = outer.op(
                "DequantizeLinear",
                [
                    outer.const(f"{key}.int8", q.values, np.int8),
                    outer.const(f"{key}.scale", np.float32(q.scale)),
                    outer.const(f"{key}.zero_point", np.int8(0), np.int8),
                ],
                f"{key}.dequantized",
            )
        self.shared.cache[key] = tensor
        return tensor

    # ---- shapes ----------------------------------------------------------------------
    def batch(self) -> str:
        """A 1-element int64 tensor holding the batch size of this step."""
        if self._batch is None:
            self._batch = self.em.op("Shape", [self._batch_of], "batch", start=0, end=1)
        return self._batch

    def zeros(self, shape: tuple[int, ...], hint: str) -> str:
        """A float32 zero tensor of shape ``[B, *shape]``."""
        dims = self.em.op(
            "Concat", [self.batch(), self.ints(f"dims{list(shape)}", list(shape))], "dims", axis=0
        )
        return self.em.op("ConstantOfShape", [dims], hint, value=_zero_tensor())

    # ---- arithmetic shorthands ---------------------------------------------------------
    def add(self, a: str, b: str, hint: str) -> str:
        return self.em.op("Add", [a, b], hint)

    def sub(self, a: str, b: str, hint: str) -> str:
        return self.em.op("Sub", [a, b], hint)

    def mul(self, a: str, b: str, hint: str) -> str:
        return self.em.op("Mul", [a, b], hint)

    def div(self, a: str, b: str, hint: str) -> str:
        return self.em.op("Div", [a, b], hint)

    def to_float(self, boolean: str, hint: str) -> str:
        return self.em.op("Cast", [boolean], hint, to=FLOAT)


def _zero_tensor() -> TensorProto:
    return helper.make_tensor("zero", FLOAT, [1], [0.0])
