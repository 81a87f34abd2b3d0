"""Licence strings: SPDX expressions (parsed by ``license-expression``) and model licences
that have no SPDX id, kept in a table users can extend.

The table maps a lower-case name to what provgraph needs to know of it: its ``family`` (a
fine-tune stays in its base's family), whether it allows ``commercial`` use, and its
``terms`` in a few words. Add or override entries with a JSON file of the same shape named by
``$PROVGRAPH_LICENSES``, or pass ``table=`` to :func:`provgraph.graph.Graph.licenses`.

>>> describe("CC-BY-NC-4.0").commercial, describe("llama3").family
(False, 'llama')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from provgraph.errors import ConfigurationError

#: Model licences without an SPDX id (names as they appear on model hubs).
MODEL_LICENSES: dict[str, dict[str, Any]] = {
    **{name: {"family": "llama", "commercial": True,
              "terms": "Llama community licence: acceptable-use policy, attribution, a separate"
                       " licence above 700M monthly users"}
       for name in ("llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4",
                    "llama-community")},
    "gemma": {"family": "gemma", "commercial": True,
              "terms": "Gemma terms of use: prohibited-use policy passed on to derivatives"},
    **{name: {"family": "openrail", "commercial": True,
              "terms": "OpenRAIL: use-based restrictions passed on to derivatives"}
       for name in ("openrail", "openrail++", "creativeml-openrail-m", "bigscience-openrail-m",
                    "bigcode-openrail-m", "bigscience-bloom-rail-1.0")},
    "deepfloyd-if-license": {"family": "deepfloyd", "commercial": False,
                             "terms": "research use only"},
    "vendor-license": {"family": "proprietary", "commercial": True,
                       "terms": "a vendor's proprietary terms"},
    "proprietary": {"family": "proprietary", "commercial": True,
                    "terms": "proprietary terms"},
}
#: SPDX ids that pass their terms on to derivatives (copyleft, share-alike).
SHARE_ALIKE = ("GPL-", "AGPL-", "LGPL-", "CC-BY-SA-", "CC-BY-NC-SA-", "ODbL-")


@dataclass(frozen=True)
class License:
    """What provgraph knows of one licence string."""

    name: str
    spdx: bool
    family: str
    commercial: bool
    share_alike: bool
    terms: str
    #: False for a string that is neither an SPDX expression nor in the table: its terms are
    #: unknown, and a report says so instead of checking them.
    known: bool = True


def table() -> dict[str, dict[str, Any]]:
    """The model licence table: the built-in entries and ``$PROVGRAPH_LICENSES``'s."""
    path = os.environ.get("PROVGRAPH_LICENSES")
    return _table(path) if path else MODEL_LICENSES


@cache
def _table(path: str) -> dict[str, dict[str, Any]]:
    try:
        extra = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigurationError(f"PROVGRAPH_LICENSES={path}: not a readable JSON licence"
                                 f" table: {e}") from e
    if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
        raise ConfigurationError(f"PROVGRAPH_LICENSES={path}: expected {{name: {{family,"
                                 " commercial, terms}}}")
    return {**MODEL_LICENSES, **{k.lower(): v for k, v in extra.items()}}


def describe(name: str, known: dict[str, dict[str, Any]] | None = None) -> License:
    """What ``name`` means: an entry of the model licence table, or an SPDX expression
    (non-commercial when no alternative of it allows commercial use); when it is neither, a
    licence whose terms are unknown (``known`` false: a report names it rather than guess).

    >>> describe("my-own-terms").known
    False
    """
    entries = known if known is not None else table()
    entry = entries.get(name.strip().lower())
    if entry is not None:
        return License(name=name, spdx=False, family=str(entry.get("family", name.lower())),
                       commercial=bool(entry.get("commercial", True)),
                       share_alike=bool(entry.get("share_alike", False)),
                       terms=str(entry.get("terms", "")))
    try:
        from license_expression import ExpressionError, get_spdx_licensing
    except ImportError as e:
        raise ConfigurationError("SPDX licences need the licenses extra: pip install"
                                 " 'provgraph[licenses]'") from e

    licensing = get_spdx_licensing()
    try:
        parsed = licensing.parse(name, validate=True)
    except ExpressionError:
        return License(name=name.strip(), spdx=False, family=name.strip().lower(),
                       commercial=True, share_alike=False, terms="unknown", known=False)
    text = str(parsed)
    choices = text.split(" OR ") if " OR " in text and " AND " not in text else [text]
    commercial = any("-NC" not in choice for choice in choices)
    keys = [symbol.key for symbol in licensing.license_symbols(parsed)]
    return License(name=text, spdx=True, family=text, commercial=commercial,
                   share_alike=any(k.startswith(SHARE_ALIKE) for k in keys),
                   terms="SPDX: " + text)
