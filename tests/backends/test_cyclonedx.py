"""The CycloneDX 1.6 ML-BOM of a model: valid against the official schema (shipped inside
cyclonedx-python-lib), holding the model and its card, base models, datasets, runs, hashes
and licences, and checkable by verify --export, on every backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from fastapi.testclient import TestClient

import provgraph
from provgraph.cli import main
from provgraph.errors import ConfigurationError, NotFoundError
from provgraph.graph import Graph
from provgraph.server import create_app

MODEL = "model:acme-1b-int8"
SHA = "ab" * 32


def _bom(graph: Graph, model: str = MODEL) -> dict[str, Any]:
    text = graph.export_cyclonedx(model)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document: dict[str, Any] = json.loads(text)
    return document


@pytest.fixture
def demo(graph: Graph) -> Graph:
    graph.ingest(provgraph.demo.demo_events())
    graph.ingest({"id": "hashes", "nodes": [
        {"id": "dataset:code@2", "kind": "entity", "type": "Dataset",
         "attributes": {"sha256": SHA, "license": "Apache-2.0"}}]})
    return graph


def test_the_bom_holds_the_model_its_bases_data_runs_hashes_and_licences(demo: Graph) -> None:
    bom = _bom(demo)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model" and model["bom-ref"] == MODEL
    ancestors = {a["bom-ref"] for a in model["pedigree"]["ancestors"]}
    assert {"model:acme-1b", "model:acme-7b-merged", "model:foundation-7b"} <= ancestors
    components = {c["bom-ref"]: c for c in bom["components"]}
    datasets = [d["ref"] for d in model["modelCard"]["modelParameters"]["datasets"]]
    assert "dataset:instruct@2" in datasets
    assert all(components[ref]["type"] == "data" for ref in datasets)
    code = components["dataset:code@2"]
    assert code["hashes"] == [{"alg": "SHA-256", "content": SHA}]
    assert code["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    workflows = {w["uid"]: w for w in bom["formulation"][0]["workflows"]}
    distill = workflows["run:distill-1b"]
    assert distill["taskTypes"] == ["build"]
    assert {"ref": "model:acme-1b"} in [o["resource"] for o in distill["outputs"]]
    stamp = [p["value"] for p in bom["metadata"]["properties"] if p["name"] == "provgraph:chain"]
    assert stamp and stamp[0].startswith("urn:provgraph:chain:")
    assert demo.export_cyclonedx(MODEL) == json.dumps(bom, indent=2, sort_keys=True,
                                                      ensure_ascii=False)  # reproducible


def test_verify_names_an_edit_of_the_bom(demo: Graph, tmp_path: Path) -> None:
    bom = _bom(demo)
    assert demo.verify_export(json.dumps(bom)) == []
    # A later write does not change what the file is checked against.
    demo.ingest({"id": "later", "nodes": [{"id": "x:later", "kind": "entity"}]})
    assert demo.verify_export(json.dumps(bom)) == []
    edited = json.loads(json.dumps(bom))
    for component in edited["components"]:
        if component["bom-ref"] == "dataset:code@2":
            component["licenses"] = [{"license": {"id": "MIT"}}]
    edited["metadata"]["component"]["pedigree"]["ancestors"].pop()
    problems = demo.verify_export(json.dumps(edited))
    assert any("components.dataset:code@2.licenses" in p and "edited" in p for p in problems)
    assert any("pedigree.ancestors" in p and "removed" in p for p in problems)
    unstamped = json.loads(json.dumps(bom))
    unstamped["metadata"]["properties"] = []
    with pytest.raises(Exception, match="no provgraph chain stamp"):
        demo.verify_export(json.dumps(unstamped))


def test_bad_ids_are_refused(demo: Graph) -> None:
    with pytest.raises(NotFoundError, match="no node 'nope'"):
        demo.export_cyclonedx("nope")
    with pytest.raises(ConfigurationError, match="is an activity"):
        demo.export_cyclonedx("run:distill-1b")


def test_the_cli_and_the_http_api(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'l.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["--uri", uri, "demo"]).exit_code == 0
    out = tmp_path / "bom.json"
    result = runner.invoke(main, ["--uri", uri, "export", MODEL, "--format", "cyclonedx",
                                  "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["--uri", uri, "verify", "--export", str(out)]).exit_code == 0
    out.write_text(out.read_text().replace('"Distillation"', '"Training"'))
    result = runner.invoke(main, ["--uri", uri, "verify", "--export", str(out)])
    assert result.exit_code == 1 and "formulation" in result.output
    result = runner.invoke(main, ["--uri", uri, "export", "nope", "--format", "cyclonedx"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    with provgraph.connect(uri) as graph:
        client = TestClient(create_app(graph))
        answer = client.get("/api/v1/export", params={"root": MODEL, "format": "cyclonedx"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/vnd.cyclonedx+json")
        assert json.loads(answer.text) == json.loads(graph.export_cyclonedx(MODEL))
        assert client.get("/api/v1/export", params={"format": "cyclonedx"}).status_code == 400
