"""The e-mail pages in a real browser (Debian's Chromium): the agent opens an e-mail
conversation from the inbox, replies (the page shows the mail's delivery), follows the
link to the mails as received, and downloads the attachment through the audited view.
Screenshots go to var/test-artifacts/."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agents.models import AgentProfile
from email_channel.services import mailbox_fetch
from privacy.models import AuditEvent
from tests.agents.test_inbox_browser import agent_page
from tests.email_channel.mails import (
    PDF_BYTES,
    mail_bytes,
    maildir_deliver,
    maildir_mailbox_create,
)
from tests.factories import AgentFactory, QueueFactory
from tests.processes import ARTIFACTS, daphne_server

pytestmark = pytest.mark.browser


@pytest.fixture
def mailed(transactional_db, tmp_path):
    """Before the browser starts (its event loop forbids database calls in this thread)."""
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    mailbox = maildir_mailbox_create(
        queue=QueueFactory(name="Kundenservice", members=[agent]), folder=tmp_path / "Maildir"
    )
    maildir_deliver(
        mailbox,
        mail_bytes(
            text="Wo bleibt sie?\n\nAm 01.12.2026 schrieb Support <s@shop.example>:\n> Versandt.",
            attachments=[("Rechnung.pdf", "application/pdf", PDF_BYTES)],
        ),
    )
    assert mailbox_fetch(mailbox_id=mailbox.pk)["stored"] == 1
    return agent


def test_an_agent_reads_the_mail_with_its_quoted_history_and_downloads_the_file(
    mailed,
    tmp_path,
    browser,  # noqa: F811
):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with daphne_server(tmp_path / "daphne.log") as base_url:
        page = agent_page(browser, base_url)
        page.get_by_role("link", name="Open").first.click()
        expect(page.locator("#transcript")).to_contain_text("Wo bleibt sie?")
        expect(page.locator("#transcript")).not_to_contain_text("Versandt.")
        # The reply is queued as a mail; after a reload the page shows its delivery.
        page.get_by_label("Reply to the customer").fill("Sie ist unterwegs.")
        page.get_by_role("button", name="Send reply").click()
        expect(page.locator("#transcript")).to_contain_text("Sie ist unterwegs.")
        page.reload()
        expect(page.locator("[data-delivery-status]")).to_contain_text("Waiting to be sent")
        page.screenshot(path=str(ARTIFACTS / "email-conversation.png"), full_page=True)
        page.get_by_role("link", name="The e-mails as received, with attachments").click()
        expect(page.locator("pre.mail-body").first).to_contain_text("> Versandt.")
        expect(page.locator("pre.mail-body").last).to_contain_text("Sie ist unterwegs.")
        page.screenshot(path=str(ARTIFACTS / "email-mails-page.png"), full_page=True)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Rechnung.pdf").click()
        download = download_info.value
        assert download.suggested_filename == "Rechnung.pdf"
        assert Path(download.path()).read_bytes() == PDF_BYTES

    def audited() -> bool:
        return AuditEvent.objects.filter(
            action="attachment.downloaded", acting_user=mailed
        ).exists()

    # In a thread of its own: the browser's event loop runs in this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(audited).result()
