"""The embedded store's hash chain (table ``chain``) and what only ``verify`` and redaction
need of the file: entries, a full scan of the rows, derived-state checks, in-place rewrites.
See :mod:`provgraph.chain` and :mod:`provgraph.verify`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from provgraph.chain import (
    ChainEntry,
    ChainHead,
    RowHash,
    event_row_hash,
    form_of,
    written_node_hash,
    written_relation_hash,
)
from provgraph.clock import FOREVER
from provgraph.errors import ProvgraphError
from provgraph.store.base import StoredNode
from provgraph.store.bookkeeping import Rewrite, next_entry, rewrite_version

if TYPE_CHECKING:
    from provgraph.store.sqlite import SQLiteStore

# Every column but recorded_at / superseded_at, in the order the chain's row hashes take them.
NODE_COLUMNS = "id, version, kind, type, opaque, data, digest, retracted"
RELATION_COLUMNS = "key, version, relation, src, dst, role, follow, data, digest, retracted"
COLUMNS = {"node_versions": NODE_COLUMNS, "relation_versions": RELATION_COLUMNS}
#: The chain's hash of a row a batch has just written, by table.
WRITTEN: dict[str, Callable[..., RowHash]] = {
    "node_versions": written_node_hash, "relation_versions": written_relation_hash}
#: A table's rows' kind in the chain.
KIND = {"events": "e", "node_versions": "n", "relation_versions": "r"}


def append_entry(
    db: sqlite3.Connection, t: int, rows: list[RowHash],
    rewrites: Sequence[Rewrite] = (),
    redaction: dict[str, Any] | None = None,
) -> None:
    """Append the batch's chain entry (nothing when the batch wrote nothing)."""
    last = db.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    entry = next_entry(tuple(last) if last else None, t, rows, rewrites, redaction)
    if entry is None:
        return
    db.execute(
        "INSERT INTO chain(seq, recorded_at, prev, body, hash) VALUES (?, ?, ?, ?, ?)",
        (entry.seq, entry.recorded_at, entry.prev, entry.body, entry.hash),
    )


class SQLiteChainLog:
    """The :class:`~provgraph.store.base.ChainLog` of a :class:`SQLiteStore` (same file and
    connection)."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def chain(self, after: int = 0, limit: int = 500) -> list[ChainEntry]:
        """Chain entries with ``seq > after``, in order, at most ``limit`` of them."""
        rows = self._store._read("SELECT seq, recorded_at, prev, body, hash FROM chain"
                                 " WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [ChainEntry(*row) for row in rows]

    def chain_at(self, as_of: int) -> ChainHead | None:
        """The head of the hash chain at ``as_of``: its last entry recorded by then."""
        # Times increase with seq, so the recorded_at index finds the head in one seek.
        rows = self._store._read("SELECT seq, recorded_at, hash FROM chain"
                          " WHERE recorded_at <= ? ORDER BY recorded_at DESC LIMIT 1", (as_of,))
        return ChainHead(*rows[0]) if rows else None

    def times(self, limit: int) -> list[tuple[int, int]]:
        """When entries were recorded, about ``limit`` of them spread over the chain."""
        last = self._store._read("SELECT MAX(seq) FROM chain")[0][0] or 0
        step = max(1, -(-last // max(limit, 1)))
        rows = self._store._read("SELECT seq, recorded_at FROM chain WHERE (seq - 1) % ? = 0"
                                 " OR seq = ? ORDER BY seq", (step, last))
        return [(int(seq), int(at)) for seq, at in rows]

    def scan(self) -> Iterator[tuple[int | None, str, tuple[Any, ...]]]:
        """Every stored row with its batch time, kind and columns, page by page (for
        verify)."""
        for table in ("events", "node_versions", "relation_versions"):
            columns = "id, digest" if table == "events" else COLUMNS[table]
            kind = KIND[table]
            after = 0
            while True:
                rows = self._store._read(f"SELECT rowid, recorded_at, {columns} FROM {table}"
                                  " WHERE rowid > ? ORDER BY rowid LIMIT 5000", (after,))
                for row in rows:
                    yield row[1], kind, row[2:]
                if len(rows) < 5000:
                    break
                after = rows[-1][0]

    def derived_problems(self, rows_intact: bool = True) -> list[str]:
        """Stored state that does not follow from the rows: a ``superseded_at`` that is not
        the next version's ``recorded_at`` (or, for the last version, not forever), and an
        adjacency index (in memory or saved beside the file) that differs from the rows."""
        problems = []
        for table, column, what in (("node_versions", "id", "node"),
                                    ("relation_versions", "key", "relation")):
            for key, version in self._store._read(
                f"SELECT a.{column}, a.version FROM {table} a LEFT JOIN {table} b"
                f" ON b.{column} = a.{column} AND b.version = a.version + 1"
                " WHERE a.superseded_at <> COALESCE(b.recorded_at, ?)"
                f" ORDER BY a.{column}, a.version LIMIT 1000", (FOREVER,)):
                problems.append(f"{what} {key!r} version {version}: validity interval "
                                "changed outside provgraph (superseded_at)")
        index = self._store.index_problems()
        return problems + (index if rows_intact else [])

    def rewrite_nodes(
        self, ids: Collection[str], rewrite: Callable[[StoredNode], tuple[str, str] | None],
        event_id: str, event_digest: str, recorded_at: int, redaction: dict[str, Any],
    ) -> int:
        """A redaction in one SQLite transaction (see
        :meth:`~provgraph.store.base.Store.rewrite_nodes`)."""
        try:
            with self._store._transaction() as db:
                if self._store._known(db, [event_id]):
                    return 0
                t = self._store._tick(db, recorded_at)
                rewrites = []
                forms: dict[int, int] = {}
                for node_id in sorted(ids):
                    for row in db.execute(
                        f"SELECT {NODE_COLUMNS}, recorded_at FROM node_versions WHERE id = ?"
                        " ORDER BY version", (node_id,)
                    ).fetchall():
                        at = row[-1]
                        if at not in forms:
                            body = db.execute("SELECT substr(body, 1, 12) FROM chain"
                                              " WHERE recorded_at = ?", (at,)).fetchone()
                            forms[at] = form_of(body[0]) if body else 1
                        done = rewrite_version(tuple(row), rewrite, forms[at])
                        if done is not None:
                            db.execute("UPDATE node_versions SET data = ?, digest = ?"
                                       " WHERE id = ? AND version = ?",
                                       (done[0], done[1], row[0], row[1]))
                            rewrites.append(done[2])
                db.execute("INSERT INTO events(id, digest, recorded_at) VALUES (?, ?, ?)",
                           (event_id, event_digest, t))
                append_entry(db, t, [event_row_hash(event_id, event_digest)], rewrites,
                             redaction)
        except sqlite3.Error as e:
            raise ProvgraphError(f"SQLite store {self._store.path}: redaction failed: {e}") from e
        return len(rewrites)
