"""Neo4j down or refusing the login: one clear error naming the URI, never the password."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from click.testing import CliRunner

import provgraph
from provgraph.cli import main
from provgraph.store.neo4j import redact
from tests.conftest import IN_CI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_down_is_one_clear_error() -> None:
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(provgraph.StoreUnavailableError, match=f"cannot connect to Neo4j at {uri}"):
        provgraph.connect(uri, password="s3cret-pw")


def test_cli_server_down_no_traceback_no_password() -> None:
    uri = f"bolt://neo4j:s3cret-pw@127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(main, ["--uri", uri, "ancestry", "M1"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot connect to Neo4j at bolt://127.0.0.1:")
    assert "s3cret-pw" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_redact_removes_password() -> None:
    assert redact("neo4j+s://u:p@x.databases.neo4j.io") == "neo4j+s://u@x.databases.neo4j.io"


def test_wrong_credentials_are_one_clear_error(neo4j_server: dict[str, str]) -> None:
    if "password" not in neo4j_server:
        if IN_CI:
            pytest.fail("CI=true: give the test Neo4j a password (NEO4J_PASSWORD)")
        pytest.skip("this Neo4j runs without authentication (set NEO4J_PASSWORD)")
    with pytest.raises(provgraph.StoreUnavailableError) as raised:
        provgraph.connect(neo4j_server["uri"], user="neo4j", password="wrong-pw")
    message = str(raised.value)
    assert message.startswith(f"cannot connect to Neo4j at {neo4j_server['uri']}:")
    assert "wrong-pw" not in message and "unauthorized" in message.lower()
    result = CliRunner().invoke(main, ["--uri", neo4j_server["uri"], "ancestry", "x"],
                                env={"NEO4J_USER": "neo4j", "NEO4J_PASSWORD": "wrong-pw"})
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "wrong-pw" not in result.stderr and "Traceback" not in result.stderr


def test_a_transaction_out_of_memory_says_what_to_do(neo4j_server: dict[str, str]) -> None:
    options = dict(neo4j_server)
    graph = provgraph.connect(options.pop("uri"), **options)
    store: Any = graph.store
    try:
        # Far more than the test server's 716.8 MiB a transaction (a 1 GiB heap).
        with pytest.raises(provgraph.ProvgraphError) as raised:
            store._run(lambda tx: tx.run(
                "UNWIND range(1, 60000000) AS i WITH collect(i) AS xs RETURN size(xs)"
            ).consume())
    finally:
        graph.close()
    message = str(raised.value)
    assert "dbms.memory.transaction.total.max" in message
    assert "nothing of it was written" in message and "--heap 4g" in message


def test_neo4j_start_refuses_a_heap_that_is_no_size() -> None:
    result = CliRunner().invoke(main, ["neo4j", "start", "--heap", "lots", "--port",
                                       str(_free_port())])
    assert result.exit_code == 2 and "a size such as 512m or 4g" in result.output
