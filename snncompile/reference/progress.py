"""Progress hooks for long reference runs (simulation over time steps, calibration).

A hook is any callable ``hook(done, total)``; it is called with ``(0, total)`` before
the work starts and after every unit of work, ending with ``(total, total)``. Hooks
only observe: they never change numerical results.

Code that cannot pass a hook down explicitly (a backend's ``simulate``, say) can install
a *factory* for the current context with :func:`reporting`; a run without an explicit
hook then asks the factory for one, with a short description of the work and its unit.
:class:`TqdmBar` is the hook that draws a tqdm bar.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol, TextIO

ProgressHook = Callable[[int, int], None]


class ProgressFactory(Protocol):
    """``factory(description, unit=...) -> hook`` (or None for no progress)."""

    def __call__(self, description: str, unit: str = "step") -> ProgressHook | None: ...


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


def resolve(
    progress: ProgressHook | None, description: str, unit: str = "step"
) -> ProgressHook | None:
    """``progress`` if given, else a hook from the context's factory (or None)."""
    if progress is not None:
        return progress
    factory = _FACTORY.get()
    return factory(description, unit=unit) if factory is not None else None


class TqdmBar:
    """A hook drawing a tqdm bar on ``stream`` (default stderr): opened by the first
    call, closed when ``done >= total`` or by :meth:`close` (an interrupted run)."""

    def __init__(self, description: str, *, unit: str = "step", stream: TextIO | None = None):
        self.description = description
        self.unit = unit
        self.stream = stream
        self._bar: Any = None

    @property
    def is_open(self) -> bool:
        return self._bar is not None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=self.description,
                unit=self.unit,
                file=self.stream if self.stream is not None else sys.stderr,
                leave=False,
            )
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
