"""Reading what an ``AppTest`` run drew, through its public API."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def page_text(at: AppTest) -> str:
    """Every element the run drew (sidebar and main, every tab, tooltips and chart data
    included), as the text of its message."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    for block in (at.sidebar, at.main):
        walk(block)
    return "\n".join(found)
