"""``snncompile.trace(model, example_input)``: a torch SNN as a verified IR graph.

The model is traced with torch.fx (neuron modules, ``TimeDistributed`` and torch layers
are leaves; containers and user modules are traced through) and every fx node becomes IR
structure:

- neuron modules (anything with ``to_ir(shape)``) -> their IR node, exact;
- torch layers -> :data:`snncompile.frontend.layers.LAYER_LOWERINGS`;
- ``TimeDistributed(layer)`` -> the inner layer's nodes (the wrapper means "at every
  step", which is how every IR node runs); inner containers are traced in turn;
- ``+``, ``-``, ``* number``, flatten -> :mod:`snncompile.frontend.functions`.

Names: an IR node is named after the module path of its layer (``features.3``,
``layer1.0.sn1``), with a ``TimeDistributed`` wrapper transparent (``TimeDistributed(
Conv2d)`` at ``conv1`` -> ``conv1``; ``TimeDistributed(Sequential(conv, bn))`` at ``stem``
-> ``stem.0``, ``stem.1``). A function call is named ``<enclosing module path>.<op>``
(``layer1.0.add``); repeated names get ``_1``, ``_2``… in call order. Inputs are named
``input`` (several: the forward's argument names), outputs ``output`` (several:
``output_0``…), unless a module already uses the name.

Per-step models (every neuron in ``step_mode="s"``, plain per-step layers, the loop over
time outside the model; :mod:`snncompile.frontend.step_mode`) are walked with one leading
axis, as the inside of a ``TimeDistributed``, their neurons lowered as the multi-step
neurons they are stepped as; they give the graph of their time-major twin. Mixed step
modes are refused before fx runs, naming the modules in each mode.

Shapes: only ``example_input.shape[2:]`` is used (T and B are free; ``shape[1:]`` of a
per-step model's one-step example); the model is not
run: every node's sample shape follows from the IR's shape rules. The result is the
**inference** network (BatchNorm uses running statistics, dropout is removed) and passes
:func:`snncompile.ir.verify`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np
import torch
from torch import fx, nn

from snncompile.errors import InputError, SnnCompileError, TraceError
from snncompile.frontend.functions import Call, lookup
from snncompile.frontend.fx import trace as fx_trace
from snncompile.frontend.graph_builder import GraphBuilder, Value
from snncompile.frontend.layers import LAYER_LOWERINGS, REFUSED, LayerCall
from snncompile.frontend.step_mode import LAYOUTS, as_multistep, model_step_mode
from snncompile.ir.graph import Graph
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.verify import verify
from snncompile.neurons import NEURON_TYPES, BaseNeuron, TimeDistributed

#: Modules the fx tracer keeps whole (subclasses too: they are then refused by exact type).
LEAF_TYPES: tuple[type[nn.Module], ...] = (
    BaseNeuron,
    TimeDistributed,
    *LAYER_LOWERINGS,
    *REFUSED,
)


def supported_modules() -> str:
    """Sorted, comma-separated names of every module type the tracer lowers."""
    names = {cls.__name__ for cls in LAYER_LOWERINGS} | set(NEURON_TYPES)
    names |= {"TimeDistributed", "Sequential (and user containers)"}
    return ", ".join(sorted(names))


@dataclass(frozen=True)
class _Scope:
    """Where an fx graph sits: prefixes of module paths and node names, leading axes, and
    whether it is the body of a per-step model (one step ``[B, ...]``, neurons allowed)."""

    path_prefix: str
    name_prefix: str
    lead: int
    per_step: bool = False


class _Walker:
    """Lowers fx graphs into one :class:`GraphBuilder`."""

    def __init__(self, builder: GraphBuilder) -> None:
        self.builder = builder

    def walk(self, gm: fx.GraphModule, scope: _Scope, inputs: Sequence[Value]) -> Any:
        """Lower every node of ``gm``; returns the output structure with Values."""
        env: dict[fx.Node, Value] = {}
        feeds = iter(inputs)
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                env[node] = next(feeds)
                continue
            if node.op == "output":
                return fx.node.map_arg(node.args[0], lambda n: env[n])
            if node.op == "call_module":
                base = scope.name_prefix + str(node.target)
                module = gm.get_submodule(str(node.target))
                x = self._single_input(node, env, scope.path_prefix + str(node.target))
                value = self.module(module, scope.path_prefix + str(node.target), base, scope, x)
                reserved = False
            elif node.op in ("call_function", "call_method"):
                op, handler = lookup(node)
                call = Call(node, self.builder, self._call_name(node, op, scope), scope.lead, env)
                value = handler(call)
                base, reserved = call.name, call.name not in self.builder.nodes
            else:  # get_attr
                raise TraceError(
                    f"the forward reads attribute '{node.target}' directly (node "
                    f"'{node.name}'); parameters and buffers must live inside modules",
                    node=node.name,
                    hint="move the tensor into a layer (e.g. a Linear or a neuron module)",
                )
            if len(value.sources) > 1 and _shared(node):
                value = self.builder.materialise(value, base, reserved=reserved)
            env[node] = value
        raise TraceError("the traced graph has no output", hint="return a tensor from forward")

    def module(self, module: nn.Module, path: str, name: str, scope: _Scope, x: Value) -> Value:
        """Lower one call of ``module`` (at ``path``) on ``x``."""
        where = f"module '{path}' ({type(module).__name__})"
        if isinstance(module, TimeDistributed):
            if scope.per_step:
                raise TraceError(
                    f"{where} is in a per-step model (neurons in step_mode='s'), which sees "
                    "one step [B, ...]; TimeDistributed expects time-major [T, B, ...]",
                    node=path,
                    hint="call the inner layer directly in a per-step model (or make every "
                    "neuron step_mode='m' and trace with a [T, B, ...] example)",
                )
            if scope.lead != 2:
                raise TraceError(
                    f"{where} is nested in another TimeDistributed",
                    node=path,
                    hint="wrap the per-step layers once",
                )
            return self._per_step(module.module, f"{path}.module", name, x)
        if callable(getattr(module, "to_ir", None)):
            return self._neuron(module, path, name, scope, x)
        lowering = LAYER_LOWERINGS.get(type(module))
        if lowering is not None:
            return lowering(module, LayerCall(self.builder, path, name, scope.lead), x)
        if type(module) in REFUSED:
            why, fix = REFUSED[type(module)]
            raise TraceError(f"{where}: {why}", node=path, hint=fix)
        raise TraceError(
            f"unsupported module at '{path}': {type(module).__module__}."
            f"{type(module).__qualname__}; supported: {supported_modules()}",
            node=path,
            hint="replace it with a supported layer; per-step layers (convolutions, batch "
            "norms, pools) go inside snncompile.neurons.TimeDistributed",
        )

    def _per_step(self, inner: nn.Module, path: str, name: str, x: Value) -> Value:
        """The layer(s) inside a TimeDistributed: a leaf directly, a container traced."""
        step = _Scope(f"{path}.", f"{name}.", 1)
        if isinstance(inner, LEAF_TYPES):
            return self.module(inner, path, name, step, x)
        gm = fx_trace(inner, LEAF_TYPES)
        result = self.walk(gm, step, [x])
        if not isinstance(result, Value):
            raise TraceError(
                f"module '{path}' ({type(inner).__name__}) inside TimeDistributed returns "
                f"{type(result).__name__}, not one tensor",
                node=path,
                hint="per-step layers must map one tensor to one tensor",
            )
        return result

    def _neuron(self, module: nn.Module, path: str, name: str, scope: _Scope, x: Value) -> Value:
        where = f"module '{path}' ({type(module).__name__})"
        if scope.per_step:  # one call per step, state carried: the IR neuron's meaning
            module = as_multistep(module)
        elif scope.lead != 2:
            raise TraceError(
                f"{where} is inside TimeDistributed, which merges time into the batch: the "
                "neuron would see [T·B, ...] as one time step per sample",
                node=path,
                hint="apply neuron modules to the time-major [T, B, ...] tensor, outside "
                "TimeDistributed",
            )
        try:
            node = module.to_ir(x.shape)  # type: ignore[operator]
        except TraceError as exc:
            raise TraceError(f"{where}: {exc.message}", node=path, hint=exc.hint) from exc
        return self.builder.add(name, node, x, where)

    @staticmethod
    def _single_input(node: fx.Node, env: dict[fx.Node, Value], path: str) -> Value:
        if len(node.args) != 1 or node.kwargs or not isinstance(node.args[0], fx.Node):
            raise TraceError(
                f"module '{path}' is called with {len(node.args)} positional and "
                f"{len(node.kwargs)} keyword arguments; supported layers take one tensor",
                node=path,
                hint="call each layer on a single tensor",
            )
        return env[node.args[0]]

    def _call_name(self, node: fx.Node, op: str, scope: _Scope) -> str:
        """``<prefix><enclosing module path>.<op>``, reserved (``_1``… on repeats)."""
        stack = node.meta.get("nn_module_stack") or {}
        owner = str(list(stack.values())[-1][0]) if stack else ""
        base = f"{scope.name_prefix}{owner}.{op}" if owner else f"{scope.name_prefix}{op}"
        return self.builder.unique(base)


def _shared(node: fx.Node) -> bool:
    """True when the value of ``node`` feeds several consumers or the graph output."""
    return len(node.users) > 1 or any(user.op == "output" for user in node.users)


def trace(model: nn.Module, example_input: torch.Tensor | Sequence[torch.Tensor]) -> Graph:
    """The IR graph of ``model`` (see the module docstring for the mapping and names).

    Args:
        model: an ``nn.Module`` taking time-major ``[T, B, ...]`` tensors, or a per-step
            model (every neuron in ``step_mode="s"``, plain per-step layers, the loop
            over time outside) taking one step ``[B, ...]``; both trace to the same graph
            (:mod:`snncompile.frontend.step_mode`).
        example_input: a ``[T, B, ...]`` tensor (``[B, ...]`` for a per-step model; a
            sequence of them for a forward with several inputs); only the sample shapes
            (without T and B) are used.

    Returns:
        A verified graph with the default execution profile and metadata
        ``{"source_model": <class name>}``.

    Raises:
        InputError: ``example_input`` has too few axes for the model's layout, or the
            count does not match the forward's arguments.
        TraceError: the neurons mix step modes (naming the modules in each), fx cannot
            trace the model, or a module, function or option has no IR form (the message
            names the module path, its type and the supported list).
    """
    if not isinstance(model, nn.Module):
        raise TraceError(
            f"expected an nn.Module, got {type(model).__name__}", hint="pass the model instance"
        )
    mode = model_step_mode(model)
    shapes = _sample_shapes(example_input, mode)
    _warn_if_training(model)
    try:
        return _trace(model, shapes, mode)
    except (TraceError, InputError) as exc:
        hinted = _with_layout_hint(exc, mode, shapes)
        if hinted is exc:
            raise
        raise hinted from exc


def _trace(model: nn.Module, shapes: list[tuple[int, ...]], mode: str) -> Graph:
    gm = fx_trace(nn.Sequential(model) if isinstance(model, LEAF_TYPES) else model, LEAF_TYPES)
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(shapes):
        raise InputError(
            f"{type(model).__name__}.forward takes {len(placeholders)} tensor(s) "
            f"{[p.name for p in placeholders]} but {len(shapes)} example input(s) were given",
            hint=f"pass one {LAYOUTS[mode]} example tensor per forward argument",
        )
    taken = {str(n.target) for n in gm.graph.nodes if n.op == "call_module"}
    builder = GraphBuilder()
    inputs = [
        builder.add(_free(base, taken), nir.Input(np.asarray(shape, dtype=np.int64)), None, "input")
        for base, shape in zip(_input_names(placeholders), shapes, strict=True)
    ]
    walker = _Walker(builder)
    top = _Scope("", "", 1, per_step=True) if mode == "s" else _Scope("", "", 2)
    if isinstance(model, LEAF_TYPES):  # fx would trace into a leaf root: lower it whole
        name = type(model).__name__
        result: Any = walker.module(model, f"<root {name}>", name, top, inputs[0])
    else:
        result = walker.walk(gm, top, inputs)
    outputs = _flat_outputs(result)
    for i, value in enumerate(outputs):
        base = "output" if len(outputs) == 1 else f"output_{i}"
        builder.add(_free(base, taken), nir.Output(np.asarray(value.shape)), value, "output")
    return verify(builder.graph(ExecutionProfile(), {"source_model": type(model).__name__}))


#: Words of the messages a misread example layout causes (shape and rank mismatches).
_SHAPE_WORDS = ("shape", "expects", "rank", "samples of", "dims")


def _with_layout_hint(
    exc: SnnCompileError, mode: str, shapes: list[tuple[int, ...]]
) -> SnnCompileError:
    """``exc`` with a hint line saying how the example was read: a per-step example for a
    time-major model (or the reverse) fails somewhere inside, far from the cause. Added
    to every error of a per-step model, and to the shape errors of a time-major one."""
    if mode == "s":
        read = (
            f"the model's neurons are in step_mode='s', so the example was read as one step "
            f"[B, ...] with sample shape {list(shapes[0])}; if it is time-major [T, B, ...], "
            "pass one step of it (x[0])"
        )
    elif any(word in exc.message for word in _SHAPE_WORDS):
        read = (
            f"the model's neurons are in step_mode='m', so the example was read as "
            f"time-major [T, B, ...] with sample shape {list(shapes[0])}; a one-step "
            "[B, ...] example needs every neuron in step_mode='s'"
        )
    else:
        return exc
    hint = f"{exc.hint}; {read}" if exc.hint else read
    return type(exc)(exc.message, node=exc.node, hint=hint)


def _input_names(placeholders: Sequence[fx.Node]) -> list[str]:
    """``input`` for one input, else the forward's argument names."""
    return ["input"] if len(placeholders) == 1 else [p.name for p in placeholders]


def _free(base: str, taken: set[str]) -> str:
    """``base``, or ``graph_<base>`` when a module path is (or starts with) ``base``."""
    clash = any(t == base or t.startswith(base + ".") for t in taken)
    return f"graph_{base}" if clash else base


_EXAMPLE_LAYOUTS = {"m": "time-major tensor [T, B, ...]", "s": "one-step tensor [B, ...]"}


def _sample_shapes(example: Any, mode: str) -> list[tuple[int, ...]]:
    """The sample shapes of the example tensors: without T and B (``mode="m"``) or
    without B (``mode="s"``, one step)."""
    lead = 2 if mode == "m" else 1
    items = list(example) if isinstance(example, (tuple, list)) else [example]
    shapes = []
    for item in items:
        if not isinstance(item, torch.Tensor) or item.dim() < lead + 1:
            got = list(item.shape) if isinstance(item, torch.Tensor) else type(item).__name__
            why = "its neurons are in step_mode='s'" if mode == "s" else "a time-major model"
            raise InputError(
                f"example input {got} is not a {_EXAMPLE_LAYOUTS[mode]} "
                f"with at least one feature axis, which the model expects ({why})",
                hint="pass e.g. torch.zeros(T, B, C, H, W) (time first, then batch)"
                if mode == "m"
                else "pass one step, e.g. torch.zeros(B, C, H, W)",
            )
        shapes.append(tuple(int(d) for d in item.shape[lead:]))
    if not shapes:
        raise InputError("no example input given", hint=f"pass a {LAYOUTS[mode]} tensor")
    return shapes


def _flat_outputs(result: Any) -> list[Value]:
    if isinstance(result, Value):
        return [result]
    if isinstance(result, (tuple, list)) and result and all(isinstance(v, Value) for v in result):
        return list(result)
    raise TraceError(
        f"the model returns {type(result).__name__}; supported: one tensor or a tuple/list of "
        "tensors",
        hint="return the output tensor(s) directly",
    )


def _warn_if_training(model: nn.Module) -> None:
    modes = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)
    if any(m.training for m in model.modules() if isinstance(m, modes)):
        warnings.warn(
            f"{type(model).__name__} is in training mode: the trace has inference semantics "
            "(BatchNorm running statistics, no dropout), expected model.training=False, "
            "actual True; call model.eval() first",
            UserWarning,
            stacklevel=3,
        )
