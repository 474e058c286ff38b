"""Failure handling around Lava's runtime: a watchdog and a teardown that cannot hang.

When a ProcessModel raises, lava-nc 0.10.0 never tells the caller: the failing actor
exits, the others wait for its messages, and ``Process.run`` blocks forever in the
runtime's channel select (reproduced). ``Runtime.stop()`` then blocks as well, and so
does ``Process.__del__``, which calls it. This module:

- watches the actors during a run (:class:`Watchdog`); when one reports an exception,
  dies from a signal, or a timeout expires, it kills every actor and wakes the blocked
  main thread with SIGUSR1, whose temporary handler raises :class:`LavaStalled`;
- tears a failed runtime down directly (:func:`shutdown`): kill and join the actors,
  release the shared memory, and mark the runtime stopped so that later ``stop()``
  calls are no-ops.

It reads private attributes of lava-nc 0.10.0 (``Runtime._messaging_infrastructure``,
``SystemProcess._is_done``); Lava is archived, so they are frozen.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from types import FrameType, TracebackType
from typing import Any

__all__ = ["LavaStalled", "Watchdog", "shutdown"]

_POLL_S = 0.05


class LavaStalled(Exception):
    """Raised in the main thread when the watchdog stopped a failed or overdue run."""


def _actors(runtime: Any) -> list[Any]:
    infra = getattr(runtime, "_messaging_infrastructure", None)
    return list(infra.actors) if infra is not None else []


def _failure(actor: Any) -> str | None:
    """Why an actor failed, or None while it is healthy."""
    if actor._is_done:
        return None
    try:
        if actor.exception:  # (exception, traceback text) sent by Lava's SystemProcess
            return str(actor.exception[1])
        if not actor.is_alive() and actor.exitcode not in (0, None):
            return f"Lava process {actor.name} died with exit code {actor.exitcode}"
    except (ValueError, OSError, EOFError):  # closed meanwhile
        return None
    return None


def _kill_all(runtime: Any) -> None:
    for actor in _actors(runtime):
        with contextlib.suppress(ValueError, OSError):
            if not actor._is_done and actor.is_alive():
                actor.kill()


class Watchdog(threading.Thread):
    """Stops a Lava run whose actors failed, or that runs past ``timeout`` seconds.

    Use as a context manager around ``Process.run`` in the main thread; elsewhere it
    still kills the actors but cannot wake the caller (run Lava in the worker then).
    """

    def __init__(self, runtime: Any, timeout: float | None = None) -> None:
        super().__init__(name="snncompile-lava-watchdog", daemon=True)
        self.runtime, self.timeout = runtime, timeout
        self.reason: str | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()  # no SIGUSR1 once __exit__ began restoring handlers
        self._main = threading.main_thread().ident
        self._armed = threading.current_thread() is threading.main_thread()
        self._old_handler: Any = None

    def _raise(self, signum: int, frame: FrameType | None) -> None:
        raise LavaStalled(self.reason or "Lava run stopped by the watchdog")

    def run(self) -> None:
        start = time.monotonic()
        while not self._done.wait(_POLL_S):
            reasons = [r for r in map(_failure, _actors(self.runtime)) if r]
            if not reasons and self.timeout is not None and time.monotonic() - start > self.timeout:
                reasons = [f"the Lava run exceeded its {self.timeout:g} s timeout"]
            if reasons:
                self.reason = "\n".join(reasons)
                _kill_all(self.runtime)
                with self._lock:
                    if self._armed and self._main is not None and not self._done.is_set():
                        signal.pthread_kill(self._main, signal.SIGUSR1)
                return

    def __enter__(self) -> Watchdog:
        if self._armed:
            self._old_handler = signal.signal(signal.SIGUSR1, self._raise)
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._done.set()
        self.join()
        if self._armed:
            signal.signal(signal.SIGUSR1, self._old_handler)


def shutdown(source: Any, *, failed: bool) -> list[str]:
    """Stop the runtime of ``source``'s network; returns the actors' Python tracebacks.

    A healthy run ends with ``source.stop()``. A failed one is torn down without
    ``Runtime.stop()``, which would wait forever for replies from dead actors.
    """
    runtime = source.runtime
    if runtime is None:
        return []
    if not failed:
        source.stop()
        return []
    _kill_all(runtime)
    reports = []
    for actor in _actors(runtime):
        actor.join()  # SystemProcess.join also closes it and collects a late exception
        if actor.exception:  # a Python exception inside Lava; signal deaths are ours
            reports.append(str(actor.exception[1]))
    infra = runtime._messaging_infrastructure
    if infra.smm is not None:
        infra.smm.shutdown()  # unlinks every channel's shared memory
    runtime._watchdog_manager.stop()
    runtime._is_started = runtime._is_running = False  # later stop() calls are no-ops
    return reports
