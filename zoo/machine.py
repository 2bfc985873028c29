"""The machine code runs on, as artifacts and benchmarks record it."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """The processor's name (``/proc/cpuinfo`` on Linux, else what ``platform`` knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the OS has none, as Windows)."""
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def this_machine() -> dict:
    """``{"cpu": <model name>, "cores": <int>}``: what an artifact records it trained on."""
    return {"cpu": cpu_model(), "cores": os.cpu_count()}
