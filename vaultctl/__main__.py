"""Run the command line as ``python -m vaultctl``."""

from vaultctl.cli import main

main()
