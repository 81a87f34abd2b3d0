"""A generator of realistic model lineage, deterministic for a seed.

A few opaque foundation models, one of them popular (about half of all descendants, as on
real model hubs); chains of fine-tunes up to depth 30, adapters, distillations, quantizations
and merges; datasets with shards and a preprocessing step that drops some shards
(member-level); evaluations, approvals, deployments; RAG systems with indexes; agents.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from provgraph import EventBuilder


@dataclass
class Shape:
    """What was generated: roots worth querying, counts."""

    nodes: int = 0
    relations: int = 0
    popular_base: str = ""
    leaves: list[str] = field(default_factory=list)
    deep: list[str] = field(default_factory=list)
    shards: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)


def generate(target_nodes: int, seed: int = 7) -> tuple[list[dict[str, Any]], Shape]:
    """Native events (one per step) for a lineage of about ``target_nodes`` nodes."""
    events = list(_events(target_nodes, seed, shape := Shape()))
    return events, shape


def _events(target: int, seed: int, shape: Shape) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    serial = iter(range(10**9))

    def emit(b: EventBuilder) -> dict[str, Any]:
        shape.nodes += len(b.nodes)
        shape.relations += len(b.relations)
        return b.build()

    people = [f"person:{i}" for i in range(20)]
    pipelines = [f"pipeline:{i}" for i in range(5)]
    setup = EventBuilder("setup")
    setup.agent("org:hub", "Organization")
    for agent in people:
        setup.agent(agent, "Person").relation("actedOnBehalfOf", agent, "org:hub")
    for agent in pipelines:
        setup.agent(agent, "Pipeline")
    foundations = [f"model:foundation-{i}" for i in range(5)]
    for model in foundations:
        setup.entity(model, "Model", opaque=True, opaque_reason="vendor weights",
                     tokenizer=f"tok-{model[-1]}", license="vendor")
        shape.depth[model] = 0
    commits = [f"code:trainer@{i:06x}" for i in range(50)]
    for commit in commits:
        setup.entity(commit, "Code", commit=commit[-6:], dirty=rng.random() < 0.05)
    envs = [f"env:{i}" for i in range(10)]
    for env in envs:
        setup.entity(env, "Environment", packages=[f"torch==2.{i}" for i in range(3)])
    yield emit(setup)
    shape.popular_base = foundations[0]

    # Datasets: about a fifth of the nodes are shards.
    clean_sets: list[str] = []
    shard_budget = target // 5
    while shard_budget > 0:
        d = next(serial)
        b = EventBuilder(f"dataset-{d}")
        raw, clean, run = f"dataset:raw-{d}@1", f"dataset:clean-{d}@1", f"run:prep-{d}"
        b.entity(raw, "Dataset", version="1").entity(clean, "Dataset", version="1")
        b.activity(run, "Preprocessing")
        b.used(run, raw, role="input", granularity="members").generated(clean, run)
        count = rng.randint(20, 200)
        for s in range(count):
            shard = f"shard:{d}-{s}"
            b.entity(shard, "DataShard").member(raw, shard)
            if rng.random() < 0.9:  # preprocessing drops about a tenth
                kept = f"shard:{d}-{s}-clean"
                b.entity(kept, "DataShard").member(clean, kept).derived(kept, shard)
                if len(shape.shards) < 200:
                    shape.shards.append(shard)
        shard_budget -= count * 2
        clean_sets.append(clean)
        yield emit(b)

    models = list(foundations)
    popular_family: list[str] = []
    while shape.nodes < target:
        n = next(serial)
        kind = rng.random()
        # Skew: half of new models descend from the popular base's family.
        if popular_family and rng.random() < 0.5:
            parent = rng.choice(popular_family[-2000:])
        else:
            parent = rng.choice(models[-5000:])
        depth = shape.depth[parent] + 1
        if depth > 30:
            parent, depth = rng.choice(foundations), 1
        b = EventBuilder(f"step-{n}")
        model, run = f"model:m{n}", f"run:{n}"
        agent = rng.choice(people + pipelines)
        if kind < 0.55:
            b.activity(run, "FineTuning", lr=rng.choice([1e-5, 2e-5, 1e-4]),
                       epochs=rng.randint(1, 4))
            b.used(run, parent, role="base_model").used(run, rng.choice(clean_sets),
                                                        role="training_data")
            b.used(run, rng.choice(commits), role="code").used(run, rng.choice(envs),
                                                               role="environment")
            b.entity(model, "Model", tokenizer="copied")
        elif kind < 0.65:
            b.activity(run, "FineTuning", method="lora", rank=rng.choice([8, 16, 64]))
            b.used(run, parent, role="base_model").used(run, rng.choice(clean_sets),
                                                        role="training_data")
            b.entity(model, "Adapter", tokenizer="copied")
        elif kind < 0.75:
            b.activity(run, "Distillation", temperature=2.0)
            b.used(run, parent, role="teacher").used(run, rng.choice(clean_sets),
                                                     role="training_data")
            b.entity(model, "Model", tokenizer="copied")
        elif kind < 0.92:
            b.activity(run, "Quantization", bits=rng.choice([4, 8]))
            b.used(run, parent, role="input_model")
            b.entity(model, "Model", tokenizer="copied")
        else:
            other = rng.choice(models[-5000:])
            b.activity(run, "Merge", method="ties")
            b.used(run, parent, role="merge_input").used(run, other, role="merge_input")
            b.entity(model, "Model", tokenizer="copied")
            depth = max(depth, shape.depth[other] + 1)
        b.associated(run, agent).generated(model, run)
        b.derived(model, parent, copies={"tokenizer": "tokenizer"})
        shape.depth[model] = depth
        if parent == shape.popular_base or parent in popular_family[-2000:]:
            popular_family.append(model)
        models.append(model)
        if rng.random() < 0.15:
            ev, result = f"run:eval-{n}", f"eval:{n}"
            b.activity(ev, "Evaluation", split=rng.choice(["validation", "test"]))
            b.entity(result, "EvaluationResult", accuracy=round(rng.random(), 3))
            b.used(ev, model, role="model").generated(result, ev)
            if rng.random() < 0.3:
                ap, dep, deploy = f"run:approve-{n}", f"run:deploy-{n}", f"deploy:{n}"
                b.activity(ap, "Approval").used(ap, result, role="evidence")
                b.associated(ap, rng.choice(people), role="approver")
                b.activity(dep, "Deployment").used(dep, model, role="model")
                b.relation("wasInformedBy", dep, ap)
                b.entity(deploy, "Deployment").generated(deploy, dep)
        if rng.random() < 0.02:
            embed, index, system = f"run:embed-{n}", f"index:{n}", f"system:{n}"
            b.activity(embed, "Embedding").used(embed, rng.choice(foundations[1:]),
                                                 role="embedding_model")
            b.used(embed, rng.choice(clean_sets), role="corpus")
            b.entity(index, "Index").generated(index, embed)
            b.entity(f"prompt:{n}", "Prompt").entity(system, "System")
            b.member(system, model, index, f"prompt:{n}")
        yield emit(b)

    by_depth = sorted(models, key=lambda m: shape.depth[m])
    shape.deep = [m for m in by_depth[-200:] if shape.depth[m] >= 10][-50:]
    typical = [m for m in models if 3 <= shape.depth[m] <= 8]
    shape.leaves = rng.sample(typical, min(50, len(typical)))
