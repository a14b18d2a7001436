"""Subword vectors distilled from the sentence encoder's piece embeddings (subword_vectors.py):
spaCy computes them for any word from the shipped table alone."""

import numpy as np
import pytest
import spacy

from privacy.redaction import subword_vectors, training

WORDS = [
    "müller", "schmidt", "lehmann", "anna", "thomas", "erika",
    "rechnung", "lieferung", "paket", "bestellung", "kosten", "haus",
]  # fmt: skip


def test_the_fitted_table_gives_each_word_its_piece_embedding_and_any_word_a_vector():
    nlp = spacy.blank("de")
    table, record = subword_vectors.floret_vectors(
        vocab=nlp.vocab, words=WORDS, rows=2000, dimensions=8
    )
    nlp.vocab.vectors = table

    assert table.mode == "floret"
    assert record["words"] == len(WORDS)
    assert record["relative_residual"] < 0.3
    # keyed by the lower-case form: the capitalised word has the same vector
    assert np.allclose(nlp("Müller")[0].vector, nlp("müller")[0].vector)
    # a word it was not fitted on gets a vector from its character n-grams
    assert np.linalg.norm(nlp("Wüstenhagen")[0].vector) > 0


def test_the_same_words_give_the_same_table():
    first, _ = subword_vectors.floret_vectors(
        vocab=spacy.blank("de").vocab, words=WORDS, rows=500, dimensions=4
    )
    second, _ = subword_vectors.floret_vectors(
        vocab=spacy.blank("de").vocab, words=reversed(WORDS), rows=500, dimensions=4
    )
    assert np.array_equal(first.data, second.data)


def test_the_vector_vocabulary_holds_the_training_words_frequent_words_and_names():
    words = training.vector_vocabulary([("Wüstenhagen hat angerufen .", [(0, 11, "PERSON")])])
    assert {"wüstenhagen", "angerufen", "rechnung", "lehmann", "erika"} <= words


def test_a_cached_table_is_read_back_for_the_same_words(tmp_path, monkeypatch):
    first, record = subword_vectors.floret_vectors(
        vocab=spacy.blank("de").vocab, words=WORDS, rows=500, dimensions=4, cache_dir=tmp_path
    )
    assert len(list(tmp_path.glob("*.npy"))) == 1

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(subword_vectors, "_fit", no_fit)
    second, second_record = subword_vectors.floret_vectors(
        vocab=spacy.blank("de").vocab, words=WORDS, rows=500, dimensions=4, cache_dir=tmp_path
    )
    assert np.array_equal(first.data, second.data)
    assert second_record == record
    # other words are another table
    with pytest.raises(AssertionError, match="fitted again"):
        subword_vectors.floret_vectors(
            vocab=spacy.blank("de").vocab, words=WORDS[:-1], rows=500, dimensions=4,
            cache_dir=tmp_path,
        )  # fmt: skip
