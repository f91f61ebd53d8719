import random

import numpy as np
import pytest
import torch

import dlbook
from dlbook.config import Profile


def test_default_profile_follows_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dlbook.profile().name == "quick"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dlbook.profile().name == "full"


@pytest.mark.parametrize("value, expected", [("quick", "quick"), ("full", "full"), (" FULL ", "full")])
def test_environment_overrides_profile(monkeypatch, value, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: expected == "quick")
    monkeypatch.setenv("DLBOOK_PROFILE", value)
    assert dlbook.profile().name == expected


def test_unknown_profile_is_rejected(monkeypatch):
    monkeypatch.setenv("DLBOOK_PROFILE", "medium")
    with pytest.raises(ValueError, match="DLBOOK_PROFILE"):
        dlbook.profile()


def test_pick():
    assert Profile("quick").pick(quick=1, full=2) == 1
    assert Profile("full").pick(quick=1, full=2) == 2
    assert Profile("quick").is_quick and not Profile("full").is_quick


def test_device_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dlbook.device() == torch.device("cpu")
    assert "CPU" in dlbook.device_name(torch.device("cpu"))


def test_seed_makes_all_generators_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3)

    dlbook.seed(7)
    first = draw()
    dlbook.seed(7)
    second = draw()
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])
    dlbook.seed(8)
    assert not torch.equal(draw()[2], first[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "0"])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="seed"):
        dlbook.seed(bad)
