"""PROV-N, PROV-XML and PROV-O through the prov library; DOT and Mermaid pictures."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import prov
import pytest
from click.testing import CliRunner

from provgraph.cli import main


@pytest.fixture
def uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert CliRunner().invoke(main, ["--uri", uri, "demo"]).exit_code == 0
    return uri


def export(uri: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--uri", uri, "export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("fmt", "reader"), [("provxml", "xml"), ("turtle", "rdf")])
def test_prov_formats_read_back_as_the_same_document(uri: str, fmt: str, reader: str) -> None:
    text = export(uri, "M1", "--format", fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = prov.read(io.StringIO(export(uri, "M1")), format="json")
        kwargs = {"rdf_format": "turtle"} if reader == "rdf" else {}
        again = prov.read(io.StringIO(text), format=reader, **kwargs)
    assert len(list(again.get_records())) == len(list(original.get_records()))


def test_provn(uri: str) -> None:
    text = export(uri, "M1", "--format", "provn")
    assert text.startswith("document")
    assert "prefix pg <https://w3id.org/provgraph/ns#>" in text
    assert "used(pgid:f1, pgid:B, -, [prov:role=\"base_model\"])" in text


def test_pictures(uri: str) -> None:
    dot = export(uri, "S1-int8", "--format", "dot")
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert '"B" [label="B\\nModel\\n(opaque)", shape=ellipse' in dot
    assert '"S1-int8" -> "q1" [label="wasGeneratedBy"];' in dot
    assert dot.count(" -> ") == 18  # 17 dependency edges and f1 wasAssociatedWith alice
    mermaid = export(uri, "s1", "--format", "mermaid", "--impact")
    assert mermaid.splitlines()[0] == "flowchart BT"
    assert '(["R<br/>System"])' in mermaid
    usage = CliRunner().invoke(main, ["--uri", uri, "export", "--format", "mermaid"])
    assert usage.exit_code == 2 and "give an ID" in usage.stderr
