"""Errors of the Lava backend, all :class:`~snncompile.errors.SnnCompileError` subclasses."""

from __future__ import annotations

from snncompile.errors import SnnCompileError

__all__ = ["LavaRunError", "LavaWorkerError", "LavaWorkerTimeout"]


class LavaRunError(SnnCompileError):
    """A Lava simulation failed (compile, run or read-back)."""


class LavaWorkerError(LavaRunError):
    """The Lava worker subprocess failed; carries its exit status and stderr.

    Attributes:
        returncode: the worker's exit status (negative: killed by that signal; None:
            killed by us after a timeout).
        stderr: everything the worker wrote to stderr (decoded, possibly truncated).
        pid: the worker's process id, which is also its session and process-group id.
    """

    def __init__(
        self,
        message: str,
        *,
        returncode: int | None,
        stderr: str,
        pid: int,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.returncode = returncode
        self.stderr = stderr
        self.pid = pid


class LavaWorkerTimeout(LavaWorkerError):
    """The Lava worker ran past its timeout and was killed with its process group."""
