"""The Neo4j store: the same versions and as_of as the embedded store, traversals in Cypher.

Every query it runs is a file of ``cypher/`` (see :mod:`provgraph.cypher_library`); values are
always parameters. Writes are ``UNWIND $rows ...`` batches, one transaction a batch.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from itertools import chain, islice
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import neo4j
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    IncompleteCommit,
    Neo4jError,
    ResultFailedError,
    ServiceUnavailable,
    SessionExpired,
)

from provgraph import cypher_library
from provgraph.chain import (
    RowHash,
    copied_row_hash,
    event_row_hash,
    written_node_hash,
    written_relation_hash,
)
from provgraph.clock import FOREVER, NOW
from provgraph.errors import (
    ConflictError,
    InvalidEventError,
    ProvgraphError,
    StoreUnavailableError,
)
from provgraph.events import ChangeSet
from provgraph.model import relation_key
from provgraph.store.base import (
    CompactWalk,
    Direction,
    Known,
    LineageEdge,
    NodeKind,
    StoredNode,
    StoredRelation,
    Traversal,
    WalkRow,
    WriteStats,
)
from provgraph.store.bookkeeping import admit, next_entry, paged
from provgraph.store.compact import breadth_first, compact_walk, in_order
from provgraph.store.group import GroupCommit
from provgraph.store.neo4j_chain import (
    DEPENDENCY,
    PROJECTION,
    RESPONSIBILITY,
    Neo4jChainLog,
    append_entry,
    projected_type,
)

T = TypeVar("T")

#: The store format this version writes: 1 added the current projection; 2 dropped the
#: (:PGRelation {key}) and (:PGClock) nodes (see write()); 3 added the labels that mirror a
#: node's kind, type and opacity (``write_batch.cypher``).
FORMAT_VERSION = 3
#: Nodes a transaction of an upgrade labels.
_LABEL_PAGE = 10_000
#: How often a batch runs again when other writers keep taking its chain entry first.
_RACES = 100
#: Nodes a record of a walk's answer (``ancestry_now.cypher``): the server streams a 700k-node
#: answer in records of this size instead of holding it whole (measured at 1M nodes: full
#: impact 10-12 s against 14-18 s as one record; 500 to 20,000 a record measure alike).
_WALK_CHUNK = 1000
#: Records of a streamed walk the server sends ahead of what was read (100,000 nodes): it then
#: waits, with the walk's read transaction open, until the reader asks for more.
_STREAM_FETCH = 100
#: How long, by default, a streamed walk may keep its read transaction open
#: (``$PROVGRAPH_NEO4J_STREAM_SECONDS``; 0: no limit). A client that stops reading a large
#: answer (an HTTP client that stalls without hanging up) would otherwise hold a server
#: transaction and a pooled connection for as long as it stays connected; the server ends
#: the transaction after this, and the stream fails.
STREAM_SECONDS = 600.0
#: Events, nodes and relations a transaction at most: the ingest pipeline splits a larger
#: input at event boundaries. A transaction's memory grows with its rows (measured: 500
#: events holding 256k rows need more than the 716.8 MiB a 1 GiB heap allows, and take
#: 42 s with a 4 GiB heap); 20,000 rows stay far under the default limit.
TRANSACTION_ROWS = 20_000


def _walk_query(direction: Direction, relations: frozenset[str]) -> str:
    """The library query of a walk now (``ancestry_now``, ``impact_now_agents``, ...)."""
    return ("ancestry_now" if direction == "down" else "impact_now") + (
        "_agents" if relations != DEPENDENCY else "")


def type_label(kind: str, type: str | None) -> str:
    r"""The label that mirrors a node's kind and type (``write_batch.cypher``): ``PG:kind:type``
    or ``PG:kind``, with ``\`` written ``\\`` and NUL, which no label may hold, ``\0``.

    >>> type_label("entity", "Model"), type_label("agent", None)
    ('PG:entity:Model', 'PG:agent')
    >>> type_label("entity", "a\\b\x00c")
    'PG:entity:a\\\\b\\0c'
    >>> label_type(type_label("entity", "a\\b\x00c"))
    ('entity', 'a\\b\x00c')
    """
    if type is None:
        return f"PG:{kind}"
    return f"PG:{kind}:" + type.replace("\\", "\\\\").replace("\x00", "\\0")


def label_type(label: str) -> tuple[str | None, str | None]:
    """The kind and type a label of :func:`type_label` stands for."""
    kind, colon, escaped = label[3:].partition(":")
    if not colon:
        return kind or None, None
    return kind or None, _ESCAPED.sub(lambda m: "\x00" if m[1] == "0" else m[1], escaped)


_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


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
    ``NEO4J_PASSWORD``; with none, the driver connects without authentication. A transaction
    that fails because the server is unreachable is retried for ``retry_seconds`` (default
    ``$PROVGRAPH_NEO4J_RETRY_SECONDS`` or 30, the driver's own), then StoreUnavailableError
    (HTTP 503 from the server).
    Raises StoreUnavailableError when the server cannot be reached or refuses the login.
    """

    def __init__(
        self, uri: str, user: str | None = None, password: str | None = None,
        database: str | None = None, retry_seconds: float | None = None,
    ) -> None:
        parts = urlsplit(uri)
        if retry_seconds is None:
            retry_seconds = float(os.environ.get("PROVGRAPH_NEO4J_RETRY_SECONDS", "30"))
        user = user or parts.username or os.environ.get("NEO4J_USER")
        password = password or parts.password or os.environ.get("NEO4J_PASSWORD")
        if parts.username or parts.password:
            host = parts.hostname or ""
            uri = urlunsplit(parts._replace(
                netloc=host + (f":{parts.port}" if parts.port else "")))
        self.uri = uri
        self.max_transaction_rows: int | None = TRANSACTION_ROWS
        self.log = Neo4jChainLog(self)
        self._writing = threading.Lock()
        self._retry_seconds = retry_seconds
        self._stream_seconds = float(os.environ.get("PROVGRAPH_NEO4J_STREAM_SECONDS",
                                                    STREAM_SECONDS))
        self._group = GroupCommit(self._write_alone)
        self._plans: dict[str, bool] = {}
        self.database = database or os.environ.get("NEO4J_DATABASE") or None
        auth = (user or "neo4j", password) if password else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, notifications_min_severity="OFF",
                max_transaction_retry_time=retry_seconds)
            self._driver.verify_connectivity()
            for statement in cypher_library.statements("schema"):
                self._driver.execute_query(statement, database_=self.database)
            self._ensure_projection()
        except (ServiceUnavailable, SessionExpired, AuthError, OSError, ValueError) as e:
            raise StoreUnavailableError(
                f"cannot connect to Neo4j at {self.uri}: {reason(e)}") from e
        except Neo4jError as e:
            raise StoreUnavailableError(f"Neo4j at {self.uri}: {reason(e)}") from e

    def _ensure_projection(self) -> None:
        """Upgrade a store written by an earlier version, in batches that each commit alone
        (nothing else changes, so an interrupted upgrade simply runs again at the next
        connect): build the current projection for every node, 1,000 nodes a transaction
        (format 1), then delete the relation key and clock nodes, 10,000 a transaction, and
        their constraints (format 2), then label every node by kind, type and opacity,
        10,000 a transaction (format 3)."""
        found = self._driver.execute_query(cypher_library.load("projection_version"),
                                           database_=self.database).records
        version = found[0]["version"] if found else 0
        if version >= FORMAT_VERSION:
            return
        if version < 1:
            self._every_node("project_sources", 1000, **PROJECTION)
        while self._run(lambda tx: tx.run(cypher_library.load("upgrade_drop_keys"),
                                          {"limit": 10_000}).single(strict=True)[0],
                        write=True):
            pass
        for statement in cypher_library.statements("upgrade_drop_constraints"):
            self._driver.execute_query(statement, database_=self.database)
        if version < 3:
            self._every_node("label_nodes", _LABEL_PAGE)
        self._driver.execute_query(cypher_library.load("projection_done"),
                                   {"version": FORMAT_VERSION}, database_=self.database)

    def _every_node(self, name: str, size: int, **params: Any) -> None:
        """Run library statement ``name`` (which takes ``$ids``) over every node, ``size``
        nodes a transaction."""
        text = cypher_library.load(name)
        ids = paged(lambda after: [r["id"] for r in self._query(
            "node_keys", after=after, limit=size)], size)
        while page := list(islice(ids, size)):
            def work(tx: neo4j.ManagedTransaction, page: list[str] = page) -> None:
                tx.run(text, {"ids": page, **params}).consume()
            self._run(work, write=True)

    # -- plumbing -----------------------------------------------------------------------

    def _run(self, work: Callable[[neo4j.ManagedTransaction], T], write: bool = False,
             raced: bool = False) -> T:
        with self._errors(raced), self._driver.session(
                database=self.database,
                bookmark_manager=self._driver.execute_query_bookmark_manager) as session, \
                _pipelined_begin(session):
            if write:
                return session.execute_write(work)
            return session.execute_read(work)

    @contextmanager
    def _errors(self, raced: bool = False) -> Iterator[None]:
        """Driver errors as provgraph's: unavailable (retry later) or a plain error; with
        ``raced``, a uniqueness violation (another writer stored the same chain entry,
        event or version first) is left for the caller to run the batch again."""
        try:
            yield
        except ConstraintError as e:
            if raced:
                raise
            raise ProvgraphError(f"Neo4j at {self.uri}: {reason(e)}") from e
        except ResultFailedError as e:
            # Rolling back a transaction whose statement failed re-raises the failure as
            # this; the failure itself is its cause.
            if isinstance(e.__cause__, ConstraintError):
                if raced:
                    raise e.__cause__ from None
                raise ProvgraphError(f"Neo4j at {self.uri}: {reason(e.__cause__)}") from e
            failure = e.__cause__ if isinstance(e.__cause__, Neo4jError) else e
            raise ProvgraphError(f"Neo4j at {self.uri}: {reason(failure)}") from e
        except IncompleteCommit as e:
            raise StoreUnavailableError(
                f"Neo4j at {self.uri} went away while committing: the batch may or may not be"
                f" stored; sending it again is safe (ingest is idempotent): {reason(e)}") from e
        except (ServiceUnavailable, SessionExpired, AuthError) as e:
            raise StoreUnavailableError(f"Neo4j at {self.uri} is unavailable: {reason(e)}") from e
        except Neo4jError as e:
            raise ProvgraphError(f"Neo4j at {self.uri}: {reason(e)}") from e
        except UnicodeEncodeError as e:
            # Bolt sends UTF-8: a lone surrogate (JSON "\ud800") in an id asked about
            # cannot be sent, nor stored.
            raise InvalidEventError(
                f"text is not valid Unicode ({e.reason}: {e.object[e.start:e.end]!r})") from e

    def _query(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run a read query of the library in an auto-commit transaction: one round trip
        (a managed transaction adds a COMMIT), sharing the driver's bookmarks, so a read
        sees every write acknowledged before. Retried like a managed transaction while the
        server is unreachable, for ``retry_seconds``."""
        return list(self._records(name, **params))

    def _records(self, name: str, *, streamed: bool = False,
                 **params: Any) -> Generator[neo4j.Record, None, None]:
        """The records of :meth:`_query`, each as the server sends it, so that a large
        answer is handled while the server still writes the rest; retried while nothing
        has arrived. ``streamed``: for a reader outside provgraph's control (a stream's
        client), the server sends only a few records ahead of it and ends the transaction
        after ``$PROVGRAPH_NEO4J_STREAM_SECONDS`` (:data:`STREAM_SECONDS`)."""
        text = cypher_library.load(name)
        query: str | neo4j.Query = text
        options: dict[str, Any] = {}
        if streamed:
            query = neo4j.Query(text, timeout=self._stream_seconds or None)
            options["fetch_size"] = _STREAM_FETCH
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.1
        while True:
            arrived = False
            try:
                with self._errors(), self._driver.session(
                        database=self.database, default_access_mode=neo4j.READ_ACCESS,
                        bookmark_manager=self._driver.execute_query_bookmark_manager,
                        **options) as session:
                    for record in session.run(query, params):
                        arrived = True
                        yield record
                    return
            except StoreUnavailableError as e:
                if (arrived or isinstance(e.__cause__, AuthError)
                        or time.monotonic() + delay > deadline):
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    # -- writes -------------------------------------------------------------------------

    def write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        """Write a folded batch in one transaction (see :class:`~provgraph.store.base.Store`):
        one read statement (``write_read.cypher``), one write statement
        (``write_batch.cypher``), and for retractions or opacity changes the statements
        those need. Concurrent batches of one process share a transaction (group commit,
        :mod:`.group`); transactions of one process queue on a lock, and in the database on
        the lock of one ``(:PGMeta {id: 'writers'})`` node taken by the read, held for the
        rest of the transaction (no clock read-modify-write, a few round trips). The hash
        chain's unique seq is the guarantee: a batch whose chain entry another writer took
        first runs again from its read."""
        if not changes:
            return WriteStats()
        return self._group.write(changes, recorded_at)

    def _write_alone(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        """One transaction for ``changes`` (one batch or several sharing it)."""
        return self._append(lambda tx: self._write(tx, changes, recorded_at))

    def _append(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """Run a transaction that appends to the hash chain (a batch, a redaction), again
        from the start while another writer takes its chain entry first."""
        for _ in range(_RACES):
            try:
                # Writers of this process queue here rather than race for the chain entry
                # in the database (a lost race costs a whole transaction).
                with self._writing:
                    return self._run(work, write=True, raced=True)
            except ConstraintError:
                continue
        raise ConflictError(f"Neo4j at {self.uri}: {_RACES} other writers committed first;"
                            " try again")

    def _write(self, tx: neo4j.ManagedTransaction, changes: ChangeSet,
               recorded_at: int) -> WriteStats:
        stats = WriteStats()
        read = tx.run(cypher_library.load("write_read"), {"batch": {
            "events": list(changes.events),
            "nodes": sorted(set(changes.nodes) | set(changes.expect)),
            "relations": [{"key": r.key, "from": r.relation.from_, "to": r.relation.to}
                          for r in changes.relations.values()],
            "refs": sorted(changes.check_nodes) if changes.checks else []},
            "forever": FOREVER}).single(strict=True)
        # What this batch relied on must not have moved since the pipeline read it.
        nodes = {v[0]: v[1:] for v in read["nodes"]}
        changes, stats.refused = admit(changes, read["known"], {
            i: 0 if nodes[i][3] else nodes[i][0] for i in changes.expect if i in nodes})
        if changes.checks:
            kinds = {i: (kind, type_, bool(opaque)) for i, kind, type_, opaque in read["kinds"]}
            for check in changes.checks:
                check(kinds)
        relations = {v[0]: v[1:] for v in read["relations"]}
        t = recorded_at if read["last"] is None else max(recorded_at, read["last"] + 1)
        written = [event_row_hash(i, d) for i, d in changes.events.items()]
        stats.events = len(changes.events)
        node_rows: list[dict[str, Any]] = []
        sources: set[str] = set()
        for row in changes.nodes.values():
            node = row.node
            version, digest, opaque, retracted = nodes.get(node.id, (0, None, False, False))
            if version and digest == row.digest and not retracted:
                continue
            if bool(opaque) != node.opaque:
                sources.add(node.id)  # its projected edges appear or go
            node_rows.append({
                "id": node.id, "kind": node.kind._value_, "type": node.type,
                "opaque": node.opaque, "data": row.data, "digest": row.digest,
                "version": version + 1})
            written.append(written_node_hash(node.id, version + 1, node.kind._value_,
                                             node.type, node.opaque, row.data, row.digest,
                                             False))
        relation_rows: list[dict[str, Any]] = []
        for rrow in changes.relations.values():
            rel = rrow.relation
            version, digest, retracted = relations.get(rrow.key, (0, None, False))
            if version and digest == rrow.digest and not retracted:
                continue
            relation_rows.append({
                "key": rrow.key, "relation": rel.relation._value_, "from": rel.from_,
                "to": rel.to, "role": rel.role, "follow": rel.follows, "data": rrow.data,
                "digest": rrow.digest, "version": version + 1,
                "projected": projected_type(rel.relation._value_),
                # The projection keeps a key only where readers cannot compute it.
                "odd_key": rrow.key if rel.id else None})
            written.append(written_relation_hash(
                rrow.key, version + 1, rel.relation._value_, rel.from_, rel.to, rel.role,
                rel.follows, rrow.data, rrow.digest, False))
        stats.node_versions = len(node_rows)
        stats.relation_versions = len(relation_rows)
        stats.nodes_written = {row["id"] for row in node_rows}
        stats.relations_written = {row["key"] for row in relation_rows}
        head = (read["seq"], read["hash"]) if read["seq"] is not None else None
        last = not (sources or changes.retracted_nodes or changes.retracted_relations)
        entry = next_entry(head, t, written) if last else None
        tx.run(cypher_library.load("write_batch"), {"batch": {
            "events": [{"id": i, "digest": d} for i, d in changes.events.items()],
            "nodes": node_rows, "relations": relation_rows,
            "chain": entry and {"seq": entry.seq, "prev": entry.prev, "body": entry.body,
                                "hash": entry.hash}}, "t": t, "forever": FOREVER}).consume()
        if last:
            return stats
        tombstones = self._retract(tx, changes, t, sources)
        stats.retractions = len(tombstones)
        if sources:
            # The current projection mirrors the history in the same transaction.
            tx.run(cypher_library.load("project_sources"),
                   {"ids": sorted(sources), **PROJECTION}).consume()
        append_entry(tx, next_entry(head, t, written + tombstones))
        return stats

    @staticmethod
    def _retract(tx: neo4j.ManagedTransaction, changes: ChangeSet, t: int,
                 sources: set[str]) -> list[RowHash]:
        """End the retracted nodes and relations with tombstones (the relations touching a
        retracted node go too, as on every backend); adds their sources to ``sources``."""
        def single(name: str, **params: Any) -> Any:
            record = tx.run(cypher_library.load(name), params).single()
            return record[0] if record else None

        common = {"t": t, "forever": FOREVER}
        retract_rows = [{"key": key, "from": ref.from_, "to": ref.to}
                        for key, ref in changes.retracted_relations.items()]
        tombstones: list[RowHash] = []
        if changes.retracted_nodes:
            seen = set(changes.retracted_relations)
            for entry in single("retract_nodes", ids=sorted(changes.retracted_nodes),
                                **common) or []:
                tombstones.append(copied_row_hash("n", (
                    entry["node"], entry["version"], entry["kind"], entry["type"],
                    entry["opaque"], entry["data"], entry["digest"], True)))
                for row in entry["relations"]:
                    if row["key"] not in seen:
                        seen.add(row["key"])
                        retract_rows.append(dict(row))
        if retract_rows:
            sources.update(row["from"] for row in retract_rows)
            for columns in single("retract_relations", rows=retract_rows, **common) or []:
                key, version, relation, src, dst, role, follow, data, digest = columns
                tombstones.append(copied_row_hash("r", (
                    key, version, relation, src, dst, role, follow, data, digest, True)))
        return tombstones

    # -- reads --------------------------------------------------------------------------

    def known_events(self, ids: Collection[str]) -> dict[str, str]:
        """Digests of the already ingested events among ``ids``."""
        if not ids:
            return {}
        return {r["id"]: r["digest"] for r in self._query("known_events", ids=list(ids))}

    def known(self, events: Collection[str], nodes: Collection[str],
              whole: Collection[str] = ()) -> Known:
        """Stored events among ``events``, current kinds of ``nodes`` and current versions
        of ``whole``: one query (``known_batch.cypher``)."""
        if not events and not nodes and not whole:
            return Known({}, {})
        record = self._query("known_batch", batch={
            "events": list(events), "nodes": sorted(set(nodes)), "whole": sorted(set(whole))},
            forever=FOREVER)[0]
        return Known(dict(record["events"]),
                     {i: (kind, type_, bool(opaque)) for i, kind, type_, opaque
                      in record["kinds"]},
                     {row[0]: StoredNode.from_row(*row) for row in record["current"]})

    def nodes(self, ids: Iterable[str], as_of: int) -> dict[str, StoredNode]:
        """The versions of ``ids`` visible at ``as_of``."""
        records = self._query("nodes_as_of", ids=sorted(set(ids)), as_of=as_of)
        return {r["id"]: StoredNode.from_row(*r.values()) for r in records}

    def kinds(self, ids: Iterable[str], as_of: int) -> dict[str, NodeKind]:
        """Kind, type and opacity of the nodes among ``ids`` valid at ``as_of``."""
        records = self._query("node_kinds_as_of", ids=sorted(set(ids)), as_of=as_of)
        return {r["id"]: (r["kind"], r["type"], bool(r["opaque"])) for r in records}

    def relations(self, ids: Iterable[str], as_of: int,
                  outgoing: bool = False) -> list[StoredRelation]:
        """Relations visible at ``as_of`` touching ``ids`` (leaving them if ``outgoing``)."""
        name = "relations_from" if outgoing else "relations_of"
        records = self._query(name, ids=sorted(set(ids)), as_of=as_of)
        return [StoredRelation.from_row(*r.values()) for r in records]

    def node_relations(self, id: str, as_of: int,
                       limit: int) -> tuple[list[StoredRelation], int]:
        """The first ``limit`` relations of ``id`` at ``as_of`` by key, and how many it has
        (``node_relations.cypher``: only the page's properties leave the server)."""
        found = self._query("node_relations", id=id, as_of=as_of, limit=limit)
        if not found:
            return [], 0
        return [StoredRelation.from_row(*row) for row in found[0]["rows"]], found[0]["total"]

    def history(self, id: str) -> list[StoredNode]:
        """Every version of ``id``, retractions included, oldest first."""
        return [StoredNode.from_row(*r.values()) for r in self._query("node_history", id=id)]

    def ids(self, as_of: int) -> Iterator[str]:
        """The id of every node visible at ``as_of``, sorted, read page by page."""
        return paged(lambda after: [r["id"] for r in self._query(
            "node_ids", as_of=as_of, after=after, limit=1000)], 1000)

    def search(self, prefix: str, types: Collection[str], as_of: int,
               limit: int) -> list[tuple[str, NodeKind]]:
        """Nodes by id prefix or type (``search_nodes.cypher``), see the Store protocol."""
        records = self._query("search_nodes", prefix=prefix, types=sorted(types), as_of=as_of,
                              limit=limit)
        return [(r["id"], (r["kind"], r["type"], bool(r["opaque"]))) for r in records]

    def reach_counts(
        self, root: str, direction: Direction, relations: frozenset[str], as_of: int,
        listed: frozenset[str],
    ) -> list[tuple[str | None, str | None, int, list[str]]] | None:
        """Impact now along the dependency edges, counted over the current projection
        (``impact_counts_now.cypher``); None otherwise (see the Store protocol)."""
        if direction != "up" or as_of < NOW or relations != DEPENDENCY:
            return None
        records = self._query("impact_counts_now", root=root,
                              listed=sorted(type_label("entity", t) for t in listed))
        rows = []
        for r in records:
            # A node without its label counts as unknown (verify names it).
            label = next((x for x in r["labels"] if x.startswith("PG:")), None)
            kind, type_ = label_type(label) if label else (None, None)
            rows.append((kind, type_, r["count"], r["ids"]))
        return rows

    def walk_now(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None,
    ) -> CompactWalk | None:
        """A walk along the dependency edges (with the responsibility edges, for
        include_agents) as things stand now, over the current projection: unbounded in one
        query (``ancestry_now.cypher`` / ``impact_now.cypher`` and their ``_agents`` forms),
        bounded in one a level (:meth:`_walk_levels`); None for other relations (see the
        Store protocol)."""
        if relations not in (DEPENDENCY, DEPENDENCY | RESPONSIBILITY):
            return None
        if max_depth is not None:
            return self._walk_levels(root, direction, relations != DEPENDENCY, max_depth)
        records = self._records(_walk_query(direction, relations), root=root,
                                forever=FOREVER, chunk=_WALK_CHUNK)
        first = next(records, None)
        if first is None:
            return CompactWalk(root_known=False)
        # The answer is built as its records arrive (compact_walk consumes them).
        rows = chain(first["rows"], chain.from_iterable(r["rows"] for r in records))
        return compact_walk(root, rows, direction, bool(first["known"]))

    def walk_rows(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None = None,
    ) -> Iterator[WalkRow] | None:
        """The rows of :meth:`walk_now`'s query as they arrive, with their hop counts
        (:func:`~provgraph.store.compact.breadth_first`), when the server plans the walk as
        a breadth-first search (:meth:`_breadth_first`); None otherwise. A bounded walk
        streams a level at a time (:meth:`_level_rows`)."""
        if relations not in (DEPENDENCY, DEPENDENCY | RESPONSIBILITY):
            return None
        if max_depth is not None:
            found = self.kinds([root], NOW)
            if root not in found:
                return iter(())
            return self._level_rows((root, *found[root]), direction, relations != DEPENDENCY,
                                    max_depth)
        name = _walk_query(direction, relations)
        if not self._breadth_first(name):
            return None
        records = self._records(name, streamed=True, root=root, forever=FOREVER,
                                chunk=_WALK_CHUNK)
        first = next(records, None)
        if first is None or not first["known"]:
            records.close()
            return iter(())
        rows = chain(first["rows"], chain.from_iterable(r["rows"] for r in records))
        return breadth_first(root, rows)

    def _breadth_first(self, name: str) -> bool:
        """Whether the server plans walk query ``name`` as the pruning breadth-first expand
        (``VarLengthExpand(Pruning,BFS,...)``), which sends each node reached once, level by
        level: what a walk streamed with hop counts relies on. Asked once a query."""
        planned = self._plans.get(name)
        if planned is None:
            with self._errors():
                plan = self._driver.execute_query(
                    "EXPLAIN " + cypher_library.load(name),
                    {"root": "", "forever": FOREVER, "chunk": _WALK_CHUNK},
                    database_=self.database).summary.plan
            planned = self._plans[name] = "VarLengthExpand(Pruning,BFS" in str(plan)
        return planned

    def _level_rows(self, root: tuple[str, str | None, str | None, bool],
                    direction: Direction, agents: bool, max_depth: int
                    ) -> Iterator[WalkRow]:
        """The rows of a walk of at most ``max_depth`` hops from ``root`` (id, kind, type,
        opacity), one query a level as :meth:`_walk_levels` runs them, each level's rows
        given as its query answers; the ids reached are kept to tell new nodes apart."""
        name = "ancestry_step_now" if direction == "down" else "impact_step_now"
        seen = {root[0]}
        frontier = [root]
        for depth in range(max_depth + 1):
            if depth == max_depth:  # the last level is reached, not expanded
                for node_id, kind, type_, opaque in frontier:
                    yield (node_id, kind, type_, bool(opaque), depth, [])
                return
            edges_of = {r["id"]: r["edges"] for r in self._query(
                name, ids=[node[0] for node in frontier], agents=agents)}
            following: list[tuple[str, str | None, str | None, bool]] = []
            for node_id, kind, type_, opaque in frontier:
                edges = edges_of.get(node_id, [])
                yield (node_id, kind, type_, bool(opaque), depth, in_order(edges))
                for edge in edges:
                    if edge[1] not in seen:
                        seen.add(edge[1])
                        following.append((edge[1], edge[4], edge[5], bool(edge[6])))
            if not following:
                return
            frontier = following

    def _walk_levels(self, root: str, direction: Direction, agents: bool,
                     max_depth: int) -> CompactWalk:
        """A walk now of at most ``max_depth`` hops, breadth first over the projection, one
        query a level (``ancestry_step_now.cypher`` / ``impact_step_now.cypher``): every
        edge of each node nearer than ``max_depth``, and the kinds of what they reach."""
        found = self.kinds([root], NOW)
        if root not in found:
            return CompactWalk(root_known=False)
        walked = CompactWalk()
        down = direction == "down"
        for here, kind, type_, opaque, _, edges in self._level_rows(
                (root, *found[root]), direction, agents, max_depth):
            walked.nodes[here] = (kind, type_, opaque)
            for relation, other, role, key, *_ in edges:
                source, target = (here, other) if down else (other, here)
                walked.edges.append(LineageEdge(
                    source, relation, target,
                    key or relation_key(relation, source, target, role), role))
        return walked

    def traverse(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None, as_of: int,
    ) -> Traversal:
        """Walk from ``root`` in Cypher (``ancestry.cypher`` / ``impact.cypher``)."""
        if max_depth is not None:
            # Breadth first, one query a level: a depth-bounded walk never searches beyond
            # its depth, however much lies further out.
            return self._levels([root], root, direction, relations, max_depth, as_of)
        # One query: the pruning search and the edges around what it reached.
        records = self._query("ancestry" if direction == "down" else "impact", root=root,
                              relations=sorted(relations), as_of=as_of)
        return _traversal(root, {root}, records, direction)

    def closure(self, roots: Collection[str], direction: Direction,
                relations: frozenset[str], as_of: int) -> Traversal:
        """Everything reachable from any of ``roots``: breadth first from all of them at
        once, one query a level, each node expanded once (see the Store protocol)."""
        return self._levels(sorted(set(roots)), "", direction, relations, None, as_of)

    def _levels(self, roots: list[str], root: str, direction: Direction,
                relations: frozenset[str], max_depth: int | None, as_of: int) -> Traversal:
        """A walk breadth first from ``roots``, a level a query (``ancestry_step.cypher`` /
        ``impact_step.cypher``), then the edges of every node nearer than ``max_depth`` in
        one (``*_edges.cypher``)."""
        name = "ancestry" if direction == "down" else "impact"
        params = {"relations": sorted(relations), "as_of": as_of}
        depths = dict.fromkeys(roots, 0)
        frontier = roots
        level = 0
        while frontier and (max_depth is None or level < max_depth):
            level += 1
            found = self._query(f"{name}_step", ids=frontier, **params)
            frontier = [r["id"] for r in found if r["id"] not in depths]
            depths.update((node_id, level) for node_id in frontier)
        expand = [n for n, d in depths.items() if max_depth is None or d < max_depth]
        records = self._query(f"{name}_edges", ids=expand, **params)
        return _traversal(root, set(depths), records, direction)

    def stream(self, name: str) -> Iterator[neo4j.Record]:
        """Every record of library query ``name``, streamed in pages (for full scans)."""
        with self._errors(), self._driver.session(database=self.database,
                                                   fetch_size=5000) as session:
            yield from session.run(cypher_library.load(name))

    def close(self) -> None:
        """Close the driver."""
        self._driver.close()


def _pipelined_begin(session: neo4j.Session) -> AbstractContextManager[Any]:
    """Inside it, a transaction function's BEGIN goes out with its first statement instead
    of waiting for its own round trip: the driver's switch for ``execute_query``, which it
    does not offer for ``execute_write`` (measured under load: the separate BEGIN took 15 %
    of a group commit's time). A driver without it begins as usual."""
    switch = getattr(session, "_pipelined_begin", None)
    return nullcontext() if switch is None else switch


def _traversal(root: str, nodes: set[str], records: list[neo4j.Record],
               direction: Direction) -> Traversal:
    """A :class:`Traversal` from the records of ``ancestry_edges.cypher`` and its kin: the
    edges by key, and ``nodes`` with the far end of each."""
    edges = sorted((StoredRelation.from_row(*r.values()) for r in records),
                   key=lambda e: e.key)
    nodes.update(e.target if direction == "down" else e.source for e in edges)
    return Traversal(root=root, nodes=nodes, edges=edges)


#: What to do when a transaction needs more memory than the server allows.
MEMORY_HINT = (
    "the transaction needs more memory than this Neo4j allows a transaction (70% of its heap"
    " by default; dbms.memory.transaction.total.max); nothing of it was written. Write less"
    " at once (a smaller batch_size, or events holding fewer nodes), or give the server more"
    " heap (provgraph neo4j start --heap 4g)")


#: What to do when a streamed answer outlived its transaction (only streams set a timeout).
STREAM_HINT = (
    "the answer was streamed for longer than its reader may keep a Neo4j transaction open"
    " (PROVGRAPH_NEO4J_STREAM_SECONDS, default 600); read it faster, raise the limit, or"
    " ask for it whole")


def reason(error: Exception) -> str:
    """A driver error as one line (with what to do, for a transaction out of memory)."""
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    line = " ".join(str(text).split())
    code = getattr(error, "code", None) or ""
    if code == "Neo.TransientError.General.MemoryPoolOutOfMemoryError":
        line = f"{line}: {MEMORY_HINT}"
    elif code.startswith("Neo.ClientError.Transaction.TransactionTimedOut"):
        line = f"{line}: {STREAM_HINT}"
    return line
