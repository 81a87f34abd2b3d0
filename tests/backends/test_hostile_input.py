"""Ids, types and values with quotes, backticks, braces, comments or Cypher keywords are stored
and returned verbatim and never change a query, on every backend."""

from __future__ import annotations

import pytest

from provgraph.graph import Graph

HOSTILE = [
    "model:'); MATCH (n) DETACH DELETE n; //",
    'ds:"quoted" `backtick` }{ /* c */',
    "x` RETURN 1 UNION MATCH (n) RETURN n //",
    "'}) WITH 1 AS x CALL db.labels() YIELD label RETURN label //",
    "naïve ✓ 模型 \\ \\' \\u0027",
    "$root",
]


@pytest.mark.parametrize("weird", HOSTILE)
def test_hostile_strings_are_inert_and_verbatim(graph: Graph, weird: str) -> None:
    graph.ingest({"id": "bystander", "nodes": [{"id": "bystander", "kind": "entity"}]})
    event = {
        "id": weird,
        "nodes": [
            {"id": weird, "kind": "entity", "type": weird, "attributes": {weird: weird}},
            {"id": f"run:{weird}", "kind": "activity", "type": "Training"},
            {"id": f"out:{weird}", "kind": "entity", "type": "Model"},
        ],
        "relations": [
            {"relation": "used", "from": f"run:{weird}", "to": weird, "role": weird,
             "attributes": {"note": weird}},
            {"relation": "wasGeneratedBy", "from": f"out:{weird}", "to": f"run:{weird}"},
            {"relation": "wasDerivedFrom", "from": f"out:{weird}", "to": weird,
             "copies": {weird: weird}},
        ],
    }
    graph.ingest(event)
    node = graph.node(weird)
    assert (node.id, node.type, node.attributes) == (weird, weird, {weird: weird})
    ancestry = graph.ancestry(f"out:{weird}")
    assert ancestry.ids == {weird, f"run:{weird}"}
    assert [n.type for n in ancestry.nodes if n.id == weird] == [weird]
    used = [r for r in graph.relations(weird) if r.relation == "used"]
    assert [(r.role, r.attributes) for r in used] == [(weird, {"note": weird})]
    derived = [r for r in graph.relations(weird) if r.relation == "wasDerivedFrom"]
    assert derived[0].copies == {weird: weird}
    assert graph.impact(weird).ids == {f"run:{weird}", f"out:{weird}"}
    # Nothing else was touched or deleted.
    assert graph.node("bystander").id == "bystander"
    assert graph.store.known_events([weird]) != {}
    # The same strings as query arguments, attribute names to trace, redact and verify.
    assert graph.where(f"out:{weird}", weird).origin == weird
    assert graph.why(f"out:{weird}").to_dict()
    graph.redact([weird], [weird], salt=b"salt", reason=weird)
    assert graph.node(weird).attributes[weird].startswith("redacted:hmac-sha256:")
    assert graph.node("bystander").id == "bystander"
    report = graph.verify()
    assert report.ok, report.problems
