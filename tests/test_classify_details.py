"""Small things a visitor of the Classify tab relies on: emoji said, downloads that keep the text."""

from __future__ import annotations

import io
import json
import re

import pandas as pd

from tests.support.app import classify, open_app, texts


def test_emoji_are_counted_and_said_to_be_ignored(monkeypatch, tiny_zoo_path):
    at = classify(open_app(monkeypatch, tiny_zoo_path), "Great film 🎬🍿 loved it 👍")
    assert "3 emoji and symbols ignored: the models read words only." in texts(at.caption)
    assert "The models knew 4 of the 4 words in your text." in texts(at.caption)


def test_the_downloads_carry_the_text_and_the_zoo_and_keep_accents():
    from views.classify import answer_files

    rows = pd.DataFrame({"variant": ["a", "b"], "P(positive)": [0.9, None]})
    text = "Un film très réussi, « magnifique »"
    csv, payload = answer_files(rows, text, {"kind": "hub", "repo": "owner/zoo", "commit": "abc123"})
    table = pd.read_csv(io.StringIO(csv))
    assert table["text"].tolist() == [text, text]
    assert table["zoo"].tolist() == ["kind hub, repo owner/zoo, commit abc123"] * 2
    assert table["says"].tolist() == ["positive", "error"]
    assert "très réussi, « magnifique »" in payload  # UTF-8, not \u escapes
    assert json.loads(payload)["zoo"]["commit"] == "abc123"


def test_a_negated_text_points_to_the_negation_probes_with_a_link_that_carries_it(monkeypatch, tiny_zoo_path):
    from urllib.parse import parse_qs

    text = "Not bad at all."
    at = classify(open_app(monkeypatch, tiny_zoo_path), text)
    [pointer] = [c for c in texts(at.caption) if "negation probes" in c]
    query = parse_qs(re.search(r"\]\(\?([^)]*)\)", pointer).group(1))
    assert query == {"tab": ["What they can do"], "text": [text]}
    at = classify(at, "A wonderful film.")
    assert not [c for c in texts(at.caption) if "negation probes" in c]


def test_only_a_negated_good_or_bad_points_to_the_probes(monkeypatch):
    import views.classify as classify_view

    shown = []
    monkeypatch.setattr(classify_view.st, "caption", shown.append)
    for text, pointed in [("It wasn't good at all.", True), ("I could not blame him, a great film.", False),
                          ("Never bad, always fun.", True), ("Good, not great.", False)]:
        shown.clear()
        classify_view.negation_pointer(text, {"a": 0.3, "b": 0.8})
        assert bool(shown) == pointed, text
