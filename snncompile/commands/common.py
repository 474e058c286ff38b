"""What every subcommand shares: global options, output, logging, warnings, progress bars.

- ``--quiet`` suppresses all non-error output (informational lines, warnings, progress
  bars and plain-text results); documents asked for with ``--json`` are still printed.
- ``--verbose`` (repeatable) lowers the level of the ``snncompile`` logger to INFO, then
  DEBUG; diagnostics go to stderr as ``info: ...`` / ``warning: ...`` lines.
- Progress bars (tqdm) go to stderr, only when it is a terminal and not ``--quiet``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from snncompile.reference.progress import TqdmBar

EXIT_OK, EXIT_USER_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES = (
    "exit codes:\n"
    "  0  success\n"
    "  1  user error: bad input file, data or option (an 'error:' and a 'hint:' line on\n"
    "     stderr), a failed write (disk full, no permission) or an interrupt (Ctrl-C);\n"
    "     no partial output is left behind\n"
    "  2  usage error (unknown command or option, missing argument)\n"
    "  3  internal error: a bug in snncompile (rerun with --debug and report it)"
)

LOGGER = "snncompile"


def add_allow_pickle(p: argparse.ArgumentParser, *, also: bool = False) -> None:
    """``--allow-pickle``: the opt-in to whole pickled modules (``also``: besides the
    files the command reads anyway)."""
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help=f"{'also ' if also else ''}accept a whole pickled nn.Module (runs code from the "
        "file: trusted files only)",
    )


def add_command(
    sub: Any, name: str, *, handler: Callable[[argparse.Namespace], int], **kwargs: Any
) -> argparse.ArgumentParser:
    """Register subcommand ``name`` (``kwargs`` as for ``add_parser``: help, description,
    epilog) that runs ``handler(args)``; its epilog's examples keep their line breaks."""
    p: argparse.ArgumentParser = sub.add_parser(
        name, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs
    )
    p.set_defaults(handler=handler)
    return p


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """``--quiet``, ``--verbose`` and ``--debug``; on subcommands they keep the top level's
    value unless given again (``snncompile -q export ...`` and ``export ... -q`` agree)."""
    default: dict[str, Any] = {} if top_level else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("global options")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print errors only (--json documents are still printed)",
        **({"default": False} if top_level else default),
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="more diagnostics on stderr (-v: info, -vv: debug)",
        **({"default": 0} if top_level else default),
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of errors",
        **({"default": False} if top_level else default),
    )


def is_quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False))


def say(args: argparse.Namespace, text: str = "") -> None:
    """Informational or plain-text output on stdout (suppressed by ``--quiet``)."""
    if not is_quiet(args):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def print_json(document: Any) -> None:
    """A machine-readable result on stdout (printed even with ``--quiet``)."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")


def warn(text: str) -> None:
    """A warning on stderr through the ``snncompile`` logger (hidden by ``--quiet``)."""
    logging.getLogger(LOGGER).warning("%s", text)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the *current* ``sys.stderr`` (test harnesses replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


@contextlib.contextmanager
def cli_logging(args: argparse.Namespace) -> Iterator[None]:
    """Route ``snncompile`` logs and Python warnings to stderr at the chosen level.

    Everything is restored on exit, so calling ``main()`` in-process has no lasting
    effect on logging or warnings.
    """
    logger = logging.getLogger(LOGGER)
    verbosity = int(getattr(args, "verbose", 0) or 0)
    if is_quiet(args):
        level = logging.ERROR
    else:
        level = (logging.WARNING, logging.INFO)[verbosity] if verbosity < 2 else logging.DEBUG
    handler = _StderrHandler()
    handler.setFormatter(_Formatter())
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _log_warning
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    logging.getLogger(LOGGER).warning("%s (%s)", message, category.__name__)


ProgressHook = Callable[[int, int], None]


class ProgressBars:
    """A progress factory for :func:`snncompile.reference.progress.reporting` (tqdm bars).

    Bars are drawn on ``stream`` only when ``enabled``; :meth:`close` closes any bar left
    open by an interrupted run.
    """

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._bars: list[TqdmBar] = []

    def __call__(self, description: str, unit: str = "step") -> ProgressHook | None:
        if not self.enabled:
            return None
        from snncompile.reference.progress import TqdmBar  # numpy-heavy: only when drawing

        bar = TqdmBar(description, unit=unit, stream=self.stream)
        self._bars.append(bar)
        return bar

    @property
    def open_bars(self) -> int:
        """Bars drawn and not yet closed."""
        return sum(bar.is_open for bar in self._bars)

    def close(self) -> None:
        for bar in self._bars:
            bar.close()
        self._bars.clear()


def progress_bars(args: argparse.Namespace) -> ProgressBars:
    """Bars on stderr unless ``--quiet`` or stderr is not a terminal."""
    stream = sys.stderr
    enabled = not is_quiet(args) and bool(getattr(stream, "isatty", lambda: False)())
    return ProgressBars(stream, enabled=enabled)
