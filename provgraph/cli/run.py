"""Commands that run things: the demo, the HTTP server, a local Neo4j."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provgraph.cli.group import main, open_graph
from provgraph.cli.render import render_lineage
from provgraph.demo import demo_events
from provgraph.errors import ProvgraphError
from provgraph.neo4j_local import LocalNeo4j


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load a sample model lineage and show what provgraph answers about it."""
    with open_graph(ctx) as graph:
        result = graph.ingest(demo_events())
        click.echo(f"Loaded the demo lineage into {graph.uri}"
                   f" ({result.events} new events, {result.skipped_events} already there).")
        click.echo("")
        click.echo("How was the quantized student model S1-int8 made?")
        click.echo(render_lineage(graph.ancestry("S1-int8"), "ancestry"))
        click.echo("")
        click.echo("Shard s1 turned out to hold personal data. What is affected?")
        click.echo(render_lineage(graph.impact("s1"), "impact"))
        click.echo("")
        click.echo("The foundation model's license changed. Which models, deployments and"
                   " systems rest on it?")
        click.echo(render_lineage(graph.impact("model:foundation-7b"), "impact"))
        click.echo("")
        click.echo("Which data shards, base models and code does S1-int8 rest on?")
        for witness in graph.why("S1-int8").witnesses:
            click.echo(f"  witness: {{{', '.join(witness)}}}  (s2 was dropped: in no witness)")
        click.echo("")
        click.echo("Where did S1-int8's tokenizer come from?")
        chain = graph.where("S1-int8", "tokenizer").chain
        click.echo("  " + " <- ".join(f"{c['node']} ({c['value']})" for c in chain))
        click.echo("")
        click.echo("Is the deployed model model:acme-1b-int8 audit-ready?")
        click.echo(graph.audit("model:acme-1b-int8").to_markdown().rstrip())
        click.echo("")
        click.echo("Try: provgraph reproduce S1-int8   provgraph diff model:acme-7b-code"
                   " model:acme-7b-med   provgraph show M1")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind (loopback unless told otherwise).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--token", envvar="PROVGRAPH_TOKEN", metavar="T",
              help="Bearer token every request must carry (default $PROVGRAPH_TOKEN).")
@click.option("--read-token", envvar="PROVGRAPH_READ_TOKEN", metavar="T",
              help="An optional second token that may only read (queries, export).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, token: str | None,
          read_token: str | None) -> None:
    """Serve the HTTP API: OpenLineage-compatible POST /api/v1/lineage, native ingest and
    the queries (OpenAPI schema at /openapi.json)."""
    try:
        from provgraph.server import serve as run
    except ImportError as e:
        raise ProvgraphError(
            "the server needs its extra: pip install 'provgraph[server]'") from e
    if not token:
        click.echo("warning: no --token given; anyone who can reach the port can write",
                   err=True)
    with open_graph(ctx) as graph:
        run(graph, host, port, token, read_token)


@main.group()
def neo4j() -> None:
    """Run a real Neo4j 5.26 locally without Docker (built from Maven Central)."""


def _local(port: int, home: Path | None, password: str | None = None) -> LocalNeo4j:
    return LocalNeo4j(port=port, home=home, password=password)


_port = click.option("--port", default=7687, show_default=True, help="Bolt port on 127.0.0.1.")
_home = click.option("--home", type=click.Path(file_okay=False, path_type=Path),
                     help="Data and log directory (default: neo4j-local/target/run-PORT in a"
                     " checkout, ~/.local/share/provgraph/neo4j-PORT when installed).")


@neo4j.command("start")
@_port
@_home
@click.option("--password", envvar="NEO4J_PASSWORD", metavar="P",
              help="Turn authentication on, user neo4j with this password (default: off).")
def neo4j_start(port: int, home: Path | None, password: str | None) -> None:
    """Build (first time) and start Neo4j; return once Bolt answers."""
    click.echo(_local(port, home, password).start())


@neo4j.command("stop")
@_port
@_home
def neo4j_stop(port: int, home: Path | None) -> None:
    """Stop the local Neo4j cleanly."""
    click.echo("stopped" if _local(port, home).stop() else "not running")


@neo4j.command("status")
@_port
@_home
def neo4j_status(port: int, home: Path | None) -> None:
    """Say whether the local Neo4j runs and answers on Bolt (exit 1 if not)."""
    server = _local(port, home)
    pid = server.pid()
    if pid is not None and server.answers():
        click.echo(f"running (pid {pid}) at {server.uri}")
    else:
        click.echo("not running")
        sys.exit(1)
