"""OpenLineage RunEvents as PROV lineage.

A run is an activity (``openlineage:run/<runId>``): its START / RUNNING / COMPLETE / FAIL /
ABORT events merge into one activity with start and end times and the run's state, in any
arrival order. The job is the plan (``openlineage:job/<namespace>/<name>``) and the producer an
agent, linked by wasAssociatedWith; inputs are used, outputs wasGeneratedBy the run (dataset
versions from the ``version`` facet); the ``parent`` run facet gives wasInformedBy; the
``columnLineage`` facet gives wasDerivedFrom with ``copies`` so where() answers column
questions. Facets provgraph does not interpret are kept as JSON text attributes.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provgraph.clock import NOW
from provgraph.errors import ConflictError, InvalidEventError
from provgraph.ingest import IngestResult, event_list, ingest
from provgraph.store.base import Store, StoredNode

_RETRIES = 50

TERMINAL = ("COMPLETE", "FAIL", "ABORT")
#: Which state wins when events of one run arrive out of order.
PRECEDENCE = {"OTHER": 0, "START": 1, "RUNNING": 2, "COMPLETE": 3, "FAIL": 3, "ABORT": 3}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Run(_Loose):
    runId: str = Field(min_length=1, max_length=200)
    facets: dict[str, Any] = Field(default_factory=dict)


class _Job(_Loose):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


class _Dataset(_Loose):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


class RunEvent(_Loose):
    """The parts of an OpenLineage RunEvent provgraph reads; everything else is allowed."""

    eventType: str | None = None
    eventTime: str = Field(min_length=1)
    run: _Run
    job: _Job
    inputs: list[_Dataset] = Field(default_factory=list)
    outputs: list[_Dataset] = Field(default_factory=list)
    producer: str = Field(min_length=1)


def parse_run_event(data: Any) -> RunEvent:
    """Validate an OpenLineage RunEvent; raises InvalidEventError naming the field."""
    if not isinstance(data, dict):
        raise InvalidEventError("OpenLineage event: expected a JSON object")
    try:
        return RunEvent.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidEventError(f"OpenLineage event: field {where}: {first['msg']}") from e


def run_id(event: RunEvent) -> str:
    """The activity id of the event's run."""
    return f"openlineage:run/{event.run.runId}"


def _dataset_id(dataset: _Dataset) -> str:
    base = f"openlineage:dataset/{dataset.namespace}/{dataset.name}"
    version = dataset.facets.get("version", {})
    if isinstance(version, dict) and version.get("datasetVersion"):
        return f"{base}@{version['datasetVersion']}"
    return base


def _facet_attributes(facets: dict[str, Any], read: set[str]) -> dict[str, Any]:
    """Facets provgraph does not interpret, kept whole as JSON text."""
    return {f"facet:{name}": json.dumps(value, sort_keys=True)
            for name, value in sorted(facets.items()) if name not in read}


def to_native(event: RunEvent, current: StoredNode | None, known: set[str]) -> dict[str, Any]:
    """The native event for one RunEvent, merged with what is known of its run (``current``);
    ``known`` are the ids already in the store, which bare references must not overwrite."""
    activity = run_id(event)
    kind = (event.eventType or "OTHER").upper()
    attributes: dict[str, Any] = dict(current.attributes) if current else {}
    started = current.started_at if current else None
    ended = current.ended_at if current else None
    state = attributes.get("state")
    if state is None or PRECEDENCE.get(kind, 0) >= PRECEDENCE.get(str(state), 0):
        attributes["state"] = kind
    if kind == "START":
        started = event.eventTime
    elif kind in TERMINAL:
        ended = event.eventTime
    job_type = event.job.facets.get("jobType", {})
    attributes.update(job=f"{event.job.namespace}/{event.job.name}")
    attributes.update(_facet_attributes(event.run.facets, {"parent"}))
    node: dict[str, Any] = {"id": activity, "kind": "activity", "attributes": attributes,
                            "type": job_type.get("jobType") if isinstance(job_type, dict)
                            else None}
    if current and current.type and not node["type"]:
        node["type"] = current.type
    if started:
        node["started_at"] = started
    if ended:
        node["ended_at"] = ended
    job = f"openlineage:job/{event.job.namespace}/{event.job.name}"
    producer = f"openlineage:producer/{event.producer}"
    nodes = [
        node,
        {"id": job, "kind": "entity", "type": "Plan",
         "attributes": {"namespace": event.job.namespace, "name": event.job.name,
                        **_facet_attributes(event.job.facets, set())}},
        {"id": producer, "kind": "agent", "type": "SoftwareAgent",
         "attributes": {"producer": event.producer}},
    ]
    relations: list[dict[str, Any]] = [
        {"relation": "wasAssociatedWith", "from": activity, "to": producer, "plan": job},
    ]
    parent = event.run.facets.get("parent")
    if isinstance(parent, dict) and isinstance(parent.get("run"), dict):
        parent_id = f"openlineage:run/{parent['run'].get('runId')}"
        if parent_id != activity:
            if parent_id not in known:
                nodes.append({"id": parent_id, "kind": "activity"})
            relations.append({"relation": "wasInformedBy", "from": activity, "to": parent_id})
    inputs = {}
    for dataset in event.inputs:
        dataset_id = _dataset_id(dataset)
        inputs[(dataset.namespace, dataset.name)] = dataset_id
        nodes.append(_dataset_node(dataset_id, dataset))
        relations.append({"relation": "used", "from": activity, "to": dataset_id})
    for dataset in event.outputs:
        dataset_id = _dataset_id(dataset)
        nodes.append(_dataset_node(dataset_id, dataset))
        relations.append({"relation": "wasGeneratedBy", "from": dataset_id, "to": activity})
        relations += _column_lineage(dataset_id, dataset, inputs, nodes, known)
    return {"id": event_id(event), "nodes": _dedupe(nodes), "relations": relations}


def event_id(event: RunEvent) -> str:
    """The native event id of a RunEvent: run, type and time (a replay has the same)."""
    return f"openlineage:{event.run.runId}:{(event.eventType or 'OTHER').upper()}:" \
           f"{event.eventTime}"


def _dataset_node(dataset_id: str, dataset: _Dataset) -> dict[str, Any]:
    attributes: dict[str, Any] = {"namespace": dataset.namespace, "name": dataset.name}
    schema = dataset.facets.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        for field in schema["fields"]:
            if isinstance(field, dict) and field.get("name"):
                attributes[f"column:{field['name']}"] = str(field.get("type", ""))
    attributes.update(_facet_attributes(dataset.facets, {"schema", "columnLineage"}))
    return {"id": dataset_id, "kind": "entity", "type": "Dataset", "attributes": attributes}


def _column_lineage(target: str, dataset: _Dataset, inputs: dict[tuple[str, str], str],
                    nodes: list[dict[str, Any]], known: set[str]) -> list[dict[str, Any]]:
    facet = dataset.facets.get("columnLineage")
    if not isinstance(facet, dict) or not isinstance(facet.get("fields"), dict):
        return []
    copies: dict[str, dict[str, str]] = {}
    for column, spec in facet["fields"].items():
        for source in (spec or {}).get("inputFields", []) or []:
            if not isinstance(source, dict) or not source.get("field"):
                continue
            key = (str(source.get("namespace")), str(source.get("name")))
            source_id = inputs.get(key, f"openlineage:dataset/{key[0]}/{key[1]}")
            if key not in inputs and source_id not in known:
                nodes.append({"id": source_id, "kind": "entity", "type": "Dataset"})
            copies.setdefault(source_id, {}).setdefault(f"column:{column}",
                                                        f"column:{source['field']}")
    return [{"relation": "wasDerivedFrom", "from": target, "to": source_id, "copies": c}
            for source_id, c in sorted(copies.items())]


def _dedupe(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One node per id: the richest description wins."""
    best: dict[str, dict[str, Any]] = {}
    for node in nodes:
        old = best.get(node["id"])
        if old is None or len(node.get("attributes", {})) > len(old.get("attributes", {})):
            best[node["id"]] = node
    return list(best.values())


def ingest_run_events(store: Store, events: Any) -> IngestResult:
    """Ingest OpenLineage RunEvents (one dict or a list) into ``store``: each run becomes one
    activity whose events merge in any arrival order, read-merge-written with a version check
    so that concurrent halves of one run are both kept. InvalidEventError (nothing of the bad
    event written) if one is malformed."""
    parsed = [parse_run_event(item) for item in event_list(events)]
    total = IngestResult(0, 0, 0, 0, 0)
    for event in parsed:
        # A replay is a no-op, whatever has been merged into its run since.
        if store.known_events([event_id(event)]):
            total.skipped_events += 1
            continue
        activity = run_id(event)
        ids = {activity, *_references(event)}
        for attempt in range(_RETRIES):
            # Merge into the run as it is now; if another event of the run lands first,
            # merge again (nothing is lost).
            known = set(store.nodes(ids, NOW))
            current = store.nodes([activity], NOW).get(activity)
            try:
                result = ingest(store, to_native(event, current, known),
                                expect={activity: current.version if current else 0})
                break
            except ConflictError:
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        total.add(result)
    return total


def _references(event: RunEvent) -> set[str]:
    """Nodes an event refers to beyond its own datasets: the parent run, column sources."""
    parent = event.run.facets.get("parent")
    refs = set()
    if isinstance(parent, dict) and isinstance(parent.get("run"), dict):
        refs.add(f"openlineage:run/{parent['run'].get('runId')}")
    for dataset in event.inputs + event.outputs:
        lineage = dataset.facets.get("columnLineage")
        fields = lineage.get("fields") if isinstance(lineage, dict) else None
        for spec in (fields or {}).values():
            for source in (spec or {}).get("inputFields", []) or []:
                if isinstance(source, dict):
                    refs.add(f"openlineage:dataset/{source.get('namespace')}/"
                             f"{source.get('name')}")
    return refs
