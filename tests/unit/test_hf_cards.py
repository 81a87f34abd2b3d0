"""Hugging Face model cards: base models, relations (given or inferred), datasets, license."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import provgraph
from provgraph import InvalidEventError
from provgraph.cli import main

BASE_CARD = """---
license: llama3.1
library_name: transformers
pipeline_tag: text-generation
---
# Llama 3.1 8B
"""

FINETUNE_CARD = """---
license: llama3.1
base_model: meta-llama/Llama-3.1-8B
datasets:
- acme/support-tickets
- acme/faq
language: [en, de]
---
# acme/support-8b
Fine-tuned on our support tickets.
"""

GGUF_CARD = """---
base_model: acme/support-8b
tags:
- gguf
- 4-bit
license: apache-2.0
---
Quantized with llama.cpp.
"""

ADAPTER_CARD = """---
base_model: meta-llama/Llama-3.1-8B
library_name: peft
license: llama3.1
---
"""

MERGE_CARD = """---
base_model:
- acme/support-8b
- acme/code-8b
tags: [mergekit, merge]
---
"""


@pytest.fixture
def hub() -> provgraph.Graph:
    g = provgraph.connect("sqlite:///:memory:")
    g.import_hf_card(BASE_CARD, "meta-llama/Llama-3.1-8B")
    g.import_hf_card(FINETUNE_CARD, "acme/support-8b")
    return g


def test_finetune_card(hub: provgraph.Graph) -> None:
    ancestry = hub.ancestry("hf:acme/support-8b")
    assert ancestry.ids == {"hf:acme/support-8b#finetune", "hf:meta-llama/Llama-3.1-8B",
                            "hf:datasets/acme/support-tickets", "hf:datasets/acme/faq"}
    assert hub.node("hf:acme/support-8b#finetune").type == "FineTuning"
    assert hub.node("hf:acme/support-8b").attributes["language"] == ["en", "de"]
    # The base model's own card was not overwritten by the mention.
    assert hub.node("hf:meta-llama/Llama-3.1-8B").attributes["library_name"] == "transformers"
    where = hub.where("hf:acme/support-8b", "license")
    assert where.origin == "hf:meta-llama/Llama-3.1-8B" and where.conflicts == []


def test_inferred_relations(hub: provgraph.Graph) -> None:
    hub.import_hf_card(GGUF_CARD, "acme/support-8b-GGUF")
    hub.import_hf_card(ADAPTER_CARD, "acme/support-lora")
    hub.import_hf_card(MERGE_CARD, "acme/support-code-merge")
    assert hub.node("hf:acme/support-8b-GGUF#quantized").type == "Quantization"
    assert hub.node("hf:acme/support-lora").type == "Adapter"
    assert hub.node("hf:acme/support-code-merge#merge").type == "Merge"
    # A quantization that declares another license than its base: where() says so.
    conflicts = hub.where("hf:acme/support-8b-GGUF", "license").conflicts
    assert conflicts[0]["value"] == "apache-2.0" and conflicts[0]["source_value"] == "llama3.1"
    assert {"hf:acme/support-8b-GGUF", "hf:acme/support-code-merge"} <= hub.impact(
        "hf:acme/support-8b").ids


def test_explicit_relation_wins() -> None:
    g = provgraph.connect("sqlite:///:memory:")
    card = GGUF_CARD.replace("license:", "base_model_relation: finetune\nlicense:")
    g.import_hf_card(card, "acme/not-really-quantized")
    assert g.node("hf:acme/not-really-quantized#finetune").type == "FineTuning"


@pytest.mark.parametrize(("card", "message"), [
    ("# no metadata", "no YAML metadata block"),
    ("---\nbase_model: [unclosed\n---\n", "invalid YAML metadata"),
    ("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n", "YAML metadata nested too deeply"),
    ("---\nbase_model_relation: distilled\nbase_model: x/y\n---\n",
     "field base_model_relation: 'distilled' is not one of"),
    ("---\nbase_model: 42\n---\n", "field base_model: expected a name"),
])
def test_bad_cards_are_refused_and_write_nothing(card: str, message: str) -> None:
    g = provgraph.connect("sqlite:///:memory:")
    with pytest.raises(InvalidEventError, match=message):
        g.import_hf_card(card, "acme/bad")
    assert list(g.store.ids(2**62)) == []


def test_cli_imports_a_card(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(FINETUNE_CARD)
    uri = f"sqlite:///{tmp_path / 'hf.sqlite'}"
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "hf",
                                       "--repo-id", "acme/support-8b", str(readme)])
    assert result.exit_code == 0, result.output
    assert "model card of acme/support-8b imported" in result.stdout
    missing = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "hf", str(readme)])
    assert missing.exit_code == 1
    assert missing.stderr.count("\n") == 1 and "give --repo-id ORG/NAME" in missing.stderr


def _cached(root: Path, repo: str, revision: str, card: str, *files: str) -> Path:
    folder = root / "hub" / f"models--{repo.replace('/', '--')}" / "snapshots" / revision
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).write_text("{}")
    (folder / "README.md").write_text(card)
    return folder / "README.md"


def test_cli_reads_repo_and_revision_from_the_hub_cache_and_takes_several_cards(
        tmp_path: Path) -> None:
    base = _cached(tmp_path, "meta-llama/Llama-3.1-8B", "d04e592b", "---\nlicense: llama3.1\n---\n")
    adapter = _cached(tmp_path, "acme/support-lora", "9f1c2e7a",
                      "---\nbase_model: meta-llama/Llama-3.1-8B\nlicense: llama3.1\n---\n",
                      "adapter_config.json")
    uri = f"sqlite:///{tmp_path / 'hf.sqlite'}"
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "hf", str(adapter),
                                       str(base)])
    assert result.exit_code == 0, result.output
    assert "model card of acme/support-lora at revision 9f1c2e7a imported" in result.stdout
    with provgraph.connect(uri) as g:
        model = g.node("hf:acme/support-lora")
        assert (model.type, model.attributes["revision"]) == ("Adapter", "9f1c2e7a")
        # The base's own card is kept, not overwritten by the adapter's mention of it.
        assert g.node("hf:meta-llama/Llama-3.1-8B").attributes["revision"] == "d04e592b"
        assert "hf:meta-llama/Llama-3.1-8B" in g.ancestry("hf:acme/support-lora").ids
    several = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "hf", "--repo-id",
                                        "a/b", str(adapter), str(base)])
    assert several.exit_code == 2 and "--repo-id applies to a single card" in several.stderr


def test_one_bad_card_among_several_writes_nothing(tmp_path: Path) -> None:
    good = _cached(tmp_path, "acme/good", "1", FINETUNE_CARD)
    bad = _cached(tmp_path, "acme/bad", "2", "# no metadata")
    uri = f"sqlite:///{tmp_path / 'hf.sqlite'}"
    result = CliRunner().invoke(main, ["--uri", uri, "import", "--format", "hf", str(good),
                                       str(bad)])
    assert result.exit_code == 1 and f"{bad}: model card: no YAML metadata block" in result.stderr
    with provgraph.connect(uri) as g:
        assert list(g.store.ids(2**62)) == []


def test_a_licence_without_an_spdx_id_is_read_by_its_name() -> None:
    # The Hub's form for a licence it has no id for: license: other, license_name, license_link.
    g = provgraph.connect("sqlite:///:memory:")
    g.import_hf_card(BASE_CARD, "meta-llama/Llama-3.1-8B")
    g.import_hf_card("---\nbase_model: meta-llama/Llama-3.1-8B\nlicense: other\n"
                     "license_name: acme-research\nlicense_link: https://acme.example/terms\n"
                     "---\n", "acme/research-8b")
    attributes = g.node("hf:acme/research-8b").attributes
    assert (attributes["license"], attributes["license_name"], attributes["license_link"]) == (
        "other", "acme-research", "https://acme.example/terms")
    report = g.licenses("hf:acme/research-8b").to_dict()
    assert report["declared"] == "acme-research"
    assert [b["license"] for b in report["binding"]] == ["llama3.1"]
    assert "terms are unknown" in report["conflicts"][0]["reason"]
