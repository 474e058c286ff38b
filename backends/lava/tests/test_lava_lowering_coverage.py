"""Coverage of the Lava lowering table: every IR node class is lowered or refused."""

from __future__ import annotations

import nir
import numpy as np
import pytest
from snncompile_lava.backend import LavaBackend
from snncompile_lava.lower import LOWERINGS, REFUSED, check_lowerable

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.nodes import NODE_TYPES


def test_every_node_type_is_lowered_or_explicitly_refused():
    classes = {kind.cls for kind in NODE_TYPES.values()}
    missing = sorted(c.__name__ for c in classes - set(LOWERINGS) - set(REFUSED))
    assert missing == [], "add them to LOWERINGS or REFUSED in snncompile_lava/lower.py"
    assert not set(LOWERINGS) & set(REFUSED)
    assert set(LavaBackend.capabilities.node_types) == set(LOWERINGS)


def test_a_refused_node_type_is_named_with_the_supported_ones():
    with pytest.raises(UnsupportedNodeError, match="node 'sc' of type Scale") as info:
        check_lowerable({"sc": nir.Scale(np.ones(2))})
    assert "supported node types: Input, Flatten, Affine" in info.value.hint
