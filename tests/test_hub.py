"""Publishing a zoo to the Hugging Face Hub and opening it from there (``hf://OWNER/NAME[@REVISION]``).

The Hub is not reachable from the machines these tests run on, so:

- the upload path runs ``training.push`` with ``HfApi`` replaced by a recording fake, and
  asserts the exact repo id, repo type, files and commit message;
- the download path runs the real ``huggingface_hub.snapshot_download`` against ``FakeHub``,
  a local HTTP server answering the few Hub endpoints it calls (revision info, tree listing,
  file resolve). The library itself writes the cache (blobs/, snapshots/<commit>/,
  refs/<revision>, trees/), which the offline tests then read with ``HF_HUB_OFFLINE``;
- one live round trip runs only when ``HF_TOKEN`` is set and huggingface.co answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from scripts.fake_hub import OWNER_REPO, publish
from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.hub import FakeHfApi
from training import push
from zoo import hub
from zoo.artifact import (
    CARD_FILE, MANIFEST_FILE, MODEL_FILE, PUBLISHED_FILES, VARIANT_FILES, Artifact, ArtifactError, sha256, write_json,
)
from zoo.store import HubUnreachableError, VariantNotFoundError, ZooError, open_zoo, open_zoo_or_bundled

SECRET = "hf_TEST_TOKEN_never_to_be_printed_0123456789"
EXPECTED_PATHS = ["README.md", "zoo.json"] + [f"{v}/{name}" for v in TINY_VARIANTS for name in PUBLISHED_FILES]
TEXTS = ["A wonderful, moving film.", "Dull and awful, a waste."]


# --------------------------------------------------------------------------- helpers


def set_offline(monkeypatch) -> None:
    """What ``HF_HUB_OFFLINE=1`` does at import time, for a library already imported."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def set_unreachable(monkeypatch) -> None:
    """Point the library at a port nobody listens on: every request fails to connect."""
    from huggingface_hub import constants

    url = "http://127.0.0.1:9"
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}")


def cached_blob(cache: Path, repo_id: str, commit: str, path_in_repo: str) -> Path:
    """The blob a snapshot file of the cache points to."""
    link = cache / f"models--{repo_id.replace('/', '--')}" / "snapshots" / commit / path_in_repo
    assert link.is_symlink(), f"{link} is not a symlink into blobs/"
    return link.resolve()


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize("source, repo_id, revision", [
    ("hf://zoo-keeper/simplernn-zoo", "zoo-keeper/simplernn-zoo", "main"),
    ("hf://zoo-keeper/simplernn-zoo@v1.0", "zoo-keeper/simplernn-zoo", "v1.0"),
    ("hf://Org_1/zoo.2@" + "a" * 40, "Org_1/zoo.2", "a" * 40),
    ("hf://o/z@refs/pr/3", "o/z", "refs/pr/3"),
])
def test_hub_sources_name_a_repo_and_a_revision(source, repo_id, revision):
    parsed = hub.parse_source(source)
    assert (parsed.repo_id, parsed.revision) == (repo_id, revision)


@pytest.mark.parametrize("source", [
    "hf://simplernn-zoo", "hf://a/b/c", "hf://owner/zoo@", "hf://own--er/zoo", "hf://owner/zoo..x",
    "hf:///zoo", "hf://owner/", "hf://owner/zoo name",
])
def test_malformed_hub_sources_are_refused_before_any_request(source, fake_hub):
    with pytest.raises(hub.HubSourceError, match="malformed repo id|empty revision"):
        open_zoo(source)
    assert fake_hub.requests == []


# --------------------------------------------------------------------------- publishing


def run_push(monkeypatch, capsys, argv, api=None):
    FakeHfApi.instances.clear()
    monkeypatch.setattr(push, "HfApi", api or FakeHfApi)
    code = push.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_push_uploads_the_whole_zoo_in_one_commit_to_one_model_repo(tiny_zoo_path, monkeypatch, capsys, hf_cache):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    code, out, err = run_push(monkeypatch, capsys, ["--zoo", str(tiny_zoo_path), "--repo", OWNER_REPO, "--private"])

    assert code == 0, err
    (api,) = FakeHfApi.instances
    assert api.token == SECRET
    args, kwargs = api.call("create_repo")
    assert args == (OWNER_REPO,) and kwargs == {"repo_type": "model", "private": True, "exist_ok": True}
    assert not [c for c in api.calls if c[0] == "create_branch"]
    (repo_id, operations), kwargs = api.call("create_commit")
    assert repo_id == OWNER_REPO
    assert kwargs == {
        "commit_message": f"Publish SimpleRNN Zoo: 3 variants ({', '.join(TINY_VARIANTS)})",
        "repo_type": "model",
        "revision": "main",
    }
    assert [op.path_in_repo for op in operations] == EXPECTED_PATHS
    by_path = {op.path_in_repo: op.path_or_fileobj for op in operations}
    for path in EXPECTED_PATHS[1:]:
        if path.endswith(f"/{CARD_FILE}"):  # rendered for the repo: its recipe downloads from it
            local = (tiny_zoo_path / path).read_text(encoding="utf-8")
            assert by_path[path].decode() == local.replace('"OWNER/NAME"', f'"{OWNER_REPO}"').replace(
                '"hf://OWNER/NAME"', f'"hf://{OWNER_REPO}"')
        else:
            assert Path(by_path[path]).read_bytes() == (tiny_zoo_path / path).read_bytes()
    card = by_path["README.md"].decode()
    from huggingface_hub import ModelCard

    data = ModelCard(card).data
    assert data.library_name == "keras" and data.datasets == ["stanfordnlp/imdb"] and "simplernn" in data.tags
    assert "| variant | cell | depth |" in card
    assert all(f"`{v}`" in card for v in TINY_VARIANTS)
    assert SECRET not in out + err
    assert f"hf://{OWNER_REPO}@{'0' * 40}" in out


def test_the_comparison_table_has_one_row_per_variant_with_its_recorded_numbers(tiny_zoo_path):
    from zoo.report import TABLE_COLUMNS, results_table

    lines = results_table(open_zoo(tiny_zoo_path)).splitlines()

    assert lines[0] == "| " + " | ".join(TABLE_COLUMNS) + " |"
    assert len(lines) == 2 + len(TINY_VARIANTS)
    meta = Artifact.read(tiny_zoo_path / TINY_VARIANTS[2]).metadata
    cells = [cell.strip() for cell in lines[4].strip("|").split("|")]
    short = meta["short_text_accuracy"]
    assert cells[:8] == [f"`{TINY_VARIANTS[2]}`", "SimpleRNN", "1", "300", f"{meta['params']:,}", "1 of 1",
                         f"{meta['val_accuracy']:.3f}", f"{meta['test_accuracy']:.3f}"]
    assert cells[8] == f"{short['first_sentence']:.3f} / {short['last_sentence']:.3f}"
    assert cells[9] == "—"  # one seed: no spread measured
    assert cells[11].endswith(" MB") or cells[11].endswith(" KB")


def test_push_to_a_branch_with_a_message_deletes_what_the_zoo_no_longer_has(tiny_zoo_path, monkeypatch, capsys, hf_cache):
    monkeypatch.setenv("HF_TOKEN", SECRET)

    def api_factory(token):
        return FakeHfApi(token, existing=["zoo.json", "gru-1x32-len500/model.keras", "gru-1x32-len500/README.md"])

    code, _, err = run_push(monkeypatch, capsys, ["--zoo", str(tiny_zoo_path), "--repo", OWNER_REPO,
                                                   "--revision", "retrain-2", "--commit-message", "Retrain"], api_factory)

    assert code == 0, err
    (api,) = FakeHfApi.instances
    assert api.call("create_repo")[1]["private"] is False
    assert api.call("create_branch") == ((OWNER_REPO,), {"branch": "retrain-2", "repo_type": "model", "exist_ok": True})
    assert api.call("list_repo_files")[1]["revision"] == "retrain-2"
    (_, operations), kwargs = api.call("create_commit")
    assert kwargs["commit_message"] == "Retrain" and kwargs["revision"] == "retrain-2"
    deleted = [op.path_in_repo for op in operations if type(op).__name__ == "CommitOperationDelete"]
    assert deleted == ["gru-1x32-len500/model.keras", "gru-1x32-len500/README.md"]


def test_dry_run_prints_each_path_relative_to_the_repo_root_and_makes_no_call(tiny_zoo_path, monkeypatch, capsys, hf_cache):
    def no_api(*args, **kwargs):
        raise AssertionError("--dry-run must not create an HfApi")

    code, out, err = run_push(monkeypatch, capsys, ["--zoo", str(tiny_zoo_path), "--repo", OWNER_REPO, "--dry-run"], no_api)

    assert code == 0, err
    assert out.splitlines() == EXPECTED_PATHS


def _damage_checksum(zoo: Path) -> None:
    with open(zoo / TINY_VARIANTS[1] / MODEL_FILE, "ab") as file:
        file.write(b"\0")


def _remove_vocabulary(zoo: Path) -> None:
    (zoo / TINY_VARIANTS[0] / "vocabulary.txt").unlink()


def _empty_manifest(zoo: Path) -> None:
    write_json(zoo / MANIFEST_FILE, {"format": 1, "variants": []})


@pytest.mark.parametrize("argv, damage, message", [
    (["--repo", OWNER_REPO], None, "no Hugging Face token: set HF_TOKEN or run `hf auth login`"),
    (["--repo", "simplernn-zoo"], None, "malformed repo id 'simplernn-zoo'"),
    (["--repo", "a/b/c"], None, "malformed repo id"),
    (["--repo", OWNER_REPO, "--dry-run"], _damage_checksum, f"variant {TINY_VARIANTS[1]} fails its own checksums"),
    (["--repo", OWNER_REPO, "--dry-run"], _remove_vocabulary, f"variant {TINY_VARIANTS[0]} is incomplete: "),
    (["--repo", OWNER_REPO, "--dry-run"], _empty_manifest, "lists no variants"),
])
def test_push_refuses_in_one_line_without_a_traceback(argv, damage, message, tiny_zoo_copy, monkeypatch, capsys, hf_cache):
    if damage:
        damage(tiny_zoo_copy)
    code, out, err = run_push(monkeypatch, capsys, ["--zoo", str(tiny_zoo_copy), *argv])

    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err
    assert FakeHfApi.instances == []


def test_push_refuses_a_folder_that_is_not_a_zoo(tmp_path, monkeypatch, capsys, hf_cache):
    code, _, err = run_push(monkeypatch, capsys, ["--zoo", str(tmp_path / "nowhere"), "--repo", OWNER_REPO, "--dry-run"])
    assert code == 1 and err == f"error: no zoo folder at {tmp_path / 'nowhere'}\n"

    (tmp_path / "empty").mkdir()
    code, _, err = run_push(monkeypatch, capsys, ["--zoo", str(tmp_path / "empty"), "--repo", OWNER_REPO, "--dry-run"])
    assert code == 1 and "has no zoo.json: not a zoo folder" in err


def test_a_hub_failure_during_push_is_one_line_and_never_shows_the_token(tiny_zoo_path, monkeypatch, capsys, hf_cache):
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    monkeypatch.setenv("HF_TOKEN", SECRET)

    class Forbidden(FakeHfApi):
        def create_repo(self, *args, **kwargs):
            response = httpx2.Response(403, request=httpx2.Request("POST", "https://huggingface.co/api/repos/create"))
            raise HfHubHTTPError("403 Forbidden: You don't have the rights to create a model under this namespace",
                                 response=response)

    code, out, err = run_push(monkeypatch, capsys, ["--zoo", str(tiny_zoo_path), "--repo", OWNER_REPO], Forbidden)

    assert code == 1 and out == ""
    assert err == (f"error: pushing to {OWNER_REPO} failed: HfHubHTTPError: 403 Forbidden: "
                   "You don't have the rights to create a model under this namespace\n")
    assert SECRET not in err


# --------------------------------------------------------------------------- downloading


def test_a_pushed_zoo_opens_from_the_hub_and_classifies_as_the_local_one(tiny_zoo_path, fake_hub, hf_cache, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    code, out, err = run_push(monkeypatch, capsys, ["--zoo", str(tiny_zoo_path), "--repo", OWNER_REPO],
                              lambda token: FakeHfApi(token, fake_hub=fake_hub))
    assert code == 0, err
    monkeypatch.delenv("HF_TOKEN")
    commit = fake_hub.repos[OWNER_REPO]["branches"]["main"]

    zoo = open_zoo(f"hf://{OWNER_REPO}")

    assert zoo.ids == list(TINY_VARIANTS)
    assert zoo.origin == {"kind": "hub", "repo": OWNER_REPO, "revision": "main", "commit": commit}
    assert zoo.path == hf_cache / "models--zoo-keeper--simplernn-zoo" / "snapshots" / commit
    assert all(entry.error is None for entry in zoo.entries())
    local = open_zoo(tiny_zoo_path).classify(TEXTS, [TINY_VARIANTS[0]])[TINY_VARIANTS[0]]
    remote = zoo.classify(TEXTS, [TINY_VARIANTS[0]])[TINY_VARIANTS[0]]
    assert remote.tolist() == local.tolist()


def test_the_cache_is_laid_out_as_the_library_lays_it_out(tiny_zoo_path, fake_hub, hf_cache):
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache

    commit = publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}")

    storage = hf_cache / "models--zoo-keeper--simplernn-zoo"
    assert (storage / "refs" / "main").read_text() == commit
    assert cached_blob(hf_cache, OWNER_REPO, commit, "zoo.json").parent == storage / "blobs"
    (repo,) = scan_cache_dir(hf_cache).repos
    assert (repo.repo_id, repo.repo_type, set(repo.refs)) == (OWNER_REPO, "model", {"main"})
    (revision,) = repo.revisions
    assert revision.commit_hash == commit
    assert len(revision.files) == 1 + 3 * len(PUBLISHED_FILES)  # the zoo card is not fetched
    model = try_to_load_from_cache(OWNER_REPO, f"{TINY_VARIANTS[0]}/{MODEL_FILE}", cache_dir=hf_cache)
    assert Path(model).read_bytes() == (tiny_zoo_path / TINY_VARIANTS[0] / MODEL_FILE).read_bytes()


def test_only_the_manifest_and_the_variants_asked_for_are_fetched(tiny_zoo_path, fake_hub, hf_cache):
    publish(fake_hub, tiny_zoo_path)

    zoo = open_zoo(f"hf://{OWNER_REPO}", variants=[TINY_VARIANTS[1]])

    assert zoo.ids == [TINY_VARIANTS[1]]
    assert sorted(fake_hub.downloads()) == sorted(["zoo.json"] + [f"{TINY_VARIANTS[1]}/{n}" for n in PUBLISHED_FILES])
    assert not (zoo.path / TINY_VARIANTS[0]).exists()


def test_opening_a_hub_zoo_checks_each_file_against_its_checksum_once(tiny_zoo_path, fake_hub, hf_cache, monkeypatch):
    from zoo import artifact

    publish(fake_hub, tiny_zoo_path)
    hashed = []
    sha256 = artifact.sha256
    monkeypatch.setattr(artifact, "sha256", lambda path: hashed.append(path.name) or sha256(path))

    zoo = open_zoo(f"hf://{OWNER_REPO}")
    assert [entry.error for entry in zoo.entries()] == [None] * len(TINY_VARIANTS)
    assert sorted(hashed) == sorted(artifact.CHECKED_FILES * len(TINY_VARIANTS))


def test_a_second_start_uses_the_cache_without_downloading_again(tiny_zoo_path, fake_hub, hf_cache):
    commit = publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}")
    fake_hub.requests.clear()

    again = open_zoo(f"hf://{OWNER_REPO}")

    assert again.origin["commit"] == commit and again.ids == list(TINY_VARIANTS)
    assert fake_hub.downloads() == []
    # A branch is looked up once to see whether it moved; nothing else is asked.
    assert fake_hub.requests == [("GET", f"/api/models/{OWNER_REPO}/revision/main")]

    fake_hub.requests.clear()
    pinned = open_zoo(f"hf://{OWNER_REPO}@{commit}")
    assert pinned.origin == {"kind": "hub", "repo": OWNER_REPO, "revision": commit, "commit": commit}
    assert fake_hub.requests == []


def test_a_moved_branch_is_followed_and_an_old_commit_stays_pinned(tiny_zoo_path, tiny_zoo_copy, fake_hub, hf_cache):
    first = publish(fake_hub, tiny_zoo_path)
    shutil.rmtree(tiny_zoo_copy / TINY_VARIANTS[2])
    write_json(tiny_zoo_copy / MANIFEST_FILE, {"format": 1, "variants": list(TINY_VARIANTS[:2])})
    second = publish(fake_hub, tiny_zoo_copy)

    assert open_zoo(f"hf://{OWNER_REPO}").origin["commit"] == second
    assert open_zoo(f"hf://{OWNER_REPO}").ids == list(TINY_VARIANTS[:2])
    assert open_zoo(f"hf://{OWNER_REPO}@{first}").ids == list(TINY_VARIANTS)


def test_offline_mode_opens_the_cached_zoo_without_a_request(tiny_zoo_path, fake_hub, hf_cache, monkeypatch):
    commit = publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}")
    fake_hub.requests.clear()
    set_offline(monkeypatch)

    zoo = open_zoo(f"hf://{OWNER_REPO}")

    assert zoo.origin["commit"] == commit and zoo.ids == list(TINY_VARIANTS)
    assert all(entry.error is None for entry in zoo.entries())
    assert fake_hub.requests == []


def test_hf_hub_offline_in_the_environment_works_from_the_cache(tiny_zoo_path, fake_hub, hf_cache):
    commit = publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}")
    fake_hub.requests.clear()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hf_cache), "HF_ENDPOINT": fake_hub.url}
    env.pop("HF_TOKEN", None)

    result = subprocess.run([sys.executable, "-m", "zoo", "list", "--json", "--zoo", f"hf://{OWNER_REPO}"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == list(TINY_VARIANTS)
    assert {(row["origin_kind"], row["origin_repo"], row["origin_revision"], row["origin_commit"]) for row in rows} == {
        ("hub", OWNER_REPO, "main", commit)}
    assert fake_hub.requests == []

    table = subprocess.run([sys.executable, "-m", "zoo", "list", "--zoo", f"hf://{OWNER_REPO}"],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert table.stdout.splitlines()[0] == f"zoo: hf://{OWNER_REPO} (hub, commit {commit})"


def test_an_unreachable_hub_falls_back_to_the_cache(tiny_zoo_path, fake_hub, hf_cache, monkeypatch):
    commit = publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}")
    set_unreachable(monkeypatch)

    zoo = open_zoo(f"hf://{OWNER_REPO}")

    assert zoo.origin["commit"] == commit and zoo.ids == list(TINY_VARIANTS)


def test_a_half_downloaded_file_is_reported_and_never_loaded(tiny_zoo_path, fake_hub, hf_cache, monkeypatch):
    commit = publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}")
    broken = TINY_VARIANTS[2]
    blob = cached_blob(hf_cache, OWNER_REPO, commit, f"{broken}/{MODEL_FILE}")
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])  # as if the transfer stopped halfway
    set_offline(monkeypatch)

    zoo = open_zoo(f"hf://{OWNER_REPO}")

    errors = {entry.id: entry.error for entry in zoo.entries()}
    assert errors[TINY_VARIANTS[0]] is None and errors[TINY_VARIANTS[1]] is None
    assert f"{broken}: {MODEL_FILE} fails its checksum" in errors[broken]
    assert f"hf cache rm {commit}" in errors[broken]
    with pytest.raises(ArtifactError, match="fails its checksum"):
        zoo.model(broken)
    results = zoo.classify(TEXTS)
    assert isinstance(results[broken], ArtifactError)
    assert results[TINY_VARIANTS[0]].shape == (2,)


def test_a_variant_the_repo_does_not_list_is_named_with_the_ones_it_has(tiny_zoo_path, fake_hub, hf_cache):
    publish(fake_hub, tiny_zoo_path)

    with pytest.raises(VariantNotFoundError) as raised:
        open_zoo(f"hf://{OWNER_REPO}", variants=["lstm-1x32-len500"])

    assert str(raised.value) == f"hf://{OWNER_REPO} has no variant lstm-1x32-len500; it has: {', '.join(TINY_VARIANTS)}"
    assert fake_hub.downloads() == ["zoo.json"]


def test_a_variant_listed_but_missing_from_the_repo_is_a_broken_entry(tiny_zoo_path, tiny_zoo_copy, fake_hub, hf_cache):
    shutil.rmtree(tiny_zoo_copy / TINY_VARIANTS[1])
    files = {p.relative_to(tiny_zoo_copy).as_posix(): p.read_bytes() for p in tiny_zoo_copy.rglob("*") if p.is_file()}
    fake_hub.commit(OWNER_REPO, files)

    zoo = open_zoo(f"hf://{OWNER_REPO}")

    errors = {entry.id: entry.error for entry in zoo.entries()}
    assert errors[TINY_VARIANTS[0]] is None
    assert errors[TINY_VARIANTS[1]].startswith(f"{TINY_VARIANTS[1]}: its folder is missing ({zoo.path / TINY_VARIANTS[1]}): "
                                               f"zoo.json lists it but hf://{OWNER_REPO} has none of its files at commit")


def test_a_variant_never_cached_while_offline_is_unreachable_and_the_bundled_zoo_stands_in(
        tiny_zoo_path, fake_hub, hf_cache, monkeypatch):
    publish(fake_hub, tiny_zoo_path)
    open_zoo(f"hf://{OWNER_REPO}", variants=[TINY_VARIANTS[0]])
    set_offline(monkeypatch)
    monkeypatch.setattr("zoo.store.BUNDLED_ZOO", tiny_zoo_path)

    with pytest.raises(HubUnreachableError, match=rf"HF_HUB_OFFLINE is set\) and the cache holds commit \w+ "
                                                  rf"without all the files of {TINY_VARIANTS[1]}\."):
        open_zoo(f"hf://{OWNER_REPO}", variants=[TINY_VARIANTS[1]])
    assert open_zoo(f"hf://{OWNER_REPO}", variants=[TINY_VARIANTS[0]]).ids == [TINY_VARIANTS[0]]


@pytest.mark.parametrize("offline", [False, True], ids=["unreachable", "HF_HUB_OFFLINE"])
def test_nothing_cached_and_no_hub_falls_back_to_the_bundled_zoo_with_a_notice(offline, tiny_zoo_path, hf_cache, monkeypatch):
    set_offline(monkeypatch) if offline else set_unreachable(monkeypatch)
    monkeypatch.setattr("zoo.store.BUNDLED_ZOO", tiny_zoo_path)

    with pytest.raises(HubUnreachableError, match="nothing of it is in the Hugging Face cache"):
        open_zoo(f"hf://{OWNER_REPO}")
    zoo, notice = open_zoo_or_bundled(f"hf://{OWNER_REPO}")

    assert zoo.origin["kind"] == "bundled" and zoo.ids == list(TINY_VARIANTS)
    assert notice.startswith(f"hf://{OWNER_REPO}: the Hub cannot be reached")
    assert notice.endswith("Showing the bundled zoo instead.")
    assert ("HF_HUB_OFFLINE is set" in notice) == offline


def test_hub_answers_become_errors_a_person_can_act_on(tiny_zoo_path, fake_hub, hf_cache, monkeypatch):
    publish(fake_hub, tiny_zoo_path)
    publish(fake_hub, tiny_zoo_path, repo_id="zoo-keeper/private-zoo", private=True)
    publish(fake_hub, tiny_zoo_path, repo_id="zoo-keeper/gated-zoo", gated=True)
    fake_hub.commit("zoo-keeper/not-a-zoo", {"README.md": b"# hello\n"})
    monkeypatch.setattr("zoo.store.BUNDLED_ZOO", tiny_zoo_path)

    cases = [
        ("hf://zoo-keeper/nothing-here", hub.HubRepoNotFoundError,
         "does not exist, or it is private and no token is set: set HF_TOKEN or run `hf auth login`"),
        ("hf://zoo-keeper/private-zoo", hub.HubRepoNotFoundError, "it is private and no token is set"),
        ("hf://zoo-keeper/gated-zoo", hub.HubAccessError, "is gated: accept its access conditions at "),
        (f"hf://{OWNER_REPO}@v9", hub.HubRevisionNotFoundError, "the repo has no branch, tag or commit 'v9'"),
        ("hf://zoo-keeper/not-a-zoo", hub.NotAZooRepoError, "has no zoo.json: it is not a SimpleRNN Zoo repo"),
    ]
    for source, error_type, message in cases:
        with pytest.raises(error_type) as raised:
            open_zoo(source)
        assert message in str(raised.value), source
        # Only an unreachable Hub lets the bundled zoo stand in; these reach the person.
        with pytest.raises(error_type):
            open_zoo_or_bundled(source)


def test_cli_fetches_only_the_variant_asked_for_from_the_hub(tiny_zoo_path, fake_hub, hf_cache, capsys):
    from zoo.cli import main

    publish(fake_hub, tiny_zoo_path)

    code = main(["classify", "--zoo", f"hf://{OWNER_REPO}", "--variant", TINY_VARIANTS[0], "--json", TEXTS[0]])

    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert list(answer["predictions"]) == [TINY_VARIANTS[0]]
    assert {p.split("/")[0] for p in fake_hub.downloads()} == {"zoo.json", TINY_VARIANTS[0]}


# --------------------------------------------------------------------------- loading never runs code


def test_a_model_file_carrying_a_python_lambda_is_refused(tiny_zoo_copy, tmp_path):
    import keras

    marker = tmp_path / "ran"
    marker_path = str(marker)  # the lambda leaves this file behind whenever it runs
    inputs = keras.Input(shape=(100,), dtype="int32")
    outputs = keras.layers.Lambda(
        lambda x: (open(marker_path, "w").close(), keras.ops.cast(x[:, :1], "float32"))[1])(inputs)
    variant = tiny_zoo_copy / TINY_VARIANTS[0]
    keras.Model(inputs, outputs).save(variant / MODEL_FILE)
    marker.unlink(missing_ok=True)  # building the model ran the lambda once, here in the test
    metadata = json.loads((variant / "metadata.json").read_text())
    metadata["files"][MODEL_FILE] = sha256(variant / MODEL_FILE)  # a consistent artifact, not a damaged one
    write_json(variant / "metadata.json", metadata)

    with pytest.raises(ArtifactError, match="safe_mode"):
        Artifact.read(variant).load_model()
    assert not marker.exists()


# --------------------------------------------------------------------------- live Hub


def _live_hub_or_skip() -> tuple[str, str]:
    token = os.environ.get("HF_TOKEN")
    if not token:
        pytest.skip("live Hub round trip: HF_TOKEN is not set")
    from huggingface_hub import HfApi

    try:
        user = HfApi(token=token).whoami()["name"]
    except Exception as error:  # connection refused, DNS failure, proxy, 5xx...
        pytest.skip(f"live Hub round trip: huggingface.co does not answer ({error.__class__.__name__})")
    return token, user


def test_live_round_trip_push_download_classify_delete(tiny_zoo_path, monkeypatch, tmp_path, capsys):
    token, user = _live_hub_or_skip()
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    repo_id = f"{user}/simplernn-zoo-test-{uuid.uuid4().hex[:8]}"
    try:
        assert push.main(["--zoo", str(tiny_zoo_path), "--repo", repo_id, "--private"]) == 0
        assert token not in capsys.readouterr().out
        assert HfApi(token=token).repo_info(repo_id).private is True
        zoo = open_zoo(f"hf://{repo_id}", variants=[TINY_VARIANTS[0]])
        local = open_zoo(tiny_zoo_path).classify(TEXTS, [TINY_VARIANTS[0]])[TINY_VARIANTS[0]]
        assert zoo.classify(TEXTS)[TINY_VARIANTS[0]].tolist() == local.tolist()
    finally:
        HfApi(token=token).delete_repo(repo_id, missing_ok=True)


# --------------------------------------------------------------------------- hostile zoos

#: Variant ids a hostile or broken zoo could list: each would leave its folder, or be a glob.
HOSTILE_IDS = ["../../../../zq-escape", "simplernn/../../zq-escape", "/tmp/zq-escape", "..", "*", "zq[ab]",
               "Simplernn-1x32-len100", "a\\b", "", "x" * 200]


@pytest.mark.parametrize("variant_id", HOSTILE_IDS)
def test_a_hostile_hub_manifest_is_refused_in_one_line_and_nothing_is_written_outside_the_cache(
        variant_id, tiny_zoo_path, fake_hub, hf_cache, tmp_path):
    good = TINY_VARIANTS[0]
    files = {MANIFEST_FILE: json.dumps({"format": 1, "variants": [good, variant_id]}).encode()}
    for name in VARIANT_FILES:
        files[f"{good}/{name}"] = (tiny_zoo_path / good / name).read_bytes()
        files[f"{variant_id}/{name}"] = b"hostile"  # the repo holds the files its manifest points at
    fake_hub.commit(OWNER_REPO, files)
    before = set(tmp_path.parent.rglob("*"))

    with pytest.raises(hub.NotAZooRepoError) as raised:
        open_zoo(f"hf://{OWNER_REPO}")

    message = str(raised.value)
    assert "\n" not in message and "is refused: a name must be lower-case letters, digits" in message
    assert message.startswith(f"hf://{OWNER_REPO} (commit ")
    assert fake_hub.downloads() == [MANIFEST_FILE]  # not one file of any variant
    written = set(tmp_path.parent.rglob("*")) - before
    assert written and all(path == hf_cache or hf_cache in path.parents for path in written)
    # os.walk, not glob: other pytest sessions' folders beside this one may vanish meanwhile (pytest
    # deletes old ones), and glob then raises FileNotFoundError (seen at load 2-4, another session running).
    assert not [name for _, dirs, files in os.walk(tmp_path.parent.parent) for name in dirs + files
                if name.startswith("zq-escape")]


def test_a_hostile_local_manifest_is_refused_in_one_line(tiny_zoo_copy):
    write_json(tiny_zoo_copy / MANIFEST_FILE, {"format": 1, "variants": [TINY_VARIANTS[0], "../outside"]})
    with pytest.raises(ZooError) as raised:
        open_zoo(tiny_zoo_copy)
    assert str(raised.value) == ("cannot read the zoo's manifest: zoo.json: the variant id '../outside' is refused: "
                                 "a name must be lower-case letters, digits, '.', '_' or '-', without '..' or a path separator")


def test_only_the_files_the_format_defines_are_hashed_whatever_the_metadata_names(tiny_zoo_copy, monkeypatch):
    """A metadata.json naming other files (``../../zoo.json``, ``/etc/passwd``) makes its variant
    broken; the files it names are never opened, and the others' checksums cover only the format's files."""
    import zoo.artifact

    victim = TINY_VARIANTS[1]
    metadata = json.loads((tiny_zoo_copy / victim / "metadata.json").read_text())
    metadata["files"]["../../zoo.json"] = sha256(tiny_zoo_copy / MANIFEST_FILE)
    metadata["files"]["/etc/passwd"] = "0" * 64
    write_json(tiny_zoo_copy / victim / "metadata.json", metadata)
    hashed = []
    original = zoo.artifact.sha256
    monkeypatch.setattr(zoo.artifact, "sha256", lambda path: hashed.append(Path(path)) or original(path))

    z = open_zoo(tiny_zoo_copy)
    errors = {entry.id: entry.error for entry in z.entries()}

    assert errors[victim] == (f"{victim}: metadata.json: files names '../../zoo.json', which is not a file of the "
                              "artifact format")
    assert errors[TINY_VARIANTS[0]] is None and errors[TINY_VARIANTS[2]] is None
    assert hashed and all(path.parent.parent == tiny_zoo_copy and path.name in zoo.artifact.CHECKED_FILES
                          for path in hashed)
