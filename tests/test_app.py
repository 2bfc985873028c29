"""The Streamlit app, section by section, driven through ``streamlit.testing.v1.AppTest``.

Each test opens the app on the tiny zoo (via ``ZOO_SOURCE``) and checks what a visitor
would read on the page against what the ``zoo`` library itself computes.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from streamlit.testing.v1 import AppTest

import zoo
from tests.support.corpus import TINY_VARIANTS
from tests.support.app import APP, chart_data, charts, classify, open_app, review_box, serve, texts, title_of
from views.classify import MAX_LINK_CHARS, MAX_REVIEW_CHARS, SAYS
from zoo.explain import words_seen
from zoo.notices import SHORT_TEXT_WORDS
from zoo.seed import SEED_HISTORY, SEED_NAME
from zoo.text import tokenize

REVIEW = "A wonderful, moving film with brilliant actors. I loved the story, the best I have seen!"


@pytest.fixture(scope="module")
def reference(tiny_zoo_path) -> zoo.Zoo:
    """The ``zoo`` library's own answers on the tiny zoo: what the page must show. One ``Zoo`` for
    the module, opened apart from the app's, so that its models load and compile once."""
    return zoo.open_zoo(tiny_zoo_path)


@pytest.fixture(autouse=True)
def the_app_serves_the_warm_zoo(request, monkeypatch):
    """A test on ``tiny_zoo_path`` meets the app on a warm server (``warm_zoo``): its pages do not
    load and compile every model again (seconds per test, and compiling that ran on into the next
    tests). Every such test meets the same state, whatever ran before it.

    The cold path stays tested: a test on another folder (``tiny_zoo_copy``: *Reload the zoo*, a
    broken variant) opens its zoo as a fresh server does, and ``test_prepared_variants_...`` checks
    the warm-up's steps."""
    if "tiny_zoo_path" in request.fixturenames:
        serve(monkeypatch, request.getfixturevalue("tiny_zoo_path"), request.getfixturevalue("warm_zoo"))


# ---------------------------------------------------------------- classify


def test_a_typed_review_gets_one_answer_per_variant_equal_to_the_zoos(monkeypatch, tiny_zoo_path, reference):
    at = classify(open_app(monkeypatch, tiny_zoo_path), REVIEW)
    expected = {vid: float(p[0]) for vid, p in reference.classify([REVIEW]).items()}

    shown = at.table[0].value
    assert shown["variant"].tolist() == list(TINY_VARIANTS)
    for row in shown.itertuples():
        assert row[2] == pytest.approx(expected[row.variant], abs=1e-6)
        assert row.says == SAYS["positive" if expected[row.variant] > 0.5 else "negative"]

    bars = chart_data(at, field="P(positive)").dropna(subset=["variant"])  # without the 0.5 rule's data
    assert dict(zip(bars["variant"], bars["P(positive)"])) == pytest.approx(expected, abs=1e-6)
    assert set(bars["middle"]) == {0.5}  # each bar runs from 0.5 to its probability: P = 0 is a full bar
    positive = sum(p > 0.5 for p in expected.values())
    assert f"{positive} of {len(TINY_VARIANTS)} variants say positive" in texts(at.subheader)



def test_after_reload_the_zoo_answers_again_with_the_same_numbers(monkeypatch, tiny_zoo_copy):
    """*Reload the zoo* drops the cached zoo and its warm-up, and the page answers from the new one
    (on a zoo of its own: loaded and compiled as on a fresh server, twice)."""
    at = classify(open_app(monkeypatch, tiny_zoo_copy, admin=True), REVIEW)
    before = at.table[0].value
    reload = at.sidebar.button[0]
    assert reload.label == "Reload the zoo"
    reload.click()
    at.run()
    assert not at.exception, at.exception
    at = classify(at, REVIEW + " Again.")
    at = classify(at, REVIEW)
    after = at.table[0].value
    assert after["variant"].tolist() == before["variant"].tolist() == list(TINY_VARIANTS)
    assert after.iloc[:, 1].tolist() == pytest.approx(before.iloc[:, 1].tolist(), abs=1e-6)

def test_what_the_model_sees_lists_known_words_and_what_each_maxlen_cuts(monkeypatch, tiny_zoo_path, reference):
    review = " ".join(["zorblax"] * 20 + ["great", "film"] * 65)  # 150 words, the first 20 unknown
    at = classify(open_app(monkeypatch, tiny_zoo_path), review)
    seen = words_seen(review, reference.vocabulary(TINY_VARIANTS[0]))
    assert seen.known_count == 130

    assert f"The models knew 130 of the 150 words in your text." in texts(at.caption)
    words = next(m for m in texts(at.markdown) if "zorblax" in m)
    assert words.count(":orange-background[zorblax ?]") == 20
    assert ":blue-background[▸ maxlen 100]" in words  # maxlen 100 starts at word 51; 300 reads everything

    cuts = at.dataframe[0].value.set_index("maxlen")
    assert cuts.loc[100, "words read"] == 100 and cuts.loc[100, "words cut away"] == 50
    assert cuts.loc[300, "words read"] == 150 and cuts.loc[300, "words cut away"] == 0
    assert cuts.loc[100, "it never sees"].startswith("zorblax zorblax")


def test_sentiment_as_it_reads_has_a_point_per_word_ending_at_the_answer(monkeypatch, tiny_zoo_path, reference):
    review = " ".join(["the", "film", "was", "boring", "and", "awful", "but", "the", "end", "was", "brilliant"] * 12)
    at = open_app(monkeypatch, tiny_zoo_path)
    at.multiselect(key="variants").set_value(list(TINY_VARIANTS))
    classify(at, review)
    answers = reference.classify([review])
    n_words = len(tokenize(review))  # 132: the len100 variants read only the last 100

    curves = chart_data(at, field="p_positive")
    for vid in TINY_VARIANTS:
        curve = curves[curves["variant"] == vid].sort_values("position")
        read = min(n_words, reference.artifact(vid).spec.maxlen)
        assert curve["position"].tolist() == list(range(n_words - read + 1, n_words + 1))
        assert curve["word"].tolist() == tokenize(review)[-read:]
        assert curve["p_positive"].iloc[-1] == pytest.approx(float(answers[vid][0]), abs=1e-5)


# ---------------------------------------------------------------- compare training


def test_history_charts_hold_every_epoch_of_every_chosen_variant(monkeypatch, tiny_zoo_path, reference):
    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training")
    at.multiselect(key="compared_variants").set_value(list(TINY_VARIANTS)).run()
    assert not at.exception

    for title, metric in (("Loss", "loss"), ("Accuracy", "accuracy")):
        data = chart_data(at, title=title)
        for vid in TINY_VARIANTS:
            history = reference.artifact(vid).history
            for split, key in (("training", metric), ("validation", f"val_{metric}")):
                rows = data[(data["variant"] == vid) & (data["split"] == split)].sort_values("epoch")
                assert rows["epoch"].tolist() == list(range(1, len(history[key]) + 1))
                assert rows["value"].tolist() == pytest.approx(history[key])
            best = data[(data["variant"] == vid) & data["best"]]
            assert best["epoch"].tolist() == [reference.artifact(vid).metadata["best_epoch"]]
        seed = data[(data["variant"] == SEED_NAME) & (data["split"] == "validation")].sort_values("epoch")
        assert seed["value"].tolist() == SEED_HISTORY[f"val_{metric}"]
        spec = next(spec for spec, _ in charts(at) if title_of(spec) == title)
        assert "training" in spec["title"]["subtitle"] and "validation" in spec["title"]["subtitle"]
        assert [p["select"]["nearest"] for p in spec["params"]] == [True]  # TensorBoard-like: the nearest epoch
        hover = [layer for layer in spec["layer"] if "condition" in layer["encoding"].get("opacity", {})]
        listed = {t.get("title") for t in hover[0]["encoding"]["tooltip"]}  # the rule lists every line there
        assert {f"{vid} · {split}" for vid in TINY_VARIANTS for split in ("training", "validation")} <= listed


def test_the_seed_overlay_can_be_switched_off(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training")
    at.toggle(key="seed_overlay").set_value(False).run()
    assert SEED_NAME not in set(chart_data(at, title="Loss")["variant"])


def test_depth_by_maxlen_grid_and_seconds_per_epoch_come_from_the_metadata(monkeypatch, tiny_zoo_path, reference):
    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training")
    grid = chart_data(at, field="test_accuracy").drop_duplicates("id").set_index("id")
    assert set(grid.index) == {"simplernn-1x32-len100", "simplernn-2x32-len100"}  # SimpleRNN, seed recipe
    for vid in grid.index:
        assert grid.loc[vid, "test_accuracy"] == reference.artifact(vid).metadata["test_accuracy"]
    timing = chart_data(at, field="seconds_per_epoch").set_index("id")
    assert {vid: timing.loc[vid, "seconds_per_epoch"] for vid in TINY_VARIANTS} == {
        vid: reference.artifact(vid).metadata["seconds_per_epoch"] for vid in TINY_VARIANTS
    }


# ---------------------------------------------------------------- zoo and architecture


def test_zoo_table_model_card_and_provenance(monkeypatch, tiny_zoo_path, reference):
    at = open_app(monkeypatch, tiny_zoo_path, tab="Zoo")
    table = next(d.value for d in at.dataframe if "test_accuracy" in d.value.columns).set_index("id")
    assert table.index.tolist() == list(TINY_VARIANTS)
    for vid in TINY_VARIANTS:
        assert table.loc[vid, "test_accuracy"] == reference.artifact(vid).metadata["test_accuracy"]
        assert table.loc[vid, "params"] == reference.artifact(vid).metadata["params"]

    shown = next(d for d in at.dataframe if "test_accuracy" in d.value.columns)
    assert "units" not in shown.proto.column_order  # the same for every variant: said once above the table
    at.selectbox(key="card_variant").set_value(TINY_VARIANTS[1]).run()
    assert any(m.startswith(f"### {TINY_VARIANTS[1]}") for m in texts(at.markdown))
    provenance = next(t.value for t in at.main.table)
    assert provenance.loc["zoo kind"].iloc[0] == "local"
    assert provenance.loc["dataset fingerprint"].iloc[0] == reference.artifact(TINY_VARIANTS[1]).metadata["data"]["fingerprint"]
    assert not any(str(tiny_zoo_path) in str(v) for v in provenance.iloc[:, 0])  # no server path
    origin = at.sidebar.table[0].value
    assert origin.loc["kind"].iloc[0] == "local"


def test_architecture_lists_layers_like_model_summary(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path, tab="Architecture")
    at.selectbox(key="architecture_variant").set_value("simplernn-2x32-len100").run()
    layers = next(t.value for t in at.table if "Layer (type)" in t.value.columns and "simplernn_1" in t.value.to_string())
    assert layers["Layer (type)"].tolist() == [
        "embedding (Embedding)", "simplernn_1 (SimpleRNN)", "simplernn_2 (SimpleRNN)", "positive (Dense)",
    ]
    assert layers["Output Shape"].tolist() == ["(None, None, 32)", "(None, None, 32)", "(None, 32)", "(None, 1)"]
    assert layers["Param #"].tolist() == [320_000, 2_080, 2_080, 33]
    assert "324,193" in [m.value for m in at.metric]


def test_architecture_draws_the_recurrence_and_counts_every_cell_as_keras_does(monkeypatch, tiny_zoo_path):
    import keras

    at = open_app(monkeypatch, tiny_zoo_path, tab="Architecture")
    at.selectbox(key="architecture_variant").set_value("simplernn-2x32-len100").run()
    assert not at.exception, at.exception
    picture = base64.b64decode(at.get("image")[0].proto.imgs[0].url.split(",", 1)[1]).decode()
    assert picture.startswith("<svg") and picture.count(">SimpleRNN</text>") == 2 * 3  # 2 layers × 3 words
    cells = next(t.value for t in at.table if "arithmetic" in t.value.columns)
    # What Keras 3 itself counts for each cell reading 32 numbers into 32 units (its GRU: reset_after=True).
    counted = {}
    for cell in (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM):
        layer = cell(32)
        layer.build((None, None, 32))
        counted[cell.__name__] = layer.count_params()
    assert counted == {"SimpleRNN": 2_080, "GRU": 6_336, "LSTM": 8_320}
    assert dict(zip(cells["cell"], cells["parameters"])) == counted
    assert cells["arithmetic"].tolist() == [
        "1 × 32 × (32 inputs + 32 state + 1 bias)", "3 × 32 × (32 inputs + 32 state + 2 biases)",
        "4 × 32 × (32 inputs + 32 state + 1 bias)",
    ]
    assert cells.set_index("cell").loc["SimpleRNN", ""] == "◀ this variant"
    assert "Keras counts, for simplernn-2x32-len100: `simplernn_1` 2,080, `simplernn_2` 2,080." in texts(at.caption)


# ---------------------------------------------------------------- what a visitor can throw at it


@pytest.fixture
def model_calls(monkeypatch) -> list:
    """Records every ``Zoo.classify`` call the app makes."""
    calls = []
    original = zoo.Zoo.classify

    def counting(self, texts, variant_ids=None):
        calls.append(list(texts))
        return original(self, texts, variant_ids)

    monkeypatch.setattr(zoo.Zoo, "classify", counting)
    return calls


@pytest.mark.parametrize("text, why", [("", "empty text"), ("   \n\t  ", "empty text"), ("🎬🍿 !!! ...", "no words to read")])
def test_empty_input_gives_a_hint_and_no_model_call(monkeypatch, tiny_zoo_path, model_calls, text, why):
    at = open_app(monkeypatch, tiny_zoo_path)
    model_calls.clear()
    classify(at, text)
    assert any(why in message and "Type a review" in message for message in texts(at.info))
    assert model_calls == []
    assert not any("say positive" in s for s in texts(at.subheader))


def test_a_text_longer_than_the_box_is_cut_to_its_max_chars_with_a_notice(monkeypatch, tiny_zoo_path, reference):
    book = "It was a dull and boring evening. " * 1000 + "But the ending was brilliant and I loved it."
    assert len(book) > MAX_REVIEW_CHARS
    at = open_app(monkeypatch, tiny_zoo_path)
    assert review_box(at).max_chars == MAX_REVIEW_CHARS
    review_box(at).set_value(book)  # what the browser would not let through: a message sent by other means
    at.button(key="classify_button").click()
    at.run()
    assert any(f"fills the box's {MAX_REVIEW_CHARS:,} characters: anything beyond was cut" in w for w in texts(at.warning))
    expected = reference.classify([book[:MAX_REVIEW_CHARS]])
    shown = at.table[0].value.set_index("variant")
    for vid in TINY_VARIANTS:
        assert shown.loc[vid].iloc[0] == pytest.approx(float(expected[vid][0]), abs=1e-6)
    # The page's link carries a safe length of it, and says so.
    linked = at.query_params["text"]
    linked = linked if isinstance(linked, str) else linked[0]
    assert book.startswith(linked) and len(quote(linked, safe="")) <= MAX_LINK_CHARS
    assert any(f"link carries the first {len(linked):,} of your {MAX_REVIEW_CHARS:,} characters" in c
               for c in texts(at.caption))


def test_a_link_with_a_long_text_and_unknown_variants_opens_with_notices(monkeypatch, tiny_zoo_path):
    long_text = "A wonderful film. " * 1500
    at = open_app(monkeypatch, tiny_zoo_path, text=long_text,
                  variants=[TINY_VARIANTS[1], "lstm-9x99-len1", "../../etc/passwd"])
    notices = " ".join(texts(at.info))
    assert f"The link's text has {len(long_text):,} characters; the box takes the first {MAX_REVIEW_CHARS:,}" in notices
    assert "`lstm-9x99-len1`, `../../etc/passwd`, which this zoo cannot show: they were left out" in notices
    assert review_box(at).value == long_text[:MAX_REVIEW_CHARS]
    assert at.multiselect(key="variants").value == [TINY_VARIANTS[1]]
    # The visitor's own next text ends the link's notices.
    at = classify(at, REVIEW)
    assert "cannot show" not in " ".join(texts(at.info))


def test_an_unknown_tab_in_a_link_opens_the_first_tab(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path, tab="Admin panel")
    assert "Classify a review" in texts(at.header)


def test_mostly_unknown_words_get_an_answer_and_a_known_word_count(monkeypatch, tiny_zoo_path):
    at = classify(open_app(monkeypatch, tiny_zoo_path), "Der Streifen war wunderbar, ganz großartig! great")
    assert len(at.table[0].value) == len(TINY_VARIANTS)
    assert any("knew only 1 of 7 words" in w for w in texts(at.warning))


def test_html_script_and_markdown_are_never_rendered(monkeypatch, tiny_zoo_path):
    attack = '<script>alert("boo")</script><img src=x onerror=alert(1)> **great** [click](http://example.com) # film'
    at = classify(open_app(monkeypatch, tiny_zoo_path), attack)
    assert len(at.table[0].value) == len(TINY_VARIANTS)
    for element in at.markdown:
        assert not element.proto.allow_html
    rendered = texts(at.markdown) + texts(at.caption) + texts(at.subheader) + texts(at.warning) + texts(at.info)
    for fragment in ("<script", "<img", "**great**", "](http", "# film"):
        assert not any(fragment in r for r in rendered), fragment
    words = next(m for m in texts(at.markdown) if "click" in m)
    assert "great" in words and "alert" in words  # the words are read, as plain words


def test_a_broken_variant_shows_an_error_and_the_rest_answer(monkeypatch, tiny_zoo_copy):
    broken = "simplernn-2x32-len100"
    model = tiny_zoo_copy / broken / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])

    at = classify(open_app(monkeypatch, tiny_zoo_copy), REVIEW)
    assert any(broken in e and "could not answer" in e for e in texts(at.error))
    expected = zoo.open_zoo(tiny_zoo_copy).classify([REVIEW])
    shown = at.table[0].value.set_index("variant")
    assert shown.loc[broken, "says"] == "error"
    for vid in TINY_VARIANTS:
        if vid != broken:
            assert shown.loc[vid].iloc[0] == pytest.approx(float(expected[vid][0]), abs=1e-6)
    assert f"{sum(float(expected[v][0]) > 0.5 for v in TINY_VARIANTS if v != broken)} of 2 variants say positive" in texts(at.subheader)


def test_a_source_that_cannot_be_opened_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_SOURCE", str(tmp_path / "no-such-zoo"))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("no zoo folder" in e for e in texts(at.sidebar.error))


# ---------------------------------------------------------------- the lesson on the page


def test_a_short_text_comes_with_each_variants_measured_short_text_accuracy(monkeypatch, tiny_zoo_path, reference):
    at = classify(open_app(monkeypatch, tiny_zoo_path), "Terrible.")
    assert any("short text" in w.lower() for w in texts(at.warning))
    notice = " ".join(texts(at.expander[0].markdown))  # the details, folded under the two-line notice
    assert "one word" in notice and "padding" in notice
    firsts = [reference.artifact(v).metadata["short_text_accuracy"]["first_sentence"] for v in TINY_VARIANTS]
    assert f"{min(firsts):.0%} to {max(firsts):.0%}" in notice
    shown = at.table[0].value.set_index("variant")
    for vid in TINY_VARIANTS:
        measured = reference.artifact(vid).metadata["short_text_accuracy"]
        assert shown.loc[vid, "right on short texts"] == f"{measured['first_sentence']:.0%} / {measured['last_sentence']:.0%}"
        assert shown.loc[vid, "padding read first"] == reference.artifact(vid).spec.maxlen - 1
    assert "The models knew your one word." in texts(at.caption)


def test_a_long_text_gets_no_short_text_notice(monkeypatch, tiny_zoo_path):
    at = classify(open_app(monkeypatch, tiny_zoo_path), " ".join(["great film"] * SHORT_TEXT_WORDS))
    assert not any("short text" in w.lower() for w in texts(at.warning))
    assert "right on short texts" not in at.table[0].value.columns


def test_the_reading_chart_is_labelled_with_the_words_and_integer_positions(monkeypatch, tiny_zoo_path):
    at = classify(open_app(monkeypatch, tiny_zoo_path), "Boring start but a brilliant end")
    spec = next(spec for spec, _ in charts(at) if '"p_positive"' in json.dumps(spec))
    x = next(layer for layer in spec["layer"] if layer.get("encoding", {}).get("y", {}).get("field") == "p_positive")["encoding"]["x"]
    words = tokenize("Boring start but a brilliant end")
    assert x["type"] == "ordinal"  # one point per word: no fractional ticks
    # every word labelled, after the padding the variants read first (a short text)
    assert x["axis"]["values"] == ["padding·0"] + [f"{w}·{i}" for i, w in enumerate(words, start=1)]

    long = " ".join(["the plot was dull"] * 50)  # 200 words: about a dozen ticks, each a word and its position
    at = classify(at, long)
    spec = next(spec for spec, _ in charts(at) if '"p_positive"' in json.dumps(spec))
    ticks = spec["layer"][0]["encoding"]["x"]["axis"]["values"]
    assert ticks[0] == "the·1" and ticks[1] == "dull·20" and 5 <= len(ticks) <= 13


def test_an_example_pick_fills_the_box_and_a_typed_review_clears_the_pick(monkeypatch, tiny_zoo_path):
    from zoo.examples import DEFAULT_EXAMPLE, EXAMPLES

    at = open_app(monkeypatch, tiny_zoo_path)
    assert at.button_group[0].value == DEFAULT_EXAMPLE  # the default text's pill is shown as picked
    at.button_group[0].set_value("Clearly negative")
    at.run()
    assert review_box(at).value == EXAMPLES["Clearly negative"] and at.button_group[0].value == "Clearly negative"
    classify(at, "My own words about a film.")
    assert at.button_group[0].value is None and review_box(at).value == "My own words about a film."
    classify(at, EXAMPLES["Clearly negative"])  # an example typed in full is that example
    assert at.button_group[0].value == "Clearly negative"


def test_a_typed_review_survives_the_stale_rerun_its_classify_click_sends(monkeypatch, tiny_zoo_path, reference):
    """Typing a review and pressing Classify sends two reruns: the box's edit, then the click,
    sent before the first answered, so with the example pill as the browser still draws it
    (picked). That stale pick once read as a new pick and put the example back into the box
    (seen in Chromium: three visitors on a fresh server). Here the second rerun is sent as the
    browser sends it: every widget as drawn on the first page, the box holding the typed text
    (an element's public ``run()`` reruns the script with the widgets of the page it was drawn on)."""
    from zoo.examples import DEFAULT_EXAMPLE

    at = open_app(monkeypatch, tiny_zoo_path)
    text = "A dull, boring film that I hated."
    first_box, first_pills = review_box(at), at.button_group[0]
    assert first_pills.value == DEFAULT_EXAMPLE
    classify(at, text)
    first_pills.set_value(DEFAULT_EXAMPLE)  # still drawn picked: the browser has not seen the answer yet
    at = first_box.input(text).run()
    assert not at.exception, at.exception
    assert review_box(at).value == text
    expected = reference.classify([text])
    shown = at.table[0].value.set_index("variant")
    # The table shows 6 decimals; the app's pass and this one may differ in the 7th (compiled or not).
    assert [shown.loc[vid, "P(positive)"] for vid in TINY_VARIANTS] == \
        pytest.approx([float(expected[vid][0]) for vid in TINY_VARIANTS], abs=2e-6)


def test_a_shared_link_opens_its_text_variants_and_tab_and_classifies_it(monkeypatch, tiny_zoo_path, reference):
    text = "A dull, boring film that I hated."
    at = open_app(monkeypatch, tiny_zoo_path, text=text, variants=TINY_VARIANTS[1])
    assert review_box(at).value == text
    expected = reference.classify([text])
    shown = at.table[0].value.set_index("variant")
    for vid in TINY_VARIANTS:
        assert shown.loc[vid, "P(positive)"] == pytest.approx(float(expected[vid][0]), abs=1e-6)
    assert set(chart_data(at, field="p_positive")["variant"].dropna()) == {TINY_VARIANTS[1]}

    at = classify(at, "Loved it, a wonderful film.")
    assert at.query_params["text"] in ("Loved it, a wonderful film.", ["Loved it, a wonderful film."])  # the page's link now opens this text

    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training")
    assert chart_data(at, title="Loss") is not None and not at.text_area


def test_answers_and_histories_can_be_downloaded(monkeypatch, tiny_zoo_path):
    at = classify(open_app(monkeypatch, tiny_zoo_path), REVIEW)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Answers (CSV)", "Answers (JSON)"]
    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training")
    assert [b.proto.label for b in at.get("download_button")] == ["Histories (CSV)"]


def test_out_of_vocabulary_counts_use_each_variants_own_vocabulary(monkeypatch, tiny_zoo_path):
    at = classify(open_app(monkeypatch, tiny_zoo_path), "great film zorblax")
    assert "The models knew 2 of the 3 words in your text." in texts(at.caption)  # one vocabulary: one count


# ---------------------------------------------------------------- colours


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_are_distinct_readable_and_have_one_meaning_each():
    import colorsys

    from views import colors
    from zoo.catalog import CATALOG

    white = "#ffffff"
    assert contrast("#000000", white) == pytest.approx(21)
    palette = {spec.id: colors.variant_color(spec.id) for spec in CATALOG}  # every catalogue member, bundled or not
    assert len(set(palette.values())) == len(palette) == len(CATALOG) >= 15
    assert not {colors.POSITIVE, colors.NEGATIVE, colors.SEED_COLOR} & set(palette.values())
    for color in (*palette.values(), colors.POSITIVE, colors.NEGATIVE, colors.TEXT, colors.NEUTRAL):
        assert contrast(color, white) >= 4.5, color  # text, and white chip text on it
    assert contrast(colors.SEED_COLOR, white) >= 3  # a line
    for background in (colors.UNKNOWN_WORD, *colors.HEAT):  # dark text on tints and heatmap cells
        assert contrast(colors.TEXT, background) >= 4.5, background
    assert contrast(colors.UNKNOWN_WORD, white) >= 1.5  # the tint itself can be seen

    def rgb(color):
        return [int(color[i:i + 2], 16) for i in (1, 3, 5)]

    def hue(color):
        return colorsys.rgb_to_hls(*(c / 255 for c in rgb(color)))[0] * 360

    ids = list(palette)
    for i, a in enumerate(ids):  # any two variants can be told apart
        for b in ids[i + 1:]:
            assert sum((x - y) ** 2 for x, y in zip(rgb(palette[a]), rgb(palette[b]))) ** 0.5 >= 30, (a, b)
    verdict_hues = (hue(colors.POSITIVE), hue(colors.NEGATIVE))
    for vid, color in palette.items():  # no variant looks like a verdict
        if len(set(rgb(color))) > 1:
            assert min(min(abs(hue(color) - v), 360 - abs(hue(color) - v)) for v in verdict_hues) >= 20, vid
    # One colour per variant whatever else is chosen; legends in the catalogue's order.
    assert colors.variant_scale(["lstm-1x32-len500", "simplernn-1x32-len500"]).to_dict() == {
        "domain": ["simplernn-1x32-len500", "lstm-1x32-len500"],
        "range": [palette["simplernn-1x32-len500"], palette["lstm-1x32-len500"]]}
    assert colors.variant_scale(["lstm-1x32-len500"]).to_dict()["range"] == [palette["lstm-1x32-len500"]]
    # Family shades: the same cell and depth keep a hue, a longer maxlen is darker.
    assert abs(hue(palette["simplernn-4x32-len100"]) - hue(palette["simplernn-4x32-len500"])) < 3
    assert contrast(palette["simplernn-4x32-len500"], white) > contrast(palette["simplernn-4x32-len100"], white) + 2
    assert colors.UNIT_SCHEME not in ("blueorange", "redblue", "blues", "reds")


def test_streamlit_theme_uses_the_unknown_word_colour():
    import tomllib

    from views.colors import UNKNOWN_WORD

    theme = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["orangeBackgroundColor"] == UNKNOWN_WORD


# ---------------------------------------------------------------- cold start


def test_prepared_variants_answer_before_compiling_with_the_same_numbers(tiny_zoo_path):
    """``Zoo.prepare`` (what the page waits for) answers through the plain graph pass; after
    ``warm_up`` the compiled pass gives the same probabilities."""
    z = zoo.open_zoo(tiny_zoo_path)
    ready = []
    z.prepare(ready=ready.append)
    assert ready == list(TINY_VARIANTS)
    assert not any(z.compiled(vid) for vid in TINY_VARIANTS)
    plain = z.classify([REVIEW])
    z.warm_up()
    assert all(z.compiled(vid) for vid in TINY_VARIANTS)
    compiled = z.classify([REVIEW])
    for vid in TINY_VARIANTS:
        assert float(plain[vid][0]) == pytest.approx(float(compiled[vid][0]), abs=1e-5)


def test_the_long_examples_reading_chart_marks_where_its_curves_part():
    """On the bundled zoo, the default followed variants read the long example: the chart's dashed
    rule stands at the first word after which their P(positive) differ by 0.5 or more."""
    from views.classify import PART_SPREAD, reading_chart, word_tick
    from zoo.examples import EXAMPLES
    from zoo.explain import read_along

    z = zoo.open_zoo()
    text = EXAMPLES["Long review: bad, plain, glowing"]
    variants = ["simplernn-1x32-len500", "simplernn-4x32-len500", "lstm-1x32-len500"]
    curves = {vid: read_along(z, vid, text) for vid in variants}
    parted = next(i for i in range(len(curves[variants[0]].probabilities))
                  if max(c.probabilities[i] for c in curves.values()) - min(c.probabilities[i] for c in curves.values())
                  >= PART_SPREAD)
    position = int(curves[variants[0]].positions[parted])
    import pandas as pd

    frame = pd.concat(pd.DataFrame({"variant": vid, "position": c.positions, "word": c.words, "p_positive": c.probabilities,
                                    "padding": c.padding, "after_padding": c.after_padding}) for vid, c in curves.items())
    spec = json.dumps(reading_chart(frame, variants, tokenize(text)).to_dict())
    assert f"they part here (word {position})" in spec
    assert json.dumps(word_tick(position, tokenize(text)[position - 1])) in spec
    assert 1 < position < len(tokenize(text))  # they start together and part on the way
