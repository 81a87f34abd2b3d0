"""Walks "now" read a structure the store keeps beside the history (on Neo4j, the current
projection); walks at a past time read the history. Both must answer the same, verify must
notice the structure edited behind provgraph's back, and a store written before it existed
is upgraded on connect."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

import provgraph
from provgraph.clock import FOREVER
from provgraph.graph import Graph
from provgraph.store import neo4j as neo4j_store

LATER = datetime(2200, 1, 1, tzinfo=timezone.utc)  # after every write: the history path


def _every_walk(graph: Graph, as_of: Any, depths: tuple[int | None, ...] = (None,),
                ) -> dict[tuple[str, str, bool, int | None], Any]:
    answers = {}
    for node_id in graph.store.ids(2**62):
        for name in ("ancestry", "impact"):
            for agents in (False, True):
                for depth in depths:
                    query = graph.ancestry if name == "ancestry" else graph.impact
                    answers[(node_id, name, agents, depth)] = query(
                        node_id, as_of=as_of, include_agents=agents, depth=depth).to_dict()
    return answers


def test_walks_now_equal_walks_of_the_history(graph: Graph) -> None:
    graph.ingest(provgraph.demo.demo_events())
    # A correction, a retraction and a node turned opaque, so the projection has moved.
    graph.ingest({"id": "fix-1", "nodes": [{"id": "M1", "kind": "entity", "type": "Model",
                                            "opaque": True}],
                  "retract": {"relations": [{"relation": "used", "from": "d1", "to": "clean@1"}]}})
    # Bounded walks too: they walk the structure a level at a time (the explorer's views).
    now = _every_walk(graph, None, depths=(None, 0, 1, 2))
    assert now == _every_walk(graph, LATER, depths=(None, 0, 1, 2))
    assert now[("S1-int8", "ancestry", False, None)]["opaque"] == ["M1"]
    for name in ("ancestry", "impact"):  # the bounds cut somewhere
        assert any(now[(n, name, False, 1)] != now[(n, name, False, None)] for n, *_ in now)
    assert graph.ancestry("S1", depth=1).to_dict() == graph.ancestry("S1", depth=1,
                                                                     as_of=LATER).to_dict()
    assert graph.impact("B", relations=["wasDerivedFrom"]).to_dict() == graph.impact(
        "B", relations=["wasDerivedFrom"], as_of=LATER).to_dict()


@pytest.mark.parametrize("backend", ["neo4j"])
def test_answers_split_over_many_records_come_out_whole(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    # A walk's answer comes from the server in records of a few thousand nodes; with two
    # nodes a record every answer of the demo spans several, and must not change.
    graph.ingest(provgraph.demo.demo_events())
    whole = _every_walk(graph, None)
    monkeypatch.setattr(neo4j_store, "_WALK_CHUNK", 2)
    assert len(graph.store._query("impact_now", root="B", forever=FOREVER, chunk=2)) > 3
    assert _every_walk(graph, None) == whole


def test_keys_roles_and_explicit_ids_survive_the_structure_for_now(graph: Graph) -> None:
    # The structure for now keeps a relation's key only where it cannot be computed from
    # the relation, its ends and role (an explicit id); every key must still come out whole.
    nodes = [{"id": i, "kind": "entity"} for i in ("m", "base", "data", "odd:id->x#y")]
    graph.ingest({"id": "k1", "nodes": nodes, "relations": [
        {"relation": "wasDerivedFrom", "from": "m", "to": "base", "role": "base model"},
        {"relation": "wasDerivedFrom", "from": "m", "to": "base", "id": "second-derivation"},
        {"relation": "wasDerivedFrom", "from": "m", "to": "data"},
        {"relation": "wasDerivedFrom", "from": "m", "to": "odd:id->x#y", "role": "a#b"},
        {"relation": "wasDerivedFrom", "from": "odd:id->x#y", "to": "data", "id": "x@y"}]})
    # A corrected relation (new attributes, same key) replaces its projected edge.
    graph.ingest({"id": "k2", "relations": [
        {"relation": "wasDerivedFrom", "from": "m", "to": "base", "id": "second-derivation",
         "attributes": {"note": "corrected"}}]})
    assert _every_walk(graph, None) == _every_walk(graph, LATER)
    for root, walk in (("m", graph.ancestry), ("data", graph.impact)):
        assert walk(root).edges == walk(root, as_of=LATER).edges
    edges = graph.ancestry("m").edges
    assert [e.role for e in edges if e.source == "m" and e.target != "data"] == [
        "base model", None, "a#b"]
    assert sorted(e.key for e in edges) == sorted([
        "wasDerivedFrom:m->base#base model", "wasDerivedFrom:m->base@second-derivation",
        "wasDerivedFrom:m->data", "wasDerivedFrom:m->odd:id->x#y#a#b",
        "wasDerivedFrom:odd:id->x#y->data@x@y"])
    assert graph.verify().ok


def _cypher(graph: Graph, text: str) -> None:
    store: Any = graph.store
    with store._driver.session(database=store.database) as session:
        session.run(text).consume()


@pytest.mark.parametrize("backend", ["neo4j"])
def test_verify_names_projection_edges_added_or_removed(reference: Graph) -> None:
    assert reference.verify().ok
    _cypher(reference, "MATCH (a:PGNode {id: 'M1'}), (b:PGNode {id: 's2'})"
                       " CREATE (a)-[:PG_DEP {rel: 'used', key: 'forged', role: null}]->(b)")
    _cypher(reference, "MATCH (:PGNode {id: 'q1'})-[p:PG_DEP {rel: 'used'}]->() DELETE p")
    problems = reference.verify().problems
    assert any("node 'M1': projected edge" in p and "forged" in p and "not in the history" in p
               for p in problems)
    assert any("node 'q1': projected edge" in p and "missing" in p for p in problems)


@pytest.mark.parametrize("backend", ["neo4j"])
def test_a_store_without_the_projection_is_upgraded_on_connect(
        reference: Graph, neo4j_server: dict[str, Any]) -> None:
    before = reference.ancestry("S1-int8").to_dict()
    _cypher(reference, "MATCH ()-[p:PG_DEP|PG_RESP|PG_REL]->() DELETE p")
    _cypher(reference, "MATCH (m:PGMeta) DELETE m")
    assert reference.verify().problems  # the history says edges are missing
    options = dict(neo4j_server)
    with provgraph.connect(options.pop("uri"), **options) as upgraded:
        assert upgraded.ancestry("S1-int8").to_dict() == before
        assert upgraded.verify().ok


@pytest.mark.parametrize("backend", ["neo4j"])
def test_a_format_1_store_loses_its_key_and_clock_nodes_on_connect(
        reference: Graph, neo4j_server: dict[str, Any]) -> None:
    # What the previous version kept beside the history: one key node per relation holding
    # its current version, a clock node, and their constraints.
    _cypher(reference, "CREATE CONSTRAINT pg_relation_key IF NOT EXISTS"
                       " FOR (k:PGRelation) REQUIRE k.key IS UNIQUE")
    _cypher(reference, "MATCH ()-[r]->() WHERE r.key IS NOT NULL AND NOT type(r) STARTS WITH 'PG_'"
                       " WITH r.key AS key, max(r.version) AS version"
                       " CREATE (:PGRelation {key: key, version: version, retracted: false})")
    _cypher(reference, "CREATE (:PGClock {id: 'clock', last: 1})")
    _cypher(reference, "MATCH (m:PGMeta) SET m.version = 1")
    before = reference.ancestry("S1-int8").to_dict()
    options = dict(neo4j_server)
    with provgraph.connect(options.pop("uri"), **options) as upgraded:
        store: Any = upgraded.store
        left = store._driver.execute_query(
            "MATCH (k) WHERE k:PGRelation OR k:PGClock RETURN count(k) AS n").records[0]["n"]
        assert left == 0
        names = [r["name"] for r in store._driver.execute_query("SHOW CONSTRAINTS").records]
        assert "pg_relation_key" not in names
        assert upgraded.ancestry("S1-int8").to_dict() == before
        # A relation corrected after the upgrade gets the next version, as before it.
        upgraded.ingest({"id": "after-upgrade", "relations": [
            {"relation": "used", "from": "d1", "to": "clean@1", "role": "training_data",
             "attributes": {"note": "checked"}}]})
        versions = store._driver.execute_query(
            "MATCH (:PGNode {id: 'd1'})-[r:used]->(:PGNode {id: 'clean@1'})"
            " RETURN r.version AS v, r.superseded_at < $forever AS ended ORDER BY v",
            forever=FOREVER).records
        assert [(r["v"], r["ended"]) for r in versions] == [(1, True), (2, False)]
        assert upgraded.verify().ok


def test_impact_summary_counts_what_a_full_impact_reaches(graph: Graph) -> None:
    graph.ingest(provgraph.demo.demo_events())
    for node_id in graph.store.ids(2**62):
        for as_of in (None, LATER):
            full = graph.impact(node_id, as_of=as_of)
            counted = graph.impact(node_id, as_of=as_of, summary=True)
            expected: dict[str, int] = {}
            for node in full.nodes:
                label = node.type or node.kind or "unknown"
                expected[label] = expected.get(label, 0) + 1
            assert counted.counts == expected, node_id
            assert counted.affected == full.summary(), node_id
            assert counted.total == len(full.nodes)
    assert graph.impact("s1", depth=1, summary=True).total == len(graph.impact("s1", depth=1)
                                                                   .nodes)


def test_impact_summary_follows_types_and_opacity_that_change(graph: Graph) -> None:
    # The summary counts by what a node is now: a model re-typed as a checkpoint, a node
    # turned opaque and back, and an activity and an entity sharing a type name.
    graph.ingest({"id": "t1", "nodes": [
        {"id": "base", "kind": "entity", "type": "Model"},
        {"id": "ft", "kind": "entity", "type": "Model"},
        {"id": "deploy", "kind": "activity", "type": "Deployment"},
        {"id": "endpoint", "kind": "entity", "type": "Deployment"},
        {"id": "note", "kind": "entity"}],
        "relations": [
            {"relation": "wasDerivedFrom", "from": "ft", "to": "base"},
            {"relation": "used", "from": "deploy", "to": "ft"},
            {"relation": "wasGeneratedBy", "from": "endpoint", "to": "deploy"},
            {"relation": "wasDerivedFrom", "from": "note", "to": "ft"}]})
    first = graph.impact("base", summary=True)
    assert first.counts == {"Deployment": 2, "Model": 1, "entity": 1}
    assert first.affected == {"Model": ["ft"], "Deployment": ["endpoint"]}
    graph.ingest({"id": "t2", "nodes": [
        {"id": "ft", "kind": "entity", "type": "Checkpoint"},
        {"id": "note", "kind": "entity", "type": "Model"},
        {"id": "endpoint", "kind": "entity", "type": "Deployment", "opaque": True}]})
    # An opaque node's own dependencies are unknown: the impact walk no longer reaches it.
    second = graph.impact("base", summary=True)
    assert second.counts == {"Checkpoint": 1, "Deployment": 1, "Model": 1}
    assert second.affected == {"Model": ["note"], "Checkpoint": ["ft"]}
    graph.ingest({"id": "t3", "nodes": [
        {"id": "endpoint", "kind": "entity", "type": "Deployment"}]})
    third = graph.impact("base", summary=True)
    assert third.counts == {"Checkpoint": 1, "Deployment": 2, "Model": 1}
    for as_of in (None, LATER):
        full = graph.impact("base", as_of=as_of)
        assert graph.impact("base", summary=True, as_of=as_of).affected == full.summary()
    assert graph.verify().ok


def test_any_type_is_counted_as_itself(graph: Graph) -> None:
    # A type is free text; on Neo4j it also becomes part of a label, which may not hold NUL.
    odd = ["Model\x00", "a\\b", "a\\0", "\\", "`x`", "模型", "PG:entity:Model", "a b:c"]
    graph.ingest({"id": "odd", "nodes": [{"id": "base", "kind": "entity", "type": "Model"}] + [
        {"id": f"n{i}", "kind": "entity", "type": t} for i, t in enumerate(odd)], "relations": [
        {"relation": "wasDerivedFrom", "from": f"n{i}", "to": "base"} for i in range(len(odd))]})
    summary = graph.impact("base", summary=True)
    assert summary.counts == {t: 1 for t in odd}
    assert summary.affected == graph.impact("base").summary() == {}
    # Walks read kind, type and opacity from the labels on Neo4j: each comes back as itself,
    # whole and streamed.
    expected = {f"n{i}": ("entity", t, False) for i, t in enumerate(odd)}
    assert {n.id: (n.kind, n.type, n.opaque) for n in graph.impact("base").nodes} == expected
    lines = [json.loads(line) for line in graph.impact_lines("base")]
    assert {d["node"]["id"]: (d["node"]["kind"], d["node"]["type"], d["node"]["opaque"])
            for d in lines if "node" in d} == expected
    assert [(n.id, n.type) for n in graph.ancestry("n3").nodes] == [("base", "Model")]
    graph.ingest({"id": "odd-opaque", "nodes": [
        {"id": "n0", "kind": "entity", "type": odd[0], "opaque": True, "opaque_reason": "x"},
        {"id": "top", "kind": "activity"}], "relations": [
        {"relation": "used", "from": "top", "to": "n0"}]})
    ancestry = graph.ancestry("top")
    assert [(n.id, n.kind, n.type, n.opaque) for n in ancestry.nodes] == [
        ("n0", "entity", odd[0], True)]
    assert ancestry.opaque == ["n0"]
    assert graph.verify().ok


def _unlabel(graph: Graph) -> None:
    _cypher(graph, "MATCH (n:PGNode) CALL (n) { WITH n, [x IN labels(n) WHERE x STARTS WITH"
                   " 'PG:'] AS pg FOREACH (x IN pg | REMOVE n:$(x)) } REMOVE n:PGOpaque")


@pytest.mark.parametrize("backend", ["neo4j"])
def test_verify_names_labels_changed_outside_provgraph(reference: Graph) -> None:
    assert reference.verify().ok
    _cypher(reference, "MATCH (n:PGNode {id: 'B'}) REMOVE n:PGOpaque")
    _cypher(reference, "MATCH (n:PGNode {id: 'M1'}) REMOVE n:`PG:entity:Model`"
                       " SET n:`PG:entity:Dataset`")
    _cypher(reference, "MATCH (n:PGNode {id: 's2'}) SET n:`PG:entity:Model`")
    problems = reference.verify().problems
    for node_id in ("B", "M1", "s2"):
        assert any(f"node {node_id!r}: labels" in p and "outside provgraph" in p
                   for p in problems), (node_id, problems)
    assert len([p for p in problems if ": labels " in p]) == 3


@pytest.mark.parametrize("backend", ["neo4j"])
def test_a_format_2_store_gets_its_labels_on_connect(
        reference: Graph, neo4j_server: dict[str, Any]) -> None:
    before = reference.impact("B", summary=True).to_dict()
    _unlabel(reference)
    _cypher(reference, "MATCH (m:PGMeta {id: 'projection'}) SET m.version = 2")
    assert not reference.verify().ok
    options = dict(neo4j_server)
    with provgraph.connect(options.pop("uri"), **options) as upgraded:
        store: Any = upgraded.store
        opaque = store._driver.execute_query(
            "MATCH (n:PGOpaque) RETURN collect(n.id) AS ids").records[0]["ids"]
        assert sorted(opaque) == sorted(
            i for i, (_, _, is_opaque) in store.kinds(list(store.ids(2**62)), 2**62).items()
            if is_opaque)
        assert upgraded.impact("B", summary=True).to_dict() == before
        assert upgraded.verify().ok
