"""Load and fault figures for ``provgraph serve`` on each backend (loopback only, bounded).

For each backend: a steady run (clients send native batches and racing OpenLineage
START/COMPLETE pairs for a fixed time), then a run during which the server is killed with
SIGKILL and restarted while clients keep retrying. After each run the store is read directly:
every acknowledged event must be there exactly once, every run whose START and COMPLETE were
both acknowledged must hold both, and ``verify`` must find the hash chain intact. The server's
log is searched for the bearer token and the Neo4j password (they must never appear).

    python bench/load.py                      # both backends, 8 clients, 20 s a run
    python bench/load.py --backend sqlite --seconds 5

Neo4j: $PROVGRAPH_BENCH_NEO4J_URI (+ NEO4J_USER / NEO4J_PASSWORD), else a local server on
port 17689 (see neo4j-local/). Exit code 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import provgraph
from provgraph.loadgen import ServerProcess, check, run_load

PASSWORD = "load-test-" + secrets.token_hex(8)


def neo4j_target(port: int) -> tuple[str, dict[str, str], Any]:
    """URI, environment for the server, and a stop function."""
    explicit = os.environ.get("PROVGRAPH_BENCH_NEO4J_URI")
    if explicit:
        env = {k: os.environ[k] for k in ("NEO4J_USER", "NEO4J_PASSWORD") if k in os.environ}
        return explicit, env, lambda: None
    from provgraph.neo4j_local import LocalNeo4j

    server = LocalNeo4j(port=port, heap="2g", page_cache_mb=512, password=PASSWORD)
    server.start()
    return server.uri, {"NEO4J_USER": "neo4j", "NEO4J_PASSWORD": PASSWORD}, server.stop


def one_backend(name: str, uri: str, env: dict[str, str], args: argparse.Namespace,
                folder: Path) -> list[dict[str, Any]]:
    """The steady and the kill run on one store."""
    rows = []
    token = secrets.token_urlsafe(24)
    for mode in ("steady", "SIGKILL mid-run"):
        log = folder / f"{name}-{mode.split()[0]}.log"
        server = ServerProcess(uri, args.port, token, str(log), env)
        server.start()
        graph = provgraph.connect(uri, **({"password": env["NEO4J_PASSWORD"]}
                                          if "NEO4J_PASSWORD" in env else {}))
        try:
            if name == "Neo4j":
                wipe(graph)
            during = server.restart if mode != "steady" else None
            print(f"{name}: {mode}: {args.clients} clients for {args.seconds} s ...",
                  flush=True)
            result = run_load(server.url, token, clients=args.clients, seconds=args.seconds,
                              during=during)
            outcome = check(graph, result)
        finally:
            server.stop()
            graph.close()
        text = log.read_text(errors="replace")
        leaked = [what for what, secret in (("token", token),
                                            ("password", env.get("NEO4J_PASSWORD", "")))
                  if secret and secret in text]
        row = {"backend": name, "mode": mode, **result.summary(), **outcome.summary(),
               "secrets_in_log": leaked}
        row["ok"] = outcome.ok and not leaked and result.unacked == 0
        print(json.dumps(row), flush=True)
        rows.append(row)
        if name == "SQLite":
            Path(uri.removeprefix("sqlite:///")).unlink()
    return rows


def wipe(graph: provgraph.Graph) -> None:
    """Empty the Neo4j database between runs."""
    store: Any = graph.store
    with store._driver.session(database=store.database) as session:
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS"
                    ).consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()


def render(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the runs."""
    header = ["backend", "mode", "clients", "seconds", "acked events", "events/s",
              "p50 / p95 ms", "retried requests (why)", "lost", "duplicated",
              "runs not merged", "verify", "secrets in log", "ok"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        why = ", ".join(f"{k}: {v}" for k, v in sorted(r["failures"].items())) or "—"
        lines.append("| " + " | ".join(str(x) for x in [
            r["backend"], r["mode"], r["clients"], r["seconds"], f"{r['acked_events']:,}",
            f"{r['events_per_s']:,.0f}", f"{r['p50_ms']} / {r['p95_ms']}",
            f"{r['retries']} ({why})", r["missing_events"] + r["unacked_at_end"],
            r["duplicated"], r["runs_incomplete"],
            "intact" if not r["verify_problems"] else "; ".join(r["verify_problems"]),
            ", ".join(r["secrets_in_log"]) or "none", "yes" if r["ok"] else "NO"]) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run, print the table, append it to --output if given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "neo4j", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=18080, help="the server's port")
    parser.add_argument("--output", help="append the table to this Markdown file")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            rows += one_backend("SQLite", f"sqlite:///{folder / 'load.sqlite'}", {}, args,
                                folder)
        if args.backend in ("neo4j", "both"):
            uri, env, stop = neo4j_target(17689)
            try:
                rows += one_backend("Neo4j", uri, env, args, folder)
            finally:
                stop()
    table = render(rows)
    print(table)
    if args.output:
        stamp = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
        with open(args.output, "a") as out:
            out.write(f"\n## Load and faults — {stamp} — `python bench/load.py "
                      f"{' '.join(sys.argv[1:])}`\n\n{table}\n")
    sys.exit(0 if all(r["ok"] for r in rows) else 1)


if __name__ == "__main__":
    main()
