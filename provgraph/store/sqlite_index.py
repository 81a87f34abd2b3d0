"""The embedded store's adjacency index: the current, followable dependency graph in numpy
arrays, so that walks "now" run at in-memory speed instead of as recursive SQL.

What it holds, all derived from the SQLite rows:

- every current node (a version with ``superseded_at`` forever and no tombstone) as an
  integer: its id in ``names`` (sorted by id as the index is built), kind, type and opacity;
- every current relation version with ``follow = 1`` as an edge between two integers, with
  its relation and role codes (its key is recomputed from them; the rare key that is not,
  such as one with an explicit relation id, is kept beside);
- compressed sparse rows over the edges, forward (by the PROV ``from`` end) and reverse.

Freshness comes from the hash chain. Every batch any process commits appends one chain entry
listing the node ids and relation keys it wrote, so the chain head's ``(seq, hash)`` names
exactly the state the index reflects. Before a walk the store compares the head with the
index's; if the chain moved it reads the entries since, re-reads the current rows of the ids
and keys they list, and applies them; past :data:`REBUILD_ROWS` changed rows it rebuilds from
the rows instead. The index is saved beside the file (``FILE.index``), keyed by the head and
sealed with a digest of its arrays, so that a one-shot CLI call loads it instead of building
it; a file whose digest or head does not match is never used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from provgraph.clock import FOREVER
from provgraph.model import relation_key
from provgraph.store.base import CompactWalk, Direction, LineageEdge, LineageNode, WalkRow

FORMAT = 1
"""Version of the saved index's layout; another version is rebuilt, never read."""

REBUILD_ROWS = 50_000
"""A chain delta listing more node and relation rows than this rebuilds the index from the
rows rather than applying them one by one."""

KINDS = ("entity", "activity", "agent")
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}

Int = npt.NDArray[np.int32]
Head = tuple[int, str]
"""``(seq, hash)`` of a chain entry; ``(0, "")`` for an empty chain."""

# The key relation_key gives a relation without an explicit id, computed in SQLite: a row
# whose stored key differs keeps its key in the index (``odd_keys``).
_KEY_SQL = ("relation || ':' || src || '->' || dst"
            " || CASE WHEN role IS NULL OR role = '' THEN '' ELSE '#' || role END")
_ARRAYS = ("kind", "type", "opaque", "src", "dst", "rel", "role")


@dataclass
class _Codes:
    """A list of distinct strings and their positions, for type, role and relation codes."""

    values: list[str]

    def __post_init__(self) -> None:
        self.codes = {value: code for code, value in enumerate(self.values)}

    def code(self, value: str | None) -> int:
        """The code of ``value`` (-1 for None), adding it if new."""
        if value is None:
            return -1
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.values)
            self.values.append(value)
        return found


def _ranges(ptr: Int, rows: Int) -> Int:
    """The positions ``ptr[r] .. ptr[r+1]`` of every row ``r`` in ``rows``, concatenated."""
    starts = ptr[rows]
    counts = ptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int32)
    # For each output slot: its row's start plus its offset inside the row.
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    positions: Int = (np.repeat(starts, counts) + offsets).astype(np.int32)
    return positions


class AdjacencyIndex:
    """The current followable graph of one SQLite file, in arrays (see the module doc)."""

    def __init__(self) -> None:
        """An empty index at the empty chain."""
        self.head: Head = (0, "")
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.names_sorted = True
        self.types = _Codes([])
        self.roles = _Codes([])
        self.relations = _Codes([])
        self.kind = np.empty(0, dtype=np.int8)  # -1: no current version
        self.type = np.empty(0, dtype=np.int32)
        self.opaque = np.empty(0, dtype=np.bool_)
        self.src = np.empty(0, dtype=np.int32)
        self.dst = np.empty(0, dtype=np.int32)
        self.rel = np.empty(0, dtype=np.int8)
        self.role = np.empty(0, dtype=np.int32)
        self.odd_keys: dict[int, str] = {}
        self._csr()

    # -- building ---------------------------------------------------------------------

    @classmethod
    def build(cls, db: sqlite3.Connection, head: Head) -> AdjacencyIndex:
        """Read the current rows of ``db`` (inside the caller's read transaction, whose chain
        head is ``head``)."""
        index = cls()
        index.head = head
        nodes = db.execute(
            "SELECT id, kind, type, opaque FROM node_versions"
            " WHERE superseded_at = ? AND retracted = 0 ORDER BY id", (FOREVER,)).fetchall()
        index.names = [row[0] for row in nodes]
        index.ids = {name: i for i, name in enumerate(index.names)}
        code = index.types.code
        index.kind = np.fromiter((_KIND_CODE.get(row[1], -1) for row in nodes), np.int8,
                                 len(nodes))
        index.type = np.fromiter((code(row[2]) for row in nodes), np.int32, len(nodes))
        index.opaque = np.fromiter((bool(row[3]) for row in nodes), np.bool_, len(nodes))
        del nodes
        edges = db.execute(
            f"SELECT relation, src, dst, role, CASE WHEN key = {_KEY_SQL} THEN NULL"
            " ELSE key END FROM relation_versions"
            " WHERE superseded_at = ? AND retracted = 0 AND follow = 1", (FOREVER,)).fetchall()
        node = index._node
        rel_code, role_code = index.relations.code, index.roles.code
        index.src = np.fromiter((node(row[1]) for row in edges), np.int32, len(edges))
        index.dst = np.fromiter((node(row[2]) for row in edges), np.int32, len(edges))
        index.rel = np.fromiter((rel_code(row[0]) for row in edges), np.int8, len(edges))
        index.role = np.fromiter((role_code(row[3]) for row in edges), np.int32, len(edges))
        index.odd_keys = {i: row[4] for i, row in enumerate(edges) if row[4] is not None}
        index._grow()
        index._csr()
        return index

    def _node(self, name: str) -> int:
        """The integer of node ``name``, added if new (call :meth:`_grow` before reading its
        kind)."""
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = len(self.names)
            if self.names and name < self.names[-1]:
                self.names_sorted = False
            self.names.append(name)
        return found

    def _grow(self) -> None:
        """Give the nodes :meth:`_node` added no current version, in one step."""
        extra = len(self.names) - len(self.kind)
        if extra:
            self.kind = np.concatenate([self.kind, np.full(extra, -1, np.int8)])
            self.type = np.concatenate([self.type, np.full(extra, -1, np.int32)])
            self.opaque = np.concatenate([self.opaque, np.zeros(extra, np.bool_)])

    def _csr(self) -> None:
        """Rebuild both compressed sparse rows from the edge arrays."""
        n = len(self.names)
        self.fwd_ptr, self.fwd = self._rows(self.src, n)
        self.rev_ptr, self.rev = self._rows(self.dst, n)

    @staticmethod
    def _rows(ends: Int, n: int) -> tuple[Int, Int]:
        order = np.argsort(ends, kind="stable").astype(np.int32)
        ptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(ends, minlength=n), out=ptr[1:])
        return ptr, order

    # -- keeping it current -----------------------------------------------------------

    def apply(self, db: sqlite3.Connection, head: Head, node_ids: Iterable[str],
              relation_keys: Iterable[str]) -> None:
        """Bring the index to ``head`` given the node ids and relation keys written since
        its own head (read from the chain): their current rows replace what it holds."""
        wanted = sorted(set(node_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            current = {row[0]: row for row in db.execute(
                "SELECT id, kind, type, opaque FROM node_versions WHERE superseded_at = ?"
                f" AND retracted = 0 AND id IN ({','.join('?' * len(chunk))})",
                (FOREVER, *chunk))}
            for name in chunk:
                self._node(name)
            self._grow()
            for name in chunk:
                i = self.ids[name]
                row = current.get(name)
                self.kind[i] = -1 if row is None else _KIND_CODE.get(row[1], -1)
                self.type[i] = -1 if row is None else self.types.code(row[2])
                self.opaque[i] = False if row is None else bool(row[3])
        keys = sorted(set(relation_keys))
        added: list[tuple[int, int, int, int, str | None]] = []
        dead = np.zeros(len(self.src), dtype=np.bool_)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = {row[0]: row for row in db.execute(
                f"SELECT key, relation, src, dst, role, follow, retracted, {_KEY_SQL}"
                " FROM relation_versions WHERE superseded_at = ?"
                f" AND key IN ({','.join('?' * len(chunk))})", (FOREVER, *chunk))}
            for key in chunk:
                row = rows.get(key)
                if row is None:
                    continue  # a key that never had a current version (cannot happen)
                _, relation, src, dst, role, follow, retracted, plain = row
                s, d = self._node(src), self._node(dst)
                r, o = self.relations.code(relation), self.roles.code(role)
                old = self._find(s, d, r, o, key)
                if old is not None:
                    dead[old] = True
                if follow and not retracted:
                    added.append((s, d, r, o, None if key == plain else key))
        self._grow()
        keep = ~dead
        kept = int(keep.sum())
        moved = np.cumsum(keep) - 1
        odd = {int(moved[i]): key for i, key in self.odd_keys.items() if keep[i]}
        self.src = np.concatenate([self.src[keep], np.array([a[0] for a in added], np.int32)])
        self.dst = np.concatenate([self.dst[keep], np.array([a[1] for a in added], np.int32)])
        self.rel = np.concatenate([self.rel[keep], np.array([a[2] for a in added], np.int8)])
        self.role = np.concatenate([self.role[keep], np.array([a[3] for a in added], np.int32)])
        odd.update((kept + j, a[4]) for j, a in enumerate(added) if a[4] is not None)
        self.odd_keys = odd
        self.head = head
        self._csr()

    def _find(self, s: int, d: int, r: int, o: int, key: str) -> int | None:
        """The edge holding relation ``key`` (between ``s`` and ``d``), if the index has it."""
        if s + 1 >= len(self.fwd_ptr):
            return None
        for e in self.fwd[self.fwd_ptr[s]:self.fwd_ptr[s + 1]].tolist():
            if self.dst[e] == d and self.rel[e] == r and self.role[e] == o and (
                    self.key(e) == key):
                return int(e)
        return None

    def key(self, e: int) -> str:
        """The relation key of edge ``e``."""
        odd = self.odd_keys.get(e)
        if odd is not None:
            return odd
        role = int(self.role[e])
        return relation_key(self.relations.values[self.rel[e]], self.names[self.src[e]],
                            self.names[self.dst[e]],
                            None if role < 0 else self.roles.values[role])

    # -- walking ----------------------------------------------------------------------

    def reach(self, root: int, direction: Direction, relations: frozenset[str],
              max_depth: int | None) -> tuple[Int, Int, Int]:
        """A breadth-first walk from ``root``: the nodes reached (the root first), their
        shortest depths, and every edge followed from a node closer than ``max_depth``.

        An edge is followed when its relation is in ``relations`` and its ``from`` end is
        not opaque (the store's traversal rule)."""
        allowed = np.zeros(max(len(self.relations.values), 1), dtype=np.bool_)
        for name in relations:
            code = self.relations.codes.get(name)
            if code is not None:
                allowed[code] = True
        down = direction == "down"
        ptr, order, there = ((self.fwd_ptr, self.fwd, self.dst) if down
                             else (self.rev_ptr, self.rev, self.src))
        seen = np.zeros(len(self.names), dtype=np.bool_)
        seen[root] = True
        frontier = np.array([root], dtype=np.int32)
        reached, depths, followed = [frontier], [np.zeros(1, np.int32)], []
        level = 0
        while frontier.size and (max_depth is None or level < max_depth):
            if down:  # an opaque node's own lineage is unknown: it is not expanded
                frontier = frontier[~self.opaque[frontier]]
            edges = order[_ranges(ptr, frontier)]
            edges = edges[allowed[self.rel[edges]]]
            if not down:  # an edge leaving an opaque node is not followed
                edges = edges[~self.opaque[self.src[edges]]]
            followed.append(edges)
            ends = there[edges]
            fresh = np.unique(ends[~seen[ends]])
            seen[fresh] = True
            level += 1
            reached.append(fresh)
            depths.append(np.full(fresh.size, level, np.int32))
            frontier = fresh
        return (np.concatenate(reached), np.concatenate(depths),
                np.concatenate(followed) if followed else np.empty(0, np.int32))

    def walk(self, root: str, direction: Direction, relations: frozenset[str],
             max_depth: int | None) -> CompactWalk:
        """The walk as a :class:`CompactWalk` holding the answer itself: nodes by depth then
        id, opaque nodes, and edges by source, relation, target and key."""
        start = self.ids.get(root)
        if start is None or self.kind[start] < 0:
            return CompactWalk(root_known=False)
        nodes, depths, edges = self.reach(start, direction, relations, max_depth)
        if self.names_sorted:  # integers are in id order: sort by them
            order = np.lexsort((nodes, depths))
            nodes, depths = nodes[order], depths[order]
            edges = edges[np.lexsort((self.dst[edges], self._relation_order()[self.rel[edges]],
                                      self.src[edges]))]
        # The root is the only node at depth 0, so first: it is not part of the answer.
        opaque_at = nodes[self.opaque[nodes]] if direction == "down" else (
            nodes[1:][self.opaque[nodes[1:]]])
        nodes, depths = nodes[1:], depths[1:]
        names = self.names
        kinds, types = [*KINDS, None], [*self.types.values, None]  # code -1: None
        answer = list(map(tuple.__new__, repeat(LineageNode), zip(
            [names[i] for i in nodes.tolist()], [kinds[k] for k in self.kind[nodes].tolist()],
            [types[t] for t in self.type[nodes].tolist()], depths.tolist(),
            self.opaque[nodes].tolist(), strict=True)))
        opaque = [names[i] for i in np.sort(opaque_at).tolist()]
        if not self.names_sorted:
            answer.sort(key=attrgetter("depth", "id"))
            opaque.sort()
        return CompactWalk(edges=self._edges(edges), answer=answer, opaque=opaque,
                           ordered=self.names_sorted and not self._ties(edges))

    def stream(self, root: str, direction: Direction, relations: frozenset[str],
               max_depth: int | None = None) -> Iterator[WalkRow]:
        """The walk as rows (:meth:`~provgraph.store.base.Store.walk_rows`), to
        ``max_depth`` hops if given: the root, then each level by node number (id order
        while :attr:`names_sorted`), each node with the edges followed from it by relation
        and other end. The walk runs now,
        into arrays of numbers (a few bytes a node and an edge, a copy that later changes
        to the index do not touch); the rows are made as they are read."""
        start = self.ids.get(root)
        if start is None or self.kind[start] < 0:
            return iter(())
        nodes, depths, edges = self.reach(start, direction, relations, max_depth)
        down = direction == "down"
        here, there = (self.src, self.dst) if down else (self.dst, self.src)
        # Each edge's position among the nodes: the edges of one node run together (the
        # walk expands a level in node order), ordered inside by relation and other end.
        position = np.zeros(len(self.names), dtype=np.int64)
        position[nodes] = np.arange(nodes.size)
        ranks = self._relation_order()
        owner = position[here[edges]]
        order = np.lexsort((there[edges], ranks[self.rel[edges]], owner))
        edges = edges[order]
        ends = np.searchsorted(owner[order], np.arange(nodes.size), side="right")
        return self._stream_rows(nodes, depths, self.kind[nodes], self.type[nodes],
                                 self.opaque[nodes], ends, self.rel[edges], there[edges])

    def _stream_rows(self, nodes: Int, depths: Int, kinds: npt.NDArray[np.int8],
                     types: Int, opaque: npt.NDArray[np.bool_], ends: npt.NDArray[np.int64],
                     rels: npt.NDArray[np.int8], others: Int) -> Iterator[WalkRow]:
        """:meth:`stream`'s rows from its arrays, made a thousand nodes at a time."""
        names, relations = self.names, self.relations.values
        kind_names, type_names = [*KINDS, None], [*self.types.values, None]  # -1: None
        step = 1000
        for at in range(0, nodes.size, step):
            part = slice(at, at + step)
            first = int(ends[at - 1]) if at else 0
            last = int(ends[min(at + step, nodes.size) - 1])
            edge_names = [names[i] for i in others[first:last].tolist()]
            edge_rels = [relations[r] for r in rels[first:last].tolist()]
            low = first
            for name, kind, type_, is_opaque, depth, high in zip(
                    [names[i] for i in nodes[part].tolist()], kinds[part].tolist(),
                    types[part].tolist(), opaque[part].tolist(), depths[part].tolist(),
                    ends[part].tolist(), strict=True):
                yield (name, kind_names[kind], type_names[type_], is_opaque, depth,
                       list(zip(edge_rels[low - first:high - first],
                                edge_names[low - first:high - first], strict=True)))
                low = high

    def _relation_order(self) -> Int:
        """Each relation code's rank in name order (edges sort by relation name)."""
        ranks = np.empty(max(len(self.relations.values), 1), dtype=np.int32)
        ranks[np.argsort(np.array(self.relations.values or [""]))] = np.arange(len(ranks))
        return ranks

    def _ties(self, edges: Int) -> bool:
        """Whether two of ``edges`` share source, relation and target (then only their keys
        order them, and the caller sorts)."""
        if edges.size < 2:
            return False
        s, d, r = self.src[edges], self.dst[edges], self.rel[edges]
        return bool(np.any((s[1:] == s[:-1]) & (d[1:] == d[:-1]) & (r[1:] == r[:-1])))

    def _edges(self, edges: Int) -> list[LineageEdge]:
        names, relations, roles = self.names, self.relations.values, self.roles.values
        sources = [names[i] for i in self.src[edges].tolist()]
        targets = [names[i] for i in self.dst[edges].tolist()]
        rels = [relations[i] for i in self.rel[edges].tolist()]
        role_names = [roles[i] if i >= 0 else None for i in self.role[edges].tolist()]
        keys = [f"{r}:{s}->{t}#{o}" if o else f"{r}:{s}->{t}"
                for r, s, t, o in zip(rels, sources, targets, role_names, strict=True)]
        for j, e in enumerate(edges.tolist()) if self.odd_keys else ():
            if e in self.odd_keys:
                keys[j] = self.odd_keys[e]
        # tuple.__new__ builds each named tuple in C (its own __new__ is Python).
        return list(map(tuple.__new__, repeat(LineageEdge),
                        zip(sources, rels, targets, keys, role_names, strict=True)))

    def counts(self, root: str, direction: Direction, relations: frozenset[str],
               listed: frozenset[str],
               ) -> list[tuple[str | None, str | None, int, list[str]]] | None:
        """What a walk from ``root`` reaches (the root left out), counted by kind and type (see
        :meth:`~provgraph.store.base.Store.reach_counts`); None if ``root`` is unknown."""
        start = self.ids.get(root)
        if start is None or self.kind[start] < 0:
            return None
        nodes = self.reach(start, direction, relations, None)[0][1:]
        kinds, types = self.kind[nodes].astype(np.int64), self.type[nodes].astype(np.int64)
        width = len(self.types.values) + 1
        groups = np.bincount((kinds + 1) * width + types + 1, minlength=4 * width)
        rows = []
        listed_codes = {self.types.codes[t] for t in listed if t in self.types.codes}
        for group in np.flatnonzero(groups).tolist():
            k, t = divmod(group, width)
            k, t = k - 1, t - 1
            if k < 0:
                continue  # reached, but without a current version: not counted
            ids: list[str] = []
            if k == 0 and t in listed_codes:
                ids = [self.names[i] for i in nodes[(kinds == k) & (types == t)].tolist()]
            rows.append((KINDS[k] if k >= 0 else None,
                         self.types.values[t] if t >= 0 else None, int(groups[group]), ids))
        return rows

    # -- comparing, saving, loading ---------------------------------------------------

    def content(self) -> tuple[dict[str, tuple[int, str | None, bool]],
                               set[tuple[str, str, str, str | None, str]]]:
        """What the index says, in names: current nodes and followable edges (for checks)."""
        nodes = {
            name: (int(k), self.types.values[t] if t >= 0 else None, bool(o))
            for name, k, t, o in zip(self.names, self.kind.tolist(), self.type.tolist(),
                                     self.opaque.tolist(), strict=True) if k >= 0}
        edges = {(e.source, e.relation, e.target, e.role, e.key)
                 for e in self._edges(np.arange(len(self.src), dtype=np.int32))}
        return nodes, edges

    def _same(self, other: AdjacencyIndex) -> bool:
        """Whether ``other`` holds the same nodes and edges, compared in arrays."""
        to_mine = np.fromiter((self.ids.get(n, -1) for n in other.names), np.int64,
                              len(other.names))
        if np.any(to_mine < 0) and np.any(other.kind[to_mine < 0] >= 0):
            return False
        mine_live, theirs_live = self.kind >= 0, other.kind >= 0
        if int(mine_live.sum()) != int(theirs_live.sum()):
            return False
        def recode(theirs: _Codes, mine: _Codes) -> Int:
            return np.array([mine.codes.get(v, -2) for v in theirs.values] + [-1], np.int32)
        types, roles = recode(other.types, self.types), recode(other.roles, self.roles)
        relations = recode(other.relations, self.relations)
        live = np.flatnonzero(theirs_live)
        at = to_mine[live]
        if not (np.array_equal(self.kind[at], other.kind[live])
                and np.array_equal(self.type[at], types[other.type[live]])
                and np.array_equal(self.opaque[at], other.opaque[live])):
            return False
        if len(self.src) != len(other.src) or self.odd_keys_named() != other.odd_keys_named():
            return False
        theirs_edges = np.stack([to_mine[other.src], to_mine[other.dst],
                                 relations[other.rel], roles[other.role]])
        mine_edges = np.stack([self.src, self.dst, self.rel, self.role]).astype(np.int64)
        return bool(np.array_equal(
            mine_edges[:, np.lexsort(mine_edges[::-1])],
            theirs_edges[:, np.lexsort(theirs_edges[::-1])]))

    def odd_keys_named(self) -> set[str]:
        """The keys kept beside the edges (those relation_key does not give)."""
        return set(self.odd_keys.values())

    def differences(self, other: AdjacencyIndex) -> list[str]:
        """How ``other`` (built from the rows) differs from this index, as sentences."""
        if self._same(other):
            return []
        mine, theirs = self.content(), other.content()
        problems = []
        for name in sorted(set(mine[0]) ^ set(theirs[0]))[:5]:
            held = "holds" if name in mine[0] else "lacks"
            problems.append(f"adjacency index {held} node {name!r}, unlike the rows")
        for name in sorted(n for n in set(mine[0]) & set(theirs[0])
                           if mine[0][n] != theirs[0][n])[:5]:
            problems.append(f"adjacency index has node {name!r} as {mine[0][name]}, the rows"
                            f" as {theirs[0][name]}")
        for edge in sorted(mine[1] - theirs[1], key=str)[:5]:
            problems.append(f"adjacency index holds relation {edge[4]!r}, not current in"
                            " the rows")
        for edge in sorted(theirs[1] - mine[1], key=str)[:5]:
            problems.append(f"adjacency index lacks relation {edge[4]!r}")
        return problems

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically (a temporary file renamed over it)."""
        text = "".join(self.names)
        lengths = np.fromiter((len(n) for n in self.names), np.int64, len(self.names))
        meta = json.dumps({
            "format": FORMAT, "head": list(self.head), "sorted": self.names_sorted,
            "types": self.types.values, "roles": self.roles.values,
            "relations": self.relations.values,
            "odd_keys": [[i, k] for i, k in sorted(self.odd_keys.items())]})
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        arrays["text"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        arrays["lengths"] = lengths
        arrays["meta"] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        body = buffer.getvalue()
        seal = hashlib.sha256(body).hexdigest().encode()
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(body + seal)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> AdjacencyIndex | None:
        """The index saved at ``path``, or None if it is missing, of another format, or not
        what was written (its digest does not match)."""
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        body, seal = raw[:-64], raw[-64:]
        if hashlib.sha256(body).hexdigest().encode() != seal:
            return None
        try:
            with np.load(io.BytesIO(body), allow_pickle=False) as saved:
                arrays = {name: saved[name] for name in saved.files}
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        except (ValueError, KeyError, OSError):
            return None
        if meta.get("format") != FORMAT:
            return None
        index = cls()
        text = arrays["text"].tobytes().decode("utf-8")
        ends = np.cumsum(arrays["lengths"]).tolist()
        index.names = [text[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        index.ids = {name: i for i, name in enumerate(index.names)}
        for name in _ARRAYS:
            setattr(index, name, arrays[name])
        index.head = (int(meta["head"][0]), str(meta["head"][1]))
        index.names_sorted = bool(meta["sorted"])
        index.types, index.roles = _Codes(meta["types"]), _Codes(meta["roles"])
        index.relations = _Codes(meta["relations"])
        index.odd_keys = {int(i): k for i, k in meta["odd_keys"]}
        index._csr()
        return index

    def memory(self) -> int:
        """Bytes the index holds: its arrays, and its node ids with their dictionary."""
        arrays: Sequence[Any] = [getattr(self, name) for name in _ARRAYS] + [
            self.fwd_ptr, self.fwd, self.rev_ptr, self.rev]
        names = sys.getsizeof(self.names) + sum(map(sys.getsizeof, self.names))
        # The dictionary's table, and its values (integers above 256 are objects).
        ids = sys.getsizeof(self.ids) + 28 * max(len(self.ids) - 257, 0)
        return int(sum(a.nbytes for a in arrays)) + names + ids
