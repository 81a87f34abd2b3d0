"""Load and fault figures for ``provgraph serve`` on each backend (loopback only, bounded).

For each backend: a steady run (clients send native batches and racing OpenLineage
START/COMPLETE pairs for a fixed time), then a run during which the server is killed with
SIGKILL and restarted while clients keep retrying. After each run the store is read directly:
every acknowledged event must be there exactly once, every run whose START and COMPLETE were
both acknowledged must hold both, and ``verify`` must find the hash chain intact. The server's
log is searched for the bearer token and the Neo4j password (they must never appear).

    python bench/load.py                      # both backends, 8 clients, 20 s a run
    python bench/load.py --backend sqlite --seconds 5

Each backend first runs a warm-up load (``--warmup``, not reported): 10 s on SQLite, 300 s on
Neo4j. A fresh JVM keeps compiling Neo4j's hot paths for minutes (measured on a 2-core
machine: 600-700 events/s in the first minutes, 900-1,000 after six to seven), and a server
that teams run is warm; the steady figure is the warm one. ``--warmup 10`` shows a cold one.
Each run starts on an emptied store; ``--keep-data`` runs each on what the runs before it
wrote instead, as a team's server keeps its history (on Neo4j, emptying a store leaves its id
generators scanning the deleted records for reuse during the next run).

Neo4j: $PROVGRAPH_BENCH_NEO4J_URI (+ NEO4J_USER / NEO4J_PASSWORD), else a local server on
port 17689 (see neo4j-local/). Exit code 1 if any check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from loadgen import ServerProcess, check, run_load
from run import wipe  # bench/run.py: empty a Neo4j database in batches

import provgraph

PASSWORD = "load-test-" + secrets.token_hex(8)


def neo4j_target(port: int) -> tuple[str, dict[str, str], Any]:
    """URI, environment for the server, and the local server (None for an explicit URI)."""
    explicit = os.environ.get("PROVGRAPH_BENCH_NEO4J_URI")
    if explicit:
        env = {k: os.environ[k] for k in ("NEO4J_USER", "NEO4J_PASSWORD") if k in os.environ}
        return explicit, env, None
    from provgraph.neo4j_local import LocalNeo4j

    server = LocalNeo4j(port=port, heap="2g", page_cache_mb=512, password=PASSWORD)
    server.start()
    # Writes retry for 30 s while Neo4j is unreachable (the driver's default), then 503.
    return server.uri, {"NEO4J_USER": "neo4j", "NEO4J_PASSWORD": PASSWORD}, server


def one_backend(name: str, uri: str, env: dict[str, str], args: argparse.Namespace,
                folder: Path, neo: Any = None) -> list[dict[str, Any]]:
    """Every load and fault run on one store, each on an empty store (with ``--keep-data``,
    on what the runs before it wrote)."""
    rows = []
    token = secrets.token_urlsafe(24)
    modes = ["steady", "server SIGKILLed mid-run", "two server processes, one store"]
    modes.append("SQLite file held by another writer for 3 s" if name == "SQLite"
                 else "Neo4j SIGKILLed mid-run, back after 3 s")
    if name == "Neo4j" and neo is None:
        modes.pop()  # an explicit server is not ours to kill
    warmup = args.warmup if args.warmup is not None else (10.0 if name == "SQLite" else 300.0)
    if warmup:
        modes.insert(0, "warm-up")
    for number, mode in enumerate(modes):
        logs = [folder / f"{name}-{number}-{k}.log" for k in range(2)]
        servers = [ServerProcess(uri, args.port + k, token, str(log), env, args.workers)
                   for k, log in enumerate(logs[:2 if mode.startswith("two") else 1])]
        graph = provgraph.connect(uri, **({"password": env["NEO4J_PASSWORD"]}
                                          if "NEO4J_PASSWORD" in env else {}))
        if name == "Neo4j" and (number == 0 or not args.keep_data):
            wipe(graph)
        for server in servers:
            server.start()
        try:
            seconds = warmup if mode == "warm-up" else args.seconds
            print(f"{name}: {mode}: {args.clients} clients for {seconds} s ...", flush=True)
            result = run_load([s.url for s in servers], token, clients=args.clients,
                              seconds=seconds,
                              during=_fault(mode, servers, uri, neo))
            outcome = check(graph, result)
        finally:
            for server in servers:
                server.stop()
            graph.close()
        text = "".join(log.read_text(errors="replace") for log in logs if log.exists())
        leaked = [what for what, secret in (("token", token),
                                            ("password", env.get("NEO4J_PASSWORD", "")))
                  if secret and secret in text]
        row = {"backend": name, "mode": mode, **result.summary(), **outcome.summary(),
               "runs_checked": sum(1 for kinds in result.runs.values() if len(kinds) == 2),
               "secrets_in_log": leaked}
        row["ok"] = outcome.ok and not leaked and result.unacked == 0
        print(json.dumps(row), flush=True)
        if mode != "warm-up":  # checked like any run, not reported
            rows.append(row)
        elif not row["ok"]:
            raise SystemExit(f"the warm-up run failed its checks: {row}")
        if name == "SQLite" and not args.keep_data:
            # The next run starts on a new store: the file, and the adjacency index beside
            # it (which names this store's chain, so the next store would rebuild it and
            # its verify would report the foreign file).
            path = Path(uri.removeprefix("sqlite:///"))
            for leftover in (path, path.with_name(path.name + ".index")):
                leftover.unlink(missing_ok=True)
    return rows


def _fault(mode: str, servers: list[ServerProcess], uri: str, neo: Any) -> Any:
    """What happens halfway through a run."""
    if mode.startswith("server SIGKILLed"):
        return servers[0].restart
    if mode.startswith("SQLite file held"):
        def hold() -> None:
            holder = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            time.sleep(3)
            holder.execute("COMMIT")
            holder.close()
        return hold
    if mode.startswith("Neo4j SIGKILLed"):
        def crash() -> None:
            neo.kill()
            time.sleep(3)
            neo.start()
        return crash
    return None


def hostile(name: str, uri: str, env: dict[str, str], args: argparse.Namespace,
            folder: Path) -> dict[str, Any]:
    """Random and mutated bodies to both ingest endpoints, one at a time: count the answers;
    a refused body must not move the hash chain."""
    token = secrets.token_urlsafe(24)
    server = ServerProcess(uri, args.port, token, str(folder / f"{name}-hostile.log"), env)
    graph = provgraph.connect(uri, **({"password": env["NEO4J_PASSWORD"]}
                                      if "NEO4J_PASSWORD" in env else {}))
    if name == "Neo4j":
        wipe(graph)
    server.start()
    statuses: Counter[int] = Counter()
    wrote_when_refused = 0
    rng = random.Random(7)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        for i in range(args.hostile):
            path, body = hostile_body(rng, i)
            before = graph.store.log.chain_at(2**62)
            connection.request("POST", path, body.encode("utf-8", "surrogatepass"),
                               {"Authorization": f"Bearer {token}",
                                                    "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
            if response.status >= 400 and graph.store.log.chain_at(2**62) != before:
                wrote_when_refused += 1
        problems = graph.verify().problems
    finally:
        server.stop()
        graph.close()
    return {"backend": name, "inputs": args.hostile, "statuses": dict(sorted(statuses.items())),
            "server_errors": sum(v for k, v in statuses.items() if k >= 500),
            "wrote_when_refused": wrote_when_refused, "verify": problems[:3]}


VALID_NATIVE = {"id": "h", "nodes": [{"id": "h:m", "kind": "entity", "type": "Model",
                                      "attributes": {"license": "mit"}}],
                "relations": [{"relation": "wasDerivedFrom", "from": "h:m", "to": "h:m"}]}
VALID_OL = {"eventType": "START", "eventTime": "2026-11-26T10:00:00Z", "producer": "x",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
            "run": {"runId": "0e6b2a9c-3d41-4c55-9a0f-7b1d2c3e4f50"},
            "job": {"namespace": "n", "name": "j"},
            "inputs": [{"namespace": "n", "name": "d"}], "outputs": []}
NASTY: list[Any] = [
    "", "'); MATCH (n) DETACH DELETE n //", "`", "}", "\u0000", "x" * 5000, "模型", None, True,
    -1, 2**70, 1e308, [], {}, [[[[[]]]]], {"$": "x"}]


def hostile_body(rng: random.Random, i: int) -> tuple[str, str]:
    """Mostly a valid body with one part replaced by something nasty; sometimes raw junk."""
    path = "/api/v1/events" if i % 2 else "/api/v1/lineage"
    roll = rng.random()
    if roll < 0.1:
        return path, rng.choice(["", "{", "[1,", "null", "\"x\"", "{\"a\":" * 100 + "1"
                                 + "}" * 100, "\udc00"])
    body = json.loads(json.dumps(VALID_NATIVE if i % 2 else VALID_OL))
    body["id" if i % 2 else "eventTime"] = f"{body.get('id', 'x')}-{i}" if i % 2 else \
        f"2026-11-26T10:{i // 60 % 60:02d}:{i % 60:02d}Z"
    if roll < 0.9:
        target: Any = body
        while isinstance(target, (dict, list)) and target and rng.random() < 0.7:
            key = rng.choice(list(target) if isinstance(target, dict) else range(len(target)))
            if isinstance(target[key], (dict, list)) and target[key]:
                target = target[key]
            else:
                break
        if isinstance(target, dict) and target:
            target[rng.choice(list(target))] = rng.choice(NASTY)
        elif isinstance(target, list) and target:
            target[rng.randrange(len(target))] = rng.choice(NASTY)
    return path, json.dumps(body)


def render(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the runs."""
    header = ["backend", "mode", "clients", "seconds", "acked events", "events/s",
              "p50 / p95 ms", "retried requests (why)", "lost", "duplicated",
              "OpenLineage runs raced / not merged", "verify", "secrets in log", "ok"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        why = ", ".join(f"{k}: {v}" for k, v in sorted(r["failures"].items())) or "—"
        lines.append("| " + " | ".join(str(x) for x in [
            r["backend"], r["mode"], r["clients"], r["seconds"], f"{r['acked_events']:,}",
            f"{r['events_per_s']:,.0f}", f"{r['p50_ms']} / {r['p95_ms']}",
            f"{r['retries']} ({why})", r["missing_events"] + r["unacked_at_end"],
            r["duplicated"], f"{r['runs_checked']} / {r['runs_incomplete']}",
            "intact" if not r["verify_problems"] else "; ".join(r["verify_problems"]),
            ", ".join(r["secrets_in_log"]) or "none", "yes" if r["ok"] else "NO"]) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run, print the tables, append them to --output if given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "neo4j", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--hostile", type=int, default=500, help="hostile bodies a backend")
    parser.add_argument("--port", type=int, default=18080, help="the servers' first port")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of unreported load first, on an empty store (default:"
                             " 10 on SQLite, 300 on Neo4j, whose fresh JVM compiles its hot"
                             " paths for minutes); 0 for none")
    parser.add_argument("--keep-data", action="store_true",
                        help="run each mode on the data the runs before it wrote (as a team's"
                        " server keeps its history) rather than on an emptied store; on Neo4j"
                        " emptying leaves its id generators scanning the deleted records")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes of each server (provgraph serve --workers)")
    parser.add_argument("--output", help="append the tables to this Markdown file")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    attacks: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            uri = f"sqlite:///{folder / 'load.sqlite'}"
            rows += one_backend("SQLite", uri, {}, args, folder)
            attacks.append(hostile("SQLite", uri, {}, args, folder))
        if args.backend in ("neo4j", "both"):
            uri, env, neo = neo4j_target(17689)
            try:
                rows += one_backend("Neo4j", uri, env, args, folder, neo)
                attacks.append(hostile("Neo4j", uri, env, args, folder))
            finally:
                if neo is not None:
                    neo.stop()
    table = render(rows) + "\n\n" + render_hostile(attacks)
    print(table)
    if args.output:
        stamp = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
        with open(args.output, "a") as out:
            out.write(f"\n## Load, faults and hostile input — {stamp} — `python bench/load.py "
                      f"{' '.join(sys.argv[1:])}`\n\n{table}\n")
    ok = all(r["ok"] for r in rows) and all(
        not a["server_errors"] and not a["wrote_when_refused"] and not a["verify"]
        for a in attacks)
    sys.exit(0 if ok else 1)


def render_hostile(attacks: list[dict[str, Any]]) -> str:
    """A Markdown table of the hostile-input runs."""
    lines = ["| backend | hostile bodies | answers (status: count) | 5xx | refused but wrote "
             "| verify |", "|---|---|---|---|---|---|"]
    for a in attacks:
        answers = ", ".join(f"{k}: {v}" for k, v in a["statuses"].items())
        lines.append(f"| {a['backend']} | {a['inputs']} | {answers} | {a['server_errors']} | "
                     f"{a['wrote_when_refused']} | {'; '.join(a['verify']) or 'intact'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
