"""The ``provgraph`` command: a thin layer over :mod:`provgraph.graph`.

Each command opens the graph and makes one library call. Exit codes: 0 ok, 1 error (one line
on stderr, never a traceback), 2 usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from provgraph import __version__
from provgraph.errors import ProvgraphError
from provgraph.formats.hf_cards import read_card
from provgraph.formats.native import read_native
from provgraph.formats.pictures import to_dot, to_mermaid
from provgraph.formats.prov_convert import convert_prov
from provgraph.graph import Graph, connect
from provgraph.queries.lineage import Lineage
from provgraph.store import default_path

FORMATS = click.Choice(["table", "json"])


class _Group(click.Group):
    """Turns every provgraph error into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ProvgraphError as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # Output piped into `head` and closed: not an error worth a message.
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            sys.exit(1)
        except Exception as e:  # noqa: BLE001 - the CLI promises no tracebacks
            click.echo(f"Error: unexpected {type(e).__name__}: {e}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--uri", envvar="PROVGRAPH_URI", metavar="URI",
    help="Store: a file path or sqlite:///path (embedded), or bolt:// / neo4j:// / neo4j+s://"
    f" (Neo4j). Default: $PROVGRAPH_URI, else {default_path()}",
)
@click.version_option(__version__, prog_name="provgraph")
@click.pass_context
def main(ctx: click.Context, uri: str | None) -> None:
    """provgraph: how exactly was this model made? Model lineage as a W3C PROV graph.

    Record lineage with the Python API or import it, then ask for a model's ancestry or the
    impact of a dataset, shard, base model or code commit.
    """
    ctx.obj = {"uri": uri}


@contextmanager
def _graph(ctx: click.Context) -> Iterator[Graph]:
    graph = connect(ctx.obj["uri"])
    try:
        yield graph
    finally:
        graph.close()


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(x).ljust(w) for x, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def render_lineage(result: Lineage, title: str) -> str:
    """A lineage answer as a readable table."""
    rows = [
        [str(n.depth), n.id, n.kind or "?", n.type or "", "opaque" if n.opaque else ""]
        for n in result.nodes
    ]
    out = [f"{title} of {result.root}: {len(result.nodes)} nodes, {len(result.edges)} edges"]
    if rows:
        out.append(_table(rows, ["depth", "id", "kind", "type", "opaque"]))
    if result.opaque:
        out.append(
            "opaque (lineage beyond these is unknown, not empty): " + ", ".join(result.opaque)
        )
    if result.direction == "up":
        for type_name, ids in result.summary().items():
            out.append(f"affected {type_name}: {', '.join(ids)}")
    return "\n".join(out)


def _lineage_command(name: str, title: str, helptext: str) -> None:
    @main.command(name, help=helptext)
    @click.argument("node_id", metavar="ID")
    @click.option("--depth", type=click.IntRange(min=0), help="Stop after this many hops.")
    @click.option("--as-of", "as_of", metavar="TIME",
                  help="Answer with what was known then (ISO-8601, e.g. 2026-11-01T12:00Z).")
    @click.option("--include-agents", is_flag=True,
                  help="Also follow who was responsible (associations, attributions).")
    @click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
    @click.pass_context
    def command(ctx: click.Context, node_id: str, depth: int | None, as_of: str | None,
                include_agents: bool, fmt: str) -> None:
        with _graph(ctx) as graph:
            query = graph.ancestry if name == "ancestry" else graph.impact
            result = query(node_id, depth=depth, as_of=as_of, include_agents=include_agents)
        if fmt == "json":
            _emit(result.to_dict())
        else:
            click.echo(render_lineage(result, title))


_lineage_command(
    "ancestry", "ancestry",
    "Everything ID depends on: data, base models, code, runs (stops at opaque nodes).",
)
_lineage_command(
    "impact", "impact",
    "Everything that depends on ID: the models, deployments and systems affected if it is bad.",
)


_as_of = click.option("--as-of", "as_of", metavar="TIME",
                      help="Answer with what was known then (ISO-8601).")
_format = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)


@main.command()
@click.argument("node_id", metavar="ID")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1),
              help="At most this many witnesses (the answer says if it was truncated).")
@click.option("--explain", is_flag=True, help="Show a path from ID to each source.")
@click.option("--check", "checks", multiple=True, metavar="SOURCE",
              help="Does ID rest on SOURCE (a record, shard, model)? every / some / none."
              " Repeatable.")
@_as_of
@_format
@click.pass_context
def why(ctx: click.Context, node_id: str, limit: int, explain: bool, checks: tuple[str, ...],
        as_of: str | None, fmt: str) -> None:
    """Why-provenance: the minimal sets of sources (data shards, base models, code) ID rests
    on. Each line is one witness: ID can be derived from those sources alone."""
    with _graph(ctx) as graph:
        result = graph.why(node_id, limit=limit, as_of=as_of, explain=explain)
    data = result.to_dict()
    if checks:
        data["checks"] = result.membership(checks)
    if fmt == "json":
        _emit(data)
        return
    click.echo(f"why {node_id}: {len(result.witnesses)} minimal witness(es)"
               + (" (truncated)" if result.truncated else ""))
    for number, witness in enumerate(result.witnesses, start=1):
        click.echo(f"  {number}. {{{', '.join(witness)}}}")
        for source, path in (result.paths[number - 1].items() if result.paths else []):
            click.echo(f"       {source}: {' -> '.join(path)}")
    for source, answer in data.get("checks", {}).items():
        click.echo(f"  rests on {source}: {answer}")


@main.command()
@click.argument("node_id", metavar="ID")
@click.argument("attribute")
@_as_of
@_format
@click.pass_context
def where(ctx: click.Context, node_id: str, attribute: str, as_of: str | None,
          fmt: str) -> None:
    """Where-provenance: where ID's ATTRIBUTE (tokenizer, license, ...) came from."""
    with _graph(ctx) as graph:
        result = graph.where(node_id, attribute, as_of=as_of)
    if fmt == "json":
        _emit(result.to_dict())
        return
    click.echo(" <- ".join(f"{c['node']}.{c['attribute']}={json.dumps(c['value'])}"
                           for c in result.chain))
    click.echo(f"origin: {result.origin}")
    for conflict in result.conflicts:
        click.echo(f"conflict at {conflict['node']}: {conflict['reason']}")


@main.command()
@click.argument("a")
@click.argument("b")
@_as_of
@_format
@click.pass_context
def diff(ctx: click.Context, a: str, b: str, as_of: str | None, fmt: str) -> None:
    """Compare how models A and B were made: data, base model, code, hyperparameters,
    environment, post-training steps, agents."""
    with _graph(ctx) as graph:
        result = graph.diff(a, b, as_of=as_of)
    if fmt == "json":
        _emit(result.to_dict())
        return
    rows = []
    for section, parts in result.sections.items():
        for key, (left, right) in parts["changed"].items():
            rows.append([section, key, json.dumps(left), json.dumps(right)])
        rows += [[section, k, json.dumps(v), "-"] for k, v in parts["only_a"].items()]
        rows += [[section, k, "-", json.dumps(v)] for k, v in parts["only_b"].items()]
    if not rows:
        click.echo(f"{a} and {b} were made the same way")
        return
    click.echo(_table(rows, ["section", "key", a, b]))


@main.command()
@click.argument("node_id", metavar="ID")
@_as_of
@_format
@click.pass_context
def reproduce(ctx: click.Context, node_id: str, as_of: str | None, fmt: str) -> None:
    """The plan to reproduce ID: its steps in order with exact inputs, parameters, code and
    environment, and what is missing that blocks a re-run."""
    with _graph(ctx) as graph:
        plan = graph.reproduce(node_id, as_of=as_of)
    if fmt == "json":
        _emit(plan.to_dict())
        return
    for number, step in enumerate(plan.steps, start=1):
        click.echo(f"{number}. {step.id} ({step.type or 'activity'})")
        for item in step.inputs:
            digest = f" {item.digest}" if item.digest else ""
            click.echo(f"     in  {item.id} [{item.role or '-'}]{digest}")
        for output in step.outputs:
            click.echo(f"     out {output}")
        if step.parameters:
            click.echo(f"     params {json.dumps(step.parameters, sort_keys=True)}")
    if plan.missing:
        click.echo("blocks reproduction:")
        for blocker in plan.missing:
            place = " ".join(x for x in (blocker["step"], blocker["node"]) if x)
            click.echo(f"  - {place}: {blocker['problem']}")
    else:
        click.echo("nothing missing: reproducible as recorded")


@main.command()
@click.argument("node_id", metavar="ID")
@_as_of
@click.option("--format", "fmt", type=click.Choice(["json", "markdown", "html"]),
              default="markdown", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@click.pass_context
def audit(ctx: click.Context, node_id: str, as_of: str | None, fmt: str,
          output: Path | None) -> None:
    """Completeness of ID's lineage against the audit checklist (data, base model, code,
    hyperparameters, environment, metrics, trigger, post-training, approval)."""
    with _graph(ctx) as graph:
        report = graph.audit(node_id, as_of=as_of)
    text = (json.dumps(report.to_dict(), indent=2) if fmt == "json"
            else report.to_html() if fmt == "html" else report.to_markdown())
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} (completeness {report.score}%)")
    else:
        click.echo(text.rstrip("\n"))


@main.command()
@click.argument("node_id", metavar="ID")
@click.option("--as-of", "as_of", metavar="TIME", help="Show the version valid then.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def show(ctx: click.Context, node_id: str, as_of: str | None, fmt: str) -> None:
    """Show one node: its attributes, relations and version history."""
    from provgraph.clock import to_iso

    with _graph(ctx) as graph:
        node = graph.node(node_id, as_of=as_of)
        relations = graph.relations(node_id, as_of=as_of)
        history = graph.history(node_id)
    data = {
        "id": node.id, "kind": node.kind, "type": node.type, "attributes": node.attributes,
        "opaque": node.opaque, "opaque_reason": node.opaque_reason,
        "started_at": node.started_at, "ended_at": node.ended_at, "version": node.version,
        "recorded_at": to_iso(node.recorded_at),
        "relations": [
            {"relation": r.relation, "from": r.source, "to": r.target, "role": r.role,
             **({"copies": r.copies} if r.copies else {}),
             **({"granularity": r.granularity} if r.granularity else {})}
            for r in relations
        ],
        "history": [
            {"version": v.version, "recorded_at": to_iso(v.recorded_at),
             "retracted": v.retracted}
            for v in history
        ],
    }
    if fmt == "json":
        _emit(data)
        return
    click.echo(f"{node.id}  ({node.kind}{', ' + node.type if node.type else ''})")
    if node.opaque:
        click.echo(f"  opaque: {node.opaque_reason or 'lineage beyond it is unknown'}")
    for key, value in sorted(node.attributes.items()):
        click.echo(f"  {key} = {json.dumps(value)}")
    if relations:
        click.echo("relations:")
        for r in relations:
            role = f" [{r.role}]" if r.role else ""
            click.echo(f"  {r.source} --{r.relation}{role}--> {r.target}")
    click.echo(f"versions: {len(history)} (this is v{node.version},"
               f" recorded {data['recorded_at']})")


@main.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt",
              type=click.Choice(["native", "prov-json", "openlineage", "mlflow", "hf"]),
              default="native", show_default=True,
              help="What the files hold (openlineage: RunEvents, JSON or JSON Lines; hf: a"
              " model card README.md; mlflow: no files, read --tracking-uri).")
@click.option("--repo-id", metavar="ORG/NAME",
              help="The Hub repository a single model card (--format hf) describes; by"
              " default read from its huggingface_hub cache path"
              " (models--ORG--NAME/snapshots/REV/README.md), with the revision.")
@click.option("--tracking-uri", metavar="URI",
              help="MLflow tracking store to import from (with --format mlflow).")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Events per transaction.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], fmt: str, tracking_uri: str | None,
            repo_id: str | None, batch_size: int, quiet: bool) -> None:
    """Import lineage events from FILES (JSON, a JSON list, or JSON Lines).

    Every file is validated whole before anything is written: a bad event is named with its
    field and nothing of its file is stored. Events already imported are skipped, so an
    interrupted import can simply be run again.
    """
    if fmt == "mlflow":
        if not tracking_uri or files:
            raise click.UsageError("--format mlflow reads --tracking-uri URI, not files")
        with _graph(ctx) as graph:
            result = graph.import_mlflow(tracking_uri)
        click.echo(f"{tracking_uri}: {result.events} MLflow records imported,"
                   f" {result.skipped_events} already present")
        return
    if not files:
        raise click.UsageError("give at least one FILE to import")
    if fmt == "hf":
        if repo_id and len(files) > 1:
            raise click.UsageError("--repo-id applies to a single card; with several cards"
                                   " each repository is read from its Hub cache path")
        cards = [read_card(path, repo_id) for path in files]
        with _graph(ctx) as graph:
            result = graph.import_hf_cards(cards)
        for card in cards:
            at = f" at revision {card.revision}" if card.revision else ""
            click.echo(f"model card of {card.repo_id}{at} imported")
        click.echo(f"{len(cards)} cards: {result.node_versions} node and"
                   f" {result.relation_versions} relation versions written"
                   f" ({result.skipped_events} already imported)")
        return
    with _graph(ctx) as graph:
        for path in files:
            if fmt == "prov-json":
                result = graph.import_prov(path)
                click.echo(f"{path}: {result.node_versions} node and"
                           f" {result.relation_versions} relation versions written"
                           f" ({result.skipped_events} already imported)")
                continue
            events = read_native(path)
            if fmt == "openlineage":
                result = graph.ingest_openlineage(events)
                click.echo(f"{path}: {result.events} OpenLineage events imported,"
                           f" {result.skipped_events} already present")
                continue
            show_bar = not quiet and len(events) >= 5 * batch_size and sys.stderr.isatty()
            with click.progressbar(length=len(events), label=f"importing {path.name}",
                                   file=sys.stderr, hidden=not show_bar) as bar:
                result = graph.ingest(events, batch_size=batch_size, progress=bar.update)
            click.echo(
                f"{path}: {result.events} events imported, {result.skipped_events} already"
                f" present; {result.node_versions} node and {result.relation_versions}"
                " relation versions written"
            )


EXPORT_FORMATS = ["prov-json", "provn", "provxml", "turtle", "dot", "mermaid"]


@main.command()
@click.argument("node_id", metavar="[ID]", required=False)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="prov-json",
              show_default=True,
              help="PROV-JSON; PROV-N, PROV-XML, PROV-O Turtle (through the prov library, extra"
              " 'prov'); dot / mermaid pictures of ID's lineage.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout.")
@click.option("--impact", "downstream", is_flag=True,
              help="Draw (dot / mermaid) what depends on ID instead of its ancestry.")
@_as_of
@click.pass_context
def export(ctx: click.Context, node_id: str | None, fmt: str, output: Path | None,
           downstream: bool, as_of: str | None) -> None:
    """Export ID's ancestry (or the whole graph) as W3C PROV, with provgraph's meanings in
    the pg namespace (https://w3id.org/provgraph/ns#), or draw it as DOT or Mermaid."""
    with _graph(ctx) as graph:
        if fmt in ("dot", "mermaid"):
            if node_id is None:
                raise click.UsageError("dot and mermaid draw one lineage: give an ID")

            walk = graph.impact if downstream else graph.ancestry
            lineage = walk(node_id, as_of=as_of, include_agents=True)
            root = graph.node(node_id, as_of=as_of)
            text = (to_dot if fmt == "dot" else to_mermaid)(lineage, root.kind, root.type)
        elif fmt == "prov-json" and output:
            # Streamed straight to the file: memory stays flat in the graph's size.
            with output.open("w", encoding="utf-8") as sink:
                graph.export_prov(node_id, as_of=as_of, out=sink)
            click.echo(f"wrote {output}")
            return
        else:
            text = graph.export_prov(node_id, as_of=as_of)
            if fmt != "prov-json":
                text = convert_prov(text, fmt)
    if output:
        output.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text.rstrip("\n"))


@main.command()
@click.option("--head", metavar="SEQ:HASH",
              help="A chain head printed by an earlier verify (or found in an export's "
              "pgchain prefix): the chain must still contain exactly that entry.")
@click.option("--export", "export_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), metavar="FILE",
              help="Also check a PROV-JSON file exported by provgraph was not edited: it must "
              "equal what this (verified) store exports at the chain head the file declares.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def verify(ctx: click.Context, head: str | None, export_file: Path | None, fmt: str) -> None:
    """Check the store against its tamper-evident hash chain.

    Re-derives every batch's rows from the chain and names each node, relation or event
    changed, added or removed outside provgraph (e.g. by SQL or Cypher), and any edited or
    missing chain entry. Keep the printed head somewhere else: the chain lives in the store
    it protects. Exit code 0: intact; 1: something was changed (or an error).
    """
    with _graph(ctx) as graph:
        report = graph.verify(head)
        if export_file is not None:
            report.problems.extend(p for p in graph.verify_export(export_file)
                                   if p not in report.problems)
    if fmt == "json":
        _emit(report.to_json())
    else:
        click.echo(f"chain: {report.entries} entries, head {report.head}")
        click.echo(f"rows checked: {report.rows} in {report.seconds:.2f} s")
        for problem in report.problems:
            click.echo(f"TAMPERED: {problem}")
        click.echo("OK: nothing changed outside provgraph" if report.ok
                   else f"FAILED: {len(report.problems)} problem(s)")
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("node_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--attribute", "-a", "attributes", multiple=True, required=True, metavar="NAME",
              help="An attribute to erase (repeat for several), e.g. -a email -a author.")
@click.option("--salt-env", metavar="VAR",
              help="Read the HMAC salt from this environment variable, so equal values keep "
              "equal hashes across redactions. Default: a random salt, forgotten at once.")
@click.option("--reason", help="Why (e.g. a GDPR request reference); recorded with the event.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def redact(ctx: click.Context, node_ids: tuple[str, ...], attributes: tuple[str, ...],
           salt_env: str | None, reason: str | None, fmt: str) -> None:
    """Erase personal data: replace attribute values of ID... by salted hashes in every
    recorded version, as its own event; the graph's shape and the hash chain stay intact."""
    import os

    salt = None
    if salt_env is not None:
        if not os.environ.get(salt_env):
            raise click.UsageError(f"--salt-env {salt_env}: that variable is not set")
        salt = os.environ[salt_env].encode("utf-8")
    with _graph(ctx) as graph:
        result = graph.redact(node_ids, attributes, salt=salt, reason=reason)
    if fmt == "json":
        _emit(result.to_dict())
    else:
        click.echo(f"redacted {', '.join(result.attributes)} in {result.versions} version(s) "
                   f"of {', '.join(result.nodes)} (event {result.event})")


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load a sample model lineage and show what provgraph answers about it."""
    from provgraph.demo import demo_events

    with _graph(ctx) as graph:
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
    with _graph(ctx) as graph:
        run(graph, host, port, token, read_token)


@main.group()
def neo4j() -> None:
    """Run a real Neo4j 5.26 locally without Docker (built from Maven Central)."""


def _local(port: int, home: Path | None, password: str | None = None) -> Any:
    from provgraph.neo4j_local import LocalNeo4j

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


if __name__ == "__main__":  # python -m provgraph.cli
    main()
