"""Group commit: batches that writers of one process hand to a store at the same time are
written in one transaction, and each writer is answered only after that commit.

A store's ``write`` passes through :class:`GroupCommit`. With one writer nothing changes: its
batch is written alone, at once. While a transaction is in flight, the batches that arrive
queue; the next writer to lead takes every queued batch that can share a transaction and
writes them as one. Batches share a transaction only when they retract nothing, name
disjoint events, and write the same content wherever they write the same node or relation
(and no batch expects a version of a node another writes), so the folded union writes
exactly the versions the batches would have written one after the other (no version of one
batch hides another's); each batch's counts are read back from what the store wrote.
Every writer gets the answer writing alone would have given it. Batches whose events were
stored meanwhile, or whose expected nodes moved, get that conflict, and the store writes the
others in the same transaction (:func:`~provgraph.store.bookkeeping.admit`: one raced
OpenLineage run costs its group nothing). If the shared transaction fails on anything else
a batch may have caused (bad input), nothing of it was written, and each batch is written
alone. The pipeline's usual retries then apply unchanged.

>>> from provgraph.events import ChangeSet
>>> written = []
>>> def write(changes, recorded_at):
...     written.append(sorted(changes.events))
...     return WriteStats(events=len(changes.events))
>>> GroupCommit(write).write(ChangeSet(events={"e1": "digest"}), 1).events, written
(1, [['e1']])
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from provgraph.errors import ConflictError, InvalidEventError
from provgraph.events import ChangeSet
from provgraph.store.base import WriteStats

MAX_GROUP_ROWS = 5_000
"""A shared transaction holds at most this many events, node and relation versions (well
under Neo4j's default transaction memory); a larger batch is written alone."""

Write = Callable[[ChangeSet, int], WriteStats]


class _Batch:
    """One writer's batch, waiting for (or holding) its answer."""

    def __init__(self, changes: ChangeSet, recorded_at: int) -> None:
        self.changes = changes
        self.recorded_at = recorded_at
        self.done = False
        self.stats: WriteStats | None = None
        self.error: BaseException | None = None

    @property
    def rows(self) -> int:
        return self.changes.rows

    def answer(self) -> WriteStats:
        if self.error is not None:
            raise self.error
        assert self.stats is not None
        return self.stats


class GroupCommit:
    """Coalesces the concurrent ``write`` calls of one process (see the module's doc)."""

    def __init__(self, write: Write, max_rows: int = MAX_GROUP_ROWS) -> None:
        self._write = write
        self._max_rows = max_rows
        self._changed = threading.Condition()
        self._queue: list[_Batch] = []
        self._leading = False
        self.transactions = 0
        """Transactions written so far (a shared one counts once)."""

    def write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        """Write ``changes`` (alone or with concurrent batches) and return what it changed;
        raises what writing it alone would raise."""
        if not _shareable(changes, self._max_rows):
            self.transactions += 1
            return self._write(changes, recorded_at)
        mine = _Batch(changes, recorded_at)
        with self._changed:
            self._queue.append(mine)
            while not mine.done and self._leading:
                self._changed.wait()
            if mine.done:
                return mine.answer()
            self._leading = True
        try:
            # Lead until this writer's own batch is written; batches queued behind the
            # group in flight go in the next one.
            while not mine.done:
                with self._changed:
                    group = self._take()
                self._commit(group)
                with self._changed:
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._leading = False
                self._changed.notify_all()
        return mine.answer()

    def _take(self) -> list[_Batch]:
        """Remove and return the queued batches that can share one transaction, oldest
        first; a batch that conflicts with one taken waits for the next transaction."""
        group: list[_Batch] = []
        events: set[str] = set()
        nodes: dict[str, str] = {}  # node id -> the digest of the version a batch writes
        relations: dict[str, str] = {}  # relation key -> the same
        expected: dict[str, int] = {}  # node id -> the version a batch expects
        rows = 0
        for batch in list(self._queue):
            changes = batch.changes
            if group and (rows + batch.rows > self._max_rows
                          or not events.isdisjoint(changes.events)
                          or _conflicts(changes, nodes, relations, expected)):
                continue
            group.append(batch)
            self._queue.remove(batch)
            events.update(changes.events)
            nodes.update((i, row.digest) for i, row in changes.nodes.items())
            relations.update((k, row.digest) for k, row in changes.relations.items())
            expected.update(changes.expect)
            rows += batch.rows
        return group

    def _commit(self, group: list[_Batch]) -> None:
        """Write ``group`` in one transaction; every batch ends done, with its stats or its
        error. Batches that a conflict concerns (events stored meanwhile, expected nodes
        that moved) get their part of it, and the store writes the others in the same
        transaction; if it fails on anything else a batch may have caused (bad input), each
        is written alone."""
        try:
            if len(group) == 1:
                self._alone(group[0])
                return
            try:
                self.transactions += 1
                stats = self._write(ChangeSet.union([b.changes for b in group]),
                                    max(b.recorded_at for b in group))
            except ConflictError as error:  # it concerned every batch, or something else
                for batch in _refused(group, error):
                    self._alone(batch)
                return
            except InvalidEventError:
                for batch in group:
                    self._alone(batch)
                return
            except BaseException as error:  # the store is down: the same answer for all
                for batch in group:
                    batch.error = error
                return
            written = _refused(group, stats.refused) if stats.refused else group
            seen_nodes: set[str] = set()
            seen_relations: set[str] = set()
            for batch in written:
                batch.stats = _share(batch.changes, stats, seen_nodes, seen_relations)
        finally:
            for batch in group:
                batch.done = True

    def _alone(self, batch: _Batch) -> None:
        self.transactions += 1
        try:
            batch.stats = self._write(batch.changes, batch.recorded_at)
        except BaseException as error:
            batch.error = error


def _shareable(changes: ChangeSet, max_rows: int) -> bool:
    """Whether ``changes`` may share a transaction: no retractions (they reach relations no
    batch names) and not larger than a shared transaction."""
    if changes.retracted_nodes or changes.retracted_relations:
        return False
    return changes.rows <= max_rows


def _refused(group: list[_Batch], error: ConflictError) -> list[_Batch]:
    """Give each batch of ``group`` that ``error`` concerns its own part of the conflict (what
    writing it alone would raise: its events stored, or a node it expects moved); return the
    others (all of them for a conflict naming nothing, a race for the chain's next entry)."""
    rest = []
    for batch in group:
        mine = error.about(batch.changes.events, batch.changes.expect)
        if mine is None:
            rest.append(batch)
        else:
            batch.error = mine
    return rest


def _share(changes: ChangeSet, stats: WriteStats, seen_nodes: set[str],
           seen_relations: set[str]) -> WriteStats:
    """What a shared transaction wrote of ``changes``: a version two batches of the group
    both asked for counts for the first (written alone, the second would find it stored).
    ``seen_nodes`` and ``seen_relations`` collect the versions counted so far."""
    nodes = (stats.nodes_written & changes.nodes.keys()) - seen_nodes
    relations = (stats.relations_written & changes.relations.keys()) - seen_relations
    seen_nodes.update(nodes)
    seen_relations.update(relations)
    return WriteStats(events=len(changes.events), node_versions=len(nodes),
                      relation_versions=len(relations))


def _conflicts(changes: ChangeSet, nodes: dict[str, str], relations: dict[str, str],
               expected: dict[str, int]) -> bool:
    """Whether ``changes`` may not join a group that writes the node and relation versions
    ``nodes`` and ``relations`` (id or key -> digest) and expects the nodes ``expected`` (id
    -> version): it writes another version of a node or relation the group writes (the
    history must keep both), it expects a node the group writes or writes one the group
    expects (the expectation must see the write), or it expects another version of a node
    the group expects (the shared transaction checks one)."""
    for node_id, row in changes.nodes.items():
        if nodes.get(node_id, row.digest) != row.digest or node_id in expected:
            return True
    for key, rrow in changes.relations.items():
        if relations.get(key, rrow.digest) != rrow.digest:
            return True
    return any(node_id in nodes or expected.get(node_id, version) != version
               for node_id, version in changes.expect.items())


__all__ = ["MAX_GROUP_ROWS", "GroupCommit"]
