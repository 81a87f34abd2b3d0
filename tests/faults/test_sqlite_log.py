"""The embedded store's write-ahead log: checkpointed beside the writer, never lost, and
files of earlier versions opened as they are."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import provgraph
from provgraph.store.sqlite_checkpoint import BACKSTOP_PAGES


def _db(graph: provgraph.Graph) -> sqlite3.Connection:
    connection: sqlite3.Connection = graph.store._db  # type: ignore[attr-defined]
    return connection


def _checkpoint_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("provgraph-checkpoint")]


def _batch(start: int, count: int) -> list[dict[str, object]]:
    return [{"id": f"log-{i}", "nodes": [{"id": f"n:{i}", "kind": "entity",
                                           "attributes": {"pad": "x" * 200}}]}
            for i in range(start, start + count)]


def _all_there(path: Path, events: list[str]) -> None:
    """Open the file again: every acknowledged event is stored and the chain verifies."""
    graph = provgraph.connect(str(path))
    assert len(graph.store.known_events(events)) == len(events)
    assert graph.verify().ok
    graph.close()


def test_log_is_checkpointed_by_the_thread_not_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    graph = provgraph.connect(str(path))
    assert _db(graph).execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
    empty = path.stat().st_size
    graph.ingest(_batch(0, 3000))  # about 300 log pages: far below the writer's backstop
    deadline = time.monotonic() + 20
    while path.stat().st_size == empty and time.monotonic() < deadline:
        time.sleep(0.05)
    # Only a checkpoint copies pages into the database file while it is open.
    assert path.stat().st_size > empty
    assert _checkpoint_threads()
    graph.close()
    assert not _checkpoint_threads()
    _all_there(path, [f"log-{i}" for i in range(3000)])


def test_a_writer_killed_before_any_checkpoint_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite"
    script = textwrap.dedent(f"""
        import os, provgraph
        from provgraph.store import sqlite_checkpoint
        sqlite_checkpoint.Checkpointer.committed = lambda self: None  # no checkpoint at all
        graph = provgraph.connect({str(path)!r})
        for start in range(0, 2000, 500):
            graph.ingest([{{"id": f"k-{{i}}", "nodes": [{{"id": f"k:{{i}}", "kind": "entity"}}]}}
                          for i in range(start, start + 500)])
        print("acknowledged", flush=True)
        os._exit(0)  # no close: the log is all there is
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "acknowledged" in out
    assert Path(str(path) + "-wal").stat().st_size > 0
    _all_there(path, [f"k-{i}" for i in range(2000)])


def test_file_with_the_old_current_version_indexes_opens_and_answers(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    graph = provgraph.connect(str(path))
    graph.ingest(_batch(0, 10))
    graph.close()
    old = sqlite3.connect(path)
    # What earlier versions created beside the primary keys.
    old.execute("CREATE INDEX node_versions_valid ON node_versions (id, superseded_at)")
    old.execute("CREATE INDEX relation_versions_valid ON relation_versions (key, superseded_at)")
    old.commit()
    old.close()
    graph = provgraph.connect(str(path))
    names = {name for (name,) in _db(graph).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not names & {"node_versions_valid", "relation_versions_valid"}
    graph.ingest({"id": "after", "nodes": [{"id": "n:0", "kind": "entity"}]})
    assert [n.version for n in graph.history("n:0")] == [1, 2]
    assert graph.verify().ok
    graph.close()


def test_a_failing_checkpoint_is_reported_once_and_the_writer_takes_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "failing.sqlite"
    graph = provgraph.connect(str(path))
    real = sqlite3.connect

    def refuse(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        if threading.current_thread().name.startswith("provgraph-checkpoint"):
            raise sqlite3.OperationalError("disk I/O error")
        connection: sqlite3.Connection = real(*args, **kwargs)
        return connection

    monkeypatch.setattr(sqlite3, "connect", refuse)  # the module the checkpointer calls
    with caplog.at_level(logging.WARNING, logger="provgraph.store.sqlite_checkpoint"):
        graph.ingest(_batch(0, 10))
        deadline = time.monotonic() + 20
        while _checkpoint_threads() and time.monotonic() < deadline:
            time.sleep(0.05)
        graph.ingest(_batch(10, 10))  # no new thread, no second warning
        assert not _checkpoint_threads()
    warnings = [r for r in caplog.records if "checkpoints beside the writer stopped" in r.message]
    assert len(warnings) == 1 and "disk I/O error" in warnings[0].message
    graph.close()
    _all_there(path, [f"log-{i}" for i in range(20)])
