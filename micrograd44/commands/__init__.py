"""Sub-commands of the ``micrograd44`` command line, one module each (see cli.COMMANDS)."""
