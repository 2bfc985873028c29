"""Small helpers the views share."""

from __future__ import annotations

import streamlit as st

from .colors import VARIANT_COLORS


def preferred(options: list[str], wanted: list[str], fallback: int = 3) -> list[str]:
    """The wanted ids the zoo has, else its first few: a default that exists in any zoo."""
    return [vid for vid in wanted if vid in options] or options[:fallback]


def chip_colors(key: str, variant_ids: list[str]) -> None:
    """Give the chips of the multiselect ``key`` the colours of their variants' lines.

    The chips come in the order of the selection, which is the order of the chart's colour
    scale (``colors.variant_scale``), so the chip with ``data-tag-index`` n gets the n-th colour.
    """
    rules = "".join(
        f".st-key-{key} [data-tag-index='{i}'] {{background-color: {VARIANT_COLORS[i % len(VARIANT_COLORS)]};"
        " color: #ffffff;}"
        for i in range(len(variant_ids))
    )
    st.html(f"<style>{rules}</style>")
