"""A lineage answer built from a query's node rows (provgraph.store.compact) equals the one
the generic path builds from unsorted nodes and edges, on random graphs with cycles, roles,
explicit ids, parallel edges and opaque nodes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from provgraph.clock import NOW
from provgraph.errors import ProvgraphError
from provgraph.queries.lineage import Lineage, json_lines, walk
from provgraph.store import compact
from provgraph.store.base import CompactWalk, LineageEdge
from provgraph.store.compact import breadth_first, compact_walk
from tests.json_lines import streamed_answer


class _Answering:
    """A store whose only answer is the walk it was given."""

    uri = "memory://test"

    def __init__(self, walked: CompactWalk) -> None:
        self.walked = walked

    def walk_now(self, *_: Any) -> CompactWalk:
        return self.walked


def _answer(walked: CompactWalk, root: str, direction: str) -> Lineage:
    return walk(_Answering(walked), root, direction,  # type: ignore[arg-type]
                depth=None, relations=None, include_agents=False, as_of=NOW)


def _random_rows(rng: random.Random, direction: str, breadth_first: bool = False
                 ) -> tuple[str, list[list[Any]], CompactWalk]:
    """A random graph's walk from a random root as a store's rows (in random order, or breadth
    first: by hop count from the root, in random order within a level, as Neo4j's pruning
    search sends them), and the same walk as the generic path's unsorted nodes and edges."""
    ids = [f"n{i}" if i % 3 else f"n{i}:x" for i in range(rng.randint(1, 40))]
    edges: list[tuple[str, str, str, str | None, str | None]] = []  # source, rel, target
    for _ in range(rng.randint(0, 90)):
        source, target = rng.choice(ids), rng.choice(ids)
        role = rng.choice([None, None, "data", "base model", "a#b"])
        explicit = rng.choice([None, None, None, "run-7", "x@y"])
        edges.append((source, rng.choice(["used", "wasDerivedFrom", "hadMember"]), target,
                      role, explicit))
    root = rng.choice(ids)
    opaque = {i for i in ids if rng.random() < 0.15}
    down = direction == "down"
    # What the store's walk reaches: along edges from the root, and none leaves an opaque
    # node (the projection has none); a key names one relation.
    unique = {(s, r, t, role, x): None for s, r, t, role, x in edges if s not in opaque}
    live = list(unique)
    step: dict[str, list[tuple[str, str, str, str | None, str | None]]] = {}
    for e in live:
        step.setdefault(e[0] if down else e[2], []).append(e)
    hops, frontier, depth = {root: 0}, [root], 0
    while frontier:
        depth += 1
        level = [e[2] if down else e[0] for here in frontier for e in step.get(here, ())]
        frontier = [node for node in dict.fromkeys(level) if node not in hops]
        hops.update((node, depth) for node in frontier)
    reached = set(hops)
    kinds = {i: ("entity", rng.choice([None, "Model", "Dataset"]), i in opaque) for i in ids}
    rows: list[list[Any]] = []
    generic = CompactWalk()
    order = (lambda n: (hops[n], rng.random())) if breadth_first else (lambda _: rng.random())
    for node in sorted(reached, key=order):
        out = []
        for source, relation, target, role, explicit in step.get(node, ()):
            key = f"{relation}:{source}->{target}" + (f"#{role}" if role else "")
            key = f"{key}@{explicit}" if explicit else key
            out.append([relation, target if down else source, role,
                        key if explicit else None])
            generic.edges.append(LineageEdge(source, relation, target, key, role))
        rows.append([node, *kinds[node], out])
        generic.nodes[node] = kinds[node]
    return root, rows, generic


@pytest.mark.parametrize("direction", ["down", "up"])
def test_compact_answers_equal_the_generic_ones(direction: str) -> None:
    rng = random.Random(11)
    for _ in range(300):
        root, rows, generic = _random_rows(rng, direction)
        compact = compact_walk(root, rows, direction)  # type: ignore[arg-type]
        assert _answer(compact, root, direction) == _answer(generic, root, direction)


@pytest.mark.parametrize("direction", ["down", "up"])
def test_rows_breadth_first_are_answered_as_they_arrive(
        direction: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows in breadth-first order get their hop counts as they arrive: the search over the
    whole answer at the end (for rows in any other order) is never run, and the answer is
    the same."""
    def search_again(*_: Any) -> None:
        raise AssertionError("rows in breadth-first order were searched again")

    monkeypatch.setattr(compact, "_levels", search_again)
    rng = random.Random(12)
    for _ in range(300):
        root, rows, generic = _random_rows(rng, direction, breadth_first=True)
        walked = compact_walk(root, rows, direction)  # type: ignore[arg-type]
        assert _answer(walked, root, direction) == _answer(generic, root, direction)


@pytest.mark.parametrize("direction", ["down", "up"])
def test_a_row_out_of_breadth_first_order_is_caught(direction: str) -> None:
    """One row moved a level too early or too late makes the answer come from the search at
    the end: hop counts are never those of the order."""
    rng = random.Random(13)
    checked = 0
    for _ in range(300):
        root, rows, generic = _random_rows(rng, direction, breadth_first=True)
        if len(rows) < 3:
            continue
        i = rng.randrange(2, len(rows))
        for moved in ([rows[0], rows[i], *rows[1:i], *rows[i + 1:]],
                      [rows[0], *rows[2:], rows[1]]):
            walked = compact_walk(root, moved, direction)  # type: ignore[arg-type]
            assert _answer(walked, root, direction) == _answer(generic, root, direction)
            checked += 1
    assert checked > 200


def test_an_empty_answer_is_empty() -> None:
    walked = compact_walk("x", [], "up")
    assert (walked.answer, walked.opaque, walked.edges) == ([], [], [])


@pytest.mark.parametrize("direction", ["down", "up"])
def test_rows_breadth_first_stream_as_the_whole_answer(direction: str) -> None:
    """A walk's rows streamed as JSON Lines with the hop counts breadth_first gives them
    hold the answer built whole."""
    rng = random.Random(14)
    for _ in range(300):
        root, rows, generic = _random_rows(rng, direction, breadth_first=True)
        lines = list(json_lines(root, direction,  # type: ignore[arg-type]
                                breadth_first(root, rows)))
        assert streamed_answer(lines, direction) == _answer(generic, root, direction).to_dict()


def test_a_row_out_of_breadth_first_order_stops_a_stream() -> None:
    """A stream cannot take back lines written, so a row whose hop count the order does not
    give is an error, not a guess."""
    rows = [["r", "entity", None, False, [["wasDerivedFrom", "a", None, None]]],
            ["b", "entity", None, False, [["wasDerivedFrom", "c", None, None]]],
            ["a", "entity", None, False, [["wasDerivedFrom", "b", None, None]]]]
    streamed = breadth_first("r", rows)
    assert next(streamed)[4] == 0
    with pytest.raises(ProvgraphError, match="'b' out of breadth-first order"):
        next(streamed)
