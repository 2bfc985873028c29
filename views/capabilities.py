"""The app's "What they can do" tab: the zoo's behavioural probes, and for the visitor's own text,
which words move each variant's answer and what its recurrent layers hold after each word.

A thin view over ``zoo.probes`` and ``zoo.explain``: the probe results come from the zoo's
``probes.json`` when it describes the zoo's models, else they are computed once per zoo and
cached; the per-text views are computed once per text and variant and cached.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import zoo
from zoo.artifact import ArtifactError
from zoo.examples import DEFAULT_EXAMPLE, EXAMPLES
from zoo.explain import clip, hidden_states, word_importance, words_seen
from zoo.notices import refusal
from zoo.text import tokenize
from zoo.probes import ORDERS, SPAN_SHARE, TESTS, fresh_probes, run_probes, span_text

from .colors import HEAT, NEGATIVE, POSITIVE, UNIT_SCHEME, catalog_order, readable, variant_scale
from .loading import Warming, reading_frame, wait_for_models
from .classify import AXIS_EXTENT, LABEL_EVERY_WORD, READING_HEIGHT, reading_axis, reading_spec, submitted_text, word_tick, word_ticks
from .messages import shown, variant_problem
from .own_variants import own_probe_results
from .widgets import chip_colors, preferred
from .work import HEAVY, heavy_work

#: At most this many variants side by side in "Which words matter".
MAX_COMPARED = 3
#: Colours of the word-importance scale: towards negative, no effect, towards positive
#: (the verdict's own two colours, ``views.colors``).
IMPORTANCE_RANGE = [NEGATIVE, "#f4f4f4", POSITIVE]
#: Pixels per variant in the word-importance strip, and for its word axis and legend.
STRIP_ROW = 30
STRIP_FRAME = 230
#: Pixels per unit in the hidden-state heatmap.
STATE_ROW = 9
ORDER_NAMES = {"sentence_first": "sentence, then filler", "filler_first": "filler, then sentence"}
#: The example explained when the visitor has not submitted a text yet.
FALLBACK_EXAMPLE = DEFAULT_EXAMPLE


@st.cache_data(show_spinner="Running the probes through every variant (once per zoo)…")
def probe_results(source: str, _z: zoo.Zoo) -> tuple[dict, bool]:
    """The zoo's probe results, and whether they were read from its ``probes.json``."""
    stored = fresh_probes(_z)
    if stored is not None:
        return stored, True
    with HEAVY.turn():
        return run_probes(_z), False


@st.cache_data(show_spinner=False, max_entries=256)
def importance_frame(source: str, variant_id: str, text: str, _z: zoo.Zoo) -> pd.DataFrame:
    """One row per word the variant reads: its position, the word, and ΔP(positive) without it."""
    with HEAVY.turn():
        result = word_importance(_z, variant_id, text)
    return pd.DataFrame({
        "variant": variant_id, "position": result.positions, "word": result.words, "delta": result.deltas,
        "p_positive": result.p_positive, "p_without": result.p_positive - result.deltas,
    })


@st.cache_data(show_spinner=False, max_entries=64)
def states_frames(source: str, variant_id: str, text: str, _z: zoo.Zoo) -> dict[str, pd.DataFrame]:
    """For each recurrent state of the variant, one row per (word, unit), units ranked by their
    correlation with the output (rank 1: the most positively correlated)."""
    with HEAVY.turn():
        states = hidden_states(_z, variant_id, text)
    frames = {}
    for name, values in states.states.items():
        correlations = states.correlations(name)
        rank = np.empty(len(correlations), dtype=int)
        rank[states.unit_order(name)] = np.arange(1, len(correlations) + 1)
        words, units = np.meshgrid(np.arange(len(states.words)), np.arange(values.shape[1]), indexing="ij")
        frames[name] = pd.DataFrame({
            "position": states.positions[words.ravel()],
            "word": np.asarray(states.words, dtype=object)[words.ravel()],
            "unit": units.ravel(),
            "rank": rank[units.ravel()],
            "correlation": correlations[units.ravel()],
            "value": values.ravel(),
        })
    return frames


def capabilities_section(source: str, z: zoo.Zoo, readable: list[str], warming: Warming | None = None) -> None:
    """The "What they can do" tab."""
    st.header("What they can do")
    st.caption(
        "Scores say how often a variant is right; these probes show what it can and cannot do. Every probe is a "
        "sentence built from templates written for this project (no review text), with its verdict given by construction."
    )
    if not readable:
        st.info("No variant of this zoo can be loaded, so there is nothing to probe.")
        return
    try:
        with heavy_work("running the probes"):
            results, stored = probe_results(source, z)
    except ArtifactError as error:
        st.error(f"The probes could not run: {shown(error, context='probes')}")
        return
    st.caption("From the zoo's `probes.json`." if stored else
               "Computed on this server (the zoo has no up-to-date `probes.json`), once per zoo.")
    variants = [vid for vid in readable if vid in results["variants"]]
    if not variants:
        st.info("No variant of this zoo could be probed: "
                + "; ".join(shown(why, context="probes") for why in results.get("errors", {}).values()))
        return

    try:
        with heavy_work("running the probes on your own variants"):
            own = own_probe_results()  # the visitor's own variants (tab Train your own), once each
    except ArtifactError as error:
        st.error(f"The probes could not run on your own variants: {shown(error, context='own probes')}")
        own = {}
    if own:
        results = {**results, "variants": {**results["variants"], **own}}
        st.caption("Your own variants (tab *Train your own*) are probed too: always drawn, after the zoo's.")
    memory_span(results, variants, list(own))
    probes_heatmap(results, [*variants, *own])
    explain_section(source, z, variants, warming)


def memory_span(results: dict, variants: list[str], own: list[str] = ()) -> None:
    """Each chosen variant's separation as filler words are added, and every variant's span in a
    table; the visitor's ``own`` variants always."""
    st.subheader("Memory span")
    st.caption(
        "A clearly positive or negative sentence, then *k* plain words that give no opinion (or the plain words first). "
        "The **separation** is the mean P(positive) after the positive sentences minus the mean after the negative ones: "
        "how well the variant still tells them apart. The **span** is the largest *k* up to which it keeps at least "
        f"{SPAN_SHARE:.0%} of its separation at *k* = 0. Where the sentence no longer fits in `maxlen` it was cut away, "
        "not forgotten, and the line stops. Solid lines: the sentence first; dashed: the filler first."
    )
    chosen = st.multiselect(
        "Variants", variants, key="span_variants", bind="query-params",
        default=preferred(variants, ["simplernn-1x32-len500", "simplernn-4x32-len500", "lstm-1x32-len500", "gru-1x32-len500"]),
    )
    chip_colors("span_variants", chosen)
    chosen, variants = [*chosen, *own], [*variants, *own]
    rows = []
    for vid in chosen:
        for order in ORDERS:
            memory = results["variants"][vid]["memory"][order]
            for k, separation in zip(results["k"], memory["separation"]):
                if separation is not None:
                    rows.append({"variant": vid, "order": ORDER_NAMES[order], "k": k, "separation": separation, "n": memory["n"]})
    if rows:
        curves = alt.Chart(pd.DataFrame(rows)).mark_line(point=True).encode(
            x=alt.X("k:Q", scale=alt.Scale(type="symlog", constant=10), title="filler words k",
                    axis=alt.Axis(values=results["k"])),
            y=alt.Y("separation:Q", title="separation"),
            color=alt.Color("variant:N", scale=variant_scale(chosen),
                            legend=alt.Legend(orient="bottom", title=None, columns=2, labelLimit=0)),
            # Solid: the sentence first (memory); dashed: the filler first. Said in the caption: a
            # dash legend under line-and-point marks draws only dots.
            strokeDash=alt.StrokeDash("order:N", legend=None, scale=alt.Scale(
                domain=[ORDER_NAMES["sentence_first"], ORDER_NAMES["filler_first"]], range=[[1, 0], [6, 4]])),
            tooltip=["variant", "order", "k", alt.Tooltip("separation:Q", format=".3f"), "n"],
        )
        st.altair_chart(curves, width="stretch")
    else:
        st.info("Choose at least one variant.")
    st.dataframe(
        pd.DataFrame([
            {"variant": vid,
             "span, sentence first": span_text(results["variants"][vid]["memory"]["sentence_first"]),
             "span, filler first": span_text(results["variants"][vid]["memory"]["filler_first"]),
             "separation at k=0": results["variants"][vid]["memory"]["sentence_first"]["separation"][0],
             "P(positive) of 100 filler words": results["variants"][vid]["filler_bias"][results["k"].index(100)]}
            for vid in variants
        ]),
        hide_index=True, height=35 * (len(variants) + 1) + 3,  # every row, no scroll box inside the page
        column_config={"separation at k=0": st.column_config.NumberColumn(format="%.2f"),
                       "P(positive) of 100 filler words": st.column_config.NumberColumn(format="%.2f")},
    )
    st.caption("The filler alone is not neutral to a model trained on reviews: its P(positive) shows each variant's bias.")



#: The narrowest heatmap column, in pixels, that prints its number ("0.85" at 10 px, and a gap).
PROBE_NUMBER_PX = 30


def probes_heatmap(results: dict, variants: list[str]) -> None:
    """Every variant's accuracy on every probe."""
    st.subheader("Probes")
    st.caption(
        "Accuracy of every variant on each probe (hover or tap a cell for the probe, an example and n; a narrow screen "
        "shows the colours only). The *not good*, "
        "*not bad* and *direction* rows count pairs of texts instead: adding *not*, or a stronger word, should move "
        "P(positive) one way."
    )
    cells = pd.DataFrame([
        {"variant": vid, "probe": test.id.replace(".", " · "), "name": f"{test.probe}: {test.name}",
         "description": test.description,
         "accuracy": results["variants"][vid]["tests"][test.id]["accuracy"], "n": results["variants"][vid]["tests"][test.id]["n"]}
        for vid in variants for test in TESTS
    ])
    base = alt.Chart(cells).encode(
        x=alt.X("variant:N", sort=variants, title=None, axis=alt.Axis(labelAngle=-60, labelLimit=200, labelOverlap=False)),
        y=alt.Y("probe:N", sort=[t.id.replace(".", " · ") for t in TESTS], title=None, axis=alt.Axis(labelLimit=200)),
        tooltip=["variant", alt.Tooltip("name:N", title="probe"), "description", alt.Tooltip("accuracy:Q", format=".2f"), "n"],
    )
    heat = base.mark_rect().encode(color=alt.Color("accuracy:Q", scale=alt.Scale(range=list(HEAT), domain=[0, 1]),
                                                   legend=alt.Legend(orient="bottom", title="accuracy")))
    # The numbers only where a column holds them apart (a phone has about 15 px per variant: the
    # colours and the tooltips tell it there).
    labels = base.mark_text(fontSize=10, opacity=alt.ExprRef(expr=f"width / {len(variants)} >= {PROBE_NUMBER_PX} ? 1 : 0")
                            ).encode(text=alt.Text("accuracy:Q", format=".2f"))
    st.altair_chart((heat + labels).properties(height=26 * len(TESTS)), width="stretch", height=26 * len(TESTS) + 190)



@st.fragment
def explain_section(source: str, z: zoo.Zoo, variants: list[str], warming: Warming | None) -> None:
    """Word importance and hidden states for the visitor's text. A fragment: choosing variants
    reruns only this part, and each rerun reads the text last submitted in the Classify tab."""
    text = submitted_text()
    st.subheader("Your text, word by word")
    why = refusal(text)
    if why:
        st.info(f"Nothing to explain: {why}. Type a review in the Classify tab and press Classify.")
        return
    shown = text if len(text) <= 160 else text[:157] + "…"
    st.caption("The text of the Classify tab (and of the page's link)" + (
        f", the example *{FALLBACK_EXAMPLE}*" if text == EXAMPLES[FALLBACK_EXAMPLE] else "") + ":")
    st.text(shown)
    text = clip(text)
    seen = words_seen(text, z.vocabulary(variants[0]))
    if seen.known_count == 0:
        st.warning("None of these words is in the models' vocabulary: every word reads as the same unknown token, "
                   "so no word can matter more than another.")
    if warming is not None:
        wait_for_models(warming)

    which_words_matter(source, z, variants, text, len(seen.words))
    network_states(source, z, variants, text)


def which_words_matter(source: str, z: zoo.Zoo, variants: list[str], text: str, n_words: int) -> None:
    """Each chosen variant's reading curve, and under it, on the same word axis, a strip of how
    much each word moved its answer; the strongest words also in words."""
    st.markdown("**Which words matter**")
    st.caption(
        "Above: P(positive) after each word. Below, one row per variant on the same words: how much P(positive) drops "
        "when that word alone is removed. :blue-background[Blue] words pushed it towards *positive*, "
        ":red-background[red] ones towards *negative*. All the copies with one word removed go through the model in one batch."
    )
    chosen = st.multiselect(
        f"Variants side by side (up to {MAX_COMPARED})", variants, key="importance_variants", max_selections=MAX_COMPARED,
        bind="query-params",
        default=preferred(variants, ["simplernn-1x32-len500", "lstm-1x32-len500", "simplernn-1x32-len300-tuned"])[:MAX_COMPARED],
    )
    chip_colors("importance_variants", chosen)
    frames, curves = {}, []
    for vid in chosen:
        try:
            with heavy_work(f"the word importance of {vid}"):
                frames[vid] = importance_frame(source, vid, text, z)
                curves.append(reading_frame(source, vid, text))
        except ArtifactError as error:
            st.error(f"Variant {vid} could not answer: {variant_problem(vid, error)}")
    if not frames:
        st.info("Choose at least one variant.")
        return
    words = tuple(tokenize(text))
    st.vega_lite_chart(reading_spec(pd.concat(curves), tuple(frames), words, AXIS_EXTENT), width="stretch", height=READING_HEIGHT)
    st.altair_chart(importance_strip(pd.concat(frames.values()), list(frames), list(words)), width="stretch",
                    height=STRIP_ROW * len(frames) + STRIP_FRAME)
    for vid, frame in frames.items():
        strongest = frame.reindex(frame["delta"].abs().sort_values(ascending=False).index).head(4)
        said = ", ".join(f"*{w}* ({d:+.3f})" for w, d in zip(strongest["word"], strongest["delta"]) if abs(d) >= 0.005)
        p = float(frame["p_positive"].iloc[0]) if len(frame) else float("nan")
        st.caption(f"**{vid}**: P(positive) {p:.3f}, reading {len(frame)} of the {n_words} words. "
                   + (f"Strongest words: {said}." if said else "No word alone moves it by 0.005 or more."))


def network_states(source: str, z: zoo.Zoo, variants: list[str], text: str) -> None:
    """The hidden-state heatmap of one variant and one of its layers."""
    st.markdown("**What the network holds after each word**")
    st.caption(
        "Each row is one unit of a recurrent layer, each column one word: the colour is the unit's value after reading "
        "that word (one forward pass). Units are sorted by how their values follow the output over your text: the top "
        "rows rise and fall with P(positive), the bottom rows against it. An LSTM also carries a *cell state*, its "
        "long-term memory."
    )
    left, right = st.columns(2)
    # An order-free reference holds no state between words.
    recurrent = [v for v in variants if z.artifact(v).spec.reads_order]
    if not recurrent:
        st.info("None of these variants reads in order, so none holds a state between words.")
        return
    vid = left.selectbox("Variant", recurrent, key="states_variant", bind="query-params",
                         index=recurrent.index(preferred(recurrent, ["lstm-1x32-len500"], 1)[0]))
    try:
        with heavy_work(f"the hidden states of {vid}"):
            frames_by_state = states_frames(source, vid, text, z)
    except ArtifactError as error:
        st.error(f"Variant {vid} could not be loaded: {variant_problem(vid, error)}")
        return
    if "states_layer" in st.session_state and st.session_state.states_layer not in frames_by_state:
        del st.session_state.states_layer  # a layer of the variant chosen before
    name = right.selectbox("Layer", list(frames_by_state), key="states_layer", bind="query-params",
                           format_func=lambda n: n.replace(" cell", ": cell state") if n.endswith("cell") else f"{n}: output")
    frame = frames_by_state[name]
    if frame["position"].nunique() < 2:
        st.caption("With a single word, units cannot be sorted by how they follow the output.")
    st.altair_chart(states_chart(frame), width="stretch", height=STATE_ROW * int(frame["unit"].nunique()) + 150)


def importance_strip(frame: pd.DataFrame, variant_ids: list[str], words: list[str]) -> alt.TopLevelMixin:
    """One row per variant, one cell per word it reads, coloured by ΔP(positive) without that word,
    on the word axis of the reading chart above it (same domain, same axis width)."""
    first = int(frame["position"].min())
    domain = [word_tick(p, words[p - 1]) for p in range(first, len(words) + 1)]
    # The strongest word of any variant is the full colour, however small: where words matter is the lesson.
    largest = max(float(np.abs(frame["delta"]).max()) if len(frame) else 0.0, 0.005)
    frame = frame.assign(tick=[word_tick(p, w) for p, w in zip(frame["position"], frame["word"])])
    return readable(alt.Chart(frame).mark_rect().encode(
        x=alt.X("tick:O", scale=alt.Scale(domain=domain), axis=reading_axis(words, first)),
        y=alt.Y("variant:N", sort=catalog_order(variant_ids), title="word effect",
                axis=alt.Axis(labelLimit=AXIS_EXTENT - 10, labelOverlap=False, minExtent=AXIS_EXTENT,
                              maxExtent=AXIS_EXTENT)),
        color=alt.Color("delta:Q", scale=alt.Scale(domain=[-largest, 0, largest], range=IMPORTANCE_RANGE, clamp=True),
                        legend=alt.Legend(orient="bottom", title="ΔP(positive) without the word", format="+.2f")),
        tooltip=["variant", "word", alt.Tooltip("position:Q", title="word number"),
                 alt.Tooltip("delta:Q", format="+.3f", title="ΔP(positive)"),
                 alt.Tooltip("p_without:Q", format=".3f", title="P(positive) without it")],
    ).properties(height=STRIP_ROW * len(variant_ids)))


def states_chart(frame: pd.DataFrame) -> alt.Chart:
    """Units (rows, sorted by correlation with the output) × words (columns), with tooltips. The
    columns are labelled with the words (and, for a long text, about a dozen words and positions)."""
    largest = max(float(np.abs(frame["value"]).max()), 1e-6) if len(frame) else 1.0
    steps = frame.drop_duplicates("position").sort_values("position")
    labels = [word_tick(p, w) for p, w in zip(steps["position"], steps["word"])]
    first = int(steps["position"].min()) if len(steps) else 1
    last = int(steps["position"].max()) if len(steps) else 1
    ticks = [word_tick(p, w) for p, w in zip(steps["position"], steps["word"]) if p in set(word_ticks(last))]
    short = len(steps) <= LABEL_EVERY_WORD
    axis = alt.Axis(values=ticks, labelAngle=-45 if short else 0, labelOverlap="greedy", grid=False,
                    labelExpr="split(datum.label, '·')[0]" if short else "split(datum.label, '·')",
                    title="your text, word by word" if short else f"word (and its position), words {first}–{last}")
    frame = frame.assign(tick=[word_tick(p, w) for p, w in zip(frame["position"], frame["word"])])
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("tick:O", sort=labels, scale=alt.Scale(domain=labels), axis=axis),
        y=alt.Y("rank:O", axis=alt.Axis(labels=False, ticks=False, domain=False,
                                        title=["units: follow the output ↑", "oppose it ↓"])),
        color=alt.Color("value:Q", scale=alt.Scale(scheme=UNIT_SCHEME, domain=[-largest, largest]),
                        legend=alt.Legend(orient="bottom", title="unit value")),
        tooltip=["word", alt.Tooltip("position:Q", title="word number"), "unit",
                 alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("correlation:Q", format="+.2f", title="r with output")],
    ).properties(height=STATE_ROW * int(frame["unit"].nunique() or 1))
