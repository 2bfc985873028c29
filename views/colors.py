"""Every colour the app draws with, each defined once and each with one meaning.

- The verdict (positive / negative) has its own two colours, used for nothing else, and is
  always also said in words or shown by direction (a bar right or left of 0.5).
- Each variant has one colour everywhere (``variant_color``), fixed by the catalogue: a hue for
  its cell (for SimpleRNN, its depth), its lightness from its ``maxlen`` (longer reads darker);
  none is the verdict's blue or red. The seed tutorial's line is ``SEED_COLOR``. A visitor's own
  variants (``zoo.own.OwnSettings.numbered``) are shades of ``OWN_HUE``, which no zoo family has.
- Values of hidden units, which are neither a verdict nor a variant, go on ``UNIT_SCHEME``.
- Text on the page and on charts meets WCAG's 4.5:1 against white; lines and marks 3:1
  (``tests/test_app.py`` computes it).
"""

from __future__ import annotations

import colorsys
import math

import altair as alt

from zoo import catalog
from zoo.own import own_number

#: The verdict: "positive" and "negative" (a colour-blind-safe blue/red pair, each 5.9:1 or more on white).
POSITIVE = "#2166ac"
NEGATIVE = "#b2182b"

#: The seed tutorial's published run, drawn behind the zoo's own lines.
SEED_COLOR = "#8a8a8a"

#: Bars that stand for nothing but a number (seconds per epoch), 5.4:1 on white.
NEUTRAL = "#5f6b7a"
#: Text, axis labels and titles on charts (Streamlit's own text colour, 12.5:1 on white).
TEXT = "#31333f"
#: The background behind words outside the vocabulary (1.6:1 against white, text on it 7.6:1).
#: ``.streamlit/config.toml`` gives it to Streamlit as ``orangeBackgroundColor``.
UNKNOWN_WORD = "#f5c26b"
#: Hidden-unit values, negative to positive: purple to green, neither the verdict's blue and red
#: nor a line's colour (a Vega scheme).
UNIT_SCHEME = "purplegreen"
#: The accuracy heatmap runs from the first to the second; dark ``TEXT`` labels stay 4.5:1 on both.
HEAT = ("#f2f0f7", "#9e9ac8")


#: The hue (degrees) of each family of variants; 0 and 210, the verdict's red and blue, are left out.
FAMILY_HUES = {("SimpleRNN", 1): 25, ("SimpleRNN", 2): 315, ("SimpleRNN", 4): 172, ("LSTM", 1): 272,
               ("GRU", 1): 128}
#: A family the table above does not name (another depth, both directions): olive.
OTHER_HUE = 62
#: A visitor's own variants: indigo, between the verdict's blue and the LSTM's purple; the 1st,
#: 2nd and 3rd of a session are three shades of it (a session keeps at most three).
OWN_HUE = 241
OWN_SHADES = (1.0, 0.72, 0.45)
#: Order-free references are greys: they read no order, and have no hue of the recurrent cells.
ORDER_FREE_LIGHTNESS = {"BagOfWords": 0.36, "TfIdf": 0.2}
#: Every variant colour is at least this contrast on white, so white chip text on it is readable too.
MIN_CONTRAST = 4.5


def luminance(color: str) -> float:
    """WCAG 2's relative luminance of a ``#rrggbb`` colour."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def hls_hex(hue: float, lightness: float, saturation: float) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hls_to_rgb(hue / 360, lightness, saturation))


def variant_color(variant_id: str) -> str:
    """The variant's one colour: its family's hue, darker the more words it reads (``maxlen``).

    A tuned recipe shifts the hue a little and is less saturated. The lightest shade of a hue that
    keeps ``MIN_CONTRAST`` on white is ``maxlen`` 100's; ``maxlen`` 1000 is 60% darker.
    A visitor's own variant gets a shade of ``OWN_HUE`` by its number; another id outside the
    catalogue, a dark grey.
    """
    number = own_number(variant_id)
    if number is not None:
        return hls_hex(OWN_HUE, lightest_legible(OWN_HUE, 0.85) * OWN_SHADES[(number - 1) % len(OWN_SHADES)], 0.85)
    spec = catalog.BY_ID.get(variant_id)
    if spec is None:
        return "#4d4d4d"
    if not spec.reads_order:
        return hls_hex(0, ORDER_FREE_LIGHTNESS.get(spec.cell, 0.3), 0)
    tuned = spec.recipe.name not in ("seed", "reference")
    hue = OTHER_HUE if spec.bidirectional else FAMILY_HUES.get((spec.cell, spec.layers), OTHER_HUE)
    hue, saturation = (hue + 18, 0.55) if tuned else (hue, 0.85)
    lightest = lightest_legible(hue, saturation)
    reach = min(max(math.log10(spec.maxlen / 100), 0.0), 1.0)
    return hls_hex(hue, lightest * (1 - 0.6 * reach), saturation)


def lightest_legible(hue: float, saturation: float) -> float:
    """The lightest shade of ``hue`` (in steps of 0.01) with ``MIN_CONTRAST`` on white."""
    return next(l / 100 for l in range(60, 0, -1) if contrast(hls_hex(hue, l / 100, saturation), "#ffffff") >= MIN_CONTRAST)


def catalog_order(variant_ids: list[str]) -> list[str]:
    """``variant_ids`` in the catalogue's order (legends read as the catalogue), others after them."""
    rank = {spec.id: i for i, spec in enumerate(catalog.CATALOG)}
    return sorted(variant_ids, key=lambda vid: (rank.get(vid, len(rank)), vid))


def variant_scale(variant_ids: list[str], *, seed: str | None = None) -> alt.Scale:
    """The colour of each variant (and of the seed, if named), its legend in the catalogue's order."""
    domain = catalog_order(list(variant_ids))
    return alt.Scale(domain=[*domain, *([seed] if seed else [])],
                     range=[*map(variant_color, domain), *([SEED_COLOR] if seed else [])])


def verdict_scale() -> alt.Scale:
    return alt.Scale(domain=["positive", "negative"], range=[POSITIVE, NEGATIVE])


def readable(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` with its axis and legend text in ``TEXT`` (Streamlit's grey ticks are 3.7:1)."""
    return (
        chart.configure_axis(labelColor=TEXT, titleColor=TEXT, labelFontSize=12, titleFontSize=13)
        .configure_legend(labelColor=TEXT, titleColor=TEXT, labelFontSize=12)
        .configure_title(color=TEXT)
    )
