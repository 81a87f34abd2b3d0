"""DVC pipelines as PROV lineage: ``dvc.lock`` stages and ``.dvc`` files.

Each stage of a ``dvc.lock`` (schema 2.0, written by DVC 2 and 3) is an activity with its
command and params; each dep and out is an entity tied to its content hash
(``dvc:PATH@HASH``), so a changed file is a new version of that data and not the same node:
the stage used its deps and generated its outs. A stage run is identified by its content
(command, params, the hashes of its deps and outs), so importing the same lock again writes
nothing, and importing after ``dvc repro`` changed the data adds the new versions while the
earlier ones keep their own lineage. A ``.dvc`` file (``dvc add``, ``dvc import``) gives the
entities of its outs, derived from its deps where it has some. Where the project is a git
repository, each stage records the commit it was imported at (``git_commit``).

Entity types are read off the path: ``Directory`` (a tracked directory), ``Code`` (scripts),
``Model`` (weights and pickles), otherwise ``Dataset``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from provgraph.errors import ConfigurationError, InvalidEventError

CODE = {".py", ".sh", ".ipynb", ".r", ".jl", ".scala", ".sql", ".js", ".ts"}
MODEL = {".pkl", ".pickle", ".joblib", ".pt", ".pth", ".onnx", ".safetensors", ".h5",
         ".keras", ".ckpt", ".bin", ".gguf", ".pb", ".tflite", ".cbm", ".xgb"}
#: Keys under which DVC records a file's content hash, in the order they are preferred.
HASHES = ("md5", "etag", "checksum", "version_id")


@dataclass
class DvcProject:
    """What was read from a DVC project: native events, and where they came from."""

    root: Path
    commit: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    stages: int = 0
    tracked: int = 0


def read_dvc(path: Path) -> DvcProject:
    """Read ``path`` (a ``dvc.lock``, or a DVC project directory: its ``dvc.lock`` and its
    ``.dvc`` files) into native events. Raises InvalidEventError, naming the file and the
    field, for a malformed file or a lock of an unknown schema; nothing is read partly."""
    path = Path(path)
    if path.is_dir():
        root, lock = path, path / "dvc.lock"
        tracked = sorted(p for p in path.rglob("*.dvc")
                         if p.is_file() and not {".dvc", ".git"} & set(p.relative_to(path).parts))
        if not lock.is_file() and not tracked:
            raise InvalidEventError(f"{path}: no dvc.lock and no .dvc files: not a DVC project"
                                    " with anything tracked")
    else:
        root, lock, tracked = path.parent, path, []
    project = DvcProject(root=root, commit=git_commit(root))
    if lock.is_file():
        for name, stage in _stages(lock).items():
            project.events.append(_stage_event(name, stage, lock, project.commit))
            project.stages += 1
    for file in tracked:
        project.events.append(_tracked_event(file, root))
        project.tracked += 1
    return project


def git_commit(directory: Path) -> str | None:
    """The commit checked out where ``directory`` is, or None outside a git repository."""
    try:
        done = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError as e:
        raise ConfigurationError("DVC files need the dvc extra: pip install 'provgraph[dvc]'"
                                 ) from e
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InvalidEventError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from e
    except RecursionError as e:
        raise InvalidEventError(f"{path}: YAML nested too deeply to read") from e


def _stages(lock: Path) -> dict[str, dict[str, Any]]:
    data = _yaml(lock)
    if not isinstance(data, dict):
        raise InvalidEventError(f"{lock}: expected a mapping with schema and stages")
    if str(data.get("schema")) != "2.0":
        found = repr(data["schema"]) if "schema" in data else "none (DVC 1.x)"
        raise InvalidEventError(f"{lock}: unknown dvc.lock schema {found}; provgraph reads"
                                " schema '2.0', written by DVC 2 and 3")
    stages = data.get("stages")
    if not isinstance(stages, dict):
        raise InvalidEventError(f"{lock}: field stages: expected a mapping of stage names")
    for name, stage in stages.items():
        where = f"{lock}: field stages.{name}"
        if not isinstance(stage, dict):
            raise InvalidEventError(f"{where}: expected a mapping")
        if not isinstance(stage.get("cmd"), (str, list)):
            raise InvalidEventError(f"{where}.cmd: expected the stage's command")
        for part in ("deps", "outs"):
            _files(stage.get(part, []), f"{where}.{part}")
        params = stage.get("params", {})
        if not isinstance(params, dict) or not all(isinstance(v, dict)
                                                   for v in params.values()):
            raise InvalidEventError(f"{where}.params: expected values by file and key")
    return stages


def _files(items: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise InvalidEventError(f"{where}: expected a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) \
                or not item["path"]:
            raise InvalidEventError(f"{where}.{i}.path: expected the file's path")
    return items


def _content(item: dict[str, Any]) -> str | None:
    for key in HASHES:
        if item.get(key):
            return str(item[key])
    return None


def _entity(path: str, item: dict[str, Any]) -> dict[str, Any]:
    """The entity of one file version."""
    content = _content(item)
    suffix = PurePosixPath(path).suffix.lower()
    kind = ("Directory" if content and content.endswith(".dir") else "Code" if suffix in CODE
            else "Model" if suffix in MODEL else "Dataset")
    attributes: dict[str, Any] = {"path": path}
    if content:
        attributes[next(key for key in HASHES if item.get(key))] = content
    for key in ("size", "nfiles"):
        if isinstance(item.get(key), int):
            attributes[key] = item[key]
    return {"id": entity_id(path, content), "kind": "entity", "type": kind,
            "attributes": attributes}


def entity_id(path: str, content: str | None) -> str:
    """The id of a file version: its path in the project and its content hash.

    >>> entity_id("data/raw.csv", "1b2c")
    'dvc:data/raw.csv@1b2c'
    """
    return f"dvc:{path}@{content}" if content else f"dvc:{path}"


def _flat(prefix: str, value: Any, into: dict[str, Any]) -> None:
    """Params as attributes: nested keys joined with dots, lists of scalars kept, anything
    else as JSON text."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(f"{prefix}.{key}", inner, into)
    elif value is None or _scalar(value) or (
            isinstance(value, list) and all(_scalar(v) for v in value)):
        into[prefix] = value
    else:
        into[prefix] = json.dumps(value, sort_keys=True)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _stage_event(name: str, stage: dict[str, Any], lock: Path,
                 commit: str | None) -> dict[str, Any]:
    cmd = stage["cmd"] if isinstance(stage["cmd"], str) else " && ".join(map(str, stage["cmd"]))
    run = hashlib.sha256(json.dumps(
        {"stage": name, "cmd": cmd, "params": stage.get("params", {}),
         "deps": [(d["path"], _content(d)) for d in stage.get("deps", [])],
         "outs": [(o["path"], _content(o)) for o in stage.get("outs", [])]},
        sort_keys=True, default=str).encode()).hexdigest()[:16]
    activity = f"dvc:stage/{name}@{run}"
    attributes: dict[str, Any] = {"stage": name, "cmd": cmd, "lock": lock.name}
    for file, values in sorted(stage.get("params", {}).items()):
        for key, value in sorted(values.items()):
            _flat(f"params:{file}:{key}", value, attributes)
    if commit:
        attributes["git_commit"] = commit
    nodes = [{"id": activity, "kind": "activity", "type": "DVCStage",
              "attributes": attributes}]
    relations = []
    for dep in stage.get("deps", []):
        node = _entity(dep["path"], dep)
        nodes.append(node)
        relations.append({"relation": "used", "from": activity, "to": node["id"],
                          "role": dep["path"]})
    for out in stage.get("outs", []):
        node = _entity(out["path"], out)
        nodes.append(node)
        relations.append({"relation": "wasGeneratedBy", "from": node["id"], "to": activity})
    return {"id": f"dvc:{activity[4:]}:{commit or 'no-git'}", "nodes": _dedupe(nodes),
            "relations": relations}


def _tracked_event(file: Path, root: Path) -> dict[str, Any]:
    """The entities of a ``.dvc`` file's outs, derived from its deps (``dvc import``)."""
    data = _yaml(file)
    if not isinstance(data, dict):
        raise InvalidEventError(f"{file}: expected a mapping with outs")
    base = file.parent.relative_to(root)
    outs = _files(data.get("outs", []), f"{file}: field outs")
    deps = _files(data.get("deps", []), f"{file}: field deps")
    nodes, relations = [], []
    sources = []
    for dep in deps:
        where = dep["path"] if "://" in dep["path"] else str(base / dep["path"])
        repo = dep.get("repo")
        if isinstance(repo, dict) and repo.get("url"):
            where = f"{repo['url']}/{dep['path']}"
        node = _entity(where, dep)
        if isinstance(repo, dict) and repo.get("rev_lock"):
            node["attributes"]["rev_lock"] = str(repo["rev_lock"])
        nodes.append(node)
        sources.append(node["id"])
    for out in outs:
        node = _entity(str(base / out["path"]), out)
        nodes.append(node)
        relations += [{"relation": "wasDerivedFrom", "from": node["id"], "to": source}
                      for source in sources]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
    return {"id": f"dvc:file/{file.relative_to(root).as_posix()}@{digest.hexdigest()[:16]}",
            "nodes": _dedupe(nodes), "relations": relations}


def _dedupe(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One node per id (a file both a dep and an out of one stage is one version)."""
    seen: dict[str, dict[str, Any]] = {}
    for node in nodes:
        seen.setdefault(node["id"], node)
    return list(seen.values())
