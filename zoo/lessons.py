"""What the zoo shows: the README's lessons, written from the artifacts and ``probes.json``.

Each lesson is one function that reads the numbers it quotes from the zoo (histories, recorded
accuracies, probe results) and returns one Markdown bullet, or None when the zoo lacks the
variants it compares. The headline of a lesson follows its numbers: a retrained zoo that
tells another story gets another headline, never a stale one.

    python -m zoo report --update README.md     # the results table and these lessons
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from .artifact import Artifact
from .noise import beyond_noise, runs, verdict
from .probes import order_accuracy, read_probes
from .seed import SEED_BEST_EPOCH, SEED_HISTORY, SEED_VARIANT
from .store import Zoo

#: A difference in test accuracy this small is not called a gain when the variants were trained
#: with one seed each: about the spread between two training runs of one seed-recipe variant.
#: Variants trained with several seeds are compared by their runs instead (``zoo.noise``).
NOISE = 0.01
#: Lines of the Markdown source wrapped at this width, as the hand-written README is.
WIDTH = 100


def _seed_rnns(zoo: Zoo) -> list[Artifact]:
    """The seed recipe's SimpleRNNs: the tutorial's model at each depth and ``maxlen``."""
    return [a for a in zoo.artifacts() if a.spec.cell == "SimpleRNN" and a.spec.recipe.name == "seed"]


def _span(values: list[float], digits: int = 3) -> str:
    """``0.585–0.703``; ``−0.05 to 0.04`` (a dash beside a minus sign misreads); one value when all round alike."""
    low, high = (f"{v:.{digits}f}".replace("-", "−") for v in (min(values), max(values)))
    return low if low == high else f"{low} to {high}" if "−" in low + high else f"{low}–{high}"


def _acc(artifact: Artifact) -> str:
    return f"{artifact.metadata['test_accuracy']:.3f}"


def _gain(better: Artifact, worse: Artifact) -> bool:
    """Whether ``better``'s test accuracy beats ``worse``'s by more than the noise: beyond the
    seed-to-seed spread when both were trained with several seeds, else by more than ``NOISE``."""
    gap = better.metadata["test_accuracy"] - worse.metadata["test_accuracy"]
    beyond = beyond_noise(runs(better.metadata), runs(worse.metadata))
    return gap > 0 and beyond if beyond is not None else gap > NOISE


def _noise(a: Artifact, b: Artifact) -> str:
    """``zoo.noise.verdict`` on two variants' test accuracies."""
    return verdict(runs(a.metadata), runs(b.metadata))


def overfitting(zoo: Zoo, probes: dict | None) -> str | None:
    rnns = _seed_rnns(zoo)
    seed = next((a for a in rnns if a.id == SEED_VARIANT), None)
    if seed is None:
        return None
    train = [a.history["accuracy"][-1] for a in rnns]
    peaks = [a.metadata["best_epoch"] for a in rnns]
    epochs = len(seed.history["loss"])
    val = seed.history["val_accuracy"]
    return (f"**Validation accuracy peaks after a few epochs, then the network overfits.** The seed-recipe "
            f"SimpleRNNs reach {_span(train)} training accuracy by epoch {epochs}, while their validation accuracy "
            f"peaks at epoch {min(peaks)}–{max(peaks)}. The tutorial's own history peaks at "
            f"{SEED_HISTORY['val_accuracy'][SEED_BEST_EPOCH - 1]:.3f} (epoch {SEED_BEST_EPOCH}) and ends at "
            f"{SEED_HISTORY['val_accuracy'][-1]:.3f}; `{seed.id}` peaks at {max(val):.3f} (epoch "
            f"{seed.metadata['best_epoch']}) and ends at {val[-1]:.3f}. Every variant keeps its best validation "
            "epoch's weights, which is what makes the test accuracies comparable.")


def depth(zoo: Zoo, probes: dict | None) -> str | None:
    by_maxlen: dict[int, dict[int, Artifact]] = {}
    for artifact in _seed_rnns(zoo):
        by_maxlen.setdefault(artifact.spec.maxlen, {})[artifact.spec.layers] = artifact
    rows = {maxlen: layers for maxlen, layers in sorted(by_maxlen.items(), reverse=True) if len(layers) > 1 and 1 in layers}
    if not rows:
        return None
    gain = max(a.metadata["test_accuracy"] - layers[1].metadata["test_accuracy"]
               for layers in rows.values() for a in layers.values())
    per_layer = {a.metadata["params"] - layers[1].metadata["params"] for layers in rows.values()
                 for n, a in layers.items() if n == 2}
    helps = any(_gain(a, layers[1]) for layers in rows.values() for n, a in layers.items() if n > 1)
    headline = "**Depth helps a SimpleRNN" + (f" by at most {gain:.3f}.**" if helps else "** no more than the noise.**")
    if not helps:
        headline = "**Depth does not help a SimpleRNN.**"
    counts = "one, two and four" if all(sorted(l) == [1, 2, 4] for l in rows.values()) else "more"
    detail = "; ".join(f"at {maxlen} words {', '.join(_acc(layers[n]) for n in sorted(layers))}"
                       for maxlen, layers in rows.items())
    params = f"Each extra SimpleRNN(32) adds only {per_layer.pop():,} parameters, and no" if len(per_layer) == 1 else "No"
    deepest = max(rows)
    spread = (f" One against {max(rows[deepest])} layers at {deepest} words: "
              f"{_noise(rows[deepest][1], rows[deepest][max(rows[deepest])])}.")
    return (f"{headline} {params} stack beats one layer by more than {max(gain, NOISE):.2f} in test accuracy "
            f"({counts} layers: {detail}).{spread}")


def maxlen(zoo: Zoo, probes: dict | None) -> str | None:
    one_layer = sorted((a for a in _seed_rnns(zoo) if a.spec.layers == 1), key=lambda a: a.spec.maxlen)
    if len(one_layer) < 2:
        return None
    shortest, longest = one_layer[0], one_layer[-1]
    gain = longest.metadata["test_accuracy"] - shortest.metadata["test_accuracy"]
    headline = (f"**A longer `maxlen` helps one layer**" if _gain(longest, shortest) else
                f"**A longer `maxlen` barely changes one layer**")
    detail = ", ".join(f"{_acc(a)} at {a.spec.maxlen}" for a in one_layer)
    median = shortest.metadata.get("data", {}).get("median_train_words")
    reviews = f": the median training review has {median} words, so {shortest.spec.maxlen} cuts most reviews" if (
        median and median > shortest.spec.maxlen) else ""
    gated = [a for a in zoo.artifacts() if a.spec.cell != "SimpleRNN" and a.spec.recipe.name == "seed"
             and a.spec.maxlen == longest.spec.maxlen]
    cells = (f" The gated cells at {longest.spec.maxlen} words: "
             + ", ".join(f"{a.spec.cell} {_acc(a)}" for a in gated) + ".") if gated else ""
    return f"{headline} ({detail}; {shortest.spec.maxlen} against {longest.spec.maxlen}: {_noise(shortest, longest)}){reviews}.{cells}"


def negation(zoo: Zoo, probes: dict | None) -> str | None:
    if not probes or not probes.get("variants"):
        return None
    tests = {vid: {t: r["tests"][t]["accuracy"] for t in r["tests"]}
             for vid, r in probes["variants"].items() if vid in zoo.ids}
    if not tests or not all({"negation.negated", "negation.not_good", "negation.not_bad"} <= set(t) for t in tests.values()):
        return None
    negated = [t["negation.negated"] for t in tests.values()]
    word = [vid for vid, t in tests.items() if t["negation.not_good"] >= 0.9 and t["negation.not_bad"] <= 0.1]
    headline = "**Negation is not understood.**" if max(negated) <= 0.5 else "**Negation is understood in part.**"
    return (f"{headline} The variants get {_span(negated, 2)} of the negated sentences right (\"not good\", "
            f"\"not bad\"). To {len(word)} of the {len(tests)} variants *not* is simply a negative word: it lowers "
            "P(positive) after *good* and after *bad* alike.")


def _short(artifact: Artifact) -> str:
    short = artifact.metadata.get("short_text_accuracy") or {}
    return " / ".join(f"{short[k]:.3f}" for k in ("first_sentence", "last_sentence") if k in short)


def order_free(zoo: Zoo, probes: dict | None) -> str | None:
    """How the references that read no order compare with the seed recipe's recurrent variants."""
    free = [a for a in zoo.artifacts() if not a.spec.reads_order]
    recurrent = [a for a in zoo.artifacts() if a.spec.reads_order and a.spec.recipe.name == "seed"]
    if not free or not recurrent:
        return None
    best_free = max(free, key=lambda a: a.metadata["test_accuracy"])
    best = max(recurrent, key=lambda a: a.metadata["test_accuracy"])
    below = [a for a in recurrent if a.metadata["test_accuracy"] < best_free.metadata["test_accuracy"]]
    headline = ("**A bag of words is hard to beat on whole reviews.**" if not _gain(best, best_free) else
                "**Reading in order beats a bag of words on whole reviews.**")
    return (f"{headline} The order-free references read which words a review holds, never their order: "
            + ", ".join(f"`{a.id}` {_acc(a)}" for a in free) + f". {len(below)} of the {len(recurrent)} seed-recipe "
            f"recurrent variants score below `{best_free.id}`; the best, `{best.id}`, reaches {_acc(best)} "
            f"({_noise(best, best_free)}). On first / last sentences the references get "
            + ", ".join(_short(a) for a in free) + ".")


def reading_in_order(zoo: Zoo, probes: dict | None) -> str | None:
    """What the best tuned SimpleRNN does against the order-free references: test, short texts, order tests."""
    free = [a for a in zoo.artifacts() if not a.spec.reads_order]
    tuned = [a for a in zoo.artifacts() if a.spec.cell == "SimpleRNN" and a.spec.recipe.name != "seed"]
    if not free or not tuned:
        return None
    best = max(tuned, key=lambda a: a.metadata["test_accuracy"])
    best_free = max(free, key=lambda a: a.metadata["test_accuracy"])
    above = all(_gain(best, a) for a in free)
    headline = ("**A SimpleRNN earns its keep with the right recipe.**" if above else
                "**Reading in order has yet to earn its keep.**")
    variants = (probes or {}).get("variants") or {}
    order = ""
    if best.id in variants and all(a.id in variants for a in free):
        order = (f" On the probes whose verdict depends on word order (negated sentences, \"..., but ...\") it "
                 f"scores {order_accuracy(variants[best.id]):.2f}, the references "
                 + ", ".join(f"{order_accuracy(variants[a.id]):.2f}" for a in free) + ".")
    return (f"{headline} `{best.id}` ({best.spec.architecture}) reaches {_acc(best)} on test against "
            f"{_acc(best_free)} for `{best_free.id}` ({_noise(best, best_free)}), and {_short(best)} on first / last "
            f"sentences against " + ", ".join(_short(a) for a in free) + f".{order} Its model card lists each change "
            "from the seed's recipe, and docs/training.md measures each one (the ablation table).")


LESSONS: tuple[Callable[[Zoo, dict | None], str | None], ...] = (
    overfitting, depth, maxlen, order_free, reading_in_order, negation,
)


def lessons_markdown(zoo: Zoo) -> str:
    """The lessons ``zoo`` teaches, as a Markdown list (one bullet per lesson its variants support).

    The probe lessons read the zoo's ``probes.json`` (``python -m zoo probe --write``) and are left
    out without it.
    """
    probes = read_probes(zoo.path) if zoo.path is not None else None
    bullets = [lesson(zoo, probes) for lesson in LESSONS]
    return "".join(textwrap.fill(bullet, WIDTH, initial_indent="- ", subsequent_indent="  ", break_long_words=False,
                                 break_on_hyphens=False) + "\n" for bullet in bullets if bullet)
