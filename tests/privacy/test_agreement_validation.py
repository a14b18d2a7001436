"""An active processing agreement needs its signing date: a clear field error everywhere.

The check constraint stays the last line; the API and the admin answer before it,
in the user's language, never with the constraint's name or an IntegrityError.
"""

import pytest
from rest_framework.test import APIClient

from privacy.models import ProcessingAgreement, Processor
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AGREEMENT = {
    "subject_matter": "Hosting",
    "duration": "For the term of the contract",
    "nature_and_purpose": "Hosting of the support desk",
    "data_categories": "Names, emails, messages",
    "subject_categories": "Customers",
    "retention_terms": "30 days after the contract",
    "technical_measures": "Encryption",
    "controller_rights_duties": "Instructions",
    "processor_rights_duties": "Confidentiality",
}


@pytest.fixture
def processor():
    return Processor.objects.create(name="Hoster GmbH", address="Berlin")


@pytest.fixture
def client():
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.PRIVACY_OFFICER))
    return client


def test_creating_an_active_agreement_without_signing_date_is_a_field_error(client, processor):
    response = client.post(
        "/api/v1/privacy/agreements/",
        {**AGREEMENT, "processor": processor.pk, "status": "active"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    body = response.json()
    assert response.status_code == 400, body
    assert body["type"] == "validation_error"
    assert "needs the date it was signed" in body["fields"]["signed_at"][0]
    assert not ProcessingAgreement.objects.exists()


def test_replacing_an_agreement_with_an_unsigned_active_one_is_a_field_error(client, processor):
    draft = ProcessingAgreement.objects.create(processor=processor, **AGREEMENT)

    response = client.put(
        f"/api/v1/privacy/agreements/{draft.pk}/",
        {**AGREEMENT, "processor": processor.pk, "status": "active", "signed_at": None},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"signed_at"}
    draft.refresh_from_db()
    assert draft.status == ProcessingAgreement.Status.DRAFT


def test_activating_a_draft_by_patch_checks_the_stored_signing_date(client, processor):
    draft = ProcessingAgreement.objects.create(processor=processor, **AGREEMENT)

    refused = client.patch(
        f"/api/v1/privacy/agreements/{draft.pk}/", {"status": "active"}, format="json"
    )
    accepted = client.patch(
        f"/api/v1/privacy/agreements/{draft.pk}/",
        {"status": "active", "signed_at": "2026-03-02"},
        format="json",
    )

    assert refused.status_code == 400 and "signed_at" in refused.json()["fields"]
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "An active agreement needs the date it was signed."),
        ("de", "Eine aktive Vereinbarung braucht das Datum der Unterschrift."),
    ],
)
def test_the_admin_form_names_the_missing_signing_date_in_words(
    admin_client, processor, language, sentence
):
    response = admin_client.post(
        "/admin/privacy/processingagreement/add/",
        {**AGREEMENT, "processor": processor.pk, "status": "active", "signed_at": ""},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.errors
    assert sentence in " ".join(errors["signed_at"])
    assert "agreement_active_is_signed" not in response.content.decode()
    assert not ProcessingAgreement.objects.exists()


# The other rules an admin form can break: a sentence, never the constraint's name --------


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "A legal hold needs a data subject or a conversation (or both)."),
        ("de", "Eine Löschsperre braucht eine betroffene Person oder ein Gespräch"),
    ],
)
def test_a_legal_hold_without_subject_or_conversation_is_explained_in_words(
    admin_client, language, sentence
):
    response = admin_client.post(
        "/admin/privacy/legalhold/add/",
        {"subject": "", "reference": "", "reason": "Court order 12/26"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert sentence in page
    assert "legal_hold_has_subject_or_reference" not in page


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "A canned response belongs to a queue or to one agent, not to both."),
        ("de", "Ein Textbaustein gehört zu einer Warteschlange oder zu einer Person"),
    ],
)
def test_a_canned_response_for_queue_and_agent_is_explained_in_words(
    admin_client, queue, agent, language, sentence
):
    response = admin_client.post(
        "/admin/agents/cannedresponse/add/",
        {"title": "Hi", "text": "Hallo", "language": "de", "queue": queue.pk, "owner": agent.pk},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert sentence in page
    assert "canned_response_queue_or_owner" not in page
