"""Deploying the demo as a Hugging Face Docker Space: public mode, the Space's files and
variables (``training.deploy``), the Space's README and its front matter, the Dockerfile, and
a cheap run of ``scripts/space_rehearsal.py``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import SpaceCard
from streamlit.testing.v1 import AppTest

import zoo
from scripts.fake_hub import publish
from scripts.harness import CHROMIUM
from scripts.space_rehearsal import front_matter, read_dockerfile, shell_command
from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.app import page_text
from tests.support.hub import FakeHfApi
from training import deploy
from zoo.deployment import ADMIN_ENV, operator_mode, public_origin
from zoo.probes import write_probes
from zoo.report import results_table

APP = REPO / "streamlit_app.py"


# ---------------------------------------------------------------- public by default


@pytest.mark.parametrize("value, operator", [
    (None, False), ("", False), ("0", False), ("false", False), ("anything", False), ("admin", False),
    ("1", True), ("true", True), ("Yes", True), (" on ", True), (True, True),
])
def test_operator_mode_only_when_a_setting_asks_for_it(value, operator):
    assert operator_mode(value) is operator


def test_the_origin_a_visitor_reads_has_no_path():
    assert public_origin({"kind": "local", "path": "/srv/app/zoo"}) == {"kind": "local"}


def run_app(monkeypatch, zoo_path: Path, admin: str | None = None, **environ: str) -> AppTest:
    """The app as ``streamlit run`` starts it with ``ZOO_SOURCE`` and, if given, ``ZOO_ADMIN``."""
    monkeypatch.setenv("ZOO_SOURCE", str(zoo_path))
    monkeypatch.delenv(ADMIN_ENV, raising=False)
    if admin is not None:
        monkeypatch.setenv(ADMIN_ENV, admin)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_plain_run_is_public_no_source_box_no_reload_and_no_server_path(monkeypatch, tiny_zoo_path):
    at = run_app(monkeypatch, tiny_zoo_path)

    assert [t.label for t in at.sidebar.text_input] == []
    assert "Reload the zoo" not in [b.label for b in at.button]
    text = page_text(at)
    for path in (tiny_zoo_path, tiny_zoo_path.resolve(), REPO):
        assert str(path) not in text
    # The configured zoo is served, and the sidebar still says what it is.
    assert at.sidebar.table[0].value.iloc[:, 0].tolist() == ["local"]
    (answers,) = [t.value for t in at.main.table if "variant" in t.value.columns]
    assert answers["variant"].tolist() == list(TINY_VARIANTS)


def test_zoo_public_of_earlier_versions_does_not_turn_operator_mode_on(monkeypatch, tiny_zoo_path):
    at = run_app(monkeypatch, tiny_zoo_path, ZOO_PUBLIC="0")
    assert [t.label for t in at.sidebar.text_input] == []


def test_zoo_admin_brings_back_the_source_box_the_reload_button_and_the_zoo_folder(monkeypatch, tiny_zoo_path):
    at = run_app(monkeypatch, tiny_zoo_path, admin="1")

    assert [t.label for t in at.sidebar.text_input] == ["Zoo source"]
    assert at.sidebar.text_input[0].value == str(tiny_zoo_path)
    assert "Reload the zoo" in [b.label for b in at.sidebar.button]
    assert at.sidebar.table[0].value.iloc[:, 0].tolist() == ["local", str(tiny_zoo_path.resolve())]


def test_a_streamlit_secret_turns_operator_mode_on_where_no_environment_variable_can_be_set(monkeypatch, tiny_zoo_path):
    monkeypatch.setenv("ZOO_SOURCE", str(tiny_zoo_path))
    monkeypatch.delenv(ADMIN_ENV, raising=False)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.secrets[ADMIN_ENV] = "1"  # Streamlit Community Cloud: the app's Secrets
    at.run()

    assert not at.exception, at.exception
    assert [t.label for t in at.sidebar.text_input] == ["Zoo source"]
    assert "Reload the zoo" in [b.label for b in at.button]


def test_a_zoo_that_cannot_open_is_explained_without_its_path(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "zoo"
    at = run_app(monkeypatch, missing)

    (error,) = at.error
    assert error.value == "Cannot open this zoo: no zoo folder"
    assert str(tmp_path) not in page_text(at)


# ---------------------------------------------------------------- training.deploy

SPACE = "zoo-keeper/simplernn-zoo-demo"
ZOO_REPO = "zoo-keeper/simplernn-zoo"
SECRET = "hf_TEST_TOKEN_never_to_be_printed_0123456789"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
APP_FILES = ["README.md", "LICENSE", "Dockerfile", "requirements.txt", ".streamlit/config.toml", "streamlit_app.py"]


class FakeSpaceApi(FakeHfApi):
    """``FakeHfApi`` that also records Space variables, in call order with everything else."""

    def add_space_variable(self, *args, **kwargs):
        self.calls.append(("add_space_variable", args, kwargs))


@pytest.fixture(scope="module")
def tiny_probes(tiny_zoo_path) -> dict:
    """The tiny zoo's probe results, as ``python -m zoo probe --write`` stores them (computed once)."""
    from zoo.probes import run_probes

    return run_probes(zoo.open_zoo(tiny_zoo_path))


@pytest.fixture
def app_root(tmp_path, tiny_zoo_path, tiny_probes) -> Path:
    """A checkout holding what the rule picks, and what it must leave out."""
    root = tmp_path / "checkout"
    for name in [*APP_FILES, ".streamlit/secrets.toml", "zoo/__init__.py", "zoo/store.py", "zoo/data/stop.txt",
                 "zoo/__pycache__/store.cpython-311.pyc", "zoo/.DS_Store", "views/__init__.py",
                 "views/capabilities.py", "training/train.py", "tests/test_x.py", "scripts/soak.py",
                 "requirements-dev.txt", ".gitignore"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    shutil.copytree(tiny_zoo_path, root / "bundled_zoo")
    write_probes(root / "bundled_zoo", tiny_probes)
    (root / "bundled_zoo" / ".manifest.lock").write_text("")
    (root / "bundled_zoo" / ".tmp-simplernn-1x32-len100").mkdir()
    (root / "bundled_zoo" / ".tmp-simplernn-1x32-len100" / "model.keras").write_text("half")
    (root / "bundled_zoo" / "an-unlisted-variant").mkdir()
    (root / "bundled_zoo" / "an-unlisted-variant" / "model.keras").write_text("never served")
    return root


APP_LISTING = [*APP_FILES, "zoo/__init__.py", "zoo/data/stop.txt", "zoo/store.py", "views/__init__.py",
               "views/capabilities.py"]


def run_deploy(monkeypatch, capsys, argv, root: Path | None = None):
    FakeHfApi.instances.clear()
    monkeypatch.setattr(deploy, "HfApi", FakeSpaceApi)
    if root is not None:
        monkeypatch.setattr(deploy, "ROOT", root)
    code = deploy.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_of_a_hub_zoo_lists_the_app_and_the_variable_without_any_zoo_file(app_root, monkeypatch, capsys, hf_cache):
    code, out, err = run_deploy(monkeypatch, capsys, ["--space", SPACE, "--zoo", f"hf://{ZOO_REPO}@{COMMIT}",
                                                      "--dry-run"], app_root)

    assert (code, err) == (0, "")
    assert out == "\n".join(APP_LISTING) + f"\n\nZOO_SOURCE=hf://{ZOO_REPO}@{COMMIT}\n"
    assert FakeHfApi.instances == []


def test_dry_run_of_the_bundled_zoo_adds_its_served_files_only(app_root, monkeypatch, capsys, hf_cache):
    code, out, err = run_deploy(monkeypatch, capsys, ["--space", SPACE, "--dry-run"], app_root)

    zoo_files = ["bundled_zoo/zoo.json", "bundled_zoo/probes.json"] + [
        f"bundled_zoo/{v}/{name}" for v in TINY_VARIANTS
        for name in ("model.keras", "vocabulary.txt", "history.json", "metadata.json", "README.md")]
    assert (code, err) == (0, "")
    assert out == "\n".join(APP_LISTING + zoo_files) + "\n\nZOO_SOURCE=bundled_zoo\n"


def test_the_real_space_has_the_apps_packages_whole_and_nothing_of_training_or_tests():
    files = list(deploy.plan(f"hf://{ZOO_REPO}@{COMMIT}", SPACE).files)

    assert files[:len(APP_FILES)] == APP_FILES
    packages = sorted(p.relative_to(REPO).as_posix() for package in ("zoo", "views") if (REPO / package).is_dir()
                      for p in (REPO / package).glob("**/*.py"))
    assert sorted(files[len(APP_FILES):]) == packages
    assert "zoo/deployment.py" in files and not any(f.endswith(".keras") for f in files)


def test_deploy_creates_a_docker_space_sets_its_zoo_then_commits_the_files_once(
        tiny_zoo_path, app_root, fake_hub, monkeypatch, capsys):
    commit = publish(fake_hub, tiny_zoo_path, ZOO_REPO)
    monkeypatch.setenv("HF_TOKEN", SECRET)

    def space_api(token=None):
        return FakeSpaceApi(token=token, existing=["bundled_zoo/zoo.json", "Dockerfile"])

    FakeHfApi.instances.clear()
    monkeypatch.setattr(deploy, "HfApi", space_api)
    monkeypatch.setattr(deploy, "ROOT", app_root)
    code = deploy.main(["--space", SPACE, "--zoo", f"hf://{ZOO_REPO}@{commit}", "--private"])
    out, err = capsys.readouterr()

    assert code == 0, err
    (api,) = FakeHfApi.instances
    assert api.token == SECRET
    assert [name for name, _, _ in api.calls] == ["create_repo", "add_space_variable", "list_repo_files", "create_commit"]
    args, kwargs = api.call("create_repo")
    assert args == (SPACE,) and kwargs == {"repo_type": "space", "space_sdk": "docker", "private": True, "exist_ok": True}
    assert api.call("add_space_variable") == ((SPACE, "ZOO_SOURCE", f"hf://{ZOO_REPO}@{commit}"), {})
    (repo_id, operations), kwargs = api.call("create_commit")
    assert repo_id == SPACE and kwargs["repo_type"] == "space"
    added = {op.path_in_repo: op.path_or_fileobj for op in operations if hasattr(op, "path_or_fileobj")}
    assert list(added) == APP_LISTING
    # The Space's page is written for its visitors, with the served zoo's table: not the repository's README.
    readme = SpaceCard(added["README.md"].decode("utf-8"))
    assert readme.data.sdk == "docker" and f"[{ZOO_REPO}](" in readme.text and f"/tree/{commit})" in readme.text
    assert f"| `{TINY_VARIANTS[0]}` |" in readme.text and readme.content != (REPO / "README.md").read_text(encoding="utf-8")
    assert [op.path_in_repo for op in operations if not hasattr(op, "path_or_fileobj")] == ["bundled_zoo/zoo.json"]
    assert f"/spaces/{SPACE}" in out.splitlines()[-1] and SECRET not in out + err


@pytest.mark.parametrize("argv, message", [
    (["--space", "no-owner"], "error: malformed repo id 'no-owner'"),
    (["--space", SPACE, "--zoo", f"hf://{ZOO_REPO}"], "is not pinned to a commit"),
    (["--space", SPACE, "--zoo", f"hf://{ZOO_REPO}@main"], "is not pinned to a commit"),
    (["--space", SPACE, "--zoo", f"hf://{ZOO_REPO}@"], "has an empty revision"),
    (["--space", SPACE, "--zoo", "hf://a/b/c@" + COMMIT], "malformed repo id"),
    (["--space", SPACE, "--zoo", "/tmp"], "a Space serves the bundled zoo or a zoo on the Hub"),
    (["--space", SPACE], "error: no Hugging Face token"),
    (["--space", SPACE, "--zoo", f"hf://nobody/nothing@{COMMIT}"], "does not open"),
])
def test_deploy_refuses_in_one_line_without_a_traceback(argv, message, monkeypatch, capsys, fake_hub):
    if "no Hugging Face token" not in message:
        monkeypatch.setenv("HF_TOKEN", SECRET)
    code, out, err = run_deploy(monkeypatch, capsys, argv)

    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and message in err, err
    assert not any(name == "create_commit" for api in FakeHfApi.instances for name, _, _ in api.calls)


def test_deploy_refuses_a_hub_zoo_with_a_damaged_variant(tiny_zoo_copy, fake_hub, monkeypatch, capsys):
    commit = publish(fake_hub, tiny_zoo_copy, ZOO_REPO)
    files = fake_hub.repos[ZOO_REPO]["commits"][commit]
    files[f"{TINY_VARIANTS[0]}/vocabulary.txt"] += b"tampered\n"
    monkeypatch.setenv("HF_TOKEN", SECRET)

    code, out, err = run_deploy(monkeypatch, capsys, ["--space", SPACE, "--zoo", f"hf://{ZOO_REPO}@{commit}"])

    # The download's progress bars, then the refusal in one line.
    assert code == 1 and out == "" and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: the zoo hf://") and f"has a broken variant, {TINY_VARIANTS[0]}" in last


# ---------------------------------------------------------------- the Space's configuration

#: The keys of the Spaces configuration reference (https://huggingface.co/docs/hub/spaces-config-reference).
SPACE_CONFIG_KEYS = {
    "title", "emoji", "colorFrom", "colorTo", "sdk", "python_version", "sdk_version", "suggested_hardware",
    "suggested_storage", "app_file", "app_port", "base_path", "fullWidth", "header", "short_description",
    "models", "datasets", "tags", "thumbnail", "pinned", "hf_oauth", "hf_oauth_scopes",
    "hf_oauth_expiration_minutes", "disable_embedding", "startup_duration_timeout", "custom_headers",
    "preload_from_hub", "license",
}
COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


def write_space(monkeypatch, capsys, tmp_path, argv: list[str]) -> tuple[list[str], Path]:
    """``training.deploy --dry-run --write-to``: the listed paths, and the folder written."""
    into = tmp_path / "space"
    code, out, err = run_deploy(monkeypatch, capsys, ["--space", SPACE, *argv, "--dry-run", "--write-to", str(into)])
    assert code == 0, err
    return out.split("\n\n")[0].split(), into


def test_the_dry_run_lists_and_writes_the_space_readme_a_docker_space_on_the_dockerfiles_port(
        monkeypatch, capsys, tmp_path, hf_cache):
    listed, into = write_space(monkeypatch, capsys, tmp_path, [])
    card = SpaceCard.load(into / "README.md")
    dockerfile = read_dockerfile(REPO / "Dockerfile")

    assert listed[0] == "README.md"
    assert sorted(p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()) == sorted(listed)
    assert all((into / name).read_bytes() == (REPO / name).read_bytes() for name in listed if name != "README.md")
    config = card.data.to_dict()
    assert set(config) <= SPACE_CONFIG_KEYS
    assert card.data.sdk == "docker" and card.data.sdk_version is None and card.data.app_file is None
    assert card.data.app_port == 7860
    assert dockerfile.expose == [card.data.app_port]
    assert dockerfile.env["STREAMLIT_SERVER_PORT"] == str(card.data.app_port)
    assert dockerfile.env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0"
    assert card.data.title == "SimpleRNN Zoo" and config["emoji"] == "🔁"
    assert {config["colorFrom"], config["colorTo"]} <= COLORS
    assert 0 < len(config["short_description"]) <= 60
    assert card.data.license == "mit"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")
    # For visitors, at most 40 lines: the tabs, where the zoo and the code live, and the served zoo's table.
    assert len(card.text.splitlines()) <= 40
    for tab in ("*Classify*", "*Compare training*", "*Zoo*", "*Architecture*", "*What they can do*"):
        assert tab in card.text
    assert "bundled_zoo/" in card.text and f"/spaces/{SPACE}/tree/main" in card.text
    assert results_table(zoo.open_zoo(REPO / "bundled_zoo")) in card.text


def test_the_front_matter_is_defined_once_in_the_space_readme_template():
    assert front_matter(deploy.SPACE_README)["app_port"] == 7860
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert not readme.startswith("---") and readme.startswith("# SimpleRNN Zoo\n")
    assert "app_port" not in readme and "short_description" not in readme


def test_a_dry_run_of_a_hub_zoo_takes_its_table_from_the_cache_or_says_it_comes_with_the_deployment(
        tiny_zoo_path, fake_hub, monkeypatch, capsys, tmp_path):
    commit = publish(fake_hub, tiny_zoo_path, ZOO_REPO)
    source = f"hf://{ZOO_REPO}@{commit}"
    _, into = write_space(monkeypatch, capsys, tmp_path / "before", ["--zoo", source, "--code-url", "https://example.org/zoo"])
    text = SpaceCard.load(into / "README.md").text
    assert f"The table of {source} is written when deploying" in text and "| variant |" not in text
    assert "[the project's repository](https://example.org/zoo)" in text
    assert fake_hub.requests == []  # a dry run makes no request

    zoo.open_zoo(source)  # now the pinned commit is in the local cache
    requests = len(fake_hub.requests)
    _, into = write_space(monkeypatch, capsys, tmp_path / "after", ["--zoo", source])
    assert results_table(zoo.open_zoo(tiny_zoo_path)) in SpaceCard.load(into / "README.md").text
    assert len(fake_hub.requests) == requests  # a dry run makes no request


def test_write_to_refuses_a_folder_that_holds_anything(monkeypatch, capsys, tmp_path, hf_cache):
    (tmp_path / "space").mkdir()
    (tmp_path / "space" / "notes.txt").write_text("mine")
    code, out, err = run_deploy(monkeypatch, capsys, ["--space", SPACE, "--dry-run", "--write-to", str(tmp_path / "space")])
    assert code == 1 and "is not a new or empty folder" in err
    assert [p.name for p in (tmp_path / "space").iterdir()] == ["notes.txt"]


def test_the_dockerfile_runs_python_3_11_as_uid_1000_with_the_app_requirements_only():
    dockerfile = read_dockerfile(REPO / "Dockerfile")
    runs = [run for run, _ in dockerfile.runs]

    assert dockerfile.base == "python:3.11-slim"
    assert dockerfile.users_added == ["useradd --create-home --uid 1000 user"]
    assert dockerfile.user == "user" and dockerfile.env["HOME"] == "/home/user"
    (install,) = [run for run in runs if "pip install" in run]
    assert install == "pip install --no-cache-dir -r requirements.txt"
    assert dockerfile.cmd == ["streamlit", "run", "streamlit_app.py"]
    assert "/_stcore/health" in dockerfile.healthcheck
    # Public by default: the image asks for no operator mode.
    assert ADMIN_ENV not in dockerfile.env and not operator_mode(dockerfile.env.get(ADMIN_ENV))


def test_the_image_runs_code_its_user_cannot_change():
    """The app's files belong to root, outside the user's HOME, with every write bit off; the
    user (uid 1000) takes over only after that, so only its HOME (the zoo's cache) is writable."""
    dockerfile = read_dockerfile(REPO / "Dockerfile")
    text = (REPO / "Dockerfile").read_text()
    copies = [line for line in text.splitlines() if line.startswith("COPY")]

    assert not dockerfile.workdir.startswith(dockerfile.env["HOME"]) and dockerfile.workdir != "/"
    assert copies and not any("--chown" in line for line in copies)
    assert f"chmod -R a-w,a+rX {dockerfile.workdir}" in [run for run, _ in dockerfile.runs]
    assert text.index("chmod -R a-w") < text.index("USER user") < text.index("zoo verify")


def test_the_build_fetches_the_space_variables_zoo_and_the_run_is_offline():
    dockerfile = read_dockerfile(REPO / "Dockerfile", build_args={"ZOO_SOURCE": f"hf://{ZOO_REPO}@{COMMIT}"})
    (fetch, scope), = [(run, scope) for run, scope in dockerfile.runs if "ZOO_SOURCE" in run]

    assert shell_command(fetch).endswith('python -m zoo verify --zoo "$ZOO_SOURCE"')
    assert scope["ZOO_SOURCE"] == f"hf://{ZOO_REPO}@{COMMIT}"
    assert "HF_HUB_OFFLINE" not in scope  # the build may download...
    assert dockerfile.env["HF_HUB_OFFLINE"] == "1"  # ...the run may not
    assert dockerfile.env["ZOO_SOURCE"] == f"hf://{ZOO_REPO}@{COMMIT}"
    assert read_dockerfile(REPO / "Dockerfile").env["ZOO_SOURCE"] == deploy.BUNDLED_SOURCE


# ---------------------------------------------------------------- the rehearsal, cheap


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_space_rehearsal_passes_on_the_tiny_zoo(tiny_zoo_path):
    command = [sys.executable, "scripts/space_rehearsal.py", "--zoo", str(tiny_zoo_path), "--python", sys.executable,
               "--no-screens", "--timeout", "180"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=400)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["passed"] and not [check for check, passed in report["checks"].items() if passed is False]
    assert (report["numbers_checked"], report["numbers_equal"]) == (2 * len(TINY_VARIANTS), 2 * len(TINY_VARIANTS))
    assert report["hub_requests_at_run_time"] == 0
