"""Redaction of personal data (GDPR erasure) without breaking the hash chain.

Named attribute values of named nodes are replaced, in every recorded version, by
``redacted:hmac-sha256:<hex>`` — an HMAC of the value under a salt the store never sees. The
graph keeps its shape; equal values stay equal under one salt (so joins on them still work)
but cannot be recovered or confirmed without the salt. The redaction is its own event and
chain entry, which lists each rewritten row's old and new hash (never the values), so
``provgraph verify`` still accounts for every row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provgraph.clock import now_us
from provgraph.encoding import canonical_digest, canonical_json
from provgraph.errors import InvalidEventError, NotFoundError
from provgraph.events import node_digest
from provgraph.store.base import Store, StoredNode

MARK = "redacted:hmac-sha256:"


@dataclass
class Redaction:
    """What one redaction did."""

    event: str
    nodes: list[str]
    attributes: list[str]
    versions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


def redacted(value: Any, salt: bytes) -> str:
    """The replacement of ``value``: an HMAC-SHA-256 of its canonical JSON under ``salt``.

    >>> redacted("ada@example.org", b"k") == redacted("ada@example.org", b"k")
    True
    >>> redacted("ada@example.org", b"k").startswith(MARK)
    True
    """
    text = canonical_json(value)
    return MARK + hmac.new(salt, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _scrub(value: Any, names: set[str], salt: bytes) -> Any:
    """Replace every value under a key in ``names`` (or ``prefix:name``) inside ``value``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            bare = key.rsplit(":", 1)[-1] if isinstance(key, str) else key
            if (key in names or bare in names) and not (
                    isinstance(item, str) and item.startswith(MARK)):
                out[key] = redacted(item, salt)
            else:
                out[key] = _scrub(item, names, salt)
        return out
    if isinstance(value, list):
        return [_scrub(item, names, salt) for item in value]
    return value


def redact(store: Store, ids: Iterable[str], attributes: Iterable[str],
           salt: bytes | None = None, reason: str | None = None,
           event_id: str | None = None) -> Redaction:
    """Replace ``attributes`` of nodes ``ids`` in every version by salted hashes.

    With no ``salt`` a random one is used and forgotten: the values can then never be
    matched again. Raises NotFoundError for an id the store never recorded (nothing is
    changed), InvalidEventError for an empty list of ids or attributes.

    >>> import provgraph
    >>> g = provgraph.connect("sqlite:///:memory:")
    >>> _ = g.ingest({"id": "e1", "nodes": [{"id": "u", "kind": "agent",
    ...               "attributes": {"email": "ada@example.org"}}]})
    >>> g.redact(["u"], ["email"], salt=b"k").versions
    1
    >>> g.node("u").attributes["email"].startswith(MARK)
    True
    """
    node_ids, names = sorted(set(ids)), sorted(set(attributes))
    if not node_ids or not names:
        raise InvalidEventError("redaction: give at least one node id and one attribute name")
    missing = [i for i in node_ids if not store.history(i)]
    if missing:
        raise NotFoundError(f"redaction: no node {', '.join(map(repr, missing))} in the store")
    key = salt if salt is not None else secrets.token_bytes(32)
    wanted = set(names)

    def rewrite(version: StoredNode) -> tuple[str, str] | None:
        data = json.loads(version.data)
        scrubbed = _scrub(data, wanted, key)
        if scrubbed == data:
            return None
        text = canonical_json(scrubbed)
        return text, node_digest(version.id, version.kind, version.type, version.opaque, text)

    event = event_id or f"redaction:{uuid.uuid4()}"
    what = {"event": event, "nodes": node_ids, "attributes": names, "reason": reason}
    count = store.log.rewrite_nodes(node_ids, rewrite, event, canonical_digest({"redact": what}),
                                now_us(), what)
    return Redaction(event=event, nodes=node_ids, attributes=names, versions=count)
