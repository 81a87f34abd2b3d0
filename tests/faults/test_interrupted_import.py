"""A process killed in the middle of a large import leaves the store intact, and running the
import again completes it with no duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import provgraph
from provgraph import EventBuilder

EVENTS = 20_000


def _write_events(path: Path) -> None:
    with path.open("w") as out:
        for i in range(EVENTS):
            b = EventBuilder(f"bulk-{i}")
            b.entity(f"shard:{i}", "DataShard", n=i)
            if i:
                b.derived(f"shard:{i}", f"shard:{i - 1}")
            out.write(json.dumps(b.build()) + "\n")


def _counts(db: Path) -> tuple[int, int, int, int]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        nodes = con.execute("SELECT COUNT(*) FROM node_versions").fetchone()[0]
        distinct = con.execute("SELECT COUNT(DISTINCT id) FROM node_versions").fetchone()[0]
        relations = con.execute("SELECT COUNT(*) FROM relation_versions").fetchone()[0]
        return events, nodes, distinct, relations
    finally:
        con.close()


def test_killed_import_is_intact_and_resumable(tmp_path: Path) -> None:
    source = tmp_path / "bulk.jsonl"
    _write_events(source)
    db = tmp_path / "store.sqlite"
    command = [sys.executable, "-m", "provgraph.cli", "--uri", str(db), "import",
               "--batch-size", "100", "--quiet", str(source)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    written = 0
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            try:
                written = _counts(db)[0]
            except sqlite3.Error:
                written = 0
            if written >= 2_000:
                break
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    events, nodes, distinct, relations = _counts(db)
    assert 2_000 <= events < EVENTS
    assert events % 100 == 0, "only whole batches are kept"
    assert nodes == distinct == events
    assert relations == events - 1

    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{EVENTS - events} events imported, {events} already present" in done.stdout
    assert _counts(db) == (EVENTS, EVENTS, EVENTS, EVENTS - 1)
    with provgraph.connect(str(db)) as g:
        assert len(g.ancestry(f"shard:{EVENTS - 1}", depth=50).nodes) == 50
