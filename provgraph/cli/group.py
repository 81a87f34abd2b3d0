"""The ``provgraph`` command group, its shared options and its one output path.

Every command opens the graph, makes one library call and ends in :func:`emit` with the
requested format: JSON is the result's ``to_dict()``, other formats come from a renderer of
:mod:`provgraph.cli.render`. Exit codes: 0 ok, 1 error (one line on stderr, never a
traceback), 2 usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from provgraph import __version__
from provgraph.errors import ProvgraphError
from provgraph.graph import Graph, connect
from provgraph.store import default_path

F = TypeVar("F", bound=Callable[..., Any])


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
def open_graph(ctx: click.Context) -> Iterator[Graph]:
    """The graph the ``--uri`` option names, closed afterwards."""
    graph = connect(ctx.obj["uri"])
    try:
        yield graph
    finally:
        graph.close()


# -- shared options -------------------------------------------------------------------------

def node_argument(function: F) -> F:
    """The ``ID`` argument of a command about one node."""
    return click.argument("node_id", metavar="ID")(function)


def as_of_option(function: F) -> F:
    """``--as-of TIME``: answer with what was known then."""
    return click.option(
        "--as-of", "as_of", metavar="TIME",
        help="Answer with what was known then (ISO-8601, e.g. 2026-11-01T12:00Z).")(function)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    """``--format``: ``table`` (text) or ``json`` unless other choices are given."""
    return click.option("--format", "fmt", type=click.Choice(list(choices or ("table", "json"))),
                        default=default, show_default=True)


def output_option(function: F) -> F:
    """``-o FILE``: write to a file instead of stdout."""
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write to this file instead of stdout.")(function)


# -- the one output path ----------------------------------------------------------------------

def emit(fmt: str, data: Any, render: Callable[[], str] | None = None,
         output: Path | None = None, note: str = "",
         json_text: Callable[[], str] | None = None) -> None:
    """Print (or write to ``output``, then say so with ``note``) ``data`` as JSON when ``fmt``
    is ``json`` (the text ``json_text()`` writes, if given: the same JSON, for an answer that
    writes itself faster), else the text ``render()`` makes of it."""
    if fmt == "json" or render is None:
        text = json_text() if json_text else json.dumps(data, indent=2, ensure_ascii=False)
    else:
        text = render()
    if output is not None:
        output.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        click.echo(f"wrote {output}{note}")
    else:
        click.echo(text.rstrip("\n"))
