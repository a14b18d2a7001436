"""One validator per identity field, the same for the website chat and the messengers."""

import pytest
from django.core.exceptions import ValidationError

from bot.conversation_setup import identity_value_clean
from privacy.identity_fields import identity_fields_clean, identity_phone_clean
from privacy.services import data_subject_identify


@pytest.mark.parametrize(
    "typed", ["+49 40 1234567", "030 1234567", "+4915112345678", "+44 1234 567890"]
)
def test_a_number_the_numbering_plan_knows_is_kept_as_typed(typed):
    assert identity_phone_clean(f"  {typed} ") == typed


@pytest.mark.parametrize("typed", ["12345", "+1 555 0100", "call me", "0" * 41, "+49 (0)"])
def test_a_number_no_numbering_plan_knows_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        identity_phone_clean(typed)

    assert refused.value.code == "invalid_phone"


def test_national_numbers_are_read_in_the_configured_region(settings):
    settings.PHONE_DEFAULT_REGION = "GB"

    assert identity_phone_clean("020 7946 0958") == "020 7946 0958"
    with pytest.raises(ValidationError):
        identity_phone_clean("030 12")


def test_every_invalid_field_is_named():
    with pytest.raises(ValidationError) as refused:
        identity_fields_clean(name="Erika", email="not an address", phone="12345")

    assert set(refused.value.message_dict) == {"email", "phone"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed"),
    [("phone", "12345"), ("phone", "+49 40 1234567"), ("email", "erika@"), ("name", "Erika")],
)
def test_the_website_chat_and_the_messengers_accept_the_same(field, typed):
    try:
        data_subject_identify(**{field: typed})
        web_accepts = True
    except ValidationError:
        web_accepts = False

    assert web_accepts == (identity_value_clean(field=field, value=typed) is not None)
