"""Plotting helpers with one consistent figure style."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

STYLE = {
    "figure.figsize": (5.0, 3.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (called on import)."""
    plt.rcParams.update(STYLE)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where figures can be updated in place)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _np(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def _series(values) -> list[np.ndarray]:
    """One curve or a list of curves, as a list of arrays."""
    if isinstance(values, (list, tuple)) and len(values) and np.ndim(_np(values[0])) >= 1:
        return [_np(v) for v in values]
    return [_np(values)]


def plot(X, Y=None, *, xlabel: str | None = None, ylabel: str | None = None, legend: Sequence[str] = (),
         title: str | None = None, xlim=None, ylim=None, xscale: str = "linear", yscale: str = "linear",
         fmts: Sequence[str] = ("-", "m--", "g-.", "r:", "c-", "y--"), figsize=None, axes=None):
    """Plot one or more curves: ``plot(x, [y1, y2], legend=[...])`` or ``plot([y1, y2])``; returns the axes."""
    if Y is None:
        X, Y = None, X
    Ys = _series(Y)
    Xs = [np.arange(1, len(y) + 1) for y in Ys] if X is None else _series(X)
    if len(Xs) == 1:
        Xs = Xs * len(Ys)
    if len(Xs) != len(Ys):
        raise ValueError(f"got {len(Xs)} x-series for {len(Ys)} y-series")
    if legend and len(legend) != len(Ys):
        raise ValueError(f"legend has {len(legend)} entries for {len(Ys)} curves")
    if axes is None:
        _, axes = plt.subplots(figsize=figsize)
    for i, (x, y) in enumerate(zip(Xs, Ys)):
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"curve {i}: x has {x.shape[0]} points but y has {y.shape[0]}")
        axes.plot(x, y, fmts[i % len(fmts)], label=legend[i] if legend else None)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlabel:
        axes.set_xlabel(xlabel)
    if ylabel:
        axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        axes.legend()
    return axes


def show_images(images, num_rows: int, num_cols: int, titles: Sequence[str] | None = None,
                scale: float = 1.5, cmap: str = "gray"):
    """Show a grid of images (tensors ``(C, H, W)``/``(H, W)`` or arrays ``(H, W[, C])``); returns the axes."""
    images = list(images)
    if len(images) > num_rows * num_cols:
        raise ValueError(f"{len(images)} images do not fit a {num_rows}x{num_cols} grid")
    if titles is not None and len(titles) < len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        img = images[i]
        if isinstance(img, torch.Tensor):
            img = img.detach().cpu()
            if img.ndim == 3:
                img = img.permute(1, 2, 0)  # (C, H, W) -> (H, W, C)
            img = img.numpy()
        img = np.asarray(img)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize="small")
    fig.tight_layout()
    return axes


class LivePlot:
    """Curves that grow point by point: redrawn in place in Jupyter, drawn once at the end elsewhere."""

    def __init__(self, xlabel: str, legend: Sequence[str], xlim=None, ylim=None, title: str | None = None):
        self.xlabel, self.legend, self.xlim, self.ylim, self.title = xlabel, list(legend), xlim, ylim, title
        self.x: list[float] = []
        self.ys: list[list[float]] = [[] for _ in legend]
        self.fig, self.axes = plt.subplots()
        self.handle = None
        if in_notebook():
            from IPython.display import display

            plt.close(self.fig)  # shown through the display handle, not by the inline backend
            self.handle = display(self.fig, display_id=True)

    def _draw(self) -> None:
        self.axes.cla()
        plot(self.x, self.ys, xlabel=self.xlabel, legend=self.legend,
             xlim=self.xlim, ylim=self.ylim, title=self.title, axes=self.axes)

    def add(self, x: float, ys: Sequence[float]) -> None:
        """Append one point to each curve and redraw."""
        if len(ys) > len(self.ys):
            raise ValueError(f"got {len(ys)} values for {len(self.ys)} curves")
        self.x.append(x)
        for curve, y in zip(self.ys, ys):
            curve.append(y)
        if len(ys) < len(self.ys):  # e.g. no test set: drop the unused curves
            self.ys, self.legend = self.ys[: len(ys)], self.legend[: len(ys)]
        if self.handle is not None:
            self._draw()
            self.handle.update(self.fig)

    def close(self) -> None:
        """Final draw: in Jupyter the displayed figure is updated, elsewhere ``self.fig`` is ready to show or save."""
        self._draw()
        if self.handle is not None:
            self.handle.update(self.fig)


use_book_style()
