"""A model's lineage as a CycloneDX 1.6 ML-BOM (``pip install "provgraph[cyclonedx]"``).

The model is the BOM's ``metadata.component`` (type ``machine-learning-model``); the models
it was made from are its ``pedigree.ancestors``; the datasets, shards and code it rests on are
``components`` (``data`` and ``file``); hashes come from the content digests recorded on each
node (``md5``, ``sha256``, ``sha1``, ``digest`` attributes), licences from its ``license``
attribute (SPDX ids and expressions; other names, such as model licences without an SPDX id,
as names). cyclonedx-python-lib builds and serializes all of that. It cannot express two 1.6
parts yet, which are added to its JSON by hand: the model's ``modelCard`` (its
``modelParameters.datasets`` refer to the data components) and ``formulation`` (one workflow
per recorded run: training, fine-tuning, distillation, evaluation ..., with its inputs and
outputs).

The BOM carries the chain head it was made at (``metadata.properties``, name
``provgraph:chain``, the same stamp as a PROV-JSON export), its serial number is derived from
that stamp and its timestamp is the time it describes, so ``provgraph verify --export FILE``
re-derives it from the verified store and names any edit.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from datetime import datetime, timezone
from typing import Any

from provgraph.clock import NOW
from provgraph.errors import ConfigurationError
from provgraph.formats.prov_write import chain_stamp
from provgraph.queries.lineage import entities, walk
from provgraph.store.base import Store, StoredNode

#: The name of the property that carries the chain stamp.
STAMP = "provgraph:chain"
HASH_ATTRIBUTES = {"sha256": "SHA-256", "sha512": "SHA-512", "sha1": "SHA-1", "md5": "MD5",
                   "digest": "SHA-256"}
_HEX = {"SHA-256": 64, "SHA-512": 128, "SHA-1": 40, "MD5": 32}
TASKS = {"build": ("train", "fine", "distill", "quantiz", "preprocess", "embed", "stage"),
         "merge": ("merge",), "test": ("eval",), "deploy": ("deploy",), "release": ("approv",)}


def _is_model(node: StoredNode) -> bool:
    return node.kind == "entity" and any(
        word in (node.type or "").lower() for word in ("model", "adapter", "checkpoint"))


def _is_data(node: StoredNode) -> bool:
    return node.kind == "entity" and any(
        word in (node.type or "").lower() for word in ("data", "shard", "corpus", "record"))


def export_cyclonedx(store: Store, root: str, as_of: int) -> str:
    """The CycloneDX 1.6 ML-BOM of model ``root`` as known at ``as_of`` (see the module doc),
    as JSON text. NotFoundError for an unknown id, ConfigurationError for an id that is not
    an entity."""
    head = store.log.chain_at(as_of)
    at = head.recorded_at if head is not None and as_of >= NOW else as_of
    return cyclonedx_at(store, root, at, chain_stamp(head, at, root))


def cyclonedx_at(store: Store, root: str, at: int, stamp: str) -> str:
    """The BOM of ``root`` at exactly ``at`` with a given chain stamp."""
    try:
        from cyclonedx.model.bom import Bom
        from cyclonedx.output.json import JsonV1Dot6
    except ImportError as e:
        raise ConfigurationError("CycloneDX export needs the cyclonedx extra: pip install"
                                 " 'provgraph[cyclonedx]'") from e
    entities(store, [root], at, "an ML-BOM describes a model (an entity)")
    lineage = walk(store, root, "down", depth=None, relations=None, include_agents=False,
                   as_of=at)
    nodes = store.nodes(lineage.ids | {root}, at)
    ordered = sorted(lineage.ids)
    model = _component(nodes[root], "machine-learning-model")
    bom = Bom()
    bom.serial_number = uuid.uuid5(uuid.NAMESPACE_URL, stamp)
    bom.metadata.timestamp = datetime.fromtimestamp(at / 1e6, tz=timezone.utc) \
        if at < NOW else datetime.fromtimestamp(0, tz=timezone.utc)
    bom.metadata.component = model
    from cyclonedx.model import Property
    from cyclonedx.model.component import Pedigree
    bom.metadata.properties.add(Property(name=STAMP, value=stamp))
    ancestors = [_component(nodes[i], "machine-learning-model") for i in ordered
                 if i in nodes and _is_model(nodes[i])]
    if ancestors:
        model.pedigree = Pedigree(ancestors=ancestors)
    data = [i for i in ordered if i in nodes and _is_data(nodes[i])]
    other = [i for i in ordered if i in nodes and nodes[i].kind == "entity"
             and not _is_model(nodes[i]) and not _is_data(nodes[i])]
    for node_id in data:
        bom.components.add(_component(nodes[node_id], "data"))
    for node_id in other:
        bom.components.add(_component(nodes[node_id], "file"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns that the BOM has no dependencies
        document = json.loads(JsonV1Dot6(bom).output_as_string())
    # What cyclonedx-python-lib cannot express yet, by hand.
    document["metadata"]["component"]["modelCard"] = {
        "bom-ref": f"modelcard:{root}",
        "modelParameters": {"datasets": [{"ref": node_id} for node_id in data]}}
    in_bom = {root, *data, *other, *(a for a in ordered if a in nodes and _is_model(nodes[a]))}
    workflows = []
    for node_id in ordered:
        node = nodes.get(node_id)
        if node is None or node.kind != "activity":
            continue
        inputs = sorted({e.target for e in lineage.edges
                         if e.source == node_id and e.relation == "used" and e.target in in_bom})
        outputs = sorted({e.source for e in lineage.edges
                          if e.target == node_id and e.relation == "wasGeneratedBy"
                          and e.source in in_bom})
        workflow: dict[str, Any] = {"bom-ref": f"workflow:{node_id}", "uid": node_id,
                                    "name": node_id, "taskTypes": [_task(node.type)]}
        if node.type:
            workflow["description"] = node.type
        if inputs:
            workflow["inputs"] = [{"resource": {"ref": i}} for i in inputs]
        if outputs:
            workflow["outputs"] = [{"resource": {"ref": o}} for o in outputs]
        workflows.append(workflow)
    if workflows:
        document["formulation"] = [{"bom-ref": f"formulation:{root}", "workflows": workflows}]
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


def _task(type_: str | None) -> str:
    word = (type_ or "").lower()
    for task, stems in TASKS.items():
        if any(stem in word for stem in stems):
            return task
    return "other"


def _component(node: StoredNode, kind: str) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    attributes = node.attributes
    hashes = []
    for name, alg in HASH_ATTRIBUTES.items():
        value = attributes.get(name)
        if isinstance(value, str) and re.fullmatch(f"[0-9a-fA-F]{{{_HEX[alg]}}}", value):
            hashes.append(HashType(alg=HashAlgorithm(alg), content=value.lower()))
    version = attributes.get("version") or attributes.get("revision")
    properties = [Property(name="provgraph:kind", value=node.kind)]
    if node.type:
        properties.append(Property(name="provgraph:type", value=node.type))
    if node.opaque:
        properties.append(Property(name="provgraph:opaque", value="true"))
    return Component(name=node.id, bom_ref=node.id, type=ComponentType(kind),
                     version=str(version) if version is not None else None, hashes=hashes,
                     licenses=_licenses(attributes.get("license")), properties=properties)


def _licenses(value: Any) -> list[Any]:
    if not isinstance(value, str) or not value.strip():
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from cyclonedx.factory.license import LicenseFactory
        return [LicenseFactory().make_from_string(value.strip())]


def cyclonedx_stamp(document: Any) -> str | None:
    """The chain stamp a BOM exported by provgraph carries, or None."""
    properties = document.get("metadata", {}).get("properties", []) \
        if isinstance(document, dict) else []
    for item in properties if isinstance(properties, list) else []:
        if isinstance(item, dict) and item.get("name") == STAMP:
            return str(item.get("value"))
    return None


def bom_differences(expected: Any, given: Any, path: str = "") -> list[str]:
    """Where two BOMs differ, as JSON paths (lists of components are matched by bom-ref)."""
    if isinstance(expected, dict) and isinstance(given, dict):
        out = []
        for key in sorted(set(expected) | set(given)):
            where = f"{path}.{key}" if path else key
            if key not in given:
                out.append(f"{where} was removed from the file")
            elif key not in expected:
                out.append(f"{where} was added to the file")
            else:
                out += bom_differences(expected[key], given[key], where)
        return out
    if isinstance(expected, list) and isinstance(given, list) and all(
            isinstance(x, dict) and "bom-ref" in x for x in expected + given):
        mine = {x["bom-ref"]: x for x in expected}
        theirs = {x["bom-ref"]: x for x in given}
        return bom_differences(mine, theirs, path)
    return [] if expected == given else [f"{path} was edited in the file"]
