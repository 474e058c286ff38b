"""Command line shared by the CPU benchmarks (``ir_passes.py``, ``neurons_cpu.py``).

Each script adds its own options to :func:`cpu_parser` and parses with
:func:`parse_pinned`, so every CPU benchmark takes ``--rounds``, ``--threads`` and
``--json`` alike and runs on exactly ``--threads`` torch threads.
"""

from __future__ import annotations

import argparse

import torch


def cpu_parser(doc: str | None, rounds: int, json_help: str) -> argparse.ArgumentParser:
    """A parser described by ``doc``'s first line with ``--rounds``, ``--threads``, ``--json``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help=json_help)
    return parser


def parse_pinned(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line and pin torch to ``--threads`` threads."""
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args
