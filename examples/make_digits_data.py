"""Write the digits test split as ``examples/data/digits_test.npz`` for the CLI.

    python examples/make_digits_data.py

Keys: ``inputs`` float32 [450, 1, 8, 8] (static images in [0, 1]; `snncompile
simulate --steps T` repeats them over T steps, the direct encoding the shipped models
were trained with) and ``labels`` int64 [450]. Same fixed split as train_digits.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digits_common import load_split

OUT = Path(__file__).resolve().parent / "data" / "digits_test.npz"


def main() -> None:
    _, x_test, _, y_test = load_split()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, inputs=x_test[:, None].astype(np.float32), labels=y_test)
    print(f"wrote {OUT}: inputs {x_test[:, None].shape}, labels {y_test.shape}")


if __name__ == "__main__":
    main()
