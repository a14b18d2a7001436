"""The encrypted model fields every app uses for personal data.

They wrap django-encrypted-model-fields with one change: a value read from the
database that no configured key can decrypt raises EncryptionKeyError. The
library returns the raw ciphertext instead, so a missing key would otherwise
show "gAAAA…" as a customer's name and even write it back re-encrypted.
"""

# First: privacy.crypto names a malformed key by its position before the library,
# imported next, fails on it without saying which one.
from privacy.crypto import ciphertext_decrypt

# isort: split
import json

from django.core.serializers.json import DjangoJSONEncoder
from encrypted_model_fields import fields as library_fields


class UndecryptedToken(str):
    """A stored token that no configured key opens, held so that saving the row writes
    it back unchanged (it opens again once the missing key is back) instead of an empty
    value. Only privacy.encrypted_admin puts one on an instance; it is never plaintext."""


class StrictDecryptMixin:
    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        # Skip the library's to_python: it would try to decrypt the plaintext again.
        return super(library_fields.EncryptedMixin, self).to_python(ciphertext_decrypt(value))

    def to_python(self, value):
        # What reaches to_python is plaintext: a form's value, and every save's (Django's
        # CharField.get_prep_value calls it). The library decrypts any value that happens
        # to be a token under our key, so a customer who pastes a ciphertext (from a
        # leaked backup, say) as a message would get its plaintext stored and shown back:
        # a decryption oracle. Reading from the database decrypts in from_db_value.
        return super(library_fields.EncryptedMixin, self).to_python(value)

    def clean(self, value, model_instance):
        if isinstance(value, UndecryptedToken):
            return value  # kept as stored: its plaintext (and length) is not known
        return super().clean(value, model_instance)

    def get_db_prep_save(self, value, connection):
        if isinstance(value, UndecryptedToken):
            return str(value)
        return super().get_db_prep_save(value, connection)


class EncryptedCharField(StrictDecryptMixin, library_fields.EncryptedCharField):
    pass


class EncryptedTextField(StrictDecryptMixin, library_fields.EncryptedTextField):
    pass


class EncryptedEmailField(StrictDecryptMixin, library_fields.EncryptedEmailField):
    pass


class EncryptedDateField(StrictDecryptMixin, library_fields.EncryptedDateField):
    pass


def is_encrypted_field(field) -> bool:
    return isinstance(field, library_fields.EncryptedMixin)


class EncryptedJSONField(StrictDecryptMixin, library_fields.EncryptedTextField):
    """A JSON value stored as one encrypted token (a webhook delivery's payload).

    Only the whole value can be read: like every encrypted field it is never filtered on.
    """

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return None if text is None else json.loads(text)

    def to_python(self, value):
        # Forms and full_clean() hand over the Python value itself: keep it as it is.
        return value

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))
