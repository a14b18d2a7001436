"""Natural-language understanding: pure functions, no ORM."""


def nlu_warm_up() -> None:
    """Load the word and name lists and the name recognisers now, not while the first
    customer waits.

    Called once by the ASGI application as it starts.
    """
    # The warm-up loads spaCy and the models on purpose; importing bot.nlu must not.
    from bot.nlu.language import language_detect
    from privacy.redaction import text_redact
    from privacy.redaction.recogniser import recogniser_warm_up

    recogniser_warm_up()
    text_redact("Hallo, ich heiße Erika Mustermann. My name is John Smith.")
    language_detect("Wie hoch sind die Versandkosten?", fallback="de")
