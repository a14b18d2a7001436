from django.db.models import QuerySet

from bot.models import Conversation, Message
from bot.tokens import resume_token_hash


def conversation_get_by_resume_token(*, token: str) -> Conversation | None:
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    return (
        Conversation.objects.select_related("subject")
        .filter(resume_token_hash=resume_token_hash(token))
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def message_list_since(*, conversation: Conversation, after_seq: int = 0) -> QuerySet[Message]:
    return conversation.messages.filter(seq__gt=after_seq).order_by("seq")
