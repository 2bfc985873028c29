"""Model cards: the README.md of a variant, with Hugging Face metadata in its YAML header.

Cards are ``huggingface_hub.ModelCard``s: the header is a ``ModelCardData`` (license, library,
dataset, tags, and ``eval_results`` that the library writes as ``model-index``), and every
fact in a card comes from the artifact's own ``metadata.json`` and ``history.json``.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .artifact import CARD_FILE, FIRST_TEXT_PIPELINE, TOKENIZER_FILE, VOCABULARY_FILE
from .catalog import SEED_RECIPE_CLAIM, TRAINING_DIFFERENCES, VariantSpec

DATASET = "stanfordnlp/imdb"
DATASET_NAME = "IMDB (aclImdb_v1)"
LICENSE = "mit"
TAGS = ("keras", "text-classification", "sentiment-analysis", "imdb", "rnn")
TASK, TASK_NAME = "text-classification", "Sentiment analysis"
#: What a recipe's Hub user sets to a commit hash to pin every file (a card cannot name the
#: commit it is itself part of).
RECIPE_REVISION = "main"
#: The repo id a card names before it is published (``training.push`` renders it with the real one).
PLACEHOLDER_REPO = "OWNER/NAME"
#: The texts the Keras-only recipe classifies as its example.
RECIPE_TEXTS = ("What a wonderful film.", "Dull, and far too long.")


def eval_results(metadata: dict, prefix: str = "") -> list[EvalResult]:
    """A variant's accuracies as ``EvalResult``s: the IMDB test split, then each short-text
    kind the artifact records (the first and the last sentence of each test review).

    ``prefix`` starts each metric's name (the zoo card names the variant there).
    """
    def result(value: float, name: str) -> EvalResult:
        return EvalResult(task_type=TASK, task_name=TASK_NAME, dataset_type=DATASET, dataset_name=DATASET_NAME,
                          dataset_split="test", metric_type="accuracy", metric_value=value, metric_name=prefix + name)

    short = metadata.get("short_text_accuracy") or {}
    return [result(metadata["test_accuracy"], "test accuracy"),
            *(result(value, f"accuracy on each test review's {kind.replace('_', ' ')}") for kind, value in short.items())]


def card_data(model_name: str, results: list[EvalResult], tags: list[str]) -> ModelCardData:
    """The YAML header the Hugging Face Hub reads: license, library, dataset, tags, model-index."""
    return ModelCardData(
        model_name=model_name, eval_results=results, license=LICENSE, library_name="keras", language=["en"],
        pipeline_tag=TASK, datasets=[DATASET], metrics=["accuracy"], tags=tags,
    )


def model_card(data: ModelCardData, body: str) -> ModelCard:
    """A card of ``data`` (as its YAML header) and the Markdown ``body``."""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def training_record(metadata: dict) -> dict:
    """The artifact's ``training`` record (pipeline, machine, code revision); empty when it has none."""
    training = metadata.get("training")
    return training if isinstance(training, dict) else {}


def trained_on(metadata: dict) -> str:
    """The machine the artifact records its seconds per epoch on: ``"AMD EPYC, 2 cores"``."""
    training = training_record(metadata)
    machine = training.get("machine") if isinstance(training.get("machine"), dict) else {}
    return f"{machine['cpu']}, {machine['cores']} cores" if machine.get("cpu") and machine.get("cores") else \
        "a machine not recorded"


def code_revision(training: dict) -> str | None:
    """The code revision a training record names: ``training.reproduce.code_revision``'s
    ``{"git": commit, "dirty": bool}`` (``"f1b8526 (with uncommitted changes)"``) or
    ``{"package": version}``; or an older record's ``code_revision`` string."""
    code = training.get("code")
    if isinstance(code, dict) and code.get("git"):
        return str(code["git"])[:7] + (" (with uncommitted changes)" if code.get("dirty") else "")
    if isinstance(code, dict) and code.get("package"):
        return f"package {code['package']}"
    return training.get("code_revision")


def provenance(metadata: dict) -> str:
    """How the artifact says it was made: training pipeline, machine, text pipeline, code revision."""
    training = training_record(metadata)
    revision = code_revision(training) or metadata.get("code_revision")
    parts = [f"trained by the `{training['pipeline']}` training pipeline" if training.get("pipeline") else
             "training pipeline not recorded", f"on {trained_on(metadata)}",
             f"text pipeline {metadata.get('text_pipeline', FIRST_TEXT_PIPELINE)}"]
    return ", ".join(parts) + (f", code revision `{revision}`" if revision else ", code revision not recorded")


def keras_recipe(repo_id: str, variant_id: str, maxlen: int) -> list[str]:
    """The Markdown lines of a Python block that classifies texts with only huggingface_hub,
    keras and tokenizers (tested as written: tests/test_hub_recipe.py)."""
    return [
        "```python",
        "import keras",
        "from huggingface_hub import snapshot_download",
        "from tokenizers import Tokenizer",
        "",
        f'repo, variant, revision = "{repo_id}", "{variant_id}", "{RECIPE_REVISION}"  # a commit hash pins every file',
        "folder = snapshot_download(repo, revision=revision, allow_patterns=[f\"{variant}/*\"]) + f\"/{variant}\"",
        'model = keras.saving.load_model(f"{folder}/model.keras")  # safe_mode=True: no code from the file',
        f'tokenizer = Tokenizer.from_file(f"{{folder}}/{TOKENIZER_FILE}")  # the text pipeline: words to ids',
        "",
        "def classify(texts):",
        f'    """The probability that each text is a positive review (the model reads its last {maxlen} words)."""',
        "    ids = [encoding.ids for encoding in tokenizer.encode_batch(texts)]",
        f"    return model.predict(keras.utils.pad_sequences(ids, maxlen={maxlen}), verbose=0)[:, 0]",
        "",
        f"print(classify({list(RECIPE_TEXTS)!r}))",
        "```",
    ]


def use_section(variant_id: str, maxlen: int, repo_id: str) -> list[str]:
    """A variant card's "Use" section: with Keras alone (the tested recipe), then with the zoo package."""
    return [
        "## Use",
        "",
        "With Keras alone (`pip install keras tensorflow huggingface_hub tokenizers`): `tokenizer.json` splits a "
        "text into words as the zoo does (HTML entities decoded, apostrophes unified, NFKC, lower case, HTML tags "
        "removed) and maps them to ids (0 padding, 1 unknown); `pad_sequences` keeps the last "
        f"{maxlen} ids and pads at the front, as in training.",
        "",
        *keras_recipe(repo_id, variant_id, maxlen),
        "",
        "With the `zoo` package of the SimpleRNN Zoo repository installed (`pip install .` in a clone of it):",
        "",
        "```python",
        "import zoo",
        f'zoo.open_zoo("hf://{repo_id}").classify(["What a wonderful film."], ["{variant_id}"])',
        "```",
        "",
    ]


def card_metadata(metadata: dict) -> ModelCardData:
    """The YAML header of a variant's model card."""
    spec = VariantSpec.from_dict(metadata["spec"])
    return card_data(metadata["id"], eval_results(metadata), [*TAGS, spec.cell.lower()])


def what_it_is(spec: VariantSpec) -> str:
    """The card's first words: "A 2-layer SimpleRNN(32)", "A bidirectional ...", or an order-free reference's kind."""
    if not spec.reads_order:
        kind = {"BagOfWords": "mean of word vectors", "TfIdf": "TF-IDF logistic regression"}[spec.cell]
        return f"An order-free ({kind}) reference: it reads which words a text holds, not their order; a"
    both = "bidirectional " if spec.bidirectional else ""
    return f"A {spec.layers}-layer {both}{spec.cell}({spec.units})"


def seed_rows(metadata: dict) -> list[str]:
    """The results table's rows on the noise between seeds, when the variant was trained with several."""
    from .noise import MEASURES, runs

    measured = {measure: runs(metadata, measure) for measure in MEASURES}
    if not all(measured.values()):
        return []
    seeds = metadata["seed_runs"]["seeds"]
    return [f"| {measure.replace('_', ' ')} over seeds {', '.join(map(str, seeds))} (served: {seeds[0]}) | "
            f"{r.low:.4f}–{r.high:.4f} (spread {r.spread:.4f}) |" for measure, r in measured.items()]


def render_card(metadata: dict, history: dict, repo_id: str = PLACEHOLDER_REPO) -> str:
    """The full model card of a variant: YAML header, summary, metrics, per-epoch history and use.

    ``repo_id`` is the Hub repo the recipe downloads from (``training.push`` gives it).
    """
    spec = VariantSpec.from_dict(metadata["spec"])
    recipe = spec.recipe
    stack = spec.architecture
    short = metadata.get("short_text_accuracy") or {}
    lines = [
        f"# {metadata['id']}",
        "",
        f"{what_it_is(spec)} sentiment classifier for English movie reviews, "
        f"from the SimpleRNN Zoo. It reads the last {spec.maxlen} words of a review "
        f"(vocabulary of {spec.num_words:,} words, shipped in `{VOCABULARY_FILE}` and as a Hugging Face tokenizer in "
        f"`{TOKENIZER_FILE}`) and gives the probability that it is positive.",
        "",
        f"- Architecture: {stack} ({metadata['params']:,} parameters)",
        f"- Recipe: {recipe.name} — {recipe.optimizer} (learning rate {recipe.learning_rate}"
        f"{f', clipnorm {recipe.clipnorm}' if recipe.clipnorm else ''}), binary cross-entropy, batch {recipe.batch_size}, "
        f"up to {recipe.epochs} epochs, weights of the best validation epoch kept",
        *(f"  - {change}" for change in recipe.changes),
        f"- Training: {SEED_RECIPE_CLAIM if recipe.name == 'seed' else 'the recipe above'}; how it differs from "
        "the tutorial's `model.fit`:",
        *(f"  - {difference}" for difference in TRAINING_DIFFERENCES),
        f"- Data: IMDB Large Movie Review Dataset; {metadata['data']['train_reviews']:,} training, "
        f"{metadata['data']['validation_reviews']:,} validation (seeded {int(recipe.validation_split * 100)}% of train/), "
        f"{metadata['data']['test_reviews']:,} test reviews (fingerprint `{metadata['data']['fingerprint']}`)",
        f"- Seed {metadata['seed']}; Keras {metadata['versions']['keras']}, TensorFlow {metadata['versions']['tensorflow']}",
        f"- Provenance: {provenance(metadata)}",
        "",
        "## Results",
        "",
        "| metric | value |",
        "|---|---|",
        f"| test accuracy | {metadata['test_accuracy']:.4f} |",
        f"| test loss | {metadata['test_loss']:.4f} |",
        f"| best epoch | {metadata['best_epoch']} of {len(history['loss'])} |",
        f"| validation accuracy (best epoch) | {metadata['val_accuracy']:.4f} |",
        *(f"| accuracy on each review's {kind.replace('_', ' ')} | {value:.4f} |" for kind, value in short.items()),
        *seed_rows(metadata),
        f"| seconds per epoch ({trained_on(metadata)}) | {metadata['seconds_per_epoch']} |",
        "",
        "## Training history",
        "",
        "| epoch | loss | accuracy | val_loss | val_accuracy | seconds |",
        "|---|---|---|---|---|---|",
        *(
            f"| {e + 1} | {history['loss'][e]:.4f} | {history['accuracy'][e]:.4f} | {history['val_loss'][e]:.4f} "
            f"| {history['val_accuracy'][e]:.4f} | {history['seconds'][e]:.1f} |"
            for e in range(len(history["loss"]))
        ),
        "",
        *use_section(metadata["id"], spec.maxlen, repo_id),
    ]
    return str(model_card(card_metadata(metadata), "\n".join(lines)))


def read_card(folder: Path) -> tuple[dict, str]:
    """A variant folder's model card: its YAML header (as a dict) and its Markdown body.

    A card without a header gives an empty dict and the whole text.
    """
    text = (Path(folder) / CARD_FILE).read_text(encoding="utf-8")
    if text.startswith("---\n"):
        header, separator, body = text[4:].partition("\n---")
        if separator:
            return yaml.safe_load(header) or {}, body.lstrip("\n")
    return {}, text
