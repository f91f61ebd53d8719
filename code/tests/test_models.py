import pytest
import torch
from torch import nn

from dlbook.models import mlp


def test_mlp_layers_and_output_shape():
    net = mlp([784, 32, 16, 10])
    assert [type(m) for m in net] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert net(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    assert not any(isinstance(m, nn.Flatten) for m in mlp([3, 2], flatten=False))
    assert isinstance(mlp([3, 4, 2], activation=nn.Tanh)[2], nn.Tanh)


@pytest.mark.parametrize("sizes", [[10], [], [10, 0], [10, 2.5]])
def test_mlp_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        mlp(sizes)


def test_lenet_variants():
    from dlbook.models import lenet

    for classic, act in [(True, nn.Sigmoid), (False, nn.ReLU)]:
        net = lenet(classic)
        assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
        assert any(isinstance(m, act) for m in net)
    assert sum(p.numel() for p in lenet().parameters()) == 61_706
    with pytest.raises(TypeError, match="classic"):
        lenet("yes")
