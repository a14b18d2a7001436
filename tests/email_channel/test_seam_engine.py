"""The e-mail seam calls the conversation engine's verbs; it does not do their work."""

import re
from pathlib import Path

SEAM = Path(__file__).resolve().parents[2] / "email_channel" / "seam.py"

# What the engine does and the seam must leave to it: building the dialog's state, setting
# the conversation's subject (an identity claim), raising the chat's hooks, moving a status.
REIMPLEMENTED = re.compile(
    r"DialogState\(|\.subject = |hooks\.hook_action|\.update\([^)]*status=|status = Conversation"
)


def test_the_seam_calls_the_engines_verbs():
    source = SEAM.read_text(encoding="utf-8")

    assert REIMPLEMENTED.findall(source) == []
    for verb in (
        "identity_claim",
        "dialog_state",
        "customer_wrote_to_team",
        "conversation_escalate",
    ):
        assert f"{verb}(" in source
