"""The zoo's comparison table and its zoo-level card, rendered from the artifacts themselves.

The README's results table, the Space's README and the Hub repo's top-level ``README.md`` all
come from ``results_table``, so the numbers shown anywhere are the ones the artifacts record.
"""

from __future__ import annotations

from .card import TAGS, card_data, eval_results, keras_recipe, model_card, trained_on, training_record
from .evaluation import SHORT_TEXT_KINDS
from .noise import MEASURES, runs
from .store import Zoo

TABLE_COLUMNS = (
    "variant", "cell", "depth", "maxlen", "params", "best epoch", "val acc", "test acc",
    "short-text acc (first / last sentence)", "seed spread (test / first / last)", "s/epoch", "size",
)


def human_size(size_bytes: int) -> str:
    """``2.1 MB``, ``340 KB``: decimal units, as the Hub shows file sizes."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.1f} {unit}"
    return f"{size_bytes} B"


def results_table(zoo: Zoo) -> str:
    """A Markdown table comparing every variant of ``zoo``, one row each, in manifest order.

    Columns: ``TABLE_COLUMNS``; accuracies are the ones recorded at training time (test
    split; short texts are the first and the last sentence of each test review), of the seed
    the zoo serves; the seed spread is the largest minus the smallest accuracy over the seeds
    the variant was trained with (``zoo.noise``; "—" for one seed). An order-free reference's
    cell says it reads no order. A broken variant gets a row saying why.
    """
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for entry in zoo.entries():
        if entry.error is not None:
            lines.append(f"| {entry.id} | broken: {entry.error} |" + " |" * (len(TABLE_COLUMNS) - 2))
            continue
        row = entry.artifact.summary()
        short = row["short_text_accuracy"] or {}
        short_cell = " / ".join(f"{short[kind]:.3f}" for kind in SHORT_TEXT_KINDS) if all(
            kind in short for kind in SHORT_TEXT_KINDS) else "—"
        spread = [runs(entry.artifact.metadata, measure) for measure in MEASURES]
        spread_cell = (" / ".join(f"{r.spread:.3f}" for r in spread) + f" ({len(spread[0].values)} seeds)"
                       if all(spread) else "—")
        cell = row["cell"] if entry.artifact.spec.reads_order else f"{row['cell']} (reads no order)"
        depth = f"{row['layers']}{' ×2 directions' if entry.artifact.spec.bidirectional else ''}"
        cells = [
            f"`{row['id']}`", cell, depth, str(row["maxlen"]), f"{row['params']:,}",
            f"{row['best_epoch']} of {row['epochs']}", f"{row['val_accuracy']:.3f}", f"{row['test_accuracy']:.3f}",
            short_cell, spread_cell, f"{row['seconds_per_epoch']:.1f}", human_size(row["size_bytes"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def training_caption(zoo: Zoo) -> str:
    """What the artifacts record about their s/epoch: the machine and the training pipeline.

    Each artifact's ``metadata["training"]`` names them (older artifacts record neither).
    """
    groups: dict[str, list[str]] = {}
    for artifact in zoo.artifacts():
        training = training_record(artifact.metadata)
        where = trained_on(artifact.metadata)
        pipeline = training.get("pipeline")
        key = f"{where}, trained by `{pipeline}`" if pipeline else where
        groups.setdefault(key, []).append(artifact.id)
    if not groups:
        return ""
    if len(groups) == 1:
        where = f"on {next(iter(groups))}"
    else:
        where = "; ".join(f"on {key} for {', '.join(f'`{i}`' for i in ids)}" for key, ids in groups.items())
    return (f"s/epoch is one training epoch after the first (which also compiles), as each artifact's "
            f"metadata records it: {where}.")


def results_caption(zoo: Zoo) -> str:
    """The line under the README's results table: when the variants were trained, on what, and how.

    From each artifact's ``created`` and ``training`` records (older artifacts lack the latter).
    """
    days = sorted({artifact.metadata.get("created", "")[:10] for artifact in zoo.artifacts()} - {""})
    when = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}" if days else "date not recorded"
    where = set()
    for artifact in zoo.artifacts():
        training = training_record(artifact.metadata)
        cpu = trained_on(artifact.metadata)
        where.add(f"{cpu}, pipeline `{training['pipeline']}`" if training.get("pipeline") else cpu)
    return f"Trained {when} · {'; '.join(sorted(where))} · {len(zoo.ids)} variants"


def results_block(zoo: Zoo) -> str:
    """What the README shows between its results markers: the table, then its caption line."""
    return f"{results_table(zoo)}\n{results_caption(zoo)}\n"


def zoo_card_metadata(zoo: Zoo, repo_id: str):
    """The YAML header of the zoo card (a ``ModelCardData``): library, dataset, tags, and each
    variant's accuracies as ``eval_results`` named after the variant."""
    artifacts = zoo.artifacts()
    cells = sorted({artifact.spec.cell.lower() for artifact in artifacts if artifact.spec.reads_order})
    results = [result for artifact in artifacts for result in eval_results(artifact.metadata, f"{artifact.id} ")]
    return card_data(repo_id.split("/")[-1], results, [*TAGS, *cells, "model-zoo"])


def render_zoo_card(zoo: Zoo, repo_id: str) -> str:
    """The top-level ``README.md`` of a Hub repo holding ``zoo``: header, table, layout and use."""
    first = zoo.ids[0] if zoo.ids else "VARIANT"
    maxlen = zoo.artifact(first).spec.maxlen if zoo.ids else 500
    test_sizes = {artifact.metadata["data"]["test_reviews"] for artifact in zoo.artifacts()}
    test_split = f"IMDB test split ({test_sizes.pop():,} reviews)" if len(test_sizes) == 1 else "IMDB test split"
    body = "\n".join([
        "# SimpleRNN Zoo",
        "",
        "Recurrent sentiment classifiers for English movie reviews (IMDB), from a one-layer SimpleRNN "
        "to stacked, LSTM and GRU variants, each trained with a recorded recipe. Every variant takes "
        "raw text through the same pipeline and gives the probability that a review is positive.",
        "",
        "## Variants",
        "",
        results_table(zoo),
        f"Accuracies are on the {test_split}; short-text accuracy is measured on "
        "the first and on the last sentence of each test review. " + training_caption(zoo),
        "",
        "## Layout",
        "",
        "This one repo holds the whole zoo: `zoo.json` lists the variants, and each variant is a "
        "folder with `model.keras`, `vocabulary.txt`, `tokenizer.json` (the same words and the text "
        "pipeline, for the Hugging Face `tokenizers` library), `history.json`, `metadata.json` (spec, "
        "metrics, sha256 of each file) and its own model card `README.md`. One commit publishes the zoo, "
        "so a commit hash pins every variant at once.",
        "",
        "## Use",
        "",
        "```bash",
        f"python -m zoo list --zoo hf://{repo_id}",
        f'python -m zoo classify --zoo hf://{repo_id} --variant {first} "What a wonderful film."',
        "```",
        "",
        "Or one variant with Keras alone (`pip install keras tensorflow huggingface_hub tokenizers`); each "
        "variant's card gives its own lines:",
        "",
        *keras_recipe(repo_id, first, maxlen),
        "",
    ])
    return str(model_card(zoo_card_metadata(zoo, repo_id), body))
