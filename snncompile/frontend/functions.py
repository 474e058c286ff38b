"""Tensor functions and methods between modules, as IR structure.

=============================================== ===========================================
torch call                                      IR
=============================================== ===========================================
``a + b``, ``torch.add(a, b[, alpha=k])``,      summed fan-in edges (NIR semantics); ``k``
``a.add(b)``, ``a += b``                        and repeated operands become ``Scale`` nodes
``a - b``, ``torch.sub``, ``a.sub(b)``          ``a`` plus ``Scale(−1)`` of ``b``
``a * c`` (``c`` a Python number)               ``Scale(c)``
``torch.flatten``, ``a.flatten(s, e)``          ``Flatten`` (dims as for ``nn.Flatten``)
``F.max_pool2d(x, k, s, p)`` (per step)         ``MaxPool2d`` (as ``nn.MaxPool2d``)
=============================================== ===========================================

Anything else (products of two tensors, reshapes to computed shapes, concatenation,
activations) raises :class:`~snncompile.errors.TraceError` naming the call, the module it
sits in, the user's source line and the supported list.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np
import torch
import torch.nn.functional as F
from torch import fx

from snncompile.errors import TraceError
from snncompile.frontend.dims import flatten_dims
from snncompile.frontend.fx import module_hint, stack_hint
from snncompile.frontend.graph_builder import GraphBuilder, Value
from snncompile.frontend.layers import max_pool_node
from snncompile.frontend.ops import describe_target


@dataclass(frozen=True)
class Call:
    """One fx ``call_function``/``call_method`` node being lowered.

    Attributes:
        node: the fx node.
        builder: the graph under construction.
        name: the base name of IR nodes it creates (``<module path>.<op>``).
        lead: leading non-sample axes (2 on ``[T, B, ...]``, 1 inside TimeDistributed or
            in a per-step model).
        env: fx node -> Value of the tensors computed so far.
    """

    node: fx.Node
    builder: GraphBuilder
    name: str
    lead: int
    env: dict[fx.Node, Value]

    @property
    def where(self) -> str:
        return f"call '{self.node.name}'{module_hint(self.node)}{stack_hint(self.node)}"

    def tensor(self, arg: Any, role: str) -> Value:
        if isinstance(arg, fx.Node) and arg in self.env:
            return self.env[arg]
        raise TraceError(
            f"{self.where}: {role} is {arg!r}, not a tensor computed by the model",
            node=self.node.name,
            hint="only tensors flowing from the input through layers can be combined; "
            "constant tensors and parameters used outside modules are not supported",
        )

    def arg(self, index: int, key: str, default: Any) -> Any:
        args, kwargs = self.node.args, self.node.kwargs
        return args[index] if len(args) > index else kwargs.get(key, default)


Handler = Callable[[Call], Value]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scaled(call: Call, value: Value, gain: Any, suffix: str) -> Value:
    if not _number(gain):
        raise TraceError(
            f"{call.where}: factor {gain!r} is not a Python number",
            node=call.node.name,
            hint="multiply tensors only by constants; products of two signals have no IR form",
        )
    if float(gain) == 1.0:
        return value
    return call.builder.identity(f"{call.name}{suffix}", value, float(gain), reserved=not suffix)


def _add(call: Call) -> Value:
    a = call.tensor(call.node.args[0], "the first operand")
    b = call.tensor(call.node.args[1], "the second operand")
    b = _scaled(call, b, call.node.kwargs.get("alpha", 1), ".alpha")
    return call.builder.combine((a, b), call.name, call.where)


def _sub(call: Call) -> Value:
    a = call.tensor(call.node.args[0], "the first operand")
    b = call.tensor(call.node.args[1], "the second operand")
    b = _scaled(call, b, -float(call.node.kwargs.get("alpha", 1)), ".neg")
    return call.builder.combine((a, b), call.name, call.where)


def _mul(call: Call) -> Value:
    a, b = call.node.args[0], call.node.args[1]
    if isinstance(a, fx.Node) and isinstance(b, fx.Node):
        raise TraceError(
            f"{call.where}: multiplies two tensors; the IR has no product of two signals",
            node=call.node.name,
            hint="multiply only by Python numbers",
        )
    tensor, gain = (a, b) if isinstance(a, fx.Node) else (b, a)
    return _scaled(call, call.tensor(tensor, "the tensor operand"), gain, "")


def _flatten(call: Call) -> Value:
    x = call.tensor(call.node.args[0], "the input")
    start = call.arg(1, "start_dim", 0)
    end = call.arg(2, "end_dim", -1)
    if not (_number(start) and _number(end)):
        raise TraceError(
            f"{call.where}: flatten dims must be constant ints, got {start!r}, {end!r}",
            node=call.node.name,
            hint="pass literal dims, e.g. torch.flatten(x, 2)",
        )
    dims = flatten_dims(int(start), int(end), x.shape, call.lead, call.where)
    if dims is None:
        return x
    node = nir.Flatten({"input": np.asarray(x.shape, dtype=np.int64)}, dims[0], dims[1])
    return call.builder.add(call.name, node, x, call.where, reserved=True)


def _max_pool(call: Call) -> Value:
    x = call.tensor(call.node.args[0], "the input")
    if call.lead != 1:
        raise TraceError(
            f"{call.where}: max_pool2d runs on the time-major [T, B, ...] tensor, where "
            "torch would treat T as the batch and B as the channel axis",
            node=call.node.name,
            hint="call it inside a module wrapped in snncompile.neurons.TimeDistributed, or "
            "use TimeDistributed(nn.MaxPool2d(k))",
        )
    args = [
        call.arg(1, "kernel_size", None),
        call.arg(2, "stride", None),
        call.arg(3, "padding", 0),
        call.arg(4, "dilation", 1),
        call.arg(5, "ceil_mode", False),
        call.arg(6, "return_indices", False),
    ]
    if any(isinstance(a, fx.Node) for a in args) or args[0] is None:
        raise TraceError(
            f"{call.where}: max_pool2d needs constant kernel_size, stride, padding, "
            f"dilation and flags, got {args}",
            node=call.node.name,
            hint="pass literal values, e.g. F.max_pool2d(x, 2)",
        )
    node, problem, fix = max_pool_node(*args)
    if node is None:
        raise TraceError(f"{call.where}: {problem}", node=call.node.name, hint=fix)
    return call.builder.add(call.name, node, x, call.where, reserved=True)


#: Supported ``call_function`` targets -> (op name used in node names, handler).
FUNCTIONS: dict[Any, tuple[str, Handler]] = {
    operator.add: ("add", _add),
    operator.iadd: ("add", _add),
    torch.add: ("add", _add),
    operator.sub: ("sub", _sub),
    operator.isub: ("sub", _sub),
    torch.sub: ("sub", _sub),
    operator.mul: ("mul", _mul),
    operator.imul: ("mul", _mul),
    torch.mul: ("mul", _mul),
    torch.flatten: ("flatten", _flatten),
    F.max_pool2d: ("max_pool2d", _max_pool),
    torch.max_pool2d: ("max_pool2d", _max_pool),
}

#: Supported ``call_method`` targets (Tensor method names) -> (op name, handler).
METHODS: dict[str, tuple[str, Handler]] = {
    "add": ("add", _add),
    "add_": ("add", _add),
    "sub": ("sub", _sub),
    "sub_": ("sub", _sub),
    "mul": ("mul", _mul),
    "mul_": ("mul", _mul),
    "flatten": ("flatten", _flatten),
}


def lookup(node: fx.Node) -> tuple[str, Handler]:
    """(op name, handler) of a call_function/call_method node.

    Raises:
        TraceError: unsupported function or method, naming it, the module it sits in,
            the source line and the supported list.
    """
    found = FUNCTIONS.get(node.target) if node.op == "call_function" else None
    if node.op == "call_method":
        found = METHODS.get(str(node.target))
    if found is not None:
        return found
    if node.op == "call_function":
        what = f"function {describe_target(node.target)}"
    else:
        what = f"tensor method .{node.target}()"
    supported = sorted({describe_target(f) for f in FUNCTIONS} | {f".{m}()" for m in METHODS})
    raise TraceError(
        f"unsupported {what} at node '{node.name}'{module_hint(node)}{stack_hint(node)}; "
        f"supported: {', '.join(supported)}",
        node=node.name,
        hint="express it with supported layers (e.g. nn.Flatten instead of a view, a "
        "neuron module instead of an activation)",
    )
