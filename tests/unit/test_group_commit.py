"""Group commit's rules, on a fake store whose transactions are slow enough to overlap."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from provgraph.errors import ConflictError, StoreUnavailableError
from provgraph.events import ChangeSet
from provgraph.store.base import WriteStats
from provgraph.store.bookkeeping import admit
from provgraph.store.group import GroupCommit


class FakeStore:
    """Writes change sets after a pause; refuses an event named ``conflict`` (a moved
    expectation) and everything while ``down``."""

    def __init__(self) -> None:
        self.transactions: list[list[str]] = []
        self.failed: list[list[str]] = []
        self.down = False
        self.versions: dict[str, int] = {}  # nodes' current versions, for ``expect``
        self.stored: set[str] = set()  # events stored by another writer

    def write(self, changes: ChangeSet, recorded_at: int) -> WriteStats:
        time.sleep(0.02)
        if self.down:
            raise StoreUnavailableError("the store is down")
        if "conflict" in changes.events:
            self.failed.append(sorted(changes.events))
            raise ConflictError("'conflict' moved")
        try:  # as the stores check a batch, before writing anything
            changes, refused = admit(changes, self.stored & changes.events.keys(),
                                     self.versions)
        except ConflictError:
            self.failed.append(sorted(changes.events))
            raise
        self.transactions.append(sorted(changes.events))
        return WriteStats(events=len(changes.events), node_versions=len(changes.nodes),
                          nodes_written=set(changes.nodes), refused=refused)


def _batch(event: str, node: str | None = None, digest: str | None = None) -> ChangeSet:
    """A batch of one event writing a version of ``node`` (its content: ``digest``, by
    default one of its own)."""
    changes = ChangeSet(events={event: "d"})
    if node:
        changes.nodes[node] = SimpleNamespace(digest=digest or event)  # type: ignore[assignment]
    return changes


def _concurrently(group: GroupCommit, batches: list[ChangeSet]
                  ) -> dict[str, WriteStats | BaseException]:
    answers: dict[str, WriteStats | BaseException] = {}

    def write(changes: ChangeSet) -> None:
        try:
            answers[next(iter(changes.events))] = group.write(changes, 1)
        except BaseException as e:  # noqa: BLE001 - the answer under test
            answers[next(iter(changes.events))] = e

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
        time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_concurrent_batches_share_transactions_and_each_gets_its_own_counts() -> None:
    store = FakeStore()
    group = GroupCommit(store.write)
    answers = _concurrently(group, [_batch(f"e{i}", f"n{i}") for i in range(12)])
    assert sorted(e for t in store.transactions for e in t) == sorted(f"e{i}" for i in range(12))
    assert len(store.transactions) < 12
    assert max(len(t) for t in store.transactions) > 1
    for i in range(12):
        answer = answers[f"e{i}"]
        assert isinstance(answer, WriteStats)
        assert (answer.events, answer.node_versions) == (1, 1)


def test_batches_writing_other_versions_of_one_node_never_share_a_transaction() -> None:
    store = FakeStore()
    answers = _concurrently(GroupCommit(store.write),
                            [_batch(f"e{i}", "same") for i in range(6)])
    assert all(len(t) == 1 for t in store.transactions)
    assert len(store.transactions) == 6 and all(isinstance(a, WriteStats)
                                               for a in answers.values())


def test_batches_writing_the_same_version_share_it_and_the_first_counts_it() -> None:
    # As written one after the other: the first writes the version, the rest find it.
    store = FakeStore()
    answers = _concurrently(GroupCommit(store.write),
                            [_batch(f"e{i}", "same", digest="one content") for i in range(6)])
    assert len(store.transactions) < 6
    counted = [a.node_versions for a in answers.values() if isinstance(a, WriteStats)]
    assert len(counted) == 6 and sum(counted) == len(store.transactions)


def test_a_batch_expecting_a_node_another_writes_waits_for_it() -> None:
    store = FakeStore()
    expecting = _batch("e-expect")
    expecting.expect["n0"] = 1
    _concurrently(GroupCommit(store.write),
                  [_batch("e-first"), _batch("e0", "n0"), expecting, _batch("e9", "n9")])
    together = next(t for t in store.transactions if "e0" in t)
    assert "e-expect" not in together


def test_a_conflict_in_a_shared_transaction_fails_only_its_own_batch() -> None:
    store = FakeStore()
    batches = [_batch(f"e{i}", f"n{i}") for i in range(5)]
    batches.insert(2, _batch("conflict", "c"))
    answers = _concurrently(GroupCommit(store.write), batches)
    assert isinstance(answers["conflict"], ConflictError)
    assert sorted(e for t in store.transactions for e in t) == [f"e{i}" for i in range(5)]
    assert all(isinstance(answers[f"e{i}"], WriteStats) for i in range(5))


def test_a_conflict_naming_some_batches_refuses_them_and_writes_the_rest() -> None:
    # Only the batches a conflict concerns get it (their own part of it); the others are
    # written in the same transaction, not sent back to one transaction each.
    store = FakeStore()
    store.versions["run"] = 2
    store.stored.add("e-replayed")
    batches = [_batch(f"e{i}", f"n{i}") for i in range(8)]
    stale = _batch("e-stale")
    stale.expect["run"] = 1
    current = _batch("e-current")
    current.expect["run"] = 2
    batches[3:3] = [stale, _batch("e-replayed"), current]
    answers = _concurrently(GroupCommit(store.write), batches)
    stale_error, replayed_error = answers["e-stale"], answers["e-replayed"]
    assert isinstance(stale_error, ConflictError) and isinstance(replayed_error, ConflictError)
    assert (stale_error.moved, stale_error.events) == ({"run": (2, 1)}, frozenset())
    assert "e-replayed" not in str(stale_error)
    assert (replayed_error.moved, replayed_error.events) == ({}, {"e-replayed"})
    written = sorted(e for t in store.transactions for e in t)
    assert written == sorted([f"e{i}" for i in range(8)] + ["e-current"])
    assert all(isinstance(answers[e], WriteStats) for e in written)
    # The conflicts cost no transaction of their own: the others were written beside them.
    assert not store.failed
    assert len(store.transactions) <= 4 and max(len(t) for t in store.transactions) > 1


def test_a_raised_conflict_answers_the_batches_it_names_and_writes_the_others() -> None:
    # A store that raises a conflict naming some batches of a shared transaction (rather
    # than writing the others itself): those keep their conflict, the rest go alone.
    store = FakeStore()
    raised: list[list[str]] = []

    def write(changes: ChangeSet, recorded_at: int) -> WriteStats:
        if len(changes.events) > 1 and "e-named" in changes.events:
            raised.append(sorted(changes.events))
            raise ConflictError.of(["e-named"])
        return store.write(changes, recorded_at)

    answers = _concurrently(GroupCommit(write),
                            [_batch("e0", "n0"), _batch("e1", "n1"), _batch("e-named"),
                             _batch("e2", "n2")])
    assert raised
    assert isinstance(answers["e-named"], ConflictError)
    assert answers["e-named"].events == {"e-named"}
    assert all(isinstance(answers[e], WriteStats) for e in ("e0", "e1", "e2"))
    assert "e-named" not in {e for t in store.transactions for e in t}


def test_a_store_that_is_down_answers_every_waiting_batch_with_its_error() -> None:
    store = FakeStore()
    store.down = True
    answers = _concurrently(GroupCommit(store.write),
                            [_batch(f"e{i}", f"n{i}") for i in range(6)])
    assert all(isinstance(a, StoreUnavailableError) for a in answers.values())
    assert len(answers) == 6 and not store.transactions


def test_a_batch_larger_than_a_shared_transaction_is_written_alone() -> None:
    store = FakeStore()
    big = ChangeSet(events={f"big{i}": "d" for i in range(5)})
    assert GroupCommit(store.write, max_rows=3).write(big, 1).events == 5
    assert store.transactions == [sorted(big.events)]


def test_one_writer_is_written_at_once() -> None:
    store = FakeStore()
    group = GroupCommit(store.write)
    for i in range(3):
        assert group.write(_batch(f"e{i}"), 1).events == 1
    assert store.transactions == [["e0"], ["e1"], ["e2"]]


@pytest.mark.parametrize("retract", ["nodes", "relations"])
def test_retractions_are_written_alone(retract: str) -> None:
    # A retraction reaches relations no batch names, so it never shares a transaction.
    batches = []
    for i in range(5):
        changes = _batch(f"r{i}")
        if retract == "nodes":
            changes.retracted_nodes.add(f"x{i}")
        else:
            changes.retracted_relations[f"k{i}"] = None  # type: ignore[assignment]
        batches.append(changes)
    store = FakeStore()
    answers = _concurrently(GroupCommit(store.write), batches)
    assert len(store.transactions) == 5 and all(len(t) == 1 for t in store.transactions)
    assert all(isinstance(a, WriteStats) for a in answers.values())
