"""Property: on random lineage graphs (cycles, opaque nodes, member-level edges, non-dependency
relations), ancestry and impact equal a plain networkx computation, on every backend, both as
things stand now and at an explicit time."""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provgraph.clock import NOW
from provgraph.graph import Graph
from provgraph.model import DEPENDENCY_RELATIONS
from tests.json_lines import streamed_answer

_counter = itertools.count()

# Relations allowed between (from-kind, to-kind), dependency or not.
CHOICES = {
    ("entity", "entity"): ["wasDerivedFrom", "hadMember", "alternateOf", "specializationOf"],
    ("entity", "activity"): ["wasGeneratedBy", "wasInvalidatedBy"],
    ("activity", "entity"): ["used", "used-members"],
    ("activity", "activity"): ["wasInformedBy"],
}
DEPENDENCY = {r.value for r in DEPENDENCY_RELATIONS}
DEPENDENCY_RELATIONS_NAMES = frozenset(DEPENDENCY)
LATER = "2200-01-01T00:00:00Z"  # after every write, but an explicit as_of: the history path


@st.composite
def lineage_graphs(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(min_value=1, max_value=12))
    kinds = draw(st.lists(st.sampled_from(["entity", "activity"]), min_size=size,
                          max_size=size))
    opaque = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    pairs = draw(st.lists(
        st.tuples(st.integers(0, size - 1), st.integers(0, size - 1), st.integers(0, 3)),
        max_size=size * 3))
    # One relation per (from, relation, to): a later one replaces an earlier one, as in a batch.
    edges: dict[tuple[int, int, str], str] = {}
    for a, b, pick in pairs:
        if a == b:
            continue
        options = CHOICES[(kinds[a], kinds[b])]
        chosen = options[pick % len(options)]
        edges[(a, b, chosen.removesuffix("-members"))] = chosen
    return {
        "kinds": kinds,
        "opaque": [o and k == "entity" for o, k in zip(opaque, kinds, strict=True)],
        "edges": [(a, b, chosen) for (a, b, _), chosen in edges.items()],
        "root": draw(st.integers(0, size - 1)),
        "depth": draw(st.one_of(st.none(), st.integers(0, 4))),
    }


def _ingest(
    graph: Graph, spec: dict[str, Any]
) -> tuple[str, nx.DiGraph, set[tuple[str, str, str]]]:
    prefix = f"g{next(_counter)}:"
    name = [f"{prefix}{i}" for i in range(len(spec["kinds"]))]
    nodes = [{"id": name[i], "kind": k, "opaque": spec["opaque"][i]}
             for i, k in enumerate(spec["kinds"])]
    relations = []
    followed = nx.DiGraph()
    followed.add_nodes_from(name)
    followable = set()
    for a, b, relation in spec["edges"]:
        members = relation == "used-members"
        relation = "used" if members else relation
        row: dict[str, Any] = {"relation": relation, "from": name[a], "to": name[b]}
        if members:
            row["granularity"] = "members"
        relations.append(row)
        if relation in DEPENDENCY and not members and not spec["opaque"][a]:
            followed.add_edge(name[a], name[b])
            followable.add((name[a], relation, name[b]))
    graph.ingest({"id": f"{prefix}event", "nodes": nodes, "relations": relations})
    return name[spec["root"]], followed, followable


def _expected(root: str, g: nx.DiGraph, followable: set[tuple[str, str, str]],
              depth: int | None) -> tuple[dict[str, int], set[tuple[str, str, str]]]:
    hops = nx.single_source_shortest_path_length(g, root, cutoff=depth)
    expanded = {n for n, d in hops.items() if depth is None or d < depth}
    edges = {e for e in followable if e[0] in expanded}
    return {n: d for n, d in hops.items() if n != root}, edges


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=lineage_graphs())
def test_walks_equal_networkx(graph: Graph, spec: dict[str, Any]) -> None:
    root, g, followable = _ingest(graph, spec)
    depth = spec["depth"]
    hops, edges = _expected(root, g, followable, depth)
    reverse = g.reverse(copy=True)
    flipped = {(b, r, a) for a, r, b in followable}
    hops_up, edges_up = _expected(root, reverse, flipped, depth)
    # Now (the store's structure for the present: SQLite's adjacency index, Neo4j's
    # projection) and at a later time given explicitly (the version history).
    for as_of in (None, LATER):
        down = graph.ancestry(root, depth=depth, as_of=as_of)
        assert {n.id: n.depth for n in down.nodes} == hops
        assert {(e.source, e.relation, e.target) for e in down.edges} == edges

        up = graph.impact(root, depth=depth, as_of=as_of)
        assert {n.id: n.depth for n in up.nodes} == hops_up
        assert {(e.target, e.relation, e.source) for e in up.edges} == edges_up

        # The same answers as JSON Lines, streamed from the store's walk now and written
        # from the answer built whole at an explicit time.
        for whole, lines in ((down, graph.ancestry_lines(root, depth=depth, as_of=as_of)),
                             (up, graph.impact_lines(root, depth=depth, as_of=as_of))):
            assert streamed_answer(list(lines), whole.direction) == whole.to_dict()
    # The stores stream these walks now rather than build them whole.
    assert graph.store.walk_rows(root, "down", DEPENDENCY_RELATIONS_NAMES, depth) is not None


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=lineage_graphs(), picks=st.lists(st.integers(0, 11), min_size=1, max_size=4))
def test_a_closure_is_the_union_of_its_roots_walks(graph: Graph, spec: dict[str, Any],
                                                   picks: list[int]) -> None:
    # What takedown walks once from everything downstream of a removal.
    root, g, followable = _ingest(graph, spec)
    prefix = root.rsplit(":", 1)[0] + ":"
    roots = {f"{prefix}{i % len(spec['kinds'])}" for i in picks}
    store = graph.store
    for direction, reference in (("down", g), ("up", g.reverse(copy=True))):
        walked = store.closure(roots, direction, DEPENDENCY_RELATIONS_NAMES, NOW)
        expected = set(roots).union(*(nx.descendants(reference, r) for r in roots))
        assert walked.nodes == expected
        edges = {(e.source, e.relation, e.target) for e in walked.edges}
        assert edges == {e for e in followable
                         if (e[0] if direction == "down" else e[2]) in expected}
        union = [store.traverse(r, direction, DEPENDENCY_RELATIONS_NAMES, None, NOW)
                 for r in sorted(roots)]
        assert walked.nodes == set().union(*(t.nodes for t in union))
        assert sorted(e.key for e in walked.edges) == sorted(
            {e.key for t in union for e in t.edges})
