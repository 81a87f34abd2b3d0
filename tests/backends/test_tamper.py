"""Tamper evidence and redaction, on every backend: edits made behind provgraph's back —
SQL on the SQLite file, Cypher on Neo4j — are named by verify; redaction keeps it green."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import provgraph
from provgraph import InvalidEventError, NotFoundError, chain
from provgraph.chain import GENESIS
from provgraph.graph import Graph
from provgraph.redact import MARK


class Tamper:
    """Direct writes to a store's database, the way an insider (or a bug) would make them."""

    def __init__(self, graph: Graph) -> None:
        self.store: Any = graph.store
        self.neo4j = not hasattr(self.store, "path")

    def run(self, sql: str, cypher: str, **params: Any) -> None:
        if self.neo4j:
            with self.store._driver.session(database=self.store.database) as session:
                session.run(cypher, params).consume()
        else:
            with sqlite3.connect(self.store.path) as db:
                db.execute(sql, params)

    def edit_node(self, node_id: str, data: str) -> None:
        self.run("UPDATE node_versions SET data = :data WHERE id = :id AND version = 1",
                 "MATCH (v:PGNodeVersion {id: $id, version: 1}) SET v.data = $data",
                 id=node_id, data=data)

    def add_relation(self, src: str, dst: str) -> None:
        self.run(
            "INSERT INTO relation_versions(key, version, relation, src, dst, role, follow,"
            " data, digest, recorded_at, superseded_at) SELECT 'wasDerivedFrom:' || :src"
            " || '->' || :dst, 1, 'wasDerivedFrom', :src, :dst, NULL, 1, '{}', 'x',"
            " MAX(recorded_at), 9223372036854775807 FROM relation_versions",
            "MATCH (a:PGNode {id: $src}), (b:PGNode {id: $dst}) CREATE (a)-[:wasDerivedFrom]->(b)",
            src=src, dst=dst)

    def delete_node(self, node_id: str) -> None:
        self.run("DELETE FROM node_versions WHERE id = :id",
                 "MATCH (v:PGNodeVersion {id: $id}) DELETE v", id=node_id)

    def end_validity(self, node_id: str) -> None:
        self.run("UPDATE node_versions SET superseded_at = 5 WHERE id = :id",
                 "MATCH (v:PGNodeVersion {id: $id}) SET v.superseded_at = 5", id=node_id)

    def edit_chain(self, seq: int) -> None:
        self.run("UPDATE chain SET body = replace(body, '\"rows\"', '\"rows\" ') WHERE seq = :seq",
                 "MATCH (c:PGChain {seq: $seq}) SET c.body = c.body + ' '", seq=seq)


def _ingest_in_batches(graph: Graph) -> int:
    events = provgraph.demo.reference_events()
    for event in events:
        graph.ingest(event)
    return len(events)


def test_intact_store_verifies_and_replays_add_no_entry(graph: Graph) -> None:
    batches = _ingest_in_batches(graph)
    report = graph.verify()
    assert report.ok, report.problems
    assert report.entries == batches
    assert report.rows > 50
    graph.ingest(provgraph.demo.reference_events())  # a replay writes nothing
    again = graph.verify()
    assert again.ok and again.entries == batches and again.head == report.head
    assert graph.verify(head=report.head).ok


def test_empty_store_verifies(graph: Graph) -> None:
    report = graph.verify()
    assert report.ok and report.entries == 0 and report.head == "0:" + GENESIS


def test_a_node_edited_in_the_database_is_named(graph: Graph) -> None:
    _ingest_in_batches(graph)
    node = graph.node("B")
    Tamper(graph).edit_node("B", node.data.replace("vendor-license", "apache-2.0"))
    problems = graph.verify().problems
    assert problems == ["node 'B' version 1: changed outside provgraph"]


def test_a_relation_added_in_the_database_is_named(graph: Graph) -> None:
    _ingest_in_batches(graph)
    Tamper(graph).add_relation("M1", "P")
    problems = graph.verify().problems
    assert len(problems) == 1
    assert "'wasDerivedFrom:M1->P'" in problems[0] or "(M1)-[:wasDerivedFrom]->(P)" in problems[0]
    assert "added outside provgraph" in problems[0]


def test_a_removed_node_and_a_moved_interval_are_named(graph: Graph) -> None:
    _ingest_in_batches(graph)
    tamper = Tamper(graph)
    tamper.delete_node("c1")
    tamper.end_validity("B")
    problems = graph.verify().problems
    assert "node 'c1' version 1: removed outside provgraph (batch 1)" in problems or any(
        p.startswith("node 'c1' version 1: removed outside provgraph") for p in problems)
    assert any(p.startswith("node 'B' version 1: validity interval changed") for p in problems)


def test_an_edited_chain_entry_is_found(graph: Graph) -> None:
    _ingest_in_batches(graph)
    Tamper(graph).edit_chain(2)
    problems = graph.verify().problems
    assert "chain: entry 2 was edited (its hash does not match its content)" in problems


def test_a_rewritten_chain_fails_against_the_head_kept_elsewhere(graph: Graph) -> None:
    _ingest_in_batches(graph)
    kept = graph.verify().head
    seq, digest = kept.split(":")
    forged = f"{seq}:{'f' * 64}"
    problems = graph.verify(head=forged).problems
    assert problems == [f"chain: entry {seq} is not the one given by --head "
                        "(the chain was rewritten since)"]
    assert graph.verify(head=f"{int(seq) + 3}:{digest}").problems[0].startswith(
        f"chain: entry {int(seq) + 3} given by --head is missing")
    with pytest.raises(provgraph.ProvgraphError, match="SEQ:HASH"):
        graph.verify(head="latest")


@pytest.mark.parametrize("backend", ["neo4j"])  # a graph outside provgraph's nodes
def test_a_relationship_between_nodes_without_ids_is_named(graph: Graph) -> None:
    _ingest_in_batches(graph)
    Tamper(graph).run("", "CREATE (:Other)-[:wasDerivedFrom {follow: 2}]->(:Other)")
    problems = graph.verify().problems
    assert any("(None)-[:wasDerivedFrom]->(None)" in p and "added outside provgraph" in p
               for p in problems), problems


@pytest.mark.parametrize("backend", ["neo4j"])  # Neo4j's own derived state
def test_opaque_intervals_edited_in_neo4j_are_named(graph: Graph) -> None:
    _ingest_in_batches(graph)
    Tamper(graph).run("", "MATCH (n:PGNode {id: 'B'}) SET n.opaque_from = [], n.opaque_to = []")
    problems = graph.verify().problems
    assert "node 'B': opaque intervals changed outside provgraph" in problems


@pytest.mark.parametrize("backend", ["neo4j"])  # Neo4j's own derived state
def test_opaque_copy_added_to_a_relationship_of_a_never_opaque_node_is_named(
        graph: Graph) -> None:
    """A node never opaque stores no interval lists, nor do its relationships (an empty
    list is not stored): a copy added behind provgraph's back is still caught."""
    _ingest_in_batches(graph)
    Tamper(graph).run("", "MATCH (:PGNode {id: 'S1-int8'})-[r:wasDerivedFrom]->() "
                          "SET r.src_opaque_from = [0], r.src_opaque_to = [1]")
    problems = graph.verify().problems
    assert any(p.startswith("relation 'wasDerivedFrom:S1-int8->") and "opaque" in p
               for p in problems), problems


# -- what each column's chain hash covers -------------------------------------------------
#
# A chain entry lists each row's content digest (form 2); the digest covers a node's id,
# kind, type, opacity and stored JSON, a relation's key, role and stored JSON. verify
# computes it again from the columns and checks the columns the key and JSON imply: an
# edit of any one column is named.

_RETYPED = "MATCH (a:PGNode {id: 'S1-int8'})-[r:wasDerivedFrom]->(b:PGNode {id: 'S1'})"

COLUMN_EDITS = {
    "a relation's target": (
        "UPDATE relation_versions SET dst = 'M1' WHERE key = 'wasDerivedFrom:S1-int8->S1'",
        _RETYPED + ", (m:PGNode {id: 'M1'}) CREATE (a)-[s:wasDerivedFrom]->(m)"
                   " SET s = properties(r) DELETE r",
        "relation 'wasDerivedFrom:S1-int8->S1' version 1"),
    "a relation's type": (
        "UPDATE relation_versions SET relation = 'alternateOf'"
        " WHERE key = 'wasDerivedFrom:S1-int8->S1'",
        _RETYPED + " CREATE (a)-[s:alternateOf]->(b) SET s = properties(r) DELETE r",
        "relation 'wasDerivedFrom:S1-int8->S1' version 1"),
    "whether a relation is followed": (
        "UPDATE relation_versions SET follow = 0 WHERE key = 'wasDerivedFrom:S1-int8->S1'",
        _RETYPED + " SET r.follow = false",
        "relation 'wasDerivedFrom:S1-int8->S1' version 1"),
    "a node's stored digest alone": (
        "UPDATE node_versions SET digest = 'ab' || substr(digest, 3) WHERE id = 'B'",
        "MATCH (v:PGNodeVersion {id: 'B'}) SET v.digest = 'ab' + substring(v.digest, 2)",
        "node 'B' version 1"),
    "a missing type spelled None": (
        "UPDATE node_versions SET type = 'None' WHERE id = 'untyped'",
        "MATCH (v:PGNodeVersion {id: 'untyped'}) SET v.type = 'None'",
        "node 'untyped' version 1"),
    "a tombstone revived": (
        "UPDATE node_versions SET retracted = 0 WHERE id = 'gone' AND version = 2",
        "MATCH (v:PGNodeVersion {id: 'gone', version: 2}) SET v.retracted = false",
        "node 'gone' version 2"),
}


@pytest.mark.parametrize("edit", sorted(COLUMN_EDITS))
def test_an_edit_of_any_column_is_named(graph: Graph, edit: str) -> None:
    _ingest_in_batches(graph)
    graph.ingest({"id": "extra", "nodes": [{"id": "untyped", "kind": "entity"},
                                           {"id": "gone", "kind": "entity"}]})
    graph.ingest({"id": "retract", "retract": {"nodes": ["gone"]}})
    assert [v.retracted for v in graph.history("gone")] == [False, True]
    assert graph.verify().ok
    sql, cypher, named = COLUMN_EDITS[edit]
    Tamper(graph).run(sql, cypher)
    problems = graph.verify().problems
    assert f"{named}: changed outside provgraph" in problems, problems


def test_ends_the_key_cannot_split_are_still_covered(graph: Graph) -> None:
    # wasDerivedFrom:x->y->z is the key of x->y to z and of x to y->z: such a row's chain
    # hash covers its columns whole (form 1), so moving the split is named.
    graph.ingest({"id": "arrows", "nodes": [
        {"id": i, "kind": "entity"} for i in ("x->y", "z", "x", "y->z")], "relations": [
        {"relation": "wasDerivedFrom", "from": "x->y", "to": "z"}]})
    assert graph.verify().ok
    Tamper(graph).run(
        "UPDATE relation_versions SET src = 'x', dst = 'y->z'",
        "MATCH (:PGNode {id: 'x->y'})-[r:wasDerivedFrom]->(:PGNode {id: 'z'}),"
        " (a:PGNode {id: 'x'}), (b:PGNode {id: 'y->z'})"
        " CREATE (a)-[s:wasDerivedFrom]->(b) SET s = properties(r) DELETE r")
    assert ("relation 'wasDerivedFrom:x->y->z' version 1: changed outside provgraph"
            in graph.verify().problems)


def test_an_opacity_flag_written_by_hand_is_named(graph: Graph) -> None:
    # SQLite reads opacity as `opaque = 1`: a 2 is not opaque there, though truthy.
    _ingest_in_batches(graph)
    Tamper(graph).run("UPDATE node_versions SET opaque = 2 WHERE id = 'B'",
                      "MATCH (v:PGNodeVersion {id: 'B'}) SET v.opaque = 2")
    assert "node 'B' version 1: changed outside provgraph" in graph.verify().problems


def test_a_store_written_in_the_first_form_verifies_and_takes_new_batches(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    # Entries written before form 2 list a hash over every column; verify reads both forms
    # in one store, and a redaction rewrites rows of either in the form their entry lists.
    monkeypatch.setattr(chain, "WRITE_FORM", 1)
    old = _ingest_in_batches(graph)
    _person(graph)
    monkeypatch.setattr(chain, "WRITE_FORM", 2)
    graph.ingest({"id": "later", "nodes": [{"id": "person:ada", "kind": "agent",
                                            "attributes": {"email": "ada@example.org"}}]})
    forms = [entry.form for entry in graph.store.log.chain(limit=1000)]
    assert forms == [1] * (old + 1) + [2]
    assert graph.verify().ok
    assert graph.redact(["person:ada"], ["email"], salt=b"s").versions == 2
    report = graph.verify()
    assert report.ok, report.problems
    assert report.entries == old + 3
    tamper = Tamper(graph)
    tamper.edit_node("B", '{"attributes":{}}')  # a row of a form-1 entry
    tamper.run("UPDATE node_versions SET kind = 'activity' WHERE id = 'person:ada'"
               " AND version = 2",
               "MATCH (v:PGNodeVersion {id: 'person:ada', version: 2}) SET v.kind = 'activity'")
    problems = graph.verify().problems
    assert "node 'B' version 1: changed outside provgraph" in problems
    assert "node 'person:ada' version 2: changed outside provgraph" in problems


# -- redaction --------------------------------------------------------------------------


def _person(graph: Graph) -> None:
    graph.ingest([
        {"id": "p1", "nodes": [{"id": "person:ada", "kind": "agent", "type": "Person",
                                "attributes": {"email": "ada@example.org", "team": "nlp"}}]},
        {"id": "p2", "nodes": [{"id": "person:ada", "kind": "agent", "type": "Person",
                                "attributes": {"email": "ada@example.org", "team": "vision"}}],
         "relations": [{"relation": "wasAttributedTo", "from": "M1", "to": "person:ada"}]},
    ])


def test_redaction_erases_every_version_and_keeps_the_chain(reference: Graph) -> None:
    _person(reference)
    shape = reference.ancestry("M1", include_agents=True).to_dict()
    result = reference.redact(["person:ada"], ["email"], salt=b"pepper", reason="GDPR #12")
    assert result.versions == 1  # both events landed in one batch: one version
    for version in reference.history("person:ada"):
        assert version.attributes["email"].startswith(MARK)
        assert "ada@example.org" not in version.data
    assert reference.node("person:ada").attributes["team"] == "vision"
    assert reference.ancestry("M1", include_agents=True).to_dict() == shape
    report = reference.verify()
    assert report.ok, report.problems
    # The same salt gives the same hash, so equal values can still be matched.
    from provgraph.redact import redacted

    assert reference.node("person:ada").attributes["email"] == redacted(
        "ada@example.org", b"pepper")
    # Tampering after a redaction is still found.
    Tamper(reference).edit_node("person:ada", '{"attributes":{"email":"ada@example.org"}}')
    assert reference.verify().problems == [
        "node 'person:ada' version 1: changed outside provgraph"]


def test_redaction_of_history_and_bad_requests(graph: Graph) -> None:
    graph.ingest({"id": "a", "nodes": [{"id": "u", "kind": "agent",
                                        "attributes": {"email": "x@y.z"}}]})
    graph.ingest({"id": "b", "nodes": [{"id": "u", "kind": "agent",
                                        "attributes": {"email": "x@y.z", "v": 2}}]})
    entries = graph.verify().entries
    with pytest.raises(NotFoundError, match="'nobody'"):
        graph.redact(["u", "nobody"], ["email"])
    with pytest.raises(InvalidEventError):
        graph.redact([], ["email"])
    assert graph.verify().entries == entries  # nothing written
    assert graph.redact(["u"], ["email"]).versions == 2
    assert all("x@y.z" not in v.data for v in graph.history("u"))
    assert graph.redact(["u"], ["email"]).versions == 0  # already erased
    report = graph.verify()
    assert report.ok, report.problems
    assert report.entries == entries + 2
    # Re-ingesting the original event is a known replay: the value does not come back.
    graph.ingest({"id": "b", "nodes": [{"id": "u", "kind": "agent",
                                        "attributes": {"email": "x@y.z", "v": 2}}]})
    assert graph.node("u").attributes["email"].startswith(MARK)


# -- exports carry the chain head ---------------------------------------------------------


def test_export_carries_the_head_and_edits_to_it_are_named(reference: Graph,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "m1.json"
    with path.open("w") as out:
        reference.export_prov("M1", out=out)
    document = json.loads(path.read_text())
    stamp = document["prefix"]["pgchain"]
    assert stamp.startswith("urn:provgraph:chain:" + reference.verify().head + ":")
    assert reference.verify_export(path) == []
    # New batches after the export do not matter: the file is compared at its own head.
    reference.ingest({"id": "later", "nodes": [{"id": "later", "kind": "entity"}]})
    assert reference.verify_export(path) == []
    document["entity"]["pgid:B"]["pg:note"] = "edited"
    del document["entity"]["pgid:c1"]
    path.write_text(json.dumps(document))
    assert reference.verify_export(path) == [
        "export: entity 'pgid:B' was edited in the file",
        "export: entity 'pgid:c1' was removed from the file",
    ]
    del document["prefix"]["pgchain"]
    with pytest.raises(InvalidEventError, match="no provgraph chain stamp"):
        reference.verify_export(json.dumps(document))


def test_reimporting_an_export_does_not_keep_its_stamp(reference: Graph) -> None:
    text = reference.export_prov("M1")
    other = provgraph.connect("sqlite:///:memory:")
    other.import_prov(text)
    again = json.loads(other.export_prov())
    assert again["prefix"]["pgchain"] != json.loads(text)["prefix"]["pgchain"]
    assert other.verify().ok
