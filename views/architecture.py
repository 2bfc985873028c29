"""The Architecture tab: a variant's layers, next to the seed tutorial model it is comparable to."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from zoo.artifact import ArtifactError
from zoo.seed import SEED_PARAMS, SEED_PARAMS_BEFORE_DENSE, SEED_SUMMARY, SEED_VARIANT

from .loading import architecture
from .messages import variant_problem


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
        if stack:
            st.markdown("**The seed tutorial's printed `model.summary()`: four `SimpleRNN(32)` layers**")
            summary_table(pd.DataFrame(SEED_SUMMARY, columns=["Layer (type)", "Output Shape", "Param #"]))
            st.caption(
                "320,000 = 10,000 words × 32 numbers each; 2,080 = 32 × (32 inputs + 32 state + 1 bias) per SimpleRNN(32); "
                f"{SEED_PARAMS_BEFORE_DENSE:,} before the Dense layer and {SEED_PARAMS:,} in all."
            )
            compared, compared_total = "the seed's 4-layer stack", SEED_PARAMS
        elif SEED_VARIANT in readable_ids:
            seed = architecture(source, SEED_VARIANT)
            compared_total = int(seed["Param #"].sum())
            st.markdown(f"**The seed tutorial's IMDB model: one `SimpleRNN(32)`** (the zoo's `{SEED_VARIANT}`)")
            summary_table(seed)
            st.caption("320,000 = 10,000 words × 32 numbers each; 2,080 = 32 × (32 inputs + 32 state + 1 bias); "
                       f"33 = 32 weights + 1 bias in the Dense layer: {compared_total:,} in all.")
            compared = "the seed's IMDB model"
        else:
            return
    recurrent = summary.iloc[1:-1]["Param #"].sum()
    if not spec["reads_order"]:
        st.info(f"{layers_id} reads no word order: it has no recurrent layer, {total:,} parameters in all "
                f"({compared_total:,} in {compared}). It is one of the zoo's order-free references.")
    elif layers_id == SEED_VARIANT:
        st.info(f"{layers_id} is the seed tutorial's IMDB model, trained again for the zoo.")
    elif stack and spec["layers"] == 4 and total == compared_total:
        st.info(f"{layers_id} is the seed's 4-layer stack: the same layers and the same {total:,} parameters.")
    else:
        difference = total - compared_total
        st.info(
            f"{layers_id} has {abs(difference):,} parameters {'more' if difference > 0 else 'fewer'} than {compared} "
            f"({total:,} against {compared_total:,}); its recurrent layers hold {recurrent:,} of them."
        )
