"""One native ``ingest`` call larger than a transaction should hold: the pipeline writes it in
transactions of bounded rows, at event boundaries, after validating the whole input, so it
fits the local Neo4j's default memory (the test server: 1 GiB heap, a 716.8 MiB transaction
limit), and bad input anywhere still writes nothing. Not timed (see bench/)."""

from __future__ import annotations

from typing import Any

import pytest

from provgraph import cypher_library
from provgraph.errors import InvalidEventError, NotFoundError, StoreUnavailableError
from provgraph.graph import Graph


def datasets(count: int, shards: int, prefix: str = "d") -> list[dict[str, Any]]:
    """``count`` events, each a dataset of ``shards`` shard entities it has as members,
    derived from the dataset before it (as dataset-heavy imports from hubs look)."""
    events = []
    for i in range(count):
        dataset = f"{prefix}{i}"
        nodes = [{"id": dataset, "kind": "entity", "type": "Dataset"}]
        relations = []
        for j in range(shards):
            nodes.append({"id": f"{dataset}/s{j}", "kind": "entity", "type": "DataShard",
                          "attributes": {"rows": j}})
            relations.append({"relation": "hadMember", "from": dataset,
                              "to": f"{dataset}/s{j}"})
        if i:
            relations.append({"relation": "wasDerivedFrom", "from": dataset,
                              "to": f"{prefix}{i - 1}"})
        events.append({"id": f"event-{dataset}", "nodes": nodes, "relations": relations})
    return events


def crash_on_write(graph: Graph, nth: int, event: dict[str, Any],
                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest ``event`` with the store going away at its ``nth`` write (a crash between the
    parts of one event), then give the store its writes back."""
    store: Any = graph.store
    write = store.write
    calls: list[int] = []

    def crash(changes: Any, recorded_at: int) -> Any:
        calls.append(1)
        if len(calls) == nth:
            raise StoreUnavailableError("the store went away")
        return write(changes, recorded_at)

    monkeypatch.setattr(store, "write", crash)
    with pytest.raises(StoreUnavailableError):
        graph.ingest(event)
    monkeypatch.setattr(store, "write", write)


def test_a_call_of_150k_rows_ingests_in_one_call(graph: Graph) -> None:
    # 150 events of 501 nodes and about 500 relations: as one transaction they need more
    # memory than the test Neo4j allows (it fails so without the split).
    events = datasets(150, 500)
    result = graph.ingest(events)
    assert result.events == 150
    assert result.node_versions == 150 * 501
    assert result.relation_versions == 150 * 500 + 149
    # A dataset rests on its shards and on the datasets before it (and theirs).
    assert graph.ancestry("d149").ids == ({f"d{i}" for i in range(149)}
                                          | {f"d{i}/s{j}" for i in range(150)
                                             for j in range(500)})
    assert graph.ingest(events).events == 0
    assert graph.verify().ok


def test_a_split_call_is_validated_whole_first(graph: Graph) -> None:
    store: Any = graph.store
    store.max_transaction_rows = 25  # a few events a transaction
    events = datasets(12, 10)
    bad = {"id": "event-bad", "relations": [
        {"relation": "wasDerivedFrom", "from": "d11", "to": "nowhere"}]}
    before = store._group.transactions
    with pytest.raises(InvalidEventError, match="nowhere"):
        graph.ingest([*events, bad])
    assert store._group.transactions == before
    assert graph.store.nodes(["d0"], 2**62) == {}
    result = graph.ingest(events)
    # 21 rows an event (one, ten nodes and ten or eleven relations): one a transaction.
    assert store._group.transactions - before == 12
    assert (result.events, result.node_versions) == (12, 12 * 11)
    assert graph.ancestry("d11").ids == ({f"d{i}" for i in range(11)}
                                         | {f"d{i}/s{j}" for i in range(12) for j in range(10)})


def test_a_conditional_write_stays_one_transaction(graph: Graph) -> None:
    store: Any = graph.store
    store.max_transaction_rows = 25
    before = store._group.transactions
    graph.ingest(datasets(3, 10), expect={"d0": 0})
    assert store._group.transactions - before == 1


def test_one_event_larger_than_a_transaction_is_written_in_parts(graph: Graph) -> None:
    store: Any = graph.store
    store.max_transaction_rows = 25
    [event] = datasets(1, 60)  # 61 nodes, 60 relations
    before = store._group.transactions
    result = graph.ingest(event)
    # Nodes in parts of 25 (3), then relations (3), then the event itself (1).
    assert store._group.transactions - before == 7
    assert (result.events, result.node_versions, result.relation_versions) == (1, 61, 60)
    assert graph.ancestry("d0").ids == {f"d0/s{j}" for j in range(60)}
    again = graph.ingest(event)
    assert (again.events, again.skipped_events) == (0, 1)
    assert store._group.transactions - before == 7
    assert graph.verify().ok


def test_an_event_cut_short_between_its_parts_completes_when_sent_again(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    store: Any = graph.store
    store.max_transaction_rows = 25
    [event] = datasets(1, 60)
    crash_on_write(graph, 4, event, monkeypatch)
    # Whole parts were written (the nodes), the event was not acknowledged nor recorded.
    assert store.known_events(["event-d0"]) == {}
    assert len(store.nodes(["d0"] + [f"d0/s{j}" for j in range(60)], 2**62)) == 61
    result = graph.ingest(event)
    assert (result.events, result.node_versions, result.relation_versions) == (1, 0, 60)
    assert graph.ancestry("d0").ids == {f"d0/s{j}" for j in range(60)}
    assert graph.verify().ok


def test_one_event_in_parts_is_validated_before_any_part(graph: Graph) -> None:
    store: Any = graph.store
    store.max_transaction_rows = 25
    [event] = datasets(1, 60)
    event["relations"].append({"relation": "wasDerivedFrom", "from": "d0", "to": "nowhere"})
    before = store._group.transactions
    with pytest.raises(InvalidEventError, match="nowhere"):
        graph.ingest(event)
    assert store._group.transactions == before
    assert graph.store.nodes(["d0", "d0/s0"], 2**62) == {}


def test_one_event_of_100k_relations_ingests_in_one_call(graph: Graph) -> None:
    # One event: a dataset of 100k shards. As one transaction it needs more memory than the
    # test Neo4j allows (it failed so, with MemoryPoolOutOfMemoryError, before events were
    # written in parts).
    [event] = datasets(1, 100_000)
    result = graph.ingest(event)
    assert (result.events, result.node_versions, result.relation_versions) == (
        1, 100_001, 100_000)
    members = graph.ancestry("d0")
    assert len(members.nodes) == 100_000 and len(members.edges) == 100_000
    assert graph.ingest(event).events == 0


def test_one_event_retracting_more_than_a_transaction_is_written_in_parts(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    store: Any = graph.store
    [event] = datasets(1, 60)
    graph.ingest(event)
    store.max_transaction_rows = 25
    retract = {"id": "forget-shards", "retract": {"relations": [
        {"relation": "hadMember", "from": "d0", "to": f"d0/s{j}"} for j in range(60)]}}
    crash_on_write(graph, 3, retract, monkeypatch)
    # Two parts of 25 retractions were written; the event was not recorded.
    assert store.known_events(["forget-shards"]) == {}
    assert len(graph.ancestry("d0").nodes) == 10
    before = store._group.transactions
    result = graph.ingest(retract)
    # Retractions in parts of 25 (3, the first two finding theirs done), then the event.
    assert store._group.transactions - before == 4
    assert (result.events, result.retractions) == (1, 10)
    assert graph.ancestry("d0").nodes == []
    assert graph.ingest(retract).events == 0
    assert graph.verify().ok


def test_retracting_a_node_with_more_relations_than_a_transaction_ends_them_in_parts(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    store: Any = graph.store
    [first, second] = datasets(2, 60)
    graph.ingest([first, second])
    store.max_transaction_rows = 25
    retract = {"id": "forget-d0", "retract": {"nodes": ["d0"]}}
    crash_on_write(graph, 3, retract, monkeypatch)
    # Two parts of 25 of its 61 relations were ended; the node and the event were not.
    assert store.known_events(["forget-d0"]) == {}
    assert graph.node("d0").id == "d0"
    assert len(graph.ancestry("d0").nodes) + len(graph.impact("d0").nodes) == 11
    before = store._group.transactions
    result = graph.ingest(retract)
    # The 11 relations left fit with the node's retraction in one transaction.
    assert store._group.transactions - before == 1
    assert (result.events, result.retractions) == (1, 12)
    with pytest.raises(NotFoundError):
        graph.node("d0")
    assert {n.id for n in graph.ancestry("d1").nodes} == {f"d1/s{j}" for j in range(60)}
    assert graph.ingest(retract).events == 0
    assert graph.verify().ok


def test_retracting_a_node_in_parts_checks_the_node_first(graph: Graph) -> None:
    store: Any = graph.store
    [event] = datasets(1, 60)
    graph.ingest(event)
    store.max_transaction_rows = 25
    with pytest.raises(InvalidEventError, match="unknown node 'nothing'"):
        graph.ingest({"id": "forget", "retract": {"nodes": ["d0", "nothing"]}})
    assert len(graph.ancestry("d0").nodes) == 60 and graph.verify().ok


def _operators(plan: Any) -> list[str]:
    found = [plan["operatorType"].split("@")[0]]
    for child in plan.get("children", []):
        found += _operators(child)
    return found


@pytest.mark.parametrize("backend", ["neo4j"])
def test_relations_are_found_by_both_ends_whatever_the_statistics(graph: Graph) -> None:
    # Planned on a store without relationships (an emptied one, as between these tests),
    # a lookup of a relation by its two ends once became a scan of every relationship
    # record a row (write_read: 255 s for 20,000 relations) or an expansion of every
    # relationship of one end (retract_relations: a dataset's members retracted one by
    # one). Both must seek both ends and expand between them, planned afresh on this
    # empty store.
    driver: Any = graph.store._driver  # type: ignore[attr-defined]
    params = {"batch": {"events": [], "nodes": [], "relations": [], "refs": []}, "rows": [],
              "forever": 1, "t": 1}
    for name in ("write_read", "retract_relations"):
        plan = driver.execute_query("CYPHER replan=force EXPLAIN " + cypher_library.load(name),
                                    params).summary.plan
        operators = _operators(plan)
        assert "Expand(Into)" in operators, (name, operators)
        assert not [o for o in operators if o.startswith("Expand(All)") or "Scan" in o
                    and "Index" not in o], (name, operators)
