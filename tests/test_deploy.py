"""Deploying the demo as a Hugging Face Docker Space: public mode, the Space's files and
variables (``training.deploy``), the Dockerfile and the README's front matter, and a cheap
run of ``scripts/space_rehearsal.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, TINY_VARIANTS
from zoo.deployment import PUBLIC_ENV, public_mode, public_origin, without_paths

APP = REPO / "streamlit_app.py"


# ---------------------------------------------------------------- public mode


@pytest.mark.parametrize("value, public", [
    (None, False), ("", False), ("0", False), ("false", False), ("No", False), ("off", False),
    ("1", True), ("true", True), ("yes", True), ("anything", True),
])
def test_public_mode_is_on_unless_the_setting_says_off(value, public):
    environ = {} if value is None else {PUBLIC_ENV: value}
    assert public_mode(environ) is public


def test_paths_are_masked_in_messages_for_visitors():
    message = "no zoo folder at /srv/app/zoo/extra; cache /home/user/.cache/huggingface/hub empty"
    assert without_paths(message, ["/srv/app", "/home/user"]) == "no zoo folder at …; cache … empty"
    assert public_origin({"kind": "local", "path": "/srv/app/zoo"}) == {"kind": "local"}


def page_text(at: AppTest) -> str:
    """Every element's content on the page (sidebar and all tabs), as text."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(found)


def run_app(monkeypatch, zoo_path: Path, public: str | None) -> AppTest:
    monkeypatch.setenv("ZOO_SOURCE", str(zoo_path))
    if public is None:
        monkeypatch.delenv(PUBLIC_ENV, raising=False)
    else:
        monkeypatch.setenv(PUBLIC_ENV, public)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_public_mode_has_no_source_box_no_reload_and_no_server_path(monkeypatch, tiny_zoo_path):
    at = run_app(monkeypatch, tiny_zoo_path, "1")

    assert [t.label for t in at.sidebar.text_input] == []
    assert "Reload the zoo" not in [b.label for b in at.button]
    text = page_text(at)
    for path in (tiny_zoo_path, tiny_zoo_path.resolve(), REPO):
        assert str(path) not in text
    # The configured zoo is served, and the sidebar still says what it is.
    assert at.sidebar.table[0].value.iloc[:, 0].tolist() == ["local"]
    (answers,) = [t.value for t in at.main.table if "variant" in t.value.columns]
    assert answers["variant"].tolist() == list(TINY_VARIANTS)


def test_a_local_run_keeps_the_source_box_the_reload_button_and_the_zoo_folder(monkeypatch, tiny_zoo_path):
    at = run_app(monkeypatch, tiny_zoo_path, None)

    assert [t.label for t in at.sidebar.text_input] == ["Zoo source"]
    assert at.sidebar.text_input[0].value == str(tiny_zoo_path)
    assert "Reload the zoo" in [b.label for b in at.sidebar.button]
    assert at.sidebar.table[0].value.iloc[:, 0].tolist() == ["local", str(tiny_zoo_path.resolve())]


def test_in_public_mode_a_zoo_that_cannot_open_is_explained_without_its_path(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "zoo"
    at = run_app(monkeypatch, missing, "1")

    (error,) = at.error
    assert error.value.startswith("Cannot open this zoo: no zoo folder at")
    assert str(tmp_path) not in page_text(at)
