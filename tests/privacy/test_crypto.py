import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from privacy.checks import check_blind_index_key, check_encryption_keys
from privacy.crypto import EncryptionKeyError, email_blind_index
from privacy.models import DataSubject
from privacy.services import data_subject_identify

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _raw_name(subject: DataSubject) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM privacy_datasubject WHERE id = %s", [subject.pk])
        return cursor.fetchone()[0]


def test_blind_index_matches_the_same_email_however_written():
    assert email_blind_index(" Erika.M@Example.ORG ") == email_blind_index("erika.m@example.org")


def test_blind_index_is_keyed_and_not_the_email(settings):
    index = email_blind_index("erika.m@example.org")
    assert "erika" not in index and len(index) == 64
    settings.BLIND_INDEX_KEY = "another-key"
    assert email_blind_index("erika.m@example.org") != index


@pytest.mark.django_db
def test_rows_written_under_key_a_are_readable_under_b_then_a(settings):
    settings.FIELD_ENCRYPTION_KEY = [KEY_A]
    subject = data_subject_identify(name="Erika Mustermann", email="erika@example.org")

    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]

    assert DataSubject.objects.get(pk=subject.pk).name == "Erika Mustermann"


@pytest.mark.django_db
def test_rotation_makes_rows_readable_under_the_new_key_alone(settings, tmp_path):
    # Files other tests left under the default test key are not this test's rows.
    settings.MEDIA_ROOT = str(tmp_path)
    # given rows under key A
    settings.FIELD_ENCRYPTION_KEY = [KEY_A]
    subjects = [
        data_subject_identify(name=f"Kunde {n}", email=f"kunde{n}@example.org") for n in range(7)
    ]
    # when B is added in front and the rows are rotated in small batches
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]
    call_command("rotate_encryption_keys", batch_size=3, stdout=open("/dev/null", "w"))
    # then B alone reads every row
    settings.FIELD_ENCRYPTION_KEY = [KEY_B]
    for n, subject in enumerate(subjects):
        stored = DataSubject.objects.get(pk=subject.pk)
        assert (stored.name, stored.email) == (f"Kunde {n}", f"kunde{n}@example.org")


@pytest.mark.django_db
def test_rotation_is_resumable_and_a_second_run_changes_nothing(settings, tmp_path):
    # Files other tests left under the default test key are not this test's rows.
    settings.MEDIA_ROOT = str(tmp_path)
    settings.FIELD_ENCRYPTION_KEY = [KEY_A]
    subject = data_subject_identify(name="Erika", email="erika@example.org", phone="030 1234567")
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]
    from privacy.services import encryption_keys_rotate

    first = encryption_keys_rotate(batch_size=1)
    token_after_first = _raw_name(subject)
    second = encryption_keys_rotate(batch_size=1)

    assert first["privacy.DataSubject"] == 3  # name, email, phone
    assert second["privacy.DataSubject"] == 0
    assert _raw_name(subject) == token_after_first


@pytest.mark.django_db
def test_a_value_no_key_opens_raises_instead_of_reading_as_ciphertext(settings):
    settings.FIELD_ENCRYPTION_KEY = [KEY_A]
    subject = data_subject_identify(name="Erika", email="erika@example.org")

    settings.FIELD_ENCRYPTION_KEY = [KEY_B]

    with pytest.raises(EncryptionKeyError, match="cannot be decrypted"):
        DataSubject.objects.get(pk=subject.pk)


@pytest.mark.django_db
def test_personal_data_is_stored_as_ciphertext():
    subject = data_subject_identify(name="Erika Mustermann", email="erika@example.org")

    raw = _raw_name(subject)

    assert raw.startswith("gAAAA") and "Erika" not in raw


@pytest.mark.django_db
def test_a_ciphertext_written_as_a_message_is_stored_as_written_never_decrypted():
    from bot.models import Message
    from bot.services import message_append
    from privacy.crypto import ciphertext_decrypt
    from tests.factories import ConversationFactory

    subject = data_subject_identify(name="Erika Mustermann", email="erika@example.org")
    stolen = _raw_name(subject)  # another person's ciphertext, as a backup would hold it

    message, _created = message_append(
        conversation=ConversationFactory(), sender="customer", text=stolen
    )

    stored = Message.objects.get(pk=message.pk)
    assert stored.text == stolen and "Erika" not in stored.text
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM bot_message WHERE id = %s", [message.pk])
        [(raw,)] = cursor.fetchall()
    assert ciphertext_decrypt(raw) == stolen  # encrypted once more, as written


def test_check_refuses_a_comma_joined_key_string(settings):
    settings.FIELD_ENCRYPTION_KEY = f"{KEY_B},{KEY_A}"

    errors = check_encryption_keys()

    assert [error.id for error in errors] == ["privacy.E001"]
    assert "list" in errors[0].msg


def test_check_refuses_an_invalid_key(settings):
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, "not-a-fernet-key"]

    assert [error.id for error in check_encryption_keys()] == ["privacy.E003"]


def test_check_accepts_a_key_list(settings):
    settings.FIELD_ENCRYPTION_KEY = [KEY_B, KEY_A]

    assert check_encryption_keys() == []


def test_check_refuses_a_missing_or_reused_blind_index_key(settings):
    settings.BLIND_INDEX_KEY = ""
    assert [e.id for e in check_blind_index_key()] == ["privacy.E010"]
    settings.FIELD_ENCRYPTION_KEY = [KEY_A]
    settings.BLIND_INDEX_KEY = KEY_A
    assert [e.id for e in check_blind_index_key()] == ["privacy.E011"]
