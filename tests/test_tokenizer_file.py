"""``tokenizer.json``: the text pipeline for the Hugging Face ``tokenizers`` library, which must
give the ids ``zoo.text`` gives, on the project's own test strings and on every IMDB review.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from tests.support.corpus import REPO, TINY_VARIANTS
from training import refresh
from zoo import tokenizer_file
from zoo.artifact import CARD_FILE, TOKENIZER_FILE, VOCABULARY_FILE, write_json
from zoo.imdb import IMDB_ENV
from zoo.store import BUNDLED_ZOO, open_zoo
from zoo.text import Vocabulary, tokenize
from zoo.verify import verify_zoo

IMDB_DATA = os.environ.get(IMDB_ENV)

#: The project's test strings: markup, entities, apostrophes, curly quotes, accents, scripts,
#: compatibility forms, emoji, control characters, and words in angle brackets.
TEXTS = [
    "A GREAT Film, Truly", "It was great.<br /><br />Loved it!", "end<br/>start<BR>next<br >last",
    'An <i>utterly</i> <a href="x.html">dull</a> film', "Tom &amp; Jerry &quot;rock&quot;",
    *(f"I don{a}t like it" for a in ["'", "\u2019", "\u2018", "`", "\u00b4", "&rsquo;", "&#8217;", "&lsquo;",
                                     "&acute;", "&#39;", "&#x27;", "&#0039;", "&apos;"]),
    "5 < 6 and 7 > 3", "'quoted' words", "Wow!!! Best... film-ever? (10/10); 'yes'", "snake_case", "?!.,;:-()[]{}",
    "Привет мир", "naïve café", "日本語の映画", "ＧＲＥＡＴ ﬁlm", "😀👍 ★★★★★ ♥", "great 😀 film",
    "good\x00film\x1b[31mred\rline\ttab\u200bzero", "a <good> film", "I <3 it", "x<y and y>z", "a<b and c>d",
    "<sigh> fine. <SPOILER>he dies</SPOILER>", "see <http://example.com/a?b=c>", "<font color=red size='2'>big</font>",
    '<A HREF="x">great</A>\nfilm', "great&lt;br /&gt;film", "great\uff1c\uff42\uff52\uff1efilm",
    "caf&eacute; &Eacute;T&Eacute; &#233;t&#xE9; na&iuml;ve", "&copy;2010 Brand&trade; &frac12; &sup2; &hellip; &mdash;",
    "&ltimes; &notin; &notit; &ampx &amp;lt; &#8194; &nbsp;x&emsp;y", "Smiley &#61514; &#150; &#128; dash",
    "Zdeněk &#345;&#269; &#305;stanbul İstanbul", "ΟΔΟΣ ΤΟΥ &Sigma;Ω&Sigma; λόγος", "",
]
#: Entities the file decodes, for the mixed strings below (tricky ones: names that begin longer
#: names, names without ";", numeric references with leading zeros or in hexadecimal).
ENTITIES = ["&amp;", "&amp", "&AMP;", "&lt;", "&lt", "&gt;", "&quot;", "&apos;", "&nbsp;", "&not", "&notin;",
            "&ltimes;", "&eacute;", "&Eacute", "&hellip;", "&mdash;", "&trade;", "&frac12;", "&sup2;", "&uml;",
            "&rsquo;", "&Sigma;", "&alpha;", "&#39;", "&#x27;", "&#0039;", "&#8217;", "&#233;", "&#xE9;",
            "&#128;", "&#150;", "&#1;", "&#13;", "&#0;", "&#8230;", "&#61514;", "&#345;", "&#47;", "&#61;"]
PIECES = ["a", "b", "don", "t", "great", "film", " ", " ", "'", "\u2019", "`", "<", ">", "/", "=", '"', "br", "i",
          "p", "a href", "good", "&", "#", ";", "x", "1", "é", "É", "Σ", "ß", "İ", "ﬁ", "\u0301", "-", "_", ".",
          ":", "😀", "\n"]


def vocabulary_of(texts: list[str]) -> Vocabulary:
    """A vocabulary holding every word of ``texts``: every word gets an id of its own."""
    return Vocabulary.learn(texts, num_words=10**6)


def tokenizer_of(vocabulary: Vocabulary, tmp_path: Path) -> Tokenizer:
    tokenizer_file.write(tmp_path / TOKENIZER_FILE, vocabulary)
    return Tokenizer.from_file(str(tmp_path / TOKENIZER_FILE))


def mismatches(tokenizer: Tokenizer, vocabulary: Vocabulary, texts: list[str]) -> list[str]:
    encodings = tokenizer.encode_batch_fast(texts)
    return [text for text, encoding in zip(texts, encodings) if encoding.ids != vocabulary.lookup(tokenize(text))]


def test_the_file_is_what_the_tokenizers_library_writes_for_it(tmp_path):
    vocabulary = vocabulary_of(TEXTS)
    tokenizer = tokenizer_of(vocabulary, tmp_path)
    assert json.loads(tokenizer.to_str()) == tokenizer_file.document(vocabulary)
    assert tokenizer.token_to_id("[PAD]") == 0 and tokenizer.token_to_id("[UNK]") == 1
    assert [tokenizer.id_to_token(i) for i in range(2, len(vocabulary))] == list(vocabulary.words[2:])
    assert tokenizer.get_vocab_size() == len(vocabulary)


def test_it_gives_zoo_texts_ids_on_the_projects_test_strings(tmp_path):
    vocabulary = vocabulary_of(TEXTS)
    tokenizer = tokenizer_of(vocabulary, tmp_path)
    assert mismatches(tokenizer, vocabulary, TEXTS) == []
    assert tokenizer.encode("a <good> film").tokens == ["a", "good", "film"]
    assert tokenizer.encode("I don&rsquo;t <i>like</i> it").tokens == ["i", "don't", "like", "it"]
    assert tokenizer.encode("").ids == []


def test_it_gives_zoo_texts_ids_on_mixed_markup_entities_and_letters(tmp_path):
    rng = random.Random(23)
    texts = ["".join(rng.choice(ENTITIES) if rng.random() < 0.3 else rng.choice(PIECES)
                     for _ in range(rng.randint(1, 14))) for _ in range(5000)]
    vocabulary = vocabulary_of(texts)
    assert mismatches(tokenizer_of(vocabulary, tmp_path), vocabulary, texts) == []


def test_unknown_words_are_unk_and_the_bundled_vocabulary_is_the_files(tmp_path):
    vocabulary = open_zoo(BUNDLED_ZOO).artifact("simplernn-1x32-len500").vocabulary()
    tokenizer = tokenizer_of(vocabulary, tmp_path)
    encoding = tokenizer.encode("A wonderful zzyzxq film")
    assert encoding.ids == vocabulary.lookup(["a", "wonderful", "zzyzxq", "film"])
    assert encoding.ids[2] == 1 and encoding.tokens[2] == "[UNK]"


@pytest.mark.imdb
@pytest.mark.skipif(not IMDB_DATA or not Path(IMDB_DATA).exists(),
                    reason=f"set {IMDB_ENV} to aclImdb_v1.tar.gz (e.g. ../shared/data/aclImdb_v1.tar.gz)")
def test_it_gives_zoo_texts_ids_on_all_50000_imdb_reviews(tmp_path):
    """Every labelled review of the archive, with a vocabulary of every word they hold (so that
    any difference in a word shows, not only in the 10,000 words a variant knows)."""
    from zoo.imdb import load_imdb

    imdb = load_imdb(IMDB_DATA)
    reviews = imdb.train.texts + imdb.test.texts
    started = time.perf_counter()
    words = [tokenize(review) for review in reviews]
    vocabulary = Vocabulary.from_counts(Counter(w for review in words for w in review), num_words=10**6)
    tokenizer = tokenizer_of(vocabulary, tmp_path)
    pipeline = time.perf_counter()
    encodings = tokenizer.encode_batch_fast(reviews)
    library = time.perf_counter()
    differ = [i for i, (review, encoding) in enumerate(zip(words, encodings)) if encoding.ids != vocabulary.lookup(review)]
    print(f"{len(reviews)} reviews, {len(vocabulary)} words: zoo.text {pipeline - started:.1f} s, tokenizer.json "
          f"{library - pipeline:.1f} s, {len(differ)} differ")
    assert len(reviews) == 50_000 and differ == []


# --- checks: verify, push, training, refresh -----------------------------------------------------


def test_training_writes_the_tokenizer_file_of_each_variants_vocabulary(tiny_zoo_path):
    for variant_id in TINY_VARIANTS:
        folder = tiny_zoo_path / variant_id
        assert tokenizer_file.problem(folder / TOKENIZER_FILE, Vocabulary.read(folder / VOCABULARY_FILE)) is None


def _rewrite(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _swap_two_words(document: dict) -> None:
    vocab = document["model"]["vocab"]
    first, second = list(vocab)[2:4]
    vocab[first], vocab[second] = vocab[second], vocab[first]


def _drop_the_tag_step(document: dict) -> None:
    document["normalizer"]["normalizers"].pop()


@pytest.mark.parametrize("damage, severity, message", [
    (lambda folder: (folder / TOKENIZER_FILE).unlink(), "warning", "no tokenizer.json"),
    (lambda folder: _rewrite(folder / TOKENIZER_FILE, _swap_two_words), "error",
     "does not hold the words of vocabulary.txt"),
    (lambda folder: (folder / TOKENIZER_FILE).write_text("{", encoding="utf-8"), "error", "is unreadable"),
    (lambda folder: _rewrite(folder / TOKENIZER_FILE, _drop_the_tag_step), "warning",
     "does not express text pipeline"),
])
def test_verify_and_push_check_the_tokenizer_file(damage, severity, message, tiny_zoo_copy):
    from training.push import PushRefused, checked_zoo

    variant_id = TINY_VARIANTS[1]
    damage(tiny_zoo_copy / variant_id)

    report = verify_zoo(open_zoo(tiny_zoo_copy), load_models=False)
    [problem] = [p for p in report.problems if p.subject == variant_id]
    assert problem.severity == severity and message in problem.message
    assert f"python -m training.refresh --zoo {tiny_zoo_copy}" in problem.message
    assert report.ok is (severity == "warning")
    with pytest.raises(PushRefused, match=f"variant {variant_id}: .*{message}.*training.refresh"):
        checked_zoo(tiny_zoo_copy)


def test_a_zoo_without_tokenizer_files_gets_one_warning_and_still_serves(tiny_zoo_copy):
    for variant_id in TINY_VARIANTS:
        (tiny_zoo_copy / variant_id / TOKENIZER_FILE).unlink()
    report = verify_zoo(open_zoo(tiny_zoo_copy), load_models=False)
    assert report.ok and [(p.severity, p.subject) for p in report.problems] == [("warning", "all 3 variants")]
    assert "no tokenizer.json" in report.problems[0].message
    assert open_zoo(tiny_zoo_copy).classify(["A wonderful film."])[TINY_VARIANTS[0]].shape == (1,)


def test_refresh_writes_cards_and_tokenizer_files_and_leaves_a_broken_variant_alone(tiny_zoo_copy, capsys):
    fresh = {v: (tiny_zoo_copy / v / CARD_FILE).read_bytes() for v in TINY_VARIANTS}
    (tiny_zoo_copy / TINY_VARIANTS[0] / TOKENIZER_FILE).unlink()
    (tiny_zoo_copy / TINY_VARIANTS[1] / CARD_FILE).write_text("old card", encoding="utf-8")
    with open(tiny_zoo_copy / TINY_VARIANTS[2] / VOCABULARY_FILE, "a", encoding="utf-8") as file:
        file.write("tampered\n")

    assert refresh.main(["--zoo", str(tiny_zoo_copy)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{TINY_VARIANTS[0]}: tokenizer.json written", f"{TINY_VARIANTS[1]}: README.md written"]
    assert err.startswith(f"warning: {TINY_VARIANTS[2]} left alone: ") and "fails its checksum" in err
    for variant_id in TINY_VARIANTS[:2]:
        assert (tiny_zoo_copy / variant_id / CARD_FILE).read_bytes() == fresh[variant_id]
        assert verify_zoo(open_zoo(tiny_zoo_copy), load_models=False).variants[variant_id] == "ok"

    shutil.rmtree(tiny_zoo_copy / TINY_VARIANTS[2])
    write_json(tiny_zoo_copy / "zoo.json", {"format": 1, "variants": list(TINY_VARIANTS[:2])})
    assert refresh.main(["--zoo", str(tiny_zoo_copy)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{v}: up to date" for v in TINY_VARIANTS[:2]]
    assert refresh.main(["--zoo", str(tiny_zoo_copy / TINY_VARIANTS[0])]) == 2


def test_the_bundled_zoo_carries_the_cards_and_tokenizer_files_the_code_writes():
    """After retraining or a change to the cards: python -m training.refresh --zoo bundled_zoo."""
    for artifact in open_zoo(BUNDLED_ZOO).artifacts():
        for name, text in refresh.derived_files(artifact).items():
            assert (artifact.path / name).read_text(encoding="utf-8") == text, (
                f"{artifact.id}/{name} is stale: run python -m training.refresh --zoo bundled_zoo")


def test_the_zoo_reads_and_checks_tokenizer_files_without_the_tokenizers_library(tiny_zoo_path):
    code = ("import sys; sys.modules['tokenizers'] = None\n"
            "import zoo, zoo.verify, zoo.card, zoo.tokenizer_file\n"
            f"report = zoo.verify.verify_zoo(zoo.open_zoo({str(tiny_zoo_path)!r}), load_models=False)\n"
            "assert report.ok and not report.problems, report.problems\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
