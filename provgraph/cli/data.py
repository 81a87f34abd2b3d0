"""Commands that move lineage: import, export, verify, redact."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provgraph.cli.group import as_of_option, emit, format_option, main, open_graph
from provgraph.cli.render import render_redaction, render_verify
from provgraph.formats.dvc import read_dvc
from provgraph.formats.hf_cards import read_card
from provgraph.formats.native import parse_native, read_native
from provgraph.formats.pictures import to_dot, to_mermaid
from provgraph.formats.prov_convert import FORMATS as PROV_FORMATS
from provgraph.formats.prov_convert import convert_prov
from provgraph.formats.prov_read import parse_document
from provgraph.ingest import IngestResult

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

IMPORT_FORMATS = ["native", "prov-json", "openlineage", "mlflow", "hf", "dvc"]
EXPORT_FORMATS = ["prov-json", *PROV_FORMATS, "cyclonedx", "dot", "mermaid"]
_OPENLINEAGE_BAR = 200  # events in a file from which an OpenLineage import shows a bar


#: The FILE that stands for standard input.
STDIN = Path("-")


def _stdin() -> str:
    """Standard input, whole, as text (an import is validated whole before it writes)."""
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as e:
        raise click.ClickException(f"-: cannot read standard input: {e}") from e


def _written(result: IngestResult) -> str:
    return (f"{result.node_versions} node and {result.relation_versions} relation versions"
            f" written ({result.skipped_events} already imported)")


def _progress(label: str, total: int, hidden: bool) -> ProgressBar[int]:
    """A progress bar on stderr for a long import (never when stderr is not a terminal)."""
    return click.progressbar(length=total, label=label, file=sys.stderr,
                             hidden=hidden or not sys.stderr.isatty())


class _LateBar:
    """A progress bar whose length is known only once the work has begun (the chunks of a
    PROV document, counted after it is read)."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.quiet = label, quiet
        self.bar: ProgressBar[int] | None = None

    def start(self, total: int) -> None:
        """Show the bar (for five steps or more, on a terminal, unless quiet)."""
        self.bar = _progress(self.label, total, self.quiet or total < 5)
        self.bar.__enter__()

    def update(self, steps: int) -> None:
        """Advance the bar by ``steps``."""
        if self.bar is not None:
            self.bar.update(steps)

    def close(self) -> None:
        """Finish the bar's line, if it was shown."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, allow_dash=True,
                                                   path_type=Path))
@click.option("--format", "fmt", type=click.Choice(IMPORT_FORMATS), default="native",
              show_default=True,
              help="What the files hold (openlineage: Run/Job/DatasetEvents, JSON or JSON"
              " Lines; hf: a model card README.md; dvc: a dvc.lock or a DVC project"
              " directory; mlflow: no files, read --tracking-uri).")
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
    """Import lineage events from FILES (JSON, a JSON list, or JSON Lines; - reads
    standard input, for native, OpenLineage and PROV-JSON).

    Every file is validated whole before anything is written: a bad event is named with its
    field and nothing of its file is stored. Events already imported are skipped, so an
    interrupted import can simply be run again.
    """
    if fmt == "mlflow":
        if not tracking_uri or files:
            raise click.UsageError("--format mlflow reads --tracking-uri URI, not files")
        with open_graph(ctx) as graph:
            result = graph.import_mlflow(tracking_uri)
        click.echo(f"{tracking_uri}: {result.events} MLflow records imported,"
                   f" {result.skipped_events} already present")
        return
    if not files:
        raise click.UsageError("give at least one FILE to import")
    if fmt in ("dvc", "hf") and STDIN in files:
        raise click.UsageError(f"- (standard input) is read as native, OpenLineage or"
                               f" PROV-JSON, not --format {fmt}")
    if fmt == "dvc":
        projects = [read_dvc(path) for path in files]  # all validated before any write
        with open_graph(ctx) as graph:
            for path, project in zip(files, projects, strict=True):
                result = graph.ingest(project.events)
                at = f" at git commit {project.commit[:12]}" if project.commit else ""
                click.echo(f"{path}: {project.stages} DVC stages and {project.tracked} .dvc"
                           f" files{at}: {_written(result)}")
        return
    if directories := [str(p) for p in files if p.is_dir()]:
        raise click.UsageError(f"{', '.join(directories)}: a directory (only --format dvc"
                               " reads a project directory)")
    if fmt == "hf":
        if repo_id and len(files) > 1:
            raise click.UsageError("--repo-id applies to a single card; with several cards"
                                   " each repository is read from its Hub cache path")
        cards = [read_card(path, repo_id) for path in files]
        with open_graph(ctx) as graph:
            result = graph.import_hf_cards(cards)
        for card in cards:
            at = f" at revision {card.revision}" if card.revision else ""
            click.echo(f"model card of {card.repo_id}{at} imported")
        click.echo(f"{len(cards)} cards: {_written(result)}")
        return
    with open_graph(ctx) as graph:
        for path in files:
            text = _stdin() if path == STDIN else None
            if fmt == "prov-json":
                late = _LateBar(f"importing {path.name}", quiet)
                try:
                    result = graph.import_prov(
                        path if text is None else parse_document(text),
                        progress=late.update, chunks=late.start)
                finally:
                    late.close()
                click.echo(f"{path}: {_written(result)}")
                continue
            events = read_native(path) if text is None else parse_native(text, "-")
            if fmt == "openlineage":
                # One transaction an event (a run's halves merge), so a bar from a few
                # hundred events on.
                with _progress(f"importing {path.name}", len(events),
                               quiet or len(events) < _OPENLINEAGE_BAR) as bar:
                    result = graph.ingest_openlineage(events, progress=bar.update)
                click.echo(f"{path}: {result.events} OpenLineage events imported,"
                           f" {result.skipped_events} already present")
                continue
            with _progress(f"importing {path.name}", len(events), quiet
                           or len(events) < 5 * batch_size) as bar:
                result = graph.ingest(events, batch_size=batch_size, progress=bar.update)
            click.echo(
                f"{path}: {result.events} events imported, {result.skipped_events} already"
                f" present; {result.node_versions} node and {result.relation_versions}"
                " relation versions written"
            )


@main.command()
@click.argument("node_id", metavar="[ID]", required=False)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="prov-json",
              show_default=True,
              help="PROV-JSON; PROV-N, PROV-XML, PROV-O Turtle (through the prov library, extra"
              " 'prov'); cyclonedx: a CycloneDX 1.6 ML-BOM of model ID (extra 'cyclonedx');"
              " dot / mermaid pictures of ID's lineage.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout.")
@click.option("--impact", "downstream", is_flag=True,
              help="Draw (dot / mermaid) what depends on ID instead of its ancestry.")
@as_of_option
@click.pass_context
def export(ctx: click.Context, node_id: str | None, fmt: str, output: Path | None,
           downstream: bool, as_of: str | None) -> None:
    """Export ID's ancestry (or the whole graph) as W3C PROV, with provgraph's meanings in
    the pg namespace (https://w3id.org/provgraph/ns#), or draw it as DOT or Mermaid."""
    with open_graph(ctx) as graph:
        if fmt in ("dot", "mermaid"):
            if node_id is None:
                raise click.UsageError("dot and mermaid draw one lineage: give an ID")
            walk = graph.impact if downstream else graph.ancestry
            lineage = walk(node_id, as_of=as_of, include_agents=True)
            root = graph.node(node_id, as_of=as_of)
            text = (to_dot if fmt == "dot" else to_mermaid)(lineage, root.kind, root.type)
        elif fmt == "cyclonedx":
            if node_id is None:
                raise click.UsageError("a CycloneDX ML-BOM describes one model: give an ID")
            text = graph.export_cyclonedx(node_id, as_of=as_of)
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
    emit(fmt, None, lambda: text, output)


@main.command()
@click.option("--head", metavar="SEQ:HASH",
              help="A chain head printed by an earlier verify (or found in an export's "
              "pgchain prefix): the chain must still contain exactly that entry.")
@click.option("--export", "export_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), metavar="FILE",
              help="Also check a PROV-JSON file or CycloneDX BOM exported by provgraph was not"
              " edited: it must equal what this (verified) store exports at the chain head"
              " the file declares.")
@format_option()
@click.pass_context
def verify(ctx: click.Context, head: str | None, export_file: Path | None, fmt: str) -> None:
    """Check the store against its tamper-evident hash chain.

    Re-derives every batch's rows from the chain and names each node, relation or event
    changed, added or removed outside provgraph (e.g. by SQL or Cypher), and any edited or
    missing chain entry. Keep the printed head somewhere else: the chain lives in the store
    it protects. Exit code 0: intact; 1: something was changed (or an error).
    """
    with open_graph(ctx) as graph:
        report = graph.verify(head)
        if export_file is not None:
            report.problems.extend(p for p in graph.verify_export(export_file)
                                   if p not in report.problems)
    emit(fmt, report.to_json(), lambda: render_verify(report))
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
@format_option()
@click.pass_context
def redact(ctx: click.Context, node_ids: tuple[str, ...], attributes: tuple[str, ...],
           salt_env: str | None, reason: str | None, fmt: str) -> None:
    """Erase personal data: replace attribute values of ID... by salted hashes in every
    recorded version, as its own event; the graph's shape and the hash chain stay intact."""
    salt = None
    if salt_env is not None:
        if not os.environ.get(salt_env):
            raise click.UsageError(f"--salt-env {salt_env}: that variable is not set")
        salt = os.environ[salt_env].encode("utf-8")
    with open_graph(ctx) as graph:
        result = graph.redact(node_ids, attributes, salt=salt, reason=reason)
    emit(fmt, result.to_dict(), lambda: render_redaction(result))
