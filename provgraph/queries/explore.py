"""What the lineage explorer (``provgraph serve``, page ``/``) asks of a store: a search box,
a capped neighbourhood to draw, and the times of the chain for its as-of slider.

The neighbourhood is a lineage walk (so it means what ancestry and impact mean, on both
backends, at any ``as_of``) whose fan-out is capped: each node shows at most ``limit`` of its
neighbours, in id order, and counts the rest, so that a page never tries to draw a hub's ten
thousand dependents.

>>> import provgraph
>>> from provgraph.clock import NOW
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest(provgraph.demo.reference_events())
>>> view = neighbourhood(g.store, "M1", direction="down", depth=1, limit=1, offset=0, as_of=NOW)
>>> [n["id"] for n in view["nodes"]], view["more"]
(['M1', 'B'], {'down': {'M1': 1}})
"""

from __future__ import annotations

from typing import Any, Literal

from provgraph.clock import NOW, to_iso
from provgraph.errors import ConfigurationError, NotFoundError
from provgraph.queries.lineage import Lineage, walk
from provgraph.store.base import Direction, Store

MAX_LIMIT = 500
"""The most neighbours of one node a neighbourhood shows at once."""


def search(store: Store, text: str, as_of: int, limit: int = 20) -> list[dict[str, Any]]:
    """Nodes whose id starts with ``text``, or whose type is ``text`` as written or with a
    capital first letter (``model`` finds ``Model``s)."""
    text = text.strip()
    if not text:
        return []
    found = store.search(text, {text, text[:1].upper() + text[1:]}, as_of,
                         min(limit, MAX_LIMIT))
    return [{"id": node_id, "kind": kind, "type": type_, "opaque": opaque}
            for node_id, (kind, type_, opaque) in found]


def neighbourhood(
    store: Store, root: str, *, direction: Literal["down", "up", "both"], depth: int,
    limit: int, offset: int, as_of: int,
) -> dict[str, Any]:
    """The nodes within ``depth`` hops of ``root`` (``down``: what it rests on, ``up``: what
    rests on it, ``both``), each node showing at most ``limit`` neighbours after skipping the
    first ``offset`` of the root's; ``more`` counts, per direction and node, the neighbours
    after those shown (the next page starts there).
    Agents are included (who trained a model is part of how it was made)."""
    if depth < 0 or limit < 1 or offset < 0:
        raise ConfigurationError("depth and offset must be ≥ 0 and limit ≥ 1")
    limit = min(limit, MAX_LIMIT)
    ways: list[Direction] = ["down", "up"] if direction == "both" else [direction]
    known = store.kinds([root], as_of)
    if root not in known:
        raise NotFoundError(f"no node {root!r} in {store.uri}")
    kind, type_, opaque = known[root]
    shown = {root: {"id": root, "kind": kind, "type": type_, "depth": 0, "opaque": opaque}}
    edges: dict[tuple[str, str, str, str | None], dict[str, Any]] = {}
    more: dict[str, dict[str, int]] = {}
    for way in ways:
        answer = walk(store, root, way, depth=depth, relations=None,
                      include_agents=way == "down", as_of=as_of)
        more[way] = {}
        _capped(answer, limit, offset, shown, edges, more[way])
    return {
        "root": root, "direction": direction, "depth": depth,
        "as_of": None if as_of >= NOW else to_iso(as_of),
        "nodes": list(shown.values()), "edges": list(edges.values()), "more": more,
    }


def _capped(answer: Lineage, limit: int, offset: int, shown: dict[str, dict[str, Any]],
            edges: dict[tuple[str, str, str, str | None], dict[str, Any]],
            more: dict[str, int]) -> None:
    """Add to ``shown``/``edges``/``more`` the part of ``answer`` reachable from its root
    through at most ``limit`` neighbours a node (the root's after ``offset``)."""
    down = answer.direction == "down"
    step: dict[str, list[str]] = {}
    for e in answer.edges:
        here, there = (e.source, e.target) if down else (e.target, e.source)
        step.setdefault(here, []).append(there)
    info = {n.id: n for n in answer.nodes}
    root = answer.root
    frontier, kept = [root], {root}
    while frontier:
        following: list[str] = []
        for here in frontier:
            near = sorted(set(step.get(here, ())) - {root})
            start = offset if here == root else 0
            chosen = near[start:start + limit]
            hidden = max(len(near) - start - limit, 0)  # after this page
            if hidden:
                more[here] = more.get(here, 0) + hidden
            for there in chosen:
                if there not in kept:
                    kept.add(there)
                    following.append(there)
        frontier = following
    for node_id in sorted(kept - {root}, key=lambda n: (info[n].depth, n)):
        node = info[node_id]
        depth = node.depth if down else -node.depth
        if node_id not in shown or abs(depth) < abs(shown[node_id]["depth"]):
            shown[node_id] = {"id": node_id, "kind": node.kind, "type": node.type,
                              "depth": depth, "opaque": node.opaque}
    for e in answer.edges:
        if e.source in kept and e.target in kept:
            edges[(e.source, e.relation, e.target, e.role)] = {
                "relation": e.relation, "from": e.source, "to": e.target, "role": e.role}


def timeline(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    """When the chain's entries were recorded (about ``limit`` spread over it): the times an
    as-of view can show, each with what the graph held then."""
    return [{"seq": seq, "recorded_at": to_iso(at)} for seq, at in store.log.times(limit)]
