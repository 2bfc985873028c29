"""Model cards, as the Hugging Face Hub reads them: every card the project writes loads with
``huggingface_hub.ModelCard.load``, and its metadata is the artifact's own."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from tests.support.corpus import TINY_VARIANTS
from training import push
from zoo.artifact import CARD_FILE
from zoo.card import DATASET, LICENSE, PLACEHOLDER_REPO, render_card
from zoo.report import render_zoo_card
from zoo.store import BUNDLED_ZOO, open_zoo

REPO_ID = "zoo-keeper/simplernn-zoo"


def expected_results(metadata: dict, prefix: str = "") -> dict[str, float]:
    """The accuracies a card must carry for a variant, by metric name."""
    short = metadata.get("short_text_accuracy") or {}
    return {f"{prefix}test accuracy": metadata["test_accuracy"],
            **{f"{prefix}accuracy on each test review's {kind.replace('_', ' ')}": v for kind, v in short.items()}}


def check_card(card: ModelCard, model_name: str, results: dict[str, float]) -> None:
    """The card's header: license, library, dataset, task, and exactly ``results`` on IMDB's test split."""
    data = card.data
    assert (data.license, data.library_name, data.pipeline_tag, data.datasets) == (
        LICENSE, "keras", "text-classification", [DATASET])
    assert data.model_name == model_name
    assert {r.metric_name: r.metric_value for r in data.eval_results} == results
    assert {(r.task_type, r.dataset_type, r.dataset_split, r.metric_type) for r in data.eval_results} == {
        ("text-classification", DATASET, "test", "accuracy")}
    # The model-index the Hub reads is what the library writes from those results.
    [entry] = data.to_dict()["model-index"]
    assert entry["name"] == model_name
    assert [m["value"] for result in entry["results"] for m in result["metrics"]] == list(results.values())


@pytest.mark.parametrize("zoo_path", ["tiny", "bundled"])
def test_every_variant_card_loads_and_carries_the_artifacts_accuracies(zoo_path, tiny_zoo_path):
    zoo = open_zoo(tiny_zoo_path if zoo_path == "tiny" else BUNDLED_ZOO)
    assert zoo.artifacts(), "a zoo with variants"
    for artifact in zoo.artifacts():
        card = ModelCard.load(artifact.path / CARD_FILE)
        check_card(card, artifact.id, expected_results(artifact.metadata))
        assert artifact.spec.cell.lower() in card.data.tags
        assert f'"{PLACEHOLDER_REPO}", "{artifact.id}"' in card.text


def test_the_published_cards_load_and_name_their_repo(tiny_zoo_path, tmp_path):
    zoo = open_zoo(tiny_zoo_path)
    uploads = {u.path_in_repo: u.content for u in push.plan_upload(push.checked_zoo(tiny_zoo_path), REPO_ID)}
    for artifact in zoo.artifacts():
        path = tmp_path / artifact.id / CARD_FILE
        path.parent.mkdir()
        path.write_bytes(uploads[f"{artifact.id}/{CARD_FILE}"])
        card = ModelCard.load(path)
        check_card(card, artifact.id, expected_results(artifact.metadata))
        assert f'"{REPO_ID}", "{artifact.id}"' in card.text and PLACEHOLDER_REPO not in card.text
    (tmp_path / CARD_FILE).write_bytes(uploads[CARD_FILE])
    zoo_card = ModelCard.load(tmp_path / CARD_FILE)
    results = {k: v for a in zoo.artifacts() for k, v in expected_results(a.metadata, f"{a.id} ").items()}
    check_card(zoo_card, "simplernn-zoo", results)
    assert {"model-zoo", "simplernn"} <= set(zoo_card.data.tags)


def test_the_bundled_zoo_card_carries_every_variants_accuracies(tmp_path):
    zoo = open_zoo(BUNDLED_ZOO)
    (tmp_path / CARD_FILE).write_text(render_zoo_card(zoo, REPO_ID), encoding="utf-8")
    card = ModelCard.load(tmp_path / CARD_FILE)
    results = {k: v for a in zoo.artifacts() for k, v in expected_results(a.metadata, f"{a.id} ").items()}
    assert len(results) == 3 * len(zoo.ids)
    check_card(card, "simplernn-zoo", results)


def test_a_cards_facts_come_from_the_metadata(tiny_zoo_path):
    artifact = open_zoo(tiny_zoo_path).artifact(TINY_VARIANTS[0])
    metadata = copy.deepcopy(artifact.metadata)
    metadata["training"] = {"pipeline": "some-pipeline", "machine": {"cpu": "Some CPU 9000", "cores": 64},
                            "code_revision": "0123abcd"}
    metadata["text_pipeline"] = 41
    card = render_card(metadata, artifact.history)
    assert "Provenance: trained by the `some-pipeline` training pipeline, on Some CPU 9000, 64 cores, " \
           "text pipeline 41, code revision `0123abcd`" in card
    assert f"| seconds per epoch (Some CPU 9000, 64 cores) | {metadata['seconds_per_epoch']} |" in card
    assert "2-core" not in card

    metadata["training"]["code"] = {"git": "f1b852618204b0a6dd9e6609c27c364c6f98032b", "dirty": True}
    assert "code revision `f1b8526 (with uncommitted changes)`" in render_card(metadata, artifact.history)
    metadata["training"]["code"] = {"package": "0.4.0"}
    assert "code revision `package 0.4.0`" in render_card(metadata, artifact.history)

    del metadata["training"], metadata["text_pipeline"]
    card = render_card(metadata, artifact.history)
    assert "training pipeline not recorded, on a machine not recorded, text pipeline 1, code revision not recorded" in card


def test_the_card_shows_the_keras_recipe_for_the_variants_own_maxlen(tiny_zoo_path):
    artifact = open_zoo(tiny_zoo_path).artifact("simplernn-1x32-len300-tuned")
    text = Path(artifact.path / CARD_FILE).read_text(encoding="utf-8")
    assert "keras.utils.pad_sequences(ids, maxlen=300)" in text
    assert 'Tokenizer.from_file(f"{folder}/tokenizer.json")' in text
