"""``snncompile.save``: trace, describe, check and write a model (format in ``__init__``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import torch
from torch import fx, nn

from snncompile.checkpoint.file_io import (
    PathLike,
    check_save_path,
    weights_sha256,
    write_atomic,
)
from snncompile.checkpoint.graph_codec import encode_graph
from snncompile.checkpoint.specs import LEAF_TYPES, checkpoint_specs
from snncompile.errors import CheckpointError, ConfigError, SnnCompileError, TraceError
from snncompile.frontend import LeafTracer, trace
from snncompile.frontend.step_mode import LAYOUTS, model_step_mode
from snncompile.neurons import reset

FORMAT_TAG = "snncompile.checkpoint"
FORMAT_VERSION = 1
#: Example inputs up to this many bytes in all are stored with their values
#: (``example_data``): targets that calibrate use them when given no calibration data.
MAX_EXAMPLE_BYTES = 4 * 2**20


def _unwrap(model: Any) -> nn.Module:
    """The module inside DistributedDataParallel / DataParallel, else ``model``."""
    if not isinstance(model, nn.Module):
        raise CheckpointError(
            f"snncompile.save expects an nn.Module, got {type(model).__name__}",
            hint="pass the model instance",
        )
    inner = getattr(model, "module", None)
    wrappers = (nn.DataParallel, nn.parallel.DistributedDataParallel)
    return inner if isinstance(model, wrappers) and isinstance(inner, nn.Module) else model


def _inputs(example_input: Any) -> tuple[torch.Tensor, ...]:
    items = example_input if isinstance(example_input, tuple | list) else (example_input,)
    if not items or not all(isinstance(t, torch.Tensor) for t in items):
        raise CheckpointError(
            f"example_input must be a tensor or a tuple of tensors, got "
            f"{type(example_input).__name__}",
            hint="pass one batch of input, e.g. example_input=torch.zeros(T, 1, 64)",
        )
    return tuple(items)


def _run(module: nn.Module, owner: nn.Module, inputs: tuple[torch.Tensor, ...]) -> Any:
    reset(owner)  # single-step neurons carry state between calls
    with torch.no_grad():
        return module(*inputs)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_floating_point():  # NaN == NaN here: same bits in, same bits out
            return torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(), b.nan_to_num())
        return torch.equal(a, b)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _example_data(inputs: tuple[torch.Tensor, ...]) -> list[torch.Tensor] | None:
    """The example inputs' values (CPU copies), or None when they take more than
    ``MAX_EXAMPLE_BYTES`` together (a checkpoint stays about as small as its weights)."""
    if sum(t.numel() * t.element_size() for t in inputs) > MAX_EXAMPLE_BYTES:
        return None
    return [t.detach().cpu().clone() for t in inputs]


def _describe_output(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return {"shape": list(out.shape), "dtype": str(out.dtype).removeprefix("torch.")}
    if isinstance(out, tuple | list):
        return [_describe_output(o) for o in out]
    return {"type": type(out).__name__}


def _check_traced(model: nn.Module, gm: fx.GraphModule, inputs: tuple[torch.Tensor, ...]) -> Any:
    """Run both in eval mode; the traced graph must reproduce the model exactly."""
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        expected = _run(model, model, inputs)
        got = _run(gm, model, inputs)
    except SnnCompileError:
        raise
    except Exception as exc:
        raise CheckpointError(
            f"running {type(model).__name__} on example_input "
            f"{[tuple(t.shape) for t in inputs]} failed: {type(exc).__name__}: {exc}",
            hint="pass an example_input the model accepts: "
            f"{LAYOUTS[model_step_mode(model)]} (the layout its neurons' step_mode expects)",
        ) from exc
    finally:
        for m, training in modes.items():
            m.train(training)
        reset(model)
    if not _same(expected, got):
        raise CheckpointError(
            f"the traced graph of {type(model).__name__} does not reproduce its output on "
            "example_input",
            hint="forward probably depends on Python state or randomness outside modules; "
            "keep such logic inside a module",
        )
    return expected


def _check_plain(value: Any, where: str) -> None:
    """Raise :class:`ConfigError` unless ``value`` is JSON-able plain data."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float) and math.isfinite(value):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for key, item in value.items():
            _check_plain(item, f"{where}[{key!r}]")
        return
    raise ConfigError(
        f"{where} = {value!r} ({type(value).__name__}) is not JSON-able plain data",
        hint="use None, bool, int, finite float, str, list and str-keyed dict only",
    )


def _builtin(value: Any) -> Any:
    """Exact built-in types, recursively, so ``weights_only`` loading accepts the file
    (e.g. ``torch.__version__`` is a ``str`` subclass, which it would reject)."""
    if isinstance(value, torch.Tensor) or value is None:
        return value
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, dict):
        return {str(k): _builtin(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_builtin(v) for v in value)
    if isinstance(value, list):
        return [_builtin(v) for v in value]
    raise TypeError(f"internal: {type(value).__name__} left in a checkpoint dict")


def build_checkpoint(
    model: nn.Module, example_input: Any, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The dict :func:`save` writes (see the package docstring for the format)."""
    from snncompile import __version__

    model = _unwrap(model)
    inputs = _inputs(example_input)
    meta = dict(metadata or {})
    _check_plain(meta, "metadata")
    specs = checkpoint_specs()
    if LeafTracer(LEAF_TYPES).is_leaf_module(model, ""):
        name = type(model).__name__
        raise CheckpointError(
            f"the model is a single layer ({name}); a checkpoint holds a network of layers",
            hint="wrap it: snncompile.save(nn.Sequential(layer), ...) (keys gain a '0.' prefix)",
        )
    try:
        step_mode = model_step_mode(model)  # mixed modes: refused before anything runs
        gm = trace(model, LEAF_TYPES)
        architecture = encode_graph(gm, model, specs)
    except TraceError as exc:
        raise CheckpointError(
            f"cannot save {type(model).__name__}: {exc.message}", node=exc.node, hint=exc.hint
        ) from exc
    output = _check_traced(model, gm, inputs)
    state = {k: v.detach().cpu().clone() for k, v in gm.state_dict().items()}
    dropped = sorted(set(model.state_dict()) - set(state))
    if dropped:
        warnings.warn(
            f"snncompile.save: {len(dropped)} tensors not used by forward are not "
            f"saved: {', '.join(dropped[:8])}{' ...' if len(dropped) > 8 else ''}",
            stacklevel=3,
        )
    placeholders = [n.name for n in gm.graph.nodes if n.op == "placeholder"]
    return _builtin(
        {
            "format": FORMAT_TAG,
            "format_version": FORMAT_VERSION,
            "snncompile_version": __version__,
            "torch_version": torch.__version__,
            "model_class": type(model).__name__,
            "step_mode": step_mode,
            "architecture": architecture,
            "inputs": [
                {"name": name, **_describe_output(t)}
                for name, t in zip(placeholders, inputs, strict=False)
            ],
            "output": _describe_output(output),
            "example_data": _example_data(inputs),
            "state_dict": state,
            "weights_sha256": weights_sha256(state),
            "metadata": meta,
        }
    )


def save(
    model: nn.Module,
    path: PathLike,
    *,
    example_input: Any,
    metadata: Mapping[str, Any] | None = None,
    force: bool = False,
) -> None:
    """Save ``model`` as a code-free checkpoint that :func:`snncompile.load` rebuilds.

    The model is traced with torch.fx (neuron modules and ``TimeDistributed`` are leaves),
    its graph and layer configs are stored as plain data next to the state_dict, and the
    traced graph is checked to reproduce the model's output on ``example_input``.

    Args:
        model: the network (a DistributedDataParallel/DataParallel wrapper is unwrapped).
        path: the file to write, atomically: the complete file or nothing.
        example_input: one input batch (tensor or tuple of tensors), e.g. ``[T, B, 64]``.
        metadata: optional JSON-able dict stored as is (training command, accuracy, ...).
        force: replace an existing ``path`` (otherwise it is refused before any work).

    Raises:
        ConfigError: ``path`` exists and ``force`` is false (checked before tracing).
        CheckpointError: an unsupported layer or operation (naming its module path, type
            and the supported list), untraceable forward, or a path in a missing folder.
        OutputError: the folder is not writable or the disk is full.
    """
    check_save_path(path, force=force)  # fail before tracing and checking the model
    write_atomic(build_checkpoint(model, example_input, metadata), path, force=force)
