"""Takedown: what must be retrained when data is removed. The reference example, the three
classes on purpose-built graphs, and random graphs against a brute-force reference (witnesses
by enumeration over the cut graph, downstream by a plain search), on every backend."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import provgraph
from provgraph.cli import main
from provgraph.errors import ConfigurationError, NotFoundError
from provgraph.graph import Graph
from tests.backends.test_why_bruteforce import (
    DEPENDENCY,
    EQUIVALENCE,
    brute_force,
    graphs,
    ingest_spec,
)

_counter = itertools.count()


def _classes(answer: dict[str, Any]) -> dict[str, str]:
    return {e["id"]: cls for cls in ("must_retrain", "unaffected", "unknown")
            for e in answer[cls]}


def test_the_reference_example(reference: Graph) -> None:
    answer = reference.takedown(["s3"]).to_dict()
    assert answer["removed"] == ["s3"]
    retrain = {e["id"]: e for e in answer["must_retrain"]}
    assert {"M1", "S1", "S1-int8", "I", "R", "c3", "clean@1"} <= set(retrain)
    assert retrain["S1-int8"]["witnesses"] == [["B", "repo@abc", "s1", "s3"]]
    assert retrain["S1-int8"]["paths"]["s3"] == ["S1-int8", "S1", "d1", "clean@1", "c3", "s3"]
    assert answer["unaffected"] == []
    for cls in ("must_retrain", "unaffected", "unknown"):
        assert [e["id"] for e in answer[cls]] == sorted(e["id"] for e in answer[cls])
    # s2 was dropped by preprocessing (the use is member by member): only its dataset moves.
    dropped = reference.takedown(["s2"]).to_dict()
    assert _classes(dropped) == {"raw@1": "unknown"}
    assert "contains the removed member 's2'" in dropped["unknown"][0]["reason"]


def _ingest(graph: Graph, nodes: list[dict[str, Any]], relations: list[dict[str, Any]]) -> None:
    graph.ingest({"id": f"takedown-{next(_counter)}", "nodes": nodes, "relations": relations})


def _entity(node_id: str, type_: str, **more: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "entity", "type": type_, **more}


def test_a_removal_that_hits_one_of_two_alternative_derivations(graph: Graph) -> None:
    # The merged model can be derived from either fine-tune: removing the data of one leaves
    # the other.
    _ingest(graph, [_entity("data:a", "Dataset"), _entity("data:b", "Dataset"),
                    _entity("model:a", "Model"), _entity("model:b", "Model"),
                    _entity("model:merged", "Model")],
            [{"relation": "wasDerivedFrom", "from": "model:a", "to": "data:a"},
             {"relation": "wasDerivedFrom", "from": "model:b", "to": "data:b"},
             {"relation": "wasDerivedFrom", "from": "model:merged", "to": "model:a",
              "alternative": True},
             {"relation": "wasDerivedFrom", "from": "model:merged", "to": "model:b",
              "alternative": True}])
    answer = graph.takedown(["data:a"]).to_dict()
    assert answer["must_retrain"] == [{"id": "model:a", "type": "Model",
                                       "witnesses": [["data:a"]],
                                       "paths": {"data:a": ["model:a", "data:a"]}}]
    assert answer["unaffected"] == [{"id": "model:merged", "type": "Model",
                                     "alternative": ["data:b"]}]
    assert answer["unknown"] == []
    both = graph.takedown(["data:a", "data:b"]).to_dict()
    assert _classes(both) == {"model:a": "must_retrain", "model:b": "must_retrain",
                              "model:merged": "must_retrain"}


def test_opaque_nodes_and_coarse_uses_are_unknown(graph: Graph) -> None:
    # A vendor model records that it was trained on crawl:2024 but is opaque; a fine-tune of
    # it is therefore unknown. A training run used the dataset as a whole when one of its
    # shards is removed: recorded at a coarser grain than the removal.
    _ingest(graph, [_entity("crawl:2024", "Dataset"), _entity("model:vendor", "Model",
                                                             opaque=True),
                    _entity("model:tuned", "Model"), _entity("ds:web", "Dataset"),
                    _entity("shard:1", "DataShard"), _entity("shard:2", "DataShard"),
                    {"id": "run:train", "kind": "activity", "type": "Training"},
                    _entity("model:web", "Model")],
            [{"relation": "wasDerivedFrom", "from": "model:vendor", "to": "crawl:2024"},
             {"relation": "wasDerivedFrom", "from": "model:tuned", "to": "model:vendor"},
             {"relation": "hadMember", "from": "ds:web", "to": "shard:1"},
             {"relation": "hadMember", "from": "ds:web", "to": "shard:2"},
             {"relation": "used", "from": "run:train", "to": "ds:web"},
             {"relation": "wasGeneratedBy", "from": "model:web", "to": "run:train"}])
    opaque = graph.takedown(["crawl:2024"]).to_dict()
    assert _classes(opaque) == {"model:vendor": "unknown", "model:tuned": "unknown"}
    reasons = {e["id"]: e["reason"] for e in opaque["unknown"]}
    assert "opaque" in reasons["model:vendor"]
    assert "through opaque 'model:vendor'" in reasons["model:tuned"]
    coarse = graph.takedown(["shard:1"]).to_dict()
    assert _classes(coarse) == {"ds:web": "unknown", "run:train": "unknown",
                                "model:web": "unknown"}
    assert "not recorded per member" in {e["id"]: e["reason"]
                                         for e in coarse["unknown"]}["model:web"]
    # Removing the whole dataset removes its shards: the model must be retrained.
    whole = graph.takedown(["ds:web"], plan=True).to_dict()
    assert _classes(whole) == {"run:train": "must_retrain", "model:web": "must_retrain"}
    # The plan to retrain it runs the same step without the removed data.
    assert list(whole["plans"]) == ["model:web"]
    [step] = whole["plans"]["model:web"]["steps"]
    assert step["id"] == "run:train" and step["excluded"] == ["ds:web"]
    assert step["inputs"] == []
    assert "plans" not in graph.takedown(["ds:web"]).to_dict()


def test_bad_ids_are_refused_in_one_line(reference: Graph) -> None:
    with pytest.raises(NotFoundError, match="no node 'nope'"):
        reference.takedown(["s3", "nope"])
    with pytest.raises(ConfigurationError, match="'p1' is an activity"):
        reference.takedown(["p1"])


def test_the_cli_and_the_http_api(tmp_path: Any) -> None:
    uri = f"sqlite:///{tmp_path / 'l.db'}"
    with provgraph.connect(uri) as graph:
        graph.ingest(provgraph.demo.reference_events())
        expected = graph.takedown(["s3"]).to_dict()
        from fastapi.testclient import TestClient

        from provgraph.server import create_app
        client = TestClient(create_app(graph))
        assert client.get("/api/v1/takedown", params={"id": ["s3"]}).json() == expected
        assert client.get("/api/v1/takedown", params={"id": ["nope"]}).status_code == 404
        assert client.get("/api/v1/takedown").status_code == 422
    runner = CliRunner()
    result = runner.invoke(main, ["--uri", uri, "takedown", "s3", "--format", "markdown"])
    assert result.exit_code == 0 and result.output.startswith("# takedown of `s3`")
    assert "## must retrain (" in result.output and "path to `s3`:" in result.output
    result = runner.invoke(main, ["--uri", uri, "takedown", "s3", "--plan"])
    assert result.exit_code == 0
    assert "retraining S1-int8 without the removed data:" in result.output
    assert "q1 (Quantization): S1 [rebuild]" in result.output
    result = runner.invoke(main, ["--uri", uri, "takedown", "p1"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def reference_takedown(spec: dict[str, Any], name: list[str],
                       removed: set[int]) -> dict[str, Any]:
    """The classes by brute force: the cut and the downstream set by plain search over the
    spec, each node's witnesses by enumeration over the cut graph."""
    kinds, opaque = spec["kinds"], spec["opaque"]
    followed = [(a, b, c.split("-")[0], c) for a, b, c in spec["edges"]
                if c != "used-members" and c.split("-")[0] in DEPENDENCY | EQUIVALENCE]
    cut, frontier = set(removed), list(removed)
    while frontier:
        n = frontier.pop()
        for a, b, base, _ in followed:
            if a == n and base == "hadMember" and not opaque[a] and b not in cut:
                cut.add(b)
                frontier.append(b)
    coarse = {a: min((name[b] for x, b, base, _ in followed
                      if x == a and base == "hadMember" and b in cut), default=None)
              for a in range(len(kinds)) if a not in cut}
    coarse = {a: m for a, m in coarse.items() if m is not None}
    reached, hidden = set(cut) | set(coarse), {}
    frontier = list(reached)
    while frontier:
        n = frontier.pop()
        for a, b, _, _ in followed:
            if b == n and a not in reached:
                reached.add(a)
                frontier.append(a)
                if opaque[a]:
                    hidden[a] = n
    downstream = reached - cut
    spec_cut = dict(spec, edges=[(a, b, c) for a, b, c in spec["edges"]
                                 if a not in cut and a not in coarse])
    answer: dict[str, Any] = {"must_retrain": {}, "unaffected": {}, "unknown": set()}
    blurred = {name[i] for i in set(coarse) | set(hidden)}
    cut_names = {name[i] for i in cut}
    for n in sorted(downstream):
        witnesses = brute_force(dict(spec_cut, root=n), name)
        if n in hidden or n in coarse:
            answer["unknown"].add(name[n])
        elif clear := [w for w in witnesses if not cut_names & set(w) and not blurred & set(w)]:
            answer["unaffected"][name[n]] = clear[0]
        elif witnesses and all(cut_names & set(w) for w in witnesses):
            answer["must_retrain"][name[n]] = witnesses
        else:
            answer["unknown"].add(name[n])
    return answer


def check(graph: Graph, spec: dict[str, Any], picks: list[int]) -> None:
    entities = [i for i, k in enumerate(spec["kinds"]) if k == "entity"]
    if not entities:
        return
    removed = {entities[p % len(entities)] for p in picks}
    name = ingest_spec(graph, spec, f"t{next(_counter)}:")
    got = graph.takedown([name[i] for i in removed]).to_dict()
    want = reference_takedown(spec, name, removed)
    assert {e["id"]: e["witnesses"] for e in got["must_retrain"]} == want["must_retrain"]
    assert {e["id"]: e["alternative"] for e in got["unaffected"]} == want["unaffected"]
    assert {e["id"] for e in got["unknown"]} == want["unknown"]
    edges = {(name[a], name[b]) for a, b, _ in spec["edges"]}
    for entry in got["must_retrain"]:
        for target, path in entry["paths"].items():  # each proof is a path of the graph
            assert path[0] == entry["id"] and path[-1] == target
            assert all((x, y) in edges for x, y in itertools.pairwise(path))


SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(spec=graphs(), picks=st.lists(st.integers(0, 20), min_size=1, max_size=2))
def test_takedown_equals_brute_force_embedded(graph: Graph, spec: dict[str, Any],
                                              picks: list[int]) -> None:
    check(graph, spec, picks)


@pytest.mark.parametrize("backend", ["neo4j"])
@settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
@given(spec=graphs(), picks=st.lists(st.integers(0, 20), min_size=1, max_size=2))
def test_takedown_equals_brute_force_neo4j(graph: Graph, spec: dict[str, Any],
                                           picks: list[int]) -> None:
    check(graph, spec, picks)
