"""Why-provenance: the minimal sets of sources a node is derived from (docs/queries.md).

After Buneman, Khanna & Tan (2001), adapted to PROV: a *source* is an entity with no outgoing
dependency edge, or an opaque node; a *witness* of x is a set of sources from which x is
derived; the *witness basis* is the set of minimal witnesses. Activities need everything they
used and were informed by (AND); an entity needs its generation, everything it was derived
from and its members (AND), with alternatives (OR) across several generating activities,
across ``alternative: true`` derivations, and across alternateOf / specializationOf (followed
from the specific entity to the one it can stand for). ``granularity: members`` edges are
never followed, so a member dropped by preprocessing is in no witness.

The walk runs in the store; the witness algebra runs here on the walk's answer only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from provgraph.errors import NotFoundError
from provgraph.model import DEPENDENCY_RELATIONS, RelationName
from provgraph.store.base import Store, StoredNode, StoredRelation

Witness = frozenset[str]
Family = list[Witness]

EQUIVALENCE = frozenset({RelationName.ALTERNATE_OF.value, RelationName.SPECIALIZATION_OF.value})
WALKED = frozenset(r.value for r in DEPENDENCY_RELATIONS) | EQUIVALENCE


@dataclass
class Why:
    """The witness basis of ``root``: minimal witnesses, each sorted, smallest first."""

    root: str
    witnesses: list[list[str]]
    truncated: bool
    paths: list[dict[str, list[str]]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON form; with ``explain``, each witness's paths as well."""
        data: dict[str, Any] = {"root": self.root, "witnesses": self.witnesses,
                                "truncated": self.truncated}
        if self.paths:
            data["paths"] = self.paths
        return data

    def membership(self, ids: Iterable[str]) -> dict[str, str]:
        """For each id: ``every`` (in every witness), ``some`` or ``none``."""
        result = {}
        for node_id in ids:
            count = sum(node_id in w for w in self.witnesses)
            result[node_id] = (
                "none" if count == 0 else "every" if count == len(self.witnesses) else "some")
        return result


def _minimal(family: Iterable[Witness]) -> Family:
    """Drop every witness that is a superset of another; sorted for a stable answer."""
    distinct = set(family)
    if len(distinct) <= 1:  # the usual case, and its witness may hold thousands of sources
        return list(distinct)
    ordered = sorted(distinct, key=lambda w: (len(w), sorted(w)))
    kept: Family = []
    for witness in ordered:
        if not any(k <= witness for k in kept):
            kept.append(witness)
    return kept


class _Budget:
    """Caps every intermediate family at ``limit`` and remembers whether it had to."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.truncated = False

    def cap(self, family: Family) -> Family:
        family = _minimal(family)
        if len(family) > self.limit:
            self.truncated = True
            return family[: self.limit]
        return family


def _product(families: list[Family], budget: _Budget) -> Family:
    """AND: one witness from each family, united."""
    result: Family = [frozenset()]
    for family in families:
        result = budget.cap([a | b for a in result for b in family])
        if not result:
            return []
    return result


def _union(families: list[Family], budget: _Budget) -> Family:
    """OR: any witness of any family."""
    return budget.cap([w for family in families for w in family])


def witness_basis(
    root: str, nodes: dict[str, StoredNode], edges: list[StoredRelation], limit: int
) -> tuple[dict[str, Family], bool]:
    """Witness families of every node of a walk's answer (least fixpoint, so cycles that
    never bottom out in sources contribute no witness)."""
    out: dict[str, list[StoredRelation]] = {n: [] for n in nodes}
    for edge in edges:
        out.setdefault(edge.source, []).append(edge)
    budget = _Budget(limit)

    def is_source(node_id: str) -> bool:
        info = nodes.get(node_id)
        if info is not None and info.opaque:
            return True
        dependent = [e for e in out.get(node_id, []) if e.relation not in EQUIVALENCE]
        return not dependent and (info is None or info.kind == "entity")

    def compute(node_id: str, known: dict[str, Family]) -> Family:
        edges_out = out.get(node_id, [])
        if is_source(node_id):
            own: Family = [frozenset([node_id])]
        else:
            info = nodes.get(node_id)
            targets = [(e, known.get(e.target, [])) for e in edges_out
                       if e.relation not in EQUIVALENCE]
            if info is not None and info.kind == "activity":
                own = _product([f for _, f in targets], budget)
            else:
                generations = [f for e, f in targets if e.relation == "wasGeneratedBy"]
                alternatives = [f for e, f in targets
                                if e.relation == "wasDerivedFrom" and e.alternative]
                required = [f for e, f in targets
                            if e.relation in ("wasDerivedFrom", "hadMember")
                            and not e.alternative]
                parts = list(required)
                if generations:
                    parts.append(_union(generations, budget))
                if alternatives:
                    parts.append(_union(alternatives, budget))
                own = _product(parts, budget)
        equivalents = [known.get(e.target, []) for e in edges_out if e.relation in EQUIVALENCE]
        return _union([own, *equivalents], budget) if equivalents else own

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((e.source, e.target) for e in edges)
    known: dict[str, Family] = {}
    condensed = nx.condensation(graph)
    for component in reversed(list(nx.topological_sort(condensed))):
        members = condensed.nodes[component]["members"]
        for _ in range(len(members) * 4 + 1):  # monotone: stops as soon as nothing changes
            changed = False
            for node_id in sorted(members):
                family = compute(node_id, known)
                if family != known.get(node_id):
                    known[node_id] = family
                    changed = True
            if not changed:
                break
    return known, budget.truncated


def _justify(root: str, witness: Witness, known: dict[str, Family],
             edges: list[StoredRelation]) -> dict[str, list[str]]:
    """For each source of ``witness``, a shortest path from ``root`` through nodes whose own
    witnesses fit inside it (so alternatives not taken are not shown)."""
    fits = {n for n, family in known.items() if any(w <= witness for w in family)}
    step: dict[str, list[str]] = {}
    for edge in edges:
        if edge.source in fits and edge.target in fits:
            step.setdefault(edge.source, []).append(edge.target)
    return shortest_paths(root, sorted(witness), step)


def shortest_paths(root: str, targets: Iterable[str],
                   step: dict[str, list[str]]) -> dict[str, list[str]]:
    """A shortest path from ``root`` to each of ``targets`` along ``step`` (node -> the
    nodes one hop on), by breadth-first search in sorted order; ``[]`` for one not reached."""
    parent: dict[str, str | None] = {root: None}
    queue = deque([root])
    # Stop once every target is reached: their parents are set when first reached.
    targets = list(targets)
    missing = set(targets) - {root}
    while queue and missing:
        here = queue.popleft()
        for there in sorted(step.get(here, [])):
            if there not in parent:
                parent[there] = here
                queue.append(there)
                missing.discard(there)
    paths = {}
    for target in targets:
        path: list[str] = []
        at: str | None = target if target in parent else None
        while at is not None:
            path.append(at)
            at = parent[at]
        paths[target] = list(reversed(path))
    return paths


def why(store: Store, root: str, *, limit: int, as_of: int, explain: bool = False) -> Why:
    """The witness basis of ``root`` (see the module docstring).

    Cost: one walk in the store, then work proportional to the walk's size times the number
    of witnesses kept per node — up to ``limit`` squared per AND, since witnesses multiply
    across alternatives. ``limit`` caps every intermediate family; when it binds, the answer
    says ``truncated`` (its witnesses are real, but the basis may be incomplete).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if root not in store.nodes([root], as_of):
        raise NotFoundError(f"no node {root!r} in {store.uri}")
    traversal = store.traverse(root, "down", WALKED, None, as_of)
    nodes = store.nodes(traversal.nodes, as_of)
    known, truncated = witness_basis(root, nodes, traversal.edges, limit)
    family = known.get(root, [])
    result = Why(root=root, witnesses=[sorted(w) for w in family], truncated=truncated)
    if explain:
        result.paths = [_justify(root, w, known, traversal.edges) for w in family]
    return result
