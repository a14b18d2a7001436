"""A customer answered by mail withdraws the optional purpose on its own, or gives it again,
through the signed link in every mail (bot.consent_link, Art. 7(3) GDPR): the same services
and audit events as the chat's box, the same effect on learning, a clear page for a bad
link, nothing personal in the address, each page in one language."""

import re
import uuid
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from agents import services as inbox
from agents.models import Teaching
from agents.services import assignment_route
from bot.consent_link import LINK_VALID_DAYS, consent_purposes_link
from bot.follow_ups import follow_up_link
from bot.learning import training_examples
from bot.models import Conversation
from helpcentre.services import ContactRequest, contact_form_submit
from privacy.models import AuditEvent, ConsentRecord, PolicyVersion
from privacy.selectors import learning_refusal
from privacy.services import consent_withdraw
from tests.factories import PolicyVersionFactory
from tests.one_language import foreign_strings

pytestmark = pytest.mark.django_db

QUESTION = "Wo bleibt meine Bestellung?"


@pytest.fixture
def form_conversation(policies, queue, settings):
    """A contact form sent with "improving the bot" ticked, routed to the agent's queue."""
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]

    def submit(language: str = "de", purposes=("bot_improvement",)) -> Conversation:
        conversation = contact_form_submit(
            ContactRequest(
                language=language,
                subject="Bestellung",
                message=QUESTION,
                identity={"name": "Frieda Formular", "email": "frieda@example.org"},
                policy_version="2026-11",
                purposes=tuple(purposes),
            )
        )
        assignment_route(conversation_id=conversation.pk, queue=queue)
        return Conversation.objects.select_related("consent").get(pk=conversation.pk)

    return submit


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _consent(conversation: Conversation) -> ConsentRecord:
    return ConsentRecord.objects.get(pk=conversation.consent_id)


def _press(client, link: str, *, granted: bool, purpose: str = "bot_improvement"):
    return client.post(_path(link), {"purpose": purpose, "granted": "1" if granted else "0"})


def test_the_link_names_the_conversation_by_a_signed_id_only(form_conversation):
    conversation = form_conversation()

    link = consent_purposes_link(conversation=conversation)

    token = re.fullmatch(r"http://[^/]+/chat/consent/([^/]+)/\?language=de", link).group(1)
    assert signing.loads(token, salt="bot.consent_purposes") == conversation.public_id.hex
    for personal in ("frieda", "formular", "example.org", "bestellung"):
        assert personal not in link.lower()


def test_the_page_shows_what_was_given_and_changes_nothing(form_conversation, client):
    conversation = form_conversation(language="en")

    link = consent_purposes_link(conversation=conversation)

    page = client.get(_path(link))
    client.get(f"{_path(link)}&purpose=bot_improvement&granted=0")  # a GET never changes

    html = page.content.decode()
    assert page.status_code == 200
    assert "Improving the bot with conversation content without personal data" in html
    assert "you allowed this" in html and "Withdraw it" in html
    assert "version 2026-11" in html
    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]
    assert not AuditEvent.objects.filter(action__startswith="consent.purpose").exists()


def test_one_click_withdraws_the_purpose_and_a_second_gives_it_again(form_conversation, client):
    # given: a contact form sent with "improving the bot" ticked
    conversation = form_conversation()
    link = consent_purposes_link(conversation=conversation)

    # when: the customer presses "withdraw" on the page their mail links to
    withdrawn = _press(client, link, granted=False)

    # then: only that purpose goes, audited as in the chat; the request stays answered
    assert withdrawn.status_code == 302
    assert withdrawn["Location"].endswith("?language=de&saved=1")
    consent = _consent(conversation)
    assert consent.purposes == ["support_chat"] and consent.withdrawn_at is None
    assert learning_refusal(subject_id=None, consent_id=consent.pk) == "no_learning_consent"
    event = AuditEvent.objects.get(action="consent.purpose_withdrawn")
    assert event.details == {"purpose": "bot_improvement"} and event.acting_user is None
    page = client.get(withdrawn["Location"]).content.decode()
    assert "Ihre Auswahl ist gespeichert" in page and "Zustimmen" in page

    # and: one more click gives it again
    assert _press(client, link, granted=True).status_code == 302
    consent = _consent(conversation)
    assert consent.purposes == ["bot_improvement", "support_chat"]
    assert learning_refusal(subject_id=None, consent_id=consent.pk) == ""
    assert AuditEvent.objects.filter(action="consent.purpose_added").count() == 1


def test_a_purpose_not_ticked_in_the_form_can_be_given_from_the_mail(form_conversation, client):
    conversation = form_conversation(purposes=())
    link = consent_purposes_link(conversation=conversation)

    _press(client, link, granted=True)

    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]


def test_pressing_twice_is_recorded_once(form_conversation, client):
    link = consent_purposes_link(conversation=form_conversation())

    _press(client, link, granted=False)
    _press(client, link, granted=False)

    assert AuditEvent.objects.filter(action="consent.purpose_withdrawn").count() == 1


def test_changes_are_rate_limited_per_client(form_conversation, client, settings):
    settings.CONSENT_LINK_RATE = 2
    conversation = form_conversation(language="en")
    link = consent_purposes_link(conversation=conversation)
    _press(client, link, granted=False)
    _press(client, link, granted=True)

    refused = _press(client, link, granted=False)

    assert refused.status_code == 429
    assert "Please wait a few minutes" in refused.content.decode()
    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]
    # Another client is not held back by this one.
    other = _press(Client(REMOTE_ADDR="192.0.2.7"), link, granted=False)
    assert other.status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {"purpose": "support_chat", "granted": "0"},
        {"purpose": "marketing", "granted": "1"},
        {"purpose": "bot_improvement", "granted": "yes"},
        {},
    ],
)
def test_a_bad_post_is_a_clear_400_and_changes_nothing(form_conversation, client, data):
    conversation = form_conversation(language="en")

    response = client.post(_path(consent_purposes_link(conversation=conversation)), data)

    assert response.status_code == 400
    assert "Please choose one of the buttons below." in response.content.decode()
    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]


def test_withdrawing_works_under_an_older_policy_giving_again_does_not(form_conversation, client):
    """The chat asks for a new consent after a policy change; a mail's reader cannot be
    asked, and their old consent's purposes are what learning reads."""
    conversation = form_conversation(language="en")
    link = consent_purposes_link(conversation=conversation)
    PolicyVersion.objects.update(is_active=False)
    PolicyVersionFactory(language="en", version="2027-01")

    withdrawn = _press(client, link, granted=False)
    given = _press(client, link, granted=True)

    assert withdrawn.status_code == 302
    assert given.status_code == 409
    assert "our privacy policy has changed since" in given.content.decode()
    assert _consent(conversation).purposes == ["support_chat"]


def test_after_the_whole_consent_is_withdrawn_the_page_says_so(form_conversation, client):
    conversation = form_conversation(language="en")
    link = consent_purposes_link(conversation=conversation)
    consent_withdraw(record=conversation.consent)

    page = client.get(_path(link))
    pressed = _press(client, link, granted=True)

    assert "You withdrew your consent for this conversation" in page.content.decode()
    assert "Allow it" not in page.content.decode()
    assert pressed.status_code == 409
    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]
    conversation.refresh_from_db()
    assert consent_purposes_link(conversation=conversation) is None


# A bad link ---------------------------------------------------------------------------------


def test_an_expired_link_is_a_clear_410(form_conversation, client):
    conversation = form_conversation(language="en")
    link = consent_purposes_link(conversation=conversation)
    later = timezone.now() + timedelta(days=LINK_VALID_DAYS, hours=1)

    # The clock (a boundary) past the link's days.
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        shown = client.get(_path(link))
        pressed = _press(client, link, granted=False)

    assert (shown.status_code, pressed.status_code) == (410, 410)
    assert "This link has expired" in shown.content.decode()
    assert "latest e-mail" in shown.content.decode()
    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]


def test_a_tampered_link_is_a_clear_404(form_conversation, client):
    conversation = form_conversation(language="en")
    link = consent_purposes_link(conversation=conversation)
    token = urlsplit(link).path.split("/")[3]
    other = form_conversation(language="en")
    # The signature of this conversation's link under another conversation's id.
    forged = token.replace(
        signing.b64_encode(f'"{conversation.public_id.hex}"'.encode()).decode(),
        signing.b64_encode(f'"{other.public_id.hex}"'.encode()).decode(),
    )
    assert forged != token

    responses = [
        client.get(f"/chat/consent/{forged}/?language=en"),
        client.post(f"/chat/consent/{forged}/", {"purpose": "bot_improvement", "granted": "0"}),
        client.get(f"/chat/consent/{token[:-2]}xx/?language=en"),
        client.get("/chat/consent/not-a-token/?language=en"),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    assert "This link does not work" in responses[0].content.decode()
    assert _consent(other).purposes == ["bot_improvement", "support_chat"]


def test_another_links_token_does_not_open_the_page(form_conversation, client):
    """The follow-up form's link is signed for that form only."""
    conversation = form_conversation(language="en")
    token = urlsplit(follow_up_link(conversation=conversation, language="en")).path.split("/")[3]

    response = _press(client, f"http://x/chat/consent/{token}/?language=en", granted=False)

    assert response.status_code == 404
    assert _consent(conversation).purposes == ["bot_improvement", "support_chat"]


def test_a_link_changes_only_its_own_conversation(form_conversation, client):
    first, second = form_conversation(), form_conversation()

    _press(client, consent_purposes_link(conversation=first), granted=False)

    assert _consent(first).purposes == ["support_chat"]
    assert _consent(second).purposes == ["bot_improvement", "support_chat"]


def test_a_deleted_conversations_link_is_gone(form_conversation, client):
    token = signing.dumps(uuid.uuid4().hex, salt="bot.consent_purposes")

    response = client.get(f"/chat/consent/{token}/?language=en")

    assert response.status_code == 410


# The effect on learning ----------------------------------------------------------------------


def test_after_withdrawal_teaching_from_the_conversation_is_refused(
    form_conversation, client, agent, knowledge_base
):
    conversation = form_conversation()
    _press(client, consent_purposes_link(conversation=conversation), granted=False)

    with pytest.raises(inbox.InboxError) as refused:
        inbox.teaching_create(conversation=conversation, agent=agent, intent_slug="order_status")

    assert refused.value.code == "no_learning_consent"
    assert not Teaching.objects.exists()


def test_a_question_taught_before_the_withdrawal_leaves_the_training_set(
    form_conversation, client, agent, knowledge_base, settings
):
    # given: the agent taught the form's question while the purpose was given
    settings.AGENTS_TEACHING_AUTO_APPROVE = True
    conversation = form_conversation()
    before = set(training_examples(language="de"))
    inbox.teaching_create(conversation=conversation, agent=agent, intent_slug="order_status")
    learnt = set(training_examples(language="de")) - before
    assert [text for text, _slug in learnt] == [f"Bestellung\n\n{QUESTION}"]

    # when: the customer withdraws it from the mail's page
    _press(client, consent_purposes_link(conversation=conversation), granted=False)

    # then: the next training leaves it out
    assert not learnt & set(training_examples(language="de"))


# Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
def test_each_page_is_in_the_conversations_language_only(form_conversation, language):
    client = Client(enforce_csrf_checks=True)
    conversation = form_conversation(language=language)
    link = consent_purposes_link(conversation=conversation)
    # The link says the language; the page is the conversation's without it, too.
    bare = _path(link).split("?")[0]
    pages = {
        "consent page": client.get(bare),
        "after a change": client.get(_press(client, link, granted=False)["Location"]),
        "refused change": client.post(bare, {"purpose": "marketing", "granted": "1"}),
        "tampered link": client.get(f"/chat/consent/not-a-token/?language={language}"),
    }
    found = []
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code < 500 and f'lang="{language}"' in html, name
        assert sorted(response.cookies) == [], name  # a customer page: no cookie
        found += [f"{name}: {text}" for text in foreign_strings(html, language)]

    assert not found, "\n".join(found)
