"""Commands that run things: the demo, the HTTP server, a local Neo4j."""

from __future__ import annotations

import re
import sys
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import click

from provgraph.cli.group import main, open_graph
from provgraph.cli.render import render_lineage
from provgraph.demo import demo_events
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
        click.echo("Browse it: provgraph ui S1-int8   (or provgraph serve, then open"
                   " http://127.0.0.1:8000/)")


_host = click.option("--host", default="127.0.0.1", show_default=True,
                     help="Interface to bind (loopback unless told otherwise).")
_http_port = click.option("--port", default=8000, show_default=True,
                          type=click.IntRange(1, 65535))
_token = click.option("--token", envvar="PROVGRAPH_TOKEN", metavar="T",
                      help="Bearer token every request must carry (default $PROVGRAPH_TOKEN).")
_read_token = click.option("--read-token", envvar="PROVGRAPH_READ_TOKEN", metavar="T",
                           help="An optional second token that may only read (queries,"
                                " export, the explorer).")


def _explorer_url(host: str, port: int, node: str | None = None,
                  token: str | None = None) -> str:
    """The explorer page's address; a token goes in the fragment, which browsers never send
    to the server."""
    from provgraph.server import reachable_host

    query = f"?{urlencode({'id': node})}" if node else ""
    return (f"http://{reachable_host(host)}:{port}/{query}"
            + (f"#token={quote(token)}" if token else ""))


@main.command()
@_host
@_http_port
@_token
@_read_token
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes on the port, each with its own connection to the"
                   " store (use about one a core; a worker that dies is replaced).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, token: str | None,
          read_token: str | None, workers: int) -> None:
    """Serve the HTTP API and the lineage explorer: OpenLineage-compatible POST
    /api/v1/lineage, native ingest, the queries (OpenAPI schema at /openapi.json) and, at
    /, a page to browse the graph."""
    from provgraph.server import serve as run
    from provgraph.server import serve_workers

    if not token:
        click.echo("warning: no --token given; anyone who can reach the port can write",
                   err=True)
    click.echo(f"Lineage explorer: {_explorer_url(host, port)}"
               + ("  (it asks for a token)" if token or read_token else ""))
    with open_graph(ctx) as graph:
        if workers == 1:
            run(graph, host, port, token, read_token)
            return
    # The store answered (and any upgrade is done) before the workers start.
    serve_workers(ctx.obj["uri"] or "", host, port, token, read_token, workers)


@main.command()
@click.argument("node", required=False)
@_host
@_http_port
@_token
@_read_token
@click.option("--no-browser", is_flag=True, help="Print the address instead of opening it.")
@click.pass_context
def ui(ctx: click.Context, node: str | None, host: str, port: int, token: str | None,
       read_token: str | None, no_browser: bool) -> None:
    """Open the lineage explorer (on NODE, if given) in a browser: on the server already
    answering at --host/--port, else on one started here until Ctrl-C. The read token (or
    the token) is handed to the page in the address's fragment."""
    from provgraph.server import answers, create_app

    url = _explorer_url(host, port, node, read_token or token)
    if answers(host, port):
        click.echo(f"provgraph serve already answers at {host}:{port}: {url}")
        if not no_browser:
            webbrowser.open(url)
        return
    import uvicorn

    with open_graph(ctx) as graph:
        server = uvicorn.Server(uvicorn.Config(create_app(graph, token, read_token),
                                               host=host, port=port, log_level="warning"))
        opener = threading.Thread(target=_open_when_up, daemon=True,
                                  args=(server, url, no_browser))
        opener.start()
        server.run()


def _open_when_up(server: Any, url: str, no_browser: bool) -> None:
    """Wait for ``server`` to listen, then print ``url`` and open it."""
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.started:
        click.echo(f"Lineage explorer: {url}  (Ctrl-C stops it)")
        if not no_browser:
            webbrowser.open(url)


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
@click.option("--heap", default="1g", show_default=True, metavar="SIZE",
              help="Java heap (e.g. 4g). Neo4j lets one transaction use 70% of it, and a"
              " graph of millions of nodes answers faster with more.")
@click.option("--page-cache", "page_cache_mb", default=128, show_default=True, metavar="MIB",
              type=click.IntRange(16), help="Page cache in MiB: how much of the store stays"
              " in memory (give it about the store's size on disk when it fits).")
def neo4j_start(port: int, home: Path | None, password: str | None, heap: str,
                page_cache_mb: int) -> None:
    """Build (first time) and start Neo4j; return once Bolt answers."""
    if not re.fullmatch(r"[1-9][0-9]*[mMgG]", heap):
        raise click.BadParameter(f"{heap!r}: a size such as 512m or 4g", param_hint="--heap")
    server = _local(port, home, password)
    server.heap, server.page_cache_mb = heap, page_cache_mb
    click.echo(server.start())


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
