"""The Neo4j store's hash chain (``(:PGChain {seq})``) and what only ``verify`` and redaction
need of the database: entries, a streamed scan of the rows, derived-state checks, in-place
rewrites. See :mod:`provgraph.chain` and :mod:`provgraph.verify`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any

import neo4j

from provgraph import cypher_library
from provgraph.chain import ChainEntry, ChainHead, event_row_hash, form_of
from provgraph.clock import FOREVER, NOW
from provgraph.model import DEPENDENCY_RELATIONS, RESPONSIBILITY_RELATIONS
from provgraph.store.base import StoredNode
from provgraph.store.bookkeeping import next_entry, rewrite_version

if TYPE_CHECKING:
    from provgraph.store.neo4j import Neo4jStore

#: Parameters every projection query takes: which relations are dependency or responsibility
#: edges (closed vocabulary), and the "current" end of a validity interval.
DEPENDENCY = frozenset(r.value for r in DEPENDENCY_RELATIONS)
RESPONSIBILITY = frozenset(r.value for r in RESPONSIBILITY_RELATIONS)
PROJECTION: dict[str, Any] = {
    "forever": FOREVER, "dependency": sorted(DEPENDENCY),
    "responsibility": sorted(RESPONSIBILITY),
}


def projected_type(relation: str) -> str:
    """The current projection's relationship type for a PROV relation.

    >>> projected_type("used"), projected_type("wasAssociatedWith"), projected_type("alternateOf")
    ('PG_DEP', 'PG_RESP', 'PG_REL')
    """
    if relation in DEPENDENCY:
        return "PG_DEP"
    return "PG_RESP" if relation in RESPONSIBILITY else "PG_REL"


def read_head(tx: neo4j.ManagedTransaction, events: list[str]) -> tuple[
        tuple[int, str] | None, int | None, list[str]]:
    """The chain head ``(seq, hash)`` (None on an empty chain), its recorded_at, and which of
    ``events`` are stored, read first in a write transaction (``write_read.cypher``)."""
    r = tx.run(cypher_library.load("write_read"), {
        "batch": {"events": events, "nodes": [], "relations": [], "refs": []},
        "forever": FOREVER}).single(strict=True)
    return ((r["seq"], r["hash"]) if r["seq"] is not None else None), r["last"], r["known"]


def append_entry(tx: neo4j.ManagedTransaction, entry: ChainEntry | None) -> None:
    """Append a batch's chain entry (nothing if the batch wrote nothing). The seq is unique:
    if another writer appended it first, this fails and the batch runs again."""
    if entry is not None:
        tx.run(cypher_library.load("chain_append"), {
            "seq": entry.seq, "t": entry.recorded_at, "prev": entry.prev, "body": entry.body,
            "hash": entry.hash}).consume()


class Neo4jChainLog:
    """The :class:`~provgraph.store.base.ChainLog` of a :class:`Neo4jStore` (same driver)."""

    def __init__(self, store: Neo4jStore) -> None:
        self._store = store

    def chain(self, after: int = 0, limit: int = 500) -> list[ChainEntry]:
        """Chain entries with ``seq > after``, in order, at most ``limit`` of them."""
        return [ChainEntry(*r.values())
                for r in self._store._query("chain_entries", after=after, limit=limit)]

    def chain_at(self, as_of: int) -> ChainHead | None:
        """The head of the hash chain at ``as_of``: its last entry recorded by then."""
        records = self._store._query("chain_at", as_of=as_of)
        return ChainHead(*records[0].values()) if records else None

    def times(self, limit: int) -> list[tuple[int, int]]:
        """When entries were recorded, about ``limit`` of them spread over the chain."""
        head = self.chain_at(NOW)
        if head is None:
            return []
        step = max(1, -(-head.seq // max(limit, 1)))
        return [(int(r["seq"]), int(r["recorded_at"]))
                for r in self._store._query("chain_times", step=step, last=head.seq)]

    def scan(self) -> Iterator[tuple[int | None, str, tuple[Any, ...]]]:
        """Every stored row with its batch time, kind and columns, streamed (for verify).
        A relationship provgraph did not write has no key; it is named by its ends."""
        for r in self._store.stream("scan_events"):
            yield r["recorded_at"], "e", (r["id"], r["digest"])
        for r in self._store.stream("scan_node_versions"):
            yield r["recorded_at"], "n", tuple(r.values())[1:]
        for r in self._store.stream("scan_relationships"):
            values = list(r.values())[1:]
            if values[0] is None:
                values[0] = f"({r['src']})-[:{r['relation']}]->({r['dst']})"
            yield r["recorded_at"], "r", tuple(values)

    def derived_problems(self, rows_intact: bool = True) -> list[str]:
        """Stored state that does not follow from the rows: validity intervals
        (``superseded_at``) and the opaque intervals walks prune on."""
        problems = []
        for name, what in (("verify_node_intervals", "node"),
                           ("verify_relation_intervals", "relation")):
            for r in self._store._query(name, forever=FOREVER):
                problems.append(f"{what} {r['key']!r} version {r['version']}: validity "
                                "interval changed outside provgraph (superseded_at)")
        for r in self._store._query("verify_projection", **PROJECTION):
            for edge in r["missing"]:
                problems.append(f"node {r['id']!r}: projected edge {edge!r} missing: current"
                                " projection changed outside provgraph")
            for edge in r["extra"]:
                problems.append(f"node {r['id']!r}: projected edge {edge!r} not in the history:"
                                " current projection changed outside provgraph")
        for r in self._store._query("verify_labels"):
            problems.append(f"node {r['id']!r}: labels {r['have']!r} (opaque: {r['opaque']})"
                            f" do not mirror its kind and type ({r['want']!r}): changed"
                            " outside provgraph")
        for r in self._store._query("verify_opaque"):
            if r["node"]:
                problems.append(f"node {r['id']!r}: opaque intervals changed outside provgraph")
            for key in r["stale"]:
                problems.append(f"relation {key!r}: copy of its source's opaque intervals "
                                "changed outside provgraph")
        return problems

    def rewrite_nodes(
        self, ids: Collection[str], rewrite: Callable[[StoredNode], tuple[str, str] | None],
        event_id: str, event_digest: str, recorded_at: int, redaction: dict[str, Any],
    ) -> int:
        """A redaction in one Neo4j transaction, serialized on the chain's seq like every
        batch (see :meth:`~provgraph.store.base.Store.rewrite_nodes`)."""
        count = 0

        def work(tx: neo4j.ManagedTransaction) -> None:
            nonlocal count
            head, last, known = read_head(tx, [event_id])
            if known:
                return  # this redaction was already applied
            t = recorded_at if last is None else max(recorded_at, last + 1)
            tx.run(cypher_library.load("write_batch"), {
                "batch": {"events": [{"id": event_id, "digest": event_digest}], "nodes": [],
                          "relations": [], "chain": None}, "t": t, "forever": FOREVER}
                   ).consume()
            rewrites, rows = [], []
            versions = [tuple(r.values()) for r in tx.run(
                cypher_library.load("redaction_read"), {"ids": sorted(ids)})]
            forms = {r["recorded_at"]: form_of(r["start"] or "") for r in tx.run(
                cypher_library.load("chain_forms"),
                {"times": sorted({v[-1] for v in versions})})}
            for version in versions:
                done = rewrite_version(version, rewrite, forms.get(version[-1], 1))
                if done is not None:
                    rows.append({"id": version[0], "version": version[1], "data": done[0],
                                 "digest": done[1]})
                    rewrites.append(done[2])
            if rows:
                tx.run(cypher_library.load("redaction_write"), {"rows": rows}).consume()
            append_entry(tx, next_entry(head, t, [event_row_hash(event_id, event_digest)],
                                        rewrites, redaction))
            count = len(rewrites)

        self._store._append(work)
        return count
