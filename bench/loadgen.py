"""A bounded load generator for ``provgraph serve``, and the check that nothing acknowledged
was lost or written twice. Used by ``bench/load.py`` and by the fault tests.

Clients (threads, loopback HTTP only, stdlib ``http.client``) send, until a deadline:

* native batches: events ``load-C-N`` each defining a model ``load:C:N`` derived from the
  shared ``load:base`` (so every batch also touches one hot node);
* OpenLineage RunEvents: clients 2k and 2k+1 meet, then send the START and the COMPLETE of
  the same run at the same moment, so the server merges one run from two racing requests.

A request that fails (connection refused or reset, 409, 5xx) is sent again, with the same
content, until it is acknowledged or the run's grace period ends; only a 2xx counts as
acknowledged. :func:`check` then reads the store directly.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from provgraph.graph import Graph
from provgraph.neo4j_local import accepts

PRODUCER = "https://github.com/provgraph/provgraph/loadgen"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
BASE_EVENT = {"id": "load-base", "nodes": [
    {"id": "load:base", "kind": "entity", "type": "Model", "opaque": True,
     "opaque_reason": "load test base"}]}


@dataclass
class LoadResult:
    """What the clients saw."""

    clients: int
    seconds: float
    requests: int = 0
    acked_events: int = 0
    retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    native_ids: list[str] = field(default_factory=list)
    runs: dict[str, set[str]] = field(default_factory=dict)  # run id -> acked event types
    unacked: int = 0

    def summary(self) -> dict[str, Any]:
        """Figures for a report."""
        lat = sorted(self.latencies) or [0.0]
        return {
            "clients": self.clients, "seconds": round(self.seconds, 1),
            "requests": self.requests, "acked_events": self.acked_events,
            "events_per_s": round(self.acked_events / max(self.seconds, 1e-9), 1),
            "p50_ms": round(statistics.median(lat) * 1000, 1),
            "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1),
            "retries": self.retries, "failures": dict(self.failures),
            "unacked_at_end": self.unacked,
        }


class _Client:
    def __init__(self, base: str, token: str | None, result: LoadResult,
                 lock: threading.Lock) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.result, self.lock = result, lock
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: Any, until: float) -> bool:
        """Send until acknowledged (True) or ``until`` passes (False)."""
        data = json.dumps(body).encode("utf-8")
        delay = 0.05
        while True:
            started = time.perf_counter()
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request("POST", path, data, self.headers)
                response = self.connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as e:
                status, reason = 0, type(e).__name__
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
            else:
                reason = str(status)
            with self.lock:
                self.result.requests += 1
                if 200 <= status < 300:
                    self.result.latencies.append(time.perf_counter() - started)
                    return True
                self.result.failures[reason] += 1
                self.result.retries += 1
            if status in (400, 401, 403, 404, 413, 422) or time.monotonic() > until:
                return False
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 1.0)


def _run_event(run: str, kind: str, client: int, n: int) -> dict[str, Any]:
    moment = f"2026-11-26T10:{n // 60 % 60:02d}:{n % 60:02d}.{client:06d}Z"
    return {
        "eventType": kind, "eventTime": moment, "producer": PRODUCER, "schemaURL": SCHEMA_URL,
        "run": {"runId": run},
        "job": {"namespace": "load", "name": f"train-{client // 2}"},
        "inputs": [{"namespace": "load", "name": f"input-{n % 5}"}],
        "outputs": [{"namespace": "load", "name": f"model-{client // 2}-{n}"}]
        if kind == "COMPLETE" else [],
    }


def run_load(base_url: str | list[str], token: str | None, clients: int = 8,
             seconds: float = 20.0, batch: int = 10, grace: float = 60.0,
             during: Callable[[], None] | None = None, during_at: float = 0.5) -> LoadResult:
    """Load ``base_url`` from ``clients`` threads for ``seconds``; ``during`` (e.g. kill and
    restart the server) runs in its own thread at ``during_at`` of the run. With several
    URLs (servers on one store), client i talks to URL i mod n, so the two halves of each
    OpenLineage run race through different processes."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    result = LoadResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    setup = _Client(urls[0], token, result, lock)
    if not setup.post("/api/v1/events", BASE_EVENT, time.monotonic() + grace):
        raise RuntimeError(f"the server at {urls[0]} does not accept events")
    stop_at = time.monotonic() + seconds
    namespace = uuid.uuid4()

    # The two clients of a pair meet before each OpenLineage step, so that they send the
    # two halves of the same run at the same moment however far one was held up (retrying
    # through a restart, say); a client that stops releases its partner.
    pairs = [threading.Barrier(2) for _ in range(clients // 2)]

    def client(number: int) -> None:
        me = _Client(urls[number % len(urls)], token, result, lock)
        pair = pairs[number // 2] if number // 2 < len(pairs) else None
        n = 0
        try:
            while time.monotonic() < stop_at:
                n += 1
                if n % 2:
                    native(me, number, n)
                    continue
                if pair is not None:
                    try:
                        pair.wait(timeout=max(stop_at + grace - time.monotonic(), 0.0))
                    except threading.BrokenBarrierError:
                        return
                run = str(uuid.uuid5(namespace, f"{number // 2}-{n}"))
                kind = "START" if number % 2 == 0 else "COMPLETE"
                ok = me.post("/api/v1/lineage", _run_event(run, kind, number, n),
                             stop_at + grace)
                with lock:
                    if ok:
                        result.runs.setdefault(run, set()).add(kind)
                        result.acked_events += 1
                    else:
                        result.unacked += 1
        finally:
            if pair is not None:
                pair.abort()

    def native(me: _Client, number: int, n: int) -> None:
        # Unique across runs, so that a run may follow others on the same store.
        ids = [f"load-{namespace.hex[:8]}-{number}-{n}-{k}" for k in range(batch)]
        body = [{"id": i, "nodes": [{"id": "load:" + i[5:], "kind": "entity",
                                      "type": "Model", "attributes": {"n": n}}],
                 "relations": [{"relation": "wasDerivedFrom", "from": "load:" + i[5:],
                                "to": "load:base", "role": "base"}]} for i in ids]
        ok = me.post("/api/v1/events", body, stop_at + grace)
        with lock:
            if ok:
                result.native_ids.extend(ids)
                result.acked_events += len(ids)
            else:
                result.unacked += len(ids)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    side = None
    if during is not None:
        def delayed() -> None:
            time.sleep(seconds * during_at)
            during()

        side = threading.Thread(target=delayed, daemon=True)
        side.start()
    for thread in threads:
        thread.join()
    if side is not None:
        side.join()
    result.seconds = time.monotonic() - started
    return result


@dataclass
class CheckResult:
    """What the store holds of what was acknowledged."""

    missing_events: list[str]
    duplicated: list[str]
    runs_incomplete: list[str]
    verify_problems: list[str]

    @property
    def ok(self) -> bool:
        """Nothing acknowledged lost, nothing written twice, the chain intact."""
        return not (self.missing_events or self.duplicated or self.runs_incomplete
                    or self.verify_problems)

    def summary(self) -> dict[str, Any]:
        """Figures for a report (first few of each list)."""
        return {"missing_events": len(self.missing_events),
                "duplicated": len(self.duplicated),
                "runs_incomplete": len(self.runs_incomplete),
                "verify_problems": self.verify_problems[:5], "ok": self.ok,
                "examples": (self.missing_events + self.duplicated + self.runs_incomplete)[:5]}


def check(graph: Graph, result: LoadResult) -> CheckResult:
    """Every acknowledged event stored, exactly once; every run with both ends acknowledged
    merged with both; the hash chain intact."""
    known: dict[str, str] = {}
    ids = result.native_ids
    for start in range(0, len(ids), 1000):
        known.update(graph.store.known_events(ids[start:start + 1000]))
    missing = [i for i in ids if i not in known]
    duplicated = [f"node {node_id!r}: {count} versions" for node_id, count
                  in version_counts(graph, "load:").items() if count != 1]
    incomplete = []
    runs = sorted(r for r, kinds in result.runs.items() if kinds == {"START", "COMPLETE"})
    for start in range(0, len(runs), 500):
        chunk = runs[start:start + 500]
        nodes = graph.store.nodes([f"openlineage:run/{r}" for r in chunk], 2**62)
        for run in chunk:
            node = nodes.get(f"openlineage:run/{run}")
            if node is None or not node.started_at or not node.ended_at:
                incomplete.append(f"run {run}: START and COMPLETE acknowledged, "
                                  "not both merged")
    return CheckResult(missing, duplicated, incomplete, graph.verify().problems)


def version_counts(graph: Graph, prefix: str) -> dict[str, int]:
    """How many versions each node whose id starts with ``prefix`` has, counted in the
    database (a load-test check, so it speaks each backend's language directly)."""
    store: Any = graph.store
    if hasattr(store, "path"):
        rows = store._read("SELECT id, COUNT(*) FROM node_versions WHERE id >= ? AND id < ?"
                           " GROUP BY id", (prefix, prefix + "\uffff"))
        return {row[0]: row[1] for row in rows}
    with store._driver.session(database=store.database) as session:
        records = session.run("MATCH (v:PGNodeVersion) WHERE v.id STARTS WITH $prefix"
                              " RETURN v.id AS id, count(*) AS n", prefix=prefix)
        return {r["id"]: r["n"] for r in records}


class ServerProcess:
    """``provgraph serve`` in a child process on 127.0.0.1, which can be killed (SIGKILL)
    and started again; its output goes to ``log`` (to check no secret ever reaches it)."""

    def __init__(self, uri: str, port: int, token: str, log: str,
                 env: dict[str, str] | None = None, workers: int = 1) -> None:
        self.uri, self.port, self.token, self.log = uri, port, token, log
        self.env = env or {}
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait until ``/health`` answers."""
        env = {**os.environ, **self.env, "PROVGRAPH_TOKEN": self.token}
        with open(self.log, "ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "provgraph", "--uri", self.uri, "serve",
                 "--port", str(self.port),
                 *(["--workers", str(self.workers)] if self.workers > 1 else [])],
                stdout=sink, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"provgraph serve exited with {self.process.returncode}; "
                                   f"see {self.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"provgraph serve did not answer within {timeout} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a power cut of the process. With
        workers, returns once they have exited too (they get SIGTERM when their supervisor
        dies, finish the requests they hold, and free the port); RuntimeError if they still
        answer after 30 s."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            deadline = time.monotonic() + 30
            while self.answers():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {self.port} still answers 30 s after its"
                                       " server was killed")
                time.sleep(0.05)

    def answers(self) -> bool:
        """Whether anything accepts connections on the port."""
        return accepts(self.port)

    def restart(self) -> None:
        """Kill, then start again."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """Terminate gracefully."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
