"""The repository stands alone: its data, its docs and its module names.

- Test data live in ``tests/data/`` and match their ``PROVENANCE.md``; no file reads data
  from outside the repository (a ``shared/`` folder beside it, an absolute path, a
  ``Path(__file__).parents[...]`` that climbs above the repository root).
- Every citation of a document (``docs/<name>.md §N``, ``<name>.md §N``, a ``docs/...md``
  path, a Markdown link) names a file of this repository and a section heading that exists
  in it.
- No importable module shadows the standard library.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

THIS = Path(__file__).resolve()
REPO = THIS.parents[1]
DATA = REPO / "tests" / "data"

#: Folders never scanned: build outputs, environments, caches, VCS metadata.
SKIP_DIRS = {".venv", ".bench-peers", "build", "dist", "node_modules", "__pycache__"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".cu", ".cuh", ".h", ".yaml"}
#: Trees whose files must not read anything outside the repository (issue 12, item 6).
CODE_TREES = ("tests", "snncompile", "backends", "examples", "benchmarks")


def _walk(root: Path) -> Iterator[Path]:
    """Text files under root; this file is left out (its probes are deliberately bad)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path == THIS:
                continue
            if path.suffix in TEXT_SUFFIXES or name == "Makefile":
                yield path


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


# ------------------------------------------------------------------- data and paths

#: Ways a file could reach data beside or outside the repository. Built from pieces so
#: that this file does not match itself.
_SHARED = "shared"
OUTSIDE = [
    (re.compile(r"\.\./" + _SHARED), "a ../shared path"),
    (re.compile(_SHARED + r"/(data|docs|hooks)\b"), "a path into a shared/ folder"),
    (re.compile(r"""/\s*["']""" + _SHARED + r"""["']"""), 'a path joined with "shared"'),
    (re.compile(r"(?<![\w.])/work/"), "an absolute path of the build machine"),
]
PARENTS = re.compile(r"parents\[(\d+)\]((?:\.parent\b)*)")


def _reaches_outside(path: Path, text: str) -> list[str]:
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for pattern, what in OUTSIDE:
            if pattern.search(line):
                found.append(f"{_rel(path)}:{lineno}: {what}: {line.strip()}")
        for m in PARENTS.finditer(line):
            up = int(m[1]) + 1 + m[2].count(".parent")
            if up > len(path.relative_to(REPO).parts):
                found.append(
                    f"{_rel(path)}:{lineno}: Path(__file__).{m[0]} climbs above the "
                    f"repository root: {line.strip()}"
                )
    return found


def test_nothing_reads_data_from_outside_the_repository():
    problems = []
    for tree in CODE_TREES:
        for path in _walk(REPO / tree):
            if path.name == "PROVENANCE.md":  # names where the copied data came from
                continue
            problems += _reaches_outside(path, path.read_text(errors="replace"))
    for name in ("README.md", "Makefile", "pyproject.toml"):
        problems += _reaches_outside(REPO / name, (REPO / name).read_text())
    assert not problems, "files that reach outside the repository (copy the data into " + (
        "tests/data/ with a PROVENANCE.md):\n" + "\n".join(problems)
    )


def test_the_outside_check_can_fail(tmp_path):
    probe = REPO / "tests" / "probe.py"
    bad = (
        "GOLDEN = Path(__file__).resolve().parents[1].parent / 'x'\n"
        "DATA = '../" + _SHARED + "/data/golden'\n"
        "SPEC = '/work/" + _SHARED + "/docs/lava.md'\n"
    )
    found = _reaches_outside(probe, bad)
    assert [f.split(":")[1] for f in found].count("1") == 1
    assert {f.split(":")[1] for f in found} == {"1", "2", "3"}
    assert not _reaches_outside(probe, "GOLDEN = Path(__file__).resolve().parents[1] / 'x'\n")


_ROW = re.compile(r"^\| `([^`]+)` \| (\d+) \| `([0-9a-f]{64})` \|$", re.M)


@pytest.mark.parametrize("folder", ["golden", "foreign", "frameworks"])
def test_test_data_match_their_provenance(folder):
    root = DATA / folder
    listed = {m[1]: (int(m[2]), m[3]) for m in _ROW.finditer((root / "PROVENANCE.md").read_text())}
    present = {p.name for p in root.iterdir() if p.name != "PROVENANCE.md"}
    assert present == set(listed), "PROVENANCE.md must list exactly the files of the folder"
    for name, (size, digest) in listed.items():
        blob = (root / name).read_bytes()
        assert (len(blob), hashlib.sha256(blob).hexdigest()) == (size, digest), name


# ------------------------------------------------------------------------ citations

_SEC = r"§\s?\d+(?:\.\d+)*"
CITATION = re.compile(
    r"(?<![\w/.-])(?P<path>/?(?:[\w.-]+/)*[\w-]+\.md)`?"
    r"(?P<secs>\s?" + _SEC + r"(?:\s*(?:,|–|-|/|and)\s*" + _SEC + r")*)?"
)
LINK = re.compile(r"\]\((?P<path>[^)#\s:]+\.md)(?:#[^)]*)?\)")
HEADING = re.compile(r"^#{1,6}\s+(?:§\s?)?(\d+(?:\.\d+)*)[.\s)]", re.M)


def _sections(doc: Path) -> set[str]:
    return {m[1] for m in HEADING.finditer(doc.read_text())}


def _resolve(source: Path, cited: str) -> Path | None:
    if cited.startswith("/"):
        return None
    for base in (REPO, source.parent):
        candidate = (base / cited).resolve()
        if candidate.is_file() and candidate.is_relative_to(REPO):
            return candidate
    return None


def _citation_problems(source: Path, text: str) -> list[str]:
    problems = []
    for lineno, line in enumerate(text.splitlines(), 1):
        where = f"{_rel(source)}:{lineno}"
        for m in CITATION.finditer(line):
            cited, secs = m["path"], m["secs"] or ""
            if not secs and "/" not in cited:
                continue  # a bare file name without a section: an output name, not a citation
            doc = _resolve(source, cited)
            if doc is None:
                problems.append(f"{where}: {cited} is not a file of this repository")
                continue
            missing = sorted(set(re.findall(r"§\s?(\d+(?:\.\d+)*)", secs)) - _sections(doc))
            if missing:
                problems.append(
                    f"{where}: {_rel(doc)} has no section {', '.join('§' + s for s in missing)}"
                )
        if source.suffix == ".md":
            for m in LINK.finditer(line):
                if _resolve(source, m["path"]) is None:
                    problems.append(f"{where}: link to {m['path']}, not a file of this repository")
    return problems


def test_every_cited_document_and_section_exists():
    problems = []
    for path in _walk(REPO):
        problems += _citation_problems(path, path.read_text(errors="replace"))
    assert not problems, (
        "citations of documents that are not in the repository, or of sections they lack "
        "(the specs live in docs/; the old shared lava.md §k is docs/lava.md §k+12):\n"
        + "\n".join(problems)
    )


def test_the_citation_check_can_fail():
    source = REPO / "snncompile" / "probe.py"
    good = "see docs/neurons.md §10 and docs/lava.md §17.2, §18 (`docs/neurons.md` §2–§6)\n"
    assert _citation_problems(source, good) == []
    bad = (
        "a (neurons.md §6)\n"  # bare name: resolves neither from the root nor snncompile/
        "b (docs/lava.md §99)\n"
        "c (docs/missing.md)\n"
        "d (/elsewhere/docs/lava.md §5.2)\n"
        "e docs/nir.md §2-§40\n"
    )
    found = _citation_problems(source, bad)
    assert [f.split(":")[1] for f in found] == ["1", "2", "3", "4", "5"], found
    assert "§40" in found[-1] and "§2" not in found[-1].split("section")[1]
    assert _citation_problems(REPO / "docs" / "x.md", "[a](missing.md) [b](api.md#errors)\n") == [
        "docs/x.md:1: link to missing.md, not a file of this repository"
    ]


# ----------------------------------------------------------------------- module names


def _module_names() -> dict[str, Path]:
    """Names that can end up first on ``sys.path`` lookups, with the file that provides them.

    Top-level import names (``snncompile``, each backend distribution's package), every
    module and package directly inside those, every package directory at any depth, the
    scripts of ``examples/`` and ``benchmarks/`` (their folder is ``sys.path[0]`` when run)
    and the Lava process modules (Lava's discovery executes them as package-less
    modules). A plain module inside a subpackage (``snncompile.energy.html``) is reached
    only through its package and is not listed.
    """
    names: dict[str, Path] = {}
    packages = [REPO / "snncompile", *sorted(REPO.glob("backends/*/snncompile_*"))]
    for package in packages:
        names[package.name] = package
        for child in package.iterdir():
            if child.suffix == ".py" or (child / "__init__.py").is_file():
                names[f"{package.name}/{child.stem}"] = child
        for init in package.rglob("__init__.py"):
            names[_rel(init.parent)] = init.parent
    for folder in ("examples", "benchmarks", "backends/lava/snncompile_lava/procs"):
        for script in (REPO / folder).glob("*.py"):
            names[_rel(script)] = script
    return names


def test_no_module_shadows_the_standard_library():
    names = _module_names()
    assert "snncompile/inspection" in names and "snncompile/ir" in names
    shadowing = sorted(
        _rel(path)
        for key, path in names.items()
        if Path(key).stem in sys.stdlib_module_names and Path(key).stem != "__init__"
    )
    assert not shadowing, f"modules named like the standard library: {shadowing}"
