"""``python -m zoo`` against the tiny zoo: its commands, their output and their exit status.

Most tests call the command's entry point in this process (``tests.support.cli.call``: the same
arguments, environment and working folder as ``python -m zoo``, stdout and stderr captured, the
exit status it would exit with), so that TensorFlow is imported once for the file, not once per
command (5-24 s a subprocess on a 2-core machine). The last test holds ``call`` to ``run``: the
same exit status, stdout and stderr, byte for byte
(``test_the_in_process_call_answers_as_the_real_process_does``).

Real processes (``run``, ``subprocess.run``) remain where the process is what is tested:

- ``test_tensorflow_start_up_lines_do_not_reach_the_terminal``: what reaches file descriptor 2 of
  a fresh ``python -m zoo`` process, start-up lines and first-use lines of TensorFlow's C++ side
  included (each is printed once per process), once per command that loads models. Its ``classify``
  is the end-to-end run, as a person types it.
- ``test_the_quiet_import_swallows...``: a fresh interpreter's ``import tensorflow``, loud and quiet.
- ``list`` and ``--help`` (``test_list_*``, ``test_help_*``, ``test_training_help_*``, the missing
  zoo in ``test_classify_refuses_...``): they import no TensorFlow, so a real process costs about
  0.2 s; they check ``python -m`` finding the modules, argparse's exit in a real process, and the
  exit status 1 and 2 of a real process (``sys.exit(main())`` in ``zoo/__main__.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.cli import call, run
from zoo.artifact import HISTORY_FILE, METADATA_FILE, MODEL_FILE
from zoo.cli import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from zoo.text import MAX_TEXT_CHARS



def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- list ----------------------------------------------------------------------------------------

LIST_FIELDS = ("id", "cell", "layers", "units", "maxlen", "num_words", "params", "epochs", "best_epoch",
               "val_accuracy", "test_accuracy", "seconds_per_epoch")


def test_list_json_gives_each_variants_recorded_facts(tiny_zoo_path):
    result = run("list", "--zoo", str(tiny_zoo_path), "--json")
    assert result.returncode == EXIT_OK, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == list(TINY_VARIANTS)
    for row in rows:
        meta = read_json(tiny_zoo_path / row["id"] / METADATA_FILE)
        history = read_json(tiny_zoo_path / row["id"] / HISTORY_FILE)
        spec = meta["spec"]
        expected = {
            "id": meta["id"], "cell": spec["cell"], "layers": spec["layers"], "units": spec["units"],
            "maxlen": spec["maxlen"], "num_words": spec["num_words"], "params": meta["params"],
            "epochs": len(history["loss"]), "best_epoch": meta["best_epoch"], "val_accuracy": meta["val_accuracy"],
            "test_accuracy": meta["test_accuracy"], "seconds_per_epoch": meta["seconds_per_epoch"],
        }
        assert {key: row[key] for key in LIST_FIELDS} == expected
    by_id = {row["id"]: row for row in rows}
    assert (by_id["simplernn-2x32-len100"]["cell"], by_id["simplernn-2x32-len100"]["layers"]) == ("SimpleRNN", 2)
    assert by_id["simplernn-2x32-len100"]["params"] == 324_193
    assert by_id["simplernn-1x32-len300-tuned"]["maxlen"] == 300
    assert all(row["epochs"] == 1 and row["best_epoch"] == 1 and row["num_words"] == 10_000 for row in rows)


def test_list_prints_a_readable_table(tiny_zoo_path):
    result = run("list", "--zoo", str(tiny_zoo_path))
    assert result.returncode == EXIT_OK, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"zoo: {tiny_zoo_path} (local")
    assert lines[1].split() == ["variant", "params", "epochs", "best", "val", "acc", "test", "acc", "s/epoch"]
    for variant_id, line in zip(TINY_VARIANTS, lines[2:], strict=True):
        meta = read_json(tiny_zoo_path / variant_id / METADATA_FILE)
        assert line.split() == [
            variant_id, f"{meta['params']:,}", "1", "1", f"{meta['val_accuracy']:.4f}",
            f"{meta['test_accuracy']:.4f}", f"{meta['seconds_per_epoch']:.1f}",
        ]


def test_list_marks_an_unreadable_variant_and_exits_1(tiny_zoo_copy):
    (tiny_zoo_copy / TINY_VARIANTS[1] / METADATA_FILE).write_text("{")
    result = run("list", "--zoo", str(tiny_zoo_copy), "--json")
    assert result.returncode == EXIT_PARTIAL
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == list(TINY_VARIANTS)
    assert set(rows[1]) == {"id", "error"} and "metadata.json is unreadable" in rows[1]["error"]
    assert "test_accuracy" in rows[0] and "test_accuracy" in rows[2]


# --- classify ------------------------------------------------------------------------------------

# (line, refused?) for one input file: every kind of text a person may paste.
LINES = [
    ("A wonderful, brilliant film. Loved it, truly!", False),
    ("", True),
    ("   \t  ", True),
    ("qwxz blorft zzyzx", False),  # unknown words only: classified from the unknown-word index
    ("素晴らしい映画でした", False),
    ("Ужасный фильм, скучно и плохо", False),
    ("😀👍🎬", True),
    ("good\x00film\x1b[0m awful\rboring", True),  # a NUL byte: not text, refused on its own
    ("\x00\x01\x02\x1b", True),
    ("good\x1b[0m film awful\rboring", False),  # control characters, a lone \r inside the line
    ("before\u2028after\x0bvertical\x0cfeed\x1cfs\x85next", False),  # str.splitlines would split these
    ("\ufffd\ufffd broken bytes then great", False),
    (("terrible awful waste " * 60_000)[:1_000_000], False),  # a 1 MB line
    ("The worst, most boring mess.<br /><br />Awful!", False),
]


@pytest.fixture(scope="module")
def classified(tiny_zoo_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("input") / "texts.txt"
    data = "\n".join(text for text, _ in LINES).encode("utf-8") + b"\n"
    data = data.replace("\ufffd\ufffd".encode(), b"\xff\xfe")  # invalid UTF-8, as found in the wild
    path.write_bytes(data)
    result = call("classify", "--zoo", str(tiny_zoo_path), "--json", "--input", str(path))
    return result, [text for text, _ in LINES]


def test_classify_json_answers_each_line_in_order(classified):
    result, texts = classified
    assert result.returncode == EXIT_OK, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(LINES)
    for answer, (text, refused) in zip(answers, LINES):
        if refused:
            assert set(answer) == {"error"} and answer["error"], (text, answer)
        else:
            assert set(answer["predictions"]) == set(TINY_VARIANTS), (text, answer)
            assert all(0 < p < 1 for p in answer["predictions"].values())
    assert answers[1]["error"] == answers[2]["error"] == "empty text"
    assert "no words" in answers[6]["error"]
    assert answers[7]["error"] == answers[8]["error"] == "not text: it holds NUL bytes (a binary file?)"


def test_classify_json_predictions_equal_the_library(classified, tiny_zoo_path):
    import zoo

    result, texts = classified
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    accepted = [i for i, (_, refused) in enumerate(LINES) if not refused]
    expected = zoo.open_zoo(tiny_zoo_path).classify([texts[i] for i in accepted])
    for row, i in enumerate(accepted):
        for variant_id in TINY_VARIANTS:
            assert answers[i]["predictions"][variant_id] == pytest.approx(float(expected[variant_id][row]), abs=1e-5)


def test_classify_json_reports_words_known_words_and_truncation(classified):
    result, _ = classified
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert (answers[0]["words"], answers[0]["known_words"]) == (7, 6)  # "truly" is not in the tiny corpus
    assert (answers[3]["words"], answers[3]["known_words"]) == (3, 0)
    assert answers[12]["truncated_to_chars"] == MAX_TEXT_CHARS
    assert all("truncated_to_chars" not in a for i, a in enumerate(answers) if i != 12)


def test_classify_with_chosen_variants_and_texts_as_arguments(tiny_zoo_path):
    import zoo

    chosen = [TINY_VARIANTS[2], TINY_VARIANTS[0]]
    texts = ["Loved it, a wonderful film", "boring awful waste"]
    result = call("classify", "--zoo", str(tiny_zoo_path), "--variant", chosen[0], "--variant", chosen[1], *texts)
    assert result.returncode == EXIT_OK, result.stderr
    expected = zoo.open_zoo(tiny_zoo_path).classify(texts, chosen)
    blocks = result.stdout.strip().split("\n\n")
    assert len(blocks) == 2
    for text, block, row in zip(texts, blocks, range(2)):
        # The short-text notice (two lines: a short text) is left aside: its own test reads it.
        lines = [line for line in block.splitlines() if not line.startswith(("  note: ", "        "))]
        assert lines[0] == repr(text)
        shown = {line.split()[0]: (float(line.split()[1]), line.split()[2]) for line in lines[1:]}
        assert list(shown) == chosen
        for variant_id, (p, label) in shown.items():
            assert p == pytest.approx(float(expected[variant_id][row]), abs=5e-4)
            assert label == ("positive" if p > 0.5 else "negative")


def test_classify_refuses_unknown_variants_and_missing_input_with_exit_2(tiny_zoo_path, tmp_path):
    result = call("classify", "--zoo", str(tiny_zoo_path), "--variant", "simplernn-9x32-len100", "good film")
    assert result.returncode == EXIT_USAGE
    assert "has no variant simplernn-9x32-len100" in result.stderr
    assert all(variant_id in result.stderr for variant_id in TINY_VARIANTS)
    assert result.stdout == ""

    result = call("classify", "--zoo", str(tiny_zoo_path), "--input", str(tmp_path / "missing.txt"))
    assert result.returncode == EXIT_USAGE
    assert "cannot read --input" in result.stderr and "Traceback" not in result.stderr

    result = run("list", "--zoo", str(tmp_path / "no-zoo-here"))
    assert result.returncode == EXIT_USAGE
    assert "no zoo folder at" in result.stderr


def test_a_broken_variant_does_not_silence_the_others(tiny_zoo_copy):
    broken = TINY_VARIANTS[1]
    with open(tiny_zoo_copy / broken / MODEL_FILE, "r+b") as file:
        file.truncate(2000)
    result = call("classify", "--zoo", str(tiny_zoo_copy), "--json", "great film", "")
    assert result.returncode == EXIT_PARTIAL
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert set(first["predictions"]) == {TINY_VARIANTS[0], TINY_VARIANTS[2]}
    assert "model.keras fails its checksum" in first["errors"][broken]
    assert set(second) == {"error"}
    assert f"warning: variant {broken} is broken and was skipped" in result.stderr


def test_a_short_text_gets_the_apps_notice_with_each_variants_measured_accuracy(tiny_zoo_path):
    import zoo
    from zoo.notices import short_text_notice, short_text_score

    z = zoo.open_zoo(tiny_zoo_path)
    notice = short_text_notice(2, [z.artifact(vid) for vid in TINY_VARIANTS])
    result = call("classify", "--zoo", str(tiny_zoo_path), "Great film")
    assert result.returncode == EXIT_OK, result.stderr
    printed = " ".join(result.stdout.split())
    assert f"note: {notice.text()}" in printed  # the one text the app shows too
    for vid in TINY_VARIANTS:
        assert f"right on short texts: {short_text_score(z.artifact(vid))}" in result.stdout
    result = call("classify", "--zoo", str(tiny_zoo_path), "--json", "Great film", "great film " * 30)
    short, long = (json.loads(line) for line in result.stdout.splitlines())
    assert short["short_text_notice"] == notice.text() and "short_text_notice" not in long


def test_input_that_is_not_text_is_refused_in_one_line(tiny_zoo_path, tmp_path):
    executable = tmp_path / "program"
    executable.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40 + b"\n" + b"\x00" * 500)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(b for b in range(128, 256)) * 30 + b"\n")
    for path in (executable, noise):
        result = call("classify", "--zoo", str(tiny_zoo_path), "--input", str(path))
        assert result.returncode == EXIT_USAGE and result.stdout == ""
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert result.stderr.startswith(f"error: --input {path}: not text") and "nothing was classified" in result.stderr


def test_a_refused_text_exits_non_zero_when_it_was_the_only_input(tiny_zoo_path):
    assert call("classify", "--zoo", str(tiny_zoo_path), "   ").returncode == EXIT_USAGE
    assert call("classify", "--zoo", str(tiny_zoo_path), "🎬🍿").returncode == EXIT_USAGE
    assert call("classify", "--zoo", str(tiny_zoo_path), "   ", "a good film").returncode == EXIT_OK


@pytest.mark.parametrize(("command", "shows"), [
    (["classify", "A wonderful film."], ["'A wonderful film.'", *(f"  {vid} " for vid in TINY_VARIANTS)]),
    (["verify"], ["OK: ", f": {len(TINY_VARIANTS)} of {len(TINY_VARIANTS)} variants pass"]),
    (["probe", "--variant", TINY_VARIANTS[0]], ["memory span: ", f"\n{TINY_VARIANTS[0]} "]),
])
def test_tensorflow_start_up_lines_do_not_reach_the_terminal(tiny_zoo_path, command, shows):
    """As a person runs it (no TF_CPP_MIN_LOG_LEVEL of their own): nothing of TensorFlow's on stderr,
    neither its start-up lines nor its Python logger's retracing warnings (``verify`` printed two),
    and the command did its work (its answer on stdout)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ZOO_SOURCE", "IMDB_DATA", "TF_CPP_MIN_LOG_LEVEL")}
    env |= {"PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-m", "zoo", command[0], "--zoo", str(tiny_zoo_path), *command[1:]],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == EXIT_OK, result.stderr
    assert all(part in result.stdout for part in shows), result.stdout
    noise = [line for line in result.stderr.splitlines()
             if not line.startswith(("probing [", "warning: ", "note: "))]
    assert noise == [], noise


@pytest.mark.slow
def test_the_quiet_import_swallows_tensorflows_start_up_lines_even_at_its_most_talkative():
    env = os.environ | {"PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "0"}
    loud = subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True, timeout=300)
    quiet = subprocess.run([sys.executable, "-c", "from zoo.quiet import import_tensorflow_quietly as q; q()"],
                           env=env, capture_output=True, text=True, timeout=300)
    if not loud.stderr.strip():
        pytest.skip("a plain import of TensorFlow prints nothing on this machine")
    assert quiet.returncode == 0 and quiet.stderr == ""


# --- evaluate ------------------------------------------------------------------------------------


def test_evaluate_reproduces_the_recorded_test_accuracy(tiny_zoo_path, tiny_corpus):
    # The tiny zoo was trained and tested on the tiny corpus, so re-measuring gives the same numbers.
    result = call("evaluate", "--zoo", str(tiny_zoo_path), "--data", str(tiny_corpus), "--json")
    assert result.returncode == EXIT_OK, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == list(TINY_VARIANTS)
    for row in rows:
        meta = read_json(tiny_zoo_path / row["id"] / METADATA_FILE)
        assert row["test_accuracy"] == row["recorded_test_accuracy"] == meta["test_accuracy"]
        assert row["test_loss"] == pytest.approx(meta["test_loss"], abs=1e-4)
        assert row["difference_pp"] == 0
        assert row["short_text_accuracy"] == meta["short_text_accuracy"]
        assert row["reviews"] == 120
        assert f"{row['id']}: test accuracy {row['test_accuracy']:.4f}" in result.stderr


# --- report --------------------------------------------------------------------------------------


def test_report_update_writes_the_table_its_caption_and_the_lessons_between_their_markers(tiny_zoo_path, tmp_path, capsys):
    from zoo.cli import main

    page = tmp_path / "README.md"
    page.write_text("intro\n<!-- lessons:start -->\nold lessons\n<!-- lessons:end -->\nmiddle\n"
                    "<!-- results:start -->\nold table\n<!-- results:end -->\nend\n", encoding="utf-8")
    assert main(["report", "--zoo", str(tiny_zoo_path), "--update", str(page)]) == EXIT_OK
    text = page.read_text(encoding="utf-8")
    assert "old" not in text and text.startswith("intro\n<!-- lessons:start -->\n- ") and text.endswith("<!-- results:end -->\nend\n")
    meta = {vid: read_json(tiny_zoo_path / vid / METADATA_FILE) for vid in TINY_VARIANTS}
    for vid, m in meta.items():
        assert f"| `{vid}` |" in text and f"| {m['test_accuracy']:.3f} |" in text
    (day,) = {m["created"][:10] for m in meta.values()}
    assert f"\nTrained {day} · " in text and f"· {len(TINY_VARIANTS)} variants\n<!-- results:end -->" in text
    # The tiny zoo holds one- and two-layer SimpleRNNs at 100 words: the depth lesson quotes both accuracies.
    one, two = (f"{meta[f'simplernn-{n}x32-len100']['test_accuracy']:.3f}" for n in (1, 2))
    lessons = " ".join(text.split("<!-- lessons:end -->")[0].split())
    assert f"at 100 words {one}, {two}" in lessons
    # Without probes.json the probe lessons are left out, not guessed at.
    assert "Negation" not in lessons and "sentence fades" not in lessons

    page.write_text("no markers here\n", encoding="utf-8")
    assert main(["report", "--zoo", str(tiny_zoo_path), "--update", str(page)]) == EXIT_USAGE
    assert "must exist and hold the markers <!-- results:start -->" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == "no markers here\n"


# --- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "explains"), [
    ((), ["list", "classify", "evaluate", "SOURCE", "Exit status"]),
    (("list",), ["--zoo", "--json", "List the variants"]),
    (("classify",), ["--input FILE", "--variant ID", "one JSON object per input line"]),
    (("evaluate",), ["--data", "aclImdb_v1.tar.gz", "test split"]),
])
def test_help_explains_each_command(args, explains):
    result = run(*args, "--help")
    assert result.returncode == EXIT_OK
    text = " ".join(result.stdout.split())
    for phrase in explains:
        assert phrase in text


def test_training_help_explains_the_flags():
    result = run("--help", module="training.train")
    assert result.returncode == EXIT_OK
    text = " ".join(result.stdout.split())
    for phrase in ["--variant ID", "--all", "--epochs", "--data", "--out", "--seed", "--limit", "simplernn-2x32-len200"]:
        assert phrase in text


# --- the in-process call -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("list", "--json"),  # the default zoo: the test's own ZOO_SOURCE is left out by both
    ("list", "--zoo", "no-zoo-here"),  # exit 2, relative to the working folder
    ("classify", "--help"),  # argparse's exit, with the program name `python -m zoo`
    ("list", "--no-such-flag"),  # argparse's usage error
])
def test_the_in_process_call_answers_as_the_real_process_does(args, monkeypatch, tmp_path):
    own_zoo, folder = str(tmp_path / "a-zoo-of-the-tests-own"), os.getcwd()
    monkeypatch.setenv("ZOO_SOURCE", own_zoo)
    monkeypatch.setenv("COLUMNS", "100")  # the width of the help, whether or not a terminal is attached
    in_process, real = call(*args), run(*args)
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (real.returncode, real.stdout, real.stderr)
    assert (os.environ["ZOO_SOURCE"], os.getcwd()) == (own_zoo, folder)  # the test's own, given back
