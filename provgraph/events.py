"""The native, versioned event schema and how a batch of events becomes one change set.

An event is what a producer says at one moment: nodes it defines, relations between them,
and nodes or relations it retracts. Each event has an ``id``; ingesting the same event twice
changes nothing. The JSON Schema of the current version is committed as
``provgraph/schema/event-v1.json`` (regenerate with ``python -m provgraph.events``).

>>> event = parse_event({"id": "e1", "nodes": [{"id": "ds:a", "kind": "entity"}]})
>>> event.nodes[0].id
'ds:a'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provgraph.encoding import (
    attributes_json,
    canonical_digest,
    canonical_json,
    joined_digest,
    record_json,
    sha256_hex,
)
from provgraph.errors import InvalidEventError
from provgraph.model import Node, Relation, RelationRef

__all__ = [
    "SCHEMA_V1",
    "ChangeSet",
    "Event",
    "Retraction",
    "canonical_digest",
    "fold",
    "parse_event",
    "parse_events",
]

SCHEMA_V1 = "provgraph/event/1"

_NEW = tuple.__new__  # builds a named tuple in C (its own __new__ is Python)


class Retraction(BaseModel):
    """Nodes (by id) and relations (by relation, ends and role) no longer asserted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nodes: list[str] = Field(default_factory=list)
    relations: list[RelationRef] = Field(default_factory=list)


class Event(BaseModel):
    """One native provgraph event (schema version 1)."""

    # The rows, computed once, in a slot rather than a private attribute: pydantic sets up a
    # model's private attributes in Python for every instance (2.4 µs an event, measured),
    # and a slot is neither compared, dumped nor copied.
    __slots__ = ("_rows_cache",)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["provgraph/event/1"] = Field(default="provgraph/event/1", alias="schema")
    id: str = Field(min_length=1, max_length=1024)
    nodes: list[Node] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    retract: Retraction = Field(default_factory=Retraction)

    if TYPE_CHECKING:  # the slot, for type checkers only (pydantic would make it private)
        _rows_cache: tuple[list[NodeRow], list[RelationRow], str]

    def rows(self) -> tuple[list[NodeRow], list[RelationRow], str]:
        """The event's node rows, relation rows and content digest (computed once)."""
        try:
            return self._rows_cache
        except AttributeError:
            pass
        nodes = [node_row(n) for n in self.nodes]
        relations = [relation_row(r) for r in self.relations]
        parts = [row.digest for row in nodes] + [row.digest for row in relations]
        parts += sorted(self.retract.nodes) + sorted(r.key for r in self.retract.relations)
        rows = (nodes, relations, joined_digest(parts, "\x1e"))
        object.__setattr__(self, "_rows_cache", rows)  # the model is frozen
        return rows

    def digest(self) -> str:
        """A digest of the event's content, to tell a replay from a conflicting reuse of an id."""
        return self.rows()[2]


def _describe(error: ValidationError, label: str) -> str:
    first = error.errors()[0]
    loc = first["loc"]
    message = first["msg"]
    if loc and loc[-1] == "[key]":  # a mapping's key, not a field of its own
        loc = loc[:-2]
        message = f"name {first['input']!r}: {message}"
    where = ".".join(str(part) for part in loc) or "(event)"
    return f"{label}: field {where}: {message}"


def parse_event(data: Any, position: int | None = None) -> Event:
    """Validate one event given as a dict (or an :class:`Event`).

    Raises :class:`InvalidEventError` naming the event (its id, or its position) and the field.
    """
    if isinstance(data, Event):
        return data
    label = f"event #{position}" if position is not None else "event"
    if not isinstance(data, Mapping):
        raise InvalidEventError(f"{label}: expected a JSON object, got {type(data).__name__}")
    if isinstance(data.get("id"), str):
        label = f"event {data['id']!r}"
    schema = data.get("schema", SCHEMA_V1)
    if schema != SCHEMA_V1:
        raise InvalidEventError(
            f"{label}: field schema: unknown event schema {schema!r} (supported: {SCHEMA_V1!r})"
        )
    try:
        return Event.model_validate(data)
    except ValidationError as e:
        raise InvalidEventError(_describe(e, label)) from e


def parse_events(items: Iterable[Any]) -> list[Event]:
    """Validate a batch: every event must be valid, else the whole batch is rejected."""
    events = [parse_event(item, position) for position, item in enumerate(items)]
    seen: dict[str, str] = {}
    for event in events:
        try:
            digest = event.digest()
        except UnicodeEncodeError as e:  # a lone surrogate, from JSON "\ud800" or YAML
            raise InvalidEventError(
                f"event {event.id!r}: text is not valid Unicode ({e.reason}: "
                f"{e.object[e.start:e.end]!r})") from e
        if seen.get(event.id, digest) != digest:
            raise InvalidEventError(
                f"event {event.id!r}: field id: used twice in one batch with different content"
            )
        seen[event.id] = digest
    return events


class NodeRow(NamedTuple):
    """One node version to write: the JSON stored beside its columns, and its digest. (A
    named tuple: a large import makes millions, and it is made in C.)"""

    node: Node
    data: str
    digest: str


class RelationRow(NamedTuple):
    """One relation version to write: its key, stored JSON and digest."""

    relation: Relation
    key: str
    data: str
    digest: str


def node_row(node: Node) -> NodeRow:
    """The row of a node: the JSON both backends keep beside the indexed columns (kind, type,
    opaque) and a digest of all of it; equal digests mean the same version."""
    data: dict[str, Any] = {"attributes": node.attributes}
    for name in ("opaque_reason", "started_at", "ended_at", "prov"):
        if getattr(node, name) is not None:
            data[name] = getattr(node, name)
    text = record_json(data) if len(data) > 1 else attributes_json(node.attributes)
    return _NEW(NodeRow, (node, text, node_digest(node.id, node.kind._value_, node.type,
                                                  node.opaque, text)))


def node_digest(id: str, kind: str, type: str | None, opaque: bool, data: str) -> str:
    """The digest of a node version's content (columns and stored JSON): equal digests mean
    the same version, so re-ingesting a node changes nothing."""
    # joined_digest((id, kind, type, bool(opaque), data)), written out: str(None) is "None"
    # and str(True) "True" as there.
    return sha256_hex(f"{id}\x1f{kind}\x1f{type}\x1f{bool(opaque)}\x1f{data}")


_BARE = canonical_json({"attributes": {}})


def relation_row(relation: Relation) -> RelationRow:
    """The row of a relation: its key, stored JSON and a digest of its content."""
    data: dict[str, Any] = {"attributes": relation.attributes}
    if relation.copies:
        data["copies"] = relation.copies
    if relation.alternative:
        data["alternative"] = True
    for name in ("granularity", "plan", "time", "id", "prov"):
        if getattr(relation, name) is not None:
            data[name] = getattr(relation, name)
    # Most relations carry nothing but their ends: skip the encoder for them.
    text = (record_json(data) if len(data) > 1 else _BARE if not relation.attributes
            else attributes_json(relation.attributes))
    key = relation.key
    return _NEW(RelationRow, (relation, key, text, relation_digest(key, relation.role, text)))


def relation_digest(key: str, role: str | None, data: str) -> str:
    """The digest of a relation version's content (key, role and stored JSON; the key names
    the relation and its ends): equal digests mean the same version."""
    # joined_digest((key, role, data)), written out: str(None) is "None" as there.
    return sha256_hex(f"{key}\x1f{role}\x1f{data}")


Check = Callable[[Mapping[str, tuple[str, str | None, bool]]], None]
"""A check of a batch against the current kinds of the nodes it names (see
:attr:`ChangeSet.checks`)."""


@dataclass
class ChangeSet:
    """What a batch asks the store to write, folded so each id appears at most once.

    Later events in the batch win over earlier ones (a define after a retract re-defines).
    """

    events: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, NodeRow] = field(default_factory=dict)
    relations: dict[str, RelationRow] = field(default_factory=dict)
    retracted_nodes: set[str] = field(default_factory=set)
    retracted_relations: dict[str, RelationRef] = field(default_factory=dict)
    expect: dict[str, int] = field(default_factory=dict)
    """Optimistic concurrency: node id -> the current version the batch was computed from
    (0: absent); the store raises ConflictError if another writer changed it since."""
    checks: list[Check] = field(default_factory=list)
    """Checks the store runs in the write's transaction, after refusing events already
    stored and before writing anything, on the current kinds of the nodes in
    ``check_nodes`` (node id -> (kind, type, opaque), current nodes only). One raising
    InvalidEventError aborts the write: the input is checked against exactly the state it
    is written on, without a read of its own before."""
    check_nodes: set[str] = field(default_factory=set)
    """The nodes whose kinds ``checks`` need."""
    members: list[ChangeSet] = field(default_factory=list)
    """For batches sharing a transaction (group commit), the batches this is the union of
    (:meth:`union`): a conflict that concerns only some of them refuses those, and the
    store writes the others (:func:`provgraph.store.bookkeeping.admit`)."""

    @classmethod
    def union(cls, members: list[ChangeSet]) -> ChangeSet:
        """One change set writing what each of ``members`` asks for; they must be disjoint
        (group commit's rule), so nothing is lost. It keeps them as its ``members``."""
        union = cls(members=list(members))
        for changes in members:
            union.events.update(changes.events)
            union.nodes.update(changes.nodes)
            union.relations.update(changes.relations)
            union.expect.update(changes.expect)
            union.checks += changes.checks
            union.check_nodes |= changes.check_nodes
        return union

    def __bool__(self) -> bool:
        return bool(self.events or self.nodes or self.relations or self.retracted_nodes
                    or self.retracted_relations)

    @property
    def rows(self) -> int:
        """Events, node versions, relation versions and retractions asked for (a
        transaction's weight)."""
        return (len(self.events) + len(self.nodes) + len(self.relations)
                + len(self.retracted_nodes) + len(self.retracted_relations))

    def parts(self, max_rows: int) -> list[ChangeSet]:
        """This change set as several of at most ``max_rows`` rows, to write in order, one
        transaction each, when one transaction cannot hold it (an event with 100k
        relations, on Neo4j): its nodes first, then its relations (their ends are then
        written), then its retractions of relations, and last its retractions of nodes,
        with the event ids. A crash between parts leaves whole parts written and the events
        not; writing the same change set again finds those versions stored (and those
        relations retracted) and completes it. The node retractions stay in the last part:
        sent again, an event retracting a node already retracted would name an unknown node.

        >>> from provgraph.events import parse_event
        >>> changes = fold([parse_event({"id": "e", "nodes": [
        ...     {"id": f"n{i}", "kind": "entity"} for i in range(5)]})])
        >>> [(sorted(p.events), len(p.nodes)) for p in changes.parts(2)]
        [([], 2), ([], 2), ([], 1), (['e'], 0)]
        """
        parts: list[ChangeSet] = []
        nodes = list(self.nodes.items())
        relations = list(self.relations.items())
        for start in range(0, len(nodes), max_rows):
            parts.append(ChangeSet(nodes=dict(nodes[start:start + max_rows])))
        for start in range(0, len(relations), max_rows):
            parts.append(ChangeSet(relations=dict(relations[start:start + max_rows])))
        retracted = list(self.retracted_relations.items())
        last = ChangeSet(events=dict(self.events), retracted_nodes=set(self.retracted_nodes),
                         expect=dict(self.expect))
        if last.rows + len(retracted) <= max_rows:
            last.retracted_relations = dict(retracted)
        else:
            for start in range(0, len(retracted), max_rows):
                parts.append(ChangeSet(
                    retracted_relations=dict(retracted[start:start + max_rows])))
        parts.append(last)
        return parts


def fold(events: Iterable[Event]) -> ChangeSet:
    """Fold events, in order, into one :class:`ChangeSet`."""
    changes = ChangeSet()
    nodes, relations = changes.nodes, changes.relations
    for event in events:
        node_rows, relation_rows, digest = event.rows()
        changes.events[event.id] = digest
        for node_row_ in node_rows:
            nodes[node_row_.node.id] = node_row_
        if changes.retracted_nodes:  # a define after a retract re-defines
            for node_row_ in node_rows:
                changes.retracted_nodes.discard(node_row_.node.id)
        for row in relation_rows:
            relations[row.key] = row
        if changes.retracted_relations:
            for row in relation_rows:
                changes.retracted_relations.pop(row.key, None)
        for node_id in event.retract.nodes:
            changes.nodes.pop(node_id, None)
            changes.retracted_nodes.add(node_id)
        for ref in event.retract.relations:
            changes.relations.pop(ref.key, None)
            changes.retracted_relations[ref.key] = ref
    return changes


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the current native event version."""
    schema = Event.model_json_schema(by_alias=True)
    schema["$id"] = "https://w3id.org/provgraph/schema/event-v1.json"
    schema["title"] = "provgraph native event, version 1"
    return schema


SCHEMA_PATH = Path(__file__).parent / "schema" / "event-v1.json"


if __name__ == "__main__":  # pragma: no cover - regenerates the committed schema
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {SCHEMA_PATH}")
