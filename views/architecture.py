"""The Architecture tab: a variant's layers, next to the seed tutorial model it is comparable to,
a picture of its recurrence, and the parameter arithmetic of each recurrent cell."""

from __future__ import annotations

from html import escape

import pandas as pd
import streamlit as st

from zoo.architecture import GATES, RecurrentLayer, cells_compared
from zoo.artifact import ArtifactError
from zoo.seed import SEED_PARAMS, SEED_PARAMS_BEFORE_DENSE, SEED_SUMMARY, SEED_VARIANT

from .colors import NEUTRAL, TEXT
from .loading import architecture, recurrence
from .messages import variant_problem

#: The words the recurrence picture reads, one per step.
PICTURE_WORDS = ("a", "great", "film")


def summary_table(summary: pd.DataFrame) -> None:
    st.table(summary.style.format({"Param #": "{:,}"}), hide_index=True)


def architecture_section(source: str, table: pd.DataFrame, readable_ids: list[str]) -> None:
    st.header("Architecture")
    st.caption(
        "The layers of a variant as Keras' `model.summary()` lists them. `None` is a size left open: "
        "the batch, and the number of words (the text pipeline cuts reviews to `maxlen`). "
        "The seed tutorial builds two models: its IMDB model, one `SimpleRNN(32)` (the zoo's "
        f"`{SEED_VARIANT}`), and a stack of four, whose summary it prints. Each variant is shown next to the one it compares with."
    )
    if not readable_ids:
        return
    sound = table.loc[table["error"].isna()].set_index("id")
    deepest = sound.sort_values(["layers", "maxlen"], ascending=False).index[0]
    layers_id = st.selectbox("Variant", readable_ids, index=readable_ids.index(deepest), key="architecture_variant",
                             bind="query-params")
    try:
        summary = architecture(source, layers_id)
        layers = recurrence(source, layers_id)
    except ArtifactError as error:
        st.error(f"Variant {layers_id} could not be loaded: "
                 f"{variant_problem(layers_id, error)}")
        return
    total = int(summary["Param #"].sum())
    spec = sound.loc[layers_id]
    stack = spec["cell"] == "SimpleRNN" and spec["layers"] > 1
    summary_column, seed_column = st.columns(2)
    with summary_column:
        st.markdown(f"**{layers_id}**")
        summary_table(summary)
        st.metric("Total parameters", f"{total:,}")
    with seed_column:
        compared = seed_model(source, readable_ids, stack)
    if compared is not None:
        recurrent = int(summary.iloc[1:-1]["Param #"].sum())
        st.info(compared_note(layers_id, spec, stack, total, recurrent, *compared))
    recurrence_section(layers_id, layers)


def compared_note(variant_id: str, spec: pd.Series, stack: bool, total: int, recurrent: int,
                  compared: str, compared_total: int) -> str:
    """How the variant's parameters compare with the seed model's (``compared``)."""
    if not spec["reads_order"]:
        return (f"{variant_id} reads no word order: it has no recurrent layer, {total:,} parameters in all "
                f"({compared_total:,} in {compared}). It is one of the zoo's order-free references.")
    if variant_id == SEED_VARIANT:
        return f"{variant_id} is the seed tutorial's IMDB model, trained again for the zoo."
    if stack and spec["layers"] == 4 and total == compared_total:
        return f"{variant_id} is the seed's 4-layer stack: the same layers and the same {total:,} parameters."
    difference = total - compared_total
    return (f"{variant_id} has {abs(difference):,} parameters {'more' if difference > 0 else 'fewer'} than {compared} "
            f"({total:,} against {compared_total:,}); its recurrent layers hold {recurrent:,} of them.")


def seed_model(source: str, readable_ids: list[str], stack: bool) -> tuple[str, int] | None:
    """The seed tutorial's model the variant compares with, drawn: its name and parameter count
    (None when the zoo lacks the seed's variant)."""
    if stack:
        st.markdown("**The seed tutorial's printed `model.summary()`: four `SimpleRNN(32)` layers**")
        summary_table(pd.DataFrame(SEED_SUMMARY, columns=["Layer (type)", "Output Shape", "Param #"]))
        st.caption(
            "320,000 = 10,000 words × 32 numbers each; 2,080 = 32 × (32 inputs + 32 state + 1 bias) per SimpleRNN(32); "
            f"{SEED_PARAMS_BEFORE_DENSE:,} before the Dense layer and {SEED_PARAMS:,} in all."
        )
        return "the seed's 4-layer stack", SEED_PARAMS
    if SEED_VARIANT not in readable_ids:
        return None
    seed = architecture(source, SEED_VARIANT)
    seed_total = int(seed["Param #"].sum())
    st.markdown(f"**The seed tutorial's IMDB model: one `SimpleRNN(32)`** (the zoo's `{SEED_VARIANT}`)")
    summary_table(seed)
    st.caption("320,000 = 10,000 words × 32 numbers each; 2,080 = 32 × (32 inputs + 32 state + 1 bias); "
               f"33 = 32 weights + 1 bias in the Dense layer: {seed_total:,} in all.")
    return "the seed's IMDB model", seed_total


def recurrence_section(variant_id: str, layers: list[RecurrentLayer]) -> None:
    """The variant's recurrence unrolled over three words, and what each recurrent cell costs."""
    st.subheader("The recurrence, unrolled")
    if not layers:
        st.caption(f"{variant_id} has no recurrence to draw: it reads no word order.")
        return
    first = layers[0]
    picture, _ = st.columns([3, 2])  # about 650 px on a desktop; the whole width of a phone
    picture.image(recurrence_svg(first.cell.cell, len(layers), first.directions), width="stretch",
                  alt=f"{variant_id} unrolled over three words: each word and the state before it make the next "
                      "state; the last state gives the answer.")
    st.caption(
        f"Each step reads one word (its embedding: {first.cell.inputs} numbers) and the state the step before left "
        f"({first.cell.units} numbers), and writes the new state; the same weights at every step. Only the last "
        "state goes to the Dense layer, which gives P(positive)."
        + (" A bidirectional layer also reads the words backwards, with weights of its own, and what goes on to the "
           "Dense layer is made from both readings." if first.directions == 2 else "")
    )
    rows = []
    for cell in cells_compared(first.cell.inputs, first.cell.units):
        bias = "1 bias" if cell.biases == 1 else f"{cell.biases} biases"
        rows.append({"cell": cell.cell, "gates": f"{cell.gates}×",
                     "arithmetic": f"{cell.gates} × {cell.units} × ({cell.inputs} inputs + {cell.units} state + {bias})",
                     "parameters": cell.params, "": "◀ this variant" if cell.cell == first.cell.cell else ""})
    st.table(pd.DataFrame(rows).style.format({"parameters": "{:,}"}), hide_index=True)
    st.caption(
        "A SimpleRNN has one set of weights; a GRU repeats them for its update gate, reset gate and candidate state "
        f"({GATES['GRU']}×), an LSTM for its input, forget and output gates and candidate cell ({GATES['LSTM']}×). "
        "Keras 3 builds its GRU with `reset_after=True`: two biases per gate, one for the word and one for the state."
    )
    counted = ", ".join(
        f"`{layer.name}` {layer.params:,}" + (f" = 2 directions × {layer.cell.params:,}" if layer.directions == 2 else "")
        for layer in layers)
    st.caption(f"Keras counts, for {variant_id}: {counted}.")


def recurrence_svg(cell: str, layers: int, directions: int = 1) -> str:
    """A small SVG of a recurrence over ``PICTURE_WORDS``: each word goes up into a stack of
    ``layers`` cells, each cell passes its state to the right, and the last state goes to Dense."""
    step, left, row, top = 150, 100, 62, 60
    height = top + row * layers + 34
    width = left + step * len(PICTURE_WORDS) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif" '
             f'font-size="13" fill="{TEXT}"><defs><marker id="a" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" '
             f'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{NEUTRAL}"/></marker></defs>']
    arrow = f'stroke="{NEUTRAL}" stroke-width="1.6" marker-end="url(#a)"'
    name = escape(cell if directions == 1 else f"{cell} ⇄")
    for layer in range(layers):
        y = top + row * (layers - 1 - layer)
        parts.append(f'<text x="8" y="{y + 22}">h₀</text><line x1="30" y1="{y + 18}" x2="{left - 4}" y2="{y + 18}" {arrow}/>')
        for i in range(len(PICTURE_WORDS)):
            x = left + step * i
            parts.append(f'<rect x="{x}" y="{y}" width="96" height="36" rx="6" fill="#eef1f6" stroke="{NEUTRAL}"/>'
                         f'<text x="{x + 48}" y="{y + 23}" text-anchor="middle">{name}</text>')
            if i + 1 < len(PICTURE_WORDS):
                parts.append(f'<line x1="{x + 96}" y1="{y + 18}" x2="{x + step - 4}" y2="{y + 18}" {arrow}/>'
                             f'<text x="{x + 123}" y="{y + 12}" text-anchor="middle" font-size="11">h{"₁₂₃"[i]}</text>')
            below = y + 36 + (row - 36 if layer else 26)
            parts.append(f'<line x1="{x + 48}" y1="{below}" x2="{x + 48}" y2="{y + 40}" {arrow}/>')
    for i, word in enumerate(PICTURE_WORDS):
        parts.append(f'<text x="{left + step * i + 48}" y="{top + row * layers + 16}" text-anchor="middle">'
                     f'word {i + 1}: “{escape(word)}”</text>')
    x = left + step * (len(PICTURE_WORDS) - 1)
    parts.append(f'<line x1="{x + 48}" y1="{top - 2}" x2="{x + 48}" y2="{top - 26}" {arrow}/>'
                 f'<text x="{x + 60}" y="{top - 30}">Dense → P(positive)</text>')
    parts.append('<text x="8" y="20" font-size="11">state h: what the network remembers so far</text></svg>')
    return "".join(parts)
