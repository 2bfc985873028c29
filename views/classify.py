"""The Classify tab: the form, every variant's answer, what the models see, and how they read."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import quote, urlencode

import altair as alt
import pandas as pd
import streamlit as st

import zoo
from zoo.artifact import ArtifactError
from zoo.deployment import public_origin
from zoo.examples import DEFAULT_EXAMPLE, EXAMPLE_CAPTIONS, EXAMPLES
from zoo.explain import clip, count_positive, words_seen
from zoo.inference import THRESHOLD, label
from zoo.notices import refusal, short_text_notice, short_text_score
from zoo.text import tokenize

from .colors import NEGATIVE, POSITIVE, TEXT, readable, variant_scale, verdict_scale
from .loading import (Warming, answers_before_keras, classify_with, classify_with_every_variant, reading_frame,
                      wait_for_models)
from .messages import shown, variant_problem
from .own_variants import own_reading_frames
from .train_own import own_answers
from .widgets import chip_colors, preferred

#: Said under the first answers while TensorFlow loads (in the progress bar, which goes when they are
#: replaced, so that nothing above it moves): they come from NumPy, not yet from Keras.
NUMPY_NOTE = (" Meanwhile, the answers above are computed in NumPy from the same weights (equal to Keras' "
              "within 0.00001).")
#: How many of a long text's last words "What the model sees" prints (more than any maxlen).
WORDS_SHOWN = 600
#: Below this share of known words, the answer comes with a warning.
FEW_KNOWN = 0.5
#: The most characters the review box takes (and a link may fill it with): any review fits, and
#: no variant reads more than its last 500 words anyway.
MAX_REVIEW_CHARS = 20_000
#: The most characters the page's link gives the review, URL-encoded. Proxies in front of a
#: deployment (nginx, Apache) refuse a request line over 8 KB by default, so a longer link would
#: not even reach the page; this leaves room for the rest of the address (the long example fits).
MAX_LINK_CHARS = 6_000
#: Up to this many words, the reading chart labels every word; beyond, about this many ticks.
LABEL_EVERY_WORD = 40
READING_HEIGHT = 340
#: Pixels for the y-axis labels of a reading chart and of the charts aligned under it (variant names).
AXIS_EXTENT = 150
#: The URL's query parameter holding the review (a link a teacher can send).
TEXT_PARAM = "text"
#: The URL's query parameter of the variants followed in "Sentiment as it reads" (the multiselect's key).
VARIANTS_PARAM = "variants"
#: The verdict as words and a direction, never as colour alone.
SAYS = {"positive": "positive ▶", "negative": "◀ negative"}


#: Where ``set_by_server`` keeps each server-set widget's key version.
KEY_VERSIONS = "widget_key_versions"


def widget_key(name: str) -> str:
    """The key of the widget ``name`` now (see ``set_by_server``)."""
    return f"{name}@{st.session_state.get(KEY_VERSIONS, {}).get(name, 0)}"


def widget_value(name: str):
    return st.session_state.get(widget_key(name))


def set_by_server(name: str, value) -> None:
    """Set a widget's value from the server, under a new key.

    The review box and the example pills are set by the server too: picking an example fills
    the box, and a typed review clears the pill. The browser may already have sent a rerun
    with the old value (pressing *Classify* after typing sends two: the box's edit, then the
    click), and Streamlit would take that stale value for the visitor's change and call its
    callback, undoing the new one (a typed review reverted to the example). A widget under a
    new key is a new widget: the old key's stale value is dropped.
    """
    versions = dict(st.session_state.get(KEY_VERSIONS, {}))
    versions[name] = versions.get(name, 0) + 1
    st.session_state[KEY_VERSIONS] = versions
    st.session_state[widget_key(name)] = value


def example_named(text: str) -> str | None:
    return next((name for name, example in EXAMPLES.items() if example == text), None)


def submitted_text() -> str:
    """The text every tab explains: the one submitted last; on a first visit, whatever tab the
    link opens, the link's text (``?text=``), else the default example."""
    if "submitted" not in st.session_state:
        shared = st.query_params.get(TEXT_PARAM)
        st.session_state.submitted = shared[:MAX_REVIEW_CHARS] if shared and shared.strip() else EXAMPLES[DEFAULT_EXAMPLE]
    return st.session_state.submitted


def start_state(readable_ids: list[str]) -> None:
    """The review box and the pills as the tab draws them: the text submitted last (on a first
    visit, the link's text, else the default example). Coming back from another tab, they are
    set again: Streamlit drops the state of widgets a run does not draw."""
    if "link_notices" not in st.session_state:
        shared = st.query_params.get(TEXT_PARAM)
        submitted_text()
        st.session_state.link_notices = link_notices(shared or "", st.query_params.get_all(VARIANTS_PARAM), readable_ids)
    if widget_key("review") not in st.session_state:
        set_by_server("review", st.session_state.submitted)
        set_by_server("example", example_named(st.session_state.submitted))


def link_notices(text: str, variant_ids: list[str], readable_ids: list[str]) -> list[str]:
    """What a visitor's link asked for that the page does not give: a text longer than the box,
    variants this zoo cannot show (Streamlit drops them from the choice without a word)."""
    notices = []
    if len(text) > MAX_REVIEW_CHARS:
        notices.append(f"The link's text has {len(text):,} characters; the box takes the first {MAX_REVIEW_CHARS:,}, "
                       "which is what the variants read here.")
    unknown = [vid for vid in dict.fromkeys(variant_ids) if vid not in readable_ids]
    if unknown:
        names = ", ".join(f"`{vid[:60]}`" for vid in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        notices.append(f"The link asks to follow {names}, which this zoo cannot show: "
                       f"{'it was' if len(unknown) == 1 else 'they were'} left out.")
    return notices


def use_example() -> None:
    name = widget_value("example")
    if name:
        set_by_server("review", EXAMPLES[name])
        st.session_state.submitted = EXAMPLES[name]
        share(EXAMPLES[name])


def submit_review() -> None:
    # The box's max_chars is the browser's; a message sent by other means is cut here too.
    text = (widget_value("review") or "")[:MAX_REVIEW_CHARS]
    st.session_state.submitted = text
    if example_named(text) != widget_value("example"):
        set_by_server("example", example_named(text))
    share(text)


def share(text: str) -> None:
    """Keep the classified text in the URL, so the page's link reopens it (the default needs none).

    A text too long for a safe link is shared cut (``linked_text``), and the tab says so."""
    st.session_state.link_notices = []  # the visitor's own text now: the link's notices are done
    st.session_state.shared_cut = None
    if text == EXAMPLES[DEFAULT_EXAMPLE] or not text.strip():
        st.query_params.pop(TEXT_PARAM, None)
        return
    linked = linked_text(text)
    st.query_params[TEXT_PARAM] = linked
    if linked != text:
        st.session_state.shared_cut = (len(linked), len(text))


def linked_text(text: str, limit: int = MAX_LINK_CHARS) -> str:
    """The longest beginning of ``text`` whose URL encoding has at most ``limit`` characters."""
    if len(quote(text, safe="")) <= limit:
        return text
    low, high = 0, min(len(text), limit)
    while low < high:  # the longest prefix that fits: a binary search on its length
        middle = (low + high + 1) // 2
        if len(quote(text[:middle], safe="")) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low]


@st.fragment
def classify_section(source: str, z: zoo.Zoo, table: pd.DataFrame, readable_ids: list[str], warming: Warming) -> None:
    """The Classify tab: the form, and beside it (below it on a phone) the verdict of every
    variant, so that the answer is on the first screen. A fragment: pressing Classify or picking
    an example reruns only this section, not the charts of the other tabs."""
    st.header("Classify a review")
    start_state(readable_ids)
    for notice in st.session_state.get("link_notices") or []:
        st.info(notice)
    form, answer = st.columns([2, 3], gap="large")
    with form:
        text = review_form(table)
        why = refusal(text)
        if why:
            st.info(f"Nothing to classify: {why}. Type a review in the box above, or pick an example.")
            return
    text = clip(text)
    with answer:
        results = verdicts(source, warming, text)
    answers = {vid: p for vid, p in results.items() if isinstance(p, float)}
    n_words = len(tokenize(text))
    sound = table[table["error"].isna()].set_index("id")
    notice = short_text_notice(n_words, [z.artifact(vid) for vid in answers])
    if notice:
        st.warning(f"**{notice.headline}** The padding read first is drawn on [the reading chart](#sentiment-as-it-reads).",
                   icon="✂️")
    known_words_caption(z, readable_ids, text)
    for vid, error in results.items():
        if isinstance(error, str):
            st.error(f"Variant {vid} could not answer: {variant_problem(vid, error)}")
    rows = answer_rows(results, z, sound, n_words if notice else None)
    st.table(rows.style.format({"P(positive)": "{:.3f}"}, na_rep="—"), hide_index=True)
    order_free = [vid for vid in answers if "reads_order" in sound and not sound.loc[vid, "reads_order"]]
    if order_free:
        st.caption(f"{', '.join(order_free)} read no word order: order-free references, which weigh which words your "
                   "text holds. Where a recurrent variant answers otherwise, reading in order made the difference.")
    negation_pointer(text, answers)
    download_answers(rows, text, z)
    own_answers(text)

    what_the_model_sees(z, table, readable_ids, text)
    sentiment_as_it_reads(source, readable_ids, text, padding=notice is not None)
    if notice:
        with st.expander("Why short texts are hard"):
            for detail in notice.details:
                st.markdown(detail)


#: Words that negate what follows, and the probes' words they negate (``zoo.probes``' negation
#: tests): a text with one of the first just before one of the second is pointed to those probes.
NEGATIONS = {"not", "never", "isn't", "wasn't", "aren't", "weren't"}
NEGATED = {"good", "bad"}


def negation_pointer(text: str, answers: dict[str, float]) -> None:
    """For a text that negates *good* or *bad*, a link to the probes that measure how each variant
    reads *not*: the same text, on the *What they can do* tab (the link carries it)."""
    words = tokenize(text)
    negations = [f"{word} {' '.join(words[i + 1:i + 3])}" for i, word in enumerate(words)
                 if word in NEGATIONS and NEGATED & set(words[i + 1:i + 3])]
    if not negations or not answers:
        return
    link = "?" + urlencode({"tab": "What they can do", TEXT_PARAM: linked_text(text)})
    st.caption(f"Your text negates (*{negations[0]}*). {count_positive(answers)} of {len(answers)} variants say positive; "
               f"how well each reads *not good* and *not bad* is measured by the negation probes: "
               f"[see them in What they can do]({link}).")


def review_form(table: pd.DataFrame) -> str:
    """The examples, the review box and the Classify button; returns the text submitted last."""
    st.pills("Examples written for this demo", list(EXAMPLES), key=widget_key("example"), on_change=use_example)
    if widget_value("example"):
        st.caption(EXAMPLE_CAPTIONS[widget_value("example")])
    st.text_area("Your review", key=widget_key("review"), height=140, placeholder="What did you think of the film?",
                 max_chars=MAX_REVIEW_CHARS, on_change=submit_review)
    st.button("Classify", type="primary", on_click=submit_review, key="classify_button")
    st.caption(
        "Type or paste a movie review in English (or pick an example), then press **Classify** or Ctrl+Enter. "
        "Every variant reads it and gives its probability that the review is positive. "
        f"The box takes up to {MAX_REVIEW_CHARS:,} characters, more than any review needs: a longer paste is cut there."
    )
    text = st.session_state.submitted
    if len(text) >= MAX_REVIEW_CHARS:
        st.warning(f"Your text fills the box's {MAX_REVIEW_CHARS:,} characters: anything beyond was cut. The variants "
                   f"read at most their last {max(table['maxlen'].dropna()):.0f} words of it anyway.")
    if st.session_state.get("shared_cut"):
        linked, whole = st.session_state.shared_cut
        st.caption(f"The page's link carries the first {linked:,} of your {whole:,} characters: a longer address "
                   "would not get through some servers and chat apps.")
    return text


def verdicts(source: str, warming: Warming, text: str) -> dict[str, float | str]:
    """Every variant's answer to ``text`` (a probability, or why it could not answer), drawn as
    the headline count and the verdict bars. On a fresh server, the answers from NumPy come
    first (``Zoo.first_answers``), and those of the variants loaded so far, while the others load."""
    heading, bars = st.empty(), st.empty()

    def draw(answers: dict[str, float], total: int) -> None:
        so_far = "" if len(answers) == total else f" (the first {len(answers)} of {total} loaded)"
        heading.subheader(f"{count_positive(answers)} of {len(answers)} variants say positive{so_far}")
        rows = pd.DataFrame({"variant": list(answers), "P(positive)": list(answers.values()),
                             "says": [SAYS[label(p)] for p in answers.values()]})
        bars.vega_lite_chart(verdict_spec(rows), width="stretch", height=verdict_height(len(answers)))

    # A fresh server: the answers from the weights in NumPy first (no TensorFlow, about a second),
    # then Keras' own once the models are loaded (the same to float32 rounding: test_numpy_forward).
    before = {} if warming.can_answer() else {
        vid: p for vid, p in answers_before_keras(source, text).items() if isinstance(p, float)}
    if before:
        draw(before, len(warming.variant_ids))

    def early(ready: list[str]) -> None:  # the variants NumPy could not run, as Keras loads them
        missing = [vid for vid in ready if vid not in before]
        answers = {vid: p for vid, p in classify_with(source, text, missing).items() if isinstance(p, float)} \
            if missing else {}
        if answers:
            merged = before | answers
            draw({vid: merged[vid] for vid in warming.variant_ids if vid in merged}, len(warming.variant_ids))

    wait_for_models(warming, early=early if len(before) < len(warming.variant_ids) else None,
                    note=NUMPY_NOTE if before else "")
    if warming.future.done() and warming.future.exception():
        st.warning(f"The models could not be prepared in advance ({shown(warming.future.exception())}); "
                   "answers may be slow.")
    results = classify_with_every_variant(source, text)
    answers = {vid: p for vid, p in results.items() if isinstance(p, float)}
    if answers:
        draw(answers, len(answers))
    else:
        heading.empty()
        bars.empty()
    return results


def known_words_caption(z: zoo.Zoo, readable_ids: list[str], text: str) -> None:
    """How many of the text's words each vocabulary knows (variants may have different ones)."""
    if not readable_ids:
        return
    counts = {}
    for vid in readable_ids:
        seen = words_seen(text, z.vocabulary(vid))
        counts.setdefault(seen.known_count, []).append(vid)
    total = len(seen.words)
    low, high = min(counts), max(counts)
    emoji = sum(unicodedata.category(character) == "So" for character in text)
    if emoji:  # symbols are no words: said, so that "5 of the 5 words" does not hide them
        st.caption(f"{emoji} emoji and symbol{'s' if emoji > 1 else ''} ignored: the models read words only.")
    if total == 1:
        known = "knew your one word" if low == 1 else "did not know your one word" if high == 0 else \
            "knew your one word, depending on their vocabulary"
        st.caption(f"The models {known}.")
    elif low == high:
        st.caption(f"The models knew {low} of the {total} words in your text.")
    else:
        st.caption(f"The models knew {low} to {high} of the {total} words in your text, depending on the variant's vocabulary.")
    if low < FEW_KNOWN * total:
        st.warning(
            f"The models knew only {low} of {total} words; the rest all read as the same unknown-word token. "
            "They were trained on English reviews, so take this answer with a grain of salt."
        )


def answer_rows(results: dict[str, float | str], z: zoo.Zoo, sound: pd.DataFrame,
                short_words: int | None) -> pd.DataFrame:
    """One row per variant: its probability, its verdict in words, and (for a short text) its
    measured short-text accuracy and the padding it reads first."""
    rows = []
    for vid, p in results.items():
        row = {"variant": vid, "P(positive)": p if isinstance(p, float) else None}
        row["says"] = SAYS[label(p)] if isinstance(p, float) else "error"
        if short_words is not None and vid in sound.index:
            row["right on short texts"] = short_text_score(z.artifact(vid)) or "—"
            row["padding read first"] = max(0, int(sound.loc[vid, "maxlen"]) - short_words)
        rows.append(row)
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=256)
def verdict_spec(rows: pd.DataFrame) -> dict:
    """``verdict_chart`` as a Vega-Lite spec, made once per set of answers (building and
    validating the layered Altair chart took 150 ms of every rerun)."""
    return verdict_chart(rows).to_dict()


def verdict_chart(rows: pd.DataFrame) -> alt.TopLevelMixin:
    """Bars from 0.5 to each probability: right is positive, left negative (P = 0 is a full bar)."""
    data = rows.dropna(subset=["P(positive)"]).assign(
        middle=THRESHOLD, verdict=lambda d: [label(p) for p in d["P(positive)"]]
    )
    y = alt.Y("variant:N", sort=None, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False))
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        x=alt.X("P(positive):Q", scale=alt.Scale(domain=[0, 1]), title="probability of positive",
                axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=".2")),
        x2="middle:Q",
        y=y,
        color=alt.Color("verdict:N", scale=verdict_scale(), legend=None),
        tooltip=["variant", alt.Tooltip("P(positive):Q", format=".3f"), alt.Tooltip("says:N")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [THRESHOLD]})).mark_rule(color=TEXT, strokeDash=[4, 3]).encode(x="x:Q")
    ends = pd.DataFrame({"x": [0.02, 0.98], "text": ["◀ negative", "positive ▶"], "align": ["left", "right"]})
    sides = alt.layer(*[
        alt.Chart(ends.iloc[[i]]).mark_text(align=a, baseline="bottom", dy=-4, fontWeight="bold", color=c, fontSize=12)
        .encode(x="x:Q", y=alt.value(0), text="text:N")
        for i, (a, c) in enumerate((("left", NEGATIVE), ("right", POSITIVE)))
    ])
    # Between the two ends only where it fits apart from them (a phone's plot is about 180 px wide).
    middle = alt.Chart(pd.DataFrame({"x": [THRESHOLD], "text": ["0.5: undecided"]})).mark_text(
        baseline="bottom", dy=-4, color=TEXT, fontSize=11, opacity=alt.ExprRef(expr="width >= 300 ? 1 : 0")).encode(
        x="x:Q", y=alt.value(0), text="text:N")
    return readable((bars + rule + sides + middle).properties(height=verdict_height(len(data)), padding={"top": 22}))


def verdict_height(n_variants: int) -> int:
    return 26 * max(1, n_variants) + 80


def download_answers(rows: pd.DataFrame, text: str, z: zoo.Zoo) -> None:
    csv, payload = answer_files(rows, text, public_origin(z.origin))
    left, right = st.columns(2)
    left.download_button("Answers (CSV)", csv, "answers.csv", "text/csv", key="answers_csv", on_click="ignore")
    right.download_button("Answers (JSON)", payload, "answers.json", "application/json", key="answers_json",
                          on_click="ignore")


def answer_files(rows: pd.DataFrame, text: str, origin: dict) -> tuple[str, str]:
    """The answers as CSV and as JSON (UTF-8, accents kept), each with the text and the zoo that
    gave them (``origin``: its public description, never a server path)."""
    answers = rows[["variant", "P(positive)"]].assign(says=[label(p) if pd.notna(p) else "error" for p in rows["P(positive)"]])
    version = ", ".join(f"{key} {value}" for key, value in origin.items())
    csv = answers.assign(text=text, zoo=version).to_csv(index=False)
    payload = {"text": text, "zoo": origin, "answers": answers.to_dict(orient="records")}
    return csv, json.dumps(payload, indent=2, ensure_ascii=False)


def what_the_model_sees(z: zoo.Zoo, table: pd.DataFrame, readable_ids: list[str], text: str) -> None:
    if not readable_ids:
        return
    seen = words_seen(text, z.vocabulary(readable_ids[0]))
    st.subheader("What the model sees")
    st.caption(
        "Before reading, the text is lower-cased, HTML tags and punctuation are dropped, and it is split into words. "
        f"Words outside the {int(table['num_words'].max()):,}-word vocabulary learned from the training reviews are "
        ":orange-background[highlighted ?] and marked with a question mark: they all become one *unknown* token. "
        "A variant reads only the last `maxlen` words; the :blue-background[▸ markers] show where each `maxlen` starts reading."
    )
    maxlens = sorted({int(m) for m in table["maxlen"].dropna()})
    starts = {}
    for maxlen in maxlens:
        starts.setdefault(seen.first_read(maxlen), []).append(maxlen)
    first_shown = max(0, len(seen.words) - WORDS_SHOWN)
    pieces = [f"*… {first_shown:,} earlier words that no variant reads …*"] if first_shown else []
    for i in range(first_shown, len(seen.words)):
        if i in starts and i > 0:
            pieces.append(f":blue-background[▸ maxlen {' / '.join(map(str, starts[i]))}]")
        word = seen.words[i]  # letters, digits and apostrophes only: no Markdown syntax
        pieces.append(word if seen.known[i] else f":orange-background[{word} ?]")
    st.markdown(" ".join(pieces))
    st.dataframe(
        pd.DataFrame([
            {"maxlen": m, "words read": min(m, len(seen.words)), "words cut away": len(seen.cut_away(m)),
             "it never sees": " ".join(seen.cut_away(m)[:12]) + (" …" if len(seen.cut_away(m)) > 12 else "")}
            for m in maxlens
        ]),
        hide_index=True,
        column_config={"it never sees": st.column_config.TextColumn(width="large")},
    )


def sentiment_as_it_reads(source: str, readable_ids: list[str], text: str, *, padding: bool = False) -> None:
    """The reading chart of the followed variants (``padding``: with the padding read before a short text)."""
    st.subheader("Sentiment as it reads")
    st.caption(
        "The probability of *positive* after each word, computed in one pass: the recurrent layer's state after "
        "every word goes through the output layer. Try the long example: the 4-layer SimpleRNN stack forgets its "
        "bad start halfway, while the LSTM holds on until the ending. A dashed rule marks where the curves part: the "
        f"first word after which they differ by {PART_SPREAD} or more."
    )
    reading_ids = st.multiselect(
        "Variants to follow", readable_ids, key="variants", bind="query-params",
        default=preferred(readable_ids, ["simplernn-1x32-len500", "simplernn-4x32-len500", "lstm-1x32-len500"]),
    )
    chip_colors("variants", reading_ids)
    curves = []
    for vid in reading_ids:
        try:
            curves.append(reading_frame(source, vid, text))
        except ArtifactError as error:
            st.error(f"Variant {vid} could not answer: {variant_problem(vid, error)}")
    own_curves, problems = own_reading_frames(text)  # the visitor's own variants, always followed
    for problem in problems:
        st.error(shown(problem, context="own variant reading"))
    curves += own_curves
    if curves:
        shown_ids = tuple(reading_ids) + tuple(frame["variant"].iloc[0] for frame in own_curves)
        st.vega_lite_chart(reading_spec(pd.concat(curves), shown_ids, tuple(tokenize(clip(text))), padding=padding),
                           width="stretch", height=READING_HEIGHT)


def word_ticks(n_words: int) -> list[int]:
    """The word positions the reading chart labels: all of a short text's, else about a dozen."""
    if n_words <= LABEL_EVERY_WORD:
        return list(range(1, n_words + 1))
    step = next(s * 10**k for k in range(8) for s in (1, 2, 2.5, 5) if n_words / (s * 10**k) <= 12 and s * 10**k >= 5)
    step = int(step)
    return [1, *range(step, n_words + 1, step)]


def word_tick(position: int, word: str) -> str:
    """A word and its position, as one label of the reading chart's axis (positions keep it unique)."""
    return f"{word}·{position}"


@st.cache_data(show_spinner=False, max_entries=256)
def reading_spec(curves: pd.DataFrame, variant_ids: tuple[str, ...], words: tuple[str, ...],
                 y_extent: int | None = None, padding: bool = False) -> dict:
    """``reading_chart`` as a Vega-Lite spec, made once per text and choice of variants."""
    return reading_chart(curves, list(variant_ids), list(words), y_extent, padding).to_dict()


def reading_axis(words: list[str], first: int) -> alt.Axis:
    """The word axis of the reading chart (and of the charts drawn on its words): every word of a
    short text, else about a dozen words with their positions, from word ``first`` on. On a narrow
    screen, labels that would touch are dropped (greedily, left to right)."""
    ticks = [word_tick(p, words[p - 1]) for p in word_ticks(len(words)) if p >= first]
    if len(words) <= LABEL_EVERY_WORD:
        return alt.Axis(values=ticks, labelExpr="split(datum.label, '·')[0]", labelAngle=-45, labelOverlap="greedy",
                        title="your text, word by word", grid=False)
    return alt.Axis(values=ticks, labelExpr="split(datum.label, '·')", labelAngle=0, labelOverlap="greedy",
                    labelSeparation=6, title="word (and its position in your text)", grid=True, labelLimit=90)


def reading_chart(curves: pd.DataFrame, variant_ids: list[str], words: list[str],
                  y_extent: int | None = None, padding: bool = False) -> alt.TopLevelMixin:
    """The reading curves over an axis of the text's own words (and, for long texts, their positions).

    The axis is ordinal, one point per word, so only whole words get ticks; its labels are
    split back into word and position by the label expression (no word is ever put into an
    expression: they are data). With ``y_extent``, the y axis has that fixed width, so that charts
    drawn under it on the same words (``views.capabilities.importance_strip``) line up with it.
    With ``padding`` (a short text), the padding the variants read before the first word is drawn
    first, as one step: where it left each of them.
    """
    first = int(curves["position"].min())
    domain = [word_tick(p, words[p - 1]) for p in range(first, len(words) + 1)]
    curves = curves.assign(tick=[word_tick(p, w) for p, w in zip(curves["position"], curves["word"])])
    axis = reading_axis(words, first)
    padded = curves[curves["padding"] > 0].drop_duplicates("variant") if padding and "padding" in curves else curves[:0]
    band = None
    if len(padded):
        curves = pd.concat([padded.assign(position=0, word=[f"({n:,} padding steps)" for n in padded["padding"]],
                                          p_positive=padded["after_padding"], tick=PADDING_TICK), curves])
        domain, axis.values = [PADDING_TICK, *domain], [PADDING_TICK, *axis.values]
        band = padding_band(padded["padding"])
    curve = alt.Chart(curves).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("tick:O", axis=axis, scale=alt.Scale(domain=domain)),
        y=alt.Y("p_positive:Q", scale=alt.Scale(domain=[0, 1]), title="probability of positive",
                axis=alt.Axis(minExtent=y_extent, maxExtent=y_extent) if y_extent else alt.Axis()),
        color=alt.Color("variant:N", scale=variant_scale(variant_ids),
                        legend=alt.Legend(orient="top", title=None, columns=2, labelLimit=160, symbolStrokeWidth=3)),
        tooltip=["variant", "position", "word", alt.Tooltip("p_positive:Q", format=".3f", title="P(positive)")],
    )
    middle = alt.Chart(pd.DataFrame({"y": [THRESHOLD]})).mark_rule(strokeDash=[4, 4], color=TEXT).encode(y="y:Q")
    rule, words = parting_mark(curves[curves["position"] > 0]) or (None, None)
    layers = [layer for layer in (band, rule, curve, middle, words) if layer is not None]  # the words over the curves
    return readable(alt.layer(*layers).properties(height=READING_HEIGHT))


#: Curves "part" where the followed variants, all reading, first differ by this much in P(positive).
PART_SPREAD = 0.5


def curves_part(curves: pd.DataFrame) -> pd.Series | None:
    """The first word after which the followed variants, every one of them reading it, differ by
    ``PART_SPREAD`` or more in P(positive) (a row of ``curves``, with ``spread``); None if they never do."""
    if curves["variant"].nunique() < 2:
        return None
    wide = curves.pivot_table(index=["position", "tick"], columns="variant", values="p_positive").dropna()
    spread = (wide.max(axis=1) - wide.min(axis=1)).reset_index(name="spread")
    apart = spread[spread["spread"] >= PART_SPREAD]
    return None if apart.empty else apart.iloc[0]


def parting_mark(curves: pd.DataFrame) -> tuple[alt.Chart, alt.LayerChart] | None:
    """A rule at the word where the curves part (``curves_part``), and the words saying so."""
    part = curves_part(curves)
    if part is None:
        return None
    data = pd.DataFrame({"tick": [part["tick"]], "text": [f"they part here (word {int(part['position'])})"],
                         "spread": [part["spread"]]})
    rule = alt.Chart(data).mark_rule(color=TEXT, strokeDash=[6, 3], strokeWidth=1.5).encode(
        x="tick:O", tooltip=[alt.Tooltip("text:N", title="curves"), alt.Tooltip("spread:Q", format=".2f",
                                                                                 title="P(positive) apart")])
    late = part["position"] > curves["position"].max() / 2  # the words go on the side with room
    # At the top, inside the plot (words below it would count in the chart's size and squash the
    # plot), over a white halo: the curves often run there.
    words = [alt.Chart(data).mark_text(align="right" if late else "left", baseline="top", dx=-4 if late else 4, dy=4,
                                       color=TEXT, fontSize=11, **halo).encode(x="tick:O", y=alt.value(0), text="text:N")
             for halo in ({"stroke": "white", "strokeWidth": 4, "strokeJoin": "round"}, {})]
    return rule, alt.layer(*words)


#: The reading chart's first step for a short text: all the padding read before the first word.
PADDING_TICK = word_tick(0, "padding")


def padding_band(steps: pd.Series) -> alt.Chart:
    """A grey band over the padding step, saying how many steps it stands for."""
    low, high = int(steps.min()), int(steps.max())
    label = f"{low:,} steps" if low == high else f"{low:,}–{high:,} steps"
    data = pd.DataFrame({"tick": [PADDING_TICK], "label": [label]})
    # From P = 0 to P = 1 on the curves' scale: a band in pixels past the plot would squash it.
    rect = alt.Chart(data).mark_bar(color="#d9dde3", opacity=0.6, size=34).encode(
        x=alt.X("tick:O"), y=alt.datum(0), y2=alt.datum(1))
    text = alt.Chart(data).mark_text(baseline="top", dy=4, fontSize=11, color=TEXT).encode(
        x=alt.X("tick:O"), y=alt.value(0), text="label:N")
    return rect + text
