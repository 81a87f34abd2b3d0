"""OpenLineage in: the real openlineage-python client over HTTP (a real uvicorn server on
loopback) and through its FileTransport; run merging in any order; facets; bad events."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    parent_run,
    source_code_location_job,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)

import provgraph
from provgraph.cli import main
from provgraph.graph import Graph
from provgraph.server import create_app
from tests.json_lines import streamed_answer

TOKEN = "s3cret-token"
PRODUCER = "https://example.com/provgraph-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Graph]]:
    graph = provgraph.connect(f"sqlite:///{tmp_path / 'ol.sqlite'}")
    port = _free_port()
    config = uvicorn.Config(create_app(graph, TOKEN), host="127.0.0.1", port=port,
                            log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert instance.started
    try:
        yield f"http://127.0.0.1:{port}", graph
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
        graph.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _events(run_id: str, parent: str | None = None) -> tuple[RunEvent, RunEvent]:
    facets: dict[str, Any] = {}
    if parent:
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent), job=parent_run.Job(namespace="airflow",
                                                                  name="nightly"))
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(fields={
        "text": column_lineage_dataset.Fields(inputFields=[
            column_lineage_dataset.InputField(namespace="s3://raw", name="tickets",
                                              field="body")])})
    job = Job(namespace="training", name="finetune", facets={
        "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url="https://github.com/acme/sft/blob/4f0c2a9e/train.py",
            repoUrl="https://github.com/acme/sft.git", path="train.py",
            version="4f0c2a9e8b7d6c5a", branch="main")})
    inputs = [InputDataset(namespace="s3://raw", name="tickets")]
    outputs = [OutputDataset(namespace="s3://models", name="support-8b",
                             facets={"columnLineage": lineage})]
    start = RunEvent(eventType=RunState.START, eventTime=_now(),
                     run=Run(runId=run_id, facets=facets), job=job, producer=PRODUCER,
                     inputs=inputs, outputs=[])
    complete = RunEvent(eventType=RunState.COMPLETE, eventTime=_now(),
                        run=Run(runId=run_id, facets=facets), job=job, producer=PRODUCER,
                        inputs=inputs, outputs=outputs)
    return start, complete


def test_real_client_over_http_is_answerable(server: tuple[str, Graph]) -> None:
    url, graph = server
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(
        url=url, auth=ApiKeyTokenProvider({"apiKey": TOKEN}))))
    parent, run_id = str(uuid.uuid4()), str(uuid.uuid4())
    start, complete = _events(run_id, parent=parent)
    client.emit(complete)  # out of order on purpose
    client.emit(start)
    model = "openlineage:dataset/s3://models/support-8b"
    data = "openlineage:dataset/s3://raw/tickets"
    activity = f"openlineage:run/{run_id}"
    ancestry = graph.ancestry(model)
    assert {activity, data, f"openlineage:run/{parent}"} <= ancestry.ids
    assert model in graph.impact(data).ids
    run = graph.node(activity)
    assert run.attributes["state"] == "COMPLETE"
    assert run.started_at == start.eventTime and run.ended_at == complete.eventTime
    assert graph.where(model, "column:text").chain[-1]["node"] == data
    # The job's git commit is the code the run used (named as provgraph.record names it),
    # so the audit finds the code version.
    code = "code:sft@4f0c2a9e8b7d"
    assert (code, "code") in {(r.target, r.role) for r in graph.relations(activity)
                              if r.relation == "used"}
    assert graph.node(code).attributes["branch"] == "main"
    audit = graph.audit(model).to_dict()
    assert any(item["key"] == "code_version" and item["evidence"] == [code]
               for item in audit["items"])
    assert "openlineage:producer/" + PRODUCER in graph.ancestry(
        model, include_agents=True).ids
    # A replay changes nothing.
    before = graph.history(activity)
    client.emit(start)
    assert graph.history(activity) == before


def test_a_client_that_compresses_its_events_is_understood(server: tuple[str, Graph]) -> None:
    # The OpenLineage client's `compression: gzip` sends Content-Encoding: gzip.
    url, graph = server
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(
        url=url, auth=ApiKeyTokenProvider({"apiKey": TOKEN}),
        compression=HttpCompression.GZIP)))
    run_id = str(uuid.uuid4())
    start, complete = _events(run_id)
    client.emit(start)
    client.emit(complete)
    assert f"openlineage:run/{run_id}" in graph.ancestry(
        "openlineage:dataset/s3://models/support-8b").ids


@pytest.mark.parametrize(("encoding", "body", "status", "detail"), [
    ("gzip", b"not gzip at all", 400, "the body is not valid gzip"),
    ("gzip", gzip.compress(b"[" * 10)[:12], 400, "the body is not valid gzip"),
    ("gzip", gzip.compress(b" " * (11 * 2**20)), 413, "once decompressed"),
    ("br", b"x", 415, "unsupported Content-Encoding 'br'"),
    ("deflate", zlib.compress(b'{"eventType": 1}'), 400, "eventType"),
])
def test_compressed_bodies_are_checked_once_decompressed(
        encoding: str, body: bytes, status: int, detail: str) -> None:
    # A small compressed body may expand without bound: the size limit holds for what it
    # decompresses to, and nothing is written when it is refused.
    graph = provgraph.connect("sqlite:///:memory:")
    client = TestClient(create_app(graph, TOKEN))
    response = client.post("/api/v1/lineage", content=body, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
        "Content-Encoding": encoding})
    assert response.status_code == status and detail in response.text, response.text
    assert graph.verify().entries == 0


def test_http_needs_the_token(server: tuple[str, Graph]) -> None:
    url, _ = server
    client = TestClient(create_app(provgraph.connect("sqlite:///:memory:"), TOKEN))
    assert client.get("/api/v1/ancestry", params={"id": "x"}).status_code == 401
    wrong = client.get("/api/v1/ancestry", params={"id": "x"},
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert client.get("/health").status_code == 200
    assert url.startswith("http://127.0.0.1:")


def test_file_transport_jsonl_imports(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log),
                                                                  append=True)))
    run_id = str(uuid.uuid4())
    for event in _events(run_id):
        client.emit(event)
    assert len(log.read_text().strip().splitlines()) == 2
    uri = f"sqlite:///{tmp_path / 'f.sqlite'}"
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "openlineage",
                                       str(log)])
    assert result.exit_code == 0, result.output
    assert "2 OpenLineage events imported" in result.stdout
    with provgraph.connect(uri) as graph:
        assert graph.node(f"openlineage:run/{run_id}").attributes["state"] == "COMPLETE"


def test_unknown_facets_are_kept_and_bad_events_refused() -> None:
    graph = provgraph.connect("sqlite:///:memory:")
    client = TestClient(create_app(graph))
    event = {
        "eventType": "START", "eventTime": _now(), "producer": PRODUCER,
        "run": {"runId": str(uuid.uuid4()),
                "facets": {"acme_gpu": {"_producer": PRODUCER, "count": 8}}},
        "job": {"namespace": "training", "name": "sft"}, "inputs": [], "outputs": []}
    assert client.post("/api/v1/lineage", json=event).status_code == 201
    node = graph.node(f"openlineage:run/{event['run']['runId']}")
    assert json.loads(node.attributes["facet:acme_gpu"])["count"] == 8
    bad = dict(event, run={"facets": {}})
    response = client.post("/api/v1/lineage", json=bad)
    assert response.status_code == 400
    assert response.json()["detail"] == "OpenLineage event: field run.runId: Field required"
    assert client.post("/api/v1/lineage", content=b"{nope",
                       headers={"content-type": "application/json"}).status_code == 422


def test_query_endpoints_mirror_the_cli() -> None:
    graph = provgraph.connect("sqlite:///:memory:")
    client = TestClient(create_app(graph, TOKEN), headers={"Authorization": f"Bearer {TOKEN}"})
    assert client.post("/api/v1/events", json=provgraph.demo.reference_events()).status_code \
        == 200
    assert client.get("/api/v1/ancestry", params={"id": "S1-int8"}).json() == \
        graph.ancestry("S1-int8").to_dict()
    assert client.get("/api/v1/impact", params={"id": "s2"}).json()["nodes"][0]["id"] == "raw@1"
    assert client.get("/api/v1/impact", params={"id": "alice"}).json()["nodes"] == []
    # Large answers stream one record a line when the client asks for NDJSON.
    streamed = client.get("/api/v1/impact", params={"id": "B"},
                          headers={"Accept": "application/x-ndjson"})
    assert streamed.headers["content-type"].startswith("application/x-ndjson")
    assert streamed_answer(streamed.text.splitlines(), "up") == graph.impact("B").to_dict()
    missing = client.get("/api/v1/impact", params={"id": "nope"},
                         headers={"Accept": "application/x-ndjson"})
    assert missing.status_code == 404 and "nope" in missing.text
    with_agents = client.get("/api/v1/impact", params={"id": "alice", "include_agents": "true"})
    assert with_agents.json() == graph.impact("alice", include_agents=True).to_dict()
    assert "f1" in {n["id"] for n in with_agents.json()["nodes"]}
    summary = client.get("/api/v1/impact", params={"id": "s1", "summary": "true"}).json()
    assert summary == graph.impact("s1", summary=True).to_dict()
    assert client.get("/api/v1/why", params={"id": "S1-int8"}).json()["witnesses"] == [
        ["B", "repo@abc", "s1", "s3"]]
    assert client.get("/api/v1/where", params={"id": "S1-int8", "attribute": "tokenizer"}
                      ).json()["origin"] == "B"
    assert client.get("/api/v1/ancestry", params={"id": "nope"}).status_code == 404
    assert client.get("/api/v1/audit", params={"id": "M1", "format": "html"}
                      ).text.startswith("<!DOCTYPE html>")
    bad = client.post("/api/v1/events", json={"id": "x", "nodes": [{"id": "a", "kind": "z"}]})
    assert bad.status_code == 400 and "field nodes.0.kind" in bad.json()["detail"]
    schema = client.get("/openapi.json").json()
    assert "/api/v1/lineage" in schema["paths"] and "/api/v1/why" in schema["paths"]


def test_oversized_and_deeply_nested_bodies_are_refused() -> None:
    graph = provgraph.connect("sqlite:///:memory:")
    client = TestClient(create_app(graph))
    huge = b'{"id": "x", "nodes": [], "pad": "' + b"a" * (11 * 2**20) + b'"}'
    response = client.post("/api/v1/events", content=huge,
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    deep = b"[" * 5000 + b"]" * 5000
    response = client.post("/api/v1/events", content=deep,
                           headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"] == "JSON nested deeper than 64 levels"
    assert list(graph.store.ids(2**62)) == []
    ok = client.post("/api/v1/events", json={"id": "e", "nodes": [
        {"id": "a", "kind": "entity", "attributes": {"s": "[[[[{{{{" * 100}}]})
    assert ok.status_code == 200


def test_read_only_token_reads_but_cannot_write() -> None:
    graph = provgraph.connect("sqlite:///:memory:")
    client = TestClient(create_app(graph, TOKEN, read_token="reader"))
    writer = {"Authorization": f"Bearer {TOKEN}"}
    reader = {"Authorization": "Bearer reader"}
    event = {"id": "e", "nodes": [{"id": "a", "kind": "entity"}]}
    denied = client.post("/api/v1/events", json=event, headers=reader)
    assert denied.status_code == 403 and denied.json()["detail"] == "this token may only read"
    assert client.post("/api/v1/events", json=event, headers=writer).status_code == 200
    assert client.get("/api/v1/ancestry", params={"id": "a"}, headers=reader).status_code == 200
    assert client.get("/api/v1/ancestry", params={"id": "a"}).status_code == 401
