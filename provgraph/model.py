"""The lineage graph's vocabulary and its two record types, :class:`Node` and :class:`Relation`.

A node is a PROV entity, activity or agent with an ML ``type`` (``Model``, ``FineTuning``,
``Person`` ...); a relation is one of the PROV relations, pointing from the later thing to
what it depends on (``model --wasGeneratedBy--> finetune --used--> dataset``).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AGENT_TYPES",
    "ACTIVITY_TYPES",
    "DEPENDENCY_RELATIONS",
    "ENTITY_TYPES",
    "RESPONSIBILITY_RELATIONS",
    "AttributeValue",
    "Kind",
    "Node",
    "Relation",
    "RelationName",
    "RelationRef",
    "relation_key",
]


class Kind(str, Enum):
    """The three PROV node kinds."""

    ENTITY = "entity"
    ACTIVITY = "activity"
    AGENT = "agent"


class RelationName(str, Enum):
    """The PROV relations provgraph stores, spelled as in PROV-JSON."""

    USED = "used"
    WAS_GENERATED_BY = "wasGeneratedBy"
    WAS_DERIVED_FROM = "wasDerivedFrom"
    WAS_INFORMED_BY = "wasInformedBy"
    HAD_MEMBER = "hadMember"
    SPECIALIZATION_OF = "specializationOf"
    ALTERNATE_OF = "alternateOf"
    WAS_INVALIDATED_BY = "wasInvalidatedBy"
    WAS_ASSOCIATED_WITH = "wasAssociatedWith"
    WAS_ATTRIBUTED_TO = "wasAttributedTo"
    ACTED_ON_BEHALF_OF = "actedOnBehalfOf"
    WAS_STARTED_BY = "wasStartedBy"
    WAS_ENDED_BY = "wasEndedBy"
    WAS_INFLUENCED_BY = "wasInfluencedBy"
    MENTION_OF = "mentionOf"


#: Edges a thing depends on: what ancestry and impact follow (docs/graph.md, "Relations").
DEPENDENCY_RELATIONS: frozenset[RelationName] = frozenset(
    {
        RelationName.USED,
        RelationName.WAS_GENERATED_BY,
        RelationName.WAS_DERIVED_FROM,
        RelationName.WAS_INFORMED_BY,
        RelationName.HAD_MEMBER,
    }
)

#: Edges that say who is responsible: followed only with ``include_agents=True``.
RESPONSIBILITY_RELATIONS: frozenset[RelationName] = frozenset(
    {
        RelationName.WAS_ASSOCIATED_WITH,
        RelationName.WAS_ATTRIBUTED_TO,
        RelationName.ACTED_ON_BEHALF_OF,
    }
)

#: Which node kinds each relation connects (from-kind, to-kind); ``None`` allows any.
RELATION_KINDS: dict[RelationName, tuple[Kind | None, Kind | None]] = {
    RelationName.USED: (Kind.ACTIVITY, Kind.ENTITY),
    RelationName.WAS_GENERATED_BY: (Kind.ENTITY, Kind.ACTIVITY),
    RelationName.WAS_DERIVED_FROM: (Kind.ENTITY, Kind.ENTITY),
    RelationName.WAS_INFORMED_BY: (Kind.ACTIVITY, Kind.ACTIVITY),
    RelationName.HAD_MEMBER: (Kind.ENTITY, Kind.ENTITY),
    RelationName.SPECIALIZATION_OF: (Kind.ENTITY, Kind.ENTITY),
    RelationName.ALTERNATE_OF: (Kind.ENTITY, Kind.ENTITY),
    RelationName.WAS_INVALIDATED_BY: (Kind.ENTITY, Kind.ACTIVITY),
    RelationName.WAS_ASSOCIATED_WITH: (Kind.ACTIVITY, Kind.AGENT),
    RelationName.WAS_ATTRIBUTED_TO: (Kind.ENTITY, Kind.AGENT),
    RelationName.ACTED_ON_BEHALF_OF: (Kind.AGENT, Kind.AGENT),
    RelationName.WAS_STARTED_BY: (Kind.ACTIVITY, Kind.ENTITY),
    RelationName.WAS_ENDED_BY: (Kind.ACTIVITY, Kind.ENTITY),
    RelationName.WAS_INFLUENCED_BY: (None, None),
    RelationName.MENTION_OF: (Kind.ENTITY, Kind.ENTITY),
}

ENTITY_TYPES = frozenset([
    "Dataset", "DataShard", "Record", "Model", "Adapter", "Checkpoint", "Code", "Config",
    "Environment", "EvaluationResult", "Deployment", "System", "Prompt", "Index",
])
ACTIVITY_TYPES = frozenset([
    "Preprocessing", "Training", "FineTuning", "Distillation", "Quantization", "Pruning",
    "Merge", "Evaluation", "Approval", "Deployment", "Composition", "Embedding",
])
AGENT_TYPES = frozenset(["Person", "Pipeline", "Organization", "SoftwareAgent"])

Scalar = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime alias on Python 3.10
#: An attribute value: a JSON scalar or a list of scalars.
AttributeValue = Union[Scalar, list[Scalar]]  # noqa: UP007

_ID_PATTERN = r"^\S(.*\S)?$"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Attributes: non-empty names, each a JSON scalar or a list of scalars (checked by pydantic's
#: core, no Python call per record).
Attributes = dict[Annotated[str, Field(min_length=1)], AttributeValue]


class Node(_Record):
    """A PROV entity, activity or agent.

    >>> Node(id="model:acme/llama-ft@3", kind="entity", type="Model").kind
    <Kind.ENTITY: 'entity'>
    """

    id: Annotated[str, Field(min_length=1, max_length=1024, pattern=_ID_PATTERN)]
    kind: Kind
    type: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    attributes: Attributes = Field(default_factory=dict)
    opaque: bool = False
    opaque_reason: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    #: The PROV-JSON records this node was imported from, kept verbatim for a lossless
    #: export (record type, bundle, attributes, prefixes); None for native nodes.
    prov: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> Node:
        if (self.started_at or self.ended_at) and self.kind is not Kind.ACTIVITY:
            raise ValueError("started_at / ended_at belong to activities only")
        if self.opaque_reason and not self.opaque:
            raise ValueError("opaque_reason given but opaque is false")
        return self


class Relation(_Record):
    """A PROV relation from the later thing to what it depends on.

    ``copies`` maps an attribute of ``from`` to the attribute of ``to`` it was copied from
    (where-provenance); ``granularity="members"`` on ``used`` says the dependence is recorded
    member by member, so traversals skip this edge; ``alternative=True`` on ``wasDerivedFrom``
    makes each such source an alternative (OR) for why-provenance.

    >>> Relation(relation="used", **{"from": "act:f1", "to": "model:B"}, role="base_model").key
    'used:act:f1->model:B#base_model'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str | None = None
    relation: RelationName
    from_: Annotated[str, Field(alias="from", min_length=1, max_length=1024)]
    to: Annotated[str, Field(min_length=1, max_length=1024)]
    role: str | None = None
    attributes: Attributes = Field(default_factory=dict)
    copies: dict[str, str] = Field(default_factory=dict)
    granularity: Literal["members"] | None = None
    alternative: bool = False
    plan: str | None = None
    time: str | None = None
    #: The PROV-JSON records this relation was imported from, kept verbatim; None if native.
    prov: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> Relation:
        if self.granularity and self.relation is not RelationName.USED:
            raise ValueError("granularity applies to 'used' relations only")
        if self.alternative and self.relation is not RelationName.WAS_DERIVED_FROM:
            raise ValueError("alternative applies to 'wasDerivedFrom' relations only")
        if self.plan and self.relation is not RelationName.WAS_ASSOCIATED_WITH:
            raise ValueError("plan applies to 'wasAssociatedWith' relations only")
        return self

    @property
    def key(self) -> str:
        """The relation's identity: relation, ends, role and explicit id (if any)."""
        # ``_value_``: the member's value read directly (``.value`` is a Python property,
        # 0.12 µs more, paid millions of times on a large import).
        return relation_key(self.relation._value_, self.from_, self.to, self.role, self.id)

    @property
    def follows(self) -> bool:
        """Whether traversals may follow this edge (``granularity: members`` edges are kept
        and shown but never followed)."""
        return self.granularity != "members"


class RelationRef(BaseModel):
    """Names one relation (to retract it): its relation, ends, and role / id if it has them."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    relation: RelationName
    from_: Annotated[str, Field(alias="from", min_length=1)]
    to: Annotated[str, Field(min_length=1)]
    role: str | None = None
    id: str | None = None

    @property
    def key(self) -> str:
        """The key of the relation this names."""
        return relation_key(self.relation.value, self.from_, self.to, self.role, self.id)


def relation_key(
    relation: str, source: str, target: str, role: str | None, id: str | None = None
) -> str:
    """The identity of a relation: one version chain per key.

    >>> relation_key("used", "act:p1", "ds:raw@1", None)
    'used:act:p1->ds:raw@1'
    """
    key = f"{relation}:{source}->{target}"
    if role:
        key += f"#{role}"
    return f"{key}@{id}" if id else key
