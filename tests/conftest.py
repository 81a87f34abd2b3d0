"""Fixtures: a fresh graph on every backend, and a real Neo4j to run the Neo4j half on.

Where the Neo4j comes from, in order: ``PROVGRAPH_TEST_NEO4J_URI`` (with ``NEO4J_USER`` /
``NEO4J_PASSWORD``) if set; else testcontainers' Neo4jContainer if a Docker engine answers;
else the local Maven launcher (``neo4j-local/``), started here and stopped at the end, also
when tests fail. With ``CI=true`` a Neo4j test never skips: if no Neo4j can be had, it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import provgraph
from provgraph.graph import Graph

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_PORT = int(os.environ.get("PROVGRAPH_TEST_NEO4J_PORT", "17687"))
#: The local test server runs with authentication on, so wrong credentials can be tested.
TEST_PASSWORD = "provgraph-test-pw"


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[dict[str, Any]]:
    """Connection options for a real Neo4j, for the whole session."""
    explicit = os.environ.get("PROVGRAPH_TEST_NEO4J_URI")
    if explicit:
        options = {"uri": explicit}
        if os.environ.get("NEO4J_PASSWORD"):
            options.update(user=os.environ.get("NEO4J_USER", "neo4j"),
                           password=os.environ["NEO4J_PASSWORD"])
        yield options
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer  # type: ignore[import-untyped]

        with Neo4jContainer("neo4j:5.26") as container:
            yield {"uri": container.get_connection_url(), "user": "neo4j",
                   "password": container.password}
        return
    from provgraph.neo4j_local import LauncherError, LocalNeo4j

    server = LocalNeo4j(port=TEST_PORT, password=TEST_PASSWORD)
    # A server another test session started is used, never stopped, from here.
    ours = not (server.pid() is not None and server.answers())
    try:
        server.start()
    except LauncherError as e:
        if IN_CI:
            pytest.fail(f"CI=true and no Neo4j could be started: {e}")
        pytest.skip(f"no Neo4j available: {e}")
    try:
        yield {"uri": server.uri, "user": "neo4j", "password": TEST_PASSWORD}
    finally:
        if ours:
            server.stop()


def wipe_neo4j(graph: Graph) -> None:
    """Delete everything (Community has one database: reset by deleting): relationships
    first, then nodes, in bounded transactions (a DETACH DELETE of a node with 100k
    relationships is one transaction, above the test server's memory limit)."""
    store: Any = graph.store
    with store._driver.session(database=store.database) as session:
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
                    ).consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(params=["sqlite", "neo4j"])
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend a conformance test runs on."""
    return str(request.param)


@pytest.fixture
def graph(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Graph]:
    """An empty graph on ``backend``."""
    if backend == "sqlite":
        g = provgraph.connect(f"sqlite:///{tmp_path / 'lineage.sqlite'}")
    else:
        options = dict(request.getfixturevalue("neo4j_server"))
        g = provgraph.connect(options.pop("uri"), **options)
        wipe_neo4j(g)
    try:
        yield g
    finally:
        g.close()


@pytest.fixture
def reference(graph: Graph) -> Graph:
    """The reference example (docs/queries.md) on ``graph``."""
    graph.ingest(provgraph.demo.reference_events())
    return graph
