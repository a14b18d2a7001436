"""OpenAPI examples of the privacy endpoints: a fictional hosting processor, fictional people.

Requests carry the writable fields only, responses every field of the serializer
(tests/platform_core/test_openapi_examples.py validates them against the schema).
"""

from drf_spectacular.utils import OpenApiExample

_SUBJECT = "6f1e2d3c-4b5a-4d8e-9f01-a2b3c4d5e6f7"

_POLICY_VERSION = {
    "language": "de",
    "version": "2026-12",
    "title": "Datenschutzhinweise für den Support-Chat",
    "summary": "Wir verarbeiten Ihre Nachrichten und, falls Sie sie angeben, Name und "
    "E-Mail-Adresse, um Ihre Anfrage zu beantworten.",
    "text": "1. Verantwortlicher: Beispiel-Shop GmbH, Musterstraße 1, 10115 Berlin. "
    "2. Zweck: Beantwortung Ihrer Anfrage im Chat. 3. Speicherdauer: 30 Tage nach "
    "Abschluss der Anfrage.",
    "effective_at": "2026-12-01T00:00:00+01:00",
    "is_active": False,
}
POLICY_VERSION_REQUEST = OpenApiExample(
    "German policy for December", value=_POLICY_VERSION, request_only=True
)
POLICY_VERSION_PATCH = OpenApiExample(
    "Effective later", value={"effective_at": "2026-12-15T00:00:00+01:00"}, request_only=True
)
POLICY_VERSION_RESPONSE = OpenApiExample(
    "German policy for December",
    value={"id": 3, **_POLICY_VERSION, "created_at": "2026-11-24T16:45:10.204118+01:00"},
    response_only=True,
)

CONSENT_RECORD = OpenApiExample(
    "Consent given in the web chat",
    value={
        "id": 412,
        "reference": "3f2b8c4e-9a1d-4e7b-b6c5-2d8f0a1e7c93",
        "subject": _SUBJECT,
        "policy_version": "2026-11",
        "policy_language": "de",
        "purposes": ["bot_improvement", "support_chat"],
        "channel": "web",
        "granted_at": "2026-11-27T10:12:30.517204+01:00",
        "withdrawn_at": None,
    },
    response_only=True,
)

_PROCESSOR = {
    "name": "Beispiel Hosting GmbH",
    "address": "Musterstraße 1, 10115 Berlin, Germany",
    "contact": "vertrag@hosting.example.org",
    "dpo_contact": "datenschutz@hosting.example.org",
    "channel": "web",
    "parent": None,
    "country": "DE",
    "transfer_safeguard": "none",
}
PROCESSOR_REQUEST = OpenApiExample("A hosting provider", value=_PROCESSOR, request_only=True)
PROCESSOR_PATCH = OpenApiExample(
    "A new contact", value={"contact": "legal@hosting.example.org"}, request_only=True
)
PROCESSOR_RESPONSE = OpenApiExample(
    "A hosting provider", value={"id": 2, **_PROCESSOR}, response_only=True
)

_AGREEMENT = {
    "processor": 2,
    "subject_matter": "Hosting of the support desk: servers, database and backups.",
    "duration": "For the term of the hosting contract",
    "nature_and_purpose": "Storage and operation of the support desk on the operator's "
    "instructions.",
    "data_categories": "Name and email address of customers, conversation content.",
    "subject_categories": "Customers who use the support chat; support staff.",
    "retention_terms": "Deleted 30 days after the end of the contract; backups after 14 days.",
    "technical_measures": "Encryption at rest and in transit, access logging, ISO 27001 "
    "certified data centre.",
    "controller_rights_duties": "Instructions in writing; audits with 30 days' notice.",
    "processor_rights_duties": "Confidentiality, notification of breaches within 24 hours, "
    "sub-processors only with consent.",
    "third_country_transfers": "",
    "signed_at": "2026-03-02",
    "review_at": "2027-03-01",
    "status": "active",
}
AGREEMENT_REQUEST = OpenApiExample("Hosting agreement", value=_AGREEMENT, request_only=True)
AGREEMENT_PATCH = OpenApiExample(
    "Review next year", value={"review_at": "2027-06-01"}, request_only=True
)
AGREEMENT_RESPONSE = OpenApiExample(
    "Hosting agreement",
    value={
        "id": 1,
        **_AGREEMENT,
        "has_signed_document": True,
        "created_at": "2026-03-02T11:20:45.019384+01:00",
        "updated_at": "2026-03-02T11:24:10.662071+01:00",
    },
    response_only=True,
)

_ACTIVITY = {
    "name": "Support chat",
    "purpose": "Answering customers' requests in the website chat and on messengers.",
    "legal_basis": "consent",
    "data_categories": "Name, email address (as configured), conversation content.",
    "subject_categories": "Customers and prospective customers who use the chat.",
    "recipients": "Support agents of the operator.",
    "retention_policy": 1,
    "processors": [2],
    "third_country_transfers": "",
    "technical_measures": "Encryption at rest, keyed blind index for look-ups, TLS in transit, "
    "role-based access, audit log of every staff read.",
    "is_active": True,
}
ACTIVITY_REQUEST = OpenApiExample("The support chat", value=_ACTIVITY, request_only=True)
ACTIVITY_PATCH = OpenApiExample(
    "Hosted by a processor", value={"processors": [2]}, request_only=True
)
ACTIVITY_RESPONSE = OpenApiExample(
    "The support chat",
    value={"id": 1, **_ACTIVITY, "updated_at": "2026-11-02T09:30:12.551920+01:00"},
    response_only=True,
)

RETENTION_POLICY_REQUEST = OpenApiExample(
    "Keep for 60 days", value={"duration_days": 60, "is_active": True}, request_only=True
)
RETENTION_POLICY_PATCH = OpenApiExample(
    "Keep for 60 days", value={"duration_days": 60}, request_only=True
)
RETENTION_POLICY_RESPONSE = OpenApiExample(
    "Resolved conversations",
    value={
        "id": 1,
        "category": "conversations_resolved",
        "duration_days": 60,
        "is_active": True,
        "updated_at": "2026-11-25T08:02:51.308847+01:00",
    },
    response_only=True,
)

DATA_REQUEST_REQUEST = OpenApiExample(
    "A verified customer asks for a copy",
    value={"kind": "access", "email": "kim.kunde@example.org", "language": "de"},
    request_only=True,
)
_DATA_REQUEST = {
    "id": 17,
    "public_id": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
    "kind": "access",
    "status": "verified",
    "subject": _SUBJECT,
    "language": "de",
    "created_at": "2026-11-27T11:05:19.470312+01:00",
    "due_at": "2026-12-27T11:05:19.470312+01:00",
    "verified_at": "2026-11-27T11:05:19.473881+01:00",
    "completed_at": None,
    "result": {},
    "export_status": None,
    "export_expires_at": None,
}
DATA_REQUEST_OPENED = OpenApiExample(
    "Opened and being processed", value=_DATA_REQUEST, response_only=True
)
DATA_REQUEST_COMPLETED = OpenApiExample(
    "Completed with its export ready",
    value={
        **_DATA_REQUEST,
        "status": "completed",
        "completed_at": "2026-11-27T11:05:21.902644+01:00",
        "export_status": "ready",
        "export_expires_at": "2026-12-04T11:05:21.902644+01:00",
    },
    response_only=True,
)

AUDIT_EVENT = OpenApiExample(
    "An agent opened a transcript",
    value={
        "id": 9051,
        "created_at": "2026-11-27T10:21:02.734519+01:00",
        "action": "conversation.viewed",
        "acting_user": "alex.agent",
        "target_type": "bot.Conversation",
        "target_id": "1874",
        "subject_public_id": _SUBJECT,
        "reason_code": "support",
        "reason_label": "Handling the customer's request",
        "reason": "",
        "details": {"via": "api"},
    },
    response_only=True,
)
