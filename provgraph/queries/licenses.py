"""Licence obligations along lineage: which licences bind a model, why, and where they
conflict with what it declares (docs/queries.md).

Licences are the ``license`` attribute of datasets and models (see :mod:`provgraph.licenses`).
They propagate along the model's lineage by what each step is:

* fine-tunes, adapters, quantizations and merges (an activity that used a model, or a model
  derived from a model) carry their bases' licences, and what binds the bases, to the result
  (``weights``, and the bases' ``data`` and ``obligation`` licences);
* a distillation (an activity whose type says so) carries the teacher's weight licences and
  obligations as ``obligation``: its terms, not its weights;
* a dataset's licence binds the models trained on it (``data``), and datasets derived from
  datasets carry their sources' licences.

Each binding licence comes with the path it arrived along (model first). Conflicts: a
non-commercial licence binding a model that declares a commercial one (or none); a base whose
model licence family differs from the declared licence; a share-alike licence whose terms the
declared licence does not carry on; a licence that is neither SPDX nor in the table (its
terms are unknown, so nothing about it was checked).

The walk runs in the store; the propagation runs here on its answer only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provgraph.licenses import describe, table
from provgraph.queries.lineage import entities, walk
from provgraph.store.base import Store, StoredNode

Binding = tuple[str, str, str, tuple[str, ...]]
"""``(licence, node it is recorded on, as what, path from the model)``."""


@dataclass
class Licenses:
    """The licences that bind ``id``, and the conflicts among them."""

    id: str
    declared: str | None
    binding: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (docs/queries.md)."""
        return {"id": self.id, "declared": self.declared, "binding": self.binding,
                "conflicts": self.conflicts}


def _is(node: StoredNode | None, *words: str) -> bool:
    return node is not None and any(w in (node.type or "").lower() for w in words)


def _model(node: StoredNode | None) -> bool:
    return node is not None and node.kind == "entity" and _is(node, "model", "adapter",
                                                              "checkpoint")


def _data(node: StoredNode | None) -> bool:
    return node is not None and node.kind == "entity" and _is(node, "data", "shard", "corpus")


def licence_of(node: StoredNode) -> str | None:
    """The licence recorded on ``node``: its ``license`` attribute, or, when that is
    ``other`` (as Hugging Face model cards write a licence without an SPDX id), its
    ``license_name``; None when there is none."""
    value = node.attributes.get("license")
    if not isinstance(value, str) or not value.strip():
        return None
    name = node.attributes.get("license_name")
    if value.strip().lower() == "other" and isinstance(name, str) and name.strip():
        return name.strip()
    return value.strip()


def _unknown(licence: str, on: str, kind: str) -> str:
    what = "the declared licence" if kind == "declared" else f"{kind} licence"
    return (f"{what} {licence} of {on!r} is neither an SPDX expression nor in the model"
            " licence table: its terms are unknown and were not checked (name them in a JSON"
            " file given by $PROVGRAPH_LICENSES)")


def licenses(store: Store, root: str, *, as_of: int,
             known: dict[str, dict[str, Any]] | None = None) -> Licenses:
    """The licence report of ``root`` (see the module docstring). NotFoundError for an
    unknown id, ConfigurationError for one that is not an entity. A licence string that is
    neither SPDX nor in the table is listed where it binds, with a conflict saying its terms
    are unknown (it is not guessed at, nor does it stop the report)."""
    entries = known if known is not None else table()
    entities(store, [root], as_of, "licences bind entities (models, datasets)")
    lineage = walk(store, root, "down", depth=None, relations=None, include_agents=False,
                   as_of=as_of)
    nodes = store.nodes(lineage.ids | {root}, as_of)
    out: dict[str, list[tuple[str, str]]] = {}
    for edge in lineage.edges:
        out.setdefault(edge.source, []).append((edge.relation, edge.target))
    memo: dict[str, list[Binding]] = {}

    def own(node_id: str) -> list[Binding]:
        value = licence_of(nodes[node_id]) if node_id in nodes else None
        if value is None:
            return []
        kind = "data" if _data(nodes.get(node_id)) else "weights"
        return [(value, node_id, kind, (node_id,))]

    def inherit(node_id: str, via: tuple[str, ...], source: str,
                teacher: bool) -> list[Binding]:
        """What ``source`` passes on to ``node_id`` through the steps ``via``."""
        target = nodes.get(source)
        here = nodes.get(node_id)
        passed = []
        for licence, on, kind, path in binding(source):
            if _data(target) and not _data(here) and kind != "data":
                continue  # a dataset passes on its data licences only
            if teacher:
                kind = "obligation"
            passed.append((licence, on, kind, (node_id, *via, *path)))
        return passed

    def binding(node_id: str) -> list[Binding]:
        if node_id in memo:
            return memo[node_id]
        memo[node_id] = []  # a cycle contributes nothing more
        found_here = own(node_id)
        # A model derived from the teacher its distillation used carries the teacher's terms.
        teachers = {source for relation, run in out.get(node_id, [])
                    if relation == "wasGeneratedBy" and _is(nodes.get(run), "distill")
                    for used, source in out.get(run, []) if used == "used"}
        for relation, target in out.get(node_id, []):
            if relation == "wasDerivedFrom" and (_model(nodes.get(target))
                                                 or _data(nodes.get(target))):
                found_here += inherit(node_id, (), target, teacher=target in teachers)
            elif relation == "wasGeneratedBy":
                run = nodes.get(target)
                teacher = _is(run, "distill")
                for used, source in out.get(target, []):
                    if used == "used" and (_model(nodes.get(source)) or _data(nodes.get(source))):
                        found_here += inherit(node_id, (target,), source,
                                              teacher=teacher and _model(nodes.get(source)))
        shortest: dict[tuple[str, str, str], Binding] = {}
        for item in found_here:
            key = item[:3]
            if key not in shortest or len(item[3]) < len(shortest[key][3]):
                shortest[key] = item
        memo[node_id] = sorted(shortest.values(), key=lambda b: (b[1], b[0], b[2], b[3]))
        return memo[node_id]

    declared = licence_of(nodes[root])
    report = Licenses(id=root, declared=declared)
    mine = describe(declared, entries) if declared else None
    if mine is not None and not mine.known:
        report.conflicts.append({"license": mine.name, "from": root,
                                 "reason": _unknown(mine.name, root, "declared")})
    for licence, on, kind, path in binding(root):
        if on == root:
            continue
        report.binding.append({"license": licence, "from": on, "as": kind, "path": list(path)})
        about = describe(licence, entries)
        if not about.known:
            report.conflicts.append({"license": licence, "from": on,
                                     "reason": _unknown(licence, on, kind)})
            continue
        reasons = []
        if not about.commercial and (mine is None or mine.commercial):
            reasons.append(f"{kind} licence {licence} of {on!r} does not allow commercial use,"
                           + (f" but {root!r} declares {declared}" if declared
                              else f" and {root!r} declares no licence"))
        if kind == "weights" and not about.spdx and mine is not None \
                and mine.family != about.family:
            reasons.append(f"base {on!r} is under {licence} ({about.family}): fine-tunes,"
                           " adapters, quantizations and merges carry their base's weight"
                           f" licence, but {root!r} declares {declared}")
        if about.share_alike and mine is not None and mine.name != about.name:
            reasons.append(f"share-alike {licence} of {on!r} passes its terms on, but"
                           f" {root!r} declares {declared}")
        report.conflicts += [{"license": licence, "from": on, "reason": r} for r in reasons]
    return report
