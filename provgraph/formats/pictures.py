"""Pictures of a lineage: Graphviz DOT and Mermaid, drawn the way PROV draws its graphs
(entities as ellipses, activities as boxes, agents as houses; arrows from the later thing to
what it depends on)."""

from __future__ import annotations

import re

from provgraph.queries.lineage import Lineage

_DOT_SHAPES = {"entity": "ellipse", "activity": "box", "agent": "house"}
_DOT_COLOURS = {"entity": "#fffc87", "activity": "#9fb1fc", "agent": "#fed37f"}


def _nodes(lineage: Lineage, root_kind: str | None,
           root_type: str | None) -> list[tuple[str, str, str | None, bool]]:
    found: list[tuple[str, str, str | None, bool]] = [
        (lineage.root, root_kind or "entity", root_type, lineage.root in lineage.opaque)]
    found += [(n.id, n.kind or "entity", n.type, n.opaque) for n in lineage.nodes]
    return found


def to_dot(lineage: Lineage, root_kind: str | None = None, root_type: str | None = None
           ) -> str:
    """A Graphviz DOT picture of a lineage answer.

    >>> from provgraph.queries.lineage import Lineage
    >>> print(to_dot(Lineage(root="m", direction="down")))  # doctest: +ELLIPSIS
    digraph lineage {
    ...
    """

    def quoted(text: str) -> str:
        # DOT strings: quotes escaped; a literal \n (backslash n) is DOT's line break.
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = ["digraph lineage {", "  rankdir=BT;", '  node [style=filled, fontname="Helvetica"];']
    for node_id, kind, type_, opaque in _nodes(lineage, root_kind, root_type):
        label = "\n".join([node_id, *([type_] if type_ else []), *(["(opaque)"] if opaque else [])])
        style = ', style="filled,dashed"' if opaque else ""
        lines.append(f"  {quoted(node_id)} [label={quoted(label)},"
                     f" shape={_DOT_SHAPES.get(kind, 'ellipse')},"
                     f" fillcolor={quoted(_DOT_COLOURS.get(kind, '#ffffff'))}{style}];")
    for edge in lineage.edges:
        label = "\n".join([edge.relation, *([edge.role] if edge.role else [])])
        lines.append(f"  {quoted(edge.source)} -> {quoted(edge.target)} [label={quoted(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(lineage: Lineage, root_kind: str | None = None,
               root_type: str | None = None) -> str:
    """A Mermaid flowchart of a lineage answer (renders on GitHub, GitLab, in notebooks).

    >>> from provgraph.queries.lineage import Lineage
    >>> to_mermaid(Lineage(root="m", direction="down")).splitlines()[0]
    'flowchart BT'
    """
    names: dict[str, str] = {}
    lines = ["flowchart BT"]
    for number, (node_id, kind, type_, opaque) in enumerate(_nodes(lineage, root_kind, root_type)):
        names[node_id] = f"n{number}"
        label = _mermaid_text(node_id + (f"<br/>{type_}" if type_ else "")
                              + ("<br/>(opaque)" if opaque else ""))
        shape = {"activity": f"[{label}]", "agent": f"[/{label}\\]"}.get(kind, f"([{label}])")
        lines.append(f"  {names[node_id]}{shape}")
    for edge in lineage.edges:
        label = re.sub(r"[|\"]", "", edge.relation + (f" {edge.role}" if edge.role else ""))
        lines.append(f"  {names[edge.source]} -->|{label}| {names[edge.target]}")
    return "\n".join(lines) + "\n"
