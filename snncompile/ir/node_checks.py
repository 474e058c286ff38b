"""Per-node well-formedness: parameter types, shapes, finiteness and defining ranges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nir
import numpy as np

from snncompile.errors import IRValidationError
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, SoftLIF
from snncompile.ir.nodes import kind_of, node_fields, type_name
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.shapes import expand


def _fail(name: str, node: Any, what: str, hint: str) -> IRValidationError:
    return IRValidationError(f"node {name!r} ({type_name(node)}): {what}", node=name, hint=hint)


def _desc(array: np.ndarray) -> str:
    return f"{array.dtype}{list(array.shape)}"


def check_node(name: str, node: Any, profile: ExecutionProfile) -> None:
    """Raise IRValidationError unless ``node`` is well formed (see verify's docstring)."""
    _check_arrays(name, node)
    _check_population(name, node)
    checker = _SPECIFIC.get(type(node))
    if checker is not None:
        checker(name, node, profile)
    kind = kind_of(node)
    if kind is not None and kind.spiking and not kind.native and profile.spike_mode == "multi":
        theta = node.threshold if isinstance(node, nir.Threshold) else node.v_threshold
        _require(name, node, "v_threshold", theta, theta > 0, "> 0 under spike_mode='multi'")


def _check_arrays(name: str, node: Any) -> None:
    for field, value in node_fields(node).items():
        if not isinstance(value, np.ndarray):
            continue
        if value.dtype.kind not in "fiu":
            raise _fail(
                name,
                node,
                f"parameter {field!r} has dtype {value.dtype} (shape {list(value.shape)})",
                "parameters are real numeric arrays (float32/float64, or ints for sizes)",
            )
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
            raise _fail(
                name,
                node,
                f"parameter {field!r} {_desc(value)} has {bad} non-finite value(s) (NaN/Inf)",
                "check the trained model for diverged parameters (NaN or Inf) before export",
            )


def _check_population(name: str, node: Any) -> None:
    kind = kind_of(node)
    if kind is None or not (kind.population or kind.channel):
        return
    shape = None
    for field in kind.population:
        value = getattr(node, field)
        if value is None and isinstance(node, SoftLIF) and field == "v_reset":
            continue
        if not isinstance(value, np.ndarray):
            raise _fail(
                name,
                node,
                f"parameter {field!r} is a {type(value).__name__}, not a numpy array",
                "pass per-neuron numpy arrays of the population shape",
            )
        if shape is None:
            shape = value.shape
        elif value.shape != shape:
            raise _fail(
                name,
                node,
                f"parameter {field!r} has shape {list(value.shape)} but "
                f"{kind.population[0]!r} has shape {list(shape)}",
                "all per-neuron parameters must have the population shape (batch excluded)",
            )
    for field in kind.channel:
        value = getattr(node, field)
        allowed = [shape, (shape[0],) if shape else (), (1,)]
        if not isinstance(value, np.ndarray) or value.shape not in allowed:
            got = list(value.shape) if isinstance(value, np.ndarray) else type(value).__name__
            raise _fail(
                name,
                node,
                f"parameter {field!r} has shape {got}; population shape is {list(shape or ())}",
                f"use the population shape, ({shape[0] if shape else 'C'},) per channel or "
                "(1,) per layer",
            )


def _require(name: str, node: Any, field: str, value: Any, ok: Any, rule: str) -> None:
    ok = np.asarray(ok)
    if not np.all(ok):
        array = np.asarray(value)
        bad = array[~ok] if array.shape == ok.shape else array
        raise _fail(
            name,
            node,
            f"parameter {field!r} {_desc(array)} must be {rule}; offending value(s) "
            f"{np.unique(bad)[:4].tolist()}",
            f"set {field} {rule}",
        )


def _check_enum(name: str, node: Any, field: str, allowed: tuple[str, ...]) -> None:
    value = getattr(node, field)
    if value not in allowed:
        raise _fail(
            name,
            node,
            f"{field}={value!r} is not one of {list(allowed)}",
            f"set {field} to one of {', '.join(repr(a) for a in allowed)}",
        )


def _check_ints(
    name: str, node: Any, field: str, value: Any, sizes: tuple[int, ...], minimum: int, hint: str
) -> None:
    """``value`` is an int or a sequence of ints, ``len`` in ``sizes``, each >= ``minimum``."""
    array = np.atleast_1d(np.asarray(value))
    if array.dtype.kind not in "iu" or array.size not in sizes or np.any(array < minimum):
        raise _fail(name, node, f"{field}={value!r}", hint)


def _check_scalar(name: str, node: Any, field: str) -> None:
    value = getattr(node, field)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise _fail(name, node, f"{field}={value!r} is not a number", f"set {field} to a float")
    if not np.isfinite(value):
        raise _fail(name, node, f"{field}={value!r} is not finite", f"set {field} to a float")


def _check_matmul(name: str, node: Any, profile: ExecutionProfile) -> None:
    if node.weight.ndim < 2:
        raise _fail(
            name,
            node,
            f"weight has shape {list(node.weight.shape)}, expected (..., out, in)",
            "Affine/Linear weights are at least 2-D; use Scale for elementwise gains",
        )
    if isinstance(node, nir.Affine) and node.bias.shape != node.weight.shape[:-1]:
        raise _fail(
            name,
            node,
            f"bias shape {list(node.bias.shape)} does not match weight "
            f"{list(node.weight.shape)} (expected {list(node.weight.shape[:-1])})",
            "give one bias per output unit",
        )


def _check_conv(name: str, node: Any, profile: ExecutionProfile) -> None:
    ndim = 1 if isinstance(node, nir.Conv1d) else 2
    w = node.weight
    if w.ndim != ndim + 2:
        raise _fail(
            name, node, f"weight has shape {list(w.shape)}", f"expected {ndim + 2}-D weight"
        )
    groups = node.groups
    if isinstance(groups, bool) or int(np.asarray(groups)) < 1 or w.shape[0] % int(groups):
        raise _fail(
            name,
            node,
            f"groups={groups!r} must be a positive divisor of C_out={w.shape[0]}",
            "use groups=1 for a dense convolution",
        )
    if np.asarray(node.bias).shape != (w.shape[0],):
        raise _fail(
            name,
            node,
            f"bias shape {list(np.asarray(node.bias).shape)} != (C_out={w.shape[0]},)",
            "pass one bias per output channel (zeros for none)",
        )
    for field in ("stride", "dilation"):
        hint = f"{field} is a positive int or {ndim} of them"
        _check_ints(name, node, field, getattr(node, field), (1, ndim), 1, hint)
    padding = node.padding.decode() if isinstance(node.padding, bytes) else node.padding
    if isinstance(padding, str):
        _check_enum(name, node, "padding", ("same", "valid"))
        if padding == "same" and np.any(np.asarray(node.stride) != 1):
            raise _fail(
                name, node, "padding='same' with stride != 1", "use explicit integer padding"
            )
    else:
        hint = f"padding is 'same', 'valid', a non-negative int or {ndim} of them"
        _check_ints(name, node, "padding", padding, (1, ndim), 0, hint)


def _check_pool(name: str, node: Any, profile: ExecutionProfile) -> None:
    for field, minimum in (("kernel_size", 1), ("stride", 1), ("padding", 0)):
        hint = f"{field} is an int >= {minimum} or a pair of them"
        _check_ints(name, node, field, getattr(node, field), (1, 2), minimum, hint)


def _check_max_pool(name: str, node: Any, profile: ExecutionProfile) -> None:
    _check_pool(name, node, profile)
    kernel, padding = expand(node.kernel_size, 2), expand(node.padding, 2)
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        raise _fail(
            name,
            node,
            f"padding {list(padding)} exceeds half the kernel {list(kernel)}, so a window "
            "could hold padding only (PyTorch refuses it too)",
            "use padding <= kernel_size // 2",
        )


def _check_io(name: str, node: Any, profile: ExecutionProfile) -> None:
    shape = node.input_type["input"] if isinstance(node, nir.Input) else node.output_type["output"]
    array = np.asarray(shape)
    if shape is None or array.dtype.kind not in "iu" or array.ndim != 1 or np.any(array < 1):
        raise _fail(
            name,
            node,
            f"shape {shape!r} is not a list of positive ints",
            "give the sample shape without batch and time, e.g. np.array([10])",
        )


def _check_tau(*fields: str) -> Callable[[str, Any, ExecutionProfile], None]:
    def check(name: str, node: Any, profile: ExecutionProfile) -> None:
        for field in fields:
            value = getattr(node, field)
            _require(name, node, field, value, value > 0, "> 0")

    return check


def _check_softlif(name: str, node: Any, profile: ExecutionProfile) -> None:
    _check_enum(name, node, "reset", ("soft", "hard"))
    _require(name, node, "beta", node.beta, (node.beta >= 0) & (node.beta <= 1), "in [0, 1]")
    if node.reset == "soft" and node.v_reset is not None and np.any(node.v_reset != 0):
        raise _fail(
            name,
            node,
            "v_reset is non-zero but reset='soft' subtracts the threshold and ignores it",
            "set v_reset=None for a soft reset, or reset='hard'",
        )


def _check_dalif(name: str, node: Any, profile: ExecutionProfile) -> None:
    _check_enum(name, node, "reset", ("soft", "hard"))


def _check_ilif(name: str, node: Any, profile: ExecutionProfile) -> None:
    _check_tau("tau")(name, node, profile)
    _check_scalar(name, node, "current_inhibition")
    _check_scalar(name, node, "membrane_inhibition")


def _check_batchnorm(name: str, node: Any, profile: ExecutionProfile) -> None:
    fields = ("weight", "bias", "running_mean", "running_var")
    shapes = {f: getattr(node, f).shape for f in fields}
    if len(set(shapes.values())) != 1 or node.weight.ndim != 1:
        raise _fail(
            name,
            node,
            f"per-channel vectors must all have shape (C,), got {shapes}",
            "pass weight, bias, running_mean and running_var of shape (C,)",
        )
    _require(name, node, "running_var", node.running_var, node.running_var >= 0, ">= 0")
    _check_scalar(name, node, "eps")
    _require(name, node, "eps", node.eps, node.eps > 0, "> 0")


def _check_delay(name: str, node: Any, profile: ExecutionProfile) -> None:
    steps = node.delay / profile.dt
    _require(name, node, "delay", node.delay, node.delay >= 0, ">= 0")
    ok = np.abs(steps - np.round(steps)) <= 1e-6 * np.maximum(1.0, np.abs(steps))
    _require(name, node, "delay", node.delay, ok, f"an integer multiple of dt={profile.dt}")


_SPECIFIC: dict[type, Callable[[str, Any, ExecutionProfile], None]] = {
    nir.Input: _check_io,
    nir.Output: _check_io,
    nir.Affine: _check_matmul,
    nir.Linear: _check_matmul,
    nir.Conv1d: _check_conv,
    nir.Conv2d: _check_conv,
    nir.SumPool2d: _check_pool,
    nir.AvgPool2d: _check_pool,
    nir.Delay: _check_delay,
    nir.LI: _check_tau("tau"),
    nir.LIF: _check_tau("tau"),
    nir.CubaLI: _check_tau("tau_syn", "tau_mem"),
    nir.CubaLIF: _check_tau("tau_syn", "tau_mem"),
    SoftLIF: _check_softlif,
    DALIF: _check_dalif,
    CLIF: _check_tau("tau"),
    ILIF: _check_ilif,
    BatchNorm: _check_batchnorm,
    MaxPool2d: _check_max_pool,
}
