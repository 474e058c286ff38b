"""torch.fx tracing with snncompile's leaf rules.

Leaves (kept as one ``call_module`` node, never traced into):

- every module with a ``to_ir`` method (the neuron modules; adding one needs no edit here),
- every instance of the ``leaf_types`` the caller passes (e.g. the neuron base class and
  ``TimeDistributed``, which this package cannot import because of the layering rules),
- torch's own layers (fx's default rule; ``nn.Sequential`` is traced through).

User modules are traced through, so their structure appears as dotted module paths
(``block1.conv``) in the graph.
"""

from __future__ import annotations

import os
import re

import torch
from torch import fx, nn

from snncompile.errors import TraceError


class LeafTracer(fx.Tracer):
    """An fx tracer that keeps neuron modules and ``leaf_types`` as leaves."""

    def __init__(self, leaf_types: tuple[type[nn.Module], ...] = ()) -> None:
        super().__init__()
        self.leaf_types = leaf_types
        self.record_stack_traces = True  # lets errors point at the user's source line

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if isinstance(m, self.leaf_types) or callable(getattr(m, "to_ir", None)):
            return True
        return bool(super().is_leaf_module(m, module_qualified_name))


def trace(model: nn.Module, leaf_types: tuple[type[nn.Module], ...] = ()) -> fx.GraphModule:
    """Symbolically trace ``model`` into a GraphModule sharing its submodules.

    Raises:
        TraceError: fx cannot trace the forward (typically Python control flow that
            depends on tensor values or shapes); the message gives fx's reason.
    """
    if not isinstance(model, nn.Module):
        raise TraceError(
            f"expected an nn.Module, got {type(model).__name__}",
            hint="pass the model instance, e.g. snncompile.save(model, ...)",
        )
    tracer = LeafTracer(leaf_types)
    try:
        graph = tracer.trace(model)
    except Exception as exc:  # fx raises many types; a module's own checks see a Proxy
        raise TraceError(
            f"torch.fx cannot trace {type(model).__name__}.forward: {type(exc).__name__}: {exc}",
            hint="forward must not branch on tensor values or shapes; move such logic into "
            "a module that the tracer keeps as a leaf (e.g. a neuron module)",
        ) from exc
    return fx.GraphModule(tracer.root, graph, class_name=type(model).__name__)


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_TORCH_DIR = os.path.dirname(torch.__file__)


def module_hint(node: fx.Node) -> str:
    """`` in module 'path' (Type)`` for the innermost traced-through module, or ``""``."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path, (_, cls) = list(stack.items())[-1]
    return f" in module '{path}' ({getattr(cls, '__name__', cls)})"


def stack_hint(node: fx.Node) -> str:
    """`` (at file:line in func: code)`` for the user's source line that created
    ``node`` (from the recorded stack trace, skipping torch's own frames), or ``""``."""
    lines = str(node.stack_trace or "").splitlines()
    found = ""
    for i, line in enumerate(lines):
        match = _FRAME.search(line)
        if match is None or match["file"].startswith(_TORCH_DIR):
            continue
        code = lines[i + 1].strip() if i + 1 < len(lines) else ""
        found = f" (at {match['file']}:{match['line']} in {match['func']}: {code})"
    return found
