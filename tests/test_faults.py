"""Damaged zoos and full disks, each caused for real: the CLI and the app report the broken
variant and go on with the rest, ``python -m zoo verify`` exits non-zero, and a save that
runs out of disk space raises a clear error and replaces nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import zoo
from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.files import copy_files, fill_up, leftovers, mounted_small_disk, snapshot
from tests.support.app import review_box
from tests.support.cli import call
from zoo.artifact import (
    HISTORY_FILE, MANIFEST_FILE, METADATA_FILE, MODEL_FILE, VOCABULARY_FILE, Artifact, DiskFullError,
    read_manifest, sha256, write_json, write_variant,
)
from zoo.cli import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from zoo.cli import main as zoo_main

APP = REPO / "streamlit_app.py"
REVIEW = "A wonderful, moving film with brilliant actors. I loved the story!"
DAMAGED = TINY_VARIANTS[1]
MISSING = "gru-1x32-len500"


def truncate_model(zoo_dir: Path) -> tuple[str, str]:
    model = zoo_dir / DAMAGED / MODEL_FILE
    with open(model, "r+b") as file:
        file.truncate(model.stat().st_size // 2)
    return DAMAGED, "model.keras fails its checksum"


def corrupt_history(zoo_dir: Path) -> tuple[str, str]:
    (zoo_dir / DAMAGED / HISTORY_FILE).write_text('{"loss": [0.69, 0.6', encoding="utf-8")
    return DAMAGED, "history.json is unreadable"


def delete_history(zoo_dir: Path) -> tuple[str, str]:
    (zoo_dir / DAMAGED / HISTORY_FILE).unlink()
    return DAMAGED, "missing history.json"


def list_a_missing_variant(zoo_dir: Path) -> tuple[str, str]:
    write_json(zoo_dir / MANIFEST_FILE, {"format": 1, "variants": [*TINY_VARIANTS, MISSING]})
    return MISSING, "is missing"


def change_a_checked_file(zoo_dir: Path) -> tuple[str, str]:
    # Still a valid vocabulary, only not the one the model was trained with.
    with open(zoo_dir / DAMAGED / VOCABULARY_FILE, "a", encoding="utf-8") as file:
        file.write("sneaky\n")
    return DAMAGED, "vocabulary.txt fails its checksum"


def edit_metadata(zoo_dir: Path, change) -> dict:
    """Apply ``change`` to the damaged variant's metadata (which no checksum covers)."""
    path = zoo_dir / DAMAGED / METADATA_FILE
    metadata = json.loads(path.read_text(encoding="utf-8"))
    change(metadata)
    write_json(path, metadata)
    return metadata


def add_an_unknown_spec_field(zoo_dir: Path) -> tuple[str, str]:
    # A newer version's spec: the field might change how texts are encoded, so it is not guessed at.
    edit_metadata(zoo_dir, lambda m: m["spec"].update(padding="post"))
    return DAMAGED, "metadata.json: unknown field spec.padding"


def drop_best_epoch(zoo_dir: Path) -> tuple[str, str]:
    edit_metadata(zoo_dir, lambda m: m.pop("best_epoch"))
    return DAMAGED, "metadata.json: no 'best_epoch'"


def mistype_a_metric(zoo_dir: Path) -> tuple[str, str]:
    edit_metadata(zoo_dir, lambda m: m.update(test_accuracy="0.84"))
    return DAMAGED, "metadata.json: test_accuracy is '0.84', not a number"


def mistype_a_recipe_field(zoo_dir: Path) -> tuple[str, str]:
    edit_metadata(zoo_dir, lambda m: m["spec"]["recipe"].update(epochs="ten"))
    return DAMAGED, "metadata.json: spec.recipe.epochs is 'ten', not int"


FAULTS = {
    "unknown spec field": add_an_unknown_spec_field,
    "missing best_epoch": drop_best_epoch,
    "metric of the wrong type": mistype_a_metric,
    "recipe field of the wrong type": mistype_a_recipe_field,
    "truncated model.keras": truncate_model,
    "corrupt history.json": corrupt_history,
    "missing history.json": delete_history,
    "manifest names a missing variant": list_a_missing_variant,
    "checksum mismatch": change_a_checked_file,
}


@pytest.fixture(params=list(FAULTS))
def damaged_zoo(request, tiny_zoo_copy) -> tuple[Path, str, str]:
    """A copy of the tiny zoo with one fault: (zoo folder, broken variant, what its error says)."""
    broken, says = FAULTS[request.param](tiny_zoo_copy)
    return tiny_zoo_copy, broken, says


@pytest.fixture(scope="module")
def sound_answers(tiny_zoo_path) -> dict[tuple[str, ...], dict]:
    """The sound tiny zoo's answers to the texts below: a damaged copy's healthy variants are
    the same files, so they must give these numbers (read once, not once per fault)."""
    z = zoo.open_zoo(tiny_zoo_path)
    return {texts: z.classify(list(texts)) for texts in ((REVIEW, "awful boring mess"), (REVIEW,))}


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = zoo_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_reports_the_broken_variant_and_serves_the_others(damaged_zoo, sound_answers, capsys):
    zoo_dir, broken, says = damaged_zoo
    healthy = [v for v in TINY_VARIANTS if v != broken]

    code, out, _ = cli(capsys, "list", "--zoo", str(zoo_dir), "--json")
    rows = {row["id"]: row for row in json.loads(out)}
    assert code == EXIT_PARTIAL
    assert set(rows[broken]) == {"id", "error"} and says in rows[broken]["error"]
    assert all(0 <= rows[v]["test_accuracy"] <= 1 for v in healthy)

    code, out, _ = cli(capsys, "list", "--zoo", str(zoo_dir))
    assert any(line.startswith(broken) and "BROKEN" in line and says in line for line in out.splitlines())

    code, out, err = cli(capsys, "classify", "--zoo", str(zoo_dir), "--json", REVIEW, "awful boring mess")
    answers = [json.loads(line) for line in out.splitlines()]
    expected = sound_answers[REVIEW, "awful boring mess"]
    assert code == EXIT_PARTIAL
    for i, answer in enumerate(answers):
        assert sorted(answer["predictions"]) == sorted(healthy)
        for vid in healthy:
            assert answer["predictions"][vid] == pytest.approx(float(expected[vid][i]), abs=1e-6)
        assert says in answer["errors"][broken]
    assert f"warning: variant {broken} is broken and was skipped" in err

    code, out, _ = cli(capsys, "verify", "--zoo", str(zoo_dir))
    assert code == EXIT_PARTIAL
    problems = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert len(problems) == 1 and problems[0].startswith(f"ERROR  {broken}: ") and says in problems[0]
    assert out.splitlines()[-1] == f"NOT OK: {zoo_dir}: {len(healthy)} of {len(healthy) + 1} variants pass"


def test_the_app_reports_the_broken_variant_and_serves_the_others(damaged_zoo, sound_answers, monkeypatch):
    zoo_dir, broken, says = damaged_zoo
    healthy = [v for v in TINY_VARIANTS if v != broken]
    monkeypatch.setenv("ZOO_SOURCE", str(zoo_dir))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    review_box(at).input(REVIEW)
    at.button(key="classify_button").click()
    at.run()
    assert not at.exception, at.exception

    errors = [str(e.value) for e in at.error]
    assert any(e.startswith(f"Variant {broken} could not answer") and says in e for e in errors)
    assert any(e.startswith(f"Variant {broken} is broken") and says in e for e in errors)
    shown = at.table[0].value.set_index("variant")
    assert shown.loc[broken, "says"] == "error"
    expected = sound_answers[REVIEW,]
    for vid in healthy:
        assert shown.loc[vid].iloc[0] == pytest.approx(float(expected[vid][0]), abs=1e-6)
    assert any(s.endswith(f"of {len(healthy)} variants say positive") for s in (str(h.value) for h in at.subheader))


# --- verify --------------------------------------------------------------------------------------


def test_an_unknown_recipe_field_is_ignored_and_verify_names_it(tiny_zoo_copy, capsys):
    """A zoo written by a newer version with a new training setting: the recipe says how a model
    was trained, not how it reads, so the variant serves and verify warns once, naming the field."""
    def newer(metadata):
        metadata["spec"]["recipe"]["warmup_steps"] = 100
        metadata["provenance"] = {"pipeline": "a newer one"}  # a key of its own: kept, and not read

    edit_metadata(tiny_zoo_copy, newer)
    code, out, _ = cli(capsys, "list", "--zoo", str(tiny_zoo_copy), "--json")
    assert code == EXIT_OK and [row["id"] for row in json.loads(out)] == list(TINY_VARIANTS)
    assert zoo.open_zoo(tiny_zoo_copy).artifact(DAMAGED).spec.recipe.epochs == 1

    code, out, _ = cli(capsys, "verify", "--zoo", str(tiny_zoo_copy), "--no-load")
    assert code == EXIT_OK
    assert out.splitlines() == [
        f"WARNING  {DAMAGED}: spec.recipe.warmup_steps: unknown to this version of the zoo and ignored "
        "(a training setting; the model reads texts as before)",
        f"OK: {tiny_zoo_copy}: 3 of 3 variants pass, 1 warning(s)",
    ]


def test_verify_warns_once_about_variants_trained_with_another_text_pipeline(tiny_zoo_copy, capsys):
    from zoo.text import TEXT_PIPELINE_VERSION

    assert zoo.open_zoo(tiny_zoo_copy).artifact(DAMAGED).text_pipeline == TEXT_PIPELINE_VERSION
    for variant_id in TINY_VARIANTS[:2]:  # artifacts from before the version was recorded
        path = tiny_zoo_copy / variant_id / METADATA_FILE
        write_json(path, {k: v for k, v in json.loads(path.read_text()).items() if k != "text_pipeline"})
    assert [a.text_pipeline for a in zoo.open_zoo(tiny_zoo_copy).artifacts()] == [1, 1, TEXT_PIPELINE_VERSION]

    code, out, _ = cli(capsys, "verify", "--zoo", str(tiny_zoo_copy), "--no-load")
    assert code == EXIT_OK
    warning, verdict = out.splitlines()
    assert warning.startswith(f"WARNING  {TINY_VARIANTS[0]}, {TINY_VARIANTS[1]}: trained with text pipeline 1, "
                              f"served with {TEXT_PIPELINE_VERSION}")
    assert verdict == f"OK: {tiny_zoo_copy}: 3 of 3 variants pass, 1 warning(s)"


def test_verify_passes_a_sound_zoo_and_says_so(tiny_zoo_path):
    result = call("verify", "--zoo", str(tiny_zoo_path), "--json")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report == {"source": str(tiny_zoo_path), "ok": True, "variants": dict.fromkeys(TINY_VARIANTS, "ok"),
                      "problems": []}


def test_verify_warns_about_folders_that_are_not_served(tiny_zoo_copy, capsys):
    shutil.copytree(tiny_zoo_copy / TINY_VARIANTS[0], tiny_zoo_copy / "my-experiment")
    (tiny_zoo_copy / f".tmp-{TINY_VARIANTS[0]}-x1y2z3").mkdir()
    shutil.copytree(tiny_zoo_copy / TINY_VARIANTS[0], tiny_zoo_copy / f".old-{TINY_VARIANTS[0]}")
    code, out, _ = cli(capsys, "verify", "--zoo", str(tiny_zoo_copy), "--no-load")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        f"WARNING  .old-{TINY_VARIANTS[0]}", f"WARNING  .tmp-{TINY_VARIANTS[0]}-x1y2z3", "WARNING  my-experiment",
    ]
    assert "not served" in lines[2] and "unfinished save" in lines[1]
    assert lines[-1] == f"OK: {tiny_zoo_copy}: 3 of 3 variants pass, 3 warning(s)"


def test_verify_finds_a_variant_an_interrupted_save_left_aside(tiny_zoo_copy, capsys):
    (tiny_zoo_copy / TINY_VARIANTS[0]).rename(tiny_zoo_copy / f".old-{TINY_VARIANTS[0]}")
    code, out, _ = cli(capsys, "verify", "--zoo", str(tiny_zoo_copy), "--no-load")
    assert code == EXIT_PARTIAL
    assert f"ERROR  .old-{TINY_VARIANTS[0]}: {TINY_VARIANTS[0]} was moved aside" in out
    assert f"rename .old-{TINY_VARIANTS[0]} back to {TINY_VARIANTS[0]}" in out


def test_verify_loads_each_model_in_safe_mode(tiny_zoo_copy, capsys):
    """A model.keras whose checksum was updated to match, but which carries a Python lambda."""
    import keras

    folder = tiny_zoo_copy / DAMAGED
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), keras.layers.Lambda(lambda x: x * 0 + 1.0)])
    model.save(folder / MODEL_FILE)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    metadata["files"][MODEL_FILE] = sha256(folder / MODEL_FILE)
    write_json(folder / METADATA_FILE, metadata)

    code, out, _ = cli(capsys, "verify", "--zoo", str(tiny_zoo_copy), "--json")
    report = json.loads(out)
    assert code == EXIT_PARTIAL and not report["ok"]
    assert report["variants"] == {v: "broken" if v == DAMAGED else "ok" for v in TINY_VARIANTS}
    [problem] = report["problems"]
    assert problem["subject"] == DAMAGED and "cannot load model.keras" in problem["message"]
    assert "safe_mode" in problem["message"]


def test_verify_refuses_a_variant_without_recorded_checksums(tiny_zoo_copy, capsys):
    folder = tiny_zoo_copy / DAMAGED
    metadata = json.loads((folder / METADATA_FILE).read_text())
    del metadata["files"]
    write_json(folder / METADATA_FILE, metadata)
    code, out, _ = cli(capsys, "verify", "--zoo", str(tiny_zoo_copy), "--no-load")
    assert code == EXIT_PARTIAL
    assert f"ERROR  {DAMAGED}: metadata.json records no checksum for model.keras, vocabulary.txt, history.json" in out


@pytest.mark.parametrize("manifest", ['{"variants": ["simplernn-1x', '["simplernn-1x32-len100"]'])
def test_an_unreadable_manifest_is_a_clear_error(tiny_zoo_copy, capsys, manifest):
    (tiny_zoo_copy / MANIFEST_FILE).write_text(manifest)
    for command in ("verify", "list"):
        code, out, err = cli(capsys, command, "--zoo", str(tiny_zoo_copy))
        assert code == EXIT_USAGE and out == ""
        assert err.startswith("error: cannot read the zoo's manifest: zoo.json ")


def test_the_app_says_why_it_cannot_open_a_zoo_with_an_unreadable_manifest(tiny_zoo_copy, monkeypatch):
    (tiny_zoo_copy / MANIFEST_FILE).write_text('{"variants": ["simplernn-1x')
    monkeypatch.setenv("ZOO_SOURCE", str(tiny_zoo_copy))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("Cannot open this zoo: cannot read the zoo's manifest: zoo.json is unreadable" in str(e.value)
               for e in at.sidebar.error)


def test_a_folder_without_a_manifest_does_not_verify(tmp_path, capsys):
    code, out, _ = cli(capsys, "verify", "--zoo", str(tmp_path))
    assert code == EXIT_PARTIAL
    assert out.startswith(f"ERROR  zoo: no zoo.json in {tmp_path}: not a zoo folder")


# --- a disk that fills up while saving ---------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MB disk: room for two 1.3 MB models at most."""
    with mounted_small_disk(tmp_path / "small-disk", "3m") as disk:
        yield disk


def save_a_new_model(source: Path):
    """A ``fill`` that saves a real Keras model (the source variant's) and copies its other files."""
    model = Artifact.read(source).load_model()

    def fill(folder: Path) -> None:
        for path in source.iterdir():
            if path.name != MODEL_FILE:
                shutil.copy(path, folder / path.name)
        model.save(folder / MODEL_FILE)

    return fill


def test_a_full_disk_keeps_the_previous_variant(tiny_zoo_path, small_disk):
    zoo_dir = small_disk / "zoo"
    shutil.copytree(tiny_zoo_path / TINY_VARIANTS[0], zoo_dir / TINY_VARIANTS[0])
    write_json(zoo_dir / MANIFEST_FILE, {"format": 1, "variants": [TINY_VARIANTS[0]]})
    before, manifest = snapshot(zoo_dir / TINY_VARIANTS[0]), (zoo_dir / MANIFEST_FILE).read_bytes()
    fill_up(small_disk, leave=300_000)  # room for a few files, not for a 1.3 MB model

    with pytest.raises(DiskFullError, match="no space left") as raised:
        write_variant(zoo_dir, TINY_VARIANTS[0], save_a_new_model(tiny_zoo_path / TINY_VARIANTS[1]))
    assert f"nothing was replaced (the previous {TINY_VARIANTS[0]} is intact)" in str(raised.value)
    assert isinstance(raised.value, OSError) and raised.value.errno == 28

    assert snapshot(zoo_dir / TINY_VARIANTS[0]) == before
    assert (zoo_dir / MANIFEST_FILE).read_bytes() == manifest
    assert leftovers(zoo_dir) == []
    z = zoo.open_zoo(zoo_dir)
    assert z.ids == [TINY_VARIANTS[0]] and z.classify([REVIEW])[TINY_VARIANTS[0]].shape == (1,)


def test_a_full_disk_adds_no_half_variant(tiny_zoo_path, small_disk):
    zoo_dir = small_disk / "zoo"
    shutil.copytree(tiny_zoo_path / TINY_VARIANTS[0], zoo_dir / TINY_VARIANTS[0])
    write_json(zoo_dir / MANIFEST_FILE, {"format": 1, "variants": [TINY_VARIANTS[0]]})
    fill_up(small_disk, leave=300_000)
    with pytest.raises(DiskFullError, match=f"nothing was replaced \\(no {TINY_VARIANTS[1]} was there before\\)"):
        write_variant(zoo_dir, TINY_VARIANTS[1], save_a_new_model(tiny_zoo_path / TINY_VARIANTS[1]))
    assert sorted(p.name for p in zoo_dir.iterdir()) == [TINY_VARIANTS[0], MANIFEST_FILE]
    assert read_manifest(zoo_dir) == [TINY_VARIANTS[0]]


def test_a_disk_that_fills_just_before_the_manifest_update_says_so(tiny_zoo_path, small_disk):
    zoo_dir = small_disk / "zoo"
    zoo_dir.mkdir()
    write_json(zoo_dir / MANIFEST_FILE, {"format": 1, "variants": []})

    def fill_then_take_the_rest(folder: Path) -> None:
        copy_files(tiny_zoo_path / TINY_VARIANTS[0])(folder)
        fill_up(small_disk, leave=0)

    with pytest.raises(DiskFullError, match=f"{TINY_VARIANTS[0]} was saved but is not listed yet"):
        write_variant(zoo_dir, TINY_VARIANTS[0], fill_then_take_the_rest)
    assert read_manifest(zoo_dir) == []
    Artifact.read(zoo_dir / TINY_VARIANTS[0]).verify()  # complete, only unlisted: verify warns about it
