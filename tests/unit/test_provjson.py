"""PROV-JSON: every document of the prov library's own corpus round-trips through provgraph,
native exports are read by prov with provgraph's meanings in the pg namespace, the First
Provenance Challenge answers ancestry like a plain graph computation, bad input is refused."""

from __future__ import annotations

import glob
import io
import json
import os
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import prov
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import provgraph
from provgraph import InvalidEventError, ProvgraphError
from provgraph.cli import main
from provgraph.graph import Graph
from tests.backends.test_fuzz_importers import PROV, mutated

CORPUS = sorted(glob.glob(os.path.join(os.path.dirname(prov.__file__), "tests", "json",
                                       "*.json")))
PC1 = os.path.join(os.path.dirname(prov.__file__), "tests", "xml", "pc1.xml")


def _read(text: str) -> prov.model.ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prov.read(io.StringIO(text), format="json")


def test_the_prov_corpus_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(CORPUS) > 300
    passed, failed = 0, []
    for path in CORPUS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            original = prov.read(path, format="json")
            if _read(original.serialize(format="json")) != original:
                continue  # prov cannot round-trip it itself: not a provgraph question
        g = provgraph.connect("sqlite:///:memory:")
        g.import_prov(path)
        if _read(g.export_prov()) == original:
            passed += 1
        else:
            failed.append(os.path.basename(path))
    with capsys.disabled():
        print(f"\nPROV-JSON corpus round trip: {passed} of {len(CORPUS)} passed")
    assert failed == []
    assert passed == len(CORPUS)


@pytest.mark.parametrize("name", ["bundle1.json", "bundle4.json", "member3.json",
                                  "derivation1.json", "usage1.json", "attr_entity_one_attr12.json"])
def test_round_trip_on_every_backend(graph: Graph, name: str) -> None:
    path = next(p for p in CORPUS if p.endswith("/" + name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = prov.read(path, format="json")
    graph.import_prov(path)
    assert _read(graph.export_prov()) == original
    assert graph.import_prov(path).skipped_events == 1


def test_native_export_is_read_by_prov_with_pg_meanings(reference: Graph) -> None:
    text = reference.export_prov()
    document = _read(text)
    assert len(list(document.get_records())) > 40
    data = json.loads(text)
    assert data["prefix"]["pg"] == "https://w3id.org/provgraph/ns#"
    assert data["entity"]["pgid:B"]["pg:opaque"] is True
    assert data["entity"]["pgid:B"]["prov:type"] == {"$": "pg:Model",
                                                     "type": "prov:QUALIFIED_NAME"}
    used = list(data["used"].values())
    assert {"prov:activity": "pgid:f1", "prov:entity": "pgid:B", "prov:role": "base_model"} \
        in used
    assert any(u.get("pg:granularity") == "members" for u in used)
    derived = list(data["wasDerivedFrom"].values())
    assert any(d.get("pg:copies") == ["license", "tokenizer"] for d in derived)


def test_export_of_an_ancestry_holds_only_it(reference: Graph) -> None:
    data = json.loads(reference.export_prov("M1"))
    entities = set(data["entity"])
    assert {"pgid:M1", "pgid:B", "pgid:clean@1", "pgid:s1"} <= entities
    assert "pgid:S1" not in entities and "pgid:s2" not in entities
    assert "pgid:alice" in data["agent"]


def test_exported_lineage_reimports_with_the_same_answers(reference: Graph) -> None:
    copy = provgraph.connect("sqlite:///:memory:")
    copy.import_prov(reference.export_prov())
    assert copy.why("pgid:S1-int8").witnesses == [
        ["pgid:B", "pgid:repo@abc", "pgid:s1", "pgid:s3"]]
    assert [c["node"] for c in copy.where("pgid:S1-int8", "tokenizer").chain] == [
        "pgid:S1-int8", "pgid:S1", "pgid:M1", "pgid:B"]


def test_first_provenance_challenge_ancestry_matches_a_graph_computation() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = prov.read(PC1, format="xml")
    text = document.serialize(format="json")
    data = json.loads(text)
    atlas = next(k for k, v in data["entity"].items() if v.get("prov:label") == "Atlas X Graphic")
    g = provgraph.connect("sqlite:///:memory:")
    g.import_prov(text)
    expected = nx.DiGraph()
    ends = {"used": ("prov:activity", "prov:entity"),
            "wasGeneratedBy": ("prov:entity", "prov:activity"),
            "wasDerivedFrom": ("prov:generatedEntity", "prov:usedEntity")}
    for relation, (a, b) in ends.items():
        for record in data.get(relation, {}).values():
            for r in record if isinstance(record, list) else [record]:
                if a in r and b in r:
                    expected.add_edge(r[a], r[b])
    answer = g.ancestry(atlas)
    assert answer.ids == nx.descendants(expected, atlas)
    assert len(answer.ids) > 20


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "invalid PROV-JSON: line 1"),
    ('{"entity": {"ex:e": {}}, "wasFooedBy": {}}', "unknown record type 'wasFooedBy'"),
    ('{"used": {"_:u": {"prov:activity": 5}}}', "prov:activity must name a node"),
    ('["a"]', "the document must be a JSON object"),
    ("[" * 100_000 + "]" * 100_000, "invalid PROV-JSON: nested too deeply to read"),
    ('{"entity": {"ex:e": {"ex:a": ' + "[" * 17 + "]" * 17 + "}}}",
     "entity 'ex:e': attribute 'ex:a': a value nested deeper than 16 levels"),
    ('{"entity": {"ex:e": {"ex:a": [1, {"type": "xsd:int"}]}}}',
     "entity 'ex:e': attribute 'ex:a': a value object needs its value as \"\\$\""),
    # A "$" holding an object was stored with its keys sorted, while prov reads the text of
    # the Python dict in the order written: the export was no longer equal to the input.
    ('{"entity": {"ex:e": {"prov:type": {"$": {"b": 1, "a": 2}, "type": "xsd:string"}}}}',
     "attribute 'prov:type': a value object needs its value as \"\\$\", a string or a number"),
])
def test_malformed_prov_json_is_refused_and_writes_nothing(text: str, message: str) -> None:
    g = provgraph.connect("sqlite:///:memory:")
    with pytest.raises(InvalidEventError, match=message.replace("(", r"\(")):
        g.import_prov(text)
    assert list(g.store.ids(2**62)) == []


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=mutated(PROV))
def test_a_document_prov_reads_comes_back_equal_or_is_refused(value: Any) -> None:
    # A valid document with one part replaced by random JSON: whenever the prov library reads
    # it (and reads its own serialization as equal), provgraph either refuses it with a
    # ProvgraphError or exports a document prov reads as equal to it.
    text = json.dumps(value)
    try:
        original = _read(text)
        if _read(original.serialize(format="json")) != original:
            return
    except Exception:
        return  # not a document prov reads: the fuzz test of the importers covers it
    g = provgraph.connect("sqlite:///:memory:")
    try:
        g.import_prov(text)
    except ProvgraphError:
        return
    assert _read(g.export_prov()) == original


MALFORMED = sorted(glob.glob(os.path.join(os.path.dirname(prov.__file__), "tests",
                                          "malformed", "*.json")))


@pytest.mark.parametrize("path", MALFORMED, ids=os.path.basename)
def test_the_prov_librarys_malformed_documents_are_refused(path: str) -> None:
    # The prov library's own malformed PROV-JSON: each refused whole, with a one-line reason,
    # and nothing written. (A value object without its "$" value was once stored and then
    # exported again as a document no reader accepts.)
    g = provgraph.connect("sqlite:///:memory:")
    with pytest.raises(InvalidEventError, match="^(invalid|cannot read) PROV-JSON") as refused:
        g.import_prov(Path(path))
    assert "\n" not in str(refused.value)
    assert list(g.store.ids(2**62)) == []


def test_cli_import_and_export(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'p.sqlite'}"
    path = next(p for p in CORPUS if p.endswith("/bundle1.json"))
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "prov-json", path])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["--uri", uri, "export", "-o", str(out)])
    assert result.exit_code == 0 and out.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert prov.read(str(out), format="json") == prov.read(path, format="json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"entity": []}')
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "prov-json",
                                       str(bad)])
    assert result.exit_code == 1
    assert result.stderr == "Error: invalid PROV-JSON: document: entity must map ids to records\n"


def test_native_exports_validate_against_the_prov_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(prov.__file__).parent / "tests" / "schemas" / "prov-json.schema.json"
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    g = provgraph.connect("sqlite:///:memory:")
    g.ingest(provgraph.demo.demo_events())
    for root in (None, "S1-int8", "deploy:chat-prod"):
        errors = sorted(str(e.message) for e in validator.iter_errors(
            json.loads(g.export_prov(root))))
        assert errors == [], errors[:3]


def test_streamed_export_memory_is_flat_in_the_graph_size(tmp_path: Path) -> None:
    import tracemalloc

    def peak(chains: int) -> tuple[float, int]:
        g = provgraph.connect(f"sqlite:///{tmp_path / f'flat{chains}.sqlite'}")
        events = []
        for c in range(chains):
            b = provgraph.EventBuilder(f"chain-{c}")
            for i in range(20):
                b.entity(f"e{c}-{i}", "Dataset", note="x" * 50)
                if i:
                    b.derived(f"e{c}-{i}", f"e{c}-{i - 1}")
            events.append(b.build())
        g.ingest(events)
        tracemalloc.start()
        with open(os.devnull, "w") as sink:
            g.export_prov(out=sink)
        used = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return used, chains * 20

    small, small_nodes = peak(50)
    large, large_nodes = peak(1000)
    assert large_nodes == 20 * small_nodes
    # Twenty times the graph must not cost anywhere near twenty times the memory.
    assert large < 3 * small, (small, large)
