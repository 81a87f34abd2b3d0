"""Dependents: the reverse of why-provenance. Which models rest on given sources, and how.

>>> import provgraph
>>> from provgraph.clock import NOW
>>> g = provgraph.connect("sqlite:///:memory:")
>>> _ = g.ingest(provgraph.demo.reference_events())
>>> dependents(g.store, ["s1"], as_of=NOW)["S1-int8"]
{'s1': 'every'}
"""

from __future__ import annotations

from collections.abc import Iterable

from provgraph.queries.lineage import walk
from provgraph.queries.why import why
from provgraph.store.base import Store


def dependents(store: Store, sources: Iterable[str], as_of: int,
               types: tuple[str, ...] = ("Model", "Adapter"), limit: int = 1000
               ) -> dict[str, dict[str, str]]:
    """For each model (entity of ``types``) downstream of any of ``sources``: the sources it
    rests on, ``every`` (in every witness of its why-provenance) or ``some``. Candidates come
    from impact walks; the answer from why-provenance."""
    wanted = list(sources)
    candidates: set[str] = set()
    for source in wanted:
        impact = walk(store, source, "up", depth=None, relations=None, include_agents=False,
                      as_of=as_of)
        candidates |= {n.id for n in impact.of_type(*types) if n.kind == "entity"}
    result = {}
    for model in sorted(candidates):
        membership = why(store, model, limit=limit, as_of=as_of).membership(wanted)
        found = {s: m for s, m in membership.items() if m != "none"}
        if found:
            result[model] = found
    return result
