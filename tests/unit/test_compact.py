"""A lineage answer built from a query's node rows (provgraph.store.compact) equals the one
the generic path builds from unsorted nodes and edges, on random graphs with cycles, roles,
explicit ids, parallel edges and opaque nodes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from provgraph.clock import NOW
from provgraph.queries.lineage import Lineage, walk
from provgraph.store.base import CompactWalk, LineageEdge
from provgraph.store.compact import compact_walk


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


def _random_rows(rng: random.Random, direction: str) -> tuple[str, list[list[Any]],
                                                               CompactWalk]:
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
    reached, frontier = {root}, [root]
    while frontier:
        frontier = [e[2] if down else e[0] for here in frontier for e in step.get(here, ())
                    if (e[2] if down else e[0]) not in reached]
        reached.update(frontier)
    kinds = {i: ("entity", rng.choice([None, "Model", "Dataset"]), i in opaque) for i in ids}
    rows: list[list[Any]] = []
    generic = CompactWalk()
    for node in sorted(reached, key=lambda _: rng.random()):
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


def test_an_empty_answer_is_empty() -> None:
    walked = compact_walk("x", [], "up")
    assert (walked.answer, walked.opaque, walked.edges) == ([], [], [])
