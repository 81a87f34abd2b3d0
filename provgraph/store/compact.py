"""A whole lineage answer built from one query's node-by-node rows, in as few Python passes
as the answer's size allows (an impact answer holds 700k nodes and a million edges).

A row is ``[id, kind, type, opaque, edges]`` for each node a walk reached (the root
included), where ``edges`` are the edges followed from that node as ``[relation, other,
role, key]``: ``other`` is the edge's target for an ancestry (``down``), its source for an
impact (``up``), and ``key`` is None for the usual ``relation:source->target#role``.

>>> walk = compact_walk("m", [["m", "entity", "Model", False, [["wasDerivedFrom", "b", None,
...     None]]], ["b", "entity", "Model", True, []]], "down")
>>> walk.answer
[LineageNode(id='b', kind='entity', type='Model', depth=1, opaque=True)]
>>> walk.edges[0].key, walk.opaque
('wasDerivedFrom:m->b', ['b'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from provgraph.errors import ProvgraphError
from provgraph.store.base import CompactWalk, Direction, LineageEdge, LineageNode, WalkRow

_NEW = tuple.__new__  # builds a named tuple in C (its own __new__ is Python)
_RELATION_OTHER = itemgetter(0, 1)


def compact_walk(root: str, rows: Iterable[Sequence[Any]], direction: Direction,
                 root_known: bool = True) -> CompactWalk:
    """The answer of a walk from ``root`` given its rows (see the module): nodes with hop
    counts by depth then id, the opaque nodes reached, and every edge, sorted. ``rows`` may
    be a stream, and the answer is built as it arrives (while the server still sends the
    rest): each row's edges, and, while the rows come breadth first from the root (as
    Neo4j's pruning search sends them), the hop counts and each finished level of nodes.
    Rows in any other order are answered by a breadth-first search over the answer's own
    edges once the last has arrived."""
    down = direction == "down"
    reached: dict[str, Sequence[Any]] = {}
    edges: list[LineageEdge] = []
    answer: list[LineageNode] = []
    # Breadth first as the rows arrive: a row's hop count is one more than that of the
    # first row that named it. That count is the shortest while the rows come in order
    # of it, root first: checked on every row, else the counts are made again at the end.
    depth_of = {root: 0}
    level: list[Sequence[Any]] = []  # the rows of the level being received
    at = 0
    in_order = True
    for row in rows:
        here = row[0]
        if in_order:
            depth = depth_of.get(here)
            if depth is None or depth < at or here in reached:
                in_order = False
            else:
                if depth > at:
                    _finish(level, at, answer)
                    level, at = [], depth
                level.append(row)
                after = depth + 1
                for edge in row[4]:
                    if edge[1] not in depth_of:
                        depth_of[edge[1]] = after
        reached[here] = row
        # A key the row leaves out is relation_key's, written out here: it runs once an
        # edge, a million times for a large impact.
        if down:
            edges.extend([_NEW(LineageEdge, (here, relation, other, key or (
                f"{relation}:{here}->{other}#{role}" if role
                else f"{relation}:{here}->{other}"), role))
                for relation, other, role, key in row[4]])
        else:
            edges.extend([_NEW(LineageEdge, (other, relation, here, key or (
                f"{relation}:{other}->{here}#{role}" if role
                else f"{relation}:{other}->{here}"), role))
                for relation, other, role, key in row[4]])
    opaque = sorted([n for n, row in reached.items()
                     if row[3] and (down or n != root)])
    walked = CompactWalk(root_known=root_known, ordered=True, answer=answer, opaque=opaque)
    if not reached:
        return walked
    # Every node named by an edge must have had its row (the rows are the whole reach).
    if in_order and len(depth_of) == len(reached):
        _finish(level, at, answer)
    else:
        answer.clear()
        _levels(root, reached, answer)
    # Every edge, by source, relation, target, key (the answer's order): by source alone
    # (one string comparison each), then whole, which finds the list in runs of one source
    # and only orders within them.
    edges.sort(key=itemgetter(0))
    edges.sort()
    walked.edges = edges
    return walked


def _finish(level: list[Sequence[Any]], depth: int, answer: list[LineageNode]) -> None:
    """Append the rows of one whole level (``depth`` hops from the root, which is left out)
    to ``answer`` as nodes, by id."""
    if depth:
        level.sort(key=itemgetter(0))
        answer.extend([_NEW(LineageNode, (row[0], row[1], row[2], depth, bool(row[3])))
                       for row in level])


def _levels(root: str, reached: dict[str, Sequence[Any]], answer: list[LineageNode]) -> None:
    """The nodes of ``reached`` by depth then id, by a breadth-first search over their
    rows' edges from ``root``: a level at a time, each level sorted by id."""
    seen = {root}
    frontier = [root]
    depth = 0
    row_of = reached.get
    while frontier:
        depth += 1
        level = []
        for here in frontier:
            node = row_of(here)
            if node is not None:
                for edge in node[4]:
                    there = edge[1]
                    if there not in seen:
                        seen.add(there)
                        level.append(there)
        level.sort()
        answer.extend([_NEW(LineageNode, (row[0], row[1], row[2], depth, bool(row[3])))
                       for row in map(reached.__getitem__, level)])
        frontier = level


def in_order(edges: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """A node's edges ``[relation, other, ...]`` by relation and other end (the order a
    streamed answer lists them in)."""
    return sorted(edges, key=_RELATION_OTHER) if len(edges) > 1 else edges


def breadth_first(root: str, rows: Iterable[Sequence[Any]]) -> Iterator[WalkRow]:
    """The rows of a walk that arrive breadth first from ``root`` (see the module), each with
    its hop count, as they arrive: for a stream too large to hold. Only the ids named by the
    last two levels are kept: a row named by the level before the one arriving belongs to
    it; one named only by the arriving level starts the next. A row named by neither means
    the rows are not breadth first: ProvgraphError (the store promised the order). Each
    row's edges come by relation and other end.

    >>> rows = [["m", "entity", "Model", False, [["wasDerivedFrom", "b", None, None]]],
    ...         ["b", "entity", "Model", True, []]]
    >>> [(row[0], row[4]) for row in breadth_first("m", rows)]
    [('m', 0), ('b', 1)]
    """
    naming: set[str] = {root}  # named by the level before the one arriving
    named: set[str] = set()  # named by the level arriving
    at = 0
    for row in rows:
        here = row[0]
        if here not in naming:
            if here not in named:
                raise ProvgraphError(
                    f"a walk from {root!r}: the store sent {here!r} out of breadth-first"
                    " order, so its hop count is unknown")
            at += 1
            naming, named = named, set()
        edges = row[4]
        named.update([edge[1] for edge in edges])
        yield (here, row[1], row[2], bool(row[3]), at, in_order(edges))
