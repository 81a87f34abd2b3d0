"""``python -m provgraph.cli``."""

from provgraph.cli import main

main()
