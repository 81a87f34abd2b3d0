"""Record lineage from training code: a context manager and a decorator.

>>> import provgraph
>>> g = provgraph.connect("sqlite:///:memory:")
>>> with provgraph.record("run:ft-1", type="FineTuning", graph=g, params={"lr": 3e-4},
...                       capture_code=False) as run:
...     run.used("model:base", role="base_model", type="Model")
...     run.generated("model:ft-1", type="Model", digest="sha256:ab12")
>>> sorted(g.ancestry("model:ft-1").ids) # doctest: +ELLIPSIS
['env:...', 'model:base', 'run:ft-1']

Besides what the code says, a run records automatically: the git commit of the working tree
(and whether it was dirty) as a ``Code`` entity used in role ``code``; Python, key package
versions and the host as an ``Environment`` used in role ``environment``; start and end time;
the agent (the user running it unless told); and, if the block raised, ``status: failed``.
"""

from __future__ import annotations

import contextvars
import functools
import getpass
import hashlib
import json
import platform
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from provgraph.builder import EventBuilder
from provgraph.errors import ProvgraphError
from provgraph.graph import Graph, connect

#: Packages whose versions a run's Environment records when they are installed.
KEY_PACKAGES = (
    "torch", "transformers", "tensorflow", "jax", "numpy", "scikit-learn", "peft",
    "accelerate", "datasets", "tokenizers", "safetensors", "vllm", "lightning", "xgboost",
    "mlflow", "provgraph",
)

_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "provgraph_run", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def git_state(path: str | Path = ".") -> dict[str, Any] | None:
    """The commit, dirty flag and origin of the git working tree at ``path``, or None."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                                  timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    top = git("rev-parse", "--show-toplevel") or str(path)
    return {
        "commit": commit,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "remote": git("config", "--get", "remote.origin.url"),
        "repository": Path(top).name,
    }


def environment_state() -> dict[str, Any]:
    """Python, platform, host and the versions of the key packages installed."""
    packages = []
    for name in KEY_PACKAGES:
        try:
            packages.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "packages": packages,
    }


class Run:
    """One recorded activity: say what it used and generated; it is written on exit."""

    def __init__(self, activity_id: str, type: str, params: dict[str, Any]) -> None:
        self.activity_id = activity_id
        self.type = type
        self.params = dict(params)
        self._builder = EventBuilder("")
        self._entities: set[str] = set()

    def _entity(self, id: str, type: str | None, digest: str | None,
                attributes: dict[str, Any]) -> None:
        if id in self._entities:
            return
        self._entities.add(id)
        fields = dict(attributes)
        if digest:
            fields["digest"] = digest
        self._builder.entity(id, type, **fields)

    def used(self, id: str, *, role: str | None = None, type: str | None = None,
             digest: str | None = None, **attributes: Any) -> None:
        """The activity used entity ``id`` (a dataset, base model, config ...) in ``role``."""
        self._entity(id, type, digest, attributes)
        self._builder.used(self.activity_id, id, role=role)

    def generated(self, id: str, *, type: str | None = None, digest: str | None = None,
                  derived_from: str | None = None, copies: dict[str, str] | None = None,
                  **attributes: Any) -> None:
        """The activity generated entity ``id`` (with its ``digest``); ``derived_from`` and
        ``copies`` record that ``id`` copied attributes (e.g. the tokenizer) from a source."""
        self._entity(id, type, digest, attributes)
        self._builder.generated(id, self.activity_id)
        if derived_from:
            self._builder.derived(id, derived_from, copies=copies or None)

    def log_params(self, **params: Any) -> None:
        """Add hyperparameters to the activity."""
        self.params.update(params)

    def event(self, agent: str | None, code: dict[str, Any] | None,
              env: dict[str, Any] | None, started: str, ended: str,
              failed: BaseException | None) -> dict[str, Any]:
        """The native event this run writes."""
        b = self._builder
        attributes = dict(self.params)
        if failed is not None:
            attributes.update(status="failed", error=f"{type(failed).__name__}: {failed}")
        else:
            attributes["status"] = "completed"
        b.activity(self.activity_id, self.type, started_at=started, ended_at=ended,
                   attributes=attributes)
        if agent:
            b.agent(agent, "Person" if agent.startswith("person:") else None)
            b.associated(self.activity_id, agent)
        if code:
            code_id = f"code:{code['repository']}@{code['commit'][:12]}"
            if code["dirty"]:
                code_id += "+dirty"
            b.entity(code_id, "Code", **{k: v for k, v in code.items() if v is not None})
            b.used(self.activity_id, code_id, role="code")
        if env:
            digest = hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()
            env_id = f"env:{digest[:16]}"
            b.entity(env_id, "Environment", **env)
            b.used(self.activity_id, env_id, role="environment")
        body = {"nodes": b.nodes, "relations": b.relations}
        # Same content, same event id: re-recording an identical run changes nothing.
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return {"id": f"record:{self.activity_id}:{digest[:16]}", **body}


def current_run() -> Run:
    """The run being recorded (inside :func:`record` or a :func:`recorded` function)."""
    run = _current.get()
    if run is None:
        raise ProvgraphError("no provgraph run is being recorded here")
    return run


@contextmanager
def record(
    activity_id: str, *, type: str = "Training", graph: Graph | None = None,
    uri: str | None = None, agent: str | None = None, params: dict[str, Any] | None = None,
    capture_code: bool = True, capture_environment: bool = True, code_path: str = ".",
) -> Iterator[Run]:
    """Record one activity; everything said inside is written in one event on exit.

    ``graph`` (or ``uri``) says where; ``agent`` defaults to ``person:<login>``. The run is
    written even if the block raises (marked ``status: failed``), and the error propagates.
    """
    run = Run(activity_id, type, params or {})
    token = _current.set(run)
    started = _now()
    failed: BaseException | None = None
    try:
        yield run
    except BaseException as e:
        failed = e
        raise
    finally:
        _current.reset(token)
        event = run.event(
            agent=agent or f"person:{getpass.getuser()}",
            code=git_state(code_path) if capture_code else None,
            env=environment_state() if capture_environment else None,
            started=started, ended=_now(), failed=failed,
        )
        target = graph or connect(uri)
        try:
            target.ingest(event)
        finally:
            if graph is None:
                target.close()


def recorded(
    activity_id: str | None = None, **options: Any
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so each call is recorded as an activity (see :func:`record`).

    Inside, :func:`current_run` says what was used and generated. Without ``activity_id``
    each call gets ``run:<function>:<UTC time>``.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            name = activity_id or f"run:{function.__name__}:{_now()}"
            with record(name, **options):
                return function(*args, **kwargs)

        return wrapper

    return decorate


__all__ = ["Run", "current_run", "environment_state", "git_state", "record", "recorded"]
