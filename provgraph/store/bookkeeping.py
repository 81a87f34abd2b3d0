"""Bookkeeping every backend does the same way, written once: the conflict checks that make
concurrent writers safe, the next hash-chain entry, id paging, and a redaction's rewrite of one
node version. Backends only read and write the rows these decide about.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from provgraph.chain import GENESIS, ChainEntry, RowHash, node_row_hash
from provgraph.errors import ConflictError
from provgraph.store.base import StoredNode

Rewrite = tuple[str, str, int, int, str, str]
"""A row a redaction rewrote: kind, key, version, its batch time, old and new chain hash."""


def refuse_known(known: Collection[str]) -> None:
    """ConflictError if another writer committed some of a batch's events meanwhile (the
    ingest pipeline then drops them and writes the rest)."""
    if known:
        raise ConflictError(f"events {sorted(known)[:3]} were written meanwhile")


def refuse_moved(expect: Mapping[str, int], current: Mapping[str, int]) -> None:
    """ConflictError if a node's current version (0: none) is not the one a conditional
    write was computed from."""
    for node_id, version in expect.items():
        now = current.get(node_id, 0)
        if now != version:
            raise ConflictError(f"node {node_id!r} changed meanwhile (version {now},"
                                f" expected {version})")


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
) -> tuple[str, str, Rewrite] | None:
    """Apply ``rewrite`` to one node version given as its columns ``(id, version, kind, type,
    opaque, data, digest, retracted, recorded_at)``: the new data and digest, and the chain's
    record of the change; None when the version is left as it is."""
    node_id, version, kind, type_, opaque, data, digest, retracted, at = columns
    change = rewrite(StoredNode.from_row(node_id, kind, type_, opaque, data, version, at,
                                         retracted))
    if change is None:
        return None
    old = node_row_hash(node_id, version, kind, type_, opaque, data, digest, retracted)
    new = node_row_hash(node_id, version, kind, type_, opaque, *change, retracted)
    return change[0], change[1], ("n", node_id, int(version), int(at), old[3], new[3])
