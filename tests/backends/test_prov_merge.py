"""PROV documents merge as PROV says, on both backends: a node named only inside relations is
referenced, not described (no new version), and a node declared again is unified with what is
stored (union of attributes, multi-valued where they differ) as a new version."""

from __future__ import annotations

import io
import json
import warnings
from typing import Any

import prov.model
import pytest

from provgraph.graph import Graph

PREFIX = {"ex": "http://example.org/", "pg": "https://w3id.org/provgraph/ns#"}
MODEL = {"prefix": PREFIX, "entity": {"ex:m": {
    "prov:type": {"$": "pg:Model", "type": "prov:QUALIFIED_NAME"}, "ex:tokenizer": "bpe"}}}
USE = {"prefix": PREFIX, "activity": {"ex:run2": {}},
       "used": {"_:u1": {"prov:activity": "ex:run2", "prov:entity": "ex:m"}}}
REDECLARE = {"prefix": PREFIX, "entity": {"ex:m": {"ex:tokenizer": "sentencepiece",
                                                   "ex:license": "apache-2.0"}}}


def _read(text: str) -> prov.model.ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prov.read(io.StringIO(text), format="json")


def unified_union(*documents: dict[str, Any]) -> prov.model.ProvDocument:
    """What PROV says several documents mean together: their records, unified."""
    union = prov.model.ProvDocument()
    for document in documents:
        union.update(_read(json.dumps(document)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return union.unified()


def test_a_reference_does_not_erase_a_description(graph: Graph) -> None:
    graph.import_prov(MODEL)
    result = graph.import_prov(USE)
    history = graph.history("ex:m")
    assert [v.version for v in history] == [1]
    assert result.node_versions == 1  # ex:run2 only
    node = graph.node("ex:m")
    assert (node.type, node.attributes) == ("Model", {"ex:tokenizer": "bpe"})
    assert graph.where("ex:m", "ex:tokenizer").to_dict()["origin"] == "ex:m"
    assert graph.impact("ex:m").to_dict()["nodes"][0]["id"] == "ex:run2"
    assert "ex:m" in json.loads(graph.export_prov())["entity"]
    assert _read(graph.export_prov()) == unified_union(MODEL, USE)


def test_a_declaration_again_merges_as_a_new_version(graph: Graph) -> None:
    graph.import_prov(MODEL)
    graph.import_prov(USE)
    graph.import_prov(REDECLARE)
    history = graph.history("ex:m")
    assert [v.version for v in history] == [1, 2]
    assert history[0].attributes == {"ex:tokenizer": "bpe"}
    assert history[1].type == "Model"
    assert history[1].attributes == {"ex:tokenizer": ["bpe", "sentencepiece"],
                                     "ex:license": "apache-2.0"}
    assert _read(graph.export_prov()) == unified_union(MODEL, USE, REDECLARE)
    # In either order, the same union.
    assert graph.import_prov(MODEL).node_versions == 0


def test_documents_in_the_other_order_give_the_same_union(graph: Graph) -> None:
    graph.import_prov(USE)
    assert graph.node("ex:m").attributes == {}
    graph.import_prov(REDECLARE)
    graph.import_prov(MODEL)
    assert _read(graph.export_prov()) == unified_union(MODEL, USE, REDECLARE)
    assert graph.node("ex:m").type == "Model"


def test_named_relations_merge_and_native_nodes_keep_their_description(graph: Graph) -> None:
    graph.ingest({"id": "native-1", "nodes": [
        {"id": "ex:base", "kind": "entity", "type": "Model", "attributes": {"license": "mit"}}]})
    first = {"prefix": PREFIX, "entity": {"ex:ft": {}},
             "wasDerivedFrom": {"ex:d1": {"prov:generatedEntity": "ex:ft",
                                          "prov:usedEntity": "ex:base", "ex:note": "a"}}}
    second = {"prefix": PREFIX, "entity": {"ex:base": {"ex:size": 7}},
              "wasDerivedFrom": {"ex:d1": {"prov:generatedEntity": "ex:ft",
                                           "prov:usedEntity": "ex:base", "ex:note": "b"}}}
    graph.import_prov(first)
    graph.import_prov(second)
    base = graph.node("ex:base")
    assert (base.version, base.type) == (2, "Model")
    assert base.attributes == {"license": "mit", "ex:size": 7}
    derivations = json.loads(graph.export_prov())["wasDerivedFrom"]
    assert derivations["ex:d1"]["ex:note"] == ["a", "b"]
    assert [r.relation for r in graph.relations("ex:ft")] == ["wasDerivedFrom"]


def test_conflicting_activity_times_are_refused_and_nothing_is_written(graph: Graph) -> None:
    from provgraph import InvalidEventError

    run = {"prefix": PREFIX, "activity": {"ex:r": {"prov:startTime": "2026-01-01T00:00:00"}}}
    other = {"prefix": PREFIX, "activity": {"ex:r": {"prov:startTime": "2026-02-01T00:00:00"}},
             "entity": {"ex:new": {}}}
    graph.import_prov(run)
    with pytest.raises(InvalidEventError, match="ex:r.*startTime"):
        graph.import_prov(other)
    assert graph.store.nodes(["ex:new"], 2**62) == {}


def _chain_document(length: int) -> dict[str, Any]:
    entities = {f"ex:v{i}": {"ex:n": i} for i in range(length)}
    derived = {f"_:d{i}": {"prov:generatedEntity": f"ex:v{i}",
                           "prov:usedEntity": f"ex:v{i - 1}"} for i in range(1, length)}
    return {"prefix": PREFIX, "entity": entities, "wasDerivedFrom": derived}


def test_an_interrupted_import_keeps_whole_chunks_and_a_rerun_completes_it(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    from provgraph import StoreUnavailableError
    from provgraph.formats import prov_merge

    monkeypatch.setattr(prov_merge, "CHUNK_RECORDS", 100)
    document = _chain_document(300)  # 599 records: 6 chunks
    write, writes = graph.store.write, []

    def crash_after_three(changes: Any, recorded_at: int) -> Any:
        if len(writes) == 3:
            raise StoreUnavailableError("killed mid-import")
        writes.append(changes)
        return write(changes, recorded_at)

    monkeypatch.setattr(graph.store, "write", crash_after_three)
    with pytest.raises(StoreUnavailableError):
        graph.import_prov(document)
    written = sorted(graph.store.known_events([e for c in writes for e in c.events]))
    assert len(written) == 3 and written[0].startswith("prov-json:")
    assert len(graph.store.nodes([f"ex:v{i}" for i in range(300)], 2**62)) == 300
    assert graph.relations("ex:v150") == []  # relations are in the chunks not written yet

    monkeypatch.setattr(graph.store, "write", write)
    result = graph.import_prov(document)
    assert (result.events, result.skipped_events) == (3, 3)
    assert result.relation_versions == 299 and result.node_versions == 0
    assert _read(graph.export_prov()) == unified_union(document)
    assert len(graph.ancestry("ex:v299").nodes) == 299
    assert graph.import_prov(document).skipped_events == 6
