"""torch side of compilation: fx tracing with snncompile's leaf rules, the table of
supported torch layers, and the supported tensor functions and methods.

Imports torch, ``snncompile.ir`` and errors only (docs/architecture.md §1).
"""

from __future__ import annotations

from snncompile.frontend.fx import LeafTracer, module_hint, stack_hint, trace
from snncompile.frontend.module_specs import (
    BUILTIN_SPECS,
    ModuleSpec,
    SpecTable,
    module_from_spec,
    module_to_spec,
    supported_names,
)
from snncompile.frontend.ops import SUPPORTED_FUNCTIONS, SUPPORTED_METHODS, function_name

__all__ = [
    "BUILTIN_SPECS",
    "SUPPORTED_FUNCTIONS",
    "SUPPORTED_METHODS",
    "LeafTracer",
    "ModuleSpec",
    "SpecTable",
    "function_name",
    "module_from_spec",
    "module_hint",
    "module_to_spec",
    "stack_hint",
    "supported_names",
    "trace",
]
