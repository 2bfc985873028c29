"""The SimpleRNN Zoo in a browser: classify a review with every variant, and compare how they trained.

    streamlit run streamlit_app.py

A thin view over the ``zoo`` library. Loading is cached at the top; then the page is laid
out in the order a visitor sees it: the zoo chooser in the sidebar, then four tabs
(Classify, Compare training, Zoo, Architecture).
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

import zoo
from views.capabilities import capabilities_section
from zoo.architecture import layer_rows
from zoo.artifact import ArtifactError
from zoo.card import read_card
from zoo.cli import refusal
from zoo.examples import EXAMPLES
from zoo.explain import clip, count_positive, read_along, words_seen
from zoo.inference import THRESHOLD, label
from zoo.seed import SEED_BEST_EPOCH, SEED_HISTORY, SEED_NAME, SEED_PARAMS, SEED_PARAMS_BEFORE_DENSE, SEED_SUMMARY
from zoo.deployment import PUBLIC_ENV, public_mode, public_origin, without_paths
from zoo.store import HUB_SCHEME, ZOO_SOURCE_ENV, default_source
from zoo.text import MAX_TEXT_CHARS

#: How many of a long text's last words "What the model sees" prints (more than any maxlen).
WORDS_SHOWN = 600
#: Below this share of known words, the answer comes with a warning.
FEW_KNOWN = 0.5
#: Colours of the variants in the line charts (Altair's default "tableau10").
PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"] * 2
LABEL_COLORS = alt.Scale(domain=["positive", "negative"], range=["#2e7d32", "#c62828"])

st.set_page_config(page_title="SimpleRNN Zoo", page_icon="🦎", layout="wide")


# ---------------------------------------------------------------- cached loading


@st.cache_resource(show_spinner="Opening the zoo…", max_entries=4)
def open_zoo(source: str) -> tuple[zoo.Zoo, str | None]:
    """The zoo at ``source`` (models load lazily inside it and stay loaded), and a fallback notice."""
    return zoo.open_zoo_or_bundled(source)


@st.cache_data(show_spinner=False)
def variant_table(source: str) -> pd.DataFrame:
    """One row per variant: its spec and recorded metrics, or the error that makes it unreadable."""
    rows = []
    for entry in open_zoo(source)[0].entries():
        if entry.error is not None:
            rows.append({"id": entry.id, "error": entry.error})
            continue
        row = entry.artifact.summary()
        short = row.pop("short_text_accuracy") or {}
        rows.append(row | {f"{kind}_accuracy": value for kind, value in short.items()} | {"error": None})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False)
def history_frame(source: str, variant_ids: tuple[str, ...], with_seed: bool) -> pd.DataFrame:
    """Every epoch of every chosen variant (and of the seed), one row per metric and split."""
    z = open_zoo(source)[0]
    histories = [(vid, z.artifact(vid).history, z.artifact(vid).metadata["best_epoch"]) for vid in variant_ids]
    if with_seed:
        histories.append((SEED_NAME, SEED_HISTORY, SEED_BEST_EPOCH))
    rows = []
    for name, history, best_epoch in histories:
        for metric in ("loss", "accuracy"):
            for split, key in (("training", metric), ("validation", f"val_{metric}")):
                for epoch, value in enumerate(history[key], start=1):
                    rows.append({
                        "variant": name, "metric": metric, "split": split, "epoch": epoch, "value": value,
                        "best": split == "validation" and epoch == best_epoch,
                    })
    return pd.DataFrame(rows)


@st.cache_resource(show_spinner=False)
def models_warming(source: str, variant_ids: tuple[str, ...], _z: zoo.Zoo) -> Future:
    """Start loading the variants and compiling their forward passes (``Zoo.warm_up``) in a
    background thread, once per server; returns its future.

    It starts as the first visitor's page begins, so that the other tabs are drawn while it
    works; the Classify tab waits for it under a spinner, and the per-text functions below
    then only run the models.

    After every rerun Streamlit runs a full garbage collection, and so does the Keras
    ``clear_session`` it calls. With TensorFlow and the compiled models loaded, each took about
    300 ms per rerun (``scripts/app_speed.py``). ``gc.freeze()`` moves everything alive now, all of
    it kept for the server's life, out of the collector's sight: later collections only look
    at what the reruns create.
    """

    def warm_up() -> None:
        _z.warm_up(variant_ids)
        gc.collect()
        gc.freeze()

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zoo-warm-up")
    future = pool.submit(warm_up)
    pool.shutdown(wait=False)  # its thread ends once the warm-up is done
    return future


@st.cache_data(show_spinner=False, max_entries=256)
def classify_with_every_variant(source: str, text: str) -> dict[str, float | str]:
    """Each variant's probability of "positive" for ``text``, or the error of a broken variant."""
    results = open_zoo(source)[0].classify([text])
    return {vid: str(r) if isinstance(r, ArtifactError) else float(r[0]) for vid, r in results.items()}


@st.cache_data(show_spinner=False, max_entries=256)
def reading_frame(source: str, variant_id: str, text: str) -> pd.DataFrame:
    """A variant's probability of "positive" after each word of ``text`` (one forward pass)."""
    curve = read_along(open_zoo(source)[0], variant_id, text)
    return pd.DataFrame({
        "variant": variant_id, "position": curve.positions, "word": curve.words, "p_positive": curve.probabilities,
    })


@st.cache_data(show_spinner="Loading the model…")
def architecture(source: str, variant_id: str) -> pd.DataFrame:
    rows = layer_rows(open_zoo(source)[0].model(variant_id))
    return pd.DataFrame([{"Layer (type)": r.layer, "Output Shape": r.output_shape, "Param #": r.params} for r in rows])


def configured_source() -> str:
    """``$ZOO_SOURCE``, else the ``ZOO_SOURCE`` secret, else the bundled zoo."""
    if os.environ.get(ZOO_SOURCE_ENV):
        return os.environ[ZOO_SOURCE_ENV]
    try:
        return st.secrets.get(ZOO_SOURCE_ENV) or default_source()
    except StreamlitSecretNotFoundError:
        return default_source()


def is_public() -> bool:
    """Public mode (``zoo.deployment``): ``$ZOO_PUBLIC``, else the ``ZOO_PUBLIC`` secret."""
    if PUBLIC_ENV in os.environ:
        return public_mode()
    try:
        return public_mode({PUBLIC_ENV: str(st.secrets.get(PUBLIC_ENV, ""))})
    except StreamlitSecretNotFoundError:
        return False


def shown_origin(z: zoo.Zoo, public: bool) -> dict:
    """Where the zoo comes from, as the page shows it: in public mode, without server paths."""
    return public_origin(z.origin) if public else dict(z.origin)


def for_visitors(message: str, source: str, public: bool) -> str:
    """A message as the page shows it: in public mode, with the server's paths masked."""
    if not public:
        return message
    from huggingface_hub import constants

    paths = [Path(__file__).resolve().parent, Path.home(), constants.HF_HUB_CACHE, constants.HF_HOME]
    if not source.startswith(HUB_SCHEME):
        paths += [source, Path(source).expanduser().resolve()]
    return without_paths(message, paths)


def preferred(options: list[str], wanted: list[str], fallback: int = 3) -> list[str]:
    """The wanted ids the zoo has, else its first few: a default that exists in any zoo."""
    return [vid for vid in wanted if vid in options] or options[:fallback]


def use_example() -> None:
    name = st.session_state.example
    if name:
        st.session_state.review = EXAMPLES[name]
        st.session_state.submitted = EXAMPLES[name]


def submit_review() -> None:
    st.session_state.submitted = st.session_state.review
    st.session_state.example = None


# ---------------------------------------------------------------- sidebar: which zoo

with st.sidebar:
    st.header("The zoo")
    public = is_public()
    if public:
        # Visitors of a public deployment get the zoo it was configured with: no source box, no reload.
        source = configured_source()
        st.caption("This demo serves one zoo, chosen when it was deployed.")
    else:
        source = st.text_input(
            "Zoo source", value=configured_source(),
            help="A zoo folder on this machine, or `hf://OWNER/NAME[@REVISION]` on the Hugging Face Hub.",
        )
        if st.button("Reload the zoo", help="Read the zoo again, e.g. after new variants were trained."):
            gc.unfreeze()  # the old zoo's models can be collected once the caches let go of them
            open_zoo.clear()
            models_warming.clear()
            st.cache_data.clear()
    try:
        z, notice = open_zoo(source)
    except zoo.ZooError as error:
        st.error(f"Cannot open this zoo: {for_visitors(str(error), source, public)}")
        st.stop()
    if notice:
        st.warning(for_visitors(notice, source, public))
    # As early as possible: TensorFlow's import alone takes seconds.
    warming = models_warming(source, tuple(z.ids), z)
    st.caption("Where it comes from")
    st.table(pd.DataFrame({"": {key: str(value) for key, value in shown_origin(z, public).items()}}), hide_header=True)

table = variant_table(source)
readable = table.loc[table["error"].isna(), "id"].tolist()

# ---------------------------------------------------------------- title

st.title("🦎 The SimpleRNN Zoo")
st.markdown(
    f"**{len(table)} small recurrent neural networks** that read an English movie review word by word "
    "and guess whether it is positive or negative. They were trained on IMDB reviews and differ in their "
    "recurrent cell (SimpleRNN, LSTM, GRU), their depth, and how many words they read (`maxlen`)."
)
if not len(table):
    st.info("This zoo has no variants yet. Train some with `python -m training.train`, then press *Reload the zoo*.")
    st.stop()

classify_tab, training_tab, zoo_tab, architecture_tab, capabilities_tab = st.tabs(
    ["✍️ Classify", "📈 Compare training", "🗂️ Zoo", "🏗️ Architecture", "🔬 What they can do"]
)

# ---------------------------------------------------------------- 1. classify

@st.fragment
def classify_section(source: str, z: zoo.Zoo, table: pd.DataFrame, readable: list[str], warming: Future) -> None:
    """The Classify tab. A fragment: pressing Classify or picking an example reruns only this
    section, not the training charts of the other tabs, which do not depend on the text."""
    st.header("Classify a review")
    st.caption(
        "Type or paste a movie review in English (or pick an example), then press **Classify** or Ctrl+Enter. "
        "Every variant reads it and gives its probability that the review is positive."
    )
    st.session_state.setdefault("review", next(iter(EXAMPLES.values())))
    st.session_state.setdefault("submitted", st.session_state.review)
    st.pills("Examples written for this demo", list(EXAMPLES), key="example", on_change=use_example)
    with st.form("classify"):
        st.text_area("Your review", key="review", height=140, placeholder="What did you think of the film?")
        st.form_submit_button("Classify", type="primary", on_click=submit_review, key="classify_button")

    text = st.session_state.submitted
    why = refusal(text)
    if why:
        st.info(f"Nothing to classify: {why}. Type a review in the box above, or pick an example.")
    else:
        if len(text) > MAX_TEXT_CHARS:
            st.warning(
                f"Your text has {len(text):,} characters; only its last {MAX_TEXT_CHARS:,} are read. "
                f"Each variant reads only the last `maxlen` words of that anyway ({max(table['maxlen'].dropna()):.0f} at most)."
            )
        text = clip(text)
        if not warming.done():
            with st.spinner("Loading the models (only the first visitor waits)…"):
                wait([warming])
        if warming.exception():
            st.warning(f"The models could not be prepared in advance ({warming.exception()}); answers may be slow.")
        results = classify_with_every_variant(source, text)
        answers = {vid: p for vid, p in results.items() if isinstance(p, float)}
        seen = words_seen(text, z.vocabulary(readable[0])) if readable else None

        if answers:
            positive = count_positive(answers)
            st.subheader(f"{positive} of {len(answers)} variants say positive")
        if seen is not None:
            st.caption(f"The models knew {seen.known_count} of the {len(seen.words)} words in your text.")
            if seen.known_count < FEW_KNOWN * len(seen.words):
                st.warning(
                    f"The models knew only {seen.known_count} of {len(seen.words)} words; the rest all read as the "
                    "same unknown-word token. They were trained on English reviews, so take this answer with a grain of salt."
                )
        for vid, error in results.items():
            if isinstance(error, str):
                st.error(f"Variant {vid} could not answer: {error}")

        rows = pd.DataFrame([
            {"variant": vid, "P(positive)": p, "says": label(p)} if isinstance(p, float)
            else {"variant": vid, "P(positive)": None, "says": "error"}
            for vid, p in results.items()
        ])
        chart_column, table_column = st.columns([3, 2])
        bars = alt.Chart(rows.dropna(subset=["P(positive)"])).mark_bar().encode(
            x=alt.X("P(positive):Q", scale=alt.Scale(domain=[0, 1]), title="probability of positive"),
            y=alt.Y("variant:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color("says:N", scale=LABEL_COLORS, legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["variant", alt.Tooltip("P(positive):Q", format=".3f"), "says"],
        )
        threshold = alt.Chart(pd.DataFrame({"x": [THRESHOLD]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
        chart_column.altair_chart(bars + threshold, width="stretch")
        table_column.table(rows.style.format({"P(positive)": "{:.3f}"}, na_rep="—"), hide_index=True)

        if seen is not None:
            st.subheader("What the model sees")
            st.caption(
                "Before reading, the text is lower-cased, HTML tags and punctuation are dropped, and it is split into words. "
                f"Words outside the {int(table['num_words'].max()):,}-word vocabulary learned from the training reviews are "
                ":orange-background[highlighted]: they all become one *unknown* token. A variant reads only the last "
                "`maxlen` words; the :blue-background[▸ markers] show where each `maxlen` starts reading."
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
                pieces.append(word if seen.known[i] else f":orange-background[{word}]")
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

        st.subheader("Sentiment as it reads")
        st.caption(
            "The probability of *positive* after each word, computed in one pass: the recurrent layer's state after "
            "every word goes through the output layer. Watch a SimpleRNN forget the start of a long review while an LSTM holds on."
        )
        reading_ids = st.multiselect(
            "Variants to follow", readable, key="reading_variants",
            default=preferred(readable, ["simplernn-1x32-len500", "lstm-1x32-len500", "gru-1x32-len500"]),
        )
        curves = []
        for vid in reading_ids:
            try:
                curves.append(reading_frame(source, vid, text))
            except ArtifactError as error:
                st.error(f"Variant {vid} could not answer: {error}")
        if curves:
            curve = alt.Chart(pd.concat(curves)).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
                x=alt.X("position:Q", title="word position in your text"),
                y=alt.Y("p_positive:Q", scale=alt.Scale(domain=[0, 1]), title="probability of positive"),
                color=alt.Color("variant:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom", title=None, labelLimit=0)),
                tooltip=["variant", "position", "word", alt.Tooltip("p_positive:Q", format=".3f", title="P(positive)")],
            )
            middle = alt.Chart(pd.DataFrame({"y": [THRESHOLD]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
            st.altair_chart(curve + middle, width="stretch")


# ---------------------------------------------------------------- 2. compare training

with training_tab:
    st.header("Compare training")
    st.caption(
        "Loss and accuracy after every epoch, on the training reviews (solid) and on the held-out validation "
        "reviews (dashed). A diamond marks each variant's best validation epoch: the weights kept in the zoo."
    )
    chosen = st.multiselect(
        "Variants to compare", readable, key="compared_variants",
        default=preferred(readable, ["simplernn-1x32-len500", "simplernn-2x32-len500", "simplernn-4x32-len500"]),
    )
    with_seed = st.toggle(
        "Overlay the seed tutorial's published history", value=True, key="seed_overlay",
        help=f"The 10 epochs the seed tutorial printed; it overfits after epoch {SEED_BEST_EPOCH}.",
    )
    history = history_frame(source, tuple(chosen), with_seed)
    if history.empty:
        st.info("Choose at least one variant.")
    else:
        names = [*chosen, SEED_NAME] if with_seed else chosen
        # One colour per variant; the seed in grey, so the zoo's own lines stand out.
        colors = alt.Scale(domain=names, range=[*PALETTE[: len(chosen)], "#8a8a8a"][: len(names)])
        for column, metric in zip(st.columns(2), ("loss", "accuracy")):
            base = alt.Chart(history[history["metric"] == metric]).encode(
                x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1), title="epoch"),
                y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=metric),
                color=alt.Color("variant:N", scale=colors, legend=alt.Legend(orient="bottom", columns=1, title=None, labelLimit=0)),
                tooltip=["variant", "split", "epoch", alt.Tooltip("value:Q", format=".4f", title=metric)],
            )
            lines = base.mark_line(point=True).encode(
                strokeDash=alt.StrokeDash("split:N", sort=["training", "validation"], legend=None)
            )
            best = base.transform_filter(alt.datum.best).mark_point(shape="diamond", size=220, filled=True, opacity=1)
            column.altair_chart((lines + best).properties(title=metric.capitalize()), width="stretch", height=300 + 24 * len(names))

    st.subheader("Test accuracy by depth and maxlen")
    st.caption("SimpleRNN variants trained with the seed's recipe, measured once on the 25,000 test reviews.")
    grid = table[(table["cell"] == "SimpleRNN") & (table["recipe"] == "seed")]
    if grid.empty:
        st.info("This zoo has no SimpleRNN variants with the seed recipe.")
    else:
        cells = alt.Chart(grid).encode(
            x=alt.X("maxlen:O", title="maxlen (words read)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("layers:O", title="SimpleRNN layers"),
            tooltip=["id", alt.Tooltip("test_accuracy:Q", format=".4f"), "best_epoch", "params"],
        )
        heat = cells.mark_rect().encode(color=alt.Color("test_accuracy:Q", scale=alt.Scale(scheme="greens"), title="test accuracy"))
        labels = cells.mark_text(fontSize=16).encode(text=alt.Text("test_accuracy:Q", format=".3f"))
        st.altair_chart((heat + labels).properties(height=70 * grid["layers"].nunique() + 40), width="stretch")

    st.subheader("Seconds per epoch")
    st.caption("Wall-clock training time of one epoch on a 2-core CPU (after the first epoch, which also compiles).")
    timing = table.dropna(subset=["seconds_per_epoch"])
    st.altair_chart(
        alt.Chart(timing).mark_bar().encode(
            x=alt.X("seconds_per_epoch:Q", title="seconds per epoch"),
            y=alt.Y("id:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color("cell:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["id", alt.Tooltip("seconds_per_epoch:Q", format=".1f"), "epochs", "params"],
        ),
        width="stretch",
    )

# ---------------------------------------------------------------- 3. the zoo

with zoo_tab:
    st.header("The zoo")
    st.caption("Every variant with its settings and recorded metrics. Click a column header to sort.")
    st.dataframe(
        table,
        hide_index=True,
        column_order=[
            "id", "cell", "layers", "maxlen", "recipe", "test_accuracy", "val_accuracy", "best_epoch", "epochs",
            "seconds_per_epoch", "params", "first_sentence_accuracy", "last_sentence_accuracy", "test_loss",
            "units", "num_words", "size_bytes", "error",
        ],
        column_config={
            "id": st.column_config.TextColumn("variant", pinned=True),
            "params": st.column_config.NumberColumn("params", format="localized"),
            "val_accuracy": st.column_config.NumberColumn("val acc", format="%.4f"),
            "test_accuracy": st.column_config.NumberColumn("test acc", format="%.4f"),
            "test_loss": st.column_config.NumberColumn("test loss", format="%.4f"),
            "first_sentence_accuracy": st.column_config.NumberColumn("first sentence acc", format="%.4f"),
            "last_sentence_accuracy": st.column_config.NumberColumn("last sentence acc", format="%.4f"),
            "seconds_per_epoch": st.column_config.NumberColumn("s / epoch", format="%.1f"),
            "size_bytes": st.column_config.NumberColumn("size", format="bytes"),
            "best_epoch": "best epoch",
            "num_words": "vocabulary",
        },
    )
    for row in table[table["error"].notna()].itertuples():
        st.error(f"Variant {row.id} is broken: {row.error}")

    if readable:
        card_id = st.selectbox("Model card of", readable, key="card_variant")
        artifact = z.artifact(card_id)
        card_header, card_body = read_card(artifact.path)
        card_column, provenance_column = st.columns([3, 2])
        with card_column, st.container(border=True, height=520):
            st.markdown(card_body)
        with provenance_column:
            st.markdown("**Where it comes from**")
            st.json({
                "zoo": shown_origin(z, public), "seed": artifact.metadata["seed"],
                "created": artifact.metadata["created"], "data": artifact.metadata["data"],
                "versions": artifact.metadata["versions"],
            })
            with st.expander("Hugging Face card metadata"):
                st.json(card_header)

# ---------------------------------------------------------------- 4. architecture

with architecture_tab:
    st.header("Architecture")
    st.caption(
        "The layers of a variant as Keras' `model.summary()` lists them. `None` is a size left open: "
        "the batch, and the number of words (the text pipeline cuts reviews to `maxlen`)."
    )
    if readable:
        deepest = table.loc[table["error"].isna()].sort_values(["layers", "maxlen"], ascending=False)["id"].iloc[0]
        layers_id = st.selectbox("Variant", readable, index=readable.index(deepest), key="architecture_variant")
        try:
            summary = architecture(source, layers_id)
        except ArtifactError as error:
            st.error(f"Variant {layers_id} could not be loaded: {error}")
        else:
            total = int(summary["Param #"].sum())
            summary_column, seed_column = st.columns(2)
            with summary_column:
                st.markdown(f"**{layers_id}**")
                st.table(summary.style.format({"Param #": "{:,}"}), hide_index=True)
                st.metric("Total parameters", f"{total:,}")
            with seed_column:
                st.markdown("**The seed tutorial's `model.summary()`**")
                st.table(
                    pd.DataFrame(SEED_SUMMARY, columns=["Layer (type)", "Output Shape", "Param #"]).style.format({"Param #": "{:,}"}),
                    hide_index=True,
                )
                st.caption(
                    f"320,000 = 10,000 words × 32 numbers each; 2,080 = 32 × (32 inputs + 32 state + 1 bias) per SimpleRNN(32); "
                    f"{SEED_PARAMS_BEFORE_DENSE:,} before the Dense layer and {SEED_PARAMS:,} in all."
                )
            if total == SEED_PARAMS:
                st.success(f"{layers_id} has exactly the seed's {SEED_PARAMS:,} parameters.")

# The Classify tab is filled last, though it comes first on the page: its answers wait for the
# models, which load in the background (``models_warming``) while the other tabs are drawn.
with classify_tab:
    classify_section(source, z, table, readable, warming)

with capabilities_tab:
    capabilities_section(source, z, readable, warming)
