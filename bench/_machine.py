"""Describe the machine a benchmark ran on, and measure peak memory."""

from __future__ import annotations

import gzip
import json
import os
import platform
import resource
import sys


def describe_machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    return (
        f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}"
    )


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def saudinewsnet_texts(count: int) -> list[str]:
    """The first ``count`` non-empty article texts of SaudiNewsNet (exits when the data is absent)."""
    from marsad.paths import shared_data

    data = shared_data()
    if data is None:
        raise SystemExit("bench: ../shared/data is absent")
    texts: list[str] = []
    path = data / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line).get("content") or ""
            if text.strip():
                texts.append(text)
            if len(texts) >= count:
                break
    return texts
