"""OpenLineage events as PROV lineage: RunEvents, and the static lineage of spec 2 (JobEvents
and DatasetEvents).

A run is an activity (``openlineage:run/<runId>``): its START / RUNNING / COMPLETE / FAIL /
ABORT events merge into one activity with start and end times and the run's state, in any
arrival order. The job is the plan (``openlineage:job/<namespace>/<name>``) and the producer an
agent, linked by wasAssociatedWith; inputs are used, outputs wasGeneratedBy the run (dataset
versions from the ``version`` facet); the ``parent`` run facet gives wasInformedBy; the
``columnLineage`` facet gives wasDerivedFrom with ``copies`` so where() answers column
questions; the job's ``sourceCodeLocation`` facet, when it names a git commit, is a ``Code``
entity the run used (role ``code``). Facets provgraph does not interpret are kept as JSON text
attributes.

A JobEvent declares a job's inputs and outputs before any run: each output wasDerivedFrom the
inputs it came from (from its ``columnLineage`` facet when it has one, fields and dataset-level
entries; otherwise every input), the relation named by the job (``id``), with no run invented.
A DatasetEvent describes a dataset: its facets are kept. The ``symlinks`` facet of any dataset
names the same data under other identifiers: each is a node of its own, and the two are
``alternateOf`` each other in both directions, so why-provenance takes the lineage recorded
under either name and exports keep both.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provgraph.errors import ConflictError, InvalidEventError
from provgraph.formats.code import code_entity
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


class JobEvent(_Loose):
    """An OpenLineage JobEvent (spec 2): a job's declared inputs and outputs, no run."""

    eventTime: str = Field(min_length=1)
    job: _Job
    inputs: list[_Dataset] = Field(default_factory=list)
    outputs: list[_Dataset] = Field(default_factory=list)
    producer: str = Field(min_length=1)


class DatasetEvent(_Loose):
    """An OpenLineage DatasetEvent (spec 2): a dataset and its facets."""

    eventTime: str = Field(min_length=1)
    dataset: _Dataset
    producer: str = Field(min_length=1)


AnyEvent = RunEvent | JobEvent | DatasetEvent
_KINDS: dict[str, type[RunEvent] | type[JobEvent] | type[DatasetEvent]] = {
    "RunEvent": RunEvent, "JobEvent": JobEvent, "DatasetEvent": DatasetEvent}


def parse_run_event(data: Any) -> AnyEvent:
    """Validate an OpenLineage event; raises InvalidEventError naming the field. Its kind
    is what its ``schemaURL`` names (``...#/$defs/JobEvent``); without one, an event with
    ``run`` is a RunEvent, one with ``dataset`` a DatasetEvent, one with only ``job`` a
    JobEvent."""
    if not isinstance(data, dict):
        raise InvalidEventError("OpenLineage event: expected a JSON object")
    named = str(data.get("schemaURL") or "").rpartition("/")[2]
    if named in _KINDS:
        kind = _KINDS[named]
    elif "run" in data or "eventType" in data:
        kind = RunEvent
    elif "dataset" in data:
        kind = DatasetEvent
    elif "job" in data:
        kind = JobEvent
    else:
        raise InvalidEventError("OpenLineage event: field run: Field required (a RunEvent"
                                " has run and job, a JobEvent job, a DatasetEvent dataset)")
    try:
        return kind.model_validate(data)
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
    job = job_id(event.job)
    producer = f"openlineage:producer/{event.producer}"
    nodes = [
        node,
        _job_node(event.job),
        {"id": producer, "kind": "agent", "type": "SoftwareAgent",
         "attributes": {"producer": event.producer}},
    ]
    relations: list[dict[str, Any]] = [
        {"relation": "wasAssociatedWith", "from": activity, "to": producer, "plan": job},
    ]
    code = _code(event.job.facets.get("sourceCodeLocation"))
    if code is not None:
        nodes.append(code)
        relations.append({"relation": "used", "from": activity, "to": code["id"],
                          "role": "code"})
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
        relations += _symlinks(dataset_id, dataset, nodes, known)
    for dataset in event.outputs:
        dataset_id = _dataset_id(dataset)
        nodes.append(_dataset_node(dataset_id, dataset))
        relations.append({"relation": "wasGeneratedBy", "from": dataset_id, "to": activity})
        relations += _symlinks(dataset_id, dataset, nodes, known)
        relations += _column_lineage(dataset_id, dataset, inputs, nodes, known)
    return {"id": event_id(event), "nodes": _dedupe(nodes), "relations": relations}


def _code(facet: Any) -> dict[str, Any] | None:
    """The code a run ran, from its job's ``sourceCodeLocation`` facet when it names a git
    commit (``type`` git, ``version``): a ``Code`` entity
    (:func:`~provgraph.formats.code.code_entity`), else None.

    >>> _code({"type": "git", "url": "https://github.com/acme/etl/blob/9f3e/job.py",
    ...        "repoUrl": "https://github.com/acme/etl.git", "version": "9f3e2c1d0b"})["id"]
    'code:etl@9f3e2c1d0b'
    """
    if not isinstance(facet, dict) or str(facet.get("type", "")).lower() != "git":
        return None
    text = {k: v if isinstance(v, str) else None for k, v in facet.items()}
    return code_entity(text.get("version") or "", text.get("repoUrl") or text.get("url"),
                       branch=text.get("branch"), tag=text.get("tag"),
                       path=text.get("path"), url=text.get("url"))


def event_id(event: AnyEvent) -> str:
    """The native event id of an OpenLineage event: for a RunEvent its run, type and time;
    for a JobEvent or DatasetEvent what it describes and its time (a replay has the same)."""
    if isinstance(event, JobEvent):
        return f"openlineage:job:{event.job.namespace}/{event.job.name}:{event.eventTime}"
    if isinstance(event, DatasetEvent):
        return (f"openlineage:dataset:{event.dataset.namespace}/{event.dataset.name}:"
                f"{event.eventTime}")
    return f"openlineage:{event.run.runId}:{(event.eventType or 'OTHER').upper()}:" \
           f"{event.eventTime}"


def job_id(job: _Job) -> str:
    """The id of a job's plan entity."""
    return f"openlineage:job/{job.namespace}/{job.name}"


def _job_node(job: _Job) -> dict[str, Any]:
    return {"id": job_id(job), "kind": "entity", "type": "Plan",
            "attributes": {"namespace": job.namespace, "name": job.name,
                           **_facet_attributes(job.facets, set())}}


def static_to_native(event: JobEvent | DatasetEvent, known: set[str]) -> dict[str, Any]:
    """The native event for a JobEvent (declared lineage) or a DatasetEvent (a dataset's
    description); ``known`` are the ids already stored, which references must not
    overwrite."""
    if isinstance(event, DatasetEvent):
        dataset_id = _dataset_id(event.dataset)
        nodes = [_dataset_node(dataset_id, event.dataset)]
        links = _symlinks(dataset_id, event.dataset, nodes, known)
        return {"id": event_id(event), "nodes": _dedupe(nodes), "relations": links}
    plan = job_id(event.job)
    nodes = [_job_node(event.job)]
    relations: list[dict[str, Any]] = []
    inputs = {}
    for dataset in event.inputs:
        dataset_id = _dataset_id(dataset)
        inputs[(dataset.namespace, dataset.name)] = dataset_id
        nodes.append(_dataset_node(dataset_id, dataset))
        relations += _symlinks(dataset_id, dataset, nodes, known)
    for dataset in event.outputs:
        dataset_id = _dataset_id(dataset)
        nodes.append(_dataset_node(dataset_id, dataset))
        relations += _symlinks(dataset_id, dataset, nodes, known)
        lineage = _column_lineage(dataset_id, dataset, inputs, nodes, known)
        came_from = ({r["to"] for r in lineage} or set(inputs.values())) - {dataset_id}
        copies = {r["to"]: r["copies"] for r in lineage}
        for source in sorted(came_from):
            relation: dict[str, Any] = {
                "id": plan, "relation": "wasDerivedFrom", "from": dataset_id, "to": source,
                "attributes": {"declared_by": plan}}
            if copies.get(source):
                relation["copies"] = copies[source]
            relations.append(relation)
    return {"id": event_id(event), "nodes": _dedupe(nodes), "relations": relations}


def _symlinks(dataset_id: str, dataset: _Dataset, nodes: list[dict[str, Any]],
              known: set[str]) -> list[dict[str, Any]]:
    """The other names of a dataset (its ``symlinks`` facet), each alternateOf it both ways."""
    facet = dataset.facets.get("symlinks")
    identifiers = facet.get("identifiers") if isinstance(facet, dict) else None
    relations = []
    for item in identifiers if isinstance(identifiers, list) else []:
        if not (isinstance(item, dict) and item.get("namespace") and item.get("name")):
            continue
        other = f"openlineage:dataset/{item['namespace']}/{item['name']}"
        if other == dataset_id:
            continue
        if other not in known:
            nodes.append({"id": other, "kind": "entity", "type": "Dataset", "attributes": {
                "namespace": str(item["namespace"]), "name": str(item["name"]),
                **({"symlink_type": str(item["type"])} if item.get("type") else {})}})
        relations += [{"relation": "alternateOf", "from": dataset_id, "to": other},
                      {"relation": "alternateOf", "from": other, "to": dataset_id}]
    return relations


def _dataset_node(dataset_id: str, dataset: _Dataset) -> dict[str, Any]:
    attributes: dict[str, Any] = {"namespace": dataset.namespace, "name": dataset.name}
    schema = dataset.facets.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        for field in schema["fields"]:
            if isinstance(field, dict) and field.get("name"):
                attributes[f"column:{field['name']}"] = str(field.get("type", ""))
    attributes.update(_facet_attributes(dataset.facets, {"schema", "columnLineage",
                                                         "symlinks"}))
    return {"id": dataset_id, "kind": "entity", "type": "Dataset", "attributes": attributes}


def _column_lineage(target: str, dataset: _Dataset, inputs: dict[tuple[str, str], str],
                    nodes: list[dict[str, Any]], known: set[str]) -> list[dict[str, Any]]:
    """wasDerivedFrom for each input the ``columnLineage`` facet says the output came from:
    per column (with ``copies``, for where()) and dataset-wide (its ``dataset`` entries)."""
    facet = dataset.facets.get("columnLineage")
    if not isinstance(facet, dict):
        return []
    fields: dict[str, Any] = facet["fields"] if isinstance(facet.get("fields"), dict) else {}
    wide: list[Any] = facet["dataset"] if isinstance(facet.get("dataset"), list) else []
    copies: dict[str, dict[str, str]] = {}
    for column, source in [(None, s) for s in wide] + [
            (column, s) for column, spec in fields.items()
            for s in _input_fields(spec)]:
        if not isinstance(source, dict) or not source.get("name"):
            continue
        key = (str(source.get("namespace")), str(source.get("name")))
        source_id = inputs.get(key, f"openlineage:dataset/{key[0]}/{key[1]}")
        if key not in inputs and source_id not in known:
            nodes.append({"id": source_id, "kind": "entity", "type": "Dataset"})
        columns = copies.setdefault(source_id, {})
        if column is not None and source.get("field"):
            columns.setdefault(f"column:{column}", f"column:{source['field']}")
    return [{"relation": "wasDerivedFrom", "from": target, "to": source_id, "copies": c}
            for source_id, c in sorted(copies.items())]


def _input_fields(spec: Any) -> list[Any]:
    """The ``inputFields`` of one column of a ``columnLineage`` facet; a malformed column
    (not an object, or its ``inputFields`` not a list) names none, like a malformed facet.

    >>> _input_fields({"inputFields": [{"name": "t"}]}), _input_fields({"inputFields": True})
    ([{'name': 't'}], [])
    """
    found = spec.get("inputFields") if isinstance(spec, dict) else None
    return found if isinstance(found, list) else []


def _dedupe(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One node per id: the richest description wins."""
    best: dict[str, dict[str, Any]] = {}
    for node in nodes:
        old = best.get(node["id"])
        if old is None or len(node.get("attributes", {})) > len(old.get("attributes", {})):
            best[node["id"]] = node
    return list(best.values())


def ingest_run_events(store: Store, events: Any,
                      progress: Callable[[int], None] | None = None) -> IngestResult:
    """Ingest OpenLineage events (one dict or a list) into ``store``. Each run becomes one
    activity whose events merge in any arrival order, read-merge-written with a version check
    so that concurrent halves of one run are both kept; JobEvents and DatasetEvents are
    written as they are (see the module's doc). Every event is validated before anything is
    written: InvalidEventError, nothing written, if one is malformed. ``progress`` is told
    of each event once it is written (or found already there)."""
    parsed = [parse_run_event(item) for item in event_list(events)]
    total = IngestResult(0, 0, 0, 0, 0)
    for event in parsed:
        _ingest_one(store, event, total)
        if progress:
            progress(1)
    return total


def _ingest_one(store: Store, event: AnyEvent, total: IngestResult) -> None:
    """Write one validated OpenLineage event, adding what it wrote to ``total``."""
    ids = _references(event)
    run = [run_id(event)] if isinstance(event, RunEvent) else []
    ids.update(run)
    for attempt in range(_RETRIES):
        # What the store holds of the event, the nodes it names and its run as it is
        # now, in one read (the pipeline then checks the native event inside its write).
        found = store.known([event_id(event)], ids, run)
        if found.events:
            # A replay is a no-op, whatever has been merged into its run since.
            total.skipped_events += 1
            return
        if not isinstance(event, RunEvent):
            total.add(ingest(store, static_to_native(event, set(found.kinds))))
            return
        # Merge into the run as it is now; if another event of the run lands first,
        # merge again (nothing is lost).
        activity = run_id(event)
        current = found.current.get(activity)
        try:
            total.add(ingest(store, to_native(event, current, set(found.kinds)),
                             expect={activity: current.version if current else 0}))
            return
        except ConflictError:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))


def _references(event: AnyEvent) -> set[str]:
    """Nodes an event may name without describing them: the parent run, column sources,
    other names of its datasets (symlinks)."""
    refs = set()
    if isinstance(event, RunEvent):
        parent = event.run.facets.get("parent")
        if isinstance(parent, dict) and isinstance(parent.get("run"), dict):
            refs.add(f"openlineage:run/{parent['run'].get('runId')}")
    datasets = [event.dataset] if isinstance(event, DatasetEvent) else \
        event.inputs + event.outputs
    for dataset in datasets:
        found = dataset.facets.get("columnLineage")
        lineage: dict[str, Any] = found if isinstance(found, dict) else {}
        fields: dict[str, Any] = lineage["fields"] if isinstance(lineage.get("fields"),
                                                                  dict) else {}
        sources: list[Any] = list(lineage["dataset"]) if isinstance(lineage.get("dataset"),
                                                                    list) else []
        for spec in fields.values():
            sources += _input_fields(spec)
        symlinks = dataset.facets.get("symlinks")
        if isinstance(symlinks, dict) and isinstance(symlinks.get("identifiers"), list):
            sources += symlinks["identifiers"]
        for source in sources:
            if isinstance(source, dict):
                refs.add(f"openlineage:dataset/{source.get('namespace')}/"
                         f"{source.get('name')}")
    return refs
