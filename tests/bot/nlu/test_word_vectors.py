import socket
import sys

import numpy
import pytest
import srsly

from bot.nlu import intents, word_vectors
from bot.nlu.intents import IntentHyperparameters, IntentModel, IntentModelError, intent_model_train
from bot.nlu.word_vectors import (
    WORD_VECTOR_WIDTH,
    WORD_VECTORS_COMPONENT,
    package_files,
    word_embeddings,
    word_vectors_encode,
)

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


def test_a_text_is_the_normalised_mean_of_its_token_embeddings():
    embeddings = word_embeddings()
    ids = embeddings.tokenizer.encode("top up my card", add_special_tokens=False).ids
    mean = embeddings.table[ids].mean(axis=0)

    vectors = word_vectors_encode(["top up my card", "   ", ""])

    assert vectors.shape == (3, WORD_VECTOR_WIDTH)
    assert vectors.dtype == numpy.float32
    assert vectors[0] == pytest.approx(mean / numpy.linalg.norm(mean), abs=1e-6)
    assert not vectors[1:].any()


def test_a_paraphrase_is_nearer_than_another_topic():
    text, paraphrase, other = word_vectors_encode(
        [
            "My parcel still hasn't arrived",
            "Where is my delivery?",
            "How do I change my login credentials?",
        ]
    )

    assert _cosine(text, paraphrase) > _cosine(text, other)


def test_loading_reads_the_packages_files_and_opens_no_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the word vectors tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for name in [name for name in sys.modules if name.split(".")[0] == "wordllama"]:
        monkeypatch.delitem(sys.modules, name)
    word_embeddings.cache_clear()
    try:
        embeddings = word_embeddings()
        vectors = word_vectors_encode(["where is my parcel"])
    finally:
        word_embeddings.cache_clear()

    weights, tokenizer = package_files()
    # The wheel's folder, not the `tokenizer/` its own loader looks in (then downloads).
    assert tokenizer.parent.name == "tokenizers"
    assert weights.is_file() and tokenizer.is_file()
    assert embeddings.table.shape[1] == WORD_VECTOR_WIDTH
    assert numpy.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)
    # The package's modules (its downloader, its root-logger set-up) were never imported.
    assert not [name for name in sys.modules if name.split(".")[0] == "wordllama"]


def test_a_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(word_vectors, "find_spec", lambda name: None)

    with pytest.raises(word_vectors.WordVectorsError, match="not installed"):
        package_files()


@pytest.fixture(scope="module")
def model():
    return intent_model_train(
        EXAMPLES, language="en", hyperparameters=IntentHyperparameters(epochs_max=5)
    )


def test_a_model_reads_the_word_vector_and_predicts_the_same_after_loading(model):
    loaded = IntentModel.from_bytes(model.to_bytes())

    assert WORD_VECTORS_COMPONENT in loaded.nlp.pipe_names
    for text in ("the parcel hasn't come yet", "can't log in", "track my order"):
        assert loaded.predict_one(text) == model.predict_one(text)


def test_the_word_vector_moves_the_scores(model, monkeypatch):
    text = "the parcel hasn't come yet"
    before = model.predict_one(text, top_k=2).top
    monkeypatch.setattr(
        intents, "word_vectors_encode", lambda texts: numpy.zeros((len(texts), WORD_VECTOR_WIDTH))
    )

    assert model.predict_one(text, top_k=2).top != before


def test_a_model_trained_with_other_word_vectors_is_refused(model):
    artefact = srsly.msgpack_loads(model.to_bytes())
    pipeline = srsly.msgpack_loads(artefact["pipeline"])
    pipeline[WORD_VECTORS_COMPONENT] = b"0" * 64
    artefact["pipeline"] = srsly.msgpack_dumps(pipeline)

    with pytest.raises(IntentModelError, match="other word vectors"):
        IntentModel.from_bytes(srsly.msgpack_dumps(artefact))


def test_a_model_without_word_vectors_as_stored_before_loads_and_never_encodes_them(monkeypatch):
    model = intent_model_train(
        EXAMPLES,
        language="en",
        hyperparameters=IntentHyperparameters(epochs_max=5, word_vectors=False),
    )
    loaded = IntentModel.from_bytes(model.to_bytes())

    def refuse(texts):
        raise AssertionError("a model without word vectors encoded them")

    monkeypatch.setattr(intents, "word_vectors_encode", refuse)
    monkeypatch.setattr(word_vectors, "word_vectors_encode", refuse)

    assert WORD_VECTORS_COMPONENT not in loaded.nlp.pipe_names
    assert loaded.predict_one("track my order") == model.predict_one("track my order")
