"""The tamper-evident hash chain every store keeps beside the graph.

Each batch a store commits appends one :class:`ChainEntry` in the same transaction. The
entry lists every row the batch wrote — events, node versions, relation versions,
tombstones — as ``[kind, key, version, row hash]``. The row hash covers every column of
the row except ``superseded_at`` (which a later batch sets, and which :mod:`provgraph.verify`
checks by re-deriving it). In form 2 (:data:`FORM`, entries whose body says ``"form": 2``)
it is the version's content digest, which ingest computes anyway: verify computes it again
and checks the columns it leaves to the key and the stored JSON (:func:`node_digest_hash`,
:func:`relation_digest_hash`). Form 1, a second hash over all the columns, is what entries
written before it list; verify reads both.

The entry's hash commits to its position, time, the previous entry's hash and a digest of
its body, so changing, adding or removing any row, or any entry,
shows up when :func:`provgraph.verify.verify` recomputes them.

A redaction (GDPR erasure) rewrites rows in place; its entry lists each rewrite as
``[kind, key, version, recorded_at, old hash, new hash]``, so the batches that first wrote
those rows stay verifiable.

The chain lives in the store it protects, so someone able to rewrite the whole store can
rewrite the chain too: keep its head (``provgraph verify`` prints it, exports carry it)
somewhere else, and check it later with ``provgraph verify --head``.

>>> first = ChainEntry.make(1, 10, GENESIS, [event_row_hash("e1", "d1")])
>>> first.hash == ChainEntry.make(1, 10, GENESIS, [event_row_hash("e1", "d1")]).hash
True
>>> first.seal_ok()
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provgraph.encoding import canonical_digest, canonical_json, encode_basestring, sha256_hex
from provgraph.events import node_digest, relation_digest
from provgraph.model import RelationName, relation_key

GENESIS = "0" * 64
"""The ``prev`` of the first entry."""

MODULUS = 2**256

_type = type  # the row hashes' column named ``type`` shadows the builtin

RowHash = tuple[str, str, int, str]
"""``(kind, key, version, hash)``; kind is ``e`` (event), ``n`` (node) or ``r`` (relation)."""


def _sha(value: Any) -> str:
    # Canonical JSON writes a value someone stored by hand (a Neo4j date, bytes) as a string.
    return canonical_digest(value)


def _version(value: Any) -> int:
    """A stored version number; anything else (a row written by hand) counts as -1."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _row_sha(value: list[Any]) -> str:
    """``_sha(value)`` of a row: its canonical JSON written directly when every value is a
    string, None, bool or int as provgraph stores them (the same text the encoder writes,
    without its per-call machinery), else through the encoder (a column edited by hand)."""
    parts = []
    for item in value:
        kind = type(item)
        if kind is str:
            parts.append(encode_basestring(item))
        elif item is None:
            parts.append("null")
        elif kind is bool:
            parts.append("true" if item else "false")
        elif kind is int:
            parts.append(int.__repr__(item))
        else:
            return _sha(value)
    return sha256_hex("[" + ",".join(parts) + "]")


def node_row_hash(
    id: str, version: int, kind: str, type: str | None, opaque: Any, data: str, digest: str,
    retracted: Any,
) -> RowHash:
    """The chain's hash of one node version (every column but ``superseded_at``).

    >>> value = ["n", "a", 1, "entity", None, False, '{"attributes":{"é":1}}', "d", False]
    >>> node_row_hash("a", 1, "entity", None, 0, value[6], "d", 0)[3] == _sha(value)
    True
    """
    version = _version(version)
    if (str is _type(id) is _type(kind) is _type(data) is _type(digest)
            and (type is None or _type(type) is str)):
        # The common case, written out: what _row_sha writes, without its loop.
        e = encode_basestring
        text = (f'["n",{e(id)},{version},{e(kind)},{"null" if type is None else e(type)},'
                f'{"true" if opaque else "false"},{e(data)},{e(digest)},'
                f'{"true" if retracted else "false"}]')
        return ("n", id, version, sha256_hex(text))
    value = ["n", id, version, kind, type, bool(opaque), data, digest, bool(retracted)]
    return ("n", id, version, _row_sha(value))


def relation_row_hash(
    key: str, version: int, relation: str, src: str, dst: str, role: str | None,
    follow: Any, data: str, digest: str, retracted: Any,
) -> RowHash:
    """The chain's hash of one relation version (every column but ``superseded_at``)."""
    version = _version(version)
    if (str is _type(key) is _type(relation) is _type(src) is _type(dst) is _type(data)
            is _type(digest) and (role is None or _type(role) is str)):
        e = encode_basestring
        text = (f'["r",{e(key)},{version},{e(relation)},{e(src)},{e(dst)},'
                f'{"null" if role is None else e(role)},{"true" if follow else "false"},'
                f'{e(data)},{e(digest)},{"true" if retracted else "false"}]')
        return ("r", key, version, sha256_hex(text))
    value = ["r", key, version, relation, src, dst, role, bool(follow), data, digest,
             bool(retracted)]
    return ("r", key, version, _row_sha(value))


#: The form of row hash the entries written now list (their body says ``"form": 2``): a
#: row's content digest (see :func:`node_digest_hash`). Entries without a form list form 1,
#: a hash over every column; verify reads both.
FORM = 2
WRITE_FORM = FORM
"""The form stores write in (tests set 1 to write a store as earlier versions did)."""

_RELATIONS = frozenset(r.value for r in RelationName)


def _flag(value: Any) -> bool:
    """Whether a stored flag is one (an int 0 or 1, or a bool), not something written by hand."""
    return (_type(value) is bool or _type(value) is int) and value in (0, 1)


def _tombstone(digest: str) -> str:
    """A tombstone's form-2 hash: its digest (copied from the version it ends), marked."""
    return sha256_hex(f"retracted\x1f{digest}")


def node_digest_hash(
    id: str, version: int, kind: str, type: str | None, opaque: Any, data: str, digest: str,
    retracted: Any, written: bool = False,
) -> RowHash:
    """The chain's hash of one node version, form 2: its content digest, which covers every
    column but the version (listed beside it), ``retracted`` (a tombstone's digest is marked)
    and ``superseded_at``.

    ``written``: a store has just computed ``digest`` from these columns. Otherwise (verify)
    it is computed again, and a row whose columns do not give its digest, or whose digest
    cannot tell it apart (a type spelled ``"None"``, a flag that is not 0 or 1, a column
    not of its type) is hashed whole as in form 1, which no form-2 entry lists for it.

    >>> d = node_digest("a", "entity", "Model", False, "{}")
    >>> node_digest_hash("a", 1, "entity", "Model", 0, "{}", d, 0)[3] == d
    True
    >>> node_digest_hash("a", 1, "entity", "Dataset", 0, "{}", d, 0)[3] == d
    False
    """
    if type == "None" or not (written or (
            str is _type(id) is _type(kind) is _type(data) is _type(digest)
            and (type is None or _type(type) is str) and _flag(opaque) and _flag(retracted)
            and digest == node_digest(id, kind, type, bool(opaque), data))):
        return node_row_hash(id, version, kind, type, opaque, data, digest, retracted)
    return ("n", id, _version(version), _tombstone(digest) if retracted else digest)


def relation_digest_hash(
    key: str, version: int, relation: str, src: str, dst: str, role: str | None,
    follow: Any, data: str, digest: str, retracted: Any, written: bool = False,
) -> RowHash:
    """The chain's hash of one relation version, form 2: its content digest (key, role,
    stored JSON). The key names the relation, its ends and its id, and the stored JSON
    whether traversals follow it, so verify checks ``relation``, ``src``, ``dst`` and
    ``follow`` against them. Ends holding ``->`` (which the key cannot split) and rows as
    :func:`node_digest_hash` describes are hashed whole, as in form 1."""
    # The columns' types first (verify reads what anyone may have written), then the ends.
    if not (written or _relation_agrees(key, relation, src, dst, role, follow, data, digest,
                                        retracted)) or "->" in src or "->" in dst:
        return relation_row_hash(key, version, relation, src, dst, role, follow, data,
                                 digest, retracted)
    return ("r", key, _version(version), _tombstone(digest) if retracted else digest)


def _relation_agrees(key: Any, relation: Any, src: Any, dst: Any, role: Any, follow: Any,
                     data: Any, digest: Any, retracted: Any) -> bool:
    """Whether a stored relation version's columns are the ones its key and digest say."""
    if not (str is _type(key) is _type(relation) is _type(src) is _type(dst) is _type(data)
            is _type(digest) and (role is None or _type(role) is str)
            and relation in _RELATIONS and _flag(follow) and _flag(retracted)
            and digest == relation_digest(key, role, data)):
        return False
    id_, follows = None, True
    if '"id"' in data or '"granularity"' in data:  # else neither is stored
        try:
            stored = json.loads(data)
        except ValueError:
            return False
        if not isinstance(stored, dict):
            return False
        id_ = stored.get("id")
        follows = stored.get("granularity") != "members"
    return bool(follow) == follows and key == relation_key(relation, src, dst, role, id_)


def row_hash(form: int, kind: str, columns: tuple[Any, ...]) -> RowHash:
    """The hash of a stored row (``e`` event, ``n`` node or ``r`` relation version, as its
    columns) that a chain entry of ``form`` lists for it."""
    if kind == "e":
        return event_row_hash(*columns)
    if form >= 2:
        return (node_digest_hash if kind == "n" else relation_digest_hash)(*columns)
    return (node_row_hash if kind == "n" else relation_row_hash)(*columns)


def written_node_hash(id: str, version: int, kind: str, type: str | None, opaque: Any,
                      data: str, digest: str, retracted: Any) -> RowHash:
    """The hash a store lists for a node version it has just written, in
    :data:`WRITE_FORM` (the digest computed from these columns)."""
    if WRITE_FORM >= 2:
        return node_digest_hash(id, version, kind, type, opaque, data, digest, retracted, True)
    return node_row_hash(id, version, kind, type, opaque, data, digest, retracted)


def written_relation_hash(key: str, version: int, relation: str, src: str, dst: str,
                          role: str | None, follow: Any, data: str, digest: str,
                          retracted: Any) -> RowHash:
    """The hash a store lists for a relation version it has just written, in
    :data:`WRITE_FORM`."""
    if WRITE_FORM >= 2:
        return relation_digest_hash(key, version, relation, src, dst, role, follow, data,
                                    digest, retracted, True)
    return relation_row_hash(key, version, relation, src, dst, role, follow, data, digest,
                             retracted)


def copied_row_hash(kind: str, columns: tuple[Any, ...]) -> RowHash:
    """The hash a store lists, in :data:`WRITE_FORM`, for a row whose columns it copied from
    a stored row rather than computed (a tombstone): checked as verify checks them."""
    return row_hash(WRITE_FORM, kind, columns)


def form_of(body: str) -> int:
    """The form of row hash an entry's body lists."""
    return 2 if body.startswith('{"form":2,') else 1


def event_row_hash(id: str, digest: str) -> RowHash:
    """The chain's hash of one ingested event id."""
    return ("e", id, 0, _row_sha(["e", id, digest]))


def multiset(hashes: Iterable[str]) -> int:
    """An order-free digest of a multiset of row hashes (their sum modulo 2^256), so rows
    read back in any order can be checked against an entry without sorting them."""
    total = 0
    for value in hashes:
        total = (total + int(value, 16)) % MODULUS
    return total


def _rows_body(rows: list[RowHash], form: int) -> str | None:
    """``canonical_json({"form": form, "rows": rows})`` (no form for form 1) written
    directly when every row is the ``(str, str, int, str)`` the stores write (a batch's body
    can hold 100k rows); None otherwise, for the encoder.

    >>> rows = [("n", "é\\"", 2, "ab"), ("e", "x", 0, "cd")]
    >>> _rows_body(rows, 2) == canonical_json({"form": 2, "rows": [list(r) for r in rows]})
    True
    >>> _rows_body(rows, 1) == canonical_json({"rows": [list(r) for r in rows]})
    True
    """
    e = encode_basestring
    parts = []
    for kind, key, version, digest in rows:
        if not (_type(kind) is _type(key) is _type(digest) is str and _type(version) is int):
            return None
        parts.append(f"[{e(kind)},{e(key)},{int.__repr__(version)},{e(digest)}]")
    start = '{"rows":[' if form < 2 else f'{{"form":{int(form)},"rows":['
    return start + ",".join(parts) + "]}"


@dataclass(frozen=True)
class ChainEntry:
    """One link: what one batch (or one redaction) wrote, sealed to the link before it."""

    seq: int
    recorded_at: int
    prev: str
    body: str
    hash: str

    @classmethod
    def make(
        cls, seq: int, recorded_at: int, prev: str, rows: Iterable[RowHash],
        rewrites: Iterable[tuple[str, str, int, int, str, str]] = (),
        redaction: dict[str, Any] | None = None, form: int | None = None,
    ) -> ChainEntry:
        """Seal a new entry after ``prev`` (the previous entry's hash, or :data:`GENESIS`)
        listing ``rows`` hashed in ``form`` (default :data:`WRITE_FORM`)."""
        form = WRITE_FORM if form is None else form
        ordered = sorted(rows)
        rewritten = sorted([list(r) for r in rewrites])
        text = _rows_body(ordered, form) if not rewritten and redaction is None else None
        if text is None:
            body: dict[str, Any] = {"rows": [list(r) for r in ordered]}
            if form >= 2:
                body["form"] = form
            if rewritten:
                body["rewrites"] = rewritten
            if redaction is not None:
                body["redaction"] = redaction
            text = canonical_json(body)
        return cls(seq, recorded_at, prev, text, cls.seal(seq, recorded_at, prev, text))

    @staticmethod
    def seal(seq: int, recorded_at: int, prev: str, body: str) -> str:
        """The hash an entry with these fields must carry."""
        digest = sha256_hex(body)
        return _sha([int(seq), int(recorded_at), prev, digest])

    def seal_ok(self) -> bool:
        """Whether the stored hash matches the entry's fields."""
        return self.hash == self.seal(self.seq, self.recorded_at, self.prev, self.body)

    @property
    def form(self) -> int:
        """The form of row hash this entry lists (:data:`FORM`)."""
        return form_of(self.body)

    def parsed(self) -> dict[str, Any]:
        """The body as JSON."""
        value: dict[str, Any] = json.loads(self.body)
        return value

    def rows(self) -> list[RowHash]:
        """The rows this entry's batch wrote."""
        return [(k, key, int(v), h) for k, key, v, h in self.parsed().get("rows", [])]

    def rewrites(self) -> list[tuple[str, str, int, int, str, str]]:
        """The rows a redaction rewrote: kind, key, version, their batch, old and new hash."""
        return [(k, key, int(v), int(t), old, new)
                for k, key, v, t, old, new in self.parsed().get("rewrites", [])]


@dataclass(frozen=True)
class ChainHead:
    """Where the chain stood at some time: an entry's position, time and hash (no body)."""

    seq: int
    recorded_at: int
    hash: str


def head_label(entry: ChainEntry | ChainHead | None) -> str:
    """``SEQ:HASH`` of an entry, the form ``provgraph verify --head`` takes back."""
    return "0:" + GENESIS if entry is None else f"{entry.seq}:{entry.hash}"
