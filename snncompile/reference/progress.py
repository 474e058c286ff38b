"""Progress hooks for long reference runs (simulation over time steps, calibration).

A hook is any callable ``hook(done, total)``; it is called with ``(0, total)`` before
the work starts and after every unit of work, ending with ``(total, total)``. Hooks
only observe: they never change numerical results.

Code that cannot pass a hook down explicitly (a backend's ``simulate``, say) can install
a *factory* for the current context with :func:`reporting`; a run without an explicit
hook then asks the factory for one, with a short description of the work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

ProgressHook = Callable[[int, int], None]
#: ``factory(description) -> hook`` (or None for no progress).
ProgressFactory = Callable[[str], ProgressHook | None]

_FACTORY: ContextVar[ProgressFactory | None] = ContextVar("snncompile_progress", default=None)


def silent(done: int, total: int) -> None:
    """A hook that reports nothing (stops the context's factory for nested runs)."""


@contextlib.contextmanager
def reporting(factory: ProgressFactory | None) -> Iterator[None]:
    """Use ``factory`` for runs without an explicit hook inside the ``with`` block."""
    token = _FACTORY.set(factory)
    try:
        yield
    finally:
        _FACTORY.reset(token)


def resolve(progress: ProgressHook | None, description: str) -> ProgressHook | None:
    """``progress`` if given, else a hook from the context's factory (or None)."""
    if progress is not None:
        return progress
    factory = _FACTORY.get()
    return factory(description) if factory is not None else None
