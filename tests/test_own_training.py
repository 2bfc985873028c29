"""Training a variant of one's own from the app (``zoo.own``, ``python -m training.own``, the
*Train your own* tab), on the tiny made-up corpus."""

from __future__ import annotations

import gc

import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from zoo.artifact import Artifact, read_manifest
from zoo.own import Caps, OwnSettings, TrainingJob, TrainingLine, read_events, training_available

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
ROOT = APP.parent
#: Small enough to train in seconds on the tiny corpus.
QUICK = OwnSettings(cell="SimpleRNN", layers=1, units=8, maxlen=25, epochs=2, reviews=5000)


@pytest.fixture
def imdb(monkeypatch, tiny_corpus, tmp_path):
    """The tiny corpus as the server's configured data, with a cache of its own."""
    monkeypatch.setenv("IMDB_DATA", str(tiny_corpus))
    monkeypatch.setenv("SIMPLERNN_ZOO_CACHE", str(tmp_path / "cache"))
    for name in ("ZOO_TRAINING", "ZOO_TRAIN_MAX_EPOCHS", "ZOO_TRAIN_MAX_REVIEWS", "ZOO_TRAIN_MAX_SECONDS",
                 "ZOO_TRAIN_MAX_MAXLEN"):
        monkeypatch.delenv(name, raising=False)
    return tiny_corpus


def wait_for(job: TrainingJob, line: TrainingLine, states=("done", "failed", "cancelled"), timeout=240) -> str:
    end = time.monotonic() + timeout
    while job.state not in states and time.monotonic() < end:
        job.seen = time.monotonic()
        line.advance()
        time.sleep(0.2)
    return job.state


def gone(folder: Path, timeout: float = 10) -> bool:
    """The folder is removed once the job is collected (the line's thread may hold it for one more look)."""
    end = time.monotonic() + timeout
    while folder.exists() and time.monotonic() < end:
        gc.collect()
        time.sleep(0.1)
    return not folder.exists()


# ---------------------------------------------------------------- settings and caps

def test_the_form_opens_on_the_seed_recipe():
    settings = OwnSettings()
    assert (settings.cell, settings.layers, settings.units, settings.maxlen, settings.epochs, settings.reviews) == \
        ("SimpleRNN", 1, 32, 500, 10, 25_000)
    assert settings.spec().id == "simplernn-1x32-len500"
    assert settings.spec().recipe.epochs == 10


@pytest.mark.parametrize("change, words", [
    ({"cell": "Transformer"}, "cell"), ({"layers": 5}, "depth"), ({"units": 33}, "units"),
    ({"maxlen": 24}, "maxlen"), ({"maxlen": 501}, "maxlen"), ({"epochs": 0}, "epochs"), ({"epochs": 11}, "epochs"),
    ({"reviews": 25_001}, "reviews"), ({"layers": True}, "depth"), ({"maxlen": 200.5}, "maxlen"),
])
def test_a_bad_setting_is_refused_with_a_message_whatever_the_widgets_allow(change, words):
    settings = OwnSettings(**{**QUICK.__dict__, **change})
    problems = settings.problems(Caps())
    assert len(problems) == 1 and words in problems[0]


def test_the_operator_caps_come_from_the_environment_and_bad_values_keep_the_defaults():
    caps = Caps.from_env({"ZOO_TRAIN_MAX_EPOCHS": "3", "ZOO_TRAIN_MAX_REVIEWS": "lots", "ZOO_TRAIN_MAX_SECONDS": "-5"})
    assert caps == Caps(epochs=3, reviews=25_000, seconds=300)
    assert OwnSettings(epochs=4).problems(caps) == ["the epochs must be 1 to 3 on this server"]
    shorter = Caps.from_env({"ZOO_TRAIN_MAX_MAXLEN": "200"})
    assert shorter.longest == 200 and Caps.from_env({"ZOO_TRAIN_MAX_MAXLEN": "9000"}).longest == 500
    assert OwnSettings(maxlen=225).problems(shorter) == ["maxlen must be 25 to 200 words on this server"]


def test_own_variants_have_colours_of_their_own_never_a_zoo_variants_or_the_verdicts():
    from views.colors import NEGATIVE, POSITIVE, SEED_COLOR, variant_color
    from zoo import catalog

    zoo_colors = {variant_color(spec.id) for spec in catalog.CATALOG} | {POSITIVE, NEGATIVE, SEED_COLOR}
    # The three a session keeps are three colours; a variant named like a zoo one still gets its own.
    ours = [variant_color(OwnSettings(maxlen=500).numbered(n)) for n in (1, 2, 3)]
    assert len(set(ours)) == 3 and not set(ours) & zoo_colors
    assert variant_color(OwnSettings().numbered(4)) == ours[0]


def test_without_data_or_switched_off_the_tab_says_how_in_one_sentence(tiny_corpus):
    assert "set IMDB_DATA" in training_available({})
    assert "set IMDB_DATA" in training_available({"IMDB_DATA": "/nowhere/aclImdb_v1.tar.gz"})
    assert "switched off" in training_available({"IMDB_DATA": str(tiny_corpus), "ZOO_TRAINING": "off"})
    assert training_available({"IMDB_DATA": str(tiny_corpus)}) is None


# ---------------------------------------------------------------- the command

def test_the_command_refuses_settings_over_the_caps(imdb, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_TRAIN_MAX_EPOCHS", "2")
    done = subprocess.run([sys.executable, "-m", "training.own", "--epochs", "3", "--out", str(tmp_path / "zoo"),
                           "--progress", str(tmp_path / "p.jsonl")], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 2
    assert read_events(tmp_path / "p.jsonl")[-1]["message"] == "Refused: the epochs must be 1 to 2 on this server."
    assert not (tmp_path / "zoo").exists()


@pytest.mark.slow
def test_two_jobs_wait_in_line_a_cancelled_one_leaves_nothing_and_the_next_trains_a_zoo_artifact(imdb):
    """The second job, which waited for the cancelled first, is the job whose artifact and reported
    epochs are checked: one training for both (each is a TensorFlow process of its own)."""
    line = TrainingLine(warm=False)
    first, job = TrainingJob(QUICK, seconds=300), TrainingJob(QUICK, seconds=300)
    line.join(first)
    line.join(job)
    assert (first.state, job.state) == ("running", "waiting")
    assert line.position(job) == 1
    first.cancel()
    line.advance()
    assert first.state == "cancelled" and first.process.returncode != 0
    assert job.state == "running" and line.position(job) == 0
    assert wait_for(job, line) == "done", (job.folder / "training.log").read_text()
    cancelled = first.folder
    first.remove()
    assert not cancelled.exists()

    # A job trains a zoo artifact with every epoch reported.
    epochs = [e for e in job.events() if e["phase"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    artifact = Artifact.read(job.zoo_folder / "simplernn-1x8-len25")
    assert artifact.history["val_accuracy"] == [e["val_accuracy"] for e in epochs]
    assert artifact.metadata["data"]["test_reviews"] == 120  # every test review of the tiny corpus (under 5,000)
    assert read_manifest(job.zoo_folder) == ["simplernn-1x8-len25"]
    listed = subprocess.run([sys.executable, "-m", "zoo", "list", "--zoo", str(job.zoo_folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "simplernn-1x8-len25" in listed.stdout
    line.advance()  # the line lets go of an ended job at its next look
    assert job not in line.jobs
    folder = job.folder
    del job
    assert gone(folder)  # the temporary folder goes with the job


@pytest.mark.slow
def test_stop_keeps_the_best_epoch_so_far(imdb):
    line = TrainingLine(warm=False)
    job = TrainingJob(OwnSettings(**{**QUICK.__dict__, "epochs": 10, "maxlen": 500, "units": 64, "layers": 4}),
                      seconds=300)
    line.join(job)
    end = time.monotonic() + 240
    while not any(e["phase"] == "epoch" for e in job.events()) and time.monotonic() < end:
        job.seen = time.monotonic()
        time.sleep(0.05)
    job.stop()
    assert wait_for(job, line) == "done", (job.folder / "training.log").read_text()
    artifact = Artifact.read(job.zoo_folder / job.variant_id())
    kept = len(artifact.history["loss"])
    assert 1 <= kept < 10
    assert artifact.metadata["best_epoch"] <= kept
    assert artifact.spec.recipe.epochs == kept


def test_the_test_accuracy_is_measured_on_a_fixed_sample_of_the_test_reviews_and_their_sentences():
    from training.corpus import Corpus, Encoded
    from training.own import test_sample
    from zoo.text import OOV_TOKEN, PAD_TOKEN, Vocabulary

    def encoded(offset):  # review i is [offset + i], labelled i % 2
        return Encoded([np.array([offset + i]) for i in range(12)], np.arange(12) % 2)

    splits = {"train": encoded(0), "validation": encoded(0), "test": encoded(100),
              "first_sentence": encoded(200), "last_sentence": encoded(300)}
    corpus = Corpus(Vocabulary((PAD_TOKEN, OOV_TOKEN, "a")), splits, {"test_reviews": 12, "train_reviews": 12})
    sampled = test_sample(corpus, 5)
    rows = [int(s[0]) - 100 for s in sampled.test.sequences]
    assert len(rows) == 5 == len(set(rows)) and rows == sorted(rows)
    for name, offset in (("first_sentence", 200), ("last_sentence", 300)):  # the same reviews' sentences
        assert [int(s[0]) - offset for s in sampled.splits[name].sequences] == rows
    assert sampled.test.labels.tolist() == [r % 2 for r in rows]
    assert sampled.data_record() == {"test_reviews": 5, "train_reviews": 12}
    assert test_sample(corpus, 5).test.sequences == sampled.test.sequences  # fixed: the same sample every time
    assert sampled.train is corpus.train
    assert test_sample(corpus, 12) is corpus  # no more than it holds: all of them


@pytest.mark.slow
def test_a_warm_trainer_waits_ready_takes_the_next_job_and_a_new_one_replaces_it(imdb):
    line = TrainingLine()
    line.warm_up()
    end = time.monotonic() + 240
    while not line.ready() and time.monotonic() < end:
        time.sleep(0.2)
    assert line.ready()
    warm = line.warm.process
    job = TrainingJob(QUICK, seconds=300)
    line.join(job)
    assert job.process is warm and line.warm is None  # no second TensorFlow beside a running job
    assert wait_for(job, line) == "done", (job.folder / "training.log").read_text()
    assert [e["epoch"] for e in job.events() if e["phase"] == "epoch"] == [1, 2]
    assert Artifact.read(job.zoo_folder / "simplernn-1x8-len25").metadata["data"]["test_reviews"] == 120
    line.advance()
    assert line.warm is not None and line.warm.process is not warm  # the next job's, warming up
    cancelled = TrainingJob(QUICK, seconds=300)
    line.join(cancelled)
    second = line.warm  # None: the job took it
    cancelled.cancel()
    line.advance()
    assert second is None and cancelled.state == "cancelled" and cancelled.process.returncode != 0
    assert line.warm is not None and line.warm.alive  # a killed job's trainer is replaced
    ready_file = line.warm.ready_file
    line.close()
    assert line.warm is None and not ready_file.exists()


def test_a_warm_trainer_that_died_waiting_is_not_started_again_at_every_page_view(tmp_path):
    from zoo.own import WARM_RETRY, WarmTrainer, _warm_env

    died = subprocess.Popen([sys.executable, "-c", "pass"])
    died.wait()
    line = TrainingLine()
    line.warm = WarmTrainer(died, tmp_path / "ready", _warm_env())
    line.warm_up()
    assert line.warm is None and not line.ready()
    line._warm_died -= WARM_RETRY  # a minute later it is tried again
    line.warm_up()
    assert line.warm is not None and line.warm.alive
    line.close()
    assert line.warm is None


def test_a_trainer_ends_with_its_server_and_takes_its_reading_process_along(imdb, tmp_path):
    import psutil

    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    ready = tmp_path / "ready"
    trainer = subprocess.Popen([sys.executable, "-m", "training.own", "--serve", "--ready", str(ready),
                                "--parent", str(server.pid)], cwd=ROOT, stdin=subprocess.PIPE)
    try:  # its stdin stays open: only the server's end can end it
        end = time.monotonic() + 120
        while not ready.exists() and trainer.poll() is None and time.monotonic() < end:
            time.sleep(0.2)
        children = psutil.Process(trainer.pid).children(recursive=True)
        server.kill()
        server.wait()
        assert trainer.wait(timeout=30) == 3
        assert not psutil.wait_procs(children, timeout=10)[1]
    finally:
        for process in (server, trainer):
            process.kill()
            process.wait()


@pytest.mark.parametrize("setting, posix", [(None, 10), ("5", 5), ("0", 0), ("lots", 10)])
def test_a_job_trains_below_the_servers_priority_unless_the_operator_says_otherwise(setting, posix, monkeypatch):
    import psutil

    monkeypatch.delenv("ZOO_TRAIN_NICENESS", raising=False)
    if setting is not None:
        monkeypatch.setenv("ZOO_TRAIN_NICENESS", setting)
    shown = subprocess.run([sys.executable, "-c", "import psutil; from training.own import lower_priority; "
                            "print(int(psutil.Process().nice())); lower_priority(); print(int(psutil.Process().nice()))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    before, after = map(int, shown.stdout.split())
    if sys.platform == "win32":
        assert after == (int(psutil.BELOW_NORMAL_PRIORITY_CLASS) if posix else before)
    else:
        assert after == before + posix or after == min(19, posix), shown.stderr


@pytest.mark.slow
def test_the_first_page_of_any_tab_starts_the_servers_warm_trainer_once_the_models_answer(imdb, monkeypatch,
                                                                                          tiny_zoo_path):
    import streamlit as st

    from views.train_own import LINE

    monkeypatch.setenv("ZOO_SOURCE", str(tiny_zoo_path))
    LINE.close()
    LINE.keeps_warm = True
    for tab in ("Classify", "Compare training"):
        st.cache_resource.clear()  # a fresh server: its models load anew
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params["tab"] = tab
        at.run()
        assert not at.exception, at.exception
        end = time.monotonic() + 60
        while LINE.warm is None and time.monotonic() < end:  # a thread starts it once the models can answer
            time.sleep(0.2)
        assert LINE.warm is not None and LINE.warm.alive, tab
        first = LINE.warm
        at.run()  # another page: the same trainer, one for the server
        assert LINE.warm is first
        LINE.close()
        LINE.keeps_warm = True
    monkeypatch.setenv("ZOO_TRAINING", "off")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    time.sleep(1)
    assert LINE.warm is None  # a server that cannot train starts none


def test_a_job_whose_page_stopped_asking_is_cancelled(imdb):
    line = TrainingLine(abandoned_after=0.5, warm=False)
    job = TrainingJob(QUICK, seconds=300)
    line.join(job)
    time.sleep(1.0)
    line.advance()
    assert job.state == "cancelled" and not job.folder.exists()


# ---------------------------------------------------------------- the tab

def test_the_tab_trains_and_the_variant_answers_in_classify_and_downloads_as_a_zoo(imdb, monkeypatch, tiny_zoo_path,
                                                                                   tmp_path):
    monkeypatch.setenv("ZOO_SOURCE", str(tiny_zoo_path))
    monkeypatch.delenv("ZOO_ADMIN", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["tab"] = "Train your own"
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == "SimpleRNN" and at.slider[0].value == 500  # the seed's recipe
    at.select_slider[1].set_value(8)
    at.slider[0].set_value(25)
    at.slider[1].set_value(2)
    at.select_slider[2].set_value(5000)
    at.button[0].click().run()  # Train (the form's button)
    job = at.session_state["own_job"]
    assert job.settings == QUICK
    from views.train_own import LINE

    assert wait_for(job, LINE) == "done", (job.folder / "training.log").read_text()
    at.run()
    assert not at.exception, at.exception
    assert any("Test accuracy" in m.value and "a fixed sample of 120 test reviews" in m.value for m in at.markdown)
    variant = at.session_state["own_variants"][0]
    from views.train_own import artifact_zip

    with zipfile.ZipFile(io.BytesIO(artifact_zip(variant))) as archive:
        archive.extractall(tmp_path / "unzipped")
    assert read_manifest(tmp_path / "unzipped") == ["simplernn-1x8-len25"]
    assert Artifact.read(tmp_path / "unzipped" / "simplernn-1x8-len25").metadata == variant.zoo.artifact(
        variant.variant_id).metadata

    # The same session's Classify tab (AppTest cannot click a tab: a page opened on it, with this session's state).
    classify_page = AppTest.from_file(str(APP), default_timeout=120)
    classify_page.session_state["own_variants"] = at.session_state["own_variants"]
    classify_page.run()
    at = classify_page
    assert not at.exception, at.exception
    ours = next(t for t in at.table if "Your variant" in t.value.columns)
    expected = float(variant.zoo.classify([at.session_state.submitted], [variant.variant_id])[variant.variant_id][0])
    assert ours.value["Your variant"].tolist() == [QUICK.numbered(1)]
    assert float(ours.value["P(positive)"].iloc[0]) == pytest.approx(expected, abs=1e-6)
    # Sentiment as it reads follows it too: its last point is its answer.
    read = [frame[frame["variant"] == QUICK.numbered(1)] for frame in chart_frames(at) if "p_positive" in frame]
    assert len(read) == 1 and float(read[0]["p_positive"].iloc[-1]) == pytest.approx(expected, abs=1e-5)

    # Compare training draws its history over the zoo's, and What they can do probes it.
    for tab in ("Compare training", "What they can do"):
        page = AppTest.from_file(str(APP), default_timeout=180)
        page.query_params["tab"] = tab
        page.session_state["own_variants"] = at.session_state["own_variants"]
        page.run()
        assert not page.exception, page.exception
        drawn = [frame for frame in chart_frames(page) if "variant" in frame]
        assert any((frame["variant"] == QUICK.numbered(1)).any() for frame in drawn), tab
    spans = next(d.value for d in page.dataframe if "span, sentence first" in d.value.columns)
    assert spans["variant"].iloc[-1] == QUICK.numbered(1)


def chart_frames(at: AppTest) -> list:
    """The data of every chart on the page, one frame per dataset."""
    import pyarrow as pa

    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for chart in at.get("vega_lite_chart") for d in chart.proto.datasets]


def test_the_line_takes_a_bounded_number_of_jobs():
    from zoo.own import LINE_LENGTH

    line = TrainingLine()
    line.jobs = [TrainingJob(QUICK, seconds=1) for _ in range(LINE_LENGTH)]
    assert not line.full()
    line.jobs.append(TrainingJob(QUICK, seconds=1))
    assert line.full()
