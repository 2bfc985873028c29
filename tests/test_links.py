"""The URL is the lesson: every tab opened from a link shows the link's text and choices.

Driven through ``AppTest`` on the tiny zoo, like ``tests/test_app.py``: each link is the one a
teacher would send, and the page it opens is checked widget by widget and chart by chart.
"""

from __future__ import annotations

import pytest

from tests.support.corpus import TINY_VARIANTS
from tests.support.app import chart_data, open_app, review_box, texts

TEXT = "Not bad at all, the ending was wonderful."
ONE, TWO, TUNED = TINY_VARIANTS


def widget(elements, key: str):
    return next(element for element in elements if element.key == key)


def test_a_link_opens_classify_with_its_text_and_followed_variants(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path, text=TEXT, variants=[TWO, TUNED])
    assert review_box(at).value == TEXT
    assert widget(at.multiselect, "variants").value == [TWO, TUNED]
    assert set(chart_data(at, field="p_positive")["variant"].dropna()) == {TWO, TUNED}


def test_a_link_opens_what_they_can_do_on_its_text_and_every_choice(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path, text=TEXT, tab="What they can do", span_variants=[TUNED],
                  importance_variants=[ONE, TWO], states_variant=TWO, states_layer="layer 2: output")
    assert not at.text_area  # only the open tab is drawn
    assert TEXT in [str(t.value) for t in at.text]  # the link's text, not the default example
    assert widget(at.multiselect, "span_variants").value == [TUNED]
    assert set(chart_data(at, field="separation")["variant"]) == {TUNED}
    assert widget(at.multiselect, "importance_variants").value == [ONE, TWO]
    assert widget(at.selectbox, "states_variant").value == TWO
    assert widget(at.selectbox, "states_layer").value == "layer 2"


def test_a_link_opens_compare_training_with_its_variants_and_no_seed_line(monkeypatch, tiny_zoo_path):
    from zoo.seed import SEED_NAME

    at = open_app(monkeypatch, tiny_zoo_path, tab="Compare training", compared_variants=[TUNED], seed_overlay="false")
    assert widget(at.multiselect, "compared_variants").value == [TUNED]
    assert widget(at.toggle, "seed_overlay").value is False
    assert set(chart_data(at, title="Loss")["variant"].dropna()) == {TUNED}
    assert SEED_NAME not in set(chart_data(at, title="Loss")["variant"].dropna())


@pytest.mark.parametrize(("tab", "query", "key", "expected"), [
    ("Zoo", {"card_variant": TWO, "all_columns": "true"}, "card_variant", TWO),
    ("Architecture", {"architecture_variant": ONE}, "architecture_variant", ONE),
])
def test_a_link_opens_the_zoo_and_architecture_tabs_on_its_variant(monkeypatch, tiny_zoo_path, tab, query, key, expected):
    at = open_app(monkeypatch, tiny_zoo_path, tab=tab, **query)
    assert widget(at.selectbox, key).value == expected
    if tab == "Zoo":
        assert widget(at.toggle, "all_columns").value is True
        assert any(TWO in caption for caption in texts(at.markdown) + texts(at.caption) + texts(at.subheader))


def test_a_text_submitted_in_classify_is_the_text_what_they_can_do_explains(monkeypatch, tiny_zoo_path):
    at = open_app(monkeypatch, tiny_zoo_path)
    review_box(at).input(TEXT)
    at.button(key="classify_button").click()
    at.run()
    assert at.query_params["text"] in (TEXT, [TEXT])
    at.query_params["tab"] = "What they can do"
    at.run()
    assert TEXT in [str(t.value) for t in at.text]


def test_a_projector_link_opens_the_page_with_large_text(monkeypatch, tiny_zoo_path):
    from views.widgets import LARGE_TEXT

    at = open_app(monkeypatch, tiny_zoo_path, projector="true")
    assert widget(at.sidebar.toggle, "projector").value is True
    assert any(f"font-size: {LARGE_TEXT * 100:.0f}%" in str(h.proto.body) for h in at.get("html"))
    at = open_app(monkeypatch, tiny_zoo_path)
    assert not any("font-size" in str(h.proto.body) for h in at.get("html"))
