"""The *Train your own* tab: choose the settings, watch the variant learn, keep it for the session.

The training runs in a process of its own (``zoo.own.TrainingJob``: ``python -m training.own``),
one at a time for the whole server (``zoo.own.TrainingLine``); this view only draws the form,
the job's progress as it reads it, and the result. A trained variant lives in this visitor's
session only (``views.own_variants``: its temporary folder is deleted when the session lets go of
it), joins the other tabs, and can be downloaded as a zoo artifact.
"""

from __future__ import annotations

import atexit
import io
import threading
import time
import zipfile

import pandas as pd
import streamlit as st

from zoo.artifact import ArtifactError
from zoo.inference import label
from zoo.own import (
    DEPTHS, EPOCH_RANGE, MAXLEN_RANGE, UNIT_CHOICES, Caps, OwnSettings, TrainingJob, TrainingLine, review_choices,
    training_available,
)
from zoo.catalog import RECURRENT_CELLS

from .loading import Warming, history_frame
from .messages import shown
from .own_variants import OwnVariant, history_rows, keep, next_number, own_history_rows, own_variants
from .training import history_chart

#: The server's one line for training (module state: every session of this server shares it).
#: Its warm trainer and its jobs end with the server (and, should it be killed, by themselves).
LINE = TrainingLine()
atexit.register(LINE.close)
JOB_KEY = "own_job"
#: The longest the warm trainer waits for the zoo's models to load before it starts anyway, in seconds.
TRAINER_AFTER = 60.0


def warm_trainer_soon(warming: Warming) -> None:
    """Have the server's warm trainer ready from its first page on, whatever the tab, when it can
    train: started once the page is drawn and the zoo's models can answer (a thread waits for
    them), so that its TensorFlow import does not slow a fresh server's first answers. One for the
    whole server (``LINE``); ``TrainingLine.warm_up`` does nothing when one is ready or a job runs."""
    if training_available() is not None:
        return
    if warming.can_answer():
        LINE.warm_up()
    else:
        trainer_after_models(warming)


@st.cache_resource(show_spinner=False)
def trainer_after_models(_warming: Warming) -> threading.Thread:
    """Once per server: a thread that starts the warm trainer when ``_warming``'s models can answer."""

    def start() -> None:
        end = time.monotonic() + TRAINER_AFTER
        while not _warming.can_answer() and time.monotonic() < end:
            time.sleep(0.5)
        LINE.warm_up()

    thread = threading.Thread(target=start, name="own-trainer-after-models", daemon=True)
    thread.start()
    return thread


def train_own_section(source: str, table: pd.DataFrame, readable_ids: list[str]) -> None:
    st.header("Train your own")
    st.caption("Choose a recurrent network and how to train it, press **Train**, and watch it learn on IMDB reviews, "
               "epoch by epoch, over the curves of the zoo's nearest variant. It stays on your page (Classify, Compare "
               "training and What they can do show it too) until you leave; nothing is added to the shared zoo.")
    why = training_available()
    if why:
        st.info(why)
        return
    LINE.warm_up()  # a trainer with TensorFlow imported and the reviews read waits for the next job
    job = st.session_state.get(JOB_KEY)
    if job is not None and job.state in ("waiting", "running"):
        job_progress(job, source, nearest_variant(job.settings, table, readable_ids))
        return
    if job is not None:
        finish(job)
    settings_form(Caps.from_env())
    for variant in reversed(own_variants()):
        result(variant)


def settings_form(caps: Caps) -> None:
    """The form, opening on the seed's recipe; pressing Train puts a job in the server's line."""
    seed = OwnSettings()
    epochs_cap = min(EPOCH_RANGE[1], caps.epochs)
    reviews = review_choices(caps)
    with st.form("own_form"):
        left, right = st.columns(2)
        cell = left.selectbox("Cell", RECURRENT_CELLS, index=RECURRENT_CELLS.index(seed.cell))
        layers = left.select_slider("Depth (layers)", DEPTHS, value=seed.layers)
        units = left.select_slider("Units per layer", UNIT_CHOICES, value=seed.units)
        maxlen = right.slider("maxlen (words read)", MAXLEN_RANGE[0], caps.longest, value=min(seed.maxlen, caps.longest),
                              step=25)
        epochs = right.slider("Epochs", EPOCH_RANGE[0], epochs_cap, value=min(seed.epochs, epochs_cap))
        count = right.select_slider("Training reviews", reviews, value=min(seed.reviews, reviews[-1]),
                                    format_func=lambda n: f"{n:,}",
                                    help="Drawn from the 25,000 IMDB training reviews (a fixed sample); 20% of them "
                                         "are held out for validation.")
        pressed = st.form_submit_button("Train", type="primary")
    st.caption(f"The seed tutorial's recipe is the default. On this server: at most {epochs_cap} epochs, "
               f"{caps.reviews:,} reviews, maxlen {caps.longest} and {duration(caps.seconds)} per run "
               "(then it stops and keeps its best epoch); one training at a time, the others wait in line.")
    if pressed:
        start(OwnSettings(cell, layers, units, maxlen, epochs, count), caps)


def duration(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    return " ".join(part for part in (f"{minutes} min" if minutes else "", f"{seconds} s" if seconds else "") if part)


def start(settings: OwnSettings, caps: Caps) -> None:
    """Put the settings in the server's line, unless the caps refuse them (whatever the widgets allowed)."""
    problems = settings.problems(caps)
    if problems:
        st.error("These settings cannot be trained here: " + "; ".join(problems) + ".")
        return
    if LINE.full():
        st.warning("Many visitors are training right now and the line is full: please try again in a few minutes.")
        return
    job = TrainingJob(settings, seconds=caps.seconds)
    st.session_state[JOB_KEY] = job
    LINE.join(job)
    st.rerun()


def nearest_variant(settings: OwnSettings, table: pd.DataFrame, readable_ids: list[str]) -> str | None:
    """The zoo variant closest to ``settings``: the same cell if it can, then depth, maxlen and units."""
    rows = table[table["id"].isin(readable_ids) & table["reads_order"].fillna(False).astype(bool)]
    if rows.empty:
        return None
    distance = ((rows["cell"] != settings.cell) * 1000 + (rows["layers"] - settings.layers).abs() * 100
                + (rows["maxlen"] - settings.maxlen).abs() / 5 + (rows["units"] - settings.units).abs()
                + (rows["recipe"] != "seed") * 10)
    return str(rows.loc[distance.idxmin(), "id"])


@st.fragment(run_every=1.0)
def job_progress(job: TrainingJob, source: str, nearest: str | None) -> None:
    """The running job, redrawn every second: its place in line, or its progress, curves and Stop."""
    job.seen = time.monotonic()
    if job.state not in ("waiting", "running"):
        st.rerun()  # the whole tab: the result, and the form again
    st.subheader(job.settings.numbered(next_number()))
    if job.state == "waiting":
        ahead = LINE.position(job)
        st.info(f"Another visitor's training is running: yours is number {ahead} in line and starts by itself "
                "when its turn comes. Keep this page open.", icon="⏳")
        if st.button("Leave the line", key="own_leave"):
            job.cancel()
            st.rerun()
        return
    events = job.events()
    fraction, words = progress_words(job, events)
    st.progress(fraction, text=words)
    if st.button("Stop", key="own_stop", disabled=job.stop_asked is not None,
                 help="Stop now and keep the best epoch finished so far."):
        job.stop()
    live_curves(events, job.settings, source, nearest)


def progress_words(job: TrainingJob, events: list[dict]) -> tuple[float, str]:
    """How far the job is (0 to 1) and what it is doing, with an estimate of the time left."""
    epochs = job.settings.epochs
    last = events[-1] if events else {"phase": "reading"}
    done = sum(e["phase"] == "epoch" for e in events)
    if job.stop_asked is not None:
        return min(1.0, done / epochs), "Stopping: the best epoch so far is being evaluated and kept…"
    if last["phase"] in ("reading", "starting"):
        return 0.0, "Reading the reviews and starting TensorFlow…"
    if last["phase"] == "evaluating":
        return 1.0, "Measuring the best epoch on the test sample and writing the variant…"
    within = last.get("batch", 0) / max(1, last.get("batches") or 1) if last["phase"] == "batch" else 0.0
    fraction = min(1.0, (done + within) / epochs)
    first = next((e for e in events if e["phase"] in ("batch", "epoch")), None)
    elapsed = time.time() - first["time"] if first else 0.0
    left = elapsed / fraction * (1 - fraction) if fraction > 0.02 else None
    estimate = f" · about {left:.0f} s left" if left is not None else ""
    return fraction, f"Epoch {min(done + 1, epochs)} of {epochs}{estimate}"


def live_curves(events: list[dict], settings: OwnSettings, source: str, nearest: str | None) -> None:
    """Loss and accuracy of every finished epoch, over the nearest zoo variant's whole history."""
    name = settings.numbered(next_number())
    rows = own_history_rows(name, [e for e in events if e["phase"] == "epoch"])
    if not rows:
        st.caption("The curves appear as the first epoch ends.")
        return
    frame = pd.DataFrame(rows)
    chosen = [name]
    if nearest:
        frame = pd.concat([history_frame(source, (nearest,), False), frame], ignore_index=True)
        chosen = [nearest, name]
    for column, metric in zip(st.columns(2), ("loss", "accuracy")):
        column.altair_chart(history_chart(frame[frame["metric"] == metric], metric, chosen, False),
                            width="stretch", height=320)


def finish(job: TrainingJob) -> None:
    """A job has ended: keep its variant in the session, or say why there is none."""
    del st.session_state[JOB_KEY]
    if job.state == "done":
        keep(job.settings, job, job.variant_id())
        return
    events = job.events()
    error = next((e.get("message") for e in reversed(events) if e.get("phase") == "error"), None)
    if job.state == "cancelled":
        st.info(error or "The training was cancelled; nothing was kept.")
    else:
        st.error("The training failed: " + shown(error or "the training process ended without a result",
                                                 context=f"own training {job.settings.name}"))


def result(variant: OwnVariant) -> None:
    """A trained variant: its curves, its test accuracy on the sample, and the download."""
    artifact = variant.zoo.artifact(variant.variant_id)
    meta, history = artifact.metadata, artifact.history
    tested = (meta.get("data") or {}).get("test_reviews")
    with st.container(border=True):
        st.subheader(variant.name)
        stopped = len(history["loss"]) < variant.settings.epochs
        st.markdown(
            f"Test accuracy **{meta['test_accuracy']:.3f}** on a fixed sample of {tested:,} test reviews (a sample, "
            f"not all 25,000 the zoo's variants are measured on) · best epoch {meta['best_epoch']} of "
            f"{len(history['loss'])}" + (" (stopped early)" if stopped else "") + f" · {meta['params']:,} parameters")
        frame = pd.DataFrame(history_rows(variant))
        for column, metric in zip(st.columns(2), ("loss", "accuracy")):
            column.altair_chart(history_chart(frame[frame["metric"] == metric], metric, [variant.name], False),
                                width="stretch", height=260)
        st.download_button("Download the variant (zoo artifact, .zip)", artifact_zip(variant),
                           f"{variant.variant_id}.zip", "application/zip", key=f"own_zip_{id(variant)}",
                           on_click="ignore",
                           help="Unzip it and run `python -m zoo list --zoo FOLDER` or "
                                "`streamlit run streamlit_app.py` with ZOO_SOURCE=FOLDER.")


def artifact_zip(variant: OwnVariant) -> bytes:
    """The variant's zoo folder (``zoo.json`` and the artifact) as a zip: unzipped, it is a zoo."""
    buffer = io.BytesIO()
    folder = variant.job.zoo_folder
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def own_answers(text: str) -> None:
    """Classify's rows for the variants this visitor trained (nothing when there are none)."""
    variants = own_variants()
    if not variants:
        return
    rows = []
    for variant in variants:
        answer = variant.zoo.classify([text], [variant.variant_id])[variant.variant_id]
        if isinstance(answer, ArtifactError):
            rows.append({"Your variant": variant.name, "P(positive)": None,
                         "Verdict": "could not answer: " + shown(answer, context=variant.name)})
        else:
            rows.append({"Your variant": variant.name, "P(positive)": float(answer[0]),
                         "Verdict": label(float(answer[0]))})
    st.subheader("Your own variants")
    st.table(pd.DataFrame(rows).style.format({"P(positive)": "{:.3f}"}, na_rep="—"), hide_index=True)


def own_training_status() -> None:
    """In the sidebar while this visitor's training runs: how far it is, from any tab (and the
    page's sign of life, without which the server cancels the job after ``ABANDONED_AFTER``)."""
    job = st.session_state.get(JOB_KEY)
    if job is not None and job.state in ("waiting", "running"):
        training_heartbeat(job)


@st.fragment(run_every=2.0)
def training_heartbeat(job: TrainingJob) -> None:
    job.seen = time.monotonic()
    state = job.state
    if state == "waiting":
        st.caption(f"⏳ Your training waits its turn (number {LINE.position(job)} in line).")
    elif state == "running":
        done = sum(e["phase"] == "epoch" for e in job.events())
        st.caption(f"🏋️ Your training runs: {done} of {job.settings.epochs} epochs done (tab *Train your own*).")
    else:
        st.caption("Your training has ended: see the tab *Train your own*.")
