"""The Neo4j store: the same versions and as_of as the embedded store, traversals in Cypher.

Every query it runs is a file of ``cypher/`` (see :mod:`provgraph.cypher_library`); values are
always parameters. Writes are ``UNWIND $rows ...`` batches, one transaction a batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import neo4j
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from provgraph import cypher_library
from provgraph.clock import FOREVER
from provgraph.errors import ProvgraphError, StoreUnavailableError
from provgraph.events import ChangeSet
from provgraph.store.base import (
    Direction,
    StoredNode,
    StoredRelation,
    Traversal,
    WriteStats,
)

T = TypeVar("T")


def redact(uri: str) -> str:
    """The URI without any password in it.

    >>> redact("bolt://neo4j:secret@db:7687")
    'bolt://neo4j@db:7687'
    """
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Neo4jStore:
    """A lineage store on a Neo4j 5 server (Community is enough).

    Credentials come from ``user`` / ``password``, the URI's userinfo, or ``NEO4J_USER`` /
    ``NEO4J_PASSWORD``; with none, the driver connects without authentication.
    Raises StoreUnavailableError when the server cannot be reached or refuses the login.
    """

    def __init__(
        self, uri: str, user: str | None = None, password: str | None = None,
        database: str | None = None,
    ) -> None:
        parts = urlsplit(uri)
        user = user or parts.username or os.environ.get("NEO4J_USER")
        password = password or parts.password or os.environ.get("NEO4J_PASSWORD")
        if parts.username or parts.password:
            host = parts.hostname or ""
            uri = urlunsplit(parts._replace(
                netloc=host + (f":{parts.port}" if parts.port else "")))
        self.uri = uri
        self.database = database or os.environ.get("NEO4J_DATABASE") or None
        auth = (user or "neo4j", password) if password else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, notifications_min_severity="OFF")
            self._driver.verify_connectivity()
            for statement in cypher_library.statements("schema"):
                self._driver.execute_query(statement, database_=self.database)
        except (ServiceUnavailable, SessionExpired, AuthError, OSError, ValueError) as e:
            raise StoreUnavailableError(
                f"cannot connect to Neo4j at {self.uri}: {_reason(e)}") from e
        except Neo4jError as e:
            raise StoreUnavailableError(f"Neo4j at {self.uri}: {_reason(e)}") from e

    # -- plumbing -----------------------------------------------------------------------

    def _run(self, work: Callable[[neo4j.ManagedTransaction], T], write: bool = False) -> T:
        try:
            with self._driver.session(database=self.database) as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except (ServiceUnavailable, SessionExpired, AuthError) as e:
            raise StoreUnavailableError(f"Neo4j at {self.uri} is unavailable: {_reason(e)}") from e
        except Neo4jError as e:
            raise ProvgraphError(f"Neo4j at {self.uri}: {_reason(e)}") from e

    def _query(self, name: str, **params: Any) -> list[neo4j.Record]:
        text = cypher_library.load(name)
        return self._run(lambda tx: list(tx.run(text, params)))

    # -- writes -------------------------------------------------------------------------

    def write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        """Write a folded batch in one transaction (see :class:`~provgraph.store.base.Store`)."""
        stats = WriteStats()
        if not changes:
            return stats
        node_rows = [
            {"id": r.node.id, "kind": r.node.kind.value, "type": r.node.type,
             "opaque": r.node.opaque, "data": r.data, "digest": r.digest}
            for r in changes.nodes.values()
        ]
        relation_rows = [
            {"key": r.key, "relation": r.relation.relation.value, "from": r.relation.from_,
             "to": r.relation.to, "role": r.relation.role, "follow": r.relation.follows,
             "data": r.data, "digest": r.digest}
            for r in changes.relations.values()
        ]
        retract_rows = [
            {"key": key, "from": ref.from_, "to": ref.to}
            for key, ref in changes.retracted_relations.items()
        ]
        event_rows = [{"id": i, "digest": d} for i, d in changes.events.items()]

        def work(tx: neo4j.ManagedTransaction) -> None:
            def single(name: str, **params: Any) -> Any:
                record = tx.run(cypher_library.load(name), params).single()
                return record[0] if record else 0

            t = single("clock_tick", t=recorded_at)
            created = single("record_events", rows=event_rows, t=t)
            stats.events = created
            stats.skipped_events = len(event_rows) - created
            common = {"t": t, "forever": FOREVER}
            if node_rows:
                stats.node_versions = single("write_nodes", rows=node_rows, **common)
            if relation_rows:
                stats.relation_versions = single("write_relations", rows=relation_rows, **common)
            retracted = 0
            if changes.retracted_nodes:
                summary = single("retract_nodes", ids=sorted(changes.retracted_nodes), **common)
                retracted += len(summary or [])
                # Relations touching a retracted node go too (as on every backend).
                seen = set(changes.retracted_relations)
                for entry in summary or []:
                    for row in entry["relations"]:
                        if row["key"] not in seen:
                            seen.add(row["key"])
                            retract_rows.append(dict(row))
            if retract_rows:
                retracted += single("retract_relations", rows=retract_rows, **common)
            stats.retractions = retracted

        self._run(work, write=True)
        return stats

    # -- reads --------------------------------------------------------------------------

    def known_events(self, ids: Collection[str]) -> dict[str, str]:
        """Digests of the already ingested events among ``ids``."""
        if not ids:
            return {}
        return {r["id"]: r["digest"] for r in self._query("known_events", ids=list(ids))}

    def nodes(self, ids: Iterable[str], as_of: int) -> dict[str, StoredNode]:
        """The versions of ``ids`` visible at ``as_of``."""
        records = self._query("nodes_as_of", ids=sorted(set(ids)), as_of=as_of)
        return {r["id"]: StoredNode.from_row(*r.values()) for r in records}

    def relations(self, ids: Iterable[str], as_of: int,
                  outgoing: bool = False) -> list[StoredRelation]:
        """Relations visible at ``as_of`` touching ``ids`` (leaving them if ``outgoing``)."""
        name = "relations_from" if outgoing else "relations_of"
        records = self._query(name, ids=sorted(set(ids)), as_of=as_of)
        return [StoredRelation.from_row(*r.values()) for r in records]

    def history(self, id: str) -> list[StoredNode]:
        """Every version of ``id``, retractions included, oldest first."""
        return [StoredNode.from_row(*r.values()) for r in self._query("node_history", id=id)]

    def ids(self, as_of: int) -> Iterator[str]:
        """The id of every node visible at ``as_of``, sorted, read page by page."""
        after = ""
        while True:
            page = [r["id"] for r in self._query("node_ids", as_of=as_of, after=after,
                                                  limit=1000)]
            yield from page
            if len(page) < 1000:
                return
            after = page[-1]

    def traverse(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None, as_of: int,
    ) -> Traversal:
        """Walk from ``root`` in Cypher (``ancestry.cypher`` / ``impact.cypher``)."""
        name = "ancestry" if direction == "down" else "impact"
        params = {"root": root, "relations": sorted(relations), "as_of": as_of}
        nodes = {root}
        if max_depth is None:
            # One query: the pruning search and the edges around what it reached.
            records = self._query(name, **params)
        else:
            depths = {root: 0}
            for record in self._query(f"{name}_within", max_depth=max_depth, **params):
                depths.setdefault(record["id"], record["depth"])
            nodes.update(depths)
            expand = [n for n, d in depths.items() if d < max_depth]
            records = self._query(f"{name}_edges", ids=expand, **{
                k: params[k] for k in ("relations", "as_of")})
        edges = sorted((StoredRelation.from_row(*r.values()) for r in records),
                       key=lambda e: e.key)
        nodes.update(e.target if direction == "down" else e.source for e in edges)
        return Traversal(root=root, nodes=nodes, edges=edges)

    def close(self) -> None:
        """Close the driver."""
        self._driver.close()


def _reason(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    return " ".join(str(text).split())
