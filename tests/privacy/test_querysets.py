import pytest
from django.db.models import F, Q

from bot.models import Message
from privacy.models import DataSubject
from privacy.querysets import EncryptedFieldMisuse, EncryptedFieldsQuerySet
from privacy.registry import models_with_encrypted_fields
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "lookup",
    [
        {"email": "erika@example.org"},
        {"name__icontains": "erika"},
        {"phone__startswith": "+49"},
    ],
)
def test_filtering_on_an_encrypted_field_is_refused(lookup):
    with pytest.raises(EncryptedFieldMisuse, match="encrypted"):
        DataSubject.objects.filter(**lookup)


def test_a_q_object_on_an_encrypted_field_is_refused():
    with pytest.raises(EncryptedFieldMisuse):
        DataSubject.objects.exclude(Q(public_id=None) | Q(email="erika@example.org"))


def test_a_lookup_through_a_relation_to_an_encrypted_field_is_refused():
    with pytest.raises(EncryptedFieldMisuse, match="DataSubject.email"):
        Message.objects.filter(conversation__subject__email="erika@example.org")


def test_ordering_by_an_encrypted_field_is_refused():
    with pytest.raises(EncryptedFieldMisuse):
        DataSubject.objects.order_by("-name")


def test_bulk_update_of_an_encrypted_field_is_refused():
    subject = DataSubjectFactory()
    subject.name = "Neuer Name"
    with pytest.raises(EncryptedFieldMisuse, match="bulk_update"):
        DataSubject.objects.bulk_update([subject], ["name"])


def test_update_of_an_encrypted_field_with_an_expression_is_refused():
    DataSubjectFactory()
    with pytest.raises(EncryptedFieldMisuse, match="expression"):
        DataSubject.objects.update(name=F("phone"))


def test_plain_fields_still_filter_order_and_bulk_update():
    subject = DataSubjectFactory()
    assert DataSubject.objects.filter(email_index=subject.email_index).get() == subject
    assert list(DataSubject.objects.filter(phone__isnull=False).order_by("-created_at"))
    DataSubject.objects.bulk_update([subject], ["updated_at"])


def test_every_model_with_encrypted_fields_uses_the_guarded_queryset():
    for model in models_with_encrypted_fields():
        assert isinstance(model._default_manager.all(), EncryptedFieldsQuerySet), model
