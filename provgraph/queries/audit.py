"""The completeness / audit report: the checklist every lineage record should satisfy.

Each item is ``present`` (with the evidence node ids), ``missing``, or ``unknowable`` (the
facts would lie behind an opaque node). Rendered as JSON, Markdown and a self-contained HTML
page an auditor can open with no tool.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from provgraph.clock import to_iso
from provgraph.queries.lineage import walk
from provgraph.queries.recipe import BASE_ROLES, POST_TRAINING_TYPES, TRAINING_TYPES, load_recipe
from provgraph.store.base import Store

FRAMEWORKS = ("torch", "tensorflow", "jax", "transformers", "scikit-learn", "xgboost",
              "lightning", "keras", "vllm")

CHECKLIST = [
    ("training_data", "Training data (versioned)", True),
    ("preprocessing", "Preprocessing of the data", True),
    ("base_model", "Base model", True),
    ("code_version", "Code version", True),
    ("framework", "Framework and versions", True),
    ("hyperparameters", "Hyperparameters and config", True),
    ("environment", "Compute environment", True),
    ("validation_metrics", "Evaluation metrics: validation", False),
    ("test_metrics", "Evaluation metrics: test", False),
    ("triggered_by", "Who or what triggered training", True),
    ("post_training", "Post-training modifications recorded", True),
    ("deployment_approval", "Who approved deployment", False),
]
"""(key, title, upstream): upstream items can be unknowable behind an opaque node."""


@dataclass
class Item:
    """One checklist item."""

    key: str
    title: str
    status: str
    evidence: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class Audit:
    """The audit report of one node."""

    root: str
    items: list[Item]
    generated_at: str

    @property
    def score(self) -> float:
        """The share of items present, 0–100."""
        return round(100 * sum(i.status == "present" for i in self.items) / len(self.items), 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        counts = {s: sum(i.status == s for i in self.items)
                  for s in ("present", "missing", "unknowable")}
        return {"root": self.root, "score": self.score, "counts": counts,
                "generated_at": self.generated_at, "items": [i.to_dict() for i in self.items]}

    def to_markdown(self) -> str:
        """A Markdown report."""
        lines = [f"# Lineage audit: `{self.root}`", "",
                 f"Completeness: **{self.score}%** — generated {self.generated_at} by provgraph",
                 "", "| Item | Status | Evidence |", "|---|---|---|"]
        for item in self.items:
            evidence = ", ".join(f"`{e}`" for e in item.evidence) or item.note or "—"
            evidence = evidence.replace("|", "\\|")
            lines.append(f"| {item.title} | {item.status} | {evidence} |")
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """A self-contained HTML page (inline CSS, no scripts, no external resources)."""
        e = html.escape
        rows = "\n".join(
            f'<tr class="{e(i.status)}"><td>{e(i.title)}</td>'
            f'<td><span class="badge">{e(i.status)}</span></td>'
            f"<td>{', '.join(f'<code>{e(x)}</code>' for x in i.evidence) or e(i.note or '—')}"
            "</td></tr>"
            for i in self.items
        )
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Lineage audit: {e(self.root)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1b1f24; }}
h1 {{ font-size: 1.4rem; }} table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #d0d7de; padding: .5rem; text-align: left; }}
.badge {{ padding: .1rem .5rem; border-radius: 1rem; font-size: .85rem; }}
.present .badge {{ background: #dafbe1; }} .missing .badge {{ background: #ffebe9; }}
.unknowable .badge {{ background: #fff8c5; }} code {{ font-size: .85rem; }}
</style></head><body>
<h1>Lineage audit: <code>{e(self.root)}</code></h1>
<p id="score">Completeness: <strong>{self.score}%</strong>
({sum(i.status == "present" for i in self.items)} of {len(self.items)} items present);
generated {e(self.generated_at)} by provgraph.</p>
<table><thead><tr><th>Item</th><th>Status</th><th>Evidence</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p>Unknowable: the facts would lie behind an opaque node (lineage beyond it is unknown).</p>
</body></html>
"""


def audit(store: Store, root: str, *, as_of: int, now: int) -> Audit:
    """Check ``root``'s lineage against the checklist of docs/queries.md.

    Upstream facts come from one ancestry walk (agents included); evaluations, approvals and
    deployments from one impact walk. Raises NotFoundError if ``root`` is unknown.
    """
    recipe = load_recipe(store, root, as_of)
    downstream = walk(store, root, "up", depth=3, relations=None, include_agents=False,
                      as_of=as_of)
    below = store.nodes([n.id for n in downstream.nodes], as_of)
    below_relations = store.relations(list(below), as_of)
    found: dict[str, list[str]] = {}
    training = [s for s in recipe.steps if s.type in TRAINING_TYPES]

    found["training_data"] = sorted({
        i.id for s in training for i in s.inputs
        if i.type in ("Dataset", "DataShard", "Record") or (i.role or "").endswith("_data")})
    found["preprocessing"] = [s.id for s in recipe.steps if s.type == "Preprocessing"]
    found["base_model"] = sorted({
        i.id for s in recipe.steps for i in s.inputs
        if i.role in BASE_ROLES or i.type in ("Model", "Adapter", "Checkpoint")})
    found["code_version"] = [n.id for n in recipe.of_type("Code") if n.attributes.get("commit")]
    found["framework"] = [
        n.id for n in recipe.of_type("Environment", "Code")
        if any(str(p).split("==")[0] in FRAMEWORKS for p in n.attributes.get("packages", []))
        or n.attributes.get("framework")]
    found["hyperparameters"] = [
        s.id for s in training if set(s.parameters) - {"status", "error"}
    ] + [n.id for n in recipe.of_type("Config")]
    found["environment"] = [n.id for n in recipe.of_type("Environment")]
    found["triggered_by"] = sorted({a for s in training for a in s.agents})
    generated = [s for s in recipe.steps if root in s.outputs]
    found["post_training"] = (
        [s.id for s in recipe.steps if s.type in POST_TRAINING_TYPES] or
        [s.id for s in generated])

    evaluations = {r.source for r in below_relations
                   if r.relation == "used" and r.target == root
                   and below.get(r.source) and below[r.source].type == "Evaluation"}
    results = {r.source: r.target for r in below_relations
               if r.relation == "wasGeneratedBy" and r.target in evaluations}
    for split in ("validation", "test"):
        found[f"{split}_metrics"] = sorted(
            result for result, run in results.items()
            if split in (below[run].attributes.get("split"),
                         below[result].attributes.get("split") if result in below else None))
    approvals = sorted(n for n, info in below.items() if info.type == "Approval")
    approvers = sorted({r.target for r in store.relations(approvals, as_of)
                        if r.relation == "wasAssociatedWith" and r.source in approvals})
    found["deployment_approval"] = approvals + approvers if approvers else []

    root_node = recipe.nodes[root]
    hidden = root_node.opaque or (not generated and bool(recipe.opaque))
    items = []
    for key, title, upstream in CHECKLIST:
        evidence = found.get(key, [])
        if evidence:
            items.append(Item(key, title, "present", evidence))
        elif upstream and hidden:
            items.append(Item(key, title, "unknowable", recipe.opaque or [root],
                              note="behind an opaque node"))
        else:
            items.append(Item(key, title, "missing"))
    return Audit(root=root, items=items, generated_at=to_iso(now))
