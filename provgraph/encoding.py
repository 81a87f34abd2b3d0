"""The one canonical JSON encoding provgraph hashes and stores, and the hashes over it.

Canonical means sorted keys, no whitespace, UTF-8 as is. Everything whose bytes must agree
between writers uses it: stored node and relation JSON and their digests (events), the hash
chain, a redaction's rewrite of stored JSON (which ``verify`` re-hashes), PROV document
fingerprints.

>>> canonical_json({"b": 1, "a": [1, "é"]})
'{"a":[1,"é"],"b":1}'
>>> canonical_digest({"b": 1, "a": [1, 2]})[:12]
'94a786c3662b'
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from typing import Any

__all__ = ["attributes_json", "record_json", "canonical_json", "canonical_digest", "joined_digest",
           "sha256_hex", "encode_basestring"]
# encode_basestring: one string as canonical JSON writes it (ensure_ascii off), in C.

#: One encoder for every call (``json.dumps`` with options builds a new one each time).
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str).encode


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON; a value JSON cannot encode (a date someone stored by hand)
    is written as its string."""
    return _ENCODE(value)


_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _scalar(value: Any) -> str | None:
    """A string, int, float, bool or None, or a list of them (an attribute's values), as
    canonical JSON writes it; None for anything else."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        text = float.__repr__(value)
        return _NOT_FINITE.get(text, text)
    if kind is list:
        items: list[str] = []
        for item in value:
            written = _scalar(item)
            if written is None or written[0] == "[":
                return None  # a list in a list, or something else: the encoder's
            items.append(written)
        return "[" + ",".join(items) + "]"
    return None


def _plain_object(value: dict[str, Any]) -> str | None:
    """A dict of string names and :func:`_scalar` values as canonical JSON; None otherwise."""
    parts = []
    for name in sorted(value) if all(type(n) is str for n in value) else ():
        text = _scalar(value[name])
        if text is None:
            return None
        parts.append(f"{encode_basestring(name)}:{text}")
    if len(parts) != len(value):
        return None
    return "{" + ",".join(parts) + "}"


def attributes_json(attributes: dict[str, Any]) -> str:
    """``canonical_json({"attributes": attributes})``, written directly when every name is a
    string and every value a string, a number, a bool or None, or a list of them (what
    most nodes carry: a
    million of them are encoded on a large import); through the encoder otherwise.

    >>> attributes_json({"b": 1, "a": "é", "c": None}) == canonical_json(
    ...     {"attributes": {"b": 1, "a": "é", "c": None}})
    True
    """
    text = _plain_object(attributes)
    return _ENCODE({"attributes": attributes}) if text is None else '{"attributes":' + text + "}"


def record_json(record: dict[str, Any]) -> str:
    """``canonical_json(record)`` for a node's or relation's stored JSON, written directly
    when its ``attributes`` and ``copies`` are plain (see :func:`attributes_json`) and its
    other values are strings, ints, bools or None (an activity's times, an opaque node's
    reason); through the encoder otherwise.

    >>> record = {"attributes": {"lr": 3}, "started_at": "2024-01-01", "alternative": True}
    >>> record_json(record) == canonical_json(record)
    True
    """
    parts = []
    for name in sorted(record) if all(type(n) is str for n in record) else ():
        value = record[name]
        text = _plain_object(value) if type(value) is dict else _scalar(value)
        if text is None:
            return _ENCODE(record)
        parts.append(f"{encode_basestring(name)}:{text}")
    if len(parts) != len(record):
        return _ENCODE(record)
    return "{" + ",".join(parts) + "}"


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text``'s UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))


def joined_digest(parts: Any, separator: str = "\x1f") -> str:
    """SHA-256 of ``parts`` joined by ``separator`` (a row's columns, an event's digests)."""
    return sha256_hex(separator.join(map(str, parts)))
