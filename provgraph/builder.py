"""A small builder for native events, for code that describes lineage by hand.

>>> b = EventBuilder("e1")
>>> b.entity("ds:a", "Dataset").activity("act:p", "Preprocessing").used("act:p", "ds:a")
EventBuilder('e1')
>>> sorted(b.build())
['id', 'nodes', 'relations', 'schema']
"""

from __future__ import annotations

from typing import Any

from provgraph.events import SCHEMA_V1


class EventBuilder:
    """Collects nodes and relations into one native event dict (see :mod:`provgraph.events`)."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        self.nodes: list[dict[str, Any]] = []
        self.relations: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"EventBuilder({self.event_id!r})"

    def node(self, kind: str, id: str, type: str | None, **fields: Any) -> EventBuilder:
        """Add a node; ``fields`` are Node fields (``opaque``, ``started_at`` ...) or, for any
        other name, attributes."""
        own = {"opaque", "opaque_reason", "started_at", "ended_at", "attributes"}
        node: dict[str, Any] = {"id": id, "kind": kind, "type": type}
        attributes = dict(fields.pop("attributes", {}))
        for name, value in fields.items():
            if name in own:
                node[name] = value
            else:
                attributes[name] = value
        if attributes:
            node["attributes"] = attributes
        self.nodes.append(node)
        return self

    def entity(self, id: str, type: str | None = None, **fields: Any) -> EventBuilder:
        """Add an entity (a dataset, model, code commit ...)."""
        return self.node("entity", id, type, **fields)

    def activity(self, id: str, type: str | None = None, **fields: Any) -> EventBuilder:
        """Add an activity (a training run, a quantization ...)."""
        return self.node("activity", id, type, **fields)

    def agent(self, id: str, type: str | None = None, **fields: Any) -> EventBuilder:
        """Add an agent (a person, a pipeline, an organization)."""
        return self.node("agent", id, type, **fields)

    def relation(self, relation: str, source: str, target: str, **fields: Any) -> EventBuilder:
        """Add a relation from ``source`` (the later thing) to ``target``."""
        self.relations.append(
            {"relation": relation, "from": source, "to": target,
             **{k: v for k, v in fields.items() if v is not None}}
        )
        return self

    def used(self, activity: str, entity: str, role: str | None = None, **f: Any) -> EventBuilder:
        """``activity`` used ``entity`` (in ``role``)."""
        return self.relation("used", activity, entity, role=role, **f)

    def generated(self, entity: str, activity: str, role: str | None = None) -> EventBuilder:
        """``entity`` wasGeneratedBy ``activity``."""
        return self.relation("wasGeneratedBy", entity, activity, role=role)

    def derived(self, entity: str, source: str, **f: Any) -> EventBuilder:
        """``entity`` wasDerivedFrom ``source`` (``copies=``, ``alternative=`` ...)."""
        return self.relation("wasDerivedFrom", entity, source, **f)

    def member(self, collection: str, *members: str) -> EventBuilder:
        """``collection`` hadMember each of ``members``."""
        for member in members:
            self.relation("hadMember", collection, member)
        return self

    def associated(self, activity: str, agent: str, role: str | None = None) -> EventBuilder:
        """``activity`` wasAssociatedWith ``agent``."""
        return self.relation("wasAssociatedWith", activity, agent, role=role)

    def build(self) -> dict[str, Any]:
        """The event as a dict, ready for :meth:`provgraph.Graph.ingest`."""
        return {"schema": SCHEMA_V1, "id": self.event_id, "nodes": self.nodes,
                "relations": self.relations}
