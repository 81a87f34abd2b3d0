"""Nothing is lost: versions, as_of, idempotent ingest and rejected batches, on every backend."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

import provgraph
from provgraph import EventBuilder, InvalidEventError, NotFoundError
from provgraph.clock import to_iso
from provgraph.graph import Graph


def _between() -> str:
    """A timestamp strictly between two ingests."""
    time.sleep(0.002)
    stamp = datetime.now(timezone.utc).isoformat()
    time.sleep(0.002)
    return stamp


def _count(graph: Graph) -> tuple[int, int]:
    everything = [n for n in ("S1-int8", "R", "raw@1", "B", "K", "P") if _exists(graph, n)]
    nodes = {n.id for root in everything for n in graph.ancestry(root).nodes} | set(everything)
    return len(nodes), len(graph.store.relations(nodes, 2**62))


def _exists(graph: Graph, node_id: str) -> bool:
    try:
        graph.node(node_id)
        return True
    except NotFoundError:
        return False


def test_reingest_changes_nothing(reference: Graph) -> None:
    before = _count(reference)
    history = reference.history("M1")
    again = reference.ingest(provgraph.demo.reference_events())
    assert again.events == 0 and again.skipped_events == 6
    assert again.node_versions == 0 and again.relation_versions == 0
    assert _count(reference) == before
    assert reference.history("M1") == history


def test_same_content_under_new_event_id_writes_no_version(reference: Graph) -> None:
    events = provgraph.demo.reference_events()
    events[0]["id"] = "another-id"
    result = reference.ingest(events[0])
    assert result.events == 1 and result.node_versions == 0 and result.relation_versions == 0


def test_reused_event_id_with_other_content_is_rejected(reference: Graph) -> None:
    event = provgraph.demo.reference_events()[0]
    event["nodes"][0]["attributes"] = {"version": "2"}
    with pytest.raises(InvalidEventError, match="demo:reference:data.*already ingested"):
        reference.ingest(event)
    assert reference.node("raw@1").attributes == {"version": "1"}


def test_correction_is_a_new_version_and_as_of_sees_the_old(reference: Graph) -> None:
    t1 = _between()
    fix = EventBuilder("fix-1").entity("M1", "Model", tokenizer="tok-B2").build()
    result = reference.ingest(fix)
    assert result.node_versions == 1
    assert reference.node("M1").attributes == {"tokenizer": "tok-B2"}
    assert reference.node("M1", as_of=t1).attributes == {"tokenizer": "tok-B"}
    versions = reference.history("M1")
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].attributes == {"tokenizer": "tok-B"}


def test_as_of_answers_with_what_was_known_then(graph: Graph) -> None:
    events = provgraph.demo.reference_events()
    graph.ingest(events[:3])  # data, preprocessing, fine-tune
    t1 = _between()
    graph.ingest(events[3:])
    assert "S1" in graph.impact("M1").ids
    then = graph.impact("M1", as_of=t1)
    assert then.ids == set()
    with pytest.raises(NotFoundError):
        graph.ancestry("S1-int8", as_of=t1)
    naive = datetime.fromisoformat(t1).astimezone(timezone.utc).replace(tzinfo=None)
    assert graph.impact("M1", as_of=naive).ids == set()
    assert graph.ancestry("M1", as_of=t1).ids == graph.ancestry("M1").ids


def test_retraction_hides_a_relation_now_but_not_before(reference: Graph) -> None:
    t1 = _between()
    retract = {"id": "retract-1", "retract": {"relations": [
        {"relation": "hadMember", "from": "clean@1", "to": "c1"}]}}
    assert reference.ingest(retract).retractions == 1
    assert "s1" not in reference.ancestry("S1-int8").ids
    assert "s1" in reference.ancestry("S1-int8", as_of=t1).ids


def test_retracting_a_node_retracts_its_relations(reference: Graph) -> None:
    t1 = _between()
    reference.ingest({"id": "retract-2", "retract": {"nodes": ["c3"]}})
    with pytest.raises(NotFoundError):
        reference.node("c3")
    assert {"c3", "s3"}.isdisjoint(reference.ancestry("S1-int8").ids)
    assert {"c3", "s3"} <= reference.ancestry("S1-int8", as_of=t1).ids
    assert reference.history("c3")[-1].retracted
    # Re-asserting it later brings it back as a new version.
    reference.ingest(EventBuilder("back").entity("c3", "DataShard").build())
    assert reference.node("c3").version == 3


def test_a_relation_revived_with_its_retracted_source_gets_its_next_version(
        graph: Graph) -> None:
    # A batch's relations from nodes the store never held are not looked up (they cannot
    # exist); a retracted node was held, so its relation's tombstone is found and revived.
    graph.ingest({"id": "1", "nodes": [{"id": "a", "kind": "entity"},
                                       {"id": "b", "kind": "entity"}],
                  "relations": [{"relation": "wasDerivedFrom", "from": "a", "to": "b"}]})
    graph.ingest({"id": "2", "retract": {"nodes": ["a"]}})
    assert graph.ancestry("b").to_dict()["nodes"] == []
    # (Looked up as new, its version 1 would collide with the stored one.)
    result = graph.ingest({"id": "3", "nodes": [{"id": "a", "kind": "entity"}],
                           "relations": [{"relation": "wasDerivedFrom", "from": "a",
                                          "to": "b"}]})
    assert result.relation_versions == 1
    assert graph.ancestry("a").ids == {"b"}
    assert graph.verify().ok


@pytest.mark.parametrize("batch_size", [None, 1])
def test_a_retracted_node_is_unknown_to_new_relations(graph: Graph,
                                                      batch_size: int | None) -> None:
    # Checked inside the write (one transaction) and before it (several): the retracted
    # node's tombstone is its current version, and it defines nothing.
    graph.ingest({"id": "1", "nodes": [{"id": "a", "kind": "entity"},
                                       {"id": "b", "kind": "entity"}]})
    graph.ingest({"id": "2", "retract": {"nodes": ["a"]}})
    with pytest.raises(InvalidEventError, match="field relations.0.to: unknown node 'a'"):
        graph.ingest([{"id": "3", "nodes": [{"id": "c", "kind": "entity"}]},
                      {"id": "4", "relations": [{"relation": "wasDerivedFrom", "from": "b",
                                                 "to": "a"}]}], batch_size=batch_size)
    assert graph.store.known_events(["3", "4"]) == {}
    assert graph.verify().ok


def test_becoming_opaque_stops_walks_only_from_then_on(reference: Graph) -> None:
    t1 = _between()
    reference.ingest(EventBuilder("opaque-m1").entity(
        "M1", "Model", tokenizer="tok-B", opaque=True, opaque_reason="weights lost").build())
    assert reference.ancestry("S1").ids == {"d1", "M1", "clean@1", "p1", "c1", "c3", "s1", "s3"}
    assert "f1" in reference.ancestry("S1", as_of=t1).ids
    assert "M1" not in reference.impact("B").ids
    assert "M1" in reference.impact("B", as_of=t1).ids


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"id": "x", "nodes": [{"id": "a", "kind": "thing"}]},
         "event 'x': field nodes.0.kind: Input should be 'entity', 'activity' or 'agent'"),
        ({"id": "x", "relations": [{"relation": "causedBy", "from": "M1", "to": "B"}]},
         "event 'x': field relations.0.relation"),
        ({"id": "x", "relations": [{"relation": "wasDerivedFrom", "from": "M1", "to": "nope"}]},
         "event 'x': field relations.0.to: unknown node 'nope'"),
        ({"id": "x", "relations": [{"relation": "used", "from": "M1", "to": "B"}]},
         "event 'x': field relations.0.from: used needs an activity here, but 'M1' is an entity"),
        ({"id": "x", "nodes": [{"id": "a", "kind": "entity", "attributes": {"k": {"x": 1}}}]},
         "event 'x': field nodes.0.attributes"),
        ({"id": "x", "nodes": [{"id": "a", "kind": "entity", "attributes": {"": 1}}]},
         "event 'x': field nodes.0.attributes: name '': String should have at least 1"),
        ({"id": "x", "nodes": [{"id": "a", "kind": "entity", "colour": "red"}]},
         "event 'x': field nodes.0.colour: Extra inputs are not permitted"),
        ({"nodes": []}, "event #1: field id: Field required"),
        ({"id": "x", "schema": "provgraph/event/9"}, "unknown event schema"),
        ({"id": "x", "nodes": [{"id": "M1", "kind": "activity"}]},
         "field nodes.0.kind: node 'M1' is an entity"),
        ("not an object", "event #1: expected a JSON object"),
    ],
)
def test_bad_batch_is_rejected_whole(reference: Graph, event: object, message: str) -> None:
    good = EventBuilder("good-in-bad-batch").entity("new-node", "Dataset").build()
    before = _count(reference)
    with pytest.raises(InvalidEventError) as raised:
        reference.ingest([good, event])
    assert message in str(raised.value)
    assert not _exists(reference, "new-node")
    assert _count(reference) == before
    assert reference.store.known_events(["good-in-bad-batch"]) == {}


def test_recorded_at_is_reported_in_utc(reference: Graph) -> None:
    assert to_iso(reference.node("M1").recorded_at).endswith("Z")
