"""The agents' personal-data provider: erasure of notes and teachings."""

from agents.models import InternalNote, Teaching
from agents.selectors import teachings_of_subject_q


def subject_notes_erase(subject) -> dict[str, int]:
    """Erasure: the internal notes of the subject's conversations (their assignments go
    with the conversations), and what agents taught from them: redacted, but derived from
    the person's words, and a pending one would otherwise lose the link to its person
    and could be approved into training after the erasure. Intents created by approved
    teachings stay (their texts are the agent's); the examples go with bot's provider."""
    deleted, _by_model = InternalNote.objects.filter(conversation__subject=subject).delete()
    teachings, _by_model = Teaching.objects.filter(teachings_of_subject_q(subject)).delete()
    return {"internal_notes": deleted, "teachings": teachings}
