"""Commands that ask: ancestry, impact, why, where, takedown, license, diff, reproduce,
audit, show."""

from __future__ import annotations

from pathlib import Path

import click

from provgraph.cli.group import (
    as_of_option,
    emit,
    format_option,
    main,
    node_argument,
    open_graph,
    output_option,
)
from provgraph.cli.render import (
    render_diff,
    render_impact_summary,
    render_licenses,
    render_lineage,
    render_node,
    render_plan,
    render_takedown,
    render_where,
    render_why,
)
from provgraph.queries.lineage import blocks


def _lineage_command(name: str, helptext: str) -> None:
    @main.command(name, help=helptext)
    @node_argument
    @click.option("--depth", type=click.IntRange(min=0), help="Stop after this many hops.")
    @as_of_option
    @click.option("--include-agents", is_flag=True,
                  help="Also follow who was responsible (associations, attributions).")
    @click.option("--summary", is_flag=True, hidden=name != "impact",
                  help="Only counts by type and the affected models, deployments and systems,"
                  " computed in the database (fast on a hub with many dependents).")
    @format_option("table", "json", "jsonl")
    @click.pass_context
    def command(ctx: click.Context, node_id: str, depth: int | None, as_of: str | None,
                include_agents: bool, summary: bool, fmt: str) -> None:
        if summary and name != "impact":
            raise click.UsageError("--summary applies to impact")
        if summary and fmt == "jsonl":
            raise click.UsageError("--summary answers one record: use --format json")
        with open_graph(ctx) as graph:
            if summary:
                counted = graph.impact(node_id, depth=depth, as_of=as_of,
                                       include_agents=include_agents, summary=True)
                emit(fmt, counted.to_dict(), lambda: render_impact_summary(counted))
                return
            if fmt == "jsonl":
                # One record a line, printed as the store walks (the answer is never whole
                # in memory).
                lines = (graph.ancestry_lines if name == "ancestry" else graph.impact_lines)(
                    node_id, depth=depth, as_of=as_of, include_agents=include_agents)
                out = click.get_text_stream("stdout")
                for block in blocks(lines):
                    out.write(block)
                out.flush()
                return
            query = graph.ancestry if name == "ancestry" else graph.impact
            result = query(node_id, depth=depth, as_of=as_of, include_agents=include_agents)
        emit(fmt, None, lambda: render_lineage(result, name),
             json_text=lambda: result.to_json(indent=2))


_lineage_command(
    "ancestry",
    "Everything ID depends on: data, base models, code, runs (stops at opaque nodes).",
)
_lineage_command(
    "impact",
    "Everything that depends on ID: the models, deployments and systems affected if it is bad.",
)


@main.command()
@node_argument
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1),
              help="At most this many witnesses (the answer says if it was truncated).")
@click.option("--explain", is_flag=True, help="Show a path from ID to each source.")
@click.option("--check", "checks", multiple=True, metavar="SOURCE",
              help="Does ID rest on SOURCE (a record, shard, model)? every / some / none."
              " Repeatable.")
@as_of_option
@format_option()
@click.pass_context
def why(ctx: click.Context, node_id: str, limit: int, explain: bool, checks: tuple[str, ...],
        as_of: str | None, fmt: str) -> None:
    """Why-provenance: the minimal sets of sources (data shards, base models, code) ID rests
    on. Each line is one witness: ID can be derived from those sources alone."""
    with open_graph(ctx) as graph:
        result = graph.why(node_id, limit=limit, as_of=as_of, explain=explain)
    data = result.to_dict()
    if checks:
        data["checks"] = result.membership(checks)
    emit(fmt, data, lambda: render_why(result, data.get("checks", {})))


@main.command()
@click.argument("node_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1),
              help="At most this many witnesses per node.")
@click.option("--plan", is_flag=True,
              help="Add each must-retrain model's reproduction plan without the removed data.")
@as_of_option
@format_option("table", "json", "markdown")
@click.pass_context
def takedown(ctx: click.Context, node_ids: tuple[str, ...], limit: int, plan: bool,
             as_of: str | None, fmt: str) -> None:
    """What must be retrained if the data ID... (datasets, shards, members) is removed.

    Every node downstream is classified: must retrain (every minimal witness of its
    why-provenance contains removed data: the witnesses and a path to each removed item are
    the proof), unaffected (a witness avoids it: the alternative is named), or unknown (the
    dependence passes through an opaque node, or a dataset used as a whole lost a member).
    """
    with open_graph(ctx) as graph:
        result = graph.takedown(node_ids, as_of=as_of, limit=limit, plan=plan)
    emit(fmt, result.to_dict(), lambda: render_takedown(result, markdown=fmt == "markdown"))


@main.command("license")
@node_argument
@as_of_option
@format_option()
@click.pass_context
def license_(ctx: click.Context, node_id: str, as_of: str | None, fmt: str) -> None:
    """Which licences bind model ID and why (the path each arrived along), and where they
    conflict with the licence ID declares.

    Bases' weight licences pass through fine-tunes, adapters, quantizations and merges, a
    teacher's terms through a distillation, a dataset's licence to the models trained on it.
    Licences are SPDX expressions or model licences of the table (extend it with a JSON file
    named by $PROVGRAPH_LICENSES); any other string is refused, naming it.
    """
    with open_graph(ctx) as graph:
        result = graph.licenses(node_id, as_of=as_of)
    emit(fmt, result.to_dict(), lambda: render_licenses(result))


@main.command()
@node_argument
@click.argument("attribute")
@as_of_option
@format_option()
@click.pass_context
def where(ctx: click.Context, node_id: str, attribute: str, as_of: str | None,
          fmt: str) -> None:
    """Where-provenance: where ID's ATTRIBUTE (tokenizer, license, ...) came from."""
    with open_graph(ctx) as graph:
        result = graph.where(node_id, attribute, as_of=as_of)
    emit(fmt, result.to_dict(), lambda: render_where(result))


@main.command()
@click.argument("a")
@click.argument("b")
@as_of_option
@format_option()
@click.pass_context
def diff(ctx: click.Context, a: str, b: str, as_of: str | None, fmt: str) -> None:
    """Compare how models A and B were made: data, base model, code, hyperparameters,
    environment, post-training steps, agents."""
    with open_graph(ctx) as graph:
        result = graph.diff(a, b, as_of=as_of)
    emit(fmt, result.to_dict(), lambda: render_diff(result, a, b))


@main.command()
@node_argument
@as_of_option
@format_option()
@click.pass_context
def reproduce(ctx: click.Context, node_id: str, as_of: str | None, fmt: str) -> None:
    """The plan to reproduce ID: its steps in order with exact inputs, parameters, code and
    environment, and what is missing that blocks a re-run."""
    with open_graph(ctx) as graph:
        plan = graph.reproduce(node_id, as_of=as_of)
    emit(fmt, plan.to_dict(), lambda: render_plan(plan))


@main.command()
@node_argument
@as_of_option
@format_option("json", "markdown", "html", default="markdown")
@output_option
@click.pass_context
def audit(ctx: click.Context, node_id: str, as_of: str | None, fmt: str,
          output: Path | None) -> None:
    """Completeness of ID's lineage against the audit checklist (data, base model, code,
    hyperparameters, environment, metrics, trigger, post-training, approval)."""
    with open_graph(ctx) as graph:
        report = graph.audit(node_id, as_of=as_of)
    emit(fmt, report.to_dict(), report.to_html if fmt == "html" else report.to_markdown,
         output, f" (completeness {report.score}%)")


@main.command()
@node_argument
@click.option("--as-of", "as_of", metavar="TIME", help="Show the version valid then.")
@format_option()
@click.pass_context
def show(ctx: click.Context, node_id: str, as_of: str | None, fmt: str) -> None:
    """Show one node: its attributes, relations and version history."""
    with open_graph(ctx) as graph:
        data = graph.describe(node_id, as_of=as_of)
    emit(fmt, data, lambda: render_node(data))
