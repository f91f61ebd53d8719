import math
import random

import pytest
import torch

from dlbook import text
from dlbook.text import SeqDataLoader, Vocab, load_corpus, seq_data_iter_random, seq_data_iter_sequential, tokenize


def test_tokenize_words_chars_and_bad_kind():
    assert tokenize(["a bc", "d"]) == [["a", "bc"], ["d"]]
    assert tokenize(["ab"], token="char") == [["a", "b"]]
    with pytest.raises(ValueError, match="token"):
        tokenize(["ab"], token="byte")


def test_vocab_order_unknown_and_round_trip():
    vocab = Vocab([["b", "a", "b"], ["c", "b", "a"]], reserved_tokens=["<pad>"])
    assert vocab.to_tokens(list(range(len(vocab)))) == ["<unk>", "<pad>", "b", "a", "c"]
    assert vocab.unk == 0 and vocab["zzz"] == 0 and vocab[["a", "zzz"]] == [3, 0]
    assert vocab.token_freqs == [("b", 3), ("a", 2), ("c", 1)]
    assert len(Vocab(["x", "x", "y"], min_freq=2)) == 2
    with pytest.raises(ValueError):
        Vocab(["a"], min_freq=-1)


@pytest.mark.parametrize("iterator", [seq_data_iter_random, seq_data_iter_sequential])
def test_iterators_shift_targets_by_one(iterator):
    random.seed(0)
    batches = list(iterator(list(range(35)), batch_size=2, num_steps=5))
    assert batches and all(X.shape == Y.shape == (2, 5) for X, Y in batches)
    assert all(torch.equal(Y, X + 1) for X, Y in batches)
    with pytest.raises(ValueError):
        list(iterator(list(range(5)), batch_size=2, num_steps=5))


def test_loader_length_matches_iteration_and_corpus_round_trip():
    corpus, vocab = load_corpus("the time\nmachine", token="char")
    assert "".join(vocab.to_tokens(corpus)) == "the time machine"
    loader = SeqDataLoader(list(range(200)), batch_size=3, num_steps=7, use_random_iter=True)
    assert len(list(loader)) == len(loader) > 0


def test_truncate_pad_and_arrays_with_valid_lengths():
    assert text.truncate_pad([1, 2], 4, 0) == [1, 2, 0, 0]
    assert text.truncate_pad([1, 2, 3, 4, 5], 3, 0) == [1, 2, 3]
    with pytest.raises(ValueError, match="num_steps"):
        text.truncate_pad([1], 0, 0)
    vocab = text.Vocab([["a", "b"], ["b"]], reserved_tokens=text.SPECIALS)
    array, valid = text.build_array_nmt([["a", "b"], ["b", "b", "b", "b"]], vocab, 4)
    assert array.tolist() == [[vocab["a"], vocab["b"], vocab["<eos>"], vocab["<pad>"]], [vocab["b"]] * 4]
    assert valid.tolist() == [3, 4]
    with pytest.raises(ValueError, match="<pad>"):
        text.build_array_nmt([["a"]], text.Vocab([["a"]]), 3)


def test_sequence_mask_and_masked_loss_ignore_padding():
    X = torch.ones(2, 3, 2)
    assert text.sequence_mask(X, torch.tensor([1, 2]))[:, :, 0].tolist() == [[1, 0, 0], [1, 1, 0]]
    with pytest.raises(ValueError, match="valid_len"):
        text.sequence_mask(X, torch.tensor([1, 2, 3]))
    pred, label = torch.randn(2, 3, 5), torch.randint(0, 5, (2, 3))
    loss = text.MaskedSoftmaxCELoss("sum")(pred, label, torch.tensor([3, 1]))
    expected = torch.nn.functional.cross_entropy(torch.cat([pred[0], pred[1, :1]]), torch.cat([label[0], label[1, :1]]),
                                                 reduction="sum")
    assert torch.allclose(loss, expected)
    with pytest.raises(ValueError, match="reduction"):
        text.MaskedSoftmaxCELoss("max")


def test_bleu_perfect_empty_overlap_and_bad_k():
    assert text.bleu("a b c d", "a b c d", 4) == 1.0
    assert text.bleu("x y z", "a b c", 2) == 0.0
    assert abs(text.bleu("a b", "a b c d", 2) - math.exp(1 - 4 / 2)) < 1e-12   # brevity penalty only
    with pytest.raises(ValueError):
        text.bleu("a b", "a b", 0)
