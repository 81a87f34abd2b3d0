"""MLflow import against a real tracking store written by mlflow itself (sqlite:///)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
mlflow = pytest.importorskip("mlflow")

import provgraph  # noqa: E402
from provgraph.cli import main  # noqa: E402


@pytest.fixture
def tracking_uri(tmp_path: Path) -> str:
    from mlflow.data.http_dataset_source import HTTPDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    mlflow.set_tracking_uri(uri)
    train = MetaDataset(source=HTTPDatasetSource("https://example.com/tickets.csv"),
                        name="tickets", digest="9c1e4f")
    holdout = MetaDataset(source=HTTPDatasetSource("https://example.com/holdout.csv"),
                          name="holdout", digest="77ab01")
    with mlflow.start_run(run_name="sweep"), \
            mlflow.start_run(run_name="sft-lr2e-5", nested=True) as run:
        mlflow.log_params({"lr": 2e-5, "epochs": 3})
        mlflow.log_metric("val_loss", 0.41)
        mlflow.set_tag("team", "support")
        mlflow.set_tags({"mlflow.source.git.commit": "4f0c2a9e8b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
                         "mlflow.source.git.repoURL": "https://github.com/acme/sft.git",
                         "mlflow.source.git.branch": "main", "mlflow.source.name": "train.py"})
        mlflow.log_input(train, context="training")
        mlflow.log_input(holdout, context="validation")
    model = client.create_logged_model(experiment_id=run.info.experiment_id,
                                       name="support-8b", source_run_id=run.info.run_id)
    client.create_registered_model("support-bot")
    client.create_model_version("support-bot", source=f"models:/{model.model_id}",
                                run_id=run.info.run_id, model_id=model.model_id)
    mlflow.set_tracking_uri(None)
    return uri


def test_registered_model_reaches_its_dataset(tracking_uri: str) -> None:
    g = provgraph.connect("sqlite:///:memory:")
    result = g.import_mlflow(tracking_uri)
    assert result.events == 4  # two runs, one logged model, one registered version
    ancestry = g.ancestry("mlflow:registered/support-bot/1", include_agents=True)
    types = {n.id.split("/")[0]: n.type for n in ancestry.nodes}
    assert "mlflow:dataset/tickets@9c1e4f" in ancestry.ids
    assert "mlflow:dataset/holdout@77ab01" in ancestry.ids
    assert types["mlflow:model"] == "Model"
    run_id = next(n.id for n in ancestry.nodes if n.id.startswith("mlflow:run/")
                  and g.node(n.id).attributes["run_name"] == "sft-lr2e-5")
    run = g.node(run_id)
    assert run.attributes["param:lr"] == "2e-05" and run.attributes["metric:val_loss"] == 0.41
    assert run.attributes["tag:team"] == "support" and run.started_at
    roles = {(r.target, r.role) for r in g.relations(run_id) if r.relation == "used"}
    assert ("mlflow:dataset/tickets@9c1e4f", "training_data") in roles
    informed = [r.target for r in g.relations(run_id) if r.relation == "wasInformedBy"]
    assert len(informed) == 1 and g.node(informed[0]).attributes["run_name"] == "sweep"
    # The commit MLflow tagged the run with is the code it used, named as provgraph.record
    # names a commit, and the audit finds the code version.
    code = g.node("code:sft@4f0c2a9e8b7d")
    assert code.type == "Code" and code.attributes == {
        "commit": "4f0c2a9e8b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a", "repository": "sft",
        "remote": "https://github.com/acme/sft.git", "branch": "main",
        "entry_point": "train.py"}
    assert ("code:sft@4f0c2a9e8b7d", "code") in roles
    audit = g.audit("mlflow:registered/support-bot/1").to_dict()
    assert any(item["key"] == "code_version" and item["status"] == "present"
               and item["evidence"] == ["code:sft@4f0c2a9e8b7d"] for item in audit["items"])
    assert g.import_mlflow(tracking_uri).events == 0  # re-import is a no-op


def test_cli_import_mlflow(tracking_uri: str, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'pg.sqlite'}"
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "mlflow",
                                       "--tracking-uri", tracking_uri])
    assert result.exit_code == 0, result.output
    assert "4 MLflow records imported" in result.stdout
    usage = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "mlflow"])
    assert usage.exit_code == 2 and "--tracking-uri" in usage.stderr
