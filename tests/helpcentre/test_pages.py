"""The help centre's pages and the contact form: no cookie, consent, minimisation, counts."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.template import Context, Template
from django.utils import timezone, translation

from bot import hooks
from bot.models import Conversation, Intent, Message
from helpcentre.models import (
    ArticleDailyCount,
    ContactFormDailyCount,
    ContactFormSubmission,
    SearchMiss,
)
from helpcentre.selectors import help_analytics
from helpcentre.services import search_index_refresh
from privacy.models import ConsentRecord, DataSubject, ProcessingActivity
from privacy.services.notice import notice_render
from privacy.services.records import processing_activities_csv

pytestmark = pytest.mark.django_db
STATIC = Path(__file__).resolve().parents[2] / "static"
FORM = {
    "name": "Erika Mustermann",
    "email": "erika@example.org",
    "subject": "Rechnung fehlt",
    "message": "Ich finde die Rechnung zu Bestellung 4711 nicht. Erika Mustermann",
    "consent": "on",
    "policy_version": "2026-11",
}


@pytest.fixture
def site(policies, knowledge_base):
    search_index_refresh()


def no_cookie(response) -> bool:
    return not response.cookies and "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/help/",
        "/help/?q=Versandkosten",
        "/help/?q=nichts+passt+hierzu",
        "/help/?category=none",
        "/help/shipping_costs/",
        "/help/shipping_costs/?voted=yes",
        "/contact/",
        "/contact/sent/",
        "/contact/answered/",
    ],
)
def test_the_pages_set_no_cookie(site, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert no_cookie(response)


def test_the_writes_set_no_cookie_either(site, client):
    responses = [
        client.post("/help/shipping_costs/", {"helpful": "yes"}),
        client.post("/contact/suggestions/", {"text": "Was kostet der Versand?", "language": "de"}),
        client.post("/contact/answered/", {"article": "shipping_costs"}),
        client.post("/contact/", {**FORM, "check": "1"}),
        client.post("/contact/", FORM),
    ]
    assert all(no_cookie(response) for response in responses)


def test_the_form_script_stores_nothing_on_the_device():
    script = (STATIC / "helpcentre" / "contact.js").read_text()
    for storage in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
        assert storage not in script
    assert 'credentials: "omit"' in script


def test_the_pages_are_in_the_language_asked_for(site, client):
    english = client.get("/help/?language=en").content.decode()
    german = client.get("/help/?language=de").content.decode()
    assert '<html lang="en">' in english and "Most asked" in english
    assert '<html lang="de">' in german and "Hilfe" in german


def test_an_unknown_article_or_category_is_not_found(site, client):
    assert client.get("/help/no_such_topic/").status_code == 404
    assert client.get("/help/?category=99999").status_code == 404
    assert client.get("/help/?category=abc").status_code == 404
    assert client.get("/help/?category=" + "9" * 40).status_code == 404
    assert client.get("/help/?category=none&page=" + "9" * 40).status_code == 200


def test_a_vote_is_counted_per_day_without_the_person(site, client):
    response = client.post("/help/shipping_costs/?language=de", {"helpful": "no"})
    client.post("/help/shipping_costs/?language=de", {"helpful": "yes"})
    client.post("/help/shipping_costs/?language=de", {"helpful": "yes"})

    assert response.status_code == 302 and "voted=no" in response["Location"]
    count = ArticleDailyCount.objects.get()
    assert (count.helpful, count.unhelpful, count.day) == (2, 1, timezone.localdate())
    assert count.answer.intent.slug == "shipping_costs" and count.answer.language == "de"
    assert client.post("/help/shipping_costs/", {"helpful": "maybe"}).status_code == 400


def test_suggestions_come_from_the_classifier_and_the_text_is_not_stored(site, client):
    tables_before = {model: model.objects.count() for model in (Conversation, Message, SearchMiss)}
    response = client.post(
        "/contact/suggestions/", {"text": "Was kostet der Versand nach Hause?", "language": "de"}
    )

    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert suggestions[0]["slug"] == "shipping_costs"
    assert suggestions[0]["url"] == "/help/shipping_costs/?language=de"
    assert {model: model.objects.count() for model in tables_before} == tables_before


def test_suggestions_refuse_bad_input_with_a_clear_error(site, client):
    assert client.post("/contact/suggestions/", {"language": "xx"}).status_code == 400
    assert client.get("/contact/suggestions/").status_code == 405


def test_suggestions_are_rate_limited(site, client, settings):
    settings.HELPCENTRE_SUGGEST_RATE = 2
    codes = [
        client.post("/contact/suggestions/", {"text": "Versand", "language": "de"}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


def test_the_form_without_script_shows_matching_answers_and_keeps_what_was_typed(site, client):
    page = client.post(
        "/contact/?language=de",
        {**FORM, "subject": "Versandkosten", "message": "Was kostet der Versand?", "check": "1"},
    ).content.decode()
    assert 'value="shipping_costs"' in page  # "This answered my question" for that answer
    assert 'value="Versandkosten"' in page and 'value="on"' in page  # suggestions_shown
    assert not Conversation.objects.exists()


def test_sending_the_form_makes_a_form_conversation_for_the_team(
    site, client, django_capture_on_commit_callbacks
):
    escalated = []
    hooks.listener_register(hooks.ESCALATED, escalated.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/?language=de", {**FORM, "suggestions_shown": "on"})

    assert response.status_code == 302 and response["Location"].startswith("/contact/sent/")
    conversation = Conversation.objects.get()
    assert conversation.channel == "form" and conversation.status == "waiting"
    assert escalated == [conversation.pk]
    consent = ConsentRecord.objects.get(reference=conversation.public_id)
    assert consent.policy_version.version == "2026-11" and consent.channel == "form"
    assert conversation.subject.email == "erika@example.org"
    message = conversation.messages.get()
    assert message.text.startswith("Rechnung fehlt\n\nIch finde die Rechnung")
    assert "Mustermann" not in message.text_redacted
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM bot_message WHERE id = %s", [message.pk])
        assert "Rechnung" not in cursor.fetchone()[0]
    assert ContactFormSubmission.objects.get().suggestions_shown
    counts = ContactFormDailyCount.objects.get()
    assert (counts.sent, counts.sent_after_suggestions) == (1, 1)


@pytest.mark.parametrize(
    ("ticked", "recorded"),
    [({}, ["support_chat"]), ({"bot_improvement": "on"}, ["bot_improvement", "support_chat"])],
)
def test_improving_the_bot_is_a_separate_unticked_choice_on_the_form(
    site, client, ticked, recorded
):
    page = client.get("/contact/?language=en").content.decode()
    box = page[page.index('name="bot_improvement"') - 80 : page.index('name="bot_improvement"')]
    assert 'type="checkbox"' in box and "checked" not in box and "required" not in box
    assert "Improving the bot with conversation content without personal data" in page
    assert "improve our answers" not in page  # no longer part of what "I agree" covers

    client.post("/contact/?language=de", {**FORM, **ticked})

    assert ConsentRecord.objects.get().purposes == recorded


def test_the_form_asks_only_the_configured_fields(site, client, settings):
    settings.CHAT_IDENTITY_FIELDS = ["email"]
    page = client.get("/contact/").content.decode()
    assert 'name="email"' in page and 'name="name"' not in page and 'name="phone"' not in page

    client.post("/contact/", {**FORM, "phone": "+49 170 1234567"})
    subject = DataSubject.objects.get()
    assert subject.email == "erika@example.org" and not subject.name and not subject.phone


def test_nothing_is_stored_without_consent_or_with_an_outdated_policy(site, client):
    no_consent = client.post("/contact/", {**FORM, "consent": ""})
    outdated = client.post("/contact/", {**FORM, "policy_version": "2020-01"})

    assert no_consent.status_code == 400 and outdated.status_code == 400
    assert 'aria-invalid="true"' in no_consent.content.decode()
    assert not Conversation.objects.exists() and not DataSubject.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_the_form_is_rate_limited(site, client, settings):
    settings.HELPCENTRE_FORM_RATE = 1
    assert client.post("/contact/", FORM).status_code == 302
    assert client.post("/contact/", FORM).status_code == 429
    assert Conversation.objects.count() == 1


def test_this_answered_my_question_counts_a_deflection(site, client):
    response = client.post("/contact/answered/?language=de", {"article": "shipping_costs"})
    json_response = client.post(
        "/contact/answered/?language=de",
        {"article": "shipping_costs"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 302 and response["Location"].startswith("/contact/answered/")
    assert json_response.json() == {"counted": True}
    assert ArticleDailyCount.objects.get().deflections == 2
    assert not Conversation.objects.exists()


def test_the_analytics_give_deflection_rate_misses_and_helpfulness(site, client):
    client.post("/contact/answered/?language=de", {"article": "shipping_costs"})
    client.post("/contact/answered/?language=de", {"article": "shipping_costs"})
    client.post("/contact/?language=de", {**FORM, "suggestions_shown": "on"})
    client.post("/help/shipping_costs/?language=de", {"helpful": "yes"})
    client.get("/help/", {"q": "fahrradversicherung", "language": "de"})
    client.get("/help/", {"q": "Fahrradversicherung ", "language": "de"})
    today = timezone.localdate()

    figures = help_analytics(since=today - timedelta(days=7), until=today)

    assert figures["deflection_rate"] == round(2 / 3, 4)
    assert figures["forms_sent"] == 1
    assert figures["top_misses"] == [
        {"text_redacted": "fahrradversicherung", "language": "de", "searches": 2}
    ]
    article = figures["articles"][0]
    assert (article["slug"], article["helpful"], article["deflections"]) == ("shipping_costs", 1, 2)
    html = Template(
        "{% load helpcentre_analytics %}{% help_analytics_section since until %}"
    ).render(Context({"since": today, "until": today}))
    assert "fahrradversicherung" in html and "67 %" in html


def test_the_record_of_processing_and_the_notice_include_help_centre_and_form(site):
    names = set(ProcessingActivity.objects.values_list("name", flat=True))
    assert {"Help centre", "Contact form"} <= names
    with translation.override("en"):
        record = processing_activities_csv()
    assert "Help centre" in record and "Contact form" in record
    notice = notice_render(language="en")
    assert "Help centre" in notice and "Contact form" in notice


def test_a_deactivated_intent_is_no_article(site, client):
    Intent.objects.filter(slug="shipping_costs").update(is_active=False)
    assert client.get("/help/shipping_costs/").status_code == 404


def test_a_form_sent_after_suggestions_joins_the_unanswered_topics_redacted(site, client):
    from bot.selectors import unanswered_topics

    # Analytics learn only from customers who ticked improving the bot.
    shown = {
        **FORM,
        "message": "Liefert ihr Surfbretter nach Island? Erika Mustermann",
        "bot_improvement": "on",
    }
    client.post(
        "/contact/?language=de", {**shown, "subject": "Surfbretter", "suggestions_shown": "on"}
    )
    client.post(
        "/contact/?language=de", {**FORM, "subject": "Kajakpaddel", "message": "Kajakpaddel?"}
    )
    today = timezone.localdate()

    examples = " ".join(
        " ".join(topic["examples"])
        for topic in unanswered_topics(since=today - timedelta(days=1), until=today)
    )

    assert "Surfbretter" in examples and "Mustermann" not in examples
    assert "Kajakpaddel" not in examples  # no answers were shown: the bot was not asked


def test_the_agent_opens_claims_and_answers_a_form_conversation(
    site, client, queue, agent, django_capture_on_commit_callbacks
):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/contact/?language=de", FORM)
    conversation = Conversation.objects.get()
    staff = Client()
    staff.force_login(agent)

    page = staff.get(f"/inbox/c/{conversation.public_id}/", HTTP_ACCEPT_LANGUAGE="en")
    claimed = staff.post(f"/inbox/c/{conversation.public_id}/claim/")
    replied = staff.post(
        f"/inbox/c/{conversation.public_id}/reply/", {"text": "Anbei die Rechnung."}
    )

    assert page.status_code == 200 and "Contact form" in page.text and "Rechnung fehlt" in page.text
    assert claimed.status_code in (200, 302) and replied.status_code in (200, 302)
    assert conversation.messages.filter(sender="agent").count() == 1
