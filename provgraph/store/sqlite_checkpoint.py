"""Checkpoints of the embedded store's write-ahead log, run beside the writer.

In WAL mode a commit appends pages to ``FILE-wal``; a checkpoint copies them back into the
database file. SQLite runs one inside the commit that pushes the log past 1,000 pages, so
the writer pays for it: at a million nodes a third of ingest time went to checkpoints.
:class:`Checkpointer` runs them on a thread of its own with its own connection instead (a
passive checkpoint blocks no reader and no writer, and SQLite releases the GIL while it
copies), and the writer's own automatic checkpoint only starts when the log passes
:data:`BACKSTOP_PAGES`, which happens only if the thread falls behind.

Durability does not depend on the checkpoint: a committed transaction is in the log (synced
under ``synchronous=FULL``), and SQLite recovers the log after a crash.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

_log = logging.getLogger(__name__)

BACKSTOP_PAGES = 16_000
"""The writer checkpoints itself past this many log pages (64 MiB of 4 KiB pages)."""

IDLE_SECONDS = 2.0
"""The thread closes its connection and ends after this long without a commit."""


class Checkpointer:
    """Checkpoints one SQLite file's log after commits, on a thread started on demand.

    >>> Checkpointer(":memory:").close()  # nothing to checkpoint, no thread
    """

    def __init__(self, path: str) -> None:
        """Checkpoint the database file at ``path`` (an in-memory database has no log)."""
        self._path = path
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failed = False

    def committed(self) -> None:
        """Say a transaction committed: the thread checkpoints soon (starting if needed)."""
        if self._path == ":memory:":
            return
        with self._lock:
            if self._closed or self._failed:
                return
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"provgraph-checkpoint:{self._path}", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        try:
            while not self._idle():
                self._wake.clear()
                try:
                    if db is None:
                        db = sqlite3.connect(self._path, isolation_level=None,
                                             check_same_thread=False)
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as e:
                    # A passive checkpoint that finds the log busy returns, it does not
                    # raise: this is the file itself failing. Say so once and stop; the
                    # writer's own checkpoint (past BACKSTOP_PAGES) keeps the log bounded.
                    _log.warning("SQLite store %s: checkpoints beside the writer stopped"
                                 " (%s); the writer checkpoints itself from now on",
                                 self._path, e)
                    with self._lock:
                        self._failed = True
                        self._thread = None
                    return
        finally:
            if db is not None:
                db.close()

    def _idle(self) -> bool:
        """Wait for a commit; True (and the thread forgotten) when closed or idle."""
        woken = self._wake.wait(IDLE_SECONDS)
        with self._lock:
            if self._closed or not (woken or self._wake.is_set()):
                self._thread = None
                return True
            return False

    def close(self) -> None:
        """Stop the thread (after the checkpoint it is running, if any)."""
        with self._lock:
            self._closed = True
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join()
