"""Small helpers the views share."""

from __future__ import annotations

import streamlit as st

from .colors import variant_color


def preferred(options: list[str], wanted: list[str], fallback: int = 3) -> list[str]:
    """The wanted ids the zoo has, else its first few: a default that exists in any zoo."""
    return [vid for vid in wanted if vid in options] or options[:fallback]


def chip_colors(key: str, variant_ids: list[str]) -> None:
    """Give the chips of the multiselect ``key`` the colours of their variants' lines.

    The chips come in the order of the selection (``variant_ids``): the chip with
    ``data-tag-index`` n is the n-th variant's, and gets its one colour (``colors.variant_color``).
    """
    rules = "".join(
        f".st-key-{key} [data-tag-index='{i}'] {{background-color: {variant_color(vid)}; color: #ffffff;}}"
        for i, vid in enumerate(variant_ids)
    )
    st.html(f"<style>{rules}</style>")


#: How much larger the page's text is with *Large text* on (a classroom projector).
LARGE_TEXT = 1.3


def large_text_switch() -> bool:
    """The sidebar's *Large text* switch, bound to the URL (``?projector=true``): a teacher's link
    opens the page large. Streamlit sizes its text in rem, so the root font size scales it all."""
    large = st.toggle("Large text (projector)", key="projector", bind="query-params",
                      help="Every text on the page larger, for a classroom projector; kept in the page's link.")
    if large:
        st.html(f"<style>html {{font-size: {LARGE_TEXT * 100:.0f}%;}}</style>")
    return large
