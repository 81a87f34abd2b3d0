"""Batches sharing one transaction (group commit) on each store: a conflict that concerns
some of them refuses those, and the store writes the others in that same transaction."""

from __future__ import annotations

from typing import Any

import pytest

from provgraph.clock import now_us
from provgraph.errors import ConflictError
from provgraph.events import ChangeSet, fold, parse_events
from provgraph.graph import Graph


def _batch(event_id: str, node_id: str, kind: str = "entity", **attributes: Any) -> ChangeSet:
    return fold(parse_events([{"id": event_id, "nodes": [
        {"id": node_id, "kind": kind, "attributes": attributes}]}]))


def test_a_conflict_refuses_only_the_batches_it_names(graph: Graph) -> None:
    graph.ingest({"id": "e-run", "nodes": [{"id": "run", "kind": "activity"}]})
    graph.ingest({"id": "e-old", "nodes": [{"id": "old", "kind": "entity"}]})
    stale = _batch("e-stale", "run", "activity", state="computed before 'run' existed")
    stale.expect["run"] = 0
    current = _batch("e-current", "run", "activity", state="merged into version 1")
    current.expect["run"] = 1
    replayed = _batch("e-old", "old")  # its event is stored already
    fresh = _batch("e-fresh", "fresh")
    heads = len(graph.store.log.chain(limit=1000))

    stats = graph.store.write(ChangeSet.union([stale, replayed, fresh]), now_us())

    assert stats.refused is not None
    assert stats.refused.moved == {"run": (1, 0)}
    assert stats.refused.events == {"e-old"}
    assert (stats.events, stats.nodes_written) == (1, {"fresh"})
    assert graph.store.known_events(["e-stale", "e-fresh"]) == {
        "e-fresh": fresh.events["e-fresh"]}
    assert len(graph.history("run")) == 1
    # One transaction: one chain entry for what was written.
    assert len(graph.store.log.chain(limit=1000)) == heads + 1
    assert graph.store.write(ChangeSet.union([current]), now_us()).refused is None
    assert "merged into version 1" in graph.history("run")[-1].data
    assert graph.verify().ok


def test_a_conflict_naming_every_batch_writes_nothing(graph: Graph) -> None:
    graph.ingest({"id": "e-run", "nodes": [{"id": "run", "kind": "activity"}]})
    first = _batch("e-1", "a")
    first.expect["run"] = 0
    second = _batch("e-2", "b")
    second.expect["run"] = 0
    heads = len(graph.store.log.chain(limit=1000))
    with pytest.raises(ConflictError) as raised:
        graph.store.write(ChangeSet.union([first, second]), now_us())
    assert raised.value.moved == {"run": (1, 0)}
    assert not graph.store.known_events(["e-1", "e-2"])
    assert len(graph.store.log.chain(limit=1000)) == heads
    assert graph.verify().ok
