import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from dlbook import distributed


def test_two_processes_match_one_process_with_the_doubled_batch(tmp_path):
    """torchrun with 2 gloo processes × batch 8 ends where 1 process × batch 16 does (epochs wrap at 5 steps)."""
    out = tmp_path / "ddp.pt"
    result = distributed.launch(["--steps", "7", "--batch-size", "8", "--examples", "80", "--out", str(out)], nproc=2)
    assert "rank 0 of 2" in result.stdout and "rank 1 of 2" in result.stdout
    saved = torch.load(out)
    model, losses = distributed.train_single(distributed.synthetic_images(80), steps=7, batch_size=16)
    assert saved["world_size"] == 2 and saved["losses"].shape == losses.shape == (7,)
    assert torch.allclose(saved["losses"], losses, atol=1e-5)
    for name, p in model.state_dict().items():
        assert torch.allclose(saved["state_dict"][name], p, atol=1e-5), name
    assert not torch.allclose(model.state_dict()["0.weight"], distributed.make_model(0).state_dict()["0.weight"])


def test_failed_launch_reports_the_workers_error(tmp_path):
    with pytest.raises(RuntimeError, match="steps must be a positive int"):
        distributed.launch(["--steps", "0", "--out", str(tmp_path / "x.pt")], nproc=1)


def test_minibatches_wrap_around_epochs():
    loader = DataLoader(TensorDataset(torch.arange(10)), batch_size=4, drop_last=True)
    seen = [b[0].tolist() for b in distributed.minibatches(loader, 5)]
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]]
    with pytest.raises(ValueError, match="less than one minibatch"):
        list(distributed.minibatches(DataLoader(TensorDataset(torch.arange(3)), batch_size=4, drop_last=True), 1))


def test_synthetic_images_and_argument_checks():
    data = distributed.synthetic_images(50, seed=3)
    images, labels = data.tensors
    assert images.shape == (50, 1, 28, 28) and labels.shape == (50,) and labels.max() < 10
    assert torch.equal(images, distributed.synthetic_images(50, seed=3).tensors[0])
    assert len(labels.unique()) > 3
    for bad in (0, -1, 2.0):
        with pytest.raises(ValueError, match="n must be"):
            distributed.synthetic_images(bad)
    with pytest.raises(ValueError, match="batch_size"):
        distributed.train_single(data, steps=1, batch_size=0)
    with pytest.raises(ValueError, match="nproc"):
        distributed.launch(["--out", "x.pt"], nproc=0)
