"""The API's keys, scopes, role permissions, error format and throttling."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from platform_core.api_auth import api_key_create, api_key_revoke
from privacy.models import AuditEvent, Processor
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRIVACY_READ_ENDPOINTS = [
    "/api/v1/privacy/policy-versions/",
    "/api/v1/privacy/consent-records/",
    "/api/v1/privacy/processors/",
    "/api/v1/privacy/agreements/",
    "/api/v1/privacy/activities/",
    "/api/v1/privacy/retention-policies/",
    "/api/v1/privacy/requests/",
    "/api/v1/privacy/audit-events/",
]
PROCESSOR = {"name": "Telegram Messenger Inc.", "address": "Dubai", "channel": "telegram"}


@pytest.fixture
def officer():
    return UserFactory(role=roles.PRIVACY_OFFICER)


def _key_client(user, scopes, **kwargs) -> APIClient:
    _key, secret = api_key_create(user=user, name="shop", scopes=scopes, **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def _session_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("endpoint", PRIVACY_READ_ENDPOINTS)
@pytest.mark.parametrize(
    ("who", "scopes", "expected"),
    [
        ("officer", None, 200),  # session
        ("officer", ["privacy:read"], 200),
        ("officer", ["privacy:write"], 200),  # write includes read
        ("officer", ["knowledge:read", "conversations:write"], 403),
        ("agent", None, 403),
        ("agent", ["privacy:write"], 403),  # the key cannot exceed its user's role
        ("anonymous", None, 401),
    ],
)
def test_read_matrix(endpoint, who, scopes, expected, officer, agent):
    user = {"officer": officer, "agent": agent, "anonymous": None}[who]
    if user is None:
        client = APIClient()
    elif scopes is None:
        client = _session_client(user)
    else:
        client = _key_client(user, scopes)

    assert client.get(endpoint).status_code == expected


@pytest.mark.parametrize(
    ("scopes", "expected"), [(["privacy:read"], 403), (["privacy:write"], 201)]
)
def test_writing_needs_the_write_scope(officer, scopes, expected):
    response = _key_client(officer, scopes).post(
        "/api/v1/privacy/processors/", PROCESSOR, format="json"
    )

    assert response.status_code == expected


def test_a_register_change_is_audited(officer):
    response = _session_client(officer).post(
        "/api/v1/privacy/processors/", PROCESSOR, format="json"
    )

    processor = Processor.objects.get(pk=response.json()["id"])
    event = AuditEvent.objects.get(action="processor.created")
    assert event.acting_user == officer and event.target_id == str(processor.pk)


def test_a_revoked_or_expired_key_is_refused(officer):
    key, secret = api_key_create(user=officer, name="old", scopes=["privacy:read"])
    api_key_revoke(key=key)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    expired = _key_client(officer, ["privacy:read"], expires_at=timezone.now() - timedelta(days=1))

    for client in (revoked, expired):
        response = client.get("/api/v1/privacy/processors/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"


def test_keys_are_stored_hashed_and_record_their_last_use(officer):
    key, secret = api_key_create(user=officer, name="crm", scopes=["privacy:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    client.get("/api/v1/privacy/processors/")

    key.refresh_from_db()
    assert secret not in key.key_hash and key.prefix in secret
    assert key.last_used_at is not None


@pytest.mark.parametrize("header", ["Api-Key nonsense", "Api-Key sd_12345678_wrong", "Api-Key a b"])
def test_a_malformed_or_unknown_key_gets_a_clear_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"type", "code", "detail", "fields"}
    assert body["type"] == "authentication_error" and body["detail"]


def test_validation_errors_name_the_fields(officer):
    response = _session_client(officer).post(
        "/api/v1/privacy/processors/", {"channel": "carrier-pigeon"}, format="json"
    )

    body = response.json()
    assert response.status_code == 400 and body["type"] == "validation_error"
    assert {"name", "address", "channel"} <= set(body["fields"])


def test_not_found_has_the_same_format(officer):
    body = _session_client(officer).get("/api/v1/privacy/processors/999999/").json()

    assert body["type"] == "not_found" and body["fields"] == {}


def test_throttling_answers_429_with_retry_after(officer, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "2/min"},
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    from platform_core.api_auth import KeyOrUserRateThrottle

    KeyOrUserRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = _key_client(officer, ["privacy:read"])
        statuses = [client.get("/api/v1/privacy/processors/").status_code for _ in range(3)]
        response = client.get("/api/v1/privacy/processors/")
    finally:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"},
        }
        api_settings.reload()
        KeyOrUserRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()

    assert statuses == [200, 200, 429]
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["type"] == "throttled"


def test_audit_events_filter_by_action_and_time(officer):
    from privacy.services import audit_record

    audit_record(action="x.one", acting_user=officer)
    audit_record(action="x.two", acting_user=None)
    client = _session_client(officer)

    by_action = client.get("/api/v1/privacy/audit-events/", {"action": "x.one"}).json()
    by_actor = client.get("/api/v1/privacy/audit-events/", {"acting_user": officer.username}).json()
    bad_time = client.get("/api/v1/privacy/audit-events/", {"since": "yesterday"})

    assert [e["action"] for e in by_action["results"]] == ["x.one"]
    assert {e["action"] for e in by_actor["results"]} == {"x.one"}
    assert bad_time.status_code == 400 and "since" in bad_time.json()["fields"]


def test_staff_open_a_data_request_and_read_its_export(
    officer, policies, celery_eager, django_capture_on_commit_callbacks
):
    from tests.factories import known_subject

    known_subject(name="Erika", email="erika@example.org")
    client = _session_client(officer)

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/privacy/requests/",
            {"kind": "access", "email": "erika@example.org"},
            format="json",
        )
    request_id = created.json()["id"]
    status = client.get(f"/api/v1/privacy/requests/{request_id}/").json()
    export = client.get(f"/api/v1/privacy/requests/{request_id}/export/")

    assert created.status_code == 201 and "email" not in created.json()
    assert status["status"] == "completed" and status["export_status"] == "ready"
    assert export.status_code == 200 and export["Content-Type"] == "application/zip"
    assert AuditEvent.objects.filter(action="export.read", acting_user=officer).exists()


def test_nul_characters_in_the_query_are_a_clear_400(officer):
    client = APIClient()
    client.force_authenticate(officer)

    response = client.get("/api/v1/privacy/audit-events/", {"action": "x\x00y"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_text"
