"""The Zoo tab: every variant in one table, then one variant's model card and provenance."""

from __future__ import annotations

import numbers
import re

import pandas as pd
import streamlit as st
import yaml

import zoo
from zoo.card import read_card

from .messages import shown, variant_problem

#: The table's columns, most telling first: on a phone the first few are what shows.
COLUMNS = {
    "id": st.column_config.TextColumn("variant", pinned=True),
    "test_accuracy": st.column_config.NumberColumn("test acc", format="%.3f", width="small"),
    "first_sentence_accuracy": st.column_config.NumberColumn("1st sentence", format="%.3f", width="small",
                                                             help="accuracy on the first sentence of each test review"),
    "cell": st.column_config.TextColumn("cell", width="small"),
    "reads_order": st.column_config.CheckboxColumn("reads order", width="small",
                                                   help="off: an order-free reference, which reads which words a text "
                                                        "holds but not their order"),
    "layers": st.column_config.NumberColumn("layers", width="small"),
    "maxlen": st.column_config.NumberColumn("maxlen", width="small"),
    "recipe": st.column_config.TextColumn("recipe", width="small"),
    "val_accuracy": st.column_config.NumberColumn("val acc", format="%.3f", width="small"),
    "last_sentence_accuracy": st.column_config.NumberColumn("last sentence", format="%.3f", width="small",
                                                            help="accuracy on the last sentence of each test review"),
    "test_loss": st.column_config.NumberColumn("test loss", format="%.3f", width="small"),
    "best_epoch": st.column_config.NumberColumn("best epoch", width="small"),
    "epochs": st.column_config.NumberColumn("epochs", width="small"),
    "seconds_per_epoch": st.column_config.NumberColumn("s/epoch", format="%.0f", width="small"),
    "params": st.column_config.NumberColumn("params", format="localized", width="small"),
    "units": st.column_config.NumberColumn("units", width="small"),
    "num_words": st.column_config.NumberColumn("vocabulary", format="localized", width="small"),
    "size_bytes": st.column_config.NumberColumn("size", format="bytes", width="small"),
    "error": st.column_config.TextColumn("error"),
}
#: What the table shows until "All columns" is switched on: what fits a phone's width.
ESSENTIAL = ["id", "test_accuracy", "first_sentence_accuracy"]


def varying_columns(table: pd.DataFrame) -> list[str]:
    """The table's columns in ``COLUMNS`` order, without those that hold one value for every variant."""
    return [c for c in COLUMNS if c in table and (c == "id" or table[c].nunique(dropna=False) > 1)]


def zoo_section(z: zoo.Zoo, table: pd.DataFrame, readable_ids: list[str]) -> None:
    st.header("The zoo")
    table = table.assign(error=[None if pd.isna(error) else variant_problem(vid, error)
                                for vid, error in zip(table["id"], table["error"])])
    varying = varying_columns(table)
    same = [c for c in COLUMNS if c in table and c not in varying and table[c].notna().any()]
    st.caption(
        "Every variant with its settings and recorded metrics. Click a column header to sort."
        + (" The same for all: " + ", ".join(f"{COLUMNS[c].get('label') or c} {fmt(table[c].iloc[0])}" for c in same) + "."
           if same else "")
    )
    everything = st.toggle("All columns", key="all_columns", value=False, bind="query-params",
                           help="Off: the columns that fit a phone's screen.")
    columns = varying if everything else [c for c in ESSENTIAL if c in varying]
    # Tall enough for every row: no scroll box inside the page.
    st.dataframe(table, hide_index=True, column_order=columns, column_config=COLUMNS, height=35 * (len(table) + 1) + 3)

    if readable_ids:
        card_id = st.selectbox("Model card of", readable_ids, key="card_variant", bind="query-params")
        artifact = z.artifact(card_id)
        try:
            card_header, card_body = read_card(artifact.path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            st.error(f"The model card of {card_id} cannot be read: {shown(error, context=card_id)}")
            return
        card_column, provenance_column = st.columns([3, 2])
        with card_column, st.container(border=True, key="model_card"):
            # A wide table scrolls inside the card, and code wraps: the page never scrolls sideways.
            st.html("<style>.st-key-model_card table {display: block; overflow-x: auto; max-width: 100%;}"
                    ".st-key-model_card pre, .st-key-model_card pre code {white-space: pre-wrap !important;"
                    " word-break: break-word !important; overflow-x: hidden !important;}</style>")
            st.markdown(smaller_headings(card_body))
        with provenance_column:
            st.markdown("**Where it comes from**")
            st.table(provenance(z, artifact.metadata), hide_header=True)
            with st.expander("Hugging Face card metadata"):
                st.json(card_header)


def fmt(value) -> str:
    return f"{value:,}" if isinstance(value, numbers.Integral) else str(value)


def smaller_headings(markdown: str) -> str:
    """The card's Markdown with its headings two levels smaller (its title is the page's fourth level)."""
    return re.sub(r"^(#{1,4}) ", lambda m: "#" * min(6, len(m.group(1)) + 2) + " ", markdown, flags=re.MULTILINE)


#: The card's data facts in words (a key not named here is shown as "data: its key").
DATA_LABELS = {
    "dataset": "dataset", "fingerprint": "dataset fingerprint", "train_reviews": "training reviews",
    "validation_reviews": "validation reviews", "test_reviews": "test reviews", "split_seed": "validation split seed",
    "median_train_words": "median words per training review",
}


def provenance(z: zoo.Zoo, metadata: dict) -> pd.DataFrame:
    """Where a variant comes from, one fact per row; no path on the server's disk."""
    facts = {f"zoo {key}": value for key, value in z.origin.items() if key != "path"}
    facts["training seed"] = metadata.get("seed")
    facts["created"] = metadata.get("created")
    for key, value in (metadata.get("data") or {}).items():
        facts[DATA_LABELS.get(key, f"data: {key.replace('_', ' ')}")] = value
    for key, value in (metadata.get("versions") or {}).items():
        facts[key] = value
    machine = (metadata.get("training") or {}).get("machine")
    if isinstance(machine, dict):
        facts["trained on"] = ", ".join(f"{v} cores" if k == "cores" else str(v) for k, v in machine.items())
    return pd.DataFrame({"": {key: str(value) for key, value in facts.items() if value is not None}})
