"""MLflow tracking data as lineage (needs the ``mlflow`` extra).

A run becomes an activity (``mlflow:run/<id>``) with its params, latest metrics, tags, user
and times; a parent run gives wasInformedBy; each dataset input is an entity
(``mlflow:dataset/<name>@<digest>``) the run used in the role of its context (training,
validation ...); the git commit MLflow tags a run with is a ``Code`` entity it used (role
``code``); a logged model (``mlflow:model/<id>``) wasGeneratedBy its source run; a
registered model version (``mlflow:registered/<name>/<version>``) wasDerivedFrom the logged
model it registers (or wasGeneratedBy the run of a ``runs:/`` source).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from provgraph.errors import ConfigurationError, StoreUnavailableError
from provgraph.formats.code import code_entity


def _iso(ms: int | None) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace(
        "+00:00", "Z")


def _event(prefix: str, body: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": f"{prefix}:{digest}", **body}


def mlflow_events(tracking_uri: str, experiment_ids: Iterable[str] | None = None
                  ) -> list[dict[str, Any]]:
    """Native events describing every run, dataset input, logged model and registered model
    version of an MLflow tracking store (or of the given experiments)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        from mlflow import MlflowClient
    except ImportError as e:
        raise ConfigurationError(
            "MLflow import needs its extra: pip install 'provgraph[mlflow]'") from e
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        experiments = list(experiment_ids or
                           [e.experiment_id for e in client.search_experiments()])
        runs = client.search_runs(experiment_ids=experiments) if experiments else []
        models = client.search_logged_models(experiment_ids=experiments) if experiments else []
        versions = client.search_model_versions()
    except Exception as e:  # MLflow raises many types; the message names the problem
        raise StoreUnavailableError(f"cannot read MLflow tracking store {tracking_uri}: {e}"
                                    ) from e
    run_ids = {run.info.run_id for run in runs}
    events = [_run_event(run, run_ids) for run in runs]
    model_ids = set()
    for model in models:
        node_id = f"mlflow:model/{model.model_id}"
        model_ids.add(model.model_id)
        body: dict[str, Any] = {"nodes": [{
            "id": node_id, "kind": "entity", "type": "Model",
            "attributes": {"name": model.name, "model_id": model.model_id,
                           **{f"tag:{k}": v for k, v in (model.tags or {}).items()}}}],
            "relations": []}
        if model.source_run_id in run_ids:
            body["relations"].append({"relation": "wasGeneratedBy", "from": node_id,
                                      "to": f"mlflow:run/{model.source_run_id}"})
        events.append(_event("mlflow:model", body))
    for version in versions:
        node_id = f"mlflow:registered/{version.name}/{version.version}"
        body = {"nodes": [{"id": node_id, "kind": "entity", "type": "Model", "attributes": {
            "name": version.name, "version": str(version.version),
            "source": version.source, "stage": getattr(version, "current_stage", None)}}],
            "relations": []}
        source = str(version.source or "")
        model_id = getattr(version, "model_id", None) or (
            source.removeprefix("models:/") if source.startswith("models:/m-") else None)
        if model_id in model_ids:
            body["relations"].append({"relation": "wasDerivedFrom", "from": node_id,
                                      "to": f"mlflow:model/{model_id}"})
        elif version.run_id in run_ids:
            body["relations"].append({"relation": "wasGeneratedBy", "from": node_id,
                                      "to": f"mlflow:run/{version.run_id}"})
        events.append(_event("mlflow:version", body))
    return events


def _code(tags: dict[str, str]) -> dict[str, Any] | None:
    """The code a run ran, from the git tags MLflow sets when it runs in a repository
    (``mlflow.source.git.commit``, ``.repoURL``, ``.branch``, ``mlflow.source.name``): a
    ``Code`` entity (:func:`~provgraph.formats.code.code_entity`); None without a commit.

    >>> _code({"mlflow.source.git.commit": "0123456789abcdef",
    ...        "mlflow.source.git.repoURL": "git@github.com:acme/sft.git"})["id"]
    'code:sft@0123456789ab'
    """
    return code_entity(tags.get("mlflow.source.git.commit", ""),
                       tags.get("mlflow.source.git.repoURL"),
                       branch=tags.get("mlflow.source.git.branch"),
                       entry_point=tags.get("mlflow.source.name"))


def _run_event(run: Any, run_ids: set[str]) -> dict[str, Any]:
    info, data = run.info, run.data
    run_id = f"mlflow:run/{info.run_id}"
    tags = dict(data.tags)
    attributes: dict[str, Any] = {
        "experiment_id": info.experiment_id, "run_name": info.run_name,
        "status": info.status,
        **{f"param:{k}": v for k, v in sorted(data.params.items())},
        **{f"metric:{k}": v for k, v in sorted(data.metrics.items())},
        **{f"tag:{k}": v for k, v in sorted(tags.items()) if not k.startswith("mlflow.")},
    }
    activity: dict[str, Any] = {"id": run_id, "kind": "activity",
                                "type": tags.get("provgraph.type", "Training"),
                                "attributes": attributes}
    if _iso(info.start_time):
        activity["started_at"] = _iso(info.start_time)
    if _iso(info.end_time):
        activity["ended_at"] = _iso(info.end_time)
    nodes: list[dict[str, Any]] = [activity]
    relations: list[dict[str, Any]] = []
    if info.user_id:
        user = f"mlflow:user/{info.user_id}"
        nodes.append({"id": user, "kind": "agent", "type": "Person"})
        relations.append({"relation": "wasAssociatedWith", "from": run_id, "to": user})
    parent = tags.get("mlflow.parentRunId")
    if parent in run_ids:
        parent_id = f"mlflow:run/{parent}"
        relations.append({"relation": "wasInformedBy", "from": run_id, "to": parent_id})
    code = _code(tags)
    if code is not None:
        nodes.append(code)
        relations.append({"relation": "used", "from": run_id, "to": code["id"], "role": "code"})
    for item in getattr(run.inputs, "dataset_inputs", None) or []:
        dataset = item.dataset
        node_id = f"mlflow:dataset/{dataset.name}@{dataset.digest}"
        context = next((t.value for t in item.tags if t.key == "mlflow.data.context"), None)
        nodes.append({"id": node_id, "kind": "entity", "type": "Dataset", "attributes": {
            "name": dataset.name, "digest": dataset.digest, "version": dataset.digest,
            "source_type": dataset.source_type, "source": dataset.source}})
        role = f"{context}_data" if context else None
        relations.append({"relation": "used", "from": run_id, "to": node_id, "role": role})
    return _event(f"mlflow:run/{info.run_id}", {"nodes": nodes, "relations": relations})
