"""The SimpleRNN Zoo in a browser: classify a review with every variant, and compare how they trained.

    streamlit run streamlit_app.py

A thin view over the ``zoo`` library: the cached loading is in ``views.loading``, each tab in
its own module of ``views``. This file lays the page out in the order a visitor sees it: the
zoo chooser in the sidebar, then six tabs (Classify, Compare training, Zoo, Architecture,
What they can do, Train your own).

The page can be shared as a link: the review (``?text=``), the open tab (``?tab=``) and every
choice on every tab (each widget's key, e.g. ``?variants=``) live in the URL, and the link's text
is the one every tab explains. Only the open tab is drawn.

Every deployment is public unless its operator sets ``ZOO_ADMIN=1`` (``zoo.deployment``): no zoo
source box, no *Reload the zoo*, and every server message cleaned by ``views.messages.shown``.
"""

from __future__ import annotations

import gc
import os

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

import zoo
from views.architecture import architecture_section
from views.capabilities import capabilities_section
from views.classify import classify_section
from views.loading import models_warming, open_zoo, variant_table
from views.messages import shown, variant_problem
from views.train_own import own_training_status, train_own_section, warm_trainer_soon
from views.training import training_section
from views.widgets import large_text_switch
from views.zoo_table import zoo_section
from zoo.deployment import ADMIN_ENV, operator_mode, public_origin
from zoo.quiet import quiet_tensorflow_logs
from zoo.store import ZOO_SOURCE_ENV, default_source

quiet_tensorflow_logs()
st.set_page_config(page_title="SimpleRNN Zoo", page_icon="🦎", layout="wide")


def setting(name: str) -> str | None:
    """The deployment's setting ``name``: ``$name``, else the Streamlit secret ``name``, else None."""
    if os.environ.get(name):
        return os.environ[name]
    try:
        value = st.secrets.get(name)
    except StreamlitSecretNotFoundError:  # no secrets file: a plain local run
        return None
    return None if value is None else str(value)


# ---------------------------------------------------------------- sidebar: which zoo

# Public unless the operator asked for operator mode (``zoo.deployment``). The zoo is the
# deployment's (``$ZOO_SOURCE`` or its secret, else the bundled zoo), never a visitor's.
operator = operator_mode(setting(ADMIN_ENV))
# An uncaught exception shows Streamlit's generic message to the public; the operator gets the traceback.
st.set_option("client.showErrorDetails", "full" if operator else "none")
with st.sidebar:
    large_text_switch()
    st.header("The zoo")
    source = setting(ZOO_SOURCE_ENV) or default_source()
    if not operator:
        st.caption("This demo serves one zoo, chosen when it was deployed.")
    else:
        source = st.text_input(
            "Zoo source", value=source,
            help="A zoo folder on this machine, or `hf://OWNER/NAME[@REVISION]` on the Hugging Face Hub. "
                 f"Shown because {ADMIN_ENV}=1 (operator mode).",
        )
        if st.button("Reload the zoo", help="Read the zoo again, e.g. after new variants were trained."):
            gc.unfreeze()  # the old zoo's models can be collected once the caches let go of them
            open_zoo.clear()
            models_warming.clear()
            st.cache_data.clear()
    try:
        z, notice = open_zoo(source)
    except zoo.ZooError as error:
        st.error(f"Cannot open this zoo: {shown(error, context=f'opening {source}')}")
        st.stop()
    if notice:
        st.warning(shown(notice))
    table = variant_table(source)
    readable = table.loc[table["error"].isna(), "id"].tolist() if len(table) else []
    # As early as possible: TensorFlow's import alone takes seconds, and the page does not wait for it.
    warming = models_warming(source, tuple(readable), z)
    st.caption("Where it comes from")
    origin = z.origin if operator else public_origin(z.origin)
    st.table(pd.DataFrame({"": {key: str(value) for key, value in origin.items()}}), hide_header=True)

# ---------------------------------------------------------------- title

st.title("🦎 The SimpleRNN Zoo")
order_free = int(table["cell"].isin(list(zoo.catalog.ORDER_FREE_CELLS)).sum()) if len(table) else 0
st.markdown(
    f"**{len(table) - order_free} small recurrent neural networks** that read an English movie review word by "
    "word and guess whether it is positive or negative. They were trained on IMDB reviews and differ in their "
    "recurrent cell (SimpleRNN, LSTM, GRU), their depth, and how many words they read (`maxlen`)."
    + (f" Beside them, {order_free} order-free reference{'s' if order_free > 1 else ''} that weigh which words "
       "a review holds, never their order." if order_free else "")
)
if not len(table):
    st.info("This zoo has no variants yet." + ("" if not operator else
            " Train some with `python -m training.train`, then press *Reload the zoo*."))
    st.stop()

for row in table[table["error"].notna()].itertuples():  # news for every tab
    st.error(f"Variant {row.id} is broken: {variant_problem(row.id, row.error)}")

# Bound to the URL (``?tab=``): a link opens its tab. Switching tabs reruns the page, which
# draws only the open tab.
classify_tab, training_tab, zoo_tab, architecture_tab, capabilities_tab, own_tab = st.tabs(
    ["Classify", "Compare training", "Zoo", "Architecture", "What they can do", "Train your own"], key="tab",
    bind="query-params",
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

with own_tab:
    if own_tab.open:
        train_own_section(source, table, readable)
with st.sidebar:
    own_training_status()  # a visitor's training goes on while another tab is open

# The first page is drawn: the models' compiled forward passes may now be made in the background.
warming.answered()
warm_trainer_soon(warming)  # where the server can train: its warm trainer, once the models can answer
