"""DVC pipelines in: a real pipeline built offline with the real ``dvc`` (init, stage add,
repro) in a temporary git repository, imported after each run; the earlier model stays tied
to the earlier data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import provgraph
from provgraph.cli import main
from provgraph.errors import InvalidEventError
from provgraph.formats.dvc import entity_id, read_dvc

PREPARE = "import sys\nrows = open('raw.csv').read().splitlines()\n" \
          "open('prepared.csv', 'w').write('\\n'.join(r.upper() for r in rows))\n"
TRAIN = "import yaml\nlr = yaml.safe_load(open('params.yaml'))['train']['lr']\n" \
        "open('model.pkl', 'w').write(f'lr={lr} ' + open('prepared.csv').read())\n"


def _sh(cwd: Path, *args: str) -> str:
    env = dict(os.environ, DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@x")
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _dvc(cwd: Path, *args: str) -> str:
    return _sh(cwd, sys.executable, "-m", "dvc", *args)


def _lock_hashes(project: Path) -> dict[tuple[str, str], str]:
    """(stage, path) -> md5, read straight from dvc.lock."""
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return {(stage, item["path"]): item["md5"] for stage, body in lock["stages"].items()
            for item in body.get("deps", []) + body.get("outs", [])}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "pipeline"
    root.mkdir()
    _sh(root, "git", "init", "-q")
    _dvc(root, "init", "-q")
    _dvc(root, "config", "core.analytics", "false")
    (root / "raw.csv").write_text("a\nb\n")
    (root / "prepare.py").write_text(PREPARE)
    (root / "train.py").write_text(TRAIN)
    (root / "params.yaml").write_text("train:\n  lr: 0.1\n  layers: [64, 32]\n")
    _dvc(root, "stage", "add", "-q", "-n", "prepare", "-d", "raw.csv", "-d", "prepare.py",
         "-o", "prepared.csv", f"{sys.executable} prepare.py")
    _dvc(root, "stage", "add", "-q", "-n", "train", "-d", "prepared.csv", "-d", "train.py",
         "-p", "train.lr,train.layers", "-o", "model.pkl", f"{sys.executable} train.py")
    _dvc(root, "repro", "-q")
    _sh(root, "git", "add", "-A")
    _sh(root, "git", "commit", "-q", "-m", "first run")
    return root


def _import(store: str, path: Path) -> Any:
    result = CliRunner().invoke(main, ["--uri", store, "import", "--format", "dvc",
                                       str(path)])
    assert result.exit_code == 0, result.output
    return result


def test_repro_with_changed_data_adds_versions_and_keeps_the_old_lineage(
        project: Path, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'lineage.db'}"
    first = _lock_hashes(project)
    commit = _sh(project, "git", "rev-parse", "HEAD").strip()
    out = _import(store, project).output
    assert "2 DVC stages" in out and f"at git commit {commit[:12]}" in out

    (project / "raw.csv").write_text("a\nb\nc\n")
    _dvc(project, "repro", "-q")
    _sh(project, "git", "commit", "-qam", "new raw data")
    second = _lock_hashes(project)
    assert second[("prepare", "raw.csv")] != first[("prepare", "raw.csv")]
    _import(store, project / "dvc.lock")

    raw1 = entity_id("raw.csv", first[("prepare", "raw.csv")])
    raw2 = entity_id("raw.csv", second[("prepare", "raw.csv")])
    model1 = entity_id("model.pkl", first[("train", "model.pkl")])
    model2 = entity_id("model.pkl", second[("train", "model.pkl")])
    with provgraph.connect(store) as graph:
        old = {n.id for n in graph.ancestry(model1).nodes}
        new = {n.id for n in graph.ancestry(model2).nodes}
        assert raw1 in old and raw2 not in old
        assert raw2 in new and raw1 not in new
        # Code is unchanged, so both runs rest on the same script version.
        script = entity_id("train.py", first[("train", "train.py")])
        assert script in old and script in new
        assert graph.node(model1).type == "Model" and graph.node(script).type == "Code"
        stage = next(n for n in graph.ancestry(model2).nodes if n.kind == "activity"
                     and n.type == "DVCStage" and graph.node(n.id).attributes["stage"] == "train")
        attributes = graph.node(stage.id).attributes
        assert attributes["params:params.yaml:train.lr"] == 0.1
        assert attributes["params:params.yaml:train.layers"] == [64, 32]
        assert attributes["cmd"].endswith("train.py")
        assert attributes["git_commit"] == _sh(project, "git", "rev-parse", "HEAD").strip()
        assert graph.node(raw2).attributes["size"] == len("a\nb\nc\n")
        assert graph.why(model1).witnesses == [sorted(
            [raw1, entity_id("prepare.py", first[("prepare", "prepare.py")]), script])]
        assert graph.verify().ok
    # Importing the same project again writes nothing.
    again = _import(store, project).output
    assert "0 node and 0 relation versions written" in again


def test_dvc_files_are_read_from_a_project_directory(project: Path) -> None:
    (project / "data").mkdir()
    (project / "data" / "labels.csv").write_text("x,1\n")
    _dvc(project, "add", "-q", "data/labels.csv")
    read = read_dvc(project)
    assert read.stages == 2 and read.tracked == 1
    ids = {n["id"] for e in read.events for n in e["nodes"]}
    tracked = yaml.safe_load((project / "data" / "labels.csv.dvc").read_text())["outs"][0]
    assert entity_id("data/labels.csv", tracked["md5"]) in ids


@pytest.mark.parametrize("lock, message", [
    ("stages:\n  a:\n    cmd: x\n", "unknown dvc.lock schema none (DVC 1.x)"),
    ("schema: '3.0'\nstages: {}\n", "unknown dvc.lock schema '3.0'"),
    ("schema: '2.0'\nstages:\n  a:\n    cmd: x\n    deps:\n    - md5: abc\n",
     "field stages.a.deps.0.path"),
    ("schema: '2.0'\nstages: [oops", "not valid YAML"),
    ("schema: '2.0'\nstages: " + "[" * 5000 + "]" * 5000, "YAML nested too deeply to read"),
])
def test_a_bad_dvc_lock_gets_one_line_and_writes_nothing(
        tmp_path: Path, lock: str, message: str) -> None:
    path = tmp_path / "dvc.lock"
    path.write_text(lock)
    with pytest.raises(InvalidEventError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_dvc(path)
    store = f"sqlite:///{tmp_path / 'lineage.db'}"
    result = CliRunner().invoke(main, ["--uri", store, "import", "--format", "dvc",
                                       str(path)])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    with provgraph.connect(store) as graph:
        assert list(graph.store.ids(2**62)) == []
