import math

import pytest
import torch
import torch.nn.functional as F

from dlbook import models
from dlbook.attention import AdditiveAttention, DotProductAttention, Seq2SeqAttentionDecoder, masked_softmax


def large_negative_fill(X, valid_lens):
    """The course's definition: fill masked scores with -1e6, then softmax (uniform on empty rows)."""
    batch, queries, keys = X.shape
    if valid_lens.dim() == 1:
        valid_lens = valid_lens[:, None].expand(batch, queries)
    mask = torch.arange(keys)[None, None, :] < valid_lens[:, :, None]
    return F.softmax(X.masked_fill(~mask, -1e6), dim=-1)


def test_masked_softmax_none_is_plain_softmax():
    X = torch.randn(2, 3, 5)
    assert torch.allclose(masked_softmax(X), F.softmax(X, dim=-1))
    assert torch.allclose(masked_softmax(X, None), F.softmax(X, dim=-1))


def test_masked_softmax_hand_example_per_example_lengths():
    X = torch.log(torch.tensor([[[1.0, 2.0, 3.0, 4.0]], [[2.0, 2.0, 1.0, 1.0]]]))
    out = masked_softmax(X, torch.tensor([3, 2]))
    assert torch.allclose(out, torch.tensor([[[1 / 6, 2 / 6, 3 / 6, 0.0]], [[0.5, 0.5, 0.0, 0.0]]]), atol=1e-6)


def test_masked_softmax_per_query_lengths_and_fully_masked_row():
    X = torch.zeros(1, 3, 4)
    out = masked_softmax(X, torch.tensor([[0, 1, 4]]))
    assert out[0, 0].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert out[0, 1].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert torch.allclose(out[0, 2], torch.full((4,), 0.25))
    assert not out.isnan().any()


def test_masked_softmax_agrees_with_large_negative_fill_on_non_empty_rows():
    torch.manual_seed(0)
    X = torch.randn(4, 3, 6) * 5
    for lens in (torch.tensor([1, 3, 6, 9]), torch.randint(1, 7, (4, 3))):
        assert torch.allclose(masked_softmax(X, lens), large_negative_fill(X, lens), atol=1e-6)


def test_masked_softmax_fully_masked_rows_have_finite_zero_gradient():
    X = torch.randn(2, 2, 3, requires_grad=True)
    (masked_softmax(X, torch.tensor([0, 2])) * torch.randn(2, 2, 3)).sum().backward()
    assert torch.isfinite(X.grad).all() and (X.grad[0] == 0).all() and (X.grad[1, :, 2] == 0).all()


@pytest.mark.parametrize("X, lens", [
    (torch.zeros(2, 3, 4), torch.tensor([1, 2, 3])),       # wrong batch
    (torch.zeros(2, 3, 4), torch.tensor([[1, 2], [1, 2]])),  # wrong number of queries
    (torch.zeros(2, 3, 4), torch.tensor([1, -1])),          # negative
    (torch.zeros(2, 3, 4), torch.zeros(2, 3, 1)),           # too many dimensions
])
def test_masked_softmax_rejects_bad_valid_lens(X, lens):
    with pytest.raises(ValueError, match="valid_lens"):
        masked_softmax(X, lens)


def test_masked_softmax_rejects_bad_X():
    with pytest.raises(ValueError, match="X"):
        masked_softmax(torch.zeros(3, 4), torch.tensor([1, 2, 3]))


def test_equal_keys_give_mean_of_valid_values():
    torch.manual_seed(0)
    keys = torch.ones(2, 10, 2)
    values = torch.arange(40, dtype=torch.float32).reshape(1, 10, 4).repeat(2, 1, 1)
    lens = torch.tensor([2, 6])
    expected = torch.tensor([[[2.0, 3, 4, 5]], [[10.0, 11, 12, 13]]])
    additive = AdditiveAttention(2, 20, 8).eval()
    assert torch.allclose(additive(torch.randn(2, 1, 20), keys, values, lens), expected, atol=1e-5)
    dot = DotProductAttention().eval()
    assert torch.allclose(dot(torch.randn(2, 1, 2), keys, values, lens), expected, atol=1e-5)
    assert additive.attention_weights.shape == dot.attention_weights.shape == (2, 1, 10)


def test_dot_product_matches_torch_sdpa():
    torch.manual_seed(0)
    Q, K, V = torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 4)
    lens = torch.tensor([[1, 3, 5], [2, 2, 4]])
    mask = torch.arange(5)[None, None, :] < lens[:, :, None]
    ours = DotProductAttention()(Q, K, V, lens)
    assert torch.allclose(ours, F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), atol=1e-5)
    assert torch.allclose(DotProductAttention()(Q, K, V), F.scaled_dot_product_attention(Q, K, V), atol=1e-5)


@pytest.mark.parametrize("make, args, name", [
    (lambda: DotProductAttention(), (torch.randn(2, 3, 8), torch.randn(2, 5, 4), torch.randn(2, 5, 4)), "keys"),
    (lambda: DotProductAttention(), (torch.randn(2, 3, 8), torch.randn(2, 5, 8), torch.randn(2, 4, 4)), "values"),
    (lambda: DotProductAttention(), (torch.randn(3, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 4)), "queries"),
    (lambda: DotProductAttention(), (torch.randn(2, 3, 8), torch.randn(1, 5, 8), torch.randn(2, 5, 4)), "batch"),
    (lambda: AdditiveAttention(4, 8, 6), (torch.randn(2, 3, 8), torch.randn(2, 5, 4), torch.randn(2, 6, 4)), "values"),
    (lambda: AdditiveAttention(4, 8, 6), (torch.randn(2, 3, 7), torch.randn(2, 5, 4), torch.randn(2, 5, 4)), "queries"),
    (lambda: AdditiveAttention(4, 8, 6), (torch.randn(2, 3, 8), torch.randn(2, 5, 3), torch.randn(2, 5, 4)), "keys"),
])
def test_scoring_modules_reject_bad_shapes(make, args, name):
    with pytest.raises(ValueError, match=name):
        make()(*args)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="num_hiddens"):
        AdditiveAttention(4, 4, 0)
    with pytest.raises(ValueError, match="dropout"):
        DotProductAttention(dropout=1.0)
    with pytest.raises(ValueError, match="vocab_size"):
        Seq2SeqAttentionDecoder(0, 4, 4, 1)


def test_scaled_scores_have_unit_variance():
    torch.manual_seed(0)
    d = 64
    q, k = torch.randn(20_000, d), torch.randn(20_000, d)
    assert abs(((q * k).sum(dim=1) / math.sqrt(d)).var().item() - 1) < 0.08


def test_attention_decoder_steps_match_one_call_and_state_is_kept():
    torch.manual_seed(0)
    encoder = models.Seq2SeqEncoder(7, 4, 6, 2)
    decoder = Seq2SeqAttentionDecoder(7, 4, 6, 2).eval()
    X, lens = torch.randint(0, 7, (3, 5)), torch.tensor([5, 2, 1])
    state = decoder.init_state(encoder(X), lens)
    hidden = state[1].clone()
    with torch.no_grad():
        full, _ = decoder(X, state)
        weights = decoder.attention_weights
        st, steps = state, []
        for t in range(5):
            y, st = decoder(X[:, t:t + 1], st)
            steps.append(y)
    assert torch.equal(state[1], hidden)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)
    assert weights.shape == (3, 5, 5) and (weights[1, :, 2:] == 0).all() and torch.allclose(weights[2, :, 0], torch.ones(5))
