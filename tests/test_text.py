"""The text pipeline: what a raw text becomes before any model reads it.

Training, evaluation and the CLI/app all go through ``zoo.text``, so these tests pin
down what a person's text means to every variant.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from zoo.text import (
    MAX_TEXT_CHARS, OOV_INDEX, OOV_TOKEN, PAD_TOKEN, Vocabulary, clip, pad, standardize, tokenize,
)


# --- standardization and words ---------------------------------------------------------


def test_words_are_lower_cased():
    assert tokenize("A GREAT Film, Truly") == ["a", "great", "film", "truly"]


def test_line_breaks_of_imdb_reviews_are_not_words():
    # Every IMDB review separates paragraphs with <br /><br />; "br" must never become a word.
    assert tokenize("It was great.<br /><br />Loved it!") == ["it", "was", "great", "loved", "it"]
    assert "br" not in tokenize("end<br/>start<BR>next<br >last")


def test_other_html_tags_are_stripped_but_their_content_kept():
    assert tokenize('An <i>utterly</i> <a href="x.html">dull</a> film') == ["an", "utterly", "dull", "film"]


def test_html_entities_are_decoded():
    assert standardize("Tom &amp; Jerry") == "tom & jerry"
    assert tokenize("Tom &amp; Jerry &quot;rock&quot;") == ["tom", "jerry", "rock"]


@pytest.mark.parametrize("apostrophe", [
    "'", "\u2019", "\u2018", "`",
    "\u00b4",
    # Written as HTML entities, as scraped reviews often have them: decoded before unifying.
    "&rsquo;", "&#8217;", "&lsquo;", "&acute;", "&#39;",
])
def test_contractions_stay_one_word_whatever_the_apostrophe(apostrophe):
    assert tokenize(f"I don{apostrophe}t like it") == ["i", "don't", "like", "it"]


def test_a_less_than_sign_is_not_the_start_of_a_tag():
    assert tokenize("5 < 6 and 7 > 3") == ["5", "6", "and", "7", "3"]


@pytest.mark.parametrize("text, words", [
    ("a <good> film", ["a", "good", "film"]),
    ("I <3 it", ["i", "3", "it"]),
    ("x<y and y>z", ["x", "y", "and", "y", "z"]),
    # "b" is an element, but "and c" are not attributes (an attribute has a value).
    ("a<b and c>d", ["a", "b", "and", "c", "d"]),
    ("<sigh> fine. <SPOILER>he dies</SPOILER>", ["sigh", "fine", "spoiler", "he", "dies", "spoiler"]),
    ("see <http://example.com/a?b=c>", ["see", "http", "example", "com", "a", "b", "c"]),
])
def test_words_in_angle_brackets_that_are_not_html_tags_are_kept(text, words):
    assert tokenize(text) == words


@pytest.mark.parametrize("text", [
    "great<br />film", "great<br/>film", "great<BR>film", "great<br >film", "great<p>film</p>", "great<hr>film",
    "great<i>film</i>", "great<em>film</em>", '<a href="https://example.com/x?y=1">great</a> film',
    "<font color=red size='2'>great</font> film", '<A HREF="x">great</A>\nfilm', "great&lt;br /&gt;film",
    "great\uff1c\uff42\uff52\uff1efilm",  # full-width <br>, made ASCII by NFKC
])
def test_tags_of_html_elements_are_removed_with_their_attributes(text):
    assert tokenize(text) == ["great", "film"]


def test_quotes_around_a_word_are_not_part_of_it():
    assert tokenize("'quoted' words") == ["quoted", "words"]


def test_punctuation_is_dropped_and_separates_words():
    assert tokenize("Wow!!! Best... film-ever? (10/10); 'yes'") == ["wow", "best", "film", "ever", "10", "10", "yes"]
    assert tokenize("snake_case") == ["snake", "case"]
    assert tokenize("?!.,;:-()[]{}") == []


def test_non_english_letters_are_words():
    assert tokenize("Привет мир") == ["привет", "мир"]
    assert tokenize("naïve café") == ["naïve", "café"]
    assert tokenize("日本語の映画") == ["日本語の映画"]


def test_compatibility_forms_are_normalized():
    # Full-width letters and ligatures read as the plain words they are (NFKC).
    assert tokenize("ＧＲＥＡＴ ﬁlm") == ["great", "film"]


def test_emoji_and_symbols_are_not_words():
    assert tokenize("😀👍 ★★★★★ ♥") == []
    assert tokenize("great 😀 film") == ["great", "film"]


def test_control_characters_separate_words():
    assert tokenize("good\x00film\x1b[31mred\rline\ttab\u200bzero") == [
        "good", "film", "31mred", "line", "tab", "zero",
    ]


def test_the_app_clips_a_text_where_the_pipeline_does():
    from zoo import explain

    assert explain.clip is clip, "one definition, in zoo.text"
    text = "cut " * 10 + "x" * MAX_TEXT_CHARS
    assert clip(text) == "x" * MAX_TEXT_CHARS and tokenize(text) == tokenize(clip(text))


def test_only_the_last_max_text_chars_are_read():
    head = "beginning " * 10
    tail = "x" * (MAX_TEXT_CHARS - 4) + " end"
    assert tokenize(head + tail) == ["x" * (MAX_TEXT_CHARS - 4), "end"]
    # A long text of ordinary words keeps far more than any maxlen in its last characters,
    # so the cut never changes what a model reads.
    words = [f"w{i}" for i in range(200_000)]
    assert tokenize(" ".join(words))[-500:] == words[-500:]


# --- vocabulary --------------------------------------------------------------------------


TEXTS = ["the film was great", "the film was awful", "the plot, the actors: great!", "zebra"]


def test_vocabulary_ranks_words_by_frequency_after_padding_and_oov():
    vocabulary = Vocabulary.learn(TEXTS, num_words=6)
    # counts: the 4, film 2, great 2, was 2, then actors/awful/plot/zebra 1
    assert vocabulary.words == (PAD_TOKEN, OOV_TOKEN, "the", "film", "great", "was")
    assert vocabulary.lookup(["the", "was"]) == [2, 5]
    # Padding is 0, as keras.utils.pad_sequences pads, and an unknown word is 1.
    assert vocabulary.encode(["zebra the"], 4).tolist() == [[0, 0, 1, 2]]


def test_vocabulary_has_exactly_num_words_entries():
    texts = [" ".join(f"word{i}" for i in range(n)) for n in range(1, 200)]
    assert len(Vocabulary.learn(texts, num_words=100)) == 100


def test_vocabulary_ties_are_broken_alphabetically_whatever_the_text_order():
    texts = ["delta charlie", "bravo alpha", "echo"]
    expected = (PAD_TOKEN, OOV_TOKEN, "alpha", "bravo", "charlie")
    for seed in range(5):
        shuffled = texts[:]
        random.Random(seed).shuffle(shuffled)
        assert Vocabulary.learn(shuffled, num_words=5).words == expected


def test_vocabulary_is_learned_from_the_given_texts_only():
    vocabulary = Vocabulary.learn(["good good movie"], num_words=100)
    assert vocabulary.words == (PAD_TOKEN, OOV_TOKEN, "good", "movie")
    assert "bad" not in vocabulary
    assert vocabulary.encode(["bad good"], maxlen=3).tolist() == [[0, OOV_INDEX, 2]]


def test_padding_and_oov_tokens_are_not_known_words():
    vocabulary = Vocabulary.learn(TEXTS, num_words=10)
    assert "the" in vocabulary
    assert PAD_TOKEN not in vocabulary and OOV_TOKEN not in vocabulary


def test_unknown_words_map_to_the_oov_index():
    vocabulary = Vocabulary.learn(TEXTS, num_words=4)  # the, film
    assert vocabulary.lookup(["the", "great", "unseen", "film"]) == [2, OOV_INDEX, OOV_INDEX, 3]


def test_vocabulary_written_and_read_back_is_the_same(tmp_path):
    vocabulary = Vocabulary.learn(TEXTS + ["don't привет 日本語 naïve"], num_words=12)
    vocabulary.write(tmp_path / "vocabulary.txt")
    lines = (tmp_path / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    assert lines[:2] == [PAD_TOKEN, OOV_TOKEN]  # line number = index
    assert Vocabulary.read(tmp_path / "vocabulary.txt") == vocabulary


def test_a_vocabulary_must_start_with_padding_and_oov():
    with pytest.raises(ValueError):
        Vocabulary(("the", "film"))


# --- cutting and padding -----------------------------------------------------------------


@pytest.mark.parametrize("maxlen", [1, 3, 7, 50])
def test_pad_equals_keras_pad_sequences_defaults(maxlen):
    import keras

    rng = random.Random(maxlen)
    sequences = [[], [5], *([rng.randrange(2, 10_000) for _ in range(rng.randrange(0, 80))] for _ in range(40)), []]
    expected = keras.utils.pad_sequences(sequences, maxlen=maxlen)
    got = pad(sequences, maxlen)
    assert got.dtype == np.int32 and got.shape == (len(sequences), maxlen)
    np.testing.assert_array_equal(got, expected)


def test_pad_keeps_the_last_words_and_pads_at_the_front():
    assert pad([[1, 2, 3, 4, 5], [7, 8], []], maxlen=3).tolist() == [[3, 4, 5], [0, 7, 8], [0, 0, 0]]


def test_pad_accepts_numpy_rows():
    np.testing.assert_array_equal(pad([np.arange(2, 9), np.array([], dtype=int)], 4), [[5, 6, 7, 8], [0, 0, 0, 0]])


def test_encode_reads_raw_text_through_the_whole_pipeline():
    vocabulary = Vocabulary.learn(["great film", "great plot"], num_words=10)  # great=2, film=3, plot=4
    x = vocabulary.encode(["A GREAT<br />film!", "", "plot twist great film plot"], maxlen=4)
    assert x.dtype == np.int32
    assert x.tolist() == [[0, OOV_INDEX, 2, 3], [0, 0, 0, 0], [OOV_INDEX, 2, 3, 4]]
