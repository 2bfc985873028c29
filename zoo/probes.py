"""Behavioural probes: what each variant can do, measured on sentences built from templates.

``python -m zoo probe`` runs the suite below through every variant and reports, per variant:

- **memory span**: a clearly positive or negative sentence, then ``k`` neutral filler words
  (``sentence_first``), or the filler first and the sentence last (``filler_first``), for each
  ``k`` in ``SPAN_K``. Fillers a person finds neutral are rarely neutral to an IMDB model, so
  the span is not measured by accuracy against 0.5 but by the **separation**: the mean
  P(positive) after the positive sentences minus the mean after the negative ones. The span
  is the largest ``k`` up to which the separation keeps at least half of its value at ``k = 0``.
  Where ``k`` plus the sentence is longer than the variant's ``maxlen``, the sentence was cut
  away by the text pipeline, not forgotten: that ``k`` is reported as cut away, not measured;
- **bias**: the mean P(positive) of the filler alone, ``k`` words of it;
- **accuracy and n** on each probe test (``TESTS``): negation, contrast, intensity, unknown
  words and typos, length. Tests named "... moves P the right way" count pairs of texts
  whose probabilities move in the direction the change of wording should move them.

Every text is written here, for this project (no review text); the labels are given by
construction. The results are stored beside the zoo's manifest as ``probes.json``
(``write_probes``), with the checksums of the models they were computed from, so a zoo
whose models changed since is detected (``stale_reason``) and its probes computed again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .artifact import MODEL_FILE, VOCABULARY_FILE, ArtifactError, write_json
from .inference import THRESHOLD
from .text import TEXT_PIPELINE_VERSION, tokenize

PROBES_FILE = "probes.json"
PROBES_FORMAT = 1
#: Bump when a template, a filler or a measure changes: stored results then count as stale.
SUITE_VERSION = 2

SPAN_K = (0, 10, 25, 50, 100, 200, 400)
ORDERS = ("sentence_first", "filler_first")
#: The span is the largest k up to which the separation keeps this share of its k = 0 value.
SPAN_SHARE = 0.5

# --------------------------------------------------------------------------- the templates

#: Short sentences whose verdict is clear; positive and negative ones mirror each other.
POSITIVE_SENTENCES = (
    "I loved this film, it was wonderful.",
    "A brilliant, moving film with superb acting.",
    "One of the best films I have ever seen.",
    "The acting was excellent and the story was beautiful.",
    "A great film, I enjoyed every minute of it.",
    "Funny, warm and touching, a real delight.",
    "A masterpiece, I would watch it again and again.",
    "Highly recommended, a perfect film for the whole family.",
)
NEGATIVE_SENTENCES = (
    "I hated this film, it was awful.",
    "A boring, stupid film with terrible acting.",
    "One of the worst films I have ever seen.",
    "The acting was poor and the story was dull.",
    "A bad film, I regretted every minute of it.",
    "Dull, lazy and pointless, a real waste of time.",
    "A disaster, I would never watch it again.",
    "Avoid it, a terrible film that wastes everyone's time.",
)

#: Plain descriptions with no opinion in them: where things are, who does what, facts about a
#: production. Cut to ``k`` words (the three passages in turn, repeated) to make the filler.
FILLERS = (
    "The house stands at the end of a street near the river. It has two floors, a red door and a "
    "small garden with a fence. A man lives there with his sister and her son. In the morning he "
    "walks to the station and takes the train to the city, where he works in an office on the third "
    "floor. His sister drives the boy to school and then goes to the market. On Sundays they visit "
    "their parents, who live in a village an hour away by car. The village has a church, a post "
    "office, a bakery and a school. In the summer the family goes to the coast for two weeks and "
    "stays in a rented flat near the harbour.",
    "The story takes place over one year. In the spring a woman moves from the north to a town in "
    "the south and finds a job at a hotel. She answers the phone, books rooms and keeps the accounts. "
    "Her manager is a man in his fifties who has run the hotel for twenty years. In the summer her "
    "brother comes to stay with her for a month. He is a student and spends most days at the "
    "library. In the autumn the hotel closes two floors for repairs, and she moves to an office at "
    "the back. In the winter she takes a train to visit her mother in the north.",
    "The film was shot in three cities over ten weeks. Most scenes take place indoors, in kitchens, "
    "offices and hallways, and a few on streets at night. The cast includes actors from the stage "
    "and from television. The script was written by two brothers and is based on a novel from the "
    "nineteen seventies. The music was recorded in one week with a small orchestra. The running "
    "time is one hundred and five minutes, and the dialogue is in English with some French. The "
    "director worked as an editor before this, and the producer is her husband. It was released in "
    "the autumn in four countries and later on television.",
)

_SUBJECTS = ("The film", "The story", "The acting", "The ending")
_NEGATION_ADJECTIVES = {True: ("good", "great", "funny", "interesting"), False: ("bad", "boring", "awful", "stupid")}
_CONTRAST_OPENERS = {
    True: ("The first half is wonderful", "The cast is excellent", "I expected to love it"),
    False: ("The first half is slow and dull", "The cast is weak", "I expected to hate it"),
}
_CONTRAST_VERDICTS = {
    True: ("in the end it is a wonderful film", "the ending is brilliant and I loved it", "overall I enjoyed it very much"),
    False: ("in the end it is a terrible film", "the ending is awful and I hated it", "overall it is a boring mess"),
}
_INTENSITY_TEMPLATES = ("I thought the film was {}.", "Overall, a {} film.", "The film is {} from start to finish.")
_INTENSITY_ADJECTIVES = {
    ("weak", True): ("decent", "pleasant", "nice", "watchable"),
    ("strong", True): ("brilliant", "superb", "wonderful", "perfect"),
    ("weak", False): ("mediocre", "forgettable", "weak", "flawed"),
    ("strong", False): ("awful", "terrible", "horrible", "dreadful"),
}
#: The first four sentences of each polarity with their opinion words misspelled.
_TYPOS = {
    True: (
        "I lovd this film, it was wonderfull.",
        "A briliant, moveing film with superbb acting.",
        "One of the bestest films I have ever seen.",
        "The acting was excelent and the story was beautifull.",
    ),
    False: (
        "I hatd this film, it was awfull.",
        "A boaring, stupud film with terible acting.",
        "One of the worstest films I have ever seen.",
        "The acting was poore and the story was dul.",
    ),
}
#: Made-up names no vocabulary holds, put before a clear sentence.
_UNKNOWN_PREFIXES = ("Zorvath and Quillane star in Blenkforth.", "Vandrosk Theluin Marrowgate Pellquist.")


@dataclass(frozen=True)
class Test:
    """One row of the probe table: a family of probes, a name, and what is counted."""

    id: str
    probe: str
    name: str
    description: str


TESTS = (
    Test("negation.plain", "negation", "plain: good / bad", "'The film was good.' (positive), '... bad.' (negative)"),
    Test("negation.negated", "negation", "negated: not good / not bad",
         "'The film was not good.' is negative, '... not bad.' positive"),
    Test("negation.not_good", "negation", "'not' lowers P after a positive word", "pairs: P(not good) < P(good)"),
    Test("negation.not_bad", "negation", "'not' raises P after a negative word", "pairs: P(not bad) > P(bad)"),
    Test("contrast.but", "contrast", "the clause after 'but' decides",
         "'The cast is weak, but overall I enjoyed it very much.' is positive, and the mirror negative"),
    Test("intensity.weak", "intensity", "weak wording", "'I thought the film was decent.' / '... mediocre.'"),
    Test("intensity.strong", "intensity", "strong wording", "'I thought the film was superb.' / '... dreadful.'"),
    Test("intensity.direction", "intensity", "stronger moves P further",
         "pairs: P(superb) > P(decent) and P(dreadful) < P(mediocre)"),
    Test("unknown.names", "unknown words", "made-up names added", "a clear sentence after words no vocabulary holds"),
    Test("unknown.typos", "unknown words", "opinion words misspelled", "'I lovd this film, it was wonderfull.'"),
    Test("length.sentence", "length", "one sentence", "each clear sentence alone"),
    Test("length.paragraph", "length", "a paragraph", "five clear sentences of the same verdict"),
)
TEST_IDS = tuple(test.id for test in TESTS)
#: The tests whose verdict depends on the order of the words: "not" before the opinion word,
#: and the clause after "but". A model that reads no order can only guess them from which words
#: occur (the pair tests "not good"/"not bad" are left out: adding any word to a short text moves
#: a mean of word vectors, so they reward no reading of order).
ORDER_TESTS = ("negation.negated", "contrast.but")


def order_accuracy(result: dict) -> float:
    """A variant's mean accuracy over ``ORDER_TESTS``, from its ``measure`` result."""
    return float(np.mean([result["tests"][test]["accuracy"] for test in ORDER_TESTS]))


# --------------------------------------------------------------------------- building the suite


def filler_words(k: int, start: int = 0) -> list[str]:
    """The first ``k`` words of the filler that starts with passage ``start`` (passages in turn, repeated)."""
    passages = [tokenize(FILLERS[(start + i) % len(FILLERS)]) for i in range(len(FILLERS))]
    words: list[str] = []
    while len(words) < k:
        for passage in passages:
            words += passage
    return words[:k]


@dataclass
class Suite:
    """Every text of the suite once (``texts``), and which texts make up each measure.

    ``memory[order][k]`` holds the indices of the (positive, negative) texts; ``filler[k]`` those
    of the filler alone; ``labelled[test]`` (index, label) pairs; ``pairs[test]`` (index whose P
    should be lower, index whose P should be higher).
    """

    texts: list[str] = field(default_factory=list)
    memory: dict[str, dict[int, tuple[list[int], list[int]]]] = field(default_factory=dict)
    filler: dict[int, list[int]] = field(default_factory=dict)
    labelled: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)
    pairs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    #: The number of words of the longest memory-span sentence (for the cut-away check).
    sentence_words: int = 0

    def __post_init__(self) -> None:
        self._index: dict[str, int] = {}

    def add(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.texts)
            self.texts.append(text)
        return self._index[text]

    def sha256(self) -> str:
        """A fingerprint of every text and every measure: equal suites give equal results."""
        content = json.dumps([self.texts, self.memory, self.filler, self.labelled, self.pairs], sort_keys=True)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


def build_suite() -> Suite:
    """The whole probe suite, the same on every call."""
    suite = Suite()
    suite.sentence_words = max(len(tokenize(s)) for s in (*POSITIVE_SENTENCES, *NEGATIVE_SENTENCES))
    _add_memory(suite)
    _add_negation(suite)
    _add_contrast_and_intensity(suite)
    _add_unknown_words_and_length(suite)
    return suite


_SENTENCES = {True: POSITIVE_SENTENCES, False: NEGATIVE_SENTENCES}


def _labelled(suite: Suite, test: str, items: list[tuple[str, bool]]) -> None:
    suite.labelled[test] = [(suite.add(text), label) for text, label in items]


def _add_memory(suite: Suite) -> None:
    """Memory span: each clear sentence before (or after) k filler words, and the fillers alone."""
    for order in ORDERS:
        suite.memory[order] = {}
        for k in SPAN_K:
            indices: dict[bool, list[int]] = {True: [], False: []}
            for start in range(len(FILLERS)):
                filler = " ".join(filler_words(k, start))
                for positive in (True, False):
                    for sentence in _SENTENCES[positive]:
                        parts = (sentence, filler) if order == "sentence_first" else (filler, sentence)
                        indices[positive].append(suite.add(" ".join(p for p in parts if p)))
            suite.memory[order][k] = (indices[True], indices[False])
    for k in SPAN_K[1:]:
        suite.filler[k] = [suite.add(" ".join(filler_words(k, start))) for start in range(len(FILLERS))]


def _add_negation(suite: Suite) -> None:
    plain, negated = [], []
    suite.pairs["negation.not_good"], suite.pairs["negation.not_bad"] = [], []
    for subject in _SUBJECTS:
        for positive, adjectives in _NEGATION_ADJECTIVES.items():
            for adjective in adjectives:
                said, denied = f"{subject} was {adjective}.", f"{subject} was not {adjective}."
                plain.append((said, positive))
                negated.append((denied, not positive))
                # "not" should move P down from a positive word and up from a negative one.
                if positive:
                    suite.pairs["negation.not_good"].append((suite.add(denied), suite.add(said)))
                else:
                    suite.pairs["negation.not_bad"].append((suite.add(said), suite.add(denied)))
    _labelled(suite, "negation.plain", plain)
    _labelled(suite, "negation.negated", negated)


def _add_contrast_and_intensity(suite: Suite) -> None:
    _labelled(suite, "contrast.but", [
        (f"{opener}, but {verdict}.", decides)
        for decides in (True, False)
        for opener in _CONTRAST_OPENERS[not decides]
        for verdict in _CONTRAST_VERDICTS[decides]
    ])
    for strength in ("weak", "strong"):
        _labelled(suite, f"intensity.{strength}", [
            (template.format(adjective), positive)
            for positive in (True, False)
            for template in _INTENSITY_TEMPLATES
            for adjective in _INTENSITY_ADJECTIVES[strength, positive]
        ])
    stronger = []
    for template in _INTENSITY_TEMPLATES:
        for positive in (True, False):
            for weak, strong in zip(_INTENSITY_ADJECTIVES["weak", positive], _INTENSITY_ADJECTIVES["strong", positive]):
                weak_i, strong_i = suite.add(template.format(weak)), suite.add(template.format(strong))
                stronger.append((weak_i, strong_i) if positive else (strong_i, weak_i))
    suite.pairs["intensity.direction"] = stronger


def _add_unknown_words_and_length(suite: Suite) -> None:
    sentences = _SENTENCES
    _labelled(suite, "unknown.names", [
        (f"{prefix} {sentence}", positive)
        for prefix in _UNKNOWN_PREFIXES for positive in (True, False) for sentence in sentences[positive]
    ])
    _labelled(suite, "unknown.typos", [(text, positive) for positive in (True, False) for text in _TYPOS[positive]])
    _labelled(suite, "length.sentence", [(s, positive) for positive in (True, False) for s in sentences[positive]])
    _labelled(suite, "length.paragraph", [
        (" ".join(sentences[positive][(i + j) % len(sentences[positive])] for j in range(5)), positive)
        for positive in (True, False) for i in range(len(sentences[positive]))
    ])


# --------------------------------------------------------------------------- measuring


def memory_span(separation: Sequence[float | None], cut_away: Sequence[bool]) -> tuple[int | None, str]:
    """The span from the separation at each ``SPAN_K`` and which ``k`` were cut away.

    Returns:
        The largest ``k`` up to which the separation keeps ``SPAN_SHARE`` of its ``k = 0`` value,
        and why it ends there: ``"forgets"`` (the next ``k`` falls below), ``"cut_away"`` (the
        next ``k`` no longer fits in ``maxlen``: the span is at least this), ``"longest_tested"``
        (it holds at every ``k``), or ``"no_separation"`` (none at ``k = 0``; span None).
    """
    first = separation[0]
    if first is None or cut_away[0] or first <= 0:
        return None, "no_separation"
    span = SPAN_K[0]
    for k, value, cut in zip(SPAN_K[1:], separation[1:], cut_away[1:]):
        if cut:
            return span, "cut_away"
        if value < SPAN_SHARE * first:
            return span, "forgets"
        span = k
    return span, "longest_tested"


def measure(suite: Suite, p: np.ndarray, maxlen: int) -> dict:
    """One variant's results from its P(positive) for every text of ``suite`` (``p[i]`` for ``texts[i]``)."""
    memory = {}
    for order in ORDERS:
        separation, cut_away = [], []
        for k in SPAN_K:
            positive, negative = suite.memory[order][k]
            # Sentence first, the pipeline keeps the last maxlen words: the sentence's start is cut off.
            cut = order == "sentence_first" and k + suite.sentence_words > maxlen
            cut_away.append(cut)
            separation.append(None if cut else round(float(p[positive].mean() - p[negative].mean()), 4))
        span, ends = memory_span(separation, cut_away)
        n = len(suite.memory[order][0][0]) + len(suite.memory[order][0][1])
        memory[order] = {"separation": separation, "cut_away": cut_away, "span": span, "span_ends": ends, "n": n}
    results = {}
    for test in TEST_IDS:
        if test in suite.labelled:
            items = suite.labelled[test]
            correct = [(p[i] > THRESHOLD) == label for i, label in items]
        else:
            items = suite.pairs[test]
            correct = [p[low] < p[high] for low, high in items]
        results[test] = {"accuracy": round(float(np.mean(correct)), 4), "n": len(items)}
    bias = [None] + [round(float(p[suite.filler[k]].mean()), 4) for k in SPAN_K[1:]]
    return {"maxlen": maxlen, "memory": memory, "filler_bias": bias, "tests": results}


def model_checksums(zoo, variant_id: str) -> dict[str, str]:
    """The recorded sha256 of the files that decide a variant's answers (model and vocabulary)."""
    files = zoo.artifact(variant_id).metadata.get("files") or {}
    return {name: files.get(name) for name in (MODEL_FILE, VOCABULARY_FILE)}


def run_probes(zoo, variant_ids: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None) -> dict:
    """Run the suite through each variant (one batch call per variant) and gather the results.

    Args:
        zoo: an open ``Zoo``.
        variant_ids: the variants to probe (default: all the zoo lists).
        progress: called with each variant id once it is done (e.g. to advance a progress bar).

    Returns:
        The ``probes.json`` document (its schema: ``docs/probes.md``). A broken variant is
        listed under ``"errors"`` with why, and the others are still probed.
    """
    suite = build_suite()
    variants, models, errors = {}, {}, {}
    for variant_id in variant_ids or zoo.ids:
        try:
            maxlen = zoo.artifact(variant_id).spec.maxlen
            result = zoo.classify(suite.texts, [variant_id])[variant_id]
            if isinstance(result, ArtifactError):
                raise result
            variants[variant_id] = measure(suite, np.asarray(result, dtype=np.float64), maxlen)
            variants[variant_id]["reads_order"] = zoo.artifact(variant_id).spec.reads_order
            models[variant_id] = model_checksums(zoo, variant_id)
        except ArtifactError as error:
            errors[variant_id] = str(error)
        if progress is not None:
            progress(variant_id)
    return {
        "format": PROBES_FORMAT,
        "suite_version": SUITE_VERSION,
        "suite_sha256": suite.sha256(),
        "text_pipeline": TEXT_PIPELINE_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "k": list(SPAN_K),
        "span_share": SPAN_SHARE,
        "tests": [{"id": t.id, "probe": t.probe, "name": t.name, "description": t.description} for t in TESTS],
        "texts": len(suite.texts),
        "models": models,
        "variants": variants,
        "errors": errors,
    }


# --------------------------------------------------------------------------- stored results


def write_probes(zoo_dir: Path, results: dict) -> Path:
    """Store ``results`` as the zoo's ``probes.json`` (atomically); returns its path."""
    path = Path(zoo_dir) / PROBES_FILE
    write_json(path, results)
    return path


def read_probes(zoo_dir: Path) -> dict | None:
    """The zoo's stored ``probes.json``, or None when there is none.

    Raises:
        ArtifactError: the file exists but is not a probes document.
    """
    path = Path(zoo_dir) / PROBES_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{PROBES_FILE} is unreadable: {error}") from error
    if not isinstance(data, dict) or data.get("format") != PROBES_FORMAT or not isinstance(data.get("variants"), dict):
        raise ArtifactError(f"{PROBES_FILE} is not a probes document of format {PROBES_FORMAT}")
    return data


def stale_reason(zoo, results: dict) -> str | None:
    """Why stored ``results`` no longer describe ``zoo`` (None when they do).

    They are stale when the suite or the text pipeline changed since, or when a sound variant
    of the zoo is missing from them or was computed from other model or vocabulary files.
    """
    if results.get("suite_version") != SUITE_VERSION or results.get("suite_sha256") != build_suite().sha256():
        return "the probe suite changed since it was computed"
    if results.get("text_pipeline") != TEXT_PIPELINE_VERSION:
        return f"it was computed with text pipeline {results.get('text_pipeline')}, this code has {TEXT_PIPELINE_VERSION}"
    recorded = results.get("models") or {}
    for artifact in zoo.artifacts():
        if artifact.id not in recorded:
            return f"it has no results for {artifact.id}"
        if recorded[artifact.id] != model_checksums(zoo, artifact.id):
            return f"{artifact.id} changed since (its model or vocabulary checksum differs)"
    return None


def fresh_probes(zoo) -> dict | None:
    """The zoo's stored probe results if they still describe its models, else None."""
    try:
        results = read_probes(zoo.path)
    except ArtifactError:
        return None
    return results if results is not None and stale_reason(zoo, results) is None else None


# --------------------------------------------------------------------------- tables


def span_text(memory: dict) -> str:
    """A memory span in words: ``"100"``, ``"≥ 50 (then cut away)"``, ``"≥ 400"``, ``"—"``."""
    span, ends = memory["span"], memory["span_ends"]
    if span is None:
        return "—"
    return {"cut_away": f"≥ {span} (then cut away)", "longest_tested": f"≥ {span}"}.get(ends, str(span))


def probes_table(results: dict) -> str:
    """The Markdown probe table of a ``probes.json`` document: one row per variant."""
    columns = ["variant", "span (sentence first)", "span (filler first)", "separation at k=0", "filler bias (k=100)",
               *(test.id for test in TESTS), "order tests (mean)"]
    lines = ["| " + " | ".join(columns) + " |", "|---|" + "---:|" * (len(columns) - 1)]
    k100 = list(SPAN_K).index(100)
    for variant_id, result in results["variants"].items():
        memory = result["memory"]
        cells = [
            variant_label(variant_id, result), span_text(memory["sentence_first"]), span_text(memory["filler_first"]),
            _number(memory["sentence_first"]["separation"][0]), _number(result["filler_bias"][k100]),
            *(_number(result["tests"][test.id]["accuracy"]) for test in TESTS), _number(order_accuracy(result)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for variant_id, error in (results.get("errors") or {}).items():
        lines.append(f"| `{variant_id}` | broken: {error} |" + " |" * (len(columns) - 2))
    return "\n".join(lines) + "\n"


def separation_table(results: dict, order: str = "sentence_first") -> str:
    """The separation at each ``k`` for each variant, as Markdown ("cut" where cut away)."""
    lines = ["| variant | " + " | ".join(f"k={k}" for k in results["k"]) + " |", "|---|" + "---:|" * len(results["k"])]
    for variant_id, result in results["variants"].items():
        memory = result["memory"][order]
        cells = ["cut" if cut else _number(value) for value, cut in zip(memory["separation"], memory["cut_away"])]
        lines.append(f"| {variant_label(variant_id, result)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def variant_label(variant_id: str, result: dict) -> str:
    """A variant's name in a table: its id, marked when it reads no order."""
    return f"`{variant_id}`" + ("" if result.get("reads_order", True) else " (reads no order)")


def probes_markdown(results: dict) -> str:
    """What ``docs/probes.md`` shows between its probe markers: the separation table, then the probe table."""
    return (
        f"Separation at each `k` (sentence first; `cut`: the sentence no longer fits in `maxlen`):\n\n"
        f"{separation_table(results)}\n"
        f"Memory span, separation at `k = 0`, the filler's P(positive) alone (100 words), accuracy per probe test "
        f"(n = {', '.join(f'{t.id} {n}' for t, n in _counts(results))}), and the mean over the tests whose verdict "
        f"depends on word order ({', '.join(ORDER_TESTS)}):\n\n"
        f"{probes_table(results)}"
    )


def _counts(results: dict) -> list[tuple[Test, int]]:
    first = next(iter(results["variants"].values()), None)
    return [(test, first["tests"][test.id]["n"] if first else 0) for test in TESTS]


def _number(value: float) -> str:
    """Two decimals, without the "-0.00" of a tiny negative separation."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text
