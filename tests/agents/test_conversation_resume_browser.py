"""The conversation page in a real browser: messages stored between the page's rendering
and its socket's join appear without a reload (conversation.ready's last_seq, then
"resume"), in order; bot answers show as the customer saw them (links, bold, lists),
a hostile one inert. Screenshots go to var/test-artifacts/."""

from pathlib import Path

import pytest

from agents.models import AgentProfile
from agents.services import assignment_route
from bot.chat import conversation_escalate
from bot.services import message_append
from tests.factories import AgentFactory, ConversationFactory, QueueFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server

ANSWER = "Ihre Bestellungen: [Meine Bestellungen](/account/orders). **Wichtig:**\n\n- eins\n- zwei"
HOSTILE = '<img src=x onerror="window.pwned=1"> [x](javascript:window.pwned=2)'


@pytest.fixture
def live_conversation(policies, knowledge_base, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    anna = AgentFactory(username="anna")
    AgentProfile.objects.create(user=anna, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[anna])
    conversation = ConversationFactory(language="de")
    message_append(conversation=conversation, sender="customer", text="Wo sind meine Bestellungen?")
    message_append(conversation=conversation, sender="bot", text=ANSWER)
    conversation_escalate(conversation=conversation, reason="customer_request")
    assignment_route(conversation_id=conversation.pk)
    with daphne_server(tmp_path / "daphne.log", SHOP_BASE_URL="https://shop.example") as base_url:
        yield base_url, conversation


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_messages_stored_before_the_socket_joined_appear_without_a_reload(
    live_conversation, browser, monkeypatch
):
    from playwright.sync_api import expect

    # The route handler stores messages from the test's thread, where Playwright's loop runs.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base_url, conversation = live_conversation
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/inbox/login/")
    page.locator("#id_username").fill("anna")
    page.locator("#id_password").fill("test-password")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{base_url}/inbox/")
    url = f"{base_url}/inbox/c/{conversation.public_id}/"

    def stored_then_joined(socket_route):
        # The page is rendered; before its socket joins, more messages are stored (no
        # live frame reaches the page for them). Then the socket goes through as usual.
        message_append(conversation=conversation, sender="customer", text="Nachgefragt: Paket?")
        message_append(conversation=conversation, sender="bot", text=HOSTILE)
        message_append(conversation=conversation, sender="customer", text="Noch da?")
        socket_route.connect_to_server()

    page.route_web_socket(
        f"**/ws/inbox/conversations/{conversation.public_id.hex}/", stored_then_joined
    )
    page.goto(url)

    transcript = page.locator("#transcript")
    expect(page.locator("#conversation-live")).to_contain_text("Live: new messages")
    expect(transcript.locator("li.msg")).to_have_count(5)
    assert [
        int(seq)
        for seq in transcript.locator("li.msg").evaluate_all("l => l.map(i => i.dataset.seq)")
    ] == [1, 2, 3, 4, 5]
    expect(transcript.locator("li.msg").nth(2)).to_contain_text("Nachgefragt: Paket?")
    expect(transcript.locator("li.msg").last).to_contain_text("Noch da?")

    # The rendered bot answer: a link into the shop, bold and a list, never the raw markdown.
    rendered = transcript.locator("li.msg-bot").first.locator(".answer-markup")
    link = rendered.get_by_role("link", name="Meine Bestellungen")
    expect(link).to_have_attribute("href", "https://shop.example/account/orders")
    expect(rendered.locator("strong")).to_have_text("Wichtig:")
    expect(rendered.locator("li")).to_have_count(2)
    expect(rendered).not_to_contain_text("**")
    # The hostile answer arrived live (resumed): shown as text, nothing ran.
    resumed = transcript.locator("li.msg-bot").last.locator(".answer-markup")
    expect(resumed).to_contain_text('<img src=x onerror="window.pwned=1">')
    expect(resumed.locator("img, a")).to_have_count(0)
    assert page.evaluate("() => window.pwned") is None
    page.screenshot(path=ARTIFACTS / "inbox-conversation-resumed.png", full_page=True)
    context.close()
