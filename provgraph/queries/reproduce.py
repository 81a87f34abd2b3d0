"""The reproduction plan: the steps that made a model, in order, and what blocks a re-run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provgraph.queries.recipe import TRAINING_TYPES, Recipe, Step, load_recipe
from provgraph.store.base import Store


@dataclass
class Plan:
    """Steps in topological order (run them top to bottom) and the blockers found."""

    root: str
    steps: list[Step]
    missing: list[dict[str, str]]

    @property
    def reproducible(self) -> bool:
        """Whether nothing blocks a re-run."""
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"root": self.root, "reproducible": self.reproducible,
                "steps": [s.to_dict() for s in self.steps], "missing": self.missing}


def _blockers(recipe: Recipe) -> list[dict[str, str]]:
    missing: list[dict[str, str]] = []

    def block(step: str, node: str, what: str) -> None:
        missing.append({"step": step, "node": node, "problem": what})

    if recipe.root not in {o for s in recipe.steps for o in s.outputs}:
        root = recipe.nodes.get(recipe.root)
        if root is not None and root.kind == "entity":
            block("", recipe.root, "no activity recorded as generating it")
    for step in recipe.steps:
        for item in step.inputs:
            if item.opaque:
                block(step.id, item.id, "opaque input: how it was made is unknown")
            elif item.digest is None and item.type not in ("Code", "Environment"):
                block(step.id, item.id, "input has no digest: cannot check it is the same")
        code = step.code
        if step.type in TRAINING_TYPES and not code:
            block(step.id, "", "no code version recorded")
        for item in code:
            attributes = recipe.nodes[item.id].attributes if item.id in recipe.nodes else {}
            if not attributes.get("commit"):
                block(step.id, item.id, "code has no commit")
            if attributes.get("dirty"):
                block(step.id, item.id, "code was run from a dirty working tree")
        if step.type in TRAINING_TYPES and not step.environment:
            block(step.id, "", "no environment recorded")
    return missing


def reproduce(store: Store, root: str, *, as_of: int) -> Plan:
    """The activities of ``root``'s ancestry in topological order, each with exact inputs
    (ids, digests, versions), parameters, code and environment; plus what is missing that
    blocks reproduction (no digest, no code version, dirty tree, opaque input, no
    environment). Raises NotFoundError if ``root`` is unknown."""
    recipe = load_recipe(store, root, as_of)
    return Plan(root=root, steps=recipe.steps, missing=_blockers(recipe))
