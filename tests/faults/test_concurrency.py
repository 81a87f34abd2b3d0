"""Racing writers on every backend: optimistic version checks, and OpenLineage START /
COMPLETE of one run merged through two connections at once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

import provgraph
from provgraph import ConflictError
from provgraph.clock import NOW
from provgraph.graph import Graph


def test_a_stale_expectation_conflicts_and_writes_nothing(graph: Graph) -> None:
    graph.ingest({"id": "a", "nodes": [{"id": "x", "kind": "entity"}]})
    head = graph.verify().head
    changed = {"id": "b", "nodes": [{"id": "x", "kind": "entity", "attributes": {"v": 2}}]}
    with pytest.raises(ConflictError, match="'x'"):
        graph.ingest(changed, expect={"x": 0})
    assert graph.verify().head == head
    assert not graph.store.known_events(["b"])
    assert graph.ingest(changed, expect={"x": 1}).node_versions == 1
    assert graph.node("x").attributes == {"v": 2}


def _second_connection(graph: Graph, request: pytest.FixtureRequest, backend: str) -> Graph:
    if backend == "sqlite":
        return provgraph.connect(graph.uri)
    options = dict(request.getfixturevalue("neo4j_server"))
    return provgraph.connect(options.pop("uri"), **options)


def _run_event(run: str, kind: str, second: int) -> dict[str, Any]:
    return {"eventType": kind, "eventTime": f"2026-11-26T10:00:{second:02d}Z",
            "producer": "https://example.org/race",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
            "run": {"runId": run}, "job": {"namespace": "race", "name": "train"},
            "inputs": [{"namespace": "race", "name": "data"}],
            "outputs": [{"namespace": "race", "name": f"model-{run[:8]}"}]
            if kind == "COMPLETE" else []}


def test_openlineage_halves_of_a_run_racing_on_two_connections_both_land(
        graph: Graph, backend: str, request: pytest.FixtureRequest) -> None:
    other = _second_connection(graph, request, backend)
    runs = [str(uuid.uuid4()) for _ in range(15)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def send(target: Graph, kind: str, second: int) -> None:
        try:
            for run in runs:
                barrier.wait(timeout=60)
                target.ingest_openlineage(_run_event(run, kind, second))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(graph, "START", 0)),
               threading.Thread(target=send, args=(other, "COMPLETE", 30))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    other.close()
    assert not errors, errors
    for run in runs:
        node = graph.node(f"openlineage:run/{run}")
        assert node.started_at and node.ended_at, (run, node.started_at, node.ended_at)
    assert graph.verify().ok


def _threads(count: int, work: Any) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads started together; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(i)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_concurrent_writers_of_one_process_share_transactions(graph: Graph) -> None:
    graph.ingest({"id": "base", "nodes": [{"id": "m:base", "kind": "entity"}]})
    results: dict[str, provgraph.IngestResult] = {}

    def writer(i: int) -> None:
        for n in range(15):
            batch = [{"id": f"w{i}-{n}-{k}",
                      "nodes": [{"id": f"m:{i}-{n}-{k}", "kind": "entity", "type": "Model"}],
                      "relations": [{"relation": "wasDerivedFrom", "from": f"m:{i}-{n}-{k}",
                                     "to": "m:base"}]} for k in range(3)]
            results[f"{i}-{n}"] = graph.ingest(batch)

    transactions = graph.store._group.transactions  # type: ignore[attr-defined]
    assert not _threads(8, writer)
    shared = graph.store._group.transactions - transactions  # type: ignore[attr-defined]
    # Every batch is told exactly what it wrote, even when it shared a transaction ...
    assert len(results) == 120
    assert all(r.to_dict() == {"events": 3, "skipped_events": 0, "node_versions": 3,
                               "relation_versions": 3, "retractions": 0}
               for r in results.values())
    # ... and batches did share: 8 writers racing on one store never need 120 commits.
    assert shared < 120
    assert len(graph.impact("m:base").nodes) == 360
    assert graph.verify().ok


def test_concurrent_versions_of_one_node_are_each_kept(graph: Graph) -> None:
    # Batches touching the same node never share a transaction: a version of one would
    # hide the other's in the history.
    graph.ingest({"id": "base", "nodes": [{"id": "shared", "kind": "entity"}]})

    def writer(i: int) -> None:
        for n in range(5):
            result = graph.ingest({"id": f"v{i}-{n}", "nodes": [
                {"id": "shared", "kind": "entity", "attributes": {"by": f"{i}-{n}"}}]})
            assert result.node_versions == 1

    assert not _threads(6, writer)
    versions = graph.history("shared")
    assert len(versions) == 31
    assert sorted(v.attributes.get("by", "") for v in versions)[1:] == sorted(
        f"{i}-{n}" for i in range(6) for n in range(5))
    assert graph.verify().ok


def test_openlineage_halves_racing_in_one_process_both_land(graph: Graph) -> None:
    runs = [str(uuid.uuid4()) for _ in range(10)]

    def sender(i: int) -> None:
        kind, second = ("START", 0) if i % 2 == 0 else ("COMPLETE", 30)
        for run in runs[i // 2 :: 3]:
            graph.ingest_openlineage(_run_event(run, kind, second))

    assert not _threads(6, sender)
    for run in runs:
        node = graph.node(f"openlineage:run/{run}")
        assert node.started_at and node.ended_at, (run, node.started_at, node.ended_at)
    assert graph.verify().ok


def test_a_bad_batch_among_concurrent_ones_fails_alone(graph: Graph) -> None:
    # The bad batch's reference check fails inside a transaction it may share: that
    # transaction is abandoned and every batch written again alone.
    graph.ingest({"id": "base", "nodes": [{"id": "m:base", "kind": "entity"}]})
    refused: list[str] = []

    def writer(i: int) -> None:
        for n in range(10):
            target = "m:nowhere" if i == 2 else "m:base"
            event = {"id": f"b{i}-{n}", "nodes": [{"id": f"m:{i}-{n}", "kind": "entity"}],
                     "relations": [{"relation": "wasDerivedFrom", "from": f"m:{i}-{n}",
                                    "to": target}]}
            try:
                assert graph.ingest(event).relation_versions == 1
            except provgraph.InvalidEventError as e:
                assert "relations.0.to: unknown node 'm:nowhere'" in str(e)
                refused.append(event["id"])

    assert not _threads(6, writer)
    assert sorted(refused) == sorted(f"b2-{n}" for n in range(10))
    stored = graph.store.known_events([f"b{i}-{n}" for i in range(6) for n in range(10)])
    assert set(stored) == {f"b{i}-{n}" for i in range(6) if i != 2 for n in range(10)}
    assert not graph.store.nodes([f"m:2-{n}" for n in range(10)], NOW)
    assert graph.verify().ok
