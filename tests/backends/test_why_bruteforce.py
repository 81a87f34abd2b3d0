"""why() against a deliberately simple reference: enumerate every set of sources, keep those
from which the root is derivable (a least fixpoint of the AND/OR rules), keep the minimal
ones. Hundreds of generated graphs with alternatives, members, opaque nodes, equivalences and
cycles must give identical witness bases, on every backend."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provgraph.graph import Graph

_counter = itertools.count()
DEPENDENCY = {"used", "wasGeneratedBy", "wasDerivedFrom", "wasInformedBy", "hadMember"}
EQUIVALENCE = {"alternateOf", "specializationOf"}
CHOICES = {
    ("entity", "entity"): ["wasDerivedFrom", "wasDerivedFrom-alt", "hadMember", "alternateOf",
                           "specializationOf"],
    ("entity", "activity"): ["wasGeneratedBy", "wasInvalidatedBy"],
    ("activity", "entity"): ["used", "used-members"],
    ("activity", "activity"): ["wasInformedBy"],
}


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(min_value=1, max_value=9))
    kinds = draw(st.lists(st.sampled_from(["entity", "activity"]), min_size=size,
                          max_size=size))
    opaque = [draw(st.integers(0, 5)) == 0 and k == "entity" for k in kinds]
    edges: dict[tuple[int, int, str], str] = {}
    for a, b, pick in draw(st.lists(st.tuples(st.integers(0, size - 1),
                                              st.integers(0, size - 1), st.integers(0, 4)),
                                    max_size=size * 2)):
        if a != b:
            options = CHOICES[(kinds[a], kinds[b])]
            chosen = options[pick % len(options)]
            base = chosen.split("-")[0]
            edges[(a, b, base)] = chosen
    return {"kinds": kinds, "opaque": opaque, "root": draw(st.integers(0, size - 1)),
            "edges": [(a, b, chosen) for (a, b, _), chosen in edges.items()]}


def brute_force(spec: dict[str, Any], name: list[str]) -> list[list[str]]:
    kinds, opaque = spec["kinds"], spec["opaque"]
    out: dict[int, list[tuple[str, int, bool]]] = {i: [] for i in range(len(kinds))}
    for a, b, chosen in spec["edges"]:
        base = chosen.split("-")[0]
        if opaque[a] or chosen == "used-members":
            continue
        if base in DEPENDENCY or base in EQUIVALENCE:
            out[a].append((base, b, chosen == "wasDerivedFrom-alt"))
    reach, frontier = {spec["root"]}, [spec["root"]]
    while frontier:
        for _, b, _ in out[frontier.pop()]:
            if b not in reach:
                reach.add(b)
                frontier.append(b)

    def is_source(n: int) -> bool:
        dependent = [e for e in out[n] if e[0] in DEPENDENCY]
        return opaque[n] or (kinds[n] == "entity" and not dependent)

    sources = sorted(n for n in reach if is_source(n))

    def derivable(chosen: set[int]) -> bool:
        derived: set[int] = set()
        changed = True
        while changed:
            changed = False
            for n in reach - derived:
                deps = [(r, b, alt) for r, b, alt in out[n] if r in DEPENDENCY]
                if is_source(n):
                    own = n in chosen
                elif kinds[n] == "activity":
                    own = all(b in derived for _, b, _ in deps)
                else:
                    gens = [b for r, b, _ in deps if r == "wasGeneratedBy"]
                    alts = [b for r, b, alt in deps if alt]
                    needed = [b for r, b, alt in deps
                              if r in ("wasDerivedFrom", "hadMember") and not alt]
                    own = ((not gens or any(b in derived for b in gens))
                           and (not alts or any(b in derived for b in alts))
                           and all(b in derived for b in needed))
                equivalent = any(b in derived for r, b, _ in out[n] if r in EQUIVALENCE)
                if own or equivalent:
                    derived.add(n)
                    changed = True
        return spec["root"] in derived

    basis: list[set[int]] = []
    for size in range(len(sources) + 1):
        for subset in itertools.combinations(sources, size):
            chosen = set(subset)
            if not any(w <= chosen for w in basis) and derivable(chosen):
                basis.append(chosen)
    return sorted((sorted(name[i] for i in w) for w in basis), key=lambda w: (len(w), w))


def ingest_spec(graph: Graph, spec: dict[str, Any], prefix: str) -> list[str]:
    """Store a generated graph under ids ``PREFIX0``, ``PREFIX1`` ...; returns the ids."""
    name = [f"{prefix}{i}" for i in range(len(spec["kinds"]))]
    relations = []
    for a, b, chosen in spec["edges"]:
        row: dict[str, Any] = {"relation": chosen.split("-")[0], "from": name[a], "to": name[b]}
        if chosen == "used-members":
            row["granularity"] = "members"
        if chosen == "wasDerivedFrom-alt":
            row["alternative"] = True
        relations.append(row)
    graph.ingest({"id": f"{prefix}e", "relations": relations, "nodes": [
        {"id": name[i], "kind": k, "opaque": spec["opaque"][i]}
        for i, k in enumerate(spec["kinds"])]})
    return name


def check(graph: Graph, spec: dict[str, Any]) -> None:
    name = ingest_spec(graph, spec, f"w{next(_counter)}:")
    result = graph.why(name[spec["root"]])
    assert not result.truncated
    assert result.witnesses == brute_force(spec, name)


SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(spec=graphs())
def test_why_equals_brute_force_embedded(graph: Graph, spec: dict[str, Any]) -> None:
    check(graph, spec)


# Each Neo4j example costs round trips: fewer examples, the same generator.
@pytest.mark.parametrize("backend", ["neo4j"])
@settings(max_examples=100, deadline=None, suppress_health_check=SLOW)
@given(spec=graphs())
def test_why_equals_brute_force_neo4j(graph: Graph, spec: dict[str, Any]) -> None:
    check(graph, spec)
