"""One node described: its version at a time, its relations then, and its history.

>>> import provgraph
>>> from provgraph.clock import NOW
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest(provgraph.demo.reference_events())
>>> describe(g.store, "M1", NOW)["relations"][0]["relation"]
'used'
"""

from __future__ import annotations

from typing import Any

from provgraph.clock import to_iso
from provgraph.errors import NotFoundError
from provgraph.store.base import Store

_ALL = 2**31 - 1


def describe(store: Store, id: str, as_of: int, limit: int | None = None) -> dict[str, Any]:
    """What ``provgraph show`` prints: attributes, opacity, times, relations and versions.
    With ``limit``, only the first ``limit`` relations by key, and ``relations_total``
    counting them all. NotFoundError if ``id`` is not known at ``as_of``."""
    node = store.nodes([id], as_of).get(id)
    if node is None:
        raise NotFoundError(f"no node {id!r} in {store.uri}")
    # Neo4j slices lists by 32-bit integers: "all" is the largest of them (and a negative
    # limit would count from the end).
    page = _ALL if limit is None else min(max(limit, 0), _ALL)
    relations, total = store.node_relations(id, as_of, page)
    return {
        "id": node.id, "kind": node.kind, "type": node.type, "attributes": node.attributes,
        "opaque": node.opaque, "opaque_reason": node.opaque_reason,
        "started_at": node.started_at, "ended_at": node.ended_at, "version": node.version,
        "recorded_at": to_iso(node.recorded_at),
        "relations": [
            {"relation": r.relation, "from": r.source, "to": r.target, "role": r.role,
             **({"copies": r.copies} if r.copies else {}),
             **({"granularity": r.granularity} if r.granularity else {})}
            for r in relations
        ],
        **({"relations_total": total} if limit is not None else {}),
        "history": [
            {"version": v.version, "recorded_at": to_iso(v.recorded_at),
             "retracted": v.retracted}
            for v in store.history(id)
        ],
    }
