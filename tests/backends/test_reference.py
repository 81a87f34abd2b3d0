"""The reference example (docs/queries.md): every ancestry and impact statement, both backends."""

from __future__ import annotations

import provgraph
from provgraph.graph import Graph

UPSTREAM_OF_S1_INT8 = {
    "q1", "S1", "d1", "M1", "f1", "clean@1", "p1", "c1", "c3", "s1", "s3", "B", "repo@abc",
}


def test_ancestry_of_s1_int8_is_exactly_its_upstream(reference: Graph) -> None:
    result = reference.ancestry("S1-int8")
    assert result.ids == UPSTREAM_OF_S1_INT8
    assert "raw@1" not in result.ids and "s2" not in result.ids


def test_ancestry_reports_b_as_opaque(reference: Graph) -> None:
    result = reference.ancestry("S1-int8")
    assert result.opaque == ["B"]
    assert [n.opaque for n in result.nodes if n.id == "B"] == [True]


def test_ancestry_depths_are_shortest_hop_counts(reference: Graph) -> None:
    depths = {n.id: n.depth for n in reference.ancestry("S1-int8").nodes}
    # S1-int8 -> S1 (derived) is 1 hop; B is 3 hops via S1 -> M1 -> B (derivations).
    assert depths["S1"] == 1 and depths["q1"] == 1
    assert depths["M1"] == 2 and depths["B"] == 3
    assert depths["s1"] == 5


def test_ancestry_edges_form_the_subgraph(reference: Graph) -> None:
    result = reference.ancestry("S1-int8")
    ends = {(e.source, e.relation, e.target) for e in result.edges}
    assert ("S1-int8", "wasGeneratedBy", "q1") in ends
    assert ("c1", "wasDerivedFrom", "s1") in ends
    # The member-level used edge is never followed.
    assert ("p1", "used", "raw@1") not in ends
    inside = result.ids | {"S1-int8"}
    assert all(e.source in inside and e.target in inside for e in result.edges)


def test_impact_of_dropped_shard_is_only_its_dataset(reference: Graph) -> None:
    result = reference.impact("s2")
    assert result.ids == {"raw@1"}
    assert result.summary() == {}


def test_impact_of_kept_shard_reaches_models_index_and_system(reference: Graph) -> None:
    result = reference.impact("s1")
    assert {"M1", "S1", "S1-int8", "I", "R"} <= result.ids


def test_impact_of_base_model_reaches_every_model_index_and_system(reference: Graph) -> None:
    result = reference.impact("B")
    assert {"M1", "S1", "S1-int8", "I", "R"} <= result.ids
    assert result.summary() == {
        "Model": ["M1", "S1", "S1-int8"], "Index": ["I"], "System": ["R"],
    }


def test_agents_only_when_asked(reference: Graph) -> None:
    assert "alice" not in reference.ancestry("M1").ids
    assert "alice" in reference.ancestry("M1", include_agents=True).ids


def test_depth_limit(reference: Graph) -> None:
    assert reference.ancestry("S1-int8", depth=1).ids == {"S1", "q1"}
    assert reference.ancestry("S1-int8", depth=0).ids == set()
    two = reference.ancestry("S1-int8", depth=2)
    assert two.ids == {"S1", "q1", "M1", "d1"}
    assert all(e.source in {"S1-int8", "S1", "q1"} for e in two.edges)


def test_to_dict_has_the_contract_shape(reference: Graph) -> None:
    data = reference.ancestry("S1-int8").to_dict()
    assert set(data) == {"root", "nodes", "edges", "opaque"}
    assert data["root"] == "S1-int8"
    assert set(data["nodes"][0]) == {"id", "kind", "type", "depth", "opaque"}
    assert set(data["edges"][0]) == {"relation", "from", "to"}
    assert "S1-int8" not in {n["id"] for n in data["nodes"]}


def test_opaque_root_has_unknown_lineage(reference: Graph) -> None:
    result = reference.ancestry("B")
    assert result.ids == set() and result.opaque == ["B"]


def test_backends_agree_on_every_node(reference: Graph, tmp_path: object) -> None:
    embedded = provgraph.connect("sqlite:///:memory:")
    embedded.ingest(provgraph.demo.reference_events())
    for node_id in ("S1-int8", "R", "I", "s1", "s2", "B", "clean@1", "p1"):
        for depth in (None, 1, 3):
            assert reference.ancestry(node_id, depth=depth).to_dict() == \
                embedded.ancestry(node_id, depth=depth).to_dict()
            assert reference.impact(node_id, depth=depth).to_dict() == \
                embedded.impact(node_id, depth=depth).to_dict()
