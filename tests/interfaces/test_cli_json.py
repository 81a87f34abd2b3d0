"""The reference example (docs/queries.md) through the CLI's JSON output, on every backend."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from provgraph.cli import main
from provgraph.graph import Graph


@pytest.fixture
def cli(reference: Graph, backend: str, request: pytest.FixtureRequest) -> Any:
    env = {}
    if backend == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        env = {"NEO4J_USER": server.get("user", ""), "NEO4J_PASSWORD": server.get("password", "")}

    def run(*args: str) -> Any:
        result = CliRunner().invoke(main, ["--uri", reference.uri, *args, "--format", "json"],
                                    env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def test_reference_statements_through_cli_json(cli: Any) -> None:
    ancestry = cli("ancestry", "S1-int8")
    assert {n["id"] for n in ancestry["nodes"]} == {
        "q1", "S1", "d1", "M1", "f1", "clean@1", "p1", "c1", "c3", "s1", "s3", "B", "repo@abc"}
    assert ancestry["opaque"] == ["B"]
    assert {n["id"] for n in cli("impact", "s2")["nodes"]} == {"raw@1"}
    assert {"M1", "S1", "S1-int8", "I", "R"} <= {n["id"] for n in cli("impact", "s1")["nodes"]}
    assert cli("why", "S1-int8")["witnesses"] == [["B", "repo@abc", "s1", "s3"]]
    assert cli("why", "R")["witnesses"] == [["B", "K", "P", "repo@abc", "s1", "s3"]]
    where = cli("where", "S1-int8", "tokenizer")
    assert [c["node"] for c in where["chain"]] == ["S1-int8", "S1", "M1", "B"]
    assert where["origin"] == "B"
