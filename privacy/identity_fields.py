"""One validator per identity field, for every channel (web chat, messengers, staff).

Each takes what a person typed and returns the value to store, or raises ValidationError
with a message for that person. An empty value is returned empty: whether a field is
required is the caller's question (the chat asks for CHAT_IDENTITY_FIELDS only).
"""

from collections.abc import Callable

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from privacy.crypto import email_normalise

NAME_MAX_LENGTH = 200
PHONE_MAX_LENGTH = 40


def identity_name_clean(value: str) -> str:
    value = value.strip()
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("The name is too long (at most %(limit)d characters).") % {"limit": NAME_MAX_LENGTH},
            code="invalid_name",
        )
    return value


def identity_email_clean(value: str) -> str:
    value = email_normalise(value) if value.strip() else ""
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                _("Please enter a valid email address."), code="invalid_email"
            ) from None
    return value


def identity_phone_clean(value: str) -> str:
    """A number the numbering plan knows (libphonenumber): international with "+", or
    national in PHONE_DEFAULT_REGION. Stored as typed (trimmed): staff see what the
    customer wrote, and the redaction gate recognises the usual spellings."""
    value = value.strip()
    if not value:
        return value
    invalid = ValidationError(_("Please enter a valid phone number."), code="invalid_phone")
    if len(value) > PHONE_MAX_LENGTH:
        raise invalid
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return value


IDENTITY_FIELD_CLEANERS: dict[str, Callable[[str], str]] = {
    "name": identity_name_clean,
    "email": identity_email_clean,
    "phone": identity_phone_clean,
}


def identity_fields_clean(**values: str) -> dict[str, str]:
    """Every given field cleaned; ValidationError with a message per invalid field."""
    cleaned, errors = {}, {}
    for field, value in values.items():
        try:
            cleaned[field] = IDENTITY_FIELD_CLEANERS[field](value)
        except ValidationError as error:
            errors[field] = error
    if errors:
        raise ValidationError(errors)
    return cleaned
