"""``python -m provgraph``: the same as the ``provgraph`` command."""

from provgraph.cli import main

if __name__ == "__main__":
    main()
