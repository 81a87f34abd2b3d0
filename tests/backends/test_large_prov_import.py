"""A 100k-relation PROV document imports in one ``import_prov`` call into the local Neo4j with
its default memory (the test server: 1 GiB heap, so Neo4j's default transaction limit of 70% of
it), and on SQLite; the answers match a plain graph computation. Not timed (see bench/)."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx

from provgraph.graph import Graph

PREFIX = {"zoo": "http://example.org/zoo/", "pg": "https://w3id.org/provgraph/ns#"}


def model_zoo(entities: int = 30_000, activities: int = 13_000, seed: int = 7
              ) -> tuple[dict[str, Any], nx.DiGraph]:
    """A PROV document of a model zoo with about 100k relations, and its dependency graph."""
    rng = random.Random(seed)
    document: dict[str, Any] = {"prefix": PREFIX, "entity": {}, "activity": {}, "used": {},
                                "wasGeneratedBy": {}, "wasDerivedFrom": {}}
    expected = nx.DiGraph()
    for i in range(entities):
        document["entity"][f"zoo:e{i}"] = {
            "prov:type": {"$": "pg:Model" if i % 3 else "pg:Dataset",
                          "type": "prov:QUALIFIED_NAME"}, "zoo:n": i}
    count = 0
    for j in range(activities):
        run = f"zoo:a{j}"
        document["activity"][run] = {"prov:type": {"$": "pg:Training",
                                                   "type": "prov:QUALIFIED_NAME"}}
        # Activities use older entities and generate newer ones, so the graph is a DAG.
        output = rng.randrange(entities // 2, entities)
        inputs = {rng.randrange(0, output) for _ in range(4)}
        for used in sorted(inputs):
            count += 1
            document["used"][f"_:u{count}"] = {"prov:activity": run, "prov:entity": f"zoo:e{used}"}
            expected.add_edge(run, f"zoo:e{used}")
            count += 1
            document["wasDerivedFrom"][f"_:d{count}"] = {
                "prov:generatedEntity": f"zoo:e{output}", "prov:usedEntity": f"zoo:e{used}"}
            expected.add_edge(f"zoo:e{output}", f"zoo:e{used}")
        count += 1
        document["wasGeneratedBy"][f"_:g{count}"] = {"prov:entity": f"zoo:e{output}",
                                                    "prov:activity": run}
        expected.add_edge(f"zoo:e{output}", run)
    return document, expected


def test_a_100k_relation_document_imports_in_one_call(graph: Graph) -> None:
    document, expected = model_zoo()
    # Identical unnamed records are one record to PROV (and to provgraph).
    relations = len({(section, tuple(sorted(record.items())))
                     for section in ("used", "wasGeneratedBy", "wasDerivedFrom")
                     for record in document[section].values()})
    assert relations >= 100_000
    told: list[int] = []
    written: list[int] = []
    result = graph.import_prov(document, progress=written.append, chunks=told.append)
    # What a progress bar needs: the chunks to write, told before the first, then each.
    assert told == [result.events] and sum(written) == result.events > 50
    assert result.relation_versions == relations
    assert result.node_versions == 43_000
    root = max(expected, key=lambda n: len(nx.descendants(expected, n)))
    assert graph.ancestry(root).ids == nx.descendants(expected, root)
    told.clear()
    assert graph.import_prov(document, chunks=told.append).events == 0 and told == [0]
