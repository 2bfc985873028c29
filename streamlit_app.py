"""The SimpleRNN Zoo in a browser: classify a review with every variant, and compare how they trained.

    streamlit run streamlit_app.py

A thin view over the ``zoo`` library: the cached loading is in ``views.loading``, each tab in
its own module of ``views``. This file lays the page out in the order a visitor sees it: the
zoo chooser in the sidebar, then five tabs (Classify, Compare training, Zoo, Architecture,
What they can do).

The page can be shared as a link: the review (``?text=``), the variants followed as it reads
(``?variants=``) and the open tab (``?tab=``) live in the URL. Only the open tab is drawn.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

import zoo
from views.architecture import architecture_section
from views.capabilities import capabilities_section
from views.classify import classify_section
from views.loading import models_warming, open_zoo, variant_table
from views.training import training_section
from views.zoo_table import zoo_section
from zoo.deployment import PUBLIC_ENV, public_mode, public_origin, without_paths
from zoo.store import HUB_SCHEME, ZOO_SOURCE_ENV, default_source

st.set_page_config(page_title="SimpleRNN Zoo", page_icon="🦎", layout="wide")


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
    table = variant_table(source)
    readable = table.loc[table["error"].isna(), "id"].tolist() if len(table) else []
    # As early as possible: TensorFlow's import alone takes seconds, and the page does not wait for it.
    warming = models_warming(source, tuple(readable), z)
    st.caption("Where it comes from")
    st.table(pd.DataFrame({"": {key: str(value) for key, value in shown_origin(z, public).items()}}), hide_header=True)

# ---------------------------------------------------------------- title

st.title("🦎 The SimpleRNN Zoo")
st.markdown(
    f"**{len(table)} small recurrent neural networks** that read an English movie review word by word "
    "and guess whether it is positive or negative. They were trained on IMDB reviews and differ in their "
    "recurrent cell (SimpleRNN, LSTM, GRU), their depth, and how many words they read (`maxlen`)."
)
if not len(table):
    st.info("This zoo has no variants yet." + ("" if public else
            " Train some with `python -m training.train`, then press *Reload the zoo*."))
    st.stop()

for row in table[table["error"].notna()].itertuples():  # news for every tab
    st.error(f"Variant {row.id} is broken: {for_visitors(row.error, source, public)}")

# Bound to the URL (``?tab=``): a link opens its tab. Switching tabs reruns the page, which
# draws only the open tab.
classify_tab, training_tab, zoo_tab, architecture_tab, capabilities_tab = st.tabs(
    ["Classify", "Compare training", "Zoo", "Architecture", "What they can do"], key="tab", bind="query-params"
)

with classify_tab:
    if classify_tab.open is not False:
        classify_section(source, z, table, readable, warming)

with training_tab:
    if training_tab.open:
        training_section(source, z, table, readable)

with zoo_tab:
    if zoo_tab.open:
        zoo_section(z, table, readable)

with architecture_tab:
    if architecture_tab.open:
        architecture_section(source, table, readable)

with capabilities_tab:
    if capabilities_tab.open:
        capabilities_section(source, z, readable, warming)

# The first page is drawn: the models' compiled forward passes may now be made in the background.
warming.answered()
