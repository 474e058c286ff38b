"""The arguments and helpers of ``snncompile report`` for activity records and saved
reports; :mod:`snncompile.commands.report` adds the model options and the handler.

Usage::

    snncompile report activity.npz -o energy.html --profile cmos45-fp32 --profile my.yaml
    snncompile report energy.json -o energy.md          # re-price a saved report's counts
    snncompile report --list-profiles
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from snncompile.energy.activity import ActivityRecord
from snncompile.energy.counter import CountOptions, count_activity
from snncompile.energy.counts import NetworkCounts
from snncompile.energy.pricing import PricingOptions
from snncompile.energy.profile import BUILTIN_PROFILES, DEFAULT_PROFILES, load_profile
from snncompile.energy.report import EnergyReport, build_report, report_from_record
from snncompile.errors import ConfigError, InputError


def add_report_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``report`` and its energy options to an argparse subparsers object (the caller
    sets the handler)."""
    p = subparsers.add_parser(
        "report",
        help="energy and hardware report from recorded activity",
        description="Count operations from recorded activity (an ActivityRecord .npz, or the "
        "counts inside a saved report .json) and price them with hardware profiles. Counts "
        "are measured; energies are estimates labelled with their basis.",
        epilog="example: snncompile report activity.npz -o energy.html --profile loihi",
    )
    p.add_argument("source", nargs="?", help="activity record (.npz) or saved report (.json)")
    p.add_argument("-o", "--output", help="write .json, .md or .html (default: Markdown to stdout)")
    p.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME|FILE",
        help="built-in profile or .yaml/.json file; repeatable "
        f"(default: {', '.join(DEFAULT_PROFILES)})",
    )
    p.add_argument(
        "--chip", choices=("loihi", "loihi2", "none"), default="loihi2", help="resource estimate"
    )
    p.add_argument(
        "--paper", action="store_true", help="papers' convention: E_MAC·MACs + E_AC·ACs only"
    )
    p.add_argument(
        "--neuron-macs",
        choices=("multiplies", "paper"),
        default="multiplies",
        help="neuron-update MAC convention",
    )
    p.add_argument("--t-step", type=float, help="time-step duration in s for static terms")
    p.add_argument(
        "--fps",
        type=float,
        help="frame rate for the summary's energy per inference (static power × chips / fps)",
    )
    p.add_argument(
        "--list-profiles", action="store_true", help="list the built-in profiles and exit"
    )
    return p


def profiles_table() -> str:
    """One line per built-in profile: name, basis, title."""
    rows = []
    for name in BUILTIN_PROFILES:
        profile = load_profile(name)
        rows.append(f"{name:<17} {profile.basis:<12} {profile.title}\n")
    return "".join(rows)


def pricing_from_args(args: argparse.Namespace) -> PricingOptions:
    """``--paper`` and ``--t-step`` as pricing options."""
    pricing = PricingOptions.paper() if args.paper else PricingOptions()
    if args.t_step is not None:
        pricing = PricingOptions(**{**pricing.to_dict(), "t_step_s": args.t_step})
    return pricing


def report_from_args(args: argparse.Namespace) -> EnergyReport:
    """The report of an activity record or saved report (``args.source``)."""
    if not args.source:
        raise ConfigError(
            "no activity record or report given", hint="snncompile report activity.npz"
        )
    options = CountOptions(neuron_macs=args.neuron_macs)
    chip = None if args.chip == "none" else args.chip
    metadata = {"source": Path(args.source).name}
    if Path(args.source).suffix.lower() != ".json":  # an activity record: groups, metadata
        return report_from_record(
            args.source,
            args.profile or None,
            options=options,
            pricing=pricing_from_args(args),
            chip=chip,
            metadata=metadata,
        )
    return build_report(
        load_counts(args.source, options),
        args.profile or None,
        pricing=pricing_from_args(args),
        chip=chip,
        metadata=metadata,
    )


def load_counts(path: str | Path, options: CountOptions | None = None) -> NetworkCounts:
    """Counts from an activity record (``.npz``) or a saved report (``.json``)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{str(path)!r} does not exist", hint="check the path")
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(path.read_text("utf-8"))
            return NetworkCounts.from_dict(document["counts"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"{str(path)!r} is not an snncompile energy report ({exc})",
                hint="pass a report written by EnergyReport.to_json() or an activity .npz",
            ) from exc
    return count_activity(ActivityRecord.load(path), options)
