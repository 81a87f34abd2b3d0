"""Takedown: what must be retrained when data is removed, with proof (docs/queries.md).

The removed items are cut out of the graph: each becomes a source of its own (what it was made
from no longer matters), and removing a collection removes its members. Every node downstream
of a removed item is then classified by its why-provenance (minimal witness sets, see
:mod:`provgraph.queries.why`) over the cut graph:

* ``must_retrain``: every witness contains a removed item; the proof is the witnesses and a
  path from the node to each removed item in them.
* ``unaffected``: some witness avoids every removed item (and every unknown below); it is
  named as the alternative.
* ``unknown``: no witness avoids the removal for sure, but some avoid the removed items
  themselves and instead rest on an opaque node that records a dependence on a removed item
  (lineage beyond an opaque node is unknown), or on a collection used as a whole whose member
  was removed (the use was recorded at a coarser grain than the removal).

The walks run in the store; the witness algebra runs here on their answers only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from provgraph.queries.lineage import entities
from provgraph.queries.reproduce import reproduce
from provgraph.queries.why import WALKED, shortest_paths, witness_basis
from provgraph.store.base import Store, StoredNode

MEMBER = "hadMember"


@dataclass
class Takedown:
    """Everything downstream of ``removed``, in three classes, each sorted by id."""

    removed: list[str]
    must_retrain: list[dict[str, Any]] = field(default_factory=list)
    unaffected: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    #: With ``plan=True``: for each entity that must be retrained, its reproduction plan with
    #: the removed items excluded (see :func:`retrain_plan`).
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (docs/queries.md); ``plans`` only when asked for."""
        data = {"removed": self.removed, "must_retrain": self.must_retrain,
                "unaffected": self.unaffected, "unknown": self.unknown}
        if self.plans:
            data["plans"] = self.plans
        return data


def takedown(store: Store, ids: Iterable[str], *, as_of: int, limit: int = 1000,
             plan: bool = False) -> Takedown:
    """Classify what depends on the removed ``ids`` (see the module docstring); with
    ``plan``, add each must-retrain entity's reproduction plan without the removed items.
    Raises NotFoundError for an unknown id, ConfigurationError for an activity or agent,
    ValueError for no id at all."""
    removed = sorted(set(ids))
    if not removed:
        raise ValueError("name at least one id to remove")
    entities(store, removed, as_of,
             "a takedown removes data (datasets, shards, members), which are entities")
    # Removing a collection removes its members.
    cut = store.closure(removed, "down", frozenset({MEMBER}), as_of).nodes
    # Collections still standing that lose a member: a use of them as a whole is coarser
    # than the removal.
    coarse = _first({(r.source, r.target) for r in store.relations(cut, as_of)
                     if r.relation == MEMBER and r.target in cut and r.source not in cut})
    # Downstream: walk up from the cut; opaque nodes that record a dependence on what was
    # reached are not walked through by the store (their lineage is unknown), so they are
    # found from the relations into the reached set, and walked from in turn.
    opaque: dict[str, str] = {}
    downstream: set[str] = set()
    starts = cut | set(coarse)
    while starts:
        downstream |= store.closure(starts, "up", WALKED, as_of).nodes
        reached = downstream | cut
        sources = _first({(r.source, r.target) for r in store.relations(reached, as_of)
                          if r.relation in WALKED and r.granularity != "members"
                          and r.target in reached and r.source not in reached})
        kinds = store.kinds(sources, as_of)
        starts = {s for s in sources if s in kinds and kinds[s][2] and s not in opaque}
        opaque.update((s, sources[s]) for s in starts)
    downstream -= cut
    answer = _classify(store, removed, cut, coarse, opaque, downstream, as_of, limit)
    if plan:
        retrain = {e["id"] for e in answer.must_retrain}
        unsure = {e["id"] for e in answer.unknown}
        kinds = store.kinds(retrain, as_of)
        for node_id in sorted(retrain):
            if kinds.get(node_id, ("",))[0] == "entity":
                answer.plans[node_id] = retrain_plan(
                    reproduce(store, node_id, as_of=as_of).to_dict(), cut, retrain, unsure)
    return answer


def retrain_plan(plan: dict[str, Any], cut: set[str], retrain: set[str],
                 unsure: set[str]) -> dict[str, Any]:
    """A reproduction plan (:func:`provgraph.queries.reproduce.reproduce`) for retraining
    without the removed items: each step's removed inputs move to its ``excluded``; inputs
    built from removed data are marked ``"takedown": "rebuild"`` (their own steps come
    earlier in the plan), those of unknown status ``"unknown"``."""
    for step in plan["steps"]:
        kept, excluded = [], []
        for item in step["inputs"]:
            if item["id"] in cut:
                excluded.append(item["id"])
                continue
            if item["id"] in retrain:
                item["takedown"] = "rebuild"
            elif item["id"] in unsure:
                item["takedown"] = "unknown"
            kept.append(item)
        step["inputs"], step["excluded"] = kept, excluded
    return plan


def _first(pairs: set[tuple[str, str]]) -> dict[str, str]:
    """For each first element, the smallest second element it is paired with."""
    chosen: dict[str, str] = {}
    for a, b in sorted(pairs, reverse=True):
        chosen[a] = b
    return chosen


def _classify(store: Store, removed: list[str], cut: set[str], coarse: dict[str, str],
              opaque: dict[str, str], downstream: set[str], as_of: int,
              limit: int) -> Takedown:
    # What everything downstream rests on, walked once (each node expanded once).
    walked = store.closure(downstream, "down", WALKED, as_of)
    nodes: dict[str, StoredNode] = store.nodes(walked.nodes, as_of)
    edges = {e.key: e for e in walked.edges}
    # The cut: removed items and collections losing a member stand alone, as sources.
    kept = [e for e in edges.values() if e.source not in cut and e.source not in coarse]
    known, _ = witness_basis(removed[0], nodes, kept, limit)  # every node's family at once
    # The proofs' paths run to removed items: only the edges into what reaches one can be
    # on them (the searches, in the same order, find the same paths among fewer nodes).
    toward = set(cut)
    into: dict[str, list[str]] = {}
    for edge in kept:
        into.setdefault(edge.target, []).append(edge.source)
    queue = list(toward)
    while queue:
        for source in into.get(queue.pop(), []):
            if source not in toward:
                toward.add(source)
                queue.append(source)
    step: dict[str, list[str]] = {}
    for edge in kept:
        if edge.target in toward:
            step.setdefault(edge.source, []).append(edge.target)
    blurred = set(coarse) | set(opaque)
    answer = Takedown(removed=removed)
    for node_id in sorted(downstream):
        info = nodes.get(node_id)
        entry: dict[str, Any] = {"id": node_id, "type": info.type if info else None}
        witnesses = sorted((sorted(w) for w in known.get(node_id, [])), key=lambda w: (len(w), w))
        if node_id in opaque:
            answer.unknown.append(entry | {"reason": f"opaque: it records a dependence on"
                                           f" {opaque[node_id]!r}, and its lineage beyond is"
                                           " unknown"})
        elif node_id in coarse:
            answer.unknown.append(entry | {"reason": f"contains the removed member"
                                           f" {coarse[node_id]!r}: its content changes"})
        elif clear := [w for w in witnesses if cut.isdisjoint(w) and blurred.isdisjoint(w)]:
            answer.unaffected.append(entry | {"alternative": clear[0]})
        elif witnesses and all(not cut.isdisjoint(w) for w in witnesses):
            hit = sorted({x for w in witnesses for x in w if x in cut})
            answer.must_retrain.append(entry | {"witnesses": witnesses,
                                                "paths": shortest_paths(node_id, hit, step)})
        else:
            answer.unknown.append(entry | {"reason": _reason(witnesses, cut, coarse, opaque)})
    return answer


def _reason(witnesses: list[list[str]], cut: set[str], coarse: dict[str, str],
            opaque: dict[str, str]) -> str:
    for witness in witnesses:
        if cut.isdisjoint(witness):
            for x in witness:
                if x in opaque:
                    return (f"depends on {opaque[x]!r} through opaque {x!r}, whose lineage"
                            " is unknown")
            for x in witness:
                if x in coarse:
                    return (f"uses {x!r} as a whole, and its member {coarse[x]!r} was"
                            " removed: the use was not recorded per member")
    return "no witness: its lineage does not bottom out in sources"
