import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from dlbook.plot import LivePlot, plot, show_images


def test_plot_accepts_one_or_many_curves():
    ax = plot(np.arange(5), [np.arange(5), torch.arange(5) ** 2], legend=["a", "b"], xlabel="x", title="t")
    assert len(ax.lines) == 2 and ax.get_xlabel() == "x" and ax.get_title() == "t"
    ax = plot([1.0, 2.0, 4.0])
    assert len(ax.lines) == 1 and list(ax.lines[0].get_xdata()) == [1, 2, 3]
    plt.close("all")


def test_plot_checks_its_arguments():
    with pytest.raises(ValueError, match="legend"):
        plot([1, 2], [[1, 2], [3, 4]], legend=["only one"])
    with pytest.raises(ValueError, match="points"):
        plot([1, 2, 3], [[1, 2]])
    plt.close("all")


def test_show_images_grid():
    axes = show_images(torch.rand(5, 1, 8, 8), 2, 3, titles=list("abcde"))
    assert axes.shape == (2, 3) and axes[0, 0].get_title() == "a"
    with pytest.raises(ValueError, match="grid"):
        show_images(torch.rand(7, 8, 8), 2, 3)
    plt.close("all")


def test_live_plot_outside_jupyter():
    live = LivePlot(xlabel="epoch", legend=["loss", "acc", "test acc"])
    live.add(1, [1.0, 0.5])  # no test curve: it is dropped
    live.add(2, [0.5, 0.7])
    live.close()
    assert live.handle is None and len(live.axes.lines) == 2
    plt.close("all")
