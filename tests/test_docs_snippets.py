"""Every command and Python snippet in README.md and docs/*.md runs as written.

Convention for fenced blocks in the documents (every fence names its language):

- ```` ```python ````: run in-process, in document order, one namespace per document;
- ```` ```bash ```` or ```` ```sh ````: every command runs and must exit 0 (one command
  per line, a trailing ``\\`` continues it, ``#`` starts a comment);
- ```` ```console ````: a transcript. Lines starting with ``$ `` are commands, the lines
  after one are its exact output (stdout and stderr together); the exit status is free
  (the transcript shows it with ``echo $?``);
- any other language (``text``, ``toml``, ...) is not run. A block without a language is
  refused, and so is a block that is not run but holds a command line: a command cannot
  leave the test by losing its label.

Each document runs in a fresh temporary copy of the repository's shipped files (what a
clone has, without ``.git`` and the virtualenv), from its root, twice in the same
directory: documented examples must be idempotent (an output written by the first pass
is replaced with ``--force``/``force=True``, not refused). ``snncompile`` and ``python``
are the test interpreter's virtualenv (its ``bin`` is first on ``PATH``). Commands that
cannot run here are listed in :data:`NOT_RUN` with the reason; an entry no document uses
any more fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", *sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")))
SHELL = frozenset({"bash", "sh", "console"})
RUN = SHELL | {"python"}

#: Command prefixes that are not run, with the reason. Each must match a documented command.
NOT_RUN: dict[str, str] = {
    "make install": "installs the virtualenv the test itself runs in",
    "make demo": "runs the whole demo (about a minute of Lava); tests/examples cover its parts",
    "make test": "the test suite itself",
    "pip install": "changes the environment the test runs in (the Makefile's steps)",
    "python examples/compare_neurons.py": "50 training runs (minutes); "
    "tests/examples/test_compare_neurons.py reruns rows of docs/results.md",
    "python benchmarks/neurons_cpu.py": "a timing benchmark (minutes, machine-dependent) that "
    "rewrites the shipped results",
    "python benchmarks/ir_passes.py": "a timing benchmark (a 12.7 M-parameter model)",
    "python benchmarks/onnx_throughput.py": "a timing benchmark (minutes, machine-dependent) "
    "that rewrites the shipped results",
    "python benchmarks/zoo_lava.py": "a timing benchmark (minutes of Lava runs) that rewrites "
    "the shipped results",
    "python benchmarks/resnet19_lava.py": "a timing benchmark (a 12.6 M-parameter model) that "
    "rewrites the shipped results",
    "python benchmarks/render_report.py --out report --force --screenshot": "needs headless "
    "Chromium, not part of the install (the same command with --no-screenshot runs)",
}

#: Seconds one command may take before the test fails.
COMMAND_TIMEOUT = 300

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
#: the start of a line that is a shell command or a transcript's prompt (a synopsis such
#: as ``snncompile [--quiet] COMMAND`` is not one)
_COMMAND_LINE = re.compile(r"^\s*(\$ |(snncompile|make|pip|torchrun) (?!\[)|python (?!-m \S+ \[))")
#: directories and files of the checkout that a clone does not ship
_NOT_SHIPPED = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".bench-peers",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
)


@dataclass(frozen=True)
class Block:
    """One fenced block of a document: its language, text and first line number."""

    document: str
    language: str
    text: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line} ({self.language} block)"


def blocks(document: str) -> list[Block]:
    """The fenced blocks of ``document`` in order."""
    source = (REPO / document).read_text(encoding="utf-8")
    return [
        Block(document, m.group(1).strip(), m.group(2), source.count("\n", 0, m.start()) + 1)
        for m in _FENCE.finditer(source)
    ]


def shell_commands(block: Block) -> list[tuple[str, list[str]]]:
    """The commands of a shell block, each with its expected output (console only)."""
    commands: list[tuple[str, list[str]]] = []
    pending = ""
    for raw in block.text.splitlines():
        line = raw.rstrip()
        if block.language == "console":
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
            continue
        if pending:
            line = pending + " " + line.lstrip()
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].rstrip()
            continue
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append((line.strip(), []))
    return commands


def not_run_reason(command: str) -> str | None:
    """Why ``command`` is not run (None: it runs)."""
    for prefix, reason in NOT_RUN.items():
        if command == prefix or command.startswith(prefix + " "):
            return reason
    return None


def all_commands() -> list[tuple[Block, str]]:
    return [
        (block, command)
        for document in DOCUMENTS
        for block in blocks(document)
        if block.language in SHELL
        for command, _ in shell_commands(block)
    ]


def test_every_block_names_its_language_and_commands_are_run_blocks():
    problems = []
    for document in DOCUMENTS:
        for block in blocks(document):
            if not block.language:
                problems.append(f"{block.where}: no language (python, bash, console, text, ...)")
            elif block.language not in RUN:
                lines = [ln for ln in block.text.splitlines() if _COMMAND_LINE.match(ln)]
                if lines:
                    problems.append(f"{block.where}: a command in a block not run: {lines[0]!r}")
    assert not problems, "\n".join(problems)


def test_the_documents_have_runnable_blocks():
    runnable = {b.document for d in DOCUMENTS for b in blocks(d) if b.language in RUN}
    for document in ("README.md", "docs/api.md", "docs/cli.md", "docs/lava.md"):
        assert document in runnable, document


def test_every_not_run_entry_names_a_documented_command():
    used = {p for p in NOT_RUN for _, c in all_commands() if c == p or c.startswith(p + " ")}
    assert used == set(NOT_RUN), f"stale NOT_RUN entries: {sorted(set(NOT_RUN) - used)}"


def test_the_parser_reads_the_conventions():
    bash = Block("x.md", "bash", "a \\\n  --b c   # note\n# only a comment\n\nd\n", 1)
    assert shell_commands(bash) == [("a --b c   # note", []), ("d", [])]
    console = Block("x.md", "console", "$ e 1\nout\n\n$ echo $?\n0\n", 1)
    assert shell_commands(console) == [("e 1", ["out", ""]), ("echo $?", ["0"])]
    assert not_run_reason("make test") and not_run_reason("make demo x")
    assert not_run_reason("make tests") is None and not_run_reason("python x.py") is None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as written
    env.pop("VIRTUAL_ENV", None)
    return env


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run_bash(block: Block, command: str, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    if done.returncode != 0:
        pytest.fail(
            f"{block.where}: `{command}` exited {done.returncode}:\n{_tail(done.stdout)}",
            pytrace=False,
        )


_MARK = "@@@ end of command @@@"


def _run_console(block: Block, commands: list[tuple[str, list[str]]], cwd: Path, env) -> None:
    """Run a transcript in one shell (``$?`` carries over) and compare each output."""
    script = "".join(
        f"{command}\n__rc=$?; printf '\\n%s\\n' '{_MARK}'; (exit $__rc)\n"
        for command, _ in commands
    )
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    outputs = done.stdout.split(f"\n{_MARK}\n")
    for (command, expected), output in zip(commands, outputs, strict=False):
        got = [ln.rstrip() for ln in output.splitlines()]
        want = [ln.rstrip() for ln in expected]
        while want and not want[-1]:
            want.pop()
        if got != want:
            pytest.fail(
                f"{block.where}: `{command}` printed\n"
                + "\n".join(got)
                + "\ninstead of\n"
                + "\n".join(want),
                pytrace=False,
            )


def _run_python(block: Block, namespace: dict[str, object]) -> None:
    code = compile(block.text, f"{block.where}", "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, namespace)


def run_document(document: str, root: Path) -> None:
    """Run every block of ``document`` in order, from ``root``."""
    env = _environment()
    namespace: dict[str, object] = {"__name__": f"snippets_{Path(document).stem}"}
    for block in blocks(document):
        if block.language == "python":
            _run_python(block, namespace)
        elif block.language == "console":
            commands = [(c, out) for c, out in shell_commands(block) if not not_run_reason(c)]
            _run_console(block, commands, root, env)
        elif block.language in SHELL:
            for command, _ in shell_commands(block):
                if not not_run_reason(command):
                    _run_bash(block, command, root, env)


#: the documents with something to run (the others are checked for unlabelled commands)
RUNNABLE = tuple(d for d in DOCUMENTS if any(b.language in RUN for b in blocks(d)))


@pytest.mark.slow
@pytest.mark.parametrize("document", RUNNABLE)
def test_document_runs_twice(document, tmp_path, monkeypatch):
    root = tmp_path / "checkout"
    shutil.copytree(REPO, root, ignore=_NOT_SHIPPED, symlinks=True)
    monkeypatch.chdir(root)
    for attempt in (1, 2):
        start = time.perf_counter()
        run_document(document, root)
        print(f"{document}: pass {attempt} in {time.perf_counter() - start:.1f} s")
