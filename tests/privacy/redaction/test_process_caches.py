"""A name redaction found is kept in no process-wide cache: not in the recogniser's spaCy
vocabulary (freed after each reading), not in the German role-word cache (shipped nouns
only)."""

from privacy.redaction import names, recogniser, text_redact

NAME = "Quaxleworth"


def test_a_redacted_name_is_not_left_in_the_recognisers_vocabulary():
    for language, text in (
        ("de", f"Hallo, hier schreibt Zbigniewa {NAME}, meine Bestellung fehlt."),
        ("en", f"Hi, this is Zbigniewa {NAME}, my parcel never arrived."),
    ):
        assert NAME not in text_redact(text, language=language)
        strings = recogniser.recogniser(language).nlp.vocab.strings
        assert NAME not in strings and "Zbigniewa" not in strings
        # The shipped vocabulary is still there.
        assert "Bestellung" in strings or "parcel" in strings


def test_a_name_after_a_german_verb_of_saying_is_not_cached_as_a_role_word(monkeypatch):
    matched = []
    original = names._german_role_match
    monkeypatch.setattr(
        names, "_german_role_match", lambda word: matched.append(word) or original(word)
    )
    names._german_role_word_cached.cache_clear()
    misses = names._german_role_word_cached.cache_info().misses

    redacted = text_redact(f"Das Paket kam nicht, sagte {NAME} gestern.", language="de")

    assert NAME not in redacted
    assert NAME in matched  # checked, uncached
    assert names._german_role_word_cached.cache_info().misses == misses
    assert names._german_role_word("Bürgermeister")  # a shipped noun: cached
    assert names._german_role_word_cached.cache_info().misses == misses + 1
    assert names._german_role_word("Europaminister")  # no shipped noun: matched, uncached
    assert names._german_role_word_cached.cache_info().misses == misses + 1
