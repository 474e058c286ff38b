"""``--dialect NAME`` and ``--set [NODE.]FIELD=VALUE``: how a ``.nir`` input is executed.

Shared by ``export``, ``simulate``, ``inspect`` and ``report``; the values go to
:func:`snncompile.api.load_graph` (``dialect=``, ``overrides=``), which reads the file
through the one override hook of the NIR reader (docs/nir.md §5).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from snncompile.errors import ConfigError


def add_nir_options(p: argparse.ArgumentParser) -> None:
    """Register ``--dialect`` and ``--set`` (repeatable) on a command's parser."""
    group = p.add_argument_group(".nir inputs")
    group.add_argument(
        "--dialect",
        metavar="NAME",
        default=None,
        help="the framework that wrote the .nir file: its execution preset (see "
        "`snncompile dialects`; default: snncompile, with a warning for foreign files)",
    )
    group.add_argument(
        "--set",
        dest="profile_set",
        metavar="[NODE.]FIELD=VALUE",
        action="append",
        default=[],
        help="override an execution-profile field graph-wide (dt=1e-3) or for one node "
        "(lif1.reset=subtract); repeatable; fields: docs/nir.md",
    )


def nir_kwargs(args: argparse.Namespace, source: str | None) -> dict[str, Any]:
    """``dialect=`` and ``overrides=`` for :func:`snncompile.api.load_graph`.

    Raises:
        ConfigError: ``--dialect`` or ``--set`` with an input that is not a ``.nir`` file,
            or a malformed ``--set`` item.
    """
    from snncompile.ir.dialects import parse_settings

    dialect = getattr(args, "dialect", None)
    items = list(getattr(args, "profile_set", None) or [])
    if dialect is None and not items:
        return {"dialect": None, "overrides": None}
    if source is None or Path(source).suffix.lower() != ".nir":
        flags = " and ".join(f for f, v in (("--dialect", dialect), ("--set", items)) if v)
        raise ConfigError(
            f"{flags} applies to .nir inputs only, not '{source}'",
            hint=f"drop {flags}: checkpoints and exported artefacts other than .nir carry "
            "their own execution semantics",
        )
    return {"dialect": dialect, "overrides": parse_settings(items) or None}
