"""The admin's allow-list: product names that look like names are never hidden as names."""

import pytest
from django.core.exceptions import ValidationError

from privacy.models import AuditEvent, RedactionAllowedWord
from privacy.redaction import allow_list, text_redact
from privacy.services import register_entry_save


@pytest.fixture(autouse=True)
def fresh_allow_list():
    allow_list.allowed_words_reset()
    yield
    allow_list.allowed_words_reset()


def allow(word: str, *, user=None) -> RedactionAllowedWord:
    return register_entry_save(
        instance=RedactionAllowedWord(word=word, note="product"), acting_user=user
    )


@pytest.mark.django_db
def test_an_allowed_word_is_not_redacted_as_a_name():
    # given: without the list, "Paula" after a greeting is taken for a person
    assert text_redact("Hallo Paula, ist das Kleid noch da?", use_recogniser=False) == (
        "Hallo [NAME], ist das Kleid noch da?"
    )
    # when
    allow("paula")
    # then
    assert text_redact("Hallo Paula, ist das Kleid noch da?") == (
        "Hallo Paula, ist das Kleid noch da?"
    )


@pytest.mark.django_db
def test_the_rest_of_a_name_around_an_allowed_word_is_still_redacted():
    allow("Paula")

    assert text_redact("Mein Name ist Paula Schneider.") == "Mein Name ist Paula [NAME]."


@pytest.mark.django_db
def test_the_subjects_known_name_is_redacted_even_when_allowed():
    allow("Paula")

    redacted = text_redact("Hier ist Paula, die Paula-Jacke passt nicht.", known_names=["Paula"])

    assert "Paula" not in redacted


@pytest.mark.django_db
def test_editing_the_list_takes_effect_at_once_in_this_process():
    entry = allow("Paula")
    assert "Paula" in text_redact("Hallo Paula, ist das Kleid noch da?")

    entry.delete()

    assert "Paula" not in text_redact("Hallo Paula, ist das Kleid noch da?")


@pytest.mark.django_db
def test_the_list_is_read_from_the_database_once_then_from_memory(django_assert_num_queries):
    allow("Paula")
    allow_list.allowed_words_reset()

    with django_assert_num_queries(1):
        for _ in range(5):
            text_redact("Hallo Paula!")


@pytest.mark.django_db
def test_an_entry_is_one_word_unique_in_any_case_and_audited(user_factory):
    staff = user_factory()
    allow("Paula", user=staff)

    with pytest.raises(ValidationError):
        allow("PAULA")
    with pytest.raises(ValidationError):
        allow("Paula Kleid")
    assert AuditEvent.objects.filter(action="redactionallowedword.created").count() == 1


def test_an_unreadable_list_hides_more_never_less():
    # No database in this test: the list cannot be read, and redaction still runs.
    assert text_redact("Mein Name ist Jürgen Schmidt.") == "Mein Name ist [NAME]."


@pytest.mark.django_db
def test_an_admin_adds_a_word_in_the_admin_and_redaction_follows_at_once(admin_client):
    response = admin_client.post(
        "/admin/privacy/redactionallowedword/add/", {"word": "Paula", "note": "Kleid"}
    )

    assert response.status_code == 302
    assert RedactionAllowedWord.objects.filter(word="Paula").exists()
    assert AuditEvent.objects.filter(action="redactionallowedword.created").exists()
    assert text_redact("Hallo Paula, ist das Kleid noch da?") == (
        "Hallo Paula, ist das Kleid noch da?"
    )
