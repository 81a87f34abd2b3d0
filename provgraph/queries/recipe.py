"""A model's recipe: its ancestry read as steps with inputs, parameters, code and environment.

Shared by :mod:`.reproduce`, :mod:`.diff` and :mod:`.audit`. The walk runs in the store (one
ancestry with agents); this module only arranges its answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from provgraph.errors import NotFoundError
from provgraph.model import DEPENDENCY_RELATIONS, RESPONSIBILITY_RELATIONS
from provgraph.store.base import Store, StoredNode, StoredRelation

TRAINING_TYPES = frozenset({"Training", "FineTuning", "Distillation"})
POST_TRAINING_TYPES = frozenset({"Quantization", "Pruning", "Merge", "Distillation"})
CODE_ROLES = frozenset({"code"})
ENVIRONMENT_ROLES = frozenset({"environment"})
BASE_ROLES = frozenset({"base_model", "teacher", "input_model", "merge_input"})
DATA_ROLES = frozenset({"training_data", "calibration_data", "eval_data", "input", "corpus"})


@dataclass
class Input:
    """One input of a step."""

    id: str
    role: str | None
    type: str | None
    digest: str | None
    version: str | None
    opaque: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass
class Step:
    """One activity of the lineage with what it needs to be run again."""

    id: str
    type: str | None
    parameters: dict[str, Any]
    inputs: list[Input] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    informed_by: list[str] = field(default_factory=list)
    started_at: str | None = None
    ended_at: str | None = None

    def inputs_where(self, roles: frozenset[str], type: str) -> list[Input]:
        """The inputs in one of ``roles`` or of ``type``."""
        return [i for i in self.inputs if i.role in roles or i.type == type]

    @property
    def code(self) -> list[Input]:
        """Code inputs (role ``code`` or type ``Code``)."""
        return self.inputs_where(CODE_ROLES, "Code")

    @property
    def environment(self) -> list[Input]:
        """Environment inputs (role ``environment`` or type ``Environment``)."""
        return self.inputs_where(ENVIRONMENT_ROLES, "Environment")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id, "type": self.type, "parameters": self.parameters,
            "inputs": [i.to_dict() for i in self.inputs], "outputs": self.outputs,
            "code": [i.id for i in self.code], "environment": [i.id for i in self.environment],
            "agents": self.agents, "informed_by": self.informed_by,
            "started_at": self.started_at, "ended_at": self.ended_at,
        }


@dataclass
class Recipe:
    """The ancestry of ``root`` as steps in topological order (dependencies first)."""

    root: str
    nodes: dict[str, StoredNode]
    edges: list[StoredRelation]
    steps: list[Step]
    opaque: list[str]

    def of_type(self, *types: str) -> list[StoredNode]:
        """Nodes of the lineage (the root included) of one of ``types``."""
        return sorted((n for n in self.nodes.values() if n.type in types), key=lambda n: n.id)

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        return next(s for s in self.steps if s.id == step_id)


def load_recipe(store: Store, root: str, as_of: int) -> Recipe:
    """Walk the ancestry of ``root`` (agents included) and arrange it as steps."""
    if root not in store.nodes([root], as_of):
        raise NotFoundError(f"no node {root!r} in {store.uri}")
    relations = frozenset(r.value for r in DEPENDENCY_RELATIONS | RESPONSIBILITY_RELATIONS)
    traversal = store.traverse(root, "down", relations, None, as_of)
    nodes = store.nodes(traversal.nodes, as_of)
    edges = list(traversal.edges)
    activities = [n.id for n in nodes.values() if n.kind == "activity"]
    # A member-level input is never walked through, but it is still an input to re-run with.
    member_inputs = [r for r in store.relations(activities, as_of)
                     if r.relation == "used" and not r.follows and r.source in nodes]
    nodes.update(store.nodes([r.target for r in member_inputs], as_of))
    edges += member_inputs
    steps: dict[str, Step] = {}
    for node in nodes.values():
        if node.kind == "activity":
            steps[node.id] = Step(id=node.id, type=node.type, parameters=dict(node.attributes),
                                  started_at=node.started_at, ended_at=node.ended_at)
    order = nx.DiGraph()
    order.add_nodes_from(steps)
    generated_by = {e.source: e.target for e in edges if e.relation == "wasGeneratedBy"}
    for edge in sorted(edges, key=lambda e: (e.source, e.relation, e.target)):
        step = steps.get(edge.source)
        if step is None:
            if edge.relation == "wasGeneratedBy" and edge.target in steps:
                steps[edge.target].outputs.append(edge.source)
            continue
        target = nodes.get(edge.target)
        if edge.relation == "used":
            attributes = target.attributes if target else {}
            step.inputs.append(Input(
                id=edge.target, role=edge.role, type=target.type if target else None,
                digest=attributes.get("digest"), version=attributes.get("version"),
                opaque=bool(target and target.opaque)))
            producer = generated_by.get(edge.target)
            if producer in steps:
                order.add_edge(producer, step.id)
        elif edge.relation == "wasInformedBy":
            step.informed_by.append(edge.target)
            if edge.target in steps:
                order.add_edge(edge.target, step.id)
        elif edge.relation == "wasAssociatedWith":
            step.agents.append(edge.target)
    try:
        ordered = list(nx.lexicographical_topological_sort(order))
    except nx.NetworkXUnfeasible:  # a cycle of informedBy: fall back to a stable order
        ordered = sorted(steps)
    opaque = sorted(n.id for n in nodes.values() if n.opaque)
    return Recipe(root=root, nodes=nodes, edges=edges,
                  steps=[steps[s] for s in ordered], opaque=opaque)
