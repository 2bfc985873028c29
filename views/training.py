"""The Compare training tab: histories side by side, the depth × maxlen grid, seconds per epoch."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import zoo
from zoo.lessons import NOISE
from zoo.seed import SEED_BEST_EPOCH, SEED_NAME

from .colors import HEAT, NEUTRAL, TEXT, readable, variant_scale
from .loading import history_frame, seed_band_frame
from .own_variants import own_history_frame
from .widgets import chip_colors, preferred

HISTORY_HEIGHT = 400
SPLIT_DASH = alt.Scale(domain=["training", "validation"], range=[[1, 0], [6, 4]])


def training_section(source: str, z: zoo.Zoo, table: pd.DataFrame, readable_ids: list[str]) -> None:
    st.header("Compare training")
    st.caption(
        "Loss and accuracy after every epoch, on the training reviews (solid) and on the held-out validation "
        "reviews (dashed). A diamond marks each variant's best validation epoch: the weights kept in the zoo. "
        "Point at a chart to read every line at that epoch."
    )
    chosen = st.multiselect(
        "Variants to compare", readable_ids, key="compared_variants", bind="query-params",
        default=preferred(readable_ids, ["simplernn-1x32-len500", "simplernn-2x32-len500", "simplernn-4x32-len500"]),
    )
    chip_colors("compared_variants", chosen)
    with_seed = st.toggle(
        "Overlay the seed tutorial's published history", value=True, key="seed_overlay", bind="query-params",
        help=f"The 10 epochs of the tutorial's own IMDB model, SimpleRNN(32) with maxlen 500 "
             f"(the zoo's simplernn-1x32-len500); it overfits after epoch {SEED_BEST_EPOCH}.",
    )
    history = history_frame(source, tuple(chosen), with_seed)
    bands = seed_band_frame(source, tuple(chosen))
    own = own_history_frame()  # the visitor's own variants (tab Train your own), always drawn
    if not own.empty:
        history = pd.concat([history, own], ignore_index=True)
        chosen = [*chosen, *own["variant"].unique()]
        st.caption("Drawn too, in shades of indigo: your own " + ", ".join(f"**{name}**" for name in own["variant"].unique())
                   + " (tab *Train your own*).")
    if history.empty:
        st.info("Choose at least one variant.")
    else:
        if not bands.empty:
            st.caption("The shaded band is the range of the validation curve over the seeds the variant was trained "
                       "with (the lines are the seed the zoo serves): differences inside it are noise.")
        for column, metric in zip(st.columns(2), ("loss", "accuracy")):
            column.altair_chart(history_chart(history[history["metric"] == metric], metric, chosen, with_seed,
                                              bands[bands["metric"] == metric]),
                                width="stretch", height=HISTORY_HEIGHT)
        st.download_button("Histories (CSV)", history.to_csv(index=False), "histories.csv", "text/csv",
                           key="histories_csv", on_click="ignore")

    depth_by_maxlen(table)
    seconds_per_epoch(z, table)


def history_chart(data: pd.DataFrame, metric: str, chosen: list[str], with_seed: bool,
                  bands: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """One metric's lines, with a hover rule whose tooltip lists every line at the nearest epoch, over
    the band of each variant's validation curve across its seeds (``bands``, when it has any)."""
    colors = variant_scale(chosen, seed=SEED_NAME if with_seed else None)
    base = alt.Chart(data).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d"), title="epoch"),
        y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=metric),
        color=alt.Color("variant:N", scale=colors,
                        legend=alt.Legend(orient="top", columns=1, title=None, labelLimit=0, symbolStrokeWidth=3)),
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=22)).encode(
        strokeDash=alt.StrokeDash("split:N", scale=SPLIT_DASH, legend=None),  # said in the subtitle
        tooltip=["variant", "split", "epoch", alt.Tooltip("value:Q", format=".4f", title=metric)],
    )
    best = base.transform_filter(alt.datum.best).mark_point(shape="diamond", size=200, filled=True, opacity=1)

    # One row per epoch, one column per line, for the hover tooltip (TensorBoard's "all runs at this step").
    data = data.assign(line=data["variant"] + " · " + data["split"])
    wide = data.pivot_table(index="epoch", columns="line", values="value").reset_index()
    keys = {line: f"line{i}" for i, line in enumerate(wide.columns[1:])}
    wide = wide.rename(columns=keys)
    hover = alt.selection_point(fields=["epoch"], nearest=True, on="pointerover", clear="pointerout", empty=False)
    rule = alt.Chart(wide).mark_rule(color=TEXT, strokeWidth=1.5).encode(
        x="epoch:Q",
        opacity=alt.condition(hover, alt.value(0.5), alt.value(0)),
        tooltip=[alt.Tooltip("epoch:Q"), *[alt.Tooltip(f"{key}:Q", title=line, format=".4f") for line, key in keys.items()]],
    ).add_params(hover)
    turns = loss_turns(data) if metric == "loss" else pd.DataFrame()
    title = alt.TitleParams(metric.capitalize(), subtitle="━━ training    ╍╍ validation    ◆ best epoch"
                            + ("    ┆ validation loss turns up" if len(turns) else ""), subtitleColor=TEXT, anchor="start")
    layers = [lines, best, rule]
    if len(turns):
        layers[1:1] = turn_marks(turns, colors, int(data["epoch"].max()))
    if bands is not None and not bands.empty:
        band = alt.Chart(bands).mark_area(opacity=0.18).encode(
            x="epoch:Q", y="low:Q", y2="high:Q", color=alt.Color("variant:N", scale=colors, legend=None),
            tooltip=["variant", "epoch", "seeds", alt.Tooltip("low:Q", format=".4f"), alt.Tooltip("high:Q", format=".4f")])
        layers.insert(0, band)
    return readable(alt.layer(*layers).properties(title=title, height=HISTORY_HEIGHT))


def loss_turns(history: pd.DataFrame) -> pd.DataFrame:
    """For each line whose validation loss rises after its lowest point, that epoch: where
    overfitting starts. Computed from the histories shown, never typed."""
    validation = history[(history["metric"] == "loss") & (history["split"] == "validation")]
    rows = []
    for variant, line in validation.groupby("variant", sort=False):
        lowest = line.loc[line["value"].idxmin()]
        if lowest["epoch"] < line["epoch"].max():
            rows.append({"variant": variant, "turn_epoch": int(lowest["epoch"]), "value": float(lowest["value"])})
    return pd.DataFrame(rows, columns=["variant", "turn_epoch", "value"])


#: Pixels between two rows of "turns up after" words.
TURN_ROW = 14


def turn_marks(turns: pd.DataFrame, colors: alt.Scale, last_epoch: int) -> list[alt.Chart]:
    """A dotted rule in each line's colour at the epoch its validation loss turns up, and the
    words once per such epoch, at the top of the chart: each epoch on a row of its own (on a
    phone, neighbouring epochs are a few pixels apart), on the side of its rule with more room."""
    rules = alt.Chart(turns).mark_rule(strokeDash=[2, 3], strokeWidth=2, opacity=0.8).encode(
        x="turn_epoch:Q", color=alt.Color("variant:N", scale=colors, legend=None),
        tooltip=["variant", alt.Tooltip("turn_epoch:Q", title="validation loss lowest at epoch"),
                 alt.Tooltip("value:Q", format=".4f", title="validation loss")])
    epochs = turns.groupby("turn_epoch", as_index=False).size().sort_values("turn_epoch")
    epochs = epochs.assign(text=[f"turns up after {e}" for e in epochs["turn_epoch"]],
                           row=[4 + TURN_ROW * i for i in range(len(epochs))])
    words = []
    for right, side in epochs.groupby(epochs["turn_epoch"] > (1 + last_epoch) / 2):
        words.append(alt.Chart(side).mark_text(
            align="right" if right else "left", baseline="top", dx=-4 if right else 4, angle=0, color=TEXT,
            fontSize=11).encode(x="turn_epoch:Q", y=alt.Y("row:Q", scale=None, axis=None), text="text:N"))
    return [rules, *words]


def depth_by_maxlen(table: pd.DataFrame) -> None:
    st.subheader("Test accuracy by depth and maxlen")
    st.caption("SimpleRNN variants trained with the seed's recipe, measured once on the 25,000 test reviews. Each cell "
               f"is one training run: two runs of one recipe differ by about {NOISE:.2f}, so read smaller differences as noise. "
               "The colour runs from chance (0.5) to perfect (1).")
    grid = table[(table["cell"] == "SimpleRNN") & (table["recipe"] == "seed")]
    if grid.empty:
        st.info("This zoo has no SimpleRNN variants with the seed recipe.")
        return
    cells = alt.Chart(grid).encode(
        x=alt.X("maxlen:O", title="maxlen (words read)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("layers:O", title="SimpleRNN layers"),
        tooltip=["id", alt.Tooltip("test_accuracy:Q", format=".4f"), "best_epoch", "params"],
    )
    heat = cells.mark_rect().encode(
        # From chance to perfect: a colour difference is as large as the difference in accuracy,
        # never a run-to-run wobble stretched over the whole scale.
        color=alt.Color("test_accuracy:Q", scale=alt.Scale(range=list(HEAT), domain=[0.5, 1]), title="test accuracy",
                        legend=alt.Legend(format=".2f", values=[0.5, 0.75, 1]))
    )
    labels = cells.mark_text(fontSize=16, color=TEXT).encode(text=alt.Text("test_accuracy:Q", format=".3f"))
    height = 70 * grid["layers"].nunique() + 40
    st.altair_chart(readable((heat + labels).properties(height=height)), width="stretch", height=height)


def machine_words(z: zoo.Zoo) -> str:
    """Where the variants were trained, from their metadata (``training.machine``), in words."""
    machines = set()
    for artifact in z.artifacts():
        machine = (artifact.metadata.get("training") or {}).get("machine")
        if isinstance(machine, dict) and machine.get("cpu"):
            cores = machine.get("cores")
            machines.add(f"{machine['cpu']}" + (f", {cores} cores" if cores else ""))
    if len(machines) == 1:
        return f"on the machine that trained them ({machines.pop()})"
    return "on the machine that trained each variant"


def seconds_per_epoch(z: zoo.Zoo, table: pd.DataFrame) -> None:
    st.subheader("Seconds per epoch")
    st.caption(f"Wall-clock training time of one epoch {machine_words(z)}, after the first epoch, which also compiles.")
    timing = table.dropna(subset=["seconds_per_epoch"])
    st.altair_chart(
        readable(alt.Chart(timing).mark_bar(color=NEUTRAL).encode(
            x=alt.X("seconds_per_epoch:Q", title="seconds per epoch"),
            y=alt.Y("id:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
            tooltip=["id", "cell", alt.Tooltip("seconds_per_epoch:Q", format=".1f"), "epochs", "params"],
        )),
        width="stretch",
    )
