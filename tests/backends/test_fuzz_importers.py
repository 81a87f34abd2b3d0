"""Fuzzing the importers on every backend: random JSON, and valid inputs with one part
replaced by something random. The only acceptable failure is a ProvgraphError, and a rejected
input writes nothing (the hash chain does not move)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import provgraph
from provgraph import InvalidEventError, ProvgraphError
from provgraph.graph import Graph

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=16,
)

NATIVE = {"id": "fz-1", "nodes": [
    {"id": "fz:m", "kind": "entity", "type": "Model", "attributes": {"license": "mit"}},
    {"id": "fz:run", "kind": "activity", "type": "Training", "started_at": "2026-01-01T00:00Z"},
], "relations": [
    {"relation": "wasGeneratedBy", "from": "fz:m", "to": "fz:run", "role": "output"},
    {"relation": "used", "from": "fz:run", "to": "fz:m", "role": "base",
     "copies": {"license": "license"}}]}
OPENLINEAGE = {
    "eventType": "COMPLETE", "eventTime": "2026-11-26T10:00:00Z", "producer": "https://x/y",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
    "run": {"runId": "3f2a4b1c-0d9e-4f7a-8b6c-5d4e3f2a1b0c", "facets": {}},
    "job": {"namespace": "ns", "name": "train"},
    "inputs": [{"namespace": "ns", "name": "in", "facets": {}}],
    "outputs": [{"namespace": "ns", "name": "out", "facets": {"columnLineage": {
        "fields": {"a": {"inputFields": [{"namespace": "ns", "name": "in", "field": "a"}]}}}}}]}
PROV = {"prefix": {"ex": "http://example.org/"},
        "entity": {"ex:e": {"prov:type": {"$": "ex:T", "type": "prov:QUALIFIED_NAME"}}},
        "activity": {"ex:a": {"prov:startTime": "2026-01-01T00:00:00"}},
        "wasGeneratedBy": {"_:g": {"prov:entity": "ex:e", "prov:activity": "ex:a"}},
        "bundle": {"ex:b": {"entity": {"ex:f": {}}}}}
CARD = "---\nbase_model: org/base\nlicense: mit\ndatasets: [org/data]\n---\n# A model\n"


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """``valid`` with one part replaced by random JSON (or removed)."""
    value = copy.deepcopy(valid)
    path = draw(st.sampled_from(_paths(value)))
    if not path:
        return draw(JSON)
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    return value


def _head(graph: Graph) -> str | None:
    entry = graph.store.log.chain_at(2**62)
    return entry.hash if entry else None


def _feed(graph: Graph, call: Any, value: Any) -> None:
    before = _head(graph)
    try:
        call(value)
    except ProvgraphError:
        assert _head(graph) == before, "a rejected input wrote something"


def _examples(backend: str) -> settings:
    return settings(max_examples=150 if backend == "sqlite" else 25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.mark.parametrize("importer", ["native", "openlineage", "prov", "hf"])
def test_importers_reject_garbage_cleanly(graph: Graph, backend: str, importer: str) -> None:
    calls = {
        "native": (graph.ingest, NATIVE),
        "openlineage": (graph.ingest_openlineage, OPENLINEAGE),
        "prov": (lambda v: graph.import_prov(json.dumps(v)), PROV),
        "hf": (lambda v: graph.import_hf_card(
            "---\n" + json.dumps(v) + "\n---\n" if not isinstance(v, str) else v, "org/m"),
            {"base_model": "org/base", "license": "mit", "datasets": ["org/data"]}),
    }
    call, valid = calls[importer]
    call(valid)  # the valid input itself goes in

    @_examples(backend)
    @given(value=st.one_of(JSON, mutated(valid)))
    def fuzz(value: Any) -> None:
        _feed(graph, call, value)

    fuzz()
    report = graph.verify()
    assert report.ok, report.problems


def test_hf_card_text_garbage(tmp_path: Any) -> None:
    graph = provgraph.connect(f"sqlite:///{tmp_path / 'hf.sqlite'}")

    @settings(max_examples=150, deadline=None)
    @given(text=st.text(max_size=200) | st.builds(lambda a, b: a + CARD + b,
                                                 st.text(max_size=20), st.text(max_size=20)))
    def fuzz(text: str) -> None:
        _feed(graph, lambda t: graph.import_hf_card(t, "org/m"), text)

    fuzz()
    assert graph.verify().ok


def test_a_card_naming_a_model_in_invalid_unicode_is_refused(graph: Graph) -> None:
    # Found by the fuzzer above: the card's base model, a lone surrogate in JSON, was sent
    # to Neo4j to look it up, and the driver's UTF-8 encoding failed with a raw error.
    card = '---\n{"base_model": "org/\\ud800x"}\n---\n'
    with pytest.raises(InvalidEventError, match="(?i)unicode"):
        graph.import_hf_card(card, "org/m")
    assert graph.verify().entries == 0


@pytest.mark.parametrize("odd", [True, 5, 1.5, "body", {"name": "x"}, None])
def test_a_malformed_column_of_column_lineage_names_no_source(graph: Graph, odd: Any) -> None:
    # Found by the fuzzer above: a column whose inputFields was not a list made the
    # OpenLineage importer fail with a raw TypeError (or iterate a string's characters).
    # Like any malformed part of a facet it names no source; the other columns still do.
    event = copy.deepcopy(OPENLINEAGE)
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    fields["b"] = {"inputFields": odd}
    graph.ingest_openlineage(event)
    out = "openlineage:dataset/ns/out"
    assert graph.where(out, "column:a").chain[-1]["node"] == "openlineage:dataset/ns/in"
    assert graph.ancestry(out).ids == {"openlineage:run/" + event["run"]["runId"],
                                       "openlineage:dataset/ns/in"}
    assert graph.verify().ok
