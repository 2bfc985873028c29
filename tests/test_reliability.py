"""Many visitors and long uptime, in miniature: the load and soak scripts of ``scripts/`` run
against the tiny zoo with a few sessions and a few dozen reruns. The full-size runs (10
sessions, 500 reruns on the bundled zoo) give the numbers of docs/reliability.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.harness import CHROMIUM
from tests.support.corpus import REPO, TINY_VARIANTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


#: Seconds a script may run: under pytest's own limit per test (pytest.ini), so that a stuck
#: script ends with its output shown rather than with pytest's bare timeout.
SCRIPT_TIMEOUT_S = 840


def run_script(name: str, *args: str) -> tuple[dict, str]:
    """Run ``scripts/<name>``; returns its JSON summary (the last line) and everything it printed."""
    env = {k: v for k, v in os.environ.items() if k != "ZOO_SOURCE"} | {"TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, str(REPO / "scripts" / name), *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-3000:]
    summary = json.loads(lines[-1])
    assert result.returncode == (0 if summary["ok"] else 1)
    return summary, result.stdout + result.stderr[-3000:]


def test_concurrent_sessions_each_get_their_own_complete_answers(tiny_zoo_path):
    summary, output = run_script("load_sessions.py", "--zoo", str(tiny_zoo_path), "--sessions", "3", "--texts", "2")
    assert summary["ok"], output
    assert summary["classifications"] == 6 and summary["results_checked"] == 6 * len(TINY_VARIANTS)
    assert summary["mismatches"] == summary["missing_results"] == summary["cross_session_leaks"] == 0
    assert summary["compare_training_opened"] == 3
    # Three visitors arriving at once still load each model once.
    assert summary["server_counters"]["model_loads"] == len(TINY_VARIANTS)
    assert summary["server_rss_mb"]["peak"] >= summary["server_rss_mb"]["idle"] > 0


def test_reruns_load_build_and_trace_nothing_after_warm_up(tiny_zoo_path):
    """What the reruns do is checked here; how fast they are and how much memory they take is the
    script's verdict on a quiet machine (its exit status), not this test's."""
    summary, output = run_script("soak.py", "--zoo", str(tiny_zoo_path), "--reruns", "30", "--warmup", "5",
                                 "--window", "10")
    assert summary["reruns"] == 30 and summary["mismatches"] == 0, output
    assert summary["counters_since_warmup"] == {"model_loads": 0, "reading_models": 0, "graph_builds": 0}
    assert summary["counters_at_warmup"]["model_loads"] == len(TINY_VARIANTS)
    # The numbers behind the script's speed and memory verdicts are printed.
    assert isinstance(summary["rss_max_growth_after_warmup_mb"], float)
    first, last = summary["latency_first_10_after_warmup_s"], summary["latency_last_10_s"]
    assert first["n"] == last["n"] == 10 and first["p50"] > 0 and last["p50"] > 0
