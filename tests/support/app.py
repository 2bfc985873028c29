"""Opening the app in an ``AppTest`` and reading what a run drew, through its public API."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
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


APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


def open_app(monkeypatch, zoo_path: Path, *, admin: bool = False, **query) -> AppTest:
    """The app on ``zoo_path`` (public, or in operator mode with ``admin``), opened through a link
    with these query parameters (e.g. ``tab=...``)."""
    monkeypatch.setenv("ZOO_SOURCE", str(zoo_path))
    if admin:
        monkeypatch.setenv("ZOO_ADMIN", "1")
    else:
        monkeypatch.delenv("ZOO_ADMIN", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def serve(monkeypatch, zoo_path: Path, warm) -> None:
    """Pages opened on ``zoo_path`` get the already warm zoo ``warm`` (the ``warm_zoo`` fixture), as
    on a server whose first page is done, rather than loading and compiling every model again."""
    import zoo

    served, open_zoo_or_bundled = str(zoo_path), zoo.open_zoo_or_bundled
    monkeypatch.setattr(zoo, "open_zoo_or_bundled",
                        lambda source=None: (warm, None) if str(source) == served else open_zoo_or_bundled(source))


def review_box(at: AppTest):
    """The review box (its key changes each time the server sets it: ``views.classify.set_by_server``)."""
    return next(box for box in at.text_area if box.label == "Your review")


def classify(at: AppTest, text: str) -> AppTest:
    review_box(at).input(text)
    at.button(key="classify_button").click()
    at.run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list[tuple[dict, "pa.Table"]]:
    """Every Altair chart on the page: its Vega-Lite spec and its data (all datasets concatenated)."""
    found = []
    for chart in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
        found.append((json.loads(chart.proto.spec), frames))
    return found


def chart_data(at: AppTest, *, title: str | None = None, field: str | None = None):
    """The data of the one chart with this title, or whose spec uses this field."""
    import pandas as pd

    matches = [
        frames for spec, frames in charts(at)
        if (title and title_of(spec) == title) or (field and f'"field": "{field}"' in json.dumps(spec))
    ]
    assert len(matches) == 1, f"expected one chart for {title or field}, found {len(matches)}"
    return pd.concat(matches[0], ignore_index=True)


def title_of(spec: dict) -> str | None:
    title = spec.get("title")
    return title.get("text") if isinstance(title, dict) else title


def texts(elements) -> list[str]:
    return [str(element.value) for element in elements]
