"""docs/queries.md beyond ancestry/impact: why, where, diff, reproduce and audit, on every
backend."""

from __future__ import annotations

import pytest

import provgraph
from provgraph import EventBuilder, NotFoundError
from provgraph.cli.render import render_where
from provgraph.graph import Graph


def test_why_s1_int8_has_exactly_one_witness(reference: Graph) -> None:
    result = reference.why("S1-int8")
    assert result.witnesses == [["B", "repo@abc", "s1", "s3"]]
    assert result.truncated is False
    assert result.to_dict() == {"root": "S1-int8", "witnesses": [["B", "repo@abc", "s1", "s3"]],
                                "truncated": False}


def test_why_r_adds_the_prompt_and_the_corpus(reference: Graph) -> None:
    assert reference.why("R").witnesses == [["B", "K", "P", "repo@abc", "s1", "s3"]]


def test_dropped_shard_is_in_no_witness(reference: Graph) -> None:
    for node in ("S1-int8", "R", "M1", "clean@1"):
        assert all("s2" not in w for w in reference.why(node).witnesses)
    assert reference.depends_on("S1-int8", ["s1", "s2", "K", "B"]) == {
        "s1": "every", "s2": "none", "K": "none", "B": "every"}


def test_which_models_rest_on_records(reference: Graph) -> None:
    assert reference.dependents(["s1", "s2"]) == {
        "M1": {"s1": "every"}, "S1": {"s1": "every"}, "S1-int8": {"s1": "every"}}


def test_explain_gives_a_path_to_each_source(reference: Graph) -> None:
    paths = reference.why("S1-int8", explain=True).paths[0]
    assert paths["s1"] == ["S1-int8", "S1", "d1", "clean@1", "c1", "s1"]
    assert paths["B"] == ["S1-int8", "S1", "M1", "B"]
    assert set(paths) == {"B", "repo@abc", "s1", "s3"}


def test_where_tokenizer_goes_back_to_b(reference: Graph) -> None:
    result = reference.where("S1-int8", "tokenizer")
    assert [c["node"] for c in result.chain] == ["S1-int8", "S1", "M1", "B"]
    assert result.origin == "B" and result.conflicts == []
    assert result.to_dict()["chain"][0] == {"node": "S1-int8", "attribute": "tokenizer",
                                            "value": "tok-B"}


def test_where_license_originates_at_s1(reference: Graph) -> None:
    result = reference.where("S1-int8", "license")
    assert [c["node"] for c in result.chain] == ["S1-int8", "S1"]
    assert result.origin == "S1"


def test_where_reports_a_copy_that_differs(reference: Graph) -> None:
    reference.ingest(EventBuilder("tamper").entity("S1", "Model", tokenizer="tok-X",
                                                    license="apache-2.0").build())
    result = reference.where("S1-int8", "tokenizer")
    assert [c["value"] for c in result.chain] == ["tok-B", "tok-X", "tok-B", "tok-B"]
    reasons = {(c["node"], c["source"]) for c in result.conflicts}
    assert reasons == {("S1-int8", "S1"), ("S1", "M1")}


def test_where_names_no_origin_when_the_copies_form_a_cycle(graph: Graph) -> None:
    # A copies its tokenizer from B, and B from A: neither set it. The chain stops before
    # repeating, names no origin, and says why, in the CLI's words too.
    b = EventBuilder("copy-cycle")
    b.entity("A", "Model", tokenizer="bpe").entity("B", "Model", tokenizer="bpe")
    b.derived("A", "B", copies={"tokenizer": "tokenizer"})
    b.derived("B", "A", copies={"tokenizer": "tokenizer"})
    graph.ingest(b.build())
    result = graph.where("A", "tokenizer")
    assert [c["node"] for c in result.chain] == ["A", "B"]
    assert result.origin is None
    assert result.conflicts == [{"node": "B", "attribute": "tokenizer", "source": "A",
                                 "source_attribute": "tokenizer",
                                 "reason": "copies form a cycle: no origin"}]
    assert "origin: none (the copies form a cycle)" in render_where(result)


def test_where_unknown_attribute_is_not_found(reference: Graph) -> None:
    with pytest.raises(NotFoundError, match="'S1-int8' has no attribute 'colour'"):
        reference.where("S1-int8", "colour")


def test_alternative_derivations_are_each_their_own_witness(graph: Graph) -> None:
    b = EventBuilder("dedup-precise")
    for name in ("r1", "r1-copy", "r2"):
        b.entity(name, "Record")
    b.entity("raw", "Dataset").member("raw", "r1", "r1-copy", "r2")
    b.activity("dedup", "Preprocessing").entity("kept", "Record").entity("out", "Dataset")
    b.used("dedup", "raw", granularity="members")
    b.generated("out", "dedup").member("out", "kept")
    b.derived("kept", "r1", alternative=True).derived("kept", "r1-copy", alternative=True)
    graph.ingest(b.build())
    assert graph.why("out").witnesses == [["r1"], ["r1-copy"]]
    assert graph.depends_on("out", ["r1", "r1-copy", "r2"]) == {
        "r1": "some", "r1-copy": "some", "r2": "none"}


def test_two_generations_are_alternatives_and_limit_truncates(graph: Graph) -> None:
    b = EventBuilder("two-runs")
    b.entity("d1", "Dataset").entity("d2", "Dataset").entity("m", "Model")
    b.activity("run-a", "Training").activity("run-b", "Training")
    b.used("run-a", "d1").used("run-b", "d2")
    b.generated("m", "run-a").generated("m", "run-b")
    graph.ingest(b.build())
    assert graph.why("m").witnesses == [["d1"], ["d2"]]
    limited = graph.why("m", limit=1)
    assert limited.witnesses == [["d1"]] and limited.truncated is True


def test_alternate_of_makes_entities_interchangeable(graph: Graph) -> None:
    b = EventBuilder("mirror")
    b.entity("hub-copy", "Model").entity("origin", "Model").entity("data", "Dataset")
    b.activity("train", "Training").used("train", "data").generated("origin", "train")
    b.relation("alternateOf", "hub-copy", "origin")
    graph.ingest(b.build())
    assert graph.why("hub-copy").witnesses == [["data"], ["hub-copy"]]
    assert graph.ancestry("hub-copy").ids == set()  # equivalence is not dependency


def test_why_as_of_and_unknown_node(reference: Graph) -> None:
    with pytest.raises(NotFoundError):
        reference.why("nope")
    with pytest.raises(NotFoundError):
        reference.why("S1-int8", as_of="2000-01-01T00:00:00Z")


def test_reproduce_orders_steps_and_lists_blockers(reference: Graph) -> None:
    plan = reference.reproduce("S1-int8")
    assert [s.id for s in plan.steps] == ["p1", "f1", "d1", "q1"]
    f1 = plan.steps[1]
    assert f1.parameters == {"lr": 3e-4, "epochs": 3}
    assert [(i.id, i.role) for i in f1.inputs] == [
        ("B", "base_model"), ("clean@1", "training_data"), ("repo@abc", "code")]
    assert [i.id for i in f1.code] == ["repo@abc"] and f1.agents == ["alice"]
    assert [i.id for i in plan.steps[0].inputs] == ["raw@1"]
    problems = {(m["step"], m["node"], m["problem"]) for m in plan.missing}
    assert ("f1", "B", "opaque input: how it was made is unknown") in problems
    assert ("d1", "", "no code version recorded") in problems
    assert not plan.reproducible


def test_diff_aligns_by_role() -> None:
    g = provgraph.connect("sqlite:///:memory:")
    g.ingest(provgraph.demo.demo_events())
    result = g.diff("model:acme-7b-code", "model:acme-7b-med")
    assert result.sections["data"]["changed"] == {
        "FineTuning.training_data": [["dataset:code@2"], ["dataset:med@2"]]}
    assert result.sections["base_model"]["changed"] == {}
    assert "FineTuning.lr" in result.sections["parameters"]["same"]
    int4 = g.diff("model:acme-1b-int8", "model:acme-1b-int4").sections
    assert int4["parameters"]["changed"] == {"Quantization.bits": [8, 4]}


def test_diff_is_the_same_on_both_backends(graph: Graph) -> None:
    graph.ingest(provgraph.demo.demo_events())
    embedded = provgraph.connect("sqlite:///:memory:")
    embedded.ingest(provgraph.demo.demo_events())
    for a, b in (("model:acme-7b-code", "model:acme-7b-med"), ("S1-int8", "M1"),
                 ("model:acme-1b-int8", "S1")):
        assert graph.diff(a, b).to_dict() == embedded.diff(a, b).to_dict()
    for node in ("S1-int8", "model:acme-1b-int8", "deploy:chat-prod"):
        assert graph.reproduce(node).to_dict() == embedded.reproduce(node).to_dict()
        left, right = graph.audit(node).to_dict(), embedded.audit(node).to_dict()
        left.pop("generated_at"), right.pop("generated_at")
        assert left == right


def test_audit_statuses(graph: Graph) -> None:
    graph.ingest(provgraph.demo.demo_events())
    shipped = {i.key: i for i in graph.audit("model:acme-1b-int8").items}
    assert shipped["test_metrics"].evidence == ["eval:acme-1b-int8-test"]
    assert shipped["deployment_approval"].evidence == ["run:approve-1b", "person:bob"]
    assert shipped["preprocessing"].status == "missing"
    assert shipped["triggered_by"].evidence == ["pipeline:nightly"]
    vendor = {i.key: i.status for i in graph.audit("B").items}
    assert vendor["training_data"] == "unknowable" and vendor["test_metrics"] == "missing"
    m1 = graph.audit("M1")
    assert {i.key: i.status for i in m1.items}["environment"] == "missing"
    assert m1.score == pytest.approx(100 * 7 / 12, abs=0.1)


def test_a_hubs_relations_come_a_page_at_a_time(reference: Graph) -> None:
    """describe(limit): the first relations by key and how many there are, the same as the
    whole list cut, now and at a past time, on every backend."""
    whole = reference.describe("B")["relations"]
    assert len(whole) >= 2 and "relations_total" not in reference.describe("B")
    page = reference.describe("B", limit=2)
    assert page["relations"] == whole[:2] and page["relations_total"] == len(whole)
    empty = reference.describe("B", limit=0)  # a count alone
    assert empty["relations"] == [] and empty["relations_total"] == len(whole)
    before = reference.timeline()[-1]["recorded_at"]
    reference.ingest([{"id": f"hub-{i}", "nodes": [{"id": f"ft-{i}", "kind": "entity"}],
                       "relations": [{"relation": "wasDerivedFrom", "from": f"ft-{i}",
                                      "to": "B"}]} for i in range(30)])
    now = reference.describe("B", limit=5)
    assert now["relations_total"] == len(whole) + 30
    assert now["relations"] == reference.describe("B")["relations"][:5]
    assert reference.describe("B", limit=1000, as_of=before) == {
        **reference.describe("B", as_of=before), "relations_total": len(whole)}
    # Retracted relations are not counted.
    reference.ingest({"id": "hub-retract", "retract": {"relations": [
        {"relation": "wasDerivedFrom", "from": "ft-0", "to": "B"}]}})
    assert reference.describe("B", limit=1)["relations_total"] == len(whole) + 29


def test_known_reads_events_kinds_and_whole_current_versions_in_one_call(graph: Graph) -> None:
    from provgraph.clock import NOW

    # Three calls: one call folds its events into one version of a node.
    graph.ingest({"id": "k1", "nodes": [{"id": "run", "kind": "activity", "type": "Run",
                                         "attributes": {"state": "started"}}]})
    graph.ingest({"id": "k2", "nodes": [{"id": "run", "kind": "activity", "type": "Run",
                                         "attributes": {"state": "done"}},
                                        {"id": "gone", "kind": "entity"}]})
    graph.ingest({"id": "k3", "retract": {"nodes": ["gone"]}})
    found = graph.store.known(["k1", "nope"], ["run", "gone"], ["run", "gone", "absent"])
    assert set(found.events) == {"k1"}
    assert found.kinds == {"run": ("activity", "Run", False)}
    assert set(found.current) == {"run"}  # a retracted node has no current version
    assert found.current["run"] == graph.store.nodes(["run"], NOW)["run"]
    assert found.current["run"].version == 2
    assert graph.store.known([], ["run"]).current == {}
