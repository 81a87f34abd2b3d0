"""Large answers as JSON Lines, streamed from the store's walk on both backends: the same
answer as the one built whole, in a fraction of its memory, errors before the first line,
and a stream dropped half way leaves the store as it was."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provgraph.errors import NotFoundError, ProvgraphError
from provgraph.graph import Graph
from provgraph.store.neo4j_chain import DEPENDENCY, RESPONSIBILITY
from tests.json_lines import streamed_answer

LADDER = 6000


def _ladder(graph: Graph, size: int) -> None:
    """Models m0 .. m{size-1}, each derived from the two before it: an impact of m0 reaches
    every one (a deep answer with narrow levels)."""
    graph.ingest({
        "id": "ladder",
        "nodes": [{"id": f"m{i}", "kind": "entity", "type": "Model"} for i in range(size)],
        "relations": [{"relation": "wasDerivedFrom", "from": f"m{i}", "to": f"m{i - k}"}
                      for i in range(1, size) for k in (1, 2) if i >= k],
    })


def _peak_mib(lines: Callable[[], Iterator[str]]) -> tuple[float, int]:
    """Peak memory Python allocated while the lines were made and read one by one, and how
    many there were."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in lines())
        return tracemalloc.get_traced_memory()[1] / 2**20, count
    finally:
        tracemalloc.stop()


def test_a_streamed_answer_is_never_held_whole(graph: Graph) -> None:
    _ladder(graph, LADDER)
    assert streamed_answer(list(graph.impact_lines("m0")), "up") == graph.impact(
        "m0").to_dict()
    streamed, count = _peak_mib(lambda: graph.impact_lines("m0"))
    whole, same = _peak_mib(lambda: graph.impact("m0").json_lines())
    assert count == same == 1 + (LADDER - 1) + (2 * LADDER - 3) + 1
    # Measured: about a third (the ladder's levels are narrow; Neo4j sends a thousand
    # nodes a record). Built whole, the answer's objects all live at once.
    assert streamed < whole / 2, (streamed, whole)


def test_an_unknown_node_fails_before_the_first_line(graph: Graph) -> None:
    _ladder(graph, 3)
    for lines in (graph.ancestry_lines, graph.impact_lines):
        with pytest.raises(NotFoundError, match="no node 'nope'"):
            lines("nope")
        with pytest.raises(NotFoundError, match="no node 'nope'"):
            lines("nope", depth=2)


def test_a_stream_dropped_half_way_leaves_the_store_usable(graph: Graph) -> None:
    _ladder(graph, 3000)
    lines = graph.impact_lines("m0")
    assert next(lines) == '{"root":"m0"}'
    next(lines)
    lines.close()  # type: ignore[attr-defined]  # a client that went away
    graph.ingest({"id": "after", "nodes": [{"id": "late", "kind": "entity"}],
                  "relations": [{"relation": "wasDerivedFrom", "from": "late",
                                 "to": "m2999"}]})
    assert "late" in graph.impact("m0").ids
    assert graph.verify().ok


@pytest.mark.parametrize("backend", ["neo4j"])
def test_neo4j_plans_every_walk_breadth_first(graph: Graph) -> None:
    # A stream's hop counts rest on the server sending the nodes level by level, which is
    # what its pruning breadth-first expand does. If a Neo4j version planned these walks
    # otherwise, provgraph would answer them whole (correct, not streamed): this names it.
    store: Any = graph.store
    _ladder(graph, 3)
    for direction in ("down", "up"):
        for relations in (DEPENDENCY, DEPENDENCY | RESPONSIBILITY):
            rows = store.walk_rows("m0", direction, relations)
            assert rows is not None
            assert next(rows)[:5] == ("m0", "entity", "Model", False, 0)
            rows.close()
    assert set(store._plans.values()) == {True} and len(store._plans) == 4


@pytest.mark.parametrize("backend", ["neo4j"])
def test_a_stalled_reader_does_not_hold_a_neo4j_transaction_for_ever(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server sends a stream only a few records ahead of its reader, and ends its read
    transaction after $PROVGRAPH_NEO4J_STREAM_SECONDS: a reader that stops (an HTTP client
    that stalls without hanging up) gets an error naming the limit, not a transaction held
    for as long as it stays connected. A reader that keeps up is not affected."""
    import provgraph.store.neo4j as neo4j_store

    store: Any = graph.store
    _ladder(graph, 200)
    monkeypatch.setattr(neo4j_store, "_WALK_CHUNK", 5)  # 40 records of 5 nodes, 1 a pull
    monkeypatch.setattr(neo4j_store, "_STREAM_FETCH", 1)
    monkeypatch.setattr(store, "_stream_seconds", 1.0)
    assert streamed_answer(list(graph.impact_lines("m0")), "up") == graph.impact(
        "m0").to_dict()
    lines = graph.impact_lines("m0")
    assert next(lines) == '{"root":"m0"}'

    def streams() -> list[str]:
        """The open transactions of walk streams on the server."""
        return [r["status"] for r in store._driver.execute_query(
            "SHOW TRANSACTIONS YIELD currentQuery, status"
            " WHERE currentQuery STARTS WITH '// impact_now' RETURN status").records]

    assert len(streams()) == 1  # the reader has 1 of 40 records: the server waits for it
    time.sleep(4)  # past the limit and the server's check of it (every 2 s)
    with pytest.raises(ProvgraphError, match="PROVGRAPH_NEO4J_STREAM_SECONDS"):
        list(lines)
    assert streams() == []
    graph.ingest({"id": "after-stall", "nodes": [{"id": "late", "kind": "entity"}],
                  "relations": [{"relation": "wasDerivedFrom", "from": "late",
                                 "to": "m199"}]})
    assert "late" in graph.impact("m0").ids
    assert graph.verify().ok
