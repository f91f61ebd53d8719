"""dlbook: the package behind the executable deep-learning book.

Hand-written infrastructure: ``config`` (profiles, device, seeding), ``data`` (downloads and
loaders with offline stand-ins), ``train`` (the training loop), ``plot`` and ``results``.
Modules generated from the chapters (see ``tools/export.py``) are imported on demand,
e.g. ``from dlbook import models``.
"""
from dlbook import data, plot, train
from dlbook.config import Profile, device, device_name, profile, seed
from dlbook.results import record, start
from dlbook.train import tqdm  # tqdm.auto's progress bar, imported without its ipywidgets warning

__all__ = ["Profile", "data", "device", "device_name", "plot", "profile", "record", "seed", "start", "tqdm", "train"]
__version__ = "0.1.0"
