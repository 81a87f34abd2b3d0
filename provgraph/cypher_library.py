"""The Cypher library in ``cypher/``: one named, commented, parameterized query a file.

The Neo4j backend runs these same files, so what users read is what runs.

>>> "MATCH" in load("ancestry")
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from provgraph.errors import ConfigurationError

DIRECTORY = Path(__file__).parent / "cypher"


def names() -> list[str]:
    """The names of every query in the library."""
    return sorted(p.stem for p in DIRECTORY.glob("*.cypher"))


@cache
def load(name: str) -> str:
    """The text of ``cypher/<name>.cypher``; raises ConfigurationError if there is none."""
    path = DIRECTORY / f"{name}.cypher"
    if not path.is_file():
        raise ConfigurationError(f"no Cypher query {name!r}; known: {', '.join(names())}")
    return path.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file (``schema``), comments removed."""
    text = "\n".join(
        line for line in load(name).splitlines() if not line.lstrip().startswith("//")
    )
    return [part.strip() for part in text.split(";") if part.strip()]
