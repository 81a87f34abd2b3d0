"""One native ``ingest`` call larger than a transaction should hold: the pipeline writes it in
transactions of bounded rows, at event boundaries, after validating the whole input, so it
fits the local Neo4j's default memory (the test server: 1 GiB heap, a 716.8 MiB transaction
limit), and bad input anywhere still writes nothing. Not timed (see bench/)."""

from __future__ import annotations

from typing import Any

import pytest

from provgraph.errors import InvalidEventError
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
