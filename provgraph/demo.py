"""The demo lineage: the reference example (docs/queries.md) plus a richer model-hub sample.

Event ids are fixed, so building the demo twice gives the same graph.
"""

from __future__ import annotations

from typing import Any

from provgraph.builder import EventBuilder


def reference_events() -> list[dict[str, Any]]:
    """The reference example (docs/queries.md), as native events (one per step)."""
    data = EventBuilder("demo:reference:data")
    data.entity("raw@1", "Dataset", version="1")
    for shard in ("s1", "s2", "s3"):
        data.entity(shard, "DataShard")
    data.member("raw@1", "s1", "s2", "s3")

    pre = EventBuilder("demo:reference:preprocess")
    pre.activity("p1", "Preprocessing", step="dedup+filter")
    pre.entity("clean@1", "Dataset", version="1")
    pre.entity("c1", "DataShard").entity("c3", "DataShard")
    pre.used("p1", "raw@1", role="input", granularity="members")
    pre.generated("clean@1", "p1")
    pre.member("clean@1", "c1", "c3")
    pre.derived("c1", "s1").derived("c3", "s3")

    tune = EventBuilder("demo:reference:finetune")
    tune.entity("B", "Model", opaque=True, opaque_reason="vendor base model: training data unknown",
                tokenizer="tok-B", license="vendor-license")
    tune.entity("repo@abc", "Code", commit="abc", dirty=False)
    tune.agent("alice", "Person")
    tune.activity("f1", "FineTuning", lr=3e-4, epochs=3)
    tune.entity("M1", "Model", tokenizer="tok-B")
    tune.used("f1", "B", role="base_model").used("f1", "clean@1", role="training_data")
    tune.used("f1", "repo@abc", role="code")
    tune.associated("f1", "alice")
    tune.generated("M1", "f1")
    tune.derived("M1", "B", copies={"tokenizer": "tokenizer"})

    distill = EventBuilder("demo:reference:distill")
    distill.activity("d1", "Distillation", temperature=2.0)
    distill.entity("S1", "Model", tokenizer="tok-B", license="apache-2.0")
    distill.used("d1", "M1", role="teacher").used("d1", "clean@1", role="training_data")
    distill.generated("S1", "d1")
    distill.derived("S1", "M1", copies={"tokenizer": "tokenizer"})

    quant = EventBuilder("demo:reference:quantize")
    quant.activity("q1", "Quantization", bits=8)
    quant.entity("S1-int8", "Model", tokenizer="tok-B", license="apache-2.0")
    quant.used("q1", "S1", role="input_model")
    quant.generated("S1-int8", "q1")
    quant.derived("S1-int8", "S1", copies={"tokenizer": "tokenizer", "license": "license"})

    system = EventBuilder("demo:reference:system")
    system.entity("R", "System").entity("P", "Prompt").entity("I", "Index")
    system.entity("K", "Dataset", description="retrieval corpus")
    system.activity("e1", "Embedding")
    system.used("e1", "S1", role="embedding_model").used("e1", "K", role="corpus")
    system.generated("I", "e1")
    system.member("R", "S1-int8", "P", "I")
    return [b.build() for b in (data, pre, tune, distill, quant, system)]


def sample_events() -> list[dict[str, Any]]:
    """A model hub in miniature: one foundation model, its fine-tunes, a distillation,
    quantizations, a merge, evaluations, an approval, a deployment and a RAG system."""
    hub = EventBuilder("demo:sample:hub")
    hub.agent("org:acme", "Organization").agent("person:bob", "Person")
    hub.agent("pipeline:nightly", "Pipeline")
    hub.relation("actedOnBehalfOf", "person:bob", "org:acme")
    hub.entity("model:foundation-7b", "Model", opaque=True,
               opaque_reason="third-party weights; pre-training data undisclosed",
               license="llama-community", tokenizer="sp-32k", params="7B")
    hub.entity("code:trainer@9f1c2e", "Code", commit="9f1c2e", dirty=False,
               repo="git@example.com:acme/trainer.git")
    hub.entity("env:cuda12-torch2.3", "Environment", python="3.11.7",
               packages=["torch==2.3.1", "transformers==4.44.0", "peft==0.12.0"])
    hub.entity("config:sft-v2", "Config", lr=2e-5, batch_size=64, epochs=2)
    for name, rows in (("instruct", 52000), ("code", 120000), ("med", 8000)):
        hub.entity(f"dataset:{name}@2", "Dataset", version="2", rows=rows)
    hub.entity("dataset:eval-holdout@1", "Dataset", version="1")

    runs = EventBuilder("demo:sample:finetunes")
    for name in ("instruct", "code", "med"):
        run, model = f"run:sft-{name}", f"model:acme-7b-{name}"
        runs.activity(run, "FineTuning", lr=2e-5, epochs=2,
                      started_at="2026-10-01T08:00:00Z", ended_at="2026-10-01T20:00:00Z")
        runs.entity(model, "Model", tokenizer="sp-32k", license="llama-community")
        runs.used(run, "model:foundation-7b", role="base_model")
        runs.used(run, f"dataset:{name}@2", role="training_data")
        runs.used(run, "code:trainer@9f1c2e", role="code")
        runs.used(run, "env:cuda12-torch2.3", role="environment")
        runs.used(run, "config:sft-v2", role="config")
        runs.associated(run, "pipeline:nightly")
        runs.generated(model, run)
        runs.derived(model, "model:foundation-7b",
                     copies={"tokenizer": "tokenizer", "license": "license"})
    runs.activity("run:lora-med", "FineTuning", lr=1e-4, rank=16)
    runs.entity("adapter:med-lora", "Adapter", rank=16)
    runs.used("run:lora-med", "model:acme-7b-med", role="base_model")
    runs.used("run:lora-med", "dataset:med@2", role="training_data")
    runs.generated("adapter:med-lora", "run:lora-med")

    post = EventBuilder("demo:sample:post-training")
    post.activity("run:merge-ic", "Merge", method="ties", weights=[0.6, 0.4])
    post.entity("model:acme-7b-merged", "Model", tokenizer="sp-32k")
    post.used("run:merge-ic", "model:acme-7b-instruct", role="merge_input")
    post.used("run:merge-ic", "model:acme-7b-code", role="merge_input")
    post.generated("model:acme-7b-merged", "run:merge-ic")
    post.derived("model:acme-7b-merged", "model:acme-7b-instruct",
                 copies={"tokenizer": "tokenizer"})
    post.derived("model:acme-7b-merged", "model:acme-7b-code")
    post.activity("run:distill-1b", "Distillation", temperature=1.5)
    post.entity("model:acme-1b", "Model", tokenizer="sp-32k")
    post.used("run:distill-1b", "model:acme-7b-merged", role="teacher")
    post.used("run:distill-1b", "dataset:instruct@2", role="training_data")
    post.generated("model:acme-1b", "run:distill-1b")
    post.derived("model:acme-1b", "model:acme-7b-merged", copies={"tokenizer": "tokenizer"})
    for bits in (8, 4):
        run, model = f"run:quant-int{bits}", f"model:acme-1b-int{bits}"
        post.activity(run, "Quantization", bits=bits, method="gptq")
        post.entity(model, "Model", tokenizer="sp-32k")
        post.used(run, "model:acme-1b", role="input_model")
        post.generated(model, run)
        post.derived(model, "model:acme-1b", copies={"tokenizer": "tokenizer"})

    ship = EventBuilder("demo:sample:ship")
    for split in ("validation", "test"):
        run, result = f"run:eval-{split}", f"eval:acme-1b-int8-{split}"
        ship.activity(run, "Evaluation", split=split)
        ship.entity(result, "EvaluationResult", accuracy=0.71 if split == "test" else 0.73)
        ship.used(run, "model:acme-1b-int8", role="model")
        ship.used(run, "dataset:eval-holdout@1", role="eval_data")
        ship.generated(result, run)
    ship.activity("run:approve-1b", "Approval", decision="approved")
    ship.used("run:approve-1b", "eval:acme-1b-int8-test", role="evidence")
    ship.used("run:approve-1b", "model:acme-1b-int8", role="model")
    ship.associated("run:approve-1b", "person:bob", role="approver")
    ship.activity("run:deploy-prod", "Deployment", region="eu-west")
    ship.entity("deploy:chat-prod", "Deployment", endpoint="chat-prod")
    ship.used("run:deploy-prod", "model:acme-1b-int8", role="model")
    ship.relation("wasInformedBy", "run:deploy-prod", "run:approve-1b")
    ship.generated("deploy:chat-prod", "run:deploy-prod")

    rag = EventBuilder("demo:sample:rag")
    rag.entity("model:embed-small", "Model", opaque=True, opaque_reason="vendor embedding model")
    rag.entity("dataset:support-docs@5", "Dataset", version="5")
    rag.activity("run:embed-docs", "Embedding")
    rag.entity("index:support@5", "Index", dims=384)
    rag.used("run:embed-docs", "model:embed-small", role="embedding_model")
    rag.used("run:embed-docs", "dataset:support-docs@5", role="corpus")
    rag.generated("index:support@5", "run:embed-docs")
    rag.entity("prompt:support-v3", "Prompt")
    rag.entity("system:support-bot", "System")
    rag.member("system:support-bot", "model:acme-1b-int4", "index:support@5", "prompt:support-v3")
    return [b.build() for b in (hub, runs, post, ship, rag)]


def demo_events() -> list[dict[str, Any]]:
    """Everything ``provgraph demo`` loads."""
    return reference_events() + sample_events()
