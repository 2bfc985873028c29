"""The app's "What they can do" tab, driven through ``AppTest`` on the tiny zoo (which has no
``probes.json``, so the tab computes the probes itself)."""

from __future__ import annotations

import json

import pytest

import zoo
from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.app import charts, open_app, texts
from zoo.explain import hidden_states, word_importance
from zoo.probes import TESTS, run_probes
from zoo.text import MAX_TEXT_CHARS, tokenize

TEXT = "The first half is slow and dull, but the ending is brilliant and I loved it."
TUNED = "simplernn-1x32-len300-tuned"
CAPABILITIES_TAB = "What they can do"


def explain(at, text: str):
    """The "What they can do" tab after ``text`` was submitted in the Classify tab (only the open
    tab is drawn, so the tab is opened through its link and the submitted text set directly)."""
    if at.query_params.get("tab") != CAPABILITIES_TAB:
        at.query_params["tab"] = CAPABILITIES_TAB
    at.session_state["submitted"] = text
    at.run()
    assert not at.exception, at.exception
    return at


def frames_with(at, field: str):
    """The data of every chart whose spec uses ``field``."""
    import pandas as pd

    return [pd.concat(frames, ignore_index=True) for spec, frames in charts(at) if f'"field": "{field}"' in json.dumps(spec)]


def test_the_tab_shows_the_zoos_probes_memory_curves_and_the_visitors_text(monkeypatch, tiny_zoo_path):
    at = explain(open_app(monkeypatch, tiny_zoo_path), TEXT)
    assert "What they can do" in texts(at.header)
    assert {"Memory span", "Probes", "Your text, word by word"} <= set(texts(at.subheader))
    expected = run_probes(zoo.open_zoo(tiny_zoo_path))

    [heat] = frames_with(at, "accuracy")
    assert len(heat) == len(TINY_VARIANTS) * len(TESTS)
    for row in heat.itertuples():
        test = next(t for t in TESTS if t.id.replace(".", " · ") == row.probe)
        assert row.accuracy == pytest.approx(expected["variants"][row.variant]["tests"][test.id]["accuracy"])

    [curves] = frames_with(at, "separation")
    tuned = curves[(curves["variant"] == TUNED) & (curves["order"] == "sentence, then filler")]
    memory = expected["variants"][TUNED]["memory"]["sentence_first"]
    measured = [s for s in memory["separation"] if s is not None]  # k = 400 is cut away at maxlen 300
    assert tuned.sort_values("k")["separation"].tolist() == pytest.approx(measured, abs=1e-4)
    assert 400 not in tuned["k"].tolist()

    [importance] = frames_with(at, "delta")
    result = word_importance(zoo.open_zoo(tiny_zoo_path), TUNED, TEXT)
    assert importance["word"].tolist() == list(result.words) == tokenize(TEXT)
    assert importance["delta"].tolist() == pytest.approx(result.deltas.tolist(), abs=1e-5)

    [states] = frames_with(at, "rank")
    assert len(states) == 32 * len(tokenize(TEXT))
    expected_states = hidden_states(zoo.open_zoo(tiny_zoo_path), at.selectbox(key="states_variant").value, TEXT)
    top = states[states["rank"] == 1]
    unit = int(expected_states.unit_order("layer 1")[0])
    assert top["unit"].unique().tolist() == [unit]
    assert top.sort_values("position")["value"].tolist() == pytest.approx(expected_states.states["layer 1"][:, unit].tolist(), abs=1e-5)


def test_up_to_three_variants_are_explained_side_by_side(monkeypatch, tiny_zoo_path):
    at = explain(open_app(monkeypatch, tiny_zoo_path), TEXT)
    at.multiselect(key="importance_variants").set_value(list(TINY_VARIANTS)).run()
    assert not at.exception
    [strip] = frames_with(at, "delta")  # one row per variant, on the reading chart's words
    assert set(strip["variant"]) == set(TINY_VARIANTS)
    assert set(frames_with(at, "p_positive")[-1]["variant"].dropna()) == set(TINY_VARIANTS)  # the curves above it
    assert at.multiselect(key="importance_variants").proto.max_selections == 3


NOTHING_TO_EXPLAIN = [("", "Nothing to explain: empty text"), ("🎬 !!!", "Nothing to explain: no words to read")]
ODD_TEXTS = [
    ("zzqx qqzv vvzq", "None of these words is in the models' vocabulary"),
    ("a dull film. " * 1500 + "great", None),
    ("brilliant", None),
]


def test_bad_input_gets_a_message_and_odd_texts_an_explanation(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path)
    for text, message in NOTHING_TO_EXPLAIN:
        explain(at, text)
        assert any(message in info for info in texts(at.info)), text
        assert frames_with(at, "delta") == []
    for text, warning in ODD_TEXTS:
        explain(at, text)
        if warning:
            assert any(warning in w for w in texts(at.warning)), text[:20]
        [importance] = frames_with(at, "delta")
        assert len(importance) == min(len(tokenize(text[-MAX_TEXT_CHARS:])), 300)
        if len(tokenize(text)) == 1:
            assert "With a single word, units cannot be sorted by how they follow the output." in texts(at.caption)


def test_the_tab_never_renders_html():
    source = (REPO / "views" / "capabilities.py").read_text(encoding="utf-8")
    assert "unsafe_allow_html" not in source and "st.html" not in source
