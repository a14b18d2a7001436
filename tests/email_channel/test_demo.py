from pathlib import Path

import pytest

from agents.demo import demo_data_create
from bot.models import Conversation
from email_channel.demo import demo_mailbox_create
from email_channel.models import Attachment
from email_channel.services import mailbox_fetch

pytestmark = pytest.mark.django_db


def test_the_demo_mailbox_shows_a_mail_conversation_without_a_mail_server(settings, tmp_path):
    settings.EMAIL_DEMO_MAILDIR = str(tmp_path / "maildir")
    demo_data_create()

    mailbox = demo_mailbox_create()
    assert demo_mailbox_create() == mailbox  # safe to run twice: one sample mail
    assert len(list(Path(settings.EMAIL_DEMO_MAILDIR, "new").iterdir())) == 1
    assert mailbox_fetch(mailbox_id=mailbox.pk)["stored"] == 1

    conversation = Conversation.objects.get(channel=Conversation.Channel.EMAIL)
    assert conversation.assignment.queue.slug == "kundenservice-de"
    assert Attachment.objects.get().filename == "etikett.png"
