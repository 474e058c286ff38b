"""Tensor functions and methods the frontend supports between modules.

fx records ``x + y`` as ``call_function`` on ``operator.add``, ``torch.flatten(x, 1)``
as ``call_function`` on ``torch.flatten`` and ``x.mean(0)`` as ``call_method`` with
target ``"mean"``. Only the entries below are accepted; files refer to functions by
these names, never by a pickled reference.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

#: Supported ``call_function`` targets, by the name stored in files.
SUPPORTED_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "operator.add": operator.add,
    "operator.sub": operator.sub,
    "operator.mul": operator.mul,
    "torch.add": torch.add,
    "torch.mul": torch.mul,
    "torch.flatten": torch.flatten,
    "torch.cat": torch.cat,
    "torch.stack": torch.stack,
    "torch.mean": torch.mean,
    "torch.sum": torch.sum,
    "torch.relu": torch.relu,
    "torch.nn.functional.relu": F.relu,
}

#: Supported ``call_method`` targets (``Tensor`` method names).
SUPPORTED_METHODS: frozenset[str] = frozenset(
    {"add", "sub", "mul", "flatten", "unflatten", "mean", "sum", "relu", "reshape", "view"}
)


def function_name(fn: Any) -> str | None:
    """The stored name of a supported function, or ``None`` if it is not supported."""
    for name, candidate in SUPPORTED_FUNCTIONS.items():
        if fn is candidate:
            return name
    return None


def describe_target(fn: Any) -> str:
    """A readable name for any ``call_function`` target (for error messages)."""
    name = getattr(fn, "__name__", None)
    if isinstance(name, str):
        for prefix, namespace in (
            ("torch", torch),
            ("torch.nn.functional", F),
            ("operator", operator),
        ):
            if getattr(namespace, name, None) is fn:
                return f"{prefix}.{name}"
    module = getattr(fn, "__module__", None) or ""
    qualname = getattr(fn, "__qualname__", None) or name or repr(fn)
    return f"{module}.{qualname}" if module else str(qualname)
