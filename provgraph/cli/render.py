"""Text renderings of query answers for the terminal (``--format table``); JSON output is each
result's ``to_dict()``, not rendered here."""

from __future__ import annotations

import json
from typing import Any

from provgraph.queries.diff import Diff
from provgraph.queries.licenses import Licenses
from provgraph.queries.lineage import ImpactSummary, Lineage
from provgraph.queries.reproduce import Plan
from provgraph.queries.takedown import Takedown
from provgraph.queries.where import Where
from provgraph.queries.why import Why
from provgraph.redact import Redaction
from provgraph.verify import VerifyReport


def table(rows: list[list[str]], header: list[str]) -> str:
    """Rows under a header and a rule, columns padded to their widest cell.

    >>> print(table([["1", "a"]], ["n", "id"]))
    n  id
    -  --
    1  a
    """
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(x).ljust(w) for x, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def render_lineage(result: Lineage, title: str) -> str:
    """An ancestry or impact answer as a table, with its opaque nodes and typed summary."""
    rows = [
        [str(n.depth), n.id, n.kind or "?", n.type or "", "opaque" if n.opaque else ""]
        for n in result.nodes
    ]
    out = [f"{title} of {result.root}: {len(result.nodes)} nodes, {len(result.edges)} edges"]
    if rows:
        out.append(table(rows, ["depth", "id", "kind", "type", "opaque"]))
    if result.opaque:
        out.append(
            "opaque (lineage beyond these is unknown, not empty): " + ", ".join(result.opaque)
        )
    if result.direction == "up":
        for type_name, ids in result.summary().items():
            out.append(f"affected {type_name}: {', '.join(ids)}")
    return "\n".join(out)


def render_impact_summary(result: ImpactSummary) -> str:
    """Counts by type of what depends on a node, then the affected ids by type."""
    out = [f"impact of {result.root}: {result.total} nodes depend on it"]
    if result.counts:
        out.append(table([[t, str(n)] for t, n in result.counts.items()], ["type", "count"]))
    out += [f"affected {t}: {', '.join(ids)}" for t, ids in result.affected.items()]
    return "\n".join(out)


def render_why(result: Why, checks: dict[str, str]) -> str:
    """Each minimal witness on a line (with paths when explained), then the checks asked."""
    out = [f"why {result.root}: {len(result.witnesses)} minimal witness(es)"
           + (" (truncated)" if result.truncated else "")]
    for number, witness in enumerate(result.witnesses, start=1):
        out.append(f"  {number}. {{{', '.join(witness)}}}")
        for source, path in (result.paths[number - 1].items() if result.paths else []):
            out.append(f"       {source}: {' -> '.join(path)}")
    out += [f"  rests on {source}: {answer}" for source, answer in checks.items()]
    return "\n".join(out)


def render_where(result: Where) -> str:
    """The copy chain of an attribute, its origin and any conflicts."""
    origin = result.origin or "none (the copies form a cycle)"
    out = [" <- ".join(f"{c['node']}.{c['attribute']}={json.dumps(c['value'])}"
                       for c in result.chain), f"origin: {origin}"]
    out += [f"conflict at {c['node']}: {c['reason']}" for c in result.conflicts]
    return "\n".join(out)


def render_diff(result: Diff, a: str, b: str) -> str:
    """What differs between two lineages, a row per key."""
    rows = []
    for section, parts in result.sections.items():
        for key, (left, right) in parts["changed"].items():
            rows.append([section, key, json.dumps(left), json.dumps(right)])
        rows += [[section, k, json.dumps(v), "-"] for k, v in parts["only_a"].items()]
        rows += [[section, k, "-", json.dumps(v)] for k, v in parts["only_b"].items()]
    if not rows:
        return f"{a} and {b} were made the same way"
    return table(rows, ["section", "key", a, b])


def render_plan(plan: Plan) -> str:
    """A reproduction plan: numbered steps with inputs, outputs, parameters; then blockers."""
    out = []
    for number, step in enumerate(plan.steps, start=1):
        out.append(f"{number}. {step.id} ({step.type or 'activity'})")
        for item in step.inputs:
            digest = f" {item.digest}" if item.digest else ""
            out.append(f"     in  {item.id} [{item.role or '-'}]{digest}")
        out += [f"     out {output}" for output in step.outputs]
        if step.parameters:
            out.append(f"     params {json.dumps(step.parameters, sort_keys=True)}")
    if plan.missing:
        out.append("blocks reproduction:")
        for blocker in plan.missing:
            place = " ".join(x for x in (blocker["step"], blocker["node"]) if x)
            out.append(f"  - {place}: {blocker['problem']}")
    else:
        out.append("nothing missing: reproducible as recorded")
    return "\n".join(out)


def render_node(data: dict[str, Any]) -> str:
    """One node as :func:`provgraph.queries.describe.describe` gives it."""
    out = [f"{data['id']}  ({data['kind']}{', ' + data['type'] if data['type'] else ''})"]
    if data["opaque"]:
        out.append(f"  opaque: {data['opaque_reason'] or 'lineage beyond it is unknown'}")
    out += [f"  {key} = {json.dumps(value)}" for key, value in sorted(data["attributes"].items())]
    if data["relations"]:
        out.append("relations:")
        for r in data["relations"]:
            role = f" [{r['role']}]" if r["role"] else ""
            out.append(f"  {r['from']} --{r['relation']}{role}--> {r['to']}")
    out.append(f"versions: {len(data['history'])} (this is v{data['version']},"
               f" recorded {data['recorded_at']})")
    return "\n".join(out)


def render_verify(report: VerifyReport) -> str:
    """The chain head, rows checked, each problem, and the verdict."""
    out = [f"chain: {report.entries} entries, head {report.head}",
           f"rows checked: {report.rows} in {report.seconds:.2f} s"]
    out += [f"TAMPERED: {problem}" for problem in report.problems]
    out.append("OK: nothing changed outside provgraph" if report.ok
               else f"FAILED: {len(report.problems)} problem(s)")
    return "\n".join(out)


def render_redaction(result: Redaction) -> str:
    """What a redaction rewrote."""
    return (f"redacted {', '.join(result.attributes)} in {result.versions} version(s) "
            f"of {', '.join(result.nodes)} (event {result.event})")


def render_takedown(result: Takedown, markdown: bool = False) -> str:
    """The three classes, each node with its proof, alternative or reason; as text or as a
    Markdown report."""
    def code(value: str) -> str:
        return f"`{value}`" if markdown else value

    def witness(w: list[str]) -> str:
        return "{" + ", ".join(code(x) for x in w) + "}"

    head = f"takedown of {', '.join(code(r) for r in result.removed)}"
    out = [f"# {head}" if markdown else head]
    sections = (("must retrain", result.must_retrain), ("unaffected", result.unaffected),
                ("unknown", result.unknown))
    for title, entries in sections:
        out.append(f"\n## {title} ({len(entries)})" if markdown
                   else f"{title} ({len(entries)}):")
        bullet = "- " if markdown else "  "
        for e in entries:
            label = f"{code(e['id'])} ({e['type'] or 'untyped'})"
            if "witnesses" in e:
                out.append(f"{bullet}{label}: every witness contains removed data:"
                           f" {'; '.join(witness(w) for w in e['witnesses'])}")
                out += [f"    path to {code(r)}: {' -> '.join(code(x) for x in path)}"
                        for r, path in e["paths"].items()]
            elif "alternative" in e:
                out.append(f"{bullet}{label}: still derivable from {witness(e['alternative'])}")
            else:
                out.append(f"{bullet}{label}: {e['reason']}")
    for model, plan in result.plans.items():
        out.append(f"\n## retraining {code(model)} without the removed data" if markdown
                   else f"retraining {model} without the removed data:")
        for number, step in enumerate(plan["steps"], start=1):
            inputs = ", ".join(code(i["id"]) + (f" [{i['takedown']}]" if "takedown" in i
                                                else "") for i in step["inputs"])
            line = f"  {number}. {code(step['id'])} ({step['type'] or 'untyped'}): {inputs}"
            if step["excluded"]:
                line += f"; without {', '.join(code(x) for x in step['excluded'])}"
            out.append(line)
    return "\n".join(out)


def render_licenses(result: Licenses) -> str:
    """The licences binding a model, each with its path, then the conflicts."""
    out = [f"licences of {result.id}: declares {result.declared or 'none'};"
           f" {len(result.binding)} bind it, {len(result.conflicts)} conflict(s)"]
    for b in result.binding:
        out.append(f"  {b['license']} ({b['as']}) from {b['from']}: {' -> '.join(b['path'])}")
    out += [f"  CONFLICT {c['license']} from {c['from']}: {c['reason']}"
            for c in result.conflicts]
    return "\n".join(out)
