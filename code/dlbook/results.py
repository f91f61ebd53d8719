"""Results as data: each chapter records its headline numbers into one JSON file per chapter.

The book build gathers these files into the Results and Execution statistics pages.
"""
from __future__ import annotations

import atexit
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

import torch

from dlbook.config import Profile, device, device_name, profile, seed

_REPO = Path(__file__).resolve().parents[2]
_CHAPTER_NAME = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)+$")
_state: dict[str, Any] = {}


def results_dir() -> Path:
    """Where result files go: ``DLBOOK_RESULTS``, else the repository's ``_build/results``."""
    if os.environ.get("DLBOOK_RESULTS"):
        return Path(os.environ["DLBOOK_RESULTS"]).expanduser()
    if (_REPO / "_toc.yml").exists():
        return _REPO / "_build" / "results"
    from dlbook.data import data_dir  # installed without the book (e.g. in Colab)

    return data_dir() / "results"


def result_file(chapter: str) -> Path:
    """The JSON file that holds the results of ``chapter`` (e.g. ``"foundations/softmax"``)."""
    return results_dir() / (chapter.replace("/", "__") + ".json")


def _write(doc: dict[str, Any]) -> None:
    path = result_file(doc["chapter"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _touch() -> None:
    doc = _state.get("doc")
    if doc is not None:
        doc["seconds"] = round(time.perf_counter() - _state["t0"], 2)
        _write(doc)


def start(chapter: str, seed_value: int = 0) -> Profile:
    """Begin a chapter: seed everything, name the chapter for :func:`record`, return the profile."""
    if not isinstance(chapter, str) or not _CHAPTER_NAME.match(chapter):
        raise ValueError(f"chapter must look like 'part/name' (its path under chapters/, no .md), got {chapter!r}")
    seed(seed_value)
    prof, dev = profile(), device()
    _state["t0"] = time.perf_counter()
    _state["doc"] = {
        "chapter": chapter,
        "profile": prof.name,
        "device": dev.type,
        "device_name": device_name(dev),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seconds": 0.0,
        "results": {},
    }
    _write(_state["doc"])
    if not _state.get("atexit"):
        atexit.register(_touch)
        _state["atexit"] = True
    print(f"profile: {prof.name} · device: {device_name(dev)} · torch {torch.__version__.split('+')[0]}")
    return prof


def record(name: str, value: Any, **tags: Any) -> None:
    """Record the number ``value`` under ``name`` for the current chapter (nothing is returned,
    so a ``record`` call that ends a notebook cell prints nothing).

    ``tags`` are kept beside the value (e.g. ``data="MNIST stand-in"``, ``ref="d2l-1.0.3/..."``).
    """
    if "doc" not in _state:
        raise RuntimeError("call dlbook.start('part/chapter') before dlbook.record(...)")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"value must be a scalar, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"value must be a number, got {type(value).__name__}") from None
    if not math.isfinite(number):
        raise ValueError(f"value of {name!r} must be finite, got {number}")
    clean = {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in tags.items()}
    _state["doc"]["results"][name] = {"value": number, "tags": clean}
    _touch()


def load_results(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """Every chapter result file in ``folder``, sorted by chapter name."""
    docs = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            print(f"warning: skipping unreadable results file {path}: {err}", file=sys.stderr)
            continue
        if isinstance(doc, dict) and "chapter" in doc:
            docs.append(doc)
    return sorted(docs, key=lambda d: d["chapter"])
