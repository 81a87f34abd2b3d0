"""Stores and the registry that picks one from a URI.

>>> scheme_of("bolt://127.0.0.1:7687")
'bolt'
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provgraph.errors import ConfigurationError
from provgraph.store.base import Store

__all__ = ["DEFAULT_PATH", "Store", "default_path", "open_store", "scheme_of"]


def default_path() -> Path:
    """Where the embedded store lives by default: ``$XDG_DATA_HOME/provgraph/provgraph.sqlite``
    (``~/.local/share/provgraph/provgraph.sqlite`` when XDG_DATA_HOME is unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "provgraph" / "provgraph.sqlite"


DEFAULT_PATH = default_path()


def scheme_of(uri: str) -> str:
    """The URI scheme, or ``""`` for a plain path."""
    if "://" not in uri:
        return ""
    return urlsplit(uri).scheme.lower()


def _open_sqlite(uri: str, timeout: float = 30.0, **_: Any) -> Store:
    from provgraph.store.sqlite import SQLiteStore

    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///"):]
        # sqlite:////abs/path and sqlite:///rel/path, as SQLAlchemy and MLflow spell them.
        path = path if path == ":memory:" else str(Path(path).expanduser())
    elif uri.startswith("sqlite://"):
        raise ConfigurationError(f"SQLite URIs look like sqlite:///path/to/file, not {uri!r}")
    else:
        path = str(Path(uri).expanduser())
    return SQLiteStore(path, timeout=timeout)


def _open_neo4j(uri: str, **options: Any) -> Store:
    from provgraph.store.neo4j import Neo4jStore

    return Neo4jStore(uri, **options)


_REGISTRY: dict[str, Callable[..., Store]] = {
    "": _open_sqlite,
    "sqlite": _open_sqlite,
    "file": _open_sqlite,
    "neo4j": _open_neo4j,
    "neo4j+s": _open_neo4j,
    "neo4j+ssc": _open_neo4j,
    "bolt": _open_neo4j,
    "bolt+s": _open_neo4j,
    "bolt+ssc": _open_neo4j,
}


def open_store(uri: str | None = None, **options: Any) -> Store:
    """Open the store a URI names: ``None`` means ``$PROVGRAPH_URI`` or the default file.

    Raises :class:`~provgraph.errors.ConfigurationError` for an unknown scheme (listing the
    valid ones) and :class:`~provgraph.errors.StoreUnavailableError` when it cannot be opened.
    """
    uri = uri or os.environ.get("PROVGRAPH_URI") or str(default_path())
    scheme = scheme_of(uri)
    if scheme == "file":
        uri = urlsplit(uri).path
    if scheme not in _REGISTRY:
        valid = ", ".join(f"{s}://" for s in sorted(_REGISTRY) if s)
        raise ConfigurationError(
            f"unknown store URI scheme {scheme!r}; valid: {valid}, or a plain file path"
        )
    return _REGISTRY[scheme](uri, **options)
