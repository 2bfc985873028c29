"""The behavioural probes: the suite, the memory-span measure, ``python -m zoo probe`` and ``probes.json``."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import zoo
from tests.support.corpus import REPO, TINY_VARIANTS
from zoo import probes
from zoo.artifact import write_json
from zoo.probes import (
    FILLERS, NEGATIVE_SENTENCES, ORDERS, POSITIVE_SENTENCES, PROBES_FILE, SPAN_K, TEST_IDS, build_suite,
    filler_words, measure, memory_span, read_probes, run_probes, stale_reason, write_probes,
)
from zoo.store import BUNDLED_ZOO
from zoo.text import tokenize

POSITIVE_CUES = set("loved wonderful brilliant moving superb best excellent beautiful great enjoyed funny warm touching "
                    "delight masterpiece recommended perfect good interesting decent pleasant nice watchable".split())
NEGATIVE_CUES = set("hated awful boring stupid terrible worst poor dull bad regretted lazy pointless waste disaster never "
                    "avoid wastes mediocre forgettable weak flawed horrible dreadful mess hate".split())


# --- the suite -----------------------------------------------------------------------------------

def test_the_suite_is_the_same_on_every_build():
    assert build_suite().texts == build_suite().texts
    assert build_suite().sha256() == build_suite().sha256()


def test_fillers_hold_no_opinion_word_of_the_suite():
    words = {word for filler in FILLERS for word in tokenize(filler)}
    assert not words & (POSITIVE_CUES | NEGATIVE_CUES)
    assert all(len(tokenize(filler)) >= 100 for filler in FILLERS)


def test_filler_words_gives_exactly_k_words_for_every_k():
    for k in SPAN_K:
        assert len(filler_words(k)) == k
    assert filler_words(400, start=1)[:5] == tokenize(FILLERS[1])[:5]


def test_memory_texts_put_the_sentence_before_or_after_k_filler_words():
    suite = build_suite()
    positive, negative = suite.memory["sentence_first"][50]
    assert len(positive) == len(negative) == len(POSITIVE_SENTENCES) * len(FILLERS)
    first = tokenize(suite.texts[positive[0]])
    assert first[: len(tokenize(POSITIVE_SENTENCES[0]))] == tokenize(POSITIVE_SENTENCES[0])
    assert len(first) == len(tokenize(POSITIVE_SENTENCES[0])) + 50
    last = tokenize(suite.texts[suite.memory["filler_first"][50][1][0]])
    assert last[-len(tokenize(NEGATIVE_SENTENCES[0])):] == tokenize(NEGATIVE_SENTENCES[0])


def test_every_labelled_test_is_balanced_between_positive_and_negative():
    suite = build_suite()
    for test, items in suite.labelled.items():
        labels = [label for _, label in items]
        assert labels.count(True) == labels.count(False) > 0, test


# --- the measures --------------------------------------------------------------------------------

@pytest.mark.parametrize("separation, cut, span, ends", [
    ([0.8, 0.7, 0.5, 0.3, 0.2, 0.1, 0.0], [False] * 7, 25, "forgets"),
    ([0.8, 0.9, 0.3, 0.7, 0.7, 0.7, 0.7], [False] * 7, 10, "forgets"),      # the first drop ends it
    ([0.6, 0.6, 0.6, 0.6, None, None, None], [False] * 4 + [True] * 3, 50, "cut_away"),
    ([0.6] * 7, [False] * 7, 400, "longest_tested"),
    ([0.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [False] * 7, None, "no_separation"),
])
def test_memory_span_is_the_largest_k_keeping_half_the_separation(separation, cut, span, ends):
    assert memory_span(separation, cut) == (span, ends)


def reads_last_words(texts: list[str], window: int) -> np.ndarray:
    """A made-up model: P = 0.9 / 0.1 when its last ``window`` words hold more positive / negative
    cues, else 0.7 (a bias towards positive, as the real variants have on plain text)."""
    p = []
    for text in texts:
        words = tokenize(text)[-window:]
        score = sum(w in POSITIVE_CUES for w in words) - sum(w in NEGATIVE_CUES for w in words)
        p.append(0.9 if score > 0 else 0.1 if score < 0 else 0.7)
    return np.array(p)


def test_a_model_that_reads_only_its_last_20_words_has_a_span_of_10():
    suite = build_suite()
    result = measure(suite, reads_last_words(suite.texts, 20), maxlen=60)
    first = result["memory"]["sentence_first"]
    assert first["separation"][:3] == [pytest.approx(0.8), pytest.approx(0.8), 0.0]
    assert (first["span"], first["span_ends"]) == (10, "forgets")
    # 100 filler words and the sentence do not fit in maxlen 60: cut away, not measured.
    assert first["cut_away"] == [False, False, False, False, True, True, True]
    assert first["separation"][4:] == [None, None, None]
    last = result["memory"]["filler_first"]
    assert last["separation"] == [pytest.approx(0.8)] * len(SPAN_K)
    assert (last["span"], last["span_ends"]) == (400, "longest_tested")
    assert last["n"] == 2 * len(POSITIVE_SENTENCES) * len(FILLERS)
    assert result["filler_bias"] == [None] + [pytest.approx(0.7)] * (len(SPAN_K) - 1)
    # It ignores "not": right on the plain negation texts, wrong on every negated one.
    assert result["tests"]["negation.plain"]["accuracy"] == 1.0
    assert result["tests"]["negation.negated"]["accuracy"] == 0.0
    assert result["tests"]["length.sentence"] == {"accuracy": 1.0, "n": 16}


# --- running on a zoo ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_results(tiny_zoo_path):
    return run_probes(zoo.open_zoo(tiny_zoo_path))


def test_run_probes_reports_every_variant_with_the_separations_the_zoo_gives(tiny_results, tiny_zoo_path):
    assert list(tiny_results["variants"]) == list(TINY_VARIANTS)
    assert tiny_results["errors"] == {}
    z = zoo.open_zoo(tiny_zoo_path)
    suite = build_suite()
    variant_id = TINY_VARIANTS[0]
    positive, negative = suite.memory["sentence_first"][10]
    p = z.classify([suite.texts[i] for i in positive + negative], [variant_id])[variant_id]
    expected = p[: len(positive)].mean() - p[len(positive):].mean()
    assert tiny_results["variants"][variant_id]["memory"]["sentence_first"]["separation"][1] == pytest.approx(expected, abs=1e-4)
    for result in tiny_results["variants"].values():
        assert set(result["tests"]) == set(TEST_IDS)
        assert all(0 <= t["accuracy"] <= 1 and t["n"] > 0 for t in result["tests"].values())
        assert set(result["memory"]) == set(ORDERS)


def test_stored_probes_are_fresh_until_a_model_changes(tiny_results, tiny_zoo_copy):
    z = zoo.open_zoo(tiny_zoo_copy)
    write_probes(tiny_zoo_copy, tiny_results)
    assert read_probes(tiny_zoo_copy) == json.loads(json.dumps(tiny_results))
    assert stale_reason(z, read_probes(tiny_zoo_copy)) is None
    assert probes.fresh_probes(z) is not None
    stale = json.loads(json.dumps(tiny_results))
    stale["models"][TINY_VARIANTS[1]]["model.keras"] = "0" * 64
    write_json(tiny_zoo_copy / PROBES_FILE, stale)
    assert TINY_VARIANTS[1] in stale_reason(z, read_probes(tiny_zoo_copy))
    assert probes.fresh_probes(z) is None


def test_verify_warns_of_stale_probes_and_fails_on_unreadable_ones(tiny_results, tiny_zoo_copy):
    from zoo.verify import verify_zoo

    z = zoo.open_zoo(tiny_zoo_copy)
    write_probes(tiny_zoo_copy, tiny_results)
    assert not [p for p in verify_zoo(z, load_models=False).problems if p.subject == PROBES_FILE]
    stale = json.loads(json.dumps(tiny_results))
    del stale["models"][TINY_VARIANTS[0]]
    write_json(tiny_zoo_copy / PROBES_FILE, stale)
    report = verify_zoo(z, load_models=False)
    assert report.ok
    assert [(p.severity, "python -m zoo probe --write" in p.message) for p in report.problems if p.subject == PROBES_FILE] \
        == [("warning", True)]
    (tiny_zoo_copy / PROBES_FILE).write_text("{")
    report = verify_zoo(z, load_models=False)
    assert not report.ok and [p.severity for p in report.problems if p.subject == PROBES_FILE] == ["error"]


def test_push_uploads_fresh_probes_and_refuses_stale_ones(tiny_results, tiny_zoo_copy):
    from training import push

    write_probes(tiny_zoo_copy, tiny_results)
    uploads = push.plan_upload(push.checked_zoo(tiny_zoo_copy), "owner/zoo")
    assert PROBES_FILE in [u.path_in_repo for u in uploads]
    stale = json.loads(json.dumps(tiny_results))
    stale["suite_sha256"] = "changed"
    write_json(tiny_zoo_copy / PROBES_FILE, stale)
    with pytest.raises(push.PushRefused, match="probe --zoo .* --write"):
        push.checked_zoo(tiny_zoo_copy)


def test_the_bundled_zoo_carries_probes_of_its_own_models():
    results = read_probes(BUNDLED_ZOO)
    z = zoo.open_zoo(BUNDLED_ZOO)
    assert results is not None, "run: python -m zoo probe --write --update docs/probes.md"
    assert stale_reason(z, results) is None, "run: python -m zoo probe --write --update docs/probes.md"
    assert list(results["variants"]) == z.ids


def test_the_probe_pages_tables_are_generated_from_the_bundled_probes():
    page = (REPO / "docs" / "probes.md").read_text(encoding="utf-8")
    from zoo.cli import PROBES_END, PROBES_START

    shown = page.split(PROBES_START, 1)[1].split(PROBES_END, 1)[0]
    assert shown.strip() == probes.probes_markdown(read_probes(BUNDLED_ZOO)).strip()


# --- the command ---------------------------------------------------------------------------------

def test_probe_command_prints_json_writes_probes_json_and_updates_a_readme(tiny_zoo_copy, tmp_path):
    from tests.support.cli import call

    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- probes:start -->\nold\n<!-- probes:end -->\nafter\n", encoding="utf-8")
    result = call("probe", "--zoo", str(tiny_zoo_copy), "--json", "--write", "--update", str(readme))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == read_probes(tiny_zoo_copy)
    assert list(printed["variants"]) == list(TINY_VARIANTS)
    assert "Traceback" not in result.stderr
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("intro\n<!-- probes:start -->\n") and text.endswith("<!-- probes:end -->\nafter\n")
    assert "old" not in text and f"`{TINY_VARIANTS[0]}`" in text


@pytest.mark.parametrize("args, message", [
    (["--write", "--variant", TINY_VARIANTS[0]], "--write stores the probes of every variant"),
    (["--variant", "nope"], "has no variant nope"),
])
def test_probe_refuses_bad_arguments_in_one_line(tiny_zoo_copy, capsys, args, message):
    from zoo.cli import EXIT_USAGE, main

    assert main(["probe", "--zoo", str(tiny_zoo_copy), *args]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tiny_zoo_copy / PROBES_FILE).exists()


def test_probe_reports_a_broken_variant_and_probes_the_others(tiny_zoo_copy):
    from tests.support.cli import call

    (tiny_zoo_copy / TINY_VARIANTS[1] / "model.keras").write_bytes(b"damaged")
    result = call("probe", "--zoo", str(tiny_zoo_copy), "--json")
    assert result.returncode == 1
    printed = json.loads(result.stdout)
    assert TINY_VARIANTS[1] in printed["errors"] and TINY_VARIANTS[1] not in printed["variants"]
    assert f"variant {TINY_VARIANTS[1]} is broken" in result.stderr and "Traceback" not in result.stderr
    shutil.rmtree(tiny_zoo_copy)


def test_a_hub_zoo_brings_its_probes_along_with_its_manifest(tiny_results, tiny_zoo_copy, fake_hub, hf_cache):
    from scripts.fake_hub import OWNER_REPO, publish

    write_probes(tiny_zoo_copy, tiny_results)
    publish(fake_hub, tiny_zoo_copy)
    z = zoo.open_zoo(f"hf://{OWNER_REPO}", variants=[TINY_VARIANTS[0]])
    assert PROBES_FILE in fake_hub.downloads()
    assert probes.fresh_probes(z) == read_probes(tiny_zoo_copy)
