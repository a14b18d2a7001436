"""Validators that keep personal data out of texts shown to everyone (titles, slugs).

They ask the one redaction gate (privacy.redaction) whether it would hide anything, so
what the admin, the knowledge-base API and teaching refuse is exactly what the gate
finds. Model fields use them (Intent.slug, IntentAnswer.title), so `full_clean`, the
Django admin and model forms refuse such values with the same translated message.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from privacy import redaction

_KIND_NAMES = {
    redaction.NAME: _("a name"),
    redaction.EMAIL: _("an email address"),
    redaction.PHONE: _("a phone number"),
    redaction.IBAN: _("an IBAN"),
    redaction.CREDIT_CARD: _("a card number"),
    redaction.ADDRESS: _("an address"),
    redaction.DATE_OF_BIRTH: _("a date of birth"),
    redaction.ID: _("a customer or order number"),
}


def personal_data_kinds(text: str, *, known_names: Iterable[str] = ()) -> list[str]:
    """The labels of the personal data the gate finds in text (empty: none), in order.

    The whole gate, the trained recogniser included, as a label: these are short
    knowledge-base texts (titles, slugs) without sentence context, where the recogniser
    keeps only the guesses that no word list explains (`label_text`), so "Shipping Costs"
    passes and "Rückruf bei Szymańska" does not.
    """
    spans = redaction.redaction_spans(text, known_names=known_names, label_text=True)
    labels = [span.label for span in spans]
    return list(dict.fromkeys(labels))


def personal_data_error(kinds: list[str]) -> ValidationError:
    names = ", ".join(str(_KIND_NAMES.get(kind, kind)) for kind in kinds)
    return ValidationError(
        _(
            "This contains personal data (%(kinds)s). It would be shown to every "
            "customer: write it without it."
        ),
        code="personal_data",
        params={"kinds": names},
    )


def text_without_personal_data(value: str, *, known_names: Iterable[str] = ()) -> None:
    """Refuse a text (a title, an edited teaching) in which the gate finds personal data."""
    kinds = personal_data_kinds(value or "", known_names=known_names)
    if kinds:
        raise personal_data_error(kinds)


def slug_without_personal_data(value: str, *, known_names: Iterable[str] = ()) -> None:
    """Refuse a slug that spells personal data ("refund-erika-mustermann-4711-2026"):
    it is read as the words it joins."""
    words = (value or "").replace("-", " ").replace("_", " ")
    kinds = personal_data_kinds(words, known_names=known_names)
    if kinds:
        raise personal_data_error(kinds)


def title_validator(value: str) -> None:
    """Model field validator (no keyword arguments: Django calls it with the value)."""
    text_without_personal_data(value)


def slug_validator(value: str) -> None:
    """Model field validator for slugs."""
    slug_without_personal_data(value)
