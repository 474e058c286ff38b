"""``snncompile.load``: rebuild a model from a checkpoint without the user's code."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import fx, nn

from snncompile.checkpoint.file_io import PathLike, read_object, weights_sha256
from snncompile.checkpoint.graph_codec import decode_graph
from snncompile.checkpoint.specs import checkpoint_specs
from snncompile.checkpoint.writer import FORMAT_TAG, FORMAT_VERSION
from snncompile.errors import CheckpointError, ConfigError
from snncompile.frontend.step_mode import LAYOUTS, listed, neuron_step_modes

_RESAVE = "re-save the model with snncompile.save(model, path, example_input=x)"


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        keys = list(obj)[:5]
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return f"a bare state_dict ({len(obj)} tensors, e.g. {keys})"
        return f"a dict with keys {keys}{' ...' if len(obj) > 5 else ''}"
    return f"a {type(obj).__name__}"


def validate(obj: Any, path: PathLike) -> dict[str, Any]:
    """Check the format tag, version, structure and weight hash of a loaded file."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_TAG:
        raise CheckpointError(
            f"'{path}' is a torch file but not an snncompile checkpoint: it holds {_describe(obj)}",
            hint="a state_dict alone does not describe the architecture: build the model in "
            f"code and call model.load_state_dict(torch.load(path)), then {_RESAVE}",
        )
    version = obj.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(
            f"'{path}': invalid format_version {version!r}", hint=f"the file is damaged; {_RESAVE}"
        )
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"'{path}' has checkpoint format version {version}, written by snncompile "
            f"{obj.get('snncompile_version', '?')}; this snncompile reads up to version "
            f"{FORMAT_VERSION}",
            hint="upgrade snncompile: pip install -U snncompile",
        )
    state = obj.get("state_dict")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(
            f"'{path}': the state_dict is missing or malformed",
            hint=f"the file is damaged; {_RESAVE}",
        )
    stored = obj.get("weights_sha256")
    actual = weights_sha256(state)
    if stored != actual:
        raise CheckpointError(
            f"'{path}': weight hash mismatch (stored {str(stored)[:16]}..., computed "
            f"{actual[:16]}...): the weights were modified or corrupted after saving",
            hint=f"copy the file again from its source, or {_RESAVE}",
        )
    return obj


def load_info(path: PathLike) -> dict[str, Any]:
    """The validated checkpoint dict without its state_dict (format, architecture, ...)."""
    obj = validate(read_object(path), path)
    return {k: v for k, v in obj.items() if k != "state_dict"}


def rebuild(obj: dict[str, Any], path: PathLike) -> fx.GraphModule:
    """The GraphModule described by a validated checkpoint dict, with its weights."""
    state: dict[str, torch.Tensor] = obj["state_dict"]
    class_name = obj.get("model_class", "Model")
    try:
        gm = decode_graph(obj.get("architecture"), state, checkpoint_specs(), class_name)
        gm.load_state_dict(state, strict=True, assign=True)
    except ConfigError as exc:
        raise CheckpointError(f"'{path}': {exc.message}", node=exc.node, hint=exc.hint) from exc
    except CheckpointError as exc:
        raise CheckpointError(f"'{path}': {exc.message}", node=exc.node, hint=exc.hint) from exc
    except (RuntimeError, TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"'{path}': cannot rebuild the model: {exc}",
            hint=f"the file is damaged or inconsistent; {_RESAVE}",
        ) from exc
    _check_step_mode(obj.get("step_mode"), gm, path)
    return gm


def _check_step_mode(stored: Any, gm: fx.GraphModule, path: PathLike) -> None:
    """The stored ``step_mode`` (None in files written before it was recorded) must be
    the one the rebuilt neurons run in, so the reloaded model takes the same layout."""
    if stored is None:
        return
    modes = neuron_step_modes(gm)
    rebuilt = "s" if modes["s"] else "m"
    if stored not in LAYOUTS or (modes["m"] and modes["s"]) or stored != rebuilt:
        raise CheckpointError(
            f"'{path}': step_mode {stored!r} does not match the stored neurons "
            f"(step_mode='m': {listed(modes['m']) or 'none'}; "
            f"step_mode='s': {listed(modes['s']) or 'none'})",
            hint=f"the file is damaged or inconsistent; {_RESAVE}",
        )


def load_with_inputs(
    path: PathLike, *, allow_pickle: bool = False
) -> tuple[nn.Module, list[dict[str, Any]] | None]:
    """The model of :func:`load` and the stored example-input specs (None if pickled).

    Reads the file once. Each spec is ``{"name", "shape", "dtype"}``.
    """
    obj = read_object(path, allow_pickle=allow_pickle)
    if isinstance(obj, nn.Module):
        return obj.eval(), None
    info = validate(obj, path)
    return rebuild(info, path).eval(), _input_specs(info.get("inputs"), path)


def stored_example(path: PathLike, *, allow_pickle: bool = False) -> list[np.ndarray] | None:
    """The example input values a checkpoint stores (``example_data``), one array per
    input; None for files without them (pickled modules, older or large examples).

    Raises:
        CheckpointError: as :func:`read_object` (the file is not validated again).
    """
    obj = read_object(path, allow_pickle=allow_pickle)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_TAG:
        return None
    data = obj.get("example_data")
    if not isinstance(data, list) or not all(isinstance(t, torch.Tensor) for t in data):
        return None
    return [t.detach().cpu().numpy() for t in data]


def _input_specs(specs: Any, path: PathLike) -> list[dict[str, Any]]:
    ok = isinstance(specs, list) and bool(specs)
    for spec in specs if ok else ():
        shape = spec.get("shape") if isinstance(spec, dict) else None
        ok = ok and (
            isinstance(shape, (list, tuple))
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            and str(spec.get("dtype", "")).removeprefix("torch.") in _INPUT_DTYPES
        )
    if not ok:
        raise CheckpointError(
            f"'{path}': the stored example inputs are missing or malformed ({specs!r:.120})",
            hint=f"the file is damaged; {_RESAVE}",
        )
    return list(specs)


_INPUT_DTYPES = ("float32", "float64", "float16", "bfloat16", "uint8", "int8", "int16", "int32",
                 "int64", "bool")  # fmt: skip


def load(path: PathLike, *, allow_pickle: bool = False) -> nn.Module:
    """Rebuild the model saved by :func:`snncompile.save`, in eval mode, on the CPU.

    No code is read from the file: the graph is regenerated by torch.fx from the stored
    node list, whose functions and layer types come from fixed tables.

    Args:
        path: the checkpoint file.
        allow_pickle: also accept a whole pickled ``nn.Module`` (``torch.save(model,
            path)``). Unpickling runs code from the file: only for files you trust.

    Returns:
        A ``torch.fx.GraphModule`` (its class name is the original model's) with the saved
        weights, or the unpickled module when ``allow_pickle`` applied.

    Raises:
        CheckpointError: missing, directory, empty, truncated or corrupted file; a torch
            file that is not an snncompile checkpoint; a newer format version; a weight
            hash mismatch; a pickled module without ``allow_pickle``.
    """
    obj = read_object(path, allow_pickle=allow_pickle)
    if isinstance(obj, nn.Module):
        return obj.eval()
    gm = rebuild(validate(obj, path), path)
    return gm.eval()
