"""Reading a JSON Lines lineage answer back (what ``--format jsonl`` and NDJSON send)."""

from __future__ import annotations

import json
from typing import Any


def streamed_answer(lines: list[str], direction: str) -> dict[str, Any]:
    """A JSON Lines answer put back together in the order of the whole answer, checking
    its order on the way: nodes by hop count, each node's edges right after it (those
    followed from it), the root's right after the first line, the opaque nodes last."""
    records = [json.loads(line) for line in lines]
    head, *body, last = records
    assert set(head) == {"root"} and set(last) <= {"opaque", "summary"} and "opaque" in last
    nodes, edges = [], []
    here, depth = head["root"], 0
    for record in body:
        (what, value), = record.items()
        if what == "node":
            assert value["depth"] >= depth
            here, depth = value["id"], value["depth"]
            nodes.append(value)
        else:
            assert what == "edge"
            assert value["from" if direction == "down" else "to"] == here
            edges.append(value)
    nodes.sort(key=lambda n: (n["depth"], n["id"]))
    edges.sort(key=lambda e: (e["from"], e["relation"], e["to"]))
    return {"root": head["root"], "nodes": nodes, "edges": edges, **last}

