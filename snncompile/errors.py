"""The error hierarchy of snncompile.

Every error a user can cause is a :class:`SnnCompileError`. Its message says *what* went
wrong and *where*; ``hint`` says how to fix it. The CLI prints both (``error:`` and
``hint:`` lines) and exits 1. Internal invariant failures stay plain exceptions: they
are bugs, not user errors.
"""

from __future__ import annotations

import errno


class SnnCompileError(Exception):
    """Base class of every error caused by user input, options or environment.

    Args:
        message: what went wrong and where (node, module path, parameter, file).
        node: the IR node or module path concerned, when there is one.
        hint: how to fix it, in one sentence (options spelt as Python keywords).
        cli_hint: the same hint with options spelt as command-line flags, when it names
            options (the CLI prints it instead of ``hint``).
    """

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        hint: str | None = None,
        cli_hint: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.node = node
        self.hint = hint
        self.cli_hint = cli_hint

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class ConfigError(SnnCompileError, ValueError):
    """Bad user options or configuration (a parameter out of range, an unknown name)."""


class InputError(SnnCompileError, ValueError):
    """Input data that does not fit: wrong rank, dtype or shape, NaN or Inf values."""


class CheckpointError(SnnCompileError):
    """A checkpoint or model file that cannot be read, or is not safe to read."""


class TraceError(SnnCompileError):
    """The frontend cannot trace the model."""


class IRValidationError(SnnCompileError):
    """A graph violates the IR specification."""


class UnsupportedNodeError(SnnCompileError):
    """A target has no lowering for a node."""


class QuantizationError(SnnCompileError):
    """A value cannot be represented at the requested precision."""


class BackendUnavailableError(SnnCompileError):
    """A backend or one of its optional dependencies is not installed."""


class OutputError(SnnCompileError):
    """An output (artefact, report, data file) cannot be written: disk full, no permission.

    Nothing partial is left behind: writers stage into a temporary sibling and rename.
    """

    @classmethod
    def from_os_error(cls, path: object, exc: OSError) -> OutputError:
        """The error for ``exc`` raised while writing ``path``, with a hint for its errno."""
        reason = exc.strerror or type(exc).__name__
        return cls(f"cannot write '{path}': {reason}", hint=_OS_HINTS.get(exc.errno, _OS_HINT))


_OS_HINT = "check the output path, its permissions and the free disk space"
_OS_HINTS = {
    errno.ENOSPC: "the disk is full (ENOSPC): free some space or write to another location",
    errno.EDQUOT: "the disk quota is exceeded: free some space or write to another location",
    errno.EACCES: "permission denied: choose a writable location or fix its permissions",
    errno.EPERM: "operation not permitted: choose a writable location",
    errno.EROFS: "the file system is read-only: write to another location",
    errno.ENOTDIR: "a component of the path is a file, not a directory: choose another path",
    errno.EISDIR: "the output path is a directory: give a file path or remove the directory",
    errno.ENAMETOOLONG: "the file name is too long: choose a shorter output path",
}
