"""Write the digits test split as an ``.npz`` file for the CLI.

    python examples/make_digits_data.py digits_test.npz
    python examples/make_digits_data.py digits_100.npz --limit 100   # the first 100 images

The same file ships as ``examples/data/digits_test.npz``; an existing output is refused
unless ``--force`` is given.

Keys: ``inputs`` float32 [450, 1, 8, 8] (static images in [0, 1]; `snncompile
simulate --steps T` repeats them over T steps, the direct encoding the shipped models
were trained with) and ``labels`` int64 [450]. Same fixed split as train_digits.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digits_common import load_split, script_exit

from snncompile.outputs import check_output, write_atomic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the .npz file to write, e.g. digits_test.npz")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N test images")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    check_output(args.out, force=args.force)
    _, x_test, _, y_test = load_split()
    inputs = x_test[: args.limit, None].astype(np.float32)
    y_test = y_test[: args.limit]
    # the staging file keeps the .npz suffix, so numpy writes exactly that name
    write_atomic(
        args.out,
        lambda tmp: np.savez_compressed(tmp, inputs=inputs, labels=y_test),
        force=args.force,
    )
    print(f"wrote {args.out}: inputs {inputs.shape}, labels {y_test.shape}")
    return 0


if __name__ == "__main__":
    raise SystemExit(script_exit(main))
