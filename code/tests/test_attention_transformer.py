import math

import pytest
import torch
from torch import nn

from dlbook.attention import (AddNorm, MultiHeadAttention, PositionalEncoding, PositionWiseFFN,
                              TransformerDecoder, TransformerEncoder)


def test_multihead_attention_rejects_bad_sizes():
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(30, 4, 0.0)
    with pytest.raises(ValueError, match="num_hiddens"):
        MultiHeadAttention(0, 1, 0.0)
    with pytest.raises(ValueError, match="dropout"):
        MultiHeadAttention(8, 2, 1.0)


def test_multihead_attention_rejects_bad_shapes():
    mha = MultiHeadAttention(8, 2, 0.0)
    q, kv = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    assert mha(q, kv, kv).shape == (2, 3, 8)
    assert mha.attention_weights.shape == (2, 2, 3, 5)
    with pytest.raises(ValueError, match="keys and values"):
        mha(q, kv, kv[:, :4])
    with pytest.raises(ValueError, match="queries"):
        mha(torch.randn(2, 3, 6), kv, kv)
    with pytest.raises(ValueError, match="batch"):
        mha(q[:1], kv, kv)
    with pytest.raises(ValueError, match="valid_lens"):
        mha(q, kv, kv, torch.tensor([1, 2, 3]))


def test_multihead_attention_matches_torch_with_padding_mask():
    torch.manual_seed(0)
    ours = MultiHeadAttention(16, 4, 0.0, bias=True).eval()
    theirs = nn.MultiheadAttention(16, 4, bias=True, batch_first=True).eval()
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.W_q.weight, ours.W_k.weight, ours.W_v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.W_q.bias, ours.W_k.bias, ours.W_v.bias]))
        theirs.out_proj.weight.copy_(ours.W_o.weight)
        theirs.out_proj.bias.copy_(ours.W_o.bias)
    q, kv, lens = torch.randn(2, 3, 16), torch.randn(2, 6, 16), torch.tensor([2, 6])
    with torch.no_grad():
        out = ours(q, kv, kv, lens)
        ref, _ = theirs(q, kv, kv, key_padding_mask=torch.arange(6)[None] >= lens[:, None])
    assert torch.allclose(out, ref, atol=1e-5)


def test_positional_encoding_shape_and_values():
    pe = PositionalEncoding(16, 0.0, max_len=50)
    assert pe.P.shape == (1, 50, 16)
    out = pe(torch.zeros(3, 7, 16))
    assert out.shape == (3, 7, 16)
    assert torch.allclose(out[0, 4, 2], torch.tensor(math.sin(4 / 10000 ** (2 / 16))), atol=1e-6)
    assert torch.allclose(out[0, 4, 3], torch.tensor(math.cos(4 / 10000 ** (2 / 16))), atol=1e-6)
    assert torch.equal(pe(torch.zeros(1, 2, 16), offset=4)[0], out[0, 4:6])
    with pytest.raises(ValueError, match="num_hiddens"):
        PositionalEncoding(15, 0.0)
    with pytest.raises(ValueError, match="max_len"):
        pe(torch.zeros(1, 51, 16))
    with pytest.raises(ValueError, match="X"):
        pe(torch.zeros(1, 5, 8))


def test_ffn_and_addnorm_shapes():
    assert PositionWiseFFN(4, 8, 6)(torch.randn(2, 3, 4)).shape == (2, 3, 6)
    with pytest.raises(ValueError):
        PositionWiseFFN(4, 8, 6)(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="shape"):
        AddNorm(4, 0.0)(torch.randn(2, 3, 4), torch.randn(2, 2, 4))


def test_decoder_is_causal_and_stepwise_consistent():
    torch.manual_seed(0)
    enc = TransformerEncoder(20, 8, 16, 2, 2, 0.0).eval()
    dec = TransformerDecoder(30, 8, 16, 2, 2, 0.0).eval()
    src, lens, tgt = torch.randint(0, 20, (2, 5)), torch.tensor([3, 5]), torch.randint(0, 30, (2, 6))
    with torch.no_grad():
        state = dec.init_state(enc(src, lens), lens)
        full, _ = dec(tgt, state)
        changed = tgt.clone()
        changed[:, 3] = (changed[:, 3] + 1) % 30
        assert torch.allclose(dec(changed, state)[0][:, :3], full[:, :3], atol=1e-6)
        steps, st = [], state
        for t in range(6):
            s, st = dec(tgt[:, t:t + 1], st)
            steps.append(s)
    assert state[2] == (None, None)
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)
