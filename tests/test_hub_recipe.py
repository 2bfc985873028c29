"""The model card's Keras-only recipe, run as a Hub user runs it: the exact lines of the card,
in a fresh Python without the ``zoo`` package, against the test Hub (``scripts.fake_hub.FakeHub``).

Its answers must be ``python -m zoo classify``'s for the same texts and the same published zoo
(the command's entry point is called in the test's own process: ``tests.support.cli.call``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from scripts.fake_hub import OWNER_REPO, publish
from tests.support.cli import call
from zoo.artifact import CARD_FILE
from zoo.card import RECIPE_TEXTS
from zoo.examples import EXAMPLES
from zoo.store import BUNDLED_ZOO

#: A seed-recipe variant, and the tuned one (its embedding masks the padding).
VARIANTS = ("simplernn-1x32-len500", "simplernn-1x32-len300-tuned")
#: Twenty texts, one line each (``zoo classify --input`` reads one text a line): the app's
#: examples, markup, entities, quotes, accents, emoji, and a review longer than any maxlen.
TEXTS = [
    *EXAMPLES.values(),
    "It was great.<br /><br />Loved it!",
    "An <i>utterly</i> <a href=\"x.html\">dull</a> film",
    "a <good> film, I <3 it",
    "I don&rsquo;t like it &amp; I won&#39;t watch it again",
    "I don\u2019t like it, \u201cthe best\u201d they said",
    "Na\u00efve caf\u00e9 owner, d\u00e9j\u00e0 vu, quite charming",
    "great \U0001f600 film \u2605\u2605\u2605\u2605\u2605",
    "\uff27\uff32\uff25\uff21\uff34 \ufb01lm",
    "WORST MOVIE EVER!!!",
    "Not bad at all.",
    "The acting was fine but the plot was boring and predictable.",
    "A masterpiece. " * 300,
    "x<y and y>z, 5 < 6",
    "&lt;br /&gt;Superb&hellip; simply superb",
]

#: The recipe's code block in a card: the first Python block after the Keras-only sentence.
_RECIPE = re.compile(r"With Keras alone.*?```python\n(.*?)```", re.DOTALL)


def recipe_of(card: str) -> str:
    match = _RECIPE.search(card)
    assert match, "the card has no Keras-only recipe"
    return match.group(1)


#: Runs each card's lines as they are, then their own ``classify`` on the texts; prints JSON last.
HARNESS = """
import json, sys
texts = json.load(open(sys.argv[1], encoding="utf-8"))
answers = {}
for path in sys.argv[2:]:
    namespace = {}
    exec(compile(open(path, encoding="utf-8").read(), path, "exec"), namespace)
    answers[namespace["variant"]] = [float(p) for p in namespace["classify"](texts)]
print(json.dumps({"answers": answers, "zoo_imported": "zoo" in sys.modules}))
"""


@pytest.mark.slow
def test_the_cards_keras_only_recipe_answers_as_zoo_classify_does(fake_hub, hf_cache, tmp_path):
    assert len(TEXTS) == 20 and all("\n" not in text for text in TEXTS)
    commit = publish(fake_hub, BUNDLED_ZOO)
    files = fake_hub.repos[OWNER_REPO]["commits"][commit]
    scripts = []
    for variant_id in VARIANTS:
        code = recipe_of(files[f"{variant_id}/{CARD_FILE}"].decode("utf-8"))
        assert f'"{OWNER_REPO}", "{variant_id}"' in code, "the published card names its own repo and variant"
        scripts.append(tmp_path / f"{variant_id}.py")
        scripts[-1].write_text(code, encoding="utf-8")
    (tmp_path / "texts.json").write_text(json.dumps(TEXTS), encoding="utf-8")
    (tmp_path / "texts.txt").write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    (tmp_path / "harness.py").write_text(HARNESS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HF_TOKEN", "ZOO_SOURCE", "HF_HUB_OFFLINE")}
    env |= {"HF_ENDPOINT": fake_hub.url, "PYTHONIOENCODING": "utf-8", "TF_CPP_MIN_LOG_LEVEL": "3"}

    # A Hub user's machine: its own cache, outside the repository (``import zoo`` would fail).
    recipe = subprocess.run([sys.executable, "harness.py", "texts.json", *map(str, scripts)], cwd=tmp_path,
                            env=env | {"HF_HUB_CACHE": str(tmp_path / "user-cache")},
                            capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert recipe.returncode == 0, recipe.stderr[-3000:]
    *printed, last = recipe.stdout.strip().splitlines()
    result = json.loads(last)
    assert result["zoo_imported"] is False
    # Each card's own example line ran too: one array of two probabilities per card.
    assert len([line for line in printed if line.startswith("[")]) == len(VARIANTS) and len(RECIPE_TEXTS) == 2

    # ``python -m zoo classify``'s entry point, in this process: it talks to the test Hub and fills a
    # cache apart from the user's, both the fixtures' (``fake_hub``, ``hf_cache``).
    cli = call("classify", "--zoo", f"hf://{OWNER_REPO}@{commit}", *(f"--variant={v}" for v in VARIANTS), "--json",
               "--input", str(tmp_path / "texts.txt"))
    assert cli.returncode == 0, cli.stderr[-3000:]
    rows = [json.loads(line) for line in cli.stdout.splitlines()]
    assert len(rows) == len(TEXTS)
    for variant_id in VARIANTS:
        expected = [row["predictions"][variant_id] for row in rows]
        got = result["answers"][variant_id]
        # The CLI rounds to 6 decimals (measured here: at most 6e-7 apart); Keras' predict and
        # the zoo's compiled forward pass may order float32 operations differently.
        assert max(abs(a - b) for a, b in zip(got, expected)) < 2e-6, variant_id
        assert [p > 0.5 for p in got] == [p > 0.5 for p in expected], variant_id
