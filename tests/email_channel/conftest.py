import pytest

from email_channel.services import mailbox_fetch
from tests.email_channel.mails import maildir_deliver, maildir_mailbox_create


@pytest.fixture
def maildir_mailbox(db, queue, tmp_path):
    """The queue's mailbox as a Maildir folder (the embedded default)."""
    return maildir_mailbox_create(
        queue=queue,
        folder=tmp_path / "Maildir",
        signature_de="Ihr Nordlicht-Team",
        signature_en="Your Nordlicht team",
    )


@pytest.fixture
def deliver(maildir_mailbox):
    """Put raw mails into the mailbox's Maildir, as a mail server would (new/)."""
    return lambda *raws: maildir_deliver(maildir_mailbox, *raws)


@pytest.fixture
def fetch(maildir_mailbox, django_capture_on_commit_callbacks):
    """Fetch the mailbox as the beat task does; after-commit work runs."""

    def run() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return mailbox_fetch(mailbox_id=maildir_mailbox.pk)

    return run
