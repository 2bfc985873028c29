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
from zoo.probes import ORDERS, SPAN_SHARE, TESTS, fresh_probes, run_probes, span_text

from .colors import HEAT, NEGATIVE, POSITIVE, UNIT_SCHEME, variant_scale
from .loading import Warming, wait_for_models
from .classify import submitted_text
from .messages import shown, variant_problem
from .widgets import chip_colors, preferred
from .work import HEAVY, heavy_work

#: At most this many variants side by side in "Which words matter".
MAX_COMPARED = 3
#: Characters per line of a variant's text in "Which words matter".
LINE_CHARS = 36
#: Colours of the word-importance scale: towards negative, no effect, towards positive
#: (the verdict's own two colours, ``views.colors``).
IMPORTANCE_RANGE = [NEGATIVE, "#f4f4f4", POSITIVE]
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
            "label": [f"{position} {word}" for position, word in
                      zip(states.positions[words.ravel()], np.asarray(states.words, dtype=object)[words.ravel()])],
            "unit": units.ravel(),
            "rank": rank[units.ravel()],
            "correlation": correlations[units.ravel()],
            "value": values.ravel(),
        })
    return frames


def word_layout(words: list[str], line_chars: int = LINE_CHARS) -> pd.DataFrame:
    """Where each word goes when the text is set in lines of ``line_chars`` characters:
    its line and its first and last character column."""
    rows, line, column = [], 0, 0
    for word in words:
        if column and column + len(word) > line_chars:
            line, column = line + 1, 0
        rows.append({"line": line, "start": column, "end": column + len(word)})
        column += len(word) + 1
    return pd.DataFrame(rows, columns=["line", "start", "end"])


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

    st.subheader("Probes")
    st.caption(
        "Accuracy of every variant on each probe (hover a cell for the probe, an example and n). The *not good*, "
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
    labels = base.mark_text(fontSize=10).encode(text=alt.Text("accuracy:Q", format=".2f"))
    st.altair_chart((heat + labels).properties(height=26 * len(TESTS)), width="stretch", height=26 * len(TESTS) + 190)

    explain_section(source, z, variants, warming)


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

    st.markdown("**Which words matter**")
    st.caption(
        "Each word is coloured by how much the variant's P(positive) drops when that word alone is removed: "
        ":blue-background[blue] words pushed it towards *positive*, :red-background[red] ones towards *negative*. "
        "All the copies with one word removed go through the model in one batch. Hover a word for the numbers."
    )
    chosen = st.multiselect(
        f"Variants side by side (up to {MAX_COMPARED})", variants, key="importance_variants", max_selections=MAX_COMPARED,
        bind="query-params",
        default=preferred(variants, ["simplernn-1x32-len500", "lstm-1x32-len500", "simplernn-1x32-len300-tuned"])[:MAX_COMPARED],
    )
    frames = {}
    for vid in chosen:
        try:
            with heavy_work(f"the word importance of {vid}"):
                frames[vid] = importance_frame(source, vid, text, z)
        except ArtifactError as error:
            st.error(f"Variant {vid} could not answer: {variant_problem(vid, error)}")
    if frames:
        largest = max(max(float(np.abs(f["delta"]).max()) if len(f) else 0.0, 0.05) for f in frames.values())
        scale = alt.Scale(domain=[-largest, 0, largest], range=IMPORTANCE_RANGE, clamp=True)
        for column, (vid, frame) in zip(st.columns(len(frames)), frames.items()):
            with column:
                st.markdown(f"**{vid}**")
                p = float(frame["p_positive"].iloc[0]) if len(frame) else float("nan")
                st.caption(f"P(positive) = {p:.3f}; it reads {len(frame)} of the {len(seen.words)} words.")
                st.altair_chart(importance_chart(frame, scale), width="content")
    else:
        st.info("Choose at least one variant.")

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


def importance_chart(frame: pd.DataFrame, scale: alt.Scale) -> alt.LayerChart:
    """The words set as text, each on a rectangle coloured by its ΔP(positive), with tooltips."""
    layout = word_layout(list(frame["word"]))
    data = pd.concat([frame.reset_index(drop=True), layout], axis=1)
    lines = int(layout["line"].max()) + 1 if len(layout) else 1
    base = alt.Chart(data).encode(
        y=alt.Y("line:O", axis=None),
        tooltip=["word", alt.Tooltip("position:Q", title="word number"),
                 alt.Tooltip("delta:Q", format="+.3f", title="ΔP(positive)"),
                 alt.Tooltip("p_without:Q", format=".3f", title="P(positive) without it")],
    )
    x = alt.X("start:Q", axis=None, scale=alt.Scale(domain=[0, LINE_CHARS]))
    boxes = base.mark_rect(cornerRadius=3).encode(
        x=x, x2="end:Q", color=alt.Color("delta:Q", scale=scale, legend=None),
    )
    words = base.mark_text(align="left", baseline="middle", dx=1, font="monospace", fontSize=12).encode(x=x, text="word:N")
    return (boxes + words).properties(width=LINE_CHARS * 7.3, height=20 * lines)


def states_chart(frame: pd.DataFrame) -> alt.Chart:
    """Units (rows, sorted by correlation with the output) × words (columns), with tooltips."""
    largest = max(float(np.abs(frame["value"]).max()), 1e-6) if len(frame) else 1.0
    many = frame["position"].nunique() > 60
    order = list(dict.fromkeys(frame.sort_values("position")["label"]))
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("label:N", sort=order, title="words (hover for each)" if many else None,
                axis=alt.Axis(labels=not many, ticks=not many, labelAngle=-60)),
        y=alt.Y("rank:O", title="units, from following the output to opposing it", axis=None),
        color=alt.Color("value:Q", scale=alt.Scale(scheme=UNIT_SCHEME, domain=[-largest, largest]),
                        legend=alt.Legend(orient="bottom", title="value")),
        tooltip=["word", alt.Tooltip("position:Q", title="word number"), "unit",
                 alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("correlation:Q", format="+.2f", title="r with output")],
    ).properties(height=STATE_ROW * int(frame["unit"].nunique() or 1))
