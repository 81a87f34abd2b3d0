"""Property: a document of prov's own corpus, split at random into two documents (records to
one, the other or both, a record's attributes divided between them), imported in either order,
exports what PROV says the two mean together: the unified original."""

from __future__ import annotations

import functools
import glob
import io
import json
import os
import warnings
from typing import Any

import prov
import prov.model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import provgraph

KEYLESS = ("alternateOf", "specializationOf", "mentionOf", "hadMember")
CORPUS = sorted(glob.glob(os.path.join(os.path.dirname(prov.__file__), "tests", "json",
                                       "*.json")))


def _read(text: str) -> prov.model.ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prov.read(io.StringIO(text), format="json")


@functools.cache
def unified_documents() -> list[str]:
    """The corpus documents that prov round-trips and that are already unified (an id names
    one record): their union after a split must give them back."""
    chosen = []
    for path in CORPUS:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            original = _read(text)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if _read(original.serialize(format="json")) != original:
                    continue
                if original.unified() != original:
                    continue
        except Exception:  # prov cannot read or unify it: not a provgraph question
            continue
        chosen.append(text)
    return chosen


def _split(content: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], ...]:
    parts: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    for part in parts:
        if "prefix" in content:
            part["prefix"] = content["prefix"]
    for section, records in content.items():
        if section in ("prefix", "bundle"):
            continue
        for record_id, record in records.items():
            # Only a record with an identifier PROV unifies on may be divided: an unnamed or
            # keyless relation divided would be two different records.
            mergeable = not record_id.startswith("_:") and section not in KEYLESS
            where = data.draw(st.sampled_from(["first", "second", "both"]))
            if where != "both" or not mergeable:
                for side in (0, 1) if where == "both" else (int(where == "second"),):
                    parts[side].setdefault(section, {})[record_id] = record
                continue
            halves: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
            for name, value in record.items():
                # PROV's own attributes go to both halves; the others to either.
                sides = (0, 1) if name.startswith("prov:") else (
                    data.draw(st.sampled_from([(0,), (1,), (0, 1)])),)[0]
                for side in sides:
                    halves[side][name] = value
            for side in (0, 1):
                parts[side].setdefault(section, {})[record_id] = halves[side]
    for bundle_id, bundle in content.get("bundle", {}).items():
        for side, half in enumerate(_split(bundle, data)):
            if len(half) > ("prefix" in half):
                parts[side].setdefault("bundle", {})[bundle_id] = half
    return parts


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_split_documents_merge_back_into_the_unified_original(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(unified_documents()))
    original = json.loads(text)
    first, second = _split(original, data)
    order = data.draw(st.sampled_from([(first, second), (second, first)]))
    g = provgraph.connect("sqlite:///:memory:")
    for part in order:
        g.import_prov(json.dumps(part))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _read(text).unified()
    assert _read(g.export_prov()) == expected


def test_most_of_the_corpus_takes_part() -> None:
    assert len(unified_documents()) > 300
