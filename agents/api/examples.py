"""OpenAPI examples of the inbox endpoints: fictional staff, customers and conversations.

Each value is what the serializer returns or accepts, to the field; a test validates
every example against the generated schema (tests/platform_core/test_openapi_examples.py).
"""

from drf_spectacular.utils import OpenApiExample

_PUBLIC_ID = "3f2b8c4e-9a1d-4e7b-b6c5-2d8f0a1e7c93"

ME = OpenApiExample(
    "A supervisor",
    value={
        "username": "sam.supervisor",
        "roles": ["supervisor"],
        "queues": [
            {"id": 1, "name": "Versand & Lieferung", "slug": "versand", "language": "de"},
            {"id": 2, "name": "Reklamationen", "slug": "reklamationen", "language": "de"},
            {"id": 3, "name": "English", "slug": "english", "language": "en"},
        ],
    },
    response_only=True,
)

# The inbox row has no personal data: the preview is the redacted text.
_ROW = {
    "id": _PUBLIC_ID.replace("-", ""),
    "url": f"/inbox/c/{_PUBLIC_ID}/",
    "status": "assigned",
    "reason": "low_confidence",
    "reason_label": "The bot was not sure",
    "language": "de",
    "channel": "web",
    "escalated_at": "2026-11-27T09:14:05.312907+00:00",
    "queue_id": 1,
    "queue_name": "Versand & Lieferung",
    "agent_id": 7,
    "agent_name": "Alex Agent",
    "preview": "Seit einer Woche unterwegs, Bestellnummer [ID]. Wo ist mein Paket?",
}
_MESSAGES = [
    {
        "seq": 1,
        "sender": "customer",
        "text": "Hallo, wo ist meine Bestellung?",
        "intent_slug": "",
        "confidence": None,
        "sent_at": "2026-11-27T10:12:41.208311+01:00",
    },
    {
        "seq": 2,
        "sender": "bot",
        "text": "Den aktuellen Status Ihrer Bestellung sehen Sie jederzeit in Ihrem "
        "Kundenkonto unter /account/orders.",
        "intent_slug": "order_status",
        "confidence": 0.91,
        "sent_at": "2026-11-27T10:12:41.377052+01:00",
    },
    {
        "seq": 3,
        "sender": "customer",
        "text": "Seit einer Woche unterwegs, Bestellnummer 100234. Wo ist mein Paket?",
        "intent_slug": "",
        "confidence": None,
        "sent_at": "2026-11-27T10:14:05.296114+01:00",
    },
]

INBOX_ROW = OpenApiExample("An assigned conversation", value=_ROW, response_only=True)
INBOX_DETAIL = OpenApiExample(
    "An assigned conversation with its transcript",
    value={
        **_ROW,
        "messages": [
            *_MESSAGES,
            {
                "seq": 4,
                "sender": "agent",
                "text": "Guten Tag! Ich sehe gleich bei DHL nach und melde mich hier.",
                "intent_slug": "",
                "confidence": None,
                "sent_at": "2026-11-27T10:21:37.880412+01:00",
            },
        ],
        "notes": [
            {
                "id": 12,
                "text": "Zweite Nachfrage diese Woche; bei Verlust Ersatz anbieten.",
                "written_at": "2026-11-27T10:22:03.114286+01:00",
            }
        ],
    },
    response_only=True,
)

TEXT_REPLY = OpenApiExample(
    "A reply",
    value={"text": "Ihr Paket liegt im DHL-Paketzentrum und wird morgen zugestellt."},
    request_only=True,
)
TEXT_NOTE = OpenApiExample(
    "An internal note",
    value={"text": "Zweite Nachfrage diese Woche; bei Verlust Ersatz anbieten."},
    request_only=True,
)
TRANSFER = OpenApiExample("To the complaints queue", value={"queue": 2}, request_only=True)
ASSIGN = OpenApiExample(
    "To an agent of the queue", value={"agent": "alex.agent"}, request_only=True
)
ESCALATE = OpenApiExample(
    "From the shop's CRM",
    value={"reason": "Complaint about a damaged parcel", "queue": "reklamationen"},
    request_only=True,
)
ESCALATED = OpenApiExample(
    "Waiting in the queue named",
    value={
        **_ROW,
        "status": "waiting",
        "reason": "Complaint about a damaged parcel",
        "reason_label": "Complaint about a damaged parcel",
        "escalated_at": "2026-11-27T09:16:52.604731+00:00",
        "queue_id": 2,
        "queue_name": "Reklamationen",
        "agent_id": None,
        "agent_name": "",
        "messages": _MESSAGES,
        "notes": [],
    },
    response_only=True,
)

# The state each action leaves the conversation in (and what it created).
CLAIMED = OpenApiExample("Claimed", value={"status": "assigned"}, response_only=True)
REPLIED = OpenApiExample(
    "Sent as message 5", value={"status": "assigned", "seq": 5}, response_only=True
)
NOTED = OpenApiExample("Note 13 added", value={"status": "assigned", "id": 13}, response_only=True)
RESOLVED = OpenApiExample("Resolved", value={"status": "resolved"}, response_only=True)
REOPENED = OpenApiExample("Reopened", value={"status": "assigned"}, response_only=True)
TRANSFERRED = OpenApiExample(
    "Waiting in the new queue", value={"status": "waiting"}, response_only=True
)
ASSIGNED = OpenApiExample("Assigned", value={"status": "assigned"}, response_only=True)

CONFLICT = OpenApiExample(
    "Claimed by someone else",
    value={
        "type": "conflict",
        "code": "already_claimed",
        "detail": "Alex Agent has already claimed this conversation.",
        "fields": {},
    },
    response_only=True,
)
REVEAL_EMAIL = OpenApiExample(
    "To look up an order",
    value={"reason_code": "order_lookup", "note": "Shop system needs the address"},
    request_only=True,
)
EMAIL_REVEALED = OpenApiExample(
    "The email", value={"email": "kim.kunde@example.org"}, response_only=True
)
