"""``provgraph verify``: re-derive the hash chain and the graph's content from it.

Three checks, all streamed (memory grows with the number of batches, not of rows):

1. **The chain**: every entry's hash matches its fields and the previous entry's hash;
   sequence numbers have no gap; times increase. With ``head`` (``SEQ:HASH`` kept from an
   earlier run or an export) the entry at SEQ must still carry HASH.
2. **The rows**: every stored row (event, node version, relation version, tombstone; on
   Neo4j, every relationship) is hashed again and summed per batch; each batch's sum must
   equal the sum of the row hashes its entry lists (adjusted by later redactions). For a
   batch that differs, a second pass names each row changed, added or removed.
3. **Derived state**: what each backend keeps beside the rows (validity intervals, on Neo4j
   the opaque intervals walks prune on) must follow from them.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from provgraph.chain import FORM, GENESIS, MODULUS, ChainEntry, RowHash, head_label, row_hash
from provgraph.errors import InvalidEventError
from provgraph.formats.cyclonedx import STAMP, bom_differences, cyclonedx_at, cyclonedx_stamp
from provgraph.formats.prov_read import CHAIN_PREFIX, load_document
from provgraph.formats.prov_write import export_at, parse_chain_stamp
from provgraph.store.base import Store

_KIND = {"e": "event", "n": "node", "r": "relation"}
_NAMED_LIMIT = 1000


@dataclass
class VerifyReport:
    """What :func:`verify` found."""

    entries: int = 0
    head: str = head_label(None)
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether nothing was found changed."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The report as ``provgraph verify --format json`` prints it."""
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "rows": self.rows,
                "problems": self.problems, "seconds": round(self.seconds, 3)}


def _describe(row: RowHash) -> str:
    kind, key, version, _ = row
    if kind == "e":
        return f"event {key!r}"
    return f"{_KIND[kind]} {key!r} version {version}"


def verify(store: Store, head: str | None = None) -> VerifyReport:
    """Check ``store`` against its hash chain; see the module docstring.

    >>> import provgraph
    >>> g = provgraph.connect("sqlite:///:memory:")
    >>> _ = g.ingest(provgraph.demo.reference_events())
    >>> report = verify(g.store)
    >>> report.ok, report.entries
    (True, 1)
    """
    started = time.perf_counter()
    report = VerifyReport()
    expected: dict[int | None, int] = {}   # batch time -> sum of the row hashes its entry lists
    seq_of: dict[int, int] = {}     # batch time -> seq of its entry
    forms: dict[int | None, int] = {}  # batch time -> form of row hash its entry lists
    rewritten: dict[tuple[str, str, int], tuple[int, str]] = {}  # row -> (batch, new hash)
    anchor = _parse_head(head) if head else None
    prev, last_time, seq = GENESIS, -1, 0
    while True:
        page = store.log.chain(after=seq)
        for entry in page:
            seq += 1
            if entry.seq != seq:
                report.problems.append(f"chain: entry {seq} is missing (next is {entry.seq})")
                seq = entry.seq
            if not entry.seal_ok():
                report.problems.append(f"chain: entry {entry.seq} was edited (its hash does "
                                       "not match its content)")
            if entry.prev != prev:
                report.problems.append(f"chain: entry {entry.seq} does not follow entry "
                                       f"{entry.seq - 1} (an entry was replaced or removed)")
            if entry.recorded_at <= last_time:
                report.problems.append(f"chain: entry {entry.seq} goes back in time")
            if anchor and anchor[0] == entry.seq and anchor[1] != entry.hash:
                report.problems.append(f"chain: entry {entry.seq} is not the one given by "
                                       "--head (the chain was rewritten since)")
            prev, last_time = entry.hash, entry.recorded_at
            total = sum(int(h, 16) for _, _, _, h in entry.rows()) % MODULUS
            expected[entry.recorded_at] = (expected.get(entry.recorded_at, 0) + total) % MODULUS
            seq_of[entry.recorded_at] = entry.seq
            forms[entry.recorded_at] = entry.form
            for kind, key, version, batch, old, new in entry.rewrites():
                base = expected.get(batch, 0)
                expected[batch] = (base - int(old, 16) + int(new, 16)) % MODULUS
                rewritten[(kind, key, version)] = (batch, new)
            report.entries += 1
            report.head = head_label(entry)
        if len(page) < 500:
            break
    if anchor and anchor[0] > seq:
        report.problems.append(f"chain: entry {anchor[0]} given by --head is missing "
                               f"(the chain has {seq}); entries were removed")

    found: dict[int | None, int] = defaultdict(int)
    for moment, kind, columns in store.log.scan():
        digest = row_hash(forms.get(moment, FORM), kind, columns)[3]
        found[moment] = (found[moment] + int(digest, 16)) % MODULUS
        report.rows += 1
    suspects = {m for m in set(expected) | set(found) if expected.get(m, 0) != found.get(m, 0)}
    if suspects:
        report.problems.extend(_name_rows(store, suspects, seq_of, forms, rewritten))
    report.problems.extend(store.log.derived_problems(rows_intact=not report.problems))
    report.seconds = time.perf_counter() - started
    return report


def _name_rows(
    store: Store, suspects: set[int | None], seq_of: dict[int, int],
    forms: dict[int | None, int], rewritten: dict[tuple[str, str, int], tuple[int, str]],
) -> list[str]:
    """The second pass: compare the suspect batches row by row with their entries."""
    listed: dict[tuple[str, str, int], tuple[int, str]] = {}
    for moment in suspects:
        if moment is None or moment not in seq_of:
            continue
        entry = store.log.chain(after=seq_of[moment] - 1, limit=1)[0]
        for kind, key, version, digest in entry.rows():
            listed[(kind, key, version)] = (moment, digest)
    for ident, (batch, new) in rewritten.items():
        if batch in suspects:
            listed[ident] = (batch, new)
    problems: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for moment, kind, columns in store.log.scan():
        if moment not in suspects:
            continue
        row = row_hash(forms.get(moment, FORM), kind, columns)
        ident = (row[0], row[1], row[2])
        seen.add(ident)
        if ident not in listed:
            where = ("outside any batch" if moment is None or moment not in seq_of
                     else f"in batch {seq_of[moment]}")
            problems.append(f"{_describe(row)}: added outside provgraph ({where})")
        elif listed[ident][1] != row[3]:
            problems.append(f"{_describe(row)}: changed outside provgraph")
        if len(problems) >= _NAMED_LIMIT:
            return problems + ["... more problems not listed"]
    for ident, (batch, digest) in sorted(listed.items()):
        if ident not in seen:
            problems.append(f"{_describe((*ident, digest))}: removed outside provgraph "
                            f"(batch {seq_of[batch]})")
    if not problems:
        problems.append("rows: batches " + ", ".join(
            str(seq_of.get(m, m)) for m in sorted(m or 0 for m in suspects))
            + " do not match their chain entries")
    return problems


def _parse_head(head: str) -> tuple[int, str]:
    seq, _, digest = head.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        from provgraph.errors import ProvgraphError

        raise ProvgraphError(f"--head must be SEQ:HASH as verify prints it, got {head!r}")
    return int(seq), digest


def entry_at(store: Store, seq: int) -> ChainEntry | None:
    """The chain entry with sequence number ``seq``, if there is one."""
    page = store.log.chain(after=seq - 1, limit=1)
    return page[0] if page and page[0].seq == seq else None


def verify_export(store: Store, document: Any) -> list[str]:
    """Differences between an exported PROV-JSON document or CycloneDX ML-BOM and what
    ``store``, verified by its chain, exports at the chain head the document declares (empty:
    unedited). The store's own chain is checked too; its problems come first.
    InvalidEventError if the document carries no provgraph chain stamp."""
    given = load_document(document)
    if given.get("bomFormat") == "CycloneDX":
        return _verify_bom(store, given)
    stamp = given.get("prefix", {}).get(CHAIN_PREFIX)
    if not isinstance(stamp, str):
        raise InvalidEventError("this PROV-JSON document carries no provgraph chain stamp "
                                f"(prefix {CHAIN_PREFIX!r}); it was not exported by "
                                "provgraph, or the stamp was removed")
    seq, digest, at, root = parse_chain_stamp(stamp)
    problems = verify(store, f"{seq}:{digest}").problems
    expected = json.loads(export_at(store, root, at, stamp))
    for section in sorted(set(given) | set(expected)):
        mine, theirs = expected.get(section, {}), given.get(section, {})
        if not isinstance(mine, dict) or not isinstance(theirs, dict):
            problems.append(f"export: section {section!r} differs")
            continue
        for record in sorted(set(mine) | set(theirs)):
            if record not in theirs:
                problems.append(f"export: {section} {record!r} was removed from the file")
            elif record not in mine:
                problems.append(f"export: {section} {record!r} was added to the file")
            elif mine[record] != theirs[record]:
                problems.append(f"export: {section} {record!r} was edited in the file")
    return problems


def _verify_bom(store: Store, given: dict[str, Any]) -> list[str]:
    """:func:`verify_export` of a CycloneDX ML-BOM (see :mod:`provgraph.formats.cyclonedx`)."""
    stamp = cyclonedx_stamp(given)
    if stamp is None:
        raise InvalidEventError(f"this CycloneDX BOM carries no provgraph chain stamp (property"
                                f" {STAMP!r}); it was not exported by provgraph, or the"
                                " stamp was removed")
    seq, digest, at, root = parse_chain_stamp(stamp)
    if root is None:
        raise InvalidEventError("this BOM's provgraph chain stamp names no model")
    problems = verify(store, f"{seq}:{digest}").problems
    expected = json.loads(cyclonedx_at(store, root, at, stamp))
    return problems + [f"export: {p}" for p in bom_differences(expected, given)]
