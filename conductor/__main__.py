"""Run the command line as ``python -m conductor``."""

from conductor.cli import main

main()
