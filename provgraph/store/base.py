"""The store interface every backend implements, and the records it returns.

Kept deliberately small (write a batch, read nodes and relations, traverse): query meaning
is written once above it in :mod:`provgraph.queries`, so a backend only moves data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple, Protocol

from provgraph.chain import ChainEntry, ChainHead
from provgraph.errors import ConflictError
from provgraph.events import ChangeSet

Direction = Literal["down", "up"]
"""``down`` follows edges from a thing to what it depends on (ancestry); ``up`` the reverse."""


class _JsonRest:
    """The JSON part of a stored record (``data``), decoded on first use, so walks that need
    only the indexed columns never pay for it."""

    data: str

    @cached_property
    def _rest(self) -> dict[str, Any]:
        rest: dict[str, Any] = json.loads(self.data)
        return rest

    @property
    def attributes(self) -> dict[str, Any]:
        """The record's attributes."""
        value: dict[str, Any] = self._rest.get("attributes", {})
        return value

    @property
    def prov(self) -> dict[str, Any] | None:
        """The PROV-JSON records it was imported from, if any."""
        return self._rest.get("prov")


@dataclass(frozen=True)
class StoredNode(_JsonRest):
    """A node version as the store holds it (its JSON part is decoded on first use)."""

    id: str
    kind: str
    type: str | None
    opaque: bool
    data: str = field(repr=False)
    version: int
    recorded_at: int
    retracted: bool = False

    @classmethod
    def from_row(
        cls, id: str, kind: str, type: str | None, opaque: bool, data: str,
        version: int, recorded_at: int, retracted: bool = False,
    ) -> StoredNode:
        """Build from the columns both backends store (``data`` holds the JSON rest)."""
        return cls(id=id, kind=kind, type=type, opaque=bool(opaque), data=data,
                   version=int(version), recorded_at=int(recorded_at),
                   retracted=bool(retracted))

    @property
    def opaque_reason(self) -> str | None:
        """Why the node is opaque, if it is."""
        return self._rest.get("opaque_reason")

    @property
    def started_at(self) -> str | None:
        """When an activity started."""
        return self._rest.get("started_at")

    @property
    def ended_at(self) -> str | None:
        """When an activity ended."""
        return self._rest.get("ended_at")


@dataclass(frozen=True)
class StoredRelation(_JsonRest):
    """A relation version as the store holds it (its JSON part is decoded on first use)."""

    key: str
    relation: str
    source: str
    target: str
    role: str | None
    data: str = field(repr=False)
    recorded_at: int

    @classmethod
    def from_row(
        cls, key: str, relation: str, source: str, target: str, role: str | None,
        data: str, recorded_at: int,
    ) -> StoredRelation:
        """Build from the columns both backends store (``data`` holds the JSON rest)."""
        return cls(key=key, relation=relation, source=source, target=target, role=role,
                   data=data, recorded_at=int(recorded_at))

    @property
    def copies(self) -> dict[str, str]:
        """Attributes of ``source`` copied from ``target`` (target name → source name)."""
        value: dict[str, str] = self._rest.get("copies", {})
        return value

    @property
    def granularity(self) -> str | None:
        """``members`` when the dependence is recorded member by member."""
        return self._rest.get("granularity")

    @property
    def alternative(self) -> bool:
        """Whether this derivation is one of several alternatives (why-provenance OR)."""
        return bool(self._rest.get("alternative"))

    @property
    def id(self) -> str | None:
        """The relation's explicit id (part of its key), if it has one."""
        return self._rest.get("id")

    @property
    def plan(self) -> str | None:
        """The plan of an association."""
        return self._rest.get("plan")

    @property
    def time(self) -> str | None:
        """When the relation happened, if recorded."""
        return self._rest.get("time")

    @property
    def explicit_id(self) -> str | None:
        """The relation's own id, if it has one."""
        return self._rest.get("id")

    @property
    def follows(self) -> bool:
        """Whether traversals follow this edge (``granularity: members`` ones are skipped)."""
        return self.granularity != "members"


@dataclass
class Traversal:
    """What a traversal reached: node ids (the root included) and the edges it followed."""

    root: str
    nodes: set[str] = field(default_factory=set)
    edges: list[StoredRelation] = field(default_factory=list)


class LineageEdge(NamedTuple):
    """An edge of a lineage answer: what ancestry and impact show of a relation. A named
    tuple: answers hold tens of thousands, and its natural order is the answer's order."""

    source: str
    relation: str
    target: str
    key: str
    role: str | None


class LineageNode(NamedTuple):
    """A node of a lineage answer, with its shortest hop count from the root (a named tuple:
    answers hold hundreds of thousands)."""

    id: str
    kind: str | None
    type: str | None
    depth: int
    opaque: bool

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON form."""
        return {
            "id": self.id, "kind": self.kind, "type": self.type,
            "depth": self.depth, "opaque": self.opaque,
        }


@dataclass
class CompactWalk:
    """A walk answered whole by the store: each node reached (the root included) with its
    kind, type and opacity (None, None, False if unknown), and every edge followed from a
    node reached."""

    nodes: dict[str, tuple[str | None, str | None, bool]] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    root_known: bool = True
    """Whether the root has a version at the walk's time (else the caller says not found)."""
    answer: list[LineageNode] | None = None
    """The nodes reached but the root, with depths, by depth then id, when the store built
    them itself (``nodes`` is then left empty)."""
    opaque: list[str] | None = None
    """With ``answer``: the opaque nodes reached, sorted (the root too if the walk is an
    ancestry)."""
    ordered: bool = False
    """Whether ``edges`` are already sorted."""


NodeKind = tuple[str, str | None, bool]
"""``(kind, type, opaque)`` of a node at some time."""

WalkRow = tuple[str, str | None, str | None, bool, int, Sequence[Sequence[Any]]]
"""One node of a streamed walk (:meth:`Store.walk_rows`): ``(id, kind, type, opaque, hop
count, edges)``, where each edge followed from the node starts ``(relation, other end)``."""


class Known(NamedTuple):
    """What a store holds of the events and nodes a batch names (see :meth:`Store.known`)."""

    events: dict[str, str]
    """Event id -> digest, for the stored events among those asked about."""
    kinds: dict[str, NodeKind]
    """Node id -> current kind, type and opacity, for the current nodes asked about."""
    current: dict[str, StoredNode] = {}
    """Node id -> current version, for the nodes asked about whole (``whole``)."""


@dataclass
class WriteStats:
    """What one batch changed."""

    events: int = 0
    skipped_events: int = 0
    node_versions: int = 0
    relation_versions: int = 0
    retractions: int = 0
    nodes_written: set[str] = field(default_factory=set, repr=False)
    """The ids of the nodes given a new version (how a shared transaction tells each of its
    batches what it wrote; see :mod:`provgraph.store.group`)."""
    relations_written: set[str] = field(default_factory=set, repr=False)
    """The keys of the relations given a new version."""
    refused: ConflictError | None = field(default=None, repr=False)
    """For batches sharing a transaction: the conflict that kept some of them out of it
    (:func:`provgraph.store.bookkeeping.admit`); the others were written."""


class ChainLog(Protocol):
    """A store's hash chain and what only ``verify`` and redaction need of the store (see
    :mod:`provgraph.chain`). Every batch :meth:`Store.write` commits appends an entry."""

    def chain(self, after: int = 0, limit: int = 500) -> list[ChainEntry]:
        """Hash-chain entries with ``seq > after``, in order, at most ``limit``."""
        ...

    def chain_at(self, as_of: int) -> ChainHead | None:
        """The head of the hash chain at ``as_of``: its last entry recorded by then."""
        ...

    def times(self, limit: int) -> list[tuple[int, int]]:
        """``(seq, recorded_at)`` of at most about ``limit`` entries spread evenly over the
        chain, the first and the last always among them."""
        ...

    def scan(self) -> Iterator[tuple[int | None, str, tuple[Any, ...]]]:
        """Every stored row (events, node and relation versions, and anything else a
        backend traverses), streamed in any order: its batch time, its kind (``e``, ``n``,
        ``r``) and its columns as :func:`provgraph.chain.row_hash` takes them."""
        ...

    def derived_problems(self, rows_intact: bool = True) -> list[str]:
        """Descriptions of stored state that does not follow from the rows (e.g. validity
        intervals edited in place); empty when consistent. When the rows themselves failed
        their chain check (``rows_intact`` false), a derived structure that merely still
        says what the chain does is rebuilt from the rows, not reported."""
        ...

    def rewrite_nodes(
        self, ids: Collection[str], rewrite: Callable[[StoredNode], tuple[str, str] | None],
        event_id: str, event_digest: str, recorded_at: int, redaction: dict[str, Any],
    ) -> int:
        """Rewrite node versions' data in place (a redaction), recording ``event_id`` and a
        chain entry listing every rewrite, in one transaction; returns how many changed
        (0 when ``event_id`` was already applied)."""
        ...


class Store(Protocol):
    """A lineage store. Implementations: :mod:`.sqlite` (embedded) and :mod:`.neo4j`.

    The graph operations are here; ``log`` is the store's :class:`ChainLog`."""

    uri: str
    max_transaction_rows: int | None
    """At most this many events, nodes and relations a transaction (None: no bound); the
    ingest pipeline splits a larger input at event boundaries (see :mod:`provgraph.ingest`)."""

    @property
    def log(self) -> ChainLog:
        """The store's hash chain."""
        ...

    def write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        """Write a folded batch in one transaction; a node or relation whose content equals
        its current version is skipped (so re-ingest is a no-op)."""
        ...

    def known_events(self, ids: Collection[str]) -> dict[str, str]:
        """Digests of the events among ``ids`` that were already ingested."""
        ...

    def known(self, events: Collection[str], nodes: Collection[str],
              whole: Collection[str] = ()) -> Known:
        """What the ingest pipeline checks a batch against, in one read: the digests of the
        stored events among ``events``, the current kind of each node among ``nodes``, and
        the current version of each node among ``whole`` (what a merge builds on)."""
        ...

    def nodes(self, ids: Iterable[str], as_of: int) -> dict[str, StoredNode]:
        """The versions of ``ids`` valid at ``as_of`` (absent ids are left out)."""
        ...

    def kinds(self, ids: Iterable[str], as_of: int) -> dict[str, NodeKind]:
        """Kind, type and opacity of the nodes among ``ids`` valid at ``as_of`` (what a
        lineage answer shows of each node, without reading attributes)."""
        ...

    def relations(self, ids: Iterable[str], as_of: int,
                  outgoing: bool = False) -> list[StoredRelation]:
        """Every relation valid at ``as_of`` with either end in ``ids`` (only those leaving
        ``ids`` if ``outgoing``), sorted by key."""
        ...

    def node_relations(self, id: str, as_of: int,
                       limit: int) -> tuple[list[StoredRelation], int]:
        """The first ``limit`` relations valid at ``as_of`` with an end at ``id``, sorted by
        key, and how many there are (a hub's page without reading all of them)."""
        ...

    def history(self, id: str) -> list[StoredNode]:
        """Every version of node ``id`` ever recorded, retractions included, oldest first."""
        ...

    def ids(self, as_of: int) -> Iterator[str]:
        """The id of every node valid at ``as_of``, sorted (for a full export)."""
        ...

    def search(self, prefix: str, types: Collection[str], as_of: int,
               limit: int) -> list[tuple[str, NodeKind]]:
        """Nodes valid at ``as_of`` whose id starts with ``prefix``, or whose type is one of
        ``types`` both in their latest version and at ``as_of``, in id order, at most
        ``limit``: ``(id, (kind, type, opaque))``."""
        ...

    def traverse(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None, as_of: int,
    ) -> Traversal:
        """Nodes reachable from ``root`` in the database, and the edges followed.

        An edge is followed when its relation is in ``relations``, it is valid at ``as_of``,
        its granularity is not ``members``, and the node it leaves from (its PROV ``from``
        end) is not opaque at ``as_of``. Edges are returned from every node whose shortest
        distance from the root is below ``max_depth``.
        """
        ...

    def closure(self, roots: Collection[str], direction: Direction,
                relations: frozenset[str], as_of: int) -> Traversal:
        """Everything reachable from any of ``roots`` (roots included), and the edges
        followed, with :meth:`traverse`'s rules: the union of their traversals, walked once
        (each node expanded once, however many roots reach it). ``root`` is empty."""
        ...

    def walk_now(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None,
    ) -> CompactWalk | None:
        """The same walk as :meth:`traverse` as things stand now, answered whole (node kinds
        included) from a structure the store keeps for it; None if it has none for this walk
        (the caller then checks ``root`` exists and uses :meth:`traverse`)."""
        ...

    def walk_rows(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None = None,
    ) -> Iterator[WalkRow] | None:
        """The walk now of :meth:`walk_now`, a node at a time as the store reaches it
        (:data:`WalkRow`): the root first (hop count 0), then in order of hop count, so that
        a caller writes a large answer out without holding it; with ``max_depth``, the nodes
        at that hop count come without edges. Empty if ``root`` has no current version; None
        if the store cannot stream this walk (the caller then streams one answered whole)."""
        ...

    def reach_counts(
        self, root: str, direction: Direction, relations: frozenset[str], as_of: int,
        listed: frozenset[str],
    ) -> list[tuple[str | None, str | None, int, list[str]]] | None:
        """What a walk from ``root`` reaches (the root left out), counted in the database by
        kind and type without building edges: ``(kind, type, count, ids)`` rows where ids
        are those of the entities whose type is in ``listed``. None if the store cannot at
        ``as_of`` (the caller then counts a full walk)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...

