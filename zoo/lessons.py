"""What the zoo learned, in words, written from the artifacts (and the stored probe results).

``python -m zoo report --update README.md`` writes these lessons between the README's
``lessons`` markers, beside the results table, so that every number in them is one an
artifact records, and every comparison says whether it exceeds the seed-to-seed spread
(``zoo.noise``). A lesson whose variants the zoo lacks is left out; the wording of a lesson
("helps", "does not help") follows its numbers.
"""

from __future__ import annotations

from .artifact import Artifact
from .noise import Runs, beyond_noise, runs, verdict
from .probes import order_accuracy
from .seed import SEED_HISTORY, SEED_VARIANT

SEED_PEAK = max(SEED_HISTORY["val_accuracy"])


def lessons_markdown(artifacts: list[Artifact], probes: dict | None = None) -> str:
    """The lessons as a Markdown list, from the zoo's sound ``artifacts`` and its probe results."""
    by_id = {a.id: a for a in artifacts}
    found = [_overfitting(by_id), _depth(by_id), _maxlen(by_id), _order_free(by_id), _short_texts(by_id),
             _reading_in_order(by_id, probes)]
    return "".join(f"- {lesson}\n" for lesson in found if lesson)


def _acc(artifact: Artifact) -> str:
    return f"{artifact.metadata['test_accuracy']:.3f}"


def _runs(artifact: Artifact, measure: str = "test_accuracy") -> Runs | None:
    return runs(artifact.metadata, measure)


def _seed_simplernns(by_id: dict[str, Artifact]) -> list[Artifact]:
    return [a for a in by_id.values() if a.spec.cell == "SimpleRNN" and a.spec.recipe.name == "seed"]


def _overfitting(by_id: dict[str, Artifact]) -> str | None:
    seed = by_id.get(SEED_VARIANT)
    variants = _seed_simplernns(by_id)
    if seed is None:
        return None
    train = [a.history["accuracy"][-1] for a in variants]
    best = [a.metadata["best_epoch"] for a in variants]
    val = seed.history["val_accuracy"]
    return (f"**Overfitting after a few epochs.** The seed-recipe SimpleRNNs end at {min(train):.2f}–{max(train):.3f} "
            f"training accuracy, while their validation accuracy peaks at epoch {min(best)}–{max(best)}, as in the "
            f"tutorial's published history (peak `val_acc` {SEED_PEAK:.3f}, {SEED_HISTORY['val_accuracy'][-1]:.3f} at its "
            f"last epoch). `{SEED_VARIANT}` peaks at {max(val):.3f} (epoch {seed.metadata['best_epoch']}) and ends at "
            f"{val[-1]:.3f}. Keeping the best validation epoch's weights is what makes the test accuracies comparable.")


def _depth(by_id: dict[str, Artifact]) -> str | None:
    rows = []
    for maxlen in (500, 200, 100):
        stack = [by_id.get(f"simplernn-{layers}x32-len{maxlen}") for layers in (1, 2, 4)]
        if all(stack):
            rows.append((maxlen, stack))
    if not rows:
        return None
    deepest = [max(s[1:], key=lambda a: a.metadata["test_accuracy"]) for _, s in rows]
    beyond = [beyond_noise(_runs(s[0]), _runs(d)) for (_, s), d in zip(rows, deepest)]
    helps = [b and d.metadata["test_accuracy"] > s[0].metadata["test_accuracy"] for b, (_, s), d in zip(beyond, rows, deepest)]
    if None in beyond:
        head = "**Depth, one training run each.**"
    else:
        head = "**Depth helps a SimpleRNN at some lengths.**" if any(helps) else "**Depth does not help a SimpleRNN beyond the noise.**"
    parts = [f"at {maxlen} words {', '.join(_acc(a) for a in s)} (one against four layers: "
             f"{verdict(_runs(s[0]), _runs(s[2]))})" for maxlen, s in rows]
    return f"{head} Test accuracy for one, two and four layers: " + "; ".join(parts) + "."


def _maxlen(by_id: dict[str, Artifact]) -> str | None:
    ones = [by_id.get(f"simplernn-1x32-len{maxlen}") for maxlen in (100, 200, 500)]
    if not all(ones):
        return None
    short, long_ = ones[0], ones[2]
    beyond = beyond_noise(_runs(short), _runs(long_))
    higher = long_.metadata["test_accuracy"] > short.metadata["test_accuracy"]
    head = {None: "**`maxlen` and one layer:**", True: "**A longer `maxlen` helps one layer:**" if higher else
            "**A longer `maxlen` hurts one layer:**", False: "**A longer `maxlen` does not help one layer beyond the noise:**"}
    words = long_.metadata["data"].get("median_train_words")
    lesson = (f"{head[beyond]} {', '.join(_acc(a) for a in ones)} at 100, 200 and 500 words (100 against 500: "
              f"{verdict(_runs(short), _runs(long_))})" + (f"; the median training review has {words} words." if words else "."))
    gated = [by_id.get(i) for i in ("lstm-1x32-len500", "gru-1x32-len500")]
    if all(gated):
        lesson += (f" The gated cells at 500 words: LSTM {_acc(gated[0])}, GRU {_acc(gated[1])} (LSTM against the "
                   f"SimpleRNN: {verdict(_runs(gated[0]), _runs(long_))}).")
    return lesson


def _order_free(by_id: dict[str, Artifact]) -> str | None:
    free = [a for a in by_id.values() if not a.spec.reads_order]
    seeds = _seed_simplernns(by_id)
    if not free or not seeds:
        return None
    best_free = max(free, key=lambda a: a.metadata["test_accuracy"])
    best_seed = max(seeds, key=lambda a: a.metadata["test_accuracy"])
    recurrent = [a for a in by_id.values() if a.spec.reads_order and a.spec.recipe.name == "seed"]
    beaten = [a.id for a in recurrent if a.metadata["test_accuracy"] < best_free.metadata["test_accuracy"]]
    return (f"**A bag of words is hard to beat on whole reviews.** The order-free references read which words a review "
            f"holds, never their order: {', '.join(f'`{a.id}` {_acc(a)}' for a in free)}. The best seed-recipe "
            f"SimpleRNN, `{best_seed.id}`, reaches {_acc(best_seed)} ({verdict(_runs(best_seed), _runs(best_free))} "
            f"against `{best_free.id}`); {len(beaten)} of the {len(recurrent)} seed-recipe recurrent variants "
            f"(gated cells included) score below it.")


def _short_texts(by_id: dict[str, Artifact]) -> str | None:
    seeds = [a for a in by_id.values() if a.spec.reads_order and a.spec.recipe.name == "seed"]
    if not seeds or not all(a.metadata.get("short_text_accuracy") for a in seeds):
        return None
    values = [v for a in seeds for v in a.metadata["short_text_accuracy"].values()]
    free = [a for a in by_id.values() if not a.spec.reads_order and a.metadata.get("short_text_accuracy")]
    lesson = (f"**Short texts are hard for models trained on whole reviews.** On one sentence, the seed-recipe variants "
              f"drop to {min(values):.3f}–{max(values):.3f} (first / last sentence of each test review)")
    if free:
        lesson += "; the order-free references get " + ", ".join(f"{_short(a)} (`{a.id}`)" for a in free)
    return lesson + "."


def _short(artifact: Artifact) -> str:
    short = artifact.metadata["short_text_accuracy"]
    return " / ".join(f"{short[k]:.3f}" for k in ("first_sentence", "last_sentence") if k in short)


def _reading_in_order(by_id: dict[str, Artifact], probes: dict | None) -> str | None:
    free = [a for a in by_id.values() if not a.spec.reads_order]
    tuned = [a for a in by_id.values() if a.spec.cell == "SimpleRNN" and a.spec.recipe.name != "seed"]
    if not free or not tuned:
        return None
    best = max(tuned, key=lambda a: a.metadata["test_accuracy"])
    best_free = max(free, key=lambda a: a.metadata["test_accuracy"])
    above = best.metadata["test_accuracy"] > best_free.metadata["test_accuracy"]
    lesson = (f"**Reading in order has to earn its keep.** The best tuned SimpleRNN, `{best.id}` "
              f"({'; '.join(best.spec.recipe.changes[:1]) or best.spec.recipe.name}), reaches {_acc(best)} on test, "
              f"{'above' if above else 'not above'} the best order-free reference's {_acc(best_free)} "
              f"({verdict(_runs(best), _runs(best_free))}), and {_short(best)} on first / last sentences against "
              + ", ".join(f"{_short(a)}" for a in free))
    variants = (probes or {}).get("variants") or {}
    if best.id in variants and all(a.id in variants for a in free):
        lesson += (f". On the tests whose verdict depends on word order (negation, contrast) it scores "
                   f"{order_accuracy(variants[best.id]):.2f}, the order-free references "
                   + ", ".join(f"{order_accuracy(variants[a.id]):.2f}" for a in free))
    return lesson + "."
