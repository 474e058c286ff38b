"""``python -m snncompile`` runs the command-line interface."""

import sys

from snncompile.cli import main

sys.exit(main())
