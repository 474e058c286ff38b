"""examples/lava_digits_table.py: the per-model float vs fixed table of docs/lava.md §7."""

from __future__ import annotations

import lava_digits_table
import pytest


@pytest.mark.lava
def test_a_row_runs_both_lava_modes_exactly(tmp_path):
    row = lava_digits_table.model_row("ilif", samples=6, tmp=tmp_path)
    assert row["lava_fixed_exact"] is True and row["lava_float_exact"] is True
    assert 0.0 <= row["float"] <= 1.0 and 0.0 <= row["agreement"] <= 1.0
    table = lava_digits_table.to_markdown([row], samples=6)
    assert "| ILIF |" in table and "| bit-exact | spike-exact |" in table
