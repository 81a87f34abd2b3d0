"""How a PROV document meets what is already stored: as PROV merges documents.

A node a document names only inside relations is *referenced*, not described: it writes no
node version (it is created bare only if the store does not know it yet). A node the document
declares again is *unified* with its stored version, as ``prov``'s ``ProvDocument.unified()``
does: one record per bundle and record type, the union of their attributes, multi-valued where
they differ; two different start or end times of one activity cannot be unified and are
refused. The result is a new version; the earlier one stays in history. Named relations
declared again merge the same way. (Native events differ on purpose: a node in a native event
is the whole new version and replaces the current one.)

A document is split into deterministic events of at most ``CHUNK_RECORDS`` nodes and
relations, nodes first, so that a large document is written in bounded transactions, and an
interrupted import, run again, writes only the chunks that are missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from provgraph.clock import NOW
from provgraph.encoding import canonical_json
from provgraph.errors import InvalidEventError
from provgraph.formats.prov_read import load_document, prov_events, prov_node, prov_relation
from provgraph.formats.prov_write import native_entry
from provgraph.store.base import Store, StoredNode, StoredRelation

CHUNK_RECORDS = 2000
"""Nodes and relations per event (and so per transaction) of a PROV import."""
#: Activity attributes PROV unifies rather than unions (formal attributes).
_FORMAL = ("prov:startTime", "prov:endTime")
#: Relations PROV gives no identifier to merge on: several records of one id stay apart.
_KEYLESS = ("alternateOf", "specializationOf", "mentionOf", "hadMember")

NodeReader = Callable[[Iterable[str]], dict[str, StoredNode]]
RelationReader = Callable[[Iterable[str]], list[StoredRelation]]


def chunk_ids(document_id: str, count: int) -> list[str]:
    """The event ids of a document's chunks; the first keeps the document's own id, so a
    document imported whole before is still recognised.

    >>> chunk_ids("prov-json:ab", 3)
    ['prov-json:ab', 'prov-json:ab#2', 'prov-json:ab#3']
    """
    return [document_id if i == 0 else f"{document_id}#{i + 1}" for i in range(count)]


def prov_import_events(store: Store, source: Any) -> tuple[list[dict[str, Any]], int]:
    """The events that import a PROV-JSON ``source`` (see
    :func:`provgraph.formats.prov_read.load_document`) into ``store``, and how many of its
    chunks ``store`` already holds."""
    return import_events(load_document(source), store.known_events,
                         lambda ids: store.nodes(ids, NOW),
                         lambda ids: store.relations(ids, NOW, outgoing=True))


def import_events(document: dict[str, Any], known: Callable[[list[str]], Iterable[str]],
                  nodes: NodeReader, relations: RelationReader,
                  chunk_records: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The native events that import ``document`` into a store, merged with what it holds,
    and how many chunks were already imported. ``known`` names the event ids already
    ingested; ``nodes`` / ``relations`` read current node versions and the relations leaving
    given ids. The whole document is validated (InvalidEventError) before anything is read.
    """
    [whole] = prov_events(document)
    size = chunk_records or CHUNK_RECORDS
    items: list[tuple[str, dict[str, Any]]] = [("node", n) for n in whole["nodes"]]
    items += [("relation", r) for r in whole["relations"]]
    chunks = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
    ids = chunk_ids(whole["id"], len(chunks))
    done = set(known(ids))
    events = []
    for event_id, chunk in zip(ids, chunks, strict=True):
        if event_id in done:
            continue
        events.append({"id": event_id, **_merge_chunk(chunk, nodes, relations)})
    return events, len(done)


def _merge_chunk(chunk: list[tuple[str, dict[str, Any]]], nodes: NodeReader,
                 relations: RelationReader) -> dict[str, list[dict[str, Any]]]:
    new_nodes = [item for what, item in chunk if what == "node"]
    new_relations = [item for what, item in chunk if what == "relation"]
    stored = nodes([n["id"] for n in new_nodes]) if new_nodes else {}
    out_nodes = []
    for node in new_nodes:
        merged = merge_node(node, stored.get(node["id"]))
        if merged is not None:
            out_nodes.append(merged)
    named = [r for r in new_relations
             if not r["id"].startswith("_:") and r["relation"] not in _KEYLESS]
    by_name: dict[tuple[str, str, str, str | None], StoredRelation] = {}
    if named:
        for rel in relations({r["from"] for r in named}):
            by_name[(rel.relation, rel.source, rel.target, rel.explicit_id)] = rel
    out_relations = []
    for relation in new_relations:
        old = None if relation["relation"] in _KEYLESS else by_name.get(
            (relation["relation"], relation["from"], relation["to"], relation["id"]))
        merged = relation if old is None else merge_relation(relation, old)
        if merged is not None:
            out_relations.append(merged)
    return {"nodes": out_nodes, "relations": out_relations}


def merge_node(new: dict[str, Any], old: StoredNode | None) -> dict[str, Any] | None:
    """The node version a document's ``new`` node writes over ``old``: None for a reference
    to a stored node, or when the document adds nothing to it."""
    entries, records = new["prov"]["entries"], new["prov"]["records"]
    if old is None:
        return new
    if not entries and not records:
        return None  # a reference is not a description
    if old.prov is not None:
        old_entries, old_records = old.prov.get("entries", []), old.prov.get("records", [])
    else:
        old_entries, old_records = [native_entry(old)], []
    added = [e for e in entries if e not in old_entries]
    added_records = [r for r in records if r not in old_records]
    if not added and not added_records:
        return None
    merged_entries = unify(old_entries + added, new["id"]) if added else old_entries
    if added_records:
        # Relation records missing an end hang on this node: named ones unify per id.
        named = [r for r in old_records + added_records
                 if r.get("id") is not None and r["record"] not in _KEYLESS]
        unnamed = [r for r in old_records + added_records if r not in named]
        merged_records = unnamed + [unified for key in dict.fromkeys(r["id"] for r in named)
                                    for unified in unify([r for r in named if r["id"] == key],
                                                         key)]
    else:
        merged_records = old_records
    kind = old.kind if old_entries else new["kind"]
    info: dict[str, Any] = {"kind": kind, "entries": merged_entries}
    if old.type == "ProvDocument" and not old_entries:
        info["type"] = old.type
    return prov_node(new["id"], info, merged_records)


def merge_relation(new: dict[str, Any], old: StoredRelation) -> dict[str, Any] | None:
    """A named relation declared again: its records unified with the stored ones (None if
    nothing is new). The stored relation's role is kept, so it stays the same relation."""
    old_entries = (old.prov or {}).get("entries", [])
    added = [e for e in new["prov"]["entries"] if e not in old_entries]
    if not added:
        return None
    if not old_entries:  # the stored relation is native: nothing of PROV's to unify with
        return new
    merged = prov_relation({"relation": new["relation"], "from": new["from"], "to": new["to"],
                            "id": new["id"], "entries": unify(old_entries + added, new["id"])})
    merged.pop("role", None)
    if old.role is not None:
        merged["role"] = old.role
    return merged


def unify(entries: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    """Records of one id unified per bundle and record type, as ``prov``'s ``unified()``:
    the union of their attributes, multi-valued where they differ. InvalidEventError when
    two records give an activity different start or end times."""
    groups: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault((entry["bundle"], entry["record"]), []).append(entry)
    unified = []
    for (_bundle, record), group in groups.items():
        values: dict[str, list[Any]] = {}
        prefix: dict[str, str] = {}
        for entry in group:
            prefix.update(entry.get("prefix") or {})
            for name, value in entry["attributes"].items():
                bucket = values.setdefault(name, [])
                for item in value if isinstance(value, list) else [value]:
                    if item not in bucket:
                        bucket.append(item)
        attributes: dict[str, Any] = {}
        for name, items in values.items():
            if name in _FORMAL and len({canonical_json(i) for i in items}) > 1:
                raise InvalidEventError(
                    f"PROV document: {record} {label!r}: {name} {items[-1]!r} cannot be"
                    f" unified with the stored {items[0]!r} (PROV allows one value)")
            attributes[name] = items[0] if len(items) == 1 else items
        merged = {**group[0], "attributes": attributes, "prefix": prefix}
        unified.append(merged)
    return unified
