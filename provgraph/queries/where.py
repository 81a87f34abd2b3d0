"""Where-provenance: where an attribute's value came from (docs/queries.md).

A ``wasDerivedFrom`` may say which attributes were copied (``copies: {"tokenizer":
"tokenizer"}``: this entity's tokenizer is its source's tokenizer). ``where(x, a)`` follows
copies back to the origin — where the value was set, not copied — and reports every copy whose
recorded value differs from its source's as a conflict instead of hiding it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provgraph.errors import NotFoundError
from provgraph.store.base import Store, StoredRelation


@dataclass
class Where:
    """The chain of (node, attribute, value) locations from ``root`` back to ``origin``
    (None when the copies form a cycle, which ``conflicts`` then names)."""

    root: str
    attribute: str
    chain: list[dict[str, Any]] = field(default_factory=list)
    origin: str | None = None
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON form."""
        return {"root": self.root, "attribute": self.attribute, "chain": self.chain,
                "origin": self.origin, "conflicts": self.conflicts}


def where(store: Store, root: str, attribute: str, *, as_of: int) -> Where:
    """Follow ``attribute`` of ``root`` back along copies to where it was set.

    One walk in the store over ``wasDerivedFrom`` edges, then the chain is read off its
    answer. Raises NotFoundError if ``root`` is unknown, or neither holds nor copied
    ``attribute``.
    """
    if root not in store.nodes([root], as_of):
        raise NotFoundError(f"no node {root!r} in {store.uri}")
    traversal = store.traverse(root, "down", frozenset({"wasDerivedFrom"}), None, as_of)
    nodes = store.nodes(traversal.nodes, as_of)
    copies_out: dict[str, list[StoredRelation]] = {}
    for edge in traversal.edges:
        if edge.copies:
            copies_out.setdefault(edge.source, []).append(edge)

    result = Where(root=root, attribute=attribute)
    here, name = root, attribute
    seen: set[tuple[str, str]] = set()
    while (here, name) not in seen:
        seen.add((here, name))
        attributes = nodes[here].attributes if here in nodes else {}
        value = attributes.get(name)
        result.chain.append({"node": here, "attribute": name, "value": value})
        sources = sorted(
            (e for e in copies_out.get(here, []) if name in e.copies), key=lambda e: e.target)
        if not sources:
            break
        if len(sources) > 1:
            result.conflicts.append({
                "node": here, "attribute": name,
                "reason": "copied from several sources; followed the first",
                "sources": [e.target for e in sources],
            })
        edge = sources[0]
        source_name = edge.copies[name]
        source_attributes = nodes[edge.target].attributes if edge.target in nodes else {}
        source_value = source_attributes.get(source_name)
        if name in attributes and source_name in source_attributes and value != source_value:
            result.conflicts.append({
                "node": here, "attribute": name, "value": value,
                "source": edge.target, "source_attribute": source_name,
                "source_value": source_value,
                "reason": "copied value differs from its source",
            })
        here, name = edge.target, source_name
        if (here, name) in seen:
            # The copies lead back to a location already in the chain: no location set the
            # value, so there is no origin to name (the chain stops before repeating).
            result.conflicts.append({
                "node": result.chain[-1]["node"], "attribute": result.chain[-1]["attribute"],
                "source": here, "source_attribute": name,
                "reason": "copies form a cycle: no origin"})
            return result
    if len(result.chain) == 1 and result.chain[0]["value"] is None \
            and attribute not in (nodes[root].attributes if root in nodes else {}):
        raise NotFoundError(f"{root!r} has no attribute {attribute!r} and copied none")
    result.origin = result.chain[-1]["node"]
    return result
