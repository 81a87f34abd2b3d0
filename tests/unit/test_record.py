"""The recording API: what training code says, plus code version, environment and agent."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import provgraph
from provgraph.record import current_run, git_state


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (tmp_path / "train.py").write_text("print('train')\n")
    git("add", "train.py")
    git("commit", "-qm", "trainer")
    return tmp_path


def test_context_manager_records_inputs_outputs_code_environment(repo: Path) -> None:
    g = provgraph.connect("sqlite:///:memory:")
    with provgraph.record("run:ft-7", type="FineTuning", graph=g, agent="person:alice",
                          params={"lr": 3e-4}, code_path=str(repo)) as run:
        run.used("model:base", role="base_model", type="Model")
        run.used("data:train@3", role="training_data", type="Dataset", digest="sha256:aa")
        run.log_params(epochs=2)
        run.generated("model:ft-7", type="Model", digest="sha256:bb",
                      derived_from="model:base", copies={"tokenizer": "tokenizer"})
    activity = g.node("run:ft-7")
    assert activity.type == "FineTuning"
    assert activity.attributes == {"lr": 3e-4, "epochs": 2, "status": "completed"}
    assert activity.started_at and activity.ended_at
    assert g.node("model:ft-7").attributes == {"digest": "sha256:bb"}
    ancestry = g.ancestry("model:ft-7", include_agents=True)
    commit = git_state(repo)
    assert commit is not None and commit["dirty"] is False
    code_id = f"code:{repo.name}@{commit['commit'][:12]}"
    assert {"run:ft-7", "model:base", "data:train@3", "person:alice", code_id} <= ancestry.ids
    roles = {(r.target, r.role) for r in g.relations("run:ft-7") if r.relation == "used"}
    assert (code_id, "code") in roles and ("data:train@3", "training_data") in roles
    env = [t for t, role in roles if role == "environment"]
    assert len(env) == 1
    assert g.node(env[0]).attributes["python"].count(".") == 2


def test_dirty_tree_is_recorded(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    g = provgraph.connect("sqlite:///:memory:")
    with provgraph.record("run:dirty", graph=g, code_path=str(repo),
                          capture_environment=False) as run:
        run.generated("model:d", type="Model")
    code = [n for n in g.ancestry("model:d").nodes if n.type == "Code"]
    assert len(code) == 1 and code[0].id.endswith("+dirty")
    assert g.node(code[0].id).attributes["dirty"] is True


def test_decorator_records_each_call_and_failures() -> None:
    g = provgraph.connect("sqlite:///:memory:")

    @provgraph.recorded("run:eval-1", type="Evaluation", graph=g, capture_code=False,
                        capture_environment=False)
    def evaluate(model: str) -> float:
        current_run().used(model, role="model", type="Model")
        raise RuntimeError("GPU fell off")

    with pytest.raises(RuntimeError, match="GPU fell off"):
        evaluate("model:x")
    node = g.node("run:eval-1")
    assert node.attributes["status"] == "failed"
    assert node.attributes["error"] == "RuntimeError: GPU fell off"
    assert "model:x" in g.ancestry("run:eval-1").ids


def test_current_run_outside_a_run_is_an_error() -> None:
    with pytest.raises(provgraph.ProvgraphError, match="no provgraph run is being recorded"):
        current_run()
