"""Ancestry and impact: what a node rests on, and what rests on it (docs/queries.md).

Both walk the dependency edges in the store (the walk itself runs in the database) and shape
the answer here, once for every backend: shortest hop counts, the edges between the nodes
reached, and which opaque nodes cut the lineage short.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from provgraph.clock import NOW
from provgraph.collector import collector_paused
from provgraph.encoding import encode_basestring
from provgraph.errors import ConfigurationError, NotFoundError
from provgraph.model import DEPENDENCY_RELATIONS, RESPONSIBILITY_RELATIONS, RelationName
from provgraph.store.base import (
    CompactWalk,
    Direction,
    LineageEdge,
    LineageNode,
    Store,
    WalkRow,
)

#: Entity types an impact summary counts, in the order it lists them.
IMPACT_SUMMARY_TYPES = ("Model", "Adapter", "Checkpoint", "Index", "Deployment", "System")


@dataclass
class Lineage:
    """The answer of :func:`ancestry` or :func:`impact`: a subgraph around ``root``."""

    root: str
    direction: Direction
    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[LineageEdge] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        """The ids of the nodes reached (the root is not among them)."""
        return {node.id for node in self.nodes}

    def of_type(self, *types: str) -> list[LineageNode]:
        """The nodes reached whose ``type`` is one of ``types``."""
        return [node for node in self.nodes if node.type in types]

    def summary(self) -> dict[str, list[str]]:
        """Affected models, indexes, deployments and systems, by type (for impact)."""
        found: dict[str | None, list[str]] = {t: [] for t in IMPACT_SUMMARY_TYPES}
        for node in self.nodes:  # one pass: an impact answer can hold 700k nodes
            if node.kind == "entity" and node.type in found:
                found[node.type].append(node.id)
        return {t: sorted(ids) for t, ids in found.items() if ids and t is not None}

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON form (docs/queries.md); impact adds a typed ``summary``."""
        result: dict[str, Any] = {
            "root": self.root,
            "nodes": [node.to_dict() for node in self.nodes],
            "edges": [{"relation": e.relation, "from": e.source, "to": e.target}
                      for e in self.edges],
            "opaque": self.opaque,
        }
        if self.direction == "up":
            result["summary"] = self.summary()
        return result

    def to_json(self, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text, exactly what ``json.dumps(answer.to_dict(),
        ensure_ascii=False)`` writes with ``indent``, or compact (``separators=(",", ":")``,
        as the HTTP API sends it) without. Written directly: an impact holds hundreds of
        thousands of nodes and edges, and building their dicts and encoding them took
        several times as long as the walk (the indented form goes through the encoder's
        Python code).

        >>> answer = Lineage("m", "down", [LineageNode("b", "entity", "Model", 1, False)],
        ...                  [LineageEdge("m", "wasDerivedFrom", "b", "k", None)])
        >>> answer.to_json()
        '{"root":"m","nodes":[{"id":"b","kind":"entity","type":"Model","depth":1,"opaque":false}],"edges":[{"relation":"wasDerivedFrom","from":"m","to":"b"}],"opaque":[]}'
        """
        e = encode_basestring
        # Kinds, types and relations are few: each is encoded once.
        words: dict[str | None, str] = {None: "null"}

        def word(value: str | None) -> str:
            text = words.get(value)
            if text is None:
                text = words[value] = e(value)  # type: ignore[arg-type]
            return text

        colon = ":" if indent is None else ": "
        # An item of the two big lists sits two levels down; its fields one more.
        line = _at(2, indent)  # starts an item, and ends it when indented
        keys = {name: f"{_at(3, indent)}{e(name)}{colon}" for name in (
            "id", "kind", "type", "depth", "opaque", "relation", "from", "to")}
        nodes = [f'{line}{{{keys["id"]}{e(n.id)},{keys["kind"]}{word(n.kind)},'
                 f'{keys["type"]}{word(n.type)},{keys["depth"]}{n.depth},'
                 f'{keys["opaque"]}{"true" if n.opaque else "false"}{line}}}'
                 for n in self.nodes]
        edges = [f'{line}{{{keys["relation"]}{word(edge.relation)},'
                 f'{keys["from"]}{e(edge.source)},{keys["to"]}{e(edge.target)}{line}}}'
                 for edge in self.edges]
        fields = [("root", e(self.root)), ("nodes", _array(nodes, 1, indent)),
                  ("edges", _array(edges, 1, indent)),
                  ("opaque", _array(_strings(self.opaque, 2, indent), 1, indent))]
        if self.direction == "up":
            summary = [f"{_at(2, indent)}{e(name)}{colon}"
                       f"{_array(_strings(ids, 3, indent), 2, indent)}"
                       for name, ids in self.summary().items()]
            fields.append(("summary", "{" + ",".join(summary) + _at(1, indent) + "}"
                           if summary else "{}"))
        return ("{" + ",".join(f"{_at(1, indent)}{e(name)}{colon}{value}"
                               for name, value in fields) + _at(0, indent) + "}")

    def json_lines(self) -> Iterator[str]:
        """The same answer as JSON Lines (NDJSON), one record a line (:func:`json_lines`):
        the nodes by hop count then id, each followed by the edges followed from it."""
        return json_lines(self.root, self.direction, self.rows())

    def rows(self) -> Iterator[WalkRow]:
        """The answer as a walk's rows (:data:`~provgraph.store.base.WalkRow`): the root,
        then each node in order, with the edges followed from it by relation and other end."""
        down = self.direction == "down"
        here, other = (0, 2) if down else (2, 0)  # LineageEdge: source, relation, target
        # One sort puts each node's edges together, by relation and other end (the
        # answer's own order, for an ancestry: found sorted at once); a node's edges are
        # then a slice, made into rows as the node is reached (an impact holds a million).
        edges: list[Any] = sorted(self.edges, key=itemgetter(here, 1, other))
        ends: dict[str, int] = {}
        for i, edge in enumerate(edges):
            ends[edge[here]] = i + 1
        bounds: dict[str, tuple[int, int]] = {}
        start = 0
        for node_id, end in ends.items():
            bounds[node_id] = (start, end)
            start = end

        def leaving(node_id: str) -> list[tuple[str, str]]:
            first, last = bounds.get(node_id, (0, 0))
            return [(e[1], e[other]) for e in edges[first:last]]

        yield (self.root, None, None, down and self.root in self.opaque, 0,
               leaving(self.root))
        for n in self.nodes:
            yield (n.id, n.kind, n.type, n.opaque, n.depth, leaving(n.id))


def _at(level: int, indent: int | None) -> str:
    """What starts a line at ``level`` in JSON indented by ``indent`` (nothing, compact)."""
    return "" if indent is None else "\n" + " " * (indent * level)


def _strings(values: list[str], level: int, indent: int | None) -> list[str]:
    """The items of an array of strings at ``level``, each starting its line."""
    start = _at(level, indent)
    return [start + encode_basestring(value) for value in values]


def _array(items: list[str], level: int, indent: int | None) -> str:
    """A JSON array at ``level`` from its items' text (each starting its own line)."""
    return "[" + ",".join(items) + _at(level, indent) + "]" if items else "[]"


def json_lines(root: str, direction: Direction, rows: Iterable[WalkRow]) -> Iterator[str]:
    """A lineage answer as JSON Lines, written as its rows arrive and never held whole:
    ``{"root": ...}`` first; then for each node reached ``{"node": {...}}`` followed by an
    ``{"edge": {...}}`` for each edge followed from it (``from`` and ``to`` as in the
    answer); last ``{"opaque": [...]}``, with impact's ``"summary"``. The lines hold what
    :meth:`Lineage.to_dict` holds; only their order differs (docs/queries.md)."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    text = encode_basestring  # the same as dumps for one string, without the dispatch
    down = direction == "down"
    yield dumps({"root": root})
    opaque: list[str] = []
    affected: dict[str | None, list[str]] = {t: [] for t in IMPACT_SUMMARY_TYPES}
    # Kinds, types and relations are few: each is encoded once, with the text around it.
    middle: dict[tuple[str | None, str | None], str] = {}
    relation: dict[str, str] = {}
    for node_id, kind, type_, is_opaque, depth, edges in rows:
        name = text(node_id)
        if depth:
            between = middle.get((kind, type_))
            if between is None:
                between = middle[(kind, type_)] = (
                    f',"kind":{"null" if kind is None else text(kind)},'
                    f'"type":{"null" if type_ is None else text(type_)},"depth":')
            yield (f'{{"node":{{"id":{name}{between}{depth},'
                   f'"opaque":{"true" if is_opaque else "false"}}}}}')
            if not down and kind == "entity" and type_ in affected:
                affected[type_].append(node_id)
        if is_opaque and (depth or down):
            opaque.append(node_id)
        for edge in edges:
            head = relation.get(edge[0])
            if head is None:
                head = relation[edge[0]] = f'{{"edge":{{"relation":{text(edge[0])},"from":'
            if down:
                yield f'{head}{name},"to":{text(edge[1])}}}}}'
            else:
                yield f'{head}{text(edge[1])},"to":{name}}}}}'
    last: dict[str, Any] = {"opaque": sorted(opaque)}
    if not down:
        last["summary"] = {t: sorted(ids) for t, ids in affected.items() if ids and t}
    yield dumps(last)


def lineage_lines(
    store: Store, root: str, direction: Direction, *, depth: int | None,
    relations: Iterable[str] | None, include_agents: bool, as_of: int,
) -> Iterator[str]:
    """Ancestry (``down``) or impact (``up``) of ``root`` as :func:`json_lines`, streamed
    from the store's walk where it can (a walk now), else written from the answer built
    whole. Raises NotFoundError (or any error of the arguments) here, before the first
    line; within a hop count the nodes come in the store's order."""
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ConfigurationError(f"depth must be a non-negative integer, got {depth!r}")
    names = relation_set(relations, include_agents)
    rows = store.walk_rows(root, direction, names, depth) if as_of >= NOW else None
    if rows is None:
        return walk(store, root, direction, depth=depth, relations=relations,
                    include_agents=include_agents, as_of=as_of).json_lines()
    first = next(rows, None)
    if first is None:
        raise NotFoundError(f"no node {root!r} in {store.uri}")
    return json_lines(root, direction, chain([first], rows))


def blocks(lines: Iterator[str], size: int = 1 << 16) -> Iterator[str]:
    r"""``lines`` newline-terminated, in blocks of about ``size`` characters, for writing
    a large answer out: a line-buffered terminal or pipe flushes every write, and the HTTP
    server hands each item of a streamed body to a worker thread and sends it as a chunk of
    its own (a line at a time, a 1.7M-line answer took minutes).

    >>> list(blocks(iter(["a", "b", "c"]), size=3))
    ['a\nb\n', 'c\n']
    """
    block: list[str] = []
    length = 0
    for line in lines:
        block.append(line)
        length += len(line) + 1
        if length >= size:
            yield "\n".join(block) + "\n"
            block, length = [], 0
    if block:
        yield "\n".join(block) + "\n"


def relation_set(
    relations: Iterable[str] | None, include_agents: bool
) -> frozenset[str]:
    """The relation names a walk follows: the dependency edges unless told otherwise.

    >>> sorted(relation_set(["used"], include_agents=False))
    ['used']
    """
    if relations is None:
        chosen = set(DEPENDENCY_RELATIONS)
    else:
        chosen = set()
        for name in relations:
            try:
                chosen.add(RelationName(name))
            except ValueError as e:
                valid = ", ".join(sorted(r.value for r in RelationName))
                raise ConfigurationError(f"unknown relation {name!r}; valid: {valid}") from e
    if include_agents:
        chosen |= RESPONSIBILITY_RELATIONS
    return frozenset(r.value for r in chosen)


def _shortest_depths(
    root: str, edges: list[LineageEdge], direction: Direction
) -> dict[str, int]:
    """Hop counts by breadth-first search over the edges the store returned (the answer, not
    the graph): exact, because the store returns every edge leaving an expanded node."""
    step: dict[str, list[str]] = {}
    for edge in edges:
        here, there = (edge.source, edge.target) if direction == "down" else (
            edge.target, edge.source)
        step.setdefault(here, []).append(there)
    depths = {root: 0}
    queue = deque([root])
    while queue:
        here = queue.popleft()
        for there in step.get(here, ()):
            if there not in depths:
                depths[there] = depths[here] + 1
                queue.append(there)
    return depths


def walk(
    store: Store, root: str, direction: Direction, *, depth: int | None,
    relations: Iterable[str] | None, include_agents: bool, as_of: int,
) -> Lineage:
    """Ancestry (``down``) or impact (``up``) of ``root``; raises NotFoundError if absent."""
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ConfigurationError(f"depth must be a non-negative integer, got {depth!r}")
    with collector_paused():
        names = relation_set(relations, include_agents)
        walked = store.walk_now(root, direction, names, depth) if as_of >= NOW else None
        if walked is None:
            if root not in store.kinds([root], as_of):
                raise NotFoundError(f"no node {root!r} in {store.uri}")
            walked = _walk_history(store, root, direction, names, depth, as_of)
        elif not walked.root_known:
            raise NotFoundError(f"no node {root!r} in {store.uri}")
        if walked.answer is not None and walked.opaque is not None:
            nodes, opaque = walked.answer, walked.opaque
        else:
            depths = _shortest_depths(root, walked.edges, direction)
            nodes = sorted(
                (LineageNode(node_id, kind, type_, depths[node_id], is_opaque)
                 for node_id, (kind, type_, is_opaque) in walked.nodes.items()
                 if node_id != root),
                key=attrgetter("depth", "id"))
            # Where the walk stopped: opaque nodes reached, and an opaque root of an ancestry
            # (its own lineage is unknown). An impact walk never stops at one: it lists none.
            opaque = sorted(
                n for n, (_, _, is_opaque) in walked.nodes.items()
                if is_opaque and (n != root or direction == "down")
            )
        # Edges by source, relation, target, key.
        edges = walked.edges if walked.ordered else sorted(walked.edges)
        return Lineage(root=root, direction=direction, nodes=nodes, edges=edges,
                       opaque=opaque)


def _walk_history(store: Store, root: str, direction: Direction, names: frozenset[str],
                  depth: int | None, as_of: int) -> CompactWalk:
    """A walk at any time from the store's traversal and the kinds of the nodes it reached."""
    traversal = store.traverse(root, direction, names, depth, as_of)
    edges = [LineageEdge(e.source, e.relation, e.target, e.key, e.role)
             for e in traversal.edges]
    reached = _shortest_depths(root, edges, direction)
    info = store.kinds(reached, as_of)
    walked = CompactWalk(edges=edges)
    for node_id in reached:
        walked.nodes[node_id] = info.get(node_id, (None, None, False))
    return walked


@dataclass
class ImpactSummary:
    """How much depends on ``root``, by type, and the affected models, adapters, checkpoints,
    indexes, deployments and systems by id: an impact answer without its edges."""

    root: str
    counts: dict[str, int]
    affected: dict[str, list[str]]

    @property
    def total(self) -> int:
        """How many nodes depend on ``root``."""
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"root", "total", "counts": {type: n}, "affected": {type: [ids]}}``
        (a node without a type is counted under its kind)."""
        return {"root": self.root, "total": self.total, "counts": self.counts,
                "affected": self.affected}


def impact_summary(
    store: Store, root: str, *, depth: int | None, relations: Iterable[str] | None,
    include_agents: bool, as_of: int,
) -> ImpactSummary:
    """The summary of ``root``'s impact, counted in the database where the store can (no
    edges are built), else from a full walk; raises NotFoundError if ``root`` is absent."""
    names = relation_set(relations, include_agents)
    if root not in store.kinds([root], as_of):
        raise NotFoundError(f"no node {root!r} in {store.uri}")
    listed = frozenset(IMPACT_SUMMARY_TYPES)
    rows = store.reach_counts(root, "up", names, as_of, listed) if depth is None else None
    if rows is None:
        walked = walk(store, root, "up", depth=depth, relations=relations,
                      include_agents=include_agents, as_of=as_of)
        grouped: dict[tuple[str | None, str | None], list[str]] = {}
        for node in walked.nodes:
            grouped.setdefault((node.kind, node.type), []).append(node.id)
        rows = [(kind, type_, len(ids), [i for i in ids if kind == "entity" and type_ in listed])
                for (kind, type_), ids in grouped.items()]
    counts: dict[str, int] = {}
    affected: dict[str, list[str]] = {}
    for kind, type_, count, ids in rows:
        label = type_ or kind or "unknown"
        counts[label] = counts.get(label, 0) + count
        if ids and type_:
            affected.setdefault(type_, []).extend(ids)
    ordered = {t: sorted(affected[t]) for t in IMPACT_SUMMARY_TYPES if t in affected}
    return ImpactSummary(root, dict(sorted(counts.items())), ordered)


def entities(store: Store, ids: Iterable[str], as_of: int, purpose: str) -> dict[str, Any]:
    """The stored versions of ``ids``, which must be entities: NotFoundError for an unknown
    id, ConfigurationError (saying ``purpose``) for an activity or agent."""
    wanted = list(dict.fromkeys(ids))
    found = store.nodes(wanted, as_of)
    for node_id in wanted:
        if node_id not in found:
            raise NotFoundError(f"no node {node_id!r} in {store.uri}")
        if found[node_id].kind != "entity":
            raise ConfigurationError(f"{node_id!r} is an {found[node_id].kind}: {purpose}")
    return found
