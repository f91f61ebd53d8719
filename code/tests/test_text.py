import random

import pytest
import torch

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
