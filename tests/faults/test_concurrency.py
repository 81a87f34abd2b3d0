"""Racing writers on every backend: optimistic version checks, and OpenLineage START /
COMPLETE of one run merged through two connections at once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

import provgraph
from provgraph import ConflictError
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
