"""Customers' words are not kept in the NLU's process-wide caches (bot.nlu.vocabulary):
after a message is classified, a name in it is in no cache and not in spaCy's vocabulary,
and the predictions are those the uncached features give."""

import pytest

from bot.nlu import features, normalization
from bot.nlu.intents import IntentHyperparameters, intent_model_train
from bot.nlu.sentence_vectors import sentence_encoder
from bot.nlu.vocabulary import TRAINING_WORDS

SMALL = [
    *[(f"where is my order {n}", "order_status") for n in ("now", "today", "please", "again")],
    *[(f"i forgot my password {n}", "password_reset") for n in ("now", "today", "please", "again")],
    *[(f"cancel my order {n}", "order_cancel") for n in ("now", "today", "please", "again")],
]
NAME, SURNAME = "Zbigniewa", "Quaxleworth"
CACHES = (
    normalization._token_normalize_cached,
    features._word_feature_keys_cached,
    features._norms_features_cached,
)


@pytest.fixture(scope="module")
def model():
    return intent_model_train(
        SMALL, language="en", hyperparameters=IntentHyperparameters(epochs_max=5)
    )


def test_a_customers_name_is_in_no_cache_after_classifying_their_message(model):
    model.predict(["where is my order"])  # the trained words: cached, as before
    misses = [cache.cache_info().misses for cache in CACHES]

    [prediction] = model.predict([f"where is my order {NAME} {SURNAME}"], cached=False)

    assert prediction.intent == "order_status"
    # No cache was asked for a word or message it did not hold: nothing was added to any.
    assert [cache.cache_info().misses for cache in CACHES] == misses
    for word in (NAME, SURNAME, NAME.lower(), SURNAME.lower()):
        assert word not in TRAINING_WORDS
        assert word not in model.nlp.vocab.strings
        # Nor in the sentence encoder's pieces of known words (the message was encoded).
        assert word not in sentence_encoder()._pieces_of_word
    assert "order" in sentence_encoder()._pieces_of_word


def test_the_trained_words_stay_cached(model):
    model.predict(["where is my order"])
    hits = normalization._token_normalize_cached.cache_info().hits

    model.predict(["where is my order"])

    assert "order" in TRAINING_WORDS
    assert normalization._token_normalize_cached.cache_info().hits == hits + 4


def test_predictions_are_those_of_the_uncached_features(model):
    messages = [
        "where is my order",
        f"{NAME} here, i forgot my password",
        f"cancel my order please, {SURNAME}",
        "Wo ist meine Bestellung?",
    ]
    for message in messages:
        doc = model._doc_tokens(message)
        arguments = dict(char_min=3, char_max=5, word_ngram_max=2)
        remembered = features.doc_features(doc, remember=True, **arguments)
        computed = features.doc_features(doc, **arguments)
        assert remembered[0].tolist() == computed[0].tolist()
        assert remembered[1].tolist() == computed[1].tolist()
    first = model.predict(messages)
    assert model.predict(messages) == first
