"""Progress hooks for long reference runs (simulation over time steps, calibration).

A hook is any callable ``hook(done, total)``; it is called with ``(0, total)`` before
the work starts and after every unit of work, ending with ``(total, total)``. Hooks
only observe: they never change numerical results.

Code that cannot pass a hook down explicitly (a backend's ``simulate``, say) can install
a *factory* for the current context with :func:`reporting`; a run without an explicit
hook then asks the factory for one, with a short description of the work and its unit.
:class:`TqdmBar` is the hook that draws a tqdm bar.

Work that blocks for seconds between two reports (a Lava worker starting and compiling,
say) runs inside :func:`heartbeat`: a thread repeats the last report every
:data:`HEARTBEAT_S` seconds with a phase text, so a bar keeps moving (its elapsed time and
phase) at least once a second. Hooks may define ``phase(text)``; plain callables just see
the repeated ``(done, total)``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol, TextIO

ProgressHook = Callable[[int, int], None]


class ProgressFactory(Protocol):
    """``factory(description, unit=...) -> hook`` (or None for no progress)."""

    def __call__(self, description: str, unit: str = "step") -> ProgressHook | None: ...


#: Seconds between two heartbeat reports (bars must move at least once a second).
HEARTBEAT_S = 0.5

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


@contextlib.contextmanager
def heartbeat(
    hook: ProgressHook | None,
    done: int,
    total: int,
    phase: str | None = None,
    *,
    every: float = HEARTBEAT_S,
) -> Iterator[None]:
    """Report ``(done, total)`` to ``hook`` now and every ``every`` seconds until the
    block ends (the block's own work reports nothing meanwhile); ``phase`` goes to the
    hook's ``phase(text)`` when it has one and is cleared afterwards. No-op for None."""
    if hook is None:
        yield
        return
    set_phase = getattr(hook, "phase", None)
    if phase is not None and callable(set_phase):
        set_phase(phase)
    hook(done, total)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            hook(done, total)

    thread = threading.Thread(target=beat, name="snncompile-progress-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if phase is not None and callable(set_phase):
            set_phase(None)


class TqdmBar:
    """A hook drawing a tqdm bar on ``stream`` (default stderr): opened by the first
    call, closed when ``done >= total`` or by :meth:`close` (an interrupted run). A call
    that reports no new work redraws the bar (its elapsed time moves: see
    :func:`heartbeat`); :meth:`phase` shows what the work is doing now."""

    def __init__(self, description: str, *, unit: str = "step", stream: TextIO | None = None):
        self.description = description
        self.unit = unit
        self.stream = stream
        self._bar: Any = None
        self._phase: str | None = None
        self._lock = threading.Lock()  # the heartbeat thread redraws too

    @property
    def is_open(self) -> bool:
        return self._bar is not None

    def phase(self, text: str | None) -> None:
        """Show ``text`` after the bar (None: clear it)."""
        with self._lock:
            self._phase = text
            if self._bar is not None:
                self._bar.set_postfix_str(text or "", refresh=True)

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(
                    total=total,
                    desc=self.description,
                    unit=self.unit,
                    file=self.stream if self.stream is not None else sys.stderr,
                    leave=False,
                    postfix=self._phase,
                )
            if done == self._bar.n:
                self._bar.refresh()  # no new work: redraw, so the elapsed time moves
            else:
                self._bar.update(done - self._bar.n)
            finished = done >= total
        if finished:
            self.close()

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
