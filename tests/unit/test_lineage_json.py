"""A lineage answer's JSON text, written directly (CLI ``--format json``, the HTTP API): the
very text the standard encoder writes for the answer's dict, compact and indented."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from provgraph.queries.lineage import IMPACT_SUMMARY_TYPES, Lineage
from provgraph.store.base import LineageEdge, LineageNode

_IDS = st.text(min_size=1, max_size=12)
_TYPES = st.none() | st.sampled_from([*IMPACT_SUMMARY_TYPES, "Dataset", "Training"]) | _IDS
_NODES = st.builds(LineageNode, _IDS, st.none() | st.sampled_from(["entity", "activity"]),
                   _TYPES, st.integers(min_value=1, max_value=40), st.booleans())
_EDGES = st.builds(LineageEdge, _IDS, st.sampled_from(["used", "wasDerivedFrom"]), _IDS,
                   _IDS, st.none() | _IDS)
_ANSWERS = st.builds(Lineage, _IDS, st.sampled_from(["up", "down"]),
                     st.lists(_NODES, max_size=8), st.lists(_EDGES, max_size=8),
                     st.lists(_IDS, max_size=4))


@settings(max_examples=300, deadline=None)
@given(answer=_ANSWERS, indent=st.sampled_from([None, 2, 4]))
def test_answer_json_is_the_encoders_text(answer: Lineage, indent: int | None) -> None:
    expected = json.dumps(answer.to_dict(), ensure_ascii=False, indent=indent,
                          separators=(",", ":") if indent is None else None)
    assert answer.to_json(indent=indent) == expected


def test_an_impact_with_a_summary_and_nothing_reached() -> None:
    empty = Lineage("x", "up")
    assert empty.to_json() == '{"root":"x","nodes":[],"edges":[],"opaque":[],"summary":{}}'
    assert json.loads(empty.to_json(indent=2)) == empty.to_dict()
