"""A data access request started in the website chat, in a real browser (Debian's Chromium,
driven by Playwright), through the e-mailed links to the download of the data.

daphne serves the pages; the test plays the Celery worker (it runs the queued tasks'
services in this process, so their mails land in Django's locmem outbox here).
Screenshots go to var/test-artifacts/.
"""

import io
import json
import re
import zipfile

import pytest
from django.core import mail

from privacy.models import DataRequest, DataSubject
from privacy.services import (
    data_request_process,
    data_request_verification_send,
    subject_verification_send,
)
from tests.bot.test_chat_browser import browser_page, live_chat  # noqa: F401  (fixtures)
from tests.processes import ARTIFACTS

QUESTION = (
    "Ich möchte eine Auskunft nach DSGVO über alle bei Ihnen gespeicherten Daten zu meiner Person."
)


def _mailed_path(path: str) -> str:
    return re.search(rf"http://\S+({path}[^/\s]+/)", mail.outbox[-1].body).group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_access_request_from_the_chat_ends_in_the_download(
    live_chat,  # noqa: F811
    browser_page,  # noqa: F811
    monkeypatch,
):
    from playwright.sync_api import expect

    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are
    # plain synchronous ones (the test playing the worker), so Django may make them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    page = browser_page
    page.goto(f"{live_chat}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()
    # The address typed in the chat is a claim: its owner confirms it by the mailed link.
    subject_verification_send(subject=DataSubject.objects.get(), language="de")
    page.goto(f"{live_chat}{_mailed_path('/privacy/identity/verify/')}")
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("bestätigt")

    page.goto(f"{live_chat}/chat/")
    page.get_by_label("Ihre Nachricht").fill(QUESTION)
    page.get_by_role("button", name="Senden").click()

    expect(page.locator(".msg-system p").last).to_contain_text("Kopie Ihrer Daten")
    page.screenshot(path=ARTIFACTS / "chat-privacy-1-request.png", full_page=True)
    request = DataRequest.objects.get()
    assert (request.kind, request.source, request.source_channel) == ("access", "chat", "web")
    assert request.status == DataRequest.Status.UNVERIFIED

    data_request_verification_send(request=request)
    page.goto(f"{live_chat}{_mailed_path('/privacy/requests/verify/')}")
    page.locator("form button[type=submit]").click()
    page.screenshot(path=ARTIFACTS / "chat-privacy-2-confirmed.png", full_page=True)
    request.refresh_from_db()
    assert request.status == DataRequest.Status.VERIFIED

    data_request_process(request=request)
    with page.expect_download() as download_info:
        page.evaluate(
            "path => { const a = document.createElement('a'); a.href = path; "
            "document.body.appendChild(a); a.click(); }",
            _mailed_path("/privacy/exports/"),
        )
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))

    data = json.loads(archive.read("data.json"))
    texts = [
        m["text"] for c in data["data"]["bot.conversations"]["conversations"] for m in c["messages"]
    ]
    assert QUESTION in texts
    assert DataRequest.objects.get().status == DataRequest.Status.COMPLETED
