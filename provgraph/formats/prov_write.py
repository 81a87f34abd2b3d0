"""PROV-JSON out: the graph, or one node's ancestry, as a W3C PROV-JSON document.

Imported records are written back verbatim; native lineage is written with provgraph's meanings
in the ``pg`` namespace: ``prov:type`` ``pg:Model``, ``pg:opaque``, ``pg:opaqueReason``,
``prov:role``, ``pg:copies``, ``pg:granularity``, ``pg:alternative`` (docs/prov-json.md).
Records are spooled per bundle and section to temporary files, so memory stays flat in the
graph's size. An export declares the hash-chain head it was made at (prefix ``pgchain``).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any
from urllib.parse import quote, unquote

from provgraph.chain import ChainHead, head_label
from provgraph.clock import NOW
from provgraph.errors import InvalidEventError
from provgraph.formats.prov_read import CHAIN_PREFIX, ENDPOINTS, PG, PG_ID
from provgraph.queries.lineage import walk
from provgraph.store.base import Store, StoredNode, StoredRelation

_QNAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*):(.+)$")


class _Writer:
    """Writes records as they come, spooled per bundle and section to temporary files, then
    joins them into one PROV-JSON document: memory stays flat in the graph's size."""

    def __init__(self) -> None:
        self.spools: dict[tuple[str | None, str], tuple[IO[str], list[int]]] = {}
        self.prefixes: dict[str | None, dict[str, str]] = {None: {"pg": PG}}
        self.blank = 0
        self._names: dict[str, str] = {}
        # PROV lets one relation id name records with different ends; they must be written
        # together, so relation records with an explicit id wait here until the end.
        self.named: dict[tuple[str | None, str, str], list[dict[str, Any]]] = {}
        self.named_prefix: dict[tuple[str | None, str, str], dict[str, str]] = {}

    def add_named(self, bundle: str | None, section: str, record_id: str,
                  attributes: list[dict[str, Any]], prefix: dict[str, str]) -> None:
        """Hold a relation record with an explicit id until :meth:`finish`."""
        key = (bundle, section, record_id)
        self.named.setdefault(key, []).extend(attributes)
        self.named_prefix.setdefault(key, {}).update(prefix)

    def add(self, bundle: str | None, section: str, record_id: str | None,
            attributes: dict[str, Any] | list[dict[str, Any]],
            prefix: dict[str, str] | None = None) -> None:
        if record_id is None:
            self.blank += 1
            record_id = f"_:pg{self.blank}"
        if (bundle, section) not in self.spools:
            fresh: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            self.spools[(bundle, section)] = (fresh, [0])  # closed in finish()
        spool, count = self.spools[(bundle, section)]
        if isinstance(attributes, list) and len(attributes) == 1:
            attributes = attributes[0]
        spool.write(("," if count[0] else "") + "\n    " + json.dumps(record_id)
                    + ": " + json.dumps(attributes, ensure_ascii=False))
        count[0] += 1
        if prefix:
            target = self.prefixes.setdefault(bundle, {})
            for name, uri in prefix.items():
                target.setdefault(name, uri)

    def qname(self, name: str) -> str:
        """A provgraph id or attribute name as a qualified name whose prefix is declared."""
        if name not in self._names:
            if len(self._names) > 4096:  # a bounded cache keeps memory flat
                self._names.clear()
            self._names[name] = self._qname(name)
        return self._names[name]

    def _qname(self, name: str) -> str:
        match = _QNAME.match(name)
        declared = self.prefixes[None]
        if match and match.group(1) in declared:
            return name
        if match and match.group(1) not in ("_",):
            declared.setdefault(match.group(1), f"urn:provgraph:prefix:{match.group(1)}:")
            return f"{match.group(1)}:{quote(match.group(2), safe=':/@+=,;!$&()*~.-_')}"
        declared.setdefault("pgid", PG_ID)
        return "pgid:" + quote(name, safe=":/@+=,;!$&()*~.-_")

    def _container(self, bundle: str | None, out: IO[str], indent: str) -> None:
        first = True
        for (owner, section), (spool, _) in sorted(
                self.spools.items(), key=lambda item: item[0][1]):
            if owner != bundle:
                continue
            out.write(("" if first else ",") + f"\n{indent}{json.dumps(section)}: {{")
            spool.seek(0)
            shutil.copyfileobj(spool, out)
            out.write(f"\n{indent}}}")
            first = False
        prefix = json.dumps(self.prefixes.get(bundle, {}), ensure_ascii=False)
        out.write(("" if first else ",") + f"\n{indent}\"prefix\": {prefix}")

    def finish(self, out: IO[str]) -> None:
        """Write the document (records, then bundles, then the prefixes they need)."""
        for (bundle, section, record_id), attributes in self.named.items():
            self.add(bundle, section, record_id, attributes,
                     self.named_prefix[(bundle, section, record_id)])
        out.write("{")
        self._container(None, out, "  ")
        bundles = sorted({b for b, _ in self.spools if b is not None})
        if bundles:
            out.write(',\n  "bundle": {')
            for number, bundle in enumerate(bundles):
                out.write(("," if number else "") + f"\n  {json.dumps(bundle)}: {{")
                self._container(bundle, out, "    ")
                out.write("\n  }")
            out.write("\n  }")
        out.write("\n}\n")
        for spool, _ in self.spools.values():
            spool.close()


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return value


def native_entry(node: StoredNode) -> dict[str, Any]:
    """A native node version as the PROV record it exports as (to merge PROV into it)."""
    writer = _Writer()
    return {"record": node.kind, "bundle": None, "attributes": _native_attributes(writer, node),
            "prefix": dict(writer.prefixes[None])}


def _native_attributes(writer: _Writer, node: StoredNode) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if node.type:
        attributes["prov:type"] = {"$": f"pg:{node.type}", "type": "prov:QUALIFIED_NAME"}
    if node.opaque:
        attributes["pg:opaque"] = True
        if node.opaque_reason:
            attributes["pg:opaqueReason"] = node.opaque_reason
    if node.started_at:
        attributes["prov:startTime"] = node.started_at
    if node.ended_at:
        attributes["prov:endTime"] = node.ended_at
    for name, value in sorted(node.attributes.items()):
        if value is not None and value != []:
            key = f"pg:{name}" if ":" not in name else writer.qname(name)
            attributes[key] = _value(value)
    return attributes


def _write_node(writer: _Writer, node: StoredNode) -> None:
    prov = node.prov
    if prov is not None:
        grouped: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
        for entry in prov.get("entries", []):
            grouped.setdefault((entry["bundle"], entry["record"]), []).append(entry)
        for (bundle, record), entries in grouped.items():
            prefix = {k: v for e in entries for k, v in (e.get("prefix") or {}).items()}
            writer.add(bundle, record, node.id, [e["attributes"] for e in entries], prefix)
        for record in prov.get("records", []):
            writer.add(record["bundle"], record["record"], record.get("id"),
                       record["attributes"], record.get("prefix"))
        return
    writer.add(None, node.kind, writer.qname(node.id), _native_attributes(writer, node))


def _write_relation(writer: _Writer, relation: StoredRelation) -> None:
    if relation.prov is not None:
        grouped: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
        for entry in relation.prov.get("entries", []):
            grouped.setdefault((entry["bundle"], entry.get("id")), []).append(entry)
        for (bundle, record_id), entries in grouped.items():
            prefix = {k: v for e in entries for k, v in (e.get("prefix") or {}).items()}
            if record_id is None:  # unnamed records stay separate records
                for entry in entries:
                    writer.add(bundle, relation.relation, None, entry["attributes"], prefix)
            else:
                writer.add_named(bundle, relation.relation, record_id,
                                 [e["attributes"] for e in entries], prefix)
        return
    source_key, target_key = ENDPOINTS[relation.relation]
    attributes: dict[str, Any] = {source_key: writer.qname(relation.source),
                                  target_key: writer.qname(relation.target)}
    if relation.role:
        attributes["prov:role"] = relation.role
    if relation.copies:
        attributes["pg:copies"] = [t if t == s else f"{t}<-{s}"
                                   for t, s in sorted(relation.copies.items())]
    if relation.granularity:
        attributes["pg:granularity"] = relation.granularity
    if relation.alternative:
        attributes["pg:alternative"] = True
    if relation.plan:
        attributes["prov:plan"] = writer.qname(relation.plan)
    if relation.time:
        attributes["prov:time"] = relation.time
    for name, value in sorted(relation.attributes.items()):
        if value is not None and value != []:
            attributes[f"pg:{name}" if ":" not in name else writer.qname(name)] = _value(value)
    writer.add(None, relation.relation, relation.explicit_id, attributes)


def _chunks(ids: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    chunk: list[str] = []
    for node_id in ids:
        chunk.append(node_id)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chain_stamp(entry: ChainHead | None, as_of: int, root: str | None) -> str:
    """The namespace URI an export declares as prefix ``pgchain``: the store's hash-chain
    head the export was made at, its ``as_of`` and root, so ``provgraph verify --export``
    can re-derive the document from a verified store and compare.

    >>> chain_stamp(None, 5, "model:a b")
    'urn:provgraph:chain:0:0000000000000000000000000000000000000000000000000000000000000000:5:model%3Aa%20b'
    """
    return (f"urn:provgraph:chain:{head_label(entry)}:{as_of}:"
            + ("" if root is None else quote(root, safe="")))


def parse_chain_stamp(uri: str) -> tuple[int, str, int, str | None]:
    """``(seq, head hash, as_of, root)`` of a :func:`chain_stamp`; InvalidEventError if it
    is not one."""
    parts = uri.split(":")
    if len(parts) != 7 or parts[:3] != ["urn", "provgraph", "chain"] or not (
            parts[3].isdigit() and parts[5].isdigit() and len(parts[4]) == 64):
        raise InvalidEventError(f"not a provgraph chain stamp: {uri!r}")
    return int(parts[3]), parts[4], int(parts[5]), unquote(parts[6]) if parts[6] else None


def export_document(store: Store, ids: Iterable[str] | None, as_of: int,
                    out: IO[str], stamp: str | None = None) -> None:
    """Write the PROV-JSON document of the given nodes (every node if ``ids`` is None) and
    of the relations between them to ``out``, reading the store in chunks; ``stamp`` (see
    :func:`chain_stamp`) is declared as the ``pgchain`` prefix."""
    wanted = None if ids is None else set(ids)
    writer = _Writer()
    if stamp is not None:
        writer.prefixes[None][CHAIN_PREFIX] = stamp
    for chunk in _chunks(sorted(wanted) if wanted is not None else store.ids(as_of)):
        members = set(chunk)
        for _, node in sorted(store.nodes(chunk, as_of).items()):
            _write_node(writer, node)
        for relation in store.relations(chunk, as_of, outgoing=True):
            if relation.source in members and (wanted is None or relation.target in wanted):
                _write_relation(writer, relation)
    writer.finish(out)


def export_prov(store: Store, root: str | None, as_of: int, out: IO[str] | None = None) -> str:
    """PROV-JSON of ``root``'s ancestry with its agents (or of everything) as known at
    ``as_of``, stamped with the chain head it was made at; streamed to ``out`` (returning
    ``""``) or returned as a string."""
    # The chain head at the export: what an auditor can later check the file against.
    head = store.log.chain_at(as_of)
    at = head.recorded_at if head is not None and as_of >= NOW else as_of
    return export_at(store, root, at, chain_stamp(head, at, root), out)


def export_at(store: Store, root: str | None, at: int, stamp: str,
              out: IO[str] | None = None) -> str:
    """The export of ``root`` (None: everything) at exactly ``at`` with a given stamp."""
    ids = None
    if root is not None:
        lineage = walk(store, root, "down", depth=None, relations=None, include_agents=True,
                       as_of=at)
        ids = lineage.ids | {root}
    if out is not None:
        export_document(store, ids, at, out, stamp)
        return ""
    buffer = io.StringIO()
    export_document(store, ids, at, buffer, stamp)
    return buffer.getvalue()
