"""The ingest pipeline: validate native events, drop the ones already stored, check what
their relations refer to, fold them into change sets and write them with retries.

>>> from provgraph.store.sqlite import SQLiteStore
>>> ingest(SQLiteStore(":memory:"), [{"id": "e1", "nodes": [{"id": "x", "kind": "entity"}]}]
...        ).node_versions
1
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from provgraph.clock import NOW, now_us
from provgraph.collector import collector_paused
from provgraph.errors import ConflictError, InvalidEventError
from provgraph.events import ChangeSet, Event, fold, parse_events
from provgraph.model import RELATION_KINDS, Kind, Relation, RelationRef
from provgraph.store.base import NodeKind, Store, StoredRelation, WriteStats

_RETRIES = 50


@dataclass
class IngestResult:
    """What an ingest call did."""

    events: int
    skipped_events: int
    node_versions: int
    relation_versions: int
    retractions: int

    def to_dict(self) -> dict[str, int]:
        """JSON form."""
        return dict(self.__dict__)

    def add(self, other: IngestResult | WriteStats) -> None:
        """Add what ``other`` counted to these counts."""
        for name in self.__dict__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def ingest(
    store: Store,
    events: Event | Mapping[str, Any] | Iterable[Event | Mapping[str, Any]],
    *,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    check_kinds: bool = True,
    expect: Mapping[str, int] | None = None,
) -> IngestResult:
    """Validate and write native events into ``store``; one transaction a batch (see
    :meth:`provgraph.graph.Graph.ingest`, which documents what it raises). Input written in
    one transaction is checked inside it; input written in several is checked whole
    against the store first, in one read (:meth:`Store.known`)."""
    with collector_paused():
        return _ingest(store, event_list(events), batch_size=batch_size, progress=progress,
                       check_kinds=check_kinds, expect=expect)


def _ingest(
    store: Store, events: list[Any], *, batch_size: int | None,
    progress: Callable[[int], None] | None, check_kinds: bool,
    expect: Mapping[str, int] | None,
) -> IngestResult:
    parsed = parse_events(events)
    size = batch_size or max(len(parsed), 1)
    # A conditional write is one transaction, whatever its size.
    bound = None if expect else store.max_transaction_rows
    # Input written in one transaction is checked in it, against the state it is written
    # on (no read before); input written in several is checked whole first, so that bad
    # input writes nothing.
    inside = sum(1 for _ in chunked(parsed, size, bound)) <= 1 and not (
        bound is not None and parsed and weight(parsed[0]) > bound)
    if inside:
        new = parsed
    else:
        found = store.known({e.id for e in parsed}, references(parsed))
        new = fresh(found.events, parsed)
        check_references(found.kinds, new, check_kinds)
    skipped = len(parsed) - len(new)
    total = IngestResult(0, 0, 0, 0, 0)
    for chunk in chunked(new, size, bound):
        for attempt in range(_RETRIES):
            changes = fold(chunk)
            if expect:
                changes.expect = dict(expect)
            if inside:
                changes.check_nodes = references(chunk)
                changes.checks.append(
                    partial(check_references, events=chunk, check_kinds=check_kinds))
            try:
                # A change set larger than the store's transactions (one event with 100k
                # relations, on Neo4j) is written in parts; its events go with the last.
                for part in ([changes] if bound is None else bounded(store, changes, bound)):
                    total.add(store.write(part, now_us()))
                break
            except ConflictError:
                # Another writer committed some of these events first (or the input
                # replays stored ones): drop them (their content is checked again) and
                # write the rest; a moved expectation is the caller's to retry.
                if attempt == _RETRIES - 1:
                    raise
                before = len(chunk)
                chunk = fresh(store.known_events([e.id for e in chunk]), chunk)
                if expect and len(chunk) == before:
                    raise
                skipped += before - len(chunk)
                if not chunk:
                    break
        if progress:
            progress(len(chunk))
    total.skipped_events += skipped
    return total


def bounded(store: Store, changes: ChangeSet, max_rows: int) -> list[ChangeSet]:
    """``changes`` as the transactions of at most ``max_rows`` rows it is written in: itself,
    or its :meth:`~provgraph.events.ChangeSet.parts`. A node's retraction ends every relation
    touching it (a dataset's 100k members), so when those would overflow the transaction
    they are read first and retracted in parts of their own before it; whatever touches the
    node by the time its part runs is ended there, as always. Checks meant to run inside
    the transaction run first, on the current state, as for an input split in several."""
    touching: list[StoredRelation] = []
    if changes.retracted_nodes:
        touching = store.relations(changes.retracted_nodes, NOW)
    if changes.rows + len(touching) <= max_rows:
        return [changes]
    if changes.checks:
        kinds = store.kinds(changes.check_nodes, NOW)
        for check in changes.checks:
            check(kinds)
    for relation in touching:
        if relation.key not in changes.retracted_relations:
            changes.retracted_relations[relation.key] = RelationRef.model_validate({
                "relation": relation.relation, "from": relation.source,
                "to": relation.target, "role": relation.role, "id": relation.id})
    return changes.parts(max_rows)


def chunked(events: list[Event], size: int, max_rows: int | None) -> Iterator[list[Event]]:
    """``events`` in order, in transactions of at most ``size`` events and, with
    ``max_rows``, at most that many rows (:func:`weight`); an event larger than ``max_rows``
    is a chunk alone, written in parts (:meth:`~provgraph.events.ChangeSet.parts`).

    >>> from provgraph.events import parse_events
    >>> events = parse_events([{"id": f"e{i}", "nodes": [{"id": f"n{i}", "kind": "entity"}]}
    ...                        for i in range(5)])
    >>> [[e.id for e in chunk] for chunk in chunked(events, 3, None)]
    [['e0', 'e1', 'e2'], ['e3', 'e4']]
    >>> [len(chunk) for chunk in chunked(events, 5, 4)]
    [2, 2, 1]
    """
    chunk: list[Event] = []
    rows = 0
    for event in events:
        rows_of = weight(event)
        if chunk and (len(chunk) == size or (max_rows is not None and rows + rows_of > max_rows)):
            yield chunk
            chunk, rows = [], 0
        chunk.append(event)
        rows += rows_of
    if chunk:
        yield chunk


def weight(event: Event) -> int:
    """The rows ``event`` writes at most: one, plus its nodes, relations and retractions."""
    return (1 + len(event.nodes) + len(event.relations) + len(event.retract.nodes)
            + len(event.retract.relations))


def references(events: list[Event]) -> set[str]:
    """The nodes a reference check needs the kind of: the nodes ``events`` define or
    retract, and the ends and plans of their relations."""
    wanted: set[str] = set()
    for event in events:
        wanted.update([node.id for node in event.nodes])
        relations = event.relations
        wanted.update([relation.from_ for relation in relations])
        wanted.update([relation.to for relation in relations])
        wanted.update([relation.plan for relation in relations if relation.plan])
        wanted.update(event.retract.nodes)
    return wanted


def fresh(known: Mapping[str, str], events: list[Event]) -> list[Event]:
    """The events not ingested yet, given the digests of the stored ones among them;
    InvalidEventError if an id was used for other content."""
    new: list[Event] = []
    for event in events:
        if event.id not in known:
            new.append(event)
        elif known[event.id] != event.digest():
            raise InvalidEventError(
                f"event {event.id!r}: field id: already ingested with different content;"
                " a correction needs a new event id"
            )
    return new


def check_references(current: Mapping[str, NodeKind], events: list[Event],
                     check_kinds: bool = True) -> None:
    """Reject relations to unknown nodes or between nodes of the wrong kinds, given the
    current kind of the stored nodes ``events`` name (see :func:`references`)."""
    stored = {node_id: found[0] for node_id, found in current.items()}
    # The kind of every node named: as stored, unless the batch defines it.
    kind_of = {node_id: _KINDS[kind] for node_id, kind in stored.items() if kind in _KINDS}
    for event in events:
        kind_of.update([(node.id, node.kind) for node in event.nodes])
    for event in events:
        for i, node in enumerate(event.nodes):
            old = stored.get(node.id)
            if check_kinds and old is not None and old != node.kind.value:
                raise InvalidEventError(
                    f"event {event.id!r}: field nodes.{i}.kind: node {node.id!r} is an"
                    f" {old}; a new version cannot make it an {node.kind.value}"
                )
        for i, relation in enumerate(event.relations):
            want_from, want_to = RELATION_KINDS[relation.relation]
            have_from, have_to = kind_of.get(relation.from_), kind_of.get(relation.to)
            if (have_from is None or have_to is None or check_kinds and (
                    want_from is not None and have_from is not want_from
                    or want_to is not None and have_to is not want_to)):
                _reject_ends(event, i, relation, kind_of, check_kinds)
            if relation.plan and relation.plan not in kind_of:
                raise InvalidEventError(
                    f"event {event.id!r}: field relations.{i}.plan: unknown node"
                    f" {relation.plan!r}"
                )
        for i, node_id in enumerate(event.retract.nodes):
            if node_id not in kind_of:
                raise InvalidEventError(
                    f"event {event.id!r}: field retract.nodes.{i}: unknown node {node_id!r}"
                )


_KINDS = {kind.value: kind for kind in Kind}


def _reject_ends(event: Event, i: int, relation: Relation, kind_of: Mapping[str, Kind],
                 check_kinds: bool) -> None:
    """Raise the error for relation ``i`` of ``event``, one of whose ends is unknown or of
    the wrong kind: the first end at fault, ``from`` before ``to``."""
    for end, node_id, want in zip(("from", "to"), (relation.from_, relation.to),
                                  RELATION_KINDS[relation.relation], strict=True):
        have = kind_of.get(node_id)
        if have is None:
            raise InvalidEventError(
                f"event {event.id!r}: field relations.{i}.{end}: unknown node"
                f" {node_id!r} (define it in this batch or an earlier one)"
            )
        if check_kinds and want is not None and have is not want:
            raise InvalidEventError(
                f"event {event.id!r}: field relations.{i}.{end}:"
                f" {relation.relation.value} needs an {want.value} here, but"
                f" {node_id!r} is an {have.value}"
            )


def event_list(events: Any) -> list[Any]:
    """One event or an iterable of them as a list; InvalidEventError for anything else."""
    if isinstance(events, (Event, Mapping)):
        return [events]
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise InvalidEventError("expected an event (a JSON object) or a list of events, got "
                                f"{type(events).__name__}")
    return list(events)
