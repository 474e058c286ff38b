"""``snncompile dialects``: every NIR dialect preset and the profile fields it sets."""

from __future__ import annotations

import argparse
from typing import Any

from snncompile.commands.common import EXIT_OK, add_command, print_json, say


def add_dialects_command(sub: Any) -> None:
    """Register ``dialects`` on an argparse subparsers object."""
    p = add_command(
        sub,
        "dialects",
        handler=run_dialects,
        help="list the NIR dialect presets (--dialect) and what each sets",
        description="Every NIR dialect preset: the execution-profile value of each field "
        "(a '*' marks the fields the preset sets itself; the others are the defaults) and "
        "the framework convention it encodes. Choose one with --dialect NAME on export, "
        "simulate, inspect and report; override single fields with --set.",
        epilog="examples:\n  snncompile dialects\n  snncompile dialects --json\n"
        "  snncompile simulate net.nir --dialect snntorch --input data.npz\n"
        "  snncompile simulate net.nir --dialect snntorch --set dt=1e-3 --set 1.reset=subtract "
        "--input data.npz",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run_dialects(args: argparse.Namespace) -> int:
    from snncompile.ir.dialects import describe_dialects

    presets = describe_dialects()
    if args.json:
        print_json(presets)
        return EXIT_OK
    say(args, dialects_table(presets))
    return EXIT_OK


def dialects_table(presets: list[dict[str, Any]]) -> str:
    """Fields as rows, presets as columns; ``*`` marks a value the preset sets."""
    fields = list(presets[0]["profile"])
    header = ["field", *(p["name"] for p in presets)]
    rows = [header]
    for name in fields:
        row = [name]
        for preset in presets:
            mark = "*" if name in preset["sets"] else ""
            row.append(_show(preset["profile"][name]) + mark)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("* set by the preset (otherwise the default); 'snncompile' reads the file's")
    lines.append("  own profile from its metadata. Override with --set FIELD=VALUE or")
    lines.append("  --set NODE.FIELD=VALUE (docs/nir.md).")
    lines.append("")
    lines += [f"{p['name']:<{widths[0]}}  {p['note']}" for p in presets]
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
