"""A JSON-able summary of a checkpoint, for ``snncompile inspect``."""

from __future__ import annotations

from typing import Any

from torch import nn

from snncompile.checkpoint.file_io import PathLike, read_object
from snncompile.checkpoint.reader import rebuild, validate


def _layers(model: nn.Module) -> list[dict[str, Any]]:
    """The leaf layers (``TimeDistributed`` counted as one, with its inner layer)."""
    rows: list[dict[str, Any]] = []
    inside: tuple[str, ...] = ()
    for path, module in model.named_modules():
        if not path or path.startswith(inside):
            continue
        wrapper = type(module).__name__ == "TimeDistributed"
        if wrapper or next(module.children(), None) is None:
            rows.append(
                {
                    "path": path,
                    "layer": " ".join(repr(module).split()),
                    "parameters": sum(p.numel() for p in module.parameters()),
                }
            )
        if wrapper:
            inside = (*inside, path + ".")
    return rows


def summarize(path: PathLike, *, allow_pickle: bool = False) -> dict[str, Any]:
    """Format, versions, input/output shapes, layers, parameter count and metadata."""
    obj = read_object(path, allow_pickle=allow_pickle)
    info = None if isinstance(obj, nn.Module) else validate(obj, path)
    model = obj.eval() if info is None else rebuild(info, path)
    summary: dict[str, Any] = {
        "path": str(path),
        "model_class": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "layers": _layers(model),
    }
    if info is None:
        summary["format"] = "pickled nn.Module (loaded with allow_pickle)"
        return summary
    summary.update(
        {
            "format": f"{info['format']} v{info['format_version']}",
            "snncompile_version": info.get("snncompile_version"),
            "torch_version": info.get("torch_version"),
            "step_mode": info.get("step_mode"),
            "inputs": info.get("inputs"),
            "output": info.get("output"),
            "weights_sha256": info.get("weights_sha256"),
            "metadata": info.get("metadata", {}),
        }
    )
    return summary
