"""Fuzzing the HTTP API from its own OpenAPI schema (schemathesis): whatever a client sends,
the server answers without a 5xx, and a refused request writes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

import provgraph
from provgraph.server import create_app

TOKEN = "fuzz-token"
_folder = tempfile.mkdtemp(prefix="provgraph-fuzz-")
GRAPH = provgraph.connect(f"sqlite:///{Path(_folder) / 'fuzz.sqlite'}")
GRAPH.ingest(provgraph.demo.reference_events())
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(GRAPH, TOKEN))


def _head() -> str | None:
    entry = GRAPH.store.log.chain_at(2**62)
    return entry.hash if entry else None


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_refusals_write_nothing(case: Any) -> None:
    before = _head()
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        assert _head() == before, "a refused request wrote something"


def test_fuzzed_store_still_verifies() -> None:
    report = GRAPH.verify()
    assert report.ok, report.problems
