"""Bookkeeping every backend does the same way, written once: the conflict checks that make
concurrent writers safe, the next hash-chain entry, id paging, and a redaction's rewrite of one
node version. Backends only read and write the rows these decide about.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from provgraph.chain import GENESIS, ChainEntry, RowHash, row_hash
from provgraph.errors import ConflictError
from provgraph.events import ChangeSet
from provgraph.store.base import StoredNode

Rewrite = tuple[str, str, int, int, str, str]
"""A row a redaction rewrote: kind, key, version, its batch time, old and new chain hash."""


def admit(changes: ChangeSet, known: Collection[str], current: Mapping[str, int]
          ) -> tuple[ChangeSet, ConflictError | None]:
    """What of ``changes`` a store may write, given the batch's events another writer
    committed meanwhile (``known``) and the current versions (0: none) of the nodes it
    expects: all of it when nothing moved. Otherwise ConflictError naming every such
    event and node (the ingest pipeline then drops the events and writes the rest; a moved
    expectation is the caller's to read again) — unless ``changes`` is the union of batches
    sharing a transaction and the conflict spares some: then those, and the conflict that
    refuses the others (:meth:`~provgraph.errors.ConflictError.about` tells which)."""
    moved = {node_id: (current.get(node_id, 0), version)
             for node_id, version in changes.expect.items() if current.get(node_id, 0) != version}
    if not known and not moved:
        return changes, None
    error = ConflictError.of(known, moved)
    spared = [batch for batch in changes.members
              if error.about(batch.events, batch.expect) is None]
    if not spared:
        raise error
    return ChangeSet.union(spared), error


def next_entry(head: tuple[int, str] | None, recorded_at: int, rows: list[RowHash],
               rewrites: Collection[Rewrite] = (), redaction: dict[str, Any] | None = None,
               ) -> ChainEntry | None:
    """The chain entry a batch appends after ``head`` (``(seq, hash)`` of the last entry, or
    None for an empty chain); None when the batch wrote nothing."""
    if not rows and not rewrites:
        return None
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    return ChainEntry.make(seq, recorded_at, prev, rows, rewrites, redaction)


def paged(page: Callable[[str], list[str]], size: int) -> Iterator[str]:
    """Sorted ids read page by page: ``page(after)`` returns up to ``size`` ids after
    ``after``.

    >>> ids = ["a", "b", "c"]
    >>> list(paged(lambda after: [i for i in ids if i > after][:2], 2))
    ['a', 'b', 'c']
    """
    after = ""
    while True:
        found = page(after)
        yield from found
        if len(found) < size:
            return
        after = found[-1]


def rewrite_version(
    columns: tuple[Any, ...], rewrite: Callable[[StoredNode], tuple[str, str] | None],
    form: int,
) -> tuple[str, str, Rewrite] | None:
    """Apply ``rewrite`` to one node version given as its columns ``(id, version, kind, type,
    opaque, data, digest, retracted, recorded_at)``: the new data and digest, and the chain's
    record of the change, its hashes in ``form``, the form of the entry that lists the
    version; None when the version is left as it is."""
    node_id, version, kind, type_, opaque, data, digest, retracted, at = columns
    change = rewrite(StoredNode.from_row(node_id, kind, type_, opaque, data, version, at,
                                         retracted))
    if change is None:
        return None
    old = row_hash(form, "n", (node_id, version, kind, type_, opaque, data, digest, retracted))
    new = row_hash(form, "n", (node_id, version, kind, type_, opaque, *change, retracted))
    return change[0], change[1], ("n", node_id, int(version), int(at), old[3], new[3])
