"""Licence obligations along lineage: bases' weight licences through fine-tunes, adapters,
quantizations and merges, a teacher's terms through a distillation, datasets' licences into
the models trained on them; conflicts named with the path as proof; unknown licence strings
reported as unchecked. On every backend, and through the CLI and HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import provgraph
from provgraph.cli import main
from provgraph.errors import ConfigurationError, NotFoundError
from provgraph.graph import Graph
from provgraph.server import create_app


def _entity(node_id: str, type_: str, license: str | None = None) -> dict[str, Any]:
    attributes = {"license": license} if license else {}
    return {"id": node_id, "kind": "entity", "type": type_, "attributes": attributes}


def _run(node_id: str, type_: str) -> dict[str, Any]:
    return {"id": node_id, "kind": "activity", "type": type_}


def _zoo(graph: Graph) -> None:
    graph.ingest({"id": "zoo", "nodes": [
        _entity("base", "Model", "llama3"), _entity("teacher", "Model", "gemma"),
        _entity("web", "Dataset", "CC-BY-NC-4.0"), _entity("wiki", "Dataset", "CC-BY-SA-4.0"),
        _entity("clean", "Dataset"), _entity("code", "Dataset", "Apache-2.0"),
        _run("run:sft", "FineTuning"), _entity("tuned", "Model", "Apache-2.0"),
        _run("run:quant", "Quantization"), _entity("tuned-int4", "Model", "llama3"),
        _run("run:distill", "Distillation"), _entity("student", "Model", "MIT"),
        _entity("adapter", "Adapter", "llama3"),
    ], "relations": [
        {"relation": "wasDerivedFrom", "from": "clean", "to": "web"},
        {"relation": "used", "from": "run:sft", "to": "base", "role": "base_model"},
        {"relation": "used", "from": "run:sft", "to": "clean", "role": "training_data"},
        {"relation": "wasGeneratedBy", "from": "tuned", "to": "run:sft"},
        {"relation": "used", "from": "run:quant", "to": "tuned"},
        {"relation": "wasGeneratedBy", "from": "tuned-int4", "to": "run:quant"},
        {"relation": "used", "from": "run:distill", "to": "teacher", "role": "teacher"},
        {"relation": "used", "from": "run:distill", "to": "code", "role": "training_data"},
        {"relation": "used", "from": "run:distill", "to": "wiki", "role": "training_data"},
        {"relation": "wasGeneratedBy", "from": "student", "to": "run:distill"},
        {"relation": "wasDerivedFrom", "from": "student", "to": "teacher"},
        {"relation": "wasDerivedFrom", "from": "adapter", "to": "base"},
    ]})


def _binding(report: dict[str, Any]) -> dict[tuple[str, str], tuple[str, list[str]]]:
    return {(b["from"], b["license"]): (b["as"], b["path"]) for b in report["binding"]}


def test_licences_propagate_by_what_each_step_is(graph: Graph) -> None:
    _zoo(graph)
    tuned = graph.licenses("tuned").to_dict()
    assert tuned["declared"] == "Apache-2.0"
    # The fine-tune carries its base's weight licence; the cleaned data carries the licence
    # of the data it was cleaned from.
    assert _binding(tuned) == {("base", "llama3"): ("weights", ["tuned", "run:sft", "base"]),
                               ("web", "CC-BY-NC-4.0"): ("data", ["tuned", "run:sft", "clean",
                                                                 "web"])}
    reasons = {c["from"]: c["reason"] for c in tuned["conflicts"]}
    assert "does not allow commercial use" in reasons["web"]
    assert "carry their base's weight licence" in reasons["base"]
    # A quantization carries everything that binds its base; declaring llama3 is consistent.
    quant = graph.licenses("tuned-int4").to_dict()
    assert _binding(quant)[("base", "llama3")] == (
        "weights", ["tuned-int4", "run:quant", "tuned", "run:sft", "base"])
    assert ("tuned", "Apache-2.0") in _binding(quant)
    assert [c["from"] for c in quant["conflicts"]] == ["web"]  # non-commercial data only
    # A distillation carries the teacher's terms as an obligation, not its weights.
    student = graph.licenses("student").to_dict()
    assert _binding(student)[("teacher", "gemma")][0] == "obligation"
    assert {c["from"] for c in student["conflicts"]} == {"wiki"}  # share-alike data
    # An adapter is derived from its base: same family, no conflict.
    assert graph.licenses("adapter").to_dict()["conflicts"] == []


def test_unknown_licences_are_reported_and_unknown_ids_refused(
        graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph.ingest({"id": "odd", "nodes": [
        _entity("data:x", "Dataset", "my-own-terms"), _entity("m", "Model", "MIT"),
        _entity("web", "Dataset", "CC-BY-NC-4.0"),
        # A Hugging Face card's licence without an SPDX id: other, named by license_name.
        {"id": "hf:base", "kind": "entity", "type": "Model",
         "attributes": {"license": "other", "license_name": "llama3"}},
        {"id": "hf:tuned", "kind": "entity", "type": "Model",
         "attributes": {"license": "other", "license_name": "acme-terms"}}],
        "relations": [{"relation": "wasDerivedFrom", "from": "m", "to": "data:x"},
                      {"relation": "wasDerivedFrom", "from": "m", "to": "web"},
                      {"relation": "wasDerivedFrom", "from": "hf:tuned", "to": "hf:base"}]})
    # An unknown licence does not stop the report: it is listed where it binds, with a
    # conflict saying its terms were not checked, and the other findings stay.
    report = graph.licenses("m").to_dict()
    assert [(b["from"], b["license"], b["as"]) for b in report["binding"]] == [
        ("data:x", "my-own-terms", "data"), ("web", "CC-BY-NC-4.0", "data")]
    reasons = {c["from"]: c["reason"] for c in report["conflicts"]}
    assert set(reasons) == {"data:x", "web"}
    assert "data licence my-own-terms of 'data:x' is neither an SPDX expression" in \
        reasons["data:x"]
    assert "terms are unknown" in reasons["data:x"]
    assert "does not allow commercial use" in reasons["web"]
    # license: other reads license_name; an unknown declared licence is itself a finding.
    tuned = graph.licenses("hf:tuned").to_dict()
    assert tuned["declared"] == "acme-terms"
    assert [(b["from"], b["license"]) for b in tuned["binding"]] == [("hf:base", "llama3")]
    assert [(c["from"], c["license"]) for c in tuned["conflicts"]] == [
        ("hf:tuned", "acme-terms"), ("hf:base", "llama3")]
    assert tuned["conflicts"][0]["reason"].startswith(
        "the declared licence acme-terms of 'hf:tuned' is neither")
    with pytest.raises(NotFoundError):
        graph.licenses("nope")
    # Named in a table, the same licence is checked like any other.
    table = tmp_path / "licences.json"
    table.write_text(json.dumps({"my-own-terms": {"family": "acme", "commercial": False,
                                                  "terms": "internal use"}}))
    monkeypatch.setenv("PROVGRAPH_LICENSES", str(table))
    report = graph.licenses("m").to_dict()
    assert report["binding"][0]["license"] == "my-own-terms"
    reasons = {c["from"]: c["reason"] for c in report["conflicts"]}
    assert "does not allow commercial use" in reasons["data:x"]
    graph.ingest({"id": "run", "nodes": [_run("run:a", "Training")]})
    with pytest.raises(ConfigurationError, match="is an activity"):
        graph.licenses("run:a")


def test_the_cli_and_the_http_api(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'l.db'}"
    with provgraph.connect(uri) as graph:
        _zoo(graph)
        expected = graph.licenses("tuned").to_dict()
        client = TestClient(create_app(graph))
        assert client.get("/api/v1/license", params={"id": "tuned"}).json() == expected
        assert client.get("/api/v1/license", params={"id": "nope"}).status_code == 404
    runner = CliRunner()
    result = runner.invoke(main, ["--uri", uri, "license", "tuned"])
    assert result.exit_code == 0
    assert "llama3 (weights) from base: tuned -> run:sft -> base" in result.output
    assert "CONFLICT CC-BY-NC-4.0 from web" in result.output
    result = runner.invoke(main, ["--uri", uri, "license", "nope"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
