"""Hugging Face model cards as lineage (needs the ``hf`` extra, PyYAML).

The card's YAML front matter says where a model came from: ``base_model`` (one or a list),
``base_model_relation`` (finetune, adapter, quantized, merge), ``datasets`` and ``license``.
When the relation is absent it is inferred as the Hub does, from what the card shows: an
adapter (PEFT library, adapter files), a quantization (GGUF / GPTQ / AWQ / bits tags or file
names), a merge (several base models, mergekit), else a fine-tune. The license is recorded as
copied from the base model where the relation carries the weights' license along (fine-tune,
adapter, quantized), so where(model, "license") shows its origin — or a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provgraph.clock import NOW
from provgraph.errors import ConfigurationError, InvalidEventError
from provgraph.store.base import Store

RELATIONS = ("finetune", "adapter", "quantized", "merge")
ACTIVITY_TYPES = {"finetune": "FineTuning", "adapter": "FineTuning",
                  "quantized": "Quantization", "merge": "Merge"}
BASE_ROLES = {"finetune": "base_model", "adapter": "base_model",
              "quantized": "input_model", "merge": "merge_input"}
LICENSE_COPIED = {"finetune", "adapter", "quantized"}
_QUANTIZED = re.compile(r"gguf|gptq|awq|exl2|bnb|[48]-?bit|quantiz|int[48]", re.IGNORECASE)


@dataclass(frozen=True)
class HubCard:
    """A model card to import: its text, the Hub repository it describes, the revision it
    was read at (if known) and the repository's file names (to infer the relation)."""

    text: str
    repo_id: str
    revision: str | None = None
    files: tuple[str, ...] = field(default=())


def repo_of_path(path: Path) -> tuple[str, str | None] | None:
    """The Hub repository id and revision a card's path names, if it lies in a
    ``huggingface_hub`` cache (``models--ORG--NAME/snapshots/REV/README.md``).

    >>> repo_of_path(Path("/c/hub/models--acme--support-8b/snapshots/3f2a/README.md"))
    ('acme/support-8b', '3f2a')
    >>> repo_of_path(Path("README.md")) is None
    True
    """
    parts = path.parts
    for i, part in enumerate(parts):
        if part.startswith("models--") and len(part) > len("models--"):
            repo = part[len("models--"):].replace("--", "/", 1)
            revision = None
            if i + 2 < len(parts) and parts[i + 1] == "snapshots":
                revision = parts[i + 2]
            return repo, revision
    return None


def read_card(path: Path, repo_id: str | None = None) -> HubCard:
    """A model card file as a :class:`HubCard`: the repository is ``repo_id`` if given, else
    inferred from a Hub cache path (with the revision); the other files of its folder are the
    repository's files. InvalidEventError if the file cannot be read or the repository
    cannot be told."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidEventError(f"{path}: cannot read: {e}") from e
    try:
        front_matter(text)
    except InvalidEventError as e:
        raise InvalidEventError(f"{path}: {e}") from e
    inferred = repo_of_path(path.resolve())
    if repo_id is None and inferred is None:
        raise InvalidEventError(
            f"{path}: cannot tell which Hub repository this card describes (it is not in a"
            " huggingface_hub cache folder models--ORG--NAME/snapshots/REV/); give --repo-id"
            " ORG/NAME")
    repo, revision = repo_id, None
    if inferred is not None and repo_id in (None, inferred[0]):
        repo, revision = inferred
    files = tuple(sorted(p.name for p in path.parent.iterdir() if p.is_file()))
    return HubCard(text, repo or "", revision, files)


def front_matter(card: str) -> dict[str, Any]:
    """The YAML metadata block at the top of a model card."""
    try:
        import yaml
    except ImportError as e:
        raise ConfigurationError("model cards need the hf extra: pip install"
                                 " 'provgraph[hf]'") from e
    match = re.match(r"\A\ufeff?---\s*\n(.*?)\n---\s*(\n|\Z)", card, re.DOTALL)
    if match is None:
        raise InvalidEventError("model card: no YAML metadata block (--- ... ---) at the top")
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as e:
        raise InvalidEventError(f"model card: invalid YAML metadata: {e}") from e
    except RecursionError as e:
        raise InvalidEventError("model card: YAML metadata nested too deeply to read") from e
    if not isinstance(data, dict):
        raise InvalidEventError("model card: the metadata block must be a YAML mapping")
    return data


def _names(meta: dict[str, Any], key: str) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise InvalidEventError(f"model card: field {key}: expected a name or a list of names")
    return [v.strip() for v in values]


def infer_relation(meta: dict[str, Any], bases: list[str], repo_id: str,
                   files: Iterable[str] = ()) -> str:
    """The base-model relation the Hub would infer when the card does not say."""
    file_names = [f.lower() for f in files]
    tags = [str(t).lower() for t in meta.get("tags") or []]
    if str(meta.get("library_name", "")).lower() == "peft" or "peft" in tags or any(
            f.endswith("adapter_config.json") for f in file_names):
        return "adapter"
    if any(f.endswith(".gguf") for f in file_names) or any(
            _QUANTIZED.search(t) for t in tags) or _QUANTIZED.search(repo_id):
        return "quantized"
    if len(bases) > 1 or "mergekit" in tags or "merge" in tags:
        return "merge"
    return "finetune"


def card_events(card: str, repo_id: str, files: Iterable[str] = (),
                known: Iterable[str] = (), revision: str | None = None) -> list[dict[str, Any]]:
    """Native events for one model card of the Hub repository ``repo_id``; ``known`` are ids
    already stored, which a bare mention (a base model, a dataset) must not overwrite."""
    known = set(known)
    if not repo_id.strip():
        raise InvalidEventError("model card: a repository id is needed (e.g. org/model)")
    meta = front_matter(card)
    bases = _names(meta, "base_model")
    datasets = _names(meta, "datasets")
    relation = meta.get("base_model_relation")
    if relation is not None and relation not in RELATIONS:
        raise InvalidEventError(
            f"model card: field base_model_relation: {relation!r} is not one of"
            f" {', '.join(RELATIONS)}")
    if bases and relation is None:
        relation = infer_relation(meta, bases, repo_id, files)
    model = f"hf:{repo_id}"
    attributes: dict[str, Any] = {"repo_id": repo_id}
    if revision:
        attributes["revision"] = revision
    # license: other comes with license_name (and license_link): the licence's own name.
    for key in ("license", "license_name", "license_link", "library_name", "pipeline_tag"):
        if isinstance(meta.get(key), (str, int, float)):
            attributes[key] = str(meta[key])
    for key in ("tags", "language"):
        values = meta.get(key)
        if isinstance(values, list):
            attributes[key] = [str(v) for v in values]
        elif isinstance(values, str):
            attributes[key] = [values]
    nodes: list[dict[str, Any]] = [{"id": model, "kind": "entity",
                                    "type": "Adapter" if relation == "adapter" else "Model",
                                    "attributes": attributes}]
    relations: list[dict[str, Any]] = []
    if bases or datasets:
        step = relation or "training"
        activity = f"hf:{repo_id}#{step}"
        nodes.append({"id": activity, "kind": "activity",
                      "type": ACTIVITY_TYPES.get(step, "Training"),
                      "attributes": {"base_model_relation": step}})
        relations.append({"relation": "wasGeneratedBy", "from": model, "to": activity})

        def use(node_id: str, type: str, repo: str, role: str) -> None:
            # A bare mention must not overwrite what the repository's own card said.
            if node_id not in known:
                nodes.append({"id": node_id, "kind": "entity", "type": type,
                              "attributes": {"repo_id": repo}})
            relations.append({"relation": "used", "from": activity, "to": node_id,
                              "role": role})

        for base in bases:
            use(f"hf:{base}", "Model", base, BASE_ROLES[step])
            derivation: dict[str, Any] = {"relation": "wasDerivedFrom", "from": model,
                                          "to": f"hf:{base}"}
            if step in LICENSE_COPIED:
                derivation["copies"] = {"license": "license"}
            relations.append(derivation)
        role = "calibration_data" if step == "quantized" else "training_data"
        for dataset in datasets:
            use(f"hf:datasets/{dataset}", "Dataset", dataset, role)
    at = f"{revision}:" if revision else ""
    return [{"id": f"hf-card:{repo_id}:{at}{_fingerprint(card)}", "nodes": nodes,
             "relations": relations}]


def _fingerprint(card: str) -> str:
    import hashlib

    return hashlib.sha256(card.encode("utf-8")).hexdigest()[:16]


def hub_events(store: Store, cards: Iterable[HubCard]) -> list[dict[str, Any]]:
    """Native events for several cards, validated together: a mention of a model or dataset
    that ``store`` (or an earlier card) already describes does not overwrite it."""
    cards = list(cards)
    mentioned = []
    for card in cards:
        meta = front_matter(card.text)
        mentioned += [f"hf:{b}" for b in _names(meta, "base_model")]
        mentioned += [f"hf:datasets/{d}" for d in _names(meta, "datasets")]
    known = set(store.nodes(mentioned, NOW))
    events = []
    for card in cards:
        events += card_events(card.text, card.repo_id, card.files, known, card.revision)
        known.add(f"hf:{card.repo_id}")
    return events

