"""Redacting many texts at once (the chat's group commit): the same result as one by one,
with the name recogniser reading them together."""

from privacy.redaction import text_redact, texts_redact
from privacy.redaction.recogniser import Recogniser

from .test_recogniser import ENGLISH_CHAT, GERMAN_CHAT

MIXED = [
    *(text for text, _expected in GERMAN_CHAT),
    *(text for text, _expected in ENGLISH_CHAT),
    "Wie hoch sind die Versandkosten?",  # no candidate: the recogniser is not asked
    "Welche Zahlungsarten gibt es? Meine Mail ist erika@example.org",
    "",
]


def test_many_texts_are_redacted_as_one_by_one():
    known = [["Erika Mustermann"] if n % 2 else [] for n in range(len(MIXED))]

    redacted = texts_redact(MIXED, known_names=known)

    assert redacted == [
        text_redact(text, known_names=names) for text, names in zip(MIXED, known, strict=True)
    ]
    assert "[NAME] hat gestern angerufen" in redacted[0]


def test_a_known_name_is_hidden_at_its_own_position_only():
    texts = ["Hier schreibt Erika Mustermann.", "Hier schreibt Erika Mustermann."]

    redacted = texts_redact(texts, known_names=[["Erika Mustermann"], []])

    assert "Mustermann" not in redacted[0]
    assert redacted[1] == text_redact(texts[1])


def test_the_recogniser_reads_the_texts_of_a_language_together(monkeypatch):
    read = []
    original = Recogniser.pipe

    def counted(self, texts):
        read.append(list(texts))
        return original(self, texts)

    monkeypatch.setattr(Recogniser, "pipe", counted)
    german = [text for text, _expected in GERMAN_CHAT[:3]]
    english = [text for text, _expected in ENGLISH_CHAT[:2]]

    texts_redact([*german, "Wie hoch sind die Versandkosten?", *english], known_names=[[]] * 6)

    assert sorted(read, key=len) == [english, german]
