"""The ```python blocks of README.md, docs/api.md and docs/cli.md run as written.

Each file's blocks run in order in one namespace (later blocks may use earlier names),
from a scratch directory that sees the repository's ``examples/`` folder.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "docs/api.md", "docs/cli.md")
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(document: str) -> list[str]:
    return _BLOCK.findall((REPO / document).read_text(encoding="utf-8"))


def test_the_documents_have_python_snippets():
    for document in DOCUMENTS:
        assert python_blocks(document), document


@pytest.mark.parametrize("document", DOCUMENTS)
def test_python_snippets_run(document, tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(REPO / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"snippets_{Path(document).stem}"}
    for index, block in enumerate(python_blocks(document)):
        code = compile(block, f"{document} (python block {index + 1})", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)
