"""Each page entirely in one language: every customer, agent, admin and privacy page, and the
generated texts (privacy notice, record of processing, access report), rendered in German and
in English, holds no message of the other language (tests/one_language.py finds them)."""

import io
import zipfile

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from agents import services as inbox
from agents.models import AgentProfile, CannedResponse
from bot.chat import conversation_escalate
from bot.models import BotModel
from bot.services import message_append
from helpcentre.services import search_index_refresh
from platform_core.api_auth import api_key_create
from privacy.models import DataRequest, LegalHold
from privacy.services import data_export_archive, notice_render, processing_activities_csv
from privacy.services.requests import data_request_create
from staff.models import EncryptedTOTPDevice
from tests.factories import (
    AgentFactory,
    ConsentRecordFactory,
    ConversationFactory,
    DataSubjectFactory,
    QueueFactory,
    UserFactory,
    processor_with_active_agreement,
)
from tests.one_language import foreign_strings, page_text

LANGUAGES = ["de", "en"]
CUSTOMER_PAGES = [
    "/chat/",
    "/chat/?embed=1",
    "/accessibility/",
    "/privacy/policy/",
    "/privacy/requests/",
    "/privacy/requests/sent/",
    "/privacy/requests/verify/not-a-token/",
    "/privacy/identity/verify/not-a-token/",
    "/inbox/login/",
    "/admin/login/",
    "/help/",
    "/help/?q=Versandkosten",
    "/help/?q=nichts+passt+hierzu",
    "/help/shipping_costs/",
    "/help/shipping_costs/?voted=yes",
    "/contact/",
    "/contact/sent/",
    "/contact/answered/",
    "/staff/password-reset/",
    "/staff/password-reset/sent/",
    "/staff/password-reset/MQ/not-a-token/",
    "/staff/password-reset/done/",
]
STAFF_PAGES = [
    "/inbox/",
    "/inbox/c/{conversation}/",
    "/inbox/canned/",
    "/inbox/teachings/",
    "/inbox/analytics/",
    "/privacy/dashboard/",
    "/privacy/notice/",
    "/privacy/activities/",
    "/staff/two-factor/setup/",
    "/email/c/{conversation}/mails/",
    "/admin/",
]


@pytest.fixture
def desk(policies, knowledge_base, django_capture_on_commit_callbacks, celery_eager):
    """A desk in use: a superuser and an agent (with an authenticator app), a failed
    sign-in, an escalated, claimed conversation of a known subject, a data request, a trained
    model, a processor, an API key, a legal hold, the help centre's search index."""
    superuser = UserFactory(username="ada", is_superuser=True, is_staff=True)
    agent = AgentFactory(username="anna")
    EncryptedTOTPDevice.objects.create(user=agent, name="Pixel 8")
    AccessAttempt.objects.create(
        username="mallory",
        ip_address="192.0.2.7",
        user_agent="curl/8.5",
        http_accept="*/*",
        path_info="/admin/login/",
        get_data="",
        post_data="username=mallory",
        failures_since_start=2,
    )
    AgentProfile.objects.create(user=superuser, display_name="Ada", availability="online")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    queue = QueueFactory(name="Kundenservice", members=[superuser, agent])
    subject = DataSubjectFactory(name="Erika Mustermann", email="erika@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = ConversationFactory(
            subject=subject, language="de", consent=ConsentRecordFactory(subject=subject)
        )
        message_append(conversation=conversation, sender="customer", text="Wo ist mein Paket?")
        message_append(
            conversation=conversation,
            sender="bot",
            text="Ich verbinde Sie.",
            intent_slug="order_status",
            confidence=0.8008130081300813,
        )
        conversation_escalate(conversation=conversation, reason="customer_request")
    with django_capture_on_commit_callbacks(execute=True):
        inbox.assignment_route(conversation_id=conversation.pk)
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        inbox.conversation_claim(conversation=conversation, agent=superuser)
        inbox.conversation_view_record(conversation=conversation, acting_user=superuser)
        inbox.conversation_reply(conversation=conversation, agent=superuser, text="Ich sehe nach.")
        inbox.teaching_create(
            conversation=conversation, agent=superuser, intent_slug="order_status"
        )
    CannedResponse.objects.create(title="Gruß", text="Guten Tag!", queue=queue)
    BotModel.objects.create(
        language="de",
        version=1,
        status=BotModel.Status.ACTIVE,
        examples_count=81,
        metrics={"answer_precision": 0.8008130081300813, "automation_rate": 0.6172839506172839},
        thresholds={"answer": 0.7123, "suggest": 0.4, "target_precision": 0.9},
    )
    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind=DataRequest.Kind.ACCESS, email="erika@example.org", language="de")
    processor_with_active_agreement()
    api_key_create(user=superuser, name="Shop", scopes=["conversations:read"])
    LegalHold.objects.create(subject=subject, reason="Rechtsstreit")
    search_index_refresh()
    return {"superuser": superuser, "conversation": conversation, "subject": subject}


def admin_pages() -> list[str]:
    """Every admin page of every registered model: the list with its filters and actions
    (searched, if it can be), the add form, and the change, history and delete pages of its
    first row."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        pages.append(changelist)
        if model_admin.search_fields:
            pages.append(changelist + "?q=erika")
        if model_admin.has_add_permission(_superuser_request()):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            pages.append(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
            if model_admin.has_delete_permission(_superuser_request(), first):
                pages.append(reverse("admin:{}_{}_delete".format(*info), args=[first.pk]))
    return pages


def _superuser_request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = type("Superuser", (), {"is_active": True, "is_staff": True})()
    request.user.has_perm = lambda *args, **kwargs: True
    return request


def admin_delete_actions() -> list[tuple[str, int]]:
    """(changelist, first row) of every model whose list offers "delete selected"."""
    request = _superuser_request()
    actions = []
    for model, model_admin in admin.site._registry.items():
        first = model._default_manager.order_by("pk").first()
        if first is None or "delete_selected" not in model_admin.get_actions(request):
            continue
        info = model._meta.app_label, model._meta.model_name
        actions.append((reverse("admin:{}_{}_changelist".format(*info)), first.pk))
    return actions


def _leaks(client, path: str, language: str) -> list[str]:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    return _leaks_in(response, path, language)


def _leaks_in(response, path: str, language: str) -> list[str]:
    assert response.status_code < 500, (path, response.status_code)
    html = response.content.decode()
    assert f'lang="{language}"' in html, f"{path}: no lang={language}"
    return [f"[{language}] {path}: {text}" for text in foreign_strings(html, language)]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_in_one_language(desk, client, language):
    conversation = desk["conversation"].public_id
    found = []
    for path in CUSTOMER_PAGES:
        found += _leaks(client, path, language)
    client.force_login(desk["superuser"])
    # Staff choose their language once; it is kept in a cookie.
    client.cookies["django_language"] = language
    for path in STAFF_PAGES + admin_pages():
        found += _leaks(client, path.format(conversation=conversation), language)
    for changelist, pk in admin_delete_actions():
        # The "delete selected" action's confirmation page (nothing is deleted without "post").
        response = client.post(
            changelist, {"action": "delete_selected", "_selected_action": [pk]}, follow=True
        )
        found += _leaks_in(response, f"{changelist} delete_selected", language)

    assert not found, f"{len(found)} strings of the other language:\n" + "\n".join(found)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_generated_texts_are_in_one_language(desk, language):
    with translation.override(language):
        record = processing_activities_csv()
    archive = data_export_archive(subject=desk["subject"], language=language, audit=False)
    report = zipfile.ZipFile(io.BytesIO(archive)).read("report.html").decode()

    notice = notice_render(language=language)

    found = [f"record of processing: {text}" for text in foreign_strings(record, language)]
    found += [f"privacy notice: {text}" for text in foreign_strings(notice, language)]
    found += [f"access report: {text}" for text in foreign_strings(report, language)]

    assert not found, "\n".join(found)


def test_the_finder_sees_a_leak_in_either_direction():
    german = "<html><body><h1>Datenschutz</h1><button>Run</button>"
    german += '<p>Bitte <a title="Search">hier</a> wählen.</p><p>Log out</p></body></html>'
    english = "<html><body><h1>Privacy</h1><p>Abmelden</p><p>Status: ok</p></body></html>"

    assert foreign_strings(german, "de") == ["Run", "Search", "Log out"]
    assert foreign_strings(english, "en") == ["Abmelden"]
    assert "Status: ok" in page_text(english)


def test_a_masked_value_is_data_not_a_word():
    # The admin shows a password's salt as its first characters and asterisks.
    page = "<html><body><p>bY********************</p><p>by</p></body></html>"

    assert foreign_strings(page, "de") == ["by"]


@pytest.mark.django_db
def test_the_admin_offers_api_keys_as_its_one_api_credential(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "/admin/platform_core/apikey/" in page and "/admin/authtoken/" not in page


@pytest.mark.django_db
def test_the_admins_javascript_speaks_german_too(admin_client):
    """The admin's widgets (permissions, dates) take their texts from its JavaScript
    catalogue: every message of Django's admin scripts has a German translation."""
    import json
    import re
    from pathlib import Path

    import django
    import polib

    body = admin_client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    catalogue = json.loads(re.search(r"const newcatalog = (\{.*?\});", body, re.S).group(1))
    english = Path(django.__file__).parent / "contrib/admin/locale/en/LC_MESSAGES/djangojs.po"

    untranslated = [
        entry.msgid
        for entry in polib.pofile(str(english))
        if entry.msgid
        # A message with a context is keyed "context\x04message".
        and not catalogue.get(f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid)
    ]

    assert not untranslated, untranslated
