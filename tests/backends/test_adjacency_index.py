"""The embedded store's adjacency index answers walks "now" exactly as the SQL walk does:
through batch after batch of additions, redefinitions, opacity changes and retractions, in
one process and across two; saved beside the file, reloaded, caught up through the chain, and
never used when stale or edited (verify names it and it is rebuilt)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import provgraph
from provgraph.clock import NOW
from provgraph.graph import Graph
from provgraph.queries.lineage import impact_summary, walk
from provgraph.store.sqlite import SQLiteStore
from provgraph.store.sqlite_index import AdjacencyIndex

_counter = itertools.count()
# Relations allowed between (from-kind, to-kind), dependency, responsibility or neither.
CHOICES = {
    ("entity", "entity"): ["wasDerivedFrom", "hadMember", "alternateOf", "specializationOf"],
    ("entity", "activity"): ["wasGeneratedBy", "wasInvalidatedBy"],
    ("activity", "entity"): ["used"],
    ("activity", "activity"): ["wasInformedBy"],
    ("entity", "agent"): ["wasAttributedTo"],
    ("activity", "agent"): ["wasAssociatedWith"],
    ("agent", "agent"): ["actedOnBehalfOf"],
}


def _answers(store: SQLiteStore, root: str, as_of: int) -> list[Any]:
    """Every walk answer of ``root`` at ``as_of``: both directions, bounded or not, agents
    or not, and the impact summary."""
    found: list[Any] = []
    for direction, depth, agents in itertools.product(("down", "up"), (None, 1, 2),
                                                      (False, True)):
        answer = walk(store, root, direction, depth=depth, relations=None,
                      include_agents=agents, as_of=as_of)
        found.append((answer.nodes, answer.edges, answer.opaque))
    found.append(impact_summary(store, root, depth=None, relations=None,
                                include_agents=False, as_of=as_of).to_dict())
    return found


def _same_as_sql(graph: Graph, roots: list[str]) -> None:
    """The index's answers (now) equal the SQL walk's at a time after every write."""
    store: Any = graph.store
    known = store.kinds(roots, NOW - 1)
    for root in roots:
        if root in known:
            assert _answers(store, root, NOW) == _answers(store, root, NOW - 1), root


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Batches over a few nodes: each defines, redefines (kind fixed, type and opacity
    drawn), relates and retracts."""
    size = draw(st.integers(2, 8))
    kinds = draw(st.lists(st.sampled_from(["entity", "activity", "agent"]), min_size=size,
                          max_size=size))
    batches = []
    for _ in range(draw(st.integers(1, 5))):
        nodes = [{"id": i, "kind": kinds[i], "type": draw(st.sampled_from([None, "Model",
                                                                            "Dataset"])),
                  "opaque": draw(st.booleans()) and kinds[i] == "entity"}
                 for i in draw(st.lists(st.integers(0, size - 1), max_size=size,
                                        unique=True))]
        relations = [{"pick": draw(st.integers(0, 3)), "from": a, "to": b,
                      "role": draw(st.sampled_from([None, "train", "eval"])),
                      "members": draw(st.booleans()) and draw(st.booleans()),
                      "explicit": draw(st.booleans()) and draw(st.booleans())}
                     for a, b in draw(st.lists(st.tuples(st.integers(0, size - 1),
                                                         st.integers(0, size - 1)),
                                               max_size=size * 2))]
        retract = draw(st.lists(st.integers(0, size - 1), max_size=2, unique=True))
        unrelate = draw(st.lists(st.integers(0, 20), max_size=2))
        batches.append({"kinds": kinds, "nodes": nodes, "relations": relations,
                        "retract": retract, "unrelate": unrelate})
    return batches


def _play(graph: Graph, batches: list[dict[str, Any]]) -> list[str]:
    """Ingest ``batches`` (each as one event, skipping what the store refuses, as a user
    would), checking the index against SQL after each; returns the node ids."""
    prefix = f"h{next(_counter)}:"
    defined: set[int] = set()
    related: list[dict[str, Any]] = []
    names = [f"{prefix}{i}" for i in range(8)]
    for n, batch in enumerate(batches):
        retract = [i for i in batch["retract"] if i in defined]
        defined |= {node["id"] for node in batch["nodes"]}
        defined -= set(retract)
        nodes = [{**node, "id": names[node["id"]]} for node in batch["nodes"]]
        relations = []
        for r in batch["relations"]:
            options = CHOICES.get((batch["kinds"][r["from"]], batch["kinds"][r["to"]]))
            if (r["from"] == r["to"] or r["from"] not in defined or r["to"] not in defined
                    or not options):
                continue
            row: dict[str, Any] = {"relation": options[r["pick"] % len(options)],
                                   "from": names[r["from"]], "to": names[r["to"]]}
            if r["role"]:
                row["role"] = r["role"]
            if r["members"] and row["relation"] == "used":
                row["granularity"] = "members"
            if r["explicit"]:
                row["id"] = f"rel{len(related)}"
            relations.append(row)
        unrelate = [related[i] for i in batch["unrelate"] if i < len(related)]
        event = {"id": f"{prefix}e{n}", "nodes": nodes, "relations": relations,
                 "retract": {"nodes": [names[i] for i in retract],
                             "relations": [{k: v for k, v in r.items()
                                            if k in ("relation", "from", "to", "role", "id")}
                                           for r in unrelate]}}
        graph.ingest(event)
        related.extend(relations)
        _same_as_sql(graph, names)
    return names


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=histories())
def test_index_walks_equal_sql_walks_batch_after_batch(tmp_path: Path,
                                                       batches: list[dict[str, Any]]) -> None:
    path = tmp_path / f"{next(_counter)}.sqlite"
    graph = provgraph.connect(f"sqlite:///{path}")
    try:
        names = _play(graph, batches)
    finally:
        graph.close()
    # Reopened: the saved index is loaded and answers the same.
    graph = provgraph.connect(f"sqlite:///{path}")
    try:
        _same_as_sql(graph, names)
        assert graph.verify().ok
    finally:
        graph.close()


def test_reference_answers_come_from_the_index(tmp_path: Path) -> None:
    graph = provgraph.connect(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    graph.ingest(provgraph.demo.demo_events())
    store: Any = graph.store
    answer = graph.ancestry("S1")
    assert store._index is not None and store._index.head[0] > 0
    _same_as_sql(graph, [answer.root, *answer.ids, *store.ids(NOW)])
    graph.close()


def _reference_file(tmp_path: Path) -> Path:
    path = tmp_path / "lineage.sqlite"
    graph = provgraph.connect(f"sqlite:///{path}")
    graph.ingest(provgraph.demo.reference_events())
    graph.ancestry("S1")
    graph.close()
    return path


def test_a_saved_index_is_loaded_not_built(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = _reference_file(tmp_path)
    assert Path(f"{path}.index").exists()
    expected = provgraph.connect(f"sqlite:///{path}").ancestry("S1")

    def refuse(*_: Any) -> AdjacencyIndex:
        raise AssertionError("built, though a current index was saved")

    monkeypatch.setattr(AdjacencyIndex, "build", refuse)
    graph = provgraph.connect(f"sqlite:///{path}")
    assert graph.ancestry("S1") == expected
    graph.close()


def test_another_process_write_is_seen_through_the_chain(tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    reader = provgraph.connect(f"sqlite:///{path}")
    writer = provgraph.connect(f"sqlite:///{path}")
    try:
        before = reader.impact("clean@1")
        writer.ingest({"id": "late", "nodes": [{"id": "late-model", "kind": "entity",
                                                "type": "Model"}],
                       "relations": [{"relation": "wasDerivedFrom", "from": "late-model",
                                      "to": "S1"}]})
        after = reader.impact("clean@1")
        assert after.ids == before.ids | {"late-model"}
        writer.ingest({"id": "later", "retract": {"nodes": ["late-model"]}})
        assert reader.impact("clean@1").ids == before.ids
        _same_as_sql(reader, ["clean@1", "S1"])
    finally:
        reader.close()
        writer.close()


def test_an_edited_index_file_is_named_by_verify_and_never_used(tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    saved = Path(f"{path}.index")
    expected = provgraph.connect(f"sqlite:///{path}").ancestry("S1")
    raw = bytearray(saved.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    saved.write_bytes(bytes(raw))
    graph = provgraph.connect(f"sqlite:///{path}")
    assert graph.ancestry("S1") == expected  # rebuilt, not read
    graph.close()
    saved.write_bytes(bytes(raw))
    graph = provgraph.connect(f"sqlite:///{path}")
    report = graph.verify()
    assert not report.ok
    assert any("adjacency index" in p and "seal" in p for p in report.problems)
    assert graph.verify().ok  # verify replaced it with one built from the rows
    graph.close()


def test_a_resealed_index_that_lies_is_named_by_verify(tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    saved = Path(f"{path}.index")
    index = AdjacencyIndex.load(saved)
    assert index is not None
    dropped = index.ids["S1"]
    index.kind[dropped] = -1  # an index that forgot a node, written by someone else
    index.save(saved)
    graph = provgraph.connect(f"sqlite:///{path}")
    report = graph.verify()
    assert any("S1" in p and "adjacency index" in p
               for p in report.problems), report.problems
    assert graph.verify().ok
    assert graph.ancestry("S1").ids
    graph.close()


def test_an_index_from_another_chain_is_rebuilt(tmp_path: Path) -> None:
    path = _reference_file(tmp_path)
    other = tmp_path / "other.sqlite"
    graph = provgraph.connect(f"sqlite:///{other}")
    graph.ingest({"id": "x", "nodes": [{"id": "a", "kind": "entity"}]})
    graph.ancestry("a")
    graph.close()
    Path(f"{path}.index").write_bytes(Path(f"{other}.index").read_bytes())
    graph = provgraph.connect(f"sqlite:///{path}")
    assert graph.ancestry("S1").ids
    report = graph.verify()
    assert any("does not hold" in p for p in report.problems), report.problems
    graph.close()
