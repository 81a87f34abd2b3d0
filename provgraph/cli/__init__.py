"""The ``provgraph`` command: a thin layer over :mod:`provgraph.graph`.

``group`` holds the command group, the shared options and the one output path; ``render``
the text renderings; ``queries``, ``data`` and ``run`` the commands. Each command opens the
graph and makes one library call.
"""

from provgraph.cli import data, queries, run  # noqa: F401 - registers the commands
from provgraph.cli.group import main

__all__ = ["main"]
