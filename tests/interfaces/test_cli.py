"""The CLI, run for real with click's CliRunner: exit codes, exact errors, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import provgraph
from provgraph.cli import main
from provgraph.demo import reference_events
from tests.json_lines import streamed_answer


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite'}"


def run(uri: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--uri", uri, *args])
    return result.exit_code, result.stdout, result.stderr


def test_demo_prints_ancestry_and_impact_and_is_idempotent(uri: str) -> None:
    code, out, _ = run(uri, "demo")
    assert code == 0
    assert "ancestry of S1-int8: 13 nodes" in out
    assert "impact of s1:" in out and "affected System: R" in out
    assert "opaque (lineage beyond these is unknown, not empty): B" in out
    code, out_again, _ = run(uri, "demo")
    assert code == 0 and "0 new events, 11 already there" in out_again
    def stable(text: str) -> list[str]:  # the audit's "generated at" line changes each run
        return [line for line in text.splitlines()[1:] if "generated" not in line]

    assert stable(out) == stable(out_again)
    assert "witness: {B, repo@abc, s1, s3}" in out
    assert "S1-int8 (tok-B) <- S1 (tok-B) <- M1 (tok-B) <- B (tok-B)" in out
    assert "Completeness: **91.7%**" in out


def test_ancestry_json_holds_the_reference_statements(uri: str) -> None:
    run(uri, "demo")
    code, out, _ = run(uri, "ancestry", "S1-int8", "--format", "json")
    assert code == 0
    data = json.loads(out)
    ids = {n["id"] for n in data["nodes"]}
    assert ids == {"q1", "S1", "d1", "M1", "f1", "clean@1", "p1", "c1", "c3", "s1", "s3",
                   "B", "repo@abc"}
    assert data["opaque"] == ["B"] and data["root"] == "S1-int8"


def test_impact_json_holds_the_reference_statements(uri: str) -> None:
    run(uri, "demo")
    s2 = json.loads(run(uri, "impact", "s2", "--format", "json")[1])
    assert {n["id"] for n in s2["nodes"]} == {"raw@1"}
    s1 = json.loads(run(uri, "impact", "s1", "--format", "json")[1])
    assert {"M1", "S1", "S1-int8", "I", "R"} <= {n["id"] for n in s1["nodes"]}
    base = json.loads(run(uri, "impact", "B", "--format", "json")[1])
    assert base["summary"] == {"Model": ["M1", "S1", "S1-int8"], "Index": ["I"], "System": ["R"]}


def test_lineage_tables_name_every_column_and_rules_fit_their_headers(uri: str) -> None:
    run(uri, "demo")
    code, out, _ = run(uri, "ancestry", "S1-int8")
    assert code == 0
    lines = out.splitlines()
    header, rule = next((lines[i], lines[i + 1]) for i, line in enumerate(lines)
                        if line.startswith("depth"))
    assert header.split() == ["depth", "id", "kind", "type", "opaque"]
    assert len(rule) == len(header)  # no rule runs past its header
    assert any(line.rstrip().endswith("opaque") and " B " in line for line in lines[2:])


def test_impact_summary_counts_by_type(uri: str) -> None:
    run(uri, "demo")
    code, out, _ = run(uri, "impact", "s1", "--summary", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["affected"]["Model"] == ["M1", "S1", "S1-int8"] and data["total"] >= 5
    code, out, _ = run(uri, "impact", "s1", "--summary")
    assert code == 0 and "affected System: R" in out and out.startswith("impact of s1:")
    code, _, err = run(uri, "ancestry", "s1", "--summary")
    assert code == 2 and "--summary applies to impact" in err


def test_lineage_as_json_lines_is_the_same_answer(uri: str) -> None:
    run(uri, "demo")
    for command, node in (("ancestry", "S1-int8"), ("impact", "B")):
        code, lines, _ = run(uri, command, node, "--format", "jsonl")
        assert code == 0 and len(lines.splitlines()) > 5
        _, whole, _ = run(uri, command, node, "--format", "json")
        assert streamed_answer(lines.splitlines(), "down" if command == "ancestry" else "up"
                               ) == json.loads(whole)
    code, _, err = run(uri, "impact", "B", "--summary", "--format", "jsonl")
    assert code == 2 and "--format json" in err


def test_unknown_node_is_one_line_and_exit_1(uri: str) -> None:
    run(uri, "demo")
    code, out, err = run(uri, "ancestry", "nope")
    assert code == 1 and out == ""
    assert err == f"Error: no node 'nope' in {uri}\n"


def test_bad_uri_scheme_lists_the_valid_ones(tmp_path: Path) -> None:
    code, _, err = run("mongodb://x", "ancestry", "M1")
    assert code == 1
    assert err.startswith("Error: unknown store URI scheme 'mongodb'; valid: bolt://")
    assert len(err.strip().splitlines()) == 1


def test_usage_error_exits_2(uri: str) -> None:
    code, _, err = run(uri, "ancestry", "M1", "--depth", "-1")
    assert code == 2 and "Invalid value for '--depth'" in err


def test_bad_as_of_is_a_clear_error(uri: str) -> None:
    run(uri, "demo")
    code, _, err = run(uri, "ancestry", "M1", "--as-of", "yesterday")
    assert code == 1 and err == "Error: as_of: not an ISO-8601 timestamp: 'yesterday'\n"


def test_show_lists_attributes_relations_and_versions(uri: str) -> None:
    run(uri, "demo")
    code, out, _ = run(uri, "show", "M1", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["attributes"] == {"tokenizer": "tok-B"}
    assert {"relation": "wasDerivedFrom", "from": "M1", "to": "B", "role": None,
            "copies": {"tokenizer": "tokenizer"}} in data["relations"]
    assert [v["version"] for v in data["history"]] == [1]


def test_import_json_list_and_jsonl(uri: str, tmp_path: Path) -> None:
    events = reference_events()
    listing = tmp_path / "events.json"
    listing.write_text(json.dumps(events[:3]))
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(e) for e in events[3:]) + "\n")
    code, out, _ = run(uri, "import", str(listing), str(lines))
    assert code == 0, out
    assert "events.json: 3 events imported, 0 already present" in out
    assert "events.jsonl: 3 events imported" in out
    data = json.loads(run(uri, "ancestry", "S1-int8", "--format", "json")[1])
    assert len(data["nodes"]) == 13


def test_import_reads_standard_input(uri: str, tmp_path: Path) -> None:
    # `-` reads standard input, as JSON Lines (a pipe from another tool) or one PROV-JSON
    # document; a bad stream is refused whole with its line, and formats that need a file
    # say so.
    lines = "\n".join(json.dumps(e) for e in reference_events()) + "\n"
    result = CliRunner().invoke(main, ["--uri", uri, "import", "-"], input=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("-: 6 events imported, 0 already present")
    assert len(json.loads(run(uri, "ancestry", "S1-int8", "--format", "json")[1])["nodes"]) == 13
    document = run(uri, "export")[1]
    copy = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    result = CliRunner().invoke(main, ["--uri", copy, "import", "--format", "prov-json", "-"],
                                input=document)
    assert result.exit_code == 0, result.output
    assert run(copy, "show", "pgid:S1-int8")[0] == 0
    for form, text, message in [
            ("native", lines + "{oops\n", "Error: -:7: invalid JSON:"),
            ("prov-json", "x", "Error: invalid PROV-JSON: line 1: Expecting value"),
            ("prov-json", "", "Error: invalid PROV-JSON: line 1: Expecting value")]:
        result = CliRunner().invoke(main, ["--uri", f"sqlite:///{tmp_path / 'bad.sqlite'}",
                                           "import", "--format", form, "-"], input=text)
        assert result.exit_code == 1 and result.stderr.startswith(message), result.stderr
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "hf", "-"],
                                input="---\n---\n")
    assert result.exit_code == 2 and "not --format hf" in result.stderr
    with provgraph.connect(f"sqlite:///{tmp_path / 'bad.sqlite'}") as bad:
        assert list(bad.store.ids(2**62)) == []


def test_import_rejects_invalid_json_and_writes_nothing(uri: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    good_line = json.dumps(reference_events()[0])
    bad.write_text(good_line + "\n{not json\n")
    code, _, err = run(uri, "import", str(bad))
    assert code == 1 and err.startswith(f"Error: {bad}:2: invalid JSON:")
    assert run(uri, "show", "raw@1")[0] == 1


@pytest.mark.parametrize("form", ["native", "openlineage", "prov-json"])
def test_import_refuses_json_nested_too_deeply_to_read(uri: str, tmp_path: Path,
                                                       form: str) -> None:
    # Python's parser gives up (RecursionError) on JSON nested thousands deep: one line
    # naming the file, not "unexpected RecursionError", and nothing written.
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run(uri, "import", "--format", form, str(deep))
    assert code == 1
    assert err.strip().endswith("nested too deeply to read"), err
    assert "Recursion" not in err and err.count("\n") == 1
    assert run(uri, "show", "raw@1")[0] == 1


def test_import_names_the_bad_event_and_field(uri: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    events = reference_events()
    events[2]["relations"][0]["to"] = "missing-model"
    bad.write_text(json.dumps(events))
    code, _, err = run(uri, "import", str(bad))
    assert code == 1
    assert "event 'demo:reference:finetune': field relations.0.to: unknown node" in err
    assert run(uri, "show", "raw@1")[0] == 1


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(main))
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    summary = result.stdout.split("\n\n")[1].strip()
    assert len(summary) > 10, f"{command} has no help text"


def test_verify_and_redact_commands(uri: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(uri, "demo")[0] == 0
    code, out, _ = run(uri, "verify")
    assert code == 0 and "OK: nothing changed outside provgraph" in out
    head = out.splitlines()[0].split("head ")[1]
    code, out, _ = run(uri, "verify", "--head", head, "--format", "json")
    assert code == 0 and json.loads(out)["ok"] is True and json.loads(out)["head"] == head
    assert run(uri, "export", "M1", "-o", str(tmp_path / "m1.json"))[0] == 0
    assert run(uri, "verify", "--export", str(tmp_path / "m1.json"))[0] == 0
    code, _, err = run(uri, "redact", "B", "-a", "license", "--salt-env", "NO_SUCH_VAR")
    assert code == 2 and "NO_SUCH_VAR" in err
    monkeypatch.setenv("PG_SALT", "pepper")
    code, out, _ = run(uri, "redact", "B", "-a", "license", "--salt-env", "PG_SALT",
                       "--format", "json")
    assert code == 0 and json.loads(out)["versions"] == 1
    assert "pepper" not in out
    code, out, _ = run(uri, "show", "B", "--format", "json")
    assert "vendor-license" not in out and "redacted:hmac-sha256:" in out
    # The export made before the redaction no longer matches: the file holds erased data.
    code, out, _ = run(uri, "verify", "--export", str(tmp_path / "m1.json"))
    assert code == 1 and "TAMPERED: export: entity 'pgid:B' was edited in the file" in out
    code, _, err = run(uri, "redact", "nobody", "-a", "email")
    assert code == 1 and "no node 'nobody'" in err
    path = uri.removeprefix("sqlite:///")
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("UPDATE node_versions SET type = 'Dataset' WHERE id = 'M1'")
    code, out, _ = run(uri, "verify")
    assert code == 1 and "TAMPERED: node 'M1' version 1: changed outside provgraph" in out
    assert "FAILED: 1 problem(s)" in out
