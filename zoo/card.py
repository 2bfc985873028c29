"""Model cards: the README.md of a variant, with Hugging Face metadata in its YAML header."""

from __future__ import annotations

from pathlib import Path

import yaml

from .artifact import CARD_FILE
from .catalog import VariantSpec

DATASET = "stanfordnlp/imdb"
TAGS = ("keras", "text-classification", "sentiment-analysis", "imdb", "rnn")


def hub_header(tags: list[str], model_index: list[dict]) -> dict:
    """The YAML header the Hugging Face Hub reads: library, dataset, metrics, tags, model-index."""
    return {
        "library_name": "keras",
        "license": "mit",
        "language": ["en"],
        "pipeline_tag": "text-classification",
        "datasets": [DATASET],
        "metrics": ["accuracy"],
        "tags": tags,
        "model-index": model_index,
    }


def model_index_entry(variant_id: str, test_accuracy: float) -> dict:
    """One ``model-index`` entry: a variant's accuracy on the IMDB test split."""
    return {
        "name": variant_id,
        "results": [
            {
                "task": {"type": "text-classification", "name": "Sentiment analysis"},
                "dataset": {"type": DATASET, "name": "IMDB (aclImdb_v1)", "split": "test"},
                "metrics": [{"type": "accuracy", "value": test_accuracy, "name": "Test accuracy"}],
            }
        ],
    }


def card_metadata(metadata: dict) -> dict:
    """The YAML header of a variant's model card."""
    spec = VariantSpec.from_dict(metadata["spec"])
    return hub_header([*TAGS, spec.cell.lower()], [model_index_entry(metadata["id"], metadata["test_accuracy"])])


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


def render_card(metadata: dict, history: dict) -> str:
    """The full model card of a variant: YAML header, summary, metrics and per-epoch history."""
    spec = VariantSpec.from_dict(metadata["spec"])
    recipe = spec.recipe
    header = yaml.safe_dump(card_metadata(metadata), sort_keys=False)
    stack = spec.architecture
    short = metadata.get("short_text_accuracy") or {}
    lines = [
        f"---\n{header}---",
        f"# {metadata['id']}",
        "",
        f"{what_it_is(spec)} sentiment classifier for English movie reviews, "
        f"from the SimpleRNN Zoo. It reads the last {spec.maxlen} words of a review "
        f"(vocabulary of {spec.num_words:,} words, shipped in `vocabulary.txt`) and gives the probability that it is positive.",
        "",
        f"- Architecture: {stack} ({metadata['params']:,} parameters)",
        f"- Recipe: {recipe.name} — {recipe.optimizer} (learning rate {recipe.learning_rate}"
        f"{f', clipnorm {recipe.clipnorm}' if recipe.clipnorm else ''}), binary cross-entropy, batch {recipe.batch_size}, "
        f"up to {recipe.epochs} epochs, weights of the best validation epoch kept",
        *(f"  - {change}" for change in recipe.changes),
        f"- Data: IMDB Large Movie Review Dataset; {metadata['data']['train_reviews']:,} training, "
        f"{metadata['data']['validation_reviews']:,} validation (seeded {int(recipe.validation_split * 100)}% of train/), "
        f"{metadata['data']['test_reviews']:,} test reviews (fingerprint `{metadata['data']['fingerprint']}`)",
        f"- Seed {metadata['seed']}; Keras {metadata['versions']['keras']}, TensorFlow {metadata['versions']['tensorflow']}",
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
        f"| seconds per epoch (2-core CPU) | {metadata['seconds_per_epoch']} |",
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
        "## Use",
        "",
        "With the `zoo` package of the SimpleRNN Zoo repository installed (`pip install .` in a clone of it):",
        "",
        "```python",
        "import zoo",
        f'zoo.open_zoo("PATH_OR_hf://OWNER/NAME").classify(["What a wonderful film."], ["{metadata["id"]}"])',
        "```",
        "",
        "Or with Keras alone: `keras.saving.load_model(\"model.keras\")`, then encode text with the words of "
        "`vocabulary.txt` (line number = index; 0 padding, 1 unknown), keep the last "
        f"{spec.maxlen} indices and pad at the front with 0.",
        "",
    ]
    return "\n".join(lines)


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
