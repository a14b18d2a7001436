from datetime import date

import pytest
from django.test import Client

from bot.chat import conversation_consent_current
from privacy.models import (
    AuditEvent,
    PolicyVersion,
    ProcessingAgreement,
    Processor,
    RetentionPolicy,
)
from privacy.registry import active_channels_source_register
from privacy.services import notice_changes, notice_facts, notice_publish, notice_render
from staff import roles
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels():
    """Set the active channels the way the messenger configuration will."""
    from privacy import registry

    saved = registry._active_channels_source[:]
    current = ["web"]
    active_channels_source_register(lambda: current)
    yield current
    registry._active_channels_source[:] = saved


def _whatsapp_with_agreement() -> Processor:
    processor = Processor.objects.create(
        name="WhatsApp Ireland Limited",
        address="Dublin",
        channel="whatsapp",
        country="IE",
        transfer_safeguard="dpf",
    )
    ProcessingAgreement.objects.create(
        processor=processor,
        subject_matter="Zustellung",
        duration="unbefristet",
        nature_and_purpose="Delivery of chat messages",
        data_categories="Telefonnummer",
        subject_categories="Kunden",
        retention_terms="30 Tage",
        technical_measures="TLS",
        controller_rights_duties="Weisungen",
        processor_rights_duties="Vertraulichkeit",
        status="active",
        signed_at=date(2026, 1, 1),
    )
    return processor


@pytest.mark.parametrize("language", ["de", "en"])
def test_website_only_with_name_and_email(settings, channels, language):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]

    text = notice_render(language=language)

    if language == "en":
        assert "your name, your email address" in text and "your phone number" not in text
        assert "our website" in text and "WhatsApp" not in text
        assert "no service provider processes" in text
        assert "30 days" in text and "/privacy/requests/" in text
        assert "supervisory authority" in text
    else:
        assert "Ihren Namen, Ihre E-Mail-Adresse" in text and "Ihre Telefonnummer" not in text
        assert "unserer Website" in text and "WhatsApp" not in text
        assert "30 Tage" in text and "Aufsichtsbehörde" in text


@pytest.mark.parametrize("language", ["de", "en"])
def test_website_and_whatsapp_with_phone(settings, channels, language):
    settings.CHAT_IDENTITY_FIELDS = ["phone"]
    channels.append("whatsapp")
    _whatsapp_with_agreement()

    text = notice_render(language=language)

    assert "WhatsApp Ireland Limited" in text and "WhatsApp" in text
    assert "Data Privacy Framework" in text
    if language == "en":
        assert "we ask for: your phone number." in text
    else:
        assert "Ihre Telefonnummer" in text and "Ihren Namen" not in text


def test_publishing_activates_a_new_version_and_asks_for_consent_again(policies, officer_client):
    from bot.chat import chat_consent_give

    conversation = ConversationFactory(language="de")
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    assert conversation_consent_current(conversation)

    response = officer_client.post(
        "/privacy/notice/",
        {
            "language": "de",
            "version": "2027-01",
            "title": "Datenschutz",
            "summary": "Kurz.",
            "text": notice_render(language="de"),
        },
    )

    assert response.status_code == 302
    assert PolicyVersion.objects.get(language="de", is_active=True).version == "2027-01"
    assert not conversation_consent_current(conversation)
    assert AuditEvent.objects.filter(action="policy.published").exists()


def test_the_preview_shows_the_generated_text_a_diff_and_the_disclaimer(policies, officer_client):
    page = officer_client.get(
        "/privacy/notice/?language=en", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "not legal advice" in page
    assert "diff" in page and "Your rights" in page


def test_publishing_an_existing_version_name_is_refused(policies, officer_client):
    response = officer_client.post(
        "/privacy/notice/",
        {"language": "de", "version": "2026-11", "title": "X", "summary": "Y", "text": "Z"},
    )

    assert response.status_code == 400
    assert PolicyVersion.objects.get(language="de", is_active=True).text != "Z"


@pytest.fixture
def officer_client():
    client = Client()
    client.force_login(UserFactory(role=roles.PRIVACY_OFFICER))
    return client


@pytest.fixture
def published(settings, channels):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    return notice_publish(
        language="de", version="v1", title="T", summary="S", text="Text", acting_user=None
    )


def test_a_published_notice_matching_the_configuration_has_no_changes(published):
    assert notice_changes(covered=published.covered_facts) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("channel", "New channel: whatsapp"),
        ("identity_field", "New identity field asked: phone"),
        ("shorter_retention", "→ 14 days"),
        ("longer_retention", "→ 90 days"),
        ("processor", "New processor: WhatsApp Ireland Limited"),
    ],
)
def test_each_configuration_change_is_named_on_the_dashboard(
    published, settings, channels, change, expected, officer_client
):
    from django.utils import translation

    if change == "channel":
        channels.append("whatsapp")
    elif change == "identity_field":
        settings.CHAT_IDENTITY_FIELDS = ["name", "email", "phone"]
    elif change == "shorter_retention":
        RetentionPolicy.objects.filter(category="conversations_resolved").update(duration_days=14)
    elif change == "longer_retention":
        RetentionPolicy.objects.filter(category="conversations_resolved").update(duration_days=90)
    else:
        _whatsapp_with_agreement()

    with translation.override("en"):
        changes = notice_changes(covered=published.covered_facts)
    page = officer_client.get("/privacy/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert any(expected in line for line in changes), changes
    assert "no longer covers" in page
    assert notice_facts() != published.covered_facts


def test_the_preview_diff_escapes_the_active_policys_version_string(policies, officer_client):
    policies["en"].version = '<img src=x onerror="alert(1)">'
    policies["en"].save(update_fields=["version"])

    page = officer_client.get(
        "/privacy/notice/?language=en", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


# The automated assistant (EU AI Act) -------------------------------------------------------

AI_SECTION = {
    "en": [
        "Automated answers (artificial intelligence)",
        "an automated assistant answers first: a computer program (an AI system",
        "What it does not do: it takes no decision about you with legal",
        'To reach a person: choose "Talk to a person" in the website chat, or write to us at',
        "The assistant learns only from texts from which personal data has been removed",
        "(Art. 21 GDPR)",
    ],
    "de": [
        "Automatische Antworten (künstliche Intelligenz)",
        "antwortet zuerst ein automatischer Assistent: ein Computerprogramm (ein KI-System",
        "Was er nicht tut: Er trifft keine Entscheidung über Sie mit rechtlicher",
        "So erreichen Sie einen Menschen: Wählen Sie im Website-Chat „Mit einer Person sprechen“",
        "Der Assistent lernt nur aus Texten, aus denen personenbezogene Daten automatisch",
        "(Art. 21 DSGVO)",
    ],
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_notice_has_the_section_on_the_automated_assistant(settings, channels, language):
    settings.PRIVACY_CONTACT_EMAIL = "datenschutz@example.org"

    text = notice_render(language=language)

    for sentence in AI_SECTION[language]:
        assert sentence in text, sentence
    assert "datenschutz@example.org." in text
    # Before the rights section, beside the other sections.
    rights = "Your rights" if language == "en" else "Ihre Rechte"
    assert text.index(AI_SECTION[language][0]) < text.index(rights)


def test_a_notice_published_before_the_ai_section_is_outdated_on_the_dashboard(
    published, officer_client
):
    from django.utils import translation

    facts = dict(published.covered_facts)
    facts.pop("ai_section")
    PolicyVersion.objects.filter(pk=published.pk).update(covered_facts=facts)

    with translation.override("en"):
        changes = notice_changes(covered=facts)
    page = officer_client.get("/privacy/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert changes == [
        "The section on the automated assistant (EU AI Act) is missing or out of date."
    ]
    assert "no longer covers" in page and "automated assistant (EU AI Act)" in page
