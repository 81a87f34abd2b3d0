"""OpenLineage spec 2's static lineage, as the real openlineage-python client sends it: a
JobEvent's declared inputs and outputs become lineage between the datasets without a run, a
DatasetEvent keeps its facets, symlinks join two names of the same data, dataset versions tie
lineage to the version, and bad events are refused with the field named."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    dataset_version_dataset,
    symlinks_dataset,
)
from openlineage.client.serde import Serde

from provgraph.errors import InvalidEventError
from provgraph.graph import Graph
from provgraph.server import create_app

PRODUCER = "https://github.com/acme/pipelines"
TIME = "2026-11-27T10:00:00Z"


def _wire(event: Any) -> dict[str, Any]:
    """What the client's HTTP transport sends."""
    return json.loads(Serde.to_json(event))


def _ds(name: str) -> str:
    return f"openlineage:dataset/s3://lake/{name}"


def _column_facet(**columns: str) -> dict[str, Any]:
    """features' columns, each copied from a column of raw."""
    return {"columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(fields={
        column: column_lineage_dataset.Fields(inputFields=[
            column_lineage_dataset.InputField("s3://lake", "raw", source)],
            transformationDescription="", transformationType="")
        for column, source in columns.items()})}


def _declared(graph: Graph) -> None:
    graph.ingest_openlineage(_wire(JobEvent(
        eventTime=TIME, producer=PRODUCER, job=Job(namespace="etl", name="featurize"),
        inputs=[InputDataset("s3://lake", "raw"), InputDataset("s3://lake", "vocab")],
        outputs=[OutputDataset("s3://lake", "features", facets=_column_facet(text="body")),
                 OutputDataset("s3://lake", "summary")])))


def test_a_job_event_declares_lineage_between_datasets_without_a_run(graph: Graph) -> None:
    _declared(graph)
    features = graph.ancestry(_ds("features"))
    # The column lineage facet says features came from raw only; summary says nothing, so it
    # came from every input.
    assert {n.id for n in features.nodes} == {_ds("raw")}
    assert {n.id for n in graph.ancestry(_ds("summary")).nodes} == {_ds("raw"), _ds("vocab")}
    assert graph.why(_ds("features")).witnesses == [[_ds("raw")]]
    assert graph.where(_ds("features"), "column:text").to_dict()["origin"] == _ds("raw")
    # No run is invented: the job is a plan, and nothing is an activity.
    plan = graph.node("openlineage:job/etl/featurize")
    assert plan.type == "Plan" and plan.kind == "entity"
    assert not [n for n in graph.impact(_ds("raw")).nodes if n.kind == "activity"]
    # Replaying the event changes nothing.
    before = graph.export_prov()
    _declared(graph)
    assert graph.export_prov() == before
    assert graph.verify().ok


def test_dataset_events_keep_facets_and_symlinks_join_two_names(graph: Graph) -> None:
    table = symlinks_dataset.Identifier(namespace="hive://metastore", name="lake.clean",
                                        type="TABLE")
    graph.ingest_openlineage(_wire(DatasetEvent(
        eventTime=TIME, producer=PRODUCER, dataset=StaticDataset("s3://lake", "clean", facets={
            "symlinks": symlinks_dataset.SymlinksDatasetFacet(identifiers=[table]),
            "acme_owner": {"_producer": PRODUCER, "_schemaURL": PRODUCER, "team": "data"}}))))
    described = graph.node(_ds("clean"))
    assert json.loads(described.attributes["facet:acme_owner"])["team"] == "data"
    metastore = "openlineage:dataset/hive://metastore/lake.clean"
    assert graph.node(metastore).attributes["symlink_type"] == "TABLE"
    # The file is declared derived from raw; a training run reads the table by its metastore
    # name. The two names join: why() of the model reaches raw through either.
    graph.ingest_openlineage(_wire(JobEvent(
        eventTime=TIME, producer=PRODUCER, job=Job(namespace="etl", name="clean"),
        inputs=[InputDataset("s3://lake", "raw")], outputs=[OutputDataset("s3://lake", "clean")])))
    graph.ingest_openlineage(_wire(RunEvent(
        eventType=RunState.COMPLETE, eventTime=TIME, producer=PRODUCER,
        run=Run(runId=str(uuid.uuid4())), job=Job(namespace="train", name="sft"),
        inputs=[InputDataset("hive://metastore", "lake.clean")],
        outputs=[OutputDataset("s3://models", "sft")])))
    model = "openlineage:dataset/s3://models/sft"
    witnesses = graph.why(model).witnesses
    assert [_ds("raw")] in witnesses and [metastore] in witnesses
    # Both names, and the equivalence, are in the PROV-JSON auditors get.
    document = json.loads(graph.export_prov())
    assert {_ds("clean"), metastore} <= set(document["entity"])
    pairs = {(r["prov:alternate1"], r["prov:alternate2"])
             for r in document.get("alternateOf", {}).values()}
    assert (_ds("clean"), metastore) in pairs and (metastore, _ds("clean")) in pairs
    assert graph.verify().ok


def test_a_run_is_tied_to_the_versions_of_its_datasets(graph: Graph) -> None:
    def run(version: str, model: str) -> None:
        graph.ingest_openlineage(_wire(RunEvent(
            eventType=RunState.COMPLETE, eventTime=TIME, producer=PRODUCER,
            run=Run(runId=str(uuid.uuid4())), job=Job(namespace="train", name="sft"),
            inputs=[InputDataset("s3://lake", "raw", facets={
                "version": dataset_version_dataset.DatasetVersionDatasetFacet(version)})],
            outputs=[OutputDataset("s3://models", model)])))

    run("v1", "m1")
    run("v2", "m2")
    first = {n.id for n in graph.ancestry("openlineage:dataset/s3://models/m1").nodes}
    assert _ds("raw@v1") in first and _ds("raw@v2") not in first
    second = {n.id for n in graph.ancestry("openlineage:dataset/s3://models/m2").nodes}
    assert _ds("raw@v2") in second and _ds("raw@v1") not in second


@pytest.mark.parametrize("broken, field", [
    ({"job": {"namespace": "etl"}}, "job.name"),
    ({"inputs": [{"namespace": "s3://lake"}]}, "inputs.0.name"),
    ({"producer": ""}, "producer"),
])
def test_a_malformed_job_event_is_refused_naming_the_field(
        graph: Graph, broken: dict[str, Any], field: str) -> None:
    event = _wire(JobEvent(eventTime=TIME, producer=PRODUCER,
                           job=Job(namespace="etl", name="featurize"),
                           inputs=[InputDataset("s3://lake", "raw")], outputs=[]))
    good = _wire(DatasetEvent(eventTime=TIME, producer=PRODUCER,
                              dataset=StaticDataset("s3://lake", "ok")))
    client = TestClient(create_app(graph))
    response = client.post("/api/v1/lineage", json=[good, event | broken])
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"OpenLineage event: field {field}:")
    assert list(graph.store.ids(2**62)) == []  # nothing written, not even the good event
    with pytest.raises(InvalidEventError, match="field dataset.name"):
        graph.ingest_openlineage({"eventTime": TIME, "producer": PRODUCER,
                                  "dataset": {"namespace": "s3://lake"}})
    assert client.post("/api/v1/lineage", json=event).status_code == 201


def test_progress_is_told_of_each_event_written_or_replayed(graph: Graph) -> None:
    """What `provgraph import --format openlineage` draws its bar from: one call an event,
    as it is written, whether it merged into a run, was static or was imported before."""
    job = Job(namespace="training", name="finetune")
    events = []
    for i in range(3):
        run = Run(runId=str(uuid.uuid4()))
        for state in (RunState.START, RunState.COMPLETE):
            events.append(_wire(RunEvent(
                eventType=state, eventTime=TIME, run=run, job=job, producer=PRODUCER,
                inputs=[InputDataset("s3://lake", f"raw-{i}")],
                outputs=[OutputDataset("s3://lake", f"features-{i}")])))
    events.append(_wire(DatasetEvent(eventTime=TIME, producer=PRODUCER,
                                     dataset=StaticDataset("s3://lake", "catalogued"))))
    told: list[int] = []
    first = graph.ingest_openlineage(events, progress=told.append)
    assert told == [1] * 7 and first.events == 7
    again: list[int] = []
    second = graph.ingest_openlineage(events, progress=again.append)
    assert again == [1] * 7 and (second.events, second.skipped_events) == (0, 7)
