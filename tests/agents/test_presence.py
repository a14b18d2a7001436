"""An agent being online changes what customers are told on a hand-over: outside the
opening hours, "a person will answer here" instead of "back on Monday"; and the agent's
availability is kept across logins and shown on every inbox page."""

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import AgentProfile
from bot.chat import dialog_state, team_available_at
from bot.dialog import dialog_escalate
from bot.opening_hours import DAYS
from tests.factories import AgentFactory, ConversationFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_now(settings):
    """Opening hours that exclude this moment: one hour tomorrow."""
    tomorrow = DAYS[(timezone.localdate().weekday() + 1) % 7]
    settings.SUPPORT_OPENING_HOURS = f"{tomorrow} 08:00-09:00"


def _online(queue, availability="online"):
    agent = AgentFactory()
    AgentProfile.objects.create(user=agent, display_name="Anna", availability=availability)
    queue.members.add(agent)
    return agent


def test_outside_the_hours_nobody_online_means_back_later(closed_now, queue):
    _online(queue, availability="away")

    assert team_available_at("de") is not None


def test_outside_the_hours_an_online_agent_means_available_now(closed_now, queue):
    _online(queue)

    assert team_available_at("de") is None


def test_only_an_agent_serving_the_language_counts(closed_now):
    _online(QueueFactory(language="en"))

    assert team_available_at("de") is not None
    assert team_available_at("en") is None


def test_a_disabled_account_does_not_count(closed_now, queue):
    agent = _online(queue)
    agent.is_active = False
    agent.save()

    assert team_available_at("de") is not None


@pytest.mark.parametrize(
    ("availability", "told"),
    [("online", "übergebe Sie"), ("offline", "nicht erreichbar")],
)
def test_the_customer_is_told_what_presence_says(closed_now, queue, availability, told):
    _online(queue, availability=availability)
    conversation = ConversationFactory(language="de")

    [reply] = dialog_escalate(state=dialog_state(conversation)).replies

    assert told in reply.text


def test_the_availability_outlives_a_logout(queue):
    agent = _online(queue, availability="offline")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)
    client.post("/inbox/availability/", {"availability": "online"})
    client.post("/inbox/logout/")

    client.force_login(agent)
    page = client.get("/inbox/").content.decode()

    assert '<option value="online" selected>' in page
    assert 'id="my-status"' in page and "You are online" in page


def test_an_offline_agent_is_told_what_customers_see(queue):
    agent = _online(queue, availability="offline")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)

    page = client.get("/inbox/canned/").content.decode()

    assert 'id="my-status"' in page and "You are offline" in page
