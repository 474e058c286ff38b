"""A user runs an exported file with plain onnxruntime: no snncompile import at all."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from onnx_testlib import ARCHITECTURES, NEURONS, assert_spike_exact, inputs_for, reference
from snncompile_onnx import export_onnx

#: The user's script: numpy + onnxruntime only; snncompile is made unimportable.
SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["snncompile"] = None  # any `import snncompile...` now raises ImportError
    sys.modules["snncompile_onnx"] = None
    import numpy as np
    import onnxruntime as ort

    model, data, out = sys.argv[1:4]
    x = np.load(data)  # [T, B, ...] float32
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    names = [o.name for o in sess.get_outputs()]
    if meta["snncompile.mode"] == "step":
        states = {
            i.name: np.zeros((x.shape[1], *i.shape[1:]), np.float32)
            for i in sess.get_inputs() if i.name.startswith("state.")
        }
        outputs = [n for n in names if not n.startswith("state.")]
        frames = []
        for t in range(x.shape[0]):
            results = sess.run(None, {sess.get_inputs()[0].name: x[t], **states})
            by_name = dict(zip(names, results))
            frames.append(by_name[outputs[0]])
            states = {k: by_name[k + ".next"] for k in states}
        y = np.stack(frames)
    else:
        y = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    np.save(out, y)
    """
)


@pytest.mark.parametrize("mode", ["step", "loop", "unrolled"])
def test_plain_onnxruntime_script(tmp_path: Path, mode: str) -> None:
    graph = ARCHITECTURES["recurrent"](NEURONS["clif"])
    x = inputs_for(graph, steps=7, batch=4)["in"]
    model = export_onnx(graph, tmp_path / "m.onnx", mode, 7 if mode == "unrolled" else None)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "run.py").write_text(SCRIPT)
    subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), str(model), str(tmp_path / "x.npy"),
         str(tmp_path / "y.npy")],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    got = {"out": np.load(tmp_path / "y.npy")}
    assert_spike_exact(got, reference(graph, {"in": x}), ["out"])
