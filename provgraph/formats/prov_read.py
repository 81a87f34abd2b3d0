"""PROV-JSON in: a document (W3C PROV-JSON, as the ``prov`` library reads and writes it)
becomes native events.

Every record is kept verbatim beside what provgraph understands of it — its namespaces, typed
attribute values, bundles and relation ids — so exporting an imported document gives a
document the ``prov`` library reads as equal (see :mod:`provgraph.formats.prov_write`).
provgraph's meanings come from the ``pg`` namespace (docs/prov-json.md). How a document merges
with what a store holds is :mod:`provgraph.formats.prov_merge`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from provgraph.encoding import canonical_digest
from provgraph.errors import InvalidEventError
from provgraph.model import RelationName

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
    return parse_document(text)


def parse_document(text: str) -> dict[str, Any]:
    """A PROV-JSON document from its text (``load_document`` of a string holding JSON).

    >>> parse_document("x")
    Traceback (most recent call last):
    provgraph.errors.InvalidEventError: invalid PROV-JSON: line 1: Expecting value
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidEventError(f"invalid PROV-JSON: line {e.lineno}: {e.msg}") from e
    except RecursionError as e:
        raise InvalidEventError("invalid PROV-JSON: nested too deeply to read") from e
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
                    _check_values(attributes, f"{where}: {section} {record_id!r}")
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


#: A PROV-JSON attribute value is a scalar, a value object or a list of them; anything
#: nested deeper than this is refused (kept verbatim, it could not be written back).
MAX_VALUE_DEPTH = 16


def _check_values(attributes: dict[str, Any], where: str) -> None:
    """Refuse a value object without its value: PROV-JSON writes a typed or tagged value as
    ``{"$": value, "type": ...}`` (or ``"lang"``), and one without ``"$"`` says nothing a
    reader can take (the prov library refuses it; kept, it would be exported again as a
    document no reader accepts). A ``"$"`` holding a list, an object or null is refused too
    (the prov library reads it as the text of a Python value and warns it will refuse it)."""
    for name, value in attributes.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and not isinstance(item.get("$"), (str, int, float)):
                raise InvalidEventError(
                    f"invalid PROV-JSON: {where}: attribute {name!r}: a value object needs"
                    ' its value as "$", a string or a number')
        if _nested_beyond(value, MAX_VALUE_DEPTH):
            raise InvalidEventError(
                f"invalid PROV-JSON: {where}: attribute {name!r}: a value nested deeper than"
                f" {MAX_VALUE_DEPTH} levels")


def _nested_beyond(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` deep in ``value`` (a list of
    scalars is one deep), found without recursion: a value nested thousands deep is what this
    refuses.

    >>> _nested_beyond([1, [2]], 2), _nested_beyond([1, [[2]]], 2)
    (False, True)
    """
    depth = 0
    level = [value]
    while True:
        containers = [item for item in level if isinstance(item, (list, dict))]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = [inner for item in containers
                 for inner in (item.values() if isinstance(item, dict) else item)]


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


