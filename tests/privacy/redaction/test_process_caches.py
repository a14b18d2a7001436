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
    assert names.german_role_word("Bürgermeister")  # a shipped noun: cached
    assert names._german_role_word_cached.cache_info().misses == misses + 1
    assert names.german_role_word("Europaminister")  # no shipped noun: matched, uncached
    assert names._german_role_word_cached.cache_info().misses == misses + 1


def _process_caches() -> dict[str, int]:
    """Every functools cache of the redaction and classifier modules, by name: its size."""
    import importlib
    import pkgutil

    import bot.nlu
    import privacy.redaction

    sizes = {}
    for package in (privacy.redaction, bot.nlu):
        for module_info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(module_info.name)
            for name, value in vars(module).items():
                if callable(getattr(value, "cache_info", None)):
                    sizes[f"{module_info.name}.{name}"] = value.cache_info().currsize
    return sizes


def test_a_second_unknown_name_in_a_sentence_already_seen_grows_no_cache():
    # The unknown-word rule (a capitalised word no list knows), the name lists, the
    # recogniser and the language guess all read this sentence; only the name differs.
    def sentence(name: str) -> str:
        return f"Gestern hat {name} angerufen, weil das Paket nicht ankam."

    assert "Brzenczek" not in text_redact(sentence("Brzenczek"), language="de")
    before = _process_caches()

    assert "Tschirpke" not in text_redact(sentence("Tschirpke"), language="de")

    grown = {name: size for name, size in _process_caches().items() if size > before[name]}
    assert grown == {}
