"""One training loop for classifiers, with its metrics, timers and data feeding."""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

with warnings.catch_warnings():  # without ipywidgets, tqdm.auto warns once and falls back to text bars
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

from dlbook.config import device as default_device

RESIDENT_LIMIT_BYTES = 2 * 1024**3  # tensor data sets up to this size are copied to the device once


class Accumulator:
    """Running sums of ``n`` quantities (e.g. summed loss, correct predictions, examples)."""

    def __init__(self, n: int):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.data = [0.0] * n

    def add(self, *values: float) -> None:
        """Add one value to each running sum."""
        if len(values) != len(self.data):
            raise ValueError(f"expected {len(self.data)} values, got {len(values)}")
        self.data = [a + float(b) for a, b in zip(self.data, values)]

    def reset(self) -> None:
        """Set every sum back to zero."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, i: int) -> float:
        return self.data[i]


class Timer:
    """A stopwatch that keeps every lap: ``start()``, ``stop()``, then ``sum()``/``avg()``."""

    def __init__(self):
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start (or restart) the current lap."""
        self._t0 = time.perf_counter()

    def stop(self) -> float:
        """End the current lap and return its length in seconds."""
        self.times.append(time.perf_counter() - self._t0)
        return self.times[-1]

    def sum(self) -> float:
        """Total of all laps."""
        return sum(self.times)

    def avg(self) -> float:
        """Mean lap length."""
        return self.sum() / len(self.times) if self.times else 0.0


def num_correct(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of correct predictions as a tensor on ``y``'s device (reading it is left to the caller)."""
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    if y_hat.shape[0] != y.shape[0]:
        raise ValueError(f"y_hat has {y_hat.shape[0]} rows but y has {y.shape[0]}")
    return (y_hat.reshape(y.shape).to(y.dtype) == y).sum()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions: ``y_hat`` holds class scores ``(batch, classes)`` or labels ``(batch,)``."""
    return float(num_correct(y_hat, y))


class ResidentLoader:
    """Minibatches of a tensor data set that already lives on the device (no per-batch copies)."""

    def __init__(self, tensors: tuple[torch.Tensor, ...], batch_size: int, shuffle: bool):
        self.tensors, self.batch_size, self.shuffle = tensors, batch_size, shuffle

    def __len__(self) -> int:
        return (len(self.tensors[0]) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = len(self.tensors[0])
        dev = self.tensors[0].device
        order = torch.randperm(n, device=dev) if self.shuffle else torch.arange(n, device=dev)
        for i in range(0, n, self.batch_size):
            idx = order[i:i + self.batch_size]
            yield tuple(t[idx] for t in self.tensors)


def batches(data: Dataset | DataLoader | Iterable, batch_size: int, shuffle: bool,
            device: torch.device) -> Iterable:
    """Turn a data set into minibatches: tensor data sets that fit are kept resident on ``device``."""
    if isinstance(data, TensorDataset):
        size = sum(t.element_size() * t.nelement() for t in data.tensors)
        if size <= RESIDENT_LIMIT_BYTES:
            return ResidentLoader(tuple(t.to(device) for t in data.tensors), batch_size, shuffle)
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle,
                          pin_memory=device.type == "cuda")
    return data  # already a DataLoader or another iterable of batches


def evaluate(model: nn.Module, data: Dataset | DataLoader | Iterable, batch_size: int = 1024,
             device: torch.device | None = None) -> float:
    """Classification accuracy of ``model`` on ``data`` (in eval mode, without gradients)."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    metric = Accumulator(2)  # correct, examples
    with torch.no_grad():
        for X, y in batches(data, batch_size, False, device):
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            metric.add(accuracy(model(X), y), y.numel())
    model.train(was_training)
    return metric[0] / metric[1]


@dataclass
class History:
    """Per-epoch metrics of one :func:`fit` run."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: float = 0.0
    examples: int = 0

    @property
    def examples_per_sec(self) -> float:
        """Training throughput over the whole run (evaluation excluded)."""
        return self.examples / self.seconds if self.seconds else 0.0

    def __repr__(self) -> str:
        last = lambda xs: f"{xs[-1]:.3f}" if xs else "-"  # noqa: E731
        return (f"History({len(self.train_loss)} epochs: train loss {last(self.train_loss)}, "
                f"train acc {last(self.train_acc)}, test acc {last(self.test_acc)}, "
                f"{self.examples_per_sec:,.0f} examples/sec)")


def fit(model: nn.Module, train_data: Dataset | DataLoader, test_data: Dataset | DataLoader | None = None, *,
        epochs: int, lr: float = 0.1, optimizer: torch.optim.Optimizer | None = None,
        loss: nn.Module | None = None, batch_size: int = 256, device: torch.device | None = None,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None, mixed_precision: bool = False,
        channels_last: bool = False, plot: bool = True, progress: bool = True) -> History:
    """Train a classifier for ``epochs`` and return its :class:`History`.

    ``optimizer`` defaults to SGD with learning rate ``lr``; ``loss`` to cross-entropy; a
    ``scheduler`` is stepped after every minibatch. ``mixed_precision`` runs the forward pass in
    bfloat16 on a GPU that supports it (ignored elsewhere); ``channels_last`` stores model and images
    in NHWC order, which tensor-core convolutions prefer. With ``plot=True`` the curves are drawn
    live in Jupyter (and once at the end elsewhere).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = torch.device(device) if device is not None else default_device()
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device, memory_format=memory_format)
    use_bf16 = mixed_precision and device.type == "cuda" and torch.cuda.is_bf16_supported()
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = loss or nn.CrossEntropyLoss()
    train_iter = batches(train_data, batch_size, True, device)
    test_iter = batches(test_data, 1024, False, device) if test_data is not None else None
    history, timer = History(), Timer()
    live = None
    if plot:
        from dlbook.plot import LivePlot

        live = LivePlot(xlabel="epoch", xlim=(1, epochs), legend=["train loss", "train acc", "test acc"])
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=True)
    for epoch in bar:
        model.train()
        # Sums stay on the device during the epoch: reading them every step would make the CPU
        # wait for the GPU each time instead of queueing the next step's work.
        loss_sum, correct, examples = torch.zeros((), device=device), torch.zeros((), device=device), 0
        timer.start()
        for X, y in train_iter:
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            if X.ndim == 4:
                X = X.contiguous(memory_format=memory_format)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                y_hat = model(X)
                l = loss_fn(y_hat, y)
            optimizer.zero_grad(set_to_none=True)
            l.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            with torch.no_grad():
                loss_sum += l.detach().float() * y.numel()
                correct += num_correct(y_hat, y)
                examples += y.numel()
        history.train_loss.append(loss_sum.item() / examples)   # waits for the epoch's last step
        history.train_acc.append(correct.item() / examples)
        timer.stop()
        history.examples += examples
        points = [history.train_loss[-1], history.train_acc[-1]]
        if test_iter is not None:
            history.test_acc.append(evaluate(model, test_iter, device=device))
            points.append(history.test_acc[-1])
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", train_acc=f"{history.train_acc[-1]:.3f}",
                        **({"test_acc": f"{history.test_acc[-1]:.3f}"} if history.test_acc else {}))
        if live is not None:
            live.add(epoch + 1, points)
    bar.close()
    history.seconds = timer.sum()
    if live is not None:
        live.close()
    print(history)
    return history
