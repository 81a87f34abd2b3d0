"""The native event schema: versioned, strict, and its committed JSON Schema is current."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provgraph.encoding import attributes_json, canonical_json, joined_digest, record_json
from provgraph.errors import InvalidEventError
from provgraph.events import (
    SCHEMA_PATH,
    fold,
    json_schema,
    node_digest,
    parse_event,
    parse_events,
)


def test_committed_json_schema_matches_the_models() -> None:
    committed = json.loads(SCHEMA_PATH.read_text())
    assert committed == json_schema(), "run: python -m provgraph.events"


def test_relation_options_only_where_they_mean_something() -> None:
    with pytest.raises(InvalidEventError, match="granularity applies to 'used' relations only"):
        parse_event({"id": "e", "relations": [
            {"relation": "wasDerivedFrom", "from": "a", "to": "b", "granularity": "members"}]})
    with pytest.raises(InvalidEventError, match="alternative applies to 'wasDerivedFrom'"):
        parse_event({"id": "e", "relations": [
            {"relation": "used", "from": "a", "to": "b", "alternative": True}]})


def test_activity_times_belong_to_activities() -> None:
    with pytest.raises(InvalidEventError, match="started_at / ended_at belong to activities"):
        parse_event({"id": "e", "nodes": [
            {"id": "m", "kind": "entity", "started_at": "2026-01-01T00:00:00Z"}]})


def test_same_id_twice_in_a_batch_with_other_content_is_rejected() -> None:
    one = {"id": "e", "nodes": [{"id": "a", "kind": "entity"}]}
    two = {"id": "e", "nodes": [{"id": "b", "kind": "entity"}]}
    with pytest.raises(InvalidEventError, match="used twice in one batch"):
        parse_events([one, two])
    assert len(parse_events([one, one])) == 2


def test_fold_lets_later_events_win() -> None:
    events = parse_events([
        {"id": "1", "nodes": [{"id": "a", "kind": "entity", "attributes": {"v": 1}}]},
        {"id": "2", "retract": {"nodes": ["a"]}},
        {"id": "3", "nodes": [{"id": "a", "kind": "entity", "attributes": {"v": 3}}]},
    ])
    changes = fold(events)
    assert changes.nodes["a"].node.attributes == {"v": 3}
    assert changes.retracted_nodes == set()
    assert list(changes.events) == ["1", "2", "3"]


_SCALARS = (st.text() | st.integers(min_value=-2**70, max_value=2**70) | st.booleans()
            | st.none() | st.floats())
_ATTRIBUTES = st.dictionaries(
    st.text(), _SCALARS | st.lists(_SCALARS, max_size=3)
    | st.lists(st.lists(_SCALARS, max_size=2), max_size=2), max_size=6)


@settings(max_examples=400, deadline=None)
@given(attributes=_ATTRIBUTES)
def test_stored_json_written_directly_is_the_encoders(attributes: dict[str, Any]) -> None:
    """Node and relation JSON skip the encoder for plain attributes: byte for byte what the
    encoder writes (digests and the hash chain depend on it), floats and lists included, and
    for the names and values that send it back to the encoder (lists in lists)."""
    assert attributes_json(attributes) == canonical_json({"attributes": attributes})


def test_rows_of_nodes_and_relations_with_attributes_digest_their_canonical_json() -> None:
    event = parse_event({"id": "e", "nodes": [
        {"id": "m", "kind": "entity", "attributes": {"b": 1, "a": "é\"", "c": None}},
        {"id": "d", "kind": "entity", "attributes": {"x": [1, 2.5]}}],
        "relations": [{"relation": "wasDerivedFrom", "from": "m", "to": "d",
                       "attributes": {"z": True}}]})
    nodes, relations, _ = event.rows()
    assert [row.data for row in nodes] == [
        canonical_json({"attributes": {"b": 1, "a": "é\"", "c": None}}),
        canonical_json({"attributes": {"x": [1, 2.5]}})]
    assert relations[0].data == '{"attributes":{"z":true}}'
    assert nodes[0].digest == node_digest("m", "entity", None, False, nodes[0].data)


_RECORDS = st.dictionaries(
    st.sampled_from(["attributes", "copies", "alternative", "started_at", "ended_at",
                     "opaque_reason", "id", "plan", "time", "granularity", "prov"]),
    _SCALARS | _ATTRIBUTES | st.lists(_SCALARS, max_size=2), max_size=5)


@settings(max_examples=400, deadline=None)
@given(record=_RECORDS)
def test_records_written_directly_are_the_encoders(record: dict[str, Any]) -> None:
    """A node's or relation's whole stored JSON (times, reasons, copies, ids beside the
    attributes) skips the encoder too, and is byte for byte what it writes."""
    assert record_json(record) == canonical_json(record)


@settings(max_examples=200, deadline=None)
@given(id=st.text(min_size=1), kind=st.sampled_from(["entity", "activity", "agent"]),
       type=st.none() | st.text(), opaque=st.booleans(), data=st.text())
def test_node_digests_written_out_are_the_joined_ones(
        id: str, kind: str, type: str | None, opaque: bool, data: str) -> None:
    try:
        expected = joined_digest((id, kind, type, opaque, data))
    except UnicodeEncodeError:
        return  # a lone surrogate: refused before any digest is stored
    assert node_digest(id, kind, type, opaque, data) == expected
