"""The audit report through the CLI: JSON, Markdown, and an HTML page that a real headless
browser (Debian's chromium) renders with every checklist row."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from provgraph.cli import main

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture
def uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    assert CliRunner().invoke(main, ["--uri", uri, "demo"]).exit_code == 0
    return uri


def test_audit_json_and_markdown(uri: str) -> None:
    result = CliRunner().invoke(main, ["--uri", uri, "audit", "model:acme-1b-int8",
                                       "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["counts"] == {"present": 11, "missing": 1, "unknowable": 0}
    assert data["score"] == 91.7
    markdown = CliRunner().invoke(main, ["--uri", uri, "audit", "B"]).stdout
    assert "| Training data (versioned) | unknowable | `B` |" in markdown


def test_why_and_where_through_cli_json(uri: str) -> None:
    why = json.loads(CliRunner().invoke(
        main, ["--uri", uri, "why", "S1-int8", "--format", "json", "--check", "s2"]).stdout)
    assert why["witnesses"] == [["B", "repo@abc", "s1", "s3"]] and why["truncated"] is False
    assert why["checks"] == {"s2": "none"}
    where = json.loads(CliRunner().invoke(
        main, ["--uri", uri, "where", "S1-int8", "tokenizer", "--format", "json"]).stdout)
    assert [c["node"] for c in where["chain"]] == ["S1-int8", "S1", "M1", "B"]
    assert where["origin"] == "B"


def test_html_report_renders_in_headless_chromium(uri: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    page = tmp_path / "audit.html"
    result = CliRunner().invoke(main, ["--uri", uri, "audit", "model:acme-1b-int8",
                                       "--format", "html", "-o", str(page)])
    assert result.exit_code == 0 and "completeness 91.7%" in result.stdout
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert re.search(r'id="score">Completeness: <strong>91\.7%</strong>', dom)
    assert len(re.findall(r'<tr class="(present|missing|unknowable)">', dom)) == 12
    assert "<code>person:bob</code>" in dom
    shot = tmp_path / "audit.png"
    subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}-shot",
         f"--screenshot={shot}", "--window-size=1100,800", page.as_uri()],
        capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
