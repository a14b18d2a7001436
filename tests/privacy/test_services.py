import pytest
from django.core.exceptions import ValidationError

from privacy.services import data_subject_identify

pytestmark = pytest.mark.django_db


def test_an_invalid_email_is_refused_with_a_field_error():
    with pytest.raises(ValidationError) as error:
        data_subject_identify(email="not-an-email")

    assert "email" in error.value.message_dict


def test_an_overlong_name_is_refused():
    with pytest.raises(ValidationError) as error:
        data_subject_identify(name="x" * 201)

    assert "name" in error.value.message_dict


def test_a_subject_without_email_has_no_blind_index():
    subject = data_subject_identify(name="Anonym")

    assert subject.email_index is None
