import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import dlbook
from dlbook.train import Accumulator, History, ResidentLoader, Timer, accuracy, batches, evaluate, fit


def blobs(n: int, seed: int) -> TensorDataset:
    """Two Gaussian blobs in 2-D, centred at (-2, -2) and (2, 2): linearly separable up to ~0.2% overlap."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) + (4.0 * y[:, None] - 2.0)
    return TensorDataset(x, y)


def test_fit_reaches_known_accuracy():
    dlbook.seed(0)
    model = nn.Linear(2, 2)
    history = fit(model, blobs(2000, 1), blobs(500, 2), epochs=5, lr=0.1, batch_size=64, plot=False, progress=False)
    assert isinstance(history, History) and len(history.train_loss) == 5 == len(history.test_acc)
    assert history.test_acc[-1] >= 0.97  # the Bayes accuracy of these blobs is about 0.998
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.examples == 5 * 2000 and history.examples_per_sec > 0
    assert "5 epochs" in repr(history)


def test_fit_with_plot_outside_notebook_and_custom_optimizer():
    dlbook.seed(0)
    model = nn.Linear(2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    history = fit(model, DataLoader(blobs(256, 3), batch_size=32), epochs=2, optimizer=opt, progress=False)
    assert history.test_acc == [] and len(history.train_acc) == 2


def test_fit_steps_the_scheduler_every_minibatch():
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    fit(model, blobs(64, 0), epochs=2, optimizer=opt, scheduler=sched, batch_size=16, plot=False, progress=False)
    assert sched.last_epoch == 2 * 4  # 4 minibatches per epoch
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**8)


def test_fit_channels_last_and_mixed_precision_on_the_cpu():
    dlbook.seed(0)
    images = torch.randn(64, 3, 8, 8)
    labels = (images[:, 0].mean((1, 2)) > 0).long()
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 2))
    history = fit(model, TensorDataset(images, labels), epochs=1, batch_size=16, device="cpu",
                  channels_last=True, mixed_precision=True, plot=False, progress=False)
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert model[0].weight.dtype == torch.float32  # mixed precision is a no-op without a GPU
    assert len(history.train_loss) == 1


def test_fit_rejects_bad_arguments():
    with pytest.raises(ValueError, match="epochs"):
        fit(nn.Linear(2, 2), blobs(10, 0), epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        fit(nn.Linear(2, 2), blobs(10, 0), epochs=1, batch_size=0)


def test_accuracy_counts_correct_predictions():
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(scores, torch.tensor([1, 0, 0])) == 2.0
    assert accuracy(torch.tensor([1, 1]), torch.tensor([1, 0])) == 1.0
    with pytest.raises(ValueError, match="rows"):
        accuracy(scores, torch.tensor([1, 0]))


def test_evaluate_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    acc = evaluate(model, blobs(100, 0))
    assert 0.0 <= acc <= 1.0 and model.training


def test_accumulator_and_timer():
    acc = Accumulator(2)
    acc.add(1, 2)
    acc.add(3, 4.5)
    assert acc[0] == 4 and acc[1] == 6.5
    with pytest.raises(ValueError):
        acc.add(1)
    acc.reset()
    assert acc.data == [0.0, 0.0]
    timer = Timer()
    assert timer.stop() >= 0 and len(timer.times) == 1 and timer.avg() == timer.sum()


def test_tensor_data_sets_stay_resident_and_cover_every_example():
    ds = TensorDataset(torch.arange(10.0)[:, None], torch.arange(10))
    loader = batches(ds, batch_size=4, shuffle=True, device=torch.device("cpu"))
    assert isinstance(loader, ResidentLoader) and len(loader) == 3
    seen = torch.cat([y for _, y in loader])
    assert sorted(seen.tolist()) == list(range(10))


def test_other_data_sets_use_a_data_loader():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return torch.tensor([float(i)]), i * i

    loader = batches(Squares(), batch_size=2, shuffle=False, device=torch.device("cpu"))
    assert isinstance(loader, DataLoader) and [len(y) for _, y in loader] == [2, 2, 1]
