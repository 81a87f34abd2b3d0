"""The exceptions provgraph raises: one root, a few meaningful kinds.

Every error a caller can see derives from :class:`ProvgraphError`; driver, SQLite and
validation errors are wrapped at the boundary (``raise ... from e``) so callers catch one type.
"""

from __future__ import annotations


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
    reading again and retrying is safe."""
