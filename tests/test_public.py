"""A public page on a broken zoo: every tab, in AppTest and in Chromium, never shows the server's folder.

The tiny zoo is copied into a folder with an unmistakable name, and one variant is broken in
each way an artifact can break. The app runs as a fresh clone runs it (no ``ZOO_ADMIN``: public).
Every element, tooltip, chart dataset and download the server sends is searched for the name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scripts.harness import CHROMIUM, AppServer
from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.browser import chromium, in_own_process
from tests.support.app import page_text
from zoo.artifact import HISTORY_FILE, MANIFEST_FILE, METADATA_FILE, MODEL_FILE, VOCABULARY_FILE, sha256, write_json
from zoo.deployment import ADMIN_ENV, for_visitors
from zoo.probes import PROBES_FILE

APP = REPO / "streamlit_app.py"
#: The server folder's name, which must never reach a visitor (compared case-insensitively).
UNMISTAKABLE = "zq-unmistakable-server-folder-7f3a"
TABS = ["Classify", "Compare training", "Zoo", "Architecture", "What they can do"]
#: Each way a variant breaks: its id in the broken zoo, and what a visitor is told.
BROKEN = {
    "simplernn-2x32-len200": "missing vocabulary.txt",  # a file missing
    "simplernn-2x32-len500": "history.json fails its checksum",  # a file changed after it was saved
    "simplernn-4x32-len100": "metadata.json: no 'best_epoch'",  # bad metadata
    "simplernn-4x32-len200": "its folder is missing",  # listed in the manifest, no folder
}
#: Loads no model: its file is garbage with a matching checksum. Named so that every tab picks it
#: by default (the deepest variant, one of the followed ones), so each tab's error path is drawn.
UNLOADABLE = "simplernn-4x32-len500"


def clone_variant(zoo_dir: Path, source_id: str, new_id: str, **spec) -> Path:
    folder = Path(shutil.copytree(zoo_dir / source_id, zoo_dir / new_id))
    metadata = json.loads((folder / METADATA_FILE).read_text())
    metadata["id"] = new_id
    metadata["spec"].update(spec)
    write_json(folder / METADATA_FILE, metadata)
    return folder


def make_broken_zoo(tiny_zoo_path: Path, root: Path) -> Path:
    """The tiny zoo under ``root/UNMISTAKABLE/zoo``, plus one variant broken in each way, and a
    ``probes.json`` that no longer describes the models (stale: the app computes the probes)."""
    zoo_dir = Path(shutil.copytree(tiny_zoo_path, root / UNMISTAKABLE / "zoo"))
    base = TINY_VARIANTS[1]  # simplernn-2x32-len100
    (clone_variant(zoo_dir, base, "simplernn-2x32-len200", maxlen=200) / VOCABULARY_FILE).unlink()
    with open(clone_variant(zoo_dir, base, "simplernn-2x32-len500", maxlen=500) / HISTORY_FILE, "a") as history:
        history.write(" ")
    folder = clone_variant(zoo_dir, base, "simplernn-4x32-len100", layers=4)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    del metadata["best_epoch"]
    write_json(folder / METADATA_FILE, metadata)
    folder = clone_variant(zoo_dir, base, UNLOADABLE, layers=4, maxlen=500)
    (folder / MODEL_FILE).write_bytes(b"not a keras file, " * 100)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    metadata["files"][MODEL_FILE] = sha256(folder / MODEL_FILE)
    write_json(folder / METADATA_FILE, metadata)
    write_json(zoo_dir / PROBES_FILE, {"format": 1, "suite_version": 0, "variants": {}, "models": {}})
    write_json(zoo_dir / MANIFEST_FILE, {"format": 1, "variants": [*TINY_VARIANTS, *BROKEN, UNLOADABLE]})
    return zoo_dir


@pytest.fixture(scope="module")
def broken_zoo(tiny_zoo_path, tmp_path_factory) -> Path:
    return make_broken_zoo(tiny_zoo_path, tmp_path_factory.mktemp("public"))


def assert_no_folder_name(text: str, where: str) -> None:
    assert UNMISTAKABLE not in text.lower(), f"the server folder's name reached the visitor in {where}"


# ---------------------------------------------------------------- the boundary


@pytest.mark.parametrize("message, shown", [
    ("simplernn-x: its folder is missing (/srv/zq-unmistakable-server-folder-7f3a/zoo/simplernn-x)",
     "simplernn-x: its folder is missing"),
    ("no zoo folder at /home/user/zoo", "no zoo folder"),
    ("x: cannot load model.keras: File not found: filepath=/tmp/a/model.keras. Please ensure the file is an "
     "accessible `.keras` zip file.", "x: cannot load model.keras: File not found: Please ensure the file is an "
     "accessible `.keras` zip file."),
    ("x: vocabulary.txt is unreadable: [Errno 2] No such file or directory: '/tmp/a/x/vocabulary.txt'",
     "x: vocabulary.txt is unreadable: [Errno 2] No such file or directory"),
    ("hf://o/z: the Hub cannot be reached (ConnectError: [Errno 111] Connection refused).",
     "hf://o/z: the Hub cannot be reached ([Errno 111] Connection refused)."),
    ("hf://o/z: nothing of it is in the Hugging Face cache (C:\\Users\\me\\.cache\\huggingface\\hub).",
     "hf://o/z: nothing of it is in the Hugging Face cache."),
    ("cannot read ~/.cache/zoo/zoo.json or file:///srv/zoo/zoo.json", "cannot read or"),
    ("zipfile.BadZipFile: File is not a zip file", "File is not a zip file"),
    ("Traceback (most recent call last):\n  File \"/srv/app/x.py\", line 1\nValueError: boom",
     "something went wrong on the server (its log has the details)"),
    ("first / last sentence, and/or 1/2 of hf://owner/zoo@main", "first / last sentence, and/or 1/2 of hf://owner/zoo@main"),
])
def test_a_message_for_visitors_has_no_path_traceback_or_class_name(message, shown):
    assert for_visitors(message) == shown


def test_a_long_message_is_cut_and_a_relative_source_is_masked_too():
    assert len(for_visitors("a broken thing " * 100)) <= 302
    assert for_visitors("no zoo folder at my_zoo/extra", paths=["my_zoo"]) == "no zoo folder"


# ---------------------------------------------------------------- the first page waits for no broken variant


def test_a_variant_that_will_never_load_does_not_hold_the_first_page(broken_zoo):
    """``Zoo.prepare`` calls ``ready`` for broken variants too: the first page waits until every
    variant is ready (``views.loading.wait_for_models``), and the compiling waits for that page
    (``COMPILE_AFTER``), so a variant that never loads used to hold the page for those 30 s."""
    import zoo

    ready = []
    zoo.open_zoo(broken_zoo).prepare([UNLOADABLE, "simplernn-2x32-len200"], ready=ready.append)
    assert ready == [UNLOADABLE, "simplernn-2x32-len200"]


# ---------------------------------------------------------------- every tab, AppTest


def recorded_downloads(monkeypatch) -> list[bytes]:
    """Every file the app hands to Streamlit's media storage (the downloads), as it is stored."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stored = []
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        stored.append(path_or_data if isinstance(path_or_data, bytes) else str(path_or_data).encode())
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return stored


def test_every_tab_of_a_broken_zoo_in_public_mode_shows_no_server_folder(monkeypatch, broken_zoo):
    monkeypatch.setenv("ZOO_SOURCE", str(broken_zoo))
    monkeypatch.delenv(ADMIN_ENV, raising=False)
    downloads = recorded_downloads(monkeypatch)
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.sidebar.text_input] == [] and "Reload the zoo" not in [b.label for b in at.button]

    errors = " ".join(e.value for e in at.error)
    for vid, why in BROKEN.items():
        assert f"Variant {vid} is broken: {why}" in errors
    assert f"Variant {UNLOADABLE} could not answer: cannot load model.keras" in errors
    seen = [page_text(at)]
    for tab in TABS[1:]:
        at = AppTest.from_file(str(APP), default_timeout=180)
        at.query_params["tab"] = tab  # a link to the tab
        at.run()
        assert not at.exception, (tab, at.exception)
        if tab == "Zoo":
            at.toggle(key="all_columns").set_value(True).run()
            table = at.dataframe[0].value.set_index("id")
            assert table.loc[UNLOADABLE, "error"] != table.loc[UNLOADABLE, "error"]  # NaN: its files are sound: it fails only when loaded
            assert table.loc["simplernn-2x32-len200", "error"] == "missing vocabulary.txt"
        if tab == "Architecture":
            assert f"Variant {UNLOADABLE} could not be loaded: cannot load model.keras" in " ".join(e.value for e in at.error)
        if tab == "What they can do":
            assert "Computed on this server" in " ".join(c.value for c in at.caption)  # the stale probes.json
        seen.append(page_text(at))
    assert_no_folder_name("\n".join(seen), "an element")
    # The messages as the server had them did name the folder: the boundary took it out (and logged them whole).
    from views.messages import _logged

    assert any(UNMISTAKABLE in line.lower() for line in _logged)
    assert downloads, "the page offers downloads"
    for data in downloads:
        assert_no_folder_name(data.decode("utf-8", errors="replace"), "a download")


# ---------------------------------------------------------------- every tab, Chromium

@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
def test_every_tab_of_a_broken_zoo_in_chromium_shows_no_server_folder(broken_zoo, monkeypatch):
    monkeypatch.delenv(ADMIN_ENV, raising=False)
    with AppServer(str(broken_zoo)) as server:
        seen = in_own_process(visit_every_tab, server.url)
        log = server.log_path.read_text(errors="replace")
    assert seen["errors_shown"] >= len(BROKEN), seen
    assert seen["downloads"] >= 3 and seen["frames"] > 0, seen
    assert not seen["leaks"], seen["leaks"]
    # The operator keeps the whole story: the server log names the folder.
    assert UNMISTAKABLE in log.lower()


def visit_every_tab(url: str) -> dict:
    """Open each tab from a link; keep every WebSocket frame, the page's HTML, every download and
    every widget tooltip; report where the folder's name appears."""
    frames: list[bytes] = []
    leaks, downloads, errors_shown = [], 0, 0
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode())))
        for tab in TABS:
            page.goto(f"{url}/?tab={tab.replace(' ', '+')}")
            page.get_by_role("tab", name=tab, selected=True).wait_for(timeout=120_000)
            page.wait_for_function(
                """() => !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
                         && !!document.querySelector('[data-testid="stMain"] h2')""", timeout=180_000)
            page.wait_for_timeout(1500)
            errors_shown = max(errors_shown, page.locator("[data-testid='stAlertContentError']").count())
            for i in range(page.locator("[data-testid='stTooltipHoverTarget']").count()):
                target = page.locator("[data-testid='stTooltipHoverTarget']").nth(i)
                if target.is_visible():
                    target.hover(force=True, timeout=5_000)  # a chart may lie over a help icon
                    page.wait_for_timeout(100)
                    if UNMISTAKABLE in page.content().lower():
                        leaks.append(f"tooltip on {tab}")
            if UNMISTAKABLE in page.content().lower():
                leaks.append(f"the page's HTML on {tab}")
            for button in page.locator("[data-testid='stDownloadButton'] button").all():
                if button.is_visible():
                    with page.expect_download(timeout=60_000) as download:
                        button.click()
                    downloads += 1
                    if UNMISTAKABLE in Path(download.value.path()).read_bytes().decode("utf-8", "replace").lower():
                        leaks.append(f"download {download.value.suggested_filename} on {tab}")
    if any(UNMISTAKABLE.encode() in frame.lower() for frame in frames):
        leaks.append("a WebSocket message from the server")
    return {"leaks": leaks, "downloads": downloads, "frames": len(frames), "errors_shown": errors_shown}
