"""The exceptions provgraph raises: one root, a few meaningful kinds.

Every error a caller can see derives from :class:`ProvgraphError`; driver, SQLite and
validation errors are wrapped at the boundary (``raise ... from e``) so callers catch one type.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


class ProvgraphError(Exception):
    """Root of every error provgraph raises."""


class InvalidEventError(ProvgraphError, ValueError):
    """An event (or a whole batch) was rejected: nothing of its batch was written."""


class NotFoundError(ProvgraphError, LookupError):
    """A node id is not in the store (as of the time asked)."""


class StoreUnavailableError(ProvgraphError):
    """The store cannot be reached or opened (server down, bad credentials, unreadable file)."""


class ConfigurationError(ProvgraphError, ValueError):
    """A URI, option or argument is not valid (e.g. an unknown URI scheme)."""


class ConflictError(ProvgraphError):
    """A write lost a race: another writer committed first something this batch relied on
    (an event it carries, or the version of a node it merges into). Nothing was written;
    reading again and retrying is safe.

    ``events`` are the batch's events found stored, ``moved`` the nodes whose version is not
    the one expected (id -> (version now, version expected)); both empty when the race was
    for something else (the hash chain's next entry).

    >>> error = ConflictError.of(["e2", "e1"], {"run": (2, 1)})
    >>> for part in str(error).split("; "):
    ...     print(part)
    events ['e1', 'e2'] were written meanwhile
    node 'run' changed meanwhile (version 2, expected 1)
    >>> str(error.about(["e1", "e9"], []))
    "events ['e1'] were written meanwhile"
    >>> error.about(["e9"], ["other"]) is None
    True
    """

    def __init__(self, message: str = "", *, events: Collection[str] = (),
                 moved: Mapping[str, tuple[int, int]] | None = None) -> None:
        super().__init__(message)
        self.events = frozenset(events)
        self.moved = dict(moved or {})

    @classmethod
    def of(cls, events: Collection[str] = (),
           moved: Mapping[str, tuple[int, int]] | None = None) -> ConflictError:
        """The conflict of a batch whose ``events`` another writer stored first and whose
        expected nodes ``moved``, with a message naming a few of them."""
        parts = []
        if events:
            parts.append(f"events {sorted(events)[:3]} were written meanwhile")
        for node_id, (now, expected) in sorted((moved or {}).items())[:3]:
            parts.append(f"node {node_id!r} changed meanwhile (version {now},"
                         f" expected {expected})")
        return cls("; ".join(parts), events=events, moved=moved)

    def about(self, events: Collection[str], expects: Collection[str]) -> ConflictError | None:
        """This conflict as it concerns one batch of a shared transaction, the batch naming
        ``events`` and expecting the nodes ``expects``; None when it concerns neither."""
        mine = self.events.intersection(events)
        moved = {node_id: self.moved[node_id] for node_id in expects if node_id in self.moved}
        return self.of(mine, moved) if mine or moved else None
