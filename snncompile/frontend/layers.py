"""Built-in torch layers as IR nodes: the ``{torch type: lowering}`` table.

Each lowering reads the layer's detached parameters as numpy copies (in their dtype) and
adds at most a few IR nodes. Lookup is by **exact** type: a subclass of ``nn.Linear``
may change ``forward``, so it is refused by name rather than lowered as its base class.

- ``Linear`` -> ``Affine`` (with bias) or ``Linear``; the sample must be 1-D.
- ``Conv1d``, ``Conv2d`` -> ``Conv1d``, ``Conv2d`` (stride, padding incl. ``"same"``,
  dilation, groups; a missing bias becomes zeros); per step, i.e. inside
  ``TimeDistributed``; ``padding_mode="zeros"`` only.
- ``BatchNorm1d``/``BatchNorm2d`` -> ``BatchNorm`` with the running statistics (inside
  ``TimeDistributed``); ``fold_batchnorm`` folds it into the producing conv/linear, or
  rewrites it as an exact diagonal Affine / 1x1 Conv.
- ``AvgPool2d`` -> ``AvgPool2d`` (``ceil_mode=False``; ``count_include_pad=True`` unless
  there is no padding).
- **Sum pooling** is written ``nn.AvgPool2d(k, stride, padding, divisor_override=1)``
  (torch computes the window sum exactly) -> ``SumPool2d``. ``nn.LPPool2d(1, k)`` is
  accepted too (torch computes avg·k², equal up to rounding).
- ``AdaptiveAvgPool2d`` -> ``AvgPool2d`` with kernel = stride = input/output size (the
  output size must divide the input).
- ``Flatten`` -> ``Flatten`` with dims counted without batch and time (:mod:`.dims`).
- ``MaxPool2d`` -> ``MaxPool2d`` (kernel, stride, padding; ``dilation=1``,
  ``ceil_mode=False``, ``return_indices=False``). Exact on every target when it pools
  spikes (after a neuron); targets without a max unit refuse it on other values.
- ``Dropout``, ``Dropout1d``, ``Dropout2d``, ``Identity`` -> removed (inference).
- ``ReLU`` -> refused with a hint (:data:`REFUSED`); every other type is refused naming
  its path, type and this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nir
import numpy as np
import torch
from torch import nn

from snncompile.errors import TraceError
from snncompile.frontend.dims import flatten_dims
from snncompile.frontend.graph_builder import GraphBuilder, Value
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.shapes import expand


@dataclass(frozen=True)
class LayerCall:
    """One call of a torch layer during the trace.

    Attributes:
        builder: the graph under construction.
        path: the layer's module path (for messages), e.g. ``"stem.module.0"``.
        name: the base name of the IR node(s), e.g. ``"stem.0"``.
        lead: leading non-sample axes of the tensor: 2 for ``[T, B, ...]``, 1 inside a
            ``TimeDistributed`` (``[T·B, ...]``) and in a per-step model (``[B, ...]``).
    """

    builder: GraphBuilder
    path: str
    name: str
    lead: int

    def where(self, module: nn.Module) -> str:
        return f"module '{self.path}' ({type(module).__name__})"

    def refuse(self, module: nn.Module, problem: str, hint: str) -> TraceError:
        return TraceError(f"{self.where(module)}: {problem}", node=self.path, hint=hint)

    def add(self, node: Any, x: Value, module: nn.Module) -> Value:
        return self.builder.add(self.name, node, x, self.where(module))


Lowering = Callable[[Any, LayerCall, Value], Value]

_TD_HINT = "wrap per-step layers in snncompile.neurons.TimeDistributed, e.g. TimeDistributed({})"


def _array(tensor: torch.Tensor | None) -> np.ndarray | None:
    return None if tensor is None else tensor.detach().cpu().numpy().copy()


def _per_step(module: nn.Module, call: LayerCall) -> None:
    """Convolutions, batch norms and pools need the [N, C, ...] layout of one step."""
    if call.lead != 1:
        raise call.refuse(
            module,
            "runs on the time-major [T, B, ...] tensor, where torch would treat T as the "
            "batch and B as the channel axis",
            _TD_HINT.format(f"nn.{type(module).__name__}(...)"),
        )


def _linear(module: nn.Linear, call: LayerCall, x: Value) -> Value:
    if len(x.shape) != 1:
        raise call.refuse(
            module,
            f"receives samples of shape {list(x.shape)}; the IR's dense layers take 1-D samples",
            "flatten first, e.g. nn.Flatten(2) on [T, B, ...] (or nn.Flatten() inside "
            "TimeDistributed)",
        )
    weight = _array(module.weight)
    if module.bias is None:
        return call.add(nir.Linear(weight=weight), x, module)
    return call.add(nir.Affine(weight=weight, bias=_array(module.bias)), x, module)


def _conv(module: nn.Conv1d | nn.Conv2d, call: LayerCall, x: Value) -> Value:
    _per_step(module, call)
    if module.padding_mode != "zeros":
        raise call.refuse(
            module,
            f"padding_mode={module.padding_mode!r} has no IR form",
            "use padding_mode='zeros' (the default)",
        )
    weight = _array(module.weight)
    bias = _array(module.bias)
    if bias is None:
        bias = np.zeros(weight.shape[0], dtype=weight.dtype)
    padding = module.padding if isinstance(module.padding, str) else tuple(module.padding)
    if isinstance(module, nn.Conv1d):
        node: Any = nir.Conv1d(
            x.shape[1] if len(x.shape) == 2 else None,
            weight,
            int(module.stride[0]),
            padding if isinstance(padding, str) else int(padding[0]),
            int(module.dilation[0]),
            int(module.groups),
            bias,
        )
    else:
        node = nir.Conv2d(
            tuple(x.shape[1:]) if len(x.shape) == 3 else None,
            weight,
            tuple(module.stride),
            padding,
            tuple(module.dilation),
            int(module.groups),
            bias,
        )
    return call.add(node, x, module)


def _batchnorm(module: nn.BatchNorm1d | nn.BatchNorm2d, call: LayerCall, x: Value) -> Value:
    _per_step(module, call)
    if module.running_mean is None or module.running_var is None:
        raise call.refuse(
            module,
            "has no running statistics (track_running_stats=False), so its inference "
            "output depends on the batch",
            "construct it with track_running_stats=True and train it",
        )
    mean, var = _array(module.running_mean), _array(module.running_var)
    weight = _array(module.weight) if module.weight is not None else np.ones_like(mean)
    bias = _array(module.bias) if module.bias is not None else np.zeros_like(mean)
    node = BatchNorm(weight, bias, mean, var, eps=float(module.eps))
    return call.add(node, x, module)


def _pool_node(cls: type, kernel: Any, stride: Any, padding: Any) -> Any:
    as_array = lambda v: np.asarray(expand(v, 2), dtype=np.int64)  # noqa: E731
    return cls(as_array(kernel), as_array(stride), as_array(padding))


def _avgpool(module: nn.AvgPool2d, call: LayerCall, x: Value) -> Value:
    _per_step(module, call)
    padded = any(p != 0 for p in expand(module.padding, 2))
    if module.ceil_mode:
        raise call.refuse(module, "ceil_mode=True has no IR form", "use ceil_mode=False")
    if padded and not module.count_include_pad:
        raise call.refuse(
            module,
            "count_include_pad=False divides border windows by their unpadded size; the "
            "IR's AvgPool2d divides every window by kH·kW",
            "use count_include_pad=True (the default) or padding=0",
        )
    stride = module.stride if module.stride is not None else module.kernel_size
    if module.divisor_override is None:
        cls: type = nir.AvgPool2d
    elif module.divisor_override == 1:
        cls = nir.SumPool2d
    else:
        raise call.refuse(
            module,
            f"divisor_override={module.divisor_override} has no IR form",
            "use divisor_override=None (average) or 1 (sum pooling)",
        )
    return call.add(_pool_node(cls, module.kernel_size, stride, module.padding), x, module)


def max_pool_node(
    kernel: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, return_indices: bool
) -> tuple[MaxPool2d | None, str, str]:
    """(node, "", "") for torch max-pooling arguments, or (None, problem, fix).

    Shared by ``nn.MaxPool2d`` and ``F.max_pool2d``; ``stride`` None (or empty) means the
    kernel, as in torch.
    """
    if any(d != 1 for d in expand(dilation, 2)):
        return None, f"dilation={dilation} has no IR form", "use dilation=1"
    if ceil_mode:
        return None, "ceil_mode=True has no IR form", "use ceil_mode=False"
    if return_indices:
        return (
            None,
            "return_indices=True returns the argmax positions, which no target computes",
            "use return_indices=False",
        )
    pairs = zip(expand(padding, 2), expand(kernel, 2), strict=True)
    if any(p > k // 2 for p, k in pairs):
        return (
            None,
            f"padding={padding} exceeds half the kernel {kernel}",
            "use padding <= kernel_size // 2 (torch requires it too)",
        )
    if stride is None or (isinstance(stride, (tuple, list)) and not stride):
        stride = kernel
    return _pool_node(MaxPool2d, kernel, stride, padding), "", ""


def _maxpool(module: nn.MaxPool2d, call: LayerCall, x: Value) -> Value:
    _per_step(module, call)
    node, problem, fix = max_pool_node(
        module.kernel_size,
        module.stride,
        module.padding,
        module.dilation,
        module.ceil_mode,
        module.return_indices,
    )
    if node is None:
        raise call.refuse(module, problem, fix)
    return call.add(node, x, module)


def _lppool(module: nn.LPPool2d, call: LayerCall, x: Value) -> Value:
    _per_step(module, call)
    if float(module.norm_type) != 1.0 or module.ceil_mode:
        raise call.refuse(
            module,
            f"norm_type={module.norm_type}, ceil_mode={module.ceil_mode}: only LPPool2d(1, k) "
            "(sum pooling, ceil_mode=False) has an IR form",
            "write sum pooling as nn.AvgPool2d(k, divisor_override=1)",
        )
    stride = module.stride if module.stride is not None else module.kernel_size
    return call.add(_pool_node(nir.SumPool2d, module.kernel_size, stride, 0), x, module)


def _adaptive_avgpool(module: nn.AdaptiveAvgPool2d, call: LayerCall, x: Value) -> Value:
    _per_step(module, call)
    size = x.shape[1:]
    wanted = (
        module.output_size if isinstance(module.output_size, tuple) else (module.output_size,) * 2
    )
    out = tuple(int(o) if o is not None else int(s) for o, s in zip(wanted, size, strict=True))
    if len(size) != 2 or any(s % o for s, o in zip(size, out, strict=True)):
        raise call.refuse(
            module,
            f"output size {list(out)} does not divide the input {list(size)}, so its windows "
            "overlap unevenly",
            "use nn.AvgPool2d with an explicit kernel and stride",
        )
    kernel = tuple(s // o for s, o in zip(size, out, strict=True))
    return call.add(_pool_node(nir.AvgPool2d, kernel, kernel, 0), x, module)


def _flatten(module: nn.Flatten, call: LayerCall, x: Value) -> Value:
    dims = flatten_dims(module.start_dim, module.end_dim, x.shape, call.lead, call.where(module))
    if dims is None:
        return x
    start, end = dims
    node = nir.Flatten({"input": np.asarray(x.shape, dtype=np.int64)}, start, end)
    return call.add(node, x, module)


def _passthrough(module: nn.Module, call: LayerCall, x: Value) -> Value:
    return x


#: Supported torch layers, by exact type.
LAYER_LOWERINGS: dict[type[nn.Module], Lowering] = {
    nn.Linear: _linear,
    nn.Conv1d: _conv,
    nn.Conv2d: _conv,
    nn.BatchNorm1d: _batchnorm,
    nn.BatchNorm2d: _batchnorm,
    nn.AvgPool2d: _avgpool,
    nn.LPPool2d: _lppool,
    nn.AdaptiveAvgPool2d: _adaptive_avgpool,
    nn.MaxPool2d: _maxpool,
    nn.Flatten: _flatten,
    nn.Dropout: _passthrough,
    nn.Dropout1d: _passthrough,
    nn.Dropout2d: _passthrough,
    nn.Identity: _passthrough,
}

#: Layers refused with a specific explanation: type -> (why, how to fix).
REFUSED: dict[type[nn.Module], tuple[str, str]] = {
    nn.ReLU: (
        "ReLU is an analog activation; snncompile compiles spiking graphs in which neurons "
        "are the only nonlinearity",
        "remove it (a spiking neuron after the layer already rectifies) or replace it with "
        "a neuron module such as snncompile.neurons.LIF",
    ),
}
