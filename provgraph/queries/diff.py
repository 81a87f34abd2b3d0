"""Lineage diff: two models' lineage side by side, aligned by role — the debugging question
"what is different about how these two were made?"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provgraph.queries.recipe import POST_TRAINING_TYPES, Recipe, load_recipe
from provgraph.store.base import Store

SECTIONS = ("data", "base_model", "code", "parameters", "environment", "post_training",
            "agents")


def _facts(recipe: Recipe) -> dict[str, dict[str, Any]]:
    """The comparable facts of one lineage, section by section, keyed for alignment."""
    data: dict[str, list[str]] = {}
    base: dict[str, list[str]] = {}
    for step in recipe.steps:
        for item in step.inputs:
            label = item.role or item.type or "input"
            if item.type in ("Dataset", "DataShard", "Record") or (
                    item.role and item.role.endswith("_data")) or item.role == "corpus":
                data.setdefault(f"{step.type}.{label}", []).append(item.id)
            elif item.type in ("Model", "Adapter", "Checkpoint") and item.id in recipe.nodes:
                base.setdefault(f"{step.type}.{label}", []).append(item.id)
    code: dict[str, Any] = {}
    for node in recipe.of_type("Code"):
        name = node.attributes.get("repository") or node.attributes.get("repo") or node.id
        code[str(name)] = {"id": node.id, "commit": node.attributes.get("commit"),
                           "dirty": node.attributes.get("dirty")}
    parameters: dict[str, Any] = {}
    for step in recipe.steps:
        for key, value in step.parameters.items():
            parameters[f"{step.type}.{key}"] = value
    environment: dict[str, Any] = {}
    for node in recipe.of_type("Environment"):
        for key, value in node.attributes.items():
            if key == "packages" and isinstance(value, list):
                for package in value:
                    name, _, version = str(package).partition("==")
                    environment[name] = version or True
            else:
                environment[key] = value
    post = [s.type for s in recipe.steps if s.type in POST_TRAINING_TYPES]
    agents = sorted({a for s in recipe.steps for a in s.agents})
    return {
        "data": {k: sorted(v) for k, v in data.items()},
        "base_model": {k: sorted(v) for k, v in base.items()},
        "code": code, "parameters": parameters, "environment": environment,
        "post_training": {"steps": post}, "agents": {"agents": agents},
    }


@dataclass
class Diff:
    """What differs between the lineages of ``a`` and ``b``, section by section."""

    a: str
    b: str
    sections: dict[str, dict[str, Any]]

    @property
    def identical(self) -> bool:
        """Whether no section differs."""
        return all(not s["changed"] and not s["only_a"] and not s["only_b"]
                   for s in self.sections.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON form: for each section, keys only in a, only in b, and changed [a, b]."""
        return {"a": self.a, "b": self.b, "identical": self.identical,
                "sections": self.sections}


def _compare(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {
        "only_a": {k: left[k] for k in sorted(left.keys() - right.keys())},
        "only_b": {k: right[k] for k in sorted(right.keys() - left.keys())},
        "changed": {k: [left[k], right[k]] for k in sorted(left.keys() & right.keys())
                    if left[k] != right[k]},
        "same": sorted(k for k in left.keys() & right.keys() if left[k] == right[k]),
    }


def diff(store: Store, a: str, b: str, *, as_of: int) -> Diff:
    """Compare how ``a`` and ``b`` were made: data versions and shards, base model, code
    commit (and dirty flag), hyperparameters key by key, environment (package versions),
    post-training steps and agents. Raises NotFoundError if either is unknown."""
    left, right = _facts(load_recipe(store, a, as_of)), _facts(load_recipe(store, b, as_of))
    return Diff(a=a, b=b, sections={s: _compare(left[s], right[s]) for s in SECTIONS})
