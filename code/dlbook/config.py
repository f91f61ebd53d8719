"""Run-size profiles, device selection, seeding and the chapter context."""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")
PROFILES = ("quick", "full")


@dataclass(frozen=True)
class Profile:
    """How large the experiments of a chapter are: ``quick`` (CPU, minutes) or ``full`` (GPU)."""

    name: str

    def pick(self, quick: T, full: T) -> T:
        """Return ``quick`` or ``full`` depending on the active profile."""
        return quick if self.name == "quick" else full

    @property
    def is_quick(self) -> bool:
        """True in the ``quick`` profile."""
        return self.name == "quick"


def profile() -> Profile:
    """The active profile: ``DLBOOK_PROFILE`` if set, else ``full`` with CUDA and ``quick`` without."""
    name = os.environ.get("DLBOOK_PROFILE", "").strip().lower()
    if not name:
        name = "full" if torch.cuda.is_available() else "quick"
    if name not in PROFILES:
        raise ValueError(f"DLBOOK_PROFILE must be one of {PROFILES}, got {name!r}")
    return Profile(name)


def device(i: int = 0) -> torch.device:
    """The ``i``-th GPU if there is one, else the CPU."""
    if torch.cuda.is_available() and i < torch.cuda.device_count():
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def device_name(dev: torch.device | None = None) -> str:
    """A human-readable name of ``dev`` (the GPU model, or the CPU with its core count)."""
    dev = torch.device(dev) if dev is not None else device()
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU ({os.cpu_count()} cores)"


def seed(n: int = 0) -> None:
    """Seed Python, NumPy and PyTorch, and ask cuDNN for deterministic kernels."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"seed must be a non-negative int, got {n!r}")
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
