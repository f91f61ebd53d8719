import json
import math

import numpy as np
import pytest
import torch

import dlbook
from dlbook import results


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    monkeypatch.setattr(results, "_state", {"atexit": True})


def read(chapter: str) -> dict:
    return json.loads(results.result_file(chapter).read_text())


def test_record_needs_a_started_chapter():
    with pytest.raises(RuntimeError, match="dlbook.start"):
        dlbook.record("acc", 0.5)


@pytest.mark.parametrize("name", ["softmax", "Part/Name", "a/b.md", "", "../x"])
def test_start_rejects_bad_chapter_names(name):
    with pytest.raises(ValueError, match="chapter"):
        dlbook.start(name)


def test_start_and_record_write_results_with_context(monkeypatch, capsys):
    monkeypatch.setenv("DLBOOK_PROFILE", "quick")
    profile = dlbook.start("part/chapter", seed_value=3)
    assert profile.name == "quick" and "profile: quick" in capsys.readouterr().out
    assert dlbook.record("acc", torch.tensor(0.875), data="stand-in") is None
    dlbook.record("speed", np.float32(1234.5))
    doc = read("part/chapter")
    assert doc["chapter"] == "part/chapter" and doc["profile"] == "quick"
    assert doc["torch"] == torch.__version__ and doc["device"] == dlbook.device().type
    assert doc["results"]["acc"] == {"value": 0.875, "tags": {"data": "stand-in"}}
    assert doc["results"]["speed"]["value"] == 1234.5 and doc["seconds"] >= 0


def test_restarting_a_chapter_clears_old_results():
    dlbook.start("part/chapter")
    dlbook.record("old", 1)
    dlbook.start("part/chapter")
    assert read("part/chapter")["results"] == {}


@pytest.mark.parametrize("value, error", [("high", TypeError), (None, TypeError), (math.nan, ValueError),
                                          (math.inf, ValueError), (torch.ones(2), ValueError)])
def test_record_rejects_non_numbers(value, error):
    dlbook.start("part/chapter")
    with pytest.raises(error):
        dlbook.record("x", value)


def test_load_results_reads_every_chapter(tmp_path):
    dlbook.start("a/one")
    dlbook.record("x", 1)
    dlbook.start("a/two")
    docs = results.load_results(results.results_dir())
    assert [d["chapter"] for d in docs] == ["a/one", "a/two"]
