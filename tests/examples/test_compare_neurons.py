"""docs/results.md is reproduced by the command it names (issue 16, item 7).

A full reproduction takes minutes, so these tests rerun single rows of the doc's raw-run
table with the doc's settings and compare every reproducible figure exactly.
"""

from __future__ import annotations

import re
import shlex

import pytest
from train_digits import parse_args, train

from tests.examples.conftest import EXAMPLES

RESULTS = EXAMPLES.parent / "docs" / "results.md"


def documented_command() -> list[str]:
    """The arguments of the ``compare_neurons.py`` command in docs/results.md's block."""
    text = RESULTS.read_text(encoding="utf-8")
    match = re.search(r"^```bash\npython examples/compare_neurons.py (.*?)\n```", text, re.M)
    assert match, "docs/results.md names no ```bash compare_neurons.py command"
    return shlex.split(match.group(1).replace("\\\n", " "))


def raw_row(encoding: str, neuron: str, seed: int) -> list[str]:
    """The cells of one raw-run row of docs/results.md."""
    for line in RESULTS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[:3] == [encoding, neuron, str(seed)]:
            return cells
    raise AssertionError(f"docs/results.md has no raw run {encoding} {neuron} seed {seed}")


def test_the_doc_names_a_command_with_fixed_threads_and_seeds():
    args = documented_command()
    assert "--threads" in args and "--seeds" in args, args
    assert "docs/results.md" not in args  # the doc's command writes to a path of the user's
    text = RESULTS.read_text(encoding="utf-8")
    assert re.search(r"in \d+\.\d min on .+ cores", text)  # the run time and the machine


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoding", "neuron", "seed"), [("direct", "lif", 0), ("events", "ilif", 1)]
)
def test_a_raw_run_of_the_doc_is_reproduced(encoding, neuron, seed):
    args = documented_command()
    threads = args[args.index("--threads") + 1]
    extra = args[args.index("--") + 1 :] if "--" in args else []
    record = train(
        parse_args(
            [
                "--neuron",
                neuron,
                "--seed",
                str(seed),
                "--encoding",
                encoding,
                "--out",
                "none",
                "--no-progress",
                "--quiet",
                "--threads",
                threads,
                *extra,
            ]
        )
    )
    label = {"lif": "LIF", "ilif": "ILIF"}[neuron]
    row = raw_row(encoding, label, seed)
    rates = ", ".join(f"{v:.4f}" for v in record["firing_rates"].values())
    got = [f"{record['test_accuracy']:.4f}", rates, f"{record['spikes_per_sample']:.1f}"]
    assert got == row[3:6], f"docs/results.md {row[:3]}: {row[3:6]}, this run {got}"
