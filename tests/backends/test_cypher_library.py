"""Every file of cypher/ runs against the real Neo4j, and its rows are checked.

The files the backend runs are exercised by the conformance suite; the queries written for
Neo4j users are run here on the demo lineage (the reference example plus the sample).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import provgraph
from provgraph import EventBuilder, cypher_library
from provgraph.graph import Graph
from tests.conftest import wipe_neo4j

BACKEND_SOURCE = "".join((Path(provgraph.__file__).parent / "store" / name).read_text()
                         for name in ("neo4j.py", "neo4j_chain.py"))
USER_QUERIES = {
    "impact_summary", "models_trained_on", "deployed_without_approval",
    "models_reaching_opaque", "systems_containing",
}


def test_every_cypher_file_is_run_by_the_backend_or_tested_here() -> None:
    for name in cypher_library.names():
        used = f'"{name}"' in BACKEND_SOURCE or name in USER_QUERIES
        if name.endswith(("_edges", "_step", "_now_agents")):
            # loaded as f"{name}_edges" / f"{name}_step" by Neo4jStore.traverse, and
            # name + "_agents" by Neo4jStore.walk_now
            used = True
        assert used, f"cypher/{name}.cypher is neither run by the backend nor tested"
    assert set(cypher_library.names()) >= USER_QUERIES


@pytest.fixture(scope="module")
def demo_neo4j(neo4j_server: dict[str, Any]) -> Iterator[Graph]:
    options = dict(neo4j_server)
    g = provgraph.connect(options.pop("uri"), **options)
    wipe_neo4j(g)
    g.ingest(provgraph.demo.demo_events())
    shadow = EventBuilder("shadow-deploy")
    shadow.activity("run:deploy-shadow", "Deployment")
    shadow.entity("deploy:shadow", "Deployment")
    shadow.used("run:deploy-shadow", "M1", role="model")
    shadow.generated("deploy:shadow", "run:deploy-shadow")
    g.ingest(shadow.build())
    yield g
    g.close()


def rows(graph: Graph, name: str, **params: Any) -> list[dict[str, Any]]:
    store: Any = graph.store
    records, _, _ = store._driver.execute_query(cypher_library.load(name), params,
                                                database_=store.database)
    return [record.data() for record in records]


def test_impact_summary_matches_the_api(demo_neo4j: Graph) -> None:
    for root in ("B", "s1", "repo@abc", "model:foundation-7b", "dataset:instruct@2"):
        expected = sorted(
            ({"type": n.type, "id": n.id, "hops": n.depth}
             for n in demo_neo4j.impact(root).nodes
             if n.kind == "entity" and n.type in
             ("Model", "Adapter", "Checkpoint", "Index", "Deployment", "System")),
            key=lambda r: (r["type"], r["id"]),
        )
        assert rows(demo_neo4j, "impact_summary", id=root) == expected
    assert rows(demo_neo4j, "impact_summary", id="B") == [
        {"type": "Deployment", "id": "deploy:shadow", "hops": 3},
        {"type": "Index", "id": "I", "hops": 4},
        {"type": "Model", "id": "M1", "hops": 1},
        {"type": "Model", "id": "S1", "hops": 2},
        {"type": "Model", "id": "S1-int8", "hops": 3},
        {"type": "System", "id": "R", "hops": 4},
    ]


def test_models_trained_on_records(demo_neo4j: Graph) -> None:
    found = rows(demo_neo4j, "models_trained_on", ids=["s1", "s2"])
    assert [(r["model"], r["record"]) for r in found] == [
        ("M1", "s1"), ("S1", "s1"), ("S1-int8", "s1")]


def test_deployed_without_approval(demo_neo4j: Graph) -> None:
    assert rows(demo_neo4j, "deployed_without_approval") == [{"deployment": "deploy:shadow"}]


def test_models_reaching_opaque_matches_the_api(demo_neo4j: Graph) -> None:
    found = {(r["model"], r["opaque_node"], r["hops"])
             for r in rows(demo_neo4j, "models_reaching_opaque")}
    expected = set()
    for model in ("B", "M1", "S1", "S1-int8", "model:foundation-7b", "model:acme-7b-code",
                  "model:acme-7b-instruct", "model:acme-7b-med", "model:acme-7b-merged",
                  "model:acme-1b", "model:acme-1b-int8", "model:acme-1b-int4",
                  "model:embed-small"):
        lineage = demo_neo4j.ancestry(model)
        depth = {n.id: n.depth for n in lineage.nodes} | {model: 0}
        expected |= {(model, o, depth[o]) for o in lineage.opaque}
    assert found == expected
    assert ("S1-int8", "B", 3) in found and ("model:embed-small", "model:embed-small", 0) in found


def test_systems_containing(demo_neo4j: Graph) -> None:
    assert rows(demo_neo4j, "systems_containing", id="M1") == [
        {"system": "R", "model": "S1-int8"}]
    assert rows(demo_neo4j, "systems_containing", id="model:foundation-7b") == [
        {"system": "system:support-bot", "model": "model:acme-1b-int4"}]
    assert rows(demo_neo4j, "systems_containing", id="s2") == []


# Queries whose job is to read everything (verify's scans); every other query must start from
# an index and never plan a shortest-path search: hop counts come from one breadth-first
# search keeping depths (`min(length(p))`, see impact_summary.cypher), which at 1M nodes
# answers in seconds where `ANY SHORTEST` to each node reached did not finish in minutes.
FULL_SCANS = {"scan_events", "scan_node_versions", "scan_relationships", "verify_node_intervals",
              "verify_relation_intervals", "verify_opaque", "verify_projection",
              "verify_labels",
              "upgrade_drop_keys"}  # deletes what stores written before format 2 kept
BAD_OPERATORS = ("NodeByLabelScan", "AllNodesScan", "AllRelationshipsScan",
                 "StatefulShortestPath")


def _operators(plan: Any) -> Iterator[str]:
    operator = plan["operatorType"].split("@")[0]
    # A scan of a label that mirrors a kind and type (`PG:entity:Deployment`) or opacity
    # (PGOpaque) reads only those nodes, as an index seek on them would.
    details = str(plan.get("args", {}).get("Details", ""))
    if not (operator == "NodeByLabelScan" and ("`PG:" in details or ":PGOpaque" in details)):
        yield operator
    for child in plan.get("children", []):
        yield from _operators(child)


def test_no_library_query_scans_the_whole_graph(demo_neo4j: Graph) -> None:
    driver: Any = demo_neo4j.store._driver  # type: ignore[attr-defined]
    params = {"ids": [], "id": "x", "root": "x", "relations": [], "as_of": 1, "t": 1,
              "forever": 1, "rows": [], "after": "", "limit": 1, "seq": 1, "prev": "x",
              "body": "x", "hash": "x", "max_depth": 3, "dataset": "x", "model": "x",
              "system": "x", "events": [], "nodes": [], "chain": None, "times": [1],
              "batch": {"events": [], "nodes": [], "relations": [], "refs": [], "whole": [],
                        "chain": None}}
    found = {}
    for name in cypher_library.names():
        if name in ("schema", "upgrade_drop_constraints") or name in FULL_SCANS:
            continue
        plan = driver.execute_query("EXPLAIN " + cypher_library.load(name), params).summary.plan
        bad = [op for op in _operators(plan) if any(name in op for name in BAD_OPERATORS)]
        if bad:
            found[name] = bad
    assert found == {}


def _cached_plans(driver: Any) -> int:
    """How many plans the server had cached, clearing them."""
    message = driver.execute_query("CALL db.clearQueryCaches()").records[0][0]
    return int(message.split(" of ")[1].split()[0]) if " of " in message else 0


@pytest.mark.parametrize("backend", ["neo4j"])
def test_a_write_is_planned_once_whatever_its_shape(graph: Graph) -> None:
    # Neo4j caches a plan per set of parameter types, and an empty list is a type of its
    # own: with one list parameter each for events, nodes, relations and checks, batches of
    # other shapes were planned again (0.6-0.8 s each on a warm server, seconds on a cold
    # one). The write statements take their lists in one map, planned once.
    driver: Any = graph.store._driver  # type: ignore[attr-defined]
    graph.ingest({"id": "warm", "nodes": [{"id": "a", "kind": "entity"}]})
    _cached_plans(driver)
    graph.ingest({"id": "nodes", "nodes": [{"id": "b", "kind": "entity"}]})
    assert _cached_plans(driver) == 2  # write_read and write_batch
    graph.ingest({"id": "nodes-again", "nodes": [{"id": "c", "kind": "entity"}]})
    graph.ingest({"id": "both", "nodes": [{"id": "d", "kind": "entity"}], "relations": [
        {"relation": "wasDerivedFrom", "from": "d", "to": "a"}]})
    graph.ingest({"id": "relations", "relations": [
        {"relation": "wasDerivedFrom", "from": "c", "to": "b"}]})
    graph.ingest({"id": "nothing-new", "nodes": [{"id": "a", "kind": "entity"}]})
    assert _cached_plans(driver) == 2
    assert graph.ancestry("d").ids == {"a"} and graph.ancestry("c").ids == {"b"}
