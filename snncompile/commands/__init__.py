"""``snncompile`` subcommands beyond the core ones in :mod:`snncompile.cli`."""
