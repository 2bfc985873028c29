"""Every colour the app draws with, each defined once and each with one meaning.

- The verdict (positive / negative) has its own two colours, used for nothing else, and is
  always also said in words or shown by direction (a bar right or left of 0.5).
- Variants get ``VARIANT_COLORS`` (13 hues, none of them the verdict's blue or red), the seed
  tutorial ``SEED_COLOR``.
- Text on the page and on charts meets WCAG's 4.5:1 against white; lines and marks 3:1
  (``tests/test_app.py`` computes it).
"""

from __future__ import annotations

import altair as alt

#: The verdict: "positive" and "negative" (a colour-blind-safe blue/red pair, each 5.9:1 or more on white).
POSITIVE = "#2166ac"
NEGATIVE = "#b2182b"

#: Variants, in order; 13 distinct colours that skip the verdict's blue and red. Each is 4.5:1
#: or more on white, so also white text on it (the chips of the variant pickers).
VARIANT_COLORS = (
    "#b35400", "#087f91", "#7e279b", "#357515", "#bb1b78", "#602eb8", "#8a6a07",
    "#683d27", "#06775b", "#981b8d", "#5e6f08", "#138630", "#333333",
)
#: The seed tutorial's published run, drawn behind the zoo's own lines.
SEED_COLOR = "#8a8a8a"

#: Bars that stand for nothing but a number (seconds per epoch), 5.4:1 on white.
NEUTRAL = "#5f6b7a"
#: Text, axis labels and titles on charts (Streamlit's own text colour, 12.5:1 on white).
TEXT = "#31333f"
#: The background behind words outside the vocabulary (1.6:1 against white, text on it 7.6:1).
#: ``.streamlit/config.toml`` gives it to Streamlit as ``orangeBackgroundColor``.
UNKNOWN_WORD = "#f5c26b"
#: The accuracy heatmap runs from the first to the second; dark ``TEXT`` labels stay 4.5:1 on both.
HEAT = ("#f2f0f7", "#9e9ac8")


def variant_scale(variant_ids: list[str], *, seed: str | None = None) -> alt.Scale:
    """The colour of each variant (and of the seed, if named): the same order gives the same colours."""
    domain = [*variant_ids, *([seed] if seed else [])]
    colors = [VARIANT_COLORS[i % len(VARIANT_COLORS)] for i in range(len(variant_ids))]
    return alt.Scale(domain=domain, range=[*colors, *([SEED_COLOR] if seed else [])])


def verdict_scale() -> alt.Scale:
    return alt.Scale(domain=["positive", "negative"], range=[POSITIVE, NEGATIVE])


def readable(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` with its axis and legend text in ``TEXT`` (Streamlit's grey ticks are 3.7:1)."""
    return (
        chart.configure_axis(labelColor=TEXT, titleColor=TEXT, labelFontSize=12, titleFontSize=13)
        .configure_legend(labelColor=TEXT, titleColor=TEXT, labelFontSize=12)
        .configure_title(color=TEXT)
    )
