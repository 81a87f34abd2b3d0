"""PROV-JSON in and out (W3C PROV-JSON, as the ``prov`` library reads and writes it).

Import keeps every record verbatim beside what provgraph understands of it — its namespaces,
typed attribute values, bundles and relation ids — so exporting an imported document gives a
document the ``prov`` library reads as equal. Native lineage is exported with provgraph's
meanings in the ``pg`` namespace (docs/prov-json.md): ``prov:type`` ``pg:Model``, ``pg:opaque``,
``pg:opaqueReason``, ``prov:role``, ``pg:copies``, ``pg:granularity``, ``pg:alternative``.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

from provgraph.chain import ChainHead, head_label
from provgraph.encoding import canonical_digest
from provgraph.errors import InvalidEventError
from provgraph.model import RelationName
from provgraph.store.base import Store, StoredNode, StoredRelation

PG = "https://w3id.org/provgraph/ns#"
PG_ID = "https://w3id.org/provgraph/id/"
CHAIN_PREFIX = "pgchain"
"""The prefix whose namespace URI carries an export's chain stamp (see chain_stamp)."""
NODE_RECORDS = ("entity", "activity", "agent")

#: For each PROV-JSON relation: the attribute naming its ``from`` end and its ``to`` end.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "used": ("prov:activity", "prov:entity"),
    "wasGeneratedBy": ("prov:entity", "prov:activity"),
    "wasInvalidatedBy": ("prov:entity", "prov:activity"),
    "wasStartedBy": ("prov:activity", "prov:trigger"),
    "wasEndedBy": ("prov:activity", "prov:trigger"),
    "wasInformedBy": ("prov:informed", "prov:informant"),
    "wasDerivedFrom": ("prov:generatedEntity", "prov:usedEntity"),
    "wasAttributedTo": ("prov:entity", "prov:agent"),
    "wasAssociatedWith": ("prov:activity", "prov:agent"),
    "actedOnBehalfOf": ("prov:delegate", "prov:responsible"),
    "wasInfluencedBy": ("prov:influencee", "prov:influencer"),
    "specializationOf": ("prov:specificEntity", "prov:generalEntity"),
    "alternateOf": ("prov:alternate1", "prov:alternate2"),
    "hadMember": ("prov:collection", "prov:entity"),
    "mentionOf": ("prov:specificEntity", "prov:generalEntity"),
}
#: The node kind an undeclared end gets, by relation and end.
IMPLIED_KINDS: dict[str, tuple[str, str]] = {
    "used": ("activity", "entity"), "wasGeneratedBy": ("entity", "activity"),
    "wasInvalidatedBy": ("entity", "activity"), "wasStartedBy": ("activity", "entity"),
    "wasEndedBy": ("activity", "entity"), "wasInformedBy": ("activity", "activity"),
    "wasDerivedFrom": ("entity", "entity"), "wasAttributedTo": ("entity", "agent"),
    "wasAssociatedWith": ("activity", "agent"), "actedOnBehalfOf": ("agent", "agent"),
    "wasInfluencedBy": ("entity", "entity"), "specializationOf": ("entity", "entity"),
    "alternateOf": ("entity", "entity"), "hadMember": ("entity", "entity"),
    "mentionOf": ("entity", "entity"),
}
assert set(ENDPOINTS) == {r.value for r in RelationName}


def _digest(value: Any) -> str:
    return canonical_digest(value)[:16]


def _plain(value: Any) -> Any:
    """A PROV-JSON value as a plain attribute value (typed literals give their text)."""
    if isinstance(value, list):
        items = [_plain(v) for v in value]
        return [i for i in items if not isinstance(i, list)]
    if isinstance(value, dict):
        text = value.get("$")
        return text if isinstance(text, (str, int, float, bool)) else json.dumps(value)
    return value


def _local(name: str) -> str:
    """``pg:tokenizer`` → ``tokenizer``; other qualified names stay as written."""
    return name[3:] if name.startswith("pg:") else name


def _single(value: Any) -> Any:
    plain = _plain(value)
    return plain[0] if isinstance(plain, list) and plain else plain


# -- reading ---------------------------------------------------------------------------------


def load_document(source: Any) -> dict[str, Any]:
    """A PROV-JSON document from a JSON string, a path, a dict or a ``prov`` ProvDocument."""
    if isinstance(source, dict):
        return source
    if hasattr(source, "serialize") and hasattr(source, "bundles"):
        text = source.serialize(format="json")
    elif isinstance(source, Path) or (isinstance(source, str)
                                       and not source.lstrip().startswith(("{", "["))):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as e:
            raise InvalidEventError(f"cannot read PROV-JSON {source}: {e}") from e
    else:
        text = str(source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidEventError(f"invalid PROV-JSON: line {e.lineno}: {e.msg}") from e
    if not isinstance(document, dict):
        raise InvalidEventError("invalid PROV-JSON: the document must be a JSON object")
    return document


def prov_events(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Native events (one) holding every record of a PROV-JSON document, bundles and all."""
    nodes: dict[str, dict[str, Any]] = {}
    relations: dict[str, dict[str, Any]] = {}
    partial: dict[str, list[dict[str, Any]]] = {}
    # Records with no node to hang on belong to the document itself, an entity of its own.
    holder = "pgdoc:" + _digest(document)

    def container(content: Any, bundle: str | None, inherited: dict[str, str]) -> None:
        where = f"bundle {bundle!r}" if bundle else "document"
        if not isinstance(content, dict):
            raise InvalidEventError(f"invalid PROV-JSON: {where} must be a JSON object")
        declared = content.get("prefix", {})
        if not isinstance(declared, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in declared.items()):
            raise InvalidEventError(
                f"invalid PROV-JSON: {where}: prefix must map names to namespace URIs")
        # An export's chain head describes the file, not the graph: it is not kept.
        prefix = {**inherited, **{k: v for k, v in declared.items() if k != CHAIN_PREFIX}}
        for section, records in content.items():
            if section in ("prefix", "bundle"):
                continue
            if section not in NODE_RECORDS and section not in ENDPOINTS:
                raise InvalidEventError(
                    f"invalid PROV-JSON: {where}: unknown record type {section!r}")
            if not isinstance(records, dict):
                raise InvalidEventError(
                    f"invalid PROV-JSON: {where}: {section} must map ids to records")
            for record_id, value in records.items():
                for attributes in value if isinstance(value, list) else [value]:
                    if not isinstance(attributes, dict):
                        raise InvalidEventError(
                            f"invalid PROV-JSON: {where}: {section} {record_id!r} must be an"
                            " object of attributes")
                    entry = {"record": section, "bundle": bundle, "attributes": attributes,
                             "prefix": prefix}
                    if section in NODE_RECORDS:
                        nodes.setdefault(record_id, {"kind": section, "entries": []})
                        nodes[record_id]["entries"].append(entry)
                    else:
                        relation(section, record_id, entry, where)

    def relation(name: str, record_id: str, entry: dict[str, Any], where: str) -> None:
        source_key, target_key = ENDPOINTS[name]
        attributes = entry["attributes"]
        source = attributes.get(source_key)
        entry["id"] = None if record_id.startswith("_:") else record_id
        if source is None:
            # PROV-JSON lets a record leave out its first end; it is kept on the document.
            partial.setdefault(holder, []).append(entry)
            return
        if not isinstance(source, str):
            raise InvalidEventError(
                f"invalid PROV-JSON: {where}: {name} {record_id!r}: {source_key} must name"
                " a node")
        targets = attributes.get(target_key)
        if targets is None or targets == []:
            partial.setdefault(source, []).append(entry)
            return
        for target in targets if isinstance(targets, list) else [targets]:
            if not isinstance(target, str):
                raise InvalidEventError(
                    f"invalid PROV-JSON: {where}: {name} {record_id!r}: {target_key} must name"
                    " a node")
            identity = entry["id"] or "_:" + _digest([entry["bundle"], attributes])
            key = f"{name}\x1f{source}\x1f{target}\x1f{identity}"
            relations.setdefault(key, {"relation": name, "from": source, "to": target,
                                       "id": identity, "entries": []})
            # One entry per record: a multi-member hadMember is kept whole on its first member.
            if target == (targets[0] if isinstance(targets, list) else targets):
                relations[key]["entries"].append(entry)

    container(document, None, {})
    bundles = document.get("bundle", {})
    if not isinstance(bundles, dict):
        raise InvalidEventError("invalid PROV-JSON: bundle must map bundle ids to documents")
    for bundle_id, content in bundles.items():
        container(content, bundle_id, document.get("prefix", {}))

    for rel in relations.values():
        for end, node_id in ((0, rel["from"]), (1, rel["to"])):
            nodes.setdefault(node_id, {"kind": IMPLIED_KINDS[rel["relation"]][end],
                                       "entries": []})
    for source, entries in partial.items():
        nodes.setdefault(source, {"kind": IMPLIED_KINDS[entries[0]["record"]][0],
                                  "entries": []})
    if holder in nodes:
        nodes[holder] = {"kind": "entity", "entries": [], "type": "ProvDocument"}
    out_nodes = [prov_node(node_id, info, partial.get(node_id, [])) for node_id, info in
                 nodes.items()]
    out_relations = [prov_relation(rel) for rel in relations.values()]
    return [{"id": "prov-json:" + _digest(document), "nodes": out_nodes,
             "relations": out_relations}]


def prov_node(node_id: str, info: dict[str, Any], partial: list[dict[str, Any]]
              ) -> dict[str, Any]:
    """The native node of a PROV id: its records (``info['entries']``) kept verbatim, and
    what provgraph understands of them; attributes given by several records are unioned,
    multi-valued where they differ (as PROV unifies records of one id)."""
    attributes: dict[str, Any] = {}
    node: dict[str, Any] = {"id": node_id, "kind": info["kind"]}
    types: list[Any] = []
    for entry in info["entries"]:
        for name, value in entry["attributes"].items():
            if name == "prov:type":
                types += value if isinstance(value, list) else [value]
            elif name == "pg:opaque":
                node["opaque"] = bool(_single(value))
            elif name == "pg:opaqueReason":
                node["opaque_reason"] = str(_single(value))
            elif name in ("prov:startTime", "prov:endTime") and info["kind"] == "activity":
                node["started_at" if name == "prov:startTime" else "ended_at"] = str(
                    _single(value))
            else:
                _union(attributes, _local(name), _plain(value))
    if "type" in info:
        node["type"] = info["type"]
    for value in types:
        text = _single(value)
        if isinstance(text, str) and len(text) <= 200:
            node["type"] = text[3:] if text.startswith("pg:") else text
            break
    if not node.get("opaque"):
        node.pop("opaque_reason", None)
    node["attributes"] = attributes
    node["prov"] = {"entries": info["entries"], "records": partial}
    return node


def _union(attributes: dict[str, Any], name: str, value: Any) -> None:
    if name not in attributes or attributes[name] == value:
        attributes[name] = value
        return
    values = attributes[name] if isinstance(attributes[name], list) else [attributes[name]]
    for item in value if isinstance(value, list) else [value]:
        if item not in values:
            values = [*values, item]
    attributes[name] = values


def prov_relation(rel: dict[str, Any]) -> dict[str, Any]:
    """The native relation of a PROV relation record (its records kept verbatim)."""
    source_key, target_key = ENDPOINTS[rel["relation"]]
    out: dict[str, Any] = {"relation": rel["relation"], "from": rel["from"], "to": rel["to"],
                           "id": rel["id"], "prov": {"entries": rel["entries"]}}
    attributes: dict[str, Any] = {}
    for entry in rel["entries"][:1]:
        for name, value in entry["attributes"].items():
            if name in (source_key, target_key):
                continue
            if name == "prov:role":
                out["role"] = str(_single(value))
            elif name == "pg:copies":
                copies = {}
                for item in value if isinstance(value, list) else [value]:
                    target, _, source = str(_plain(item)).partition("<-")
                    copies[target] = source or target
                out["copies"] = copies
            elif name == "pg:granularity" and rel["relation"] == "used":
                out["granularity"] = _single(value)
            elif name == "pg:alternative" and rel["relation"] == "wasDerivedFrom":
                out["alternative"] = bool(_single(value))
            else:
                attributes[_local(name)] = _plain(value)
    out["attributes"] = attributes
    return out


# -- writing ---------------------------------------------------------------------------------

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
