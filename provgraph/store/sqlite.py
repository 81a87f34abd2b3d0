"""The embedded store: one SQLite file, WAL mode, append-only versions, traversals in SQL.

Every node and relation version is a row with ``recorded_at`` and ``superseded_at``
(µs; :data:`~provgraph.clock.FOREVER` while current); a retraction is a tombstone row. A
version is visible at ``as_of`` when ``recorded_at <= as_of < superseded_at`` and it is no
tombstone, so every read can answer for a past time. Traversals are recursive CTEs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from provgraph.chain import RowHash, copied_row_hash, event_row_hash
from provgraph.clock import FOREVER, NOW
from provgraph.errors import ProvgraphError, StoreUnavailableError
from provgraph.events import ChangeSet, NodeRow, RelationRow
from provgraph.store.base import (
    CompactWalk,
    Direction,
    Known,
    NodeKind,
    StoredNode,
    StoredRelation,
    Traversal,
    WalkRow,
    WriteStats,
)
from provgraph.store.bookkeeping import admit, paged
from provgraph.store.group import GroupCommit
from provgraph.store.sqlite_chain import (
    COLUMNS,
    KIND,
    WRITTEN,
    SQLiteChainLog,
    append_entry,
)
from provgraph.store.sqlite_checkpoint import BACKSTOP_PAGES, Checkpointer
from provgraph.store.sqlite_index import REBUILD_ROWS, AdjacencyIndex, Head

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, digest TEXT NOT NULL, recorded_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS node_versions (
    id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL, type TEXT,
    opaque INTEGER NOT NULL, data TEXT NOT NULL, digest TEXT NOT NULL,
    recorded_at INTEGER NOT NULL, superseded_at INTEGER NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS relation_versions (
    key TEXT NOT NULL, version INTEGER NOT NULL, relation TEXT NOT NULL,
    src TEXT NOT NULL, dst TEXT NOT NULL, role TEXT, follow INTEGER NOT NULL,
    data TEXT NOT NULL, digest TEXT NOT NULL,
    recorded_at INTEGER NOT NULL, superseded_at INTEGER NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, version));
CREATE INDEX IF NOT EXISTS relation_versions_src ON relation_versions (src, superseded_at);
CREATE INDEX IF NOT EXISTS relation_versions_dst ON relation_versions (dst, superseded_at);
CREATE TABLE IF NOT EXISTS chain (
    seq INTEGER PRIMARY KEY, recorded_at INTEGER NOT NULL, prev TEXT NOT NULL,
    body TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chain_recorded ON chain (recorded_at);
DROP INDEX IF EXISTS node_versions_valid;
DROP INDEX IF EXISTS relation_versions_valid;
"""

# A version is visible at :t when it was recorded by then, not yet superseded, no tombstone.
_VISIBLE = "{a}.recorded_at <= :t AND {a}.superseded_at > :t AND {a}.retracted = 0"
_OPAQUE_AT = (
    "EXISTS (SELECT 1 FROM node_versions o WHERE o.id = {node} AND o.opaque = 1 AND "
    + _VISIBLE.format(a="o")
    + ")"
)
# A version's current row is found through the primary key (id or key, version): a node or
# relation has a few versions. Files written by earlier versions had a second index on
# (id or key, superseded_at); it cost every insert a random B-tree descent more and is dropped.
_CHUNK = 500
def _walk_sql(direction: Direction, relation_params: str, bounded: bool) -> str:
    """The recursive CTE of one traversal from the nodes of ``:roots`` (a JSON list);
    ``bounded`` tracks depth to stop at ``:max_depth``."""
    here, there = ("src", "dst") if direction == "down" else ("dst", "src")
    depth_col, depth_next, depth_stop = (
        (", depth", ", walk.depth + 1", "walk.depth < :max_depth AND ")
        if bounded
        else ("", "", "")
    )
    return f"""
        WITH RECURSIVE walk(id{depth_col}) AS (
            SELECT value{", 0" if bounded else ""} FROM json_each(:roots)
            UNION
            SELECT r.{there}{depth_next}
            FROM walk JOIN relation_versions r ON r.{here} = walk.id
            WHERE {depth_stop}r.follow = 1 AND r.relation IN ({relation_params})
              AND {_VISIBLE.format(a="r")}
              AND NOT {_OPAQUE_AT.format(node="r.src")}
        )
        SELECT id{", MIN(depth)" if bounded else ", 0"} FROM walk GROUP BY id
    """


class SQLiteStore:
    """The embedded default store in one SQLite file.

    >>> store = SQLiteStore(":memory:")
    >>> store.nodes(["nothing"], as_of=0)
    {}
    """

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        """Open (creating if needed) the file at ``path``; a write waits up to ``timeout``
        seconds for another writer to finish, then fails with StoreUnavailableError."""
        self.path = str(path)
        self.uri = f"sqlite:///{self.path}"
        # One transaction holds a call whatever its size (SQLite writes it to its log).
        self.max_transaction_rows: int | None = None
        self.log = SQLiteChainLog(self)
        self._lock = threading.RLock()
        self._index: AdjacencyIndex | None = None
        self._index_saved: Head | None = None
        self._group = GroupCommit(self._write)
        self._checkpoints = Checkpointer(self.path)
        self.index_path = (None if self.path == ":memory:"
                           else Path(self.path).expanduser().with_name(
                               Path(self.path).name + ".index"))
        try:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=timeout
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a batch we acknowledged survives power loss, not only a crash.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                    (SCHEMA_VERSION,),
                )
        except sqlite3.Error as e:
            raise StoreUnavailableError(f"cannot open SQLite store {self.path}: {e}") from e

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise StoreUnavailableError(f"SQLite store {self.path} is busy: {e}") from e
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
                self._checkpoints.committed()

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement inside sees the same committed state."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise ProvgraphError(f"SQLite store {self.path}: {e}") from e

    # -- writes -------------------------------------------------------------------------

    def write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        """Write a folded batch in one transaction (see :class:`~provgraph.store.base.Store`);
        batches of concurrent writers in this process share one (:mod:`.group`)."""
        return self._group.write(changes, recorded_at)

    def _write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        stats = WriteStats()
        if not changes:
            return stats
        try:
            with self._transaction() as db:
                t = self._tick(db, recorded_at)
                changes, stats.refused = admit(
                    changes, self._known(db, list(changes.events)),
                    self._current_versions(db, changes.expect))
                # The checks' kinds and the current versions of the batch's nodes, in one
                # read when there are checks (the nodes are among what they check).
                nodes_now = None
                if changes.checks:
                    nodes_now, kinds = self._nodes_now(db, changes.check_nodes
                                                       | changes.nodes.keys())
                    for check in changes.checks:
                        check(kinds)
                fresh = list(changes.events.items())
                db.executemany(
                    "INSERT INTO events(id, digest, recorded_at) VALUES (?, ?, ?)",
                    [(event_id, digest, t) for event_id, digest in fresh],
                )
                written = [event_row_hash(i, d) for i, d in fresh]
                stats.events = len(fresh)
                stats.skipped_events = len(changes.events) - stats.events
                stats.nodes_written, nodes, new_nodes = self._write_nodes(
                    db, list(changes.nodes.values()), t, nodes_now)
                stats.relations_written, relations = self._write_relations(
                    db, list(changes.relations.values()), t, new_nodes)
                tombstones = self._retract(
                    db, changes.retracted_nodes, changes.retracted_relations, t
                )
                stats.node_versions, stats.relation_versions = len(nodes), len(relations)
                stats.retractions = len(tombstones)
                append_entry(db, t, written + nodes + relations + tombstones)
        except sqlite3.Error as e:
            raise ProvgraphError(f"SQLite store {self.path}: write failed: {e}") from e
        return stats

    @staticmethod
    def _tick(db: sqlite3.Connection, recorded_at: int) -> int:
        # Never go back in time: as_of must see batches in commit order.
        # Every batch that writes appends a chain entry, so the chain's last time (an index
        # lookup) is the store's last time.
        last = db.execute("SELECT MAX(recorded_at) FROM chain").fetchone()[0]
        return max(recorded_at, (last or 0) + 1)

    @staticmethod
    def _current_versions(db: sqlite3.Connection, ids: Iterable[str]) -> dict[str, int]:
        found = {}
        for node_id in ids:
            row = db.execute("SELECT version, retracted FROM node_versions WHERE id = ?"
                             " AND superseded_at = ?", (node_id, FOREVER)).fetchone()
            if row is not None and not row[1]:
                found[node_id] = int(row[0])
        return found

    @staticmethod
    def _known(db: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(i for (i,) in db.execute(
                f"SELECT id FROM events WHERE id IN ({marks})", chunk))
        return found

    @staticmethod
    def _current(
        db: sqlite3.Connection, table: str, column: str, ids: Sequence[str]
    ) -> dict[str, tuple[str, int, int]]:
        found: dict[str, tuple[str, int, int]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, digest, version, retracted in db.execute(
                f"SELECT {column}, digest, version, retracted FROM {table} "
                f"WHERE {column} IN ({marks}) AND superseded_at = ?",
                (*chunk, FOREVER),
            ):
                found[key] = (digest, version, retracted)
        return found

    @staticmethod
    def _nodes_now(db: sqlite3.Connection, ids: Iterable[str]
                   ) -> tuple[dict[str, tuple[str, int, int]], dict[str, NodeKind]]:
        """The current versions of the nodes among ``ids`` (id -> digest, version,
        retracted, tombstones included), and the kinds of those not retracted."""
        versions: dict[str, tuple[str, int, int]] = {}
        kinds: dict[str, NodeKind] = {}
        for node_id, kind, type_, opaque, digest, version, retracted in db.execute(
                "SELECT n.id, n.kind, n.type, n.opaque, n.digest, n.version, n.retracted"
                " FROM json_each(?) j JOIN node_versions n ON n.id = j.value"
                " WHERE n.superseded_at = ?", (json.dumps(sorted(ids)), FOREVER)):
            versions[node_id] = (digest, version, retracted)
            if not retracted:
                kinds[node_id] = (kind, type_, bool(opaque))
        return versions, kinds

    def _write_nodes(self, db: sqlite3.Connection, rows: list[NodeRow], t: int,
                     current: dict[str, tuple[str, int, int]] | None = None,
                     ) -> tuple[set[str], list[RowHash], set[str]]:
        """Write the batch's node versions (``current``: their current versions, when
        already read); also returns the nodes the store had never held (no version, not
        even a tombstone)."""
        return self._write_versions(db, "node_versions", "id", t, [
            (r.node.id, r.digest, (r.node.kind._value_, r.node.type, int(r.node.opaque), r.data,
                                   r.digest, 0)) for r in rows], current=current)

    def _write_relations(
        self, db: sqlite3.Connection, rows: list[RelationRow], t: int, new_nodes: set[str],
    ) -> tuple[set[str], list[RowHash]]:
        """Write the batch's relation versions. A relation from a node the store had never
        held has never been stored either (every relation's ends are stored nodes, and a
        node's versions are never deleted): its current version is not looked up."""
        keys, hashes, _ = self._write_versions(db, "relation_versions", "key", t, [
            (r.key, r.digest, (r.relation.relation._value_, r.relation.from_, r.relation.to,
                               r.relation.role, int(r.relation.follows), r.data, r.digest, 0))
            for r in rows], {r.key for r in rows if r.relation.from_ in new_nodes})
        return keys, hashes

    def _write_versions(
        self, db: sqlite3.Connection, table: str, column: str, t: int,
        rows: list[tuple[str, str, tuple[Any, ...]]], absent: Collection[str] = (),
        current: dict[str, tuple[str, int, int]] | None = None,
    ) -> tuple[set[str], list[RowHash], set[str]]:
        """Write ``(key, digest, columns after key and version)`` rows whose content differs
        from the current version (or that revive a tombstone) as new versions, superseding
        the current ones; returns their keys, their chain hashes and (for nodes) the keys
        that had no version. Keys in ``absent`` are known to have none and are not looked
        up; ``current``, when given, holds the current versions of every key already."""
        if current is None:
            current = self._current(db, table, column,
                                    [key for key, _, _ in rows if key not in absent])
        # (key, next version, columns) of the rows that change something; most of a large
        # import's keys are new (version 1).
        values = [(key, 1, *columns) if key not in current else
                  (key, current[key][1] + 1, *columns)
                  for key, digest, columns in rows
                  if key not in current or current[key][0] != digest or current[key][2]]
        db.executemany(
            f"UPDATE {table} SET superseded_at = ? WHERE {column} = ? AND superseded_at = ?",
            [(t, v[0], FOREVER) for v in values if v[0] in current],
        )
        # In key order: the primary key's B-tree takes a batch's rows page by page, and the
        # chain entry, which lists rows in order, finds them sorted already.
        values.sort()
        marks = ", ".join("?" * (len(COLUMNS[table].split(",")) + 2))
        db.executemany(
            f"INSERT INTO {table}({COLUMNS[table]}, recorded_at, superseded_at)"
            f" VALUES ({marks})",
            [(*v, t, FOREVER) for v in values],
        )
        return ({v[0] for v in values}, [WRITTEN[table](*v) for v in values],
                {key for key, _, _ in rows if key not in current} if table == "node_versions"
                else set())

    def _retract(
        self, db: sqlite3.Connection, node_ids: Collection[str], keys: Iterable[str], t: int
    ) -> list[RowHash]:
        relation_keys = set(keys)
        for node_id in node_ids:
            # Retracting a node retracts what touches it: no edge may dangle.
            relation_keys.update(
                key for (key,) in db.execute(
                    "SELECT key FROM relation_versions WHERE (src = ? OR dst = ?)"
                    " AND superseded_at = ? AND retracted = 0",
                    (node_id, node_id, FOREVER),
                )
            )
        written: list[RowHash] = []
        for table, column, ids in (
            ("node_versions", "id", sorted(node_ids)),
            ("relation_versions", "key", sorted(relation_keys)),
        ):
            live = {
                k: v for k, v in self._current(db, table, column, ids).items() if not v[2]
            }
            db.executemany(
                f"UPDATE {table} SET superseded_at = ? WHERE {column} = ? AND superseded_at = ?",
                [(t, k, FOREVER) for k in live],
            )
            # The tombstone copies the last version's columns so history stays readable.
            columns = COLUMNS[table]
            tombstones = []
            for k, v in live.items():
                last = db.execute(f"SELECT {columns} FROM {table} WHERE {column} = ?"
                                  " AND version = ?", (k, v[1])).fetchone()
                tombstones.append((last[0], last[1] + 1, *last[2:-1], 1))
            marks = ", ".join("?" * (len(columns.split(",")) + 2))
            db.executemany(
                f"INSERT INTO {table}({columns}, recorded_at, superseded_at) VALUES ({marks})",
                [(*row, t, FOREVER) for row in tombstones],
            )
            written.extend(copied_row_hash(KIND[table], row) for row in tombstones)
        return written

    # -- reads --------------------------------------------------------------------------

    def known_events(self, ids: Collection[str]) -> dict[str, str]:
        """Digests of the already ingested events among ``ids``."""
        found: dict[str, str] = {}
        id_list = list(ids)
        for start in range(0, len(id_list), _CHUNK):
            chunk = id_list[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(
                self._read(f"SELECT id, digest FROM events WHERE id IN ({marks})", chunk)
            )
        return found

    def known(self, events: Collection[str], nodes: Collection[str],
              whole: Collection[str] = ()) -> Known:
        """Stored events among ``events``, current kinds of ``nodes`` and current versions
        of ``whole``, in one snapshot."""
        with self._snapshot():
            return Known(self.known_events(events), self.kinds(nodes, NOW),
                         self.nodes(whole, NOW) if whole else {})

    def _visible(self, columns: str, ids: Iterable[str], as_of: int) -> list[Any]:
        return self._read(
            f"SELECT {columns} FROM json_each(:ids) j JOIN node_versions n ON n.id = j.value"
            f" WHERE {_VISIBLE.format(a='n')}",
            {"ids": json.dumps(sorted(set(ids))), "t": as_of},
        )

    def nodes(self, ids: Iterable[str], as_of: int) -> dict[str, StoredNode]:
        """The versions of ``ids`` visible at ``as_of``."""
        rows = self._visible(
            "n.id, n.kind, n.type, n.opaque, n.data, n.version, n.recorded_at", ids, as_of)
        return {row[0]: StoredNode.from_row(*row) for row in rows}

    def kinds(self, ids: Iterable[str], as_of: int) -> dict[str, NodeKind]:
        """Kind, type and opacity of the nodes among ``ids`` valid at ``as_of``."""
        rows = self._visible("n.id, n.kind, n.type, n.opaque", ids, as_of)
        return {row[0]: (row[1], row[2], bool(row[3])) for row in rows}

    def relations(self, ids: Iterable[str], as_of: int,
                  outgoing: bool = False) -> list[StoredRelation]:
        """Relations visible at ``as_of`` touching ``ids`` (leaving them if ``outgoing``)."""
        params = {"ids": json.dumps(sorted(set(ids))), "t": as_of}
        ends = "r.src IN (SELECT value FROM json_each(:ids))"
        if not outgoing:
            ends = f"({ends} OR r.dst IN (SELECT value FROM json_each(:ids)))"
        rows = self._read(
            "SELECT r.key, r.relation, r.src, r.dst, r.role, r.data, r.recorded_at"
            f" FROM relation_versions r WHERE {ends}"
            f" AND {_VISIBLE.format(a='r')} ORDER BY r.key",
            params,
        )
        return [StoredRelation.from_row(*row) for row in rows]

    def node_relations(self, id: str, as_of: int,
                       limit: int) -> tuple[list[StoredRelation], int]:
        """The first ``limit`` relations of ``id`` at ``as_of`` by key, and how many it has
        (one query: the window counts before the limit)."""
        where = f"(r.src = :id OR r.dst = :id) AND {_VISIBLE.format(a='r')}"
        params = {"id": id, "t": as_of, "limit": limit}
        if limit < 1:  # an empty page still counts them
            return [], self._read(f"SELECT count(*) FROM relation_versions r WHERE {where}",
                                  params)[0][0]
        rows = self._read(
            "SELECT r.key, r.relation, r.src, r.dst, r.role, r.data, r.recorded_at,"
            f" count(*) OVER () FROM relation_versions r WHERE {where}"
            " ORDER BY r.key LIMIT :limit", params)
        return [StoredRelation.from_row(*row[:7]) for row in rows], rows[0][7] if rows else 0

    def history(self, id: str) -> list[StoredNode]:
        """Every version of ``id``, retractions included, oldest first."""
        rows = self._read(
            "SELECT id, kind, type, opaque, data, version, recorded_at, retracted"
            " FROM node_versions WHERE id = ? ORDER BY version",
            (id,),
        )
        return [StoredNode.from_row(*row) for row in rows]

    def ids(self, as_of: int) -> Iterator[str]:
        """The id of every node visible at ``as_of``, sorted, read page by page."""
        return paged(lambda after: [row[0] for row in self._read(
            f"SELECT id FROM node_versions n WHERE id > :after AND {_VISIBLE.format(a='n')}"
            " ORDER BY id LIMIT 1000", {"t": as_of, "after": after})], 1000)

    def search(self, prefix: str, types: Collection[str], as_of: int,
               limit: int) -> list[tuple[str, NodeKind]]:
        """Nodes by id prefix (an index range) or by type (a scan), see the Store protocol."""
        rows = self._read(
            "SELECT id, kind, type, opaque FROM (SELECT * FROM (SELECT id, kind, type, opaque"
            " FROM node_versions n WHERE id >= :p AND id < :p || char(1114111)"
            f" AND {_VISIBLE.format(a='n')} ORDER BY id LIMIT :limit) UNION"
            " SELECT * FROM (SELECT n.id, n.kind, n.type, n.opaque FROM node_versions c"
            " JOIN node_versions n ON n.id = c.id WHERE c.superseded_at = :forever"
            " AND c.type IN (SELECT value FROM json_each(:types))"
            " AND n.type IN (SELECT value FROM json_each(:types))"
            f" AND {_VISIBLE.format(a='n')} ORDER BY n.id LIMIT :limit)) ORDER BY id LIMIT :limit",
            {"p": prefix, "types": json.dumps(sorted(types)), "t": as_of, "limit": limit,
             "forever": FOREVER})
        return [(row[0], (row[1], row[2], bool(row[3]))) for row in rows]

    def reach_counts(
        self, root: str, direction: Direction, relations: frozenset[str], as_of: int,
        listed: frozenset[str],
    ) -> list[tuple[str | None, str | None, int, list[str]]] | None:
        """What a walk reaches, grouped by kind and type (see the Store protocol): from the
        adjacency index now, else the walk's recursive CTE."""
        if as_of >= NOW:
            with self._lock:
                return self.adjacency().counts(root, direction, relations, listed)
        names = sorted(relations)
        relation_params = ",".join(f":rel{i}" for i in range(len(names))) or "NULL"
        params: dict[str, Any] = {f"rel{i}": name for i, name in enumerate(names)}
        params.update(root=root, roots=json.dumps([root]), t=as_of, max_depth=None,
                      listed=json.dumps(sorted(listed)))
        rows = self._read(
            f"WITH reached(id, depth) AS ({_walk_sql(direction, relation_params, False)})"
            " SELECT n.kind, n.type, COUNT(*), json_group_array(n.id) FILTER (WHERE"
            " n.kind = 'entity' AND n.type IN (SELECT value FROM json_each(:listed)))"
            " FROM reached JOIN node_versions n ON n.id = reached.id"
            f" WHERE reached.id <> :root AND {_VISIBLE.format(a='n')}"
            " GROUP BY n.kind, n.type", params)
        return [(kind, type_, int(count), json.loads(ids)) for kind, type_, count, ids in rows]

    def walk_now(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None,
    ) -> CompactWalk | None:
        """The walk as things stand now, from the adjacency index (kept current by the
        chain, see :mod:`provgraph.store.sqlite_index`)."""
        with self._lock:
            return self.adjacency().walk(root, direction, relations, max_depth)

    def walk_rows(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None = None,
    ) -> Iterator[WalkRow] | None:
        """The walk as things stand now, a node at a time, from the adjacency index (the
        walk itself runs here, into arrays; the rows are made as they are read)."""
        with self._lock:
            return self.adjacency().stream(root, direction, relations, max_depth)

    # -- the adjacency index --------------------------------------------------------------

    def adjacency(self) -> AdjacencyIndex:
        """The adjacency index brought to the chain's head: loaded from beside the file or
        built from the rows the first time, then updated from the chain entries since."""
        try:
            with self._lock, self._snapshot() as db:
                head = self._head(db)
                index = self._index
                if index is None and self.index_path is not None:
                    index = AdjacencyIndex.load(self.index_path)
                    if index is not None:
                        self._index_saved = index.head
                if index is None or not self._on_chain(db, index.head, head):
                    index = AdjacencyIndex.build(db, head)
                elif index.head != head:
                    index = self._catch_up(db, index, head)
                self._index = index
                return index
        except sqlite3.Error as e:
            raise ProvgraphError(f"SQLite store {self.path}: {e}") from e

    @staticmethod
    def _head(db: sqlite3.Connection) -> Head:
        row = db.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, "") if row is None else (int(row[0]), str(row[1]))

    @staticmethod
    def _on_chain(db: sqlite3.Connection, head: Head, now: Head) -> bool:
        """Whether ``head`` is an entry of this chain, at or before ``now``."""
        if head == (0, "") or head == now:
            return True
        row = db.execute("SELECT hash FROM chain WHERE seq = ?", (head[0],)).fetchone()
        return row is not None and row[0] == head[1] and head[0] <= now[0]

    @staticmethod
    def _catch_up(db: sqlite3.Connection, index: AdjacencyIndex, head: Head) -> AdjacencyIndex:
        """``index`` with the rows the chain lists after its head applied; rebuilt instead
        when they are more than :data:`REBUILD_ROWS`."""
        nodes: set[str] = set()
        keys: set[str] = set()
        for (body,) in db.execute("SELECT body FROM chain WHERE seq > ? AND seq <= ?"
                                  " ORDER BY seq", (index.head[0], head[0])):
            for kind, key, _, _ in json.loads(body).get("rows", []):
                if kind == "n":
                    nodes.add(key)
                elif kind == "r":
                    keys.add(key)
            if len(nodes) + len(keys) > REBUILD_ROWS:
                return AdjacencyIndex.build(db, head)
        index.apply(db, head, nodes, keys)
        return index

    def index_problems(self) -> list[str]:
        """How the adjacency indexes (the one in memory and the one saved beside the file)
        differ from a fresh build from the rows; an edited or wrong saved index is replaced
        by the fresh one, so it is never used."""
        problems: list[str] = []
        with self._lock, self._snapshot() as db:
            head = self._head(db)
            fresh = AdjacencyIndex.build(db, head)
            held: list[tuple[str, AdjacencyIndex]] = []
            if self._index is not None and self._on_chain(db, self._index.head, head):
                held.append(("in memory", self._catch_up(db, self._index, head)))
            if self.index_path is not None and self.index_path.exists():
                saved = AdjacencyIndex.load(self.index_path)
                if saved is None:
                    problems.append(f"adjacency index {self.index_path} was changed outside"
                                    " provgraph (its seal does not match): rebuilt")
                elif not self._on_chain(db, saved.head, head):
                    problems.append(f"adjacency index {self.index_path} names chain entry"
                                    f" {saved.head[0]}, which this store's chain does not"
                                    " hold: rebuilt")
                else:
                    held.append((f"saved in {self.index_path}",
                                 self._catch_up(db, saved, head)))
        for where, index in held:
            problems.extend(f"{p} ({where})" for p in index.differences(fresh))
        self._index, self._index_saved = fresh, None
        self.save_index()
        return problems

    def save_index(self) -> None:
        """Save the adjacency index beside the file if it changed since it was loaded or
        saved (so the next process loads it instead of building it)."""
        with self._lock:
            index = self._index
            if index is None or self.index_path is None or index.head == self._index_saved:
                return
            try:
                index.save(self.index_path)
                self._index_saved = index.head
            except OSError:
                pass  # a cache: a read-only folder only means the next process builds it

    def traverse(
        self, root: str, direction: Direction, relations: frozenset[str],
        max_depth: int | None, as_of: int,
    ) -> Traversal:
        """Walk from ``root`` inside SQLite (a recursive CTE); see the Store protocol."""
        return self._walk([root], root, direction, relations, max_depth, as_of)

    def closure(self, roots: Collection[str], direction: Direction,
                relations: frozenset[str], as_of: int) -> Traversal:
        """Everything reachable from any of ``roots``: one recursive CTE seeded with all of
        them (see the Store protocol)."""
        return self._walk(sorted(set(roots)), "", direction, relations, None, as_of)

    def _walk(self, roots: list[str], root: str, direction: Direction,
              relations: frozenset[str], max_depth: int | None, as_of: int) -> Traversal:
        names = sorted(relations)
        relation_params = ",".join(f":rel{i}" for i in range(len(names))) or "NULL"
        params: dict[str, Any] = {f"rel{i}": name for i, name in enumerate(names)}
        params.update(roots=json.dumps(roots), t=as_of, max_depth=max_depth)
        reached = self._read(_walk_sql(direction, relation_params, max_depth is not None), params)
        expand = [node for node, depth in reached if max_depth is None or depth < max_depth]
        here = "src" if direction == "down" else "dst"
        edges = self._read(
            "SELECT r.key, r.relation, r.src, r.dst, r.role, r.data, r.recorded_at"
            f" FROM json_each(:expand) j JOIN relation_versions r ON r.{here} = j.value"
            f" WHERE r.follow = 1 AND r.relation IN ({relation_params})"
            f" AND {_VISIBLE.format(a='r')} AND NOT {_OPAQUE_AT.format(node='r.src')}"
            " ORDER BY r.key",
            {**params, "expand": json.dumps(expand)},
        )
        return Traversal(
            root=root,
            nodes={node for node, _ in reached},
            edges=[StoredRelation.from_row(*row) for row in edges],
        )

    def close(self) -> None:
        """Save the adjacency index if it changed, and close the database connection."""
        with self._lock:
            self.save_index()
            self._checkpoints.close()
            self._db.close()
