"""Native events in from files: one event, a JSON list of them, or JSON Lines.

The event schema is :mod:`provgraph.events` (docs/events.md); writing them is
:func:`provgraph.ingest.ingest`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from provgraph.errors import InvalidEventError


def read_native(path: Path) -> list[Any]:
    """Native events from a JSON file (one event or a list) or a JSON Lines file;
    InvalidEventError naming the file and line if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidEventError(f"{path}: cannot read: {e}") from e
    return parse_native(text, str(path), lines=path.suffix in (".jsonl", ".ndjson"))


def parse_native(text: str, path: str, lines: bool = False) -> list[Any]:
    r"""Native events from ``text``: one JSON event, a JSON list of them, or JSON Lines
    (tried when the text is not one JSON value, or always with ``lines``); errors name
    ``path`` (a file's name, or ``-`` for standard input) and the line.

    >>> [e["id"] for e in parse_native('{"id": "a"}\n{"id": "b"}\n', "-")]
    ['a', 'b']
    """
    if not lines:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            if e.msg != "Extra data":
                raise InvalidEventError(
                    f"{path}:{e.lineno}: invalid JSON: {e.msg} (column {e.colno})") from e
        except RecursionError as e:
            raise InvalidEventError(f"{path}: invalid JSON: nested too deeply to read") from e
        else:
            return data if isinstance(data, list) else [data]
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InvalidEventError(f"{path}:{number}: invalid JSON: {e.msg}") from e
            except RecursionError as e:
                raise InvalidEventError(
                    f"{path}:{number}: invalid JSON: nested too deeply to read") from e
    return events
